/* sink_csv.c: the TSV/CSV result writer, the last stage of a run.
 *
 * run.c turns a run into an out_view (outview.h); this file prints it in the
 * layout of the SD conformance suite's reference files, which is also what
 * gnuplot, spreadsheets and pandas.read_csv read:
 *
 *   Time<sep>x<sep>jobs[Ruhr,Mining]<sep>jobs[Ruhr,Steel]...
 *   2025<sep>1.5<sep>...
 *
 * one column per scalar variable or array element (row-major over the
 * variable's ranges, last subscript fastest, element names as the ranges give
 * them), one row per save point. A timeless (constant) variable is printed in
 * every row with its value from row 0, the same value the HDF5 writer stores,
 * so a run need not fill later rows of constant columns.
 *
 * Numbers are the shortest %g form that reads back as the same double (at
 * most 17 significant digits, wd_format_double); NaN prints as "NaN", and
 * infinities as "Inf" / "-Inf".
 *
 * Field escaping: with sep '\t' (TSV has no quoting) a tab, CR or LF inside a
 * name becomes a space. With any other separator (',' or ';') a field that
 * contains the separator, a double quote, CR or LF is quoted as RFC 4180 says,
 * with inner quotes doubled: jobs[Ruhr,Mining] becomes "jobs[Ruhr,Mining]".
 * Lines end with "\n".
 */
#include "outview.h"

#include "diag.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static wd_status bad_view(wd_diags *diags, const char *fmt, ...) WD_PRINTF(2, 3);

static wd_status bad_view(wd_diags *diags, const char *fmt, ...)
{
    wd_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    wd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    wd_diag_add(diags, WD_ERROR, (wd_loc){NULL, 0, 0}, NULL, "invalid result view: %s",
                wd_buf_str(&b));
    wd_buf_free(&b);
    return WD_E_ARG;
}

/* Every pointer the writer follows and every column index, checked before
 * anything is printed: a broken view gives WD_E_ARG, never a crash. */
static wd_status check_view(const out_view *v, wd_diags *diags)
{
    if (v->nsaved > 0 && !v->times)
        return bad_view(diags, "%zu save points but no times", v->nsaved);
    if (v->nsaved > 0 && v->ncols > 0 && !v->rows)
        return bad_view(diags, "no value matrix");
    if (v->nvars > 0 && !v->vars)
        return bad_view(diags, "%zu variables but no list", v->nvars);
    for (size_t i = 0; i < v->nvars; i++) {
        const out_var *x = &v->vars[i];
        if (!x->name)
            return bad_view(diags, "variable %zu has no name", i);
        if (x->ndims > 0 && !x->dims)
            return bad_view(diags, "variable '%s' has no subscript ranges", x->name);
        size_t prod = 1;
        for (size_t d = 0; d < x->ndims; d++) {
            const out_dim *r = x->dims[d];
            if (!r || !r->name || (r->n > 0 && !r->elems))
                return bad_view(diags, "subscript %zu of variable '%s' is incomplete", d + 1,
                                x->name);
            for (size_t e = 0; e < r->n; e++)
                if (!r->elems[e])
                    return bad_view(diags, "range '%s' has an unnamed element %zu", r->name,
                                    e + 1);
            if (r->n != 0 && prod > SIZE_MAX / r->n)
                return bad_view(diags, "variable '%s' is too large", x->name);
            prod *= r->n;
        }
        if (prod != x->nelems)
            return bad_view(diags, "variable '%s' has %zu elements but its ranges give %zu",
                            x->name, x->nelems, prod);
        if (x->first_col > v->ncols || x->nelems > v->ncols - x->first_col)
            return bad_view(diags, "variable '%s' needs columns %zu..%zu of %zu", x->name,
                            x->first_col, x->first_col + x->nelems, v->ncols);
    }
    return WD_OK;
}

/* Appends one header field, escaped for sep. */
static void put_field(wd_buf *b, const char *s, size_t n, char sep)
{
    if (sep == '\t') {
        for (size_t i = 0; i < n; i++)
            wd_buf_putc(b, s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i]);
        return;
    }
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == sep || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        wd_buf_putn(b, s, n);
        return;
    }
    wd_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            wd_buf_putc(b, '"');
        wd_buf_putc(b, s[i]);
    }
    wd_buf_putc(b, '"');
}

/* Appends the column names of x: "name", or "name[e1,e2]" per element. */
static void put_var_header(wd_buf *b, const out_var *x, char sep, wd_buf *tmp)
{
    if (x->ndims == 0) {
        for (size_t j = 0; j < x->nelems; j++) { /* nelems is 1 */
            wd_buf_putc(b, sep);
            put_field(b, x->name, strlen(x->name), sep);
        }
        return;
    }
    for (size_t j = 0; j < x->nelems; j++) {
        tmp->n = 0;
        if (tmp->s)
            tmp->s[0] = 0;
        wd_buf_puts(tmp, x->name);
        wd_buf_putc(tmp, '[');
        /* Decompose j row-major: the last subscript varies fastest. */
        size_t stride = x->nelems;
        for (size_t d = 0; d < x->ndims; d++) {
            stride /= x->dims[d]->n;
            if (d > 0)
                wd_buf_putc(tmp, ',');
            wd_buf_puts(tmp, x->dims[d]->elems[(j / stride) % x->dims[d]->n]);
        }
        wd_buf_putc(tmp, ']');
        wd_buf_putc(b, sep);
        put_field(b, wd_buf_str(tmp), tmp->n, sep);
    }
}

static void put_number(wd_buf *b, double x)
{
    char num[40];
    wd_format_double(num, sizeof num, x, 17);
    wd_buf_puts(b, num);
}

/* Writes the buffered line and empties the buffer; false on a stream error. */
static bool flush_line(wd_buf *line, FILE *out)
{
    bool ok = fwrite(line->s ? line->s : "", 1, line->n, out) == line->n && !ferror(out);
    line->n = 0;
    if (line->s)
        line->s[0] = 0;
    return ok;
}

wd_status sink_table_write(const out_view *v, FILE *out, char sep, wd_diags *diags)
{
    if (!v || !out) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){NULL, 0, 0}, NULL,
                    "cannot write table: no %s given", v ? "stream" : "result view");
        return WD_E_ARG;
    }
    if (sep == '\0' || sep == '"' || sep == '\n' || sep == '\r') {
        wd_diag_add(diags, WD_ERROR, (wd_loc){NULL, 0, 0}, NULL,
                    "cannot write table: invalid column separator (code %d)", sep);
        return WD_E_ARG;
    }
    wd_status st = check_view(v, diags);
    if (st)
        return st;

    wd_buf line = {0}, tmp = {0};
    errno = 0;
    wd_buf_puts(&line, "Time");
    for (size_t i = 0; i < v->nvars; i++)
        put_var_header(&line, &v->vars[i], sep, &tmp);
    wd_buf_putc(&line, '\n');
    bool ok = !line.oom && flush_line(&line, out);
    for (size_t k = 0; ok && k < v->nsaved; k++) {
        put_number(&line, v->times[k]);
        for (size_t i = 0; i < v->nvars; i++) {
            const out_var *x = &v->vars[i];
            const double *row = v->rows + (x->timeless ? 0 : k) * v->ncols + x->first_col;
            for (size_t j = 0; j < x->nelems; j++) {
                wd_buf_putc(&line, sep);
                put_number(&line, row[j]);
            }
        }
        wd_buf_putc(&line, '\n');
        if (line.oom)
            break;
        ok = flush_line(&line, out);
    }
    if (line.oom || tmp.oom) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){NULL, 0, 0}, NULL,
                    "cannot write table: out of memory");
        st = WD_E_NOMEM;
    } else if (!ok || fflush(out) != 0 || ferror(out)) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){NULL, 0, 0}, NULL, "cannot write table: %s",
                    errno ? strerror(errno) : "write error");
        st = WD_E_IO;
    }
    wd_buf_free(&line);
    wd_buf_free(&tmp);
    return st;
}
