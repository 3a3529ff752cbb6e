/* Template parser: tokens to a tree, with Go's grammar for lists, actions,
 * control structures, pipelines, commands and operands. */
#define LOG_CATEGORY "cli-template"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli-template-impl-internal.h"

struct parser {
	const char *name;
	const char *text;
	struct tmpl_token *t;
	size_t n, i;
	int depth;  /* open if/range/with */
	int parens; /* open parentheses */
	struct berth_error **err;
};

static int parse_pipeline(struct parser *p, bool allow_decl, struct tmpl_node **ret);

void tmpl_node_free(struct tmpl_node *n)
{
	if (!n)
		return;
	free(n->src);
	free(n->text);
	for (size_t i = 0; i < n->n_idents; i++)
		free(n->idents[i]);
	free(n->idents);
	tmpl_node_free(n->node);
	for (size_t i = 0; i < n->n_kids; i++)
		tmpl_node_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->n_decl; i++)
		free(n->decl[i]);
	free(n->decl);
	tmpl_node_free(n->pipe);
	tmpl_node_free(n->list);
	tmpl_node_free(n->else_list);
	free(n);
}
DEFINE_CLEANUP(struct tmpl_node, tmpl_node_free)
#define _cleanup_node_ _cleanup_(tmpl_node_freep)

struct cli_template *cli_template_free(struct cli_template *t)
{
	if (!t)
		return NULL;
	tmpl_node_free(t->root);
	free(t->name);
	free(t->text);
	free(t);
	return NULL;
}

static struct tmpl_node *node_new(enum tmpl_node_type type, size_t pos)
{
	struct tmpl_node *n = xzalloc(sizeof(*n));

	n->type = type;
	n->pos = pos;
	return n;
}

static void node_add(struct tmpl_node *n, struct tmpl_node *kid)
{
	n->kids = xrealloc(n->kids, (n->n_kids + 1) * sizeof(*n->kids));
	n->kids[n->n_kids++] = kid;
}

static void node_add_ident(struct tmpl_node *n, const char *s)
{
	n->idents = xrealloc(n->idents, (n->n_idents + 1) * sizeof(*n->idents));
	n->idents[n->n_idents++] = xstrdup(s);
}

/* The source text from start to the current token, without trailing blanks. */
static void node_set_src(struct parser *p, struct tmpl_node *n, size_t start)
{
	size_t end = p->t[p->i].pos;

	while (end > start && strchr(" \t\r\n", p->text[end - 1]))
		end--;
	free(n->src);
	n->src = xstrndup(p->text + start, end > start ? end - start : 0);
}

static struct tmpl_token *peek(struct parser *p)
{
	return &p->t[p->i];
}

static struct tmpl_token *next(struct parser *p)
{
	struct tmpl_token *t = &p->t[p->i];

	if (t->type != TOK_EOF)
		p->i++;
	return t;
}

static void skip_space(struct parser *p)
{
	while (peek(p)->type == TOK_SPACE)
		p->i++;
}

static int error_at(struct parser *p, struct tmpl_token *t, const char *fmt, const char *arg)
{
	return tmpl_parse_error(p->name, p->text, t->pos, p->err, fmt, arg);
}

static const char *tok_desc(struct tmpl_token *t)
{
	switch (t->type) {
	case TOK_RIGHT:
		return "\"}}\"";
	case TOK_RPAREN:
		return "\")\"";
	case TOK_PIPE:
		return "\"|\"";
	case TOK_EOF:
		return "EOF";
	case TOK_COMMA:
		return "\",\"";
	case TOK_DECLARE:
		return "\":=\"";
	case TOK_ASSIGN:
		return "\"=\"";
	case TOK_TEXT:
	case TOK_LEFT:
	case TOK_FIELD:
	case TOK_DOT:
	case TOK_VAR:
	case TOK_IDENT:
	case TOK_STRING:
	case TOK_NUMBER:
	case TOK_CHAR:
	case TOK_LPAREN:
	case TOK_SPACE:
	case TOK_MAX:
		break;
	}
	return t->val ? t->val : "token";
}

static int parse_number(struct parser *p, struct tmpl_token *t, struct tmpl_node *n)
{
	char *end = NULL;

	if (t->type == TOK_CHAR) {
		n->is_int = true;
		n->i = (unsigned char)t->val[0];
		return 0;
	}
	errno = 0;
	n->i = strtoll(t->val, &end, 0);
	if (errno == 0 && end && *end == '\0') {
		n->is_int = true;
		n->f = (double)n->i;
		return 0;
	}
	errno = 0;
	n->f = strtod(t->val, &end);
	if (errno != 0 || !end || *end != '\0' || !isfinite(n->f))
		return error_at(p, t, "bad number syntax: \"%s\"", t->val);
	return 0;
}

/* Fields that follow an operand without a space: .A.B */
static int parse_chain(struct parser *p, struct tmpl_node **node, size_t start)
{
	struct tmpl_node *n = *node;

	if (peek(p)->type != TOK_FIELD)
		return 0;
	if (n->type == NODE_FIELD || n->type == NODE_VAR) {
		while (peek(p)->type == TOK_FIELD)
			node_add_ident(n, next(p)->val);
	} else if (n->type == NODE_DOT || n->type == NODE_NIL || n->type == NODE_BOOL ||
		   n->type == NODE_NUMBER || n->type == NODE_STRING) {
		return error_at(p, peek(p), "unexpected . after term %s", "");
	} else {
		struct tmpl_node *c = node_new(NODE_CHAIN, n->pos);
		c->node = n;
		while (peek(p)->type == TOK_FIELD)
			node_add_ident(c, next(p)->val);
		*node = c;
	}
	node_set_src(p, *node, start);
	return 0;
}

static int parse_term(struct parser *p, struct tmpl_node **ret)
{
	struct tmpl_token *t = peek(p);
	_cleanup_node_ struct tmpl_node *n = NULL;
	int r;

	switch (t->type) {
	case TOK_IDENT:
		next(p);
		if (strcmp(t->val, "true") == 0 || strcmp(t->val, "false") == 0) {
			n = node_new(NODE_BOOL, t->pos);
			n->b = t->val[0] == 't';
		} else if (strcmp(t->val, "nil") == 0) {
			n = node_new(NODE_NIL, t->pos);
		} else {
			if (!tmpl_func_exists(t->val))
				return error_at(p, t, "function \"%s\" not defined", t->val);
			n = node_new(NODE_IDENT, t->pos);
			n->text = xstrdup(t->val);
		}
		break;
	case TOK_DOT:
		next(p);
		n = node_new(NODE_DOT, t->pos);
		break;
	case TOK_VAR:
		next(p);
		n = node_new(NODE_VAR, t->pos);
		node_add_ident(n, t->val);
		break;
	case TOK_FIELD:
		next(p);
		n = node_new(NODE_FIELD, t->pos);
		node_add_ident(n, t->val);
		break;
	case TOK_STRING:
		next(p);
		n = node_new(NODE_STRING, t->pos);
		n->text = xmalloc(t->len + 1);
		memcpy(n->text, t->val, t->len + 1);
		n->text_len = t->len;
		break;
	case TOK_NUMBER:
	case TOK_CHAR:
		next(p);
		n = node_new(NODE_NUMBER, t->pos);
		r = parse_number(p, t, n);
		if (r < 0)
			return r;
		break;
	case TOK_LPAREN:
		next(p);
		if (p->depth + p->parens >= CLI_TEMPLATE_MAX_DEPTH)
			return error_at(p, t, "template nested too deeply%s", "");
		p->parens++;
		r = parse_pipeline(p, false, &n);
		p->parens--;
		if (r < 0)
			return r;
		skip_space(p);
		if (peek(p)->type != TOK_RPAREN)
			return error_at(p, peek(p), "unclosed left paren%s", "");
		next(p);
		break;
	case TOK_TEXT:
	case TOK_LEFT:
	case TOK_RIGHT:
	case TOK_PIPE:
	case TOK_RPAREN:
	case TOK_DECLARE:
	case TOK_ASSIGN:
	case TOK_COMMA:
	case TOK_SPACE:
	case TOK_EOF:
	case TOK_MAX:
		*ret = NULL;
		return 0;
	}
	node_set_src(p, n, t->pos);
	r = parse_chain(p, &n, t->pos);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(n);
	return 0;
}

static int parse_command(struct parser *p, struct tmpl_node **ret)
{
	_cleanup_node_ struct tmpl_node *cmd = NULL;
	size_t start;
	int r;

	skip_space(p);
	start = peek(p)->pos;
	cmd = node_new(NODE_CMD, start);
	for (;;) {
		struct tmpl_node *arg = NULL;
		struct tmpl_token *t;

		skip_space(p);
		r = parse_term(p, &arg);
		if (r < 0)
			return r;
		if (arg) {
			node_add(cmd, arg);
			t = peek(p);
			if (t->type == TOK_SPACE || t->type == TOK_RIGHT || t->type == TOK_PIPE ||
			    t->type == TOK_RPAREN)
				continue;
			return error_at(p, t, "unexpected %s in operand", tok_desc(t));
		}
		t = peek(p);
		if (t->type == TOK_RIGHT || t->type == TOK_RPAREN || t->type == TOK_PIPE)
			break;
		return error_at(p, t, "unexpected %s in command", tok_desc(t));
	}
	if (cmd->n_kids == 0)
		return error_at(p, peek(p), "missing value for command%s", "");
	node_set_src(p, cmd, start);
	*ret = TAKE_PTR(cmd);
	return 0;
}

/* "$x :=", "$x, $y :=" or "$x =" at the start of a pipeline. */
static int parse_decl(struct parser *p, struct tmpl_node *pipe, bool allow_two)
{
	size_t save = p->i;
	char *names[2] = { NULL, NULL };
	int n = 0;

	skip_space(p);
	while (peek(p)->type == TOK_VAR && n < 2) {
		names[n++] = next(p)->val;
		skip_space(p);
		if (peek(p)->type == TOK_COMMA && allow_two && n == 1) {
			next(p);
			skip_space(p);
			continue;
		}
		break;
	}
	if (n > 0 && (peek(p)->type == TOK_DECLARE || (peek(p)->type == TOK_ASSIGN && n == 1))) {
		pipe->assign = next(p)->type == TOK_ASSIGN;
		for (int k = 0; k < n; k++) {
			pipe->decl = xrealloc(pipe->decl, (pipe->n_decl + 1) * sizeof(char *));
			pipe->decl[pipe->n_decl++] = xstrdup(names[k]);
		}
		return 0;
	}
	if (n == 2)
		return error_at(p, peek(p), "too many declarations in %s", "range");
	p->i = save;
	return 0;
}

static int parse_pipeline(struct parser *p, bool allow_decl, struct tmpl_node **ret)
{
	_cleanup_node_ struct tmpl_node *pipe = NULL;
	size_t start;
	int r;

	skip_space(p);
	start = peek(p)->pos;
	pipe = node_new(NODE_PIPE, start);
	if (allow_decl) {
		r = parse_decl(p, pipe, true);
		if (r < 0)
			return r;
	}
	for (;;) {
		struct tmpl_node *cmd = NULL;
		r = parse_command(p, &cmd);
		if (r < 0)
			return r;
		node_add(pipe, cmd);
		skip_space(p);
		if (peek(p)->type != TOK_PIPE)
			break;
		next(p);
	}
	node_set_src(p, pipe, start);
	*ret = TAKE_PTR(pipe);
	return 0;
}

static int expect_right(struct parser *p, const char *context)
{
	skip_space(p);
	if (peek(p)->type != TOK_RIGHT)
		return error_at(p, peek(p), "unexpected %s", context);
	next(p);
	return 0;
}

static int parse_list(struct parser *p, struct tmpl_node **ret, const char **ret_end);

/* if/range/with: pipeline, list, optional else (or "else if"), end. */
static int parse_control(struct parser *p, enum tmpl_node_type type, size_t pos,
			 struct tmpl_node **ret)
{
	_cleanup_node_ struct tmpl_node *n = node_new(type, pos);
	const char *end = NULL;
	int r;

	r = parse_pipeline(p, true, &n->pipe);
	if (r < 0)
		return r;
	r = expect_right(p, "in control");
	if (r < 0)
		return r;
	r = parse_list(p, &n->list, &end);
	if (r < 0)
		return r;
	if (strcmp(end, "else") == 0) {
		skip_space(p);
		struct tmpl_token *t = peek(p);
		if (t->type == TOK_IDENT &&
		    (strcmp(t->val, "if") == 0 || strcmp(t->val, "with") == 0) &&
		    type != NODE_RANGE) {
			/* else if ...: a nested control that consumes the {{end}} */
			enum tmpl_node_type nt = t->val[0] == 'i' ? NODE_IF : NODE_WITH;
			next(p);
			n->else_list = node_new(NODE_LIST, t->pos);
			struct tmpl_node *inner = NULL;
			r = parse_control(p, nt, t->pos, &inner);
			if (r < 0)
				return r;
			node_add(n->else_list, inner);
		} else {
			r = expect_right(p, "in else");
			if (r < 0)
				return r;
			r = parse_list(p, &n->else_list, &end);
			if (r < 0)
				return r;
			if (strcmp(end, "end") != 0)
				return error_at(p, peek(p), "expected end; found %s", end);
		}
	} else if (strcmp(end, "end") != 0) {
		return error_at(p, peek(p), "unexpected {{%s}}", end);
	}
	*ret = TAKE_PTR(n);
	return 0;
}

/* One action after "{{": a keyword or a pipeline. end gets "end"/"else" when
 * the action closes a list. */
static int parse_action(struct parser *p, struct tmpl_node **ret, const char **end)
{
	struct tmpl_token *t;
	_cleanup_node_ struct tmpl_node *pipe = NULL;
	int r;

	skip_space(p);
	t = peek(p);
	*ret = NULL;
	if (t->type == TOK_IDENT) {
		static const char *const closers[] = { "end", "else" };
		for (size_t k = 0; k < ARRAY_SIZE(closers); k++) {
			if (strcmp(t->val, closers[k]) != 0)
				continue;
			next(p);
			if (p->depth == 0)
				return error_at(p, t, "unexpected {{%s}}", t->val);
			*end = closers[k];
			return k == 0 ? expect_right(p, "in end") : 0;
		}
		if (strcmp(t->val, "if") == 0 || strcmp(t->val, "range") == 0 ||
		    strcmp(t->val, "with") == 0) {
			next(p);
			p->depth++;
			r = parse_control(p,
					  t->val[0] == 'i'   ? NODE_IF
					  : t->val[0] == 'r' ? NODE_RANGE
							     : NODE_WITH,
					  t->pos, ret);
			p->depth--;
			return r;
		}
		if (strcmp(t->val, "break") == 0 || strcmp(t->val, "continue") == 0) {
			next(p);
			r = expect_right(p, "in break/continue");
			if (r >= 0)
				*ret = node_new(t->val[0] == 'b' ? NODE_BREAK : NODE_CONTINUE,
						t->pos);
			return r;
		}
		if (strcmp(t->val, "define") == 0 || strcmp(t->val, "template") == 0 ||
		    strcmp(t->val, "block") == 0)
			return error_at(p, t, "{{%s}} is not supported", t->val);
	}
	r = parse_pipeline(p, true, &pipe);
	if (r < 0)
		return r;
	r = expect_right(p, "in command");
	if (r < 0)
		return r;
	*ret = node_new(NODE_ACTION, pipe->pos);
	(*ret)->pipe = TAKE_PTR(pipe);
	return 0;
}

static int parse_list(struct parser *p, struct tmpl_node **ret, const char **ret_end)
{
	_cleanup_node_ struct tmpl_node *list = node_new(NODE_LIST, peek(p)->pos);
	int r;

	if (p->depth > CLI_TEMPLATE_MAX_DEPTH)
		return error_at(p, peek(p), "template nested too deeply%s", "");
	for (;;) {
		struct tmpl_token *t = next(p);
		struct tmpl_node *n = NULL;
		const char *end = NULL;

		if (t->type == TOK_EOF) {
			if (p->depth > 0)
				return error_at(p, t, "unexpected EOF%s", "");
			*ret_end = "";
			break;
		}
		if (t->type == TOK_TEXT) {
			n = node_new(NODE_TEXT, t->pos);
			n->text = xmalloc(t->len + 1);
			memcpy(n->text, t->val, t->len + 1);
			n->text_len = t->len;
			node_add(list, n);
			continue;
		}
		r = parse_action(p, &n, &end);
		if (r < 0)
			return r;
		if (end) {
			*ret_end = end;
			break;
		}
		node_add(list, n);
	}
	*ret = TAKE_PTR(list);
	return 0;
}

int cli_template_parse(const char *name, const char *text, struct cli_template **ret,
		       struct berth_error **err)
{
	return cli_template_parse_at(name, text, 0, ret, err);
}

int cli_template_parse_at(const char *name, const char *text, size_t col_base,
			  struct cli_template **ret, struct berth_error **err)
{
	_cleanup_(cli_template_freep) struct cli_template *t = xzalloc(sizeof(*t));
	struct parser p = { .err = err };
	const char *end = NULL;
	int r;

	t->col_base = col_base;
	t->name = xstrdup(name ? name : "");
	t->text = xstrdup(text);
	p.name = t->name;
	p.text = t->text;
	r = tmpl_lex(t->name, t->text, &p.t, &p.n, err);
	if (r < 0)
		return r;
	r = parse_list(&p, &t->root, &end);
	tmpl_tokens_free(p.t, p.n);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(t);
	return 0;
}
