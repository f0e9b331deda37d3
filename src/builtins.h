/* builtins.h: the Vensim function table.
 *
 * One row per function: its name as written (case-insensitive), argument
 * counts and class. sema.c resolves calls through it and lowers the
 * stateful class into hidden variables; compile.c turns the rest into
 * instructions.
 */
#ifndef WD_BUILTINS_H
#define WD_BUILTINS_H

#include <stddef.h>

typedef enum fn_class {
    FC_MATH,      /* pure, element by element */
    FC_TIME,      /* element by element, reads the time (STEP, PULSE, ...) */
    FC_STATEFUL,  /* lowered into hidden stocks or state by sema */
    FC_TOPLEVEL,  /* only as the whole right-hand side (INTEG, ACTIVE INITIAL, GET ...) */
    FC_LOOKUP,    /* reads a lookup table */
    FC_ARRAY,     /* reduces or reorders over a subscript range */
    FC_RANDOM     /* draws from the run's generator each time step */
} fn_class;

/* X-macro: id, name, min args, max args (-1 = any), class */
#define WD_BUILTINS(X)                                                   \
    X(F_ABS, "abs", 1, 1, FC_MATH)                                       \
    X(F_EXP, "exp", 1, 1, FC_MATH)                                       \
    X(F_LN, "ln", 1, 1, FC_MATH)                                         \
    X(F_LOG, "log", 1, 2, FC_MATH)                                       \
    X(F_SQRT, "sqrt", 1, 1, FC_MATH)                                     \
    X(F_POWER, "power", 2, 2, FC_MATH)                                   \
    X(F_SIN, "sin", 1, 1, FC_MATH)                                       \
    X(F_COS, "cos", 1, 1, FC_MATH)                                       \
    X(F_TAN, "tan", 1, 1, FC_MATH)                                       \
    X(F_ARCSIN, "arcsin", 1, 1, FC_MATH)                                 \
    X(F_ARCCOS, "arccos", 1, 1, FC_MATH)                                 \
    X(F_ARCTAN, "arctan", 1, 1, FC_MATH)                                 \
    X(F_SINH, "sinh", 1, 1, FC_MATH)                                     \
    X(F_COSH, "cosh", 1, 1, FC_MATH)                                     \
    X(F_TANH, "tanh", 1, 1, FC_MATH)                                     \
    X(F_INTEGER, "integer", 1, 1, FC_MATH)                               \
    X(F_MODULO, "modulo", 2, 2, FC_MATH)                                 \
    X(F_MIN, "min", 2, 2, FC_MATH)                                       \
    X(F_MAX, "max", 2, 2, FC_MATH)                                       \
    X(F_PI, "pi", 0, 0, FC_MATH)                                         \
    X(F_ZIDZ, "zidz", 2, 2, FC_MATH)                                     \
    X(F_XIDZ, "xidz", 3, 3, FC_MATH)                                     \
    X(F_IF, "if then else", 3, 3, FC_MATH)                               \
    X(F_QUANTUM, "quantum", 2, 2, FC_MATH)                               \
    X(F_GAME, "game", 1, 1, FC_MATH)                                     \
    X(F_STEP, "step", 2, 2, FC_TIME)                                     \
    X(F_RAMP, "ramp", 3, 3, FC_TIME)                                     \
    X(F_PULSE, "pulse", 2, 2, FC_TIME)                                   \
    X(F_PULSE_TRAIN, "pulse train", 4, 4, FC_TIME)                       \
    X(F_INTEG, "integ", 2, 2, FC_TOPLEVEL)                               \
    X(F_ACTIVE_INITIAL, "active initial", 2, 2, FC_TOPLEVEL)             \
    X(F_GET_CONSTANTS, "get direct constants", 3, 3, FC_TOPLEVEL)        \
    X(F_GET_XLS_CONSTANTS, "get xls constants", 3, 3, FC_TOPLEVEL)       \
    X(F_GET_DATA, "get direct data", 4, 4, FC_TOPLEVEL)                  \
    X(F_GET_XLS_DATA, "get xls data", 4, 4, FC_TOPLEVEL)                 \
    X(F_GET_LOOKUPS, "get direct lookups", 4, 4, FC_TOPLEVEL)            \
    X(F_GET_XLS_LOOKUPS, "get xls lookups", 4, 4, FC_TOPLEVEL)           \
    X(F_INITIAL, "initial", 1, 1, FC_STATEFUL)                           \
    X(F_SMOOTH, "smooth", 2, 2, FC_STATEFUL)                             \
    X(F_SMOOTHI, "smoothi", 3, 3, FC_STATEFUL)                           \
    X(F_SMOOTH3, "smooth3", 2, 2, FC_STATEFUL)                           \
    X(F_SMOOTH3I, "smooth3i", 3, 3, FC_STATEFUL)                         \
    X(F_SMOOTHN, "smooth n", 4, 4, FC_STATEFUL)                          \
    X(F_DELAY1, "delay1", 2, 2, FC_STATEFUL)                             \
    X(F_DELAY1I, "delay1i", 3, 3, FC_STATEFUL)                           \
    X(F_DELAY3, "delay3", 2, 2, FC_STATEFUL)                             \
    X(F_DELAY3I, "delay3i", 3, 3, FC_STATEFUL)                           \
    X(F_DELAYN, "delay n", 4, 4, FC_STATEFUL)                            \
    X(F_DELAY_FIXED, "delay fixed", 3, 3, FC_STATEFUL)                   \
    X(F_TREND, "trend", 3, 3, FC_STATEFUL)                               \
    X(F_FORECAST, "forecast", 3, 3, FC_STATEFUL)                         \
    X(F_SAMPLE_IF_TRUE, "sample if true", 3, 3, FC_STATEFUL)             \
    X(F_WITH_LOOKUP, "with lookup", 2, 2, FC_LOOKUP)                     \
    X(F_LOOKUP_INVERT, "lookup invert", 2, 2, FC_LOOKUP)                 \
    X(F_LOOKUP_EXTRAPOLATE, "lookup extrapolate", 2, 2, FC_LOOKUP)       \
    X(F_LOOKUP_FORWARD, "lookup forward", 2, 2, FC_LOOKUP)               \
    X(F_LOOKUP_BACKWARD, "lookup backward", 2, 2, FC_LOOKUP)             \
    X(F_LOOKUP_AREA, "lookup area", 3, 3, FC_LOOKUP)                     \
    X(F_SUM, "sum", 1, 1, FC_ARRAY)                                      \
    X(F_PROD, "prod", 1, 1, FC_ARRAY)                                    \
    X(F_VMIN, "vmin", 1, 1, FC_ARRAY)                                    \
    X(F_VMAX, "vmax", 1, 1, FC_ARRAY)                                    \
    X(F_ELMCOUNT, "elmcount", 1, 1, FC_ARRAY)                            \
    X(F_VECTOR_SELECT, "vector select", 5, 5, FC_ARRAY)                  \
    X(F_VECTOR_ELM_MAP, "vector elm map", 2, 2, FC_ARRAY)                \
    X(F_VECTOR_SORT_ORDER, "vector sort order", 2, 2, FC_ARRAY)          \
    X(F_VECTOR_RANK, "vector rank", 2, 2, FC_ARRAY)                      \
    X(F_VECTOR_REORDER, "vector reorder", 2, 2, FC_ARRAY)                \
    X(F_ALLOCATE_BY_PRIORITY, "allocate by priority", 5, 5, FC_ARRAY)    \
    X(F_ALLOCATE_AVAILABLE, "allocate available", 3, 3, FC_ARRAY)        \
    X(F_INVERT_MATRIX, "invert matrix", 2, 2, FC_ARRAY)                  \
    X(F_GET_TIME_VALUE, "get time value", 3, 3, FC_TIME)                 \
    X(F_RANDOM_UNIFORM, "random uniform", 3, 3, FC_RANDOM)               \
    X(F_RANDOM_NORMAL, "random normal", 5, 5, FC_RANDOM)                 \
    X(F_RANDOM_EXPONENTIAL, "random exponential", 4, 5, FC_RANDOM)       \
    X(F_RANDOM_POISSON, "random poisson", 6, 6, FC_RANDOM)               \
    X(F_RANDOM_GAMMA, "random gamma", 6, 6, FC_RANDOM)                   \
    X(F_RANDOM_WEIBULL, "random weibull", 6, 6, FC_RANDOM)               \
    X(F_RANDOM_BETA, "random beta", 7, 7, FC_RANDOM)                     \
    X(F_RANDOM_BINOMIAL, "random binomial", 7, 7, FC_RANDOM)             \
    X(F_RANDOM_NEGATIVE_BINOMIAL, "random negative binomial", 7, 7, FC_RANDOM) \
    X(F_RANDOM_TRIANGULAR, "random triangular", 6, 6, FC_RANDOM)         \
    X(F_RANDOM_0_1, "random 0 1", 0, 0, FC_RANDOM)

typedef enum fn_id {
#define X(id, name, mn, mx, cls) id,
    WD_BUILTINS(X)
#undef X
    F_COUNT
} fn_id;

typedef struct fn_info {
    const char *name;
    int min_args, max_args;
    fn_class cls;
} fn_info;

extern const fn_info wd_builtins[F_COUNT];

/* Function id of a canonical name, or -1. */
int builtin_find(const char *canon_name);

#endif
