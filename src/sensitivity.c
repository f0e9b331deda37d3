/* sensitivity.c: results over the runs of a sweep: summary statistics and
 * sensitivity indices. Sits between the runs' records and the final file
 * (sweep_h5.c); needs no model, only the metrics and the design.
 *
 * Summary statistics: mean, sample standard deviation (n - 1), and the 5th,
 * 50th and 95th percentiles by linear interpolation between order
 * statistics (GSL's gsl_stats_quantile_from_sorted_data, numpy's default),
 * over the runs where the value is finite.
 *
 * Sobol indices (saltelli design), from f_A, f_B and f_ABi of each base
 * sample j (Saltelli et al., Comput. Phys. Commun. 181 (2010) 259-270,
 * table 2):
 *   V    = variance of the f_A and f_B values together (population form)
 *   S1_i = mean_j( (f_B - m) (f_ABi - f_A) ) / V    (Saltelli 2010, (b))
 *   ST_i = mean_j( (f_A - f_ABi)^2 ) / (2 V)        (Jansen 1999, (f))
 * m is the mean of the f_A and f_B values. Saltelli's (b) reads f_B; its
 * expectation is the same with f_B - m, but its sampling error grows with
 * the mean: an output whose mean is 400 times its spread (cumulative CO2 of
 * a sweep that barely moves it) gave S1 intervals of +-70. Centring makes
 * S1 independent of an added constant, as V and ST are (SALib centres and
 * scales the outputs before estimating for the same reason).
 * Jansen, Comput. Phys. Commun. 117 (1999) 35-43. Confidence intervals by
 * bootstrap over the base samples (Archer, Saltelli and Sobol 1997): the
 * indices of `resamples` resamples with replacement, conf = z * their
 * standard deviation, z the normal quantile of (1 + confidence) / 2 (as
 * SALib reports them). Base samples where any of the k + 2 runs failed are
 * left out.
 *
 * Elementary effects (morris design; Morris, Technometrics 33 (1991)
 * 161-174): along each trajectory, parameter i moves by +-delta (in units of
 * its range on the design's unit scale) between consecutive points, and
 *   EE_i = (y(after) - y(before)) / (+-delta).
 * mu = mean EE, mu* = mean |EE| (Campolongo, Cariboni and Saltelli, Environ.
 * Model. Softw. 22 (2007) 1509-1518), sigma = standard deviation (n - 1);
 * mu*_conf by bootstrap of the |EE| as above. Steps where a run failed are
 * left out.
 *
 * Bootstrap draws come from GSL's mt19937 seeded from the sweep's seed and
 * the metric's index, so the intervals are reproducible.
 */
#include "sweep.h"

#include "util.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <string.h>

const char *const sweep_stat_names[SWEEP_NSTATS] = {"mean", "sd", "p05", "p50", "p95"};

void sweep_stats(double *x, size_t n, double out[SWEEP_NSTATS])
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            x[c++] = x[i];
    for (int s = 0; s < SWEEP_NSTATS; s++)
        out[s] = NAN;
    if (c == 0)
        return;
    out[0] = gsl_stats_mean(x, 1, c);
    out[1] = c > 1 ? gsl_stats_sd_m(x, 1, c, out[0]) : NAN;
    gsl_sort(x, 1, c);
    out[2] = gsl_stats_quantile_from_sorted_data(x, 1, c, 0.05);
    out[3] = gsl_stats_quantile_from_sorted_data(x, 1, c, 0.50);
    out[4] = gsl_stats_quantile_from_sorted_data(x, 1, c, 0.95);
}

void sweep_indices_free(sweep_indices *ix)
{
    if (!ix)
        return;
    wd_xfree(ix->s1);
    wd_xfree(ix->s1_conf);
    wd_xfree(ix->st);
    wd_xfree(ix->st_conf);
    wd_xfree(ix->mu);
    wd_xfree(ix->mu_star);
    wd_xfree(ix->sigma);
    wd_xfree(ix->mu_star_conf);
    wd_xfree(ix->used);
    memset(ix, 0, sizeof *ix);
}

static double *nan_array(size_t n)
{
    double *v = wd_xmalloc((n ? n : 1) * sizeof *v);
    if (v)
        for (size_t i = 0; i < n; i++)
            v[i] = NAN;
    return v;
}

static gsl_rng *boot_rng(const sweep_meta *m, size_t metric)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r)
        gsl_rng_set(r, (unsigned long)(design_mix(m->seed, 0x5EED0000u + metric) & 0xFFFFFFFFu));
    return r;
}

/* S1 and ST of every parameter from the base samples listed in idx (n of
 * them); fa, fb: per base sample; fab: per base sample k values. */
static void sobol_estimate(const double *fa, const double *fb, const double *fab, size_t k, const size_t *idx,
                           size_t n, double *s1, double *st)
{
    double mean = 0, var = 0;
    for (size_t a = 0; a < n; a++)
        mean += fa[idx[a]] + fb[idx[a]];
    mean /= (double)(2 * n);
    for (size_t a = 0; a < n; a++) {
        double da = fa[idx[a]] - mean, db = fb[idx[a]] - mean;
        var += da * da + db * db;
    }
    var /= (double)(2 * n);
    for (size_t i = 0; i < k; i++) {
        double sum1 = 0, sumt = 0;
        for (size_t a = 0; a < n; a++) {
            size_t j = idx[a];
            double ab = fab[j * k + i];
            sum1 += (fb[j] - mean) * (ab - fa[j]);
            sumt += (fa[j] - ab) * (fa[j] - ab);
        }
        s1[i] = var > 0 ? sum1 / (double)n / var : NAN;
        st[i] = var > 0 ? sumt / (double)n / (2 * var) : NAN;
    }
}

static double sd_of(const double *x, size_t n)
{
    return n > 1 ? gsl_stats_sd(x, 1, n) : NAN;
}

static wd_status saltelli(const sweep_meta *m, const double *y, size_t nm, size_t metric, sweep_indices *ix,
                          double z)
{
    size_t k = m->nparams, N = (size_t)m->samples, R = m->resamples > 0 ? (size_t)m->resamples : 0;
    double *fa = wd_xmalloc(N * sizeof *fa), *fb = wd_xmalloc(N * sizeof *fb);
    double *fab = wd_xmalloc(N * k * sizeof *fab);
    size_t *idx = wd_xmalloc(N * sizeof *idx), *res = wd_xmalloc(N * sizeof *res);
    double *bs1 = wd_xmalloc((R ? R : 1) * k * sizeof *bs1), *bst = wd_xmalloc((R ? R : 1) * k * sizeof *bst);
    double *s1 = wd_xmalloc(k * sizeof *s1), *st = wd_xmalloc(k * sizeof *st), *col = wd_xmalloc((R ? R : 1) * sizeof *col);
    gsl_rng *r = boot_rng(m, metric);
    wd_status rc = WD_OK;
    if (!fa || !fb || !fab || !idx || !res || !bs1 || !bst || !s1 || !st || !col || !r) {
        rc = WD_E_NOMEM;
        goto done;
    }
    size_t n = 0;
    for (size_t j = 0; j < N; j++) {
        size_t base = j * (k + 2);
        bool ok = true;
        fa[j] = y[base * nm + metric];
        fb[j] = y[(base + k + 1) * nm + metric];
        ok = isfinite(fa[j]) && isfinite(fb[j]);
        for (size_t i = 0; i < k; i++) {
            fab[j * k + i] = y[(base + 1 + i) * nm + metric];
            ok = ok && isfinite(fab[j * k + i]);
        }
        if (ok)
            idx[n++] = j;
    }
    ix->used[metric] = n;
    if (n == 0)
        goto done;
    sobol_estimate(fa, fb, fab, k, idx, n, s1, st);
    for (size_t b = 0; b < R; b++) {
        for (size_t a = 0; a < n; a++)
            res[a] = idx[gsl_rng_uniform_int(r, n)];
        sobol_estimate(fa, fb, fab, k, res, n, bs1 + b * k, bst + b * k);
    }
    for (size_t i = 0; i < k; i++) {
        size_t o = metric * k + i;
        ix->s1[o] = s1[i];
        ix->st[o] = st[i];
        if (R > 1) {
            size_t c = 0;
            for (size_t b = 0; b < R; b++)
                if (isfinite(bs1[b * k + i]))
                    col[c++] = bs1[b * k + i];
            ix->s1_conf[o] = z * sd_of(col, c);
            c = 0;
            for (size_t b = 0; b < R; b++)
                if (isfinite(bst[b * k + i]))
                    col[c++] = bst[b * k + i];
            ix->st_conf[o] = z * sd_of(col, c);
        }
    }
done:
    wd_xfree(fa);
    wd_xfree(fb);
    wd_xfree(fab);
    wd_xfree(idx);
    wd_xfree(res);
    wd_xfree(bs1);
    wd_xfree(bst);
    wd_xfree(s1);
    wd_xfree(st);
    wd_xfree(col);
    if (r)
        gsl_rng_free(r);
    return rc;
}

static wd_status morris(const sweep_meta *m, const double *y, size_t nm, size_t metric, const size_t *order,
                        const int *dir, sweep_indices *ix, double z)
{
    size_t k = m->nparams, T = (size_t)m->samples, R = m->resamples > 0 ? (size_t)m->resamples : 0;
    design d;
    sweep_meta_design(m, &d);
    double delta = design_morris_delta(&d);
    double *ee = wd_xmalloc(k * T * sizeof *ee), *absee = wd_xmalloc(T * sizeof *absee);
    double *means = wd_xmalloc((R ? R : 1) * sizeof *means);
    size_t *cnt = wd_xcalloc(k, sizeof *cnt);
    gsl_rng *r = boot_rng(m, metric);
    wd_status rc = WD_OK;
    if (!ee || !absee || !means || !cnt || !r) {
        rc = WD_E_NOMEM;
        goto done;
    }
    size_t used = 0;
    for (size_t t = 0; t < T; t++) {
        bool any = false;
        for (size_t s = 0; s < k; s++) {
            size_t i = order[t * k + s];
            double y1 = y[(t * (k + 1) + s) * nm + metric], y2 = y[(t * (k + 1) + s + 1) * nm + metric];
            if (!isfinite(y1) || !isfinite(y2))
                continue;
            ee[i * T + cnt[i]++] = (y2 - y1) / (dir[t * k + i] * delta);
            any = true;
        }
        used += any;
    }
    ix->used[metric] = used;
    for (size_t i = 0; i < k; i++) {
        size_t n = cnt[i], o = metric * k + i;
        if (n == 0)
            continue;
        const double *e = ee + i * T;
        double mu = 0, mus = 0;
        for (size_t a = 0; a < n; a++) {
            mu += e[a];
            mus += fabs(e[a]);
            absee[a] = fabs(e[a]);
        }
        ix->mu[o] = mu / (double)n;
        ix->mu_star[o] = mus / (double)n;
        ix->sigma[o] = sd_of(e, n);
        if (R > 1) {
            for (size_t b = 0; b < R; b++) {
                double s = 0;
                for (size_t a = 0; a < n; a++)
                    s += absee[gsl_rng_uniform_int(r, n)];
                means[b] = s / (double)n;
            }
            ix->mu_star_conf[o] = z * sd_of(means, R);
        }
    }
done:
    wd_xfree(ee);
    wd_xfree(absee);
    wd_xfree(means);
    wd_xfree(cnt);
    if (r)
        gsl_rng_free(r);
    return rc;
}

wd_status sweep_indices_compute(const sweep_meta *m, const double *params, const double *metrics,
                                sweep_indices *out)
{
    (void)params;
    memset(out, 0, sizeof *out);
    size_t nm = m->nmetrics, k = m->nparams;
    out->nmetrics = nm;
    out->nparams = k;
    out->saltelli = m->design == SCN_SALTELLI;
    out->morris = m->design == SCN_MORRIS;
    if ((!out->saltelli && !out->morris) || nm == 0)
        return WD_OK;
    if (m->run_first != 0 || m->run_count != m->nruns)
        return WD_E_ARG; /* indices need every run */
    double z = gsl_cdf_ugaussian_Pinv(0.5 + m->confidence / 2);
    size_t n = nm * k;
    out->used = wd_xcalloc(nm, sizeof *out->used);
    if (!out->used)
        return WD_E_NOMEM;
    wd_status st = WD_OK;
    if (out->saltelli) {
        out->s1 = nan_array(n);
        out->s1_conf = nan_array(n);
        out->st = nan_array(n);
        out->st_conf = nan_array(n);
        if (!out->s1 || !out->s1_conf || !out->st || !out->st_conf)
            st = WD_E_NOMEM;
        for (size_t j = 0; j < nm && st == WD_OK; j++)
            st = saltelli(m, metrics, nm, j, out, z);
    } else {
        out->mu = nan_array(n);
        out->mu_star = nan_array(n);
        out->sigma = nan_array(n);
        out->mu_star_conf = nan_array(n);
        size_t T = (size_t)m->samples;
        size_t *order = wd_xmalloc(T * k * sizeof *order);
        int *dir = wd_xmalloc(T * k * sizeof *dir);
        design d;
        sweep_meta_design(m, &d);
        if (!out->mu || !out->mu_star || !out->sigma || !out->mu_star_conf || !order || !dir)
            st = WD_E_NOMEM;
        else
            st = design_morris(&d, 0, T, order, dir);
        for (size_t j = 0; j < nm && st == WD_OK; j++)
            st = morris(m, metrics, nm, j, order, dir, out, z);
        wd_xfree(order);
        wd_xfree(dir);
    }
    if (st != WD_OK)
        sweep_indices_free(out);
    return st;
}
