/* cli_compare.c: `wandel compare`, the command line of comparisons
 * (wd_comparison_* in wandel.h). Reads the comparison file, runs the matrix,
 * writes the HDF5 file and the CSV beside it, prints the summary table.
 * Exit status: 0 success, 1 a run failed (files are still written, its cells
 * NaN after the fault) or a file could not be written, 2 bad usage or input.
 */
#include "cli.h"
#include "wandel.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *usage_compare =
    "usage: wandel compare COMPARISON.cfg [options]\n"
    "\n"
    "Runs every region x package x shock of a comparison file, plus the unshocked\n"
    "counterfactual of every region and package, computes the indicators and the\n"
    "resilience measures, ranks the packages per region (by each indicator and by\n"
    "minimax regret across the shocks), writes one HDF5 file and a CSV beside it\n"
    "(region,package,shock,indicator,value), and prints a summary table.\n"
    "See docs/comparison.md for the file format and the formulas.\n"
    "\n"
    "options:\n"
    "  -o FILE.h5, --output FILE.h5   the HDF5 file (default: compare.output.file of the\n"
    "                           comparison, else NAME.h5); the CSV gets the same name\n"
    "                           with .csv\n"
    "  --csv FILE               write the CSV there instead\n"
    "  -j N, --jobs N           worker threads (default: one per processor)\n"
    "  --plan                   print the plan (cells, distinct runs and programs) and stop\n"
    "  -q, --quiet              print errors only (no summary)\n"
    "\n"
    "example:\n"
    "  wandel compare scenarios/comparison.cfg -o results/comparison.h5 -j 2\n";

enum { EXIT_RUN = 1, EXIT_USAGE = 2 };

static int usage_error(const char *msg)
{
    fprintf(stderr, "wandel: %s\n\n%s", msg, usage_compare);
    return EXIT_USAGE;
}

/* path with its .h5/.hdf5/.nc extension replaced by .csv (appended when it
 * has none). */
static char *csv_beside(const char *path)
{
    size_t n = strlen(path);
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        n = (size_t)(dot - path);
    char *out = malloc(n + 5);
    if (out) {
        memcpy(out, path, n);
        memcpy(out + n, ".csv", 5);
    }
    return out;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_compare(int argc, char **argv)
{
    const char *file = NULL, *output = NULL, *csv = NULL;
    int jobs = 0;
    bool plan = false, quiet = false;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            fputs(usage_compare, stdout);
            return 0;
        } else if (!strcmp(o, "-o") || !strcmp(o, "--output") || !strcmp(o, "--csv") || !strcmp(o, "-j") ||
                   !strcmp(o, "--jobs")) {
            if (!val) {
                char m[100];
                snprintf(m, sizeof m, "option %s needs a value", o);
                return usage_error(m);
            }
            i++;
            if (o[1] == 'o' || !strcmp(o, "--output")) {
                output = val;
            } else if (!strcmp(o, "--csv")) {
                csv = val;
            } else {
                char *end;
                errno = 0;
                long n = strtol(val, &end, 10);
                if (end == val || *end || errno || n < 1 || n > 1024)
                    return usage_error("-j needs a whole number of threads from 1 to 1024");
                jobs = (int)n;
            }
        } else if (!strcmp(o, "--plan")) {
            plan = true;
        } else if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
            quiet = true;
        } else if (o[0] == '-' && o[1]) {
            char m[300];
            snprintf(m, sizeof m, "unknown option '%.200s'", o);
            return usage_error(m);
        } else if (!file) {
            file = o;
        } else {
            return usage_error("give one comparison file");
        }
    }
    if (!file)
        return usage_error("no comparison file given");
    double t0 = seconds_now();
    wd_diags *d = wd_diags_new();
    wd_comparison *c = NULL;
    char *csv_path = NULL, *h5_default = NULL;
    int rc = 0;
    wd_status st = wd_comparison_load(file, d, &c);
    if (st != WD_OK) {
        wd_diags_print(d, stderr);
        rc = st == WD_E_NOMEM || st == WD_E_IO ? (st == WD_E_IO ? EXIT_USAGE : EXIT_RUN) : EXIT_USAGE;
        goto done;
    }
    if (plan) {
        wd_comparison_print_plan(c, stdout);
        goto done;
    }
    const char *h5 = output ? output : wd_comparison_output(c);
    if (!h5) {
        size_t n = strlen(wd_comparison_name(c));
        h5_default = malloc(n + 4);
        if (!h5_default) {
            rc = EXIT_RUN;
            goto done;
        }
        memcpy(h5_default, wd_comparison_name(c), n);
        memcpy(h5_default + n, ".h5", 4);
        h5 = h5_default;
    }
    csv_path = csv ? strdup(csv) : csv_beside(h5);
    if (!csv_path) {
        rc = EXIT_RUN;
        goto done;
    }
    if (!output_dir_ok(h5) || !output_dir_ok(csv_path)) {
        rc = EXIT_USAGE;
        goto done;
    }
    wd_status run_st = wd_comparison_run(c, jobs, d);
    if (run_st != WD_OK && run_st != WD_E_NUMERIC && run_st != WD_E_SOLVER) {
        wd_diags_print(d, stderr);
        rc = run_st == WD_E_NOMEM ? EXIT_RUN : EXIT_USAGE;
        goto done;
    }
    st = wd_comparison_write_hdf5(c, h5, d);
    if (st == WD_OK)
        st = wd_comparison_write_csv(c, csv_path, d);
    if (wd_diags_count(d, quiet ? WD_ERROR : WD_WARNING))
        wd_diags_print(d, stderr);
    if (st != WD_OK) {
        rc = EXIT_RUN;
        goto done;
    }
    if (!quiet) {
        wd_comparison_print_summary(c, stdout);
        printf("\nresults %s and %s (%.1f s, %zu runs)\n", h5, csv_path, seconds_now() - t0,
               wd_comparison_nruns(c));
    }
    if (run_st != WD_OK) {
        fprintf(stderr, "wandel: some runs failed; their cells read NaN after the fault\n");
        rc = EXIT_RUN;
    }
done:
    free(csv_path);
    free(h5_default);
    wd_comparison_free(c);
    wd_diags_free(d);
    return rc;
}
