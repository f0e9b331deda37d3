/* sink_hdf5.c: the HDF5 result writer, the last stage of a run.
 *
 * run.c turns a finished (or stopped) run into an out_view (outview.h); this
 * file writes that view to one HDF5 file that xarray, h5py, netCDF4, pandas
 * and R's ncdf4 open with no custom code. It is the only file of wandel that
 * includes hdf5.h.
 *
 * Layout of the file (everything at the root group, which is the only group
 * xarray shows by default):
 *
 *   time           float64 [time]; the save times; attributes units,
 *                  long_name. A dimension scale named "time".
 *   <range>        variable-length UTF-8 strings [<range>]: the element
 *                  names of a subscript range, a dimension scale; created once
 *                  however many variables use the range.
 *   <range>_2 ...  the same element names again, for the second (third, ...)
 *                  axis of a variable subscripted twice by one range, as in
 *                  flow[region, region]: xarray cannot give two axes of one
 *                  array the same dimension, so the k-th repeated axis gets the
 *                  scale "<range>_k" (attribute description says so).
 *   <variable>     float64 [time, range1, range2, ...] (timeless variables
 *                  drop the time axis; a timeless scalar is 0-d); attributes
 *                  units, long_name (the model's name), description (the
 *                  model's documentation), _FillValue = NaN.
 *
 * A comparison (outview.h: outer dimensions such as region, package, shock)
 * puts the outer dimensions a variable spans first: [region, package, shock,
 * time, range1, ...]. They are coordinates like the ranges (and must not
 * share a name with a range that lists other elements). Such a variable's
 * values are gathered into one buffer and written with one call.
 *
 * Dimension scales: H5DSset_scale marks the coordinates; the attachments are
 * written directly in the format H5DSattach_scale uses (DIMENSION_LIST on the
 * variable, REFERENCE_LIST on the scale), because H5DSattach_scale is
 * quadratic in the number of variables. Each scale also carries netCDF-4's
 * _Netcdf4Dimid and each variable _Netcdf4Coordinates (its dimension ids),
 * as netCDF-C itself writes them; readers use them and hide them.
 *
 * Names: HDF5 link names cannot contain '/'. A '/' in a variable or range
 * name is written as U+2215 DIVISION SLASH ("\u2215", looks the same, cannot
 * collide with a name from a model); long_name keeps the original. Should a
 * name still clash with one already used ("time", a range, an earlier
 * variable), "_2", "_3", ... is appended to the later one. Names are reserved
 * in the order: time, ranges, repeated-range scales, variables.
 *
 * Time units: the model's time unit string as given (e.g. "Year", "Month").
 * When the model declares none, units = "1" (a UDUNITS-parsable placeholder)
 * and the coordinate's description says that the unit is unknown. Never a CF
 * "<unit> since <date>" string: xarray tries to decode those as calendar
 * dates and raises for decimal years.
 *
 * Strings: attributes are scalar fixed-length strings (ASCII, or UTF-8 when
 * they hold non-ASCII bytes), NUL-terminated padding. HDF5 refuses a
 * fixed-length string type of size 0, so an empty string is stored as one
 * NUL byte, which h5py, netCDF4 and xarray all read back as "". Coordinate
 * element names are variable-length UTF-8 strings, which netCDF-4 calls
 * NC_STRING, so xarray gets str values and .sel(region="Ruhr") works.
 *
 * Storage: float datasets of more than SMALL_BYTES are chunked and compressed
 * (shuffle + deflate level DEFLATE_LEVEL). A chunk holds whole rows of
 * elements and as many time points as fit in CHUNK_ELEMS doubles (256 KiB,
 * well under HDF5's default 1 MiB chunk cache); a variable with more than
 * CHUNK_ELEMS elements per time point is also split along its outer
 * subscripts. Smaller datasets are contiguous. Library version bounds are
 * EARLIEST..V18: the oldest structures that hold the data, newer ones (1.8)
 * only where needed: attributes over 64 KiB (the scenario text, the
 * dimension-scale reference list of "time" in a model with thousands of
 * variables) and creation-order tracking; every HDF5 since 1.8 and netCDF-C
 * read the file. The lower bound must stay EARLIEST: it keeps the version-0
 * superblock, which has no checksum; HDF5 1.10.8's H5Fget_file_image (used
 * below) returns version-2/3 superblocks with a stale checksum, and the file
 * would not open. Object modification times are not stored, so two writes of
 * one run differ only in the "created" attribute.
 *
 * Order: readers list the datasets in name order (HDF5's own). Tracking link
 * creation order would give model order, but it turns the root group into a
 * "new-style" group that h5netcdf searches in full for every variable it
 * opens: 46 s instead of 9 s for 6000 variables, 3.4 s instead of 1.8 s for
 * 1500. Attributes keep their creation order (units, long_name, ...).
 *
 * Crash safety: HDF5 builds the file in memory (core driver, no backing
 * store) and the finished image is written with plain write() to
 * ".<name>.tmp.<pid>.<seq>" beside the target (created with O_EXCL before the
 * work starts, so a missing directory is reported at once), fsynced, closed,
 * renamed over the target, and the directory is fsynced: the target is
 * either the old file or the whole new one. On failure the temporary is
 * removed and the target is untouched. Why memory: HDF5 1.10 cannot close a
 * file whose metadata it failed to write (disk full, EFBIG); the id stays
 * open and HDF5's exit handler then crashes the process. In memory that
 * cannot happen, and every disk error comes from our own system calls with
 * its exact errno (and no HDF5 file locking, which fails on some cluster
 * file systems, is involved). The price is memory: HDF5's copy of the file
 * plus the image (each at most about the size of the values, less when they
 * compress) besides the view, which holds every value in memory already.
 * A failing directory fsync after the rename is only a warning: the new file
 * is complete and in place, only its survival of a power cut is uncertain.
 *
 * Errors: HDF5's automatic error printing is switched off while writing (and
 * restored afterwards) and replaced by one diagnostic naming the path, the
 * step that failed and the system's reason when there is one.
 */
#include "outview.h"

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
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    CHUNK_ELEMS = 32768,  /* doubles per chunk at most: 256 KiB */
    SMALL_BYTES = 4096,   /* datasets up to this size are contiguous, uncompressed */
    DEFLATE_LEVEL = 4,
};

/* One entry of a dimension scale's REFERENCE_LIST attribute: a dataset
 * using the scale and the axis it uses it on. Same layout as HDF5's own
 * (H5DSprivate.h ds_list_t), so H5DS functions and every reader agree. */
typedef struct scale_use {
    hobj_ref_t ref;
    int dim_idx;
} scale_use;

/* A dimension scale: its open dataset, a reference to it (for the
 * DIMENSION_LIST of the datasets using it) and who uses it (for its
 * REFERENCE_LIST, written once at the end). */
typedef struct scale {
    hid_t ds;
    hobj_ref_t ref;
    int dimid; /* netCDF-4 dimension id: time 0, coordinates 1, 2, ... */
    VEC(scale_use) uses;
} scale;

/* A coordinate dataset: range `dim` for its (rep+1)-th use within one
 * variable (rep 0 = the range's own coordinate). */
typedef struct coord {
    const out_dim *dim;
    size_t rep;
    char *name; /* dataset name in the file */
    scale sc;
} coord;

typedef struct h5w {
    const out_view *v;
    const char *path; /* the target, for messages */
    wd_diags *diags;
    hid_t file;
    scale time;
    VEC(coord) coords;
    char **vnames; /* dataset name of each variable */
    wd_map *taken; /* names used so far */
} h5w;

/* ---- diagnostics ------------------------------------------------------------ */

static void h5_err(h5w *w, const char *fmt, ...) WD_PRINTF(2, 3);

static void h5_err(h5w *w, const char *fmt, ...)
{
    wd_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    wd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    wd_diag_add(w->diags, WD_ERROR, (wd_loc){w->path, 0, 0}, NULL, "%s", wd_buf_str(&b));
    wd_buf_free(&b);
}

/* Reports a failed HDF5 call as "cannot write HDF5 file: <what>: <reason>".
 * Call right after the failure, before another HDF5 call clears the error
 * stack. Returns WD_E_IO. */
static wd_status h5_fail(h5w *w, const char *fmt, ...) WD_PRINTF(2, 3);

static wd_status h5_fail(h5w *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_status st = h5_report_failure(w->diags, w->path, "cannot write HDF5 file: ", fmt, ap);
    va_end(ap);
    return st;
}

static wd_status oom(h5w *w)
{
    h5_err(w, "cannot write HDF5 file: out of memory");
    return WD_E_NOMEM;
}

/* ---- view validation ---------------------------------------------------------- */

/* The view comes from other code; a broken one must give WD_E_ARG, never a
 * crash. Checks every pointer the writer follows and every column index. */
/* A coordinate's name and elements must be present. */
static wd_status check_dim(h5w *w, const out_dim *r, const char *what, size_t k, const char *owner)
{
    if (!r || !r->name || !r->name[0] || (r->n > 0 && !r->elems)) {
        h5_err(w, "invalid result view: %s %zu of %s is incomplete", what, k + 1, owner);
        return WD_E_ARG;
    }
    for (size_t e = 0; e < r->n; e++)
        if (!r->elems[e]) {
            h5_err(w, "invalid result view: range '%s' has an unnamed element %zu", r->name, e + 1);
            return WD_E_ARG;
        }
    return WD_OK;
}

/* Number of outer blocks (product of the outer sizes), or 0 with an error
 * when it overflows. */
static size_t outer_blocks(const out_view *v)
{
    size_t n = 1;
    for (size_t k = 0; k < v->nouter; k++) {
        if (v->outer[k]->n != 0 && n > SIZE_MAX / v->outer[k]->n)
            return 0;
        n *= v->outer[k]->n;
    }
    return n;
}

/* The outer dimensions variable x spans (see outview.h). */
static unsigned outer_mask(const out_view *v, const out_var *x)
{
    if (v->nouter == 0)
        return 0;
    if (!v->outer_masks)
        return (1u << v->nouter) - 1u;
    return v->outer_masks[x - v->vars];
}

static int popcount_mask(unsigned m)
{
    int n = 0;
    for (; m; m >>= 1)
        n += (int)(m & 1u);
    return n;
}

static wd_status check_view(h5w *w)
{
    const out_view *v = w->v;
    if (v->nouter > 8 || (v->nouter > 0 && !v->outer)) {
        h5_err(w, "invalid result view: %zu outer dimensions (at most 8, with a list)", v->nouter);
        return WD_E_ARG;
    }
    for (size_t k = 0; k < v->nouter; k++)
        if (check_dim(w, v->outer[k], "outer dimension", k, "the view"))
            return WD_E_ARG;
    if (v->nouter > 0 && outer_blocks(v) == 0) {
        bool empty = false;
        for (size_t k = 0; k < v->nouter; k++)
            empty |= v->outer[k]->n == 0;
        if (!empty) {
            h5_err(w, "invalid result view: the outer dimensions are too large");
            return WD_E_ARG;
        }
    }
    if (v->nattrs > 0 && (!v->attr_names || !v->attr_values)) {
        h5_err(w, "invalid result view: %zu attributes but no list", v->nattrs);
        return WD_E_ARG;
    }
    for (size_t i = 0; i < v->nattrs; i++)
        if (!v->attr_names[i] || !v->attr_names[i][0] || !v->attr_values[i]) {
            h5_err(w, "invalid result view: attribute %zu has no name or value", i + 1);
            return WD_E_ARG;
        }
    if (v->nsaved > 0 && !v->times) {
        h5_err(w, "invalid result view: %zu save points but no times", v->nsaved);
        return WD_E_ARG;
    }
    if (v->nsaved > 0 && v->ncols > 0 && !v->rows) {
        h5_err(w, "invalid result view: no value matrix");
        return WD_E_ARG;
    }
    if (v->nvars > 0 && !v->vars) {
        h5_err(w, "invalid result view: %zu variables but no list", v->nvars);
        return WD_E_ARG;
    }
    for (size_t i = 0; i < v->nvars; i++) {
        const out_var *x = &v->vars[i];
        if (!x->name || !x->name[0]) {
            h5_err(w, "invalid result view: variable %zu has no name", i);
            return WD_E_ARG;
        }
        if (x->ndims > 0 && !x->dims) {
            h5_err(w, "invalid result view: variable '%s' has no subscript ranges", x->name);
            return WD_E_ARG;
        }
        if (outer_mask(w->v, x) >> v->nouter) {
            h5_err(w, "invalid result view: variable '%s' spans outer dimensions the view lacks",
                   x->name);
            return WD_E_ARG;
        }
        /* HDF5 allows 32 dimensions, one is time */
        if (x->ndims > 30 || x->ndims + (size_t)popcount_mask(outer_mask(w->v, x)) > 30) {
            h5_err(w, "invalid result view: variable '%s' has %zu subscripts (at most 30)",
                   x->name, x->ndims + (size_t)popcount_mask(outer_mask(w->v, x)));
            return WD_E_ARG;
        }
        size_t prod = 1;
        for (size_t d = 0; d < x->ndims; d++) {
            const out_dim *r = x->dims[d];
            char owner[300];
            snprintf(owner, sizeof owner, "variable '%.250s'", x->name);
            if (check_dim(w, r, "subscript", d, owner))
                return WD_E_ARG;
            if (r->n != 0 && prod > SIZE_MAX / r->n) {
                h5_err(w, "invalid result view: variable '%s' is too large", x->name);
                return WD_E_ARG;
            }
            prod *= r->n;
        }
        if (prod != x->nelems) {
            h5_err(w,
                   "invalid result view: variable '%s' has %zu elements but its ranges give %zu",
                   x->name, x->nelems, prod);
            return WD_E_ARG;
        }
        if (x->first_col > v->ncols || x->nelems > v->ncols - x->first_col) {
            h5_err(w, "invalid result view: variable '%s' needs columns %zu..%zu of %zu", x->name,
                   x->first_col, x->first_col + x->nelems, v->ncols);
            return WD_E_ARG;
        }
    }
    return WD_OK;
}

/* ---- names ------------------------------------------------------------------------ */

/* Reserves base, or base_2, base_3, ... when taken. Heap string or NULL. */
static char *take_unique(h5w *w, const char *base)
{
    char *name = wd_xstrdup(base);
    for (size_t k = 2; name && wd_map_get(w->taken, name, NULL); k++) {
        wd_xfree(name);
        wd_buf b = {0};
        wd_buf_printf(&b, "%s_%zu", base, k);
        name = b.oom ? (wd_buf_free(&b), NULL) : wd_buf_take(&b);
    }
    if (name && !wd_map_put(w->taken, name, 0)) {
        wd_xfree(name);
        name = NULL;
    }
    return name;
}

static bool same_elems(const out_dim *a, const out_dim *b)
{
    if (a == b)
        return true;
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->elems[i], b->elems[i]) != 0)
            return false;
    return true;
}

static coord *find_coord(h5w *w, const char *range, size_t rep)
{
    for (size_t i = 0; i < w->coords.n; i++)
        if (w->coords.v[i].rep == rep && strcmp(w->coords.v[i].dim->name, range) == 0)
            return &w->coords.v[i];
    return NULL;
}

/* How many earlier subscripts of x use the same range as subscript d. */
static size_t dim_rep(const out_var *x, size_t d)
{
    size_t rep = 0;
    for (size_t e = 0; e < d; e++)
        rep += strcmp(x->dims[e]->name, x->dims[d]->name) == 0;
    return rep;
}

/* Collects the coordinates every variable needs and gives every dataset its
 * name. Ranges are identified by name; two ranges of one name must list the
 * same elements. */
static wd_status plan_names(h5w *w)
{
    const out_view *v = w->v;
    w->taken = wd_map_new();
    if (!w->taken || !wd_map_put(w->taken, "time", 0))
        return oom(w);
    for (size_t k = 0; k < v->nouter; k++) {
        if (find_coord(w, v->outer[k]->name, 0)) {
            h5_err(w, "invalid result view: two outer dimensions named '%s'", v->outer[k]->name);
            return WD_E_ARG;
        }
        coord nc = {v->outer[k], 0, NULL, {H5I_INVALID_HID, 0, (int)w->coords.n + 1, {0}}};
        if (!VEC_PUSH(w->coords, nc))
            return oom(w);
    }
    for (size_t i = 0; i < v->nvars; i++) {
        const out_var *x = &v->vars[i];
        for (size_t d = 0; d < x->ndims; d++) {
            size_t rep = dim_rep(x, d);
            coord *c = find_coord(w, x->dims[d]->name, rep);
            if (c) {
                if (!same_elems(c->dim, x->dims[d])) {
                    h5_err(w,
                           "invalid result view: two subscript ranges named '%s' with "
                           "different elements",
                           x->dims[d]->name);
                    return WD_E_ARG;
                }
                continue;
            }
            coord nc = {x->dims[d], rep, NULL,
                        {H5I_INVALID_HID, 0, (int)w->coords.n + 1, {0}}};
            if (!VEC_PUSH(w->coords, nc))
                return oom(w);
        }
    }
    /* Ranges first, then the scales of repeated axes, then variables: the
     * names users know from the model win over generated ones. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < w->coords.n; i++) {
            coord *c = &w->coords.v[i];
            if ((pass == 0) != (c->rep == 0))
                continue;
            char *base = h5_escape_name(c->dim->name);
            if (base && c->rep > 0) {
                wd_buf b = {0};
                wd_buf_printf(&b, "%s_%zu", base, c->rep + 1);
                wd_xfree(base);
                base = b.oom ? (wd_buf_free(&b), NULL) : wd_buf_take(&b);
            }
            c->name = base ? take_unique(w, base) : NULL;
            wd_xfree(base);
            if (!c->name)
                return oom(w);
        }
    w->vnames = wd_xcalloc(v->nvars ? v->nvars : 1, sizeof *w->vnames);
    if (!w->vnames)
        return oom(w);
    for (size_t i = 0; i < v->nvars; i++) {
        char *base = h5_escape_name(v->vars[i].name);
        w->vnames[i] = base ? take_unique(w, base) : NULL;
        wd_xfree(base);
        if (!w->vnames[i])
            return oom(w);
    }
    return WD_OK;
}

/* ---- attributes ---------------------------------------------------------------- */

/* A string attribute (see h5_put_str_attr); failure reported for owner. */
static wd_status put_str_attr(h5w *w, hid_t obj, const char *name, const char *value,
                              const char *owner)
{
    if (!h5_put_str_attr(obj, name, value))
        return h5_fail(w, "cannot write attribute '%s' of '%s'", name, owner);
    return WD_OK;
}

static wd_status put_num_attr(h5w *w, hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                              const void *value, const char *owner)
{
    if (!h5_put_num_attr(obj, name, ftype, mtype, 1, value))
        return h5_fail(w, "cannot write attribute '%s' of '%s'", name, owner);
    return WD_OK;
}

static wd_status put_double_attr(h5w *w, hid_t obj, const char *name, double x,
                                 const char *owner)
{
    return put_num_attr(w, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &x, owner);
}

/* ---- datasets ----------------------------------------------------------------------- */

/* Creation properties of a float dataset of the given shape: NaN fill,
 * attribute order kept, no modification times; chunked + compressed unless
 * small. chunk[] receives the chunk shape (the whole shape when contiguous). */
static hid_t float_dcpl(int rank, const hsize_t *shape, hsize_t *chunk)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0)
        return dcpl;
    const double nan = NAN;
    hsize_t total = 1;
    for (int d = 0; d < rank; d++) {
        total *= shape[d];
        chunk[d] = shape[d];
    }
    if (H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan) < 0 ||
        H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_obj_track_times(dcpl, 0) < 0)
        goto fail;
    if (rank == 0 || total == 0 || total * sizeof(double) <= SMALL_BYTES)
        return dcpl;
    h5_chunk_shape(rank, shape, CHUNK_ELEMS, chunk);
    if (H5Pset_chunk(dcpl, rank, chunk) < 0)
        goto fail;
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 &&
        (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0))
        goto fail;
    return dcpl;
fail:
    H5Pclose(dcpl);
    return H5I_INVALID_HID;
}

static hid_t create_float(h5w *w, const char *name, int rank, const hsize_t *shape,
                          hsize_t *chunk)
{
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, shape, NULL);
    hid_t dcpl = float_dcpl(rank, shape, chunk);
    hid_t ds = H5I_INVALID_HID;
    if (space >= 0 && dcpl >= 0)
        ds = H5Dcreate2(w->file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0)
        h5_fail(w, "cannot create dataset '%s'", name);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return ds;
}

static wd_status write_time(h5w *w)
{
    const out_view *v = w->v;
    hsize_t n = v->nsaved, chunk;
    w->time.ds = create_float(w, "time", 1, &n, &chunk);
    if (w->time.ds < 0)
        return WD_E_IO;
    if (n > 0 &&
        H5Dwrite(w->time.ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v->times) < 0)
        return h5_fail(w, "cannot write dataset 'time'");
    if (H5DSset_scale(w->time.ds, "time") < 0 ||
        H5Rcreate(&w->time.ref, w->time.ds, ".", H5R_OBJECT, H5I_INVALID_HID) < 0)
        return h5_fail(w, "cannot make dataset 'time' a dimension scale");
    const char *units = v->time_units && v->time_units[0] ? v->time_units : "1";
    int dimid = 0;
    wd_status st = put_num_attr(w, w->time.ds, "_Netcdf4Dimid", H5T_STD_I32LE, H5T_NATIVE_INT,
                                &dimid, "time");
    if (!st)
        st = put_str_attr(w, w->time.ds, "units", units, "time");
    if (!st)
        st = put_str_attr(w, w->time.ds, "long_name", "Time", "time");
    if (!st && units != v->time_units)
        st = put_str_attr(w, w->time.ds, "description",
                          "simulation time; the model declares no time unit", "time");
    return st;
}

static wd_status write_coord(h5w *w, coord *c)
{
    hsize_t n = c->dim->n;
    wd_status st = WD_OK;
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate_simple(1, &n, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (type < 0 || space < 0 || dcpl < 0 || H5Tset_size(type, H5T_VARIABLE) < 0 ||
        H5Tset_cset(type, H5T_CSET_UTF8) < 0 ||
        H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_obj_track_times(dcpl, 0) < 0 ||
        (c->sc.ds = H5Dcreate2(w->file, c->name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0) {
        st = h5_fail(w, "cannot create dataset '%s'", c->name);
        goto done;
    }
    /* HDF5 reads the char * array; it does not modify it. */
    if (n > 0 && H5Dwrite(c->sc.ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, (void *)c->dim->elems) < 0) {
        st = h5_fail(w, "cannot write dataset '%s'", c->name);
        goto done;
    }
    if (H5DSset_scale(c->sc.ds, c->name) < 0 ||
        H5Rcreate(&c->sc.ref, c->sc.ds, ".", H5R_OBJECT, H5I_INVALID_HID) < 0) {
        st = h5_fail(w, "cannot make dataset '%s' a dimension scale", c->name);
        goto done;
    }
    st = put_num_attr(w, c->sc.ds, "_Netcdf4Dimid", H5T_STD_I32LE, H5T_NATIVE_INT, &c->sc.dimid,
                      c->name);
    if (!st)
        st = put_str_attr(w, c->sc.ds, "long_name", c->dim->name, c->name);
    if (!st && c->rep > 0) {
        wd_buf b = {0};
        wd_buf_printf(&b,
                      "elements of subscript range '%s', for axis %zu of variables that use "
                      "the range %zu or more times",
                      c->dim->name, c->rep + 1, c->rep + 1);
        st = b.oom ? oom(w) : put_str_attr(w, c->sc.ds, "description", wd_buf_str(&b), c->name);
        wd_buf_free(&b);
    }
done:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return st;
}

/* With outer dimensions: gathers the variable's values from every block it
 * spans into one buffer in dataset order and writes them at once. */
static wd_status write_values_outer(h5w *w, const out_var *x, const char *name, hid_t ds)
{
    const out_view *v = w->v;
    size_t nk = x->timeless ? 1 : v->nsaved;   /* time points written per block */
    size_t nblocks = 1, sizes[8], strides[8];  /* over the spanned outer dimensions */
    size_t stride = 1;
    for (size_t k = v->nouter; k-- > 0;) {
        strides[k] = stride; /* block-index stride of outer dimension k */
        stride *= v->outer[k]->n;
    }
    for (size_t k = 0; k < v->nouter; k++) {
        sizes[k] = (outer_mask(w->v, x) >> k & 1u) ? v->outer[k]->n : 1;
        nblocks *= sizes[k];
    }
    if (nblocks == 0 || nk == 0 || x->nelems == 0)
        return WD_OK;
    if (nblocks > SIZE_MAX / nk / x->nelems / sizeof(double))
        return oom(w);
    double *buf = wd_xmalloc(nblocks * nk * x->nelems * sizeof *buf);
    if (!buf)
        return oom(w);
    size_t idx[8] = {0};
    for (size_t b = 0; b < nblocks; b++) {
        size_t block = 0;
        for (size_t k = 0; k < v->nouter; k++)
            block += idx[k] * strides[k];
        const double *src = v->rows + block * v->nsaved * v->ncols + x->first_col;
        double *dst = buf + b * nk * x->nelems;
        for (size_t t = 0; t < nk; t++)
            memcpy(dst + t * x->nelems, src + t * v->ncols, x->nelems * sizeof *buf);
        for (size_t k = v->nouter; k-- > 0;) { /* next combination, last fastest */
            if (++idx[k] < sizes[k])
                break;
            idx[k] = 0;
        }
    }
    wd_status st = WD_OK;
    if (H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        st = h5_fail(w, "cannot write dataset '%s'", name);
    wd_xfree(buf);
    return st;
}

/* Copies the variable's values into its dataset, one chunk row of time
 * points at a time so that memory stays bounded and each write fills whole
 * chunks. */
static wd_status write_values(h5w *w, const out_var *x, const char *name, hid_t ds, int rank,
                              const hsize_t *shape, const hsize_t *chunk)
{
    const out_view *v = w->v;
    if (v->nsaved == 0 || x->nelems == 0)
        return WD_OK; /* nothing saved: the dataset reads as its NaN fill */
    if (v->nouter > 0)
        return write_values_outer(w, x, name, ds);
    if (x->timeless) {
        /* Row 0 holds the value; its columns are contiguous already. */
        if (H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     v->rows + x->first_col) < 0)
            return h5_fail(w, "cannot write dataset '%s'", name);
        return WD_OK;
    }
    size_t block = (size_t)chunk[0];
    double *buf = wd_xmalloc(block * x->nelems * sizeof *buf);
    if (!buf)
        return oom(w);
    hsize_t start[32] = {0}, count[32];
    for (int d = 0; d < rank; d++)
        count[d] = shape[d];
    wd_status st = WD_OK;
    for (size_t k0 = 0; k0 < v->nsaved; k0 += block) {
        size_t nk = v->nsaved - k0 < block ? v->nsaved - k0 : block;
        for (size_t k = 0; k < nk; k++)
            memcpy(buf + k * x->nelems, v->rows + (k0 + k) * v->ncols + x->first_col,
                   x->nelems * sizeof *buf);
        start[0] = k0;
        count[0] = nk;
        if (!h5_write_slab(ds, H5T_NATIVE_DOUBLE, rank, start, count, buf)) {
            st = h5_fail(w, "cannot write dataset '%s'", name);
            break;
        }
    }
    wd_xfree(buf);
    return st;
}

/* Attaches the scales of every axis of x's dataset, as H5DSattach_scale
 * would: a DIMENSION_LIST attribute (per axis a variable-length list holding
 * one reference to its scale) now, and an entry in each scale's
 * REFERENCE_LIST, written by write_ref_list at the end. H5DSattach_scale
 * itself rewrites the scale's whole list at every call, which took 45 s for
 * a model with 6000 variables; this is linear.
 *
 * Also writes netCDF-4's _Netcdf4Coordinates (the dimension ids of the axes;
 * the scales carry _Netcdf4Dimid). netCDF-C and h5netcdf read the dimensions
 * from these and hide them; without them h5netcdf looks up every
 * DIMENSION_LIST reference by name, a search of the whole root group each
 * time: 69 s instead of 3 s to open a file of 6000 variables. */
static wd_status attach_scales(h5w *w, const out_var *x, hid_t ds, const char *name, int rank)
{
    /* axes: the spanned outer dimensions, time (unless timeless), the ranges */
    scale *axes[32];
    int na = 0;
    for (size_t k = 0; k < w->v->nouter; k++)
        if (outer_mask(w->v, x) >> k & 1u)
            axes[na++] = &find_coord(w, w->v->outer[k]->name, 0)->sc;
    if (!x->timeless)
        axes[na++] = &w->time;
    for (size_t d = 0; d < x->ndims; d++)
        axes[na++] = &find_coord(w, x->dims[d]->name, dim_rep(x, d))->sc;
    hvl_t list[32];
    hobj_ref_t refs[32];
    int dimids[32];
    scale_use use = {0};
    if (H5Rcreate(&use.ref, ds, ".", H5R_OBJECT, H5I_INVALID_HID) < 0)
        return h5_fail(w, "cannot refer to dataset '%s'", name);
    for (int a = 0; a < rank && a < na; a++) {
        scale *sc = axes[a];
        refs[a] = sc->ref;
        dimids[a] = sc->dimid;
        list[a].len = 1;
        list[a].p = &refs[a];
        use.dim_idx = a;
        if (!VEC_PUSH(sc->uses, use))
            return oom(w);
    }
    hsize_t n = (hsize_t)rank;
    wd_status st = WD_OK;
    hid_t type = H5Tvlen_create(H5T_STD_REF_OBJ), space = H5Screate_simple(1, &n, NULL);
    hid_t attr = H5I_INVALID_HID;
    if (type < 0 || space < 0 ||
        (attr = H5Acreate2(ds, "DIMENSION_LIST", type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(attr, type, list) < 0)
        st = h5_fail(w, "cannot attach dimensions to '%s'", name);
    if (attr >= 0)
        H5Aclose(attr);
    attr = H5I_INVALID_HID;
    if (!st && ((attr = H5Acreate2(ds, "_Netcdf4Coordinates", H5T_STD_I32LE, space, H5P_DEFAULT,
                                   H5P_DEFAULT)) < 0 ||
                H5Awrite(attr, H5T_NATIVE_INT, dimids) < 0))
        st = h5_fail(w, "cannot attach dimensions to '%s'", name);
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return st;
}

/* Writes the REFERENCE_LIST of a scale: every (dataset, axis) using it. */
static wd_status write_ref_list(h5w *w, scale *sc, const char *name)
{
    if (sc->uses.n == 0)
        return WD_OK;
    hsize_t n = sc->uses.n;
    wd_status st = WD_OK;
    hid_t type = H5Tcreate(H5T_COMPOUND, sizeof(scale_use));
    hid_t space = H5Screate_simple(1, &n, NULL), attr = H5I_INVALID_HID;
    if (type < 0 || space < 0 ||
        H5Tinsert(type, "dataset", offsetof(scale_use, ref), H5T_STD_REF_OBJ) < 0 ||
        H5Tinsert(type, "dimension", offsetof(scale_use, dim_idx), H5T_NATIVE_INT) < 0 ||
        (attr = H5Acreate2(sc->ds, "REFERENCE_LIST", type, space, H5P_DEFAULT, H5P_DEFAULT)) <
            0 ||
        H5Awrite(attr, type, sc->uses.v) < 0)
        st = h5_fail(w, "cannot list the datasets using dimension '%s'", name);
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return st;
}

static wd_status write_var(h5w *w, size_t i)
{
    const out_var *x = &w->v->vars[i];
    const char *name = w->vnames[i];
    hsize_t shape[32], chunk[32];
    int off = 0;
    for (size_t k = 0; k < w->v->nouter; k++)
        if (outer_mask(w->v, x) >> k & 1u)
            shape[off++] = w->v->outer[k]->n;
    if (!x->timeless)
        shape[off++] = w->v->nsaved;
    int rank = off + (int)x->ndims;
    for (size_t d = 0; d < x->ndims; d++)
        shape[off + (int)d] = x->dims[d]->n;
    hid_t ds = create_float(w, name, rank, shape, chunk);
    if (ds < 0)
        return WD_E_IO;
    wd_status st = write_values(w, x, name, ds, rank, shape, chunk);
    if (!st)
        st = put_str_attr(w, ds, "units", x->units, name);
    if (!st)
        st = put_str_attr(w, ds, "long_name", x->name, name);
    if (!st)
        st = put_str_attr(w, ds, "description", x->doc, name);
    if (!st)
        st = put_double_attr(w, ds, "_FillValue", NAN, name);
    if (!st && rank > 0)
        st = attach_scales(w, x, ds, name, rank);
    H5Dclose(ds);
    return st;
}

static wd_status write_root_attrs(h5w *w)
{
    const out_view *v = w->v;
    hid_t f = w->file;
    wd_status st = put_str_attr(w, f, "Conventions", "CF-1.8", "/");
    if (!st)
        st = put_str_attr(w, f, "wandel_version", WD_VERSION, "/");
    if (!st && v->model_path)
        st = put_str_attr(w, f, "model_path", v->model_path, "/");
    if (!st && v->model_sha256)
        st = put_str_attr(w, f, "model_sha256", v->model_sha256, "/");
    if (!st && v->scenario_path)
        st = put_str_attr(w, f, "scenario_path", v->scenario_path, "/");
    if (!st && v->scenario_text)
        st = put_str_attr(w, f, "scenario", v->scenario_text, "/");
    if (!st && v->method)
        st = put_str_attr(w, f, "method", v->method, "/");
    if (!st && isfinite(v->rtol))
        st = put_double_attr(w, f, "rtol", v->rtol, "/");
    if (!st && isfinite(v->atol))
        st = put_double_attr(w, f, "atol", v->atol, "/");
    if (!st)
        st = put_double_attr(w, f, "time_step", v->time_step, "/");
    if (!st)
        st = put_double_attr(w, f, "saveper", v->saveper, "/");
    uint64_t seed = v->seed;
    if (!st)
        st = put_num_attr(w, f, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &seed, "/");
    char created[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!st)
        st = put_str_attr(w, f, "created", created, "/");
    int complete = v->complete ? 1 : 0;
    if (!st)
        st = put_num_attr(w, f, "complete", H5T_STD_I32LE, H5T_NATIVE_INT, &complete, "/");
    if (!st && !v->complete)
        st = put_str_attr(w, f, "incomplete_reason", v->reason ? v->reason : "", "/");
    for (size_t i = 0; !st && i < v->nattrs; i++)
        st = put_str_attr(w, f, v->attr_names[i], v->attr_values[i], "/");
    return st;
}

static wd_status write_contents(h5w *w)
{
    wd_status st = write_time(w);
    for (size_t i = 0; !st && i < w->coords.n; i++)
        st = write_coord(w, &w->coords.v[i]);
    for (size_t i = 0; !st && i < w->v->nvars; i++)
        st = write_var(w, i);
    if (!st)
        st = write_ref_list(w, &w->time, "time");
    for (size_t i = 0; !st && i < w->coords.n; i++)
        st = write_ref_list(w, &w->coords.v[i].sc, w->coords.v[i].name);
    if (!st)
        st = write_root_attrs(w);
    return st;
}

/* ---- the file ------------------------------------------------------------------------ */

/* The file is built in memory (core driver, no backing store). HDF5 1.10
 * cannot close a file whose metadata it failed to write (disk full): the id
 * stays open and the library's exit handler then crashes the process. In
 * memory nothing can fail that way; the finished image is written with
 * write()/fsync()/close(), whose errors name the exact cause. */
static wd_status open_file(h5w *w, const char *tmp)
{
    const out_view *v = w->v;
    /* Grow the in-memory file in steps of about a quarter of the raw data. */
    double raw = 0;
    for (size_t i = 0; i < v->nvars; i++) {
        double blocks = 1;
        for (size_t k = 0; k < v->nouter; k++)
            if (outer_mask(v, &v->vars[i]) >> k & 1u)
                blocks *= (double)v->outer[k]->n;
        raw += 8.0 * blocks * (double)v->vars[i].nelems *
               (v->vars[i].timeless ? 1.0 : (double)v->nsaved);
    }
    size_t step = 1 << 20;
    if (raw / 4 > (double)step)
        step = raw / 4 > (double)(64u << 20) ? (size_t)64u << 20 : (size_t)(raw / 4);
    wd_status st = WD_OK;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE);
    const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED; /* of attributes */
    if (fapl < 0 || fcpl < 0 || H5Pset_fapl_core(fapl, step, 0) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18) < 0 ||
        H5Pset_attr_creation_order(fcpl, order) < 0 ||
        (w->file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl)) < 0)
        st = h5_fail(w, "cannot create the file in memory");
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    return st;
}

/* Closes every object and the file; true when all went well. With
 * H5F_CLOSE_STRONG, H5Fclose closes objects still open after a failure. */
static bool close_all(h5w *w)
{
    bool ok = true;
    for (size_t i = 0; i < w->coords.n; i++)
        if (w->coords.v[i].sc.ds >= 0) {
            ok &= H5Dclose(w->coords.v[i].sc.ds) >= 0;
            w->coords.v[i].sc.ds = H5I_INVALID_HID;
        }
    if (w->time.ds >= 0) {
        ok &= H5Dclose(w->time.ds) >= 0;
        w->time.ds = H5I_INVALID_HID;
    }
    if (w->file >= 0) {
        ok &= H5Fclose(w->file) >= 0;
        w->file = H5I_INVALID_HID;
    }
    return ok;
}

/* The finished file as bytes (heap, *len bytes), or NULL with the reason
 * reported. H5Fget_file_image flushes first, so the image is a complete
 * HDF5 file. */
static void *take_image(h5w *w, size_t *len, wd_status *st)
{
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0) {
        *st = h5_fail(w, "cannot flush the file");
        return NULL;
    }
    ssize_t n = H5Fget_file_image(w->file, NULL, 0);
    if (n <= 0) {
        *st = h5_fail(w, "cannot take the file image");
        return NULL;
    }
    void *buf = wd_xmalloc((size_t)n);
    if (!buf) {
        *st = oom(w);
        return NULL;
    }
    if (H5Fget_file_image(w->file, buf, (size_t)n) != n) {
        *st = h5_fail(w, "cannot take the file image");
        wd_xfree(buf);
        return NULL;
    }
    *len = (size_t)n;
    return buf;
}

static bool write_full(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (k == 0) {
            errno = ENOSPC;
            return false;
        }
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* Creates the temporary beside the target (wd_temp_create: exclusive, so
 * that concurrent writers never share one). Returns the name (heap) with
 * the open descriptor in *fd, or NULL with the reason reported. */
static char *reserve_tmp(h5w *w, const char *dir, int *fd, wd_status *st)
{
    char *tmp;
    *fd = wd_temp_create(w->path, &tmp);
    if (*fd >= 0)
        return tmp;
    int err = errno;
    *st = WD_E_IO;
    if (err == ENOMEM)
        *st = oom(w);
    else if (err == ENOENT)
        h5_err(w, "cannot write HDF5 file: directory '%s' does not exist", dir);
    else if (err == EEXIST)
        h5_err(w, "cannot write HDF5 file: no free temporary name in directory '%s'", dir);
    else
        h5_err(w, "cannot write HDF5 file: cannot create a file in directory '%s': %s", dir, strerror(err));
    return NULL;
}

/* Writes the image to the reserved temporary, syncs and closes it (close
 * reports delayed write errors on network file systems), renames it over
 * the target and syncs the directory. *fd is -1 afterwards. */
static wd_status commit(h5w *w, const void *image, size_t len, int *fd, const char *tmp,
                        const char *dir, bool *renamed)
{
    const char *step = NULL;
    if (!write_full(*fd, image, len))
        step = "cannot write temporary file";
    else if (fsync(*fd) != 0)
        step = "cannot sync temporary file";
    int err = errno;
    if (close(*fd) != 0 && !step) {
        step = "cannot close temporary file";
        err = errno;
    }
    *fd = -1;
    if (step) {
        h5_err(w, "cannot write HDF5 file: %s '%s': %s", step, tmp, strerror(err));
        return WD_E_IO;
    }
    if (rename(tmp, w->path) != 0) {
        h5_err(w, "cannot write HDF5 file: cannot rename '%s' to it: %s", tmp, strerror(errno));
        return WD_E_IO;
    }
    *renamed = true;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || (fsync(dfd) != 0 && errno != EINVAL))
        wd_diag_add(w->diags, WD_WARNING, (wd_loc){w->path, 0, 0}, NULL,
                    "file written, but directory '%s' could not be synced: %s", dir,
                    strerror(errno));
    if (dfd >= 0)
        close(dfd);
    return WD_OK;
}

wd_status sink_hdf5_write(const out_view *v, const char *path, wd_diags *diags)
{
    if (!v || !path || !path[0]) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){path, 0, 0}, NULL,
                    "cannot write HDF5 file: no %s given", v ? "path" : "result view");
        return WD_E_ARG;
    }
    h5w w = {.v = v, .path = path, .diags = diags, .file = H5I_INVALID_HID,
             .time = {.ds = H5I_INVALID_HID}};
    char *dir = NULL, *tmp = NULL;
    void *image = NULL;
    size_t len = 0;
    int fd = -1;
    bool renamed = false;
    wd_status st = check_view(&w);
    if (st)
        goto out;
    st = plan_names(&w);
    if (st)
        goto out;
    if (path[strlen(path) - 1] == '/') {
        h5_err(&w, "cannot write HDF5 file: the path names a directory");
        st = WD_E_IO;
        goto out;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        h5_err(&w, "cannot write HDF5 file: the path is an existing directory");
        st = WD_E_IO;
        goto out;
    }
    dir = wd_dirname(path);
    if (!dir) {
        st = oom(&w);
        goto out;
    }
    /* Reserve the temporary before the work, so that a missing directory or
     * a permission problem is reported at once. */
    tmp = reserve_tmp(&w, dir, &fd, &st);
    if (!tmp)
        goto out;

    /* HDF5's own printing is replaced by our diagnostics while it runs, and
     * restored on the way out. */
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    st = open_file(&w, tmp);
    if (!st)
        st = write_contents(&w);
    if (!st)
        image = take_image(&w, &len, &st);
    if (!close_all(&w) && !st)
        st = h5_fail(&w, "cannot close the file");
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);

    if (!st)
        st = commit(&w, image, len, &fd, tmp, dir, &renamed);
out:
    if (fd >= 0)
        close(fd);
    if (tmp && !renamed)
        unlink(tmp);
    wd_xfree(image);
    VEC_FREE(w.time.uses);
    for (size_t i = 0; i < w.coords.n; i++) {
        wd_xfree(w.coords.v[i].name);
        VEC_FREE(w.coords.v[i].sc.uses);
    }
    VEC_FREE(w.coords);
    if (w.vnames)
        for (size_t i = 0; i < v->nvars; i++)
            wd_xfree(w.vnames[i]);
    wd_xfree(w.vnames);
    wd_map_free(w.taken);
    wd_xfree(tmp);
    wd_xfree(dir);
    return st;
}
