/* Unit tests of the HTTP parser without sockets: head scanning and limits,
 * request parsing, percent-decoding, body framing, routing, accessors. */
#include <string.h>

#include "http-internal.h"
#include "json-util.h"
#include "tap.h"

static struct http_limits limits(void)
{
	struct http_limits l;

	http_limits_normalize(&l, NULL);
	return l;
}

/* Scan text, optionally one byte at a time; returns the scanner result. */
static int scan(const char *text, size_t len, bool bytewise, const struct http_limits *lim,
		struct http_head_scanner *s)
{
	int r = 0;

	http_head_scanner_reset(s);
	if (!bytewise)
		return http_head_scan(s, text, len, lim);
	for (size_t i = 1; i <= len && r == 0; i++)
		r = http_head_scan(s, text, i, lim);
	return r;
}

/* Parse a whole head into a request; NULL with *status set on failure. */
static struct http_request *parse(const char *text, int *status)
{
	struct http_limits lim = limits();
	struct http_head_scanner s;
	struct http_parse_error e = { 0 };
	struct http_request *req = NULL;
	int r = scan(text, strlen(text), false, &lim, &s);

	*status = 0;
	if (r <= 0) {
		*status = r < 0 ? s.error.status : -1;
		return NULL;
	}
	if (http_request_parse_head(text + s.start, s.end - s.start, s.n_lines, &req, &e) < 0) {
		*status = e.status;
		return NULL;
	}
	return req;
}

TEST(scan_bytewise_and_whole)
{
	static const char req[] = "\r\nGET /x HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\nNEXT";
	struct http_limits lim = limits();
	struct http_head_scanner s;

	for (int bytewise = 0; bytewise < 2; bytewise++) {
		ASSERT_EQ(scan(req, sizeof(req) - 1, bytewise, &lim, &s), 1);
		ASSERT_EQ(s.start, 2);
		ASSERT_EQ(s.end, sizeof(req) - 1 - 4);
		ASSERT_EQ(s.n_lines, 3);
	}
	/* Bare LF line ends are accepted. */
	ASSERT_EQ(scan("GET / HTTP/1.1\nA: b\n\n", 21, true, &lim, &s), 1);
	ASSERT_EQ(scan("GET / HTTP/1.1\r\nA: b\r\n", 22, false, &lim, &s), 0);
	/* A TLS ClientHello fails at its first byte, without a line end. */
	ASSERT_EQ(scan("\x16\x03\x01\x02\x00", 5, true, &lim, &s), -EBADMSG);
	ASSERT_EQ(s.error.status, 400);
	ASSERT_EQ(scan("\r\n\x16\x03", 4, true, &lim, &s), -EBADMSG);
}

TEST(scan_limits)
{
	struct http_limits lim = limits();
	struct http_head_scanner s;
	_cleanup_free_ char *big = xmalloc(80000);

	lim.max_headers = 3;
	ASSERT_EQ(
		scan("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n", 44, false, &lim, &s),
		-EBADMSG);
	ASSERT_EQ(s.error.status, 431);
	lim = limits();
	memset(big, 'a', 80000);
	memcpy(big, "GET /", 5);
	ASSERT_EQ(scan(big, 40000, false, &lim, &s), -EBADMSG);
	ASSERT_EQ(s.error.status, 414);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	ASSERT_EQ(scan(big, 70000, false, &lim, &s), -EBADMSG);
	ASSERT_EQ(s.error.status, 431);
	lim.max_header_bytes = 100;
	memcpy(big + 60, "\r\n\r\n", 4);
	ASSERT_EQ(scan(big, 64, false, &lim, &s), 1);
	memcpy(big + 60, "aa", 2);
	memcpy(big + 120, "\r\n\r\n", 4);
	ASSERT_EQ(scan(big, 124, false, &lim, &s), -EBADMSG);
	ASSERT_EQ(s.error.status, 431);
	ASSERT_EQ(scan("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n", 20, false, &lim, &s), -EBADMSG);
	ASSERT_EQ(s.error.status, 400);
}

TEST(parse_request)
{
	int status;
	struct http_request *req = parse("POST /v1.41/containers/a%20b/start?x=1&y=a+b%2Fc&z&x=2 "
					 "HTTP/1.1\r\nHost: api\r\nContent-Length:  12 \r\n"
					 "X-Empty:\r\nconnection: keep-alive, Upgrade\r\n"
					 "Upgrade: tcp\r\nExpect: 100-continue\r\n\r\n",
					 &status);

	ASSERT_TRUE(req);
	ASSERT_STREQ(http_request_method(req), "POST");
	ASSERT_STREQ(http_request_path(req), "/v1.41/containers/a b/start");
	ASSERT_STREQ(http_request_query(req, "x"), "1");
	ASSERT_STREQ(http_request_query(req, "y"), "a b/c");
	ASSERT_STREQ(http_request_query(req, "z"), "");
	ASSERT_TRUE(http_request_query(req, "w") == NULL);
	ASSERT_STREQ(http_request_header(req, "content-length"), "12");
	ASSERT_STREQ(http_request_header(req, "X-EMPTY"), "");
	ASSERT_STREQ(http_request_header(req, "host"), "api");
	ASSERT_EQ(req->body_kind, HTTP_BODY_LENGTH);
	ASSERT_EQ(req->content_length, 12);
	ASSERT_TRUE(req->has_upgrade);
	ASSERT_TRUE(req->expect_continue);
	ASSERT_FALSE(req->conn_close);
	_cleanup_strv_ char **xs = http_request_query_all(req, "x");
	ASSERT_EQ(strv_length(xs), 2);
	ASSERT_STREQ(xs[1], "2");
	ASSERT_TRUE(http_request_query_all(req, "nope") == NULL);
	http_request_unref(req);

	req = parse("GET http://host:80/a?b=1 HTTP/1.0\r\n\r\n", &status);
	ASSERT_TRUE(req);
	ASSERT_STREQ(http_request_path(req), "/a");
	ASSERT_TRUE(req->conn_close);
	ASSERT_EQ(req->body_kind, HTTP_BODY_NONE);
	http_request_unref(req);
	req = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &status);
	ASSERT_TRUE(req && !req->conn_close);
	http_request_unref(req);
	req = parse("PUT / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", &status);
	ASSERT_TRUE(req && req->body_kind == HTTP_BODY_CHUNKED);
	http_request_unref(req);
}

TEST(parse_errors)
{
	static const struct {
		const char *text;
		int status;
	} cases[] = {
		{ "GET\r\n\r\n", 400 },
		{ "GET /  HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1 \r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\n\r\n", 505 },
		{ "GET / HTTP/1.1x\r\n\r\n", 400 },
		{ "GET x HTTP/1.1\r\n\r\n", 400 },
		{ "G(T / HTTP/1.1\r\n\r\n", 400 },
		{ "GET /%zz HTTP/1.1\r\n\r\n", 400 },
		{ "GET /%00 HTTP/1.1\r\n\r\n", 400 },
		{ "GET /a%2 HTTP/1.1\r\n\r\n", 400 },
		{ "GET /?a=%0 HTTP/1.1\r\n\r\n", 400 },
		{ "GET /?a=%00 HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 413 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 501 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		  400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int status;
		struct http_request *req = parse(cases[i].text, &status);
		if (req || status != cases[i].status)
			TAP_FAIL("case %zu '%s': status %d, want %d", i, cases[i].text, status,
				 cases[i].status);
	}
}

/* Decode body bytes in pieces of step; returns the result and the data. */
static int decode(enum http_body_kind kind, uint64_t len, const char *in, size_t in_len,
		  size_t step, char *out, size_t *out_len, size_t *consumed)
{
	struct http_body_decoder d;
	size_t off = 0, avail = 0;
	int r = 0;

	http_body_decoder_init(&d, kind, len);
	*out_len = 0;
	while (r == 0 && avail < in_len) {
		avail = avail + step > in_len ? in_len : avail + step;
		for (;;) {
			const char *data;
			size_t used, dlen;
			r = http_body_decode(&d, in + off, avail - off, &used, &data, &dlen);
			memcpy(out + *out_len, data ? data : "", dlen);
			*out_len += dlen;
			off += used;
			if (r != 0 || used == 0)
				break;
		}
	}
	*consumed = off;
	return r;
}

TEST(body_chunked)
{
	static const char body[] = "5;ext=1;x=\"y\"\r\nhello\r\n1\n \n6 \r\nworld!\r\n"
				   "0\r\nTrailer: x\r\n\r\nNEXT";
	char out[64];
	size_t n, used;

	for (size_t step = 1; step < sizeof(body); step += 7) {
		ASSERT_EQ(
			decode(HTTP_BODY_CHUNKED, 0, body, sizeof(body) - 1, step, out, &n, &used),
			1);
		ASSERT_EQ(n, 12);
		ASSERT_TRUE(memcmp(out, "hello world!", 12) == 0);
		ASSERT_EQ(used, sizeof(body) - 1 - 4);
	}
	ASSERT_EQ(decode(HTTP_BODY_CHUNKED, 0, "0\r\n\r\n", 5, 1, out, &n, &used), 1);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(decode(HTTP_BODY_LENGTH, 3, "abcdef", 6, 2, out, &n, &used), 1);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(used, 3);
	ASSERT_EQ(decode(HTTP_BODY_CHUNKED, 0, "x\r\n", 3, 1, out, &n, &used), -EBADMSG);
	ASSERT_EQ(decode(HTTP_BODY_CHUNKED, 0, "2\r\nabc\r\n", 8, 1, out, &n, &used), -EBADMSG);
	ASSERT_EQ(decode(HTTP_BODY_CHUNKED, 0, "1\rx", 3, 1, out, &n, &used), -EBADMSG);
	ASSERT_EQ(decode(HTTP_BODY_CHUNKED, 0, "1234567890abcdef0\r\n", 19, 1, out, &n, &used),
		  -EBADMSG);
	ASSERT_EQ(decode(HTTP_BODY_CHUNKED, 0, "3\r\nab", 5, 1, out, &n, &used), 0);
}

TEST(body_chunk_limits)
{
	_cleanup_free_ char *ext = xmalloc(HTTP_MAX_TRAILER + 100);
	char out[8];
	size_t n, used;

	memset(ext, 'e', HTTP_MAX_TRAILER + 100);
	memcpy(ext, "1;", 2);
	ASSERT_EQ(decode(HTTP_BODY_CHUNKED, 0, ext, HTTP_MAX_CHUNK_LINE + 10, 4096, out, &n, &used),
		  -EBADMSG);
	memcpy(ext, "0\r\n", 3);
	ASSERT_EQ(decode(HTTP_BODY_CHUNKED, 0, ext, HTTP_MAX_TRAILER + 100, 4096, out, &n, &used),
		  -EBADMSG);
}

TEST(percent_decode)
{
	char out[32];
	size_t n;

	ASSERT_OK(http_percent_decode("a%2fb%2F+c", 10, false, out, &n));
	ASSERT_STREQ(out, "a/b/+c");
	ASSERT_EQ(n, 6);
	ASSERT_OK(http_percent_decode("a+b%20", 6, true, out, &n));
	ASSERT_STREQ(out, "a b ");
	ASSERT_EQ(http_percent_decode("%", 1, false, out, &n), -EINVAL);
	ASSERT_EQ(http_percent_decode("%4", 2, false, out, &n), -EINVAL);
	ASSERT_EQ(http_percent_decode("%g0", 3, false, out, &n), -EINVAL);
	ASSERT_EQ(http_percent_decode("%00", 3, false, out, &n), -EINVAL);
}

static void h_any(struct http_request *req, void *data)
{
}

static const struct http_route *route(struct http_router *r, const char *method, const char *path,
				      struct http_request **ret)
{
	_cleanup_free_ char *text = xasprintf("%s %s HTTP/1.1\r\n\r\n", method, path);
	int status;
	struct http_request *req = parse(text, &status);

	*ret = req;
	return req ? http_router_match(r, req) : NULL;
}

TEST(router_match)
{
	struct http_router *r = NULL;
	struct http_request *req = NULL;
	int a, b, c, d, e, f;

	ASSERT_OK(http_router_new(&r));
	http_router_set_version_prefix(r, true);
	http_router_add(r, "GET", "/_ping", 0, h_any, &a);
	http_router_add(r, "POST", "/containers/{id}/start", 0, h_any, &b);
	http_router_add(r, "GET", "/images/{name*}/json", 0, h_any, &c);
	http_router_add(r, "DELETE", "/images/{name*}", 0, h_any, &d);
	http_router_add(r, "GET", "/", 0, h_any, &e);
	http_router_add(r, "GET", "/x/{a}/{b}/", HTTP_ROUTE_STREAM_BODY, h_any, &f);

	ASSERT_TRUE(route(r, "GET", "/_ping", &req)->data == &a);
	ASSERT_EQ(http_request_api_version(req), 0);
	http_request_unref(req);
	ASSERT_TRUE(route(r, "HEAD", "/v1.45/_ping", &req)->data == &a);
	ASSERT_EQ(http_request_api_version(req), 145);
	ASSERT_STREQ(http_request_path(req), "/_ping");
	ASSERT_STREQ(http_request_method(req), "HEAD");
	http_request_unref(req);
	/* Matching is on the decoded path, as with moby's router. */
	ASSERT_TRUE(route(r, "POST", "/v1.41/containers/abc%2Fd/start", &req) == NULL);
	ASSERT_EQ(http_request_api_version(req), 141);
	http_request_unref(req);
	ASSERT_TRUE(route(r, "POST", "/v1.41/containers/abc%20d/start", &req)->data == &b);
	ASSERT_STREQ(http_request_param(req, "id"), "abc d");
	http_request_unref(req);
	ASSERT_TRUE(route(r, "POST", "/containers/abc/start", &req)->data == &b);
	ASSERT_STREQ(http_request_param(req, "id"), "abc");
	ASSERT_TRUE(http_request_param(req, "nope") == NULL);
	http_request_unref(req);
	ASSERT_TRUE(route(r, "GET", "/images/localhost:5000/a/b/json", &req)->data == &c);
	ASSERT_STREQ(http_request_param(req, "name"), "localhost:5000/a/b");
	http_request_unref(req);
	ASSERT_TRUE(route(r, "DELETE", "/v1.24/images/busybox:latest", &req)->data == &d);
	ASSERT_STREQ(http_request_param(req, "name"), "busybox:latest");
	http_request_unref(req);
	ASSERT_TRUE(route(r, "GET", "/v1.41", &req)->data == &e);
	http_request_unref(req);
	ASSERT_TRUE(route(r, "GET", "/x/1/2/", &req)->flags == HTTP_ROUTE_STREAM_BODY);
	ASSERT_STREQ(http_request_param(req, "a"), "1");
	ASSERT_STREQ(http_request_param(req, "b"), "2");
	http_request_unref(req);

	ASSERT_TRUE(route(r, "POST", "/_ping", &req) == NULL);
	http_request_unref(req);
	ASSERT_TRUE(route(r, "POST", "/containers//start", &req) == NULL);
	http_request_unref(req);
	ASSERT_TRUE(route(r, "GET", "/images/json", &req) == NULL);
	http_request_unref(req);
	ASSERT_TRUE(route(r, "GET", "/x/1/2", &req) == NULL);
	http_request_unref(req);
	ASSERT_TRUE(route(r, "GET", "/v1.x/_ping", &req) == NULL);
	http_request_unref(req);
	ASSERT_TRUE(route(r, "GET", "/_ping/", &req) == NULL);
	http_request_unref(req);
	http_router_set_version_prefix(r, false);
	ASSERT_TRUE(route(r, "GET", "/v1.41/_ping", &req) == NULL);
	http_request_unref(req);
	http_router_free(r);
}

TEST(query_bool_and_json)
{
	int status;
	struct http_request *req =
		parse("GET /?a=1&b=True&c=0&d=false&e=&f=no&g=yes HTTP/1.1\r\n\r\n", &status);
	_cleanup_error_ struct berth_error *err = NULL;
	json_object *obj = (void *)1;

	ASSERT_TRUE(req);
	ASSERT_TRUE(http_request_query_bool(req, "a", false));
	ASSERT_TRUE(http_request_query_bool(req, "b", false));
	ASSERT_FALSE(http_request_query_bool(req, "c", true));
	ASSERT_FALSE(http_request_query_bool(req, "d", true));
	ASSERT_FALSE(http_request_query_bool(req, "e", true));
	ASSERT_FALSE(http_request_query_bool(req, "f", true));
	ASSERT_TRUE(http_request_query_bool(req, "g", false));
	ASSERT_TRUE(http_request_query_bool(req, "absent", true));
	ASSERT_FALSE(http_request_query_bool(req, "absent", false));

	ASSERT_OK(http_request_body_json(req, &obj, &err));
	ASSERT_TRUE(obj == NULL);
	req->body = xstrdup("{\"a\": [1, 2]}");
	req->body_len = strlen(req->body);
	ASSERT_OK(http_request_body_json(req, &obj, &err));
	ASSERT_TRUE(json_object_is_type(obj, json_type_object));
	json_object_put(obj);
	free(req->body);
	req->body = xstrdup("{\"a\": x}");
	req->body_len = strlen(req->body);
	ASSERT_EQ(http_request_body_json(req, &obj, &err), -EINVAL);
	ASSERT_CONTAINS(err->msg, "invalid JSON");
	berth_error_freep(&err);
	free(req->body);
	req->body = xstrdup("[1]");
	req->body_len = 3;
	ASSERT_EQ(http_request_body_json(req, &obj, &err), -EINVAL);
	berth_error_freep(&err);
	free(req->body);
	req->body = xmalloc(300);
	memset(req->body, '[', 300);
	req->body_len = 300;
	ASSERT_EQ(http_request_body_json(req, &obj, &err), -EINVAL);
	http_request_unref(req);
}
