/* conformance.c: runs the public SD conformance suite and compares every
 * reference cell.
 *
 * For each folder of tests/ and samples/ in the suite ($WANDEL_SD_TEST_MODELS,
 * default ../shared/sd-test-models) that has a .mdl model and a reference
 * output (output.tab / output.csv), the model is run with Euler (the
 * references were all produced with Euler, whatever method a file declares)
 * and every reference cell at every saved time is compared (control columns
 * aside). A cell is equal when any of these holds (the suite's rule, as
 * written down in the design notes):
 *   |sim - ref| <= 1e-4 * max(|sim|, |ref|)
 *   |ref| <= 3e-6 and |sim| <= 1e-6
 *   the difference is within half a unit of the reference's last printed
 *     digit (numbers printed with 4+ significant digits; shorter ones count
 *     as 6 digits, since Vensim drops trailing zeros)
 *   |sim - ref| <= 1e-5 * (1 + |ref|)
 * A blank reference cell is a constant's repeat (filled from the first row
 * when the whole rest of the column is blank) or else Vensim's NA.
 *
 * Tests listed in tests/conformance_expected_failures.txt ("folder: reason")
 * are reported as skipped with their reason; if one of them passes, the
 * runner fails so that the list stays true.
 *
 * Every passing model is also compiled to native code (when a C compiler is
 * available) and run with both engines by Euler, RK4 and rkf45: every saved
 * value must be the same (==), or the test fails.
 *
 * Prints one line per test and
 * "N passed, M failed, K skipped". Exit status 0 when nothing unexpected
 * happened. With arguments, runs only the named folders (e.g. tests/abs).
 */
#include "wandel.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datafile.h"
#include "util.h"

/* ---- reading a reference table ---------------------------------------------- */

typedef struct ref_col {
    char *key;      /* canonical "var[e1,e2]" */
    char *header;   /* as printed */
    double *vals;   /* per row; NAN where blank */
    bool *blank;
} ref_col;

typedef struct ref_table {
    size_t nrows, ncols;
    double *times;
    double *time_tol; /* half a unit of each printed time's last digit */
    ref_col *cols;
    int *digits; /* significant digits printed, per cell (row-major), 0 when blank */
} ref_table;

/* Canonical key of "Var[E1, E2]" or "\"quoted\"[...]": each part
 * canonicalised like model names, as data files' keys are (never NULL). */
static char *canon_key(const char *s)
{
    char *k = df_canon_key(s, strlen(s));
    return k ? k : wd_xstrdup("");
}

/* Splits a line into fields at sep, removing CSV quotes. */
static size_t split_fields(char *line, char sep, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        char *out = p, *start = p;
        if (*p == '"' && sep == ',') {
            p++;
            while (*p) {
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p && *p != sep)
                p++;
        } else {
            while (*p && *p != sep)
                out++, p++;
        }
        bool more = *p == sep;
        *out = 0;
        fields[n++] = start;
        if (!more)
            break;
        p++;
    }
    return n;
}

/* A tab-separated header field may itself be CSV-quoted ("""x"""). */
static void unquote_header(char *h)
{
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
        char *o = h;
        for (size_t i = 1; i + 1 < n; i++) {
            if (h[i] == '"' && h[i + 1] == '"')
                i++;
            *o++ = h[i];
        }
        *o = 0;
    }
}

static int sig_digits(const char *s)
{
    int d = 0;
    bool started = false;
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (isdigit((unsigned char)*s)) {
            if (*s != '0')
                started = true;
            if (started)
                d++;
        }
    }
    return d;
}

/* Latin-1 bytes (invalid UTF-8) become UTF-8. */
static char *to_utf8(const char *s, size_t n)
{
    wd_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            wd_buf_putc(&b, (char)c);
            continue;
        }
        size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = len && i + len <= n;
        for (size_t k = 1; ok && k < len; k++)
            ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
        if (ok) {
            wd_buf_putn(&b, s + i, len);
            i += len - 1;
        } else {
            wd_buf_putc(&b, (char)(0xC0 | (c >> 6)));
            wd_buf_putc(&b, (char)(0x80 | (c & 0x3F)));
        }
    }
    return wd_buf_take(&b);
}

static void ref_free(ref_table *t)
{
    for (size_t c = 0; c < t->ncols; c++) {
        wd_xfree(t->cols[c].key);
        wd_xfree(t->cols[c].header);
        wd_xfree(t->cols[c].vals);
        wd_xfree(t->cols[c].blank);
    }
    wd_xfree(t->cols);
    wd_xfree(t->times);
    wd_xfree(t->time_tol);
    wd_xfree(t->digits);
    memset(t, 0, sizeof *t);
}

static bool ref_load(const char *path, ref_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    size_t len;
    char *raw = wd_read_file(path, &len);
    if (!raw) {
        snprintf(err, errlen, "cannot read %s", path);
        return false;
    }
    char *text = to_utf8(raw, len);
    wd_xfree(raw);
    /* lines: CR, LF, CRLF */
    VEC(char *) lines = {0};
    for (char *p = text; *p;) {
        char *e = p + strcspn(p, "\r\n");
        bool crlf = e[0] == '\r' && e[1] == '\n';
        char end = *e;
        *e = 0;
        if (*p)
            VEC_PUSH(lines, p);
        if (!end)
            break;
        p = e + (crlf ? 2 : 1);
    }
    bool ok = false;
    if (lines.n < 2) {
        snprintf(err, errlen, "%s has no data rows", path);
        goto done;
    }
    char sep = strchr(lines.v[0], '\t') ? '\t' : ',';
    static char *fields[20000];
    size_t nh = split_fields(lines.v[0], sep, fields, 20000);
    t->ncols = nh - 1;
    t->nrows = lines.n - 1;
    t->cols = wd_xcalloc(t->ncols + 1, sizeof(ref_col));
    t->times = wd_xmalloc(t->nrows * sizeof(double));
    t->time_tol = wd_xmalloc(t->nrows * sizeof(double));
    t->digits = wd_xcalloc(t->nrows * t->ncols + 1, sizeof(int));
    for (size_t c = 0; c < t->ncols; c++) {
        unquote_header(fields[c + 1]);
        t->cols[c].header = wd_xstrdup(fields[c + 1]);
        t->cols[c].key = canon_key(fields[c + 1]);
        t->cols[c].vals = wd_xmalloc(t->nrows * sizeof(double));
        t->cols[c].blank = wd_xcalloc(t->nrows, 1);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        size_t nf = split_fields(lines.v[r + 1], sep, fields, 20000);
        t->times[r] = nf ? strtod(fields[0], NULL) : NAN;
        {
            /* times are printed with about 6 significant digits */
            int dg = nf ? sig_digits(fields[0]) : 0;
            double tt = fabs(t->times[r]);
            t->time_tol[r] = tt > 0 && dg >= 4 ? 0.5 * pow(10, floor(log10(tt)) - (dg - 1)) : 1e-9;
        }
        for (size_t c = 0; c < t->ncols; c++) {
            const char *f = c + 1 < nf ? fields[c + 1] : "";
            while (isspace((unsigned char)*f))
                f++;
            char *end;
            double v = strtod(f, &end);
            if (end == f) {
                t->cols[c].vals[r] = NAN;
                t->cols[c].blank[r] = true;
            } else {
                t->cols[c].vals[r] = v;
                t->digits[r * t->ncols + c] = sig_digits(f);
            }
        }
    }
    /* constants: filled from row 1 when the whole rest is blank */
    for (size_t c = 0; c < t->ncols; c++) {
        bool rest_blank = true;
        for (size_t r = 1; r < t->nrows; r++)
            rest_blank &= t->cols[c].blank[r];
        if (rest_blank && !t->cols[c].blank[0])
            for (size_t r = 1; r < t->nrows; r++) {
                t->cols[c].vals[r] = t->cols[c].vals[0];
                t->cols[c].blank[r] = false;
                t->digits[r * t->ncols + c] = t->digits[c];
            }
    }
    ok = true;
done:
    VEC_FREE(lines);
    wd_xfree(text);
    return ok;
}

/* ---- comparison ------------------------------------------------------------------ */

static bool cell_equal(double sim, double ref, int digits)
{
    double diff = fabs(sim - ref);
    if (diff <= 1e-4 * fmax(fabs(sim), fabs(ref)))
        return true;
    if (fabs(ref) <= 3e-6 && fabs(sim) <= 1e-6)
        return true;
    if (digits > 0) {
        int d = digits < 4 ? 6 : digits;
        if (ref != 0) {
            double unit = pow(10, floor(log10(fabs(ref))) - (d - 1));
            if (diff <= 0.5 * unit * (1 + 1e-9))
                return true;
        }
    }
    return diff <= 1e-5 * (1 + fabs(ref));
}

static bool is_control(const char *key)
{
    return !strcmp(key, "final time") || !strcmp(key, "initial time") || !strcmp(key, "saveper") ||
           !strcmp(key, "time step") || !strcmp(key, "time");
}

/* ---- one test ------------------------------------------------------------------- */

typedef struct expected {
    char *folder;
    char *reason;
    bool seen;
} expected;

static VEC(expected) expectations;

static const expected *find_expected(const char *folder)
{
    for (size_t i = 0; i < expectations.n; i++)
        if (!strcmp(expectations.v[i].folder, folder)) {
            expectations.v[i].seen = true;
            return &expectations.v[i];
        }
    return NULL;
}

static void load_expectations(const char *path)
{
    size_t len;
    char *text = wd_read_file(path, &len);
    if (!text)
        return;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        while (isspace((unsigned char)*line))
            line++;
        if (!*line || *line == '#')
            continue;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = 0;
        char *reason = colon + 1;
        while (isspace((unsigned char)*reason))
            reason++;
        char *f = line + strlen(line);
        while (f > line && isspace((unsigned char)f[-1]))
            *--f = 0;
        expected e = {wd_xstrdup(line), wd_xstrdup(reason), false};
        VEC_PUSH(expectations, e);
    }
    wd_xfree(text);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Chooses the model of a folder: the only .mdl, else test_*.mdl, else the
 * one named like the folder, else the first by name. With `alt` > 0, the
 * alt-th other test_*.mdl of the folder (NULL when there is none): a folder
 * may hold variants of which its reference matches one (tests/get_time_value
 * says in its README that test_get_time_value_simple.mdl is the one). */
static char *choose_model_alt(const char *dir, const char *folder_name, int alt);
static char *choose_model(const char *dir, const char *folder_name) { return choose_model_alt(dir, folder_name, 0); }
static char *choose_model_alt(const char *dir, const char *folder_name, int alt)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    VEC(char *) mdls = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (strlen(e->d_name) > 4 && !strcasecmp(e->d_name + strlen(e->d_name) - 4, ".mdl"))
            VEC_PUSH(mdls, wd_xstrdup(e->d_name));
    closedir(d);
    char *pick = NULL;
    if (mdls.n) {
        qsort(mdls.v, mdls.n, sizeof(char *), cmp_str);
        pick = mdls.v[0];
        for (size_t i = 0; i < mdls.n; i++)
            if (!strncmp(mdls.v[i], "test_", 5)) {
                pick = mdls.v[i];
                break;
            }
        for (size_t i = 0; mdls.n > 1 && i < mdls.n && strncmp(pick, "test_", 5); i++) {
            size_t fl = strlen(folder_name);
            if (!strncasecmp(mdls.v[i], folder_name, fl) && !strcasecmp(mdls.v[i] + fl, ".mdl"))
                pick = mdls.v[i];
        }
        if (alt > 0) {
            const char *first = pick;
            pick = NULL;
            int seen = 0;
            for (size_t i = 0; i < mdls.n && !pick; i++)
                if (!strncmp(mdls.v[i], "test_", 5) && mdls.v[i] != first && ++seen == alt)
                    pick = mdls.v[i];
        }
        if (pick)
            pick = wd_path_join(dir, pick);
    }
    for (size_t i = 0; i < mdls.n; i++)
        wd_xfree(mdls.v[i]);
    VEC_FREE(mdls);
    return pick;
}

static char *find_reference(const char *dir)
{
    const char *names[] = {"output.tab", "output.csv"};
    for (int i = 0; i < 2; i++) {
        char *p = wd_path_join(dir, names[i]);
        struct stat st;
        if (p && stat(p, &st) == 0)
            return p;
        wd_xfree(p);
    }
    return NULL;
}

/* A data file the folder's model reads for its variables without
 * equations: data.tab or data.csv (tests/data_from_other_model, whose
 * README says data.tab is the other model's run exported as a table). */
static char *find_data(const char *dir)
{
    const char *names[] = {"data.tab", "data.csv"};
    for (int i = 0; i < 2; i++) {
        char *p = wd_path_join(dir, names[i]);
        struct stat st;
        if (p && stat(p, &st) == 0)
            return p;
        wd_xfree(p);
    }
    return NULL;
}

/* ---- the two engines --------------------------------------------------------------- */

/* Native code is compared with the VM unless WANDEL_CONFORMANCE_ENGINES=vm
 * or no C compiler is available (then reported once as skipped). */
static int native_state = 0; /* 0 untried, 1 available, -1 not */

static bool same_value(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* Runs p with the VM and with native code by each method and checks that
 * every saved value is the same (==, NaN equal to NaN) and that both made the
 * same number of rate evaluations. Appends a reason to msg when not. */
static bool engines_agree(const wd_program *p, wd_buf *msg)
{
    static const wd_method methods[] = {WD_EULER, WD_RK4, WD_RKF45};
    for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++) {
        wd_run *r[2] = {NULL, NULL};
        wd_status st[2];
        for (int e = 0; e < 2; e++) {
            wd_diags *d = wd_diags_new();
            wd_run_opts o;
            wd_run_opts_init(&o);
            o.method = methods[k];
            o.engine = e ? WD_ENGINE_NATIVE : WD_ENGINE_VM;
            st[e] = wd_run_new(p, &r[e]) == WD_OK ? wd_run_exec(r[e], &o, d) : WD_E_NOMEM;
            wd_diags_free(d);
        }
        bool ok = r[0] && r[1] && st[0] == st[1] && wd_run_nsaved(r[0]) == wd_run_nsaved(r[1]) &&
                  wd_run_rhs_evals(r[0]) == wd_run_rhs_evals(r[1]) && wd_run_engine(r[1]) == WD_ENGINE_NATIVE;
        if (!ok)
            wd_buf_printf(msg, "engines differ with %s: status %d/%d, %zu/%zu save points, %zu/%zu rate evaluations",
                          wd_method_name(methods[k]), st[0], st[1], r[0] ? wd_run_nsaved(r[0]) : 0,
                          r[1] ? wd_run_nsaved(r[1]) : 0, r[0] ? wd_run_rhs_evals(r[0]) : 0,
                          r[1] ? wd_run_rhs_evals(r[1]) : 0);
        for (size_t i = 0; ok && i < wd_run_nsaved(r[0]); i++) {
            ok = same_value(wd_run_times(r[0])[i], wd_run_times(r[1])[i]);
            for (size_t c = 0; ok && c < wd_run_ncols(r[0]); c++)
                if (!same_value(wd_run_value(r[0], i, c), wd_run_value(r[1], i, c))) {
                    wd_buf_printf(msg, "engines differ with %s: %s at t=%.17g: vm %.17g, native %.17g",
                                  wd_method_name(methods[k]), wd_run_col_name(r[0], c), wd_run_times(r[0])[i],
                                  wd_run_value(r[0], i, c), wd_run_value(r[1], i, c));
                    ok = false;
                }
            if (!ok && !msg->n)
                wd_buf_printf(msg, "engines differ with %s: saved times", wd_method_name(methods[k]));
        }
        wd_run_free(r[0]);
        wd_run_free(r[1]);
        if (!ok)
            return false;
    }
    return true;
}

/* Compiles the model for native code and compares the engines; true when
 * they agree or native code cannot be built here (reported once). */
static bool check_engines(const wd_model *m, wd_buf *msg)
{
    if (native_state < 0)
        return true;
    const char *only = getenv("WANDEL_CONFORMANCE_ENGINES");
    if (only && !strcmp(only, "vm")) {
        native_state = -1;
        printf("WANDEL_CONFORMANCE_ENGINES=vm: skipping the comparison with native code\n");
        return true;
    }
    wd_diags *d = wd_diags_new();
    wd_program *p = NULL;
    wd_compile_opts co = {0};
    co.engine = WD_ENGINE_NATIVE;
    bool ok = true;
    if (wd_program_compile(m, &co, d, &p) != WD_OK) {
        const char *t = wd_diags_text(d);
        if (native_state == 0) {
            native_state = -1;
            printf("no native code here (%.*s): skipping the comparison with native code\n", (int)strcspn(t, "\n"), t);
        } else {
            wd_buf_printf(msg, "native code does not build: %.*s", (int)strcspn(t, "\n"), t);
            ok = false;
        }
    } else {
        native_state = 1;
        ok = engines_agree(p, msg);
    }
    wd_program_free(p);
    wd_diags_free(d);
    return ok;
}

static bool run_model(const char *dir, char *model, char **why);

/* Runs one folder; returns true when every cell matched; *why explains a
 * failure (heap string). Variant models of the folder are tried in turn. */
static bool run_test(const char *dir, const char *folder_name, char **why)
{
    char *first_why = NULL;
    bool pass = false;
    for (int alt = 0; !pass; alt++) {
        char *model = choose_model_alt(dir, folder_name, alt);
        if (!model && alt > 0)
            break;
        char *w = NULL;
        pass = run_model(dir, model, &w);
        if (pass || !first_why) {
            wd_xfree(first_why);
            first_why = w;
        } else {
            wd_xfree(w);
        }
    }
    *why = first_why;
    return pass;
}

static bool run_model(const char *dir, char *model, char **why)
{
    char *refpath = find_reference(dir);
    char *datapath = find_data(dir);
    wd_buf msg = {0};
    bool pass = false;
    wd_diags *d = wd_diags_new();
    wd_model *m = NULL;
    wd_program *p = NULL;
    wd_run *r = NULL;
    ref_table ref = {0};
    char err[300];
    if (!ref_load(refpath, &ref, err, sizeof err)) {
        wd_buf_puts(&msg, err);
        goto done;
    }
    wd_load_opts lo = {(const char *const *)&datapath, datapath ? 1 : 0};
    if (wd_model_load_opts(model, &lo, d, &m) != WD_OK || wd_program_compile(m, NULL, d, &p) != WD_OK ||
        wd_run_new(p, &r) != WD_OK) {
        const char *t = wd_diags_text(d);
        wd_buf_printf(&msg, "does not load: %.*s", (int)strcspn(t, "\n"), t);
        goto done;
    }
    wd_run_opts o;
    wd_run_opts_init(&o);
    o.method = WD_EULER;
    if (wd_run_exec(r, &o, d) != WD_OK) {
        const char *t = wd_diags_text(d);
        wd_buf_printf(&msg, "run failed: %.*s", (int)strcspn(t, "\n"), t);
        goto done;
    }
    size_t ns = wd_run_nsaved(r);
    const double *times = wd_run_times(r);
    size_t ncells = 0, nbad = 0;
    char first_bad[600] = "";
    for (size_t c = 0; c < ref.ncols; c++) {
        if (is_control(ref.cols[c].key))
            continue;
        size_t col = (size_t)-1;
        /* find our column by canonical key */
        for (size_t k = 0; k < wd_run_ncols(r) && col == (size_t)-1; k++) {
            char *key = canon_key(wd_run_col_name(r, k));
            if (key && !strcmp(key, ref.cols[c].key))
                col = k;
            wd_xfree(key);
        }
        if (col == (size_t)-1) {
            nbad += ref.nrows;
            if (!first_bad[0])
                snprintf(first_bad, sizeof first_bad, "no result for '%s'", ref.cols[c].header);
            continue;
        }
        size_t row = 0;
        for (size_t rr = 0; rr < ref.nrows; rr++) {
            double t = ref.times[rr], tol = fmax(ref.time_tol[rr] * (1 + 1e-9), 1e-9 * fmax(1, fabs(t)));
            while (row < ns && times[row] < t - tol)
                row++;
            ncells++;
            if (row >= ns || fabs(times[row] - t) > tol) {
                nbad++;
                if (!first_bad[0])
                    snprintf(first_bad, sizeof first_bad, "no saved time %g", t);
                continue;
            }
            double sim = wd_run_value(r, row, col);
            bool ok;
            if (ref.cols[c].blank[rr])
                ok = isnan(sim) || sim == WD_NA;
            else
                ok = cell_equal(sim, ref.cols[c].vals[rr], ref.digits[rr * ref.ncols + c]);
            if (!ok) {
                nbad++;
                if (!first_bad[0]) {
                    if (ref.cols[c].blank[rr])
                        snprintf(first_bad, sizeof first_bad, "%s at t=%g: %.8g, reference NA", ref.cols[c].header,
                                 t, sim);
                    else
                        snprintf(first_bad, sizeof first_bad, "%s at t=%g: %.8g, reference %.8g",
                                 ref.cols[c].header, t, sim, ref.cols[c].vals[rr]);
                }
            }
        }
    }
    if (nbad) {
        wd_buf_printf(&msg, "%zu of %zu cells differ; first: %s", nbad, ncells, first_bad);
        goto done;
    }
    if (!check_engines(m, &msg))
        goto done;
    pass = true;
    wd_buf_printf(&msg, "%zu cells%s", ncells, native_state > 0 ? "; vm = native" : "");
done:
    ref_free(&ref);
    wd_run_free(r);
    wd_program_free(p);
    wd_model_free(m);
    wd_diags_free(d);
    wd_xfree(model);
    wd_xfree(refpath);
    wd_xfree(datapath);
    *why = wd_buf_take(&msg);
    return pass;
}

static bool has_model_and_reference(const char *dir)
{
    char *m = choose_model(dir, "");
    char *r = find_reference(dir);
    bool ok = m && r;
    wd_xfree(m);
    wd_xfree(r);
    return ok;
}

typedef VEC(char *) str_vec;

static void collect(const char *root, const char *sub, str_vec *out)
{
    char *base = wd_path_join(root, sub);
    DIR *d = opendir(base);
    if (!d) {
        wd_xfree(base);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *rel = wd_path_join(sub, e->d_name);
        char *full = wd_path_join(root, rel);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (has_model_and_reference(full))
                VEC_PUSH(*out, wd_xstrdup(rel));
            else if (!strcmp(sub, "samples"))
                collect(root, rel, out); /* samples nest one level */
        }
        wd_xfree(rel);
        wd_xfree(full);
    }
    closedir(d);
    wd_xfree(base);
}

int main(int argc, char **argv)
{
    const char *root = getenv("WANDEL_SD_TEST_MODELS");
    if (!root || !*root)
        root = "../shared/sd-test-models";
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("conformance suite not found at %s (set WANDEL_SD_TEST_MODELS); skipping\n", root);
        return 0;
    }
    const char *expfile = getenv("WANDEL_CONFORMANCE_EXPECTED");
    load_expectations(expfile && *expfile ? expfile : "tests/conformance_expected_failures.txt");
    str_vec folders = {0};
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            VEC_PUSH(folders, wd_xstrdup(argv[i]));
    } else {
        collect(root, "tests", &folders);
        collect(root, "samples", &folders);
        qsort(folders.v, folders.n, sizeof(char *), cmp_str);
    }
    size_t pass = 0, fail = 0, skip = 0;
    for (size_t i = 0; i < folders.n; i++) {
        char *dir = wd_path_join(root, folders.v[i]);
        const char *name = strrchr(folders.v[i], '/');
        name = name ? name + 1 : folders.v[i];
        char *why = NULL;
        bool ok = run_test(dir, name, &why);
        const expected *x = find_expected(folders.v[i]);
        if (ok && x) {
            printf("FAIL %s: passes but is listed as an expected failure (%s); remove it from the list\n",
                   folders.v[i], x->reason);
            fail++;
        } else if (ok) {
            printf("PASS %s (%s)\n", folders.v[i], why);
            pass++;
        } else if (x) {
            printf("SKIP %s: needs %s\n", folders.v[i], x->reason);
            skip++;
        } else {
            printf("FAIL %s: %s\n", folders.v[i], why);
            fail++;
        }
        wd_xfree(why);
        wd_xfree(dir);
        wd_xfree(folders.v[i]);
    }
    VEC_FREE(folders);
    for (size_t i = 0; i < expectations.n; i++) {
        if (!expectations.v[i].seen && argc <= 1) {
            printf("FAIL %s: listed as an expected failure but not found in the suite\n", expectations.v[i].folder);
            fail++;
        }
        wd_xfree(expectations.v[i].folder);
        wd_xfree(expectations.v[i].reason);
    }
    VEC_FREE(expectations);
    printf("%zu passed, %zu failed, %zu skipped\n", pass, fail, skip);
    return fail ? 1 : 0;
}
