/* ast.h: syntax tree of a Vensim .mdl equation section.
 *
 * Produced by mdl_parse.c, consumed by sema.c. Every node carries its
 * file:line:col. All memory lives in the arena of the mdl_file that owns it.
 */
#ifndef WD_AST_H
#define WD_AST_H

#include "diag.h"
#include "util.h"

typedef enum ast_op {
    AOP_NONE = 0,
    AOP_ADD, AOP_SUB, AOP_MUL, AOP_DIV, AOP_POW,
    AOP_NEG, AOP_POS, AOP_NOT,
    AOP_EQ, AOP_NE, AOP_LT, AOP_LE, AOP_GT, AOP_GE,
    AOP_AND, AOP_OR
} ast_op;

typedef enum ast_kind {
    AST_NUM,    /* number literal */
    AST_REF,    /* variable reference, maybe subscripted: name[a, b!] */
    AST_CALL,   /* function, macro or lookup call: name(args) / name[subs](x) */
    AST_UNARY,  /* op args[0] */
    AST_BINARY, /* args[0] op args[1] */
    AST_STR,    /* 'quoted string' (file and cell arguments of GET functions) */
    AST_NA,     /* :NA: */
    AST_TABLE,  /* lookup table literal (WITH LOOKUP's second argument) */
    AST_NUMLIST /* a list of numbers (a constant array as an argument) */
} ast_kind;

/* One subscript in a reference or left-hand side. */
typedef struct ast_sub {
    const char *name; /* canonical */
    const char *raw;  /* as written */
    bool bang;        /* `dim!`: the dimension is summed over */
    wd_loc loc;
    /* filled by sema: the subscript names a range (dim >= 0) or an element */
    int dim, elem;
} ast_sub;

/* A lookup table: points (x[i], y[i]), optional declared range. */
typedef struct ast_table {
    size_t n;
    double *x, *y;
    bool has_range;
    double xmin, ymin, xmax, ymax;
} ast_table;

typedef struct ast ast;
struct ast {
    ast_kind kind;
    ast_op op;
    wd_loc loc;
    double num;            /* AST_NUM */
    const char *name;      /* AST_REF/AST_CALL canonical name; AST_STR content */
    const char *raw;       /* as written */
    ast_sub *subs;         /* AST_REF, AST_CALL (subscripted lookup) */
    size_t nsubs;
    ast **args;            /* AST_CALL arguments; AST_UNARY/AST_BINARY operands */
    size_t nargs;
    ast_table *table;      /* AST_TABLE */
    double *nums;          /* AST_NUMLIST */
    size_t nnums;
    /* filled by sema */
    bool resolved;
    int var;               /* AST_REF / lookup call: variable id, -1 otherwise */
    int fn;                /* AST_CALL: builtin id, -1 for a lookup call */
    int dimval;            /* AST_REF of a range used as a value (element position + 1) */
    int table_id;          /* WITH LOOKUP: table id */
};

typedef enum eq_kind {
    EQ_ASSIGN,    /* x = expr */
    EQ_DATA,      /* x := expr (data equation) or data variable with no equation */
    EQ_FIXED,     /* x == expr (unchangeable constant) */
    EQ_NUMBERS,   /* x[dims] = 1, 2; 3, 4  or TABBED ARRAY(...) */
    EQ_LOOKUP,    /* x( table ) or x( GET ... LOOKUPS(...) ) */
    EQ_DIMDEF,    /* dim: a, b, (c1-c3), sub -> map */
    EQ_EQUIV,     /* dim <-> other */
    EQ_EMPTY,     /* x  (no right-hand side: a data variable filled externally) */
    EQ_REALITY    /* x :THE CONDITION: ... / :TEST INPUT: ... (not evaluated) */
} eq_kind;

typedef enum data_interp {
    INTERP_DEFAULT = 0, INTERP_INTERPOLATE, INTERP_RAW, INTERP_HOLD_BACKWARD,
    INTERP_LOOK_FORWARD
} data_interp;

/* A mapping clause of a dimension definition: `-> other` or
 * `-> (other: e1, e2)`. */
typedef struct dim_map {
    const char *target;  /* canonical dimension name */
    wd_loc loc;
    ast_sub *elems;      /* explicit element order, or NULL */
    size_t nelems;
} dim_map;

typedef struct mdl_eq {
    eq_kind kind;
    wd_loc loc;
    const char *name;   /* canonical left-hand-side name */
    const char *raw;    /* as written */
    ast_sub *subs;      /* left-hand-side subscripts */
    size_t nsubs;
    ast_sub **except;   /* :EXCEPT: lists */
    size_t *except_n;
    size_t nexcept;
    data_interp interp;
    ast *expr;          /* EQ_ASSIGN / EQ_DATA / EQ_FIXED; EQ_LOOKUP with GET call */
    double *nums;       /* EQ_NUMBERS, row-major */
    size_t nnums, nrows;
    ast_table *table;   /* EQ_LOOKUP with points */
    /* EQ_DIMDEF / EQ_EQUIV */
    ast_sub *elems;     /* elements or other ranges, numeric ranges expanded */
    size_t nelems;
    dim_map *maps;
    size_t nmaps;
    ast *dimcall;       /* GET DIRECT SUBSCRIPT(...) */
    /* ~ units ~ documentation | */
    const char *units;  /* without the range */
    bool has_range;
    double range_min, range_max, range_step; /* NaN where '?' or absent */
    const char *doc;
    const char *group;  /* the group header above, or NULL */
    int macro;          /* index of the macro whose body holds it, or -1 */
} mdl_eq;

typedef struct mdl_macro {
    const char *name;   /* canonical */
    const char *raw;
    wd_loc loc;
    const char **params; /* canonical */
    size_t nparams;
    const char **outputs; /* extra outputs after ':' */
    size_t noutputs;
    size_t first_eq, neqs; /* its body: eqs[first_eq .. first_eq+neqs) of the file */
} mdl_macro;

typedef struct mdl_file {
    wd_arena *arena;
    const char *path;
    char *text;         /* NUL-terminated source */
    size_t len;
    VEC(mdl_eq) eqs;
    VEC(mdl_macro) macros;
    int method_code;    /* the 4th field of the settings line "15:", -1 if absent */
} mdl_file;

/* Parses text (taken over by the file, freed with it). Syntax errors go to
 * diags; the returned file holds every equation that parsed. Returns NULL only
 * when out of memory. */
mdl_file *mdl_parse(char *text, size_t len, const char *path, wd_diags *diags);
void mdl_file_free(mdl_file *f);

#endif
