/* datafile.h: time series read from data files (.tab / .csv) for data
 * variables that a model declares without an equation (Vensim fills them
 * from a data file given at simulation time, such as the .vdf of another
 * model's run; wandel reads the same series exported as a table).
 *
 * Used by sema.c (EQ_EMPTY equations). Layouts read:
 *   time down:   Time <sep> x <sep> y[a,b] ...   then one row per time;
 *   time across: Time <sep> t0 <sep> t1 ...      then one row per variable.
 * The separator is a tab when the first line holds one, else a comma. A
 * blank cell is a missing point, except that a column whose cells are all
 * blank after the first row is a constant (Vensim writes a constant once).
 */
#ifndef WD_DATAFILE_H
#define WD_DATAFILE_H

#include <stddef.h>

#include "util.h"

typedef struct df_series {
    char *key;     /* canonical "name" or "name[e1,e2]" */
    size_t n;      /* points with a value */
    double *t, *y;
} df_series;

typedef struct df_set {
    VEC(df_series) s;
    wd_map *by_key;
    VEC(char *) files;
} df_set;

/* Reads one file into set (series of a later file replace earlier ones of
 * the same name). Returns 0, or -1 with a message naming the file and line. */
int df_load(df_set *set, const char *path, char *err, size_t errlen);
/* The series of canonical key, or NULL. */
const df_series *df_find(const df_set *set, const char *key);
/* Canonical key of "Name[E1, E2]" (quotes and spacing as in the model). */
char *df_canon_key(const char *s, size_t n);
void df_free(df_set *set);

#endif
