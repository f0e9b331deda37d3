/* fuzz_expr.c: libFuzzer target for the expression compiler: the input is
 * the right-hand side of an equation over a subscript range, in a model
 * that defines ranges, a mapping, constants, a stock, a lookup and a macro
 * for it to refer to. Built by `make fuzz`. */
#include "wandel.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *prelude =
    "d: a1, a2, a3 -> e ~~|\n"
    "e: b1, b2, b3 ~~|\n"
    "sub: a1, a2 ~~|\n"
    "c = 2 ~~|\n"
    "v[d] = 1, 2, 3 ~~|\n"
    "w[d, e] = 1 ~~|\n"
    "s[d] = INTEG(v[d] - s[d] / 4, 10) ~~|\n"
    "lk((0, 0), (1, 2), (5, 3)) ~~|\n"
    ":MACRO: M(p)\nM = p * 2 ~~|\n:END OF MACRO:\n"
    "FINAL TIME = 2 ~~|\nINITIAL TIME = 0 ~~|\nTIME STEP = 0.5 ~~|\nSAVEPER = 0.5 ~~|\n"
    "x[d] = ";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pl = strlen(prelude);
    char *text = wd_xmalloc(pl + size + 8);
    if (!text)
        return 0;
    memcpy(text, prelude, pl);
    memcpy(text + pl, data, size);
    memcpy(text + pl + size, " ~~|\n", 6);
    wd_diags *d = wd_diags_new();
    wd_model *m = NULL;
    wd_program *p = NULL;
    wd_run *r = NULL;
    if (wd_model_from_string(text, "expr.mdl", d, &m) == WD_OK && wd_program_compile(m, NULL, d, &p) == WD_OK &&
        wd_run_new(p, &r) == WD_OK) {
        wd_run_exec(r, NULL, d);
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            wd_program_disasm(p, null);
            wd_write_table(r, NULL, null, '\t', d);
            fclose(null);
        }
    }
    wd_diags_text(d);
    wd_run_free(r);
    wd_program_free(p);
    wd_model_free(m);
    wd_diags_free(d);
    wd_xfree(text);
    return 0;
}
