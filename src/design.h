/* design.h: sweep designs and parameter distributions.
 *
 * Sits between the sweep specification (scn_sweep, read by scenario_sweep.c) and
 * the sweep engine (sweep.c): a design says which point of the unit cube
 * each run of a sweep gets, a distribution turns a coordinate into the
 * parameter's value. Everything here is a pure function of the design and
 * its seed, so that every process of a sweep (threads, MPI ranks, shards of
 * a job array) computes the same points, and the sensitivity analysis can
 * regenerate them from the numbers stored in a result file.
 *
 * Designs (run counts for k parameters):
 *   grid      every combination of levels, the first parameter varying
 *             slowest: prod(levels_j) runs;
 *   random    samples points, uniform and independent (gsl_rng mt19937);
 *   lhs       samples points, a Latin hypercube (McKay, Beckman and Conover
 *             1979): in each parameter each of the samples equal strata
 *             holds exactly one point;
 *   sobol     the first samples points of a Sobol sequence (GSL's generator
 *             up to 40 dimensions, Joe and Kuo's 2008 direction numbers up to
 *             1024, refused beyond);
 *   saltelli  matrices A, B (the two halves of a 2k-dimensional Sobol
 *             sequence) and A_B^(i) (A with column i from B), for Sobol
 *             indices (Saltelli et al. 2010): samples * (k + 2) runs, in
 *             SALib's row order without second order: for each base point j
 *             the block A_j, AB_j^(1), ..., AB_j^(k), B_j;
 *   morris    samples trajectories of k + 1 points on a levels-level grid,
 *             each moving one parameter by delta = levels / (2 (levels - 1))
 *             (Morris 1991): samples * (k + 1) runs.
 */
#ifndef WD_DESIGN_H
#define WD_DESIGN_H

#include "scenario.h"

#include <stdint.h>

#define DESIGN_MAX_RUNS 1000000000ULL /* runs of one sweep */
#define DESIGN_MAX_PARAMS 10000

typedef struct design {
    scn_design kind;
    size_t k;              /* parameters */
    uint64_t samples;      /* random/lhs/sobol: points; saltelli: base sample;
                              morris: trajectories; grid: unused */
    unsigned levels;       /* morris: grid levels p (even) */
    unsigned *grid_levels; /* grid: levels of each parameter (k, owned) */
    uint64_t seed;
    uint64_t nruns;
} design;

/* Fills d from the specification (params, design, samples, levels) and the
 * seed, and checks what depends on the design: a grid needs levels for each
 * continuous parameter (samples, or the parameter's levels), Morris an even
 * number of levels >= 2, Sobol designs at most 1024 dimensions, every design
 * at most DESIGN_MAX_RUNS runs. Problems go to diags at the lines of w. */
wd_status design_init(design *d, const scn_sweep *w, uint64_t seed, wd_diags *diags);
void design_free(design *d);

/* Unit coordinates of runs first .. first+count-1, row-major (count x k).
 * Quantile designs (random, lhs, sobol, saltelli) give values in (0, 1);
 * grid and morris give lattice values i / (L - 1) of the L levels of each
 * parameter (0.5 when L = 1). */
wd_status design_unit(const design *d, uint64_t first, uint64_t count, double *u);

/* 0 for quantile designs; the number of lattice levels of parameter j for
 * grid and morris. */
unsigned design_lattice(const design *d, size_t j);

/* The value of parameter p at unit coordinate u (design_unit's u, with
 * design_lattice's L). Quantile mode (L = 0): the inverse distribution
 * function at u. Lattice mode: a bounded distribution (uniform, triangular,
 * normal or lognormal truncated on both sides) maps the lattice onto
 * [min, max] ends included; an unbounded one uses the quantiles
 * (i + 0.5) / L; a discrete one with as many values as levels takes value i,
 * else its quantile at (i + 0.5) / L. */
double design_value(const scn_sweep_param *p, double u, unsigned lattice);

/* Morris trajectories t0 .. t0+nt-1: for each, the order in which the k
 * parameters move (order[t*k + s] moves between points s and s + 1) and the
 * sign of each parameter's move (dir[t*k + j]: +1 up, -1 down). */
wd_status design_morris(const design *d, uint64_t t0, uint64_t nt, size_t *order, int *dir);
double design_morris_delta(const design *d);

/* A well-mixed 64-bit number from a seed and a stream/index
 * (SplitMix64, Steele, Lea and Flood 2014). Runs of a sweep get the seed
 * of their model's random functions as design_mix(seed, run). */
uint64_t design_mix(uint64_t seed, uint64_t index);

/* Sobol points, from GSL (up to 40 dimensions) or from Joe and Kuo's
 * direction numbers (41 to 1024). The first point returned is
 * (0.5, ..., 0.5): the all-zero point that starts the sequence is skipped,
 * as GSL does. */
typedef struct sobol_gen sobol_gen;
#define SOBOL_MAX_DIM 1024
sobol_gen *sobol_new(size_t dim); /* NULL: out of memory or dim out of range */
void sobol_next(sobol_gen *g, double *x);
void sobol_free(sobol_gen *g);
/* true when dim is served by GSL's generator */
bool sobol_uses_gsl(size_t dim);

#endif
