#!/usr/bin/python3
"""Error of the Ruhr back-cast against the historical record.

Runs scenarios/ruhr-history.cfg with build/wandel (or reads a TSV result given
with --run), compares each series in data/ruhr-history.csv with the simulated
value in the same year and prints, per series, the number of points, the root
mean square error (in the series' unit) and the mean absolute percentage error.

    /usr/bin/python3 tools/backcast_fit.py                 # table per series
    /usr/bin/python3 tools/backcast_fit.py --points        # and every point
    /usr/bin/python3 tools/backcast_fit.py --check docs/backcast-bounds.csv  # CSV series,max_mape,max_rmse
    /usr/bin/python3 tools/backcast_fit.py --markdown      # table for docs/model.md

Rows of kind "derived" (German series scaled by the Ruhr share, values derived
in the source) are reported in separate series named "... (derived)". The
target value is value * scale. Exit status 1 when --check finds a series whose
error exceeds its bound.
"""
import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_model(wandel, scenario):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "run.tsv")
        subprocess.run([wandel, "run", scenario, "--format", "tsv", "-o", out, "-q"], check=True)
        return read_tsv(out)


def read_tsv(path):
    with open(path) as f:
        rows = list(csv.reader(f, delimiter="\t"))
    head, body = rows[0], rows[1:]
    cols = {name: i for i, name in enumerate(head)}
    data = {}
    for r in body:
        data[round(float(r[0]), 6)] = r
    return cols, data


def targets(path):
    with open(path) as f:
        for r in csv.DictReader(f):
            yield r


def compare(cols, data, rows):
    """Returns {series: [(year, target, simulated), ...]}."""
    out = {}
    for r in rows:
        var = r["series"]
        if var not in cols:
            raise SystemExit(f"backcast_fit: the run has no column '{var}' (data/ruhr-history.csv)")
        year = round(float(r["year"]), 6)
        if year not in data:
            continue
        target = float(r["value"]) * float(r["scale"])
        sim = float(data[year][cols[var]])
        name = var + (" (derived)" if r["kind"] == "derived" else "")
        out.setdefault(name, []).append((r["year"], target, sim))
    return out


def errors(points):
    n = len(points)
    rmse = math.sqrt(sum((s - t) ** 2 for _, t, s in points) / n)
    mape = 100.0 * sum(abs(s - t) / abs(t) for _, t, s in points if t != 0) / max(1, sum(1 for _, t, _ in points if t != 0))
    return n, rmse, mape


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="TSV result of the back-cast (default: run it)")
    ap.add_argument("--wandel", default=os.path.join(ROOT, "build", "wandel"))
    ap.add_argument("--scenario", default=os.path.join(ROOT, "scenarios", "ruhr-history.cfg"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "ruhr-history.csv"))
    ap.add_argument("--points", action="store_true", help="print every point")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--check", help="CSV of series,max_mape,max_rmse (either may be empty): fail when a "
                    "series exceeds a bound")
    a = ap.parse_args()
    cols, data = read_tsv(a.run) if a.run else run_model(a.wandel, a.scenario)
    res = compare(cols, data, targets(a.data))
    if a.markdown:
        print("| series | points | RMSE | MAPE (%) |")
        print("|---|---:|---:|---:|")
    for name, pts in res.items():
        n, rmse, mape = errors(pts)
        if a.markdown:
            print(f"| `{name}` | {n} | {rmse:.4g} | {mape:.1f} |")
        else:
            print(f"{name:45s} n={n:2d}  RMSE={rmse:12.4g}  MAPE={mape:6.1f}%")
        if a.points:
            for y, t, s in pts:
                print(f"    {y:>7s}  target {t:12.5g}  model {s:12.5g}  {100 * (s - t) / t if t else float('nan'):+7.1f}%")
    if a.check:
        bad = 0
        with open(a.check) as f:
            for r in csv.DictReader(f):
                if r["series"] not in res:
                    print(f"FAIL {r['series']}: not compared", file=sys.stderr)
                    bad += 1
                    continue
                _, rmse, mape = errors(res[r["series"]])
                if r.get("max_mape") and mape > float(r["max_mape"]):
                    print(f"FAIL {r['series']}: MAPE {mape:.1f}% above the bound {r['max_mape']}%", file=sys.stderr)
                    bad += 1
                elif r.get("max_rmse") and rmse > float(r["max_rmse"]):
                    print(f"FAIL {r['series']}: RMSE {rmse:.4g} above the bound {r['max_rmse']}", file=sys.stderr)
                    bad += 1
                else:
                    print(f"ok   {r['series']}: MAPE {mape:.1f}%, RMSE {rmse:.4g} within the bounds")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
