/* libFuzzer target: bytes from a client into the HTTP request parser, as a
 * connection sees them: in pieces (the first byte picks the piece size),
 * requests one after another (pipelined), each head parsed, routed and its
 * body de-framed. Every input must be parsed or refused with a status,
 * without crashing or leaking. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void h_none(struct http_request *req, void *data)
{
}

static struct http_router *router(void)
{
	static struct http_router *r;

	if (r)
		return r;
	(void)http_router_new(&r);
	http_router_set_version_prefix(r, true);
	http_router_add(r, "GET", "/_ping", 0, h_none, NULL);
	http_router_add(r, "POST", "/containers/{id}/start", 0, h_none, NULL);
	http_router_add(r, "GET", "/images/{name*}/json", 0, h_none, NULL);
	http_router_add(r, "DELETE", "/images/{name*}", 0, h_none, NULL);
	http_router_add(r, "POST", "/a/{b}/{c*}/d/{e}", HTTP_ROUTE_STREAM_BODY, h_none, NULL);
	return r;
}

static void touch(struct http_request *req)
{
	size_t n = 0;

	(void)http_request_header(req, "Host");
	(void)http_request_query(req, "filters");
	(void)http_request_query_bool(req, "all", false);
	char **all = http_request_query_all(req, "names");
	strv_free(all);
	for (size_t i = 0; i < req->n_params; i++)
		n += strlen(req->params[i].value);
	for (size_t i = 0; i < req->n_headers; i++)
		n += strlen(req->headers[i].name) + strlen(req->headers[i].value);
	(void)n;
}

/* De-frame a body from in[0..len) in pieces; the bytes it used. */
static size_t body(struct http_request *req, const char *in, size_t len, size_t step)
{
	struct http_body_decoder d;
	size_t off = 0, avail = 0, total = 0;
	int r = 0;

	http_body_decoder_init(&d, req->body_kind, req->content_length);
	while (r == 0 && avail < len) {
		avail = avail + step > len ? len : avail + step;
		for (;;) {
			const char *p;
			size_t used, dlen;
			r = http_body_decode(&d, in + off, avail - off, &used, &p, &dlen);
			if (dlen && (p < in + off || p + dlen > in + off + used))
				__builtin_trap();
			total += dlen;
			off += used;
			if (r != 0 || used == 0)
				break;
		}
	}
	if (total > off)
		__builtin_trap();
	return r == 1 ? off : len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits lim = { .max_header_bytes = 4096, .max_headers = 32 };
	const char *in;
	size_t step, off = 0;

	if (size < 1)
		return 0;
	log_set_level(LOG_LEVEL_ERROR);
	step = data[0] % 17 ? data[0] % 17 : size;
	in = (const char *)data + 1;
	size--;
	http_limits_normalize(&lim, &lim);
	for (int n = 0; n < 8 && off < size; n++) {
		struct http_head_scanner s;
		struct http_parse_error e = { 0 };
		struct http_request *req = NULL;
		size_t avail = 0;
		int r = 0;

		http_head_scanner_reset(&s);
		while (r == 0 && avail < size - off) {
			avail = avail + step > size - off ? size - off : avail + step;
			r = http_head_scan(&s, in + off, avail, &lim);
		}
		if (r <= 0)
			break;
		if (http_request_parse_head(in + off + s.start, s.end - s.start, s.n_lines, &req,
					    &e) < 0) {
			if (e.status < 400 || e.status > 505)
				__builtin_trap();
			break;
		}
		off += s.end;
		(void)http_router_match(router(), req);
		touch(req);
		off += body(req, in + off, size - off, step);
		http_request_unref(req);
	}
	return 0;
}
