/* native.h: the native engine (native.c): a program's rhs, out and update
 * code as C, built into a shared object by the system compiler and loaded.
 *
 * Produced after compile.c, used by run.c/integrate.c in place of vm_exec
 * for those segments; results are bit-identical to the VM's.
 */
#ifndef WD_NATIVE_H
#define WD_NATIVE_H

#include "program.h"

/* The segments that have native code (init stays in the VM: it runs once). */
enum { NSEG_RHS, NSEG_OUT, NSEG_UPDATE, NSEG };
extern const char *const native_seg_names[NSEG];

/* What generated code calls back: the VM for one instruction (fallback:
 * nonzero when the segment must stop), and table lookups. Layout shared
 * with the generated source (native.c writes the same struct). */
typedef struct wd_native_env {
    int (*fallback)(void *cx, int seg, uint32_t k);
    double (*table)(const void *tables, uint32_t id, double x, int how);
    const void *tables;
    const uint32_t *pool;
} wd_native_env;

/* A segment: nonzero when it stopped early (the VM faulted). cx is the run's
 * vm_ctx, handed to the fallback. */
typedef int (*native_seg_fn)(double *v, void *cx, const wd_native_env *env);

struct native_code {
    void *handle;        /* dlopen */
    char *path;          /* the shared object */
    native_seg_fn fn[NSEG];
    wd_native_env env;
};

/* Attaches native code to p (before p is shared): from the cache, or when
 * build_if_missing, built by the C compiler. On failure p is unchanged and
 * the reason is in d (when d is not NULL). */
wd_status native_prepare(wd_program *p, bool build_if_missing, wd_diags *d);
void native_free(native_code *nc);
/* The C source native_prepare would build (heap string), for tests and
 * inspection. */
char *native_source(const wd_program *p);

#endif
