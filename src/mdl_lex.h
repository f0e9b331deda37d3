/* mdl_lex.h: tokens of the Vensim equation language.
 *
 * First stage of the pipeline (mdl_lex -> mdl_parse -> sema -> compile). The
 * lexer is pulled by the parser one token at a time because units and
 * documentation after `~` are free text that only the parser knows to expect
 * (mdl_lex_raw). Names may contain spaces ("Teacup Temperature"), so a run of
 * words separated by blanks is one T_NAME.
 */
#ifndef WD_MDL_LEX_H
#define WD_MDL_LEX_H

#include "ast.h"

typedef enum tok_kind {
    T_EOF,   /* end of text or the sketch marker \\\---/// */
    T_NUM,
    T_NAME,  /* unquoted words or "quoted name" */
    T_STR,   /* 'single quoted' */
    T_OP,    /* punctuation and operators, see tok.op */
    T_KW,    /* :AND: :OR: :NOT: :NA: :EXCEPT: :MACRO: ... */
    T_ERR    /* a character that starts no token; reported already */
} tok_kind;

/* Multi-character operators get codes above 255; single characters are
 * their own code. */
enum {
    OPC_LE = 256, OPC_GE, OPC_NE, OPC_DATA /* := */, OPC_EQEQ /* == */,
    OPC_MAP /* -> */, OPC_EQUIV /* <-> */
};

typedef enum kw_code {
    KW_AND, KW_OR, KW_NOT, KW_NA, KW_EXCEPT, KW_MACRO, KW_END_OF_MACRO,
    KW_INTERPOLATE, KW_RAW, KW_HOLD_BACKWARD, KW_LOOK_FORWARD, KW_IMPLIES,
    KW_TEST_INPUT, KW_THE_CONDITION, KW_IGNORE
} kw_code;

typedef struct token {
    tok_kind kind;
    wd_loc loc;
    const char *start; /* raw span in the source */
    size_t len;
    double num;        /* T_NUM */
    const char *name;  /* T_NAME canonical (arena); T_STR content */
    const char *raw;   /* T_NAME as written (arena) */
    int op;            /* T_OP */
    kw_code kw;        /* T_KW */
    bool newline_before; /* a line break separates it from the previous token */
} token;

typedef struct mdl_lexer {
    const char *text, *p, *end;
    const char *path;
    int line, col;
    wd_arena *arena;
    wd_diags *diags;
    int method_code; /* from the settings section, -1 if none */
    bool oom;
} mdl_lexer;

void mdl_lex_init(mdl_lexer *lx, const char *text, size_t len, const char *path,
                  wd_arena *arena, wd_diags *diags);
void mdl_lex_next(mdl_lexer *lx, token *t);
/* Free text up to (not including) the first character of `stops`; returns it
 * trimmed (arena). The stop character is left in place. */
const char *mdl_lex_raw(mdl_lexer *lx, const char *stops, wd_loc *loc);
/* Consumes one character (used after mdl_lex_raw stops). */
void mdl_lex_skip_char(mdl_lexer *lx);
int mdl_lex_peek_char(const mdl_lexer *lx); /* next raw character or -1 */
/* Text of the source line containing loc (for diagnostics). */
const char *mdl_lex_line(const mdl_lexer *lx, int line);

#endif
