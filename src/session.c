/* session.c: scenarios put to work (the public wd_scenario_* functions):
 * from settings to a compiled program and a run holding the scenario's
 * values. scenario.c reads the files; this file knows the model.
 */
#include "run_internal.h"
#include "scenario.h"
#include "session.h"

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

wd_status wd_scenario_add_data(wd_scenario *s, const char *path)
{
    char *copy = wd_xstrdup(path);
    if (!copy)
        return WD_E_NOMEM;
    return scn_push_data(s, copy) ? WD_OK : WD_E_NOMEM;
}

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

static void set_error(wd_diags *d, const scn_set *e, const char *fmt, const char *extra)
{
    wd_diag_add(d, WD_ERROR, (wd_loc){e->src.file, e->src.line, 0}, NULL, fmt, e->var, extra);
}

/* Whether every element a set entry covers is defined by numbers: then the
 * run overrides it directly, else its equation becomes an input. */
bool session_is_plain_constant(const wd_model *m, int var, size_t flat)
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

bool session_check_set(const wd_model *m, const scn_set *e, wd_diags *diags, bool *is_input)
{
    int var;
    size_t flat;
    *is_input = false;
    if (!model_find(m, e->var, &var, &flat)) {
        wd_buf b = {0};
        model_suggest(m, e->var, &b, 3);
        if (b.n) {
            wd_buf msg = {0};
            wd_buf_printf(&msg, " (did you mean %s?)", wd_buf_str(&b));
            set_error(diags, e, "set: unknown variable '%s'%s", wd_buf_str(&msg));
            wd_buf_free(&msg);
        } else {
            set_error(diags, e, "set: unknown variable '%s'%s", "");
        }
        wd_buf_free(&b);
        return false;
    }
    var_kind k = m->vars.v[var].kind;
    if (k == VK_STOCK || k == VK_LOOKUP) {
        set_error(diags, e, "set: '%s' is a %s; set the constant it is computed from instead",
                  k == VK_STOCK ? "stock" : "lookup");
        return false;
    }
    *is_input = e->is_series || !session_is_plain_constant(m, var, flat);
    return true;
}

wd_status session_compile(const wd_scenario *s, const wd_model *m, const char *const *extra, size_t nextra,
                          wd_engine engine, wd_diags *diags, wd_program **program)
{
    *program = NULL;
    VEC(const char *) inputs = {0};
    bool bad = false;
    for (size_t i = 0; i < s->nsets; i++) {
        bool is_input;
        if (!session_check_set(m, &s->sets[i], diags, &is_input)) {
            bad = true;
            continue;
        }
        if (is_input && !VEC_PUSH(inputs, s->sets[i].var)) {
            VEC_FREE(inputs);
            return WD_E_NOMEM;
        }
    }
    for (size_t i = 0; i < nextra; i++) {
        /* A name the scenario already made an input (a calibration parameter
         * that a layer also sets) is one input, not two: a second input of
         * the same element would never be given a value. */
        int var, v2;
        size_t flat, f2;
        bool dup = false;
        if (model_find(m, extra[i], &var, &flat))
            for (size_t j = 0; j < inputs.n && !dup; j++)
                dup = model_find(m, inputs.v[j], &v2, &f2) && v2 == var && f2 == flat;
        if (!dup && !VEC_PUSH(inputs, extra[i])) {
            VEC_FREE(inputs);
            return WD_E_NOMEM;
        }
    }
    if (bad) {
        VEC_FREE(inputs);
        return WD_E_ARG;
    }
    wd_compile_opts co = {inputs.v, inputs.n, engine};
    wd_status st = wd_program_compile(m, &co, diags, program);
    VEC_FREE(inputs);
    return st;
}

wd_status session_apply_set_list(wd_run *run, const scn_set *sets, size_t n, wd_diags *diags)
{
    wd_status st = WD_OK;
    for (size_t i = 0; i < n && st == WD_OK; i++) {
        const scn_set *e = &sets[i];
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

wd_status session_apply_sets(const wd_scenario *s, wd_run *run, wd_diags *diags)
{
    return session_apply_set_list(run, s->sets, s->nsets, diags);
}

wd_status session_new_run(const wd_scenario *s, const wd_program *p, wd_diags *diags, wd_run **run)
{
    wd_status st = wd_run_new(p, run);
    if (st != WD_OK)
        return st;
    return session_apply_sets(s, *run, diags);
}

void session_run_opts(const wd_scenario *s, wd_run_opts *opts)
{
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
}

wd_status session_load_model(const wd_scenario *s, wd_diags *diags, wd_model **model)
{
    *model = NULL;
    if (!s->model) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){s->path, 0, 0}, NULL,
                    "no model: set `model = \"path/to/model.mdl\";` in the scenario or a layer it extends");
        return WD_E_ARG;
    }
    wd_load_opts lo = {(const char *const *)s->data, s->ndata};
    return wd_model_load_opts(s->model, &lo, diags, model);
}

wd_status wd_scenario_prepare(const wd_scenario *s, wd_diags *diags, wd_model **model, wd_program **program,
                              wd_run **run, wd_run_opts *opts)
{
    *model = NULL;
    *program = NULL;
    *run = NULL;
    wd_status st = session_load_model(s, diags, model);
    if (st != WD_OK)
        return st;
    st = session_compile(s, *model, NULL, 0, opts ? opts->engine : WD_ENGINE_AUTO, diags, program);
    if (st != WD_OK)
        return st;
    st = session_new_run(s, *program, diags, run);
    if (st != WD_OK)
        return st;
    session_run_opts(s, opts);
    return WD_OK;
}

/* An extra name (a sweep parameter) must be a variable the run can set:
 * reported at its source otherwise. Plain constants are overridden per run;
 * anything else becomes a compile-time input. */
typedef VEC(const char *) name_vec;

static bool add_extra(const wd_model *m, const char *name, scn_src src, name_vec *inputs,
                      wd_diags *diags, bool *nomem)
{
    int var;
    size_t flat;
    wd_loc at = {src.file, src.line, 0};
    if (!model_find(m, name, &var, &flat)) {
        wd_buf b = {0};
        model_suggest(m, name, &b, 3);
        wd_diag_add(diags, WD_ERROR, at, NULL, "sweep param: unknown variable '%s'%s%s%s", name,
                    b.n ? " (did you mean " : "", wd_buf_str(&b), b.n ? "?)" : "");
        wd_buf_free(&b);
        return false;
    }
    var_kind k = m->vars.v[var].kind;
    if (k == VK_STOCK || k == VK_LOOKUP) {
        wd_diag_add(diags, WD_ERROR, at, NULL, "sweep param: '%s' is a %s; set the constant it is computed from instead",
                    name, k == VK_STOCK ? "stock" : "lookup");
        return false;
    }
    if (!session_is_plain_constant(m, var, flat) && !VEC_PUSH(*inputs, name))
        *nomem = true;
    return true;
}

wd_status session_prepare(const wd_scenario *s, const char *const *extra, const scn_src *extra_src, size_t nextra,
                          wd_diags *diags, wd_model **model, wd_program **program, wd_run **run, wd_run_opts *opts)
{
    *model = NULL;
    *program = NULL;
    *run = NULL;
    wd_status st = session_load_model(s, diags, model);
    if (st != WD_OK)
        return st;
    name_vec inputs = {0};
    bool bad = false, nomem = false;
    for (size_t i = 0; i < nextra; i++)
        bad |= !add_extra(*model, extra[i], extra_src[i], &inputs, diags, &nomem);
    if (nomem || bad) {
        VEC_FREE(inputs);
        return nomem ? WD_E_NOMEM : WD_E_ARG;
    }
    st = session_compile(s, *model, inputs.v, inputs.n, opts ? opts->engine : WD_ENGINE_AUTO, diags, program);
    VEC_FREE(inputs);
    if (st != WD_OK)
        return st;
    st = session_new_run(s, *program, diags, run);
    if (st != WD_OK)
        return st;
    if (opts)
        session_run_opts(s, opts);
    return WD_OK;
}
