/* certdeck core — the filter language: tokenizer, parser, SQL compiler.
 *
 *   expr    := orexpr
 *   orexpr  := andexpr ("or" andexpr)*
 *   andexpr := unary (["and"] unary)*         juxtaposition means and
 *   unary   := ("not" | "!") unary | "(" expr ")" | term
 *   term    := FIELD OP VALUE | "revoked" | WORD | "quoted text"
 *   OP      := ":" contains/is   "=" exactly   "!=" is not   "~" glob
 *              "<" "<=" ">" ">="  for dates and numbers
 *
 * Dates are "2026-01-01" or a distance from now: "30d", "2w", "6m", "1y",
 * "-7d".  Every error names the 1-based column where it went wrong. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "filter_int.h"


static const struct { const char *name; int field; } fields[] = {
    { "cn", F_CN }, { "name", F_CN }, { "subject", F_SUBJECT }, { "description", F_DESC },
    { "desc", F_DESC }, { "host", F_HOST }, { "serial", F_SERIAL }, { "fingerprint", F_FP },
    { "fp", F_FP }, { "issuer", F_ISSUER }, { "ca", F_ISSUER }, { "key", F_KEY },
    { "product", F_PRODUCT }, { "tag", F_TAG }, { "group", F_GROUP }, { "status", F_STATUS },
    { "expires", F_EXPIRES }, { "valid_to", F_EXPIRES }, { "issued", F_ISSUED },
    { "valid_from", F_ISSUED }, { "id", F_ID }, { "user", F_USER }, { "action", F_ACTION },
    { "result", F_RESULT }, { "object", F_OBJECT }, { "section", F_SECTION }, { "time", F_TIME },
    { "replaced", F_REPLACED }, { "inuse", F_INUSE },
};

/* ---- tokens ------------------------------------------------------------ */

enum tok { T_END, T_LP, T_RP, T_NOT, T_WORD, T_STR, T_OP };
struct lex {
    const char *s;
    size_t i;
    int t;           /* current token */
    size_t pos;      /* its 1-based column */
    char *text;      /* T_WORD/T_STR */
    int op;          /* T_OP */
    struct cd_err *err;
    int rc;
    int depth;       /* "(" and "not" open around the current token */
    size_t terms;
};

static int lex_fail(struct lex *x, size_t pos, const char *msg, const char *what)
{
    if (!x->rc) {
        x->rc = cdi_fail(x->err, CD_E_FILTER, "column %zu: %s%s%.80s%s", pos, msg,
                         what ? " \"" : "", what ? what : "", what ? "\"" : "");
        if (x->err) x->err->pos = pos;
    }
    return x->rc;
}

static int is_op_char(char c) { return c == ':' || c == '~' || c == '<' || c == '>' || c == '='; }
static int is_word_end(char c)
{
    return !c || isspace((unsigned char)c) || c == '(' || c == ')' || c == '"' || is_op_char(c) ||
           c == '!';
}

static char *read_quoted(struct lex *x)
{
    size_t start = x->i;
    struct cdi_buf b = { 0 };
    x->i++;                                         /* opening quote */
    for (;;) {
        char c = x->s[x->i];
        if (!c) { cdi_buf_free(&b); lex_fail(x, start + 1, "unterminated quote", NULL); return NULL; }
        x->i++;
        if (c == '"') break;
        if (c == '\\' && (x->s[x->i] == '"' || x->s[x->i] == '\\')) c = x->s[x->i++];
        cdi_buf_add(&b, &c, 1);
    }
    if (b.oom) { cdi_buf_free(&b); lex_fail(x, start + 1, "out of memory", NULL); return NULL; }
    if (!b.p) return strdup("");
    return (char *)b.p;
}

/* after_op: the value after an operator runs to white space or ')', so
 * "fp:ab:cd" and "issued>2026-01-01" read as one value. */
static void next(struct lex *x, int after_op)
{
    free(x->text);
    x->text = NULL;
    if (x->rc) { x->t = T_END; return; }
    while (isspace((unsigned char)x->s[x->i])) x->i++;
    x->pos = x->i + 1;
    char c = x->s[x->i];
    if (!c) { x->t = T_END; return; }
    if (c == '"') {
        x->text = read_quoted(x);
        x->t = x->text ? T_STR : T_END;
        return;
    }
    if (after_op) {
        size_t st = x->i;
        while (x->s[x->i] && !isspace((unsigned char)x->s[x->i]) && x->s[x->i] != ')') x->i++;
        x->text = strndup(x->s + st, x->i - st);
        x->t = T_WORD;
        return;
    }
    if (c == '(') { x->i++; x->t = T_LP; return; }
    if (c == ')') { x->i++; x->t = T_RP; return; }
    if (c == '!' && x->s[x->i + 1] == '=') { x->i += 2; x->t = T_OP; x->op = OP_NE; return; }
    if (c == '!') { x->i++; x->t = T_NOT; return; }
    if (is_op_char(c)) {
        x->t = T_OP;
        char d = x->s[x->i + 1];
        if (c == '<' && d == '=') { x->op = OP_LE; x->i += 2; }
        else if (c == '>' && d == '=') { x->op = OP_GE; x->i += 2; }
        else {
            x->op = c == ':' ? OP_HAS : c == '~' ? OP_GLOB : c == '<' ? OP_LT : c == '>' ? OP_GT : OP_EQ;
            x->i++;
        }
        return;
    }
    size_t st = x->i;
    while (!is_word_end(x->s[x->i])) x->i++;
    x->text = strndup(x->s + st, x->i - st);
    x->t = T_WORD;
}

/* ---- parser ------------------------------------------------------------ */

static void node_free(struct node *n)
{
    if (!n) return;
    node_free(n->l);
    node_free(n->r);
    free(n->value);
    free(n);
}

static struct node *mk(int kind, struct node *l, struct node *r)
{
    struct node *n = calloc(1, sizeof *n);
    if (!n) { node_free(l); node_free(r); return NULL; }
    n->kind = kind; n->l = l; n->r = r;
    if (l && l->height >= n->height) n->height = l->height + 1;
    if (r && r->height >= n->height) n->height = r->height + 1;
    return n;
}

static struct node *parse_or(struct lex *x);

static int is_kw(const struct lex *x, const char *kw)
{
    return x->t == T_WORD && !strcasecmp(x->text, kw);
}

static int field_of(const char *name)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!strcasecmp(fields[i].name, name)) return fields[i].field;
    return -1;
}

static struct node *parse_term(struct lex *x)
{
    size_t pos = x->pos;
    if (++x->terms > CDI_FILTER_MAX_TERMS) {
        lex_fail(x, pos, "too many terms (at most " CDI_STR(CDI_FILTER_MAX_TERMS) ")", NULL);
        return NULL;
    }
    if (x->t == T_STR) {
        struct node *n = mk(N_TERM, NULL, NULL);
        if (!n) return NULL;
        n->field = F_TEXT; n->op = OP_HAS; n->value = x->text; n->pos = pos;
        x->text = NULL;
        next(x, 0);
        return n;
    }
    if (x->t != T_WORD) {
        lex_fail(x, pos, x->t == T_END ? "the expression ends too early" :
                         x->t == T_RP ? "unexpected \")\"" : "expected a word or a field", NULL);
        return NULL;
    }
    char *word = x->text;
    x->text = NULL;
    next(x, 0);
    struct node *n = mk(N_TERM, NULL, NULL);
    if (!n) { free(word); return NULL; }
    n->pos = pos;
    if (x->t == T_OP) {
        int f = field_of(word);
        if (f < 0) {
            lex_fail(x, pos, "unknown field", word);
            free(word); free(n);
            return NULL;
        }
        free(word);
        n->field = f;
        n->op = x->op;
        size_t vpos = x->i + 1;
        next(x, 1);
        if ((x->t != T_WORD && x->t != T_STR) || (x->t == T_WORD && !*x->text)) {
            lex_fail(x, vpos, "a value is missing after the operator", NULL);
            node_free(n);
            return NULL;
        }
        n->value = x->text;
        x->text = NULL;
        next(x, 0);
        return n;
    }
    if (!strcasecmp(word, "revoked")) {
        free(word);
        n->field = F_REVOKED;
        return n;
    }
    n->field = F_TEXT;
    n->op = OP_HAS;
    n->value = word;
    return n;
}

static struct node *parse_unary(struct lex *x)
{
    if (x->t == T_NOT || x->t == T_LP || is_kw(x, "not")) {
        /* recursion per level: bounded, so 100,000 "(" is an error, not a
         * stack overflow */
        if (x->depth >= CDI_FILTER_MAX_DEPTH) {
            lex_fail(x, x->pos, "nested too deeply (at most " CDI_STR(CDI_FILTER_MAX_DEPTH)
                     " levels of \"(\" and \"not\")", NULL);
            return NULL;
        }
    }
    if (x->t == T_NOT || is_kw(x, "not")) {
        next(x, 0);
        x->depth++;
        struct node *c = parse_unary(x);
        x->depth--;
        return c ? mk(N_NOT, c, NULL) : NULL;
    }
    if (x->t == T_LP) {
        size_t pos = x->pos;
        next(x, 0);
        x->depth++;
        struct node *e = parse_or(x);
        x->depth--;
        if (!e) return NULL;
        if (x->t != T_RP) {
            lex_fail(x, x->t == T_END ? pos : x->pos, x->t == T_END ? "this \"(\" is never closed"
                                                                    : "expected \")\"", NULL);
            node_free(e);
            return NULL;
        }
        next(x, 0);
        return e;
    }
    if (is_kw(x, "and") || is_kw(x, "or")) {
        lex_fail(x, x->pos, "expected a term before", x->text);
        return NULL;
    }
    return parse_term(x);
}

/* The operands of one and/or chain, collected in order. */
struct chain { struct node **v; size_t n, cap; };

static int chain_add(struct lex *x, struct chain *c, struct node *n)
{
    if (!n) return -1;
    struct node **slot = cdi_grow(&c->v, c->n, &c->cap, sizeof *c->v);
    if (!slot) { node_free(n); lex_fail(x, x->pos, "out of memory", NULL); return -1; }
    *slot = n;
    c->n++;
    return 0;
}

/* A chain becomes a balanced tree (and/or are associative), so a thousand
 * terms nest about ten deep in the tree and in the SQL made from it; a
 * left-deep tree nested one level per term, past what SQLite parses. */
static struct node *balance(int kind, struct node **v, size_t n)
{
    if (n == 1) return v[0];
    size_t mid = n / 2;
    struct node *l = balance(kind, v, mid);
    if (!l) {
        for (size_t i = mid; i < n; i++) node_free(v[i]);
        return NULL;
    }
    struct node *r = balance(kind, v + mid, n - mid);
    if (!r) { node_free(l); return NULL; }
    return mk(kind, l, r);
}

static struct node *chain_end(struct lex *x, int kind, struct chain *c, int ok)
{
    struct node *n = NULL;
    if (ok && c->n) {
        n = balance(kind, c->v, c->n);
        if (!n) lex_fail(x, x->pos, "out of memory", NULL);
    } else {
        for (size_t i = 0; i < c->n; i++) node_free(c->v[i]);
    }
    free(c->v);
    return n;
}

static struct node *parse_and(struct lex *x)
{
    struct chain c = { 0 };
    int ok = chain_add(x, &c, parse_unary(x)) == 0;
    while (ok && x->t != T_END && x->t != T_RP && !is_kw(x, "or")) {
        if (is_kw(x, "and")) next(x, 0);
        ok = chain_add(x, &c, parse_unary(x)) == 0;
    }
    return chain_end(x, N_AND, &c, ok);
}

static struct node *parse_or(struct lex *x)
{
    struct chain c = { 0 };
    int ok = chain_add(x, &c, parse_and(x)) == 0;
    while (ok && is_kw(x, "or")) {
        next(x, 0);
        ok = chain_add(x, &c, parse_and(x)) == 0;
    }
    return chain_end(x, N_OR, &c, ok);
}

static int mentions_revoked(const struct node *n)
{
    if (!n) return 0;
    if (n->kind == N_TERM)
        return n->field == F_REVOKED || (n->field == F_STATUS && n->value && !strcasecmp(n->value, "revoked"));
    return mentions_revoked(n->l) || mentions_revoked(n->r);
}

int cd_filter_parse(const char *expr, cd_filter **out, struct cd_err *err)
{
    *out = NULL;
    cd_filter *f = calloc(1, sizeof *f);
    if (!f) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    struct lex x = { .s = expr ? expr : "", .err = err };
    next(&x, 0);
    if (x.t != T_END) {
        f->root = parse_or(&x);
        if (f->root && x.t != T_END)
            lex_fail(&x, x.pos, x.t == T_RP ? "unexpected \")\"" : "unexpected text", x.text);
        if (f->root && f->root->height > CDI_FILTER_MAX_HEIGHT)
            lex_fail(&x, 1, "too complex: and, or and not nest more than " CDI_STR(CDI_FILTER_MAX_HEIGHT)
                     " levels deep", NULL);
        if (!f->root && !x.rc) x.rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    free(x.text);
    if (x.rc) { cd_filter_free(f); return x.rc; }
    f->revoked = mentions_revoked(f->root);
    *out = f;
    return CD_OK;
}

void cd_filter_free(cd_filter *f)
{
    if (!f) return;
    node_free(f->root);
    free(f);
}

int cd_filter_check(const char *expr, struct cd_err *err)
{
    cd_filter *f = NULL;
    int rc = cd_filter_parse(expr, &f, err);
    cd_filter_free(f);
    return rc;
}

int cdi_filter_wants_revoked(const cd_filter *f) { return f && f->revoked; }
