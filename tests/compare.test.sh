#!/bin/sh
# `wandel compare` from the command line: usage errors, the plan, the HDF5
# file read back with xarray (region, package and shock dimensions on every
# series), the tidy CSV with every indicator of every cell, the same results
# on one and two threads (tests/compare/small.cfg on the stand-in model), and
# the shipped comparison (scenarios/comparison.cfg on the regional
# transformation model): every cell, and the documented effects.
# Run from the repository root by tests/run_tests.sh (WANDEL, PYTHON set).
set -u
. tests/lib.sh
wrap_wandel

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
[ "$(stat -c %a "$T/small.csv")" = "$(stat -c %a "$T/small.h5")" ] && ok "CSV has the HDF5 file's permissions" ||
    bad "CSV permissions $(stat -c %a "$T/small.csv"), HDF5 $(stat -c %a "$T/small.h5")"
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

# The shipped comparison (scenarios/comparison.cfg on models/transformation.mdl):
# every cell, and the effects go the way docs/comparison.md says.
expect 0 "shipped comparison" "$W" compare scenarios/comparison.cfg -o "$T/cmp.h5" -j 2
contains "$T/out" "10 regions x 7 packages x 3 shocks" "shipped matrix: 10 regions, 7 packages, 3 shocks"
for r in Ruhr Pittsburgh "Upper Silesia" "Nord Pas de Calais" Teesside Liege Lusatia Ostrava Kitakyushu Tangshan; do
    grep -q "^$r  *[a-z_]" "$T/out" && ok "summary lists $r" || bad "summary lacks $r"
done
"$PY" - "$T/cmp.h5" "$T/cmp.csv" <<'EOF' >"$T/py" 2>&1
import sys
import pandas as pd, xarray as xr
ds = xr.open_dataset(sys.argv[1])
df = pd.read_csv(sys.argv[2])
fails = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: fails.append(what)
regions = ["Ruhr", "Pittsburgh", "Upper Silesia", "Nord Pas de Calais", "Teesside", "Liege", "Lusatia",
           "Ostrava", "Kitakyushu", "Tangshan"]
eu = ["Ruhr", "Upper Silesia", "Nord Pas de Calais", "Liege", "Lusatia", "Ostrava"]
check(list(ds["region"].values) == regions, "all ten regions of the model")
check(ds.sizes["package"] == 7 and "current" in ds["package"].values, "7 packages, current policies among them")
check(list(ds["shock"].values) == ["none", "gas_price", "steel_trade", "demand_slump"], "3 shocks and the counterfactual")
check(ds["jobs"].dims == ("region", "package", "shock", "time", "sector"), "jobs(region, package, shock, time, sector)")
ind = list(ds["indicator"].values)
for need in ["jobs_change_2040_pct", "unemployment_rate_2040", "co2_change_2040_pct", "cumulative_co2_2050",
             "gva_change_2040_pct", "fiscal_balance_2040", "resistance", "recovery_years",
             "jobs_lost_job_years", "diversification_2040", "carbon_leakage_2040", "score"]:
    check(need in ind, "indicator " + need)
vals = df[df.shock.isin(ds["shock"].values) & df.indicator.isin(ind)]
check(len(vals) == 10 * 7 * 4 * len(ind) and len(vals.drop_duplicates(["region", "package", "shock", "indicator"])) == len(vals),
      "CSV: every indicator of every region x package x shock (%d rows)" % len(vals))
check(not vals.value.isna().any(), "no indicator is NaN (no run failed)")
iv = ds["indicator_value"]
def I(region, package, shock, indicator):
    return float(iv.sel(region=region, package=package, shock=shock, indicator=indicator))

# 1. The gas shock costs the Ruhr's energy-intensive sectors (steel and
# chemicals) jobs: below the counterfactual throughout 2031-2036, and by
# more than 5% at the trough; Pittsburgh, shielded by its own gas market,
# loses a smaller share of its energy-intensive jobs.
def ei(region, shock):
    return ds["jobs"].sel(region=region, package="current", shock=shock, sector=["Steel", "Chemicals"]).sum("sector")
win = slice(2031.0, 2036.0)
rel = (ei("Ruhr", "gas_price") / ei("Ruhr", "none")).sel(time=win)
check(bool((rel < 1.0).all()), "gas shock: Ruhr steel and chemicals jobs below the counterfactual in 2031-2036")
check(float(rel.min()) < 0.95, "gas shock: Ruhr steel and chemicals jobs %.1f%% down at the trough (%g)"
      % (100 * (1 - float(rel.min())), float(rel.idxmin())))
pit = (ei("Pittsburgh", "gas_price") / ei("Pittsburgh", "none")).sel(time=win)
check(float(pit.min()) > float(rel.min()), "gas shock: Pittsburgh fares better (at worst %+.1f%% against the counterfactual) than the Ruhr"
      % (100 * (float(pit.min()) - 1)))
check(I("Ruhr", "current", "gas_price", "jobs_lost_job_years") > 0, "gas shock: the Ruhr loses job-years (%.0f)"
      % I("Ruhr", "current", "gas_price", "jobs_lost_job_years"))

# 2. Full CBAM lowers carbon leakage (emissions of the production moved from
# the EU regions to suppliers outside the EU) against no CBAM, and against
# current policies; no CBAM raises it above current policies.
lk = {p: I("Ruhr", p, "none", "carbon_leakage_2040") for p in ["full_cbam", "current", "no_cbam"]}
check(lk["full_cbam"] < lk["current"] < lk["no_cbam"],
      "carbon leakage 2040: full CBAM %.2f < current %.2f < no CBAM %.2f Mt/year" % (lk["full_cbam"], lk["current"], lk["no_cbam"]))
check(all(I(r, "full_cbam", s, "carbon_leakage_2040") < I(r, "no_cbam", s, "carbon_leakage_2040")
          for r in regions for s in ds["shock"].values), "full CBAM lowers leakage against no CBAM in every cell")
st = ds["jobs"].sel(region="Ruhr", shock="none", sector="Steel", time=2040.0)
check(float(st.sel(package="no_cbam")) < float(st.sel(package="full_cbam")),
      "without CBAM the Ruhr's steel jobs move abroad (%.0f against %.0f in 2040)"
      % (float(st.sel(package="no_cbam")), float(st.sel(package="full_cbam"))))

# 3. The IRA-style credit in Pittsburgh raises its green jobs and draws green
# jobs from every other region.
gj = lambda r, p: I(r, p, "none", "green_jobs_2040")
check(gj("Pittsburgh", "ira_credit") > gj("Pittsburgh", "current"),
      "IRA-style credit: Pittsburgh's green jobs %.0f against %.0f" % (gj("Pittsburgh", "ira_credit"), gj("Pittsburgh", "current")))
for r in [x for x in regions if x != "Pittsburgh"]:
    check(gj(r, "ira_credit") < gj(r, "current"),
          "IRA-style credit draws green jobs from %s (%+.0f)" % (r, gj(r, "ira_credit") - gj(r, "current")))

# 4. Documented effects of the region's own packages: the just transition
# raises the Ruhr's jobs and lowers its unemployment; diversified gas imports
# cut the job-years lost to the gas shock where a dominant supplier remains,
# and change nothing where none does.
check(I("Ruhr", "just_transition", "none", "jobs_change_2040_pct") > I("Ruhr", "current", "none", "jobs_change_2040_pct")
      and I("Ruhr", "just_transition", "none", "unemployment_rate_2040") < I("Ruhr", "current", "none", "unemployment_rate_2040"),
      "just transition: more jobs and less unemployment in the Ruhr in 2040")
for r in ["Kitakyushu", "Tangshan"]:
    check(I(r, "gas_diversification", "gas_price", "jobs_lost_job_years") < I(r, "current", "gas_price", "jobs_lost_job_years"),
          "diversified gas imports cut %s's job-years lost to the gas shock" % r)
check(all(I(r, "gas_diversification", "gas_price", "jobs_lost_job_years") == I(r, "current", "gas_price", "jobs_lost_job_years")
          for r in eu), "diversified gas imports change nothing for the EU regions (no dominant supplier left)")

# 5. The headline of docs/comparison.md and README.md: for the Ruhr, full CBAM
# ranks first by minimax regret of the score, the just transition second and
# no CBAM last (when this fails after a change of the model, the prose is out
# of date: rewrite it from the summary table).
mr = ds["max_regret"].sel(region="Ruhr", indicator="score").to_series().sort_values(kind="stable")
check(list(mr.index[:2]) == ["full_cbam", "just_transition"] and mr.index[-1] == "no_cbam",
      "Ruhr ranking by maximum regret: " + " ".join("%s(%.3g)" % (p, v) for p, v in mr.items()))
sys.exit(1 if fails else 0)
EOF
if [ $? -eq 0 ]; then ok "documented effects of the shipped comparison"; else bad "documented effects of the shipped comparison"; fi
sed 's/^/    /' "$T/py"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
