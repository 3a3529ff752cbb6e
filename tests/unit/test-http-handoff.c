/* Unit tests of the body handoff (docker cp's PUT): a forked reader takes the
 * connection and reads the body from the socket itself, framing removed,
 * with the bytes the server had already read; the answer closes the
 * connection; limits, bad framing and a client that leaves are errors. */
#include "test-http-harness.c"

#include "http-handoff.h"

#define PIECE 10000

struct state {
	struct fx *f;
	int readers;	   /* reader children still running */
	int reader_status; /* exit status of the last reader */
	int take_errors;
};

static struct state st;

static void reader_done(struct http_loop *l, pid_t pid, int status, void *data)
{
	st.readers--;
	st.reader_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The reader: sums the body and answers "got N sum S"; errors are answered
 * as 400/413 when the client can still read them. Exit status: 0 read to
 * the end, 2 -EFBIG, 3 -EPIPE, 4 -EBADMSG, 5 other. */
static int reader(struct http_handoff *h, uint64_t max)
{
	char buf[4096];
	uint64_t got = 0, sum = 0;
	ssize_t n;

	if (max)
		http_handoff_set_limits(h, max, 5000);
	while ((n = http_handoff_read(h, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			sum += (unsigned char)buf[i];
		got += (uint64_t)n;
	}
	if (n == -EFBIG) {
		(void)http_handoff_respond_error(h, 413, "too big");
		return 2;
	}
	if (n == -EBADMSG) {
		(void)http_handoff_respond_error(h, 400, "bad chunk");
		return 4;
	}
	if (n < 0)
		return n == -EPIPE ? 3 : 5;
	_cleanup_free_ char *s =
		xasprintf("got %llu sum %llu", (unsigned long long)got, (unsigned long long)sum);
	return http_handoff_respond(h, 200, "text/plain", s, strlen(s)) < 0 ? 5 : 0;
}

static void h_put(struct http_request *req, void *data)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct http_handoff *h = NULL;
	const char *m = http_request_query(req, "max");
	uint64_t max = m ? strtoull(m, NULL, 10) : 0;

	http_response_add_header(req, "X-Extra", "kept");
	if (http_handoff_take(req, &h, &err) < 0) {
		st.take_errors++;
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(reader(h, max));
	http_handoff_free(h); /* the reader has the connection now */
	if (pid > 0 && http_loop_watch_pid(st.f->l, pid, reader_done, NULL) == 0)
		st.readers++;
	/* Later calls on the request are harmless. */
	http_respond(req, 500, NULL, NULL, 0);
}

static int setup(struct fx *f)
{
	int r = fx_init(f, NULL);

	if (r < 0)
		return r;
	memset(&st, 0, sizeof(st));
	st.f = f;
	http_router_add(f->r, "PUT", "/put", HTTP_ROUTE_STREAM_BODY, h_put, NULL);
	return 0;
}

static int send_chunk(struct rd *rd, const char *data, size_t n)
{
	char size[32];

	(void)snprintf(size, sizeof(size), "%zx;ext=1\r\n", n);
	if (cl_send(rd, size) < 0 || fd_write_all(rd->fd, data, n) < 0)
		return -1;
	return cl_send(rd, "\r\n");
}

static int client_put(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };
	char piece[PIECE];
	uint64_t sum = 0;

	for (size_t i = 0; i < sizeof(piece); i++) {
		piece[i] = (char)(i % 251);
		sum += (unsigned char)piece[i];
	}
	/* chunked: the head and the first chunk in one write (pending bytes of
	 * the server), the rest in pieces with pauses */
	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(cl_send(rd, "PUT /v1.45/put HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
				"5\r\nhello\r\n") == 0);
	for (int i = 0; i < 30; i++) {
		CHILD_CHECK(send_chunk(rd, piece, sizeof(piece)) == 0);
		if (i % 10 == 0)
			usleep(20000);
	}
	_cleanup_free_ char *want =
		xasprintf("got %u sum %llu", 30 * PIECE + 5, (unsigned long long)(30 * sum + 532));
	CHILD_CHECK(roundtrip(rd, "0\r\n\r\n", &r) == 200 && BODY_IS(r, want));
	CHILD_CHECK(resp_header_is(&r, "Connection", "close"));
	CHILD_CHECK(resp_header_is(&r, "Api-Version", "1.45"));
	CHILD_CHECK(resp_header_is(&r, "X-Extra", "kept"));
	CHILD_CHECK(cl_sees_eof(rd, 2000));
	/* Content-Length, after "100 Continue" */
	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(roundtrip(rd,
			      "PUT /put HTTP/1.1\r\nContent-Length: 5\r\n"
			      "Expect: 100-continue\r\n\r\n",
			      &r) == 100);
	CHILD_CHECK(roundtrip(rd, "abcde", &r) == 200 && BODY_IS(r, "got 5 sum 495"));
	/* no body at all */
	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(roundtrip(rd, "PUT /put HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r) == 200 &&
		    BODY_IS(r, "got 0 sum 0"));
	return 0;
}

TEST(handoff_reads_the_body_from_the_socket)
{
	struct fx f;

	ASSERT_OK(setup(&f));
	ASSERT_EQ(fx_run(&f, client_put), 0);
	ASSERT_EQ(st.take_errors, 0);
	ASSERT_EQ(st.readers, 0);
	ASSERT_EQ(st.reader_status, 0);
	fx_fini(&f);
}

static int client_too_big(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };
	char piece[PIECE] = { 0 };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(cl_send(rd, "PUT /put?max=15000 HTTP/1.1\r\nContent-Length: 20000\r\n\r\n") ==
		    0);
	CHILD_CHECK(fd_write_all(rd->fd, piece, sizeof(piece)) == 0);
	CHILD_CHECK(fd_write_all(rd->fd, piece, sizeof(piece)) == 0);
	CHILD_CHECK(read_response(rd, &r, false) == 0 && r.status == 413);
	CHILD_CHECK(BODY_IS(r, "{\"message\":\"too big\"}\n"));
	CHILD_CHECK(cl_sees_eof(rd, 2000));
	return 0;
}

TEST(handoff_limit_is_an_error_answer)
{
	struct fx f;

	ASSERT_OK(setup(&f));
	ASSERT_EQ(fx_run(&f, client_too_big), 0);
	ASSERT_EQ(st.reader_status, 2);
	fx_fini(&f);
}

static int client_bad_chunk(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(roundtrip(rd,
			      "PUT /put HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "3\r\nabc\r\nzz\r\n",
			      &r) == 400);
	return 0;
}

TEST(handoff_bad_framing)
{
	struct fx f;

	ASSERT_OK(setup(&f));
	ASSERT_EQ(fx_run(&f, client_bad_chunk), 0);
	ASSERT_EQ(st.reader_status, 4);
	fx_fini(&f);
}

static int client_leaves(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(cl_send(rd, "PUT /put HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly this") == 0);
	usleep(100000);
	(void)close(rd->fd);
	return 0;
}

TEST(handoff_client_leaving_is_epipe)
{
	struct fx f;

	ASSERT_OK(setup(&f));
	ASSERT_EQ(fx_run(&f, client_leaves), 0);
	/* the reader may end after the client: wait for it */
	for (int i = 0; i < 100 && st.readers > 0; i++) {
		http_loop_add_timer(f.l, 20, fx_child_stop, NULL);
		ASSERT_OK(http_loop_run(f.l));
	}
	ASSERT_EQ(st.readers, 0);
	ASSERT_EQ(st.reader_status, 3);
	fx_fini(&f);
}
