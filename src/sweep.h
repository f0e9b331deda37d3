/* sweep.h: the sweep engine (sweep.c, sweep_journal.c, sweep_exec.c,
 * sweep_h5.c, sensitivity.c; the MPI driver in src/mpi/).
 *
 * Pipeline:
 *
 *   scenario (sweep group) --sweep_prepare--> wd_sweep: the compiled program,
 *       the design's parameter values, the time grid, what each run keeps
 *   workers (threads or MPI ranks): run i -> a record (status, reason,
 *       parameters, metrics, stored series), serialized (sweep_rec_*)
 *   one coordinator: records -> the journal OUT.journal, written as they
 *       come and synced after each batch (sweep_journal.c); --resume
 *       reads it back and runs only what is missing
 *   finalize: journal (or shard files) -> summary statistics and
 *       sensitivity indices -> OUT.h5, written by a child process to a
 *       temporary name and renamed (sweep_h5.c)
 *
 * Everything a run produces depends only on the sweep and the run's index
 * (the design is a function of the seed; each run's random functions get
 * the seed design_mix(seed, run)), and everything computed over runs takes
 * them in index order: results do not depend on the number of workers or on
 * the order in which runs finish.
 */
#ifndef WD_SWEEP_H
#define WD_SWEEP_H

#include "design.h"
#include "scenario.h"

#include <stdbool.h>
#include <stdint.h>

enum { SWEEP_NOT_RUN = 0, SWEEP_OK = 1, SWEEP_FAILED = 2 };

/* ---- what a sweep file describes (no model needed) ---------------------------- */

typedef struct sweep_dim {
    char *name;
    size_t n;
    char **elems;
} sweep_dim;

typedef struct sweep_series {
    char *name;          /* the variable as the model writes it, or "x[a,b]" */
    char *units, *doc;
    size_t ndims;
    size_t *dims;        /* indices into sweep_meta.dims */
    size_t nelems;
    size_t offset;       /* first value in a record's series block; value
                            (t, e) at offset + t * nelems + e */
} sweep_series;

typedef struct sweep_meta {
    char spec_sha[65];   /* SHA-256 of spec_text: equal for all shards of a sweep */
    char *spec_text;     /* every setting that shapes the results, one a line */
    scn_design design;
    uint64_t samples, seed, nruns;
    unsigned levels;     /* morris */
    long resamples;      /* bootstrap resamples for confidence intervals */
    double confidence;   /* their level */
    /* the runs this file or process holds: all, or one shard's */
    uint64_t run_first, run_count;
    unsigned shard_index, shard_count; /* 0 / 1 for a whole sweep */
    size_t nparams;
    char **param_names;  /* the variables as written in the sweep group */
    char **param_dist;   /* "uniform(min=0.03, max=0.09)" */
    size_t nmetrics;
    char **metric_names, **metric_var, **metric_reduce, **metric_units;
    double *metric_at;   /* NaN unless reduce is at */
    size_t ntime;
    double *times;
    char *time_units;
    size_t ndims;
    sweep_dim *dims;
    size_t nseries;
    sweep_series *series;
    size_t series_len;   /* values per run of all stored series */
    /* provenance, as a single run's file has it */
    char *model_path, *model_sha, *scenario_path, *scenario_text, *method;
    double rtol, atol, time_step, saveper;
} sweep_meta;

void sweep_meta_free(sweep_meta *m);
/* The design the meta describes (for the sensitivity analysis). */
void sweep_meta_design(const sweep_meta *m, design *d);

/* ---- run records ---------------------------------------------------------------------
 * One run's results as bytes, the unit of the journal and of MPI messages:
 *   u32 magic, u32 length of the whole record, u64 run, u32 status,
 *   u32 reason length, the reason (no NUL) padded to 8 bytes,
 *   f64 params[nparams], f64 metrics[nmetrics], f64 series[series_len],
 *   u32 CRC-32 of everything from run to here, u32 0.
 * Native byte order: journals and messages stay on one kind of machine (the
 * journal header records the order and refuses another). */
typedef struct sweep_rec {
    uint64_t run;
    int status;
    const char *reason;  /* not NUL-terminated: reason_len bytes */
    size_t reason_len;
    const double *params, *metrics, *series; /* unaligned pointers into the
                                                record: read with memcpy */
} sweep_rec;

#define SWEEP_REASON_MAX 1000
size_t sweep_rec_size(const sweep_meta *m, size_t reason_len);
/* Appends a record to b (false: out of memory). reason may be NULL. */
bool sweep_rec_put(wd_buf *b, const sweep_meta *m, uint64_t run, int status, const char *reason,
                   const double *params, const double *metrics, const double *series);
/* Parses the record at p (avail bytes): true and *len when it is whole, its
 * checksum right and its run within [run_first, run_first + run_count). */
bool sweep_rec_get(const void *p, size_t avail, const sweep_meta *m, sweep_rec *out, size_t *len);
/* Copies n doubles from an unaligned record field. */
void sweep_rec_doubles(const double *from, size_t n, double *to);
uint32_t sweep_crc32(const void *p, size_t n);

/* ---- the prepared sweep --------------------------------------------------------------- */

struct wd_sweep {
    const wd_scenario *scn; /* borrowed: must outlive the sweep */
    wd_model *model;
    wd_program *program;
    wd_run_opts opts;
    design des;
    sweep_meta meta;
    double *x;            /* run_count x nparams values of this process's runs */
    size_t *metric_col;   /* column of each metric's variable */
    size_t *series_col;   /* first column of each stored series */
};

/* Loads the scenario's model, compiles it with the parameters as inputs
 * where needed, checks the sweep group against the model (file:line), runs
 * the scenario once with each parameter at its median to learn the time
 * grid, and computes the parameter values of runs [first, first+count) of
 * shard shard_index of shard_count (0 of 1: everything). */
wd_status sweep_prepare(const wd_scenario *s, unsigned shard_index, unsigned shard_count, wd_diags *d,
                        wd_sweep **out);

/* A worker: its own run of the shared program. */
typedef struct sweep_worker sweep_worker;
wd_status sweep_worker_new(const wd_sweep *sw, sweep_worker **out);
/* Runs run `run` (within the sweep's range) and appends its record to out.
 * A run that fails is a record with status failed and the reason; only
 * running out of memory is an error. */
wd_status sweep_worker_run(sweep_worker *w, uint64_t run, wd_buf *out);
void sweep_worker_free(sweep_worker *w);

/* ---- the journal (sweep_journal.c) ------------------------------------------------------ */

typedef struct sweep_journal sweep_journal;
/* "<out>.journal". Heap string. */
char *sweep_journal_path(const char *out);
/* Opens (resume: reads back) or creates the journal of meta's runs beside
 * out. Without resume an existing journal is refused (it holds finished runs
 * of an interrupted sweep); with resume a journal of another sweep is
 * refused, a torn record at its end (the process was killed while writing)
 * is cut off, and every whole record counts as done. */
wd_status sweep_journal_open(const sweep_meta *m, const char *out, bool resume, wd_diags *d,
                             sweep_journal **out_j);
bool sweep_journal_done(const sweep_journal *j, uint64_t run);
uint64_t sweep_journal_ndone(const sweep_journal *j);
/* Appends whole records (n bytes); each is checked. Written at once with
 * write(); synced with fdatasync when at least sync_seconds have passed
 * since the last sync (0: always). */
wd_status sweep_journal_append(sweep_journal *j, const void *recs, size_t n, double sync_seconds, wd_diags *d);
wd_status sweep_journal_sync(sweep_journal *j, wd_diags *d);
/* Reads the record of a run into buf (resized): false when not done. */
bool sweep_journal_read(sweep_journal *j, uint64_t run, wd_buf *buf, sweep_rec *rec);
const char *sweep_journal_file(const sweep_journal *j);
/* Closes; remove = unlink the file too (after the final file is in place). */
void sweep_journal_close(sweep_journal *j, bool remove);

/* ---- sources of run records for the final file ---------------------------------------- */

typedef struct sweep_source {
    void *ctx;
    /* Fills rec for a run of the file's range; buf holds its bytes.
     * false: not available (the run reads as not run, NaN). */
    bool (*get)(void *ctx, uint64_t run, wd_buf *buf, sweep_rec *rec);
} sweep_source;

/* ---- results over runs (sensitivity.c) --------------------------------------------------- */

enum { SWEEP_NSTATS = 5 }; /* mean, sd, p05, p50, p95 */
extern const char *const sweep_stat_names[SWEEP_NSTATS];
/* Statistics of the finite values among x[0], x[stride], ... (n of them):
 * NaN where none. x is reordered. */
void sweep_stats(double *x, size_t n, double out[SWEEP_NSTATS]);

typedef struct sweep_indices {
    bool saltelli, morris;
    size_t nmetrics, nparams;
    /* [metric][param], NaN where not computable */
    double *s1, *s1_conf, *st, *st_conf;    /* saltelli */
    double *mu, *mu_star, *sigma, *mu_star_conf; /* morris */
    size_t *used;        /* per metric: base samples / trajectories used */
} sweep_indices;

/* Sobol indices (saltelli) or elementary effects (morris) of every metric,
 * from the parameter values and metrics of all runs (nruns x nparams and
 * nruns x nmetrics, NaN for runs that failed). */
wd_status sweep_indices_compute(const sweep_meta *m, const double *params, const double *metrics,
                                sweep_indices *out);
void sweep_indices_free(sweep_indices *ix);

/* ---- the final file (sweep_h5.c) ---------------------------------------------------------- */

/* Writes the file for meta's runs from src, atomically: a child process
 * builds it under a temporary name beside path (so that a failing HDF5 write,
 * which leaves HDF5 1.10 unable to close the file and crashing at exit,
 * cannot take the caller down), fsyncs it; the parent renames it over path
 * and fsyncs the directory. A whole sweep (not a shard) gets the summary
 * statistics and, for saltelli and morris designs, the sensitivity indices. */
wd_status sweep_h5_write(const sweep_meta *m, const sweep_source *src, const char *path, wd_diags *d);

/* A sweep file read back (merge, sensitivity, --resume of a finished
 * sweep). */
typedef struct sweep_h5 sweep_h5;
wd_status sweep_h5_open(const char *path, wd_diags *d, sweep_h5 **out);
const sweep_meta *sweep_h5_meta(const sweep_h5 *f);
/* Whether every run of the file's range has a status (ok or failed). */
bool sweep_h5_complete(sweep_h5 *f, uint64_t *missing);
sweep_source sweep_h5_source(sweep_h5 *f);
void sweep_h5_close(sweep_h5 *f);
/* Prints the sensitivity table of a sweep file. */
wd_status sweep_h5_print_indices(const char *path, FILE *out, wd_diags *d);

/* ---- running (sweep_exec.c) ---------------------------------------------------------------- */

/* The coordinator's state while a sweep runs: the runs still to do, the
 * journal, progress. Local worker threads and remote workers (MPI) take
 * batches of runs from it and hand back records. */
typedef struct sweep_coord sweep_coord;

/* Takes up to max runs still to do; returns how many (0: none left). */
size_t sweep_coord_claim(sweep_coord *c, size_t max, uint64_t *runs);
/* A good batch size for a worker now: smaller as the end nears. */
size_t sweep_coord_batch(sweep_coord *c);
/* Hands records (whole, n bytes) to the journal. */
wd_status sweep_coord_deliver(sweep_coord *c, const void *recs, size_t n);
/* Whether the sweep should stop (an error, or the caller's stop flag). */
bool sweep_coord_stopping(sweep_coord *c);

/* Remote workers, for the MPI driver: polled by the coordinator's loop. */
typedef struct sweep_remote {
    void *ctx;
    unsigned nworkers;
    /* Serves workers: receives their records (sweep_coord_deliver), sends
     * them batches (sweep_coord_claim) or tells them to stop once nothing
     * is left or sweep_coord_stopping. Waits at most timeout seconds for
     * a message. Returns WD_OK or an error. */
    wd_status (*poll)(void *ctx, sweep_coord *c, double timeout);
    /* Whether every remote worker has been told to stop and has handed
     * back all it took. */
    bool (*finished)(void *ctx);
} sweep_remote;

typedef struct sweep_run_opts {
    unsigned threads;        /* local worker threads (0 with remote workers: none) */
    bool resume, progress;
    volatile int *stop;
    const sweep_remote *remote;
    /* Called once the runs are over (all workers stopped), before the final
     * file is written; the MPI driver ends MPI there. May be NULL. */
    void (*runs_done)(void *ctx);
    void *runs_done_ctx;
} sweep_run_opts;

/* Runs every run of the sweep's range that the journal does not hold yet,
 * then writes the final file from the journal and removes the journal. */
wd_status sweep_run(wd_sweep *sw, const char *out, const sweep_run_opts *o, wd_sweep_report *rep,
                    wd_diags *d);

#endif
