/* test_scenario.c: the scenario loader (src/scenario.c).
 *
 * Inputs are the files under tests/scenarios/ (paths relative to the
 * repository root, where the tests run) and small files written to a
 * temporary directory. Error tests check the whole "file:line: error: text"
 * prefix of each message, so a wrong line number fails as well.
 */
#include "testutil.h"

#include "scenario.h"
#include "util.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCN "tests/scenarios/"

/* ---- helpers ------------------------------------------------------------ */

/* A temporary directory with named files, removed by td_cleanup. */
typedef struct tmpdir {
    char path[256];
    char files[40][300];
    int n;
} tmpdir;

static void td_init(tmpdir *t)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(t->path, sizeof t->path, "%s/wandel-scn-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(t->path));
    t->n = 0;
}

static const char *td_write_n(tmpdir *t, const char *name, const char *data, size_t len)
{
    assert_true(t->n < 40);
    char *p = t->files[t->n++];
    size_t dl = strlen(t->path), nl = strlen(name);
    assert_true(dl + 1 + nl < sizeof t->files[0]);
    memcpy(p, t->path, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl + 1);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return p;
}

static const char *td_write(tmpdir *t, const char *name, const char *text)
{
    return td_write_n(t, name, text, strlen(text));
}

static void td_cleanup(tmpdir *t)
{
    for (int i = 0; i < t->n; i++)
        unlink(t->files[i]);
    rmdir(t->path);
}

/* Loads path expecting success; prints the messages when it fails. */
static wd_scenario *load_ok(const char *path, wd_diags *d)
{
    wd_scenario *s = NULL;
    wd_status st = scn_load(path, d, &s);
    if (st != WD_OK)
        print_message("unexpected failure %d:\n%s", st, wd_diags_text(d));
    assert_int_equal(st, WD_OK);
    assert_non_null(s);
    return s;
}

/* Loads path expecting the status `want`; *out stays NULL. */
static void load_fail(const char *path, wd_diags *d, wd_status want)
{
    wd_scenario *s = (wd_scenario *)1;
    wd_status st = scn_load(path, d, &s);
    if (st != want)
        print_message("expected status %d, got %d:\n%s", want, st, wd_diags_text(d));
    assert_int_equal(st, want);
    assert_null(s);
}

/* Asserts a message "file:line: error: msg..." (msg: its beginning). */
static void assert_diag(wd_diags *d, const char *file, int line, const char *msg)
{
    wd_buf want = {0};
    wd_buf_printf(&want, "%s:%d: error: %s", file, line, msg);
    assert_false(want.oom);
    assert_contains(wd_diags_text(d), want.s);
    wd_buf_free(&want);
}

static const scn_set *find_set(const wd_scenario *s, const char *var)
{
    for (size_t i = 0; i < s->nsets; i++)
        if (strcmp(s->sets[i].var, var) == 0)
            return &s->sets[i];
    return NULL;
}

/* ---- whole files ----------------------------------------------------------- */

static void test_full_file(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_scenario *s = load_ok(SCN "full.cfg", d);
    assert_int_equal(wd_diags_count(d, WD_NOTE), 0);

    assert_string_equal(s->name, "ruhr-green-steel");
    assert_string_equal(s->path, SCN "full.cfg");
    assert_int_equal(s->nfiles, 1);
    assert_string_equal(s->files[0], SCN "full.cfg");
    assert_string_equal(s->model, SCN "dummy.mdl");
    assert_string_equal(s->model_src.file, SCN "full.cfg");
    assert_int_equal(s->model_src.line, 3);

    assert_close(s->t_start, 2025.0, 0, 0);
    assert_close(s->t_stop, 2060.0, 0, 0);
    assert_close(s->t_step, 0.0625, 0, 0);
    assert_close(s->t_save, 0.25, 0, 0);
    assert_int_equal(s->time_src.line, 4);

    assert_string_equal(s->method, "rkf45");
    assert_close(s->rtol, 1e-6, 0, 0);
    assert_close(s->atol, 1e-6, 0, 0);
    assert_close(s->hmax, 0.5, 0, 0);
    assert_int_equal(s->solver_src.line, 5);

    assert_true(s->has_seed);
    assert_int_equal(s->seed, 42);

    assert_int_equal(s->nsets, 5);
    const scn_set *e = &s->sets[0];
    assert_string_equal(e->var, "carbon price");
    assert_true(e->is_series);
    assert_int_equal(e->npoints, 3);
    const double t[] = {2025, 2030, 2050}, v[] = {85, 130, 250};
    for (int i = 0; i < 3; i++) {
        assert_close(e->times[i], t[i], 0, 0);
        assert_close(e->values[i], v[i], 0, 0);
    }
    assert_int_equal(e->interp, SCN_LINEAR);
    assert_string_equal(e->src.file, SCN "full.cfg");
    assert_int_equal(e->src.line, 8);

    e = &s->sets[1];
    assert_string_equal(e->var, "training capacity[Ruhr]");
    assert_false(e->is_series);
    assert_close(e->value, 20000, 0, 0);
    assert_int_equal(e->src.line, 9);
    assert_null(e->times);

    e = &s->sets[2];
    assert_string_equal(e->var, "coal exit year");
    assert_close(e->value, 2038, 0, 0); /* written as an integer */

    e = &s->sets[3];
    assert_string_equal(e->var, "hydrogen subsidy");
    assert_int_equal(e->interp, SCN_STEP);
    assert_int_equal(e->npoints, 2);
    assert_close(e->values[1], 0, 0, 0);

    e = &s->sets[4];
    assert_close(e->value, 5e9, 0, 0); /* a 64-bit integer */

    assert_string_equal(s->out_file, SCN "../results/ruhr-green-steel.h5");
    assert_string_equal(s->out_format, "h5");
    assert_int_equal(s->nout_vars, 2);
    assert_string_equal(s->out_vars[0], "jobs");
    assert_string_equal(s->out_vars[1], "emissions");
    assert_int_equal(s->output_src.line, 14);

    /* Provenance: the file's text after a header line. */
    const char *hdr = "# file: " SCN "full.cfg\n# Every scenario setting once;";
    assert_int_equal(strncmp(s->text, hdr, strlen(hdr)), 0);
    assert_non_null(s->calib); /* read in full by test_calib.c */
    assert_int_equal(s->calib->nparams, 1);
    assert_int_equal(s->calib->ndata, 1);
    assert_int_equal(s->calib->starts, 4);
    assert_contains(s->text, "sweep = { design = \"lhs\"; samples = 1000;");

    scn_free(s);
    wd_diags_free(d);
}

static void test_layering(void **state)
{
    (void)state;
    const char *top = SCN "layered/ruhr-green-steel.cfg";
    const char *region = SCN "layered/regions/ruhr.cfg";
    const char *policy = SCN "layered/policies/green-steel.cfg";
    wd_diags *d = wd_diags_new();
    wd_scenario *s = load_ok(top, d);

    /* The region's name labels the region, not the combination. */
    assert_string_equal(s->name, "ruhr-green-steel");
    assert_int_equal(s->nfiles, 3);
    assert_string_equal(s->files[0], top);

    /* The model sits next to the region file that names it. */
    assert_string_equal(s->model, SCN "layered/regions/ruhr.mdl");
    assert_string_equal(s->model_src.file, region);
    assert_int_equal(s->model_src.line, 3);

    /* time field by field: start/step/save from the region, stop from the policy. */
    assert_close(s->t_start, 2025, 0, 0);
    assert_close(s->t_stop, 2060, 0, 0);
    assert_close(s->t_step, 0.25, 0, 0);
    assert_close(s->t_save, 1, 0, 0);
    assert_string_equal(s->time_src.file, policy);
    assert_int_equal(s->time_src.line, 2);

    assert_string_equal(s->method, "rkf45");
    assert_close(s->rtol, 1e-5, 0, 0);
    assert_true(isnan(s->atol));
    assert_true(isnan(s->hmax));
    assert_true(s->has_seed);
    assert_int_equal(s->seed, 7);

    /* set: matched by canonical name, position of first appearance. */
    assert_int_equal(s->nsets, 4);
    assert_string_equal(s->sets[0].var, "training capacity[ ruhr ]");
    assert_close(s->sets[0].value, 20000, 0, 0);
    assert_string_equal(s->sets[0].src.file, policy);
    assert_int_equal(s->sets[0].src.line, 6);
    assert_string_equal(s->sets[1].var, "coal exit year");
    assert_close(s->sets[1].value, 2035, 0, 0);
    assert_string_equal(s->sets[1].src.file, top);
    assert_int_equal(s->sets[1].src.line, 5);
    /* A value replaces the policy's series entirely. */
    assert_string_equal(s->sets[2].var, "carbon price");
    assert_false(s->sets[2].is_series);
    assert_int_equal(s->sets[2].npoints, 0);
    assert_null(s->sets[2].times);
    assert_close(s->sets[2].value, 100, 0, 0);
    assert_string_equal(s->sets[3].var, "new measure");

    /* output field by field; each path relative to the file that set it. */
    assert_string_equal(s->out_file, SCN "layered/out.h5");
    assert_string_equal(s->out_format, "tsv");
    assert_int_equal(s->nout_vars, 1);
    assert_string_equal(s->out_vars[0], "jobs");
    assert_string_equal(s->output_src.file, top);

    /* Provenance text in the order applied. */
    char h1[200], h2[200], h3[200];
    snprintf(h1, sizeof h1, "# file: %s\n", region);
    snprintf(h2, sizeof h2, "# file: %s\n", policy);
    snprintf(h3, sizeof h3, "# file: %s\n", top);
    const char *p1 = strstr(s->text, h1), *p2 = strstr(s->text, h2), *p3 = strstr(s->text, h3);
    assert_true(s->text == p1);
    assert_non_null(p2);
    assert_non_null(p3);
    assert_true(p1 < p2 && p2 < p3);
    assert_contains(s->text, "{ var = \"Carbon_Price\"; points");

    scn_free(s);
    wd_diags_free(d);
}

static void test_diamond(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_scenario *s = load_ok(SCN "diamond/top.cfg", d);
    assert_int_equal(s->nfiles, 4);
    assert_int_equal(s->nsets, 3);
    /* base once, first: a's x and b's y survive. */
    assert_close(find_set(s, "x")->value, 2, 0, 0);
    assert_close(find_set(s, "y")->value, 3, 0, 0);
    assert_close(find_set(s, "z")->value, 1, 0, 0);
    const char *b1 = strstr(s->text, "# file: " SCN "diamond/base.cfg\n");
    assert_non_null(b1);
    assert_null(strstr(b1 + 1, "# file: " SCN "diamond/base.cfg\n"));
    assert_true(b1 < strstr(s->text, "# file: " SCN "diamond/a.cfg\n"));
    assert_true(strstr(s->text, "# file: " SCN "diamond/b.cfg\n") <
                strstr(s->text, "# file: " SCN "diamond/top.cfg\n"));
    scn_free(s);
    wd_diags_free(d);
}

static void test_paths(void **state)
{
    (void)state;
    char model[PATH_MAX], text[PATH_MAX + 200];
    assert_non_null(realpath(SCN "dummy.mdl", model));
    wd_diags *d = wd_diags_new();

    /* An absolute path is kept as it is. */
    snprintf(text, sizeof text, "model = \"%s\";\noutput = { file = \"/tmp/x.tsv\"; };\n", model);
    const char *path = wd_test_tmpfile(".cfg", text);
    wd_scenario *s = load_ok(path, d);
    assert_string_equal(s->model, model);
    assert_string_equal(s->out_file, "/tmp/x.tsv");
    assert_null(s->out_format);
    scn_free(s);
    unlink(path);

    /* A missing model: file:line of the setting and the resolved path. */
    tmpdir t;
    td_init(&t);
    path = td_write(&t, "m.cfg", "seed = 1;\nmodel = \"nope.mdl\";\nextends = [\"x.cfg\", \"sub/none.cfg\"];\n");
    load_fail(path, d, WD_E_IO);
    char real[PATH_MAX], msg[PATH_MAX + 200];
    assert_non_null(realpath(t.path, real));
    snprintf(msg, sizeof msg, "no such file 'nope.mdl' (resolved to '%s/nope.mdl')", real);
    assert_diag(d, path, 2, msg);
    snprintf(msg, sizeof msg, "no such file 'x.cfg' (resolved to '%s/x.cfg')", real);
    assert_diag(d, path, 3, msg);
    assert_diag(d, path, 3, "no such file 'sub/none.cfg'");
    wd_diags_clear(d);

    /* A directory is not a model. */
    path = td_write(&t, "dir.cfg", "model = \".\";\n");
    load_fail(path, d, WD_E_IO);
    assert_diag(d, path, 1, "'.' is not a regular file (resolved to '");
    wd_diags_clear(d);
    td_cleanup(&t);

    /* The top file itself. */
    load_fail(SCN "nope.cfg", d, WD_E_IO);
    assert_contains(wd_diags_text(d), "cannot open scenario file '" SCN "nope.cfg'");
    load_fail("tests/scenarios", d, WD_E_IO);
    assert_contains(wd_diags_text(d), "is not a regular file");
    wd_scenario *none = (wd_scenario *)1;
    assert_int_equal(scn_load(NULL, d, &none), WD_E_ARG);
    assert_null(none);
    wd_diags_free(d);
}

static void test_defaults(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    const char *path = wd_test_tmpfile(".cfg", "seed = 42.0;");
    wd_scenario *s = load_ok(path, d);
    /* Name from the file: "/tmp/wandel-test-XXXXXX.cfg" -> "wandel-test-XXXXXX". */
    const char *base = strrchr(path, '/') + 1;
    assert_int_equal(strlen(s->name), strlen(base) - 4);
    assert_int_equal(strncmp(s->name, base, strlen(s->name)), 0);
    assert_true(s->has_seed);
    assert_int_equal(s->seed, 42);
    assert_null(s->model);
    assert_true(isnan(s->t_start) && isnan(s->t_stop) && isnan(s->t_step) && isnan(s->t_save));
    assert_null(s->method);
    assert_true(isnan(s->rtol) && isnan(s->atol) && isnan(s->hmax));
    assert_int_equal(s->nsets, 0);
    assert_null(s->out_file);
    assert_null(s->out_vars);
    /* A missing final newline is added after the text. */
    char want[400];
    snprintf(want, sizeof want, "# file: %s\nseed = 42.0;\n", path);
    assert_string_equal(s->text, want);
    scn_free(s);
    scn_free(NULL);
    unlink(path);
    wd_diags_free(d);
}

/* ---- layering errors ------------------------------------------------------------- */

static void test_cycle(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    load_fail(SCN "cycle/a.cfg", d, WD_E_SEMANTIC);
    assert_diag(d, SCN "cycle/b.cfg", 3,
                "extends cycle: " SCN "cycle/a.cfg -> " SCN "cycle/b.cfg -> " SCN "cycle/a.cfg");
    assert_int_equal(wd_diags_count(d, WD_ERROR), 1);

    /* A file that extends itself. */
    wd_diags_clear(d);
    tmpdir t;
    td_init(&t);
    const char *self = td_write(&t, "self.cfg", "extends = \"./self.cfg\";\n");
    load_fail(self, d, WD_E_SEMANTIC);
    char msg[700];
    snprintf(msg, sizeof msg, "extends cycle: %s -> %s/./self.cfg", self, t.path);
    assert_diag(d, self, 1, msg);
    td_cleanup(&t);
    wd_diags_free(d);
}

/* A chain l1 -> l2 -> ... -> ln in a fresh directory. */
static const char *write_chain(tmpdir *t, int n)
{
    const char *first = NULL;
    for (int i = 1; i <= n; i++) {
        char name[32], text[64];
        snprintf(name, sizeof name, "l%d.cfg", i);
        if (i < n)
            snprintf(text, sizeof text, "extends = \"l%d.cfg\";\nseed = %d;\n", i + 1, i);
        else
            snprintf(text, sizeof text, "seed = %d;\n", i);
        const char *p = td_write(t, name, text);
        if (i == 1)
            first = p;
    }
    return first;
}

static void test_depth_limit(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    tmpdir t;
    td_init(&t);
    wd_scenario *s = load_ok(write_chain(&t, 32), d); /* 32 files: allowed */
    assert_int_equal(s->nfiles, 32);
    assert_int_equal(s->seed, 1); /* the top file is applied last */
    scn_free(s);
    td_cleanup(&t);

    td_init(&t);
    const char *first = write_chain(&t, 33);
    load_fail(first, d, WD_E_LIMIT);
    char file[400];
    snprintf(file, sizeof file, "%s/l32.cfg", t.path);
    assert_diag(d, file, 1, "extends nested more than 32 files deep");
    td_cleanup(&t);
    wd_diags_free(d);
}

static void test_stop_before_start_across_layers(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    tmpdir t;
    td_init(&t);
    const char *base = td_write(&t, "base.cfg", "time = { start = 2025; stop = 2050; };\n");
    const char *top =
        td_write(&t, "top.cfg", "extends = \"base.cfg\";\ntime = {\n  start = 2060;\n};\n");
    load_fail(top, d, WD_E_SEMANTIC);
    char msg[700];
    snprintf(msg, sizeof msg,
             "time.stop = 2050 is before time.start = 2060 (time.stop set at %s:1)", base);
    assert_diag(d, top, 3, msg);
    td_cleanup(&t);
    wd_diags_free(d);
}

static void test_layer_errors_name_the_layer(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    tmpdir t;
    td_init(&t);
    const char *bad = td_write(&t, "bad.cfg", "seed = 1;\ntime = { stpe = 1; };\n");
    const char *syn = td_write(&t, "syn.cfg", "seed = 1;\n\nname = = \"x\";\n");
    const char *top = td_write(&t, "top.cfg",
                               "extends = [\"bad.cfg\", \"syn.cfg\"];\nsolver = { mehtod = \"rk4\"; };\n");
    load_fail(top, d, WD_E_SEMANTIC); /* the first problem found decides */
    assert_diag(d, bad, 2, "unknown setting 'time.stpe' (did you mean 'time.step'?)");
    assert_diag(d, syn, 3, "syntax error");
    assert_diag(d, top, 2, "unknown setting 'solver.mehtod' (did you mean 'solver.method'?)");
    td_cleanup(&t);
    wd_diags_free(d);
}

/* ---- validation ------------------------------------------------------------------- */

static void test_unknown_names(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    const char *p = wd_test_tmpfile(".cfg",
                                    "solvr = { method = \"rk4\"; };\n"
                                    "time = { start = 0; stpe = 1; };\n"
                                    "step = 0.5;\n"
                                    "frobnicate = 1;\n"
                                    "set = ({ var = \"x\"; vaule = 1; });\n"
                                    "swep = {};\n"
                                    "sweep = { design = \"lhs\"; };\n");
    load_fail(p, d, WD_E_SEMANTIC);
    assert_diag(d, p, 1, "unknown setting 'solvr' (did you mean 'solver'?)");
    assert_diag(d, p, 2, "unknown setting 'time.stpe' (did you mean 'time.step'?)");
    assert_diag(d, p, 3, "unknown setting 'step' (it belongs in the time group: time = { step");
    assert_diag(d, p, 4,
                "unknown setting 'frobnicate'; known settings: name, model, extends, time, "
                "solver, seed, set, output");
    assert_diag(d, p, 5, "set 'x': unknown setting 'vaule' (did you mean 'value'?)");
    assert_diag(d, p, 5, "set 'x': needs a value or points");
    assert_diag(d, p, 6, "unknown setting 'swep' (did you mean 'sweep'?)");
    assert_int_equal(wd_diags_count(d, WD_ERROR), 7); /* sweep itself is accepted */
    /* The source line is shown under the message. */
    assert_contains(wd_diags_text(d), "\n  frobnicate = 1;\n");
    unlink(p);
    wd_diags_free(d);
}

static void test_wrong_types(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    const char *p = wd_test_tmpfile(".cfg",
                                    "time = { step = \"fast\"; start = true; };\n"
                                    "solver = { method = 4; rtol = [1]; };\n"
                                    "seed = \"x\";\n"
                                    "set = { var = \"x\"; value = 1; };\n"
                                    "output = { vars = \"jobs\"; file = 3; format = \"\"; };\n"
                                    "extends = 3;\n"
                                    "model = 1.5;\n"
                                    "name = \"\";\n");
    load_fail(p, d, WD_E_SEMANTIC);
    assert_diag(d, p, 1, "time.step must be a number, found a string");
    assert_diag(d, p, 1, "time.start must be a number, found a boolean");
    assert_diag(d, p, 2, "solver.method must be a string, found an integer");
    assert_diag(d, p, 2, "solver.rtol must be a number, found an array");
    assert_diag(d, p, 3, "seed must be an integer, found a string");
    assert_diag(d, p, 4, "set must be a list of entries");
    assert_diag(d, p, 5, "output.vars must be a list of variable names");
    assert_diag(d, p, 5, "output.file must be a string, found an integer");
    assert_diag(d, p, 5, "output.format must not be empty");
    assert_diag(d, p, 6, "extends must be a file name or a list of file names");
    assert_diag(d, p, 7, "model must be a string, found a floating-point number");
    assert_diag(d, p, 8, "name must not be empty");
    unlink(p);

    wd_diags_clear(d);
    p = wd_test_tmpfile(".cfg", "seed = 1;\ntime = 5;\nsolver = ();\noutput = \"x.h5\";\n"
                                "extends = (\"a.cfg\", 2);\nseed2 = 4.5;\n");
    load_fail(p, d, WD_E_SEMANTIC);
    assert_diag(d, p, 2, "time must be a group { start = ...;");
    assert_diag(d, p, 3, "solver must be a group");
    assert_diag(d, p, 4, "output must be a group");
    assert_diag(d, p, 5, "extends element 2 must be a string, found an integer");
    assert_diag(d, p, 5, "no such file 'a.cfg'");
    assert_diag(d, p, 6, "unknown setting 'seed2' (did you mean 'seed'?)");
    unlink(p);

    /* An array [...] holds one type (numbers may still mix integers and floats). */
    wd_diags_clear(d);
    p = wd_test_tmpfile(".cfg", "seed = 1;\noutput = { vars = [\"jobs\", 1]; };\n");
    load_fail(p, d, WD_E_SYNTAX);
    assert_diag(d, p, 2,
                "mismatched element type in array (the elements of an array [...] must be all "
                "numbers, all strings or all booleans; a list (...) may mix them)");
    unlink(p);
    wd_diags_free(d);
}

static void test_bad_values(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    const char *p = wd_test_tmpfile(
        ".cfg", "time = { start = 2030; stop = 2020; step = 0; save = -1; };\n"
                "solver = { method = \"rk5\"; rtol = 0; atol = -1e-6; hmax = 1e999; };\n"
                "seed = -3;\n"
                "output = { format = \"xlsx\"; };\n");
    load_fail(p, d, WD_E_SEMANTIC);
    assert_diag(d, p, 1, "time.step must be > 0, found 0");
    assert_diag(d, p, 1, "time.save must be > 0, found -1");
    assert_diag(d, p, 1, "time.stop = 2020 is before time.start = 2030\n");
    assert_diag(d, p, 2,
                "unknown solver method 'rk5'; known: euler, rk2, rk4, rkf45, rkck, rk8pd, msbdf, "
                "rk4imp");
    assert_diag(d, p, 2, "solver.rtol must be > 0, found 0");
    assert_diag(d, p, 2, "solver.atol must be > 0, found -1e-06");
    assert_diag(d, p, 2, "solver.hmax must be a finite number, found inf");
    assert_diag(d, p, 3, "seed must be a non-negative integer, found -3");
    assert_diag(d, p, 4, "unknown output format 'xlsx'; known: h5, tsv, csv");
    assert_int_equal(wd_diags_count(d, WD_ERROR), 9);
    unlink(p);

    wd_diags_clear(d);
    p = wd_test_tmpfile(".cfg", "seed = 4.5;\ntime = { stop = -1e999; };\n");
    load_fail(p, d, WD_E_SEMANTIC);
    assert_diag(d, p, 1, "seed must be a non-negative integer, found 4.5");
    assert_diag(d, p, 2, "time.stop must be a finite number, found -inf");
    unlink(p);

    /* Method and format names are case-insensitive and stored in lower case. */
    wd_diags_clear(d);
    p = wd_test_tmpfile(".cfg", "solver = { method = \"RK4\"; };\noutput = { format = \"CSV\"; };\n");
    wd_scenario *s = load_ok(p, d);
    assert_string_equal(s->method, "rk4");
    assert_string_equal(s->out_format, "csv");
    scn_free(s);
    unlink(p);
    wd_diags_free(d);
}

static void test_set_errors(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    const char *p = wd_test_tmpfile(
        ".cfg", "set = (\n"                                                 /* 1 */
                "  { value = 1; },\n"                                       /* 2 */
                "  { var = \"a\"; value = 1; points = ([0, 1]); },\n"       /* 3 */
                "  { var = \"b\"; },\n"                                     /* 4 */
                "  { var = \"c\"; points = ([0, 1], [2, 3], [1, 4]); },\n"  /* 5 */
                "  { var = \"d\"; points = ([0, 1]); interp = \"cubic\"; },\n" /* 6 */
                "  { var = \"e\"; points = (); },\n"                        /* 7 */
                "  { var = \"f\"; points = ([0, 1, 2], 5); },\n"            /* 8 */
                "  { var = \"g[a\"; value = 1; },\n"                        /* 9 */
                "  { var = \"h\"; value = 1; },\n"                          /* 10 */
                "  { var = \"H\"; value = 2; },\n"                          /* 11 */
                "  { var = \"i\"; value = \"x\"; },\n"                      /* 12 */
                "  { var = \"j\"; points = ([0, 1e999]); },\n"              /* 13 */
                "  5,\n"                                                    /* 14 */
                "  { var = \"k\"; value = 1; interp = \"step\"; },\n"       /* 15 */
                "  { var = \"m\"; points = [1, 2]; },\n"                    /* 16 */
                "  { var = \"n\"; points = ([0, 1],\n"                      /* 17 */
                "                          [0, 2]); }\n"                    /* 18 */
                ");\n");
    load_fail(p, d, WD_E_SEMANTIC);
    assert_diag(d, p, 2, "set entry 1: missing var");
    assert_diag(d, p, 3, "set 'a': has both value and points; give exactly one");
    assert_diag(d, p, 4, "set 'b': needs a value or points");
    assert_diag(d, p, 5,
                "set 'c': point 3: time 1 is not after the previous point's time 2 (times must "
                "increase strictly)");
    assert_diag(d, p, 6, "set 'd': unknown interp 'cubic'; known: linear, step");
    assert_diag(d, p, 7, "set 'e': points is empty; give at least one [time, value] pair");
    assert_diag(d, p, 8, "set 'f': point 1 must be a pair [time, value], found 3 elements");
    assert_diag(d, p, 8, "set 'f': point 2 must be a pair [time, value], found an integer");
    assert_diag(d, p, 9,
                "set entry 8: malformed variable name 'g[a' (expected NAME or NAME[ELEMENT,...])");
    assert_diag(d, p, 11, "set 'H': is set twice in this file (first at line 10)");
    assert_diag(d, p, 12, "set 'i': value must be a number, found a string");
    assert_diag(d, p, 13, "set 'j': point 1 value must be a finite number, found inf");
    assert_diag(d, p, 14, "set entry 13: must be a group");
    assert_contains(wd_diags_text(d),
                    ":15: warning: set 'k': interp is ignored for a constant value");
    assert_diag(d, p, 16, "set 'm': points must be a list of [time, value] pairs");
    assert_diag(d, p, 18, "set 'n': point 2: time 0 is not after the previous point's time 0");
    assert_int_equal(wd_diags_count(d, WD_ERROR), 15);
    unlink(p);
    wd_diags_free(d);
}

static void test_set_names(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    /* Names and subscript elements compare like Vensim names: case, spaces
     * and underscores do not matter; the elements keep their order. */
    const char *p = wd_test_tmpfile(".cfg",
                                    "set = (\n"
                                    "  { var = \"Jobs[Ruhr, Mining]\"; value = 1; },\n"
                                    "  { var = \"jobs[Mining,Ruhr]\"; value = 2; },\n"
                                    "  { var = \"x[a]\"; value = 3; },\n"
                                    "  { var = \"x\"; value = 4; }\n"
                                    ");\n");
    wd_scenario *s = load_ok(p, d);
    assert_int_equal(s->nsets, 4);
    unlink(p);
    scn_free(s);

    p = wd_test_tmpfile(".cfg", "set = (\n"
                                "  { var = \"Jobs[Ruhr, Mining]\"; value = 1; },\n"
                                "  { var = \"  jobs[ruhr,_MINING ]\"; value = 2; }\n"
                                ");\n");
    load_fail(p, d, WD_E_SEMANTIC);
    assert_diag(d, p, 3, "set '  jobs[ruhr,_MINING ]': is set twice in this file (first at line 2)");
    unlink(p);

    wd_diags_clear(d);
    p = wd_test_tmpfile(".cfg", "set = (\n"
                                "  { var = \"x[]\"; value = 1; },\n"
                                "  { var = \"x[a]b\"; value = 1; },\n"
                                "  { var = \"x]\"; value = 1; },\n"
                                "  { var = \" _ \"; value = 1; },\n"
                                "  { var = \"a=b\"; value = 1; },\n"
                                "  { var = \"x[a,,b]\"; value = 1; }\n"
                                ");\n");
    load_fail(p, d, WD_E_SEMANTIC);
    for (int line = 2; line <= 7; line++)
        assert_diag(d, p, line, "set entry ");
    assert_int_equal(wd_diags_count(d, WD_ERROR), 6);
    assert_contains(wd_diags_text(d), "malformed variable name 'x[a]b'");
    unlink(p);
    wd_diags_free(d);
}

static void test_add_set(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_scenario *s = load_ok(SCN "full.cfg", d);
    assert_int_equal(s->nsets, 5);

    /* Replaces the file's entry (canonical match), keeps its position. */
    assert_int_equal(scn_add_set(s, "  Coal_Exit_Year = 2030.5 ", d), WD_OK);
    assert_int_equal(s->nsets, 5);
    assert_string_equal(s->sets[2].var, "Coal_Exit_Year");
    assert_close(s->sets[2].value, 2030.5, 0, 0);
    assert_string_equal(s->sets[2].src.file, "--set");
    assert_int_equal(s->sets[2].src.line, 0);

    /* A value replaces a series. */
    assert_int_equal(scn_add_set(s, "carbon price=1e2", d), WD_OK);
    assert_false(s->sets[0].is_series);
    assert_null(s->sets[0].times);
    assert_int_equal(s->sets[0].npoints, 0);
    assert_close(s->sets[0].value, 100, 0, 0);

    /* A new name is appended; then replaced again. */
    assert_int_equal(scn_add_set(s, "new[A, B]=-3", d), WD_OK);
    assert_int_equal(s->nsets, 6);
    assert_string_equal(s->sets[5].var, "new[A, B]");
    assert_int_equal(scn_add_set(s, "NEW[a,b]=4", d), WD_OK);
    assert_int_equal(s->nsets, 6);
    assert_close(s->sets[5].value, 4, 0, 0);
    assert_int_equal(wd_diags_count(d, WD_NOTE), 0);

    const char *bad[] = {"x=abc", "novalue", "=5", "x=", "x=inf", "x=nan", "x=1e999",
                         "x=1 2", "x[=1", "a=b=3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wd_diags_clear(d);
        assert_int_equal(scn_add_set(s, bad[i], d), WD_E_ARG);
        char want[100];
        snprintf(want, sizeof want, "error: --set '%s': expected NAME=NUMBER", bad[i]);
        assert_contains(wd_diags_text(d), want);
    }
    assert_int_equal(s->nsets, 6);
    assert_int_equal(scn_add_set(NULL, "x=1", d), WD_E_ARG);
    assert_int_equal(scn_add_set(s, NULL, d), WD_E_ARG);
    scn_free(s);
    wd_diags_free(d);
}

/* ---- syntax and hostile input ------------------------------------------------------ */

static void test_syntax_error(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    const char *p = wd_test_tmpfile(".cfg", "seed = 1;\n# comment\nname = = \"x\";\n");
    load_fail(p, d, WD_E_SYNTAX);
    assert_diag(d, p, 3, "syntax error");
    assert_contains(wd_diags_text(d), "\n  name = = \"x\";\n");
    unlink(p);

    wd_diags_clear(d);
    p = wd_test_tmpfile(".cfg", "seed = 1;\nseed = 2;\n");
    load_fail(p, d, WD_E_SYNTAX);
    assert_diag(d, p, 2, "duplicate setting name");
    unlink(p);
    wd_diags_free(d);
}

static void test_integers(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    /* libconfig 1.5 would wrap these silently. */
    const char *p = wd_test_tmpfile(".cfg",
                                    "seed = 3000000000;\n"
                                    "set = ({ var = \"a\"; value = -2147483649; },\n"
                                    "       { var = \"b\"; value = 0x80000000; },\n"
                                    "       { var = \"c\"; value = 99999999999999999999L; });\n");
    load_fail(p, d, WD_E_SEMANTIC);
    assert_diag(d, p, 1,
                "integer 3000000000 does not fit in 32 bits and would be misread; write "
                "3000000000.0");
    assert_diag(d, p, 2, "integer -2147483649 does not fit in 32 bits");
    assert_diag(d, p, 3, "integer 0x80000000 does not fit in 32 bits and would be misread; write 0x80000000L");
    assert_diag(d, p, 4, "integer 99999999999999999999L does not fit in 64 bits");
    unlink(p);

    /* The edges, and numbers inside strings, names and comments, are fine. */
    wd_diags_clear(d);
    p = wd_test_tmpfile(".cfg",
                        "# 99999999999\n"
                        "seed = 9223372036854775807L;\n"
                        "set = ({ var = \"a 99999999999\"; value = -2147483648; },\n"
                        "       { var = \"b\"; value = 2147483647; },\n"
                        "       { var = \"c\"; value = 0x7FFFFFFF; },\n"
                        "       { var = \"d\"; value = 1e30; },\n"
                        "       { var = \"e\"; value = -9223372036854775808L; },\n"
                        "       { var = \"f\"; value = 000000000000000000000000001; });\n"
                        "compare = { x-99999999999 = 1; };\n");
    wd_scenario *s = load_ok(p, d);
    assert_int_equal(s->seed, 9223372036854775807UL);
    assert_close(s->sets[0].value, -2147483648.0, 0, 0);
    assert_close(s->sets[1].value, 2147483647.0, 0, 0);
    assert_close(s->sets[2].value, 2147483647.0, 0, 0);
    assert_close(s->sets[3].value, 1e30, 0, 0);
    assert_close(s->sets[4].value, -9223372036854775808.0, 0, 0);
    assert_close(s->sets[5].value, 1, 0, 0);
    scn_free(s);
    unlink(p);
    wd_diags_free(d);
}

static void test_mixed_arrays(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    /* Integers in an array with floats are read as floats (libconfig alone
     * rejects such arrays); out-of-range integers there are exact floats. */
    const char *text = "set = (\n"
                       "  { var = \"a\"; points = ([2030, 130.5], [2040.5, 3000000000],\n"
                       "                          [0x7FFFFFFFF, -1e3], [5000000000L, 7]); },\n"
                       "  { var = \"b\"; points = ([1, 2]); interp = \"step\"; }\n"
                       ");\n";
    const char *p = wd_test_tmpfile(".cfg", text);
    wd_scenario *s = (wd_scenario *)1;
    /* [5000000000L, 7] after [0x7FFFFFFFF, ...]: times must increase. */
    assert_int_equal(scn_load(p, d, &s), WD_E_SEMANTIC);
    assert_diag(d, p, 3, "set 'a': point 4: time 5000000000 is not after the previous point's time 34359738367");
    unlink(p);

    wd_diags_clear(d);
    text = "set = (\n"
           "  { var = \"a\"; points = ([2030, 130.5], [2040.5, 3000000000],\n"
           "                          [5000000000L, -1e3], [0x7FFFFFFFF, 7.5]); },\n"
           "  { var = \"b\"; points = ([1, 2]); interp = \"step\"; }\n"
           ");\n";
    p = wd_test_tmpfile(".cfg", text);
    s = load_ok(p, d);
    const scn_set *a = &s->sets[0];
    assert_int_equal(a->npoints, 4);
    assert_close(a->times[0], 2030, 0, 0);
    assert_close(a->values[0], 130.5, 0, 0);
    assert_close(a->values[1], 3e9, 0, 0);
    assert_close(a->times[2], 5e9, 0, 0);
    assert_close(a->times[3], 34359738367.0, 0, 0);
    assert_close(a->values[3], 7.5, 0, 0);
    /* The recorded text is the file as written. */
    assert_contains(s->text, "[2030, 130.5], [2040.5, 3000000000]");
    scn_free(s);
    unlink(p);

    /* An array of integers only is left to libconfig, and checked. */
    wd_diags_clear(d);
    p = wd_test_tmpfile(".cfg", "set = ({ var = \"a\"; points = ([0x7FFFFFFFF, 7]); });\n");
    load_fail(p, d, WD_E_SEMANTIC);
    assert_diag(d, p, 1, "integer 0x7FFFFFFFF does not fit in 32 bits");
    unlink(p);
    wd_diags_free(d);
}

static void test_hostile(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    tmpdir t;
    td_init(&t);

    /* A NUL byte. */
    const char nul[] = "seed = 1;\nname = \"a\0b\";\n";
    const char *p = td_write_n(&t, "nul.cfg", nul, sizeof nul - 1);
    load_fail(p, d, WD_E_SYNTAX);
    assert_diag(d, p, 2, "NUL byte in the text");

    /* Binary garbage without NUL bytes: an error, never a crash. */
    static char junk[65536];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (char)(1 + (x >> 16) % 255);
    }
    wd_diags_clear(d);
    p = td_write_n(&t, "junk.cfg", junk, sizeof junk);
    wd_scenario *s = (wd_scenario *)1;
    assert_int_not_equal(scn_load(p, d, &s), WD_OK);
    assert_null(s);
    assert_true(wd_diags_count(d, WD_ERROR) > 0);

    /* @include. */
    wd_diags_clear(d);
    p = td_write(&t, "inc.cfg", "seed = 1;\n  @include \"other.cfg\"\n");
    load_fail(p, d, WD_E_SYNTAX);
    assert_diag(d, p, 2, "@include is not supported in scenario files; use extends");
    /* ...but text that merely looks like it is fine. */
    wd_diags_clear(d);
    p = td_write(&t, "noinc.cfg", "name = \"x\n@include \\\"y\\\"\";  # @include\n");
    s = load_ok(p, d);
    scn_free(s);

    /* Deep nesting. */
    wd_diags_clear(d);
    {
        wd_buf b = {0};
        wd_buf_puts(&b, "sweep =\n");
        for (int i = 0; i < 100000; i++)
            wd_buf_puts(&b, "{ a = ");
        p = td_write_n(&t, "deep.cfg", b.s, b.n);
        wd_buf_free(&b);
    }
    load_fail(p, d, WD_E_LIMIT);
    assert_diag(d, p, 2, "groups, lists and arrays nested more than 64 deep");

    /* Many names in one group (libconfig checks each against all earlier). */
    wd_diags_clear(d);
    {
        wd_buf b = {0};
        wd_buf_puts(&b, "sweep = {\n");
        for (int i = 0; i < 100000; i++)
            wd_buf_printf(&b, "  a%d = 1;\n", i);
        wd_buf_puts(&b, "};\n");
        p = td_write_n(&t, "wide.cfg", b.s, b.n);
        wd_buf_free(&b);
    }
    load_fail(p, d, WD_E_LIMIT);
    assert_diag(d, p, 102, "more than 100 settings in one group");

    /* A file over the size limit: one very long line. */
    wd_diags_clear(d);
    {
        size_t n = 17u << 20;
        char *big = malloc(n);
        assert_non_null(big);
        memset(big, 'x', n);
        memcpy(big, "# ", 2);
        p = td_write_n(&t, "big.cfg", big, n);
        free(big);
    }
    load_fail(p, d, WD_E_LIMIT);
    assert_contains(wd_diags_text(d), "is too large for a scenario file (the limit is 16 MiB)");
    char layer_big[400];
    snprintf(layer_big, sizeof layer_big, "extends = \"big.cfg\";\n");
    p = td_write(&t, "inc-big.cfg", layer_big);
    wd_diags_clear(d);
    load_fail(p, d, WD_E_LIMIT);
    assert_diag(d, p, 1, "'");
    td_cleanup(&t);

    /* Many set entries and a long series load (and merge) quickly. */
    wd_diags_clear(d);
    {
        wd_buf b = {0};
        wd_buf_puts(&b, "set = (\n");
        for (int i = 0; i < 20000; i++)
            wd_buf_printf(&b, "{ var = \"v%d\"; value = %d; },\n", i % 10000, i);
        wd_buf_puts(&b, "{ var = \"series\"; points = (");
        for (int i = 0; i < 20000; i++)
            wd_buf_printf(&b, "%s[%d, %d.5]", i ? ", " : "", i, i);
        wd_buf_puts(&b, "); }\n);\n");
        p = wd_test_tmpfile(".cfg", b.s);
        wd_buf_free(&b);
    }
    load_fail(p, d, WD_E_SEMANTIC); /* each v_i twice */
    assert_contains(wd_diags_text(d), "set 'v0': is set twice in this file (first at line 2)");
    unlink(p);
    wd_diags_free(d);
}

/* Every allocation failure gives WD_E_NOMEM (or, in an error path, the
 * error), never a crash or a leak. */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *files[] = {SCN "layered/ruhr-green-steel.cfg", SCN "diamond/top.cfg",
                           SCN "cycle/a.cfg"};
    wd_diags *d = wd_diags_new();
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        wd_status final = f == 2 ? WD_E_SEMANTIC : WD_OK;
        long n;
        for (n = 0; n < 20000; n++) {
            wd_scenario *s = NULL;
            wd_diags_clear(d);
            wd_alloc_fail_after(n);
            wd_status st = scn_load(files[f], d, &s);
            if (st == WD_OK)
                st = scn_add_set(s, "x[a,b]=1", d);
            wd_alloc_fail_after(-1);
            scn_free(s);
            if (st == final)
                break;
            if (st != WD_E_NOMEM)
                print_message("%s: allocation %ld: status %d\n%s", files[f], n, st,
                              wd_diags_text(d));
            assert_int_equal(st, WD_E_NOMEM);
        }
        assert_true(n < 20000);
    }
    wd_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_layering),
        cmocka_unit_test(test_diamond),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_stop_before_start_across_layers),
        cmocka_unit_test(test_layer_errors_name_the_layer),
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_set_names),
        cmocka_unit_test(test_add_set),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_mixed_arrays),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
}
