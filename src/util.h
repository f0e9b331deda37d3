/* util.h: allocation, growable buffers, strings and a name table.
 *
 * Sits under every other module. All heap memory of the library goes through
 * wd_xmalloc / wd_xrealloc / wd_xfree so that tests can inject allocation
 * failures (wd_alloc_fail_after). None of these functions abort: callers check
 * for NULL and report WD_E_NOMEM.
 */
#ifndef WD_UTIL_H
#define WD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>

#if defined(__GNUC__)
#define WD_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define WD_PRINTF(fmt, args)
#endif

/* ---- allocation -------------------------------------------------------- */
void *wd_xmalloc(size_t n);
void *wd_xcalloc(size_t count, size_t size);
void *wd_xrealloc(void *p, size_t n);
void wd_xfree(void *p);
char *wd_xstrdup(const char *s);
char *wd_xstrndup(const char *s, size_t n);
/* Test hook: the n-th allocation from now on (0 = the next) fails, and every
 * later one too; a negative n turns injection off. */
void wd_alloc_fail_after(long n);

/* Arena: many small allocations freed together (AST, IR of one model). */
typedef struct wd_arena wd_arena;
wd_arena *wd_arena_new(void);
void *wd_arena_alloc(wd_arena *a, size_t n); /* zeroed, 8-byte aligned */
char *wd_arena_strdup(wd_arena *a, const char *s);
char *wd_arena_strndup(wd_arena *a, const char *s, size_t n);
void wd_arena_free(wd_arena *a);

/* ---- growable vector ---------------------------------------------------- */
/* A typed vector: struct { T *v; size_t n, cap; }. VEC_PUSH returns false on
 * allocation failure (the vector is unchanged). */
#define VEC(T) struct { T *v; size_t n, cap; }
bool wd_vec_grow(void **data, size_t *cap, size_t need, size_t elem);
#define VEC_RESERVE(vec, need)                                                  \
    ((need) <= (vec).cap ||                                                     \
     wd_vec_grow((void **)&(vec).v, &(vec).cap, (need), sizeof(*(vec).v)))
#define VEC_PUSH(vec, val)                                                      \
    (VEC_RESERVE(vec, (vec).n + 1) ? ((vec).v[(vec).n++] = (val), true) : false)
#define VEC_FREE(vec) (wd_xfree((vec).v), (vec).v = NULL, (vec).n = (vec).cap = 0)

/* ---- string buffer ------------------------------------------------------ */
typedef struct wd_buf {
    char *s;      /* always NUL-terminated when non-NULL */
    size_t n, cap;
    bool oom;     /* set once an append failed; later appends are no-ops */
} wd_buf;
void wd_buf_putc(wd_buf *b, char c);
void wd_buf_puts(wd_buf *b, const char *s);
void wd_buf_putn(wd_buf *b, const char *s, size_t n);
void wd_buf_printf(wd_buf *b, const char *fmt, ...) WD_PRINTF(2, 3);
void wd_buf_vprintf(wd_buf *b, const char *fmt, va_list ap);
const char *wd_buf_str(const wd_buf *b); /* "" when empty */
char *wd_buf_take(wd_buf *b);            /* caller frees; buffer reset */
void wd_buf_free(wd_buf *b);

/* ---- names ---------------------------------------------------------------- */
/* Vensim names compare case-insensitively with runs of spaces and underscores
 * equal to one space. wd_canon_name writes the canonical form: lower case
 * (ASCII and Latin-1 letters in UTF-8), single spaces, no leading/trailing
 * space. Returns a new heap string or NULL. */
char *wd_canon_name(const char *s, size_t n);
/* Edit distance, for "did you mean" suggestions. */
size_t wd_edit_distance(const char *a, const char *b);

/* Hash table from string keys to size_t values (keys are copied). */
typedef struct wd_map wd_map;
wd_map *wd_map_new(void);
void wd_map_free(wd_map *m);
bool wd_map_put(wd_map *m, const char *key, size_t value); /* false on OOM */
bool wd_map_get(const wd_map *m, const char *key, size_t *value);
size_t wd_map_count(const wd_map *m);

/* ---- files ---------------------------------------------------------------- */
/* Reads a whole file; returns NULL and sets errno on failure. A NUL byte is
 * appended (not counted in *len). */
char *wd_read_file(const char *path, size_t *len);
/* Directory part of path ("." when none), heap string. */
char *wd_dirname(const char *path);
/* Joins dir and rel unless rel is absolute. Heap string. */
char *wd_path_join(const char *dir, const char *rel);
/* Temporaries of atomic writes are named ".<base>.tmp.<pid>.<suffix>"
 * beside their target. Removes those of `path` left behind by processes that
 * no longer exist (killed while writing). */
void wd_remove_stale_temps(const char *path);
/* SHA-256 of a buffer as 64 hex digits plus NUL. */
void wd_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- numbers ---------------------------------------------------------------- */
/* Formats a double the way result files print it: shortest of %.*g that
 * round-trips within the requested significant digits. */
void wd_format_double(char *out, size_t outlen, double v, int digits);

#endif
