/* xdata_text.c: the delimited-text backend of xdata (.csv, .tab, .txt, ...).
 *
 * Pipeline position: xdata.c opens a text file through xd_backend_text with
 * the delimiter taken from the function's "tab" argument (see xdata.h); the
 * file becomes one sheet whose cells are addressed like a spreadsheet's
 * (column A, row 1 = first field of the first line).
 *
 * Format accepted: an optional UTF-8 byte order mark; lines ending in LF,
 * CRLF or a lone CR; fields separated by the delimiter; a field may be quoted
 * with '"' (a doubled "" inside is one quote, and delimiters and line breaks
 * inside quotes belong to the field). Blanks (space, tab) around a field are
 * dropped unless they are the delimiter. Every non-empty field is stored as
 * text; xdata.c reads numbers from it when it needs one.
 */
#include "xdata_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int text_open(xd_book *b, char *err, size_t errlen)
{
    b->sheets = wd_xcalloc(1, sizeof *b->sheets);
    if (!b->sheets || !(b->sheets[0].name = wd_xstrdup(""))) {
        wd_xfree(b->sheets);
        b->sheets = NULL;
        return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    }
    b->nsheets = 1;
    return 0;
}

static bool is_pad(char ch, char delim) { return (ch == ' ' || ch == '\t') && ch != delim; }

static int text_load_sheet(xd_book *b, xd_sheet *s, char *err, size_t errlen)
{
    struct stat st;
    if (stat(b->path, &st) != 0)
        return xd_fail(err, errlen, "cannot open '%s': %s", b->path, strerror(errno));
    if ((uint64_t)st.st_size > XD_MAX_TEXT_BYTES)
        return xd_fail(err, errlen, "'%s' is larger than %u bytes", b->label, XD_MAX_TEXT_BYTES);
    size_t len = 0;
    char *data = wd_read_file(b->path, &len);
    if (!data) {
        if (errno == ENOMEM)
            return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
        return xd_fail(err, errlen, "cannot read '%s': %s", b->path, strerror(errno));
    }
    const char delim = b->delim;
    const char *p = data, *end = data + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    uint32_t row = 0, col = 0;
    unsigned long line = 1; /* physical line, for messages */
    wd_buf field = {0};
    int rc = 0;
    while (p < end) {
        /* One field. */
        field.n = 0;
        while (p < end && is_pad(*p, delim))
            p++;
        if (p < end && *p == '"') {
            unsigned long start_line = line;
            p++;
            for (;;) {
                if (p >= end) {
                    rc = xd_fail(err, errlen,
                                 "'%s' has a quoted field starting on line %lu that never ends",
                                 b->label, start_line);
                    goto done;
                }
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        wd_buf_putc(&field, '"');
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n' || (*p == '\r' && (p + 1 >= end || p[1] != '\n')))
                    line++;
                wd_buf_putc(&field, *p++);
            }
            /* Anything between the closing quote and the delimiter is kept. */
        }
        while (p < end && *p != delim && *p != '\n' && *p != '\r')
            wd_buf_putc(&field, *p++);
        while (field.n > 0 && is_pad(field.s[field.n - 1], delim))
            field.n--;
        if (field.oom) {
            rc = xd_fail(err, errlen, "out of memory reading '%s'", b->label);
            goto done;
        }
        if (field.n > 0) {
            if (row >= XD_MAX_ROWS || col >= XD_MAX_COLS) {
                rc = xd_fail(err, errlen, "line %lu of '%s' is beyond row %u or column XFD",
                             line, b->label, XD_MAX_ROWS);
                goto done;
            }
            xd_cell cell = {.row = row, .col = (uint16_t)col, .kind = XD_STR};
            if (!xd_pool_add(b, &s->pool, field.s, field.n, &cell.u.off, err, errlen) ||
                !xd_sheet_add(b, s, cell, err, errlen)) {
                rc = -1;
                goto done;
            }
        }
        /* What ends it. */
        if (p >= end)
            break;
        if (*p == delim) {
            p++;
            if (col < UINT32_MAX)
                col++;
            continue;
        }
        if (*p == '\r' && p + 1 < end && p[1] == '\n')
            p++;
        p++; /* '\n' or a lone '\r' */
        line++;
        if (row < UINT32_MAX)
            row++;
        col = 0;
    }
done:
    wd_buf_free(&field);
    wd_xfree(data);
    return rc;
}

static void text_close(xd_book *b) { (void)b; }

const xd_backend xd_backend_text = {
    .name = "text",
    .open = text_open,
    .load_sheet = text_load_sheet,
    .close = text_close,
};
