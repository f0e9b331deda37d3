/* sweep_h5.c: sweep result files: written at the end of a sweep (from the
 * journal) or of a merge (from shard files), read back by merge, by
 * `wandel sensitivity` and by --resume. Besides sink_hdf5.c the only file
 * that includes hdf5.h.
 *
 * Layout (everything at the root group, as xarray shows it):
 *
 *   run             int64 [run]: the runs' indices in the sweep (a dimension
 *                   scale; a shard file holds its own range of runs)
 *   time            float64 [time]: the save times (units: the model's)
 *   <range>         strings [<range>]: element names of a subscript range of
 *                   a stored series
 *   param, metric   strings: the parameter and metric names, in order
 *   stat            strings [stat]: mean, sd, p05, p50, p95
 *   <param>         float64 [run]: a parameter's value per run (named as the
 *                   variable is in the sweep group); attributes long_name,
 *                   distribution, sweep_role = "parameter"
 *   <metric>        float64 [run]: a metric per run, NaN where the run failed;
 *                   attributes long_name ("final of x"), units, sweep_var,
 *                   sweep_reduce, sweep_at
 *   status          int8 [run]: 0 not run, 1 ok, 2 failed (CF flag_values,
 *                   flag_meanings); reason: strings [run], why a run failed
 *   <series>        float64 [run, time, <range>...]: a stored variable per
 *                   run, NaN after a failure; chunks of whole runs (and
 *                   blocks of time points for very long runs) under 256 KiB,
 *                   shuffle + deflate
 *   metric_summary  float64 [metric, stat] over the runs where the metric
 *                   is finite (whole sweeps only, not shards)
 *   <series>_summary  float64 [stat, time, <range>...] per time point
 *   S1, S1_conf, ST, ST_conf        float64 [metric, param] (saltelli)
 *   mu, mu_star, mu_star_conf, sigma  float64 [metric, param] (morris)
 *
 * Root attributes: Conventions, wandel_version, created, the model's path
 * and SHA-256, the scenario's path and text, method, tolerances, time step
 * and save interval, and sweep_*: design, samples, runs, seed, levels,
 * resamples, confidence, the specification and its SHA-256 (equal for all
 * shards of one sweep, the key merge and resume compare), shard index and
 * count, the file's run range, runs ok / failed / not run, and the stored
 * series' names. Names with '/' are written with U+2215 instead (HDF5 link
 * names cannot hold '/'); long_name keeps the original.
 *
 * Dimension scales are attached with H5DSattach_scale: its cost grows with
 * the number of datasets on one scale squared (sink_hdf5.c writes the
 * attachments itself for models of thousands of variables), but a sweep file
 * has one dataset per parameter, metric and stored series, tens, where it
 * does not matter.
 *
 * Writing. The file is built by a child process (fork) under a temporary
 * name beside the target (".<name>.tmp.<pid>.<n>", reserved with O_EXCL by
 * the parent, so that a missing directory is reported at once), written with
 * HDF5's default (sec2) driver, closed and fsynced; the parent then renames
 * it over the target and fsyncs the directory. Why a child: a sweep file can
 * be far larger than memory, so it cannot be built in memory as a single
 * run's file is (sink_hdf5.c), and HDF5 1.10 cannot close a file after a
 * failed write (disk full): the id stays open and HDF5's exit handler then
 * crashes the process. In a child the failure ends with _exit, which runs no
 * exit handler, and the caller (which may be an MPI rank or a library user)
 * never has a broken HDF5 state; the child's messages come back through a
 * pipe. The journal stays until the file is in place, so a failed write
 * loses no run: --resume writes the file again.
 */
#include "sweep.h"

#include "atomic_file.h"
#include "diag.h"
#include "h5util.h"
#include "util.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { CHUNK_ELEMS = 32768, DEFLATE_LEVEL = 4, RUN_CHUNK = 65536 };
#define SUMMARY_BUDGET ((size_t)64 << 20) /* doubles per summary block: 512 MB */

/* ---- errors --------------------------------------------------------------------------- */

typedef struct h5ctx {
    const char *path;
    wd_diags *d;
} h5ctx;

static wd_status fail(h5ctx *c, const char *fmt, ...) WD_PRINTF(2, 3);
static wd_status fail(h5ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_status st = h5_report_failure(c->d, c->path, "", fmt, ap);
    va_end(ap);
    return st;
}

static wd_status nomem(h5ctx *c)
{
    wd_diag_add(c->d, WD_ERROR, (wd_loc){c->path, 0, 0}, NULL, "out of memory");
    return WD_E_NOMEM;
}

/* ---- names ------------------------------------------------------------------------------ */

/* ---- writing helpers ----------------------------------------------------------------------- */

static wd_status put_str(h5ctx *c, hid_t obj, const char *name, const char *value)
{
    return h5_put_str_attr(obj, name, value) ? WD_OK : fail(c, "cannot write attribute '%s'", name);
}

static wd_status put_attr(h5ctx *c, hid_t obj, const char *name, hid_t ftype, hid_t mtype, size_t n,
                          const void *v)
{
    return h5_put_num_attr(obj, name, ftype, mtype, n, v) ? WD_OK : fail(c, "cannot write attribute '%s'", name);
}

static wd_status put_f64(h5ctx *c, hid_t obj, const char *name, double v)
{
    return put_attr(c, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &v);
}

static wd_status put_u64(h5ctx *c, hid_t obj, const char *name, uint64_t v)
{
    return put_attr(c, obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &v);
}

static wd_status put_i64(h5ctx *c, hid_t obj, const char *name, int64_t v)
{
    return put_attr(c, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &v);
}

/* A dataset: float64 with NaN fill, chunked and compressed when its size
 * says so (chunk NULL: contiguous). */
static hid_t create(h5ctx *c, hid_t f, const char *name, hid_t type, int rank, const hsize_t *shape,
                    const hsize_t *chunk, bool compress, const void *fill)
{
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, shape, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), ds = H5I_INVALID_HID;
    bool ok = space >= 0 && dcpl >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0 &&
              H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0;
    if (ok && fill)
        ok = H5Pset_fill_value(dcpl, type == H5T_IEEE_F64LE ? H5T_NATIVE_DOUBLE : type, fill) >= 0;
    hsize_t total = 1;
    for (int i = 0; i < rank; i++)
        total *= shape[i];
    if (ok && chunk && total > 0) {
        ok = H5Pset_chunk(dcpl, rank, chunk) >= 0;
        if (ok && compress && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0)
            ok = H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, DEFLATE_LEVEL) >= 0;
    }
    if (ok)
        ds = H5Dcreate2(f, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0)
        fail(c, "cannot create dataset '%s'", name);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return ds;
}

static hid_t str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* A coordinate of strings made a dimension scale. */
static hid_t write_names(h5ctx *c, hid_t f, const char *name, const char *const *v, size_t n, const char *long_name)
{
    hsize_t dims = n;
    hid_t t = str_type(), ds = H5I_INVALID_HID;
    if (t < 0) {
        fail(c, "cannot create dataset '%s'", name);
        return t;
    }
    ds = create(c, f, name, t, 1, &dims, NULL, false, NULL);
    if (ds >= 0 && ((n && H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, (const void *)v) < 0) ||
                    H5DSset_scale(ds, name) < 0)) {
        fail(c, "cannot write dataset '%s'", name);
        H5Dclose(ds);
        ds = H5I_INVALID_HID;
    }
    H5Tclose(t);
    if (ds >= 0 && long_name && put_str(c, ds, "long_name", long_name) != WD_OK) {
        H5Dclose(ds);
        ds = H5I_INVALID_HID;
    }
    return ds;
}

static wd_status attach(h5ctx *c, hid_t ds, const char *name, const hid_t *scales, int rank)
{
    for (int i = 0; i < rank; i++)
        if (H5DSattach_scale(ds, scales[i], (unsigned)i) < 0)
            return fail(c, "cannot attach dimension %d of '%s'", i + 1, name);
    return WD_OK;
}

/* ---- the writer (in the child) --------------------------------------------------------------- */

typedef struct hw {
    h5ctx c;
    const sweep_meta *m;
    const sweep_source *src;
    bool whole;
    hid_t f;
    hid_t run_sc, time_sc, param_sc, metric_sc, stat_sc;
    hid_t *dim_sc;
    uint64_t R;
    signed char *status;
    char **reason;
    double *params, *metrics;
    uint64_t nok, nfailed, nnot;
    wd_buf rbuf;
} hw;

/* Pass 1: status, reasons, parameters, metrics of every run, in order. */
static wd_status gather(hw *w)
{
    const sweep_meta *m = w->m;
    uint64_t R = w->R;
    w->status = wd_xcalloc(R + 1, 1);
    w->reason = wd_xcalloc(R + 1, sizeof *w->reason);
    w->params = wd_xmalloc((R * m->nparams + 1) * sizeof(double));
    w->metrics = wd_xmalloc((R * m->nmetrics + 1) * sizeof(double));
    if (!w->status || !w->reason || !w->params || !w->metrics)
        return nomem(&w->c);
    for (uint64_t i = 0; i < R; i++) {
        sweep_rec r;
        if (!w->src->get(w->src->ctx, m->run_first + i, &w->rbuf, &r)) {
            w->status[i] = SWEEP_NOT_RUN;
            w->reason[i] = wd_xstrdup("");
            for (size_t j = 0; j < m->nparams; j++)
                w->params[i * m->nparams + j] = NAN;
            for (size_t j = 0; j < m->nmetrics; j++)
                w->metrics[i * m->nmetrics + j] = NAN;
            w->nnot++;
        } else {
            w->status[i] = (signed char)r.status;
            w->reason[i] = wd_xstrndup(r.reason, r.reason_len);
            sweep_rec_doubles(r.params, m->nparams, w->params + i * m->nparams);
            sweep_rec_doubles(r.metrics, m->nmetrics, w->metrics + i * m->nmetrics);
            if (r.status == SWEEP_OK)
                w->nok++;
            else
                w->nfailed++;
        }
        if (!w->reason[i])
            return nomem(&w->c);
    }
    return WD_OK;
}

static wd_status write_root(hw *w)
{
    const sweep_meta *m = w->m;
    h5ctx *c = &w->c;
    hid_t f = w->f;
    char created[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    wd_buf series = {0};
    for (size_t i = 0; i < m->nseries; i++)
        wd_buf_printf(&series, "%s%s", i ? "\n" : "", m->series[i].name);
    if (series.oom)
        return nomem(c);
    wd_status st = put_str(c, f, "Conventions", "CF-1.8");
    if (!st) st = put_str(c, f, "title", "wandel sweep");
    if (!st) st = put_str(c, f, "wandel_version", WD_VERSION);
    if (!st) st = put_str(c, f, "created", created);
    if (!st) st = put_str(c, f, "model_path", m->model_path);
    if (!st) st = put_str(c, f, "model_sha256", m->model_sha);
    if (!st) st = put_str(c, f, "scenario_path", m->scenario_path);
    if (!st) st = put_str(c, f, "scenario", m->scenario_text);
    if (!st) st = put_str(c, f, "method", m->method);
    if (!st && isfinite(m->rtol)) st = put_f64(c, f, "rtol", m->rtol);
    if (!st && isfinite(m->atol)) st = put_f64(c, f, "atol", m->atol);
    if (!st) st = put_f64(c, f, "time_step", m->time_step);
    if (!st) st = put_f64(c, f, "saveper", m->saveper);
    if (!st) st = put_u64(c, f, "seed", m->seed);
    if (!st) st = put_str(c, f, "sweep_design", scn_design_names[m->design]);
    if (!st) st = put_u64(c, f, "sweep_samples", m->samples);
    if (!st) st = put_u64(c, f, "sweep_runs", m->nruns);
    if (!st) st = put_u64(c, f, "sweep_levels", m->levels);
    if (!st) st = put_i64(c, f, "sweep_resamples", m->resamples);
    if (!st) st = put_f64(c, f, "sweep_confidence", m->confidence);
    if (!st) st = put_str(c, f, "sweep_spec", m->spec_text);
    if (!st) st = put_str(c, f, "sweep_spec_sha256", m->spec_sha);
    if (!st) st = put_u64(c, f, "sweep_shard_index", m->shard_index);
    if (!st) st = put_u64(c, f, "sweep_shard_count", m->shard_count);
    if (!st) st = put_u64(c, f, "sweep_run_first", m->run_first);
    if (!st) st = put_u64(c, f, "sweep_run_count", m->run_count);
    if (!st) st = put_u64(c, f, "sweep_runs_ok", w->nok);
    if (!st) st = put_u64(c, f, "sweep_runs_failed", w->nfailed);
    if (!st) st = put_u64(c, f, "sweep_runs_not_run", w->nnot);
    if (!st) st = put_str(c, f, "sweep_series", wd_buf_str(&series));
    wd_buf_free(&series);
    return st;
}

static wd_status write_coords(hw *w)
{
    const sweep_meta *m = w->m;
    h5ctx *c = &w->c;
    hsize_t R = w->R, T = m->ntime;
    /* run */
    int64_t *idx = wd_xmalloc((R + 1) * sizeof *idx);
    if (!idx)
        return nomem(c);
    for (uint64_t i = 0; i < R; i++)
        idx[i] = (int64_t)(m->run_first + i);
    hsize_t ch = R < RUN_CHUNK ? R : RUN_CHUNK;
    w->run_sc = create(c, w->f, "run", H5T_STD_I64LE, 1, &R, &ch, true, NULL);
    bool ok = w->run_sc >= 0 && (R == 0 || H5Dwrite(w->run_sc, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, idx) >= 0) &&
              H5DSset_scale(w->run_sc, "run") >= 0;
    wd_xfree(idx);
    if (!ok)
        return w->run_sc < 0 ? WD_E_IO : fail(c, "cannot write dataset 'run'");
    wd_status st = put_str(c, w->run_sc, "long_name", "run of the sweep");
    if (st)
        return st;
    /* time */
    w->time_sc = create(c, w->f, "time", H5T_IEEE_F64LE, 1, &T, NULL, false, NULL);
    if (w->time_sc < 0)
        return WD_E_IO;
    if ((T && H5Dwrite(w->time_sc, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, m->times) < 0) ||
        H5DSset_scale(w->time_sc, "time") < 0)
        return fail(c, "cannot write dataset 'time'");
    st = put_str(c, w->time_sc, "units", m->time_units[0] ? m->time_units : "1");
    if (!st)
        st = put_str(c, w->time_sc, "long_name", "Time");
    if (!st && !m->time_units[0])
        st = put_str(c, w->time_sc, "description", "simulation time; the model declares no time unit");
    if (st)
        return st;
    /* subscript ranges of stored series */
    w->dim_sc = wd_xmalloc((m->ndims + 1) * sizeof *w->dim_sc);
    if (!w->dim_sc)
        return nomem(c);
    for (size_t i = 0; i < m->ndims; i++)
        w->dim_sc[i] = H5I_INVALID_HID;
    for (size_t i = 0; i < m->ndims; i++) {
        char *nm = h5_escape_name(m->dims[i].name);
        if (!nm)
            return nomem(c);
        w->dim_sc[i] = write_names(c, w->f, nm, (const char *const *)m->dims[i].elems, m->dims[i].n, m->dims[i].name);
        wd_xfree(nm);
        if (w->dim_sc[i] < 0)
            return WD_E_IO;
    }
    w->param_sc = write_names(c, w->f, "param", (const char *const *)m->param_names, m->nparams, "sweep parameter");
    if (w->param_sc < 0)
        return WD_E_IO;
    w->metric_sc = write_names(c, w->f, "metric", (const char *const *)m->metric_names, m->nmetrics, "sweep metric");
    if (w->metric_sc < 0)
        return WD_E_IO;
    if (w->whole) {
        w->stat_sc = write_names(c, w->f, "stat", sweep_stat_names, SWEEP_NSTATS, "statistic over the runs");
        if (w->stat_sc < 0)
            return WD_E_IO;
        st = put_str(c, w->stat_sc, "description",
                     "mean, standard deviation (n - 1), 5th, 50th and 95th percentiles (linear interpolation) "
                     "over the runs where the value is finite");
    }
    return st;
}

/* A float64 [run] dataset from column j of a runs x n matrix. */
static wd_status write_column(hw *w, const char *name, const double *mat, size_t n, size_t j, hid_t *out)
{
    hsize_t R = w->R, ch = R < RUN_CHUNK ? R : RUN_CHUNK;
    const double nan = NAN;
    *out = H5I_INVALID_HID;
    char *nm = h5_escape_name(name);
    double *col = wd_xmalloc((R + 1) * sizeof *col);
    if (!nm || !col) {
        wd_xfree(nm);
        wd_xfree(col);
        return nomem(&w->c);
    }
    for (hsize_t i = 0; i < R; i++)
        col[i] = mat[i * n + j];
    hid_t ds = create(&w->c, w->f, nm, H5T_IEEE_F64LE, 1, &R, &ch, true, &nan);
    wd_status st = ds < 0 ? WD_E_IO : WD_OK;
    if (!st && R && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, col) < 0)
        st = fail(&w->c, "cannot write dataset '%s'", nm);
    if (!st)
        st = put_f64(&w->c, ds, "_FillValue", NAN);
    if (!st)
        st = attach(&w->c, ds, nm, &w->run_sc, 1);
    wd_xfree(col);
    wd_xfree(nm);
    if (st && ds >= 0) {
        H5Dclose(ds);
        ds = H5I_INVALID_HID;
    }
    *out = ds;
    return st;
}

static wd_status write_runs(hw *w)
{
    const sweep_meta *m = w->m;
    h5ctx *c = &w->c;
    wd_status st = WD_OK;
    for (size_t j = 0; j < m->nparams && !st; j++) {
        hid_t ds = H5I_INVALID_HID;
        st = write_column(w, m->param_names[j], w->params, m->nparams, j, &ds);
        if (!st) st = put_str(c, ds, "long_name", m->param_names[j]);
        if (!st) st = put_str(c, ds, "distribution", m->param_dist[j]);
        if (!st) st = put_str(c, ds, "sweep_role", "parameter");
        if (ds >= 0)
            H5Dclose(ds);
    }
    for (size_t j = 0; j < m->nmetrics && !st; j++) {
        hid_t ds = H5I_INVALID_HID;
        wd_buf ln = {0};
        wd_buf_printf(&ln, "%s of %s", m->metric_reduce[j], m->metric_var[j]);
        if (!isnan(m->metric_at[j]))
            wd_buf_printf(&ln, " at %.15g", m->metric_at[j]);
        st = ln.oom ? nomem(c) : write_column(w, m->metric_names[j], w->metrics, m->nmetrics, j, &ds);
        if (!st) st = put_str(c, ds, "long_name", wd_buf_str(&ln));
        if (!st) st = put_str(c, ds, "units", m->metric_units[j]);
        if (!st) st = put_str(c, ds, "sweep_role", "metric");
        if (!st) st = put_str(c, ds, "sweep_var", m->metric_var[j]);
        if (!st) st = put_str(c, ds, "sweep_reduce", m->metric_reduce[j]);
        if (!st) st = put_f64(c, ds, "sweep_at", m->metric_at[j]);
        wd_buf_free(&ln);
        if (ds >= 0)
            H5Dclose(ds);
    }
    if (st)
        return st;
    /* status and reason */
    hsize_t R = w->R, ch = R < RUN_CHUNK ? R : RUN_CHUNK;
    hid_t ds = create(c, w->f, "status", H5T_STD_I8LE, 1, &R, &ch, true, NULL);
    if (ds < 0)
        return WD_E_IO;
    if (R && H5Dwrite(ds, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, w->status) < 0)
        st = fail(c, "cannot write dataset 'status'");
    const signed char flags[3] = {0, 1, 2};
    if (!st) st = put_str(c, ds, "long_name", "status of the run");
    if (!st) st = put_attr(c, ds, "flag_values", H5T_STD_I8LE, H5T_NATIVE_SCHAR, 3, flags);
    if (!st) st = put_str(c, ds, "flag_meanings", "not_run ok failed");
    if (!st) st = attach(c, ds, "status", &w->run_sc, 1);
    H5Dclose(ds);
    if (st)
        return st;
    hid_t t = str_type();
    ds = t < 0 ? t : create(c, w->f, "reason", t, 1, &R, &ch, false, NULL);
    if (ds < 0) {
        if (t >= 0)
            H5Tclose(t);
        return WD_E_IO;
    }
    if (R && H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, (const void *)w->reason) < 0)
        st = fail(c, "cannot write dataset 'reason'");
    if (!st) st = put_str(c, ds, "long_name", "why the run failed (empty when it did not)");
    if (!st) st = attach(c, ds, "reason", &w->run_sc, 1);
    H5Dclose(ds);
    H5Tclose(t);
    return st;
}

/* The scales of a stored series' axes after the first (run or stat). */
static void series_scales(hw *w, const sweep_series *s, hid_t *sc)
{
    sc[1] = w->time_sc;
    for (size_t d = 0; d < s->ndims; d++)
        sc[2 + d] = w->dim_sc[s->dims[d]];
}

static wd_status series_attrs(hw *w, hid_t ds, const sweep_series *s, const char *long_name)
{
    h5ctx *c = &w->c;
    wd_status st = put_str(c, ds, "units", s->units);
    if (!st) st = put_str(c, ds, "long_name", long_name);
    if (!st) st = put_str(c, ds, "description", s->doc);
    if (!st) st = put_f64(c, ds, "_FillValue", NAN);
    return st;
}

static wd_status write_series(hw *w, size_t si)
{
    const sweep_meta *m = w->m;
    const sweep_series *s = &m->series[si];
    h5ctx *c = &w->c;
    int rank = 2 + (int)s->ndims;
    hsize_t shape[34], chunk[34], start[34] = {0}, count[34];
    shape[0] = w->R;
    shape[1] = m->ntime;
    for (size_t d = 0; d < s->ndims; d++)
        shape[2 + d] = m->dims[s->dims[d]].n;
    h5_chunk_shape(rank, shape, CHUNK_ELEMS, chunk);
    const double nan = NAN;
    char *nm = h5_escape_name(s->name);
    if (!nm)
        return nomem(c);
    hid_t ds = create(c, w->f, nm, H5T_IEEE_F64LE, rank, shape, chunk, true, &nan);
    if (ds < 0) {
        wd_xfree(nm);
        return WD_E_IO;
    }
    size_t per_run = m->ntime * s->nelems, block = (size_t)chunk[0];
    double *buf = wd_xmalloc((block * per_run + 1) * sizeof *buf);
    wd_status st = buf ? WD_OK : nomem(c);
    for (int d = 0; d < rank; d++)
        count[d] = shape[d];
    for (uint64_t i0 = 0; !st && i0 < w->R; i0 += block) {
        size_t nb = w->R - i0 < block ? (size_t)(w->R - i0) : block;
        for (size_t b = 0; b < nb; b++) {
            sweep_rec r;
            double *dst = buf + b * per_run;
            if (w->src->get(w->src->ctx, m->run_first + i0 + b, &w->rbuf, &r))
                sweep_rec_doubles(r.series + s->offset, per_run, dst);
            else
                for (size_t k = 0; k < per_run; k++)
                    dst[k] = NAN;
        }
        start[0] = i0;
        count[0] = nb;
        if (!h5_write_slab(ds, H5T_NATIVE_DOUBLE, rank, start, count, buf))
            st = fail(c, "cannot write dataset '%s'", nm);
    }
    wd_xfree(buf);
    hid_t sc[34];
    sc[0] = w->run_sc;
    series_scales(w, s, sc);
    if (!st) st = series_attrs(w, ds, s, s->name);
    if (!st) st = put_str(c, ds, "sweep_role", "series");
    if (!st) {
        wd_buf dims = {0};
        for (size_t d = 0; d < s->ndims; d++)
            wd_buf_printf(&dims, "%s%s", d ? "\n" : "", m->dims[s->dims[d]].name);
        st = dims.oom ? nomem(c) : put_str(c, ds, "sweep_dims", wd_buf_str(&dims));
        wd_buf_free(&dims);
    }
    if (!st) st = attach(c, ds, nm, sc, rank);
    H5Dclose(ds);
    wd_xfree(nm);
    return st;
}

/* <series>_summary [stat, time, ...]: per cell, over the runs, in blocks of
 * cells that fit SUMMARY_BUDGET (one pass over the runs per block). */
static wd_status write_series_summary(hw *w, size_t si)
{
    const sweep_meta *m = w->m;
    const sweep_series *s = &m->series[si];
    h5ctx *c = &w->c;
    size_t cells = m->ntime * s->nelems, R = (size_t)w->R;
    int rank = 2 + (int)s->ndims;
    hsize_t shape[34], chunk[34];
    shape[0] = SWEEP_NSTATS;
    shape[1] = m->ntime;
    for (size_t d = 0; d < s->ndims; d++)
        shape[2 + d] = m->dims[s->dims[d]].n;
    h5_chunk_shape(rank, shape, CHUNK_ELEMS, chunk);
    const double nan = NAN;
    wd_buf name = {0};
    wd_buf_printf(&name, "%s_summary", s->name);
    char *nm = name.oom ? NULL : h5_escape_name(wd_buf_str(&name));
    size_t cb = R ? SUMMARY_BUDGET / R : cells;
    if (cb == 0)
        cb = 1;
    if (cb > cells)
        cb = cells;
    double *mat = wd_xmalloc((cb * R + 1) * sizeof *mat), *row = wd_xmalloc((m->series_len + 1) * sizeof *row);
    double *out = wd_xmalloc((SWEEP_NSTATS * cells + 1) * sizeof *out);
    wd_status st = nm && mat && row && out ? WD_OK : nomem(c);
    for (size_t c0 = 0; !st && c0 < cells; c0 += cb) {
        size_t nc = cells - c0 < cb ? cells - c0 : cb;
        for (size_t i = 0; i < R; i++) {
            sweep_rec r;
            bool have = w->src->get(w->src->ctx, m->run_first + i, &w->rbuf, &r);
            if (have)
                sweep_rec_doubles(r.series + s->offset + c0, nc, row);
            for (size_t k = 0; k < nc; k++)
                mat[k * R + i] = have ? row[k] : NAN;
        }
        for (size_t k = 0; k < nc; k++) {
            double stv[SWEEP_NSTATS];
            sweep_stats(mat + k * R, R, stv);
            for (int q = 0; q < SWEEP_NSTATS; q++)
                out[(size_t)q * cells + c0 + k] = stv[q];
        }
    }
    hid_t ds = st ? H5I_INVALID_HID : create(c, w->f, nm, H5T_IEEE_F64LE, rank, shape, chunk, true, &nan);
    if (!st && ds < 0)
        st = WD_E_IO;
    if (!st && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        st = fail(c, "cannot write dataset '%s'", nm);
    hid_t sc[34];
    sc[0] = w->stat_sc;
    series_scales(w, s, sc);
    wd_buf ln = {0};
    wd_buf_printf(&ln, "%s: statistics over the runs", s->name);
    if (!st) st = ln.oom ? nomem(c) : series_attrs(w, ds, s, wd_buf_str(&ln));
    if (!st) st = attach(c, ds, nm, sc, rank);
    wd_buf_free(&ln);
    if (ds >= 0)
        H5Dclose(ds);
    wd_xfree(mat);
    wd_xfree(row);
    wd_xfree(out);
    wd_xfree(nm);
    wd_buf_free(&name);
    return st;
}

/* A [metric, param] matrix. */
static wd_status write_table(hw *w, const char *name, const double *v, const char *long_name)
{
    const sweep_meta *m = w->m;
    hsize_t shape[2] = {m->nmetrics, m->nparams};
    const double nan = NAN;
    hid_t ds = create(&w->c, w->f, name, H5T_IEEE_F64LE, 2, shape, NULL, false, &nan);
    if (ds < 0)
        return WD_E_IO;
    wd_status st = WD_OK;
    if (shape[0] * shape[1] != 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        st = fail(&w->c, "cannot write dataset '%s'", name);
    hid_t sc[2] = {w->metric_sc, w->param_sc};
    if (!st) st = put_str(&w->c, ds, "long_name", long_name);
    if (!st) st = put_f64(&w->c, ds, "_FillValue", NAN);
    if (!st) st = attach(&w->c, ds, name, sc, 2);
    H5Dclose(ds);
    return st;
}

static wd_status write_results(hw *w)
{
    const sweep_meta *m = w->m;
    h5ctx *c = &w->c;
    /* metric_summary [metric, stat] */
    size_t R = (size_t)w->R;
    double *col = wd_xmalloc((R + 1) * sizeof *col);
    double *sum = wd_xmalloc((m->nmetrics * SWEEP_NSTATS + 1) * sizeof *sum);
    wd_status st = col && sum ? WD_OK : nomem(c);
    for (size_t j = 0; !st && j < m->nmetrics; j++) {
        for (size_t i = 0; i < R; i++)
            col[i] = w->metrics[i * m->nmetrics + j];
        sweep_stats(col, R, sum + j * SWEEP_NSTATS);
    }
    if (!st) {
        hsize_t shape[2] = {m->nmetrics, SWEEP_NSTATS};
        const double nan = NAN;
        hid_t ds = create(c, w->f, "metric_summary", H5T_IEEE_F64LE, 2, shape, NULL, false, &nan);
        if (ds < 0)
            st = WD_E_IO;
        if (!st && m->nmetrics && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sum) < 0)
            st = fail(c, "cannot write dataset 'metric_summary'");
        hid_t sc[2] = {w->metric_sc, w->stat_sc};
        if (!st) st = put_str(c, ds, "long_name", "statistics of each metric over the runs");
        if (!st) st = put_f64(c, ds, "_FillValue", NAN);
        if (!st) st = attach(c, ds, "metric_summary", sc, 2);
        if (ds >= 0)
            H5Dclose(ds);
    }
    wd_xfree(col);
    wd_xfree(sum);
    for (size_t i = 0; !st && i < m->nseries; i++)
        st = write_series_summary(w, i);
    if (st)
        return st;
    sweep_indices ix;
    st = sweep_indices_compute(m, w->params, w->metrics, &ix);
    if (st == WD_E_NOMEM)
        return nomem(c);
    if (st)
        return WD_OK;
    if (ix.saltelli) {
        st = write_table(w, "S1", ix.s1, "first-order Sobol index (Saltelli et al. 2010)");
        if (!st) st = write_table(w, "S1_conf", ix.s1_conf, "S1 confidence half-width (bootstrap)");
        if (!st) st = write_table(w, "ST", ix.st, "total Sobol index (Jansen 1999)");
        if (!st) st = write_table(w, "ST_conf", ix.st_conf, "ST confidence half-width (bootstrap)");
    } else if (ix.morris) {
        st = write_table(w, "mu", ix.mu, "mean elementary effect (Morris 1991)");
        if (!st) st = write_table(w, "mu_star", ix.mu_star, "mean absolute elementary effect (Campolongo et al. 2007)");
        if (!st) st = write_table(w, "mu_star_conf", ix.mu_star_conf, "mu_star confidence half-width (bootstrap)");
        if (!st) st = write_table(w, "sigma", ix.sigma, "standard deviation of the elementary effects (Morris 1991)");
    }
    sweep_indices_free(&ix);
    return st;
}

static void hw_free(hw *w)
{
    hid_t sc[] = {w->run_sc, w->time_sc, w->param_sc, w->metric_sc, w->stat_sc};
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++)
        if (sc[i] > 0)
            H5Dclose(sc[i]);
    if (w->dim_sc) {
        for (size_t i = 0; i < w->m->ndims; i++)
            if (w->dim_sc[i] > 0)
                H5Dclose(w->dim_sc[i]);
        wd_xfree(w->dim_sc);
    }
    if (w->reason)
        for (uint64_t i = 0; i < w->R; i++)
            wd_xfree(w->reason[i]);
    wd_xfree(w->reason);
    wd_xfree(w->status);
    wd_xfree(w->params);
    wd_xfree(w->metrics);
    wd_buf_free(&w->rbuf);
}

/* The child's work: the whole file at tmp. */
static wd_status build(const sweep_meta *m, const sweep_source *src, const char *tmp, const char *target,
                       wd_diags *d)
{
    hw w;
    memset(&w, 0, sizeof w);
    w.c = (h5ctx){target, d};
    w.m = m;
    w.src = src;
    w.whole = m->shard_count <= 1 && m->run_first == 0 && m->run_count == m->nruns;
    w.R = m->run_count;
    w.f = w.run_sc = w.time_sc = w.param_sc = w.metric_sc = w.stat_sc = H5I_INVALID_HID;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    wd_status st = gather(&w);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (!st && (fapl < 0 || fcpl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18) < 0 ||
                H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
                H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
                (w.f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl)) < 0))
        st = fail(&w.c, "cannot create the file '%s'", tmp);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (!st) st = write_root(&w);
    if (!st) st = write_coords(&w);
    if (!st) st = write_runs(&w);
    for (size_t i = 0; !st && i < m->nseries; i++)
        st = write_series(&w, i);
    if (!st && w.whole)
        st = write_results(&w);
    hw_free(&w);
    if (w.f >= 0 && H5Fclose(w.f) < 0 && !st)
        st = fail(&w.c, "cannot close the file '%s'", tmp);
    if (!st) {
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) {
            wd_diag_add(d, WD_ERROR, (wd_loc){target, 0, 0}, NULL, "cannot sync '%s': %s", tmp, strerror(errno));
            st = WD_E_IO;
        }
        if (fd >= 0)
            close(fd);
    }
    return st;
}

/* ---- the parent's side: temporary, child, rename ---------------------------------------------------- */

/* Reserves the temporary the child writes (wd_temp_create); NULL with the
 * reason reported. */
static char *reserve_tmp(const char *path, wd_diags *d)
{
    char *tmp;
    int fd = wd_temp_create(path, &tmp);
    if (fd >= 0) {
        close(fd);
        return tmp;
    }
    int err = errno;
    char *dir = wd_dirname(path);
    if (err == EEXIST)
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "no free temporary name beside it");
    else
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot create a file in directory '%s': %s",
                    dir ? dir : ".", strerror(err));
    wd_xfree(dir);
    return NULL;
}

wd_status sweep_h5_write(const sweep_meta *m, const sweep_source *src, const char *path, wd_diags *d)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot write the results: the path is a directory");
        return WD_E_IO;
    }
    char *tmp = reserve_tmp(path, d);
    if (!tmp)
        return WD_E_IO;
    int pfd[2];
    if (pipe(pfd) != 0) {
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot start the writer: %s", strerror(errno));
        unlink(tmp);
        wd_xfree(tmp);
        return WD_E_IO;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot start the writer: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        unlink(tmp);
        wd_xfree(tmp);
        return WD_E_IO;
    }
    if (pid == 0) {
        close(pfd[0]);
        wd_diags *cd = wd_diags_new();
        wd_status st = cd ? build(m, src, tmp, path, cd) : WD_E_NOMEM;
        const char *text = cd ? wd_diags_text(cd) : "out of memory";
        size_t n = strlen(text);
        while (n > 0) {
            ssize_t k = write(pfd[1], text, n);
            if (k <= 0)
                break;
            text += k;
            n -= (size_t)k;
        }
        /* what the child allocated itself goes (so that a leak checker
           following the child finds nothing); then _exit: no exit handlers
           (HDF5's crashes after a failed write) */
        wd_diags_free(cd);
        wd_xfree(tmp);
        _exit(st == WD_OK ? 0 : st == WD_E_NOMEM ? 3 : 1);
    }
    close(pfd[1]);
    wd_buf msg = {0};
    char chunk[4096];
    for (;;) {
        ssize_t k = read(pfd[0], chunk, sizeof chunk);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        wd_buf_putn(&msg, chunk, (size_t)k);
    }
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    wd_status st = WD_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (rename(tmp, path) != 0) {
            wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot rename '%s' to it: %s", tmp, strerror(errno));
            st = WD_E_IO;
        } else {
            char *dir = wd_dirname(path);
            int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
            if (dfd < 0 || (fsync(dfd) != 0 && errno != EINVAL))
                wd_diag_add(d, WD_WARNING, (wd_loc){path, 0, 0}, NULL,
                            "file written, but its directory could not be synced: %s", strerror(errno));
            if (dfd >= 0)
                close(dfd);
            wd_xfree(dir);
        }
    } else {
        /* the child's messages are whole diagnostics already; strip the
           trailing newline and pass them on */
        while (msg.n && msg.s[msg.n - 1] == '\n')
            msg.s[--msg.n] = 0;
        if (msg.n)
            wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "cannot write the results:\n%s", wd_buf_str(&msg));
        else if (WIFSIGNALED(status))
            wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot write the results: the writer died (signal %d)",
                        WTERMSIG(status));
        else
            wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot write the results");
        st = WIFEXITED(status) && WEXITSTATUS(status) == 3 ? WD_E_NOMEM : WD_E_IO;
    }
    if (st != WD_OK)
        unlink(tmp);
    wd_buf_free(&msg);
    wd_xfree(tmp);
    return st;
}

/* ---- reading ------------------------------------------------------------------------------------------ */

struct sweep_h5 {
    h5ctx c;
    char *path;
    hid_t f;
    sweep_meta m;
    signed char *status;
    char **reason;
    double *params, *metrics; /* run_count x n */
    hid_t *series_ds;         /* per series */
    double *row;
};

static char *get_str_attr(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    char *out = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &v) >= 0 && v) {
                out = wd_xstrdup(v);
                H5free_memory(v);
            }
            H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(t);
            char *v = wd_xcalloc(n + 1, 1);
            if (v && H5Aread(a, t, v) >= 0)
                out = v;
            else
                wd_xfree(v);
        }
    }
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return out;
}

static bool get_num_attr(hid_t obj, const char *name, hid_t mtype, void *out)
{
    if (H5Aexists(obj, name) <= 0)
        return false;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    bool ok = a >= 0 && H5Aread(a, mtype, out) >= 0;
    if (a >= 0)
        H5Aclose(a);
    return ok;
}

/* A 1-D dataset of strings as a heap array (n entries). */
static char **get_strings(hid_t f, const char *name, size_t *n)
{
    *n = 0;
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    if (ds < 0)
        return NULL;
    hid_t sp = H5Dget_space(ds);
    hssize_t cnt = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    char **out = NULL;
    if (cnt >= 0) {
        char **raw = wd_xcalloc((size_t)cnt + 1, sizeof *raw);
        out = wd_xcalloc((size_t)cnt + 1, sizeof *out);
        hid_t mt = str_type();
        if (raw && out && mt >= 0 && (cnt == 0 || H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0)) {
            bool ok = true;
            for (hssize_t i = 0; i < cnt; i++)
                ok &= (out[i] = wd_xstrdup(raw[i] ? raw[i] : "")) != NULL;
            if (cnt && mt >= 0)
                H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
            if (ok)
                *n = (size_t)cnt;
            else {
                for (hssize_t i = 0; i < cnt; i++)
                    wd_xfree(out[i]);
                wd_xfree(out);
                out = NULL;
            }
        } else {
            wd_xfree(out);
            out = NULL;
        }
        if (mt >= 0)
            H5Tclose(mt);
        wd_xfree(raw);
    }
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(ds);
    return out;
}

static bool get_doubles(hid_t f, const char *name, double *out, size_t n)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    if (ds < 0)
        return false;
    hid_t sp = H5Dget_space(ds);
    bool ok = sp >= 0 && (size_t)H5Sget_simple_extent_npoints(sp) == n &&
              (n == 0 || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(ds);
    return ok;
}

/* Splits "a\nb\nc" into a heap array. */
static char **split_lines(const char *s, size_t *n)
{
    *n = 0;
    if (!s || !*s)
        return wd_xcalloc(1, sizeof(char *));
    size_t cnt = 1;
    for (const char *p = s; *p; p++)
        cnt += *p == '\n';
    char **v = wd_xcalloc(cnt + 1, sizeof *v);
    if (!v)
        return NULL;
    const char *p = s;
    for (size_t i = 0; i < cnt; i++) {
        size_t len = strcspn(p, "\n");
        v[i] = wd_xstrndup(p, len);
        p += len + (p[len] == '\n');
    }
    *n = cnt;
    return v;
}

static wd_status bad_file(sweep_h5 *h, const char *what)
{
    wd_diag_add(h->c.d, WD_ERROR, (wd_loc){h->path, 0, 0}, NULL, "not a wandel sweep file (%s)", what);
    return WD_E_ARG;
}

static wd_status read_meta(sweep_h5 *h)
{
    sweep_meta *m = &h->m;
    hid_t f = h->f;
    char *dname = get_str_attr(f, "sweep_design"), *sha = get_str_attr(f, "sweep_spec_sha256");
    if (!dname || !sha || strlen(sha) != 64) {
        wd_xfree(dname);
        wd_xfree(sha);
        return bad_file(h, "no sweep_design or sweep_spec_sha256 attribute");
    }
    int di = -1;
    for (int i = 0; scn_design_names[i]; i++)
        if (strcmp(dname, scn_design_names[i]) == 0)
            di = i;
    memcpy(m->spec_sha, sha, 65);
    wd_xfree(dname);
    wd_xfree(sha);
    if (di < 0)
        return bad_file(h, "unknown sweep_design");
    m->design = (scn_design)di;
    uint64_t u = 0;
    int64_t i64 = 0;
    bool ok = get_num_attr(f, "sweep_samples", H5T_NATIVE_UINT64, &m->samples) &&
              get_num_attr(f, "sweep_runs", H5T_NATIVE_UINT64, &m->nruns) &&
              get_num_attr(f, "seed", H5T_NATIVE_UINT64, &m->seed) &&
              get_num_attr(f, "sweep_levels", H5T_NATIVE_UINT64, &u) &&
              get_num_attr(f, "sweep_resamples", H5T_NATIVE_INT64, &i64) &&
              get_num_attr(f, "sweep_confidence", H5T_NATIVE_DOUBLE, &m->confidence) &&
              get_num_attr(f, "sweep_run_first", H5T_NATIVE_UINT64, &m->run_first) &&
              get_num_attr(f, "sweep_run_count", H5T_NATIVE_UINT64, &m->run_count) &&
              get_num_attr(f, "time_step", H5T_NATIVE_DOUBLE, &m->time_step) &&
              get_num_attr(f, "saveper", H5T_NATIVE_DOUBLE, &m->saveper);
    m->levels = (unsigned)u;
    m->resamples = (long)i64;
    uint64_t si = 0, sc = 1;
    ok = ok && get_num_attr(f, "sweep_shard_index", H5T_NATIVE_UINT64, &si) &&
         get_num_attr(f, "sweep_shard_count", H5T_NATIVE_UINT64, &sc);
    if (!ok || m->run_first + m->run_count > m->nruns || sc == 0 || si >= sc)
        return bad_file(h, "sweep attributes missing or inconsistent");
    m->shard_index = (unsigned)si;
    m->shard_count = (unsigned)sc;
    m->rtol = m->atol = NAN;
    get_num_attr(f, "rtol", H5T_NATIVE_DOUBLE, &m->rtol);
    get_num_attr(f, "atol", H5T_NATIVE_DOUBLE, &m->atol);
    m->spec_text = get_str_attr(f, "sweep_spec");
    m->model_path = get_str_attr(f, "model_path");
    m->model_sha = get_str_attr(f, "model_sha256");
    m->scenario_path = get_str_attr(f, "scenario_path");
    m->scenario_text = get_str_attr(f, "scenario");
    m->method = get_str_attr(f, "method");
    char *series = get_str_attr(f, "sweep_series");
    if (!m->spec_text || !m->model_path || !m->model_sha || !m->scenario_path || !m->scenario_text || !m->method ||
        !series) {
        wd_xfree(series);
        return bad_file(h, "provenance attributes missing");
    }
    /* names */
    size_t n;
    m->param_names = get_strings(f, "param", &m->nparams);
    m->metric_names = get_strings(f, "metric", &m->nmetrics);
    if (!m->param_names || !m->metric_names) {
        wd_xfree(series);
        return bad_file(h, "no param or metric coordinate");
    }
    m->param_dist = wd_xcalloc(m->nparams + 1, sizeof(char *));
    m->metric_var = wd_xcalloc(m->nmetrics + 1, sizeof(char *));
    m->metric_reduce = wd_xcalloc(m->nmetrics + 1, sizeof(char *));
    m->metric_units = wd_xcalloc(m->nmetrics + 1, sizeof(char *));
    m->metric_at = wd_xcalloc(m->nmetrics + 1, sizeof(double));
    if (!m->param_dist || !m->metric_var || !m->metric_reduce || !m->metric_units || !m->metric_at) {
        wd_xfree(series);
        return nomem(&h->c);
    }
    for (size_t j = 0; j < m->nparams; j++) {
        char *nm = h5_escape_name(m->param_names[j]);
        hid_t ds = nm ? H5Dopen2(f, nm, H5P_DEFAULT) : H5I_INVALID_HID;
        wd_xfree(nm);
        if (ds < 0) {
            wd_xfree(series);
            return bad_file(h, "a parameter's dataset is missing");
        }
        m->param_dist[j] = get_str_attr(ds, "distribution");
        H5Dclose(ds);
        if (!m->param_dist[j]) {
            wd_xfree(series);
            return bad_file(h, "a parameter has no distribution attribute");
        }
    }
    for (size_t j = 0; j < m->nmetrics; j++) {
        char *nm = h5_escape_name(m->metric_names[j]);
        hid_t ds = nm ? H5Dopen2(f, nm, H5P_DEFAULT) : H5I_INVALID_HID;
        wd_xfree(nm);
        if (ds < 0) {
            wd_xfree(series);
            return bad_file(h, "a metric's dataset is missing");
        }
        m->metric_var[j] = get_str_attr(ds, "sweep_var");
        m->metric_reduce[j] = get_str_attr(ds, "sweep_reduce");
        m->metric_units[j] = get_str_attr(ds, "units");
        bool at = get_num_attr(ds, "sweep_at", H5T_NATIVE_DOUBLE, &m->metric_at[j]);
        H5Dclose(ds);
        if (!m->metric_var[j] || !m->metric_reduce[j] || !m->metric_units[j] || !at) {
            wd_xfree(series);
            return bad_file(h, "a metric's attributes are missing");
        }
    }
    /* time */
    hid_t tds = H5Dopen2(f, "time", H5P_DEFAULT);
    if (tds < 0) {
        wd_xfree(series);
        return bad_file(h, "no time coordinate");
    }
    hid_t tsp = H5Dget_space(tds);
    m->ntime = (size_t)H5Sget_simple_extent_npoints(tsp);
    H5Sclose(tsp);
    char *tu = get_str_attr(tds, "units");
    char *desc = get_str_attr(tds, "description");
    m->time_units = wd_xstrdup(tu && !(desc && strcmp(tu, "1") == 0) ? tu : "");
    wd_xfree(tu);
    wd_xfree(desc);
    H5Dclose(tds);
    m->times = wd_xmalloc((m->ntime + 1) * sizeof *m->times);
    if (!m->time_units || !m->times || !get_doubles(f, "time", m->times, m->ntime)) {
        wd_xfree(series);
        return bad_file(h, "cannot read the time coordinate");
    }
    /* stored series and their ranges */
    char **snames = split_lines(series, &n);
    wd_xfree(series);
    if (!snames)
        return nomem(&h->c);
    m->series = wd_xcalloc(n + 1, sizeof *m->series);
    if (!m->series) {
        for (size_t i = 0; i < n; i++)
            wd_xfree(snames[i]);
        wd_xfree(snames);
        return nomem(&h->c);
    }
    m->nseries = n;
    wd_status st = WD_OK;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        sweep_series *s = &m->series[i];
        s->name = snames[i];
        char *nm = h5_escape_name(s->name);
        hid_t ds = nm ? H5Dopen2(f, nm, H5P_DEFAULT) : H5I_INVALID_HID;
        wd_xfree(nm);
        if (ds < 0) {
            st = bad_file(h, "a stored series' dataset is missing");
            continue;
        }
        s->units = get_str_attr(ds, "units");
        s->doc = get_str_attr(ds, "description");
        char *dims = get_str_attr(ds, "sweep_dims");
        H5Dclose(ds);
        size_t nd;
        char **dn = split_lines(dims, &nd);
        wd_xfree(dims);
        if (!s->units || !s->doc || !dn) {
            st = bad_file(h, "a stored series' attributes are missing");
            if (dn)
                for (size_t k = 0; k < nd; k++)
                    wd_xfree(dn[k]);
            wd_xfree(dn);
            continue;
        }
        s->ndims = nd;
        s->dims = wd_xcalloc(nd + 1, sizeof *s->dims);
        s->nelems = 1;
        for (size_t k = 0; s->dims && k < nd; k++) {
            size_t found = m->ndims;
            for (size_t q = 0; q < m->ndims; q++)
                if (strcmp(m->dims[q].name, dn[k]) == 0)
                    found = q;
            if (found == m->ndims) {
                sweep_dim *nd2 = wd_xrealloc(m->dims, (m->ndims + 1) * sizeof *nd2);
                if (nd2) {
                    m->dims = nd2;
                    sweep_dim *x = &m->dims[m->ndims];
                    memset(x, 0, sizeof *x);
                    char *dsn = h5_escape_name(dn[k]);
                    x->elems = dsn ? get_strings(f, dsn, &x->n) : NULL;
                    wd_xfree(dsn);
                    x->name = wd_xstrdup(dn[k]);
                    m->ndims++;
                    if (!x->elems || !x->name)
                        st = bad_file(h, "a subscript range's coordinate is missing");
                }
            }
            s->dims[k] = found;
            s->nelems *= m->dims[found].n;
        }
        for (size_t k = 0; k < nd; k++)
            wd_xfree(dn[k]);
        wd_xfree(dn);
        s->offset = off;
        off += m->ntime * s->nelems;
    }
    wd_xfree(snames);
    m->series_len = off;
    return st;
}

wd_status sweep_h5_open(const char *path, wd_diags *d, sweep_h5 **out)
{
    *out = NULL;
    sweep_h5 *h = wd_xcalloc(1, sizeof *h);
    if (!h)
        return WD_E_NOMEM;
    h->path = wd_xstrdup(path);
    h->c = (h5ctx){h->path, d};
    h->f = H5I_INVALID_HID;
    if (!h->path) {
        wd_xfree(h);
        return WD_E_NOMEM;
    }
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    wd_status st = WD_OK;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot open: %s", strerror(errno));
        st = WD_E_IO;
    } else if (H5Fis_hdf5(path) <= 0) {
        st = bad_file(h, "not an HDF5 file");
    } else if ((h->f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        st = fail(&h->c, "cannot open");
    }
    if (!st)
        st = read_meta(h);
    sweep_meta *m = &h->m;
    if (!st) {
        size_t R = (size_t)m->run_count;
        size_t nr = 0;
        h->status = wd_xcalloc(R + 1, 1);
        h->params = wd_xmalloc((R * m->nparams + 1) * sizeof(double));
        h->metrics = wd_xmalloc((R * m->nmetrics + 1) * sizeof(double));
        h->row = wd_xmalloc((m->series_len + 1) * sizeof(double));
        h->series_ds = wd_xcalloc(m->nseries + 1, sizeof *h->series_ds);
        double *col = wd_xmalloc((R + 1) * sizeof *col);
        if (!h->status || !h->params || !h->metrics || !h->row || !h->series_ds || !col) {
            st = nomem(&h->c);
        } else {
            hid_t ds = H5Dopen2(h->f, "status", H5P_DEFAULT);
            if (ds < 0 || (R && H5Dread(ds, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, h->status) < 0))
                st = bad_file(h, "cannot read status");
            if (ds >= 0)
                H5Dclose(ds);
            if (!st && (!(h->reason = get_strings(h->f, "reason", &nr)) || nr != R))
                st = bad_file(h, "cannot read reason");
            for (size_t j = 0; !st && j < m->nparams; j++) {
                char *nm = h5_escape_name(m->param_names[j]);
                if (!nm || !get_doubles(h->f, nm, col, R))
                    st = bad_file(h, "cannot read a parameter");
                for (size_t i = 0; !st && i < R; i++)
                    h->params[i * m->nparams + j] = col[i];
                wd_xfree(nm);
            }
            for (size_t j = 0; !st && j < m->nmetrics; j++) {
                char *nm = h5_escape_name(m->metric_names[j]);
                if (!nm || !get_doubles(h->f, nm, col, R))
                    st = bad_file(h, "cannot read a metric");
                for (size_t i = 0; !st && i < R; i++)
                    h->metrics[i * m->nmetrics + j] = col[i];
                wd_xfree(nm);
            }
            for (size_t j = 0; !st && j < m->nseries; j++) {
                char *nm = h5_escape_name(m->series[j].name);
                h->series_ds[j] = nm ? H5Dopen2(h->f, nm, H5P_DEFAULT) : H5I_INVALID_HID;
                wd_xfree(nm);
                if (h->series_ds[j] < 0)
                    st = bad_file(h, "cannot open a stored series");
            }
        }
        wd_xfree(col);
        if (h->reason && nr < R) { /* keep the array R long for close */
            for (size_t i = 0; i < nr; i++)
                wd_xfree(h->reason[i]);
            wd_xfree(h->reason);
            h->reason = NULL;
        }
    }
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    if (st) {
        sweep_h5_close(h);
        return st;
    }
    *out = h;
    return WD_OK;
}

const sweep_meta *sweep_h5_meta(const sweep_h5 *f) { return &f->m; }

bool sweep_h5_complete(sweep_h5 *f, uint64_t *missing)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < f->m.run_count; i++)
        n += f->status[i] == SWEEP_NOT_RUN;
    if (missing)
        *missing = n;
    return n == 0;
}

static bool h5_get(void *ctx, uint64_t run, wd_buf *buf, sweep_rec *rec)
{
    sweep_h5 *h = ctx;
    const sweep_meta *m = &h->m;
    if (run < m->run_first || run - m->run_first >= m->run_count)
        return false;
    size_t i = (size_t)(run - m->run_first);
    if (h->status[i] != SWEEP_OK && h->status[i] != SWEEP_FAILED)
        return false;
    for (size_t j = 0; j < m->nseries; j++) {
        const sweep_series *s = &m->series[j];
        hsize_t start[34] = {0}, count[34];
        start[0] = i;
        count[0] = 1;
        count[1] = m->ntime;
        for (size_t d = 0; d < s->ndims; d++)
            count[2 + d] = m->dims[s->dims[d]].n;
        hsize_t n = m->ntime * s->nelems;
        if (n == 0)
            continue;
        hid_t fs = H5Dget_space(h->series_ds[j]), ms = H5Screate_simple(1, &n, NULL);
        bool ok = fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
                  H5Dread(h->series_ds[j], H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, h->row + s->offset) >= 0;
        if (ms >= 0)
            H5Sclose(ms);
        if (fs >= 0)
            H5Sclose(fs);
        if (!ok)
            return false;
    }
    wd_buf_free(buf);
    const char *reason = h->reason[i][0] ? h->reason[i] : NULL;
    if (!sweep_rec_put(buf, m, run, h->status[i], reason, h->params + i * m->nparams, h->metrics + i * m->nmetrics,
                       h->row))
        return false;
    size_t len;
    return sweep_rec_get(buf->s, buf->n, m, rec, &len);
}

sweep_source sweep_h5_source(sweep_h5 *f) { return (sweep_source){f, h5_get}; }

void sweep_h5_close(sweep_h5 *h)
{
    if (!h)
        return;
    if (h->series_ds)
        for (size_t j = 0; j < h->m.nseries; j++)
            if (h->series_ds[j] > 0)
                H5Dclose(h->series_ds[j]);
    wd_xfree(h->series_ds);
    if (h->reason)
        for (uint64_t i = 0; i < h->m.run_count; i++)
            wd_xfree(h->reason[i]);
    wd_xfree(h->reason);
    wd_xfree(h->status);
    wd_xfree(h->params);
    wd_xfree(h->metrics);
    wd_xfree(h->row);
    if (h->f >= 0)
        H5Fclose(h->f);
    sweep_meta_free(&h->m);
    wd_xfree(h->path);
    wd_xfree(h);
}

/* ---- the sensitivity table ---------------------------------------------------------------------------- */

wd_status sweep_h5_print_indices(const char *path, FILE *out, wd_diags *d)
{
    sweep_h5 *h;
    wd_status st = sweep_h5_open(path, d, &h);
    if (st)
        return st;
    const sweep_meta *m = &h->m;
    bool saltelli = m->design == SCN_SALTELLI, morris = m->design == SCN_MORRIS;
    if (!saltelli && !morris) {
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL,
                    "no sensitivity indices: the sweep's design is %s; use design = \"saltelli\" (Sobol indices) or "
                    "\"morris\" (elementary effects)",
                    scn_design_names[m->design]);
        sweep_h5_close(h);
        return WD_E_ARG;
    }
    if (m->shard_count > 1) {
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL,
                    "this is shard %u of %u; merge the shards first (wandel merge OUT.h5 SHARD...)", m->shard_index,
                    m->shard_count);
        sweep_h5_close(h);
        return WD_E_ARG;
    }
    const char *names[4] = {"S1", "S1_conf", "ST", "ST_conf"};
    if (morris) {
        names[0] = "mu";
        names[1] = "mu_star";
        names[2] = "mu_star_conf";
        names[3] = "sigma";
    }
    size_t n = m->nmetrics * m->nparams;
    double *v[4] = {0};
    H5E_auto2_t of = NULL;
    void *od = NULL;
    H5Eget_auto2(H5E_DEFAULT, &of, &od);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    for (int i = 0; i < 4 && !st; i++) {
        v[i] = wd_xmalloc((n + 1) * sizeof(double));
        if (!v[i])
            st = nomem(&h->c);
        else if (!get_doubles(h->f, names[i], v[i], n))
            st = bad_file(h, "the sensitivity indices are missing");
    }
    H5Eset_auto2(H5E_DEFAULT, of, od);
    if (!st) {
        size_t wm = 6, wp = 5;
        for (size_t j = 0; j < m->nmetrics; j++)
            wm = strlen(m->metric_names[j]) > wm ? strlen(m->metric_names[j]) : wm;
        for (size_t j = 0; j < m->nparams; j++)
            wp = strlen(m->param_names[j]) > wp ? strlen(m->param_names[j]) : wp;
        fprintf(out, "%-*s  %-*s", (int)wm, "metric", (int)wp, "param");
        for (int i = 0; i < 4; i++)
            fprintf(out, "  %12s", names[i]);
        fprintf(out, "\n");
        for (size_t a = 0; a < m->nmetrics; a++)
            for (size_t b = 0; b < m->nparams; b++) {
                fprintf(out, "%-*s  %-*s", (int)wm, m->metric_names[a], (int)wp, m->param_names[b]);
                for (int i = 0; i < 4; i++)
                    fprintf(out, "  %12.6g", v[i][a * m->nparams + b]);
                fprintf(out, "\n");
            }
        if (saltelli)
            fprintf(out,
                    "\nS1: first-order Sobol index (Saltelli et al. 2010); ST: total index (Jansen 1999);\n"
                    "_conf: half-width of the %g%% bootstrap confidence interval (%ld resamples);\n"
                    "%llu base samples, %llu runs\n",
                    100 * m->confidence, m->resamples, (unsigned long long)m->samples, (unsigned long long)m->nruns);
        else
            fprintf(out,
                    "\nmu, mu_star: mean and mean absolute elementary effect per unit of the parameter's range\n"
                    "(Morris 1991; Campolongo et al. 2007); sigma: their standard deviation;\n"
                    "mu_star_conf: half-width of the %g%% bootstrap confidence interval (%ld resamples);\n"
                    "%llu trajectories on %u levels, %llu runs\n",
                    100 * m->confidence, m->resamples, (unsigned long long)m->samples, m->levels,
                    (unsigned long long)m->nruns);
    }
    for (int i = 0; i < 4; i++)
        wd_xfree(v[i]);
    sweep_h5_close(h);
    return st;
}

wd_status wd_sensitivity_print(const char *path, FILE *out, wd_diags *diags)
{
    return sweep_h5_print_indices(path, out, diags);
}
