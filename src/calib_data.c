/* calib_data.c: observed series for a calibration, read from delimited text.
 *
 * Pipeline position: called by wd_calib_new (calib.c) after the scenario's
 * `calibrate.data` entries were read (scenario_calib.c); turns each entry into a
 * sorted series of (time, value) points with the data file's line of each.
 *
 * Formats (scn_data in scenario.h):
 *   long: one observation a row; the time column, a value column and
 *         any number of columns to select rows by (match), e.g.
 *         region,variable,year,value,unit,source
 *   wide: a time column and one column per series; an empty cell or NA/NaN
 *         is a missing value and skipped.
 * The delimiter is a tab for .tsv/.tab files and when the header line holds
 * tabs but no commas, else a comma. Fields may be quoted with '"' (a doubled
 * quote inside is one quote, delimiters and line breaks inside belong to the
 * field); blanks around unquoted fields are dropped; a UTF-8 byte order mark
 * and CR/CRLF/LF line ends are accepted. Numbers are plain decimals
 * (strtod, all of the field).
 */
#include "calib.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the table ------------------------------------------------------------------ */

typedef struct csv_row {
    int line;       /* physical line where the row starts */
    size_t first;   /* index of its first field in csv.fields */
    size_t n;
} csv_row;

typedef struct csv {
    const char *path;
    char *label;                /* last path component */
    VEC(char *) fields;
    VEC(csv_row) rows;          /* rows[0] is the header */
} csv;

static void csv_free(csv *t)
{
    for (size_t i = 0; i < t->fields.n; i++)
        wd_xfree(t->fields.v[i]);
    VEC_FREE(t->fields);
    VEC_FREE(t->rows);
    wd_xfree(t->label);
}

static bool ends_with_ci(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcasecmp(s + n - k, suf) == 0;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Parses the text; false with *err set on a malformed file. */
static bool csv_parse(csv *t, const char *text, size_t len, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    char delim = ',';
    if (ends_with_ci(t->path, ".tsv") || ends_with_ci(t->path, ".tab")) {
        delim = '\t';
    } else {
        const char *q = p;
        bool tab = false, comma = false;
        while (q < end && *q != '\n' && *q != '\r') {
            tab |= *q == '\t';
            comma |= *q == ',';
            q++;
        }
        if (tab && !comma)
            delim = '\t';
    }
    int line = 1;
    wd_buf f = {0};
    bool row_open = false;
    while (p < end) {
        if (!row_open) {
            /* skip empty lines between rows */
            if (*p == '\n' || *p == '\r') {
                if (*p == '\r' && p + 1 < end && p[1] == '\n')
                    p++;
                p++;
                line++;
                continue;
            }
            csv_row r = {line, t->fields.n, 0};
            if (!VEC_PUSH(t->rows, r))
                goto nomem;
            row_open = true;
        }
        f.n = 0;
        if (f.s)
            f.s[0] = 0;
        while (p < end && is_blank(*p) && *p != delim)
            p++;
        if (p < end && *p == '"') {
            int start = line;
            p++;
            for (;;) {
                if (p >= end) {
                    snprintf(err, errlen, "%s:%d: a quoted field never ends", t->path, start);
                    wd_buf_free(&f);
                    return false;
                }
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        wd_buf_putc(&f, '"');
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n')
                    line++;
                wd_buf_putc(&f, *p++);
            }
        }
        while (p < end && *p != delim && *p != '\n' && *p != '\r')
            wd_buf_putc(&f, *p++);
        while (f.n > 0 && is_blank(f.s[f.n - 1]) && f.s[f.n - 1] != delim)
            f.s[--f.n] = 0;
        char *field = wd_xstrdup(wd_buf_str(&f));
        if (f.oom || !field || !VEC_PUSH(t->fields, field)) {
            wd_xfree(field);
            goto nomem;
        }
        t->rows.v[t->rows.n - 1].n++;
        if (p >= end)
            break;
        if (*p == delim) {
            p++;
            if (p >= end || *p == '\n' || *p == '\r') { /* a trailing delimiter: one more empty field */
                char *e = wd_xstrdup("");
                if (!e || !VEC_PUSH(t->fields, e)) {
                    wd_xfree(e);
                    goto nomem;
                }
                t->rows.v[t->rows.n - 1].n++;
            }
            continue;
        }
        if (*p == '\r' && p + 1 < end && p[1] == '\n')
            p++;
        p++;
        line++;
        row_open = false;
    }
    wd_buf_free(&f);
    if (t->rows.n == 0) {
        snprintf(err, errlen, "%s is empty (a header line naming the columns was expected)", t->path);
        return false;
    }
    return true;
nomem:
    wd_buf_free(&f);
    snprintf(err, errlen, "out of memory reading %s", t->path);
    return false;
}

static const char *cell(const csv *t, size_t row, size_t col)
{
    const csv_row *r = &t->rows.v[row];
    return col < r->n ? t->fields.v[r->first + col] : "";
}

/* Column index by exact name, then ignoring ASCII case; -1 when absent. */
static long find_col(const csv *t, const char *name)
{
    const csv_row *h = &t->rows.v[0];
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(t->fields.v[h->first + i], name) == 0)
            return (long)i;
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(t->fields.v[h->first + i], name) == 0)
            return (long)i;
    return -1;
}

static void columns_text(const csv *t, wd_buf *b)
{
    const csv_row *h = &t->rows.v[0];
    for (size_t i = 0; i < h->n && i < 30; i++)
        wd_buf_printf(b, "%s'%s'", i ? ", " : "", t->fields.v[h->first + i]);
    if (h->n > 30)
        wd_buf_puts(b, ", ...");
}

static bool parse_num(const char *s, double *out)
{
    if (!s[0])
        return false;
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (e == s || *e || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool is_missing(const char *s)
{
    return !s[0] || strcasecmp(s, "NA") == 0 || strcasecmp(s, "NaN") == 0 || strcmp(s, "-") == 0 ||
           strcasecmp(s, "#N/A") == 0;
}

/* ---- one series ----------------------------------------------------------------- */

typedef struct point {
    double t, y;
    int line;
} point;

static int cmp_point(const void *a, const void *b)
{
    const point *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static bool row_matches(const csv *t, size_t row, const scn_data *sp, const long *mcol, size_t skip)
{
    for (size_t k = 0; k < sp->nmatch; k++) {
        if (k == skip)
            continue;
        const char *v = cell(t, row, (size_t)mcol[k]);
        bool any = false;
        for (size_t j = 0; j < sp->match[k].nvalues && !any; j++)
            any = strcmp(v, sp->match[k].values[j]) == 0;
        if (!any)
            return false;
    }
    return true;
}

static void match_text(const scn_data *sp, wd_buf *b)
{
    for (size_t k = 0; k < sp->nmatch; k++) {
        wd_buf_printf(b, "%s%s = ", k ? ", " : "", sp->match[k].column);
        for (size_t j = 0; j < sp->match[k].nvalues; j++)
            wd_buf_printf(b, "%s\"%s\"", j ? " or " : "", sp->match[k].values[j]);
    }
}

/* Why no row matched: the first match key none of whose values occurs in
 * the rows that match the other keys, with the values found there. */
static void no_rows_hint(const csv *t, const scn_data *sp, const long *mcol, wd_buf *b)
{
    for (size_t k = 0; k < sp->nmatch; k++) {
        VEC(const char *) seen = {0};
        bool hit = false;
        size_t others = 0;
        for (size_t r = 1; r < t->rows.n && !hit; r++) {
            if (!row_matches(t, r, sp, mcol, k))
                continue;
            others++;
            const char *v = cell(t, r, (size_t)mcol[k]);
            for (size_t j = 0; j < sp->match[k].nvalues; j++)
                hit |= strcmp(v, sp->match[k].values[j]) == 0;
            bool dup = false;
            for (size_t j = 0; j < seen.n && !dup; j++)
                dup = strcmp(seen.v[j], v) == 0;
            if (!dup && seen.n < 12)
                VEC_PUSH(seen, v);
        }
        if (!hit) {
            if (others == 0) {
                VEC_FREE(seen);
                continue;
            }
            wd_buf_printf(b, "; no such %s among the rows that match the other keys (there: ", sp->match[k].column);
            for (size_t j = 0; j < seen.n; j++)
                wd_buf_printf(b, "%s'%s'", j ? ", " : "", seen.v[j]);
            wd_buf_puts(b, seen.n == 12 ? ", ...)" : ")");
            VEC_FREE(seen);
            return;
        }
        VEC_FREE(seen);
    }
}

static wd_status read_series(wd_calib *c, const csv *t, calib_series *s, wd_diags *d)
{
    const scn_data *sp = s->spec;
    wd_status st = WD_OK;
    long tcol;
    if (sp->time_col) {
        tcol = find_col(t, sp->time_col);
    } else {
        tcol = find_col(t, "year");
        if (tcol < 0)
            tcol = find_col(t, "time");
        if (tcol < 0)
            tcol = find_col(t, "t");
    }
    long vcol = sp->wide ? find_col(t, sp->column) : find_col(t, sp->value_col ? sp->value_col : "value");
    long *mcol = wd_xcalloc(sp->nmatch + 1, sizeof *mcol);
    if (!mcol)
        return WD_E_NOMEM;
    wd_buf b = {0};
    columns_text(t, &b);
    if (tcol < 0) {
        if (sp->time_col)
            calib_err(d, WD_ERROR, sp->src, "data for '%s': %s has no time column '%s' (columns: %s)", sp->var,
                      t->label, sp->time_col, wd_buf_str(&b));
        else
            calib_err(d, WD_ERROR, sp->src,
                      "data for '%s': %s has no column year, time or t; name the time column with time = \"...\" "
                      "(columns: %s)",
                      sp->var, t->label, wd_buf_str(&b));
        st = WD_E_ARG;
    }
    if (vcol < 0) {
        calib_err(d, WD_ERROR, sp->src, "data for '%s': %s has no %s column '%s' (columns: %s)", sp->var, t->label,
                  sp->wide ? "series" : "value", sp->wide ? sp->column : sp->value_col ? sp->value_col : "value",
                  wd_buf_str(&b));
        st = WD_E_ARG;
    }
    for (size_t k = 0; k < sp->nmatch; k++) {
        mcol[k] = find_col(t, sp->match[k].column);
        if (mcol[k] < 0) {
            calib_err(d, WD_ERROR, sp->src, "data for '%s': match.%s: %s has no such column (columns: %s)", sp->var,
                      sp->match[k].column, t->label, wd_buf_str(&b));
            st = WD_E_ARG;
        }
    }
    wd_buf_free(&b);
    if (st != WD_OK) {
        wd_xfree(mcol);
        return st;
    }
    VEC(point) pts = {0};
    size_t matched = 0;
    for (size_t r = 1; r < t->rows.n; r++) {
        if (!row_matches(t, r, sp, mcol, SIZE_MAX))
            continue;
        matched++;
        int line = t->rows.v[r].line;
        const char *ts = cell(t, r, (size_t)tcol), *vs = cell(t, r, (size_t)vcol);
        double tv, yv;
        if (!parse_num(ts, &tv)) {
            if (sp->wide && is_missing(ts))
                continue;
            wd_diag_add(d, WD_ERROR, (wd_loc){t->path, line, 0}, NULL,
                        "time '%s' is not a number (data for '%s', %s:%d)", ts, sp->var, sp->src.file, sp->src.line);
            st = WD_E_ARG;
            continue;
        }
        tv += sp->time_offset;
        if (tv < sp->from || tv > sp->to)
            continue;
        if (!parse_num(vs, &yv)) {
            if (sp->wide && is_missing(vs))
                continue;
            wd_diag_add(d, WD_ERROR, (wd_loc){t->path, line, 0}, NULL,
                        "value '%s' is not a number (data for '%s', %s:%d)", vs, sp->var, sp->src.file,
                        sp->src.line);
            st = WD_E_ARG;
            continue;
        }
        point pt = {tv, yv * sp->factor, line};
        if (!VEC_PUSH(pts, pt)) {
            st = WD_E_NOMEM;
            break;
        }
    }
    if (st == WD_OK && pts.n == 0) {
        wd_buf m = {0};
        if (sp->nmatch)
            match_text(sp, &m);
        if (matched) {
            calib_err(d, WD_ERROR, sp->src,
                      "data for '%s': %zu row%s of %s match%s%s but none has a value between from = %g and to = %g",
                      sp->var, matched, matched == 1 ? "" : "s", t->label, sp->nmatch ? " " : "", wd_buf_str(&m),
                      sp->from, sp->to);
        } else if (sp->nmatch) {
            no_rows_hint(t, sp, mcol, &m);
            calib_err(d, WD_ERROR, sp->src, "data for '%s': no row of %s matches %s", sp->var, t->label,
                      wd_buf_str(&m));
        } else {
            calib_err(d, WD_ERROR, sp->src, "data for '%s': %s has no data rows with a value", sp->var, t->label);
        }
        wd_buf_free(&m);
        st = WD_E_ARG;
    }
    wd_xfree(mcol);
    if (st != WD_OK) {
        VEC_FREE(pts);
        return st;
    }
    qsort(pts.v, pts.n, sizeof *pts.v, cmp_point);
    for (size_t i = 1; i < pts.n; i++)
        if (pts.v[i].t == pts.v[i - 1].t) {
            calib_err(d, WD_ERROR, sp->src,
                      "data for '%s': two observations at time %g (%s lines %d and %d); narrow match or from/to",
                      sp->var, pts.v[i].t, t->label, pts.v[i - 1].line, pts.v[i].line);
            st = WD_E_ARG;
        }
    if (st != WD_OK) {
        VEC_FREE(pts);
        return st;
    }
    s->n = pts.n;
    s->t = wd_xmalloc(pts.n * sizeof(double));
    s->y = wd_xmalloc(pts.n * sizeof(double));
    s->fit = wd_xcalloc(pts.n, sizeof(double));
    s->line = wd_xmalloc(pts.n * sizeof(int));
    if (!s->t || !s->y || !s->line || !s->fit) {
        VEC_FREE(pts);
        return WD_E_NOMEM;
    }
    double sum = 0;
    for (size_t i = 0; i < pts.n; i++) {
        s->t[i] = pts.v[i].t;
        s->y[i] = pts.v[i].y;
        s->line[i] = pts.v[i].line;
        sum += fabs(pts.v[i].y);
    }
    VEC_FREE(pts);
    switch (sp->scale) {
    case SCN_SCALE_ABSOLUTE: s->scale = 1; break;
    case SCN_SCALE_NUMBER: s->scale = sp->scale_value; break;
    case SCN_SCALE_POINTWISE: s->scale = 1; break;
    default:
        s->scale = sum / (double)s->n;
        if (!(s->scale > 0)) {
            calib_err(d, WD_ERROR, sp->src,
                      "data for '%s': scale \"relative\" divides by the mean absolute observation, which is 0 here; "
                      "give scale = \"absolute\" or a number",
                      sp->var);
            return WD_E_ARG;
        }
        break;
    }
    s->mult = sqrt(sp->weight) / s->scale;
    if (sp->scale == SCN_SCALE_POINTWISE) {
        s->pmult = wd_xmalloc(s->n * sizeof(double));
        if (!s->pmult)
            return WD_E_NOMEM;
        for (size_t i = 0; i < s->n; i++) {
            if (s->y[i] == 0) {
                calib_err(d, WD_ERROR, sp->src,
                          "data for '%s': scale \"pointwise\" divides each residual by its observation, which is 0 "
                          "at time %g (line %d); select rows with from/to or use another scale",
                          sp->var, s->t[i], s->line[i]);
                return WD_E_ARG;
            }
            s->pmult[i] = sqrt(sp->weight) / fabs(s->y[i]);
        }
    }
    (void)c;
    return WD_OK;
}

/* ---- all series ---------------------------------------------------------------- */

wd_status calib_data_read(wd_calib *c, wd_diags *d)
{
    const scn_calib *sp = c->spec;
    c->ser = wd_xcalloc(sp->ndata + 1, sizeof *c->ser);
    if (!c->ser)
        return WD_E_NOMEM;
    c->ns = sp->ndata;
    /* files in order of first use, each read once */
    VEC(csv) tables = {0};
    wd_status st = WD_OK;
    for (size_t i = 0; i < sp->ndata && st != WD_E_NOMEM; i++) {
        calib_series *s = &c->ser[i];
        s->spec = &sp->data[i];
        s->label = s->spec->label ? s->spec->label : s->spec->var;
        size_t k = 0;
        while (k < tables.n && strcmp(tables.v[k].path, s->spec->file) != 0)
            k++;
        if (k == tables.n) {
            csv t = {0};
            t.path = s->spec->file;
            const char *base = strrchr(t.path, '/');
            t.label = wd_xstrdup(base ? base + 1 : t.path);
            size_t len = 0;
            errno = 0;
            char *text = wd_read_file(t.path, &len);
            char err[600];
            if (!t.label || (!text && (errno == ENOMEM || errno == 0))) {
                wd_xfree(text);
                csv_free(&t);
                st = WD_E_NOMEM;
                break;
            }
            if (!text) {
                calib_err(d, WD_ERROR, s->spec->src, "cannot read data file '%s': %s", t.path, strerror(errno));
                csv_free(&t);
                st = WD_E_IO;
                continue;
            }
            bool ok = csv_parse(&t, text, len, err, sizeof err);
            wd_xfree(text);
            if (!ok) {
                calib_err(d, WD_ERROR, s->spec->src, "%s", err);
                csv_free(&t);
                st = WD_E_ARG;
                continue;
            }
            if (!VEC_PUSH(tables, t)) {
                csv_free(&t);
                st = WD_E_NOMEM;
                break;
            }
        }
        wd_status r = read_series(c, &tables.v[k], s, d);
        if (r != WD_OK && (st == WD_OK || r == WD_E_NOMEM))
            st = r;
    }
    for (size_t k = 0; k < tables.n; k++)
        csv_free(&tables.v[k]);
    VEC_FREE(tables);
    if (st != WD_OK)
        return st;
    size_t n = 0;
    for (size_t i = 0; i < c->ns; i++) {
        c->ser[i].first = n;
        n += c->ser[i].n;
    }
    c->n = n;
    return WD_OK;
}

void calib_data_free(wd_calib *c)
{
    for (size_t i = 0; c->ser && i < c->ns; i++) {
        wd_xfree(c->ser[i].t);
        wd_xfree(c->ser[i].y);
        wd_xfree(c->ser[i].line);
        wd_xfree(c->ser[i].fit);
        wd_xfree(c->ser[i].pmult);
    }
    wd_xfree(c->ser);
    c->ser = NULL;
    c->ns = 0;
}
