/* xdata_xls.c: the legacy .xls backend of xdata (BIFF workbooks, via FreeXL).
 *
 * Pipeline position: xdata.c opens a workbook through xd_backend_xls; this
 * file copies cells out of libfreexl into the sparse cell array of
 * xdata_impl.h, so the GET ... semantics do not depend on the format.
 *
 * freexl_open parses every sheet's cells into memory, while freexl_open_info
 * performs only the abbreviated metadata parse (freexl.h); the sheets'
 * declared dimensions are read that way first and a workbook declaring more
 * than XD_MAX_CELLS cells is refused before its cells are read. The FreeXL
 * API has no call for defined names, so named ranges are not available for
 * .xls files.
 * Date, datetime and time cells come back from FreeXL as text
 * ("YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS", "HH:MM:SS"); they are turned back
 * into spreadsheet serial numbers, the value an .xlsx file stores.
 */
#include "xdata_impl.h"

#include <stdio.h>
#include <string.h>

#include <freexl.h>

static const char *freexl_message(int rc)
{
    switch (rc) {
    case FREEXL_FILE_NOT_FOUND:
        return "file not found";
    case FREEXL_INSUFFICIENT_MEMORY:
        return "out of memory";
    case FREEXL_INVALID_CFBF_HEADER:
    case FREEXL_CFBF_INVALID_SIGNATURE:
    case FREEXL_CFBF_INVALID_SECTOR_SIZE:
        return "not an OLE2 compound file";
    case FREEXL_CFBF_READ_ERROR:
    case FREEXL_CFBF_SEEK_ERROR:
        return "truncated or unreadable";
    case FREEXL_CFBF_EMPTY_FAT_CHAIN:
    case FREEXL_CFBF_ILLEGAL_FAT_ENTRY:
    case FREEXL_INVALID_MINI_STREAM:
    case FREEXL_CFBF_ILLEGAL_MINI_FAT_ENTRY:
        return "corrupt allocation table";
    case FREEXL_BIFF_INVALID_BOF:
    case FREEXL_BIFF_WORKBOOK_NOT_FOUND:
        return "no BIFF workbook stream";
    case FREEXL_BIFF_INVALID_SST:
    case FREEXL_BIFF_ILLEGAL_SST_INDEX:
        return "corrupt string table";
    case FREEXL_INVALID_CHARACTER:
    case FREEXL_UNSUPPORTED_CHARSET:
        return "text in a character set that cannot be converted";
    case FREEXL_CRAFTED_FILE:
        return "severely corrupted";
    default:
        return "unreadable";
    }
}

static int xls_error(xd_book *b, int rc, char *err, size_t errlen)
{
    if (rc == FREEXL_INSUFFICIENT_MEMORY)
        return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    return xd_fail(err, errlen, "'%s' is not a readable .xls file (%s, FreeXL code %d)", b->label,
                   freexl_message(rc), rc);
}

static int xls_open(xd_book *b, char *err, size_t errlen)
{
    const void *h = NULL;
    unsigned int info = 0, nsheets = 0;
    uint64_t declared = 0;
    int rc = freexl_open_info(b->path, &h);
    if (rc != FREEXL_OK) {
        freexl_close(h);
        return xls_error(b, rc, err, errlen);
    }
    if (freexl_get_info(h, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK &&
        info == FREEXL_BIFF_OBFUSCATED) {
        freexl_close(h);
        return xd_fail(err, errlen, "'%s' is password-protected", b->label);
    }
    if ((rc = freexl_get_info(h, FREEXL_BIFF_SHEET_COUNT, &nsheets)) != FREEXL_OK) {
        freexl_close(h);
        return xls_error(b, rc, err, errlen);
    }
    for (unsigned int i = 0; i < nsheets; i++) {
        unsigned int rows = 0;
        unsigned short cols = 0;
        if (freexl_select_active_worksheet(h, (unsigned short)i) == FREEXL_OK &&
            freexl_worksheet_dimensions(h, &rows, &cols) == FREEXL_OK)
            declared += (uint64_t)rows * cols;
    }
    freexl_close(h);
    h = NULL;
    if (nsheets == 0)
        return xd_fail(err, errlen, "'%s' has no sheets", b->label);
    if (declared > XD_MAX_CELLS)
        return xd_fail(err, errlen, "'%s' declares %llu cells, more than the limit of %u",
                       b->label, (unsigned long long)declared, XD_MAX_CELLS);

    rc = freexl_open(b->path, &h);
    if (rc != FREEXL_OK) {
        freexl_close(h);
        return xls_error(b, rc, err, errlen);
    }
    b->handle = (void *)h;
    b->sheets = wd_xcalloc(nsheets, sizeof *b->sheets);
    if (!b->sheets)
        return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    b->nsheets = nsheets;
    for (unsigned int i = 0; i < nsheets; i++) {
        const char *name = NULL;
        if ((rc = freexl_get_worksheet_name(h, (unsigned short)i, &name)) != FREEXL_OK)
            return xls_error(b, rc, err, errlen);
        if (!(b->sheets[i].name = wd_xstrdup(name ? name : "")))
            return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    }
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (era-based: 400-year eras of 146097 days). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* FreeXL's date/time text to a serial number in the workbook's date system.
 * In the 1900 system day 1 is 1900-01-01 and day 60 the nonexistent
 * 1900-02-29 that spreadsheets keep for compatibility, so dates before March
 * 1900 are one less than a plain day count from 1899-12-30. */
static bool date_serial(const char *t, bool is1904, double *out)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, n = 0;
    double days = 0;
    if (sscanf(t, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3) {
        if (mo < 1 || mo > 12 || d < 1 || d > 31)
            return false;
        if (is1904)
            days = (double)(days_from_civil(y, mo, d) - days_from_civil(1904, 1, 1));
        else {
            days = (double)(days_from_civil(y, mo, d) - days_from_civil(1899, 12, 30));
            if (days < 61)
                days -= 1;
        }
        t += n;
        while (*t == ' ')
            t++;
        if (!*t) {
            *out = days;
            return true;
        }
    }
    n = 0;
    if (sscanf(t, "%2d:%2d:%2d%n", &h, &mi, &s, &n) == 3 && t[n] == 0) {
        *out = days + (h * 3600.0 + mi * 60.0 + s) / 86400.0;
        return true;
    }
    return false;
}

static int xls_load_sheet(xd_book *b, xd_sheet *s, char *err, size_t errlen)
{
    const void *h = b->handle;
    unsigned short index = (unsigned short)(s - b->sheets);
    unsigned int rows = 0, info = 0;
    unsigned short cols = 0;
    int rc = freexl_select_active_worksheet(h, index);
    if (rc == FREEXL_OK)
        rc = freexl_worksheet_dimensions(h, &rows, &cols);
    if (rc != FREEXL_OK)
        return xls_error(b, rc, err, errlen);
    bool is1904 = freexl_get_info(h, FREEXL_BIFF_DATEMODE, &info) == FREEXL_OK &&
                  info == FREEXL_BIFF_DATEMODE_1904;
    if (rows > XD_MAX_ROWS)
        rows = XD_MAX_ROWS;
    /* Dense walk: bounded by the declared size checked in xls_open. */
    for (unsigned int r = 0; r < rows; r++)
        for (unsigned int c = 0; c < cols && c < XD_MAX_COLS; c++) {
            FreeXL_CellValue v;
            rc = freexl_get_cell_value(h, r, (unsigned short)c, &v);
            if (rc != FREEXL_OK) {
                char name[16];
                xd_cell_name(r, c, name);
                return xd_fail(err, errlen, "cannot read cell %s of '%s' sheet '%s' (%s)", name,
                               b->label, s->name, freexl_message(rc));
            }
            xd_cell cell = {.row = r, .col = (uint16_t)c};
            switch (v.type) {
            case FREEXL_CELL_INT:
                cell.kind = XD_NUM;
                cell.u.num = v.value.int_value;
                break;
            case FREEXL_CELL_DOUBLE:
                cell.kind = XD_NUM;
                cell.u.num = v.value.double_value;
                break;
            case FREEXL_CELL_DATE:
            case FREEXL_CELL_DATETIME:
            case FREEXL_CELL_TIME:
                if (v.value.text_value && date_serial(v.value.text_value, is1904, &cell.u.num)) {
                    cell.kind = XD_NUM;
                    break;
                }
                /* Text that is not a date after all is kept as text. */
                /* fall through */
            case FREEXL_CELL_TEXT:
            case FREEXL_CELL_SST_TEXT:
                if (!v.value.text_value || !*v.value.text_value)
                    continue;
                cell.kind = XD_STR;
                if (!xd_pool_add(b, &s->pool, v.value.text_value, strlen(v.value.text_value),
                                 &cell.u.off, err, errlen))
                    return -1;
                break;
            default:
                continue; /* FREEXL_CELL_NULL */
            }
            if (!xd_sheet_add(b, s, cell, err, errlen))
                return -1;
        }
    return 0;
}

static void xls_close(xd_book *b)
{
    if (b->handle)
        freexl_close(b->handle);
    b->handle = NULL;
}

const xd_backend xd_backend_xls = {
    .name = "xls",
    .open = xls_open,
    .load_sheet = xls_load_sheet,
    .close = xls_close,
};
