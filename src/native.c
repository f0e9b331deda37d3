/* native.c: the native engine: a program's code as C, built by the system
 * compiler into a shared object, loaded with dlopen.
 *
 * Sits beside the VM (vm.c), after compile.c: it reads a finished program
 * and gives run.c/integrate.c one C function per segment (rhs, out, update)
 * that does what vm_exec does for that segment, instruction by instruction:
 *
 * - element-wise instructions become C statements or loops whose arithmetic
 *   is the very expression text of the X-macro lists in opcodes.h
 *   (stringified), so the VM and the native code evaluate the same C
 *   expressions on the same doubles. Built with -ffp-contract=off and never
 *   -ffast-math, both give bit-identical results (tests/conformance.c
 *   checks every value of every model with ==).
 * - gathers, scatters, reductions and table lookups are written out as the
 *   VM's loops are (lookups call the VM's vm_table through a pointer);
 * - anything else, including an opcode added to opcodes.h after this file
 *   was written or an element-wise expression that calls a function the
 *   generated file does not know, runs that one instruction in the VM
 *   through a fallback pointer; so every program can be built.
 *
 * The init code runs once per run and stays in the VM.
 *
 * The shared object is cached under a name made from the SHA-256 of the
 * generated source (which includes the compiler command), in
 * $WANDEL_CACHE, else $XDG_CACHE_HOME/wandel, else $HOME/.cache/wandel; a
 * directory that is not the user's own and private is not used. The
 * compiler is $WANDEL_CC (default "cc"). Builds write to a unique temporary
 * name and rename, so concurrent builds of one program are safe.
 */
#include "native.h"
#include "run_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Bump when the generated code's interface changes. */
#define NATIVE_ABI 1

/* Instructions per generated function: bounds the compiler's work on one
 * function (its time grows faster than linearly with function size). */
#define PART_SIZE 400

const char *const native_seg_names[NSEG] = {"rhs", "out", "update"};

/* ---- the per-instruction fallback and the table hook ---------------------------- */

static const vm_code *segment(const wd_program *p, int seg)
{
    return seg == NSEG_RHS ? &p->rhs : seg == NSEG_OUT ? &p->out : &p->update;
}

/* Runs instruction k of a segment in the VM; nonzero when the segment must
 * stop there (the VM ended it: an instruction it cannot run). */
static int native_fallback(void *cxp, int seg, uint32_t k)
{
    vm_ctx *cx = cxp;
    const vm_code *code = segment(cx->p, seg);
    vm_ins pair[2] = {code->ins[k], code->ins[code->n - 1]}; /* the instruction, then HALT */
    vm_code one = {pair, 2, 2};
    vm_exec(cx, &one);
    return cx->fault == 2;
}

static double native_table(const void *tables, uint32_t id, double x, int how)
{
    return vm_table(&((const table_t *)tables)[id], x, how);
}

/* ---- code generation -------------------------------------------------------------- */

static const char *const op_expr[OP_COUNT] = {
#define X(name, expr, doc) [OP_##name] = #expr, [OP_V_##name] = #expr,
    WD_UNARY_OPS(X) WD_BINARY_OPS(X) WD_TERNARY_OPS(X)
#undef X
};

/* Whether an element-wise expression uses only names the generated file
 * knows: the operands, the time registers, and <math.h>. */
static bool expr_portable(const char *e)
{
    static const char *const known[] = {
        "A",     "B",     "C",     "TS",    "TH",    "DT",   "T",     "double", "int",   "fabs",  "exp",
        "log",   "log10", "log2",  "sqrt",  "cbrt",  "sin",  "cos",   "tan",    "asin",  "acos",  "atan",
        "atan2", "sinh",  "cosh",  "tanh",  "asinh", "acosh", "atanh", "trunc", "floor", "ceil",  "round",
        "pow",   "fmin",  "fmax",  "fmod",  "hypot", "expm1", "log1p", "copysign", "isnan", "isfinite",
        "INFINITY", "NAN", "M_PI", "M_E", "erf", "erfc", "tgamma", "lgamma", "nearbyint", "rint", "remainder"};
    for (const char *s = e; *s;) {
        if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_') {
            const char *b = s;
            while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')
                s++;
            size_t len = (size_t)(s - b);
            bool ok = false;
            for (size_t i = 0; i < sizeof known / sizeof known[0] && !ok; i++)
                ok = strlen(known[i]) == len && !strncmp(known[i], b, len);
            if (!ok)
                return false;
        } else if (*s >= '0' && *s <= '9') {
            /* a number, with exponent and suffix letters */
            while ((*s >= '0' && *s <= '9') || *s == '.' || *s == 'e' || *s == 'E' || *s == 'f' || *s == 'x' ||
                   *s == 'p' || ((*s == '+' || *s == '-') && (s[-1] == 'e' || s[-1] == 'E' || s[-1] == 'p')))
                s++;
        } else {
            s++;
        }
    }
    return true;
}

/* The table id of element i as C text. */
static void table_id_expr(wd_buf *b, const vm_ins *I)
{
    if (I->flags & VF_TABLE)
        wd_buf_printf(b, "%uu", I->aux);
    else if (I->flags & VF_TSEQ)
        wd_buf_printf(b, "%uu + i", I->aux);
    else
        wd_buf_printf(b, "pool[%uu + i]", I->aux);
}

/* One instruction as C. k is its index in segment seg. */
static void gen_ins(wd_buf *b, const vm_ins *I, int seg, size_t k)
{
    int ar = vm_op_arity(I->op);
    const char *expr = ar ? op_expr[I->op] : NULL;
    if (ar && expr && expr_portable(expr)) {
        const uint32_t ops[3] = {I->a, I->b, I->c};
        const char *nm[3] = {"A", "B", "C"};
        if (!vm_op_vector(I->op)) {
            wd_buf_puts(b, "    {");
            for (int i = 0; i < ar; i++)
                wd_buf_printf(b, " const double %s = v[%u];", nm[i], ops[i]);
            wd_buf_printf(b, " v[%u] = (%s); }\n", I->d, expr);
            return;
        }
        bool all_broadcast = true;
        for (int i = 0; i < ar; i++)
            all_broadcast &= (I->flags & (1u << i)) != 0;
        wd_buf_printf(b, "    { double *d = v + %u;", I->d);
        /* broadcast operands are read once, before the loop, as the VM does
         * (compile.c guarantees the loop never writes them) */
        for (int i = 0; i < ar; i++)
            if (I->flags & (1u << i))
                wd_buf_printf(b, " const double %s = v[%u];", nm[i], ops[i]);
        if (all_broadcast) {
            wd_buf_printf(b, " const double x = (%s); for (uint32_t i = 0; i < %uu; i++) d[i] = x; }\n", expr, I->n);
            return;
        }
        for (int i = 0; i < ar; i++)
            if (!(I->flags & (1u << i)))
                wd_buf_printf(b, " const double *p%c = v + %u;", 'a' + i, ops[i]);
        wd_buf_printf(b, " for (uint32_t i = 0; i < %uu; i++) {", I->n);
        for (int i = 0; i < ar; i++)
            if (!(I->flags & (1u << i)))
                wd_buf_printf(b, " const double %s = p%c[i];", nm[i], 'a' + i);
        wd_buf_printf(b, " d[i] = (%s); } }\n", expr);
        return;
    }
    unsigned sa = (I->flags & VF_A) ? 0 : 1;
    switch (I->op) {
    case OP_HALT:
        return;
    case OP_GATHER:
        wd_buf_printf(b, "    { for (uint32_t i = 0; i < %uu; i++) v[%u + i] = v[pool[%uu + i]]; }\n", I->n, I->d,
                      I->aux);
        return;
    case OP_SCATTER:
        wd_buf_printf(b, "    { const double *pa = v + %u; for (uint32_t i = 0; i < %uu; i++) v[pool[%uu + i]] = pa[i * %uu]; }\n",
                      I->a, I->n, I->aux, sa);
        return;
    case OP_REDUCE_SUM:
    case OP_REDUCE_PROD:
    case OP_REDUCE_MIN:
    case OP_REDUCE_MAX: {
        const char *step = I->op == OP_REDUCE_SUM    ? "acc + seg[i]"
                           : I->op == OP_REDUCE_PROD ? "acc * seg[i]"
                           : I->op == OP_REDUCE_MIN  ? "fmin(acc, seg[i])"
                                                     : "fmax(acc, seg[i])";
        wd_buf_printf(b,
                      "    { double *d = v + %u; const double *pa = v + %u; for (uint32_t j = 0; j < %uu; j++) {"
                      " const double *seg = pa + (size_t)j * %uu; double acc = seg[0];"
                      " for (uint32_t i = 1; i < %uu; i++) acc = %s; d[j] = acc; } }\n",
                      I->d, I->a, I->n, I->b, I->b, step);
        return;
    }
    case OP_LOOKUP:
    case OP_LOOKUP_FWD:
    case OP_LOOKUP_BWD:
    case OP_LOOKUP_XTR: {
        int how = I->op == OP_LOOKUP_BWD ? 1 : I->op == OP_LOOKUP_FWD ? 2 : I->op == OP_LOOKUP_XTR ? 3 : 0;
        wd_buf_printf(b, "    { double *d = v + %u; const double *pa = v + %u; for (uint32_t i = 0; i < %uu; i++) d[i] = tbl(tables, ",
                      I->d, I->a, I->n);
        table_id_expr(b, I);
        wd_buf_printf(b, ", pa[i * %uu], %d); }\n", sa, how);
        return;
    }
    default:
        wd_buf_printf(b, "    if (env->fallback(cx, %d, %zuu)) return 1; /* %u */\n", seg, k, I->op);
        return;
    }
}

/* ---- loop fusion ---------------------------------------------------------------------- */

/* Consecutive vector instructions over the same n elements (element-wise
 * operations and gathers) become one loop that does, for each element i,
 * what each instruction does to its element i, in order; the compiler then
 * keeps intermediate values in registers, as a hand-written loop would.
 * This is exact (every element goes through the same operations in the
 * same order) when every element i depends only on elements i of the other
 * instructions: the rule below admits an instruction to a group only if each
 * range of slots it writes, and each range the group writes, is either the
 * same range, or disjoint from every range the other reads or writes
 * (broadcast operands and gathered slots count as ranges of their own). */

typedef struct srange {
    uint32_t lo, hi; /* slots [lo, hi) */
    bool write;
    bool aligned; /* element i of the range goes with element i of the loop */
} srange;

enum { MAX_RANGES = 256 };

static bool fusable(const vm_ins *I)
{
    if (I->op == OP_GATHER)
        return I->n > 0;
    return vm_op_vector(I->op) && expr_portable(op_expr[I->op]) && I->n > 0;
}

/* The ranges instruction I touches; returns how many (at most 4). */
static int ins_ranges(const vm_ins *I, const uint32_t *pool, srange *out)
{
    int k = 0;
    out[k++] = (srange){I->d, I->d + I->n, true, true};
    if (I->op == OP_GATHER) {
        uint32_t lo = UINT32_MAX, hi = 0;
        for (uint32_t i = 0; i < I->n; i++) {
            uint32_t s = pool[I->aux + i];
            lo = s < lo ? s : lo;
            hi = s + 1 > hi ? s + 1 : hi;
        }
        out[k++] = (srange){lo, hi, false, false};
        return k;
    }
    const uint32_t ops[3] = {I->a, I->b, I->c};
    for (int i = 0; i < vm_op_arity(I->op); i++)
        out[k++] = (I->flags & (1u << i)) ? (srange){ops[i], ops[i] + 1, false, false}
                                          : (srange){ops[i], ops[i] + I->n, false, true};
    return k;
}

static bool ranges_conflict(const srange *x, const srange *y)
{
    if (!x->write && !y->write)
        return false;
    if (x->hi <= y->lo || y->hi <= x->lo)
        return false;
    return !(x->aligned && y->aligned && x->lo == y->lo && x->hi == y->hi);
}

/* How many instructions from k on (before end) form one fusable group. */
static size_t group_length(const vm_code *code, size_t k, size_t end, const uint32_t *pool)
{
    const vm_ins *first = &code->ins[k];
    if (!fusable(first))
        return 1;
    srange group[MAX_RANGES];
    int ng = ins_ranges(first, pool, group);
    size_t len = 1;
    while (k + len < end) {
        const vm_ins *I = &code->ins[k + len];
        if (!fusable(I) || I->n != first->n || ng + 4 > MAX_RANGES)
            break;
        srange mine[4];
        int nm = ins_ranges(I, pool, mine);
        bool ok = true;
        for (int i = 0; i < nm && ok; i++)
            for (int j = 0; j < ng && ok; j++)
                ok = !ranges_conflict(&mine[i], &group[j]);
        if (!ok)
            break;
        for (int i = 0; i < nm; i++)
            group[ng++] = mine[i];
        len++;
    }
    return len;
}

/* One loop for instructions k .. k+len-1 (a group from group_length). */
static void gen_fused(wd_buf *b, const vm_code *code, size_t k, size_t len)
{
    const char *nm[3] = {"A", "B", "C"};
    uint32_t n = code->ins[k].n;
    wd_buf_printf(b, "    { /* instructions %zu to %zu, fused */\n", k, k + len - 1);
    /* broadcast operands, read once before the loop (the group writes none
     * of them), and whole instructions over broadcast operands only */
    for (size_t j = 0; j < len; j++) {
        const vm_ins *I = &code->ins[k + j];
        int ar = vm_op_arity(I->op);
        const uint32_t ops[3] = {I->a, I->b, I->c};
        bool all = ar > 0;
        for (int i = 0; i < ar; i++) {
            all &= (I->flags & (1u << i)) != 0;
            if (I->flags & (1u << i))
                wd_buf_printf(b, "      const double b%zu%c = v[%u];\n", j, 'a' + i, ops[i]);
        }
        if (all) {
            wd_buf_printf(b, "      double x%zu; {", j);
            for (int i = 0; i < ar; i++)
                wd_buf_printf(b, " const double %s = b%zu%c;", nm[i], j, 'a' + i);
            wd_buf_printf(b, " x%zu = (%s); }\n", j, op_expr[I->op]);
        }
    }
    wd_buf_printf(b, "      for (uint32_t i = 0; i < %uu; i++) {\n", n);
    for (size_t j = 0; j < len; j++) {
        const vm_ins *I = &code->ins[k + j];
        if (I->op == OP_GATHER) {
            wd_buf_printf(b, "        v[%u + i] = v[pool[%uu + i]];\n", I->d, I->aux);
            continue;
        }
        int ar = vm_op_arity(I->op);
        const uint32_t ops[3] = {I->a, I->b, I->c};
        bool all = true;
        for (int i = 0; i < ar; i++)
            all &= (I->flags & (1u << i)) != 0;
        if (all) {
            wd_buf_printf(b, "        v[%u + i] = x%zu;\n", I->d, j);
            continue;
        }
        wd_buf_puts(b, "        {");
        for (int i = 0; i < ar; i++) {
            if (I->flags & (1u << i))
                wd_buf_printf(b, " const double %s = b%zu%c;", nm[i], j, 'a' + i);
            else
                wd_buf_printf(b, " const double %s = v[%u + i];", nm[i], ops[i]);
        }
        wd_buf_printf(b, " v[%u + i] = (%s); }\n", I->d, op_expr[I->op]);
    }
    wd_buf_puts(b, "      }\n    }\n");
}

static void gen_segment(wd_buf *b, const vm_code *code, int seg, const uint32_t *pool)
{
    size_t nparts = code->n ? (code->n + PART_SIZE - 1) / PART_SIZE : 0;
    /* one part: the exported function itself; more: each in a function of
     * its own, called in turn */
    for (size_t part = 0; part < nparts; part++) {
        if (nparts == 1)
            wd_buf_printf(b, "\nint wd_native_%s(double *v, void *cx, const wd_native_env *env)\n{\n",
                          native_seg_names[seg]);
        else
            wd_buf_printf(b, "\n__attribute__((noinline)) static int %s_%zu(double *v, void *cx, const wd_native_env *env)\n{\n",
                          native_seg_names[seg], part);
        wd_buf_puts(b,
                      "    const double T = v[0], TS = v[1], TH = v[2], DT = v[3];\n"
                      "    const uint32_t *pool = env->pool;\n"
                      "    const void *tables = env->tables;\n"
                      "    double (*tbl)(const void *, uint32_t, double, int) = env->table;\n"
                      "    (void)T, (void)TS, (void)TH, (void)DT, (void)pool, (void)tables, (void)tbl, (void)cx;\n");
        size_t end = (part + 1) * PART_SIZE < code->n ? (part + 1) * PART_SIZE : code->n;
        for (size_t k = part * PART_SIZE; k < end;) {
            size_t len = group_length(code, k, end, pool);
            if (len > 1)
                gen_fused(b, code, k, len);
            else
                gen_ins(b, &code->ins[k], seg, k);
            k += len;
        }
        wd_buf_puts(b, "    return 0;\n}\n");
    }
    if (nparts == 1)
        return;
    wd_buf_printf(b, "\nint wd_native_%s(double *v, void *cx, const wd_native_env *env)\n{\n", native_seg_names[seg]);
    for (size_t part = 0; part < nparts; part++)
        wd_buf_printf(b, "    if (%s_%zu(v, cx, env)) return 1;\n", native_seg_names[seg], part);
    wd_buf_puts(b, "    return 0;\n}\n");
}

/* The compiler command: $WANDEL_CC split at spaces, then the fixed flags. */
static const char *compiler(void)
{
    const char *cc = getenv("WANDEL_CC");
    return cc && *cc ? cc : "cc";
}

static const char *const cflags[] = {"-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math", "-w"};

static char *generate(const wd_program *p)
{
    wd_buf b = {0};
    wd_buf_printf(&b,
                  "/* wandel %s native code for %s, generated: do not edit.\n"
                  " * built with: %s",
                  WD_VERSION, p->model && p->model->path ? p->model->path : "a model", compiler());
    for (size_t i = 0; i < sizeof cflags / sizeof cflags[0]; i++)
        wd_buf_printf(&b, " %s", cflags[i]);
    wd_buf_printf(&b,
                  " */\n#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n\n"
                  "typedef struct wd_native_env {\n"
                  "    int (*fallback)(void *cx, int seg, uint32_t k);\n"
                  "    double (*table)(const void *tables, uint32_t id, double x, int how);\n"
                  "    const void *tables;\n"
                  "    const uint32_t *pool;\n"
                  "} wd_native_env;\n\n"
                  "const int wd_native_abi = %d;\n"
                  "const unsigned long wd_native_nslots = %zuul;\n",
                  NATIVE_ABI, p->nslots);
    const vm_code *segs[NSEG] = {&p->rhs, &p->out, &p->update};
    for (int s = 0; s < NSEG; s++)
        gen_segment(&b, segs[s], s, p->pool);
    return b.oom ? (wd_buf_free(&b), NULL) : wd_buf_take(&b);
}

/* ---- cache and build ------------------------------------------------------------------ */

/* A directory of the user's own, not writable by others (created 0700 when
 * create is set). */
static bool private_dir(const char *dir, bool create)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (!create)
            return false;
        /* create it and its missing parents */
        char *tmp = wd_xstrdup(dir);
        if (!tmp)
            return false;
        for (char *q = tmp + 1; *q; q++)
            if (*q == '/') {
                *q = 0;
                mkdir(tmp, 0700);
                *q = '/';
            }
        mkdir(tmp, 0700);
        wd_xfree(tmp);
        if (stat(dir, &st) != 0)
            return false;
    }
    return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static char *cache_dir(void)
{
    const char *c = getenv("WANDEL_CACHE");
    if (c && *c)
        return wd_xstrdup(c);
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && *x == '/')
        return wd_path_join(x, "wandel");
    const char *h = getenv("HOME");
    if (h && *h == '/')
        return wd_path_join(h, ".cache/wandel");
    return NULL;
}

/* Runs the compiler: src -> out. On failure, *why gets the first lines of
 * its messages. */
static bool build(const char *src, const char *out, const char *errpath, wd_buf *why)
{
    char *ccline = wd_xstrdup(compiler());
    if (!ccline)
        return false;
    const char *argv[64];
    int argc = 0;
    for (char *tok = strtok(ccline, " \t"); tok && argc < 40; tok = strtok(NULL, " \t"))
        argv[argc++] = tok;
    for (size_t i = 0; i < sizeof cflags / sizeof cflags[0]; i++)
        argv[argc++] = cflags[i];
    argv[argc++] = "-o";
    argv[argc++] = out;
    argv[argc++] = src;
    argv[argc++] = "-lm";
    argv[argc] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    bool ok = false;
    if (rc != 0) {
        wd_buf_printf(why, "cannot start the C compiler '%s': %s (set WANDEL_CC)", argv[0], strerror(rc));
    } else {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok) {
            size_t len;
            char *msg = wd_read_file(errpath, &len);
            if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                wd_buf_printf(why, "cannot start the C compiler '%s' (set WANDEL_CC)", argv[0]);
            else
                wd_buf_printf(why, "the C compiler '%s' failed: %.300s", argv[0], msg ? msg : "");
            wd_xfree(msg);
        }
    }
    wd_xfree(ccline);
    return ok;
}

static bool write_all(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return false;
    size_t n = strlen(text), off = 0;
    while (off < n) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return false;
        }
        off += (size_t)w;
    }
    return close(fd) == 0;
}

/* Loads a built object and checks it is what this program expects. */
static native_code *load(const char *path, const wd_program *p, wd_buf *why)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        wd_buf_printf(why, "cannot load %s: %s", path, e ? e : "?");
        return NULL;
    }
    const int *abi = dlsym(h, "wd_native_abi");
    const unsigned long *nslots = dlsym(h, "wd_native_nslots");
    native_code *nc = wd_xcalloc(1, sizeof *nc);
    bool ok = nc && abi && *abi == NATIVE_ABI && nslots && *nslots == p->nslots;
    for (int s = 0; ok && s < NSEG; s++) {
        char name[40];
        snprintf(name, sizeof name, "wd_native_%s", native_seg_names[s]);
        *(void **)&nc->fn[s] = dlsym(h, name);
        ok = nc->fn[s] != NULL;
    }
    if (!ok) {
        if (nc)
            wd_buf_printf(why, "%s is not native code of this program", path);
        dlclose(h);
        wd_xfree(nc);
        return NULL;
    }
    nc->handle = h;
    nc->path = wd_xstrdup(path);
    nc->env.fallback = native_fallback;
    nc->env.table = native_table;
    nc->env.tables = p->model->tables.v;
    nc->env.pool = p->pool;
    return nc;
}

wd_status native_prepare(wd_program *p, bool build_if_missing, wd_diags *d)
{
    if (p->native)
        return WD_OK;
    const char *mpath = p->model && p->model->path ? p->model->path : "model";
    wd_buf why = {0};
    wd_status st = WD_E_UNSUPPORTED;
    char *src = NULL, *dir = cache_dir(), *so = NULL, *tmpc = NULL, *tmpso = NULL, *errp = NULL;
    /* the directory first: without one, a lookup need not write the source */
    if (!dir || !private_dir(dir, build_if_missing)) {
        wd_buf_printf(&why, "no private cache directory for native code (%s); set WANDEL_CACHE",
                      dir ? dir : "HOME is not set");
        goto done;
    }
    if (!(src = generate(p))) {
        st = WD_E_NOMEM;
        goto done;
    }
    char hash[65], name[100];
    wd_sha256_hex(src, strlen(src), hash);
    snprintf(name, sizeof name, "wd-%.40s.so", hash);
    so = wd_path_join(dir, name);
    if (!so) {
        st = WD_E_NOMEM;
        goto done;
    }
    struct stat sst;
    if (stat(so, &sst) == 0) {
        p->native = load(so, p, &why);
        if (p->native) {
            st = WD_OK;
            goto done;
        }
        if (!build_if_missing)
            goto done;
        wd_buf_free(&why);
        unlink(so); /* unusable: rebuild it */
    } else if (!build_if_missing) {
        wd_buf_printf(&why, "no cached native code");
        goto done;
    }
    {
        wd_buf t = {0};
        static atomic_ulong serial;
        unsigned long k = atomic_fetch_add(&serial, 1);
        wd_buf_printf(&t, "%s/wd-%.40s.%ld.%lu", dir, hash, (long)getpid(), k);
        const char *base = wd_buf_str(&t);
        size_t bl = strlen(base) + 8;
        tmpc = wd_xmalloc(bl), tmpso = wd_xmalloc(bl), errp = wd_xmalloc(bl);
        if (!tmpc || !tmpso || !errp || t.oom) {
            wd_buf_free(&t);
            st = WD_E_NOMEM;
            goto done;
        }
        snprintf(tmpc, bl, "%s.c", base);
        snprintf(tmpso, bl, "%s.so", base);
        snprintf(errp, bl, "%s.err", base);
        wd_buf_free(&t);
    }
    if (!write_all(tmpc, src)) {
        wd_buf_printf(&why, "cannot write %s: %s", tmpc, strerror(errno));
        goto done;
    }
    bool built = build(tmpc, tmpso, errp, &why);
    unlink(tmpc);
    unlink(errp);
    if (!built) {
        unlink(tmpso);
        goto done;
    }
    if (rename(tmpso, so) != 0) {
        wd_buf_printf(&why, "cannot rename %s: %s", tmpso, strerror(errno));
        unlink(tmpso);
        goto done;
    }
    p->native = load(so, p, &why);
    st = p->native ? WD_OK : WD_E_UNSUPPORTED;
done:
    if (st != WD_OK && d && why.n)
        wd_diag_add(d, WD_ERROR, (wd_loc){mpath, 0, 0}, NULL, "native engine: %s", wd_buf_str(&why));
    wd_buf_free(&why);
    wd_xfree(src);
    wd_xfree(dir);
    wd_xfree(so);
    wd_xfree(tmpc);
    wd_xfree(tmpso);
    wd_xfree(errp);
    return st;
}

void native_free(native_code *nc)
{
    if (!nc)
        return;
    if (nc->handle)
        dlclose(nc->handle);
    wd_xfree(nc->path);
    wd_xfree(nc);
}

char *native_source(const wd_program *p) { return generate(p); }
