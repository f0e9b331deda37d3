/* test_run.c: integration against closed-form solutions, convergence
 * orders, breakpoints, numerical faults, overrides and inputs, and runs of
 * one program on several threads. */
#include "testutil.h"

#include "util.h"
#include "wandel.h"

#include <math.h>
#include <pthread.h>
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

static void sim_load_file(sim *s, const char *path, const char *const *inputs, size_t ninputs)
{
    memset(s, 0, sizeof *s);
    s->d = wd_diags_new();
    wd_compile_opts co = {inputs, ninputs, WD_ENGINE_AUTO};
    if (wd_model_load(path, s->d, &s->m) != WD_OK || wd_program_compile(s->m, &co, s->d, &s->p) != WD_OK ||
        wd_run_new(s->p, &s->r) != WD_OK)
        fail_msg("%s", wd_diags_text(s->d));
}

static void sim_load(sim *s, const char *text, const char *const *inputs, size_t ninputs)
{
    memset(s, 0, sizeof *s);
    s->d = wd_diags_new();
    wd_compile_opts co = {inputs, ninputs, WD_ENGINE_AUTO};
    if (wd_model_from_string(text, "t.mdl", s->d, &s->m) != WD_OK ||
        wd_program_compile(s->m, &co, s->d, &s->p) != WD_OK || wd_run_new(s->p, &s->r) != WD_OK)
        fail_msg("%s", wd_diags_text(s->d));
}

static wd_status sim_exec(sim *s, wd_method method, double rtol, double dt)
{
    wd_run_opts o;
    wd_run_opts_init(&o);
    o.method = method;
    o.rtol = rtol;
    o.atol = rtol;
    if (dt > 0) {
        o.time_step = dt;
        o.saveper = dt;
    }
    return wd_run_exec(s->r, &o, s->d);
}

static double value_at(const sim *s, const char *name, double t)
{
    size_t col = wd_run_col_find(s->r, name);
    assert_true(col != (size_t)-1);
    const double *times = wd_run_times(s->r);
    for (size_t k = 0; k < wd_run_nsaved(s->r); k++)
        if (fabs(times[k] - t) < 1e-9)
            return wd_run_value(s->r, k, col);
    fail_msg("no saved time %g", t);
    return NAN;
}

/* ---- closed forms -------------------------------------------------------------- */

static double teacup_exact(double t) { return 70 + 110 * exp(-t / 10); }

static void test_teacup_rkf45(void **state)
{
    (void)state;
    sim s;
    sim_load_file(&s, "tests/models/teacup.mdl", NULL, 0);
    assert_int_equal(sim_exec(&s, WD_RKF45, 1e-8, 0), WD_OK);
    size_t col = wd_run_col_find(s.r, "Teacup Temperature");
    double worst = 0;
    assert_int_equal(wd_run_nsaved(s.r), 241); /* 0, 0.125, ..., 30 */
    for (size_t k = 0; k < wd_run_nsaved(s.r); k++) {
        double t = wd_run_times(s.r)[k];
        assert_close(t, 0.125 * (double)k, 0, 1e-12); /* exactly t0 + k*saveper */
        worst = fmax(worst, fabs(wd_run_value(s.r, k, col) - teacup_exact(t)));
    }
    print_message("teacup rkf45 rtol 1e-8: largest error %.3g\n", worst);
    assert_true(worst <= 1e-5);
    sim_free(&s);
}

/* Error at t = 30 for a sequence of halving steps; returns the observed
 * order log2(e(h)/e(h/2)) of the last pair and checks all pairs. */
static double observed_order(wd_method method, const double *steps, int n)
{
    double err[8];
    for (int i = 0; i < n; i++) {
        sim s;
        sim_load_file(&s, "tests/models/teacup.mdl", NULL, 0);
        assert_int_equal(sim_exec(&s, method, 0, steps[i]), WD_OK);
        err[i] = fabs(value_at(&s, "Teacup Temperature", 30) - teacup_exact(30));
        sim_free(&s);
    }
    double order = 0;
    for (int i = 0; i + 1 < n; i++) {
        order = log2(err[i] / err[i + 1]);
        print_message("%s h=%g error %.3e, order %.3f\n", wd_method_name(method), steps[i + 1], err[i + 1], order);
    }
    return order;
}

static void test_convergence_orders(void **state)
{
    (void)state;
    const double euler_steps[] = {0.5, 0.25, 0.125, 0.0625, 0.03125};
    double p = observed_order(WD_EULER, euler_steps, 5);
    assert_true(fabs(p - 1) <= 0.1);
    const double rk4_steps[] = {2, 1, 0.5, 0.25};
    p = observed_order(WD_RK4, rk4_steps, 4);
    assert_true(fabs(p - 4) <= 0.3);
    const double rk2_steps[] = {1, 0.5, 0.25, 0.125};
    p = observed_order(WD_RK2, rk2_steps, 4);
    assert_true(fabs(p - 2) <= 0.2);
}

static const char *pulse_model =
    "s = INTEG(-s / 10 + 100 * PULSE(5, 0.05), 1) ~~|\n"
    "ramped = INTEG(RAMP(2, 3, 4) + STEP(10, 7.3), 0) ~~|\n"
    "FINAL TIME = 10 ~~|\nINITIAL TIME = 0 ~~|\nTIME STEP = 0.5 ~~|\nSAVEPER = 1 ~~|\n";

/* s' = -s/10 + 100 on [5, 5.05), s(0) = 1. */
static double pulse_exact(double t)
{
    double s5 = exp(-0.5);
    if (t <= 5)
        return exp(-t / 10);
    double te = fmin(t, 5.05);
    double s = 1000 + (s5 - 1000) * exp(-(te - 5) / 10);
    return s * exp(-(t - te) / 10);
}

static void test_pulse_inside_adaptive_run(void **state)
{
    (void)state;
    const wd_method methods[] = {WD_RKF45, WD_RKCK, WD_RK8PD, WD_MSBDF, WD_RK4IMP};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        sim s;
        sim_load(&s, pulse_model, NULL, 0);
        assert_int_equal(sim_exec(&s, methods[i], methods[i] == WD_RK4IMP ? 1e-9 : 1e-10, 0), WD_OK);
        double got = value_at(&s, "s", 10), want = pulse_exact(10);
        print_message("pulse with %s: %.12g vs %.12g\n", wd_method_name(methods[i]), got, want);
        assert_close(got, want, 0, 1e-6);
        /* a RAMP of slope 2 from 3 to 4 (area 1, then 2 a year for 6 years)
         * and a STEP of 10 at 7.3 (area 27) */
        assert_close(value_at(&s, "ramped", 10), 1 + 12 + 27, 0, 1e-6);
        sim_free(&s);
    }
}

/* ---- faults ---------------------------------------------------------------------- */

static void test_numeric_fault(void **state)
{
    (void)state;
    sim s;
    sim_load(&s,
             "s = INTEG(rate, 0) ~~|\n"
             "rate = 1 / (Time - 3) ~~|\n"
             "FINAL TIME = 10 ~~|\nINITIAL TIME = 0 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n",
             NULL, 0);
    assert_int_equal(sim_exec(&s, WD_EULER, 0, 0), WD_E_NUMERIC);
    const char *msg = wd_diags_text(s.d);
    assert_contains(msg, "t.mdl:2:1: error: at Time = 3 (method euler): 'rate' is not a finite number: division by zero");
    assert_contains(msg, "ZIDZ");
    /* results up to the last good save point are kept, marked incomplete */
    assert_int_equal(wd_run_nsaved(s.r), 3);
    assert_false(wd_run_complete(s.r));
    sim_free(&s);

    sim_load(&s,
             "s = INTEG(s * s, 1) ~~|\n"
             "FINAL TIME = 10 ~~|\nINITIAL TIME = 0 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n",
             NULL, 0);
    assert_int_equal(sim_exec(&s, WD_EULER, 0, 0), WD_E_NUMERIC);
    assert_contains(wd_diags_text(s.d), "at Time = 10 (method euler): 's' is not a finite number: overflow");
    assert_contains(wd_diags_text(s.d), "smaller TIME STEP");
    sim_free(&s);

    sim_load(&s,
             "s = INTEG(SQRT(Time - 2.5), 0) ~~|\n"
             "FINAL TIME = 10 ~~|\nINITIAL TIME = 0 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n",
             NULL, 0);
    assert_int_equal(sim_exec(&s, WD_RKF45, 1e-6, 0), WD_E_NUMERIC);
    assert_contains(wd_diags_text(s.d), "square root of a negative number");
    sim_free(&s);
}

/* ---- overrides and inputs --------------------------------------------------------------- */

static void test_overrides_and_inputs(void **state)
{
    (void)state;
    const char *model = "region: Ruhr, Ostrava ~~|\n"
                        "rate[region] = 0.1, 0.2 ~~|\n"
                        "price = 10 + Time ~~|\n"
                        "x[region] = INTEG(rate[region] * price, 0) ~~|\n"
                        "FINAL TIME = 4 ~~|\nINITIAL TIME = 0 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n";
    const char *inputs[] = {"price"};
    sim s;
    sim_load(&s, model, inputs, 1);
    /* a constant element and a step series for a computed variable */
    assert_int_equal(wd_run_set(s.r, "rate[Ostrava]", 0.5, s.d), WD_OK);
    const double t[] = {0, 2}, v[] = {1, 3};
    assert_int_equal(wd_run_set_series(s.r, "price", 2, t, v, 1, s.d), WD_OK);
    assert_int_equal(sim_exec(&s, WD_EULER, 0, 0), WD_OK);
    /* Euler: x(4) = rate * (1 + 1 + 3 + 3) */
    assert_close(value_at(&s, "x[Ruhr]", 4), 0.1 * 8, 1e-12, 0);
    assert_close(value_at(&s, "x[Ostrava]", 4), 0.5 * 8, 1e-12, 0);
    /* an adaptive run stops at the series' switch: exact area 1*2 + 3*2 */
    assert_int_equal(sim_exec(&s, WD_RKF45, 1e-10, 0), WD_OK);
    assert_close(value_at(&s, "x[Ruhr]", 4), 0.1 * 8, 1e-8, 0);
    /* errors: unknown names with suggestions, computed variables */
    assert_int_equal(wd_run_set(s.r, "rates", 1, s.d), WD_E_ARG);
    assert_contains(wd_diags_text(s.d), "unknown variable 'rates' (did you mean 'rate'?)");
    assert_int_equal(wd_run_set(s.r, "x", 1, s.d), WD_E_ARG);
    assert_int_equal(wd_run_set(s.r, "rate[Essen]", 1, s.d), WD_E_ARG);
    sim_free(&s);
}

/* ---- threads --------------------------------------------------------------------------- */

typedef struct job {
    const wd_program *p;
    double rate;
    double result;
    int status;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    wd_run *r = NULL;
    wd_diags *d = wd_diags_new();
    j->status = wd_run_new(j->p, &r);
    char set[64];
    snprintf(set, sizeof set, "Characteristic Time");
    if (j->status == WD_OK)
        j->status = wd_run_set(r, set, j->rate, d);
    wd_run_opts o;
    wd_run_opts_init(&o);
    o.method = WD_RK4;
    if (j->status == WD_OK)
        j->status = wd_run_exec(r, &o, d);
    if (j->status == WD_OK)
        j->result = wd_run_value(r, wd_run_nsaved(r) - 1, wd_run_col_find(r, "Teacup Temperature"));
    wd_run_free(r);
    wd_diags_free(d);
    return NULL;
}

static void test_runs_share_a_program(void **state)
{
    (void)state;
    sim s;
    sim_load_file(&s, "tests/models/teacup.mdl", NULL, 0);
    job jobs[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        jobs[i] = (job){s.p, 5.0 + i, NAN, -1};
        pthread_create(&th[i], NULL, run_job, &jobs[i]);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(jobs[i].status, WD_OK);
        job again = {s.p, 5.0 + i, NAN, -1};
        run_job(&again);
        assert_true(again.result == jobs[i].result); /* bit for bit */
        assert_close(jobs[i].result, 70 + 110 * exp(-30 / (5.0 + i)), 1e-6, 0);
    }
    sim_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_teacup_rkf45),
        cmocka_unit_test(test_convergence_orders),
        cmocka_unit_test(test_pulse_inside_adaptive_run),
        cmocka_unit_test(test_numeric_fault),
        cmocka_unit_test(test_overrides_and_inputs),
        cmocka_unit_test(test_runs_share_a_program),
    };
    return cmocka_run_group_tests_name("run", tests, NULL, NULL);
}
