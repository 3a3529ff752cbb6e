/* Unit tests of file responses (http_respond_file: sendfile with
 * backpressure, ranges, HEAD, pipelined requests after a file), of the TCP
 * listener (http_server_new_tcp, the client's address) and of TLS
 * (http_server_set_tls, with a key and certificate made here). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

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

/* A TCP server of f on a free loopback port (tcp_port). */
static int listen_tcp(struct fx *f, struct http_server **ret)
{
	_cleanup_error_ struct berth_error *err = NULL;
	int r = -1;

	srand((unsigned)getpid());
	for (int i = 0; i < 50 && r < 0; i++) {
		char addr[32];
		tcp_port = 20000 + rand() % 30000;
		(void)snprintf(addr, sizeof(addr), "127.0.0.1:%d", tcp_port);
		r = http_server_new_tcp(f->l, addr, NULL, f->r, ret, &err);
		berth_error_free(TAKE_PTR(err));
	}
	return r;
}

TEST(tcp_listener)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct http_server *tcp = NULL;
	struct fx f;

	ASSERT_OK(fx_init(&f, NULL));
	ASSERT_OK(make_file(&f));
	http_router_add(f.r, "GET", "/file/{off}/{len}", 0, h_file, &f);
	http_router_add(f.r, "GET", "/peer", 0, h_peer, &f);
	ASSERT_TRUE(http_server_new_tcp(f.l, "127.0.0.1", NULL, f.r, &tcp, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	ASSERT_TRUE(http_server_new_tcp(f.l, "[::1:80", NULL, f.r, &tcp, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	ASSERT_OK(listen_tcp(&f, &tcp));
	ASSERT_EQ(fx_run(&f, client_tcp), 0);
	http_server_free(tcp);
	fx_fini(&f);
}

/* A self-signed certificate for 127.0.0.1 and its key, as PEM files. */
static int make_cert(const char *cert_path, const char *key_path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *cf = fopen(cert_path, "w"), *kf = fopen(key_path, "w");
	int ok = key && x && cf && kf;

	if (ok) {
		X509_set_version(x, 2);
		ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
		X509_gmtime_adj(X509_getm_notBefore(x), -60);
		X509_gmtime_adj(X509_getm_notAfter(x), 3600);
		X509_set_pubkey(x, key);
		X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					   (const unsigned char *)"127.0.0.1", -1, -1, 0);
		X509_set_issuer_name(x, X509_get_subject_name(x));
		ok = X509_sign(x, key, EVP_sha256()) > 0 && PEM_write_X509(cf, x) == 1 &&
		     PEM_write_PrivateKey(kf, key, NULL, NULL, 0, NULL, NULL) == 1;
	}
	if (cf)
		fclose(cf);
	if (kf)
		fclose(kf);
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : -EINVAL;
}

/* Responses with a Content-Length read over TLS; bytes of the next one
 * (pipelined) stay in buf. */
struct tlsrd {
	SSL *ssl;
	char *buf;
	size_t len;
};

#define TLS_BUF (FILE_SIZE + 65536)

static int tls_response(struct tlsrd *t, struct resp *r)
{
	size_t want = SIZE_MAX, head = 0;
	char *end;
	int n;

	memset(r, 0, sizeof(*r));
	for (;;) {
		t->buf[t->len] = '\0';
		if (want == SIZE_MAX && (end = strstr(t->buf, "\r\n\r\n"))) {
			const char *cl = strcasestr(t->buf, "Content-Length: ");
			if (!cl || sscanf(t->buf, "HTTP/1.1 %d", &r->status) != 1)
				return -EBADMSG;
			head = (size_t)(end + 4 - t->buf);
			want = head + strtoul(cl + 16, NULL, 10);
		}
		if (want != SIZE_MAX && t->len >= want)
			break;
		n = SSL_read(t->ssl, t->buf + t->len, (int)(TLS_BUF - t->len));
		if (n <= 0)
			return -EPIPE;
		t->len += (size_t)n;
	}
	r->len = want - head;
	r->body = xmalloc(r->len + 1);
	memcpy(r->body, t->buf + head, r->len);
	r->body[r->len] = '\0';
	memmove(t->buf, t->buf + want, t->len - want);
	t->len -= want;
	return 0;
}

static char tls_ca[160];

static int client_tls(struct fx *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)tcp_port) };
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct resp r = { 0 };
	char req[256];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHILD_CHECK(ctx && fd >= 0 && SSL_CTX_load_verify_locations(ctx, tls_ca, NULL) == 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	CHILD_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	SSL *ssl = SSL_new(ctx);
	struct tlsrd t = { ssl, xmalloc(TLS_BUF + 1), 0 };
	SSL_set_fd(ssl, fd);
	CHILD_CHECK(SSL_connect(ssl) == 1);
	(void)snprintf(req, sizeof(req),
		       "GET /peer HTTP/1.1\r\n\r\nGET /file/3/%u HTTP/1.1\r\n\r\n"
		       "GET /file/0/10 HTTP/1.1\r\n\r\n",
		       FILE_SIZE - 3);
	CHILD_CHECK(SSL_write(ssl, req, (int)strlen(req)) == (int)strlen(req));
	CHILD_CHECK(tls_response(&t, &r) == 0 && r.status == 200 && BODY_IS(r, "127.0.0.1"));
	free(r.body);
	CHILD_CHECK(tls_response(&t, &r) == 0 && body_matches(&r, 3, FILE_SIZE - 3));
	free(r.body);
	CHILD_CHECK(tls_response(&t, &r) == 0 && body_matches(&r, 0, 10));
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	/* plain HTTP on the TLS port gets nothing useful */
	struct rd *rd = xzalloc(sizeof(*rd));
	rd->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHILD_CHECK(connect(rd->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHILD_CHECK(roundtrip(rd, "GET /peer HTTP/1.1\r\n\r\n", &r) < 0);
	return 0;
}

TEST(tls)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct http_server *tcp = NULL;
	char key[160];
	struct fx f;

	ASSERT_OK(fx_init(&f, NULL));
	ASSERT_OK(make_file(&f));
	http_router_add(f.r, "GET", "/file/{off}/{len}", 0, h_file, &f);
	http_router_add(f.r, "GET", "/peer", 0, h_peer, &f);
	(void)snprintf(tls_ca, sizeof(tls_ca), "%s/cert.pem", f.dir);
	(void)snprintf(key, sizeof(key), "%s/key.pem", f.dir);
	ASSERT_OK(make_cert(tls_ca, key));
	ASSERT_OK(listen_tcp(&f, &tcp));
	ASSERT_TRUE(http_server_set_tls(tcp, tls_ca, file_path, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	ASSERT_OK(http_server_set_tls(tcp, tls_ca, key, &err));
	ASSERT_EQ(fx_run(&f, client_tls), 0);
	http_server_free(tcp);
	fx_fini(&f);
}
