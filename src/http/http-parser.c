/* The request head: finding its end incrementally, then parsing it in one
 * pass into a request that owns a copy of it (one allocation holds the
 * request, its header and query arrays and every string). */
#define LOG_CATEGORY "http"
#include <string.h>
#include <strings.h>

#include "http-internal.h"

#define DEFAULT_MAX_HEADER_BYTES (64u * 1024)
#define DEFAULT_MAX_HEADERS	 100
#define DEFAULT_MAX_BODY	 (8u * 1024 * 1024)
#define DEFAULT_IDLE_TIMEOUT_MS	 120000
#define DEFAULT_MAX_CONNECTIONS	 1024
#define MAX_METHOD		 32

void http_limits_normalize(struct http_limits *dst, const struct http_limits *src)
{
	*dst = src ? *src : (struct http_limits){ 0 };
	if (!dst->max_header_bytes)
		dst->max_header_bytes = DEFAULT_MAX_HEADER_BYTES;
	if (!dst->max_headers)
		dst->max_headers = DEFAULT_MAX_HEADERS;
	if (!dst->max_body)
		dst->max_body = DEFAULT_MAX_BODY;
	if (!dst->idle_timeout_ms)
		dst->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
	if (!dst->max_connections)
		dst->max_connections = DEFAULT_MAX_CONNECTIONS;
}

static int parse_fail(struct http_parse_error *e, int status, const char *reason)
{
	e->status = status;
	e->reason = reason;
	return -EBADMSG;
}

static bool is_tchar(unsigned char c)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(extra, c));
}

void http_head_scanner_reset(struct http_head_scanner *s)
{
	*s = (struct http_head_scanner){ 0 };
}

int http_head_scan(struct http_head_scanner *s, const char *buf, size_t len,
		   const struct http_limits *lim)
{
	size_t max_line = HTTP_MAX_REQUEST_LINE < lim->max_header_bytes ? HTTP_MAX_REQUEST_LINE
									: lim->max_header_bytes;

	/* A request line begins with a method token. Anything else (the 0x16 of
	 * a TLS ClientHello from a client trying HTTPS first) fails at once
	 * rather than waiting for a line end that never comes: such clients
	 * then fall back to plain HTTP instead of their handshake timeout. */
	if (s->n_lines == 0 && s->start < len && buf[s->start] != '\r' && buf[s->start] != '\n' &&
	    !is_tchar((unsigned char)buf[s->start]))
		return parse_fail(&s->error, 400, "not an HTTP request");
	while (s->pos < len) {
		const char *nl = memchr(buf + s->pos, '\n', len - s->pos);
		if (!nl) {
			s->pos = len;
			break;
		}
		size_t i = (size_t)(nl - buf), ll = i - s->line_start;
		if (ll > 0 && buf[i - 1] == '\r')
			ll--;
		s->pos = i + 1;
		if (ll == 0 && s->n_lines == 0) {
			/* Empty lines before a request line (RFC 9112 2.2). */
			if (++s->n_empty > HTTP_MAX_EMPTY_LINES)
				return parse_fail(&s->error, 400, "too many empty lines");
			s->line_start = s->start = i + 1;
			continue;
		}
		if (s->n_lines == 0 && ll > max_line)
			return parse_fail(&s->error, 414, "request URI too long");
		if (i + 1 - s->start > lim->max_header_bytes)
			return parse_fail(&s->error, 431, "request header too large");
		if (ll == 0) {
			s->end = i + 1;
			return 1;
		}
		if (++s->n_lines > lim->max_headers + 1)
			return parse_fail(&s->error, 431, "too many header fields");
		s->line_start = i + 1;
	}
	if (s->n_lines == 0 && len - s->start > max_line)
		return parse_fail(&s->error, 414, "request URI too long");
	if (len - s->start > lim->max_header_bytes)
		return parse_fail(&s->error, 431, "request header too large");
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_percent_decode(const char *in, size_t len, bool plus_is_space, char *out, size_t *ret_len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return -EINVAL;
			hi = hexval(in[i + 1]);
			lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0')
			return -EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	*ret_len = o;
	return 0;
}

struct request_line {
	size_t method_len, target_off, target_len;
	unsigned minor;
};

static int parse_request_line(const char *line, size_t len, struct request_line *rl,
			      struct http_parse_error *e)
{
	size_t i = 0;

	while (i < len && i <= MAX_METHOD && is_tchar((unsigned char)line[i]))
		i++;
	if (i == 0 || i > MAX_METHOD || i >= len || line[i] != ' ')
		return parse_fail(e, 400, "malformed request line");
	rl->method_len = i;
	rl->target_off = ++i;
	while (i < len && line[i] != ' ') {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x21 || c == 0x7f)
			return parse_fail(e, 400, "malformed request target");
		i++;
	}
	rl->target_len = i - rl->target_off;
	if (rl->target_len == 0 || i >= len)
		return parse_fail(e, 400, "malformed request line");
	const char *v = line + i + 1;
	size_t vlen = len - i - 1;
	if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return parse_fail(e, 400, "malformed HTTP version");
	if (v[5] != '1')
		return parse_fail(e, 505, "HTTP version not supported");
	rl->minor = (unsigned)(v[7] - '0');
	return 0;
}

static bool token_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* Walk a comma-separated list, calling fn for each trimmed non-empty token. */
static int list_foreach(const char *v,
			int (*fn)(struct http_request *, const char *, size_t,
				  struct http_parse_error *),
			struct http_request *req, struct http_parse_error *e)
{
	while (*v) {
		const char *end = strchr(v, ',');
		size_t n = end ? (size_t)(end - v) : strlen(v);
		const char *t = v;
		size_t tl = n;
		while (tl && (*t == ' ' || *t == '\t'))
			t++, tl--;
		while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t'))
			tl--;
		if (tl) {
			int r = fn(req, t, tl, e);
			if (r < 0)
				return r;
		}
		v += n + (end ? 1 : 0);
	}
	return 0;
}

static int connection_token(struct http_request *req, const char *t, size_t n,
			    struct http_parse_error *e)
{
	if (token_eq(t, n, "close"))
		req->conn_close = true;
	else if (token_eq(t, n, "keep-alive"))
		req->conn_keep_alive = true;
	return 0;
}

static int te_token(struct http_request *req, const char *t, size_t n, struct http_parse_error *e)
{
	if (!token_eq(t, n, "chunked"))
		return parse_fail(e, 501, "unsupported transfer encoding");
	if (req->body_kind == HTTP_BODY_CHUNKED)
		return parse_fail(e, 400, "chunked applied twice");
	req->body_kind = HTTP_BODY_CHUNKED;
	return 0;
}

static int special_header(struct http_request *req, const char *name, size_t nlen,
			  const char *value, bool *seen_cl, struct http_parse_error *e)
{
	if (token_eq(name, nlen, "content-length")) {
		uint64_t v = 0;
		size_t i;
		for (i = 0; value[i] >= '0' && value[i] <= '9' && i < 18; i++)
			v = v * 10 + (uint64_t)(value[i] - '0');
		if (i == 0 || value[i] != '\0')
			return parse_fail(e, value[i] >= '0' && value[i] <= '9' ? 413 : 400,
					  "bad Content-Length");
		if (*seen_cl && v != req->content_length)
			return parse_fail(e, 400, "conflicting Content-Length");
		*seen_cl = true;
		req->content_length = v;
	} else if (token_eq(name, nlen, "transfer-encoding")) {
		int r = list_foreach(value, te_token, req, e);
		if (r < 0)
			return r;
		if (req->body_kind != HTTP_BODY_CHUNKED)
			return parse_fail(e, 400, "empty Transfer-Encoding");
	} else if (token_eq(name, nlen, "connection")) {
		return list_foreach(value, connection_token, req, e);
	} else if (token_eq(name, nlen, "expect")) {
		if (!token_eq(value, strlen(value), "100-continue"))
			return parse_fail(e, 417, "unsupported expectation");
		req->expect_continue = req->minor >= 1;
	} else if (token_eq(name, nlen, "upgrade")) {
		req->has_upgrade = true;
	}
	return 0;
}

/* One header line, NUL-terminated in place (the '\r' stripped). */
static int parse_header(struct http_request *req, char *line, bool *seen_cl,
			struct http_parse_error *e)
{
	char *colon = strchr(line, ':'), *v, *end;

	if (line[0] == ' ' || line[0] == '\t')
		return parse_fail(e, 400, "obsolete header line folding");
	if (!colon || colon == line)
		return parse_fail(e, 400, "malformed header");
	for (char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p))
			return parse_fail(e, 400, "malformed header name");
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (end = v; *end; end++)
		if (((unsigned char)*end < 0x20 && *end != '\t') || *end == 0x7f)
			return parse_fail(e, 400, "malformed header value");
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	req->headers[req->n_headers++] = (struct http_header){ line, v };
	return special_header(req, line, (size_t)(colon - line), v, seen_cl, e);
}

/* Split the query into decoded key/value pairs; out has room for them. */
static int parse_query(struct http_request *req, const char *q, size_t len, char *out)
{
	while (len > 0) {
		const char *amp = memchr(q, '&', len);
		size_t n = amp ? (size_t)(amp - q) : len, kl, vl;
		const char *eq = memchr(q, '=', n);
		size_t klen = eq ? (size_t)(eq - q) : n;
		if (klen > 0) {
			struct http_kv *kv = &req->query[req->n_query++];
			if (http_percent_decode(q, klen, true, out, &kl) < 0)
				return -EINVAL;
			kv->key = out;
			out += kl + 1;
			if (!eq) {
				kv->value = "";
			} else {
				if (http_percent_decode(eq + 1, n - klen - 1, true, out, &vl) < 0)
					return -EINVAL;
				kv->value = out;
				out += vl + 1;
			}
		}
		q += n + (amp ? 1 : 0);
		len -= n + (amp ? 1 : 0);
	}
	return 0;
}

/* Origin-form "/p?q", or absolute-form "http://host/p?q" reduced to it. */
static int split_target(const char *t, size_t len, size_t *ret_path_len, const char **ret_query,
			size_t *ret_query_len, const char **ret_path, struct http_parse_error *e)
{
	if (len > 7 && (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0)) {
		const char *p = memchr(t + 8, '/', len - 8);
		size_t skip = p ? (size_t)(p - t) : len;
		t += skip;
		len -= skip;
		if (len == 0) {
			t = "/";
			len = 1;
		}
	}
	if (t[0] != '/')
		return parse_fail(e, 400, "malformed request target");
	const char *hash = memchr(t, '#', len);
	if (hash)
		len = (size_t)(hash - t);
	const char *q = memchr(t, '?', len);
	*ret_path = t;
	*ret_path_len = q ? (size_t)(q - t) : len;
	*ret_query = q ? q + 1 : "";
	*ret_query_len = q ? len - *ret_path_len - 1 : 0;
	return 0;
}

static size_t count_char(const char *s, size_t len, char c)
{
	size_t n = 0;
	for (const char *p = s; (p = memchr(p, c, len - (size_t)(p - s))); p++)
		n++;
	return n;
}

static int parse_headers(struct http_request *req, char *p, char *end, size_t max,
			 struct http_parse_error *e)
{
	bool seen_cl = false;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p)
			break;
		*le = '\0';
		if (memchr(p, '\r', (size_t)(le - p)))
			return parse_fail(e, 400, "malformed header");
		if (req->n_headers >= max)
			return parse_fail(e, 431, "too many header fields");
		int r = parse_header(req, p, &seen_cl, e);
		if (r < 0)
			return r;
		p = nl ? nl + 1 : end;
	}
	if (req->body_kind == HTTP_BODY_CHUNKED && seen_cl)
		return parse_fail(e, 400, "both Content-Length and Transfer-Encoding");
	if (seen_cl && req->body_kind == HTTP_BODY_NONE && req->content_length > 0)
		req->body_kind = HTTP_BODY_LENGTH;
	return 0;
}

int http_request_parse_head(const char *head, size_t len, size_t n_lines, struct http_request **ret,
			    struct http_parse_error *perr)
{
	const char *nl = memchr(head, '\n', len), *path, *query;
	size_t line_len = nl ? (size_t)(nl - head) : len, path_len, query_len, n;
	struct request_line rl;
	int r;

	if (line_len > 0 && head[line_len - 1] == '\r')
		line_len--;
	if ((r = parse_request_line(head, line_len, &rl, perr)) < 0)
		return r;
	if ((r = split_target(head + rl.target_off, rl.target_len, &path_len, &query, &query_len,
			      &path, perr)) < 0)
		return r;
	size_t n_query = query_len ? count_char(query, query_len, '&') + 1 : 0;
	size_t n_headers = n_lines > 0 ? n_lines - 1 : 0;
	size_t arrays = n_headers * sizeof(struct http_header) + n_query * sizeof(struct http_kv);
	size_t chars = (len + 1) + (path_len + 1) + (query_len + 2 * n_query + 1) +
		       (path_len + HTTP_MAX_PARAMS + 1);
	_cleanup_free_ struct http_request *req = xzalloc(sizeof(*req) + arrays + chars);
	char *s = req->storage + arrays;

	req->refs = 1;
	req->headers = (struct http_header *)(void *)req->storage;
	req->query = (struct http_kv *)(void *)(req->storage + n_headers * sizeof(*req->headers));
	memcpy(s, head, len);
	s[len] = '\0';
	s[rl.method_len] = '\0';
	req->method = s;
	req->target = s + rl.target_off; /* NUL-terminated below, by the header pass */
	req->minor = rl.minor;
	req->is_head = strcmp(req->method, "HEAD") == 0;
	char *dec = s + len + 1;
	if (http_percent_decode(path, path_len, false, dec, &n) < 0)
		return parse_fail(perr, 400, "malformed percent-encoding in path");
	req->full_path = req->path = dec;
	dec += path_len + 1;
	if (parse_query(req, query, query_len, dec) < 0)
		return parse_fail(perr, 400, "malformed percent-encoding in query");
	req->param_buf = dec + query_len + 2 * n_query + 1;
	char *hdr = s + (nl ? (size_t)(nl - head) + 1 : len);
	s[rl.target_off + rl.target_len] = '\0';
	if ((r = parse_headers(req, hdr, s + len, n_headers, perr)) < 0)
		return r;
	if (req->minor == 0 ? !req->conn_keep_alive : req->conn_close)
		req->conn_close = true;
	*ret = TAKE_PTR(req);
	return 0;
}
