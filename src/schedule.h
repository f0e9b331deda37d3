/* schedule.h: evaluation order of equations.
 *
 * Between sema and code generation: builds the dependency graph of
 * equations from the elements each one reads (bind.c), orders it for the
 * initial values and for the run, splits equations into single elements only
 * where array elements depend on each other (x[a2] = x[a1] + 1), classifies
 * equations as static (constants only: computed once at the initial time)
 * or dynamic, and splits the dynamic ones into those the derivatives need
 * (rhs) and those only the results need (out). Loops are reported as
 * "a -> b -> a" with each member's line.
 */
#ifndef WD_SCHEDULE_H
#define WD_SCHEDULE_H

#include "model.h"

typedef struct sched_item {
    int eqn;
    size_t p0, np; /* points p0 .. p0+np-1 */
} sched_item;

typedef VEC(sched_item) sched_vec;

typedef struct schedule {
    sched_vec init;       /* every equation, in initial-value order */
    sched_vec rhs;        /* dynamic, needed each step, in order */
    sched_vec out;        /* dynamic, needed for results only, in order */
    bool *eqn_static;     /* per equation */
    bool dynamic_control; /* a control variable is dynamic */
} schedule;

wd_status schedule_build(const wd_model *m, wd_diags *d, schedule *out);
void schedule_free(schedule *s);

#endif
