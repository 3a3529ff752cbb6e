/* The unix socket server and its connections: accept, read, parse, dispatch.
 *
 * A connection reads and parses one request at a time: while a handler owns
 * the request, bytes of the next (pipelined) request stay in the kernel or
 * in the input buffer, and the descriptor is watched only for hang-up (and
 * for writing), so long-lived responses learn when the client leaves. When
 * the response is complete, the connection goes on with the buffered bytes.
 * Everything that closes a connection from inside an API call is deferred
 * to a zero-delay timer (the kick), so that callbacks never run under the
 * caller's feet.
 */
#define LOG_CATEGORY "http"
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "http-conn-internal.h"

#define READ_HEAD 4096
#define READ_BODY 65536
#define IN_KEEP	  16384

/* ---- connection lifetime ---- */

struct http_conn *http_conn_ref(struct http_conn *c)
{
	c->refs++;
	return c;
}

void http_conn_unref(struct http_conn *c)
{
	if (!c || --c->refs > 0)
		return;
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_kicked(struct http_loop *l, void *data);
static void conn_process(struct http_conn *c);

void http_conn_kick(struct http_conn *c)
{
	if (c->kick_timer || c->state == HTTP_CONN_CLOSED || c->state == HTTP_CONN_HIJACKED)
		return;
	c->kick_timer = http_loop_add_timer(c->srv->loop, 0, conn_kicked, c);
}

static void conn_kicked(struct http_loop *l, void *data)
{
	struct http_conn *c = data;

	c->kick_timer = 0;
	conn_process(c);
}

/* Leave the loop and the server; the caller has the descriptor. */
static int conn_release(struct http_conn *c, enum http_conn_state state)
{
	struct http_server *s = c->srv;
	int fd = c->fd;

	c->state = state;
	http_loop_del_fd(s->loop, fd);
	http_loop_cancel_timer(s->loop, c->idle_timer);
	http_loop_cancel_timer(s->loop, c->kick_timer);
	c->idle_timer = c->kick_timer = 0;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	c->fd = -EBADF;
	return fd;
}

void http_conn_close(struct http_conn *c)
{
	struct http_request *req;

	if (c->state == HTTP_CONN_CLOSED || c->state == HTTP_CONN_HIJACKED)
		return;
	http_conn_ref(c);
	http_conn_file_reset(c);
	http_tls_conn_free(c);
	(void)close(conn_release(c, HTTP_CONN_CLOSED));
	req = TAKE_PTR(c->req);
	if (req) {
		http_request_detach(req, -ECONNRESET);
		http_request_unref(req);
	}
	c->refs--; /* the loop's reference; ours keeps c alive */
	http_conn_unref(c);
}

int http_conn_take_fd(struct http_conn *c)
{
	int fd = conn_release(c, HTTP_CONN_HIJACKED);

	assert(c->refs > 1); /* the caller holds one */
	c->refs--;
	return fd;
}

/* ---- idle connections ---- */

static bool conn_wants_read(const struct http_conn *c);

/* Close a connection that sends nothing: idle between requests, too slow
 * with a head (the deadline does not move), or silent within a body. The
 * timer stays armed while the connection lives. */
static void conn_idle_timeout(struct http_loop *l, void *data)
{
	struct http_conn *c = data;
	uint64_t now = http_loop_now_ms(l), limit = c->srv->lim.idle_timeout_ms, wait = limit;
	bool expired = false;

	c->idle_timer = 0;
	if (c->state == HTTP_CONN_HEAD) {
		expired = now >= c->idle_deadline && http_conn_queued(c) == 0;
		if (now < c->idle_deadline)
			wait = c->idle_deadline - now;
	} else if (conn_wants_read(c)) {
		expired = now - c->last_read_ms >= limit;
		wait = expired ? limit : limit - (now - c->last_read_ms);
	}
	if (!expired) {
		c->idle_timer = http_loop_add_timer(l, wait, conn_idle_timeout, c);
		return;
	}
	log_debug("Client connection %d idle, closing", c->fd);
	http_conn_close(c);
}

static void conn_enter_idle(struct http_conn *c)
{
	struct http_loop *l = c->srv->loop;

	c->idle_deadline = http_loop_now_ms(l) + c->srv->lim.idle_timeout_ms;
	if (!c->idle_timer)
		c->idle_timer =
			http_loop_add_timer(l, c->srv->lim.idle_timeout_ms, conn_idle_timeout, c);
}

/* ---- events ---- */

static bool conn_wants_read(const struct http_conn *c)
{
	const struct http_request *req = c->req;

	if (c->read_eof || c->close_after)
		return false;
	switch (c->state) {
	case HTTP_CONN_HEAD:
		return http_conn_queued(c) <= HTTP_OUT_HIGH;
	case HTTP_CONN_BODY:
		return true;
	case HTTP_CONN_ACTIVE:
		return req && req->reading_body && !req->body_done && !req->body_ended;
	case HTTP_CONN_CLOSED:
	case HTTP_CONN_HIJACKED:
	case HTTP_CONN_STATE_MAX:
	default:
		return false;
	}
}

void http_conn_update_events(struct http_conn *c)
{
	/* EPOLLHUP is reported anyway; asking for it keeps the descriptor
	 * in epoll (the loop drops descriptors with no events). */
	uint32_t ev = EPOLLHUP;

	if (c->state == HTTP_CONN_CLOSED || c->state == HTTP_CONN_HIJACKED)
		return;
	if (conn_wants_read(c))
		ev |= EPOLLIN;
	if (http_conn_queued(c) > 0 || c->tls_want_write)
		ev |= EPOLLOUT;
	if (ev != c->events && http_loop_mod_fd(c->srv->loop, c->fd, ev) == 0)
		c->events = ev;
}

/* Read what the socket has: > 0 bytes, 0 at end of file, -EAGAIN, -errno. */
static void conn_in_reserve(struct http_conn *c, size_t want)
{
	if (c->in_cap - c->in_len < want && c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_cap - c->in_len < want) {
		size_t cap = c->in_cap ? c->in_cap * 2 : 16384;
		while (cap - c->in_len < want)
			cap *= 2;
		c->in = xrealloc(c->in, cap);
		c->in_cap = cap;
	}
}

/* TLS: everything OpenSSL has decrypted, which epoll can't announce. */
static ssize_t conn_read_tls(struct http_conn *c)
{
	ssize_t n = http_tls_read(c, c->in + c->in_len, c->in_cap - c->in_len), total = 0;

	while (n > 0) {
		c->in_len += (size_t)n;
		total += n;
		if (!http_tls_pending(c))
			break;
		conn_in_reserve(c, READ_HEAD);
		n = http_tls_read(c, c->in + c->in_len, c->in_cap - c->in_len);
	}
	return total > 0 ? total : n;
}

static ssize_t conn_read(struct http_conn *c)
{
	ssize_t n;

	if (c->in_off == c->in_len && c->state != HTTP_CONN_HEAD)
		c->in_off = c->in_len = 0;
	conn_in_reserve(c, c->state == HTTP_CONN_HEAD ? READ_HEAD : READ_BODY);
	if (c->ssl) {
		n = conn_read_tls(c);
		if (n < 0)
			return n;
	} else {
		do
			n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		c->in_len += (size_t)n;
	}
	c->last_read_ms = http_loop_now_ms(c->srv->loop);
	return n;
}

static void conn_event(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct http_conn *c = http_conn_ref(data);

	if (events & (EPOLLHUP | EPOLLERR)) {
		log_debug("Client connection %d hung up", fd);
		http_conn_close(c);
		goto out;
	}
	if (events & EPOLLOUT) {
		if (http_conn_flush(c) < 0) {
			http_conn_close(c);
			goto out;
		}
		if (http_conn_queued(c) <= HTTP_DRAIN_WATERMARK)
			c->drain_check = true;
	}
	if ((events & EPOLLIN) || (c->tls_want_write && (events & EPOLLOUT))) {
		ssize_t n = conn_read(c);
		if (n == 0)
			c->read_eof = true;
		else if (n < 0 && n != -EAGAIN) {
			http_conn_close(c);
			goto out;
		}
	}
	conn_process(c);
out:
	http_conn_unref(c);
}

/* ---- requests ---- */

static void conn_dispatch(struct http_conn *c)
{
	struct http_request *req = http_request_ref(c->req);
	const struct http_router *r = c->srv->router;
	http_handler h = c->route ? c->route->h : r->fallback;
	void *data = c->route ? c->route->data : r->fallback_data;

	c->state = HTTP_CONN_ACTIVE;
	c->route = NULL;
	if (!h) {
		http_respond_error(req, 404, "page not found");
	} else {
		h(req, data);
		/* Nobody can answer a request the handler neither answered
		 * nor kept a reference to. */
		if (req->conn == c && !req->responded && !req->reading_body && req->refs == 2) {
			log_warn("Handler of '%s %s' did not respond", req->method, req->path);
			http_respond_error(req, 500, "internal error: no response");
		}
	}
	http_request_unref(req);
}

static void conn_start_request(struct http_conn *c, struct http_request *req)
{
	const struct http_server *s = c->srv;

	req->loop = s->loop;
	req->conn = c;
	memcpy(req->peer, c->peer, sizeof(req->peer));
	c->req = req;
	c->route = http_router_match(s->router, req);
	req->route_flags = c->route ? c->route->flags : 0;
	http_body_decoder_init(&c->body, req->body_kind, req->content_length);
	req->body_done = c->body.done;
	if ((req->route_flags & HTTP_ROUTE_STREAM_BODY) || req->body_done ||
	    (!c->route && !s->router->fallback)) {
		conn_dispatch(c);
		return;
	}
	if (req->body_kind == HTTP_BODY_LENGTH) {
		if (req->content_length > s->lim.max_body) {
			http_respond_error(req, 413, "request body too large");
			return;
		}
		req->body_cap = (size_t)req->content_length + 1;
		req->body = xmalloc(req->body_cap);
	}
	c->state = HTTP_CONN_BODY;
	http_conn_send_continue(c, req);
}

/* One step of reading a head; false when more input is needed. */
static bool conn_step_head(struct http_conn *c)
{
	const char *buf = c->in ? c->in + c->in_off : "";
	size_t len = c->in_len - c->in_off;
	struct http_parse_error perr = { 400, "bad request" };
	struct http_request *req = NULL;
	int r;

	/* A file being sent must go out before the next response. */
	if (http_conn_queued(c) > HTTP_OUT_HIGH || c->file_left > 0)
		return false;
	r = http_head_scan(&c->scan, buf, len, &c->srv->lim);
	if (r == 0 && c->read_eof)
		c->close_after = true; /* the client sent all it will */
	if (r == 0)
		return c->close_after;
	if (r < 0) {
		http_conn_send_error(c, c->scan.error.status, c->scan.error.reason);
		return true;
	}
	r = http_request_parse_head(buf + c->scan.start, c->scan.end - c->scan.start,
				    c->scan.n_lines, &req, &perr);
	c->in_off += c->scan.end;
	http_head_scanner_reset(&c->scan);
	if (r < 0) {
		http_conn_send_error(c, perr.status, perr.reason);
		return true;
	}
	conn_start_request(c, req);
	return true;
}

static bool body_append(struct http_request *req, const char *data, size_t len, size_t max)
{
	if (req->body_len + len > max)
		return false;
	if (req->body_len + len + 1 > req->body_cap) {
		size_t cap = req->body_cap ? req->body_cap * 2 : 4096;
		while (cap < req->body_len + len + 1)
			cap *= 2;
		req->body = xrealloc(req->body, cap > max + 1 ? max + 1 : cap);
		req->body_cap = cap > max + 1 ? max + 1 : cap;
	}
	memcpy(req->body + req->body_len, data, len);
	req->body_len += len;
	req->body[req->body_len] = '\0';
	return true;
}

/* One step of reading a buffered body; false when more input is needed. */
static bool conn_step_body(struct http_conn *c)
{
	struct http_request *req = c->req;
	const char *data;
	size_t used, dlen;
	int r;

	if (c->in_off == c->in_len) {
		if (c->read_eof)
			http_conn_close(c);
		return false;
	}
	r = http_body_decode(&c->body, c->in + c->in_off, c->in_len - c->in_off, &used, &data,
			     &dlen);
	if (r < 0) {
		http_respond_error(req, 400, "malformed chunked request body");
		return true;
	}
	c->in_off += used;
	if (dlen && !body_append(req, data, dlen, c->srv->lim.max_body)) {
		http_respond_error(req, 413, "request body too large");
		return true;
	}
	if (r == 1) {
		req->body_done = true;
		conn_dispatch(c);
		return true;
	}
	return used > 0;
}

/* One step of feeding a streamed body to its reader. */
static bool conn_step_active(struct http_conn *c)
{
	struct http_request *req = c->req;
	const char *data = NULL;
	size_t used = 0, dlen = 0;
	int r = 1;

	if (!req || !req->reading_body || req->body_ended)
		return false;
	if (!(req->route_flags & HTTP_ROUTE_STREAM_BODY)) {
		http_request_feed_body(req, req->body, req->body_len, 1);
		return true;
	}
	if (!c->body.done) {
		if (c->in_off == c->in_len) {
			if (c->read_eof)
				http_conn_close(c);
			return false;
		}
		r = http_body_decode(&c->body, c->in + c->in_off, c->in_len - c->in_off, &used,
				     &data, &dlen);
		c->in_off += used;
	}
	if (r == 1)
		req->body_done = true;
	http_request_ref(req);
	if (http_request_feed_body(req, data, dlen, r < 0 ? -EBADMSG : r) < 0 && c->req == req) {
		if (!req->responded)
			http_respond_error(req, 400, "bad request body");
		else
			c->close_after = true;
	}
	http_request_unref(req);
	return true;
}

/* One step of whatever the connection waits for; false when it must wait. */
static bool conn_step(struct http_conn *c)
{
	switch (c->state) {
	case HTTP_CONN_HEAD:
		return !c->close_after && conn_step_head(c);
	case HTTP_CONN_BODY:
		return conn_step_body(c);
	case HTTP_CONN_ACTIVE:
		return conn_step_active(c);
	case HTTP_CONN_CLOSED:
	case HTTP_CONN_HIJACKED:
	case HTTP_CONN_STATE_MAX:
	default:
		return false;
	}
}

/* Write what was gathered; false when nothing more can happen now. */
static bool conn_write_gathered(struct http_conn *c)
{
	size_t before = http_conn_queued(c);

	if (before == 0)
		return false;
	if (http_conn_flush(c) < 0) {
		c->broken = true;
		return true;
	}
	if (http_conn_queued(c) == before)
		return false; /* EPOLLOUT will tell */
	if (http_conn_queued(c) <= HTTP_DRAIN_WATERMARK)
		c->drain_check = true;
	return true;
}

static void conn_process(struct http_conn *c)
{
	if (c->processing)
		return;
	c->processing = true;
	http_conn_ref(c);
	for (;;) {
		if (c->state == HTTP_CONN_CLOSED || c->state == HTTP_CONN_HIJACKED)
			break;
		if (c->drain_check)
			http_conn_check_drain(c);
		if (c->broken || (c->close_after && !c->req && http_conn_queued(c) == 0)) {
			http_conn_close(c);
			break;
		}
		if (!conn_step(c) && !conn_write_gathered(c))
			break;
	}
	http_conn_update_events(c);
	c->processing = false;
	http_conn_unref(c);
}

void http_conn_response_done(struct http_conn *c)
{
	struct http_request *req = TAKE_PTR(c->req);

	if (!req)
		return;
	if (!req->body_done)
		c->close_after = true;
	c->state = HTTP_CONN_HEAD;
	c->route = NULL;
	http_head_scanner_reset(&c->scan);
	if (c->in_off == c->in_len && c->in_cap > IN_KEEP) {
		free(c->in); /* grown for a body: idle connections stay small */
		c->in = NULL;
		c->in_off = c->in_len = c->in_cap = 0;
	}
	http_request_detach(req, -ECONNABORTED);
	http_request_unref(req);
	if (c->state != HTTP_CONN_HEAD)
		return;
	conn_enter_idle(c);
	if (!c->processing)
		http_conn_kick(c);
	http_conn_update_events(c);
}

void http_conn_new(struct http_server *s, int fd, const char *peer)
{
	struct http_conn *c = xzalloc(sizeof(*c));

	c->srv = s;
	c->fd = fd;
	c->file_fd = -EBADF;
	(void)snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->refs = 1;
	c->state = HTTP_CONN_HEAD;
	c->events = EPOLLIN | EPOLLHUP;
	if ((s->tls && http_tls_conn_new(c) < 0) ||
	    http_loop_add_fd(s->loop, fd, c->events, conn_event, c) < 0) {
		http_tls_conn_free(c);
		(void)close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	conn_enter_idle(c);
}
