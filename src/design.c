/* design.c: sweep designs and parameter distributions (see design.h).
 *
 * Methods and sources:
 *   - Latin hypercube: McKay, Beckman and Conover, Technometrics 21 (1979)
 *     239-245: a random permutation of the strata per parameter, a uniform
 *     point within each stratum.
 *   - Sobol sequences: Sobol (1967); generated in Gray-code order (Antonov
 *     and Saleev 1979) as in Bratley and Fox, ACM TOMS 14 (1988) 88-100.
 *     Up to 40 dimensions GSL's gsl_qrng_sobol; beyond, the direction
 *     numbers of Joe and Kuo, SIAM J. Sci. Comput. 30 (2008) 2635-2654
 *     (src/sobol_table.c), with their recurrence
 *       v_k = v_{k-s} ^ (v_{k-s} >> s) ^ XOR_{i=1..s-1} a_i v_{k-i}.
 *     GSL documents its generator up to 40 dimensions but does not refuse
 *     more, so the dimension is checked here.
 *   - Saltelli design: A, B and A_B^(i) from one 2k-dimensional Sobol
 *     sequence, Saltelli et al., Comput. Phys. Commun. 181 (2010) 259-270.
 *   - Morris trajectories: Morris, Technometrics 33 (1991) 161-174: a random
 *     base point on the levels-level grid (where x + delta stays in [0, 1]),
 *     a random order of the parameters and a random direction for each.
 *   - Random numbers: GSL's mt19937 (Matsumoto and Nishimura 1998), one
 *     stream per purpose, each seeded from the sweep's seed with SplitMix64.
 *     Streams are drawn in run order, so a run's point does not depend on
 *     which process computes it.
 */
#include "design.h"

#include "diag.h"
#include "util.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

extern const unsigned sobol_jk_max_dim;
extern const uint16_t sobol_jk_table[];

enum { STREAM_RANDOM = 1, STREAM_LHS_PERM = 2, STREAM_LHS_JITTER = 3, STREAM_MORRIS = 4 };

/* ---- seeds ---------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t design_mix(uint64_t seed, uint64_t index) { return splitmix64(splitmix64(seed) ^ index); }

static gsl_rng *stream_rng(const design *d, unsigned stream)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r) /* mt19937 uses 32 bits of its seed */
        gsl_rng_set(r, (unsigned long)(design_mix(d->seed, stream) & 0xFFFFFFFFu));
    return r;
}

/* ---- Sobol points ----------------------------------------------------------------- */

struct sobol_gen {
    size_t dim;
    gsl_qrng *q;   /* GSL's generator, or NULL */
    uint32_t *v;   /* Joe-Kuo: dim x 32 direction numbers, v[j*32 + k-1] = v_k */
    uint32_t *x;   /* the current point, scaled by 2^32 */
    uint64_t n;    /* index of the current point */
};

bool sobol_uses_gsl(size_t dim) { return dim >= 1 && dim <= gsl_qrng_sobol->max_dimension; }

sobol_gen *sobol_new(size_t dim)
{
    if (dim < 1 || dim > SOBOL_MAX_DIM || dim > sobol_jk_max_dim)
        return NULL;
    sobol_gen *g = wd_xcalloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->dim = dim;
    if (sobol_uses_gsl(dim)) {
        g->q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)dim);
        if (!g->q) {
            wd_xfree(g);
            return NULL;
        }
        return g;
    }
    g->v = wd_xmalloc(dim * 32 * sizeof *g->v);
    g->x = wd_xcalloc(dim, sizeof *g->x);
    if (!g->v || !g->x) {
        sobol_free(g);
        return NULL;
    }
    for (unsigned k = 1; k <= 32; k++) /* dimension 1: all m_k = 1 */
        g->v[k - 1] = 1u << (32 - k);
    const uint16_t *row = sobol_jk_table;
    for (size_t j = 1; j < dim; j++) {
        unsigned s = row[0], a = row[1];
        const uint16_t *m = row + 2;
        uint32_t *v = g->v + j * 32;
        for (unsigned k = 1; k <= 32; k++) {
            if (k <= s) {
                v[k - 1] = (uint32_t)m[k - 1] << (32 - k);
            } else {
                uint32_t t = v[k - s - 1] ^ (v[k - s - 1] >> s);
                for (unsigned i = 1; i < s; i++)
                    if ((a >> (s - 1 - i)) & 1u)
                        t ^= v[k - i - 1];
                v[k - 1] = t;
            }
        }
        row += 2 + s;
    }
    return g;
}

void sobol_next(sobol_gen *g, double *x)
{
    if (g->q) {
        gsl_qrng_get(g->q, x);
        return;
    }
    /* Gray-code order: point n+1 = point n XOR v_c, c the position of the
     * lowest zero bit of n (1-based). */
    unsigned c = 1;
    for (uint64_t m = g->n; m & 1u; m >>= 1)
        c++;
    if (c > 32) /* 2^32 points: the sequence is exhausted; cannot happen
                   below DESIGN_MAX_RUNS */
        c = 32;
    g->n++;
    for (size_t j = 0; j < g->dim; j++) {
        g->x[j] ^= g->v[j * 32 + c - 1];
        x[j] = (double)g->x[j] / 4294967296.0;
    }
}

void sobol_free(sobol_gen *g)
{
    if (!g)
        return;
    if (g->q)
        gsl_qrng_free(g->q);
    wd_xfree(g->v);
    wd_xfree(g->x);
    wd_xfree(g);
}

/* ---- set-up ------------------------------------------------------------------------- */

static void err(wd_diags *d, scn_src at, const char *fmt, ...) WD_PRINTF(3, 4);
static void err(wd_diags *d, scn_src at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_diag_vadd(d, WD_ERROR, (wd_loc){at.file, at.line, 0}, NULL, fmt, ap);
    va_end(ap);
}

static bool mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a && b > UINT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

wd_status design_init(design *d, const scn_sweep *w, uint64_t seed, wd_diags *diags)
{
    memset(d, 0, sizeof *d);
    d->kind = w->has_design ? w->design : SCN_LHS;
    d->k = w->nparams;
    d->samples = w->samples;
    d->seed = seed;
    const char *dn = scn_design_names[d->kind];
    scn_src where = w->has_design ? w->design_src : w->src;
    if (d->k == 0) {
        err(diags, w->src, "sweep: no parameters; give params = ( { var = \"...\"; min = ...; max = ...; }, ... );");
        return WD_E_ARG;
    }
    if (d->k > DESIGN_MAX_PARAMS) {
        err(diags, w->params_src, "sweep: %zu parameters; the limit is %d", d->k, DESIGN_MAX_PARAMS);
        return WD_E_LIMIT;
    }
    if (d->kind != SCN_GRID && d->samples == 0) {
        err(diags, where, "sweep: design \"%s\" needs samples = N; (%s)", dn,
            d->kind == SCN_SALTELLI ? "the base sample: runs = N * (parameters + 2)"
            : d->kind == SCN_MORRIS ? "the number of trajectories: runs = N * (parameters + 1)"
                                    : "the number of runs");
        return WD_E_ARG;
    }
    uint64_t n = 0;
    bool ok = true;
    switch (d->kind) {
    case SCN_GRID:
        d->grid_levels = wd_xcalloc(d->k, sizeof *d->grid_levels);
        if (!d->grid_levels)
            return WD_E_NOMEM;
        n = 1;
        for (size_t j = 0; j < d->k; j++) {
            const scn_sweep_param *p = &w->params[j];
            unsigned L = p->dist == SCN_DISCRETE ? (unsigned)p->nvalues : p->levels ? p->levels
                                                                                     : (unsigned)d->samples;
            if (p->dist != SCN_DISCRETE && !p->levels && (d->samples == 0 || d->samples > 1000000)) {
                err(diags, p->src,
                    "sweep param '%s': a grid needs its number of levels: samples = L; in the sweep group "
                    "(for every parameter) or levels = L; here",
                    p->var);
                ok = false;
                continue;
            }
            d->grid_levels[j] = L;
            if (ok && !mul_ok(n, L, &n))
                n = UINT64_MAX;
        }
        break;
    case SCN_RANDOM:
    case SCN_LHS:
    case SCN_SOBOL: n = d->samples; break;
    case SCN_SALTELLI:
        if (!mul_ok(d->samples, d->k + 2, &n))
            n = UINT64_MAX;
        break;
    case SCN_MORRIS:
        d->levels = w->levels ? w->levels : 4;
        if (d->levels % 2 != 0) {
            err(diags, w->levels_src,
                "sweep: the morris design needs an even number of levels (found %u): with p levels it moves each "
                "parameter by p / (2 (p - 1)) of its range, a lattice step only when p is even",
                d->levels);
            ok = false;
        }
        if (!mul_ok(d->samples, d->k + 1, &n))
            n = UINT64_MAX;
        break;
    }
    if (!ok) {
        design_free(d);
        return WD_E_ARG;
    }
    size_t dims = d->kind == SCN_SOBOL ? d->k : d->kind == SCN_SALTELLI ? 2 * d->k : 0;
    if (dims > SOBOL_MAX_DIM) {
        err(diags, where,
            "sweep: design \"%s\" with %zu parameters needs a Sobol sequence of %zu dimensions; wandel has "
            "direction numbers for %d (Joe and Kuo 2008); use at most %d parameters, or a morris or lhs design",
            dn, d->k, dims, SOBOL_MAX_DIM, d->kind == SCN_SALTELLI ? SOBOL_MAX_DIM / 2 : SOBOL_MAX_DIM);
        design_free(d);
        return WD_E_LIMIT;
    }
    if (n > DESIGN_MAX_RUNS) {
        err(diags, where, "sweep: design \"%s\" gives %s%llu runs; the limit is %llu", dn,
            n == UINT64_MAX ? "more than " : "", n == UINT64_MAX ? (unsigned long long)DESIGN_MAX_RUNS
                                                                   : (unsigned long long)n,
            (unsigned long long)DESIGN_MAX_RUNS);
        design_free(d);
        return WD_E_LIMIT;
    }
    d->nruns = n;
    return WD_OK;
}

void design_free(design *d)
{
    if (!d)
        return;
    wd_xfree(d->grid_levels);
    d->grid_levels = NULL;
}

unsigned design_lattice(const design *d, size_t j)
{
    if (d->kind == SCN_GRID)
        return d->grid_levels[j];
    if (d->kind == SCN_MORRIS)
        return d->levels;
    return 0;
}

double design_morris_delta(const design *d) { return d->levels / (2.0 * (d->levels - 1)); }

/* ---- unit points -------------------------------------------------------------------- */

/* Keeps a coordinate strictly inside (0, 1) for the inverse distribution
 * functions. */
static double open_unit(double u)
{
    const double eps = 0x1p-53;
    return u < eps ? eps : u > 1 - eps ? 1 - eps : u;
}

/* One Morris trajectory from the stream: base lattice indices, directions,
 * order. */
static void morris_draw(gsl_rng *r, size_t k, unsigned p, unsigned *base, int *dir, size_t *order)
{
    for (size_t j = 0; j < k; j++)
        base[j] = (unsigned)gsl_rng_uniform_int(r, p / 2);
    for (size_t j = 0; j < k; j++)
        dir[j] = gsl_rng_uniform_int(r, 2) ? 1 : -1;
    for (size_t j = 0; j < k; j++)
        order[j] = j;
    gsl_ran_shuffle(r, order, k, sizeof *order);
}

wd_status design_morris(const design *d, uint64_t t0, uint64_t nt, size_t *order, int *dir)
{
    size_t k = d->k;
    gsl_rng *r = stream_rng(d, STREAM_MORRIS);
    unsigned *base = wd_xmalloc(k * sizeof *base);
    int *dd = wd_xmalloc(k * sizeof *dd);
    size_t *oo = wd_xmalloc(k * sizeof *oo);
    wd_status st = WD_OK;
    if (!r || !base || !dd || !oo) {
        st = WD_E_NOMEM;
        goto done;
    }
    for (uint64_t t = 0; t < t0 + nt; t++) {
        morris_draw(r, k, d->levels, base, dd, oo);
        if (t >= t0) {
            memcpy(order + (t - t0) * k, oo, k * sizeof *oo);
            memcpy(dir + (t - t0) * k, dd, k * sizeof *dd);
        }
    }
done:
    if (r)
        gsl_rng_free(r);
    wd_xfree(base);
    wd_xfree(dd);
    wd_xfree(oo);
    return st;
}

wd_status design_unit(const design *d, uint64_t first, uint64_t count, double *u)
{
    size_t k = d->k;
    if (count == 0)
        return WD_OK;
    wd_status st = WD_OK;
    gsl_rng *r = NULL, *r2 = NULL;
    sobol_gen *g = NULL;
    double *pt = NULL;
    uint32_t *perm = NULL;
    unsigned *base = NULL;
    int *dir = NULL;
    size_t *order = NULL;
    switch (d->kind) {
    case SCN_GRID:
        for (uint64_t i = 0; i < count; i++) {
            uint64_t rest = first + i;
            for (size_t j = k; j-- > 0;) {
                unsigned L = d->grid_levels[j];
                uint64_t idx = rest % L;
                rest /= L;
                u[i * k + j] = L == 1 ? 0.5 : (double)idx / (double)(L - 1);
            }
        }
        break;
    case SCN_RANDOM:
        if (!(r = stream_rng(d, STREAM_RANDOM)))
            goto nomem;
        for (uint64_t i = 0; i < first * k; i++)
            gsl_rng_uniform_pos(r);
        for (uint64_t i = 0; i < count * k; i++)
            u[i] = gsl_rng_uniform_pos(r);
        break;
    case SCN_LHS: {
        uint64_t N = d->samples;
        perm = wd_xmalloc(N * k * sizeof *perm);
        if (!perm || !(r = stream_rng(d, STREAM_LHS_PERM)) || !(r2 = stream_rng(d, STREAM_LHS_JITTER)))
            goto nomem;
        for (size_t j = 0; j < k; j++) {
            uint32_t *pj = perm + j * N;
            for (uint64_t i = 0; i < N; i++)
                pj[i] = (uint32_t)i;
            gsl_ran_shuffle(r, pj, N, sizeof *pj);
        }
        for (uint64_t i = 0; i < first * k; i++)
            gsl_rng_uniform_pos(r2);
        for (uint64_t i = 0; i < count; i++)
            for (size_t j = 0; j < k; j++) {
                double jitter = gsl_rng_uniform_pos(r2);
                u[i * k + j] = ((double)perm[j * N + first + i] + jitter) / (double)N;
                /* (s + jitter) / N rounds up to (s + 1) / N only for huge N:
                   keep the point in its own stratum */
                if (u[i * k + j] >= (double)(perm[j * N + first + i] + 1) / (double)N)
                    u[i * k + j] = nextafter((double)(perm[j * N + first + i] + 1) / (double)N, 0);
            }
        break;
    }
    case SCN_SOBOL:
        if (!(g = sobol_new(k)) || !(pt = wd_xmalloc(k * sizeof *pt)))
            goto nomem;
        for (uint64_t i = 0; i < first; i++)
            sobol_next(g, pt);
        for (uint64_t i = 0; i < count; i++) {
            sobol_next(g, pt);
            for (size_t j = 0; j < k; j++)
                u[i * k + j] = open_unit(pt[j]);
        }
        break;
    case SCN_SALTELLI: {
        uint64_t blk = k + 2, j0 = first / blk, j1 = (first + count - 1) / blk;
        if (!(g = sobol_new(2 * k)) || !(pt = wd_xmalloc(2 * k * sizeof *pt)))
            goto nomem;
        for (uint64_t j = 0; j < j0; j++)
            sobol_next(g, pt);
        for (uint64_t j = j0; j <= j1; j++) {
            sobol_next(g, pt);
            for (uint64_t pos = 0; pos < blk; pos++) {
                uint64_t run = j * blk + pos;
                if (run < first || run >= first + count)
                    continue;
                double *row = u + (run - first) * k;
                const double *A = pt, *B = pt + k;
                if (pos == blk - 1) {
                    for (size_t c = 0; c < k; c++)
                        row[c] = open_unit(B[c]);
                } else {
                    for (size_t c = 0; c < k; c++)
                        row[c] = open_unit(A[c]);
                    if (pos >= 1)
                        row[pos - 1] = open_unit(B[pos - 1]);
                }
            }
        }
        break;
    }
    case SCN_MORRIS: {
        uint64_t blk = k + 1, t0 = first / blk, t1 = (first + count - 1) / blk;
        unsigned p = d->levels;
        double delta_steps = p / 2.0; /* delta in lattice steps: p / (2 (p - 1)) * (p - 1) */
        base = wd_xmalloc(k * sizeof *base);
        dir = wd_xmalloc(k * sizeof *dir);
        order = wd_xmalloc(k * sizeof *order);
        pt = wd_xmalloc(k * sizeof *pt);
        if (!base || !dir || !order || !pt || !(r = stream_rng(d, STREAM_MORRIS)))
            goto nomem;
        for (uint64_t t = 0; t <= t1; t++) {
            morris_draw(r, k, p, base, dir, order);
            if (t < t0)
                continue;
            /* lattice index of each parameter at point 0 */
            for (size_t j = 0; j < k; j++)
                pt[j] = base[j] + (dir[j] < 0 ? delta_steps : 0);
            for (uint64_t s = 0; s < blk; s++) {
                if (s > 0) {
                    size_t j = order[s - 1];
                    pt[j] += dir[j] * delta_steps;
                }
                uint64_t run = t * blk + s;
                if (run < first || run >= first + count)
                    continue;
                for (size_t j = 0; j < k; j++)
                    u[(run - first) * k + j] = pt[j] / (double)(p - 1);
            }
        }
        break;
    }
    }
    goto done;
nomem:
    st = WD_E_NOMEM;
done:
    if (r)
        gsl_rng_free(r);
    if (r2)
        gsl_rng_free(r2);
    sobol_free(g);
    wd_xfree(pt);
    wd_xfree(perm);
    wd_xfree(base);
    wd_xfree(dir);
    wd_xfree(order);
    return st;
}

/* ---- distributions -------------------------------------------------------------------- */

/* Truncation of a normal on the z scale: the probabilities of the bounds. */
static void trunc_probs(double zlo, double zhi, double *pa, double *pb)
{
    *pa = isnan(zlo) ? 0 : gsl_cdf_ugaussian_P(zlo);
    *pb = isnan(zhi) ? 1 : gsl_cdf_ugaussian_P(zhi);
}

static double clamp_opt(double x, double lo, double hi)
{
    if (!isnan(lo) && x < lo)
        x = lo;
    if (!isnan(hi) && x > hi)
        x = hi;
    return x;
}

/* The inverse distribution function at q in [0, 1] (q = 0 or 1 only for
 * bounded distributions). */
static double quantile(const scn_sweep_param *p, double q)
{
    switch (p->dist) {
    case SCN_UNIFORM: return q >= 1 ? p->max : p->min + q * (p->max - p->min);
    case SCN_TRIANGULAR: {
        double a = p->min, b = p->max, c = p->mode, fc = (c - a) / (b - a);
        if (q <= fc)
            return a + sqrt(q * (b - a) * (c - a));
        return b - sqrt((1 - q) * (b - a) * (b - c));
    }
    case SCN_NORMAL: {
        double pa, pb;
        trunc_probs(isnan(p->min) ? NAN : (p->min - p->mean) / p->sd,
                    isnan(p->max) ? NAN : (p->max - p->mean) / p->sd, &pa, &pb);
        double qq = pa + q * (pb - pa);
        double x = qq <= 0 ? -INFINITY : qq >= 1 ? INFINITY : p->mean + p->sd * gsl_cdf_ugaussian_Pinv(qq);
        return clamp_opt(x, p->min, p->max);
    }
    case SCN_LOGNORMAL: {
        double pa, pb;
        trunc_probs(isnan(p->min) ? NAN : p->min > 0 ? (log(p->min) - p->mu) / p->sigma : -INFINITY,
                    isnan(p->max) ? NAN : (log(p->max) - p->mu) / p->sigma, &pa, &pb);
        double qq = pa + q * (pb - pa);
        double x = qq <= 0 ? 0 : qq >= 1 ? INFINITY : exp(p->mu + p->sigma * gsl_cdf_ugaussian_Pinv(qq));
        return clamp_opt(x, p->min, p->max);
    }
    case SCN_DISCRETE: {
        size_t n = p->nvalues;
        if (!p->weights) {
            size_t i = (size_t)(q * (double)n);
            return p->values[i < n ? i : n - 1];
        }
        double total = 0, cum = 0;
        for (size_t i = 0; i < n; i++)
            total += p->weights[i];
        for (size_t i = 0; i < n; i++) {
            cum += p->weights[i];
            if (q * total < cum)
                return p->values[i];
        }
        return p->values[n - 1];
    }
    }
    return NAN;
}

static bool bounded(const scn_sweep_param *p)
{
    switch (p->dist) {
    case SCN_UNIFORM:
    case SCN_TRIANGULAR: return true;
    case SCN_NORMAL:
    case SCN_LOGNORMAL: return !isnan(p->min) && !isnan(p->max);
    default: return false;
    }
}

double design_value(const scn_sweep_param *p, double u, unsigned lattice)
{
    if (lattice == 0)
        return quantile(p, open_unit(u));
    double i = lattice > 1 ? floor(u * (lattice - 1) + 0.5) : 0;
    if (p->dist == SCN_DISCRETE && p->nvalues == lattice)
        return p->values[(size_t)i];
    if (bounded(p) && p->dist != SCN_DISCRETE)
        return quantile(p, lattice > 1 ? i / (lattice - 1) : 0.5);
    return quantile(p, (i + 0.5) / lattice);
}
