/* outview.h: what a result writer sees of a finished (or stopped) run.
 *
 * Built by run.c from a run and its program; consumed by sink_hdf5.c and
 * sink_csv.c, which know nothing else about runs. Values are a row-major
 * matrix: row k holds every saved column at times[k].
 */
#ifndef WD_OUTVIEW_H
#define WD_OUTVIEW_H

#include "diag.h"
#include <stdbool.h>
#include <stddef.h>

/* A subscript range as a coordinate: its name and element names in order. */
typedef struct out_dim {
    const char *name;
    size_t n;
    const char *const *elems;
} out_dim;

typedef struct out_var {
    const char *name;        /* the model's name, as written (quotes removed) */
    const char *units;       /* "" when none */
    const char *doc;         /* "" when none */
    bool timeless;           /* constant over the run: written without a time axis;
                              * writers read its value from row 0 only */
    size_t ndims;
    const out_dim *const *dims;
    /* The variable's elements, row-major over dims (the last subscript varies
     * fastest), are columns first_col .. first_col + nelems - 1. */
    size_t first_col;
    size_t nelems;
} out_var;

typedef struct out_view {
    size_t nsaved;
    const double *times;     /* nsaved save times */
    size_t ncols;
    const double *rows;      /* nsaved x ncols, row-major */
    size_t nvars;
    const out_var *vars;
    const char *time_units;  /* the model's time unit, "" if unknown */
    /* provenance, written as root attributes */
    const char *model_path;
    const char *model_sha256;
    const char *scenario_path; /* NULL when run without a scenario */
    const char *scenario_text; /* the scenario with all its layers, or NULL */
    const char *method;
    double rtol, atol;         /* NaN for fixed-step methods */
    double time_step, saveper;
    unsigned long seed;
    bool complete;             /* false: the run stopped early; reason says why */
    const char *reason;
    /* Outer dimensions (comparisons; 0 for one run, at most 8): block b of
     * nsaved x ncols values starts at rows + b * nsaved * ncols. */
    size_t nouter;
    const out_dim *const *outer;
    /* Per variable, which outer dimensions it spans: bit k for outer[k]. Its
     * dataset has those axes first, in order; a dimension it does not span is
     * read at element 0. NULL: every variable spans every outer dimension. */
    const unsigned *outer_masks;
    /* Further root attributes, name -> string value. */
    size_t nattrs;
    const char *const *attr_names;
    const char *const *attr_values;
} out_view;

/* Writes v to path atomically: a temporary file in the same directory is
 * written, flushed, fsynced, closed and renamed over path, and the directory
 * is fsynced; on any failure the temporary is removed and path is untouched.
 * Returns WD_OK or WD_E_IO (message in diags naming the path); also
 * WD_E_ARG for an inconsistent view (NULL names, columns beyond ncols, two
 * ranges of one name with different elements) and WD_E_NOMEM. A directory
 * fsync that fails after the rename is a warning in diags, not an error.
 * Layout and naming rules: see the header of sink_hdf5.c. */
wd_status sink_hdf5_write(const out_view *v, const char *path, wd_diags *diags);

/* TSV/CSV in the conformance-suite layout to an open stream; sep is '\t' or
 * ',' (any other character but '"', CR, LF and NUL is quoted like ','). The
 * stream is flushed, not closed. Returns WD_OK, WD_E_IO (a write or flush
 * failed), WD_E_ARG (inconsistent view, bad sep) or WD_E_NOMEM. */
wd_status sink_table_write(const out_view *v, FILE *out, char sep, wd_diags *diags);

#endif
