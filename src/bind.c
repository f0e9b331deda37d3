/* bind.c: subscripts -> element positions over an iteration space. See
 * bind.h. A subscript written as a range binds to a loop of the equation
 * (or a '!' range) by, in order of preference: the same range, an
 * equivalent (<->) range, a mapping (->) either way, or a range that holds
 * every element of the loop's range. */
#include "bind.h"
#include "builtins.h"

#include <stdio.h>
#include <string.h>

int dim_pos(const wd_model *m, int d, int e);

void ispace_init(ispace *s, const eqn_t *e, size_t p0, size_t np)
{
    memset(s, 0, sizeof *s);
    s->e = e;
    s->p0 = p0;
    s->np = np;
    s->bang_n = 1;
    s->npoints = np;
}

static bool add_bangs(const wd_model *m, ispace *s, const ast *a)
{
    if (!a)
        return true;
    if (a->kind == AST_CALL && a->fn >= 0 && wd_builtins[a->fn].cls == FC_ARRAY)
        return true;
    for (size_t i = 0; i < a->nsubs; i++) {
        if (!a->subs[i].bang || a->subs[i].dim < 0)
            continue;
        bool have = false;
        for (int b = 0; b < s->nbang; b++)
            have |= s->bang[b] == a->subs[i].dim;
        if (have)
            continue;
        if (s->nbang >= (int)(sizeof s->bang / sizeof s->bang[0]))
            return false;
        s->bang[s->nbang++] = a->subs[i].dim;
        s->bang_n *= m->dims.v[a->subs[i].dim].n;
    }
    for (size_t i = 0; i < a->nargs; i++)
        if (!add_bangs(m, s, a->args[i]))
            return false;
    return true;
}

bool ispace_extend(const wd_model *m, const ispace *outer, const ast *a, ispace *inner)
{
    *inner = *outer;
    /* a is the array function itself: its arguments hold the '!' ranges */
    for (size_t i = 0; i < a->nargs; i++)
        if (!add_bangs(m, inner, a->args[i]))
            return false;
    inner->npoints = inner->np * inner->bang_n;
    return true;
}

bool ispace_extend_arg(const wd_model *m, const ispace *outer, const ast *arg, ispace *inner)
{
    *inner = *outer;
    if (!add_bangs(m, inner, arg))
        return false;
    inner->npoints = inner->np * inner->bang_n;
    return true;
}

/* Where a subscript's position comes from. */
typedef struct source {
    int kind; /* 0 fixed position, 1 a loop, 2 a '!' range */
    int idx;  /* loop or bang index */
    int fixed;
    int *posmap; /* over positions of the loop/bang range */
} source;

static const dim_t *dimp(const wd_model *m, int d) { return &m->dims.v[d]; }

static bool aliased(const wd_model *m, int a, int b)
{
    const dim_t *x = dimp(m, a), *y = dimp(m, b);
    return x->alias_of == b || y->alias_of == a || (x->alias_of >= 0 && x->alias_of == y->alias_of);
}

static const dim_map_t *map_of(const wd_model *m, int from, int to)
{
    const dim_t *f = dimp(m, from);
    for (size_t i = 0; i < f->nmaps; i++)
        if (f->maps[i].target == to)
            return &f->maps[i];
    return NULL;
}

static bool holds_all(const wd_model *m, int big, int small)
{
    const dim_t *s = dimp(m, small);
    for (size_t i = 0; i < s->n; i++)
        if (dim_pos(m, big, s->elems[i]) < 0)
            return false;
    return true;
}

/* Element of range ref at position k of range loop, or -1 (relation r:
 * 0 same/alias/containment, 1 ref maps to loop, 2 loop maps to ref). */
static int elem_at(const wd_model *m, int ref, int loop, int r, size_t k)
{
    if (r == 0)
        return dimp(m, loop)->elems[k];
    if (r == 1) {
        const dim_map_t *mp = map_of(m, ref, loop);
        for (size_t i = 0; i < dimp(m, ref)->n; i++)
            if (mp->to_pos[i] == (int)k)
                return dimp(m, ref)->elems[i];
        return -1;
    }
    const dim_map_t *mp = map_of(m, loop, ref);
    int i = mp->to_pos[k];
    return i < 0 ? -1 : dimp(m, ref)->elems[i];
}

/* Relation of ref to candidate c at preference level lvl, or -1. */
static int relation(const wd_model *m, int ref, int c, int lvl)
{
    switch (lvl) {
    case 0: return ref == c ? 0 : -1;
    case 1: return aliased(m, ref, c) ? 0 : -1;
    case 2: return map_of(m, ref, c) ? 1 : map_of(m, c, ref) ? 2 : -1;
    default: return holds_all(m, ref, c) ? 0 : -1;
    }
}

/* Binds range d (written with bang or not) to a loop or '!' range of s and
 * fills src->posmap with positions in `target` (+ offset). */
static bool bind_dim(const wd_model *m, const ispace *s, int d, bool bang, int target, int offset,
                     source *src, char *err, size_t errlen)
{
    const eqn_t *e = s->e;
    int found = -1, kind = 0, rel = -1, cand = -1;
    for (int lvl = 0; lvl < 4 && found < 0; lvl++) {
        if (!bang)
            for (int l = 0; l < e->nloops && found < 0; l++)
                if ((rel = relation(m, d, e->loop_dim[l], lvl)) >= 0)
                    found = l, kind = 1, cand = e->loop_dim[l];
        for (int b = 0; b < s->nbang && found < 0; b++)
            if ((!bang || s->bang[b] == d) && (rel = relation(m, d, s->bang[b], lvl)) >= 0)
                found = b, kind = 2, cand = s->bang[b];
    }
    if (found < 0) {
        snprintf(err, errlen, "range '%s' cannot be matched to a subscript of the left-hand side", dimp(m, d)->raw);
        return false;
    }
    size_t n = dimp(m, cand)->n;
    src->kind = kind;
    src->idx = found;
    src->posmap = wd_xmalloc((n + 1) * sizeof(int));
    if (!src->posmap) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        int el = elem_at(m, d, cand, rel, k);
        int pos = el < 0 ? -1 : dim_pos(m, target, el);
        if (pos < 0) {
            snprintf(err, errlen, "element '%s' of range '%s' has no counterpart in range '%s'",
                     m->elems.v[dimp(m, cand)->elems[k]].raw, dimp(m, cand)->raw, dimp(m, target)->raw);
            wd_xfree(src->posmap);
            src->posmap = NULL;
            return false;
        }
        src->posmap[k] = pos + offset;
    }
    return true;
}

/* Position of point q's coordinate for a source. */
static int coord(const wd_model *m, const ispace *s, const source *src, size_t q)
{
    if (src->kind == 0)
        return src->fixed;
    size_t point = s->p0 + q / s->bang_n;
    if (src->kind == 1)
        return src->posmap[s->e->tuples[point * (size_t)s->e->nloops + (size_t)src->idx]];
    size_t combo = q % s->bang_n;
    for (int b = s->nbang - 1; b > src->idx; b--)
        combo /= dimp(m, s->bang[b])->n;
    return src->posmap[combo % dimp(m, s->bang[src->idx])->n];
}

bool bind_ref(const wd_model *m, const ispace *s, const var_t *v, const ast_sub *subs, size_t *out,
              char *err, size_t errlen)
{
    source src[WD_MAX_DIMS];
    memset(src, 0, sizeof src);
    bool ok = true;
    for (int p = 0; p < v->ndims && ok; p++) {
        if (subs[p].dim >= 0) {
            ok = bind_dim(m, s, subs[p].dim, subs[p].bang, v->dims[p], 0, &src[p], err, errlen);
        } else {
            src[p].kind = 0;
            src[p].fixed = dim_pos(m, v->dims[p], subs[p].elem);
            if (src[p].fixed < 0) {
                snprintf(err, errlen, "element '%s' is not in range '%s'", subs[p].raw, dimp(m, v->dims[p])->raw);
                ok = false;
            }
        }
    }
    if (ok)
        for (size_t q = 0; q < s->npoints; q++) {
            size_t f = 0;
            for (int p = 0; p < v->ndims; p++)
                f += v->stride[p] * (size_t)coord(m, s, &src[p], q);
            out[q] = f;
        }
    for (int p = 0; p < v->ndims; p++)
        wd_xfree(src[p].posmap);
    return ok;
}

bool bind_dimval(const wd_model *m, const ispace *s, int d, double *out, char *err, size_t errlen)
{
    /* Elements count by their place in the first-defined range that holds
     * them all, so that subranges and reordered copies of a range compare
     * by element (tests/conditional_subscripts, tests/subscript_logicals). */
    int root = d;
    for (size_t k = 0; k < m->dims.n; k++)
        if (m->dims.v[k].alias_of < 0 && holds_all(m, (int)k, d)) {
            root = (int)k;
            break;
        }
    source src = {0};
    if (!bind_dim(m, s, d, false, root, 1, &src, err, errlen))
        return false;
    for (size_t q = 0; q < s->npoints; q++)
        out[q] = coord(m, s, &src, q);
    wd_xfree(src.posmap);
    return true;
}

bool bind_pos(const wd_model *m, const ispace *s, int d, int *out, char *err, size_t errlen)
{
    source src = {0};
    if (!bind_dim(m, s, d, false, d, 0, &src, err, errlen))
        return false;
    for (size_t q = 0; q < s->npoints; q++)
        out[q] = coord(m, s, &src, q);
    wd_xfree(src.posmap);
    return true;
}
