/* The listening sockets: unix (a stale socket file replaced, the mode and
 * group applied before anyone can connect) and TCP; accept in batches, and a
 * pause instead of a busy loop when descriptors run out. */
#define LOG_CATEGORY "http"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "http-conn-internal.h"

#define LISTEN_BACKLOG	512
#define ACCEPT_BATCH	64
#define ACCEPT_PAUSE_MS 100

static void server_resume(struct http_loop *l, void *data)
{
	struct http_server *s = data;

	s->accept_timer = 0;
	(void)http_loop_mod_fd(l, s->fd, EPOLLIN);
}

/* An IPv6 peer's address; IPv4 clients of a dual-stack socket as IPv4. */
static void peer_v6(const struct in6_addr *a, char *buf, socklen_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		(void)inet_ntop(AF_INET, &a->s6_addr[12], buf, len);
	else
		(void)inet_ntop(AF_INET6, a, buf, len);
}

static void server_accept(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct http_server *s = data;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		char peer[INET6_ADDRSTRLEN] = "unix";
		int cfd = accept4(fd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (cfd < 0 && errno == EAGAIN)
			return;
		if (cfd < 0) {
			/* Out of descriptors or memory: pause instead of spinning. */
			log_warn("Accept on '%s' failed: %m, pausing", s->path);
			(void)http_loop_mod_fd(l, fd, 0);
			s->accept_timer = http_loop_add_timer(l, ACCEPT_PAUSE_MS, server_resume, s);
			return;
		}
		if (s->n_conns >= s->lim.max_connections) {
			log_warn("Too many client connections (%u), refusing one",
				 s->lim.max_connections);
			(void)close(cfd);
			continue;
		}
		if (s->tcp) {
			int one = 1;
			(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			if (sa.ss_family == AF_INET)
				(void)inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr,
						peer, sizeof(peer));
			else if (sa.ss_family == AF_INET6)
				peer_v6(&((struct sockaddr_in6 *)&sa)->sin6_addr, peer,
					sizeof(peer));
		}
		http_conn_new(s, cfd, peer);
	}
}

/* Remove a socket file nobody listens on any more. */
static int remove_stale_socket(const char *path, const struct sockaddr_un *sa,
			       struct berth_error **err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT
			       ? 0
			       : berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat '%s'", path);
	if (!S_ISSOCK(st.st_mode))
		return berth_error_set(err, EEXIST, BERTH_ERR_CONFLICT, "'%s' is not a socket",
				       path);
	_cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socket");
	if (connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN)
		return berth_error_set(err, EADDRINUSE, BERTH_ERR_CONFLICT,
				       "a server is listening on '%s'", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "remove '%s'", path);
	return 0;
}

static int listen_unix(const char *path, mode_t mode, gid_t gid, int *ret_fd,
		       struct berth_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berth_error_set(err, ENAMETOOLONG, BERTH_ERR_INVALID, "socket path '%s'",
				       path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socket");
	if ((r = remove_stale_socket(path, &sa, err)) < 0)
		return r;
	/* The socket is never visible with wider permissions than mode. */
	mode_t old = umask(~mode & 0777);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int saved = errno;
	umask(old);
	if (r < 0)
		return berth_error_set(err, saved, BERTH_ERR_INTERNAL, "bind '%s'", path);
	if (chmod(path, mode) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chmod '%s'", path);
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chown '%s'", path);
	if (listen(fd, LISTEN_BACKLOG) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "listen on '%s'", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int http_server_new_unix(struct http_loop *l, const char *path, mode_t mode, gid_t gid,
			 const struct http_limits *limits, struct http_router *router,
			 struct http_server **ret, struct berth_error **err)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st = { 0 };
	int r;

	if ((r = listen_unix(path, mode, gid, &fd, err)) < 0)
		return r;
	(void)stat(path, &st);
	struct http_server *s = xzalloc(sizeof(*s));
	s->loop = l;
	s->path = xstrdup(path);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->router = router;
	http_limits_normalize(&s->lim, limits);
	if ((r = http_loop_add_fd(l, fd, EPOLLIN, server_accept, s)) < 0) {
		(void)unlink(path);
		free(s->path);
		free(s);
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "watch '%s'", path);
	}
	s->fd = TAKE_FD(fd);
	*ret = s;
	return 0;
}

/* "host:port", "[v6]:port" or ":port" into host (NULL: any) and port. */
static int split_addr(const char *addr, char **ret_host, char **ret_port, struct berth_error **err)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr, *he;

	if (!colon || !colon[1])
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
				       "address '%s': expected HOST:PORT", addr);
	he = colon;
	if (addr[0] == '[') {
		if (colon == addr || colon[-1] != ']')
			return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
					       "address '%s': expected [HOST]:PORT", addr);
		h = addr + 1;
		he = colon - 1;
	}
	*ret_host = he > h ? xstrndup(h, (size_t)(he - h)) : NULL;
	*ret_port = xstrdup(colon + 1);
	return 0;
}

static int listen_tcp(const char *addr, int *ret_fd, struct berth_error **err)
{
	_cleanup_free_ char *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int r, saved = 0;

	if ((r = split_addr(addr, &host, &port, err)) < 0)
		return r;
	hints.ai_family = host ? AF_UNSPEC : AF_INET6;
	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0 && !host) {
		hints.ai_family = AF_INET; /* no IPv6 on this system */
		r = getaddrinfo(host, port, &hints, &ai);
	}
	if (r != 0)
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "address '%s': %s", addr,
				       gai_strerror(r));
	for (struct addrinfo *p = ai; p; p = p->ai_next) {
		int one = 1, zero = 0;
		_cleanup_close_ int fd =
			socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (p->ai_family == AF_INET6 && !host)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, p->ai_addr, p->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
			saved = errno;
			continue;
		}
		freeaddrinfo(ai);
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
	freeaddrinfo(ai);
	return berth_error_set(err, saved ? saved : EADDRNOTAVAIL, BERTH_ERR_INTERNAL,
			       "listen on '%s'", addr);
}

int http_server_new_tcp(struct http_loop *l, const char *addr, const struct http_limits *limits,
			struct http_router *router, struct http_server **ret,
			struct berth_error **err)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if ((r = listen_tcp(addr, &fd, err)) < 0)
		return r;
	struct http_server *s = xzalloc(sizeof(*s));
	s->loop = l;
	s->path = xstrdup(addr);
	s->tcp = true;
	s->router = router;
	http_limits_normalize(&s->lim, limits);
	if ((r = http_loop_add_fd(l, fd, EPOLLIN, server_accept, s)) < 0) {
		free(s->path);
		free(s);
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "watch '%s'", addr);
	}
	s->fd = TAKE_FD(fd);
	*ret = s;
	return 0;
}

struct http_server *http_server_free(struct http_server *s)
{
	struct stat st;

	if (!s)
		return NULL;
	while (s->conns)
		http_conn_close(s->conns);
	http_tls_server_free(s);
	http_loop_cancel_timer(s->loop, s->accept_timer);
	http_loop_del_fd(s->loop, s->fd);
	(void)close(s->fd);
	/* Remove the socket file unless another server replaced it. */
	if (!s->tcp && stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		(void)unlink(s->path);
	free(s->default_headers);
	free(s->path);
	free(s);
	return NULL;
}

void http_server_add_default_header(struct http_server *s, const char *name, const char *value)
{
	char *line = xasprintf("%s: %s\r\n", name, value);
	size_t n = strlen(line);

	s->default_headers = xrealloc(s->default_headers, s->default_len + n + 1);
	memcpy(s->default_headers + s->default_len, line, n + 1);
	s->default_len += n;
	free(line);
}
