/* calib.h: calibration against observed data (inside of wd_calib, see
 * wandel.h), shared by calib.c (set-up, model evaluations, the fit and its
 * statistics), calib_data.c (reading the observations) and calib_report.c
 * (the printed report, the fitted layer and the HDF5 file).
 *
 * Pipeline position: after scenario_calib.c has read the `calibrate` group
 * (scn_calib) and session.c has compiled the model; many runs of the one
 * program (one per worker thread) are evaluated at trial parameter values.
 */
#ifndef WD_CALIB_H
#define WD_CALIB_H

#include "scenario.h"
#include "session.h"

/* One observed series, read from its file by calib_data_read. */
typedef struct calib_series {
    const scn_data *spec;
    const char *label;   /* spec->label, else spec->var */
    size_t col;          /* the run column of spec->var */
    size_t n;            /* points, sorted by time */
    double *t, *y;       /* times (with time_offset) and values (times factor) */
    int *line;           /* line of each point in the data file */
    double scale;        /* the divisor of the residuals (scale setting resolved) */
    double mult;         /* sqrt(weight) / scale */
    double *pmult;       /* pointwise: sqrt(weight) / |y_i| per point, else NULL */
    size_t first;        /* index of its first residual */
    /* at the optimum */
    double *fit;         /* model values at t */
    double rmse, mape, ssr; /* ssr: its share of the weighted sum of squares */
    size_t nmape;        /* points with a non-zero observation (MAPE's base) */
} calib_series;

/* Identifiability of a parameter (calib.c, stats()). */
enum { CALIB_ID_OK = 0, CALIB_ID_POOR = 1, CALIB_ID_NONE = 2 };

typedef struct calib_param {
    const scn_param *spec;
    double lo, hi, start;
    /* at the optimum */
    double est, se, ci_lo, ci_hi;
    int at_bound;        /* -1 at min, +1 at max, 0 inside */
    int ident;           /* CALIB_ID_* */
    char *why;           /* reason when ident != OK, or NULL */
} calib_param;

typedef struct calib_start {
    double *x0, *x;      /* start and end point (np each) */
    double ssr;          /* at x; +inf when the start failed */
    size_t iters, nevals;
    const char *status;  /* static text */
} calib_start;

struct wd_calib {
    const wd_scenario *s;
    const scn_calib *spec;
    wd_model *model;
    wd_program *prog;
    wd_run_opts opts;    /* with the comparison's saveper */
    double dt, saveper;  /* of the runs */
    bool interpolated;   /* some data times lie between saved points */
    size_t ninterp;      /* how many */
    wd_run **runs;       /* one per worker thread, runs[0] for serial work */
    wd_diags **rdiags;   /* scratch diagnostics per worker */
    size_t nthreads;
    calib_param *par;
    size_t np;
    calib_series *ser;
    size_t ns;
    size_t n;            /* residuals = data points */
    double h_rel;        /* relative finite-difference step */
    unsigned long seed;
    /* evaluation bookkeeping (serial parts only) */
    size_t nevals, nfailed;
    char *first_failure; /* the message of the first failed run */
    double *lastx, *lastf; /* f at lastx (the Jacobian reuses it) */
    bool have_last;
    /* results */
    bool fitted;
    calib_start *starts;
    size_t nstarts, best, nsame;
    int iterations;      /* per start (0: none, the start point evaluated only) */
    double ssr, s2, tq;  /* SSR, s^2 = SSR/(n-p), t(0.975, n-p) */
    double *cov, *corr;  /* np x np */
    double gamma;        /* collinearity index (Brun et al. 2001) */
    double *xbest;
    char *scenario_dir;  /* for relative paths in the fitted layer */
};

/* Reads every series of the spec (calib_data.c): files are read once each;
 * rows are matched, converted and sorted; errors (missing columns, no
 * matching rows, bad numbers, a time given twice) go to d at the data
 * entry's file:line. Fills c->ser, c->ns, c->n and each series' scale. */
wd_status calib_data_read(wd_calib *c, wd_diags *d);
void calib_data_free(wd_calib *c);

/* Adds an error at a scenario setting, with the text of its line. */
void calib_err(wd_diags *d, wd_severity sev, scn_src src, const char *fmt, ...) WD_PRINTF(4, 5);

/* Writes path atomically: a temporary beside it, fsynced, renamed, the
 * directory fsynced (calib_report.c). */
wd_status calib_write_atomic(const char *path, const char *text, size_t len, wd_diags *d);

#endif
