/* Template tokenizer: text, {{ }} with trim markers and comments, and the
 * tokens of actions. */
#define LOG_CATEGORY "cli-template"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli-template-impl-internal.h"

struct lexer {
	const char *name;
	const char *text;
	size_t pos;
	struct tmpl_token *toks;
	size_t n, cap;
};

int tmpl_parse_error(const char *name, const char *text, size_t pos, struct berth_error **err,
		     const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	size_t line = 1;
	va_list ap;

	for (size_t i = 0; i < pos && text[i]; i++)
		if (text[i] == '\n')
			line++;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "template: %s:%zu: %s", name, line, msg);
}

void tmpl_tokens_free(struct tmpl_token *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].val);
	free(t);
}

static void emit(struct lexer *l, enum tmpl_tok type, size_t pos, const char *val, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->toks = xrealloc(l->toks, l->cap * sizeof(*l->toks));
	}
	l->toks[l->n++] = (struct tmpl_token){ type, pos, val ? xstrndup(val, len) : NULL, len };
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* Where the next action starts, or NULL. */
static const char *next_left(const char *p)
{
	return strstr(p, "{{");
}

/* "{{- " trims the text before; " -}}" the text after. */
static bool left_trims(const char *p)
{
	return p[2] == '-' && is_space(p[3]);
}

/* A quoted string "..." starting at p; its value unescaped into *out. */
static int lex_quote(struct lexer *l, const char *p, size_t *ret_len, struct cli_buf *out,
		     struct berth_error **err)
{
	const char *s = p + 1;

	while (*s && *s != '"') {
		if (*s == '\n')
			return tmpl_parse_error(l->name, l->text, (size_t)(p - l->text), err,
						"unterminated quoted string");
		if (*s != '\\') {
			cli_buf_addc(out, *s++);
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			cli_buf_addc(out, '\n');
			break;
		case 't':
			cli_buf_addc(out, '\t');
			break;
		case 'r':
			cli_buf_addc(out, '\r');
			break;
		case '\\':
		case '"':
		case '\'':
			cli_buf_addc(out, *s);
			break;
		case 'x':
			if (isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
				char hex[3] = { s[1], s[2], 0 };
				cli_buf_addc(out, (char)strtol(hex, NULL, 16));
				s += 2;
				break;
			}
			/* fall through */
		default:
			return tmpl_parse_error(l->name, l->text, (size_t)(p - l->text), err,
						"invalid syntax");
		}
		s++;
	}
	if (*s != '"')
		return tmpl_parse_error(l->name, l->text, (size_t)(p - l->text), err,
					"unterminated quoted string");
	*ret_len = (size_t)(s + 1 - p);
	return 0;
}

static size_t number_len(const char *p)
{
	const char *s = p;

	if (*s == '+' || *s == '-')
		s++;
	while (isalnum((unsigned char)*s) || *s == '.' || *s == '_' ||
	       ((*s == '+' || *s == '-') && (s[-1] == 'e' || s[-1] == 'E')))
		s++;
	return (size_t)(s - p);
}

/* One token inside an action at p; returns its length, 0 at the right delimiter. */
static int lex_inside(struct lexer *l, const char *p, size_t *ret_len, struct berth_error **err)
{
	size_t pos = (size_t)(p - l->text), n = 1;
	_cleanup_buf_ struct cli_buf str = { 0 };
	int r;

	if (is_space(*p)) {
		while (is_space(p[n]))
			n++;
		if (p[n] == '-' && p[n + 1] == '}' && p[n + 2] == '}') {
			*ret_len = 0;
			return 0;
		}
		emit(l, TOK_SPACE, pos, NULL, 0);
	} else if (*p == '.' && is_alnum(p[1]) && !isdigit((unsigned char)p[1])) {
		while (is_alnum(p[n]))
			n++;
		emit(l, TOK_FIELD, pos, p + 1, n - 1);
	} else if (*p == '.') {
		emit(l, TOK_DOT, pos, NULL, 0);
	} else if (*p == '$') {
		while (is_alnum(p[n]))
			n++;
		emit(l, TOK_VAR, pos, p, n);
	} else if (*p == '"') {
		r = lex_quote(l, p, &n, &str, err);
		if (r < 0)
			return r;
		emit(l, TOK_STRING, pos, str.s ? str.s : "", str.len);
	} else if (*p == '`') {
		const char *e = strchr(p + 1, '`');
		if (!e)
			return tmpl_parse_error(l->name, l->text, pos, err,
						"unterminated raw quoted string");
		n = (size_t)(e + 1 - p);
		emit(l, TOK_STRING, pos, p + 1, n - 2);
	} else if (*p == '\'') {
		if (!p[1] || p[2] != '\'')
			return tmpl_parse_error(l->name, l->text, pos, err,
						"unterminated character constant");
		n = 3;
		emit(l, TOK_CHAR, pos, p + 1, 1);
	} else if (isdigit((unsigned char)*p) ||
		   ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
		n = number_len(p);
		emit(l, TOK_NUMBER, pos, p, n);
	} else if (isalpha((unsigned char)*p) || *p == '_') {
		while (is_alnum(p[n]))
			n++;
		emit(l, TOK_IDENT, pos, p, n);
	} else if (*p == '|') {
		emit(l, TOK_PIPE, pos, NULL, 0);
	} else if (*p == '(') {
		emit(l, TOK_LPAREN, pos, NULL, 0);
	} else if (*p == ')') {
		emit(l, TOK_RPAREN, pos, NULL, 0);
	} else if (*p == ':' && p[1] == '=') {
		n = 2;
		emit(l, TOK_DECLARE, pos, NULL, 0);
	} else if (*p == '=') {
		emit(l, TOK_ASSIGN, pos, NULL, 0);
	} else if (*p == ',') {
		emit(l, TOK_COMMA, pos, NULL, 0);
	} else if (*p == '}' && p[1] == '}') {
		*ret_len = 0;
		return 0;
	} else if (*p == '\0') {
		return tmpl_parse_error(l->name, l->text, pos, err, "unclosed action");
	} else {
		return tmpl_parse_error(l->name, l->text, pos, err,
					"unrecognized character in action: %s",
					*p == '}' ? "U+007D '}'" : "invalid");
	}
	*ret_len = n;
	return 1;
}

/* A comment right after the left delimiter: skip it with the right one. */
static int lex_comment(struct lexer *l, const char *p, const char **ret_end, bool *ret_trim,
		       struct berth_error **err)
{
	const char *e = strstr(p, "*/");
	size_t pos = (size_t)(p - l->text);

	if (!e)
		return tmpl_parse_error(l->name, l->text, pos, err, "unclosed comment");
	e += 2;
	*ret_trim = false;
	if (e[0] == ' ' && e[1] == '-' && e[2] == '}' && e[3] == '}') {
		*ret_trim = true;
		e += 2;
	}
	if (e[0] != '}' || e[1] != '}')
		return tmpl_parse_error(l->name, l->text, pos, err,
					"comment ends before closing delimiter");
	*ret_end = e + 2;
	return 0;
}

/* Lex one action from the left delimiter at p; *ret_end is after its right one. */
static int lex_action(struct lexer *l, const char *p, const char **ret_end, bool *ret_trim,
		      struct berth_error **err)
{
	const char *s = p + 2;
	size_t n = 0;
	int r;

	if (left_trims(p))
		s += 2;
	if (s[0] == '/' && s[1] == '*')
		return lex_comment(l, s, ret_end, ret_trim, err);
	emit(l, TOK_LEFT, (size_t)(p - l->text), NULL, 0);
	for (;;) {
		r = lex_inside(l, s, &n, err);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		s += n;
	}
	while (is_space(*s))
		s++;
	*ret_trim = *s == '-';
	if (*s == '-')
		s++;
	emit(l, TOK_RIGHT, (size_t)(s - l->text), NULL, 0);
	*ret_end = s + 2;
	return 0;
}

int tmpl_lex(const char *name, const char *text, struct tmpl_token **ret, size_t *ret_n,
	     struct berth_error **err)
{
	struct lexer l = { .name = name, .text = text };
	const char *p = text;
	bool trim_next = false;
	int r = 0;

	for (;;) {
		const char *left = next_left(p);
		const char *end = left ? left : p + strlen(p);
		const char *start = p;

		if (trim_next)
			while (start < end && is_space(*start))
				start++;
		if (left && left_trims(left))
			while (end > start && is_space(end[-1]))
				end--;
		if (end > start)
			emit(&l, TOK_TEXT, (size_t)(start - text), start, (size_t)(end - start));
		if (!left)
			break;
		r = lex_action(&l, left, &p, &trim_next, err);
		if (r < 0) {
			tmpl_tokens_free(l.toks, l.n);
			return r;
		}
	}
	emit(&l, TOK_EOF, strlen(text), NULL, 0);
	*ret = l.toks;
	*ret_n = l.n;
	return 0;
}
