#!/bin/sh
# Opens a report page of tools/report.py in a real browser (Debian's
# chromium, headless) and checks that every figure loaded: the page marks
# itself with data-images="loaded/total" once its images have loaded or
# failed. Used by `make report` and tests/report.test.sh.
#
#   sh tools/check_report.sh results/report/index.html
#
# Exit status: 0 every image loaded; 1 some did not (or none is linked);
# 2 bad usage; 77 chromium is not installed (make deps-browser), reported on
# a line containing "skipping".
set -u
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: sh tools/check_report.sh PAGE.html (an existing file)" >&2
    exit 2
fi
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
    echo "chromium not installed (make deps-browser); skipping the browser check of $1"
    exit 77
fi
page="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-dev-shm-usage --user-data-dir="$T/chrome" --virtual-time-budget=10000 \
    --dump-dom "file://$page" >"$T/dom" 2>/dev/null
mark=$(grep -o 'data-images="[0-9]*/[0-9]*"' "$T/dom" | head -1)
n=$(grep -o '<img ' "$page" | wc -l)
if [ "$n" -gt 0 ] && [ "$mark" = "data-images=\"$n/$n\"" ]; then
    echo "chromium loaded all $n images of $1"
    exit 0
fi
echo "chromium: ${mark:-no data-images mark} of $n images loaded in $1" >&2
exit 1
