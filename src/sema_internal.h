/* sema_internal.h: shared state of sema.c (ranges, variables, equations)
 * and sema_expr.c (names in expressions, lowering of stateful functions and
 * macros). Not used outside these two files. */
#ifndef WD_SEMA_INTERNAL_H
#define WD_SEMA_INTERNAL_H

#include "builtins.h"
#include "model.h"

typedef struct xd_cache xd_cache;

typedef struct sema {
    wd_model *m;
    mdl_file *f;
    wd_diags *d;
    bool oom;
    size_t nerrors;
    const char *const *inputs;
    size_t ninputs;
    int hidden_count;
    int macro_depth;
    char *model_dir;
    xd_cache *xd;
    struct df_set *data;  /* series of the run's data files (NULL without) */
} sema;

/* A macro instance being expanded: parameter names bound to argument trees
 * and local variable names bound to instance variables. */
typedef struct macro_inst {
    const mdl_macro *mac;
    ast **args;           /* one per parameter */
    const char **locals;  /* canonical local names */
    int *local_vars;      /* their instance variables */
    size_t nlocals;
    struct macro_inst *outer;
} macro_inst;

/* Where an expression is resolved: the equation it belongs to (its loops)
 * and the ranges an enclosing SUM(x[d!]) iterates. */
typedef struct scope {
    int eqn;
    int nbang;
    int bang[WD_MAX_DIMS * 2];
    macro_inst *macro;
} scope;

void sema_error(sema *s, wd_loc loc, const char *fmt, ...) WD_PRINTF(3, 4);
void sema_warning(sema *s, wd_loc loc, const char *fmt, ...) WD_PRINTF(3, 4);
void *sema_alloc(sema *s, size_t n);
int sema_find_dim(const sema *s, const char *canon);
int sema_find_elem(const sema *s, const char *canon);
int sema_find_var(const sema *s, const char *canon);
/* Position of element id e in dim d, or -1. */
int dim_pos(const wd_model *m, int d, int e);
/* Whether a subscript written as dim `ref` can be bound to loop dim `loop`
 * (same range, equivalent, mapped, or a superset of the loop's elements). */
bool dims_bindable(const wd_model *m, int ref, int loop);

/* Adds a variable (no equations yet). Returns its id or -1. */
int sema_add_var(sema *s, const char *name, const char *raw, wd_loc loc, var_kind kind,
                 bool hidden, int ndims, const int *dims);
/* Adds a hidden equation over the loops and points of equation `like`,
 * writing a hidden variable whose dims are like's loop dims. */
int sema_add_hidden_eqn(sema *s, int var, eqn_kind kind, int like, wd_loc loc);
/* A fresh hidden variable shaped like equation `like`'s loops. */
int sema_hidden_var(sema *s, const char *what, int like, var_kind kind, wd_loc loc);

/* Resolves and lowers every expression of equation `eqn`. */
void sema_resolve_eqn(sema *s, int eqn);
/* An AST_REF to variable var with the loops of equation eqn as subscripts. */
ast *sema_loop_ref(sema *s, int var, int eqn, wd_loc loc);
/* Evaluates a constant expression at compile time (numbers, arithmetic,
 * constants defined by numbers). */
bool sema_const_eval(sema *s, const ast *a, double *out);

#endif
