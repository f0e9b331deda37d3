/* mdl_parse.c: Vensim equation section -> AST (ast.h).
 *
 * Recursive descent with Vensim's operator precedence, from loosest to
 * tightest: :OR:, :AND:, :NOT:, comparisons, + -, * /, unary + -, ^ (right
 * associative: -2^2 = -4, 2^-1 = 0.5). A syntax error is
 * reported and the parser skips to the end of that equation ('|'), so one
 * pass reports the errors of every equation.
 */
#include "wdlimits.h"
#include "mdl_lex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef VEC(ast_sub) sub_vec;

typedef struct parser {
    mdl_lexer lx;
    token tok;
    bool have_tok;
    mdl_file *f;
    wd_diags *diags;
    bool failed;   /* current equation had a syntax error */
    int depth;     /* expression nesting */
    size_t nodes;  /* expression nodes so far */
    const char *group;
    int macro;     /* open macro index or -1 */
} parser;

static token *peek(parser *p)
{
    if (!p->have_tok) {
        mdl_lex_next(&p->lx, &p->tok);
        p->have_tok = true;
    }
    return &p->tok;
}

static void next(parser *p)
{
    peek(p);
    p->have_tok = false;
}

static bool is_op(parser *p, int op)
{
    token *t = peek(p);
    return t->kind == T_OP && t->op == op;
}

static bool is_kw(parser *p, kw_code kw)
{
    token *t = peek(p);
    return t->kind == T_KW && t->kw == kw;
}

static const char *tok_desc(const token *t, char *buf, size_t n)
{
    switch (t->kind) {
    case T_EOF: return "end of file";
    case T_NUM: return "a number";
    case T_NAME: snprintf(buf, n, "name '%.60s'", t->raw); return buf;
    case T_STR: return "a quoted string";
    case T_KW: snprintf(buf, n, "keyword '%.*s'", (int)(t->len > 40 ? 40 : t->len), t->start); return buf;
    case T_ERR: return "an invalid character";
    case T_OP:
        if (t->op < 256)
            snprintf(buf, n, "'%c'", t->op);
        else
            snprintf(buf, n, "'%.*s'", (int)t->len, t->start);
        return buf;
    }
    return "?";
}

static void error_at(parser *p, wd_loc loc, const char *fmt, ...) WD_PRINTF(3, 4);
static void error_at(parser *p, wd_loc loc, const char *fmt, ...)
{
    if (p->failed)
        return; /* one message per equation: later ones are usually echoes */
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    wd_diag_vadd(p->diags, WD_ERROR, loc, mdl_lex_line(&p->lx, loc.line), fmt, ap);
    va_end(ap);
}

static void expected(parser *p, const char *what)
{
    token *t = peek(p);
    char buf[128];
    if (t->kind == T_ERR) {
        p->failed = true; /* the lexer reported it */
        return;
    }
    error_at(p, t->loc, "expected %s, found %s", what, tok_desc(t, buf, sizeof buf));
}

static bool expect_op(parser *p, int op, const char *what)
{
    if (is_op(p, op)) {
        next(p);
        return true;
    }
    expected(p, what);
    return false;
}

static void *alloc(parser *p, size_t n)
{
    void *r = wd_arena_alloc(p->f->arena, n);
    if (!r)
        p->lx.oom = true;
    return r;
}

/* Copies a vector's contents into the arena. */
static void *arena_copy(parser *p, const void *src, size_t n, size_t elem)
{
    if (n == 0)
        return NULL;
    void *d = alloc(p, n * elem);
    if (d)
        memcpy(d, src, n * elem);
    return d;
}

static ast *new_node(parser *p, ast_kind k, wd_loc loc)
{
    if (++p->nodes > WD_MAX_NODES) {
        error_at(p, loc, "more than %d expression nodes in one model (a limit that protects the machine)",
                 WD_MAX_NODES);
        return NULL;
    }
    ast *a = alloc(p, sizeof *a);
    if (a) {
        a->kind = k;
        a->loc = loc;
    }
    return a;
}

/* ---- expressions --------------------------------------------------------- */

static ast *parse_expr(parser *p);

static bool parse_signed_number(parser *p, double *out)
{
    double sign = 1;
    while (is_op(p, '-') || is_op(p, '+')) {
        if (is_op(p, '-'))
            sign = -sign;
        next(p);
    }
    if (peek(p)->kind != T_NUM) {
        expected(p, "a number");
        return false;
    }
    *out = sign * peek(p)->num;
    next(p);
    return true;
}

static bool parse_point(parser *p, double *x, double *y)
{
    return expect_op(p, '(', "'(' starting a point (x,y)") && parse_signed_number(p, x) &&
           expect_op(p, ',', "',' between x and y") && parse_signed_number(p, y) &&
           expect_op(p, ')', "')' closing a point (x,y)");
}

/* Table body after its opening '(' up to and including the closing ')':
 *   [(xmin,ymin)-(xmax,ymax)], (x1,y1), (x2,y2), ...
 * or, without points in parentheses, x1, x2, ..., y1, y2, ... */
static ast_table *parse_table_body(parser *p)
{
    ast_table *t = alloc(p, sizeof *t);
    if (!t)
        return NULL;
    VEC(double) xs = {0};
    VEC(double) ys = {0};
    if (is_op(p, '[')) {
        next(p);
        if (!parse_point(p, &t->xmin, &t->ymin) || !expect_op(p, '-', "'-' in the range [(xmin,ymin)-(xmax,ymax)]") ||
            !parse_point(p, &t->xmax, &t->ymax))
            goto fail;
        t->has_range = true;
        while (is_op(p, ',')) { /* reference lines drawn in the editor */
            next(p);
            double dx, dy;
            if (!parse_point(p, &dx, &dy))
                goto fail;
        }
        if (!expect_op(p, ']', "']' closing the table range"))
            goto fail;
        if (is_op(p, ','))
            next(p);
    }
    if (is_op(p, '(')) {
        for (;;) {
            double x, y;
            if (!parse_point(p, &x, &y))
                goto fail;
            if (!VEC_PUSH(xs, x) || !VEC_PUSH(ys, y))
                goto oom;
            if (!is_op(p, ','))
                break;
            next(p);
        }
    } else {
        VEC(double) all = {0};
        for (;;) {
            double v;
            if (!parse_signed_number(p, &v)) {
                VEC_FREE(all);
                goto fail;
            }
            if (!VEC_PUSH(all, v)) {
                VEC_FREE(all);
                goto oom;
            }
            if (!is_op(p, ','))
                break;
            next(p);
        }
        if (all.n % 2) {
            error_at(p, peek(p)->loc, "a table given as x values then y values needs an even count of numbers, found %zu", all.n);
            VEC_FREE(all);
            goto fail;
        }
        for (size_t i = 0; i < all.n / 2; i++)
            if (!VEC_PUSH(xs, all.v[i]) || !VEC_PUSH(ys, all.v[all.n / 2 + i])) {
                VEC_FREE(all);
                goto oom;
            }
        VEC_FREE(all);
    }
    if (!expect_op(p, ')', "')' closing the lookup table"))
        goto fail;
    t->n = xs.n;
    t->x = arena_copy(p, xs.v, xs.n, sizeof(double));
    t->y = arena_copy(p, ys.v, ys.n, sizeof(double));
    VEC_FREE(xs);
    VEC_FREE(ys);
    return t;
oom:
    p->lx.oom = true;
fail:
    VEC_FREE(xs);
    VEC_FREE(ys);
    return NULL;
}

/* subscript list after '[' up to and including ']' */
static bool parse_subs(parser *p, ast_sub **out, size_t *nout)
{
    VEC(ast_sub) subs = {0};
    next(p); /* '[' */
    for (;;) {
        token *t = peek(p);
        if (t->kind != T_NAME) {
            expected(p, "a subscript name");
            goto fail;
        }
        ast_sub s = {t->name, t->raw, false, t->loc, -1, -1};
        next(p);
        if (is_op(p, '!')) {
            s.bang = true;
            next(p);
        }
        if (!VEC_PUSH(subs, s)) {
            p->lx.oom = true;
            goto fail;
        }
        if (is_op(p, ']'))
            break;
        if (!expect_op(p, ',', "',' or ']' in the subscript list"))
            goto fail;
    }
    next(p);
    if (subs.n > WD_MAX_DIMS) {
        error_at(p, subs.v[0].loc, "%zu subscripts; at most %d are supported", subs.n, WD_MAX_DIMS);
        goto fail;
    }
    *out = arena_copy(p, subs.v, subs.n, sizeof(ast_sub));
    *nout = subs.n;
    VEC_FREE(subs);
    return true;
fail:
    VEC_FREE(subs);
    return false;
}

static ast *parse_call(parser *p, ast *call)
{
    next(p); /* '(' */
    VEC(ast *) args = {0};
    bool with_lookup = strcmp(call->name, "with lookup") == 0;
    if (!is_op(p, ')')) {
        for (;;) {
            ast *a;
            if (with_lookup && args.n == 1) {
                wd_loc loc = peek(p)->loc;
                if (!expect_op(p, '(', "'(' starting the lookup table"))
                    goto fail;
                a = new_node(p, AST_TABLE, loc);
                if (!a || !(a->table = parse_table_body(p)))
                    goto fail;
            } else {
                a = parse_expr(p);
                if (!a)
                    goto fail;
            }
            if (!VEC_PUSH(args, a)) {
                p->lx.oom = true;
                goto fail;
            }
            if (is_op(p, ')'))
                break;
            if (!expect_op(p, ',', "',' or ')' in the argument list"))
                goto fail;
        }
    }
    next(p);
    call->kind = AST_CALL;
    call->args = arena_copy(p, args.v, args.n, sizeof(ast *));
    call->nargs = args.n;
    VEC_FREE(args);
    return call;
fail:
    VEC_FREE(args);
    return NULL;
}

static ast *parse_primary(parser *p)
{
    token *t = peek(p);
    ast *a;
    switch (t->kind) {
    case T_NUM:
        a = new_node(p, AST_NUM, t->loc);
        if (a)
            a->num = t->num;
        next(p);
        return a;
    case T_STR:
        a = new_node(p, AST_STR, t->loc);
        if (a)
            a->name = a->raw = t->name;
        next(p);
        return a;
    case T_KW:
        if (t->kw == KW_NA) {
            a = new_node(p, AST_NA, t->loc);
            next(p);
            return a;
        }
        break;
    case T_NAME:
        a = new_node(p, AST_REF, t->loc);
        if (!a)
            return NULL;
        a->name = t->name;
        a->raw = t->raw;
        next(p);
        if (is_op(p, '[') && !parse_subs(p, &a->subs, &a->nsubs))
            return NULL;
        if (is_op(p, '('))
            return parse_call(p, a);
        return a;
    case T_OP:
        if (t->op == '(') {
            next(p);
            a = parse_expr(p);
            if (!a || !expect_op(p, ')', "')'"))
                return NULL;
            return a;
        }
        break;
    default:
        break;
    }
    expected(p, "an expression");
    return NULL;
}

static ast *unary(parser *p, ast_op op, wd_loc loc, ast *x)
{
    ast *a = new_node(p, AST_UNARY, loc);
    if (!a || !x)
        return NULL;
    a->op = op;
    a->args = alloc(p, sizeof(ast *));
    if (!a->args)
        return NULL;
    a->args[0] = x;
    a->nargs = 1;
    return a;
}

static ast *binary(parser *p, ast_op op, wd_loc loc, ast *l, ast *r)
{
    if (!l || !r)
        return NULL;
    ast *a = new_node(p, AST_BINARY, loc);
    if (!a)
        return NULL;
    a->op = op;
    a->args = alloc(p, 2 * sizeof(ast *));
    if (!a->args)
        return NULL;
    a->args[0] = l;
    a->args[1] = r;
    a->nargs = 2;
    return a;
}

static bool enter(parser *p)
{
    if (++p->depth > WD_MAX_NESTING) {
        error_at(p, peek(p)->loc, "expression nested more than %d levels deep", WD_MAX_NESTING);
        return false;
    }
    return true;
}

static ast *parse_unary(parser *p);

/* power := primary ['^' unary]: right associative, the exponent may carry
 * a sign (2^-1), and ^ binds tighter than a leading minus: -2^2 = -4, as
 * the conformance suite's references show (tests/exponentiation,
 * tests/arithmetics). */
static ast *parse_pow(parser *p)
{
    if (!enter(p))
        return NULL;
    ast *l = parse_primary(p);
    p->depth--;
    if (l && is_op(p, '^')) {
        wd_loc loc = peek(p)->loc;
        next(p);
        if (!enter(p))
            return NULL;
        ast *r = parse_unary(p);
        p->depth--;
        return binary(p, AOP_POW, loc, l, r);
    }
    return l;
}

static ast *parse_unary(parser *p)
{
    if (is_op(p, '-') || is_op(p, '+')) {
        ast_op op = is_op(p, '-') ? AOP_NEG : AOP_POS;
        wd_loc loc = peek(p)->loc;
        next(p);
        if (!enter(p))
            return NULL;
        ast *x = parse_unary(p);
        p->depth--;
        return x ? unary(p, op, loc, x) : NULL;
    }
    return parse_pow(p);
}

static ast *parse_mul(parser *p)
{
    ast *l = parse_unary(p);
    while (l && (is_op(p, '*') || is_op(p, '/'))) {
        ast_op op = is_op(p, '*') ? AOP_MUL : AOP_DIV;
        wd_loc loc = peek(p)->loc;
        next(p);
        l = binary(p, op, loc, l, parse_unary(p));
    }
    return l;
}

static ast *parse_add(parser *p)
{
    ast *l = parse_mul(p);
    while (l && (is_op(p, '+') || is_op(p, '-'))) {
        ast_op op = is_op(p, '+') ? AOP_ADD : AOP_SUB;
        wd_loc loc = peek(p)->loc;
        next(p);
        l = binary(p, op, loc, l, parse_mul(p));
    }
    return l;
}

static ast_op cmp_op(parser *p)
{
    token *t = peek(p);
    if (t->kind != T_OP)
        return AOP_NONE;
    switch (t->op) {
    case '=': return AOP_EQ;
    case '<': return AOP_LT;
    case '>': return AOP_GT;
    case OPC_LE: return AOP_LE;
    case OPC_GE: return AOP_GE;
    case OPC_NE: return AOP_NE;
    default: return AOP_NONE;
    }
}

static ast *parse_cmp(parser *p)
{
    ast *l = parse_add(p);
    ast_op op;
    while (l && (op = cmp_op(p)) != AOP_NONE) {
        wd_loc loc = peek(p)->loc;
        next(p);
        l = binary(p, op, loc, l, parse_add(p));
    }
    return l;
}

static ast *parse_not(parser *p)
{
    if (is_kw(p, KW_NOT)) {
        wd_loc loc = peek(p)->loc;
        next(p);
        if (!enter(p))
            return NULL;
        ast *x = parse_not(p);
        p->depth--;
        return x ? unary(p, AOP_NOT, loc, x) : NULL;
    }
    return parse_cmp(p);
}

static ast *parse_and(parser *p)
{
    ast *l = parse_not(p);
    while (l && is_kw(p, KW_AND)) {
        wd_loc loc = peek(p)->loc;
        next(p);
        l = binary(p, AOP_AND, loc, l, parse_not(p));
    }
    return l;
}

static ast *parse_expr(parser *p)
{
    if (!enter(p))
        return NULL;
    ast *l = parse_and(p);
    while (l && is_kw(p, KW_OR)) {
        wd_loc loc = peek(p)->loc;
        next(p);
        l = binary(p, AOP_OR, loc, l, parse_and(p));
    }
    p->depth--;
    return l;
}

/* ---- equations ------------------------------------------------------------- */

/* If `a` is a literal number (possibly negated), stores it. */
static bool literal_value(const ast *a, double *v)
{
    if (a->kind == AST_NUM) {
        *v = a->num;
        return true;
    }
    if (a->kind == AST_UNARY && (a->op == AOP_NEG || a->op == AOP_POS) && literal_value(a->args[0], v)) {
        if (a->op == AOP_NEG)
            *v = -*v;
        return true;
    }
    return false;
}

/* A number list "1, 2; 3, 4;" whose first element `first` is parsed already. */
static bool parse_number_list(parser *p, mdl_eq *eq, ast *first)
{
    VEC(double) nums = {0};
    double v;
    size_t rows = 1;
    if (!literal_value(first, &v)) {
        error_at(p, first->loc, "a list of constants may hold only numbers");
        return false;
    }
    if (!VEC_PUSH(nums, v))
        goto oom;
    while (is_op(p, ',') || is_op(p, ';')) {
        bool row_end = is_op(p, ';');
        next(p);
        if (row_end) {
            token *t = peek(p);
            if (t->kind == T_OP && (t->op == '~' || t->op == '|'))
                break; /* trailing ';' */
            rows++;
        }
        if (!parse_signed_number(p, &v))
            goto fail;
        if (!VEC_PUSH(nums, v))
            goto oom;
        if (nums.n > WD_MAX_ELEMENTS) {
            error_at(p, first->loc, "more than %d constants in one list", WD_MAX_ELEMENTS);
            goto fail;
        }
    }
    eq->kind = EQ_NUMBERS;
    eq->nums = arena_copy(p, nums.v, nums.n, sizeof(double));
    eq->nnums = nums.n;
    eq->nrows = rows;
    VEC_FREE(nums);
    return true;
oom:
    p->lx.oom = true;
fail:
    VEC_FREE(nums);
    return false;
}

/* TABBED ARRAY( numbers separated by blanks, rows by line breaks ) */
static bool parse_tabbed(parser *p, mdl_eq *eq)
{
    next(p); /* name */
    if (!expect_op(p, '(', "'(' after TABBED ARRAY"))
        return false;
    VEC(double) nums = {0};
    size_t rows = 0;
    bool first = true;
    while (!is_op(p, ')')) {
        bool nl = peek(p)->newline_before;
        double v;
        if (!parse_signed_number(p, &v))
            goto fail;
        if (first || nl)
            rows++;
        first = false;
        if (!VEC_PUSH(nums, v)) {
            p->lx.oom = true;
            goto fail;
        }
        if (nums.n > WD_MAX_ELEMENTS) {
            error_at(p, eq->loc, "more than %d constants in one list", WD_MAX_ELEMENTS);
            goto fail;
        }
    }
    next(p);
    eq->kind = EQ_NUMBERS;
    eq->nums = arena_copy(p, nums.v, nums.n, sizeof(double));
    eq->nnums = nums.n;
    eq->nrows = rows;
    VEC_FREE(nums);
    return true;
fail:
    VEC_FREE(nums);
    return false;
}

/* Expands a numeric range (a1-a9) into its elements. */
static bool expand_range(parser *p, const token *lo, const token *hi, sub_vec *out)
{
    /* split "prefix digits" */
    const char *l = lo->kind == T_NUM ? "" : lo->raw, *h = hi->kind == T_NUM ? "" : hi->raw;
    size_t ll = strlen(l), hl = strlen(h);
    size_t lp = ll, hp = hl;
    while (lp > 0 && l[lp - 1] >= '0' && l[lp - 1] <= '9')
        lp--;
    while (hp > 0 && h[hp - 1] >= '0' && h[hp - 1] <= '9')
        hp--;
    long a, b;
    if (lo->kind == T_NUM && hi->kind == T_NUM) {
        a = (long)lo->num, b = (long)hi->num;
    } else {
        if (lp == ll || hp == hl || lp != hp || strncmp(l, h, lp) != 0) {
            error_at(p, lo->loc, "a numeric range needs two names with the same prefix ending in numbers, like (a1-a9)");
            return false;
        }
        a = strtol(l + lp, NULL, 10), b = strtol(h + hp, NULL, 10);
    }
    if (b < a || b - a >= WD_MAX_ELEMENTS) {
        error_at(p, lo->loc, "numeric range from %ld to %ld is empty or larger than %d elements", a, b, WD_MAX_ELEMENTS);
        return false;
    }
    for (long k = a; k <= b; k++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s%ld", (int)lp, l, k);
        char *c = wd_canon_name(buf, strlen(buf));
        ast_sub s = {c ? wd_arena_strdup(p->f->arena, c) : NULL, wd_arena_strdup(p->f->arena, buf), false, lo->loc, -1, -1};
        wd_xfree(c);
        if (!s.name || !s.raw || !VEC_PUSH(*out, s)) {
            p->lx.oom = true;
            return false;
        }
    }
    return true;
}

/* Elements of a dimension definition after ':' (also of a mapping list). */
static bool parse_elem_list(parser *p, sub_vec *elems)
{
    for (;;) {
        token *t = peek(p);
        if (t->kind == T_OP && t->op == '(') {
            next(p);
            token lo = *peek(p);
            if (lo.kind != T_NAME && lo.kind != T_NUM) {
                expected(p, "the first element of a numeric range (a1-a9)");
                return false;
            }
            next(p);
            if (!expect_op(p, '-', "'-' in a numeric range (a1-a9)"))
                return false;
            token hi = *peek(p);
            if (hi.kind != T_NAME && hi.kind != T_NUM) {
                expected(p, "the last element of a numeric range (a1-a9)");
                return false;
            }
            next(p);
            if (!expect_op(p, ')', "')' closing a numeric range"))
                return false;
            if (!expand_range(p, &lo, &hi, elems))
                return false;
        } else if (t->kind == T_NAME) {
            ast_sub s = {t->name, t->raw, false, t->loc, -1, -1};
            next(p);
            if (!VEC_PUSH(*elems, s)) {
                p->lx.oom = true;
                return false;
            }
        } else {
            expected(p, "a subscript element name");
            return false;
        }
        if (elems->n > WD_MAX_ELEMENTS) {
            error_at(p, t->loc, "more than %d elements in one subscript range", WD_MAX_ELEMENTS);
            return false;
        }
        if (!is_op(p, ','))
            return true;
        next(p);
    }
}

static bool parse_dimdef(parser *p, mdl_eq *eq)
{
    next(p); /* ':' */
    eq->kind = EQ_DIMDEF;
    sub_vec elems = {0};
    VEC(dim_map) maps = {0};
    token *t = peek(p);
    if (t->kind == T_NAME && (strcmp(t->name, "get direct subscript") == 0 ||
                              strcmp(t->name, "get xls subscript") == 0)) {
        eq->dimcall = parse_primary(p);
        if (!eq->dimcall)
            goto fail;
    } else if (!parse_elem_list(p, &elems)) {
        goto fail;
    }
    while (is_op(p, OPC_MAP)) {
        next(p);
        for (;;) {
            dim_map m = {0};
            m.loc = peek(p)->loc;
            if (is_op(p, '(')) {
                next(p);
                token *n = peek(p);
                if (n->kind != T_NAME) {
                    expected(p, "a subscript range name in the mapping");
                    goto fail;
                }
                m.target = n->name;
                next(p);
                if (!expect_op(p, ':', "':' after the range name in the mapping"))
                    goto fail;
                sub_vec me = {0};
                if (!parse_elem_list(p, &me)) {
                    VEC_FREE(me);
                    goto fail;
                }
                m.elems = arena_copy(p, me.v, me.n, sizeof(ast_sub));
                m.nelems = me.n;
                VEC_FREE(me);
                if (!expect_op(p, ')', "')' closing the mapping list"))
                    goto fail;
            } else if (peek(p)->kind == T_NAME) {
                m.target = peek(p)->name;
                next(p);
            } else {
                expected(p, "a subscript range name after '->'");
                goto fail;
            }
            if (!VEC_PUSH(maps, m)) {
                p->lx.oom = true;
                goto fail;
            }
            if (!is_op(p, ','))
                break;
            next(p);
        }
    }
    eq->elems = arena_copy(p, elems.v, elems.n, sizeof(ast_sub));
    eq->nelems = elems.n;
    eq->maps = arena_copy(p, maps.v, maps.n, sizeof(dim_map));
    eq->nmaps = maps.n;
    VEC_FREE(elems);
    VEC_FREE(maps);
    return true;
fail:
    VEC_FREE(elems);
    VEC_FREE(maps);
    return false;
}

/* Splits "Degrees Fahrenheit [-459.67,?]" into units and range. */
static void parse_units(parser *p, mdl_eq *eq, const char *text)
{
    eq->range_min = eq->range_max = eq->range_step = NAN;
    const char *br = strrchr(text, '[');
    size_t ulen = strlen(text);
    if (br && strchr(br, ']')) {
        const char *q = br + 1;
        double vals[3] = {NAN, NAN, NAN};
        int k = 0;
        bool ok = true;
        while (k < 3) {
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == '?') {
                q++;
            } else {
                char *e;
                vals[k] = strtod(q, &e);
                if (e == q) {
                    ok = false;
                    break;
                }
                q = e;
            }
            while (*q == ' ' || *q == '\t')
                q++;
            k++;
            if (*q == ',') {
                q++;
                continue;
            }
            break;
        }
        if (ok && *q == ']') {
            eq->has_range = true;
            eq->range_min = vals[0];
            eq->range_max = vals[1];
            eq->range_step = vals[2];
            ulen = (size_t)(br - text);
        }
    }
    while (ulen > 0 && (text[ulen - 1] == ' ' || text[ulen - 1] == '\t'))
        ulen--;
    eq->units = wd_arena_strndup(p->f->arena, text, ulen);
}

/* After the right-hand side: [~ units [~ doc]] | */
static bool parse_tail(parser *p, mdl_eq *eq)
{
    if (is_op(p, '|')) {
        next(p);
        return true;
    }
    if (!is_op(p, '~')) {
        expected(p, "'~' (units) or '|' ending the equation");
        return false;
    }
    next(p);
    const char *units = mdl_lex_raw(&p->lx, "~|", NULL);
    parse_units(p, eq, units);
    if (mdl_lex_peek_char(&p->lx) == '~') {
        mdl_lex_skip_char(&p->lx);
        eq->doc = mdl_lex_raw(&p->lx, "~|", NULL);
        /* A third section holds flags such as :SUPPLEMENTARY; anything else
         * after a '~' means a '|' is missing, and the next equation would
         * silently become documentation. */
        if (mdl_lex_peek_char(&p->lx) == '~') {
            mdl_lex_skip_char(&p->lx);
            wd_loc floc;
            const char *flags = mdl_lex_raw(&p->lx, "~|", &floc);
            if ((flags[0] != ':' && flags[0] != 0) || mdl_lex_peek_char(&p->lx) == '~') {
                error_at(p, floc, "expected '|' ending the equation of '%s' (is a '|' missing after its documentation?)",
                         eq->raw);
                return false;
            }
        }
    }
    if (mdl_lex_peek_char(&p->lx) != '|') {
        wd_loc loc = {p->lx.path, p->lx.line, p->lx.col};
        error_at(p, loc, "expected '|' ending the equation's documentation, found %s",
                 mdl_lex_peek_char(&p->lx) < 0 ? "end of file" : "another character");
        return false;
    }
    mdl_lex_skip_char(&p->lx);
    return true;
}

/* Skips to just after the next '|' (error recovery). */
static void sync(parser *p)
{
    for (;;) {
        token *t = peek(p);
        if (t->kind == T_EOF)
            return;
        if (t->kind == T_OP && t->op == '|') {
            next(p);
            return;
        }
        if (t->kind == T_OP && t->op == '~') {
            next(p);
            mdl_lex_raw(&p->lx, "~|", NULL);
            if (mdl_lex_peek_char(&p->lx) == '~' || mdl_lex_peek_char(&p->lx) == 0)
                mdl_lex_skip_char(&p->lx);
            continue;
        }
        next(p);
    }
}

static bool parse_rhs(parser *p, mdl_eq *eq)
{
    token *t = peek(p);
    if (t->kind == T_NAME && strcmp(t->name, "tabbed array") == 0)
        return parse_tabbed(p, eq);
    if (t->kind == T_OP && (t->op == '~' || t->op == '|')) {
        error_at(p, t->loc, "expected an expression after '=' in the equation of '%s'", eq->raw);
        return false;
    }
    ast *e = parse_expr(p);
    if (!e)
        return false;
    if (is_op(p, ',') || is_op(p, ';'))
        return parse_number_list(p, eq, e);
    eq->expr = e;
    return true;
}

static bool parse_equation(parser *p)
{
    mdl_eq eq = {0};
    token *t = peek(p);
    eq.loc = t->loc;
    eq.macro = p->macro;
    eq.group = p->group;
    eq.range_min = eq.range_max = eq.range_step = NAN;
    if (t->kind != T_NAME) {
        expected(p, "a variable name starting an equation");
        return false;
    }
    eq.name = t->name;
    eq.raw = t->raw;
    next(p);
    if (is_op(p, ':')) {
        if (!parse_dimdef(p, &eq))
            return false;
    } else if (is_op(p, OPC_EQUIV)) {
        next(p);
        eq.kind = EQ_EQUIV;
        token *o = peek(p);
        if (o->kind != T_NAME) {
            expected(p, "a subscript range name after '<->'");
            return false;
        }
        ast_sub s = {o->name, o->raw, false, o->loc, -1, -1};
        eq.elems = arena_copy(p, &s, 1, sizeof s);
        eq.nelems = 1;
        next(p);
    } else {
        if (is_op(p, '[') && !parse_subs(p, &eq.subs, &eq.nsubs))
            return false;
        if (is_kw(p, KW_EXCEPT)) {
            next(p);
            VEC(ast_sub *) lists = {0};
            VEC(size_t) counts = {0};
            for (;;) {
                if (!is_op(p, '[')) {
                    expected(p, "'[' starting an :EXCEPT: subscript list");
                    VEC_FREE(lists);
                    VEC_FREE(counts);
                    return false;
                }
                ast_sub *l;
                size_t n;
                if (!parse_subs(p, &l, &n) || !VEC_PUSH(lists, l) || !VEC_PUSH(counts, n)) {
                    VEC_FREE(lists);
                    VEC_FREE(counts);
                    return false;
                }
                if (!is_op(p, ','))
                    break;
                next(p);
            }
            eq.except = arena_copy(p, lists.v, lists.n, sizeof(ast_sub *));
            eq.except_n = arena_copy(p, counts.v, counts.n, sizeof(size_t));
            eq.nexcept = lists.n;
            VEC_FREE(lists);
            VEC_FREE(counts);
        }
        if (is_kw(p, KW_THE_CONDITION) || is_kw(p, KW_TEST_INPUT)) {
            /* Reality checks do not change a simulation; sema warns that they
             * are not evaluated. Their body is skipped token by token. */
            next(p);
            eq.kind = EQ_REALITY;
            while (peek(p)->kind != T_EOF && !is_op(p, '~') && !is_op(p, '|'))
                next(p);
            return parse_tail(p, &eq) && !p->lx.oom && (VEC_PUSH(p->f->eqs, eq) || (p->lx.oom = true, false));
        }
        if (peek(p)->kind == T_KW) {
            switch (peek(p)->kw) {
            case KW_INTERPOLATE: eq.interp = INTERP_INTERPOLATE; next(p); break;
            case KW_RAW: eq.interp = INTERP_RAW; next(p); break;
            case KW_HOLD_BACKWARD: eq.interp = INTERP_HOLD_BACKWARD; next(p); break;
            case KW_LOOK_FORWARD: eq.interp = INTERP_LOOK_FORWARD; next(p); break;
            default: break;
            }
        }
        t = peek(p);
        if (t->kind == T_OP && t->op == '=') {
            next(p);
            eq.kind = EQ_ASSIGN;
            if (!parse_rhs(p, &eq))
                return false;
        } else if (t->kind == T_OP && t->op == OPC_DATA) {
            next(p);
            eq.kind = EQ_DATA;
            if (!parse_rhs(p, &eq))
                return false;
        } else if (t->kind == T_OP && t->op == OPC_EQEQ) {
            next(p);
            eq.kind = EQ_FIXED;
            if (!parse_rhs(p, &eq))
                return false; /* a number list stays EQ_NUMBERS: constant anyway */
        } else if (t->kind == T_OP && t->op == '(') {
            next(p);
            eq.kind = EQ_LOOKUP;
            if (is_op(p, '[') || is_op(p, '(') || peek(p)->kind == T_NUM || is_op(p, '-')) {
                if (!(eq.table = parse_table_body(p)))
                    return false;
            } else {
                eq.expr = parse_expr(p);
                if (!eq.expr || !expect_op(p, ')', "')' closing the lookup definition"))
                    return false;
            }
        } else if (t->kind == T_OP && (t->op == '~' || t->op == '|')) {
            eq.kind = EQ_EMPTY;
        } else {
            expected(p, "'=', ':=', '(' or ':' after the variable name");
            return false;
        }
    }
    if (!parse_tail(p, &eq))
        return false;
    if (p->lx.oom)
        return false;
    if (!VEC_PUSH(p->f->eqs, eq)) {
        p->lx.oom = true;
        return false;
    }
    return true;
}

/* :MACRO: NAME(param, ... [: output, ...]) */
static void parse_macro_header(parser *p)
{
    wd_loc loc = peek(p)->loc;
    next(p);
    if (p->macro >= 0) {
        error_at(p, loc, ":MACRO: inside another macro (missing :END OF MACRO:?)");
        return;
    }
    token *t = peek(p);
    if (t->kind != T_NAME) {
        expected(p, "the macro's name after :MACRO:");
        return;
    }
    mdl_macro m = {0};
    m.name = t->name;
    m.raw = t->raw;
    m.loc = t->loc;
    next(p);
    if (!expect_op(p, '(', "'(' after the macro's name"))
        return;
    VEC(const char *) params = {0};
    VEC(const char *) outs = {0};
    bool in_outputs = false;
    while (!is_op(p, ')')) {
        token *a = peek(p);
        if (a->kind != T_NAME) {
            expected(p, "a macro parameter name");
            goto fail;
        }
        if (!(in_outputs ? VEC_PUSH(outs, a->name) : VEC_PUSH(params, a->name))) {
            p->lx.oom = true;
            goto fail;
        }
        next(p);
        if (is_op(p, ':')) {
            in_outputs = true;
            next(p);
        } else if (is_op(p, ',')) {
            next(p);
        } else if (!is_op(p, ')')) {
            expected(p, "',' or ')' in the macro's parameter list");
            goto fail;
        }
    }
    next(p);
    m.params = arena_copy(p, params.v, params.n, sizeof(char *));
    m.nparams = params.n;
    m.outputs = arena_copy(p, outs.v, outs.n, sizeof(char *));
    m.noutputs = outs.n;
    m.first_eq = p->f->eqs.n;
    if (!VEC_PUSH(p->f->macros, m)) {
        p->lx.oom = true;
        goto fail;
    }
    p->macro = (int)p->f->macros.n - 1;
fail:
    VEC_FREE(params);
    VEC_FREE(outs);
}

static void parse_group(parser *p)
{
    /* "****\n .Name\n ****~ doc |": everything up to '~' or '|' is the
     * header; its name is the text between the star lines. */
    const char *hdr = mdl_lex_raw(&p->lx, "~|", NULL);
    const char *s = hdr;
    while (*s == '*' || *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strcspn(s, "*\r\n");
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (*s == '.')
        s++, n = n ? n - 1 : 0;
    p->group = wd_arena_strndup(p->f->arena, s, n);
    if (mdl_lex_peek_char(&p->lx) == '~') {
        mdl_lex_skip_char(&p->lx);
        mdl_lex_raw(&p->lx, "|", NULL);
    }
    if (mdl_lex_peek_char(&p->lx) == '|')
        mdl_lex_skip_char(&p->lx);
}

mdl_file *mdl_parse(char *text, size_t len, const char *path, wd_diags *diags)
{
    mdl_file *f = wd_xcalloc(1, sizeof *f);
    if (!f) {
        wd_xfree(text);
        return NULL;
    }
    f->text = text;
    f->len = len;
    f->arena = wd_arena_new();
    if (!f->arena) {
        mdl_file_free(f);
        return NULL;
    }
    f->path = wd_arena_strdup(f->arena, path);
    parser p = {0};
    p.f = f;
    p.diags = diags;
    p.macro = -1;
    mdl_lex_init(&p.lx, text, len, f->path, f->arena, diags);
    for (;;) {
        token *t = peek(&p);
        p.failed = false;
        p.depth = 0;
        if (t->kind == T_EOF || p.lx.oom)
            break;
        if (f->eqs.n >= WD_MAX_EQUATIONS) {
            error_at(&p, t->loc, "more than %d equations", WD_MAX_EQUATIONS);
            break;
        }
        if (t->kind == T_KW && t->kw == KW_MACRO) {
            parse_macro_header(&p);
            if (p.failed)
                sync(&p);
            continue;
        }
        if (t->kind == T_KW && t->kw == KW_END_OF_MACRO) {
            if (p.macro < 0) {
                error_at(&p, t->loc, ":END OF MACRO: without :MACRO:");
            } else {
                mdl_macro *m = &f->macros.v[p.macro];
                m->neqs = f->eqs.n - m->first_eq;
                p.macro = -1;
            }
            next(&p);
            continue;
        }
        if (t->kind == T_OP && t->op == '*') {
            next(&p);
            parse_group(&p);
            continue;
        }
        if (t->kind == T_OP && t->op == '|') {
            next(&p); /* an empty equation */
            continue;
        }
        if (!parse_equation(&p)) {
            if (!p.failed && !p.lx.oom)
                expected(&p, "an equation");
            sync(&p);
        }
    }
    if (p.macro >= 0) {
        mdl_macro *m = &f->macros.v[p.macro];
        wd_diag_add(diags, WD_ERROR, m->loc, mdl_lex_line(&p.lx, m->loc.line),
                    "macro '%s' has no :END OF MACRO:", m->raw);
        m->neqs = f->eqs.n - m->first_eq;
    }
    f->method_code = p.lx.method_code;
    if (p.lx.oom) {
        mdl_file_free(f);
        return NULL;
    }
    return f;
}

void mdl_file_free(mdl_file *f)
{
    if (!f)
        return;
    VEC_FREE(f->eqs);
    VEC_FREE(f->macros);
    wd_arena_free(f->arena);
    wd_xfree(f->text);
    wd_xfree(f);
}
