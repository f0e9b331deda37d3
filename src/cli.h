/* cli.h: commands of the `wandel` program that live in their own files
 * (cli_*.c). Each takes the arguments after its name and returns the exit
 * status: 0 success, 1 a run failed, 2 bad usage or input. main.c lists them
 * in its command table. */
#ifndef WD_CLI_H
#define WD_CLI_H

#include "wandel.h"

#include <stdbool.h>

/* cli_common.c: whether the directory of an output path exists and can be
 * written and the path is not a directory; prints why not (before any work
 * is done, so that a long run does not end in "cannot write"). */
bool output_dir_ok(const char *path);

/* cli_calibrate.c: fit a scenario's calibrate parameters to its data. */
int cmd_calibrate(int argc, char **argv);

/* cli_sweep.c */
int cli_sweep(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_sensitivity(int argc, char **argv);

/* `sweep` on a cluster (build/wandel-mpi, src/mpi/): how the processes of
 * one sweep work together. Rank 0 coordinates and writes; the others run
 * what it hands out. */
struct sweep_remote;
typedef struct cli_cluster {
    int rank, size;
    void *ctx;
    /* The largest of every rank's value, and rank 0's in *lead (all ranks
     * call it together). */
    int (*agree)(void *ctx, int value, int *lead);
    /* Rank 0: the remote workers for the coordinator. */
    const struct sweep_remote *(*remote)(void *ctx, wd_sweep *sw);
    /* Other ranks: run batches until rank 0 says stop. */
    wd_status (*work)(void *ctx, wd_sweep *sw, wd_diags *d);
    /* Every rank, once its part of the runs is over (before rank 0 writes
     * the final file). */
    void (*finish)(void *ctx);
} cli_cluster;
int cli_sweep_cluster(int argc, char **argv, const cli_cluster *cl);
int cmd_compare(int argc, char **argv); /* cli_compare.c */

#endif
