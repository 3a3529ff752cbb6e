/* Template execution: walk the tree with dot, variables and Go's rules for
 * fields, method calls, pipelines and control structures. */
#define LOG_CATEGORY "cli-template"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli-template-impl-internal.h"

enum flow {
	FLOW_NORMAL,
	FLOW_BREAK,
	FLOW_CONTINUE,
};

struct var {
	char *name;
	struct tmpl_value v;
};

struct exec {
	const struct cli_template *t;
	const struct cli_template_env *env;
	json_object *root;
	struct cli_buf *out;
	struct var *vars;
	size_t n_vars, cap_vars;
	int depth;
	enum flow flow;
	struct berth_error **err;
};

static int eval_pipe(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *pipe,
		     struct tmpl_value *ret);
static int walk(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *n);

static int exec_error(struct exec *e, struct tmpl_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int exec_error(struct exec *e, struct tmpl_node *n, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	size_t line = 1, col = n->pos + e->t->col_base;
	va_list ap;

	for (size_t i = 0; i < n->pos && e->t->text[i]; i++)
		if (e->t->text[i] == '\n') {
			line++;
			col = n->pos - i - 1;
		}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	return berth_error_set(e->err, 0, BERTH_ERR_INVALID,
			       "template: %s:%zu:%zu: executing \"%s\" at <%s>: %s", e->t->name,
			       line, col, e->t->name, n->src ? n->src : "", msg);
}

static void push_var(struct exec *e, const char *name, struct tmpl_value v)
{
	if (e->n_vars == e->cap_vars) {
		e->cap_vars = e->cap_vars ? e->cap_vars * 2 : 8;
		e->vars = xrealloc(e->vars, e->cap_vars * sizeof(*e->vars));
	}
	e->vars[e->n_vars++] = (struct var){ xstrdup(name), v };
}

static void pop_vars(struct exec *e, size_t mark)
{
	while (e->n_vars > mark) {
		e->n_vars--;
		free(e->vars[e->n_vars].name);
		tmpl_value_clear(&e->vars[e->n_vars].v);
	}
}

static struct var *find_var(struct exec *e, const char *name)
{
	for (size_t i = e->n_vars; i > 0; i--)
		if (strcmp(e->vars[i - 1].name, name) == 0)
			return &e->vars[i - 1];
	return NULL;
}

/* Go field names where the JSON differs in case only (ID for "Id", APIVersion). */
static bool find_key_nocase(json_object *o, const char *name, json_object **ret)
{
	json_object_object_foreach (o, key, val) {
		if (strcasecmp(key, name) == 0) {
			*ret = val;
			return true;
		}
	}
	return false;
}

/* receiver.name [args]: a method of the root context, a key, or an error. */
static int eval_field(struct exec *e, struct tmpl_node *n, const char *name,
		      const struct tmpl_value *recv, struct tmpl_value *args, size_t nargs,
		      struct tmpl_value *ret)
{
	json_object *v = NULL;
	bool is_root = recv->valid && recv->o && recv->o == e->root;
	int r;

	if (is_root && e->env->method) {
		_cleanup_free_ json_object **a = xcalloc(nargs + 1, sizeof(json_object *));
		_cleanup_error_ struct berth_error *merr = NULL;
		for (size_t i = 0; i < nargs; i++)
			a[i] = args[i].o;
		r = e->env->method(e->env->method_data, recv->o, name, a, nargs, &v, &merr);
		if (r < 0)
			return exec_error(e, n, "error calling %s: %s", name,
					  merr ? merr->msg : "failed");
		if (r > 0) {
			*ret = tmpl_value_take(v);
			return 0;
		}
	}
	if (recv->valid && recv->o && json_object_is_type(recv->o, json_type_object)) {
		if (json_object_object_get_ex(recv->o, name, &v) ||
		    (!(is_root && e->env->type_name) && find_key_nocase(recv->o, name, &v))) {
			if (nargs > 0)
				return exec_error(
					e, n, "%s has arguments but cannot be invoked as function",
					name);
			*ret = tmpl_value_take(v ? json_object_get(v) : NULL);
			ret->nil_hint = tmpl_nil_hint(name);
			return 0;
		}
		if (is_root && e->env->type_name)
			return exec_error(e, n, "can't evaluate field %s in type %s", name,
					  e->env->type_name);
		*ret = (struct tmpl_value){ 0 };
		if (tmpl_optional_field(name, ret))
			return 0;
		if (recv->o != e->root && json_object_object_length(recv->o) > 0) {
			json_object_object_foreach (recv->o, key, val) {
				(void)val;
				if (key[0] < 'A' || key[0] > 'Z')
					return 0;
			}
			return exec_error(e, n, "map has no entry for key \"%s\"", name);
		}
		if (is_root)
			return exec_error(e, n, "map has no entry for key \"%s\"", name);
		return 0;
	}
	if (!recv->valid || !recv->o) {
		if (recv->valid && recv->nil_hint && strcmp(recv->nil_hint, "map[]") == 0) {
			*ret = (struct tmpl_value){ 0 };
			return 0;
		}
		return exec_error(e, n, "nil pointer evaluating %s.%s",
				  tmpl_value_go_type(recv, "interface {}"), name);
	}
	return exec_error(e, n, "can't evaluate field %s in type %s", name,
			  is_root && e->env->type_name ? e->env->type_name
						       : tmpl_value_go_type(recv, "interface {}"));
}

/* recv.A.B...: all but the last without arguments. */
static int eval_chain(struct exec *e, struct tmpl_node *n, struct tmpl_value *recv, char **idents,
		      size_t n_idents, struct tmpl_value *args, size_t nargs,
		      struct tmpl_value *ret)
{
	struct tmpl_value cur = tmpl_value_ref(recv);
	int r = 0;

	for (size_t i = 0; i < n_idents; i++) {
		struct tmpl_value next = { 0 };
		bool last = i + 1 == n_idents;
		r = eval_field(e, n, idents[i], &cur, last ? args : NULL, last ? nargs : 0, &next);
		tmpl_value_clear(&cur);
		if (r < 0)
			return r;
		cur = next;
	}
	*ret = cur;
	return 0;
}

static int eval_arg(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *n,
		    struct tmpl_value *ret);

static int eval_var(struct exec *e, struct tmpl_node *n, struct tmpl_value *ret)
{
	struct var *v;

	if (strcmp(n->idents[0], "$") == 0) {
		*ret = tmpl_value_take(json_object_get(e->root));
		ret->context = e->env->type_name != NULL;
		return 0;
	}
	v = find_var(e, n->idents[0]);
	if (!v)
		return exec_error(e, n, "undefined variable: %s", n->idents[0]);
	*ret = tmpl_value_ref(&v->v);
	return 0;
}

static int eval_function(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *cmd,
			 const struct tmpl_value *final, struct tmpl_value *ret)
{
	size_t nargs = cmd->n_kids - 1 + (final ? 1 : 0), i;
	_cleanup_free_ struct tmpl_value *args = xcalloc(nargs + 1, sizeof(*args));
	_cleanup_error_ struct berth_error *ferr = NULL;
	int r = 0;

	for (i = 1; i < cmd->n_kids && r >= 0; i++)
		r = eval_arg(e, dot, cmd->kids[i], &args[i - 1]);
	if (r >= 0 && final)
		args[nargs - 1] = tmpl_value_ref(final);
	if (r >= 0) {
		r = tmpl_func_call(cmd->kids[0]->text, e->env->header, args, nargs, ret, &ferr);
		if (r < 0)
			r = exec_error(e, cmd, "%s", ferr->msg);
	}
	for (i = 0; i < nargs; i++)
		tmpl_value_clear(&args[i]);
	return r;
}

/* A field, variable or chain command with arguments: Go's method call. */
static int eval_field_cmd(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *cmd,
			  const struct tmpl_value *final, struct tmpl_value *ret)
{
	struct tmpl_node *head = cmd->kids[0];
	size_t nargs = cmd->n_kids - 1 + (final ? 1 : 0), i;
	_cleanup_free_ struct tmpl_value *args = xcalloc(nargs + 1, sizeof(*args));
	struct tmpl_value recv = { 0 };
	char **idents = head->idents;
	size_t n_idents = head->n_idents;
	int r = 0;

	for (i = 1; i < cmd->n_kids && r >= 0; i++)
		r = eval_arg(e, dot, cmd->kids[i], &args[i - 1]);
	if (r >= 0 && final)
		args[nargs - 1] = tmpl_value_ref(final);
	if (r >= 0 && head->type == NODE_FIELD) {
		recv = tmpl_value_ref(dot);
	} else if (r >= 0 && head->type == NODE_VAR) {
		r = eval_var(e, head, &recv);
		idents++;
		n_idents--;
	} else if (r >= 0) {
		r = eval_arg(e, dot, head->node, &recv);
	}
	if (r >= 0 && n_idents == 0 && nargs > 0)
		r = exec_error(e, head, "can't give argument to non-function %s", head->src);
	if (r >= 0)
		r = eval_chain(e, head, &recv, idents, n_idents, args, nargs, ret);
	tmpl_value_clear(&recv);
	for (i = 0; i < nargs; i++)
		tmpl_value_clear(&args[i]);
	return r;
}

static int eval_literal(struct tmpl_node *n, struct tmpl_value *ret)
{
	if (n->type == NODE_NIL)
		*ret = tmpl_value_take(NULL);
	else if (n->type == NODE_BOOL)
		*ret = tmpl_value_take(json_object_new_boolean(n->b));
	else if (n->type == NODE_NUMBER)
		*ret = tmpl_value_take(n->is_int ? json_object_new_int64(n->i)
						 : json_object_new_double(n->f));
	else if (n->type == NODE_STRING)
		*ret = tmpl_value_take(json_object_new_string_len(n->text, (int)n->text_len));
	else
		return -EINVAL;
	return 0;
}

static int eval_arg(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *n,
		    struct tmpl_value *ret)
{
	struct tmpl_node cmd = {
		.type = NODE_CMD, .pos = n->pos, .src = n->src, .kids = &n, .n_kids = 1
	};
	size_t mark = e->n_vars;
	int r;

	if (++e->depth > CLI_TEMPLATE_MAX_DEPTH * 4) {
		e->depth--;
		return exec_error(e, n, "exceeded maximum template depth");
	}
	if (n->type == NODE_DOT) {
		*ret = tmpl_value_ref(dot);
		r = 0;
	} else if (n->type == NODE_PIPE) {
		r = eval_pipe(e, dot, n, ret);
		pop_vars(e, mark);
	} else if (n->type == NODE_IDENT) {
		r = eval_function(e, dot, &cmd, NULL, ret);
	} else if (n->type == NODE_FIELD || n->type == NODE_VAR || n->type == NODE_CHAIN) {
		r = eval_field_cmd(e, dot, &cmd, NULL, ret);
	} else {
		r = eval_literal(n, ret);
	}
	e->depth--;
	return r;
}

static int eval_cmd(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *cmd,
		    const struct tmpl_value *final, struct tmpl_value *ret)
{
	struct tmpl_node *head = cmd->kids[0];

	if (head->type == NODE_IDENT)
		return eval_function(e, dot, cmd, final, ret);
	if (head->type == NODE_FIELD || head->type == NODE_VAR || head->type == NODE_CHAIN)
		return eval_field_cmd(e, dot, cmd, final, ret);
	if (cmd->n_kids > 1 || final)
		return exec_error(e, head, "can't give argument to non-function %s", head->src);
	return eval_arg(e, dot, head, ret);
}

static int eval_pipe(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *pipe,
		     struct tmpl_value *ret)
{
	struct tmpl_value val = { 0 };
	bool have = false;
	int r;

	for (size_t i = 0; i < pipe->n_kids; i++) {
		struct tmpl_value next = { 0 };
		r = eval_cmd(e, dot, pipe->kids[i], have ? &val : NULL, &next);
		tmpl_value_clear(&val);
		if (r < 0)
			return r;
		val = next;
		have = true;
	}
	for (size_t i = 0; i < pipe->n_decl; i++) {
		struct var *v = pipe->assign ? find_var(e, pipe->decl[i]) : NULL;
		if (pipe->assign && !v) {
			tmpl_value_clear(&val);
			return exec_error(e, pipe, "undefined variable: %s", pipe->decl[i]);
		}
		if (v) {
			tmpl_value_clear(&v->v);
			v->v = tmpl_value_ref(&val);
		} else {
			push_var(e, pipe->decl[i], tmpl_value_ref(&val));
		}
	}
	*ret = val;
	return 0;
}

/* One iteration of range: the variables, then the body. */
static int range_step(struct exec *e, struct tmpl_node *n, json_object *key, json_object *elem)
{
	struct tmpl_value dot = tmpl_value_take(elem ? json_object_get(elem) : NULL);
	size_t mark = e->n_vars;
	int r;

	if (n->pipe->n_decl == 1) {
		push_var(e, n->pipe->decl[0], tmpl_value_ref(&dot));
	} else if (n->pipe->n_decl == 2) {
		push_var(e, n->pipe->decl[0], tmpl_value_take(key));
		key = NULL;
		push_var(e, n->pipe->decl[1], tmpl_value_ref(&dot));
	}
	if (key)
		json_object_put(key);
	r = walk(e, &dot, n->list);
	pop_vars(e, mark);
	tmpl_value_clear(&dot);
	if (e->flow == FLOW_CONTINUE)
		e->flow = FLOW_NORMAL;
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int walk_range(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *n,
		      const struct tmpl_value *val)
{
	json_object *o = val->valid ? val->o : NULL;
	size_t count = 0;
	int r = 0;

	if (o && json_object_is_type(o, json_type_array)) {
		count = json_object_array_length(o);
		for (size_t i = 0; i < count && r >= 0 && e->flow != FLOW_BREAK; i++)
			r = range_step(e, n, json_object_new_int64((int64_t)i),
				       json_object_array_get_idx(o, i));
	} else if (o && json_object_is_type(o, json_type_object)) {
		count = (size_t)json_object_object_length(o);
		_cleanup_free_ const char **keys = xcalloc(count + 1, sizeof(char *));
		size_t k = 0;
		json_object_object_foreach (o, key, v) {
			(void)v;
			keys[k++] = key;
		}
		qsort(keys, count, sizeof(char *), cmp_str);
		for (size_t i = 0; i < count && r >= 0 && e->flow != FLOW_BREAK; i++)
			r = range_step(e, n, json_object_new_string(keys[i]),
				       json_object_object_get(o, keys[i]));
	} else if (o && json_object_is_type(o, json_type_int)) {
		int64_t max = json_object_get_int64(o);
		if (max > CLI_TEMPLATE_MAX_RANGE)
			return exec_error(e, n->pipe, "range over %lld: too many iterations",
					  (long long)max);
		for (int64_t i = 0; i < max && r >= 0 && e->flow != FLOW_BREAK; i++, count++) {
			json_object *elem = json_object_new_int64(i);
			r = range_step(e, n, json_object_new_int64(i), elem);
			json_object_put(elem);
		}
	} else if (o || !val->valid) {
		_cleanup_buf_ struct cli_buf b = { 0 };
		tmpl_value_print(&b, val);
		return exec_error(e, n->pipe, "range can't iterate over %s", b.s);
	}
	e->flow = FLOW_NORMAL;
	if (r >= 0 && count == 0 && n->else_list)
		r = walk(e, dot, n->else_list);
	return r;
}

static int walk_control(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *n)
{
	struct tmpl_value val = { 0 };
	size_t mark = e->n_vars;
	int r;

	r = eval_pipe(e, dot, n->pipe, &val);
	if (r >= 0) {
		if (n->type == NODE_RANGE) {
			/* range declares its variables per element */
			pop_vars(e, mark);
			r = walk_range(e, dot, n, &val);
		} else if (tmpl_value_truth(&val)) {
			r = walk(e, n->type == NODE_WITH ? &val : dot, n->list);
		} else if (n->else_list) {
			r = walk(e, dot, n->else_list);
		}
	}
	tmpl_value_clear(&val);
	pop_vars(e, mark);
	return r;
}

static int check_size(struct exec *e, struct tmpl_node *n)
{
	if (e->out->len > CLI_TEMPLATE_MAX_OUTPUT)
		return exec_error(e, n, "output larger than %u bytes", CLI_TEMPLATE_MAX_OUTPUT);
	return 0;
}

static int walk(struct exec *e, const struct tmpl_value *dot, struct tmpl_node *n)
{
	struct tmpl_value val = { 0 };
	int r = 0;

	switch (n->type) {
	case NODE_LIST:
		for (size_t i = 0; i < n->n_kids && r >= 0 && e->flow == FLOW_NORMAL; i++)
			r = walk(e, dot, n->kids[i]);
		return r;
	case NODE_TEXT:
		cli_buf_add(e->out, n->text, n->text_len);
		return check_size(e, n);
	case NODE_ACTION:
		r = eval_pipe(e, dot, n->pipe, &val);
		if (r >= 0 && n->pipe->n_decl == 0)
			tmpl_value_print(e->out, &val);
		tmpl_value_clear(&val);
		return r < 0 ? r : check_size(e, n);
	case NODE_IF:
	case NODE_WITH:
	case NODE_RANGE:
		return walk_control(e, dot, n);
	case NODE_BREAK:
		e->flow = FLOW_BREAK;
		return 0;
	case NODE_CONTINUE:
		e->flow = FLOW_CONTINUE;
		return 0;
	case NODE_PIPE:
	case NODE_CMD:
	case NODE_FIELD:
	case NODE_VAR:
	case NODE_DOT:
	case NODE_NIL:
	case NODE_BOOL:
	case NODE_NUMBER:
	case NODE_STRING:
	case NODE_IDENT:
	case NODE_CHAIN:
	case NODE_TYPE_MAX:
		break;
	}
	return exec_error(e, n, "unexpected node");
}

int cli_template_execute(const struct cli_template *t, json_object *dot,
			 const struct cli_template_env *env, char **out, size_t *out_len,
			 struct berth_error **err)
{
	static const struct cli_template_env no_env = { 0 };
	struct cli_buf b = { .s = *out, .len = *out_len, .cap = *out ? *out_len + 1 : 0 };
	struct exec e = { .t = t, .env = env ? env : &no_env, .root = dot, .out = &b, .err = err };
	struct tmpl_value d = tmpl_value_take(dot ? json_object_get(dot) : NULL);
	int r;

	d.context = e.env->type_name != NULL;
	r = walk(&e, &d, t->root);
	tmpl_value_clear(&d);
	pop_vars(&e, 0);
	free(e.vars);
	*out = b.s;
	*out_len = b.len;
	return r;
}
