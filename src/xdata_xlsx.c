/* xdata_xlsx.c: the .xlsx backend of xdata (Office Open XML workbooks).
 *
 * Pipeline position: xdata.c opens a workbook through xd_backend_xlsx and
 * asks for sheets as the GET ... functions need them. An .xlsx file is a zip
 * archive (read with libzip) of XML parts (read with libxml2's streaming
 * xmlTextReader, so a part is never held in memory whole):
 *   _rels/.rels                  -> where the workbook part is
 *   xl/workbook.xml              -> <sheet name r:id>, <definedName>
 *   xl/_rels/workbook.xml.rels   -> r:id -> worksheet part, sharedStrings
 *   xl/sharedStrings.xml         -> <si> strings (runs <r><t> concatenated,
 *                                   phonetic <rPh> text left out)
 *   xl/worksheets/sheetN.xml     -> <c r="B7" t="s|str|inlineStr|b|n|e|d">
 *                                   with <v> (a formula's cached value when
 *                                   there is an <f>) or <is><t>
 * Elements are matched by local name, so transitional and strict namespaces
 * both work. <dimension> is ignored: cells are stored as found.
 */
#include "xdata_impl.h"

#include <stdio.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <zip.h>

/* ---- XML parts read from the archive ------------------------------------------ */

typedef struct xml_part {
    xd_book *book;
    const char *name;    /* zip entry, for messages */
    zip_file_t *zf;
    xmlTextReaderPtr reader;
    uint64_t total;      /* uncompressed bytes delivered to the parser */
    bool too_big, io_failed;
    char io_msg[128];
    char xml_msg[200];   /* first parser error */
} xml_part;

static int part_read(void *ctx, char *buf, int len)
{
    xml_part *p = ctx;
    if (p->total >= XD_MAX_PART_BYTES) {
        p->too_big = true;
        return -1;
    }
    zip_int64_t n = zip_fread(p->zf, buf, (zip_uint64_t)len);
    if (n < 0) {
        p->io_failed = true;
        snprintf(p->io_msg, sizeof p->io_msg, "%s", zip_file_strerror(p->zf));
        return -1;
    }
    p->total += (uint64_t)n;
    return (int)n;
}

static void part_error(void *arg, const char *msg, xmlParserSeverities severity,
                       xmlTextReaderLocatorPtr loc)
{
    xml_part *p = arg;
    if (p->xml_msg[0] || severity == XML_PARSER_SEVERITY_WARNING ||
        severity == XML_PARSER_SEVERITY_VALIDITY_WARNING)
        return;
    int line = loc ? xmlTextReaderLocatorLineNumber(loc) : 0;
    if (line > 0)
        snprintf(p->xml_msg, sizeof p->xml_msg, "line %d: %s", line, msg ? msg : "error");
    else
        snprintf(p->xml_msg, sizeof p->xml_msg, "%s", msg ? msg : "error");
    size_t n = strlen(p->xml_msg);
    while (n > 0 && (p->xml_msg[n - 1] == '\n' || p->xml_msg[n - 1] == ' '))
        p->xml_msg[--n] = 0;
}

static void part_close(xml_part *p)
{
    if (p->reader)
        xmlFreeTextReader(p->reader);
    if (p->zf)
        zip_fclose(p->zf);
    p->reader = NULL;
    p->zf = NULL;
}

/* Opens a zip entry for streaming XML. Returns 0, or 1 when the entry does
 * not exist and !required, or -1 with a message. */
static int part_open(xd_book *b, const char *name, bool required, xml_part *p, char *err,
                     size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->book = b;
    p->name = name;
    zip_t *z = b->handle;
    zip_int64_t idx = zip_name_locate(z, name, ZIP_FL_NOCASE);
    if (idx < 0) {
        if (!required)
            return 1;
        return xd_fail(err, errlen, "'%s' is not a valid .xlsx file (it has no part %s)",
                       b->label, name);
    }
    p->zf = zip_fopen_index(z, (zip_uint64_t)idx, 0);
    if (!p->zf)
        return xd_fail(err, errlen, "cannot read %s in '%s': %s", name, b->label,
                       zip_strerror(z));
    /* No network, no DTD loading, no entity substitution; errors go to
     * part_error, not to stderr. */
    p->reader = xmlReaderForIO(part_read, NULL, p, name, NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!p->reader) {
        part_close(p);
        return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    }
    xmlTextReaderSetErrorHandler(p->reader, part_error, p);
    return 0;
}

/* Advances the reader: 1 at a node, 0 at the end, -1 with a message. */
static int part_next(xml_part *p, char *err, size_t errlen)
{
    int rc = xmlTextReaderRead(p->reader);
    if (rc >= 0)
        return rc;
    if (p->too_big)
        return xd_fail(err, errlen, "%s in '%s' is larger than %u bytes", p->name,
                       p->book->label, XD_MAX_PART_BYTES);
    if (p->io_failed)
        return xd_fail(err, errlen, "cannot read %s in '%s': %s", p->name, p->book->label,
                       p->io_msg);
    return xd_fail(err, errlen, "%s in '%s' is not well-formed XML (%s)", p->name,
                   p->book->label, p->xml_msg[0] ? p->xml_msg : "parse error");
}

static bool node_is(xml_part *p, int type, const char *local)
{
    if (xmlTextReaderNodeType(p->reader) != type)
        return false;
    const xmlChar *n = xmlTextReaderConstLocalName(p->reader);
    return n && strcmp((const char *)n, local) == 0;
}

static bool start_of(xml_part *p, const char *local)
{
    return node_is(p, XML_READER_TYPE_ELEMENT, local);
}

static bool end_of(xml_part *p, const char *local)
{
    return node_is(p, XML_READER_TYPE_END_ELEMENT, local);
}

static bool is_text_node(xml_part *p)
{
    int t = xmlTextReaderNodeType(p->reader);
    return t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
           t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || t == XML_READER_TYPE_WHITESPACE;
}

/* Copies the value of the current element's attribute `local` into out
 * (truncated to outlen). With `namespaced`, only an attribute that has a
 * namespace matches (r:id); otherwise only one without. */
static bool attr_get(xml_part *p, const char *local, bool namespaced, char *out, size_t outlen)
{
    bool found = false;
    if (xmlTextReaderMoveToFirstAttribute(p->reader) == 1) {
        do {
            const xmlChar *ln = xmlTextReaderConstLocalName(p->reader);
            const xmlChar *ns = xmlTextReaderConstNamespaceUri(p->reader);
            if (ln && strcmp((const char *)ln, local) == 0 && (ns != NULL) == namespaced &&
                !(ns && strcmp((const char *)ns, "http://www.w3.org/2000/xmlns/") == 0)) {
                const xmlChar *v = xmlTextReaderConstValue(p->reader);
                snprintf(out, outlen, "%s", v ? (const char *)v : "");
                found = true;
                break;
            }
        } while (xmlTextReaderMoveToNextAttribute(p->reader) == 1);
        xmlTextReaderMoveToElement(p->reader);
    }
    return found;
}

static void append_text(xml_part *p, wd_buf *buf)
{
    const xmlChar *v = xmlTextReaderConstValue(p->reader);
    if (v)
        wd_buf_puts(buf, (const char *)v);
}

/* ---- relationships -------------------------------------------------------------- */

typedef struct rel {
    char id[128];
    char type[256];
    char *target; /* resolved zip entry name */
} rel;
typedef VEC(rel) rel_vec;

static void rels_free(rel_vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        wd_xfree(v->v[i].target);
    VEC_FREE(*v);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Resolves a relationship target against the directory of its source part:
 * "/xl/x.xml" is from the archive root, "worksheets/s.xml" relative; "." and
 * ".." segments are folded. */
static char *resolve_target(const char *dir, const char *target)
{
    wd_buf path = {0};
    if (target[0] != '/' && *dir)
        wd_buf_printf(&path, "%s/", dir);
    wd_buf_puts(&path, target[0] == '/' ? target + 1 : target);
    if (path.oom) {
        wd_buf_free(&path);
        return NULL;
    }
    /* Fold segments in place. */
    char *s = path.s;
    size_t w = 0;
    for (size_t r = 0; s[r];) {
        size_t e = r;
        while (s[e] && s[e] != '/')
            e++;
        size_t len = e - r;
        if ((len == 1 && s[r] == '.') || len == 0) {
            /* skip */
        } else if (len == 2 && s[r] == '.' && s[r + 1] == '.') {
            while (w > 0 && s[w - 1] != '/')
                w--;
            if (w > 0)
                w--;
            while (w > 0 && s[w - 1] != '/')
                w--;
        } else {
            if (w > 0 && s[w - 1] != '/')
                s[w++] = '/';
            memmove(s + w, s + r, len);
            w += len;
            if (s[e])
                s[w++] = '/';
        }
        r = s[e] ? e + 1 : e;
    }
    while (w > 0 && s[w - 1] == '/')
        w--;
    s[w] = 0;
    return wd_buf_take(&path);
}

/* Reads the relationships of part `source` (its .rels may be missing). */
static int read_rels(xd_book *b, const char *source, rel_vec *out, char *err, size_t errlen)
{
    const char *slash = strrchr(source, '/');
    size_t dlen = slash ? (size_t)(slash - source) : 0;
    char *dir = wd_xstrndup(source, dlen);
    wd_buf rp = {0};
    wd_buf_printf(&rp, "%s%s_rels/%s.rels", dir ? dir : "", dlen ? "/" : "",
                  slash ? slash + 1 : source);
    char *relpart = wd_buf_take(&rp);
    if (!dir || !relpart) {
        wd_xfree(dir);
        wd_xfree(relpart);
        return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    }
    xml_part p;
    int rc = part_open(b, relpart, false, &p, err, errlen);
    if (rc != 0) {
        wd_xfree(dir);
        wd_xfree(relpart);
        return rc == 1 ? 0 : -1;
    }
    while ((rc = part_next(&p, err, errlen)) == 1) {
        if (!start_of(&p, "Relationship"))
            continue;
        rel r = {0};
        char target[1024], mode[32] = "";
        if (!attr_get(&p, "Id", false, r.id, sizeof r.id) ||
            !attr_get(&p, "Target", false, target, sizeof target))
            continue;
        attr_get(&p, "Type", false, r.type, sizeof r.type);
        attr_get(&p, "TargetMode", false, mode, sizeof mode);
        if (strcmp(mode, "External") == 0)
            continue;
        r.target = resolve_target(dir, target);
        if (!r.target || !VEC_PUSH(*out, r)) {
            wd_xfree(r.target);
            rc = xd_fail(err, errlen, "out of memory reading '%s'", b->label);
            break;
        }
    }
    part_close(&p);
    wd_xfree(dir);
    wd_xfree(relpart);
    return rc < 0 ? -1 : 0;
}

static const rel *rel_by_id(const rel_vec *v, const char *id)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i].id, id) == 0)
            return &v->v[i];
    return NULL;
}

static const rel *rel_by_type(const rel_vec *v, const char *suffix)
{
    for (size_t i = 0; i < v->n; i++)
        if (ends_with(v->v[i].type, suffix))
            return &v->v[i];
    return NULL;
}

/* ---- workbook ------------------------------------------------------------------- */

typedef struct sheet_entry {
    char *name;
    char rid[128];
} sheet_entry;
typedef VEC(sheet_entry) sheet_vec;

/* Reads <sheets> and <definedNames> of the workbook part. */
static int read_workbook(xd_book *b, const char *part, sheet_vec *sheets, char *err,
                         size_t errlen)
{
    xml_part p;
    if (part_open(b, part, true, &p, err, errlen) != 0)
        return -1;
    wd_buf text = {0};
    bool in_name = false;
    xd_defname dn = {0};
    int rc;
    while ((rc = part_next(&p, err, errlen)) == 1) {
        if (start_of(&p, "sheet")) {
            char name[1024];
            sheet_entry e = {0};
            if (!attr_get(&p, "name", false, name, sizeof name))
                continue;
            attr_get(&p, "id", true, e.rid, sizeof e.rid);
            if (!(e.name = wd_xstrdup(name)) || !VEC_PUSH(*sheets, e)) {
                wd_xfree(e.name);
                rc = xd_fail(err, errlen, "out of memory reading '%s'", b->label);
                break;
            }
        } else if (start_of(&p, "definedName")) {
            char name[512], local[32];
            if (!attr_get(&p, "name", false, name, sizeof name) ||
                xmlTextReaderIsEmptyElement(p.reader))
                continue;
            dn.sheet_index = -1;
            if (attr_get(&p, "localSheetId", false, local, sizeof local)) {
                char *e;
                long v = strtol(local, &e, 10);
                dn.sheet_index = (*e || v < 0 || v > 65535) ? -2 : (int)v; /* -2: unusable */
            }
            wd_xfree(dn.name); /* a definedName nested in another: keep the inner one */
            if (!(dn.name = wd_xstrdup(name))) {
                rc = xd_fail(err, errlen, "out of memory reading '%s'", b->label);
                break;
            }
            in_name = true;
            text.n = 0;
            if (text.s)
                text.s[0] = 0;
        } else if (in_name && is_text_node(&p)) {
            append_text(&p, &text);
        } else if (in_name && end_of(&p, "definedName")) {
            in_name = false;
            dn.ref = wd_xstrdup(wd_buf_str(&text));
            if (text.oom || !dn.ref || !VEC_PUSH(b->names, dn)) {
                rc = xd_fail(err, errlen, "out of memory reading '%s'", b->label);
                break;
            }
            dn = (xd_defname){0};
        }
    }
    wd_xfree(dn.name);
    wd_xfree(dn.ref);
    wd_buf_free(&text);
    part_close(&p);
    return rc < 0 ? -1 : 0;
}

/* ---- shared strings -------------------------------------------------------------- */

static int read_shared_strings(xd_book *b, const char *part, char *err, size_t errlen)
{
    xml_part p;
    int rc = part_open(b, part, false, &p, err, errlen);
    if (rc == 1)
        return 0;
    if (rc < 0)
        return -1;
    wd_buf s = {0};
    bool in_si = false, in_t = false;
    int rph = 0; /* depth inside <rPh>: phonetic guide text, not cell text */
    while ((rc = part_next(&p, err, errlen)) == 1) {
        bool empty = xmlTextReaderIsEmptyElement(p.reader);
        bool complete = false; /* a whole <si> has been read */
        if (start_of(&p, "si")) {
            s.n = 0;
            if (s.s)
                s.s[0] = 0;
            in_si = !empty;
            complete = empty;
        } else if (in_si && start_of(&p, "rPh")) {
            rph += !empty;
        } else if (in_si && end_of(&p, "rPh")) {
            rph--;
        } else if (in_si && start_of(&p, "t")) {
            in_t = !empty && rph == 0;
        } else if (in_t && end_of(&p, "t")) {
            in_t = false;
        } else if (in_t && is_text_node(&p)) {
            append_text(&p, &s);
        } else if (in_si && end_of(&p, "si")) {
            in_si = in_t = false;
            rph = 0;
            complete = true;
        }
        if (!complete)
            continue;
        uint32_t off;
        if (s.oom) {
            rc = xd_fail(err, errlen, "out of memory reading '%s'", b->label);
            break;
        }
        if (b->sst.n >= XD_MAX_CELLS) {
            rc = xd_fail(err, errlen, "'%s' has more than %u shared strings", b->label,
                         XD_MAX_CELLS);
            break;
        }
        if (!xd_pool_add(b, &b->sst_pool, wd_buf_str(&s), s.n, &off, err, errlen)) {
            rc = -1;
            break;
        }
        if (!VEC_PUSH(b->sst, off)) {
            rc = xd_fail(err, errlen, "out of memory reading '%s'", b->label);
            break;
        }
    }
    wd_buf_free(&s);
    part_close(&p);
    return rc < 0 ? -1 : 0;
}

/* ---- open ---------------------------------------------------------------------------- */

static int xlsx_open(xd_book *b, char *err, size_t errlen)
{
    int zerr = 0;
    zip_t *z = zip_open(b->path, ZIP_RDONLY, &zerr);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        if (zerr == ZIP_ER_NOZIP || zerr == ZIP_ER_INCONS)
            xd_fail(err, errlen, "'%s' is not a valid .xlsx file (%s)", b->label,
                    zip_error_strerror(&ze));
        else
            xd_fail(err, errlen, "cannot open '%s': %s", b->path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    b->handle = z;

    rel_vec root = {0}, wbrels = {0};
    sheet_vec sheets = {0};
    char *wbpart = NULL;
    int rc = -1;
    if (read_rels(b, "", &root, err, errlen) != 0)
        goto done;
    const rel *office = rel_by_type(&root, "/officeDocument");
    wbpart = wd_xstrdup(office ? office->target : "xl/workbook.xml");
    if (!wbpart) {
        xd_fail(err, errlen, "out of memory reading '%s'", b->label);
        goto done;
    }
    if (read_rels(b, wbpart, &wbrels, err, errlen) != 0 ||
        read_workbook(b, wbpart, &sheets, err, errlen) != 0)
        goto done;
    if (sheets.n == 0) {
        xd_fail(err, errlen, "'%s' has no sheets", b->label);
        goto done;
    }
    b->sheets = wd_xcalloc(sheets.n, sizeof *b->sheets);
    if (!b->sheets) {
        xd_fail(err, errlen, "out of memory reading '%s'", b->label);
        goto done;
    }
    b->nsheets = sheets.n;
    for (size_t i = 0; i < sheets.n; i++) {
        xd_sheet *s = &b->sheets[i];
        s->name = sheets.v[i].name;
        sheets.v[i].name = NULL;
        const rel *r = rel_by_id(&wbrels, sheets.v[i].rid);
        /* Chart sheets and dialog sheets have no cells: they stay empty. */
        if (r && ends_with(r->type, "/worksheet") && !(s->part = wd_xstrdup(r->target))) {
            xd_fail(err, errlen, "out of memory reading '%s'", b->label);
            goto done;
        }
    }
    const rel *sst = rel_by_type(&wbrels, "/sharedStrings");
    if (read_shared_strings(b, sst ? sst->target : "xl/sharedStrings.xml", err, errlen) != 0)
        goto done;
    rc = 0;
done:
    for (size_t i = 0; i < sheets.n; i++)
        wd_xfree(sheets.v[i].name);
    VEC_FREE(sheets);
    rels_free(&root);
    rels_free(&wbrels);
    wd_xfree(wbpart);
    return rc;
}

/* ---- worksheets ------------------------------------------------------------------- */

/* Stores the cell collected between <c> and </c>. */
static int finish_cell(xd_book *b, xd_sheet *s, uint32_t row, uint32_t col, const char *type,
                       bool has_v, const wd_buf *v, bool has_is, const wd_buf *is, char *err,
                       size_t errlen)
{
    if (v->oom || is->oom)
        return xd_fail(err, errlen, "out of memory reading '%s'", b->label);
    xd_cell cell = {.row = row, .col = (uint16_t)col};
    const char *text = wd_buf_str(v);
    char name[16];
    if (strcmp(type, "inlineStr") == 0) {
        if (!has_is && !has_v)
            return 0;
        const wd_buf *src = has_is ? is : v;
        cell.kind = XD_STR;
        if (!xd_pool_add(b, &s->pool, wd_buf_str(src), src->n, &cell.u.off, err, errlen))
            return -1;
    } else if (!has_v) {
        return 0; /* a styled empty cell, or a formula without a cached value */
    } else if (strcmp(type, "s") == 0) {
        char *e;
        unsigned long idx = strtoul(text, &e, 10);
        if (*e || e == text || idx >= b->sst.n) {
            xd_cell_name(row, col, name);
            return xd_fail(err, errlen,
                           "cell %s of '%s' sheet '%s' refers to shared string '%s', but "
                           "there are %zu",
                           name, b->label, s->name, text, b->sst.n);
        }
        cell.kind = XD_SST;
        cell.u.off = (uint32_t)idx;
    } else if (strcmp(type, "str") == 0 || strcmp(type, "d") == 0) {
        cell.kind = XD_STR;
        if (!xd_pool_add(b, &s->pool, text, v->n, &cell.u.off, err, errlen))
            return -1;
    } else if (strcmp(type, "e") == 0) {
        cell.kind = XD_ERR;
        if (!xd_pool_add(b, &s->pool, text, v->n, &cell.u.off, err, errlen))
            return -1;
    } else if (strcmp(type, "b") == 0) {
        cell.kind = XD_BOOL;
        cell.u.num = strtol(text, NULL, 10) != 0;
    } else {
        /* "n" or no type: a number. */
        if (!xd_parse_number(text, &cell.u.num)) {
            xd_cell_name(row, col, name);
            char shown[48];
            snprintf(shown, sizeof shown, "%.40s", text);
            return xd_fail(err, errlen, "cell %s of '%s' sheet '%s' holds '%s', not a number",
                           name, b->label, s->name, shown);
        }
        cell.kind = XD_NUM;
    }
    return xd_sheet_add(b, s, cell, err, errlen) ? 0 : -1;
}

static int xlsx_load_sheet(xd_book *b, xd_sheet *s, char *err, size_t errlen)
{
    if (!s->part)
        return 0;
    xml_part p;
    if (part_open(b, s->part, true, &p, err, errlen) != 0)
        return -1;
    wd_buf v = {0}, is = {0};
    uint32_t row = 0, col = 0, next_col = 0;
    int64_t last_row = -1;
    char type[16] = "";
    bool in_c = false, in_v = false, in_is = false, in_t = false, has_v = false, has_is = false;
    int rph = 0;
    int rc;
    while ((rc = part_next(&p, err, errlen)) == 1) {
        bool empty = xmlTextReaderIsEmptyElement(p.reader);
        if (start_of(&p, "row")) {
            char r[24];
            if (attr_get(&p, "r", false, r, sizeof r)) {
                char *e;
                unsigned long n = strtoul(r, &e, 10);
                if (*e || n < 1 || n > XD_MAX_ROWS) {
                    rc = xd_fail(err, errlen, "sheet '%s' of '%s' has a row '%s' outside 1..%u",
                                 s->name, b->label, r, XD_MAX_ROWS);
                    break;
                }
                last_row = (int64_t)n - 1;
            } else {
                last_row++;
            }
            next_col = 0;
        } else if (start_of(&p, "c")) {
            char r[24];
            if (attr_get(&p, "r", false, r, sizeof r)) {
                if (!xd_parse_cell(r, &row, &col)) {
                    rc = xd_fail(err, errlen,
                                 "sheet '%s' of '%s' has a cell '%s' outside A1:XFD%u", s->name,
                                 b->label, r, XD_MAX_ROWS);
                    break;
                }
            } else {
                if (last_row < 0 || last_row >= XD_MAX_ROWS || next_col >= XD_MAX_COLS) {
                    rc = xd_fail(err, errlen, "sheet '%s' of '%s' has a cell outside a row",
                                 s->name, b->label);
                    break;
                }
                row = (uint32_t)last_row;
                col = next_col;
            }
            next_col = col + 1;
            if (!attr_get(&p, "t", false, type, sizeof type))
                type[0] = 0;
            if (empty)
                continue;
            in_c = true;
            has_v = has_is = false;
            v.n = is.n = 0;
            if (v.s)
                v.s[0] = 0;
            if (is.s)
                is.s[0] = 0;
        } else if (in_c && start_of(&p, "v")) {
            in_v = !empty;
            has_v = true;
        } else if (in_v && end_of(&p, "v")) {
            in_v = false;
        } else if (in_c && start_of(&p, "is")) {
            in_is = !empty;
            has_is = true;
        } else if (in_is && end_of(&p, "is")) {
            in_is = false;
        } else if (in_is && start_of(&p, "rPh")) {
            rph += !empty;
        } else if (in_is && end_of(&p, "rPh")) {
            rph--;
        } else if (in_is && start_of(&p, "t")) {
            in_t = !empty && rph == 0;
        } else if (in_t && end_of(&p, "t")) {
            in_t = false;
        } else if ((in_v || in_t) && is_text_node(&p)) {
            append_text(&p, in_v ? &v : &is);
        } else if (in_c && end_of(&p, "c")) {
            in_c = in_v = in_is = in_t = false;
            rph = 0;
            if (finish_cell(b, s, row, col, type, has_v, &v, has_is, &is, err, errlen) != 0) {
                rc = -1;
                break;
            }
        }
    }
    wd_buf_free(&v);
    wd_buf_free(&is);
    part_close(&p);
    return rc < 0 ? -1 : 0;
}

static void xlsx_close(xd_book *b)
{
    if (b->handle)
        zip_discard(b->handle); /* read-only: nothing to write back */
    b->handle = NULL;
}

const xd_backend xd_backend_xlsx = {
    .name = "xlsx",
    .open = xlsx_open,
    .load_sheet = xlsx_load_sheet,
    .close = xlsx_close,
};
