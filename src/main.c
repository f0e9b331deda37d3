/* main.c: the `wandel` command line. Thin: everything it does goes through
 * wandel.h. Exit status: 0 success, 1 a run failed, 2 bad usage or input.
 */
#include "cli.h"
#include "wandel.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_RUN = 1, EXIT_USAGE = 2 };

/* The commands. A command lives in its own file when it is more than a
 * few lines (cli_*.c); cli.h declares them. */
static int cmd_run(int argc, char **argv);
static int cmd_check(int argc, char **argv);
static int cmd_info(int argc, char **argv);

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"run", cmd_run, "run a model (.mdl) or a scenario (.cfg) and write its results"},
    {"check", cmd_check, "read and compile a model or scenario; report every problem"},
    {"info", cmd_info, "list subscript ranges and variables (kind, units, docs, inputs)"},
    {"calibrate", cmd_calibrate, "fit a scenario's parameters to observed data, with uncertainty"},
    {"sweep", cli_sweep, "run a scenario's parameter sweep (threads, --resume, --shard I/N)"},
    {"merge", cli_merge, "combine the shard files of a sweep into one file"},
    {"sensitivity", cli_sensitivity, "print the sensitivity indices of a sweep file"},
    {"compare", cmd_compare, "run regions x policy packages x shocks; indicators, resilience, ranking"},
};

static void print_usage_main(FILE *out)
{
    fprintf(out, "wandel " WD_VERSION " - system-dynamics simulator for Vensim models\n\n"
                 "usage: wandel COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  wandel COMMAND --help   options of a command\n"
                 "  wandel --version        version\n\n"
                 "exit status: 0 success, 1 a run failed (numerical fault, solver failure),\n"
                 "             2 bad usage or bad input (syntax, unknown names, missing files)\n");
}

static const char *usage_run =
    "usage: wandel run MODEL.mdl|SCENARIO.cfg [options]\n"
    "\n"
    "Runs the model from INITIAL TIME to FINAL TIME and writes the saved values\n"
    "of every variable (or the scenario's output.vars).\n"
    "\n"
    "options:\n"
    "  -o FILE, --output FILE   where to write; '-' is standard output. Default: the\n"
    "                           scenario's output.file, else standard output (TSV)\n"
    "  --format h5|tsv|csv      output format; default from the file name (.h5, .tsv,\n"
    "                           .csv), tsv for standard output\n"
    "  --method M               euler, rk2, rk4 (fixed step, Vensim semantics), rkf45,\n"
    "                           rkck, rk8pd (adaptive), msbdf, rk4imp (stiff).\n"
    "                           Default: the scenario's, else the model's setting\n"
    "  --rtol X, --atol X       tolerances of adaptive methods (default 1e-6 each)\n"
    "  --hmax X                 largest adaptive step\n"
    "  --set NAME=VALUE         set a constant (or 'x[elem]') for this run; repeatable\n"
    "  --start T, --stop T, --step DT, --saveper S   override the time settings\n"
    "  --seed N                 seed of the random functions (default 0)\n"
    "  --data FILE              a .tab/.csv table (Time down or across) giving the\n"
    "                           values of variables the model declares without an\n"
    "                           equation; repeatable, later files win\n"
    "  --engine auto|vm|native  vm: the interpreter, starts at once; native: the\n"
    "                           equations as C, built once by the C compiler ($WANDEL_CC,\n"
    "                           default cc) and cached, for long runs; same results.\n"
    "                           auto (default): native code if already cached or if\n"
    "                           the run looks long, else the vm\n"
    "  --summary                print what was run and the final values of the stocks\n"
    "  --table \"V1,V2,...\"      print a table of these variables (an array name gives\n"
    "                           all its elements) at the times of --at, after the run\n"
    "  --at T1,T2,...           save times for --table (default: the last save point)\n"
    "  -q, --quiet              print errors only\n"
    "\n"
    "examples:\n"
    "  wandel run models/coal_transition.mdl | head\n"
    "  wandel run scenarios/default.cfg -o results/run.h5\n"
    "  wandel run models/coal_transition.mdl --method rkf45 --rtol 1e-8 --set \"Retraining Capacity=10000\" -o -\n"
    "  wandel run scenarios/ruhr-baseline.cfg --table \"population[Ruhr],jobs[Ruhr,Steel]\" --at 2030,2040,2050\n";

static const char *usage_check =
    "usage: wandel check MODEL.mdl|SCENARIO.cfg\n"
    "\n"
    "Reads, checks and compiles the model (for a scenario: its layers, settings and\n"
    "model) and reports every problem as file:line:col with the source line.\n"
    "Exit status 0 when all is well, 2 otherwise.\n";

static const char *usage_info =
    "usage: wandel info MODEL.mdl|SCENARIO.cfg [--program]\n"
    "\n"
    "Lists the subscript ranges with their elements, then every variable with its\n"
    "kind (stock, auxiliary, constant, lookup, data, control), subscripts, units,\n"
    "what it depends on and its documentation.\n"
    "  --program   also print the compiled program, one instruction per line\n";

static int fail_usage(const char *msg, const char *usage)
{
    fprintf(stderr, "wandel: %s\n\n", msg);
    if (usage)
        fputs(usage, stderr);
    else
        print_usage_main(stderr);
    return EXIT_USAGE;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static bool is_help(const char *a) { return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0; }

/* Reads a scenario, or wraps a model file in an empty one. */
static wd_status open_scenario(const char *path, wd_diags *d, wd_scenario **s)
{
    if (ends_with(path, ".cfg") || ends_with(path, ".conf"))
        return wd_scenario_load(path, d, s);
    return wd_scenario_for_model(path, s);
}

static int exit_for(wd_status st)
{
    switch (st) {
    case WD_OK: return 0;
    case WD_E_NUMERIC:
    case WD_E_SOLVER:
    case WD_E_INTERRUPTED:
    case WD_E_NOMEM:
    case WD_E_IO: return EXIT_RUN;
    default: return EXIT_USAGE;
    }
}

static bool parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

typedef struct run_args {
    const char *file, *output, *format;
    wd_run_opts opts;
    const char *sets[256];
    int nsets;
    const char *data[64];
    int ndata;
    bool summary, quiet;
    const char *table; /* --table: comma-separated names (commas inside [] belong to a name) */
    double at[64];     /* --at: times; nat == 0 means the last save point */
    int nat;
} run_args;

/* Parses "2030,2040,2050" into a->at. Returns false on a malformed list. */
static bool parse_times(const char *s, run_args *a)
{
    a->nat = 0;
    while (*s) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno || !isfinite(v) || a->nat >= 64)
            return false;
        a->at[a->nat++] = v;
        s = end;
        while (*s == ' ')
            s++;
        if (*s == ',')
            s++;
        else if (*s)
            return false;
    }
    return a->nat > 0;
}

static int parse_run_args(int argc, char **argv, run_args *a)
{
    memset(a, 0, sizeof *a);
    wd_run_opts_init(&a->opts);
    a->opts.rtol = a->opts.atol = a->opts.hmax = NAN;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
#define NEED_VALUE()                                                            \
    do {                                                                        \
        if (!val) {                                                             \
            char m_[200];                                                       \
            snprintf(m_, sizeof m_, "option %s needs a value", o);              \
            return fail_usage(m_, usage_run);                                   \
        }                                                                       \
        i++;                                                                    \
    } while (0)
#define NEED_NUMBER(dst)                                                        \
    do {                                                                        \
        NEED_VALUE();                                                           \
        if (!parse_number(val, &x)) {                                           \
            char m_[300];                                                       \
            snprintf(m_, sizeof m_, "option %s: '%s' is not a number", o, val); \
            return fail_usage(m_, usage_run);                                   \
        }                                                                       \
        dst = x;                                                                \
    } while (0)
        if (is_help(o)) {
            fputs(usage_run, stdout);
            return -1;
        } else if (!strcmp(o, "-o") || !strcmp(o, "--output")) {
            NEED_VALUE();
            a->output = val;
        } else if (!strcmp(o, "--format")) {
            NEED_VALUE();
            if (strcmp(val, "h5") && strcmp(val, "tsv") && strcmp(val, "csv"))
                return fail_usage("--format must be h5, tsv or csv", usage_run);
            a->format = val;
        } else if (!strcmp(o, "--method")) {
            NEED_VALUE();
            a->opts.method = wd_method_parse(val);
            if (a->opts.method == WD_METHOD_DEFAULT)
                return fail_usage("unknown --method; use euler, rk2, rk4, rkf45, rkck, rk8pd, msbdf or rk4imp",
                                  usage_run);
        } else if (!strcmp(o, "--rtol")) {
            NEED_NUMBER(a->opts.rtol);
        } else if (!strcmp(o, "--atol")) {
            NEED_NUMBER(a->opts.atol);
        } else if (!strcmp(o, "--hmax")) {
            NEED_NUMBER(a->opts.hmax);
        } else if (!strcmp(o, "--start")) {
            NEED_NUMBER(a->opts.initial_time);
        } else if (!strcmp(o, "--stop")) {
            NEED_NUMBER(a->opts.final_time);
        } else if (!strcmp(o, "--step")) {
            NEED_NUMBER(a->opts.time_step);
        } else if (!strcmp(o, "--saveper")) {
            NEED_NUMBER(a->opts.saveper);
        } else if (!strcmp(o, "--seed")) {
            double s;
            NEED_NUMBER(s);
            if (s < 0 || s != floor(s))
                return fail_usage("--seed must be a whole number >= 0", usage_run);
            a->opts.seed = (unsigned long)s;
        } else if (!strcmp(o, "--set")) {
            NEED_VALUE();
            if (a->nsets >= 256)
                return fail_usage("too many --set options (at most 256)", usage_run);
            a->sets[a->nsets++] = val;
        } else if (!strcmp(o, "--data")) {
            NEED_VALUE();
            if (a->ndata >= 64)
                return fail_usage("too many --data options (at most 64)", usage_run);
            a->data[a->ndata++] = val;
        } else if (!strcmp(o, "--engine")) {
            NEED_VALUE();
            int e = wd_engine_parse(val);
            if (e < 0)
                return fail_usage("unknown --engine; use auto, vm or native", usage_run);
            a->opts.engine = (wd_engine)e;
        } else if (!strcmp(o, "--summary")) {
            a->summary = true;
        } else if (!strcmp(o, "--table")) {
            NEED_VALUE();
            if (!*val)
                return fail_usage("--table needs at least one variable name", usage_run);
            a->table = val;
        } else if (!strcmp(o, "--at")) {
            NEED_VALUE();
            if (!parse_times(val, a)) {
                char m_[300];
                snprintf(m_, sizeof m_, "--at: '%s' is not a comma-separated list of times (at most 64)", val);
                return fail_usage(m_, usage_run);
            }
        } else if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
            a->quiet = true;
        } else if (o[0] == '-' && o[1]) {
            char m[300];
            snprintf(m, sizeof m, "unknown option '%s'", o);
            return fail_usage(m, usage_run);
        } else if (!a->file) {
            a->file = o;
        } else {
            return fail_usage("give one model or scenario file", usage_run);
        }
#undef NEED_VALUE
#undef NEED_NUMBER
    }
    if (!a->file)
        return fail_usage("no model or scenario file given", usage_run);
    if (a->nat && !a->table)
        return fail_usage("--at needs --table", usage_run);
    if ((!isnan(a->opts.rtol) && a->opts.rtol <= 0) || (!isnan(a->opts.atol) && a->opts.atol <= 0) ||
        (!isnan(a->opts.hmax) && a->opts.hmax <= 0))
        return fail_usage("--rtol, --atol and --hmax must be positive", usage_run);
    return 0;
}

static const char *format_of(const char *format, const char *path)
{
    if (format)
        return format;
    if (!path || !strcmp(path, "-"))
        return "tsv";
    if (ends_with(path, ".h5") || ends_with(path, ".hdf5") || ends_with(path, ".nc") || ends_with(path, ".hdf"))
        return "h5";
    if (ends_with(path, ".csv"))
        return "csv";
    return "tsv";
}

static void print_summary(const wd_scenario *s, const wd_run *r, const char *out, const char *format)
{
    size_t n = wd_run_nsaved(r);
    const double *t = wd_run_times(r);
    printf("wandel %s: %s\n", WD_VERSION, wd_scenario_name(s));
    printf("  model   %s\n", wd_scenario_model(s));
    if (wd_scenario_path(s))
        printf("  scenario %s\n", wd_scenario_path(s));
    printf("  method  %s, %zu rate evaluations, %zu save points from %g to %g\n",
           wd_method_name(wd_run_method(r)), wd_run_rhs_evals(r), n, n ? t[0] : NAN, n ? t[n - 1] : NAN);
    printf("  engine  %s\n", wd_engine_name(wd_run_engine(r)));
    if (n) {
        size_t shown = 0, ncols = wd_run_ncols(r);
        printf("  final values:\n");
        for (size_t c = 0; c < ncols && shown < 12; c++) {
            const char *name = wd_run_col_name(r, c);
            double first = wd_run_value(r, 0, c), last = wd_run_value(r, n - 1, c);
            if (first == last)
                continue; /* constants say little */
            printf("    %-40.40s %14.6g\n", name, last);
            shown++;
        }
    }
    if (out)
        printf("  results %s (%s)\n", out, format);
}

/* One table entry: a column of the run, its name and units. */
typedef struct table_col {
    size_t col;
    char name[256];
    const char *units;
} table_col;

/* Units of the variable whose element column is `name` ("x" or "x[a,b]"). */
static const char *units_of(const wd_model *m, const char *name)
{
    size_t n = strcspn(name, "[");
    for (size_t i = 0; i < wd_model_var_count(m); i++) {
        wd_var_info vi;
        wd_model_var(m, i, &vi);
        if (strlen(vi.name) == n && !strncasecmp(vi.name, name, n))
            return vi.units;
    }
    return "";
}

/* Resolves the --table list into columns: each item is a variable element
 * ("jobs[Ruhr,Steel]") or a variable (all its elements). Commas inside
 * brackets belong to the name. Returns the number of columns, or -1 after
 * printing an error for an unknown name. */
static int table_columns(const wd_run *r, const wd_model *m, const char *list, table_col *out, int max)
{
    int n = 0;
    const char *p = list;
    while (*p) {
        int depth = 0;
        const char *q = p;
        while (*q && (*q != ',' || depth > 0)) {
            depth += *q == '[' ? 1 : *q == ']' ? -1 : 0;
            q++;
        }
        char item[256];
        size_t len = (size_t)(q - p);
        while (len && p[len - 1] == ' ')
            len--;
        while (len && *p == ' ')
            p++, len--;
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        p = *q ? q + 1 : q;
        if (!item[0])
            continue;
        size_t c = wd_run_col_find(r, item);
        if (c == (size_t)-1) {
            fprintf(stderr, "wandel: --table: no variable or element named '%s' in the results\n", item);
            return -1;
        }
        /* an element, or the first column of a whole array: take every column
         * of that variable (they are contiguous) */
        char base[256];
        snprintf(base, sizeof base, "%s", wd_run_col_name(r, c));
        base[strcspn(base, "[")] = 0;
        bool element = strchr(item, '[') != NULL || !strchr(wd_run_col_name(r, c), '[');
        for (size_t k = c; k < wd_run_ncols(r); k++) {
            const char *cn = wd_run_col_name(r, k);
            size_t bl = strlen(base);
            if (k > c && (strncmp(cn, base, bl) || cn[bl] != '['))
                break;
            if (n >= max) {
                fprintf(stderr, "wandel: --table: too many columns (at most %d)\n", max);
                return -1;
            }
            out[n].col = k;
            snprintf(out[n].name, sizeof out[n].name, "%s", cn);
            out[n].units = units_of(m, cn);
            n++;
            if (element)
                break;
        }
    }
    return n;
}

static void print_number(double v)
{
    double a = fabs(v);
    if (!isfinite(v))
        printf(" %13s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    else if (a >= 1e5)
        printf(" %13.0f", v);
    else if (a >= 100)
        printf(" %13.1f", v);
    else if (a >= 1)
        printf(" %13.3f", v);
    else
        printf(" %13.4f", v);
}

/* Prints the values of the table columns at the requested save times. A time
 * that is not a save point is an error (exit status 2): the table shows
 * simulated values, not interpolations. */
static int print_table(const run_args *a, const wd_scenario *s, const wd_run *r, const wd_model *m)
{
    enum { MAXCOLS = 512 };
    table_col *cols = malloc(MAXCOLS * sizeof *cols);
    if (!cols)
        return EXIT_RUN;
    int nc = table_columns(r, m, a->table, cols, MAXCOLS);
    if (nc < 0) {
        free(cols);
        return EXIT_USAGE;
    }
    size_t ns = wd_run_nsaved(r);
    const double *t = wd_run_times(r);
    size_t rows[64];
    int nt = a->nat ? a->nat : 1;
    for (int i = 0; i < nt; i++) {
        if (!a->nat) {
            rows[i] = ns - 1;
            continue;
        }
        size_t best = 0;
        for (size_t k = 1; k < ns; k++)
            if (fabs(t[k] - a->at[i]) < fabs(t[best] - a->at[i]))
                best = k;
        double tol = 1e-6 * (ns > 1 ? fabs(t[1] - t[0]) : 1.0) + 1e-9;
        if (fabs(t[best] - a->at[i]) > tol) {
            fprintf(stderr, "wandel: --at %g: not a save point (the run saved from %g to %g every %g)\n", a->at[i],
                    t[0], t[ns - 1], ns > 1 ? t[1] - t[0] : 0.0);
            free(cols);
            return EXIT_USAGE;
        }
        rows[i] = best;
    }
    printf("%s", wd_scenario_name(s));
    if (wd_scenario_path(s))
        printf(" (%s)", wd_scenario_path(s));
    printf("\n%-36s %-16s", "variable", "units");
    for (int i = 0; i < nt; i++)
        printf(" %13g", t[rows[i]]);
    printf("\n");
    for (int c = 0; c < nc; c++) {
        printf("%-36s %-16.16s", cols[c].name, cols[c].units);
        for (int i = 0; i < nt; i++)
            print_number(wd_run_value(r, rows[i], cols[c].col));
        printf("\n");
    }
    free(cols);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    run_args a;
    int rc = parse_run_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    wd_diags *d = wd_diags_new();
    wd_scenario *s = NULL;
    wd_model *m = NULL;
    wd_program *p = NULL;
    wd_run *r = NULL;
    wd_status st = open_scenario(a.file, d, &s);
    for (int i = 0; st == WD_OK && i < a.nsets; i++)
        st = wd_scenario_set(s, a.sets[i], d);
    for (int i = 0; st == WD_OK && i < a.ndata; i++)
        st = wd_scenario_add_data(s, a.data[i]);
    wd_run_opts opts;
    wd_run_opts_init(&opts);
    opts.engine = a.opts.engine; /* the program is compiled for it */
    if (st == WD_OK)
        st = wd_scenario_prepare(s, d, &m, &p, &r, &opts);
    if (st != WD_OK) {
        wd_diags_print(d, stderr);
        rc = exit_for(st) == 0 ? EXIT_USAGE : (st == WD_E_NOMEM ? EXIT_RUN : EXIT_USAGE);
        goto done;
    }
    /* command-line options win over the scenario */
    if (a.opts.method != WD_METHOD_DEFAULT)
        opts.method = a.opts.method;
    if (!isnan(a.opts.rtol))
        opts.rtol = a.opts.rtol;
    if (!isnan(a.opts.atol))
        opts.atol = a.opts.atol;
    if (!isnan(a.opts.hmax))
        opts.hmax = a.opts.hmax;
    if (!isnan(a.opts.initial_time))
        opts.initial_time = a.opts.initial_time;
    if (!isnan(a.opts.final_time))
        opts.final_time = a.opts.final_time;
    if (!isnan(a.opts.time_step))
        opts.time_step = a.opts.time_step;
    if (!isnan(a.opts.saveper))
        opts.saveper = a.opts.saveper;
    if (a.opts.seed)
        opts.seed = a.opts.seed;
    const char *out = a.output, *sfile, *sformat;
    wd_output_opts oo;
    wd_scenario_output(s, &sfile, &sformat, &oo);
    if (!out)
        out = sfile ? sfile : "-";
    const char *format = format_of(a.format ? a.format : (a.output ? NULL : sformat), out);
    if (!strcmp(format, "h5") && !strcmp(out, "-")) {
        rc = fail_usage("HDF5 cannot be written to standard output; give -o FILE.h5", usage_run);
        goto done;
    }
    /* A bad output path is bad input: refuse it before spending a run. */
    if (strcmp(out, "-") != 0 && !output_dir_ok(out)) {
        rc = EXIT_USAGE;
        goto done;
    }
    wd_status run_st = wd_run_exec(r, &opts, d);
    if (run_st != WD_OK && wd_run_nsaved(r) == 0) {
        wd_diags_print(d, stderr);
        rc = exit_for(run_st);
        goto done;
    }
    if (!strcmp(format, "h5"))
        st = wd_write_hdf5(r, &oo, out, d);
    else if (!strcmp(out, "-"))
        st = wd_write_table(r, &oo, stdout, !strcmp(format, "csv") ? ',' : '\t', d);
    else
        st = wd_write_table_file(r, &oo, out, !strcmp(format, "csv") ? ',' : '\t', d);
    if (wd_diags_count(d, a.quiet ? WD_ERROR : WD_WARNING))
        wd_diags_print(d, stderr);
    if (run_st != WD_OK) {
        fprintf(stderr, "wandel: the run stopped early; results up to Time = %g were written%s%s, marked incomplete\n",
                wd_run_times(r)[wd_run_nsaved(r) - 1], strcmp(out, "-") ? " to " : "", strcmp(out, "-") ? out : "");
        rc = EXIT_RUN;
        goto done;
    }
    if (st != WD_OK) {
        rc = exit_for(st) ? exit_for(st) : EXIT_RUN;
        goto done;
    }
    if (a.summary && !a.quiet)
        print_summary(s, r, strcmp(out, "-") ? out : NULL, format);
    rc = 0;
    if (a.table)
        rc = print_table(&a, s, r, m);
done:
    wd_run_free(r);
    wd_program_free(p);
    wd_model_free(m);
    wd_scenario_free(s);
    wd_diags_free(d);
    return rc;
}

/* A scenario or model compiled but not run, for check and info. */
typedef struct {
    wd_diags *diags;
    wd_scenario *scenario;
    wd_model *model;
    wd_program *program;
    wd_run *run;
} compiled_only;

/* Opens FILE and compiles it with the VM engine (nothing runs, so no native
 * code is built); prints the diagnostics. Returns WD_OK or the failure;
 * release *c with compiled_only_free either way. */
static wd_status compile_only(const char *file, compiled_only *c)
{
    memset(c, 0, sizeof *c);
    c->diags = wd_diags_new();
    wd_run_opts opts;
    wd_run_opts_init(&opts);
    opts.engine = WD_ENGINE_VM;
    wd_status st = open_scenario(file, c->diags, &c->scenario);
    if (st == WD_OK)
        st = wd_scenario_prepare(c->scenario, c->diags, &c->model, &c->program, &c->run, &opts);
    wd_diags_print(c->diags, stderr);
    return st;
}

static void compiled_only_free(compiled_only *c)
{
    wd_run_free(c->run);
    wd_program_free(c->program);
    wd_model_free(c->model);
    wd_scenario_free(c->scenario);
    wd_diags_free(c->diags);
}

static int cmd_check(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_check, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return fail_usage("unknown option", usage_check);
        if (file)
            return fail_usage("give one file", usage_check);
        file = argv[i];
    }
    if (!file)
        return fail_usage("no file given", usage_check);
    compiled_only c;
    wd_status st = compile_only(file, &c);
    if (st == WD_OK) {
        size_t stocks = 0, n = wd_model_var_count(c.model);
        for (size_t i = 0; i < n; i++) {
            wd_var_info vi;
            wd_model_var(c.model, i, &vi);
            stocks += !strcmp(vi.kind, "stock");
        }
        printf("%s: ok (%zu variables, %zu stocks, %zu subscript ranges)\n", file, n, stocks,
               wd_model_dim_count(c.model));
    }
    compiled_only_free(&c);
    return st == WD_OK ? 0 : EXIT_USAGE;
}

static int cmd_info(int argc, char **argv)
{
    const char *file = NULL;
    bool program = false;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_info, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--program"))
            program = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return fail_usage("unknown option", usage_info);
        else if (file)
            return fail_usage("give one file", usage_info);
        else
            file = argv[i];
    }
    if (!file)
        return fail_usage("no model given", usage_info);
    compiled_only c;
    wd_status st = compile_only(file, &c);
    if (st != WD_OK) {
        compiled_only_free(&c);
        return EXIT_USAGE;
    }
    const wd_model *pm = wd_program_model(c.program);
    printf("model %s\n  sha256 %s\n  integration method %s\n", wd_model_path(pm), wd_model_sha256(pm),
           wd_method_name(wd_model_method(pm)));
    size_t nd = wd_model_dim_count(pm);
    printf("\nsubscript ranges (%zu):\n", nd);
    for (size_t i = 0; i < nd; i++) {
        wd_dim_info di;
        wd_model_dim(pm, i, &di);
        printf("  %s (%zu)%s%s:", di.name, di.nelems, di.parent ? ", part of " : "", di.parent ? di.parent : "");
        for (size_t k = 0; k < di.nelems; k++)
            printf("%s %s", k ? "," : "", di.elems[k]);
        printf("\n");
    }
    size_t nv = wd_model_var_count(pm);
    printf("\nvariables (%zu):\n", nv);
    for (size_t i = 0; i < nv; i++) {
        wd_var_info vi;
        wd_model_var(pm, i, &vi);
        printf("  %s", vi.name);
        if (vi.ndims) {
            printf("[");
            for (size_t k = 0; k < vi.ndims; k++)
                printf("%s%s", k ? "," : "", vi.dims[k]);
            printf("]");
        }
        printf("  (%s%s%s%s) line %d\n", vi.kind, vi.units[0] ? ", " : "", vi.units, "", vi.line);
        if (vi.ndeps) {
            printf("      depends on:");
            for (size_t k = 0; k < vi.ndeps; k++)
                printf("%s %s", k ? "," : "", vi.deps[k]);
            printf("\n");
        }
        if (vi.doc[0])
            printf("      %s\n", vi.doc);
    }
    if (program) {
        printf("\n");
        wd_program_disasm(c.program, stdout);
    }
    compiled_only_free(&c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return fail_usage("no command given", NULL);
    const char *cmd = argv[1];
    if (is_help(cmd) || !strcmp(cmd, "help")) {
        print_usage_main(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("wandel %s\n", WD_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].fn(argc - 2, argv + 2);
    char msg[200];
    snprintf(msg, sizeof msg, "unknown command '%.100s'", cmd);
    return fail_usage(msg, NULL);
}
