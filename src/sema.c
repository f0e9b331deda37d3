/* sema.c: AST -> model IR (model.h): subscript ranges, variables and their
 * equations with iteration spaces, coverage checks, run inputs.
 *
 * Second stage of the pipeline (mdl_parse -> sema -> compile). Names in
 * expressions are resolved, and stateful functions and macros lowered, by
 * sema_expr.c. Every problem is reported with file:line:col and analysis
 * goes on, so one pass reports all errors of a model.
 */
#include "sema_internal.h"
#include "datafile.h"
#include "xdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- diagnostics and small helpers ---------------------------------------- */

static void vreport(sema *s, wd_severity sev, wd_loc loc, const char *fmt, va_list ap)
{
    const char *line = loc.file && s->f && loc.file == s->f->path ? wd_source_line(s->f->text, loc.line)
                                                                    : NULL;
    if (!line && s->f && loc.file && strcmp(loc.file, s->f->path) == 0)
        line = wd_source_line(s->f->text, loc.line);
    wd_diag_vadd(s->d, sev, loc, line, fmt, ap);
}

void sema_error(sema *s, wd_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(s, WD_ERROR, loc, fmt, ap);
    va_end(ap);
    s->nerrors++;
}

void sema_warning(sema *s, wd_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(s, WD_WARNING, loc, fmt, ap);
    va_end(ap);
}

void *sema_alloc(sema *s, size_t n)
{
    void *p = wd_arena_alloc(s->m->arena, n);
    if (!p)
        s->oom = true;
    return p;
}

int sema_find_dim(const sema *s, const char *canon)
{
    size_t id;
    return wd_map_get(s->m->dim_by_name, canon, &id) ? (int)id : -1;
}

int sema_find_elem(const sema *s, const char *canon)
{
    size_t id;
    return wd_map_get(s->m->elem_by_name, canon, &id) ? (int)id : -1;
}

int sema_find_var(const sema *s, const char *canon)
{
    size_t id;
    return wd_map_get(s->m->var_by_name, canon, &id) ? (int)id : -1;
}

int dim_pos(const wd_model *m, int d, int e)
{
    const dim_t *dm = &m->dims.v[d];
    for (size_t i = 0; i < dm->n; i++)
        if (dm->elems[i] == e)
            return (int)i;
    return -1;
}

static bool dim_contains_all(const wd_model *m, int big, int small)
{
    const dim_t *s = &m->dims.v[small];
    for (size_t i = 0; i < s->n; i++)
        if (dim_pos(m, big, s->elems[i]) < 0)
            return false;
    return true;
}

bool dims_bindable(const wd_model *m, int ref, int loop)
{
    if (ref == loop)
        return true;
    const dim_t *r = &m->dims.v[ref], *l = &m->dims.v[loop];
    if (r->alias_of == loop || l->alias_of == ref ||
        (r->alias_of >= 0 && r->alias_of == l->alias_of))
        return true;
    for (size_t i = 0; i < r->nmaps; i++)
        if (r->maps[i].target == loop)
            return true;
    for (size_t i = 0; i < l->nmaps; i++)
        if (l->maps[i].target == ref)
            return true;
    return dim_contains_all(m, ref, loop);
}

/* Appends to b up to `max` (at most 3) of the display names whose
 * canonical form is closest to canonical `name`. */
static void suggest_from(wd_buf *b, const char *name, const char *const *canon, const char *const *shown,
                         size_t n, int max)
{
    size_t best[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    size_t bestd[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    size_t limit = strlen(name) / 3 + 2;
    if (max > 3)
        max = 3;
    for (size_t i = 0; i < n; i++) {
        size_t dist = wd_edit_distance(name, canon[i]);
        /* a name given in part ("room temp") counts as close */
        if (dist > limit && strlen(name) >= 3 && strstr(canon[i], name))
            dist = limit;
        if (dist > limit)
            continue;
        for (int k = 0; k < max; k++)
            if (dist < bestd[k]) {
                for (int j = 2; j > k; j--)
                    best[j] = best[j - 1], bestd[j] = bestd[j - 1];
                best[k] = i, bestd[k] = dist;
                break;
            }
    }
    for (int k = 0; k < max && best[k] != SIZE_MAX; k++)
        wd_buf_printf(b, "%s'%s'", k ? ", " : "", shown[best[k]]);
}

/* ---- elements and ranges ------------------------------------------------------ */

static int intern_elem(sema *s, const char *canon, const char *raw)
{
    int e = sema_find_elem(s, canon);
    if (e >= 0)
        return e;
    elem_t el = {wd_arena_strdup(s->m->arena, canon), wd_arena_strdup(s->m->arena, raw)};
    if (!el.name || !el.raw || !VEC_PUSH(s->m->elems, el) ||
        !wd_map_put(s->m->elem_by_name, canon, s->m->elems.n - 1)) {
        s->oom = true;
        return -1;
    }
    return (int)s->m->elems.n - 1;
}

typedef struct dim_state {
    const mdl_eq *eq;
    int state; /* 0 unresolved, 1 in progress, 2 done */
} dim_state;

static void resolve_dim(sema *s, int id, dim_state *st, int depth)
{
    if (st[id].state == 2)
        return;
    dim_t *d = &s->m->dims.v[id];
    if (st[id].state == 1 || depth > 64) {
        sema_error(s, d->loc, "subscript range '%s' is defined in terms of itself", d->raw);
        st[id].state = 2;
        return;
    }
    st[id].state = 1;
    const mdl_eq *eq = st[id].eq;
    VEC(int) elems = {0};
    if (eq->kind == EQ_EQUIV) {
        int t = sema_find_dim(s, eq->elems[0].name);
        if (t < 0) {
            sema_error(s, eq->elems[0].loc, "unknown subscript range '%s' in the equivalence", eq->elems[0].raw);
        } else {
            resolve_dim(s, t, st, depth + 1);
            d = &s->m->dims.v[id];
            const dim_t *td = &s->m->dims.v[t];
            for (size_t i = 0; i < td->n; i++)
                if (!VEC_PUSH(elems, td->elems[i]))
                    s->oom = true;
            d->alias_of = td->alias_of >= 0 ? td->alias_of : t;
        }
    } else if (eq->dimcall) {
        /* GET DIRECT SUBSCRIPT('file', 'sheet', 'first', 'last', 'prefix') */
        const ast *c = eq->dimcall;
        const char *a[5] = {0};
        bool ok = c->kind == AST_CALL && c->nargs == 5;
        for (size_t i = 0; ok && i < 5; i++) {
            if (c->args[i]->kind != AST_STR)
                ok = false;
            else
                a[i] = c->args[i]->name;
        }
        if (!ok) {
            sema_error(s, c->loc, "GET DIRECT SUBSCRIPT takes five quoted arguments: file, sheet, first cell, last cell, prefix");
        } else {
            char *path = wd_path_join(s->model_dir, a[0]);
            char err[512];
            char **names = NULL;
            size_t n = 0;
            if (!path) {
                s->oom = true;
            } else if (xd_get_subscript(s->xd, path, a[1], a[2], a[3], a[4], &names, &n, err, sizeof err) != 0) {
                sema_error(s, c->loc, "%s", err);
            } else {
                for (size_t i = 0; i < n; i++) {
                    char *cn = wd_canon_name(names[i], strlen(names[i]));
                    int e = cn ? intern_elem(s, cn, names[i]) : -1;
                    wd_xfree(cn);
                    if (e < 0 || !VEC_PUSH(elems, e))
                        s->oom = true;
                }
                xd_free_names(names, n);
            }
            wd_xfree(path);
        }
    } else {
        for (size_t i = 0; i < eq->nelems; i++) {
            const ast_sub *sub = &eq->elems[i];
            int sd = sema_find_dim(s, sub->name);
            if (sd == id) {
                sema_error(s, sub->loc, "subscript range '%s' lists itself", d->raw);
                continue;
            }
            if (sd >= 0) {
                resolve_dim(s, sd, st, depth + 1);
                const dim_t *sdd = &s->m->dims.v[sd];
                for (size_t k = 0; k < sdd->n; k++)
                    if (!VEC_PUSH(elems, sdd->elems[k]))
                        s->oom = true;
            } else {
                int e = intern_elem(s, sub->name, sub->raw);
                if (e >= 0 && !VEC_PUSH(elems, e))
                    s->oom = true;
            }
        }
    }
    d = &s->m->dims.v[id];
    /* An element may appear once per range. */
    for (size_t i = 0; i < elems.n; i++)
        for (size_t j = 0; j < i; j++)
            if (elems.v[i] == elems.v[j]) {
                sema_error(s, d->loc, "element '%s' appears twice in subscript range '%s'",
                           s->m->elems.v[elems.v[i]].raw, d->raw);
                j = i;
                elems.v[i] = -1;
            }
    size_t n = 0;
    for (size_t i = 0; i < elems.n; i++)
        if (elems.v[i] >= 0)
            elems.v[n++] = elems.v[i];
    d->elems = sema_alloc(s, (n ? n : 1) * sizeof(int));
    if (d->elems && n)
        memcpy(d->elems, elems.v, n * sizeof(int));
    d->n = n;
    VEC_FREE(elems);
    if (n == 0 && eq->kind != EQ_EQUIV)
        sema_error(s, d->loc, "subscript range '%s' has no elements", d->raw);
    st[id].state = 2;
}

static void build_maps(sema *s, int id, const mdl_eq *eq)
{
    if (eq->nmaps == 0)
        return;
    dim_t *d = &s->m->dims.v[id];
    d->maps = sema_alloc(s, eq->nmaps * sizeof(dim_map_t));
    if (!d->maps)
        return;
    for (size_t k = 0; k < eq->nmaps; k++) {
        const dim_map *mp = &eq->maps[k];
        int t = sema_find_dim(s, mp->target);
        if (t < 0) {
            sema_error(s, mp->loc, "unknown subscript range '%s' in the mapping of '%s'", mp->target, d->raw);
            continue;
        }
        const dim_t *td = &s->m->dims.v[t];
        int *to = sema_alloc(s, (d->n ? d->n : 1) * sizeof(int));
        if (!to)
            return;
        if (mp->nelems) {
            if (mp->nelems != d->n) {
                sema_error(s, mp->loc, "the mapping of '%s' (%zu elements) lists %zu elements of '%s'",
                           d->raw, d->n, mp->nelems, td->raw);
                continue;
            }
            bool ok = true;
            for (size_t i = 0; i < d->n; i++) {
                int e = sema_find_elem(s, mp->elems[i].name);
                to[i] = e >= 0 ? dim_pos(s->m, t, e) : -1;
                if (to[i] < 0) {
                    sema_error(s, mp->elems[i].loc, "'%s' is not an element of '%s'", mp->elems[i].raw, td->raw);
                    ok = false;
                    break;
                }
            }
            if (!ok)
                continue;
        } else {
            if (td->n != d->n) {
                sema_error(s, mp->loc, "cannot map '%s' (%zu elements) to '%s' (%zu elements): the ranges differ in size",
                           d->raw, d->n, td->raw, td->n);
                continue;
            }
            for (size_t i = 0; i < d->n; i++)
                to[i] = (int)i;
        }
        d->maps[d->nmaps].target = t;
        d->maps[d->nmaps].to_pos = to;
        d->nmaps++;
    }
}

static void build_dims(sema *s)
{
    mdl_file *f = s->f;
    VEC(dim_state) st = {0};
    for (size_t i = 0; i < f->eqs.n; i++) {
        const mdl_eq *eq = &f->eqs.v[i];
        if (eq->macro >= 0 || (eq->kind != EQ_DIMDEF && eq->kind != EQ_EQUIV))
            continue;
        int prev = sema_find_dim(s, eq->name);
        if (prev >= 0) {
            sema_error(s, eq->loc, "subscript range '%s' is defined twice (first at line %d)", eq->raw,
                       s->m->dims.v[prev].loc.line);
            continue;
        }
        dim_t d = {0};
        d.name = eq->name;
        d.raw = eq->raw;
        d.loc = eq->loc;
        d.alias_of = -1;
        d.parent = -1;
        dim_state ds = {eq, 0};
        if (!VEC_PUSH(s->m->dims, d) || !VEC_PUSH(st, ds) ||
            !wd_map_put(s->m->dim_by_name, eq->name, s->m->dims.n - 1)) {
            s->oom = true;
            VEC_FREE(st);
            return;
        }
    }
    for (size_t i = 0; i < s->m->dims.n; i++)
        resolve_dim(s, (int)i, st.v, 0);
    for (size_t i = 0; i < s->m->dims.n; i++)
        build_maps(s, (int)i, st.v[i].eq);
    /* parent: the smallest strictly larger range holding every element */
    for (size_t i = 0; i < s->m->dims.n; i++) {
        dim_t *d = &s->m->dims.v[i];
        size_t best = SIZE_MAX;
        for (size_t j = 0; j < s->m->dims.n; j++) {
            const dim_t *p = &s->m->dims.v[j];
            if (j == i || p->n <= d->n || p->n >= best)
                continue;
            if (dim_contains_all(s->m, (int)j, (int)i)) {
                d->parent = (int)j;
                best = p->n;
            }
        }
    }
    VEC_FREE(st);
}

/* ---- variables ------------------------------------------------------------------- */

int sema_add_var(sema *s, const char *name, const char *raw, wd_loc loc, var_kind kind,
                 bool hidden, int ndims, const int *dims)
{
    var_t v = {0};
    v.name = name;
    v.raw = raw;
    v.loc = loc;
    v.kind = kind;
    v.hidden = hidden;
    v.ndims = ndims;
    v.units = "";
    v.doc = "";
    v.range_min = v.range_max = NAN;
    size_t n = 1;
    for (int p = ndims - 1; p >= 0; p--) {
        v.dims[p] = dims[p];
        v.stride[p] = n;
        size_t dn = s->m->dims.v[dims[p]].n;
        if (dn && n > (size_t)WD_MAX_ELEMENTS / dn) {
            sema_error(s, loc, "'%s' would have more than %d elements (the limit of one array)", raw,
                       WD_MAX_ELEMENTS);
            return -1;
        }
        n *= dn;
    }
    v.nelems = n;
    if (!VEC_PUSH(s->m->vars, v) || !wd_map_put(s->m->var_by_name, name, s->m->vars.n - 1)) {
        s->oom = true;
        return -1;
    }
    return (int)s->m->vars.n - 1;
}

/* Chooses the range of position p of a variable from the subscripts its
 * equations use there: the first range named there that holds every element
 * used, else the smallest range holding them all. */
static int choose_dim(sema *s, const mdl_eq *const *eqs, size_t neqs, size_t p, const char *raw)
{
    VEC(int) used = {0};
    VEC(int) named = {0};
    bool bad = false;
    for (size_t i = 0; i < neqs; i++) {
        const ast_sub *sub = &eqs[i]->subs[p];
        int d = sema_find_dim(s, sub->name);
        if (d >= 0) {
            if (!VEC_PUSH(named, d))
                s->oom = true;
            const dim_t *dd = &s->m->dims.v[d];
            for (size_t k = 0; k < dd->n; k++)
                if (!VEC_PUSH(used, dd->elems[k]))
                    s->oom = true;
            continue;
        }
        int e = sema_find_elem(s, sub->name);
        if (e < 0) {
            wd_buf b = {0};
            VEC(const char *) canon = {0};
            VEC(const char *) shown = {0};
            for (size_t k = 0; k < s->m->dims.n; k++) {
                VEC_PUSH(canon, s->m->dims.v[k].name);
                VEC_PUSH(shown, s->m->dims.v[k].raw);
            }
            for (size_t k = 0; k < s->m->elems.n; k++) {
                VEC_PUSH(canon, s->m->elems.v[k].name);
                VEC_PUSH(shown, s->m->elems.v[k].raw);
            }
            suggest_from(&b, sub->name, canon.v, shown.v, canon.n < shown.n ? canon.n : shown.n, 3);
            VEC_FREE(canon);
            VEC_FREE(shown);
            sema_error(s, sub->loc, "unknown subscript '%s' of '%s'%s%s%s", sub->raw, raw,
                       b.n ? " (did you mean " : "", wd_buf_str(&b), b.n ? "?)" : "");
            wd_buf_free(&b);
            bad = true;
            continue;
        }
        if (!VEC_PUSH(used, e))
            s->oom = true;
    }
    int choice = -1;
    if (!bad) {
        for (size_t i = 0; i < named.n && choice < 0; i++) {
            bool all = true;
            for (size_t k = 0; k < used.n && all; k++)
                all = dim_pos(s->m, named.v[i], used.v[k]) >= 0;
            if (all)
                choice = named.v[i];
        }
        size_t best = SIZE_MAX;
        if (choice < 0) {
            for (size_t d = 0; d < s->m->dims.n; d++) {
                if (s->m->dims.v[d].n >= best)
                    continue;
                bool all = true;
                for (size_t k = 0; k < used.n && all; k++)
                    all = dim_pos(s->m, (int)d, used.v[k]) >= 0;
                if (all) {
                    choice = (int)d;
                    best = s->m->dims.v[d].n;
                }
            }
        }
        if (choice < 0)
            sema_error(s, eqs[0]->subs[p].loc,
                       "no subscript range holds every element used at position %zu of '%s'", p + 1, raw);
    }
    VEC_FREE(used);
    VEC_FREE(named);
    return choice;
}

/* Whether the point's element at var position p matches an :EXCEPT: entry. */
static bool except_matches(sema *s, const ast_sub *sub, int elem)
{
    int d = sema_find_dim(s, sub->name);
    if (d >= 0)
        return dim_pos(s->m, d, elem) >= 0;
    return sema_find_elem(s, sub->name) == elem;
}

/* Builds loops and points of an equation of var from its left-hand side. */
static const char *dd_raw(const sema *s, int d) { return s->m->dims.v[d].raw; }

static int build_eqn(sema *s, int var, const mdl_eq *eq)
{
    var_t *v = &s->m->vars.v[var];
    eqn_t e = {0};
    e.var = var;
    e.loc = eq->loc;
    e.input = -1;
    for (int p = 0; p < v->ndims; p++) {
        const ast_sub *sub = &eq->subs[p];
        int d = sema_find_dim(s, sub->name);
        const dim_t *vd = &s->m->dims.v[v->dims[p]];
        if (d >= 0) {
            for (int q = 0; q < e.nloops; q++)
                if (e.loop_dim[q] == d) {
                    /* Vensim's rule: a range runs once per equation; a
                     * square array needs a second range (an equivalent) */
                    sema_error(s, sub->loc,
                               "range '%s' is used twice on the left-hand side of '%s'; for the second subscript "
                               "use an equivalent range (e.g. %s2 <-> %s)",
                               dd_raw(s, d), v->raw, dd_raw(s, d), dd_raw(s, d));
                    return -1;
                }
            int l = e.nloops++;
            e.loop_dim[l] = d;
            e.lhs_loop[p] = l;
            const dim_t *dd = &s->m->dims.v[d];
            e.loop_to_var[l] = sema_alloc(s, (dd->n ? dd->n : 1) * sizeof(int));
            if (!e.loop_to_var[l])
                return -1;
            for (size_t k = 0; k < dd->n; k++) {
                e.loop_to_var[l][k] = dim_pos(s->m, v->dims[p], dd->elems[k]);
                if (e.loop_to_var[l][k] < 0) {
                    sema_error(s, sub->loc, "range '%s' is not part of range '%s' of '%s'", dd->raw, vd->raw, v->raw);
                    return -1;
                }
            }
        } else {
            e.lhs_loop[p] = -1;
            e.lhs_fixed[p] = dim_pos(s->m, v->dims[p], sema_find_elem(s, sub->name));
            if (e.lhs_fixed[p] < 0) {
                sema_error(s, sub->loc, "'%s' is not an element of range '%s' of '%s'", sub->raw, vd->raw, v->raw);
                return -1;
            }
        }
    }
    for (size_t j = 0; j < eq->nexcept; j++)
        if (eq->except_n[j] != (size_t)v->ndims) {
            sema_error(s, eq->except[j][0].loc, ":EXCEPT: list has %zu subscripts, '%s' has %d", eq->except_n[j],
                       v->raw, v->ndims);
            return -1;
        }
    size_t total = 1;
    for (int l = 0; l < e.nloops; l++) {
        size_t dn = s->m->dims.v[e.loop_dim[l]].n;
        if (dn && total > (size_t)WD_MAX_ELEMENTS / dn) {
            sema_error(s, eq->loc, "this equation of '%s' covers more than %d elements (the limit of one array)",
                       v->raw, WD_MAX_ELEMENTS);
            return -1;
        }
        total *= dn;
    }
    e.tuples = sema_alloc(s, (total * (size_t)e.nloops + 1) * sizeof(int));
    e.flat = sema_alloc(s, (total + 1) * sizeof(size_t));
    if (!e.tuples || !e.flat)
        return -1;
    int tup[WD_MAX_DIMS] = {0};
    for (size_t k = 0; k < total; k++) {
        /* unravel k row-major over the loops */
        size_t r = k;
        for (int l = e.nloops - 1; l >= 0; l--) {
            size_t n = s->m->dims.v[e.loop_dim[l]].n;
            tup[l] = (int)(r % n);
            r /= n;
        }
        size_t flat = 0;
        int elem_at[WD_MAX_DIMS];
        for (int p = 0; p < v->ndims; p++) {
            int pos = e.lhs_loop[p] >= 0 ? e.loop_to_var[e.lhs_loop[p]][tup[e.lhs_loop[p]]] : e.lhs_fixed[p];
            flat += v->stride[p] * (size_t)pos;
            elem_at[p] = s->m->dims.v[v->dims[p]].elems[pos];
        }
        bool excluded = false;
        for (size_t j = 0; j < eq->nexcept && !excluded; j++) {
            bool all = true;
            for (int p = 0; p < v->ndims && all; p++)
                all = except_matches(s, &eq->except[j][p], elem_at[p]);
            excluded = all;
        }
        if (excluded)
            continue;
        memcpy(e.tuples + e.npoints * (size_t)e.nloops, tup, (size_t)e.nloops * sizeof(int));
        e.flat[e.npoints++] = flat;
    }
    if (!VEC_PUSH(s->m->eqns, e)) {
        s->oom = true;
        return -1;
    }
    return (int)s->m->eqns.n - 1;
}

static bool literal_number(const ast *a, double *v)
{
    if (a->kind == AST_NUM) {
        *v = a->num;
        return true;
    }
    if (a->kind == AST_UNARY && (a->op == AOP_NEG || a->op == AOP_POS) && literal_number(a->args[0], v)) {
        if (a->op == AOP_NEG)
            *v = -*v;
        return true;
    }
    return false;
}

static size_t add_table(sema *s, size_t n, double *x, double *y, tbl_mode mode)
{
    table_t t = {n, x, y, mode};
    if (!VEC_PUSH(s->m->tables, t)) {
        s->oom = true;
        return 0;
    }
    return s->m->tables.n - 1;
}

/* Checks a table's points; points given out of order are sorted by x (with
 * a warning), as the lookup can only mean the sorted curve. */
static bool table_ok(sema *s, wd_loc loc, const char *raw, size_t n, double *x, double *y)
{
    if (n == 0) {
        sema_error(s, loc, "lookup '%s' has no points", raw);
        return false;
    }
    bool sorted = true;
    for (size_t i = 1; i < n; i++)
        sorted &= x[i] >= x[i - 1];
    if (sorted)
        return true;
    sema_warning(s, loc, "lookup '%s': points are not in increasing x; they are sorted", raw);
    for (size_t i = 1; i < n; i++) /* insertion sort keeps equal x in order */
        for (size_t j = i; j > 0 && x[j] < x[j - 1]; j--) {
            double tx = x[j], ty = y[j];
            x[j] = x[j - 1], y[j] = y[j - 1];
            x[j - 1] = tx, y[j - 1] = ty;
        }
    return true;
}

/* String argument i of a GET call, or NULL with an error. */
static const char *get_arg(sema *s, const ast *call, size_t i)
{
    if (i >= call->nargs || call->args[i]->kind != AST_STR) {
        sema_error(s, call->loc, "argument %zu of %s must be a quoted string", i + 1, call->raw);
        return NULL;
    }
    return call->args[i]->name;
}

static tbl_mode data_mode(data_interp in)
{
    return in == INTERP_HOLD_BACKWARD ? TBL_HOLD
           : in == INTERP_RAW         ? TBL_RAW
           : in == INTERP_LOOK_FORWARD ? TBL_FORWARD
                                       : TBL_INTERP;
}

/* Shape of an equation's points for GET CONSTANTS: rows x cols, with the
 * last loop across and all other loops down. */
static void points_shape(const sema *s, const eqn_t *e, size_t *rows, size_t *cols)
{
    if (e->nloops == 0) {
        *rows = *cols = 1;
        return;
    }
    *cols = s->m->dims.v[e->loop_dim[e->nloops - 1]].n;
    *rows = e->npoints / (*cols ? *cols : 1);
}

static void load_external(sema *s, eqn_t *e, const ast *call, fn_id fn, const mdl_eq *eq)
{
    const var_t *v = &s->m->vars.v[e->var];
    char err[600];
    const char *file = get_arg(s, call, 0), *sheet = get_arg(s, call, 1), *a2 = get_arg(s, call, 2);
    if (!file || !sheet || !a2)
        return;
    char *path = wd_path_join(s->model_dir, file);
    if (!path) {
        s->oom = true;
        return;
    }
    if (fn == F_GET_CONSTANTS || fn == F_GET_XLS_CONSTANTS) {
        size_t rows, cols;
        points_shape(s, e, &rows, &cols);
        if (rows * cols != e->npoints) {
            sema_error(s, call->loc, "GET CONSTANTS cannot fill '%s' here: its elements do not form a rectangle", v->raw);
            goto done;
        }
        e->kind = EK_NUMBERS;
        e->nums = sema_alloc(s, (e->npoints + 1) * sizeof(double));
        if (e->nums && xd_get_constants(s->xd, path, sheet, a2, rows, cols, e->nums, err, sizeof err) != 0)
            sema_error(s, call->loc, "%s", err);
        goto done;
    }
    const char *a3 = get_arg(s, call, 3);
    if (!a3)
        goto done;
    size_t np = 0;
    double *times = NULL, *vals = NULL;
    if (xd_get_data(s->xd, path, sheet, a2, a3, e->npoints, &np, &times, &vals, err, sizeof err) != 0) {
        sema_error(s, call->loc, "%s", err);
        goto done;
    }
    bool lookup = fn == F_GET_LOOKUPS || fn == F_GET_XLS_LOOKUPS;
    e->kind = lookup ? EK_TABLE : EK_DATA;
    e->table_base = s->m->tables.n;
    for (size_t k = 0; k < e->npoints; k++) {
        /* Missing values are left out: the series interpolates over them. */
        double *x = sema_alloc(s, (np + 1) * sizeof(double));
        double *y = sema_alloc(s, (np + 1) * sizeof(double));
        if (!x || !y)
            break;
        size_t n = 0;
        for (size_t i = 0; i < np; i++)
            if (!isnan(vals[k * np + i]) && !isnan(times[i])) {
                x[n] = times[i];
                y[n] = vals[k * np + i];
                n++;
            }
        if (table_ok(s, call->loc, v->raw, n, x, y))
            add_table(s, n, x, y, lookup ? TBL_INTERP : data_mode(eq->interp));
        else
            add_table(s, 0, x, y, TBL_INTERP);
    }
    wd_xfree(times);
    wd_xfree(vals);
done:
    wd_xfree(path);
}

/* A data variable declared without an equation takes its values from the
 * run's data files (Vensim: the data file of a simulation, often another
 * model's run), element by element under the name "x[e1,e2]". */
static void fill_from_data(sema *s, eqn_t *e, const mdl_eq *eq)
{
    const var_t *v = &s->m->vars.v[e->var];
    if (!s->data) {
        sema_error(s, eq->loc,
                   "'%s' has no equation: give it one, or a data file with its values (wandel run --data FILE, or "
                   "data = [\"FILE\"] in the scenario)",
                   v->raw);
        return;
    }
    size_t base = s->m->tables.n;
    for (size_t k = 0; k < e->npoints; k++) {
        wd_buf key = {0};
        wd_buf_puts(&key, v->name);
        size_t flat = e->flat[k];
        for (int p = 0; p < v->ndims; p++) {
            const dim_t *d = &s->m->dims.v[v->dims[p]];
            size_t pos = (flat / v->stride[p]) % d->n;
            wd_buf_puts(&key, p ? "," : "[");
            wd_buf_puts(&key, s->m->elems.v[d->elems[pos]].name);
        }
        if (v->ndims)
            wd_buf_puts(&key, "]");
        const df_series *ser = df_find(s->data, wd_buf_str(&key));
        if (!ser || ser->n == 0) {
            wd_buf name = {0};
            model_elem_name(s->m, e->var, flat, &name);
            wd_buf files = {0};
            for (size_t i = 0; i < s->m->ndata_files; i++)
                wd_buf_printf(&files, "%s%s", i ? ", " : "", s->m->data_files[i]);
            sema_error(s, eq->loc, "'%s' has no equation and %s in the data file%s %s", wd_buf_str(&name),
                       ser ? "no values" : "is not", s->m->ndata_files == 1 ? "" : "s", wd_buf_str(&files));
            wd_buf_free(&name);
            wd_buf_free(&files);
            wd_buf_free(&key);
            return;
        }
        wd_buf_free(&key);
        double *x = sema_alloc(s, (ser->n + 1) * sizeof(double)), *y = sema_alloc(s, (ser->n + 1) * sizeof(double));
        if (!x || !y)
            return;
        memcpy(x, ser->t, ser->n * sizeof(double));
        memcpy(y, ser->y, ser->n * sizeof(double));
        add_table(s, ser->n, x, y, data_mode(eq->interp));
    }
    e->kind = EK_DATA;
    e->table_base = base;
}

/* Sets the kind and payload of equation e from its parsed right-hand side. */
static void classify_eqn(sema *s, int eid, const mdl_eq *eq)
{
    eqn_t *e = &s->m->eqns.v[eid];
    const var_t *v = &s->m->vars.v[e->var];
    double num;
    switch (eq->kind) {
    case EQ_ASSIGN:
    case EQ_FIXED:
    case EQ_DATA: {
        ast *x = eq->expr;
        int fn = x->kind == AST_CALL ? builtin_find(x->name) : -1;
        if (fn == F_INTEG || fn == F_ACTIVE_INITIAL) {
            if (x->nargs != 2) {
                sema_error(s, x->loc, "%s takes 2 arguments, found %zu", fn == F_INTEG ? "INTEG" : "ACTIVE INITIAL",
                           x->nargs);
                return;
            }
            e->kind = fn == F_INTEG ? EK_STOCK : EK_ACTIVE_INIT;
            e->expr = x->args[0];
            e->init = x->args[1];
        } else if (fn == F_GET_CONSTANTS || fn == F_GET_XLS_CONSTANTS || fn == F_GET_DATA ||
                   fn == F_GET_XLS_DATA || fn == F_GET_LOOKUPS || fn == F_GET_XLS_LOOKUPS) {
            int need = wd_builtins[fn].min_args;
            if ((int)x->nargs != need) {
                sema_error(s, x->loc, "%s takes %d arguments, found %zu", x->raw, need, x->nargs);
                return;
            }
            load_external(s, e, x, (fn_id)fn, eq);
        } else if (literal_number(x, &num)) {
            e->kind = EK_NUMBERS;
            e->nums = sema_alloc(s, (e->npoints + 1) * sizeof(double));
            for (size_t k = 0; e->nums && k < e->npoints; k++)
                e->nums[k] = num;
        } else {
            e->kind = EK_EXPR;
            e->expr = x;
        }
        break;
    }
    case EQ_NUMBERS:
        if (eq->nnums != e->npoints && eq->nnums != 1) {
            sema_error(s, eq->loc, "'%s' has %zu elements here but %zu numbers are given", v->raw, e->npoints, eq->nnums);
            return;
        }
        e->kind = EK_NUMBERS;
        e->nums = sema_alloc(s, (e->npoints + 1) * sizeof(double));
        for (size_t k = 0; e->nums && k < e->npoints; k++)
            e->nums[k] = eq->nums[eq->nnums == 1 ? 0 : k];
        break;
    case EQ_LOOKUP:
        if (eq->table) {
            if (!table_ok(s, eq->loc, v->raw, eq->table->n, eq->table->x, eq->table->y))
                return;
            e->kind = EK_TABLE;
            e->table_base = s->m->tables.n;
            for (size_t k = 0; k < e->npoints; k++)
                add_table(s, eq->table->n, eq->table->x, eq->table->y, TBL_INTERP);
        } else {
            ast *x = eq->expr;
            int fn = x->kind == AST_CALL ? builtin_find(x->name) : -1;
            if (fn != F_GET_LOOKUPS && fn != F_GET_XLS_LOOKUPS) {
                sema_error(s, x->loc, "a lookup is defined by points or by GET DIRECT LOOKUPS / GET XLS LOOKUPS");
                return;
            }
            if (x->nargs != 4) {
                sema_error(s, x->loc, "%s takes 4 arguments, found %zu", x->raw, x->nargs);
                return;
            }
            load_external(s, e, x, (fn_id)fn, eq);
        }
        break;
    case EQ_EMPTY:
        fill_from_data(s, e, eq);
        break;
    default:
        break;
    }
}

typedef struct pending_var {
    const char *name;
    VEC(const mdl_eq *) eqs;
} pending_var;

static void collect_vars(sema *s)
{
    mdl_file *f = s->f;
    VEC(pending_var) pend = {0};
    wd_map *idx = wd_map_new();
    if (!idx) {
        s->oom = true;
        return;
    }
    for (size_t i = 0; i < f->eqs.n; i++) {
        const mdl_eq *eq = &f->eqs.v[i];
        if (eq->macro >= 0 || eq->kind == EQ_DIMDEF || eq->kind == EQ_EQUIV)
            continue;
        if (eq->kind == EQ_REALITY) {
            sema_warning(s, eq->loc, "reality check '%s' is not evaluated", eq->raw);
            continue;
        }
        if (sema_find_dim(s, eq->name) >= 0) {
            sema_error(s, eq->loc, "'%s' is both a subscript range and a variable", eq->raw);
            continue;
        }
        if (strcmp(eq->name, "time") == 0) {
            sema_error(s, eq->loc, "'Time' is built in and cannot be defined");
            continue;
        }
        size_t k;
        if (!wd_map_get(idx, eq->name, &k)) {
            pending_var pv = {eq->name, {0}};
            if (!VEC_PUSH(pend, pv) || !wd_map_put(idx, eq->name, pend.n - 1)) {
                s->oom = true;
                break;
            }
            k = pend.n - 1;
        }
        if (!VEC_PUSH(pend.v[k].eqs, eq))
            s->oom = true;
    }
    for (size_t i = 0; i < pend.n && !s->oom; i++) {
        const mdl_eq *const *eqs = pend.v[i].eqs.v;
        size_t neqs = pend.v[i].eqs.n;
        const mdl_eq *first = eqs[0];
        bool ok = true;
        for (size_t j = 1; j < neqs; j++)
            if (eqs[j]->nsubs != first->nsubs) {
                sema_error(s, eqs[j]->loc, "'%s' has %zu subscripts here but %zu at line %d", eqs[j]->raw,
                           eqs[j]->nsubs, first->nsubs, first->loc.line);
                ok = false;
            }
        if (!ok)
            continue;
        int dims[WD_MAX_DIMS];
        for (size_t p = 0; p < first->nsubs; p++) {
            dims[p] = choose_dim(s, eqs, neqs, p, first->raw);
            if (dims[p] < 0)
                ok = false;
        }
        if (!ok)
            continue;
        int v = sema_add_var(s, first->name, first->raw, first->loc, VK_AUX, false, (int)first->nsubs, dims);
        if (v < 0)
            continue;
        /* units, documentation: the first equation that has them */
        for (size_t j = 0; j < neqs; j++) {
            var_t *vv = &s->m->vars.v[v];
            if (!vv->units[0] && eqs[j]->units && eqs[j]->units[0])
                vv->units = eqs[j]->units;
            if (!vv->doc[0] && eqs[j]->doc && eqs[j]->doc[0])
                vv->doc = eqs[j]->doc;
            if (!vv->has_range && eqs[j]->has_range) {
                vv->has_range = true;
                vv->range_min = eqs[j]->range_min;
                vv->range_max = eqs[j]->range_max;
            }
        }
        VEC(int) ids = {0};
        for (size_t j = 0; j < neqs; j++) {
            int e = build_eqn(s, v, eqs[j]);
            if (e < 0)
                continue;
            classify_eqn(s, e, eqs[j]);
            if (eqs[j]->kind == EQ_DATA || eqs[j]->interp != INTERP_DEFAULT)
                s->m->vars.v[v].data_mode = data_mode(eqs[j]->interp);
            if (!VEC_PUSH(ids, e))
                s->oom = true;
        }
        var_t *vv = &s->m->vars.v[v];
        vv->eqns = sema_alloc(s, (ids.n + 1) * sizeof(int));
        if (vv->eqns) {
            if (ids.n) /* ids.v is NULL when empty: memcpy must not see it */
                memcpy(vv->eqns, ids.v, ids.n * sizeof(int));
            vv->neqns = ids.n;
        }
        VEC_FREE(ids);
    }
    for (size_t i = 0; i < pend.n; i++)
        VEC_FREE(pend.v[i].eqs);
    VEC_FREE(pend);
    wd_map_free(idx);
}

/* Variable kinds from equation kinds, and element coverage: every element
 * written exactly once. */
static void check_vars(sema *s)
{
    for (size_t vi = 0; vi < s->m->vars.n; vi++) {
        var_t *v = &s->m->vars.v[vi];
        if (v->kind == VK_TIME || v->hidden || v->neqns == 0)
            continue;
        int nstock = 0, ntable = 0, nconst = 0, ndata = 0;
        for (size_t j = 0; j < v->neqns; j++) {
            eqn_kind k = s->m->eqns.v[v->eqns[j]].kind;
            nstock += k == EK_STOCK;
            ntable += k == EK_TABLE;
            nconst += k == EK_NUMBERS;
            ndata += k == EK_DATA;
        }
        int n = (int)v->neqns;
        if (nstock && nstock != n)
            sema_error(s, v->loc, "'%s' is a stock (INTEG) in some equations but not in others", v->raw);
        else if (ntable && ntable != n)
            sema_error(s, v->loc, "'%s' is a lookup in some equations but not in others", v->raw);
        v->kind = nstock ? VK_STOCK : ntable ? VK_LOOKUP : ndata ? VK_DATA : nconst == n ? VK_CONST : VK_AUX;
        int *writer = wd_xmalloc((v->nelems + 1) * sizeof(int));
        if (!writer) {
            s->oom = true;
            return;
        }
        for (size_t k = 0; k < v->nelems; k++)
            writer[k] = -1;
        for (size_t j = 0; j < v->neqns; j++) {
            const eqn_t *e = &s->m->eqns.v[v->eqns[j]];
            for (size_t k = 0; k < e->npoints; k++) {
                int w = writer[e->flat[k]];
                if (w >= 0) {
                    wd_buf b = {0};
                    model_elem_name(s->m, (int)vi, e->flat[k], &b);
                    sema_error(s, e->loc, "%s is defined twice (first at line %d)", wd_buf_str(&b),
                               s->m->eqns.v[w].loc.line);
                    wd_buf_free(&b);
                    break;
                }
                writer[e->flat[k]] = v->eqns[j];
            }
        }
        /* Elements without an equation are allowed, as in Vensim: they are
         * not part of the model (NaN in results); reading one is an error
         * (schedule.c). */
        wd_xfree(writer);
    }
}

/* Replaces the equations of the requested elements by run inputs. */
static void apply_inputs(sema *s)
{
    for (size_t i = 0; i < s->ninputs; i++) {
        int var;
        size_t flat;
        wd_loc noloc = {0};
        if (!model_find(s->m, s->inputs[i], &var, &flat)) {
            wd_buf b = {0};
            model_suggest(s->m, s->inputs[i], &b, 3);
            sema_error(s, noloc, "unknown variable '%s'%s%s%s", s->inputs[i], b.n ? " (did you mean " : "",
                       wd_buf_str(&b), b.n ? "?)" : "");
            wd_buf_free(&b);
            continue;
        }
        var_t *v = &s->m->vars.v[var];
        if (v->kind == VK_STOCK || v->kind == VK_LOOKUP || v->kind == VK_TIME) {
            sema_error(s, v->loc, "'%s' is a %s and cannot be set; set the constant it is computed from",
                       v->raw, v->kind == VK_STOCK ? "stock" : v->kind == VK_LOOKUP ? "lookup" : "built-in");
            continue;
        }
        size_t first = flat == SIZE_MAX ? 0 : flat, count = flat == SIZE_MAX ? v->nelems : 1;
        input_t in = {var, first, count, wd_xstrdup(s->inputs[i])};
        if (!in.name || !VEC_PUSH(s->m->inputs, in)) {
            wd_xfree(in.name);
            s->oom = true;
            return;
        }
        /* drop the points from the variable's equations */
        for (size_t j = 0; j < v->neqns; j++) {
            eqn_t *e = &s->m->eqns.v[v->eqns[j]];
            size_t n = 0;
            for (size_t k = 0; k < e->npoints; k++) {
                if (e->flat[k] >= first && e->flat[k] < first + count)
                    continue;
                memmove(e->tuples + n * (size_t)e->nloops, e->tuples + k * (size_t)e->nloops,
                        (size_t)e->nloops * sizeof(int));
                e->flat[n] = e->flat[k];
                if (e->nums)
                    e->nums[n] = e->nums[k];
                n++;
            }
            e->npoints = n;
        }
        /* the input equation runs over the variable's own ranges */
        eqn_t e = {0};
        e.var = var;
        e.kind = EK_INPUT;
        e.loc = v->loc;
        e.input = (int)s->m->inputs.n - 1;
        e.nloops = v->ndims;
        for (int p = 0; p < v->ndims; p++) {
            e.loop_dim[p] = v->dims[p];
            e.lhs_loop[p] = p;
            size_t dn = s->m->dims.v[v->dims[p]].n;
            e.loop_to_var[p] = sema_alloc(s, (dn + 1) * sizeof(int));
            for (size_t k = 0; e.loop_to_var[p] && k < dn; k++)
                e.loop_to_var[p][k] = (int)k;
        }
        e.tuples = sema_alloc(s, (count * (size_t)e.nloops + 1) * sizeof(int));
        e.flat = sema_alloc(s, (count + 1) * sizeof(size_t));
        if (!e.tuples || !e.flat)
            return;
        for (size_t k = 0; k < count; k++) {
            size_t f = first + k, r = f;
            for (int p = v->ndims - 1; p >= 0; p--) {
                size_t dn = s->m->dims.v[v->dims[p]].n;
                e.tuples[k * (size_t)e.nloops + (size_t)p] = (int)(r % dn);
                r /= dn;
            }
            e.flat[k] = f;
        }
        e.npoints = count;
        int *ids = sema_alloc(s, (v->neqns + 2) * sizeof(int));
        if (!VEC_PUSH(s->m->eqns, e) || !ids) {
            s->oom = true;
            return;
        }
        v = &s->m->vars.v[var];
        memcpy(ids, v->eqns, v->neqns * sizeof(int));
        ids[v->neqns++] = (int)s->m->eqns.n - 1;
        v->eqns = ids;
        if (v->kind == VK_CONST)
            v->kind = VK_AUX;
    }
}

/* ---- control variables, method --------------------------------------------------- */

static int control_var(sema *s, const char *canon, const char *raw, double deflt)
{
    int v = sema_find_var(s, canon);
    if (v >= 0) {
        var_t *vv = &s->m->vars.v[v];
        vv->control = true;
        if (vv->ndims) {
            sema_error(s, vv->loc, "'%s' cannot have subscripts", vv->raw);
            return -1;
        }
        return v;
    }
    /* Absent from the model: a hidden constant that the scenario or command
     * line must set when deflt is NaN. */
    v = sema_add_var(s, canon, raw, (wd_loc){s->f->path, 0, 0}, VK_CONST, true, 0, NULL);
    if (v < 0)
        return -1;
    eqn_t e = {0};
    e.var = v;
    e.kind = EK_NUMBERS;
    e.loc = s->m->vars.v[v].loc;
    e.input = -1;
    e.npoints = 1;
    e.flat = sema_alloc(s, sizeof(size_t));
    e.tuples = sema_alloc(s, sizeof(int));
    e.nums = sema_alloc(s, sizeof(double));
    int *ids = sema_alloc(s, sizeof(int));
    if (!e.flat || !e.nums || !ids || !VEC_PUSH(s->m->eqns, e)) {
        s->oom = true;
        return -1;
    }
    e.nums[0] = deflt;
    s->m->eqns.v[s->m->eqns.n - 1].nums[0] = deflt;
    ids[0] = (int)s->m->eqns.n - 1;
    s->m->vars.v[v].eqns = ids;
    s->m->vars.v[v].neqns = 1;
    s->m->vars.v[v].control = true;
    return v;
}

static wd_method method_from_code(int code)
{
    /* Vensim's settings line "15:": 0 Euler, 1 and 5 RK4 (auto, fixed),
     * 3 and 4 RK2 (fixed, auto), 2 "difference" (Euler). */
    switch (code) {
    case 1:
    case 5: return WD_RK4;
    case 3:
    case 4: return WD_RK2;
    default: return WD_EULER;
    }
}

/* ---- dependencies for `wandel info` ----------------------------------------------- */

typedef VEC(int) int_vec;

static void collect_refs(const wd_model *m, const ast *a, int_vec *out, char *seen)
{
    if (!a)
        return;
    if ((a->kind == AST_REF || (a->kind == AST_CALL && a->fn < 0)) && a->var >= 0 && !seen[a->var]) {
        seen[a->var] = 1;
        const var_t *v = &m->vars.v[a->var];
        if (v->hidden && v->kind != VK_TIME) {
            for (size_t j = 0; j < v->neqns; j++) {
                const eqn_t *e = &m->eqns.v[v->eqns[j]];
                collect_refs(m, e->expr, out, seen);
                collect_refs(m, e->init, out, seen);
                collect_refs(m, e->args[0], out, seen);
                collect_refs(m, e->args[1], out, seen);
            }
        } else {
            VEC_PUSH(*out, a->var);
        }
    }
    for (size_t i = 0; i < a->nargs; i++)
        collect_refs(m, a->args[i], out, seen);
}

static void compute_deps(sema *s)
{
    wd_model *m = s->m;
    char *seen = wd_xcalloc(m->vars.n + 1, 1);
    if (!seen) {
        s->oom = true;
        return;
    }
    for (size_t vi = 0; vi < m->vars.n; vi++) {
        var_t *v = &m->vars.v[vi];
        if (v->hidden)
            continue;
        memset(seen, 0, m->vars.n);
        seen[vi] = 1;
        int_vec deps = {0};
        for (size_t j = 0; j < v->neqns; j++) {
            const eqn_t *e = &m->eqns.v[v->eqns[j]];
            collect_refs(m, e->expr, &deps, seen);
            collect_refs(m, e->init, &deps, seen);
            collect_refs(m, e->args[0], &deps, seen);
            collect_refs(m, e->args[1], &deps, seen);
        }
        v->deps = sema_alloc(s, (deps.n + 1) * sizeof(int));
        if (v->deps && deps.n)
            memcpy(v->deps, deps.v, deps.n * sizeof(int));
        v->ndeps = deps.n;
        VEC_FREE(deps);
    }
    wd_xfree(seen);
}

/* ---- entry point ------------------------------------------------------------------- */

void wd_model_free(wd_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->inputs.n; i++)
        wd_xfree(m->inputs.v[i].name);
    VEC_FREE(m->inputs);
    for (size_t i = 0; i < m->ndata_files; i++)
        wd_xfree(m->data_files[i]);
    wd_xfree(m->data_files);
    VEC_FREE(m->elems);
    VEC_FREE(m->dims);
    VEC_FREE(m->vars);
    VEC_FREE(m->eqns);
    VEC_FREE(m->tables);
    wd_map_free(m->elem_by_name);
    wd_map_free(m->dim_by_name);
    wd_map_free(m->var_by_name);
    wd_xfree(m->dim_name_lists);
    wd_xfree(m->dep_name_lists);
    mdl_file_free(m->file);
    wd_xfree(m->path);
    wd_arena_free(m->arena);
    wd_xfree(m);
}

wd_status sema_build(mdl_file *file, const char *path, const char *const *inputs, size_t ninputs,
                     const char *const *data_files, size_t ndata_files, wd_diags *diags, wd_model **out)
{
    *out = NULL;
    wd_model *m = wd_xcalloc(1, sizeof *m);
    if (!m) {
        mdl_file_free(file);
        return WD_E_NOMEM;
    }
    m->file = file;
    m->path = wd_xstrdup(path);
    m->arena = wd_arena_new();
    m->elem_by_name = wd_map_new();
    m->dim_by_name = wd_map_new();
    m->var_by_name = wd_map_new();
    m->time_units = "";
    df_set data = {0}; /* before the first goto: freed at done */
    sema s = {0};
    s.m = m;
    s.f = file;
    s.d = diags;
    s.inputs = inputs;
    s.ninputs = ninputs;
    s.model_dir = wd_dirname(path);
    s.xd = xd_cache_new();
    if (!m->path || !m->arena || !m->elem_by_name || !m->dim_by_name || !m->var_by_name || !s.model_dir ||
        !s.xd) {
        s.oom = true;
        goto done;
    }
    wd_sha256_hex(file->text, file->len, m->sha256);
    if (ndata_files) {
        m->data_files = wd_xcalloc(ndata_files, sizeof(char *));
        if (!m->data_files) {
            s.oom = true;
            goto done;
        }
        for (size_t i = 0; i < ndata_files; i++) {
            char err[600];
            m->data_files[i] = wd_xstrdup(data_files[i]);
            m->ndata_files = i + 1;
            if (!m->data_files[i]) {
                s.oom = true;
                goto done;
            }
            if (df_load(&data, data_files[i], err, sizeof err) != 0) {
                wd_diag_add(diags, WD_ERROR, (wd_loc){data_files[i], 0, 0}, NULL, "%s", err);
                s.nerrors++;
            }
        }
        s.data = &data;
    }
    m->v_time = sema_add_var(&s, "time", "Time", (wd_loc){file->path, 0, 0}, VK_TIME, true, 0, NULL);
    build_dims(&s);
    if (s.oom)
        goto done;
    collect_vars(&s);
    if (s.oom)
        goto done;
    m->v_initial = control_var(&s, "initial time", "INITIAL TIME", 0.0);
    m->v_final = control_var(&s, "final time", "FINAL TIME", NAN);
    m->v_step = control_var(&s, "time step", "TIME STEP", NAN);
    m->v_saveper = control_var(&s, "saveper", "SAVEPER", NAN);
    check_vars(&s);
    if (s.nerrors == 0)
        apply_inputs(&s);
    if (s.nerrors == 0 && !s.oom)
        for (size_t i = 0; i < m->eqns.n && !s.oom; i++) /* grows while lowering */
            sema_resolve_eqn(&s, (int)i);
    if (m->v_step >= 0 && m->vars.v[m->v_step].units[0])
        m->time_units = m->vars.v[m->v_step].units;
    else if (m->v_final >= 0 && m->vars.v[m->v_final].units[0])
        m->time_units = m->vars.v[m->v_final].units;
    m->method_code = file->method_code;
    m->method = method_from_code(file->method_code);
    if (!s.oom && s.nerrors == 0)
        compute_deps(&s);
done:
    df_free(&data);
    xd_cache_free(s.xd);
    wd_xfree(s.model_dir);
    if (s.oom) {
        wd_model_free(m);
        return WD_E_NOMEM;
    }
    if (s.nerrors) {
        wd_model_free(m);
        return WD_E_SEMANTIC;
    }
    *out = m;
    return WD_OK;
}

/* ---- lookups by name ---------------------------------------------------------------- */

const char *model_display_name(const var_t *v)
{
    return v->raw;
}

bool model_find(const wd_model *m, const char *spec, int *var, size_t *flat)
{
    const char *br = strchr(spec, '[');
    size_t nlen = br ? (size_t)(br - spec) : strlen(spec);
    const char *q = spec;
    size_t ql = nlen;
    while (ql > 0 && (q[ql - 1] == ' ' || q[ql - 1] == '\t'))
        ql--;
    while (ql > 0 && (*q == ' ' || *q == '\t'))
        q++, ql--;
    if (ql >= 2 && q[0] == '"' && q[ql - 1] == '"')
        q++, ql -= 2;
    char *canon = wd_canon_name(q, ql);
    if (!canon)
        return false;
    size_t id;
    bool found = wd_map_get(m->var_by_name, canon, &id);
    wd_xfree(canon);
    if (!found || m->vars.v[id].kind == VK_TIME)
        return false;
    const var_t *v = &m->vars.v[id];
    *var = (int)id;
    *flat = SIZE_MAX;
    if (!br)
        return true;
    const char *end = strchr(br, ']');
    if (!end)
        return false;
    size_t f = 0;
    const char *p = br + 1;
    for (int d = 0; d < v->ndims; d++) {
        const char *comma = memchr(p, d + 1 < v->ndims ? ',' : ']', (size_t)(end - p) + 1);
        if (!comma)
            return false;
        char *ec = wd_canon_name(p, (size_t)(comma - p));
        if (!ec)
            return false;
        size_t eid;
        bool ok = wd_map_get(m->elem_by_name, ec, &eid);
        wd_xfree(ec);
        int pos = ok ? dim_pos(m, v->dims[d], (int)eid) : -1;
        if (pos < 0)
            return false;
        f += v->stride[d] * (size_t)pos;
        p = comma + 1;
    }
    if (p != end + 1)
        return false;
    *flat = f;
    return true;
}

void model_suggest(const wd_model *m, const char *name, wd_buf *b, int max)
{
    const char *br = strchr(name, '[');
    char *canon = wd_canon_name(name, br ? (size_t)(br - name) : strlen(name));
    if (!canon)
        return;
    VEC(const char *) names = {0};
    VEC(const char *) shown = {0};
    for (size_t i = 0; i < m->vars.n; i++)
        if (!m->vars.v[i].hidden) {
            VEC_PUSH(names, m->vars.v[i].name);
            VEC_PUSH(shown, m->vars.v[i].raw);
        }
    suggest_from(b, canon, names.v, shown.v, names.n < shown.n ? names.n : shown.n, max);
    VEC_FREE(names);
    VEC_FREE(shown);
    wd_xfree(canon);
}

void model_elem_name(const wd_model *m, int var, size_t flat, wd_buf *b)
{
    const var_t *v = &m->vars.v[var];
    wd_buf_puts(b, v->raw);
    if (v->ndims == 0)
        return;
    wd_buf_putc(b, '[');
    for (int d = 0; d < v->ndims; d++) {
        size_t pos = (flat / v->stride[d]) % m->dims.v[v->dims[d]].n;
        if (d)
            wd_buf_putc(b, ',');
        wd_buf_puts(b, m->elems.v[m->dims.v[v->dims[d]].elems[pos]].raw);
    }
    wd_buf_putc(b, ']');
}
