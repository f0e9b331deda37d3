/* diag.c: the wd_diags collector and its printer. */
#include "diag.h"

#include <stdio.h>
#include <string.h>

typedef struct diag_msg {
    wd_severity sev;
    char *file;
    int line, col;
    char *srcline; /* NULL when unknown */
    char *text;
} diag_msg;

struct wd_diags {
    VEC(diag_msg) msgs;
    char *joined; /* cache for wd_diags_text */
};

wd_diags *wd_diags_new(void) { return wd_xcalloc(1, sizeof(wd_diags)); }

void wd_diags_clear(wd_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->msgs.n; i++) {
        wd_xfree(d->msgs.v[i].file);
        wd_xfree(d->msgs.v[i].srcline);
        wd_xfree(d->msgs.v[i].text);
    }
    d->msgs.n = 0;
    wd_xfree(d->joined);
    d->joined = NULL;
}

void wd_diags_free(wd_diags *d)
{
    if (!d)
        return;
    wd_diags_clear(d);
    VEC_FREE(d->msgs);
    wd_xfree(d);
}

size_t wd_diags_count(const wd_diags *d, wd_severity at_least)
{
    size_t n = 0;
    if (!d)
        return 0;
    for (size_t i = 0; i < d->msgs.n; i++)
        n += d->msgs.v[i].sev >= at_least;
    return n;
}

void wd_diag_vadd(wd_diags *d, wd_severity sev, wd_loc loc, const char *srcline,
                  const char *fmt, va_list ap)
{
    if (!d)
        return;
    /* A hostile file could produce millions of errors; the first 200 say
     * enough. */
    if (d->msgs.n >= 200) {
        if (d->msgs.n == 200 && sev == WD_ERROR) {
            diag_msg m = {WD_ERROR, wd_xstrdup(loc.file ? loc.file : ""), loc.line, 0, NULL,
                          wd_xstrdup("too many errors; stopping here")};
            if (!VEC_PUSH(d->msgs, m)) {
                wd_xfree(m.file);
                wd_xfree(m.text);
            }
        }
        return;
    }
    wd_buf b = {0};
    wd_buf_vprintf(&b, fmt, ap);
    diag_msg m = {sev, wd_xstrdup(loc.file ? loc.file : ""), loc.line, loc.col, NULL,
                  wd_buf_take(&b)};
    if (srcline) {
        size_t n = strcspn(srcline, "\r\n");
        if (n > 300)
            n = 300;
        m.srcline = wd_xstrndup(srcline, n);
    }
    if (!m.file || !m.text || !VEC_PUSH(d->msgs, m)) {
        wd_xfree(m.file);
        wd_xfree(m.text);
        wd_xfree(m.srcline);
    }
}

void wd_diag_add(wd_diags *d, wd_severity sev, wd_loc loc, const char *srcline,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_diag_vadd(d, sev, loc, srcline, fmt, ap);
    va_end(ap);
}

void wd_diags_append(wd_diags *dst, const wd_diags *src)
{
    if (!dst || !src)
        return;
    for (size_t i = 0; i < src->msgs.n; i++) {
        const diag_msg *m = &src->msgs.v[i];
        wd_diag_add(dst, m->sev, (wd_loc){m->file[0] ? m->file : NULL, m->line, m->col}, m->srcline,
                    "%s", m->text);
    }
}

static const char *sev_name(wd_severity s)
{
    return s == WD_ERROR ? "error" : s == WD_WARNING ? "warning" : "note";
}

static void format_all(const wd_diags *d, wd_buf *b)
{
    for (size_t i = 0; i < d->msgs.n; i++) {
        const diag_msg *m = &d->msgs.v[i];
        if (m->file[0]) {
            wd_buf_puts(b, m->file);
            if (m->line > 0) {
                wd_buf_printf(b, ":%d", m->line);
                if (m->col > 0)
                    wd_buf_printf(b, ":%d", m->col);
            }
            wd_buf_puts(b, ": ");
        }
        wd_buf_printf(b, "%s: %s\n", sev_name(m->sev), m->text);
        if (m->srcline && m->line > 0) {
            wd_buf_printf(b, "  %s\n", m->srcline);
            if (m->col > 0) {
                wd_buf_puts(b, "  ");
                /* Keep tabs so the caret lines up under tabbed source; count
                 * UTF-8 characters, not bytes. */
                int col = 1;
                for (const char *p = m->srcline; *p && col < m->col; p++, col++) {
                    if (((unsigned char)*p & 0xC0) == 0x80)
                        continue;
                    wd_buf_putc(b, *p == '\t' ? '\t' : ' ');
                }
                wd_buf_puts(b, "^\n");
            }
        }
    }
}

void wd_diags_print(const wd_diags *d, FILE *out)
{
    if (!d)
        return;
    wd_buf b = {0};
    format_all(d, &b);
    fputs(wd_buf_str(&b), out);
    wd_buf_free(&b);
}

const char *wd_diags_text(wd_diags *d)
{
    if (!d)
        return "";
    wd_buf b = {0};
    format_all(d, &b);
    wd_xfree(d->joined);
    d->joined = wd_buf_take(&b);
    return d->joined ? d->joined : "";
}

const char *wd_source_line(const char *text, int line)
{
    if (!text || line < 1)
        return NULL;
    const char *p = text;
    for (int l = 1; l < line; l++) {
        const char *nl = strpbrk(p, "\n\r");
        if (!nl)
            return NULL;
        if (nl[0] == '\r' && nl[1] == '\n')
            nl++;
        p = nl + 1;
    }
    return p;
}

const char *wd_status_string(wd_status s)
{
    switch (s) {
    case WD_OK: return "success";
    case WD_E_NOMEM: return "out of memory";
    case WD_E_IO: return "input/output error";
    case WD_E_SYNTAX: return "syntax error";
    case WD_E_SEMANTIC: return "inconsistent model";
    case WD_E_UNSUPPORTED: return "unsupported construct";
    case WD_E_ARG: return "invalid argument";
    case WD_E_LIMIT: return "resource limit exceeded";
    case WD_E_NUMERIC: return "numerical fault";
    case WD_E_SOLVER: return "solver failure";
    case WD_E_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}
