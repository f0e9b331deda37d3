/* run_internal.h: the state of one run (wd_run) and what the VM and the
 * integrators share about it.
 *
 * A run owns its value array, the pipelines of DELAY FIXED, its inputs and
 * random generator, and the saved results; the program it runs is shared
 * and never written, so runs on different threads need no locks.
 */
#ifndef WD_RUN_INTERNAL_H
#define WD_RUN_INTERNAL_H

#include "native.h"
#include "program.h"

/* A DELAY FIXED pipeline. Fixed-step runs: len values, the oldest at head,
 * moved on one TIME STEP at a time. Adaptive runs (history): the input's
 * values at the times it was pushed (ht, hx from hstart to hn), read back at
 * t - delay by linear interpolation, init before the first point. */
#include <string.h>

/* A DELAY FIXED pipeline: len values, the oldest at head. */
typedef struct pipe_t {
    double *buf;
    uint32_t len, head;
    bool history;
    double delay, init;
    double *ht, *hx;
    size_t hstart, hn, hcap;
} pipe_t;

/* (Re)creates a pipeline for a delay of `delay` at time step dt, filled with
 * init: its length is the delay in steps, rounded, at least one. With
 * history, an empty history of the input instead. */
bool pipe_init(pipe_t *p, double delay, double init, double dt, bool history);
/* The pipeline's output at time t. */
double pipe_read(const pipe_t *p, double t);
/* Takes in x at time t (history) or moves on one step (fixed). False when
 * out of memory. */
bool pipe_push(pipe_t *p, double t, double x);

/* A run input: a series of points (one point = a constant). */
typedef struct run_series {
    size_t n;
    double *t, *v;
    int interp; /* 0 linear, 1 step */
    bool set;
} run_series;

typedef struct run_inputs {
    size_t n;
    run_series *s;
} run_inputs;

double run_input_value(const run_inputs *in, uint32_t input, uint32_t elem, double t);

typedef struct const_override {
    uint32_t slot;
    double value;
} const_override;

struct wd_run {
    const wd_program *p;
    double *v;
    VEC(const_override) overrides;
    run_inputs inputs;
    pipe_t *pipes;
    void *rng;            /* gsl_rng * */
    unsigned long seed;
    vm_ctx cx;
    const native_code *native; /* the native engine for this run, or NULL: the VM */
    /* control values of this run */
    double t0, t1, dt, saveper;
    bool fixed_t1, fixed_dt, fixed_saveper; /* given by the caller, not the model */
    wd_method method;
    double rtol, atol, hmax;
    size_t rhs_evals;
    /* results */
    size_t nsaved, cap;
    double *times;
    double *rows;         /* nsaved x p->ncols */
    bool complete;
    /* integrator work space */
    double *work;
};

/* Integration (integrate.c): from the state after init to the final time,
 * saving through run_save. */
wd_status integrate_fixed(wd_run *r, wd_diags *d);
wd_status integrate_gsl(wd_run *r, wd_diags *d);
wd_status integrate_dynamic_control(wd_run *r, wd_diags *d);

/* Runs a segment (NSEG_RHS, NSEG_OUT, NSEG_UPDATE) with the run's engine:
 * native code, or the VM on the segment with superinstructions. */
static inline void run_segment(wd_run *r, int seg)
{
    if (r->native)
        r->native->fn[seg](r->v, &r->cx, &r->native->env);
    else
        vm_exec(&r->cx, &r->p->fused[seg]);
}

/* Helpers run.c offers the integrators. */
static inline void run_set_time(wd_run *r, double t, double ts, double th)
{
    r->v[SLOT_TIME] = t;
    r->v[SLOT_TS] = ts;
    r->v[SLOT_TH] = th;
}
/* dst[0..n) = src[0..n): a plain loop for the few values of small models,
 * where a call to memcpy would cost more than the copy. */
static inline void run_copy(double *restrict dst, const double *restrict src, size_t n)
{
    if (n > 16) {
        memcpy(dst, src, n * sizeof(double));
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i];
    }
}
/* x - x is 0 for a finite x and NaN otherwise, and NaN survives addition:
 * a branch-free test in four independent sums. */
static inline bool run_all_finite(const double *x, size_t n)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a0 += x[i] - x[i];
        a1 += x[i + 1] - x[i + 1];
        a2 += x[i + 2] - x[i + 2];
        a3 += x[i + 3] - x[i + 3];
    }
    for (; i < n; i++)
        a0 += x[i] - x[i];
    double s = a0 + a1 + a2 + a3;
    return s == s;
}

/* The slow paths of run_rhs and run_check_states (run.c): find and report
 * what went wrong. */
wd_status run_rhs_fault(wd_run *r, wd_diags *d);
wd_status run_check_states_fault(wd_run *r, wd_diags *d);

/* Evaluates rhs (and checks the derivatives): WD_OK or WD_E_NUMERIC with
 * the culprit reported. */
static inline wd_status run_rhs(wd_run *r, wd_diags *d)
{
    const wd_program *p = r->p;
    run_segment(r, NSEG_RHS);
    r->rhs_evals++;
    if (r->cx.fault || !run_all_finite(r->v + p->deriv_first, p->nstates))
        return run_rhs_fault(r, d);
    return WD_OK;
}
/* out code + a row of results at the current time. */
wd_status run_save(wd_run *r, wd_diags *d);
/* Discrete updates after a step. */
static inline void run_update(wd_run *r)
{
    if (r->p->update.n > 1) /* more than HALT */
        run_segment(r, NSEG_UPDATE);
}
/* Checks stocks after a step; reports overflow. */
static inline wd_status run_check_states(wd_run *r, wd_diags *d)
{
    const wd_program *p = r->p;
    return run_all_finite(r->v + p->state_first, p->nstates) ? WD_OK : run_check_states_fault(r, d);
}
/* Sorted breakpoint times within [t0, t1] (caller frees). */
double *run_breakpoints(wd_run *r, size_t *n);

#endif
