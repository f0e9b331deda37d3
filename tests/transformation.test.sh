#!/bin/sh
# Tests of the regional transformation model (models/transformation.mdl):
# it compiles without warnings and its baseline scenario runs.
# Run from the repository root by tests/run_tests.sh (WANDEL, PYTHON set).
set -u
W=${WANDEL:-build/wandel}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

if "$W" check models/transformation.mdl >"$T/out" 2>"$T/err" && [ ! -s "$T/err" ]; then
    ok "model compiles with no diagnostics"
else
    bad "model check"; sed 's/^/    /' "$T/err" | head -20
fi
if "$W" run scenarios/ruhr-baseline.cfg --format tsv -o "$T/b.tsv" 2>"$T/err"; then
    ok "baseline runs"
else
    bad "baseline run"; sed 's/^/    /' "$T/err" | head -20
fi
[ $fails -eq 0 ]
