/* opcodes.h: the instruction set of the VM, written once.
 *
 * The VM is a register machine over one flat double array v[] (see
 * program.h). Element-wise operations come in two forms generated from the
 * same line: a scalar form OP_X (v[d] = f(v[a], v[b], v[c])) and a vector
 * form OP_V_X over n elements, where each operand is a contiguous run of n
 * slots or, when its flag bit is set, one slot broadcast to all n. Vector
 * forms let an array equation run as one instruction per operation, doing
 * the work per element a hand-written loop would do.
 *
 * In the expressions: A, B, C are the operands; TS is the switch time that
 * STEP/PULSE compare against (Vensim: time + TIME STEP/2, held at the start
 * of a Runge-Kutta step; the segment midpoint for adaptive methods), TH the
 * time RAMP reads (held at the step start for fixed Runge-Kutta), DT the TIME
 * STEP.
 */
#ifndef WD_OPCODES_H
#define WD_OPCODES_H

/* X(name, expression, meaning) */
#define WD_UNARY_OPS(X)                                            \
    X(MOV, A, "d = a")                                             \
    X(NEG, -A, "d = -a")                                           \
    X(NOT, (double)(A == 0), "d = 1 if a is 0, else 0")            \
    X(ABS, fabs(A), "d = |a|")                                     \
    X(EXP, exp(A), "d = e^a")                                      \
    X(LN, log(A), "d = natural log of a")                          \
    X(LOG10, log10(A), "d = log base 10 of a")                     \
    X(SQRT, sqrt(A), "d = square root of a")                       \
    X(SIN, sin(A), "d = sin a")                                    \
    X(COS, cos(A), "d = cos a")                                    \
    X(TAN, tan(A), "d = tan a")                                    \
    X(ASIN, asin(A), "d = arcsin a")                               \
    X(ACOS, acos(A), "d = arccos a")                               \
    X(ATAN, atan(A), "d = arctan a")                               \
    X(SINH, sinh(A), "d = sinh a")                                 \
    X(COSH, cosh(A), "d = cosh a")                                 \
    X(TANH, tanh(A), "d = tanh a")                                 \
    X(INT, trunc(A), "d = a truncated toward 0 (INTEGER)")

#define WD_BINARY_OPS(X)                                                       \
    X(ADD, A + B, "d = a + b")                                                 \
    X(SUB, A - B, "d = a - b")                                                 \
    X(MUL, A *B, "d = a * b")                                                  \
    X(DIV, A / B, "d = a / b")                                                 \
    X(POW, pow(A, B), "d = a ^ b")                                             \
    X(EQ, (double)(A == B), "d = (a = b)")                                     \
    X(NE, (double)(A != B), "d = (a <> b)")                                    \
    X(LT, (double)(A < B), "d = (a < b)")                                      \
    X(LE, (double)(A <= B), "d = (a <= b)")                                    \
    X(GT, (double)(A > B), "d = (a > b)")                                      \
    X(GE, (double)(A >= B), "d = (a >= b)")                                    \
    X(AND, (double)(A != 0 && B != 0), "d = a :AND: b")                        \
    X(OR, (double)(A != 0 || B != 0), "d = a :OR: b")                          \
    X(MIN, fmin(A, B), "d = smaller of a, b")                                  \
    X(MAX, fmax(A, B), "d = larger of a, b")                                   \
    X(LOGB, log(A) / log(B), "d = log of a to base b")                         \
    X(MOD, fmod(A, B), "d = a modulo b (sign of a)")                           \
    X(ZIDZ, B == 0 ? 0.0 : A / B, "d = a / b, 0 when b is 0")                 \
    X(QUANTUM, B <= 0 ? A : B * trunc(A / B), "d = a rounded down to a multiple of b") \
    X(STEP, TS > B ? A : 0.0, "d = a once the time passes b (STEP)")           \
    X(PULSE, (TS > A && TS < A + (B > 0 ? B : DT)) ? 1.0 : 0.0,                \
      "d = 1 from time a for width b (0 = one TIME STEP)")

#define WD_TERNARY_OPS(X)                                                      \
    X(SEL, A != 0 ? B : C, "d = b if a is not 0, else c (IF THEN ELSE)")       \
    X(XIDZ, B == 0 ? C : A / B, "d = a / b, c when b is 0")                    \
    X(RAMP, TH <= B ? 0.0 : (TH >= C ? A * (C - B) : A * (TH - B)),            \
      "d = slope a from time b to time c (RAMP)")

/* Operations that are not element-wise, or read program tables. */
#define WD_SPECIAL_OPS(X)                                                                  \
    X(HALT, "end of the segment (every segment ends with it)")                             \
    X(GATHER, "d[i] = v[pool[aux+i]] for i < n")                                           \
    X(SCATTER, "v[pool[aux+i]] = a[i] (or a broadcast) for i < n")                         \
    X(REDUCE_SUM, "d[j] = sum of a[j*b .. j*b+b) for j < n")                               \
    X(REDUCE_PROD, "d[j] = product of a[j*b .. j*b+b)")                                    \
    X(REDUCE_MIN, "d[j] = smallest of a[j*b .. j*b+b)")                                    \
    X(REDUCE_MAX, "d[j] = largest of a[j*b .. j*b+b)")                                     \
    X(LOOKUP, "d[i] = table(x = a[i]): table aux (VF_TABLE), aux+i (VF_TSEQ) or pool[aux+i]")     \
    X(LOOKUP_FWD, "as LOOKUP, holding the next point (LOOKUP FORWARD)")                    \
    X(LOOKUP_BWD, "as LOOKUP, holding the previous point (LOOKUP BACKWARD)")               \
    X(LOOKUP_XTR, "as LOOKUP, extrapolating linearly beyond the ends")                     \
    X(LOOKUP_INV, "d[i] = the x at which table reaches a[i] (LOOKUP INVERT)")              \
    X(DATA, "d[i] = series pool[aux+i] at the current time, by its interpolation mode")    \
    X(INPUT, "d[i] = run input aux, element i, at the current time")                       \
    X(PULSE_TRAIN, "d[i] = PULSE TRAIN(a start, b width, c interval, end in slot aux)")   \
    X(PIPE_INIT, "pipes aux+i: length from delay a[i], filled with b[i] (DELAY FIXED)")    \
    X(PIPE_READ, "d[i] = output of pipe aux+i")                                            \
    X(PIPE_PUSH, "pipe aux+i takes in a[i] and moves on one TIME STEP")                    \
    X(RAND_UNIFORM, "d[i] = uniform draw in [a, b) from the run's generator")              \
    X(RAND_DIST, "d[i] = draw from distribution aux, parameters a[k*n+i] for k < b (min, max, ...), redrawn until in [min, max]") \
    X(LOOKUP_AREA, "d[i] = area under table (as LOOKUP's aux) from a[i] to b[i] (LOOKUP AREA)") \
    X(VSELECT, "d[j] = VECTOR SELECT over group j of b: a = sel[n*b], expr[n*b], missing[n], action[n]") \
    X(VSORT_ORDER, "d[j] = place pool[aux+j] of VECTOR SORT ORDER of group j: a = vec[n*b], direction[n]") \
    X(VRANK, "d[j] = rank of element pool[aux+j] in group j (VECTOR RANK): a = vec[n*b], direction[n]") \
    X(VREORDER, "d[j] = vec[j*b + order[j]] (VECTOR REORDER): a = vec[n*b], order[n]")   \
    X(ELM_MAP, "d[i] = v[b + pool[aux+i] + a[i]] if inside the c elements at b, else :NA: (VECTOR ELM MAP)") \
    X(ALLOC_PRIORITY, "d[j] = share of element pool[aux+j] (ALLOCATE BY PRIORITY): a = request[n*b], priority[n*b], width[n], supply[n]") \
    X(ALLOC_AVAIL, "d[j] = share of element pool[aux+j] (ALLOCATE AVAILABLE): a = request[n*b], ptype, ppriority, pwidth, pextra [n*b each], avail[n]") \
    X(INVERT_MATRIX, "d[j] = element pool[aux+j] of the inverse of the square group j of b: a = matrix[n*b]")

/* Special operations whose operand b is a count (the group size of a
 * reduction or vector function), not a slot: relocation leaves it alone. */
#define WD_OP_B_IS_COUNT(op)                                                                  \
    (((op) >= OP_REDUCE_SUM && (op) <= OP_REDUCE_MAX) || (op) == OP_RAND_DIST || (op) == OP_VSELECT || \
     (op) == OP_VSORT_ORDER || (op) == OP_VRANK || (op) == OP_VREORDER || (op) == OP_ALLOC_PRIORITY ||  \
     (op) == OP_ALLOC_AVAIL || (op) == OP_INVERT_MATRIX)

/* Superinstructions: pairs of scalar operations where the second reads the
 * result of the first, the most frequent pairs in SD models (x / y - z,
 * a * b / c, ...). The compiler never emits them: vm_fuse makes them from a
 * finished segment for the VM alone (the native engine, the disassembler and
 * fault diagnosis see the plain instructions). F_X_Y_A: v[d] = v[a] X v[b],
 * then v[c] = v[d] Y v[aux]; F_X_Y_B: the same, then v[c] = v[aux] Y v[d]. */
#define WD_FUSED_PAIRS(P)                                                      \
    P(ADD, ADD) P(ADD, SUB) P(ADD, MUL) P(ADD, DIV)                            \
    P(SUB, ADD) P(SUB, SUB) P(SUB, MUL) P(SUB, DIV)                            \
    P(MUL, ADD) P(MUL, SUB) P(MUL, MUL) P(MUL, DIV)                            \
    P(DIV, ADD) P(DIV, SUB) P(DIV, MUL) P(DIV, DIV)

enum {
#define X(name, expr, doc) OP_##name, OP_V_##name,
    WD_UNARY_OPS(X) WD_BINARY_OPS(X) WD_TERNARY_OPS(X)
#undef X
#define X(name, doc) OP_##name,
    WD_SPECIAL_OPS(X)
#undef X
#define P(x, y) OP_F_##x##_##y##_A, OP_F_##x##_##y##_B,
    WD_FUSED_PAIRS(P)
#undef P
    OP_COUNT
};

/* Distributions of RAND_DIST (aux) and their parameters after min, max,
 * as Vensim's RANDOM functions take them (shift h, stretch r). */
enum {
    RD_NORMAL,       /* h, r: h + r * N(0,1) */
    RD_EXPONENTIAL,  /* h, r: h + r * Exp(mean 1) */
    RD_POISSON,      /* M, h, r: h + r * Poisson(M) */
    RD_GAMMA,        /* O, h, r: h + r * Gamma(order O, scale 1) */
    RD_WEIBULL,      /* S, h, r: h + r * Weibull(shape S, mean 1) */
    RD_BETA,         /* A, B, h, r: h + r * Beta(A, B) */
    RD_BINOMIAL,     /* P, N, h, r: h + r * Binomial(N trials, P) */
    RD_NEGBINOMIAL,  /* P, N, h, r: h + r * (trials to N successes of P) */
    RD_TRIANGULAR    /* S, P, T: triangular from S to T, peak P */
};

/* Operand flags of vector forms: the operand is one slot broadcast. */
#define VF_A 1u
#define VF_B 2u
#define VF_C 4u
/* LOOKUP family / DATA: aux is the table id of every element (VF_TABLE) or
 * of the first, consecutive ids following (VF_TSEQ); else a pool offset. */
#define VF_TABLE 8u
#define VF_TSEQ 16u
/* PULSE TRAIN: the end operand (slot in aux) is broadcast. */
#define VF_E 32u

#endif
