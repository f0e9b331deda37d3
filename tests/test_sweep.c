/* test_sweep.c: the sweep group of scenario files (values and errors with
 * file:line), run records and the journal (round trip, torn and damaged
 * records, foreign journals), statistics and Sobol indices against closed
 * forms, the library's sweep API (equal results for 1 and 3 threads), and
 * allocation failures. The command-line side (MPI, shards, SIGKILL) is in
 * tests/sweep.test.sh. */
#include "testutil.h"

#include "scenario.h"
#include "sweep.h"
#include "util.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static wd_scenario *load(const char *text, wd_diags *d, wd_status want)
{
    const char *p = wd_test_tmpfile(".cfg", text);
    wd_scenario *s = NULL;
    wd_status st = scn_load(p, d, &s);
    if (st != want)
        fail_msg("scn_load gave %d, expected %d:\n%s", st, want, wd_diags_text(d));
    unlink(p);
    return s;
}

/* ---- the sweep group ------------------------------------------------------------------- */

static void test_spec_values(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_scenario *s = load("sweep = {\n"
                          "  design = \"Saltelli\"; samples = 64; seed = 5; levels = 6;\n"
                          "  resamples = 50; confidence = 0.9;\n"
                          "  params = ( { var = \"a[x]\"; min = 1; max = 2; },\n"
                          "             { var = \"b\"; dist = \"normal\"; mean = 1.0; sd = 0.5; max = 3.0; },\n"
                          "             { var = \"c\"; dist = \"lognormal\"; mu = 0.0; sigma = 1.0; },\n"
                          "             { var = \"d\"; dist = \"triangular\"; min = 0; mode = 1; max = 4; },\n"
                          "             { var = \"e\"; values = [1.0, 2.0]; weights = [3.0, 1.0]; },\n"
                          "             { var = \"f\"; min = 0; max = 1; levels = 3; } );\n"
                          "  metrics = ( { name = \"m1\"; var = \"y\"; },\n"
                          "              { name = \"m2\"; var = \"y\"; at = 3; },\n"
                          "              { name = \"m3\"; var = \"y\"; reduce = \"INTEGRAL\"; } );\n"
                          "  store = [\"y\", \"z[x]\"];\n"
                          "};\n",
                          d, WD_OK);
    const scn_sweep *w = &s->sweep;
    assert_true(w->present && w->has_design);
    assert_int_equal(w->design, SCN_SALTELLI);
    assert_int_equal(w->samples, 64);
    assert_true(w->has_seed && w->seed == 5);
    assert_int_equal(w->levels, 6);
    assert_int_equal(w->resamples, 50);
    assert_close(w->confidence, 0.9, 0, 0);
    assert_int_equal(w->nparams, 6);
    assert_string_equal(w->params[0].var, "a[x]");
    assert_int_equal(w->params[0].src.line, 4);
    assert_int_equal(w->params[1].dist, SCN_NORMAL);
    assert_true(isnan(w->params[1].min) && w->params[1].max == 3.0);
    assert_int_equal(w->params[2].dist, SCN_LOGNORMAL);
    assert_int_equal(w->params[3].dist, SCN_TRIANGULAR);
    assert_int_equal(w->params[4].dist, SCN_DISCRETE); /* implied by values */
    assert_int_equal(w->params[4].nvalues, 2);
    assert_close(w->params[4].weights[0], 3, 0, 0);
    assert_int_equal(w->params[5].levels, 3);
    assert_int_equal(w->nmetrics, 3);
    assert_int_equal(w->metrics[0].reduce, SCN_FINAL);
    assert_int_equal(w->metrics[1].reduce, SCN_AT); /* implied by at */
    assert_close(w->metrics[1].at, 3, 0, 0);
    assert_int_equal(w->metrics[2].reduce, SCN_INTEGRAL);
    assert_int_equal(w->nstore, 2);
    assert_string_equal(w->store[1].var, "z[x]");
    scn_free(s);
    wd_diags_free(d);
}

static void test_spec_errors(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    load("sweep = {\n"                                                               /* 1 */
         "  design = \"latin\"; samples = 0; seed = -1; levels = 1;\n"               /* 2 */
         "  params = ( { var = \"a\"; min = 1; max = 2; },\n"                        /* 3 */
         "             { var = \"b\"; dist = \"normal\"; mean = 1.0; sd = 0.0; },\n" /* 4 */
         "             { var = \"c\"; dist = \"uniform\"; min = 0; max = 1; sd = 1; },\n"
         "             { var = \"d\"; dist = \"triangular\"; min = 0; mode = 5; max = 4; },\n"
         "             { var = \"e\"; values = [1.0, 2.0]; weights = [1.0]; },\n"   /* 7 */
         "             { var = \"A\"; min = 1; max = 2; },\n"                        /* 8 */
         "             { var = \"f\"; dist = \"beta\"; },\n"                         /* 9 */
         "             { var = \"g\"; mni = 1; max = 2; },\n"                        /* 10 */
         "             { var = \"h[\"; min = 1; max = 2; },\n"                       /* 11 */
         "             { var = \"i\"; min = 2; max = 1; } );\n"                      /* 12 */
         "  metrics = ( { name = \"m\"; var = \"y\"; reduce = \"final\"; at = 3; },\n" /* 13 */
         "              { name = \"m2\"; var = \"y\"; },\n"                          /* 14 */
         "              { name = \"m2\"; var = \"y\"; },\n"                          /* 15 */
         "              { name = \"n/o\"; var = \"y\"; reduce = \"median\"; } );\n"   /* 16 */
         "  store = [\"y\", \"Y\"];\n"                                               /* 17 */
         "};\n"
         "samples = 4;\n",                                                           /* 19 */
         d, WD_E_SEMANTIC);
    const char *t = wd_diags_text(d);
    assert_contains(t, ":2: error: unknown sweep.design 'latin'; known: grid, random, lhs, sobol, saltelli, morris");
    assert_contains(t, ":2: error: sweep.samples must be a whole number from 1 to 1000000000, found 0");
    assert_contains(t, ":2: error: sweep.seed must be a non-negative integer, found -1");
    assert_contains(t, ":2: error: sweep.levels must be a whole number from 2 to 1000000, found 1");
    assert_contains(t, ":12: error: sweep param 'i': min = 2 must be less than max = 1");
    assert_contains(t, ":4: error: sweep param 'b': sd must be > 0, found 0");
    assert_contains(t, ":5: error: sweep param 'c': sd is not a setting of dist \"uniform\"");
    assert_contains(t, ":6: error: sweep param 'd': mode = 5 must lie within [min, max] = [0, 4]");
    assert_contains(t, ":7: error: sweep param 'e': 1 weights for 2 values; give one weight per value");
    assert_contains(t, ":8: error: sweep param 'A' is listed twice (first at line 3)");
    assert_contains(t, ":9: error: sweep param 'f': unknown dist 'beta'; known: uniform, normal, lognormal, "
                       "triangular, discrete");
    assert_contains(t, ":10: error: sweep param 'g': unknown setting 'mni' (did you mean 'min'?)");
    assert_contains(t, ":11: error: sweep.params entry 9: malformed variable name 'h['");
    assert_contains(t, ":13: error: sweep metric 'm': at = 3 goes with reduce = \"at\", not \"final\"");
    assert_contains(t, ":15: error: sweep metric 'm2' is defined twice (first at line 14)");
    assert_contains(t, ":16: error: sweep.metrics entry 4: name 'n/o' must not contain '/'");
    assert_contains(t, ":16: error: sweep.metrics entry 4: unknown reduce 'median'");
    assert_contains(t, ":17: error: sweep.store lists 'Y' twice");
    assert_contains(t, ":19: error: unknown setting 'samples' (it belongs in the sweep group");
    wd_diags_free(d);
}

/* A later layer replaces sweep settings one by one, lists as a whole. */
static void test_spec_layers(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    const char *base = wd_test_tmpfile(".cfg", "sweep = { design = \"lhs\"; samples = 10;\n"
                                               "  params = ( { var = \"a\"; min = 0; max = 1; } ); };\n");
    char top[512];
    const char *slash = strrchr(base, '/');
    snprintf(top, sizeof top, "extends = \"%s\";\nsweep = { samples = 20; metrics = ( { name = \"m\"; var = \"y\"; } ); };\n",
             slash + 1);
    const char *tp = wd_test_tmpfile(".cfg", top);
    wd_scenario *s = NULL;
    assert_int_equal(scn_load(tp, d, &s), WD_OK);
    assert_int_equal(s->sweep.design, SCN_LHS);
    assert_int_equal(s->sweep.samples, 20);
    assert_int_equal(s->sweep.nparams, 1);
    assert_int_equal(s->sweep.nmetrics, 1);
    scn_free(s);
    unlink(base);
    unlink(tp);
    wd_diags_free(d);
}

/* ---- records and the journal ---------------------------------------------------------------- */

static sweep_meta small_meta(void)
{
    sweep_meta m;
    memset(&m, 0, sizeof m);
    memset(m.spec_sha, 'a', 64);
    m.nruns = m.run_count = 10;
    m.nparams = 2;
    m.nmetrics = 1;
    m.series_len = 3;
    return m;
}

static void put(wd_buf *b, const sweep_meta *m, uint64_t run, int status, const char *reason)
{
    double p[2] = {(double)run, -1.5}, x[1] = {run * 10.0}, s[3] = {1, NAN, 3};
    assert_true(sweep_rec_put(b, m, run, status, reason, p, x, s));
}

static void test_records(void **state)
{
    (void)state;
    sweep_meta m = small_meta();
    wd_buf b = {0};
    put(&b, &m, 3, SWEEP_OK, NULL);
    put(&b, &m, 7, SWEEP_FAILED, "at Time = 5: division by zero");
    sweep_rec r;
    size_t len1, len2;
    assert_true(sweep_rec_get(b.s, b.n, &m, &r, &len1));
    assert_int_equal(r.run, 3);
    assert_int_equal(r.status, SWEEP_OK);
    assert_int_equal(r.reason_len, 0);
    assert_true(sweep_rec_get(b.s + len1, b.n - len1, &m, &r, &len2));
    assert_int_equal(len1 + len2, b.n);
    assert_int_equal(r.status, SWEEP_FAILED);
    assert_int_equal(r.reason_len, strlen("at Time = 5: division by zero"));
    assert_memory_equal(r.reason, "at Time = 5: division by zero", r.reason_len);
    double v[3];
    sweep_rec_doubles(r.series, 3, v);
    assert_close(v[0], 1, 0, 0);
    assert_true(isnan(v[1]));
    sweep_rec_doubles(r.metrics, 1, v);
    assert_close(v[0], 70, 0, 0);
    /* cut short, a flipped bit, a run outside the range: refused */
    assert_false(sweep_rec_get(b.s, len1 - 1, &m, &r, &len2));
    b.s[len1 - 12] ^= 1;
    assert_false(sweep_rec_get(b.s, b.n, &m, &r, &len2));
    b.s[len1 - 12] ^= 1;
    m.run_count = 3;
    assert_false(sweep_rec_get(b.s, b.n, &m, &r, &len2));
    wd_buf_free(&b);
    /* CRC-32 check value ("123456789" -> CBF43926) */
    assert_int_equal(sweep_crc32("123456789", 9), 0xCBF43926u);
}

static void test_journal(void **state)
{
    (void)state;
    sweep_meta m = small_meta();
    wd_diags *d = wd_diags_new();
    char out[256];
    snprintf(out, sizeof out, "%s/wandel-test-journal-%d.h5", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    char *jp = sweep_journal_path(out);
    unlink(jp);
    sweep_journal *j;
    assert_int_equal(sweep_journal_open(&m, out, false, d, &j), WD_OK);
    wd_buf b = {0};
    put(&b, &m, 2, SWEEP_OK, NULL);
    put(&b, &m, 5, SWEEP_FAILED, "bad");
    assert_int_equal(sweep_journal_append(j, b.s, b.n, 0, d), WD_OK);
    b.n = 0;
    put(&b, &m, 9, SWEEP_OK, NULL);
    assert_int_equal(sweep_journal_append(j, b.s, b.n, 1e9, d), WD_OK);
    sweep_journal_close(j, false);
    /* an existing journal is not overwritten without resume */
    assert_int_equal(sweep_journal_open(&m, out, false, d, &j), WD_E_ARG);
    assert_contains(wd_diags_text(d), "continue that sweep with --resume");
    /* resume: three runs done; a torn last record is cut off */
    struct stat st;
    assert_int_equal(stat(jp, &st), 0);
    assert_int_equal(truncate(jp, st.st_size - 3), 0);
    wd_diags_clear(d);
    assert_int_equal(sweep_journal_open(&m, out, true, d, &j), WD_OK);
    assert_contains(wd_diags_text(d), "a record cut short");
    assert_int_equal(sweep_journal_ndone(j), 2);
    assert_true(sweep_journal_done(j, 2) && sweep_journal_done(j, 5) && !sweep_journal_done(j, 9));
    sweep_rec r;
    assert_true(sweep_journal_read(j, 5, &b, &r));
    assert_int_equal(r.status, SWEEP_FAILED);
    assert_false(sweep_journal_read(j, 9, &b, &r));
    b.n = 0;
    put(&b, &m, 9, SWEEP_OK, NULL);
    assert_int_equal(sweep_journal_append(j, b.s, b.n, 0, d), WD_OK);
    assert_true(sweep_journal_read(j, 9, &b, &r));
    sweep_journal_close(j, false);
    /* a journal of another sweep or another range is refused */
    sweep_meta m2 = m;
    m2.spec_sha[0] = 'b';
    wd_diags_clear(d);
    assert_int_equal(sweep_journal_open(&m2, out, true, d, &j), WD_E_ARG);
    assert_contains(wd_diags_text(d), "belongs to another sweep");
    m2 = m;
    m2.run_first = 1;
    m2.run_count = 9;
    wd_diags_clear(d);
    assert_int_equal(sweep_journal_open(&m2, out, true, d, &j), WD_E_ARG);
    assert_contains(wd_diags_text(d), "another shard");
    /* done: removed */
    assert_int_equal(sweep_journal_open(&m, out, true, d, &j), WD_OK);
    assert_int_equal(sweep_journal_ndone(j), 3);
    sweep_journal_close(j, true);
    assert_int_not_equal(stat(jp, &st), 0);
    wd_buf_free(&b);
    wd_xfree(jp);
    wd_diags_free(d);
}

/* ---- statistics and indices -------------------------------------------------------------------- */

static void test_stats(void **state)
{
    (void)state;
    double x[102], s[SWEEP_NSTATS];
    for (int i = 0; i < 100; i++)
        x[i] = 100 - i; /* 100 .. 1, unsorted */
    x[100] = NAN;
    x[101] = INFINITY; /* left out */
    sweep_stats(x, 102, s);
    assert_close(s[0], 50.5, 0, 1e-12);
    assert_close(s[1], sqrt(100.0 * 101 / 12), 1e-12, 0); /* sd of 1..n: sqrt(n(n+1)/12) */
    assert_close(s[2], 1 + 0.05 * 99, 1e-12, 0);          /* linear interpolation at (n-1)p */
    assert_close(s[3], 50.5, 1e-12, 0);
    assert_close(s[4], 1 + 0.95 * 99, 1e-12, 0);
    double none[2] = {NAN, NAN};
    sweep_stats(none, 2, s);
    assert_true(isnan(s[0]) && isnan(s[4]));
}

/* A Saltelli sweep of 3 parameters and 2 metrics with `samples` base
 * samples (5 runs each), 100 bootstrap resamples at 95%. */
static void saltelli_meta(sweep_meta *m, uint64_t samples, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->design = SCN_SALTELLI;
    m->samples = samples;
    m->seed = seed;
    m->resamples = 100;
    m->confidence = 0.95;
    m->nparams = 3;
    m->nmetrics = 2;
    m->nruns = m->run_count = m->samples * 5;
}

/* f = x1 + 2 x2 + 0 x3 on the unit cube: V = 1/12 + 4/12, so S1 = ST =
 * (0.2, 0.8, 0) exactly; the Saltelli/Jansen estimators recover them. */
static void test_sobol_indices_additive(void **state)
{
    (void)state;
    sweep_meta m;
    saltelli_meta(&m, 4096, 1);
    design d;
    sweep_meta_design(&m, &d);
    double *u = wd_xmalloc(m.nruns * 3 * sizeof *u), *y = wd_xmalloc(m.nruns * 2 * sizeof *y);
    assert_int_equal(design_unit(&d, 0, m.nruns, u), WD_OK);
    for (uint64_t i = 0; i < m.nruns; i++) {
        y[i * 2] = u[i * 3] + 2 * u[i * 3 + 1];
        y[i * 2 + 1] = i % 5 == 2 ? NAN : 1.0; /* a constant with failed runs: no variance */
    }
    sweep_indices ix;
    assert_int_equal(sweep_indices_compute(&m, u, y, &ix), WD_OK);
    assert_true(ix.saltelli);
    const double s[3] = {0.2, 0.8, 0};
    for (int i = 0; i < 3; i++) {
        assert_close(ix.s1[i], s[i], 0, 0.01);
        assert_close(ix.st[i], s[i], 0, 0.01);
        assert_true(ix.s1_conf[i] >= 0 && ix.s1_conf[i] < 0.1);
    }
    assert_int_equal(ix.used[0], 4096);
    assert_int_equal(ix.used[1], 0); /* every base sample has a failed run */
    assert_true(isnan(ix.s1[3]));
    sweep_indices_free(&ix);
    wd_xfree(u);
    wd_xfree(y);
}

/* Indices do not depend on an added constant: f + 1e4 (mean 15,000 times
 * the spread, like a cumulative total a sweep barely moves) gives the
 * indices of f. Uncentred, S1 of the shifted output had intervals of +-5. */
static void test_sobol_indices_shift(void **state)
{
    (void)state;
    sweep_meta m;
    saltelli_meta(&m, 1024, 7);
    design d;
    sweep_meta_design(&m, &d);
    double *u = wd_xmalloc(m.nruns * 3 * sizeof *u), *y = wd_xmalloc(m.nruns * 2 * sizeof *y);
    assert_int_equal(design_unit(&d, 0, m.nruns, u), WD_OK);
    for (uint64_t i = 0; i < m.nruns; i++) {
        y[i * 2] = u[i * 3] + 2 * u[i * 3 + 1];
        y[i * 2 + 1] = y[i * 2] + 1e4;
    }
    sweep_indices ix;
    assert_int_equal(sweep_indices_compute(&m, u, y, &ix), WD_OK);
    const double s[3] = {0.2, 0.8, 0};
    for (int i = 0; i < 3; i++) {
        assert_close(ix.s1[3 + i], ix.s1[i], 0, 1e-8);
        assert_close(ix.st[3 + i], ix.st[i], 0, 1e-8);
        assert_close(ix.s1[3 + i], s[i], 0, 0.03);
        assert_true(ix.s1_conf[3 + i] < 0.1);
    }
    sweep_indices_free(&ix);
    wd_xfree(u);
    wd_xfree(y);
}

/* ---- the library API ---------------------------------------------------------------------------- */

static uint64_t file_runs_ok(const char *path, double *sum)
{
    wd_diags *d = wd_diags_new();
    sweep_h5 *h;
    assert_int_equal(sweep_h5_open(path, d, &h), WD_OK);
    const sweep_meta *m = sweep_h5_meta(h);
    sweep_source src = sweep_h5_source(h);
    wd_buf b = {0};
    uint64_t ok = 0;
    *sum = 0;
    for (uint64_t i = 0; i < m->run_count; i++) {
        sweep_rec r;
        assert_true(src.get(src.ctx, i, &b, &r));
        double v[6];
        sweep_rec_doubles(r.metrics, 6, v);
        ok += r.status == SWEEP_OK;
        if (r.status == SWEEP_OK)
            *sum += v[0] * (double)(i + 1); /* order matters */
    }
    wd_buf_free(&b);
    sweep_h5_close(h);
    wd_diags_free(d);
    return ok;
}

static void test_api_threads(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_scenario *s;
    if (wd_scenario_load("tests/sweeps/regions.cfg", d, &s) != WD_OK) {
        printf("tests/sweeps/regions.cfg not found (run from the repository root); skipping\n");
        wd_diags_free(d);
        return;
    }
    double sums[2];
    uint64_t oks[2];
    for (int k = 0; k < 2; k++) {
        char out[256];
        snprintf(out, sizeof out, "%s/wandel-test-api-%d-%d.h5", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                 (int)getpid(), k);
        wd_sweep_opts o;
        wd_sweep_opts_init(&o);
        o.threads = k ? 3 : 1;
        wd_sweep *sw;
        assert_int_equal(wd_sweep_prepare(s, &o, d, &sw), WD_OK);
        assert_int_equal(wd_sweep_nruns(sw), 60);
        wd_sweep_report rep;
        if (wd_sweep_exec(sw, out, &o, &rep, d) != WD_OK)
            fail_msg("%s", wd_diags_text(d));
        assert_int_equal(rep.runs, 60);
        assert_int_equal(rep.ok + rep.failed, 60);
        assert_int_equal(rep.workers, o.threads);
        oks[k] = file_runs_ok(out, &sums[k]);
        assert_int_equal(oks[k], rep.ok);
        wd_sweep_free(sw);
        unlink(out);
    }
    assert_int_equal(oks[0], oks[1]);
    assert_true(sums[0] == sums[1]);
    wd_scenario_free(s);
    wd_diags_free(d);
}

/* Running out of memory at any point of preparing a sweep (the allocator's
 * failure injection) stops it with an error, without a crash or a leak
 * (which the sanitizer and valgrind runs of this test would report). The
 * status is mostly WD_E_NOMEM; where a failed allocation made a name lookup
 * fail, or left no room for the message, it is the lookup's error. */
static void test_alloc_failures(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_scenario *s = NULL;
    if (wd_scenario_load("tests/sweeps/regions.cfg", d, &s) != WD_OK) {
        printf("tests/sweeps/regions.cfg not found; skipping\n");
        wd_diags_free(d);
        return;
    }
    long n;
    for (n = 0; n < 200000; n++) {
        wd_sweep *sw = NULL;
        wd_diags_clear(d);
        wd_alloc_fail_after(n);
        wd_status st = sweep_prepare(s, 0, 1, d, &sw);
        wd_alloc_fail_after(-1);
        wd_sweep_free(sw);
        if (st == WD_OK)
            break;
        if (st != WD_E_NOMEM && st != WD_E_ARG && st != WD_E_IO && st != WD_E_SEMANTIC)
            fail_msg("allocation %ld: status %d\n%s", n, st, wd_diags_text(d));
    }
    assert_true(n < 200000);
    wd_scenario_free(s);
    wd_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_values),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_spec_layers),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_journal),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_sobol_indices_additive),
        cmocka_unit_test(test_sobol_indices_shift),
        cmocka_unit_test(test_api_threads),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests_name("sweep", tests, NULL, NULL);
}
