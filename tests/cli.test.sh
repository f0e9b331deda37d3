#!/bin/sh
# Command-line tests: help, exit statuses, output formats, the HDF5 round
# trip through xarray, scenarios, and bad input reported with file and line.
# Run from the repository root by tests/run_tests.sh (WANDEL, PYTHON set).
set -u
W=${WANDEL:-build/wandel}
PY=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# expect STATUS NAME command... : exit status must be STATUS
expect() {
    want=$1; name=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" = "$want" ]; then ok "$name"; else bad "$name (exit $got, expected $want)"; sed 's/^/    /' "$T/err" | head -5; fi
}
# contains FILE TEXT NAME
contains() {
    if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in $1"; sed 's/^/    /' "$1" | head -8; fi
}

expect 0 "--help" "$W" --help
contains "$T/out" "wandel COMMAND --help" "--help lists commands"
contains "$T/out" "exit status" "--help documents exit statuses"
expect 0 "--version" "$W" --version
contains "$T/out" "wandel 0." "--version prints the version"
for c in run check info; do
    expect 0 "$c --help" "$W" "$c" --help
    contains "$T/out" "usage: wandel $c" "$c --help shows usage"
done
expect 2 "no command" "$W"
expect 2 "unknown command" "$W" frobnicate
expect 2 "unknown option" "$W" run tests/models/teacup.mdl --frobnicate
expect 2 "bad --method" "$W" run tests/models/teacup.mdl --method nope
expect 2 "bad --rtol" "$W" run tests/models/teacup.mdl --rtol abc

# TSV on standard output in the conformance-suite layout
expect 0 "run to stdout" "$W" run tests/models/teacup.mdl
head -1 "$T/out" | grep -q "^Time	Teacup Temperature	Heat Loss to Room" && ok "TSV header" || bad "TSV header: $(head -1 "$T/out")"
[ "$(wc -l <"$T/out")" -eq 242 ] && ok "one row per save point" || bad "rows: $(wc -l <"$T/out")"
sed -n 2p "$T/out" | grep -q "^0	180	11	70	10" && ok "first row values" || bad "first row: $(sed -n 2p "$T/out")"

# CSV to a file, written whole
expect 0 "run to csv" "$W" run tests/models/teacup.mdl --set "Room Temperature=20" -o "$T/r.csv"
head -1 "$T/r.csv" | grep -q "^Time,Teacup Temperature," && ok "CSV header" || bad "CSV header"
sed -n 2p "$T/r.csv" | grep -q "^0,180,16,20," && ok "--set applied" || bad "--set: $(sed -n 2p "$T/r.csv")"
ls -a "$T" | grep -q '\.tmp\.' && bad "temporary file left behind" || ok "no temporary file left"
expect 2 "--set unknown variable" "$W" run tests/models/teacup.mdl --set "Room Temp=20"
contains "$T/err" "did you mean 'Room Temperature'" "--set suggests the nearest name"
# --set on a computed variable replaces its equation, as a scenario's set does
expect 0 "--set computed variable" "$W" run tests/models/teacup.mdl --set "Heat Loss to Room=1" -o "$T/h.tsv"
tail -1 "$T/h.tsv" | grep -q "^30	150	1	" && ok "replaced equation drives the stock" || bad "replaced: $(tail -1 "$T/h.tsv")"

# the output directory must exist; nothing is written otherwise
expect 1 "output into a missing directory" "$W" run tests/models/teacup.mdl -o "$T/missing/r.csv"
contains "$T/err" "$T/missing/r.csv" "the message names the output path"

# bad models: exit 2, file:line:col, the source line and a caret
printf 'x = 1 +\n~~|\ny = nope * 2 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n' >"$T/bad.mdl"
expect 2 "syntax error" "$W" run "$T/bad.mdl"
contains "$T/err" "$T/bad.mdl:2:1: error: expected an expression" "syntax error position"
expect 2 "check reports" "$W" check "$T/bad.mdl"
printf 'x = 1 ~~|\ny = nope * 2 ~~|\nz = SMOOTH(x) ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n' >"$T/bad2.mdl"
expect 2 "semantic errors" "$W" check "$T/bad2.mdl"
contains "$T/err" "$T/bad2.mdl:2:5: error: unknown variable 'nope'" "unknown variable with position"
contains "$T/err" "$T/bad2.mdl:3:5: error: SMOOTH takes 2 arguments, found 1" "wrong argument count"
contains "$T/err" "    ^" "caret under the column"
expect 2 "missing model" "$W" run "$T/none.mdl"
contains "$T/err" "none.mdl: error: cannot read model" "missing model named"

# a run that fails: exit 1, partial results kept and marked incomplete
printf 's = INTEG(1 / (Time - 3), 0) ~~|\nFINAL TIME = 10 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n' >"$T/fault.mdl"
expect 1 "numerical fault" "$W" run "$T/fault.mdl" -o "$T/fault.tsv"
contains "$T/err" "at Time = 3 (method euler)" "fault names time and method"
[ "$(wc -l <"$T/fault.tsv")" -eq 4 ] && ok "results up to the fault kept" || bad "partial results"

# info and the disassembly
expect 0 "info" "$W" info tests/models/teacup.mdl --program
contains "$T/out" "Teacup Temperature  (stock, Degrees Fahrenheit) line 2" "info lists kind, units, line"
contains "$T/out" "depends on: Teacup Temperature, Room Temperature, Characteristic Time" "info lists dependencies"
contains "$T/out" "rhs (every rate evaluation)" "disassembly"
contains "$T/out" "d/dt Teacup Temperature" "disassembly names the derivative"

# HDF5, read back with xarray
expect 0 "run to HDF5" "$W" run tests/models/teacup.mdl -o "$T/r.h5" --method rkf45 --rtol 1e-8
if "$PY" -c "import xarray, h5py" 2>/dev/null; then
    "$PY" - "$T/r.h5" >"$T/py" 2>&1 <<'EOF'
import sys, math, xarray as xr
ds = xr.open_dataset(sys.argv[1])
v = ds["Teacup Temperature"]
assert v.dims == ("time",), v.dims
assert ds["time"].attrs["units"] == "Minute", ds["time"].attrs
for name in ds.data_vars:
    assert "units" in ds[name].attrs, name
assert ds["Teacup Temperature"].attrs["units"] == "Degrees Fahrenheit"
assert ds["Room Temperature"].dims == ()      # a constant has no time axis
for a in ("Conventions", "wandel_version", "model_path", "model_sha256", "method", "rtol", "atol", "created"):
    assert a in ds.attrs, a
assert ds.attrs["Conventions"] == "CF-1.8" and ds.attrs["method"] == "rkf45"
t = ds["time"].values
assert len(t) == 241 and abs(t[-1] - 30) < 1e-12
err = max(abs(float(v.sel(time=x)) - (70 + 110 * math.exp(-x / 10))) for x in t)
assert err < 1e-5, err
print("xarray ok")
EOF
    contains "$T/py" "xarray ok" "HDF5 opens in xarray with time, units and root attributes"
else
    echo "python3 cannot import xarray; skipping the HDF5 round trip"
fi
expect 2 "HDF5 to stdout refused" "$W" run tests/models/teacup.mdl --format h5 -o -

# scenarios: layers, sets with series, output settings, errors with file:line
mkdir -p "$T/sc/layers"
cp tests/models/teacup.mdl "$T/sc/teacup.mdl"
cat >"$T/sc/layers/room.cfg" <<'EOF'
model = "../teacup.mdl";
set = ( { var = "Room Temperature"; value = 20.0; } );
EOF
cat >"$T/sc/top.cfg" <<'EOF'
name = "cold-room";
extends = ["layers/room.cfg"];
time = { stop = 10.0; save = 1.0; };
set = ( { var = "Characteristic Time"; points = ([0.0, 10.0], [5.0, 5.0]); interp = "step"; } );
output = { file = "out.csv"; vars = ["Teacup Temperature"]; };
EOF
expect 0 "scenario run" "$W" run "$T/sc/top.cfg"
[ -f "$T/sc/out.csv" ] && ok "scenario output file relative to the scenario" || bad "scenario output missing"
head -1 "$T/sc/out.csv" | grep -qx "Time,Teacup Temperature" && ok "output.vars selects columns" || bad "columns: $(head -1 "$T/sc/out.csv")"
[ "$(wc -l <"$T/sc/out.csv")" -eq 12 ] && ok "time settings applied" || bad "rows: $(wc -l <"$T/sc/out.csv")"
sed -n 2p "$T/sc/out.csv" | grep -q "^0,180$" && ok "initial value" || bad "row: $(sed -n 2p "$T/sc/out.csv")"
cat >"$T/sc/typo.cfg" <<'EOF'
model = "teacup.mdl";
set = (
  { var = "Room Temperatur"; value = 20.0; }
);
EOF
expect 2 "scenario unknown variable" "$W" run "$T/sc/typo.cfg"
contains "$T/err" "typo.cfg:3: error: set: unknown variable 'Room Temperatur' (did you mean 'Room Temperature'" "scenario error names file, line, suggestion"
printf 'model = "nowhere.mdl";\n' >"$T/sc/nomodel.cfg"
expect 2 "scenario missing model" "$W" run "$T/sc/nomodel.cfg"
contains "$T/err" "nomodel.cfg:1" "missing model names the scenario line"

# the default scenario
expect 0 "default scenario" "$W" run scenarios/default.cfg -o "$T/default.h5" --summary
contains "$T/out" "final values" "summary printed"

# --table/--at: values at save points, arrays expand, bad input exits 2
expect 0 "--table" "$W" run tests/models/teacup.mdl -o "$T/t.tsv" --table "Teacup Temperature,Room Temperature" --at 0,10,30
contains "$T/out" "Teacup Temperature" "--table names the variable"
# closed form of the teacup at t=0: 180; the row has three values
grep "^Teacup Temperature" "$T/out" | awk '{ if ($(NF-2) == 180.0 && NF >= 5) exit 0; exit 1 }' && ok "--table value at t=0" || bad "--table row: $(grep '^Teacup' "$T/out")"
expect 2 "--table unknown name" "$W" run tests/models/teacup.mdl -o "$T/t.tsv" --table "Teacup Temp"
contains "$T/err" "no variable or element named 'Teacup Temp'" "--table names the unknown variable"
expect 2 "--at not a save point" "$W" run tests/models/teacup.mdl -o "$T/t.tsv" --table "Teacup Temperature" --at 0.3
contains "$T/err" "not a save point" "--at explains the save points"
expect 2 "--at without --table" "$W" run tests/models/teacup.mdl --at 10
expect 2 "--at malformed" "$W" run tests/models/teacup.mdl --table "Teacup Temperature" --at 10,x

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
