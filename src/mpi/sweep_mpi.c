/* sweep_mpi.c: the MPI driver of `wandel-mpi sweep` (built by `make mpi`
 * with Debian's Open MPI; not part of libwandel.a).
 *
 * Master/worker with dynamic distribution: rank 0 is the coordinator of
 * sweep_exec.c (it owns the journal and writes the final file, with serial
 * HDF5, and runs one worker thread of its own); every other rank is a worker
 * that asks rank 0 for a batch of run indices, runs them on its own wd_run
 * of the shared program and sends the records back with its next request.
 * Batches shrink as the end nears (sweep_coord_batch), so fast and slow
 * ranks finish together. Since records carry their run index and the final
 * file takes runs in index order, the file equals the one threads write.
 *
 * Messages (MPI_BYTE unless said otherwise):
 *   worker -> 0  TAG_REQ   the records of the last batch (empty at first)
 *   0 -> worker  TAG_WORK  uint64 run indices (MPI_UINT64_T)
 *   0 -> worker  TAG_STOP  nothing: no runs left, or the sweep stops
 * Only the main thread of each rank calls MPI (MPI_THREAD_FUNNELED).
 */
#include "mpi_driver.h"

#include "sweep.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_REQ = 1, TAG_WORK = 2, TAG_STOP = 3, MAX_BATCH = 64 };

typedef struct mpi_ctx {
    int rank, size;
    unsigned stopped;   /* workers told to stop */
    char *buf;          /* receive buffer */
    size_t cap;
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

/* rank 0: serves every pending request; waits up to `timeout` seconds for
 * the first when none is pending */
static wd_status poll_workers(void *vctx, sweep_coord *co, double timeout)
{
    mpi_ctx *c = vctx;
    bool any = false;
    double waited = 0;
    for (;;) {
        int flag = 0;
        MPI_Status stt;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQ, MPI_COMM_WORLD, &flag, &stt);
        if (!flag) {
            if (any || waited >= timeout)
                return WD_OK;
            struct timespec ts = {0, 100000}; /* 0.1 ms */
            nanosleep(&ts, NULL);
            waited += 1e-4;
            continue;
        }
        any = true;
        int n = 0;
        MPI_Get_count(&stt, MPI_BYTE, &n);
        if ((size_t)n > c->cap) {
            char *nb = realloc(c->buf, (size_t)n);
            if (!nb)
                return WD_E_NOMEM;
            c->buf = nb;
            c->cap = (size_t)n;
        }
        MPI_Recv(c->buf, n, MPI_BYTE, stt.MPI_SOURCE, TAG_REQ, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (n > 0 && !sweep_coord_stopping(co))
            sweep_coord_deliver(co, c->buf, (size_t)n);
        uint64_t runs[MAX_BATCH];
        size_t k = sweep_coord_stopping(co) ? 0 : sweep_coord_claim(co, sweep_coord_batch(co), runs);
        if (k > 0) {
            MPI_Send(runs, (int)k, MPI_UINT64_T, stt.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
        } else {
            MPI_Send(NULL, 0, MPI_BYTE, stt.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
            c->stopped++;
        }
    }
}

static bool all_stopped(void *vctx)
{
    mpi_ctx *c = vctx;
    return c->stopped >= (unsigned)(c->size - 1);
}

static const struct sweep_remote *remote(void *vctx, wd_sweep *sw)
{
    (void)sw;
    mpi_ctx *c = vctx;
    c->remote = (sweep_remote){c, (unsigned)(c->size - 1), poll_workers, all_stopped};
    return &c->remote;
}

/* a worker rank */
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
    wd_buf out = {0};
    uint64_t runs[MAX_BATCH];
    for (;;) {
        MPI_Send(out.s, (int)out.n, MPI_BYTE, 0, TAG_REQ, MPI_COMM_WORLD);
        out.n = 0;
        MPI_Status stt;
        MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &stt);
        if (stt.MPI_TAG == TAG_STOP) {
            MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            break;
        }
        int n = 0;
        MPI_Get_count(&stt, MPI_UINT64_T, &n);
        MPI_Recv(runs, MAX_BATCH, MPI_UINT64_T, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (int i = 0; i < n && st == WD_OK; i++)
            st = sweep_worker_run(w, runs[i], &out);
        if (st != WD_OK) {
            /* out of memory: rank 0 cannot go on without these runs */
            wd_diag_add(d, WD_ERROR, (wd_loc){0}, NULL, "a worker ran out of memory");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
    wd_buf_free(&out);
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
    free(the_ctx.buf);
    the_ctx.buf = NULL;
}
