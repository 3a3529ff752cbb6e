/* Responses: the head, complete bodies with Content-Length, chunked (or,
 * for HTTP/1.0, close-delimited) streams, and the connection's output queue,
 * written at once when it is empty and from EPOLLOUT otherwise. */
#define LOG_CATEGORY "http"
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "http-conn-internal.h"
#include "json-util.h"

#define HEAD_STACK	      2048
#define OUT_KEEP	      (64u * 1024) /* a larger empty output buffer is released */
#define HTTP_BULK_SEND_BUFFER (4 << 20)

static const struct {
	int status;
	const char *text;
} status_texts[] = {
	{ 100, "Continue" },
	{ 101, "Switching Protocols" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Request Entity Too Large" },
	{ 414, "Request URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Requested Range Not Satisfiable" },
	{ 417, "Expectation Failed" },
	{ 422, "Unprocessable Entity" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *http_status_text(int status)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_texts); i++)
		if (status_texts[i].status == status)
			return status_texts[i].text;
	return "Unknown";
}

/* ---- the output queue ---- */

void http_conn_append(struct http_conn *c, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (c->out_cap - c->out_len < n && c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_cap - c->out_len < n) {
		size_t cap = c->out_cap ? c->out_cap : 16384;
		while (cap - c->out_len < n)
			cap *= 2;
		c->out = xrealloc(c->out, cap);
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

static void out_consumed(struct http_conn *c)
{
	if (c->out_off < c->out_len)
		return;
	c->out_off = c->out_len = 0;
	if (c->out_cap > OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
}

static void conn_broken(struct http_conn *c, int error)
{
	log_debug("Client connection %d: write: %s", c->fd, strerror(-error));
	c->broken = true;
	c->out_off = c->out_len = 0;
	http_conn_file_reset(c);
	http_conn_kick(c);
}

void http_conn_send(struct http_conn *c, const struct iovec *iov, int n)
{
	size_t done = 0;

	if (c->state == HTTP_CONN_CLOSED || c->state == HTTP_CONN_HIJACKED || c->broken)
		return;
	/* While pipelined requests wait in the input, responses are gathered
	 * and written together when processing ends. */
	bool gather = c->processing && c->in_off < c->in_len;
	if (c->ssl) {
		/* TLS writes go through the queue (OpenSSL retries need it). */
		for (int i = 0; i < n; i++)
			http_conn_append(c, iov[i].iov_base, iov[i].iov_len);
		if (!gather && http_conn_flush(c) < 0)
			conn_broken(c, -EPIPE);
		http_conn_update_events(c);
		return;
	}
	if (http_conn_queued(c) == 0 && !gather) {
		struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
		ssize_t w;
		do
			w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN) {
			conn_broken(c, -errno);
			return;
		}
		done = w < 0 ? 0 : (size_t)w;
	}
	for (int i = 0; i < n; i++) {
		if (done >= iov[i].iov_len) {
			done -= iov[i].iov_len;
			continue;
		}
		http_conn_append(c, (const char *)iov[i].iov_base + done, iov[i].iov_len - done);
		done = 0;
	}
	if (http_conn_queued(c) > 0)
		http_conn_update_events(c);
}

void http_conn_file_reset(struct http_conn *c)
{
	if (c->file_left == 0 && c->file_fd <= 0)
		return;
	if (c->file_fd > 0)
		(void)close(c->file_fd);
	c->file_fd = -EBADF;
	c->file_left = 0;
}

#define TLS_FILE_PIECE (256u * 1024)

static int flush_out(struct http_conn *c);

/* TLS: the file goes through the output queue, a piece at a time. */
static int flush_file_tls(struct http_conn *c)
{
	while (c->file_left > 0 && c->out_len == c->out_off) {
		size_t want = c->file_left > TLS_FILE_PIECE ? TLS_FILE_PIECE : (size_t)c->file_left;
		char *buf = xmalloc(want);
		ssize_t n = pread(c->file_fd, buf, want, c->file_off);
		if (n <= 0) {
			free(buf);
			http_conn_file_reset(c);
			return n < 0 ? -errno : -EIO;
		}
		c->file_left -= (uint64_t)n;
		c->file_off += n;
		http_conn_append(c, buf, (size_t)n);
		free(buf);
		int r = flush_out(c);
		if (r < 0)
			return r;
	}
	if (c->file_left == 0)
		http_conn_file_reset(c);
	return 0;
}

/* The file of http_respond_file, once the buffered head is out. */
static int flush_file(struct http_conn *c)
{
	if (c->ssl)
		return flush_file_tls(c);
	while (c->file_left > 0) {
		size_t want = c->file_left > (1u << 30) ? (1u << 30) : (size_t)c->file_left;
		ssize_t w = sendfile(c->fd, c->file_fd, &c->file_off, want);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w <= 0) {
			/* The file shrank: the promised length can't be kept. */
			int r = w < 0 ? -errno : -EIO;
			http_conn_file_reset(c);
			return r;
		}
		c->file_left -= (uint64_t)w;
	}
	http_conn_file_reset(c);
	return 0;
}

/* Write the output queue until the socket is full. */
static int flush_out(struct http_conn *c)
{
	while (c->out_len > c->out_off) {
		ssize_t w;
		if (c->ssl) {
			w = http_tls_write(c, c->out + c->out_off, c->out_len - c->out_off);
			if (w == -EAGAIN)
				break;
			if (w <= 0)
				return w < 0 ? (int)w : -EPIPE;
			c->out_off += (size_t)w;
			continue;
		}
		w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT | (c->file_left ? MSG_MORE : 0));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w < 0)
			return -errno;
		c->out_off += (size_t)w;
	}
	out_consumed(c);
	return 0;
}

int http_conn_flush(struct http_conn *c)
{
	int r = flush_out(c);

	if (r < 0)
		return r;
	if (c->out_len == 0 && c->file_left > 0)
		return flush_file(c);
	return 0;
}

void http_conn_check_drain(struct http_conn *c)
{
	struct http_request *req = c->req;

	c->drain_check = false;
	if (!req || !req->drain_cb || !req->drain_armed || req->complete ||
	    http_conn_queued(c) > HTTP_DRAIN_WATERMARK)
		return;
	req->drain_armed = false;
	http_request_ref(req);
	req->drain_cb(req, req->drain_data);
	http_request_unref(req);
}

/* ---- heads ---- */

struct head {
	char *p;
	size_t len, cap;
	char stack[HEAD_STACK];
};

static void head_add(struct head *h, const char *s, size_t n)
{
	if (h->len + n > h->cap) {
		size_t cap = (h->len + n) * 2;
		char *p = xmalloc(cap);
		memcpy(p, h->p, h->len);
		if (h->p != h->stack)
			free(h->p);
		h->p = p;
		h->cap = cap;
	}
	memcpy(h->p + h->len, s, n);
	h->len += n;
}

static void head_addf(struct head *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void head_addf(struct head *h, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	head_add(h, buf, n < 0 ? 0 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n);
}

static void head_free(struct head *h)
{
	if (h->p != h->stack)
		free(h->p);
}

/* Status line, default and extra headers, Content-Type, framing and
 * Connection. Decides whether the connection closes after this response. */
static void head_build(struct head *h, struct http_request *req, int status, const char *ct,
		       const char *framing)
{
	struct http_conn *c = req->conn;

	h->p = h->stack;
	h->cap = sizeof(h->stack);
	h->len = 0;
	head_addf(h, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
	head_add(h, c->srv->default_headers ? c->srv->default_headers : "", c->srv->default_len);
	if (req->extra_headers)
		head_add(h, req->extra_headers, req->extra_len);
	if (ct) {
		head_add(h, "Content-Type: ", 14);
		head_add(h, ct, strlen(ct));
		head_add(h, "\r\n", 2);
	}
	if (framing)
		head_add(h, framing, strlen(framing));
	if (req->conn_close || !req->body_done)
		c->close_after = true;
	if (c->close_after)
		head_add(h, "Connection: close\r\n", 19);
	else if (req->minor == 0)
		head_add(h, "Connection: keep-alive\r\n", 24);
	head_add(h, "\r\n", 2);
}

static bool status_has_body(int status)
{
	return status >= 200 && status != 204 && status != 304;
}

static void respond_iov(struct http_request *req, int status, const char *ct, struct iovec *body,
			int n_body)
{
	struct http_conn *c = req ? req->conn : NULL;
	struct iovec iov[4];
	struct head h;
	char clen[48];
	size_t len = 0;
	int n = 1;

	if (!c || req->responded)
		return;
	for (int i = 0; i < n_body; i++)
		len += body[i].iov_len;
	if (!status_has_body(status))
		len = 0;
	(void)snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", len);
	head_build(&h, req, status, len || status_has_body(status) ? ct : NULL,
		   status_has_body(status) ? clen : NULL);
	iov[0] = (struct iovec){ h.p, h.len };
	if (len && !req->is_head)
		for (int i = 0; i < n_body && n < 4; i++)
			iov[n++] = body[i];
	req->responded = req->complete = true;
	http_conn_ref(c);
	http_conn_send(c, iov, n);
	head_free(&h);
	http_conn_response_done(c);
	http_conn_unref(c);
}

void http_respond(struct http_request *req, int status, const char *content_type, const void *body,
		  size_t len)
{
	struct iovec iov = { (void *)body, len };

	respond_iov(req, status, content_type, &iov, body && len ? 1 : 0);
}

void http_respond_file(struct http_request *req, int status, const char *content_type, int fd,
		       uint64_t offset, uint64_t length)
{
	struct http_conn *c = req ? req->conn : NULL;
	struct head h;
	char clen[48];

	if (!c || req->responded || c->file_left > 0) {
		(void)close(fd);
		return;
	}
	(void)snprintf(clen, sizeof(clen), "Content-Length: %" PRIu64 "\r\n", length);
	head_build(&h, req, status, content_type, clen);
	req->responded = req->complete = true;
	http_conn_ref(c);
	if (length > 0 && !req->is_head) {
		c->file_fd = fd;
		c->file_off = (off_t)offset;
		c->file_left = length;
		fd = -EBADF;
	}
	http_conn_append(c, h.p, h.len);
	head_free(&h);
	if (!c->processing || c->in_off == c->in_len) {
		int r = http_conn_flush(c);
		if (r < 0)
			conn_broken(c, r);
	}
	http_conn_update_events(c);
	http_conn_response_done(c);
	http_conn_unref(c);
	if (fd >= 0)
		(void)close(fd);
}

void http_respond_json(struct http_request *req, int status, struct json_object *obj)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	struct iovec iov[2] = { { (void *)s, len }, { "\n", 1 } };

	respond_iov(req, status, "application/json", iov, 2);
}

void http_respond_error(struct http_request *req, int status, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	_cleanup_json_ json_object *o = json_object_new_object();
	va_list ap;

	if (!req || !req->conn || req->responded)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	json_object_object_add(o, "message", json_object_new_string(msg));
	http_respond_json(req, status, o);
}

void http_conn_send_error(struct http_conn *c, int status, const char *reason)
{
	char body[256], head[256];
	int bn = snprintf(body, sizeof(body), "{\"message\":\"%s\"}\n", reason);
	int hn = snprintf(head, sizeof(head),
			  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			  "Content-Length: %d\r\nConnection: close\r\n",
			  status, http_status_text(status), bn);
	struct iovec iov[4] = {
		{ head, (size_t)hn },
		{ c->srv->default_headers ? c->srv->default_headers : "", c->srv->default_len },
		{ "\r\n", 2 },
		{ body, (size_t)bn },
	};

	c->close_after = true;
	http_conn_send(c, iov, 4);
}

void http_conn_send_continue(struct http_conn *c, struct http_request *req)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct iovec iov = { (void *)cont, sizeof(cont) - 1 };

	if (!req->expect_continue || req->sent_continue || req->body_done || req->responded)
		return;
	req->sent_continue = true;
	http_conn_send(c, &iov, 1);
}

/* ---- streams ---- */

void http_stream_begin(struct http_request *req, int status, const char *content_type)
{
	struct http_conn *c = req ? req->conn : NULL;
	struct head h;

	if (!c || req->responded)
		return;
	req->no_body = req->is_head || !status_has_body(status);
	req->stream_raw = req->minor == 0 && !req->no_body;
	if (req->stream_raw)
		c->close_after = true; /* HTTP/1.0: the body ends with the connection */
	head_build(&h, req, status, content_type,
		   req->no_body || req->stream_raw ? NULL : "Transfer-Encoding: chunked\r\n");
	req->responded = req->streaming = true;
	struct iovec iov = { h.p, h.len };
	http_conn_send(c, &iov, 1);
	head_free(&h);
}

void http_stream_bulk(struct http_request *req)
{
	int size = HTTP_BULK_SEND_BUFFER;

	if (req && req->conn)
		(void)setsockopt(req->conn->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static size_t stream_writev(struct http_request *req, struct iovec *data, int n, size_t len)
{
	struct http_conn *c = req ? req->conn : NULL;
	struct iovec iov[6];
	char size[24];
	int k = 0;

	if (!c || !req->streaming || req->complete)
		return 0;
	if (req->no_body || len == 0)
		return http_conn_queued(c);
	if (!req->stream_raw) {
		iov[k++] = (struct iovec){ size,
					   (size_t)snprintf(size, sizeof(size), "%zx\r\n", len) };
	}
	for (int i = 0; i < n; i++)
		iov[k++] = data[i];
	if (!req->stream_raw)
		iov[k++] = (struct iovec){ "\r\n", 2 };
	http_conn_send(c, iov, k);
	if (req->drain_cb && http_conn_queued(c) > HTTP_DRAIN_WATERMARK)
		req->drain_armed = true;
	return http_conn_queued(c);
}

size_t http_stream_write(struct http_request *req, const void *data, size_t len)
{
	struct iovec iov = { (void *)data, len };

	return stream_writev(req, &iov, 1, len);
}

size_t http_stream_write_json(struct http_request *req, struct json_object *obj)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	struct iovec iov[2] = { { (void *)s, len }, { "\n", 1 } };

	return stream_writev(req, iov, 2, len + 1);
}

void http_stream_on_drain(struct http_request *req, void (*cb)(struct http_request *, void *),
			  void *data)
{
	req->drain_cb = cb;
	req->drain_data = data;
	req->drain_armed = cb != NULL;
	if (cb && req->conn && http_conn_queued(req->conn) <= HTTP_DRAIN_WATERMARK) {
		req->conn->drain_check = true;
		http_conn_kick(req->conn);
	}
}

void http_stream_end(struct http_request *req)
{
	struct http_conn *c = req ? req->conn : NULL;
	struct iovec iov = { "0\r\n\r\n", 5 };

	if (!c || !req->streaming || req->complete)
		return;
	req->complete = true;
	http_conn_ref(c);
	if (!req->no_body && !req->stream_raw)
		http_conn_send(c, &iov, 1);
	http_conn_response_done(c);
	http_conn_unref(c);
}
