/* session.h: scenarios put to work (session.c), for the modules that build
 * on wd_scenario_prepare: the sweep engine compiles the scenario's model with
 * its parameters as further inputs and gives every worker's run the
 * scenario's values. */
#ifndef WD_SESSION_H
#define WD_SESSION_H

#include "scenario.h"

/* wd_scenario_prepare with extra names whose equations are replaced (sweep
 * parameters; each reported at its extra_src when unknown, a stock or a
 * lookup): those that are not plain constants become compile-time inputs.
 * The run returned holds the scenario's values only; an extra input has no
 * value yet. */
wd_status session_prepare(const wd_scenario *s, const char *const *extra, const scn_src *extra_src, size_t nextra,
                          wd_diags *diags, wd_model **model, wd_program **program, wd_run **run,
                          wd_run_opts *opts);

/* Gives run the scenario's set values and series (what wd_scenario_prepare
 * does to the run it creates). */
wd_status session_apply_sets(const wd_scenario *s, wd_run *run, wd_diags *diags);

#endif
