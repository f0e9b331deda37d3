/* cli.h: commands of the `wandel` program that live in their own files
 * (cli_*.c). Each takes the arguments after its name and returns the exit
 * status: 0 success, 1 a run failed, 2 bad usage or input. main.c lists them
 * in its command table. */
#ifndef WD_CLI_H
#define WD_CLI_H

int cmd_compare(int argc, char **argv); /* cli_compare.c */

#endif
