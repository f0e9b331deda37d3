#!/usr/bin/python3
"""Checks of sweep result files, for tests/sweep.test.sh.

  sweep_check.py same A.h5 B.h5     every dataset and attribute equal, bit for
                                    bit (NaN equal to NaN); only `created`
                                    may differ
  sweep_check.py layout F.h5        what xarray, netCDF4 and h5netcdf see; the
                                    metrics and summaries recomputed with numpy
                                    from the stored series; failed runs NaN
  sweep_check.py lhs F.h5 VAR MIN MAX   each of the n equal strata of [MIN, MAX]
                                    holds exactly one value of VAR
  sweep_check.py morris F.h5        elementary effects of tests/models/linear.mdl
                                    against their closed form

Prints one line per check; exits 1 on the first failure.
"""
import sys

import h5py
import numpy as np


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def ok(msg):
    print("ok   " + msg)


def same(a, b):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    na, nb = sorted(fa.keys()), sorted(fb.keys())
    if na != nb:
        fail(f"datasets differ: {set(na) ^ set(nb)}")
    for k in na:
        x, y = fa[k], fb[k]
        if x.shape != y.shape or x.dtype != y.dtype:
            fail(f"{k}: shape/type {x.shape} {x.dtype} vs {y.shape} {y.dtype}")
        vx, vy = x[()], y[()]
        if x.dtype.kind == "f":
            if not np.array_equal(vx.view(np.uint64), vy.view(np.uint64)):
                d = np.argwhere(~((vx == vy) | (np.isnan(vx) & np.isnan(vy))))
                fail(f"{k}: values differ, first at {d[:1].tolist()}")
        elif not np.array_equal(vx, vy):
            fail(f"{k}: values differ")
        ax = {n: v for n, v in x.attrs.items() if n not in ("DIMENSION_LIST", "REFERENCE_LIST")}
        ay = {n: v for n, v in y.attrs.items() if n not in ("DIMENSION_LIST", "REFERENCE_LIST")}
        if ax.keys() != ay.keys() or any(not np.array_equal(ax[n], ay[n]) and not
                                         (np.all(np.isnan(ax[n])) and np.all(np.isnan(ay[n])))
                                         for n in ax if np.asarray(ax[n]).dtype.kind == "f") or any(
                                             str(ax[n]) != str(ay[n]) for n in ax
                                             if np.asarray(ax[n]).dtype.kind != "f"):
            fail(f"{k}: attributes differ")
    ra = {k: v for k, v in fa.attrs.items() if k != "created"}
    rb = {k: v for k, v in fb.attrs.items() if k != "created"}
    if ra.keys() != rb.keys():
        fail(f"root attributes differ: {set(ra) ^ set(rb)}")
    for k in ra:
        if str(ra[k]) != str(rb[k]):
            fail(f"root attribute {k}: {ra[k]!r} vs {rb[k]!r}")
    ok(f"{a} and {b} hold the same results ({len(na)} datasets)")


def pct(x, q):
    return np.percentile(x, q)  # linear interpolation: numpy's default


def layout(path):
    import xarray as xr
    for engine in ("netcdf4", "h5netcdf"):
        ds = xr.open_dataset(path, engine=engine)
        if ds.sizes["run"] != int(ds.attrs["sweep_run_count"]):
            fail(f"{engine}: run dimension")
    ok("xarray opens the file with netcdf4 and h5netcdf")
    ds = xr.open_dataset(path)
    f = h5py.File(path, "r")
    n = ds.sizes["run"]
    status = ds.status.values
    if not set(np.unique(status)) <= {1, 2}:
        fail(f"status values {np.unique(status)}")
    failed = status == 2
    if not failed.any() or failed.all():
        fail("expected some failed runs in tests/sweeps/regions.cfg")
    if not all(r.startswith("") and ("division by zero" in r) for r in ds.reason.values[failed]):
        fail("reason of a failed run")
    if any(ds.reason.values[~failed] != ""):
        fail("reason of an ok run is not empty")
    ok(f"status and reason: {failed.sum()} of {n} runs failed, each with its reason")
    for m in ds.metric.values:
        if not np.all(np.isnan(ds[m].values[failed])):
            fail(f"metric {m} of a failed run is not NaN")
    ok("metrics of failed runs are NaN")
    # series: chunked by run, compressed; NaN after the failure
    jobs = f["Jobs"]
    if jobs.chunks is None or jobs.chunks[1:] != jobs.shape[1:] or jobs.compression != "gzip" or not jobs.shuffle:
        fail(f"Jobs chunks {jobs.chunks} compression {jobs.compression}")
    if ds.Jobs.dims != ("run", "time", "Region") or list(ds.Region.values) != ["Ruhr", "Saar"]:
        fail(f"Jobs dims {ds.Jobs.dims}")
    ok(f"stored series [run, time, Region], chunks {jobs.chunks}, shuffle + deflate")
    t = ds.time.values
    J = ds.Jobs.values
    E = ds.Emissions.values
    ok_runs = ~failed
    tot = J.sum(axis=2)
    checks = {
        "jobs_final": tot[:, -1],
        "jobs_5": tot[:, 5] + 0.5 * (tot[:, 6] - tot[:, 5]),
        "ruhr_min": J[:, :, 0].min(axis=1),
        "ruhr_max": J[:, :, 0].max(axis=1),
        "cum_emissions": np.trapz(E, t, axis=1),
        "emissions_mean": np.trapz(E, t, axis=1) / (t[-1] - t[0]),
    }
    for name, want in checks.items():
        got = ds[name].values
        if not np.allclose(got[ok_runs], want[ok_runs], rtol=1e-12, atol=0):
            fail(f"metric {name} differs from numpy's reduction of the stored series")
    ok("every metric equals numpy's reduction of the stored series (final, at, min, max, integral, mean)")
    if not np.all(np.isnan(J[failed][:, -1])) or np.isnan(J[failed][:, 0]).any():
        fail("a failed run's series should hold its values before the failure and NaN after")
    ok("failed runs keep their series up to the failure, NaN after")
    # summaries against numpy
    ms = ds.metric_summary
    for name in ds.metric.values:
        x = ds[name].values
        x = x[np.isfinite(x)]
        want = [x.mean(), x.std(ddof=1), pct(x, 5), pct(x, 50), pct(x, 95)]
        if not np.allclose(ms.sel(metric=name).values, want, rtol=1e-12):
            fail(f"metric_summary of {name}")
    for tt in range(len(t)):
        x = J[:, tt, 0]
        x = x[np.isfinite(x)]
        want = [x.mean(), x.std(ddof=1), pct(x, 5), pct(x, 50), pct(x, 95)]
        if not np.allclose(ds.Jobs_summary.values[:, tt, 0], want, rtol=1e-12):
            fail(f"Jobs_summary at time {t[tt]}")
    if list(ds.stat.values) != ["mean", "sd", "p05", "p50", "p95"]:
        fail("stat coordinate")
    ok("metric_summary and the series summaries equal numpy's mean, sd and percentiles")
    for p in ds.param.values:
        if ds[p].attrs.get("sweep_role") != "parameter" or "distribution" not in ds[p].attrs:
            fail(f"parameter {p} attributes")
    if ds["Emission Factor"].values.min() < 1.0:
        fail("the truncated normal went below its min")
    if set(np.unique(ds.Capacity.values)) - {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}:
        fail("a discrete parameter took a value not in its list")
    ok("parameters: one dataset each, with their distributions; truncation and discrete values kept")


def lhs(path, var, lo, hi):
    f = h5py.File(path, "r")
    x = f[var][()]
    n = len(x)
    strata = np.floor((x - float(lo)) / (float(hi) - float(lo)) * n).astype(int)
    if sorted(strata.tolist()) != list(range(n)):
        fail(f"{var}: strata {sorted(strata.tolist())[:10]}... are not one per stratum")
    ok(f"LHS: each of the {n} strata of {var} holds exactly one run")


def morris(path):
    # tests/models/linear.mdl: Y = 3 X1 - 2 X2 + 0 X3 with X1 in [0, 1],
    # X2 in [0, 2], X3 in [5, 6]: on the unit scale the effects are 3, -4, 0
    f = h5py.File(path, "r")
    mu, mus, sig = f["mu"][()][0], f["mu_star"][()][0], f["sigma"][()][0]
    if not (np.allclose(mu, [3, -4, 0], atol=1e-9) and np.allclose(mus, [3, 4, 0], atol=1e-9)
            and np.allclose(sig, 0, atol=1e-9)):
        fail(f"morris: mu {mu}, mu* {mus}, sigma {sig}; expected 3 -4 0, 3 4 0, 0")
    ok("Morris: mu = (3, -4, 0), mu* = (3, 4, 0), sigma = 0 as the linear model's closed form")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "same":
        same(sys.argv[2], sys.argv[3])
    elif cmd == "layout":
        layout(sys.argv[2])
    elif cmd == "lhs":
        lhs(*sys.argv[2:6])
    elif cmd == "morris":
        morris(sys.argv[2])
    else:
        fail("unknown check " + cmd)
