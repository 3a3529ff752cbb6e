/* berth http: the server and its connections. A connection holds one
 * reference to its current request and is reference counted itself, so that
 * a callback may close the connection it runs on; closing from inside an
 * API call is deferred to the kick (a zero-delay timer).
 */
#ifndef BERTH_HTTP_CONN_INTERNAL_H
#define BERTH_HTTP_CONN_INTERNAL_H

#include <sys/uio.h>

#include "http-internal.h"

struct ssl_ctx_st;
struct ssl_st;

#define HTTP_DRAIN_WATERMARK (64u * 1024)   /* on_drain fires at or below this */
#define HTTP_OUT_HIGH	     (1024u * 1024) /* no new request while more is queued */

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
	char *path; /* or the TCP address */
	bool tcp;
	dev_t dev;
	ino_t ino;
	struct http_limits lim;
	struct http_router *router;
	char *default_headers; /* "Name: value\r\n"... */
	size_t default_len;
	unsigned n_conns;
	struct http_conn *conns;
	uint64_t accept_timer;
	struct ssl_ctx_st *tls; /* NULL: plain connections */
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
	uint64_t idle_deadline, last_read_ms, idle_timer, kick_timer;
	int file_fd; /* http_respond_file: sent with sendfile after out */
	off_t file_off;
	uint64_t file_left;
	char peer[48]; /* the client's address ("127.0.0.1", "unix") */
	struct ssl_st *ssl;
	bool tls_want_write; /* OpenSSL waits for the socket to be writable */
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
	return c->out_len - c->out_off + (size_t)c->file_left;
}
/* Write what is queued, waiting up to 2 s for the client (hijack, handoff). */
int http_conn_flush_sync(struct http_conn *c);
/* Stop sending a file (closes it). */
void http_conn_file_reset(struct http_conn *c);
/* The response to the current request is complete (queued). */
void http_conn_response_done(struct http_conn *c);
/* A protocol error: answer status with {"message"} and close. */
void http_conn_send_error(struct http_conn *c, int status, const char *reason);
/* After a writable event: fire on_drain of the current request when due. */
void http_conn_check_drain(struct http_conn *c);
/* Send "100 Continue" once when the client asked for it. */
void http_conn_send_continue(struct http_conn *c, struct http_request *req);

/* TLS (http-tls.c): reads and writes as read(2)/write(2) answer them. */
int http_tls_conn_new(struct http_conn *c);
void http_tls_conn_free(struct http_conn *c);
void http_tls_server_free(struct http_server *s);
ssize_t http_tls_read(struct http_conn *c, void *buf, size_t n);
ssize_t http_tls_write(struct http_conn *c, const void *buf, size_t n);
bool http_tls_pending(const struct http_conn *c);

/* A new connection on an accepted descriptor (closed on failure); peer
 * names the client for access logs. */
void http_conn_new(struct http_server *s, int fd, const char *peer);

#endif
