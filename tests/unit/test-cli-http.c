/* Unit tests of the CLI's HTTP client (src/cli/cli-http.c, cli-api.c) against
 * canned daemon answers on socketpairs and a small forked server, and of
 * stdcopy demultiplexing (cli-stream.c). */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli-api-internal.h"
#include "cli-stream-internal.h"
#include "tap.h"

/* A connection whose peer already sent `answer` (and closed its side). */
static struct cli_http_conn *conn_with_answer(const char *answer, size_t len, int *ret_peer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	if (fd_write_all(sv[1], answer, len) < 0)
		return NULL;
	(void)shutdown(sv[1], SHUT_WR);
	*ret_peer = sv[1];
	return cli_http_conn_new(sv[0]);
}

static char *read_peer(int fd)
{
	char *data = NULL;
	size_t len = 0;

	if (fd_read_all(fd, 1024 * 1024, &data, &len) < 0)
		return NULL;
	return data;
}

TEST(content_length)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"Api-Version:  1.41 \r\nContent-Length: 7\r\n\r\n{\"a\":1}";
	_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *body = NULL, *req = NULL;
	_cleanup_close_ int peer = -EBADF;
	struct cli_http_conn *c = conn_with_answer(a, sizeof(a) - 1, &peer);
	size_t len = 0;

	ASSERT_TRUE(c);
	ASSERT_OK(cli_http_send_head(c, "GET", "/v1.41/info", "X-A: b\r\n", 0, &err));
	(void)shutdown(c->fd, SHUT_WR);
	ASSERT_OK(cli_http_read_response(c, false, &r, &err));
	ASSERT_EQ(r->status, 200);
	ASSERT_STREQ(r->reason, "OK");
	ASSERT_STREQ(cli_http_header(r, "api-version"), "1.41");
	ASSERT_OK(cli_http_body_read_all(r, 1024, &body, &len, &err));
	ASSERT_STREQ(body, "{\"a\":1}");
	ASSERT_EQ(len, 7);
	req = read_peer(peer);
	ASSERT_CONTAINS(req, "GET /v1.41/info HTTP/1.1\r\nHost: api.moby.localhost\r\n");
	ASSERT_CONTAINS(req, "Content-Length: 0\r\nX-A: b\r\n\r\n");
}

TEST(chunked_with_extensions_and_trailers)
{
	static const char a[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-T: y\r\n\r\n";
	_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *body = NULL;
	_cleanup_close_ int peer = -EBADF;
	struct cli_http_conn *c = conn_with_answer(a, sizeof(a) - 1, &peer);

	ASSERT_OK(cli_http_read_response(c, false, &r, &err));
	ASSERT_EQ(r->framing, CLI_HTTP_FRAMING_CHUNKED);
	ASSERT_OK(cli_http_body_read_all(r, 1024, &body, NULL, &err));
	ASSERT_STREQ(body, "hello 0123456789");
	ASSERT_TRUE(r->done);
}

TEST(lines_of_a_chunked_stream)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				"4\r\n{\"a\"\r\n6\r\n:1}\n{}\r\n1\r\n\n\r\n0\r\n\r\n";
	_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *l1 = NULL, *l2 = NULL, *l3 = NULL;
	_cleanup_close_ int peer = -EBADF;
	struct cli_http_conn *c = conn_with_answer(a, sizeof(a) - 1, &peer);

	ASSERT_OK(cli_http_read_response(c, false, &r, &err));
	ASSERT_EQ(cli_http_body_read_line(r, 100, &l1, &err), 1);
	ASSERT_STREQ(l1, "{\"a\":1}");
	ASSERT_EQ(cli_http_body_read_line(r, 100, &l2, &err), 1);
	ASSERT_STREQ(l2, "{}");
	ASSERT_EQ(cli_http_body_read_line(r, 100, &l3, &err), 0);
}

TEST(close_delimited_and_no_body)
{
	static const char a[] = "HTTP/1.1 200 OK\r\n\r\nuntil the end";
	static const char h[] = "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n";
	static const char n[] = "HTTP/1.1 204 No Content\r\n\r\n";
	_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL, *rh = NULL,
								    *rn = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *body = NULL, *hb = NULL;
	_cleanup_close_ int p1 = -EBADF, p2 = -EBADF, p3 = -EBADF;

	ASSERT_OK(cli_http_read_response(conn_with_answer(a, sizeof(a) - 1, &p1), false, &r, &err));
	ASSERT_EQ(r->framing, CLI_HTTP_FRAMING_CLOSE);
	ASSERT_OK(cli_http_body_read_all(r, 1024, &body, NULL, &err));
	ASSERT_STREQ(body, "until the end");
	/* HEAD: Content-Length describes a body that is not sent */
	ASSERT_OK(cli_http_read_response(conn_with_answer(h, sizeof(h) - 1, &p2), true, &rh, &err));
	ASSERT_OK(cli_http_body_read_all(rh, 1024, &hb, NULL, &err));
	ASSERT_STREQ(hb, "");
	ASSERT_OK(
		cli_http_read_response(conn_with_answer(n, sizeof(n) - 1, &p3), false, &rn, &err));
	ASSERT_EQ(rn->status, 204);
	ASSERT_TRUE(rn->done);
}

TEST(upgrade_keeps_the_bytes_after_the_head)
{
	static const char a[] =
		"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-"
		"stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n\x01\0\0\0\0\0\0\x03hi\n";
	_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_close_ int peer = -EBADF;
	char buf[64];
	ssize_t n;

	ASSERT_OK(
		cli_http_read_response(conn_with_answer(a, sizeof(a) - 1, &peer), false, &r, &err));
	ASSERT_EQ(r->status, 101);
	n = cli_http_conn_read(r->conn, buf, sizeof(buf));
	ASSERT_EQ(n, 11);
	ASSERT_TRUE(memcmp(buf + 8, "hi\n", 3) == 0);
	ASSERT_EQ(cli_http_conn_read(r->conn, buf, sizeof(buf)), 0);
}

TEST(malformed_answers)
{
	static const char *const bad[] = {
		"HTTX/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Len",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_close_ int peer = -EBADF;
		struct cli_http_conn *c = conn_with_answer(bad[i], strlen(bad[i]), &peer);
		ASSERT_TRUE(cli_http_read_response(c, false, &r, &err) < 0);
		ASSERT_TRUE(err && err->msg);
	}
}

TEST(bad_chunk_and_truncated_body)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
	static const char b[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
	_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL, *rb = NULL;
	_cleanup_error_ struct berth_error *err = NULL, *err2 = NULL;
	_cleanup_free_ char *body = NULL, *body2 = NULL;
	_cleanup_close_ int p1 = -EBADF, p2 = -EBADF;

	ASSERT_OK(cli_http_read_response(conn_with_answer(a, sizeof(a) - 1, &p1), false, &r, &err));
	ASSERT_TRUE(cli_http_body_read_all(r, 1024, &body, NULL, &err) < 0);
	ASSERT_CONTAINS(err->msg, "bad chunk size");
	ASSERT_OK(
		cli_http_read_response(conn_with_answer(b, sizeof(b) - 1, &p2), false, &rb, &err2));
	ASSERT_TRUE(cli_http_body_read_all(rb, 1024, &body2, NULL, &err2) < 0);
}

TEST(head_size_limit)
{
	size_t n = CLI_HTTP_MAX_HEAD + 100;
	_cleanup_free_ char *a = xmalloc(n + 64);
	_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int sv[2];
	pid_t pid;

	strcpy(a, "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(a + strlen(a), 'x', n);
	a[n] = '\0';
	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	if (pid == 0) {
		(void)fd_write_all(sv[1], a, n);
		_exit(0);
	}
	close(sv[1]);
	ASSERT_TRUE(cli_http_read_response(cli_http_conn_new(sv[0]), false, &r, &err) < 0);
	ASSERT_CONTAINS(err->msg, "too long");
	(void)waitpid(pid, NULL, 0);
}

TEST(chunked_upload_from_a_descriptor)
{
	_cleanup_(cli_http_conn_freep) struct cli_http_conn *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *got = NULL;
	_cleanup_close_ int peer = -EBADF;
	int sv[2], p[2];

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_OK(pipe2(p, O_CLOEXEC));
	ASSERT_OK(fd_write_all(p[1], "tar data", 8));
	close(p[1]);
	c = cli_http_conn_new(sv[0]);
	peer = sv[1];
	ASSERT_OK(cli_http_send_head(c, "POST", "/v1.45/images/load", NULL, -1, &err));
	ASSERT_OK(cli_http_send_fd_chunked(c, p[0], &err));
	close(p[0]);
	(void)shutdown(c->fd, SHUT_WR);
	got = read_peer(peer);
	ASSERT_CONTAINS(got, "Transfer-Encoding: chunked\r\n\r\n8\r\ntar data\r\n0\r\n\r\n");
}

/* A one-shot fake daemon on a unix socket: each accepted connection gets
 * the next canned answer; the requests are written to log_fd. */
static pid_t fake_daemon(const char *path, const char *const *answers, int log_fd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	strcpy(addr.sun_path, path);
	if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(s, 8) < 0)
		return -1;
	pid = fork();
	if (pid != 0) {
		close(s);
		return pid;
	}
	for (size_t i = 0; answers[i]; i++) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		char buf[4096];
		ssize_t n = read(c, buf, sizeof(buf));
		if (n > 0)
			(void)fd_write_all(log_fd, buf, (size_t)n);
		(void)fd_write_all(c, answers[i], strlen(answers[i]));
		close(c);
	}
	_exit(0);
}

TEST(negotiation_and_daemon_errors)
{
	static const char *const answers[] = {
		"HTTP/1.1 200 OK\r\nApi-Version: 1.50\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 38"
		"\r\n\r\n{\"message\":\"No such container: nope\"}\n",
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
		"\r\n\r\n4\r\n[{}]\r\n0\r\n\r\n",
		NULL,
	};
	char dir[] = "/tmp/test-cli-http.XXXXXX";
	_cleanup_free_ char *path = NULL, *host = NULL, *log = NULL;
	_cleanup_error_ struct berth_error *err = NULL, *err2 = NULL;
	_cleanup_json_ json_object *list = NULL;
	struct cli_client c = { 0 };
	int logp[2];
	pid_t pid;

	ASSERT_TRUE(mkdtemp(dir));
	path = xasprintf("%s/d.sock", dir);
	host = xasprintf("unix://%s", path);
	ASSERT_OK(pipe2(logp, O_CLOEXEC));
	pid = fake_daemon(path, answers, logp[1]);
	ASSERT_TRUE(pid > 0);
	close(logp[1]);
	unsetenv("BERTH_API_VERSION");
	unsetenv("DOCKER_API_VERSION");
	ASSERT_OK(cli_client_init(&c, host, &err));
	ASSERT_TRUE(cli_api_call(&c, "GET", "/containers/nope/json", NULL, NULL, &err) < 0);
	ASSERT_STREQ(err->msg, "Error response from daemon: No such container: nope");
	ASSERT_EQ(err->kind, BERTH_ERR_NOT_FOUND);
	ASSERT_STREQ(c.version, "1.45");
	ASSERT_OK(cli_api_call(&c, "GET", "/containers/json", NULL, &list, &err2));
	ASSERT_EQ(json_object_array_length(list), 1);
	(void)waitpid(pid, NULL, 0);
	ASSERT_OK(fd_read_all(logp[0], 65536, &log, NULL));
	close(logp[0]);
	ASSERT_CONTAINS(log, "HEAD /_ping HTTP/1.1\r\n");
	ASSERT_CONTAINS(log, "GET /v1.45/containers/nope/json HTTP/1.1\r\n");
	ASSERT_CONTAINS(log, "GET /v1.45/containers/json HTTP/1.1\r\n");
	cli_client_done(&c);
	unlink(path);
	rmdir(dir);
}

TEST(cannot_connect_and_unsupported_hosts)
{
	_cleanup_error_ struct berth_error *err = NULL, *err2 = NULL;
	struct cli_client c = { 0 }, d = { 0 };

	ASSERT_OK(cli_client_init(&c, "unix:///nonexistent/berth.sock", &err));
	ASSERT_TRUE(cli_client_ping(&c, &err) < 0);
	ASSERT_STREQ(err->msg, "Cannot connect to the berth daemon at "
			       "unix:///nonexistent/berth.sock. Is the daemon running?");
	ASSERT_TRUE(cli_client_init(&d, "tcp://127.0.0.1:2375", &err2) < 0);
	ASSERT_STREQ(err2->msg, "berth: 'tcp://' hosts are not supported yet");
	cli_client_done(&c);
	cli_client_done(&d);
}

TEST(versions_and_escaping)
{
	_cleanup_free_ char *q = cli_query_escape("a b&c=d/é");
	_cleanup_free_ char *p = cli_path_escape("docker.io/library/busybox:latest x");
	_cleanup_free_ char *url = xstrdup("/x");

	ASSERT_TRUE(cli_version_cmp("1.41", "1.45") < 0);
	ASSERT_TRUE(cli_version_cmp("1.100", "1.45") > 0);
	ASSERT_EQ(cli_version_cmp("1.45", "1.45"), 0);
	ASSERT_STREQ(q, "a+b%26c%3Dd%2F%C3%A9");
	ASSERT_STREQ(p, "docker.io/library/busybox:latest%20x");
	cli_url_add(&url, "all", "1");
	cli_url_add(&url, "filters", "{\"a\":{\"b\":true}}");
	ASSERT_STREQ(url, "/x?all=1&filters=%7B%22a%22%3A%7B%22b%22%3Atrue%7D%7D");
}

static char *drain(int fd)
{
	char *s = NULL;
	(void)fd_read_all(fd, 65536, &s, NULL);
	return s;
}

TEST(stdcopy_frames_across_reads)
{
	static const unsigned char data[] = { 1,    0, 0, 0, 0, 0, 0, 3, 'o', 'u', 't',
					      2,    0, 0, 0, 0, 0, 0, 4, 'e', 'r', 'r',
					      '\n', 1, 0, 0, 0, 0, 0, 0, 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *out = NULL, *errs = NULL;
	struct cli_stdcopy s;
	int o[2], e[2];

	ASSERT_OK(pipe2(o, O_CLOEXEC));
	ASSERT_OK(pipe2(e, O_CLOEXEC));
	cli_stdcopy_init(&s, o[1], e[1]);
	/* one byte at a time: headers and payloads split anywhere */
	for (size_t i = 0; i < sizeof(data); i++)
		ASSERT_OK(cli_stdcopy_feed(&s, data + i, 1, &err));
	ASSERT_EQ(s.head_len, 0);
	cli_stdcopy_done(&s);
	close(o[1]);
	close(e[1]);
	out = drain(o[0]);
	errs = drain(e[0]);
	ASSERT_STREQ(out, "out");
	ASSERT_STREQ(errs, "err\n");
	close(o[0]);
	close(e[0]);
}

TEST(stdcopy_errors)
{
	static const unsigned char syserr[] = { 3, 0, 0, 0, 0, 0, 0, 4, 'b', 'o', 'o', 'm' };
	static const unsigned char unknown[] = { 9, 0, 0, 0, 0, 0, 0, 1, 'x' };
	_cleanup_error_ struct berth_error *err = NULL, *err2 = NULL;
	struct cli_stdcopy s;

	cli_stdcopy_init(&s, -1, -1);
	ASSERT_TRUE(cli_stdcopy_feed(&s, syserr, sizeof(syserr), &err) < 0);
	ASSERT_STREQ(err->msg, "error from daemon in stream: boom");
	cli_stdcopy_done(&s);
	cli_stdcopy_init(&s, -1, -1);
	ASSERT_TRUE(cli_stdcopy_feed(&s, unknown, sizeof(unknown), &err2) < 0);
	ASSERT_STREQ(err2->msg, "Unrecognized input header: 9");
	cli_stdcopy_done(&s);
}
