#!/bin/sh
# Command-line tests of `wandel calibrate`: usage, bad specs exiting 2 with
# file and line, the fitted layer (reused by a scenario), the HDF5 file read
# back with xarray, and results independent of -j.
# Run from the repository root by tests/run_tests.sh (WANDEL, PYTHON set).
set -u
. tests/lib.sh

expect 0 "calibrate --help" "$W" calibrate --help
contains "$T/out" "usage: wandel calibrate" "usage text"
"$W" --help | grep -q "calibrate" && ok "listed in wandel --help" || bad "not listed in wandel --help"
expect 2 "no file" "$W" calibrate
expect 2 "bad -j" "$W" calibrate tests/calib/logistic-cal.cfg -j 0
expect 2 "unknown option" "$W" calibrate tests/calib/logistic-cal.cfg --frob
expect 2 "scenario without calibrate" "$W" calibrate tests/scenarios/diamond/top.cfg
expect 2 "bad --starts" "$W" calibrate tests/calib/logistic-cal.cfg --starts 0
expect 2 "bad --iterations" "$W" calibrate tests/calib/logistic-cal.cfg --iterations -1

# --starts / --iterations override the spec; --iterations 0 reports the first
# start point without fitting (the spec's start 0.2, 1 start instead of 4)
expect 0 "--starts 1 --iterations 0" "$W" calibrate -q tests/calib/logistic-cal.cfg --starts 1 --iterations 0
contains "$T/out" "1 start on 1 thread" "one start"
contains "$T/out" "not fitted (no iterations)" "not fitted"
grep -Eq '^  Growth Rate +0\.2 ' "$T/out" && ok "estimate is the start value" || { bad "estimate is not the start value"; grep 'Growth Rate' "$T/out"; }

# bad specs: exit 2, the message names the scenario file and line
expect 2 "unknown parameter" "$W" calibrate -q tests/calib/bad/unknown-param.cfg
contains "$T/err" "tests/calib/bad/unknown-param.cfg:3: error: calibrate parameter: unknown variable 'Growth Rat'" "unknown parameter at its line"
expect 2 "unknown data variable" "$W" calibrate -q tests/calib/bad/unknown-data-var.cfg
contains "$T/err" "tests/calib/bad/unknown-data-var.cfg:5: error: calibrate data: unknown variable 'Populaton'" "unknown data variable at its line"
expect 2 "no matching rows" "$W" calibrate -q tests/calib/bad/no-rows.cfg
contains "$T/err" "tests/calib/bad/no-rows.cfg:5: error: data for 'Population': no row of logistic.csv matches" "no rows at its line"
contains "$T/err" "there: 'population', 'area'" "no rows lists the values present"
expect 2 "min > max" "$W" calibrate -q tests/calib/bad/min-max.cfg
contains "$T/err" "tests/calib/bad/min-max.cfg:5: error: calibrate parameter 'Carrying Capacity': min = 900 must be below max = 100" "min > max at its line"
expect 2 "data outside the run's time" "$W" calibrate -q tests/calib/bad/outside-time.cfg
contains "$T/err" "tests/calib/bad/outside-time.cfg:6: error: data for 'Population': 10 observations lie outside the run's time 0 to 20" "outside time at its line"
contains "$T/err" "logistic.csv:23" "outside time names the data line"

# a fit with a layer and HDF5
cp tests/calib/logistic.mdl tests/calib/logistic.csv tests/calib/logistic-cal.cfg "$T/"
expect 0 "calibrate logistic" "$W" calibrate "$T/logistic-cal.cfg" -o "$T/fitted.cfg" --h5 "$T/fit.h5" -j 2
contains "$T/out" "95% interval" "report has intervals"
contains "$T/out" "correlation of the estimates" "report has correlations"
contains "$T/out" "RMSE" "report has RMSE"
contains "$T/err" "start 1/4" "progress on stderr"
contains "$T/fitted.cfg" '{ var = "Growth Rate"; value = ' "layer sets the fit"
contains "$T/fitted.cfg" '#   extends = ["logistic-cal.cfg", "fitted.cfg"];' "layer says how to use it"
ls -a "$T" | grep -q '\.tmp\.' && bad "temporary file left behind" || ok "no temporary file left"
printf 'extends = ["logistic-cal.cfg", "fitted.cfg"];\n' >"$T/use.cfg"
expect 0 "a scenario extends the layer" "$W" run "$T/use.cfg" -o "$T/use.tsv"
r=$(grep 'var = "Growth Rate"' "$T/fitted.cfg" | sed 's/.*value = \([^;]*\);.*/\1/')
awk -F'\t' -v r="$r" 'NR==1{for(i=1;i<=NF;i++) if($i=="Growth Rate") c=i} NR==2{exit !($c==r)}' "$T/use.tsv" \
    && ok "the run uses the fitted value" || bad "the run does not use the fitted value $r"
if "$PY" -c "import xarray" 2>/dev/null; then
    "$PY" - "$T/fit.h5" <<'PYEOF' && ok "HDF5 read back: observed and fitted series" || bad "HDF5 check"
import sys, numpy as np, xarray as xr
ds = xr.open_dataset(sys.argv[1])
o, m = ds["Population (observed)"].values, ds["Population"].values
k = np.isfinite(o)
assert k.sum() == 31, k.sum()
rmse = float(np.sqrt(np.mean((o[k] - m[k]) ** 2)))
assert 4 < rmse < 7, rmse
assert ds["time"].attrs.get("units") == "year"
PYEOF
else
    echo "python3 with xarray not found; skipping the HDF5 check"
fi

# -j changes nothing but speed
expect 0 "calibrate -j 1" "$W" calibrate -q tests/calib/twostock-cal.cfg -o "$T/j1.cfg" -j 1
expect 0 "calibrate -j 2" "$W" calibrate -q tests/calib/twostock-cal.cfg -o "$T/j2.cfg" -j 2
sed -n '/^set = (/,$p' "$T/j1.cfg" >"$T/s1"
sed -n '/^set = (/,$p' "$T/j2.cfg" >"$T/s2"
cmp -s "$T/s1" "$T/s2" && ok "-j 1 and -j 2 fit the same values" || bad "-j 1 and -j 2 differ"

# an output that cannot be written: exit 1, nothing left behind
expect 1 "layer into a missing directory" "$W" calibrate -q tests/calib/logistic-cal.cfg -o "$T/missing/f.cfg"
contains "$T/err" "$T/missing/f.cfg" "the message names the path"

# the worked example of docs/calibration.md runs as documented
expect 0 "docs example" "$W" calibrate docs/calibration/hardcoal-cal.cfg -q -j 2 -o "$T/hc.cfg"
contains "$T/out" "Halving Time after 2007" "docs example fits its parameters"
grep -q "^warnings" "$T/out" && bad "docs example has warnings" || ok "docs example has no warnings"

echo "calib.test.sh: $fails failed"
[ $fails -eq 0 ]
