/* berth registry client: endpoints and TLS. Which registries are insecure
 * (listed host[:port] or CIDR, and loopback, as docker treats them), the
 * endpoints tried in order (mirrors for docker.io, https, unverified https,
 * plain http) and certs.d: *.crt as CAs added to the system bundle, *.cert
 * with *.key as a client certificate.
 */
#define LOG_CATEGORY "registry"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "client-transport.h"

#define REG_SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define REG_CERTS_DIR	     "/etc/docker/certs.d"
#define REG_CA_MAX	     (8u << 20)

/* "host:port" -> "host"; "[::1]:5000" -> "::1". */
static char *host_of(const char *domain)
{
	const char *colon;

	if (domain[0] == '[') {
		const char *end = strchr(domain, ']');
		return end ? xstrndup(domain + 1, (size_t)(end - domain - 1)) : xstrdup(domain);
	}
	colon = strchr(domain, ':');
	if (colon && !strchr(colon + 1, ':'))
		return xstrndup(domain, (size_t)(colon - domain));
	return xstrdup(domain);
}

/* addr (16 bytes, IPv4 mapped for v4) within cidr "a.b.c.d/n" or "x::/n". */
static bool cidr_contains(const char *cidr, int family, const unsigned char *addr)
{
	_cleanup_free_ char *net = xstrdup(cidr);
	char *slash = strchr(net, '/');
	unsigned char buf[16];
	int bits, max, fam;

	if (!slash)
		return false;
	*slash = '\0';
	if (str_to_int(slash + 1, &bits) < 0 || bits < 0)
		return false;
	fam = strchr(net, ':') ? AF_INET6 : AF_INET;
	max = fam == AF_INET ? 32 : 128;
	if (fam != family || bits > max || inet_pton(fam, net, buf) != 1)
		return false;
	for (int i = 0; i < bits; i++) {
		unsigned mask = 0x80u >> (i % 8);
		if ((buf[i / 8] & mask) != (addr[i / 8] & mask))
			return false;
	}
	return true;
}

bool reg_is_insecure(const struct reg_options *opts, const char *domain)
{
	_cleanup_free_ char *host = host_of(domain);
	unsigned char addr[16];
	int family = 0;

	if (strcasecmp(host, "localhost") == 0 ||
	    (strlen(host) > 10 && strcasecmp(host + strlen(host) - 10, ".localhost") == 0))
		return true;
	if (inet_pton(AF_INET, host, addr) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		family = AF_INET6;
	if (family == AF_INET && addr[0] == 127)
		return true;
	if (family == AF_INET6) {
		static const unsigned char loop6[16] = { [15] = 1 };
		if (memcmp(addr, loop6, 16) == 0)
			return true;
	}
	for (size_t i = 0; opts && opts->insecure && opts->insecure[i]; i++) {
		const char *e = opts->insecure[i];

		if (strchr(e, '/')) {
			if (family && cidr_contains(e, family, addr))
				return true;
		} else if (strcasecmp(e, domain) == 0) {
			return true;
		}
	}
	return false;
}

static void add_endpoint(struct reg_session *s, char *base, bool verify, bool mirror)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	s->endpoints = xrealloc(s->endpoints, (s->n_endpoints + 1) * sizeof(*s->endpoints));
	s->endpoints[s->n_endpoints++] =
		(struct reg_endpoint){ .base = base, .verify = verify, .mirror = mirror };
}

void reg_endpoints_build(struct reg_session *s)
{
	const struct reg_options *o = s->opts;

	if (strcmp(s->domain, REG_DOCKER_HUB) == 0) {
		for (size_t i = 0; o && o->mirrors && o->mirrors[i]; i++) {
			const char *m = o->mirrors[i];
			const char *h = strstr(m, "://");
			_cleanup_free_ char *dom = NULL;

			h = h ? h + 3 : m;
			dom = xstrndup(h, strcspn(h, "/"));
			add_endpoint(s, strstr(m, "://") ? xstrdup(m) : xasprintf("https://%s", m),
				     !reg_is_insecure(o, dom), true);
		}
		add_endpoint(s, xstrdup(REG_DOCKER_HUB_BASE), true, false);
		return;
	}
	if (reg_is_insecure(o, s->domain)) {
		add_endpoint(s, xasprintf("https://%s", s->domain), false, false);
		add_endpoint(s, xasprintf("http://%s", s->domain), false, false);
	} else {
		add_endpoint(s, xasprintf("https://%s", s->domain), true, false);
	}
}

void reg_endpoints_drop_mirrors(struct reg_session *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_endpoints; i++) {
		if (s->endpoints[i].mirror)
			free(s->endpoints[i].base);
		else
			s->endpoints[n++] = s->endpoints[i];
	}
	s->n_endpoints = n;
}

static int read_all(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	buf = xmalloc(max + 1);
	while ((n = read(fd, buf + len, max - len)) > 0)
		len += (size_t)n;
	if (n < 0)
		return -errno;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void ca_append(struct reg_session *s, const char *data, size_t len)
{
	if (s->ca_blob_len + len + 1 > REG_CA_MAX)
		return;
	s->ca_blob = xrealloc(s->ca_blob, s->ca_blob_len + len + 2);
	memcpy(s->ca_blob + s->ca_blob_len, data, len);
	s->ca_blob_len += len;
	s->ca_blob[s->ca_blob_len++] = '\n';
}

int reg_tls_load(struct reg_session *s, struct berth_error **err)
{
	const char *root = s->opts && s->opts->certs_dir ? s->opts->certs_dir : REG_CERTS_DIR;
	_cleanup_free_ char *dir = xasprintf("%s/%s", root, s->domain);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;
	bool any_ca = false;

	if (!d)
		return 0; /* no certs.d entry: the system's CAs */
	while ((e = readdir(d))) {
		_cleanup_free_ char *data = NULL;
		size_t len = 0;

		if (has_suffix(e->d_name, ".crt")) {
			if (!any_ca) {
				_cleanup_free_ char *sys = NULL;
				size_t sys_len = 0;
				if (read_all(AT_FDCWD, REG_SYSTEM_CA_BUNDLE, REG_CA_MAX / 2, &sys,
					     &sys_len) == 0)
					ca_append(s, sys, sys_len);
				any_ca = true;
			}
			if (read_all(dirfd(d), e->d_name, 1u << 20, &data, &len) == 0)
				ca_append(s, data, len);
		} else if (has_suffix(e->d_name, ".cert")) {
			_cleanup_free_ char *base = xstrndup(e->d_name, strlen(e->d_name) - 5);
			_cleanup_free_ char *key = xasprintf("%s/%s.key", dir, base);

			if (access(key, R_OK) < 0)
				return berth_error_set(err, ENOENT, BERTH_ERR_INVALID,
						       "missing key %s.key for client certificate "
						       "%s",
						       base, e->d_name);
			free(s->client_cert);
			free(s->client_key);
			s->client_cert = xasprintf("%s/%s", dir, e->d_name);
			s->client_key = TAKE_PTR(key);
		} else if (has_suffix(e->d_name, ".key")) {
			_cleanup_free_ char *base = xstrndup(e->d_name, strlen(e->d_name) - 4);
			_cleanup_free_ char *cert = xasprintf("%s/%s.cert", dir, base);

			if (access(cert, R_OK) < 0)
				return berth_error_set(err, ENOENT, BERTH_ERR_INVALID,
						       "missing client certificate %s.cert for key "
						       "%s",
						       base, e->d_name);
		}
	}
	return 0;
}

void reg_tls_apply(const struct reg_session *s, CURL *c, bool verify, bool own_host)
{
	if (!verify) {
		(void)curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		(void)curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (!own_host)
		return;
	if (s->ca_blob) {
		struct curl_blob blob = { .data = s->ca_blob,
					  .len = s->ca_blob_len,
					  .flags = CURL_BLOB_COPY };
		(void)curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (s->client_cert) {
		(void)curl_easy_setopt(c, CURLOPT_SSLCERT, s->client_cert);
		(void)curl_easy_setopt(c, CURLOPT_SSLKEY, s->client_key);
	}
}
