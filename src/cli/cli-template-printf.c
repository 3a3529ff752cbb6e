/* printf for templates: Go's fmt verbs mapped onto C's. */
#define LOG_CATEGORY "cli-template"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-template-impl-internal.h"

static bool is_num(const struct tmpl_value *v, json_type t)
{
	return v->valid && v->o && json_object_is_type(v->o, t);
}

static void bad_verb(struct cli_buf *b, char verb, const struct tmpl_value *v)
{
	cli_buf_printf(b, "%%!%c(", verb);
	tmpl_value_print(b, v);
	cli_buf_addc(b, ')');
}

/* One conversion; spec is "%" flags width precision (without the verb). */
static void convert(struct cli_buf *b, const char *spec, char verb, const struct tmpl_value *v)
{
	_cleanup_buf_ struct cli_buf s = { 0 };
	_cleanup_free_ char *cfmt = NULL;

	switch (verb) {
	case 'd':
	case 'c':
		if (!is_num(v, json_type_int))
			return bad_verb(b, verb, v);
		cfmt = xasprintf("%sll%c", spec, verb == 'c' ? 'd' : 'd');
		if (verb == 'c')
			cli_buf_addc(b, (char)json_object_get_int64(v->o));
		else
			cli_buf_printf(b, cfmt, (long long)json_object_get_int64(v->o));
		return;
	case 'x':
	case 'X':
		if (is_num(v, json_type_int)) {
			cfmt = xasprintf("%sll%c", spec, verb);
			cli_buf_printf(b, cfmt, (long long)json_object_get_int64(v->o));
			return;
		}
		if (!is_num(v, json_type_string))
			return bad_verb(b, verb, v);
		for (const unsigned char *p = (const unsigned char *)json_object_get_string(v->o);
		     *p; p++)
			cli_buf_printf(b, verb == 'x' ? "%02x" : "%02X", *p);
		return;
	case 'f':
	case 'e':
	case 'g':
		if (!is_num(v, json_type_double) && !is_num(v, json_type_int))
			return bad_verb(b, verb, v);
		cfmt = xasprintf("%s%c", spec, verb);
		cli_buf_printf(b, cfmt, json_object_get_double(v->o));
		return;
	case 't':
		if (!is_num(v, json_type_boolean))
			return bad_verb(b, verb, v);
		break;
	case 'q':
		if (!is_num(v, json_type_string))
			return bad_verb(b, verb, v);
		cli_buf_add_quoted(&s, json_object_get_string(v->o));
		cfmt = xasprintf("%ss", spec);
		cli_buf_printf(b, cfmt, s.s);
		return;
	default:
		break;
	}
	tmpl_value_print(&s, v);
	cfmt = xasprintf("%ss", spec);
	cli_buf_printf(b, cfmt, s.s ? s.s : "");
}

void tmpl_printf(struct cli_buf *b, const char *fmt, struct tmpl_value *a, size_t n)
{
	size_t used = 0;

	for (const char *p = fmt; *p;) {
		if (*p != '%') {
			cli_buf_addc(b, *p++);
			continue;
		}
		p++;
		if (*p == '%') {
			cli_buf_addc(b, '%');
			p++;
			continue;
		}
		size_t nflags = strspn(p, "-+# 0");
		_cleanup_free_ char *flags = xstrndup(p, nflags);
		p += nflags;
		int width = -1, prec = -1;
		size_t nw = strspn(p, "0123456789");
		if (nw > 0)
			width = nw > 3 ? 999 : atoi(p);
		p += nw;
		if (*p == '.') {
			p++;
			size_t np = strspn(p, "0123456789");
			prec = np > 3 ? 999 : (np > 0 ? atoi(p) : 0);
			p += np;
		}
		if (!*p) {
			cli_buf_adds(b, "%!(NOVERB)");
			break;
		}
		bool str = !strchr("dcxXfeg", *p);
		_cleanup_free_ char *spec =
			xasprintf("%%%s", str ? (strchr(flags, '-') ? "-" : "") : flags);
		if (width >= 0) {
			char *t = xasprintf("%s%d", spec, width);
			free(spec);
			spec = t;
		}
		if (prec >= 0) {
			char *t = xasprintf("%s.%d", spec, prec);
			free(spec);
			spec = t;
		}
		char verb = *p++;
		if (used >= n) {
			cli_buf_printf(b, "%%!%c(MISSING)", verb);
			continue;
		}
		convert(b, spec, verb, &a[used++]);
	}
	if (used < n) {
		cli_buf_adds(b, "%!(EXTRA ");
		for (size_t i = used; i < n; i++) {
			if (i > used)
				cli_buf_adds(b, ", ");
			tmpl_value_print(b, &a[i]);
		}
		cli_buf_addc(b, ')');
	}
}
