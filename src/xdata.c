/* xdata.c: the GET DIRECT/XLS functions on top of the workbook model.
 *
 * Pipeline position: called by the model compiler while it loads a model;
 * opens files through the format backends (xdata_xlsx.c, xdata_xls.c,
 * xdata_text.c), keeps them in an xd_cache, and implements the cell-reading
 * conventions documented in xdata.h. Everything here works on the sparse,
 * sorted cell arrays of xdata_impl.h, so no loop runs over the area of a
 * range, only over cells that exist or values the caller asked for.
 */
#include "xdata_impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/parser.h>

#include "wdlimits.h"

struct xd_cache {
    VEC(xd_book *) books;
};

/* ---- small helpers ---------------------------------------------------------- */

int xd_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        /* Names and cell text come from the file: keep the message one line. */
        for (char *p = err; *p; p++)
            if ((unsigned char)*p < 0x20)
                *p = ' ';
    }
    return -1;
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

/* Heap copy of s without surrounding blanks (NULL counts as ""). */
static char *dup_trim(const char *s)
{
    if (!s)
        s = "";
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    return wd_xstrndup(s, n);
}

/* Copies at most 40 bytes of s for a message, cutting at a UTF-8 character
 * boundary and marking the cut with "...". */
static void clip(const char *s, char out[48])
{
    size_t n = strlen(s);
    if (n <= 40) {
        memcpy(out, s, n + 1);
        return;
    }
    n = 40;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, s, n);
    memcpy(out + n, "...", 4);
}

static bool str_eq_ci(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

void xd_cell_name(uint32_t row, uint32_t col, char out[16])
{
    char letters[4];
    int n = 0;
    uint32_t c = col + 1;
    while (c > 0 && n < 3) {
        letters[n++] = (char)('A' + (c - 1) % 26);
        c = (c - 1) / 26;
    }
    int k = 0;
    while (n > 0)
        out[k++] = letters[--n];
    snprintf(out + k, (size_t)(16 - k), "%lu", (unsigned long)row + 1);
}

/* Column letters (1..3, up to XFD) to a 0-based index. */
static bool parse_col_letters(const char *s, size_t n, uint32_t *col)
{
    if (n == 0 || n > 3)
        return false;
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = toupper((unsigned char)s[i]);
        if (ch < 'A' || ch > 'Z')
            return false;
        c = c * 26 + (uint32_t)(ch - 'A' + 1);
    }
    if (c > XD_MAX_COLS)
        return false;
    *col = c - 1;
    return true;
}

/* Row digits (1..XD_MAX_ROWS) to a 0-based index. */
static bool parse_row_digits(const char *s, size_t n, uint32_t *row)
{
    if (n == 0 || n > 7)
        return false;
    uint32_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        r = r * 10 + (uint32_t)(s[i] - '0');
    }
    if (r < 1 || r > XD_MAX_ROWS)
        return false;
    *row = r - 1;
    return true;
}

/* Splits [$]letters[$]digits; false when s does not have that shape. */
static bool split_cell(const char *s, const char **l, size_t *nl, const char **d, size_t *nd)
{
    const char *p = s;
    if (*p == '$')
        p++;
    *l = p;
    while (isalpha((unsigned char)*p))
        p++;
    *nl = (size_t)(p - *l);
    if (*p == '$')
        p++;
    *d = p;
    while (isdigit((unsigned char)*p))
        p++;
    *nd = (size_t)(p - *d);
    return *nl > 0 && *nd > 0 && *p == 0;
}

bool xd_parse_cell(const char *s, uint32_t *row, uint32_t *col)
{
    while (is_blank(*s))
        s++;
    const char *p = s;
    if (*p == '$')
        p++;
    const char *l = p;
    while (isalpha((unsigned char)*p))
        p++;
    size_t nl = (size_t)(p - l);
    if (*p == '$')
        p++;
    const char *d = p;
    while (isdigit((unsigned char)*p))
        p++;
    size_t nd = (size_t)(p - d);
    while (is_blank(*p))
        p++;
    return *p == 0 && parse_col_letters(l, nl, col) && parse_row_digits(d, nd, row);
}

/* "AB12" shaped but out of range (row 0, column beyond XFD, ...). */
static bool looks_like_cell(const char *s)
{
    const char *l, *d;
    size_t nl, nd;
    return split_cell(s, &l, &nl, &d, &nd) && nl <= 4;
}

/* A row number "4" or "$4" (0-based into *row). */
static bool parse_row_arg(const char *s, uint32_t *row)
{
    if (*s == '$')
        s++;
    return parse_row_digits(s, strlen(s), row);
}

/* A column "A" or "$A" (0-based into *col). */
static bool parse_col_arg(const char *s, uint32_t *col)
{
    if (*s == '$')
        s++;
    return parse_col_letters(s, strlen(s), col);
}

static bool all_digits(const char *s)
{
    if (*s == '$')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

bool xd_parse_number(const char *s, double *out)
{
    const char *p = s;
    while (is_blank(*p))
        p++;
    const char *start = p;
    if (*p == '+' || *p == '-')
        p++;
    size_t digits = 0;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-')
            q++;
        if (!isdigit((unsigned char)*q))
            return false;
        while (isdigit((unsigned char)*q))
            q++;
        p = q;
    }
    const char *end = p;
    while (is_blank(*p))
        p++;
    if (*p)
        return false;
    char *e;
    double v = strtod(start, &e);
    if (e != end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* ---- sheet storage ------------------------------------------------------------ */

bool xd_sheet_add(xd_book *b, xd_sheet *s, xd_cell cell, char *err, size_t errlen)
{
    if (s->cells.n >= XD_MAX_CELLS) {
        if (b->format == XD_FMT_TEXT)
            xd_fail(err, errlen, "'%s' has more than %u fields", b->label, XD_MAX_CELLS);
        else
            xd_fail(err, errlen, "sheet '%s' of '%s' has more than %u cells", s->name,
                    b->label, XD_MAX_CELLS);
        return false;
    }
    if (!VEC_PUSH(s->cells, cell)) {
        xd_fail(err, errlen, "out of memory reading '%s'", b->label);
        return false;
    }
    return true;
}

bool xd_pool_add(xd_book *b, wd_buf *pool, const char *str, size_t n, uint32_t *off, char *err,
                 size_t errlen)
{
    if (pool->n + n + 1 > XD_MAX_POOL_BYTES) {
        xd_fail(err, errlen, "'%s' holds more than %u bytes of text in one table", b->label,
                XD_MAX_POOL_BYTES);
        return false;
    }
    size_t at = pool->n;
    wd_buf_putn(pool, str, n);
    wd_buf_putc(pool, '\0');
    if (pool->oom) {
        xd_fail(err, errlen, "out of memory reading '%s'", b->label);
        return false;
    }
    *off = (uint32_t)at;
    return true;
}

static uint64_t cell_key(uint32_t row, uint32_t col) { return ((uint64_t)row << 16) | col; }

static int cmp_cell(const void *a, const void *b)
{
    uint64_t ka = cell_key(((const xd_cell *)a)->row, ((const xd_cell *)a)->col);
    uint64_t kb = cell_key(((const xd_cell *)b)->row, ((const xd_cell *)b)->col);
    return ka < kb ? -1 : ka > kb;
}

/* Index of the first cell at or after (row, col). */
static size_t lower_bound(const xd_sheet *s, uint32_t row, uint32_t col)
{
    uint64_t k = cell_key(row, col);
    size_t lo = 0, hi = s->cells.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cell_key(s->cells.v[mid].row, s->cells.v[mid].col) < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const xd_cell *cell_at(const xd_sheet *s, uint32_t row, uint32_t col)
{
    size_t i = lower_bound(s, row, col);
    if (i < s->cells.n && s->cells.v[i].row == row && s->cells.v[i].col == col)
        return &s->cells.v[i];
    return NULL;
}

/* Lookups in increasing (row, col) order, as the GET loops make them, walk
 * forward from the previous hit instead of searching again; any other order
 * falls back to the binary search. */
typedef struct cursor {
    const xd_sheet *s;
    size_t i; /* lower bound of the previous lookup */
} cursor;

static const xd_cell *cursor_at(cursor *cu, uint32_t row, uint32_t col)
{
    const xd_cell *v = cu->s->cells.v;
    size_t n = cu->s->cells.n, i = cu->i;
    uint64_t k = cell_key(row, col);
    if (i > n || (i > 0 && cell_key(v[i - 1].row, v[i - 1].col) >= k)) {
        i = lower_bound(cu->s, row, col);
    } else {
        for (int steps = 0; i < n && cell_key(v[i].row, v[i].col) < k; steps++, i++)
            if (steps == 16) {
                i = lower_bound(cu->s, row, col);
                break;
            }
    }
    cu->i = i;
    return i < n && v[i].row == row && v[i].col == col ? &v[i] : NULL;
}

static const char *cell_text(const xd_book *b, const xd_sheet *s, const xd_cell *c)
{
    switch (c->kind) {
    case XD_STR:
    case XD_ERR:
        return s->pool.s + c->u.off;
    case XD_SST:
        return b->sst_pool.s + b->sst.v[c->u.off];
    default:
        return NULL;
    }
}

/* Loads the sheet's cells on first use, then sorts them and drops duplicate
 * positions (a well-formed file has none; one of them is kept). */
static int sheet_ready(xd_book *b, xd_sheet *s, char *err, size_t errlen)
{
    if (s->loaded)
        return 0;
    if (b->be->load_sheet(b, s, err, errlen) != 0) {
        VEC_FREE(s->cells);
        wd_buf_free(&s->pool);
        return -1;
    }
    bool sorted = true;
    for (size_t i = 1; i < s->cells.n && sorted; i++)
        sorted = cmp_cell(&s->cells.v[i - 1], &s->cells.v[i]) < 0;
    if (!sorted) {
        qsort(s->cells.v, s->cells.n, sizeof *s->cells.v, cmp_cell);
        size_t w = 0;
        for (size_t i = 0; i < s->cells.n; i++)
            if (w == 0 || cmp_cell(&s->cells.v[w - 1], &s->cells.v[i]) != 0)
                s->cells.v[w++] = s->cells.v[i];
        s->cells.n = w;
    }
    s->loaded = true;
    return 0;
}

/* Last used row and column (0-based) of a loaded sheet; false when empty. */
static bool sheet_extent(const xd_sheet *s, uint32_t *last_row, uint32_t *last_col)
{
    if (s->cells.n == 0)
        return false;
    *last_row = s->cells.v[s->cells.n - 1].row;
    uint32_t c = 0;
    for (size_t i = 0; i < s->cells.n; i++)
        if (s->cells.v[i].col > c)
            c = s->cells.v[i].col;
    *last_col = c;
    return true;
}

/* ---- cell values ----------------------------------------------------------------- */

typedef enum cv_status { CV_NUM, CV_EMPTY, CV_TEXT, CV_ERROR } cv_status;

static bool text_blank(const char *t)
{
    while (is_blank(*t))
        t++;
    return *t == 0;
}

static cv_status cell_number(const xd_book *b, const xd_sheet *s, const xd_cell *c, double *v)
{
    if (!c)
        return CV_EMPTY;
    switch (c->kind) {
    case XD_NUM:
    case XD_BOOL:
        *v = c->u.num;
        return CV_NUM;
    case XD_STR:
    case XD_SST: {
        const char *t = cell_text(b, s, c);
        if (text_blank(t))
            return CV_EMPTY;
        return xd_parse_number(t, v) ? CV_NUM : CV_TEXT;
    }
    default:
        return CV_ERROR;
    }
}

/* "cell C12 of 'input.xlsx' sheet 'Sheet1'" (text files have no sheet). */
static void where(char *out, size_t n, const xd_book *b, const xd_sheet *s, uint32_t row,
                  uint32_t col)
{
    char name[16];
    xd_cell_name(row, col, name);
    if (b->format == XD_FMT_TEXT)
        snprintf(out, n, "cell %s of '%s'", name, b->label);
    else
        snprintf(out, n, "cell %s of '%s' sheet '%s'", name, b->label, s->name);
}

/* The message for a cell that does not hold the number expected. */
static int bad_cell(const xd_book *b, const xd_sheet *s, uint32_t row, uint32_t col,
                    cv_status st, const char *expected, char *err, size_t errlen)
{
    char loc[400], shown[48];
    where(loc, sizeof loc, b, s, row, col);
    if (st == CV_EMPTY) {
        uint32_t lr, lc;
        char hint[80] = "";
        if (!sheet_extent(s, &lr, &lc))
            snprintf(hint, sizeof hint, " (the sheet has no data)");
        else if (row > lr)
            snprintf(hint, sizeof hint, " (the data end at row %lu)", (unsigned long)lr + 1);
        else if (col > lc) {
            char last[16];
            xd_cell_name(0, lc, last);
            last[strcspn(last, "0123456789")] = 0;
            snprintf(hint, sizeof hint, " (the data end at column %s)", last);
        }
        return xd_fail(err, errlen, "%s is empty%s, %s was expected", loc, hint, expected);
    }
    const xd_cell *c = cell_at(s, row, col);
    const char *t = c ? cell_text(b, s, c) : NULL;
    t = t ? t : "";
    while (is_blank(*t))
        t++;
    clip(t, shown);
    for (size_t n = strlen(shown); n > 0 && is_blank(shown[n - 1]);)
        shown[--n] = 0;
    if (st == CV_ERROR)
        return xd_fail(err, errlen, "%s holds the error value %s, %s was expected", loc, shown,
                       expected);
    return xd_fail(err, errlen, "%s holds the text '%s', %s was expected", loc, shown, expected);
}

/* ---- workbooks and the cache ------------------------------------------------------- */

static void sheet_free(xd_sheet *s)
{
    wd_xfree(s->name);
    wd_xfree(s->part);
    VEC_FREE(s->cells);
    wd_buf_free(&s->pool);
}

static void book_free(xd_book *b)
{
    if (!b)
        return;
    if (b->be)
        b->be->close(b);
    for (size_t i = 0; i < b->nsheets; i++)
        sheet_free(&b->sheets[i]);
    wd_xfree(b->sheets);
    for (size_t i = 0; i < b->names.n; i++) {
        wd_xfree(b->names.v[i].name);
        wd_xfree(b->names.v[i].ref);
    }
    VEC_FREE(b->names);
    wd_buf_free(&b->sst_pool);
    VEC_FREE(b->sst);
    wd_xfree(b->path);
    wd_xfree(b->key);
    wd_xfree(b);
}

xd_cache *xd_cache_new(void)
{
    /* libxml2 wants its globals set up once before first use; this is
     * idempotent and cheap after the first call. */
    xmlInitParser();
    return wd_xcalloc(1, sizeof(xd_cache));
}

void xd_cache_free(xd_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->books.n; i++)
        book_free(c->books.v[i]);
    VEC_FREE(c->books);
    wd_xfree(c);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static const char *extension(const char *label)
{
    const char *dot = strrchr(label, '.');
    return dot ? dot : "";
}

/* The delimiter of a text file from the function's "tab" argument. */
static char text_delimiter(const char *sheet, const char *label)
{
    if (sheet) {
        if (sheet[0] == '\\' && (sheet[1] == 't' || sheet[1] == 'T') && sheet[2] == 0)
            return '\t';
        unsigned char ch = (unsigned char)sheet[0];
        if (ch == '\t' || ch == ' ' || (ch < 0x80 && ispunct(ch) && ch != '"'))
            return (char)ch;
    }
    return str_eq_ci(extension(label), ".csv") ? ',' : '\t';
}

/* Chooses the backend from the first bytes of the file, then the extension. */
static xd_format sniff_format(const char *path, const char *label)
{
    unsigned char m[8] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = 0;
    if (f) {
        got = fread(m, 1, sizeof m, f);
        fclose(f);
    }
    static const unsigned char ole2[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    if (got >= 4 && memcmp(m, "PK\x03\x04", 4) == 0)
        return XD_FMT_XLSX;
    if (got == 8 && memcmp(m, ole2, 8) == 0)
        return XD_FMT_XLS;
    const char *ext = extension(label);
    if (str_eq_ci(ext, ".xlsx") || str_eq_ci(ext, ".xlsm"))
        return XD_FMT_XLSX; /* the backend reports what is wrong with it */
    if (str_eq_ci(ext, ".xls"))
        return XD_FMT_XLS;
    return XD_FMT_TEXT;
}

static xd_book *open_book(xd_cache *c, const char *path, const char *sheet, char *err,
                          size_t errlen)
{
    if (!c) {
        xd_fail(err, errlen, "no workbook cache");
        return NULL;
    }
    if (!path || !*path) {
        xd_fail(err, errlen, "no file name");
        return NULL;
    }
    const char *label = base_name(path);
    if (label[0] == '?') {
        xd_fail(err, errlen,
                "'%s' is an indirect file reference; it must be resolved to a file name first",
                label);
        return NULL;
    }
    /* Fast path: the same path string seen before (no file system access,
     * so a model with many calls opens each file once). */
    char delim_arg = text_delimiter(sheet, label);
    for (size_t i = 0; i < c->books.n; i++) {
        xd_book *b = c->books.v[i];
        if (strcmp(b->path, path) == 0 &&
            (b->format != XD_FMT_TEXT || b->delim == delim_arg))
            return b;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        xd_fail(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        xd_fail(err, errlen, "cannot open '%s': %s", path, strerror(EISDIR));
        return NULL;
    }
    char *real = realpath(path, NULL);
    char *key = wd_xstrdup(real ? real : path);
    free(real); /* realpath allocates with malloc */
    if (!key) {
        xd_fail(err, errlen, "out of memory opening '%s'", label);
        return NULL;
    }
    xd_format fmt = sniff_format(path, label);
    char delim = fmt == XD_FMT_TEXT ? delim_arg : 0;
    for (size_t i = 0; i < c->books.n; i++) {
        xd_book *b = c->books.v[i];
        if (strcmp(b->key, key) == 0 && b->format == fmt && b->delim == delim) {
            wd_xfree(key);
            return b;
        }
    }
    xd_book *b = wd_xcalloc(1, sizeof *b);
    if (!b || !(b->path = wd_xstrdup(path))) {
        wd_xfree(b);
        wd_xfree(key);
        xd_fail(err, errlen, "out of memory opening '%s'", label);
        return NULL;
    }
    b->key = key;
    b->label = base_name(b->path);
    b->format = fmt;
    b->delim = delim;
    b->be = fmt == XD_FMT_XLSX ? &xd_backend_xlsx
            : fmt == XD_FMT_XLS ? &xd_backend_xls
                                : &xd_backend_text;
    if (b->be->open(b, err, errlen) != 0) {
        book_free(b);
        return NULL;
    }
    if (!VEC_PUSH(c->books, b)) {
        book_free(b);
        xd_fail(err, errlen, "out of memory opening '%s'", label);
        return NULL;
    }
    return b;
}

/* Finds a sheet by exact name, then ignoring ASCII case. Text files have one
 * sheet and the argument is their delimiter instead. */
static xd_sheet *find_sheet(xd_book *b, const char *name, int *index, char *err, size_t errlen)
{
    if (b->format == XD_FMT_TEXT) {
        *index = 0;
        return &b->sheets[0];
    }
    if (!name)
        name = "";
    for (size_t i = 0; i < b->nsheets; i++)
        if (strcmp(b->sheets[i].name, name) == 0) {
            *index = (int)i;
            return &b->sheets[i];
        }
    for (size_t i = 0; i < b->nsheets; i++)
        if (str_eq_ci(b->sheets[i].name, name)) {
            *index = (int)i;
            return &b->sheets[i];
        }
    wd_buf list = {0};
    for (size_t i = 0; i < b->nsheets && i < 12; i++)
        wd_buf_printf(&list, "%s%s", i ? ", " : "", b->sheets[i].name);
    if (b->nsheets > 12)
        wd_buf_puts(&list, ", ...");
    xd_fail(err, errlen, "no sheet '%s' in '%s' (sheets: %s)", name, b->label,
            list.oom ? "?" : wd_buf_str(&list));
    wd_buf_free(&list);
    return NULL;
}

/* ---- named ranges -------------------------------------------------------------- */

/* A block of cells, inclusive bounds. */
typedef struct xd_rect {
    xd_sheet *sheet;
    uint32_t r0, c0, r1, c1;
} xd_rect;

static uint32_t rect_rows(const xd_rect *r) { return r->r1 - r->r0 + 1; }
static uint32_t rect_cols(const xd_rect *r) { return r->c1 - r->c0 + 1; }

static const xd_defname *find_name(const xd_book *b, const char *name, int sheet_index)
{
    for (size_t i = 0; i < b->names.n; i++)
        if (b->names.v[i].sheet_index == sheet_index && str_eq_ci(b->names.v[i].name, name))
            return &b->names.v[i];
    for (size_t i = 0; i < b->names.n; i++)
        if (b->names.v[i].sheet_index < 0 && str_eq_ci(b->names.v[i].name, name))
            return &b->names.v[i];
    return NULL;
}

/* Parses a defined name's reference: [=][sheet!]cell[:cell], where the sheet
 * may be quoted ('My ''x'' sheet'). *sheet is NULL when there is none.
 * Returns 0, 1 when ref is not such a reference, -1 when out of memory. */
static int parse_ref(const char *ref, char **sheet, uint32_t *r0, uint32_t *c0, uint32_t *r1,
                     uint32_t *c1)
{
    *sheet = NULL;
    const char *p = ref;
    while (is_blank(*p))
        p++;
    if (*p == '=')
        p++;
    wd_buf name = {0};
    bool has_sheet = false;
    int rc = 1;
    if (*p == '\'') {
        p++;
        for (;; p++) {
            if (!*p)
                goto done;
            if (*p == '\'') {
                if (p[1] != '\'')
                    break;
                p++;
            }
            wd_buf_putc(&name, *p);
        }
        if (p[1] != '!')
            goto done;
        p += 2;
        has_sheet = true;
    } else {
        const char *bang = strchr(p, '!');
        if (bang) {
            wd_buf_putn(&name, p, (size_t)(bang - p));
            p = bang + 1;
            has_sheet = true;
        }
    }
    if (name.oom) {
        rc = -1;
        goto done;
    }
    if (has_sheet && (name.n == 0 || name.s[0] == '['))
        goto done; /* external workbook references are not followed */
    const char *colon = strchr(p, ':');
    char first[32], second[32];
    size_t n1 = colon ? (size_t)(colon - p) : strlen(p);
    if (n1 >= sizeof first || (colon && strlen(colon + 1) >= sizeof second))
        goto done;
    memcpy(first, p, n1);
    first[n1] = 0;
    snprintf(second, sizeof second, "%s", colon ? colon + 1 : first);
    uint32_t ra, ca, rb, cb;
    if (!xd_parse_cell(first, &ra, &ca) || !xd_parse_cell(second, &rb, &cb))
        goto done;
    *r0 = ra < rb ? ra : rb;
    *r1 = ra < rb ? rb : ra;
    *c0 = ca < cb ? ca : cb;
    *c1 = ca < cb ? cb : ca;
    rc = 0;
    if (has_sheet && !(*sheet = wd_buf_take(&name)))
        rc = -1;
done:
    wd_buf_free(&name);
    return rc;
}

/* Resolves a named range seen from sheet `from` (index si). */
static int resolve_name(xd_book *b, const char *name, xd_sheet *from, int si, xd_rect *out,
                        char *err, size_t errlen)
{
    const xd_defname *dn = find_name(b, name, si);
    if (!dn) {
        if (b->format != XD_FMT_XLSX)
            return xd_fail(err, errlen,
                           "no named range '%s' in '%s' (named ranges are read from .xlsx "
                           "files only)",
                           name, b->label);
        for (size_t i = 0; i < b->names.n; i++) {
            const xd_defname *o = &b->names.v[i];
            if (str_eq_ci(o->name, name) && o->sheet_index >= 0 &&
                (size_t)o->sheet_index < b->nsheets)
                return xd_fail(err, errlen,
                               "no named range '%s' in '%s' for sheet '%s' (it is defined for "
                               "sheet '%s' only)",
                               name, b->label, from->name, b->sheets[o->sheet_index].name);
        }
        if (looks_like_cell(name))
            return xd_fail(err, errlen,
                           "'%s' is not a valid cell (columns A..XFD, rows 1..%u) nor a named "
                           "range in '%s'",
                           name, XD_MAX_ROWS, b->label);
        return xd_fail(err, errlen, "no named range '%s' in '%s'", name, b->label);
    }
    char *sheet = NULL;
    char shown[48];
    int prc = parse_ref(dn->ref, &sheet, &out->r0, &out->c0, &out->r1, &out->c1);
    if (prc < 0)
        return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    if (prc > 0) {
        clip(dn->ref, shown);
        return xd_fail(err, errlen, "named range '%s' in '%s' refers to '%s', not a block of cells",
                       name, b->label, shown);
    }
    out->sheet = from;
    if (sheet) {
        int idx;
        out->sheet = NULL;
        for (size_t i = 0; i < b->nsheets && !out->sheet; i++)
            if (strcmp(b->sheets[i].name, sheet) == 0)
                out->sheet = &b->sheets[i];
        if (!out->sheet)
            out->sheet = find_sheet(b, sheet, &idx, NULL, 0);
        if (!out->sheet) {
            clip(sheet, shown);
            wd_xfree(sheet);
            return xd_fail(err, errlen, "named range '%s' in '%s' refers to a missing sheet '%s'",
                           name, b->label, shown);
        }
        wd_xfree(sheet);
    }
    return 0;
}

/* Every call starts with the workbook and the sheet named by the "tab"
 * argument (for text files, their only sheet). */
typedef struct xd_call {
    xd_book *book;
    xd_sheet *sheet;
    int si;
} xd_call;

static int begin_call(xd_cache *c, const char *path, const char *sheet, xd_call *call, char *err,
                      size_t errlen)
{
    call->book = open_book(c, path, sheet, err, errlen);
    if (!call->book)
        return -1;
    call->sheet = find_sheet(call->book, sheet, &call->si, err, errlen);
    return call->sheet ? 0 : -1;
}

/* ---- GET ... CONSTANTS ------------------------------------------------------------- */

int xd_get_constants(xd_cache *c, const char *path, const char *sheet, const char *cell,
                     size_t nrows, size_t ncols, double *out, char *err, size_t errlen)
{
    if (nrows == 0 || ncols == 0 || !out)
        return xd_fail(err, errlen, "no values requested from '%s'", path ? path : "");
    if (nrows > WD_MAX_ELEMENTS || ncols > WD_MAX_ELEMENTS || nrows * ncols > WD_MAX_ELEMENTS)
        return xd_fail(err, errlen, "%zu x %zu values requested, more than the limit of %d",
                       nrows, ncols, WD_MAX_ELEMENTS);
    xd_call call;
    if (begin_call(c, path, sheet, &call, err, errlen) != 0)
        return -1;
    xd_book *b = call.book;
    char *ref = dup_trim(cell);
    if (!ref)
        return xd_fail(err, errlen, "out of memory");
    bool transpose = false;
    size_t n = strlen(ref);
    if (n > 0 && ref[n - 1] == '*') {
        transpose = true;
        ref[--n] = 0;
        while (n > 0 && is_blank(ref[n - 1]))
            ref[--n] = 0;
    }
    /* The block as it lies on the sheet. */
    size_t brows = transpose ? ncols : nrows, bcols = transpose ? nrows : ncols;
    xd_rect rect;
    int rc = -1;
    if (xd_parse_cell(ref, &rect.r0, &rect.c0)) {
        rect.sheet = call.sheet;
        if (rect.r0 + brows > XD_MAX_ROWS || rect.c0 + bcols > XD_MAX_COLS) {
            xd_fail(err, errlen, "%zu x %zu cells from %s go beyond the last row or column of a "
                    "sheet", brows, bcols, ref);
            goto done;
        }
    } else {
        if (!*ref) {
            xd_fail(err, errlen, "no cell given for '%s'", b->label);
            goto done;
        }
        if (resolve_name(b, ref, call.sheet, call.si, &rect, err, errlen) != 0)
            goto done;
        if (rect_rows(&rect) != brows || rect_cols(&rect) != bcols) {
            bool flipped = rect_rows(&rect) == bcols && rect_cols(&rect) == brows;
            xd_fail(err, errlen,
                    "named range '%s' in '%s' is %lu x %lu cells, but %zu x %zu values are "
                    "needed%s",
                    ref, b->label, (unsigned long)rect_rows(&rect), (unsigned long)rect_cols(&rect),
                    brows, bcols,
                    flipped ? (transpose ? " (drop the '*' to read it as it lies)"
                                         : " (append '*' to read it transposed)")
                            : "");
            goto done;
        }
    }
    if (sheet_ready(b, rect.sheet, err, errlen) != 0)
        goto done;
    /* Walk the block in sheet order; out[] is indexed in the caller's. */
    cursor cu = {rect.sheet, 0};
    for (size_t br = 0; br < brows; br++)
        for (size_t bc = 0; bc < bcols; bc++) {
            uint32_t r = rect.r0 + (uint32_t)br, col = rect.c0 + (uint32_t)bc;
            double v = 0;
            cv_status st = cell_number(b, rect.sheet, cursor_at(&cu, r, col), &v);
            if (st != CV_NUM) {
                bad_cell(b, rect.sheet, r, col, st, "a number", err, errlen);
                goto done;
            }
            out[transpose ? bc * ncols + br : br * ncols + bc] = v;
        }
    rc = 0;
done:
    wd_xfree(ref);
    return rc;
}

/* ---- GET ... DATA and GET ... LOOKUPS ---------------------------------------------- */

/* Where the points of a data call are: the sheet and origin of the values,
 * the direction of time, and per kept point its offset along that direction
 * and its time. */
typedef struct xd_series_layout {
    xd_sheet *sheet;
    uint32_t r0, c0;
    bool across;
    VEC(uint32_t) offset;
    VEC(double) time;
} xd_series_layout;

/* Collects the numeric time cells in [from, to] along a row (across) or a
 * column; offsets are relative to `base`. */
static int collect_times(xd_book *b, xd_sheet *s, bool across, uint32_t line, uint32_t from,
                         uint32_t to, uint32_t base, xd_series_layout *L, char *err, size_t errlen)
{
    if (across) {
        /* Cells of one row are contiguous in the sorted array. */
        for (size_t i = lower_bound(s, line, from); i < s->cells.n; i++) {
            const xd_cell *c = &s->cells.v[i];
            if (c->row != line || c->col > to)
                break;
            double v;
            if (cell_number(b, s, c, &v) != CV_NUM)
                continue;
            if (!VEC_PUSH(L->offset, c->col - base) || !VEC_PUSH(L->time, v))
                return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
        }
        return 0;
    }
    for (size_t i = lower_bound(s, from, line); i < s->cells.n; i++) {
        const xd_cell *c = &s->cells.v[i];
        if (c->row > to)
            break;
        double v;
        if (c->col != line || cell_number(b, s, c, &v) != CV_NUM)
            continue;
        if (!VEC_PUSH(L->offset, c->row - base) || !VEC_PUSH(L->time, v))
            return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    }
    return 0;
}

/* The last row (across: column) index holding a cell on the given column
 * (across: row) at or after `from`; false when there is none. */
static bool line_end(const xd_sheet *s, bool across, uint32_t line, uint32_t from, uint32_t *end)
{
    bool found = false;
    if (across) {
        size_t i = lower_bound(s, line + 1, 0);
        if (i > 0 && s->cells.v[i - 1].row == line && s->cells.v[i - 1].col >= from) {
            *end = s->cells.v[i - 1].col;
            found = true;
        }
        return found;
    }
    for (size_t i = lower_bound(s, from, 0); i < s->cells.n; i++)
        if (s->cells.v[i].col == line) {
            *end = s->cells.v[i].row;
            found = true;
        }
    return found;
}

int xd_get_data(xd_cache *c, const char *path, const char *sheet, const char *time_rc,
                const char *first_cell, size_t nseries, size_t *npoints, double **times,
                double **values, char *err, size_t errlen)
{
    if (!npoints || !times || !values)
        return xd_fail(err, errlen, "no place for the data of '%s'", path ? path : "");
    *npoints = 0;
    *times = *values = NULL;
    if (nseries == 0 || nseries > WD_MAX_ELEMENTS)
        return xd_fail(err, errlen, "%zu series requested from '%s' (1 to %d can be read)",
                       nseries, path ? path : "", WD_MAX_ELEMENTS);
    xd_call call;
    if (begin_call(c, path, sheet, &call, err, errlen) != 0)
        return -1;
    xd_book *b = call.book;
    xd_series_layout L = {0};
    char *trc = dup_trim(time_rc), *fc = dup_trim(first_cell);
    int rc = -1;
    double *t = NULL, *v = NULL;
    if (!trc || !fc) {
        xd_fail(err, errlen, "out of memory");
        goto done;
    }
    if (!*trc || !*fc) {
        xd_fail(err, errlen, "no %s given for '%s'", *trc ? "first cell" : "time row or column",
                b->label);
        goto done;
    }

    /* The values' origin: a cell, or the top-left cell of a named range. */
    xd_rect drect;
    bool data_named = false;
    if (xd_parse_cell(fc, &drect.r0, &drect.c0)) {
        drect.sheet = call.sheet;
        drect.r1 = drect.r0;
        drect.c1 = drect.c0;
    } else {
        if (resolve_name(b, fc, call.sheet, call.si, &drect, err, errlen) != 0)
            goto done;
        data_named = true;
    }
    L.sheet = drect.sheet;
    L.r0 = drect.r0;
    L.c0 = drect.c0;

    uint32_t line = 0;
    bool time_named = b->format == XD_FMT_XLSX && find_name(b, trc, call.si) != NULL;
    char time_desc[64];
    if (!time_named && all_digits(trc)) {
        if (!parse_row_arg(trc, &line)) {
            xd_fail(err, errlen, "time row '%s' for '%s' is not a row number (1..%u)", trc,
                    b->label, XD_MAX_ROWS);
            goto done;
        }
        L.across = true;
        snprintf(time_desc, sizeof time_desc, "row %lu", (unsigned long)line + 1);
    } else if (!time_named && parse_col_arg(trc, &line)) {
        L.across = false;
        snprintf(time_desc, sizeof time_desc, "column %s", trc[0] == '$' ? trc + 1 : trc);
    } else {
        /* Times from a named range (one row or one column). */
        xd_rect tr;
        if (resolve_name(b, trc, call.sheet, call.si, &tr, err, errlen) != 0)
            goto done;
        if (rect_rows(&tr) > 1 && rect_cols(&tr) > 1) {
            xd_fail(err, errlen,
                    "named range '%s' in '%s' is %lu x %lu cells; times must be one row or "
                    "one column",
                    trc, b->label, (unsigned long)rect_rows(&tr), (unsigned long)rect_cols(&tr));
            goto done;
        }
        if (rect_cols(&tr) > 1)
            L.across = true;
        else if (rect_rows(&tr) > 1)
            L.across = false;
        else /* one cell: the data range tells the direction */
            L.across = !(data_named && rect_rows(&drect) == 1 && rect_cols(&drect) == nseries &&
                         nseries > 1);
        uint32_t len = L.across ? rect_cols(&tr) : rect_rows(&tr);
        if (data_named) {
            uint32_t want_r = L.across ? (uint32_t)nseries : len;
            uint32_t want_c = L.across ? len : (uint32_t)nseries;
            if (rect_rows(&drect) != want_r || rect_cols(&drect) != want_c) {
                xd_fail(err, errlen,
                        "named range '%s' in '%s' is %lu x %lu cells, but %lu x %lu are needed "
                        "for %zu series over the %lu times of '%s'",
                        fc, b->label, (unsigned long)rect_rows(&drect),
                        (unsigned long)rect_cols(&drect), (unsigned long)want_r,
                        (unsigned long)want_c, nseries, (unsigned long)len, trc);
                goto done;
            }
        }
        if (sheet_ready(b, tr.sheet, err, errlen) != 0)
            goto done;
        if (collect_times(b, tr.sheet, L.across, L.across ? tr.r0 : tr.c0,
                          L.across ? tr.c0 : tr.r0, L.across ? tr.c1 : tr.r1,
                          L.across ? tr.c0 : tr.r0, &L, err, errlen) != 0)
            goto done;
        snprintf(time_desc, sizeof time_desc, "named range '%.40s'", trc);
        goto have_times;
    }

    /* Times from a row or column, starting level with the first value. */
    if (sheet_ready(b, L.sheet, err, errlen) != 0)
        goto done;
    {
        uint32_t from = L.across ? L.c0 : L.r0, end;
        if (!line_end(L.sheet, L.across, line, from, &end)) {
            char first[16];
            xd_cell_name(L.across ? line : L.r0, L.across ? L.c0 : line, first);
            xd_fail(err, errlen, "no times in %s of '%s'%s%s%s from cell %s on", time_desc,
                    b->label, b->format == XD_FMT_TEXT ? "" : " sheet '",
                    b->format == XD_FMT_TEXT ? "" : L.sheet->name,
                    b->format == XD_FMT_TEXT ? "" : "'", first);
            goto done;
        }
        if (collect_times(b, L.sheet, L.across, line, from, end, from, &L, err, errlen) != 0)
            goto done;
    }

have_times:
    if (L.time.n == 0) {
        xd_fail(err, errlen, "no numeric times in %s of '%s'", time_desc, b->label);
        goto done;
    }
    if (sheet_ready(b, L.sheet, err, errlen) != 0)
        goto done;
    /* Every value cell must lie on a sheet. */
    {
        uint64_t last_off = L.offset.v[L.offset.n - 1];
        uint64_t far_r = (uint64_t)L.r0 + (L.across ? nseries - 1 : last_off);
        uint64_t far_c = (uint64_t)L.c0 + (L.across ? last_off : nseries - 1);
        if (far_r >= XD_MAX_ROWS || far_c >= XD_MAX_COLS) {
            xd_fail(err, errlen, "%zu series from %s in '%s' go beyond the last row or column "
                    "of a sheet", nseries, fc, b->label);
            goto done;
        }
    }
    size_t np = L.time.n;
    t = wd_xmalloc(np * sizeof *t);
    v = wd_xmalloc(nseries * np * sizeof *v);
    if (!t || !v) {
        xd_fail(err, errlen, "out of memory reading '%s'", b->label);
        goto done;
    }
    memcpy(t, L.time.v, np * sizeof *t);
    /* Visit the cells in sheet order: a series is a row when times run
     * across, a column when they run down. */
    cursor cu = {L.sheet, 0};
    size_t outer = L.across ? nseries : np, inner = L.across ? np : nseries;
    for (size_t a = 0; a < outer; a++)
        for (size_t z = 0; z < inner; z++) {
            size_t k = L.across ? a : z, i = L.across ? z : a;
            uint32_t r = L.r0 + (uint32_t)(L.across ? k : L.offset.v[i]);
            uint32_t col = L.c0 + (uint32_t)(L.across ? L.offset.v[i] : k);
            double x = 0;
            cv_status st = cell_number(b, L.sheet, cursor_at(&cu, r, col), &x);
            if (st == CV_TEXT) {
                bad_cell(b, L.sheet, r, col, st, "a number or nothing", err, errlen);
                goto done;
            }
            v[k * np + i] = st == CV_NUM ? x : NAN;
        }
    for (size_t k = 0; k < nseries; k++) {
        size_t found = 0;
        for (size_t i = 0; i < np; i++)
            found += !isnan(v[k * np + i]);
        if (found == 0) {
            char first[16];
            xd_cell_name(L.r0 + (uint32_t)(L.across ? k : 0), L.c0 + (uint32_t)(L.across ? 0 : k),
                         first);
            xd_fail(err, errlen, "no values for series %zu of %zu (from cell %s of '%s') at the "
                    "times in %s", k + 1, nseries, first, b->label, time_desc);
            goto done;
        }
    }
    *npoints = np;
    *times = t;
    *values = v;
    t = v = NULL;
    rc = 0;
done:
    wd_xfree(t);
    wd_xfree(v);
    VEC_FREE(L.offset);
    VEC_FREE(L.time);
    wd_xfree(trc);
    wd_xfree(fc);
    return rc;
}

/* ---- GET ... SUBSCRIPT ---------------------------------------------------------------- */

void xd_free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        wd_xfree(names[i]);
    wd_xfree(names);
}

/* Whole numbers as integers (1990, not 1.99e+03), others as the shortest
 * %g form that reads back to the same double. */
static void format_number(char buf[40], double v)
{
    if (v == 0)
        v = 0; /* no "-0" */
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, 40, "%.0f", v);
    else
        wd_format_double(buf, 40, v, 17);
}

/* A cell's text as a subscript element; NULL for cells that do not count. */
static const char *element_text(const xd_book *b, const xd_sheet *s, const xd_cell *c,
                                char buf[40], size_t *len)
{
    const char *t;
    switch (c->kind) {
    case XD_NUM:
        format_number(buf, c->u.num);
        t = buf;
        break;
    case XD_BOOL:
        t = c->u.num != 0 ? "TRUE" : "FALSE";
        break;
    case XD_STR:
    case XD_SST:
        t = cell_text(b, s, c);
        break;
    default:
        return NULL;
    }
    while (is_blank(*t))
        t++;
    size_t n = strlen(t);
    while (n > 0 && is_blank(t[n - 1]))
        n--;
    if (n == 0)
        return NULL;
    *len = n;
    return t;
}

typedef VEC(char *) name_vec;

static int add_element(const xd_book *b, const xd_sheet *s, const xd_cell *c, const char *prefix,
                       name_vec *out, char *err, size_t errlen)
{
    char buf[40];
    size_t len;
    const char *t = element_text(b, s, c, buf, &len);
    if (!t)
        return 0;
    if (out->n >= WD_MAX_ELEMENTS)
        return xd_fail(err, errlen, "more than %d subscript elements in '%s'", WD_MAX_ELEMENTS,
                       b->label);
    size_t np = strlen(prefix);
    char *name = wd_xmalloc(np + len + 1);
    if (!name)
        return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    memcpy(name, prefix, np);
    memcpy(name + np, t, len);
    name[np + len] = 0;
    if (!VEC_PUSH(*out, name)) {
        wd_xfree(name);
        return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    }
    return 0;
}

static bool cell_filled(const xd_book *b, const xd_sheet *s, const xd_cell *c)
{
    char buf[40];
    size_t len;
    return c && element_text(b, s, c, buf, &len) != NULL;
}

int xd_get_subscript(xd_cache *c, const char *path, const char *sheet, const char *first_cell,
                     const char *last_cell, const char *prefix, char ***names, size_t *n,
                     char *err, size_t errlen)
{
    if (!names || !n)
        return xd_fail(err, errlen, "no place for the subscript of '%s'", path ? path : "");
    *names = NULL;
    *n = 0;
    if (!prefix)
        prefix = "";
    xd_call call;
    if (begin_call(c, path, sheet, &call, err, errlen) != 0)
        return -1;
    xd_book *b = call.book;
    name_vec out = {0};
    char *fc = dup_trim(first_cell), *lc = dup_trim(last_cell);
    int rc = -1;
    if (!fc || !lc) {
        xd_fail(err, errlen, "out of memory");
        goto done;
    }
    xd_rect r = {0};
    bool run = false;
    if (xd_parse_cell(fc, &r.r0, &r.c0)) {
        r.sheet = call.sheet;
        if (sheet_ready(b, r.sheet, err, errlen) != 0)
            goto done;
        uint32_t lr = 0, lcol = 0, row, col;
        bool any = sheet_extent(r.sheet, &lr, &lcol);
        if (!*lc) {
            run = true;
        } else if (xd_parse_cell(lc, &row, &col)) {
            r.r1 = row;
            r.c1 = col;
        } else if (all_digits(lc) && parse_row_arg(lc, &row)) {
            r.r1 = row;
            r.c1 = any ? lcol : r.c0;
        } else if (parse_col_arg(lc, &col)) {
            r.c1 = col;
            r.r1 = any ? lr : r.r0;
        } else {
            xd_fail(err, errlen,
                    "last cell '%s' for '%s' is not a cell, a row number or a column letter", lc,
                    b->label);
            goto done;
        }
        if (!run) {
            if (r.r1 < r.r0) {
                uint32_t x = r.r0;
                r.r0 = r.r1;
                r.r1 = x;
            }
            if (r.c1 < r.c0) {
                uint32_t x = r.c0;
                r.c0 = r.c1;
                r.c1 = x;
            }
        }
    } else {
        if (!*fc) {
            xd_fail(err, errlen, "no first cell given for '%s'", b->label);
            goto done;
        }
        if (resolve_name(b, fc, call.sheet, call.si, &r, err, errlen) != 0)
            goto done;
        if (sheet_ready(b, r.sheet, err, errlen) != 0)
            goto done;
    }

    if (run) {
        /* The run of filled cells that starts here, up to the first empty
         * one: across when only the right neighbour is filled, down when only
         * the one below is. With both filled the direction is a guess, so
         * the caller is asked for the last cell instead. */
        const xd_cell *first = cell_at(r.sheet, r.r0, r.c0);
        if (!cell_filled(b, r.sheet, first)) {
            char loc[400];
            where(loc, sizeof loc, b, r.sheet, r.r0, r.c0);
            xd_fail(err, errlen, "%s is empty, a subscript element was expected", loc);
            goto done;
        }
        bool right = r.c0 + 1 < XD_MAX_COLS &&
                     cell_filled(b, r.sheet, cell_at(r.sheet, r.r0, r.c0 + 1));
        bool below = r.r0 + 1 < XD_MAX_ROWS &&
                     cell_filled(b, r.sheet, cell_at(r.sheet, r.r0 + 1, r.c0));
        if (right && below) {
            char loc[400];
            where(loc, sizeof loc, b, r.sheet, r.r0, r.c0);
            xd_fail(err, errlen,
                    "the subscript elements from %s could run across or down; give the last "
                    "cell",
                    loc);
            goto done;
        }
        bool across = right;
        for (uint32_t k = 0;; k++) {
            uint32_t row = r.r0 + (across ? 0 : k), col = r.c0 + (across ? k : 0);
            if (row >= XD_MAX_ROWS || col >= XD_MAX_COLS)
                break;
            const xd_cell *cell = cell_at(r.sheet, row, col);
            if (!cell_filled(b, r.sheet, cell))
                break;
            if (add_element(b, r.sheet, cell, prefix, &out, err, errlen) != 0)
                goto done;
        }
    } else {
        const xd_sheet *s = r.sheet;
        size_t i = lower_bound(s, r.r0, r.c0);
        while (i < s->cells.n && s->cells.v[i].row <= r.r1) {
            const xd_cell *cell = &s->cells.v[i];
            if (cell->col > r.c1) {
                if (cell->row + 1 > r.r1)
                    break;
                i = lower_bound(s, cell->row + 1, r.c0);
                continue;
            }
            if (cell->col >= r.c0 &&
                add_element(b, s, cell, prefix, &out, err, errlen) != 0)
                goto done;
            i++;
        }
    }
    if (out.n == 0) {
        char a[16], z[16];
        xd_cell_name(r.r0, r.c0, a);
        xd_cell_name(r.r1, r.c1, z);
        xd_fail(err, errlen, "no subscript elements in %s:%s of '%s'%s%s%s", a, z, b->label,
                b->format == XD_FMT_TEXT ? "" : " sheet '",
                b->format == XD_FMT_TEXT ? "" : r.sheet->name,
                b->format == XD_FMT_TEXT ? "" : "'");
        goto done;
    }
    *names = out.v;
    *n = out.n;
    out.v = NULL;
    out.n = 0;
    rc = 0;
done:
    xd_free_names(out.v, out.n);
    wd_xfree(fc);
    wd_xfree(lc);
    return rc;
}
