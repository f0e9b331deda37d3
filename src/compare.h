/* compare.h: comparisons of regions x policy packages x shocks (internal side).
 *
 * Pipeline: scenario_compare.c reads the comparison file (scn_compare); compare.c
 * plans the cells, compiles one program per distinct set of inputs, runs
 * every distinct run on worker threads and keeps, per cell, the focal
 * region's slice of the output series and the quantities the indicators are
 * computed from; compare_stats.c holds the arithmetic (indicators,
 * resilience, ranks and regrets); compare_out.c writes the HDF5 file (through
 * sink_hdf5.c), the tidy CSV and the summary table. docs/comparison.md
 * documents the format and every formula.
 */
#ifndef WD_COMPARE_H
#define WD_COMPARE_H

#include "outview.h"
#include "run_internal.h"
#include "scenario.h"

/* ---- arithmetic (compare_stats.c) ---------------------------------------------
 * Series are n values x[k] at strictly increasing times t[k]. */

/* x at time `at`, interpolated linearly between save points; NaN outside
 * [t[0], t[n-1]] (a relative tolerance of 1e-9 admits rounding). */
double cmp_value_at(size_t n, const double *t, const double *x, double at);
/* 100 (x(at) - x[0]) / |x[0]|; NaN when x[0] is 0. */
double cmp_change_pct(size_t n, const double *t, const double *x, double at);
/* Integral of x from t[0] to `at` by the trapezoidal rule over the save
 * points (the last interval cut at `at`). */
double cmp_cumulative(size_t n, const double *t, const double *x, double at);
/* One of the three, by scn_stat. */
double cmp_stat(scn_stat stat, size_t n, const double *t, const double *x, double at);

/* Competition ranks ("1224") of n values where higher g is better: rank 1
 * for the best; NaN values rank after all others (and share that rank). */
void cmp_rank(size_t n, const double *g, double *rank);
/* Regret (Savage 1951) of each of n values where higher g is better:
 * max(g) - g[i], 0 for the best (also when the best is infinite); NaN for
 * NaN; every regret NaN when all are NaN. */
void cmp_regret(size_t n, const double *g, double *regret);

/* ---- the comparison (compare.c) ------------------------------------------------------ */

/* A quantity the indicators of a region are computed from: a variable spec
 * (may hold $region), summed over the selected elements per region. */
typedef struct cmp_series {
    char *spec;
    bool intensive; /* a rate or index: exactly one element per region */
    int quantity;   /* SCN_Q_*, or -1 for a custom indicator */
    scn_src src;
} cmp_series;

typedef enum cmp_kind {
    IK_STAT,        /* cmp_stat of a series */
    IK_RESISTANCE,  /* wd_resilience_measure of the employment series */
    IK_RECOVERY,
    IK_RECOVERED,
    IK_LOSS,
    IK_LOSSPCT,
    IK_MAXLOSS,
    IK_SCORE        /* weighted sum of indicators */
} cmp_kind;

typedef struct cmp_ind {
    char *name;
    char *units;
    const char *doc;  /* static text or owned elsewhere */
    cmp_kind kind;
    size_t series;    /* IK_STAT */
    scn_stat stat;
    double year;
    int better;       /* +1: higher is better, -1: lower is better */
} cmp_ind;

typedef struct cmp_weight {
    size_t ind;
    double weight;
} cmp_weight;

/* A series of the HDF5 file: a model variable's focal-region slice. */
typedef struct cmp_outvar {
    int var;                 /* in the base model */
    const char *name, *units, *doc;
    int region_axis;         /* the axis reduced to the focal region, -1 none */
    size_t ndims;            /* axes kept */
    int kept[WD_MAX_DIMS];
    const out_dim *dims[WD_MAX_DIMS];
    size_t nelems, first_col;
} cmp_outvar;

/* A program shared by the runs with the same inputs. */
typedef struct cmp_prog {
    char **inputs;
    size_t ninputs;
    wd_program *p;
    size_t *colmap;          /* nreg x ncols_out program columns (SIZE_MAX: none) */
    size_t *ser_first;       /* nreg x nseries: start in ser_cols */
    size_t *ser_cols;        /* columns summed per (region, series), SIZE_MAX: none */
    size_t nser_cols;
    wd_status st;
    wd_diags *d;
} cmp_prog;

/* A distinct run and the cells it serves. */
typedef struct cmp_run {
    scn_set *sets;
    size_t nsets;
    size_t prog;
    VEC(size_t) cells;
    wd_status st;
    bool complete;
    wd_diags *d;
} cmp_run;

struct wd_comparison {
    scn_compare *cfg;
    wd_model *model;         /* the base model, loaded once */
    wd_arena *arena;
    int region_dim;
    size_t nreg, npkg, nshk; /* nshk counts "none" (index 0) */
    const char **reg_names;  /* as the model spells them */
    int *reg_elem;
    VEC(cmp_series) series;
    size_t emp_series;       /* SIZE_MAX: no employment, no resilience */
    VEC(cmp_ind) ind;
    cmp_weight *score_w;
    size_t nscore_w, score_ind;
    char *score_doc;
    cmp_outvar *ov;
    size_t nov, ncols_out, ncols_all;
    double report_year, cumulative_until, band, floor;
    size_t ncells;
    size_t *cell_run;
    VEC(cmp_run) runs;
    VEC(cmp_prog) progs;
    wd_run_opts opts;
    /* results */
    size_t nsaved;
    double *times;
    double *rows;            /* ncells blocks of nsaved x ncols_all */
    double *ser;             /* ncells x nseries x nsaved */
    bool ran;
    size_t nfailed;
    int threads;
    double t_compile, t_total;
    /* of the first run, for the file's attributes */
    char *method;
    double rtol, atol, dt, saveper;
    unsigned long seed;
};

static inline size_t cmp_cell(const wd_comparison *c, size_t r, size_t p, size_t s)
{
    return (r * c->npkg + p) * c->nshk + s;
}
/* Columns of a block's row 0 holding an indicator's value, rank, regret,
 * maximum regret (cells of shock 0), rank by it (shock 0) and direction
 * (block 0). */
static inline size_t cmp_col_value(const wd_comparison *c, size_t i) { return c->ncols_out + i; }
static inline size_t cmp_col_rank(const wd_comparison *c, size_t i) { return c->ncols_out + c->ind.n + i; }
static inline size_t cmp_col_regret(const wd_comparison *c, size_t i) { return c->ncols_out + 2 * c->ind.n + i; }
static inline size_t cmp_col_maxregret(const wd_comparison *c, size_t i) { return c->ncols_out + 3 * c->ind.n + i; }
static inline size_t cmp_col_maxrank(const wd_comparison *c, size_t i) { return c->ncols_out + 4 * c->ind.n + i; }
static inline size_t cmp_col_better(const wd_comparison *c, size_t i) { return c->ncols_out + 5 * c->ind.n + i; }

const char *cmp_pkg_name(const wd_comparison *c, size_t p);
const char *cmp_shk_name(const wd_comparison *c, size_t s);
/* Indicators, ranks and regrets of every cell from the runs' series. */
void cmp_compute(wd_comparison *c);

#endif
