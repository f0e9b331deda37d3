/* bind.h: which element a subscripted reference reads at each point of an
 * iteration space.
 *
 * Shared by schedule.c (element-level dependencies) and compile.c (index
 * tables). An iteration space is a run of points of one equation, each
 * repeated for every combination of the ranges an enclosing SUM/PROD/...
 * iterates with '!' (those vary fastest).
 */
#ifndef WD_BIND_H
#define WD_BIND_H

#include "model.h"

typedef struct ispace {
    const eqn_t *e;
    size_t p0, np;          /* points p0 .. p0+np-1 of e */
    int nbang;
    int bang[WD_MAX_DIMS * 2];
    size_t bang_n;          /* product of the bang ranges' sizes (1 if none) */
    size_t npoints;         /* np * bang_n */
} ispace;

void ispace_init(ispace *s, const eqn_t *e, size_t p0, size_t np);
/* s extended by the '!' ranges found in expression a (not inside nested
 * array functions). Returns false if too many. */
bool ispace_extend(const wd_model *m, const ispace *outer, const ast *a, ispace *inner);

/* s extended by the '!' ranges of one argument `arg` of an array function. */
bool ispace_extend_arg(const wd_model *m, const ispace *outer, const ast *arg, ispace *inner);

/* Flat indices of variable v read by a reference with subscripts subs at
 * every point of s (out has s->npoints entries). On failure (an element the
 * binding cannot place) returns false with a message in err. */
bool bind_ref(const wd_model *m, const ispace *s, const var_t *v, const ast_sub *subs,
              size_t *out, char *err, size_t errlen);
/* Values of a range used as a number: the 1-based position of the bound
 * element in range d, at every point. */
bool bind_dimval(const wd_model *m, const ispace *s, int d, double *out, char *err,
                 size_t errlen);

/* The position in range d of the element that a subscript written as d
 * (without '!') binds to at every point of s: where each point sits along a
 * vector function's range. */
bool bind_pos(const wd_model *m, const ispace *s, int d, int *out, char *err, size_t errlen);

#endif
