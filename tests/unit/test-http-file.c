/* Unit tests of file responses (http_respond_file: sendfile with
 * backpressure, ranges, HEAD, pipelined requests after a file) and of the
 * TCP listener (http_server_new_tcp, the client's address). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "test-http-harness.c"

#define FILE_SIZE (5u * 1024 * 1024 + 123)

static char file_path[128];

static void h_file(struct http_request *req, void *data)
{
	uint64_t off = strtoull(http_request_param(req, "off"), NULL, 10);
	uint64_t len = strtoull(http_request_param(req, "len"), NULL, 10);
	int fd = open(file_path, O_RDONLY | O_CLOEXEC);

	http_response_add_header(req, "X-File", "yes");
	http_respond_file(req, 200, "application/octet-stream", fd, off, len);
}

static void h_peer(struct http_request *req, void *data)
{
	const char *p = http_request_peer(req);

	http_respond(req, 200, "text/plain", p, strlen(p));
}

static unsigned char byte_at(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

static int make_file(const struct fx *f)
{
	unsigned char *buf = xmalloc(FILE_SIZE);
	int r;

	(void)snprintf(file_path, sizeof(file_path), "%s/data", f->dir);
	for (size_t i = 0; i < FILE_SIZE; i++)
		buf[i] = byte_at(i);
	r = file_write_atomic(file_path, buf, FILE_SIZE, 0644);
	free(buf);
	return r;
}

static bool body_matches(const struct resp *r, size_t off, size_t len)
{
	if (r->len != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)r->body[i] != byte_at(off + i))
			return false;
	return true;
}

static int client_files(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct resp r = { 0 };
	char req[256];

	CHILD_CHECK(cl_connect(f, rd) >= 0);
	(void)snprintf(req, sizeof(req), "GET /file/0/%u HTTP/1.1\r\n\r\n", FILE_SIZE);
	CHILD_CHECK(roundtrip(rd, req, &r) == 200);
	CHILD_CHECK(resp_header_is(&r, "X-File", "yes"));
	CHILD_CHECK(body_matches(&r, 0, FILE_SIZE));
	CHILD_CHECK(roundtrip(rd, "GET /file/1000/10 HTTP/1.1\r\n\r\n", &r) == 200);
	CHILD_CHECK(resp_header_is(&r, "Content-Length", "10"));
	CHILD_CHECK(body_matches(&r, 1000, 10));
	CHILD_CHECK(roundtrip(rd, "HEAD /file/0/4096 HTTP/1.1\r\n\r\n", &r) == 200);
	CHILD_CHECK(resp_header_is(&r, "Content-Length", "4096") && r.len == 0);
	CHILD_CHECK(roundtrip(rd, "GET /file/0/0 HTTP/1.1\r\n\r\n", &r) == 200);
	CHILD_CHECK(r.len == 0);
	/* pipelined: a large file, then a small answer, in order */
	(void)snprintf(req, sizeof(req),
		       "GET /file/7/%u HTTP/1.1\r\n\r\nGET /peer HTTP/1.1\r\n\r\n"
		       "GET /file/3/5 HTTP/1.1\r\n\r\n",
		       FILE_SIZE - 7);
	CHILD_CHECK(cl_send(rd, req) >= 0);
	CHILD_CHECK(read_response(rd, &r, false) == 0 && body_matches(&r, 7, FILE_SIZE - 7));
	free(r.body);
	CHILD_CHECK(read_response(rd, &r, false) == 0 && BODY_IS(r, "unix"));
	free(r.body);
	CHILD_CHECK(read_response(rd, &r, false) == 0 && body_matches(&r, 3, 5));
	/* a file shorter than promised: the connection is closed */
	(void)snprintf(req, sizeof(req), "GET /file/%u/100 HTTP/1.1\r\n\r\n", FILE_SIZE - 10);
	CHILD_CHECK(cl_send(rd, req) >= 0);
	CHILD_CHECK(read_head(rd, &r) == 0 && r.status == 200);
	CHILD_CHECK(rd_body(rd, &r, 10) == 0 && body_matches(&r, FILE_SIZE - 10, 10));
	CHILD_CHECK(cl_sees_eof(rd, 2000));
	return 0;
}

TEST(respond_file)
{
	struct fx f;

	ASSERT_OK(fx_init(&f, NULL));
	ASSERT_OK(make_file(&f));
	http_router_add(f.r, "GET", "/file/{off}/{len}", 0, h_file, &f);
	http_router_add(f.r, "GET", "/peer", 0, h_peer, &f);
	ASSERT_EQ(fx_run(&f, client_files), 0);
	fx_fini(&f);
}

static int tcp_port;

static int client_tcp(struct fx *f)
{
	struct rd *rd = xzalloc(sizeof(*rd));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)tcp_port) };
	struct resp r = { 0 };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rd->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHILD_CHECK(rd->fd >= 0);
	CHILD_CHECK(connect(rd->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHILD_CHECK(roundtrip(rd, "GET /peer HTTP/1.1\r\n\r\n", &r) == 200);
	CHILD_CHECK(BODY_IS(r, "127.0.0.1"));
	CHILD_CHECK(roundtrip(rd, "GET /file/0/65536 HTTP/1.1\r\n\r\n", &r) == 200);
	CHILD_CHECK(body_matches(&r, 0, 65536));
	return 0;
}

TEST(tcp_listener)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct http_server *tcp = NULL;
	struct fx f;
	int r = -1;

	ASSERT_OK(fx_init(&f, NULL));
	ASSERT_OK(make_file(&f));
	http_router_add(f.r, "GET", "/file/{off}/{len}", 0, h_file, &f);
	http_router_add(f.r, "GET", "/peer", 0, h_peer, &f);
	ASSERT_TRUE(http_server_new_tcp(f.l, "127.0.0.1", NULL, f.r, &tcp, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	ASSERT_TRUE(http_server_new_tcp(f.l, "[::1:80", NULL, f.r, &tcp, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	srand((unsigned)getpid());
	for (int i = 0; i < 50 && r < 0; i++) {
		char addr[32];
		tcp_port = 20000 + rand() % 30000;
		(void)snprintf(addr, sizeof(addr), "127.0.0.1:%d", tcp_port);
		r = http_server_new_tcp(f.l, addr, NULL, f.r, &tcp, &err);
		berth_error_free(TAKE_PTR(err));
	}
	ASSERT_OK(r);
	ASSERT_EQ(fx_run(&f, client_tcp), 0);
	http_server_free(tcp);
	fx_fini(&f);
}
