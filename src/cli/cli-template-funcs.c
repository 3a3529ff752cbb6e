/* Template functions: Go's builtins and docker's additions (json, join,
 * split, lower, upper, title, pad, truncate), and docker's header variants. */
#define LOG_CATEGORY "cli-template"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli-template-impl-internal.h"

typedef int (*tfunc_fn)(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg);

struct tfunc {
	const char *name;
	int min, max; /* argument count, max -1: any */
	tfunc_fn fn;
	bool docker; /* one of docker's: returns its argument in header mode */
};

static bool is_type(const struct tmpl_value *v, json_type t)
{
	return v->valid && v->o && json_object_is_type(v->o, t);
}

static char *to_text(const struct tmpl_value *v)
{
	_cleanup_buf_ struct cli_buf b = { 0 };

	tmpl_value_print(&b, v);
	return cli_buf_take(&b);
}

static int want_string(const struct tmpl_value *v, const char **ret, char **msg)
{
	if (!is_type(v, json_type_string)) {
		*msg = xasprintf("wrong type for value; expected string; got %s",
				 tmpl_value_go_type(v, "<nil>"));
		return -EINVAL;
	}
	*ret = json_object_get_string(v->o);
	return 0;
}

static int want_int(const struct tmpl_value *v, int64_t *ret, char **msg)
{
	if (!is_type(v, json_type_int)) {
		*msg = xasprintf("wrong type for value; expected int; got %s",
				 tmpl_value_go_type(v, "<nil>"));
		return -EINVAL;
	}
	*ret = json_object_get_int64(v->o);
	return 0;
}

static void ret_string(struct tmpl_value *ret, const char *s, size_t len)
{
	*ret = tmpl_value_take(json_object_new_string_len(s, (int)len));
}

static int f_and(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	size_t i = 0;

	while (i + 1 < n && tmpl_value_truth(&a[i]))
		i++;
	*ret = tmpl_value_ref(&a[i]);
	return 0;
}

static int f_or(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	size_t i = 0;

	while (i + 1 < n && !tmpl_value_truth(&a[i]))
		i++;
	*ret = tmpl_value_ref(&a[i]);
	return 0;
}

static int f_not(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	*ret = tmpl_value_take(json_object_new_boolean(!tmpl_value_truth(&a[0])));
	return 0;
}

static int f_len(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	int64_t len;

	if (is_type(&a[0], json_type_string))
		len = json_object_get_string_len(a[0].o);
	else if (is_type(&a[0], json_type_array))
		len = (int64_t)json_object_array_length(a[0].o);
	else if (is_type(&a[0], json_type_object))
		len = json_object_object_length(a[0].o);
	else {
		*msg = xasprintf("len of type %s", tmpl_value_go_type(&a[0], "<nil>"));
		return -EINVAL;
	}
	*ret = tmpl_value_take(json_object_new_int64(len));
	return 0;
}

/* index of a missing map key: Go's zero value of the map's element type. */
static json_object *missing_entry(json_object *map)
{
	json_object_object_foreach (map, k, v) {
		(void)k;
		if (!json_object_is_type(v, json_type_string))
			return NULL;
	}
	return json_object_new_string("");
}

static int f_index(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	struct tmpl_value cur = tmpl_value_ref(&a[0]);

	for (size_t k = 1; k < n; k++) {
		json_object *next = NULL;
		if (is_type(&cur, json_type_object) && is_type(&a[k], json_type_string)) {
			if (!json_object_object_get_ex(cur.o, json_object_get_string(a[k].o),
						       &next))
				next = missing_entry(cur.o);
			else
				json_object_get(next);
		} else if (is_type(&cur, json_type_array) && is_type(&a[k], json_type_int)) {
			int64_t i = json_object_get_int64(a[k].o);
			if (i < 0 || (size_t)i >= json_object_array_length(cur.o)) {
				*msg = xasprintf("index out of range: %lld", (long long)i);
				tmpl_value_clear(&cur);
				return -EINVAL;
			}
			next = json_object_get(json_object_array_get_idx(cur.o, (size_t)i));
		} else {
			if (is_type(&cur, json_type_array) || is_type(&cur, json_type_string))
				*msg = xasprintf("cannot index slice/array with type %s",
						 tmpl_value_go_type(&a[k], "<nil>"));
			else if (!cur.valid || !cur.o)
				*msg = xstrdup("index of untyped nil");
			else
				*msg = xasprintf("can't index item of type %s",
						 tmpl_value_go_type(&cur, "<nil>"));
			tmpl_value_clear(&cur);
			return -EINVAL;
		}
		tmpl_value_clear(&cur);
		cur = tmpl_value_take(next);
	}
	*ret = cur;
	return 0;
}

static int compare(const struct tmpl_value *x, const struct tmpl_value *y, int *ret, char **msg)
{
	bool xn = is_type(x, json_type_int) || is_type(x, json_type_double);
	bool yn = is_type(y, json_type_int) || is_type(y, json_type_double);

	if (xn && yn) {
		double a = json_object_get_double(x->o), b = json_object_get_double(y->o);
		if (is_type(x, json_type_int) && is_type(y, json_type_int)) {
			int64_t p = json_object_get_int64(x->o), q = json_object_get_int64(y->o);
			*ret = p < q ? -1 : p > q;
		} else {
			*ret = a < b ? -1 : a > b;
		}
		return 0;
	}
	if (is_type(x, json_type_string) && is_type(y, json_type_string)) {
		*ret = strcmp(json_object_get_string(x->o), json_object_get_string(y->o));
		return 0;
	}
	if (is_type(x, json_type_boolean) && is_type(y, json_type_boolean)) {
		*ret = json_object_get_boolean(x->o) != json_object_get_boolean(y->o);
		return 0;
	}
	if ((!x->valid || !x->o) && (!y->valid || !y->o)) {
		*ret = 0;
		return 0;
	}
	*msg = xstrdup("incompatible types for comparison");
	return -EINVAL;
}

static int f_eq(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	bool eq = false;
	int c, r;

	for (size_t i = 1; i < n && !eq; i++) {
		r = compare(&a[0], &a[i], &c, msg);
		if (r < 0)
			return r;
		eq = c == 0;
	}
	*ret = tmpl_value_take(json_object_new_boolean(eq));
	return 0;
}

static int f_ne(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	int c, r = compare(&a[0], &a[1], &c, msg);

	if (r >= 0)
		*ret = tmpl_value_take(json_object_new_boolean(c != 0));
	return r;
}

static int ordered(struct tmpl_value *a, struct tmpl_value *ret, char **msg, int lo, int hi)
{
	int c, r;

	if (is_type(&a[0], json_type_boolean) || is_type(&a[1], json_type_boolean)) {
		*msg = xstrdup("invalid type for comparison");
		return -EINVAL;
	}
	r = compare(&a[0], &a[1], &c, msg);
	if (r >= 0)
		*ret = tmpl_value_take(json_object_new_boolean(c >= lo && c <= hi));
	return r;
}

static int f_lt(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	return ordered(a, ret, msg, -1, -1);
}

static int f_le(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	return ordered(a, ret, msg, -1, 0);
}

static int f_gt(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	return ordered(a, ret, msg, 1, 1);
}

static int f_ge(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	return ordered(a, ret, msg, 0, 1);
}

/* fmt.Sprint: spaces between operands when neither is a string. */
static int f_print(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	_cleanup_buf_ struct cli_buf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && !is_type(&a[i], json_type_string) &&
		    !is_type(&a[i - 1], json_type_string))
			cli_buf_addc(&b, ' ');
		tmpl_value_print(&b, &a[i]);
	}
	ret_string(ret, b.s ? b.s : "", b.len);
	return 0;
}

static int f_println(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	_cleanup_buf_ struct cli_buf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			cli_buf_addc(&b, ' ');
		tmpl_value_print(&b, &a[i]);
	}
	cli_buf_addc(&b, '\n');
	ret_string(ret, b.s, b.len);
	return 0;
}

static int f_printf(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	_cleanup_buf_ struct cli_buf b = { 0 };
	const char *fmt;
	int r = want_string(&a[0], &fmt, msg);

	if (r < 0)
		return r;
	tmpl_printf(&b, fmt, a + 1, n - 1);
	ret_string(ret, b.s ? b.s : "", b.len);
	return 0;
}

static int f_html(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	_cleanup_buf_ struct cli_buf b = { 0 };
	_cleanup_free_ char *s = NULL;

	(void)f_print(a, n, ret, msg);
	s = xstrdup(json_object_get_string(ret->o));
	tmpl_value_clear(ret);
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '<':
			cli_buf_adds(&b, "&lt;");
			break;
		case '>':
			cli_buf_adds(&b, "&gt;");
			break;
		case '&':
			cli_buf_adds(&b, "&amp;");
			break;
		case '"':
			cli_buf_adds(&b, "&#34;");
			break;
		case '\'':
			cli_buf_adds(&b, "&#39;");
			break;
		default:
			cli_buf_addc(&b, *p);
		}
	}
	ret_string(ret, b.s ? b.s : "", b.len);
	return 0;
}

static int f_json(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	_cleanup_buf_ struct cli_buf b = { 0 };

	cli_buf_add_json(&b, a[0].valid ? a[0].o : NULL, NULL, a[0].context);
	ret_string(ret, b.s, b.len);
	return 0;
}

static int f_join(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	_cleanup_buf_ struct cli_buf b = { 0 };
	const char *sep;
	int r;

	if (!is_type(&a[0], json_type_array) && !(a[0].valid && !a[0].o)) {
		*msg = xasprintf("wrong type for value; expected []string; got %s",
				 tmpl_value_go_type(&a[0], "<nil>"));
		return -EINVAL;
	}
	r = want_string(&a[1], &sep, msg);
	if (r < 0)
		return r;
	for (size_t i = 0; a[0].o && i < json_object_array_length(a[0].o); i++) {
		struct tmpl_value e = { .valid = true, .o = json_object_array_get_idx(a[0].o, i) };
		if (i > 0)
			cli_buf_adds(&b, sep);
		tmpl_value_print(&b, &e);
	}
	ret_string(ret, b.s ? b.s : "", b.len);
	return 0;
}

static int f_split(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	const char *s, *sep;
	json_object *arr;
	int r;

	r = want_string(&a[0], &s, msg);
	if (r >= 0)
		r = want_string(&a[1], &sep, msg);
	if (r < 0)
		return r;
	arr = json_object_new_array();
	if (!*sep) {
		for (const char *p = s; *p; p++)
			json_object_array_add(arr, json_object_new_string_len(p, 1));
	} else {
		for (const char *p = s;;) {
			const char *e = strstr(p, sep);
			json_object_array_add(arr,
					      json_object_new_string_len(
						      p, (int)(e ? (size_t)(e - p) : strlen(p))));
			if (!e)
				break;
			p = e + strlen(sep);
		}
	}
	*ret = tmpl_value_take(arr);
	return 0;
}

static int change_case(struct tmpl_value *a, struct tmpl_value *ret, char **msg, int mode)
{
	_cleanup_free_ char *s = NULL;
	const char *in;
	bool start = true;
	int r = want_string(&a[0], &in, msg);

	if (r < 0)
		return r;
	s = xstrdup(in);
	for (char *p = s; *p; p++) {
		bool letter = isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80;
		if (mode == 0)
			*p = (char)tolower((unsigned char)*p);
		else if (mode == 1 || (mode == 2 && start))
			*p = (char)toupper((unsigned char)*p);
		start = !letter && *p != '\'';
	}
	ret_string(ret, s, strlen(s));
	return 0;
}

static int f_lower(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	return change_case(a, ret, msg, 0);
}

static int f_upper(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	return change_case(a, ret, msg, 1);
}

static int f_title(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	return change_case(a, ret, msg, 2);
}

static int f_pad(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	_cleanup_buf_ struct cli_buf b = { 0 };
	const char *s;
	int64_t pre, post;
	int r = want_string(&a[0], &s, msg);

	if (r >= 0)
		r = want_int(&a[1], &pre, msg);
	if (r >= 0)
		r = want_int(&a[2], &post, msg);
	if (r < 0)
		return r;
	for (int64_t i = 0; i < pre && i < 4096; i++)
		cli_buf_addc(&b, ' ');
	cli_buf_adds(&b, s);
	for (int64_t i = 0; i < post && i < 4096; i++)
		cli_buf_addc(&b, ' ');
	ret_string(ret, b.s ? b.s : "", b.len);
	return 0;
}

static int f_truncate(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	const char *s;
	int64_t len;
	int r = want_string(&a[0], &s, msg);

	if (r >= 0)
		r = want_int(&a[1], &len, msg);
	if (r < 0)
		return r;
	if (len < 0)
		len = 0;
	ret_string(ret, s, strlen(s) < (size_t)len ? strlen(s) : (size_t)len);
	return 0;
}

static int f_urlquery(struct tmpl_value *a, size_t n, struct tmpl_value *ret, char **msg)
{
	static const char hex[] = "0123456789ABCDEF";
	_cleanup_buf_ struct cli_buf b = { 0 };
	_cleanup_free_ char *s = NULL;

	(void)f_print(a, n, ret, msg);
	s = xstrdup(json_object_get_string(ret->o));
	tmpl_value_clear(ret);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-_.~", *p)) {
			cli_buf_addc(&b, (char)*p);
		} else if (*p == ' ') {
			cli_buf_addc(&b, '+');
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			cli_buf_add(&b, e, 3);
		}
	}
	ret_string(ret, b.s ? b.s : "", b.len);
	return 0;
}

static const struct tfunc funcs[] = {
	{ "and", 1, -1, f_and, false },
	{ "or", 1, -1, f_or, false },
	{ "not", 1, 1, f_not, false },
	{ "len", 1, 1, f_len, false },
	{ "index", 1, -1, f_index, false },
	{ "eq", 1, -1, f_eq, false },
	{ "ne", 2, 2, f_ne, false },
	{ "lt", 2, 2, f_lt, false },
	{ "le", 2, 2, f_le, false },
	{ "gt", 2, 2, f_gt, false },
	{ "ge", 2, 2, f_ge, false },
	{ "print", 0, -1, f_print, false },
	{ "println", 0, -1, f_println, false },
	{ "printf", 1, -1, f_printf, false },
	{ "html", 0, -1, f_html, false },
	{ "js", 0, -1, f_print, false },
	{ "urlquery", 0, -1, f_urlquery, false },
	{ "json", 1, 1, f_json, true },
	{ "join", 2, 2, f_join, true },
	{ "split", 2, 2, f_split, true },
	{ "lower", 1, 1, f_lower, true },
	{ "upper", 1, 1, f_upper, true },
	{ "title", 1, 1, f_title, true },
	{ "pad", 3, 3, f_pad, true },
	{ "truncate", 2, 2, f_truncate, true },
};

bool tmpl_func_exists(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		if (strcmp(funcs[i].name, name) == 0)
			return true;
	return false;
}

int tmpl_func_call(const char *name, bool header, struct tmpl_value *args, size_t nargs,
		   struct tmpl_value *ret, struct berth_error **err)
{
	_cleanup_free_ char *msg = NULL;
	const struct tfunc *f = NULL;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(funcs) && !f; i++)
		if (strcmp(funcs[i].name, name) == 0)
			f = &funcs[i];
	if (!f)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "\"%s\" is not a defined function", name);
	if ((int)nargs < f->min || (f->max >= 0 && (int)nargs > f->max))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "wrong number of args for %s: want %d got %zu", name, f->min,
				       nargs);
	if (header && f->docker) {
		_cleanup_free_ char *s = to_text(&args[0]);
		ret_string(ret, s, strlen(s));
		return 0;
	}
	*ret = (struct tmpl_value){ 0 };
	r = f->fn(args, nargs, ret, &msg);
	if (r < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "error calling %s: %s", name,
				       msg ? msg : "failed");
	return 0;
}
