/* scenario.c: scenario files (libconfig) -> wd_scenario (see scenario.h).
 *
 * Pipeline: the first input `wandel run` reads. A scenario yields the model's
 * path (the model itself is loaded later by the .mdl front end; here we only
 * check that the file exists), time and solver settings, overrides of model
 * variables (constants or time series) and the output. The stages that know
 * the model check the variable names later, using the file:line that every
 * setting keeps. This is the only file that includes libconfig.h.
 *
 * Reading one file:
 *   1. read its bytes and pre-scan them for what libconfig 1.5 handles badly
 *      (prescan() says what and why);
 *   2. parse them with config_read_string, so that libconfig never opens a
 *      file itself and the text shown in messages and recorded for provenance
 *      is exactly the text that was parsed;
 *   3. load its `extends` layers, depth first, in the order listed;
 *   4. apply its own settings on top.
 *
 * Merge rules (a later layer wins):
 *   - model, seed: replaced.
 *   - data: the files of each layer are appended (series of a later file
 *     override those of an earlier one when the model is loaded).
 *   - time, solver, output: field by field; a layer that sets only time.stop
 *     keeps start, step and save from earlier layers. output.vars is one field
 *     and is replaced as a whole list.
 *   - set: entries are matched by variable (set_key()); a later entry replaces
 *     the earlier one entirely (a value may replace a series and vice versa)
 *     and keeps its position; new variables are appended.
 *   - name: only the top file's counts (apply_layer() says why).
 *   - calibrate: params merged by variable like set; the data list replaced
 *     as a whole by a later layer that has one (its defaults apply to the
 *     data entries of the same group only); starts, seed, iterations and
 *     fd_step field by field.
 *   - each file is applied at most once. Reached again through another path
 *     (a diamond: top extends a and b, both extend base) it is skipped, so
 *     base comes first and cannot undo what a set. Reached again while it is
 *     still being loaded is a cycle, reported with the chain of files.
 *
 * Every problem of a file is reported in one pass; loading goes on through
 * all layers so that one run shows them all. The status returned is the class
 * of the first error (WD_E_NOMEM overrides everything).
 */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

/* ---- limits ---------------------------------------------------------------
 * Measured with libconfig 1.5 on Debian 12: its tree takes up to ~45 bytes of
 * memory per byte of input (a 16 MiB list of small numbers: 720 MB), it
 * crashes when malloc fails, and it compares every new setting name with all
 * earlier names of its group (40,000 names in one group: 9 s). The file size
 * and names-per-group limits keep a hostile file to well under a second or
 * two and under a gigabyte; no real scenario comes near them. */
#define SCN_MAX_LAYERS 32                   /* files on one extends chain, the top file included */
#define SCN_MAX_FILE_BYTES (16L * 1024 * 1024) /* one scenario file */
#define SCN_MAX_NESTING 64                  /* groups, lists and arrays inside each other */
#define SCN_MAX_GROUP_SETTINGS 100          /* named settings in one group (or at the top level) */
/* Entries of one `set` list and points of one series. With the file size
 * limit above these cannot currently be reached (a set entry takes at least
 * 18 bytes of text, a point 6); they bound the loader's own allocations should
 * that limit ever be raised. */
#define SCN_MAX_SETS 1000000
#define SCN_MAX_POINTS 10000000

/* ---- names ------------------------------------------------------------------ */

enum { T_NAME, T_MODEL, T_EXTENDS, T_TIME, T_SOLVER, T_SEED, T_SET, T_OUTPUT, T_CALIBRATE, T_DATA, T_SWEEP };
static const char *const top_names[] = {"name", "model",  "extends",   "time", "solver", "seed",
                                        "set",  "output", "calibrate", "data", "sweep",  NULL};
/* A top-level group reserved for a later feature (region x policy
 * comparisons), which will read it from the same files. It is accepted here
 * without any check and nothing of it is stored, so that a file written for
 * that feature also runs as a single scenario. */
static const char *const reserved_names[] = {"compare", NULL};
static const char *const sweep_names[] = {"design", "samples", "seed",   "levels", "resamples",
                                          "confidence", "params", "metrics", "store", NULL};
static const char *const sweep_param_names[] = {"var", "dist", "min",    "max",     "mode",   "mean",
                                          "sd",  "mu",   "sigma",  "values",  "weights", "levels",
                                          NULL};
static const char *const metric_names[] = {"name", "var", "reduce", "at", NULL};

/* Indexed by scn_design, scn_dist and scn_reduce (scenario.h). */
const char *const scn_design_names[] = {"grid", "random", "lhs", "sobol", "saltelli", "morris", NULL};
const char *const scn_dist_names[] = {"uniform", "normal", "lognormal", "triangular", "discrete", NULL};
const char *const scn_reduce_names[] = {"final", "max", "min", "mean", "integral", "at", NULL};

static const char *const time_names[] = {"start", "stop", "step", "save", NULL};
static const char *const solver_names[] = {"method", "rtol", "atol", "hmax", NULL};
static const char *const output_names[] = {"file", "format", "vars", NULL};
static const char *const entry_names[] = {"var", "value", "points", "interp", NULL};

/* The integration methods wandel implements (wd_method in wandel.h). */
static const char *const method_names[] = {"euler", "rk2",   "rk4",   "rkf45",
                                           "rkck",  "rk8pd", "msbdf", "rk4imp", NULL};
static const char *const format_names[] = {"h5", "tsv", "csv", NULL};
/* Indexed by scn_interp. */
static const char *const interp_names[] = {"linear", "step", NULL};

static int name_index(const char *const *list, const char *name)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return i;
    return -1;
}

static int name_index_ci(const char *const *list, const char *name)
{
    for (int i = 0; list[i]; i++)
        if (strcasecmp(list[i], name) == 0)
            return i;
    return -1;
}

/* "a, b, c" into out (truncated to fit). */
static void list_text(char *out, size_t n, const char *const *list)
{
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; list[i] && o < n; i++) {
        int w = snprintf(out + o, n - o, "%s%s", i ? ", " : "", list[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

/* ---- loader state ------------------------------------------------------------- */

typedef struct file_id {
    dev_t dev;
    ino_t ino;
} file_id;

typedef struct chain_link { /* a file whose extends are being loaded */
    file_id id;
    const char *path;       /* == an entry of loader.files */
} chain_link;

typedef struct pending_ext { /* an extends entry, kept while its file loads */
    char *written;
    int line;
} pending_ext;
typedef VEC(pending_ext) pending_vec;

typedef struct loader {
    wd_scenario *s;
    wd_diags *diags;
    wd_status status;       /* class of the first error; WD_E_NOMEM wins */
    VEC(char *) files;      /* every file read, top first; becomes s->files */
    VEC(char *) texts;      /* their contents, parallel to files */
    VEC(size_t) applied;    /* indices into files, in the order applied */
    VEC(chain_link) chain;  /* the current extends chain (cycle check) */
    VEC(file_id) done;      /* files already loaded (diamonds) */
    VEC(scn_set) sets;      /* becomes s->sets */
    wd_map *set_index;      /* set_key(var) -> index into sets */
    wd_map *param_index;    /* set_key(var) -> index into s->calib->params */
    /* Where time.start and time.stop were last set, and in which order, for
     * the check of the merged values. */
    scn_src start_src, stop_src;
    unsigned long seq, start_seq, stop_seq;
} loader;

typedef struct layer { /* one file being applied */
    loader *L;
    const char *path;  /* == an entry of loader.files */
    const char *text;  /* its contents (for source lines in messages) */
    char *ptext;       /* the text given to libconfig when prescan changed it, else NULL */
    char *dir;         /* directory relative paths in it are resolved against */
    bool top;
    wd_map *keys;      /* set_key -> line, for duplicates within this file */
    /* The last source line looked up, so that messages in line order find
     * their lines in one pass over the text (a file with many errors would
     * otherwise be scanned from its start for each). */
    int cur_line;
    const char *cur_text;
} layer;

static void set_status(loader *L, wd_status st)
{
    if (st == WD_E_NOMEM || L->status == WD_OK)
        L->status = st;
}

static void nomem(loader *L) { L->status = WD_E_NOMEM; }
static bool oom(const loader *L) { return L->status == WD_E_NOMEM; }

static void report_v(loader *L, wd_severity sev, wd_status st, const char *file,
                     const char *srcline, int line, const char *fmt, va_list ap)
{
    wd_diag_vadd(L->diags, sev, (wd_loc){file, line, 0}, srcline, fmt, ap);
    if (sev == WD_ERROR)
        set_status(L, st);
}

/* The text of line `line` of ly's file (see layer.cur_line). */
static const char *layer_line(layer *ly, int line)
{
    if (line < 1)
        return NULL;
    if (!ly->cur_text || line < ly->cur_line) {
        ly->cur_line = 1;
        ly->cur_text = ly->text;
    }
    const char *p = wd_source_line(ly->cur_text, line - ly->cur_line + 1);
    if (p) {
        ly->cur_line = line;
        ly->cur_text = p;
    }
    return p;
}

static void err_line(layer *ly, int line, wd_status st, const char *fmt, ...) WD_PRINTF(4, 5);
static void err_at(layer *ly, const config_setting_t *cs, wd_status st, const char *fmt, ...)
    WD_PRINTF(4, 5);
static void warn_at(layer *ly, const config_setting_t *cs, const char *fmt, ...) WD_PRINTF(3, 4);
static void err_nofile(loader *L, wd_status st, const char *fmt, ...) WD_PRINTF(3, 4);

static void err_line(layer *ly, int line, wd_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(ly->L, WD_ERROR, st, ly->path, layer_line(ly, line), line, fmt, ap);
    va_end(ap);
}

static void err_at(layer *ly, const config_setting_t *cs, wd_status st, const char *fmt, ...)
{
    va_list ap;
    int line = (int)config_setting_source_line(cs);
    va_start(ap, fmt);
    report_v(ly->L, WD_ERROR, st, ly->path, layer_line(ly, line), line, fmt, ap);
    va_end(ap);
}

static void warn_at(layer *ly, const config_setting_t *cs, const char *fmt, ...)
{
    va_list ap;
    int line = (int)config_setting_source_line(cs);
    va_start(ap, fmt);
    report_v(ly->L, WD_WARNING, WD_OK, ly->path, layer_line(ly, line), line, fmt, ap);
    va_end(ap);
}

/* For problems with the top file itself, which has no including line. */
static void err_nofile(loader *L, wd_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(L, WD_ERROR, st, NULL, NULL, 0, fmt, ap);
    va_end(ap);
}

static scn_src src_of(const layer *ly, const config_setting_t *cs)
{
    return (scn_src){ly->path, (int)config_setting_source_line(cs)};
}

static void set_clear(scn_set *e)
{
    wd_xfree(e->var);
    wd_xfree(e->times);
    wd_xfree(e->values);
    memset(e, 0, sizeof *e);
}

/* ---- pre-scan ------------------------------------------------------------------ */

static int count_lines(const char *from, const char *to)
{
    int n = 0;
    for (const char *p = from; p < to; p++)
        n += *p == '\n';
    return n;
}

/* An integer literal as libconfig 1.5 writes it: [+-]digits or 0xHEX (no
 * sign), then L or LL for 64 bits. */
typedef struct int_lit {
    bool neg, hex;
    int nl;                /* number of L */
    const char *digits;    /* significant digits (leading zeros skipped) */
    size_t ndigits;
} int_lit;

static bool parse_int_lit(const char *tok, size_t n, int_lit *out)
{
    size_t m = n;
    out->nl = 0;
    while (m > 0 && tok[m - 1] == 'L' && out->nl < 2) {
        m--;
        out->nl++;
    }
    const char *p = tok, *end = tok + m;
    out->neg = out->hex = false;
    if (p < end && (*p == '+' || *p == '-'))
        out->neg = *p++ == '-';
    if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        out->hex = true;
        p += 2;
    }
    if (p == end || (out->hex && tok[0] != '0'))
        return false;
    for (const char *q = p; q < end; q++)
        if (!(out->hex ? isxdigit((unsigned char)*q) : isdigit((unsigned char)*q)))
            return false;
    while (p < end - 1 && *p == '0')
        p++;
    out->digits = p;
    out->ndigits = (size_t)(end - p);
    return true;
}

/* Checks one integer literal outside a mixed array. libconfig 1.5 reads an
 * integer without the L suffix as 32 bits and silently wraps a larger one
 * (3000000000 becomes -1294967296; a hex literal above 0x7FFFFFFF turns
 * negative), and clamps an L literal beyond 64 bits to LLONG_MAX. */
static void check_integer(layer *ly, int line, const char *tok, size_t n)
{
    int_lit lit;
    if (!parse_int_lit(tok, n, &lit))
        return; /* not a well-formed integer: libconfig reports it */
    bool fits;
    unsigned long long v = 0;
    if (lit.hex) {
        fits = lit.ndigits <= 16;
        for (size_t i = 0; fits && i < lit.ndigits; i++) {
            int c = tolower((unsigned char)lit.digits[i]);
            v = v * 16 + (unsigned long long)(isdigit(c) ? c - '0' : c - 'a' + 10);
        }
        fits = fits && v <= (lit.nl ? (unsigned long long)LLONG_MAX : (unsigned long long)INT_MAX);
    } else {
        /* |v| against 2^31 or 2^63 (one more when negative), without overflow. */
        unsigned long long lim = lit.nl ? (unsigned long long)LLONG_MAX + lit.neg
                                        : (unsigned long long)INT_MAX + lit.neg;
        fits = lit.ndigits <= 19;
        for (size_t i = 0; fits && i < lit.ndigits; i++)
            v = v * 10 + (unsigned long long)(lit.digits[i] - '0');
        fits = fits && v <= lim;
    }
    if (fits)
        return;
    int w = n > 40 ? 40 : (int)n;
    const char *more = n > 40 ? "..." : "";
    if (lit.nl)
        err_line(ly, line, WD_E_SEMANTIC, "integer %.*s%s does not fit in 64 bits", w, tok, more);
    else if (lit.hex)
        err_line(ly, line, WD_E_SEMANTIC,
                 "integer %.*s%s does not fit in 32 bits and would be misread; write %.*s%sL",
                 w, tok, more, w, tok, more);
    else
        err_line(ly, line, WD_E_SEMANTIC,
                 "integer %.*s%s does not fit in 32 bits and would be misread; write %.*s%s.0",
                 w, tok, more, w, tok, more);
}

/* Writes an integer literal as a float literal libconfig accepts:
 * "2030" -> "2030.0", "5L" -> "5.0", "0x10" -> "1.60000000000000000e+01". */
static void put_as_float(wd_buf *b, const char *tok, size_t n)
{
    int_lit lit;
    parse_int_lit(tok, n, &lit); /* checked by the caller */
    if (lit.hex) {
        char hexbuf[64];
        int w = lit.ndigits > 40 ? 40 : (int)lit.ndigits;
        snprintf(hexbuf, sizeof hexbuf, "0x%.*s", w, lit.digits);
        double v = strtod(hexbuf, NULL);
        if (lit.ndigits > 40)
            v = HUGE_VAL; /* caught later as not finite */
        wd_buf_printf(b, "%.17e", v);
    } else {
        wd_buf_putn(b, tok, n - (size_t)lit.nl);
        wd_buf_puts(b, ".0");
    }
}

/* Skips a number starting at p. */
static const char *scan_number(const char *p, const char *end, bool *is_float)
{
    const char *q = p;
    if (*q == '+' || *q == '-')
        q++;
    bool hex = q[0] == '0' && (q[1] == 'x' || q[1] == 'X');
    *is_float = false;
    while (q < end) {
        char c = *q;
        if (isalnum((unsigned char)c) || c == '.') {
            if (!hex && (c == '.' || c == 'e' || c == 'E'))
                *is_float = true;
            q++;
        } else if ((c == '+' || c == '-') && !hex && (q[-1] == 'e' || q[-1] == 'E')) {
            q++;
        } else {
            break;
        }
    }
    return q;
}

/* Skips a comment or a string starting at p (counting newlines into
 * *line); returns p itself when neither starts there. */
static const char *skip_comment_or_string(const char *p, const char *end, int *line)
{
    if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
        while (p < end && *p != '\n')
            p++;
    } else if (p[0] == '/' && p[1] == '*') {
        p += 2;
        while (p < end && !(p[0] == '*' && p[1] == '/')) {
            *line += *p == '\n';
            p++;
        }
        p = p < end ? p + 2 : end;
    } else if (*p == '"') {
        p++;
        while (p < end && *p != '"') {
            if (*p == '\\' && p + 1 < end)
                p++;
            *line += *p == '\n';
            p++;
        }
        if (p < end)
            p++;
    }
    return p;
}

static bool starts_number(const char *p)
{
    return isdigit((unsigned char)p[0]) ||
           ((p[0] == '-' || p[0] == '+') && (isdigit((unsigned char)p[1]) || p[1] == '.')) ||
           (p[0] == '.' && isdigit((unsigned char)p[1]));
}

/* The numeric types seen in an array. */
enum { NUM_INT = 1, NUM_INT64 = 2, NUM_FLOAT = 4 };

/* Output of prescan when it rewrites the text (see below). */
typedef struct rewriter {
    wd_buf out;
    size_t copied; /* text[0..copied) is in out */
    bool active;
} rewriter;

/* Goes over the integers of one closed array, text[a..b) starting at `line`
 * (an array holds scalars, comments and newlines only). When the array mixes
 * numeric types they are written as floats into rw; otherwise each is
 * checked. Walking the array a second time costs nothing much and avoids
 * keeping a record of every number of a large array. */
static void array_ints(layer *ly, size_t a, size_t b, int line, bool mixed, rewriter *rw)
{
    const char *t = ly->text, *p = t + a, *end = t + b;
    while (p < end) {
        const char *q = skip_comment_or_string(p, end, &line);
        if (q != p) {
            p = q;
        } else if (*p == '\n') {
            line++;
            p++;
        } else if (starts_number(p)) {
            bool is_float;
            int_lit lit;
            q = scan_number(p, end, &is_float);
            if (!is_float && parse_int_lit(p, (size_t)(q - p), &lit)) {
                if (!mixed) {
                    check_integer(ly, line, p, (size_t)(q - p));
                } else if ((size_t)(p - t) < rw->copied) {
                    /* brackets out of order: the text is malformed and
                     * libconfig will say where; nothing to rewrite */
                } else {
                    wd_buf_putn(&rw->out, t + rw->copied, (size_t)(p - t) - rw->copied);
                    put_as_float(&rw->out, p, (size_t)(q - p));
                    rw->copied = (size_t)(q - t);
                    rw->active = true;
                }
            }
            p = q;
        } else if (isalpha((unsigned char)*p)) { /* true, false */
            while (p < end && isalnum((unsigned char)*p))
                p++;
        } else {
            p++;
        }
    }
}

/* Looks at the raw text, following libconfig's lexical rules (strings with
 * backslash escapes that may span lines; #, // and slash-star comments; names
 * [A-Za-z*][-A-Za-z0-9_*]*), for what libconfig 1.5 handles badly:
 *   - a NUL byte: libconfig would silently stop reading there;
 *   - @include: layers are combined by `extends`, which merges by setting and
 *     records each file; an included file would be missing from the recorded
 *     text and would be looked up relative to the working directory;
 *   - nesting deeper than SCN_MAX_NESTING (libconfig's parser gives up at a
 *     few thousand levels with "memory exhausted");
 *   - more than SCN_MAX_GROUP_SETTINGS names in one group (see the limits);
 *   - integers libconfig would misread (check_integer);
 *   - arrays that mix numeric types, such as the point [2030, 130.5] or
 *     [5000000000L, 7]: libconfig rejects them ("mismatched element type in
 *     array"), but a number may be written as an integer or a float anywhere,
 *     so the integers of such an array are rewritten as floats in the text
 *     given to libconfig (ly->ptext). Lines do not move, and the text recorded
 *     and shown in messages stays as written. Arrays of one type are left
 *     alone.
 * Returns false when the text must not be given to libconfig; integer range
 * errors are reported and parsing goes on, so that other errors are found in
 * the same pass. `text` is NUL-terminated at len. */
static bool prescan(layer *ly, size_t len)
{
    const char *t = ly->text, *end = t + len;
    const char *nul = memchr(t, '\0', len);
    if (nul) {
        err_line(ly, 1 + count_lines(t, nul), WD_E_SYNTAX,
                 "NUL byte in the text: this is not a scenario file");
        return false;
    }
    struct {
        char kind;
        int names;
    } nest[SCN_MAX_NESTING];
    int depth = 0, root_names = 0, line = 1;
    /* The open array: where its contents start, and the numeric types seen. */
    size_t arr_start = 0;
    int arr_line = 0;
    unsigned kinds = 0;
    rewriter rw = {{0}, 0, false};
    bool ok = true;
    const char *p = t;
    while (p < end && ok) {
        char c = *p;
        bool in_array = depth > 0 && nest[depth - 1].kind == '[';
        const char *q = skip_comment_or_string(p, end, &line);
        if (q != p) {
            p = q;
        } else if (c == '\n') {
            line++;
            p++;
        } else if (c == '@') {
            if (strncmp(p + 1, "include", 7) == 0) {
                err_line(ly, line, WD_E_SYNTAX,
                         "@include is not supported in scenario files; use extends = [\"file\"]");
                ok = false;
            }
            p++;
        } else if (isalpha((unsigned char)c) || c == '*') {
            p++;
            while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '*'))
                p++;
        } else if (starts_number(p)) {
            bool is_float;
            int_lit lit;
            q = scan_number(p, end, &is_float);
            if (!in_array) {
                if (!is_float)
                    check_integer(ly, line, p, (size_t)(q - p));
            } else if (is_float) {
                kinds |= NUM_FLOAT;
            } else if (parse_int_lit(p, (size_t)(q - p), &lit)) {
                kinds |= lit.nl ? NUM_INT64 : NUM_INT;
            }
            p = q;
        } else if (c == '{' || c == '(' || c == '[') {
            if (depth == SCN_MAX_NESTING) {
                err_line(ly, line, WD_E_LIMIT,
                         "groups, lists and arrays nested more than %d deep", SCN_MAX_NESTING);
                ok = false;
            } else {
                nest[depth].kind = c;
                nest[depth].names = 0;
                depth++;
                if (c == '[') {
                    arr_start = (size_t)(p + 1 - t);
                    arr_line = line;
                    kinds = 0;
                }
            }
            p++;
        } else if (c == '}' || c == ')' || c == ']') {
            if (in_array && (kinds & (NUM_INT | NUM_INT64)))
                array_ints(ly, arr_start, (size_t)(p - t), arr_line,
                           kinds != NUM_INT && kinds != NUM_INT64, &rw);
            if (depth > 0)
                depth--;
            p++;
        } else if (c == '=' || c == ':') {
            int *names = depth == 0 ? &root_names
                         : nest[depth - 1].kind == '{' ? &nest[depth - 1].names
                                                       : NULL;
            if (names && ++*names > SCN_MAX_GROUP_SETTINGS) {
                err_line(ly, line, WD_E_LIMIT, "more than %d settings in one group",
                         SCN_MAX_GROUP_SETTINGS);
                ok = false;
            }
            p++;
        } else {
            p++;
        }
    }
    if (ok && depth > 0 && nest[depth - 1].kind == '[' && (kinds & (NUM_INT | NUM_INT64)))
        array_ints(ly, arr_start, len, arr_line, false, &rw); /* left open: libconfig reports it */
    if (ok && rw.active) {
        wd_buf_putn(&rw.out, t + rw.copied, len - rw.copied);
        if (rw.out.oom)
            nomem(ly->L);
        else
            ly->ptext = wd_buf_take(&rw.out);
    }
    wd_buf_free(&rw.out);
    return ok && !oom(ly->L);
}

/* ---- typed access ------------------------------------------------------------------- */

static const char *type_desc(const config_setting_t *cs)
{
    switch (config_setting_type(cs)) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a floating-point number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "nothing";
    }
}

/* A number written as an integer (32 or 64 bit) or a float; it must be
 * finite (libconfig reads 1e999 as infinity). pre prefixes the message
 * ("set 'x': "), what names the setting ("time.step"). */
static bool get_number(layer *ly, const config_setting_t *cs, const char *pre, const char *what,
                       double *out)
{
    switch (config_setting_type(cs)) {
    case CONFIG_TYPE_INT:
        *out = config_setting_get_int(cs);
        return true;
    case CONFIG_TYPE_INT64:
        *out = (double)config_setting_get_int64(cs);
        return true;
    case CONFIG_TYPE_FLOAT: {
        double v = config_setting_get_float(cs);
        if (!isfinite(v)) {
            err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be a finite number, found %g", pre, what, v);
            return false;
        }
        *out = v;
        return true;
    }
    default:
        err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be a number, found %s", pre, what,
               type_desc(cs));
        return false;
    }
}

/* A non-empty string, or NULL (reported). */
static const char *get_string(layer *ly, const config_setting_t *cs, const char *pre,
                              const char *what)
{
    if (config_setting_type(cs) != CONFIG_TYPE_STRING) {
        err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be a string, found %s", pre, what, type_desc(cs));
        return NULL;
    }
    const char *v = config_setting_get_string(cs);
    if (!v || !v[0]) {
        err_at(ly, cs, WD_E_SEMANTIC, "%s%s must not be empty", pre, what);
        return NULL;
    }
    return v;
}

static bool want_group(layer *ly, const config_setting_t *cs, const char *what,
                       const char *example)
{
    if (config_setting_is_group(cs))
        return true;
    err_at(ly, cs, WD_E_SEMANTIC, "%s must be a group %s, found %s", what, example, type_desc(cs));
    return false;
}

/* Letters two names share, counted with multiplicity. */
static size_t common_letters(const char *a, const char *b)
{
    size_t count[256] = {0}, n = 0;
    for (const unsigned char *p = (const unsigned char *)a; *p; p++)
        count[*p]++;
    for (const unsigned char *p = (const unsigned char *)b; *p; p++)
        if (count[*p]) {
            count[*p]--;
            n++;
        }
    return n;
}

/* An unknown setting name, with the nearest known one when it is close
 * (edit distance at most 2, and less than the name's length so that a
 * one-letter name is not "corrected" into an unrelated one). Ties go to the
 * name with more letters in common, so that the transposition "stpe" suggests
 * "step" rather than "stop". At the top level a name that belongs inside
 * time, solver or output says so. */
static void report_unknown(layer *ly, const config_setting_t *cs, const char *pre,
                           const char *group, const char *const *known, bool top)
{
    static const struct {
        const char *const *names;
        const char *group;
    } nested[] = {{time_names, "time"},
                  {solver_names, "solver"},
                  {output_names, "output"},
                  {sweep_names, "sweep"}};
    const char *name = config_setting_name(cs);
    const char *dot = group ? "." : "", *gname = group ? group : "";
    if (top) {
        for (size_t g = 0; g < sizeof nested / sizeof nested[0]; g++)
            if (name_index(nested[g].names, name) >= 0) {
                err_at(ly, cs, WD_E_SEMANTIC,
                       "unknown setting '%s' (it belongs in the %s group: %s = { %s = ...; })",
                       name, nested[g].group, nested[g].group, name);
                return;
            }
    }
    const char *best = NULL;
    size_t best_d = SIZE_MAX, best_common = 0, len = strlen(name);
    for (int pass = 0; pass < 2; pass++) {
        const char *const *list = pass == 0 ? known : top ? reserved_names : NULL;
        for (int i = 0; list && list[i]; i++) {
            size_t d = wd_edit_distance(name, list[i]);
            if (d > 2 || d >= len || d > best_d)
                continue;
            size_t common = common_letters(name, list[i]);
            if (d < best_d || common > best_common) {
                best = list[i];
                best_d = d;
                best_common = common;
            }
        }
    }
    if (best) {
        err_at(ly, cs, WD_E_SEMANTIC, "%sunknown setting '%s%s%s' (did you mean '%s%s%s'?)", pre,
               gname, dot, name, gname, dot, best);
    } else {
        char all[200];
        list_text(all, sizeof all, known);
        err_at(ly, cs, WD_E_SEMANTIC, "%sunknown setting '%s%s%s'; known settings: %s", pre, gname,
               dot, name, all);
    }
}

/* ---- paths ---------------------------------------------------------------------------- */

/* An absolute spelling of path for messages: the real path of its directory
 * when that exists, else the working directory joined to it. Heap string or
 * NULL. */
static char *abs_for_message(const char *path)
{
    if (path[0] == '/')
        return wd_xstrdup(path);
    char buf[PATH_MAX];
    char *dir = wd_dirname(path);
    if (!dir)
        return NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    wd_buf b = {0};
    if (realpath(dir, buf)) {
        wd_buf_puts(&b, buf);
        if (strcmp(buf, "/") != 0)
            wd_buf_putc(&b, '/');
        wd_buf_puts(&b, base);
    } else if (getcwd(buf, sizeof buf)) {
        wd_buf_puts(&b, buf);
        wd_buf_putc(&b, '/');
        wd_buf_puts(&b, path);
    } else {
        wd_buf_puts(&b, path);
    }
    wd_xfree(dir);
    if (b.oom) {
        wd_buf_free(&b);
        return NULL;
    }
    return wd_buf_take(&b);
}

/* Resolves `written` (from the setting at `line` of ly) against ly's
 * directory and checks that it names an existing regular file. Returns the
 * resolved path (heap) or NULL (reported, or out of memory). */
static char *resolve_existing(layer *ly, int line, const char *written, struct stat *st_out)
{
    char *path = wd_path_join(ly->dir, written);
    if (!path) {
        nomem(ly->L);
        return NULL;
    }
    struct stat st;
    int rc = stat(path, &st), err = errno;
    if (rc == 0 && S_ISREG(st.st_mode)) {
        if (st_out)
            *st_out = st;
        return path;
    }
    char *abs = abs_for_message(path);
    const char *shown = abs ? abs : path;
    if (rc != 0 && (err == ENOENT || err == ENOTDIR))
        err_line(ly, line, WD_E_IO, "no such file '%s' (resolved to '%s')", written, shown);
    else if (rc != 0)
        err_line(ly, line, WD_E_IO, "cannot open '%s' (resolved to '%s'): %s", written, shown,
                 strerror(err));
    else
        err_line(ly, line, WD_E_IO, "'%s' is not a regular file (resolved to '%s')", written,
                 shown);
    wd_xfree(abs);
    wd_xfree(path);
    return NULL;
}

/* Replaces *field with a copy of v. */
static void replace_str(loader *L, char **field, const char *v)
{
    char *c = wd_xstrdup(v);
    if (!c) {
        nomem(L);
        return;
    }
    wd_xfree(*field);
    *field = c;
}

/* ---- set entries -------------------------------------------------------------------- */

enum { KEY_OK, KEY_BAD, KEY_NOMEM };

/* The key under which set entries are merged. The name part (before '[')
 * goes through wd_canon_name: case-insensitive, spaces and underscores alike,
 * runs collapsed, trimmed, as Vensim compares names. Each comma-separated
 * subscript element is canonicalised the same way (Vensim element names
 * follow the same rules), and the elements are joined by ',' inside "[]".
 * So "Carbon_Price" and "carbon price" are one entry, and so are
 * "jobs[Ruhr, Mining]" and "jobs[ruhr,mining]". A name must be NAME or
 * NAME[ELEMENT,...]: non-empty parts, one bracket pair at the end, no '='
 * (which the command line uses to split NAME=VALUE). */
static int set_key(const char *var, char **out)
{
    *out = NULL;
    if (strchr(var, '='))
        return KEY_BAD;
    const char *open = strchr(var, '['), *close = NULL;
    if (open) {
        close = strchr(open, ']');
        if (!close || memchr(open + 1, '[', (size_t)(close - open - 1)))
            return KEY_BAD;
        for (const char *p = close + 1; *p; p++)
            if (*p != ' ' && *p != '\t')
                return KEY_BAD;
    } else if (strchr(var, ']')) {
        return KEY_BAD;
    }
    char *c = wd_canon_name(var, open ? (size_t)(open - var) : strlen(var));
    if (!c)
        return KEY_NOMEM;
    if (!c[0]) {
        wd_xfree(c);
        return KEY_BAD;
    }
    wd_buf b = {0};
    wd_buf_puts(&b, c);
    wd_xfree(c);
    if (open) {
        wd_buf_putc(&b, '[');
        const char *p = open + 1;
        for (;;) {
            const char *e = p;
            while (e < close && *e != ',')
                e++;
            c = wd_canon_name(p, (size_t)(e - p));
            if (!c) {
                wd_buf_free(&b);
                return KEY_NOMEM;
            }
            bool empty = !c[0];
            wd_buf_puts(&b, c);
            wd_xfree(c);
            if (empty) {
                wd_buf_free(&b);
                return KEY_BAD;
            }
            if (e == close)
                break;
            wd_buf_putc(&b, ',');
            p = e + 1;
        }
        wd_buf_putc(&b, ']');
    }
    if (b.oom) {
        wd_buf_free(&b);
        return KEY_NOMEM;
    }
    *out = wd_buf_take(&b);
    return *out ? KEY_OK : KEY_NOMEM;
}

/* points = ([t, v], ...): a list of pairs (arrays or lists), times strictly
 * increasing, at least one. Fills out's series fields. */
static bool parse_points(layer *ly, const config_setting_t *pts, const char *pre, scn_set *out)
{
    int type = config_setting_type(pts);
    int n = (type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY) ? config_setting_length(pts)
                                                                     : -1;
    if (n < 0 || (type == CONFIG_TYPE_ARRAY && n > 0)) {
        err_at(ly, pts, WD_E_SEMANTIC,
               "%spoints must be a list of [time, value] pairs, e.g. ([2025, 1.0], [2030, 2.0]); "
               "found %s",
               pre, type_desc(pts));
        return false;
    }
    if (n == 0) {
        err_at(ly, pts, WD_E_SEMANTIC, "%spoints is empty; give at least one [time, value] pair",
               pre);
        return false;
    }
    if (n > SCN_MAX_POINTS) {
        err_at(ly, pts, WD_E_LIMIT, "%stoo many points (%d; the limit is %d)", pre, n,
               SCN_MAX_POINTS);
        return false;
    }
    double *t = wd_xmalloc((size_t)n * sizeof *t), *v = wd_xmalloc((size_t)n * sizeof *v);
    if (!t || !v) {
        wd_xfree(t);
        wd_xfree(v);
        nomem(ly->L);
        return false;
    }
    bool ok = true, have_prev = false;
    double prev = 0;
    for (int i = 0; i < n; i++) {
        const config_setting_t *p = config_setting_get_elem(pts, (unsigned)i);
        int pt = config_setting_type(p);
        if (pt != CONFIG_TYPE_ARRAY && pt != CONFIG_TYPE_LIST) {
            err_at(ly, p, WD_E_SEMANTIC, "%spoint %d must be a pair [time, value], found %s", pre,
                   i + 1, type_desc(p));
            ok = have_prev = false;
            continue;
        }
        if (config_setting_length(p) != 2) {
            err_at(ly, p, WD_E_SEMANTIC,
                   "%spoint %d must be a pair [time, value], found %d element%s", pre, i + 1,
                   config_setting_length(p), config_setting_length(p) == 1 ? "" : "s");
            ok = have_prev = false;
            continue;
        }
        char what[48];
        snprintf(what, sizeof what, "point %d time", i + 1);
        bool t_ok = get_number(ly, config_setting_get_elem(p, 0), pre, what, &t[i]);
        snprintf(what, sizeof what, "point %d value", i + 1);
        if (!get_number(ly, config_setting_get_elem(p, 1), pre, what, &v[i]))
            ok = false;
        if (!t_ok) {
            ok = have_prev = false;
            continue;
        }
        if (have_prev && !(t[i] > prev)) {
            err_at(ly, p, WD_E_SEMANTIC,
                   "%spoint %d: time %.15g is not after the previous point's time %.15g "
                   "(times must increase strictly)",
                   pre, i + 1, t[i], prev);
            ok = false;
        }
        prev = t[i];
        have_prev = true;
    }
    if (!ok) {
        wd_xfree(t);
        wd_xfree(v);
        return false;
    }
    out->times = t;
    out->values = v;
    out->npoints = (size_t)n;
    out->is_series = true;
    return true;
}

/* One entry { var = "..."; value = x; } or { var = "..."; points = (...);
 * interp = "linear"; }. On success *out and *key (set_key of var) are the
 * caller's. */
static bool parse_entry(layer *ly, const config_setting_t *g, int index, scn_set *out, char **key)
{
    loader *L = ly->L;
    memset(out, 0, sizeof *out);
    *key = NULL;
    char pre[256];
    snprintf(pre, sizeof pre, "set entry %d: ", index);
    if (!config_setting_is_group(g)) {
        err_at(ly, g, WD_E_SEMANTIC, "%smust be a group { var = \"...\"; value = ...; }, found %s",
               pre, type_desc(g));
        return false;
    }
    bool ok = true;
    const config_setting_t *var = config_setting_get_member(g, "var");
    const char *vs = NULL;
    if (!var) {
        err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the name of the model variable, a string)",
               pre);
        ok = false;
    } else if ((vs = get_string(ly, var, pre, "var"))) {
        int kr = set_key(vs, key);
        if (kr == KEY_NOMEM) {
            nomem(L);
            return false;
        }
        if (kr == KEY_BAD) {
            err_at(ly, var, WD_E_SEMANTIC,
                   "%smalformed variable name '%.200s' (expected NAME or NAME[ELEMENT,...])", pre,
                   vs);
            ok = false;
        } else {
            snprintf(pre, sizeof pre, "set '%.200s': ", vs);
        }
    } else {
        ok = false;
    }
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        if (name_index(entry_names, config_setting_name(m)) < 0) {
            report_unknown(ly, m, pre, NULL, entry_names, false);
            ok = false;
        }
    }
    const config_setting_t *value = config_setting_get_member(g, "value");
    const config_setting_t *points = config_setting_get_member(g, "points");
    const config_setting_t *interp = config_setting_get_member(g, "interp");
    if (value && points) {
        err_at(ly, points, WD_E_SEMANTIC, "%shas both value and points; give exactly one", pre);
        ok = false;
    } else if (!value && !points) {
        err_at(ly, g, WD_E_SEMANTIC, "%sneeds a value or points", pre);
        ok = false;
    }
    if (value && !get_number(ly, value, pre, "value", &out->value))
        ok = false;
    if (points && !parse_points(ly, points, pre, out))
        ok = false;
    if (interp) {
        const char *is = get_string(ly, interp, pre, "interp");
        int k = is ? name_index_ci(interp_names, is) : -1;
        if (is && k < 0) {
            err_at(ly, interp, WD_E_SEMANTIC, "%sunknown interp '%.100s'; known: linear, step",
                   pre, is);
        }
        if (k < 0)
            ok = false;
        else
            out->interp = (scn_interp)k;
        if (k >= 0 && value && !points)
            warn_at(ly, interp, "%sinterp is ignored for a constant value", pre);
    }
    if (ok && !oom(L)) {
        size_t first;
        if (!ly->keys && !(ly->keys = wd_map_new())) {
            nomem(L);
        } else if (wd_map_get(ly->keys, *key, &first)) {
            err_at(ly, var, WD_E_SEMANTIC, "%sis set twice in this file (first at line %zu)", pre,
                   first);
            ok = false;
        } else if (!wd_map_put(ly->keys, *key, config_setting_source_line(var))) {
            nomem(L);
        }
    }
    if (ok && !oom(L) && !(out->var = wd_xstrdup(vs)))
        nomem(L);
    if (!ok || oom(L)) {
        set_clear(out);
        wd_xfree(*key);
        *key = NULL;
        return false;
    }
    out->src = src_of(ly, var);
    return true;
}

/* Takes e and key: replaces the entry with the same key or appends. */
static void merge_set(loader *L, scn_set *e, char *key)
{
    size_t idx;
    if (wd_map_get(L->set_index, key, &idx)) {
        set_clear(&L->sets.v[idx]);
        L->sets.v[idx] = *e;
    } else if (!VEC_PUSH(L->sets, *e)) {
        set_clear(e);
        nomem(L);
    } else if (!wd_map_put(L->set_index, key, L->sets.n - 1)) {
        nomem(L);
    }
    wd_xfree(key);
}

static void apply_sets(layer *ly, const config_setting_t *list)
{
    int type = config_setting_type(list);
    if (type == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0)
        return; /* set = []; */
    if (type != CONFIG_TYPE_LIST) {
        err_at(ly, list, WD_E_SEMANTIC,
               "set must be a list of entries ( { var = \"...\"; value = ...; }, ... ), found %s",
               type_desc(list));
        return;
    }
    int n = config_setting_length(list);
    if (n > SCN_MAX_SETS) {
        err_at(ly, list, WD_E_LIMIT, "set has too many entries (%d; the limit is %d)", n,
               SCN_MAX_SETS);
        return;
    }
    for (int i = 0; i < n && !oom(ly->L); i++) {
        scn_set e;
        char *key;
        if (parse_entry(ly, config_setting_get_elem(list, (unsigned)i), i + 1, &e, &key))
            merge_set(ly->L, &e, key);
    }
}

/* ---- the other settings ---------------------------------------------------------------- */

static void apply_time(layer *ly, const config_setting_t *g)
{
    loader *L = ly->L;
    wd_scenario *s = L->s;
    if (!want_group(ly, g, "time", "{ start = ...; stop = ...; step = ...; save = ...; }"))
        return;
    s->time_src = src_of(ly, g);
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        int k = name_index(time_names, nm);
        if (k < 0) {
            report_unknown(ly, m, "", "time", time_names, false);
            continue;
        }
        char what[16];
        snprintf(what, sizeof what, "time.%s", nm);
        double v;
        if (!get_number(ly, m, "", what, &v))
            continue;
        if (k >= 2 && !(v > 0)) {
            err_at(ly, m, WD_E_SEMANTIC, "%s must be > 0, found %.15g", what, v);
            continue;
        }
        switch (k) {
        case 0:
            s->t_start = v;
            L->start_src = src_of(ly, m);
            L->start_seq = ++L->seq;
            break;
        case 1:
            s->t_stop = v;
            L->stop_src = src_of(ly, m);
            L->stop_seq = ++L->seq;
            break;
        case 2: s->t_step = v; break;
        default: s->t_save = v; break;
        }
    }
}

static void apply_solver(layer *ly, const config_setting_t *g)
{
    loader *L = ly->L;
    wd_scenario *s = L->s;
    if (!want_group(ly, g, "solver", "{ method = \"rk4\"; rtol = ...; atol = ...; hmax = ...; }"))
        return;
    s->solver_src = src_of(ly, g);
    int n = config_setting_length(g);
    for (int i = 0; i < n && !oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        int k = name_index(solver_names, nm);
        if (k < 0) {
            report_unknown(ly, m, "", "solver", solver_names, false);
            continue;
        }
        if (k == 0) {
            const char *v = get_string(ly, m, "", "solver.method");
            int mi = v ? name_index_ci(method_names, v) : -1;
            if (v && mi < 0) {
                char all[200];
                list_text(all, sizeof all, method_names);
                err_at(ly, m, WD_E_SEMANTIC, "unknown solver method '%.100s'; known: %s", v, all);
            }
            if (mi >= 0)
                replace_str(L, &s->method, method_names[mi]);
            continue;
        }
        char what[16];
        snprintf(what, sizeof what, "solver.%s", nm);
        double v;
        if (!get_number(ly, m, "", what, &v))
            continue;
        if (!(v > 0)) {
            err_at(ly, m, WD_E_SEMANTIC, "%s must be > 0, found %.15g", what, v);
            continue;
        }
        if (k == 1)
            s->rtol = v;
        else if (k == 2)
            s->atol = v;
        else
            s->hmax = v;
    }
}

bool scn_push_data(wd_scenario *s, char *path)
{
    char **nd = wd_xrealloc(s->data, (s->ndata + 1) * sizeof(char *));
    if (!nd) {
        wd_xfree(path);
        return false;
    }
    s->data = nd;
    s->data[s->ndata++] = path;
    return true;
}

/* A non-negative integer that fits an unsigned long (42.0 is fine; 4.5 is
 * not); what names the setting in messages. */
static bool get_seed(layer *ly, const config_setting_t *m, const char *what, unsigned long *out)
{
    bool ok = false;
    unsigned long v = 0;
    switch (config_setting_type(m)) {
    case CONFIG_TYPE_INT: {
        int i = config_setting_get_int(m);
        ok = i >= 0;
        v = (unsigned long)i;
        break;
    }
    case CONFIG_TYPE_INT64: {
        long long i = config_setting_get_int64(m);
        ok = i >= 0 && (unsigned long long)i == (unsigned long)i;
        v = (unsigned long)i;
        break;
    }
    case CONFIG_TYPE_FLOAT: { /* 42.0 is fine; 4.5 is not */
        double d = config_setting_get_float(m);
        ok = d >= 0 && d == floor(d) && d < (double)ULONG_MAX;
        v = ok ? (unsigned long)d : 0;
        break;
    }
    default:
        err_at(ly, m, WD_E_SEMANTIC, "%s must be an integer, found %s", what, type_desc(m));
        return false;
    }
    if (!ok) {
        double d = config_setting_type(m) == CONFIG_TYPE_FLOAT ? config_setting_get_float(m)
                   : config_setting_type(m) == CONFIG_TYPE_INT64
                       ? (double)config_setting_get_int64(m)
                       : config_setting_get_int(m);
        err_at(ly, m, WD_E_SEMANTIC, "%s must be a non-negative integer, found %.15g", what, d);
        return false;
    }
    *out = v;
    return true;
}

static void apply_seed(layer *ly, const config_setting_t *m)
{
    wd_scenario *s = ly->L->s;
    unsigned long v;
    if (!get_seed(ly, m, "seed", &v))
        return;
    s->seed = v;
    s->has_seed = true;
}

static void apply_model(layer *ly, const config_setting_t *m)
{
    const char *v = get_string(ly, m, "", "model");
    if (!v)
        return;
    char *path = resolve_existing(ly, (int)config_setting_source_line(m), v, NULL);
    if (!path)
        return;
    wd_xfree(ly->L->s->model);
    ly->L->s->model = path;
    ly->L->s->model_src = src_of(ly, m);
}

/* data = ["file.tab", ...]: data files for the model's variables without
 * equations, each relative to this file and required to exist. */
static void apply_data(layer *ly, const config_setting_t *m)
{
    loader *L = ly->L;
    wd_scenario *s = L->s;
    int t = config_setting_type(m);
    if (t == CONFIG_TYPE_STRING) {
        const char *v = get_string(ly, m, "", "data");
        char *path = v ? resolve_existing(ly, (int)config_setting_source_line(m), v, NULL) : NULL;
        if (path && !scn_push_data(s, path))
            nomem(L);
        return;
    }
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
        err_at(ly, m, WD_E_SEMANTIC, "data must be a list of file names [\"data.tab\", ...], found %s", type_desc(m));
        return;
    }
    int n = config_setting_length(m);
    for (int j = 0; j < n && !oom(L); j++) {
        const config_setting_t *e = config_setting_get_elem(m, (unsigned)j);
        char what[40];
        snprintf(what, sizeof what, "data element %d", j + 1);
        const char *v = get_string(ly, e, "", what);
        char *path = v ? resolve_existing(ly, (int)config_setting_source_line(e), v, NULL) : NULL;
        if (path && !scn_push_data(s, path))
            nomem(L);
    }
}

static void apply_output(layer *ly, const config_setting_t *g)
{
    loader *L = ly->L;
    wd_scenario *s = L->s;
    if (!want_group(ly, g, "output", "{ file = \"...\"; format = \"h5\"; vars = [...]; }"))
        return;
    s->output_src = src_of(ly, g);
    int n = config_setting_length(g);
    for (int i = 0; i < n && !oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        int k = name_index(output_names, nm);
        if (k < 0) {
            report_unknown(ly, m, "", "output", output_names, false);
        } else if (k == 0) { /* file: relative to this file; need not exist yet */
            const char *v = get_string(ly, m, "", "output.file");
            char *path = v ? wd_path_join(ly->dir, v) : NULL;
            if (v && !path) {
                nomem(L);
            } else if (path) {
                wd_xfree(s->out_file);
                s->out_file = path;
            }
        } else if (k == 1) {
            const char *v = get_string(ly, m, "", "output.format");
            int fi = v ? name_index_ci(format_names, v) : -1;
            if (v && fi < 0)
                err_at(ly, m, WD_E_SEMANTIC, "unknown output format '%.100s'; known: h5, tsv, csv",
                       v);
            if (fi >= 0)
                replace_str(L, &s->out_format, format_names[fi]);
        } else { /* vars: replaced as a whole; empty = every variable */
            int t = config_setting_type(m);
            if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
                err_at(ly, m, WD_E_SEMANTIC,
                       "output.vars must be a list of variable names [\"...\", ...], found %s",
                       type_desc(m));
                continue;
            }
            int nv = config_setting_length(m);
            char **vars = nv ? wd_xcalloc((size_t)nv, sizeof *vars) : NULL;
            if (nv && !vars) {
                nomem(L);
                continue;
            }
            bool ok = true;
            for (int j = 0; j < nv && !oom(L); j++) {
                const config_setting_t *e = config_setting_get_elem(m, (unsigned)j);
                char what[40];
                snprintf(what, sizeof what, "output.vars element %d", j + 1);
                const char *v = get_string(ly, e, "", what);
                if (!v)
                    ok = false;
                else if (ok && !(vars[j] = wd_xstrdup(v)))
                    nomem(L);
            }
            ok = ok && !oom(L);
            if (!ok) {
                for (int j = 0; j < nv; j++)
                    wd_xfree(vars[j]);
                wd_xfree(vars);
                continue;
            }
            for (size_t j = 0; j < s->nout_vars; j++)
                wd_xfree(s->out_vars[j]);
            wd_xfree(s->out_vars);
            s->out_vars = vars;
            s->nout_vars = (size_t)nv;
        }
    }
}

/* ---- sweep = { ... } ------------------------------------------------------------------ */

static void param_clear(scn_sweep_param *p)
{
    wd_xfree(p->var);
    wd_xfree(p->values);
    wd_xfree(p->weights);
    memset(p, 0, sizeof *p);
}

static void metric_clear(scn_metric *m)
{
    wd_xfree(m->name);
    wd_xfree(m->var);
    memset(m, 0, sizeof *m);
}

static void sweep_free_params(scn_sweep *w)
{
    for (size_t i = 0; i < w->nparams; i++)
        param_clear(&w->params[i]);
    wd_xfree(w->params);
    w->params = NULL;
    w->nparams = 0;
}

static void sweep_free_metrics(scn_sweep *w)
{
    for (size_t i = 0; i < w->nmetrics; i++)
        metric_clear(&w->metrics[i]);
    wd_xfree(w->metrics);
    w->metrics = NULL;
    w->nmetrics = 0;
}

static void sweep_free_store(scn_sweep *w)
{
    for (size_t i = 0; i < w->nstore; i++)
        wd_xfree(w->store[i].var);
    wd_xfree(w->store);
    w->store = NULL;
    w->nstore = 0;
}

/* A whole number in [lo, hi], written as an integer or as a float with no
 * fraction. */
static bool get_count(layer *ly, const config_setting_t *cs, const char *pre, const char *what,
                      double lo, double hi, unsigned long *out)
{
    double v;
    if (!get_number(ly, cs, pre, what, &v))
        return false;
    if (v != floor(v) || v < lo || v > hi) {
        err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be a whole number from %.0f to %.0f, found %.15g",
               pre, what, lo, hi, v);
        return false;
    }
    *out = (unsigned long)v;
    return true;
}

/* A variable name as in set entries (set_key's syntax): a heap copy, or NULL
 * (reported). */
static char *get_var(layer *ly, const config_setting_t *cs, const char *pre, const char *what)
{
    const char *v = get_string(ly, cs, pre, what);
    if (!v)
        return NULL;
    char *key = NULL;
    int kr = set_key(v, &key);
    wd_xfree(key);
    if (kr == KEY_NOMEM) {
        nomem(ly->L);
        return NULL;
    }
    if (kr == KEY_BAD) {
        err_at(ly, cs, WD_E_SEMANTIC, "%smalformed variable name '%.200s' (expected NAME or NAME[ELEMENT,...])",
               pre, v);
        return NULL;
    }
    char *c = wd_xstrdup(v);
    if (!c)
        nomem(ly->L);
    return c;
}

/* An array or list of numbers; *n = 0 for an empty one. Heap array or NULL. */
static double *get_numbers(layer *ly, const config_setting_t *cs, const char *pre, const char *what,
                           size_t *n, bool *ok)
{
    *n = 0;
    int t = config_setting_type(cs);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
        err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be an array of numbers [1.0, 2.0, ...], found %s", pre, what,
               type_desc(cs));
        *ok = false;
        return NULL;
    }
    int len = config_setting_length(cs);
    if (len == 0)
        return NULL;
    double *v = wd_xmalloc((size_t)len * sizeof *v);
    if (!v) {
        nomem(ly->L);
        *ok = false;
        return NULL;
    }
    for (int i = 0; i < len; i++) {
        char w[64];
        snprintf(w, sizeof w, "%s element %d", what, i + 1);
        if (!get_number(ly, config_setting_get_elem(cs, (unsigned)i), pre, w, &v[i]))
            *ok = false;
    }
    *n = (size_t)len;
    return v;
}

/* Which numbers each distribution takes (bit i = sweep_param_names[i]); the rest
 * is refused so that a number meant for another distribution is not ignored
 * silently. */
enum { PN_VAR, PN_DIST, PN_MIN, PN_MAX, PN_MODE, PN_MEAN, PN_SD, PN_MU, PN_SIGMA, PN_VALUES,
       PN_WEIGHTS, PN_LEVELS };
#define PB(x) (1u << (x))
static const unsigned dist_allows[] = {
    [SCN_UNIFORM] = PB(PN_MIN) | PB(PN_MAX),
    [SCN_NORMAL] = PB(PN_MEAN) | PB(PN_SD) | PB(PN_MIN) | PB(PN_MAX),
    [SCN_LOGNORMAL] = PB(PN_MU) | PB(PN_SIGMA) | PB(PN_MIN) | PB(PN_MAX),
    [SCN_TRIANGULAR] = PB(PN_MIN) | PB(PN_MODE) | PB(PN_MAX),
    [SCN_DISCRETE] = PB(PN_VALUES) | PB(PN_WEIGHTS),
};
static const unsigned dist_needs[] = {
    [SCN_UNIFORM] = PB(PN_MIN) | PB(PN_MAX),
    [SCN_NORMAL] = PB(PN_MEAN) | PB(PN_SD),
    [SCN_LOGNORMAL] = PB(PN_MU) | PB(PN_SIGMA),
    [SCN_TRIANGULAR] = PB(PN_MIN) | PB(PN_MODE) | PB(PN_MAX),
    [SCN_DISCRETE] = PB(PN_VALUES),
};
static const char *const dist_example[] = {
    [SCN_UNIFORM] = "{ var = \"x\"; min = 0.1; max = 0.5; }",
    [SCN_NORMAL] = "{ var = \"x\"; dist = \"normal\"; mean = 1.0; sd = 0.2; }",
    [SCN_LOGNORMAL] = "{ var = \"x\"; dist = \"lognormal\"; mu = 0.0; sigma = 0.5; }",
    [SCN_TRIANGULAR] = "{ var = \"x\"; dist = \"triangular\"; min = 0; mode = 1; max = 3; }",
    [SCN_DISCRETE] = "{ var = \"x\"; dist = \"discrete\"; values = [1.0, 2.0, 5.0]; }",
};

/* One entry of sweep.params. Returns false (reported) when it is unusable. */
static bool parse_param(layer *ly, const config_setting_t *g, int index, scn_sweep_param *out)
{
    memset(out, 0, sizeof *out);
    out->min = out->max = out->mode = out->mean = out->sd = out->mu = out->sigma = NAN;
    char pre[256];
    snprintf(pre, sizeof pre, "sweep.params entry %d: ", index);
    if (!config_setting_is_group(g)) {
        err_at(ly, g, WD_E_SEMANTIC, "%smust be a group %s, found %s", pre, dist_example[SCN_UNIFORM],
               type_desc(g));
        return false;
    }
    bool ok = true;
    const config_setting_t *var = config_setting_get_member(g, "var");
    if (!var) {
        err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model variable to vary, a string)", pre);
        ok = false;
    } else if (!(out->var = get_var(ly, var, pre, "var"))) {
        ok = false;
    } else {
        snprintf(pre, sizeof pre, "sweep param '%.200s': ", out->var);
        out->src = src_of(ly, var);
    }
    if (!var)
        out->src = src_of(ly, g);
    unsigned given = 0;
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        int k = name_index(sweep_param_names, config_setting_name(m));
        if (k < 0) {
            report_unknown(ly, m, pre, NULL, sweep_param_names, false);
            ok = false;
        } else {
            given |= PB(k);
        }
    }
    const config_setting_t *dist = config_setting_get_member(g, "dist");
    out->dist = (given & PB(PN_VALUES)) ? SCN_DISCRETE : SCN_UNIFORM;
    if (dist) {
        const char *ds = get_string(ly, dist, pre, "dist");
        int k = ds ? name_index_ci(scn_dist_names, ds) : -1;
        if (ds && k < 0) {
            char all[200];
            list_text(all, sizeof all, scn_dist_names);
            err_at(ly, dist, WD_E_SEMANTIC, "%sunknown dist '%.100s'; known: %s", pre, ds, all);
        }
        if (k < 0)
            goto fail;
        out->dist = (scn_dist)k;
    }
    const char *dn = scn_dist_names[out->dist];
    for (int k = PN_MIN; k <= PN_WEIGHTS; k++) {
        const config_setting_t *m = config_setting_get_member(g, sweep_param_names[k]);
        if ((given & PB(k)) && !(dist_allows[out->dist] & PB(k))) {
            err_at(ly, m, WD_E_SEMANTIC, "%s%s is not a setting of dist \"%s\" (example: %s)", pre, sweep_param_names[k],
                   dn, dist_example[out->dist]);
            ok = false;
        } else if (!(given & PB(k)) && (dist_needs[out->dist] & PB(k))) {
            err_at(ly, g, WD_E_SEMANTIC, "%sdist \"%s\" needs %s (example: %s)", pre, dn, sweep_param_names[k],
                   dist_example[out->dist]);
            ok = false;
        }
    }
    double *const num[] = {[PN_MIN] = &out->min,   [PN_MAX] = &out->max, [PN_MODE] = &out->mode,
                           [PN_MEAN] = &out->mean, [PN_SD] = &out->sd,   [PN_MU] = &out->mu,
                           [PN_SIGMA] = &out->sigma};
    for (int k = PN_MIN; k <= PN_SIGMA; k++) {
        const config_setting_t *m = config_setting_get_member(g, sweep_param_names[k]);
        if (m && (dist_allows[out->dist] & PB(k)) && !get_number(ly, m, pre, sweep_param_names[k], num[k]))
            ok = false;
    }
    const config_setting_t *levels = config_setting_get_member(g, "levels");
    unsigned long lv = 0;
    if (levels) {
        if (get_count(ly, levels, pre, "levels", 1, 1e6, &lv))
            out->levels = (unsigned)lv;
        else
            ok = false;
    }
    if (!ok)
        goto fail;
    /* The numbers of one distribution against each other. */
    const config_setting_t *at = g;
    bool has_min = !isnan(out->min), has_max = !isnan(out->max);
    if (has_min && has_max && !(out->min < out->max)) {
        err_at(ly, at, WD_E_SEMANTIC, "%smin = %.15g must be less than max = %.15g", pre, out->min, out->max);
        ok = false;
    }
    switch (out->dist) {
    case SCN_TRIANGULAR:
        if (ok && !(out->mode >= out->min && out->mode <= out->max)) {
            err_at(ly, at, WD_E_SEMANTIC, "%smode = %.15g must lie within [min, max] = [%.15g, %.15g]", pre,
                   out->mode, out->min, out->max);
            ok = false;
        }
        break;
    case SCN_NORMAL:
        if (!(out->sd > 0)) {
            err_at(ly, at, WD_E_SEMANTIC, "%ssd must be > 0, found %.15g", pre, out->sd);
            ok = false;
        }
        break;
    case SCN_LOGNORMAL:
        if (!(out->sigma > 0)) {
            err_at(ly, at, WD_E_SEMANTIC, "%ssigma must be > 0, found %.15g", pre, out->sigma);
            ok = false;
        }
        if (has_min && out->min < 0) {
            err_at(ly, at, WD_E_SEMANTIC, "%smin = %.15g: a lognormal value is never negative", pre, out->min);
            ok = false;
        }
        break;
    case SCN_DISCRETE: {
        const config_setting_t *vs = config_setting_get_member(g, "values");
        out->values = get_numbers(ly, vs, pre, "values", &out->nvalues, &ok);
        if (ok && out->nvalues == 0) {
            err_at(ly, vs, WD_E_SEMANTIC, "%svalues is empty; give at least one value", pre);
            ok = false;
        }
        const config_setting_t *ws = config_setting_get_member(g, "weights");
        if (ws && ok) {
            size_t nw = 0;
            out->weights = get_numbers(ly, ws, pre, "weights", &nw, &ok);
            double sum = 0;
            for (size_t i = 0; ok && i < nw; i++) {
                if (!(out->weights[i] >= 0)) {
                    err_at(ly, ws, WD_E_SEMANTIC, "%sweight %zu is %.15g; weights must be >= 0", pre, i + 1,
                           out->weights[i]);
                    ok = false;
                }
                sum += out->weights[i];
            }
            if (ok && nw != out->nvalues) {
                err_at(ly, ws, WD_E_SEMANTIC, "%s%zu weights for %zu values; give one weight per value", pre, nw,
                       out->nvalues);
                ok = false;
            } else if (ok && !(sum > 0)) {
                err_at(ly, ws, WD_E_SEMANTIC, "%sthe weights add up to 0", pre);
                ok = false;
            }
        }
        break;
    }
    default:
        break;
    }
    if (ok)
        return true;
fail:
    param_clear(out);
    return false;
}

static bool parse_metric(layer *ly, const config_setting_t *g, int index, scn_metric *out)
{
    memset(out, 0, sizeof *out);
    out->at = NAN;
    char pre[256];
    snprintf(pre, sizeof pre, "sweep.metrics entry %d: ", index);
    if (!config_setting_is_group(g)) {
        err_at(ly, g, WD_E_SEMANTIC,
               "%smust be a group { name = \"jobs_2040\"; var = \"jobs\"; at = 2040.0; }, found %s", pre,
               type_desc(g));
        return false;
    }
    out->src = src_of(ly, g);
    bool ok = true;
    const config_setting_t *name = config_setting_get_member(g, "name");
    if (!name) {
        err_at(ly, g, WD_E_SEMANTIC, "%smissing name (the name of the result, e.g. name = \"jobs_2040\";)", pre);
        ok = false;
    } else {
        const char *v = get_string(ly, name, pre, "name");
        if (!v) {
            ok = false;
        } else if (strchr(v, '/')) {
            err_at(ly, name, WD_E_SEMANTIC, "%sname '%.200s' must not contain '/'", pre, v);
            ok = false;
        } else if (!(out->name = wd_xstrdup(v))) {
            nomem(ly->L);
            return false;
        } else {
            snprintf(pre, sizeof pre, "sweep metric '%.200s': ", v);
            out->src = src_of(ly, name);
        }
    }
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        if (name_index(metric_names, config_setting_name(m)) < 0) {
            report_unknown(ly, m, pre, NULL, metric_names, false);
            ok = false;
        }
    }
    const config_setting_t *var = config_setting_get_member(g, "var");
    if (!var) {
        err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model variable it is computed from)", pre);
        ok = false;
    } else if (!(out->var = get_var(ly, var, pre, "var"))) {
        ok = false;
    }
    const config_setting_t *at = config_setting_get_member(g, "at");
    const config_setting_t *reduce = config_setting_get_member(g, "reduce");
    out->reduce = at ? SCN_AT : SCN_FINAL;
    if (reduce) {
        const char *rs = get_string(ly, reduce, pre, "reduce");
        int k = rs ? name_index_ci(scn_reduce_names, rs) : -1;
        if (rs && k < 0) {
            char all[200];
            list_text(all, sizeof all, scn_reduce_names);
            err_at(ly, reduce, WD_E_SEMANTIC, "%sunknown reduce '%.100s'; known: %s", pre, rs, all);
        }
        if (k < 0)
            ok = false;
        else
            out->reduce = (scn_reduce)k;
    }
    if (at && !get_number(ly, at, pre, "at", &out->at))
        ok = false;
    if (ok && at && out->reduce != SCN_AT) {
        err_at(ly, at, WD_E_SEMANTIC, "%sat = %.15g goes with reduce = \"at\", not \"%s\"", pre, out->at,
               scn_reduce_names[out->reduce]);
        ok = false;
    }
    if (ok && !at && out->reduce == SCN_AT) {
        err_at(ly, reduce, WD_E_SEMANTIC, "%sreduce = \"at\" needs the time: at = 2040.0;", pre);
        ok = false;
    }
    if (ok)
        return true;
    metric_clear(out);
    return false;
}

/* A list of groups: its length, or -1 (reported). An empty array [] or
 * list () is an empty list. */
static int group_list_length(layer *ly, const config_setting_t *cs, const char *what, const char *example)
{
    int t = config_setting_type(cs);
    if ((t == CONFIG_TYPE_ARRAY && config_setting_length(cs) == 0) || t == CONFIG_TYPE_LIST)
        return config_setting_length(cs);
    err_at(ly, cs, WD_E_SEMANTIC, "%s must be a list of groups ( %s, ... ), found %s", what, example,
           type_desc(cs));
    return -1;
}

static void apply_sweep_params(layer *ly, const config_setting_t *list)
{
    scn_sweep *w = &ly->L->s->sweep;
    int n = group_list_length(ly, list, "sweep.params", dist_example[SCN_UNIFORM]);
    if (n < 0)
        return;
    scn_sweep_param *ps = n ? wd_xcalloc((size_t)n, sizeof *ps) : NULL;
    if (n && !ps) {
        nomem(ly->L);
        return;
    }
    bool ok = true;
    size_t np = 0;
    wd_map *seen = wd_map_new();
    if (!seen) {
        wd_xfree(ps);
        nomem(ly->L);
        return;
    }
    for (int i = 0; i < n && !oom(ly->L); i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (!parse_param(ly, g, i + 1, &ps[np])) {
            ok = false;
            continue;
        }
        char *key = NULL;
        size_t first;
        if (set_key(ps[np].var, &key) != KEY_OK) {
            nomem(ly->L);
        } else if (wd_map_get(seen, key, &first)) {
            err_at(ly, config_setting_get_member(g, "var"), WD_E_SEMANTIC,
                   "sweep param '%.200s' is listed twice (first at line %zu)", ps[np].var, first);
            ok = false;
        } else if (!wd_map_put(seen, key, (size_t)ps[np].src.line)) {
            nomem(ly->L);
        }
        wd_xfree(key);
        np++;
    }
    wd_map_free(seen);
    if (!ok || oom(ly->L)) {
        for (size_t i = 0; i < np; i++)
            param_clear(&ps[i]);
        wd_xfree(ps);
        return;
    }
    sweep_free_params(w);
    w->params = ps;
    w->nparams = np;
    w->params_src = src_of(ly, list);
}

static void apply_sweep_metrics(layer *ly, const config_setting_t *list)
{
    scn_sweep *w = &ly->L->s->sweep;
    int n = group_list_length(ly, list, "sweep.metrics", "{ name = \"jobs_2040\"; var = \"jobs\"; at = 2040.0; }");
    if (n < 0)
        return;
    scn_metric *ms = n ? wd_xcalloc((size_t)n, sizeof *ms) : NULL;
    if (n && !ms) {
        nomem(ly->L);
        return;
    }
    bool ok = true;
    size_t nm = 0;
    for (int i = 0; i < n && !oom(ly->L); i++) {
        if (!parse_metric(ly, config_setting_get_elem(list, (unsigned)i), i + 1, &ms[nm])) {
            ok = false;
            continue;
        }
        for (size_t j = 0; j < nm; j++)
            if (strcmp(ms[j].name, ms[nm].name) == 0) {
                err_line(ly, ms[nm].src.line, WD_E_SEMANTIC,
                         "sweep metric '%.200s' is defined twice (first at line %d)", ms[nm].name, ms[j].src.line);
                ok = false;
                break;
            }
        nm++;
    }
    if (!ok || oom(ly->L)) {
        for (size_t i = 0; i < nm; i++)
            metric_clear(&ms[i]);
        wd_xfree(ms);
        return;
    }
    sweep_free_metrics(w);
    w->metrics = ms;
    w->nmetrics = nm;
}

static void apply_sweep_store(layer *ly, const config_setting_t *cs)
{
    scn_sweep *w = &ly->L->s->sweep;
    int t = config_setting_type(cs);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
        err_at(ly, cs, WD_E_SEMANTIC, "sweep.store must be a list of variable names [\"...\", ...], found %s",
               type_desc(cs));
        return;
    }
    int n = config_setting_length(cs);
    scn_store *st = n ? wd_xcalloc((size_t)n, sizeof *st) : NULL;
    if (n && !st) {
        nomem(ly->L);
        return;
    }
    bool ok = true;
    size_t ns = 0;
    for (int i = 0; i < n && !oom(ly->L); i++) {
        const config_setting_t *e = config_setting_get_elem(cs, (unsigned)i);
        char what[40];
        snprintf(what, sizeof what, "sweep.store element %d", i + 1);
        char *v = get_var(ly, e, "", what);
        if (!v) {
            ok = false;
            continue;
        }
        for (size_t j = 0; j < ns; j++) {
            char *k1 = NULL, *k2 = NULL;
            if (set_key(v, &k1) == KEY_OK && set_key(st[j].var, &k2) == KEY_OK && strcmp(k1, k2) == 0) {
                err_at(ly, e, WD_E_SEMANTIC, "sweep.store lists '%.200s' twice", v);
                ok = false;
            }
            wd_xfree(k1);
            wd_xfree(k2);
        }
        st[ns].var = v;
        st[ns].src = src_of(ly, e);
        ns++;
    }
    if (!ok || oom(ly->L)) {
        for (size_t i = 0; i < ns; i++)
            wd_xfree(st[i].var);
        wd_xfree(st);
        return;
    }
    sweep_free_store(w);
    w->store = st;
    w->nstore = ns;
}

/* sweep = { design; samples; seed; levels; resamples; confidence; params;
 * metrics; store; }: field by field over the layers, each list as a whole. */
static void apply_sweep(layer *ly, const config_setting_t *g)
{
    loader *L = ly->L;
    scn_sweep *w = &L->s->sweep;
    if (!want_group(ly, g, "sweep", "{ design = \"lhs\"; samples = 100; params = (...); metrics = (...); }"))
        return;
    w->present = true;
    w->src = src_of(ly, g);
    int n = config_setting_length(g);
    for (int i = 0; i < n && !oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        unsigned long v;
        double x;
        switch (name_index(sweep_names, nm)) {
        case 0: { /* design */
            const char *ds = get_string(ly, m, "", "sweep.design");
            int k = ds ? name_index_ci(scn_design_names, ds) : -1;
            if (ds && k < 0) {
                char all[200];
                list_text(all, sizeof all, scn_design_names);
                err_at(ly, m, WD_E_SEMANTIC, "unknown sweep.design '%.100s'; known: %s", ds, all);
            }
            if (k >= 0) {
                w->design = (scn_design)k;
                w->has_design = true;
                w->design_src = src_of(ly, m);
            }
            break;
        }
        case 1: /* samples */
            if (get_count(ly, m, "", "sweep.samples", 1, 1e9, &v)) {
                w->samples = v;
                w->samples_src = src_of(ly, m);
            }
            break;
        case 2: /* seed */
            if (get_seed(ly, m, "sweep.seed", &v)) {
                w->seed = v;
                w->has_seed = true;
            }
            break;
        case 3: /* levels */
            if (get_count(ly, m, "", "sweep.levels", 2, 1e6, &v)) {
                w->levels = (unsigned)v;
                w->levels_src = src_of(ly, m);
            }
            break;
        case 4: /* resamples */
            if (get_count(ly, m, "", "sweep.resamples", 0, 1e6, &v))
                w->resamples = (long)v;
            break;
        case 5: /* confidence */
            if (get_number(ly, m, "", "sweep.confidence", &x)) {
                if (x > 0 && x < 1)
                    w->confidence = x;
                else
                    err_at(ly, m, WD_E_SEMANTIC, "sweep.confidence must lie strictly between 0 and 1, found %.15g",
                           x);
            }
            break;
        case 6: apply_sweep_params(ly, m); break;
        case 7: apply_sweep_metrics(ly, m); break;
        case 8: apply_sweep_store(ly, m); break;
        default: report_unknown(ly, m, "", "sweep", sweep_names, false); break;
        }
    }
}

/* ---- calibrate ----------------------------------------------------------------------------- */

static const char *const calib_names[] = {"params", "data", "defaults", "starts",
                                          "seed",   "iterations", "fd_step", NULL};
static const char *const param_names[] = {"var", "min", "max", "start", NULL};
static const char *const data_names[] = {"file",  "format", "time",   "value",  "column",
                                         "match", "var",    "name",   "weight", "scale",
                                         "factor", "time_offset", "from", "to", NULL};
static const char *const data_format_names[] = {"long", "wide", NULL};

static void match_clear(scn_match *m)
{
    wd_xfree(m->column);
    for (size_t i = 0; i < m->nvalues; i++)
        wd_xfree(m->values[i]);
    wd_xfree(m->values);
    memset(m, 0, sizeof *m);
}

static void data_clear(scn_data *d)
{
    wd_xfree(d->file);
    wd_xfree(d->time_col);
    wd_xfree(d->value_col);
    wd_xfree(d->column);
    for (size_t i = 0; i < d->nmatch; i++)
        match_clear(&d->match[i]);
    wd_xfree(d->match);
    wd_xfree(d->var);
    wd_xfree(d->label);
    memset(d, 0, sizeof *d);
}

static void calib_free(scn_calib *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nparams; i++)
        wd_xfree(c->params[i].var);
    wd_xfree(c->params);
    for (size_t i = 0; i < c->ndata; i++)
        data_clear(&c->data[i]);
    wd_xfree(c->data);
    wd_xfree(c);
}

/* A deep copy of src into dst (for defaults); false when out of memory. */
static bool data_copy(scn_data *dst, const scn_data *src)
{
    *dst = *src;
    dst->file = dst->time_col = dst->value_col = dst->column = dst->var = dst->label = NULL;
    dst->match = NULL;
    dst->nmatch = 0;
#define DUP(f)                                            \
    if (src->f && !(dst->f = wd_xstrdup(src->f))) {       \
        data_clear(dst);                                  \
        return false;                                     \
    }
    DUP(file) DUP(time_col) DUP(value_col) DUP(column) DUP(var) DUP(label)
#undef DUP
    if (src->nmatch) {
        dst->match = wd_xcalloc(src->nmatch, sizeof *dst->match);
        if (!dst->match) {
            data_clear(dst);
            return false;
        }
        dst->nmatch = src->nmatch;
        for (size_t i = 0; i < src->nmatch; i++) {
            scn_match *m = &dst->match[i];
            const scn_match *s = &src->match[i];
            if (!(m->column = wd_xstrdup(s->column)) ||
                !(m->values = wd_xcalloc(s->nvalues + 1, sizeof *m->values))) {
                data_clear(dst);
                return false;
            }
            for (size_t k = 0; k < s->nvalues; k++) {
                if (!(m->values[k] = wd_xstrdup(s->values[k]))) {
                    data_clear(dst);
                    return false;
                }
                m->nvalues++;
            }
        }
    }
    return true;
}

/* A string setting into *field (replacing what defaults put there). */
static bool data_str(layer *ly, const config_setting_t *m, const char *pre, const char *what,
                     char **field)
{
    const char *v = get_string(ly, m, pre, what);
    if (!v)
        return false;
    replace_str(ly->L, field, v);
    return !oom(ly->L);
}

/* match = { column = "v"; column = ["a", "b"]; }: merged into d's match
 * (a column given again replaces its values). */
static bool parse_match(layer *ly, const config_setting_t *g, const char *pre, scn_data *d)
{
    if (!want_group(ly, g, "match", "{ column = \"value\"; ... }"))
        return false;
    bool ok = true;
    int n = config_setting_length(g);
    for (int i = 0; i < n && !oom(ly->L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *col = config_setting_name(m);
        int t = config_setting_type(m);
        int nv = t == CONFIG_TYPE_STRING ? 1
                 : (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) ? config_setting_length(m)
                                                                     : -1;
        if (nv <= 0) {
            err_at(ly, m, WD_E_SEMANTIC,
                   "%smatch.%s must be a string or a non-empty list of strings, found %s", pre,
                   col, type_desc(m));
            ok = false;
            continue;
        }
        char **vals = wd_xcalloc((size_t)nv, sizeof *vals);
        if (!vals) {
            nomem(ly->L);
            return false;
        }
        bool good = true;
        for (int k = 0; k < nv; k++) {
            const config_setting_t *e =
                t == CONFIG_TYPE_STRING ? m : config_setting_get_elem(m, (unsigned)k);
            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                err_at(ly, e, WD_E_SEMANTIC, "%smatch.%s: values must be strings, found %s", pre,
                       col, type_desc(e));
                good = false;
                break;
            }
            if (!(vals[k] = wd_xstrdup(config_setting_get_string(e)))) {
                nomem(ly->L);
                good = false;
                break;
            }
        }
        size_t slot = d->nmatch;
        for (size_t k = 0; k < d->nmatch; k++)
            if (strcmp(d->match[k].column, col) == 0)
                slot = k;
        if (good && slot == d->nmatch) {
            scn_match *grown = wd_xrealloc(d->match, (d->nmatch + 1) * sizeof *grown);
            if (!grown) {
                nomem(ly->L);
                good = false;
            } else {
                d->match = grown;
                memset(&d->match[d->nmatch++], 0, sizeof *grown);
                if (!(d->match[slot].column = wd_xstrdup(col))) {
                    nomem(ly->L);
                    good = false;
                }
            }
        }
        if (!good) {
            for (int k = 0; k < nv; k++)
                wd_xfree(vals[k]);
            wd_xfree(vals);
            ok = false;
            continue;
        }
        scn_match *mm = &d->match[slot];
        for (size_t k = 0; k < mm->nvalues; k++)
            wd_xfree(mm->values[k]);
        wd_xfree(mm->values);
        mm->values = vals;
        mm->nvalues = (size_t)nv;
    }
    return ok;
}

/* The members of one data group (an entry, or defaults) applied onto d. */
static bool parse_data_members(layer *ly, const config_setting_t *g, const char *pre, scn_data *d)
{
    bool ok = true;
    int n = config_setting_length(g);
    for (int i = 0; i < n && !oom(ly->L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        int k = name_index(data_names, nm);
        double v;
        switch (k) {
        case 0: { /* file */
            const char *w = get_string(ly, m, pre, "file");
            char *path = w ? resolve_existing(ly, (int)config_setting_source_line(m), w, NULL) : NULL;
            if (!path) {
                ok = false;
                break;
            }
            wd_xfree(d->file);
            d->file = path;
            break;
        }
        case 1: { /* format */
            const char *w = get_string(ly, m, pre, "format");
            int f = w ? name_index_ci(data_format_names, w) : -1;
            if (w && f < 0)
                err_at(ly, m, WD_E_SEMANTIC, "%sunknown format '%.100s'; known: long, wide", pre, w);
            if (f < 0)
                ok = false;
            else
                d->wide = f == 1;
            break;
        }
        case 2: ok = data_str(ly, m, pre, "time", &d->time_col) && ok; break;
        case 3: ok = data_str(ly, m, pre, "value", &d->value_col) && ok; break;
        case 4: ok = data_str(ly, m, pre, "column", &d->column) && ok; break;
        case 5: ok = parse_match(ly, m, pre, d) && ok; break;
        case 6: {
            char *key = NULL;
            const char *w = get_string(ly, m, pre, "var");
            int kr = w ? set_key(w, &key) : KEY_BAD;
            wd_xfree(key);
            if (kr == KEY_NOMEM) {
                nomem(ly->L);
                return false;
            }
            if (w && kr == KEY_BAD)
                err_at(ly, m, WD_E_SEMANTIC,
                       "%smalformed variable name '%.200s' (expected NAME or NAME[ELEMENT,...])", pre, w);
            if (kr != KEY_OK) {
                ok = false;
                break;
            }
            replace_str(ly->L, &d->var, w);
            d->src = src_of(ly, m);
            break;
        }
        case 7: ok = data_str(ly, m, pre, "name", &d->label) && ok; break;
        case 8:
            if (!get_number(ly, m, pre, "weight", &v)) {
                ok = false;
            } else if (!(v > 0)) {
                err_at(ly, m, WD_E_SEMANTIC, "%sweight must be > 0, found %.15g", pre, v);
                ok = false;
            } else {
                d->weight = v;
            }
            break;
        case 9: /* scale: "relative", "absolute", "pointwise" or a number > 0 */
            if (config_setting_type(m) == CONFIG_TYPE_STRING) {
                const char *w = config_setting_get_string(m);
                if (strcasecmp(w, "relative") == 0) {
                    d->scale = SCN_SCALE_RELATIVE;
                } else if (strcasecmp(w, "absolute") == 0) {
                    d->scale = SCN_SCALE_ABSOLUTE;
                } else if (strcasecmp(w, "pointwise") == 0) {
                    d->scale = SCN_SCALE_POINTWISE;
                } else {
                    err_at(ly, m, WD_E_SEMANTIC,
                           "%sscale must be \"relative\", \"absolute\", \"pointwise\" or a number > 0, "
                           "found '%.100s'",
                           pre, w);
                    ok = false;
                }
            } else if (get_number(ly, m, pre, "scale", &v)) {
                if (!(v > 0)) {
                    err_at(ly, m, WD_E_SEMANTIC, "%sscale must be > 0, found %.15g", pre, v);
                    ok = false;
                } else {
                    d->scale = SCN_SCALE_NUMBER;
                    d->scale_value = v;
                }
            } else {
                ok = false;
            }
            break;
        case 10:
            if (!get_number(ly, m, pre, "factor", &v)) {
                ok = false;
            } else if (v == 0) {
                err_at(ly, m, WD_E_SEMANTIC, "%sfactor must not be 0", pre);
                ok = false;
            } else {
                d->factor = v;
            }
            break;
        case 11:
            if (get_number(ly, m, pre, "time_offset", &v))
                d->time_offset = v;
            else
                ok = false;
            break;
        case 12:
        case 13:
            if (!get_number(ly, m, pre, nm, &v))
                ok = false;
            else if (k == 12)
                d->from = v;
            else
                d->to = v;
            break;
        default:
            report_unknown(ly, m, pre, NULL, data_names, false);
            ok = false;
            break;
        }
    }
    return ok && !oom(ly->L);
}

/* data = ( {...}, ... ) with defaults applied; replaces the list. */
static void apply_calib_data(layer *ly, const config_setting_t *list, const config_setting_t *defs)
{
    loader *L = ly->L;
    scn_calib *c = L->s->calib;
    scn_data tmpl;
    memset(&tmpl, 0, sizeof tmpl);
    tmpl.weight = 1;
    tmpl.factor = 1;
    tmpl.from = -INFINITY;
    tmpl.to = INFINITY;
    bool ok = true;
    if (defs) {
        if (!want_group(ly, defs, "calibrate.defaults", "{ file = \"...\"; format = \"long\"; ... }"))
            ok = false;
        else if (!parse_data_members(ly, defs, "calibrate.defaults: ", &tmpl))
            ok = false;
        if (tmpl.var) {
            err_at(ly, defs, WD_E_SEMANTIC, "calibrate.defaults: var belongs in each data entry");
            ok = false;
        }
    }
    if (!list) {
        if (defs && ok)
            warn_at(ly, defs, "calibrate.defaults has no data list in this file to apply to");
        data_clear(&tmpl);
        return;
    }
    int type = config_setting_type(list);
    int n = type == CONFIG_TYPE_LIST ? config_setting_length(list)
            : (type == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0) ? 0 : -1;
    if (n < 0) {
        err_at(ly, list, WD_E_SEMANTIC,
               "calibrate.data must be a list of entries ( { file = \"...\"; var = \"...\"; ... }, ... ), "
               "found %s", type_desc(list));
        data_clear(&tmpl);
        return;
    }
    if (n == 0) {
        err_at(ly, list, WD_E_SEMANTIC, "calibrate.data is empty; give at least one series");
        data_clear(&tmpl);
        return;
    }
    scn_data *out = wd_xcalloc((size_t)n, sizeof *out);
    if (!out) {
        nomem(L);
        data_clear(&tmpl);
        return;
    }
    int got = 0;
    for (int i = 0; i < n && !oom(L); i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char pre[64];
        snprintf(pre, sizeof pre, "calibrate.data entry %d: ", i + 1);
        if (!config_setting_is_group(g)) {
            err_at(ly, g, WD_E_SEMANTIC, "%smust be a group { file = \"...\"; var = \"...\"; }, found %s", pre,
                   type_desc(g));
            ok = false;
            continue;
        }
        scn_data *d = &out[got];
        if (!data_copy(d, &tmpl)) {
            nomem(L);
            break;
        }
        d->src = src_of(ly, g);
        bool good = parse_data_members(ly, g, pre, d);
        if (good && !d->var) {
            err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model variable the data are compared with)", pre);
            good = false;
        }
        if (good && !d->file) {
            err_at(ly, g, WD_E_SEMANTIC, "%smissing file (a CSV file of observations)", pre);
            good = false;
        }
        if (good && d->wide && !d->column) {
            err_at(ly, g, WD_E_SEMANTIC, "%sformat \"wide\" needs column = \"...\" (the column of this series)",
                   pre);
            good = false;
        }
        if (good && !d->wide && d->column) {
            err_at(ly, g, WD_E_SEMANTIC, "%scolumn is for format \"wide\"; a long file uses value and match",
                   pre);
            good = false;
        }
        if (good && d->from > d->to) {
            err_at(ly, g, WD_E_SEMANTIC, "%sfrom = %.15g is after to = %.15g", pre, d->from, d->to);
            good = false;
        }
        if (!good) {
            data_clear(d);
            ok = false;
            continue;
        }
        got++;
    }
    data_clear(&tmpl);
    if (!ok || oom(L)) {
        for (int i = 0; i < got; i++)
            data_clear(&out[i]);
        wd_xfree(out);
        return;
    }
    for (size_t i = 0; i < c->ndata; i++)
        data_clear(&c->data[i]);
    wd_xfree(c->data);
    c->data = out;
    c->ndata = (size_t)got;
    c->data_src = src_of(ly, list);
}

/* params = ( { var; min; max; start; }, ... ): merged by variable. */
static void apply_calib_params(layer *ly, const config_setting_t *list)
{
    loader *L = ly->L;
    scn_calib *c = L->s->calib;
    int type = config_setting_type(list);
    int n = type == CONFIG_TYPE_LIST ? config_setting_length(list)
            : (type == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0) ? 0 : -1;
    if (n < 0) {
        err_at(ly, list, WD_E_SEMANTIC,
               "calibrate.params must be a list ( { var = \"...\"; min = ...; max = ...; }, ... ), found %s",
               type_desc(list));
        return;
    }
    wd_map *seen = wd_map_new();
    if (!seen) {
        nomem(L);
        return;
    }
    for (int i = 0; i < n && !oom(L); i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char pre[256];
        snprintf(pre, sizeof pre, "calibrate.params entry %d: ", i + 1);
        if (!config_setting_is_group(g)) {
            err_at(ly, g, WD_E_SEMANTIC, "%smust be a group { var = \"...\"; min = ...; max = ...; }, found %s",
                   pre, type_desc(g));
            continue;
        }
        bool ok = true;
        const config_setting_t *var = config_setting_get_member(g, "var");
        const config_setting_t *mn = config_setting_get_member(g, "min");
        const config_setting_t *mx = config_setting_get_member(g, "max");
        const config_setting_t *st = config_setting_get_member(g, "start");
        const char *vs = NULL;
        char *key = NULL;
        if (!var) {
            err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model constant to fit)", pre);
            ok = false;
        } else if ((vs = get_string(ly, var, pre, "var"))) {
            int kr = set_key(vs, &key);
            if (kr == KEY_NOMEM) {
                nomem(L);
                break;
            }
            if (kr == KEY_BAD) {
                err_at(ly, var, WD_E_SEMANTIC,
                       "%smalformed variable name '%.200s' (expected NAME or NAME[ELEMENT,...])", pre, vs);
                ok = false;
            } else {
                snprintf(pre, sizeof pre, "calibrate parameter '%.200s': ", vs);
            }
        } else {
            ok = false;
        }
        int nm = config_setting_length(g);
        for (int k = 0; k < nm; k++) {
            const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
            if (name_index(param_names, config_setting_name(m)) < 0) {
                report_unknown(ly, m, pre, NULL, param_names, false);
                ok = false;
            }
        }
        scn_param p = {NULL, NAN, NAN, NAN, {NULL, 0}};
        if (!mn || !mx) {
            err_at(ly, g, WD_E_SEMANTIC, "%sneeds both min and max (the range searched)", pre);
            ok = false;
        }
        if (mn && !get_number(ly, mn, pre, "min", &p.min))
            ok = false;
        if (mx && !get_number(ly, mx, pre, "max", &p.max))
            ok = false;
        if (st && !get_number(ly, st, pre, "start", &p.start))
            ok = false;
        if (ok && !(p.min < p.max)) {
            err_at(ly, mx, WD_E_SEMANTIC, "%smin = %.15g must be below max = %.15g", pre, p.min, p.max);
            ok = false;
        }
        if (ok && st && !(p.start >= p.min && p.start <= p.max)) {
            err_at(ly, st, WD_E_SEMANTIC, "%sstart = %.15g is outside [min, max] = [%.15g, %.15g]", pre, p.start,
                   p.min, p.max);
            ok = false;
        }
        size_t first;
        if (ok && wd_map_get(seen, key, &first)) {
            err_at(ly, var, WD_E_SEMANTIC, "%sis listed twice in this file (first at line %zu)", pre, first);
            ok = false;
        } else if (ok && !wd_map_put(seen, key, config_setting_source_line(var))) {
            nomem(L);
        }
        if (!ok || oom(L)) {
            wd_xfree(key);
            continue;
        }
        p.src = src_of(ly, var);
        if (!(p.var = wd_xstrdup(vs))) {
            nomem(L);
            wd_xfree(key);
            break;
        }
        size_t idx;
        if (wd_map_get(L->param_index, key, &idx)) {
            wd_xfree(c->params[idx].var);
            c->params[idx] = p;
        } else {
            scn_param *grown = wd_xrealloc(c->params, (c->nparams + 1) * sizeof *grown);
            if (!grown || !wd_map_put(L->param_index, key, c->nparams)) {
                if (grown)
                    c->params = grown;
                wd_xfree(p.var);
                nomem(L);
            } else {
                c->params = grown;
                c->params[c->nparams++] = p;
            }
        }
        wd_xfree(key);
    }
    wd_map_free(seen);
}

static void apply_calibrate(layer *ly, const config_setting_t *g)
{
    loader *L = ly->L;
    wd_scenario *s = L->s;
    if (!want_group(ly, g, "calibrate", "{ params = (...); data = (...); starts = N; }"))
        return;
    if (!s->calib) {
        if (!(s->calib = wd_xcalloc(1, sizeof *s->calib)) || !(L->param_index = wd_map_new())) {
            nomem(L);
            return;
        }
        s->calib->starts = 1;
        s->calib->iterations = 200;
        s->calib->seed = 1;
        s->calib->fd_step = NAN;
    }
    scn_calib *c = s->calib;
    c->src = src_of(ly, g);
    const config_setting_t *data = NULL, *defs = NULL;
    int n = config_setting_length(g);
    for (int i = 0; i < n && !oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        double v;
        switch (name_index(calib_names, nm)) {
        case 0: apply_calib_params(ly, m); break;
        case 1: data = m; break;
        case 2: defs = m; break;
        case 3:
        case 5:
            if (!get_number(ly, m, "", nm[0] == 's' ? "calibrate.starts" : "calibrate.iterations", &v))
                break;
            if (!(v >= 1 && v <= 100000 && v == floor(v))) {
                err_at(ly, m, WD_E_SEMANTIC, "calibrate.%s must be a whole number from 1 to 100000, found %.15g",
                       nm, v);
                break;
            }
            if (nm[0] == 's')
                c->starts = (int)v;
            else
                c->iterations = (int)v;
            break;
        case 4:
            if (!get_number(ly, m, "", "calibrate.seed", &v))
                break;
            if (!(v >= 0 && v == floor(v) && v < 4294967296.0)) {
                err_at(ly, m, WD_E_SEMANTIC, "calibrate.seed must be a whole number >= 0, found %.15g", v);
                break;
            }
            c->seed = (unsigned long)v;
            c->has_seed = true;
            break;
        case 6:
            if (!get_number(ly, m, "", "calibrate.fd_step", &v))
                break;
            if (!(v > 0 && v < 0.5)) {
                err_at(ly, m, WD_E_SEMANTIC, "calibrate.fd_step must be > 0 and < 0.5 (a relative step), found %.15g",
                       v);
                break;
            }
            c->fd_step = v;
            break;
        default: report_unknown(ly, m, "", "calibrate", calib_names, false); break;
        }
    }
    if (data || defs)
        apply_calib_data(ly, data, defs);
}

/* Applies every top-level setting of one file except extends (loaded before,
 * by load_file). `name` is taken from the top file only: a region or policy
 * file's name describes that layer, and a combined scenario without a name of
 * its own is called after its file, never after one of its layers. Layers'
 * names are still checked. */
static void apply_layer(layer *ly, const config_setting_t *root)
{
    loader *L = ly->L;
    int n = config_setting_length(root);
    for (int i = 0; i < n && !oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(root, (unsigned)i);
        const char *nm = config_setting_name(m);
        switch (name_index(top_names, nm)) {
        case T_NAME: {
            const char *v = get_string(ly, m, "", "name");
            if (v && ly->top)
                replace_str(L, &L->s->name, v);
            break;
        }
        case T_MODEL: apply_model(ly, m); break;
        case T_EXTENDS: break;
        case T_TIME: apply_time(ly, m); break;
        case T_SOLVER: apply_solver(ly, m); break;
        case T_SEED: apply_seed(ly, m); break;
        case T_SET: apply_sets(ly, m); break;
        case T_OUTPUT: apply_output(ly, m); break;
        case T_CALIBRATE: apply_calibrate(ly, m); break;
        case T_DATA: apply_data(ly, m); break;
        case T_SWEEP: apply_sweep(ly, m); break;
        default:
            if (name_index(reserved_names, nm) < 0)
                report_unknown(ly, m, "", NULL, top_names, true);
            break;
        }
    }
}

/* ---- files and layers ------------------------------------------------------------------ */

static void load_file(loader *L, layer *from, int from_line, const char *written);

/* extends = "file" or ["a.cfg", "b.cfg"]: copies the names and lines. */
static void collect_extends(layer *ly, const config_setting_t *ext, pending_vec *pend)
{
    int t = config_setting_type(ext);
    int n = t == CONFIG_TYPE_STRING ? 1
            : (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) ? config_setting_length(ext)
                                                                : -1;
    if (n < 0) {
        err_at(ly, ext, WD_E_SEMANTIC,
               "extends must be a file name or a list of file names [\"...\", ...], found %s",
               type_desc(ext));
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e =
            t == CONFIG_TYPE_STRING ? ext : config_setting_get_elem(ext, (unsigned)i);
        char what[40];
        if (t == CONFIG_TYPE_STRING)
            snprintf(what, sizeof what, "extends");
        else
            snprintf(what, sizeof what, "extends element %d", i + 1);
        const char *v = get_string(ly, e, "", what);
        if (!v)
            continue;
        pending_ext p = {wd_xstrdup(v), (int)config_setting_source_line(e)};
        if (!p.written || !VEC_PUSH(*pend, p)) {
            wd_xfree(p.written);
            nomem(ly->L);
            return;
        }
    }
}

static bool parse_text(layer *ly, config_t *cfg)
{
    config_init(cfg);
    if (config_read_string(cfg, ly->ptext ? ly->ptext : ly->text))
        return true;
    const char *msg = config_error_text(cfg);
    if (!msg)
        msg = "syntax error";
    /* Mixed numbers were made floats by prescan; what is left is a string or
     * boolean among numbers. */
    const char *hint = strcmp(msg, "mismatched element type in array") == 0
                           ? " (the elements of an array [...] must be all numbers, all "
                             "strings or all booleans; a list (...) may mix them)"
                           : "";
    err_line(ly, config_error_line(cfg), WD_E_SYNTAX, "%s%s", msg, hint);
    config_destroy(cfg);
    return false;
}

/* Loads the extends of one parsed file, then applies the file. While the
 * layers load, this file's libconfig tree is dropped (and the text parsed
 * again afterwards), so that only one tree is alive at a time however deep
 * the chain: a tree can take ~45 times the size of its text. */
static void parse_and_apply(layer *ly, size_t file_index)
{
    loader *L = ly->L;
    config_t cfg;
    if (!parse_text(ly, &cfg))
        return;
    config_setting_t *ext = config_setting_get_member(config_root_setting(&cfg), "extends");
    if (ext) {
        pending_vec pend = {0};
        collect_extends(ly, ext, &pend);
        config_destroy(&cfg);
        for (size_t i = 0; i < pend.n && !oom(L); i++)
            load_file(L, ly, pend.v[i].line, pend.v[i].written);
        for (size_t i = 0; i < pend.n; i++)
            wd_xfree(pend.v[i].written);
        VEC_FREE(pend);
        if (oom(L) || !parse_text(ly, &cfg))
            return;
    }
    apply_layer(ly, config_root_setting(&cfg));
    config_destroy(&cfg);
    if (!oom(L) && !VEC_PUSH(L->applied, file_index))
        nomem(L);
}

static bool same_file(file_id a, file_id b) { return a.dev == b.dev && a.ino == b.ino; }

/* Reports a problem with a file: at the extends line that names it, or
 * without a location for the top file. */
static void err_file(loader *L, layer *from, int from_line, wd_status st, const char *fmt, ...)
    WD_PRINTF(5, 6);
static void err_file(loader *L, layer *from, int from_line, wd_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (from)
        report_v(L, WD_ERROR, st, from->path, layer_line(from, from_line), from_line, fmt, ap);
    else
        report_v(L, WD_ERROR, st, NULL, NULL, 0, fmt, ap);
    va_end(ap);
}

/* Loads the file `written` names (relative to from's directory; the top
 * file when from is NULL): its layers, then its settings. Files are told
 * apart by device and inode, so two spellings of one path are one file. */
static void load_file(loader *L, layer *from, int from_line, const char *written)
{
    struct stat st;
    char *path;
    if (from) {
        if (!(path = resolve_existing(from, from_line, written, &st)))
            return;
    } else {
        if (!(path = wd_xstrdup(written))) {
            nomem(L);
            return;
        }
        if (stat(path, &st) != 0) {
            err_nofile(L, WD_E_IO, "cannot open scenario file '%s': %s", path, strerror(errno));
            wd_xfree(path);
            return;
        }
        if (!S_ISREG(st.st_mode)) {
            err_nofile(L, WD_E_IO, "scenario file '%s' is not a regular file", path);
            wd_xfree(path);
            return;
        }
    }
    file_id id = {st.st_dev, st.st_ino};
    for (size_t i = 0; i < L->chain.n; i++) {
        if (!same_file(L->chain.v[i].id, id))
            continue;
        wd_buf b = {0};
        for (size_t j = i; j < L->chain.n; j++)
            wd_buf_printf(&b, "%s -> ", L->chain.v[j].path);
        wd_buf_puts(&b, path);
        if (b.oom)
            nomem(L);
        else
            err_line(from, from_line, WD_E_SEMANTIC, "extends cycle: %s", wd_buf_str(&b));
        wd_buf_free(&b);
        wd_xfree(path);
        return;
    }
    for (size_t i = 0; i < L->done.n; i++)
        if (same_file(L->done.v[i], id)) { /* a diamond: applied already */
            wd_xfree(path);
            return;
        }
    if (L->chain.n >= SCN_MAX_LAYERS) {
        err_line(from, from_line, WD_E_LIMIT, "extends nested more than %d files deep at '%s'",
                 SCN_MAX_LAYERS, path);
        wd_xfree(path);
        return;
    }
    if (!VEC_PUSH(L->done, id)) { /* from here on, a second visit is quiet */
        nomem(L);
        wd_xfree(path);
        return;
    }
    if (st.st_size > SCN_MAX_FILE_BYTES) {
        err_file(L, from, from_line, WD_E_LIMIT,
                 "'%s' is too large for a scenario file (the limit is 16 MiB)", path);
        wd_xfree(path);
        return;
    }
    size_t len = 0;
    errno = 0;
    char *text = wd_read_file(path, &len);
    if (!text) {
        if (errno == ENOMEM || errno == 0) /* 0: copying an empty file failed */
            nomem(L);
        else
            err_file(L, from, from_line, WD_E_IO, "cannot read '%s': %s", path, strerror(errno));
        wd_xfree(path);
        return;
    }
    if (len > (size_t)SCN_MAX_FILE_BYTES) { /* grew since stat */
        err_file(L, from, from_line, WD_E_LIMIT,
                 "'%s' is too large for a scenario file (the limit is 16 MiB)", path);
        wd_xfree(text);
        wd_xfree(path);
        return;
    }
    if (!VEC_RESERVE(L->files, L->files.n + 1) || !VEC_RESERVE(L->texts, L->texts.n + 1)) {
        nomem(L);
        wd_xfree(text);
        wd_xfree(path);
        return;
    }
    size_t fi = L->files.n;
    L->files.v[L->files.n++] = path;
    L->texts.v[L->texts.n++] = text;

    layer ly = {L, path, text, NULL, wd_dirname(path), from == NULL, NULL, 0, NULL};
    if (!ly.dir || !VEC_PUSH(L->chain, ((chain_link){id, path}))) {
        wd_xfree(ly.dir);
        nomem(L);
        return;
    }
    if (prescan(&ly, len))
        parse_and_apply(&ly, fi);
    L->chain.n--;
    wd_xfree(ly.ptext);
    wd_xfree(ly.dir);
    wd_map_free(ly.keys);
}

/* ---- the whole scenario ------------------------------------------------------------------ */

static const char *text_of(const loader *L, const char *file)
{
    for (size_t i = 0; i < L->files.n; i++)
        if (L->files.v[i] == file)
            return L->texts.v[i];
    return NULL;
}

/* Checks that need every layer: the merged time.stop against time.start,
 * reported where the later of the two was set. */
static void check_merged(loader *L)
{
    wd_scenario *s = L->s;
    if (isnan(s->t_start) || isnan(s->t_stop) || !(s->t_stop < s->t_start))
        return;
    bool stop_later = L->stop_seq > L->start_seq;
    scn_src at = stop_later ? L->stop_src : L->start_src;
    scn_src other = stop_later ? L->start_src : L->stop_src;
    const char *text = text_of(L, at.file);
    wd_buf b = {0};
    wd_buf_printf(&b, "time.stop = %.15g is before time.start = %.15g", s->t_stop, s->t_start);
    if (other.file != at.file)
        wd_buf_printf(&b, " (%s set at %s:%d)", stop_later ? "time.start" : "time.stop",
                      other.file, other.line);
    wd_diag_add(L->diags, WD_ERROR, (wd_loc){at.file, at.line, 0},
                text ? wd_source_line(text, at.line) : NULL, "%s", wd_buf_str(&b));
    wd_buf_free(&b);
    set_status(L, WD_E_SEMANTIC);
}

/* The top file's base name without its extension. */
static char *default_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return wd_xstrndup(base, n);
}

/* Every applied file's text, each after a line "# file: PATH". */
static char *provenance_text(const loader *L)
{
    wd_buf b = {0};
    for (size_t i = 0; i < L->applied.n; i++) {
        size_t fi = L->applied.v[i];
        const char *t = L->texts.v[fi];
        size_t n = strlen(t);
        wd_buf_printf(&b, "# file: %s\n", L->files.v[fi]);
        wd_buf_putn(&b, t, n);
        if (n > 0 && t[n - 1] != '\n')
            wd_buf_putc(&b, '\n');
    }
    if (b.oom) {
        wd_buf_free(&b);
        return NULL;
    }
    return wd_buf_take(&b);
}

wd_status scn_load(const char *path, wd_diags *diags, wd_scenario **out)
{
    if (!out)
        return WD_E_ARG;
    *out = NULL;
    if (!path || !path[0]) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){NULL, 0, 0}, NULL, "no scenario file given");
        return WD_E_ARG;
    }
    wd_scenario *s = wd_xcalloc(1, sizeof *s);
    if (!s)
        return WD_E_NOMEM;
    s->t_start = s->t_stop = s->t_step = s->t_save = NAN;
    s->rtol = s->atol = s->hmax = NAN;
    s->sweep.resamples = -1;
    s->sweep.confidence = NAN;
    loader L = {.s = s, .diags = diags};
    if (!(s->path = wd_xstrdup(path)) || !(L.set_index = wd_map_new()))
        nomem(&L);
    else
        load_file(&L, NULL, 0, path);

    if (!oom(&L))
        check_merged(&L);
    if (!oom(&L) && !s->name && !(s->name = default_name(path)))
        nomem(&L);
    if (L.status == WD_OK && !(s->text = provenance_text(&L)))
        nomem(&L);

    s->files = L.files.v;
    s->nfiles = L.files.n;
    s->sets = L.sets.v;
    s->nsets = L.sets.n;
    for (size_t i = 0; i < L.texts.n; i++)
        wd_xfree(L.texts.v[i]);
    VEC_FREE(L.texts);
    VEC_FREE(L.applied);
    VEC_FREE(L.chain);
    VEC_FREE(L.done);
    wd_map_free(L.set_index);
    wd_map_free(L.param_index);

    if (L.status != WD_OK) {
        scn_free(s);
        return L.status;
    }
    *out = s;
    return WD_OK;
}

void scn_free(wd_scenario *s)
{
    if (!s)
        return;
    wd_xfree(s->name);
    wd_xfree(s->path);
    wd_xfree(s->text);
    for (size_t i = 0; i < s->nfiles; i++)
        wd_xfree(s->files[i]);
    wd_xfree(s->files);
    wd_xfree(s->model);
    wd_xfree(s->method);
    for (size_t i = 0; i < s->nsets; i++)
        set_clear(&s->sets[i]);
    wd_xfree(s->sets);
    wd_xfree(s->out_file);
    wd_xfree(s->out_format);
    for (size_t i = 0; i < s->nout_vars; i++)
        wd_xfree(s->out_vars[i]);
    wd_xfree(s->out_vars);
    calib_free(s->calib);
    for (size_t i = 0; i < s->ndata; i++)
        wd_xfree(s->data[i]);
    wd_xfree(s->data);
    sweep_free_params(&s->sweep);
    sweep_free_metrics(&s->sweep);
    sweep_free_store(&s->sweep);
    wd_xfree(s);
}

/* ---- command line ------------------------------------------------------------------------ */

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

wd_status scn_add_set(wd_scenario *s, const char *assignment, wd_diags *diags)
{
    if (!s || !assignment) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){NULL, 0, 0}, NULL, "--set: no assignment given");
        return WD_E_ARG;
    }
    /* NAME=VALUE, split at the last '=' (names have none). */
    const char *eq = strrchr(assignment, '=');
    bool good = eq != NULL;
    char *name = NULL, *key = NULL;
    double v = 0;
    if (good) {
        const char *a = assignment, *b = eq;
        while (a < b && is_blank(*a))
            a++;
        while (b > a && is_blank(b[-1]))
            b--;
        if (!(name = wd_xstrndup(a, (size_t)(b - a))))
            return WD_E_NOMEM;
        const char *num = eq + 1;
        while (is_blank(*num))
            num++;
        char *end;
        errno = 0;
        v = strtod(num, &end);
        good = end != num && isfinite(v);
        while (good && is_blank(*end))
            end++;
        good = good && *end == '\0';
    }
    if (good) {
        int kr = set_key(name, &key);
        if (kr == KEY_NOMEM) {
            wd_xfree(name);
            return WD_E_NOMEM;
        }
        good = kr == KEY_OK;
    }
    if (!good) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){NULL, 0, 0}, NULL,
                    "--set '%s': expected NAME=NUMBER", assignment);
        wd_xfree(name);
        wd_xfree(key);
        return WD_E_ARG;
    }
    size_t idx = s->nsets;
    for (size_t i = 0; i < s->nsets && idx == s->nsets; i++) {
        char *k;
        int kr = set_key(s->sets[i].var, &k);
        if (kr == KEY_NOMEM) {
            wd_xfree(name);
            wd_xfree(key);
            return WD_E_NOMEM;
        }
        if (kr == KEY_OK && strcmp(k, key) == 0)
            idx = i;
        wd_xfree(k);
    }
    wd_xfree(key);
    if (idx == s->nsets) {
        scn_set *grown = wd_xrealloc(s->sets, (s->nsets + 1) * sizeof *grown);
        if (!grown) {
            wd_xfree(name);
            return WD_E_NOMEM;
        }
        s->sets = grown;
        memset(&s->sets[s->nsets++], 0, sizeof *grown);
    }
    scn_set *e = &s->sets[idx];
    set_clear(e);
    e->var = name;
    e->src = (scn_src){"--set", 0};
    e->value = v;
    return WD_OK;
}

/* ---- comparisons ---------------------------------------------------------------------------
 * The `compare` group of a comparison file (scenario.h, docs/comparison.md).
 * The base scenario is the file itself, loaded by scn_load (which ignores the
 * group); the group is then read from the top file alone, and every package
 * and shock layer is loaded with scn_load as a scenario of its own. Kept
 * apart from the loader above: these functions only use its helpers. */

const char *const scn_quantity_names[SCN_NQUANT] = {
    "employment", "jobs", "unemployment_rate", "co2", "gva", "fiscal_balance", "diversification"};

static const char *const compare_names[] = {"regions", "region_range", "packages", "shocks",
                                            "variables", "years", "resilience", "indicators",
                                            "score", "output", NULL};
static const char *const case_names[] = {"name", "label", "doc", "layers", "onset", NULL};
static const char *const years_names[] = {"report", "cumulative_until", NULL};
static const char *const resilience_names[] = {"band", "floor", NULL};
static const char *const cmp_indicator_names[] = {"name", "var", "stat", "year", "better", NULL};
static const char *const stat_names[] = {"value", "change_pct", "cumulative", NULL};
static const char *const better_names[] = {"higher", "lower", NULL};
static const char *const cmp_output_names[] = {"file", "vars", NULL};

/* Limits of a comparison: cells are regions x packages x (shocks + 1). */
#define SCN_MAX_CMP_ITEMS 10000
#define SCN_MAX_CMP_CELLS 100000

enum { SUB_OK, SUB_BAD, SUB_NOMEM };

/* Replaces $region and ${region} in var by region ($$ is one $). With region
 * NULL only checks; *bad_at gets the offset of an unknown placeholder. */
static int subst_region(const char *var, const char *region, char **out, size_t *bad_at)
{
    wd_buf b = {0};
    for (const char *p = var; *p; p++) {
        if (*p != '$') {
            wd_buf_putc(&b, *p);
            continue;
        }
        size_t skip = 0;
        if (p[1] == '$') {
            wd_buf_putc(&b, '$');
            skip = 1;
        } else if (strncmp(p + 1, "{region}", 8) == 0) {
            skip = 8;
        } else if (strncmp(p + 1, "region", 6) == 0 &&
                   !(isalnum((unsigned char)p[7]) || p[7] == '_')) {
            skip = 6;
        } else {
            if (bad_at)
                *bad_at = (size_t)(p - var);
            wd_buf_free(&b);
            return SUB_BAD;
        }
        if (skip != 1 && region)
            wd_buf_puts(&b, region);
        p += skip;
    }
    if (b.oom) {
        wd_buf_free(&b);
        return SUB_NOMEM;
    }
    if (!out) {
        wd_buf_free(&b);
        return SUB_OK;
    }
    *out = b.s ? wd_buf_take(&b) : wd_xstrdup("");
    return *out ? SUB_OK : SUB_NOMEM;
}

int scn_subst_region(const char *var, const char *region, char **out)
{
    *out = NULL;
    return subst_region(var, region, out, NULL) == SUB_OK ? 0 : -1;
}

char *scn_var_key(const char *var)
{
    char *k = NULL;
    return set_key(var, &k) == KEY_OK ? k : NULL;
}

static bool is_ident(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return false;
    return true;
}

/* A string or a list of strings ("what" names it in messages). An empty
 * list is fine. */
static bool get_strings(layer *ly, const config_setting_t *cs, const char *what, char ***out,
                        scn_src **srcs, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (srcs)
        *srcs = NULL;
    int t = config_setting_type(cs);
    int len = t == CONFIG_TYPE_STRING                                 ? 1
              : (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) ? config_setting_length(cs)
                                                                      : -1;
    if (len < 0) {
        err_at(ly, cs, WD_E_SEMANTIC, "%s must be a string or a list of strings [\"...\", ...], found %s",
               what, type_desc(cs));
        return false;
    }
    if (len > SCN_MAX_CMP_ITEMS) {
        err_at(ly, cs, WD_E_LIMIT, "%s has too many entries (%d; the limit is %d)", what, len,
               SCN_MAX_CMP_ITEMS);
        return false;
    }
    char **v = wd_xcalloc((size_t)len + 1, sizeof *v);
    scn_src *sv = srcs ? wd_xcalloc((size_t)len + 1, sizeof *sv) : NULL;
    if (!v || (srcs && !sv)) {
        wd_xfree(v);
        wd_xfree(sv);
        nomem(ly->L);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = t == CONFIG_TYPE_STRING ? cs : config_setting_get_elem(cs, (unsigned)i);
        char w[80];
        snprintf(w, sizeof w, "%s element %d", what, i + 1);
        const char *s = get_string(ly, e, "", t == CONFIG_TYPE_STRING ? what : w);
        if (!s) {
            ok = false;
            continue;
        }
        if (!(v[i] = wd_xstrdup(s))) {
            nomem(ly->L);
            ok = false;
        }
        if (sv)
            sv[i] = src_of(ly, e);
    }
    if (!ok) {
        for (int i = 0; i < len; i++)
            wd_xfree(v[i]);
        wd_xfree(v);
        wd_xfree(sv);
        return false;
    }
    *out = v;
    *n = (size_t)len;
    if (srcs)
        *srcs = sv;
    return true;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        wd_xfree(v[i]);
    wd_xfree(v);
}

static void case_clear(scn_cmp_case *k)
{
    wd_xfree(k->name);
    wd_xfree(k->label);
    wd_xfree(k->doc);
    for (size_t i = 0; i < k->nlayers; i++)
        scn_free(k->layers[i]);
    wd_xfree(k->layers);
    memset(k, 0, sizeof *k);
}

/* Checks that a package or shock layer only sets variables, and that the
 * placeholders in its set entries are known. */
static void check_cmp_layer(layer *ly, int line, const wd_scenario *sc, const char *kind)
{
    loader *L = ly->L;
    const struct {
        bool present;
        scn_src src;
        const char *what;
    } forbidden[] = {
        {sc->model != NULL, sc->model_src, "model"},
        {!isnan(sc->t_start) || !isnan(sc->t_stop) || !isnan(sc->t_step) || !isnan(sc->t_save),
         sc->time_src, "time"},
        {sc->method || !isnan(sc->rtol) || !isnan(sc->atol) || !isnan(sc->hmax), sc->solver_src,
         "solver"},
        {sc->out_file || sc->out_format || sc->out_vars, sc->output_src, "output"},
        {sc->has_seed, (scn_src){NULL, 0}, "seed"},
    };
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        if (!forbidden[i].present)
            continue;
        if (forbidden[i].src.file)
            wd_diag_add(L->diags, WD_ERROR, (wd_loc){forbidden[i].src.file, forbidden[i].src.line, 0}, NULL,
                        "a %s layer may only set variables (set, extends); '%s' belongs in the "
                        "comparison file, where it applies to every run",
                        kind, forbidden[i].what);
        else
            err_line(ly, line, WD_E_SEMANTIC,
                     "this %s layer sets '%s'; a layer may only set variables (set, extends)", kind,
                     forbidden[i].what);
        set_status(L, WD_E_SEMANTIC);
    }
    for (size_t i = 0; i < sc->nsets; i++) {
        size_t at = 0;
        int r = subst_region(sc->sets[i].var, NULL, NULL, &at);
        if (r == SUB_NOMEM) {
            nomem(L);
        } else if (r == SUB_BAD) {
            wd_diag_add(L->diags, WD_ERROR, (wd_loc){sc->sets[i].src.file, sc->sets[i].src.line, 0}, NULL,
                        "set '%s': unknown placeholder at '%.20s' (known: $region or ${region}; "
                        "$$ for a literal $)",
                        sc->sets[i].var, sc->sets[i].var + at);
            set_status(L, WD_E_SEMANTIC);
        }
    }
}

/* One entry of packages or shocks. */
static bool parse_case(layer *ly, const config_setting_t *g, int index, bool shock, scn_cmp_case *out)
{
    loader *L = ly->L;
    const char *kind = shock ? "shock" : "package";
    memset(out, 0, sizeof *out);
    out->onset = NAN;
    out->src = src_of(ly, g);
    char pre[80];
    snprintf(pre, sizeof pre, "compare.%ss entry %d: ", kind, index);
    if (!config_setting_is_group(g)) {
        err_at(ly, g, WD_E_SEMANTIC, "%smust be a group { name = \"...\"; layers = [\"...\"]; }, found %s",
               pre, type_desc(g));
        return false;
    }
    bool ok = true;
    const config_setting_t *m;
    if (!(m = config_setting_get_member(g, "name"))) {
        err_at(ly, g, WD_E_SEMANTIC, "%smissing name (an identifier such as \"cbam\")", pre);
        ok = false;
    } else {
        const char *v = get_string(ly, m, pre, "name");
        if (v && !is_ident(v)) {
            err_at(ly, m, WD_E_SEMANTIC, "%sname '%.100s' may only hold letters, digits, '_', '-' and '.'",
                   pre, v);
            ok = false;
        } else if (v && shock && (!strcmp(v, "none") || !strcmp(v, "all"))) {
            err_at(ly, m, WD_E_SEMANTIC,
                   "%sthe shock names 'none' (the unshocked counterfactual) and 'all' (rankings "
                   "across shocks) are reserved",
                   pre);
            ok = false;
        } else if (v && !(out->name = wd_xstrdup(v))) {
            nomem(L);
        }
        if (!v)
            ok = false;
        else
            snprintf(pre, sizeof pre, "%s '%.40s': ", kind, v);
    }
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        int k = name_index(case_names, config_setting_name(e));
        if (k < 0) {
            report_unknown(ly, e, pre, NULL, case_names, false);
            ok = false;
        } else if (k == 4 && !shock) {
            err_at(ly, e, WD_E_SEMANTIC, "%sonset applies to shocks only", pre);
            ok = false;
        }
    }
    if ((m = config_setting_get_member(g, "label"))) {
        const char *v = get_string(ly, m, pre, "label");
        if (v && !(out->label = wd_xstrdup(v)))
            nomem(L);
        ok = ok && v;
    }
    if ((m = config_setting_get_member(g, "doc"))) {
        if (config_setting_type(m) != CONFIG_TYPE_STRING) {
            err_at(ly, m, WD_E_SEMANTIC, "%sdoc must be a string, found %s", pre, type_desc(m));
            ok = false;
        } else if (!(out->doc = wd_xstrdup(config_setting_get_string(m)))) {
            nomem(L);
        }
    }
    if (shock && (m = config_setting_get_member(g, "onset")) &&
        !get_number(ly, m, pre, "onset", &out->onset))
        ok = false;
    char **files = NULL;
    scn_src *fsrc = NULL;
    size_t nf = 0;
    if (!(m = config_setting_get_member(g, "layers"))) {
        err_at(ly, g, WD_E_SEMANTIC, "%smissing layers (a list of scenario files, [] for none)", pre);
        ok = false;
    } else if (!get_strings(ly, m, "layers", &files, &fsrc, &nf)) {
        ok = false;
    }
    if (nf) {
        out->layers = wd_xcalloc(nf, sizeof *out->layers);
        if (!out->layers)
            nomem(L);
    }
    for (size_t i = 0; i < nf && out->layers && !oom(L); i++) {
        char *path = resolve_existing(ly, fsrc[i].line, files[i], NULL);
        if (!path) {
            ok = false;
            continue;
        }
        wd_scenario *sc = NULL;
        wd_status st = scn_load(path, L->diags, &sc);
        wd_xfree(path);
        if (st != WD_OK) {
            set_status(L, st);
            wd_diag_add(L->diags, WD_NOTE, (wd_loc){ly->path, fsrc[i].line, 0}, layer_line(ly, fsrc[i].line),
                        "in this %s layer", kind);
            ok = false;
            continue;
        }
        out->layers[out->nlayers++] = sc;
        size_t before = wd_diags_count(L->diags, WD_ERROR);
        check_cmp_layer(ly, fsrc[i].line, sc, kind);
        if (wd_diags_count(L->diags, WD_ERROR) > before)
            ok = false;
    }
    free_strings(files, nf);
    wd_xfree(fsrc);
    if (ok && !oom(L) && !out->label && !(out->label = wd_xstrdup(out->name)))
        nomem(L);
    if (ok && !oom(L) && !out->doc && !(out->doc = wd_xstrdup("")))
        nomem(L);
    if (!ok || oom(L)) {
        case_clear(out);
        return false;
    }
    return true;
}

static void parse_cases(layer *ly, const config_setting_t *list, bool shock, scn_cmp_case **out, size_t *nout)
{
    const char *what = shock ? "compare.shocks" : "compare.packages";
    int t = config_setting_type(list);
    if (t == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0)
        return;
    if (t != CONFIG_TYPE_LIST) {
        err_at(ly, list, WD_E_SEMANTIC, "%s must be a list ( { name = \"...\"; layers = [...]; }, ... ), found %s",
               what, type_desc(list));
        return;
    }
    int n = config_setting_length(list);
    if (n > SCN_MAX_CMP_ITEMS) {
        err_at(ly, list, WD_E_LIMIT, "%s has too many entries (%d; the limit is %d)", what, n, SCN_MAX_CMP_ITEMS);
        return;
    }
    *out = wd_xcalloc((size_t)n + 1, sizeof **out);
    if (!*out) {
        nomem(ly->L);
        return;
    }
    for (int i = 0; i < n && !oom(ly->L); i++) {
        scn_cmp_case k;
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (!parse_case(ly, g, i + 1, shock, &k))
            continue;
        bool dup = false;
        for (size_t j = 0; j < *nout && !dup; j++)
            if (!strcmp((*out)[j].name, k.name)) {
                err_at(ly, g, WD_E_SEMANTIC, "%s: '%s' is defined twice (first at line %d)", what, k.name,
                       (*out)[j].src.line);
                dup = true;
            }
        if (dup)
            case_clear(&k);
        else
            (*out)[(*nout)++] = k;
    }
}

static void parse_cmp_indicators(layer *ly, const config_setting_t *list, scn_compare *c)
{
    loader *L = ly->L;
    int t = config_setting_type(list);
    if (t == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0)
        return;
    if (t != CONFIG_TYPE_LIST) {
        err_at(ly, list, WD_E_SEMANTIC,
               "compare.indicators must be a list ( { name = \"...\"; var = \"...\"; stat = \"value\"; "
               "year = 2040; }, ... ), found %s",
               type_desc(list));
        return;
    }
    int n = config_setting_length(list);
    if (n > SCN_MAX_CMP_ITEMS) {
        err_at(ly, list, WD_E_LIMIT, "compare.indicators has too many entries (%d)", n);
        return;
    }
    c->indicators = wd_xcalloc((size_t)n + 1, sizeof *c->indicators);
    if (!c->indicators) {
        nomem(L);
        return;
    }
    for (int i = 0; i < n && !oom(L); i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char pre[80];
        snprintf(pre, sizeof pre, "compare.indicators entry %d: ", i + 1);
        if (!config_setting_is_group(g)) {
            err_at(ly, g, WD_E_SEMANTIC, "%smust be a group, found %s", pre, type_desc(g));
            continue;
        }
        bool ok = true;
        int nm = config_setting_length(g);
        for (int j = 0; j < nm; j++) {
            const config_setting_t *m = config_setting_get_elem(g, (unsigned)j);
            if (name_index(cmp_indicator_names, config_setting_name(m)) < 0) {
                report_unknown(ly, m, pre, NULL, cmp_indicator_names, false);
                ok = false;
            }
        }
        scn_cmp_indicator ind = {.stat = SCN_STAT_VALUE, .year = NAN, .better = 1, .src = src_of(ly, g)};
        const config_setting_t *m;
        const char *name = NULL, *var = NULL;
        if (!(m = config_setting_get_member(g, "name")))
            err_at(ly, g, WD_E_SEMANTIC, "%smissing name", pre);
        else if ((name = get_string(ly, m, pre, "name")) && !is_ident(name)) {
            err_at(ly, m, WD_E_SEMANTIC, "%sname '%.100s' may only hold letters, digits, '_', '-' and '.'", pre,
                   name);
            name = NULL;
        }
        if (!(m = config_setting_get_member(g, "var")))
            err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model variable)", pre);
        else if ((var = get_string(ly, m, pre, "var"))) {
            size_t at = 0;
            int r = subst_region(var, NULL, NULL, &at);
            if (r == SUB_BAD) {
                err_at(ly, m, WD_E_SEMANTIC, "%sunknown placeholder at '%.20s' (known: $region)", pre, var + at);
                var = NULL;
            }
        }
        ok = ok && name && var;
        if ((m = config_setting_get_member(g, "stat"))) {
            const char *v = get_string(ly, m, pre, "stat");
            int k = v ? name_index(stat_names, v) : -1;
            if (v && k < 0)
                err_at(ly, m, WD_E_SEMANTIC, "%sunknown stat '%.60s'; known: value, change_pct, cumulative", pre, v);
            if (k < 0)
                ok = false;
            else
                ind.stat = (scn_stat)k;
        }
        if (!(m = config_setting_get_member(g, "year"))) {
            err_at(ly, g, WD_E_SEMANTIC, "%smissing year (the time the indicator is read at)", pre);
            ok = false;
        } else if (!get_number(ly, m, pre, "year", &ind.year)) {
            ok = false;
        }
        if ((m = config_setting_get_member(g, "better"))) {
            const char *v = get_string(ly, m, pre, "better");
            int k = v ? name_index(better_names, v) : -1;
            if (v && k < 0)
                err_at(ly, m, WD_E_SEMANTIC, "%sbetter must be \"higher\" or \"lower\", found '%.60s'", pre, v);
            if (k < 0)
                ok = false;
            else
                ind.better = k == 0 ? 1 : -1;
        }
        for (size_t j = 0; ok && j < c->nindicators; j++)
            if (!strcmp(c->indicators[j].name, name)) {
                err_at(ly, g, WD_E_SEMANTIC, "%s'%s' is defined twice", pre, name);
                ok = false;
            }
        if (!ok)
            continue;
        ind.name = wd_xstrdup(name);
        ind.var = wd_xstrdup(var);
        if (!ind.name || !ind.var) {
            wd_xfree(ind.name);
            wd_xfree(ind.var);
            nomem(L);
            continue;
        }
        c->indicators[c->nindicators++] = ind;
    }
}

/* A group of number settings (years, resilience): fills out[k] for names[k]. */
static void parse_number_group(layer *ly, const config_setting_t *g, const char *what,
                               const char *const *names, double *const *out, bool positive)
{
    char example[120];
    snprintf(example, sizeof example, "{ %s = ...; }", names[0]);
    if (!want_group(ly, g, what, example))
        return;
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        int k = name_index(names, config_setting_name(m));
        if (k < 0) {
            report_unknown(ly, m, "", what, names, false);
            continue;
        }
        char w[80];
        snprintf(w, sizeof w, "%s.%s", what, names[k]);
        double v;
        if (!get_number(ly, m, "", w, &v))
            continue;
        if (positive && !(v > 0)) {
            err_at(ly, m, WD_E_SEMANTIC, "%s must be > 0, found %.15g", w, v);
            continue;
        }
        *out[k] = v;
    }
}

static void parse_compare(layer *ly, const config_setting_t *g, scn_compare *c)
{
    loader *L = ly->L;
    c->src = src_of(ly, g);
    if (!want_group(ly, g, "compare", "{ regions = [...]; packages = (...); shocks = (...); }"))
        return;
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        if (name_index(compare_names, config_setting_name(m)) < 0)
            report_unknown(ly, m, "", "compare", compare_names, false);
    }
    const config_setting_t *m;
    if (!(m = config_setting_get_member(g, "regions"))) {
        err_at(ly, g, WD_E_SEMANTIC, "compare: missing regions (the elements of the region range to report)");
    } else if (get_strings(ly, m, "compare.regions", &c->regions, &c->region_src, &c->nregions)) {
        if (c->nregions == 0)
            err_at(ly, m, WD_E_SEMANTIC, "compare.regions is empty; name at least one region");
        for (size_t i = 0; i < c->nregions; i++)
            for (size_t j = 0; j < i; j++)
                if (strcasecmp(c->regions[i], c->regions[j]) == 0)
                    err_line(ly, c->region_src[i].line, WD_E_SEMANTIC, "compare.regions: '%s' is listed twice",
                             c->regions[i]);
    }
    if ((m = config_setting_get_member(g, "region_range"))) {
        const char *v = get_string(ly, m, "", "compare.region_range");
        if (v)
            replace_str(L, &c->region_range, v);
        c->region_range_src = src_of(ly, m);
    }
    if (!(m = config_setting_get_member(g, "packages")))
        err_at(ly, g, WD_E_SEMANTIC,
               "compare: missing packages (at least one, e.g. { name = \"current\"; layers = []; })");
    else
        parse_cases(ly, m, false, &c->packages, &c->npackages);
    if (m && c->npackages == 0 && L->status == WD_OK)
        err_at(ly, m, WD_E_SEMANTIC, "compare.packages is empty; give at least one package");
    if ((m = config_setting_get_member(g, "shocks")))
        parse_cases(ly, m, true, &c->shocks, &c->nshocks);
    if ((m = config_setting_get_member(g, "variables")) &&
        want_group(ly, m, "compare.variables", "{ jobs = \"jobs\"; co2 = \"co2 emissions\"; }")) {
        int nv = config_setting_length(m);
        for (int i = 0; i < nv && !oom(L); i++) {
            const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
            int k = name_index(scn_quantity_names, config_setting_name(e));
            if (k < 0) {
                report_unknown(ly, e, "", "compare.variables", scn_quantity_names, false);
                continue;
            }
            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                err_at(ly, e, WD_E_SEMANTIC, "compare.variables.%s must be a string (\"\" for none), found %s",
                       scn_quantity_names[k], type_desc(e));
                continue;
            }
            replace_str(L, &c->vars[k], config_setting_get_string(e));
            c->var_src[k] = src_of(ly, e);
        }
    }
    if ((m = config_setting_get_member(g, "years"))) {
        c->years_src = src_of(ly, m);
        parse_number_group(ly, m, "compare.years", years_names,
                           (double *const[]){&c->report_year, &c->cumulative_until}, false);
    }
    if ((m = config_setting_get_member(g, "resilience"))) {
        c->resilience_src = src_of(ly, m);
        parse_number_group(ly, m, "compare.resilience", resilience_names,
                           (double *const[]){&c->band, &c->floor}, true);
    }
    if ((m = config_setting_get_member(g, "indicators")))
        parse_cmp_indicators(ly, m, c);
    if ((m = config_setting_get_member(g, "score")) &&
        want_group(ly, m, "compare.score", "{ jobs_change_2040_pct = 1.0; co2_change_2040_pct = -0.5; }")) {
        c->has_score = true;
        c->score_src = src_of(ly, m);
        int nw = config_setting_length(m);
        c->score = wd_xcalloc((size_t)nw + 1, sizeof *c->score);
        if (!c->score)
            nomem(L);
        for (int i = 0; i < nw && c->score && !oom(L); i++) {
            const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
            double w;
            char what[120];
            snprintf(what, sizeof what, "compare.score.%.100s", config_setting_name(e));
            if (!get_number(ly, e, "", what, &w))
                continue;
            char *nm = wd_xstrdup(config_setting_name(e));
            if (!nm) {
                nomem(L);
                continue;
            }
            c->score[c->nscore++] = (scn_cmp_weight){nm, w, src_of(ly, e)};
        }
    }
    if ((m = config_setting_get_member(g, "output")) &&
        want_group(ly, m, "compare.output", "{ file = \"...\"; vars = [...]; }")) {
        int no = config_setting_length(m);
        for (int i = 0; i < no && !oom(L); i++) {
            const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
            int k = name_index(cmp_output_names, config_setting_name(e));
            if (k < 0) {
                report_unknown(ly, e, "", "compare.output", cmp_output_names, false);
            } else if (k == 0) {
                const char *v = get_string(ly, e, "", "compare.output.file");
                char *p = v ? wd_path_join(ly->dir, v) : NULL;
                if (v && !p)
                    nomem(L);
                if (p) {
                    wd_xfree(c->out_file);
                    c->out_file = p;
                }
            } else {
                free_strings(c->out_vars, c->nout_vars);
                wd_xfree(c->out_var_src);
                c->out_vars = NULL;
                c->nout_vars = 0;
                c->has_out_vars = get_strings(ly, e, "compare.output.vars", &c->out_vars, &c->out_var_src,
                                              &c->nout_vars);
            }
        }
    }
    double cells = (double)c->nregions * (double)c->npackages * (double)(c->nshocks + 1);
    if (cells > SCN_MAX_CMP_CELLS)
        err_at(ly, g, WD_E_LIMIT,
               "the comparison has %.0f cells (regions x packages x (shocks + 1)); the limit is %d", cells,
               SCN_MAX_CMP_CELLS);
}

/* Appends the provenance text of a loaded scenario unless a scenario with
 * the same top file was appended already. */
static void append_text(wd_buf *b, wd_map *seen, const wd_scenario *sc)
{
    if (!sc->text || !sc->path || wd_map_get(seen, sc->path, NULL))
        return;
    if (!wd_map_put(seen, sc->path, 0)) {
        b->oom = true;
        return;
    }
    wd_buf_puts(b, sc->text);
}

wd_status scn_compare_load(const char *path, wd_diags *diags, scn_compare **out)
{
    if (!out)
        return WD_E_ARG;
    *out = NULL;
    wd_scenario *base = NULL;
    wd_status st = scn_load(path, diags, &base);
    if (st != WD_OK)
        return st;
    scn_compare *c = wd_xcalloc(1, sizeof *c);
    if (!c) {
        scn_free(base);
        return WD_E_NOMEM;
    }
    c->base = base;
    c->report_year = c->cumulative_until = c->band = c->floor = NAN;
    loader L = {.s = base, .diags = diags};
    size_t len = 0;
    char *text = NULL;
    layer ly = {&L, base->files[0], NULL, NULL, NULL, true, NULL, 0, NULL};
    if (!(c->path = wd_xstrdup(path))) {
        nomem(&L);
        goto done;
    }
    errno = 0;
    if (!(text = wd_read_file(base->files[0], &len))) {
        if (errno == ENOMEM || errno == 0)
            nomem(&L);
        else
            err_nofile(&L, WD_E_IO, "cannot read '%s': %s", path, strerror(errno));
        goto done;
    }
    ly.text = text;
    if (!(ly.dir = wd_dirname(base->files[0]))) {
        nomem(&L);
        goto done;
    }
    if (!prescan(&ly, len))
        goto done;
    config_t cfg;
    if (!parse_text(&ly, &cfg))
        goto done;
    const config_setting_t *g = config_setting_get_member(config_root_setting(&cfg), "compare");
    if (!g)
        err_nofile(&L, WD_E_SEMANTIC,
                   "%s: no compare group; a comparison file is a scenario with a group "
                   "compare = { regions = [...]; packages = (...); shocks = (...); } (see docs/comparison.md)",
                   path);
    else
        parse_compare(&ly, g, c);
    config_destroy(&cfg);
    if (L.status == WD_OK) {
        wd_buf b = {0};
        wd_map *seen = wd_map_new();
        if (!seen)
            b.oom = true;
        else
            append_text(&b, seen, base);
        for (int kind = 0; kind < 2 && !b.oom; kind++) {
            const scn_cmp_case *cs = kind ? c->shocks : c->packages;
            size_t nc = kind ? c->nshocks : c->npackages;
            for (size_t i = 0; i < nc; i++)
                for (size_t j = 0; j < cs[i].nlayers; j++)
                    append_text(&b, seen, cs[i].layers[j]);
        }
        wd_map_free(seen);
        if (b.oom) {
            wd_buf_free(&b);
            nomem(&L);
        } else {
            c->text = wd_buf_take(&b);
        }
    }
done:
    wd_xfree(text);
    wd_xfree(ly.ptext);
    wd_xfree(ly.dir);
    wd_map_free(ly.keys);
    if (L.status != WD_OK) {
        scn_compare_free(c);
        return L.status;
    }
    *out = c;
    return WD_OK;
}

void scn_compare_free(scn_compare *c)
{
    if (!c)
        return;
    scn_free(c->base);
    wd_xfree(c->path);
    free_strings(c->regions, c->nregions);
    wd_xfree(c->region_src);
    wd_xfree(c->region_range);
    for (size_t i = 0; i < c->npackages; i++)
        case_clear(&c->packages[i]);
    wd_xfree(c->packages);
    for (size_t i = 0; i < c->nshocks; i++)
        case_clear(&c->shocks[i]);
    wd_xfree(c->shocks);
    for (int k = 0; k < SCN_NQUANT; k++)
        wd_xfree(c->vars[k]);
    for (size_t i = 0; i < c->nindicators; i++) {
        wd_xfree(c->indicators[i].name);
        wd_xfree(c->indicators[i].var);
    }
    wd_xfree(c->indicators);
    for (size_t i = 0; i < c->nscore; i++)
        wd_xfree(c->score[i].indicator);
    wd_xfree(c->score);
    wd_xfree(c->out_file);
    free_strings(c->out_vars, c->nout_vars);
    wd_xfree(c->out_var_src);
    wd_xfree(c->text);
    wd_xfree(c);
}

typedef VEC(scn_set) scn_set_vec;

/* Adds the entries of one scenario to a cell's list (see scn_compare_cell). */
static int cell_add(scn_set_vec *list, wd_map *index, const wd_scenario *sc, const char *region)
{
    for (size_t i = 0; i < sc->nsets; i++) {
        scn_set e = sc->sets[i];
        char *var = NULL, *key = NULL;
        int r = subst_region(e.var, region, &var, NULL);
        if (r != SUB_OK)
            return r; /* placeholders were checked at load: out of memory */
        if (set_key(var, &key) != KEY_OK) {
            wd_xfree(var);
            return SUB_NOMEM; /* the name was checked at load */
        }
        e.var = var;
        size_t idx;
        if (wd_map_get(index, key, &idx)) {
            wd_xfree(list->v[idx].var);
            list->v[idx] = e;
        } else if (!VEC_PUSH(*list, e) || !wd_map_put(index, key, list->n - 1)) {
            if (list->n == 0 || list->v[list->n - 1].var != var)
                wd_xfree(var);
            wd_xfree(key);
            return SUB_NOMEM;
        }
        wd_xfree(key);
    }
    return SUB_OK;
}

wd_status scn_compare_cell(const scn_compare *c, size_t package, size_t shock, const char *region,
                           scn_set **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    scn_set_vec list = {0};
    wd_map *index = wd_map_new();
    int r = index ? cell_add(&list, index, c->base, region) : SUB_NOMEM;
    const scn_cmp_case *p = &c->packages[package];
    for (size_t i = 0; r == SUB_OK && i < p->nlayers; i++)
        r = cell_add(&list, index, p->layers[i], region);
    if (shock != SIZE_MAX) {
        const scn_cmp_case *s = &c->shocks[shock];
        for (size_t i = 0; r == SUB_OK && i < s->nlayers; i++)
            r = cell_add(&list, index, s->layers[i], region);
    }
    wd_map_free(index);
    if (r != SUB_OK) {
        scn_cell_free(list.v, list.n);
        return WD_E_NOMEM;
    }
    *out = list.v;
    *n = list.n;
    return WD_OK;
}

void scn_cell_free(scn_set *sets, size_t n)
{
    for (size_t i = 0; sets && i < n; i++)
        wd_xfree(sets[i].var);
    wd_xfree(sets);
}
