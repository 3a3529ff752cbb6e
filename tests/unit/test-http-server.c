/* Unit tests of the HTTP server over a real unix socket: keep-alive,
 * routing, parsing in pieces, pipelining, 100-continue, protocol errors and
 * limits, HTTP/1.0, idle and connection limits, the socket file. */
#include "test-http-harness.c"

static void h_echo(struct http_request *req, void *data)
{
	const char *id = http_request_param(req, "id"), *name = http_request_param(req, "name");
	const char *q = http_request_query(req, "q");
	_cleanup_free_ char *s =
		xasprintf("%s %s v=%u id=%s name=%s q=%s body=%s", http_request_method(req),
			  http_request_path(req), http_request_api_version(req), id ? id : "-",
			  name ? name : "-", q ? q : "-", http_request_body(req, NULL));

	http_response_add_header(req, "X-Echo", "yes");
	http_respond(req, 200, "text/plain", s, strlen(s));
}

struct slow {
	struct http_request *req;
	char text[32];
};

static void slow_fire(struct http_loop *l, void *data)
{
	struct slow *s = data;

	http_respond(s->req, 200, "text/plain", s->text, strlen(s->text));
	http_request_unref(s->req);
	free(s);
}

/* Answers later, from a timer. */
static void h_slow(struct http_request *req, void *data)
{
	struct fx *f = data;
	struct slow *s = xzalloc(sizeof(*s));
	int ms = atoi(http_request_param(req, "ms"));

	s->req = http_request_ref(req);
	(void)snprintf(s->text, sizeof(s->text), "slow %d", ms);
	http_loop_add_timer(f->l, (uint64_t)ms, slow_fire, s);
}

static void h_nocontent(struct http_request *req, void *data)
{
	http_respond(req, 204, NULL, NULL, 0);
}

static void h_nothing(struct http_request *req, void *data)
{
}

static void h_json(struct http_request *req, void *data)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *obj = NULL;

	if (http_request_body_json(req, &obj, &err) < 0) {
		http_respond_error(req, 400, "%s", err->msg);
		return;
	}
	http_respond_json(req, 201, obj);
}

static int setup(struct fx *f, const struct http_limits *lim)
{
	int r = fx_init(f, lim);

	if (r < 0)
		return r;
	http_router_add(f->r, "GET", "/echo", 0, h_echo, f);
	http_router_add(f->r, "POST", "/echo", 0, h_echo, f);
	http_router_add(f->r, "GET", "/containers/{id}/json", 0, h_echo, f);
	http_router_add(f->r, "GET", "/images/{name*}/json", 0, h_echo, f);
	http_router_add(f->r, "GET", "/slow/{ms}", 0, h_slow, f);
	http_router_add(f->r, "GET", "/nocontent", 0, h_nocontent, f);
	http_router_add(f->r, "GET", "/nothing", 0, h_nothing, f);
	http_router_add(f->r, "POST", "/json", 0, h_json, f);
	return 0;
}

static int client_keepalive(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(roundtrip(rd, "GET /echo?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", &r) == 200);
	CHILD_CHECK(BODY_IS(r, "GET /echo v=0 id=- name=- q=1 body="));
	CHILD_CHECK(resp_header_is(&r, "Api-Version", "1.45"));
	CHILD_CHECK(resp_header_is(&r, "Server", "berth-test"));
	CHILD_CHECK(resp_header_is(&r, "X-Echo", "yes"));
	CHILD_CHECK(resp_header_is(&r, "Content-Type", "text/plain"));
	CHILD_CHECK(resp_header_is(&r, "Content-Length", "35"));
	CHILD_CHECK(!resp_header(&r, "Connection"));
	CHILD_CHECK(roundtrip(rd, "HEAD /echo HTTP/1.1\r\n\r\n", &r) == 200);
	CHILD_CHECK(resp_header_is(&r, "Content-Length", "36") && r.len == 0);
	CHILD_CHECK(roundtrip(rd, "GET /v1.41/containers/abc/json HTTP/1.1\r\n\r\n", &r) == 200);
	CHILD_CHECK(BODY_IS(r, "GET /containers/abc/json v=141 id=abc name=- q=- body="));
	CHILD_CHECK(roundtrip(rd, "GET /images/localhost:5000/a/b/json?q=%41+b HTTP/1.1\r\n\r\n",
			      &r) == 200);
	CHILD_CHECK(BODY_IS(r, "GET /images/localhost:5000/a/b/json v=0 id=- "
			       "name=localhost:5000/a/b q=A b body="));
	CHILD_CHECK(roundtrip(rd, "GET /nope HTTP/1.1\r\n\r\n", &r) == 404);
	CHILD_CHECK(BODY_IS(r, "{\"message\":\"page not found\"}\n"));
	CHILD_CHECK(resp_header_is(&r, "Content-Type", "application/json"));
	CHILD_CHECK(roundtrip(rd, "GET /nocontent HTTP/1.1\r\n\r\n", &r) == 204);
	CHILD_CHECK(!resp_header(&r, "Content-Length"));
	CHILD_CHECK(roundtrip(rd, "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", &r) ==
		    200);
	CHILD_CHECK(BODY_IS(r, "POST /echo v=0 id=- name=- q=- body=hello"));
	CHILD_CHECK(roundtrip(rd,
			      "POST /json HTTP/1.1\r\nContent-Length: 12\r\n\r\n{\"a\":\"b/c\"}\n",
			      &r) == 201);
	CHILD_CHECK(BODY_IS(r, "{\"a\":\"b/c\"}\n"));
	CHILD_CHECK(roundtrip(rd, "POST /json HTTP/1.1\r\nContent-Length: 3\r\n\r\n{x}", &r) ==
		    400);
	CHILD_CHECK(strstr(r.body, "{\"message\":\"request body: invalid JSON at byte"));
	CHILD_CHECK(roundtrip(rd, "GET /nothing HTTP/1.1\r\n\r\n", &r) == 500);
	CHILD_CHECK(roundtrip(rd, "GET /echo HTTP/1.1\r\nConnection: close\r\n\r\n", &r) == 200);
	CHILD_CHECK(resp_header_is(&r, "Connection", "close"));
	CHILD_CHECK(cl_sees_eof(rd, 2000));
	return 0;
}

TEST(keepalive_routing_head_errors)
{
	struct fx f;

	ASSERT_OK(setup(&f, NULL));
	ASSERT_EQ(fx_run(&f, client_keepalive), 0);
	fx_fini(&f);
}

static int client_bytewise(struct fx *f)
{
	static const char req[] = "POST /v1.24/echo?q=a%20b HTTP/1.1\r\nHost: x\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n"
				  "0\r\nTrailer: v\r\n\r\n";
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(req) - 1; i++) {
			CHILD_CHECK(write(rd->fd, req + i, 1) == 1);
			usleep(300);
		}
		CHILD_CHECK(read_response(rd, &r, false) == 0 && r.status == 200);
		CHILD_CHECK(BODY_IS(r, "POST /echo v=124 id=- name=- q=a b body=abcde"));
		free(r.body);
	}
	return 0;
}

TEST(request_one_byte_at_a_time)
{
	struct fx f;

	ASSERT_OK(setup(&f, NULL));
	ASSERT_EQ(fx_run(&f, client_bytewise), 0);
	fx_fini(&f);
}

static int client_pipeline(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };
	static const char *const want[] = { "slow 60",
					    "GET /echo v=0 id=- name=- q=2 body=", "slow 10",
					    "POST /echo v=0 id=- name=- q=4 body=xy" };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(cl_send(rd, "GET /slow/60 HTTP/1.1\r\n\r\nGET /echo?q=2 HTTP/1.1\r\n\r\n"
				"GET /slow/10 HTTP/1.1\r\n\r\nPOST /echo?q=4 HTTP/1.1\r\n"
				"Content-Length: 2\r\n\r\nxy") == 0);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		CHILD_CHECK(read_response(rd, &r, false) == 0 && r.status == 200);
		CHILD_CHECK(BODY_IS(r, want[i]));
		free(r.body);
	}
	/* The client half-closes after its last pipelined request. */
	CHILD_CHECK(cl_send(rd, "GET /slow/20 HTTP/1.1\r\n\r\nGET /echo?q=6 HTTP/1.1\r\n\r\n") ==
		    0);
	CHILD_CHECK(shutdown(rd->fd, SHUT_WR) == 0);
	CHILD_CHECK(read_response(rd, &r, false) == 0 && BODY_IS(r, "slow 20"));
	CHILD_CHECK(read_response(rd, &r, false) == 0 && strstr(r.body, "q=6"));
	CHILD_CHECK(cl_sees_eof(rd, 2000));
	return 0;
}

TEST(pipelining_in_order)
{
	struct fx f;

	ASSERT_OK(setup(&f, NULL));
	ASSERT_EQ(fx_run(&f, client_pipeline), 0);
	fx_fini(&f);
}

static int client_continue(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(roundtrip(rd,
			      "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n"
			      "Expect: 100-continue\r\n\r\n",
			      &r) == 100);
	CHILD_CHECK(roundtrip(rd, "hello", &r) == 200);
	CHILD_CHECK(BODY_IS(r, "POST /echo v=0 id=- name=- q=- body=hello"));
	/* No body: no 100. */
	CHILD_CHECK(roundtrip(rd, "GET /echo HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", &r) == 200);
	/* Too large: 413 at once, no 100, and the connection closes. */
	CHILD_CHECK(roundtrip(rd,
			      "POST /echo HTTP/1.1\r\nContent-Length: 2000000\r\n"
			      "Expect: 100-continue\r\n\r\n",
			      &r) == 413);
	CHILD_CHECK(resp_header_is(&r, "Connection", "close"));
	CHILD_CHECK(cl_sees_eof(rd, 2000));
	return 0;
}

TEST(expect_continue)
{
	struct fx f;
	struct http_limits lim = { .max_body = 1 << 20 };

	ASSERT_OK(setup(&f, &lim));
	ASSERT_EQ(fx_run(&f, client_continue), 0);
	fx_fini(&f);
}

/* Send text (of len bytes) on a new connection: the status, then EOF. */
static int one_shot(struct fx *f, const char *text, size_t len, const char *want_in_body)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };
	int k;

	if (cl_connect(f, rd) < 0)
		return -1;
	(void)send(rd->fd, text, len ? len : strlen(text), MSG_NOSIGNAL);
	k = read_response(rd, &r, false);
	if (k < 0) {
		printf("# read: %s\n", strerror(-k));
		return k;
	}
	if (!resp_header_is(&r, "Connection", "close") || !cl_sees_eof(rd, 2000))
		return -2;
	if (want_in_body && (!r.body || !strstr(r.body, want_in_body)))
		return -3;
	(void)close(rd->fd);
	free(r.body);
	free(rd);
	return r.status;
}

static int client_errors(struct fx *f)
{
	static char text[100100];
	size_t big = 100000;

	CHILD_CHECK(one_shot(f, "GARBAGE\r\n\r\n", 0, "{\"message\":\"malformed") == 400);
	CHILD_CHECK(one_shot(f, "GET / HTTP/3.0\r\n\r\n", 0, NULL) == 505);
	/* No route: 404 at once, without waiting for the body. */
	CHILD_CHECK(one_shot(f, "POST /nope HTTP/1.1\r\nContent-Length: 100000\r\n\r\n", 0,
			     "page not found") == 404);
	CHILD_CHECK(one_shot(f, "GET /%00 HTTP/1.1\r\n\r\n", 0, NULL) == 400);
	CHILD_CHECK(one_shot(f, "POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 0,
			     NULL) == 501);
	CHILD_CHECK(one_shot(f, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			     0, "chunked") == 400);
	strcpy(text, "GET /");
	memset(text + 5, 'a', big);
	CHILD_CHECK(one_shot(f, text, big, NULL) == 414);
	strcpy(text, "GET / HTTP/1.1\r\nX: ");
	memset(text + 19, 'a', big);
	CHILD_CHECK(one_shot(f, text, big, NULL) == 431);
	strcpy(text, "POST /echo HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n");
	CHILD_CHECK(one_shot(f, text, 0, "too large") == 413);
	/* A chunked body over max_body is refused while it arrives. */
	strcpy(text, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n");
	size_t hl = strlen(text);
	memset(text + hl, 'b', 65536);
	text[hl + 65536] = '\0';
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };
	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(cl_send(rd, text) == 0);
	for (int i = 0; i < 16; i++) {
		char chunk[65536 + 16];
		memset(chunk, 'c', sizeof(chunk));
		memcpy(chunk, "\r\n10000\r\n", 9);
		if (send(rd->fd, chunk, 65536 + 9, MSG_NOSIGNAL) < 0)
			break;
	}
	CHILD_CHECK(read_response(rd, &r, false) == 0 && r.status == 413);
	return 0;
}

TEST(protocol_errors_and_limits)
{
	struct fx f;
	struct http_limits lim = { .max_body = 1 << 20 };

	ASSERT_OK(setup(&f, &lim));
	ASSERT_EQ(fx_run(&f, client_errors), 0);
	fx_fini(&f);
}

static int client_http10(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	CHILD_CHECK(roundtrip(rd, "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r) ==
		    200);
	CHILD_CHECK(resp_header_is(&r, "Connection", "keep-alive"));
	CHILD_CHECK(roundtrip(rd, "GET /echo?q=x HTTP/1.0\r\n\r\n", &r) == 200);
	CHILD_CHECK(strstr(r.body, "q=x") && resp_header_is(&r, "Connection", "close"));
	CHILD_CHECK(cl_sees_eof(rd, 2000));
	return 0;
}

TEST(http10)
{
	struct fx f;

	ASSERT_OK(setup(&f, NULL));
	ASSERT_EQ(fx_run(&f, client_http10), 0);
	fx_fini(&f);
}

static int client_idle(struct fx *f)
{
	struct rd *a = xzalloc(sizeof(*a)), *b = xzalloc(sizeof(*b)), *c = xzalloc(sizeof(*c));
	struct rd *d = xzalloc(sizeof(*d));
	struct resp r = { 0 };

	CHILD_CHECK(cl_connect(f, a) >= 0);
	CHILD_CHECK(roundtrip(a, "GET /echo HTTP/1.1\r\n\r\n", &r) == 200);
	CHILD_CHECK(cl_connect(f, b) >= 0);
	CHILD_CHECK(cl_send(b, "GET /echo HTTP/1.1\r\n") == 0); /* never finished */
	CHILD_CHECK(cl_connect(f, d) >= 0);
	CHILD_CHECK(cl_send(d, "POST /echo HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc") == 0);
	/* Over max_connections: closed at once. */
	CHILD_CHECK(cl_connect(f, c) >= 0);
	CHILD_CHECK(cl_sees_eof(c, 1000));
	/* Idle, a head too slow, a body stalled: all closed in time. */
	for (int i = 0; i < 5; i++) {
		usleep(100000);
		CHILD_CHECK(cl_send(d, "d") == 0); /* the body moves: kept */
	}
	CHILD_CHECK(cl_sees_eof(a, 3000));
	CHILD_CHECK(cl_sees_eof(b, 3000));
	CHILD_CHECK(cl_sees_eof(d, 3000));
	(void)close(c->fd);
	CHILD_CHECK(cl_connect(f, c) >= 0);
	CHILD_CHECK(roundtrip(c, "GET /echo HTTP/1.1\r\n\r\n", &r) == 200);
	return 0;
}

TEST(idle_timeout_and_max_connections)
{
	struct fx f;
	struct http_limits lim = { .idle_timeout_ms = 300, .max_connections = 3 };

	ASSERT_OK(setup(&f, &lim));
	ASSERT_EQ(fx_run(&f, client_idle), 0);
	fx_fini(&f);
}

TEST(socket_file)
{
	struct fx f;
	struct http_server *second = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct stat st;

	ASSERT_OK(setup(&f, NULL));
	ASSERT_OK(stat(f.sock, &st));
	ASSERT_TRUE(S_ISSOCK(st.st_mode));
	ASSERT_EQ(st.st_mode & 0777, 0660);
	/* A live server is not replaced. */
	ASSERT_EQ(http_server_new_unix(f.l, f.sock, 0600, (gid_t)-1, NULL, f.r, &second, &err),
		  -EADDRINUSE);
	berth_error_freep(&err);
	f.s = http_server_free(f.s);
	ASSERT_EQ(stat(f.sock, &st), -1);
	/* A stale socket file is. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, f.sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	(void)close(fd);
	ASSERT_OK(http_server_new_unix(f.l, f.sock, 0600, getgid(), NULL, f.r, &f.s, &err));
	ASSERT_OK(stat(f.sock, &st));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	/* Not a socket: refused. */
	char path[160];
	(void)snprintf(path, sizeof(path), "%s/file", f.dir);
	ASSERT_OK(file_write_replace(path, "x", 1, 0600));
	ASSERT_EQ(http_server_new_unix(f.l, path, 0600, (gid_t)-1, NULL, f.r, &second, &err),
		  -EEXIST);
	fx_fini(&f);
}
