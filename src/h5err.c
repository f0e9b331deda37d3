/* h5err.c: the reason behind a failed HDF5 call (see h5err.h). */
#include "h5err.h"

#include <hdf5.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct reason {
    bool found;
    char *text;
    size_t n;
} reason;

/* Keeps the innermost entry (n == 0): the place the failure was detected.
 * For a failed system call its description holds the system's message as
 * "error message = '...'". */
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    reason *r = data;
    if (n != 0 || r->found)
        return 0;
    r->found = true;
    static const char tag[] = "error message = '";
    const char *sys = e->desc ? strstr(e->desc, tag) : NULL;
    if (sys) {
        sys += strlen(tag);
        size_t len = strcspn(sys, "'");
        if (len >= r->n)
            len = r->n - 1;
        memcpy(r->text, sys, len);
        r->text[len] = 0;
    } else if (H5Eget_msg(e->min_num, NULL, r->text, r->n) <= 0) {
        snprintf(r->text, r->n, "%s", e->desc ? e->desc : "HDF5 error");
    }
    return 0;
}

void h5_failure_reason(char *text, size_t n, int saved_errno)
{
    reason r = {false, text, n};
    text[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &r);
    if (!r.found)
        snprintf(text, n, "%s", saved_errno ? strerror(saved_errno) : "HDF5 error");
}
