/* schedule.c: dependency graphs and evaluation order. See schedule.h.
 *
 * Nodes are equations; an edge W -> E means E reads an element that W
 * writes. Strongly connected components (Tarjan 1972, iteratively) that are
 * cyclic at the equation level are ordered again element by element (Kahn's
 * algorithm); a cycle that remains is an algebraic loop.
 */
#include "schedule.h"
#include "bind.h"
#include "builtins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dim_pos(const wd_model *m, int d, int e);

typedef struct read_t {
    uint32_t pt;   /* point of the reading equation */
    int var;
    size_t flat;
} read_t;

typedef VEC(read_t) read_vec;
typedef VEC(int) int_vec;

typedef struct sctx {
    const wd_model *m;
    wd_diags *d;
    bool oom;
    size_t nerrors;
    int **wr_eqn;        /* per var: writer equation of each element */
    uint32_t **wr_pt;    /* per var: point of that equation */
    read_vec *rinit, *rdyn, *rpush;
    bool *intrinsic;     /* dynamic by itself (time, random, data, state reads) */
} sctx;

static void err_at(sctx *c, wd_loc loc, const char *fmt, ...) WD_PRINTF(3, 4);
static void err_at(sctx *c, wd_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *line = c->m->file && loc.file ? wd_source_line(c->m->file->text, loc.line) : NULL;
    wd_diag_vadd(c->d, WD_ERROR, loc, line, fmt, ap);
    va_end(ap);
    c->nerrors++;
}

/* Values that no equation of the run computes: stocks (integrated) and
 * INITIAL values (frozen at the start). A DELAY FIXED output is read from
 * its pipeline by an equation like any other. */
static bool is_state_var(const var_t *v)
{
    return v->kind == VK_STOCK || v->kind == VK_INITIAL;
}

static void walk(sctx *c, const ast *a, const ispace *s, read_vec *out, bool *dyn);

/* ALLOCATE AVAILABLE reads its priority profile from four consecutive
 * elements, starting at the element written as the last subscript of
 * reference r. */
static void walk_profile(sctx *c, const ast *r, const ispace *s, read_vec *out, bool *dyn)
{
    if (r->kind != AST_REF || r->var < 0 || !r->nsubs || r->nsubs > WD_MAX_DIMS)
        return;
    const var_t *v = &c->m->vars.v[r->var];
    int d = v->dims[v->ndims - 1];
    int p0 = r->subs[r->nsubs - 1].elem >= 0 ? dim_pos(c->m, d, r->subs[r->nsubs - 1].elem) : -1;
    for (int q = 1; q < 4 && p0 >= 0 && (size_t)(p0 + q) < c->m->dims.v[d].n; q++) {
        ast copy = *r;
        ast_sub subs[WD_MAX_DIMS];
        memcpy(subs, r->subs, r->nsubs * sizeof(ast_sub));
        subs[r->nsubs - 1].elem = c->m->dims.v[d].elems[p0 + q];
        copy.subs = subs;
        walk(c, &copy, s, out, dyn);
    }
}

/* VECTOR ELM MAP may read any element of its variable: each point depends
 * on all of them. */
static void walk_all(sctx *c, const ast *r, const ispace *s, read_vec *out)
{
    if (r->kind != AST_REF || r->var < 0)
        return;
    const var_t *v = &c->m->vars.v[r->var];
    if (v->kind == VK_TIME || v->kind == VK_LOOKUP)
        return;
    for (size_t q = 0; q < s->npoints && !c->oom; q++)
        for (size_t f = 0; f < v->nelems; f++) {
            read_t rd = {(uint32_t)(s->p0 + q / s->bang_n), r->var, f};
            if (!VEC_PUSH(*out, rd)) {
                c->oom = true;
                break;
            }
        }
}

/* Collects the elements expression a reads over iteration space s. */
static void walk(sctx *c, const ast *a, const ispace *s, read_vec *out, bool *dyn)
{
    if (!a || c->oom)
        return;
    const wd_model *m = c->m;
    if (a->kind == AST_REF && a->var >= 0) {
        const var_t *v = &m->vars.v[a->var];
        if (v->kind == VK_TIME) {
            *dyn = true;
            return;
        }
        if (v->kind == VK_LOOKUP)
            return;
        size_t *flats = wd_xmalloc((s->npoints + 1) * sizeof(size_t));
        if (!flats) {
            c->oom = true;
            return;
        }
        char err[300];
        if (!bind_ref(m, s, v, a->subs, flats, err, sizeof err)) {
            err_at(c, a->loc, "%s (in the reference to '%s')", err, v->raw);
        } else {
            for (size_t q = 0; q < s->npoints; q++) {
                if (c->wr_eqn[a->var] && c->wr_eqn[a->var][flats[q]] < 0) {
                    wd_buf b = {0};
                    model_elem_name(m, a->var, flats[q], &b);
                    err_at(c, a->loc, "%s is read here but has no equation", wd_buf_str(&b));
                    wd_buf_free(&b);
                    break;
                }
                read_t r = {(uint32_t)(s->p0 + q / s->bang_n), a->var, flats[q]};
                if (!VEC_PUSH(*out, r)) {
                    c->oom = true;
                    break;
                }
            }
        }
        wd_xfree(flats);
        return;
    }
    if (a->kind == AST_CALL && a->fn >= 0) {
        fn_class cls = wd_builtins[a->fn].cls;
        if (cls == FC_TIME || cls == FC_RANDOM)
            *dyn = true;
        if (cls == FC_ARRAY) {
            ispace inner;
            if (!ispace_extend(m, s, a, &inner)) {
                err_at(c, a->loc, "too many '!' ranges in %s", a->raw);
                return;
            }
            for (size_t i = 0; i < a->nargs; i++)
                walk(c, a->args[i], &inner, out, dyn);
            if (a->fn == F_ALLOCATE_AVAILABLE)
                walk_profile(c, a->args[1], &inner, out, dyn);
            if (a->fn == F_VECTOR_ELM_MAP)
                walk_all(c, a->args[0], s, out);
            return;
        }
        if (cls == FC_LOOKUP && a->fn != F_WITH_LOOKUP) {
            for (size_t i = 1; i < a->nargs; i++)
                walk(c, a->args[i], s, out, dyn);
            return;
        }
    }
    for (size_t i = 0; i < a->nargs; i++)
        walk(c, a->args[i], s, out, dyn);
}

static void collect_reads(sctx *c, int eid)
{
    const eqn_t *e = &c->m->eqns.v[eid];
    ispace s;
    ispace_init(&s, e, 0, e->npoints);
    bool dyn = false, unused = false;
    switch (e->kind) {
    case EK_EXPR:
        walk(c, e->expr, &s, &c->rdyn[eid], &dyn);
        walk(c, e->expr, &s, &c->rinit[eid], &unused);
        break;
    case EK_STOCK:
        walk(c, e->expr, &s, &c->rdyn[eid], &unused);
        walk(c, e->init, &s, &c->rinit[eid], &unused);
        dyn = true;
        break;
    case EK_ACTIVE_INIT:
        walk(c, e->expr, &s, &c->rdyn[eid], &unused);
        walk(c, e->init, &s, &c->rinit[eid], &unused);
        dyn = true;
        break;
    case EK_INITIAL:
        walk(c, e->init, &s, &c->rinit[eid], &unused);
        break;
    case EK_SAMPLE:
        walk(c, e->args[0], &s, &c->rdyn[eid], &unused);
        walk(c, e->args[1], &s, &c->rdyn[eid], &unused);
        walk(c, e->init, &s, &c->rinit[eid], &unused);
        walk(c, e->args[0], &s, &c->rinit[eid], &unused);
        walk(c, e->args[1], &s, &c->rinit[eid], &unused);
        dyn = true;
        break;
    case EK_PIPE:
        walk(c, e->args[0], &s, &c->rpush[eid], &unused);
        walk(c, e->init, &s, &c->rinit[eid], &unused);
        walk(c, e->args[1], &s, &c->rinit[eid], &unused);
        dyn = true;
        break;
    case EK_DATA:
    case EK_INPUT:
        dyn = true;
        break;
    case EK_NUMBERS:
    case EK_TABLE:
        break;
    }
    for (size_t i = 0; i < c->rdyn[eid].n; i++)
        if (is_state_var(&c->m->vars.v[c->rdyn[eid].v[i].var]))
            dyn = true;
    c->intrinsic[eid] = dyn;
}

/* Whether an equation takes part in the ordering at all. */
static bool schedulable(const wd_model *m, int eid)
{
    eqn_kind k = m->eqns.v[eid].kind;
    /* an equation whose points all became run inputs computes nothing */
    return k != EK_TABLE && m->eqns.v[eid].npoints > 0 && m->vars.v[m->eqns.v[eid].var].kind != VK_TIME;
}

/* ---- graph ---------------------------------------------------------------------- */

typedef struct graph {
    size_t n;
    int_vec *succ; /* W -> E */
} graph;

static void graph_free(graph *g)
{
    if (!g->succ)
        return;
    for (size_t i = 0; i < g->n; i++)
        VEC_FREE(g->succ[i]);
    wd_xfree(g->succ);
    g->succ = NULL;
}

/* Edges from the reads of each equation; reads of state skipped when
 * skip_state. */
static bool build_graph(sctx *c, read_vec *reads, bool skip_state, graph *g)
{
    const wd_model *m = c->m;
    g->n = m->eqns.n;
    g->succ = wd_xcalloc(g->n + 1, sizeof(int_vec));
    int *mark = wd_xmalloc((g->n + 1) * sizeof(int));
    if (!g->succ || !mark) {
        wd_xfree(mark);
        return false;
    }
    for (size_t i = 0; i < g->n; i++)
        mark[i] = -1;
    for (size_t e = 0; e < g->n; e++) {
        if (!schedulable(m, (int)e))
            continue;
        for (size_t i = 0; i < reads[e].n; i++) {
            const read_t *r = &reads[e].v[i];
            const var_t *v = &m->vars.v[r->var];
            if (skip_state && is_state_var(v))
                continue;
            int w = c->wr_eqn[r->var] ? c->wr_eqn[r->var][r->flat] : -1;
            if (w < 0 || mark[w] == (int)e)
                continue;
            mark[w] = (int)e;
            if (!VEC_PUSH(g->succ[w], (int)e)) {
                wd_xfree(mark);
                return false;
            }
        }
    }
    wd_xfree(mark);
    return true;
}

/* Iterative Tarjan: comp[v] = component id, components numbered in reverse
 * topological order (a component is numbered after all it reaches). */
static size_t tarjan(const graph *g, const bool *active, int *comp)
{
    size_t n = g->n, index = 0, ncomp = 0;
    int *idx = wd_xmalloc((n + 1) * sizeof(int)), *low = wd_xmalloc((n + 1) * sizeof(int));
    bool *on = wd_xcalloc(n + 1, 1);
    int *stack = wd_xmalloc((n + 1) * sizeof(int));
    size_t *cstack_v = wd_xmalloc((n + 1) * sizeof(size_t)), *cstack_i = wd_xmalloc((n + 1) * sizeof(size_t));
    if (!idx || !low || !on || !stack || !cstack_v || !cstack_i) {
        ncomp = SIZE_MAX;
        goto done;
    }
    size_t sp = 0;
    for (size_t i = 0; i < n; i++)
        idx[i] = -1, comp[i] = -1;
    for (size_t root = 0; root < n; root++) {
        if (!active[root] || idx[root] >= 0)
            continue;
        size_t csp = 0;
        cstack_v[csp] = root;
        cstack_i[csp++] = 0;
        idx[root] = low[root] = (int)index++;
        stack[sp++] = (int)root;
        on[root] = true;
        while (csp) {
            size_t v = cstack_v[csp - 1];
            size_t *it = &cstack_i[csp - 1];
            if (*it < g->succ[v].n) {
                size_t w = (size_t)g->succ[v].v[(*it)++];
                if (!active[w])
                    continue;
                if (idx[w] < 0) {
                    idx[w] = low[w] = (int)index++;
                    stack[sp++] = (int)w;
                    on[w] = true;
                    cstack_v[csp] = w;
                    cstack_i[csp++] = 0;
                } else if (on[w] && idx[w] < low[v]) {
                    low[v] = idx[w];
                }
                continue;
            }
            if (low[v] == idx[v]) {
                int w;
                do {
                    w = stack[--sp];
                    on[w] = false;
                    comp[w] = (int)ncomp;
                } while ((size_t)w != v);
                ncomp++;
            }
            csp--;
            if (csp) {
                size_t u = cstack_v[csp - 1];
                if (low[v] < low[u])
                    low[u] = low[v];
            }
        }
    }
done:
    wd_xfree(idx);
    wd_xfree(low);
    wd_xfree(on);
    wd_xfree(stack);
    wd_xfree(cstack_v);
    wd_xfree(cstack_i);
    return ncomp;
}

typedef sched_vec item_vec;

static bool push_item(item_vec *out, int eqn, size_t p0, size_t np)
{
    if (out->n && out->v[out->n - 1].eqn == eqn &&
        out->v[out->n - 1].p0 + out->v[out->n - 1].np == p0) {
        out->v[out->n - 1].np += np;
        return true;
    }
    sched_item it = {eqn, p0, np};
    return VEC_PUSH(*out, it);
}

static void report_loop(sctx *c, const int *members, size_t nmem, const size_t *base, const int *indeg,
                        read_vec *reads, bool skip_state, const char *what)
{
    /* Walk back from a node still blocked to a blocked predecessor until a
     * node repeats: that stretch is a cycle. */
    const wd_model *m = c->m;
    size_t total = base[nmem];
    int *seen = wd_xmalloc((total + 1) * sizeof(int));
    size_t *path = wd_xmalloc((total + 1) * sizeof(size_t));
    if (!seen || !path) {
        wd_xfree(seen);
        wd_xfree(path);
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < total; i++)
        seen[i] = -1;
    size_t node = SIZE_MAX;
    for (size_t i = 0; i < total && node == SIZE_MAX; i++)
        if (indeg[i] > 0)
            node = i;
    size_t len = 0;
    while (node != SIZE_MAX && seen[node] < 0) {
        seen[node] = (int)len;
        path[len++] = node;
        size_t k = 0;
        while (k + 1 < nmem + 1 && base[k + 1] <= node)
            k++;
        int e = members[k];
        size_t pt = node - base[k];
        size_t next = SIZE_MAX;
        for (size_t i = 0; i < reads[e].n && next == SIZE_MAX; i++) {
            const read_t *r = &reads[e].v[i];
            if (r->pt != pt || (skip_state && is_state_var(&m->vars.v[r->var])))
                continue;
            int w = c->wr_eqn[r->var][r->flat];
            for (size_t j = 0; j < nmem; j++)
                if (members[j] == w) {
                    size_t cand = base[j] + c->wr_pt[r->var][r->flat];
                    if (indeg[cand] > 0)
                        next = cand;
                    break;
                }
        }
        node = next;
    }
    wd_buf b = {0};
    size_t start = node == SIZE_MAX ? 0 : (size_t)seen[node];
    /* the path follows readers back to writers: print it forwards */
    for (size_t i = len; i-- > start;) {
        size_t nd = path[i];
        size_t k = 0;
        while (k + 1 < nmem + 1 && base[k + 1] <= nd)
            k++;
        const eqn_t *e = &m->eqns.v[members[k]];
        model_elem_name(m, e->var, e->flat[nd - base[k]], &b);
        wd_buf_puts(&b, " -> ");
    }
    {
        size_t nd = path[len - 1];
        size_t k = 0;
        while (k + 1 < nmem + 1 && base[k + 1] <= nd)
            k++;
        const eqn_t *e = &m->eqns.v[members[k]];
        model_elem_name(m, e->var, e->flat[nd - base[k]], &b);
    }
    size_t k0 = 0;
    while (k0 + 1 < nmem + 1 && base[k0 + 1] <= path[start])
        k0++;
    const eqn_t *first = &m->eqns.v[members[k0]];
    const var_t *fv = &m->vars.v[first->var];
    /* A cycle through ordinary equations is an algebraic loop whichever
     * phase finds it; only one through a stock's or INITIAL's starting value
     * is about initial values. */
    bool init_only = false;
    for (size_t i = start; i < len; i++) {
        size_t k = 0;
        while (k + 1 < nmem + 1 && base[k + 1] <= path[i])
            k++;
        eqn_kind ek = m->eqns.v[members[k]].kind;
        init_only |= ek != EK_EXPR;
    }
    if (!init_only)
        what = "algebraic loop (equations that depend on each other)";
    err_at(c, fv->hidden ? first->loc : fv->loc, "%s: %s", what, wd_buf_str(&b));
    for (size_t i = len; i-- > start;) {
        size_t nd = path[i];
        size_t k = 0;
        while (k + 1 < nmem + 1 && base[k + 1] <= nd)
            k++;
        const eqn_t *e = &m->eqns.v[members[k]];
        const var_t *v = &m->vars.v[e->var];
        wd_loc loc = e->loc;
        wd_diag_add(c->d, WD_NOTE, loc, m->file ? wd_source_line(m->file->text, loc.line) : NULL,
                    "'%s' is defined here", v->raw);
    }
    wd_buf_free(&b);
    wd_xfree(seen);
    wd_xfree(path);
}

/* Orders one cyclic component element by element. */
static void order_elements(sctx *c, const int *members, size_t nmem, read_vec *reads, bool skip_state,
                           item_vec *out, const char *what)
{
    const wd_model *m = c->m;
    size_t *base = wd_xmalloc((nmem + 1) * sizeof(size_t));
    if (!base) {
        c->oom = true;
        return;
    }
    base[0] = 0;
    for (size_t k = 0; k < nmem; k++)
        base[k + 1] = base[k] + m->eqns.v[members[k]].npoints;
    size_t total = base[nmem];
    int *slot_of = wd_xmalloc((m->eqns.n + 1) * sizeof(int));
    int *indeg = wd_xcalloc(total + 1, sizeof(int));
    int_vec *succ = wd_xcalloc(total + 1, sizeof(int_vec));
    size_t *queue = wd_xmalloc((total + 1) * sizeof(size_t));
    if (!slot_of || !indeg || !succ || !queue) {
        c->oom = true;
        goto done;
    }
    for (size_t i = 0; i < m->eqns.n; i++)
        slot_of[i] = -1;
    for (size_t k = 0; k < nmem; k++)
        slot_of[members[k]] = (int)k;
    for (size_t k = 0; k < nmem; k++) {
        int e = members[k];
        for (size_t i = 0; i < reads[e].n; i++) {
            const read_t *r = &reads[e].v[i];
            if (skip_state && is_state_var(&m->vars.v[r->var]))
                continue;
            int w = c->wr_eqn[r->var] ? c->wr_eqn[r->var][r->flat] : -1;
            if (w < 0 || slot_of[w] < 0)
                continue;
            size_t from = base[slot_of[w]] + c->wr_pt[r->var][r->flat], to = base[k] + r->pt;
            if (!VEC_PUSH(succ[from], (int)to)) {
                c->oom = true;
                goto done;
            }
            indeg[to]++;
        }
    }
    size_t qh = 0, qt = 0;
    for (size_t i = 0; i < total; i++)
        if (indeg[i] == 0)
            queue[qt++] = i;
    while (qh < qt) {
        size_t u = queue[qh++];
        size_t k = 0;
        while (base[k + 1] <= u)
            k++;
        if (!push_item(out, members[k], u - base[k], 1)) {
            c->oom = true;
            goto done;
        }
        for (size_t j = 0; j < succ[u].n; j++)
            if (--indeg[succ[u].v[j]] == 0)
                queue[qt++] = (size_t)succ[u].v[j];
    }
    if (qt < total)
        report_loop(c, members, nmem, base, indeg, reads, skip_state, what);
done:
    if (succ)
        for (size_t i = 0; i < total; i++)
            VEC_FREE(succ[i]);
    wd_xfree(succ);
    wd_xfree(queue);
    wd_xfree(indeg);
    wd_xfree(slot_of);
    wd_xfree(base);
}

/* Orders the active equations of one phase into out. */
static void order_phase(sctx *c, read_vec *reads, bool skip_state, const bool *active, item_vec *out,
                        const char *what)
{
    const wd_model *m = c->m;
    graph g = {0};
    int *comp = wd_xmalloc((m->eqns.n + 1) * sizeof(int));
    if (!comp || !build_graph(c, reads, skip_state, &g)) {
        c->oom = true;
        goto done;
    }
    size_t ncomp = tarjan(&g, active, comp);
    if (ncomp == SIZE_MAX) {
        c->oom = true;
        goto done;
    }
    /* members of each component */
    size_t *count = wd_xcalloc(ncomp + 1, sizeof(size_t));
    size_t *start = wd_xcalloc(ncomp + 2, sizeof(size_t));
    int *members = wd_xmalloc((m->eqns.n + 1) * sizeof(int));
    if (!count || !start || !members) {
        wd_xfree(count), wd_xfree(start), wd_xfree(members);
        c->oom = true;
        goto done;
    }
    for (size_t e = 0; e < m->eqns.n; e++)
        if (active[e])
            count[comp[e]]++;
    for (size_t k = 0; k < ncomp; k++)
        start[k + 1] = start[k] + count[k];
    memset(count, 0, (ncomp + 1) * sizeof(size_t));
    for (size_t e = 0; e < m->eqns.n; e++)
        if (active[e])
            members[start[comp[e]] + count[comp[e]]++] = (int)e;
    /* Tarjan numbers components in reverse topological order. */
    for (size_t k = ncomp; k-- > 0 && !c->oom;) {
        const int *mem = members + start[k];
        size_t nm = start[k + 1] - start[k];
        bool self = false;
        if (nm == 1)
            for (size_t j = 0; j < g.succ[mem[0]].n; j++)
                self |= g.succ[mem[0]].v[j] == mem[0];
        if (nm == 1 && !self) {
            if (!push_item(out, mem[0], 0, m->eqns.v[mem[0]].npoints))
                c->oom = true;
        } else {
            order_elements(c, mem, nm, reads, skip_state, out, what);
        }
    }
    wd_xfree(count);
    wd_xfree(start);
    wd_xfree(members);
done:
    graph_free(&g);
    wd_xfree(comp);
}

/* Marks equations dynamic: intrinsically, or reading a dynamic one. */
static void propagate_dynamic(sctx *c, bool *dyn)
{
    const wd_model *m = c->m;
    graph g = {0};
    size_t *queue = wd_xmalloc((m->eqns.n + 1) * sizeof(size_t));
    if (!queue || !build_graph(c, c->rdyn, true, &g)) {
        c->oom = true;
        wd_xfree(queue);
        graph_free(&g);
        return;
    }
    size_t qh = 0, qt = 0;
    for (size_t e = 0; e < m->eqns.n; e++) {
        dyn[e] = c->intrinsic[e];
        if (dyn[e])
            queue[qt++] = e;
    }
    while (qh < qt) {
        size_t u = queue[qh++];
        for (size_t j = 0; j < g.succ[u].n; j++) {
            size_t w = (size_t)g.succ[u].v[j];
            if (!dyn[w]) {
                dyn[w] = true;
                queue[qt++] = w;
            }
        }
    }
    wd_xfree(queue);
    graph_free(&g);
}

/* Equations the rhs must compute: stock rates, samples, what pipes take in,
 * dynamic control variables, and everything they read that is dynamic. */
static void mark_rhs(sctx *c, const bool *dyn, bool *need)
{
    const wd_model *m = c->m;
    size_t *queue = wd_xmalloc((m->eqns.n + 1) * sizeof(size_t));
    if (!queue) {
        c->oom = true;
        return;
    }
    size_t qh = 0, qt = 0;
#define NEED(e)                                      \
    do {                                             \
        if ((e) >= 0 && dyn[e] && !need[e]) {         \
            need[e] = true;                          \
            queue[qt++] = (size_t)(e);               \
        }                                            \
    } while (0)
    for (size_t e = 0; e < m->eqns.n; e++) {
        const eqn_t *q = &m->eqns.v[e];
        const var_t *v = &m->vars.v[q->var];
        if (q->kind == EK_STOCK || q->kind == EK_SAMPLE || (v->control && dyn[e]))
            NEED((int)e);
        for (size_t i = 0; i < c->rpush[e].n; i++) {
            const read_t *r = &c->rpush[e].v[i];
            if (!is_state_var(&m->vars.v[r->var]) && c->wr_eqn[r->var])
                NEED(c->wr_eqn[r->var][r->flat]);
        }
    }
    while (qh < qt) {
        size_t u = queue[qh++];
        for (size_t i = 0; i < c->rdyn[u].n; i++) {
            const read_t *r = &c->rdyn[u].v[i];
            if (!is_state_var(&m->vars.v[r->var]) && c->wr_eqn[r->var])
                NEED(c->wr_eqn[r->var][r->flat]);
        }
    }
#undef NEED
    wd_xfree(queue);
}

wd_status schedule_build(const wd_model *m, wd_diags *d, schedule *out)
{
    memset(out, 0, sizeof *out);
    sctx c = {0};
    c.m = m;
    c.d = d;
    size_t ne = m->eqns.n, nv = m->vars.n;
    c.wr_eqn = wd_xcalloc(nv + 1, sizeof(int *));
    c.wr_pt = wd_xcalloc(nv + 1, sizeof(uint32_t *));
    c.rinit = wd_xcalloc(ne + 1, sizeof(read_vec));
    c.rdyn = wd_xcalloc(ne + 1, sizeof(read_vec));
    c.rpush = wd_xcalloc(ne + 1, sizeof(read_vec));
    c.intrinsic = wd_xcalloc(ne + 1, sizeof(bool));
    bool *active = wd_xcalloc(ne + 1, sizeof(bool));
    bool *dyn = wd_xcalloc(ne + 1, sizeof(bool));
    bool *need = wd_xcalloc(ne + 1, sizeof(bool));
    out->eqn_static = wd_xcalloc(ne + 1, sizeof(bool));
    if (!c.wr_eqn || !c.wr_pt || !c.rinit || !c.rdyn || !c.rpush || !c.intrinsic || !active || !dyn || !need ||
        !out->eqn_static) {
        c.oom = true;
        goto done;
    }
    for (size_t v = 0; v < nv && !c.oom; v++) {
        const var_t *vv = &m->vars.v[v];
        if (vv->kind == VK_TIME || vv->kind == VK_LOOKUP)
            continue;
        c.wr_eqn[v] = wd_xmalloc((vv->nelems + 1) * sizeof(int));
        c.wr_pt[v] = wd_xmalloc((vv->nelems + 1) * sizeof(uint32_t));
        if (!c.wr_eqn[v] || !c.wr_pt[v]) {
            c.oom = true;
            break;
        }
        for (size_t k = 0; k < vv->nelems; k++)
            c.wr_eqn[v][k] = -1;
        for (size_t j = 0; j < vv->neqns; j++) {
            const eqn_t *e = &m->eqns.v[vv->eqns[j]];
            for (size_t k = 0; k < e->npoints; k++) {
                c.wr_eqn[v][e->flat[k]] = vv->eqns[j];
                c.wr_pt[v][e->flat[k]] = (uint32_t)k;
            }
        }
    }
    for (size_t e = 0; e < ne && !c.oom; e++) {
        if (!schedulable(m, (int)e))
            continue;
        active[e] = true;
        collect_reads(&c, (int)e);
    }
    if (c.oom || c.nerrors)
        goto done;
    order_phase(&c, c.rinit, false, active, &out->init, "initial values depend on each other");
    if (c.oom || c.nerrors)
        goto done;
    propagate_dynamic(&c, dyn);
    for (size_t e = 0; e < ne; e++) {
        out->eqn_static[e] = !dyn[e];
        if (dyn[e] && m->vars.v[m->eqns.v[e].var].control)
            out->dynamic_control = true;
    }
    mark_rhs(&c, dyn, need);
    item_vec all = {0};
    bool *dact = wd_xcalloc(ne + 1, sizeof(bool));
    if (!dact) {
        c.oom = true;
        goto done;
    }
    for (size_t e = 0; e < ne; e++)
        dact[e] = active[e] && dyn[e];
    order_phase(&c, c.rdyn, true, dact, &all, "algebraic loop (equations that depend on each other)");
    wd_xfree(dact);
    for (size_t i = 0; i < all.n && !c.oom; i++) {
        sched_item it = all.v[i];
        if (!VEC_PUSH(*(need[it.eqn] ? &out->rhs : &out->out), it))
            c.oom = true;
    }
    VEC_FREE(all);
done:
    for (size_t v = 0; c.wr_eqn && v < nv; v++) {
        wd_xfree(c.wr_eqn[v]);
        if (c.wr_pt) /* NULL when its allocation failed */
            wd_xfree(c.wr_pt[v]);
    }
    for (size_t e = 0; e < ne; e++) {
        if (c.rinit)
            VEC_FREE(c.rinit[e]);
        if (c.rdyn)
            VEC_FREE(c.rdyn[e]);
        if (c.rpush)
            VEC_FREE(c.rpush[e]);
    }
    wd_xfree(c.wr_eqn);
    wd_xfree(c.wr_pt);
    wd_xfree(c.rinit);
    wd_xfree(c.rdyn);
    wd_xfree(c.rpush);
    wd_xfree(c.intrinsic);
    wd_xfree(active);
    wd_xfree(dyn);
    wd_xfree(need);
    if (c.oom) {
        schedule_free(out);
        return WD_E_NOMEM;
    }
    if (c.nerrors) {
        schedule_free(out);
        return WD_E_SEMANTIC;
    }
    return WD_OK;
}

void schedule_free(schedule *s)
{
    VEC_FREE(s->init);
    VEC_FREE(s->rhs);
    VEC_FREE(s->out);
    wd_xfree(s->eqn_static);
    s->eqn_static = NULL;
}
