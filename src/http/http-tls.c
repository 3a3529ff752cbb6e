/* TLS for the server's connections (OpenSSL): a server given a certificate
 * and a key wraps each accepted connection in an SSL object in accept
 * state; the handshake happens within the first reads. Reads drain what
 * OpenSSL decrypted (so nothing waits inside it unseen by epoll), writes go
 * through the output queue, and files are copied through it in pieces
 * since sendfile(2) can't encrypt. */
#define LOG_CATEGORY "http"
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>

#include "http-conn-internal.h"

int http_server_set_tls(struct http_server *s, const char *cert_file, const char *key_file,
			struct berth_error **err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char buf[256] = "";

	if (!ctx)
		return berth_error_set(err, ENOMEM, BERTH_ERR_INTERNAL, "TLS context");
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
		SSL_CTX_free(ctx);
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
				       "TLS certificate '%s' and key '%s': %s", cert_file, key_file,
				       buf);
	}
	SSL_CTX_free(s->tls);
	s->tls = ctx;
	return 0;
}

void http_tls_server_free(struct http_server *s)
{
	SSL_CTX_free(s->tls);
	s->tls = NULL;
}

int http_tls_conn_new(struct http_conn *c)
{
	SSL *ssl = SSL_new(c->srv->tls);

	if (!ssl || SSL_set_fd(ssl, c->fd) != 1) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	SSL_set_accept_state(ssl);
	c->ssl = ssl;
	return 0;
}

void http_tls_conn_free(struct http_conn *c)
{
	if (!c->ssl)
		return;
	(void)SSL_shutdown(c->ssl); /* one try: the close_notify, if it fits */
	SSL_free(c->ssl);
	c->ssl = NULL;
	ERR_clear_error();
}

/* An SSL result as read(2)/write(2) would give it. */
static ssize_t tls_result(struct http_conn *c, int n)
{
	int e = SSL_get_error(c->ssl, n);

	c->tls_want_write = false;
	switch (e) {
	case SSL_ERROR_NONE:
		return n;
	case SSL_ERROR_WANT_WRITE:
		c->tls_want_write = true;
		return -EAGAIN;
	case SSL_ERROR_WANT_READ:
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno ? -errno : 0; /* 0: the peer left without close_notify */
	default:
		ERR_clear_error();
		return -ECONNRESET; /* a bad handshake or record */
	}
}

ssize_t http_tls_read(struct http_conn *c, void *buf, size_t n)
{
	ERR_clear_error();
	errno = 0;
	return tls_result(c, SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n));
}

bool http_tls_pending(const struct http_conn *c)
{
	return c->ssl && SSL_pending(c->ssl) > 0;
}

ssize_t http_tls_write(struct http_conn *c, const void *buf, size_t n)
{
	ERR_clear_error();
	errno = 0;
	return tls_result(c, SSL_write(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n));
}
