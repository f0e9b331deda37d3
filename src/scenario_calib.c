/* scenario_calib.c: the calibrate group of a scenario file -> scn_calib (see
 * scenario.h, docs/calibration.md).
 *
 * Pipeline: part of reading a scenario file. scenario.c loads the files and
 * their layers and calls scn_apply_calibrate for the calibrate group of each
 * layer (the merge rules are in scenario.c's header comment); once the model
 * is loaded, calib_data.c reads the data files named here and calib.c fits
 * the parameters. The loader's state and helpers come from
 * scenario_internal.h.
 */
#include "scenario_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- calibrate ----------------------------------------------------------------------------- */

static const char *const calib_names[] = {"params", "data", "defaults", "starts",
                                          "seed",   "iterations", "fd_step", NULL};
static const char *const param_names[] = {"var", "min", "max", "start", NULL};
static const char *const data_names[] = {"file",  "format", "time",   "value",  "column",
                                         "match", "var",    "name",   "weight", "scale",
                                         "factor", "time_offset", "from", "to", NULL};
static const char *const data_format_names[] = {"long", "wide", NULL};

static void match_clear(scn_match *m)
{
    wd_xfree(m->column);
    for (size_t i = 0; i < m->nvalues; i++)
        wd_xfree(m->values[i]);
    wd_xfree(m->values);
    memset(m, 0, sizeof *m);
}

static void data_clear(scn_data *d)
{
    wd_xfree(d->file);
    wd_xfree(d->time_col);
    wd_xfree(d->value_col);
    wd_xfree(d->column);
    for (size_t i = 0; i < d->nmatch; i++)
        match_clear(&d->match[i]);
    wd_xfree(d->match);
    wd_xfree(d->var);
    wd_xfree(d->label);
    memset(d, 0, sizeof *d);
}

void scn_calib_free(scn_calib *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nparams; i++)
        wd_xfree(c->params[i].var);
    wd_xfree(c->params);
    for (size_t i = 0; i < c->ndata; i++)
        data_clear(&c->data[i]);
    wd_xfree(c->data);
    wd_xfree(c);
}

/* A deep copy of src into dst (for defaults); false when out of memory. */
static bool data_copy(scn_data *dst, const scn_data *src)
{
    *dst = *src;
    dst->file = dst->time_col = dst->value_col = dst->column = dst->var = dst->label = NULL;
    dst->match = NULL;
    dst->nmatch = 0;
#define DUP(f)                                            \
    if (src->f && !(dst->f = wd_xstrdup(src->f))) {       \
        data_clear(dst);                                  \
        return false;                                     \
    }
    DUP(file) DUP(time_col) DUP(value_col) DUP(column) DUP(var) DUP(label)
#undef DUP
    if (src->nmatch) {
        dst->match = wd_xcalloc(src->nmatch, sizeof *dst->match);
        if (!dst->match) {
            data_clear(dst);
            return false;
        }
        dst->nmatch = src->nmatch;
        for (size_t i = 0; i < src->nmatch; i++) {
            scn_match *m = &dst->match[i];
            const scn_match *s = &src->match[i];
            if (!(m->column = wd_xstrdup(s->column)) ||
                !(m->values = wd_xcalloc(s->nvalues + 1, sizeof *m->values))) {
                data_clear(dst);
                return false;
            }
            for (size_t k = 0; k < s->nvalues; k++) {
                if (!(m->values[k] = wd_xstrdup(s->values[k]))) {
                    data_clear(dst);
                    return false;
                }
                m->nvalues++;
            }
        }
    }
    return true;
}

/* A string setting into *field (replacing what defaults put there). */
static bool data_str(layer *ly, const config_setting_t *m, const char *pre, const char *what,
                     char **field)
{
    const char *v = scn_get_string(ly, m, pre, what);
    if (!v)
        return false;
    scn_replace_str(ly->L, field, v);
    return !scn_oom(ly->L);
}

/* match = { column = "v"; column = ["a", "b"]; }: merged into d's match
 * (a column given again replaces its values). */
static bool parse_match(layer *ly, const config_setting_t *g, const char *pre, scn_data *d)
{
    if (!scn_want_group(ly, g, "match", "{ column = \"value\"; ... }"))
        return false;
    bool ok = true;
    int n = config_setting_length(g);
    for (int i = 0; i < n && !scn_oom(ly->L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *col = config_setting_name(m);
        int t = config_setting_type(m);
        int nv = t == CONFIG_TYPE_STRING ? 1
                 : (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) ? config_setting_length(m)
                                                                     : -1;
        if (nv <= 0) {
            scn_err_at(ly, m, WD_E_SEMANTIC,
                       "%smatch.%s must be a string or a non-empty list of strings, found %s", pre,
                       col, scn_type_desc(m));
            ok = false;
            continue;
        }
        char **vals = wd_xcalloc((size_t)nv, sizeof *vals);
        if (!vals) {
            scn_nomem(ly->L);
            return false;
        }
        bool good = true;
        for (int k = 0; k < nv; k++) {
            const config_setting_t *e =
                t == CONFIG_TYPE_STRING ? m : config_setting_get_elem(m, (unsigned)k);
            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                scn_err_at(ly, e, WD_E_SEMANTIC, "%smatch.%s: values must be strings, found %s", pre,
                           col, scn_type_desc(e));
                good = false;
                break;
            }
            if (!(vals[k] = wd_xstrdup(config_setting_get_string(e)))) {
                scn_nomem(ly->L);
                good = false;
                break;
            }
        }
        size_t slot = d->nmatch;
        for (size_t k = 0; k < d->nmatch; k++)
            if (strcmp(d->match[k].column, col) == 0)
                slot = k;
        if (good && slot == d->nmatch) {
            scn_match *grown = wd_xrealloc(d->match, (d->nmatch + 1) * sizeof *grown);
            if (!grown) {
                scn_nomem(ly->L);
                good = false;
            } else {
                d->match = grown;
                memset(&d->match[d->nmatch++], 0, sizeof *grown);
                if (!(d->match[slot].column = wd_xstrdup(col))) {
                    scn_nomem(ly->L);
                    good = false;
                }
            }
        }
        if (!good) {
            for (int k = 0; k < nv; k++)
                wd_xfree(vals[k]);
            wd_xfree(vals);
            ok = false;
            continue;
        }
        scn_match *mm = &d->match[slot];
        for (size_t k = 0; k < mm->nvalues; k++)
            wd_xfree(mm->values[k]);
        wd_xfree(mm->values);
        mm->values = vals;
        mm->nvalues = (size_t)nv;
    }
    return ok;
}

/* The members of one data group (an entry, or defaults) applied onto d. */
static bool parse_data_members(layer *ly, const config_setting_t *g, const char *pre, scn_data *d)
{
    bool ok = true;
    int n = config_setting_length(g);
    for (int i = 0; i < n && !scn_oom(ly->L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        int k = scn_name_index(data_names, nm);
        double v;
        switch (k) {
        case 0: { /* file */
            const char *w = scn_get_string(ly, m, pre, "file");
            char *path = w ? scn_resolve_existing(ly, (int)config_setting_source_line(m), w, NULL) : NULL;
            if (!path) {
                ok = false;
                break;
            }
            wd_xfree(d->file);
            d->file = path;
            break;
        }
        case 1: { /* format */
            const char *w = scn_get_string(ly, m, pre, "format");
            int f = w ? scn_name_index_ci(data_format_names, w) : -1;
            if (w && f < 0)
                scn_err_at(ly, m, WD_E_SEMANTIC, "%sunknown format '%.100s'; known: long, wide", pre, w);
            if (f < 0)
                ok = false;
            else
                d->wide = f == 1;
            break;
        }
        case 2: ok = data_str(ly, m, pre, "time", &d->time_col) && ok; break;
        case 3: ok = data_str(ly, m, pre, "value", &d->value_col) && ok; break;
        case 4: ok = data_str(ly, m, pre, "column", &d->column) && ok; break;
        case 5: ok = parse_match(ly, m, pre, d) && ok; break;
        case 6: {
            char *key = NULL;
            const char *w = scn_get_string(ly, m, pre, "var");
            int kr = w ? scn_set_key(w, &key) : KEY_BAD;
            wd_xfree(key);
            if (kr == KEY_NOMEM) {
                scn_nomem(ly->L);
                return false;
            }
            if (w && kr == KEY_BAD)
                scn_err_at(ly, m, WD_E_SEMANTIC,
                           "%smalformed variable name '%.200s' (expected NAME or NAME[ELEMENT,...])", pre, w);
            if (kr != KEY_OK) {
                ok = false;
                break;
            }
            scn_replace_str(ly->L, &d->var, w);
            d->src = scn_src_of(ly, m);
            break;
        }
        case 7: ok = data_str(ly, m, pre, "name", &d->label) && ok; break;
        case 8:
            if (!scn_get_number(ly, m, pre, "weight", &v)) {
                ok = false;
            } else if (!(v > 0)) {
                scn_err_at(ly, m, WD_E_SEMANTIC, "%sweight must be > 0, found %.15g", pre, v);
                ok = false;
            } else {
                d->weight = v;
            }
            break;
        case 9: /* scale: "relative", "absolute", "pointwise" or a number > 0 */
            if (config_setting_type(m) == CONFIG_TYPE_STRING) {
                const char *w = config_setting_get_string(m);
                if (strcasecmp(w, "relative") == 0) {
                    d->scale = SCN_SCALE_RELATIVE;
                } else if (strcasecmp(w, "absolute") == 0) {
                    d->scale = SCN_SCALE_ABSOLUTE;
                } else if (strcasecmp(w, "pointwise") == 0) {
                    d->scale = SCN_SCALE_POINTWISE;
                } else {
                    scn_err_at(ly, m, WD_E_SEMANTIC,
                               "%sscale must be \"relative\", \"absolute\", \"pointwise\" or a number > 0, "
                               "found '%.100s'",
                               pre, w);
                    ok = false;
                }
            } else if (scn_get_number(ly, m, pre, "scale", &v)) {
                if (!(v > 0)) {
                    scn_err_at(ly, m, WD_E_SEMANTIC, "%sscale must be > 0, found %.15g", pre, v);
                    ok = false;
                } else {
                    d->scale = SCN_SCALE_NUMBER;
                    d->scale_value = v;
                }
            } else {
                ok = false;
            }
            break;
        case 10:
            if (!scn_get_number(ly, m, pre, "factor", &v)) {
                ok = false;
            } else if (v == 0) {
                scn_err_at(ly, m, WD_E_SEMANTIC, "%sfactor must not be 0", pre);
                ok = false;
            } else {
                d->factor = v;
            }
            break;
        case 11:
            if (scn_get_number(ly, m, pre, "time_offset", &v))
                d->time_offset = v;
            else
                ok = false;
            break;
        case 12:
        case 13:
            if (!scn_get_number(ly, m, pre, nm, &v))
                ok = false;
            else if (k == 12)
                d->from = v;
            else
                d->to = v;
            break;
        default:
            scn_report_unknown(ly, m, pre, NULL, data_names, false);
            ok = false;
            break;
        }
    }
    return ok && !scn_oom(ly->L);
}

/* data = ( {...}, ... ) with defaults applied; replaces the list. */
static void apply_calib_data(layer *ly, const config_setting_t *list, const config_setting_t *defs)
{
    loader *L = ly->L;
    scn_calib *c = L->s->calib;
    scn_data tmpl;
    memset(&tmpl, 0, sizeof tmpl);
    tmpl.weight = 1;
    tmpl.factor = 1;
    tmpl.from = -INFINITY;
    tmpl.to = INFINITY;
    bool ok = true;
    if (defs) {
        if (!scn_want_group(ly, defs, "calibrate.defaults", "{ file = \"...\"; format = \"long\"; ... }"))
            ok = false;
        else if (!parse_data_members(ly, defs, "calibrate.defaults: ", &tmpl))
            ok = false;
        if (tmpl.var) {
            scn_err_at(ly, defs, WD_E_SEMANTIC, "calibrate.defaults: var belongs in each data entry");
            ok = false;
        }
    }
    if (!list) {
        if (defs && ok)
            scn_warn_at(ly, defs, "calibrate.defaults has no data list in this file to apply to");
        data_clear(&tmpl);
        return;
    }
    int type = config_setting_type(list);
    int n = type == CONFIG_TYPE_LIST ? config_setting_length(list)
            : (type == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0) ? 0 : -1;
    if (n < 0) {
        scn_err_at(ly, list, WD_E_SEMANTIC,
                   "calibrate.data must be a list of entries ( { file = \"...\"; var = \"...\"; ... }, ... ), "
                   "found %s", scn_type_desc(list));
        data_clear(&tmpl);
        return;
    }
    if (n == 0) {
        scn_err_at(ly, list, WD_E_SEMANTIC, "calibrate.data is empty; give at least one series");
        data_clear(&tmpl);
        return;
    }
    scn_data *out = wd_xcalloc((size_t)n, sizeof *out);
    if (!out) {
        scn_nomem(L);
        data_clear(&tmpl);
        return;
    }
    int got = 0;
    for (int i = 0; i < n && !scn_oom(L); i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char pre[64];
        snprintf(pre, sizeof pre, "calibrate.data entry %d: ", i + 1);
        if (!config_setting_is_group(g)) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%smust be a group { file = \"...\"; var = \"...\"; }, found %s", pre,
                       scn_type_desc(g));
            ok = false;
            continue;
        }
        scn_data *d = &out[got];
        if (!data_copy(d, &tmpl)) {
            scn_nomem(L);
            break;
        }
        d->src = scn_src_of(ly, g);
        bool good = parse_data_members(ly, g, pre, d);
        if (good && !d->var) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model variable the data are compared with)", pre);
            good = false;
        }
        if (good && !d->file) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing file (a CSV file of observations)", pre);
            good = false;
        }
        if (good && d->wide && !d->column) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%sformat \"wide\" needs column = \"...\" (the column of this series)",
                       pre);
            good = false;
        }
        if (good && !d->wide && d->column) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%scolumn is for format \"wide\"; a long file uses value and match",
                       pre);
            good = false;
        }
        if (good && d->from > d->to) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%sfrom = %.15g is after to = %.15g", pre, d->from, d->to);
            good = false;
        }
        if (!good) {
            data_clear(d);
            ok = false;
            continue;
        }
        got++;
    }
    data_clear(&tmpl);
    if (!ok || scn_oom(L)) {
        for (int i = 0; i < got; i++)
            data_clear(&out[i]);
        wd_xfree(out);
        return;
    }
    for (size_t i = 0; i < c->ndata; i++)
        data_clear(&c->data[i]);
    wd_xfree(c->data);
    c->data = out;
    c->ndata = (size_t)got;
    c->data_src = scn_src_of(ly, list);
}

/* params = ( { var; min; max; start; }, ... ): merged by variable. */
static void apply_calib_params(layer *ly, const config_setting_t *list)
{
    loader *L = ly->L;
    scn_calib *c = L->s->calib;
    int type = config_setting_type(list);
    int n = type == CONFIG_TYPE_LIST ? config_setting_length(list)
            : (type == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0) ? 0 : -1;
    if (n < 0) {
        scn_err_at(ly, list, WD_E_SEMANTIC,
                   "calibrate.params must be a list ( { var = \"...\"; min = ...; max = ...; }, ... ), found %s",
                   scn_type_desc(list));
        return;
    }
    wd_map *seen = wd_map_new();
    if (!seen) {
        scn_nomem(L);
        return;
    }
    for (int i = 0; i < n && !scn_oom(L); i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char pre[256];
        snprintf(pre, sizeof pre, "calibrate.params entry %d: ", i + 1);
        if (!config_setting_is_group(g)) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%smust be a group { var = \"...\"; min = ...; max = ...; }, found %s",
                       pre, scn_type_desc(g));
            continue;
        }
        bool ok = true;
        const config_setting_t *var = config_setting_get_member(g, "var");
        const config_setting_t *mn = config_setting_get_member(g, "min");
        const config_setting_t *mx = config_setting_get_member(g, "max");
        const config_setting_t *st = config_setting_get_member(g, "start");
        const char *vs = NULL;
        char *key = NULL;
        if (!var) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model constant to fit)", pre);
            ok = false;
        } else if ((vs = scn_get_string(ly, var, pre, "var"))) {
            int kr = scn_set_key(vs, &key);
            if (kr == KEY_NOMEM) {
                scn_nomem(L);
                break;
            }
            if (kr == KEY_BAD) {
                scn_err_at(ly, var, WD_E_SEMANTIC,
                           "%smalformed variable name '%.200s' (expected NAME or NAME[ELEMENT,...])", pre, vs);
                ok = false;
            } else {
                snprintf(pre, sizeof pre, "calibrate parameter '%.200s': ", vs);
            }
        } else {
            ok = false;
        }
        int nm = config_setting_length(g);
        for (int k = 0; k < nm; k++) {
            const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
            if (scn_name_index(param_names, config_setting_name(m)) < 0) {
                scn_report_unknown(ly, m, pre, NULL, param_names, false);
                ok = false;
            }
        }
        scn_param p = {NULL, NAN, NAN, NAN, {NULL, 0}};
        if (!mn || !mx) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%sneeds both min and max (the range searched)", pre);
            ok = false;
        }
        if (mn && !scn_get_number(ly, mn, pre, "min", &p.min))
            ok = false;
        if (mx && !scn_get_number(ly, mx, pre, "max", &p.max))
            ok = false;
        if (st && !scn_get_number(ly, st, pre, "start", &p.start))
            ok = false;
        if (ok && !(p.min < p.max)) {
            scn_err_at(ly, mx, WD_E_SEMANTIC, "%smin = %.15g must be below max = %.15g", pre, p.min, p.max);
            ok = false;
        }
        if (ok && st && !(p.start >= p.min && p.start <= p.max)) {
            scn_err_at(ly, st, WD_E_SEMANTIC, "%sstart = %.15g is outside [min, max] = [%.15g, %.15g]", pre, p.start,
                       p.min, p.max);
            ok = false;
        }
        size_t first;
        if (ok && wd_map_get(seen, key, &first)) {
            scn_err_at(ly, var, WD_E_SEMANTIC, "%sis listed twice in this file (first at line %zu)", pre, first);
            ok = false;
        } else if (ok && !wd_map_put(seen, key, config_setting_source_line(var))) {
            scn_nomem(L);
        }
        if (!ok || scn_oom(L)) {
            wd_xfree(key);
            continue;
        }
        p.src = scn_src_of(ly, var);
        if (!(p.var = wd_xstrdup(vs))) {
            scn_nomem(L);
            wd_xfree(key);
            break;
        }
        size_t idx;
        if (wd_map_get(L->param_index, key, &idx)) {
            wd_xfree(c->params[idx].var);
            c->params[idx] = p;
        } else {
            scn_param *grown = wd_xrealloc(c->params, (c->nparams + 1) * sizeof *grown);
            if (!grown || !wd_map_put(L->param_index, key, c->nparams)) {
                if (grown)
                    c->params = grown;
                wd_xfree(p.var);
                scn_nomem(L);
            } else {
                c->params = grown;
                c->params[c->nparams++] = p;
            }
        }
        wd_xfree(key);
    }
    wd_map_free(seen);
}

void scn_apply_calibrate(layer *ly, const config_setting_t *g)
{
    loader *L = ly->L;
    wd_scenario *s = L->s;
    if (!scn_want_group(ly, g, "calibrate", "{ params = (...); data = (...); starts = N; }"))
        return;
    if (!s->calib) {
        if (!(s->calib = wd_xcalloc(1, sizeof *s->calib)) || !(L->param_index = wd_map_new())) {
            scn_nomem(L);
            return;
        }
        s->calib->starts = 1;
        s->calib->iterations = 200;
        s->calib->seed = 1;
        s->calib->fd_step = NAN;
    }
    scn_calib *c = s->calib;
    c->src = scn_src_of(ly, g);
    const config_setting_t *data = NULL, *defs = NULL;
    int n = config_setting_length(g);
    for (int i = 0; i < n && !scn_oom(L); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *nm = config_setting_name(m);
        double v;
        switch (scn_name_index(calib_names, nm)) {
        case 0: apply_calib_params(ly, m); break;
        case 1: data = m; break;
        case 2: defs = m; break;
        case 3:
        case 5:
            if (!scn_get_number(ly, m, "", nm[0] == 's' ? "calibrate.starts" : "calibrate.iterations", &v))
                break;
            if (!(v >= 1 && v <= 100000 && v == floor(v))) {
                scn_err_at(ly, m, WD_E_SEMANTIC, "calibrate.%s must be a whole number from 1 to 100000, found %.15g",
                           nm, v);
                break;
            }
            if (nm[0] == 's')
                c->starts = (int)v;
            else
                c->iterations = (int)v;
            break;
        case 4:
            if (!scn_get_number(ly, m, "", "calibrate.seed", &v))
                break;
            if (!(v >= 0 && v == floor(v) && v < 4294967296.0)) {
                scn_err_at(ly, m, WD_E_SEMANTIC, "calibrate.seed must be a whole number >= 0, found %.15g", v);
                break;
            }
            c->seed = (unsigned long)v;
            c->has_seed = true;
            break;
        case 6:
            if (!scn_get_number(ly, m, "", "calibrate.fd_step", &v))
                break;
            if (!(v > 0 && v < 0.5)) {
                scn_err_at(ly, m, WD_E_SEMANTIC, "calibrate.fd_step must be > 0 and < 0.5 (a relative step), found %.15g",
                           v);
                break;
            }
            c->fd_step = v;
            break;
        default: scn_report_unknown(ly, m, "", "calibrate", calib_names, false); break;
        }
    }
    if (data || defs)
        apply_calib_data(ly, data, defs);
}
