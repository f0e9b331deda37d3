/* wdlimits.h: documented limits that keep a hostile input from exhausting the
 * machine. Each is checked where the input is read and reported as an error
 * naming the file, line and limit (status WD_E_LIMIT or a syntax error). */
#ifndef WD_LIMITS_H
#define WD_LIMITS_H

#define WD_MAX_MODEL_BYTES (256L * 1024 * 1024) /* size of a model file */
#define WD_MAX_NODES 2000000         /* expression nodes in one model file */
#define WD_MAX_NESTING 200           /* expression nesting depth */
#define WD_MAX_EQUATIONS 200000      /* equations in one model file */
#define WD_MAX_DIMS 8                /* subscripts of one variable */
#define WD_MAX_ELEMENTS 1000000      /* elements of one range, one array, one constant list */
#define WD_MAX_SLOTS 50000000        /* scalars of a compiled model (400 MB of doubles) */
#define WD_MAX_MACRO_DEPTH 32        /* macros calling macros */
#define WD_MAX_OUTPUT_BYTES (64.0 * 1024 * 1024 * 1024) /* estimated result size */

#endif
