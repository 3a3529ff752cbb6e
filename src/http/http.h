/* berth http: the daemon's event loop (http-loop.h) and its HTTP/1.1 server.
 * Server: HTTP/1.1 over unix and TCP sockets (TLS optional), keep-alive,
 * files by sendfile, pipelining-safe, incremental parsing with hard limits
 * (header bytes, header count, line length, body size), Content-Length and
 * chunked request bodies, responses with Content-Length or chunked streaming
 * with backpressure, and the connection hijack (101 Switching Protocols) that
 * Docker's attach and exec use. Requests are reference counted: a handler may
 * answer later (wait, events, logs -f) and learns through a close callback
 * when the client goes.
 *
 * Errors in the protocol (bad request line, oversized headers, bad chunk
 * framing) are answered by the server itself with 400/413/431 and the
 * connection is closed; handlers never see such requests.
 */
#ifndef BERTH_HTTP_H
#define BERTH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "http-loop.h"

struct json_object;

/* ---- server ---- */
struct http_limits {
	size_t max_header_bytes;  /* request line + headers; default 64 KiB -> 431 */
	size_t max_headers;	  /* default 100 -> 431 */
	size_t max_body;	  /* buffered bodies; default 8 MiB -> 413 */
	unsigned idle_timeout_ms; /* keep-alive idle connections; default 120 s */
	unsigned max_connections; /* default 1024; more are refused */
};

struct http_server;
struct http_request;

typedef void (*http_handler)(struct http_request *req, void *data);

/* Route flags. */
enum {
	HTTP_ROUTE_STREAM_BODY = 1 << 0, /* body delivered through http_request_read_body */
};

/* A router: method + pattern, "/containers/{id}/start"; "{name}" matches one
 * path segment, "{name*}" the rest of the path (image names contain '/').
 * Routes are tried in the order added. */
struct http_router;
int http_router_new(struct http_router **ret);
struct http_router *http_router_free(struct http_router *r);
void http_router_add(struct http_router *r, const char *method, const char *pattern, unsigned flags,
		     http_handler h, void *data);
/* Called for requests no route matches (the server answers 404 if NULL). */
void http_router_set_fallback(struct http_router *r, http_handler h, void *data);
/* Strip a leading "/vX.Y" and expose it as http_request_api_version (0 when absent). */
void http_router_set_version_prefix(struct http_router *r, bool enable);

/* Listen on a unix socket at path (replacing a stale socket file), with mode
 * and group (gid -1: unchanged). */
int http_server_new_unix(struct http_loop *l, const char *path, mode_t mode, gid_t gid,
			 const struct http_limits *limits, struct http_router *router,
			 struct http_server **ret, struct berth_error **err);
/* Listen on TCP at "HOST:PORT", "[V6]:PORT" or ":PORT" (any, v6 and v4). */
int http_server_new_tcp(struct http_loop *l, const char *addr, const struct http_limits *limits,
			struct http_router *router, struct http_server **ret,
			struct berth_error **err);
/* Serve TLS (PEM certificate chain and key files) on accepted connections. */
int http_server_set_tls(struct http_server *s, const char *cert_file, const char *key_file,
			struct berth_error **err);
struct http_server *http_server_free(struct http_server *s);
/* Headers added to every response (Api-Version, Server, ...). */
void http_server_add_default_header(struct http_server *s, const char *name, const char *value);

/* ---- requests ---- */
struct http_request *http_request_ref(struct http_request *req);
struct http_request *http_request_unref(struct http_request *req);
const char *http_request_method(const struct http_request *req);
const char *http_request_path(const struct http_request *req);	   /* decoded, no query */
unsigned http_request_api_version(const struct http_request *req); /* 141 for "/v1.41", 0 none */
/* The client's address ("127.0.0.1", "::1", "unix"). */
const char *http_request_peer(const struct http_request *req);
/* A path parameter of the matched route, decoded ("{id}" -> "abc"). */
const char *http_request_param(const struct http_request *req, const char *name);
/* Query parameters, decoded; NULL when absent. Repeated keys: the first. */
const char *http_request_query(const struct http_request *req, const char *key);
/* Every value of a repeated query key ("names=a&names=b"), or NULL. */
char **http_request_query_all(const struct http_request *req, const char *key);
/* Docker's boolean query values: "1", "true", "True" are true; absent is def. */
bool http_request_query_bool(const struct http_request *req, const char *key, bool def);
/* Header value (case-insensitive name); NULL when absent. */
const char *http_request_header(const struct http_request *req, const char *name);
/* The buffered body (routes without HTTP_ROUTE_STREAM_BODY), NUL-terminated. */
const char *http_request_body(const struct http_request *req, size_t *ret_len);
/* Parse the buffered body as a JSON object (empty body: NULL and 0). Errors are
 * answered 400 by the caller with the returned message. */
int http_request_body_json(struct http_request *req, struct json_object **ret,
			   struct berth_error **err);
/* Called once if the client disconnects before the response is complete. */
void http_request_on_close(struct http_request *req, void (*cb)(struct http_request *, void *),
			   void *data);

/* Streamed request bodies (HTTP_ROUTE_STREAM_BODY): on_data gets each piece
 * (de-chunked) and returns 0 to go on or a negative errno to abort (the
 * server then answers 400 unless the handler already responded); on_end gets
 * 0 at the end of the body or a negative errno when the client went away. */
typedef int (*http_body_data_cb)(struct http_request *req, const void *data, size_t len,
				 void *user);
typedef void (*http_body_end_cb)(struct http_request *req, int error, void *user);
void http_request_read_body(struct http_request *req, http_body_data_cb on_data,
			    http_body_end_cb on_end, void *user);

/* ---- responses ---- */
/* A complete response. body may be NULL with len 0 (e.g. 204). */
void http_respond(struct http_request *req, int status, const char *content_type, const void *body,
		  size_t len);
void http_respond_json(struct http_request *req, int status, struct json_object *obj);
/* Answer with length bytes of fd at offset, by sendfile(2); fd is the server's now. */
void http_respond_file(struct http_request *req, int status, const char *content_type, int fd,
		       uint64_t offset, uint64_t length);
/* Docker's error body {"message": "..."} with Content-Type application/json. */
void http_respond_error(struct http_request *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Extra header on the next response of req (before respond/stream_begin). */
void http_response_add_header(struct http_request *req, const char *name, const char *value);

/* Streaming response: headers go out at once (chunked, no Content-Length). */
void http_stream_begin(struct http_request *req, int status, const char *content_type);
/* Queue data; returns the bytes still buffered for this client (producers
 * pause above a watermark: http_stream_on_drain). */
size_t http_stream_write(struct http_request *req, const void *data, size_t len);
size_t http_stream_write_json(struct http_request *req, struct json_object *obj); /* + "\n" */
void http_stream_on_drain(struct http_request *req, void (*cb)(struct http_request *, void *),
			  void *data);
void http_stream_end(struct http_request *req);
/* A bulk stream (a tar): a 4 MiB socket send buffer, fewer wake-ups. */
void http_stream_bulk(struct http_request *req);

/* Hijack (attach, exec start): answer "HTTP/1.1 101 UPGRADED" with
 * content_type (or moby's raw "200 OK" without an Upgrade header), consume
 * the rest of the request body, and hand over the connection: *ret_fd is now
 * the caller's (still O_NONBLOCK), and bytes the client sent after the
 * request are in *ret_pending (caller frees). The request is finished. */
int http_hijack(struct http_request *req, const char *content_type, int *ret_fd, char **ret_pending,
		size_t *ret_pending_len, struct berth_error **err);

const char *http_status_text(int status);

#endif
