/* test_xdata.c: tests of the spreadsheet reader behind GET DIRECT/XLS
 * CONSTANTS, DATA, LOOKUPS and SUBSCRIPT (src/xdata*.c).
 *
 * 1. The conformance suite: each call is made with the exact arguments of a
 *    model in tests/get_*, data_from_other_model, ... and the result compared
 *    with the model's output.tab (Vensim's results), read by tab_value().
 *    Skipped when the suite is absent.
 * 2. Small .xlsx (built here with libzip) and text files for the format
 *    details: shared and inline strings, rich text, formulas, booleans,
 *    errors, sheet-local names, quoted sheet names, huge dimensions, BOM,
 *    CR/LF/CRLF, quoting.
 * 3. Errors and their messages, corrupt files.
 * 4. Allocation failure at every allocation of a call: an error, no leak.
 */
#include "testutil.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "util.h"
#include "xdata.h"

#define ERRLEN 512

/* ---- helpers ------------------------------------------------------------------ */

/* Path of a file in the suite's tests/ folder; NULL (after the "skipping"
 * line) when the suite is absent. */
static const char *suite_path(char *buf, size_t n, const char *rel)
{
    const char *dir = wd_test_suite_dir();
    if (!dir)
        return NULL;
    snprintf(buf, n, "%s/tests/%s", dir, rel);
    return buf;
}

#define SUITE_FILE(var, rel)                                                                 \
    char var##_buf[1024];                                                                    \
    const char *var = suite_path(var##_buf, sizeof var##_buf, rel);                          \
    if (!var)                                                                                \
        skip();

/* Value of column `name` at time t in a Vensim .tab result; NAN when the
 * time or the column is not there or the cell is empty. */
static double tab_value(const char *path, const char *name, double t)
{
    size_t len;
    char *text = wd_read_file(path, &len);
    assert_non_null(text);
    double result = NAN;
    int col = -1;
    char *save_line = NULL;
    bool header = true;
    for (char *line = strtok_r(text, "\r\n", &save_line); line;
         line = strtok_r(NULL, "\r\n", &save_line)) {
        int k = 0;
        char *p = line;
        for (;;) {
            char *tab = strchr(p, '\t');
            size_t n = tab ? (size_t)(tab - p) : strlen(p);
            if (header) {
                const char *f = p;
                size_t fn = n;
                if (fn >= 2 && f[0] == '"' && f[fn - 1] == '"') {
                    f++;
                    fn -= 2;
                }
                if (fn == strlen(name) && strncmp(f, name, fn) == 0)
                    col = k;
            } else if (k == 0) {
                if (strtod(p, NULL) != t)
                    break;
            } else if (k == col) {
                char *e;
                double v = strtod(p, &e);
                if (e != p)
                    result = v;
                break;
            }
            if (!tab)
                break;
            p = tab + 1;
            k++;
        }
        if (header) {
            header = false;
            if (col < 0)
                break;
        }
    }
    wd_xfree(text);
    return result;
}

/* tab_value that must find a value. */
static double tab_must(const char *path, const char *name, double t)
{
    double v = tab_value(path, name, t);
    if (isnan(v)) {
        print_error("no value of '%s' at time %g in %s\n", name, t, path);
        fail();
    }
    return v;
}

static void expect_constants(xd_cache *c, const char *path, const char *sheet, const char *cell,
                             size_t nrows, size_t ncols, const double *want)
{
    double out[64];
    char err[ERRLEN] = "";
    assert_true(nrows * ncols <= 64);
    int rc = xd_get_constants(c, path, sheet, cell, nrows, ncols, out, err, sizeof err);
    if (rc != 0)
        print_error("xd_get_constants('%s', '%s', '%s'): %s\n", path, sheet, cell, err);
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < nrows * ncols; i++)
        assert_close(out[i], want[i], 5e-6, 0); /* output.tab has 6 digits */
}

static void expect_constants_error(xd_cache *c, const char *path, const char *sheet,
                                   const char *cell, size_t nrows, size_t ncols,
                                   const char *needle)
{
    double out[64];
    char err[ERRLEN] = "";
    assert_true(nrows * ncols <= 64);
    assert_int_not_equal(xd_get_constants(c, path, sheet, cell, nrows, ncols, out, err,
                                          sizeof err),
                         0);
    assert_contains(err, needle);
    assert_null(strchr(err, '\n'));
}

typedef struct data_result {
    size_t n;
    double *t, *v;
} data_result;

static data_result get_data(xd_cache *c, const char *path, const char *sheet, const char *trc,
                            const char *cell, size_t nseries)
{
    data_result r = {0};
    char err[ERRLEN] = "";
    int rc = xd_get_data(c, path, sheet, trc, cell, nseries, &r.n, &r.t, &r.v, err, sizeof err);
    if (rc != 0)
        print_error("xd_get_data('%s', '%s', '%s', '%s'): %s\n", path, sheet, trc, cell, err);
    assert_int_equal(rc, 0);
    assert_true(r.n > 0);
    return r;
}

static void free_data(data_result *r)
{
    wd_xfree(r->t);
    wd_xfree(r->v);
    r->t = r->v = NULL;
}

static void expect_data_error(xd_cache *c, const char *path, const char *sheet, const char *trc,
                              const char *cell, size_t nseries, const char *needle)
{
    size_t n = 99;
    double *t = (double *)1, *v = (double *)1;
    char err[ERRLEN] = "";
    assert_int_not_equal(xd_get_data(c, path, sheet, trc, cell, nseries, &n, &t, &v, err,
                                     sizeof err),
                         0);
    assert_int_equal(n, 0);
    assert_null(t);
    assert_null(v);
    assert_contains(err, needle);
}

static void expect_names(xd_cache *c, const char *path, const char *sheet, const char *first,
                         const char *last, const char *prefix, const char *const *want,
                         size_t nwant)
{
    char **names = NULL;
    size_t n = 0;
    char err[ERRLEN] = "";
    int rc = xd_get_subscript(c, path, sheet, first, last, prefix, &names, &n, err, sizeof err);
    if (rc != 0)
        print_error("xd_get_subscript('%s', '%s', '%s'): %s\n", path, first, last, err);
    assert_int_equal(rc, 0);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(names[i], want[i]);
    xd_free_names(names, n);
}

static void expect_names_error(xd_cache *c, const char *path, const char *sheet,
                               const char *first, const char *last, const char *needle)
{
    char **names = (char **)1;
    size_t n = 99;
    char err[ERRLEN] = "";
    assert_int_not_equal(
        xd_get_subscript(c, path, sheet, first, last, "", &names, &n, err, sizeof err), 0);
    assert_null(names);
    assert_int_equal(n, 0);
    assert_contains(err, needle);
}

/* A temporary text file; the path is copied to out (unlink when done). */
static const char *tmp_text(char out[256], const char *suffix, const char *text)
{
    const char *p = wd_test_tmpfile(suffix, text);
    assert_non_null(p);
    snprintf(out, 256, "%s", p);
    return out;
}

typedef struct zpart {
    const char *name, *data;
} zpart;

/* A temporary zip archive with the given parts (stored uncompressed when
 * `store`, so that tests can patch bytes of the raw file). */
static const char *tmp_zip(char out[256], const char *suffix, const zpart *parts, size_t n,
                           bool store)
{
    tmp_text(out, suffix, "");
    int zerr = 0;
    zip_t *z = zip_open(out, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        zip_source_t *src = zip_source_buffer(z, parts[i].data, strlen(parts[i].data), 0);
        assert_non_null(src);
        zip_int64_t idx = zip_file_add(z, parts[i].name, src, ZIP_FL_OVERWRITE);
        assert_true(idx >= 0);
        if (store)
            assert_int_equal(zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0), 0);
    }
    assert_int_equal(zip_close(z), 0);
    return out;
}

/* ---- a small but awkward workbook -------------------------------------------------- */

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG "http://schemas.openxmlformats.org/package/2006/relationships"

static const char ROOT_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Relationships xmlns=\"" NS_PKG "\">"
    "<Relationship Id=\"rId1\" Type=\"" NS_REL "/officeDocument\" Target=\"xl/workbook.xml\"/>"
    "</Relationships>";

static const char EDGE_WORKBOOK[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\">\n"
    "<sheets><sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/>"
    "<sheet name=\"My Sheet\" sheetId=\"2\" r:id=\"rId2\"/>"
    "<sheet name=\"Chart1\" sheetId=\"3\" r:id=\"rId3\"/></sheets>\n"
    "<definedNames>"
    "<definedName name=\"times\">Data!$B$1:$E$1</definedName>"
    "<definedName name=\"vals\" localSheetId=\"1\">'My Sheet'!$A$1:$A$3</definedName>"
    "<definedName name=\"Quoted\">'My Sheet'!$A$1</definedName>"
    "<definedName name=\"block\">Data!$B$2:$E$3</definedName>"
    "<definedName name=\"one\">Data!$B$1</definedName>"
    "<definedName name=\"col\">'My Sheet'!$A$1:$A$3</definedName>"
    "<definedName name=\"broken\">#REF!</definedName>"
    "<definedName name=\"elsewhere\">Nope!$A$1</definedName>"
    "</definedNames></workbook>";

static const char EDGE_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Relationships xmlns=\"" NS_PKG "\">"
    "<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" NS_REL "/worksheet\" Target=\"/xl/worksheets/s2.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" NS_REL "/chartsheet\" Target=\"chartsheets/c1.xml\"/>"
    "<Relationship Id=\"rId4\" Type=\"" NS_REL "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "</Relationships>";

/* 0 Time, 1 rich text with a phonetic run, 2 a number as text, 3 empty,
 * 4 an escaped ampersand. */
static const char EDGE_SST[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<sst xmlns=\"" NS_MAIN "\" count=\"5\" uniqueCount=\"5\">"
    "<si><t>Time</t></si>"
    "<si><r><rPr><b/></rPr><t>Ri</t></r><r><t xml:space=\"preserve\">ch </t></r>"
    "<rPh sb=\"0\" eb=\"1\"><t>PHONETIC</t></rPh></si>"
    "<si><t> 42 </t></si>"
    "<si/>"
    "<si><t>a&amp;b</t></si>"
    "</sst>";

static const char EDGE_SHEET1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<worksheet xmlns=\"" NS_MAIN "\"><dimension ref=\"A1:XFD1048576\"/><sheetData>\n"
    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\"><v>1990</v></c>"
    "<c r=\"C1\"><v>2000</v></c><c r=\"D1\" t=\"str\"><f>TEXT(2010)</f><v>2010</v></c>"
    "<c r=\"E1\"><f>C1+20</f><v>2020</v></c></row>\n"
    "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>1</v></c><c r=\"B2\"><v>1.5</v></c>"
    "<c r=\"C2\" t=\"e\"><v>#N/A</v></c><c r=\"D2\" t=\"b\"><v>1</v></c>"
    "<c r=\"E2\" t=\"s\"><v>2</v></c></row>\n"
    "<row r=\"3\"><c t=\"inlineStr\"><is><t>inline</t></is></c><c><v>3</v></c><c s=\"1\"/>"
    "<c><v>-2.5E-3</v></c><c t=\"s\"><v>3</v></c></row>\n"
    "<row r=\"5\"><c r=\"A5\" t=\"s\"><v>4</v></c><c r=\"B5\"><f>1/0</f></c></row>\n"
    "<row r=\"1048576\"><c r=\"XFD1048576\"><v>7</v></c></row>\n"
    "</sheetData></worksheet>";

static const char EDGE_SHEET2[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<worksheet xmlns=\"" NS_MAIN "\"><sheetData>"
    "<row r=\"1\"><c r=\"A1\"><v>10</v></c></row>"
    "<row r=\"2\"><c r=\"A2\"><v>20</v></c></row>"
    "<row r=\"3\"><c r=\"A3\"><v>30</v></c></row>"
    "</sheetData></worksheet>";

static const zpart EDGE_PARTS[] = {
    {"_rels/.rels", ROOT_RELS},
    {"xl/workbook.xml", EDGE_WORKBOOK},
    {"xl/_rels/workbook.xml.rels", EDGE_RELS},
    {"xl/sharedStrings.xml", EDGE_SST},
    {"xl/worksheets/sheet1.xml", EDGE_SHEET1},
    {"xl/worksheets/s2.xml", EDGE_SHEET2},
};
#define NPARTS(a) (sizeof(a) / sizeof *(a))

/* ---- 1. the conformance suite ------------------------------------------------------ */

/* tests/get_constants: its .mdl names 'data.xls' and 'data.csv', which the
 * folder does not have, and there is no output.tab; the cells of the files
 * that are there are read with the same arguments. */
static void test_suite_get_constants(void **state)
{
    (void)state;
    SUITE_FILE(xlsx, "get_constants/data.xlsx");
    SUITE_FILE(csv, "get_constants/data down.csv");
    xd_cache *c = xd_cache_new();
    expect_constants(c, xlsx, "தாள்", "A2", 1, 3, (double[]){1, 2, 3});
    expect_constants(c, xlsx, "தாள்", "A2*", 3, 1, (double[]){1, 2, 3});
    expect_constants(c, xlsx, "தாள்", "A2*", 3, 3, (double[]){1, 4, 7, 2, 5, 8, 3, 6, 9});
    expect_constants(c, xlsx, "தாள்", "a2", 3, 3, (double[]){1, 2, 3, 4, 5, 6, 7, 8, 9});
    /* Fields padded with tabs and spaces ("1\t   ,2\t   ,3"). */
    expect_constants(c, csv, ",", "A2", 3, 3, (double[]){1, 2, 3, 4, 5, 6, 7, 8, 9});
    expect_constants(c, csv, ",", "$B$3*", 2, 2, (double[]){5, 8, 6, 9});
    xd_cache_free(c);
}

/* tests/get_data: times down column A / across row 1, first value B2. */
static void test_suite_get_data(void **state)
{
    (void)state;
    SUITE_FILE(across_csv, "get_data/data across.csv");
    SUITE_FILE(down_csv, "get_data/data down.csv");
    SUITE_FILE(across_xlsx, "get_data/data across.xlsx");
    SUITE_FILE(down_xlsx, "get_data/data down.xlsx");
    xd_cache *c = xd_cache_new();
    const double want[3][3] = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
    struct {
        const char *path, *sheet, *trc;
        bool across;
    } cases[] = {{across_csv, ",", "1", true},
                 {down_csv, ",", "A", false},
                 {across_xlsx, "தாள்", "1", true},
                 {down_xlsx, "தாள்", "A", false}};
    for (size_t k = 0; k < 4; k++) {
        data_result r = get_data(c, cases[k].path, cases[k].sheet, cases[k].trc, "B2", 3);
        assert_int_equal(r.n, 3);
        for (size_t i = 0; i < 3; i++) {
            assert_close(r.t[i], (double)(i + 1), 0, 0);
            for (size_t s = 0; s < 3; s++)
                assert_close(r.v[s * 3 + i], cases[k].across ? want[s][i] : want[i][s], 0, 0);
        }
        free_data(&r);
    }
    xd_cache_free(c);
}

/* tests/get_constants_incomplete_subscript (.xls): var[dim, dim2] is 3 x 2
 * from B5; var only women[dim, female] fixes the last subscript, leaving a
 * 1-D array read across row 2. */
static void test_suite_xls_constants(void **state)
{
    (void)state;
    SUITE_FILE(xls, "get_constants_incomplete_subscript/inputs.xls");
    SUITE_FILE(out, "get_constants_incomplete_subscript/output.tab");
    xd_cache *c = xd_cache_new();
    double t0 = 1; /* the first time in this output.tab */
    expect_constants(c, xls, "tab1", "B11", 1, 1,
                     (double[]){tab_must(out, "adimensional const", t0)});
    const char *dims[] = {"a", "b", "c"}, *dims2[] = {"female", "male"};
    double want[6], women[3];
    char name[64];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2; j++) {
            snprintf(name, sizeof name, "var[%s,%s]", dims[i], dims2[j]);
            want[i * 2 + j] = tab_must(out, name, t0);
        }
        snprintf(name, sizeof name, "var only women[%s,female]", dims[i]);
        women[i] = tab_must(out, name, t0);
    }
    expect_constants(c, xls, "tab1", "B5", 3, 2, want);
    expect_constants(c, xls, "tab1", "B2", 1, 3, women);
    expect_constants(c, xls, "TAB1", "B2", 1, 3, women); /* sheet case ignored */
    xd_cache_free(c);
}

/* tests/get_subscript_3d_arrays_xls (.xls): subscripts from cells and the
 * 3 x 2 blocks of the constant. */
static void test_suite_xls_subscripts(void **state)
{
    (void)state;
    SUITE_FILE(xls, "get_subscript_3d_arrays_xls/input.xls");
    SUITE_FILE(out, "get_subscript_3d_arrays_xls/output.tab");
    xd_cache *c = xd_cache_new();
    expect_names(c, xls, "Sheet1", "C3", "D3", "Depth", (const char *[]){"Depth1", "Depth2"}, 2);
    expect_names(c, xls, "Sheet1", "B4", "B6", "Entry",
                 (const char *[]){"Entry1", "Entry2", "Entry3"}, 3);
    /* last cell as a row number or a column letter */
    expect_names(c, xls, "Sheet1", "C3", "3", "", (const char *[]){"1", "2", "1", "2"}, 4);
    expect_names(c, xls, "Sheet1", "B4", "B", "E", (const char *[]){"E1", "E2", "E3"}, 3);
    /* a rectangle is read across, then down */
    expect_names(c, xls, "Sheet1", "C3", "D4", "",
                 (const char *[]){"1", "2", "0.01", "0.02"}, 4);
    for (int col = 1; col <= 2; col++) {
        double want[6];
        char name[128];
        for (int e = 1; e <= 3; e++)
            for (int d = 1; d <= 2; d++) {
                snprintf(name, sizeof name,
                         "Three Dimensional Constant[Entry%d,Column%d,Depth%d]", e, col, d);
                want[(e - 1) * 2 + (d - 1)] = tab_must(out, name, 0);
            }
        expect_constants(c, xls, "Sheet1", col == 1 ? "C4" : "E4", 3, 2, want);
    }
    /* Blank last cell with filled cells both right and below: ambiguous. */
    expect_names_error(c, xls, "Sheet1", "B4", "", "could run across or down");
    expect_names_error(c, xls, "Sheet1", "A1", "", "is empty, a subscript element");
    expect_constants_error(c, xls, "Sheet1", "some_name", 1, 1,
                           "named ranges are read from .xlsx files only");
    xd_cache_free(c);
}

/* tests/get_lookups_data_3d_xls (.xls): lookups with times across row 4;
 * "lookup call[Dim,Rows]" is the lookup at Time, so at a lookup's x points
 * it equals the cell. Also get_data_args_3d_xls, same layout. */
static void test_suite_xls_lookups(void **state)
{
    (void)state;
    SUITE_FILE(xls, "get_lookups_data_3d_xls/input.xls");
    SUITE_FILE(xls2, "get_data_args_3d_xls/input.xls");
    SUITE_FILE(out, "get_lookups_data_3d_xls/output.tab");
    xd_cache *c = xd_cache_new();
    const char *rows[] = {"Row1", "Row2"};
    int checked = 0;
    for (int d = 0; d < 2; d++) {
        data_result r = get_data(c, xls, "Sheet1", "4", d == 0 ? "C5" : "C7", 2);
        data_result r2 = get_data(c, xls2, "Sheet1", "4", d == 0 ? "C5" : "C7", 2);
        assert_int_equal(r.n, 7);
        assert_int_equal(r2.n, 7);
        for (size_t i = 0; i < r.n; i++) {
            assert_close(r.t[i], 5.0 * (double)i, 0, 0);
            for (int s = 0; s < 2; s++) {
                assert_close(r2.v[s * 7 + i], r.v[s * 7 + i], 0, 0);
                char name[64];
                snprintf(name, sizeof name, "lookup call[%s,%s]", d == 0 ? "A" : "B", rows[s]);
                double v = tab_value(out, name, r.t[i]);
                if (!isnan(v)) {
                    assert_close(r.v[s * 7 + i], v, 1e-6, 1e-9);
                    checked++;
                }
            }
        }
        free_data(&r);
        free_data(&r2);
    }
    assert_true(checked >= 8);
    xd_cache_free(c);
}

/* tests/get_xls_cellrange: named ranges, global and sheet-local, across and
 * down, constants with '*'. final1[dim] = value1[dim] + 10*data1 -
 * 100*lookup1(Time), and the data points are at whole times. */
static void test_suite_cellrange(void **state)
{
    (void)state;
    SUITE_FILE(xlsx, "get_xls_cellrange/inputs.xlsx");
    SUITE_FILE(out, "get_xls_cellrange/output.tab");
    xd_cache *c = xd_cache_new();
    const char *dim[] = {"A", "B", "C", "D", "E", "F"};
    struct {
        const char *var, *sheet, *cvar, *time, *data;
    } cases[] = {{"value1", "Global", "value1", "Time1", "value1"},
                 {"value2", "Local", "value2", "Time2", "value2"},
                 {"valuev", "Global", "valuev*", "Timev", "valuev"}};
    const char *finals[] = {"final1", "final2", "finalv"};
    for (int k = 0; k < 3; k++) {
        double want[6], got[6];
        char name[64], err[ERRLEN];
        for (int i = 0; i < 6; i++) {
            snprintf(name, sizeof name, "%s[%s]", cases[k].var, dim[i]);
            want[i] = tab_must(out, name, 0);
        }
        expect_constants(c, xlsx, cases[k].sheet, cases[k].cvar, 1, 6, want);
        assert_int_equal(xd_get_constants(c, xlsx, cases[k].sheet, cases[k].cvar, 1, 6, got, err,
                                          sizeof err),
                         0);
        data_result r = get_data(c, xlsx, cases[k].sheet, cases[k].time, cases[k].data, 1);
        assert_int_equal(r.n, 6);
        for (size_t i = 0; i < r.n; i++) {
            double t = r.t[i];
            assert_close(t, (double)i, 0, 0);
            for (int j = 0; j < 6; j++) {
                snprintf(name, sizeof name, "%s[%s]", finals[k], dim[j]);
                /* data and lookup are the same series here */
                assert_close(got[j] + 10 * r.v[i] - 100 * r.v[i], tab_must(out, name, t), 1e-9,
                             0);
            }
        }
        free_data(&r);
    }
    /* The local name is not visible from the other sheet. */
    expect_constants_error(c, xlsx, "Global", "value2", 1, 6, "defined for sheet 'Local' only");
    /* Shape mismatches name the fix. */
    expect_constants_error(c, xlsx, "Global", "valuev", 1, 6, "append '*'");
    expect_constants_error(c, xlsx, "Global", "value1", 1, 5, "is 1 x 6 cells, but 1 x 5");
    xd_cache_free(c);
}

/* tests/get_with_missing_values_xlsx: an empty (row 8) or text (row 10)
 * time drops that point; empty value cells are NaN and Vensim's output
 * interpolates over them. */
static void test_suite_missing_values(void **state)
{
    (void)state;
    SUITE_FILE(xlsx, "get_with_missing_values_xlsx/input.xlsx");
    SUITE_FILE(out, "get_with_missing_values_xlsx/output.tab");
    xd_cache *c = xd_cache_new();
    const char *rows[] = {"8", "10"}, *outs[] = {"out lookup3", "out lookup4"};
    for (int k = 0; k < 2; k++) {
        data_result r = get_data(c, xlsx, "Hoja1", rows[k], "A9", 1);
        const double t[] = {1, 2, 4, 5, 6, 7, 8, 9};
        assert_int_equal(r.n, 8);
        for (size_t i = 0; i < r.n; i++) {
            assert_close(r.t[i], t[i], 0, 0);
            assert_close(r.v[i], tab_must(out, outs[k], t[i]), 1e-9, 0);
        }
        /* Time 3 falls between the points 2 and 4: interpolated. */
        assert_close(tab_must(out, outs[k], 3), (r.v[1] + r.v[2]) / 2, 1e-9, 0);
        free_data(&r);
    }
    data_result r = get_data(c, xlsx, "Hoja1", "1", "C5", 2);
    assert_int_equal(r.n, 9); /* C1:K1 = 3..11 */
    for (size_t i = 0; i < r.n; i++)
        assert_close(r.t[i], 3.0 + (double)i, 0, 0);
    const bool missing_a[9] = {1, 0, 0, 1, 0, 0, 0, 1, 1};
    const bool missing_b[9] = {0, 1, 0, 0, 0, 0, 0, 1, 1};
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(isnan(r.v[i]) != 0, missing_a[i]);
        assert_int_equal(isnan(r.v[9 + i]) != 0, missing_b[i]);
        if (!missing_a[i] && r.t[i] <= 10)
            assert_close(r.v[i], tab_must(out, "out data interp2[A]", r.t[i]), 1e-9, 0);
        if (!missing_b[i] && r.t[i] <= 10)
            assert_close(r.v[9 + i], tab_must(out, "out data interp2[B]", r.t[i]), 1e-9, 0);
    }
    /* B at time 4 is missing: Vensim interpolates 3 (t=3) and 5 (t=5). */
    assert_close(tab_must(out, "out data interp2[B]", 4), (r.v[9] + r.v[11]) / 2, 1e-9, 0);
    free_data(&r);
    xd_cache_free(c);
}

/* tests/get_mixed_definitions: workbook and sheet-local names for constants
 * and data, "C8*" for a 1-D column, a 4-series named data block. */
static void test_suite_mixed_definitions(void **state)
{
    (void)state;
    SUITE_FILE(xlsx, "get_mixed_definitions/input.xlsx");
    SUITE_FILE(out, "get_mixed_definitions/output.tab");
    xd_cache *c = xd_cache_new();
    expect_constants(c, xlsx, "Sheet2", "var_d1*", 1, 1,
                     (double[]){tab_must(out, "const var 1[d1]", 0)});
    expect_constants(c, xlsx, "Sheet2", "var_d3", 1, 1,
                     (double[]){tab_must(out, "const var 1[d3]", 0)});
    double want[4];
    char name[64];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "const var 2[d%d,a2]", i + 1);
        want[i] = tab_must(out, name, 0);
    }
    expect_constants(c, xlsx, "Sheet2", "var_dim*", 1, 4, want);
    expect_constants(c, xlsx, "Sheet1", "C8*", 1, 2,
                     (double[]){tab_must(out, "Variable 10[ext const,A]", 0) / 10,
                                tab_must(out, "Variable 10[ext const,B]", 0) / 10});

    data_result r = get_data(c, xlsx, "Sheet2", "time", "data_d1", 1);
    assert_int_equal(r.n, 5);
    for (size_t i = 0; i < r.n; i++)
        assert_close(r.v[i], tab_must(out, "outdata 1[d1]", r.t[i]), 1e-9, 0);
    free_data(&r);
    r = get_data(c, xlsx, "Sheet2", "time", "data_dim", 4);
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < r.n; i++) {
            snprintf(name, sizeof name, "outdata 2[d%zu,a2]", k + 1);
            assert_close(r.v[k * r.n + i], tab_must(out, name, r.t[i]), 1e-9, 0);
        }
    free_data(&r);
    r = get_data(c, xlsx, "Sheet1", "4", "C5", 2);
    assert_int_equal(r.n, 5);
    for (size_t i = 0; i < r.n; i++) {
        assert_close(10 * r.v[i], tab_must(out, "Variable 10[ext data,A]", r.t[i]), 1e-6, 0);
        assert_close(10 * r.v[r.n + i], tab_must(out, "Variable 10[ext data,B]", r.t[i]), 1e-6,
                     0);
    }
    free_data(&r);
    /* 4 series are needed for data_dim, not 2. */
    expect_data_error(c, xlsx, "Sheet2", "time", "data_dim", 2, "but 2 x 5 are needed");
    xd_cache_free(c);
}

/* tests/get_values_order, tests/with_lookup (quoted sheet name in the
 * reference), tests/get_constants_subranges, tests/partial_range_definitions. */
static void test_suite_more_constants(void **state)
{
    (void)state;
    SUITE_FILE(order, "get_values_order/inputs.xlsx");
    SUITE_FILE(order_out, "get_values_order/output.tab");
    SUITE_FILE(wl, "with_lookup/inputs.xlsx");
    SUITE_FILE(wl_out, "with_lookup/output.tab");
    SUITE_FILE(sub, "get_constants_subranges/inputs.xlsx");
    SUITE_FILE(sub_out, "get_constants_subranges/output.tab");
    SUITE_FILE(part, "partial_range_definitions/inputs.xlsx");
    SUITE_FILE(part_out, "partial_range_definitions/output.tab");
    xd_cache *c = xd_cache_new();
    char name[64];

    double v1[4];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "var1[t%d]", i + 1);
        v1[i] = tab_must(order_out, name, 0);
    }
    expect_constants(c, order, "Sheet1", "var1all*", 1, 4, v1);
    for (int i = 0; i < 4; i++) {
        char cell[32];
        snprintf(cell, sizeof cell, "var2t%d", i + 1);
        snprintf(name, sizeof name, "var2[t%d]", i + 1);
        expect_constants(c, order, "Sheet1", cell, 1, 1, (double[]){tab_must(order_out, name, 0)});
    }
    /* subdim is (t3, t1): the values come in that order */
    expect_constants(c, order, "Sheet1", "var4subdim*", 1, 2,
                     (double[]){tab_must(order_out, "var4[t3]", 0),
                                tab_must(order_out, "var4[t1]", 0)});

    const char *d1[] = {"a", "b", "c"}, *d2[] = {"d", "e", "f"};
    double w[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            snprintf(name, sizeof name, "var1[%s,%s]", d1[i], d2[j]);
            w[i * 3 + j] = tab_must(wl_out, name, 0);
        }
    expect_constants(c, wl, "tab1", "var1_", 3, 3, w);

    expect_constants(c, sub, "Sheet1", "A1", 1, 3,
                     (double[]){tab_must(sub_out, "constant[C]", 0),
                                tab_must(sub_out, "constant[D]", 0),
                                tab_must(sub_out, "constant[E]", 0)});

    expect_constants(c, part, "Sheet1", "B2", 1, 1,
                     (double[]){tab_must(part_out, "partial constants[B]", 0)});
    expect_constants(c, part, "Sheet1", "D3", 1, 1,
                     (double[]){tab_must(part_out, "partial constants[A]", 0)});
    /* Times across row 1 start at the first value's column, A. */
    const char *cells[] = {"A2", "A3"}, *vars[] = {"data[D]", "data[A]"};
    for (int k = 0; k < 2; k++) {
        data_result r = get_data(c, part, "Sheet1", "1", cells[k], 1);
        assert_int_equal(r.n, 11);
        for (size_t i = 0; i < r.n; i++)
            assert_close(r.v[i], tab_must(part_out, vars[k], r.t[i]), 1e-5, 0);
        free_data(&r);
    }
    xd_cache_free(c);
}

/* tests/vector_order: 5 series from sheet-local and workbook names, 51
 * times across. */
static void test_suite_vector_order(void **state)
{
    (void)state;
    SUITE_FILE(xlsx, "vector_order/input.xlsx");
    xd_cache *c = xd_cache_new();
    data_result r = get_data(c, xlsx, "Sheet1", "time_index", "revenue_A", 5);
    assert_int_equal(r.n, 51);
    assert_close(r.t[50], 50, 0, 0);
    assert_close(r.v[0], 140, 0, 0);          /* B8 */
    assert_close(r.v[4 * 51 + 50], 1409, 0, 0); /* AZ12 */
    free_data(&r);
    r = get_data(c, xlsx, "Sheet1", "time_index", "revenue", 5);
    assert_close(r.v[0], -25, 0, 0); /* B2 */
    free_data(&r);
    xd_cache_free(c);
}

/* tests/data_from_other_model: data.tab (tab-separated, CRLF, empty
 * fields) read as GET DIRECT DATA with times down column A. out1[A] =
 * var 0dim*2 + var 1dim[A], so at the data's whole times it is exact. */
static void test_suite_data_tab(void **state)
{
    (void)state;
    SUITE_FILE(tab, "data_from_other_model/data.tab");
    SUITE_FILE(out, "data_from_other_model/output.tab");
    xd_cache *c = xd_cache_new();
    /* R: var 0dim, S..U: var 1dim[A..C] */
    const char *sheets[] = {"\\t", "\t", "", "Sheet1"};
    for (int k = 0; k < 4; k++) {
        data_result r = get_data(c, tab, sheets[k], "A", "R2", 4);
        assert_int_equal(r.n, 51);
        const char *dims[] = {"A", "B", "C"};
        for (size_t i = 0; i < r.n; i += 7)
            for (int j = 0; j < 3; j++) {
                char name[32];
                snprintf(name, sizeof name, "out1[%s]", dims[j]);
                assert_close(2 * r.v[i] + r.v[(size_t)(j + 1) * r.n + i],
                             tab_must(out, name, r.t[i]), 1e-5, 1e-9);
            }
        free_data(&r);
    }
    /* Column H (FINAL TIME) has a value in the first row only. */
    data_result r = get_data(c, tab, "", "A", "H2", 1);
    assert_close(r.v[0], 50, 0, 0);
    for (size_t i = 1; i < r.n; i++)
        assert_true(isnan(r.v[i]));
    free_data(&r);
    /* A comma separator makes each line a single field. */
    expect_data_error(c, tab, ",", "A", "R2", 1, "no numeric times");
    xd_cache_free(c);
}

/* ---- 2. format details --------------------------------------------------------------- */

static void test_xlsx_cells(void **state)
{
    (void)state;
    char path[256];
    tmp_zip(path, ".xlsx", EDGE_PARTS, NPARTS(EDGE_PARTS), false);
    xd_cache *c = xd_cache_new();
    /* numbers, a formula's cached text result, a formula's cached value */
    expect_constants(c, path, "Data", "B1", 1, 4, (double[]){1990, 2000, 2010, 2020});
    /* a boolean, a shared string holding " 42 ", a cell without r= */
    expect_constants(c, path, "Data", "D2", 1, 1, (double[]){1});
    expect_constants(c, path, "Data", "E2", 1, 1, (double[]){42});
    expect_constants(c, path, "data", "B3", 1, 1, (double[]){3});
    expect_constants(c, path, "Data", "D3", 1, 1, (double[]){-2.5e-3});
    /* the last cell of a sheet, past a declared dimension of A1:XFD1048576 */
    expect_constants(c, path, "Data", "XFD1048576", 1, 1, (double[]){7});
    expect_constants(c, path, "Data", "$xfd$1048576", 1, 1, (double[]){7});
    expect_constants_error(c, path, "Data", "XFD1048576", 1, 2, "beyond the last row or column");
    expect_constants_error(c, path, "Data", "B1048576*", 1, 2, "beyond the last row or column");
    expect_constants_error(c, path, "Data", "C2", 1, 1,
                           "cell C2 of '"); /* the label, then: */
    expect_constants_error(c, path, "Data", "C2", 1, 1, "holds the error value #N/A");
    expect_constants_error(c, path, "Data", "A3", 1, 1, "holds the text 'inline'");
    expect_constants_error(c, path, "Data", "C3", 1, 1, "cell C3 of");
    expect_constants_error(c, path, "Data", "C3", 1, 1, "is empty, a number was expected");
    expect_constants_error(c, path, "Data", "E3", 1, 1, "is empty"); /* "" shared string */
    expect_constants_error(c, path, "Data", "B5", 1, 1, "is empty"); /* formula, no value */
    expect_constants_error(c, path, "Chart1", "A1", 1, 1, "(the sheet has no data)");
    expect_constants_error(c, path, "Sheet9", "A1", 1, 1,
                           "no sheet 'Sheet9' in '");
    expect_constants_error(c, path, "Sheet9", "A1", 1, 1, "(sheets: Data, My Sheet, Chart1)");
    xd_cache_free(c);
    unlink(path);
}

static void test_xlsx_names(void **state)
{
    (void)state;
    char path[256];
    tmp_zip(path, ".xlsx", EDGE_PARTS, NPARTS(EDGE_PARTS), false);
    xd_cache *c = xd_cache_new();
    const double v[] = {10, 20, 30};
    /* sheet-local name, sheet matched ignoring case, quoted sheet name */
    expect_constants(c, path, "my sheet", "vals*", 1, 3, v);
    expect_constants(c, path, "My Sheet", " vals * ", 1, 3, v);
    expect_constants(c, path, "My Sheet", "vals", 3, 1, v);
    expect_constants(c, path, "Data", "col*", 1, 3, v);
    expect_constants(c, path, "Data", "QUOTED", 1, 1, v);
    expect_constants_error(c, path, "Data", "vals*", 1, 3,
                           "no named range 'vals' in '");
    expect_constants_error(c, path, "Data", "vals*", 1, 3, "defined for sheet 'My Sheet' only");
    expect_constants_error(c, path, "Data", "col", 1, 3, "append '*' to read it transposed");
    expect_constants_error(c, path, "Data", "broken", 1, 1, "refers to '#REF!', not a block");
    expect_constants_error(c, path, "Data", "elsewhere", 1, 1, "missing sheet 'Nope'");
    expect_constants_error(c, path, "Data", "value9", 1, 1, "no named range 'value9' in '");
    expect_constants_error(c, path, "Data", "B0", 1, 1, "'B0' is not a valid cell");
    expect_constants_error(c, path, "Data", "block", 2, 4, "holds the error value #N/A");
    xd_cache_free(c);
    unlink(path);
}

static void test_xlsx_data(void **state)
{
    (void)state;
    char path[256];
    tmp_zip(path, ".xlsx", EDGE_PARTS, NPARTS(EDGE_PARTS), false);
    xd_cache *c = xd_cache_new();
    const char *trcs[] = {"times", "1", "$1", "TIMES"};
    const char *firsts[] = {"B2", "B2", "$B$2", "block"};
    for (int k = 0; k < 4; k++) {
        data_result r = get_data(c, path, "Data", trcs[k], firsts[k], 2);
        assert_int_equal(r.n, 4);
        const double t[] = {1990, 2000, 2010, 2020};
        for (size_t i = 0; i < 4; i++)
            assert_close(r.t[i], t[i], 0, 0);
        /* row 2: 1.5, #N/A, TRUE, " 42 " */
        assert_close(r.v[0], 1.5, 0, 0);
        assert_true(isnan(r.v[1]));
        assert_close(r.v[2], 1, 0, 0);
        assert_close(r.v[3], 42, 0, 0);
        /* row 3: 3, styled empty, -0.0025, "" */
        assert_close(r.v[4], 3, 0, 0);
        assert_true(isnan(r.v[5]));
        assert_close(r.v[6], -2.5e-3, 0, 0);
        assert_true(isnan(r.v[7]));
        free_data(&r);
    }
    /* A one-cell time range: one point. */
    data_result r = get_data(c, path, "Data", "one", "B2", 1);
    assert_int_equal(r.n, 1);
    assert_close(r.t[0], 1990, 0, 0);
    assert_close(r.v[0], 1.5, 0, 0);
    free_data(&r);
    /* Times down a column named by a range on another sheet. */
    r = get_data(c, path, "My Sheet", "vals", "A1", 1);
    assert_int_equal(r.n, 3);
    assert_close(r.t[2], 30, 0, 0);
    assert_close(r.v[2], 30, 0, 0);
    free_data(&r);
    /* Times down column A of Data: only numeric cells count; A1..A5 are
     * text, so there are none. */
    expect_data_error(c, path, "Data", "A", "B1", 1, "no numeric times in column A");
    expect_data_error(c, path, "Data", "1", "B6", 1, "no values for series 1 of 1");
    expect_data_error(c, path, "Data", "1", "B5", 2, "no values for series 1 of 2");
    expect_data_error(c, path, "Data", "B", "A2", 1, "holds the text 'Rich'");
    expect_data_error(c, path, "Data", "7", "B1", 1, "no times in row 7");
    expect_data_error(c, path, "Data", "0", "B1", 1, "is not a row number");
    expect_data_error(c, path, "Data", "block", "B2", 1, "times must be one row or one column");
    expect_data_error(c, path, "Data", "times", "B2", 0, "0 series requested");
    expect_data_error(c, path, "Data", "1", "B1048576", 2, "beyond the last row or column");
    expect_data_error(c, path, "Data", "", "B2", 1, "no time row or column given");
    xd_cache_free(c);
    unlink(path);
}

static void test_xlsx_subscripts(void **state)
{
    (void)state;
    char path[256];
    tmp_zip(path, ".xlsx", EDGE_PARTS, NPARTS(EDGE_PARTS), false);
    xd_cache *c = xd_cache_new();
    /* rich text runs joined, the phonetic run left out, blanks trimmed,
     * entities decoded, the empty A4 skipped */
    const char *col_a[] = {"Time", "Rich", "inline", "a&b"};
    expect_names(c, path, "Data", "A1", "A5", "", col_a, 4);
    expect_names(c, path, "Data", "A1", "A", "", col_a, 4);
    expect_names(c, path, "Data", "A5", "A1", "", col_a, 4); /* corners in any order */
    expect_names(c, path, "Data", "A1", "1", "y",
                 (const char *[]){"yTime", "y1990", "y2000", "y2010", "y2020"}, 5);
    /* numbers, the error skipped, a boolean, number-like text kept as text */
    expect_names(c, path, "Data", "B2", "E2", NULL, (const char *[]){"1.5", "TRUE", "42"}, 3);
    /* a blank last cell: a run down (A5's right neighbour has no value) */
    expect_names(c, path, "Data", "A5", "", "p_", (const char *[]){"p_a&b"}, 1);
    expect_names(c, path, "My Sheet", "A1", "", "", (const char *[]){"10", "20", "30"}, 3);
    expect_names(c, path, "Data", "times", "ignored", "",
                 (const char *[]){"1990", "2000", "2010", "2020"}, 4);
    expect_names_error(c, path, "Data", "B1", "", "could run across or down");
    expect_names_error(c, path, "Data", "C3", "C3", "no subscript elements in C3:C3 of '");
    expect_names_error(c, path, "Data", "A1", "A1:B", "is not a cell, a row number or a column");
    xd_cache_free(c);
    unlink(path);
}

static void test_text_formats(void **state)
{
    (void)state;
    char p1[256], p2[256], p3[256], p4[256], p5[256];
    /* BOM, CRLF, quoted fields with delimiters, doubled quotes and a line
     * break, padded fields, an empty quoted field */
    tmp_text(p1, ".csv",
             "\xEF\xBB\xBFname,\"a,b\",\"say \"\"hi\"\"\"\r\n"
             "1, 2 ,\"3\"\r\n"
             "\"multi\nline\",\"\",5\r\n"
             " -4.5e1 ,x,6\r\n");
    /* CR only */
    tmp_text(p2, ".csv", "t,v\r1,10\r2,20\r3,\r");
    /* semicolons in a .txt file, no final line break */
    tmp_text(p3, ".txt", "1;2;3\n4;5;6");
    /* tab-separated .tab with empty fields */
    tmp_text(p4, ".tab", "Time\tx\ty\n0\t1\t\n1\t\t2\n2\t3\t4\n");
    tmp_text(p5, ".csv", "a,\"never closed\n1,2\n");
    xd_cache *c = xd_cache_new();
    expect_constants(c, p1, ",", "A2", 1, 3, (double[]){1, 2, 3});
    expect_constants(c, p1, "Sheet1", "C3", 2, 1, (double[]){5, 6}); /* default ',' for .csv */
    expect_constants(c, p1, ",", "A4", 1, 1, (double[]){-45});
    expect_names(c, p1, ",", "A1", "C1", "", (const char *[]){"name", "a,b", "say \"hi\""}, 3);
    expect_names(c, p1, ",", "A3", "C3", "", (const char *[]){"multi\nline", "5"}, 2);
    expect_constants_error(c, p1, ",", "A1", 1, 1, "cell A1 of '");
    expect_constants_error(c, p1, ",", "A1", 1, 1, "holds the text 'name'");
    expect_constants_error(c, p1, ",", "B3", 1, 1, "is empty");

    data_result r = get_data(c, p2, ",", "A", "B2", 1);
    assert_int_equal(r.n, 3);
    assert_close(r.t[2], 3, 0, 0);
    assert_close(r.v[1], 20, 0, 0);
    assert_true(isnan(r.v[2]));
    free_data(&r);

    expect_constants(c, p3, ";", "A2", 1, 3, (double[]){4, 5, 6});
    expect_constants(c, p3, ";", "B1*", 2, 1, (double[]){2, 3});
    expect_constants_error(c, p3, "", "A1", 1, 1, "holds the text '1;2;3'"); /* tab default */

    r = get_data(c, p4, "", "A", "B2", 2);
    assert_int_equal(r.n, 3);
    assert_close(r.v[0], 1, 0, 0);
    assert_true(isnan(r.v[1]));
    assert_true(isnan(r.v[3]));
    assert_close(r.v[5], 4, 0, 0);
    free_data(&r);
    /* times across row 1 from B: "x" and "y" are text */
    expect_data_error(c, p4, "\t", "1", "B2", 1, "no numeric times in row 1");

    expect_constants_error(c, p5, ",", "A1", 1, 1, "quoted field starting on line 1");
    xd_cache_free(c);
    unlink(p1);
    unlink(p2);
    unlink(p3);
    unlink(p4);
    unlink(p5);
}

/* ---- 3. errors and corrupt files ------------------------------------------------------- */

static void test_errors_files(void **state)
{
    (void)state;
    char dir[256], txt[256], fake_xls[256], fake_xlsx[256], empty[256];
    xd_cache *c = xd_cache_new();
    expect_constants_error(c, "/nonexistent/dir/input.xlsx", "Sheet1", "A1", 1, 1,
                           "cannot open '/nonexistent/dir/input.xlsx': No such file or directory");
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s", tmp && *tmp ? tmp : "/tmp");
    expect_constants_error(c, dir, "Sheet1", "A1", 1, 1, "Is a directory");
    expect_constants_error(c, "/models/?inputs", "Sheet1", "A1", 1, 1,
                           "'?inputs' is an indirect file reference");
    tmp_text(txt, ".xlsx", "this is not a zip archive, just text\n");
    expect_constants_error(c, txt, "Sheet1", "A1", 1, 1, "is not a valid .xlsx file");
    tmp_text(fake_xls, ".xls", "plain text pretending to be an .xls file\n");
    expect_constants_error(c, fake_xls, "Sheet1", "A1", 1, 1, "is not a readable .xls file");
    tmp_text(fake_xlsx, ".xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 and then garbage");
    expect_constants_error(c, fake_xlsx, "Sheet1", "A1", 1, 1, "is not a readable .xls file");
    tmp_text(empty, ".csv", "");
    expect_constants_error(c, empty, ",", "A1", 1, 1, "(the sheet has no data)");
    expect_names_error(c, empty, ",", "A1", "B2", "no subscript elements in A1:B2 of '");
    double out[1];
    char err[ERRLEN];
    assert_int_not_equal(xd_get_constants(c, empty, ",", "A1", 0, 1, out, err, sizeof err), 0);
    assert_contains(err, "no values requested");
    assert_int_not_equal(xd_get_constants(NULL, empty, ",", "A1", 1, 1, out, err, sizeof err),
                         0);
    assert_int_not_equal(xd_get_constants(c, NULL, ",", "A1", 1, 1, out, err, sizeof err), 0);
    assert_contains(err, "no file name");
    /* err may be NULL */
    assert_int_not_equal(xd_get_constants(c, empty, ",", "A1", 1, 1, out, NULL, 0), 0);
    xd_cache_free(c);
    xd_cache_free(NULL);
    xd_free_names(NULL, 3);
    unlink(txt);
    unlink(fake_xls);
    unlink(fake_xlsx);
    unlink(empty);
}

/* A workbook built from EDGE_PARTS with one part replaced (or removed when
 * data is NULL). */
static const char *edge_variant(char out[256], const char *name, const char *data, bool store)
{
    zpart parts[NPARTS(EDGE_PARTS)];
    size_t n = 0;
    for (size_t i = 0; i < NPARTS(EDGE_PARTS); i++) {
        if (strcmp(EDGE_PARTS[i].name, name) != 0)
            parts[n++] = EDGE_PARTS[i];
        else if (data)
            parts[n++] = (zpart){name, data};
    }
    return tmp_zip(out, ".xlsx", parts, n, store);
}

static void test_errors_corrupt_xlsx(void **state)
{
    (void)state;
    char p[256];
    xd_cache *c = xd_cache_new();
    struct {
        const char *part, *data, *needle;
    } cases[] = {
        {"xl/workbook.xml", "<workbook><sheets><sheet name='a'></sheets>",
         "xl/workbook.xml in '"},
        {"xl/workbook.xml", "<workbook><sheets><sheet name='a'></sheets>",
         "is not well-formed XML (line 1:"},
        {"xl/workbook.xml", NULL, "it has no part xl/workbook.xml"},
        {"xl/workbook.xml", "<workbook xmlns='" NS_MAIN "'><sheets/></workbook>", "has no sheets"},
        {"xl/sharedStrings.xml",
         "<?xml version='1.0'?><!DOCTYPE s [<!ENTITY a 'aaaaaaaaaa'>"
         "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
         "<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'><!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
         "<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'><!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>"
         "<!ENTITY h '&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;'><!ENTITY i '&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;'>"
         "]><sst><si><t>&i;</t></si></sst>",
         "xl/sharedStrings.xml in '"},
        {"xl/worksheets/sheet1.xml",
         "<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>99</v></c></row></sheetData>"
         "</worksheet>",
         "refers to shared string '99', but there are 5"},
        {"xl/worksheets/sheet1.xml",
         "<worksheet><sheetData><row r='1048577'><c><v>1</v></c></row></sheetData></worksheet>",
         "has a row '1048577' outside 1..1048576"},
        {"xl/worksheets/sheet1.xml",
         "<worksheet><sheetData><row r='1'><c r='XFE1'><v>1</v></c></row></sheetData>"
         "</worksheet>",
         "has a cell 'XFE1' outside A1:XFD1048576"},
        {"xl/worksheets/sheet1.xml",
         "<worksheet><sheetData><row r='1'><c r='A1'><v>abc</v></c></row></sheetData>"
         "</worksheet>",
         "holds 'abc', not a number"},
        {"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row r='1'><c r='A1'><v>1",
         "is not well-formed XML"},
        {"xl/worksheets/sheet1.xml", NULL, "it has no part xl/worksheets/sheet1.xml"},
    };
    for (size_t k = 0; k < NPARTS(cases); k++) {
        edge_variant(p, cases[k].part, cases[k].data, false);
        expect_constants_error(c, p, "Data", "A1", 1, 1, cases[k].needle);
        unlink(p);
    }
    /* A damaged byte in a stored part: the zip CRC check fails. */
    edge_variant(p, "xl/worksheets/sheet1.xml", EDGE_SHEET1, true);
    size_t len;
    char *raw = wd_read_file(p, &len);
    assert_non_null(raw);
    char *hit = NULL;
    for (size_t i = 0; i + 11 <= len && !hit; i++)
        if (memcmp(raw + i, "<v>1990</v>", 11) == 0)
            hit = raw + i;
    assert_non_null(hit);
    hit[6] = '1'; /* 1990 -> 1910 */
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(raw, 1, len, f), len);
    fclose(f);
    expect_constants_error(c, p, "Data", "B1", 1, 1, "CRC error");
    /* A truncated archive (a fresh cache: the old one has the file open). */
    xd_cache_free(c);
    c = xd_cache_new();
    f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(raw, 1, len / 2, f), len / 2);
    fclose(f);
    expect_constants_error(c, p, "Data", "B1", 1, 1, "is not a valid .xlsx file");
    wd_xfree(raw);
    unlink(p);
    xd_cache_free(c);
}

/* The cache keeps a workbook open: a second call does not reread the file,
 * and a text file read with two delimiters is two entries. */
static void test_cache(void **state)
{
    (void)state;
    char p[256];
    tmp_text(p, ".txt", "1;2\n3;4\n");
    xd_cache *c = xd_cache_new();
    expect_constants(c, p, ";", "A1", 2, 2, (double[]){1, 2, 3, 4});
    expect_constants_error(c, p, "", "A1", 1, 1, "holds the text '1;2'");
    unlink(p);
    expect_constants(c, p, ";", "B2", 1, 1, (double[]){4}); /* from the cache */
    expect_constants_error(c, p, ",", "A1", 1, 1, "cannot open");
    xd_cache_free(c);
}

/* ---- 4. allocation failures -------------------------------------------------------------- */

typedef int (*call_fn)(xd_cache *c, const char *path, char *err, size_t errlen);

static int call_constants(xd_cache *c, const char *path, char *err, size_t errlen)
{
    double out[4];
    int rc = xd_get_constants(c, path, "Data", "B1", 1, 4, out, err, errlen);
    if (rc == 0)
        assert_close(out[3], 2020, 0, 0);
    return rc;
}

static int call_names(xd_cache *c, const char *path, char *err, size_t errlen)
{
    char **names;
    size_t n;
    int rc = xd_get_subscript(c, path, "Data", "A1", "A5", "p", &names, &n, err, errlen);
    if (rc == 0) {
        assert_int_equal(n, 4);
        xd_free_names(names, n);
    }
    return rc;
}

static int call_data(xd_cache *c, const char *path, char *err, size_t errlen)
{
    size_t n;
    double *t, *v;
    int rc = xd_get_data(c, path, "Data", "times", "block", 2, &n, &t, &v, err, errlen);
    if (rc == 0) {
        assert_int_equal(n, 4);
        wd_xfree(t);
        wd_xfree(v);
    }
    return rc;
}

static int call_text(xd_cache *c, const char *path, char *err, size_t errlen)
{
    size_t n;
    double *t, *v;
    int rc = xd_get_data(c, path, ",", "A", "B2", 1, &n, &t, &v, err, errlen);
    if (rc == 0) {
        assert_int_equal(n, 2);
        wd_xfree(t);
        wd_xfree(v);
    }
    return rc;
}

static int call_xls(xd_cache *c, const char *path, char *err, size_t errlen)
{
    char **names;
    size_t n;
    int rc = xd_get_subscript(c, path, "Sheet1", "C3", "D3", "Depth", &names, &n, err, errlen);
    if (rc == 0)
        xd_free_names(names, n);
    return rc;
}

/* Makes allocation k fail, for k = 0, 1, ... until the call succeeds: every
 * failure must be reported as an error and leak nothing. */
static void fail_each_allocation(const char *path, call_fn fn)
{
    long k;
    for (k = 0; k < 100000; k++) {
        char err[ERRLEN] = "";
        wd_alloc_fail_after(k);
        xd_cache *c = xd_cache_new();
        int rc = c ? fn(c, path, err, sizeof err) : -1;
        wd_alloc_fail_after(-1);
        xd_cache_free(c);
        if (rc == 0)
            break;
        if (c)
            assert_true(err[0] != 0);
    }
    assert_true(k > 0 && k < 100000);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    char x[256], t[256];
    tmp_zip(x, ".xlsx", EDGE_PARTS, NPARTS(EDGE_PARTS), false);
    tmp_text(t, ".csv", "\xEF\xBB\xBFt,v\r\n1,\"10\"\r\n2,20\r\n");
    fail_each_allocation(x, call_constants);
    fail_each_allocation(x, call_names);
    fail_each_allocation(x, call_data);
    fail_each_allocation(t, call_text);
    unlink(x);
    unlink(t);
    char buf[1024];
    const char *xls = suite_path(buf, sizeof buf, "get_subscript_3d_arrays_xls/input.xls");
    if (xls)
        fail_each_allocation(xls, call_xls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_get_constants),
        cmocka_unit_test(test_suite_get_data),
        cmocka_unit_test(test_suite_xls_constants),
        cmocka_unit_test(test_suite_xls_subscripts),
        cmocka_unit_test(test_suite_xls_lookups),
        cmocka_unit_test(test_suite_cellrange),
        cmocka_unit_test(test_suite_missing_values),
        cmocka_unit_test(test_suite_mixed_definitions),
        cmocka_unit_test(test_suite_more_constants),
        cmocka_unit_test(test_suite_vector_order),
        cmocka_unit_test(test_suite_data_tab),
        cmocka_unit_test(test_xlsx_cells),
        cmocka_unit_test(test_xlsx_names),
        cmocka_unit_test(test_xlsx_data),
        cmocka_unit_test(test_xlsx_subscripts),
        cmocka_unit_test(test_text_formats),
        cmocka_unit_test(test_errors_files),
        cmocka_unit_test(test_errors_corrupt_xlsx),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
