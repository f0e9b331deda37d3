/* run_internal.h: the state of one run (wd_run) and what the VM and the
 * integrators share about it.
 *
 * A run owns its value array, the pipelines of DELAY FIXED, its inputs and
 * random generator, and the saved results; the program it runs is shared
 * and never written, so runs on different threads need no locks.
 */
#ifndef WD_RUN_INTERNAL_H
#define WD_RUN_INTERNAL_H

#include "program.h"

/* A DELAY FIXED pipeline. Fixed-step runs: len values, the oldest at head,
 * moved on one TIME STEP at a time. Adaptive runs (history): the input's
 * values at the times it was pushed (ht, hx from hstart to hn), read back at
 * t - delay by linear interpolation, init before the first point. */
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

/* Helpers run.c offers the integrators. */
void run_set_time(wd_run *r, double t, double ts, double th);
/* Evaluates rhs (and checks the derivatives): WD_OK or WD_E_NUMERIC with
 * the culprit reported. */
wd_status run_rhs(wd_run *r, wd_diags *d);
/* out code + a row of results at the current time. */
wd_status run_save(wd_run *r, wd_diags *d);
/* Discrete updates after a step. */
void run_update(wd_run *r);
/* Checks stocks after a step; reports overflow. */
wd_status run_check_states(wd_run *r, wd_diags *d);
/* Sorted breakpoint times within [t0, t1] (caller frees). */
double *run_breakpoints(wd_run *r, size_t *n);

#endif
