/* compare_out.c: what a comparison writes: one HDF5 file (through the
 * writer of single runs, sink_hdf5.c, with region, package and shock as
 * outer dimensions), the tidy CSV beside it, the summary table and the plan.
 * The last stage of `wandel compare`; compare.c produced the numbers.
 */
#include "compare.h"

#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- HDF5 ------------------------------------------------------------------------------ */

wd_status wd_comparison_write_hdf5(const wd_comparison *c, const char *path, wd_diags *diags)
{
    if (!c->ran) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "the comparison has not been run");
        return WD_E_ARG;
    }
    wd_arena *a = wd_arena_new();
    if (!a)
        return WD_E_NOMEM;
    wd_status st = WD_E_NOMEM;
    size_t ni = c->ind.n;
    /* outer dimensions */
    const char **pk = wd_arena_alloc(a, (c->npkg + 1) * sizeof *pk);
    const char **sk = wd_arena_alloc(a, (c->nshk + 1) * sizeof *sk);
    const char **ik = wd_arena_alloc(a, (ni + 1) * sizeof *ik);
    out_dim *dims = wd_arena_alloc(a, 4 * sizeof *dims);
    const out_dim **outer = wd_arena_alloc(a, 3 * sizeof *outer);
    size_t nvars = c->nov + 6;
    out_var *vars = wd_arena_alloc(a, nvars * sizeof *vars);
    unsigned *masks = wd_arena_alloc(a, nvars * sizeof *masks);
    const out_dim **ind_dims = wd_arena_alloc(a, sizeof *ind_dims);
    if (!pk || !sk || !ik || !dims || !outer || !vars || !masks || !ind_dims)
        goto done;
    for (size_t p = 0; p < c->npkg; p++)
        pk[p] = cmp_pkg_name(c, p);
    for (size_t s = 0; s < c->nshk; s++)
        sk[s] = cmp_shk_name(c, s);
    for (size_t i = 0; i < ni; i++)
        ik[i] = c->ind.v[i].name;
    dims[0] = (out_dim){"region", c->nreg, c->reg_names};
    dims[1] = (out_dim){"package", c->npkg, pk};
    dims[2] = (out_dim){"shock", c->nshk, sk};
    dims[3] = (out_dim){"indicator", ni, ik};
    for (int k = 0; k < 3; k++)
        outer[k] = &dims[k];
    ind_dims[0] = &dims[3];
    size_t nv = 0;
    for (size_t i = 0; i < c->nov; i++) {
        const cmp_outvar *o = &c->ov[i];
        vars[nv] = (out_var){o->name, o->units, o->doc, false, o->ndims, o->dims, o->first_col, o->nelems};
        masks[nv++] = 7;
    }
    if (ni > 0) {
        static const struct {
            const char *name, *doc;
            unsigned mask;
        } iv[] = {
            {"indicator_value", "the indicators of each cell (docs/comparison.md defines them; units in "
                                "the root attribute indicator_units)", 7},
            {"indicator_rank", "rank of the package among all packages by the indicator within the region "
                               "and shock (1 = best; direction in indicator_better)", 7},
            {"indicator_regret", "regret of the package: the best package's value minus its own, in the "
                                 "better direction, within the region and shock (Savage 1951)", 7},
            {"max_regret", "the package's largest regret across the shocks, 'none' included (minimax "
                           "regret: the smallest is the robust choice)", 3},
            {"max_regret_rank", "rank of the package by its largest regret (1 = smallest)", 3},
            {"indicator_better", "+1: higher values of the indicator are better; -1: lower are", 0},
        };
        size_t cols[] = {cmp_col_value(c, 0),     cmp_col_rank(c, 0),    cmp_col_regret(c, 0),
                         cmp_col_maxregret(c, 0), cmp_col_maxrank(c, 0), cmp_col_better(c, 0)};
        for (size_t k = 0; k < 6; k++) {
            vars[nv] = (out_var){iv[k].name, "", iv[k].doc, true, 1, ind_dims, cols[k], ni};
            masks[nv++] = iv[k].mask;
        }
    }
    /* root attributes */
    wd_buf lab[4] = {{0}};
    for (size_t p = 0; p < c->npkg; p++)
        wd_buf_printf(&lab[0], "%s\t%s\t%s\n", cmp_pkg_name(c, p), c->cfg->packages[p].label, c->cfg->packages[p].doc);
    wd_buf_printf(&lab[1], "none\tno shock (the counterfactual)\t\n");
    for (size_t s = 1; s < c->nshk; s++)
        wd_buf_printf(&lab[1], "%s\t%s\t%s\n", cmp_shk_name(c, s), c->cfg->shocks[s - 1].label,
                      c->cfg->shocks[s - 1].doc);
    for (size_t i = 0; i < ni; i++) {
        wd_buf_printf(&lab[2], "%s\t%s\n", c->ind.v[i].name, c->ind.v[i].units);
        wd_buf_printf(&lab[3], "%s\t%s\n", c->ind.v[i].name, c->ind.v[i].doc);
    }
    char num[4][64];
    snprintf(num[0], sizeof num[0], "%.10g", c->band);
    snprintf(num[1], sizeof num[1], "%.10g", c->floor);
    snprintf(num[2], sizeof num[2], "%.10g", c->report_year);
    snprintf(num[3], sizeof num[3], "%.10g", c->cumulative_until);
    const char *an[] = {"wandel_kind",      "comparison_packages", "comparison_shocks",  "indicator_units",
                        "indicator_docs",   "resilience_band",     "resilience_floor",   "report_year",
                        "cumulative_until", "score"};
    const char *av[] = {"comparison",   wd_buf_str(&lab[0]), wd_buf_str(&lab[1]), wd_buf_str(&lab[2]),
                        wd_buf_str(&lab[3]), num[0], num[1], num[2], num[3], c->score_doc ? c->score_doc : ""};
    bool oom = false;
    for (int k = 0; k < 4; k++)
        oom |= lab[k].oom;
    if (!oom) {
        out_view v = {
            .nsaved = c->nsaved,
            .times = c->times,
            .ncols = c->ncols_all,
            .rows = c->rows,
            .nvars = nv,
            .vars = vars,
            .time_units = c->model->time_units ? c->model->time_units : "",
            .model_path = c->model->path,
            .model_sha256 = c->model->sha256,
            .scenario_path = c->cfg->path,
            .scenario_text = c->cfg->text,
            .method = c->method,
            .rtol = c->rtol,
            .atol = c->atol,
            .time_step = c->dt,
            .saveper = c->saveper,
            .seed = c->seed,
            .complete = c->nfailed == 0,
            .reason = c->nfailed ? "some runs of the comparison failed; their cells read NaN after the fault" : NULL,
            .nouter = 3,
            .outer = outer,
            .outer_masks = masks,
            .nattrs = sizeof an / sizeof an[0],
            .attr_names = an,
            .attr_values = av,
        };
        st = sink_hdf5_write(&v, path, diags);
    }
    for (int k = 0; k < 4; k++)
        wd_buf_free(&lab[k]);
done:
    wd_arena_free(a);
    return st;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

static void csv_field(wd_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        wd_buf_puts(b, s);
        return;
    }
    wd_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            wd_buf_putc(b, '"');
        wd_buf_putc(b, *s);
    }
    wd_buf_putc(b, '"');
}

static void csv_row(wd_buf *b, const char *region, const char *pkg, const char *shock, const char *prefix,
                    const char *ind, double v)
{
    csv_field(b, region);
    wd_buf_putc(b, ',');
    csv_field(b, pkg);
    wd_buf_putc(b, ',');
    csv_field(b, shock);
    wd_buf_putc(b, ',');
    wd_buf_puts(b, prefix);
    csv_field(b, ind);
    /* %.10g prints inf and nan, which pandas and R read as numbers */
    wd_buf_printf(b, ",%.10g\n", v);
}

wd_status wd_comparison_write_csv(const wd_comparison *c, const char *path, wd_diags *diags)
{
    if (!c->ran) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "the comparison has not been run");
        return WD_E_ARG;
    }
    wd_buf b = {0};
    wd_buf_puts(&b, "region,package,shock,indicator,value\n");
    size_t ni = c->ind.n;
    for (size_t r = 0; r < c->nreg; r++)
        for (size_t p = 0; p < c->npkg; p++) {
            for (size_t s = 0; s < c->nshk; s++)
                for (size_t i = 0; i < ni; i++)
                    csv_row(&b, c->reg_names[r], cmp_pkg_name(c, p), cmp_shk_name(c, s), "", c->ind.v[i].name,
                            wd_comparison_value(c, r, p, s, i));
            for (size_t s = 0; s < c->nshk; s++)
                for (size_t i = 0; i < ni; i++) {
                    csv_row(&b, c->reg_names[r], cmp_pkg_name(c, p), cmp_shk_name(c, s), "rank_", c->ind.v[i].name,
                            wd_comparison_rank(c, r, p, s, i));
                    csv_row(&b, c->reg_names[r], cmp_pkg_name(c, p), cmp_shk_name(c, s), "regret_",
                            c->ind.v[i].name, wd_comparison_regret(c, r, p, s, i));
                }
            for (size_t i = 0; i < ni; i++) {
                csv_row(&b, c->reg_names[r], cmp_pkg_name(c, p), "all", "max_regret_", c->ind.v[i].name,
                        wd_comparison_max_regret(c, r, p, i));
                csv_row(&b, c->reg_names[r], cmp_pkg_name(c, p), "all", "max_regret_rank_", c->ind.v[i].name,
                        wd_comparison_max_regret_rank(c, r, p, i));
            }
        }
    if (b.oom) {
        wd_buf_free(&b);
        return WD_E_NOMEM;
    }
    wd_status st = wd_write_file_atomic(path, wd_buf_str(&b), b.n, diags);
    wd_buf_free(&b);
    return st;
}

/* ---- summary -------------------------------------------------------------------------------- */

static void put_num(FILE *out, int width, double v, int prec)
{
    if (isnan(v))
        fprintf(out, " %*s", width, "n/a");
    else if (isinf(v))
        fprintf(out, " %*s", width, v > 0 ? "never" : "-inf");
    else
        fprintf(out, " %*.*f", width, prec, v);
}

void wd_comparison_print_summary(const wd_comparison *c, FILE *out)
{
    if (!c->ran)
        return;
    if (c->ind.n == 0) {
        fprintf(out, "%s: %zu cells, %zu runs; no indicators (compare.variables names none the model has)\n",
                wd_comparison_name(c), c->ncells, c->runs.n);
        return;
    }
    size_t crit = c->score_ind != SIZE_MAX ? c->score_ind : 0;
    char y[32];
    snprintf(y, sizeof y, "%.10g", c->report_year);
    char jn[64], un[64], cn[64];
    snprintf(jn, sizeof jn, "jobs_change_%s_pct", y);
    snprintf(un, sizeof un, "unemployment_rate_%s", y);
    snprintf(cn, sizeof cn, "co2_change_%s_pct", y);
    size_t ij = wd_comparison_find(c, WD_CMP_INDICATOR, jn), iu = wd_comparison_find(c, WD_CMP_INDICATOR, un),
           ic = wd_comparison_find(c, WD_CMP_INDICATOR, cn),
           irs = wd_comparison_find(c, WD_CMP_INDICATOR, "resistance"),
           irc = wd_comparison_find(c, WD_CMP_INDICATOR, "recovery_years"),
           il = wd_comparison_find(c, WD_CMP_INDICATOR, "jobs_lost_job_years");
    fprintf(out, "%s: %zu regions x %zu packages x %zu shocks (+ counterfactual) = %zu cells; %zu runs, %zu programs\n",
            wd_comparison_name(c), c->nreg, c->npkg, c->nshk - 1, c->ncells, c->runs.n, c->progs.n);
    fprintf(out, "best package per region by minimax regret of '%s' across the shocks ('none' included);\n",
            c->ind.v[crit].name);
    fprintf(out, "jobs, unemployment and CO2 in %s without shock; resilience the worst across the shocks\n\n", y);
    int rw = 6, pw = 7;
    for (size_t r = 0; r < c->nreg; r++)
        rw = (int)strlen(c->reg_names[r]) > rw ? (int)strlen(c->reg_names[r]) : rw;
    for (size_t p = 0; p < c->npkg; p++)
        pw = (int)strlen(cmp_pkg_name(c, p)) > pw ? (int)strlen(cmp_pkg_name(c, p)) : pw;
    if (rw > 24)
        rw = 24;
    if (pw > 28)
        pw = 28;
    fprintf(out, "%-*s %-*s %10s %9s %9s %9s %10s %9s %12s\n", rw, "region", pw, "best", "max regret", "jobs %",
            "unemp %", "CO2 %", "resistance", "recovery", "job-years");
    for (size_t r = 0; r < c->nreg; r++) {
        size_t best = SIZE_MAX;
        for (size_t p = 0; p < c->npkg; p++)
            if (wd_comparison_max_regret_rank(c, r, p, crit) == 1 && best == SIZE_MAX)
                best = p;
        if (best == SIZE_MAX) {
            fprintf(out, "%-*.*s %-*s (no result)\n", rw, rw, c->reg_names[r], pw, "-");
            continue;
        }
        fprintf(out, "%-*.*s %-*.*s", rw, rw, c->reg_names[r], pw, pw, cmp_pkg_name(c, best));
        put_num(out, 10, wd_comparison_max_regret(c, r, best, crit), 2);
        put_num(out, 9, ij == SIZE_MAX ? NAN : wd_comparison_value(c, r, best, 0, ij), 1);
        put_num(out, 9, iu == SIZE_MAX ? NAN : wd_comparison_value(c, r, best, 0, iu), 1);
        put_num(out, 9, ic == SIZE_MAX ? NAN : wd_comparison_value(c, r, best, 0, ic), 1);
        double wres = INFINITY, wrec = -INFINITY, wloss = -INFINITY;
        for (size_t s = 1; s < c->nshk; s++) {
            if (irs != SIZE_MAX)
                wres = fmin(wres, wd_comparison_value(c, r, best, s, irs));
            if (irc != SIZE_MAX)
                wrec = fmax(wrec, wd_comparison_value(c, r, best, s, irc));
            if (il != SIZE_MAX)
                wloss = fmax(wloss, wd_comparison_value(c, r, best, s, il));
        }
        bool have = c->nshk > 1;
        put_num(out, 10, have && irs != SIZE_MAX ? wres : NAN, 2);
        if (have && irc != SIZE_MAX && isfinite(wrec))
            fprintf(out, " %8.1fy", wrec);
        else
            put_num(out, 9, have && irc != SIZE_MAX ? wrec : NAN, 1);
        put_num(out, 12, have && il != SIZE_MAX ? wloss : NAN, 0);
        fprintf(out, "\n");
    }
    fprintf(out, "\nranking by max regret (best first):\n");
    for (size_t r = 0; r < c->nreg; r++) {
        fprintf(out, "  %-*.*s", rw, rw, c->reg_names[r]);
        for (size_t rank = 1; rank <= c->npkg; rank++)
            for (size_t p = 0; p < c->npkg; p++)
                if (wd_comparison_max_regret_rank(c, r, p, crit) == (double)rank)
                    fprintf(out, " %s(%.3g)", cmp_pkg_name(c, p), wd_comparison_max_regret(c, r, p, crit));
        for (size_t p = 0; p < c->npkg; p++)
            if (isnan(wd_comparison_max_regret_rank(c, r, p, crit)))
                fprintf(out, " %s(n/a)", cmp_pkg_name(c, p));
        fprintf(out, "\n");
    }
}

void wd_comparison_print_plan(const wd_comparison *c, FILE *out)
{
    fprintf(out, "%s: model %s\n", wd_comparison_name(c), c->model->path);
    fprintf(out, "regions (%zu):", c->nreg);
    for (size_t r = 0; r < c->nreg; r++)
        fprintf(out, " %s", c->reg_names[r]);
    fprintf(out, "\npackages (%zu):\n", c->npkg);
    for (size_t p = 0; p < c->npkg; p++) {
        const scn_cmp_case *k = &c->cfg->packages[p];
        fprintf(out, "  %-20s %s (%zu layer%s)\n", k->name, k->label, k->nlayers, k->nlayers == 1 ? "" : "s");
    }
    fprintf(out, "shocks (%zu, plus none):\n", c->nshk - 1);
    for (size_t s = 1; s < c->nshk; s++) {
        const scn_cmp_case *k = &c->cfg->shocks[s - 1];
        fprintf(out, "  %-20s %s (%zu layer%s)\n", k->name, k->label, k->nlayers, k->nlayers == 1 ? "" : "s");
    }
    fprintf(out, "indicators (%zu):", c->ind.n);
    for (size_t i = 0; i < c->ind.n; i++)
        fprintf(out, " %s", c->ind.v[i].name);
    fprintf(out, "\nseries written (%zu):", c->nov);
    for (size_t i = 0; i < c->nov; i++)
        fprintf(out, " '%s'", c->ov[i].name);
    fprintf(out, "\n%zu cells, %zu distinct runs, %zu programs (distinct sets of inputs)\n", c->ncells, c->runs.n,
            c->progs.n);
    for (size_t i = 0; i < c->progs.n; i++) {
        fprintf(out, "  program %zu inputs:", i + 1);
        if (c->progs.v[i].ninputs == 0)
            fprintf(out, " (none)");
        for (size_t k = 0; k < c->progs.v[i].ninputs; k++)
            fprintf(out, " '%s'", c->progs.v[i].inputs[k]);
        fprintf(out, "\n");
    }
}
