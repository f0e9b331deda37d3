/* session.c: scenarios put to work (the public wd_scenario_* functions):
 * from settings to a compiled program and a run holding the scenario's
 * values. scenario.c reads the files; this file knows the model.
 */
#include "session.h"

#include "run_internal.h"

#include <math.h>
#include <string.h>

wd_status wd_scenario_load(const char *path, wd_diags *diags, wd_scenario **out)
{
    return scn_load(path, diags, out);
}

wd_status wd_scenario_for_model(const char *model_path, wd_scenario **out)
{
    *out = NULL;
    wd_scenario *s = wd_xcalloc(1, sizeof *s);
    if (!s)
        return WD_E_NOMEM;
    s->model = wd_xstrdup(model_path);
    const char *base = strrchr(model_path, '/');
    base = base ? base + 1 : model_path;
    const char *dot = strrchr(base, '.');
    s->name = dot ? wd_xstrndup(base, (size_t)(dot - base)) : wd_xstrdup(base);
    s->t_start = s->t_stop = s->t_step = s->t_save = NAN;
    s->rtol = s->atol = s->hmax = NAN;
    if (!s->model || !s->name) {
        scn_free(s);
        return WD_E_NOMEM;
    }
    *out = s;
    return WD_OK;
}

void wd_scenario_free(wd_scenario *s) { scn_free(s); }

wd_status wd_scenario_set(wd_scenario *s, const char *assignment, wd_diags *diags)
{
    return scn_add_set(s, assignment, diags);
}

const char *wd_scenario_name(const wd_scenario *s) { return s->name; }
const char *wd_scenario_path(const wd_scenario *s) { return s->path; }
const char *wd_scenario_text(const wd_scenario *s) { return s->text; }
const char *wd_scenario_model(const wd_scenario *s) { return s->model; }

void wd_scenario_output(const wd_scenario *s, const char **file, const char **format, wd_output_opts *o)
{
    *file = s->out_file;
    *format = s->out_format;
    memset(o, 0, sizeof *o);
    o->vars = (const char *const *)s->out_vars;
    o->nvars = s->nout_vars;
    o->scenario_path = s->path;
    o->scenario_text = s->text;
}

/* Whether every element a set entry covers is defined by numbers: then the
 * run overrides it directly, else its equation becomes an input. */
static bool is_plain_constant(const wd_model *m, int var, size_t flat)
{
    const var_t *v = &m->vars.v[var];
    size_t first = flat == SIZE_MAX ? 0 : flat, count = flat == SIZE_MAX ? v->nelems : 1;
    for (size_t j = 0; j < v->neqns; j++) {
        const eqn_t *e = &m->eqns.v[v->eqns[j]];
        for (size_t k = 0; k < e->npoints; k++)
            if (e->flat[k] >= first && e->flat[k] < first + count && e->kind != EK_NUMBERS)
                return false;
    }
    return true;
}

/* Checks one name that replaces a variable's equation (a set entry or a
 * sweep parameter): it must exist and be neither a stock nor a lookup. Adds
 * it to inputs unless it is a plain constant (or already listed). Reports at
 * src with the given setting name ("set", "sweep param"). */
static bool add_replaced(const wd_model *m, const char *name, scn_src src, const char *what, bool series,
                         void *inputs_vec, wd_diags *diags, bool *nomem)
{
    VEC(const char *) *inputs = inputs_vec;
    int var;
    size_t flat;
    wd_loc at = {src.file, src.line, 0};
    if (!model_find(m, name, &var, &flat)) {
        wd_buf b = {0};
        model_suggest(m, name, &b, 3);
        wd_diag_add(diags, WD_ERROR, at, NULL, "%s: unknown variable '%s'%s%s%s", what, name,
                    b.n ? " (did you mean " : "", wd_buf_str(&b), b.n ? "?)" : "");
        wd_buf_free(&b);
        return false;
    }
    var_kind k = m->vars.v[var].kind;
    if (k == VK_STOCK || k == VK_LOOKUP) {
        wd_diag_add(diags, WD_ERROR, at, NULL, "%s: '%s' is a %s; set the constant it is computed from instead",
                    what, name, k == VK_STOCK ? "stock" : "lookup");
        return false;
    }
    if (!series && is_plain_constant(m, var, flat))
        return true;
    for (size_t i = 0; i < inputs->n; i++) {
        int v2;
        size_t f2;
        if (model_find(m, inputs->v[i], &v2, &f2) && v2 == var && f2 == flat)
            return true;
    }
    if (!VEC_PUSH(*inputs, name))
        *nomem = true;
    return true;
}

wd_status session_apply_sets(const wd_scenario *s, wd_run *run, wd_diags *diags)
{
    wd_status st = WD_OK;
    for (size_t i = 0; i < s->nsets && st == WD_OK; i++) {
        const scn_set *e = &s->sets[i];
        size_t before = wd_diags_count(diags, WD_ERROR);
        if (e->is_series)
            st = wd_run_set_series(run, e->var, e->npoints, e->times, e->values, e->interp == SCN_STEP ? 1 : 0,
                                   diags);
        else
            st = wd_run_set(run, e->var, e->value, diags);
        if (st != WD_OK && wd_diags_count(diags, WD_ERROR) > before)
            wd_diag_add(diags, WD_NOTE, (wd_loc){e->src.file, e->src.line, 0}, NULL, "in this setting");
    }
    return st;
}

wd_status wd_scenario_prepare(const wd_scenario *s, wd_diags *diags, wd_model **model, wd_program **program,
                              wd_run **run, wd_run_opts *opts)
{
    return session_prepare(s, NULL, NULL, 0, diags, model, program, run, opts);
}

wd_status session_prepare(const wd_scenario *s, const char *const *extra, const scn_src *extra_src, size_t nextra,
                          wd_diags *diags, wd_model **model, wd_program **program, wd_run **run, wd_run_opts *opts)
{
    *model = NULL;
    *program = NULL;
    *run = NULL;
    if (!s->model) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){s->path, 0, 0}, NULL,
                    "no model: set `model = \"path/to/model.mdl\";` in the scenario or a layer it extends");
        return WD_E_ARG;
    }
    wd_status st = wd_model_load(s->model, diags, model);
    if (st != WD_OK)
        return st;
    const wd_model *m = *model;
    VEC(const char *) inputs = {0};
    bool bad = false, nomem = false;
    for (size_t i = 0; i < s->nsets; i++)
        bad |= !add_replaced(m, s->sets[i].var, s->sets[i].src, "set", s->sets[i].is_series, &inputs, diags, &nomem);
    for (size_t i = 0; i < nextra; i++)
        bad |= !add_replaced(m, extra[i], extra_src[i], "sweep param", false, &inputs, diags, &nomem);
    if (nomem) {
        VEC_FREE(inputs);
        return WD_E_NOMEM;
    }
    if (bad) {
        VEC_FREE(inputs);
        return WD_E_ARG;
    }
    wd_compile_opts co = {inputs.v, inputs.n};
    st = wd_program_compile(m, &co, diags, program);
    VEC_FREE(inputs);
    if (st != WD_OK)
        return st;
    st = wd_run_new(*program, run);
    if (st != WD_OK)
        return st;
    st = session_apply_sets(s, *run, diags);
    if (st != WD_OK)
        return st;
    if (isfinite(s->t_start))
        opts->initial_time = s->t_start;
    if (isfinite(s->t_stop))
        opts->final_time = s->t_stop;
    if (isfinite(s->t_step))
        opts->time_step = s->t_step;
    if (isfinite(s->t_save))
        opts->saveper = s->t_save;
    if (s->method)
        opts->method = wd_method_parse(s->method);
    if (isfinite(s->rtol))
        opts->rtol = s->rtol;
    if (isfinite(s->atol))
        opts->atol = s->atol;
    if (isfinite(s->hmax))
        opts->hmax = s->hmax;
    if (s->has_seed)
        opts->seed = s->seed;
    return WD_OK;
}
