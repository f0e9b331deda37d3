#!/bin/sh
# `wandel compare` from the command line: usage errors, the plan, the HDF5
# file read back with xarray (region, package and shock dimensions on every
# series), the tidy CSV with every indicator of every cell, the same results
# on one and two threads, and the documented effects of the shipped
# comparison (scenarios/comparison.cfg on the stand-in model).
# Run from the repository root by tests/run_tests.sh (WANDEL, PYTHON set).
set -u
PY=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
W="$T/wandel"
printf '#!/bin/sh\nexec %s %s "$@"\n' "${WANDEL_WRAP:-}" "$(cd "$(dirname "${WANDEL:-build/wandel}")" && pwd)/$(basename "${WANDEL:-build/wandel}")" >"$W"
chmod +x "$W"
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
expect() {
    want=$1; name=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" = "$want" ]; then ok "$name"; else bad "$name (exit $got, expected $want)"; sed 's/^/    /' "$T/err" | head -8; fi
}
contains() {
    if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in $1"; sed 's/^/    /' "$1" | head -8; fi
}

expect 0 "compare --help" "$W" compare --help
contains "$T/out" "usage: wandel compare" "usage text"
expect 2 "no file" "$W" compare
expect 2 "unknown option" "$W" compare tests/compare/small.cfg --frob
expect 2 "-j 0" "$W" compare tests/compare/small.cfg -j 0
expect 2 "missing file" "$W" compare tests/compare/nope.cfg
expect 2 "output directory missing" "$W" compare tests/compare/small.cfg -o "$T/no/such/dir/x.h5"
contains "$T/err" "does not exist" "names the missing directory"
expect 0 "--plan" "$W" compare tests/compare/small.cfg --plan
contains "$T/out" "16 cells, 12 distinct runs, 3 programs" "plan counts cells, runs and programs"

expect 0 "small comparison" "$W" compare tests/compare/small.cfg -o "$T/small.h5" -j 2
contains "$T/out" "best package per region by minimax regret" "summary table"
contains "$T/out" "Pittsburgh" "summary lists every region"
[ -s "$T/small.h5" ] && [ -s "$T/small.csv" ] && ok "HDF5 and CSV written" || bad "HDF5 and CSV written"
ls -a "$T" | grep -q '\.tmp\.' && bad "temporary file left behind" || ok "no temporary file left"
expect 0 "same on one thread" "$W" compare tests/compare/small.cfg -o "$T/one.h5" -j 1 -q
cmp -s "$T/small.csv" "$T/one.csv" && ok "CSV identical on 1 and 2 threads" || bad "CSV differs between 1 and 2 threads"

"$PY" - "$T/small.h5" "$T/small.csv" <<'EOF' >"$T/py" 2>&1
import sys, math
import numpy as np, pandas as pd, xarray as xr
h5, csv = sys.argv[1], sys.argv[2]
ds = xr.open_dataset(h5)
fails = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: fails.append(what)
check(ds["jobs"].dims == ("region", "package", "shock", "time", "sector"), "jobs has region, package, shock, time, sector")
check(ds["unemployment rate"].dims == ("region", "package", "shock", "time"), "a per-region series loses the model's region axis")
check(ds["carbon price"].dims == ("region", "package", "shock", "time"), "a series without region still has the three dimensions")
check(list(ds["region"].values) == ["Ruhr", "Pittsburgh"], "region coordinate")
check(list(ds["shock"].values) == ["none", "slump", "zero_gas", "gas"], "shock coordinate, 'none' first")
check(ds["indicator_value"].dims == ("region", "package", "shock", "indicator"), "indicator_value dims")
check(ds["max_regret"].dims == ("region", "package", "indicator"), "max_regret dims")
check(ds.attrs["wandel_kind"] == "comparison", "root attribute wandel_kind")
# the slump costs services jobs in 2031.5: 2% of the counterfactual
j = ds["jobs"].sel(region="Ruhr", package="current", sector="Services").sel(time=2031.5)
check(abs(float(j.sel(shock="slump")) / float(j.sel(shock="none")) - 0.98) < 1e-12, "slump: Services jobs 2% down in 2031.5")
# the CSV: every indicator of every cell, and the rankings
df = pd.read_csv(csv)
check(list(df.columns) == ["region", "package", "shock", "indicator", "value"], "CSV columns")
ind = list(ds["indicator"].values)
vals = df[df.shock.isin(ds["shock"].values) & df.indicator.isin(ind)]
check(len(vals) == 2 * 2 * 4 * len(ind), "CSV has every indicator of every cell (%d rows)" % len(vals))
check(not vals.value.isna().any(), "no indicator is NaN")
check(len(df[df.indicator.str.startswith("rank_")]) == 2 * 2 * 4 * len(ind), "CSV has the ranks")
check(len(df[(df.shock == "all") & df.indicator.str.startswith("max_regret_rank_")]) == 2 * 2 * len(ind), "CSV has the minimax-regret ranking")
v = df[(df.region == "Ruhr") & (df.package == "jt") & (df.shock == "slump") & (df.indicator == "resistance")].value.iloc[0]
h = float(ds["indicator_value"].sel(region="Ruhr", package="jt", shock="slump", indicator="resistance"))
check(abs(v - h) <= 1e-9 * abs(h), "CSV and HDF5 agree")
sys.exit(1 if fails else 0)
EOF
if [ $? -eq 0 ]; then ok "xarray and pandas read the results"; else bad "xarray and pandas read the results"; fi
sed 's/^/    /' "$T/py"

# The shipped comparison: the effects go the documented way.
expect 0 "shipped comparison" "$W" compare scenarios/comparison.cfg -o "$T/cmp.h5" -q
"$PY" - "$T/cmp.h5" <<'EOF' >"$T/py" 2>&1
import sys
import xarray as xr
ds = xr.open_dataset(sys.argv[1])
fails = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: fails.append(what)
iv = ds["indicator_value"]
check(ds.sizes["package"] >= 6 and ds.sizes["shock"] >= 4, "at least 6 packages and 3 shocks")
ei = ds["jobs"].sel(region="Ruhr", package="current", sector="Energy Intensive").sel(time=2031.0)
check(float(ei.sel(shock="gas_price")) < 0.95 * float(ei.sel(shock="none")),
      "the gas shock costs the Ruhr's energy-intensive jobs (%.0f vs %.0f)" % (float(ei.sel(shock="gas_price")), float(ei.sel(shock="none"))))
lk = iv.sel(indicator="carbon_leakage_2040", shock="none")
for r in ["Ruhr", "Saar", "Silesia"]:
    check(float(lk.sel(region=r, package="full_cbam")) < float(lk.sel(region=r, package="current")),
          "full CBAM lowers carbon leakage in %s" % r)
gj = iv.sel(indicator="green_jobs_2040", shock="none")
check(float(gj.sel(region="Pittsburgh", package="ira_credit")) > float(gj.sel(region="Pittsburgh", package="current")),
      "the IRA-style credit raises Pittsburgh's green jobs")
for r in ["Ruhr", "Saar", "Silesia"]:
    check(float(gj.sel(region=r, package="ira_credit")) < float(gj.sel(region=r, package="current")),
          "the IRA-style credit draws green jobs from %s" % r)
gas = iv.sel(indicator="jobs_lost_job_years", shock="gas_price", region="Ruhr")
check(float(gas.sel(package="gas_diversification")) < float(gas.sel(package="current")),
      "diversified gas imports cut the Ruhr's job-years lost to the gas shock")
sys.exit(1 if fails else 0)
EOF
if [ $? -eq 0 ]; then ok "documented effects"; else bad "documented effects"; fi
sed 's/^/    /' "$T/py"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
