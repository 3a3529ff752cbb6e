/* libFuzzer target: bytes from a client into the HTTP server. The first byte
 * picks the piece size and the mode: the parser alone (requests one after
 * another, each head parsed, routed and its body de-framed), or a whole
 * connection over a socketpair with handlers that answer at once, later,
 * as streams, read streamed bodies or hijack. Every input must be answered
 * or refused without crashing, hanging or leaking. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sys/socket.h>
#include <unistd.h>

#include "http-conn-internal.h"
#include "json-util.h"

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

/* The parser alone: pipelined requests in pieces of step bytes. */
static void fuzz_parser(const char *in, size_t size, size_t step)
{
	struct http_limits lim = { .max_header_bytes = 4096, .max_headers = 32 };
	size_t off = 0;

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
}

/* ---- a whole connection over a socketpair, with handlers of every kind ---- */

struct conn_fuzz {
	struct http_loop *l;
	struct http_server srv;
	struct http_router *router;
	int cfd;
	const char *in;
	size_t size, off, step;
	int rounds, jobs;
	bool shut;
};

static struct conn_fuzz *fuzz_current;

static void later_fire(struct http_loop *l, void *data)
{
	struct http_request *req = data;

	http_stream_write(req, "late", 4);
	http_stream_end(req);
	http_respond(req, 200, "text/plain", "later", 5);
	http_request_unref(req);
	fuzz_current->jobs--;
}

static void later_closed(struct http_request *req, void *data)
{
}

static void h_sync(struct http_request *req, void *data)
{
	size_t len;
	const char *b = http_request_body(req, &len);

	http_response_add_header(req, "X-A", http_request_query(req, "a") ? "1" : "0");
	http_respond(req, 200, "text/plain", b, len);
}

static void h_later(struct http_request *req, void *data)
{
	struct conn_fuzz *z = data;

	http_request_on_close(req, later_closed, z);
	if (http_request_query_bool(req, "stream", false))
		http_stream_begin(req, 200, "application/json");
	z->jobs++;
	http_loop_add_timer(z->l, 0, later_fire, http_request_ref(req));
}

static void h_json(struct http_request *req, void *data)
{
	struct berth_error *err = NULL;
	json_object *obj = NULL;

	if (http_request_body_json(req, &obj, &err) < 0)
		http_respond_error(req, 400, "%s", err->msg);
	else
		http_respond_json(req, 201, obj);
	json_object_put(obj);
	berth_error_free(err);
}

static int upload_data(struct http_request *req, const void *data, size_t len, void *user)
{
	return len > 100 ? -EFBIG : 0;
}

static void upload_end(struct http_request *req, int error, void *user)
{
	if (!error)
		http_respond(req, 204, NULL, NULL, 0);
	http_request_unref(req);
}

static void h_upload(struct http_request *req, void *data)
{
	http_request_read_body(http_request_ref(req), upload_data, upload_end, data);
}

static void h_hijack(struct http_request *req, void *data)
{
	char *pending = NULL;
	size_t len = 0;
	int fd = -1;

	if (http_hijack(req, "application/vnd.docker.raw-stream", &fd, &pending, &len, NULL) == 0) {
		(void)close(fd);
		free(pending);
	}
}

static void conn_pump(struct http_loop *l, void *data)
{
	struct conn_fuzz *z = data;
	char buf[65536];

	if (z->off < z->size) {
		size_t n = z->size - z->off < z->step ? z->size - z->off : z->step;
		ssize_t w = send(z->cfd, z->in + z->off, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0)
			z->off += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			z->off = z->size;
	} else if (!z->shut) {
		(void)shutdown(z->cfd, SHUT_WR);
		z->shut = true;
	}
	while (read(z->cfd, buf, sizeof(buf)) > 0)
		;
	if (z->shut && ++z->rounds > 8 && z->jobs == 0)
		http_loop_stop(l);
	else
		http_loop_add_timer(l, 0, conn_pump, z);
}

static void conn_wait_jobs(struct http_loop *l, void *data)
{
	struct conn_fuzz *z = data;

	if (z->jobs == 0)
		http_loop_stop(l);
	else
		http_loop_add_timer(l, 0, conn_wait_jobs, z);
}

static void fuzz_connection(const char *in, size_t size, size_t step)
{
	static const struct http_limits lim = { .max_header_bytes = 2048,
						.max_headers = 16,
						.max_body = 4096 };
	struct conn_fuzz z = { .in = in, .size = size, .step = step };
	int sv[2];

	fuzz_current = &z;
	if (http_loop_new(&z.l, NULL) < 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	(void)http_router_new(&z.router);
	http_router_set_version_prefix(z.router, true);
	http_router_add(z.router, "GET", "/sync", 0, h_sync, &z);
	http_router_add(z.router, "POST", "/sync", 0, h_sync, &z);
	http_router_add(z.router, "GET", "/later/{x*}", 0, h_later, &z);
	http_router_add(z.router, "POST", "/json", 0, h_json, &z);
	http_router_add(z.router, "PUT", "/upload", HTTP_ROUTE_STREAM_BODY, h_upload, &z);
	http_router_add(z.router, "POST", "/hijack", 0, h_hijack, &z);
	z.srv.loop = z.l;
	z.srv.fd = -1;
	z.srv.router = z.router;
	http_limits_normalize(&z.srv.lim, &lim);
	http_server_add_default_header(&z.srv, "Api-Version", "1.45");
	z.cfd = sv[1];
	http_conn_new(&z.srv, sv[0], "unix");
	http_loop_add_timer(z.l, 0, conn_pump, &z);
	(void)http_loop_run(z.l);
	while (z.srv.conns)
		http_conn_close(z.srv.conns);
	http_loop_add_timer(z.l, 0, conn_wait_jobs, &z);
	(void)http_loop_run(z.l);
	(void)close(z.cfd);
	free(z.srv.default_headers);
	http_router_free(z.router);
	http_loop_free(z.l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step;

	if (size < 1)
		return 0;
	log_set_level(LOG_LEVEL_ERROR);
	step = (data[0] & 0x7f) % 17 ? (data[0] & 0x7f) % 17 : size;
	if (data[0] & 0x80)
		fuzz_connection((const char *)data + 1, size - 1, step);
	else
		fuzz_parser((const char *)data + 1, size - 1, step);
	return 0;
}
