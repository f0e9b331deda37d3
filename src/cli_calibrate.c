/* cli_calibrate.c: `wandel calibrate SCENARIO.cfg [-o FITTED.cfg] [-j N]
 * [--h5 OUT.h5] [--starts N] [--iterations N]`: fits the scenario's calibrate
 * parameters to its data
 * (wd_calib_* in wandel.h), prints the report and writes the fitted layer.
 * Exit status: 0 fitted, 1 the model could not be run or a file not
 * written, 2 bad usage or a bad spec (file:line in the message).
 */
#include "cli.h"
#include "wandel.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *usage_calibrate =
    "usage: wandel calibrate SCENARIO.cfg [-o FITTED.cfg] [-j N] [--h5 OUT.h5]\n"
    "                        [--starts N] [--iterations N] [-q]\n"
    "\n"
    "Fits the constants listed in the scenario's calibrate group to its observed\n"
    "data (bounded nonlinear least squares from one or more starts) and prints the\n"
    "estimates with standard errors and 95% intervals, their correlations, per\n"
    "series RMSE and MAPE, and warnings for parameters at a bound or poorly\n"
    "identified. See docs/calibration.md.\n"
    "\n"
    "options:\n"
    "  -o FILE, --output FILE   write the fitted values as a scenario layer (set\n"
    "                           entries, with data, residuals and statistics in\n"
    "                           comments) for other scenarios to extend\n"
    "  -j N, --jobs N           runs in parallel (Jacobian columns); default 1\n"
    "  --h5 FILE                HDF5 with the fitted run and the observations on one\n"
    "                           time axis, for plotting\n"
    "  --starts N               starts (N >= 1) instead of calibrate.starts\n"
    "  --iterations N           iterations per start instead of calibrate.iterations;\n"
    "                           0: no fit, the report at the first start point (a\n"
    "                           quick check that the spec, model and data fit together)\n"
    "  -q, --quiet              no progress lines (the report is still printed)\n"
    "\n"
    "examples:\n"
    "  wandel calibrate docs/calibration/hardcoal-cal.cfg -o results/hardcoal-fitted.cfg -j 2\n"
    "  wandel calibrate scenarios/ruhr-history-cal.cfg --starts 1 --iterations 0\n";

static int usage_error(const char *msg)
{
    fprintf(stderr, "wandel: %s\n\n%s", msg, usage_calibrate);
    return 2;
}

int cmd_calibrate(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *h5 = NULL;
    long jobs = 1, starts = 0, iters = -1;
    bool quiet = false;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            fputs(usage_calibrate, stdout);
            return 0;
        } else if (!strcmp(o, "-o") || !strcmp(o, "--output") || !strcmp(o, "--h5") || !strcmp(o, "-j") ||
                   !strcmp(o, "--jobs") || !strcmp(o, "--starts") || !strcmp(o, "--iterations")) {
            if (!val) {
                char m[80];
                snprintf(m, sizeof m, "option %s needs a value", o);
                return usage_error(m);
            }
            i++;
            if (o[1] == 'o' || !strcmp(o, "--output")) {
                out = val;
            } else if (!strcmp(o, "--h5")) {
                h5 = val;
            } else if (!strcmp(o, "--starts") || !strcmp(o, "--iterations")) {
                bool st = !strcmp(o, "--starts");
                char *e;
                errno = 0;
                long v = strtol(val, &e, 10);
                if (e == val || *e || errno || v < (st ? 1 : 0) || v > 100000)
                    return usage_error(st ? "--starts needs a whole number from 1 to 100000"
                                          : "--iterations needs a whole number from 0 to 100000");
                if (st)
                    starts = v;
                else
                    iters = v;
            } else {
                char *e;
                errno = 0;
                jobs = strtol(val, &e, 10);
                if (e == val || *e || errno || jobs < 1 || jobs > 64)
                    return usage_error("-j needs a whole number from 1 to 64");
            }
        } else if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
            quiet = true;
        } else if (o[0] == '-' && o[1]) {
            char m[200];
            snprintf(m, sizeof m, "unknown option '%.100s'", o);
            return usage_error(m);
        } else if (file) {
            return usage_error("give one scenario file");
        } else {
            file = o;
        }
    }
    if (!file)
        return usage_error("no scenario file given");
    wd_diags *d = wd_diags_new();
    wd_scenario *s = NULL;
    wd_calib *c = NULL;
    int rc = 2;
    wd_status st = wd_scenario_load(file, d, &s);
    if (st == WD_OK)
        st = wd_calib_new(s, d, &c);
    if (st != WD_OK) {
        wd_diags_print(d, stderr);
        rc = st == WD_E_NOMEM || st == WD_E_NUMERIC || st == WD_E_SOLVER ? 1 : 2;
        goto done;
    }
    /* iterations: 0 in the options means the spec's, negative means none */
    wd_calib_opts co = {(unsigned)jobs, quiet ? NULL : stderr, (unsigned)starts,
                        iters < 0 ? 0 : iters == 0 ? -1 : (int)iters};
    st = wd_calib_fit(c, &co, d);
    if (st != WD_OK) {
        wd_diags_print(d, stderr);
        rc = 1;
        goto done;
    }
    wd_calib_report(c, stdout);
    fflush(stdout);
    rc = 0;
    if (out) {
        if (wd_calib_write_layer(c, out, d) != WD_OK)
            rc = 1;
        else if (!quiet)
            fprintf(stderr, "wandel: fitted layer written to %s\n", out);
    }
    if (h5) {
        if (wd_calib_write_hdf5(c, h5, d) != WD_OK)
            rc = 1;
        else if (!quiet)
            fprintf(stderr, "wandel: observed and fitted series written to %s\n", h5);
    }
    if (wd_diags_count(d, WD_WARNING))
        wd_diags_print(d, stderr);
done:
    wd_calib_free(c);
    wd_scenario_free(s);
    wd_diags_free(d);
    return rc;
}
