/* scenario.h: scenario files (libconfig) -> plain settings.
 *
 * scenario.c reads a scenario file and its `extends` layers (applied in
 * order, then the file's own settings; later wins), checks names and types,
 * resolves paths relative to the file that names them, and keeps for every
 * setting the file and line it came from so that later stages (which know
 * the model) can report "unknown variable" at the right place. It knows
 * nothing about models. The groups sweep, calibrate and compare are read by
 * scenario_sweep.c, scenario_calib.c and scenario_compare.c; these four are
 * the only files that include libconfig.h.
 *
 * Merging, in short (scenario.c has the details): each file is applied once
 * (a file reached again through another path is skipped; reached again while
 * loading is a cycle, an error); model and seed are replaced by a later
 * layer; time, solver and output field by field (output.vars as one list);
 * set entries by variable, compared like Vensim names (case, spaces and
 * underscores do not matter, in the name and in each subscript element); name
 * comes from the top file only. calibrate: params merged by variable like
 * set (later wins), data replaced as a whole list by a later layer that has
 * one, starts/seed/iterations/fd_step field by field (see scn_calib). sweep:
 * field by field (its params, metrics and store lists each as a whole). The
 * top-level group compare is accepted and ignored by scn_load;
 * scn_compare_load reads it (see the end of this header).
 */
#ifndef WD_SCENARIO_H
#define WD_SCENARIO_H

#include "diag.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct scn_src {
    const char *file; /* an entry of wd_scenario.files, or the static string
                         "--set" for entries from scn_add_set */
    int line;         /* 0 when unknown (--set) */
} scn_src;

typedef enum scn_interp { SCN_LINEAR = 0, SCN_STEP = 1 } scn_interp;

/* One entry of `set`: a constant value or a time series of points. */
typedef struct scn_set {
    char *var;          /* as written: "carbon price", "jobs[Ruhr,Mining]" */
    scn_src src;        /* the line of its var (of the layer that won) */
    bool is_series;
    double value;       /* !is_series */
    size_t npoints;     /* is_series: strictly increasing times */
    double *times, *values;
    scn_interp interp;
} scn_set;

/* ---- sweep = { ... } (see docs/sweeps.md) ------------------------------------
 * What scenario_sweep.c checks: names, types, and each entry on its own (a
 * distribution has the numbers it needs, min < max, sd > 0, ...). What needs
 * the model or the merged layers (the variables exist, samples given, the
 * design fits the parameters) is checked by sweep.c, which reports at the
 * lines kept here. */
typedef enum scn_design {
    SCN_GRID = 0, SCN_RANDOM, SCN_LHS, SCN_SOBOL, SCN_SALTELLI, SCN_MORRIS
} scn_design;
typedef enum scn_dist {
    SCN_UNIFORM = 0, SCN_NORMAL, SCN_LOGNORMAL, SCN_TRIANGULAR, SCN_DISCRETE
} scn_dist;
typedef enum scn_reduce {
    SCN_FINAL = 0, SCN_MAX, SCN_MIN, SCN_MEAN, SCN_INTEGRAL, SCN_AT
} scn_reduce;
extern const char *const scn_design_names[]; /* indexed by scn_design, NULL-terminated */
extern const char *const scn_dist_names[];
extern const char *const scn_reduce_names[];

/* One uncertain parameter: a constant (or any variable, whose equation the
 * sweep replaces) and its distribution. Unused numbers are NaN. */
typedef struct scn_sweep_param {
    char *var;           /* "decline rate[Mining]" */
    scn_src src;         /* the line of var */
    scn_dist dist;
    double min, max;     /* uniform, triangular; optional truncation of normal, lognormal */
    double mode;         /* triangular */
    double mean, sd;     /* normal */
    double mu, sigma;    /* lognormal: mean and sd of ln(x) */
    double *values;      /* discrete: nvalues values, weights NULL (equal) or nvalues */
    double *weights;
    size_t nvalues;
    unsigned levels;     /* grid: levels of this parameter; 0 = sweep.levels */
} scn_sweep_param;

/* A number computed from each run: a variable (or one element) reduced
 * over time. */
typedef struct scn_metric {
    char *name;          /* dataset name in the output */
    char *var;
    scn_reduce reduce;
    double at;           /* SCN_AT: the time; NaN otherwise */
    scn_src src;         /* the line of name (or of the entry) */
} scn_metric;

typedef struct scn_store {
    char *var;           /* a variable (every element) or one element */
    scn_src src;
} scn_store;

typedef struct scn_sweep {
    bool present;        /* some layer has a sweep group */
    scn_src src;         /* the group of the last layer that has one */
    bool has_design;
    scn_design design;
    scn_src design_src;
    unsigned long samples; /* 0 = not set */
    scn_src samples_src;
    bool has_seed;       /* sweep.seed; else the top-level seed, else 0 */
    unsigned long seed;
    unsigned levels;     /* 0 = not set (grid and morris default to 4) */
    scn_src levels_src;
    long resamples;      /* bootstrap resamples; -1 = not set (1000) */
    double confidence;   /* NaN = not set (0.95) */
    scn_sweep_param *params;
    size_t nparams;
    scn_src params_src;
    scn_metric *metrics;
    size_t nmetrics;
    scn_store *store;
    size_t nstore;
} scn_sweep;

struct wd_scenario {
    char *name;         /* `name`, or the file name without extension */
    char *path;         /* the top file as given */
    char *text;         /* every layer's text as written, in the order applied,
                           each preceded by a line "# file: PATH" */
    char **files;       /* every file read (for scn_src.file), the top file first */
    size_t nfiles;

    char *model;        /* resolved path; NULL if no layer sets it */
    scn_src model_src;

    /* time = { start; stop; step; save; } : NaN where not set; step, save > 0
     * and stop >= start (when both are set) are checked. time_src is the time
     * group of the last layer that has one. */
    double t_start, t_stop, t_step, t_save;
    scn_src time_src;

    /* solver = { method; rtol; atol; hmax; } : NULL / NaN where not set.
     * method is one of euler, rk2, rk4, rkf45, rkck, rk8pd, msbdf, rk4imp (in
     * lower case); rtol, atol, hmax are > 0. */
    char *method;
    double rtol, atol, hmax;
    scn_src solver_src;

    bool has_seed;      /* seed = N; (top level) */
    unsigned long seed;

    char **data;        /* data = [...]: data files, resolved, every layer's in order */
    size_t ndata;

    scn_set *sets;      /* merged: one entry per distinct var (later layer wins), */
    size_t nsets;       /* in order of first appearance */

    /* output = { file; format; vars; } */
    char *out_file;     /* resolved relative to the file that set it; NULL if unset */
    char *out_format;   /* "h5", "tsv", "csv" or NULL (from the file extension) */
    char **out_vars;    /* NULL/0 = all */
    size_t nout_vars;
    scn_src output_src;

    /* calibrate = { ... } (merged over layers; see scn_calib) */
    struct scn_calib *calib; /* NULL when no layer has a calibrate group */
    scn_sweep sweep;
};

/* ---- calibration spec (calibrate = { params; data; defaults; starts; ... }) ----
 * Read here, used by calib.c. Checks done while reading (each reported at
 * the file and line of the setting): types, unknown keys, min < max, start
 * inside [min, max], weight > 0, a numeric scale > 0, factor != 0, starts >=
 * 1, format long or wide, the data file exists, wide data names its column,
 * from <= to. What needs the model or the data (unknown variables, no
 * matching rows, points outside the run's time) is checked by calib.c with
 * the same file:line. */

/* One fitted parameter: a constant (or an element "x[e]", or a whole array
 * set to one value) searched within [min, max]. */
typedef struct scn_param {
    char *var;
    double min, max;
    double start;        /* NaN = the middle of [min, max] */
    scn_src src;         /* line of var */
} scn_param;

/* How residuals are divided: relative = by the series' mean absolute
 * observation; absolute = not at all (data units); number = by that number;
 * pointwise = each by its own |observation| (a relative error per point, for
 * series spanning orders of magnitude). */
typedef enum scn_scale { SCN_SCALE_RELATIVE = 0, SCN_SCALE_ABSOLUTE, SCN_SCALE_NUMBER, SCN_SCALE_POINTWISE } scn_scale;

/* match = { column = "value"; column2 = ["a", "b"]; }: a row is used when, for
 * every column, its field equals one of the values (blanks around the field
 * ignored, case significant). */
typedef struct scn_match {
    char *column;
    char **values;
    size_t nvalues;
} scn_match;

/* One observed series. */
typedef struct scn_data {
    char *file;          /* resolved path of the CSV/TSV file */
    bool wide;           /* format = "wide": a time column and one column per series */
    char *time_col;      /* time = "year"; NULL = the first of year/time/t (any case) */
    char *value_col;     /* long: value = "value" (NULL = "value"); */
    char *column;        /* wide: column = "name" of this series (required) */
    scn_match *match;    /* long (and wide, to select rows) */
    size_t nmatch;
    char *var;           /* the model variable (element) compared with the data */
    char *label;         /* name = "..."; NULL = var */
    double weight;       /* > 0, default 1 */
    scn_scale scale;     /* default relative */
    double scale_value;  /* SCN_SCALE_NUMBER: > 0 */
    double factor;       /* observed value * factor = model units; default 1 */
    double time_offset;  /* added to the time column; default 0 */
    double from, to;     /* rows with time (after offset) outside are skipped; -inf/+inf */
    scn_src src;         /* the entry (line of its var, else of the group) */
} scn_data;

typedef struct scn_calib {
    scn_src src;         /* the calibrate group of the last layer that has one */
    scn_param *params;   /* merged by variable, in order of first appearance */
    size_t nparams;
    scn_data *data;      /* from the last layer that has a data list */
    size_t ndata;
    scn_src data_src;
    int starts;          /* >= 1, default 1 */
    bool has_seed;       /* seed of the Latin hypercube (default 1) */
    unsigned long seed;
    int iterations;      /* > 0: iterations per start, default 200 */
    double fd_step;      /* relative finite-difference step; NaN = from the method */
} scn_calib;

/* Loads path and its layers. On failure *out is NULL, every problem found is
 * in diags as "file:line: error: ..." (with "did you mean" for misspelt
 * setting names), and the status is the class of the first problem:
 * WD_E_IO (a file is missing or unreadable), WD_E_SYNTAX (libconfig syntax,
 * a NUL byte, @include), WD_E_SEMANTIC (unknown setting, wrong type, bad
 * value, cyclic extends), WD_E_LIMIT (a file over 16 MiB, extends more than
 * 32 files deep, nesting over 64, over 100 settings in one group, over
 * 1,000,000 set entries or 10,000,000 points), or WD_E_NOMEM; WD_E_ARG for a
 * NULL or empty path. */
wd_status scn_load(const char *path, wd_diags *diags, wd_scenario **out);
void scn_free(wd_scenario *s); /* NULL is fine */

/* Adds or replaces a set entry from a command-line "NAME=VALUE": split at the
 * last '=', blanks trimmed, VALUE a finite number (strtod, all of it). An
 * entry for the same variable (compared as in the files) is replaced in
 * place, else one is appended; its src is {"--set", 0}. A malformed
 * assignment gives WD_E_ARG ("--set 'x=abc': expected NAME=NUMBER") and
 * leaves s unchanged. */
wd_status scn_add_set(wd_scenario *s, const char *assignment, wd_diags *diags);
/* Appends a data file (taking path over; freed on failure). */
bool scn_push_data(wd_scenario *s, char *path);

/* ---- comparisons ---------------------------------------------------------------
 * A comparison file is a scenario file (the base scenario: model, time,
 * solver, settings every run shares) with a top-level `compare` group naming
 * the regions to report, the policy packages and the shocks; docs/comparison.md
 * describes the format. Packages and shocks are lists of layer files, each an
 * ordinary scenario file (its own extends applied) that may only set
 * variables. In a layer's set entries the placeholder $region (or ${region})
 * in `var` stands for the focal region of a cell; $$ is a literal $. */

/* The quantities the standard indicators are computed from. */
enum {
    SCN_Q_EMPLOYMENT = 0, /* resilience measures */
    SCN_Q_JOBS,
    SCN_Q_UNEMPLOYMENT,
    SCN_Q_CO2,
    SCN_Q_GVA,
    SCN_Q_FISCAL,
    SCN_Q_DIVERSIFICATION,
    SCN_NQUANT
};
/* Their names in compare.variables, indexed by the enum. */
extern const char *const scn_quantity_names[SCN_NQUANT];

/* How an indicator is computed from its quantity's series x(t) (t0 = the
 * first save time, Y = year): its value at Y, its change 100 (x(Y) -
 * x(t0)) / |x(t0)| in percent, or its integral from t0 to Y. */
typedef enum scn_stat { SCN_STAT_VALUE = 0, SCN_STAT_CHANGE_PCT, SCN_STAT_CUMULATIVE } scn_stat;

/* A package or a shock. */
typedef struct scn_cmp_case {
    char *name;          /* identifier: letters, digits, '_', '-', '.' */
    char *label;         /* for tables; the name when not given */
    char *doc;           /* "" when not given */
    double onset;        /* shocks: time the shock starts; NaN = found from the runs */
    wd_scenario **layers;/* its layer files, each loaded with scn_load */
    size_t nlayers;
    scn_src src;         /* the group */
} scn_cmp_case;

/* An indicator defined in compare.indicators. */
typedef struct scn_cmp_indicator {
    char *name;
    char *var;           /* may contain $region */
    scn_stat stat;
    double year;
    int better;          /* +1 higher is better, -1 lower is better */
    scn_src src;
} scn_cmp_indicator;

typedef struct scn_cmp_weight {
    char *indicator;
    double weight;
    scn_src src;
} scn_cmp_weight;

typedef struct scn_compare {
    wd_scenario *base;      /* the file itself as a scenario (its extends applied) */
    char *path;             /* the comparison file */
    char **regions;         /* focal regions: element names, as written */
    scn_src *region_src;
    size_t nregions;
    char *region_range;     /* NULL = find it (compare.c) */
    scn_src region_range_src;
    scn_cmp_case *packages;
    size_t npackages;
    scn_cmp_case *shocks;
    size_t nshocks;
    /* quantity -> model variable: NULL = the default, "" = none */
    char *vars[SCN_NQUANT];
    scn_src var_src[SCN_NQUANT];
    double report_year, cumulative_until; /* NaN = defaults (2040, 2050) */
    scn_src years_src;
    double band, floor;     /* resilience: NaN = defaults (0.01, 0.01) */
    scn_src resilience_src;
    scn_cmp_indicator *indicators; /* further indicators */
    size_t nindicators;
    scn_cmp_weight *score;  /* has_score: the weights of the ranking score */
    size_t nscore;
    bool has_score;
    scn_src score_src;
    char *out_file;         /* resolved; NULL = not set */
    char **out_vars;        /* has_out_vars: the series written, else the defaults */
    scn_src *out_var_src;
    size_t nout_vars;
    bool has_out_vars;
    scn_src src;            /* the compare group */
    char *text;             /* every file read (base and layers), each after "# file: PATH" */
} scn_compare;

/* Loads a comparison file: the base scenario (scn_load), then the compare
 * group and every package and shock layer. Every problem is reported with
 * file and line; the status is the class of the first (as scn_load). */
wd_status scn_compare_load(const char *path, wd_diags *diags, scn_compare **out);
void scn_compare_free(scn_compare *c); /* NULL is fine */

/* The merged set entries of one cell: the base scenario's, then the layers
 * of the package, then those of the shock (shock == SIZE_MAX: none), later
 * entries for the same variable replacing earlier ones (as in scn_load), with
 * $region replaced by `region` in every var. The entries' var strings are the
 * caller's (free with scn_cell_free); their series arrays and src borrow from
 * c and live as long as it. */
wd_status scn_compare_cell(const scn_compare *c, size_t package, size_t shock, const char *region,
                           scn_set **out, size_t *n);
void scn_cell_free(scn_set *sets, size_t n);

/* Replaces $region / ${region} in var by region ($$ is one $): 0 and a heap
 * string in *out, or -1 (an unknown placeholder, or out of memory). */
int scn_subst_region(const char *var, const char *region, char **out);

/* A merge key for a variable name (canonical, as set entries are matched):
 * heap string, or NULL for a malformed name or out of memory. */
char *scn_var_key(const char *var);

#endif
