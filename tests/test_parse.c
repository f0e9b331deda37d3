/* test_parse.c: the .mdl reader: tokens, precedence, equation forms, units,
 * documentation, groups, macros, and syntax errors with file:line:col. */
#include "testutil.h"

#include "ast.h"
#include "wandel.h"

#include <math.h>
#include <string.h>

static mdl_file *parse(const char *text, wd_diags *d)
{
    return mdl_parse(wd_xstrdup(text), strlen(text), "t.mdl", d);
}

/* Evaluates a parsed constant expression (numbers and operators only). */
static double eval(const ast *a)
{
    switch (a->kind) {
    case AST_NUM:
        return a->num;
    case AST_UNARY:
        return a->op == AOP_NEG ? -eval(a->args[0]) : a->op == AOP_NOT ? (eval(a->args[0]) == 0) : eval(a->args[0]);
    case AST_BINARY: {
        double l = eval(a->args[0]), r = eval(a->args[1]);
        switch (a->op) {
        case AOP_ADD: return l + r;
        case AOP_SUB: return l - r;
        case AOP_MUL: return l * r;
        case AOP_DIV: return l / r;
        case AOP_POW: return pow(l, r);
        case AOP_EQ: return l == r;
        case AOP_NE: return l != r;
        case AOP_LT: return l < r;
        case AOP_LE: return l <= r;
        case AOP_GT: return l > r;
        case AOP_GE: return l >= r;
        case AOP_AND: return l != 0 && r != 0;
        case AOP_OR: return l != 0 || r != 0;
        default: return NAN;
        }
    }
    default:
        return NAN;
    }
}

static double eval_text(const char *expr)
{
    char buf[512];
    snprintf(buf, sizeof buf, "x = %s ~~|\n", expr);
    wd_diags *d = wd_diags_new();
    mdl_file *f = parse(buf, d);
    assert_non_null(f);
    if (wd_diags_count(d, WD_ERROR))
        fail_msg("%s", wd_diags_text(d));
    assert_int_equal(f->eqs.n, 1);
    double v = eval(f->eqs.v[0].expr);
    mdl_file_free(f);
    wd_diags_free(d);
    return v;
}

static void test_precedence(void **state)
{
    (void)state;
    assert_close(eval_text("-2^2"), -4, 0, 0);          /* ^ before unary minus */
    assert_close(eval_text("2^3^2"), 512, 0, 0);        /* right associative */
    assert_close(eval_text("2^-1"), 0.5, 0, 0);
    assert_close(eval_text("2^-2^-1"), pow(2, -pow(2, -1)), 1e-15, 0);
    assert_close(eval_text("1 + 2 * 3"), 7, 0, 0);
    assert_close(eval_text("(1 + 2) * 3"), 9, 0, 0);
    assert_close(eval_text("8 / 4 / 2"), 1, 0, 0);       /* left associative */
    assert_close(eval_text("10 - 4 - 3"), 3, 0, 0);
    assert_close(eval_text("1 + 2 = 3"), 1, 0, 0);       /* comparison below + */
    assert_close(eval_text("1 < 2 :AND: 3 > 4"), 0, 0, 0);
    assert_close(eval_text("1 < 2 :OR: 3 > 4"), 1, 0, 0);
    assert_close(eval_text(":NOT: 1 = 2"), 1, 0, 0);     /* :NOT: above comparison */
    assert_close(eval_text("0 :OR: 1 :AND: 0"), 0, 0, 0); /* :AND: before :OR: */
    assert_close(eval_text("3 <> 3"), 0, 0, 0);
    assert_close(eval_text(".5 + 1e-3 + 2.E1"), 20.501, 1e-15, 0);
}

static void test_names_comments_continuations(void **state)
{
    (void)state;
    const char *text = "{UTF-8}\n"
                       "Teacup   Temperature = INTEG ( -Heat_Loss {a comment | ~ } , 180 )\n"
                       "  ~ Degrees Fahrenheit [32, 212] ~ The tea.\\\n    Second line. |\n"
                       "\"Flow w/ | odd ~ chars\" = very long \\\n  name + 1 ~~|\n"
                       "Größe = 1 ~ kg [0,?,0.5] ~ |\n"
                       "\\\\\\---/// Sketch information\nanything : here ~ |\n";
    wd_diags *d = wd_diags_new();
    mdl_file *f = parse(text, d);
    assert_non_null(f);
    assert_int_equal(wd_diags_count(d, WD_ERROR), 0);
    assert_int_equal(f->eqs.n, 3);
    const mdl_eq *e = &f->eqs.v[0];
    assert_string_equal(e->name, "teacup temperature");
    assert_string_equal(e->units, "Degrees Fahrenheit");
    assert_true(e->has_range);
    assert_close(e->range_min, 32, 0, 0);
    assert_close(e->range_max, 212, 0, 0);
    assert_true(isnan(e->range_step));
    assert_string_equal(e->doc, "The tea. Second line.");
    assert_int_equal(e->expr->kind, AST_CALL);
    assert_string_equal(e->expr->name, "integ");
    assert_string_equal(e->expr->args[0]->args[0]->name, "heat loss");
    e = &f->eqs.v[1];
    assert_string_equal(e->name, "flow w/ | odd ~ chars");
    assert_string_equal(e->raw, "\"Flow w/ | odd ~ chars\"");
    assert_string_equal(e->expr->args[0]->name, "very long name");
    e = &f->eqs.v[2];
    assert_string_equal(e->name, "größe"); /* Latin-1 letters fold in UTF-8 */
    assert_true(isnan(e->range_max));
    assert_close(e->range_step, 0.5, 0, 0);
    mdl_file_free(f);
    wd_diags_free(d);
}

static void test_equation_forms(void **state)
{
    (void)state;
    const char *text = "dim: (a1-a3), b ~~|\n"
                       "sub: a1, a2 -> (other: o2, o1) ~~|\n"
                       "alias <-> dim ~~|\n"
                       "x[dim] :EXCEPT: [b] = 1, 2; 3 ~~|\n"
                       "t[dim] = TABBED ARRAY(\n 1\t2\n 3\t4) ~~|\n"
                       "lk( [(0,0)-(2,2)], (0,0), (1,2), (2,1) ) ~~|\n"
                       "d := GET DIRECT DATA('f.csv', ',', 'A', 'B2') ~~|\n"
                       "h[dim]:HOLD BACKWARD::= 1 ~~|\n"
                       "u == 3 ~~|\n"
                       "w = WITH LOOKUP(Time, ((0,1),(10,2))) |\n"
                       "************\n .Group\n************~ doc |\n"
                       "after = 1 ~~|\n"
                       ":MACRO: M(a, b : c)\nM = a * b ~~|\n:END OF MACRO:\n";
    wd_diags *d = wd_diags_new();
    mdl_file *f = parse(text, d);
    assert_non_null(f);
    if (wd_diags_count(d, WD_ERROR))
        fail_msg("%s", wd_diags_text(d));
    assert_int_equal(f->eqs.n, 12);
    const mdl_eq *e = &f->eqs.v[0];
    assert_int_equal(e->kind, EQ_DIMDEF);
    assert_int_equal(e->nelems, 4);
    assert_string_equal(e->elems[2].name, "a3");
    e = &f->eqs.v[1];
    assert_int_equal(e->nmaps, 1);
    assert_string_equal(e->maps[0].target, "other");
    assert_int_equal(e->maps[0].nelems, 2);
    assert_int_equal(f->eqs.v[2].kind, EQ_EQUIV);
    e = &f->eqs.v[3];
    assert_int_equal(e->kind, EQ_NUMBERS);
    assert_int_equal(e->nexcept, 1);
    assert_int_equal(e->nnums, 3);
    assert_int_equal(e->nrows, 2);
    e = &f->eqs.v[4];
    assert_int_equal(e->kind, EQ_NUMBERS);
    assert_int_equal(e->nnums, 4);
    assert_int_equal(e->nrows, 2);
    e = &f->eqs.v[5];
    assert_int_equal(e->kind, EQ_LOOKUP);
    assert_int_equal(e->table->n, 3);
    assert_true(e->table->has_range);
    assert_close(e->table->y[1], 2, 0, 0);
    assert_int_equal(f->eqs.v[6].kind, EQ_DATA);
    assert_int_equal(f->eqs.v[7].interp, INTERP_HOLD_BACKWARD);
    assert_int_equal(f->eqs.v[8].kind, EQ_FIXED);
    e = &f->eqs.v[9];
    assert_int_equal(e->expr->args[1]->kind, AST_TABLE);
    assert_string_equal(f->eqs.v[10].group, "Group");
    assert_int_equal(f->macros.n, 1);
    assert_int_equal(f->macros.v[0].nparams, 2);
    assert_int_equal(f->macros.v[0].noutputs, 1);
    assert_int_equal(f->eqs.v[11].macro, 0);
    mdl_file_free(f);
    wd_diags_free(d);
}

static void test_settings_method(void **state)
{
    (void)state;
    wd_diags *d = wd_diags_new();
    mdl_file *f = parse("x = 1 ~~|\n\\\\\\---/// Sketch\nV300\n///---\\\\\\\n:L<%^E!@\n15:0,0,0,1,0,0\n", d);
    assert_int_equal(f->method_code, 1);
    mdl_file_free(f);
    f = parse("x = 1 ~~|\n", d);
    assert_int_equal(f->method_code, -1);
    mdl_file_free(f);
    wd_diags_free(d);
}

/* Every syntax error is reported with its position, and the parser goes on
 * to the next equation. */
static void test_syntax_errors(void **state)
{
    (void)state;
    const char *text = "a = (1 + 2 ~~|\n"
                       "b = 3 * ~~|\n"
                       "c = 4 ~~|\n"
                       "d = 5 $ 6 ~~|\n"
                       "e = \"unterminated ~~|\n";
    wd_diags *d = wd_diags_new();
    mdl_file *f = parse(text, d);
    assert_non_null(f);
    const char *msg = wd_diags_text(d);
    assert_contains(msg, "t.mdl:1:12: error: expected ')'");
    assert_contains(msg, "t.mdl:2:9: error: expected an expression");
    assert_contains(msg, "t.mdl:4:7:");
    assert_contains(msg, "t.mdl:5:5: error: unterminated quoted name");
    assert_contains(msg, "  a = (1 + 2 ~~|\n");
    /* c parsed despite the errors around it */
    bool have_c = false;
    for (size_t i = 0; i < f->eqs.n; i++)
        have_c |= strcmp(f->eqs.v[i].name, "c") == 0;
    assert_true(have_c);
    mdl_file_free(f);
    wd_diags_free(d);
}

static void test_hostile_input(void **state)
{
    (void)state;
    /* deep nesting is refused, not a stack overflow */
    char *deep = wd_xmalloc(200000);
    strcpy(deep, "x = ");
    size_t n = strlen(deep);
    for (int i = 0; i < 50000; i++)
        deep[n++] = '(';
    deep[n++] = '1';
    deep[n] = 0;
    wd_diags *d = wd_diags_new();
    mdl_file *f = mdl_parse(deep, n, "deep.mdl", d);
    assert_non_null(f);
    assert_contains(wd_diags_text(d), "nested more than");
    mdl_file_free(f);
    wd_diags_clear(d);
    /* binary garbage with NUL bytes */
    char garbage[256];
    for (int i = 0; i < 256; i++)
        garbage[i] = (char)(i * 37);
    char *g = wd_xmalloc(sizeof garbage + 1);
    memcpy(g, garbage, sizeof garbage);
    g[sizeof garbage] = 0;
    f = mdl_parse(g, sizeof garbage, "garbage.mdl", d);
    assert_non_null(f);
    assert_true(wd_diags_count(d, WD_ERROR) > 0);
    mdl_file_free(f);
    wd_diags_clear(d);
    /* a number too large for a double */
    f = parse("x = 1e999 ~~|", d);
    assert_contains(wd_diags_text(d), "number out of range");
    mdl_file_free(f);
    wd_diags_free(d);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    const char *text = "a[d] = b * 2 + c ~ u [0,1] ~ doc |\nd: x, y ~~|\n";
    /* every allocation in turn fails: NULL or errors, never a crash or leak */
    for (long k = 0; k < 200; k++) {
        wd_diags *d = wd_diags_new();
        char *copy = wd_xstrdup(text);
        wd_alloc_fail_after(k);
        mdl_file *f = mdl_parse(copy, strlen(text), "t.mdl", d);
        wd_alloc_fail_after(-1);
        mdl_file_free(f);
        wd_diags_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_names_comments_continuations),
        cmocka_unit_test(test_equation_forms),
        cmocka_unit_test(test_settings_method),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
