/* The template engine's insides: tokens (cli-template-lex.c), the parse tree
 * (cli-template-parse.c), values and functions (cli-template-funcs.c) and
 * execution (cli-template-exec.c). */
#ifndef BERTH_CLI_TEMPLATE_IMPL_INTERNAL_H
#define BERTH_CLI_TEMPLATE_IMPL_INTERNAL_H

#include "cli-buf-internal.h"
#include "cli-template-internal.h"

enum tmpl_tok {
	TOK_TEXT,
	TOK_LEFT,  /* {{ */
	TOK_RIGHT, /* }} */
	TOK_FIELD, /* .Name (val: Name) */
	TOK_DOT,
	TOK_VAR,   /* $name (val: $name) */
	TOK_IDENT, /* function name or keyword */
	TOK_STRING,
	TOK_NUMBER,
	TOK_CHAR,
	TOK_PIPE,
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_DECLARE, /* := */
	TOK_ASSIGN,  /* = */
	TOK_COMMA,
	TOK_SPACE,
	TOK_EOF,
	TOK_MAX,
};

struct tmpl_token {
	enum tmpl_tok type;
	size_t pos; /* byte offset in the template */
	char *val;  /* text, unquoted string, identifier... */
	size_t len; /* of val (text and strings may hold NULs) */
};

/* Tokenize text; *ret is an array ending with TOK_EOF. Errors are Go's parse
 * errors ("template: :1: unclosed action"). */
int tmpl_lex(const char *name, const char *text, struct tmpl_token **ret, size_t *ret_n,
	     struct berth_error **err);
void tmpl_tokens_free(struct tmpl_token *t, size_t n);
/* "template: :LINE: " prefix for a parse error at pos. */
int tmpl_parse_error(const char *name, const char *text, size_t pos, struct berth_error **err,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

enum tmpl_node_type {
	NODE_LIST,
	NODE_TEXT,
	NODE_ACTION, /* pipe */
	NODE_IF,
	NODE_RANGE,
	NODE_WITH,
	NODE_BREAK,
	NODE_CONTINUE,
	NODE_PIPE, /* kids: commands; decl: variables */
	NODE_CMD,  /* kids: arguments */
	NODE_FIELD,
	NODE_VAR,
	NODE_DOT,
	NODE_NIL,
	NODE_BOOL,
	NODE_NUMBER,
	NODE_STRING,
	NODE_IDENT,
	NODE_CHAIN, /* (pipe).A.B: node and idents */
	NODE_TYPE_MAX,
};

struct tmpl_node {
	enum tmpl_node_type type;
	size_t pos;
	char *src;  /* source text, for error context */
	char *text; /* TEXT, STRING, IDENT */
	size_t text_len;
	char **idents; /* FIELD, VAR ($x then fields), CHAIN */
	size_t n_idents;
	struct tmpl_node *node; /* CHAIN operand */
	bool b;
	bool is_int;
	int64_t i;
	double f;
	struct tmpl_node **kids; /* LIST, PIPE, CMD */
	size_t n_kids;
	char **decl; /* PIPE: declared or assigned variables */
	size_t n_decl;
	bool assign;
	struct tmpl_node *pipe, *list, *else_list; /* IF, RANGE, WITH */
};

struct cli_template {
	size_t col_base; /* added to columns of the first line in errors */
	char *name;
	char *text;
	struct tmpl_node *root;
};

void tmpl_node_free(struct tmpl_node *n);

/* A value: valid or not ("<no value>"); o NULL is JSON null. nil_hint says
 * how a null prints: "<nil>", "[]" or "map[]" (Go's nil pointer, slice, map). */
struct tmpl_value {
	bool valid;
	json_object *o; /* owned reference */
	const char *nil_hint;
	bool context; /* the root context object: {{json .}} escapes HTML like its MarshalJSON */
};

void tmpl_value_clear(struct tmpl_value *v);
struct tmpl_value tmpl_value_take(json_object *o);
struct tmpl_value tmpl_value_ref(const struct tmpl_value *v);
bool tmpl_value_truth(const struct tmpl_value *v);
void tmpl_value_print(struct cli_buf *b, const struct tmpl_value *v);
/* The Go type text/template names in errors ("string", "[]interface {}"), or
 * nil_name for no value ("<nil>" or "interface {}", as the caller's error has it). */
const char *tmpl_value_go_type(const struct tmpl_value *v, const char *nil_name);
/* Fields docker's types omit when empty (omitempty): a missing one is its
 * zero value (*ret set, true) rather than an error. */
bool tmpl_optional_field(const char *name, struct tmpl_value *ret);
/* How a null reached through field name prints (Go's zero values). */
const char *tmpl_nil_hint(const char *field);

/* Go's fmt.Sprintf for the common verbs (%s %v %d %q %t %x %X %f %e %g %c %%). */
void tmpl_printf(struct cli_buf *b, const char *fmt, struct tmpl_value *a, size_t n);

/* Whether name is a function (in header mode or not). */
bool tmpl_func_exists(const char *name);
/* Call a function: 0 with *ret set, or negative with *err ("error calling
 * index: ..." and the like, without location). */
int tmpl_func_call(const char *name, bool header, struct tmpl_value *args, size_t nargs,
		   struct tmpl_value *ret, struct berth_error **err);

#endif
