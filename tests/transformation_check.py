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


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("levers", "balance", "outputs"):
        print(__doc__, file=sys.stderr)
        return 2
    {"levers": levers, "balance": balance, "outputs": outputs}[sys.argv[1]](sys.argv[2])
    print(f"{fails} failure(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
