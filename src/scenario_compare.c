/* scenario_compare.c: comparison files -> scn_compare (see scenario.h,
 * docs/comparison.md).
 *
 * Pipeline: the first input `wandel compare` reads. A comparison file is a
 * scenario (scn_load, scenario.c) with a compare group, read here together
 * with the package and shock layers it names; compare.c then runs its cells.
 * The loader's state and helpers come from scenario_internal.h.
 */
#include "scenario_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- comparisons ---------------------------------------------------------------------------
 * The `compare` group of a comparison file (scenario.h, docs/comparison.md).
 * The base scenario is the file itself, loaded by scn_load (which ignores the
 * group); the group is then read from the top file alone, and every package
 * and shock layer is loaded with scn_load as a scenario of its own. Kept
 * apart from the loader (scenario.c): these functions only use its helpers. */

const char *const scn_quantity_names[SCN_NQUANT] = {
    "employment", "jobs", "unemployment_rate", "co2", "gva", "fiscal_balance", "diversification"};

static const char *const compare_names[] = {"regions", "region_range", "packages", "shocks",
                                            "variables", "years", "resilience", "indicators",
                                            "score", "output", NULL};
static const char *const case_names[] = {"name", "label", "doc", "layers", "onset", NULL};
static const char *const years_names[] = {"report", "cumulative_until", NULL};
static const char *const resilience_names[] = {"band", "floor", NULL};
static const char *const cmp_indicator_names[] = {"name", "var", "stat", "year", "better", NULL};
static const char *const stat_names[] = {"value", "change_pct", "cumulative", NULL};
static const char *const better_names[] = {"higher", "lower", NULL};
static const char *const cmp_output_names[] = {"file", "vars", NULL};

/* Limits of a comparison: cells are regions x packages x (shocks + 1). */
#define SCN_MAX_CMP_ITEMS 10000
#define SCN_MAX_CMP_CELLS 100000

enum { SUB_OK, SUB_BAD, SUB_NOMEM };

/* Replaces $region and ${region} in var by region ($$ is one $). With region
 * NULL only checks; *bad_at gets the offset of an unknown placeholder. */
static int subst_region(const char *var, const char *region, char **out, size_t *bad_at)
{
    wd_buf b = {0};
    for (const char *p = var; *p; p++) {
        if (*p != '$') {
            wd_buf_putc(&b, *p);
            continue;
        }
        size_t skip = 0;
        if (p[1] == '$') {
            wd_buf_putc(&b, '$');
            skip = 1;
        } else if (strncmp(p + 1, "{region}", 8) == 0) {
            skip = 8;
        } else if (strncmp(p + 1, "region", 6) == 0 &&
                   !(isalnum((unsigned char)p[7]) || p[7] == '_')) {
            skip = 6;
        } else {
            if (bad_at)
                *bad_at = (size_t)(p - var);
            wd_buf_free(&b);
            return SUB_BAD;
        }
        if (skip != 1 && region)
            wd_buf_puts(&b, region);
        p += skip;
    }
    if (b.oom) {
        wd_buf_free(&b);
        return SUB_NOMEM;
    }
    if (!out) {
        wd_buf_free(&b);
        return SUB_OK;
    }
    *out = b.s ? wd_buf_take(&b) : wd_xstrdup("");
    return *out ? SUB_OK : SUB_NOMEM;
}

int scn_subst_region(const char *var, const char *region, char **out)
{
    *out = NULL;
    return subst_region(var, region, out, NULL) == SUB_OK ? 0 : -1;
}

char *scn_var_key(const char *var)
{
    char *k = NULL;
    return scn_set_key(var, &k) == KEY_OK ? k : NULL;
}

static bool is_ident(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return false;
    return true;
}

/* A string or a list of strings ("what" names it in messages). An empty
 * list is fine. */
static bool get_strings(layer *ly, const config_setting_t *cs, const char *what, char ***out,
                        scn_src **srcs, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (srcs)
        *srcs = NULL;
    int t = config_setting_type(cs);
    int len = t == CONFIG_TYPE_STRING                                 ? 1
              : (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) ? config_setting_length(cs)
                                                                      : -1;
    if (len < 0) {
        scn_err_at(ly, cs, WD_E_SEMANTIC, "%s must be a string or a list of strings [\"...\", ...], found %s",
                   what, scn_type_desc(cs));
        return false;
    }
    if (len > SCN_MAX_CMP_ITEMS) {
        scn_err_at(ly, cs, WD_E_LIMIT, "%s has too many entries (%d; the limit is %d)", what, len,
                   SCN_MAX_CMP_ITEMS);
        return false;
    }
    char **v = wd_xcalloc((size_t)len + 1, sizeof *v);
    scn_src *sv = srcs ? wd_xcalloc((size_t)len + 1, sizeof *sv) : NULL;
    if (!v || (srcs && !sv)) {
        wd_xfree(v);
        wd_xfree(sv);
        scn_nomem(ly->L);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = t == CONFIG_TYPE_STRING ? cs : config_setting_get_elem(cs, (unsigned)i);
        char w[80];
        snprintf(w, sizeof w, "%s element %d", what, i + 1);
        const char *s = scn_get_string(ly, e, "", t == CONFIG_TYPE_STRING ? what : w);
        if (!s) {
            ok = false;
            continue;
        }
        if (!(v[i] = wd_xstrdup(s))) {
            scn_nomem(ly->L);
            ok = false;
        }
        if (sv)
            sv[i] = scn_src_of(ly, e);
    }
    if (!ok) {
        for (int i = 0; i < len; i++)
            wd_xfree(v[i]);
        wd_xfree(v);
        wd_xfree(sv);
        return false;
    }
    *out = v;
    *n = (size_t)len;
    if (srcs)
        *srcs = sv;
    return true;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        wd_xfree(v[i]);
    wd_xfree(v);
}

static void case_clear(scn_cmp_case *k)
{
    wd_xfree(k->name);
    wd_xfree(k->label);
    wd_xfree(k->doc);
    for (size_t i = 0; i < k->nlayers; i++)
        scn_free(k->layers[i]);
    wd_xfree(k->layers);
    memset(k, 0, sizeof *k);
}

/* Checks that a package or shock layer only sets variables, and that the
 * placeholders in its set entries are known. */
static void check_cmp_layer(layer *ly, int line, const wd_scenario *sc, const char *kind)
{
    loader *L = ly->L;
    const struct {
        bool present;
        scn_src src;
        const char *what;
    } forbidden[] = {
        {sc->model != NULL, sc->model_src, "model"},
        {!isnan(sc->t_start) || !isnan(sc->t_stop) || !isnan(sc->t_step) || !isnan(sc->t_save),
         sc->time_src, "time"},
        {sc->method || !isnan(sc->rtol) || !isnan(sc->atol) || !isnan(sc->hmax), sc->solver_src,
         "solver"},
        {sc->out_file || sc->out_format || sc->out_vars, sc->output_src, "output"},
        {sc->has_seed, (scn_src){NULL, 0}, "seed"},
    };
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        if (!forbidden[i].present)
            continue;
        if (forbidden[i].src.file)
            wd_diag_add(L->diags, WD_ERROR, (wd_loc){forbidden[i].src.file, forbidden[i].src.line, 0}, NULL,
                        "a %s layer may only set variables (set, extends); '%s' belongs in the "
                        "comparison file, where it applies to every run",
                        kind, forbidden[i].what);
        else
            scn_err_line(ly, line, WD_E_SEMANTIC,
                         "this %s layer sets '%s'; a layer may only set variables (set, extends)", kind,
                         forbidden[i].what);
        scn_set_status(L, WD_E_SEMANTIC);
    }
    for (size_t i = 0; i < sc->nsets; i++) {
        size_t at = 0;
        int r = subst_region(sc->sets[i].var, NULL, NULL, &at);
        if (r == SUB_NOMEM) {
            scn_nomem(L);
        } else if (r == SUB_BAD) {
            wd_diag_add(L->diags, WD_ERROR, (wd_loc){sc->sets[i].src.file, sc->sets[i].src.line, 0}, NULL,
                        "set '%s': unknown placeholder at '%.20s' (known: $region or ${region}; "
                        "$$ for a literal $)",
                        sc->sets[i].var, sc->sets[i].var + at);
            scn_set_status(L, WD_E_SEMANTIC);
        }
    }
}

/* One entry of packages or shocks. */
static bool parse_case(layer *ly, const config_setting_t *g, int index, bool shock, scn_cmp_case *out)
{
    loader *L = ly->L;
    const char *kind = shock ? "shock" : "package";
    memset(out, 0, sizeof *out);
    out->onset = NAN;
    out->src = scn_src_of(ly, g);
    char pre[80];
    snprintf(pre, sizeof pre, "compare.%ss entry %d: ", kind, index);
    if (!config_setting_is_group(g)) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%smust be a group { name = \"...\"; layers = [\"...\"]; }, found %s",
                   pre, scn_type_desc(g));
        return false;
    }
    bool ok = true;
    const config_setting_t *m;
    if (!(m = config_setting_get_member(g, "name"))) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing name (an identifier such as \"cbam\")", pre);
        ok = false;
    } else {
        const char *v = scn_get_string(ly, m, pre, "name");
        if (v && !is_ident(v)) {
            scn_err_at(ly, m, WD_E_SEMANTIC, "%sname '%.100s' may only hold letters, digits, '_', '-' and '.'",
                       pre, v);
            ok = false;
        } else if (v && shock && (!strcmp(v, "none") || !strcmp(v, "all"))) {
            scn_err_at(ly, m, WD_E_SEMANTIC,
                       "%sthe shock names 'none' (the unshocked counterfactual) and 'all' (rankings "
                       "across shocks) are reserved",
                       pre);
            ok = false;
        } else if (v && !(out->name = wd_xstrdup(v))) {
            scn_nomem(L);
        }
        if (!v)
            ok = false;
        else
            snprintf(pre, sizeof pre, "%s '%.40s': ", kind, v);
    }
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        int k = scn_name_index(case_names, config_setting_name(e));
        if (k < 0) {
            scn_report_unknown(ly, e, pre, NULL, case_names, false);
            ok = false;
        } else if (k == 4 && !shock) {
            scn_err_at(ly, e, WD_E_SEMANTIC, "%sonset applies to shocks only", pre);
            ok = false;
        }
    }
    if ((m = config_setting_get_member(g, "label"))) {
        const char *v = scn_get_string(ly, m, pre, "label");
        if (v && !(out->label = wd_xstrdup(v)))
            scn_nomem(L);
        ok = ok && v;
    }
    if ((m = config_setting_get_member(g, "doc"))) {
        if (config_setting_type(m) != CONFIG_TYPE_STRING) {
            scn_err_at(ly, m, WD_E_SEMANTIC, "%sdoc must be a string, found %s", pre, scn_type_desc(m));
            ok = false;
        } else if (!(out->doc = wd_xstrdup(config_setting_get_string(m)))) {
            scn_nomem(L);
        }
    }
    if (shock && (m = config_setting_get_member(g, "onset")) &&
        !scn_get_number(ly, m, pre, "onset", &out->onset))
        ok = false;
    char **files = NULL;
    scn_src *fsrc = NULL;
    size_t nf = 0;
    if (!(m = config_setting_get_member(g, "layers"))) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing layers (a list of scenario files, [] for none)", pre);
        ok = false;
    } else if (!get_strings(ly, m, "layers", &files, &fsrc, &nf)) {
        ok = false;
    }
    if (nf) {
        out->layers = wd_xcalloc(nf, sizeof *out->layers);
        if (!out->layers)
            scn_nomem(L);
    }
    for (size_t i = 0; i < nf && out->layers && !scn_oom(L); i++) {
        char *path = scn_resolve_existing(ly, fsrc[i].line, files[i], NULL);
        if (!path) {
            ok = false;
            continue;
        }
        wd_scenario *sc = NULL;
        wd_status st = scn_load(path, L->diags, &sc);
        wd_xfree(path);
        if (st != WD_OK) {
            scn_set_status(L, st);
            wd_diag_add(L->diags, WD_NOTE, (wd_loc){ly->path, fsrc[i].line, 0}, scn_layer_line(ly, fsrc[i].line),
                        "in this %s layer", kind);
            ok = false;
            continue;
        }
        out->layers[out->nlayers++] = sc;
        size_t before = wd_diags_count(L->diags, WD_ERROR);
        check_cmp_layer(ly, fsrc[i].line, sc, kind);
        if (wd_diags_count(L->diags, WD_ERROR) > before)
            ok = false;
    }
    free_strings(files, nf);
    wd_xfree(fsrc);
    if (ok && !scn_oom(L) && !out->label && !(out->label = wd_xstrdup(out->name)))
        scn_nomem(L);
    if (ok && !scn_oom(L) && !out->doc && !(out->doc = wd_xstrdup("")))
        scn_nomem(L);
    if (!ok || scn_oom(L)) {
        case_clear(out);
        return false;
    }
    return true;
}

static void parse_cases(layer *ly, const config_setting_t *list, bool shock, scn_cmp_case **out, size_t *nout)
{
    const char *what = shock ? "compare.shocks" : "compare.packages";
    int t = config_setting_type(list);
    if (t == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0)
        return;
    if (t != CONFIG_TYPE_LIST) {
        scn_err_at(ly, list, WD_E_SEMANTIC, "%s must be a list ( { name = \"...\"; layers = [...]; }, ... ), found %s",
                   what, scn_type_desc(list));
        return;
    }
    int n = config_setting_length(list);
    if (n > SCN_MAX_CMP_ITEMS) {
        scn_err_at(ly, list, WD_E_LIMIT, "%s has too many entries (%d; the limit is %d)", what, n, SCN_MAX_CMP_ITEMS);
        return;
    }
    *out = wd_xcalloc((size_t)n + 1, sizeof **out);
    if (!*out) {
        scn_nomem(ly->L);
        return;
    }
    for (int i = 0; i < n && !scn_oom(ly->L); i++) {
        scn_cmp_case k;
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (!parse_case(ly, g, i + 1, shock, &k))
            continue;
        bool dup = false;
        for (size_t j = 0; j < *nout && !dup; j++)
            if (!strcmp((*out)[j].name, k.name)) {
                scn_err_at(ly, g, WD_E_SEMANTIC, "%s: '%s' is defined twice (first at line %d)", what, k.name,
                           (*out)[j].src.line);
                dup = true;
            }
        if (dup)
            case_clear(&k);
        else
            (*out)[(*nout)++] = k;
    }
}

static void parse_cmp_indicators(layer *ly, const config_setting_t *list, scn_compare *c)
{
    loader *L = ly->L;
    int t = config_setting_type(list);
    if (t == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0)
        return;
    if (t != CONFIG_TYPE_LIST) {
        scn_err_at(ly, list, WD_E_SEMANTIC,
                   "compare.indicators must be a list ( { name = \"...\"; var = \"...\"; stat = \"value\"; "
                   "year = 2040; }, ... ), found %s",
                   scn_type_desc(list));
        return;
    }
    int n = config_setting_length(list);
    if (n > SCN_MAX_CMP_ITEMS) {
        scn_err_at(ly, list, WD_E_LIMIT, "compare.indicators has too many entries (%d)", n);
        return;
    }
    c->indicators = wd_xcalloc((size_t)n + 1, sizeof *c->indicators);
    if (!c->indicators) {
        scn_nomem(L);
        return;
    }
    for (int i = 0; i < n && !scn_oom(L); i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char pre[80];
        snprintf(pre, sizeof pre, "compare.indicators entry %d: ", i + 1);
        if (!config_setting_is_group(g)) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%smust be a group, found %s", pre, scn_type_desc(g));
            continue;
        }
        bool ok = true;
        int nm = config_setting_length(g);
        for (int j = 0; j < nm; j++) {
            const config_setting_t *m = config_setting_get_elem(g, (unsigned)j);
            if (scn_name_index(cmp_indicator_names, config_setting_name(m)) < 0) {
                scn_report_unknown(ly, m, pre, NULL, cmp_indicator_names, false);
                ok = false;
            }
        }
        scn_cmp_indicator ind = {.stat = SCN_STAT_VALUE, .year = NAN, .better = 1, .src = scn_src_of(ly, g)};
        const config_setting_t *m;
        const char *name = NULL, *var = NULL;
        if (!(m = config_setting_get_member(g, "name")))
            scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing name", pre);
        else if ((name = scn_get_string(ly, m, pre, "name")) && !is_ident(name)) {
            scn_err_at(ly, m, WD_E_SEMANTIC, "%sname '%.100s' may only hold letters, digits, '_', '-' and '.'", pre,
                       name);
            name = NULL;
        }
        if (!(m = config_setting_get_member(g, "var")))
            scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing var (the model variable)", pre);
        else if ((var = scn_get_string(ly, m, pre, "var"))) {
            size_t at = 0;
            int r = subst_region(var, NULL, NULL, &at);
            if (r == SUB_BAD) {
                scn_err_at(ly, m, WD_E_SEMANTIC, "%sunknown placeholder at '%.20s' (known: $region)", pre, var + at);
                var = NULL;
            }
        }
        ok = ok && name && var;
        if ((m = config_setting_get_member(g, "stat"))) {
            const char *v = scn_get_string(ly, m, pre, "stat");
            int k = v ? scn_name_index(stat_names, v) : -1;
            if (v && k < 0)
                scn_err_at(ly, m, WD_E_SEMANTIC, "%sunknown stat '%.60s'; known: value, change_pct, cumulative", pre, v);
            if (k < 0)
                ok = false;
            else
                ind.stat = (scn_stat)k;
        }
        if (!(m = config_setting_get_member(g, "year"))) {
            scn_err_at(ly, g, WD_E_SEMANTIC, "%smissing year (the time the indicator is read at)", pre);
            ok = false;
        } else if (!scn_get_number(ly, m, pre, "year", &ind.year)) {
            ok = false;
        }
        if ((m = config_setting_get_member(g, "better"))) {
            const char *v = scn_get_string(ly, m, pre, "better");
            int k = v ? scn_name_index(better_names, v) : -1;
            if (v && k < 0)
                scn_err_at(ly, m, WD_E_SEMANTIC, "%sbetter must be \"higher\" or \"lower\", found '%.60s'", pre, v);
            if (k < 0)
                ok = false;
            else
                ind.better = k == 0 ? 1 : -1;
        }
        for (size_t j = 0; ok && j < c->nindicators; j++)
            if (!strcmp(c->indicators[j].name, name)) {
                scn_err_at(ly, g, WD_E_SEMANTIC, "%s'%s' is defined twice", pre, name);
                ok = false;
            }
        if (!ok)
            continue;
        ind.name = wd_xstrdup(name);
        ind.var = wd_xstrdup(var);
        if (!ind.name || !ind.var) {
            wd_xfree(ind.name);
            wd_xfree(ind.var);
            scn_nomem(L);
            continue;
        }
        c->indicators[c->nindicators++] = ind;
    }
}

/* A group of number settings (years, resilience): fills out[k] for names[k]. */
static void parse_number_group(layer *ly, const config_setting_t *g, const char *what,
                               const char *const *names, double *const *out, bool positive)
{
    char example[120];
    snprintf(example, sizeof example, "{ %s = ...; }", names[0]);
    if (!scn_want_group(ly, g, what, example))
        return;
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        int k = scn_name_index(names, config_setting_name(m));
        if (k < 0) {
            scn_report_unknown(ly, m, "", what, names, false);
            continue;
        }
        char w[80];
        snprintf(w, sizeof w, "%s.%s", what, names[k]);
        double v;
        if (!scn_get_number(ly, m, "", w, &v))
            continue;
        if (positive && !(v > 0)) {
            scn_err_at(ly, m, WD_E_SEMANTIC, "%s must be > 0, found %.15g", w, v);
            continue;
        }
        *out[k] = v;
    }
}

static void parse_compare(layer *ly, const config_setting_t *g, scn_compare *c)
{
    loader *L = ly->L;
    c->src = scn_src_of(ly, g);
    if (!scn_want_group(ly, g, "compare", "{ regions = [...]; packages = (...); shocks = (...); }"))
        return;
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        if (scn_name_index(compare_names, config_setting_name(m)) < 0)
            scn_report_unknown(ly, m, "", "compare", compare_names, false);
    }
    const config_setting_t *m;
    if (!(m = config_setting_get_member(g, "regions"))) {
        scn_err_at(ly, g, WD_E_SEMANTIC, "compare: missing regions (the elements of the region range to report)");
    } else if (get_strings(ly, m, "compare.regions", &c->regions, &c->region_src, &c->nregions)) {
        if (c->nregions == 0)
            scn_err_at(ly, m, WD_E_SEMANTIC, "compare.regions is empty; name at least one region");
        for (size_t i = 0; i < c->nregions; i++)
            for (size_t j = 0; j < i; j++)
                if (strcasecmp(c->regions[i], c->regions[j]) == 0)
                    scn_err_line(ly, c->region_src[i].line, WD_E_SEMANTIC, "compare.regions: '%s' is listed twice",
                                 c->regions[i]);
    }
    if ((m = config_setting_get_member(g, "region_range"))) {
        const char *v = scn_get_string(ly, m, "", "compare.region_range");
        if (v)
            scn_replace_str(L, &c->region_range, v);
        c->region_range_src = scn_src_of(ly, m);
    }
    if (!(m = config_setting_get_member(g, "packages")))
        scn_err_at(ly, g, WD_E_SEMANTIC,
                   "compare: missing packages (at least one, e.g. { name = \"current\"; layers = []; })");
    else
        parse_cases(ly, m, false, &c->packages, &c->npackages);
    if (m && c->npackages == 0 && L->status == WD_OK)
        scn_err_at(ly, m, WD_E_SEMANTIC, "compare.packages is empty; give at least one package");
    if ((m = config_setting_get_member(g, "shocks")))
        parse_cases(ly, m, true, &c->shocks, &c->nshocks);
    if ((m = config_setting_get_member(g, "variables")) &&
        scn_want_group(ly, m, "compare.variables", "{ jobs = \"jobs\"; co2 = \"co2 emissions\"; }")) {
        int nv = config_setting_length(m);
        for (int i = 0; i < nv && !scn_oom(L); i++) {
            const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
            int k = scn_name_index(scn_quantity_names, config_setting_name(e));
            if (k < 0) {
                scn_report_unknown(ly, e, "", "compare.variables", scn_quantity_names, false);
                continue;
            }
            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                scn_err_at(ly, e, WD_E_SEMANTIC, "compare.variables.%s must be a string (\"\" for none), found %s",
                           scn_quantity_names[k], scn_type_desc(e));
                continue;
            }
            scn_replace_str(L, &c->vars[k], config_setting_get_string(e));
            c->var_src[k] = scn_src_of(ly, e);
        }
    }
    if ((m = config_setting_get_member(g, "years"))) {
        c->years_src = scn_src_of(ly, m);
        parse_number_group(ly, m, "compare.years", years_names,
                           (double *const[]){&c->report_year, &c->cumulative_until}, false);
    }
    if ((m = config_setting_get_member(g, "resilience"))) {
        c->resilience_src = scn_src_of(ly, m);
        parse_number_group(ly, m, "compare.resilience", resilience_names,
                           (double *const[]){&c->band, &c->floor}, true);
    }
    if ((m = config_setting_get_member(g, "indicators")))
        parse_cmp_indicators(ly, m, c);
    if ((m = config_setting_get_member(g, "score")) &&
        scn_want_group(ly, m, "compare.score", "{ jobs_change_2040_pct = 1.0; co2_change_2040_pct = -0.5; }")) {
        c->has_score = true;
        c->score_src = scn_src_of(ly, m);
        int nw = config_setting_length(m);
        c->score = wd_xcalloc((size_t)nw + 1, sizeof *c->score);
        if (!c->score)
            scn_nomem(L);
        for (int i = 0; i < nw && c->score && !scn_oom(L); i++) {
            const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
            double w;
            char what[120];
            snprintf(what, sizeof what, "compare.score.%.100s", config_setting_name(e));
            if (!scn_get_number(ly, e, "", what, &w))
                continue;
            char *nm = wd_xstrdup(config_setting_name(e));
            if (!nm) {
                scn_nomem(L);
                continue;
            }
            c->score[c->nscore++] = (scn_cmp_weight){nm, w, scn_src_of(ly, e)};
        }
    }
    if ((m = config_setting_get_member(g, "output")) &&
        scn_want_group(ly, m, "compare.output", "{ file = \"...\"; vars = [...]; }")) {
        int no = config_setting_length(m);
        for (int i = 0; i < no && !scn_oom(L); i++) {
            const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
            int k = scn_name_index(cmp_output_names, config_setting_name(e));
            if (k < 0) {
                scn_report_unknown(ly, e, "", "compare.output", cmp_output_names, false);
            } else if (k == 0) {
                const char *v = scn_get_string(ly, e, "", "compare.output.file");
                char *p = v ? wd_path_join(ly->dir, v) : NULL;
                if (v && !p)
                    scn_nomem(L);
                if (p) {
                    wd_xfree(c->out_file);
                    c->out_file = p;
                }
            } else {
                free_strings(c->out_vars, c->nout_vars);
                wd_xfree(c->out_var_src);
                c->out_vars = NULL;
                c->nout_vars = 0;
                c->has_out_vars = get_strings(ly, e, "compare.output.vars", &c->out_vars, &c->out_var_src,
                                              &c->nout_vars);
            }
        }
    }
    double cells = (double)c->nregions * (double)c->npackages * (double)(c->nshocks + 1);
    if (cells > SCN_MAX_CMP_CELLS)
        scn_err_at(ly, g, WD_E_LIMIT,
                   "the comparison has %.0f cells (regions x packages x (shocks + 1)); the limit is %d", cells,
                   SCN_MAX_CMP_CELLS);
}

/* Appends the provenance text of a loaded scenario unless a scenario with
 * the same top file was appended already. */
static void append_text(wd_buf *b, wd_map *seen, const wd_scenario *sc)
{
    if (!sc->text || !sc->path || wd_map_get(seen, sc->path, NULL))
        return;
    if (!wd_map_put(seen, sc->path, 0)) {
        b->oom = true;
        return;
    }
    wd_buf_puts(b, sc->text);
}

wd_status scn_compare_load(const char *path, wd_diags *diags, scn_compare **out)
{
    if (!out)
        return WD_E_ARG;
    *out = NULL;
    wd_scenario *base = NULL;
    wd_status st = scn_load(path, diags, &base);
    if (st != WD_OK)
        return st;
    scn_compare *c = wd_xcalloc(1, sizeof *c);
    if (!c) {
        scn_free(base);
        return WD_E_NOMEM;
    }
    c->base = base;
    c->report_year = c->cumulative_until = c->band = c->floor = NAN;
    loader L = {.s = base, .diags = diags};
    size_t len = 0;
    char *text = NULL;
    layer ly = {&L, base->files[0], NULL, NULL, NULL, true, NULL, 0, NULL};
    if (!(c->path = wd_xstrdup(path))) {
        scn_nomem(&L);
        goto done;
    }
    errno = 0;
    if (!(text = wd_read_file(base->files[0], &len))) {
        if (errno == ENOMEM || errno == 0)
            scn_nomem(&L);
        else
            scn_err_nofile(&L, WD_E_IO, "cannot read '%s': %s", path, strerror(errno));
        goto done;
    }
    ly.text = text;
    if (!(ly.dir = wd_dirname(base->files[0]))) {
        scn_nomem(&L);
        goto done;
    }
    if (!scn_prescan(&ly, len))
        goto done;
    config_t cfg;
    if (!scn_parse_text(&ly, &cfg))
        goto done;
    const config_setting_t *g = config_setting_get_member(config_root_setting(&cfg), "compare");
    if (!g)
        scn_err_nofile(&L, WD_E_SEMANTIC,
                       "%s: no compare group; a comparison file is a scenario with a group "
                       "compare = { regions = [...]; packages = (...); shocks = (...); } (see docs/comparison.md)",
                       path);
    else
        parse_compare(&ly, g, c);
    config_destroy(&cfg);
    if (L.status == WD_OK) {
        wd_buf b = {0};
        wd_map *seen = wd_map_new();
        if (!seen)
            b.oom = true;
        else
            append_text(&b, seen, base);
        for (int kind = 0; kind < 2 && !b.oom; kind++) {
            const scn_cmp_case *cs = kind ? c->shocks : c->packages;
            size_t nc = kind ? c->nshocks : c->npackages;
            for (size_t i = 0; i < nc; i++)
                for (size_t j = 0; j < cs[i].nlayers; j++)
                    append_text(&b, seen, cs[i].layers[j]);
        }
        wd_map_free(seen);
        if (b.oom) {
            wd_buf_free(&b);
            scn_nomem(&L);
        } else {
            c->text = wd_buf_take(&b);
        }
    }
done:
    wd_xfree(text);
    wd_xfree(ly.ptext);
    wd_xfree(ly.dir);
    wd_map_free(ly.keys);
    if (L.status != WD_OK) {
        scn_compare_free(c);
        return L.status;
    }
    *out = c;
    return WD_OK;
}

void scn_compare_free(scn_compare *c)
{
    if (!c)
        return;
    scn_free(c->base);
    wd_xfree(c->path);
    free_strings(c->regions, c->nregions);
    wd_xfree(c->region_src);
    wd_xfree(c->region_range);
    for (size_t i = 0; i < c->npackages; i++)
        case_clear(&c->packages[i]);
    wd_xfree(c->packages);
    for (size_t i = 0; i < c->nshocks; i++)
        case_clear(&c->shocks[i]);
    wd_xfree(c->shocks);
    for (int k = 0; k < SCN_NQUANT; k++)
        wd_xfree(c->vars[k]);
    for (size_t i = 0; i < c->nindicators; i++) {
        wd_xfree(c->indicators[i].name);
        wd_xfree(c->indicators[i].var);
    }
    wd_xfree(c->indicators);
    for (size_t i = 0; i < c->nscore; i++)
        wd_xfree(c->score[i].indicator);
    wd_xfree(c->score);
    wd_xfree(c->out_file);
    free_strings(c->out_vars, c->nout_vars);
    wd_xfree(c->out_var_src);
    wd_xfree(c->text);
    wd_xfree(c);
}

typedef VEC(scn_set) scn_set_vec;

/* Adds the entries of one scenario to a cell's list (see scn_compare_cell). */
static int cell_add(scn_set_vec *list, wd_map *index, const wd_scenario *sc, const char *region)
{
    for (size_t i = 0; i < sc->nsets; i++) {
        scn_set e = sc->sets[i];
        char *var = NULL, *key = NULL;
        int r = subst_region(e.var, region, &var, NULL);
        if (r != SUB_OK)
            return r; /* placeholders were checked at load: out of memory */
        if (scn_set_key(var, &key) != KEY_OK) {
            wd_xfree(var);
            return SUB_NOMEM; /* the name was checked at load */
        }
        e.var = var;
        size_t idx;
        if (wd_map_get(index, key, &idx)) {
            wd_xfree(list->v[idx].var);
            list->v[idx] = e;
        } else if (!VEC_PUSH(*list, e) || !wd_map_put(index, key, list->n - 1)) {
            if (list->n == 0 || list->v[list->n - 1].var != var)
                wd_xfree(var);
            wd_xfree(key);
            return SUB_NOMEM;
        }
        wd_xfree(key);
    }
    return SUB_OK;
}

wd_status scn_compare_cell(const scn_compare *c, size_t package, size_t shock, const char *region,
                           scn_set **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    scn_set_vec list = {0};
    wd_map *index = wd_map_new();
    int r = index ? cell_add(&list, index, c->base, region) : SUB_NOMEM;
    const scn_cmp_case *p = &c->packages[package];
    for (size_t i = 0; r == SUB_OK && i < p->nlayers; i++)
        r = cell_add(&list, index, p->layers[i], region);
    if (shock != SIZE_MAX) {
        const scn_cmp_case *s = &c->shocks[shock];
        for (size_t i = 0; r == SUB_OK && i < s->nlayers; i++)
            r = cell_add(&list, index, s->layers[i], region);
    }
    wd_map_free(index);
    if (r != SUB_OK) {
        scn_cell_free(list.v, list.n);
        return WD_E_NOMEM;
    }
    *out = list.v;
    *n = list.n;
    return WD_OK;
}

void scn_cell_free(scn_set *sets, size_t n)
{
    for (size_t i = 0; sets && i < n; i++)
        wd_xfree(sets[i].var);
    wd_xfree(sets);
}
