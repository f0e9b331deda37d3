/* datafile.c: time series from .tab / .csv data files. See datafile.h.
 *
 * Part of model construction (sema.c calls it for data variables without an
 * equation). The whole file is read, split into lines (LF, CRLF or CR) and
 * fields (tab or comma; a field may be quoted with "), then turned into one
 * series per variable element.
 */
#include "datafile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef VEC(char *) field_vec;
typedef VEC(field_vec) row_vec;

static void rows_free(row_vec *rows)
{
    for (size_t i = 0; i < rows->n; i++) {
        for (size_t j = 0; j < rows->v[i].n; j++)
            wd_xfree(rows->v[i].v[j]);
        VEC_FREE(rows->v[i]);
    }
    VEC_FREE(*rows);
}

/* Splits text into rows of fields; false when out of memory. */
static bool split(const char *text, size_t len, char sep, row_vec *rows)
{
    size_t i = 0;
    while (i < len) {
        field_vec f = {0};
        for (;;) {
            wd_buf b = {0};
            if (i < len && text[i] == '"') {
                i++;
                while (i < len) {
                    if (text[i] == '"' && i + 1 < len && text[i + 1] == '"') {
                        wd_buf_putn(&b, "\"", 1);
                        i += 2;
                    } else if (text[i] == '"') {
                        i++;
                        break;
                    } else {
                        wd_buf_putn(&b, text + i++, 1);
                    }
                }
            }
            while (i < len && text[i] != sep && text[i] != '\n' && text[i] != '\r')
                wd_buf_putn(&b, text + i++, 1);
            char *s = wd_buf_take(&b);
            if (!s)
                s = wd_xstrdup("");
            if (!s || !VEC_PUSH(f, s)) {
                wd_xfree(s);
                VEC_PUSH(*rows, f);
                return false;
            }
            if (i < len && text[i] == sep) {
                i++;
                continue;
            }
            break;
        }
        if (i < len && text[i] == '\r')
            i++;
        if (i < len && text[i] == '\n')
            i++;
        bool empty = f.n == 1 && !f.v[0][0];
        if (empty) {
            wd_xfree(f.v[0]);
            VEC_FREE(f);
            continue;
        }
        if (!VEC_PUSH(*rows, f))
            return false;
    }
    return true;
}

/* A number, or NaN for a blank or missing cell (NA, :NA:). */
static bool cell_number(const char *s, double *v, bool *blank)
{
    while (isspace((unsigned char)*s))
        s++;
    *blank = false;
    if (!*s || !strcmp(s, ":NA:") || !strcasecmp(s, "NA") || !strcasecmp(s, "NaN")) {
        *blank = true;
        *v = NAN;
        return true;
    }
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    return end != s && !*end;
}

char *df_canon_key(const char *s, size_t n)
{
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    while (n && isspace((unsigned char)*s))
        s++, n--;
    const char *br = NULL;
    if (n && s[n - 1] == ']')
        for (size_t i = n; i-- > 0;)
            if (s[i] == '[') {
                br = s + i;
                break;
            }
    size_t nl = br ? (size_t)(br - s) : n;
    const char *name = s;
    while (nl && isspace((unsigned char)name[nl - 1]))
        nl--;
    if (nl >= 2 && name[0] == '"' && name[nl - 1] == '"')
        name++, nl -= 2;
    char *cn = wd_canon_name(name, nl);
    if (!cn || !br)
        return cn;
    wd_buf b = {0};
    wd_buf_puts(&b, cn);
    wd_xfree(cn);
    wd_buf_puts(&b, "[");
    const char *p = br + 1, *end = s + n - 1;
    bool first = true;
    while (p <= end) {
        const char *q = p;
        while (q < end && *q != ',')
            q++;
        const char *a = p, *z = q;
        while (a < z && isspace((unsigned char)*a))
            a++;
        while (z > a && isspace((unsigned char)z[-1]))
            z--;
        if (z - a >= 2 && *a == '"' && z[-1] == '"')
            a++, z--;
        char *e = wd_canon_name(a, (size_t)(z - a));
        if (!e) {
            wd_buf_free(&b);
            return NULL;
        }
        if (!first)
            wd_buf_puts(&b, ",");
        wd_buf_puts(&b, e);
        wd_xfree(e);
        first = false;
        p = q + 1;
    }
    wd_buf_puts(&b, "]");
    return wd_buf_take(&b);
}

/* Adds the series of one column/row: name, times, cells (count n). */
static int add_series(df_set *set, const char *name, const double *t, char *const *cells, size_t n,
                      const char *path, size_t line, size_t step, char *err, size_t errlen)
{
    double *tt = wd_xmalloc((n + 1) * sizeof(double)), *yy = wd_xmalloc((n + 1) * sizeof(double));
    char *key = df_canon_key(name, strlen(name));
    if (!tt || !yy || !key) {
        wd_xfree(tt), wd_xfree(yy), wd_xfree(key);
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    /* a constant: written once, blank after */
    bool rest_blank = n > 1;
    for (size_t i = 1; i < n && rest_blank; i++) {
        double v;
        bool blank;
        rest_blank = cell_number(cells[i], &v, &blank) && blank;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double v;
        bool blank;
        if (!cell_number(cells[i], &v, &blank)) {
            snprintf(err, errlen, "%s:%zu: '%s' is not a number (series '%s')", path, line + step * i,
                     cells[i], name);
            wd_xfree(tt), wd_xfree(yy), wd_xfree(key);
            return -1;
        }
        if (blank || isnan(t[i]))
            continue;
        tt[m] = t[i];
        yy[m] = v;
        m++;
        if (rest_blank)
            break;
    }
    df_series s = {key, m, tt, yy};
    size_t at;
    if (wd_map_get(set->by_key, key, &at)) {
        df_series *old = &set->s.v[at];
        wd_xfree(old->key), wd_xfree(old->t), wd_xfree(old->y);
        *old = s;
        return 0;
    }
    if (!VEC_PUSH(set->s, s) || !wd_map_put(set->by_key, key, set->s.n - 1)) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    return 0;
}

int df_load(df_set *set, const char *path, char *err, size_t errlen)
{
    if (!set->by_key && !(set->by_key = wd_map_new())) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t len;
    char *text = wd_read_file(path, &len);
    if (!text) {
        snprintf(err, errlen, "cannot read data file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t nl = strcspn(text, "\r\n");
    char sep = memchr(text, '\t', nl) ? '\t' : ',';
    row_vec rows = {0};
    int rc = -1;
    double *times = NULL;
    char **cells = NULL;
    size_t skip = 0; /* a UTF-8 byte-order mark */
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB && (unsigned char)text[2] == 0xBF)
        skip = 3;
    if (!split(text + skip, len - skip, sep, &rows)) {
        snprintf(err, errlen, "out of memory reading %s", path);
        goto done;
    }
    if (rows.n < 2 || rows.v[0].n < 2) {
        snprintf(err, errlen, "%s: expected a header line and data (Time, then one column or row per variable)", path);
        goto done;
    }
    char *h0 = df_canon_key(rows.v[0].v[0], strlen(rows.v[0].v[0]));
    bool time_first = h0 && !strcmp(h0, "time");
    wd_xfree(h0);
    if (!time_first) {
        snprintf(err, errlen, "%s:1: the first cell must be 'Time' (found '%s')", path, rows.v[0].v[0]);
        goto done;
    }
    double v;
    bool blank;
    bool across = !cell_number(rows.v[1].v[0], &v, &blank) || blank;
    if (!across) {
        /* time down: column 0 the times, a column per series */
        size_t nr = rows.n - 1, nc = rows.v[0].n;
        times = wd_xmalloc(nr * sizeof(double));
        cells = wd_xmalloc(nr * sizeof(char *));
        if (!times || !cells) {
            snprintf(err, errlen, "out of memory reading %s", path);
            goto done;
        }
        for (size_t r = 0; r < nr; r++) {
            if (!cell_number(rows.v[r + 1].v[0], &times[r], &blank) || blank) {
                snprintf(err, errlen, "%s:%zu: the time '%s' is not a number", path, r + 2, rows.v[r + 1].v[0]);
                goto done;
            }
            if (r && times[r] <= times[r - 1]) {
                snprintf(err, errlen, "%s:%zu: times must increase (%g after %g)", path, r + 2, times[r], times[r - 1]);
                goto done;
            }
        }
        for (size_t c = 1; c < nc; c++) {
            for (size_t r = 0; r < nr; r++)
                cells[r] = c < rows.v[r + 1].n ? rows.v[r + 1].v[c] : "";
            if (add_series(set, rows.v[0].v[c], times, cells, nr, path, 2, 1, err, errlen))
                goto done;
        }
    } else {
        /* time across: row 0 the times, a row per series */
        size_t nt = rows.v[0].n - 1;
        times = wd_xmalloc(nt * sizeof(double));
        cells = wd_xmalloc(nt * sizeof(char *));
        if (!times || !cells) {
            snprintf(err, errlen, "out of memory reading %s", path);
            goto done;
        }
        for (size_t k = 0; k < nt; k++)
            if (!cell_number(rows.v[0].v[k + 1], &times[k], &blank) || blank) {
                snprintf(err, errlen, "%s:1: the time '%s' is not a number", path, rows.v[0].v[k + 1]);
                goto done;
            }
        for (size_t r = 1; r < rows.n; r++) {
            for (size_t k = 0; k < nt; k++)
                cells[k] = k + 1 < rows.v[r].n ? rows.v[r].v[k + 1] : "";
            if (add_series(set, rows.v[r].v[0], times, cells, nt, path, r + 1, 0, err, errlen))
                goto done;
        }
    }
    char *copy = wd_xstrdup(path);
    if (!copy || !VEC_PUSH(set->files, copy)) {
        wd_xfree(copy);
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    rc = 0;
done:
    wd_xfree(times);
    wd_xfree(cells);
    rows_free(&rows);
    wd_xfree(text);
    return rc;
}

const df_series *df_find(const df_set *set, const char *key)
{
    size_t at;
    if (!set->by_key || !wd_map_get(set->by_key, key, &at))
        return NULL;
    return &set->s.v[at];
}

void df_free(df_set *set)
{
    for (size_t i = 0; i < set->s.n; i++) {
        wd_xfree(set->s.v[i].key);
        wd_xfree(set->s.v[i].t);
        wd_xfree(set->s.v[i].y);
    }
    VEC_FREE(set->s);
    for (size_t i = 0; i < set->files.n; i++)
        wd_xfree(set->files.v[i]);
    VEC_FREE(set->files);
    wd_map_free(set->by_key);
    set->by_key = NULL;
}
