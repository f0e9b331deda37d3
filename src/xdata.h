/* xdata.h: spreadsheet and delimited-text input for the Vensim functions
 * GET DIRECT/XLS CONSTANTS, DATA, LOOKUPS and SUBSCRIPT.
 *
 * Sits below the model compiler: the compiler resolves the file argument
 * against the model's directory, works out the shape each call must fill from
 * the left-hand side's subscripts, and calls these functions while loading a
 * model. This module owns the file formats (.xlsx through libzip + libxml2,
 * .xls through libfreexl, delimited text in plain C) and the cell-reading
 * conventions of the functions; it knows nothing about models.
 *
 * Conventions (checked against the SD conformance suite, tests/get_* and
 * tests/data_from_other_model, and Vensim's function reference):
 *
 *  - Files are recognised by content (zip -> .xlsx, OLE2 -> .xls) and
 *    otherwise read as delimited text. For text files the `sheet` argument is
 *    the delimiter: its first character when that is ASCII punctuation, a
 *    space or a tab ("\t" written as backslash-t also means tab); any other
 *    value (empty, "Sheet1", a letter) selects the default, ',' for .csv and
 *    tab for every other extension.
 *  - Sheets are matched exactly, then ignoring ASCII case.
 *  - A cell is "B2", "$B$2" or "b2" (columns A..XFD, rows 1..1048576). Any
 *    other string is a named range (.xlsx definedNames): a name local to the
 *    requested sheet wins over a workbook-wide one; the range's own sheet
 *    prefix says where the cells are.
 *  - Numbers may also come from text cells that hold a decimal number (every
 *    field of a text file is text); surrounding blanks are ignored. Booleans
 *    count as 1 and 0. Error cells (#N/A, #DIV/0!, ...) count as empty.
 *  - .xls date/time cells are returned as spreadsheet serial numbers, the
 *    value .xlsx stores for them.
 *
 * Errors: every function returns 0 on success and non-zero on failure with a
 * one-line message in err (when err is non-NULL and errlen > 0), e.g.
 *   cannot open '/m/input.xlsx': No such file or directory
 *   no sheet 'Sheet9' in 'input.xlsx' (sheets: Sheet1, Sheet2)
 *   cell C12 of 'input.xlsx' sheet 'Sheet1' is empty, a number was expected
 *   no named range 'value9' in 'inputs.xlsx'
 * "cannot open" names the path as given; the other messages name the file by
 * its last path component. Nothing is printed.
 *
 * Limits (xdata_impl.h): at most XD_MAX_CELLS (10 million) stored cells per
 * sheet and declared cells per .xls workbook, XD_MAX_PART_BYTES of XML per
 * .xlsx part, XD_MAX_TEXT_BYTES per text file, WD_MAX_ELEMENTS subscript
 * names per call. Cells are stored sparsely, so a declared <dimension> costs
 * nothing.
 */
#ifndef WD_XDATA_H
#define WD_XDATA_H

#include <stddef.h>

/* A cache of opened workbooks for one model load, keyed by the file's
 * resolved path (and, for text files, the delimiter). Sheets of a workbook
 * are parsed on first use and kept until xd_cache_free. Not thread-safe. */
typedef struct xd_cache xd_cache;
xd_cache *xd_cache_new(void); /* NULL when out of memory */
void xd_cache_free(xd_cache *c); /* NULL ok */

/* GET DIRECT CONSTANTS / GET XLS CONSTANTS.
 * Fills out[nrows*ncols] (row-major). nrows x ncols is the shape of the
 * left-hand side after dropping subscripts fixed to one element: the last
 * remaining subscript runs across columns, the one before it down rows; a
 * 1-D array is 1 x n (suite: get_constants_incomplete_subscript reads
 * var[dim, female] across row 2).
 * `cell` is the top-left cell or a named range. A trailing '*' reads the
 * block transposed: out[i*ncols + j] comes from row j, column i of the block,
 * so a 1-D array runs down a column (suite: get_xls_cellrange 'valuev*').
 * A named range must have exactly the needed shape (after transposition).
 * Every cell must hold a number. */
int xd_get_constants(xd_cache *c, const char *path, const char *sheet, const char *cell,
                     size_t nrows, size_t ncols, double *out, char *err, size_t errlen);

/* GET DIRECT DATA / GET XLS DATA and GET DIRECT LOOKUPS / GET XLS LOOKUPS.
 * time_rc is a row number ("4": times run across row 4), a column letter
 * ("A": times run down column A) or a named range (a single row or column;
 * a workbook name equal to a column letter wins over the letter).
 * first_cell is the first value of the first series, or a named range.
 *
 * With a row or column: times are read from the time row (column) starting
 * at first_cell's column (row) up to the last cell present in that row
 * (column); series k (k < nseries) lies k rows below (k columns right of)
 * first_cell. A time cell that is empty or not a number drops that point for
 * every series (suite: get_with_missing_values_xlsx, rows 8 and 10).
 * A named first_cell then stands for its top-left cell.
 * With a named time range: the times are its cells (points without a numeric
 * time dropped the same way); it runs across when it is one row, down when
 * it is one column (one cell: across, unless a named data range is
 * 1 x nseries); a named data range must be nseries x (cells of the time
 * range) when times run across, the transpose when they run down (suite:
 * get_mixed_definitions 'time' / 'data_dim', get_xls_cellrange).
 *
 * On success *npoints >= 1, *times (npoints, in sheet order, not sorted) and
 * *values (nseries * npoints, series-major: values[k*npoints + i]) are
 * wd_xmalloc'ed and owned by the caller. A value cell that is empty or holds
 * an error is NaN (a missing value: Vensim interpolates over it); text in a
 * value cell, a series with no value at all and nseries == 0 are errors. */
int xd_get_data(xd_cache *c, const char *path, const char *sheet, const char *time_rc,
                const char *first_cell, size_t nseries, size_t *npoints, double **times,
                double **values, char *err, size_t errlen);

/* GET DIRECT SUBSCRIPT / GET XLS SUBSCRIPT.
 * Reads the cells from first_cell to last_cell across, then down (a
 * rectangle; one row or column in practice), skipping empty and error cells,
 * and returns each value prefixed with `prefix` (NULL = ""). last_cell may be
 * a cell, a row number (to that row, all columns from first_cell's to the
 * last one used), a column letter (to that column, all rows from
 * first_cell's to the last one used), or "" / NULL: the run of filled cells
 * from first_cell up to the first empty one, across when only the cell right
 * of first_cell is filled, down when only the cell below it is (with both
 * filled the direction is ambiguous and this is an error). A named first_cell
 * gives the rectangle itself and last_cell is ignored.
 * Numbers are written as the shortest decimal that reads back exactly
 * (1 -> "1", 0.5 -> "0.5"; suite: get_subscript_3d_arrays_xls makes Depth1,
 * Depth2 from the numbers 1 and 2); booleans as TRUE/FALSE; text is used as
 * is, without surrounding blanks. Finding no element is an error.
 * On success *names (n strings) is wd_xmalloc'ed; free with xd_free_names. */
int xd_get_subscript(xd_cache *c, const char *path, const char *sheet, const char *first_cell,
                     const char *last_cell, const char *prefix, char ***names, size_t *n,
                     char *err, size_t errlen);
void xd_free_names(char **names, size_t n); /* NULL ok */

#endif
