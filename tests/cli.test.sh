#!/bin/sh
# Command-line tests: help, exit statuses, output formats, the HDF5 round
# trip through xarray, scenarios, and bad input reported with file and line.
# Run from the repository root by tests/run_tests.sh (WANDEL, PYTHON set).
set -u
. tests/lib.sh
wrap_wandel

expect 0 "--help" "$W" --help
contains "$T/out" "wandel COMMAND --help" "--help lists commands"
# every file an example of a --help names is shipped
missing=""
for c in "" run check info sweep sensitivity compare calibrate merge; do
    for f in $("$W" $c --help 2>/dev/null | grep -o '[A-Za-z0-9_./-]*\.\(mdl\|cfg\)' | grep -E '^(models|scenarios|tests|docs)/'); do
        [ -f "$f" ] || missing="$missing $c:$f"
    done
done
[ -z "$missing" ] && ok "files named by --help examples exist" || bad "--help names missing files:$missing"
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
# result files get the permissions of any new file (0666 less the umask),
# not the 0600 of a private temporary
(umask 022 && "$W" run tests/models/teacup.mdl -o "$T/perm.csv" && "$W" run tests/models/teacup.mdl -o "$T/perm.h5") >/dev/null 2>&1
[ "$(stat -c %a "$T/perm.csv") $(stat -c %a "$T/perm.h5")" = "644 644" ] && ok "results readable by others under umask 022" ||
    bad "result permissions: $(stat -c %a "$T/perm.csv") $(stat -c %a "$T/perm.h5")"
# a target name near the system's limit of 255 bytes still gets a temporary
# (its name is cut) and is written whole, in every format
long=$(printf 'r%.0s' $(seq 240))
mkdir "$T/long"
for e in csv tsv h5; do
    expect 0 "long output name (.$e)" "$W" run tests/models/teacup.mdl -o "$T/long/$long.$e"
done
[ "$(ls -A "$T/long" | wc -l)" = 3 ] && ok "long names: three files, no temporary left" || bad "long names: $(ls -A "$T/long" | wc -l) entries"
expect 2 "--set unknown variable" "$W" run tests/models/teacup.mdl --set "Room Temp=20"
contains "$T/err" "did you mean 'Room Temperature'" "--set suggests the nearest name"
# --set on a computed variable replaces its equation, as a scenario's set does
expect 0 "--set computed variable" "$W" run tests/models/teacup.mdl --set "Heat Loss to Room=1" -o "$T/h.tsv"
tail -1 "$T/h.tsv" | grep -q "^30	150	1	" && ok "replaced equation drives the stock" || bad "replaced: $(tail -1 "$T/h.tsv")"

# the output directory must exist; nothing is written otherwise
expect 2 "output into a missing directory" "$W" run tests/models/teacup.mdl -o "$T/missing/r.csv"
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

# ---- arrays -----------------------------------------------------------------------
# a four-dimensional model (tabbed arrays and number lists) to HDF5: one
# dimension per range with element-name coordinates, so that xarray selects
# by name; values against the closed form of Euler's decay
expect 0 "4-D array model to HDF5" "$W" run tests/models/arrays4d.mdl -o "$T/a4.h5"
if "$PY" -c "import xarray, h5py" 2>/dev/null; then
    "$PY" - "$T/a4.h5" >"$T/py" 2>&1 <<'EOF'
import sys, xarray as xr
f = sys.argv[1]
ruhr = xr.open_dataset(f)["jobs"].sel(region="Ruhr")
assert ruhr.dims == ("time", "sector", "cohort", "skill"), ruhr.dims
assert ruhr.shape == (11, 3, 2, 2), ruhr.shape
ds = xr.open_dataset(f)
# jobs[Ruhr, coal, young, low] = 100 * 0.25 * 0.4 * (1 - 0.1 * 0.25)^(t / 0.25)
for t in (0.0, 4.0, 10.0):
    got = float(ruhr.sel(time=t, sector="coal", cohort="young", skill="low"))
    want = 100 * 0.25 * 0.4 * (1 - 0.1 * 0.25) ** round(t / 0.25)
    assert abs(got - want) <= 1e-9 * want, (t, got, want)
# services do not decline; SUM over three ranges equals xarray's sum
assert abs(float(ruhr.sel(time=10.0, sector="services").sum()) - 300.0) < 1e-9
tot = ds["total jobs"].sel(region="Ruhr")
assert abs(float(tot.sel(time=10.0)) - float(ruhr.sel(time=10.0).sum())) < 1e-9
# a 4-D constant has no time dimension; tabbed and list slices in place
w = ds["wage"]
assert w.dims == ("region", "sector", "cohort", "skill"), w.dims
assert float(w.sel(region="Saar", sector="steel", cohort="young", skill="low")) == 5.0
assert float(w.sel(region="Lorraine", sector="services", cohort="old", skill="high")) == 39.0
assert list(ds["region"].values.astype(str)) == ["Ruhr", "Saar", "Lorraine"]
print("selection ok")
EOF
    contains "$T/py" "selection ok" "xarray.open_dataset(f)[\"jobs\"].sel(region=\"Ruhr\") on a 4-D run"
fi
# the same run as TSV: columns Var[E1,E2,E3,E4]
expect 0 "4-D array model to TSV" "$W" run tests/models/arrays4d.mdl -o "$T/a4.tsv"
head -1 "$T/a4.tsv" | tr '\t' '\n' | grep -qx "jobs\[Ruhr,coal,young,low\]" && ok "4-D TSV column names" || bad "4-D TSV column names"

# bad array input: exit 2, the file and line, what was expected
arr() { # NAME TEXT EXPECTED
    printf '%s\nINITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n' "$2" >"$T/arr.mdl"
    expect 2 "$1" "$W" run "$T/arr.mdl"
    contains "$T/err" "$3" "$1: message with file and line"
}
arr "unknown element" 'd: a, b ~~|
x[d] = 1 ~~|
y = x[z] ~~|' "$T/arr.mdl:3:7: error: unknown subscript 'z' of 'x'"
arr "element of another range" 'd: a, b ~~|
e: c, f ~~|
x[d] = 1 ~~|
y = x[c] ~~|' "$T/arr.mdl:4:7: error: 'c' is not an element of range 'd'"
arr "dimension mismatch" 'd: a, b ~~|
x[d] = 1 ~~|
y[d] = x[d, d] ~~|' "$T/arr.mdl:3:8: error: 'x' has 1 subscript, but 2 are given"
arr "range not on the left-hand side" 'd: a, b ~~|
e: c, f ~~|
x[d] = 1 ~~|
y[e] = x[d] ~~|' "$T/arr.mdl:4:10: error: range 'd' (subscript of 'x') is not on the left-hand side of 'y'"
arr "mapping to a range of another size" 'd: a, b -> e ~~|
e: c, f, g ~~|' "$T/arr.mdl:1:"
contains "$T/err" "cannot map 'd' (2 elements) to 'e' (3 elements)" "mapping size named"
arr "element used twice in a range" 'd: a, b, a ~~|' "$T/arr.mdl:1:"
contains "$T/err" "element 'a' appears twice in subscript range 'd'" "repeated element named"
arr "range used twice on a left-hand side" 'd: a, b ~~|
x[d, d] = 1 ~~|' "$T/arr.mdl:2:6: error: range 'd' is used twice on the left-hand side of 'x'"
arr "element defined twice" 'd: a, b ~~|
x[d] = 1 ~~|
x[a] = 2 ~~|' "$T/arr.mdl:3:1: error: x[a] is defined twice (first at line 2)"

# data variables without equations, filled from a data file (--data, or a
# scenario's data = [...]); time across or down, the model's interpolation
printf 'x :INTERPOLATE: ~~|\nh[d] :HOLD BACKWARD: ~~|\nd: a, b ~~|\ny = x * 2 ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 4 ~~|\nTIME STEP = 1 ~~|\n' >"$T/dv.mdl"
printf 'Time\t0\t2\t4\nx\t0\t10\t30\nh[a]\t1\t2\t3\nh[b]\t5\t\t\n' >"$T/dv.tab"
expect 0 "--data fills variables without equations" "$W" run "$T/dv.mdl" --data "$T/dv.tab" -o "$T/dv.tsv"
sed -n 5p "$T/dv.tsv" | grep -q "^3	" && ok "data run saved" || bad "data run: $(sed -n 5p "$T/dv.tsv")"
"$PY" - "$T/dv.tsv" >"$T/py" 2>&1 <<'EOF'
import sys, csv
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
h = rows[0]
at = lambda name, t: float(rows[1 + t][h.index(name)])
assert at("x", 1) == 5.0 and at("x", 3) == 20.0      # interpolated
assert at("y", 3) == 40.0
assert at("h[a]", 1) == 1.0 and at("h[a]", 3) == 2.0  # held backward
assert at("h[b]", 4) == 5.0                           # written once: constant
print("data ok")
EOF
contains "$T/py" "data ok" "interpolated, held and constant data values"
expect 2 "variable without equation and no data" "$W" run "$T/dv.mdl"
contains "$T/err" "$T/dv.mdl:1:1: error: 'x' has no equation" "missing data names the variable and line"
printf 'Time,x\n0,1\n' >"$T/dv2.csv"
expect 2 "element missing from the data file" "$W" run "$T/dv.mdl" --data "$T/dv2.csv"
contains "$T/err" "'h[a]' has no equation and is not in the data file $T/dv2.csv" "missing element names the file"
mkdir -p "$T/dsc"
cp "$T/dv.mdl" "$T/dsc/m.mdl"; cp "$T/dv.tab" "$T/dsc/in.tab"
printf 'model = "m.mdl";\ndata = ["in.tab"];\n' >"$T/dsc/s.cfg"
expect 0 "scenario data = [...]" "$W" run "$T/dsc/s.cfg" -o "$T/dsc.tsv"
cmp -s "$T/dsc.tsv" "$T/dv.tsv" && ok "scenario data gives the same run" || bad "scenario data differs"
printf 'model = "m.mdl";\ndata = ["nope.tab"];\n' >"$T/dsc/bad.cfg"
expect 2 "scenario data file missing" "$W" run "$T/dsc/bad.cfg"
contains "$T/err" "bad.cfg:2" "missing data file names the scenario line"

# random functions: the same seed repeats a run exactly, another seed differs
printf 'x = RANDOM NORMAL(-10, 10, 0, 1, 0) ~~|\ny = RANDOM POISSON(0, 100, 3, 0, 1, 0) ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 20 ~~|\nTIME STEP = 1 ~~|\n' >"$T/rnd.mdl"
"$W" run "$T/rnd.mdl" --seed 7 -o "$T/r7a.tsv" && "$W" run "$T/rnd.mdl" --seed 7 -o "$T/r7b.tsv" && "$W" run "$T/rnd.mdl" --seed 8 -o "$T/r8.tsv"
cmp -s "$T/r7a.tsv" "$T/r7b.tsv" && ok "same seed, same run" || bad "same seed gave different runs"
cmp -s "$T/r7a.tsv" "$T/r8.tsv" && bad "another seed gave the same run" || ok "another seed, another run"
printf 'model = "rnd.mdl";\nseed = 7;\n' >"$T/rnd.cfg"
expect 0 "scenario seed" "$W" run "$T/rnd.cfg" -o "$T/r7c.tsv"
cmp -s "$T/r7a.tsv" "$T/r7c.tsv" && ok "scenario seed = --seed" || bad "scenario seed differs from --seed"
# engines: the same numbers from the VM and from native code (when a C
# compiler is here); a bad name is a usage error
expect 2 "bad --engine" "$W" run tests/models/teacup.mdl --engine nope
contains "$T/err" "unknown --engine" "bad --engine explained"
expect 0 "--engine vm" "$W" run models/bench/chain50.mdl --engine vm --method rkf45 -o "$T/vm.tsv"
if command -v "${WANDEL_CC:-cc}" >/dev/null 2>&1; then
    expect 0 "--engine native" "$W" run models/bench/chain50.mdl --engine native --method rkf45 --summary -o "$T/native.tsv"
    contains "$T/out" "engine  native" "summary names the engine"
    if cmp -s "$T/vm.tsv" "$T/native.tsv"; then ok "engines write identical results"; else bad "engines differ"; fi
else
    echo "no C compiler: skipping the native engine"
fi

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
