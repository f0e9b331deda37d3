/* integrate.c: the integration methods.
 *
 * Fixed step (Vensim semantics): Euler; RK2 (Heun) and RK4 (classical)
 * holding the times that STEP/PULSE/RAMP read at the start of the step, as
 * Vensim does. Time is t0 + k*dt from the integer step count and results are
 * saved every round(SAVEPER/TIME STEP) steps.
 *
 * Adaptive and stiff (GSL odeiv2): rkf45, rkck, rk8pd, msbdf, rk4imp with a
 * finite-difference Jacobian. The run is integrated piecewise between
 * breakpoints (switch times of STEP, PULSE, PULSE TRAIN, RAMP, data series,
 * lookups of Time, input series) and save points, so that no discontinuity
 * falls inside a step; the driver is reset at breakpoints (not at save
 * points, where the rates are smooth). Inside a piece, the
 * switch time that STEP/PULSE compare against is the piece's midpoint, which
 * makes each piece see the input that holds on it. Discrete state (SAMPLE IF
 * TRUE, DELAY FIXED) is updated on the TIME STEP grid, which then becomes a
 * set of breakpoints too.
 */
#include "run_internal.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixed step ------------------------------------------------------------------ */

/* y += h * f; states and rates are disjoint blocks of the value array,
 * which restrict tells the compiler (so that it can vectorise). */
static void axpy(double *restrict y, const double *restrict f, double h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += h * f[i];
}

wd_status integrate_fixed(wd_run *r, wd_diags *d)
{
    const wd_program *p = r->p;
    size_t n = p->nstates;
    double *y = r->v + p->state_first, *f = r->v + p->deriv_first;
    double t0 = r->t0, dt = r->dt;
    long long nsteps = llround((r->t1 - t0) / dt);
    long long every = llround(r->saveper / dt);
    if (every < 1)
        every = 1;
    double *w = NULL;
    if (r->method != WD_EULER) {
        w = wd_xmalloc((5 * n + 1) * sizeof(double));
        if (!w)
            return WD_E_NOMEM;
    }
    double *y0 = w, *k1 = w ? w + n : NULL, *k2 = w ? w + 2 * n : NULL, *k3 = w ? w + 3 * n : NULL,
           *k4 = w ? w + 4 * n : NULL;
    wd_status st = WD_OK;
    for (long long k = 0;; k++) {
        double t = t0 + (double)k * dt;
        run_set_time(r, t, t + dt / 2, t);
        if ((st = run_rhs(r, d)) != WD_OK)
            break;
        /* Stocks that overflowed without making a rate non-finite are
         * caught where they would be saved. */
        if (k % every == 0 || k == nsteps)
            if ((st = run_check_states(r, d)) != WD_OK || (st = run_save(r, d)) != WD_OK)
                break;
        if (k >= nsteps)
            break;
        run_update(r);
        if (r->method == WD_EULER) {
            axpy(y, f, dt, n);
        } else if (r->method == WD_RK2) {
            memcpy(y0, y, n * sizeof(double));
            memcpy(k1, f, n * sizeof(double));
            for (size_t i = 0; i < n; i++)
                y[i] = y0[i] + dt * k1[i];
            run_set_time(r, t + dt, t + dt / 2, t);
            if ((st = run_rhs(r, d)) != WD_OK)
                break;
            for (size_t i = 0; i < n; i++)
                y[i] = y0[i] + dt / 2 * (k1[i] + f[i]);
        } else {
            memcpy(y0, y, n * sizeof(double));
            memcpy(k1, f, n * sizeof(double));
            for (size_t i = 0; i < n; i++)
                y[i] = y0[i] + dt / 2 * k1[i];
            run_set_time(r, t + dt / 2, t + dt / 2, t);
            if ((st = run_rhs(r, d)) != WD_OK)
                break;
            memcpy(k2, f, n * sizeof(double));
            for (size_t i = 0; i < n; i++)
                y[i] = y0[i] + dt / 2 * k2[i];
            if ((st = run_rhs(r, d)) != WD_OK)
                break;
            memcpy(k3, f, n * sizeof(double));
            for (size_t i = 0; i < n; i++)
                y[i] = y0[i] + dt * k3[i];
            run_set_time(r, t + dt, t + dt / 2, t);
            if ((st = run_rhs(r, d)) != WD_OK)
                break;
            memcpy(k4, f, n * sizeof(double));
            for (size_t i = 0; i < n; i++)
                y[i] = y0[i] + dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        }
    }
    wd_xfree(w);
    return st;
}

/* ---- control variables that change during the run (Euler) ------------------------- */

wd_status integrate_dynamic_control(wd_run *r, wd_diags *d)
{
    const wd_program *p = r->p;
    const wd_model *m = p->model;
    size_t n = p->nstates;
    double *y = r->v + p->state_first, *f = r->v + p->deriv_first;
    double t = r->t0, dt = r->dt;
    wd_status st = WD_OK;
    /* Values the caller gave stay fixed; the model's may change each step. */
    for (long long k = 0;; k++) {
        if (k >= 1000000000LL) {
            wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL,
                        "at Time = %g: more than a billion time steps; TIME STEP is too small for FINAL TIME", t);
            return WD_E_LIMIT;
        }
        r->v[SLOT_DT] = dt;
        run_set_time(r, t, t + dt / 2, t);
        if ((st = run_rhs(r, d)) != WD_OK)
            return st;
        double fin = r->fixed_t1 ? r->t1 : r->v[p->var_slot[m->v_final]];
        double sp = r->fixed_saveper ? r->saveper : r->v[p->var_slot[m->v_saveper]];
        double ndt = r->fixed_dt ? r->dt : r->v[p->var_slot[m->v_step]];
        if (!(ndt > 0) || !isfinite(ndt)) {
            wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL, "at Time = %g: TIME STEP became %g", t, ndt);
            return WD_E_NUMERIC;
        }
        double q = (t - r->t0) / sp;
        bool last = t >= fin - 1e-9 * fmax(1, fabs(fin));
        if (k == 0 || fabs(q - round(q)) < 1e-6 || last)
            if ((st = run_save(r, d)) != WD_OK)
                return st;
        if (last)
            break;
        run_update(r);
        dt = ndt;
        for (size_t i = 0; i < n; i++)
            y[i] += dt * f[i];
        t += dt;
        if ((st = run_check_states(r, d)) != WD_OK)
            return st;
    }
    r->t1 = t;
    return WD_OK;
}

/* ---- GSL ------------------------------------------------------------------------------ */

static pthread_once_t gsl_once = PTHREAD_ONCE_INIT;
static void gsl_quiet(void) { gsl_set_error_handler_off(); }

typedef struct gsl_ctx {
    wd_run *r;
    double seg_ts; /* switch time of the current piece */
} gsl_ctx;

static int gsl_rhs(double t, const double y[], double dydt[], void *params)
{
    gsl_ctx *g = params;
    wd_run *r = g->r;
    const wd_program *p = r->p;
    run_copy(r->v + p->state_first, y, p->nstates);
    run_set_time(r, t, g->seg_ts, t);
    run_segment(r, NSEG_RHS);
    r->rhs_evals++;
    const double *f = r->v + p->deriv_first;
    for (size_t i = 0; i < p->nstates; i++) {
        if (!isfinite(f[i]))
            return GSL_EBADFUNC;
        dydt[i] = f[i];
    }
    return r->cx.fault ? GSL_EBADFUNC : GSL_SUCCESS;
}

/* Forward differences with step sqrt(eps) * max(|y|, 1e-6) (the usual
 * choice, e.g. Hairer & Wanner's RADAU5); implicit methods need only an
 * approximate Jacobian. */
static int gsl_jac(double t, const double y[], double *dfdy, double dfdt[], void *params)
{
    gsl_ctx *g = params;
    size_t n = g->r->p->nstates;
    double *work = g->r->work;
    double *f0 = work, *f1 = work + n, *yy = work + 2 * n;
    int st = gsl_rhs(t, y, f0, params);
    if (st != GSL_SUCCESS)
        return st;
    memcpy(yy, y, n * sizeof(double));
    for (size_t j = 0; j < n; j++) {
        double h = 1.4901161193847656e-08 * fmax(fabs(y[j]), 1e-6);
        yy[j] = y[j] + h;
        if ((st = gsl_rhs(t, yy, f1, params)) != GSL_SUCCESS)
            return st;
        for (size_t i = 0; i < n; i++)
            dfdy[i * n + j] = (f1[i] - f0[i]) / h;
        yy[j] = y[j];
    }
    double ht = 1.4901161193847656e-08 * fmax(fabs(t), 1.0);
    if ((st = gsl_rhs(t + ht, y, f1, params)) != GSL_SUCCESS)
        return st;
    for (size_t i = 0; i < n; i++)
        dfdt[i] = (f1[i] - f0[i]) / ht;
    return GSL_SUCCESS;
}

static const gsl_odeiv2_step_type *step_type(wd_method m)
{
    switch (m) {
    case WD_RKF45: return gsl_odeiv2_step_rkf45;
    case WD_RKCK: return gsl_odeiv2_step_rkck;
    case WD_RK8PD: return gsl_odeiv2_step_rk8pd;
    case WD_MSBDF: return gsl_odeiv2_step_msbdf;
    case WD_RK4IMP: return gsl_odeiv2_step_rk4imp;
    default: return NULL;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

wd_status integrate_gsl(wd_run *r, wd_diags *d)
{
    pthread_once(&gsl_once, gsl_quiet);
    const wd_program *p = r->p;
    const wd_model *m = p->model;
    size_t n = p->nstates;
    double t0 = r->t0, t1 = r->t1;
    /* stops: save points, breakpoints and (with discrete state) the grid */
    size_t nbp = 0;
    double *bps = run_breakpoints(r, &nbp);
    long long nsave = (long long)floor((t1 - t0) / r->saveper + 1e-9);
    long long ngrid = p->has_discrete ? llround((t1 - t0) / r->dt) : 0;
    size_t cap = nbp + (size_t)nsave + (size_t)ngrid + 4;
    double *stops = wd_xmalloc(cap * sizeof(double));
    unsigned char *kind = wd_xmalloc(cap);
    r->work = wd_xrealloc(r->work, (3 * n + 2 * n + 1) * sizeof(double));
    if (!stops || !kind || !r->work) {
        wd_xfree(bps), wd_xfree(stops), wd_xfree(kind);
        return WD_E_NOMEM;
    }
    size_t ns = 0;
    for (size_t i = 0; i < nbp; i++)
        stops[ns++] = bps[i];
    for (long long k = 1; k <= nsave; k++)
        stops[ns++] = t0 + (double)k * r->saveper;
    for (long long k = 1; k <= ngrid; k++)
        stops[ns++] = t0 + (double)k * r->dt;
    stops[ns++] = t1;
    /* often sorted already (no breakpoints, no grid): then no sort */
    bool sorted = true;
    for (size_t i = 1; i < ns && sorted; i++)
        sorted = stops[i - 1] <= stops[i];
    if (!sorted)
        qsort(stops, ns, sizeof(double), cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < ns; i++) {
        if (stops[i] <= t0 || stops[i] > t1)
            continue;
        if (u && stops[i] - stops[u - 1] <= 1e-12 * fmax(1, fabs(stops[i])))
            continue;
        stops[u++] = stops[i];
    }
    ns = u;
    /* what happens at each stop: bit 1 save, bit 2 discrete update, bit 4
     * breakpoint (bps is sorted, so one merge pass finds them) */
    for (size_t i = 0, j = 0; i < ns; i++) {
        double q = (stops[i] - t0) / r->saveper;
        double g = (stops[i] - t0) / r->dt;
        double tol = 1e-12 * fmax(1, fabs(stops[i]));
        while (j < nbp && bps[j] < stops[i] - tol)
            j++;
        bool bp = j < nbp && bps[j] <= stops[i] + tol;
        kind[i] = (unsigned char)((fabs(q - round(q)) < 1e-9 * fmax(1, q) || i == ns - 1 ? 1 : 0) |
                                  (p->has_discrete && fabs(g - round(g)) < 1e-9 * fmax(1, g) ? 2 : 0) |
                                  (bp ? 4 : 0));
    }
    wd_xfree(bps);
    gsl_ctx g = {r, 0};
    gsl_odeiv2_system sys = {gsl_rhs, gsl_jac, n, &g};
    double h0 = fmin(r->dt, (t1 - t0) / 100);
    if (!(h0 > 0))
        h0 = 1e-6;
    gsl_odeiv2_driver *drv = n ? gsl_odeiv2_driver_alloc_y_new(&sys, step_type(r->method), h0, r->atol, r->rtol)
                               : NULL;
    double *y = wd_xmalloc((n + 1) * sizeof(double));
    if ((n && !drv) || !y) {
        if (drv)
            gsl_odeiv2_driver_free(drv);
        wd_xfree(y), wd_xfree(stops), wd_xfree(kind);
        return WD_E_NOMEM;
    }
    if (drv && r->hmax > 0)
        gsl_odeiv2_driver_set_hmax(drv, r->hmax);
    memcpy(y, r->v + p->state_first, n * sizeof(double));
    wd_status st = WD_OK;
    double t = t0;
    /* the initial point */
    g.seg_ts = ns ? (t0 + stops[0]) / 2 : t0 + r->dt / 2;
    run_set_time(r, t0, g.seg_ts, t0);
    if ((st = run_rhs(r, d)) == WD_OK)
        st = run_save(r, d);
    if (st == WD_OK && p->has_discrete)
        run_update(r);
    for (size_t i = 0; i < ns && st == WD_OK; i++) {
        double target = stops[i];
        g.seg_ts = (t + target) / 2;
        int gs = GSL_SUCCESS;
        if (n) {
            gs = gsl_odeiv2_driver_apply(drv, &t, target, y);
            /* The stepper restarts after a discontinuity (a breakpoint) or a
             * discrete update; a save point needs no restart: the rates are
             * smooth there, and a restart would cost an extra evaluation per
             * piece (and throw away a multistep method's history). */
            if (kind[i] & 6)
                gsl_odeiv2_driver_reset(drv);
        }
        t = target;
        if (gs != GSL_SUCCESS) {
            memcpy(r->v + p->state_first, y, n * sizeof(double));
            run_set_time(r, t, g.seg_ts, t);
            if (gs == GSL_EBADFUNC) {
                st = run_rhs(r, d);
                if (st == WD_OK) {
                    wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL,
                                "near Time = %.10g (method %s): a rate became infinite or not a number during a step; "
                                "try a smaller hmax or a stiff method (--method msbdf)",
                                t, wd_method_name(r->method));
                    st = WD_E_NUMERIC;
                }
            } else {
                wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL,
                            "near Time = %.10g: the %s solver failed (%s); the model may be stiff: try --method msbdf, "
                            "or loosen --rtol/--atol",
                            t, wd_method_name(r->method), gsl_strerror(gs));
                st = WD_E_SOLVER;
            }
            break;
        }
        run_copy(r->v + p->state_first, y, n);
        if ((kind[i] & 3) == 0) {
            if ((st = run_check_states(r, d)) != WD_OK)
                break;
            continue;
        }
        g.seg_ts = i + 1 < ns ? (t + stops[i + 1]) / 2 : t + r->dt / 2;
        run_set_time(r, t, g.seg_ts, t);
        if ((st = run_rhs(r, d)) != WD_OK)
            break;
        if ((kind[i] & 1) && (st = run_save(r, d)) != WD_OK)
            break;
        if (kind[i] & 2) {
            run_update(r);
            /* the update may change what the rates see: restart the stepper */
        }
    }
    if (drv)
        gsl_odeiv2_driver_free(drv);
    wd_xfree(y);
    wd_xfree(stops);
    wd_xfree(kind);
    return st;
}
