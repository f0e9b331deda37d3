/* bench.c: `make bench`. Times whole runs of models against hand-written C
 * twins of the same equations, compiled with the same flags and timed in the
 * same process, and reports the ratio (what the engine costs over plain C).
 *
 * Each twin does the work a run does: integrate with the same method, steps
 * and stops (rkf45: the GSL driver from save point to save point), evaluate
 * what only the results need at save points, and keep every variable at
 * every save point. The number of rate evaluations of wandel and twin must
 * agree, which shows that both took the same steps; their final values must
 * agree to 1e-9.
 *
 * Timing: wandel and twin runs alternate, so that both see the same load of
 * a shared machine; each figure is the median over the runs made within the
 * time budget (first argument, seconds per case; default 1.5).
 *
 *   bench [SECONDS [CASE...]]           the table (of the named cases)
 *   bench --profile CASE METHOD WHO N   N runs of one side only, for
 *                                       valgrind --tool=callgrind
 *       CASE teacup|chain50|ageing, METHOD euler|rkf45, WHO vm|native|twin
 *
 * wandel runs with both engines: the VM, and native code (built once by the
 * C compiler into the cache, see wandel.h); without a C compiler the native
 * rows are left out.
 */
#define _POSIX_C_SOURCE 200809L
#include "wandel.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdbool.h>
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

/* ---- wandel runs --------------------------------------------------------------- */

typedef struct wrun {
    const wd_program *p;
    wd_method method;
    wd_engine engine;
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
    o.engine = w->engine;
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

/* A twin: rates of the states, the values only results need, and the row of
 * saved values (every column wandel saves, in any order). */
typedef struct twin_model {
    size_t n;        /* states */
    size_t ncols;    /* saved values per save point */
    double t0, t1, dt, saveper;
    void (*init)(void *m, double *y);
    int (*rhs)(double t, const double *y, double *f, void *m);
    void (*save)(void *m, double t, const double *y, double *row);
    size_t check_col; /* column compared with wandel's check value */
} twin_model;

/* Every twin's state struct starts with this: its rate functions count
 * their evaluations, as wandel does. */
typedef struct twin_hdr {
    size_t evals;
} twin_hdr;

/* ---- teacup: T' = -(T - room) / tau ---- */
typedef struct teacup {
    twin_hdr h;
    double loss;
} teacup;

static void teacup_init(void *m, double *y)
{
    (void)m;
    y[0] = 180;
}

static int teacup_rhs(double t, const double *y, double *f, void *m)
{
    (void)t;
    teacup *tc = m;
    tc->h.evals++;
    tc->loss = (y[0] - 70.0) / 10.0;
    f[0] = -tc->loss;
    return GSL_SUCCESS;
}

/* Time, Teacup Temperature, Heat Loss, Room Temperature, Characteristic
 * Time, and the four control values. */
static void teacup_save(void *m, double t, const double *y, double *row)
{
    teacup *tc = m;
    row[0] = t;
    row[1] = y[0];
    row[2] = tc->loss;
    row[3] = 70;
    row[4] = 10;
    row[5] = 30, row[6] = 0, row[7] = 0.125, row[8] = 0.125;
}

/* ---- chain50: S_i' = out_{i-1} - out_i, out_i = S_i / res_i ---- */
#define CHAIN 50
typedef struct chain {
    twin_hdr h;
    double res[CHAIN], out[CHAIN];
    double inflow;
} chain;

static void chain_init(void *m, double *y)
{
    chain *c = m;
    c->inflow = 100;
    for (int i = 0; i < CHAIN; i++) {
        c->res[i] = 1 + 0.02 * (i + 1);
        y[i] = 10.0 * (i + 1);
    }
}

static int chain_rhs(double t, const double *y, double *f, void *m)
{
    (void)t;
    chain *c = m;
    c->h.evals++;
    double in = c->inflow;
    for (int i = 0; i < CHAIN; i++) {
        double out = y[i] / c->res[i];
        c->out[i] = out;
        f[i] = in - out;
        in = out;
    }
    return GSL_SUCCESS;
}

static void chain_save(void *m, double t, const double *y, double *row)
{
    chain *c = m;
    row[0] = t;
    for (int i = 0; i < CHAIN; i++)
        row[1 + i] = y[i], row[1 + CHAIN + i] = c->out[i], row[1 + 2 * CHAIN + i] = c->res[i];
    row[1 + 3 * CHAIN] = c->inflow;
    row[2 + 3 * CHAIN] = 100, row[3 + 3 * CHAIN] = 0, row[4 + 3 * CHAIN] = 1, row[5 + 3 * CHAIN] = 0.0625;
}

/* ---- ageing: workers by region x sector x cohort (models/bench/ageing.mdl) ---- */
#define NR 10
#define NS 10
#define NC 10
typedef struct ageing {
    twin_hdr h;
    /* constants */
    double lf[NR], share[NS], trend[NS], seprate[NS], agefac[NC], entry[NC], initshare[NC];
    double base[NR][NS], initw[NR][NS][NC];
    double delay, width, t0;
    /* rates and auxiliaries of the last evaluation */
    double ageout[NR][NS][NC], agein[NR][NS][NC], sep[NR][NS][NC], hires[NR][NS][NC];
    double hiring[NR][NS], leavers[NR][NS], workforce[NR][NS], demand[NR][NS], gap[NR][NS];
} ageing;

static const double resp_x[] = {-1, -0.5, -0.2, 0, 0.2, 0.5, 1};
static const double resp_y[] = {-0.6, -0.35, -0.15, 0, 0.15, 0.3, 0.45};

/* hiring response: linear interpolation, clamped at the ends */
static double hiring_response(double x)
{
    const int n = 7;
    if (x <= resp_x[0])
        return resp_y[0];
    if (x >= resp_x[n - 1])
        return resp_y[n - 1];
    int i = 0;
    while (resp_x[i + 1] <= x)
        i++;
    return resp_y[i] + (x - resp_x[i]) * (resp_y[i + 1] - resp_y[i]) / (resp_x[i + 1] - resp_x[i]);
}

static void ageing_init(void *m, double *y)
{
    ageing *a = m;
    static const double lf[NR] = {2300, 520, 480, 1900, 560, 1600, 400, 1400, 600, 60};
    static const double share[NS] = {0.01, 0.02, 0.03, 0.02, 0.08, 0.05, 0.07, 0.07, 0.35, 0.3};
    static const double trend[NS] = {-0.08, -0.02, -0.01, -0.01, 0, -0.005, 0.005, 0.01, 0.015, 0.005};
    static const double seprate[NS] = {0.05, 0.05, 0.06, 0.05, 0.07, 0.07, 0.1, 0.1, 0.09, 0.04};
    static const double agefac[NC] = {2, 1.6, 1.2, 1, 0.8, 0.7, 0.6, 0.6, 0.7, 0.9};
    static const double entry[NC] = {0.3, 0.3, 0.15, 0.08, 0.06, 0.04, 0.03, 0.02, 0.01, 0.01};
    static const double initshare[NC] = {0.04, 0.09, 0.11, 0.11, 0.11, 0.12, 0.13, 0.12, 0.1, 0.07};
    memcpy(a->lf, lf, sizeof lf);
    memcpy(a->share, share, sizeof share);
    memcpy(a->trend, trend, sizeof trend);
    memcpy(a->seprate, seprate, sizeof seprate);
    memcpy(a->agefac, agefac, sizeof agefac);
    memcpy(a->entry, entry, sizeof entry);
    memcpy(a->initshare, initshare, sizeof initshare);
    a->delay = 1.5;
    a->width = 5;
    a->t0 = 2020;
    for (int r = 0; r < NR; r++)
        for (int s = 0; s < NS; s++) {
            a->base[r][s] = lf[r] * share[s];
            for (int c = 0; c < NC; c++)
                y[(r * NS + s) * NC + c] = a->initw[r][s][c] = a->base[r][s] * initshare[c];
        }
}

static int ageing_rhs(double t, const double *y, double *f, void *m)
{
    ageing *a = m;
    a->h.evals++;
    for (int r = 0; r < NR; r++)
        for (int s = 0; s < NS; s++) {
            const double *w = y + (r * NS + s) * NC;
            double *dw = f + (r * NS + s) * NC;
            double *out = a->ageout[r][s], *in = a->agein[r][s], *sep = a->sep[r][s], *hires = a->hires[r][s];
            double wf = w[0];
            for (int c = 1; c < NC; c++)
                wf += w[c];
            double demand = a->base[r][s] * exp(a->trend[s] * (t - a->t0));
            double gap = (demand - wf) / demand;
            for (int c = 0; c < NC; c++) {
                sep[c] = w[c] * a->seprate[s] * a->agefac[c];
                out[c] = w[c] / a->width;
            }
            double leavers = sep[0];
            for (int c = 1; c < NC; c++)
                leavers += sep[c];
            leavers += out[NC - 1];
            double hiring = fmax(0, leavers + demand * hiring_response(gap) / a->delay);
            in[0] = 0;
            for (int c = 1; c < NC; c++)
                in[c] = out[c - 1];
            for (int c = 0; c < NC; c++) {
                hires[c] = hiring * a->entry[c];
                dw[c] = hires[c] + in[c] - out[c] - sep[c];
            }
            a->workforce[r][s] = wf;
            a->demand[r][s] = demand;
            a->gap[r][s] = gap;
            a->leavers[r][s] = leavers;
            a->hiring[r][s] = hiring;
        }
    return GSL_SUCCESS;
}

#define AGEING_COLS (1 + 6 * NR * NS * NC + 6 * NR * NS + 3 * NR + 3 * NS + 3 * NC + 1 + 2 + 4)

/* Every variable: the report-only ones (regional employment, older worker
 * share, total employment) are computed here, at save points alone. */
static void ageing_save(void *m, double t, const double *y, double *row)
{
    ageing *a = m;
    size_t k = 0;
    const size_t N3 = NR * NS * NC, N2 = NR * NS;
    row[k++] = t;
    memcpy(row + k, y, N3 * sizeof(double)), k += N3;
    memcpy(row + k, a->ageout, N3 * sizeof(double)), k += N3;
    memcpy(row + k, a->agein, N3 * sizeof(double)), k += N3;
    memcpy(row + k, a->sep, N3 * sizeof(double)), k += N3;
    memcpy(row + k, a->hires, N3 * sizeof(double)), k += N3;
    memcpy(row + k, a->initw, N3 * sizeof(double)), k += N3;
    memcpy(row + k, a->hiring, N2 * sizeof(double)), k += N2;
    memcpy(row + k, a->leavers, N2 * sizeof(double)), k += N2;
    memcpy(row + k, a->workforce, N2 * sizeof(double)), k += N2;
    memcpy(row + k, a->demand, N2 * sizeof(double)), k += N2;
    memcpy(row + k, a->gap, N2 * sizeof(double)), k += N2;
    memcpy(row + k, a->base, N2 * sizeof(double)), k += N2;
    memcpy(row + k, a->lf, NR * sizeof(double)), k += NR;
    memcpy(row + k, a->share, NS * sizeof(double)), k += NS;
    memcpy(row + k, a->trend, NS * sizeof(double)), k += NS;
    memcpy(row + k, a->seprate, NS * sizeof(double)), k += NS;
    memcpy(row + k, a->agefac, NC * sizeof(double)), k += NC;
    memcpy(row + k, a->entry, NC * sizeof(double)), k += NC;
    memcpy(row + k, a->initshare, NC * sizeof(double)), k += NC;
    row[k++] = a->delay;
    row[k++] = a->width;
    double total = 0;
    for (int r = 0; r < NR; r++) {
        double emp = a->workforce[r][0], old = y[(r * NS) * NC + 8] + y[(r * NS) * NC + 9];
        for (int s = 1; s < NS; s++) {
            emp += a->workforce[r][s];
            old += y[(r * NS + s) * NC + 8] + y[(r * NS + s) * NC + 9];
        }
        row[k + r] = emp;
        row[k + NR + r] = old / emp;
        total = r ? total + emp : emp;
    }
    k += 2 * NR;
    row[k++] = total;
    row[k++] = 2070, row[k++] = 2020, row[k++] = 1, row[k++] = 0.25;
}

static const twin_model twins[] = {
    {1, 9, 0, 30, 0.125, 0.125, teacup_init, teacup_rhs, teacup_save, 1},
    {CHAIN, 3 * CHAIN + 6, 0, 100, 0.0625, 1, chain_init, chain_rhs, chain_save, CHAIN},
    {NR * NS * NC, AGEING_COLS, 2020, 2070, 0.25, 1, ageing_init, ageing_rhs, ageing_save, AGEING_COLS - 5},
};

typedef struct twin {
    const twin_model *tm;
    void *state; /* the model's struct */
    int adaptive;
    double check;
    size_t evals;
} twin;

static int jac_none(double t, const double y[], double *dfdy, double dfdt[], void *params)
{
    (void)t, (void)y, (void)dfdy, (void)dfdt, (void)params;
    return GSL_EBADFUNC;
}

static void run_twin(void *arg)
{
    twin *tw = arg;
    const twin_model *tm = tw->tm;
    size_t n = tm->n;
    double t0 = tm->t0, t1 = tm->t1, dt = tm->dt, saveper = tm->saveper;
    size_t nsave = (size_t)llround((t1 - t0) / saveper) + 1;
    double *rows = malloc(nsave * tm->ncols * sizeof(double));
    double *y = malloc(2 * n * sizeof(double)), *f = y + n;
    if (!rows || !y)
        exit(1);
    ((twin_hdr *)tw->state)->evals = 0;
    tm->init(tw->state, y);
    size_t saved = 0;
    if (!tw->adaptive) {
        long long steps = llround((t1 - t0) / dt), every = llround(saveper / dt);
        for (long long k = 0;; k++) {
            double t = t0 + (double)k * dt;
            tm->rhs(t, y, f, tw->state);
            if (k % every == 0)
                tm->save(tw->state, t, y, rows + saved++ * tm->ncols);
            if (k == steps)
                break;
            for (size_t i = 0; i < n; i++)
                y[i] += dt * f[i];
        }
    } else {
        gsl_odeiv2_system sys = {tm->rhs, jac_none, n, tw->state};
        double h0 = fmin(dt, (t1 - t0) / 100);
        gsl_odeiv2_driver *drv = gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rkf45, h0, 1e-6, 1e-6);
        double t = t0;
        for (size_t k = 0; k < nsave; k++) {
            double ts = t0 + (double)k * saveper;
            if (k)
                gsl_odeiv2_driver_apply(drv, &t, ts, y);
            tm->rhs(ts, y, f, tw->state);
            tm->save(tw->state, ts, y, rows + saved++ * tm->ncols);
        }
        gsl_odeiv2_driver_free(drv);
    }
    tw->check = rows[(saved - 1) * tm->ncols + tm->check_col];
    tw->evals = ((twin_hdr *)tw->state)->evals;
    free(rows);
    free(y);
}

/* ---- timing -------------------------------------------------------------------------- */

/* Alternates runs of fn[0..k) until about `budget` seconds have passed (at
 * least 7 rounds, after one warm-up round); medians of seconds per run. */
static void time_alternating(int k, void (*const fn[])(void *), void *const arg[], double budget, double out[])
{
    enum { MAXN = 4000 };
    static double x[4][MAXN];
    for (int j = 0; j < k; j++)
        fn[j](arg[j]);
    int n = 0;
    double start = now();
    while (n < MAXN && (n < 7 || now() - start < budget)) {
        for (int j = 0; j < k; j++) {
            double s = now();
            fn[j](arg[j]);
            x[j][n] = now() - s;
        }
        n++;
    }
    for (int j = 0; j < k; j++)
        out[j] = median(x[j], n);
}

/* ---- main ------------------------------------------------------------------------------ */

typedef struct bench_case {
    const char *name, *label, *path, *check_var;
    const twin_model *tm;
    size_t state_size;
} bench_case;

static const bench_case cases[] = {
    {"teacup", "teacup (1 stock)", "tests/models/teacup.mdl", "Teacup Temperature", &twins[0], sizeof(teacup)},
    {"chain50", "chain50 (50 stocks)", "models/bench/chain50.mdl", "Stage 50", &twins[1], sizeof(chain)},
    {"ageing", "ageing (1000 stocks)", "models/bench/ageing.mdl", "total employment", &twins[2], sizeof(ageing)},
};

static int profile(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench --profile CASE euler|rkf45 vm|native|twin N\n");
        return 2;
    }
    const bench_case *bc = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!strcmp(cases[i].name, argv[2]))
            bc = &cases[i];
    wd_method method = wd_method_parse(argv[3]);
    long n = atol(argv[5]);
    if (!bc || (method != WD_EULER && method != WD_RKF45)) {
        fprintf(stderr, "bench: unknown case or method\n");
        return 2;
    }
    if (!strcmp(argv[4], "twin")) {
        twin t = {bc->tm, calloc(1, bc->state_size), method == WD_RKF45, 0, 0};
        for (long i = 0; i < n; i++)
            run_twin(&t);
        printf("%.17g\n", t.check);
        free(t.state);
        return 0;
    }
    wd_diags *d = wd_diags_new();
    wd_model *m = NULL;
    wd_program *p = NULL;
    if (wd_model_load(bc->path, d, &m) != WD_OK || wd_program_compile(m, NULL, d, &p) != WD_OK) {
        wd_diags_print(d, stderr);
        return 1;
    }
    wrun w = {p, method, WD_ENGINE_VM, 0, 0, bc->check_var};
    if (!strcmp(argv[4], "native")) {
        wd_program_free(p);
        wd_compile_opts co = {0};
        co.engine = WD_ENGINE_NATIVE;
        if (wd_program_compile(m, &co, d, &p) != WD_OK) {
            wd_diags_print(d, stderr);
            return 1;
        }
        w.p = p;
        w.engine = WD_ENGINE_NATIVE;
    }
    for (long i = 0; i < n; i++)
        run_wandel(&w);
    printf("%.17g\n", w.check);
    wd_program_free(p);
    wd_model_free(m);
    wd_diags_free(d);
    return 0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc > 1 && !strcmp(argv[1], "--profile"))
        return profile(argc, argv);
    double budget = argc > 1 ? atof(argv[1]) : 1.5;
    printf("%-21s %-6s %-7s %11s %10s %11s %10s %7s\n", "model", "method", "engine", "wandel/run", "rates/s",
           "twin/run", "rates/s", "ratio");
    int status = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bench_case *bc = &cases[i];
        bool wanted = argc <= 2;
        for (int a = 2; a < argc; a++)
            wanted |= !strcmp(argv[a], bc->name);
        if (!wanted)
            continue;
        wd_diags *d = wd_diags_new();
        wd_model *m = NULL;
        wd_program *p = NULL;
        wd_compile_opts co = {0};
        co.engine = WD_ENGINE_NATIVE;
        if (wd_model_load(bc->path, d, &m) != WD_OK) {
            wd_diags_print(d, stderr);
            return 1;
        }
        bool native = wd_program_compile(m, &co, d, &p) == WD_OK;
        if (!native) {
            wd_diags_print(d, stderr);
            fprintf(stderr, "bench: no native code; timing the VM only\n");
            if (wd_program_compile(m, NULL, d, &p) != WD_OK) {
                wd_diags_print(d, stderr);
                return 1;
            }
        }
        for (int adaptive = 0; adaptive < 2; adaptive++) {
            wd_method method = adaptive ? WD_RKF45 : WD_EULER;
            twin t = {bc->tm, calloc(1, bc->state_size), adaptive, 0, 0};
            wrun w[2] = {{p, method, WD_ENGINE_VM, 0, 0, bc->check_var},
                         {p, method, WD_ENGINE_NATIVE, 0, 0, bc->check_var}};
            int nw = native ? 2 : 1;
            void (*const fns[3])(void *) = {run_twin, run_wandel, run_wandel};
            void *const args[3] = {&t, &w[0], &w[1]};
            double secs[3];
            time_alternating(1 + nw, fns, args, budget, secs);
            for (int e = 0; e < nw; e++) {
                if (!(fabs(w[e].check - t.check) <= 1e-9 * fmax(1, fabs(t.check)))) {
                    fprintf(stderr, "bench: %s %s: wandel %.17g differs from the twin %.17g\n", bc->name,
                            wd_method_name(method), w[e].check, t.check);
                    status = 1;
                }
                if (w[e].evals != t.evals) {
                    fprintf(stderr, "bench: %s %s: wandel made %zu rate evaluations, the twin %zu\n", bc->name,
                            wd_method_name(method), w[e].evals, t.evals);
                    status = 1;
                }
                if (e == 1 && memcmp(&w[0].check, &w[1].check, sizeof(double))) {
                    fprintf(stderr, "bench: %s %s: the engines differ\n", bc->name, wd_method_name(method));
                    status = 1;
                }
                printf("%-21s %-6s %-7s %8.1f us %10.3g %8.1f us %10.3g %7.2f\n", e ? "" : bc->label,
                       e ? "" : wd_method_name(method), wd_engine_name(w[e].engine), secs[1 + e] * 1e6,
                       (double)w[e].evals / secs[1 + e], secs[0] * 1e6, (double)t.evals / secs[0],
                       secs[1 + e] / secs[0]);
            }
            fflush(stdout);
            free(t.state);
        }
        wd_program_free(p);
        wd_model_free(m);
        wd_diags_free(d);
    }
    printf("ratio = wandel time per run / twin time per run: hand-written C of the same equations, method,\n"
           "steps and saved values; rates/s = rate evaluations per second\n");
    return status;
}
