/* Growable buffers, Go-compatible JSON encoding and string quoting. */
#define LOG_CATEGORY "cli-buf"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli-buf-internal.h"

void cli_buf_add(struct cli_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + len + 1)
			cap *= 2;
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	if (len)
		memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void cli_buf_adds(struct cli_buf *b, const char *s)
{
	cli_buf_add(b, s, strlen(s));
}

void cli_buf_addc(struct cli_buf *b, char c)
{
	cli_buf_add(b, &c, 1);
}

void cli_buf_printf(struct cli_buf *b, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	cli_buf_adds(b, s);
}

char *cli_buf_take(struct cli_buf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	*b = (struct cli_buf){ 0 };
	return s;
}

/* Length of the UTF-8 sequence at p (1..4) and its code point, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		c = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static void add_json_string(struct cli_buf *b, const char *s, size_t len, bool escape_html)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	cli_buf_addc(b, '"');
	while (p < end) {
		uint32_t cp = 0;
		size_t n = utf8_decode(p, &cp);
		if (n == 0) {
			cli_buf_adds(b, "\\ufffd");
			p++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			cli_buf_addc(b, '\\');
			cli_buf_addc(b, (char)cp);
		} else if (cp == '\n') {
			cli_buf_adds(b, "\\n");
		} else if (cp == '\r') {
			cli_buf_adds(b, "\\r");
		} else if (cp == '\t') {
			cli_buf_adds(b, "\\t");
		} else if (cp < 0x20 || (escape_html && (cp == '<' || cp == '>' || cp == '&')) ||
			   cp == 0x2028 || cp == 0x2029) {
			cli_buf_printf(b, "\\u%04x", cp);
		} else {
			cli_buf_add(b, p, n);
		}
		p += n;
	}
	cli_buf_addc(b, '"');
}

static void add_newline_indent(struct cli_buf *b, const char *indent, int depth)
{
	cli_buf_addc(b, '\n');
	for (int i = 0; i < depth; i++)
		cli_buf_adds(b, indent);
}

static void add_json(struct cli_buf *b, json_object *v, const char *indent, bool html, int depth)
{
	size_t n, i = 0;

	switch (json_object_get_type(v)) {
	case json_type_null:
		cli_buf_adds(b, "null");
		break;
	case json_type_boolean:
		cli_buf_adds(b, json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) > INT64_MAX)
			cli_buf_printf(b, "%llu", (unsigned long long)json_object_get_uint64(v));
		else
			cli_buf_printf(b, "%lld", (long long)json_object_get_int64(v));
		break;
	case json_type_double:
		cli_buf_adds(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_string:
		add_json_string(b, json_object_get_string(v), (size_t)json_object_get_string_len(v),
				html);
		break;
	case json_type_array:
		n = json_object_array_length(v);
		cli_buf_addc(b, '[');
		for (i = 0; i < n; i++) {
			if (i > 0)
				cli_buf_addc(b, ',');
			if (indent)
				add_newline_indent(b, indent, depth + 1);
			add_json(b, json_object_array_get_idx(v, i), indent, html, depth + 1);
		}
		if (indent && n > 0)
			add_newline_indent(b, indent, depth);
		cli_buf_addc(b, ']');
		break;
	case json_type_object:
		cli_buf_addc(b, '{');
		json_object_object_foreach (v, key, val) {
			if (i++ > 0)
				cli_buf_addc(b, ',');
			if (indent)
				add_newline_indent(b, indent, depth + 1);
			add_json_string(b, key, strlen(key), html);
			cli_buf_adds(b, indent ? ": " : ":");
			add_json(b, val, indent, html, depth + 1);
		}
		if (indent && i > 0)
			add_newline_indent(b, indent, depth);
		cli_buf_addc(b, '}');
		break;
	}
}

void cli_buf_add_json(struct cli_buf *b, json_object *v, const char *indent, bool escape_html)
{
	add_json(b, v, indent, escape_html, 0);
}

void cli_buf_add_quoted(struct cli_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	cli_buf_addc(b, '"');
	while (*p) {
		uint32_t cp = 0;
		size_t n = utf8_decode(p, &cp);
		if (n == 0) {
			cli_buf_printf(b, "\\x%02x", *p++);
			continue;
		}
		switch (cp) {
		case '\a':
			cli_buf_adds(b, "\\a");
			break;
		case '\b':
			cli_buf_adds(b, "\\b");
			break;
		case '\f':
			cli_buf_adds(b, "\\f");
			break;
		case '\n':
			cli_buf_adds(b, "\\n");
			break;
		case '\r':
			cli_buf_adds(b, "\\r");
			break;
		case '\t':
			cli_buf_adds(b, "\\t");
			break;
		case '\v':
			cli_buf_adds(b, "\\v");
			break;
		case '"':
		case '\\':
			cli_buf_addc(b, '\\');
			cli_buf_addc(b, (char)cp);
			break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				cli_buf_printf(b, "\\x%02x", cp);
			else
				cli_buf_add(b, p, n);
		}
		p += n;
	}
	cli_buf_addc(b, '"');
}
