/* test_sema.c: model checks and their messages: unknown names with
 * suggestions, duplicates, argument counts, algebraic loops printed as a
 * path, subscript errors; and that every error of a file is reported in one
 * pass with file:line:col. */
#include "testutil.h"

#include "util.h"
#include "wandel.h"

#include <string.h>

static const char *controls = "FINAL TIME = 10 ~~|\nINITIAL TIME = 0 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n";

/* Loads and compiles text; returns the status and leaves messages in d. */
static wd_status load(const char *body, wd_diags *d)
{
    char *text = wd_xmalloc(strlen(body) + strlen(controls) + 1);
    strcpy(text, body);
    strcat(text, controls);
    wd_model *m = NULL;
    wd_program *p = NULL;
    wd_status st = wd_model_from_string(text, "m.mdl", d, &m);
    if (st == WD_OK)
        st = wd_program_compile(m, NULL, d, &p);
    wd_program_free(p);
    wd_model_free(m);
    wd_xfree(text);
    return st;
}

static void expect_error(const char *body, const char *fragment)
{
    wd_diags *d = wd_diags_new();
    wd_status st = load(body, d);
    if (st == WD_OK)
        fail_msg("expected an error containing \"%s\" for:\n%s", fragment, body);
    assert_contains(wd_diags_text(d), fragment);
    wd_diags_free(d);
}

static void test_unknown_names(void **state)
{
    (void)state;
    expect_error("Room Temperature = 70 ~~|\nx = Room Temprature * 2 ~~|\n",
                 "m.mdl:2:5: error: unknown variable 'Room Temprature' (did you mean 'Room Temperature'?)");
    expect_error("x = FOO BAR(1) ~~|\n", "m.mdl:1:5: error: unknown or unsupported function 'FOO BAR'");
    expect_error("d: a, b ~~|\nx[d] = 1 ~~|\ny = x[c] ~~|\n", "unknown subscript 'c' of 'x'");
}

static void test_duplicates_and_arguments(void **state)
{
    (void)state;
    expect_error("x = 1 ~~|\ny = 2 ~~|\nx = 3 ~~|\n", "m.mdl:3:1: error: x is defined twice (first at line 1)");
    expect_error("x = SMOOTH(1, 2, 3) ~~|\n", "m.mdl:1:5: error: SMOOTH takes 2 arguments, found 3");
    expect_error("x = LOG() ~~|\n", "LOG takes 1 to 2 arguments, found 0");
    expect_error("x = INTEG(1) ~~|\n", "INTEG takes 2 arguments, found 1");
    expect_error("x = 1 + INTEG(1, 2) ~~|\n", "INTEG may only be the whole right-hand side of an equation");
    expect_error("d: a, b ~~|\nd: c ~~|\n", "subscript range 'd' is defined twice (first at line 1)");
}

static void test_algebraic_loop(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_status st = load("a = b + 1 ~~|\nb = c * 2 ~~|\nc = a - 3 ~~|\nok = 1 ~~|\n", d);
    assert_int_equal(st, WD_E_SEMANTIC);
    const char *msg = wd_diags_text(d);
    assert_contains(msg, "algebraic loop");
    /* the cycle as a path in computing order (c feeds b feeds a feeds c),
     * each member once, closing on the first */
    assert_true(strstr(msg, "c -> b -> a -> c") || strstr(msg, "b -> a -> c -> b") ||
                strstr(msg, "a -> c -> b -> a"));
    assert_contains(msg, "m.mdl:1:1: note: 'a' is defined here");
    assert_contains(msg, "m.mdl:3:1: note: 'c' is defined here");
    wd_diags_free(d);
    /* a stock breaks the loop */
    d = wd_diags_new();
    assert_int_equal(load("s = INTEG(f, 1) ~~|\nf = s * 0.1 ~~|\n", d), WD_OK);
    wd_diags_free(d);
    /* elements of one array may depend on each other, in order */
    d = wd_diags_new();
    assert_int_equal(load("d: a1, a2, a3 ~~|\nx[a1] = 1 ~~|\nx[a2] = x[a1] + 1 ~~|\nx[a3] = x[a2] * 2 ~~|\n", d),
                     WD_OK);
    wd_diags_free(d);
    /* but an element depending on itself is a loop */
    expect_error("d: a1, a2 ~~|\nx[d] = x[a1] + 1 ~~|\n", "algebraic loop");
    /* initial values in a circle */
    expect_error("s = INTEG(1, t) ~~|\nt = s * 2 ~~|\n", "initial values depend on each other");
}

static void test_array_errors(void **state)
{
    (void)state;
    /* unknown element */
    expect_error("d: a, b ~~|\nx[d] = 1 ~~|\ny = x[z] ~~|\n", "m.mdl:3:7: error: unknown subscript 'z' of 'x'");
    /* an element of another range */
    expect_error("d: a, b ~~|\ne: c, f ~~|\nx[d] = 1 ~~|\ny = x[c] ~~|\n",
                 "'c' is not an element of range 'd' (subscript 1 of 'x')");
    /* dimension mismatch: wrong number of subscripts */
    expect_error("d: a, b ~~|\nx[d] = 1 ~~|\ny[d] = x[d, d] ~~|\n", "'x' has 1 subscript, but 2 are given");
    /* a range that is not on the left-hand side */
    expect_error("d: a, b ~~|\ne: c, f ~~|\nx[d] = 1 ~~|\ny[e] = x[d] ~~|\n",
                 "range 'd' (subscript of 'x') is not on the left-hand side of 'y'");
    /* a mapping to a range of another size */
    expect_error("d: a, b -> e ~~|\ne: c, f, g ~~|\n",
                 "cannot map 'd' (2 elements) to 'e' (3 elements): the ranges differ in size");
    /* a subscript used twice in one range definition */
    expect_error("d: a, b, a ~~|\n", "element 'a' appears twice in subscript range 'd'");
    /* a range used twice on a left-hand side */
    expect_error("d: a, b ~~|\nx[d, d] = 1 ~~|\n", "m.mdl:2:6: error: range 'd' is used twice on the left-hand side of 'x'");
    /* reading an element that has no equation */
    expect_error("d: a, b ~~|\nx[a] = 1 ~~|\ny = x[b] ~~|\n", "x[b] is read here but has no equation");
    /* a number list of the wrong length */
    expect_error("d: a, b ~~|\nx[d] = 1, 2, 3 ~~|\n", "'x' has 2 elements here but 3 numbers are given");
}

static void test_all_errors_in_one_pass(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_status st = load("a = nope1 ~~|\nb = nope2 ~~|\nc = SQRT(1, 2) ~~|\n", d);
    assert_int_equal(st, WD_E_SEMANTIC);
    const char *msg = wd_diags_text(d);
    assert_contains(msg, "m.mdl:1:5: error: unknown variable 'nope1'");
    assert_contains(msg, "m.mdl:2:5: error: unknown variable 'nope2'");
    assert_contains(msg, "m.mdl:3:5: error: SQRT takes 1 argument, found 2");
    assert_int_equal(wd_diags_count(d, WD_ERROR), 3);
    wd_diags_free(d);
}

static void test_info(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    wd_model *m = NULL;
    char text[1024];
    snprintf(text, sizeof text,
             "region: Ruhr, Ostrava ~~|\n"
             "jobs[region] = INTEG(hiring[region], 100) ~ persons ~ Jobs. |\n"
             "hiring[region] = jobs[region] * rate ~ persons/year ~~|\n"
             "rate = 0.1 ~ 1/year [0,1] ~ Growth. |\n%s",
             controls);
    assert_int_equal(wd_model_from_string(text, "m.mdl", d, &m), WD_OK);
    assert_int_equal(wd_model_dim_count(m), 1);
    wd_dim_info di;
    wd_model_dim(m, 0, &di);
    assert_string_equal(di.name, "region");
    assert_int_equal(di.nelems, 2);
    assert_string_equal(di.elems[1], "Ostrava");
    bool found = false;
    for (size_t i = 0; i < wd_model_var_count(m); i++) {
        wd_var_info vi;
        wd_model_var(m, i, &vi);
        if (strcmp(vi.name, "hiring") == 0) {
            found = true;
            assert_string_equal(vi.kind, "auxiliary");
            assert_string_equal(vi.units, "persons/year");
            assert_int_equal(vi.ndims, 1);
            assert_string_equal(vi.dims[0], "region");
            assert_int_equal(vi.ndeps, 2);
        }
        if (strcmp(vi.name, "jobs") == 0) {
            assert_string_equal(vi.kind, "stock");
            assert_string_equal(vi.doc, "Jobs.");
            assert_int_equal(vi.line, 2);
        }
    }
    assert_true(found);
    wd_model_free(m);
    wd_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_duplicates_and_arguments),
        cmocka_unit_test(test_algebraic_loop),
        cmocka_unit_test(test_array_errors),
        cmocka_unit_test(test_all_errors_in_one_pass),
        cmocka_unit_test(test_info),
    };
    return cmocka_run_group_tests_name("sema", tests, NULL, NULL);
}
