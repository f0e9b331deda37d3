/* session.h: the pieces of wd_scenario_prepare (session.c), for callers that
 * need more than one run of a scenario's program or extra inputs: the
 * calibration (calib.c) and the sweeps (sweep.c) compile their parameters as
 * inputs when they are computed by equations, and give each worker thread a
 * run of its own holding the scenario's values; the comparisons (compare.c)
 * check and apply the set entries of their layers.
 */
#ifndef WD_SESSION_H
#define WD_SESSION_H

#include "run_internal.h"
#include "scenario.h"

/* Whether the variable (or element flat; SIZE_MAX = all of it) is defined by
 * numbers only, so that wd_run_set can override it without an input. */
bool session_is_plain_constant(const wd_model *m, int var, size_t flat);

/* Loads the scenario's model with its data files ("no model" is an error
 * naming the scenario). */
wd_status session_load_model(const wd_scenario *s, wd_diags *diags, wd_model **model);

/* Checks a set entry against the model: the variable must exist (else an
 * error naming the nearest names, at the entry's file and line) and be
 * neither a stock nor a lookup. *is_input says whether the entry needs the
 * variable compiled as an input (a series, or a variable not defined by
 * numbers alone) rather than a run-time override. */
bool session_check_set(const wd_model *m, const scn_set *e, wd_diags *diags, bool *is_input);

/* Gives a run the values of set entries checked with session_check_set and
 * compiled accordingly; on failure the error is followed by a note naming
 * the entry's file and line. */
wd_status session_apply_set_list(wd_run *run, const scn_set *sets, size_t n, wd_diags *diags);

/* Checks the scenario's set entries against m (errors at their file:line)
 * and compiles m with the entries that need it, plus `extra`, as inputs,
 * for the given engine. */
wd_status session_compile(const wd_scenario *s, const wd_model *m, const char *const *extra, size_t nextra,
                          wd_engine engine, wd_diags *diags, wd_program **program);

/* A new run of p holding the scenario's set values. On failure *run may be
 * non-NULL and is the caller's to free. */
wd_status session_new_run(const wd_scenario *s, const wd_program *p, wd_diags *diags, wd_run **run);

/* Gives run the scenario's set values and series. */
wd_status session_apply_sets(const wd_scenario *s, wd_run *run, wd_diags *diags);

/* wd_scenario_prepare with extra names (sweep parameters, each reported at
 * its extra_src when unknown, a stock or a lookup); those that are not plain
 * constants become compile-time inputs, without a value yet. */
wd_status session_prepare(const wd_scenario *s, const char *const *extra, const scn_src *extra_src, size_t nextra,
                          wd_diags *diags, wd_model **model, wd_program **program, wd_run **run,
                          wd_run_opts *opts);

/* Copies the scenario's time, solver and seed into opts (unset fields keep
 * their values). */
void session_run_opts(const wd_scenario *s, wd_run_opts *opts);

#endif
