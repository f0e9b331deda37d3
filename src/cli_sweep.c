/* cli_sweep.c: the commands `wandel sweep`, `wandel merge` and
 * `wandel sensitivity` (declared in cli.h, listed in main.c's table).
 *
 * `sweep` runs on worker threads in one process; build/wandel-mpi runs the
 * same command under mpirun through cli_sweep_cluster() with the MPI driver
 * (src/mpi/), which gives the coordinator remote workers. Exit status: 0
 * the sweep's file is written (runs that failed are recorded in it, not
 * errors of the command), 1 the sweep stopped (interrupted, disk full: the
 * finished runs stay in the journal for --resume), 2 bad usage or input.
 */
#include "cli.h"

#include "sweep.h"
#include "util.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { EXIT_RUN = 1, EXIT_USAGE = 2 };

static const char *usage_sweep =
    "usage: wandel sweep SCENARIO.cfg -o OUT.h5 [-j N] [--resume] [--shard I/N] [--quiet]\n"
    "\n"
    "Runs the scenario once per point of the design in its sweep group (grid,\n"
    "random, lhs, sobol, saltelli, morris) and writes, for every run, the\n"
    "parameter values, the metrics, the stored series and the run's status to\n"
    "one HDF5 file, with summary statistics and (saltelli, morris) sensitivity\n"
    "indices. Results do not depend on -j or on the order runs finish in.\n"
    "\n"
    "options:\n"
    "  -o FILE, --output FILE  the result file (default: the scenario's output.file)\n"
    "  -j N, --jobs N          worker threads (default: the CPUs this process may use)\n"
    "  --resume                continue an interrupted sweep from FILE.journal: only the\n"
    "                          runs it does not hold are run\n"
    "  --shard I/N             run only shard I (0 to N-1) of N equal parts of the runs and\n"
    "                          write a shard file; combine the shards with `wandel merge`\n"
    "  --set NAME=VALUE        set a constant for every run (repeatable)\n"
    "  -q, --quiet             no progress bar and no summary line\n"
    "\n"
    "A progress bar with the rate and the time left is drawn when standard error is a\n"
    "terminal. SIGINT or SIGTERM stops the sweep after the runs in progress; the runs\n"
    "finished so far stay in FILE.journal for --resume.\n"
    "\n"
    "examples:\n"
    "  wandel sweep scenarios/sweep-ruhr.cfg -o results/sweep.h5 -j 8\n"
    "  wandel sweep tests/sweeps/ishigami.cfg -o /tmp/ishigami.h5 && wandel sensitivity /tmp/ishigami.h5\n"
    "  mpirun -np 64 wandel-mpi sweep big.cfg -o big.h5         (MPI, see tools/slurm/)\n";

static const char *usage_merge =
    "usage: wandel merge OUT.h5 SHARD.h5...\n"
    "\n"
    "Combines the shard files of one sweep (written with --shard I/N) into the file the\n"
    "sweep would have written in one piece, with its summary statistics and sensitivity\n"
    "indices. Refuses missing, repeated, incomplete or foreign shards.\n";

static const char *usage_sensitivity =
    "usage: wandel sensitivity OUT.h5\n"
    "\n"
    "Prints the sensitivity indices of a sweep file as a table: for a saltelli design\n"
    "metric, param, S1, S1_conf, ST, ST_conf (first-order and total Sobol indices with\n"
    "the half-widths of their bootstrap confidence intervals); for a morris design\n"
    "metric, param, mu, mu_star, mu_star_conf, sigma (elementary effects).\n";

static int usage_error(const char *msg, const char *usage)
{
    fprintf(stderr, "wandel: %s\n\n%s", msg, usage);
    return EXIT_USAGE;
}

static bool is_help(const char *a) { return !strcmp(a, "-h") || !strcmp(a, "--help"); }

static volatile int stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static unsigned cpus(void)
{
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || v > max)
        return false;
    *out = v;
    return true;
}

typedef struct sweep_args {
    const char *file, *output;
    unsigned long jobs;
    bool resume, quiet, jobs_given;
    unsigned long shard_i, shard_n;
    const char *sets[256];
    int nsets;
} sweep_args;

static int parse_sweep_args(int argc, char **argv, sweep_args *a)
{
    memset(a, 0, sizeof *a);
    a->shard_n = 1;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char msg[300];
        if (is_help(o)) {
            fputs(usage_sweep, stdout);
            return -1;
        } else if (!strcmp(o, "-o") || !strcmp(o, "--output")) {
            if (!val)
                return usage_error("option -o needs a file name", usage_sweep);
            a->output = val;
            i++;
        } else if (!strcmp(o, "-j") || !strcmp(o, "--jobs")) {
            if (!val || !parse_uint(val, 4096, &a->jobs) || a->jobs == 0) {
                snprintf(msg, sizeof msg, "option -j needs a number of threads from 1 to 4096%s%s%s",
                         val ? ", not '" : "", val ? val : "", val ? "'" : "");
                return usage_error(msg, usage_sweep);
            }
            a->jobs_given = true;
            i++;
        } else if (!strcmp(o, "--resume")) {
            a->resume = true;
        } else if (!strcmp(o, "--shard")) {
            const char *slash = val ? strchr(val, '/') : NULL;
            char first[32];
            if (slash && (size_t)(slash - val) < sizeof first) {
                memcpy(first, val, (size_t)(slash - val));
                first[slash - val] = 0;
            }
            if (!slash || (size_t)(slash - val) >= sizeof first || !parse_uint(first, 1000000, &a->shard_i) ||
                !parse_uint(slash + 1, 1000000, &a->shard_n) || a->shard_n == 0 || a->shard_i >= a->shard_n) {
                snprintf(msg, sizeof msg,
                         "option --shard needs I/N with 0 <= I < N (shard I of N, counted from 0)%s%s%s",
                         val ? ", not '" : "", val ? val : "", val ? "'" : "");
                return usage_error(msg, usage_sweep);
            }
            i++;
        } else if (!strcmp(o, "--set")) {
            if (!val)
                return usage_error("option --set needs NAME=VALUE", usage_sweep);
            if (a->nsets >= 256)
                return usage_error("too many --set options (at most 256)", usage_sweep);
            a->sets[a->nsets++] = val;
            i++;
        } else if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
            a->quiet = true;
        } else if (o[0] == '-' && o[1]) {
            snprintf(msg, sizeof msg, "unknown option '%.200s'", o);
            return usage_error(msg, usage_sweep);
        } else if (!a->file) {
            a->file = o;
        } else {
            return usage_error("give one scenario file", usage_sweep);
        }
    }
    if (!a->file)
        return usage_error("no scenario file given", usage_sweep);
    return 0;
}

static int exit_for(wd_status st)
{
    switch (st) {
    case WD_OK: return 0;
    case WD_E_IO:
    case WD_E_NOMEM:
    case WD_E_INTERRUPTED:
    case WD_E_NUMERIC:
    case WD_E_SOLVER: return EXIT_RUN;
    default: return EXIT_USAGE;
    }
}

int cli_sweep_cluster(int argc, char **argv, const cli_cluster *cl)
{
    sweep_args a;
    int rc = parse_sweep_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    bool lead = !cl || cl->rank == 0;
    if (cl && cl->size > 1 && a.jobs_given && a.jobs > 1) {
        if (lead)
            usage_error("under MPI each rank runs one worker: start more ranks instead of -j", usage_sweep);
        return EXIT_USAGE;
    }
    wd_diags *d = wd_diags_new();
    wd_scenario *s = NULL;
    wd_sweep *sw = NULL;
    wd_status st = wd_scenario_load(a.file, d, &s);
    for (int i = 0; st == WD_OK && i < a.nsets; i++)
        st = wd_scenario_set(s, a.sets[i], d);
    const char *out = a.output;
    if (st == WD_OK && !out) {
        const char *file, *format;
        wd_output_opts oo;
        wd_scenario_output(s, &file, &format, &oo);
        out = file;
        if (!out) { /* reported here; under MPI the other ranks must still hear of it */
            if (lead)
                usage_error("give the result file with -o OUT.h5", usage_sweep);
            st = WD_E_ARG;
        }
    }
    wd_sweep_opts so;
    wd_sweep_opts_init(&so);
    so.shard_index = (unsigned)a.shard_i;
    so.shard_count = (unsigned)a.shard_n;
    so.resume = a.resume;
    so.threads = a.jobs_given ? (unsigned)a.jobs : cpus();
    so.progress = !a.quiet && isatty(2) && lead;
    so.stop = &stop_flag;
    if (st == WD_OK)
        st = wd_sweep_prepare(s, &so, d, &sw);
    /* problems with the scenario or model are bad input (2), as for `run` */
    int prep_rc = st == WD_OK ? 0 : st == WD_E_NOMEM ? EXIT_RUN : EXIT_USAGE;
    if (cl && cl->size > 1) {
        /* every rank prepares the sweep itself; go on only if all could.
           Rank 0 reports; another rank only when it failed where rank 0 did
           not (a file it cannot see, say). */
        int lead_rc = 0;
        int worst = cl->agree(cl->ctx, prep_rc, &lead_rc);
        if (worst != 0) {
            if (lead ? prep_rc != 0 : prep_rc != 0 && lead_rc == 0) {
                if (!lead)
                    fprintf(stderr, "wandel-mpi: rank %d:\n", cl->rank);
                wd_diags_print(d, stderr);
            }
            cl->finish(cl->ctx);
            rc = worst;
            goto done;
        }
    } else if (st != WD_OK) {
        wd_diags_print(d, stderr);
        rc = prep_rc;
        goto done;
    }
    if (lead && wd_diags_count(d, WD_WARNING) && !a.quiet)
        wd_diags_print(d, stderr);
    wd_diags_clear(d);
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    wd_sweep_report rep;
    memset(&rep, 0, sizeof rep);
    if (cl && cl->size > 1 && !lead) {
        st = cl->work(cl->ctx, sw, d); /* a worker rank: runs what rank 0 hands out */
        cl->finish(cl->ctx);
    } else if (cl && cl->size > 1) {
        sweep_run_opts ro = {0, so.resume != 0, so.progress != 0, so.stop, cl->remote(cl->ctx, sw),
                             cl->finish, cl->ctx};
        /* rank 0 computes too, on one thread beside the coordinator */
        ro.threads = 1;
        st = sweep_run(sw, out, &ro, &rep, d);
    } else {
        st = wd_sweep_exec(sw, out, &so, &rep, d);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (!lead) {
        if (st != WD_OK) {
            fprintf(stderr, "wandel-mpi: rank %d:\n", cl->rank);
            wd_diags_print(d, stderr);
        }
        rc = exit_for(st);
        goto done;
    }
    if (wd_diags_count(d, a.quiet && st == WD_OK ? WD_ERROR : WD_NOTE))
        wd_diags_print(d, stderr);
    if (st == WD_OK && !a.quiet) {
        fprintf(stderr, "wandel sweep: %llu runs", rep.runs);
        if (so.shard_count > 1)
            fprintf(stderr, " (shard %u of %u)", so.shard_index, so.shard_count);
        fprintf(stderr, ", %llu ok, %llu failed", rep.ok, rep.failed);
        if (rep.resumed)
            fprintf(stderr, ", %llu from the journal", rep.resumed);
        if (rep.done)
            fprintf(stderr, "; %llu in %.2f s: %.1f runs/s on %u worker%s", rep.done, rep.seconds,
                    rep.seconds > 0 ? (double)rep.done / rep.seconds : 0.0, rep.workers, rep.workers == 1 ? "" : "s");
        fprintf(stderr, "; results in %s\n", out);
        if (rep.failed)
            fprintf(stderr, "wandel sweep: %llu runs failed; their reasons are in the file's 'reason' dataset\n",
                    rep.failed);
    }
    rc = exit_for(st);
done:
    wd_sweep_free(sw);
    wd_scenario_free(s);
    wd_diags_free(d);
    return rc;
}

int cli_sweep(int argc, char **argv) { return cli_sweep_cluster(argc, argv, NULL); }

int cli_merge(int argc, char **argv)
{
    const char *out = NULL;
    const char **shards = wd_xcalloc((size_t)argc + 1, sizeof *shards);
    size_t n = 0;
    if (!shards)
        return EXIT_RUN;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_merge, stdout);
            wd_xfree(shards);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            wd_xfree(shards);
            return usage_error("unknown option", usage_merge);
        }
        if (!out)
            out = argv[i];
        else
            shards[n++] = argv[i];
    }
    if (!out || n == 0) {
        wd_xfree(shards);
        return usage_error("give the output file and the shard files", usage_merge);
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(shards[i], out)) {
            wd_xfree(shards);
            return usage_error("the output file is one of the shards; write it elsewhere", usage_merge);
        }
    wd_diags *d = wd_diags_new();
    wd_status st = wd_sweep_merge(out, shards, n, d);
    wd_diags_print(d, stderr);
    wd_diags_free(d);
    wd_xfree(shards);
    return exit_for(st);
}

int cli_sensitivity(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_sensitivity, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return usage_error("unknown option", usage_sensitivity);
        if (file)
            return usage_error("give one sweep file", usage_sensitivity);
        file = argv[i];
    }
    if (!file)
        return usage_error("no sweep file given", usage_sensitivity);
    wd_diags *d = wd_diags_new();
    wd_status st = wd_sensitivity_print(file, stdout, d);
    wd_diags_print(d, stderr);
    wd_diags_free(d);
    return exit_for(st);
}
