/* mpi_driver.h: the MPI side of build/wandel-mpi (src/mpi/). */
#ifndef WD_MPI_DRIVER_H
#define WD_MPI_DRIVER_H

#include "cli.h"

/* MPI_Init_thread and the cluster description for cli_sweep_cluster; NULL
 * with *err set when MPI cannot start. */
const cli_cluster *mpi_cluster_init(int *argc, char ***argv, int *err);
/* MPI_Finalize unless done already. */
void mpi_cluster_end(void);

#endif
