/* compare_stats.c: the arithmetic of comparisons: indicators read from a
 * series, the resilience of a shocked run against its counterfactual, and
 * ranks and regrets across packages. Pure functions on arrays; compare.c
 * feeds them. The formulas, their sources and the adaptations to simulated
 * counterfactuals are documented in docs/comparison.md.
 */
#include "compare.h"

#include <math.h>
#include <string.h>

/* Index of the last save point at or before `at` (within tolerance), or
 * SIZE_MAX when `at` lies outside the series. */
static size_t interval_of(size_t n, const double *t, double at, double *frac)
{
    if (n == 0 || !isfinite(at))
        return SIZE_MAX;
    double tol = 1e-9 * fmax(1.0, fmax(fabs(t[0]), fabs(t[n - 1])));
    if (at < t[0] - tol || at > t[n - 1] + tol)
        return SIZE_MAX;
    if (at <= t[0]) {
        *frac = 0;
        return 0;
    }
    if (at >= t[n - 1]) {
        *frac = 0;
        return n - 1;
    }
    size_t lo = 0, hi = n - 1; /* t[lo] <= at < t[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    *frac = (at - t[lo]) / (t[hi] - t[lo]);
    if (fabs(at - t[lo]) <= tol)
        *frac = 0;
    return lo;
}

double cmp_value_at(size_t n, const double *t, const double *x, double at)
{
    double f = 0;
    size_t k = interval_of(n, t, at, &f);
    if (k == SIZE_MAX)
        return NAN;
    if (f == 0 || k + 1 >= n)
        return x[k];
    return x[k] + f * (x[k + 1] - x[k]);
}

double cmp_change_pct(size_t n, const double *t, const double *x, double at)
{
    double v = cmp_value_at(n, t, x, at);
    if (n == 0 || x[0] == 0)
        return NAN;
    return 100.0 * (v - x[0]) / fabs(x[0]);
}

double cmp_cumulative(size_t n, const double *t, const double *x, double at)
{
    double f = 0;
    size_t k = interval_of(n, t, at, &f);
    if (k == SIZE_MAX)
        return NAN;
    double sum = 0;
    for (size_t i = 0; i < k; i++)
        sum += 0.5 * (t[i + 1] - t[i]) * (x[i] + x[i + 1]);
    if (f > 0 && k + 1 < n) {
        double xe = x[k] + f * (x[k + 1] - x[k]);
        sum += 0.5 * (at - t[k]) * (x[k] + xe);
    }
    return sum;
}

double cmp_stat(scn_stat stat, size_t n, const double *t, const double *x, double at)
{
    switch (stat) {
    case SCN_STAT_VALUE: return cmp_value_at(n, t, x, at);
    case SCN_STAT_CHANGE_PCT: return cmp_change_pct(n, t, x, at);
    case SCN_STAT_CUMULATIVE: return cmp_cumulative(n, t, x, at);
    }
    return NAN;
}

void cmp_rank(size_t n, const double *g, double *rank)
{
    size_t valid = 0;
    for (size_t i = 0; i < n; i++)
        valid += !isnan(g[i]);
    for (size_t i = 0; i < n; i++) {
        if (isnan(g[i])) {
            rank[i] = (double)valid + 1;
            continue;
        }
        size_t better = 0;
        for (size_t j = 0; j < n; j++)
            better += !isnan(g[j]) && g[j] > g[i];
        rank[i] = (double)better + 1;
    }
}

void cmp_regret(size_t n, const double *g, double *regret)
{
    double best = NAN;
    for (size_t i = 0; i < n; i++)
        if (!isnan(g[i]) && (isnan(best) || g[i] > best))
            best = g[i];
    for (size_t i = 0; i < n; i++) {
        if (isnan(g[i]) || isnan(best))
            regret[i] = NAN;
        else if (g[i] == best)
            regret[i] = 0; /* also when best is infinite: inf - inf would be NaN */
        else
            regret[i] = best - g[i];
    }
}

/* ---- resilience ---------------------------------------------------------------------------
 * See wandel.h (wd_resilience_measure) and docs/comparison.md. */

/* Relative deviation of the shocked run from the counterfactual at k. */
static double rel_gap(double s, double c)
{
    double d = fabs(s - c);
    if (c == 0)
        return d == 0 ? 0 : INFINITY;
    return d / fabs(c);
}

wd_status wd_resilience_measure(size_t n, const double *t, const double *shocked, const double *cf, double onset,
                                double band, double floor_share, wd_resilience *out)
{
    if (!out)
        return WD_E_ARG;
    *out = (wd_resilience){NAN, NAN, 0, NAN, NAN, NAN, NAN, NAN};
    if (n == 0 || !t || !shocked || !cf || !(band > 0) || !(floor_share >= 0) || isnan(band))
        return WD_E_ARG;
    for (size_t k = 1; k < n; k++)
        if (!(t[k] > t[k - 1]))
            return WD_E_ARG;
    for (size_t k = 0; k < n; k++)
        if (isnan(shocked[k]) || isnan(cf[k]))
            return WD_OK; /* a failed run: every measure unknown */
    /* Job-years lost: the shortfall integrated over the whole run (it is 0
     * before the shock), trapezoidal rule over the save points. */
    double loss = 0;
    for (size_t k = 0; k + 1 < n; k++)
        loss += 0.5 * (t[k + 1] - t[k]) * ((cf[k] - shocked[k]) + (cf[k + 1] - shocked[k + 1]));
    out->job_years_lost = loss;
    /* The onset: given, or the last save point before the runs part. */
    size_t k0;
    double t_on;
    if (isfinite(onset)) {
        k0 = 0;
        while (k0 + 1 < n && t[k0 + 1] <= onset)
            k0++;
        t_on = onset < t[0] ? t[0] : onset;
    } else {
        size_t first = n;
        for (size_t k = 0; k < n && first == n; k++)
            if (fabs(shocked[k] - cf[k]) > 1e-9 * fmax(1.0, fabs(cf[k])))
                first = k;
        if (first == n) { /* the shock changed nothing */
            out->loss_pct_years = 0;
            out->resistance = 0;
            out->recovery_years = 0;
            out->recovered = 1;
            out->max_loss_pct = 0;
            return WD_OK;
        }
        k0 = first > 0 ? first - 1 : 0;
        t_on = t[k0];
    }
    out->onset = t_on;
    out->loss_pct_years = cf[k0] != 0 ? 100.0 * loss / fabs(cf[k0]) : (loss == 0 ? 0 : NAN);
    /* The trough: the save point of the largest deviation after the onset
     * (the earliest of equal ones). */
    size_t ks = k0;
    double maxdev = -1, maxloss = 0;
    for (size_t k = k0; k < n; k++) {
        double dev = fabs(shocked[k] - cf[k]);
        if (dev > maxdev) {
            maxdev = dev;
            ks = k;
        }
        if (cf[k] != 0 && (cf[k] - shocked[k]) / fabs(cf[k]) > maxloss)
            maxloss = (cf[k] - shocked[k]) / fabs(cf[k]);
    }
    out->trough = t[ks];
    out->max_loss_pct = 100.0 * maxloss;
    /* Resistance (Martin, Sunley, Gardiner and Tyler 2016): the change of the
     * shocked run from onset to trough against the change the reference (the
     * counterfactual) makes over the same window, divided by the size of the
     * reference change, which is floored at floor_share of the pre-shock
     * employment so that a counterfactual without a contraction does not
     * divide by zero. */
    double d_s = shocked[ks] - shocked[k0], d_c = cf[ks] - cf[k0];
    double denom = fmax(fabs(d_c), floor_share * fabs(cf[k0]));
    double num = d_s - d_c;
    out->resistance = denom > 0 ? num / denom : (num == 0 ? 0 : NAN);
    /* Recovery: from the onset to the time after which the shocked run stays
     * within band of the counterfactual, the crossing interpolated linearly
     * between save points. */
    size_t last = n;
    for (size_t k = k0; k < n; k++)
        if (rel_gap(shocked[k], cf[k]) > band)
            last = k;
    if (last == n) {
        out->recovery_years = 0;
        out->recovered = 1;
    } else if (last == n - 1) {
        out->recovery_years = INFINITY;
        out->recovered = 0;
    } else {
        double g0 = rel_gap(shocked[last], cf[last]), g1 = rel_gap(shocked[last + 1], cf[last + 1]);
        double f = isfinite(g0) && g0 > g1 ? (g0 - band) / (g0 - g1) : 1.0;
        double tc = t[last] + f * (t[last + 1] - t[last]);
        out->recovery_years = tc > t_on ? tc - t_on : 0;
        out->recovered = 1;
    }
    return WD_OK;
}
