/* sema_expr.c: names in expressions, and lowering of stateful functions
 * and macros into hidden variables.
 *
 * Part of sema (see sema.c). Each reference is bound to a variable, each
 * subscript to a range or an element (checked against the left-hand side's
 * loops), each call to a builtin, a lookup or a macro. Stateful functions
 * become hidden stocks (SMOOTH, DELAY1/3/N, TREND, FORECAST), frozen values
 * (INITIAL), sampled state (SAMPLE IF TRUE) or pipelines (DELAY FIXED), with
 * the same loops as the equation that calls them.
 */
#include "sema_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static ast *resolve(sema *s, scope *sc, ast *a);

/* ---- node construction (nodes made here are resolved already) --------------- */

static ast *mk(sema *s, ast_kind k, wd_loc loc)
{
    ast *a = sema_alloc(s, sizeof *a);
    if (a) {
        a->kind = k;
        a->loc = loc;
        a->resolved = true;
        a->var = a->fn = a->dimval = a->table_id = -1;
    }
    return a;
}

static ast *mk_num(sema *s, double v, wd_loc loc)
{
    ast *a = mk(s, AST_NUM, loc);
    if (a)
        a->num = v;
    return a;
}

static ast *mk_bin(sema *s, ast_op op, ast *l, ast *r)
{
    if (!l || !r)
        return NULL;
    ast *a = mk(s, AST_BINARY, l->loc);
    ast **args = sema_alloc(s, 2 * sizeof(ast *));
    if (!a || !args)
        return NULL;
    a->op = op;
    args[0] = l;
    args[1] = r;
    a->args = args;
    a->nargs = 2;
    return a;
}

static ast *mk_call(sema *s, fn_id fn, wd_loc loc, size_t n, ast *a0, ast *a1)
{
    ast *a = mk(s, AST_CALL, loc);
    ast **args = sema_alloc(s, 2 * sizeof(ast *));
    if (!a || !args || !a0 || (n > 1 && !a1))
        return NULL;
    a->fn = fn;
    a->name = wd_builtins[fn].name;
    a->raw = wd_builtins[fn].name;
    args[0] = a0;
    args[1] = a1;
    a->args = args;
    a->nargs = n;
    return a;
}

ast *sema_loop_ref(sema *s, int var, int eqn, wd_loc loc)
{
    ast *a = mk(s, AST_REF, loc);
    if (!a)
        return NULL;
    const eqn_t *e = &s->m->eqns.v[eqn];
    const var_t *v = &s->m->vars.v[var];
    a->var = var;
    a->name = v->name;
    a->raw = v->raw;
    a->nsubs = (size_t)e->nloops;
    if (e->nloops) {
        a->subs = sema_alloc(s, (size_t)e->nloops * sizeof(ast_sub));
        if (!a->subs)
            return NULL;
        for (int l = 0; l < e->nloops; l++) {
            const dim_t *d = &s->m->dims.v[e->loop_dim[l]];
            a->subs[l] = (ast_sub){d->name, d->raw, false, loc, e->loop_dim[l], -1};
        }
    }
    return a;
}

/* ---- hidden variables ---------------------------------------------------------- */

int sema_hidden_var(sema *s, const char *what, int like, var_kind kind, wd_loc loc)
{
    const eqn_t *e = &s->m->eqns.v[like];
    const var_t *owner = &s->m->vars.v[e->var];
    char buf[512];
    snprintf(buf, sizeof buf, "#%d %s in %.400s", ++s->hidden_count, what, owner->raw);
    const char *name = wd_arena_strdup(s->m->arena, buf);
    if (!name) {
        s->oom = true;
        return -1;
    }
    return sema_add_var(s, name, name, loc, kind, true, e->nloops, e->loop_dim);
}

int sema_add_hidden_eqn(sema *s, int var, eqn_kind kind, int like, wd_loc loc)
{
    const eqn_t *l = &s->m->eqns.v[like];
    const var_t *v = &s->m->vars.v[var];
    eqn_t e = {0};
    e.var = var;
    e.kind = kind;
    e.loc = loc;
    e.input = -1;
    e.nloops = l->nloops;
    for (int k = 0; k < l->nloops; k++) {
        e.loop_dim[k] = l->loop_dim[k];
        e.lhs_loop[k] = k;
        size_t dn = s->m->dims.v[l->loop_dim[k]].n;
        e.loop_to_var[k] = sema_alloc(s, (dn + 1) * sizeof(int));
        if (!e.loop_to_var[k])
            return -1;
        for (size_t i = 0; i < dn; i++)
            e.loop_to_var[k][i] = (int)i;
    }
    e.npoints = l->npoints;
    e.tuples = sema_alloc(s, (l->npoints * (size_t)l->nloops + 1) * sizeof(int));
    e.flat = sema_alloc(s, (l->npoints + 1) * sizeof(size_t));
    if (!e.tuples || !e.flat)
        return -1;
    memcpy(e.tuples, l->tuples, l->npoints * (size_t)l->nloops * sizeof(int));
    for (size_t k = 0; k < e.npoints; k++) {
        size_t f = 0;
        for (int p = 0; p < e.nloops; p++)
            f += v->stride[p] * (size_t)e.tuples[k * (size_t)e.nloops + (size_t)p];
        e.flat[k] = f;
    }
    if (!VEC_PUSH(s->m->eqns, e)) {
        s->oom = true;
        return -1;
    }
    int id = (int)s->m->eqns.n - 1;
    var_t *vv = &s->m->vars.v[var];
    int *ids = sema_alloc(s, (vv->neqns + 2) * sizeof(int));
    if (!ids)
        return -1;
    if (vv->neqns)
        memcpy(ids, vv->eqns, vv->neqns * sizeof(int));
    ids[vv->neqns++] = id;
    vv->eqns = ids;
    return id;
}

/* A hidden stock like equation `like`: d/dt = rate, initial value init.
 * rate may refer to the stock itself through the returned id: it is built by
 * the caller after the stock exists, then stored with set_stock. */
static int new_stock(sema *s, const char *what, int like, wd_loc loc)
{
    int v = sema_hidden_var(s, what, like, VK_STOCK, loc);
    if (v < 0)
        return -1;
    if (sema_add_hidden_eqn(s, v, EK_STOCK, like, loc) < 0)
        return -1;
    return v;
}

static void set_stock(sema *s, int var, ast *rate, ast *init)
{
    var_t *v = &s->m->vars.v[var];
    eqn_t *e = &s->m->eqns.v[v->eqns[0]];
    e->expr = rate;
    e->init = init;
    if (!rate || !init)
        s->oom = true;
}

/* ---- compile-time constants ------------------------------------------------------ */

/* The value of a control variable defined by one number, else NaN. */
static double literal_control(sema *s, int var)
{
    if (var < 0)
        return NAN;
    const var_t *v = &s->m->vars.v[var];
    if (v->neqns != 1)
        return NAN;
    const eqn_t *e = &s->m->eqns.v[v->eqns[0]];
    return e->kind == EK_NUMBERS && e->nums ? e->nums[0] : NAN;
}

/* Evaluates a at the initial time: numbers, arithmetic, constants defined
 * by numbers or by such expressions, Time and STEP (when INITIAL TIME and
 * TIME STEP are numbers). Used for the order of DELAY N and SMOOTH N, which
 * Vensim fixes at the start of a run. */
bool sema_const_eval(sema *s, const ast *a, double *out)
{
    double l, r;
    switch (a->kind) {
    case AST_NUM:
        *out = a->num;
        return true;
    case AST_UNARY:
        if (!sema_const_eval(s, a->args[0], &l))
            return false;
        *out = a->op == AOP_NEG ? -l : a->op == AOP_NOT ? (l == 0) : l;
        return true;
    case AST_BINARY:
        if (!sema_const_eval(s, a->args[0], &l) || !sema_const_eval(s, a->args[1], &r))
            return false;
        switch (a->op) {
        case AOP_ADD: *out = l + r; return true;
        case AOP_SUB: *out = l - r; return true;
        case AOP_MUL: *out = l * r; return true;
        case AOP_DIV: *out = l / r; return true;
        case AOP_POW: *out = pow(l, r); return true;
        default: return false;
        }
    case AST_CALL: {
        if (a->fn != F_STEP || a->nargs != 2)
            return false;
        double t0 = literal_control(s, s->m->v_initial), dt = literal_control(s, s->m->v_step);
        if (isnan(t0) || isnan(dt) || !sema_const_eval(s, a->args[0], &l) || !sema_const_eval(s, a->args[1], &r))
            return false;
        *out = t0 + dt / 2 > r ? l : 0;
        return true;
    }
    case AST_REF: {
        if (a->var < 0 || a->nsubs)
            return false;
        if (a->var == s->m->v_time) {
            *out = literal_control(s, s->m->v_initial);
            return !isnan(*out);
        }
        const var_t *v = &s->m->vars.v[a->var];
        if (v->neqns != 1 || v->nelems != 1)
            return false;
        const eqn_t *e = &s->m->eqns.v[v->eqns[0]];
        if (e->kind == EK_NUMBERS && e->nums) {
            *out = e->nums[0];
            return true;
        }
        if (e->kind == EK_EXPR && e->expr && e->expr->resolved)
            return sema_const_eval(s, e->expr, out);
        return false;
    }
    default:
        return false;
    }
}

/* ---- lowering of stateful functions -------------------------------------------- */

static int stage_order(sema *s, ast *n, const char *fname)
{
    double v;
    if (!sema_const_eval(s, n, &v) || !(v >= 1) || v > 1000 || v != floor(v)) {
        sema_error(s, n->loc,
                   "the order of %s must be a whole number from 1 to 1000 known at the initial time (numbers, "
                   "constants, STEP)",
                   fname);
        return -1;
    }
    return (int)v;
}

/* A cascade of `n` first-order smooths of `in`, each with time d/n, all
 * starting at `init`. Returns the last stage. */
static int smooth_chain(sema *s, int like, ast *in, ast *d, ast *init, int n, const char *what,
                        wd_loc loc)
{
    ast *dn = n == 1 ? d : mk_bin(s, AOP_DIV, d, mk_num(s, n, loc));
    ast *prev = in;
    int v = -1;
    for (int k = 0; k < n; k++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s stage %d/%d", what, k + 1, n);
        v = new_stock(s, nm, like, loc);
        if (v < 0)
            return -1;
        ast *self = sema_loop_ref(s, v, like, loc);
        set_stock(s, v, mk_bin(s, AOP_DIV, mk_bin(s, AOP_SUB, prev, self), dn), init);
        prev = sema_loop_ref(s, v, like, loc);
    }
    return v;
}

/* A material delay of order n: stage k holds L_k with outflow L_k/(d/n);
 * each starts at init * d/n. Returns the outflow of the last stage. */
static ast *delay_chain(sema *s, int like, ast *in, ast *d, ast *init, int n, const char *what, wd_loc loc)
{
    ast *dn = n == 1 ? d : mk_bin(s, AOP_DIV, d, mk_num(s, n, loc));
    ast *inflow = in, *outflow = NULL;
    for (int k = 0; k < n; k++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s stage %d/%d", what, k + 1, n);
        int v = new_stock(s, nm, like, loc);
        if (v < 0)
            return NULL;
        outflow = mk_bin(s, AOP_DIV, sema_loop_ref(s, v, like, loc), dn);
        set_stock(s, v, mk_bin(s, AOP_SUB, inflow, outflow), mk_bin(s, AOP_MUL, init, dn));
        inflow = outflow;
    }
    return outflow;
}

/* A reference to TIME STEP. */
static ast *step_ref(sema *s, wd_loc loc)
{
    ast *step = mk(s, AST_REF, loc);
    if (!step)
        return NULL;
    step->var = s->m->v_step;
    step->name = s->m->vars.v[s->m->v_step].name;
    step->raw = s->m->vars.v[s->m->v_step].raw;
    step->resolved = true;
    step->fn = step->dimval = step->table_id = -1;
    return step;
}

/* DELAY N as Vensim computes it (reproduces tests/delays, delay_pipeline,
 * delay_numeric_error, subscripted_delays): m stages, stage k holding S_k
 * (m times its material), with outflow R_k = S_k / T_k and
 * dS_k/dt = m (R_{k-1} - R_k), R_0 the input, S_k(t0) = init * d(t0); the
 * output is R_m. T_k is the delay time as it was k-1 steps earlier,
 * d(t - (k-1) TIME STEP) (d(t0) before the start): when the delay time
 * changes, each stage sees the change one step after the stage before it,
 * which is what makes Vensim's output drop one step after a longer delay
 * time is set (tests/delays, where a change from 4 to 6 at t = 15 shows at
 * t = 16). The lagged times are DELAY FIXED pipelines of whole steps. The
 * order n is fixed at the start; the output is lowered to stage m while a
 * stage would be shorter than TIME STEP, m = min(n, max(1, floor(d /
 * TIME STEP))) (tests/delay_pipeline: a third-order delay of 2.5 steps gives
 * the second-order result), with all n stages integrated. */
static ast *delay_n(sema *s, int like, ast *in, ast *d, ast *init, int n, wd_loc loc)
{
    ast *order = mk_num(s, n, loc);
    if (n > 1) {
        ast *fit = mk_call(s, F_INTEGER, loc, 1,
                           mk_bin(s, AOP_ADD, mk_bin(s, AOP_DIV, d, step_ref(s, loc)), mk_num(s, 1e-9, loc)), NULL);
        order = mk_call(s, F_MIN, loc, 2, order, mk_call(s, F_MAX, loc, 2, mk_num(s, 1, loc), fit));
    }
    ast *prev = in, *result = NULL;
    for (int k = 0; k < n; k++) {
        /* T_k: the delay time k steps ago */
        ast *tk = d;
        if (k > 0) {
            int v = sema_hidden_var(s, "DELAY N time", like, VK_PIPE, loc);
            if (v < 0 || sema_add_hidden_eqn(s, v, EK_PIPE, like, loc) < 0)
                return NULL;
            eqn_t *e = &s->m->eqns.v[s->m->eqns.n - 1];
            e->args[0] = d;
            e->args[1] = mk_bin(s, AOP_MUL, mk_num(s, k, loc), step_ref(s, loc));
            e->init = d;
            tk = sema_loop_ref(s, v, like, loc);
        }
        char nm[64];
        snprintf(nm, sizeof nm, "DELAY N stage %d/%d", k + 1, n);
        int v = new_stock(s, nm, like, loc);
        if (v < 0)
            return NULL;
        ast *rate = mk_bin(s, AOP_DIV, sema_loop_ref(s, v, like, loc), tk);
        set_stock(s, v, mk_bin(s, AOP_MUL, order, mk_bin(s, AOP_SUB, prev, rate)), mk_bin(s, AOP_MUL, init, d));
        prev = mk_bin(s, AOP_DIV, sema_loop_ref(s, v, like, loc), tk);
        if (k == 0) {
            result = prev;
            continue;
        }
        /* IF order >= k+1 THEN R_{k+1} ELSE (earlier choice) */
        ast *c3 = mk(s, AST_CALL, loc);
        ast **args = sema_alloc(s, 3 * sizeof(ast *));
        if (!c3 || !args)
            return NULL;
        c3->fn = F_IF;
        c3->name = c3->raw = wd_builtins[F_IF].name;
        args[0] = mk_bin(s, AOP_GE, order, mk_num(s, k + 1, loc));
        args[1] = prev;
        args[2] = result;
        c3->args = args;
        c3->nargs = 3;
        result = c3;
    }
    return result;
}

static ast *lower_stateful(sema *s, scope *sc, ast *a, fn_id fn)
{
    if (sc->nbang) {
        sema_error(s, a->loc, "%s inside an array function over a range with '!' is not supported", a->raw);
        return a;
    }
    int like = sc->eqn;
    wd_loc loc = a->loc;
    ast **x = a->args;
    int v, n;
    switch (fn) {
    case F_INITIAL:
        v = sema_hidden_var(s, "INITIAL", like, VK_INITIAL, loc);
        if (v < 0 || sema_add_hidden_eqn(s, v, EK_INITIAL, like, loc) < 0)
            return a;
        s->m->eqns.v[s->m->eqns.n - 1].init = x[0];
        return sema_loop_ref(s, v, like, loc);
    case F_SAMPLE_IF_TRUE:
        v = sema_hidden_var(s, "SAMPLE IF TRUE", like, VK_SAMPLE, loc);
        if (v < 0 || sema_add_hidden_eqn(s, v, EK_SAMPLE, like, loc) < 0)
            return a;
        s->m->eqns.v[s->m->eqns.n - 1].args[0] = x[0];
        s->m->eqns.v[s->m->eqns.n - 1].args[1] = x[1];
        s->m->eqns.v[s->m->eqns.n - 1].init = x[2];
        return sema_loop_ref(s, v, like, loc);
    case F_DELAY_FIXED:
        v = sema_hidden_var(s, "DELAY FIXED", like, VK_PIPE, loc);
        if (v < 0 || sema_add_hidden_eqn(s, v, EK_PIPE, like, loc) < 0)
            return a;
        s->m->eqns.v[s->m->eqns.n - 1].args[0] = x[0];
        s->m->eqns.v[s->m->eqns.n - 1].args[1] = x[1];
        s->m->eqns.v[s->m->eqns.n - 1].init = x[2];
        return sema_loop_ref(s, v, like, loc);
    case F_SMOOTH:
    case F_SMOOTHI:
        v = smooth_chain(s, like, x[0], x[1], fn == F_SMOOTH ? x[0] : x[2], 1, "SMOOTH", loc);
        return v < 0 ? a : sema_loop_ref(s, v, like, loc);
    case F_SMOOTH3:
    case F_SMOOTH3I:
        v = smooth_chain(s, like, x[0], x[1], fn == F_SMOOTH3 ? x[0] : x[2], 3, "SMOOTH3", loc);
        return v < 0 ? a : sema_loop_ref(s, v, like, loc);
    case F_SMOOTHN:
        n = stage_order(s, x[3], "SMOOTH N");
        if (n < 0)
            return a;
        v = smooth_chain(s, like, x[0], x[1], x[2], n, "SMOOTH N", loc);
        return v < 0 ? a : sema_loop_ref(s, v, like, loc);
    case F_DELAY1:
    case F_DELAY1I:
        return delay_chain(s, like, x[0], x[1], fn == F_DELAY1 ? x[0] : x[2], 1, "DELAY1", loc);
    case F_DELAY3:
    case F_DELAY3I:
        return delay_chain(s, like, x[0], x[1], fn == F_DELAY3 ? x[0] : x[2], 3, "DELAY3", loc);
    case F_DELAYN:
        n = stage_order(s, x[3], "DELAY N");
        if (n < 0)
            return a;
        return delay_n(s, like, x[0], x[1], x[2], n, loc);
    case F_TREND:
    case F_FORECAST: {
        /* average A: dA/dt = (input - A) / time; TREND starts A at
         * input / (1 + initial trend * time); FORECAST at the input. */
        ast *init = fn == F_TREND
                        ? mk_bin(s, AOP_DIV, x[0],
                                 mk_bin(s, AOP_ADD, mk_num(s, 1, loc), mk_bin(s, AOP_MUL, x[2], x[1])))
                        : x[0];
        v = new_stock(s, fn == F_TREND ? "TREND average" : "FORECAST average", like, loc);
        if (v < 0)
            return a;
        set_stock(s, v, mk_bin(s, AOP_DIV, mk_bin(s, AOP_SUB, x[0], sema_loop_ref(s, v, like, loc)), x[1]), init);
        ast *avg = sema_loop_ref(s, v, like, loc);
        ast *abs_avg = mk_call(s, F_ABS, loc, 1, sema_loop_ref(s, v, like, loc), NULL);
        ast *trend = mk_call(s, F_ZIDZ, loc, 2, mk_bin(s, AOP_SUB, x[0], avg), mk_bin(s, AOP_MUL, x[1], abs_avg));
        if (fn == F_TREND)
            return trend;
        /* FORECAST = input * (1 + trend * horizon) */
        return mk_bin(s, AOP_MUL, x[0],
                      mk_bin(s, AOP_ADD, mk_num(s, 1, loc), mk_bin(s, AOP_MUL, trend, x[2])));
    }
    default:
        sema_error(s, loc, "internal: no lowering for %s", a->raw);
        return a;
    }
}

/* ---- macros -------------------------------------------------------------------- */

static ast *clone_ast(sema *s, const ast *a)
{
    if (!a)
        return NULL;
    ast *c = sema_alloc(s, sizeof *c);
    if (!c)
        return NULL;
    *c = *a;
    c->resolved = false;
    if (a->nargs) {
        c->args = sema_alloc(s, a->nargs * sizeof(ast *));
        if (!c->args)
            return NULL;
        for (size_t i = 0; i < a->nargs; i++)
            c->args[i] = clone_ast(s, a->args[i]);
    }
    if (a->nsubs) {
        c->subs = sema_alloc(s, a->nsubs * sizeof(ast_sub));
        if (!c->subs)
            return NULL;
        memcpy(c->subs, a->subs, a->nsubs * sizeof(ast_sub));
    }
    return c;
}

static const mdl_macro *find_macro(const sema *s, const char *name)
{
    for (size_t i = 0; i < s->f->macros.n; i++)
        if (strcmp(s->f->macros.v[i].name, name) == 0)
            return &s->f->macros.v[i];
    return NULL;
}

static ast *expand_macro(sema *s, scope *sc, ast *a, const mdl_macro *mac)
{
    if (a->nargs != mac->nparams) {
        sema_error(s, a->loc, "macro '%s' takes %zu arguments, found %zu", mac->raw, mac->nparams, a->nargs);
        return a;
    }
    if (sc->nbang) {
        sema_error(s, a->loc, "macro '%s' inside an array function over a range with '!' is not supported", mac->raw);
        return a;
    }
    if (s->macro_depth >= WD_MAX_MACRO_DEPTH) {
        sema_error(s, a->loc, "macros nested more than %d deep (a macro calling itself?)", WD_MAX_MACRO_DEPTH);
        return a;
    }
    for (size_t i = 0; i < a->nargs; i++)
        a->args[i] = resolve(s, sc, a->args[i]);
    int like = sc->eqn;
    macro_inst inst = {0};
    inst.mac = mac;
    inst.args = a->args;
    inst.outer = sc->macro;
    inst.nlocals = mac->neqs;
    inst.locals = sema_alloc(s, (mac->neqs + 1) * sizeof(char *));
    inst.local_vars = sema_alloc(s, (mac->neqs + 1) * sizeof(int));
    if (!inst.locals || !inst.local_vars)
        return a;
    int output = -1;
    for (size_t i = 0; i < mac->neqs; i++) {
        const mdl_eq *eq = &s->f->eqs.v[mac->first_eq + i];
        inst.locals[i] = eq->name;
        inst.local_vars[i] = -1;
        if (eq->nsubs || eq->kind != EQ_ASSIGN || !eq->expr) {
            sema_error(s, eq->loc, "macro '%s': only scalar equations 'name = expression' are supported in a macro body", mac->raw);
            return a;
        }
        char what[300];
        snprintf(what, sizeof what, "%s.%s", mac->raw, eq->raw);
        int v = sema_hidden_var(s, what, like, VK_AUX, eq->loc);
        if (v < 0)
            return a;
        inst.local_vars[i] = v;
        if (strcmp(eq->name, mac->name) == 0)
            output = v;
    }
    if (output < 0) {
        sema_error(s, mac->loc, "macro '%s' has no equation for '%s' (its result)", mac->raw, mac->raw);
        return a;
    }
    s->macro_depth++;
    for (size_t i = 0; i < mac->neqs; i++) {
        const mdl_eq *eq = &s->f->eqs.v[mac->first_eq + i];
        int v = inst.local_vars[i];
        ast *x = eq->expr;
        bool stock = x->kind == AST_CALL && strcmp(x->name, "integ") == 0;
        if (stock && x->nargs != 2) {
            sema_error(s, x->loc, "INTEG takes 2 arguments, found %zu", x->nargs);
            continue;
        }
        s->m->vars.v[v].kind = stock ? VK_STOCK : VK_AUX;
        int e = sema_add_hidden_eqn(s, v, stock ? EK_STOCK : EK_EXPR, like, eq->loc);
        if (e < 0)
            break;
        scope inner = {e, 0, {0}, &inst};
        if (stock) {
            ast *rate = resolve(s, &inner, clone_ast(s, x->args[0]));
            ast *init = resolve(s, &inner, clone_ast(s, x->args[1]));
            s->m->eqns.v[e].expr = rate;
            s->m->eqns.v[e].init = init;
        } else {
            /* resolve may grow the equation vector: assign afterwards */
            ast *expr = resolve(s, &inner, clone_ast(s, x));
            s->m->eqns.v[e].expr = expr;
        }
    }
    s->macro_depth--;
    return sema_loop_ref(s, output, like, a->loc);
}

/* ---- references ----------------------------------------------------------------- */

static void suggest_vars(sema *s, const char *name, wd_buf *b)
{
    model_suggest(s->m, name, b, 3);
}

/* Whether range d can be bound in scope (a loop of the equation or a '!'
 * range of an enclosing array function). */
static bool in_scope(sema *s, const scope *sc, int d)
{
    const eqn_t *e = &s->m->eqns.v[sc->eqn];
    for (int l = 0; l < e->nloops; l++)
        if (dims_bindable(s->m, d, e->loop_dim[l]))
            return true;
    for (int b = 0; b < sc->nbang; b++)
        if (sc->bang[b] == d)
            return true;
    return false;
}

static void resolve_sub(sema *s, scope *sc, ast_sub *sub, const var_t *v, int pos)
{
    sub->dim = sub->elem = -1;
    int vd = v->dims[pos];
    int d = sema_find_dim(s, sub->name);
    if (d >= 0) {
        sub->dim = d;
        if (!dims_bindable(s->m, vd, d)) {
            sema_error(s, sub->loc, "range '%s' does not fit subscript %d of '%s', which runs over '%s'",
                       s->m->dims.v[d].raw, pos + 1, v->raw, s->m->dims.v[vd].raw);
            return;
        }
        if (sub->bang) {
            bool found = false;
            for (int b = 0; b < sc->nbang; b++)
                found |= sc->bang[b] == d;
            if (!found)
                sema_error(s, sub->loc, "'%s!' may only appear inside SUM, PROD, VMIN, VMAX or a VECTOR function",
                           sub->raw);
        } else if (!in_scope(s, sc, d)) {
            sema_error(s, sub->loc,
                       "range '%s' (subscript of '%s') is not on the left-hand side of '%s'; write an element, or '%s!' inside SUM",
                       s->m->dims.v[d].raw, v->raw, s->m->vars.v[s->m->eqns.v[sc->eqn].var].raw, sub->raw);
        }
        return;
    }
    int e = sema_find_elem(s, sub->name);
    if (e >= 0) {
        sub->elem = e;
        if (dim_pos(s->m, vd, e) < 0)
            sema_error(s, sub->loc, "'%s' is not an element of range '%s' (subscript %d of '%s')", sub->raw,
                       s->m->dims.v[vd].raw, pos + 1, v->raw);
        return;
    }
    sema_error(s, sub->loc, "unknown subscript '%s' of '%s'", sub->raw, v->raw);
}

static void resolve_subs(sema *s, scope *sc, ast *a, const var_t *v)
{
    if (a->nsubs != (size_t)v->ndims) {
        if (v->ndims == 0)
            sema_error(s, a->loc, "'%s' has no subscripts, but %zu are given", v->raw, a->nsubs);
        else
            sema_error(s, a->loc, "'%s' has %d subscript%s, but %zu %s given", v->raw, v->ndims,
                       v->ndims == 1 ? "" : "s", a->nsubs, a->nsubs == 1 ? "is" : "are");
        return;
    }
    for (size_t i = 0; i < a->nsubs; i++)
        resolve_sub(s, sc, &a->subs[i], v, (int)i);
}

static ast *resolve_ref(sema *s, scope *sc, ast *a)
{
    for (macro_inst *mi = sc->macro; mi; mi = NULL) {
        for (size_t i = 0; i < mi->mac->nparams; i++)
            if (strcmp(mi->mac->params[i], a->name) == 0) {
                if (a->nsubs)
                    sema_error(s, a->loc, "macro parameter '%s' cannot be subscripted", a->raw);
                return mi->args[i];
            }
        for (size_t i = 0; i < mi->nlocals; i++)
            if (strcmp(mi->locals[i], a->name) == 0) {
                if (a->nsubs)
                    sema_error(s, a->loc, "macro variable '%s' cannot be subscripted", a->raw);
                return sema_loop_ref(s, mi->local_vars[i], sc->eqn, a->loc);
            }
    }
    int v = sema_find_var(s, a->name);
    if (v < 0) {
        int d = sema_find_dim(s, a->name);
        if (d >= 0 && a->nsubs == 0) {
            if (!in_scope(s, sc, d))
                sema_error(s, a->loc, "range '%s' used as a value must be on the left-hand side", a->raw);
            a->dimval = d;
            return a;
        }
        int e = sema_find_elem(s, a->name);
        if (e >= 0 && a->nsubs == 0) {
            /* an element as a value: its place (from 1) in the first-defined
             * range that holds it, as for ranges used as values (bind.c), so
             * that `dimA = B` tests for element B */
            for (size_t k = 0; k < s->m->dims.n; k++) {
                int pos = dim_pos(s->m, (int)k, e);
                if (pos >= 0 && s->m->dims.v[k].alias_of < 0)
                    return mk_num(s, pos + 1, a->loc);
            }
        }
        wd_buf b = {0};
        suggest_vars(s, a->name, &b);
        sema_error(s, a->loc, "unknown variable '%s'%s%s%s", a->raw, b.n ? " (did you mean " : "", wd_buf_str(&b),
                   b.n ? "?)" : "");
        wd_buf_free(&b);
        return a;
    }
    const var_t *vv = &s->m->vars.v[v];
    a->var = v;
    if (vv->kind == VK_LOOKUP) {
        sema_error(s, a->loc, "lookup '%s' is used without an argument; call it as %s(x)", vv->raw, vv->raw);
        return a;
    }
    resolve_subs(s, sc, a, vv);
    return a;
}

/* ---- calls -------------------------------------------------------------------------- */

/* Pushes the ranges marked '!' in a's subtree (not inside nested array
 * functions, which push their own). */
static void collect_bangs(sema *s, scope *sc, const ast *a)
{
    if (!a)
        return;
    if (a->kind == AST_CALL) {
        int fn = builtin_find(a->name);
        if (fn >= 0 && wd_builtins[fn].cls == FC_ARRAY)
            return;
    }
    for (size_t i = 0; i < a->nsubs; i++) {
        if (!a->subs[i].bang)
            continue;
        int d = sema_find_dim(s, a->subs[i].name);
        if (d < 0)
            continue;
        bool have = false;
        for (int b = 0; b < sc->nbang; b++)
            have |= sc->bang[b] == d;
        if (!have && sc->nbang < (int)(sizeof sc->bang / sizeof sc->bang[0]))
            sc->bang[sc->nbang++] = d;
    }
    for (size_t i = 0; i < a->nargs; i++)
        collect_bangs(s, sc, a->args[i]);
}

static ast *resolve_lookup_arg(sema *s, scope *sc, ast *ref, const char *fname)
{
    if (ref->kind != AST_REF) {
        sema_error(s, ref->loc, "the first argument of %s must name a lookup", fname);
        return ref;
    }
    int v = sema_find_var(s, ref->name);
    if (v < 0 || s->m->vars.v[v].kind != VK_LOOKUP) {
        sema_error(s, ref->loc, "'%s' is not a lookup (first argument of %s)", ref->raw, fname);
        return ref;
    }
    ref->var = v;
    ref->fn = ref->dimval = ref->table_id = -1;
    resolve_subs(s, sc, ref, &s->m->vars.v[v]);
    ref->resolved = true;
    return ref;
}

/* Marks `count` range subscripts of reference `arg`, ending `skip` places
 * before its last subscript, with '!': the vector functions work along the
 * last subscript of their argument (Vensim's rule for VECTOR SORT ORDER,
 * VECTOR RANK, VECTOR REORDER, ALLOCATE BY PRIORITY, ALLOCATE AVAILABLE and
 * INVERT MATRIX, whose matrix is the last two subscripts), so that range
 * becomes the '!' range the compiler reduces over, as for SUM(x[d!]). */
static bool mark_vector_dims(sema *s, ast *arg, int count, int skip, const char *fname, int argno)
{
    if (arg->kind != AST_REF || (int)arg->nsubs < count + skip) {
        sema_error(s, arg->loc, "argument %d of %s must be a variable with %d subscript%s or more", argno, fname,
                   count + skip, count + skip == 1 ? "" : "s");
        return false;
    }
    for (int k = 0; k < count; k++) {
        ast_sub *sub = &arg->subs[arg->nsubs - (size_t)skip - 1 - (size_t)k];
        if (sema_find_dim(s, sub->name) < 0) {
            sema_error(s, sub->loc,
                       "subscript '%s' of argument %d of %s must be a range: the function works along it", sub->raw,
                       argno, fname);
            return false;
        }
        sub->bang = true;
    }
    if (skip) {
        ast_sub *sub = &arg->subs[arg->nsubs - 1];
        if (sema_find_dim(s, sub->name) >= 0) {
            sema_error(s, sub->loc,
                       "the last subscript of argument %d of %s must be the element where the priority profile "
                       "starts (as in pp[branch, ptype]), found the range '%s'",
                       argno, fname, sub->raw);
            return false;
        }
    }
    return true;
}

static bool mark_vector_args(sema *s, ast *a, fn_id fn)
{
    switch (fn) {
    case F_VECTOR_SORT_ORDER:
    case F_VECTOR_RANK:
    case F_VECTOR_REORDER:
        return mark_vector_dims(s, a->args[0], 1, 0, a->raw, 1);
    case F_ALLOCATE_BY_PRIORITY:
        return mark_vector_dims(s, a->args[0], 1, 0, a->raw, 1) && mark_vector_dims(s, a->args[1], 1, 0, a->raw, 2);
    case F_ALLOCATE_AVAILABLE:
        return mark_vector_dims(s, a->args[0], 1, 0, a->raw, 1) && mark_vector_dims(s, a->args[1], 1, 1, a->raw, 2);
    case F_INVERT_MATRIX:
        return mark_vector_dims(s, a->args[0], 2, 0, a->raw, 1);
    case F_VECTOR_ELM_MAP:
        if (a->args[0]->kind != AST_REF) {
            sema_error(s, a->args[0]->loc, "the first argument of %s must name a variable", a->raw);
            return false;
        }
        return true;
    default:
        return true;
    }
}

static ast *resolve_call(sema *s, scope *sc, ast *a)
{
    int v = sema_find_var(s, a->name);
    if (v >= 0 && s->m->vars.v[v].kind == VK_LOOKUP) {
        a->var = v;
        resolve_subs(s, sc, a, &s->m->vars.v[v]);
        if (a->nargs != 1) {
            sema_error(s, a->loc, "lookup '%s' takes one argument, found %zu", a->raw, a->nargs);
            return a;
        }
        a->args[0] = resolve(s, sc, a->args[0]);
        return a;
    }
    if (v >= 0) {
        sema_error(s, a->loc, "'%s' is a variable, not a lookup or function, and cannot be called", a->raw);
        return a;
    }
    const mdl_macro *mac = find_macro(s, a->name);
    if (mac)
        return expand_macro(s, sc, a, mac);
    int fn = builtin_find(a->name);
    if (fn < 0) {
        sema_error(s, a->loc, "unknown or unsupported function '%s'", a->raw);
        return a;
    }
    const fn_info *fi = &wd_builtins[fn];
    if ((int)a->nargs < fi->min_args || (fi->max_args >= 0 && (int)a->nargs > fi->max_args)) {
        if (fi->min_args == fi->max_args)
            sema_error(s, a->loc, "%s takes %d argument%s, found %zu", a->raw, fi->min_args,
                       fi->min_args == 1 ? "" : "s", a->nargs);
        else
            sema_error(s, a->loc, "%s takes %d to %d arguments, found %zu", a->raw, fi->min_args, fi->max_args,
                       a->nargs);
        return a;
    }
    if (a->nsubs) {
        sema_error(s, a->loc, "function %s cannot be subscripted", a->raw);
        return a;
    }
    a->fn = fn;
    switch (fi->cls) {
    case FC_TOPLEVEL:
        sema_error(s, a->loc, "%s may only be the whole right-hand side of an equation", a->raw);
        return a;
    case FC_MATH:
    case FC_TIME:
    case FC_RANDOM:
        for (size_t i = 0; i < a->nargs; i++)
            a->args[i] = resolve(s, sc, a->args[i]);
        return a;
    case FC_STATEFUL:
        for (size_t i = 0; i < a->nargs; i++)
            a->args[i] = resolve(s, sc, a->args[i]);
        return lower_stateful(s, sc, a, (fn_id)fn);
    case FC_LOOKUP:
        if (fn == F_WITH_LOOKUP) {
            a->args[0] = resolve(s, sc, a->args[0]);
            ast *t = a->args[1];
            if (t->kind != AST_TABLE || !t->table) {
                sema_error(s, t->loc, "the second argument of WITH LOOKUP must be a table ((x1,y1), ...)");
                return a;
            }
            const ast_table *tb = t->table;
            for (size_t i = 1; i < tb->n; i++)
                if (tb->x[i] < tb->x[i - 1]) {
                    sema_error(s, t->loc, "WITH LOOKUP table: x values must increase (point %zu)", i + 1);
                    return a;
                }
            table_t tt = {tb->n, tb->x, tb->y, TBL_INTERP};
            if (tb->n == 0) {
                sema_error(s, t->loc, "WITH LOOKUP table has no points");
                return a;
            }
            if (!VEC_PUSH(s->m->tables, tt)) {
                s->oom = true;
                return a;
            }
            a->table_id = (int)s->m->tables.n - 1;
            t->resolved = true;
            return a;
        }
        a->args[0] = resolve_lookup_arg(s, sc, a->args[0], a->raw);
        for (size_t i = 1; i < a->nargs; i++)
            a->args[i] = resolve(s, sc, a->args[i]);
        return a;
    case FC_ARRAY: {
        if (fn == F_ELMCOUNT) {
            ast *r = a->args[0];
            int d = r->kind == AST_REF ? sema_find_dim(s, r->name) : -1;
            if (d < 0) {
                sema_error(s, r->loc, "ELMCOUNT takes the name of a subscript range");
                return a;
            }
            return mk_num(s, (double)s->m->dims.v[d].n, a->loc);
        }
        if (!mark_vector_args(s, a, (fn_id)fn))
            return a;
        int saved = sc->nbang;
        for (size_t i = 0; i < a->nargs; i++)
            collect_bangs(s, sc, a->args[i]);
        for (size_t i = 0; i < a->nargs; i++)
            a->args[i] = resolve(s, sc, a->args[i]);
        sc->nbang = saved;
        return a;
    }
    }
    return a;
}

static ast *resolve(sema *s, scope *sc, ast *a)
{
    if (!a || a->resolved)
        return a;
    a->var = a->fn = a->dimval = a->table_id = -1;
    a->resolved = true;
    switch (a->kind) {
    case AST_NUM:
    case AST_STR:
        return a;
    case AST_NA:
        /* Vensim's :NA: is the finite number -2^109, so that the idiom
         * IF THEN ELSE(x = :NA:, ...) can test for missing data. */
        a->kind = AST_NUM;
        a->num = WD_NA;
        return a;
    case AST_TABLE:
        sema_error(s, a->loc, "a lookup table may only appear as the second argument of WITH LOOKUP");
        return a;
    case AST_NUMLIST:
        sema_error(s, a->loc, "a list of numbers cannot appear inside an expression");
        return a;
    case AST_UNARY:
    case AST_BINARY:
        for (size_t i = 0; i < a->nargs; i++)
            a->args[i] = resolve(s, sc, a->args[i]);
        return a;
    case AST_REF:
        return resolve_ref(s, sc, a);
    case AST_CALL:
        return resolve_call(s, sc, a);
    }
    return a;
}

void sema_resolve_eqn(sema *s, int eid)
{
    scope sc = {eid, 0, {0}, NULL};
    eqn_t *e = &s->m->eqns.v[eid];
    ast *expr = e->expr, *init = e->init;
    /* Lowering appends equations: re-fetch e after each call. */
    if (expr)
        expr = resolve(s, &sc, expr);
    s->m->eqns.v[eid].expr = expr;
    if (init)
        init = resolve(s, &sc, init);
    s->m->eqns.v[eid].init = init;
    for (int i = 0; i < 2; i++) {
        ast *x = s->m->eqns.v[eid].args[i];
        if (x) {
            x = resolve(s, &sc, x);
            s->m->eqns.v[eid].args[i] = x;
        }
    }
}
