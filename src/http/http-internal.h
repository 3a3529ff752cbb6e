/* berth http: requests and the router, as the parser, the router and the
 * server share them. A request points to its connection until the response
 * is complete, the client leaves or the connection is hijacked (req->conn is
 * then NULL and every response call on it is a no-op); see
 * http-conn-internal.h.
 */
#ifndef BERTH_HTTP_INTERNAL_H
#define BERTH_HTTP_INTERNAL_H

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
	char peer[48];
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

#endif
