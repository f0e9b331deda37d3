/* bench.c: `make bench`. Times whole runs of models against hand-written C
 * twins of the same equations, compiled with the same flags and timed in the
 * same process, and reports the ratio (the interpreter's overhead).
 *
 * Each twin does the work a run does: integrate with the same method and
 * step, and keep every variable at every save point. Times are the median
 * of repeated runs after a warm-up.
 */
#define _POSIX_C_SOURCE 200809L
#include "wandel.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Repeats fn until about `budget` seconds have passed (at least 5 runs);
 * returns the median seconds per run. */
static double time_runs(void (*fn)(void *), void *arg, double budget)
{
    fn(arg); /* warm-up */
    double times[2000];
    int n = 0;
    double start = now();
    while (n < 2000 && (n < 5 || now() - start < budget)) {
        double t0 = now();
        fn(arg);
        times[n++] = now() - t0;
    }
    return median(times, n);
}

/* ---- wandel runs --------------------------------------------------------------- */

typedef struct wrun {
    wd_program *p;
    wd_method method;
    size_t evals;
    double check; /* a final value, to compare with the twin */
    const char *check_var;
} wrun;

static void run_wandel(void *arg)
{
    wrun *w = arg;
    wd_run *r = NULL;
    wd_diags *d = wd_diags_new();
    wd_run_opts o;
    wd_run_opts_init(&o);
    o.method = w->method;
    if (wd_run_new(w->p, &r) != WD_OK || wd_run_exec(r, &o, d) != WD_OK) {
        wd_diags_print(d, stderr);
        exit(1);
    }
    w->evals = wd_run_rhs_evals(r);
    w->check = wd_run_value(r, wd_run_nsaved(r) - 1, wd_run_col_find(r, w->check_var));
    wd_run_free(r);
    wd_diags_free(d);
}

/* ---- hand-written twins -------------------------------------------------------------- */

#define CHAIN 50

typedef struct twin {
    int which;       /* 0 teacup, 1 chain */
    int adaptive;    /* 0 Euler, 1 rkf45 */
    double check;
    size_t evals;
} twin;

typedef struct chain_params {
    double res[CHAIN];
    double inflow;
} chain_params;

/* teacup: T' = -(T - room) / tau */
static int teacup_rhs(double t, const double y[], double f[], void *params)
{
    (void)t;
    double *loss = params;
    *loss = (y[0] - 70.0) / 10.0;
    f[0] = -*loss;
    return GSL_SUCCESS;
}

/* chain: S_i' = out_{i-1} - out_i, out_i = S_i / res_i */
static int chain_rhs(double t, const double y[], double f[], void *params)
{
    (void)t;
    const chain_params *cp = params;
    double in = cp->inflow;
    for (int i = 0; i < CHAIN; i++) {
        double out = y[i] / cp->res[i];
        f[i] = in - out;
        in = out;
    }
    return GSL_SUCCESS;
}

static int jac_none(double t, const double y[], double *dfdy, double dfdt[], void *params)
{
    (void)t, (void)y, (void)dfdy, (void)dfdt, (void)params;
    return GSL_EBADFUNC;
}

static void run_twin(void *arg)
{
    twin *tw = arg;
    int n = tw->which ? CHAIN : 1;
    double t0 = 0, t1 = tw->which ? 100 : 30, dt = tw->which ? 0.0625 : 0.125, saveper = tw->which ? 1 : 0.125;
    /* every variable at every save point: stocks, flows, constants, time */
    size_t nsave = (size_t)llround((t1 - t0) / saveper) + 1;
    size_t ncols = tw->which ? 3 * CHAIN + 5 : 8;
    double *rows = malloc(nsave * ncols * sizeof(double));
    double y[CHAIN], f[CHAIN];
    chain_params cp;
    cp.inflow = 100;
    for (int i = 0; i < CHAIN; i++) {
        cp.res[i] = 1 + 0.02 * (i + 1);
        y[i] = 10.0 * (i + 1);
    }
    if (!tw->which)
        y[0] = 180;
    double loss = 0;
    void *params = tw->which ? (void *)&cp : (void *)&loss;
    int (*rhs)(double, const double *, double *, void *) = tw->which ? chain_rhs : teacup_rhs;
    size_t saved = 0, evals = 0;
    if (!tw->adaptive) {
        long long steps = llround((t1 - t0) / dt), every = llround(saveper / dt);
        for (long long k = 0;; k++) {
            double t = t0 + (double)k * dt;
            rhs(t, y, f, params);
            evals++;
            if (k % every == 0) {
                double *row = rows + saved++ * ncols;
                row[0] = t;
                for (int i = 0; i < n; i++)
                    row[1 + i] = y[i], row[1 + n + i] = tw->which ? y[i] / cp.res[i] : loss;
                for (size_t c = 1 + 2 * (size_t)n; c < ncols; c++)
                    row[c] = 1.0;
            }
            if (k == steps)
                break;
            for (int i = 0; i < n; i++)
                y[i] += dt * f[i];
        }
    } else {
        gsl_odeiv2_system sys = {rhs, jac_none, (size_t)n, params};
        gsl_odeiv2_driver *drv = gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rkf45, dt, 1e-6, 1e-6);
        double t = t0;
        for (size_t k = 0; k < nsave; k++) {
            double ts = t0 + (double)k * saveper;
            if (k)
                gsl_odeiv2_driver_apply(drv, &t, ts, y);
            rhs(ts, y, f, params);
            evals++;
            double *row = rows + saved++ * ncols;
            row[0] = ts;
            for (int i = 0; i < n; i++)
                row[1 + i] = y[i], row[1 + n + i] = tw->which ? y[i] / cp.res[i] : loss;
            for (size_t c = 1 + 2 * (size_t)n; c < ncols; c++)
                row[c] = 1.0;
        }
        evals += 0;
        gsl_odeiv2_driver_free(drv);
    }
    tw->check = rows[(saved - 1) * ncols + (tw->which ? CHAIN : 1)];
    tw->evals = evals;
    free(rows);
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    double budget = argc > 1 ? atof(argv[1]) : 1.5;
    struct {
        const char *label, *path, *check_var;
        int which;
    } models[] = {
        {"teacup (1 stock)", "tests/models/teacup.mdl", "Teacup Temperature", 0},
        {"chain50 (50 stocks)", "models/bench/chain50.mdl", "Stage 50", 1},
    };
    printf("%-22s %-7s %12s %14s %12s %8s\n", "model", "method", "wandel/run", "rates/s", "C twin/run", "ratio");
    int status = 0;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        wd_diags *d = wd_diags_new();
        wd_model *m = NULL;
        wrun w = {0};
        if (wd_model_load(models[i].path, d, &m) != WD_OK || wd_program_compile(m, NULL, d, &w.p) != WD_OK) {
            wd_diags_print(d, stderr);
            return 1;
        }
        w.check_var = models[i].check_var;
        for (int adaptive = 0; adaptive < 2; adaptive++) {
            w.method = adaptive ? WD_RKF45 : WD_EULER;
            double tw_ = time_runs(run_wandel, &w, budget);
            twin t = {models[i].which, adaptive, 0, 0};
            double tc = time_runs(run_twin, &t, budget);
            if (fabs(w.check - t.check) > 1e-6 * fmax(1, fabs(t.check))) {
                fprintf(stderr, "bench: %s %s: wandel %.12g differs from the twin %.12g\n", models[i].label,
                        wd_method_name(w.method), w.check, t.check);
                status = 1;
            }
            printf("%-22s %-7s %10.2f us %12.3g %10.2f us %8.2f\n", models[i].label, wd_method_name(w.method),
                   tw_ * 1e6, (double)w.evals / tw_, tc * 1e6, tw_ / tc);
        }
        wd_program_free(w.p);
        wd_model_free(m);
        wd_diags_free(d);
    }
    printf("ratio = wandel time per run / hand-written C time per run (same equations, method, steps, saved values)\n");
    return status;
}
