#!/usr/bin/python3
"""Checks of the regional transformation model (models/transformation.mdl).

Run by tests/transformation.test.sh with Debian's /usr/bin/python3. Each
subcommand prints one "ok"/"FAIL" line per check and exits 1 on a failure.

  levers WANDEL     every scenario in tests/scenarios/levers moves its outputs in
                    the direction its "# expect: VAR @TIME <|>" lines document,
                    against scenarios/ruhr-baseline.cfg
  balance WANDEL    persons are conserved: population equals the population
                    accounted from births, deaths and migration alone (an
                    identity of the stock-flow structure), and no person stock
                    goes negative, in the baseline and the back-cast
  outputs WANDEL    the named outputs exist with their dimensions and units
                    (from `wandel info`), and unemployment rate, population, sv
                    employment, value added and the diversification index agree
                    with their definitions in a run
  calibration WANDEL
                    the calibration of the back-cast (scenarios/ruhr-history-
                    cal.cfg) still fits its model and data: it runs without
                    fitting (--iterations 0) at the start values and at the
                    values of the fitted layer; the layer sets exactly the
                    spec's parameters, inside their ranges; at the fitted
                    values its sum of squares is the one the layer records
                    (within 1%, else the layer is stale: calibrate again), and
                    its per-series errors are those of tools/backcast_fit.py
"""
import csv
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
fails = 0


def ok(msg):
    print(f"ok   {msg}")


def bad(msg):
    global fails
    fails += 1
    print(f"FAIL {msg}")


def run(wandel, scenario, tmp, variables=None):
    """Runs a scenario; with `variables`, through a layer that saves only those
    (whole variables, all elements), which keeps the test fast."""
    out = os.path.join(tmp, os.path.basename(scenario) + ".tsv")
    if variables:
        wrap = os.path.join(tmp, "wrap-" + os.path.basename(scenario))
        names = ", ".join('"%s"' % v for v in sorted(set(variables)))
        with open(wrap, "w") as f:
            f.write('extends = ["%s"];\noutput = { vars = [%s]; };\n' % (os.path.abspath(scenario), names))
        scenario = wrap
    subprocess.run([wandel, "run", scenario, "--format", "tsv", "-o", out, "-q"], check=True)
    with open(out) as f:
        rows = list(csv.reader(f, delimiter="\t"))
    head = rows[0]
    return {round(float(r[0]), 6): dict(zip(head, map(float, r))) for r in rows[1:]}, head


def levers(wandel):
    files = sorted(glob.glob(os.path.join(ROOT, "tests", "scenarios", "levers", "*.cfg")))
    if not files:
        bad("no lever scenarios found")
    exp = {}
    for path in files:
        exp[path] = [m.groups() for m in re.finditer(r"^# expect: (.+?) @(\S+) ([<>])\s*$", open(path).read(), re.M)]
    names = [v.split("[")[0] for e in exp.values() for v, _, _ in e]
    with tempfile.TemporaryDirectory() as tmp:
        base, _ = run(wandel, os.path.join(ROOT, "scenarios", "ruhr-baseline.cfg"), tmp, names)
        for path in files:
            name = os.path.basename(path)[:-4]
            expects = exp[path]
            if not expects:
                bad(f"{name}: no expect lines")
                continue
            sim, _ = run(wandel, path, tmp, names)
            for var, t, op in expects:
                t = round(float(t), 6)
                x, x0 = sim[t][var], base[t][var]
                good = x < x0 if op == "<" else x > x0
                msg = f"lever {name}: {var} at {t:g} {op} baseline ({x:.6g} vs {x0:.6g})"
                ok(msg) if good else bad(msg)


def balance(wandel):
    stocks = ["children", "inactive", "retired", "short term unemployed", "long term unemployed", "in retraining", "jobs"]
    with tempfile.TemporaryDirectory() as tmp:
        for scen in ("ruhr-baseline.cfg", "ruhr-history.cfg"):
            sim, head = run(wandel, os.path.join(ROOT, "scenarios", scen), tmp,
                            stocks + ["child cohort", "population", "persons accounting error"])
            worst = 0.0
            neg = []
            for t, row in sim.items():
                for c in head:
                    if c.startswith("persons accounting error["):
                        reg = c[len("persons accounting error["):-1]
                        worst = max(worst, abs(row[c]) / row[f"population[{reg}]"])
                    if any(c.startswith(s + "[") for s in stocks) and row[c] < -1e-6:
                        neg.append((t, c, row[c]))
            msg = f"{scen}: persons conserved, largest relative error {worst:.2e}"
            ok(msg) if worst < 1e-9 else bad(msg)
            msg = f"{scen}: no person stock below zero"
            ok(msg) if not neg else bad(msg + f" (first: {neg[0]})")
            # the identity again by hand for the Ruhr: population = sum of its stocks
            t = max(sim)
            row = sim[t]
            total = sum(row[c] for c in head if any(c.startswith(s + "[Ruhr") for s in stocks if s != "children")
                        and not c.startswith("jobs[") or c.startswith("jobs[Ruhr,"))
            total += sum(row[f"child cohort[Ruhr,{s}]"] for s in ("Infants", "Pupils", "Teens"))
            msg = f"{scen}: population[Ruhr] at {t:g} is the sum of its stocks"
            ok(msg) if abs(total - row["population[Ruhr]"]) <= 1e-9 * total else bad(msg + f" ({total} vs {row['population[Ruhr]']})")


OUTPUTS = {
    "jobs": ("region,sector", "persons"),
    "sv employment": ("region", "persons"),
    "unemployment rate": ("region", "percent"),
    "population": ("region", "persons"),
    "gross value added": ("region", "BnEUR/year"),
    "co2 emissions": ("region", "MtCO2/year"),
    "diversification index": ("region", "dmnl"),
    "fiscal balance": ("region", "BnEUR/year"),
}


def outputs(wandel):
    info = subprocess.run([wandel, "info", os.path.join(ROOT, "models", "transformation.mdl")],
                          check=True, capture_output=True, text=True).stdout
    for name, (dims, units) in OUTPUTS.items():
        m = re.search(r"^  " + re.escape(name) + r"\[([^\]]*)\]  \([a-z]+, ([^)]*)\)", info, re.M)
        if not m:
            bad(f"output '{name}' not found in wandel info")
            continue
        msg = f"output {name}[{m.group(1)}] has units {m.group(2)}"
        ok(msg) if m.group(1) == dims and m.group(2) == units else bad(msg + f" (expected [{dims}] {units})")
    regions = re.search(r"^  region \(\d+\):(.*)$", info, re.M).group(1).split(",")
    regions = [r.strip() for r in regions]
    msg = f"{len(regions)} regions, Ruhr among them, three outside Europe"
    good = len(regions) >= 8 and "Ruhr" in regions and all(r in regions for r in ("Pittsburgh", "Kitakyushu", "Tangshan"))
    ok(msg) if good else bad(msg)
    sectors = [s.strip() for s in re.search(r"^  sector \(\d+\):(.*)$", info, re.M).group(1).split(",")]
    need = ["Mining", "Steel", "Chemicals", "Manufacturing", "Green", "Power", "Services"]
    ok("the seven sectors") if all(s in sectors for s in need) else bad(f"sectors: {sectors}")
    with tempfile.TemporaryDirectory() as tmp:
        sim, head = run(wandel, os.path.join(ROOT, "scenarios", "ruhr-baseline.cfg"), tmp,
                        ["jobs", "short term unemployed", "long term unemployed", "unemployment rate", "sv employment",
                         "sv share", "gross value added", "output", "diversification index", "co2 emissions",
                         "sector emissions", "household emissions"])
        sectors = need
        worst = 0.0
        for t, row in sim.items():
            for r in regions:
                jobs = [row[f"jobs[{r},{s}]"] for s in sectors]
                tot = sum(jobs)
                u = row[f"short term unemployed[{r}]"] + row[f"long term unemployed[{r}]"]
                checks = [
                    (row[f"unemployment rate[{r}]"], 100 * u / (tot + u)),
                    (row[f"sv employment[{r}]"], row[f"sv share[{r}]"] * tot),
                    (row[f"gross value added[{r}]"], sum(row[f"output[{r},{s}]"] for s in sectors)),
                    (row[f"diversification index[{r}]"], 1 - sum((j / tot) ** 2 for j in jobs)),
                    (row[f"co2 emissions[{r}]"], sum(row[f"sector emissions[{r},{s}]"] for s in sectors) + row[f"household emissions[{r}]"]),
                ]
                for a, b in checks:
                    worst = max(worst, abs(a - b) / max(1e-12, abs(b)))
        msg = f"outputs agree with their definitions in every region and year (largest relative difference {worst:.1e})"
        ok(msg) if worst < 1e-9 else bad(msg)


def calibration_report(wandel, spec, tmp, name):
    """Runs `wandel calibrate SPEC --starts 1 --iterations 0`: (summary line,
    {series: (points, rmse, mape)}) or None when it fails."""
    r = subprocess.run([wandel, "calibrate", spec, "--starts", "1", "--iterations", "0", "-q"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        bad(f"calibrate {name} --iterations 0 exits {r.returncode}: {r.stderr.strip()[:400]}")
        return None
    data = re.search(r"^  data +(.*)$", r.stdout, re.M)
    series = {}
    for m in re.finditer(r"^  (\S.*?) {2,}(\d+) +(\S+) +(\S+)% +\S+% ", r.stdout, re.M):
        series[m.group(1)] = (int(m.group(2)), float(m.group(3)), float(m.group(4)))
    fit = re.search(r"SSR ([0-9.e+-]+);", r.stdout)
    return data.group(1) if data else "", series, float(fit.group(1)) if fit else float("nan")


def calibration(wandel):
    spec = os.path.join(ROOT, "scenarios", "ruhr-history-cal.cfg")
    layer = os.path.join(ROOT, "scenarios", "regions", "ruhr-fitted.cfg")
    with open(spec) as f:
        params = re.findall(r'\{ *var = "([^"]+)"; *min = ([^;]+); *max = ([^;]+);', f.read())
    with open(layer) as f:
        text = f.read()
    fitted = dict((v, float(x)) for v, x in re.findall(r'^  \{ var = "([^"]+)"; value = ([^;]+); \}', text, re.M))
    recorded = re.search(r"^#   fit +best start \d+, SSR ([0-9.e+-]+);", text, re.M)
    names = [p[0] for p in params]
    msg = f"the fitted layer sets exactly the {len(names)} parameters of the calibration spec"
    ok(msg) if sorted(names) == sorted(fitted) else bad(f"{msg}: spec {sorted(names)}, layer {sorted(fitted)}")
    outside = [v for v, lo, hi in params if v in fitted and not float(lo) <= fitted[v] <= float(hi)]
    msg = "every fitted value lies inside its range"
    ok(msg) if not outside else bad(f"{msg}: {outside}")
    with tempfile.TemporaryDirectory() as tmp:
        rep = calibration_report(wandel, spec, tmp, "ruhr-history-cal.cfg")
        if rep:
            ok(f"calibrate --iterations 0 runs the spec against the model and data ({rep[0]})")
        # the spec again, starting at the fitted values (params merge by variable)
        at = os.path.join(tmp, "at-fitted.cfg")
        with open(at, "w") as f:
            f.write('extends = ["%s"];\ncalibrate = {\n  params = (\n' % spec)
            f.write(",\n".join('    { var = "%s"; min = %s; max = %s; start = %r; }' % (v, lo, hi, fitted.get(v, float(lo)))
                              for v, lo, hi in params))
            f.write("\n  );\n};\n")
        rep = calibration_report(wandel, at, tmp, "at the fitted values")
        if not rep:
            return
        _, series, ssr = rep
        want = float(recorded.group(1)) if recorded else float("nan")
        msg = f"SSR at the fitted values {ssr:.6g} is the fitted layer's {want:.6g}"
        ok(msg) if abs(ssr - want) <= 0.01 * want else bad(msg + " (the layer is stale: run wandel calibrate again)")
        out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "backcast_fit.py"), "--wandel", wandel],
                             capture_output=True, text=True, check=True).stdout
        tool = {}
        for m in re.finditer(r"^(.*?) +n= *(\d+) +RMSE= *(\S+) +MAPE= *(\S+)%", out, re.M):
            tool[m.group(1).strip()] = (int(m.group(2)), float(m.group(3)), float(m.group(4)))
        diff = [k for k in set(tool) | set(series)
                if k not in tool or k not in series or tool[k][0] != series[k][0]
                or abs(tool[k][1] - series[k][1]) > 1e-3 * abs(series[k][1]) + 1e-12
                or abs(tool[k][2] - series[k][2]) > 0.06 + 5e-3 * abs(series[k][2])]  # printed to 3 digits
        msg = f"tools/backcast_fit.py's errors equal the calibration's at the fitted values ({len(series)} series)"
        ok(msg) if not diff else bad(f"{msg}: differ for {sorted(diff)}")


def main():
    cmds = {"levers": levers, "balance": balance, "outputs": outputs, "calibration": calibration}
    if len(sys.argv) != 3 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    cmds[sys.argv[1]](sys.argv[2])
    print(f"{fails} failure(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
