/* sweep_exec.c: running a sweep: worker threads sharing one program, one
 * coordinator (the calling thread) that owns the journal, optional remote
 * workers (the MPI driver, src/mpi/), the progress bar, and the final file.
 *
 * Workers take batches of run indices from the coordinator's list of runs
 * still to do (smaller batches as the end nears, so that no worker is left
 * with a long tail), run them on their own wd_run, and hand the serialized
 * records over a bounded queue; the coordinator appends them to the journal
 * (sweep_journal.c), which is the only file written while runs go on. When
 * every run of the range is in the journal, the final file is written from
 * it (sweep_h5.c) and the journal removed. Nothing a run produces depends on
 * the worker that ran it or on when it finished: records carry their run
 * index, and the final file takes them in index order.
 */
#include "sweep.h"

#include "diag.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SYNC_SECONDS 1.0 /* fdatasync of the journal at most this often */

typedef struct qitem {
    char *buf;
    size_t n;
} qitem;

struct sweep_coord {
    wd_sweep *sw;
    sweep_journal *j;
    wd_diags *d;
    pthread_mutex_t mu;
    pthread_cond_t cv_items, cv_space;
    uint64_t *todo;
    size_t ntodo, next;
    qitem *q;
    size_t qhead, qn, qcap;
    unsigned running;     /* local threads not finished */
    unsigned nworkers;    /* local + remote */
    wd_status err;        /* first error of a worker or of the journal */
    bool stop;
    volatile int *user_stop;
    uint64_t delivered;   /* records handed to the journal in this call */
    /* progress */
    bool progress;
    double t0, last_draw;
    uint64_t total, before;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t sweep_coord_claim(sweep_coord *c, size_t max, uint64_t *runs)
{
    pthread_mutex_lock(&c->mu);
    size_t n = 0;
    if (!c->stop && c->err == WD_OK) {
        n = c->ntodo - c->next < max ? c->ntodo - c->next : max;
        memcpy(runs, c->todo + c->next, n * sizeof *runs);
        c->next += n;
    }
    pthread_mutex_unlock(&c->mu);
    return n;
}

size_t sweep_coord_batch(sweep_coord *c)
{
    pthread_mutex_lock(&c->mu);
    size_t left = c->ntodo - c->next, w = c->nworkers ? c->nworkers : 1;
    pthread_mutex_unlock(&c->mu);
    size_t b = left / (w * 8);
    return b < 1 ? 1 : b > 64 ? 64 : b;
}

bool sweep_coord_stopping(sweep_coord *c)
{
    pthread_mutex_lock(&c->mu);
    bool s = c->stop || c->err != WD_OK;
    pthread_mutex_unlock(&c->mu);
    return s;
}

static void draw(sweep_coord *c, bool last)
{
    if (!c->progress)
        return;
    double t = now();
    if (!last && t - c->last_draw < 0.2)
        return;
    c->last_draw = t;
    uint64_t done = c->before + c->delivered, total = c->total;
    double frac = total ? (double)done / (double)total : 1;
    double el = t - c->t0, rate = el > 0 ? (double)c->delivered / el : 0;
    char bar[21];
    int fill = (int)(frac * 20);
    for (int i = 0; i < 20; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[20] = 0;
    char eta[32] = "--:--";
    if (rate > 0) {
        double s = (double)(total - done) / rate;
        if (s < 360000)
            snprintf(eta, sizeof eta, "%d:%02d:%02d", (int)(s / 3600), (int)fmod(s / 60, 60), (int)fmod(s, 60));
    }
    if (last)
        snprintf(eta, sizeof eta, "%.1f s", el);
    fprintf(stderr, "\r[%s] %5.1f%%  %llu/%llu runs  %.0f runs/s  %s %s ", bar, 100 * frac,
            (unsigned long long)done, (unsigned long long)total, rate, last ? "in" : "ETA", eta);
    if (last)
        fputc('\n', stderr);
    fflush(stderr);
}

/* The first error wins; workers waiting for room in the queue are woken. */
static void set_err(sweep_coord *c, wd_status st)
{
    pthread_mutex_lock(&c->mu);
    if (c->err == WD_OK)
        c->err = st;
    pthread_cond_broadcast(&c->cv_space);
    pthread_mutex_unlock(&c->mu);
}

wd_status sweep_coord_deliver(sweep_coord *c, const void *recs, size_t n)
{
    if (n == 0)
        return WD_OK;
    wd_status st = sweep_journal_append(c->j, recs, n, SYNC_SECONDS, c->d);
    if (st != WD_OK) {
        set_err(c, st);
        return st;
    }
    const unsigned char *p = recs;
    for (size_t o = 0; o < n;) {
        uint32_t len;
        memcpy(&len, p + o + 4, 4);
        o += len;
        c->delivered++;
    }
    draw(c, false);
    return WD_OK;
}

/* ---- local worker threads ------------------------------------------------------------------- */

static void *worker_main(void *arg)
{
    sweep_coord *c = arg;
    sweep_worker *w = NULL;
    wd_status st = sweep_worker_new(c->sw, &w);
    uint64_t runs[64];
    while (st == WD_OK) {
        size_t n = sweep_coord_claim(c, sweep_coord_batch(c), runs);
        if (n == 0)
            break;
        wd_buf b = {0};
        for (size_t i = 0; i < n && st == WD_OK; i++)
            st = sweep_worker_run(w, runs[i], &b);
        if (st != WD_OK) {
            wd_buf_free(&b);
            break;
        }
        pthread_mutex_lock(&c->mu);
        while (c->qn == c->qcap && c->err == WD_OK)
            pthread_cond_wait(&c->cv_space, &c->mu);
        if (c->err == WD_OK) {
            c->q[(c->qhead + c->qn) % c->qcap] = (qitem){b.s, b.n};
            c->qn++;
            b.s = NULL;
            pthread_cond_signal(&c->cv_items);
        }
        pthread_mutex_unlock(&c->mu);
        wd_buf_free(&b);
    }
    sweep_worker_free(w);
    pthread_mutex_lock(&c->mu);
    if (st != WD_OK && c->err == WD_OK)
        c->err = st;
    c->running--;
    pthread_cond_broadcast(&c->cv_items);
    pthread_cond_broadcast(&c->cv_space);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- the coordinator's loop ------------------------------------------------------------------ */

static wd_status coordinate(sweep_coord *c, unsigned threads, const sweep_remote *remote)
{
    pthread_t *tid = wd_xcalloc(threads + 1, sizeof *tid);
    if (!tid)
        return WD_E_NOMEM;
    unsigned started = 0;
    pthread_mutex_lock(&c->mu);
    for (; started < threads; started++) {
        if (pthread_create(&tid[started], NULL, worker_main, c) != 0)
            break;
        c->running++;
    }
    pthread_mutex_unlock(&c->mu);
    if (started < threads && started == 0 && !remote) {
        wd_xfree(tid);
        wd_diag_add(c->d, WD_ERROR, (wd_loc){0}, NULL, "cannot start a worker thread: %s", strerror(errno));
        return WD_E_NOMEM;
    }
    qitem *batch = wd_xmalloc((c->qcap + 1) * sizeof *batch);
    if (!batch)
        set_err(c, WD_E_NOMEM);
    for (;;) {
        size_t nb = 0;
        pthread_mutex_lock(&c->mu);
        if (c->qn == 0 && c->running > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long ns = remote ? 1000000L : 200000000L; /* remote workers are polled every ms */
            ts.tv_nsec += ns;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&c->cv_items, &c->mu, &ts);
        }
        while (c->qn > 0 && batch) {
            batch[nb++] = c->q[c->qhead];
            c->qhead = (c->qhead + 1) % c->qcap;
            c->qn--;
        }
        if (nb)
            pthread_cond_broadcast(&c->cv_space);
        if (c->user_stop && *c->user_stop)
            c->stop = true;
        bool local_done = c->running == 0 && c->qn == 0;
        wd_status err = c->err;
        pthread_mutex_unlock(&c->mu);
        for (size_t i = 0; i < nb; i++) {
            if (err == WD_OK)
                err = sweep_coord_deliver(c, batch[i].buf, batch[i].n);
            wd_xfree(batch[i].buf);
        }
        bool remote_done = true;
        if (remote) {
            wd_status st = remote->poll(remote->ctx, c, local_done ? 0.001 : 0);
            if (st != WD_OK)
                set_err(c, st);
            remote_done = remote->finished(remote->ctx);
        }
        if (local_done && remote_done && nb == 0)
            break;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    /* anything left in the queue after an error is dropped (and run again on resume) */
    while (c->qn > 0) {
        wd_xfree(c->q[c->qhead].buf);
        c->qhead = (c->qhead + 1) % c->qcap;
        c->qn--;
    }
    wd_xfree(batch);
    wd_xfree(tid);
    return c->err; /* every worker has ended */
}

/* ---- the journal as a source of the final file ------------------------------------------------ */

static bool journal_get(void *ctx, uint64_t run, wd_buf *buf, sweep_rec *rec)
{
    return sweep_journal_read(ctx, run, buf, rec);
}

/* --resume with no journal: the sweep may have finished already. */
static bool already_complete(const wd_sweep *sw, const char *out)
{
    struct stat sb;
    if (stat(out, &sb) != 0)
        return false;
    wd_diags *quiet = wd_diags_new();
    sweep_h5 *h = NULL;
    bool yes = false;
    if (quiet && sweep_h5_open(out, quiet, &h) == WD_OK) {
        const sweep_meta *m = sweep_h5_meta(h);
        yes = strcmp(m->spec_sha, sw->meta.spec_sha) == 0 && m->run_first == sw->meta.run_first &&
              m->run_count == sw->meta.run_count && sweep_h5_complete(h, NULL);
    }
    sweep_h5_close(h);
    wd_diags_free(quiet);
    return yes;
}

wd_status sweep_run(wd_sweep *sw, const char *out, const sweep_run_opts *o, wd_sweep_report *rep, wd_diags *d)
{
    const sweep_meta *m = &sw->meta;
    wd_sweep_report dummy;
    if (!rep)
        rep = &dummy;
    memset(rep, 0, sizeof *rep);
    rep->runs = m->run_count;
    struct stat osb;
    wd_status st = WD_OK;
    if (stat(out, &osb) == 0 && S_ISDIR(osb.st_mode)) {
        wd_diag_add(d, WD_ERROR, (wd_loc){out, 0, 0}, NULL, "cannot write the results: the path is a directory");
        st = WD_E_ARG; /* workers (MPI) are still told to stop below */
    }
    bool complete = false;
    if (o->resume) {
        char *jp = sweep_journal_path(out);
        struct stat sb;
        bool have_journal = jp && stat(jp, &sb) == 0;
        wd_xfree(jp);
        complete = !have_journal && already_complete(sw, out);
    }
    sweep_journal *j = NULL;
    if (st == WD_OK && !complete)
        st = sweep_journal_open(m, out, o->resume, d, &j);
    sweep_coord c;
    memset(&c, 0, sizeof c);
    c.sw = sw;
    c.j = j;
    c.d = d;
    c.user_stop = o->stop;
    c.progress = o->progress;
    c.total = m->run_count;
    c.before = j ? sweep_journal_ndone(j) : 0;
    c.err = st;
    c.stop = complete;
    rep->resumed = complete ? m->run_count : c.before;
    unsigned threads = o->threads;
    if (!o->remote && threads == 0)
        threads = 1;
    c.nworkers = threads + (o->remote ? o->remote->nworkers : 0);
    rep->workers = c.nworkers;
    c.qcap = 4 * (threads ? threads : 1);
    c.q = wd_xcalloc(c.qcap, sizeof *c.q);
    c.todo = wd_xmalloc((m->run_count - c.before + 1) * sizeof *c.todo);
    if ((!c.q || !c.todo) && c.err == WD_OK)
        c.err = st = WD_E_NOMEM;
    for (uint64_t i = 0; j && c.todo && i < m->run_count; i++)
        if (!sweep_journal_done(j, m->run_first + i))
            c.todo[c.ntodo++] = m->run_first + i;
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv_items, NULL);
    pthread_cond_init(&c.cv_space, NULL);
    c.t0 = c.last_draw = now();
    /* with remote workers the loop runs even with nothing to do: it tells
       every worker to stop */
    if (c.q && ((c.ntodo > 0 && c.err == WD_OK && !c.stop) || o->remote)) {
        wd_status cs = coordinate(&c, c.ntodo > 0 && c.err == WD_OK ? threads : 0, o->remote);
        if (st == WD_OK)
            st = cs;
    }
    rep->seconds = now() - c.t0;
    rep->done = c.delivered;
    if (c.ntodo > 0 && c.delivered)
        draw(&c, true);
    pthread_cond_destroy(&c.cv_items);
    pthread_cond_destroy(&c.cv_space);
    pthread_mutex_destroy(&c.mu);
    wd_xfree(c.q);
    wd_xfree(c.todo);
    if (o->runs_done)
        o->runs_done(o->runs_done_ctx);
    if (complete) {
        wd_diag_add(d, WD_NOTE, (wd_loc){out, 0, 0}, NULL, "the sweep is complete already; nothing to do");
        return WD_OK;
    }
    if (!j)
        return st;
    wd_status sst = sweep_journal_sync(j, d);
    if (st == WD_OK)
        st = sst;
    uint64_t ndone = sweep_journal_ndone(j);
    if (st == WD_OK && ndone < m->run_count) {
        wd_diag_add(d, WD_NOTE, (wd_loc){sweep_journal_file(j), 0, 0}, NULL,
                    "stopped after %llu of %llu runs; they are kept here: continue with --resume",
                    (unsigned long long)ndone, (unsigned long long)m->run_count);
        st = WD_E_INTERRUPTED;
    }
    if (st == WD_OK) {
        sweep_source src = {j, journal_get};
        st = sweep_h5_write(m, &src, out, d);
        if (st != WD_OK)
            wd_diag_add(d, WD_NOTE, (wd_loc){sweep_journal_file(j), 0, 0}, NULL,
                        "every run is kept in the journal: after fixing the cause, --resume writes the file "
                        "without running them again");
    } else if (st != WD_E_INTERRUPTED) {
        wd_diag_add(d, WD_NOTE, (wd_loc){sweep_journal_file(j), 0, 0}, NULL,
                    "%llu of %llu runs are kept here: continue with --resume", (unsigned long long)ndone,
                    (unsigned long long)m->run_count);
    }
    /* count ok / failed over all runs (also those from before a resume) */
    if (st == WD_OK) {
        wd_buf b = {0};
        for (uint64_t i = 0; i < m->run_count; i++) {
            sweep_rec r;
            if (sweep_journal_read(j, m->run_first + i, &b, &r)) {
                if (r.status == SWEEP_OK)
                    rep->ok++;
                else
                    rep->failed++;
            }
        }
        wd_buf_free(&b);
    }
    sweep_journal_close(j, st == WD_OK);
    return st;
}

wd_status wd_sweep_exec(wd_sweep *sw, const char *out_path, const wd_sweep_opts *o, wd_sweep_report *report,
                        wd_diags *diags)
{
    wd_sweep_opts def;
    if (!o) {
        wd_sweep_opts_init(&def);
        o = &def;
    }
    if (o->shard_count > 1 && (o->shard_index != sw->meta.shard_index || o->shard_count != sw->meta.shard_count)) {
        wd_diag_add(diags, WD_ERROR, (wd_loc){0}, NULL, "the sweep was prepared for shard %u of %u, not %u of %u",
                    sw->meta.shard_index, sw->meta.shard_count, o->shard_index, o->shard_count);
        return WD_E_ARG;
    }
    sweep_run_opts ro = {o->threads ? o->threads : 1, o->resume != 0, o->progress != 0, o->stop, NULL, NULL, NULL};
    return sweep_run(sw, out_path, &ro, report, diags);
}
