/* scenario_sweep.c: the sweep = { ... } group of a scenario file -> scn_sweep
 * (see scenario.h, docs/sweeps.md).
 *
 * Pipeline: part of reading a scenario file. scenario.c loads the files and
 * their layers and calls scn_apply_sweep for the sweep group of each layer,
 * in the order the layers are applied (field by field; the params, metrics
 * and store lists each as a whole). Checked here: names, types and each
 * entry on its own; what needs the model or the merged layers is checked by
 * sweep.c, at the lines kept here. The loader's state and helpers come from
 * scenario_internal.h.
 */
#include "scenario_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- sweep = { ... } ------------------------------------------------------------------ */

const char *const scn_sweep_names[] = {"design", "samples", "seed",   "levels", "resamples",
                                       "confidence", "params", "metrics", "store", NULL};
static const char *const sweep_param_names[] = {"var", "dist", "min",    "max",     "mode",   "mean",
                                          "sd",  "mu",   "sigma",  "values",  "weights", "levels",
                                          NULL};
static const char *const metric_names[] = {"name", "var", "reduce", "at", NULL};

/* Indexed by scn_design, scn_dist and scn_reduce (scenario.h). */
const char *const scn_design_names[] = {"grid", "random", "lhs", "sobol", "saltelli", "morris", NULL};
const char *const scn_dist_names[] = {"uniform", "normal", "lognormal", "triangular", "discrete", NULL};
const char *const scn_reduce_names[] = {"final", "max", "min", "mean", "integral", "at", NULL};

static void param_clear(scn_sweep_param *p)
{
    wd_xfree(p->var);
    wd_xfree(p->values);
    wd_xfree(p->weights);
    memset(p, 0, sizeof *p);
}

static void metric_clear(scn_metric *m)
{
    wd_xfree(m->name);
    wd_xfree(m->var);
    memset(m, 0, sizeof *m);
}

void scn_sweep_free_params(scn_sweep *w)
{
    for (size_t i = 0; i < w->nparams; i++)
        param_clear(&w->params[i]);
    wd_xfree(w->params);
    w->params = NULL;
    w->nparams = 0;
}

void scn_sweep_free_metrics(scn_sweep *w)
{
    for (size_t i = 0; i < w->nmetrics; i++)
        metric_clear(&w->metrics[i]);
    wd_xfree(w->metrics);
    w->metrics = NULL;
    w->nmetrics = 0;
}

void scn_sweep_free_store(scn_sweep *w)
{
    for (size_t i = 0; i < w->nstore; i++)
        wd_xfree(w->store[i].var);
    wd_xfree(w->store);
    w->store = NULL;
    w->nstore = 0;
}

/* A whole number in [lo, hi], written as an integer or as a float with no
 * fraction. */
static bool get_count(layer *ly, const config_setting_t *cs, const char *pre, const char *what,
                      double lo, double hi, unsigned long *out)
{
    double v;
    if (!scn_get_number(ly, cs, pre, what, &v))
        return false;
    if (v != floor(v) || v < lo || v > hi) {
        scn_err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be a whole number from %.0f to %.0f, found %.15g",
                   pre, what, lo, hi, v);
        return false;
    }
    *out = (unsigned long)v;
    return true;
}

/* A variable name as in set entries (scn_set_key's syntax): a heap copy, or NULL
 * (reported). */
static char *get_var(layer *ly, const config_setting_t *cs, const char *pre, const char *what)
{
    const char *v = scn_get_string(ly, cs, pre, what);
    if (!v)
        return NULL;
    char *key = NULL;
    int kr = scn_set_key(v, &key);
    wd_xfree(key);
    if (kr == KEY_NOMEM) {
        scn_nomem(ly->L);
        return NULL;
    }
    if (kr == KEY_BAD) {
        scn_err_at(ly, cs, WD_E_SEMANTIC, "%smalformed variable name '%.200s' (expected NAME or NAME[ELEMENT,...])",
                   pre, v);
        return NULL;
    }
    char *c = wd_xstrdup(v);
    if (!c)
        scn_nomem(ly->L);
    return c;
}

/* An array or list of numbers; *n = 0 for an empty one. Heap array or NULL. */
static double *get_numbers(layer *ly, const config_setting_t *cs, const char *pre, const char *what,
                           size_t *n, bool *ok)
{
    *n = 0;
    int t = config_setting_type(cs);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
        scn_err_at(ly, cs, WD_E_SEMANTIC, "%s%s must be an array of numbers [1.0, 2.0, ...], found %s", pre, what,
                   scn_type_desc(cs));
        *ok = false;
        return NULL;
    }
    int len = config_setting_length(cs);
    if (len == 0)
        return NULL;
    double *v = wd_xmalloc((size_t)len * sizeof *v);
    if (!v) {
        scn_nomem(ly->L);
        *ok = false;
        return NULL;
    }
    for (int i = 0; i < len; i++) {
        char w[64];
        snprintf(w, sizeof w, "%s element %d", what, i + 1);
        if (!scn_get_number(ly, config_setting_get_elem(cs, (unsigned)i), pre, w, &v[i]))
            *ok = false;
    }
    *n = (size_t)len;
    return v;
}

/* Which numbers each distribution takes (bit i = sweep_param_names[i]); the rest
 * is refused so that a number meant for another distribution is not ignored
 * silently. */
enum { PN_VAR, PN_DIST, PN_MIN, PN_MAX, PN_MODE, PN_MEAN, PN_SD, PN_MU, PN_SIGMA, PN_VALUES,
       PN_WEIGHTS, PN_LEVELS };
#define PB(x) (1u << (x))
static const unsigned dist_allows[] = {
    [SCN_UNIFORM] = PB(PN_MIN) | PB(PN_MAX),
    [SCN_NORMAL] = PB(PN_MEAN) | PB(PN_SD) | PB(PN_MIN) | PB(PN_MAX),
    [SCN_LOGNORMAL] = PB(PN_MU) | PB(PN_SIGMA) | PB(PN_MIN) | PB(PN_MAX),
    [SCN_TRIANGULAR] = PB(PN_MIN) | PB(PN_MODE) | PB(PN_MAX),
    [SCN_DISCRETE] = PB(PN_VALUES) | PB(PN_WEIGHTS),
};
static const unsigned dist_needs[] = {
    [SCN_UNIFORM] = PB(PN_MIN) | PB(PN_MAX),
    [SCN_NORMAL] = PB(PN_MEAN) | PB(PN_SD),
    [SCN_LOGNORMAL] = PB(PN_MU) | PB(PN_SIGMA),
    [SCN_TRIANGULAR] = PB(PN_MIN) | PB(PN_MODE) | PB(PN_MAX),
    [SCN_DISCRETE] = PB(PN_VALUES),
};
static const char *const dist_example[] = {
    [SCN_UNIFORM] = "{ var = \"x\"; min = 0.1; max = 0.5; }",
    [SCN_NORMAL] = "{ var = \"x\"; dist = \"normal\"; mean = 1.0; sd = 0.2; }",
    [SCN_LOGNORMAL] = "{ var = \"x\"; dist = \"lognormal\"; mu = 0.0; sigma = 0.5; }",
    [SCN_TRIANGULAR] = "{ var = \"x\"; dist = \"triangular\"; min = 0; mode = 1; max = 3; }",
    [SCN_DISCRETE] = "{ var = \"x\"; dist = \"discrete\"; values = [1.0, 2.0, 5.0]; }",
};

/* One entry of sweep.params. Returns false (reported) when it is unusable. */
static bool parse_param(layer *ly, const config_setting_t *g, int index, scn_sweep_param *out)
{
    memset(out, 0, sizeof *out);
    out->min = out->max = out->mode = out->mean = out->sd = out->mu = out->sigma = NAN;
    char pre[256];
    snprintf(pre, sizeof pre, "sweep.params entry %d: ", index);
    if (!config_setting_is_group(g)) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%smust be a group %s, found %s", pre, dist_example[SCN_UNIFORM],
                   scn_type_desc(g));
        return false;
    }
    bool ok = true;
    const config_setting_t *var = config_setting_get_member(g, "var");
    if (!var) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model variable to vary, a string)", pre);
        ok = false;
    } else if (!(out->var = get_var(ly, var, pre, "var"))) {
        ok = false;
    } else {
        snprintf(pre, sizeof pre, "sweep param '%.200s': ", out->var);
        out->src = scn_src_of(ly, var);
    }
    if (!var)
        out->src = scn_src_of(ly, g);
    unsigned given = 0;
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        int k = scn_name_index(sweep_param_names, config_setting_name(m));
        if (k < 0) {
            scn_report_unknown(ly, m, pre, NULL, sweep_param_names, false);
            ok = false;
        } else {
            given |= PB(k);
        }
    }
    const config_setting_t *dist = config_setting_get_member(g, "dist");
    out->dist = (given & PB(PN_VALUES)) ? SCN_DISCRETE : SCN_UNIFORM;
    if (dist) {
        const char *ds = scn_get_string(ly, dist, pre, "dist");
        int k = ds ? scn_name_index_ci(scn_dist_names, ds) : -1;
        if (ds && k < 0) {
            char all[200];
            scn_list_text(all, sizeof all, scn_dist_names);
            scn_err_at(ly, dist, WD_E_SEMANTIC, "%sunknown dist '%.100s'; known: %s", pre, ds, all);
        }
        if (k < 0)
            goto fail;
        out->dist = (scn_dist)k;
    }
    const char *dn = scn_dist_names[out->dist];
    for (int k = PN_MIN; k <= PN_WEIGHTS; k++) {
        const config_setting_t *m = config_setting_get_member(g, sweep_param_names[k]);
        if ((given & PB(k)) && !(dist_allows[out->dist] & PB(k))) {
            scn_err_at(ly, m, WD_E_SEMANTIC, "%s%s is not a setting of dist \"%s\" (example: %s)", pre, sweep_param_names[k],
                       dn, dist_example[out->dist]);
            ok = false;
        } else if (!(given & PB(k)) && (dist_needs[out->dist] & PB(k))) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%sdist \"%s\" needs %s (example: %s)", pre, dn, sweep_param_names[k],
                       dist_example[out->dist]);
            ok = false;
        }
    }
    double *const num[] = {[PN_MIN] = &out->min,   [PN_MAX] = &out->max, [PN_MODE] = &out->mode,
                           [PN_MEAN] = &out->mean, [PN_SD] = &out->sd,   [PN_MU] = &out->mu,
                           [PN_SIGMA] = &out->sigma};
    for (int k = PN_MIN; k <= PN_SIGMA; k++) {
        const config_setting_t *m = config_setting_get_member(g, sweep_param_names[k]);
        if (m && (dist_allows[out->dist] & PB(k)) && !scn_get_number(ly, m, pre, sweep_param_names[k], num[k]))
            ok = false;
    }
    const config_setting_t *levels = config_setting_get_member(g, "levels");
    unsigned long lv = 0;
    if (levels) {
        if (get_count(ly, levels, pre, "levels", 1, 1e6, &lv))
            out->levels = (unsigned)lv;
        else
            ok = false;
    }
    if (!ok)
        goto fail;
    /* The numbers of one distribution against each other. */
    const config_setting_t *at = g;
    bool has_min = !isnan(out->min), has_max = !isnan(out->max);
    if (has_min && has_max && !(out->min < out->max)) {
        scn_err_at(ly, at, WD_E_SEMANTIC, "%smin = %.15g must be less than max = %.15g", pre, out->min, out->max);
        ok = false;
    }
    switch (out->dist) {
    case SCN_TRIANGULAR:
        if (ok && !(out->mode >= out->min && out->mode <= out->max)) {
            scn_err_at(ly, at, WD_E_SEMANTIC, "%smode = %.15g must lie within [min, max] = [%.15g, %.15g]", pre,
                       out->mode, out->min, out->max);
            ok = false;
        }
        break;
    case SCN_NORMAL:
        if (!(out->sd > 0)) {
            scn_err_at(ly, at, WD_E_SEMANTIC, "%ssd must be > 0, found %.15g", pre, out->sd);
            ok = false;
        }
        break;
    case SCN_LOGNORMAL:
        if (!(out->sigma > 0)) {
            scn_err_at(ly, at, WD_E_SEMANTIC, "%ssigma must be > 0, found %.15g", pre, out->sigma);
            ok = false;
        }
        if (has_min && out->min < 0) {
            scn_err_at(ly, at, WD_E_SEMANTIC, "%smin = %.15g: a lognormal value is never negative", pre, out->min);
            ok = false;
        }
        break;
    case SCN_DISCRETE: {
        const config_setting_t *vs = config_setting_get_member(g, "values");
        out->values = get_numbers(ly, vs, pre, "values", &out->nvalues, &ok);
        if (ok && out->nvalues == 0) {
            scn_err_at(ly, vs, WD_E_SEMANTIC, "%svalues is empty; give at least one value", pre);
            ok = false;
        }
        const config_setting_t *ws = config_setting_get_member(g, "weights");
        if (ws && ok) {
            size_t nw = 0;
            out->weights = get_numbers(ly, ws, pre, "weights", &nw, &ok);
            double sum = 0;
            for (size_t i = 0; ok && i < nw; i++) {
                if (!(out->weights[i] >= 0)) {
                    scn_err_at(ly, ws, WD_E_SEMANTIC, "%sweight %zu is %.15g; weights must be >= 0", pre, i + 1,
                               out->weights[i]);
                    ok = false;
                }
                sum += out->weights[i];
            }
            if (ok && nw != out->nvalues) {
                scn_err_at(ly, ws, WD_E_SEMANTIC, "%s%zu weights for %zu values; give one weight per value", pre, nw,
                           out->nvalues);
                ok = false;
            } else if (ok && !(sum > 0)) {
                scn_err_at(ly, ws, WD_E_SEMANTIC, "%sthe weights add up to 0", pre);
                ok = false;
            }
        }
        break;
    }
    default:
        break;
    }
    if (ok)
        return true;
fail:
    param_clear(out);
    return false;
}

static bool parse_metric(layer *ly, const config_setting_t *g, int index, scn_metric *out)
{
    memset(out, 0, sizeof *out);
    out->at = NAN;
    char pre[256];
    snprintf(pre, sizeof pre, "sweep.metrics entry %d: ", index);
    if (!config_setting_is_group(g)) {
        scn_err_at(ly, g, WD_E_SEMANTIC,
                   "%smust be a group { name = \"jobs_2040\"; var = \"jobs\"; at = 2040.0; }, found %s", pre,
                   scn_type_desc(g));
        return false;
    }
    out->src = scn_src_of(ly, g);
    bool ok = true;
    const config_setting_t *name = config_setting_get_member(g, "name");
    if (!name) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing name (the name of the result, e.g. name = \"jobs_2040\";)", pre);
        ok = false;
    } else {
        const char *v = scn_get_string(ly, name, pre, "name");
        if (!v) {
            ok = false;
        } else if (strchr(v, '/')) {
            scn_err_at(ly, name, WD_E_SEMANTIC, "%sname '%.200s' must not contain '/'", pre, v);
            ok = false;
        } else if (!(out->name = wd_xstrdup(v))) {
            scn_nomem(ly->L);
            return false;
        } else {
            snprintf(pre, sizeof pre, "sweep metric '%.200s': ", v);
            out->src = scn_src_of(ly, name);
        }
    }
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        if (scn_name_index(metric_names, config_setting_name(m)) < 0) {
            scn_report_unknown(ly, m, pre, NULL, metric_names, false);
            ok = false;
        }
    }
    const config_setting_t *var = config_setting_get_member(g, "var");
    if (!var) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model variable it is computed from)", pre);
        ok = false;
    } else if (!(out->var = get_var(ly, var, pre, "var"))) {
        ok = false;
    }
    const config_setting_t *at = config_setting_get_member(g, "at");
    const config_setting_t *reduce = config_setting_get_member(g, "reduce");
    out->reduce = at ? SCN_AT : SCN_FINAL;
    if (reduce) {
        const char *rs = scn_get_string(ly, reduce, pre, "reduce");
        int k = rs ? scn_name_index_ci(scn_reduce_names, rs) : -1;
        if (rs && k < 0) {
            char all[200];
            scn_list_text(all, sizeof all, scn_reduce_names);
            scn_err_at(ly, reduce, WD_E_SEMANTIC, "%sunknown reduce '%.100s'; known: %s", pre, rs, all);
        }
        if (k < 0)
            ok = false;
        else
            out->reduce = (scn_reduce)k;
    }
    if (at && !scn_get_number(ly, at, pre, "at", &out->at))
        ok = false;
    if (ok && at && out->reduce != SCN_AT) {
        scn_err_at(ly, at, WD_E_SEMANTIC, "%sat = %.15g goes with reduce = \"at\", not \"%s\"", pre, out->at,
                   scn_reduce_names[out->reduce]);
        ok = false;
    }
    if (ok && !at && out->reduce == SCN_AT) {
        scn_err_at(ly, reduce, WD_E_SEMANTIC, "%sreduce = \"at\" needs the time: at = 2040.0;", pre);
        ok = false;
    }
    if (ok)
        return true;
    metric_clear(out);
    return false;
}

/* A list of groups: its length, or -1 (reported). An empty array [] or
 * list () is an empty list. */
static int group_list_length(layer *ly, const config_setting_t *cs, const char *what, const char *example)
{
    int t = config_setting_type(cs);
    if ((t == CONFIG_TYPE_ARRAY && config_setting_length(cs) == 0) || t == CONFIG_TYPE_LIST)
        return config_setting_length(cs);
    scn_err_at(ly, cs, WD_E_SEMANTIC, "%s must be a list of groups ( %s, ... ), found %s", what, example,
               scn_type_desc(cs));
    return -1;
}

static void apply_sweep_params(layer *ly, const config_setting_t *list)
{
    scn_sweep *w = &ly->L->s->sweep;
    int n = group_list_length(ly, list, "sweep.params", dist_example[SCN_UNIFORM]);
    if (n < 0)
        return;
    scn_sweep_param *ps = n ? wd_xcalloc((size_t)n, sizeof *ps) : NULL;
    if (n && !ps) {
        scn_nomem(ly->L);
        return;
    }
    bool ok = true;
    size_t np = 0;
    wd_map *seen = wd_map_new();
    if (!seen) {
        wd_xfree(ps);
        scn_nomem(ly->L);
        return;
    }
    for (int i = 0; i < n && !scn_oom(ly->L); i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (!parse_param(ly, g, i + 1, &ps[np])) {
            ok = false;
            continue;
        }
        char *key = NULL;
        size_t first;
        if (scn_set_key(ps[np].var, &key) != KEY_OK) {
            scn_nomem(ly->L);
        } else if (wd_map_get(seen, key, &first)) {
            scn_err_at(ly, config_setting_get_member(g, "var"), WD_E_SEMANTIC,
                       "sweep param '%.200s' is listed twice (first at line %zu)", ps[np].var, first);
            ok = false;
        } else if (!wd_map_put(seen, key, (size_t)ps[np].src.line)) {
            scn_nomem(ly->L);
        }
        wd_xfree(key);
        np++;
    }
    wd_map_free(seen);
    if (!ok || scn_oom(ly->L)) {
        for (size_t i = 0; i < np; i++)
            param_clear(&ps[i]);
        wd_xfree(ps);
        return;
    }
    scn_sweep_free_params(w);
    w->params = ps;
    w->nparams = np;
    w->params_src = scn_src_of(ly, list);
}

static void apply_sweep_metrics(layer *ly, const config_setting_t *list)
{
    scn_sweep *w = &ly->L->s->sweep;
    int n = group_list_length(ly, list, "sweep.metrics", "{ name = \"jobs_2040\"; var = \"jobs\"; at = 2040.0; }");
    if (n < 0)
        return;
    scn_metric *ms = n ? wd_xcalloc((size_t)n, sizeof *ms) : NULL;
    if (n && !ms) {
        scn_nomem(ly->L);
        return;
    }
    bool ok = true;
    size_t nm = 0;
    for (int i = 0; i < n && !scn_oom(ly->L); i++) {
        if (!parse_metric(ly, config_setting_get_elem(list, (unsigned)i), i + 1, &ms[nm])) {
            ok = false;
            continue;
        }
        for (size_t j = 0; j < nm; j++)
            if (strcmp(ms[j].name, ms[nm].name) == 0) {
                scn_err_line(ly, ms[nm].src.line, WD_E_SEMANTIC,
                             "sweep metric '%.200s' is defined twice (first at line %d)", ms[nm].name, ms[j].src.line);
                ok = false;
                break;
            }
        nm++;
    }
    if (!ok || scn_oom(ly->L)) {
        for (size_t i = 0; i < nm; i++)
            metric_clear(&ms[i]);
        wd_xfree(ms);
        return;
    }
    scn_sweep_free_metrics(w);
    w->metrics = ms;
    w->nmetrics = nm;
}

static void apply_sweep_store(layer *ly, const config_setting_t *cs)
{
    scn_sweep *w = &ly->L->s->sweep;
    int t = config_setting_type(cs);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
        scn_err_at(ly, cs, WD_E_SEMANTIC, "sweep.store must be a list of variable names [\"...\", ...], found %s",
                   scn_type_desc(cs));
        return;
    }
    int n = config_setting_length(cs);
    scn_store *st = n ? wd_xcalloc((size_t)n, sizeof *st) : NULL;
    if (n && !st) {
        scn_nomem(ly->L);
        return;
    }
    bool ok = true;
    size_t ns = 0;
    for (int i = 0; i < n && !scn_oom(ly->L); i++) {
        const config_setting_t *e = config_setting_get_elem(cs, (unsigned)i);
        char what[40];
        snprintf(what, sizeof what, "sweep.store element %d", i + 1);
        char *v = get_var(ly, e, "", what);
        if (!v) {
            ok = false;
            continue;
        }
        for (size_t j = 0; j < ns; j++) {
            char *k1 = NULL, *k2 = NULL;
            if (scn_set_key(v, &k1) == KEY_OK && scn_set_key(st[j].var, &k2) == KEY_OK && strcmp(k1, k2) == 0) {
                scn_err_at(ly, e, WD_E_SEMANTIC, "sweep.store lists '%.200s' twice", v);
                ok = false;
            }
            wd_xfree(k1);
            wd_xfree(k2);
        }
        st[ns].var = v;
        st[ns].src = scn_src_of(ly, e);
        ns++;
    }
    if (!ok || scn_oom(ly->L)) {
        for (size_t i = 0; i < ns; i++)
            wd_xfree(st[i].var);
        wd_xfree(st);
        return;
    }
    scn_sweep_free_store(w);
    w->store = st;
    w->nstore = ns;
}

/* sweep = { design; samples; seed; levels; resamples; confidence; params;
 * metrics; store; }: field by field over the layers, each list as a whole. */
void scn_apply_sweep(layer *ly, const config_setting_t *g)
{
    loader *L = ly->L;
    scn_sweep *w = &L->s->sweep;
    if (!scn_want_group(ly, g, "sweep", "{ design = \"lhs\"; samples = 100; params = (...); metrics = (...); }"))
        return;
    w->present = true;
    w->src = scn_src_of(ly, g);
    int n = config_setting_length(g);
    for (int i = 0; i < n && !scn_oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        unsigned long v;
        double x;
        switch (scn_name_index(scn_sweep_names, nm)) {
        case 0: { /* design */
            const char *ds = scn_get_string(ly, m, "", "sweep.design");
            int k = ds ? scn_name_index_ci(scn_design_names, ds) : -1;
            if (ds && k < 0) {
                char all[200];
                scn_list_text(all, sizeof all, scn_design_names);
                scn_err_at(ly, m, WD_E_SEMANTIC, "unknown sweep.design '%.100s'; known: %s", ds, all);
            }
            if (k >= 0) {
                w->design = (scn_design)k;
                w->has_design = true;
                w->design_src = scn_src_of(ly, m);
            }
            break;
        }
        case 1: /* samples */
            if (get_count(ly, m, "", "sweep.samples", 1, 1e9, &v)) {
                w->samples = v;
                w->samples_src = scn_src_of(ly, m);
            }
            break;
        case 2: /* seed */
            if (scn_get_seed(ly, m, "sweep.seed", &v)) {
                w->seed = v;
                w->has_seed = true;
            }
            break;
        case 3: /* levels */
            if (get_count(ly, m, "", "sweep.levels", 2, 1e6, &v)) {
                w->levels = (unsigned)v;
                w->levels_src = scn_src_of(ly, m);
            }
            break;
        case 4: /* resamples */
            if (get_count(ly, m, "", "sweep.resamples", 0, 1e6, &v))
                w->resamples = (long)v;
            break;
        case 5: /* confidence */
            if (scn_get_number(ly, m, "", "sweep.confidence", &x)) {
                if (x > 0 && x < 1)
                    w->confidence = x;
                else
                    scn_err_at(ly, m, WD_E_SEMANTIC, "sweep.confidence must lie strictly between 0 and 1, found %.15g",
                               x);
            }
            break;
        case 6: apply_sweep_params(ly, m); break;
        case 7: apply_sweep_metrics(ly, m); break;
        case 8: apply_sweep_store(ly, m); break;
        default: scn_report_unknown(ly, m, "", "sweep", scn_sweep_names, false); break;
        }
    }
}
