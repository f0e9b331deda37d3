/* h5util.h: HDF5 primitives shared by the result file (sink_hdf5.c) and the
 * sweep file (sweep_h5.c). They report failure by their return value only;
 * the caller names what failed and adds h5_failure_reason() or reports it
 * with h5_report_failure(). */
#ifndef WANDEL_H5UTIL_H
#define WANDEL_H5UTIL_H

#include "diag.h"
#include "wandel.h"

#include <hdf5.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Writes into text (size n, n > 0) why the last HDF5 call failed: the
 * innermost entry of HDF5's error stack, which for a failed system call is
 * the system's own message ("No space left on device"); else
 * strerror(saved_errno) when it is not 0; else "HDF5 error". Call right
 * after the failure, before another HDF5 call clears the stack. */
void h5_failure_reason(char *text, size_t n, int saved_errno);

/* Reports a failed HDF5 call in d at path as "<prefix><what>: <reason>",
 * <what> formatted from fmt and ap, <reason> from h5_failure_reason (errno
 * read first). Call right after the failure. Returns WD_E_IO. */
wd_status h5_report_failure(wd_diags *d, const char *path, const char *prefix, const char *fmt, va_list ap);

/* A name usable as an HDF5 link: '/' becomes U+2215 (DIVISION SLASH, UTF-8
 * E2 88 95), which reads the same. Heap string; NULL when out of memory. */
char *h5_escape_name(const char *s);

/* Scalar fixed-length string attribute, ASCII or UTF-8 as the value needs;
 * NULL and "" are stored as one NUL byte. */
bool h5_put_str_attr(hid_t obj, const char *name, const char *value);

/* Numeric attribute of n values (n == 1: a scalar) stored as ftype, read
 * from memory as mtype. */
bool h5_put_num_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, size_t n, const void *value);

/* Chunk shape of a dataset of the given shape, at most budget elements per
 * chunk: the innermost dimensions whole first, what the budget leaves to the
 * outer ones (whole element rows times a block of time points, or whole runs
 * when a run fits). No chunk dimension is 0. */
void h5_chunk_shape(int rank, const hsize_t *shape, hsize_t budget, hsize_t *chunk);

/* Writes the prod(count) values at buf (memory type mtype) into the
 * hyperslab start/count of ds. An empty hyperslab writes nothing. */
bool h5_write_slab(hid_t ds, hid_t mtype, int rank, const hsize_t *start, const hsize_t *count, const void *buf);

#endif
