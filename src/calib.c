/* calib.c: fitting model constants to observed series (wd_calib_* in
 * wandel.h; the spec is scn_calib in scenario.h, the user's guide
 * docs/calibration.md).
 *
 * Pipeline position: after scenario_calib.c (the calibrate group) and session.c
 * (the compiled program); each evaluation is one run of the program
 * (run.c, integrate.c) at trial parameter values, compared with the data
 * read by calib_data.c; calib_report.c prints and writes the result.
 *
 * The fit. With observations y_i at times t_i of series k (weight w_k,
 * scale c_k) and the model's value m_i(x) at those times, the residuals are
 *     r_i(x) = sqrt(w_k) (m_i(x) - y_i) / c_k
 * (or r_i = sqrt(w_k) (m_i(x) - y_i) / |y_i| with scale "pointwise")
 * and the fit minimises SSR(x) = sum r_i^2 over the box min <= x <= max.
 *   - Bounds: GSL's solvers have none, so each parameter is searched
 *     through the transform of MINUIT (F. James and M. Roos, "MINUIT: a
 *     system for function minimization and analysis of the parameter errors
 *     and correlations", Comput. Phys. Commun. 10 (1975) 343-367; MINUIT
 *     manual, section "parameter limits"):
 *         x = min + (max - min) (sin u + 1) / 2,  u unbounded,
 *     so no run is ever made outside the bounds, and a bound can be
 *     reached (the derivative cos u vanishes there).
 *   - Solver: gsl_multifit_nlinear with the trust-region Levenberg-Marquardt
 *     method and More's scaling (J. J. More, "The Levenberg-Marquardt
 *     algorithm: implementation and theory", Lecture Notes in Mathematics
 *     630 (1978) 105-116).
 *   - Jacobian: finite differences in x (then times dx/du), one run per
 *     column, the columns evaluated in parallel on the worker threads, each
 *     with a run of its own. The step is h_j = eta * max(|x_j|, 1e-3 (max_j
 *     - min_j)), capped at a quarter of the range and turned inward at a
 *     bound (J. E. Dennis and R. B. Schnabel, "Numerical Methods for
 *     Unconstrained Optimization and Nonlinear Equations", SIAM 1996,
 *     section 5.4: h = sqrt(noise) * typical size). eta is fd_step when
 *     given, else 1e-6 for fixed-step methods (whose runs are smooth in the
 *     parameters up to rounding) and sqrt(rtol) within [1e-6, 1e-2] for
 *     adaptive ones, whose step-size control makes a run's values jump by
 *     about rtol when a parameter moves: the step stays well above that
 *     noise (rtol 1e-6: eta = 1e-3).
 *   - Starts: the first from each parameter's start (the middle of its
 *     range when none is given), the others from a Latin hypercube inside
 *     the bounds (M. D. McKay, R. J. Beckman and W. J. Conover, "A
 *     comparison of three methods for selecting values of input variables in
 *     the analysis of output from a computer code", Technometrics 21 (1979)
 *     239-245), seeded by calibrate.seed; the lowest SSR is kept.
 *   - A run that fails at a trial point (a rate that is not finite) gives
 *     every residual 1e100, so the trust region rejects the step and
 *     shrinks; a failure at a start point ends that start.
 *
 * Statistics at the optimum x^ (linear approximation: D. M. Bates and D. G.
 * Watts, "Nonlinear Regression Analysis and Its Applications", Wiley 1988,
 * section 2.3):
 *     s^2 = SSR(x^) / (n - p),   Cov = s^2 (J^T J)^-1,
 *     se_j = sqrt(Cov_jj),       95% interval x^_j -/+ t(0.975; n - p) se_j,
 * with J the central-difference Jacobian dr/dx at x^ (one-sided at a
 * bound). (J^T J)^-1 is computed through the singular value decomposition of
 * J with unit-norm columns; a singular value below n * DBL_EPSILON times the
 * largest counts as zero. The correlation matrix is Cov_ij / (se_i se_j).
 *
 * Identifiability (each criterion is reported with its number):
 *   - not identifiable: J's column is zero (the data do not depend on the
 *     parameter), or the parameter has a component above 1e-8 along a
 *     singular value counted as zero (its effect is a combination of the
 *     others'); its se is +inf;
 *   - poorly identified: a relative standard error se / |x^| above 0.5 (the
 *     95% interval reaches about zero), or a 95% interval covering its whole
 *     [min, max], or membership of a nearly collinear set: the collinearity
 *     index gamma = 1 / sigma_min(J with unit-norm columns) (B. Brun, P.
 *     Reichert and H. R. Kuensch, "Practical identifiability analysis of
 *     large environmental simulation models", Water Resources Research 37
 *     (2001) 1015-1030) above 15, which Brun et al. give as the critical
 *     range 10-15, for the parameters with a component of at least 0.3 in
 *     the singular vector of sigma_min.
 * A parameter within 1e-6 of its range from a bound is "at a bound": the
 * optimum may lie beyond it, and its interval is not meaningful.
 *
 * Where the model is read: each observation is compared with the run at its
 * own time. The runs save at the scenario's save points when every
 * observation time is one of them; otherwise at every TIME STEP. A time on
 * that grid (within 1e-9 relative) reads the saved value exactly; a time
 * between two grid points is interpolated linearly, with an error of at
 * most dt^2/8 * max|y''| (dt = TIME STEP); the report counts such points.
 */
#include "calib.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define PENALTY 1e100       /* each residual of a failed run */
#define GAMMA_CRIT 15.0     /* collinearity index above which a set is nearly collinear */
#define REL_SE_CRIT 0.5     /* relative standard error above which a parameter is poorly identified */
#define BOUND_TOL 1e-6      /* "at a bound": within this fraction of the range */

static pthread_once_t gsl_once = PTHREAD_ONCE_INIT;
static void gsl_quiet(void) { gsl_set_error_handler_off(); }

/* ---- messages ---------------------------------------------------------------------- */

void calib_err(wd_diags *d, wd_severity sev, scn_src src, const char *fmt, ...)
{
    char *text = src.file && src.line > 0 ? wd_read_file(src.file, NULL) : NULL;
    va_list ap;
    va_start(ap, fmt);
    wd_diag_vadd(d, sev, (wd_loc){src.file, src.line, 0}, text ? wd_source_line(text, src.line) : NULL, fmt, ap);
    va_end(ap);
    wd_xfree(text);
}

/* ---- set-up ---------------------------------------------------------------------------- */

static void unknown_var(wd_calib *c, wd_diags *d, scn_src src, const char *what, const char *name)
{
    wd_buf b = {0};
    model_suggest(c->model, name, &b, 3);
    calib_err(d, WD_ERROR, src, "%s: unknown variable '%s'%s%s%s", what, name, b.n ? " (did you mean " : "",
              wd_buf_str(&b), b.n ? "?)" : "");
    wd_buf_free(&b);
}

typedef VEC(const char *) name_vec;

/* Checks the parameters and data variables against the model; collects the
 * parameters that need to become inputs. */
static wd_status check_names(wd_calib *c, wd_diags *d, name_vec *inputs)
{
    const wd_model *m = c->model;
    wd_status st = WD_OK;
    for (size_t j = 0; j < c->np; j++) {
        const scn_param *p = c->par[j].spec;
        int var;
        size_t flat;
        if (!model_find(m, p->var, &var, &flat)) {
            unknown_var(c, d, p->src, "calibrate parameter", p->var);
            st = WD_E_ARG;
            continue;
        }
        var_kind k = m->vars.v[var].kind;
        if (k == VK_STOCK || k == VK_LOOKUP) {
            calib_err(d, WD_ERROR, p->src,
                      "calibrate parameter '%s' is a %s; fit the constant it is computed from (for a stock: its "
                      "initial value)",
                      p->var, k == VK_STOCK ? "stock" : "lookup");
            st = WD_E_ARG;
            continue;
        }
        if (!session_is_plain_constant(m, var, flat) && !VEC_PUSH(*inputs, p->var))
            return WD_E_NOMEM;
    }
    for (size_t i = 0; i < c->spec->ndata; i++) {
        const scn_data *sd = &c->spec->data[i];
        int var;
        size_t flat;
        if (!model_find(m, sd->var, &var, &flat)) {
            unknown_var(c, d, sd->src, "calibrate data", sd->var);
            st = WD_E_ARG;
            continue;
        }
        const var_t *v = &m->vars.v[var];
        if (v->kind == VK_LOOKUP) {
            calib_err(d, WD_ERROR, sd->src, "calibrate data: '%s' is a lookup table, not a variable over time",
                      sd->var);
            st = WD_E_ARG;
        } else if (flat == SIZE_MAX && v->nelems > 1) {
            wd_buf b = {0};
            model_elem_name(m, var, 0, &b);
            calib_err(d, WD_ERROR, sd->src,
                      "calibrate data: '%s' has %zu elements; name the one the data describe, e.g. '%s'", sd->var,
                      v->nelems, wd_buf_str(&b));
            wd_buf_free(&b);
            st = WD_E_ARG;
        }
    }
    return st;
}

static wd_status set_params(wd_calib *c, wd_run *r, const double *x, wd_diags *d)
{
    for (size_t j = 0; j < c->np; j++) {
        wd_status st = wd_run_set(r, c->par[j].spec->var, x[j], d);
        if (st != WD_OK)
            return st;
    }
    return WD_OK;
}

/* The saved value of column col at time t: exact on a saved time, else
 * linear between the neighbours. t lies within the run (checked). */
static double model_at(const wd_run *r, size_t col, double t)
{
    size_t n = r->nsaved, nc = r->p->ncols;
    const double *T = r->times;
    double tol = 1e-9 * (fabs(t) + 1);
    size_t lo = 0, hi = n - 1;
    if (t <= T[0] + tol)
        return r->rows[col];
    if (t >= T[hi] - tol)
        return r->rows[hi * nc + col];
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (T[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    if (fabs(T[lo] - t) <= tol)
        return r->rows[lo * nc + col];
    if (fabs(T[hi] - t) <= tol)
        return r->rows[hi * nc + col];
    double a = r->rows[lo * nc + col], b = r->rows[hi * nc + col];
    return a + (t - T[lo]) * (b - a) / (T[hi] - T[lo]);
}

static bool on_grid(const wd_run *r, double t)
{
    size_t n = r->nsaved;
    const double *T = r->times;
    double tol = 1e-9 * (fabs(t) + 1);
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (T[mid] < t - tol)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && fabs(T[lo] - t) <= tol;
}

static void residuals(const wd_calib *c, const wd_run *r, double *f)
{
    for (size_t k = 0; k < c->ns; k++) {
        const calib_series *s = &c->ser[k];
        for (size_t i = 0; i < s->n; i++)
            f[s->first + i] = (s->pmult ? s->pmult[i] : s->mult) * (model_at(r, s->col, s->t[i]) - s->y[i]);
    }
}

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

/* One evaluation: 0 and f filled, or -1 (the first failure's message is
 * kept). d is scratch, cleared here. */
static int eval_at(wd_calib *c, wd_run *r, wd_diags *d, const double *x, double *f)
{
    wd_diags_clear(d);
    wd_status st = set_params(c, r, x, d);
    if (st == WD_OK)
        st = wd_run_exec(r, &c->opts, d);
    bool ok = st == WD_OK && r->complete && r->nsaved > 0;
    if (ok) {
        residuals(c, r, f);
        for (size_t i = 0; i < c->n && ok; i++)
            ok = isfinite(f[i]);
        if (!ok)
            wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "the model gave a value that is not a finite number");
    }
    if (ok)
        return 0;
    pthread_mutex_lock(&fail_lock);
    if (!c->first_failure) {
        wd_buf b = {0};
        for (size_t j = 0; j < c->np; j++)
            wd_buf_printf(&b, "%s%s = %.10g", j ? ", " : "at ", c->par[j].spec->var, x[j]);
        wd_buf_printf(&b, ":\n%s", wd_diags_text(d));
        c->first_failure = wd_buf_take(&b);
    }
    pthread_mutex_unlock(&fail_lock);
    return -1;
}

wd_status wd_calib_new(const wd_scenario *s, wd_diags *d, wd_calib **out)
{
    *out = NULL;
    pthread_once(&gsl_once, gsl_quiet);
    const scn_calib *sp = s->calib;
    if (!sp) {
        wd_diag_add(d, WD_ERROR, (wd_loc){s->path, 0, 0}, NULL,
                    "no calibrate group: add calibrate = { params = (...); data = (...); }; (docs/calibration.md)");
        return WD_E_ARG;
    }
    bool bad = false;
    if (sp->nparams == 0) {
        calib_err(d, WD_ERROR, sp->src, "calibrate has no params: list the constants to fit, "
                                        "params = ( { var = \"...\"; min = ...; max = ...; } );");
        bad = true;
    }
    if (sp->ndata == 0) {
        calib_err(d, WD_ERROR, sp->src, "calibrate has no data: list the observed series, "
                                        "data = ( { file = \"...\"; var = \"...\"; ... } );");
        bad = true;
    }
    if (!s->model) {
        wd_diag_add(d, WD_ERROR, (wd_loc){s->path, 0, 0}, NULL,
                    "no model: set `model = \"path/to/model.mdl\";` in the scenario or a layer it extends");
        bad = true;
    }
    if (bad)
        return WD_E_ARG;
    wd_calib *c = wd_xcalloc(1, sizeof *c);
    if (!c)
        return WD_E_NOMEM;
    c->s = s;
    c->spec = sp;
    c->np = sp->nparams;
    c->seed = sp->seed;
    c->par = wd_xcalloc(c->np, sizeof *c->par);
    c->runs = wd_xcalloc(1, sizeof *c->runs);
    c->rdiags = wd_xcalloc(1, sizeof *c->rdiags);
    c->scenario_dir = wd_dirname(s->path ? s->path : ".");
    name_vec inputs = {0};
    wd_status st = WD_OK;
    if (!c->par || !c->runs || !c->rdiags || !c->scenario_dir || !(c->rdiags[0] = wd_diags_new())) {
        st = WD_E_NOMEM;
        goto fail;
    }
    c->nthreads = 1;
    for (size_t j = 0; j < c->np; j++) {
        calib_param *p = &c->par[j];
        p->spec = &sp->params[j];
        p->lo = p->spec->min;
        p->hi = p->spec->max;
        p->start = isfinite(p->spec->start) ? p->spec->start : 0.5 * (p->lo + p->hi);
    }
    if ((st = session_load_model(s, d, &c->model)) != WD_OK)
        goto fail;
    if ((st = check_names(c, d, &inputs)) != WD_OK)
        goto fail;
    if ((st = session_compile(s, c->model, inputs.v, inputs.n, WD_ENGINE_AUTO, d, &c->prog)) != WD_OK)
        goto fail;
    if ((st = session_new_run(s, c->prog, d, &c->runs[0])) != WD_OK)
        goto fail;
    wd_run_opts_init(&c->opts);
    session_run_opts(s, &c->opts);
    for (size_t i = 0; i < sp->ndata; i++) {
        /* names were checked; the column exists for every visible variable */
        size_t col = wd_run_col_find(c->runs[0], sp->data[i].var);
        if (col == (size_t)-1) {
            calib_err(d, WD_ERROR, sp->data[i].src, "calibrate data: '%s' is not among the run's results",
                      sp->data[i].var);
            st = WD_E_ARG;
        }
    }
    if (st != WD_OK)
        goto fail;
    if ((st = calib_data_read(c, d)) != WD_OK)
        goto fail;
    for (size_t i = 0; i < c->ns; i++)
        c->ser[i].col = wd_run_col_find(c->runs[0], c->ser[i].spec->var);
    if (c->n <= c->np) {
        calib_err(d, WD_ERROR, sp->src,
                  "the data have %zu point%s for %zu parameter%s; a fit with standard errors needs more points "
                  "than parameters",
                  c->n, c->n == 1 ? "" : "s", c->np, c->np == 1 ? "" : "s");
        st = WD_E_ARG;
        goto fail;
    }
    /* A first run at the start values: the run's time and save grid. */
    double *x0 = wd_xmalloc(c->np * sizeof(double));
    if (!x0) {
        st = WD_E_NOMEM;
        goto fail;
    }
    for (size_t j = 0; j < c->np; j++)
        x0[j] = c->par[j].start;
    wd_run *r = c->runs[0];
    st = set_params(c, r, x0, d);
    if (st == WD_OK)
        st = wd_run_exec(r, &c->opts, d);
    if (st == WD_OK && !r->nsaved)
        st = WD_E_NUMERIC;
    if (st != WD_OK) {
        wd_diag_add(d, WD_NOTE, (wd_loc){sp->src.file, sp->src.line, 0}, NULL,
                    "the run at the parameters' start values failed");
        wd_xfree(x0);
        goto fail;
    }
    c->dt = r->dt;
    c->saveper = r->saveper;
    double t0 = r->times[0], t1 = r->times[r->nsaved - 1];
    bool all_on = true;
    for (size_t k = 0; k < c->ns; k++) {
        calib_series *s2 = &c->ser[k];
        const char *base = strrchr(s2->spec->file, '/');
        base = base ? base + 1 : s2->spec->file;
        size_t nout = 0, first = 0, last = 0;
        for (size_t i = 0; i < s2->n; i++) {
            double tol = 1e-9 * (fabs(s2->t[i]) + 1);
            if (s2->t[i] < t0 - tol || s2->t[i] > t1 + tol) {
                if (nout++ == 0)
                    first = i;
                last = i;
            } else if (all_on && !on_grid(r, s2->t[i])) {
                all_on = false;
            }
        }
        if (nout == 1)
            calib_err(d, WD_ERROR, s2->spec->src,
                      "data for '%s': the observation at time %g (%s:%d) lies outside the run's time %g to %g; "
                      "select rows with from/to or widen the scenario's time",
                      s2->spec->var, s2->t[first], base, s2->line[first], t0, t1);
        else if (nout > 1)
            calib_err(d, WD_ERROR, s2->spec->src,
                      "data for '%s': %zu observations lie outside the run's time %g to %g, from time %g (%s:%d) to "
                      "%g (%s:%d); select rows with from/to or widen the scenario's time",
                      s2->spec->var, nout, t0, t1, s2->t[first], base, s2->line[first], s2->t[last], base,
                      s2->line[last]);
        if (nout)
            st = WD_E_ARG;
    }
    if (st == WD_OK && !all_on && c->saveper > c->dt * (1 + 1e-12)) {
        /* save at every TIME STEP so that only times between steps are interpolated */
        c->opts.saveper = c->dt;
        st = wd_run_exec(r, &c->opts, d);
        c->saveper = r->saveper;
    }
    if (st == WD_OK)
        for (size_t k = 0; k < c->ns; k++)
            for (size_t i = 0; i < c->ser[k].n; i++)
                if (!on_grid(r, c->ser[k].t[i]))
                    c->ninterp++;
    c->interpolated = c->ninterp > 0;
    wd_xfree(x0);
    if (st != WD_OK)
        goto fail;
    /* the finite-difference step */
    wd_method meth = wd_run_method(r);
    if (isfinite(sp->fd_step)) {
        c->h_rel = sp->fd_step;
    } else if (meth == WD_EULER || meth == WD_RK2 || meth == WD_RK4) {
        c->h_rel = 1e-6;
    } else {
        double rt = r->rtol > 0 ? r->rtol : 1e-6;
        c->h_rel = fmin(1e-2, fmax(1e-6, sqrt(rt)));
    }
    VEC_FREE(inputs);
    *out = c;
    return WD_OK;
fail:
    VEC_FREE(inputs);
    wd_calib_free(c);
    return st;
}

void wd_calib_free(wd_calib *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nthreads && c->runs; i++)
        wd_run_free(c->runs[i]);
    for (size_t i = 0; i < c->nthreads && c->rdiags; i++)
        wd_diags_free(c->rdiags[i]);
    wd_xfree(c->runs);
    wd_xfree(c->rdiags);
    for (size_t j = 0; c->par && j < c->np; j++)
        wd_xfree(c->par[j].why);
    wd_xfree(c->par);
    calib_data_free(c);
    for (size_t k = 0; c->starts && k < c->nstarts; k++) {
        wd_xfree(c->starts[k].x0);
        wd_xfree(c->starts[k].x);
    }
    wd_xfree(c->starts);
    wd_xfree(c->cov);
    wd_xfree(c->corr);
    wd_xfree(c->xbest);
    wd_xfree(c->lastx);
    wd_xfree(c->lastf);
    wd_xfree(c->first_failure);
    wd_xfree(c->scenario_dir);
    wd_program_free(c->prog);
    wd_model_free(c->model);
    wd_xfree(c);
}

/* ---- parallel batches of runs ------------------------------------------------------------ */

typedef struct batch {
    wd_calib *c;
    size_t ntask;
    const double *xs; /* ntask x np */
    double *fs;       /* ntask x n */
    int *ok;
    atomic_size_t next;
} batch;

typedef struct worker_arg {
    batch *b;
    size_t tid;
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *w = arg;
    batch *b = w->b;
    wd_calib *c = b->c;
    for (;;) {
        size_t k = atomic_fetch_add(&b->next, 1);
        if (k >= b->ntask)
            break;
        b->ok[k] = eval_at(c, c->runs[w->tid], c->rdiags[w->tid], b->xs + k * c->np, b->fs + k * c->n) == 0;
    }
    return NULL;
}

/* Evaluates ntask points, on up to c->nthreads threads (the calling thread
 * is worker 0). Results do not depend on the number of threads: every task
 * is a complete run of its own. */
static void run_batch(wd_calib *c, size_t ntask, const double *xs, double *fs, int *ok)
{
    batch b = {c, ntask, xs, fs, ok, 0};
    size_t nt = c->nthreads < ntask ? c->nthreads : ntask;
    pthread_t th[64];
    worker_arg wa[64];
    size_t started = 0;
    for (size_t t = 1; t < nt && t < 64; t++) {
        wa[t] = (worker_arg){&b, t};
        if (pthread_create(&th[t], NULL, worker, &wa[t]) != 0)
            break; /* the threads started so far and this one do the rest */
        started = t;
    }
    wa[0] = (worker_arg){&b, 0};
    worker(&wa[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    c->nevals += ntask;
    for (size_t k = 0; k < ntask; k++)
        c->nfailed += !ok[k];
}

/* ---- the transform and finite differences ------------------------------------------------ */

static double to_x(const calib_param *p, double u) { return p->lo + (p->hi - p->lo) * (sin(u) + 1) / 2; }
static double dx_du(const calib_param *p, double u) { return (p->hi - p->lo) * cos(u) / 2; }
static double to_u(const calib_param *p, double x)
{
    double a = 2 * (x - p->lo) / (p->hi - p->lo) - 1;
    return asin(a < -1 ? -1 : a > 1 ? 1 : a);
}

/* The step for parameter j at x (signed: negative when it must go down). */
static double fd_step(const wd_calib *c, size_t j, double x)
{
    const calib_param *p = &c->par[j];
    double range = p->hi - p->lo;
    double h = c->h_rel * fmax(fabs(x), 1e-3 * range);
    if (h > range / 4)
        h = range / 4;
    return x + h <= p->hi ? h : -h;
}

typedef struct fitctx {
    wd_calib *c;
    double *x;        /* np */
    double *xs, *fs;  /* (np+1) x np, (np+1) x n: batch buffers */
    int *ok;
    bool base_failed; /* the last f evaluation failed */
} fitctx;

static void u_to_x(const wd_calib *c, const gsl_vector *u, double *x)
{
    for (size_t j = 0; j < c->np; j++)
        x[j] = to_x(&c->par[j], gsl_vector_get(u, j));
}

static int gsl_f(const gsl_vector *u, void *params, gsl_vector *f)
{
    fitctx *fc = params;
    wd_calib *c = fc->c;
    u_to_x(c, u, fc->x);
    int ok = eval_at(c, c->runs[0], c->rdiags[0], fc->x, c->lastf) == 0;
    c->nevals++;
    c->nfailed += !ok;
    fc->base_failed = !ok;
    if (!ok)
        for (size_t i = 0; i < c->n; i++)
            c->lastf[i] = PENALTY;
    memcpy(c->lastx, fc->x, c->np * sizeof(double));
    c->have_last = ok;
    for (size_t i = 0; i < c->n; i++)
        gsl_vector_set(f, i, c->lastf[i]);
    return GSL_SUCCESS;
}

static int gsl_df(const gsl_vector *u, void *params, gsl_matrix *J)
{
    fitctx *fc = params;
    wd_calib *c = fc->c;
    size_t np = c->np, n = c->n;
    u_to_x(c, u, fc->x);
    bool have_base = c->have_last && memcmp(c->lastx, fc->x, np * sizeof(double)) == 0;
    size_t nt = 0;
    double h[np];
    for (size_t j = 0; j < np; j++) {
        h[j] = fd_step(c, j, fc->x[j]);
        memcpy(fc->xs + nt * np, fc->x, np * sizeof(double));
        fc->xs[nt * np + j] += h[j];
        h[j] = fc->xs[nt * np + j] - fc->x[j]; /* the step actually taken */
        nt++;
    }
    if (!have_base) {
        memcpy(fc->xs + nt * np, fc->x, np * sizeof(double));
        nt++;
    }
    run_batch(c, nt, fc->xs, fc->fs, fc->ok);
    const double *fb = have_base ? c->lastf : fc->fs + np * n;
    if (!have_base && !fc->ok[np])
        return GSL_EBADFUNC;
    for (size_t j = 0; j < np; j++) {
        double d = dx_du(&c->par[j], gsl_vector_get(u, j));
        const double *fj = fc->fs + j * n;
        for (size_t i = 0; i < n; i++)
            gsl_matrix_set(J, i, j, fc->ok[j] && h[j] != 0 ? (fj[i] - fb[i]) / h[j] * d : 0.0);
    }
    return GSL_SUCCESS;
}

/* ---- statistics at the optimum -------------------------------------------------------------- */

static void set_why(calib_param *p, int level, const char *fmt, ...) WD_PRINTF(3, 4);
static void set_why(calib_param *p, int level, const char *fmt, ...)
{
    if (level < p->ident)
        return;
    va_list ap;
    va_start(ap, fmt);
    wd_buf b = {0};
    if (level == p->ident && p->why) {
        wd_buf_puts(&b, p->why);
        wd_buf_puts(&b, "; ");
    }
    wd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    wd_xfree(p->why);
    p->why = wd_buf_take(&b);
    p->ident = level;
}

/* Jacobian (central differences), covariance, correlations,
 * identifiability; leaves runs[0] holding the run at xbest. */
static wd_status stats(wd_calib *c)
{
    size_t np = c->np, n = c->n;
    const double *x = c->xbest;
    double *xs = wd_xmalloc((2 * np + 1) * np * sizeof(double));
    double *fs = wd_xmalloc((2 * np + 1) * n * sizeof(double));
    int *ok = wd_xcalloc(2 * np + 1, sizeof(int));
    double *hp = wd_xcalloc(np, sizeof(double)), *hm = wd_xcalloc(np, sizeof(double));
    gsl_matrix *J = gsl_matrix_alloc(n, np);
    size_t *keep = NULL;
    wd_status st = WD_OK;
    if (!xs || !fs || !ok || !hp || !hm || !J) {
        st = WD_E_NOMEM;
        goto done;
    }
    /* task 0: x; 1+2j: x + hp_j; 2+2j: x - hm_j (hp or hm 0 when it would leave the box) */
    memcpy(xs, x, np * sizeof(double));
    for (size_t j = 0; j < np; j++) {
        const calib_param *p = &c->par[j];
        double h = fabs(fd_step(c, j, x[j]));
        hp[j] = x[j] + h <= p->hi ? h : 0;
        hm[j] = x[j] - h >= p->lo ? h : 0;
        if (hp[j] == 0 && hm[j] == 0) { /* the range is narrower than the step: go to the farther bound */
            if (p->hi - x[j] > x[j] - p->lo)
                hp[j] = p->hi - x[j];
            else
                hm[j] = x[j] - p->lo;
        }
        memcpy(xs + (1 + 2 * j) * np, x, np * sizeof(double));
        memcpy(xs + (2 + 2 * j) * np, x, np * sizeof(double));
        xs[(1 + 2 * j) * np + j] += hp[j];
        xs[(2 + 2 * j) * np + j] -= hm[j];
        hp[j] = xs[(1 + 2 * j) * np + j] - x[j];
        hm[j] = x[j] - xs[(2 + 2 * j) * np + j];
    }
    run_batch(c, 2 * np + 1, xs, fs, ok);
    if (!ok[0]) {
        st = WD_E_NUMERIC;
        goto done;
    }
    c->ssr = 0;
    for (size_t i = 0; i < n; i++)
        c->ssr += fs[i] * fs[i];
    for (size_t j = 0; j < np; j++) {
        const double *fp = fs + (1 + 2 * j) * n, *fm = fs + (2 + 2 * j) * n;
        bool up = ok[1 + 2 * j] && hp[j] > 0, dn = ok[2 + 2 * j] && hm[j] > 0;
        for (size_t i = 0; i < n; i++) {
            double g = 0;
            if (up && dn)
                g = (fp[i] - fm[i]) / (hp[j] + hm[j]);
            else if (up)
                g = (fp[i] - fs[i]) / hp[j];
            else if (dn)
                g = (fs[i] - fm[i]) / hm[j];
            gsl_matrix_set(J, i, j, g);
        }
    }
    c->s2 = c->ssr / (double)(n - np);
    c->tq = gsl_cdf_tdist_Pinv(0.975, (double)(n - np));
    /* column norms; zero columns are not identifiable */
    double dmax = 0;
    double *D = hp; /* reuse */
    for (size_t j = 0; j < np; j++) {
        gsl_vector_view col = gsl_matrix_column(J, j);
        D[j] = gsl_blas_dnrm2(&col.vector);
        dmax = fmax(dmax, D[j]);
    }
    keep = wd_xmalloc(np * sizeof(size_t)); /* indices of non-zero columns */
    size_t k = 0;
    if (!keep) {
        st = WD_E_NOMEM;
        goto done;
    }
    for (size_t j = 0; j < np; j++) {
        calib_param *p = &c->par[j];
        p->est = x[j];
        p->se = INFINITY;
        double range = p->hi - p->lo;
        p->at_bound = x[j] - p->lo <= BOUND_TOL * range ? -1 : p->hi - x[j] <= BOUND_TOL * range ? 1 : 0;
        if (!(D[j] > 1e-14 * dmax) || dmax == 0)
            set_why(p, CALIB_ID_NONE, "the data do not depend on it (changing it changes no fitted point)");
        else
            keep[k++] = j;
    }
    for (size_t a = 0; a < np * np; a++)
        c->cov[a] = NAN;
    c->gamma = INFINITY;
    if (k > 0) {
        gsl_matrix *A = gsl_matrix_alloc(n, k), *V = gsl_matrix_alloc(k, k);
        gsl_vector *S = gsl_vector_alloc(k), *wk = gsl_vector_alloc(k);
        if (!A || !V || !S || !wk) {
            gsl_matrix_free(A);
            gsl_matrix_free(V);
            gsl_vector_free(S);
            gsl_vector_free(wk);
            st = WD_E_NOMEM;
            goto done;
        }
        for (size_t a = 0; a < k; a++)
            for (size_t i = 0; i < n; i++)
                gsl_matrix_set(A, i, a, gsl_matrix_get(J, i, keep[a]) / D[keep[a]]);
        gsl_linalg_SV_decomp(A, V, S, wk); /* singular values in decreasing order */
        double smax = gsl_vector_get(S, 0), smin = gsl_vector_get(S, k - 1);
        double tol = smax * (double)n * DBL_EPSILON;
        c->gamma = smin > 0 ? 1 / smin : INFINITY;
        for (size_t a = 0; a < k; a++) {
            for (size_t b = 0; b < k; b++) {
                double sum = 0;
                bool inf = false;
                for (size_t l = 0; l < k; l++) {
                    double sl = gsl_vector_get(S, l);
                    double va = gsl_matrix_get(V, a, l), vb = gsl_matrix_get(V, b, l);
                    if (sl <= tol) {
                        if (fabs(va) > 1e-8 && fabs(vb) > 1e-8)
                            inf = true;
                        continue;
                    }
                    sum += va * vb / (sl * sl);
                }
                c->cov[keep[a] * np + keep[b]] = inf ? (a == b ? INFINITY : NAN)
                                                     : c->s2 * sum / (D[keep[a]] * D[keep[b]]);
            }
        }
        for (size_t a = 0; a < k; a++) {
            calib_param *p = &c->par[keep[a]];
            double v = c->cov[keep[a] * np + keep[a]];
            p->se = v >= 0 ? sqrt(v) : INFINITY;
            if (!isfinite(p->se)) {
                p->se = INFINITY;
                set_why(p, CALIB_ID_NONE, "its effect on the data is a combination of other parameters' effects "
                                          "(J^T J is singular)");
            }
        }
        if (c->gamma > GAMMA_CRIT && isfinite(c->gamma)) {
            wd_buf names = {0};
            size_t nin = 0;
            for (size_t a = 0; a < k; a++)
                if (fabs(gsl_matrix_get(V, a, k - 1)) >= 0.3) {
                    wd_buf_printf(&names, "%s'%s'", nin++ ? ", " : "", c->par[keep[a]].spec->var);
                }
            for (size_t a = 0; a < k && nin > 0; a++)
                if (fabs(gsl_matrix_get(V, a, k - 1)) >= 0.3)
                    set_why(&c->par[keep[a]], CALIB_ID_POOR,
                            "nearly collinear with the others of %s: collinearity index %.3g > %g", wd_buf_str(&names),
                            c->gamma, GAMMA_CRIT);
            wd_buf_free(&names);
        }
        gsl_matrix_free(A);
        gsl_matrix_free(V);
        gsl_vector_free(S);
        gsl_vector_free(wk);
    }
    for (size_t j = 0; j < np; j++) {
        calib_param *p = &c->par[j];
        p->ci_lo = p->est - c->tq * p->se;
        p->ci_hi = p->est + c->tq * p->se;
        if (!isfinite(p->se))
            continue;
        double rel = p->est != 0 ? p->se / fabs(p->est) : INFINITY;
        if (rel > REL_SE_CRIT)
            set_why(p, CALIB_ID_POOR, "relative standard error %.3g > %g", rel, REL_SE_CRIT);
        if (p->ci_lo <= p->lo && p->ci_hi >= p->hi)
            set_why(p, CALIB_ID_POOR, "its 95%% interval covers its whole range [%g, %g]", p->lo, p->hi);
    }
    for (size_t a = 0; a < np; a++)
        for (size_t b = 0; b < np; b++) {
            double sa = c->par[a].se, sb = c->par[b].se;
            c->corr[a * np + b] = isfinite(sa) && isfinite(sb) && sa > 0 && sb > 0
                                      ? (a == b ? 1.0 : c->cov[a * np + b] / (sa * sb))
                                      : NAN;
        }
    /* the run at the optimum stays in runs[0]: fitted values, HDF5 */
    {
        wd_run *r = c->runs[0];
        if (eval_at(c, r, c->rdiags[0], x, fs) != 0) {
            st = WD_E_NUMERIC;
            goto done;
        }
        c->nevals++;
        for (size_t s = 0; s < c->ns; s++) {
            calib_series *se = &c->ser[s];
            double sq = 0, ape = 0, w = 0;
            se->nmape = 0;
            for (size_t i = 0; i < se->n; i++) {
                se->fit[i] = model_at(r, se->col, se->t[i]);
                double e = se->fit[i] - se->y[i];
                sq += e * e;
                w += fs[se->first + i] * fs[se->first + i];
                if (se->y[i] != 0) {
                    ape += fabs(e / se->y[i]);
                    se->nmape++;
                }
            }
            se->rmse = sqrt(sq / (double)se->n);
            se->mape = se->nmape ? 100 * ape / (double)se->nmape : NAN;
            se->ssr = w;
        }
    }
done:
    wd_xfree(keep);
    wd_xfree(xs);
    wd_xfree(fs);
    wd_xfree(ok);
    wd_xfree(hp);
    wd_xfree(hm);
    gsl_matrix_free(J);
    return st;
}

/* ---- the fit ------------------------------------------------------------------------------ */

static const char *stop_text(int status, int info)
{
    switch (status) {
    case GSL_SUCCESS: return info == 2 ? "converged (small gradient)" : "converged (small step)";
    case GSL_EMAXITER: return "iteration limit reached";
    case GSL_ENOPROG: return "stopped: no further progress";
    default: return "failed";
    }
}

/* Start points: row 0 from the spec, rows 1.. from a Latin hypercube. */
static void start_points(wd_calib *c, double *x0)
{
    size_t np = c->np, ns = c->nstarts;
    for (size_t j = 0; j < np; j++)
        x0[j] = c->par[j].start;
    if (ns < 2)
        return;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    size_t m = ns - 1;
    size_t *perm = wd_xmalloc(m * sizeof(size_t));
    if (!rng || !perm) { /* fall back to a regular grid */
        for (size_t s = 1; s < ns; s++)
            for (size_t j = 0; j < np; j++) {
                const calib_param *p = &c->par[j];
                x0[s * np + j] = p->lo + (p->hi - p->lo) * ((double)((s - 1 + j) % m) + 0.5) / (double)m;
            }
    } else {
        gsl_rng_set(rng, c->seed);
        for (size_t j = 0; j < np; j++) {
            const calib_param *p = &c->par[j];
            for (size_t i = 0; i < m; i++)
                perm[i] = i;
            gsl_ran_shuffle(rng, perm, m, sizeof(size_t));
            for (size_t i = 0; i < m; i++)
                x0[(1 + i) * np + j] = p->lo + (p->hi - p->lo) * ((double)perm[i] + gsl_rng_uniform(rng)) / (double)m;
        }
    }
    wd_xfree(perm);
    if (rng)
        gsl_rng_free(rng);
}

wd_status wd_calib_fit(wd_calib *c, const wd_calib_opts *o, wd_diags *d)
{
    size_t np = c->np, n = c->n;
    if (c->starts) {
        wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "wd_calib_fit: this calibration was already fitted");
        return WD_E_ARG;
    }
    unsigned want = o && o->nthreads ? o->nthreads : 1;
    if (want > 64)
        want = 64;
    FILE *progress = o ? o->progress : NULL;
    /* worker runs */
    if (want > c->nthreads) {
        wd_run **nr = wd_xrealloc(c->runs, want * sizeof *nr);
        if (!nr)
            return WD_E_NOMEM;
        c->runs = nr;
        wd_diags **nd = wd_xrealloc(c->rdiags, want * sizeof *nd);
        if (!nd)
            return WD_E_NOMEM;
        c->rdiags = nd;
        while (c->nthreads < want) {
            size_t t = c->nthreads;
            c->runs[t] = NULL;
            if (!(c->rdiags[t] = wd_diags_new()))
                return WD_E_NOMEM;
            wd_status st = session_new_run(c->s, c->prog, d, &c->runs[t]);
            if (st != WD_OK) {
                wd_run_free(c->runs[t]);
                wd_diags_free(c->rdiags[t]);
                return st;
            }
            c->nthreads++;
        }
    }
    c->nstarts = o && o->starts ? (size_t)o->starts : (size_t)c->spec->starts;
    c->iterations = !o || o->iterations == 0 ? c->spec->iterations : o->iterations > 0 ? o->iterations : 0;
    c->starts = wd_xcalloc(c->nstarts, sizeof *c->starts);
    c->cov = wd_xmalloc(np * np * sizeof(double));
    c->corr = wd_xmalloc(np * np * sizeof(double));
    c->xbest = wd_xmalloc(np * sizeof(double));
    c->lastx = wd_xmalloc(np * sizeof(double));
    c->lastf = wd_xmalloc(n * sizeof(double));
    double *x0 = wd_xmalloc(c->nstarts * np * sizeof(double));
    fitctx fc = {c, wd_xmalloc(np * sizeof(double)), wd_xmalloc((np + 1) * np * sizeof(double)),
                 wd_xmalloc((np + 1) * n * sizeof(double)), wd_xcalloc(np + 1, sizeof(int)), false};
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    fp.trs = gsl_multifit_nlinear_trs_lm;
    fp.scale = gsl_multifit_nlinear_scale_more;
    fp.solver = gsl_multifit_nlinear_solver_qr;
    gsl_multifit_nlinear_workspace *w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, n, np);
    gsl_vector *u0 = gsl_vector_alloc(np);
    wd_status st = WD_OK;
    if (!c->starts || !c->cov || !c->corr || !c->xbest || !c->lastx || !c->lastf || !x0 || !fc.x || !fc.xs ||
        !fc.fs || !fc.ok || !w || !u0) {
        st = WD_E_NOMEM;
        goto done;
    }
    start_points(c, x0);
    gsl_multifit_nlinear_fdf fdf = {gsl_f, gsl_df, NULL, n, np, &fc, 0, 0, 0};
    double best = INFINITY;
    c->best = 0;
    for (size_t s = 0; s < c->nstarts; s++) {
        calib_start *cs = &c->starts[s];
        cs->x0 = wd_xmalloc(np * sizeof(double));
        cs->x = wd_xmalloc(np * sizeof(double));
        if (!cs->x0 || !cs->x) {
            st = WD_E_NOMEM;
            goto done;
        }
        memcpy(cs->x0, x0 + s * np, np * sizeof(double));
        for (size_t j = 0; j < np; j++) {
            const calib_param *p = &c->par[j];
            /* a start on a bound would stay there (dx/du = 0): move it in by 0.1% of the range
             * (not when there are no iterations: then the start point itself is evaluated) */
            double in = c->iterations > 0 ? 1e-3 * (p->hi - p->lo) : 0, xj = cs->x0[j];
            xj = xj < p->lo + in ? p->lo + in : xj > p->hi - in ? p->hi - in : xj;
            gsl_vector_set(u0, j, to_u(p, xj));
        }
        size_t ev0 = c->nevals;
        c->have_last = false;
        int gst = gsl_multifit_nlinear_init(u0, &fdf, w);
        int info = 0;
        if (gst == GSL_SUCCESS && fc.base_failed) {
            cs->status = "the model failed at the start point";
            cs->ssr = INFINITY;
        } else {
            /* no iterations: the start point itself (GSL's driver would take one) */
            if (gst == GSL_SUCCESS && c->iterations > 0)
                gst = gsl_multifit_nlinear_driver((size_t)c->iterations, 1e-8, 1e-10, 1e-10, NULL, NULL, &info, w);
            cs->status = c->iterations == 0 && gst == GSL_SUCCESS                           ? "not fitted (no iterations)"
                         : gst == GSL_SUCCESS || gst == GSL_EMAXITER || gst == GSL_ENOPROG ? stop_text(gst, info)
                                                                                           : "failed";
            if (c->iterations > 0)
                u_to_x(c, gsl_multifit_nlinear_position(w), cs->x);
            else /* the start itself, not its round trip through the transform */
                memcpy(cs->x, cs->x0, np * sizeof(double));
            gsl_vector *f = gsl_multifit_nlinear_residual(w);
            double ssr = 0;
            for (size_t i = 0; i < n; i++)
                ssr += gsl_vector_get(f, i) * gsl_vector_get(f, i);
            cs->ssr = ssr < PENALTY ? ssr : INFINITY;
            cs->iters = gsl_multifit_nlinear_niter(w);
        }
        cs->nevals = c->nevals - ev0;
        if (cs->ssr < best) {
            best = cs->ssr;
            c->best = s;
        }
        if (progress) {
            fprintf(progress, "start %zu/%zu: SSR %.6g after %zu iterations, %zu runs (%s)\n", s + 1, c->nstarts,
                    cs->ssr, cs->iters, cs->nevals, cs->status);
            fflush(progress);
        }
    }
    if (!isfinite(best)) {
        wd_diag_add(d, WD_ERROR, (wd_loc){c->spec->src.file, c->spec->src.line, 0}, NULL,
                    "the fit failed at every start: the model could not be run at the start points%s%s",
                    c->first_failure ? "; the first failure, " : "", c->first_failure ? c->first_failure : "");
        st = WD_E_NUMERIC;
        goto done;
    }
    c->nsame = 0;
    /* the same optimum: an SSR within 0.01%, or every parameter within 1e-4
     * of its range (an exact fit has an SSR at rounding level, where ratios
     * mean nothing) */
    for (size_t s = 0; s < c->nstarts; s++) {
        bool same = c->starts[s].ssr <= best * (1 + 1e-4);
        bool near = isfinite(c->starts[s].ssr);
        for (size_t j = 0; j < np && near; j++)
            near = fabs(c->starts[s].x[j] - c->starts[c->best].x[j]) <= 1e-4 * (c->par[j].hi - c->par[j].lo);
        c->nsame += same || near;
    }
    memcpy(c->xbest, c->starts[c->best].x, np * sizeof(double));
    st = stats(c);
    if (st == WD_E_NUMERIC)
        wd_diag_add(d, WD_ERROR, (wd_loc){c->spec->src.file, c->spec->src.line, 0}, NULL,
                    "the run at the fitted parameters failed%s%s", c->first_failure ? ": " : "",
                    c->first_failure ? c->first_failure : "");
    c->fitted = st == WD_OK;
done:
    wd_xfree(x0);
    wd_xfree(fc.x);
    wd_xfree(fc.xs);
    wd_xfree(fc.fs);
    wd_xfree(fc.ok);
    gsl_vector_free(u0);
    if (w)
        gsl_multifit_nlinear_free(w);
    return st;
}

/* ---- accessors ------------------------------------------------------------------------------ */

size_t wd_calib_nparams(const wd_calib *c) { return c->np; }

void wd_calib_param(const wd_calib *c, size_t i, wd_calib_param_info *info)
{
    memset(info, 0, sizeof *info);
    if (i >= c->np)
        return;
    const calib_param *p = &c->par[i];
    info->var = p->spec->var;
    info->min = p->lo;
    info->max = p->hi;
    info->start = p->start;
    info->estimate = c->fitted ? p->est : NAN;
    info->se = c->fitted ? p->se : NAN;
    info->lo95 = c->fitted ? p->ci_lo : NAN;
    info->hi95 = c->fitted ? p->ci_hi : NAN;
    info->at_bound = p->at_bound;
    info->identifiability = p->ident;
    info->why = p->why;
}

double wd_calib_correlation(const wd_calib *c, size_t i, size_t j)
{
    if (!c->fitted || i >= c->np || j >= c->np)
        return NAN;
    return c->corr[i * c->np + j];
}

size_t wd_calib_nseries(const wd_calib *c) { return c->ns; }

void wd_calib_series(const wd_calib *c, size_t i, wd_calib_series_info *info)
{
    memset(info, 0, sizeof *info);
    if (i >= c->ns)
        return;
    const calib_series *s = &c->ser[i];
    info->label = s->label;
    info->var = s->spec->var;
    info->npoints = s->n;
    info->times = s->t;
    info->observed = s->y;
    info->fitted = c->fitted ? s->fit : NULL;
    info->rmse = c->fitted ? s->rmse : NAN;
    info->mape = c->fitted ? s->mape : NAN;
}

void wd_calib_summary_get(const wd_calib *c, wd_calib_summary *out)
{
    memset(out, 0, sizeof *out);
    out->npoints = c->n;
    out->nparams = c->np;
    out->nstarts = c->nstarts;
    out->best_start = c->best;
    out->nsame = c->nsame;
    out->ssr = c->fitted ? c->ssr : NAN;
    out->s2 = c->fitted ? c->s2 : NAN;
    out->tq = c->fitted ? c->tq : NAN;
    out->collinearity = c->fitted ? c->gamma : NAN;
    out->nevals = c->nevals;
    out->nfailed = c->nfailed;
}
