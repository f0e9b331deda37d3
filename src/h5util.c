/* h5util.c: HDF5 primitives shared by the result and sweep files (see
 * h5util.h). */
#include "h5util.h"

#include "util.h"

#include <errno.h>
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

wd_status h5_report_failure(wd_diags *d, const char *path, const char *prefix, const char *fmt, va_list ap)
{
    char why[200];
    h5_failure_reason(why, sizeof why, errno);
    wd_buf what = {0};
    wd_buf_vprintf(&what, fmt, ap);
    wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "%s%s: %s", prefix, wd_buf_str(&what), why);
    wd_buf_free(&what);
    return WD_E_IO;
}

char *h5_escape_name(const char *s)
{
    wd_buf b = {0};
    for (; *s; s++) {
        if (*s == '/')
            wd_buf_puts(&b, "\xE2\x88\x95");
        else
            wd_buf_putc(&b, *s);
    }
    if (b.oom) {
        wd_buf_free(&b);
        return NULL;
    }
    return wd_buf_take(&b);
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

bool h5_put_str_attr(hid_t obj, const char *name, const char *value)
{
    if (!value)
        value = "";
    size_t len = strlen(value);
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR), attr = H5I_INVALID_HID;
    bool ok = type >= 0 && space >= 0 && H5Tset_size(type, len ? len : 1) >= 0 &&
              H5Tset_strpad(type, H5T_STR_NULLTERM) >= 0 &&
              H5Tset_cset(type, is_ascii(value) ? H5T_CSET_ASCII : H5T_CSET_UTF8) >= 0 &&
              (attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
              H5Awrite(attr, type, len ? value : "") >= 0;
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return ok;
}

bool h5_put_num_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, size_t n, const void *value)
{
    hsize_t dims = n;
    hid_t space = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, NULL), attr = H5I_INVALID_HID;
    bool ok = space >= 0 && (attr = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
              H5Awrite(attr, mtype, value) >= 0;
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    return ok;
}

void h5_chunk_shape(int rank, const hsize_t *shape, hsize_t budget, hsize_t *chunk)
{
    for (int d = rank - 1; d >= 0; d--) {
        chunk[d] = shape[d] < budget ? shape[d] : budget;
        if (chunk[d] == 0)
            chunk[d] = 1;
        budget /= chunk[d];
        if (budget == 0)
            budget = 1;
    }
}

bool h5_write_slab(hid_t ds, hid_t mtype, int rank, const hsize_t *start, const hsize_t *count, const void *buf)
{
    hsize_t n = 1;
    for (int d = 0; d < rank; d++)
        n *= count[d];
    if (n == 0)
        return true;
    hid_t fspace = H5Dget_space(ds), mspace = H5Screate_simple(1, &n, NULL);
    bool ok = fspace >= 0 && mspace >= 0 &&
              H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
              H5Dwrite(ds, mtype, mspace, fspace, H5P_DEFAULT, buf) >= 0;
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    return ok;
}
