/* sweep_mpi.c: the MPI driver of `wandel-mpi sweep` (built by `make mpi`
 * with Debian's Open MPI; not part of libwandel.a).
 *
 * Master/worker with dynamic distribution: rank 0 is the coordinator of
 * sweep_exec.c (it owns the journal and writes the final file, with serial
 * HDF5, and runs one worker thread of its own); every other rank is a worker
 * that runs the batches of run indices rank 0 sends it, on its own wd_run of
 * the shared program, and sends back the records of each batch. Rank 0 keeps
 * two batches in hand for each worker, so that a worker finds its next batch
 * waiting when it finishes one; batches shrink as the end nears
 * (sweep_coord_batch), so fast and slow ranks finish together. Since records
 * carry their run index and the final file takes runs in index order, the
 * file equals the one threads write.
 *
 * Messages:
 *   0 -> worker  TAG_WORK  uint64 run indices (MPI_UINT64_T)
 *   worker -> 0  TAG_DONE  the records of one batch (MPI_BYTE)
 *   0 -> worker  TAG_STOP  nothing: no runs left (or the sweep stops) and the
 *                          worker holds no batch
 * Only the main thread of each rank calls MPI (MPI_THREAD_FUNNELED).
 */
#include "mpi_driver.h"

#include "sweep.h"
#include "util.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_DONE = 1, TAG_WORK = 2, TAG_STOP = 3, MAX_BATCH = 64, IN_HAND = 2 };

/* Rank 0 never blocks in MPI: a blocking send or receive would spin until
 * the worker, busy with its runs, next enters MPI (Open MPI moves a message
 * larger than its eager limit only while both sides are in MPI calls), and
 * rank 0's own worker thread would lose that core. Sends go out with
 * MPI_Isend from one slot per batch in hand; records come in with MPI_Irecv
 * and are handed over once complete. */
typedef struct send_slot {
    uint64_t runs[MAX_BATCH];
    MPI_Request req;
} send_slot;

typedef struct recv_slot {
    char *buf;
    MPI_Request req;
} recv_slot;

typedef struct mpi_ctx {
    int rank, size;
    bool started;       /* the first batches are out */
    unsigned stopped;   /* workers told to stop */
    unsigned *held;     /* per rank: batches sent whose records have not arrived */
    bool *told;         /* per rank: told to stop */
    send_slot *slots;   /* per rank: IN_HAND + 1 */
    recv_slot *recvs;   /* receives in progress */
    size_t nrecv, caprecv;
    sweep_remote remote;
    bool finalized;
} mpi_ctx;

static mpi_ctx the_ctx;

static int agree(void *ctx, int value, int *lead)
{
    (void)ctx;
    int worst = value;
    MPI_Allreduce(&value, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    *lead = value;
    MPI_Bcast(lead, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return worst;
}

static void finish(void *ctx)
{
    mpi_ctx *c = ctx;
    if (!c->finalized) {
        c->finalized = true;
        MPI_Finalize();
    }
}

/* A free send slot of worker w (its last send has completed), or NULL. */
static send_slot *free_slot(mpi_ctx *c, int w)
{
    send_slot *sl = c->slots + (size_t)w * (IN_HAND + 1);
    for (int i = 0; i <= IN_HAND; i++) {
        int done = 1;
        if (sl[i].req != MPI_REQUEST_NULL)
            MPI_Test(&sl[i].req, &done, MPI_STATUS_IGNORE);
        if (done)
            return &sl[i];
    }
    return NULL;
}

/* rank 0: tops up a worker to IN_HAND batches, or stops it when it holds
 * none and there is nothing left to give */
static void supply(mpi_ctx *c, sweep_coord *co, int w)
{
    while (!c->told[w] && c->held[w] < IN_HAND) {
        send_slot *sl = free_slot(c, w);
        if (!sl)
            return; /* tried again at the next poll */
        size_t k = sweep_coord_stopping(co) ? 0 : sweep_coord_claim(co, sweep_coord_batch(co), sl->runs);
        if (k == 0)
            break;
        MPI_Isend(sl->runs, (int)k, MPI_UINT64_T, w, TAG_WORK, MPI_COMM_WORLD, &sl->req);
        c->held[w]++;
    }
    if (!c->told[w] && c->held[w] == 0) {
        send_slot *sl = free_slot(c, w);
        if (!sl)
            return;
        MPI_Isend(NULL, 0, MPI_BYTE, w, TAG_STOP, MPI_COMM_WORLD, &sl->req);
        c->told[w] = true;
        c->stopped++;
    }
}

/* rank 0: hands over the records that have arrived, supplies the workers
 * whose batches are back; waits up to `timeout` seconds when nothing
 * happened */
static wd_status poll_workers(void *vctx, sweep_coord *co, double timeout)
{
    mpi_ctx *c = vctx;
    if (!c->started) {
        c->started = true;
        for (int w = 1; w < c->size; w++)
            supply(c, co, w);
    }
    double waited = 0;
    for (;;) {
        bool any = false;
        for (size_t i = 0; i < c->nrecv;) {
            int done = 0;
            MPI_Status stt;
            MPI_Test(&c->recvs[i].req, &done, &stt);
            if (!done) {
                i++;
                continue;
            }
            int n = 0;
            MPI_Get_count(&stt, MPI_BYTE, &n);
            if (n > 0 && !sweep_coord_stopping(co))
                sweep_coord_deliver(co, c->recvs[i].buf, (size_t)n);
            wd_xfree(c->recvs[i].buf);
            c->recvs[i] = c->recvs[--c->nrecv];
            any = true;
        }
        int flag = 0;
        MPI_Status stt;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_DONE, MPI_COMM_WORLD, &flag, &stt);
        if (flag) {
            int n = 0, w = stt.MPI_SOURCE;
            MPI_Get_count(&stt, MPI_BYTE, &n);
            if (c->nrecv == c->caprecv) {
                size_t cap = c->caprecv ? 2 * c->caprecv : 8;
                recv_slot *nr = wd_xrealloc(c->recvs, cap * sizeof *nr);
                if (!nr)
                    return WD_E_NOMEM;
                c->recvs = nr;
                c->caprecv = cap;
            }
            recv_slot *r = &c->recvs[c->nrecv];
            r->buf = wd_xmalloc(n > 0 ? (size_t)n : 1);
            if (!r->buf)
                return WD_E_NOMEM;
            MPI_Irecv(r->buf, n, MPI_BYTE, w, TAG_DONE, MPI_COMM_WORLD, &r->req);
            c->nrecv++;
            /* the worker has finished that batch: give it the next now, while
               its records are still on their way */
            c->held[w]--;
            supply(c, co, w);
            any = true;
        }
        for (int w = 1; w < c->size; w++) /* slots that were busy before */
            if (!c->told[w] && c->held[w] < IN_HAND)
                supply(c, co, w);
        if (any)
            continue;
        if (waited >= timeout)
            return WD_OK;
        struct timespec ts = {0, 100000}; /* 0.1 ms */
        nanosleep(&ts, NULL);
        waited += 1e-4;
    }
}

static bool all_stopped(void *vctx)
{
    mpi_ctx *c = vctx;
    if (c->stopped < (unsigned)(c->size - 1) || c->nrecv > 0)
        return false;
    for (size_t i = 0; i < (size_t)c->size * (IN_HAND + 1); i++) {
        int done = 1;
        if (c->slots[i].req != MPI_REQUEST_NULL)
            MPI_Test(&c->slots[i].req, &done, MPI_STATUS_IGNORE);
        if (!done)
            return false;
    }
    return true;
}

static const struct sweep_remote *remote(void *vctx, wd_sweep *sw)
{
    (void)sw;
    mpi_ctx *c = vctx;
    c->remote = (sweep_remote){c, (unsigned)(c->size - 1), poll_workers, all_stopped};
    return &c->remote;
}

/* a worker rank: runs each batch as it comes and sends its records back */
static wd_status work(void *vctx, wd_sweep *sw, wd_diags *d)
{
    (void)vctx;
    sweep_worker *w = NULL;
    wd_status st = sweep_worker_new(sw, &w);
    if (st != WD_OK) {
        wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "cannot set up the worker: %s", wd_status_string(st));
        MPI_Abort(MPI_COMM_WORLD, 1);
        return st;
    }
    /* Records go back with MPI_Isend from two buffers in turn: the worker
       starts its next batch at once instead of waiting until rank 0, which
       looks for messages about once a millisecond, takes the records (a
       blocking send of more than the eager limit would wait for it). */
    wd_buf out[2] = {{0}, {0}};
    MPI_Request req[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
    int cur = 0;
    uint64_t runs[MAX_BATCH];
    for (;;) {
        MPI_Status stt;
        MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &stt);
        if (stt.MPI_TAG == TAG_STOP) {
            MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            break;
        }
        int n = 0;
        MPI_Get_count(&stt, MPI_UINT64_T, &n);
        MPI_Recv(runs, MAX_BATCH, MPI_UINT64_T, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Wait(&req[cur], MPI_STATUS_IGNORE); /* its buffer is free again */
        out[cur].n = 0;
        for (int i = 0; i < n && st == WD_OK; i++)
            st = sweep_worker_run(w, runs[i], &out[cur]);
        if (st != WD_OK) {
            /* out of memory: rank 0 cannot go on without these runs */
            wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "a worker ran out of memory");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Isend(out[cur].s, (int)out[cur].n, MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD, &req[cur]);
        cur ^= 1;
    }
    MPI_Waitall(2, req, MPI_STATUSES_IGNORE);
    wd_buf_free(&out[0]);
    wd_buf_free(&out[1]);
    sweep_worker_free(w);
    return st;
}

const cli_cluster *mpi_cluster_init(int *argc, char ***argv, int *err)
{
    int provided = 0;
    *err = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        *err = 1;
        return NULL;
    }
    mpi_ctx *c = &the_ctx;
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    if (provided < MPI_THREAD_FUNNELED) {
        if (c->rank == 0)
            fprintf(stderr, "wandel-mpi: the MPI library does not allow threads beside MPI calls "
                            "(MPI_THREAD_FUNNELED)\n");
        *err = 1;
        return NULL;
    }
    c->held = wd_xcalloc((size_t)c->size, sizeof *c->held);
    c->told = wd_xcalloc((size_t)c->size, sizeof *c->told);
    c->slots = wd_xcalloc((size_t)c->size * (IN_HAND + 1), sizeof *c->slots);
    if (!c->held || !c->told || !c->slots) {
        *err = 1;
        return NULL;
    }
    for (size_t i = 0; i < (size_t)c->size * (IN_HAND + 1); i++)
        c->slots[i].req = MPI_REQUEST_NULL;
    static cli_cluster cl;
    cl = (cli_cluster){c->rank, c->size, c, agree, remote, work, finish};
    return &cl;
}

void mpi_cluster_end(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Finalize();
    wd_xfree(the_ctx.held);
    wd_xfree(the_ctx.told);
    wd_xfree(the_ctx.slots);
    wd_xfree(the_ctx.recvs);
    the_ctx.held = NULL;
    the_ctx.told = NULL;
    the_ctx.slots = NULL;
    the_ctx.recvs = NULL;
}
