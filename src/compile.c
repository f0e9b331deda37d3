/* compile.c: model IR + schedule -> program (program.h).
 *
 * Third stage of the pipeline (sema -> schedule -> compile -> vm). Lays out
 * the slots of the value array, then emits code for each scheduled item:
 * an expression over an iteration space of n points becomes one instruction
 * per operation, each over n elements (or one broadcast slot where the
 * operand does not vary). References whose elements are contiguous in the
 * variable's block are read in place; others are gathered once through an
 * index table. Temporaries and constants are tagged during emission and
 * relocated once their regions are known.
 */
#include "bind.h"
#include "builtins.h"
#include "native.h"
#include "program.h"
#include "schedule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMP_BIT 0x80000000u
#define CONST_BIT 0x40000000u
#define TAG_MASK 0x3FFFFFFFu

typedef struct operand {
    uint32_t slot;
    bool scalar;
    bool ok;
} operand;

/* A breakpoint whose times are computed at the end of the init code. */
typedef struct bp_request {
    bp_kind kind;
    ispace s;
    const ast *args[4];
    int nargs;
    uint32_t table;
} bp_request;

typedef VEC(breakpoint_t) bp_vec;

typedef struct cc {
    const wd_model *m;
    wd_program *p;
    const schedule *sch;
    wd_diags *d;
    bool oom;
    size_t nerrors;
    vm_code *code;
    int cur_var;
    uint32_t temp_top, temp_max;
    VEC(double) consts;
    wd_map *const_index; /* "%a" of a scalar constant -> offset */
    VEC(uint32_t) pool;
    VEC(bp_request) bpreq;
    uint32_t *lookup_tbl_base; /* per var: flat -> table id via lookup_tbl */
    uint32_t **lookup_tbl;
    uint32_t *pipe_base;       /* per equation */
    bool in_static;            /* emitting an item computed once */
    bool hoist;                /* emitting rhs/out: gathers of fixed values go to init */
    wd_map *hoisted;           /* gather index list -> slot of its hoisted copy */
    VEC(vm_ins) hoist_code;    /* the hoisted gathers, appended to init */
} cc;

static void cerr(cc *c, wd_loc loc, const char *fmt, ...) WD_PRINTF(3, 4);
static void cerr(cc *c, wd_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *line = c->m->file ? wd_source_line(c->m->file->text, loc.line) : NULL;
    wd_diag_vadd(c->d, WD_ERROR, loc, line, fmt, ap);
    va_end(ap);
    c->nerrors++;
}

/* ---- emission -------------------------------------------------------------- */

static vm_ins *emit(cc *c, int op, uint32_t n, uint32_t d, uint32_t a, uint32_t b, uint32_t cc_, uint32_t aux,
                    uint16_t flags)
{
    vm_code *code = c->code;
    if (code->n == code->cap) {
        size_t ncap = code->cap ? code->cap * 2 : 64;
        vm_ins *ni = wd_xrealloc(code->ins, ncap * sizeof(vm_ins));
        if (!ni) {
            c->oom = true;
            return NULL;
        }
        code->ins = ni;
        code->cap = ncap;
    }
    vm_ins *i = &code->ins[code->n++];
    i->op = (uint16_t)op;
    i->flags = flags;
    i->n = n;
    i->d = d;
    i->a = a;
    i->b = b;
    i->c = cc_;
    i->aux = aux;
    i->var = c->cur_var;
    return i;
}

static uint32_t temp(cc *c, size_t n)
{
    uint32_t t = c->temp_top;
    c->temp_top += (uint32_t)n;
    if (c->temp_top > c->temp_max)
        c->temp_max = c->temp_top;
    return TEMP_BIT | t;
}

static uint32_t konst(cc *c, double v)
{
    char key[64];
    snprintf(key, sizeof key, "%a", v);
    size_t off;
    if (wd_map_get(c->const_index, key, &off))
        return CONST_BIT | (uint32_t)off;
    if (!VEC_PUSH(c->consts, v) || !wd_map_put(c->const_index, key, c->consts.n - 1)) {
        c->oom = true;
        return CONST_BIT;
    }
    return CONST_BIT | (uint32_t)(c->consts.n - 1);
}

static uint32_t konst_vec(cc *c, const double *v, size_t n)
{
    uint32_t off = (uint32_t)c->consts.n;
    for (size_t i = 0; i < n; i++)
        if (!VEC_PUSH(c->consts, v[i])) {
            c->oom = true;
            break;
        }
    return CONST_BIT | off;
}

static bool is_const(uint32_t slot) { return (slot & CONST_BIT) && !(slot & TEMP_BIT); }
static double const_value(cc *c, uint32_t slot) { return c->consts.v[slot & TAG_MASK]; }

static uint32_t pool_add(cc *c, const uint32_t *idx, size_t n)
{
    uint32_t off = (uint32_t)c->pool.n;
    for (size_t i = 0; i < n; i++)
        if (!VEC_PUSH(c->pool, idx[i])) {
            c->oom = true;
            break;
        }
    return off;
}

double vm_apply(int op, double A, double B, double C);
int dim_pos(const wd_model *m, int d, int e);

static const operand BAD = {0, true, false};

static operand scalar_op(uint32_t slot) { return (operand){slot, true, true}; }
static operand vector_op(uint32_t slot) { return (operand){slot, false, true}; }

/* Emits an element-wise operation (op is the scalar opcode; op+1 the vector
 * form) over n points; folds it when every operand is a constant. */
static operand elementwise(cc *c, int op, size_t n, int arity, operand x, operand y, operand z)
{
    if (!x.ok || (arity > 1 && !y.ok) || (arity > 2 && !z.ok))
        return BAD;
    bool all_scalar = x.scalar && (arity < 2 || y.scalar) && (arity < 3 || z.scalar);
    bool all_const = is_const(x.slot) && (arity < 2 || is_const(y.slot)) && (arity < 3 || is_const(z.slot));
    bool timed = op == OP_STEP || op == OP_PULSE || op == OP_RAMP;
    if (all_scalar && all_const && !timed) {
        double v = vm_apply(op, const_value(c, x.slot), arity > 1 ? const_value(c, y.slot) : 0,
                            arity > 2 ? const_value(c, z.slot) : 0);
        return scalar_op(konst(c, v));
    }
    if (all_scalar) {
        uint32_t t = temp(c, 1);
        emit(c, op, 1, t, x.slot, arity > 1 ? y.slot : 0, arity > 2 ? z.slot : 0, 0, 0);
        return scalar_op(t);
    }
    uint32_t t = temp(c, n);
    uint16_t flags = (uint16_t)((x.scalar ? VF_A : 0) | (arity > 1 && y.scalar ? VF_B : 0) |
                                (arity > 2 && z.scalar ? VF_C : 0));
    emit(c, op + 1, (uint32_t)n, t, x.slot, arity > 1 ? y.slot : 0, arity > 2 ? z.slot : 0, 0, flags);
    return vector_op(t);
}

/* Materialises an operand as a vector of n elements. */
static operand as_vector(cc *c, operand x, size_t n)
{
    if (!x.ok || !x.scalar)
        return x;
    uint32_t t = temp(c, n);
    emit(c, OP_V_MOV, (uint32_t)n, t, x.slot, 0, 0, 0, VF_A);
    return vector_op(t);
}

/* ---- expressions -------------------------------------------------------------- */

static operand cexpr(cc *c, const ispace *s, const ast *a);

/* Operand for slots base + flats[i]: scalar if all equal, in place if
 * consecutive, else gathered. */
static operand slots_operand(cc *c, const ispace *s, uint32_t base, const size_t *flats)
{
    size_t n = s->npoints;
    bool same = true, consec = true;
    for (size_t i = 1; i < n; i++) {
        same &= flats[i] == flats[0];
        consec &= flats[i] == flats[0] + i;
    }
    if (same)
        return scalar_op(base + (uint32_t)flats[0]);
    if (consec)
        return vector_op(base + (uint32_t)flats[0]);
    uint32_t *idx = wd_xmalloc(n * sizeof(uint32_t));
    if (!idx) {
        c->oom = true;
        return BAD;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = base + (uint32_t)flats[i];
    uint32_t off = pool_add(c, idx, n);
    wd_xfree(idx);
    uint32_t t = temp(c, n);
    emit(c, OP_GATHER, (uint32_t)n, t, 0, 0, 0, off, 0);
    return vector_op(t);
}

static size_t *bind_or_report(cc *c, const ispace *s, const ast *a, const var_t *v)
{
    size_t *flats = wd_xmalloc((s->npoints + 1) * sizeof(size_t));
    if (!flats) {
        c->oom = true;
        return NULL;
    }
    char err[300];
    if (!bind_ref(c->m, s, v, a->subs, flats, err, sizeof err)) {
        cerr(c, a->loc, "%s (in the reference to '%s')", err, v->raw);
        wd_xfree(flats);
        return NULL;
    }
    return flats;
}

/* Whether every element of variable `var` is fixed once the init code has
 * run (constants and what depends on constants only). */
static bool var_fixed(const cc *c, int var)
{
    const var_t *v = &c->m->vars.v[var];
    if (v->kind == VK_TIME || v->kind == VK_STOCK || v->kind == VK_SAMPLE || v->kind == VK_PIPE ||
        v->kind == VK_DATA || v->neqns == 0)
        return false;
    for (size_t j = 0; j < v->neqns; j++)
        if (!c->sch->eqn_static[v->eqns[j]])
            return false;
    return true;
}

/* A gather of values fixed over the run, made once at the end of the init
 * code into slots of its own (the same gather is made once for all uses):
 * rhs and out then read it in place. Broadcasting a lower-dimensional
 * constant over an array (rate[sector] over [region, sector, cohort]) is
 * the common case. */
static operand hoisted_gather(cc *c, const ispace *s, uint32_t base, const size_t *flats)
{
    size_t n = s->npoints;
    wd_buf key = {0};
    for (size_t i = 0; i < n; i++)
        wd_buf_printf(&key, "%zx,", (size_t)base + flats[i]);
    if (key.oom) {
        wd_buf_free(&key);
        c->oom = true;
        return BAD;
    }
    size_t slot;
    if (wd_map_get(c->hoisted, wd_buf_str(&key), &slot)) {
        wd_buf_free(&key);
        return vector_op((uint32_t)slot);
    }
    uint32_t *idx = wd_xmalloc(n * sizeof(uint32_t));
    if (!idx) {
        wd_buf_free(&key);
        c->oom = true;
        return BAD;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = base + (uint32_t)flats[i];
    uint32_t off = pool_add(c, idx, n);
    wd_xfree(idx);
    uint32_t dst = (uint32_t)c->p->nslots;
    c->p->nslots += n;
    vm_ins g = {OP_GATHER, 0, (uint32_t)n, dst, 0, 0, 0, off, -1};
    if (!VEC_PUSH(c->hoist_code, g) || !wd_map_put(c->hoisted, wd_buf_str(&key), dst))
        c->oom = true;
    wd_buf_free(&key);
    return vector_op(dst);
}

static operand cref(cc *c, const ispace *s, const ast *a)
{
    const wd_model *m = c->m;
    if (a->dimval >= 0) {
        double *vals = wd_xmalloc((s->npoints + 1) * sizeof(double));
        if (!vals) {
            c->oom = true;
            return BAD;
        }
        char err[300];
        operand r = BAD;
        if (!bind_dimval(m, s, a->dimval, vals, err, sizeof err)) {
            cerr(c, a->loc, "%s", err);
        } else {
            bool same = true;
            for (size_t i = 1; i < s->npoints; i++)
                same &= vals[i] == vals[0];
            r = same ? scalar_op(konst(c, vals[0])) : vector_op(konst_vec(c, vals, s->npoints));
        }
        wd_xfree(vals);
        return r;
    }
    if (a->var < 0)
        return BAD;
    const var_t *v = &m->vars.v[a->var];
    if (v->kind == VK_TIME)
        return scalar_op(SLOT_TIME);
    size_t *flats = bind_or_report(c, s, a, v);
    if (!flats)
        return BAD;
    operand r;
    if (c->hoist && s->npoints > 1 && var_fixed(c, a->var)) {
        /* in place when all equal or all consecutive, else hoisted */
        bool same = true, consec = true;
        for (size_t i = 1; i < s->npoints; i++) {
            same &= flats[i] == flats[0];
            consec &= flats[i] == flats[0] + i;
        }
        r = same || consec ? slots_operand(c, s, c->p->var_slot[a->var], flats)
                           : hoisted_gather(c, s, c->p->var_slot[a->var], flats);
    } else {
        r = slots_operand(c, s, c->p->var_slot[a->var], flats);
    }
    wd_xfree(flats);
    return r;
}

/* Table ids of a lookup variable referenced with subscripts at each point:
 * sets *aux and VF_TABLE/VF_TSEQ in *flags, or a pool offset. */
static bool lookup_tables(cc *c, const ispace *s, const ast *ref, uint32_t *aux, uint16_t *flags)
{
    const var_t *v = &c->m->vars.v[ref->var];
    size_t *flats = bind_or_report(c, s, ref, v);
    if (!flats)
        return false;
    const uint32_t *ids = c->lookup_tbl[ref->var];
    size_t n = s->npoints;
    for (size_t i = 0; i < n; i++)
        if (ids[flats[i]] == UINT32_MAX) {
            wd_buf b = {0};
            model_elem_name(c->m, ref->var, flats[i], &b);
            cerr(c, ref->loc, "lookup %s is called here but has no points", wd_buf_str(&b));
            wd_buf_free(&b);
            wd_xfree(flats);
            return false;
        }
    bool same = true, consec = true;
    for (size_t i = 1; i < n; i++) {
        same &= ids[flats[i]] == ids[flats[0]];
        consec &= ids[flats[i]] == ids[flats[0]] + i;
    }
    if (same) {
        *aux = ids[flats[0]];
        *flags |= VF_TABLE;
    } else if (consec) {
        *aux = ids[flats[0]];
        *flags |= VF_TSEQ;
    } else {
        uint32_t *t = wd_xmalloc(n * sizeof(uint32_t));
        if (!t) {
            wd_xfree(flats);
            c->oom = true;
            return false;
        }
        for (size_t i = 0; i < n; i++)
            t[i] = ids[flats[i]];
        *aux = pool_add(c, t, n);
        wd_xfree(t);
    }
    wd_xfree(flats);
    return true;
}

static bool is_time_ref(const wd_model *m, const ast *a)
{
    return a->kind == AST_REF && a->var >= 0 && m->vars.v[a->var].kind == VK_TIME;
}

/* Emits a table operation (LOOKUP family) of x through the tables given by
 * aux/flags. */
static operand table_op(cc *c, const ispace *s, int op, operand x, uint32_t aux, uint16_t flags)
{
    if (!x.ok)
        return BAD;
    bool single_table = (flags & VF_TABLE) != 0;
    if (x.scalar && single_table) {
        uint32_t t = temp(c, 1);
        emit(c, op, 1, t, x.slot, 0, 0, aux, (uint16_t)(flags | VF_A));
        return scalar_op(t);
    }
    uint32_t t = temp(c, s->npoints);
    emit(c, op, (uint32_t)s->npoints, t, x.slot, 0, 0, aux, (uint16_t)(flags | (x.scalar ? VF_A : 0)));
    return vector_op(t);
}

static void request_bp(cc *c, bp_kind kind, const ispace *s, const ast *const *args, int nargs, uint32_t table)
{
    bp_request r = {kind, *s, {NULL, NULL, NULL, NULL}, nargs, table};
    for (int i = 0; i < nargs; i++)
        r.args[i] = args[i];
    if (!VEC_PUSH(c->bpreq, r))
        c->oom = true;
}


/* ---- vector functions, random draws, GET TIME VALUE --------------------------------- */

/* Copies operands into one fresh block of temporaries, operand i taking
 * len[i] slots (a broadcast operand is repeated): the packed operand layout
 * of the vector instructions (opcodes.h). */
static operand pack(cc *c, const operand *ops, const size_t *len, int k)
{
    size_t total = 0;
    for (int i = 0; i < k; i++) {
        if (!ops[i].ok)
            return BAD;
        total += len[i];
    }
    uint32_t blk = temp(c, total);
    size_t off = 0;
    for (int i = 0; i < k; i++) {
        uint32_t dst = blk + (uint32_t)off;
        if (len[i] == 1)
            emit(c, OP_MOV, 1, dst, ops[i].slot, 0, 0, 0, 0);
        else
            emit(c, OP_V_MOV, (uint32_t)len[i], dst, ops[i].slot, 0, 0, 0, ops[i].scalar ? VF_A : 0);
        off += len[i];
    }
    return vector_op(blk);
}

/* Pool offset of where each point of s sits along the vector a function
 * works on: range d (and, for a matrix, d2 with positions p*n2 + q). */
static bool vector_positions(cc *c, const ispace *s, const ast *call, int d, int d2, uint32_t *off)
{
    size_t n = s->npoints;
    int *p1 = wd_xmalloc((n + 1) * sizeof(int)), *p2 = wd_xmalloc((n + 1) * sizeof(int));
    uint32_t *idx = wd_xmalloc((n + 1) * sizeof(uint32_t));
    bool ok = p1 && p2 && idx;
    if (!ok)
        c->oom = true;
    char err[300];
    if (ok && (!bind_pos(c->m, s, d, p1, err, sizeof err) || (d2 >= 0 && !bind_pos(c->m, s, d2, p2, err, sizeof err)))) {
        cerr(c, call->loc,
             "%s gives one value per element of range '%s'%s%s: the left-hand side must run over %s (%s)", call->raw,
             c->m->dims.v[d].raw, d2 >= 0 ? " x " : "", d2 >= 0 ? c->m->dims.v[d2].raw : "",
             d2 >= 0 ? "both" : "it", err);
        ok = false;
    }
    if (ok) {
        size_t n2 = d2 >= 0 ? c->m->dims.v[d2].n : 1;
        for (size_t i = 0; i < n; i++)
            idx[i] = (uint32_t)((size_t)p1[i] * n2 + (d2 >= 0 ? (size_t)p2[i] : 0));
        *off = pool_add(c, idx, n);
    }
    wd_xfree(p1);
    wd_xfree(p2);
    wd_xfree(idx);
    return ok;
}

/* The '!' range marked by sema on subscript `back` places before the last
 * of reference r (the range a vector function works along). */
static int marked_dim(const ast *r, size_t back)
{
    if (r->kind != AST_REF || r->nsubs <= back)
        return -1;
    return r->subs[r->nsubs - 1 - back].dim;
}

/* An argument evaluated over s extended by its own '!' ranges: n*k values,
 * with *k the size of those ranges. */
static operand vector_arg(cc *c, const ispace *s, const ast *arg, size_t *k)
{
    ispace inner;
    if (!ispace_extend_arg(c->m, s, arg, &inner)) {
        cerr(c, arg->loc, "too many '!' ranges");
        return BAD;
    }
    *k = inner.bang_n;
    return as_vector(c, cexpr(c, &inner, arg), inner.npoints);
}

static operand cvector(cc *c, const ispace *s, const ast *a)
{
    const wd_model *m = c->m;
    size_t n = s->npoints;
    fn_id fn = (fn_id)a->fn;
    operand ops[8] = {{0, false, false}};
    size_t len[8] = {0};
    uint32_t pos = 0;
    int op;
    size_t k = 1;
    switch (fn) {
    case F_VECTOR_SELECT: {
        /* selection and expression over the '!' ranges of both (Vensim
         * pairs them element by element, as SUM(sel[d!] * expr[d!]) does) */
        ispace inner;
        if (!ispace_extend(m, s, a, &inner)) {
            cerr(c, a->loc, "too many '!' ranges in %s", a->raw);
            return BAD;
        }
        k = inner.bang_n;
        ops[0] = as_vector(c, cexpr(c, &inner, a->args[0]), inner.npoints);
        ops[1] = as_vector(c, cexpr(c, &inner, a->args[1]), inner.npoints);
        ops[2] = cexpr(c, s, a->args[2]);
        ops[3] = cexpr(c, s, a->args[3]);
        len[0] = len[1] = n * k;
        len[2] = len[3] = n;
        operand blk = pack(c, ops, len, 4);
        if (!blk.ok)
            return BAD;
        uint32_t t = temp(c, n);
        emit(c, OP_VSELECT, (uint32_t)n, t, blk.slot, (uint32_t)k, 0, 0, 0);
        return n == 1 ? scalar_op(t) : vector_op(t);
    }
    case F_VECTOR_SORT_ORDER:
    case F_VECTOR_RANK:
    case F_VECTOR_REORDER: {
        ops[0] = vector_arg(c, s, a->args[0], &k);
        ops[1] = cexpr(c, s, a->args[1]);
        len[0] = n * k;
        len[1] = n;
        if (!ops[0].ok || !ops[1].ok)
            return BAD;
        if (fn != F_VECTOR_REORDER && !vector_positions(c, s, a, marked_dim(a->args[0], 0), -1, &pos))
            return BAD;
        op = fn == F_VECTOR_SORT_ORDER ? OP_VSORT_ORDER : fn == F_VECTOR_RANK ? OP_VRANK : OP_VREORDER;
        operand blk = pack(c, ops, len, 2);
        if (!blk.ok)
            return BAD;
        uint32_t t = temp(c, n);
        emit(c, op, (uint32_t)n, t, blk.slot, (uint32_t)k, 0, pos, 0);
        return n == 1 ? scalar_op(t) : vector_op(t);
    }
    case F_ALLOCATE_BY_PRIORITY: {
        size_t k2 = 0;
        ops[0] = vector_arg(c, s, a->args[0], &k);
        ops[1] = vector_arg(c, s, a->args[1], &k2);
        ops[2] = cexpr(c, s, a->args[3]);
        ops[3] = cexpr(c, s, a->args[4]);
        if (!ops[0].ok || !ops[1].ok || !ops[2].ok || !ops[3].ok)
            return BAD;
        if (k2 != k) {
            cerr(c, a->loc, "the request and priority of %s run over ranges of different sizes (%zu and %zu)", a->raw,
                 k, k2);
            return BAD;
        }
        len[0] = len[1] = n * k;
        len[2] = len[3] = n;
        if (!vector_positions(c, s, a, marked_dim(a->args[0], 0), -1, &pos))
            return BAD;
        operand blk = pack(c, ops, len, 4);
        if (!blk.ok)
            return BAD;
        uint32_t t = temp(c, n);
        emit(c, OP_ALLOC_PRIORITY, (uint32_t)n, t, blk.slot, (uint32_t)k, 0, pos, 0);
        return n == 1 ? scalar_op(t) : vector_op(t);
    }
    case F_ALLOCATE_AVAILABLE: {
        /* the priority profile: four consecutive elements of the last
         * range of the second argument, from the element written there */
        const ast *pp = a->args[1];
        ops[0] = vector_arg(c, s, a->args[0], &k);
        const var_t *pv = pp->var >= 0 ? &m->vars.v[pp->var] : NULL;
        const ast_sub *last = pp->nsubs ? &pp->subs[pp->nsubs - 1] : NULL;
        int pd = pv ? pv->dims[pv->ndims - 1] : -1;
        int p0 = pv && last && last->elem >= 0 ? dim_pos(m, pd, last->elem) : -1;
        if (p0 < 0 || (size_t)p0 + 4 > m->dims.v[pd].n) {
            cerr(c, pp->loc, "%s needs four profile values (type, priority, width, extra) from the element written as "
                             "the last subscript of its second argument", a->raw);
            return BAD;
        }
        for (int q = 0; q < 4; q++) {
            ast copy = *pp;
            ast_sub subs[WD_MAX_DIMS];
            memcpy(subs, pp->subs, pp->nsubs * sizeof(ast_sub));
            subs[pp->nsubs - 1].elem = m->dims.v[pd].elems[p0 + q];
            copy.subs = subs;
            size_t k2 = 0;
            ops[1 + q] = vector_arg(c, s, &copy, &k2);
            if (ops[1 + q].ok && k2 != k) {
                cerr(c, a->loc, "the request and priority profile of %s run over ranges of different sizes (%zu and %zu)",
                     a->raw, k, k2);
                return BAD;
            }
            len[1 + q] = n * k;
        }
        ops[5] = cexpr(c, s, a->args[2]);
        len[0] = n * k;
        len[5] = n;
        if (!ops[0].ok || !ops[5].ok)
            return BAD;
        if (!vector_positions(c, s, a, marked_dim(a->args[0], 0), -1, &pos))
            return BAD;
        operand blk = pack(c, ops, len, 6);
        if (!blk.ok)
            return BAD;
        uint32_t t = temp(c, n);
        emit(c, OP_ALLOC_AVAIL, (uint32_t)n, t, blk.slot, (uint32_t)k, 0, pos, 0);
        return n == 1 ? scalar_op(t) : vector_op(t);
    }
    case F_INVERT_MATRIX: {
        int d1 = marked_dim(a->args[0], 1), d2 = marked_dim(a->args[0], 0);
        ops[0] = vector_arg(c, s, a->args[0], &k);
        if (!ops[0].ok || d1 < 0 || d2 < 0)
            return BAD;
        if (m->dims.v[d1].n != m->dims.v[d2].n) {
            cerr(c, a->loc, "%s needs a square matrix: ranges '%s' and '%s' differ in size (%zu and %zu)", a->raw,
                 m->dims.v[d1].raw, m->dims.v[d2].raw, m->dims.v[d1].n, m->dims.v[d2].n);
            return BAD;
        }
        double size;
        operand sz = cexpr(c, s, a->args[1]);
        if (sz.ok && sz.scalar && is_const(sz.slot) && (size = const_value(c, sz.slot)) != (double)m->dims.v[d1].n) {
            cerr(c, a->args[1]->loc, "%s: the size given (%g) is not the matrix's (%zu)", a->raw, size,
                 m->dims.v[d1].n);
            return BAD;
        }
        if (!vector_positions(c, s, a, d1, d2, &pos))
            return BAD;
        uint32_t t = temp(c, n);
        emit(c, OP_INVERT_MATRIX, (uint32_t)n, t, ops[0].slot, (uint32_t)k, 0, pos, 0);
        return n == 1 ? scalar_op(t) : vector_op(t);
    }
    case F_VECTOR_ELM_MAP: {
        /* the element each point reads, offset at run time within the
         * whole variable (flat, row-major: Vensim's rule for several
         * subscripts) */
        const ast *r = a->args[0];
        if (r->var < 0)
            return BAD;
        const var_t *v = &m->vars.v[r->var];
        if (v->kind == VK_LOOKUP || v->kind == VK_TIME) {
            cerr(c, r->loc, "the first argument of %s must be a variable with values", a->raw);
            return BAD;
        }
        operand off = cexpr(c, s, a->args[1]);
        size_t *flats = bind_or_report(c, s, r, v);
        if (!flats || !off.ok) {
            wd_xfree(flats);
            return BAD;
        }
        uint32_t *idx = wd_xmalloc((n + 1) * sizeof(uint32_t));
        if (!idx) {
            wd_xfree(flats);
            c->oom = true;
            return BAD;
        }
        for (size_t i = 0; i < n; i++)
            idx[i] = (uint32_t)flats[i];
        uint32_t po = pool_add(c, idx, n);
        wd_xfree(idx);
        wd_xfree(flats);
        uint32_t t = temp(c, n);
        emit(c, OP_ELM_MAP, (uint32_t)n, t, off.slot, c->p->var_slot[r->var], (uint32_t)v->nelems, po,
             off.scalar ? VF_A : 0);
        return n == 1 ? scalar_op(t) : vector_op(t);
    }
    default:
        return BAD;
    }
}

/* RANDOM NORMAL, EXPONENTIAL, ...: min, max and the distribution's
 * parameters packed for RAND_DIST; the last argument (Vensim's stream id)
 * is not used: every draw comes from the run's one generator, seeded from
 * the scenario's seed. */
static operand crandom(cc *c, const ispace *s, const ast *a)
{
    size_t n = s->npoints;
    int dist;
    size_t np; /* arguments used, from min */
    switch ((fn_id)a->fn) {
    case F_RANDOM_NORMAL: dist = RD_NORMAL, np = 4; break;
    case F_RANDOM_EXPONENTIAL: dist = RD_EXPONENTIAL, np = 4; break;
    case F_RANDOM_POISSON: dist = RD_POISSON, np = 5; break;
    case F_RANDOM_GAMMA: dist = RD_GAMMA, np = 5; break;
    case F_RANDOM_WEIBULL: dist = RD_WEIBULL, np = 5; break;
    case F_RANDOM_BETA: dist = RD_BETA, np = 6; break;
    case F_RANDOM_BINOMIAL: dist = RD_BINOMIAL, np = 6; break;
    case F_RANDOM_NEGATIVE_BINOMIAL: dist = RD_NEGBINOMIAL, np = 6; break;
    default: dist = RD_TRIANGULAR, np = 5; break;
    }
    operand ops[8] = {{0, false, false}};
    size_t len[8] = {0};
    for (size_t i = 0; i < np; i++) {
        ops[i] = cexpr(c, s, a->args[i]);
        len[i] = n;
    }
    operand blk = pack(c, ops, len, (int)np);
    if (!blk.ok)
        return BAD;
    uint32_t t = temp(c, n);
    emit(c, OP_RAND_DIST, (uint32_t)n, t, blk.slot, (uint32_t)np, 0, (uint32_t)dist, 0);
    return n == 1 ? scalar_op(t) : vector_op(t);
}

/* GET TIME VALUE(relativeto, offset, measure): the time (relativeto 0) or
 * the initial time (1) plus offset, in the model's units of time (measure
 * 0). Calendar measures (1..10) depend on Vensim's date settings, which a
 * .mdl file does not carry, and the computer clock (relativeto 2) would make
 * runs unrepeatable: both are reported. */
static operand ctimevalue(cc *c, const ispace *s, const ast *a)
{
    size_t n = s->npoints;
    operand rel = cexpr(c, s, a->args[0]);
    operand off = cexpr(c, s, a->args[1]);
    operand meas = cexpr(c, s, a->args[2]);
    if (!rel.ok || !off.ok || !meas.ok)
        return BAD;
    if (!meas.scalar || !is_const(meas.slot) || const_value(c, meas.slot) != 0) {
        cerr(c, a->args[2]->loc, "GET TIME VALUE: only measure 0 (the model's units of time) is supported; calendar "
                                 "measures need Vensim's date settings, which the model file does not hold");
        return BAD;
    }
    if (rel.scalar && is_const(rel.slot) && const_value(c, rel.slot) != 0 && const_value(c, rel.slot) != 1) {
        cerr(c, a->args[0]->loc, "GET TIME VALUE: relativeto must be 0 (the time) or 1 (the initial time); the "
                                 "computer clock (2) would make runs unrepeatable");
        return BAD;
    }
    const wd_model *m = c->m;
    operand init = m->v_initial >= 0 ? scalar_op(c->p->var_slot[m->v_initial]) : scalar_op(konst(c, 0));
    operand base = elementwise(c, OP_SEL, n, 3, rel, init, scalar_op(SLOT_TIME));
    return elementwise(c, OP_ADD, n, 2, base, off, BAD);
}

static operand ccall(cc *c, const ispace *s, const ast *a)
{
    const wd_model *m = c->m;
    size_t n = s->npoints;
    if (a->fn < 0) { /* lookup call */
        operand x = cexpr(c, s, a->args[0]);
        uint32_t aux;
        uint16_t flags = 0;
        if (!x.ok || !lookup_tables(c, s, a, &aux, &flags))
            return BAD;
        if (is_time_ref(m, a->args[0]) && (flags & VF_TABLE))
            request_bp(c, BP_TABLE, s, NULL, 0, aux);
        return table_op(c, s, OP_LOOKUP, x, aux, flags);
    }
    operand x[5];
    fn_id fn = (fn_id)a->fn;
    switch (fn) {
    case F_ABS: return elementwise(c, OP_ABS, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_EXP: return elementwise(c, OP_EXP, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_LN: return elementwise(c, OP_LN, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_LOG:
        if (a->nargs == 1)
            return elementwise(c, OP_LOG10, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
        x[0] = cexpr(c, s, a->args[0]);
        x[1] = cexpr(c, s, a->args[1]);
        return elementwise(c, OP_LOGB, n, 2, x[0], x[1], BAD);
    case F_SQRT: return elementwise(c, OP_SQRT, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_SIN: return elementwise(c, OP_SIN, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_COS: return elementwise(c, OP_COS, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_TAN: return elementwise(c, OP_TAN, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_ARCSIN: return elementwise(c, OP_ASIN, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_ARCCOS: return elementwise(c, OP_ACOS, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_ARCTAN: return elementwise(c, OP_ATAN, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_SINH: return elementwise(c, OP_SINH, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_COSH: return elementwise(c, OP_COSH, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_TANH: return elementwise(c, OP_TANH, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_INTEGER: return elementwise(c, OP_INT, n, 1, cexpr(c, s, a->args[0]), BAD, BAD);
    case F_GAME: return cexpr(c, s, a->args[0]);
    case F_PI: return scalar_op(konst(c, M_PI));
    case F_POWER:
    case F_MODULO:
    case F_MIN:
    case F_MAX:
    case F_ZIDZ:
    case F_QUANTUM: {
        int op = fn == F_POWER ? OP_POW : fn == F_MODULO ? OP_MOD : fn == F_MIN ? OP_MIN : fn == F_MAX ? OP_MAX
                 : fn == F_ZIDZ ? OP_ZIDZ : OP_QUANTUM;
        x[0] = cexpr(c, s, a->args[0]);
        x[1] = cexpr(c, s, a->args[1]);
        return elementwise(c, op, n, 2, x[0], x[1], BAD);
    }
    case F_XIDZ:
    case F_IF:
        x[0] = cexpr(c, s, a->args[0]);
        x[1] = cexpr(c, s, a->args[1]);
        x[2] = cexpr(c, s, a->args[2]);
        if (fn == F_IF && x[0].ok && x[0].scalar && is_const(x[0].slot))
            return const_value(c, x[0].slot) != 0 ? x[1] : x[2];
        return elementwise(c, fn == F_IF ? OP_SEL : OP_XIDZ, n, 3, x[0], x[1], x[2]);
    case F_STEP:
        x[0] = cexpr(c, s, a->args[0]);
        x[1] = cexpr(c, s, a->args[1]);
        request_bp(c, BP_AT, s, (const ast *const[]){a->args[1]}, 1, 0);
        return elementwise(c, OP_STEP, n, 2, x[0], x[1], BAD);
    case F_PULSE:
        x[0] = cexpr(c, s, a->args[0]);
        x[1] = cexpr(c, s, a->args[1]);
        request_bp(c, BP_PULSE, s, (const ast *const[]){a->args[0], a->args[1]}, 2, 0);
        return elementwise(c, OP_PULSE, n, 2, x[0], x[1], BAD);
    case F_RAMP:
        for (int i = 0; i < 3; i++)
            x[i] = cexpr(c, s, a->args[i]);
        request_bp(c, BP_AT, s, (const ast *const[]){a->args[1]}, 1, 0);
        request_bp(c, BP_AT, s, (const ast *const[]){a->args[2]}, 1, 0);
        return elementwise(c, OP_RAMP, n, 3, x[0], x[1], x[2]);
    case F_PULSE_TRAIN: {
        for (int i = 0; i < 4; i++)
            x[i] = cexpr(c, s, a->args[i]);
        if (!x[0].ok || !x[1].ok || !x[2].ok || !x[3].ok)
            return BAD;
        request_bp(c, BP_PULSE_TRAIN, s, (const ast *const[]){a->args[0], a->args[1], a->args[2], a->args[3]}, 4, 0);
        bool all = x[0].scalar && x[1].scalar && x[2].scalar && x[3].scalar;
        uint32_t t = temp(c, all ? 1 : n);
        uint16_t flags = (uint16_t)((x[0].scalar ? VF_A : 0) | (x[1].scalar ? VF_B : 0) |
                                    (x[2].scalar ? VF_C : 0) | (x[3].scalar ? VF_E : 0));
        emit(c, OP_PULSE_TRAIN, all ? 1 : (uint32_t)n, t, x[0].slot, x[1].slot, x[2].slot, x[3].slot, flags);
        return all ? scalar_op(t) : vector_op(t);
    }
    case F_WITH_LOOKUP: {
        operand arg = cexpr(c, s, a->args[0]);
        if (is_time_ref(m, a->args[0]))
            request_bp(c, BP_TABLE, s, NULL, 0, (uint32_t)a->table_id);
        return table_op(c, s, OP_LOOKUP, arg, (uint32_t)a->table_id, VF_TABLE);
    }
    case F_LOOKUP_INVERT:
    case F_LOOKUP_FORWARD:
    case F_LOOKUP_BACKWARD:
    case F_LOOKUP_EXTRAPOLATE: {
        int op = fn == F_LOOKUP_INVERT ? OP_LOOKUP_INV : fn == F_LOOKUP_FORWARD ? OP_LOOKUP_FWD
                 : fn == F_LOOKUP_BACKWARD ? OP_LOOKUP_BWD : OP_LOOKUP_XTR;
        operand arg = cexpr(c, s, a->args[1]);
        uint32_t aux;
        uint16_t flags = 0;
        if (!arg.ok || !lookup_tables(c, s, a->args[0], &aux, &flags))
            return BAD;
        return table_op(c, s, op, arg, aux, flags);
    }
    case F_SUM:
    case F_PROD:
    case F_VMIN:
    case F_VMAX: {
        ispace inner;
        if (!ispace_extend(m, s, a, &inner)) {
            cerr(c, a->loc, "too many '!' ranges in %s", a->raw);
            return BAD;
        }
        if (inner.bang_n == 1 && inner.nbang == 0) {
            cerr(c, a->loc, "%s needs a range marked with '!' in its argument, as in SUM(x[range!])", a->raw);
            return BAD;
        }
        operand v = as_vector(c, cexpr(c, &inner, a->args[0]), inner.npoints);
        if (!v.ok)
            return BAD;
        int op = fn == F_SUM ? OP_REDUCE_SUM : fn == F_PROD ? OP_REDUCE_PROD : fn == F_VMIN ? OP_REDUCE_MIN
                 : OP_REDUCE_MAX;
        uint32_t t = temp(c, n);
        emit(c, op, (uint32_t)n, t, v.slot, (uint32_t)inner.bang_n, 0, 0, 0);
        return n == 1 ? scalar_op(t) : vector_op(t);
    }
    case F_RANDOM_UNIFORM:
    case F_RANDOM_0_1: {
        x[0] = fn == F_RANDOM_0_1 ? scalar_op(konst(c, 0)) : cexpr(c, s, a->args[0]);
        x[1] = fn == F_RANDOM_0_1 ? scalar_op(konst(c, 1)) : cexpr(c, s, a->args[1]);
        if (!x[0].ok || !x[1].ok)
            return BAD;
        uint32_t t = temp(c, n);
        emit(c, OP_RAND_UNIFORM, (uint32_t)n, t, x[0].slot, x[1].slot, 0, 0,
             (uint16_t)((x[0].scalar ? VF_A : 0) | (x[1].scalar ? VF_B : 0)));
        return n == 1 ? scalar_op(t) : vector_op(t);
    }
    case F_RANDOM_NORMAL:
    case F_RANDOM_EXPONENTIAL:
    case F_RANDOM_POISSON:
    case F_RANDOM_GAMMA:
    case F_RANDOM_WEIBULL:
    case F_RANDOM_BETA:
    case F_RANDOM_BINOMIAL:
    case F_RANDOM_NEGATIVE_BINOMIAL:
    case F_RANDOM_TRIANGULAR:
        return crandom(c, s, a);
    case F_VECTOR_SELECT:
    case F_VECTOR_SORT_ORDER:
    case F_VECTOR_RANK:
    case F_VECTOR_REORDER:
    case F_VECTOR_ELM_MAP:
    case F_ALLOCATE_BY_PRIORITY:
    case F_ALLOCATE_AVAILABLE:
    case F_INVERT_MATRIX:
        return cvector(c, s, a);
    case F_GET_TIME_VALUE:
        return ctimevalue(c, s, a);
    case F_LOOKUP_AREA: {
        x[0] = cexpr(c, s, a->args[1]);
        x[1] = cexpr(c, s, a->args[2]);
        uint32_t aux;
        uint16_t flags = 0;
        if (!x[0].ok || !x[1].ok || !lookup_tables(c, s, a->args[0], &aux, &flags))
            return BAD;
        bool one = x[0].scalar && x[1].scalar && (flags & VF_TABLE);
        uint32_t t = temp(c, one ? 1 : n);
        emit(c, OP_LOOKUP_AREA, one ? 1 : (uint32_t)n, t, x[0].slot, x[1].slot, 0, aux,
             (uint16_t)(flags | (x[0].scalar ? VF_A : 0) | (x[1].scalar ? VF_B : 0)));
        return one ? scalar_op(t) : vector_op(t);
    }
    default:
        cerr(c, a->loc, "function %s is not supported yet", a->raw);
        return BAD;
    }
}

static int binop_code(ast_op op)
{
    switch (op) {
    case AOP_ADD: return OP_ADD;
    case AOP_SUB: return OP_SUB;
    case AOP_MUL: return OP_MUL;
    case AOP_DIV: return OP_DIV;
    case AOP_POW: return OP_POW;
    case AOP_EQ: return OP_EQ;
    case AOP_NE: return OP_NE;
    case AOP_LT: return OP_LT;
    case AOP_LE: return OP_LE;
    case AOP_GT: return OP_GT;
    case AOP_GE: return OP_GE;
    case AOP_AND: return OP_AND;
    case AOP_OR: return OP_OR;
    default: return -1;
    }
}

static operand cexpr(cc *c, const ispace *s, const ast *a)
{
    if (!a || c->oom)
        return BAD;
    switch (a->kind) {
    case AST_NUM:
        return scalar_op(konst(c, a->num));
    case AST_REF:
        return cref(c, s, a);
    case AST_UNARY: {
        operand x = cexpr(c, s, a->args[0]);
        if (a->op == AOP_POS)
            return x;
        return elementwise(c, a->op == AOP_NEG ? OP_NEG : OP_NOT, s->npoints, 1, x, BAD, BAD);
    }
    case AST_BINARY: {
        operand x = cexpr(c, s, a->args[0]);
        operand y = cexpr(c, s, a->args[1]);
        int op = binop_code(a->op);
        if (op < 0)
            return BAD;
        return elementwise(c, op, s->npoints, 2, x, y, BAD);
    }
    case AST_CALL:
        return ccall(c, s, a);
    default:
        cerr(c, a->loc, "this expression cannot be evaluated here");
        return BAD;
    }
}

/* ---- storing results ------------------------------------------------------------ */

static bool last_writes(cc *c, uint32_t slot, size_t n)
{
    if (!c->code->n)
        return false;
    const vm_ins *i = &c->code->ins[c->code->n - 1];
    return i->d == slot && (i->n == n || (n == 1 && i->n == 1)) && i->op != OP_PIPE_INIT &&
           i->op != OP_PIPE_PUSH && i->op != OP_SCATTER;
}

/* Whether a broadcast operand of element-wise instruction I lies in the
 * slots [dst, dst + n) (tagged slots compare equal only when identical). */
static bool broadcast_within(const vm_ins *I, uint32_t dst, size_t n)
{
    int ar = vm_op_arity(I->op);
    if (!vm_op_vector(I->op))
        return false;
    const uint32_t ops[3] = {I->a, I->b, I->c};
    for (int i = 0; i < ar; i++)
        if ((I->flags & (1u << i)) && ops[i] >= dst && ops[i] < dst + n)
            return true;
    return false;
}

/* Stores x into slots base + flats[p0 .. p0+np). */
static void store(cc *c, operand x, uint32_t base, const size_t *flats, size_t np)
{
    if (!x.ok)
        return;
    bool consec = true;
    for (size_t i = 1; i < np; i++)
        consec &= flats[i] == flats[0] + i;
    if (consec) {
        uint32_t dst = base + (uint32_t)flats[0];
        /* Retarget the instruction that produced a temporary result (not
         * when it reads a broadcast slot inside the destination: the VM
         * reads a broadcast operand once, before writing; see check_code). */
        if ((x.slot & TEMP_BIT) && last_writes(c, x.slot, x.scalar ? 1 : np) && (x.scalar == (np == 1)) &&
            !broadcast_within(&c->code->ins[c->code->n - 1], dst, np)) {
            c->code->ins[c->code->n - 1].d = dst;
            return;
        }
        if (np == 1)
            emit(c, OP_MOV, 1, dst, x.slot, 0, 0, 0, 0);
        else
            emit(c, OP_V_MOV, (uint32_t)np, dst, x.slot, 0, 0, 0, x.scalar ? VF_A : 0);
        return;
    }
    uint32_t *idx = wd_xmalloc(np * sizeof(uint32_t));
    if (!idx) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < np; i++)
        idx[i] = base + (uint32_t)flats[i];
    uint32_t off = pool_add(c, idx, np);
    wd_xfree(idx);
    emit(c, OP_SCATTER, (uint32_t)np, 0, x.slot, 0, 0, off, x.scalar ? VF_A : 0);
}

/* ---- items ---------------------------------------------------------------------- */

typedef enum phase { PH_INIT, PH_DYN, PH_UPDATE } phase;

static void gen_item(cc *c, const sched_item *it, phase ph)
{
    const wd_model *m = c->m;
    const eqn_t *e = &m->eqns.v[it->eqn];
    ispace s;
    ispace_init(&s, e, it->p0, it->np);
    const size_t *flats = e->flat + it->p0;
    uint32_t base = c->p->var_slot[e->var];
    size_t np = it->np;
    c->temp_top = 0;
    c->cur_var = e->var;
    switch (e->kind) {
    case EK_EXPR:
        if (ph != PH_UPDATE)
            store(c, cexpr(c, &s, e->expr), base, flats, np);
        break;
    case EK_STOCK:
        if (ph == PH_INIT)
            store(c, cexpr(c, &s, e->init), base, flats, np);
        else if (ph == PH_DYN)
            store(c, cexpr(c, &s, e->expr),
                  (uint32_t)(c->p->deriv_first + (base - c->p->state_first)), flats, np);
        break;
    case EK_ACTIVE_INIT:
        store(c, cexpr(c, &s, ph == PH_INIT ? e->init : e->expr), base, flats, np);
        break;
    case EK_INITIAL:
        if (ph == PH_INIT)
            store(c, cexpr(c, &s, e->init), base, flats, np);
        break;
    case EK_SAMPLE: {
        uint32_t held = c->p->sample_state[e->var];
        if (ph == PH_UPDATE) {
            /* the held value becomes what was output at this time */
            operand cur = slots_operand(c, &s, base, flats);
            store(c, cur, held, flats, np);
            break;
        }
        if (ph == PH_INIT)
            store(c, cexpr(c, &s, e->init), held, flats, np);
        operand cond = cexpr(c, &s, e->args[0]);
        operand in = cexpr(c, &s, e->args[1]);
        operand old = slots_operand(c, &s, held, flats);
        store(c, elementwise(c, OP_SEL, np, 3, cond, in, old), base, flats, np);
        break;
    }
    case EK_PIPE: {
        uint32_t pipe = c->pipe_base[it->eqn] + (uint32_t)it->p0;
        if (ph == PH_INIT) {
            operand delay = as_vector(c, cexpr(c, &s, e->args[1]), np);
            operand init = as_vector(c, cexpr(c, &s, e->init), np);
            if (!delay.ok || !init.ok)
                break;
            emit(c, OP_PIPE_INIT, (uint32_t)np, 0, delay.slot, init.slot, 0, pipe, 0);
        }
        if (ph == PH_UPDATE) {
            operand in = as_vector(c, cexpr(c, &s, e->args[0]), np);
            if (in.ok)
                emit(c, OP_PIPE_PUSH, (uint32_t)np, 0, in.slot, 0, 0, pipe, 0);
            break;
        }
        uint32_t t = temp(c, np);
        emit(c, OP_PIPE_READ, (uint32_t)np, t, 0, 0, 0, pipe, 0);
        store(c, np == 1 ? scalar_op(t) : vector_op(t), base, flats, np);
        break;
    }
    case EK_DATA: {
        if (ph == PH_UPDATE)
            break;
        uint32_t t = temp(c, np);
        emit(c, OP_DATA, (uint32_t)np, t, 0, 0, 0, (uint32_t)(e->table_base + it->p0), VF_TSEQ);
        for (size_t k = 0; k < np; k++)
            request_bp(c, BP_TABLE, &s, NULL, 0, (uint32_t)(e->table_base + it->p0 + k));
        store(c, np == 1 ? scalar_op(t) : vector_op(t), base, flats, np);
        break;
    }
    case EK_INPUT: {
        if (ph == PH_UPDATE)
            break;
        uint32_t t = temp(c, np);
        emit(c, OP_INPUT, (uint32_t)np, t, (uint32_t)it->p0, 0, 0, (uint32_t)e->input, 0);
        store(c, np == 1 ? scalar_op(t) : vector_op(t), base, flats, np);
        break;
    }
    case EK_NUMBERS:
    case EK_TABLE:
        break;
    }
}

/* Code computing breakpoint times into fresh slots, appended to init. */
static void gen_breakpoints(cc *c, bp_vec *out, uint32_t *next_slot)
{
    for (size_t r = 0; r < c->bpreq.n && !c->oom; r++) {
        const bp_request *q = &c->bpreq.v[r];
        breakpoint_t bp = {0};
        bp.kind = q->kind;
        bp.table = q->table;
        bp.n = 1;
        if (q->kind != BP_TABLE) {
            /* only arguments fixed over the run give fixed breakpoints */
            bool fixed = true;
            c->temp_top = 0;
            c->cur_var = -1;
            size_t save = c->code->n;
            uint32_t slots[4] = {0, 0, 0, 0};
            bp.n = (uint32_t)q->s.npoints;
            for (int i = 0; i < q->nargs && fixed; i++) {
                operand x = cexpr(c, &q->s, q->args[i]);
                if (!x.ok) {
                    fixed = false;
                    break;
                }
                /* copy into a dedicated block so later code cannot overwrite it */
                uint32_t dst = *next_slot;
                *next_slot += bp.n;
                size_t *fl = wd_xmalloc(bp.n * sizeof(size_t));
                if (!fl) {
                    c->oom = true;
                    return;
                }
                for (size_t k = 0; k < bp.n; k++)
                    fl[k] = k;
                store(c, x, dst, fl, bp.n);
                wd_xfree(fl);
                slots[i] = dst;
            }
            if (!fixed) {
                c->code->n = save;
                continue;
            }
            bp.a = slots[0];
            bp.b = q->nargs > 1 ? slots[1] : 0;
            bp.c = q->nargs > 2 ? slots[2] : 0;
            bp.e = q->nargs > 3 ? slots[3] : 0;
        }
        if (!VEC_PUSH(*out, bp))
            c->oom = true;
    }
}

/* Whether every reference in a is to static data (for breakpoints). */
static bool expr_static(const cc *c, const ast *a)
{
    if (!a)
        return true;
    if (a->kind == AST_REF && a->var >= 0) {
        const var_t *v = &c->m->vars.v[a->var];
        if (v->kind == VK_TIME || v->kind == VK_STOCK || v->kind == VK_SAMPLE || v->kind == VK_PIPE)
            return false;
        for (size_t j = 0; j < v->neqns; j++)
            if (!c->sch->eqn_static[v->eqns[j]])
                return false;
    }
    if (a->kind == AST_CALL && a->fn >= 0 &&
        (wd_builtins[a->fn].cls == FC_TIME || wd_builtins[a->fn].cls == FC_RANDOM))
        return false;
    for (size_t i = 0; i < a->nargs; i++)
        if (!expr_static(c, a->args[i]))
            return false;
    return true;
}

/* ---- relocation ---------------------------------------------------------------- */

static uint32_t reloc(uint32_t s, uint32_t const_base, uint32_t temp_base)
{
    if (s & TEMP_BIT)
        return temp_base + (s & TAG_MASK);
    if (s & CONST_BIT)
        return const_base + (s & TAG_MASK);
    return s;
}

static bool aux_is_slot(int op) { return op == OP_PULSE_TRAIN; }

static void reloc_code(vm_code *code, uint32_t cb, uint32_t tb)
{
    for (size_t i = 0; i < code->n; i++) {
        vm_ins *x = &code->ins[i];
        x->d = reloc(x->d, cb, tb);
        x->a = reloc(x->a, cb, tb);
        if (!WD_OP_B_IS_COUNT(x->op))
            x->b = reloc(x->b, cb, tb);
        x->c = reloc(x->c, cb, tb);
        if (aux_is_slot(x->op))
            x->aux = reloc(x->aux, cb, tb);
    }
}

/* The contract of vector instructions that the VM and the native code rely
 * on: a broadcast operand is not one of the slots the instruction writes
 * (both read it once, before the loop). Violations would be a compiler bug. */
static bool check_code(const vm_code *code)
{
    for (size_t i = 0; i < code->n; i++)
        if (broadcast_within(&code->ins[i], code->ins[i].d, code->ins[i].n))
            return false;
    return true;
}

/* ---- layout and entry point ------------------------------------------------------ */

static bool layout(cc *c)
{
    const wd_model *m = c->m;
    wd_program *p = c->p;
    size_t nv = m->vars.n;
    p->var_slot = wd_xmalloc((nv + 1) * sizeof(uint32_t));
    p->sample_state = wd_xmalloc((nv + 1) * sizeof(uint32_t));
    c->lookup_tbl = wd_xcalloc(nv + 1, sizeof(uint32_t *));
    c->pipe_base = wd_xcalloc(m->eqns.n + 1, sizeof(uint32_t));
    if (!p->var_slot || !p->sample_state || !c->lookup_tbl || !c->pipe_base)
        return false;
    size_t next = SLOT_FIRST_VAR;
    for (size_t v = 0; v < nv; v++) {
        const var_t *vv = &m->vars.v[v];
        p->var_slot[v] = p->sample_state[v] = UINT32_MAX;
        if (vv->kind == VK_TIME) {
            p->var_slot[v] = SLOT_TIME;
        } else if (vv->kind == VK_LOOKUP) {
            uint32_t *ids = wd_xmalloc((vv->nelems + 1) * sizeof(uint32_t));
            if (!ids)
                return false;
            for (size_t k = 0; k < vv->nelems; k++)
                ids[k] = UINT32_MAX; /* an element with no points (partly defined lookup) */
            for (size_t j = 0; j < vv->neqns; j++) {
                const eqn_t *e = &m->eqns.v[vv->eqns[j]];
                for (size_t k = 0; k < e->npoints; k++)
                    ids[e->flat[k]] = (uint32_t)(e->table_base + k);
            }
            c->lookup_tbl[v] = ids;
        } else if (vv->kind != VK_STOCK) {
            p->var_slot[v] = (uint32_t)next;
            next += vv->nelems;
            if (vv->kind == VK_SAMPLE) {
                p->sample_state[v] = (uint32_t)next;
                next += vv->nelems;
            }
        }
        if (next > WD_MAX_SLOTS)
            break;
    }
    p->state_first = next;
    for (size_t v = 0; v < nv; v++)
        if (m->vars.v[v].kind == VK_STOCK) {
            p->var_slot[v] = (uint32_t)next;
            next += m->vars.v[v].nelems;
        }
    p->nstates = next - p->state_first;
    p->deriv_first = next;
    next += p->nstates;
    for (size_t e = 0; e < m->eqns.n; e++)
        if (m->eqns.v[e].kind == EK_PIPE) {
            c->pipe_base[e] = (uint32_t)p->npipes;
            p->npipes += m->eqns.v[e].npoints;
            p->has_discrete = true;
        } else if (m->eqns.v[e].kind == EK_SAMPLE) {
            p->has_discrete = true;
        }
    p->nslots = next;
    return next <= WD_MAX_SLOTS;
}

static bool has_random(const ast *a)
{
    if (!a)
        return false;
    if (a->kind == AST_CALL && a->fn >= 0 && wd_builtins[a->fn].cls == FC_RANDOM)
        return true;
    for (size_t i = 0; i < a->nargs; i++)
        if (has_random(a->args[i]))
            return true;
    return false;
}

static bool build_columns(cc *c)
{
    const wd_model *m = c->m;
    wd_program *p = c->p;
    size_t n = 0;
    for (size_t v = 0; v < m->vars.n; v++) {
        const var_t *vv = &m->vars.v[v];
        if (!vv->hidden && vv->kind != VK_LOOKUP && vv->kind != VK_TIME)
            n += vv->nelems;
    }
    p->cols = wd_xmalloc((n + 1) * sizeof(out_col));
    p->col_timeless = wd_xcalloc(m->vars.n + 1, sizeof(bool));
    if (!p->cols || !p->col_timeless)
        return false;
    for (size_t v = 0; v < m->vars.n; v++) {
        const var_t *vv = &m->vars.v[v];
        if (vv->hidden || vv->kind == VK_LOOKUP || vv->kind == VK_TIME)
            continue;
        bool timeless = vv->kind != VK_STOCK;
        for (size_t j = 0; j < vv->neqns; j++)
            timeless &= c->sch->eqn_static[vv->eqns[j]];
        p->col_timeless[v] = timeless;
        for (size_t k = 0; k < vv->nelems; k++)
            p->cols[p->ncols++] = (out_col){(int)v, k, p->var_slot[v] + (uint32_t)k};
    }
    p->col_runs = wd_xmalloc((p->ncols + 1) * sizeof *p->col_runs);
    if (!p->col_runs)
        return false;
    for (size_t i = 0; i < p->ncols; i++) {
        struct col_run *last = p->ncol_runs ? &p->col_runs[p->ncol_runs - 1] : NULL;
        if (last && last->slot + last->len == p->cols[i].slot)
            last->len++;
        else
            p->col_runs[p->ncol_runs++] = (struct col_run){p->cols[i].slot, 1};
    }
    return true;
}

/* Frees what the compiler holds only while it works; the program keeps the
 * rest (constants and pool are moved into it before, leaving NULL here). */
static void cc_free_scratch(cc *c)
{
    if (c->lookup_tbl)
        for (size_t v = 0; v < c->m->vars.n; v++)
            wd_xfree(c->lookup_tbl[v]);
    wd_xfree(c->lookup_tbl);
    wd_xfree(c->pipe_base);
    VEC_FREE(c->consts);
    VEC_FREE(c->pool);
    VEC_FREE(c->bpreq);
    wd_map_free(c->const_index);
    wd_map_free(c->hoisted);
    VEC_FREE(c->hoist_code);
}

wd_status compile_program(const wd_model *m, wd_diags *d, wd_program **out);

wd_status compile_program(const wd_model *m, wd_diags *d, wd_program **out)
{
    *out = NULL;
    wd_program *p = wd_xcalloc(1, sizeof *p);
    if (!p)
        return WD_E_NOMEM;
    p->model = (wd_model *)m;
    schedule sch;
    wd_status st = schedule_build(m, d, &sch);
    if (st != WD_OK) {
        wd_xfree(p);
        return st;
    }
    cc c = {0};
    c.m = m;
    c.p = p;
    c.sch = &sch;
    c.d = d;
    c.cur_var = -1;
    c.const_index = wd_map_new();
    c.hoisted = wd_map_new();
    if (!c.const_index || !c.hoisted || !layout(&c)) {
        if (p->nslots > WD_MAX_SLOTS) {
            wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL,
                        "the model needs more than %d values; this limit protects the machine", WD_MAX_SLOTS);
            st = WD_E_LIMIT;
        } else {
            st = WD_E_NOMEM;
        }
        goto fail;
    }
    p->dynamic_control = sch.dynamic_control;
    for (size_t e = 0; e < m->eqns.n; e++) {
        const eqn_t *q = &m->eqns.v[e];
        p->has_random |= has_random(q->expr) || has_random(q->init) || has_random(q->args[0]) ||
                         has_random(q->args[1]);
    }
    c.code = &p->init;
    for (size_t i = 0; i < sch.init.n; i++)
        gen_item(&c, &sch.init.v[i], PH_INIT);
    /* breakpoints are requested while compiling rhs/out: compile those first
     * into their segments, then append breakpoint code to init */
    c.code = &p->rhs;
    c.bpreq.n = 0; /* the init code's requests repeat those of rhs/out */
    c.hoist = true;
    for (size_t i = 0; i < sch.rhs.n; i++)
        gen_item(&c, &sch.rhs.v[i], PH_DYN);
    c.code = &p->out;
    for (size_t i = 0; i < sch.out.n; i++)
        gen_item(&c, &sch.out.v[i], PH_DYN);
    c.hoist = false;
    /* the gathers hoisted out of rhs/out run once, after everything else
     * the init code computes */
    c.code = &p->init;
    for (size_t i = 0; i < c.hoist_code.n; i++) {
        const vm_ins *g = &c.hoist_code.v[i];
        c.cur_var = -1;
        emit(&c, g->op, g->n, g->d, g->a, g->b, g->c, g->aux, g->flags);
    }
    c.code = &p->update;
    for (size_t e = 0; e < m->eqns.n; e++) {
        eqn_kind k = m->eqns.v[e].kind;
        if ((k == EK_SAMPLE || k == EK_PIPE) && m->eqns.v[e].npoints) {
            sched_item it = {(int)e, 0, m->eqns.v[e].npoints};
            gen_item(&c, &it, PH_UPDATE);
        }
    }
    /* keep only breakpoints whose arguments are fixed over the run */
    size_t keep = 0;
    for (size_t r = 0; r < c.bpreq.n; r++) {
        bool fixed = true;
        for (int i = 0; i < c.bpreq.v[r].nargs; i++)
            fixed &= expr_static(&c, c.bpreq.v[r].args[i]);
        if (fixed)
            c.bpreq.v[keep++] = c.bpreq.v[r];
    }
    c.bpreq.n = keep;
    c.code = &p->init;
    bp_vec bps = {0};
    uint32_t next_slot = (uint32_t)p->nslots;
    gen_breakpoints(&c, &bps, &next_slot);
    p->nslots = next_slot;
    p->bps = bps.v;
    p->nbps = bps.n;
    /* every segment ends with HALT: the VM needs no bounds check */
    vm_code *segs[] = {&p->init, &p->rhs, &p->out, &p->update};
    for (int i = 0; i < 4; i++) {
        c.code = segs[i];
        c.cur_var = -1;
        emit(&c, OP_HALT, 0, 0, 0, 0, 0, 0, 0);
    }
    if (c.oom || c.nerrors)
        goto fail_status;
    {
        uint32_t cb = (uint32_t)p->nslots, tb = cb + (uint32_t)c.consts.n;
        size_t total = (size_t)tb + c.temp_max;
        if (total > WD_MAX_SLOTS) {
            wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL,
                        "the model needs more than %d values; this limit protects the machine", WD_MAX_SLOTS);
            st = WD_E_LIMIT;
            goto fail;
        }
        reloc_code(&p->init, cb, tb);
        reloc_code(&p->rhs, cb, tb);
        reloc_code(&p->out, cb, tb);
        reloc_code(&p->update, cb, tb);
        if (!check_code(&p->init) || !check_code(&p->rhs) || !check_code(&p->out) || !check_code(&p->update)) {
            wd_diag_add(d, WD_ERROR, (wd_loc){m->path, 0, 0}, NULL,
                        "internal error: a vector instruction reads a broadcast value it overwrites");
            st = WD_E_SEMANTIC;
            goto fail;
        }
        for (size_t i = 0; i < p->nbps; i++) {
            breakpoint_t *b = &p->bps[i];
            b->a = reloc(b->a, cb, tb), b->b = reloc(b->b, cb, tb), b->c = reloc(b->c, cb, tb),
            b->e = reloc(b->e, cb, tb);
        }
        p->const_first = cb;
        p->temp_first = tb;
        p->nslots = total;
        p->defaults = wd_xmalloc((total + 1) * sizeof(double));
        if (!p->defaults)
            goto fail_status;
        for (size_t i = 0; i < total; i++)
            p->defaults[i] = NAN;
        p->defaults[SLOT_TIME] = p->defaults[SLOT_TS] = p->defaults[SLOT_TH] = 0;
        for (size_t i = 0; i < c.consts.n; i++)
            p->defaults[cb + i] = c.consts.v[i];
        for (size_t e = 0; e < m->eqns.n; e++) {
            const eqn_t *q = &m->eqns.v[e];
            if (q->kind != EK_NUMBERS || !q->nums)
                continue;
            for (size_t k = 0; k < q->npoints; k++)
                p->defaults[p->var_slot[q->var] + q->flat[k]] = q->nums[k];
        }
        p->pool = c.pool.v;
        p->npool = c.pool.n;
        c.pool.v = NULL;
    }
    if (!build_columns(&c) || !vm_fuse(&p->rhs, &p->fused[0]) || !vm_fuse(&p->out, &p->fused[1]) ||
        !vm_fuse(&p->update, &p->fused[2]))
        goto fail_status;
    p->rhs_len_total = p->rhs.n;
    cc_free_scratch(&c);
    schedule_free(&sch);
    *out = p;
    return WD_OK;
fail_status:
    st = c.oom ? WD_E_NOMEM : WD_E_SEMANTIC;
fail:
    cc_free_scratch(&c);
    schedule_free(&sch);
    p->model = NULL;
    wd_program_free(p);
    return st;
}

void wd_program_free(wd_program *p)
{
    if (!p)
        return;
    wd_xfree(p->init.ins);
    wd_xfree(p->rhs.ins);
    wd_xfree(p->out.ins);
    wd_xfree(p->update.ins);
    for (int i = 0; i < 3; i++)
        wd_xfree(p->fused[i].ins);
    wd_xfree(p->defaults);
    wd_xfree(p->pool);
    wd_xfree(p->var_slot);
    wd_xfree(p->sample_state);
    wd_xfree(p->bps);
    wd_xfree(p->cols);
    wd_xfree(p->col_runs);
    wd_xfree(p->col_timeless);
    native_free(p->native);
    if (p->owns_model)
        wd_model_free(p->model);
    wd_xfree(p);
}
