/* program.h: a compiled model, immutable and shared by every run.
 *
 * Produced by compile.c, executed by vm.c, driven by run.c/integrate.c.
 * Memory layout of a run's value array v[] (all doubles):
 *
 *   [0] time  [1] switch time TS  [2] hold time TH  [3] TIME STEP
 *   variables (each a contiguous block of its elements, row-major)
 *   stocks    state_first .. +nstates      (the integrators' y)
 *   derivs    deriv_first .. +nstates      (dy/dt, written by the rhs code)
 *   constants (literals and constant vectors, from `defaults`)
 *   temporaries
 *
 * Code segments, each a list of instructions run top to bottom:
 *   init    everything at the initial time, in initial-value order;
 *   rhs     what the derivatives and the discrete updates need, from the
 *           stocks at the current time;
 *   out     what only the results need (run at save points after rhs);
 *   update  discrete state (SAMPLE IF TRUE, DELAY FIXED) after each step.
 */
#ifndef WD_PROGRAM_H
#define WD_PROGRAM_H

#include "model.h"
#include "opcodes.h"

#include <stdint.h>
#include <stdio.h>

enum { SLOT_TIME = 0, SLOT_TS = 1, SLOT_TH = 2, SLOT_DT = 3, SLOT_FIRST_VAR = 4 };

typedef struct vm_ins {
    uint16_t op;
    uint16_t flags;
    uint32_t n;
    uint32_t d, a, b, c;
    uint32_t aux;
    int32_t var;        /* the variable this instruction computes, or -1 */
} vm_ins;

typedef struct vm_code {
    vm_ins *ins;
    size_t n, cap;
} vm_code;

/* A time at which an input switches (STEP, PULSE, RAMP, PULSE TRAIN, a data
 * series or a lookup of Time): adaptive integration stops there. Times are
 * read from slots after the init code ran. */
typedef enum bp_kind { BP_AT, BP_PULSE, BP_PULSE_TRAIN, BP_TABLE } bp_kind;
typedef struct breakpoint_t {
    bp_kind kind;
    uint32_t n;          /* elements */
    uint32_t a, b, c, e; /* slots: time / start, width, interval, end; flags as vm */
    uint16_t flags;
    uint32_t table;      /* BP_TABLE: table id */
} breakpoint_t;

/* A saved column: one element of a user-visible variable. */
typedef struct native_code native_code;

typedef struct out_col {
    int var;
    size_t flat;
    uint32_t slot;
} out_col;

struct wd_program {
    wd_model *model;     /* owned when owns_model */
    bool owns_model;
    size_t nslots;
    size_t const_first, temp_first; /* regions of constants, temporaries */
    double *defaults;    /* nslots initial values: constants, NaN elsewhere */
    size_t state_first, nstates, deriv_first;
    vm_code init, rhs, out, update;
    vm_code fused[3];    /* rhs, out, update with superinstructions: what the VM runs */
    uint32_t *pool;      /* gather/scatter indices and per-element table ids */
    size_t npool;
    uint32_t *var_slot;  /* first slot of each variable (UINT32_MAX for lookups) */
    uint32_t *sample_state; /* VK_SAMPLE: first slot of the held value */
    size_t npipes;
    breakpoint_t *bps;
    size_t nbps;
    bool has_discrete;   /* SAMPLE IF TRUE or DELAY FIXED present */
    bool has_random;
    bool dynamic_control; /* a control variable changes during the run */
    out_col *cols;       /* every element of every visible variable */
    size_t ncols;
    /* the same as runs of consecutive slots: column block i is
     * v[col_runs[i].slot .. + len), so a save point is a few memcpy */
    struct col_run { uint32_t slot, len; } *col_runs;
    size_t ncol_runs;
    bool *col_timeless;  /* per variable: constant over the run */
    size_t rhs_len_total;
    struct native_code *native; /* native.h; NULL: the VM runs everything */
};

/* The VM (vm.c). A run context gives the VM what is per run. */
typedef struct vm_ctx {
    double *v;
    const wd_program *p;
    struct pipe_t *pipes;
    struct run_inputs *inputs;
    void *rng;           /* gsl_rng * */
    int fault;           /* set when an instruction cannot run (bad pipe) */
    bool pipe_history;   /* DELAY FIXED from the input's history (adaptive methods) */
} vm_ctx;

void vm_exec(vm_ctx *cx, const vm_code *code);
/* Linear interpolation in a table with the given mode, clamped at the ends. */
double vm_table(const table_t *t, double x, int how);
/* A copy of a segment with superinstructions (opcodes.h), for the VM to run:
 * same effect, fewer dispatches. False when out of memory. */
bool vm_fuse(const vm_code *in, vm_code *out);
/* Element-wise opcodes (scalar or vector form): the number of operands, 1
 * to 3; 0 for any other opcode. */
int vm_op_arity(int op);
/* Whether op is the vector form of an element-wise operation. */
bool vm_op_vector(int op);
/* The disassembler: one line per instruction. */
void vm_disasm(const wd_program *p, const vm_code *code, const char *title, FILE *out);

#endif
