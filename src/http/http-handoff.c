/* A request body read by another process (see http-handoff.h). The socket
 * stays non-blocking (its file description is shared with the process that
 * took it), so reads and the final write wait with poll(2). */
#define LOG_CATEGORY "http"
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-conn-internal.h"
#include "http-handoff.h"
#include "json-util.h"

#define HANDOFF_IDLE_MS	  120000
#define HANDOFF_WRITE_MS  2000
#define HANDOFF_DRAIN_BUF 65536

struct http_handoff {
	int fd;
	char *pending; /* bytes read by the server past the head */
	size_t pending_off, pending_len;
	struct http_body_decoder body;
	char *headers; /* the server's default headers and the request's extra ones */
	uint64_t received, max_bytes;
	int idle_ms;
};

int http_handoff_take(struct http_request *req, struct http_handoff **ret, struct berth_error **err)
{
	struct http_conn *c = req ? req->conn : NULL;

	if (!c)
		return berth_error_set(err, ECONNRESET, BERTH_ERR_UNAVAILABLE,
				       "handoff: the client is gone");
	if (req->responded || req->reading_body)
		return berth_error_set(err, EBUSY, BERTH_ERR_INTERNAL,
				       "handoff: the body is read or answered already");
	if (c->ssl)
		return berth_error_set(err, ENOTSUP, BERTH_ERR_INVALID,
				       "handoff: not supported on TLS connections");
	http_conn_send_continue(c, req);
	if (http_conn_flush_sync(c) < 0)
		return berth_error_set(err, ECONNRESET, BERTH_ERR_UNAVAILABLE,
				       "handoff: the client is gone");

	struct http_handoff *h = xzalloc(sizeof(*h));
	size_t dl = c->srv->default_headers ? c->srv->default_len : 0;
	h->headers = xmalloc(dl + req->extra_len + 1);
	if (dl)
		memcpy(h->headers, c->srv->default_headers, dl);
	if (req->extra_len)
		memcpy(h->headers + dl, req->extra_headers, req->extra_len);
	h->headers[dl + req->extra_len] = '\0';
	h->pending_len = c->in_len - c->in_off;
	if (h->pending_len) {
		h->pending = xmalloc(h->pending_len);
		memcpy(h->pending, c->in + c->in_off, h->pending_len);
	}
	h->body = c->body;
	h->max_bytes = UINT64_MAX;
	h->idle_ms = HANDOFF_IDLE_MS;

	http_conn_ref(c);
	req->responded = req->complete = true;
	struct http_request *own = TAKE_PTR(c->req);
	h->fd = http_conn_take_fd(c);
	http_conn_unref(c);
	http_request_detach(own, 0);
	http_request_unref(own);
	*ret = h;
	return 0;
}

void http_handoff_set_limits(struct http_handoff *h, uint64_t max_bytes, int idle_ms)
{
	h->max_bytes = max_bytes;
	h->idle_ms = idle_ms;
}

/* Raw bytes from the pending ones or the socket: > 0, or a negative errno. */
static ssize_t raw_read(struct http_handoff *h, char *buf, size_t n)
{
	if (h->pending_off < h->pending_len) {
		size_t k = h->pending_len - h->pending_off;
		if (k > n)
			k = n;
		memcpy(buf, h->pending + h->pending_off, k);
		h->pending_off += k;
		return (ssize_t)k;
	}
	for (;;) {
		ssize_t k = read(h->fd, buf, n);
		if (k > 0)
			return k;
		if (k == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return errno == ECONNRESET ? -EPIPE : -errno;
		struct pollfd p = { .fd = h->fd, .events = POLLIN };
		int r = poll(&p, 1, h->idle_ms);
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

ssize_t http_handoff_read(struct http_handoff *h, void *buf, size_t n)
{
	char *b = buf;

	if (n == 0)
		return 0;
	while (!h->body.done) {
		ssize_t got = raw_read(h, b, n);
		size_t in = 0, out = 0;
		if (got < 0)
			return got;
		/* the framing is removed in place: the data moves to the front */
		while (in < (size_t)got && !h->body.done) {
			const char *data;
			size_t used, dlen;
			int r = http_body_decode(&h->body, b + in, (size_t)got - in, &used, &data,
						 &dlen);
			if (r < 0)
				return r;
			if (dlen)
				memmove(b + out, data, dlen);
			out += dlen;
			in += used;
			if (used == 0)
				break;
		}
		h->received += out;
		if (h->received > h->max_bytes)
			return -EFBIG;
		if (out > 0)
			return (ssize_t)out;
	}
	return 0;
}

int http_handoff_drain(struct http_handoff *h, uint64_t limit)
{
	_cleanup_free_ char *buf = xmalloc(HANDOFF_DRAIN_BUF);
	uint64_t seen = 0;

	for (;;) {
		ssize_t n = http_handoff_read(h, buf, HANDOFF_DRAIN_BUF);
		if (n <= 0)
			return (int)n;
		seen += (uint64_t)n;
		if (seen > limit)
			return -EFBIG;
	}
}

static int write_all_wait(int fd, const char *p, size_t n)
{
	uint64_t deadline = now_usec_monotonic() / 1000 + HANDOFF_WRITE_MS;

	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN)
			return -errno;
		uint64_t now = now_usec_monotonic() / 1000;
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		if (poll(&pf, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

int http_handoff_respond(struct http_handoff *h, int status, const char *content_type,
			 const void *body, size_t len)
{
	_cleanup_free_ char *head = NULL;
	int r;

	if (h->fd < 0)
		return -EBADF;
	head = xasprintf("HTTP/1.1 %d %s\r\n%s%s%s%sContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, http_status_text(status), h->headers,
			 content_type ? "Content-Type: " : "", content_type ? content_type : "",
			 content_type ? "\r\n" : "", len);
	r = write_all_wait(h->fd, head, strlen(head));
	if (r == 0 && len)
		r = write_all_wait(h->fd, body, len);
	(void)shutdown(h->fd, SHUT_WR);
	(void)close(h->fd);
	h->fd = -EBADF;
	return r;
}

int http_handoff_respond_error(struct http_handoff *h, int status, const char *msg)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	size_t len = 0;

	json_object_object_add(o, "message", json_object_new_string(msg));
	const char *s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	_cleanup_free_ char *text = xasprintf("%s\n", s);
	return http_handoff_respond(h, status, "application/json", text, len + 1);
}

void http_handoff_free(struct http_handoff *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		(void)close(h->fd);
	free(h->pending);
	free(h->headers);
	free(h);
}
