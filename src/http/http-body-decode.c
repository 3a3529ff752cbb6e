/* Request body framing: Content-Length, and chunked with extensions and
 * trailers skipped within limits (RFC 9112 section 7.1). */
#include <string.h>

#include "http-parser-internal.h"

enum {
	CH_SIZE,    /* hex digits */
	CH_SIZE_WS, /* blanks after the size */
	CH_EXT,	    /* ";ext" up to the end of the line */
	CH_SIZE_LF, /* '\n' after '\r' */
	CH_DATA,
	CH_DATA_CR, /* the CRLF after the data */
	CH_DATA_LF,
	CH_TRAILER,
	CH_MAX,
};

#define MAX_CHUNK_SIZE ((uint64_t)1 << 60)

void http_body_decoder_init(struct http_body_decoder *d, enum http_body_kind kind, uint64_t len)
{
	*d = (struct http_body_decoder){ .kind = kind, .state = CH_SIZE };
	if (kind == HTTP_BODY_LENGTH)
		d->remaining = len;
	d->done = kind == HTTP_BODY_NONE || (kind == HTTP_BODY_LENGTH && len == 0);
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The end of a size line: a chunk follows, or the trailer. */
static void size_line_done(struct http_body_decoder *d)
{
	d->state = d->remaining ? CH_DATA : CH_TRAILER;
	d->line_len = 0;
}

/* One framing byte; 1 when the body is complete, -EBADMSG when malformed. */
static int chunk_byte(struct http_body_decoder *d, char c)
{
	int h;

	switch (d->state) {
	case CH_SIZE:
		if ((h = hexdigit(c)) >= 0) {
			if (++d->digits > 15 || d->remaining * 16 + (unsigned)h > MAX_CHUNK_SIZE)
				return -EBADMSG;
			d->remaining = d->remaining * 16 + (unsigned)h;
			return 0;
		}
		if (d->digits == 0)
			return -EBADMSG;
		d->state = CH_SIZE_WS;
		return chunk_byte(d, c);
	case CH_SIZE_WS:
		if (c == ' ' || c == '\t')
			return 0;
		if (c == ';') {
			d->state = CH_EXT;
			return 0;
		}
		if (c == '\r') {
			d->state = CH_SIZE_LF;
			return 0;
		}
		if (c != '\n')
			return -EBADMSG;
		size_line_done(d);
		return 0;
	case CH_EXT:
		if (++d->line_len > HTTP_MAX_CHUNK_LINE)
			return -EBADMSG;
		if (c == '\n')
			size_line_done(d);
		return 0;
	case CH_SIZE_LF:
		if (c != '\n')
			return -EBADMSG;
		size_line_done(d);
		return 0;
	case CH_DATA_CR:
		if (c == '\r') {
			d->state = CH_DATA_LF;
			return 0;
		}
		__attribute__((fallthrough)); /* a bare '\n' ends the chunk too */
	case CH_DATA_LF:
		if (c != '\n')
			return -EBADMSG;
		d->state = CH_SIZE;
		d->digits = 0;
		d->remaining = 0;
		return 0;
	case CH_TRAILER:
		if (++d->trailer_len > HTTP_MAX_TRAILER)
			return -EBADMSG;
		if (c == '\n') {
			if (d->line_len == 0)
				return 1;
			d->line_len = 0;
		} else if (c != '\r') {
			d->line_len++;
		}
		return 0;
	case CH_DATA:
	case CH_MAX:
	default:
		return -EBADMSG;
	}
}

int http_body_decode(struct http_body_decoder *d, const char *in, size_t len, size_t *ret_used,
		     const char **ret_data, size_t *ret_data_len)
{
	size_t i = 0;

	*ret_used = 0;
	*ret_data = NULL;
	*ret_data_len = 0;
	if (d->done)
		return 1;
	if (d->kind == HTTP_BODY_LENGTH) {
		size_t n = d->remaining < len ? (size_t)d->remaining : len;
		d->remaining -= n;
		*ret_used = n;
		*ret_data = in;
		*ret_data_len = n;
		d->done = d->remaining == 0;
		return d->done ? 1 : 0;
	}
	if (d->kind != HTTP_BODY_CHUNKED)
		return -EBADMSG;
	while (i < len) {
		if (d->state == CH_DATA) {
			size_t n = d->remaining < len - i ? (size_t)d->remaining : len - i;
			d->remaining -= n;
			if (d->remaining == 0)
				d->state = CH_DATA_CR;
			*ret_used = i + n;
			*ret_data = in + i;
			*ret_data_len = n;
			return 0;
		}
		int r = chunk_byte(d, in[i++]);
		if (r < 0)
			return r;
		if (r > 0) {
			d->done = true;
			*ret_used = i;
			return 1;
		}
	}
	*ret_used = i;
	return 0;
}
