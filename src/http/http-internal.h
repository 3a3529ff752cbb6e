/* berth http: what the server, its connections, requests and the router
 * share. A connection holds one reference to its current request; a request
 * points back to its connection until the response is complete, the client
 * leaves or the connection is hijacked (req->conn is then NULL and every
 * response call on it is a no-op). Connections are reference counted too,
 * so that a callback may close the one it runs on.
 */
#ifndef BERTH_HTTP_INTERNAL_H
#define BERTH_HTTP_INTERNAL_H

#include <sys/uio.h>

#include "http.h"
#include "http-parser-internal.h"

#define HTTP_MAX_PARAMS	     8
#define HTTP_DRAIN_WATERMARK (64u * 1024)   /* on_drain fires at or below this */
#define HTTP_OUT_HIGH	     (1024u * 1024) /* no new request while more is queued */

struct http_header {
	const char *name;
	const char *value;
};

struct http_kv {
	const char *key;
	const char *value;
};

typedef void (*http_request_cb)(struct http_request *req, void *data);

struct http_request {
	unsigned refs;
	struct http_loop *loop;
	struct http_conn *conn;
	const char *method, *target, *full_path, *path;
	unsigned api_version, minor;
	struct http_header *headers;
	size_t n_headers;
	struct http_kv *query;
	size_t n_query;
	struct http_kv params[HTTP_MAX_PARAMS];
	size_t n_params;
	char *param_buf; /* room for the decoded path again, plus NULs */
	size_t param_used;
	enum http_body_kind body_kind;
	uint64_t content_length;
	bool expect_continue, has_upgrade, conn_close, conn_keep_alive, is_head;
	unsigned route_flags;
	char *body;
	size_t body_len, body_cap;
	http_body_data_cb on_data;
	http_body_end_cb on_end;
	void *body_user;
	bool reading_body, body_done, body_ended, sent_continue;
	char *extra_headers;
	size_t extra_len;
	bool responded, complete, streaming, stream_raw, no_body, gone, close_fired;
	http_request_cb close_cb, drain_cb;
	void *close_data, *drain_data;
	bool drain_armed;
	uint64_t close_timer;
	char storage[];
};

/* Parse a complete head (from http_head_scan: n_lines lines) into a new request. */
int http_request_parse_head(const char *head, size_t len, size_t n_lines, struct http_request **ret,
			    struct http_parse_error *perr);
/* The end of a request for its connection: on_end(error) for an unfinished
 * body reader, on_close when the response is incomplete; drops conn. */
void http_request_detach(struct http_request *req, int error);
/* Give data to the body reader, then on_end when end is 1 (complete) or a
 * negative errno (bad framing), or when on_data fails; returns its error. */
int http_request_feed_body(struct http_request *req, const char *data, size_t len, int end);

struct http_route {
	char *method;
	char **segs;
	size_t n_segs;
	unsigned flags;
	http_handler h;
	void *data;
};

struct http_router {
	struct http_route *routes;
	size_t n_routes;
	http_handler fallback;
	void *fallback_data;
	bool version_prefix;
};

/* Match req (method, full_path) and fill its path, api_version and params.
 * NULL when nothing matches. */
const struct http_route *http_router_match(const struct http_router *r, struct http_request *req);

enum http_conn_state {
	HTTP_CONN_HEAD,	  /* reading a request head */
	HTTP_CONN_BODY,	  /* reading a buffered body */
	HTTP_CONN_ACTIVE, /* the handler has the request */
	HTTP_CONN_CLOSED,
	HTTP_CONN_HIJACKED,
	HTTP_CONN_STATE_MAX,
};

struct http_server {
	struct http_loop *loop;
	int fd;
	char *path;
	dev_t dev;
	ino_t ino;
	struct http_limits lim;
	struct http_router *router;
	char *default_headers; /* "Name: value\r\n"... */
	size_t default_len;
	unsigned n_conns;
	struct http_conn *conns;
	uint64_t accept_timer;
};

struct http_conn {
	struct http_server *srv;
	struct http_conn *prev, *next;
	int fd;
	unsigned refs;
	enum http_conn_state state;
	uint32_t events;
	bool processing, close_after, broken, drain_check, read_eof;
	const struct http_route *route; /* of the request being read */
	char *in;
	size_t in_off, in_len, in_cap;
	char *out;
	size_t out_off, out_len, out_cap;
	struct http_head_scanner scan;
	struct http_body_decoder body;
	struct http_request *req;
	uint64_t idle_deadline, idle_timer, kick_timer;
};

struct http_conn *http_conn_ref(struct http_conn *c);
void http_conn_unref(struct http_conn *c);
/* Process the connection from the loop soon (not from inside the caller). */
void http_conn_kick(struct http_conn *c);
void http_conn_update_events(struct http_conn *c);
void http_conn_close(struct http_conn *c);
/* Hand the descriptor over (hijack): the connection leaves the loop and the
 * server without closing it. */
int http_conn_take_fd(struct http_conn *c);
/* Queue (writing at once when nothing is queued); errors mark it broken. */
void http_conn_send(struct http_conn *c, const struct iovec *iov, int n);
/* Queue without writing. */
void http_conn_append(struct http_conn *c, const void *p, size_t n);
/* Write what is queued; 0, or a negative errno when the client is gone. */
int http_conn_flush(struct http_conn *c);
static inline size_t http_conn_queued(const struct http_conn *c)
{
	return c->out_len - c->out_off;
}
/* The response to the current request is complete (queued). */
void http_conn_response_done(struct http_conn *c);
/* A protocol error: answer status with {"message"} and close. */
void http_conn_send_error(struct http_conn *c, int status, const char *reason);
/* After a writable event: fire on_drain of the current request when due. */
void http_conn_check_drain(struct http_conn *c);
/* Send "100 Continue" once when the client asked for it. */
void http_conn_send_continue(struct http_conn *c, struct http_request *req);

#endif
