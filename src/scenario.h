/* scenario.h: scenario files (libconfig) -> plain settings.
 *
 * scenario.c is the only file that includes libconfig.h. It reads a scenario
 * file and its `extends` layers (applied in order, then the file's own
 * settings; later wins), checks names and types, resolves paths relative to
 * the file that names them, and keeps for every setting the file and line it
 * came from so that later stages (which know the model) can report "unknown
 * variable" at the right place. It knows nothing about models.
 */
#ifndef WD_SCENARIO_H
#define WD_SCENARIO_H

#include "diag.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct scn_src {
    const char *file; /* owned by the scenario (paths list) */
    int line;
} scn_src;

typedef enum scn_interp { SCN_LINEAR = 0, SCN_STEP = 1 } scn_interp;

/* One entry of `set`: a constant value or a time series of points. */
typedef struct scn_set {
    char *var;          /* as written: "carbon price", "jobs[Ruhr,Mining]" */
    scn_src src;
    bool is_series;
    double value;       /* !is_series */
    size_t npoints;     /* is_series: strictly increasing times */
    double *times, *values;
    scn_interp interp;
} scn_set;

struct wd_scenario {
    char *name;         /* `name`, or the file name without extension */
    char *path;         /* the top file as given */
    char *text;         /* every layer's text, each preceded by "# file: PATH" */
    char **files;       /* every file read (for scn_src.file) */
    size_t nfiles;

    char *model;        /* resolved path; NULL if no layer sets it */
    scn_src model_src;

    /* time = { start; stop; step; save; } : NaN where not set */
    double t_start, t_stop, t_step, t_save;
    scn_src time_src;

    /* solver = { method; rtol; atol; hmax; } : NULL / NaN where not set */
    char *method;
    double rtol, atol, hmax;
    scn_src solver_src;

    bool has_seed;      /* seed = N; (top level) */
    unsigned long seed;

    scn_set *sets;      /* merged: one entry per distinct var (later layer wins), */
    size_t nsets;       /* in order of first appearance */

    /* output = { file; format; vars; } */
    char *out_file;     /* resolved relative to the file that set it; NULL if unset */
    char *out_format;   /* "h5", "tsv", "csv" or NULL (from the file extension) */
    char **out_vars;    /* NULL/0 = all */
    size_t nout_vars;
    scn_src output_src;
};

/* Loads path and its layers. On failure returns WD_E_IO (a file is missing or
 * unreadable), WD_E_SYNTAX (libconfig syntax) or WD_E_SEMANTIC (unknown
 * setting, wrong type, bad value, cyclic extends), with every problem found in
 * diags as "file:line: error: ..." (and "did you mean" for misspelt setting
 * names), and *out NULL. */
wd_status scn_load(const char *path, wd_diags *diags, wd_scenario **out);
void scn_free(wd_scenario *s);

/* Adds or replaces a set entry from a command-line "NAME=VALUE" (VALUE a
 * number). src names the origin for messages ("--set"). */
wd_status scn_add_set(wd_scenario *s, const char *assignment, wd_diags *diags);

#endif
