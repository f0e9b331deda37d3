/* test_sinks.c: the result writers (sink_hdf5.c, sink_csv.c).
 *
 * Views are built by hand, so these tests need nothing from the parser, the
 * compiler or the solvers. The HDF5 files are read back with the HDF5 C API
 * and then checked by tests/h5_check.py with Debian's Python (xarray through
 * every engine, netCDF4, h5py); without xarray that part prints "skipping".
 * Failure cases: missing directory, a directory as target, an allocation
 * failure at every point of a write, and a full disk simulated with
 * RLIMIT_FSIZE in a child process (the tests run as root, which ignores
 * file permissions, so read-only directories prove nothing).
 */
#include "testutil.h"

#include "diag.h"
#include "outview.h"
#include "util.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- fixtures ----------------------------------------------------------------- */

static const char *const region_elems[] = {"Ruhr", "Pittsburgh", "Ostrava"};
static const char *const sector_elems[] = {"Mining", "Steel"};
static const out_dim region = {"region", 3, region_elems};
static const out_dim sector = {"sector", 2, sector_elems};
static const out_dim *const jobs_dims[] = {&region, &sector};
static const out_dim *const region_dims[] = {&region};
static const out_dim *const flow_dims[] = {&region, &region};

enum { NSAVED = 4, NCOLS = 21 };
static const double times4[NSAVED] = {2025, 2025.25, 2025.5, 2025.75};

/* Columns: population 0; jobs 1..6; coal exit year 7 (timeless); CO2/GDP 8;
 * capacity 9..11 (timeless); flow 12..20. */
static const out_var main_vars[] = {
    {"population", "persons", "Inhabitants of the region", false, 0, NULL, 0, 1},
    {"jobs", "jobs", "Employment by region and sector", false, 2, jobs_dims, 1, 6},
    {"coal exit year", "year", "", true, 0, NULL, 7, 1},
    {"CO2/GDP", "", "Carbon intensity", false, 0, NULL, 8, 1},
    {"capacity", "MW", "Installed \xC3\xBC capacity", true, 1, region_dims, 9, 3},
    {"flow", "persons/year", "Migration from region to region", false, 2, flow_dims, 12, 9},
};

/* Value of column c at save k; exactly representable, distinct per cell. */
static double cell(size_t k, size_t c) { return (double)c * 10.0 + (double)k * 0.5 + 0.25; }

static bool is_timeless_col(size_t c) { return c == 7 || (c >= 9 && c <= 11); }

typedef struct fixture {
    double rows[NSAVED * NCOLS];
    out_view v;
} fixture;

static void fixture_init(fixture *f)
{
    for (size_t k = 0; k < NSAVED; k++)
        for (size_t c = 0; c < NCOLS; c++)
            /* Constant columns carry junk after row 0: writers must use row 0. */
            f->rows[k * NCOLS + c] = k > 0 && is_timeless_col(c) ? -999.0 : cell(k, c);
    f->rows[1 * NCOLS + 8] = NAN;
    f->rows[3 * NCOLS + 8] = NAN;
    f->v = (out_view){
        .nsaved = NSAVED,
        .times = times4,
        .ncols = NCOLS,
        .rows = f->rows,
        .nvars = sizeof main_vars / sizeof main_vars[0],
        .vars = main_vars,
        .time_units = "Year",
        .model_path = "models/transformation.mdl",
        .model_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        .scenario_path = "scenarios/ruhr.cfg",
        .scenario_text = "name = \"ruhr\";\ntime = { start = 2025.0; };\n",
        .method = "rk4",
        .rtol = 1e-6,
        .atol = NAN,
        .time_step = 0.0625,
        .saveper = 0.25,
        .seed = 18446744073709551615UL,
        .complete = true,
        .reason = NULL,
    };
}

/* ---- file system helpers ------------------------------------------------------------ */

static char *make_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/wandel-sinks-XXXXXX", t && *t ? t : "/tmp");
    char *d = mkdtemp(buf);
    assert_non_null(d);
    return strdup(d);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Number of entries in dir besides . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void remove_tree(char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        for (struct dirent *e; (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *p = join(dir, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                rmdir(p);
            else
                unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Open file descriptors of this process. */
static int count_fds(void) { return count_entries("/proc/self/fd"); }

static char *slurp(const char *path)
{
    size_t n;
    return wd_read_file(path, &n);
}

/* ---- HDF5 read-back helpers ---------------------------------------------------------------- */

static void read_str_attr(hid_t obj, const char *name, char *out, size_t outlen)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    assert_true(a >= 0);
    hid_t t = H5Aget_type(a);
    assert_int_equal(H5Tget_class(t), H5T_STRING);
    assert_false(H5Tis_variable_str(t));
    size_t n = H5Tget_size(t);
    assert_true(n >= 1 && n < outlen);
    hid_t s = H5Aget_space(a);
    assert_int_equal(H5Sget_simple_extent_type(s), H5S_SCALAR);
    memset(out, 0, outlen);
    assert_true(H5Aread(a, t, out) >= 0);
    out[n] = 0;
    H5Sclose(s);
    H5Tclose(t);
    H5Aclose(a);
}

static void assert_str_attr(hid_t obj, const char *name, const char *want)
{
    char buf[512];
    read_str_attr(obj, name, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static double read_double_attr(hid_t obj, const char *name)
{
    double x = -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &x) >= 0);
    H5Aclose(a);
    return x;
}

static int rank_of(hid_t ds, hsize_t *shape)
{
    hid_t s = H5Dget_space(ds);
    int r = H5Sget_simple_extent_ndims(s);
    H5Sget_simple_extent_dims(s, shape, NULL);
    H5Sclose(s);
    return r;
}

static herr_t scale_name_cb(hid_t did, unsigned dim, hid_t dsid, void *data)
{
    (void)did;
    (void)dim;
    char *out = data;
    H5Iget_name(dsid, out, 64);
    return 1; /* the first scale is enough */
}

/* Name of the scale attached to axis `axis` of ds ("" when none). */
static void attached_scale(hid_t ds, unsigned axis, char out[64])
{
    out[0] = 0;
    int idx = 0;
    H5DSiterate_scales(ds, axis, &idx, scale_name_cb, out);
}

static void read_doubles(hid_t file, const char *name, double *out)
{
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    H5Dclose(ds);
}

/* Writes v to a fresh directory; returns the file path (dir in *dirp). */
static char *write_ok(const out_view *v, const char *name, char **dirp)
{
    *dirp = make_tmpdir();
    char *path = join(*dirp, name);
    wd_diags *d = wd_diags_new();
    wd_status st = sink_hdf5_write(v, path, d);
    if (st != WD_OK)
        fprintf(stderr, "%s", wd_diags_text(d));
    assert_int_equal(st, WD_OK);
    assert_int_equal(wd_diags_count(d, WD_WARNING), 0);
    wd_diags_free(d);
    assert_int_equal(count_entries(*dirp), 1); /* no temporary left behind */
    return path;
}

/* ---- Python checks -------------------------------------------------------------------------- */

static void shell_quote(wd_buf *b, const char *s)
{
    wd_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            wd_buf_puts(b, "'\\''");
        else
            wd_buf_putc(b, *s);
    }
    wd_buf_putc(b, '\'');
}

static const char *h5_check_script(void)
{
    static char path[1024];
    const char *env = getenv("WANDEL_H5_CHECK");
    if (env && access(env, R_OK) == 0)
        return env;
    /* Beside this source file, or relative to the repository root. */
    const char *src = __FILE__;
    const char *slash = strrchr(src, '/');
    snprintf(path, sizeof path, "%.*sh5_check.py", slash ? (int)(slash - src + 1) : 0, src);
    if (access(path, R_OK) == 0)
        return path;
    if (access("tests/h5_check.py", R_OK) == 0)
        return "tests/h5_check.py";
    return NULL;
}

/* Runs h5_check.py on file with the given arguments (NULL-terminated).
 * Passes when it exits 0; prints "skipping" and passes when Python or
 * xarray is missing. */
static void run_h5_check(const char *file, const char *const *args)
{
    const char *py = getenv("PYTHON");
    if (!py || !*py)
        py = "/usr/bin/python3";
    const char *script = h5_check_script();
    if (access(py, X_OK) != 0 || !script) {
        printf("h5_check: %s or tests/h5_check.py not found; skipping the Python checks\n", py);
        return;
    }
    wd_buf cmd = {0};
    shell_quote(&cmd, py);
    wd_buf_putc(&cmd, ' ');
    shell_quote(&cmd, script);
    wd_buf_putc(&cmd, ' ');
    shell_quote(&cmd, file);
    for (; *args; args++) {
        wd_buf_putc(&cmd, ' ');
        shell_quote(&cmd, *args);
    }
    fflush(stdout);
    int rc = system(wd_buf_str(&cmd));
    wd_buf_free(&cmd);
    assert_true(rc != -1 && WIFEXITED(rc));
    if (WEXITSTATUS(rc) == 77) {
        printf("h5_check: xarray unavailable; skipping the Python checks\n");
        return;
    }
    if (WEXITSTATUS(rc) != 0)
        fail_msg("tests/h5_check.py exited with %d for %s", WEXITSTATUS(rc), file);
}

/* ---- HDF5: content -------------------------------------------------------------------------- */

static void test_hdf5_readback(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char *dir;
    char *path = write_ok(&f.v, "run.h5", &dir);

    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);

    /* time */
    double t[NSAVED];
    read_doubles(file, "time", t);
    for (size_t k = 0; k < NSAVED; k++)
        assert_close(t[k], times4[k], 0, 0);
    hid_t tds = H5Dopen2(file, "time", H5P_DEFAULT);
    assert_true(H5DSis_scale(tds) > 0);
    assert_str_attr(tds, "units", "Year");
    H5Dclose(tds);

    /* jobs: [time, region, sector], row-major from columns 1..6 */
    hid_t ds = H5Dopen2(file, "jobs", H5P_DEFAULT);
    assert_true(ds >= 0);
    hsize_t shape[8];
    assert_int_equal(rank_of(ds, shape), 3);
    assert_int_equal(shape[0], NSAVED);
    assert_int_equal(shape[1], 3);
    assert_int_equal(shape[2], 2);
    double jobs[NSAVED * 6];
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, jobs) >= 0);
    for (size_t k = 0; k < NSAVED; k++)
        for (size_t j = 0; j < 6; j++)
            assert_close(jobs[k * 6 + j], cell(k, 1 + j), 0, 0);
    assert_str_attr(ds, "units", "jobs");
    assert_str_attr(ds, "long_name", "jobs");
    assert_str_attr(ds, "description", "Employment by region and sector");
    assert_true(isnan(read_double_attr(ds, "_FillValue")));
    char sname[64];
    attached_scale(ds, 0, sname);
    assert_string_equal(sname, "/time");
    attached_scale(ds, 1, sname);
    assert_string_equal(sname, "/region");
    attached_scale(ds, 2, sname);
    assert_string_equal(sname, "/sector");
    /* Both directions of the link, as H5DS itself checks them. */
    hid_t region_ds = H5Dopen2(file, "region", H5P_DEFAULT);
    hid_t sector_ds = H5Dopen2(file, "sector", H5P_DEFAULT);
    hid_t time_ds = H5Dopen2(file, "time", H5P_DEFAULT);
    assert_int_equal(H5DSis_attached(ds, time_ds, 0), 1);
    assert_int_equal(H5DSis_attached(ds, region_ds, 1), 1);
    assert_int_equal(H5DSis_attached(ds, sector_ds, 2), 1);
    assert_int_equal(H5DSis_attached(ds, sector_ds, 1), 0);
    assert_int_equal(H5DSget_num_scales(ds, 1), 1);
    H5Dclose(ds);
    /* population, jobs, CO2/GDP and flow use time; jobs, capacity and flow
     * use region. */
    hid_t ra = H5Aopen(time_ds, "REFERENCE_LIST", H5P_DEFAULT);
    hid_t rs = H5Aget_space(ra);
    assert_int_equal(H5Sget_simple_extent_npoints(rs), 4);
    H5Sclose(rs);
    H5Aclose(ra);
    ra = H5Aopen(region_ds, "REFERENCE_LIST", H5P_DEFAULT);
    rs = H5Aget_space(ra);
    assert_int_equal(H5Sget_simple_extent_npoints(rs), 3);
    H5Sclose(rs);
    H5Aclose(ra);
    H5Dclose(time_ds);
    H5Dclose(sector_ds);
    H5Dclose(region_ds);

    /* a timeless scalar: 0-d, value from row 0; empty doc reads as "" */
    ds = H5Dopen2(file, "coal exit year", H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_int_equal(rank_of(ds, shape), 0);
    double x;
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &x) >= 0);
    assert_close(x, cell(0, 7), 0, 0);
    assert_str_attr(ds, "description", "");
    H5Dclose(ds);

    /* a timeless array: just its range */
    ds = H5Dopen2(file, "capacity", H5P_DEFAULT);
    assert_int_equal(rank_of(ds, shape), 1);
    assert_int_equal(shape[0], 3);
    double cap[3];
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, cap) >= 0);
    for (size_t j = 0; j < 3; j++)
        assert_close(cap[j], cell(0, 9 + j), 0, 0);
    attached_scale(ds, 0, sname);
    assert_string_equal(sname, "/region");
    assert_str_attr(ds, "description", "Installed \xC3\xBC capacity");
    H5Dclose(ds);

    /* '/' in a name becomes U+2215; long_name keeps it; empty units; NaN */
    assert_true(H5Lexists(file, "CO2\xE2\x88\x95GDP", H5P_DEFAULT) > 0);
    ds = H5Dopen2(file, "CO2\xE2\x88\x95GDP", H5P_DEFAULT);
    assert_str_attr(ds, "long_name", "CO2/GDP");
    assert_str_attr(ds, "units", "");
    double co2[NSAVED];
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, co2) >= 0);
    assert_close(co2[0], cell(0, 8), 0, 0);
    assert_true(isnan(co2[1]));
    assert_close(co2[2], cell(2, 8), 0, 0);
    assert_true(isnan(co2[3]));
    H5Dclose(ds);

    /* the same range twice: second axis on region_2 */
    ds = H5Dopen2(file, "flow", H5P_DEFAULT);
    assert_int_equal(rank_of(ds, shape), 3);
    attached_scale(ds, 1, sname);
    assert_string_equal(sname, "/region");
    attached_scale(ds, 2, sname);
    assert_string_equal(sname, "/region_2");
    hid_t r2ds = H5Dopen2(file, "region_2", H5P_DEFAULT);
    assert_int_equal(H5DSis_attached(ds, r2ds, 2), 1);
    H5Dclose(r2ds);
    H5Dclose(ds);

    /* coordinates: variable-length UTF-8 strings */
    ds = H5Dopen2(file, "region", H5P_DEFAULT);
    assert_true(H5DSis_scale(ds) > 0);
    hid_t st = H5Dget_type(ds);
    assert_true(H5Tis_variable_str(st) > 0);
    assert_int_equal(H5Tget_cset(st), H5T_CSET_UTF8);
    char *names[3];
    assert_true(H5Dread(ds, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) >= 0);
    for (size_t j = 0; j < 3; j++)
        assert_string_equal(names[j], region_elems[j]);
    hid_t sp = H5Dget_space(ds);
    H5Dvlen_reclaim(st, sp, H5P_DEFAULT, names);
    H5Sclose(sp);
    H5Tclose(st);
    H5Dclose(ds);
    assert_true(H5Lexists(file, "region_2", H5P_DEFAULT) > 0);

    /* root attributes */
    assert_str_attr(file, "Conventions", "CF-1.8");
    assert_str_attr(file, "wandel_version", WD_VERSION);
    assert_str_attr(file, "model_path", "models/transformation.mdl");
    assert_str_attr(file, "scenario_path", "scenarios/ruhr.cfg");
    assert_str_attr(file, "scenario", f.v.scenario_text);
    assert_str_attr(file, "method", "rk4");
    assert_close(read_double_attr(file, "rtol"), 1e-6, 0, 0);
    assert_int_equal(H5Aexists(file, "atol"), 0); /* NaN: not written */
    assert_close(read_double_attr(file, "saveper"), 0.25, 0, 0);
    unsigned long long seed = 0;
    hid_t a = H5Aopen(file, "seed", H5P_DEFAULT);
    assert_true(H5Aread(a, H5T_NATIVE_ULLONG, &seed) >= 0);
    H5Aclose(a);
    assert_true(seed == 18446744073709551615ULL);
    int complete = -1;
    a = H5Aopen(file, "complete", H5P_DEFAULT);
    assert_true(H5Aread(a, H5T_NATIVE_INT, &complete) >= 0);
    H5Aclose(a);
    assert_int_equal(complete, 1);
    assert_int_equal(H5Aexists(file, "incomplete_reason"), 0);
    char created[64];
    read_str_attr(file, "created", created, sizeof created);
    assert_int_equal(strlen(created), 20); /* 2025-01-31T12:00:00Z */
    assert_int_equal(created[10], 'T');
    assert_int_equal(created[19], 'Z');

    H5Fclose(file);
    free(path);
    remove_tree(dir);
}

static void test_hdf5_python(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char *dir;
    char *path = write_ok(&f.v, "run.h5", &dir);
    /* jobs[Ruhr,Steel] is column 2, jobs[Ostrava,Mining] column 5. */
    char ruhr_steel[256], ostrava_mining[256], co2[256], cap[256];
    snprintf(ruhr_steel, sizeof ruhr_steel, "jobs[region=Ruhr,sector=Steel]=%.17g,%.17g,%.17g,%.17g",
             cell(0, 2), cell(1, 2), cell(2, 2), cell(3, 2));
    snprintf(ostrava_mining, sizeof ostrava_mining,
             "jobs[region=Ostrava,sector=Mining]=%.17g,%.17g,%.17g,%.17g", cell(0, 5), cell(1, 5),
             cell(2, 5), cell(3, 5));
    snprintf(co2, sizeof co2, "CO2\xE2\x88\x95GDP=%.17g,nan,%.17g,nan", cell(0, 8), cell(2, 8));
    snprintf(cap, sizeof cap, "capacity[region=Pittsburgh]=%.17g", cell(0, 10));
    const char *args[] = {
        "--time", "2025,2025.25,2025.5,2025.75",
        "--time-units", "Year",
        "--dims", "jobs=time,region,sector",
        "--dims", "population=time",
        "--dims", "coal exit year=",
        "--dims", "capacity=region",
        "--dims", "flow=time,region,region_2",
        "--coord", "region=Ruhr,Pittsburgh,Ostrava",
        "--coord", "sector=Mining,Steel",
        "--coord", "region_2=Ruhr,Pittsburgh,Ostrava",
        "--values", ruhr_steel,
        "--values", ostrava_mining,
        "--values", co2,
        "--values", cap,
        "--values", "coal exit year=70.25",
        "--attr", "jobs@units=jobs",
        "--attr", "jobs@long_name=jobs",
        "--attr", "CO2\xE2\x88\x95GDP@long_name=CO2/GDP",
        "--attr", "CO2\xE2\x88\x95GDP@units=",
        "--attr", "coal exit year@description=",
        "--attr", "capacity@description=Installed \xC3\xBC capacity",
        "--attr", "@Conventions=CF-1.8",
        "--attr", "@wandel_version=" WD_VERSION,
        "--attr", "@method=rk4",
        "--attr", "@rtol=1e-06",
        "--attr", "@complete=1",
        "--attr", "@seed=18446744073709551615",
        "--no-attr", "@atol",
        "--no-attr", "@incomplete_reason",
        "--root-attrs",
        "Conventions,wandel_version,model_path,model_sha256,scenario_path,scenario,method,"
        "rtol,time_step,saveper,seed,created,complete",
        NULL};
    run_h5_check(path, args);
    free(path);
    remove_tree(dir);
}

/* A run stopped before its first save point: empty time axis, NaN constants,
 * no scenario, unknown time unit. */
static void test_hdf5_empty_incomplete(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.v.nsaved = 0;
    f.v.times = NULL;
    f.v.rows = NULL;
    f.v.complete = false;
    f.v.reason = "At t = 2025: 'jobs[Ruhr,Steel]' is NaN";
    f.v.scenario_path = NULL;
    f.v.scenario_text = NULL;
    f.v.time_units = "";
    f.v.rtol = NAN;
    char *dir;
    char *path = write_ok(&f.v, "empty.h5", &dir);

    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t ds = H5Dopen2(file, "jobs", H5P_DEFAULT);
    hsize_t shape[8];
    assert_int_equal(rank_of(ds, shape), 3);
    assert_int_equal(shape[0], 0);
    H5Dclose(ds);
    ds = H5Dopen2(file, "coal exit year", H5P_DEFAULT);
    double x = 0;
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &x) >= 0);
    assert_true(isnan(x)); /* never written: the fill value */
    H5Dclose(ds);
    ds = H5Dopen2(file, "time", H5P_DEFAULT);
    assert_str_attr(ds, "units", "1");
    H5Dclose(ds);
    assert_str_attr(file, "incomplete_reason", f.v.reason);
    assert_int_equal(H5Aexists(file, "scenario"), 0);
    assert_int_equal(H5Aexists(file, "scenario_path"), 0);
    assert_int_equal(H5Aexists(file, "rtol"), 0);
    H5Fclose(file);

    const char *args[] = {"--time", "", "--time-units", "1",
                          "--dims", "jobs=time,region,sector",
                          "--values", "coal exit year=nan",
                          "--values", "capacity=nan,nan,nan",
                          "--attr", "@complete=0",
                          "--attr", "@incomplete_reason=At t = 2025: 'jobs[Ruhr,Steel]' is NaN",
                          "--no-attr", "@scenario",
                          NULL};
    run_h5_check(path, args);
    free(path);
    remove_tree(dir);
}

/* Name clashes: a variable called "time", '/' next to a literal U+2215. */
static void test_hdf5_name_clashes(void **state)
{
    (void)state;
    static const out_var vars[] = {
        {"time", "Year", "", false, 0, NULL, 0, 1},
        {"a/b", "", "", false, 0, NULL, 1, 1},
        {"a\xE2\x88\x95" "b", "", "", false, 0, NULL, 2, 1},
        {"region", "", "", false, 1, region_dims, 3, 3},
    };
    double rows[6] = {1, 2, 3, 4, 5, 6};
    static const double t1[1] = {0};
    out_view v = {.nsaved = 1, .times = t1, .ncols = 6, .rows = rows, .nvars = 4, .vars = vars,
                  .time_units = "Month", .method = "euler", .rtol = NAN, .atol = NAN,
                  .complete = true};
    char *dir;
    char *path = write_ok(&v, "clash.h5", &dir);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    struct {
        const char *ds, *long_name;
        double value;
    } want[] = {{"time_2", "time", 1}, {"a\xE2\x88\x95" "b", "a/b", 2},
                {"a\xE2\x88\x95" "b_2", "a\xE2\x88\x95" "b", 3}, {"region_2", "region", 4}};
    for (size_t i = 0; i < 4; i++) {
        hid_t ds = H5Dopen2(file, want[i].ds, H5P_DEFAULT);
        assert_true(ds >= 0);
        assert_str_attr(ds, "long_name", want[i].long_name);
        double x[3];
        assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
        assert_close(x[0], want[i].value, 0, 0);
        H5Dclose(ds);
    }
    H5Fclose(file);
    free(path);
    remove_tree(dir);
}

/* Writes one variable of nelems elements over nsaved save points (value
 * k*100000 + column) and checks layout and every value. */
static void check_large(size_t nelems, size_t nsaved)
{
    const char **elems = malloc(nelems * sizeof *elems);
    char (*names)[24] = malloc(nelems * sizeof *names);
    for (size_t i = 0; i < nelems; i++) {
        snprintf(names[i], sizeof names[i], "e%zu", i);
        elems[i] = names[i];
    }
    const out_dim big = {"cell", nelems, elems};
    const out_dim *const dims[] = {&big};
    /* A scalar in column 0 shifts the array off the matrix's first column. */
    const out_var vars[] = {
        {"first", "t", "", false, 0, NULL, 0, 1},
        {"field", "t", "", false, 1, dims, 1, nelems},
    };
    size_t ncols = nelems + 1;
    double *times = malloc(nsaved * sizeof *times);
    double *rows = malloc(nsaved * ncols * sizeof *rows);
    assert_non_null(times);
    assert_non_null(rows);
    for (size_t k = 0; k < nsaved; k++) {
        times[k] = (double)k * 0.25;
        for (size_t c = 0; c < ncols; c++)
            rows[k * ncols + c] = (double)k * 100000.0 + (double)c;
    }
    out_view v = {.nsaved = nsaved, .times = times, .ncols = ncols, .rows = rows, .nvars = 2,
                  .vars = vars, .time_units = "year", .rtol = NAN, .atol = NAN, .complete = true};
    char *dir;
    char *path = write_ok(&v, "large.h5", &dir);

    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t ds = H5Dopen2(file, "field", H5P_DEFAULT);
    assert_true(ds >= 0);
    hid_t dcpl = H5Dget_create_plist(ds);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    hsize_t chunk[2];
    assert_int_equal(H5Pget_chunk(dcpl, 2, chunk), 2);
    assert_true(chunk[0] * chunk[1] * sizeof(double) <= 256 * 1024);
    assert_true(H5Pget_nfilters(dcpl) >= 2); /* shuffle + deflate */
    H5Pclose(dcpl);
    hsize_t shape[2];
    assert_int_equal(rank_of(ds, shape), 2);
    assert_int_equal(shape[0], nsaved);
    assert_int_equal(shape[1], nelems);
    /* Read back in blocks of rows to keep memory modest. */
    size_t block = 50;
    double *buf = malloc(block * nelems * sizeof *buf);
    hid_t fspace = H5Dget_space(ds);
    for (size_t k0 = 0; k0 < nsaved; k0 += block) {
        size_t nk = nsaved - k0 < block ? nsaved - k0 : block;
        hsize_t start[2] = {k0, 0}, count[2] = {nk, nelems}, total = nk * nelems;
        hid_t mspace = H5Screate_simple(1, &total, NULL);
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
        assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, buf) >= 0);
        H5Sclose(mspace);
        for (size_t k = 0; k < nk; k++)
            for (size_t j = 0; j < nelems; j++)
                if (buf[k * nelems + j] != (double)(k0 + k) * 100000.0 + (double)(j + 1))
                    fail_msg("field[%zu,%zu] = %.17g", k0 + k, j, buf[k * nelems + j]);
    }
    H5Sclose(fspace);
    free(buf);
    H5Dclose(ds);
    H5Fclose(file);
    free(times);
    free(rows);
    free(elems);
    free(names);
    free(path);
    remove_tree(dir);
}

/* Many elements and save points: chunked (time blocks that do not divide
 * the run), compressed, correct. WANDEL_TEST_LARGE=1 runs the full 2000 x
 * 5000 case. */
static void test_hdf5_large(void **state)
{
    (void)state;
    check_large(2000, getenv("WANDEL_TEST_LARGE") ? 5000 : 1000);
}

/* One time row larger than the chunk budget: chunks split the elements. */
static void test_hdf5_wide(void **state)
{
    (void)state;
    check_large(40000, 3);
}

/* Attributes over 64 KiB (a long layered scenario) need the 1.8 format. */
static void test_hdf5_big_attribute(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    size_t n = 300000;
    char *text = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        text[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 26);
    text[n] = 0;
    f.v.scenario_text = text;
    char *dir;
    char *path = write_ok(&f.v, "big.h5", &dir);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *back = malloc(n + 2);
    read_str_attr(file, "scenario", back, n + 2);
    assert_true(strcmp(back, text) == 0);
    H5Fclose(file);
    free(back);
    free(text);
    free(path);
    remove_tree(dir);
}

/* Thousands of variables: the list of datasets attached to "time" (16
 * bytes each) outgrows the 64 KiB an attribute may have in the oldest file
 * format. */
static void test_hdf5_many_variables(void **state)
{
    (void)state;
    enum { NV = 4200 };
    out_var *vars = calloc(NV, sizeof *vars);
    char (*names)[24] = malloc(NV * sizeof *names);
    double rows[2 * NV];
    static const double t2[2] = {0, 1};
    for (size_t i = 0; i < NV; i++) {
        snprintf(names[i], sizeof names[i], "v%zu", i);
        vars[i] = (out_var){names[i], "1", "", false, 0, NULL, i, 1};
        rows[i] = (double)i;
        rows[NV + i] = -(double)i;
    }
    out_view v = {.nsaved = 2, .times = t2, .ncols = NV, .rows = rows, .nvars = NV,
                  .vars = vars, .time_units = "year", .rtol = NAN, .atol = NAN,
                  .complete = true};
    char *dir;
    char *path = write_ok(&v, "many.h5", &dir);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    double x[2];
    read_doubles(file, "v4199", x);
    assert_close(x[0], 4199, 0, 0);
    assert_close(x[1], -4199, 0, 0);
    hid_t ds = H5Dopen2(file, "v4199", H5P_DEFAULT);
    char sname[64];
    attached_scale(ds, 0, sname);
    assert_string_equal(sname, "/time");
    H5Dclose(ds);
    H5Fclose(file);
    /* netCDF-C is the reader to prove here; h5netcdf reads through the same
     * HDF5 library as h5py (checked by the script), only far more slowly. */
    const char *args[] = {"--values", "v1234=1234,-1234", "--dims", "v0=time",
                          "--engines", "netcdf4", NULL};
    run_h5_check(path, args);
    free(vars);
    free(names);
    free(path);
    remove_tree(dir);
}

/* ---- HDF5: failures ------------------------------------------------------------------------- */

static void test_hdf5_missing_directory(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char *dir = make_tmpdir();
    char *path = join(dir, "no-such-dir/run.h5");
    wd_diags *d = wd_diags_new();
    assert_int_equal(sink_hdf5_write(&f.v, path, d), WD_E_IO);
    const char *msg = wd_diags_text(d);
    assert_contains(msg, path);
    assert_contains(msg, "does not exist");
    assert_int_equal(count_entries(dir), 0);
    wd_diags_free(d);
    free(path);
    remove_tree(dir);
}

static void test_hdf5_target_is_directory(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char *dir = make_tmpdir();
    char *path = join(dir, "out.h5");
    assert_int_equal(mkdir(path, 0755), 0);
    wd_diags *d = wd_diags_new();
    assert_int_equal(sink_hdf5_write(&f.v, path, d), WD_E_IO);
    assert_contains(wd_diags_text(d), path);
    assert_contains(wd_diags_text(d), "directory");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(count_entries(dir), 1);
    wd_diags_free(d);
    free(path);
    remove_tree(dir);
}

/* An existing target is replaced whole by a successful write... */
static void test_hdf5_replaces_target(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char *dir = make_tmpdir();
    char *path = join(dir, "run.h5");
    write_text(path, "old contents\n");
    wd_diags *d = wd_diags_new();
    assert_int_equal(sink_hdf5_write(&f.v, path, d), WD_OK);
    assert_int_equal(H5Fis_hdf5(path), 1);
    assert_int_equal(count_entries(dir), 1);
    wd_diags_free(d);
    free(path);
    remove_tree(dir);
}

/* ...and left alone by a failed one: an allocation failure injected at each
 * allocation of the write in turn. */
static void test_hdf5_alloc_failures_keep_target(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char *dir = make_tmpdir();
    char *path = join(dir, "run.h5");
    write_text(path, "old contents\n");
    int fds = count_fds();
    wd_status st = WD_E_NOMEM;
    long n;
    for (n = 0; n < 10000 && st != WD_OK; n++) {
        wd_diags *d = wd_diags_new();
        wd_alloc_fail_after(n);
        st = sink_hdf5_write(&f.v, path, d);
        wd_alloc_fail_after(-1);
        if (st != WD_OK) {
            assert_int_equal(st, WD_E_NOMEM);
            char *text = slurp(path);
            assert_string_equal(text, "old contents\n");
            free(text);
            assert_int_equal(count_entries(dir), 1);
            assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
            assert_int_equal(count_fds(), fds);
        }
        wd_diags_free(d);
    }
    assert_int_equal(st, WD_OK);
    assert_true(n > 5); /* the sweep really hit allocations */
    assert_int_equal(H5Fis_hdf5(path), 1);
    free(path);
    remove_tree(dir);
}

/* A full disk, simulated with RLIMIT_FSIZE (which binds root too) in a child
 * process: writes beyond the limit fail with EFBIG. */
static void test_hdf5_disk_full(void **state)
{
    /* The test forks a child with a file-size limit; under valgrind the
     * child's own descriptors and exit-time reports make its checks
     * meaningless (the path is covered by the sanitizer build). */
    if (getenv("VALGRIND") && *getenv("VALGRIND")) {
        print_message("under valgrind: skipping the forked disk-full check\n");
        return;
    }
    (void)state;
    enum { NE = 3000, NS = 200 };
    static const char *elems[NE];
    static char names[NE][24];
    for (size_t i = 0; i < NE; i++) {
        snprintf(names[i], sizeof names[i], "e%zu", i);
        elems[i] = names[i];
    }
    const out_dim big = {"cell", NE, elems};
    const out_dim *const dims[] = {&big};
    const out_var vars[] = {{"noise", "", "", false, 1, dims, 0, NE}};
    double *times = malloc(NS * sizeof *times);
    double *rows = malloc((size_t)NS * NE * sizeof *rows);
    /* Incompressible values, so that the file really is large. */
    unsigned long long s = 88172645463325252ULL;
    for (size_t i = 0; i < (size_t)NS * NE; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        rows[i] = (double)(s >> 11) * 0x1p-53;
    }
    for (size_t k = 0; k < NS; k++)
        times[k] = (double)k;
    out_view v = {.nsaved = NS, .times = times, .ncols = NE, .rows = rows, .nvars = 1,
                  .vars = vars, .time_units = "year", .rtol = NAN, .atol = NAN, .complete = true};
    char *dir = make_tmpdir();
    char *path = join(dir, "run.h5");
    write_text(path, "old contents\n");

    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {256 * 1024, 256 * 1024};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        int fds = count_fds();
        wd_diags *d = wd_diags_new();
        wd_status st = sink_hdf5_write(&v, path, d);
        const char *msg = wd_diags_text(d);
        printf("disk-full child: status %d: %s", (int)st, msg);
        fflush(stdout);
        /* Nothing left open: no HDF5 object, no file descriptor. */
        int rc = st != WD_E_IO                                          ? 11
                 : !strstr(msg, path)                                   ? 12
                 : !strstr(msg, "File too large")                       ? 13
                 : H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0      ? 14
                 : count_fds() != fds                                   ? 15
                                                                        : 0;
        wd_diags_free(d);
        _exit(rc);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char *text = slurp(path);
    assert_string_equal(text, "old contents\n");
    free(text);
    assert_int_equal(count_entries(dir), 1);
    free(times);
    free(rows);
    free(path);
    remove_tree(dir);
}

static void expect_bad_view(const out_view *v, const char *needle)
{
    char *dir = make_tmpdir();
    char *path = join(dir, "bad.h5");
    wd_diags *d = wd_diags_new();
    assert_int_equal(sink_hdf5_write(v, path, d), WD_E_ARG);
    assert_contains(wd_diags_text(d), needle);
    assert_int_equal(count_entries(dir), 0);
    wd_diags_clear(d);
    FILE *out = tmpfile();
    assert_int_equal(sink_table_write(v, out, '\t', d), WD_E_ARG);
    assert_contains(wd_diags_text(d), needle);
    fclose(out);
    wd_diags_free(d);
    free(path);
    remove_tree(dir);
}

static void test_bad_views(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    out_var vars[1];

    vars[0] = main_vars[1];
    vars[0].name = NULL;
    out_view v = f.v;
    v.vars = vars;
    v.nvars = 1;
    expect_bad_view(&v, "no name");

    vars[0] = main_vars[1];
    vars[0].first_col = NCOLS - 3; /* 6 elements from column 18 of 21 */
    expect_bad_view(&v, "columns");

    vars[0] = main_vars[1];
    vars[0].nelems = 5;
    expect_bad_view(&v, "elements");

    vars[0] = main_vars[1];
    vars[0].dims = NULL;
    expect_bad_view(&v, "subscript");

    static const char *const holey[] = {"Ruhr", NULL, "Ostrava"};
    const out_dim holey_region = {"region", 3, holey};
    const out_dim *const holey_dims[] = {&holey_region, &sector};
    vars[0] = main_vars[1];
    vars[0].dims = holey_dims;
    expect_bad_view(&v, "unnamed element");

    v = f.v;
    v.rows = NULL;
    expect_bad_view(&v, "value matrix");

    wd_diags *d = wd_diags_new();
    assert_int_equal(sink_hdf5_write(NULL, "/tmp/x.h5", d), WD_E_ARG);
    assert_int_equal(sink_hdf5_write(&f.v, NULL, d), WD_E_ARG);
    assert_int_equal(sink_table_write(&f.v, NULL, ',', d), WD_E_ARG);
    wd_diags_free(d);
}

/* Two ranges of one name must agree on their elements. */
static void test_hdf5_conflicting_ranges(void **state)
{
    (void)state;
    static const char *const other[] = {"Ruhr", "Detroit", "Ostrava"};
    const out_dim region2 = {"region", 3, other};
    const out_dim *const dims2[] = {&region2};
    out_var vars[2] = {main_vars[4], main_vars[4]};
    vars[1].dims = dims2;
    vars[1].name = "capacity 2";
    fixture f;
    fixture_init(&f);
    f.v.vars = vars;
    f.v.nvars = 2;
    char *dir = make_tmpdir();
    char *path = join(dir, "x.h5");
    wd_diags *d = wd_diags_new();
    assert_int_equal(sink_hdf5_write(&f.v, path, d), WD_E_ARG);
    assert_contains(wd_diags_text(d), "region");
    assert_int_equal(count_entries(dir), 0);
    wd_diags_free(d);
    free(path);
    remove_tree(dir);
}

/* ---- tables ------------------------------------------------------------------------------------ */

static const char *const r2_elems[] = {"Ruhr", "Ostrava"};
static const out_dim r2 = {"region", 2, r2_elems};
static const out_dim *const t_dims[] = {&r2, &sector};
static const out_var table_vars[] = {
    {"stock", "", "", false, 0, NULL, 0, 1},
    {"rate, net", "", "", false, 0, NULL, 1, 1},
    {"k", "", "", true, 0, NULL, 2, 1},
    {"jobs", "", "", false, 2, t_dims, 3, 4},
};
static const double table_times[3] = {0, 0.5, 1};

static out_view table_view(double *rows)
{
    const double r[3][7] = {
        {1, 0.1, 42, 1, 2, 3, 4},
        {1.5, NAN, -1, 5, 6, 7, 8},
        {2.25, 1e-20, -1, 1e21, 0.1 + 0.2, -0.5, 1.0 / 3.0},
    };
    memcpy(rows, r, sizeof r);
    return (out_view){.nsaved = 3, .times = table_times, .ncols = 7, .rows = rows, .nvars = 4,
                      .vars = table_vars, .rtol = NAN, .atol = NAN, .complete = true};
}

/* Writes v with sep into memory and returns the text (caller frees). */
static char *table_text(const out_view *v, char sep, wd_status want)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    wd_diags *d = wd_diags_new();
    assert_int_equal(sink_table_write(v, out, sep, d), want);
    wd_diags_free(d);
    fclose(out);
    return buf;
}

static void test_table_tsv(void **state)
{
    (void)state;
    double rows[21];
    out_view v = table_view(rows);
    char *text = table_text(&v, '\t', WD_OK);
    assert_string_equal(text,
                        "Time\tstock\trate, net\tk\tjobs[Ruhr,Mining]\tjobs[Ruhr,Steel]\t"
                        "jobs[Ostrava,Mining]\tjobs[Ostrava,Steel]\n"
                        "0\t1\t0.1\t42\t1\t2\t3\t4\n"
                        "0.5\t1.5\tNaN\t42\t5\t6\t7\t8\n"
                        "1\t2.25\t1e-20\t42\t1e+21\t0.30000000000000004\t-0.5\t"
                        "0.3333333333333333\n");
    free(text);
}

static void test_table_csv(void **state)
{
    (void)state;
    double rows[21];
    out_view v = table_view(rows);
    char *text = table_text(&v, ',', WD_OK);
    assert_string_equal(text,
                        "Time,stock,\"rate, net\",k,\"jobs[Ruhr,Mining]\",\"jobs[Ruhr,Steel]\","
                        "\"jobs[Ostrava,Mining]\",\"jobs[Ostrava,Steel]\"\n"
                        "0,1,0.1,42,1,2,3,4\n"
                        "0.5,1.5,NaN,42,5,6,7,8\n"
                        "1,2.25,1e-20,42,1e+21,0.30000000000000004,-0.5,0.3333333333333333\n");
    free(text);
}

static void test_table_escaping(void **state)
{
    (void)state;
    static const out_var vars[] = {
        {"say \"hi\"", "", "", false, 0, NULL, 0, 1},
        {"tab\there\nnl", "", "", false, 0, NULL, 1, 1},
        {"plain", "", "", false, 0, NULL, 2, 1},
    };
    double rows[3] = {1, 2, 3};
    static const double t[1] = {2025};
    out_view v = {.nsaved = 1, .times = t, .ncols = 3, .rows = rows, .nvars = 3, .vars = vars};
    char *text = table_text(&v, ',', WD_OK);
    assert_string_equal(text, "Time,\"say \"\"hi\"\"\",\"tab\there\nnl\",plain\n2025,1,2,3\n");
    free(text);
    text = table_text(&v, '\t', WD_OK);
    assert_string_equal(text, "Time\tsay \"hi\"\ttab here nl\tplain\n2025\t1\t2\t3\n");
    free(text);
    text = table_text(&v, '"', WD_E_ARG);
    free(text);
}

static void test_table_empty_run(void **state)
{
    (void)state;
    double rows[21];
    out_view v = table_view(rows);
    v.nsaved = 0;
    v.times = NULL;
    v.rows = NULL;
    char *text = table_text(&v, '\t', WD_OK);
    assert_string_equal(text, "Time\tstock\trate, net\tk\tjobs[Ruhr,Mining]\tjobs[Ruhr,Steel]\t"
                              "jobs[Ostrava,Mining]\tjobs[Ostrava,Steel]\n");
    free(text);
}

/* /dev/full fails every write with ENOSPC: the writer must say so. */
static void test_table_write_error(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/full", "w");
    if (!out) {
        printf("/dev/full not available; skipping the write-error check\n");
        return;
    }
    double rows[21];
    out_view v = table_view(rows);
    wd_diags *d = wd_diags_new();
    assert_int_equal(sink_table_write(&v, out, '\t', d), WD_E_IO);
    assert_contains(wd_diags_text(d), "No space left");
    wd_diags_free(d);
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hdf5_readback),
        cmocka_unit_test(test_hdf5_python),
        cmocka_unit_test(test_hdf5_empty_incomplete),
        cmocka_unit_test(test_hdf5_name_clashes),
        cmocka_unit_test(test_hdf5_large),
        cmocka_unit_test(test_hdf5_wide),
        cmocka_unit_test(test_hdf5_big_attribute),
        cmocka_unit_test(test_hdf5_many_variables),
        cmocka_unit_test(test_hdf5_missing_directory),
        cmocka_unit_test(test_hdf5_target_is_directory),
        cmocka_unit_test(test_hdf5_replaces_target),
        cmocka_unit_test(test_hdf5_alloc_failures_keep_target),
        cmocka_unit_test(test_hdf5_disk_full),
        cmocka_unit_test(test_bad_views),
        cmocka_unit_test(test_hdf5_conflicting_ranges),
        cmocka_unit_test(test_table_tsv),
        cmocka_unit_test(test_table_csv),
        cmocka_unit_test(test_table_escaping),
        cmocka_unit_test(test_table_empty_run),
        cmocka_unit_test(test_table_write_error),
    };
    return cmocka_run_group_tests_name("sinks", tests, NULL, NULL);
}
