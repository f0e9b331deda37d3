/* model_api.c: the public face of models and programs (wandel.h): loading,
 * introspection for `wandel info`, compiling with run inputs, disassembly.
 */
#include "native.h"
#include "program.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <string.h>

wd_status compile_program(const wd_model *m, wd_diags *d, wd_program **out);

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 && c <= 0xF4                  ? 4
                                                                    : 0;
    if (!len || len > n)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* Vensim writes {UTF-8} at the top of UTF-8 files; older files are in the
 * Windows code page. Text claiming UTF-8 must be valid UTF-8 (an error with
 * line and column otherwise); other text that is not valid UTF-8 is read as
 * Latin-1 and converted. Returns the text to parse (maybe a new buffer). */
static char *check_encoding(char *text, size_t *len, const char *path, wd_diags *diags, bool *bad)
{
    *bad = false;
    const unsigned char *u = (const unsigned char *)text;
    size_t n = *len, i = 0;
    int line = 1, col = 1;
    while (i < n) {
        size_t k = utf8_len(u + i, n - i);
        if (!k)
            break;
        if (u[i] == '\n')
            line++, col = 1;
        else
            col++;
        i += k;
    }
    if (i == n)
        return text;
    bool claims = n >= 7 && memcmp(text, "{UTF-8}", 7) == 0;
    if (claims) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){path, line, col}, wd_source_line(text, line),
                    "invalid UTF-8 (byte 0x%02X), although the file starts with {UTF-8}", u[i]);
        *bad = true;
        return text;
    }
    wd_buf b = {0};
    for (size_t j = 0; j < n; j++) {
        if (u[j] < 0x80) {
            wd_buf_putc(&b, (char)u[j]);
        } else {
            wd_buf_putc(&b, (char)(0xC0 | (u[j] >> 6)));
            wd_buf_putc(&b, (char)(0x80 | (u[j] & 0x3F)));
        }
    }
    if (b.oom) {
        wd_buf_free(&b);
        return text;
    }
    wd_diag_add(diags, WD_NOTE, (wd_loc){path, 0, 0}, NULL, "not UTF-8: read as Latin-1");
    *len = b.n;
    wd_xfree(text);
    return wd_buf_take(&b);
}

static wd_status load_text(char *text, size_t len, const char *path, const char *const *inputs, size_t ninputs,
                           const char *const *data, size_t ndata, wd_diags *diags, wd_model **out)
{
    *out = NULL;
    bool bad_encoding;
    text = check_encoding(text, &len, path, diags, &bad_encoding);
    if (bad_encoding) {
        wd_xfree(text);
        return WD_E_SYNTAX;
    }
    size_t before = wd_diags_count(diags, WD_ERROR);
    mdl_file *f = mdl_parse(text, len, path, diags);
    if (!f)
        return WD_E_NOMEM;
    if (wd_diags_count(diags, WD_ERROR) > before) {
        mdl_file_free(f);
        return WD_E_SYNTAX;
    }
    return sema_build(f, path, inputs, ninputs, data, ndata, diags, out);
}

wd_status wd_model_load(const char *path, wd_diags *diags, wd_model **out)
{
    return wd_model_load_opts(path, NULL, diags, out);
}

wd_status wd_model_load_opts(const char *path, const wd_load_opts *opts, wd_diags *diags, wd_model **out)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot read model: %s", strerror(errno));
        return WD_E_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot read model: not a regular file");
        return WD_E_IO;
    }
    if (st.st_size > WD_MAX_MODEL_BYTES) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){path, 0, 0}, NULL,
                    "model file of %lld bytes is larger than the limit of %ld", (long long)st.st_size,
                    (long)WD_MAX_MODEL_BYTES);
        return WD_E_LIMIT;
    }
    size_t len;
    char *text = wd_read_file(path, &len);
    if (!text) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot read model: %s", strerror(errno));
        return WD_E_IO;
    }
    return load_text(text, len, path, NULL, 0, opts ? opts->data_files : NULL, opts ? opts->ndata_files : 0, diags,
                     out);
}

wd_status wd_model_from_string(const char *text, const char *path, wd_diags *diags, wd_model **out)
{
    char *copy = wd_xstrdup(text);
    if (!copy)
        return WD_E_NOMEM;
    return load_text(copy, strlen(copy), path ? path : "<string>", NULL, 0, NULL, 0, diags, out);
}

const char *wd_model_path(const wd_model *m) { return m->path; }
const char *wd_model_sha256(const wd_model *m) { return m->sha256; }
wd_method wd_model_method(const wd_model *m) { return m->method; }

static const char *kind_name(const wd_model *m, const var_t *v)
{
    if (v->control)
        return "control";
    switch (v->kind) {
    case VK_AUX: {
        bool data = false;
        for (size_t j = 0; j < v->neqns; j++)
            data |= m->eqns.v[v->eqns[j]].kind == EK_INPUT;
        return data ? "input" : "auxiliary";
    }
    case VK_STOCK: return "stock";
    case VK_CONST: return "constant";
    case VK_LOOKUP: return "lookup";
    case VK_DATA: return "data";
    default: return "internal";
    }
}

/* Visible variables in model order (hidden ones are skipped). */
static size_t visible_index(const wd_model *m, size_t i)
{
    for (size_t v = 0; v < m->vars.n; v++) {
        if (m->vars.v[v].hidden)
            continue;
        if (i-- == 0)
            return v;
    }
    return SIZE_MAX;
}

size_t wd_model_var_count(const wd_model *m)
{
    size_t n = 0;
    for (size_t v = 0; v < m->vars.n; v++)
        n += !m->vars.v[v].hidden;
    return n;
}

static bool build_name_lists(wd_model *m)
{
    if (m->dim_name_lists)
        return true;
    const char ***dl = wd_xcalloc(m->vars.n + 1, sizeof(char **));
    const char ***pl = wd_xcalloc(m->vars.n + 1, sizeof(char **));
    if (!dl || !pl) {
        wd_xfree(dl);
        wd_xfree(pl);
        return false;
    }
    for (size_t v = 0; v < m->vars.n; v++) {
        const var_t *vv = &m->vars.v[v];
        dl[v] = wd_arena_alloc(m->arena, ((size_t)vv->ndims + 1) * sizeof(char *));
        pl[v] = wd_arena_alloc(m->arena, (vv->ndeps + 1) * sizeof(char *));
        if (!dl[v] || !pl[v])
            continue;
        for (int d = 0; d < vv->ndims; d++)
            dl[v][d] = m->dims.v[vv->dims[d]].raw;
        for (size_t k = 0; k < vv->ndeps; k++)
            pl[v][k] = m->vars.v[vv->deps[k]].raw;
    }
    m->dim_name_lists = dl;
    m->dep_name_lists = pl;
    return true;
}

void wd_model_var(const wd_model *cm, size_t i, wd_var_info *info)
{
    wd_model *m = (wd_model *)cm; /* name lists are a cache */
    memset(info, 0, sizeof *info);
    size_t v = visible_index(m, i);
    if (v == SIZE_MAX)
        return;
    const var_t *vv = &m->vars.v[v];
    bool lists = build_name_lists(m);
    info->name = vv->raw;
    info->kind = kind_name(m, vv);
    info->units = vv->units ? vv->units : "";
    info->doc = vv->doc ? vv->doc : "";
    info->file = vv->loc.file ? vv->loc.file : m->path;
    info->line = vv->loc.line;
    info->ndims = lists ? (size_t)vv->ndims : 0;
    info->dims = lists ? m->dim_name_lists[v] : NULL;
    info->ndeps = lists ? vv->ndeps : 0;
    info->deps = lists ? m->dep_name_lists[v] : NULL;
}

size_t wd_model_dim_count(const wd_model *m) { return m->dims.n; }

void wd_model_dim(const wd_model *m, size_t i, wd_dim_info *info)
{
    memset(info, 0, sizeof *info);
    if (i >= m->dims.n)
        return;
    const dim_t *d = &m->dims.v[i];
    info->name = d->raw;
    info->nelems = d->n;
    /* element names: a per-dim array in the arena, built on demand */
    const char **names = wd_arena_alloc(m->arena, (d->n + 1) * sizeof(char *));
    if (names)
        for (size_t k = 0; k < d->n; k++)
            names[k] = m->elems.v[d->elems[k]].raw;
    info->elems = names;
    info->parent = d->parent >= 0 ? m->dims.v[d->parent].raw : NULL;
}

/* Estimated element operations of one run in the VM: rate code size times
 * the number of steps (from the model's own constant control values). */
static double run_work(const wd_program *p)
{
    const wd_model *m = p->model;
    double elems = 0;
    for (size_t i = 0; i < p->rhs.n; i++)
        elems += p->rhs.ins[i].n ? p->rhs.ins[i].n : 1;
    double t0 = m->v_initial >= 0 ? p->defaults[p->var_slot[m->v_initial]] : 0;
    double t1 = m->v_final >= 0 ? p->defaults[p->var_slot[m->v_final]] : NAN;
    double dt = m->v_step >= 0 ? p->defaults[p->var_slot[m->v_step]] : NAN;
    double steps = (t1 - t0) / dt;
    return isfinite(steps) && steps > 0 ? steps * elems : 0;
}

/* Whether one run is long enough to repay building native code. Measured
 * here: the VM does an element operation in about 3 ns, and native code
 * saves up to half of that; cc -O2 takes about 0.2 s plus 0.4 ms per
 * instruction. So: a run estimated at over twice the build time, and at
 * least half a second. */
static bool worth_building(const wd_program *p)
{
    double vm_seconds = run_work(p) * 3e-9;
    double build_seconds = 0.2 + 4e-4 * (double)(p->rhs.n + p->out.n + p->update.n);
    return vm_seconds > 0.5 && vm_seconds > 2 * build_seconds;
}

static wd_status attach_engine(wd_program *p, wd_engine engine, wd_diags *diags)
{
    if (engine == WD_ENGINE_NATIVE)
        return native_prepare(p, true, diags);
    if (engine == WD_ENGINE_AUTO)
        native_prepare(p, worth_building(p), NULL); /* the VM when this fails */
    return WD_OK;
}

wd_status wd_program_compile(const wd_model *m, const wd_compile_opts *opts, wd_diags *diags, wd_program **out)
{
    *out = NULL;
    wd_engine engine = opts ? opts->engine : WD_ENGINE_AUTO;
    wd_status st;
    if (!opts || opts->ninputs == 0) {
        st = compile_program(m, diags, out);
    } else {
        /* Inputs change equations: analyse a private copy of the model. */
        char *text = wd_xstrndup(m->file->text, m->file->len);
        if (!text)
            return WD_E_NOMEM;
        wd_model *mine;
        st = load_text(text, m->file->len, m->path, opts->inputs, opts->ninputs,
                       (const char *const *)m->data_files, m->ndata_files, diags, &mine);
        if (st != WD_OK)
            return st;
        st = compile_program(mine, diags, out);
        if (st != WD_OK) {
            wd_model_free(mine);
            return st;
        }
        (*out)->owns_model = true;
    }
    if (st == WD_OK && (st = attach_engine(*out, engine, diags)) != WD_OK) {
        wd_program_free(*out);
        *out = NULL;
    }
    return st;
}

const char *wd_engine_name(wd_engine e)
{
    return e == WD_ENGINE_VM ? "vm" : e == WD_ENGINE_NATIVE ? "native" : e == WD_ENGINE_AUTO ? "auto" : "?";
}

int wd_engine_parse(const char *name)
{
    if (!strcmp(name, "auto"))
        return WD_ENGINE_AUTO;
    if (!strcmp(name, "vm"))
        return WD_ENGINE_VM;
    if (!strcmp(name, "native"))
        return WD_ENGINE_NATIVE;
    return -1;
}

int wd_program_has_native(const wd_program *p) { return p->native != NULL; }
const char *wd_program_native_path(const wd_program *p) { return p->native ? p->native->path : NULL; }

const wd_model *wd_program_model(const wd_program *p) { return p->model; }

void wd_program_disasm(const wd_program *p, FILE *out)
{
    fprintf(out, "; %zu values: %zu stocks from slot %zu, derivatives from %zu, constants from %zu, temporaries from %zu\n",
            p->nslots, p->nstates, p->state_first, p->deriv_first, p->const_first, p->temp_first);
    vm_disasm(p, &p->init, "init (once, at the initial time)", out);
    vm_disasm(p, &p->rhs, "rhs (every rate evaluation)", out);
    vm_disasm(p, &p->out, "out (at save points only)", out);
    vm_disasm(p, &p->update, "update (after each time step)", out);
}
