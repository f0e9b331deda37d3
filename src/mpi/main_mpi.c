/* main_mpi.c: main() of build/wandel-mpi. `wandel-mpi sweep ...` under
 * mpirun runs one sweep on all ranks (sweep_mpi.c); every other command runs
 * as in build/wandel (main.c, compiled here with main renamed wandel_main),
 * on one rank only. */
#include "mpi_driver.h"

#include <stdio.h>
#include <string.h>

int wandel_main(int argc, char **argv);

int main(int argc, char **argv)
{
    int err = 0;
    const cli_cluster *cl = mpi_cluster_init(&argc, &argv, &err);
    if (!cl) {
        mpi_cluster_end();
        return 1;
    }
    int rc;
    if (argc >= 2 && strcmp(argv[1], "sweep") == 0) {
        rc = cli_sweep_cluster(argc - 2, argv + 2, cl);
    } else if (cl->size > 1) {
        if (cl->rank == 0)
            fprintf(stderr, "wandel-mpi: only `sweep` runs on several ranks; run other commands with wandel "
                            "(or on one rank)\n");
        rc = 2;
    } else {
        rc = wandel_main(argc, argv);
    }
    mpi_cluster_end();
    return rc;
}
