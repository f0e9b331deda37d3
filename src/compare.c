/* compare.c: comparisons of regions x policy packages x shocks (wandel.h,
 * docs/comparison.md): from the comparison file to the indicators.
 *
 * Pipeline:
 *   load   scenario_compare.c reads the file and its layers (scn_compare); the model
 *          is loaded once; the focal regions are found in the region range;
 *          the series to write and the quantities behind the indicators are
 *          resolved; every cell's merged set entries are checked against the
 *          model (each problem reported once, with file and line); identical
 *          cells share one run, runs with the same inputs share one program.
 *   run    programs are compiled (the one without inputs on this thread,
 *          the others on the workers: each compile parses its own copy of
 *          the model), then the first run fixes the save times, then the
 *          other runs go to the workers. A worker copies, for each cell its
 *          run serves, the focal region's slice of the output series and the
 *          indicator quantities into the cell's own block, so that no locks
 *          are needed and no run's results are kept.
 *   stats  indicators per cell, resilience against the cell's counterfactual
 *          (same region and package, shock "none"), ranks, regrets and the
 *          maximum regret across shocks (compare_stats.c).
 * Writing is compare_out.c.
 *
 * Cells are numbered (region * npkg + package) * nshk + shock, shock 0 being
 * the counterfactual: the order of the HDF5 file's outer dimensions.
 */
#include "compare.h"
#include "session.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Default model variable of each quantity (scn_quantity_names order). */
static const char *const default_vars[SCN_NQUANT] = {
    "jobs", "jobs", "unemployment rate", "co2 emissions", "gross value added", "fiscal balance",
    "diversification index"};
/* Series written when compare.output.vars is not given (those the model has). */
static const char *const default_out_vars[] = {
    "jobs", "sv employment", "unemployment rate", "population", "gross value added", "co2 emissions",
    "diversification index", "fiscal balance", NULL};

/* ---- small helpers -------------------------------------------------------------------------- */

static void cerr(wd_diags *d, scn_src at, const char *fmt, ...) WD_PRINTF(3, 4);
static void cerr(wd_diags *d, scn_src at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_diag_vadd(d, WD_ERROR, (wd_loc){at.file, at.line, 0}, NULL, fmt, ap);
    va_end(ap);
}

static char *fmt_str(const char *fmt, ...) WD_PRINTF(1, 2);
static char *fmt_str(const char *fmt, ...)
{
    wd_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    wd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (b.oom) {
        wd_buf_free(&b);
        return NULL;
    }
    return wd_buf_take(&b);
}

/* The year as written in indicator names: 2040, 2040.5. */
static void year_text(char *out, size_t n, double y) { snprintf(out, n, "%.10g", y); }

static int dim_find(const wd_model *m, const char *name)
{
    char *canon = wd_canon_name(name, strlen(name));
    size_t id;
    bool ok = canon && wd_map_get(m->dim_by_name, canon, &id);
    wd_xfree(canon);
    return ok ? (int)id : -1;
}

static int elem_find(const wd_model *m, const char *name)
{
    char *canon = wd_canon_name(name, strlen(name));
    size_t id;
    bool ok = canon && wd_map_get(m->elem_by_name, canon, &id);
    wd_xfree(canon);
    return ok ? (int)id : -1;
}

static int pos_in_dim(const wd_model *m, int dim, int elem)
{
    const dim_t *d = &m->dims.v[dim];
    for (size_t i = 0; i < d->n; i++)
        if (d->elems[i] == elem)
            return (int)i;
    return -1;
}

/* Whether dim is the region range or a subrange of it. */
static bool is_region_dim(const wd_model *m, int dim, int region_dim)
{
    for (int d = dim, guard = 0; d >= 0 && guard < 64; d = m->dims.v[d].parent, guard++)
        if (d == region_dim)
            return true;
    return false;
}

/* ---- element selections -----------------------------------------------------------------
 * What a quantity or an output series reads from a run, for one focal region:
 * a list of (variable, flat element) of the base model, found by name again
 * in each program's model. */

typedef struct sel_elem {
    int var;
    size_t flat;
} sel_elem;
typedef VEC(sel_elem) sel_vec;

/* The elements of the spec (after $region substitution) for a focal region:
 * "name" is the region's slice of the variable (every element whose first
 * region-range subscript is the region; the whole variable when it has no
 * region subscript); "name[e1,...]" is that one element. Returns false with
 * a message when the spec names nothing. */
static bool select_elems(const wd_comparison *c, const char *spec, size_t region, scn_src src, wd_diags *d,
                         sel_vec *out)
{
    const wd_model *m = c->model;
    char *s = NULL;
    if (scn_subst_region(spec, c->reg_names[region], &s) != 0 || !s) {
        cerr(d, src, "out of memory");
        return false;
    }
    int var;
    size_t flat;
    bool ok = model_find(m, s, &var, &flat);
    if (!ok) {
        wd_buf b = {0};
        model_suggest(m, s, &b, 3);
        cerr(d, src, "unknown variable '%s'%s%s%s", s, b.n ? " (did you mean " : "", wd_buf_str(&b),
             b.n ? "?)" : "");
        wd_buf_free(&b);
        wd_xfree(s);
        return false;
    }
    const var_t *v = &m->vars.v[var];
    if (v->kind == VK_LOOKUP || v->hidden) {
        cerr(d, src, "'%s' is a lookup table and has no values over time", s);
        wd_xfree(s);
        return false;
    }
    wd_xfree(s);
    if (flat != SIZE_MAX)
        return VEC_PUSH(*out, ((sel_elem){var, flat}));
    int axis = -1;
    for (int k = 0; k < v->ndims && axis < 0; k++)
        if (is_region_dim(m, v->dims[k], c->region_dim))
            axis = k;
    int pos = axis >= 0 ? pos_in_dim(m, v->dims[axis], c->reg_elem[region]) : -1;
    for (size_t f = 0; f < v->nelems; f++) {
        if (axis >= 0 && (int)(f / v->stride[axis] % m->dims.v[v->dims[axis]].n) != pos)
            continue;
        if (!VEC_PUSH(*out, ((sel_elem){var, f})))
            return false;
    }
    return true;
}

/* ---- planning ----------------------------------------------------------------------------- */

static wd_status find_regions(wd_comparison *c, wd_diags *d)
{
    const scn_compare *cfg = c->cfg;
    const wd_model *m = c->model;
    c->region_dim = -1;
    if (cfg->region_range) {
        c->region_dim = dim_find(m, cfg->region_range);
        if (c->region_dim < 0) {
            wd_buf b = {0};
            for (size_t i = 0; i < m->dims.n; i++)
                wd_buf_printf(&b, "%s'%s'", i ? ", " : "", m->dims.v[i].raw);
            cerr(d, cfg->region_range_src, "compare.region_range: the model has no range '%s' (its ranges: %s)",
                 cfg->region_range, wd_buf_str(&b));
            wd_buf_free(&b);
            return WD_E_ARG;
        }
    } else {
        c->region_dim = dim_find(m, "region");
        if (c->region_dim < 0) { /* the smallest range holding every focal region */
            size_t best = SIZE_MAX;
            for (size_t i = 0; i < m->dims.n; i++) {
                bool all = true;
                for (size_t r = 0; r < cfg->nregions && all; r++) {
                    int e = elem_find(m, cfg->regions[r]);
                    all = e >= 0 && pos_in_dim(m, (int)i, e) >= 0;
                }
                if (all && m->dims.v[i].n < best && m->dims.v[i].alias_of < 0) {
                    best = m->dims.v[i].n;
                    c->region_dim = (int)i;
                }
            }
        }
        if (c->region_dim < 0) {
            cerr(d, cfg->src,
                 "compare: the model has no range 'region' and no range holds every listed region; "
                 "name it with region_range = \"...\"");
            return WD_E_ARG;
        }
    }
    const dim_t *rd = &m->dims.v[c->region_dim];
    c->nreg = cfg->nregions;
    c->reg_names = wd_xcalloc(c->nreg + 1, sizeof *c->reg_names);
    c->reg_elem = wd_xcalloc(c->nreg + 1, sizeof *c->reg_elem);
    if (!c->reg_names || !c->reg_elem)
        return WD_E_NOMEM;
    bool bad = false;
    for (size_t r = 0; r < c->nreg; r++) {
        int e = elem_find(m, cfg->regions[r]);
        if (e < 0 || pos_in_dim(m, c->region_dim, e) < 0) {
            wd_buf b = {0};
            for (size_t i = 0; i < rd->n; i++)
                wd_buf_printf(&b, "%s%s", i ? ", " : "", m->elems.v[rd->elems[i]].raw);
            cerr(d, cfg->region_src[r], "compare.regions: '%s' is not an element of range '%s' (%s)",
                 cfg->regions[r], rd->raw, wd_buf_str(&b));
            wd_buf_free(&b);
            bad = true;
            continue;
        }
        c->reg_elem[r] = e;
        c->reg_names[r] = m->elems.v[e].raw;
    }
    return bad ? WD_E_ARG : WD_OK;
}

static bool add_series(wd_comparison *c, const char *spec, bool intensive, int quantity, scn_src src, size_t *idx)
{
    cmp_series s = {wd_xstrdup(spec), intensive, quantity, src};
    if (!s.spec)
        return false;
    if (!VEC_PUSH(c->series, s)) {
        wd_xfree(s.spec);
        return false;
    }
    *idx = c->series.n - 1;
    return true;
}

static bool add_ind(wd_comparison *c, cmp_ind ind)
{
    if (!ind.name)
        return false;
    if (!VEC_PUSH(c->ind, ind)) {
        wd_xfree(ind.name);
        wd_xfree(ind.units);
        return false;
    }
    return true;
}

static size_t ind_find(const wd_comparison *c, const char *name)
{
    for (size_t i = 0; i < c->ind.n; i++)
        if (!strcmp(c->ind.v[i].name, name))
            return i;
    return SIZE_MAX;
}

/* Checks that a quantity's spec names something for every focal region
 * (and one element per region for an intensive quantity). */
static bool check_series(wd_comparison *c, const cmp_series *s, wd_diags *d)
{
    for (size_t r = 0; r < c->nreg; r++) {
        sel_vec sel = {0};
        bool ok = select_elems(c, s->spec, r, s->src, d, &sel);
        if (ok && s->intensive && sel.n != 1) {
            cerr(d, s->src,
                 "'%s' has %zu elements for region '%s'; a rate or index must have one per region "
                 "(name one element, e.g. \"%s[$region,...]\")",
                 s->spec, sel.n, c->reg_names[r], s->spec);
            ok = false;
        }
        VEC_FREE(sel);
        if (!ok)
            return false;
    }
    return true;
}

/* The indicator list: the standard ones (from the quantities the model
 * has), those of compare.indicators, the resilience measures and the
 * score. */
static wd_status plan_indicators(wd_comparison *c, wd_diags *d)
{
    const scn_compare *cfg = c->cfg;
    bool bad = false;
    size_t q_series[SCN_NQUANT];
    for (int q = 0; q < SCN_NQUANT; q++) {
        q_series[q] = SIZE_MAX;
        const char *spec = cfg->vars[q] ? cfg->vars[q] : default_vars[q];
        if (!spec[0])
            continue; /* switched off */
        int var;
        size_t flat;
        if (!cfg->vars[q] && !model_find(c->model, spec, &var, &flat))
            continue; /* a default the model does not have: no such indicators */
        scn_src src = cfg->vars[q] ? cfg->var_src[q] : cfg->src;
        bool intensive = q == SCN_Q_UNEMPLOYMENT || q == SCN_Q_DIVERSIFICATION;
        if (!add_series(c, spec, intensive, q, src, &q_series[q]))
            return WD_E_NOMEM;
        if (!check_series(c, &c->series.v[q_series[q]], d)) {
            bad = true;
            q_series[q] = SIZE_MAX;
        }
    }
    char y[32], z[32];
    year_text(y, sizeof y, c->report_year);
    year_text(z, sizeof z, c->cumulative_until);
    static const struct {
        int q;
        scn_stat stat;
        bool cumulative;
        int better;
        const char *name, *units, *doc;
    } std[] = {
        {SCN_Q_JOBS, SCN_STAT_CHANGE_PCT, false, 1, "jobs_change_%s_pct", "percent",
         "change of the region's jobs (all sectors) from the start to the year"},
        {SCN_Q_UNEMPLOYMENT, SCN_STAT_VALUE, false, -1, "unemployment_rate_%s", NULL, "unemployment rate in the year"},
        {SCN_Q_CO2, SCN_STAT_CHANGE_PCT, false, -1, "co2_change_%s_pct", "percent",
         "change of the region's CO2 emissions from the start to the year"},
        {SCN_Q_CO2, SCN_STAT_CUMULATIVE, true, -1, "cumulative_co2_%s", NULL,
         "CO2 emitted from the start to the year (time integral)"},
        {SCN_Q_GVA, SCN_STAT_CHANGE_PCT, false, 1, "gva_change_%s_pct", "percent",
         "change of gross value added from the start to the year"},
        {SCN_Q_FISCAL, SCN_STAT_VALUE, false, 1, "fiscal_balance_%s", NULL, "balance of the regional budget in the year"},
        {SCN_Q_DIVERSIFICATION, SCN_STAT_VALUE, false, 1, "diversification_%s", NULL,
         "diversification index in the year (higher: jobs spread over more sectors)"},
    };
    for (size_t i = 0; i < sizeof std / sizeof std[0]; i++) {
        size_t s = q_series[std[i].q];
        if (s == SIZE_MAX)
            continue;
        const char *units = std[i].units;
        char *u = NULL;
        int var;
        size_t flat;
        if (!units && model_find(c->model, c->series.v[s].spec, &var, &flat)) {
            const char *vu = c->model->vars.v[var].units ? c->model->vars.v[var].units : "";
            u = std[i].cumulative ? fmt_str("(%s)*year", vu) : wd_xstrdup(vu);
        }
        cmp_ind ind = {fmt_str(std[i].name, std[i].cumulative ? z : y), u ? u : wd_xstrdup(units ? units : ""),
                       std[i].doc, IK_STAT, s, std[i].stat, std[i].cumulative ? c->cumulative_until : c->report_year,
                       std[i].better};
        if (!add_ind(c, ind))
            return WD_E_NOMEM;
    }
    for (size_t i = 0; i < cfg->nindicators; i++) {
        const scn_cmp_indicator *ci = &cfg->indicators[i];
        size_t s;
        if (!add_series(c, ci->var, false, -1, ci->src, &s))
            return WD_E_NOMEM;
        if (!check_series(c, &c->series.v[s], d)) {
            bad = true;
            continue;
        }
        if (ind_find(c, ci->name) != SIZE_MAX) {
            cerr(d, ci->src, "indicator '%s' is already defined (a standard indicator)", ci->name);
            bad = true;
            continue;
        }
        cmp_ind ind = {wd_xstrdup(ci->name), wd_xstrdup(ci->stat == SCN_STAT_CHANGE_PCT ? "percent" : ""),
                       "defined in the comparison file", IK_STAT, s, ci->stat, ci->year, ci->better};
        if (!add_ind(c, ind))
            return WD_E_NOMEM;
    }
    if (q_series[SCN_Q_EMPLOYMENT] != SIZE_MAX) {
        c->emp_series = q_series[SCN_Q_EMPLOYMENT];
        static const struct {
            cmp_kind kind;
            int better;
            const char *name, *units, *doc;
        } res[] = {
            {IK_RESISTANCE, 1, "resistance", "1",
             "employment change from onset to trough minus the counterfactual's, over the size of the "
             "counterfactual's change (floored); 0 = as the counterfactual, negative = lost more"},
            {IK_RECOVERY, -1, "recovery_years", "year",
             "years from the onset until employment stays within the band of the counterfactual (inf: never)"},
            {IK_RECOVERED, 1, "recovered", "1", "1 when employment is back within the band by the end, else 0"},
            {IK_LOSS, -1, "jobs_lost_job_years", "person*year",
             "employment shortfall against the counterfactual integrated over the run"},
            {IK_LOSSPCT, -1, "jobs_lost_pct_years", "percent*year",
             "job-years lost in percent of the employment at the onset (100 = a whole year's jobs)"},
            {IK_MAXLOSS, -1, "max_job_loss_pct", "percent",
             "largest employment shortfall against the counterfactual after the onset"},
        };
        for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
            cmp_ind ind = {wd_xstrdup(res[i].name), wd_xstrdup(res[i].units), res[i].doc, res[i].kind, 0,
                           SCN_STAT_VALUE, NAN, res[i].better};
            if (!add_ind(c, ind))
                return WD_E_NOMEM;
        }
    }
    if (bad)
        return WD_E_ARG;
    /* The score: compare.score, else jobs and CO2 change as documented. */
    VEC(cmp_weight) w = {0};
    if (cfg->has_score) {
        for (size_t i = 0; i < cfg->nscore; i++) {
            size_t k = ind_find(c, cfg->score[i].indicator);
            if (k == SIZE_MAX) {
                wd_buf b = {0};
                for (size_t j = 0; j < c->ind.n; j++)
                    wd_buf_printf(&b, "%s%s", j ? ", " : "", c->ind.v[j].name);
                cerr(d, cfg->score[i].src, "compare.score: no indicator '%s' (indicators: %s)",
                     cfg->score[i].indicator, wd_buf_str(&b));
                wd_buf_free(&b);
                bad = true;
                continue;
            }
            if (!VEC_PUSH(w, ((cmp_weight){k, cfg->score[i].weight}))) {
                VEC_FREE(w);
                return WD_E_NOMEM;
            }
        }
    } else {
        char *jn = fmt_str("jobs_change_%s_pct", y), *cn = fmt_str("co2_change_%s_pct", y);
        size_t jk = jn ? ind_find(c, jn) : SIZE_MAX, ck = cn ? ind_find(c, cn) : SIZE_MAX;
        wd_xfree(jn);
        wd_xfree(cn);
        if (jk != SIZE_MAX && !VEC_PUSH(w, ((cmp_weight){jk, 1.0})))
            return WD_E_NOMEM;
        size_t lk = ind_find(c, "jobs_lost_pct_years");
        if ((ck != SIZE_MAX && !VEC_PUSH(w, ((cmp_weight){ck, -0.5}))) ||
            (lk != SIZE_MAX && !VEC_PUSH(w, ((cmp_weight){lk, -0.5})))) {
            VEC_FREE(w);
            return WD_E_NOMEM;
        }
    }
    if (bad) {
        VEC_FREE(w);
        return WD_E_ARG;
    }
    if (w.n > 0) {
        wd_buf doc = {0};
        wd_buf_puts(&doc, "weighted sum of indicators (higher is better):");
        for (size_t i = 0; i < w.n; i++)
            wd_buf_printf(&doc, " %+g %s", w.v[i].weight, c->ind.v[w.v[i].ind].name);
        c->score_doc = wd_buf_take(&doc);
        c->score_w = w.v;
        c->nscore_w = w.n;
        cmp_ind ind = {wd_xstrdup("score"), wd_xstrdup(""), c->score_doc ? c->score_doc : "", IK_SCORE, 0,
                       SCN_STAT_VALUE, NAN, 1};
        if (ind_find(c, "score") != SIZE_MAX) {
            cerr(d, cfg->src, "an indicator may not be called 'score' (the name of the ranking score)");
            return WD_E_ARG;
        }
        if (!add_ind(c, ind))
            return WD_E_NOMEM;
        c->score_ind = c->ind.n - 1;
    }
    return WD_OK;
}

/* The series written to the HDF5 file: for each variable its focal-region
 * slice, the region axis dropped (the file's region dimension takes its
 * place) and its other axes kept. */
static wd_status plan_outputs(wd_comparison *c, wd_diags *d)
{
    const scn_compare *cfg = c->cfg;
    const wd_model *m = c->model;
    size_t n = 0;
    const char *const *names = default_out_vars;
    if (cfg->has_out_vars)
        names = (const char *const *)cfg->out_vars;
    else
        while (names[n])
            n++;
    if (cfg->has_out_vars)
        n = cfg->nout_vars;
    c->ov = wd_xcalloc(n + 1, sizeof *c->ov);
    if (!c->ov)
        return WD_E_NOMEM;
    bool bad = false;
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        int var;
        size_t flat;
        if (!model_find(m, names[i], &var, &flat) || flat != SIZE_MAX || m->vars.v[var].kind == VK_LOOKUP ||
            m->vars.v[var].hidden) {
            if (!cfg->has_out_vars)
                continue;
            wd_buf b = {0};
            model_suggest(m, names[i], &b, 3);
            cerr(d, cfg->out_var_src[i], "compare.output.vars: no variable '%s'%s%s%s (give a whole variable)",
                 names[i], b.n ? " (did you mean " : "", wd_buf_str(&b), b.n ? "?)" : "");
            wd_buf_free(&b);
            bad = true;
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < c->nov; j++)
            dup |= c->ov[j].var == var;
        if (dup)
            continue;
        const var_t *v = &m->vars.v[var];
        cmp_outvar *o = &c->ov[c->nov++];
        o->var = var;
        o->name = model_display_name(v);
        o->units = v->units ? v->units : "";
        o->doc = v->doc ? v->doc : "";
        o->region_axis = -1;
        o->nelems = 1;
        for (int k = 0; k < v->ndims; k++) {
            if (o->region_axis < 0 && is_region_dim(m, v->dims[k], c->region_dim)) {
                o->region_axis = k;
                continue;
            }
            const dim_t *dd = &m->dims.v[v->dims[k]];
            out_dim *od = wd_arena_alloc(c->arena, sizeof *od);
            const char **el = wd_arena_alloc(c->arena, (dd->n + 1) * sizeof *el);
            /* A second axis over the region range keeps every element; it
             * cannot share the name of the file's region dimension. */
            const char *dn = is_region_dim(m, v->dims[k], c->region_dim)
                                 ? wd_arena_strdup(c->arena, "") /* replaced below */
                                 : dd->raw;
            if (!od || !el || !dn)
                return WD_E_NOMEM;
            /* Nor can a range named like a dimension of the file: it becomes
             * "<range>_model". */
            static const char *const outer_names[] = {"region", "package", "shock", "indicator", "time", NULL};
            for (int q = 0; dn[0] && outer_names[q]; q++)
                if (!strcmp(dn, outer_names[q]) && !(dn = wd_arena_strdup(c->arena, "")))
                    return WD_E_NOMEM;
            if (!dn[0]) {
                char *t = fmt_str(is_region_dim(m, v->dims[k], c->region_dim) ? "%s_all" : "%s_model", dd->raw);
                dn = t ? wd_arena_strdup(c->arena, t) : NULL;
                wd_xfree(t);
                if (!dn)
                    return WD_E_NOMEM;
            }
            for (size_t e = 0; e < dd->n; e++)
                el[e] = m->elems.v[dd->elems[e]].raw;
            *od = (out_dim){dn, dd->n, el};
            o->kept[o->ndims] = k;
            o->dims[o->ndims++] = od;
            o->nelems *= dd->n;
        }
        o->first_col = col;
        col += o->nelems;
    }
    c->ncols_out = col;
    return bad ? WD_E_ARG : WD_OK;
}

/* The flat element of output variable o (in a variable of the same shape)
 * for focal region r and kept-axes element e, or SIZE_MAX when the region
 * is not in the variable's region axis (a subrange). */
static size_t out_flat(const wd_comparison *c, const cmp_outvar *o, size_t r, size_t e)
{
    const wd_model *m = c->model;
    const var_t *v = &m->vars.v[o->var];
    size_t flat = 0;
    size_t rest = e;
    int kept_pos[WD_MAX_DIMS];
    for (size_t i = o->ndims; i-- > 0;) { /* row-major over the kept axes */
        kept_pos[i] = (int)(rest % o->dims[i]->n);
        rest /= o->dims[i]->n;
    }
    for (int k = 0, ki = 0; k < v->ndims; k++) {
        int pos;
        if (k == o->region_axis) {
            pos = pos_in_dim(m, v->dims[k], c->reg_elem[r]);
            if (pos < 0)
                return SIZE_MAX;
        } else {
            pos = kept_pos[ki++];
        }
        flat += (size_t)pos * v->stride[k];
    }
    return flat;
}

/* A canonical text of a cell's settings: equal texts mean equal runs. */
static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *entry_text(const scn_set *e)
{
    char *key = scn_var_key(e->var);
    if (!key)
        return NULL;
    wd_buf b = {0};
    wd_buf_puts(&b, key);
    wd_xfree(key);
    if (e->is_series) {
        wd_buf_printf(&b, "\x1fS%d", (int)e->interp);
        for (size_t i = 0; i < e->npoints; i++)
            wd_buf_printf(&b, ";%a,%a", e->times[i], e->values[i]);
    } else {
        wd_buf_printf(&b, "\x1fV%a", e->value);
    }
    if (b.oom) {
        wd_buf_free(&b);
        return NULL;
    }
    return wd_buf_take(&b);
}

/* Joins sorted strings with a separator; NULL on OOM. */
static char *join_sorted(char **v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_key);
    wd_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        wd_buf_puts(&b, v[i]);
        wd_buf_putc(&b, '\x1e');
    }
    if (b.oom) {
        wd_buf_free(&b);
        return NULL;
    }
    return b.s ? wd_buf_take(&b) : wd_xstrdup("");
}

static wd_status plan_cells(wd_comparison *c, wd_diags *d)
{
    const scn_compare *cfg = c->cfg;
    c->ncells = c->nreg * c->npkg * c->nshk;
    c->cell_run = wd_xcalloc(c->ncells + 1, sizeof *c->cell_run);
    wd_map *runs = wd_map_new(), *progs = wd_map_new(), *checked = wd_map_new();
    wd_status st = WD_OK;
    if (!c->cell_run || !runs || !progs || !checked) {
        st = WD_E_NOMEM;
        goto done;
    }
    bool bad = false;
    for (size_t r = 0; r < c->nreg && st == WD_OK; r++)
        for (size_t p = 0; p < c->npkg && st == WD_OK; p++)
            for (size_t s = 0; s < c->nshk && st == WD_OK; s++) {
                size_t cell = cmp_cell(c, r, p, s);
                scn_set *sets = NULL;
                size_t nsets = 0;
                st = scn_compare_cell(cfg, p, s == 0 ? SIZE_MAX : s - 1, c->reg_names[r], &sets, &nsets);
                if (st != WD_OK)
                    break;
                char **texts = wd_xcalloc(nsets + 1, sizeof *texts);
                char **inputs = wd_xcalloc(nsets + 1, sizeof *inputs);
                char **ikeys = wd_xcalloc(nsets + 1, sizeof *ikeys);
                size_t ninputs = 0;
                bool cell_bad = false;
                if (!texts || !inputs || !ikeys)
                    st = WD_E_NOMEM;
                for (size_t i = 0; i < nsets && st == WD_OK; i++) {
                    const scn_set *e = &sets[i];
                    bool is_input = false;
                    size_t seen;
                    /* Check each distinct entry once: an error in the base
                     * would otherwise be reported for every cell. */
                    char *ck = fmt_str("%s\x1f%s:%d", e->var, e->src.file ? e->src.file : "", e->src.line);
                    if (!ck) {
                        st = WD_E_NOMEM;
                        break;
                    }
                    if (wd_map_get(checked, ck, &seen)) {
                        is_input = seen == 1;
                        cell_bad |= seen == 2;
                    } else {
                        int var;
                        size_t flat;
                        bool ok = session_check_set(c->model, e, d, &is_input);
                        if (ok && model_find(c->model, e->var, &var, &flat) && c->model->vars.v[var].control) {
                            cerr(d, e->src,
                                 "set: '%s' is a control variable; the time settings of a comparison belong in "
                                 "its time group, for every run alike",
                                 e->var);
                            ok = false;
                        }
                        if (!wd_map_put(checked, ck, ok ? (is_input ? 1 : 0) : 2))
                            st = WD_E_NOMEM;
                        cell_bad |= !ok;
                    }
                    wd_xfree(ck);
                    if (!(texts[i] = entry_text(e)))
                        st = WD_E_NOMEM;
                    if (is_input && st == WD_OK) {
                        inputs[ninputs] = e->var;
                        if (!(ikeys[ninputs++] = scn_var_key(e->var)))
                            st = WD_E_NOMEM;
                    }
                }
                bad |= cell_bad;
                char *rkey = st == WD_OK ? join_sorted(texts, nsets) : NULL;
                char *pkey = st == WD_OK ? join_sorted(ikeys, ninputs) : NULL;
                if (st == WD_OK && (!rkey || !pkey))
                    st = WD_E_NOMEM;
                size_t ri = SIZE_MAX, pi = SIZE_MAX;
                if (st == WD_OK && !cell_bad) {
                    if (!wd_map_get(progs, pkey, &pi)) {
                        cmp_prog pg = {0};
                        pg.inputs = wd_xcalloc(ninputs + 1, sizeof *pg.inputs);
                        pg.ninputs = ninputs;
                        for (size_t i = 0; pg.inputs && i < ninputs; i++)
                            if (!(pg.inputs[i] = wd_xstrdup(inputs[i])))
                                st = WD_E_NOMEM;
                        if (!pg.inputs || st != WD_OK || !VEC_PUSH(c->progs, pg) ||
                            !wd_map_put(progs, pkey, c->progs.n - 1)) {
                            for (size_t i = 0; pg.inputs && i < ninputs; i++)
                                wd_xfree(pg.inputs[i]);
                            wd_xfree(pg.inputs);
                            st = WD_E_NOMEM;
                        }
                        pi = c->progs.n - 1;
                    }
                    if (st == WD_OK && !wd_map_get(runs, rkey, &ri)) {
                        cmp_run rn = {.sets = sets, .nsets = nsets, .prog = pi};
                        if (!VEC_PUSH(c->runs, rn) || !wd_map_put(runs, rkey, c->runs.n - 1))
                            st = WD_E_NOMEM;
                        else
                            sets = NULL; /* the run keeps them */
                        ri = c->runs.n - 1;
                    }
                    if (st == WD_OK) {
                        c->cell_run[cell] = ri;
                        cmp_run *rn = &c->runs.v[ri];
                        if (!VEC_PUSH(rn->cells, cell))
                            st = WD_E_NOMEM;
                    }
                }
                for (size_t i = 0; i < nsets; i++)
                    wd_xfree(texts[i]);
                for (size_t i = 0; i < ninputs; i++)
                    wd_xfree(ikeys[i]);
                wd_xfree(texts);
                wd_xfree(inputs);
                wd_xfree(ikeys);
                wd_xfree(rkey);
                wd_xfree(pkey);
                scn_cell_free(sets, sets ? nsets : 0);
            }
    if (st == WD_OK && bad)
        st = WD_E_ARG;
done:
    wd_map_free(runs);
    wd_map_free(progs);
    wd_map_free(checked);
    return st;
}

wd_status wd_comparison_load(const char *path, wd_diags *diags, wd_comparison **out)
{
    if (!out)
        return WD_E_ARG;
    *out = NULL;
    scn_compare *cfg = NULL;
    wd_status st = scn_compare_load(path, diags, &cfg);
    if (st != WD_OK)
        return st;
    wd_comparison *c = wd_xcalloc(1, sizeof *c);
    if (!c || !(c->arena = wd_arena_new())) {
        wd_xfree(c);
        scn_compare_free(cfg);
        return WD_E_NOMEM;
    }
    c->cfg = cfg;
    c->emp_series = SIZE_MAX;
    c->score_ind = SIZE_MAX;
    c->report_year = isnan(cfg->report_year) ? 2040 : cfg->report_year;
    c->cumulative_until = isnan(cfg->cumulative_until) ? 2050 : cfg->cumulative_until;
    c->band = isnan(cfg->band) ? 0.01 : cfg->band;
    c->floor = isnan(cfg->floor) ? 0.01 : cfg->floor;
    c->npkg = cfg->npackages;
    c->nshk = cfg->nshocks + 1;
    const wd_scenario *base = cfg->base;
    if (!base->model) {
        cerr(diags, (scn_src){cfg->path, 0},
             "no model: set `model = \"path/to/model.mdl\";` in the comparison file or a layer it extends");
        st = WD_E_ARG;
        goto fail;
    }
    if ((st = session_load_model(base, diags, &c->model)) != WD_OK)
        goto fail;
    if ((st = find_regions(c, diags)) != WD_OK)
        goto fail;
    if ((st = plan_outputs(c, diags)) != WD_OK)
        goto fail;
    if ((st = plan_indicators(c, diags)) != WD_OK)
        goto fail;
    if ((st = plan_cells(c, diags)) != WD_OK)
        goto fail;
    /* Columns of a cell's block: the series, then per indicator its value,
     * rank and regret, its maximum regret and the rank by it, and whether
     * higher is better (compare_out.c reads them). */
    c->ncols_all = c->ncols_out + 6 * c->ind.n;
    wd_run_opts_init(&c->opts);
    session_run_opts(base, &c->opts);
    *out = c;
    return WD_OK;
fail:
    wd_comparison_free(c);
    return st;
}

void wd_comparison_free(wd_comparison *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->runs.n; i++) {
        scn_cell_free(c->runs.v[i].sets, c->runs.v[i].nsets);
        VEC_FREE(c->runs.v[i].cells);
        wd_diags_free(c->runs.v[i].d);
    }
    VEC_FREE(c->runs);
    for (size_t i = 0; i < c->progs.n; i++) {
        cmp_prog *pg = &c->progs.v[i];
        for (size_t k = 0; k < pg->ninputs; k++)
            wd_xfree(pg->inputs[k]);
        wd_xfree(pg->inputs);
        wd_program_free(pg->p);
        wd_xfree(pg->colmap);
        wd_xfree(pg->ser_first);
        wd_xfree(pg->ser_cols);
        wd_diags_free(pg->d);
    }
    VEC_FREE(c->progs);
    for (size_t i = 0; i < c->series.n; i++)
        wd_xfree(c->series.v[i].spec);
    VEC_FREE(c->series);
    for (size_t i = 0; i < c->ind.n; i++) {
        wd_xfree(c->ind.v[i].name);
        wd_xfree(c->ind.v[i].units);
    }
    VEC_FREE(c->ind);
    wd_xfree(c->score_w);
    wd_xfree(c->score_doc);
    wd_xfree(c->ov);
    wd_xfree(c->reg_names);
    wd_xfree(c->reg_elem);
    wd_xfree(c->cell_run);
    wd_xfree(c->times);
    wd_xfree(c->rows);
    wd_xfree(c->ser);
    wd_xfree(c->method);
    wd_model_free(c->model);
    wd_arena_free(c->arena);
    scn_compare_free(c->cfg);
    wd_xfree(c);
}

/* ---- running -------------------------------------------------------------------------------- */

/* Column of (var, flat) of the base model in program p, or SIZE_MAX. */
static size_t prog_col(const wd_comparison *c, const wd_program *p, int var, size_t flat)
{
    const wd_model *pm = p->model;
    int pv;
    size_t pf;
    if (!model_find(pm, c->model->vars.v[var].raw, &pv, &pf) || pm->vars.v[pv].nelems != c->model->vars.v[var].nelems)
        return SIZE_MAX;
    for (size_t k = 0; k < p->ncols; k++)
        if (p->cols[k].var == pv) {
            size_t col = k + flat;
            return col < p->ncols && p->cols[col].var == pv && p->cols[col].flat == flat ? col : SIZE_MAX;
        }
    return SIZE_MAX;
}

/* Builds a program's column maps: per focal region, the program column of
 * every output column, and the columns each quantity sums. */
static wd_status build_maps(wd_comparison *c, cmp_prog *pg, wd_diags *d)
{
    const wd_program *p = pg->p;
    pg->colmap = wd_xmalloc((c->nreg * c->ncols_out + 1) * sizeof *pg->colmap);
    pg->ser_first = wd_xcalloc(c->nreg * c->series.n + 1, sizeof *pg->ser_first);
    if (!pg->colmap || !pg->ser_first)
        return WD_E_NOMEM;
    for (size_t r = 0; r < c->nreg; r++)
        for (size_t i = 0; i < c->nov; i++) {
            const cmp_outvar *o = &c->ov[i];
            for (size_t e = 0; e < o->nelems; e++) {
                size_t f = out_flat(c, o, r, e);
                pg->colmap[r * c->ncols_out + o->first_col + e] = f == SIZE_MAX ? SIZE_MAX : prog_col(c, p, o->var, f);
            }
        }
    VEC(size_t) cols = {0};
    for (size_t r = 0; r < c->nreg; r++)
        for (size_t s = 0; s < c->series.n; s++) {
            sel_vec sel = {0};
            if (!select_elems(c, c->series.v[s].spec, r, c->series.v[s].src, d, &sel)) {
                VEC_FREE(sel);
                VEC_FREE(cols);
                return WD_E_ARG;
            }
            pg->ser_first[r * c->series.n + s] = cols.n;
            for (size_t i = 0; i < sel.n; i++)
                if (!VEC_PUSH(cols, prog_col(c, p, sel.v[i].var, sel.v[i].flat))) {
                    VEC_FREE(sel);
                    VEC_FREE(cols);
                    return WD_E_NOMEM;
                }
            VEC_FREE(sel);
        }
    if (!VEC_PUSH(cols, SIZE_MAX)) { /* end marker */
        VEC_FREE(cols);
        return WD_E_NOMEM;
    }
    pg->ser_cols = cols.v;
    pg->nser_cols = cols.n - 1;
    return WD_OK;
}

static void compile_prog(wd_comparison *c, cmp_prog *pg)
{
    if (!(pg->d = wd_diags_new())) {
        pg->st = WD_E_NOMEM;
        return;
    }
    wd_compile_opts co = {(const char *const *)pg->inputs, pg->ninputs, c->opts.engine};
    pg->st = wd_program_compile(c->model, &co, pg->d, &pg->p);
    if (pg->st == WD_OK)
        pg->st = build_maps(c, pg, pg->d);
}

/* Copies run results into the blocks of every cell the run serves. */
static void extract(wd_comparison *c, const cmp_run *rn, const wd_run *run)
{
    const cmp_prog *pg = &c->progs.v[rn->prog];
    size_t ns = run->nsaved < c->nsaved ? run->nsaved : c->nsaved;
    size_t ncols = run->p->ncols;
    size_t nser = c->series.n;
    for (size_t i = 0; i < rn->cells.n; i++) {
        size_t cell = rn->cells.v[i];
        size_t r = cell / (c->npkg * c->nshk);
        double *blk = c->rows + cell * c->nsaved * c->ncols_all;
        const size_t *map = pg->colmap + r * c->ncols_out;
        for (size_t k = 0; k < ns; k++) {
            const double *row = run->rows + k * ncols;
            double *dst = blk + k * c->ncols_all;
            for (size_t j = 0; j < c->ncols_out; j++)
                dst[j] = map[j] == SIZE_MAX ? NAN : row[map[j]];
        }
        double *ser = c->ser + cell * nser * c->nsaved;
        for (size_t s = 0; s < nser; s++) {
            size_t from = pg->ser_first[r * nser + s];
            size_t to = r * nser + s + 1 < c->nreg * nser ? pg->ser_first[r * nser + s + 1] : pg->nser_cols;
            for (size_t k = 0; k < ns; k++) {
                double sum = 0;
                for (size_t q = from; q < to; q++)
                    sum += pg->ser_cols[q] == SIZE_MAX ? NAN : run->rows[k * ncols + pg->ser_cols[q]];
                ser[s * c->nsaved + k] = sum;
            }
        }
    }
}

/* The save times and the result blocks, from the first run that gives them
 * (every run must save at the same times). */
static wd_status set_times(wd_comparison *c, const wd_run *run)
{
    c->nsaved = run->nsaved;
    c->times = wd_xmalloc(run->nsaved * sizeof *c->times);
    size_t ncells = c->ncells;
    c->rows = wd_xmalloc((ncells * c->nsaved * c->ncols_all + 1) * sizeof *c->rows);
    c->ser = wd_xmalloc((ncells * c->series.n * c->nsaved + 1) * sizeof *c->ser);
    c->method = wd_xstrdup(wd_method_name(run->method));
    if (!c->times || !c->rows || !c->ser || !c->method) {
        wd_xfree(c->times);
        c->times = NULL;
        return WD_E_NOMEM;
    }
    memcpy(c->times, run->times, run->nsaved * sizeof *c->times);
    for (size_t i = 0; i < ncells * c->nsaved * c->ncols_all; i++)
        c->rows[i] = NAN;
    for (size_t i = 0; i < ncells * c->series.n * c->nsaved; i++)
        c->ser[i] = NAN;
    c->rtol = run->method >= WD_RKF45 ? run->rtol : NAN;
    c->atol = run->method >= WD_RKF45 ? run->atol : NAN;
    c->dt = run->dt;
    c->saveper = run->saveper;
    c->seed = run->seed;
    return WD_OK;
}

/* Checks a finished run's save times against the comparison's and copies
 * its results to its cells; frees the run. */
static void finish_run(wd_comparison *c, cmp_run *rn, wd_run *run)
{
    if (run && c->times && run->nsaved > 0) {
        bool same = run->nsaved <= c->nsaved;
        for (size_t k = 0; same && k < run->nsaved; k++)
            same = fabs(run->times[k] - c->times[k]) <= 1e-9 * fmax(1.0, fabs(c->times[k]));
        if (!same && rn->st == WD_OK) {
            wd_diag_add(rn->d, WD_ERROR, (wd_loc){0}, NULL,
                        "a run saved at other times than the others (%zu save points from %g, against "
                        "%zu from %g); every run of a comparison must share the time settings",
                        run->nsaved, run->times[0], c->nsaved, c->times[0]);
            rn->st = WD_E_ARG;
        } else if (same) {
            extract(c, rn, run);
        }
    }
    rn->complete = rn->st == WD_OK && run && wd_run_complete(run) && run->nsaved == c->nsaved;
    wd_run_free(run);
}

/* Executes one run. With probe set and no save times known yet, a complete
 * run fixes them and an incomplete one is handed back in *held (to be
 * finished once the times are known) instead of being finished. */
static void do_run(wd_comparison *c, cmp_run *rn, bool probe, wd_run **held)
{
    if (held)
        *held = NULL;
    if (!(rn->d = wd_diags_new())) {
        rn->st = WD_E_NOMEM;
        return;
    }
    const cmp_prog *pg = &c->progs.v[rn->prog];
    if (pg->st != WD_OK) {
        rn->st = pg->st;
        return;
    }
    wd_run *run = NULL;
    rn->st = wd_run_new(pg->p, &run);
    if (rn->st == WD_OK)
        rn->st = session_apply_set_list(run, rn->sets, rn->nsets, rn->d);
    if (rn->st == WD_OK)
        rn->st = wd_run_exec(run, &c->opts, rn->d);
    if (probe && !c->times && run) {
        if (rn->st == WD_OK && wd_run_complete(run) && run->nsaved > 0) {
            wd_status st = set_times(c, run);
            if (st != WD_OK)
                rn->st = st;
        } else {
            *held = run;
            return;
        }
    }
    finish_run(c, rn, run);
}

typedef struct pool {
    wd_comparison *c;
    int phase;          /* 0 compile, 1 run */
    size_t next, n;
    size_t first;       /* first task index of the phase */
    pthread_mutex_t lock;
} pool;

static void *worker(void *arg)
{
    pool *pl = arg;
    for (;;) {
        pthread_mutex_lock(&pl->lock);
        size_t i = pl->next < pl->n ? pl->next++ : SIZE_MAX;
        pthread_mutex_unlock(&pl->lock);
        if (i == SIZE_MAX)
            return NULL;
        if (pl->phase == 0)
            compile_prog(pl->c, &pl->c->progs.v[i]);
        else
            do_run(pl->c, &pl->c->runs.v[i], false, NULL);
    }
}

/* Runs tasks first..n-1 of a phase on `threads` threads (this one among them). */
static void run_pool(wd_comparison *c, int phase, size_t first, size_t n, int threads)
{
    pool pl = {c, phase, first, n, first, PTHREAD_MUTEX_INITIALIZER};
    size_t extra = threads > 1 ? (size_t)threads - 1 : 0;
    if (extra > n - first)
        extra = n > first ? n - first - 1 : 0;
    pthread_t *tids = extra ? wd_xcalloc(extra, sizeof *tids) : NULL;
    size_t started = 0;
    for (size_t i = 0; tids && i < extra; i++)
        if (pthread_create(&tids[i], NULL, worker, &pl) == 0)
            started++;
        else
            break;
    worker(&pl);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    wd_xfree(tids);
    pthread_mutex_destroy(&pl.lock);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

wd_status wd_comparison_run(wd_comparison *c, int threads, wd_diags *diags)
{
    if (!c || c->ran)
        return WD_E_ARG;
    double t_start = now_seconds();
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)(n > 256 ? 256 : n) : 1;
    }
    c->threads = threads;
    /* Programs: the one without inputs compiles the shared model itself,
     * which the scheduler annotates, so it goes first, on this thread. */
    size_t first = 0;
    for (size_t i = 0; i < c->progs.n; i++)
        if (c->progs.v[i].ninputs == 0) {
            cmp_prog tmp = c->progs.v[0];
            c->progs.v[0] = c->progs.v[i];
            c->progs.v[i] = tmp;
            for (size_t r = 0; r < c->runs.n; r++)
                c->runs.v[r].prog = c->runs.v[r].prog == i ? 0 : c->runs.v[r].prog == 0 ? i : c->runs.v[r].prog;
            compile_prog(c, &c->progs.v[0]);
            first = 1;
            break;
        }
    run_pool(c, 0, first, c->progs.n, threads);
    wd_status st = WD_OK;
    for (size_t i = 0; i < c->progs.n; i++) {
        wd_diags_append(diags, c->progs.v[i].d);
        if (c->progs.v[i].st != WD_OK && st == WD_OK)
            st = c->progs.v[i].st;
    }
    if (st != WD_OK)
        return st;
    c->t_compile = now_seconds() - t_start;
    if (c->runs.n == 0)
        return WD_E_ARG;
    /* Runs in turn until one completes and fixes the save times; failed runs
     * before it are finished afterwards (when none completes, the longest
     * failed run gives the times). */
    size_t next = 0;
    VEC(wd_run *) held = {0};
    VEC(size_t) held_idx = {0};
    while (!c->times && next < c->runs.n) {
        wd_run *h = NULL;
        do_run(c, &c->runs.v[next], true, &h);
        if (h && (!VEC_PUSH(held, h) || !VEC_PUSH(held_idx, next))) {
            wd_run_free(h);
            c->runs.v[next].st = WD_E_NOMEM;
        }
        next++;
    }
    if (!c->times) {
        size_t longest = SIZE_MAX;
        for (size_t i = 0; i < held.n; i++)
            if (held.v[i]->nsaved > 0 && (longest == SIZE_MAX || held.v[i]->nsaved > held.v[longest]->nsaved))
                longest = i;
        if (longest != SIZE_MAX && set_times(c, held.v[longest]) != WD_OK)
            longest = SIZE_MAX;
        if (longest == SIZE_MAX) {
            for (size_t i = 0; i < held.n; i++)
                wd_run_free(held.v[i]);
            VEC_FREE(held);
            VEC_FREE(held_idx);
            for (size_t i = 0; i < c->runs.n; i++)
                wd_diags_append(diags, c->runs.v[i].d);
            return c->runs.n && c->runs.v[0].st != WD_OK ? c->runs.v[0].st : WD_E_NOMEM;
        }
    }
    for (size_t i = 0; i < held.n; i++)
        finish_run(c, &c->runs.v[held_idx.v[i]], held.v[i]);
    VEC_FREE(held);
    VEC_FREE(held_idx);
    for (size_t i = 0; i < c->ind.n; i++) {
        const cmp_ind *ind = &c->ind.v[i];
        double tol = 1e-9 * fmax(1.0, fabs(ind->year));
        if (ind->kind == IK_STAT && (ind->year < c->times[0] - tol || ind->year > c->times[c->nsaved - 1] + tol))
            wd_diag_add(diags, WD_WARNING, (wd_loc){c->cfg->path, 0, 0}, NULL,
                        "indicator '%s' reads the year %g, outside the runs (%g to %g): it will be NaN", ind->name,
                        ind->year, c->times[0], c->times[c->nsaved - 1]);
    }
    run_pool(c, 1, next, c->runs.n, threads);
    size_t failed = 0;
    for (size_t i = 0; i < c->runs.n; i++) {
        cmp_run *rn = &c->runs.v[i];
        if (rn->st == WD_OK && rn->complete)
            continue;
        failed++;
        if (failed <= 5) {
            size_t cell = rn->cells.v[0];
            size_t r = cell / (c->npkg * c->nshk), p = cell / c->nshk % c->npkg, s = cell % c->nshk;
            wd_diag_add(diags, WD_ERROR, (wd_loc){c->cfg->path, 0, 0}, NULL,
                        "the run of region '%s', package '%s', shock '%s' (and %zu more cells) failed:",
                        c->reg_names[r], cmp_pkg_name(c, p), cmp_shk_name(c, s), rn->cells.n - 1);
            wd_diags_append(diags, rn->d);
        }
        if (st == WD_OK)
            st = rn->st != WD_OK ? rn->st : WD_E_NUMERIC;
    }
    if (failed > 5)
        wd_diag_add(diags, WD_ERROR, (wd_loc){c->cfg->path, 0, 0}, NULL, "%zu runs failed in all", failed);
    c->nfailed = failed;
    if (st == WD_E_NOMEM)
        return st;
    cmp_compute(c);
    c->ran = true;
    c->t_total = now_seconds() - t_start;
    return st;
}

/* ---- accessors -------------------------------------------------------------------------------- */

const char *cmp_pkg_name(const wd_comparison *c, size_t p) { return c->cfg->packages[p].name; }
const char *cmp_shk_name(const wd_comparison *c, size_t s) { return s == 0 ? "none" : c->cfg->shocks[s - 1].name; }

const char *wd_comparison_name(const wd_comparison *c) { return c->cfg->base->name; }
const char *wd_comparison_output(const wd_comparison *c) { return c->cfg->out_file; }
size_t wd_comparison_nruns(const wd_comparison *c) { return c->runs.n; }
size_t wd_comparison_nprograms(const wd_comparison *c) { return c->progs.n; }

size_t wd_comparison_count(const wd_comparison *c, wd_cmp_axis axis)
{
    switch (axis) {
    case WD_CMP_REGION: return c->nreg;
    case WD_CMP_PACKAGE: return c->npkg;
    case WD_CMP_SHOCK: return c->nshk;
    case WD_CMP_INDICATOR: return c->ind.n;
    }
    return 0;
}

const char *wd_comparison_label(const wd_comparison *c, wd_cmp_axis axis, size_t i)
{
    if (i >= wd_comparison_count(c, axis))
        return NULL;
    switch (axis) {
    case WD_CMP_REGION: return c->reg_names[i];
    case WD_CMP_PACKAGE: return cmp_pkg_name(c, i);
    case WD_CMP_SHOCK: return cmp_shk_name(c, i);
    case WD_CMP_INDICATOR: return c->ind.v[i].name;
    }
    return NULL;
}

size_t wd_comparison_find(const wd_comparison *c, wd_cmp_axis axis, const char *name)
{
    size_t n = wd_comparison_count(c, axis);
    for (size_t i = 0; i < n; i++) {
        const char *l = wd_comparison_label(c, axis, i);
        if (axis == WD_CMP_REGION ? strcasecmp(l, name) == 0 : strcmp(l, name) == 0)
            return i;
    }
    return SIZE_MAX;
}

static double cell_col(const wd_comparison *c, size_t r, size_t p, size_t s, size_t col)
{
    if (!c->ran || r >= c->nreg || p >= c->npkg || s >= c->nshk)
        return NAN;
    return c->rows[cmp_cell(c, r, p, s) * c->nsaved * c->ncols_all + col];
}

double wd_comparison_value(const wd_comparison *c, size_t r, size_t p, size_t s, size_t i)
{
    return i < c->ind.n ? cell_col(c, r, p, s, cmp_col_value(c, i)) : NAN;
}
double wd_comparison_rank(const wd_comparison *c, size_t r, size_t p, size_t s, size_t i)
{
    return i < c->ind.n ? cell_col(c, r, p, s, cmp_col_rank(c, i)) : NAN;
}
double wd_comparison_regret(const wd_comparison *c, size_t r, size_t p, size_t s, size_t i)
{
    return i < c->ind.n ? cell_col(c, r, p, s, cmp_col_regret(c, i)) : NAN;
}
double wd_comparison_max_regret(const wd_comparison *c, size_t r, size_t p, size_t i)
{
    return i < c->ind.n ? cell_col(c, r, p, 0, cmp_col_maxregret(c, i)) : NAN;
}
double wd_comparison_max_regret_rank(const wd_comparison *c, size_t r, size_t p, size_t i)
{
    return i < c->ind.n ? cell_col(c, r, p, 0, cmp_col_maxrank(c, i)) : NAN;
}
int wd_comparison_better(const wd_comparison *c, size_t i) { return i < c->ind.n ? c->ind.v[i].better : 0; }

/* ---- indicators ---------------------------------------------------------------------------------- */

void cmp_compute(wd_comparison *c)
{
    size_t ns = c->nsaved, nser = c->series.n, ni = c->ind.n;
    const double *t = c->times;
    for (size_t cell = 0; cell < c->ncells; cell++) {
        size_t r = cell / (c->npkg * c->nshk), p = cell / c->nshk % c->npkg, s = cell % c->nshk;
        double *row0 = c->rows + cell * ns * c->ncols_all;
        const double *ser = c->ser + cell * nser * ns;
        wd_resilience res = {NAN, NAN, 0, NAN, NAN, NAN, NAN, NAN};
        if (c->emp_series != SIZE_MAX) {
            const double *cf = c->ser + cmp_cell(c, r, p, 0) * nser * ns + c->emp_series * ns;
            double onset = s == 0 ? NAN : c->cfg->shocks[s - 1].onset;
            wd_resilience_measure(ns, t, ser + c->emp_series * ns, cf, onset, c->band, c->floor, &res);
        }
        for (size_t i = 0; i < ni; i++) {
            const cmp_ind *ind = &c->ind.v[i];
            double v = NAN;
            switch (ind->kind) {
            case IK_STAT: v = cmp_stat(ind->stat, ns, t, ser + ind->series * ns, ind->year); break;
            case IK_RESISTANCE: v = res.resistance; break;
            case IK_RECOVERY: v = res.recovery_years; break;
            case IK_RECOVERED: v = isnan(res.job_years_lost) ? NAN : res.recovered; break;
            case IK_LOSS: v = res.job_years_lost; break;
            case IK_LOSSPCT: v = res.loss_pct_years; break;
            case IK_MAXLOSS: v = res.max_loss_pct; break;
            case IK_SCORE: {
                v = 0;
                for (size_t k = 0; k < c->nscore_w; k++) {
                    double x = row0[cmp_col_value(c, c->score_w[k].ind)];
                    if (c->score_w[k].weight != 0)
                        v += c->score_w[k].weight * x;
                }
                break;
            }
            }
            row0[cmp_col_value(c, i)] = v;
        }
    }
    /* Ranks and regrets within a region and shock; the maximum regret of a
     * package across the shocks. */
    double *g = wd_xmalloc((c->npkg + 1) * sizeof *g), *rk = wd_xmalloc((c->npkg + 1) * sizeof *rk),
           *rg = wd_xmalloc((c->npkg + 1) * sizeof *rg);
    if (!g || !rk || !rg) {
        wd_xfree(g);
        wd_xfree(rk);
        wd_xfree(rg);
        return; /* ranks stay NaN */
    }
    for (size_t r = 0; r < c->nreg; r++)
        for (size_t i = 0; i < ni; i++) {
            int better = c->ind.v[i].better;
            for (size_t s = 0; s < c->nshk; s++) {
                for (size_t p = 0; p < c->npkg; p++)
                    g[p] = better * c->rows[cmp_cell(c, r, p, s) * ns * c->ncols_all + cmp_col_value(c, i)];
                cmp_rank(c->npkg, g, rk);
                cmp_regret(c->npkg, g, rg);
                for (size_t p = 0; p < c->npkg; p++) {
                    double *row0 = c->rows + cmp_cell(c, r, p, s) * ns * c->ncols_all;
                    row0[cmp_col_rank(c, i)] = rk[p];
                    row0[cmp_col_regret(c, i)] = rg[p];
                }
            }
            for (size_t p = 0; p < c->npkg; p++) {
                double mr = -INFINITY;
                for (size_t s = 0; s < c->nshk && !isnan(mr); s++) {
                    double x = c->rows[cmp_cell(c, r, p, s) * ns * c->ncols_all + cmp_col_regret(c, i)];
                    mr = isnan(x) ? NAN : fmax(mr, x);
                }
                g[p] = -mr; /* smaller regret is better */
                c->rows[cmp_cell(c, r, p, 0) * ns * c->ncols_all + cmp_col_maxregret(c, i)] = mr;
            }
            cmp_rank(c->npkg, g, rk);
            for (size_t p = 0; p < c->npkg; p++) {
                c->rows[cmp_cell(c, r, p, 0) * ns * c->ncols_all + cmp_col_maxrank(c, i)] = rk[p];
                c->rows[cmp_col_better(c, i)] = better; /* block 0, row 0 */
            }
        }
    wd_xfree(g);
    wd_xfree(rk);
    wd_xfree(rg);
}
