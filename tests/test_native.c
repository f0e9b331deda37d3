/* test_native.c: the native engine (native.c): results bit-identical to the
 * VM's on a model that uses arrays, reductions, lookups, fused loops and
 * instructions that fall back to the VM; numerical faults reported alike;
 * the cache (reuse without a compiler, refusal of a directory others can
 * write); the engine choices of wd_compile_opts and wd_run_opts; runs of
 * one native program on several threads.
 *
 * Each test uses a fresh cache directory, so every build here is real. When
 * no C compiler is available the tests that need one say "skipping".
 */
#include "testutil.h"

#include "native.h"
#include "util.h"
#include "wandel.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Exercises what native.c writes out (element-wise scalar and vector forms,
 * broadcasts, gathers, scatters, SUM, a lookup, fusable runs) and what it
 * hands to the VM (LOOKUP INVERT, PULSE TRAIN, DELAY FIXED, SAMPLE IF TRUE). */
static const char *model =
    "{UTF-8}\n"
    "Region: north, south, east ~~|\n"
    "Age: (a1-a4) ~~|\n"
    "Younger: (a1-a3) -> Older ~~|\n"
    "Older: (a2-a4) ~~|\n"
    "people[Region,Age] = INTEG(births[Region,Age] + ageing in[Region,Age] - ageing out[Region,Age]"
    " - deaths[Region,Age], 100 * share[Age]) ~~|\n"
    "ageing out[Region,Age] = people[Region,Age] / width ~~|\n"
    "ageing in[Region,a1] = 0 ~~|\n"
    "ageing in[Region,Older] = ageing out[Region,Younger] ~~|\n"
    "deaths[Region,Age] = people[Region,Age] * mortality[Age] * (1 + 0.1 * SIN(Time)) ~~|\n"
    "births[Region,Age] = IF THEN ELSE(Age = 1, fertility[Region] * total[Region]"
    " * effect(crowding[Region]), 0) ~~|\n"
    "total[Region] = SUM(people[Region,Age!]) ~~|\n"
    "crowding[Region] = total[Region] / capacity[Region] ~~|\n"
    "effect([(0,0)-(3,2)],(0,1.2),(1,1),(2,0.5),(3,0.2)) ~~|\n"
    "inverse = LOOKUP INVERT(effect, 0.8) ~~|\n"
    "pulses = PULSE TRAIN(2, 1, 5, 40) ~~|\n"
    "delayed = DELAY FIXED(total[north], 3, 100) ~~|\n"
    "held = SAMPLE IF TRUE(pulses > 0, total[south], 0) ~~|\n"
    "report = SQRT(total[east]) + MAX(0, MODULO(Time, 7)) + pulses + held + delayed ~~|\n"
    "share[Age] = 0.3, 0.3, 0.25, 0.15 ~~|\n"
    "mortality[Age] = 0.01, 0.01, 0.02, 0.08 ~~|\n"
    "fertility[Region] = 0.05, 0.06, 0.04 ~~|\n"
    "capacity[Region] = 120, 150, 90 ~~|\n"
    "width = 5 ~~|\n"
    "FINAL TIME = 40 ~~|\n"
    "INITIAL TIME = 0 ~~|\n"
    "SAVEPER = 0.5 ~~|\n"
    "TIME STEP = 0.125 ~~|\n";

static char cache[64];

/* A fresh private cache directory for each test. */
static int setup(void **state)
{
    (void)state;
    snprintf(cache, sizeof cache, "/tmp/wd-native-test-XXXXXX");
    if (!mkdtemp(cache))
        return -1;
    setenv("WANDEL_CACHE", cache, 1);
    unsetenv("WANDEL_CC");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
    return system(cmd) == 0 ? 0 : -1;
}

static wd_model *load(const char *text, wd_diags *d)
{
    wd_model *m = NULL;
    if (wd_model_from_string(text, "t.mdl", d, &m) != WD_OK)
        fail_msg("%s", wd_diags_text(d));
    return m;
}

/* Compiles for the native engine; NULL (after saying "skipping") when this
 * machine cannot build native code. */
static wd_program *compile_native(const wd_model *m, wd_diags *d)
{
    wd_compile_opts co = {NULL, 0, WD_ENGINE_NATIVE};
    wd_program *p = NULL;
    if (wd_program_compile(m, &co, d, &p) != WD_OK) {
        print_message("no native code here (%s): skipping\n", wd_diags_text(d));
        return NULL;
    }
    return p;
}

static wd_run *run(const wd_program *p, wd_method method, wd_engine engine, wd_status *st)
{
    wd_run *r = NULL;
    wd_diags *d = wd_diags_new();
    wd_run_opts o;
    wd_run_opts_init(&o);
    o.method = method;
    o.engine = engine;
    assert_int_equal(wd_run_new(p, &r), WD_OK);
    *st = wd_run_exec(r, &o, d);
    wd_diags_free(d);
    return r;
}

static bool same(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static void assert_runs_equal(const wd_run *a, const wd_run *b)
{
    assert_int_equal(wd_run_nsaved(a), wd_run_nsaved(b));
    assert_int_equal(wd_run_ncols(a), wd_run_ncols(b));
    assert_int_equal(wd_run_rhs_evals(a), wd_run_rhs_evals(b));
    for (size_t i = 0; i < wd_run_nsaved(a); i++) {
        assert_true(wd_run_times(a)[i] == wd_run_times(b)[i]);
        for (size_t c = 0; c < wd_run_ncols(a); c++)
            if (!same(wd_run_value(a, i, c), wd_run_value(b, i, c)))
                fail_msg("%s at t=%g: vm %.17g, native %.17g", wd_run_col_name(a, c), wd_run_times(a)[i],
                         wd_run_value(a, i, c), wd_run_value(b, i, c));
    }
}

static void test_same_results_as_vm(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_model *m = load(model, d);
    wd_program *p = compile_native(m, d);
    if (p) {
        assert_true(wd_program_has_native(p));
        assert_non_null(wd_program_native_path(p));
        assert_true(strncmp(wd_program_native_path(p), cache, strlen(cache)) == 0);
        /* the generated code fuses loops and hands some instructions to the VM */
        char *src = native_source(p);
        assert_contains(src, "fused");
        assert_contains(src, "env->fallback");
        wd_xfree(src);
        const wd_method methods[] = {WD_EULER, WD_RK4, WD_RKF45, WD_MSBDF};
        for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++) {
            wd_status s1, s2;
            wd_run *a = run(p, methods[k], WD_ENGINE_VM, &s1), *b = run(p, methods[k], WD_ENGINE_NATIVE, &s2);
            assert_int_equal(s1, WD_OK);
            assert_int_equal(s2, WD_OK);
            assert_int_equal(wd_run_engine(a), WD_ENGINE_VM);
            assert_int_equal(wd_run_engine(b), WD_ENGINE_NATIVE);
            assert_runs_equal(a, b);
            /* the default (auto) uses the native code the program carries */
            wd_run *c = run(p, methods[k], WD_ENGINE_AUTO, &s1);
            assert_int_equal(wd_run_engine(c), WD_ENGINE_NATIVE);
            wd_run_free(a);
            wd_run_free(b);
            wd_run_free(c);
        }
    }
    wd_program_free(p);
    wd_model_free(m);
    wd_diags_free(d);
}

static void test_fault_reported_alike(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_model *m = load("{UTF-8}\n"
                       "x = INTEG(1 / (5 - Time), 0) ~~|\n"
                       "FINAL TIME = 10 ~~|\nINITIAL TIME = 0 ~~|\nSAVEPER = 1 ~~|\nTIME STEP = 0.5 ~~|\n",
                       d);
    wd_program *p = compile_native(m, d);
    if (p) {
        const char *text[2];
        wd_diags *dd[2];
        size_t nsaved[2];
        for (int e = 0; e < 2; e++) {
            wd_run *r = NULL;
            dd[e] = wd_diags_new();
            wd_run_opts o;
            wd_run_opts_init(&o);
            o.engine = e ? WD_ENGINE_NATIVE : WD_ENGINE_VM;
            assert_int_equal(wd_run_new(p, &r), WD_OK);
            assert_int_equal(wd_run_exec(r, &o, dd[e]), WD_E_NUMERIC);
            assert_false(wd_run_complete(r));
            nsaved[e] = wd_run_nsaved(r);
            text[e] = wd_diags_text(dd[e]);
            wd_run_free(r);
        }
        assert_int_equal(nsaved[0], nsaved[1]);
        assert_contains(text[1], "division by zero");
        assert_string_equal(text[0], text[1]);
        wd_diags_free(dd[0]);
        wd_diags_free(dd[1]);
    }
    wd_program_free(p);
    wd_model_free(m);
    wd_diags_free(d);
}

/* A compiler that counts its calls: a script that appends a line to a file
 * and runs cc. */
static const char *counting_cc(char *calls, size_t len)
{
    static char script[128];
    snprintf(script, sizeof script, "%s/cc.sh", cache);
    snprintf(calls, len, "%s/calls", cache);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho call >> '%s'\nexec cc \"$@\"\n", calls);
    fclose(f);
    assert_int_equal(chmod(script, 0700), 0);
    return script;
}

static size_t count_lines(const char *path)
{
    size_t len, n = 0;
    char *text = wd_read_file(path, &len);
    for (size_t i = 0; text && i < len; i++)
        n += text[i] == '\n';
    wd_xfree(text);
    return n;
}

static void test_cache(void **state)
{
    (void)state;
    char calls[128];
    setenv("WANDEL_CC", counting_cc(calls, sizeof calls), 1);
    wd_diags *d = wd_diags_new();
    wd_model *m = load(model, d);
    wd_program *p = compile_native(m, d);
    if (p) {
        assert_int_equal(count_lines(calls), 1);
        char *path = wd_xstrdup(wd_program_native_path(p));
        wd_program_free(p);
        /* a second compile of the same program loads the cached object */
        wd_compile_opts co = {NULL, 0, WD_ENGINE_NATIVE};
        assert_int_equal(wd_program_compile(m, &co, d, &p), WD_OK);
        assert_string_equal(wd_program_native_path(p), path);
        wd_program_free(p);
        /* and so does auto, whatever the length of the run */
        co.engine = WD_ENGINE_AUTO;
        assert_int_equal(wd_program_compile(m, &co, d, &p), WD_OK);
        assert_true(wd_program_has_native(p));
        assert_int_equal(count_lines(calls), 1);
        /* a damaged object is rebuilt (unloaded first: it is mapped) */
        wd_program_free(p);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("not a shared object", f);
        fclose(f);
        co.engine = WD_ENGINE_NATIVE;
        assert_int_equal(wd_program_compile(m, &co, d, &p), WD_OK);
        assert_int_equal(count_lines(calls), 2);
        wd_xfree(path);
    }
    wd_program_free(p);
    wd_model_free(m);
    wd_diags_free(d);
}

static void test_no_compiler(void **state)
{
    (void)state;
    setenv("WANDEL_CC", "/nonexistent/cc", 1);
    wd_diags *d = wd_diags_new();
    wd_model *m = load(model, d);
    wd_program *p = NULL;
    wd_compile_opts co = {NULL, 0, WD_ENGINE_NATIVE};
    assert_int_equal(wd_program_compile(m, &co, d, &p), WD_E_UNSUPPORTED);
    assert_null(p);
    assert_contains(wd_diags_text(d), "cannot start the C compiler '/nonexistent/cc'");
    assert_contains(wd_diags_text(d), "WANDEL_CC");
    /* auto falls back to the VM without a word */
    wd_diags_clear(d);
    co.engine = WD_ENGINE_AUTO;
    assert_int_equal(wd_program_compile(m, &co, d, &p), WD_OK);
    assert_false(wd_program_has_native(p));
    assert_int_equal(wd_diags_count(d, WD_NOTE), 0);
    /* a run that insists on native code is told why not */
    wd_run *r = NULL;
    wd_run_opts o;
    wd_run_opts_init(&o);
    o.engine = WD_ENGINE_NATIVE;
    assert_int_equal(wd_run_new(p, &r), WD_OK);
    assert_int_equal(wd_run_exec(r, &o, d), WD_E_ARG);
    assert_contains(wd_diags_text(d), "no native code");
    /* a compiler that fails names itself and its message */
    wd_diags_clear(d);
    wd_program *q = NULL;
    co.engine = WD_ENGINE_NATIVE;
    setenv("WANDEL_CC", "false", 1);
    assert_int_equal(wd_program_compile(m, &co, d, &q), WD_E_UNSUPPORTED);
    assert_contains(wd_diags_text(d), "the C compiler 'false' failed");
    wd_run_free(r);
    wd_program_free(p);
    wd_model_free(m);
    wd_diags_free(d);
}

static void test_unsafe_cache_refused(void **state)
{
    (void)state;
    char dir[96];
    snprintf(dir, sizeof dir, "%s/open", cache);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0); /* others could plant code here */
    setenv("WANDEL_CACHE", dir, 1);
    wd_diags *d = wd_diags_new();
    wd_model *m = load(model, d);
    wd_program *p = NULL;
    wd_compile_opts co = {NULL, 0, WD_ENGINE_NATIVE};
    assert_int_equal(wd_program_compile(m, &co, d, &p), WD_E_UNSUPPORTED);
    assert_contains(wd_diags_text(d), "no private cache directory");
    assert_contains(wd_diags_text(d), dir);
    wd_model_free(m);
    wd_diags_free(d);
}

/* auto builds native code for a run long enough to repay it (here a
 * billion steps), and not for a short one. */
static void test_auto_choice(void **state)
{
    (void)state;
    const char *fmt = "{UTF-8}\nx = INTEG(-x / 10, 1) ~~|\nFINAL TIME = %s ~~|\nINITIAL TIME = 0 ~~|\n"
                      "SAVEPER = 1 ~~|\nTIME STEP = 1 ~~|\n";
    char text[300];
    wd_diags *d = wd_diags_new();
    snprintf(text, sizeof text, fmt, "10");
    wd_model *m = load(text, d);
    wd_program *p = NULL;
    assert_int_equal(wd_program_compile(m, NULL, d, &p), WD_OK);
    assert_false(wd_program_has_native(p));
    wd_program_free(p);
    wd_model_free(m);
    snprintf(text, sizeof text, fmt, "1e9");
    m = load(text, d);
    wd_program *q = compile_native(m, d); /* can this machine build at all? */
    if (q) {
        wd_program_free(q);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -f '%s'/*.so", cache);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(wd_program_compile(m, NULL, d, &p), WD_OK);
        assert_true(wd_program_has_native(p));
        wd_program_free(p);
    }
    wd_model_free(m);
    wd_diags_free(d);
}

typedef struct job {
    const wd_program *p;
    double result;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    wd_status st;
    wd_run *r = run(j->p, WD_RKF45, WD_ENGINE_NATIVE, &st);
    j->result = st == WD_OK ? wd_run_value(r, wd_run_nsaved(r) - 1, wd_run_col_find(r, "report")) : NAN;
    wd_run_free(r);
    return NULL;
}

static void test_threads_share_native_code(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_model *m = load(model, d);
    wd_program *p = compile_native(m, d);
    if (p) {
        job jobs[4];
        pthread_t th[4];
        for (int i = 0; i < 4; i++) {
            jobs[i] = (job){p, NAN};
            pthread_create(&th[i], NULL, run_job, &jobs[i]);
        }
        for (int i = 0; i < 4; i++)
            pthread_join(th[i], NULL);
        wd_status st;
        wd_run *r = run(p, WD_RKF45, WD_ENGINE_VM, &st);
        double want = wd_run_value(r, wd_run_nsaved(r) - 1, wd_run_col_find(r, "report"));
        for (int i = 0; i < 4; i++)
            assert_true(jobs[i].result == want);
        wd_run_free(r);
    }
    wd_program_free(p);
    wd_model_free(m);
    wd_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_results_as_vm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_reported_alike, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_compiler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_cache_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_share_native_code, setup, teardown),
    };
    return cmocka_run_group_tests_name("native", tests, NULL, NULL);
}
