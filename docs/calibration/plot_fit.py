#!/usr/bin/env python3
"""Plots observed against fitted series from the HDF5 file of
`wandel calibrate --h5` (docs/calibration.md).

    /usr/bin/python3 docs/calibration/plot_fit.py FIT.h5 OUT.png [--log] [--title TEXT]

Every dataset "<label> (observed)" is drawn as points over the fitted run of
the variable it was compared with (its "description" attribute names it;
with one model series that one), on one panel per observed series.
Needs Debian's python3-matplotlib and python3-xarray.
"""
import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("h5")
    ap.add_argument("png")
    ap.add_argument("--log", action="store_true", help="logarithmic value axis")
    ap.add_argument("--title", default=None)
    a = ap.parse_args()
    ds = xr.open_dataset(a.h5)
    observed = [v for v in ds.data_vars if v.endswith(" (observed)")]
    fitted = [v for v in ds.data_vars if not v.endswith(" (observed)")]
    fig, axes = plt.subplots(len(observed), 1, figsize=(7, 3.6 * len(observed)), squeeze=False)
    t = ds["time"].values
    for ax, name in zip(axes[:, 0], observed):
        desc = str(ds[name].attrs.get("description", ""))
        model = next((f for f in fitted if "'%s'" % f in desc), fitted[0])
        y = ds[name].values
        m = ds[model].values
        k = np.isfinite(y)
        ax.plot(t, m, "-", color="tab:blue", label="%s, fitted run" % model)
        ax.plot(t[k], y[k], "o", color="tab:red", label="observed")
        for ti, yi, mi in zip(t[k], y[k], m[k]):
            ax.plot([ti, ti], [yi, mi], ":", color="grey", linewidth=0.8)
        units = ds[model].attrs.get("units", "")
        ax.set_ylabel("%s (%s)" % (model, units) if units else model)
        ax.set_xlabel("time (%s)" % ds["time"].attrs.get("units", ""))
        if a.log:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend()
    if a.title:
        fig.suptitle(a.title)
    fig.tight_layout()
    fig.savefig(a.png, dpi=110)


if __name__ == "__main__":
    main()
