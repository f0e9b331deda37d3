/* sweep.c: a sweep prepared (the scenario's sweep group checked against the
 * model, the time grid, the parameter values of every run) and run by
 * workers, one run at a time, into records (see sweep.h for the pipeline).
 *
 * Metrics reduce a saved variable over the run's save points:
 *   final     the value at the last save point;
 *   max, min  over the save points;
 *   integral  the trapezoidal rule over the save points (so a finer SAVEPER
 *             gives a finer integral);
 *   mean      that integral divided by the time it spans (a time-weighted
 *             mean; the value itself for a single save point);
 *   at        linear interpolation between the save points around `at`.
 * A run that fails has NaN metrics; its stored series keep the values saved
 * before the failure and NaN after.
 */
#include "sweep.h"

#include "run_internal.h"
#include "session.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- records ------------------------------------------------------------------------- */

enum { REC_MAGIC = 0x31435257u /* "WRC1" */, REC_HEAD = 24 };

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

/* CRC-32 (IEEE 802.3, reflected), as zlib's crc32. */
uint32_t sweep_crc32(const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const unsigned char *b = p;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ b[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

size_t sweep_rec_size(const sweep_meta *m, size_t reason_len)
{
    return REC_HEAD + pad8(reason_len) + 8 * (m->nparams + m->nmetrics + m->series_len) + 8;
}

bool sweep_rec_put(wd_buf *b, const sweep_meta *m, uint64_t run, int status, const char *reason,
                   const double *params, const double *metrics, const double *series)
{
    size_t rlen = reason ? strlen(reason) : 0;
    if (rlen > SWEEP_REASON_MAX)
        rlen = SWEEP_REASON_MAX;
    size_t len = sweep_rec_size(m, rlen), start = b->n;
    if (len > UINT32_MAX)
        return false;
    /* grow once, then fill in place */
    if (b->cap < b->n + len + 1) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *ns = wd_xrealloc(b->s, cap);
        if (!ns) {
            b->oom = true;
            return false;
        }
        b->s = ns;
        b->cap = cap;
    }
    unsigned char *p = (unsigned char *)b->s + start;
    memset(p, 0, len);
    uint32_t magic = REC_MAGIC, len32 = (uint32_t)len, st = (uint32_t)status, r32 = (uint32_t)rlen;
    memcpy(p, &magic, 4);
    memcpy(p + 4, &len32, 4);
    memcpy(p + 8, &run, 8);
    memcpy(p + 16, &st, 4);
    memcpy(p + 20, &r32, 4);
    size_t o = REC_HEAD;
    if (rlen)
        memcpy(p + o, reason, rlen);
    o += pad8(rlen);
    memcpy(p + o, params, 8 * m->nparams);
    o += 8 * m->nparams;
    if (m->nmetrics)
        memcpy(p + o, metrics, 8 * m->nmetrics);
    o += 8 * m->nmetrics;
    if (m->series_len)
        memcpy(p + o, series, 8 * m->series_len);
    o += 8 * m->series_len;
    uint32_t crc = sweep_crc32(p + 8, o - 8);
    memcpy(p + o, &crc, 4);
    b->n += len;
    b->s[b->n] = 0;
    return true;
}

bool sweep_rec_get(const void *vp, size_t avail, const sweep_meta *m, sweep_rec *out, size_t *len)
{
    const unsigned char *p = vp;
    if (avail < REC_HEAD)
        return false;
    uint32_t magic, len32, st, r32;
    uint64_t run;
    memcpy(&magic, p, 4);
    memcpy(&len32, p + 4, 4);
    memcpy(&run, p + 8, 8);
    memcpy(&st, p + 16, 4);
    memcpy(&r32, p + 20, 4);
    if (magic != REC_MAGIC || r32 > SWEEP_REASON_MAX || len32 != sweep_rec_size(m, r32) || len32 > avail)
        return false;
    if (st != SWEEP_OK && st != SWEEP_FAILED)
        return false;
    if (run < m->run_first || run - m->run_first >= m->run_count)
        return false;
    size_t body = len32 - 8;
    uint32_t crc;
    memcpy(&crc, p + body, 4);
    if (crc != sweep_crc32(p + 8, body - 8))
        return false;
    out->run = run;
    out->status = (int)st;
    out->reason = (const char *)p + REC_HEAD;
    out->reason_len = r32;
    size_t o = REC_HEAD + pad8(r32);
    out->params = (const double *)(const void *)(p + o);
    o += 8 * m->nparams;
    out->metrics = (const double *)(const void *)(p + o);
    o += 8 * m->nmetrics;
    out->series = (const double *)(const void *)(p + o);
    *len = len32;
    return true;
}

void sweep_rec_doubles(const double *from, size_t n, double *to)
{
    if (n)
        memcpy(to, (const void *)from, n * sizeof(double));
}

/* ---- meta ------------------------------------------------------------------------------ */

static void free_strv(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        wd_xfree(v[i]);
    wd_xfree(v);
}

void sweep_meta_free(sweep_meta *m)
{
    if (!m)
        return;
    wd_xfree(m->spec_text);
    free_strv(m->param_names, m->nparams);
    free_strv(m->param_dist, m->nparams);
    free_strv(m->metric_names, m->nmetrics);
    free_strv(m->metric_var, m->nmetrics);
    free_strv(m->metric_reduce, m->nmetrics);
    free_strv(m->metric_units, m->nmetrics);
    wd_xfree(m->metric_at);
    wd_xfree(m->times);
    wd_xfree(m->time_units);
    for (size_t i = 0; i < m->ndims; i++) {
        wd_xfree(m->dims[i].name);
        free_strv(m->dims[i].elems, m->dims[i].n);
    }
    wd_xfree(m->dims);
    for (size_t i = 0; i < m->nseries; i++) {
        wd_xfree(m->series[i].name);
        wd_xfree(m->series[i].units);
        wd_xfree(m->series[i].doc);
        wd_xfree(m->series[i].dims);
    }
    wd_xfree(m->series);
    wd_xfree(m->model_path);
    wd_xfree(m->model_sha);
    wd_xfree(m->scenario_path);
    wd_xfree(m->scenario_text);
    wd_xfree(m->method);
    memset(m, 0, sizeof *m);
}

void sweep_meta_design(const sweep_meta *m, design *d)
{
    memset(d, 0, sizeof *d);
    d->kind = m->design;
    d->k = m->nparams;
    d->samples = m->samples;
    d->levels = m->levels;
    d->seed = m->seed;
    d->nruns = m->nruns;
}

/* ---- preparing ---------------------------------------------------------------------------- */

static void err_at(wd_diags *d, scn_src at, const char *fmt, ...) WD_PRINTF(3, 4);
static void err_at(wd_diags *d, scn_src at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_diag_vadd(d, WD_ERROR, (wd_loc){at.file, at.line, 0}, NULL, fmt, ap);
    va_end(ap);
}

static void put_num(wd_buf *b, double v)
{
    char tmp[40];
    wd_format_double(tmp, sizeof tmp, v, 17);
    wd_buf_puts(b, tmp);
}

/* "uniform(min=0.03, max=0.09)" */
static char *dist_text(const scn_sweep_param *p)
{
    wd_buf b = {0};
    wd_buf_printf(&b, "%s(", scn_dist_names[p->dist]);
    const char *sep = "";
#define NUM(name, v)                                                                                        \
    do {                                                                                                    \
        if (!isnan(v)) {                                                                                    \
            wd_buf_printf(&b, "%s%s=", sep, name);                                                          \
            put_num(&b, v);                                                                                 \
            sep = ", ";                                                                                     \
        }                                                                                                   \
    } while (0)
    NUM("mean", p->mean);
    NUM("sd", p->sd);
    NUM("mu", p->mu);
    NUM("sigma", p->sigma);
    NUM("min", p->min);
    NUM("mode", p->mode);
    NUM("max", p->max);
#undef NUM
    if (p->dist == SCN_DISCRETE) {
        wd_buf_puts(&b, "values=[");
        for (size_t i = 0; i < p->nvalues; i++) {
            if (i)
                wd_buf_puts(&b, ", ");
            put_num(&b, p->values[i]);
        }
        wd_buf_puts(&b, "]");
        if (p->weights) {
            wd_buf_puts(&b, ", weights=[");
            for (size_t i = 0; i < p->nvalues; i++) {
                if (i)
                    wd_buf_puts(&b, ", ");
                put_num(&b, p->weights[i]);
            }
            wd_buf_puts(&b, "]");
        }
    }
    if (p->levels)
        wd_buf_printf(&b, "%slevels=%u", sep, p->levels);
    wd_buf_puts(&b, ")");
    return b.oom ? (wd_buf_free(&b), NULL) : wd_buf_take(&b);
}

/* The text whose SHA-256 identifies the sweep: every setting that shapes
 * the runs' results, in a fixed format (not the scenario's text, so that a
 * comment changed between an interruption and --resume does no harm, and
 * shards of one sweep agree). */
static char *spec_text(const wd_sweep *sw)
{
    const wd_scenario *s = sw->scn;
    const scn_sweep *w = &s->sweep;
    const sweep_meta *m = &sw->meta;
    const wd_run_opts *o = &sw->opts;
    wd_buf b = {0};
    wd_buf_printf(&b, "wandel sweep 1\nmodel_sha256 %s\ndesign %s\nsamples %llu\nlevels %u\nseed %llu\nruns %llu\n",
                  wd_model_sha256(sw->model), scn_design_names[m->design], (unsigned long long)m->samples,
                  m->levels, (unsigned long long)m->seed, (unsigned long long)m->nruns);
    wd_buf_printf(&b, "resamples %ld\nconfidence ", m->resamples);
    put_num(&b, m->confidence);
    wd_buf_putc(&b, '\n');
    for (size_t j = 0; j < m->nparams; j++)
        wd_buf_printf(&b, "param %s = %s\n", m->param_names[j], m->param_dist[j]);
    for (size_t j = 0; j < m->nmetrics; j++) {
        wd_buf_printf(&b, "metric %s = %s(%s", m->metric_names[j], m->metric_reduce[j], m->metric_var[j]);
        if (!isnan(m->metric_at[j])) {
            wd_buf_puts(&b, ", ");
            put_num(&b, m->metric_at[j]);
        }
        wd_buf_puts(&b, ")\n");
    }
    for (size_t j = 0; j < m->nseries; j++)
        wd_buf_printf(&b, "store %s\n", m->series[j].name);
    wd_buf_printf(&b, "method %s rtol ", wd_method_name(o->method));
    put_num(&b, o->rtol);
    wd_buf_puts(&b, " atol ");
    put_num(&b, o->atol);
    wd_buf_puts(&b, " hmax ");
    put_num(&b, o->hmax);
    wd_buf_puts(&b, "\ntime ");
    const double tv[] = {o->initial_time, o->final_time, o->time_step, o->saveper};
    for (int i = 0; i < 4; i++) {
        put_num(&b, tv[i]);
        wd_buf_putc(&b, i < 3 ? ' ' : '\n');
    }
    for (size_t i = 0; i < s->nsets; i++) {
        const scn_set *e = &s->sets[i];
        wd_buf_printf(&b, "set %s =", e->var);
        if (!e->is_series) {
            wd_buf_putc(&b, ' ');
            put_num(&b, e->value);
        } else {
            wd_buf_printf(&b, " %s", e->interp == SCN_STEP ? "step" : "linear");
            for (size_t k = 0; k < e->npoints; k++) {
                wd_buf_puts(&b, " (");
                put_num(&b, e->times[k]);
                wd_buf_puts(&b, ", ");
                put_num(&b, e->values[k]);
                wd_buf_putc(&b, ')');
            }
        }
        wd_buf_putc(&b, '\n');
    }
    wd_buf_printf(&b, "grid %zu", m->ntime);
    if (m->ntime) {
        wd_buf_putc(&b, ' ');
        put_num(&b, m->times[0]);
        wd_buf_putc(&b, ' ');
        put_num(&b, m->times[m->ntime - 1]);
    }
    wd_buf_putc(&b, '\n');
    (void)w;
    return b.oom ? (wd_buf_free(&b), NULL) : wd_buf_take(&b);
}

static char **strv_new(size_t n) { return wd_xcalloc(n ? n : 1, sizeof(char *)); }

static char *dup_or_empty(const char *s) { return wd_xstrdup(s ? s : ""); }

/* Index of range `dim` in meta.dims, added when new. */
static size_t meta_dim(sweep_meta *meta, const wd_model *m, int dim, bool *nomem)
{
    const dim_t *dd = &m->dims.v[dim];
    for (size_t i = 0; i < meta->ndims; i++)
        if (strcmp(meta->dims[i].name, dd->raw) == 0)
            return i;
    sweep_dim *nd = wd_xrealloc(meta->dims, (meta->ndims + 1) * sizeof *nd);
    if (!nd) {
        *nomem = true;
        return 0;
    }
    meta->dims = nd;
    sweep_dim *x = &meta->dims[meta->ndims];
    memset(x, 0, sizeof *x);
    x->name = wd_xstrdup(dd->raw);
    x->elems = strv_new(dd->n);
    if (!x->name || !x->elems) {
        wd_xfree(x->name);
        wd_xfree(x->elems);
        *nomem = true;
        return 0;
    }
    x->n = dd->n;
    for (size_t k = 0; k < dd->n; k++)
        if (!(x->elems[k] = wd_xstrdup(m->elems.v[dd->elems[k]].raw)))
            *nomem = true;
    return meta->ndims++;
}

/* Names the output uses besides the user's. */
static const char *const fixed_names[] = {"run", "time", "status", "reason", "param", "metric", "stat",
                                          "metric_summary", "S1", "S1_conf", "ST", "ST_conf", "mu",
                                          "mu_star", "mu_star_conf", "sigma", NULL};

/* Every dataset name of the output once: user names against each other and
 * against the fixed ones. */
typedef struct named {
    const char *name;
    scn_src src;
    const char *what;
} named;

static bool check_names(wd_sweep *sw, wd_diags *d)
{
    const scn_sweep *w = &sw->scn->sweep;
    const sweep_meta *m = &sw->meta;
    size_t total = m->nparams + m->nmetrics + m->nseries;
    wd_map *taken = wd_map_new();
    named *items = wd_xcalloc(total + 1, sizeof *items);
    if (!taken || !items) {
        wd_map_free(taken);
        wd_xfree(items);
        return false;
    }
    bool ok = true;
    /* map value: 0 = a fixed name or a range, i + 1 = items[i] */
    for (size_t i = 0; fixed_names[i]; i++)
        wd_map_put(taken, fixed_names[i], 0);
    for (size_t i = 0; i < m->ndims; i++)
        wd_map_put(taken, m->dims[i].name, 0);
    size_t n = 0;
    for (size_t i = 0; i < m->nparams; i++)
        items[n++] = (named){m->param_names[i], w->params[i].src, "sweep param"};
    for (size_t i = 0; i < m->nmetrics; i++)
        items[n++] = (named){m->metric_names[i], w->metrics[i].src, "sweep metric"};
    for (size_t i = 0; i < m->nseries; i++)
        items[n++] = (named){m->series[i].name, w->store[i].src, "sweep.store"};
    for (size_t i = 0; i < n; i++) {
        size_t prev;
        if (!wd_map_get(taken, items[i].name, &prev)) {
            wd_map_put(taken, items[i].name, i + 1);
            continue;
        }
        if (prev == 0)
            err_at(d, items[i].src,
                   "%s '%s': the output has a dataset of that name already (a subscript range, or one of run, "
                   "time, status, reason, param, metric, stat, metric_summary, S1, S1_conf, ST, ST_conf, mu, "
                   "mu_star, mu_star_conf, sigma); choose another name",
                   items[i].what, items[i].name);
        else
            err_at(d, items[i].src, "%s '%s' has the name of %s '%s' (line %d); each needs its own dataset",
                   items[i].what, items[i].name, items[prev - 1].what, items[prev - 1].name,
                   items[prev - 1].src.line);
        ok = false;
    }
    for (size_t i = 0; i < m->nseries; i++) {
        wd_buf b = {0};
        wd_buf_printf(&b, "%s_summary", m->series[i].name);
        size_t prev;
        if (wd_map_get(taken, wd_buf_str(&b), &prev) && prev > 0) {
            err_at(d, items[prev - 1].src, "%s '%s' has the name of the summary of stored series '%s'",
                   items[prev - 1].what, items[prev - 1].name, m->series[i].name);
            ok = false;
        }
        wd_buf_free(&b);
    }
    wd_map_free(taken);
    wd_xfree(items);
    return ok;
}

/* The first line of the last error in d (for a failed run's reason). */
static void first_error_line(wd_diags *d, char *out, size_t n)
{
    const char *t = wd_diags_text(d);
    const char *e = strstr(t, "error: ");
    const char *start = t;
    if (e) { /* back to the start of that line */
        start = e;
        while (start > t && start[-1] != '\n')
            start--;
    }
    size_t len = strcspn(start, "\n");
    if (len >= n)
        len = n - 1;
    memcpy(out, start, len);
    out[len] = 0;
    if (!out[0])
        snprintf(out, n, "the run failed");
}

static bool run_params(wd_run *r, const wd_sweep *sw, const double *x, wd_diags *d)
{
    const scn_sweep *w = &sw->scn->sweep;
    for (size_t j = 0; j < w->nparams; j++)
        if (wd_run_set(r, w->params[j].var, x[j], d) != WD_OK)
            return false;
    return true;
}

wd_status sweep_prepare(const wd_scenario *s, unsigned shard_index, unsigned shard_count, wd_diags *d,
                        wd_sweep **out)
{
    *out = NULL;
    const scn_sweep *w = &s->sweep;
    if (!w->present) {
        wd_diag_add(d, WD_ERROR, (wd_loc){s->path, 0, 0}, NULL,
                    "no sweep group; add sweep = { design = \"lhs\"; samples = 100; params = ( { var = \"...\"; "
                    "min = ...; max = ...; } ); metrics = ( { name = \"...\"; var = \"...\"; } ); };");
        return WD_E_ARG;
    }
    if (shard_count == 0)
        shard_count = 1;
    wd_sweep *sw = wd_xcalloc(1, sizeof *sw);
    if (!sw)
        return WD_E_NOMEM;
    sw->scn = s;
    sweep_meta *meta = &sw->meta;
    wd_run *base = NULL;
    wd_status st = WD_OK;
    bool nomem = false;
    size_t k = w->nparams;
    const char **names = wd_xcalloc(k + 1, sizeof *names);
    scn_src *srcs = wd_xcalloc(k + 1, sizeof *srcs);
    if (!names || !srcs)
        goto oom;
    for (size_t j = 0; j < k; j++) {
        names[j] = w->params[j].var;
        srcs[j] = w->params[j].src;
    }
    wd_run_opts_init(&sw->opts);
    st = session_prepare(s, names, srcs, k, d, &sw->model, &sw->program, &base, &sw->opts);
    if (st != WD_OK)
        goto fail;
    const wd_model *m = sw->model;
    uint64_t seed = w->has_seed ? w->seed : s->has_seed ? s->seed : 0;
    st = design_init(&sw->des, w, seed, d);
    if (st != WD_OK)
        goto fail;

    /* parameters: not a control variable (the runs share one time grid) */
    bool bad = false;
    meta->nparams = k;
    meta->param_names = strv_new(k);
    meta->param_dist = strv_new(k);
    if (!meta->param_names || !meta->param_dist)
        goto oom;
    for (size_t j = 0; j < k; j++) {
        const scn_sweep_param *p = &w->params[j];
        int var;
        size_t flat;
        if (!model_find(m, p->var, &var, &flat)) /* session_prepare found it: only memory can fail */
            goto oom;
        if (m->vars.v[var].control) {
            err_at(d, p->src,
                   "sweep param '%s' is a control variable; every run of a sweep keeps the scenario's time "
                   "settings (set them in time = { ... })",
                   p->var);
            bad = true;
        }
        if (!(meta->param_names[j] = wd_xstrdup(p->var)) || !(meta->param_dist[j] = dist_text(p)))
            goto oom;
    }

    /* metrics: one saved scalar each */
    size_t nm = w->nmetrics;
    meta->nmetrics = nm;
    meta->metric_names = strv_new(nm);
    meta->metric_var = strv_new(nm);
    meta->metric_reduce = strv_new(nm);
    meta->metric_units = strv_new(nm);
    meta->metric_at = wd_xcalloc(nm + 1, sizeof *meta->metric_at);
    sw->metric_col = wd_xcalloc(nm + 1, sizeof *sw->metric_col);
    if (!meta->metric_names || !meta->metric_var || !meta->metric_reduce || !meta->metric_units ||
        !meta->metric_at || !sw->metric_col)
        goto oom;
    for (size_t j = 0; j < nm; j++) {
        const scn_metric *mt = &w->metrics[j];
        int var;
        size_t flat;
        const var_t *v = NULL;
        if (!model_find(m, mt->var, &var, &flat)) {
            wd_buf b = {0};
            model_suggest(m, mt->var, &b, 3);
            err_at(d, mt->src, "sweep metric '%s': unknown variable '%s'%s%s%s", mt->name, mt->var,
                   b.n ? " (did you mean " : "", wd_buf_str(&b), b.n ? "?)" : "");
            wd_buf_free(&b);
            bad = true;
        } else if ((v = &m->vars.v[var]), flat == SIZE_MAX && v->nelems != 1) {
            wd_buf b = {0};
            model_elem_name(m, var, 0, &b);
            err_at(d, mt->src, "sweep metric '%s': '%s' has %zu elements; a metric needs one, e.g. '%s'",
                   mt->name, mt->var, v->nelems, wd_buf_str(&b));
            wd_buf_free(&b);
            bad = true;
        } else if ((sw->metric_col[j] = wd_run_col_find(base, mt->var)) == (size_t)-1) {
            err_at(d, mt->src, "sweep metric '%s': '%s' is not a saved variable (a lookup or a generated one)",
                   mt->name, mt->var);
            bad = true;
        }
        if (!(meta->metric_names[j] = wd_xstrdup(mt->name)) || !(meta->metric_var[j] = wd_xstrdup(mt->var)) ||
            !(meta->metric_reduce[j] = wd_xstrdup(scn_reduce_names[mt->reduce])) ||
            !(meta->metric_units[j] = dup_or_empty(v ? v->units : NULL)))
            goto oom;
        meta->metric_at[j] = mt->reduce == SCN_AT ? mt->at : NAN;
    }

    /* stored series */
    size_t ns = w->nstore;
    meta->series = wd_xcalloc(ns + 1, sizeof *meta->series);
    sw->series_col = wd_xcalloc(ns + 1, sizeof *sw->series_col);
    if (!meta->series || !sw->series_col)
        goto oom;
    meta->nseries = ns;
    for (size_t j = 0; j < ns; j++) {
        const scn_store *e = &w->store[j];
        sweep_series *x = &meta->series[j];
        int var;
        size_t flat;
        if (!model_find(m, e->var, &var, &flat)) {
            wd_buf b = {0};
            model_suggest(m, e->var, &b, 3);
            err_at(d, e->src, "sweep.store: unknown variable '%s'%s%s%s", e->var, b.n ? " (did you mean " : "",
                   wd_buf_str(&b), b.n ? "?)" : "");
            wd_buf_free(&b);
            bad = true;
            continue;
        }
        const var_t *v = &m->vars.v[var];
        if ((sw->series_col[j] = wd_run_col_find(base, e->var)) == (size_t)-1) {
            err_at(d, e->src, "sweep.store: '%s' is not a saved variable (a lookup or a generated one)", e->var);
            bad = true;
            continue;
        }
        wd_buf b = {0};
        if (flat == SIZE_MAX)
            wd_buf_puts(&b, model_display_name(v));
        else
            model_elem_name(m, var, flat, &b);
        x->name = b.oom ? NULL : wd_buf_take(&b);
        wd_buf_free(&b);
        x->units = dup_or_empty(v->units);
        x->doc = dup_or_empty(v->doc);
        if (!x->name || !x->units || !x->doc)
            goto oom;
        x->nelems = flat == SIZE_MAX ? v->nelems : 1;
        x->ndims = flat == SIZE_MAX ? (size_t)v->ndims : 0;
        x->dims = wd_xcalloc(x->ndims + 1, sizeof *x->dims);
        if (!x->dims)
            goto oom;
        for (size_t k2 = 0; k2 < x->ndims; k2++)
            x->dims[k2] = meta_dim(meta, m, v->dims[k2], &nomem);
        if (nomem)
            goto oom;
    }
    if (bad) {
        st = WD_E_ARG;
        goto fail;
    }

    /* the time grid, from one run with every parameter at its median */
    {
        double *mid = wd_xmalloc((k + 1) * sizeof *mid);
        if (!mid)
            goto oom;
        for (size_t j = 0; j < k; j++)
            mid[j] = design_value(&w->params[j], 0.5, 0);
        size_t before = wd_diags_count(d, WD_ERROR);
        wd_status rs = run_params(base, sw, mid, d) ? wd_run_exec(base, &sw->opts, d) : WD_E_ARG;
        wd_xfree(mid);
        if (rs != WD_OK) {
            wd_diag_add(d, WD_NOTE, (wd_loc){w->src.file, w->src.line, 0}, NULL,
                        "in the sweep's reference run (every parameter at its median), which gives the runs' "
                        "save times; the scenario must run with these values");
            st = wd_diags_count(d, WD_ERROR) > before ? WD_E_ARG : rs;
            if (rs == WD_E_NOMEM)
                st = WD_E_NOMEM;
            goto fail;
        }
    }
    meta->ntime = wd_run_nsaved(base);
    meta->times = wd_xmalloc((meta->ntime + 1) * sizeof *meta->times);
    if (!meta->times)
        goto oom;
    memcpy(meta->times, wd_run_times(base), meta->ntime * sizeof *meta->times);
    for (size_t j = 0; j < nm; j++) {
        double at = meta->metric_at[j];
        if (!isnan(at) && meta->ntime && (at < meta->times[0] || at > meta->times[meta->ntime - 1])) {
            err_at(d, w->metrics[j].src, "sweep metric '%s': at = %.15g lies outside the run (%.15g to %.15g)",
                   meta->metric_names[j], at, meta->times[0], meta->times[meta->ntime - 1]);
            bad = true;
        }
    }
    size_t off = 0;
    for (size_t j = 0; j < ns; j++) {
        meta->series[j].offset = off;
        off += meta->ntime * meta->series[j].nelems;
    }
    meta->series_len = off;

    /* the rest of the description */
    meta->design = sw->des.kind;
    meta->samples = sw->des.samples;
    meta->seed = seed;
    meta->nruns = sw->des.nruns;
    meta->levels = sw->des.levels;
    meta->resamples = w->resamples >= 0 ? w->resamples : 1000;
    meta->confidence = !isnan(w->confidence) ? w->confidence : 0.95;
    meta->shard_index = shard_index;
    meta->shard_count = shard_count;
    meta->run_first = meta->nruns * shard_index / shard_count;
    meta->run_count = meta->nruns * (shard_index + 1) / shard_count - meta->run_first;
    meta->time_units = dup_or_empty(m->time_units);
    meta->model_path = dup_or_empty(wd_model_path(m));
    meta->model_sha = dup_or_empty(wd_model_sha256(m));
    meta->scenario_path = dup_or_empty(s->path);
    meta->scenario_text = dup_or_empty(s->text);
    meta->method = dup_or_empty(wd_method_name(base->method));
    bool adaptive = base->method >= WD_RKF45;
    meta->rtol = adaptive ? base->rtol : NAN;
    meta->atol = adaptive ? base->atol : NAN;
    meta->time_step = base->dt;
    meta->saveper = base->saveper;
    if (!meta->time_units || !meta->model_path || !meta->model_sha || !meta->scenario_path ||
        !meta->scenario_text || !meta->method)
        goto oom;
    if (!check_names(sw, d) || bad) {
        st = WD_E_ARG;
        goto fail;
    }
    if ((meta->design == SCN_SOBOL || meta->design == SCN_SALTELLI) && (meta->samples & (meta->samples - 1)))
        wd_diag_add(d, WD_WARNING, (wd_loc){w->samples_src.file, w->samples_src.line, 0}, NULL,
                    "sweep.samples = %llu is not a power of two; Sobol points are balanced only in blocks of "
                    "2^m (Owen 2020)",
                    (unsigned long long)meta->samples);
    if (!(meta->spec_text = spec_text(sw)))
        goto oom;
    wd_sha256_hex(meta->spec_text, strlen(meta->spec_text), meta->spec_sha);

    /* the parameter values of this process's runs */
    if (meta->run_count) {
        if (meta->run_count > SIZE_MAX / sizeof(double) / (k ? k : 1))
            goto oom;
        double *u = wd_xmalloc(meta->run_count * k * sizeof *u);
        sw->x = wd_xmalloc(meta->run_count * k * sizeof *sw->x);
        if (!u || !sw->x) {
            wd_xfree(u);
            goto oom;
        }
        st = design_unit(&sw->des, meta->run_first, meta->run_count, u);
        if (st != WD_OK) {
            wd_xfree(u);
            goto fail;
        }
        for (uint64_t i = 0; i < meta->run_count; i++)
            for (size_t j = 0; j < k; j++)
                sw->x[i * k + j] = design_value(&w->params[j], u[i * k + j], design_lattice(&sw->des, j));
        wd_xfree(u);
    }
    wd_run_free(base);
    wd_xfree(names);
    wd_xfree(srcs);
    *out = sw;
    return WD_OK;
oom:
    st = WD_E_NOMEM;
fail:
    wd_run_free(base);
    wd_xfree(names);
    wd_xfree(srcs);
    wd_sweep_free(sw);
    return st;
}

void wd_sweep_free(wd_sweep *sw)
{
    if (!sw)
        return;
    wd_program_free(sw->program);
    wd_model_free(sw->model);
    design_free(&sw->des);
    sweep_meta_free(&sw->meta);
    wd_xfree(sw->x);
    wd_xfree(sw->metric_col);
    wd_xfree(sw->series_col);
    wd_xfree(sw);
}

unsigned long long wd_sweep_nruns(const wd_sweep *sw) { return sw->meta.nruns; }

void wd_sweep_opts_init(wd_sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->shard_count = 1;
}

wd_status wd_sweep_prepare(const wd_scenario *s, const wd_sweep_opts *o, wd_diags *diags, wd_sweep **out)
{
    unsigned si = o ? o->shard_index : 0, sc = o && o->shard_count ? o->shard_count : 1;
    if (si >= sc) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){0}, NULL, "shard %u of %u does not exist (shards are 0 to %u)", si, sc,
                    sc - 1);
        return WD_E_ARG;
    }
    return sweep_prepare(s, si, sc, diags, out);
}

/* ---- workers ---------------------------------------------------------------------------------- */

struct sweep_worker {
    const wd_sweep *sw;
    wd_run *run;
    wd_diags *d;
    wd_run_opts opts;
    double *metrics, *series, *y;
};

wd_status sweep_worker_new(const wd_sweep *sw, sweep_worker **out)
{
    *out = NULL;
    sweep_worker *w = wd_xcalloc(1, sizeof *w);
    if (!w)
        return WD_E_NOMEM;
    w->sw = sw;
    w->opts = sw->opts;
    const sweep_meta *m = &sw->meta;
    w->d = wd_diags_new();
    w->metrics = wd_xmalloc((m->nmetrics + 1) * sizeof(double));
    w->series = wd_xmalloc((m->series_len + 1) * sizeof(double));
    w->y = wd_xmalloc((m->ntime + 1) * sizeof(double));
    wd_status st = WD_E_NOMEM;
    if (w->d && w->metrics && w->series && w->y && (st = wd_run_new(sw->program, &w->run)) == WD_OK)
        st = session_apply_sets(sw->scn, w->run, w->d);
    if (st != WD_OK) {
        sweep_worker_free(w);
        return st;
    }
    *out = w;
    return WD_OK;
}

void sweep_worker_free(sweep_worker *w)
{
    if (!w)
        return;
    wd_run_free(w->run);
    wd_diags_free(w->d);
    wd_xfree(w->metrics);
    wd_xfree(w->series);
    wd_xfree(w->y);
    wd_xfree(w);
}

static double reduce(const double *t, const double *y, size_t n, scn_reduce how, double at)
{
    if (n == 0)
        return NAN;
    switch (how) {
    case SCN_FINAL: return y[n - 1];
    case SCN_MAX: {
        double v = y[0];
        for (size_t i = 1; i < n; i++)
            v = y[i] > v ? y[i] : v;
        return v;
    }
    case SCN_MIN: {
        double v = y[0];
        for (size_t i = 1; i < n; i++)
            v = y[i] < v ? y[i] : v;
        return v;
    }
    case SCN_INTEGRAL:
    case SCN_MEAN: {
        double s = 0;
        for (size_t i = 1; i < n; i++)
            s += 0.5 * (t[i] - t[i - 1]) * (y[i] + y[i - 1]);
        if (how == SCN_INTEGRAL)
            return s;
        return n > 1 ? s / (t[n - 1] - t[0]) : y[0];
    }
    case SCN_AT: {
        if (at <= t[0])
            return y[0];
        for (size_t i = 1; i < n; i++)
            if (at <= t[i]) {
                if (at == t[i])
                    return y[i];
                double f = (at - t[i - 1]) / (t[i] - t[i - 1]);
                return y[i - 1] + f * (y[i] - y[i - 1]);
            }
        return y[n - 1];
    }
    }
    return NAN;
}

wd_status sweep_worker_run(sweep_worker *w, uint64_t run, wd_buf *out)
{
    const wd_sweep *sw = w->sw;
    const sweep_meta *m = &sw->meta;
    const double *x = sw->x + (run - m->run_first) * m->nparams;
    wd_diags_clear(w->d);
    w->opts.seed = (unsigned long)design_mix(m->seed, run);
    int status = SWEEP_OK;
    char reason[SWEEP_REASON_MAX + 1] = "";
    wd_status st = run_params(w->run, sw, x, w->d) ? wd_run_exec(w->run, &w->opts, w->d) : WD_E_ARG;
    if (st == WD_E_NOMEM)
        return st;
    size_t n = wd_run_nsaved(w->run);
    const double *t = wd_run_times(w->run);
    if (st != WD_OK || !wd_run_complete(w->run)) {
        status = SWEEP_FAILED;
        first_error_line(w->d, reason, sizeof reason);
    }
    /* save times must be the sweep's grid (a prefix of it when the run stopped) */
    if (n > m->ntime || (status == SWEEP_OK && n != m->ntime) ||
        (n && memcmp(t, m->times, n * sizeof *t) != 0)) {
        if (status == SWEEP_OK)
            snprintf(reason, sizeof reason,
                     "the run's save times differ from the sweep's (a parameter changes the time settings?)");
        status = SWEEP_FAILED;
        n = 0;
    }
    for (size_t j = 0; j < m->nmetrics; j++) {
        if (status != SWEEP_OK) {
            w->metrics[j] = NAN;
            continue;
        }
        for (size_t i = 0; i < n; i++)
            w->y[i] = wd_run_value(w->run, i, sw->metric_col[j]);
        w->metrics[j] = reduce(t, w->y, n, sw->scn->sweep.metrics[j].reduce, m->metric_at[j]);
    }
    for (size_t j = 0; j < m->nseries; j++) {
        const sweep_series *s = &m->series[j];
        double *dst = w->series + s->offset;
        for (size_t i = 0; i < m->ntime; i++)
            for (size_t e = 0; e < s->nelems; e++)
                dst[i * s->nelems + e] = i < n ? wd_run_value(w->run, i, sw->series_col[j] + e) : NAN;
    }
    if (!sweep_rec_put(out, m, run, status, status == SWEEP_OK ? NULL : reason, x, w->metrics, w->series))
        return WD_E_NOMEM;
    return WD_OK;
}
