/* atomic_file.c: files that appear whole or not at all (see atomic_file.h). */
#include "atomic_file.h"

#include "diag.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Atomic unsigned long temp_seq;

int wd_temp_create(const char *path, char **tmp)
{
    *tmp = NULL;
    char *dir = wd_dirname(path);
    if (!dir) {
        errno = ENOMEM;
        return -1;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    wd_remove_stale_temps(path);
    int fd = -1, err = EEXIST;
    for (int attempt = 0; attempt < 100 && fd < 0 && err == EEXIST; attempt++) {
        wd_buf b = {0};
        wd_buf_printf(&b, "%s/.%.200s.tmp.%ld.%lu", dir, base, (long)getpid(), atomic_fetch_add(&temp_seq, 1));
        if (b.oom) {
            wd_buf_free(&b);
            err = ENOMEM;
            break;
        }
        char *name = wd_buf_take(&b);
        fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0)
            *tmp = name;
        else {
            err = errno;
            wd_xfree(name);
        }
    }
    wd_xfree(dir);
    if (fd < 0)
        errno = err;
    return fd;
}

int wd_temp_commit(int fd, const char *tmp, const char *path, bool ok, const char **step)
{
    int err = 0;
    *step = NULL;
    if (fd >= 0) {
        if (ok && fsync(fd) != 0)
            err = errno, *step = "sync";
        if (close(fd) != 0 && ok && !err)
            err = errno, *step = "close";
    }
    if (ok && !err && rename(tmp, path) != 0)
        err = errno, *step = "rename";
    if (!ok || err) {
        unlink(tmp);
        return err;
    }
    /* the rename itself is durable once the directory is synced; a failure
     * here loses nothing that is not on disk already */
    char *dir = wd_dirname(path);
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    wd_xfree(dir);
    return 0;
}

wd_status wd_write_file_atomic(const char *path, const void *data, size_t len, wd_diags *d)
{
    char *tmp;
    int fd = wd_temp_create(path, &tmp);
    if (fd < 0) {
        int err = errno;
        char *dir = wd_dirname(path);
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot write '%s': cannot create a file in directory '%s': %s",
                    path, dir ? dir : ".", strerror(err));
        wd_xfree(dir);
        return err == ENOMEM ? WD_E_NOMEM : WD_E_IO;
    }
    const char *p = data, *step = NULL;
    size_t left = len;
    int err = 0;
    while (left > 0) {
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            err = k < 0 ? errno : EIO;
            step = "write";
            break;
        }
        p += k;
        left -= (size_t)k;
    }
    const char *cstep;
    int cerr = wd_temp_commit(fd, tmp, path, err == 0, &cstep);
    if (!err)
        err = cerr, step = cstep;
    wd_xfree(tmp);
    if (err) {
        wd_diag_add(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, "cannot write '%s': %s: %s", path, step, strerror(err));
        return WD_E_IO;
    }
    return WD_OK;
}
