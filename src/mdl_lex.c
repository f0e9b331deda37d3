/* mdl_lex.c: the Vensim tokenizer. See mdl_lex.h. */
#include "mdl_lex.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void mdl_lex_init(mdl_lexer *lx, const char *text, size_t len, const char *path,
                  wd_arena *arena, wd_diags *diags)
{
    memset(lx, 0, sizeof *lx);
    lx->text = lx->p = text;
    lx->end = text + len;
    lx->path = path;
    lx->line = lx->col = 1;
    lx->arena = arena;
    lx->diags = diags;
    lx->method_code = -1;
}

const char *mdl_lex_line(const mdl_lexer *lx, int line) { return wd_source_line(lx->text, line); }

static int peekc(const mdl_lexer *lx, size_t k)
{
    return lx->p + k < lx->end ? (unsigned char)lx->p[k] : -1;
}

int mdl_lex_peek_char(const mdl_lexer *lx) { return peekc(lx, 0); }

/* Advances one byte, keeping line and (UTF-8 character) column. CR, LF and
 * CRLF each end a line. */
static void adv(mdl_lexer *lx)
{
    if (lx->p >= lx->end)
        return;
    unsigned char c = (unsigned char)*lx->p++;
    if (c == '\n' || (c == '\r' && (lx->p >= lx->end || *lx->p != '\n'))) {
        lx->line++;
        lx->col = 1;
    } else if (c == '\r') {
        /* first half of CRLF: the LF ends the line */
    } else if ((c & 0xC0) != 0x80) {
        lx->col++;
    }
}

void mdl_lex_skip_char(mdl_lexer *lx) { adv(lx); }

static wd_loc here(const mdl_lexer *lx) { return (wd_loc){lx->path, lx->line, lx->col}; }

static void lex_error(mdl_lexer *lx, wd_loc loc, const char *msg)
{
    wd_diag_add(lx->diags, WD_ERROR, loc, mdl_lex_line(lx, loc.line), "%s", msg);
}

/* A backslash followed by blanks and a line break joins lines. Returns the
 * number of bytes of such a continuation at p+k, or 0. */
static size_t continuation_at(const mdl_lexer *lx, size_t k)
{
    if (peekc(lx, k) != '\\')
        return 0;
    size_t j = k + 1;
    while (peekc(lx, j) == ' ' || peekc(lx, j) == '\t')
        j++;
    if (peekc(lx, j) == '\r' && peekc(lx, j + 1) == '\n')
        return j + 2 - k;
    if (peekc(lx, j) == '\n' || peekc(lx, j) == '\r')
        return j + 1 - k;
    return 0;
}

/* The sketch marker is "\\\\\\---///"; some hand-written files have two
 * backslashes. */
static bool at_sketch_marker(const mdl_lexer *lx)
{
    const char *q = lx->p;
    size_t bs = 0;
    while (q + bs < lx->end && q[bs] == '\\')
        bs++;
    return bs >= 2 && lx->end - (q + bs) >= 6 && memcmp(q + bs, "---///", 6) == 0;
}

/* Reads the settings block after the sketch: line "15:a,b,c,m,..." holds the
 * integration method code m in its 4th field. */
static void read_settings(mdl_lexer *lx)
{
    const char *s = lx->p;
    size_t n = (size_t)(lx->end - s);
    const char *marker = NULL;
    for (size_t i = 0; i + 9 <= n; i++)
        if (memcmp(s + i, "///---\\\\\\", 9) == 0) {
            marker = s + i;
            break;
        }
    if (!marker)
        return;
    for (const char *q = marker; q < lx->end; q++) {
        if ((q == marker || q[-1] == '\n' || q[-1] == '\r') && lx->end - q > 3 &&
            q[0] == '1' && q[1] == '5' && q[2] == ':') {
            const char *f = q + 3;
            int field = 0;
            while (f < lx->end && field < 3) {
                if (*f == ',')
                    field++;
                else if (*f == '\n' || *f == '\r')
                    break;
                f++;
            }
            if (field == 3 && f < lx->end && isdigit((unsigned char)*f))
                lx->method_code = (int)strtol(f, NULL, 10);
            return;
        }
    }
}

static void skip_space(mdl_lexer *lx, bool *newline)
{
    for (;;) {
        int c = peekc(lx, 0);
        if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
            adv(lx);
        } else if (c == '\n' || c == '\r') {
            *newline = true;
            adv(lx);
        } else if (c == '\\' && continuation_at(lx, 0)) {
            size_t k = continuation_at(lx, 0);
            while (k--)
                adv(lx);
        } else if (c == '{') {
            wd_loc start = here(lx);
            while (lx->p < lx->end && *lx->p != '}')
                adv(lx);
            if (lx->p >= lx->end) {
                lex_error(lx, start, "unterminated comment: '{' without '}'");
                return;
            }
            adv(lx);
        } else if (c == 0xEF && peekc(lx, 1) == 0xBB && peekc(lx, 2) == 0xBF) {
            adv(lx), adv(lx), adv(lx); /* UTF-8 byte order mark */
        } else {
            return;
        }
    }
}

static bool name_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '$' || c >= 0x80;
}

static bool name_char(int c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '\'' || c == '&' || c == '%' ||
           c == '#' || c == '@';
}

/* Number: digits [. digits] [e[+-]digits], or . digits. */
static void lex_number(mdl_lexer *lx, token *t)
{
    const char *s = lx->p;
    char *endp;
    errno = 0;
    double v = strtod(s, &endp);
    /* strtod accepts hex, inf and nan; the language does not. */
    const char *q = s;
    while (q < lx->end && (isdigit((unsigned char)*q) || *q == '.'))
        q++;
    if (q < lx->end && (*q == 'e' || *q == 'E')) {
        const char *r = q + 1;
        if (r < lx->end && (*r == '+' || *r == '-'))
            r++;
        if (r < lx->end && isdigit((unsigned char)*r)) {
            while (r < lx->end && isdigit((unsigned char)*r))
                r++;
            q = r;
        }
    }
    if (endp > q)
        endp = (char *)q;
    if (endp == s) {
        endp = (char *)s + 1;
        v = NAN;
    }
    t->kind = T_NUM;
    t->num = v;
    if (!isfinite(v)) {
        t->kind = T_ERR;
        lex_error(lx, t->loc, "number out of range (not a finite double)");
    }
    while (lx->p < endp)
        adv(lx);
}

static const char *arena_canon(mdl_lexer *lx, const char *s, size_t n)
{
    char *c = wd_canon_name(s, n);
    if (!c) {
        lx->oom = true;
        return "";
    }
    const char *r = wd_arena_strdup(lx->arena, c);
    wd_xfree(c);
    if (!r) {
        lx->oom = true;
        return "";
    }
    return r;
}

/* Unquoted name: words separated by blanks or line continuations. */
static void lex_name(mdl_lexer *lx, token *t)
{
    wd_buf raw = {0};
    for (;;) {
        while (lx->p < lx->end && name_char((unsigned char)*lx->p)) {
            wd_buf_putc(&raw, *lx->p);
            adv(lx);
        }
        /* Look past blanks and continuations for another word. */
        size_t k = 0;
        for (;;) {
            int c = peekc(lx, k);
            if (c == ' ' || c == '\t')
                k++;
            else if (c == '\\' && continuation_at(lx, k))
                k += continuation_at(lx, k);
            else
                break;
        }
        int c = peekc(lx, k);
        if (k > 0 && (name_start(c) || (c >= '0' && c <= '9'))) {
            while (k--)
                adv(lx);
            wd_buf_putc(&raw, ' ');
            continue;
        }
        break;
    }
    t->kind = T_NAME;
    t->raw = wd_arena_strdup(lx->arena, wd_buf_str(&raw));
    t->name = arena_canon(lx, wd_buf_str(&raw), raw.n);
    if (raw.oom || !t->raw)
        lx->oom = true;
    wd_buf_free(&raw);
}

/* "quoted name": \" and \\ are escapes; the quotes belong to the raw name. */
static void lex_quoted(mdl_lexer *lx, token *t)
{
    const char *s = lx->p;
    adv(lx);
    while (lx->p < lx->end && *lx->p != '"') {
        if (*lx->p == '\\' && lx->p + 1 < lx->end && (lx->p[1] == '"' || lx->p[1] == '\\'))
            adv(lx);
        if (*lx->p == '\n' || *lx->p == '\r')
            break;
        adv(lx);
    }
    if (lx->p >= lx->end || *lx->p != '"') {
        t->kind = T_ERR;
        lex_error(lx, t->loc, "unterminated quoted name: '\"' without closing '\"' on the same line");
        return;
    }
    adv(lx);
    t->kind = T_NAME;
    t->raw = wd_arena_strndup(lx->arena, s, (size_t)(lx->p - s));
    t->name = arena_canon(lx, s + 1, (size_t)(lx->p - s) - 2);
    if (!t->raw)
        lx->oom = true;
}

static void lex_string(mdl_lexer *lx, token *t)
{
    adv(lx);
    const char *s = lx->p;
    while (lx->p < lx->end && *lx->p != '\'' && *lx->p != '\n' && *lx->p != '\r')
        adv(lx);
    if (lx->p >= lx->end || *lx->p != '\'') {
        t->kind = T_ERR;
        lex_error(lx, t->loc, "unterminated string: \"'\" without closing \"'\" on the same line");
        return;
    }
    t->kind = T_STR;
    t->name = wd_arena_strndup(lx->arena, s, (size_t)(lx->p - s));
    if (!t->name)
        lx->oom = true;
    adv(lx);
}

static const struct {
    const char *word;
    kw_code kw;
} keywords[] = {
    {"AND", KW_AND}, {"OR", KW_OR}, {"NOT", KW_NOT}, {"NA", KW_NA},
    {"EXCEPT", KW_EXCEPT}, {"MACRO", KW_MACRO}, {"END OF MACRO", KW_END_OF_MACRO},
    {"INTERPOLATE", KW_INTERPOLATE}, {"RAW", KW_RAW}, {"HOLD BACKWARD", KW_HOLD_BACKWARD},
    {"LOOK FORWARD", KW_LOOK_FORWARD}, {"IMPLIES", KW_IMPLIES}, {"TEST INPUT", KW_TEST_INPUT},
    {"THE CONDITION", KW_THE_CONDITION}, {"IGNORE", KW_IGNORE},
};

/* At ':': a keyword ":WORDS:" if WORDS is a known one, else ':=' or ':'. */
static void lex_colon(mdl_lexer *lx, token *t)
{
    size_t k = 1;
    char word[32];
    size_t wn = 0;
    while (k < 40) {
        int c = peekc(lx, k);
        if (!(isalpha(c) || c == ' ' || c == '_'))
            break;
        if (wn + 1 < sizeof word)
            word[wn++] = (char)(c == '_' ? ' ' : toupper(c));
        k++;
    }
    if (peekc(lx, k) == ':' && wn > 0) {
        word[wn] = 0;
        char *w = word;
        while (*w == ' ')
            w++;
        size_t wl = strlen(w);
        while (wl > 0 && w[wl - 1] == ' ')
            w[--wl] = 0;
        for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
            if (strcmp(w, keywords[i].word) == 0) {
                t->kind = T_KW;
                t->kw = keywords[i].kw;
                for (size_t j = 0; j <= k; j++)
                    adv(lx);
                return;
            }
    }
    t->kind = T_OP;
    if (peekc(lx, 1) == '=') {
        t->op = OPC_DATA;
        adv(lx);
    } else {
        t->op = ':';
    }
    adv(lx);
}

void mdl_lex_next(mdl_lexer *lx, token *t)
{
    memset(t, 0, sizeof *t);
    bool newline = false;
    skip_space(lx, &newline);
    t->newline_before = newline;
    t->loc = here(lx);
    t->start = lx->p;
    if (lx->p >= lx->end) {
        t->kind = T_EOF;
        return;
    }
    if (at_sketch_marker(lx)) {
        read_settings(lx);
        lx->p = lx->end;
        t->kind = T_EOF;
        return;
    }
    int c = peekc(lx, 0);
    if (isdigit(c) || (c == '.' && isdigit(peekc(lx, 1)))) {
        lex_number(lx, t);
    } else if (c == '"') {
        lex_quoted(lx, t);
    } else if (c == '\'') {
        lex_string(lx, t);
    } else if (name_start(c)) {
        lex_name(lx, t);
    } else if (c == ':') {
        lex_colon(lx, t);
    } else {
        t->kind = T_OP;
        t->op = c;
        int c1 = peekc(lx, 1);
        if (c == '<' && c1 == '-' && peekc(lx, 2) == '>') {
            t->op = OPC_EQUIV;
            adv(lx), adv(lx);
        } else if (c == '<' && c1 == '=') {
            t->op = OPC_LE;
            adv(lx);
        } else if (c == '<' && c1 == '>') {
            t->op = OPC_NE;
            adv(lx);
        } else if (c == '>' && c1 == '=') {
            t->op = OPC_GE;
            adv(lx);
        } else if (c == '=' && c1 == '=') {
            t->op = OPC_EQEQ;
            adv(lx);
        } else if (c == '-' && c1 == '>') {
            t->op = OPC_MAP;
            adv(lx);
        } else if (!strchr("+-*/^()[],;=<>!~|", c)) {
            t->kind = T_ERR;
            if (c < 0x20 || c == 0x7F)
                wd_diag_add(lx->diags, WD_ERROR, t->loc, mdl_lex_line(lx, t->loc.line),
                            "unexpected control character 0x%02X", (unsigned)c);
            else
                wd_diag_add(lx->diags, WD_ERROR, t->loc, mdl_lex_line(lx, t->loc.line),
                            "unexpected character '%c'", c);
        }
        adv(lx);
    }
    t->len = (size_t)(lx->p - t->start);
}

const char *mdl_lex_raw(mdl_lexer *lx, const char *stops, wd_loc *loc)
{
    bool nl = false;
    /* Leading blanks and line breaks are not part of the text. */
    while (lx->p < lx->end && strchr(" \t\r\n", *lx->p))
        adv(lx);
    (void)nl;
    if (loc)
        *loc = here(lx);
    wd_buf b = {0};
    while (lx->p < lx->end && !strchr(stops, *lx->p)) {
        if (at_sketch_marker(lx))
            break;
        size_t k = continuation_at(lx, 0);
        if (k) {
            while (k--)
                adv(lx);
            wd_buf_putc(&b, ' ');
            while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
                adv(lx);
            continue;
        }
        wd_buf_putc(&b, *lx->p);
        adv(lx);
    }
    size_t n = b.n;
    const char *s = wd_buf_str(&b);
    while (n > 0 && strchr(" \t\r\n", s[n - 1]))
        n--;
    const char *r = wd_arena_strndup(lx->arena, s, n);
    if (!r || b.oom)
        lx->oom = true;
    wd_buf_free(&b);
    return r ? r : "";
}
