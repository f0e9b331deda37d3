/* test_functions.c: the random functions (repeatability from the seed, and
 * the mean and variance of many draws against the distributions' closed
 * forms), DELAY FIXED under adaptive methods (from the input's history),
 * and the functions the conformance suite does not reach: VECTOR ELM MAP,
 * LOOKUP AREA, GET TIME VALUE, VECTOR SELECT's actions on a small case. */
#include "testutil.h"

#include "util.h"
#include "wandel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct sim {
    wd_diags *d;
    wd_model *m;
    wd_program *p;
    wd_run *r;
} sim;

static void sim_free(sim *s)
{
    wd_run_free(s->r);
    wd_program_free(s->p);
    wd_model_free(s->m);
    wd_diags_free(s->d);
}

static void sim_run(sim *s, const char *text, wd_method method, unsigned long seed)
{
    memset(s, 0, sizeof *s);
    s->d = wd_diags_new();
    if (wd_model_from_string(text, "f.mdl", s->d, &s->m) != WD_OK ||
        wd_program_compile(s->m, NULL, s->d, &s->p) != WD_OK || wd_run_new(s->p, &s->r) != WD_OK)
        fail_msg("%s", wd_diags_text(s->d));
    wd_run_opts o;
    wd_run_opts_init(&o);
    o.method = method;
    o.seed = seed;
    o.rtol = o.atol = 1e-9;
    if (wd_run_exec(s->r, &o, s->d) != WD_OK)
        fail_msg("%s", wd_diags_text(s->d));
}

static double val(const sim *s, size_t save, const char *name)
{
    size_t c = wd_run_col_find(s->r, name);
    if (c == (size_t)-1)
        fail_msg("no column %s", name);
    return wd_run_value(s->r, save, c);
}

/* ---- random ---------------------------------------------------------------------- */

/* Mean and variance of the draws of x[i] over all elements and saved times. */
static void moments(const sim *s, size_t n, double *mean, double *var, double *lo, double *hi)
{
    double sum = 0, sum2 = 0;
    size_t cnt = 0;
    *lo = INFINITY, *hi = -INFINITY;
    char name[64];
    for (size_t t = 0; t < wd_run_nsaved(s->r); t++)
        for (size_t i = 1; i <= n; i++) {
            snprintf(name, sizeof name, "x[i%zu]", i);
            double v = val(s, t, name);
            sum += v, sum2 += v * v, cnt++;
            *lo = fmin(*lo, v), *hi = fmax(*hi, v);
        }
    *mean = sum / (double)cnt;
    *var = sum2 / (double)cnt - *mean * *mean;
}

/* Draws 2000 elements x 11 times = 22,000 values. The tolerances are five
 * standard errors: of the mean sqrt(var/N), of the variance about
 * var * sqrt((kurtosis - 1) / N), bounded here by var * 0.05. */
static void check_dist(const char *call, double mean, double var, double lo, double hi)
{
    char text[1024];
    snprintf(text, sizeof text,
             "i: (i1-i2000) ~~|\nx[i] = %s ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 10 ~~|\nTIME STEP = 1 ~~|\n", call);
    sim s;
    sim_run(&s, text, WD_EULER, 12345);
    double m, v, mn, mx;
    moments(&s, 2000, &m, &v, &mn, &mx);
    double n = 22000;
    if (fabs(m - mean) > 5 * sqrt(var / n) || fabs(v - var) > 0.05 * var || mn < lo || mx > hi)
        fail_msg("%s: mean %g (want %g), variance %g (want %g), range [%g, %g] (allowed [%g, %g])", call, m, mean, v,
                 var, mn, mx, lo, hi);
    sim_free(&s);
}

static void test_random_distributions(void **state)
{
    (void)state;
    check_dist("RANDOM UNIFORM(2, 5, 0)", 3.5, 9.0 / 12, 2, 5);
    check_dist("RANDOM 0 1()", 0.5, 1.0 / 12, 0, 1);
    check_dist("RANDOM NORMAL(-100, 100, 3, 2, 0)", 3, 4, -100, 100);
    check_dist("RANDOM EXPONENTIAL(0, 1000, 1, 2, 0)", 3, 4, 1, 1000);
    check_dist("RANDOM POISSON(0, 1000, 4, 0, 1, 0)", 4, 4, 0, 1000);
    check_dist("RANDOM GAMMA(0, 1000, 3, 0, 1, 0)", 3, 3, 0, 1000);
    /* Weibull of shape 2 scaled to mean 1: variance Gamma(2)/Gamma(1.5)^2 - 1 */
    check_dist("RANDOM WEIBULL(0, 1000, 2, 0, 1, 0)", 1, 4 / M_PI - 1, 0, 1000);
    check_dist("RANDOM BETA(0, 1, 2, 3, 0, 1, 0)", 0.4, 6.0 / (25 * 6), 0, 1);
    check_dist("RANDOM BINOMIAL(0, 10, 0.3, 10, 0, 1, 0)", 3, 2.1, 0, 10);
    /* trials to 3 successes of p = 0.5: mean 3/p, variance 3(1-p)/p^2 */
    check_dist("RANDOM NEGATIVE BINOMIAL(0, 1000, 0.5, 3, 0, 1, 0)", 6, 6, 3, 1000);
    /* triangular on [0, 2] with peak 1: variance (a^2+b^2+c^2-ab-ac-bc)/18 */
    check_dist("RANDOM TRIANGULAR(0, 2, 0, 1, 2, 0)", 1, 1.0 / 6, 0, 2);
}

/* Truncation draws again: a normal truncated to [-1, 1] stays inside, and
 * its variance is that of the truncated distribution (1 - 2 phi(1) /
 * (2 Phi(1) - 1) = 0.2911). */
static void test_random_truncation(void **state)
{
    (void)state;
    double phi1 = exp(-0.5) / sqrt(2 * M_PI), Phi1 = 0.5 * erfc(-1 / M_SQRT2);
    check_dist("RANDOM NORMAL(-1, 1, 0, 1, 0)", 0, 1 - 2 * phi1 / (2 * Phi1 - 1), -1, 1);
}

static void test_random_repeatable(void **state)
{
    (void)state;
    const char *text = "i: (i1-i50) ~~|\nx[i] = RANDOM NORMAL(-5, 5, 0, 1, 0) + RANDOM UNIFORM(0, 1, 0) ~~|\n"
                       "s[i] = INTEG(x[i], 0) ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 20 ~~|\nTIME STEP = 0.5 ~~|\n";
    sim a, b, c;
    sim_run(&a, text, WD_EULER, 42);
    sim_run(&b, text, WD_EULER, 42);
    sim_run(&c, text, WD_EULER, 43);
    size_t same = 0, differ = 0;
    for (size_t t = 0; t < wd_run_nsaved(a.r); t++)
        for (size_t k = 0; k < wd_run_ncols(a.r); k++) {
            double x = wd_run_value(a.r, t, k);
            same += memcmp(&x, &(double){wd_run_value(b.r, t, k)}, sizeof x) == 0;
            differ += x != wd_run_value(c.r, t, k);
        }
    size_t cells = wd_run_nsaved(a.r) * wd_run_ncols(a.r);
    assert_int_equal(same, cells);         /* bit for bit */
    assert_true(differ > cells * 9 / 10); /* all but the constant columns */
    /* a run object run again from the same seed repeats itself */
    wd_run_opts o;
    wd_run_opts_init(&o);
    o.method = WD_EULER;
    o.seed = 42;
    double before = wd_run_value(a.r, 7, 3);
    assert_int_equal(wd_run_exec(a.r, &o, a.d), WD_OK);
    assert_true(before == wd_run_value(a.r, 7, 3));
    sim_free(&a);
    sim_free(&b);
    sim_free(&c);
}

/* ---- DELAY FIXED under adaptive methods ---------------------------------------------- */

/* The input Time delayed by 2.5 (not a whole number of steps): with an
 * adaptive method the output is the input's history at t - 2.5, exactly t -
 * 2.5 for a linear input; with fixed steps the delay rounds to whole steps
 * (3 steps of 1). */
static void test_delay_fixed_history(void **state)
{
    (void)state;
    const char *text = "input = Time ~~|\nout = DELAY FIXED(input, 2.5, -1) ~~|\n"
                       "INITIAL TIME = 0 ~~|\nFINAL TIME = 10 ~~|\nTIME STEP = 1 ~~|\n";
    sim a, e;
    sim_run(&a, text, WD_RKF45, 0);
    sim_run(&e, text, WD_EULER, 0);
    for (size_t t = 0; t <= 10; t++) {
        double want = t < 2.5 ? -1 : (double)t - 2.5;
        assert_close(val(&a, t, "out"), want, 1e-12, 1e-12);
        assert_close(val(&e, t, "out"), t < 3 ? -1 : (double)t - 3, 0, 0);
    }
    sim_free(&a);
    sim_free(&e);
    /* a smooth input between grid points: a sine delayed by 2 under rk8pd,
     * read at the save points, equals sin(t - 2) */
    sim s;
    sim_run(&s,
            "out = DELAY FIXED(SIN(Time), 2, 0) ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 20 ~~|\n"
            "TIME STEP = 0.25 ~~|\nSAVEPER = 1 ~~|\n",
            WD_RK8PD, 0);
    for (size_t t = 2; t <= 20; t++)
        assert_close(val(&s, t, "out"), sin((double)t - 2), 0, 1e-12);
    sim_free(&s);
}

/* ---- vector functions ------------------------------------------------------------------- */

static void test_vector_elm_map(void **state)
{
    (void)state;
    /* the manual's aging chain: each stage takes the previous one's value;
     * an offset outside the variable gives :NA: */
    sim s;
    sim_run(&s,
            "stage: (s1-s4) ~~|\nv[stage] = 10, 20, 30, 40 ~~|\n"
            "prev[stage] = IF THEN ELSE(stage = s1, 0, VECTOR ELM MAP(v[stage], -1)) ~~|\n"
            "same[stage] = VECTOR ELM MAP(v[s1], stage - 1) ~~|\n"
            "out = VECTOR ELM MAP(v[s4], 1) ~~|\n"
            "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n",
            WD_EULER, 0);
    assert_close(val(&s, 0, "prev[s1]"), 0, 0, 0);
    assert_close(val(&s, 0, "prev[s3]"), 20, 0, 0);
    assert_close(val(&s, 0, "same[s4]"), 40, 0, 0);
    assert_true(val(&s, 0, "out") == WD_NA);
    sim_free(&s);
}

static void test_lookup_area_and_time_value(void **state)
{
    (void)state;
    /* area under (0,0)-(2,2)-(4,2): from 1 to 3 is 1.5 + 2; beyond the
     * table the end values hold */
    sim s;
    sim_run(&s,
            "tbl((0,0),(2,2),(4,2)) ~~|\na = LOOKUP AREA(tbl, 1, 3) ~~|\nb = LOOKUP AREA(tbl, 3, 6) ~~|\n"
            "c = LOOKUP AREA(tbl, -1, 0) ~~|\n"
            "g0 = GET TIME VALUE(0, 0.5, 0) ~~|\ng1 = GET TIME VALUE(1, 2, 0) ~~|\n"
            "INITIAL TIME = 3 ~~|\nFINAL TIME = 5 ~~|\nTIME STEP = 1 ~~|\n",
            WD_EULER, 0);
    assert_close(val(&s, 0, "a"), 3.5, 1e-15, 0);
    assert_close(val(&s, 0, "b"), 6, 1e-15, 0);
    assert_close(val(&s, 0, "c"), 0, 0, 0);
    assert_close(val(&s, 2, "g0"), 5.5, 0, 0);
    assert_close(val(&s, 2, "g1"), 5, 0, 0);
    sim_free(&s);
}

static void test_vector_select_actions(void **state)
{
    (void)state;
    /* selection 1, 0, 2 over values 3, 5, 4 */
    sim s;
    sim_run(&s,
            "d: (a1-a3) ~~|\nsel[d] = 1, 0, 2 ~~|\nx[d] = 3, 5, 4 ~~|\nk: (k0-k10) ~~|\n"
            "r[k] = VECTOR SELECT(sel[d!], x[d!], -1, k - 1, 0) ~~|\n"
            "none = VECTOR SELECT(sel[d!] * 0, x[d!], -7, 0, 0) ~~|\n"
            "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n",
            WD_EULER, 0);
    const double want[11] = {3 + 8,     3 * 8, 3,      8,     (3 + 8) / 2.0, 3 * 16, /* weighted; 5: x^sel */
                             3 + 4,     3 * 4, 3,      4,     3.5};
    char name[32];
    for (int k = 0; k <= 10; k++) {
        snprintf(name, sizeof name, "r[k%d]", k);
        assert_close(val(&s, 0, name), want[k], 1e-15, 0);
    }
    assert_close(val(&s, 0, "none"), -7, 0, 0);
    sim_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_distributions),
        cmocka_unit_test(test_random_truncation),
        cmocka_unit_test(test_random_repeatable),
        cmocka_unit_test(test_delay_fixed_history),
        cmocka_unit_test(test_vector_elm_map),
        cmocka_unit_test(test_lookup_area_and_time_value),
        cmocka_unit_test(test_vector_select_actions),
    };
    return cmocka_run_group_tests_name("functions", tests, NULL, NULL);
}
