/* diag.h: collecting diagnostics (internal side of wd_diags).
 *
 * Every module reports problems in user input through wd_diag_at(), giving
 * the file, line and column and, where it has it, the text of the source line;
 * messages are collected, not fatal, so one pass reports all errors of a file.
 */
#ifndef WD_DIAG_H
#define WD_DIAG_H

#include "wandel.h"
#include "util.h"

typedef struct wd_loc {
    const char *file; /* not owned; must outlive the diagnostic call only */
    int line, col;    /* 1-based; 0 = unknown */
} wd_loc;

/* Adds a message. `srcline` (may be NULL) is the text of the line, up to its
 * end; it is copied. */
void wd_diag_add(wd_diags *d, wd_severity sev, wd_loc loc, const char *srcline,
                 const char *fmt, ...) WD_PRINTF(5, 6);
void wd_diag_vadd(wd_diags *d, wd_severity sev, wd_loc loc, const char *srcline,
                  const char *fmt, va_list ap);

/* Adds copies of every message of src to dst, in order (used to gather the
 * diagnostics of work done on other threads, each with its own wd_diags). */
void wd_diags_append(wd_diags *dst, const wd_diags *src);

/* Returns the start of line `line` (1-based) in text, or NULL. */
const char *wd_source_line(const char *text, int line);

#endif
