/* test_calib.c: calibration (src/calib*.c) and its spec (the calibrate
 * group of src/scenario_calib.c).
 *
 * The fits recover known parameters from synthetic data made from closed
 * forms (tests/calib/make_data.py; the coverage test makes its own with
 * GSL's generator): the logistic P(t) = K / (1 + (K/P0 - 1) e^{-rt}) and
 * the chain A -> B with A = A0 e^{-k1 t}, B = A0 k1/(k2-k1) (e^{-k1 t} -
 * e^{-k2 t}). Each true value must lie in its reported 95% interval, the
 * estimate must beat the truth on the closed form's sum of squares (it is a
 * least-squares optimum), and over 40 replicate data sets the intervals must
 * cover the truth about 95% of the time with standard errors matching the
 * spread of the estimates. Files are found relative to the repository
 * root, where the tests run.
 */
#include "testutil.h"

#include "scenario.h"
#include "wandel.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAL "tests/calib/"

static struct {
    wd_calib *c;
    wd_scenario *s;
} held[8];

static wd_calib *fit_file_opts(const char *path, const wd_calib_opts *o)
{
    wd_diags *d = wd_diags_new();
    wd_scenario *s = NULL;
    wd_status st = wd_scenario_load(path, d, &s);
    if (st != WD_OK)
        fprintf(stderr, "%s", wd_diags_text(d));
    assert_int_equal(st, WD_OK);
    wd_calib *c = NULL;
    st = wd_calib_new(s, d, &c);
    if (st != WD_OK)
        fprintf(stderr, "%s", wd_diags_text(d));
    assert_int_equal(st, WD_OK);
    st = wd_calib_fit(c, o, d);
    if (st != WD_OK)
        fprintf(stderr, "%s", wd_diags_text(d));
    assert_int_equal(st, WD_OK);
    wd_diags_free(d);
    /* the scenario must outlive the calibration (see release) */
    for (int i = 0; i < 8; i++)
        if (!held[i].c) {
            held[i].c = c;
            held[i].s = s;
            return c;
        }
    fail_msg("more than 8 calibrations alive");
    return NULL;
}

static wd_calib *fit_file(const char *path, unsigned threads)
{
    wd_calib_opts o = {threads, NULL, 0, 0};
    return fit_file_opts(path, &o);
}

/* Frees a calibration and its scenario. */
static void release(wd_calib *c)
{
    for (int i = 0; i < 8; i++)
        if (held[i].c == c) {
            wd_calib_free(c);
            wd_scenario_free(held[i].s);
            held[i].c = NULL;
            held[i].s = NULL;
        }
}

static wd_calib_param_info param(const wd_calib *c, size_t i)
{
    wd_calib_param_info p;
    wd_calib_param(c, i, &p);
    return p;
}

static void assert_covers(const wd_calib_param_info *p, double truth)
{
    if (!(p->lo95 <= truth && truth <= p->hi95)) {
        print_error("%s: true value %g not in the reported 95%% interval [%g, %g]\n", p->var, truth, p->lo95,
                    p->hi95);
        fail();
    }
    printf("  %-20s true %-8g estimate %.6g  se %.3g  95%% [%.6g, %.6g]\n", p->var, truth, p->estimate, p->se,
           p->lo95, p->hi95);
}

static double logistic(double r, double K, double P0, double t) { return K / (1 + (K / P0 - 1) * exp(-r * t)); }

/* ---- recovery of known parameters ----------------------------------------------------- */

static void test_logistic_recovers_r_and_K(void **state)
{
    (void)state;
    wd_calib *c = fit_file(CAL "logistic-cal.cfg", 2);
    assert_int_equal(wd_calib_nparams(c), 2);
    wd_calib_param_info r = param(c, 0), K = param(c, 1);
    assert_string_equal(r.var, "Growth Rate");
    assert_covers(&r, 0.5);
    assert_covers(&K, 500);
    /* informative: intervals narrower than 5% of the value */
    assert_true(r.hi95 - r.lo95 < 0.05 * 0.5);
    assert_true(K.hi95 - K.lo95 < 0.05 * 500);
    assert_int_equal(r.identifiability, 0);
    assert_int_equal(K.identifiability, 0);
    assert_int_equal(r.at_bound, 0);
    /* a least-squares optimum: on the closed form, the estimate's SSR is
     * below the truth's, and the reported RMSE is the closed form's up to
     * the RK4 and interpolation error */
    wd_calib_series_info s;
    wd_calib_series(c, 0, &s);
    assert_int_equal(s.npoints, 31);
    double ssr_hat = 0, ssr_true = 0;
    for (size_t i = 0; i < s.npoints; i++) {
        double e1 = logistic(r.estimate, K.estimate, 10, s.times[i]) - s.observed[i];
        double e0 = logistic(0.5, 500, 10, s.times[i]) - s.observed[i];
        ssr_hat += e1 * e1;
        ssr_true += e0 * e0;
        double exact = logistic(r.estimate, K.estimate, 10, s.times[i]);
        if (s.times[i] == floor(s.times[i])) {
            assert_close(s.fitted[i], exact, 1e-5, 1e-4); /* on the save grid: RK4's error only */
        } else {
            /* 12.3 lies between TIME STEPs (0.125): linear interpolation, whose
             * error is at most dt^2/8 max|P''| on the step around it, with
             * P'' = r^2 P (1 - P/K) (1 - 2P/K) */
            double bound = 0, dt = 0.125;
            for (double t = floor(s.times[i] / dt) * dt; t <= ceil(s.times[i] / dt) * dt; t += dt / 64) {
                double P = logistic(r.estimate, K.estimate, 10, t), x = P / K.estimate;
                bound = fmax(bound, fabs(r.estimate * r.estimate * P * (1 - x) * (1 - 2 * x)));
            }
            bound *= dt * dt / 8;
            printf("  t = %g: interpolated %.6f, closed form %.6f, error %.3g <= bound %.3g\n", s.times[i],
                   s.fitted[i], exact, fabs(s.fitted[i] - exact), bound);
            assert_true(fabs(s.fitted[i] - exact) <= bound * 1.01 + 1e-4);
            assert_true(fabs(s.fitted[i] - exact) > 1e-4); /* and really interpolated */
        }
    }
    assert_true(ssr_hat < ssr_true);
    assert_close(s.rmse, sqrt(ssr_hat / (double)s.npoints), 1e-4, 0);
    /* s^2 = SSR/(n-p) with the t quantile of 29 degrees of freedom */
    wd_calib_summary sm;
    wd_calib_summary_get(c, &sm);
    assert_close(sm.s2, sm.ssr / 29, 1e-12, 0);
    assert_close(sm.tq, 2.045229642, 1e-8, 0); /* t(0.975; 29), statistical tables */
    assert_close(r.hi95 - r.estimate, sm.tq * r.se, 1e-12, 0);
    /* correlation matrix: symmetric, unit diagonal, within [-1, 1] */
    assert_close(wd_calib_correlation(c, 0, 0), 1, 1e-12, 0);
    assert_close(wd_calib_correlation(c, 0, 1), wd_calib_correlation(c, 1, 0), 1e-12, 0);
    assert_true(fabs(wd_calib_correlation(c, 0, 1)) < 1);
    release(c);
}

static void test_twostock_recovers_k1_and_k2(void **state)
{
    (void)state;
    wd_calib *c = fit_file(CAL "twostock-cal.cfg", 2);
    wd_calib_param_info k1 = param(c, 0), k2 = param(c, 1);
    assert_covers(&k1, 0.3);
    assert_covers(&k2, 0.12);
    assert_true(k1.hi95 - k1.lo95 < 0.05 * 0.3);
    assert_true(k2.hi95 - k2.lo95 < 0.05 * 0.12);
    assert_int_equal(wd_calib_nseries(c), 2);
    wd_calib_series_info a, b;
    wd_calib_series(c, 0, &a);
    wd_calib_series(c, 1, &b);
    assert_int_equal(a.npoints, 41);
    assert_int_equal(b.npoints, 41);
    /* each series divided by its noise level (10 and 5): the RMSEs are near them */
    assert_true(a.rmse > 7 && a.rmse < 13);
    assert_true(b.rmse > 3.5 && b.rmse < 6.5);
    for (size_t i = 0; i < b.npoints; i++) {
        double t = b.times[i], x1 = k1.estimate, x2 = k2.estimate;
        assert_close(b.fitted[i], 1000 * x1 / (x2 - x1) * (exp(-x1 * t) - exp(-x2 * t)), 1e-5, 1e-3);
    }
    release(c);
}

/* 40 replicate data sets: coverage of the 95% intervals and the standard
 * error against the spread of the estimates. */
static void test_interval_coverage(void **state)
{
    (void)state;
    char dir[] = "/tmp/wandel-cal-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char csv[300], cfg[300], mdl[4096];
    snprintf(csv, sizeof csv, "%s/obs.csv", dir);
    snprintf(cfg, sizeof cfg, "%s/cal.cfg", dir);
    assert_non_null(realpath(CAL "logistic.mdl", mdl));
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "model = \"%s\";\nsolver = { method = \"rk4\"; };\n"
            "calibrate = {\n  params = ( { var = \"Growth Rate\"; min = 0.05; max = 2.0; start = 0.3; },\n"
            "             { var = \"Carrying Capacity\"; min = 100.0; max = 2000.0; start = 800.0; } );\n"
            "  data = ( { file = \"obs.csv\"; format = \"wide\"; column = \"P\"; var = \"Population\"; "
            "scale = \"absolute\"; } );\n};\n",
            mdl);
    fclose(f);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    enum { REPS = 40 };
    int cover_r = 0, cover_K = 0;
    double est_r[REPS], est_K[REPS], se_r = 0, se_K = 0;
    for (int k = 0; k < REPS; k++) {
        f = fopen(csv, "w");
        assert_non_null(f);
        fprintf(f, "year,P,source\n");
        for (int t = 1; t <= 25; t++)
            fprintf(f, "%d,%.10g,synthetic\n", t, logistic(0.5, 500, 10, t) + gsl_ran_gaussian(rng, 8.0));
        fclose(f);
        wd_calib *c = fit_file(cfg, 1);
        wd_calib_param_info r = param(c, 0), K = param(c, 1);
        cover_r += r.lo95 <= 0.5 && 0.5 <= r.hi95;
        cover_K += K.lo95 <= 500 && 500 <= K.hi95;
        est_r[k] = r.estimate;
        est_K[k] = K.estimate;
        se_r += r.se / REPS;
        se_K += K.se / REPS;
        release(c);
    }
    gsl_rng_free(rng);
    unlink(csv);
    unlink(cfg);
    rmdir(dir);
    double mr = 0, mK = 0, sr = 0, sK = 0;
    for (int k = 0; k < REPS; k++) {
        mr += est_r[k] / REPS;
        mK += est_K[k] / REPS;
    }
    for (int k = 0; k < REPS; k++) {
        sr += (est_r[k] - mr) * (est_r[k] - mr) / (REPS - 1);
        sK += (est_K[k] - mK) * (est_K[k] - mK) / (REPS - 1);
    }
    sr = sqrt(sr);
    sK = sqrt(sK);
    printf("  coverage of 95%% intervals over %d data sets: r %d, K %d\n", REPS, cover_r, cover_K);
    printf("  mean reported se / spread of estimates: r %.4g / %.4g, K %.4g / %.4g\n", se_r, sr, se_K, sK);
    /* binomial(40, 0.95): 34 or more with probability 0.986 */
    assert_true(cover_r >= 34);
    assert_true(cover_K >= 34);
    /* the spread of 40 estimates is known to about 11%: allow 0.7 .. 1.4 */
    assert_true(se_r / sr > 0.7 && se_r / sr < 1.4);
    assert_true(se_K / sK > 0.7 && se_K / sK < 1.4);
}

/* ---- identifiability, bounds, threads ------------------------------------------------- */

static void test_unidentifiable_parameters_are_reported(void **state)
{
    (void)state;
    wd_calib *c = fit_file(CAL "unident-cal.cfg", 2);
    wd_calib_param_info r = param(c, 0), e = param(c, 1), K = param(c, 2), u = param(c, 3);
    /* only the product Growth Rate * Effect Scale reaches the data */
    assert_int_not_equal(r.identifiability, 0);
    assert_int_not_equal(e.identifiability, 0);
    assert_non_null(r.why);
    assert_close(r.estimate * e.estimate, 0.5, 0.03, 0);
    /* Unused Constant reaches nothing */
    assert_int_equal(u.identifiability, 2);
    assert_true(isinf(u.se));
    assert_contains(u.why, "do not depend on it");
    /* K is still identified */
    assert_int_equal(K.identifiability, 0);
    assert_covers(&K, 500);
    release(c);
}

static void test_bounds_are_respected(void **state)
{
    (void)state;
    wd_calib *c = fit_file(CAL "bound-cal.cfg", 1);
    wd_calib_param_info r = param(c, 0), K = param(c, 1);
    assert_true(K.estimate <= K.max && K.estimate >= K.min);
    assert_close(K.estimate, 400, 1e-6, 0);
    assert_int_equal(K.at_bound, 1);
    assert_int_equal(r.at_bound, 0);
    assert_true(r.estimate >= r.min && r.estimate <= r.max);
    release(c);
}

static void test_threads_give_identical_results(void **state)
{
    (void)state;
    wd_calib *a = fit_file(CAL "twostock-cal.cfg", 1), *b = fit_file(CAL "twostock-cal.cfg", 3);
    for (size_t j = 0; j < 2; j++) {
        wd_calib_param_info pa = param(a, j), pb = param(b, j);
        assert_true(pa.estimate == pb.estimate);
        assert_true(pa.se == pb.se);
    }
    release(a);
    release(b);
}

/* The fitted layer reads back as a scenario layer and sets exactly the
 * estimates. */
static void test_layer_round_trip(void **state)
{
    (void)state;
    wd_calib *c = fit_file(CAL "logistic-cal.cfg", 1);
    const char *layer = CAL "fitted-roundtrip.cfg", *top = CAL "use-roundtrip.cfg";
    wd_diags *d = wd_diags_new();
    assert_int_equal(wd_calib_write_layer(c, layer, d), WD_OK);
    FILE *f = fopen(top, "w");
    assert_non_null(f);
    fprintf(f, "extends = [\"logistic-cal.cfg\", \"fitted-roundtrip.cfg\"];\n");
    fclose(f);
    wd_scenario *s = NULL;
    wd_status st = wd_scenario_load(top, d, &s);
    if (st != WD_OK)
        fprintf(stderr, "%s", wd_diags_text(d));
    assert_int_equal(st, WD_OK);
    wd_model *m = NULL;
    wd_program *p = NULL;
    wd_run *r = NULL;
    wd_run_opts o;
    wd_run_opts_init(&o);
    assert_int_equal(wd_scenario_prepare(s, d, &m, &p, &r, &o), WD_OK);
    assert_int_equal(wd_run_exec(r, &o, d), WD_OK);
    assert_true(wd_run_value(r, 0, wd_run_col_find(r, "Growth Rate")) == param(c, 0).estimate);
    assert_true(wd_run_value(r, 0, wd_run_col_find(r, "Carrying Capacity")) == param(c, 1).estimate);
    /* the comments record the data and residuals */
    char *text = NULL;
    size_t len = 0;
    f = fopen(layer, "r");
    assert_non_null(f);
    assert_int_equal(getdelim(&text, &len, 0, f) > 0, 1);
    fclose(f);
    assert_contains(text, "# series 1: Population -> 'Population'");
    assert_contains(text, "residual");
    assert_contains(text, "{ var = \"Growth Rate\"; value = ");
    free(text);
    unlink(layer);
    unlink(top);
    wd_run_free(r);
    wd_program_free(p);
    wd_model_free(m);
    wd_scenario_free(s);
    wd_diags_free(d);
    release(c);
}

/* ---- bad specs -------------------------------------------------------------------------- */

/* Loads and sets up path; expects failure with each needle in the messages. */
static void expect_bad(const char *path, const char *needle1, const char *needle2)
{
    wd_diags *d = wd_diags_new();
    wd_scenario *s = NULL;
    wd_calib *c = NULL;
    wd_status st = wd_scenario_load(path, d, &s);
    if (st == WD_OK)
        st = wd_calib_new(s, d, &c);
    assert_int_not_equal(st, WD_OK);
    assert_null(c);
    const char *text = wd_diags_text(d);
    assert_contains(text, needle1);
    if (needle2)
        assert_contains(text, needle2);
    wd_scenario_free(s);
    wd_diags_free(d);
}

/* The options override the spec's starts and iterations; no iterations
 * evaluate the first start point itself (exactly, not moved off a bound). */
static void test_options_override_starts_and_iterations(void **state)
{
    (void)state;
    wd_calib_opts o = {1, NULL, 1, -1};
    wd_calib *c = fit_file_opts(CAL "logistic-cal.cfg", &o);
    wd_calib_summary sm;
    wd_calib_summary_get(c, &sm);
    assert_int_equal(sm.nstarts, 1); /* the spec has 4 */
    wd_calib_param_info r = param(c, 0), K = param(c, 1);
    assert_true(r.estimate == 0.2);                   /* the spec's start */
    assert_true(K.estimate == 0.5 * (50.0 + 5000.0)); /* the middle of the range */
    assert_true(isfinite(r.se) && r.se > 0);
    /* far from the optimum: its SSR is far above the fitted one */
    wd_calib_opts full = {1, NULL, 1, 0};
    wd_calib *f = fit_file_opts(CAL "logistic-cal.cfg", &full);
    wd_calib_summary fs;
    wd_calib_summary_get(f, &fs);
    assert_true(sm.ssr > 100 * fs.ssr);
    release(f);
    release(c);
    /* a start on a bound stays there when nothing is iterated */
    wd_calib_opts none = {1, NULL, 0, -1};
    c = fit_file_opts(CAL "onbound-cal.cfg", &none);
    K = param(c, 1);
    assert_true(K.estimate == 400.0);
    assert_int_equal(K.at_bound, 1);
    release(c);
}

/* A computed variable that the scenario sets is one input for the fit (it
 * was two, and the second never got a value). */
static void test_fitted_variable_also_set_by_the_scenario(void **state)
{
    (void)state;
    wd_calib *c = fit_file(CAL "setparam-cal.cfg", 1);
    wd_calib_param_info r = param(c, 0), K = param(c, 1);
    assert_string_equal(r.var, "Scaled Rate");
    assert_covers(&r, 0.5);
    assert_covers(&K, 500);
    release(c);
}

static void test_bad_specs_name_file_and_line(void **state)
{
    (void)state;
    expect_bad(CAL "bad/unknown-param.cfg", CAL "bad/unknown-param.cfg:3: error:", "did you mean 'Growth Rate'");
    expect_bad(CAL "bad/unknown-data-var.cfg", CAL "bad/unknown-data-var.cfg:5: error:", "unknown variable 'Populaton'");
    expect_bad(CAL "bad/no-rows.cfg", CAL "bad/no-rows.cfg:5: error:", "no row of logistic.csv matches");
    expect_bad(CAL "bad/min-max.cfg", CAL "bad/min-max.cfg:5: error:", "min = 900 must be below max = 100");
    expect_bad(CAL "bad/outside-time.cfg", CAL "bad/outside-time.cfg:6: error:", "outside the run's time 0 to 20");
}

/* Spec errors found while reading the scenario, each at its line. */
static void test_spec_errors(void **state)
{
    (void)state;
    const char *csv = wd_test_tmpfile(".csv", "year,v\n1,2\n2,3\n3,4\n");
    assert_non_null(csv);
    char text[2000];
    snprintf(text, sizeof text,
             "calibrate = {\n"                                                          /* 1 */
             "  params = ( { var = \"a\"; min = 0.0; max = 1.0; start = 2.0; },\n"     /* 2 */
             "             { var = \"b\"; min = 0.0; },\n"                             /* 3 */
             "             { var = \"c\"; min = 0.0; max = 1.0; stat = 0.5; } );\n"    /* 4 */
             "  data = ( { file = \"%s\"; var = \"x\"; scale = \"relatve\"; },\n"       /* 5 */
             "           { file = \"%s\"; var = \"x\"; weight = 0.0; },\n"             /* 6 */
             "           { file = \"%s\"; var = \"x\"; format = \"wide\"; },\n"        /* 7 */
             "           { file = \"nothere.csv\"; var = \"x\"; } );\n"                /* 8 */
             "  starts = 0;\n"                                                          /* 9 */
             "};\n",
             csv, csv, csv);
    const char *cfg = wd_test_tmpfile(".cfg", text);
    wd_diags *d = wd_diags_new();
    wd_scenario *s = NULL;
    assert_int_not_equal(wd_scenario_load(cfg, d, &s), WD_OK);
    const char *t = wd_diags_text(d);
    char want[600];
#define WANT(line, msg)                                          \
    do {                                                         \
        snprintf(want, sizeof want, "%s:%d: error: %s", cfg, line, msg); \
        assert_contains(t, want);                                \
    } while (0)
    WANT(2, "calibrate parameter 'a': start = 2 is outside [min, max] = [0, 1]");
    WANT(3, "calibrate parameter 'b': needs both min and max");
    WANT(4, "calibrate parameter 'c': unknown setting 'stat' (did you mean 'start'?)");
    WANT(5, "calibrate.data entry 1: scale must be \"relative\", \"absolute\", \"pointwise\" or a number > 0");
    WANT(6, "calibrate.data entry 2: weight must be > 0");
    WANT(7, "calibrate.data entry 3: format \"wide\" needs column");
    WANT(8, "no such file 'nothere.csv'");
    WANT(9, "calibrate.starts must be a whole number from 1 to 100000");
#undef WANT
    wd_diags_free(d);
    unlink(cfg);
    unlink(csv);
}

/* Layers: params merge by variable (later wins), data is replaced whole,
 * defaults apply to the entries of their own group. */
static void test_spec_layers_and_defaults(void **state)
{
    (void)state;
    char dir[] = "/tmp/wandel-cal-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p1[300], p2[300], p3[300];
    snprintf(p1, sizeof p1, "%s/obs.csv", dir);
    snprintf(p2, sizeof p2, "%s/base.cfg", dir);
    snprintf(p3, sizeof p3, "%s/top.cfg", dir);
    FILE *f = fopen(p1, "w");
    fputs("region,variable,year,value\nR,x,1,2\n", f);
    fclose(f);
    f = fopen(p2, "w");
    fputs("calibrate = {\n"
          "  params = ( { var = \"a\"; min = 0.0; max = 1.0; }, { var = \"b\"; min = 0.0; max = 2.0; } );\n"
          "  data = ( { file = \"obs.csv\"; var = \"old\"; } );\n"
          "  starts = 3;\n};\n",
          f);
    fclose(f);
    f = fopen(p3, "w");
    fputs("extends = \"base.cfg\";\n"
          "calibrate = {\n"
          "  params = ( { var = \"B\"; min = 0.5; max = 3.0; start = 1.0; }, { var = \"c\"; min = -1.0; max = 1.0; } );\n"
          "  defaults = { file = \"obs.csv\"; format = \"long\"; match = { region = \"R\"; }; scale = 2.5; };\n"
          "  data = ( { var = \"jobs[Ruhr,Mining]\"; match = { variable = [\"x\", \"y\"]; }; weight = 4.0; },\n"
          "           { var = \"pop\"; match = { region = \"S\"; }; scale = \"absolute\"; factor = 1000.0; "
          "time_offset = 0.5; from = 1960.0; to = 2000.0; name = \"Population\"; } );\n"
          "};\n",
          f);
    fclose(f);
    wd_diags *d = wd_diags_new();
    wd_scenario *s = NULL;
    wd_status st = wd_scenario_load(p3, d, &s);
    if (st != WD_OK)
        fprintf(stderr, "%s", wd_diags_text(d));
    assert_int_equal(st, WD_OK);
    const scn_calib *c = s->calib;
    assert_non_null(c);
    assert_int_equal(c->nparams, 3);
    assert_string_equal(c->params[0].var, "a");
    assert_string_equal(c->params[1].var, "B"); /* replaced b in place */
    assert_close(c->params[1].min, 0.5, 0, 0);
    assert_close(c->params[1].start, 1.0, 0, 0);
    assert_true(isnan(c->params[0].start));
    assert_string_equal(c->params[2].var, "c");
    assert_int_equal(c->params[2].src.line, 3);
    assert_int_equal(c->starts, 3);
    assert_int_equal(c->ndata, 2);
    const scn_data *d0 = &c->data[0], *d1 = &c->data[1];
    assert_string_equal(d0->var, "jobs[Ruhr,Mining]");
    assert_string_equal(d0->file, p1);
    assert_int_equal(d0->nmatch, 2);
    assert_string_equal(d0->match[0].column, "region");
    assert_string_equal(d0->match[1].column, "variable");
    assert_int_equal(d0->match[1].nvalues, 2);
    assert_int_equal(d0->scale, SCN_SCALE_NUMBER);
    assert_close(d0->scale_value, 2.5, 0, 0);
    assert_close(d0->weight, 4, 0, 0);
    assert_int_equal(d0->src.line, 5);
    assert_int_equal(d1->nmatch, 1);
    assert_string_equal(d1->match[0].values[0], "S"); /* the entry's match replaces the default's value */
    assert_int_equal(d1->scale, SCN_SCALE_ABSOLUTE);
    assert_close(d1->factor, 1000, 0, 0);
    assert_close(d1->time_offset, 0.5, 0, 0);
    assert_close(d1->from, 1960, 0, 0);
    assert_close(d1->to, 2000, 0, 0);
    assert_string_equal(d1->label, "Population");
    wd_scenario_free(s);
    wd_diags_free(d);
    unlink(p1);
    unlink(p2);
    unlink(p3);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic_recovers_r_and_K),
        cmocka_unit_test(test_twostock_recovers_k1_and_k2),
        cmocka_unit_test(test_interval_coverage),
        cmocka_unit_test(test_unidentifiable_parameters_are_reported),
        cmocka_unit_test(test_bounds_are_respected),
        cmocka_unit_test(test_threads_give_identical_results),
        cmocka_unit_test(test_layer_round_trip),
        cmocka_unit_test(test_options_override_starts_and_iterations),
        cmocka_unit_test(test_fitted_variable_also_set_by_the_scenario),
        cmocka_unit_test(test_bad_specs_name_file_and_line),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_spec_layers_and_defaults),
    };
    return cmocka_run_group_tests_name("calib", tests, NULL, NULL);
}
