/* output.c: a run's results as an out_view for the writers, and the public
 * wd_write_table / wd_write_hdf5 (wandel.h).
 */
#include "outview.h"
#include "atomic_file.h"
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Strips the quotes of a quoted Vensim name for output. */
static const char *plain_name(wd_arena *a, const char *raw)
{
    size_t n = strlen(raw);
    if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"')
        return wd_arena_strndup(a, raw + 1, n - 2);
    return raw;
}

/* Builds the view of run r restricted to the selected variables (all when
 * none). Unknown names are reported. Strings live in arena a. */
static wd_status build_view(const wd_run *r, const wd_output_opts *o, wd_arena *a, out_view *v, wd_diags *d)
{
    const wd_program *p = r->p;
    const wd_model *m = p->model;
    memset(v, 0, sizeof *v);
    bool *want = wd_arena_alloc(a, m->vars.n + 1);
    if (!want)
        return WD_E_NOMEM;
    bool all = !o || o->nvars == 0;
    if (!all) {
        for (size_t i = 0; i < o->nvars; i++) {
            int var;
            size_t flat;
            if (!model_find(m, o->vars[i], &var, &flat) || m->vars.v[var].hidden ||
                m->vars.v[var].kind == VK_LOOKUP) {
                wd_buf b = {0};
                model_suggest(m, o->vars[i], &b, 3);
                wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "output: unknown variable '%s'%s%s%s", o->vars[i],
                            b.n ? " (did you mean " : "", wd_buf_str(&b), b.n ? "?)" : "");
                wd_buf_free(&b);
                return WD_E_ARG;
            }
            want[var] = true;
        }
    }
    /* dims as coordinates, one out_dim per model range */
    out_dim *dims = wd_arena_alloc(a, (m->dims.n + 1) * sizeof(out_dim));
    if (!dims)
        return WD_E_NOMEM;
    for (size_t i = 0; i < m->dims.n; i++) {
        const dim_t *dd = &m->dims.v[i];
        const char **el = wd_arena_alloc(a, (dd->n + 1) * sizeof(char *));
        if (!el)
            return WD_E_NOMEM;
        for (size_t k = 0; k < dd->n; k++)
            el[k] = m->elems.v[dd->elems[k]].raw;
        dims[i] = (out_dim){dd->raw, dd->n, el};
    }
    out_var *vars = wd_arena_alloc(a, (m->vars.n + 1) * sizeof(out_var));
    if (!vars)
        return WD_E_NOMEM;
    /* columns of the program are in variable order, contiguous per variable */
    size_t nv = 0;
    for (size_t c = 0; c < p->ncols;) {
        int var = p->cols[c].var;
        const var_t *vv = &m->vars.v[var];
        if (all || want[var]) {
            out_var *ov = &vars[nv++];
            ov->name = plain_name(a, vv->raw);
            ov->units = vv->units ? vv->units : "";
            ov->doc = vv->doc ? vv->doc : "";
            ov->timeless = p->col_timeless[var];
            ov->ndims = (size_t)vv->ndims;
            const out_dim **dl = wd_arena_alloc(a, ((size_t)vv->ndims + 1) * sizeof(out_dim *));
            if (!dl || !ov->name)
                return WD_E_NOMEM;
            for (int k = 0; k < vv->ndims; k++)
                dl[k] = &dims[vv->dims[k]];
            ov->dims = dl;
            ov->first_col = c;
            ov->nelems = vv->nelems;
        }
        c += vv->nelems;
    }
    v->nsaved = r->nsaved;
    v->times = r->times;
    v->ncols = p->ncols;
    v->rows = r->rows;
    v->nvars = nv;
    v->vars = vars;
    v->time_units = m->time_units ? m->time_units : "";
    v->model_path = m->path;
    v->model_sha256 = m->sha256;
    v->scenario_path = o ? o->scenario_path : NULL;
    v->scenario_text = o ? o->scenario_text : NULL;
    v->method = wd_method_name(r->method);
    bool adaptive = r->method >= WD_RKF45;
    v->rtol = adaptive ? r->rtol : NAN;
    v->atol = adaptive ? r->atol : NAN;
    v->time_step = r->dt;
    v->saveper = r->saveper;
    v->seed = r->seed;
    v->complete = r->complete;
    v->reason = r->complete ? NULL : "the run stopped before FINAL TIME (see the error printed with it)";
    return WD_OK;
}

wd_status wd_write_table(const wd_run *r, const wd_output_opts *o, FILE *out, char sep, wd_diags *d)
{
    wd_arena *a = wd_arena_new();
    if (!a)
        return WD_E_NOMEM;
    out_view v;
    wd_status st = build_view(r, o, a, &v, d);
    if (st == WD_OK)
        st = sink_table_write(&v, out, sep, d);
    wd_arena_free(a);
    return st;
}

wd_status wd_write_hdf5(const wd_run *r, const wd_output_opts *o, const char *path, wd_diags *d)
{
    wd_arena *a = wd_arena_new();
    if (!a)
        return WD_E_NOMEM;
    out_view v;
    wd_status st = build_view(r, o, a, &v, d);
    if (st == WD_OK)
        st = sink_hdf5_write(&v, path, d);
    wd_arena_free(a);
    return st;
}

wd_status wd_write_table_file(const wd_run *r, const wd_output_opts *o, const char *path, char sep, wd_diags *d)
{
    char *tmp;
    int fd = wd_temp_create(path, &tmp);
    if (fd < 0) {
        int err = errno;
        char *dir = wd_dirname(path);
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot write results: %s (directory '%s')",
                    strerror(err), dir ? dir : ".");
        wd_xfree(dir);
        return err == ENOMEM ? WD_E_NOMEM : WD_E_IO;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int err = errno;
        const char *step;
        wd_temp_commit(fd, tmp, path, false, &step);
        wd_xfree(tmp);
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot write results: %s", strerror(err));
        return WD_E_IO;
    }
    wd_status st = wd_write_table(r, o, f, sep, d);
    int err = 0;
    if (st == WD_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        err = errno;
    if (fclose(f) != 0 && st == WD_OK && !err)
        err = errno;
    const char *step;
    int cerr = wd_temp_commit(-1, tmp, path, st == WD_OK && !err, &step);
    if (st == WD_OK && !err)
        err = cerr;
    if (err) {
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot write results: %s", strerror(err));
        st = WD_E_IO;
    }
    wd_xfree(tmp);
    return st;
}
