/* JSON strings as docker's json-file writes them (Go's escaping: <, > and &
 * as \u00XX, invalid UTF-8 as \ufffd, U+2028/U+2029 escaped), their decoding
 * for log replay, and Go's RFC3339Nano timestamps. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "monitor-internal.h"

/* Length of the valid UTF-8 sequence at p (Go's utf8.DecodeRune rules), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return len;
}

static bool ascii_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '\\' && c != '"' && c != '<' && c != '>' && c != '&';
}

void mon_json_escape(struct mon_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t len = 1;
		char esc[8];
		size_t elen = 0;

		if (ascii_plain(c)) {
			i++;
			continue;
		}
		if (c == '\\' || c == '"') {
			esc[0] = '\\';
			esc[1] = (char)c;
			elen = 2;
		} else if (c == '\n' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : 'r';
			elen = 2;
		} else if (c < 0x80) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			elen = 6;
		} else if ((len = utf8_len(p + i, n - i)) == 0) {
			memcpy(esc, "\\ufffd", 6);
			elen = 6;
			len = 1;
		} else if (len == 3 && c == 0xe2 && p[i + 1] == 0x80 &&
			   (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			memcpy(esc, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			elen = 6;
		} else {
			i += len;
			continue;
		}
		mon_buf_append(b, p + start, i - start);
		mon_buf_append(b, esc, elen);
		i += len;
		start = i;
	}
	mon_buf_append(b, p + start, n - start);
}

static int hex4(const char *p, size_t n, unsigned *ret)
{
	unsigned v = 0;

	if (n < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

static void put_utf8(struct mon_buf *b, unsigned cp)
{
	unsigned char o[4];
	size_t n;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		o[0] = (unsigned char)(0xf0 | (cp >> 18));
		o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	mon_buf_append(b, o, n);
}

/* p points after a backslash-u; returns the escape's length after the 'u'. */
static int unescape_u(const char *p, size_t n, struct mon_buf *out)
{
	unsigned cp, lo;

	if (hex4(p, n, &cp) < 0)
		return -EINVAL;
	if (cp >= 0xd800 && cp < 0xdc00 && n >= 10 && p[4] == '\\' && p[5] == 'u' &&
	    hex4(p + 6, n - 6, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
		put_utf8(out, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
		return 10;
	}
	put_utf8(out, cp >= 0xd800 && cp < 0xe000 ? 0xfffd : cp);
	return 4;
}

int mon_json_unescape(const char *p, size_t n, struct mon_buf *out)
{
	size_t i = 0, start = 0;

	while (i < n) {
		char c = p[i];
		if (c == '"') {
			mon_buf_append(out, p + start, i - start);
			return (int)(i + 1);
		}
		if (c != '\\') {
			i++;
			continue;
		}
		mon_buf_append(out, p + start, i - start);
		if (i + 1 >= n)
			return -EINVAL;
		char e = p[i + 1], lit;
		int used = 2;
		switch (e) {
		case 'b':
			lit = '\b';
			break;
		case 'f':
			lit = '\f';
			break;
		case 'n':
			lit = '\n';
			break;
		case 'r':
			lit = '\r';
			break;
		case 't':
			lit = '\t';
			break;
		case 'u': {
			int r = unescape_u(p + i + 2, n - i - 2, out);
			if (r < 0)
				return r;
			i += 2 + (size_t)r;
			start = i;
			continue;
		}
		default:
			lit = e;
			break;
		}
		mon_buf_append(out, &lit, 1);
		i += (size_t)used;
		start = i;
	}
	return -EINVAL;
}

void mon_time_format(char buf[static 40], int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	long frac = (long)(ns % 1000000000LL);
	struct tm tm;
	char digits[16] = "";

	(void)gmtime_r(&sec, &tm);
	/* Go's RFC3339Nano: trailing zeros of the fraction are dropped. */
	if (frac) {
		int len = snprintf(digits, sizeof(digits), ".%09ld", frac);
		while (digits[len - 1] == '0')
			digits[--len] = '\0';
	}
	(void)snprintf(buf, 40, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
		       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, digits);
}
