/* h5err.h: the reason behind a failed HDF5 call, for error messages. */
#ifndef WANDEL_H5ERR_H
#define WANDEL_H5ERR_H

#include <stddef.h>

/* Writes into text (size n, n > 0) why the last HDF5 call failed: the
 * innermost entry of HDF5's error stack, which for a failed system call is
 * the system's own message ("No space left on device"); else
 * strerror(saved_errno) when it is not 0; else "HDF5 error". Call right
 * after the failure, before another HDF5 call clears the stack. */
void h5_failure_reason(char *text, size_t n, int saved_errno);

#endif
