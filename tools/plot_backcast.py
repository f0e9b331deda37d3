#!/usr/bin/python3
"""Plot of the Ruhr back-cast against the historical record (docs/backcast.png).

Runs scenarios/ruhr-history.cfg with build/wandel, saving at every TIME STEP
(or reads a TSV result given with --run), and draws, for the main series of
data/ruhr-history.csv, the simulated path 1960-2023 and the data points at
their own times (filled: direct values; open: values derived from German
series, converted or computed in the source; squares: a proxy from another
area), as `wandel calibrate` compares them (tools/backcast_fit.py).

    /usr/bin/python3 tools/plot_backcast.py -o docs/backcast.png

Needs Debian's python3-matplotlib (in the Makefile's DEB_PKGS).
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backcast_fit  # noqa: E402

ROOT = backcast_fit.ROOT

PANELS = [
    ("population[Ruhr]", "population", 1e6, "million persons"),
    ("unemployment rate[Ruhr]", "unemployment rate", 1, "percent"),
    ("unemployed[Ruhr]", "registered unemployed", 1e3, "thousand persons"),
    ("sv employment[Ruhr]", "SV employment", 1e6, "million persons"),
    ("jobs[Ruhr,Mining]", "hard-coal mining jobs", 1e3, "thousand persons"),
    ("coal output[Ruhr]", "hard-coal output", 1, "Mt/year"),
    ("co2 emissions[Ruhr]", "CO2 emissions", 1, "Mt CO2/year"),
    ("municipal debt[Ruhr]", "municipal debt", 1, "bn EUR (2015 prices)"),
    ("gross value added[Ruhr]", "gross value added", 1, "bn EUR (2015 prices)"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="TSV result of the back-cast (default: run it)")
    ap.add_argument("--wandel", default=os.path.join(ROOT, "build", "wandel"))
    ap.add_argument("--scenario", default=os.path.join(ROOT, "scenarios", "ruhr-history.cfg"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "ruhr-history.csv"))
    ap.add_argument("-o", "--output", default=os.path.join(ROOT, "docs", "backcast.png"))
    a = ap.parse_args()
    cols, times, body = backcast_fit.read_tsv(a.run) if a.run else backcast_fit.run_model(a.wandel, a.scenario)
    with open(a.data) as f:
        rows = [r for r in csv.DictReader(f) if r["kind"] != "input"]
    fig, axes = plt.subplots(3, 3, figsize=(13, 10))
    for ax, (var, title, scale, unit) in zip(axes.flat, PANELS):
        ax.plot(times, [r[cols[var]] / scale for r in body], color="tab:blue", label="model")
        for kind, marker, fill, label in (("direct", "o", "full", "data"), ("derived", "o", "none", "data (derived)"),
                                          ("proxy", "s", "none", "data (proxy)")):
            pts = [(float(r["time"]), float(r["value"]) * float(r["scale"]) / scale) for r in rows
                   if r["series"] == var and r["kind"] == kind]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker, linestyle="none",
                        color="tab:red", fillstyle=fill, label=label)
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.set_xlim(1958, 2025)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(loc="lower left", fontsize=8)
    axes.flat[1].legend(loc="upper left", fontsize=8)
    axes.flat[4].legend(loc="upper right", fontsize=8)
    fig.suptitle("Ruhr back-cast 1960-2023 (scenarios/ruhr-history.cfg, calibrated) against data/ruhr-history.csv")
    fig.tight_layout()
    tmp = a.output + ".tmp.png"
    fig.savefig(tmp, dpi=90)
    os.replace(tmp, a.output)
    print(a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
