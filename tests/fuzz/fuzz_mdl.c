/* fuzz_mdl.c: libFuzzer target for the .mdl reader and everything behind
 * it: any bytes are parsed, checked, compiled and, when that succeeds, run
 * for a few steps. Built by `make fuzz` with clang's -fsanitize=fuzzer. */
#include "wandel.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = wd_xmalloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    wd_diags *d = wd_diags_new();
    wd_model *m = NULL;
    wd_program *p = NULL;
    wd_run *r = NULL;
    if (wd_model_from_string(text, "fuzz.mdl", d, &m) == WD_OK && wd_program_compile(m, NULL, d, &p) == WD_OK &&
        wd_run_new(p, &r) == WD_OK) {
        /* a short run whatever the model's own time settings */
        wd_run_opts o;
        wd_run_opts_init(&o);
        o.method = WD_EULER;
        o.initial_time = 0;
        o.final_time = 2;
        o.time_step = 0.5;
        o.saveper = 0.5;
        wd_run_exec(r, &o, d);
        o.method = WD_RKF45;
        wd_run_exec(r, &o, d);
    }
    wd_diags_text(d);
    wd_run_free(r);
    wd_program_free(p);
    wd_model_free(m);
    wd_diags_free(d);
    wd_xfree(text);
    return 0;
}
