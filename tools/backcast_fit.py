#!/usr/bin/python3
"""Error of the Ruhr back-cast against the historical record.

Runs scenarios/ruhr-history.cfg with build/wandel, saving at every TIME STEP
(or reads a TSV result given with --run), compares each observation in
data/ruhr-history.csv with the simulated value at the observation's time
and prints, per series, the number of points, the root mean square error (in
the series' unit) and the mean absolute percentage error.

    /usr/bin/python3 tools/backcast_fit.py                 # table per series
    /usr/bin/python3 tools/backcast_fit.py --points        # and every point
    /usr/bin/python3 tools/backcast_fit.py --check docs/backcast-bounds.csv  # CSV series,max_mape,max_rmse
    /usr/bin/python3 tools/backcast_fit.py --markdown      # table for docs/model.md
    /usr/bin/python3 tools/backcast_fit.py --bounds > docs/backcast-bounds.csv  # 10% above the errors

The comparison is the one of the calibration (scenarios/ruhr-history-cal.cfg,
docs/calibration.md): an observation is compared at its `time` column (a
monthly count in December 2022 at 2022.96), the target is value * scale, and
a time between two saved points is interpolated linearly, so that the errors
here equal the RMSE and MAPE of `wandel calibrate`'s report at the fitted
values. Rows of kind "derived" (German series scaled by the Ruhr share,
values derived in the source) and "proxy" (another area scaled by a ratio)
form series of their own, named "... (derived)" and "... (proxy)"; rows of
kind "input" are the back-cast's starting values and are not compared.
Exit status 1 when --check finds a series whose error exceeds its bound.
"""
import argparse
import bisect
import csv
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_model(wandel, scenario, saveper=0.25):
    """Runs the scenario, saving every `saveper` years (the back-cast's TIME STEP)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "run.tsv")
        subprocess.run([wandel, "run", scenario, "--format", "tsv", "-o", out, "-q", "--saveper", str(saveper)],
                       check=True)
        return read_tsv(out)


def read_tsv(path):
    """Returns (columns {name: index}, times [sorted], rows [list of float lists])."""
    with open(path) as f:
        rows = list(csv.reader(f, delimiter="\t"))
    head, body = rows[0], rows[1:]
    cols = {name: i for i, name in enumerate(head)}
    body = sorted(([float(x) for x in r] for r in body), key=lambda r: r[0])
    return cols, [r[0] for r in body], body


def value_at(times, rows, col, t):
    """The run's value at t: exact on a saved time (within 1e-9 relative),
    else linear between the neighbours, as wandel calibrate reads it."""
    tol = 1e-9 * (abs(t) + 1)
    i = bisect.bisect_left(times, t - tol)
    if i < len(times) and abs(times[i] - t) <= tol:
        return rows[i][col]
    if i == 0 or i == len(times):
        raise SystemExit(f"backcast_fit: time {t} lies outside the run ({times[0]} to {times[-1]})")
    t0, t1 = times[i - 1], times[i]
    a, b = rows[i - 1][col], rows[i][col]
    return a + (t - t0) * (b - a) / (t1 - t0)


def series_name(row):
    return row["series"] + ("" if row["kind"] == "direct" else f" ({row['kind']})")


def targets(path):
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["kind"] != "input":
                yield r


def compare(cols, times, rows, data_rows):
    """Returns {series: [(time, target, simulated), ...]}."""
    out = {}
    for r in data_rows:
        var = r["series"]
        if var not in cols:
            raise SystemExit(f"backcast_fit: the run has no column '{var}' (data/ruhr-history.csv)")
        t = float(r["time"])
        target = float(r["value"]) * float(r["scale"])
        sim = value_at(times, rows, cols[var], t)
        out.setdefault(series_name(r), []).append((r["time"], target, sim))
    return out


def errors(points):
    n = len(points)
    rmse = math.sqrt(sum((s - t) ** 2 for _, t, s in points) / n)
    nz = [(t, s) for _, t, s in points if t != 0]
    mape = 100.0 * sum(abs(s - t) / abs(t) for t, s in nz) / len(nz) if nz else float("nan")
    return n, rmse, mape


def round_up(x, digits=2):
    """x rounded up to `digits` significant digits."""
    if x <= 0:
        return 0.0
    e = math.floor(math.log10(x)) - digits + 1
    return math.ceil(x / 10 ** e - 1e-9) * 10 ** e


# series compared by RMSE rather than MAPE: values near zero
RMSE_ONLY = {"fiscal balance[Ruhr]"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="TSV result of the back-cast saved at every TIME STEP (default: run it)")
    ap.add_argument("--wandel", default=os.path.join(ROOT, "build", "wandel"))
    ap.add_argument("--scenario", default=os.path.join(ROOT, "scenarios", "ruhr-history.cfg"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "ruhr-history.csv"))
    ap.add_argument("--points", action="store_true", help="print every point")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--bounds", action="store_true", help="print bounds 10%% above the errors (rounded up to two "
                    "digits) in the --check format")
    ap.add_argument("--check", help="CSV of series,max_mape,max_rmse (either may be empty): fail when a "
                    "series exceeds a bound")
    a = ap.parse_args()
    cols, times, rows = read_tsv(a.run) if a.run else run_model(a.wandel, a.scenario)
    res = compare(cols, times, rows, targets(a.data))
    if a.bounds:
        print("series,max_mape,max_rmse")
        for name, pts in res.items():
            _, rmse, mape = errors(pts)
            if name in RMSE_ONLY:
                print(f'"{name}",,{round_up(1.1 * rmse):g}')
            else:
                print(f'"{name}",{round_up(1.1 * mape):g},')
        return 0
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
                print(f"    {y:>8s}  target {t:12.5g}  model {s:12.5g}  {100 * (s - t) / t if t else float('nan'):+7.1f}%")
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
