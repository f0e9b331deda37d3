/* fuzz_scenario.c: libFuzzer target for the scenario loader (libconfig
 * text, layers, settings). The input is written to a file in a private
 * directory, since scenarios are read from files with paths relative to
 * them. Built by `make fuzz`. */
#include "wandel.h"
#include "scenario.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/wandel-fuzz-%d.cfg", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    wd_diags *d = wd_diags_new();
    wd_scenario *s = NULL;
    if (scn_load(path, d, &s) == WD_OK)
        scn_add_set(s, "x[a]=1", d);
    wd_diags_text(d);
    scn_free(s);
    wd_diags_free(d);
    return 0;
}
