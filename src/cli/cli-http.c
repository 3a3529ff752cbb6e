/* A small blocking HTTP/1.1 client over unix sockets: requests with
 * Content-Length or chunked bodies, responses with Content-Length, chunked or
 * close-delimited bodies, and raw reads after a 101 (hijack). */
#define LOG_CATEGORY "cli-http"
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cli-http-internal.h"

#define USER_AGENT "Berth-Client/" BERTH_VERSION " (linux)"

struct cli_http_conn *cli_http_conn_new(int fd)
{
	struct cli_http_conn *c = xzalloc(sizeof(*c));

	c->fd = fd;
	c->buf = xmalloc(CLI_HTTP_BUF_SIZE);
	return c;
}

struct cli_http_conn *cli_http_conn_free(struct cli_http_conn *c)
{
	if (!c)
		return NULL;
	if (c->fd >= 0)
		(void)close(c->fd);
	free(c->buf);
	free(c);
	return NULL;
}

int cli_http_connect(const char *path, struct cli_http_conn **ret, struct berth_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;

	if (strlen(path) >= sizeof(addr.sun_path))
		return berth_error_set(err, ENAMETOOLONG, BERTH_ERR_INVALID, "socket path '%s'",
				       path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_UNAVAILABLE, "connect '%s'", path);
	*ret = cli_http_conn_new(TAKE_FD(fd));
	return 0;
}

int cli_http_send(struct cli_http_conn *c, const void *data, size_t len, struct berth_error **err)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_set(err, errno, BERTH_ERR_UNAVAILABLE,
					       "write to the daemon");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cli_http_send_head(struct cli_http_conn *c, const char *method, const char *target,
		       const char *headers, int64_t content_length, struct berth_error **err)
{
	_cleanup_free_ char *length = NULL;
	_cleanup_free_ char *head = NULL;

	if (content_length >= 0)
		length = xasprintf("Content-Length: %lld\r\n", (long long)content_length);
	else
		length = xstrdup("Transfer-Encoding: chunked\r\n");
	head = xasprintf("%s %s HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: " USER_AGENT
			 "\r\n%s%s\r\n",
			 method, target, length, headers ? headers : "");
	return cli_http_send(c, head, strlen(head), err);
}

int cli_http_send_chunk(struct cli_http_conn *c, const void *data, size_t len,
			struct berth_error **err)
{
	char size[32];
	int r;

	if (len == 0)
		return cli_http_send(c, "0\r\n\r\n", 5, err);
	snprintf(size, sizeof(size), "%zx\r\n", len);
	r = cli_http_send(c, size, strlen(size), err);
	if (r >= 0)
		r = cli_http_send(c, data, len, err);
	if (r >= 0)
		r = cli_http_send(c, "\r\n", 2, err);
	return r;
}

int cli_http_send_fd_chunked(struct cli_http_conn *c, int fd, struct berth_error **err)
{
	_cleanup_free_ char *buf = xmalloc(CLI_HTTP_BUF_SIZE);

	for (;;) {
		ssize_t n = read(fd, buf, CLI_HTTP_BUF_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID, "read input");
		int r = cli_http_send_chunk(c, buf, (size_t)n, err);
		if (r < 0 || n == 0)
			return r;
	}
}

/* Fill the buffer with more bytes from the socket: >0 read, 0 EOF, <0 errno. */
static ssize_t conn_fill(struct cli_http_conn *c)
{
	if (c->start > 0 && c->start == c->end)
		c->start = c->end = 0;
	if (c->end == CLI_HTTP_BUF_SIZE && c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	if (c->end == CLI_HTTP_BUF_SIZE)
		return -ENOBUFS;
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->end, CLI_HTTP_BUF_SIZE - c->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		c->end += (size_t)n;
		return n;
	}
}

ssize_t cli_http_conn_read(struct cli_http_conn *c, void *buf, size_t n)
{
	if (c->end > c->start) {
		size_t k = c->end - c->start < n ? c->end - c->start : n;
		memcpy(buf, c->buf + c->start, k);
		c->start += k;
		return (ssize_t)k;
	}
	for (;;) {
		ssize_t k = read(c->fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		return k < 0 ? -errno : k;
	}
}

/* One CRLF- or LF-terminated line (without it) into *ret; max bytes. */
static int conn_read_line(struct cli_http_conn *c, size_t max, char **ret, struct berth_error **err)
{
	for (;;) {
		char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);
		if (nl) {
			size_t len = (size_t)(nl - (c->buf + c->start));
			size_t keep = len > 0 && nl[-1] == '\r' ? len - 1 : len;
			*ret = xstrndup(c->buf + c->start, keep);
			c->start += len + 1;
			return 0;
		}
		if (c->end - c->start >= max)
			return berth_error_set(err, EPROTO, BERTH_ERR_INTERNAL,
					       "line from the daemon too long");
		ssize_t n = conn_fill(c);
		if (n == 0)
			return berth_error_set(err, ECONNRESET, BERTH_ERR_UNAVAILABLE,
					       "unexpected end of the daemon's response");
		if (n < 0)
			return berth_error_set(err, (int)-n, BERTH_ERR_UNAVAILABLE,
					       "read from the daemon");
	}
}

struct cli_http_response *cli_http_response_free(struct cli_http_response *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->reason);
	cli_http_conn_free(r->conn);
	free(r);
	return NULL;
}

const char *cli_http_header(const struct cli_http_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static int parse_status_line(struct cli_http_response *r, const char *line,
			     struct berth_error **err)
{
	int status = 0;
	const char *p = line;

	if (!str_has_prefix(p, "HTTP/1."))
		return berth_error_set(err, EPROTO, BERTH_ERR_INTERNAL,
				       "malformed HTTP response from the daemon: '%.64s'", line);
	p = strchr(p, ' ');
	if (!p || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
	    !isdigit((unsigned char)p[3]) || (p[4] != ' ' && p[4] != '\0'))
		return berth_error_set(err, EPROTO, BERTH_ERR_INTERNAL,
				       "malformed HTTP status line from the daemon: '%.64s'", line);
	status = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
	r->status = status;
	r->reason = xstrdup(p[4] ? p + 5 : "");
	return 0;
}

static int parse_header(struct cli_http_response *r, const char *line, struct berth_error **err)
{
	const char *colon = strchr(line, ':');
	const char *v;
	size_t vlen;

	if (!colon || colon == line)
		return berth_error_set(err, EPROTO, BERTH_ERR_INTERNAL,
				       "malformed HTTP header from the daemon: '%.64s'", line);
	if (r->n_headers >= CLI_HTTP_MAX_HEADERS)
		return berth_error_set(err, EPROTO, BERTH_ERR_INTERNAL,
				       "too many HTTP headers from the daemon");
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	vlen = strlen(v);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	r->headers = xrealloc(r->headers, (r->n_headers + 1) * sizeof(*r->headers));
	r->headers[r->n_headers].name = xstrndup(line, (size_t)(colon - line));
	r->headers[r->n_headers].value = xstrndup(v, vlen);
	r->n_headers++;
	return 0;
}

static int setup_framing(struct cli_http_response *r, bool head_request, struct berth_error **err)
{
	const char *te = cli_http_header(r, "Transfer-Encoding");
	const char *cl = cli_http_header(r, "Content-Length");
	uint64_t len;

	if (head_request || r->status / 100 == 1 || r->status == 204 || r->status == 304) {
		r->framing = CLI_HTTP_FRAMING_NONE;
		r->done = true;
	} else if (te && strcasecmp(te, "chunked") == 0) {
		r->framing = CLI_HTTP_FRAMING_CHUNKED;
		r->left = 0;
	} else if (cl) {
		if (str_to_uint64(cl, &len) < 0)
			return berth_error_set(err, EPROTO, BERTH_ERR_INTERNAL,
					       "bad Content-Length '%s' from the daemon", cl);
		r->framing = CLI_HTTP_FRAMING_LENGTH;
		r->left = len;
		r->done = len == 0;
	} else {
		r->framing = CLI_HTTP_FRAMING_CLOSE;
	}
	return 0;
}

int cli_http_read_response(struct cli_http_conn *c, bool head_request,
			   struct cli_http_response **ret, struct berth_error **err)
{
	_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL;
	size_t total = 0;
	int k;

	r = xzalloc(sizeof(*r));
	r->conn = c;
	for (bool first = true;; first = false) {
		_cleanup_free_ char *line = NULL;

		k = conn_read_line(c, CLI_HTTP_MAX_HEAD - total, &line, err);
		if (k < 0)
			return k;
		total += strlen(line) + 2;
		if (first) {
			k = parse_status_line(r, line, err);
		} else if (line[0] == '\0') {
			break;
		} else {
			k = parse_header(r, line, err);
		}
		if (k < 0)
			return k;
	}
	k = setup_framing(r, head_request, err);
	if (k < 0)
		return k;
	*ret = TAKE_PTR(r);
	return 0;
}

/* Start the next chunk: read its size line (and the trailers after the last). */
static int next_chunk(struct cli_http_response *r, struct berth_error **err)
{
	_cleanup_free_ char *line = NULL;
	char *end = NULL;
	unsigned long long size;
	int k;

	k = conn_read_line(r->conn, 1024, &line, err);
	if (k < 0)
		return k;
	errno = 0;
	size = strtoull(line, &end, 16);
	if (end == line || errno != 0 || (*end && *end != ';' && *end != ' '))
		return berth_error_set(err, EPROTO, BERTH_ERR_INTERNAL,
				       "bad chunk size '%.32s' from the daemon", line);
	if (size > 0) {
		r->left = size;
		return 0;
	}
	for (;;) {
		_cleanup_free_ char *trailer = NULL;
		k = conn_read_line(r->conn, CLI_HTTP_MAX_HEAD, &trailer, err);
		if (k < 0)
			return k;
		if (trailer[0] == '\0')
			break;
	}
	r->done = true;
	return 0;
}

/* Read at most n bytes of framed data (the current chunk or the body). */
static ssize_t read_some(struct cli_http_response *r, void *buf, size_t n, struct berth_error **err)
{
	ssize_t k;

	if (r->framing != CLI_HTTP_FRAMING_CLOSE && n > r->left)
		n = (size_t)r->left;
	k = cli_http_conn_read(r->conn, buf, n);
	if (k < 0)
		return berth_error_set(err, (int)-k, BERTH_ERR_UNAVAILABLE, "read from the daemon");
	if (k == 0 && r->framing != CLI_HTTP_FRAMING_CLOSE)
		return berth_error_set(err, ECONNRESET, BERTH_ERR_UNAVAILABLE,
				       "unexpected EOF from the daemon");
	if (k == 0)
		r->done = true;
	else if (r->framing != CLI_HTTP_FRAMING_CLOSE)
		r->left -= (uint64_t)k;
	return k;
}

ssize_t cli_http_body_read(struct cli_http_response *r, void *buf, size_t n,
			   struct berth_error **err)
{
	ssize_t k;
	int q;

	if (n == 0)
		return 0;
	while (!r->done) {
		if (r->framing == CLI_HTTP_FRAMING_CHUNKED && r->left == 0) {
			q = next_chunk(r, err);
			if (q < 0)
				return q;
			continue;
		}
		k = read_some(r, buf, n, err);
		if (k < 0)
			return k;
		if (r->framing == CLI_HTTP_FRAMING_LENGTH && r->left == 0)
			r->done = true;
		if (r->framing == CLI_HTTP_FRAMING_CHUNKED && r->left == 0) {
			_cleanup_free_ char *crlf = NULL;
			q = conn_read_line(r->conn, 16, &crlf, err);
			if (q < 0)
				return q;
		}
		if (k > 0)
			return k;
	}
	return 0;
}

int cli_http_body_read_all(struct cli_http_response *r, size_t max, char **ret, size_t *ret_len,
			   struct berth_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			data = xrealloc(data, cap + 1);
		}
		ssize_t k = cli_http_body_read(r, data + len, cap - len, err);
		if (k < 0)
			return (int)k;
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > max)
			return berth_error_set(err, EFBIG, BERTH_ERR_INTERNAL,
					       "response from the daemon too large");
	}
	if (!data)
		data = xmalloc(1);
	data[len] = '\0';
	*ret = TAKE_PTR(data);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int cli_http_body_read_line(struct cli_http_response *r, size_t max, char **ret,
			    struct berth_error **err)
{
	_cleanup_free_ char *line = NULL;
	size_t len = 0, cap = 0;
	char c;

	/* Byte by byte through the connection's buffer: JSON message lines are short. */
	for (;;) {
		ssize_t k = cli_http_body_read(r, &c, 1, err);
		if (k < 0)
			return (int)k;
		if (k == 0) {
			if (len == 0)
				return 0;
			break;
		}
		if (c == '\n')
			break;
		if (len >= max)
			return berth_error_set(err, EFBIG, BERTH_ERR_INTERNAL,
					       "message from the daemon too long");
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 256;
			line = xrealloc(line, cap);
		}
		line[len++] = c;
	}
	if (!line)
		line = xstrdup("");
	line[len] = '\0';
	*ret = TAKE_PTR(line);
	return 1;
}
