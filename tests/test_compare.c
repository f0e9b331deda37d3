/* test_compare.c: comparisons. The resilience formulas against hand-computed
 * cases, the indicator arithmetic, ranks, regrets and minimax regret against
 * a textbook table, a comparison of the stand-in model whose resilience
 * numbers follow in closed form from its equations (tests/compare/small.cfg),
 * a shock of size zero, the completeness of the matrix, the same results on
 * one and two threads, and bad comparison files reported with file and line.
 */
#include "testutil.h"

#include "compare.h"
#include "util.h"
#include "wandel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- indicator arithmetic ------------------------------------------------------- */

static void test_stats(void **state)
{
    (void)state;
    const double t[] = {2025, 2026, 2027, 2028};
    const double x[] = {10, 12, 16, 16};
    assert_close(cmp_value_at(4, t, x, 2026), 12, 0, 0);
    assert_close(cmp_value_at(4, t, x, 2026.25), 13, 1e-12, 0); /* 12 + 0.25 * 4 */
    assert_close(cmp_value_at(4, t, x, 2028), 16, 0, 0);
    assert_true(isnan(cmp_value_at(4, t, x, 2028.5)));
    assert_true(isnan(cmp_value_at(4, t, x, 2024)));
    assert_close(cmp_change_pct(4, t, x, 2027), 60, 1e-12, 0); /* (16 - 10) / 10 */
    /* trapezoids: (10+12)/2 + (12+16)/2 = 25; half of the third: (16+16)/2*0.5 = 8 */
    assert_close(cmp_cumulative(4, t, x, 2027), 25, 1e-12, 0);
    assert_close(cmp_cumulative(4, t, x, 2027.5), 33, 1e-12, 0);
    assert_close(cmp_cumulative(4, t, x, 2025), 0, 0, 0);
    /* half of the first interval: (10 + 11) / 2 * 0.5 */
    assert_close(cmp_cumulative(4, t, x, 2025.5), 5.25, 1e-12, 0);
    const double z[] = {0, 1, 2, 3};
    assert_true(isnan(cmp_change_pct(4, t, z, 2027)));
}

static void test_rank_regret(void **state)
{
    (void)state;
    double g[] = {3, 1, 3, NAN}, rank[4], regret[4];
    cmp_rank(4, g, rank);
    assert_close(rank[0], 1, 0, 0);
    assert_close(rank[1], 3, 0, 0);
    assert_close(rank[2], 1, 0, 0);
    assert_close(rank[3], 4, 0, 0);
    cmp_regret(4, g, regret);
    assert_close(regret[0], 0, 0, 0);
    assert_close(regret[1], 2, 0, 0);
    assert_close(regret[2], 0, 0, 0);
    assert_true(isnan(regret[3]));
    /* a run that never recovers: recovery -inf in the better direction */
    double h[] = {-INFINITY, -2}, r2[2];
    cmp_regret(2, h, r2);
    assert_true(isinf(r2[0]) && r2[0] > 0);
    assert_close(r2[1], 0, 0, 0);
    double all[] = {-INFINITY, -INFINITY};
    cmp_regret(2, all, r2);
    assert_close(r2[0], 0, 0, 0);
    assert_close(r2[1], 0, 0, 0);
}

/* Savage's criterion on a table of payoffs (acts x states): regrets per
 * state, then the act with the smallest largest regret. Payoffs
 *        s1  s2  s3            regrets   max
 *   A    10   4   6            0  5  3    5
 *   B     7   8   5            3  1  4    4   <- minimax regret
 *   C     3   9   9            7  0  0    7
 * (best per state 10, 9, 9). The maximin act would be B too, the maximax C. */
static void test_minimax_regret_table(void **state)
{
    (void)state;
    const double pay[3][3] = {{10, 4, 6}, {7, 8, 5}, {3, 9, 9}};
    double maxr[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int s = 0; s < 3; s++) {
        double g[3] = {pay[0][s], pay[1][s], pay[2][s]}, r[3];
        cmp_regret(3, g, r);
        for (int a = 0; a < 3; a++)
            maxr[a] = fmax(maxr[a], r[a]);
    }
    assert_close(maxr[0], 5, 0, 0);
    assert_close(maxr[1], 4, 0, 0);
    assert_close(maxr[2], 7, 0, 0);
    double neg[3] = {-maxr[0], -maxr[1], -maxr[2]}, rank[3];
    cmp_rank(3, neg, rank);
    assert_close(rank[1], 1, 0, 0);
    assert_close(rank[0], 2, 0, 0);
    assert_close(rank[2], 3, 0, 0);
}

/* ---- resilience by hand ----------------------------------------------------------------- */

static void test_resilience_zero_shock(void **state)
{
    (void)state;
    const double t[] = {0, 1, 2, 3, 4};
    const double e[] = {100, 99, 97, 98, 101};
    wd_resilience r;
    for (int given = 0; given < 2; given++) {
        assert_int_equal(wd_resilience_measure(5, t, e, e, given ? 1.0 : NAN, 0.01, 0.01, &r), WD_OK);
        assert_close(r.resistance, 0, 0, 0);
        assert_close(r.recovery_years, 0, 0, 0);
        assert_close(r.job_years_lost, 0, 0, 0);
        assert_close(r.loss_pct_years, 0, 0, 0);
        assert_close(r.max_loss_pct, 0, 0, 0);
        assert_int_equal(r.recovered, 1);
    }
}

/* A flat counterfactual (no contraction: the original denominator is 0).
 *   t    0    1    2    3     4    5    6
 *   E_c  100  100  100  100   100  100  100
 *   E_s  100  100  90   95    99.5 100  100
 * The runs part after t = 1 (onset t0 = 1), deepest at t* = 2:
 *   resistance = ((90 - 100) - (100 - 100)) / max(0, 0.01 * 100) = -10
 *   gaps 0.10, 0.05, 0.005: last above 1% at t = 3; crossing at
 *   3 + (0.05 - 0.01) / (0.05 - 0.005) = 3.888..., recovery 2.888... years
 *   job-years: trapezoids of 0 0 10 5 0.5 0 0 = 5 + 7.5 + 2.75 + 0.25 = 15.5 */
static void test_resilience_flat_counterfactual(void **state)
{
    (void)state;
    const double t[] = {0, 1, 2, 3, 4, 5, 6};
    const double c[] = {100, 100, 100, 100, 100, 100, 100};
    const double s[] = {100, 100, 90, 95, 99.5, 100, 100};
    wd_resilience r;
    assert_int_equal(wd_resilience_measure(7, t, s, c, NAN, 0.01, 0.01, &r), WD_OK);
    assert_close(r.onset, 1, 0, 0);
    assert_close(r.trough, 2, 0, 0);
    assert_close(r.resistance, -10, 1e-12, 0);
    assert_close(r.recovery_years, 3 + 0.04 / 0.045 - 1, 1e-12, 0);
    assert_int_equal(r.recovered, 1);
    assert_close(r.job_years_lost, 15.5, 1e-12, 0);
    assert_close(r.loss_pct_years, 15.5, 1e-12, 0);
    assert_close(r.max_loss_pct, 10, 1e-12, 0);
    /* The same with the onset given as 1.5 (between save points): the
     * pre-shock values are those at t = 1, recovery counts from 1.5. */
    assert_int_equal(wd_resilience_measure(7, t, s, c, 1.5, 0.01, 0.01, &r), WD_OK);
    assert_close(r.onset, 1.5, 0, 0);
    assert_close(r.resistance, -10, 1e-12, 0);
    assert_close(r.recovery_years, 3 + 0.04 / 0.045 - 1.5, 1e-12, 0);
    /* A floor of 5%: the shortfall of 10 in units of 5 */
    assert_int_equal(wd_resilience_measure(7, t, s, c, NAN, 0.01, 0.05, &r), WD_OK);
    assert_close(r.resistance, -2, 1e-12, 0);
}

/* A contracting counterfactual, the situation of Martin et al. (2016): the
 * reference loses 4 from onset to trough, the shocked run 10:
 *   t    0    1   2   3   4
 *   E_c  100  98  96  94  92
 *   E_s  100  95  90  92  92
 *   resistance = (-10 - (-4)) / |-4| = -1.5 (lost 150% more than expected)
 *   gaps 3/98, 6/96, 2/94, 0: the last above 1% at t = 3, crossing at
 *   3 + (2/94 - 0.01) / (2/94 - 0), recovery counted from the onset 0
 *   job-years: (0+3)/2 + (3+6)/2 + (6+2)/2 + (2+0)/2 = 11 */
static void test_resilience_contracting_counterfactual(void **state)
{
    (void)state;
    const double t[] = {0, 1, 2, 3, 4};
    const double c[] = {100, 98, 96, 94, 92};
    const double s[] = {100, 95, 90, 92, 92};
    wd_resilience r;
    assert_int_equal(wd_resilience_measure(5, t, s, c, 0.0, 0.01, 0.01, &r), WD_OK);
    assert_close(r.trough, 2, 0, 0);
    assert_close(r.resistance, -1.5, 1e-12, 0);
    double g3 = 2.0 / 94;
    assert_close(r.recovery_years, 3 + (g3 - 0.01) / g3, 1e-12, 0);
    assert_close(r.job_years_lost, 11, 1e-12, 0);
    assert_close(r.max_loss_pct, 100.0 * 6 / 96, 1e-12, 0);
    /* a region that gains against the reference: positive resistance */
    const double up[] = {100, 99, 98, 96, 94};
    assert_int_equal(wd_resilience_measure(5, t, up, c, 0.0, 0.01, 0.01, &r), WD_OK);
    /* deviations 0 1 2 2 2: the first largest at t = 2:
     * ((98 - 100) - (96 - 100)) / |96 - 100| = 0.5; job-years
     * -(0.5 + 1.5 + 2 + 2) = -6 (a gain); never back within 1% */
    assert_close(r.trough, 2, 0, 0);
    assert_close(r.resistance, 0.5, 1e-12, 0);
    assert_close(r.job_years_lost, -6, 1e-12, 0);
    assert_close(r.max_loss_pct, 0, 0, 0);
    assert_int_equal(r.recovered, 0);
}

static void test_resilience_never_recovers(void **state)
{
    (void)state;
    const double t[] = {0, 1, 2, 3};
    const double c[] = {100, 100, 100, 100};
    const double s[] = {100, 90, 94, 95}; /* still 5% short at the end */
    wd_resilience r;
    assert_int_equal(wd_resilience_measure(4, t, s, c, NAN, 0.01, 0.01, &r), WD_OK);
    assert_true(isinf(r.recovery_years) && r.recovery_years > 0);
    assert_int_equal(r.recovered, 0);
    /* within a 6% band it has recovered: last above 6% is t = 1 (10%), next 6%:
     * the crossing is at t = 2 exactly */
    assert_int_equal(wd_resilience_measure(4, t, s, c, NAN, 0.06, 0.01, &r), WD_OK);
    assert_int_equal(r.recovered, 1);
    assert_close(r.recovery_years, 2, 1e-12, 0);
}

static void test_resilience_bad_args(void **state)
{
    (void)state;
    const double t[] = {0, 1, 1};
    const double x[] = {1, 2, 3};
    const double nan3[] = {1, NAN, 3};
    const double t2[] = {0, 1, 2};
    wd_resilience r;
    assert_int_equal(wd_resilience_measure(0, t, x, x, NAN, 0.01, 0.01, &r), WD_E_ARG);
    assert_int_equal(wd_resilience_measure(3, t, x, x, NAN, 0.01, 0.01, &r), WD_E_ARG); /* times not increasing */
    assert_int_equal(wd_resilience_measure(3, t2, x, x, NAN, 0, 0.01, &r), WD_E_ARG);
    assert_int_equal(wd_resilience_measure(3, t2, x, x, NAN, NAN, 0.01, &r), WD_E_ARG);
    assert_int_equal(wd_resilience_measure(3, t2, x, x, NAN, 0.01, 0.01, NULL), WD_E_ARG);
    assert_int_equal(wd_resilience_measure(3, t2, nan3, x, NAN, 0.01, 0.01, &r), WD_OK);
    assert_true(isnan(r.resistance) && isnan(r.recovery_years) && isnan(r.job_years_lost));
}

/* ---- a comparison of the stand-in model -------------------------------------------------------
 * tests/compare/small.cfg: the resilience quantity is the region's Services
 * jobs, E_c(t) = base (1 + 0.005 (t - 2025)) without shock and
 * E_s(t) = E_c(t) (1 - 0.2 (1 - w(t))) under the slump, w falling linearly
 * from 1 (2030) to 0.9 (2031), holding to 2032 and back to 1 by 2033. With
 * the onset 2030 and a save every quarter:
 *   trough: the largest gap 0.02 E_c(t) is at t = 2032;
 *   resistance = (E_s(2032) - E_c(2032)) / max(E_c(2032) - E_c(2030), 0.01 E_c(2030))
 *              = -0.02 * 1.035 / max(0.010, 0.01025) = -2.0195...
 *   recovery: the gap 0.02 (2033 - t) is above 1% until t = 2032.5: 2.5 years;
 *   job-years: base * 0.2 * integral (1 - w) * (1 + 0.005 (t - 2025)) dt
 *              = base * 0.2 * 0.2 * 1.0325 (1 - w is symmetric about 2031.5).
 * The Services base jobs are 1,500,000 (Ruhr) and 1,100,000 (Pittsburgh). */

static wd_comparison *run_small(int threads)
{
    wd_diags *d = wd_diags_new();
    wd_comparison *c = NULL;
    if (wd_comparison_load("tests/compare/small.cfg", d, &c) != WD_OK)
        fail_msg("%s", wd_diags_text(d));
    if (wd_comparison_run(c, threads, d) != WD_OK)
        fail_msg("%s", wd_diags_text(d));
    wd_diags_free(d);
    return c;
}

static size_t idx(const wd_comparison *c, wd_cmp_axis axis, const char *name)
{
    size_t i = wd_comparison_find(c, axis, name);
    if (i == (size_t)-1)
        fail_msg("no '%s' on axis %d", name, (int)axis);
    return i;
}

static void test_small_closed_form(void **state)
{
    (void)state;
    wd_comparison *c = run_small(2);
    size_t slump = idx(c, WD_CMP_SHOCK, "slump");
    size_t res = idx(c, WD_CMP_INDICATOR, "resistance"), rec = idx(c, WD_CMP_INDICATOR, "recovery_years"),
           loss = idx(c, WD_CMP_INDICATOR, "jobs_lost_job_years"),
           lpct = idx(c, WD_CMP_INDICATOR, "jobs_lost_pct_years"),
           sch = idx(c, WD_CMP_INDICATOR, "services_change_2040_pct"),
           cum = idx(c, WD_CMP_INDICATOR, "services_job_years_2030");
    const char *regions[] = {"Ruhr", "Pittsburgh"};
    const double base[] = {1.5e6, 1.1e6};
    for (int i = 0; i < 2; i++) {
        size_t r = idx(c, WD_CMP_REGION, regions[i]);
        for (size_t p = 0; p < wd_comparison_count(c, WD_CMP_PACKAGE); p++) {
            assert_close(wd_comparison_value(c, r, p, slump, res), -0.02 * 1.035 / 0.01025, 1e-9, 0);
            assert_close(wd_comparison_value(c, r, p, slump, rec), 2.5, 1e-9, 0);
            assert_close(wd_comparison_value(c, r, p, slump, loss), base[i] * 0.04 * 1.0325, 1e-6, 0);
            assert_close(wd_comparison_value(c, r, p, slump, lpct), 100 * 0.04 * 1.0325 / 1.025, 1e-6, 0);
            for (size_t s = 0; s < wd_comparison_count(c, WD_CMP_SHOCK); s++) {
                /* Services jobs grow 0.5% a year: +7.5% by 2040 in every cell
                 * (the slump is over by then) */
                assert_close(wd_comparison_value(c, r, p, s, sch), 7.5, 1e-9, 0);
                /* the integral of a linear function, exact by trapezoids */
                assert_close(wd_comparison_value(c, r, p, s, cum), base[i] * (5 + 0.005 * 12.5), 1e-12, 0);
            }
        }
    }
    wd_comparison_free(c);
}

/* A shock of size zero gives resistance 0, no loss and no recovery time;
 * so does the counterfactual itself. */
static void test_small_zero_shock(void **state)
{
    (void)state;
    wd_comparison *c = run_small(1);
    const char *zero[] = {"none", "zero_gas"};
    const char *ind[] = {"resistance", "recovery_years", "jobs_lost_job_years", "jobs_lost_pct_years",
                         "max_job_loss_pct"};
    for (size_t z = 0; z < 2; z++) {
        size_t s = idx(c, WD_CMP_SHOCK, zero[z]);
        for (size_t r = 0; r < wd_comparison_count(c, WD_CMP_REGION); r++)
            for (size_t p = 0; p < wd_comparison_count(c, WD_CMP_PACKAGE); p++) {
                for (size_t i = 0; i < 5; i++)
                    assert_close(wd_comparison_value(c, r, p, s, idx(c, WD_CMP_INDICATOR, ind[i])), 0, 0, 1e-9);
                assert_close(wd_comparison_value(c, r, p, s, idx(c, WD_CMP_INDICATOR, "recovered")), 1, 0, 0);
            }
    }
    wd_comparison_free(c);
}

/* Every cell has every indicator; ranks and regrets are consistent; the
 * results do not depend on the number of threads. */
static void test_small_matrix_complete(void **state)
{
    (void)state;
    wd_comparison *a = run_small(1), *b = run_small(3);
    size_t nr = wd_comparison_count(a, WD_CMP_REGION), np = wd_comparison_count(a, WD_CMP_PACKAGE),
           ns = wd_comparison_count(a, WD_CMP_SHOCK), ni = wd_comparison_count(a, WD_CMP_INDICATOR);
    assert_int_equal(nr, 2);
    assert_int_equal(np, 2);
    assert_int_equal(ns, 4); /* none + 3 */
    assert_string_equal(wd_comparison_label(a, WD_CMP_SHOCK, 0), "none");
    const char *required[] = {"jobs_change_2040_pct", "unemployment_rate_2040", "co2_change_2040_pct",
                              "cumulative_co2_2045",  "gva_change_2040_pct",    "fiscal_balance_2040",
                              "resistance",           "recovery_years",         "jobs_lost_job_years",
                              "diversification_2040", "score"};
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        idx(a, WD_CMP_INDICATOR, required[k]);
    /* 2 x 2 x 4 cells, 12 distinct runs: 'current' sets no $region */
    assert_int_equal(wd_comparison_nruns(a), 12);
    assert_int_equal(wd_comparison_nprograms(a), 3);
    for (size_t r = 0; r < nr; r++)
        for (size_t i = 0; i < ni; i++) {
            for (size_t s = 0; s < ns; s++) {
                double best_regret = INFINITY;
                for (size_t p = 0; p < np; p++) {
                    double v = wd_comparison_value(a, r, p, s, i);
                    assert_false(isnan(v));
                    assert_true(memcmp(&v, &(double){wd_comparison_value(b, r, p, s, i)}, sizeof v) == 0);
                    double rg = wd_comparison_regret(a, r, p, s, i);
                    assert_true(rg >= 0);
                    best_regret = fmin(best_regret, rg);
                    double rk = wd_comparison_rank(a, r, p, s, i);
                    assert_true(rk >= 1 && rk <= (double)np);
                }
                assert_close(best_regret, 0, 0, 0);
            }
            bool first = false;
            for (size_t p = 0; p < np; p++) {
                double mr = wd_comparison_max_regret(a, r, p, i);
                double worst = 0;
                for (size_t s = 0; s < ns; s++)
                    worst = fmax(worst, wd_comparison_regret(a, r, p, s, i));
                assert_close(mr, worst, 0, 0);
                first |= wd_comparison_max_regret_rank(a, r, p, i) == 1;
            }
            assert_true(first);
        }
    wd_comparison_free(a);
    wd_comparison_free(b);
}

/* ---- bad comparison files ------------------------------------------------------------------------ */

static char dir[256];

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads dir/top.cfg, expects failure, returns the messages (static). */
static const char *load_fails(wd_status want)
{
    static char text[8192];
    char path[512];
    snprintf(path, sizeof path, "%s/top.cfg", dir);
    wd_diags *d = wd_diags_new();
    wd_comparison *c = NULL;
    wd_status st = wd_comparison_load(path, d, &c);
    snprintf(text, sizeof text, "%s", wd_diags_text(d));
    wd_diags_free(d);
    wd_comparison_free(c);
    if (st != want)
        fail_msg("status %d, expected %d; messages:\n%s", (int)st, (int)want, text);
    return text;
}

static void top(const char *compare)
{
    char model[512], buf[4096];
    char *cwd = getcwd(NULL, 0);
    snprintf(model, sizeof model, "%s/tests/models/compare_standin.mdl", cwd);
    free(cwd);
    snprintf(buf, sizeof buf, "model = \"%s\";\ntime = { stop = 2032.0; };\ncompare = {\n%s\n};\n", model, compare);
    put("top.cfg", buf);
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/wandel-cmp-XXXXXX", getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_bad_files(void **state)
{
    (void)state;
    const char *m;
    put("ok.cfg", "set = ( { var = \"gas price\"; value = 40.0; } );\n");
    /* a misspelt setting, with the line */
    top("regions = [\"Ruhr\"];\npakages = ( { name = \"a\"; layers = []; } );");
    m = load_fails(WD_E_SEMANTIC);
    assert_contains(m, "top.cfg:5: error: unknown setting 'compare.pakages' (did you mean 'compare.packages'?)");
    /* an unknown region: the range's elements are listed */
    top("regions = [\"Ruhrgebiet\"];\npackages = ( { name = \"a\"; layers = []; } );");
    m = load_fails(WD_E_ARG);
    assert_contains(m, "top.cfg:4: error: compare.regions: 'Ruhrgebiet' is not an element of range 'region' "
                       "(Ruhr, Saar, Silesia, Pittsburgh)");
    /* reserved and duplicate names */
    top("regions = [\"Ruhr\"];\npackages = ( { name = \"a\"; layers = []; },\n { name = \"a\"; layers = []; } );\n"
        "shocks = ( { name = \"none\"; layers = []; } );");
    m = load_fails(WD_E_SEMANTIC);
    assert_contains(m, "top.cfg:6: error: compare.packages: 'a' is defined twice (first at line 5)");
    assert_contains(m, "top.cfg:7: error: compare.shocks entry 1: the shock names 'none'");
    /* a missing layer file */
    top("regions = [\"Ruhr\"];\npackages = ( { name = \"a\"; layers = [\"nope.cfg\"]; } );");
    m = load_fails(WD_E_IO);
    assert_contains(m, "top.cfg:5: error: no such file 'nope.cfg'");
    /* a layer may only set variables; an unknown placeholder */
    put("timed.cfg", "time = { stop = 2040.0; };\nset = ( { var = \"x[$regoin]\"; value = 1.0; } );\n");
    top("regions = [\"Ruhr\"];\npackages = ( { name = \"a\"; layers = [\"timed.cfg\"]; } );");
    m = load_fails(WD_E_SEMANTIC);
    assert_contains(m, "timed.cfg:1: error: a package layer may only set variables (set, extends); 'time' belongs");
    assert_contains(m, "timed.cfg:2: error: set 'x[$regoin]': unknown placeholder at '$regoin]'");
    /* an unknown variable in a layer, at the layer's line, reported once */
    put("typo.cfg", "# a typo\nset = ( { var = \"retraining rat[$region]\"; value = 1.0; } );\n");
    top("regions = [\"Ruhr\", \"Saar\"];\npackages = ( { name = \"a\"; layers = [\"typo.cfg\"]; } );");
    m = load_fails(WD_E_ARG);
    assert_contains(m, "typo.cfg:2: error: set: unknown variable 'retraining rat[Ruhr]' (did you mean");
    assert_contains(m, "typo.cfg:2: error: set: unknown variable 'retraining rat[Saar]'");
    assert_null(strstr(strstr(m, "rat[Ruhr]") + 1, "rat[Ruhr]"));
    /* a control variable */
    put("ctl.cfg", "set = ( { var = \"FINAL TIME\"; value = 2040.0; } );\n");
    top("regions = [\"Ruhr\"];\npackages = ( { name = \"a\"; layers = [\"ctl.cfg\"]; } );");
    m = load_fails(WD_E_ARG);
    assert_contains(m, "ctl.cfg:1: error: set: 'FINAL TIME' is a control variable");
    /* the score names an indicator that does not exist */
    top("regions = [\"Ruhr\"];\npackages = ( { name = \"a\"; layers = [\"ok.cfg\"]; } );\n"
        "score = { jobs_change_2050_pct = 1.0; };");
    m = load_fails(WD_E_ARG);
    assert_contains(m, "top.cfg:6: error: compare.score: no indicator 'jobs_change_2050_pct'");
    /* an intensive quantity with more than one element per region */
    top("regions = [\"Ruhr\"];\npackages = ( { name = \"a\"; layers = []; } );\n"
        "variables = { unemployment_rate = \"jobs\"; };");
    m = load_fails(WD_E_ARG);
    assert_contains(m, "top.cfg:6: error: 'jobs' has 3 elements for region 'Ruhr'; a rate or index must have one");
    /* onset belongs to shocks; no compare group at all */
    top("regions = [\"Ruhr\"];\npackages = ( { name = \"a\"; layers = []; onset = 2030.0; } );");
    m = load_fails(WD_E_SEMANTIC);
    assert_contains(m, "top.cfg:5: error: package 'a': onset applies to shocks only");
    put("top.cfg", "name = \"x\";\n");
    m = load_fails(WD_E_SEMANTIC);
    assert_contains(m, "no compare group");
}

/* A run that fails (a numerical fault in 2035) keeps what it saved before
 * the fault; its later values and the indicators that need them are NaN;
 * the other cells are complete; the status says a run failed. The failing
 * runs are the first planned (package b comes first), so the save times
 * must come from a later run that completed. */
static void test_failed_run(void **state)
{
    (void)state;
    char model[512], buf[2048], path[512];
    char *cwd = getcwd(NULL, 0);
    snprintf(model, sizeof model, "%s/tests/models/compare_standin.mdl", cwd);
    free(cwd);
    /* no labour force from 2035: 0/0 unemployment, migration not a number */
    put("break.cfg", "set = ( { var = \"participation[$region]\"; points = ([2025.0, 0.375], [2035.0, 0.375], "
                     "[2035.25, 0.0]); interp = \"step\"; } );\n");
    snprintf(buf, sizeof buf,
             "model = \"%s\";\ntime = { stop = 2040.0; };\ncompare = {\n regions = [\"Ruhr\", \"Saar\"];\n"
             " packages = ( { name = \"b\"; layers = [\"break.cfg\"]; }, { name = \"a\"; layers = []; } );\n"
             " indicators = ( { name = \"jobs_2030\"; var = \"jobs\"; year = 2030.0; } );\n};\n",
             model);
    put("top.cfg", buf);
    snprintf(path, sizeof path, "%s/top.cfg", dir);
    wd_diags *d = wd_diags_new();
    wd_comparison *c = NULL;
    if (wd_comparison_load(path, d, &c) != WD_OK)
        fail_msg("%s", wd_diags_text(d));
    wd_status st = wd_comparison_run(c, 2, d);
    assert_int_equal(st, WD_E_NUMERIC);
    assert_contains(wd_diags_text(d), "the run of region 'Ruhr', package 'b', shock 'none'");
    size_t a = idx(c, WD_CMP_PACKAGE, "a"), b = idx(c, WD_CMP_PACKAGE, "b");
    size_t jobs = idx(c, WD_CMP_INDICATOR, "jobs_change_2040_pct"), j30 = idx(c, WD_CMP_INDICATOR, "jobs_2030");
    for (size_t r = 0; r < 2; r++) {
        assert_true(isnan(wd_comparison_value(c, r, b, 0, jobs)));
        assert_false(isnan(wd_comparison_value(c, r, a, 0, jobs)));
        /* before the fault the failed run's values are kept, and equal the
         * other package's (the packages differ only from 2035) */
        assert_close(wd_comparison_value(c, r, b, 0, j30), wd_comparison_value(c, r, a, 0, j30), 0, 0);
        assert_close(wd_comparison_rank(c, r, b, 0, jobs), 2, 0, 0); /* NaN ranks last */
    }
    snprintf(path, sizeof path, "%s/out.h5", dir);
    assert_int_equal(wd_comparison_write_hdf5(c, path, d), WD_OK);
    snprintf(path, sizeof path, "%s/out.csv", dir);
    assert_int_equal(wd_comparison_write_csv(c, path, d), WD_OK);
    wd_comparison_free(c);
    wd_diags_free(d);
}

/* Runs a comparison file of dir, writes its files and summary; returns it. */
static wd_comparison *run_dir_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    wd_diags *d = wd_diags_new();
    wd_comparison *c = NULL;
    if (wd_comparison_load(path, d, &c) != WD_OK || wd_comparison_run(c, 2, d) != WD_OK)
        fail_msg("%s", wd_diags_text(d));
    snprintf(path, sizeof path, "%s/out.h5", dir);
    assert_int_equal(wd_comparison_write_hdf5(c, path, d), WD_OK);
    snprintf(path, sizeof path, "%s/out.csv", dir);
    assert_int_equal(wd_comparison_write_csv(c, path, d), WD_OK);
    FILE *f = tmpfile();
    wd_comparison_print_summary(c, f);
    wd_comparison_print_plan(c, f);
    fclose(f);
    wd_diags_free(d);
    return c;
}

/* Edge cases: no shocks (only the counterfactuals), no indicators at all. */
static void test_edge_cases(void **state)
{
    (void)state;
    char model[512], buf[2048];
    char *cwd = getcwd(NULL, 0);
    snprintf(model, sizeof model, "%s/tests/models/compare_standin.mdl", cwd);
    free(cwd);
    snprintf(buf, sizeof buf,
             "model = \"%s\";\ntime = { stop = 2030.0; };\ncompare = {\n regions = [\"Saar\"];\n"
             " packages = ( { name = \"a\"; layers = []; } );\n years = { report = 2030.0; cumulative_until = 2030.0; };\n};\n",
             model);
    put("noshock.cfg", buf);
    wd_comparison *c = run_dir_file("noshock.cfg");
    assert_int_equal(wd_comparison_count(c, WD_CMP_SHOCK), 1);
    assert_close(wd_comparison_value(c, 0, 0, 0, idx(c, WD_CMP_INDICATOR, "resistance")), 0, 0, 0);
    assert_close(wd_comparison_max_regret_rank(c, 0, 0, idx(c, WD_CMP_INDICATOR, "score")), 1, 0, 0);
    wd_comparison_free(c);
    snprintf(buf, sizeof buf,
             "model = \"%s\";\ntime = { stop = 2030.0; };\ncompare = {\n regions = [\"Saar\"];\n"
             " packages = ( { name = \"a\"; layers = []; } );\n"
             " variables = { employment = \"\"; jobs = \"\"; unemployment_rate = \"\"; co2 = \"\"; gva = \"\";"
             " fiscal_balance = \"\"; diversification = \"\"; };\n output = { vars = []; };\n};\n",
             model);
    put("noind.cfg", buf);
    c = run_dir_file("noind.cfg");
    assert_int_equal(wd_comparison_count(c, WD_CMP_INDICATOR), 0);
    assert_true(isnan(wd_comparison_value(c, 0, 0, 0, 0)));
    wd_comparison_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_rank_regret),
        cmocka_unit_test(test_minimax_regret_table),
        cmocka_unit_test(test_resilience_zero_shock),
        cmocka_unit_test(test_resilience_flat_counterfactual),
        cmocka_unit_test(test_resilience_contracting_counterfactual),
        cmocka_unit_test(test_resilience_never_recovers),
        cmocka_unit_test(test_resilience_bad_args),
        cmocka_unit_test(test_small_closed_form),
        cmocka_unit_test(test_small_zero_shock),
        cmocka_unit_test(test_small_matrix_complete),
        cmocka_unit_test_setup_teardown(test_bad_files, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_failed_run, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_edge_cases, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests_name("compare", tests, NULL, NULL);
}
