/* scenario.c: scenario files (libconfig) -> wd_scenario (see scenario.h).
 *
 * Pipeline: the first input `wandel run` reads. A scenario yields the model's
 * path (the model itself is loaded later by the .mdl front end; here we only
 * check that the file exists), time and solver settings, overrides of model
 * variables (constants or time series) and the output. The stages that know
 * the model check the variable names later, using the file:line that every
 * setting keeps. The groups sweep, calibrate and compare are read by
 * scenario_sweep.c, scenario_calib.c and scenario_compare.c, which share the
 * loader's state and helpers through scenario_internal.h; these four files
 * are the only ones that include libconfig.h.
 *
 * Reading one file:
 *   1. read its bytes and pre-scan them for what libconfig 1.5 handles badly
 *      (scn_prescan() says what and why);
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
 *   - set: entries are matched by variable (scn_set_key()); a later entry replaces
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
#include "scenario_internal.h"

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
/* The `compare` group belongs to `wandel compare`, which reads it from the
 * same files (scenario_compare.c). The loader of a single scenario accepts it
 * without any check and stores nothing of it, so that a comparison file also
 * runs as a single scenario. */
static const char *const reserved_names[] = {"compare", NULL};

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

int scn_name_index(const char *const *list, const char *name)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return i;
    return -1;
}

int scn_name_index_ci(const char *const *list, const char *name)
{
    for (int i = 0; list[i]; i++)
        if (strcasecmp(list[i], name) == 0)
            return i;
    return -1;
}

/* "a, b, c" into out (truncated to fit). */
void scn_list_text(char *out, size_t n, const char *const *list)
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

/* loader (the whole load) and layer (one file of it): scenario_internal.h. */

typedef struct pending_ext { /* an extends entry, kept while its file loads */
    char *written;
    int line;
} pending_ext;
typedef VEC(pending_ext) pending_vec;

void scn_set_status(loader *L, wd_status st)
{
    if (st == WD_E_NOMEM || L->status == WD_OK)
        L->status = st;
}

void scn_nomem(loader *L) { L->status = WD_E_NOMEM; }
bool scn_oom(const loader *L) { return L->status == WD_E_NOMEM; }

static void report_v(loader *L, wd_severity sev, wd_status st, const char *file,
                     const char *srcline, int line, const char *fmt, va_list ap)
{
    wd_diag_vadd(L->diags, sev, (wd_loc){file, line, 0}, srcline, fmt, ap);
    if (sev == WD_ERROR)
        scn_set_status(L, st);
}

/* The text of line `line` of ly's file (see layer.cur_line). */
const char *scn_layer_line(layer *ly, int line)
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

void scn_err_line(layer *ly, int line, wd_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(ly->L, WD_ERROR, st, ly->path, scn_layer_line(ly, line), line, fmt, ap);
    va_end(ap);
}

void scn_err_at(layer *ly, const config_setting_t *cs, wd_status st, const char *fmt, ...)
{
    va_list ap;
    int line = (int)config_setting_source_line(cs);
    va_start(ap, fmt);
    report_v(ly->L, WD_ERROR, st, ly->path, scn_layer_line(ly, line), line, fmt, ap);
    va_end(ap);
}

void scn_warn_at(layer *ly, const config_setting_t *cs, const char *fmt, ...)
{
    va_list ap;
    int line = (int)config_setting_source_line(cs);
    va_start(ap, fmt);
    report_v(ly->L, WD_WARNING, WD_OK, ly->path, scn_layer_line(ly, line), line, fmt, ap);
    va_end(ap);
}

/* For problems with the top file itself, which has no including line. */
void scn_err_nofile(loader *L, wd_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(L, WD_ERROR, st, NULL, NULL, 0, fmt, ap);
    va_end(ap);
}

scn_src scn_src_of(const layer *ly, const config_setting_t *cs)
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
        scn_err_line(ly, line, WD_E_SEMANTIC, "integer %.*s%s does not fit in 64 bits", w, tok, more);
    else if (lit.hex)
        scn_err_line(ly, line, WD_E_SEMANTIC,
                     "integer %.*s%s does not fit in 32 bits and would be misread; write %.*s%sL",
                     w, tok, more, w, tok, more);
    else
        scn_err_line(ly, line, WD_E_SEMANTIC,
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

/* Output of scn_prescan when it rewrites the text (see below). */
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
bool scn_prescan(layer *ly, size_t len)
{
    const char *t = ly->text, *end = t + len;
    const char *nul = memchr(t, '\0', len);
    if (nul) {
        scn_err_line(ly, 1 + count_lines(t, nul), WD_E_SYNTAX,
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
                scn_err_line(ly, line, WD_E_SYNTAX,
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
                scn_err_line(ly, line, WD_E_LIMIT,
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
                scn_err_line(ly, line, WD_E_LIMIT, "more than %d settings in one group",
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
            scn_nomem(ly->L);
        else
            ly->ptext = wd_buf_take(&rw.out);
    }
    wd_buf_free(&rw.out);
    return ok && !scn_oom(ly->L);
}

/* ---- typed access ------------------------------------------------------------------- */

const char *scn_type_desc(const config_setting_t *cs)
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
bool scn_get_number(layer *ly, const config_setting_t *cs, const char *pre, const char *what,
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
            scn_err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be a finite number, found %g", pre, what, v);
            return false;
        }
        *out = v;
        return true;
    }
    default:
        scn_err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be a number, found %s", pre, what,
                   scn_type_desc(cs));
        return false;
    }
}

/* A non-empty string, or NULL (reported). */
const char *scn_get_string(layer *ly, const config_setting_t *cs, const char *pre,
                           const char *what)
{
    if (config_setting_type(cs) != CONFIG_TYPE_STRING) {
        scn_err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be a string, found %s", pre, what, scn_type_desc(cs));
        return NULL;
    }
    const char *v = config_setting_get_string(cs);
    if (!v || !v[0]) {
        scn_err_at(ly, cs, WD_E_SEMANTIC, "%s%s must not be empty", pre, what);
        return NULL;
    }
    return v;
}

bool scn_want_group(layer *ly, const config_setting_t *cs, const char *what,
                    const char *example)
{
    if (config_setting_is_group(cs))
        return true;
    scn_err_at(ly, cs, WD_E_SEMANTIC, "%s must be a group %s, found %s", what, example, scn_type_desc(cs));
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
void scn_report_unknown(layer *ly, const config_setting_t *cs, const char *pre,
                        const char *group, const char *const *known, bool top)
{
    static const struct {
        const char *const *names;
        const char *group;
    } nested[] = {{time_names, "time"},
                  {solver_names, "solver"},
                  {output_names, "output"},
                  {scn_sweep_names, "sweep"}};
    const char *name = config_setting_name(cs);
    const char *dot = group ? "." : "", *gname = group ? group : "";
    if (top) {
        for (size_t g = 0; g < sizeof nested / sizeof nested[0]; g++)
            if (scn_name_index(nested[g].names, name) >= 0) {
                scn_err_at(ly, cs, WD_E_SEMANTIC,
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
        scn_err_at(ly, cs, WD_E_SEMANTIC, "%sunknown setting '%s%s%s' (did you mean '%s%s%s'?)", pre,
                   gname, dot, name, gname, dot, best);
    } else {
        char all[200];
        scn_list_text(all, sizeof all, known);
        scn_err_at(ly, cs, WD_E_SEMANTIC, "%sunknown setting '%s%s%s'; known settings: %s", pre, gname,
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
char *scn_resolve_existing(layer *ly, int line, const char *written, struct stat *st_out)
{
    char *path = wd_path_join(ly->dir, written);
    if (!path) {
        scn_nomem(ly->L);
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
        scn_err_line(ly, line, WD_E_IO, "no such file '%s' (resolved to '%s')", written, shown);
    else if (rc != 0)
        scn_err_line(ly, line, WD_E_IO, "cannot open '%s' (resolved to '%s'): %s", written, shown,
                     strerror(err));
    else
        scn_err_line(ly, line, WD_E_IO, "'%s' is not a regular file (resolved to '%s')", written,
                     shown);
    wd_xfree(abs);
    wd_xfree(path);
    return NULL;
}

/* Replaces *field with a copy of v. */
void scn_replace_str(loader *L, char **field, const char *v)
{
    char *c = wd_xstrdup(v);
    if (!c) {
        scn_nomem(L);
        return;
    }
    wd_xfree(*field);
    *field = c;
}

/* ---- set entries -------------------------------------------------------------------- */

/* The key under which set entries are merged. The name part (before '[')
 * goes through wd_canon_name: case-insensitive, spaces and underscores alike,
 * runs collapsed, trimmed, as Vensim compares names. Each comma-separated
 * subscript element is canonicalised the same way (Vensim element names
 * follow the same rules), and the elements are joined by ',' inside "[]".
 * So "Carbon_Price" and "carbon price" are one entry, and so are
 * "jobs[Ruhr, Mining]" and "jobs[ruhr,mining]". A name must be NAME or
 * NAME[ELEMENT,...]: non-empty parts, one bracket pair at the end, no '='
 * (which the command line uses to split NAME=VALUE). */
int scn_set_key(const char *var, char **out)
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
        scn_err_at(ly, pts, WD_E_SEMANTIC,
                   "%spoints must be a list of [time, value] pairs, e.g. ([2025, 1.0], [2030, 2.0]); "
                   "found %s",
                   pre, scn_type_desc(pts));
        return false;
    }
    if (n == 0) {
        scn_err_at(ly, pts, WD_E_SEMANTIC, "%spoints is empty; give at least one [time, value] pair",
                   pre);
        return false;
    }
    if (n > SCN_MAX_POINTS) {
        scn_err_at(ly, pts, WD_E_LIMIT, "%stoo many points (%d; the limit is %d)", pre, n,
                   SCN_MAX_POINTS);
        return false;
    }
    double *t = wd_xmalloc((size_t)n * sizeof *t), *v = wd_xmalloc((size_t)n * sizeof *v);
    if (!t || !v) {
        wd_xfree(t);
        wd_xfree(v);
        scn_nomem(ly->L);
        return false;
    }
    bool ok = true, have_prev = false;
    double prev = 0;
    for (int i = 0; i < n; i++) {
        const config_setting_t *p = config_setting_get_elem(pts, (unsigned)i);
        int pt = config_setting_type(p);
        if (pt != CONFIG_TYPE_ARRAY && pt != CONFIG_TYPE_LIST) {
            scn_err_at(ly, p, WD_E_SEMANTIC, "%spoint %d must be a pair [time, value], found %s", pre,
                       i + 1, scn_type_desc(p));
            ok = have_prev = false;
            continue;
        }
        if (config_setting_length(p) != 2) {
            scn_err_at(ly, p, WD_E_SEMANTIC,
                       "%spoint %d must be a pair [time, value], found %d element%s", pre, i + 1,
                       config_setting_length(p), config_setting_length(p) == 1 ? "" : "s");
            ok = have_prev = false;
            continue;
        }
        char what[48];
        snprintf(what, sizeof what, "point %d time", i + 1);
        bool t_ok = scn_get_number(ly, config_setting_get_elem(p, 0), pre, what, &t[i]);
        snprintf(what, sizeof what, "point %d value", i + 1);
        if (!scn_get_number(ly, config_setting_get_elem(p, 1), pre, what, &v[i]))
            ok = false;
        if (!t_ok) {
            ok = have_prev = false;
            continue;
        }
        if (have_prev && !(t[i] > prev)) {
            scn_err_at(ly, p, WD_E_SEMANTIC,
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
 * interp = "linear"; }. On success *out and *key (scn_set_key of var) are the
 * caller's. */
static bool parse_entry(layer *ly, const config_setting_t *g, int index, scn_set *out, char **key)
{
    loader *L = ly->L;
    memset(out, 0, sizeof *out);
    *key = NULL;
    char pre[256];
    snprintf(pre, sizeof pre, "set entry %d: ", index);
    if (!config_setting_is_group(g)) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%smust be a group { var = \"...\"; value = ...; }, found %s",
                   pre, scn_type_desc(g));
        return false;
    }
    bool ok = true;
    const config_setting_t *var = config_setting_get_member(g, "var");
    const char *vs = NULL;
    if (!var) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the name of the model variable, a string)",
                   pre);
        ok = false;
    } else if ((vs = scn_get_string(ly, var, pre, "var"))) {
        int kr = scn_set_key(vs, key);
        if (kr == KEY_NOMEM) {
            scn_nomem(L);
            return false;
        }
        if (kr == KEY_BAD) {
            scn_err_at(ly, var, WD_E_SEMANTIC,
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
        if (scn_name_index(entry_names, config_setting_name(m)) < 0) {
            scn_report_unknown(ly, m, pre, NULL, entry_names, false);
            ok = false;
        }
    }
    const config_setting_t *value = config_setting_get_member(g, "value");
    const config_setting_t *points = config_setting_get_member(g, "points");
    const config_setting_t *interp = config_setting_get_member(g, "interp");
    if (value && points) {
        scn_err_at(ly, points, WD_E_SEMANTIC, "%shas both value and points; give exactly one", pre);
        ok = false;
    } else if (!value && !points) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%sneeds a value or points", pre);
        ok = false;
    }
    if (value && !scn_get_number(ly, value, pre, "value", &out->value))
        ok = false;
    if (points && !parse_points(ly, points, pre, out))
        ok = false;
    if (interp) {
        const char *is = scn_get_string(ly, interp, pre, "interp");
        int k = is ? scn_name_index_ci(interp_names, is) : -1;
        if (is && k < 0) {
            scn_err_at(ly, interp, WD_E_SEMANTIC, "%sunknown interp '%.100s'; known: linear, step",
                       pre, is);
        }
        if (k < 0)
            ok = false;
        else
            out->interp = (scn_interp)k;
        if (k >= 0 && value && !points)
            scn_warn_at(ly, interp, "%sinterp is ignored for a constant value", pre);
    }
    if (ok && !scn_oom(L)) {
        size_t first;
        if (!ly->keys && !(ly->keys = wd_map_new())) {
            scn_nomem(L);
        } else if (wd_map_get(ly->keys, *key, &first)) {
            scn_err_at(ly, var, WD_E_SEMANTIC, "%sis set twice in this file (first at line %zu)", pre,
                       first);
            ok = false;
        } else if (!wd_map_put(ly->keys, *key, config_setting_source_line(var))) {
            scn_nomem(L);
        }
    }
    if (ok && !scn_oom(L) && !(out->var = wd_xstrdup(vs)))
        scn_nomem(L);
    if (!ok || scn_oom(L)) {
        set_clear(out);
        wd_xfree(*key);
        *key = NULL;
        return false;
    }
    out->src = scn_src_of(ly, var);
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
        scn_nomem(L);
    } else if (!wd_map_put(L->set_index, key, L->sets.n - 1)) {
        scn_nomem(L);
    }
    wd_xfree(key);
}

static void apply_sets(layer *ly, const config_setting_t *list)
{
    int type = config_setting_type(list);
    if (type == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0)
        return; /* set = []; */
    if (type != CONFIG_TYPE_LIST) {
        scn_err_at(ly, list, WD_E_SEMANTIC,
                   "set must be a list of entries ( { var = \"...\"; value = ...; }, ... ), found %s",
                   scn_type_desc(list));
        return;
    }
    int n = config_setting_length(list);
    if (n > SCN_MAX_SETS) {
        scn_err_at(ly, list, WD_E_LIMIT, "set has too many entries (%d; the limit is %d)", n,
                   SCN_MAX_SETS);
        return;
    }
    for (int i = 0; i < n && !scn_oom(ly->L); i++) {
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
    if (!scn_want_group(ly, g, "time", "{ start = ...; stop = ...; step = ...; save = ...; }"))
        return;
    s->time_src = scn_src_of(ly, g);
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        int k = scn_name_index(time_names, nm);
        if (k < 0) {
            scn_report_unknown(ly, m, "", "time", time_names, false);
            continue;
        }
        char what[16];
        snprintf(what, sizeof what, "time.%s", nm);
        double v;
        if (!scn_get_number(ly, m, "", what, &v))
            continue;
        if (k >= 2 && !(v > 0)) {
            scn_err_at(ly, m, WD_E_SEMANTIC, "%s must be > 0, found %.15g", what, v);
            continue;
        }
        switch (k) {
        case 0:
            s->t_start = v;
            L->start_src = scn_src_of(ly, m);
            L->start_seq = ++L->seq;
            break;
        case 1:
            s->t_stop = v;
            L->stop_src = scn_src_of(ly, m);
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
    if (!scn_want_group(ly, g, "solver", "{ method = \"rk4\"; rtol = ...; atol = ...; hmax = ...; }"))
        return;
    s->solver_src = scn_src_of(ly, g);
    int n = config_setting_length(g);
    for (int i = 0; i < n && !scn_oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        int k = scn_name_index(solver_names, nm);
        if (k < 0) {
            scn_report_unknown(ly, m, "", "solver", solver_names, false);
            continue;
        }
        if (k == 0) {
            const char *v = scn_get_string(ly, m, "", "solver.method");
            int mi = v ? scn_name_index_ci(method_names, v) : -1;
            if (v && mi < 0) {
                char all[200];
                scn_list_text(all, sizeof all, method_names);
                scn_err_at(ly, m, WD_E_SEMANTIC, "unknown solver method '%.100s'; known: %s", v, all);
            }
            if (mi >= 0)
                scn_replace_str(L, &s->method, method_names[mi]);
            continue;
        }
        char what[16];
        snprintf(what, sizeof what, "solver.%s", nm);
        double v;
        if (!scn_get_number(ly, m, "", what, &v))
            continue;
        if (!(v > 0)) {
            scn_err_at(ly, m, WD_E_SEMANTIC, "%s must be > 0, found %.15g", what, v);
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
bool scn_get_seed(layer *ly, const config_setting_t *m, const char *what, unsigned long *out)
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
        scn_err_at(ly, m, WD_E_SEMANTIC, "%s must be an integer, found %s", what, scn_type_desc(m));
        return false;
    }
    if (!ok) {
        double d = config_setting_type(m) == CONFIG_TYPE_FLOAT ? config_setting_get_float(m)
                   : config_setting_type(m) == CONFIG_TYPE_INT64
                       ? (double)config_setting_get_int64(m)
                       : config_setting_get_int(m);
        scn_err_at(ly, m, WD_E_SEMANTIC, "%s must be a non-negative integer, found %.15g", what, d);
        return false;
    }
    *out = v;
    return true;
}

static void apply_seed(layer *ly, const config_setting_t *m)
{
    wd_scenario *s = ly->L->s;
    unsigned long v;
    if (!scn_get_seed(ly, m, "seed", &v))
        return;
    s->seed = v;
    s->has_seed = true;
}

static void apply_model(layer *ly, const config_setting_t *m)
{
    const char *v = scn_get_string(ly, m, "", "model");
    if (!v)
        return;
    char *path = scn_resolve_existing(ly, (int)config_setting_source_line(m), v, NULL);
    if (!path)
        return;
    wd_xfree(ly->L->s->model);
    ly->L->s->model = path;
    ly->L->s->model_src = scn_src_of(ly, m);
}

/* data = ["file.tab", ...]: data files for the model's variables without
 * equations, each relative to this file and required to exist. */
static void apply_data(layer *ly, const config_setting_t *m)
{
    loader *L = ly->L;
    wd_scenario *s = L->s;
    int t = config_setting_type(m);
    if (t == CONFIG_TYPE_STRING) {
        const char *v = scn_get_string(ly, m, "", "data");
        char *path = v ? scn_resolve_existing(ly, (int)config_setting_source_line(m), v, NULL) : NULL;
        if (path && !scn_push_data(s, path))
            scn_nomem(L);
        return;
    }
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
        scn_err_at(ly, m, WD_E_SEMANTIC, "data must be a list of file names [\"data.tab\", ...], found %s", scn_type_desc(m));
        return;
    }
    int n = config_setting_length(m);
    for (int j = 0; j < n && !scn_oom(L); j++) {
        const config_setting_t *e = config_setting_get_elem(m, (unsigned)j);
        char what[40];
        snprintf(what, sizeof what, "data element %d", j + 1);
        const char *v = scn_get_string(ly, e, "", what);
        char *path = v ? scn_resolve_existing(ly, (int)config_setting_source_line(e), v, NULL) : NULL;
        if (path && !scn_push_data(s, path))
            scn_nomem(L);
    }
}

static void apply_output(layer *ly, const config_setting_t *g)
{
    loader *L = ly->L;
    wd_scenario *s = L->s;
    if (!scn_want_group(ly, g, "output", "{ file = \"...\"; format = \"h5\"; vars = [...]; }"))
        return;
    s->output_src = scn_src_of(ly, g);
    int n = config_setting_length(g);
    for (int i = 0; i < n && !scn_oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        int k = scn_name_index(output_names, nm);
        if (k < 0) {
            scn_report_unknown(ly, m, "", "output", output_names, false);
        } else if (k == 0) { /* file: relative to this file; need not exist yet */
            const char *v = scn_get_string(ly, m, "", "output.file");
            char *path = v ? wd_path_join(ly->dir, v) : NULL;
            if (v && !path) {
                scn_nomem(L);
            } else if (path) {
                wd_xfree(s->out_file);
                s->out_file = path;
            }
        } else if (k == 1) {
            const char *v = scn_get_string(ly, m, "", "output.format");
            int fi = v ? scn_name_index_ci(format_names, v) : -1;
            if (v && fi < 0)
                scn_err_at(ly, m, WD_E_SEMANTIC, "unknown output format '%.100s'; known: h5, tsv, csv",
                           v);
            if (fi >= 0)
                scn_replace_str(L, &s->out_format, format_names[fi]);
        } else { /* vars: replaced as a whole; empty = every variable */
            int t = config_setting_type(m);
            if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
                scn_err_at(ly, m, WD_E_SEMANTIC,
                           "output.vars must be a list of variable names [\"...\", ...], found %s",
                           scn_type_desc(m));
                continue;
            }
            int nv = config_setting_length(m);
            char **vars = nv ? wd_xcalloc((size_t)nv, sizeof *vars) : NULL;
            if (nv && !vars) {
                scn_nomem(L);
                continue;
            }
            bool ok = true;
            for (int j = 0; j < nv && !scn_oom(L); j++) {
                const config_setting_t *e = config_setting_get_elem(m, (unsigned)j);
                char what[40];
                snprintf(what, sizeof what, "output.vars element %d", j + 1);
                const char *v = scn_get_string(ly, e, "", what);
                if (!v)
                    ok = false;
                else if (ok && !(vars[j] = wd_xstrdup(v)))
                    scn_nomem(L);
            }
            ok = ok && !scn_oom(L);
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

/* Applies every top-level setting of one file except extends (loaded before,
 * by load_file). `name` is taken from the top file only: a region or policy
 * file's name describes that layer, and a combined scenario without a name of
 * its own is called after its file, never after one of its layers. Layers'
 * names are still checked. */
static void apply_layer(layer *ly, const config_setting_t *root)
{
    loader *L = ly->L;
    int n = config_setting_length(root);
    for (int i = 0; i < n && !scn_oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(root, (unsigned)i);
        const char *nm = config_setting_name(m);
        switch (scn_name_index(top_names, nm)) {
        case T_NAME: {
            const char *v = scn_get_string(ly, m, "", "name");
            if (v && ly->top)
                scn_replace_str(L, &L->s->name, v);
            break;
        }
        case T_MODEL: apply_model(ly, m); break;
        case T_EXTENDS: break;
        case T_TIME: apply_time(ly, m); break;
        case T_SOLVER: apply_solver(ly, m); break;
        case T_SEED: apply_seed(ly, m); break;
        case T_SET: apply_sets(ly, m); break;
        case T_OUTPUT: apply_output(ly, m); break;
        case T_CALIBRATE: scn_apply_calibrate(ly, m); break;
        case T_DATA: apply_data(ly, m); break;
        case T_SWEEP: scn_apply_sweep(ly, m); break;
        default:
            if (scn_name_index(reserved_names, nm) < 0)
                scn_report_unknown(ly, m, "", NULL, top_names, true);
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
        scn_err_at(ly, ext, WD_E_SEMANTIC,
                   "extends must be a file name or a list of file names [\"...\", ...], found %s",
                   scn_type_desc(ext));
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
        const char *v = scn_get_string(ly, e, "", what);
        if (!v)
            continue;
        pending_ext p = {wd_xstrdup(v), (int)config_setting_source_line(e)};
        if (!p.written || !VEC_PUSH(*pend, p)) {
            wd_xfree(p.written);
            scn_nomem(ly->L);
            return;
        }
    }
}

bool scn_parse_text(layer *ly, config_t *cfg)
{
    config_init(cfg);
    if (config_read_string(cfg, ly->ptext ? ly->ptext : ly->text))
        return true;
    const char *msg = config_error_text(cfg);
    if (!msg)
        msg = "syntax error";
    /* Mixed numbers were made floats by scn_prescan; what is left is a string or
     * boolean among numbers. */
    const char *hint = strcmp(msg, "mismatched element type in array") == 0
                           ? " (the elements of an array [...] must be all numbers, all "
                             "strings or all booleans; a list (...) may mix them)"
                           : "";
    scn_err_line(ly, config_error_line(cfg), WD_E_SYNTAX, "%s%s", msg, hint);
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
    if (!scn_parse_text(ly, &cfg))
        return;
    config_setting_t *ext = config_setting_get_member(config_root_setting(&cfg), "extends");
    if (ext) {
        pending_vec pend = {0};
        collect_extends(ly, ext, &pend);
        config_destroy(&cfg);
        for (size_t i = 0; i < pend.n && !scn_oom(L); i++)
            load_file(L, ly, pend.v[i].line, pend.v[i].written);
        for (size_t i = 0; i < pend.n; i++)
            wd_xfree(pend.v[i].written);
        VEC_FREE(pend);
        if (scn_oom(L) || !scn_parse_text(ly, &cfg))
            return;
    }
    apply_layer(ly, config_root_setting(&cfg));
    config_destroy(&cfg);
    if (!scn_oom(L) && !VEC_PUSH(L->applied, file_index))
        scn_nomem(L);
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
        report_v(L, WD_ERROR, st, from->path, scn_layer_line(from, from_line), from_line, fmt, ap);
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
        if (!(path = scn_resolve_existing(from, from_line, written, &st)))
            return;
    } else {
        if (!(path = wd_xstrdup(written))) {
            scn_nomem(L);
            return;
        }
        if (stat(path, &st) != 0) {
            scn_err_nofile(L, WD_E_IO, "cannot open scenario file '%s': %s", path, strerror(errno));
            wd_xfree(path);
            return;
        }
        if (!S_ISREG(st.st_mode)) {
            scn_err_nofile(L, WD_E_IO, "scenario file '%s' is not a regular file", path);
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
            scn_nomem(L);
        else
            scn_err_line(from, from_line, WD_E_SEMANTIC, "extends cycle: %s", wd_buf_str(&b));
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
        scn_err_line(from, from_line, WD_E_LIMIT, "extends nested more than %d files deep at '%s'",
                     SCN_MAX_LAYERS, path);
        wd_xfree(path);
        return;
    }
    if (!VEC_PUSH(L->done, id)) { /* from here on, a second visit is quiet */
        scn_nomem(L);
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
            scn_nomem(L);
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
        scn_nomem(L);
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
        scn_nomem(L);
        return;
    }
    if (scn_prescan(&ly, len))
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
    scn_set_status(L, WD_E_SEMANTIC);
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
        scn_nomem(&L);
    else
        load_file(&L, NULL, 0, path);

    if (!scn_oom(&L))
        check_merged(&L);
    if (!scn_oom(&L) && !s->name && !(s->name = default_name(path)))
        scn_nomem(&L);
    if (L.status == WD_OK && !(s->text = provenance_text(&L)))
        scn_nomem(&L);

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
    scn_calib_free(s->calib);
    for (size_t i = 0; i < s->ndata; i++)
        wd_xfree(s->data[i]);
    wd_xfree(s->data);
    scn_sweep_free_params(&s->sweep);
    scn_sweep_free_metrics(&s->sweep);
    scn_sweep_free_store(&s->sweep);
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
        int kr = scn_set_key(name, &key);
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
        int kr = scn_set_key(s->sets[i].var, &k);
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
