/* test_design.c: sweep designs and distributions (design.c): the shipped
 * Joe-Kuo direction numbers against their data file and against the rules
 * every set must satisfy, stratification of Sobol points and of Latin
 * hypercubes, the Saltelli and Morris layouts, quantiles against closed
 * forms, and points that do not depend on which range of runs is asked for. */
#include "testutil.h"

#include "design.h"
#include "util.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned sobol_jk_max_dim;
extern const uint16_t sobol_jk_table[];

#define DATA_FILE "data/sobol/new-joe-kuo-6.21201.first1024"

/* ---- the direction numbers ----------------------------------------------------- */

/* The compiled table holds exactly the numbers of the data file. */
static void test_table_matches_data_file(void **state)
{
    (void)state;
    size_t len;
    char *text = wd_read_file(DATA_FILE, &len);
    if (!text) {
        printf("%s not found (run from the repository root); skipping\n", DATA_FILE);
        return;
    }
    char sha[65];
    wd_sha256_hex(text, len, sha);
    assert_string_equal(sha, "52eeb57738dd69f5e1f593f2085c4efb3fb410c3af241d5396d7a2bef60b9257");
    const char *p = strchr(text, '\n') + 1; /* header */
    const uint16_t *t = sobol_jk_table;
    unsigned dims = 1;
    while (*p) {
        char *end;
        long d = strtol(p, &end, 10), s = strtol(end, &end, 10), a = strtol(end, &end, 10);
        assert_int_equal(d, dims + 1);
        assert_int_equal(t[0], s);
        assert_int_equal(t[1], a);
        for (long i = 0; i < s; i++)
            assert_int_equal(t[2 + i], strtol(end, &end, 10));
        t += 2 + s;
        dims++;
        p = strchr(end, '\n') + 1;
    }
    assert_int_equal(dims, sobol_jk_max_dim);
    wd_xfree(text);
}

/* Products modulo poly over GF(2); polynomials as bit masks (bit i = x^i),
 * poly of degree deg, a and b reduced. */
static unsigned gf2_mulmod(unsigned a, unsigned b, unsigned poly, unsigned deg)
{
    unsigned long long m = 0;
    for (unsigned i = 0; i < deg; i++)
        if (b >> i & 1)
            m ^= (unsigned long long)a << i;
    for (int i = 2 * (int)deg - 2; i >= (int)deg; i--)
        if (m >> i & 1)
            m ^= (unsigned long long)poly << (i - (int)deg);
    return (unsigned)m;
}

/* x^e mod poly */
static unsigned gf2_powmod(unsigned long long e, unsigned poly, unsigned deg)
{
    unsigned r = 1, b = deg == 1 ? (2u ^ poly) : 2u; /* x, reduced */
    for (; e; e >>= 1) {
        if (e & 1)
            r = gf2_mulmod(r, b, poly, deg);
        b = gf2_mulmod(b, b, poly, deg);
    }
    return r;
}

static bool primitive(unsigned s, unsigned a)
{
    /* x^s + a_1 x^(s-1) + ... + a_(s-1) x + 1, a's bits from a_1 down */
    unsigned poly = 1u << s | 1u | (a << 1);
    unsigned long long order = (1ull << s) - 1, n = order;
    if (gf2_powmod(order, poly, s) != 1)
        return false;
    for (unsigned long long q = 2; q <= n; q++) {
        if (n % q)
            continue;
        while (n % q == 0)
            n /= q;
        if (gf2_powmod(order / q, poly, s) == 1)
            return false;
    }
    return true;
}

/* Joe and Kuo's rules: m_i odd and below 2^i; the polynomials primitive,
 * in order of degree, then of a, with none missing. */
static void test_table_is_admissible(void **state)
{
    (void)state;
    const uint16_t *t = sobol_jk_table;
    unsigned prev_s = 0, prev_a = 0;
    for (unsigned d = 2; d <= sobol_jk_max_dim; d++) {
        unsigned s = t[0], a = t[1];
        assert_true(s >= 1 && s <= 16);
        assert_true(a < (1u << (s - 1)));
        assert_true(primitive(s, a));
        if (s == prev_s) {
            assert_true(a > prev_a);
            for (unsigned b = prev_a + 1; b < a; b++) /* no primitive one skipped */
                assert_false(primitive(s, b));
        } else {
            assert_int_equal(s, prev_s + 1);
            for (unsigned b = 0; b < a; b++)
                assert_false(primitive(s, b));
        }
        for (unsigned i = 1; i <= s; i++) {
            unsigned m = t[1 + i];
            assert_true(m % 2 == 1);
            assert_true(m < (1u << i));
        }
        prev_s = s;
        prev_a = a;
        t += 2 + s;
    }
}

/* The first 2^m points of each coordinate (the skipped zero point included)
 * hit each interval [i/2^m, (i+1)/2^m) exactly once: the defining property
 * of a Sobol sequence, for GSL's dimensions and for Joe and Kuo's. */
static void check_strata(size_t dim)
{
    enum { M = 10, N = 1 << M };
    sobol_gen *g = sobol_new(dim);
    assert_non_null(g);
    double *x = wd_xmalloc(dim * sizeof *x);
    unsigned char *hit = wd_xcalloc(dim * N, 1);
    for (size_t j = 0; j < dim; j++)
        hit[j * N] = 1; /* the zero point */
    for (int i = 1; i < N; i++) {
        sobol_next(g, x);
        for (size_t j = 0; j < dim; j++) {
            assert_true(x[j] > 0 && x[j] < 1);
            int cell = (int)(x[j] * N);
            assert_int_equal(hit[j * N + cell], 0);
            hit[j * N + cell] = 1;
        }
    }
    wd_xfree(hit);
    wd_xfree(x);
    sobol_free(g);
}

static void test_sobol_strata(void **state)
{
    (void)state;
    assert_true(sobol_uses_gsl(40));
    assert_false(sobol_uses_gsl(41));
    check_strata(40);   /* GSL */
    check_strata(1024); /* Joe and Kuo */
    assert_null(sobol_new(1025));
    assert_null(sobol_new(0));
    /* the first point, as GSL's: 0.5 everywhere */
    sobol_gen *g = sobol_new(100);
    double x[100];
    sobol_next(g, x);
    for (int j = 0; j < 100; j++)
        assert_close(x[j], 0.5, 0, 0);
    sobol_free(g);
}

/* ---- designs ------------------------------------------------------------------------ */

typedef struct spec {
    scn_sweep w;
    scn_sweep_param p[8];
} spec;

static void spec_init(spec *s, scn_design kind, unsigned long samples, size_t k)
{
    memset(s, 0, sizeof *s);
    s->w.present = s->w.has_design = true;
    s->w.design = kind;
    s->w.samples = samples;
    s->w.params = s->p;
    s->w.nparams = k;
    for (size_t j = 0; j < k; j++) {
        scn_sweep_param *p = &s->p[j];
        p->var = "x";
        p->dist = SCN_UNIFORM;
        p->min = (double)j;
        p->max = (double)j + 1 + j;
        p->mode = p->mean = p->sd = p->mu = p->sigma = NAN;
    }
}

static double *unit_points(const design *d, uint64_t first, uint64_t count)
{
    double *u = wd_xmalloc((count ? count : 1) * d->k * sizeof *u);
    assert_int_equal(design_unit(d, first, count, u), WD_OK);
    return u;
}

/* Any range of runs gets the same points as the whole design: shards and
 * workers agree. */
static void check_ranges(const design *d)
{
    double *all = unit_points(d, 0, d->nruns);
    uint64_t cuts[][2] = {{0, 1}, {1, 5}, {d->nruns / 3, d->nruns / 3}, {d->nruns - 1, 1}};
    for (size_t c = 0; c < 4; c++) {
        double *part = unit_points(d, cuts[c][0], cuts[c][1]);
        assert_memory_equal(part, all + cuts[c][0] * d->k, cuts[c][1] * d->k * sizeof(double));
        wd_xfree(part);
    }
    wd_xfree(all);
}

static void test_lhs_strata_exact(void **state)
{
    (void)state;
    spec s;
    spec_init(&s, SCN_LHS, 97, 3);
    wd_diags *dg = wd_diags_new();
    design d;
    assert_int_equal(design_init(&d, &s.w, 42, dg), WD_OK);
    assert_int_equal(d.nruns, 97);
    double *u = unit_points(&d, 0, d.nruns);
    for (size_t j = 0; j < 3; j++) {
        const scn_sweep_param *p = &s.p[j];
        int seen[97] = {0};
        for (size_t i = 0; i < 97; i++) {
            double x = design_value(p, u[i * 3 + j], 0);
            assert_true(x > p->min && x < p->max);
            int stratum = (int)floor((x - p->min) / (p->max - p->min) * 97);
            assert_true(stratum >= 0 && stratum < 97);
            seen[stratum]++;
        }
        for (int i = 0; i < 97; i++)
            assert_int_equal(seen[i], 1);
    }
    wd_xfree(u);
    check_ranges(&d);
    /* another seed, another hypercube */
    design d2;
    assert_int_equal(design_init(&d2, &s.w, 43, dg), WD_OK);
    double *u1 = unit_points(&d, 0, 5), *u2 = unit_points(&d2, 0, 5);
    assert_true(memcmp(u1, u2, 5 * 3 * sizeof(double)) != 0);
    wd_xfree(u1);
    wd_xfree(u2);
    design_free(&d);
    design_free(&d2);
    wd_diags_free(dg);
}

static void test_grid(void **state)
{
    (void)state;
    spec s;
    spec_init(&s, SCN_GRID, 3, 2);
    s.p[1].dist = SCN_DISCRETE;
    double vals[] = {10, 20, 50, 70};
    s.p[1].values = vals;
    s.p[1].nvalues = 4;
    wd_diags *dg = wd_diags_new();
    design d;
    assert_int_equal(design_init(&d, &s.w, 1, dg), WD_OK);
    assert_int_equal(d.nruns, 12);
    double *u = unit_points(&d, 0, 12);
    /* the first parameter slowest: 0, 0.5, 1 of [0, 1]; the second all values */
    for (int i = 0; i < 12; i++) {
        assert_close(design_value(&s.p[0], u[i * 2], design_lattice(&d, 0)), 0.5 * (i / 4), 0, 1e-15);
        assert_close(design_value(&s.p[1], u[i * 2 + 1], design_lattice(&d, 1)), vals[i % 4], 0, 0);
    }
    wd_xfree(u);
    check_ranges(&d);
    design_free(&d);
    /* no levels for a continuous parameter: refused at its line */
    s.w.samples = 0;
    s.p[0].src = (scn_src){"g.cfg", 7};
    assert_int_equal(design_init(&d, &s.w, 1, dg), WD_E_ARG);
    assert_contains(wd_diags_text(dg), "g.cfg:7:");
    assert_contains(wd_diags_text(dg), "a grid needs its number of levels");
    wd_diags_free(dg);
}

static void test_saltelli_layout(void **state)
{
    (void)state;
    spec s;
    spec_init(&s, SCN_SALTELLI, 16, 3);
    wd_diags *dg = wd_diags_new();
    design d;
    assert_int_equal(design_init(&d, &s.w, 0, dg), WD_OK);
    assert_int_equal(d.nruns, 16 * 5);
    double *u = unit_points(&d, 0, d.nruns);
    /* A, B: the halves of a 6-dimensional Sobol sequence */
    sobol_gen *g = sobol_new(6);
    double pt[6];
    for (int j = 0; j < 16; j++) {
        sobol_next(g, pt);
        const double *blk = u + j * 5 * 3;
        for (int c = 0; c < 3; c++) {
            assert_close(blk[c], pt[c], 0, 0);                 /* A */
            assert_close(blk[4 * 3 + c], pt[3 + c], 0, 0);     /* B */
            for (int i = 0; i < 3; i++)                        /* AB_i */
                assert_close(blk[(1 + i) * 3 + c], c == i ? pt[3 + c] : pt[c], 0, 0);
        }
    }
    sobol_free(g);
    wd_xfree(u);
    check_ranges(&d);
    design_free(&d);
    /* beyond the direction numbers: refused, not produced silently */
    scn_sweep_param many[520];
    for (int j = 0; j < 520; j++)
        many[j] = s.p[0];
    s.w.params = many;
    s.w.nparams = 513;
    s.w.design_src = (scn_src){"s.cfg", 3};
    assert_int_equal(design_init(&d, &s.w, 0, dg), WD_E_LIMIT);
    assert_contains(wd_diags_text(dg), "s.cfg:3:");
    assert_contains(wd_diags_text(dg), "1026 dimensions");
    /* 512 parameters = 1024 dimensions: Joe and Kuo's numbers */
    s.w.nparams = 512;
    s.w.samples = 2;
    wd_diags_clear(dg);
    assert_int_equal(design_init(&d, &s.w, 0, dg), WD_OK);
    double *big = unit_points(&d, 0, d.nruns);
    wd_xfree(big);
    design_free(&d);
    wd_diags_free(dg);
}

static void test_morris_trajectories(void **state)
{
    (void)state;
    spec s;
    spec_init(&s, SCN_MORRIS, 10, 4);
    s.w.levels = 6;
    wd_diags *dg = wd_diags_new();
    design d;
    assert_int_equal(design_init(&d, &s.w, 7, dg), WD_OK);
    assert_int_equal(d.nruns, 50);
    double delta = design_morris_delta(&d);
    assert_close(delta, 0.6, 0, 1e-15);
    double *u = unit_points(&d, 0, d.nruns);
    size_t order[40];
    int dir[40];
    assert_int_equal(design_morris(&d, 0, 10, order, dir), WD_OK);
    for (int t = 0; t < 10; t++) {
        for (int j = 0; j < 4; j++) { /* on the lattice, inside [0, 1] */
            for (int p = 0; p < 5; p++) {
                double x = u[(t * 5 + p) * 4 + j];
                assert_true(x >= 0 && x <= 1);
                assert_close(x * 5, round(x * 5), 0, 1e-12);
            }
        }
        for (int p = 0; p < 4; p++) { /* one parameter moves, by delta, in its direction */
            size_t moved = order[t * 4 + p];
            for (size_t j = 0; j < 4; j++) {
                double a = u[(t * 5 + p) * 4 + j], b = u[(t * 5 + p + 1) * 4 + j];
                if (j == moved)
                    assert_close(b - a, dir[t * 4 + j] * delta, 0, 1e-12);
                else
                    assert_close(b, a, 0, 0);
            }
        }
    }
    wd_xfree(u);
    check_ranges(&d);
    design_free(&d);
    s.w.levels = 5;
    s.w.levels_src = (scn_src){"m.cfg", 4};
    assert_int_equal(design_init(&d, &s.w, 7, dg), WD_E_ARG);
    assert_contains(wd_diags_text(dg), "m.cfg:4:");
    assert_contains(wd_diags_text(dg), "even number of levels");
    wd_diags_free(dg);
}

static void test_random_and_sobol(void **state)
{
    (void)state;
    spec s;
    spec_init(&s, SCN_RANDOM, 200, 2);
    wd_diags *dg = wd_diags_new();
    design d;
    assert_int_equal(design_init(&d, &s.w, 5, dg), WD_OK);
    check_ranges(&d);
    double *u = unit_points(&d, 0, 200);
    double mean = 0;
    for (int i = 0; i < 400; i++) {
        assert_true(u[i] > 0 && u[i] < 1);
        mean += u[i] / 400;
    }
    assert_close(mean, 0.5, 0, 0.05); /* 4.3 standard errors */
    wd_xfree(u);
    design_free(&d);
    spec_init(&s, SCN_SOBOL, 64, 2);
    assert_int_equal(design_init(&d, &s.w, 5, dg), WD_OK);
    check_ranges(&d);
    design_free(&d);
    spec_init(&s, SCN_LHS, 0, 2);
    s.w.design_src = (scn_src){"x.cfg", 2};
    assert_int_equal(design_init(&d, &s.w, 5, dg), WD_E_ARG);
    assert_contains(wd_diags_text(dg), "x.cfg:2: error: sweep: design \"lhs\" needs samples = N;");
    wd_diags_free(dg);
}

/* ---- distributions ------------------------------------------------------------------- */

static scn_sweep_param dist(scn_dist k)
{
    scn_sweep_param p;
    memset(&p, 0, sizeof p);
    p.dist = k;
    p.min = p.max = p.mode = p.mean = p.sd = p.mu = p.sigma = NAN;
    return p;
}

static void test_quantiles(void **state)
{
    (void)state;
    scn_sweep_param p = dist(SCN_NORMAL);
    p.mean = 3;
    p.sd = 2;
    assert_close(design_value(&p, 0.5, 0), 3, 0, 1e-12);
    assert_close(design_value(&p, gsl_cdf_ugaussian_P(1), 0), 5, 1e-12, 0);
    p.min = 2;
    p.max = 4; /* truncated: the median of the truncation stays 3 by symmetry */
    assert_close(design_value(&p, 0.5, 0), 3, 0, 1e-12);
    assert_true(design_value(&p, 1e-9, 0) >= 2);
    assert_close(design_value(&p, 0, 3), 2, 0, 1e-9); /* lattice ends: bounds */
    assert_close(design_value(&p, 1, 3), 4, 0, 1e-9);

    p = dist(SCN_LOGNORMAL);
    p.mu = log(10);
    p.sigma = 0.5;
    assert_close(design_value(&p, 0.5, 0), 10, 1e-12, 0);
    assert_close(design_value(&p, gsl_cdf_ugaussian_P(2), 0), 10 * exp(1), 1e-12, 0);
    /* unbounded on a lattice of 2 levels: quantiles 1/4 and 3/4 */
    assert_close(design_value(&p, 0, 2), exp(log(10) + 0.5 * gsl_cdf_ugaussian_Pinv(0.25)), 1e-12, 0);

    p = dist(SCN_TRIANGULAR);
    p.min = 0;
    p.mode = 1;
    p.max = 4; /* F(mode) = 1/4; F(x) = x^2/4 below the mode */
    assert_close(design_value(&p, 0.25, 0), 1, 1e-12, 0);
    assert_close(design_value(&p, 0.0625, 0), 0.5, 1e-12, 0);
    assert_close(design_value(&p, 1 - 0.75 / 4, 0), 2.5, 1e-12, 0); /* 1 - (4-x)^2/12 */

    p = dist(SCN_UNIFORM);
    p.min = -1;
    p.max = 3;
    assert_close(design_value(&p, 0.25, 0), 0, 0, 1e-15);
    assert_close(design_value(&p, 1, 5), 3, 0, 0);
    assert_close(design_value(&p, 0, 5), -1, 0, 0);

    p = dist(SCN_DISCRETE);
    double v[] = {1, 2, 5}, w[] = {1, 2, 1};
    p.values = v;
    p.nvalues = 3;
    assert_close(design_value(&p, 0.2, 0), 1, 0, 0);
    assert_close(design_value(&p, 0.5, 0), 2, 0, 0);
    assert_close(design_value(&p, 0.9, 0), 5, 0, 0);
    p.weights = w; /* cumulative 0.25, 0.75, 1 */
    assert_close(design_value(&p, 0.24, 0), 1, 0, 0);
    assert_close(design_value(&p, 0.26, 0), 2, 0, 0);
    assert_close(design_value(&p, 0.76, 0), 5, 0, 0);
    assert_close(design_value(&p, 0.5, 3), 2, 0, 0); /* lattice of its own size: by index */
}

static void test_mix(void **state)
{
    (void)state;
    assert_true(design_mix(1, 0) == design_mix(1, 0));
    assert_true(design_mix(1, 0) != design_mix(1, 1));
    assert_true(design_mix(1, 0) != design_mix(2, 0));
    /* SplitMix64's first output for state 0 is 0xE220A8397B1DCDAF (Vigna's
     * reference implementation), so mix(0, that) = splitmix64(0) again. */
    assert_true(design_mix(0, 0xE220A8397B1DCDAFULL) == 0xE220A8397B1DCDAFULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_data_file),
        cmocka_unit_test(test_table_is_admissible),
        cmocka_unit_test(test_sobol_strata),
        cmocka_unit_test(test_lhs_strata_exact),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_saltelli_layout),
        cmocka_unit_test(test_morris_trajectories),
        cmocka_unit_test(test_random_and_sobol),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_mix),
    };
    return cmocka_run_group_tests_name("design", tests, NULL, NULL);
}
