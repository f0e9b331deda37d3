/* atomic_file.h: files that appear whole or not at all. A writer creates a
 * temporary beside the target, fills it, and wd_temp_commit() syncs it and
 * renames it over the target; a process killed on the way leaves only the
 * temporary, which the next writer of the same target removes. */
#ifndef WANDEL_ATOMIC_FILE_H
#define WANDEL_ATOMIC_FILE_H

#include "wandel.h"

#include <stdbool.h>
#include <stddef.h>

/* Creates a new temporary for path, ".<base>.tmp.<pid>.<n>" in the same
 * directory (base cut to its first 200 bytes, so that a target name near
 * the system's limit of 255 still gets one), with mode 0666 less the umask
 * (the permissions any new file of the user gets), after removing the
 * temporaries of path left by processes that no longer exist. Returns its
 * descriptor and its name in *tmp (heap), or -1 with errno set and *tmp
 * NULL: EEXIST when no free name was found, ENOMEM, or open()'s errno. */
int wd_temp_create(const char *path, char **tmp);

/* Finishes a temporary: when fd >= 0, syncs and closes it (close reports
 * delayed write errors on network file systems); then renames tmp over path
 * and syncs the directory. ok false (the writer failed) only closes and
 * removes the temporary. On any failure tmp is removed. Returns 0, or the
 * errno of the step that failed, named in *step. */
int wd_temp_commit(int fd, const char *tmp, const char *path, bool ok, const char **step);

/* Writes len bytes to path atomically; a failure is reported in d as
 * "cannot write '<path>': <step>: <reason>" and returns WD_E_IO. */
wd_status wd_write_file_atomic(const char *path, const void *data, size_t len, wd_diags *d);

#endif
