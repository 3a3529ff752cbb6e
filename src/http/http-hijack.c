/* The connection hijack of attach and exec: answer 101 (or moby's raw 200),
 * write that synchronously, and hand the socket and the bytes read past the
 * request over to the caller. */
#define LOG_CATEGORY "http"
#include <poll.h>
#include <string.h>

#include "http-conn-internal.h"

#define HIJACK_FLUSH_TIMEOUT_MS 2000

/* Drop the rest of a streamed request body from the input buffer (docker-modem
 * sends an empty chunked body with its upgrade requests). */
static void consume_body(struct http_conn *c, struct http_request *req)
{
	while (!req->body_done && c->in_off < c->in_len) {
		const char *data;
		size_t used, dlen;
		int r = http_body_decode(&c->body, c->in + c->in_off, c->in_len - c->in_off, &used,
					 &data, &dlen);
		if (r < 0)
			return;
		c->in_off += used;
		if (r == 1)
			req->body_done = true;
		if (used == 0)
			return;
	}
}

int http_conn_flush_sync(struct http_conn *c)
{
	uint64_t deadline = now_usec_monotonic() / 1000 + HIJACK_FLUSH_TIMEOUT_MS;

	for (;;) {
		int r = http_conn_flush(c);
		if (r < 0)
			return r;
		if (http_conn_queued(c) == 0)
			return 0;
		uint64_t now = now_usec_monotonic() / 1000;
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return -errno;
	}
}

int http_hijack(struct http_request *req, const char *content_type, int *ret_fd, char **ret_pending,
		size_t *ret_pending_len, struct berth_error **err)
{
	struct http_conn *c = req ? req->conn : NULL;
	_cleanup_free_ char *head = NULL;
	int r;

	if (!c)
		return berth_error_set(err, ECONNRESET, BERTH_ERR_UNAVAILABLE,
				       "hijack: the client is gone");
	if (req->responded)
		return berth_error_set(err, EBUSY, BERTH_ERR_INTERNAL,
				       "hijack: a response was already sent");
	if (c->ssl)
		return berth_error_set(err, ENOTSUP, BERTH_ERR_INVALID,
				       "hijack: not supported on TLS connections");
	consume_body(c, req);
	if (req->has_upgrade)
		head = xasprintf("HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\n"
				 "Connection: Upgrade\r\nUpgrade: tcp\r\n",
				 content_type ? content_type : "application/vnd.docker.raw-stream");
	else
		head = xstrdup(
			"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n");
	http_conn_ref(c);
	req->responded = req->complete = true;
	/* Queued behind a "100 Continue" perhaps, then written at once. */
	http_conn_append(c, head, strlen(head));
	http_conn_append(c, c->srv->default_headers, c->srv->default_len);
	http_conn_append(c, req->extra_headers, req->extra_len);
	http_conn_append(c, "\r\n", 2);
	r = http_conn_flush_sync(c);
	if (r < 0) {
		http_conn_close(c);
		http_conn_unref(c);
		return berth_error_set(err, -r, BERTH_ERR_UNAVAILABLE,
				       "hijack: write the response");
	}
	size_t n = c->in_len - c->in_off;
	char *pending = n ? xmalloc(n) : NULL;
	if (n)
		memcpy(pending, c->in + c->in_off, n);
	struct http_request *own = TAKE_PTR(c->req);
	int fd = http_conn_take_fd(c);
	http_conn_unref(c);
	http_request_detach(own, 0);
	http_request_unref(own);
	*ret_fd = fd;
	*ret_pending = pending;
	*ret_pending_len = n;
	return 0;
}
