#!/bin/sh
# tools/report.py: the report of a comparison and of a single run is written
# with every figure it links, every figure loads in a real browser (Debian's
# chromium, headless; skipped when it is not installed), and everything
# `make report` needs is tracked in git (a fresh clone has it).
# Run from the repository root by tests/run_tests.sh (WANDEL, PYTHON set).
set -u
. tests/lib.sh

# every <img src> of a page exists and is a PNG
images_exist() {
    "$PY" - "$1" <<'EOF'
import os, re, sys
page = sys.argv[1]
srcs = re.findall(r'<img src="([^"]+)"', open(page, encoding="utf-8").read())
missing = [s for s in srcs if not os.path.isfile(os.path.join(os.path.dirname(page), s))]
bad = [s for s in srcs if s not in missing and open(os.path.join(os.path.dirname(page), s), "rb").read(8) != b"\x89PNG\r\n\x1a\n"]
print("%d images, %d missing, %d not PNG" % (len(srcs), len(missing), len(bad)))
sys.exit(0 if srcs and not missing and not bad else 1)
EOF
}

"$W" compare tests/compare/small.cfg -o "$T/small.h5" -q || bad "small comparison"
if "$PY" tools/report.py "$T/small.h5" -o "$T/report" >"$T/out" 2>&1; then ok "comparison report written"; else bad "comparison report"; cat "$T/out"; fi
images_exist "$T/report/index.html" && ok "every figure of the comparison report exists" || bad "comparison report figures"
[ -f "$T/report/small.csv" ] && ok "the CSV is copied beside the report" || bad "CSV copied"
for text in "Summary" "minimax regret" "Scenario files used" "layers/slump.cfg" "Resistance" "Savage"; do
    grep -qF "$text" "$T/report/index.html" && ok "report has '$text'" || bad "report lacks '$text'"
done

"$W" run scenarios/default.cfg -o "$T/run.h5" >/dev/null 2>&1 || bad "single run"
if "$PY" tools/report.py "$T/run.h5" -o "$T/runreport" >"$T/out" 2>&1; then ok "run report written"; else bad "run report"; cat "$T/out"; fi
images_exist "$T/runreport/index.html" && ok "every figure of the run report exists" || bad "run report figures"

printf 'not hdf5\n' >"$T/bad.h5"
"$PY" tools/report.py "$T/bad.h5" -o "$T/badreport" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "cannot read" "$T/err" && ok "unreadable file: exit 2 with a message" || bad "unreadable file"

# In a real browser: the page marks itself with data-images="loaded/all"
# (tools/check_report.sh; skipped when chromium is not installed).
for page in "$T/report/index.html" "$T/runreport/index.html"; do
    sh tools/check_report.sh "$page" >"$T/chk" 2>&1
    case $? in
        0) ok "$(cat "$T/chk")" ;;
        77) cat "$T/chk" ;;
        *) bad "$(cat "$T/chk")" ;;
    esac
done

# A fresh clone has what make report needs: the tracked files alone.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mkdir -p "$T/clone"
    git ls-files -z | (cd "$(git rev-parse --show-toplevel)" && xargs -0 cp --parents -t "$T/clone") 2>/dev/null
    if "$W" compare "$T/clone/scenarios/comparison.cfg" --plan >"$T/out" 2>&1; then
        ok "the shipped comparison and its layers are tracked"
    else
        bad "a fresh clone lacks files of the shipped comparison"; sed 's/^/    /' "$T/out" | head -5
    fi
    [ -f "$T/clone/tools/report.py" ] && ok "tools/report.py is tracked" || bad "tools/report.py is not tracked"
else
    echo "not a git checkout; skipping the fresh-clone check"
fi

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
