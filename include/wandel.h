/* wandel.h: the public interface of wandel, a system-dynamics simulator.
 *
 * Pipeline: a Vensim .mdl model is loaded (wd_model), compiled once into an
 * immutable program (wd_program) that any number of runs (wd_run, one per
 * thread) share; a run is integrated with a fixed-step or GSL method and its
 * saved time series are written to HDF5 or TSV/CSV. A scenario file
 * (wd_scenario, libconfig) selects the model, overrides constants or drives
 * variables with time series, and sets time, solver and output.
 *
 * Conventions: every function that can fail returns wd_status (0 = WD_OK);
 * problems in user input are collected in a wd_diags as
 * "file:line:col: error: message" with the source line; the library never
 * exits or aborts; every *_free accepts NULL.
 */
#ifndef WANDEL_H
#define WANDEL_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WD_VERSION "0.1.0"

/* Vensim's :NA: (not available): -2^109, a finite number so that
 * `x = :NA:` can be tested. */
#define WD_NA (-6.490371073168535e32)

/* ---- status ------------------------------------------------------------- */
typedef enum wd_status {
    WD_OK = 0,
    WD_E_NOMEM,       /* out of memory */
    WD_E_IO,          /* a file could not be read or written */
    WD_E_SYNTAX,      /* malformed model or scenario text */
    WD_E_SEMANTIC,    /* inconsistent model: unknown name, loop, bad arguments */
    WD_E_UNSUPPORTED, /* a construct wandel does not support */
    WD_E_ARG,         /* bad argument: unknown name, out-of-range value */
    WD_E_LIMIT,       /* a documented resource limit was exceeded */
    WD_E_NUMERIC,     /* a run produced a non-finite value */
    WD_E_SOLVER,      /* the ODE solver failed */
    WD_E_INTERRUPTED  /* the run was stopped on request */
} wd_status;

const char *wd_status_string(wd_status s);

/* ---- diagnostics ----------------------------------------------------------- */
typedef enum wd_severity { WD_NOTE = 0, WD_WARNING = 1, WD_ERROR = 2 } wd_severity;
typedef struct wd_diags wd_diags;

wd_diags *wd_diags_new(void);
void wd_diags_free(wd_diags *d);
size_t wd_diags_count(const wd_diags *d, wd_severity at_least);
/* Prints every message: "file:line:col: severity: text", the source line and a
 * caret under the column. */
void wd_diags_print(const wd_diags *d, FILE *out);
/* All messages as one string, as wd_diags_print would print them (owned by d,
 * valid until the next call on d). */
const char *wd_diags_text(wd_diags *d);
void wd_diags_clear(wd_diags *d);

/* ---- models --------------------------------------------------------------- */
typedef struct wd_model wd_model;

/* Reads and checks a Vensim .mdl file. On WD_E_SYNTAX / WD_E_SEMANTIC /
 * WD_E_UNSUPPORTED the reasons are in diags and *out is NULL. */
wd_status wd_model_load(const char *path, wd_diags *diags, wd_model **out);
/* Same from text; `path` names it in messages and anchors relative data files. */
wd_status wd_model_from_string(const char *text, const char *path, wd_diags *diags,
                               wd_model **out);
/* Loading with data files: variables the model declares without an
 * equation (`x :INTERPOLATE:` or just `x`) take their values from these
 * .tab/.csv tables, Time down or across, columns "x" or "x[e1,e2]" (the
 * layout wandel and Vensim write). Later files override earlier ones. */
typedef struct wd_load_opts {
    const char *const *data_files;
    size_t ndata_files;
} wd_load_opts;
wd_status wd_model_load_opts(const char *path, const wd_load_opts *opts, wd_diags *diags,
                             wd_model **out);
void wd_model_free(wd_model *m);
const char *wd_model_path(const wd_model *m);
const char *wd_model_sha256(const wd_model *m); /* of the file's bytes */

/* Integration methods. WD_METHOD_DEFAULT means: the method the model declares. */
typedef enum wd_method {
    WD_METHOD_DEFAULT = 0,
    WD_EULER,
    WD_RK2,
    WD_RK4,
    WD_RKF45,
    WD_RKCK,
    WD_RK8PD,
    WD_MSBDF,
    WD_RK4IMP
} wd_method;
const char *wd_method_name(wd_method m);
/* Parses "euler", "rk4", ...; returns WD_METHOD_DEFAULT for an unknown name. */
wd_method wd_method_parse(const char *name);
wd_method wd_model_method(const wd_model *m);

/* Introspection for `wandel info`. */
typedef struct wd_var_info {
    const char *name;       /* as written in the model */
    const char *kind;       /* "stock", "flow/auxiliary", "constant", "lookup", "data", ... */
    const char *units;      /* "" when none */
    const char *doc;        /* "" when none */
    const char *file;       /* where defined */
    int line;
    size_t ndims;
    const char *const *dims;  /* subscript range names */
    size_t ndeps;
    const char *const *deps;  /* names this variable's equations read */
} wd_var_info;
size_t wd_model_var_count(const wd_model *m);
/* i in [0, wd_model_var_count); pointers stay valid while m lives. */
void wd_model_var(const wd_model *m, size_t i, wd_var_info *info);

typedef struct wd_dim_info {
    const char *name;
    size_t nelems;
    const char *const *elems;
    const char *parent; /* the range this is a subrange of, or NULL */
} wd_dim_info;
size_t wd_model_dim_count(const wd_model *m);
void wd_model_dim(const wd_model *m, size_t i, wd_dim_info *info);

/* ---- programs ---------------------------------------------------------------- */
typedef struct wd_program wd_program;

/* Engines that execute a program's equations (see "engines" below). Both
 * give bit-identical results. */
typedef enum wd_engine {
    WD_ENGINE_AUTO = 0, /* compile: native code when cached, or when a run looks
                           long enough to repay building it; run: native code
                           when the program has it, else the VM */
    WD_ENGINE_VM,       /* the interpreter: starts at once */
    WD_ENGINE_NATIVE    /* C built by the system compiler: fastest runs; an
                           error when no compiler is available */
} wd_engine;

/* Names of variables whose equations a run replaces by inputs (a value or a
 * time series given per run, see wd_run_set_series). Each name is a variable or
 * one element of one, "carbon price" or "jobs[Ruhr,Mining]". */
typedef struct wd_compile_opts {
    const char *const *inputs;
    size_t ninputs;
    wd_engine engine; /* WD_ENGINE_AUTO (0) when zero-initialised */
} wd_compile_opts;

wd_status wd_program_compile(const wd_model *m, const wd_compile_opts *opts, wd_diags *diags,
                             wd_program **out);
void wd_program_free(wd_program *p);
/* Writes the disassembly of every code segment, one instruction a line. */
void wd_program_disasm(const wd_program *p, FILE *out);
const wd_model *wd_program_model(const wd_program *p);

/* ---- runs ---------------------------------------------------------------------- */
typedef struct wd_run wd_run;

typedef struct wd_run_opts {
    wd_method method;  /* WD_METHOD_DEFAULT: the model's */
    double rtol, atol; /* adaptive methods; 0 = defaults 1e-6, 1e-6 */
    double hmax;       /* largest adaptive step; 0 = TIME STEP... no limit */
    /* Overrides of the model's control variables; NaN = keep the model's. */
    double initial_time, final_time, time_step, saveper;
    unsigned long seed; /* for random functions */
    wd_engine engine;   /* default WD_ENGINE_AUTO: native code if the program has it */
} wd_run_opts;
void wd_run_opts_init(wd_run_opts *o); /* defaults as documented above */

wd_status wd_run_new(const wd_program *p, wd_run **out);
void wd_run_free(wd_run *r);

/* Sets a constant (or one element of an array constant, "x[a,b]"), or a
 * compile-time input, to a value for this run. A name that is neither gives
 * WD_E_ARG with the nearest known names in diags. */
wd_status wd_run_set(wd_run *r, const char *name, double value, wd_diags *diags);
/* Drives a compile-time input with a time series. interp: 0 linear, 1 step
 * (the value holds until the next point). Times must increase strictly. */
wd_status wd_run_set_series(wd_run *r, const char *name, size_t npoints, const double *times,
                            const double *values, int interp, wd_diags *diags);

/* Integrates from the initial to the final time and keeps every save point.
 * On WD_E_NUMERIC / WD_E_SOLVER the points saved before the fault are kept
 * and wd_run_complete() is 0. */
wd_status wd_run_exec(wd_run *r, const wd_run_opts *opts, wd_diags *diags);
int wd_run_complete(const wd_run *r);
wd_method wd_run_method(const wd_run *r);
size_t wd_run_rhs_evals(const wd_run *r);

/* Saved results: nsaved rows at times wd_run_times(); one column per saved
 * scalar (each element of an array is a column). */
size_t wd_run_nsaved(const wd_run *r);
const double *wd_run_times(const wd_run *r);
size_t wd_run_ncols(const wd_run *r);
const char *wd_run_col_name(const wd_run *r, size_t col); /* "x" or "x[a,b]" */
/* Column index of a name (variable or element), or (size_t)-1. */
size_t wd_run_col_find(const wd_run *r, const char *name);
double wd_run_value(const wd_run *r, size_t save, size_t col);

/* ---- output ----------------------------------------------------------------------- */
/* Variable selection for writers: NULL or empty = every variable. */
typedef struct wd_output_opts {
    const char *const *vars;
    size_t nvars;
    const char *scenario_text; /* recorded in HDF5 root attributes; may be NULL */
    const char *scenario_path;
} wd_output_opts;

/* ---- scenarios --------------------------------------------------------------- */
/* A scenario: a model plus settings from libconfig files layered with
 * `extends` (see the README), or plain command-line settings. */
typedef struct wd_scenario wd_scenario;

wd_status wd_scenario_load(const char *path, wd_diags *diags, wd_scenario **out);
/* A scenario with no file: runs model_path with its own settings. */
wd_status wd_scenario_for_model(const char *model_path, wd_scenario **out);
void wd_scenario_free(wd_scenario *s);
/* Adds "NAME=VALUE" as a setting (later ones win), as `--set` does. */
wd_status wd_scenario_set(wd_scenario *s, const char *assignment, wd_diags *diags);
/* Adds a data file (as `data = [...]` does; the path is used as given) for
 * variables the model declares without an equation. */
wd_status wd_scenario_add_data(wd_scenario *s, const char *path);
const char *wd_scenario_name(const wd_scenario *s);
const char *wd_scenario_path(const wd_scenario *s);   /* NULL without a file */
const char *wd_scenario_text(const wd_scenario *s);   /* NULL without a file */
const char *wd_scenario_model(const wd_scenario *s);  /* resolved model path or NULL */

/* Loads the scenario's model, compiles it (variables the scenario drives
 * with series or replaces become inputs), creates a run holding the
 * scenario's values, and fills opts from its time, solver and seed (fields
 * the scenario leaves unset keep their values in opts). opts->engine, set
 * by the caller, is also the engine the program is compiled for. Errors
 * name the scenario file and line. The caller frees run, program and model. */
wd_status wd_scenario_prepare(const wd_scenario *s, wd_diags *diags, wd_model **model,
                              wd_program **program, wd_run **run, wd_run_opts *opts);
/* The scenario's output settings: file (NULL = none), format (NULL =
 * from the file name) and variable selection. */
void wd_scenario_output(const wd_scenario *s, const char **file, const char **format,
                        wd_output_opts *o);

/* TSV/CSV in the conformance-suite layout: Time, then one column per variable
 * element; sep is '\t' or ','. */
wd_status wd_write_table(const wd_run *r, const wd_output_opts *o, FILE *out, char sep,
                         wd_diags *diags);
/* The same to a file, written to a temporary name beside `path` and renamed
 * when complete, so the file appears whole or not at all. */
wd_status wd_write_table_file(const wd_run *r, const wd_output_opts *o, const char *path, char sep,
                              wd_diags *diags);
/* HDF5: written to a temporary name beside `path`, fsynced, then renamed, so
 * the file appears whole or not at all. */
wd_status wd_write_hdf5(const wd_run *r, const wd_output_opts *o, const char *path,
                        wd_diags *diags);

/* ---- calibration ------------------------------------------------------------------ */
/* Fits model constants to observed series: the `calibrate` group of a
 * scenario (docs/calibration.md) names the parameters with their bounds and
 * the data (CSV files, long or wide); the fit is a bounded nonlinear least
 * squares (GSL's trust-region Levenberg-Marquardt) from one or several
 * starts, with standard errors, 95% intervals and correlations from the
 * Jacobian at the optimum. */
typedef struct wd_calib wd_calib;

/* Loads the scenario's model and data and checks the spec against them:
 * unknown variables, data rows that match nothing, data outside the run's
 * time are errors naming the scenario file and line (WD_E_ARG). */
wd_status wd_calib_new(const wd_scenario *s, wd_diags *diags, wd_calib **out);
void wd_calib_free(wd_calib *c);

typedef struct wd_calib_opts {
    unsigned nthreads;  /* runs evaluated in parallel (Jacobian columns); 0 = 1 */
    FILE *progress;     /* a line per start, or NULL */
    unsigned starts;    /* starts; 0 = the spec's calibrate.starts */
    int iterations;     /* iterations per start; 0 = the spec's calibrate.iterations;
                           < 0 = none: the statistics at the first start point (a
                           check that the spec runs, without fitting) */
} wd_calib_opts;

/* Runs every start and keeps the best, then the statistics at it (once per
 * wd_calib; a second call gives WD_E_ARG). WD_OK
 * when at least one start finished (check the report for warnings);
 * WD_E_NUMERIC when the model failed at every start. */
wd_status wd_calib_fit(wd_calib *c, const wd_calib_opts *o, wd_diags *diags);

/* The report: estimates with standard errors and 95% intervals, the
 * correlation matrix, per series RMSE, MAPE and points, warnings. */
void wd_calib_report(const wd_calib *c, FILE *out);
/* A scenario layer setting the fitted values, with the data, residuals and
 * statistics in comments; written atomically. */
wd_status wd_calib_write_layer(const wd_calib *c, const char *path, wd_diags *diags);
/* HDF5 with the run at the optimum and the observations on one time axis
 * (NaN where a series has no observation); written atomically. */
wd_status wd_calib_write_hdf5(const wd_calib *c, const char *path, wd_diags *diags);

typedef struct wd_calib_param_info {
    const char *var;
    double min, max, start;
    double estimate, se, lo95, hi95; /* se = +inf when not identifiable */
    int at_bound;                    /* -1 at min, +1 at max, 0 inside */
    int identifiability;             /* 0 fine, 1 poorly identified, 2 not identifiable */
    const char *why;                 /* the reason for 1 or 2, else NULL */
} wd_calib_param_info;
size_t wd_calib_nparams(const wd_calib *c);
void wd_calib_param(const wd_calib *c, size_t i, wd_calib_param_info *info);
/* Correlation of the estimates i and j (NaN when either is not identifiable). */
double wd_calib_correlation(const wd_calib *c, size_t i, size_t j);

typedef struct wd_calib_series_info {
    const char *label, *var;
    size_t npoints;
    const double *times, *observed, *fitted; /* npoints each */
    double rmse, mape;                        /* at the optimum; mape in percent */
} wd_calib_series_info;
size_t wd_calib_nseries(const wd_calib *c);
void wd_calib_series(const wd_calib *c, size_t i, wd_calib_series_info *info);

typedef struct wd_calib_summary {
    size_t npoints, nparams, nstarts, best_start, nsame; /* nsame: starts that reached the best SSR */
    double ssr, s2, tq;      /* SSR, s^2 = SSR/(n-p), t quantile (0.975, n-p) */
    double collinearity;     /* Brun et al. (2001) gamma of all parameters */
    size_t nevals, nfailed;  /* model runs, of which failed */
} wd_calib_summary;
void wd_calib_summary_get(const wd_calib *c, wd_calib_summary *out);
/* ---- engines ----------------------------------------------------------------------- */
/* A program runs in the VM (an interpreter) or as native code: its rate,
 * output and update code written out as C, built by the system compiler
 * ($WANDEL_CC, default cc) into a shared object and loaded. The object is
 * cached by a hash of the generated code in $WANDEL_CACHE, else
 * $XDG_CACHE_HOME/wandel, else ~/.cache/wandel, so each program is built
 * once. Native code gives results bit-identical to the VM's. */
const char *wd_engine_name(wd_engine e); /* "auto", "vm", "native" */
/* Parses a name; returns -1 for an unknown one. */
int wd_engine_parse(const char *name);
/* Whether the program carries native code; its shared object's path, or NULL. */
int wd_program_has_native(const wd_program *p);
const char *wd_program_native_path(const wd_program *p);
/* The engine the last wd_run_exec used (WD_ENGINE_VM or WD_ENGINE_NATIVE). */
wd_engine wd_run_engine(const wd_run *r);
/* ---- sweeps ------------------------------------------------------------------ */
/* A sweep runs a scenario many times with parameters drawn from a design
 * (the scenario's `sweep` group: grid, random, lhs, sobol, saltelli,
 * morris), keeps per run the parameter values, metrics and stored series,
 * and writes them, with summary statistics and sensitivity indices, to one
 * HDF5 file that xarray opens as is. See docs/sweeps.md. */
typedef struct wd_sweep wd_sweep;

typedef struct wd_sweep_opts {
    unsigned threads;      /* worker threads sharing one program; 0 = 1 */
    int resume;            /* continue an interrupted sweep from OUT.journal */
    unsigned shard_index;  /* run only shard shard_index (0-based) of */
    unsigned shard_count;  /* shard_count (0 or 1: the whole sweep) */
    int progress;          /* draw a progress bar on standard error */
    volatile int *stop;    /* set to non-zero (a signal handler may) to stop
                              early: the runs finished so far stay in the
                              journal for resume; may be NULL */
} wd_sweep_opts;
void wd_sweep_opts_init(wd_sweep_opts *o);

typedef struct wd_sweep_report {
    unsigned long long runs;      /* runs of the sweep (or of the shard) */
    unsigned long long resumed;   /* of them, finished before (from the journal) */
    unsigned long long done;      /* finished now */
    unsigned long long ok, failed;/* of all runs */
    double seconds;               /* running the runs of this call */
    unsigned workers;
} wd_sweep_report;

/* Loads the scenario's model and prepares its sweep (errors name the
 * scenario file and line). s must outlive the sweep. */
wd_status wd_sweep_prepare(const wd_scenario *s, const wd_sweep_opts *o, wd_diags *diags, wd_sweep **out);
unsigned long long wd_sweep_nruns(const wd_sweep *sw); /* of the whole sweep */
/* Runs the sweep (or shard) and writes out_path: whole or not at all, and
 * independent of the number of threads and of the order runs finish in. A
 * run that fails is recorded as failed with its reason; the status is WD_OK
 * unless the sweep itself could not go on (WD_E_IO, WD_E_NOMEM,
 * WD_E_INTERRUPTED: finished runs are kept for resume). */
wd_status wd_sweep_exec(wd_sweep *sw, const char *out_path, const wd_sweep_opts *o, wd_sweep_report *report,
                        wd_diags *diags);
void wd_sweep_free(wd_sweep *sw);

/* Combines the shard files of one sweep into out_path, equal to the file
 * the sweep would have written in one piece. Refuses (WD_E_ARG) missing,
 * repeated, incomplete or foreign shards. */
wd_status wd_sweep_merge(const char *out_path, const char *const *shards, size_t nshards, wd_diags *diags);

/* Prints the sensitivity indices stored in a sweep file as a table:
 * metric param S1 S1_conf ST ST_conf (saltelli) or metric param mu mu_star
 * mu_star_conf sigma (morris). */
wd_status wd_sensitivity_print(const char *path, FILE *out, wd_diags *diags);
/* ---- comparisons ---------------------------------------------------------------------
 * A comparison runs a matrix of regions x policy packages x shocks: for each
 * focal region, package and shock one run with the package's and the
 * shock's scenario layers applied (their `$region` placeholders naming the
 * focal region), plus the unshocked counterfactual of each region and
 * package (shock "none"). Identical runs are run once; one program is
 * compiled per distinct set of inputs and shared by the worker threads.
 * From each cell come indicators (jobs, unemployment, CO2, value added,
 * fiscal balance, diversification, resilience against the counterfactual,
 * a weighted score), ranks of the packages by each indicator within a region
 * and shock, and minimax regret across the shocks (Savage 1951). The file
 * format and every formula: docs/comparison.md. */
typedef struct wd_comparison wd_comparison;

typedef enum wd_cmp_axis {
    WD_CMP_REGION = 0,
    WD_CMP_PACKAGE,
    WD_CMP_SHOCK,    /* index 0 is "none", the unshocked counterfactual */
    WD_CMP_INDICATOR
} wd_cmp_axis;

/* Reads a comparison file and its layers and the model, checks every
 * setting of every cell against the model and plans the runs. Errors name
 * file and line. */
wd_status wd_comparison_load(const char *path, wd_diags *diags, wd_comparison **out);
void wd_comparison_free(wd_comparison *c);
/* Compiles and runs everything on `threads` threads (0 = one per
 * processor) and computes the indicators; once per comparison (WD_E_ARG
 * after that). WD_E_NUMERIC / WD_E_SOLVER when
 * some run failed: its cells hold what it saved (NaN after) and their
 * indicators are NaN; the reasons are in diags. */
wd_status wd_comparison_run(wd_comparison *c, int threads, wd_diags *diags);

const char *wd_comparison_name(const wd_comparison *c);
/* compare.output.file of the file (resolved), or NULL. */
const char *wd_comparison_output(const wd_comparison *c);
size_t wd_comparison_count(const wd_comparison *c, wd_cmp_axis axis);
/* Name of element i of an axis (a region as the model spells it, a package
 * or shock name, an indicator name); NULL when out of range. */
const char *wd_comparison_label(const wd_comparison *c, wd_cmp_axis axis, size_t i);
/* Index of a name on an axis, or (size_t)-1. */
size_t wd_comparison_find(const wd_comparison *c, wd_cmp_axis axis, const char *name);
/* Distinct runs and programs of the plan. */
size_t wd_comparison_nruns(const wd_comparison *c);
size_t wd_comparison_nprograms(const wd_comparison *c);
/* After wd_comparison_run: an indicator of a cell, its rank among the
 * packages (1 = best) within the region and shock, and its regret; NaN for
 * indices out of range. */
double wd_comparison_value(const wd_comparison *c, size_t region, size_t package, size_t shock,
                           size_t indicator);
double wd_comparison_rank(const wd_comparison *c, size_t region, size_t package, size_t shock,
                          size_t indicator);
double wd_comparison_regret(const wd_comparison *c, size_t region, size_t package, size_t shock,
                            size_t indicator);
/* The largest regret of a package across the shocks (the unshocked state
 * included), and the package's rank by it (1 = smallest). */
double wd_comparison_max_regret(const wd_comparison *c, size_t region, size_t package, size_t indicator);
double wd_comparison_max_regret_rank(const wd_comparison *c, size_t region, size_t package,
                                     size_t indicator);
/* +1 when higher values of the indicator are better, -1 when lower are. */
int wd_comparison_better(const wd_comparison *c, size_t indicator);

/* One HDF5 file: every series with region, package and shock dimensions
 * before time (and the model's other ranges after it), and the indicators,
 * ranks and regrets; written whole or not at all (as wd_write_hdf5). */
wd_status wd_comparison_write_hdf5(const wd_comparison *c, const char *path, wd_diags *diags);
/* The tidy CSV: region,package,shock,indicator,value (see docs/comparison.md
 * for the rows); written whole or not at all. */
wd_status wd_comparison_write_csv(const wd_comparison *c, const char *path, wd_diags *diags);
/* A readable table: per region the best package by minimax regret of the
 * score and its key indicators. */
void wd_comparison_print_summary(const wd_comparison *c, FILE *out);
/* The plan: cells, distinct runs and programs, and what each package and
 * shock sets. */
void wd_comparison_print_plan(const wd_comparison *c, FILE *out);

/* Resilience of a shocked run against its counterfactual, from employment
 * series at n save times t (strictly increasing):
 *   resistance   ((E_s(t*) - E_s(t0)) - (E_c(t*) - E_c(t0))) / max(|E_c(t*) - E_c(t0)|,
 *                floor * |E_c(t0)|), after Martin, Sunley, Gardiner and Tyler (2016),
 *                with the counterfactual as the expected path; t0 the onset, t* the save
 *                point of the largest deviation after it. 0 when the shock changes
 *                nothing; negative: the shocked run lost more than the reference.
 *   recovery     years from the onset until the shocked run stays within band
 *                (a share, 0.01 = 1%) of the counterfactual; +inf and recovered = 0
 *                when it is outside the band at the end.
 *   job_years_lost  integral of E_c - E_s over the run (trapezoidal rule); also in
 *                percent of E_c(t0) (percent-years: 100 = a whole year's employment).
 * onset: the time the shock starts, or NaN to take the last save point before
 * the runs differ. Returns WD_E_ARG for bad arguments; NaN measures when a
 * series holds NaN. docs/comparison.md gives the reasons. */
typedef struct wd_resilience {
    double resistance;
    double recovery_years;
    int recovered;
    double job_years_lost;
    double loss_pct_years; /* job_years_lost in percent of the employment at the onset */
    double max_loss_pct; /* largest shortfall after the onset, percent of the counterfactual */
    double onset, trough; /* the times used (NaN when the shock changed nothing) */
} wd_resilience;
wd_status wd_resilience_measure(size_t n, const double *t, const double *shocked,
                                const double *counterfactual, double onset, double band,
                                double floor, wd_resilience *out);

#ifdef __cplusplus
}
#endif
#endif
