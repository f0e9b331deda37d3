/* sweep_journal.c: the record of finished runs that lets a sweep resume.
 *
 * Sits between the coordinator (sweep_exec.c), which appends the records of
 * finished runs as they arrive, and the final writer, which reads them back.
 * The file OUT.journal is a 256-byte header (the sweep's identity: the
 * SHA-256 of its specification, its run range and record shape) followed by
 * whole run records (sweep.h), each with its length and a CRC-32.
 *
 * Why a journal of our own rather than an HDF5 file grown in place: HDF5
 * makes no promise about a file whose process is killed between two
 * H5Fflush calls (its metadata cache writes at any time, and a file killed
 * mid-write can be unreadable as a whole), and HDF5 1.10 cannot close a file
 * after a failed write (disk full) and then crashes at exit. An append-only
 * file of checksummed records can only lose its last, torn record: resume
 * reads every whole record, cuts the torn tail off and carries on. Records
 * are written with write() as each batch of runs arrives, so a SIGKILL loses
 * nothing that was handed over (the page cache keeps it); fdatasync runs at
 * most once per sync interval (a second by default), which bounds what a
 * power cut can lose without slowing small runs down. Write errors come from
 * our own system calls, with their errno.
 */
#include "sweep.h"

#include "diag.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { HEAD_SIZE = 256, BOM = 0x01020304 };
static const char MAGIC[8] = {'W', 'D', 'S', 'W', 'J', 'N', 'L', '1'};

struct sweep_journal {
    char *path;
    const sweep_meta *m;
    int fd;
    uint64_t end;        /* bytes in the file */
    uint64_t *off;       /* per run of the range: its record's offset, 0 = not done */
    uint64_t ndone;
    double last_sync;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *sweep_journal_path(const char *out)
{
    wd_buf b = {0};
    wd_buf_printf(&b, "%s.journal", out);
    return b.oom ? (wd_buf_free(&b), NULL) : wd_buf_take(&b);
}

const char *sweep_journal_file(const sweep_journal *j) { return j->path; }

static void header(const sweep_meta *m, unsigned char h[HEAD_SIZE])
{
    memset(h, 0, HEAD_SIZE);
    memcpy(h, MAGIC, 8);
    uint32_t bom = BOM, size = HEAD_SIZE;
    memcpy(h + 8, &bom, 4);
    memcpy(h + 12, &size, 4);
    memcpy(h + 16, m->spec_sha, 64);
    uint64_t v[5] = {m->run_first, m->run_count, m->nparams, m->nmetrics, m->series_len};
    memcpy(h + 80, v, sizeof v);
}

static bool write_all(int fd, const void *p, size_t n, uint64_t at)
{
    const char *c = p;
    while (n) {
        ssize_t k = pwrite(fd, c, n, (off_t)at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = ENOSPC;
            return false;
        }
        c += k;
        n -= (size_t)k;
        at += (uint64_t)k;
    }
    return true;
}

static bool read_all(int fd, void *p, size_t n, uint64_t at)
{
    char *c = p;
    while (n) {
        ssize_t k = pread(fd, c, n, (off_t)at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        c += k;
        n -= (size_t)k;
        at += (uint64_t)k;
    }
    return true;
}

static void sync_dir(const char *path)
{
    char *dir = wd_dirname(path);
    if (!dir)
        return;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    wd_xfree(dir);
}

static void jerr(wd_diags *d, const char *path, const char *fmt, ...) WD_PRINTF(3, 4);
static void jerr(wd_diags *d, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_diag_vadd(d, WD_ERROR, (wd_loc){path, 0, 0}, NULL, fmt, ap);
    va_end(ap);
}

/* Reads the records of an existing journal into the index; cuts a torn
 * tail off. */
static wd_status scan(sweep_journal *j, wd_diags *d)
{
    struct stat st;
    if (fstat(j->fd, &st) != 0) {
        jerr(d, j->path, "cannot read the journal: %s", strerror(errno));
        return WD_E_IO;
    }
    uint64_t size = (uint64_t)st.st_size, pos = HEAD_SIZE;
    size_t cap = 1 << 20, have = 0, max_rec = sweep_rec_size(j->m, SWEEP_REASON_MAX);
    unsigned char *buf = wd_xmalloc(cap);
    if (!buf)
        return WD_E_NOMEM;
    uint64_t bufpos = pos; /* buf holds the file's bytes [bufpos, bufpos + have) */
    wd_status rs = WD_OK;
    for (;;) {
        size_t used = (size_t)(pos - bufpos), avail = have - used;
        uint32_t rl = 0;
        if (avail >= 8)
            memcpy(&rl, buf + used + 4, 4);
        if (avail >= 8 && (rl > max_rec || rl < 8))
            break; /* damaged length: dropped from here */
        if ((avail < 8 || rl > avail) && bufpos + have < size) {
            memmove(buf, buf + used, avail);
            bufpos = pos;
            have = avail;
            if (rl > cap) {
                unsigned char *nb = wd_xrealloc(buf, rl);
                if (!nb) {
                    rs = WD_E_NOMEM;
                    break;
                }
                buf = nb;
                cap = rl;
            }
            size_t want = cap - have;
            if (want > size - (bufpos + have))
                want = (size_t)(size - (bufpos + have));
            if (!read_all(j->fd, buf + have, want, bufpos + have)) {
                jerr(d, j->path, "cannot read the journal: %s", strerror(errno));
                rs = WD_E_IO;
                break;
            }
            have += want;
            continue;
        }
        if (avail == 0)
            break;
        sweep_rec r;
        size_t len;
        if (!sweep_rec_get(buf + used, avail, j->m, &r, &len))
            break; /* torn (cut short) or damaged: dropped from here */
        uint64_t i = r.run - j->m->run_first;
        if (!j->off[i]) {
            j->off[i] = pos;
            j->ndone++;
        }
        pos += len;
    }
    wd_xfree(buf);
    if (rs != WD_OK)
        return rs;
    if (pos < size) {
        if (ftruncate(j->fd, (off_t)pos) != 0) {
            jerr(d, j->path, "cannot cut the torn end off the journal: %s", strerror(errno));
            return WD_E_IO;
        }
        wd_diag_add(d, WD_NOTE, (wd_loc){j->path, 0, 0}, NULL,
                    "dropped %llu bytes at the end of the journal: a record cut short when the sweep was stopped "
                    "(its run is done again)",
                    (unsigned long long)(size - pos));
    }
    j->end = pos;
    return WD_OK;
}

wd_status sweep_journal_open(const sweep_meta *m, const char *out, bool resume, wd_diags *d, sweep_journal **out_j)
{
    *out_j = NULL;
    sweep_journal *j = wd_xcalloc(1, sizeof *j);
    if (!j)
        return WD_E_NOMEM;
    j->fd = -1;
    j->m = m;
    j->path = sweep_journal_path(out);
    j->off = wd_xcalloc(m->run_count + 1, sizeof *j->off);
    if (!j->path || !j->off) {
        sweep_journal_close(j, false);
        return WD_E_NOMEM;
    }
    unsigned char want[HEAD_SIZE];
    header(m, want);
    wd_status st = WD_OK;
    j->fd = open(j->path, O_RDWR | O_CLOEXEC);
    if (j->fd >= 0 && !resume) {
        jerr(d, j->path,
             "this journal holds the finished runs of an interrupted sweep into '%s': continue that sweep with "
             "--resume, or remove the journal to start again",
             out);
        st = WD_E_ARG;
        goto fail;
    }
    if (j->fd >= 0) {
        unsigned char got[HEAD_SIZE];
        if (!read_all(j->fd, got, HEAD_SIZE, 0) || memcmp(got, MAGIC, 8) != 0) {
            jerr(d, j->path, "not a wandel sweep journal (or its header is damaged); remove it to start again");
            st = WD_E_ARG;
            goto fail;
        }
        if (memcmp(got + 8, want + 8, 8) != 0) {
            jerr(d, j->path, "this journal was written on a machine of another byte order; remove it to start again");
            st = WD_E_ARG;
            goto fail;
        }
        if (memcmp(got + 16, want + 16, 64) != 0) {
            jerr(d, j->path,
                 "this journal belongs to another sweep (its settings, model, scenario values or time grid have "
                 "changed since); remove it to start again");
            st = WD_E_ARG;
            goto fail;
        }
        if (memcmp(got, want, HEAD_SIZE) != 0) {
            jerr(d, j->path, "this journal holds another shard of the sweep (another --shard); remove it or use "
                             "the shard it was written for");
            st = WD_E_ARG;
            goto fail;
        }
        st = scan(j, d);
        if (st != WD_OK)
            goto fail;
    } else if (errno != ENOENT) {
        jerr(d, j->path, "cannot open the journal: %s", strerror(errno));
        st = WD_E_IO;
        goto fail;
    } else {
        j->fd = open(j->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (j->fd < 0) {
            int e = errno;
            char *dir = wd_dirname(out);
            if (e == ENOENT)
                jerr(d, out, "cannot write the results: directory '%s' does not exist", dir ? dir : ".");
            else
                jerr(d, out, "cannot create the sweep's journal '%s' beside it: %s", j->path, strerror(e));
            wd_xfree(dir);
            st = WD_E_IO;
            goto fail;
        }
        if (!write_all(j->fd, want, HEAD_SIZE, 0) || fdatasync(j->fd) != 0) {
            jerr(d, j->path, "cannot write the journal: %s", strerror(errno));
            st = WD_E_IO;
            unlink(j->path);
            goto fail;
        }
        sync_dir(j->path);
        j->end = HEAD_SIZE;
    }
    j->last_sync = now();
    *out_j = j;
    return WD_OK;
fail:
    sweep_journal_close(j, false);
    return st;
}

bool sweep_journal_done(const sweep_journal *j, uint64_t run)
{
    return run >= j->m->run_first && run - j->m->run_first < j->m->run_count && j->off[run - j->m->run_first];
}

uint64_t sweep_journal_ndone(const sweep_journal *j) { return j->ndone; }

wd_status sweep_journal_sync(sweep_journal *j, wd_diags *d)
{
    if (fdatasync(j->fd) != 0) {
        jerr(d, j->path, "cannot sync the journal: %s", strerror(errno));
        return WD_E_IO;
    }
    j->last_sync = now();
    return WD_OK;
}

wd_status sweep_journal_append(sweep_journal *j, const void *recs, size_t n, double sync_seconds, wd_diags *d)
{
    const unsigned char *p = recs;
    /* check every record before writing any */
    for (size_t o = 0; o < n;) {
        sweep_rec r;
        size_t len;
        if (!sweep_rec_get(p + o, n - o, j->m, &r, &len)) {
            jerr(d, j->path, "internal error: a damaged run record was handed to the journal");
            return WD_E_IO;
        }
        o += len;
    }
    if (!write_all(j->fd, p, n, j->end)) {
        int e = errno;
        jerr(d, j->path,
             "cannot write the journal: %s; the runs recorded so far are kept: make room, then continue with "
             "--resume",
             strerror(e));
        return WD_E_IO;
    }
    for (size_t o = 0; o < n;) {
        sweep_rec r;
        size_t len;
        sweep_rec_get(p + o, n - o, j->m, &r, &len);
        uint64_t i = r.run - j->m->run_first;
        if (!j->off[i]) {
            j->off[i] = j->end + o;
            j->ndone++;
        }
        o += len;
    }
    j->end += n;
    if (now() - j->last_sync >= sync_seconds)
        return sweep_journal_sync(j, d);
    return WD_OK;
}

bool sweep_journal_read(sweep_journal *j, uint64_t run, wd_buf *buf, sweep_rec *rec)
{
    if (!sweep_journal_done(j, run))
        return false;
    uint64_t at = j->off[run - j->m->run_first];
    unsigned char head[8];
    if (!read_all(j->fd, head, 8, at))
        return false;
    uint32_t len;
    memcpy(&len, head + 4, 4);
    if (len > sweep_rec_size(j->m, SWEEP_REASON_MAX) || len < 8)
        return false;
    if (buf->cap < len + 1) {
        char *ns = wd_xrealloc(buf->s, len + 1);
        if (!ns)
            return false;
        buf->s = ns;
        buf->cap = len + 1;
    }
    if (!read_all(j->fd, buf->s, len, at))
        return false;
    buf->n = len;
    size_t got;
    return sweep_rec_get(buf->s, len, j->m, rec, &got) && rec->run == run;
}

void sweep_journal_close(sweep_journal *j, bool remove)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    if (remove && j->path) {
        unlink(j->path);
        sync_dir(j->path);
    }
    wd_xfree(j->path);
    wd_xfree(j->off);
    wd_xfree(j);
}
