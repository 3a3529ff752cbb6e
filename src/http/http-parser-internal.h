/* berth http: the HTTP/1.1 request parser, without sockets.
 *
 * The parser works on bytes a connection has buffered and keeps no pointer to
 * them between calls, so bytes may arrive one at a time. http_head_scan finds
 * the end of the request head (request line and header lines) and enforces
 * the size limits; http_request_parse_head turns a complete head into a
 * request (see http-internal.h); http_body_decode removes Content-Length or
 * chunked framing from the body. Failures return -EBADMSG and leave the HTTP
 * status to answer (400, 413, 414, 431, 501, 505) and a reason in the parser
 * state or in struct http_parse_error.
 */
#ifndef BERTH_HTTP_PARSER_INTERNAL_H
#define BERTH_HTTP_PARSER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define HTTP_MAX_REQUEST_LINE 32768 /* -> 414 (capped to max_header_bytes) */
#define HTTP_MAX_CHUNK_LINE   4096  /* chunk size line with its extensions */
#define HTTP_MAX_TRAILER      16384 /* trailer bytes after the last chunk, ignored */
#define HTTP_MAX_EMPTY_LINES  8	    /* empty lines tolerated before a request line */

struct http_parse_error {
	int status;
	const char *reason; /* static text */
};

/* Fill the zero fields of limits with the defaults of http.h. */
void http_limits_normalize(struct http_limits *dst, const struct http_limits *src);

struct http_head_scanner {
	size_t pos;	   /* bytes examined so far */
	size_t line_start; /* start of the line being read */
	size_t start;	   /* start of the request line, after leading empty lines */
	size_t end;	   /* end of the head (after its empty line) once complete */
	size_t n_lines;	   /* complete non-empty lines, the request line included */
	size_t n_empty;
	struct http_parse_error error;
};

void http_head_scanner_reset(struct http_head_scanner *s);
/* Look for the end of the head in buf[0..len), where buf grows between calls
 * (the same bytes at the same offsets). Returns 1 when complete (the head is
 * buf[s->start..s->end)), 0 when more bytes are needed, -EBADMSG on a limit or
 * framing error. */
int http_head_scan(struct http_head_scanner *s, const char *buf, size_t len,
		   const struct http_limits *lim);

/* Percent-decode in[0..len) into out (room for len + 1 bytes), NUL-terminated;
 * '+' becomes a space when plus_is_space. -EINVAL for a bad escape or a NUL. */
int http_percent_decode(const char *in, size_t len, bool plus_is_space, char *out, size_t *ret_len);

enum http_body_kind {
	HTTP_BODY_NONE,
	HTTP_BODY_LENGTH,
	HTTP_BODY_CHUNKED,
	HTTP_BODY_KIND_MAX,
};

struct http_body_decoder {
	enum http_body_kind kind;
	uint64_t remaining; /* LENGTH: bytes left; CHUNKED: bytes left in this chunk */
	unsigned state;
	unsigned digits;
	size_t line_len;
	size_t trailer_len;
	bool done;
};

void http_body_decoder_init(struct http_body_decoder *d, enum http_body_kind kind, uint64_t len);
/* Consume framing and data from in[0..len): *ret_used bytes were used and
 * [*ret_data, +*ret_data_len) within them is body data (at most one span per
 * call). Returns 1 when the body is complete, 0 to call again (when bytes
 * were used) or to wait for more, -EBADMSG for bad framing. */
int http_body_decode(struct http_body_decoder *d, const char *in, size_t len, size_t *ret_used,
		     const char **ret_data, size_t *ret_data_len);

#endif
