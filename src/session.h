/* session.h: from scenario settings to runs, the steps that scenarios
 * (session.c) and comparisons (compare.c) share.
 */
#ifndef WD_SESSION_H
#define WD_SESSION_H

#include "run_internal.h"
#include "scenario.h"

/* Checks a set entry against the model: the variable must exist (else an
 * error naming the nearest names, at the entry's file and line) and be
 * neither a stock nor a lookup. *is_input says whether the entry needs the
 * variable compiled as an input (a series, or a variable not defined by
 * numbers alone) rather than a run-time override. */
bool session_check_set(const wd_model *m, const scn_set *e, wd_diags *diags, bool *is_input);

/* Gives a run the values of set entries checked with session_check_set and
 * compiled accordingly. On failure the error is followed by a note naming
 * the entry's file and line. */
wd_status session_apply_sets(wd_run *run, const scn_set *sets, size_t n, wd_diags *diags);

/* Copies the scenario's time, solver and seed settings into opts (fields the
 * scenario leaves unset keep their values). */
void session_run_opts(const wd_scenario *s, wd_run_opts *opts);

#endif
