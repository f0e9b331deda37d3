#!/usr/bin/python3
"""h5_check.py: checks a wandel HDF5 result file the way its users open it.

Run by tests/test_sinks.c with Debian's /usr/bin/python3 (python3-xarray,
python3-netcdf4, python3-h5py). Opens FILE with xarray through every engine
that can read it (the default, netcdf4, and h5netcdf when installed), with
netCDF4.Dataset and with h5py, and compares what comes back with the
expectations given on the command line.

Exit status: 0 all checks passed; 1 a mismatch (each one printed as
"h5_check: FAIL ..."); 2 bad usage; 77 xarray or netCDF4 cannot be imported
(a line containing "skipping" is printed).

Expectations (each option may be repeated):
  --time 0,0.5,1           save times, exactly
  --time-units U           units attribute of the time coordinate
  --dims VAR=time,region   dimension names of VAR in order ("VAR=" for 0-d)
  --coord DIM=a,b,c        element names of a coordinate, as str
  --values 'VAR[dim=el,dim=el]=1,2,nan'
                           VAR.sel(dim=el, ...) flattened, exactly; NaN
                           matches NaN; "VAR=..." compares the whole array
  --attr 'VAR@name=value'  an attribute of VAR ("@name=value" for the root);
                           numeric attributes compare as numbers
  --no-attr 'VAR@name'     the attribute must be absent ("@name" for the root)
  --root-attrs a,b,c       root attributes that must be present
  --engines default,netcdf4 xarray engines to use (default: all that are
                           installed: default, netcdf4, h5netcdf)
Every data variable must have a units attribute, and time must be a float64
dimension named "time" (not decoded as dates).
"""
import argparse
import math
import sys

failures = []


def fail(where, msg):
    failures.append(f"{where}: {msg}")
    print(f"h5_check: FAIL [{where}] {msg}", flush=True)


def parse_floats(text):
    if text == "":
        return []
    return [float(x) for x in text.split(",")]


def same_numbers(got, want):
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        g = float(g)
        if math.isnan(w):
            if not math.isnan(g):
                return False
        elif g != w:
            return False
    return True


def as_text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return v


def split_attr_spec(spec):
    var, _, rest = spec.partition("@")
    return var, rest


def attr_matches(got, want):
    got = as_text(got)
    if isinstance(got, str):
        return got == want
    try:
        import numpy as np
        arr = np.asarray(got)
        if arr.size != 1:
            return False
        g = float(arr.ravel()[0])
        w = float(want)
        return (math.isnan(g) and math.isnan(w)) or g == w
    except (TypeError, ValueError):
        return False


def check_xarray(args, ds, where):
    import numpy as np

    for name, var in ds.data_vars.items():
        if "units" not in var.attrs:
            fail(where, f"variable {name!r} has no units attribute")
        if "time" in var.dims and var.dims[0] != "time":
            fail(where, f"variable {name!r}: time is not the first dimension: {var.dims}")
        for d in var.dims:
            if d.startswith("phony_dim"):
                fail(where, f"variable {name!r} has an unnamed dimension {d}")
    if "time" not in ds.coords:
        fail(where, "no time coordinate")
    else:
        t = ds["time"]
        if t.dtype != np.float64:
            fail(where, f"time has dtype {t.dtype}, expected float64")
        if args.time is not None and not same_numbers(t.values.tolist(), parse_floats(args.time)):
            fail(where, f"time = {t.values.tolist()}, expected {args.time}")
        if args.time_units is not None and as_text(t.attrs.get("units")) != args.time_units:
            fail(where, f"time units = {t.attrs.get('units')!r}, expected {args.time_units!r}")
    for spec in args.dims:
        var, _, dims = spec.partition("=")
        want = tuple(d for d in dims.split(",") if d)
        if var not in ds.variables:
            fail(where, f"no variable {var!r}; have {sorted(ds.variables)}")
        elif tuple(ds[var].dims) != want:
            fail(where, f"{var} has dims {ds[var].dims}, expected {want}")
    for spec in args.coord:
        dim, _, elems = spec.partition("=")
        want = elems.split(",") if elems else []
        if dim not in ds.coords:
            fail(where, f"no coordinate {dim!r}")
            continue
        got = [as_text(x) for x in ds[dim].values.tolist()]
        if got != want or not all(isinstance(x, str) for x in ds[dim].values.tolist()):
            fail(where, f"coordinate {dim} = {ds[dim].values.tolist()!r}, expected str {want}")
    for spec in args.values:
        lhs, _, vals = spec.rpartition("=")
        var, sel = lhs, {}
        if lhs.endswith("]") and "[" in lhs:
            var, _, inner = lhs[:-1].partition("[")
            for item in inner.split(","):
                k, _, val = item.partition("=")
                sel[k] = val
        if var not in ds.variables:
            fail(where, f"no variable {var!r}; have {sorted(ds.variables)}")
            continue
        try:
            got = ds[var].sel(**sel).values.ravel().tolist()
        except Exception as e:  # noqa: BLE001 - report whatever xarray raises
            fail(where, f"{var}.sel({sel}) raised {type(e).__name__}: {e}")
            continue
        want = parse_floats(vals)
        if not same_numbers(got, want):
            fail(where, f"{var}.sel({sel}) = {got}, expected {want}")
    for spec in args.attr:
        var, rest = split_attr_spec(spec)
        name, _, value = rest.partition("=")
        attrs = ds.attrs if var == "" else ds[var].attrs if var in ds.variables else None
        if attrs is None:
            fail(where, f"no variable {var!r}")
        elif name not in attrs:
            fail(where, f"{var or 'root'} has no attribute {name!r}; has {sorted(attrs)}")
        elif not attr_matches(attrs[name], value):
            fail(where, f"{var or 'root'} attribute {name} = {attrs[name]!r}, expected {value!r}")
    for spec in args.no_attr:
        var, name = split_attr_spec(spec)
        attrs = ds.attrs if var == "" else ds[var].attrs
        if name in attrs:
            fail(where, f"{var or 'root'} has attribute {name!r}, expected none")
    for name in args.root_attrs:
        if name not in ds.attrs:
            fail(where, f"root attribute {name!r} missing; have {sorted(ds.attrs)}")


def check_h5py(path):
    try:
        import h5py
    except ImportError:
        print("h5_check: h5py not importable; skipping the h5py checks")
        return
    with h5py.File(path, "r") as f:
        def is_scale(obj):
            return h5py.h5ds.is_scale(obj.id)

        if "time" not in f or not is_scale(f["time"]):
            fail("h5py", "time is not a dimension scale")
        for name, obj in f.items():
            if not isinstance(obj, h5py.Dataset) or is_scale(obj):
                continue
            for axis, dim in enumerate(obj.dims):
                if len(dim) != 1:
                    fail("h5py", f"{name} axis {axis} has {len(dim)} scales attached, expected 1")
            if obj.dtype.kind == "f" and "_FillValue" not in obj.attrs:
                fail("h5py", f"{name} has no _FillValue")


def check_netcdf4(path):
    import netCDF4

    with netCDF4.Dataset(path, "r") as nc:
        for name, var in nc.variables.items():
            for d in var.dimensions:
                if d.startswith("phony_dim"):
                    fail("netCDF4", f"{name} has an unnamed dimension {d}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--time")
    ap.add_argument("--time-units")
    ap.add_argument("--dims", action="append", default=[])
    ap.add_argument("--coord", action="append", default=[])
    ap.add_argument("--values", action="append", default=[])
    ap.add_argument("--attr", action="append", default=[])
    ap.add_argument("--no-attr", action="append", default=[])
    ap.add_argument("--root-attrs", type=lambda s: [x for x in s.split(",") if x], default=[])
    ap.add_argument("--engines", type=lambda s: [x for x in s.split(",") if x])
    args = ap.parse_args()

    try:
        import xarray as xr
        import netCDF4  # noqa: F401 - the engine xarray needs at least
    except ImportError as e:
        print(f"h5_check: cannot import {e.name}; skipping the Python checks")
        return 77

    engines = [None, "netcdf4"]
    try:
        import h5netcdf  # noqa: F401
        engines.append("h5netcdf")
    except ImportError:
        print("h5_check: h5netcdf not installed; skipping that engine")
    if args.engines is not None:
        wanted = [None if e == "default" else e for e in args.engines]
        engines = [e for e in engines if e in wanted]
    for engine in engines:
        where = f"xarray engine={engine or 'default'}"
        try:
            ds = xr.open_dataset(args.file, engine=engine)
        except Exception as e:  # noqa: BLE001 - any failure to open is the finding
            fail(where, f"open_dataset raised {type(e).__name__}: {e}")
            continue
        with ds:
            check_xarray(args, ds, where)
    check_netcdf4(args.file)
    check_h5py(args.file)
    if failures:
        print(f"h5_check: {len(failures)} check(s) failed for {args.file}")
        return 1
    print(f"h5_check: OK {args.file} (engines: {', '.join(e or 'default' for e in engines)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
