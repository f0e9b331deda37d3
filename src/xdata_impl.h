/* xdata_impl.h: the in-memory workbook shared by xdata.c and its format
 * backends (xdata_xlsx.c, xdata_xls.c, xdata_text.c).
 *
 * A backend turns a file into an xd_book: the list of sheets (cells loaded on
 * demand), the defined names and, for .xlsx, the shared-string table.
 * xdata.c implements the GET ... functions on top of that model only, so the
 * cell-reading semantics are written once for all formats.
 */
#ifndef WD_XDATA_IMPL_H
#define WD_XDATA_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"
#include "xdata.h"

/* ---- limits ----------------------------------------------------------------- */
#define XD_MAX_ROWS 1048576u          /* Excel's rows; also for text files */
#define XD_MAX_COLS 16384u            /* Excel's columns, A..XFD */
#define XD_MAX_CELLS 10000000u        /* stored cells per sheet (16 bytes each) */
#define XD_MAX_PART_BYTES (1u << 30)  /* uncompressed XML read from one .xlsx part */
#define XD_MAX_TEXT_BYTES (1u << 30)  /* size of a delimited text file */
#define XD_MAX_POOL_BYTES 0xFFFFFF00u /* strings of one sheet: offsets are 32-bit */

/* ---- cells ------------------------------------------------------------------- */
typedef enum xd_kind {
    XD_NUM = 1, /* u.num */
    XD_BOOL,    /* u.num is 0 or 1 */
    XD_STR,     /* u.off: offset in the sheet's string pool */
    XD_SST,     /* u.off: index in the book's shared-string table (.xlsx) */
    XD_ERR      /* an error value such as #N/A; u.off: pool offset of its text */
} xd_kind;

/* 0-based row and column. Kept to 16 bytes: a sheet may hold millions. */
typedef struct xd_cell {
    uint32_t row;
    uint16_t col;
    uint8_t kind;
    uint8_t pad;
    union {
        double num;
        uint32_t off;
    } u;
} xd_cell;

typedef struct xd_sheet {
    char *name;     /* UTF-8 */
    char *part;     /* .xlsx: zip entry of the worksheet; else NULL */
    bool loaded;
    VEC(xd_cell) cells; /* after loading: sorted by (row, col), no duplicates */
    wd_buf pool;        /* NUL-terminated strings addressed by offset */
} xd_sheet;

/* A defined name. sheet_index is the sheet whose scope it belongs to, or -1
 * for a workbook-wide name. The reference is parsed when the name is used. */
typedef struct xd_defname {
    char *name;
    char *ref; /* e.g. Sheet2!$E$3:$I$3 or 'My Sheet'!$A$1 */
    int sheet_index;
} xd_defname;

typedef enum xd_format { XD_FMT_XLSX, XD_FMT_XLS, XD_FMT_TEXT } xd_format;

typedef struct xd_book xd_book;

/* A format backend: a method table (see the const tables in each backend). */
typedef struct xd_backend {
    const char *name; /* "xlsx", "xls", "text" */
    /* Reads the sheet list, defined names and shared strings. On failure
     * writes a message and returns non-zero; xd_book_free cleans up. */
    int (*open)(xd_book *b, char *err, size_t errlen);
    /* Fills s->cells and s->pool (unsorted is fine; the caller sorts). */
    int (*load_sheet)(xd_book *b, xd_sheet *s, char *err, size_t errlen);
    /* Releases backend state (b->handle). */
    void (*close)(xd_book *b);
} xd_backend;

struct xd_book {
    char *path;         /* as passed to the open call */
    char *key;          /* cache key: resolved path */
    const char *label;  /* last path component of path, for messages */
    xd_format format;
    const xd_backend *be;
    char delim;         /* text files: field delimiter */
    xd_sheet *sheets;
    size_t nsheets;
    VEC(xd_defname) names;
    /* .xlsx shared strings: pool with one offset per string */
    wd_buf sst_pool;
    VEC(uint32_t) sst;
    void *handle;       /* backend state */
};

extern const xd_backend xd_backend_xlsx;
extern const xd_backend xd_backend_xls;
extern const xd_backend xd_backend_text;

/* ---- helpers shared by the backends (xdata.c) ------------------------------- */

/* snprintf into err when err is usable; always returns -1 so that a backend
 * can write `return xd_fail(err, errlen, ...)`. */
int xd_fail(char *err, size_t errlen, const char *fmt, ...) WD_PRINTF(3, 4);

/* Appends a cell; false (with a message) at XD_MAX_CELLS or out of memory. */
bool xd_sheet_add(xd_book *b, xd_sheet *s, xd_cell cell, char *err, size_t errlen);

/* Appends a NUL-terminated copy of str[0..n) to the sheet's pool and stores
 * its offset; false (with a message) when the pool is full or out of memory. */
bool xd_pool_add(xd_book *b, wd_buf *pool, const char *str, size_t n, uint32_t *off,
                 char *err, size_t errlen);

/* Parses "B7" / "$B$7" / "b7" into 0-based row and column. Surrounding blanks
 * are allowed; anything else (or out of range) returns false. */
bool xd_parse_cell(const char *s, uint32_t *row, uint32_t *col);

/* Writes the A1 name of a 0-based cell ("XFD1048576" fits in 16 bytes). */
void xd_cell_name(uint32_t row, uint32_t col, char out[16]);

/* Strict decimal number: optional blanks, sign, digits with an optional
 * fraction, optional exponent, optional blanks; no inf/nan/hex. */
bool xd_parse_number(const char *s, double *out);

#endif
