/* sweep_merge.c: `wandel merge OUT.h5 SHARD...`: the shard files of one
 * sweep (written by job-array tasks with --shard I/N) combined into the file
 * the sweep would have written in one piece, summary statistics and
 * sensitivity indices included.
 *
 * Before anything is written, the shards are checked against each other:
 * all must belong to the same sweep (the SHA-256 of the sweep's
 * specification, which covers the model, the scenario's values, the design
 * and the time grid), agree on the number of shards, be present exactly once
 * each, and hold every one of their runs. Anything else is refused with the
 * file and the reason, and no output is written.
 */
#include "sweep.h"

#include "diag.h"
#include "util.h"

#include <string.h>

typedef struct merge_src {
    sweep_h5 **shards; /* by shard index */
    unsigned n;
} merge_src;

static bool merge_get(void *ctx, uint64_t run, wd_buf *buf, sweep_rec *rec)
{
    merge_src *ms = ctx;
    for (unsigned i = 0; i < ms->n; i++) {
        const sweep_meta *m = sweep_h5_meta(ms->shards[i]);
        if (run >= m->run_first && run - m->run_first < m->run_count) {
            sweep_source s = sweep_h5_source(ms->shards[i]);
            return s.get(s.ctx, run, buf, rec);
        }
    }
    return false;
}

/* Copies the description of a shard as that of the whole sweep. */
static bool copy_strv(char ***dst, char *const *src, size_t n)
{
    *dst = wd_xcalloc(n + 1, sizeof **dst);
    if (!*dst)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((*dst)[i] = wd_xstrdup(src[i])))
            return false;
    return true;
}

static bool whole_meta(const sweep_meta *s, sweep_meta *m)
{
    memset(m, 0, sizeof *m);
    memcpy(m->spec_sha, s->spec_sha, sizeof m->spec_sha);
    m->design = s->design;
    m->samples = s->samples;
    m->seed = s->seed;
    m->nruns = s->nruns;
    m->levels = s->levels;
    m->resamples = s->resamples;
    m->confidence = s->confidence;
    m->run_first = 0;
    m->run_count = s->nruns;
    m->shard_index = 0;
    m->shard_count = 1;
    m->nparams = s->nparams;
    m->nmetrics = s->nmetrics;
    m->ntime = s->ntime;
    m->series_len = s->series_len;
    m->rtol = s->rtol;
    m->atol = s->atol;
    m->time_step = s->time_step;
    m->saveper = s->saveper;
    bool ok = (m->spec_text = wd_xstrdup(s->spec_text)) && copy_strv(&m->param_names, s->param_names, s->nparams) &&
              copy_strv(&m->param_dist, s->param_dist, s->nparams) &&
              copy_strv(&m->metric_names, s->metric_names, s->nmetrics) &&
              copy_strv(&m->metric_var, s->metric_var, s->nmetrics) &&
              copy_strv(&m->metric_reduce, s->metric_reduce, s->nmetrics) &&
              copy_strv(&m->metric_units, s->metric_units, s->nmetrics) &&
              (m->metric_at = wd_xcalloc(s->nmetrics + 1, sizeof(double))) &&
              (m->times = wd_xcalloc(s->ntime + 1, sizeof(double))) && (m->time_units = wd_xstrdup(s->time_units)) &&
              (m->model_path = wd_xstrdup(s->model_path)) && (m->model_sha = wd_xstrdup(s->model_sha)) &&
              (m->scenario_path = wd_xstrdup(s->scenario_path)) &&
              (m->scenario_text = wd_xstrdup(s->scenario_text)) && (m->method = wd_xstrdup(s->method));
    if (!ok)
        return false;
    memcpy(m->metric_at, s->metric_at, s->nmetrics * sizeof(double));
    memcpy(m->times, s->times, s->ntime * sizeof(double));
    m->dims = wd_xcalloc(s->ndims + 1, sizeof *m->dims);
    m->series = wd_xcalloc(s->nseries + 1, sizeof *m->series);
    if (!m->dims || !m->series)
        return false;
    for (size_t i = 0; i < s->ndims; i++) {
        m->ndims++;
        m->dims[i].n = s->dims[i].n;
        if (!(m->dims[i].name = wd_xstrdup(s->dims[i].name)) ||
            !copy_strv(&m->dims[i].elems, s->dims[i].elems, s->dims[i].n))
            return false;
    }
    for (size_t i = 0; i < s->nseries; i++) {
        sweep_series *x = &m->series[i];
        const sweep_series *y = &s->series[i];
        m->nseries++;
        *x = (sweep_series){NULL, NULL, NULL, y->ndims, NULL, y->nelems, y->offset};
        if (!(x->name = wd_xstrdup(y->name)) || !(x->units = wd_xstrdup(y->units)) ||
            !(x->doc = wd_xstrdup(y->doc)) || !(x->dims = wd_xcalloc(y->ndims + 1, sizeof *x->dims)))
            return false;
        memcpy(x->dims, y->dims, y->ndims * sizeof *x->dims);
    }
    return true;
}

wd_status wd_sweep_merge(const char *out_path, const char *const *paths, size_t n, wd_diags *d)
{
    if (n == 0) {
        wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "no shard files given");
        return WD_E_ARG;
    }
    sweep_h5 **files = wd_xcalloc(n, sizeof *files);
    if (!files)
        return WD_E_NOMEM;
    wd_status st = WD_OK;
    for (size_t i = 0; i < n; i++) {
        wd_status s1 = sweep_h5_open(paths[i], d, &files[i]);
        if (s1 != WD_OK && st == WD_OK)
            st = s1;
    }
    sweep_h5 **by_index = NULL;
    unsigned count = 0;
    if (st == WD_OK) {
        const sweep_meta *m0 = sweep_h5_meta(files[0]);
        count = m0->shard_count;
        by_index = wd_xcalloc(count + 1, sizeof *by_index);
        size_t *from = wd_xcalloc(count + 1, sizeof *from);
        if (!by_index || !from) {
            wd_xfree(from);
            st = WD_E_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            const sweep_meta *m = sweep_h5_meta(files[i]);
            if (strcmp(m->spec_sha, m0->spec_sha) != 0) {
                wd_diag_add(d, WD_ERROR, (wd_loc){paths[i], 0, 0}, NULL,
                            "belongs to another sweep than '%s' (their sweep_spec_sha256 differ: the settings, model, "
                            "scenario values or time grid changed between the runs of the shards)",
                            paths[0]);
                st = WD_E_ARG;
                continue;
            }
            if (m->shard_count != count) {
                wd_diag_add(d, WD_ERROR, (wd_loc){paths[i], 0, 0}, NULL,
                            "is shard %u of %u, but '%s' is one of %u shards", m->shard_index, m->shard_count,
                            paths[0], count);
                st = WD_E_ARG;
                continue;
            }
            if (by_index[m->shard_index]) {
                wd_diag_add(d, WD_ERROR, (wd_loc){paths[i], 0, 0}, NULL, "is shard %u of %u, and so is '%s'",
                            m->shard_index, count, paths[from[m->shard_index]]);
                st = WD_E_ARG;
                continue;
            }
            uint64_t missing;
            if (!sweep_h5_complete(files[i], &missing)) {
                wd_diag_add(d, WD_ERROR, (wd_loc){paths[i], 0, 0}, NULL,
                            "shard %u of %u is incomplete: %llu of its %llu runs have no result", m->shard_index,
                            count, (unsigned long long)missing, (unsigned long long)m->run_count);
                st = WD_E_ARG;
            }
            by_index[m->shard_index] = files[i];
            from[m->shard_index] = i;
        }
        for (unsigned k = 0; k < count; k++)
            if (!by_index[k]) {
                uint64_t first = m0->nruns * k / count, last = m0->nruns * (k + 1) / count;
                wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL,
                            "shard %u of %u is missing (runs %llu to %llu); give every shard file of the sweep", k,
                            count, (unsigned long long)first, (unsigned long long)(last ? last - 1 : 0));
                st = WD_E_ARG;
            }
        wd_xfree(from);
    }
    if (st == WD_OK) {
        sweep_meta whole;
        if (!whole_meta(sweep_h5_meta(by_index[0]), &whole)) {
            sweep_meta_free(&whole);
            st = WD_E_NOMEM;
            goto done;
        }
        merge_src ms = {by_index, count};
        sweep_source src = {&ms, merge_get};
        st = sweep_h5_write(&whole, &src, out_path, d);
        sweep_meta_free(&whole);
    }
done:
    for (size_t i = 0; i < n; i++)
        sweep_h5_close(files[i]);
    wd_xfree(files);
    wd_xfree(by_index);
    return st;
}
