/* vecfn.c: kernels of the VM's vector, allocation and random instructions.
 *
 * Called from vm.c, one call per instruction (never per element): each
 * kernel loops over the n points of its instruction. Operands come packed
 * in one block at v[I->a] (compile.c lays them out; the order is given in
 * opcodes.h), the group size (the length of the vector the function works
 * along) in I->b, and where a point sits along that vector in pool[aux+j].
 *
 * Semantics follow the Vensim reference manual (vensim.com/documentation:
 * fn_vector_select, fn_vector_sort_order, fn_vector_rank, fn_vector_reorder,
 * fn_vector_elm_map, fn_allocate_by_priority, fn_allocate_available,
 * fn_invert_matrix, fn_lookup_area, fn_random) and were checked against the
 * conformance suite's references (tests/vector_select, vector_order,
 * allocate_by_priority, allocate_available, invert_matrix).
 */
#include "vecfn.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wandel.h"

/* Scratch space: on the stack for small groups, else the heap. */
#define SMALL 128

/* ---- VECTOR SELECT --------------------------------------------------------------- */

void vf_select(double *v, const vm_ins *I)
{
    size_t n = I->n, k = I->b;
    const double *sel = v + I->a, *ex = sel + n * k, *missing = ex + n * k, *action = missing + n;
    double *d = v + I->d;
    for (size_t j = 0; j < n; j++) {
        const double *s = sel + j * k, *e = ex + j * k;
        int act = (int)action[j];
        size_t cnt = 0;
        double acc = 0;
        for (size_t i = 0; i < k; i++) {
            if (s[i] == 0)
                continue;
            double w = s[i] * e[i]; /* weighted: selection times expression */
            double x;
            switch (act) {
            case 0: case 1: case 2: case 3: case 4: x = w; break;
            case 5: x = pow(e[i], s[i]); break; /* the manual says s^e; Vensim computes e^s (suite) */
            default: x = e[i]; break; /* 6..10: the expression alone */
            }
            if (cnt == 0) {
                acc = x;
            } else {
                switch (act) {
                case 1: case 5: case 7: acc *= x; break;
                case 2: case 8: acc = fmin(acc, x); break;
                case 3: case 9: acc = fmax(acc, x); break;
                default: acc += x; break; /* sums and means */
                }
            }
            cnt++;
        }
        if (cnt == 0)
            d[j] = missing[j];
        else if (act == 4 || act == 10)
            d[j] = acc / (double)cnt;
        else if (act < 0 || act > 10)
            d[j] = NAN;
        else
            d[j] = acc;
    }
}

/* ---- VECTOR SORT ORDER / RANK / REORDER -------------------------------------------- */

typedef struct sortkey {
    double x;
    size_t i;
    int dir;
} sortkey;

/* Ascending (dir 1) or descending (dir 0 or negative) by value, ties by
 * position, so that the order is stable. */
static int cmp_key(const void *pa, const void *pb)
{
    const sortkey *a = pa, *b = pb;
    if (a->x != b->x)
        return (a->dir > 0) == (a->x < b->x) ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

void vf_sort(double *v, const vm_ins *I, const uint32_t *pool, bool rank)
{
    size_t n = I->n, k = I->b;
    const double *vec = v + I->a, *dir = vec + n * k;
    double *d = v + I->d;
    sortkey small[SMALL];
    sortkey *keys = k <= SMALL ? small : wd_xmalloc(k * sizeof(sortkey));
    if (!keys) {
        for (size_t j = 0; j < n; j++)
            d[j] = NAN;
        return;
    }
    for (size_t j = 0; j < n; j++) {
        const double *g = vec + j * k;
        int dr = dir[j] > 0 ? 1 : 0;
        for (size_t i = 0; i < k; i++)
            keys[i] = (sortkey){g[i], i, dr};
        qsort(keys, k, sizeof(sortkey), cmp_key);
        size_t pos = pool[I->aux + j];
        d[j] = NAN;
        if (pos >= k)
            continue;
        if (rank) {
            /* the rank (from 1) of element pos */
            for (size_t r = 0; r < k; r++)
                if (keys[r].i == pos) {
                    d[j] = (double)(r + 1);
                    break;
                }
        } else {
            /* the element that comes at place pos, counted from 0 as
             * Vensim does (tests/vector_order) */
            d[j] = (double)keys[pos].i;
        }
    }
    if (keys != small)
        wd_xfree(keys);
}

void vf_reorder(double *v, const vm_ins *I)
{
    size_t n = I->n, k = I->b;
    const double *vec = v + I->a, *order = vec + n * k;
    double *d = v + I->d;
    for (size_t j = 0; j < n; j++) {
        double o = round(order[j]); /* from 0, as VECTOR SORT ORDER gives */
        d[j] = (o >= 0 && o < (double)k) ? vec[j * k + (size_t)o] : WD_NA;
    }
}

void vf_elm_map(double *v, const vm_ins *I, const uint32_t *pool)
{
    const double *off = v + I->a;
    size_t so = (I->flags & VF_A) ? 0 : 1;
    double *d = v + I->d;
    for (size_t i = 0; i < I->n; i++) {
        double at = (double)pool[I->aux + i] + round(off[i * so]);
        d[i] = (at >= 0 && at < (double)I->c) ? v[I->b + (size_t)at] : WD_NA;
    }
}

/* ---- ALLOCATE BY PRIORITY ------------------------------------------------------------ */

/* One allocation of `supply` among k requests. Requesters are served in
 * order of priority; each starts receiving once the one before it has
 * received a share of its request given by how far apart their priorities
 * are in units of `width` (all of it once they are `width` or more apart),
 * and requesters being served share further supply in proportion to their
 * requests. This is the rule that reproduces Vensim's results in the
 * suite's tests/allocate_by_priority (it is also how PySD describes its
 * implementation of the function). */
static void alloc_priority(const double *req, const double *prio, size_t k, double width, double supply,
                           double *out, size_t *idx, double *dist, double *rq, bool *active)
{
    double total = 0;
    for (size_t i = 0; i < k; i++)
        total += req[i] > 0 ? req[i] : 0;
    for (size_t i = 0; i < k; i++)
        out[i] = 0;
    if (supply >= total) {
        for (size_t i = 0; i < k; i++)
            out[i] = req[i] > 0 ? req[i] : 0;
        return;
    }
    if (!(supply > 0) || !(width > 0))
        return;
    /* requesters with something to ask, by priority (highest first, stable) */
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (req[i] > 0)
            idx[m++] = i;
    for (size_t a = 1; a < m; a++) { /* insertion sort: stable and k is small */
        size_t x = idx[a], b = a;
        while (b > 0 && prio[idx[b - 1]] < prio[x]) {
            idx[b] = idx[b - 1];
            b--;
        }
        idx[b] = x;
    }
    double got[SMALL];
    double *g = m <= SMALL ? got : wd_xmalloc(m * sizeof(double));
    if (!g)
        return;
    for (size_t a = 0; a < m; a++) {
        rq[a] = req[idx[a]];
        g[a] = 0;
        active[a] = a == 0;
        dist[a] = a + 1 < m ? fmin((prio[idx[a]] - prio[idx[a + 1]]) / width, 1.0) * rq[a] : INFINITY;
    }
    size_t cur = 0; /* the last requester that started */
    for (size_t guard = 0; supply > 0 && guard < 4 * m + 8; guard++) {
        double sum = 0;
        for (size_t a = 0; a < m; a++)
            if (active[a])
                sum += rq[a];
        if (sum <= 0) {
            if (cur + 1 < m) {
                active[++cur] = true;
                continue;
            }
            break;
        }
        /* supply until the next event: someone is full, or the next starts */
        double dx = supply;
        for (size_t a = 0; a < m; a++)
            if (active[a])
                dx = fmin(dx, (rq[a] - g[a]) * sum / rq[a]);
        double start = INFINITY;
        if (cur + 1 < m)
            start = active[cur] ? (dist[cur] - g[cur]) * sum / rq[cur] : 0;
        if (start < dx)
            dx = start > 0 ? start : 0;
        for (size_t a = 0; a < m; a++)
            if (active[a])
                g[a] += dx * rq[a] / sum;
        supply -= dx;
        for (size_t a = 0; a < m; a++)
            if (active[a] && g[a] >= rq[a] * (1 - 1e-12)) {
                g[a] = rq[a];
                active[a] = false;
            }
        if (cur + 1 < m && (g[cur] >= dist[cur] * (1 - 1e-12) || (!active[cur] && g[cur] >= rq[cur]))) {
            cur++;
            active[cur] = true;
        }
    }
    for (size_t a = 0; a < m; a++)
        out[idx[a]] = g[a];
    if (g != got)
        wd_xfree(g);
}

void vf_alloc_priority(double *v, const vm_ins *I, const uint32_t *pool)
{
    size_t n = I->n, k = I->b;
    const double *req = v + I->a, *prio = req + n * k, *width = prio + n * k, *supply = width + n;
    double *d = v + I->d;
    double *buf = wd_xmalloc(k * (3 * sizeof(double) + sizeof(size_t) + sizeof(bool)) + 16);
    if (!buf) {
        for (size_t j = 0; j < n; j++)
            d[j] = NAN;
        return;
    }
    double *out = buf, *dist = buf + k, *rq = buf + 2 * k;
    size_t *idx = (size_t *)(buf + 3 * k);
    bool *active = (bool *)(idx + k);
    for (size_t j = 0; j < n; j++) {
        const double *r = req + j * k, *p = prio + j * k;
        /* points of one group share their inputs: solve once */
        if (j == 0 || memcmp(r, r - k, k * sizeof(double)) || memcmp(p, p - k, k * sizeof(double)) ||
            width[j] != width[j - 1] || supply[j] != supply[j - 1])
            alloc_priority(r, p, k, width[j], supply[j], out, idx, dist, rq, active);
        d[j] = pool[I->aux + j] < k ? out[pool[I->aux + j]] : NAN;
    }
    wd_xfree(buf);
}

/* ---- ALLOCATE AVAILABLE ---------------------------------------------------------------- */

/* Upper tail of the standard normal distribution, Q(z) = 1 - Phi(z), by
 * Abramowitz and Stegun, Handbook of Mathematical Functions (1964), 26.2.16
 * (Hastings' three-term formula, |error| < 1e-5), with its printed
 * coefficients. Vensim's normal priority profile evaluates this
 * approximation, not the exact function. The evidence is the suite's
 * tests/allocate_available: in every group of requesters the printed
 * allocations must come from one common clearing priority. With the exact
 * normal distribution 301 of its 845 groups have no such priority within
 * the printed digits; with erf by 7.1.25 (the same formula in erf's
 * variable, with coefficients rounded differently: p = 0.47047 against
 * 0.33267 * sqrt 2 = 0.470468) 117; with 26.2.16 as printed 10, all with a normal
 * requester within 0.05 standard deviations of its priority, where the
 * printed values lie between 26.2.16 and the exact function by a few 1e-6
 * of the request. Far in the tail (shares of 1e-13 to 1e-11 of the
 * request) the references follow the formula's own tail to 0.1%, while it
 * lies 3 to 4 per cent above the exact one there. */
static double normal_q_as26216(double z)
{
    double az = fabs(z), t = 1 / (1 + 0.33267 * az);
    double q = 0.3989422804014327 * exp(-0.5 * az * az) * t * (0.4361836 + t * (-0.1201676 + t * 0.9372980));
    return z < 0 ? 1 - q : q;
}

/* How much requester with request q and priority profile (type, ppriority,
 * pwidth) receives when the market clears at priority x: the profile is a
 * density over priority, and the requester gets the part of its request
 * whose priority lies above x (Vensim's "priority profiles": 1 rectangular,
 * 2 triangular, 3 normal, 4 exponential; pwidth is the width, or the
 * standard deviation / scale). Decreasing in x from q to 0. */
static double profile_share(double q, int type, double p, double w, double x)
{
    if (q <= 0)
        return 0;
    switch (type) {
    case 1: /* rectangular: uniform density over [p - w/2, p + w/2] */
        if (x <= p - w / 2)
            return q;
        if (x >= p + w / 2)
            return 0;
        return q * (1 - (x - p + w / 2) / w);
    case 2: { /* triangular: peak at p, base w */
        if (x <= p - w / 2)
            return q;
        if (x >= p + w / 2)
            return 0;
        if (x < p) {
            double u = x - p + w / 2;
            return q * (1 - 2 * u * u / (w * w));
        }
        double u = p + w / 2 - x;
        return q * 2 * u * u / (w * w);
    }
    case 3: /* normal with mean p, standard deviation w */
        return q * normal_q_as26216((x - p) / w);
    case 4: /* exponential (Laplace) density symmetric about p, scale w */
        return x < p ? q * (1 - 0.5 * exp((x - p) / w)) : q * 0.5 * exp((p - x) / w);
    default:
        return NAN;
    }
}

/* Clears the market: the priority x at which the shares add up to avail,
 * by bisection to machine precision (the total is continuous and
 * decreasing in x).
 *
 * Vensim stops its own search earlier, and that is the one cell of the
 * suite's tests/allocate_available this does not reproduce (a tail share
 * of 0.018 that needs the clearing point to 3e-6). In its references
 * |avail - total| reaches 0.99e-6 of the total request but never 1e-6 of
 * it, and the total falls short of avail where the total curve is convex
 * and exceeds it where it is concave (460 of the 486 groups where the
 * sign is resolved), as a false-position search leaves it. Its iterates
 * were not identified: false position, Illinois, Pegasus,
 * Anderson-Bjorck, Ridders, Brent, secant and bisection steps, from
 * brackets of 0.5 to 20 widths around the priorities or grown from a
 * start, stopping at that tolerance, each land within the printed digits
 * of at most 30% of the groups that pin the point down, no better than the
 * exact point. False position to that tolerance happens to pass every
 * cell for most brackets but fails a cell for 3 of 22 brackets tried, so
 * it is not Vensim's rule and is not used. */
static void alloc_avail(const double *q, const double *type, const double *prio, const double *width, size_t k,
                        double avail, double *out)
{
    double total = 0, lo = INFINITY, hi = -INFINITY;
    bool bad = false;
    for (size_t i = 0; i < k; i++) {
        total += q[i] > 0 ? q[i] : 0;
        int t = (int)type[i];
        bad |= q[i] > 0 && (t < 1 || t > 4 || !(width[i] > 0));
        if (q[i] > 0) {
            double reach = t == 3 ? 40 * width[i] : t == 4 ? 800 * width[i] : width[i];
            lo = fmin(lo, prio[i] - reach);
            hi = fmax(hi, prio[i] + reach);
        }
    }
    if (avail >= total) {
        for (size_t i = 0; i < k; i++)
            out[i] = q[i] > 0 ? q[i] : 0;
        return;
    }
    if (bad) {
        for (size_t i = 0; i < k; i++)
            out[i] = NAN;
        return;
    }
    if (!(avail > 0)) {
        for (size_t i = 0; i < k; i++)
            out[i] = 0;
        return;
    }
    for (int it = 0; it < 200 && hi - lo > 1e-15 * fmax(1, fabs(lo) + fabs(hi)); it++) {
        double mid = 0.5 * (lo + hi), sum = 0;
        for (size_t i = 0; i < k; i++)
            sum += profile_share(q[i], (int)type[i], prio[i], width[i], mid);
        if (sum > avail)
            lo = mid;
        else
            hi = mid;
    }
    double x = 0.5 * (lo + hi);
    for (size_t i = 0; i < k; i++)
        out[i] = profile_share(q[i], (int)type[i], prio[i], width[i], x);
}

void vf_alloc_avail(double *v, const vm_ins *I, const uint32_t *pool)
{
    size_t n = I->n, k = I->b, nk = n * k;
    const double *req = v + I->a, *type = req + nk, *prio = type + nk, *width = prio + nk, *avail = width + 2 * nk;
    double *d = v + I->d;
    double small[SMALL];
    double *out = k <= SMALL ? small : wd_xmalloc(k * sizeof(double));
    if (!out) {
        for (size_t j = 0; j < n; j++)
            d[j] = NAN;
        return;
    }
    for (size_t j = 0; j < n; j++) {
        size_t o = j * k;
        bool same = j > 0 && avail[j] == avail[j - 1];
        for (int blk = 0; blk < 4 && same; blk++)
            same = !memcmp(req + blk * nk + o, req + blk * nk + o - k, k * sizeof(double));
        if (!same)
            alloc_avail(req + o, type + o, prio + o, width + o, k, avail[j], out);
        d[j] = pool[I->aux + j] < k ? out[pool[I->aux + j]] : NAN;
    }
    if (out != small)
        wd_xfree(out);
}

/* ---- INVERT MATRIX ------------------------------------------------------------------------ */

/* The inverse by LU decomposition with partial pivoting (GSL,
 * gsl_linalg_LU_decomp / gsl_linalg_LU_invert; Golub and Van Loan, Matrix
 * Computations, 3.2 and 3.4). A singular matrix gives NaN. */
void vf_invert(double *v, const vm_ins *I, const uint32_t *pool)
{
    size_t n = I->n, k = I->b;
    size_t dim = (size_t)llround(sqrt((double)k));
    const double *mat = v + I->a;
    double *d = v + I->d;
    gsl_matrix *a = dim * dim == k && dim ? gsl_matrix_alloc(dim, dim) : NULL;
    gsl_matrix *inv = a ? gsl_matrix_alloc(dim, dim) : NULL;
    gsl_permutation *perm = inv ? gsl_permutation_alloc(dim) : NULL;
    bool ok = false;
    const double *last = NULL;
    for (size_t j = 0; j < n; j++) {
        const double *g = mat + j * k;
        if (!perm) {
            d[j] = NAN;
            continue;
        }
        if (!last || memcmp(g, last, k * sizeof(double))) {
            memcpy(a->data, g, k * sizeof(double)); /* a->tda == dim for a fresh matrix */
            int sign;
            ok = gsl_linalg_LU_decomp(a, perm, &sign) == GSL_SUCCESS && fabs(gsl_linalg_LU_det(a, sign)) > 0 &&
                 gsl_linalg_LU_invert(a, perm, inv) == GSL_SUCCESS;
            last = g;
        }
        d[j] = ok && pool[I->aux + j] < k ? inv->data[pool[I->aux + j]] : NAN;
    }
    gsl_permutation_free(perm);
    gsl_matrix_free(inv);
    gsl_matrix_free(a);
}

/* ---- LOOKUP AREA ---------------------------------------------------------------------------- */

/* Integral of the table's piecewise-linear curve (held flat beyond its end
 * points) from x0 to x1; negative when x1 < x0. */
static double area_to(const table_t *t, double x)
{
    /* area from t->x[0] to x */
    size_t n = t->n;
    const double *xs = t->x, *ys = t->y;
    if (x <= xs[0])
        return (x - xs[0]) * ys[0];
    double a = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double x0 = xs[i], x1 = xs[i + 1];
        if (x <= x0)
            return a;
        double xe = x < x1 ? x : x1;
        double ye = x1 > x0 ? ys[i] + (xe - x0) * (ys[i + 1] - ys[i]) / (x1 - x0) : ys[i + 1];
        a += (xe - x0) * (ys[i] + ye) / 2;
    }
    if (x > xs[n - 1])
        a += (x - xs[n - 1]) * ys[n - 1];
    return a;
}

double vf_lookup_area(const table_t *t, double x0, double x1)
{
    if (t->n == 0 || isnan(x0) || isnan(x1))
        return NAN;
    return area_to(t, x1) - area_to(t, x0);
}

/* ---- random draws ------------------------------------------------------------------------------ */

/* One draw of distribution `dist` before truncation. */
static double draw(gsl_rng *r, int dist, const double *p)
{
    switch (dist) {
    case RD_NORMAL: return p[0] + p[1] * gsl_ran_ugaussian(r);
    case RD_EXPONENTIAL: return p[0] + p[1] * gsl_ran_exponential(r, 1.0);
    case RD_POISSON: return p[1] + p[2] * (double)gsl_ran_poisson(r, p[0]);
    case RD_GAMMA: return p[1] + p[2] * gsl_ran_gamma(r, p[0] < 1 ? 1 : p[0], 1.0);
    case RD_WEIBULL: {
        /* shape S scaled to mean 1: scale = 1 / Gamma(1 + 1/S) */
        double sh = p[0] > 0 ? p[0] : 1;
        return p[1] + p[2] * gsl_ran_weibull(r, 1.0 / gsl_sf_gamma(1 + 1 / sh), sh);
    }
    case RD_BETA: return p[2] + p[3] * gsl_ran_beta(r, p[0], p[1]);
    case RD_BINOMIAL:
        return p[2] + p[3] * (double)gsl_ran_binomial(r, p[0], p[1] > 0 ? (unsigned)p[1] : 0);
    case RD_NEGBINOMIAL: /* trials until the N-th success: N + failures */
        return p[2] + p[3] * (p[1] + (double)gsl_ran_negative_binomial(r, p[0], p[1]));
    case RD_TRIANGULAR: {
        /* inverse of the distribution function (start S, peak P, end T) */
        double s = p[0], pk = p[1], e = p[2], u = gsl_rng_uniform(r);
        if (!(e > s))
            return s;
        double f = (pk - s) / (e - s);
        return u < f ? s + sqrt(u * (e - s) * (pk - s)) : e - sqrt((1 - u) * (e - s) * (e - pk));
    }
    default: return NAN;
    }
}

/* Vensim truncates at min and max by drawing again ("Truncation occurs
 * after the output has been stretched and shifted", fn_random); when no
 * draw falls inside after many tries the nearer bound is returned. */
void vf_random(double *v, const vm_ins *I, void *rng)
{
    size_t n = I->n, np = I->b;
    const double *blk = v + I->a;
    double *d = v + I->d;
    for (size_t i = 0; i < n; i++) {
        double par[8];
        for (size_t k = 0; k < np && k < 8; k++)
            par[k] = blk[k * n + i];
        double lo = par[0], hi = par[1];
        if (!rng) {
            d[i] = NAN;
            continue;
        }
        double x = NAN;
        for (int tries = 0; tries < 1000; tries++) {
            x = draw((gsl_rng *)rng, (int)I->aux, par + 2);
            if (!(x < lo) && !(x > hi))
                break;
        }
        if (x < lo)
            x = lo;
        else if (x > hi)
            x = hi;
        d[i] = x;
    }
}
