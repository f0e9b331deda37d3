/* vecfn.h: kernels of the VM's vector, allocation and random instructions
 * (vecfn.c), one call per instruction from vm.c. Operand layouts are in
 * opcodes.h. */
#ifndef WD_VECFN_H
#define WD_VECFN_H

#include "program.h"

#include <stdbool.h>
#include <stdint.h>

void vf_select(double *v, const vm_ins *I);
/* VECTOR SORT ORDER (rank false) or VECTOR RANK (rank true). */
void vf_sort(double *v, const vm_ins *I, const uint32_t *pool, bool rank);
void vf_reorder(double *v, const vm_ins *I);
void vf_elm_map(double *v, const vm_ins *I, const uint32_t *pool);
void vf_alloc_priority(double *v, const vm_ins *I, const uint32_t *pool);
void vf_alloc_avail(double *v, const vm_ins *I, const uint32_t *pool);
void vf_invert(double *v, const vm_ins *I, const uint32_t *pool);
double vf_lookup_area(const table_t *t, double x0, double x1);
/* RAND_DIST: rng is the run's gsl_rng (NaN without one). */
void vf_random(double *v, const vm_ins *I, void *rng);

#endif
