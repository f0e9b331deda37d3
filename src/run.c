/* run.c: one run of a program: overrides and inputs, the initial state,
 * numerical fault diagnosis, saved results.
 *
 * Sits between the program (compile.c) and the integrators (integrate.c).
 * A run never writes its program, so many runs of one program can go on in
 * parallel threads.
 */
#include "run_internal.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vm_op_name(int op);

/* ---- options ----------------------------------------------------------------- */

void wd_run_opts_init(wd_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = WD_METHOD_DEFAULT;
    o->initial_time = o->final_time = o->time_step = o->saveper = NAN;
}

static const char *method_names[] = {"default", "euler", "rk2", "rk4", "rkf45", "rkck", "rk8pd", "msbdf", "rk4imp"};

const char *wd_method_name(wd_method m)
{
    return (unsigned)m < sizeof method_names / sizeof method_names[0] ? method_names[m] : "?";
}

wd_method wd_method_parse(const char *name)
{
    for (size_t i = 1; i < sizeof method_names / sizeof method_names[0]; i++)
        if (strcmp(name, method_names[i]) == 0)
            return (wd_method)i;
    return WD_METHOD_DEFAULT;
}

/* ---- pipes and inputs ------------------------------------------------------------ */

bool pipe_init(pipe_t *p, double delay, double init, double dt)
{
    double steps = dt > 0 ? floor(delay / dt + 0.5) : 1;
    if (!(steps >= 1))
        steps = 1;
    if (steps > 1e7)
        return false;
    uint32_t len = (uint32_t)steps;
    if (!p->buf || p->len != len) {
        double *nb = wd_xrealloc(p->buf, len * sizeof(double));
        if (!nb)
            return false;
        p->buf = nb;
    }
    p->len = len;
    p->head = 0;
    for (uint32_t i = 0; i < len; i++)
        p->buf[i] = init;
    return true;
}

double run_input_value(const run_inputs *in, uint32_t input, uint32_t elem, double t)
{
    (void)elem;
    if (!in || input >= in->n || !in->s[input].set)
        return NAN;
    const run_series *s = &in->s[input];
    if (s->n == 1 || t <= s->t[0])
        return s->v[0];
    if (t >= s->t[s->n - 1])
        return s->v[s->n - 1];
    size_t lo = 0, hi = s->n - 1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->t[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    if (s->interp == 1)
        return s->v[lo];
    return s->v[lo] + (t - s->t[lo]) * (s->v[hi] - s->v[lo]) / (s->t[hi] - s->t[lo]);
}

/* ---- construction ----------------------------------------------------------------- */

wd_status wd_run_new(const wd_program *p, wd_run **out)
{
    *out = NULL;
    wd_run *r = wd_xcalloc(1, sizeof *r);
    if (!r)
        return WD_E_NOMEM;
    r->p = p;
    r->v = wd_xmalloc((p->nslots + 1) * sizeof(double));
    r->pipes = wd_xcalloc(p->npipes + 1, sizeof(pipe_t));
    r->inputs.n = p->model->inputs.n;
    r->inputs.s = wd_xcalloc(r->inputs.n + 1, sizeof(run_series));
    if (!r->v || !r->pipes || !r->inputs.s) {
        wd_run_free(r);
        return WD_E_NOMEM;
    }
    memcpy(r->v, p->defaults, p->nslots * sizeof(double));
    r->cx.v = r->v;
    r->cx.p = p;
    r->cx.pipes = r->pipes;
    r->cx.inputs = &r->inputs;
    *out = r;
    return WD_OK;
}

static void free_results(wd_run *r)
{
    wd_xfree(r->times);
    wd_xfree(r->rows);
    r->times = r->rows = NULL;
    r->nsaved = r->cap = 0;
}

void wd_run_free(wd_run *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->pipes && i < r->p->npipes; i++)
        wd_xfree(r->pipes[i].buf);
    wd_xfree(r->pipes);
    for (size_t i = 0; i < r->inputs.n; i++) {
        wd_xfree(r->inputs.s[i].t);
        wd_xfree(r->inputs.s[i].v);
    }
    wd_xfree(r->inputs.s);
    if (r->rng)
        gsl_rng_free(r->rng);
    VEC_FREE(r->overrides);
    free_results(r);
    wd_xfree(r->work);
    wd_xfree(r->v);
    wd_xfree(r);
}

/* ---- setting values ------------------------------------------------------------------ */

static int find_input(const wd_model *m, int var, size_t flat)
{
    for (size_t i = 0; i < m->inputs.n; i++) {
        const input_t *in = &m->inputs.v[i];
        if (in->var == var && (flat == SIZE_MAX ? in->count == m->vars.v[var].nelems
                                                : flat >= in->flat_first && flat < in->flat_first + in->count))
            return (int)i;
    }
    return -1;
}

static wd_status unknown_name(const wd_model *m, const char *name, wd_diags *d)
{
    wd_buf b = {0};
    model_suggest(m, name, &b, 3);
    wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "unknown variable '%s'%s%s%s", name, b.n ? " (did you mean " : "",
                wd_buf_str(&b), b.n ? "?)" : "");
    wd_buf_free(&b);
    return WD_E_ARG;
}

wd_status wd_run_set(wd_run *r, const char *name, double value, wd_diags *d)
{
    const wd_model *m = r->p->model;
    int var;
    size_t flat;
    if (!model_find(m, name, &var, &flat))
        return unknown_name(m, name, d);
    int in = find_input(m, var, flat);
    if (in >= 0)
        return wd_run_set_series(r, name, 1, (double[]){0}, &value, 0, d);
    const var_t *v = &m->vars.v[var];
    size_t first = flat == SIZE_MAX ? 0 : flat, count = flat == SIZE_MAX ? v->nelems : 1;
    /* only elements defined by numbers can be overridden without recompiling */
    for (size_t j = 0; j < v->neqns; j++) {
        const eqn_t *e = &m->eqns.v[v->eqns[j]];
        for (size_t k = 0; k < e->npoints; k++)
            if (e->flat[k] >= first && e->flat[k] < first + count && e->kind != EK_NUMBERS) {
                wd_diag_add(d, WD_ERROR, v->loc, NULL,
                            "'%s' is computed by the model (line %d), not a constant; a scenario 'set' replaces its equation",
                            name, v->loc.line);
                return WD_E_ARG;
            }
    }
    /* A slot set again keeps one override (the last value): a sweep sets
     * the same constants on one run thousands of times. */
    for (size_t k = 0; k < count; k++) {
        const_override o = {r->p->var_slot[var] + (uint32_t)(first + k), value};
        size_t i = 0;
        while (i < r->overrides.n && r->overrides.v[i].slot != o.slot)
            i++;
        if (i < r->overrides.n)
            r->overrides.v[i].value = value;
        else if (!VEC_PUSH(r->overrides, o))
            return WD_E_NOMEM;
    }
    return WD_OK;
}

wd_status wd_run_set_series(wd_run *r, const char *name, size_t npoints, const double *times,
                            const double *values, int interp, wd_diags *d)
{
    const wd_model *m = r->p->model;
    int var;
    size_t flat;
    if (!model_find(m, name, &var, &flat))
        return unknown_name(m, name, d);
    int in = find_input(m, var, flat);
    if (in < 0) {
        wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL,
                    "'%s' was not compiled as an input; a time series can drive only inputs", name);
        return WD_E_ARG;
    }
    if (npoints == 0) {
        wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "the series for '%s' has no points", name);
        return WD_E_ARG;
    }
    for (size_t i = 0; i < npoints; i++)
        if (!isfinite(times[i]) || !isfinite(values[i]) || (i && !(times[i] > times[i - 1]))) {
            wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL,
                        "the series for '%s' needs finite values at strictly increasing times (point %zu)", name, i + 1);
            return WD_E_ARG;
        }
    run_series *s = &r->inputs.s[in];
    double *t = wd_xmalloc(npoints * sizeof(double)), *v = wd_xmalloc(npoints * sizeof(double));
    if (!t || !v) {
        wd_xfree(t);
        wd_xfree(v);
        return WD_E_NOMEM;
    }
    memcpy(t, times, npoints * sizeof(double));
    memcpy(v, values, npoints * sizeof(double));
    wd_xfree(s->t);
    wd_xfree(s->v);
    s->t = t;
    s->v = v;
    s->n = npoints;
    s->interp = interp;
    s->set = true;
    return WD_OK;
}

/* ---- evaluation helpers --------------------------------------------------------------- */

void run_set_time(wd_run *r, double t, double ts, double th)
{
    r->v[SLOT_TIME] = t;
    r->v[SLOT_TS] = ts;
    r->v[SLOT_TH] = th;
}

static const char *fault_kind(const vm_ins *I, const double *v)
{
    switch (I->op) {
    case OP_DIV:
    case OP_V_DIV:
        return "division by zero (use ZIDZ or XIDZ where a denominator can be 0)";
    case OP_SQRT:
    case OP_V_SQRT:
        return "square root of a negative number";
    case OP_LN:
    case OP_V_LN:
    case OP_LOG10:
    case OP_V_LOG10:
    case OP_LOGB:
    case OP_V_LOGB:
        return "logarithm of zero or a negative number";
    case OP_POW:
    case OP_V_POW:
        return "power out of range (overflow, or a negative base with a fractional exponent)";
    case OP_EXP:
    case OP_V_EXP:
        return "EXP overflowed";
    case OP_ASIN:
    case OP_V_ASIN:
    case OP_ACOS:
    case OP_V_ACOS:
        return "ARCSIN/ARCCOS of a value outside [-1, 1]";
    default:
        (void)v;
        return "overflow (values grow without bound: try a smaller TIME STEP, or a stiff method with "
               "--method msbdf)";
    }
}

/* x - x is 0 for a finite x and NaN otherwise, and NaN survives addition:
 * a branch-free test in four independent sums. */
static bool all_finite(const double *x, size_t n)
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

/* Re-runs a segment one instruction at a time to find the first that made
 * a finite input non-finite, and reports it. */
static void diagnose(wd_run *r, const vm_code *code, const char *what, wd_diags *d)
{
    const wd_program *p = r->p;
    const wd_model *m = p->model;
    double t = r->v[SLOT_TIME];
    for (size_t k = 0; k + 1 < code->n; k++) {
        vm_ins pair[2] = {code->ins[k], code->ins[code->n - 1]}; /* the instruction, then HALT */
        vm_code one = {pair, 2, 2};
        const vm_ins *I = &code->ins[k];
        vm_exec(&r->cx, &one);
        bool has_d = I->op != OP_SCATTER && I->op != OP_PIPE_INIT && I->op != OP_PIPE_PUSH;
        if (!has_d)
            continue;
        if (all_finite(r->v + I->d, I->n))
            continue;
        const char *vname = I->var >= 0 ? m->vars.v[I->var].raw : "an intermediate value";
        const var_t *vv = I->var >= 0 ? &m->vars.v[I->var] : NULL;
        wd_diag_add(d, WD_ERROR, vv ? vv->loc : (wd_loc){m->path, 0, 0},
                    vv && m->file ? wd_source_line(m->file->text, vv->loc.line) : NULL,
                    "at Time = %.10g (method %s): '%s' is not a finite number: %s", t, wd_method_name(r->method),
                    vname, fault_kind(I, r->v));
        return;
    }
    wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL,
                "at Time = %.10g (method %s): %s is not a finite number; the integration is unstable: try a smaller "
                "TIME STEP or a stiff method (--method msbdf)",
                t, wd_method_name(r->method), what);
}

wd_status run_rhs(wd_run *r, wd_diags *d)
{
    const wd_program *p = r->p;
    vm_exec(&r->cx, &p->rhs);
    r->rhs_evals++;
    if (r->cx.fault)
        return WD_E_NUMERIC;
    if (!all_finite(r->v + p->deriv_first, p->nstates)) {
        /* name the stock, then find where the value went wrong */
        const wd_model *m = p->model;
        for (size_t i = 0; i < p->nstates; i++) {
            if (isfinite(r->v[p->deriv_first + i]))
                continue;
            for (size_t v = 0; v < m->vars.n; v++) {
                uint32_t base = p->var_slot[v];
                if (m->vars.v[v].kind == VK_STOCK && p->state_first + i >= base &&
                    p->state_first + i < base + m->vars.v[v].nelems) {
                    wd_buf b = {0};
                    wd_buf_puts(&b, "the rate of ");
                    model_elem_name(m, (int)v, p->state_first + i - base, &b);
                    diagnose(r, &p->rhs, wd_buf_str(&b), d);
                    wd_buf_free(&b);
                    return WD_E_NUMERIC;
                }
            }
        }
        diagnose(r, &p->rhs, "a rate", d);
        return WD_E_NUMERIC;
    }
    return WD_OK;
}

wd_status run_check_states(wd_run *r, wd_diags *d)
{
    const wd_program *p = r->p;
    if (all_finite(r->v + p->state_first, p->nstates))
        return WD_OK;
    const wd_model *m = p->model;
    for (size_t v = 0; v < m->vars.n; v++) {
        const var_t *vv = &m->vars.v[v];
        if (vv->kind != VK_STOCK || all_finite(r->v + p->var_slot[v], vv->nelems))
            continue;
        wd_diag_add(d, WD_ERROR, vv->loc, m->file ? wd_source_line(m->file->text, vv->loc.line) : NULL,
                    "at Time = %.10g (method %s): stock '%s' overflowed; the integration is unstable: try a smaller "
                    "TIME STEP or a stiff method (--method msbdf)",
                    r->v[SLOT_TIME], wd_method_name(r->method), vv->raw);
        break;
    }
    return WD_E_NUMERIC;
}

wd_status run_save(wd_run *r, wd_diags *d)
{
    (void)d;
    const wd_program *p = r->p;
    vm_exec(&r->cx, &p->out);
    if (r->nsaved == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 64;
        double *nt = wd_xrealloc(r->times, ncap * sizeof(double));
        if (!nt)
            return WD_E_NOMEM;
        r->times = nt;
        double *nr = wd_xrealloc(r->rows, ncap * (p->ncols ? p->ncols : 1) * sizeof(double));
        if (!nr)
            return WD_E_NOMEM;
        r->rows = nr;
        r->cap = ncap;
    }
    r->times[r->nsaved] = r->v[SLOT_TIME];
    double *row = r->rows + r->nsaved * p->ncols;
    for (size_t c = 0; c < p->ncols; c++)
        row[c] = r->v[p->cols[c].slot];
    r->nsaved++;
    return WD_OK;
}

void run_update(wd_run *r)
{
    if (r->p->update.n)
        vm_exec(&r->cx, &r->p->update);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double *run_breakpoints(wd_run *r, size_t *n)
{
    const wd_program *p = r->p;
    const double *v = r->v;
    VEC(double) out = {0};
    double lo = r->t0, hi = r->t1;
#define ADD(x)                                                \
    do {                                                      \
        double x_ = (x);                                      \
        if (isfinite(x_) && x_ > lo && x_ < hi)               \
            VEC_PUSH(out, x_);                                \
    } while (0)
    for (size_t i = 0; i < p->nbps; i++) {
        const breakpoint_t *b = &p->bps[i];
        for (uint32_t k = 0; k < b->n; k++) {
            switch (b->kind) {
            case BP_AT:
                ADD(v[b->a + k]);
                break;
            case BP_PULSE: {
                double w = v[b->b + k] > 0 ? v[b->b + k] : r->dt;
                ADD(v[b->a + k]);
                ADD(v[b->a + k] + w);
                break;
            }
            case BP_PULSE_TRAIN: {
                double st = v[b->a + k], w = v[b->b + k] > 0 ? v[b->b + k] : r->dt, iv = v[b->c + k],
                       en = v[b->e + k];
                for (int j = 0; j < 100000; j++) {
                    double s = st + j * (iv > 0 ? iv : 0);
                    if (!(s <= en && s < hi))
                        break;
                    ADD(s);
                    ADD(fmin(s + w, en));
                    if (!(iv > 0))
                        break;
                }
                ADD(en);
                break;
            }
            case BP_TABLE: {
                const table_t *t = &p->model->tables.v[b->table];
                for (size_t j = 0; j < t->n; j++)
                    ADD(t->x[j]);
                break;
            }
            }
        }
    }
    for (size_t i = 0; i < r->inputs.n; i++)
        for (size_t j = 0; r->inputs.s[i].set && j < r->inputs.s[i].n; j++)
            ADD(r->inputs.s[i].t[j]);
#undef ADD
    if (out.n)
        qsort(out.v, out.n, sizeof(double), cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < out.n; i++)
        if (k == 0 || out.v[i] > out.v[k - 1])
            out.v[k++] = out.v[i];
    *n = k;
    return out.v;
}

/* ---- the run ---------------------------------------------------------------------------- */

static double control_value(const wd_run *r, int var)
{
    return var >= 0 ? r->v[r->p->var_slot[var]] : NAN;
}

/* Runs the init code with time t0 (twice: first to learn INITIAL TIME and
 * TIME STEP when they are computed). */
static void init_state(wd_run *r, double t0, double dt)
{
    const wd_program *p = r->p;
    memcpy(r->v, p->defaults, p->nslots * sizeof(double));
    for (size_t i = 0; i < r->overrides.n; i++)
        r->v[r->overrides.v[i].slot] = r->overrides.v[i].value;
    r->v[SLOT_DT] = dt;
    run_set_time(r, t0, t0 + dt / 2, t0);
    if (r->rng)
        gsl_rng_set(r->rng, r->seed);
    r->cx.fault = 0;
    vm_exec(&r->cx, &p->init);
}

wd_status wd_run_exec(wd_run *r, const wd_run_opts *opts, wd_diags *d)
{
    const wd_program *p = r->p;
    const wd_model *m = p->model;
    wd_run_opts defaults;
    if (!opts) {
        wd_run_opts_init(&defaults);
        opts = &defaults;
    }
    free_results(r);
    r->complete = false;
    r->rhs_evals = 0;
    r->method = opts->method != WD_METHOD_DEFAULT ? opts->method : m->method;
    r->rtol = opts->rtol > 0 ? opts->rtol : 1e-6;
    r->atol = opts->atol > 0 ? opts->atol : 1e-6;
    r->hmax = opts->hmax;
    r->seed = opts->seed;
    if (p->has_random && !r->rng) {
        r->rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (!r->rng)
            return WD_E_NOMEM;
        r->cx.rng = r->rng;
    }
    for (size_t i = 0; i < r->inputs.n; i++)
        if (!r->inputs.s[i].set) {
            wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL, "input '%s' was given no value",
                        m->inputs.v[i].name);
            return WD_E_ARG;
        }
    /* first pass: control values */
    init_state(r, isfinite(opts->initial_time) ? opts->initial_time : 0, 1);
    double t0 = isfinite(opts->initial_time) ? opts->initial_time : control_value(r, m->v_initial);
    double dt = isfinite(opts->time_step) ? opts->time_step : control_value(r, m->v_step);
    if (!isfinite(t0))
        t0 = 0;
    init_state(r, t0, isfinite(dt) ? dt : 1);
    if (r->cx.fault) {
        wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL,
                    "cannot set up a DELAY FIXED pipeline (its delay is not finite or longer than 10 million steps)");
        return WD_E_NUMERIC;
    }
    r->t0 = t0;
    r->t1 = isfinite(opts->final_time) ? opts->final_time : control_value(r, m->v_final);
    r->dt = isfinite(opts->time_step) ? opts->time_step : control_value(r, m->v_step);
    r->saveper = isfinite(opts->saveper) ? opts->saveper : control_value(r, m->v_saveper);
    if (!isfinite(r->saveper))
        r->saveper = r->dt;
    const char *bad = NULL;
    if (!isfinite(r->t1))
        bad = "FINAL TIME is not defined (set it in the model or with a scenario's time.stop)";
    else if (!(r->dt > 0) || !isfinite(r->dt))
        bad = "TIME STEP must be a positive number (model or scenario time.step)";
    else if (r->t1 < r->t0)
        bad = "FINAL TIME is before INITIAL TIME";
    else if (!(r->saveper > 0))
        bad = "SAVEPER must be positive";
    else if ((r->t1 - r->t0) / r->dt > 1e9)
        bad = "more than a billion time steps; TIME STEP is too small for this FINAL TIME";
    if (bad) {
        wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL, "%s", bad);
        return WD_E_ARG;
    }
    double nsave = floor((r->t1 - r->t0) / fmax(r->saveper, r->dt)) + 2;
    if (nsave * (double)(p->ncols + 1) * 8 > WD_MAX_OUTPUT_BYTES) {
        wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL,
                    "the results would take about %.3g GB (%.0f save points x %zu values), over the limit of %.0f GB; "
                    "raise SAVEPER or save fewer variables",
                    nsave * (double)(p->ncols + 1) * 8 / 1e9, nsave, p->ncols, WD_MAX_OUTPUT_BYTES / 1e9);
        return WD_E_LIMIT;
    }
    wd_status st;
    if (p->dynamic_control) {
        if (r->method != WD_EULER) {
            wd_diag_add(d, WD_WARNING, (wd_loc){m->path, 0, 0}, NULL,
                        "control variables change during the run: integrating with Euler");
            r->method = WD_EULER;
        }
        st = integrate_dynamic_control(r, d);
    } else if (r->method == WD_EULER || r->method == WD_RK2 || r->method == WD_RK4) {
        st = integrate_fixed(r, d);
    } else {
        st = integrate_gsl(r, d);
    }
    r->complete = st == WD_OK;
    return st;
}

/* ---- results ------------------------------------------------------------------------ */

int wd_run_complete(const wd_run *r) { return r->complete; }
wd_method wd_run_method(const wd_run *r) { return r->method; }
size_t wd_run_rhs_evals(const wd_run *r) { return r->rhs_evals; }
size_t wd_run_nsaved(const wd_run *r) { return r->nsaved; }
const double *wd_run_times(const wd_run *r) { return r->times; }
size_t wd_run_ncols(const wd_run *r) { return r->p->ncols; }

double wd_run_value(const wd_run *r, size_t save, size_t col)
{
    if (save >= r->nsaved || col >= r->p->ncols)
        return NAN;
    return r->rows[save * r->p->ncols + col];
}

const char *wd_run_col_name(const wd_run *r, size_t col)
{
    /* names are built on demand into a per-run cache would cost memory for
     * every run of a sweep; a static-per-thread buffer suffices for callers
     * that copy it at once */
    static _Thread_local char buf[1024];
    if (col >= r->p->ncols)
        return "";
    wd_buf b = {0};
    model_elem_name(r->p->model, r->p->cols[col].var, r->p->cols[col].flat, &b);
    snprintf(buf, sizeof buf, "%s", wd_buf_str(&b));
    wd_buf_free(&b);
    return buf;
}

size_t wd_run_col_find(const wd_run *r, const char *name)
{
    int var;
    size_t flat;
    if (!model_find(r->p->model, name, &var, &flat))
        return (size_t)-1;
    for (size_t c = 0; c < r->p->ncols; c++)
        if (r->p->cols[c].var == var && (flat == SIZE_MAX || r->p->cols[c].flat == flat))
            return c;
    return (size_t)-1;
}
