/* Unit tests of long-lived exchanges over a real unix socket: chunked
 * streams with headers first, backpressure, the client going away, the
 * hijack with half-close, and streamed request bodies. */
#include "test-http-harness.c"

#define BIG_TOTAL (16u << 20)
#define BIG_PIECE (256u << 10)

struct state {
	struct fx *f;
	struct http_request *req;
	int n, closes, drains, ends, end_error;
	size_t sent, max_queued, uploaded;
	int hijack_fd;
	char hijack_buf[256];
	size_t hijack_len;
};

static struct state st;

/* ---- chunked stream ---- */

static void stream_tick(struct http_loop *l, void *data)
{
	char line[32];

	if (st.n == 3) {
		http_stream_end(st.req);
		st.req = http_request_unref(st.req);
		return;
	}
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "n", json_object_new_int(++st.n));
	if (st.n == 2) {
		(void)snprintf(line, sizeof(line), "{\"raw\":%d}\n", st.n);
		http_stream_write(st.req, line, strlen(line));
	} else {
		http_stream_write_json(st.req, o);
	}
	http_loop_add_timer(l, 20, stream_tick, NULL);
}

static void h_stream(struct http_request *req, void *data)
{
	st.req = http_request_ref(req);
	st.n = 0;
	http_stream_begin(req, 200, "application/json");
	/* The head is out before the first chunk. */
	http_loop_add_timer(st.f->l, 150, stream_tick, NULL);
}

/* ---- backpressure ---- */

static void big_pump(struct http_request *req, void *data)
{
	static char piece[BIG_PIECE];

	st.drains += data != NULL;
	while (st.sent < BIG_TOTAL) {
		for (size_t i = 0; i < BIG_PIECE; i++)
			piece[i] = (char)((st.sent + i) % 251);
		size_t q = http_stream_write(req, piece, BIG_PIECE);
		st.sent += BIG_PIECE;
		if (q > st.max_queued)
			st.max_queued = q;
		if (q > (1u << 20)) {
			http_stream_on_drain(req, big_pump, &st);
			return;
		}
	}
	http_stream_end(req);
	http_request_unref(req);
}

static void h_big(struct http_request *req, void *data)
{
	http_request_ref(req);
	http_stream_begin(req, 200, "application/octet-stream");
	big_pump(req, NULL);
}

/* ---- the client goes away ---- */

static void wait_closed(struct http_request *req, void *data)
{
	st.closes++;
}

static void h_wait(struct http_request *req, void *data)
{
	st.req = http_request_ref(req);
	http_request_on_close(req, wait_closed, NULL);
	if (http_request_query_bool(req, "stream", false))
		http_stream_begin(req, 200, "application/json");
}

/* ---- hijack ---- */

static void hijack_readable(struct http_loop *l, int fd, uint32_t events, void *data)
{
	ssize_t n =
		read(fd, st.hijack_buf + st.hijack_len, sizeof(st.hijack_buf) - 1 - st.hijack_len);

	if (n > 0) {
		st.hijack_len += (size_t)n;
		return;
	}
	/* The client half-closed: answer and close. */
	st.hijack_buf[st.hijack_len] = '\0';
	_cleanup_free_ char *bye = xasprintf("BYE:%s", st.hijack_buf);
	(void)fd_write_all(fd, bye, strlen(bye));
	http_loop_del_fd(l, fd);
	(void)close(fd);
	st.hijack_fd = -1;
}

static void h_attach(struct http_request *req, void *data)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *pending = NULL;
	size_t len = 0;
	int fd;

	if (http_hijack(req, "application/vnd.docker.multiplexed-stream", &fd, &pending, &len,
			&err) < 0) {
		printf("# hijack: %s\n", err->msg);
		return;
	}
	memcpy(st.hijack_buf, pending ? pending : "", len);
	st.hijack_len = len;
	st.hijack_fd = fd;
	(void)http_loop_add_fd(st.f->l, fd, EPOLLIN, hijack_readable, NULL);
	/* Later calls on the request are harmless. */
	http_respond(req, 500, NULL, NULL, 0);
}

/* ---- streamed request bodies ---- */

static int upload_data(struct http_request *req, const void *data, size_t len, void *user)
{
	st.uploaded += len;
	return user ? -EIO : 0;
}

static void upload_end(struct http_request *req, int error, void *user)
{
	_cleanup_free_ char *s = xasprintf("got %zu", st.uploaded);

	st.ends++;
	st.end_error = error;
	if (!error)
		http_respond(req, 200, "text/plain", s, strlen(s));
	http_request_unref(req);
}

static void h_upload(struct http_request *req, void *data)
{
	st.uploaded = 0;
	http_request_read_body(http_request_ref(req), upload_data, upload_end, data);
}

static int setup(struct fx *f)
{
	int r = fx_init(f, NULL);

	if (r < 0)
		return r;
	memset(&st, 0, sizeof(st));
	st.f = f;
	st.hijack_fd = -1;
	http_router_add(f->r, "GET", "/stream", 0, h_stream, f);
	http_router_add(f->r, "GET", "/big", 0, h_big, f);
	http_router_add(f->r, "POST", "/wait", 0, h_wait, f);
	http_router_add(f->r, "POST", "/attach", 0, h_attach, f);
	http_router_add(f->r, "POST", "/upload", HTTP_ROUTE_STREAM_BODY, h_upload, NULL);
	http_router_add(f->r, "POST", "/upload-fail", HTTP_ROUTE_STREAM_BODY, h_upload, f);
	http_router_add(f->r, "POST", "/buffered-read", 0, h_upload, NULL);
	return 0;
}

static bool nothing_to_read(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 0;
}

static int client_stream(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(cl_send(rd, "GET /v1.41/stream HTTP/1.1\r\n\r\n") == 0);
	CHILD_CHECK(read_head(rd, &r) == 0 && r.status == 200);
	CHILD_CHECK(resp_header_is(&r, "Transfer-Encoding", "chunked"));
	CHILD_CHECK(!resp_header(&r, "Content-Length"));
	CHILD_CHECK(resp_header_is(&r, "Api-Version", "1.45"));
	CHILD_CHECK(rd->off == rd->len && nothing_to_read(rd->fd, 50));
	CHILD_CHECK(read_chunked(rd, &r) == 0);
	CHILD_CHECK(BODY_IS(r, "{\"n\":1}\n{\"raw\":2}\n{\"n\":3}\n"));
	CHILD_CHECK(r.chunks == 3);
	/* HEAD: the head only, and the connection goes on. */
	CHILD_CHECK(roundtrip(rd, "HEAD /stream HTTP/1.1\r\n\r\n", &r) == 200);
	CHILD_CHECK(!resp_header(&r, "Transfer-Encoding") && nothing_to_read(rd->fd, 300));
	/* HTTP/1.0: no chunks, the end of the body is the end of the connection. */
	CHILD_CHECK(roundtrip(rd, "GET /stream HTTP/1.0\r\n\r\n", &r) == 200);
	CHILD_CHECK(!resp_header(&r, "Transfer-Encoding"));
	CHILD_CHECK(BODY_IS(r, "{\"n\":1}\n{\"raw\":2}\n{\"n\":3}\n"));
	return 0;
}

TEST(stream_headers_first_then_chunks)
{
	struct fx f;

	ASSERT_OK(setup(&f));
	ASSERT_EQ(fx_run(&f, client_stream), 0);
	fx_fini(&f);
}

static int client_big(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(cl_send(rd, "GET /big HTTP/1.1\r\n\r\n") == 0);
	usleep(300000); /* a slow reader: the server must queue and wait */
	CHILD_CHECK(read_response(rd, &r, false) == 0 && r.status == 200);
	CHILD_CHECK(r.len == BIG_TOTAL);
	for (size_t i = 0; i < r.len; i++)
		CHILD_CHECK(r.body[i] == (char)(i % 251));
	CHILD_CHECK(roundtrip(rd, "HEAD /big HTTP/1.1\r\n\r\n", &r) == 200);
	return 0;
}

TEST(backpressure_on_drain)
{
	struct fx f;

	ASSERT_OK(setup(&f));
	ASSERT_EQ(fx_run(&f, client_big), 0);
	ASSERT_TRUE(st.drains >= 1);
	ASSERT_TRUE(st.max_queued < (2u << 20));
	fx_fini(&f);
}

static int client_goes_away(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(cl_send(rd, "POST /wait?stream=1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == 0);
	CHILD_CHECK(read_head(rd, &r) == 0 && r.status == 200);
	(void)close(rd->fd);
	return 0;
}

TEST(client_disconnect_fires_on_close)
{
	struct fx f;

	ASSERT_OK(setup(&f));
	ASSERT_EQ(fx_run(&f, client_goes_away), 0);
	ASSERT_EQ(st.closes, 1);
	ASSERT_TRUE(st.req && !st.req->conn);
	/* Harmless now, until the last reference goes. */
	ASSERT_EQ(http_stream_write(st.req, "x", 1), 0);
	http_stream_end(st.req);
	http_respond_error(st.req, 500, "late");
	http_request_on_close(st.req, wait_closed, NULL); /* fired already: not again */
	http_loop_add_timer(f.l, 20, fx_child_stop, NULL);
	ASSERT_OK(http_loop_run(f.l));
	ASSERT_EQ(st.closes, 1);
	st.req = http_request_unref(st.req);
	fx_fini(&f);
}

static int client_hijack(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };
	char buf[256];
	size_t got = 0;
	ssize_t n;

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	/* docker-modem: an empty chunked body, then the stream at once. */
	CHILD_CHECK(cl_send(rd, "POST /v1.41/attach?stream=1 HTTP/1.1\r\nHost: x\r\n"
				"Connection: Upgrade\r\nUpgrade: tcp\r\n"
				"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nHELLO") == 0);
	CHILD_CHECK(read_head(rd, &r) == 0 && r.status == 101);
	CHILD_CHECK(
		resp_header_is(&r, "Content-Type", "application/vnd.docker.multiplexed-stream"));
	CHILD_CHECK(resp_header_is(&r, "Connection", "Upgrade"));
	CHILD_CHECK(resp_header_is(&r, "Upgrade", "tcp"));
	CHILD_CHECK(resp_header_is(&r, "Api-Version", "1.45"));
	CHILD_CHECK(cl_send(rd, " WORLD") == 0);
	CHILD_CHECK(shutdown(rd->fd, SHUT_WR) == 0);
	memcpy(buf, rd->buf + rd->off, rd->len - rd->off);
	got = rd->len - rd->off;
	while ((n = read(rd->fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	CHILD_CHECK(strcmp(buf, "BYE:HELLO WORLD") == 0);
	(void)close(rd->fd);

	/* Without Upgrade: moby's raw 200. */
	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(cl_send(rd, "POST /attach HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}") == 0);
	CHILD_CHECK(read_head(rd, &r) == 0 && r.status == 200);
	CHILD_CHECK(resp_header_is(&r, "Content-Type", "application/vnd.docker.raw-stream"));
	CHILD_CHECK(shutdown(rd->fd, SHUT_WR) == 0);
	got = rd->len - rd->off;
	memcpy(buf, rd->buf + rd->off, got);
	while ((n = read(rd->fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	CHILD_CHECK(strcmp(buf, "BYE:") == 0);
	return 0;
}

TEST(hijack_pending_bytes_and_half_close)
{
	struct fx f;

	ASSERT_OK(setup(&f));
	ASSERT_EQ(fx_run(&f, client_hijack), 0);
	ASSERT_EQ(st.hijack_fd, -1);
	fx_fini(&f);
}

static int client_upload(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };
	char piece[10000];

	memset(piece, 'u', sizeof(piece));
	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(roundtrip(rd,
			      "POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
			      "Expect: 100-continue\r\n\r\n",
			      &r) == 100);
	for (int i = 0; i < 30; i++) {
		char size[16];
		(void)snprintf(size, sizeof(size), "%zx\r\n", sizeof(piece));
		CHILD_CHECK(cl_send(rd, size) == 0);
		CHILD_CHECK(fd_write_all(rd->fd, piece, sizeof(piece)) == 0);
		CHILD_CHECK(cl_send(rd, "\r\n") == 0);
		if (i % 10 == 0)
			usleep(10000);
	}
	CHILD_CHECK(roundtrip(rd, "0\r\n\r\n", &r) == 200 && BODY_IS(r, "got 300000"));
	/* A buffered route read through read_body. */
	CHILD_CHECK(roundtrip(rd, "POST /buffered-read HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
			      &r) == 200);
	CHILD_CHECK(BODY_IS(r, "got 3"));
	/* A reader that fails half-way: 400, and the connection closes. */
	CHILD_CHECK(roundtrip(rd, "POST /upload-fail HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello",
			      &r) == 400);
	CHILD_CHECK(resp_header_is(&r, "Connection", "close"));
	CHILD_CHECK(cl_sees_eof(rd, 2000));
	/* Bad framing in a streamed body. */
	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(roundtrip(rd,
			      "POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n",
			      &r) == 400);
	return 0;
}

TEST(streamed_request_body)
{
	struct fx f;

	ASSERT_OK(setup(&f));
	ASSERT_EQ(fx_run(&f, client_upload), 0);
	ASSERT_EQ(st.ends, 4);
	ASSERT_EQ(st.end_error, -EBADMSG);
	fx_fini(&f);
}
