/* calib_report.c: what a calibration shows and leaves behind: the printed
 * report, the fitted scenario layer and the HDF5 file of observed and
 * fitted series (wd_calib_report, wd_calib_write_layer,
 * wd_calib_write_hdf5 in wandel.h).
 *
 * Pipeline position: the last stage of `wandel calibrate`, after
 * wd_calib_fit (calib.c). The layer is a plain scenario file holding only
 * `set` entries (plus comments), so that any scenario can extend it; the
 * HDF5 file goes through the result writer (sink_hdf5.c) with a view built
 * here. Both files appear whole or not at all.
 */
#include "calib.h"
#include "atomic_file.h"
#include "outview.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- numbers and names ------------------------------------------------------------ */

/* The shortest %.Ng (N = 6..17) that reads back as v. */
static void put_exact(wd_buf *b, double v)
{
    char s[40];
    for (int p = 6; p <= 17; p++) {
        snprintf(s, sizeof s, "%.*g", p, v);
        if (strtod(s, NULL) == v)
            break;
    }
    /* libconfig needs a float literal to have a '.' or an exponent */
    if (!strpbrk(s, ".eEn"))
        strcat(s, ".0");
    wd_buf_puts(b, s);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static const char *ident_text(int id)
{
    return id == CALIB_ID_NONE ? "not identifiable" : id == CALIB_ID_POOR ? "poorly identified" : "";
}

/* ---- the report ------------------------------------------------------------------------ */

static void put_match(wd_buf *b, const scn_data *sp)
{
    for (size_t k = 0; k < sp->nmatch; k++) {
        wd_buf_printf(b, "%s%s = ", k ? ", " : "", sp->match[k].column);
        for (size_t j = 0; j < sp->match[k].nvalues; j++)
            wd_buf_printf(b, "%s\"%s\"", j ? " or " : "", sp->match[k].values[j]);
    }
}

static void warnings(const wd_calib *c, wd_buf *b)
{
    size_t nw = 0;
    for (size_t j = 0; j < c->np; j++) {
        const calib_param *p = &c->par[j];
        if (p->at_bound) {
            wd_buf_printf(b, "%s  %s:%d: '%s' is at its %s bound %g: the optimum may lie beyond it; its interval "
                             "is not meaningful (widen the bound if the value is plausible)\n",
                          nw++ ? "" : "\nwarnings\n", p->spec->src.file, p->spec->src.line, p->spec->var,
                          p->at_bound < 0 ? "lower" : "upper", p->at_bound < 0 ? p->lo : p->hi);
        }
        if (p->ident != CALIB_ID_OK)
            wd_buf_printf(b, "%s  %s:%d: '%s' is %s: %s\n", nw++ ? "" : "\nwarnings\n", p->spec->src.file,
                          p->spec->src.line, p->spec->var, ident_text(p->ident), p->why ? p->why : "");
    }
    if (c->nsame < c->nstarts && c->nstarts > 1)
        wd_buf_printf(b, "%s  only %zu of %zu starts reached the best fit: the sum of squares has other local "
                         "minima; more starts (calibrate.starts) make missing the best one less likely\n",
                      nw++ ? "" : "\nwarnings\n", c->nsame, c->nstarts);
    const calib_start *bs = &c->starts[c->best];
    if (strcmp(bs->status, "iteration limit reached") == 0)
        wd_buf_printf(b, "%s  the best start stopped at the iteration limit (%d iterations, calibrate.iterations); the "
                         "fit may not have converged\n",
                      nw++ ? "" : "\nwarnings\n", c->iterations);
    if (c->iterations == 0)
        wd_buf_printf(b, "%s  not fitted (no iterations): the estimates are the start values and the statistics "
                         "describe the fit there\n",
                      nw++ ? "" : "\nwarnings\n");
    if (c->nfailed)
        wd_buf_printf(b, "%s  %zu of %zu runs failed at trial points (treated as a very poor fit); the first: %s\n",
                      nw++ ? "" : "\nwarnings\n", c->nfailed, c->nevals,
                      c->first_failure ? c->first_failure : "(no message)");
}

static void report_text(const wd_calib *c, wd_buf *b)
{
    const wd_scenario *s = c->s;
    size_t np = c->np;
    wd_buf_printf(b, "wandel calibrate: %s\n", s->path ? s->path : "(no file)");
    wd_buf_printf(b, "  model    %s\n", s->model);
    wd_buf_printf(b, "  method   %s, TIME STEP %g; data compared ", wd_method_name(wd_run_method(c->runs[0])), c->dt);
    if (c->saveper > c->dt * (1 + 1e-12))
        wd_buf_printf(b, "at the save points (SAVEPER %g)\n", c->saveper);
    else if (c->ninterp)
        wd_buf_printf(b, "at every TIME STEP; %zu observation time%s between steps interpolated linearly\n",
                      c->ninterp, c->ninterp == 1 ? "" : "s");
    else
        wd_buf_printf(b, "at every TIME STEP\n");
    wd_buf_printf(b, "  data     %zu series, %zu points; %zu parameter%s; %zu start%s on %zu thread%s; %zu runs",
                  c->ns, c->n, np, np == 1 ? "" : "s", c->nstarts, c->nstarts == 1 ? "" : "s", c->nthreads,
                  c->nthreads == 1 ? "" : "s", c->nevals);
    if (c->nfailed)
        wd_buf_printf(b, " (%zu failed)", c->nfailed);
    wd_buf_printf(b, "\n  fit      best start %zu, SSR %.6g; %zu of %zu start%s reached it (SSR within 0.01%%, or the same point)\n",
                  c->best + 1, c->ssr, c->nsame, c->nstarts, c->nstarts == 1 ? "" : "s");
    size_t w = 9;
    for (size_t j = 0; j < np; j++)
        if (strlen(c->par[j].spec->var) > w)
            w = strlen(c->par[j].spec->var);
    if (w > 40)
        w = 40;
    wd_buf_printf(b, "\n  %-*s %13s %12s   %-29s %s\n", (int)w, "parameter", "estimate", "std.error", "95% interval",
                  "range");
    for (size_t j = 0; j < np; j++) {
        const calib_param *p = &c->par[j];
        char iv[64];
        if (isfinite(p->se))
            snprintf(iv, sizeof iv, "[%.6g, %.6g]", p->ci_lo, p->ci_hi);
        else
            snprintf(iv, sizeof iv, "(none)");
        wd_buf_printf(b, "  %-*.*s %13.7g %12.4g   %-29s [%g, %g]%s%s%s\n", (int)w, (int)w, p->spec->var, p->est,
                      p->se, iv, p->lo, p->hi, p->at_bound ? "  at a bound" : "", p->ident ? "  " : "",
                      ident_text(p->ident));
    }
    wd_buf_printf(b, "\n  n = %zu points, p = %zu: s^2 = SSR/(n-p) = %.6g, t(0.975; %zu) = %.4f\n", c->n, np, c->s2,
                  c->n - np, c->tq);
    wd_buf_printf(b, "  covariance = s^2 (J^T J)^-1, J the Jacobian of the weighted residuals at the optimum\n"
                     "  (central differences, relative step %g); interval = estimate -/+ t * std.error\n",
                  c->h_rel);
    wd_buf_printf(b, "  collinearity index %.4g (Brun et al. 2001; above %g the parameters are nearly collinear)\n",
                  c->gamma, 15.0);
    if (np > 1) {
        wd_buf_printf(b, "\n  correlation of the estimates\n  %-*s", (int)w + 4, "");
        for (size_t j = 0; j < np; j++)
            wd_buf_printf(b, " %7zu", j + 1);
        wd_buf_putc(b, '\n');
        for (size_t i = 0; i < np; i++) {
            wd_buf_printf(b, "  %2zu %-*.*s", i + 1, (int)w + 1, (int)w, c->par[i].spec->var);
            for (size_t j = 0; j <= i; j++) {
                double r = c->corr[i * np + j];
                if (isfinite(r))
                    wd_buf_printf(b, " %7.3f", r);
                else
                    wd_buf_printf(b, " %7s", "-");
            }
            wd_buf_putc(b, '\n');
        }
    }
    size_t lw = 6;
    for (size_t k = 0; k < c->ns; k++)
        if (strlen(c->ser[k].label) > lw)
            lw = strlen(c->ser[k].label);
    if (lw > 40)
        lw = 40;
    wd_buf_printf(b, "\n  %-*s %7s %12s %9s %8s  %s\n", (int)lw, "series", "points", "RMSE", "MAPE", "of SSR",
                  "scale");
    for (size_t k = 0; k < c->ns; k++) {
        const calib_series *se = &c->ser[k];
        char mape[32];
        if (isfinite(se->mape))
            snprintf(mape, sizeof mape, "%.3g%%", se->mape);
        else
            snprintf(mape, sizeof mape, "-");
        char sc[48];
        switch (se->spec->scale) {
        case SCN_SCALE_RELATIVE: snprintf(sc, sizeof sc, "relative (%.4g)", se->scale); break;
        case SCN_SCALE_ABSOLUTE: snprintf(sc, sizeof sc, "absolute"); break;
        case SCN_SCALE_POINTWISE: snprintf(sc, sizeof sc, "pointwise"); break;
        default: snprintf(sc, sizeof sc, "%g", se->scale); break;
        }
        wd_buf_printf(b, "  %-*.*s %7zu %12.5g %9s %7.1f%%  %s, weight %g\n", (int)lw, (int)lw, se->label, se->n,
                      se->rmse, mape, c->ssr > 0 ? 100 * se->ssr / c->ssr : 0.0, sc, se->spec->weight);
    }
    warnings(c, b);
    wd_buf_printf(b, "\n  starts\n  %5s %14s %10s %6s  %s\n", "#", "SSR", "iterations", "runs", "stopped");
    for (size_t k = 0; k < c->nstarts; k++) {
        const calib_start *cs = &c->starts[k];
        wd_buf_printf(b, "  %5zu %14.6g %10zu %6zu  %s%s\n", k + 1, cs->ssr, cs->iters, cs->nevals, cs->status,
                      k == c->best ? "  (best)" : "");
    }
}

void wd_calib_report(const wd_calib *c, FILE *out)
{
    if (!c->fitted) {
        fprintf(out, "wandel calibrate: not fitted\n");
        return;
    }
    wd_buf b = {0};
    report_text(c, &b);
    fputs(wd_buf_str(&b), out);
    wd_buf_free(&b);
}

/* ---- atomic files ----------------------------------------------------------------------- */

wd_status calib_write_atomic(const char *path, const char *text, size_t len, wd_diags *d)
{
    return wd_write_file_atomic(path, text, len, d);
}

/* ---- the fitted layer ---------------------------------------------------------------------- */

/* The path of `target` relative to directory `from` (both made absolute);
 * heap string, or a copy of target when that fails. */
static char *relpath(const char *from, const char *target)
{
    char a[PATH_MAX], t[PATH_MAX];
    char *tdir = wd_dirname(target);
    if (!tdir || !realpath(from, a) || !realpath(tdir, t)) {
        wd_xfree(tdir);
        return wd_xstrdup(target);
    }
    wd_xfree(tdir);
    size_t i = 0, common = 0;
    while (a[i] && t[i] && a[i] == t[i]) {
        if (a[i] == '/')
            common = i;
        i++;
    }
    if ((!a[i] && (t[i] == '/' || !t[i])) || (!t[i] && a[i] == '/'))
        common = i;
    wd_buf b = {0};
    for (const char *p = a + common; *p; p++)
        if (*p == '/')
            wd_buf_puts(&b, "../");
    if (t[common] == '/')
        wd_buf_printf(&b, "%s/", t + common + 1);
    else if (t[common])
        wd_buf_printf(&b, "%s/", t + common);
    wd_buf_puts(&b, base_name(target));
    return b.oom ? (wd_buf_free(&b), wd_xstrdup(target)) : wd_buf_take(&b);
}

static void put_commented(wd_buf *b, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        wd_buf_puts(b, n ? "# " : "#");
        wd_buf_putn(b, p, n);
        wd_buf_putc(b, '\n');
        p += n + (e ? 1 : 0);
    }
}

static void put_string_lit(wd_buf *b, const char *s)
{
    wd_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            wd_buf_putc(b, '\\');
        wd_buf_putc(b, *s);
    }
    wd_buf_putc(b, '"');
}

wd_status wd_calib_write_layer(const wd_calib *c, const char *path, wd_diags *d)
{
    if (!c->fitted) {
        wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "no fit to write");
        return WD_E_ARG;
    }
    wd_buf b = {0};
    char *outdir = wd_dirname(path);
    char *scn = c->s->path && outdir ? relpath(outdir, c->s->path) : NULL;
    time_t now = time(NULL);
    struct tm tmv;
    char when[40] = "";
    if (gmtime_r(&now, &tmv))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tmv);
    wd_buf_printf(&b, "# Fitted parameter values: a scenario layer written by `wandel calibrate` (wandel %s)\n"
                      "# on %s from the scenario %s.\n"
                      "# Model %s, sha256 %s.\n"
                      "# Use it as the last layer of a scenario with the same model, e.g.\n"
                      "#   extends = [\"%s\", \"%s\"];\n"
                      "# Only the set entries below are settings; everything else is comment.\n#\n",
                  WD_VERSION, when, c->s->path ? c->s->path : "(none)", wd_model_path(c->model),
                  wd_model_sha256(c->model), scn ? scn : "SCENARIO.cfg", base_name(path));
    wd_buf rep = {0};
    report_text(c, &rep);
    put_commented(&b, wd_buf_str(&rep));
    wd_buf_free(&rep);
    wd_buf_puts(&b, "#\n# Observations, fitted values and residuals (fitted - observed; weighted: times "
                    "sqrt(weight)/scale)\n");
    for (size_t k = 0; k < c->ns; k++) {
        const calib_series *s = &c->ser[k];
        wd_buf_printf(&b, "#\n# series %zu: %s -> '%s', file %s", k + 1, s->label, s->spec->var, s->spec->file);
        if (s->spec->wide)
            wd_buf_printf(&b, ", column \"%s\"", s->spec->column);
        if (s->spec->nmatch) {
            wd_buf_puts(&b, ", rows with ");
            put_match(&b, s->spec);
        }
        if (s->spec->factor != 1)
            wd_buf_printf(&b, ", values times %g", s->spec->factor);
        if (s->spec->time_offset != 0)
            wd_buf_printf(&b, ", times plus %g", s->spec->time_offset);
        wd_buf_printf(&b, "\n# %14s %15s %15s %15s %12s %6s\n", "time", "observed", "fitted", "residual", "weighted",
                      "line");
        for (size_t i = 0; i < s->n; i++) {
            double r = s->fit[i] - s->y[i];
            wd_buf_printf(&b, "# %14.10g %15.8g %15.8g %15.6g %12.5g %6d\n", s->t[i], s->y[i], s->fit[i], r,
                          r * (s->pmult ? s->pmult[i] : s->mult), s->line[i]);
        }
    }
    /* a comment right above the settings: each value's source is the fit, its
     * range and the reasons for it are in the calibration scenario */
    wd_buf_printf(&b, "\n# The fitted values, each with its standard error and 95%% interval; the range and\n"
                      "# source of each parameter are at its entry in %s.\nset = (\n",
                  scn ? scn : c->s->path ? c->s->path : "the calibration scenario");
    for (size_t j = 0; j < c->np; j++) {
        const calib_param *p = &c->par[j];
        wd_buf_puts(&b, "  { var = ");
        put_string_lit(&b, p->spec->var);
        wd_buf_puts(&b, "; value = ");
        put_exact(&b, p->est);
        wd_buf_printf(&b, "; }%s  # se %.4g", j + 1 < c->np ? "," : "", p->se);
        if (isfinite(p->se))
            wd_buf_printf(&b, ", 95%% [%.6g, %.6g]", p->ci_lo, p->ci_hi);
        if (p->at_bound)
            wd_buf_printf(&b, ", at its %s bound", p->at_bound < 0 ? "lower" : "upper");
        if (p->ident)
            wd_buf_printf(&b, ", %s", ident_text(p->ident));
        wd_buf_putc(&b, '\n');
    }
    wd_buf_puts(&b, ");\n");
    wd_xfree(outdir);
    wd_xfree(scn);
    if (b.oom) {
        wd_buf_free(&b);
        return WD_E_NOMEM;
    }
    wd_status st = calib_write_atomic(path, wd_buf_str(&b), b.n, d);
    wd_buf_free(&b);
    return st;
}

/* ---- HDF5 ---------------------------------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One time axis: the run's save times and every observation time; per
 * data variable the run at the optimum (interpolated at observation times
 * between save points, as in the fit); per series the observations, NaN
 * where it has none. */
wd_status wd_calib_write_hdf5(const wd_calib *c, const char *path, wd_diags *d)
{
    if (!c->fitted) {
        wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "no fit to write");
        return WD_E_ARG;
    }
    const wd_run *r = c->runs[0];
    const wd_model *m = c->model;
    wd_arena *a = wd_arena_new();
    if (!a)
        return WD_E_NOMEM;
    wd_status st = WD_E_NOMEM;
    size_t nt = r->nsaved + c->n;
    double *T = wd_arena_alloc(a, (nt + 1) * sizeof(double));
    if (!T)
        goto done;
    memcpy(T, r->times, r->nsaved * sizeof(double));
    size_t k = r->nsaved;
    for (size_t s = 0; s < c->ns; s++)
        for (size_t i = 0; i < c->ser[s].n; i++)
            T[k++] = c->ser[s].t[i];
    qsort(T, nt, sizeof(double), cmp_dbl);
    size_t u = 0;
    for (size_t i = 0; i < nt; i++)
        if (u == 0 || T[i] - T[u - 1] > 1e-9 * (fabs(T[i]) + 1))
            T[u++] = T[i];
    nt = u;
    /* columns: distinct model columns first, then one per series */
    size_t *mcols = wd_arena_alloc(a, (c->ns + 1) * sizeof(size_t));
    size_t *series_model = wd_arena_alloc(a, (c->ns + 1) * sizeof(size_t));
    out_var *vars = wd_arena_alloc(a, (2 * c->ns + 1) * sizeof(out_var));
    if (!mcols || !series_model || !vars)
        goto done;
    size_t nm = 0;
    for (size_t s = 0; s < c->ns; s++) {
        size_t j = 0;
        while (j < nm && mcols[j] != c->ser[s].col)
            j++;
        if (j == nm)
            mcols[nm++] = c->ser[s].col;
        series_model[s] = j;
    }
    size_t ncols = nm + c->ns;
    double *rows = wd_arena_alloc(a, nt * ncols * sizeof(double) + 8);
    if (!rows)
        goto done;
    for (size_t i = 0; i < nt; i++)
        for (size_t j = 0; j < nm; j++) {
            /* model_at is calib.c's; the same interpolation, written out here */
            const double *TT = r->times;
            size_t n = r->nsaved, nc = r->p->ncols, lo = 0, hi = n - 1;
            double t = T[i], tol = 1e-9 * (fabs(t) + 1), v;
            if (t <= TT[0] + tol) {
                v = r->rows[mcols[j]];
            } else if (t >= TT[hi] - tol) {
                v = r->rows[hi * nc + mcols[j]];
            } else {
                while (hi - lo > 1) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (TT[mid] <= t)
                        lo = mid;
                    else
                        hi = mid;
                }
                double va = r->rows[lo * nc + mcols[j]], vb = r->rows[hi * nc + mcols[j]];
                v = fabs(TT[lo] - t) <= tol   ? va
                    : fabs(TT[hi] - t) <= tol ? vb
                                              : va + (t - TT[lo]) * (vb - va) / (TT[hi] - TT[lo]);
            }
            rows[i * ncols + j] = v;
        }
    for (size_t s = 0; s < c->ns; s++) {
        const calib_series *se = &c->ser[s];
        size_t i = 0;
        for (size_t q = 0; q < nt; q++) {
            double v = NAN;
            while (i < se->n && se->t[i] < T[q] - 1e-9 * (fabs(T[q]) + 1))
                i++;
            if (i < se->n && fabs(se->t[i] - T[q]) <= 1e-9 * (fabs(T[q]) + 1))
                v = se->y[i];
            rows[q * ncols + nm + s] = v;
        }
    }
    for (size_t j = 0; j < nm; j++) {
        const out_col *oc = &r->p->cols[mcols[j]];
        const var_t *v = &m->vars.v[oc->var];
        wd_buf nb = {0};
        model_elem_name(m, oc->var, v->nelems > 1 ? oc->flat : SIZE_MAX, &nb);
        if (v->nelems <= 1) {
            nb.n = 0;
            wd_buf_puts(&nb, model_display_name(v));
        }
        const char *name = wd_arena_strdup(a, wd_buf_str(&nb));
        wd_buf_free(&nb);
        if (!name)
            goto done;
        vars[j] = (out_var){name, v->units ? v->units : "", "the run at the fitted parameters", false, 0, NULL, j, 1};
    }
    for (size_t s = 0; s < c->ns; s++) {
        const calib_series *se = &c->ser[s];
        wd_buf nb = {0}, db = {0};
        wd_buf_printf(&nb, "%s (observed)", se->label);
        wd_buf_printf(&db, "observations compared with '%s': %s", se->spec->var, base_name(se->spec->file));
        if (se->spec->wide)
            wd_buf_printf(&db, ", column \"%s\"", se->spec->column);
        if (se->spec->nmatch) {
            wd_buf_puts(&db, ", rows with ");
            put_match(&db, se->spec);
        }
        const char *name = wd_arena_strdup(a, wd_buf_str(&nb)), *desc = wd_arena_strdup(a, wd_buf_str(&db));
        wd_buf_free(&nb);
        wd_buf_free(&db);
        if (!name || !desc)
            goto done;
        vars[nm + s] = (out_var){name, vars[series_model[s]].units, desc, false, 0, NULL, nm + s, 1};
    }
    out_view v;
    memset(&v, 0, sizeof v);
    v.nsaved = nt;
    v.times = T;
    v.ncols = ncols;
    v.rows = rows;
    v.nvars = nm + c->ns;
    v.vars = vars;
    v.time_units = m->time_units ? m->time_units : "";
    v.model_path = wd_model_path(m);
    v.model_sha256 = wd_model_sha256(m);
    v.scenario_path = c->s->path;
    v.scenario_text = c->s->text;
    v.method = wd_method_name(r->method);
    bool adaptive = r->method >= WD_RKF45;
    v.rtol = adaptive ? r->rtol : NAN;
    v.atol = adaptive ? r->atol : NAN;
    v.time_step = r->dt;
    v.saveper = r->saveper;
    v.seed = r->seed;
    v.complete = true;
    st = sink_hdf5_write(&v, path, d);
done:
    wd_arena_free(a);
    return st;
}
