/* builtins.c: the function table declared in builtins.h. */
#include "builtins.h"

#include <string.h>

const fn_info wd_builtins[F_COUNT] = {
#define X(id, name, mn, mx, cls) [id] = {name, mn, mx, cls},
    WD_BUILTINS(X)
#undef X
};

int builtin_find(const char *canon_name)
{
    for (int i = 0; i < F_COUNT; i++)
        if (strcmp(wd_builtins[i].name, canon_name) == 0)
            return i;
    return -1;
}
