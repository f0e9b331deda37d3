/* vm.c: the interpreter and disassembler for programs (program.h).
 *
 * One switch over opcodes; element-wise cases are generated from the lists
 * in opcodes.h, each vector case a plain loop over n doubles. Per-run state
 * (pipes of DELAY FIXED, inputs, the random generator) comes in the vm_ctx.
 */
#include "program.h"
#include "run_internal.h"
#include "vecfn.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- tables ---------------------------------------------------------------- */

/* how: 0 interpolate (clamped), 1 hold backward, 2 look forward,
 * 3 extrapolate linearly, 4 raw (the value at a point, :NA: elsewhere). */
double vm_table(const table_t *t, double x, int how)
{
    size_t n = t->n;
    if (n == 0 || isnan(x))
        return NAN;
    const double *xs = t->x, *ys = t->y;
    if (how == 4) {
        size_t lo = 0, hi = n;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (xs[mid] <= x)
                lo = mid;
            else
                hi = mid;
        }
        double tol = 1e-9 * fmax(1, fabs(x));
        if (fabs(xs[lo] - x) <= tol)
            return ys[lo];
        if (lo + 1 < n && fabs(xs[lo + 1] - x) <= tol)
            return ys[lo + 1];
        return WD_NA;
    }
    if (x <= xs[0]) {
        if (how == 3 && n > 1 && x < xs[0] && xs[1] != xs[0])
            return ys[0] + (x - xs[0]) * (ys[1] - ys[0]) / (xs[1] - xs[0]);
        return ys[0];
    }
    if (x >= xs[n - 1]) {
        if (how == 3 && n > 1 && x > xs[n - 1] && xs[n - 1] != xs[n - 2])
            return ys[n - 1] + (x - xs[n - 1]) * (ys[n - 1] - ys[n - 2]) / (xs[n - 1] - xs[n - 2]);
        return ys[n - 1];
    }
    /* largest i with xs[i] <= x */
    size_t lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (xs[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    if (how == 1)
        return ys[lo];
    if (how == 2)
        return x == xs[lo] ? ys[lo] : ys[hi];
    double dx = xs[hi] - xs[lo];
    if (dx == 0)
        return ys[hi];
    return ys[lo] + (x - xs[lo]) * (ys[hi] - ys[lo]) / dx;
}

/* LOOKUP INVERT: the first x at which the table reaches y (clamped). */
static double table_invert(const table_t *t, double y)
{
    size_t n = t->n;
    if (n == 0 || isnan(y))
        return NAN;
    for (size_t i = 0; i + 1 < n; i++) {
        double y0 = t->y[i], y1 = t->y[i + 1];
        if ((y >= y0 && y <= y1) || (y <= y0 && y >= y1)) {
            if (y1 == y0)
                return t->x[i];
            return t->x[i] + (y - y0) * (t->x[i + 1] - t->x[i]) / (y1 - y0);
        }
    }
    return fabs(y - t->y[0]) <= fabs(y - t->y[n - 1]) ? t->x[0] : t->x[n - 1];
}

static uint32_t table_id(const vm_ins *I, const uint32_t *pool, uint32_t i)
{
    if (I->flags & VF_TABLE)
        return I->aux;
    if (I->flags & VF_TSEQ)
        return I->aux + i;
    return pool[I->aux + i];
}

/* ---- constant folding entry (compile.c) ----------------------------------------- */

double vm_apply(int op, double A, double B, double C);
double vm_apply(int op, double A, double B, double C)
{
    const double TS = 0, TH = 0, DT = 0;
    (void)TS, (void)TH, (void)DT, (void)B, (void)C;
    switch (op) {
#define X(name, expr, doc) \
    case OP_##name:        \
        return (expr);
        WD_UNARY_OPS(X)
        WD_BINARY_OPS(X)
        WD_TERNARY_OPS(X)
#undef X
    default:
        return NAN;
    }
}

/* PULSE TRAIN(start, width, interval, end) at switch time ts: 1 within
 * `width` after start + k*interval, until end. */
static double pulse_train(double ts, double start, double width, double interval, double end, double dt)
{
    if (ts <= start || ts > end)
        return 0.0;
    if (width <= 0)
        width = dt;
    double since = ts - start;
    if (interval > 0)
        since = fmod(since, interval);
    return since < width ? 1.0 : 0.0;
}

/* Each binary operation as a function of its operands (for superinstructions:
 * the expression stays the one written in opcodes.h). */
#define X(name, expr, doc)                                                                    \
    static inline double bin_##name(double A, double B, double TS, double TH, double DT)     \
    {                                                                                         \
        (void)TS, (void)TH, (void)DT;                                                         \
        return (expr);                                                                        \
    }
WD_BINARY_OPS(X)
#undef X

/* ---- the interpreter ----------------------------------------------------------- */

/* Dispatch: with GCC/Clang, threaded code (a jump through a table of
 * label addresses at the end of each instruction, no bounds check, one
 * indirect branch per instruction site); elsewhere a plain switch. The
 * benchmark (make bench) showed threaded dispatch worth about a quarter of
 * the interpreter's time on scalar models. */
#if defined(__GNUC__) && !defined(WD_VM_SWITCH)
#define VM_THREADED 1
#define VM_CASE(name) L_##name:
#define VM_NEXT goto *labels[(++I)->op]
#else
#define VM_CASE(name) case name:
#define VM_NEXT break
#endif

void vm_exec(vm_ctx *cx, const vm_code *code)
{
    double *v = cx->v;
    const wd_program *p = cx->p;
    const uint32_t *pool = p->pool;
    const table_t *tables = p->model->tables.v;
    const double TS = v[SLOT_TS], TH = v[SLOT_TH], DT = v[SLOT_DT], T = v[SLOT_TIME];
    /* every segment ends with HALT (compile.c), so no bounds check */
    const vm_ins *I = code->ins;
    if (code->n == 0)
        return;
#ifdef VM_THREADED
    static const void *const labels[OP_COUNT] = {
#define X(name, expr, doc) [OP_##name] = &&L_OP_##name, [OP_V_##name] = &&L_OP_V_##name,
        WD_UNARY_OPS(X) WD_BINARY_OPS(X) WD_TERNARY_OPS(X)
#undef X
#define X(name, doc) [OP_##name] = &&L_OP_##name,
            WD_SPECIAL_OPS(X)
#undef X
#define P(x, y) [OP_F_##x##_##y##_A] = &&L_OP_F_##x##_##y##_A, [OP_F_##x##_##y##_B] = &&L_OP_F_##x##_##y##_B,
                WD_FUSED_PAIRS(P)
#undef P
    };
    goto *labels[I->op];
#else
    for (;; I++)
        switch (I->op) {
#endif
#define X(name, expr, doc)                                                \
    VM_CASE(OP_##name)                                                    \
    {                                                                     \
        double A = v[I->a];                                               \
        v[I->d] = (expr);                                                 \
        VM_NEXT;                                                          \
    }                                                                     \
    VM_CASE(OP_V_##name)                                                  \
    {                                                                     \
        double *d = v + I->d;                                             \
        const double *pa = v + I->a;                                      \
        uint32_t n = I->n;                                                \
        if (!(I->flags & VF_A)) {                                         \
            for (uint32_t i = 0; i < n; i++) {                            \
                double A = pa[i];                                         \
                d[i] = (expr);                                            \
            }                                                             \
        } else {                                                          \
            double A = pa[0];                                             \
            double x = (expr);                                            \
            for (uint32_t i = 0; i < n; i++)                              \
                d[i] = x;                                                 \
        }                                                                 \
        VM_NEXT;                                                          \
    }
    WD_UNARY_OPS(X)
#undef X
#define X(name, expr, doc)                                                \
    VM_CASE(OP_##name)                                                    \
    {                                                                     \
        double A = v[I->a], B = v[I->b];                                  \
        v[I->d] = (expr);                                                 \
        VM_NEXT;                                                          \
    }                                                                     \
    VM_CASE(OP_V_##name)                                                  \
    {                                                                     \
        double *d = v + I->d;                                             \
        const double *pa = v + I->a, *pb = v + I->b;                      \
        uint32_t n = I->n;                                                \
        switch (I->flags & (VF_A | VF_B)) {                               \
        case 0:                                                           \
            for (uint32_t i = 0; i < n; i++) {                            \
                double A = pa[i], B = pb[i];                              \
                d[i] = (expr);                                            \
            }                                                             \
            break;                                                        \
        case VF_B: {                                                      \
            const double B = pb[0];                                       \
            for (uint32_t i = 0; i < n; i++) {                            \
                double A = pa[i];                                         \
                d[i] = (expr);                                            \
            }                                                             \
            break;                                                        \
        }                                                                 \
        case VF_A: {                                                      \
            const double A = pa[0];                                       \
            for (uint32_t i = 0; i < n; i++) {                            \
                double B = pb[i];                                         \
                d[i] = (expr);                                            \
            }                                                             \
            break;                                                        \
        }                                                                 \
        default: {                                                        \
            const double A = pa[0], B = pb[0];                            \
            double x = (expr);                                            \
            for (uint32_t i = 0; i < n; i++)                              \
                d[i] = x;                                                 \
        }                                                                 \
        }                                                                 \
        VM_NEXT;                                                          \
    }
    WD_BINARY_OPS(X)
#undef X
#define X(name, expr, doc)                                                \
    VM_CASE(OP_##name)                                                    \
    {                                                                     \
        double A = v[I->a], B = v[I->b], C = v[I->c];                     \
        v[I->d] = (expr);                                                 \
        VM_NEXT;                                                          \
    }                                                                     \
    VM_CASE(OP_V_##name)                                                  \
    {                                                                     \
        double *d = v + I->d;                                             \
        const double *pa = v + I->a, *pb = v + I->b, *pc = v + I->c;      \
        uint32_t n = I->n;                                                \
        if (!(I->flags & (VF_A | VF_B | VF_C))) {                         \
            for (uint32_t i = 0; i < n; i++) {                            \
                double A = pa[i], B = pb[i], C = pc[i];                   \
                d[i] = (expr);                                            \
            }                                                             \
        } else {                                                          \
            size_t sa = (I->flags & VF_A) ? 0 : 1, sb = (I->flags & VF_B) ? 0 : 1, \
                   sc = (I->flags & VF_C) ? 0 : 1;                        \
            for (uint32_t i = 0; i < n; i++) {                            \
                double A = pa[i * sa], B = pb[i * sb], C = pc[i * sc];    \
                d[i] = (expr);                                            \
            }                                                             \
        }                                                                 \
        VM_NEXT;                                                          \
    }
    WD_TERNARY_OPS(X)
#undef X
    /* the second operation reads its other operand after the first stored
     * its result, exactly as the two instructions in sequence would */
#define P(x, y)                                                          \
    VM_CASE(OP_F_##x##_##y##_A)                                          \
    {                                                                    \
        double r1 = bin_##x(v[I->a], v[I->b], TS, TH, DT);               \
        v[I->d] = r1;                                                    \
        v[I->c] = bin_##y(r1, v[I->aux], TS, TH, DT);                    \
        VM_NEXT;                                                         \
    }                                                                    \
    VM_CASE(OP_F_##x##_##y##_B)                                          \
    {                                                                    \
        double r1 = bin_##x(v[I->a], v[I->b], TS, TH, DT);               \
        v[I->d] = r1;                                                    \
        v[I->c] = bin_##y(v[I->aux], r1, TS, TH, DT);                    \
        VM_NEXT;                                                         \
    }
    WD_FUSED_PAIRS(P)
#undef P
    VM_CASE(OP_HALT)
    {
        return;
    }
    VM_CASE(OP_GATHER)
    {
        double *d = v + I->d;
        const uint32_t *idx = pool + I->aux;
        for (uint32_t i = 0; i < I->n; i++)
            d[i] = v[idx[i]];
        VM_NEXT;
    }
    VM_CASE(OP_SCATTER)
    {
        const double *pa = v + I->a;
        size_t sa = (I->flags & VF_A) ? 0 : 1;
        const uint32_t *idx = pool + I->aux;
        for (uint32_t i = 0; i < I->n; i++)
            v[idx[i]] = pa[i * sa];
        VM_NEXT;
    }
    VM_CASE(OP_REDUCE_SUM)
    VM_CASE(OP_REDUCE_PROD)
    VM_CASE(OP_REDUCE_MIN)
    VM_CASE(OP_REDUCE_MAX)
    {
        double *d = v + I->d;
        const double *pa = v + I->a;
        uint32_t k = I->b;
        /* one loop per operation: the choice stays out of the inner loop */
#define REDUCE_LOOP(step)                                        \
    for (uint32_t j = 0; j < I->n; j++) {                        \
        const double *seg = pa + (size_t)j * k;                  \
        double acc = seg[0];                                     \
        for (uint32_t i = 1; i < k; i++)                         \
            acc = (step);                                        \
        d[j] = acc;                                              \
    }
        switch (I->op) {
        case OP_REDUCE_SUM: REDUCE_LOOP(acc + seg[i]) break;
        case OP_REDUCE_PROD: REDUCE_LOOP(acc * seg[i]) break;
        case OP_REDUCE_MIN: REDUCE_LOOP(fmin(acc, seg[i])) break;
        default: REDUCE_LOOP(fmax(acc, seg[i])) break;
        }
#undef REDUCE_LOOP
        VM_NEXT;
    }
    VM_CASE(OP_LOOKUP)
    VM_CASE(OP_LOOKUP_FWD)
    VM_CASE(OP_LOOKUP_BWD)
    VM_CASE(OP_LOOKUP_XTR)
    VM_CASE(OP_LOOKUP_INV)
    {
        double *d = v + I->d;
        const double *pa = v + I->a;
        size_t sa = (I->flags & VF_A) ? 0 : 1;
        int how = I->op == OP_LOOKUP_BWD ? 1 : I->op == OP_LOOKUP_FWD ? 2 : I->op == OP_LOOKUP_XTR ? 3 : 0;
        for (uint32_t i = 0; i < I->n; i++) {
            const table_t *t = &tables[table_id(I, pool, i)];
            d[i] = I->op == OP_LOOKUP_INV ? table_invert(t, pa[i * sa]) : vm_table(t, pa[i * sa], how);
        }
        VM_NEXT;
    }
    VM_CASE(OP_DATA)
    {
        double *d = v + I->d;
        for (uint32_t i = 0; i < I->n; i++) {
            const table_t *t = &tables[table_id(I, pool, i)];
            d[i] = vm_table(t, T, t->mode == TBL_HOLD ? 1 : t->mode == TBL_FORWARD ? 2 : t->mode == TBL_RAW ? 4 : 0);
        }
        VM_NEXT;
    }
    VM_CASE(OP_INPUT)
    {
        double *d = v + I->d;
        for (uint32_t i = 0; i < I->n; i++)
            d[i] = run_input_value(cx->inputs, I->aux, I->a + i, T);
        VM_NEXT;
    }
    VM_CASE(OP_PULSE_TRAIN)
    {
        double *d = v + I->d;
        const double *pa = v + I->a, *pb = v + I->b, *pc = v + I->c, *pe = v + I->aux;
        size_t sa = (I->flags & VF_A) ? 0 : 1, sb = (I->flags & VF_B) ? 0 : 1, sc = (I->flags & VF_C) ? 0 : 1,
               se = (I->flags & VF_E) ? 0 : 1;
        for (uint32_t i = 0; i < I->n; i++)
            d[i] = pulse_train(TS, pa[i * sa], pb[i * sb], pc[i * sc], pe[i * se], DT);
        VM_NEXT;
    }
    VM_CASE(OP_PIPE_INIT)
    {
        for (uint32_t i = 0; i < I->n; i++)
            if (!pipe_init(&cx->pipes[I->aux + i], v[I->a + i], v[I->b + i], DT, cx->pipe_history))
                cx->fault = 1;
        VM_NEXT;
    }
    VM_CASE(OP_PIPE_READ)
    {
        double *d = v + I->d;
        for (uint32_t i = 0; i < I->n; i++)
            d[i] = pipe_read(&cx->pipes[I->aux + i], T);
        VM_NEXT;
    }
    VM_CASE(OP_PIPE_PUSH)
    {
        for (uint32_t i = 0; i < I->n; i++)
            if (!pipe_push(&cx->pipes[I->aux + i], T, v[I->a + i]))
                cx->fault = 1;
        VM_NEXT;
    }
    VM_CASE(OP_RAND_UNIFORM)
    {
        double *d = v + I->d;
        const double *pa = v + I->a, *pb = v + I->b;
        size_t sa = (I->flags & VF_A) ? 0 : 1, sb = (I->flags & VF_B) ? 0 : 1;
        for (uint32_t i = 0; i < I->n; i++) {
            double lo = pa[i * sa], hi = pb[i * sb];
            d[i] = cx->rng ? lo + (hi - lo) * gsl_rng_uniform((gsl_rng *)cx->rng) : NAN;
        }
        VM_NEXT;
    }
    VM_CASE(OP_RAND_DIST)
    {
        vf_random(v, I, cx->rng);
        VM_NEXT;
    }
    VM_CASE(OP_LOOKUP_AREA)
    {
        double *d = v + I->d;
        const double *pa = v + I->a, *pb = v + I->b;
        size_t sa = (I->flags & VF_A) ? 0 : 1, sb = (I->flags & VF_B) ? 0 : 1;
        for (uint32_t i = 0; i < I->n; i++)
            d[i] = vf_lookup_area(&tables[table_id(I, pool, i)], pa[i * sa], pb[i * sb]);
        VM_NEXT;
    }
    VM_CASE(OP_VSELECT)
    {
        vf_select(v, I);
        VM_NEXT;
    }
    VM_CASE(OP_VSORT_ORDER)
    {
        vf_sort(v, I, pool, false);
        VM_NEXT;
    }
    VM_CASE(OP_VRANK)
    {
        vf_sort(v, I, pool, true);
        VM_NEXT;
    }
    VM_CASE(OP_VREORDER)
    {
        vf_reorder(v, I);
        VM_NEXT;
    }
    VM_CASE(OP_ELM_MAP)
    {
        vf_elm_map(v, I, pool);
        VM_NEXT;
    }
    VM_CASE(OP_ALLOC_PRIORITY)
    {
        vf_alloc_priority(v, I, pool);
        VM_NEXT;
    }
    VM_CASE(OP_ALLOC_AVAIL)
    {
        vf_alloc_avail(v, I, pool);
        VM_NEXT;
    }
    VM_CASE(OP_INVERT_MATRIX)
    {
        vf_invert(v, I, pool);
        VM_NEXT;
    }
#ifndef VM_THREADED
        default:
            cx->fault = 2;
            return;
        }
#endif
}

/* ---- opcode properties ------------------------------------------------------------- */

static const unsigned char op_arity[OP_COUNT] = {
#define X(name, expr, doc) [OP_##name] = 1, [OP_V_##name] = 1,
    WD_UNARY_OPS(X)
#undef X
#define X(name, expr, doc) [OP_##name] = 2, [OP_V_##name] = 2,
    WD_BINARY_OPS(X)
#undef X
#define X(name, expr, doc) [OP_##name] = 3, [OP_V_##name] = 3,
    WD_TERNARY_OPS(X)
#undef X
};

static const bool op_vector[OP_COUNT] = {
#define X(name, expr, doc) [OP_V_##name] = true,
    WD_UNARY_OPS(X) WD_BINARY_OPS(X) WD_TERNARY_OPS(X)
#undef X
};

int vm_op_arity(int op) { return op >= 0 && op < OP_COUNT ? op_arity[op] : 0; }
bool vm_op_vector(int op) { return op >= 0 && op < OP_COUNT && op_vector[op]; }

/* ---- disassembler ------------------------------------------------------------------ */

static const char *op_names[OP_COUNT] = {
#define X(name, expr, doc) [OP_##name] = #name, [OP_V_##name] = "V_" #name,
    WD_UNARY_OPS(X) WD_BINARY_OPS(X) WD_TERNARY_OPS(X)
#undef X
#define X(name, doc) [OP_##name] = #name,
        WD_SPECIAL_OPS(X)
#undef X
#define P(x, y) [OP_F_##x##_##y##_A] = "F_" #x "_" #y "_A", [OP_F_##x##_##y##_B] = "F_" #x "_" #y "_B",
            WD_FUSED_PAIRS(P)
#undef P
};

static const char *op_docs[OP_COUNT] = {
#define X(name, expr, doc) [OP_##name] = doc, [OP_V_##name] = doc " (element-wise)",
    WD_UNARY_OPS(X) WD_BINARY_OPS(X) WD_TERNARY_OPS(X)
#undef X
#define X(name, doc) [OP_##name] = doc,
        WD_SPECIAL_OPS(X)
#undef X
#define P(x, y)                                                                       \
    [OP_F_##x##_##y##_A] = "d = a " #x " b, then c = d " #y " aux (superinstruction)", \
    [OP_F_##x##_##y##_B] = "d = a " #x " b, then c = aux " #y " d (superinstruction)",
            WD_FUSED_PAIRS(P)
#undef P
};

/* ---- superinstructions -------------------------------------------------------------- */

/* The superinstruction for scalar op1 followed by op2, or -1. */
static int fused_op(int op1, int op2, bool pos_b)
{
#define P(x, y)                                                         \
    if (op1 == OP_##x && op2 == OP_##y)                                 \
        return pos_b ? OP_F_##x##_##y##_B : OP_F_##x##_##y##_A;
    WD_FUSED_PAIRS(P)
#undef P
    return -1;
}

bool vm_fuse(const vm_code *in, vm_code *out)
{
    out->ins = wd_xmalloc((in->n + 1) * sizeof(vm_ins));
    out->n = out->cap = 0;
    if (!out->ins)
        return false;
    for (size_t k = 0; k < in->n; k++) {
        const vm_ins *I = &in->ins[k], *J = k + 1 < in->n ? &in->ins[k + 1] : NULL;
        int f = -1;
        if (J && I->n == 1 && J->n == 1 && (J->a == I->d || J->b == I->d)) {
            bool pos_b = J->a != I->d;
            f = fused_op(I->op, J->op, pos_b);
        }
        if (f < 0) {
            out->ins[out->n++] = *I;
            continue;
        }
        vm_ins F = *I;
        F.op = (uint16_t)f;
        F.c = J->d;
        F.aux = J->a == I->d ? J->b : J->a;
        F.var = J->var;
        out->ins[out->n++] = F;
        k++;
    }
    out->cap = out->n;
    return true;
}

/* Describes a slot: a variable's element, a derivative, a constant, a
 * temporary or a special register. */
static void slot_desc(const wd_program *p, uint32_t s, wd_buf *b)
{
    static const char *special[] = {"Time", "TS", "TH", "DT"};
    if (s < SLOT_FIRST_VAR) {
        wd_buf_puts(b, special[s]);
        return;
    }
    if (s >= p->temp_first) {
        wd_buf_printf(b, "t%u", s - (uint32_t)p->temp_first);
        return;
    }
    if (s >= p->const_first) {
        char num[40];
        wd_format_double(num, sizeof num, p->defaults[s], 17);
        wd_buf_printf(b, "#%s", num);
        return;
    }
    const wd_model *m = p->model;
    bool deriv = s >= p->deriv_first && s < p->deriv_first + p->nstates;
    uint32_t look = deriv ? s - (uint32_t)p->deriv_first + (uint32_t)p->state_first : s;
    for (size_t v = 0; v < m->vars.n; v++) {
        uint32_t base = p->var_slot[v];
        const var_t *vv = &m->vars.v[v];
        if (base != UINT32_MAX && vv->kind != VK_TIME && look >= base && look < base + vv->nelems) {
            if (deriv)
                wd_buf_puts(b, "d/dt ");
            model_elem_name(m, (int)v, look - base, b);
            return;
        }
        uint32_t held = p->sample_state[v];
        if (held != UINT32_MAX && look >= held && look < held + vv->nelems) {
            wd_buf_puts(b, "held ");
            model_elem_name(m, (int)v, look - held, b);
            return;
        }
    }
    wd_buf_printf(b, "@%u", s);
}

void vm_disasm(const wd_program *p, const vm_code *code, const char *title, FILE *out)
{
    fprintf(out, "%s: %zu instruction%s\n", title, code->n, code->n == 1 ? "" : "s");
    for (size_t k = 0; k < code->n; k++) {
        const vm_ins *I = &code->ins[k];
        wd_buf b = {0};
        wd_buf_printf(&b, "  %5zu  %-13s", k, I->op < OP_COUNT && op_names[I->op] ? op_names[I->op] : "?");
        if (I->n != 1)
            wd_buf_printf(&b, " n=%u", I->n);
        bool special = I->op >= OP_HALT;
        bool has_d = I->op != OP_SCATTER && I->op != OP_PIPE_INIT && I->op != OP_PIPE_PUSH && I->op != OP_HALT;
        if (has_d) {
            wd_buf_puts(&b, " d=");
            slot_desc(p, I->d, &b);
        }
        int nops = 3;
        if (!special) {
            /* arity from the opcode's group */
            nops = 1;
#define X(name, expr, doc) if (I->op == OP_##name || I->op == OP_V_##name) nops = 2;
            WD_BINARY_OPS(X)
#undef X
#define X(name, expr, doc) if (I->op == OP_##name || I->op == OP_V_##name) nops = 3;
            WD_TERNARY_OPS(X)
#undef X
        } else if (I->op == OP_HALT || I->op == OP_GATHER || I->op == OP_PIPE_READ || I->op == OP_DATA ||
                   I->op == OP_INPUT) {
            nops = 0;
        } else if (I->op == OP_SCATTER || I->op == OP_PIPE_PUSH || (I->op >= OP_LOOKUP && I->op <= OP_LOOKUP_INV) ||
                   (I->op >= OP_REDUCE_SUM && I->op <= OP_REDUCE_MAX)) {
            nops = 1;
        } else if (I->op == OP_PIPE_INIT || I->op == OP_RAND_UNIFORM || I->op == OP_LOOKUP_AREA) {
            nops = 2;
        } else if (WD_OP_B_IS_COUNT(I->op) || I->op == OP_ELM_MAP) {
            nops = 1;
        }
        const uint32_t ops[3] = {I->a, I->b, I->c};
        const char *nm[3] = {" a=", " b=", " c="};
        for (int i = 0; i < nops; i++) {
            wd_buf_puts(&b, nm[i]);
            if (I->flags & (1u << i))
                wd_buf_puts(&b, "*");
            slot_desc(p, ops[i], &b);
        }
        if (WD_OP_B_IS_COUNT(I->op))
            wd_buf_printf(&b, " group=%u", I->b);
        if (I->op == OP_ELM_MAP) {
            wd_buf_puts(&b, " base=");
            slot_desc(p, I->b, &b);
            wd_buf_printf(&b, " count=%u", I->c);
        }
        if (I->op == OP_PULSE_TRAIN) {
            wd_buf_puts(&b, " end=");
            slot_desc(p, I->aux, &b);
        } else if (special && I->op != OP_HALT && I->op != OP_REDUCE_SUM && I->op != OP_REDUCE_PROD && I->op != OP_REDUCE_MIN &&
                   I->op != OP_REDUCE_MAX && I->op != OP_VSELECT && I->op != OP_VREORDER) {
            const char *what = (I->flags & VF_TABLE) ? "table" : (I->flags & VF_TSEQ) ? "tables from" : "aux";
            wd_buf_printf(&b, " %s=%u", what, I->aux);
        }
        if (I->var >= 0)
            wd_buf_printf(&b, "   ; %s", p->model->vars.v[I->var].raw);
        fprintf(out, "%s\n", wd_buf_str(&b));
        wd_buf_free(&b);
    }
}

const char *vm_op_doc(int op);
const char *vm_op_doc(int op) { return op >= 0 && op < OP_COUNT ? op_docs[op] : ""; }
const char *vm_op_name(int op);
const char *vm_op_name(int op) { return op >= 0 && op < OP_COUNT ? op_names[op] : "?"; }
