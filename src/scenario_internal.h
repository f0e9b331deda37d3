/* scenario_internal.h: what the files of the scenario reader share (not an
 * API; the reader's interface is scenario.h).
 *
 * Pipeline: reading scenario files, the first stage. The reader is four
 * files, the only ones that include libconfig.h:
 *   scenario.c          the loader: names, loader state, pre-scan, typed
 *                       access, paths, set entries, the other settings,
 *                       files and layers, the whole scenario, command line;
 *   scenario_sweep.c    the sweep = { ... } group;
 *   scenario_calib.c    the calibrate group;
 *   scenario_compare.c  comparison files (the compare group).
 * Here: the loader's state and the functions more than one of them calls.
 * Each function's contract is stated where it is defined, in scenario.c
 * unless marked otherwise.
 */
#ifndef WD_SCENARIO_INTERNAL_H
#define WD_SCENARIO_INTERNAL_H

#include "scenario.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include <libconfig.h>

/* ---- names ---- */

/* The settings of the sweep group (defined in scenario_sweep.c; the loader
 * uses them to point a misplaced top-level setting to its group). */
extern const char *const scn_sweep_names[];

int scn_name_index(const char *const *list, const char *name);
int scn_name_index_ci(const char *const *list, const char *name);
void scn_list_text(char *out, size_t n, const char *const *list);

/* ---- loader state ---- */

typedef struct file_id {
    dev_t dev;
    ino_t ino;
} file_id;

typedef struct chain_link { /* a file whose extends are being loaded */
    file_id id;
    const char *path;       /* == an entry of loader.files */
} chain_link;

typedef struct loader {
    wd_scenario *s;
    wd_diags *diags;
    wd_status status;       /* class of the first error; WD_E_NOMEM wins */
    VEC(char *) files;      /* every file read, top first; becomes s->files */
    VEC(char *) texts;      /* their contents, parallel to files */
    VEC(size_t) applied;    /* indices into files, in the order applied */
    VEC(chain_link) chain;  /* the current extends chain (cycle check) */
    VEC(file_id) done;      /* files already loaded (diamonds) */
    VEC(scn_set) sets;      /* becomes s->sets */
    wd_map *set_index;      /* scn_set_key(var) -> index into sets */
    wd_map *param_index;    /* scn_set_key(var) -> index into s->calib->params */
    /* Where time.start and time.stop were last set, and in which order, for
     * the check of the merged values. */
    scn_src start_src, stop_src;
    unsigned long seq, start_seq, stop_seq;
} loader;

typedef struct layer { /* one file being applied */
    loader *L;
    const char *path;  /* == an entry of loader.files */
    const char *text;  /* its contents (for source lines in messages) */
    char *ptext;       /* the text given to libconfig when scn_prescan changed it, else NULL */
    char *dir;         /* directory relative paths in it are resolved against */
    bool top;
    wd_map *keys;      /* scn_set_key -> line, for duplicates within this file */
    /* The last source line looked up, so that messages in line order find
     * their lines in one pass over the text (a file with many errors would
     * otherwise be scanned from its start for each). */
    int cur_line;
    const char *cur_text;
} layer;

void scn_set_status(loader *L, wd_status st);
void scn_nomem(loader *L);
bool scn_oom(const loader *L);
const char *scn_layer_line(layer *ly, int line);
void scn_err_line(layer *ly, int line, wd_status st, const char *fmt, ...) WD_PRINTF(4, 5);
void scn_err_at(layer *ly, const config_setting_t *cs, wd_status st, const char *fmt, ...)
    WD_PRINTF(4, 5);
void scn_warn_at(layer *ly, const config_setting_t *cs, const char *fmt, ...) WD_PRINTF(3, 4);
void scn_err_nofile(loader *L, wd_status st, const char *fmt, ...) WD_PRINTF(3, 4);
scn_src scn_src_of(const layer *ly, const config_setting_t *cs);

/* ---- pre-scan and parsing ---- */

bool scn_prescan(layer *ly, size_t len);
bool scn_parse_text(layer *ly, config_t *cfg); /* in "files and layers" */

/* ---- typed access ---- */

const char *scn_type_desc(const config_setting_t *cs);
bool scn_get_number(layer *ly, const config_setting_t *cs, const char *pre, const char *what,
                    double *out);
const char *scn_get_string(layer *ly, const config_setting_t *cs, const char *pre,
                           const char *what);
bool scn_want_group(layer *ly, const config_setting_t *cs, const char *what,
                    const char *example);
void scn_report_unknown(layer *ly, const config_setting_t *cs, const char *pre,
                        const char *group, const char *const *known, bool top);

/* ---- paths ---- */

char *scn_resolve_existing(layer *ly, int line, const char *written, struct stat *st_out);
void scn_replace_str(loader *L, char **field, const char *v);

/* ---- set entries ---- */

/* What scn_set_key returns. */
enum { KEY_OK, KEY_BAD, KEY_NOMEM };
int scn_set_key(const char *var, char **out);

/* ---- the other settings ---- */

bool scn_get_seed(layer *ly, const config_setting_t *m, const char *what, unsigned long *out);

/* ---- the groups ---- */

/* scenario_sweep.c */
void scn_apply_sweep(layer *ly, const config_setting_t *g);
void scn_sweep_free_params(scn_sweep *w);
void scn_sweep_free_metrics(scn_sweep *w);
void scn_sweep_free_store(scn_sweep *w);

/* scenario_calib.c */
void scn_apply_calibrate(layer *ly, const config_setting_t *g);
void scn_calib_free(scn_calib *c);

#endif
