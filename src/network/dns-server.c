/* The embedded DNS server of one container: UDP and TCP on 127.0.0.11:53
 * inside the container's namespace, served on the daemon's loop.
 *
 * Names the lookup callback knows are answered at once; every other query is
 * forwarded unchanged but for its id (a random one, on a fresh connected UDP
 * socket of the daemon's namespace, so a random source port too) to the
 * upstream servers in order, each given DNS_FORWARD_TIMEOUT_MS, and the
 * answer is relayed with the client's id. All upstreams failing gives
 * SERVFAIL. Pending forwards and TCP connections are bounded: beyond the
 * bound, queries are dropped as a busy server would.
 */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns-internal.h"

#define DNS_MAX_FORWARDS       256
#define DNS_MAX_TCP	       64
#define DNS_FORWARD_TIMEOUT_MS 2000
#define DNS_TCP_TIMEOUT_MS     5000
#define DNS_TCP_MAX_QUERIES    64 /* per connection */
#define DNS_MAX_ADDRS	       32
#define DNS_UDP_BATCH	       64
#define DNS_ANSWER_MAX	       1024 /* our own answers: header, question, DNS_MAX_ADDRS records */

struct dns_tcp;

struct dns_forward {
	struct net_dns *s;
	struct dns_forward *prev, *next;
	int fd; /* connected to the upstream asked now, or -EBADF */
	uint64_t timer;
	size_t upstream;
	uint16_t sent_id;
	struct net_dns_query q;
	uint8_t *query; /* the client's message */
	size_t len;
	struct sockaddr_in client; /* a UDP client */
	struct dns_tcp *conn;	   /* or a TCP one */
};

struct dns_tcp {
	struct net_dns *s;
	struct dns_tcp *prev, *next;
	int fd;
	uint64_t timer;
	uint8_t len_buf[2];
	uint8_t *msg; /* the query, once its length is known */
	size_t got, want;
	uint8_t *out; /* the answer, with its length in front */
	size_t out_len, out_off;
	struct dns_forward *fwd;
	unsigned queries; /* answered on this connection */
};

struct net_dns {
	struct http_loop *loop;
	int udp_fd, tcp_fd;
	struct net_dns_upstreams up;
	net_dns_lookup_fn lookup;
	void *data;
	struct dns_forward *forwards;
	size_t n_forwards;
	struct dns_tcp *conns;
	size_t n_conns;
};

static void forward_send(struct dns_forward *f);

/* ---- lifetimes ---- */

static void forward_close_fd(struct dns_forward *f)
{
	struct http_loop *loop = f->s->loop;

	if (f->timer)
		http_loop_cancel_timer(loop, f->timer);
	f->timer = 0;
	if (f->fd >= 0) {
		http_loop_del_fd(loop, f->fd);
		(void)close(f->fd);
	}
	f->fd = -EBADF;
}

static void forward_free(struct dns_forward *f)
{
	struct net_dns *s = f->s;

	forward_close_fd(f);
	if (f->prev)
		f->prev->next = f->next;
	else
		s->forwards = f->next;
	if (f->next)
		f->next->prev = f->prev;
	s->n_forwards--;
	if (f->conn)
		f->conn->fwd = NULL;
	free(f->query);
	free(f);
}

static void tcp_free(struct dns_tcp *c)
{
	struct net_dns *s = c->s;

	if (c->fwd)
		forward_free(c->fwd);
	if (c->timer)
		http_loop_cancel_timer(s->loop, c->timer);
	http_loop_del_fd(s->loop, c->fd);
	(void)close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	free(c->msg);
	free(c->out);
	free(c);
}

/* ---- answering ---- */

static void tcp_timeout(struct http_loop *l, void *data);

/* The answer is out: read the connection's next query (glibc sends the A
 * and AAAA queries on one connection), within the idle timeout. */
static void tcp_next(struct dns_tcp *c)
{
	struct http_loop *loop = c->s->loop;

	free(c->msg);
	free(c->out);
	c->msg = c->out = NULL;
	c->got = c->want = c->out_len = c->out_off = 0;
	if (++c->queries >= DNS_TCP_MAX_QUERIES || http_loop_mod_fd(loop, c->fd, EPOLLIN) < 0) {
		tcp_free(c);
		return;
	}
	if (c->timer)
		http_loop_cancel_timer(loop, c->timer);
	c->timer = http_loop_add_timer(loop, DNS_TCP_TIMEOUT_MS, tcp_timeout, c);
}

static void tcp_flush(struct dns_tcp *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (http_loop_mod_fd(c->s->loop, c->fd, EPOLLOUT) < 0)
				tcp_free(c);
			return;
		}
		if (n <= 0) {
			tcp_free(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	tcp_next(c);
}

static void tcp_reply(struct dns_tcp *c, const uint8_t *msg, size_t len)
{
	if (len > DNS_TCP_MAX) {
		tcp_free(c);
		return;
	}
	c->out = xmalloc(len + 2);
	c->out[0] = (uint8_t)(len >> 8);
	c->out[1] = (uint8_t)len;
	memcpy(c->out + 2, msg, len);
	c->out_len = len + 2;
	c->out_off = 0;
	tcp_flush(c);
}

/* Send msg to the client: over UDP to addr, or over TCP on conn. */
static void reply(struct net_dns *s, const struct sockaddr_in *addr, struct dns_tcp *conn,
		  const uint8_t *msg, size_t len)
{
	if (conn) {
		tcp_reply(conn, msg, len);
		return;
	}
	if (sendto(s->udp_fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)addr,
		   sizeof(*addr)) < 0)
		log_debug("DNS answer to a client lost: %m");
}

static void reply_error(struct net_dns *s, const struct sockaddr_in *addr, struct dns_tcp *conn,
			const uint8_t *query, const struct net_dns_query *q, int rcode)
{
	uint8_t buf[DNS_ANSWER_MAX];
	int n = net_dns_build_error(query, q, rcode, buf, conn ? sizeof(buf) : DNS_UDP_MAX);

	if (n > 0)
		reply(s, addr, conn, buf, (size_t)n);
	else if (conn)
		tcp_free(conn);
}

/* ---- forwarding ---- */

static uint16_t random_id(void)
{
	static uint16_t counter;
	uint16_t id;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(++counter * 40503u ^ (unsigned)getpid());
	return id;
}

static void forward_fail(struct dns_forward *f)
{
	struct net_dns *s = f->s;
	struct dns_tcp *conn = f->conn;

	/* The connection's answer must not free the forward twice. */
	if (conn)
		conn->fwd = NULL;
	f->conn = NULL;
	reply_error(s, &f->client, conn, f->query, &f->q, DNS_RCODE_SERVFAIL);
	forward_free(f);
}

static void forward_next(struct dns_forward *f)
{
	forward_close_fd(f);
	f->upstream++;
	forward_send(f);
}

static void forward_timeout(struct http_loop *l, void *data)
{
	struct dns_forward *f = data;

	f->timer = 0;
	forward_next(f);
}

static void forward_ready(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct dns_forward *f = data;
	uint8_t buf[DNS_TCP_MAX];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) { /* ICMP unreachable and the like: the next upstream */
			forward_next(f);
			return;
		}
		/* Anything but the answer to what we sent is ignored. */
		if ((size_t)n < DNS_HEADER_SIZE || (buf[0] << 8 | buf[1]) != f->sent_id ||
		    !(buf[2] & 0x80))
			continue;
		buf[0] = (uint8_t)(f->q.id >> 8);
		buf[1] = (uint8_t)f->q.id;
		struct dns_tcp *conn = f->conn;
		if (conn)
			conn->fwd = NULL;
		f->conn = NULL;
		struct sockaddr_in client = f->client;
		struct net_dns *s = f->s;
		forward_free(f);
		reply(s, &client, conn, buf, (size_t)n);
		return;
	}
}

/* Ask upstream f->upstream, or the next one that takes the query. */
static void forward_send(struct dns_forward *f)
{
	struct net_dns *s = f->s;

	for (; f->upstream < s->up.n; f->upstream++) {
		const struct sockaddr_in *to = &s->up.servers[f->upstream];
		_cleanup_close_ int fd =
			socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0 || connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
			continue;
		f->sent_id = random_id();
		f->query[0] = (uint8_t)(f->sent_id >> 8);
		f->query[1] = (uint8_t)f->sent_id;
		if (send(fd, f->query, f->len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)f->len)
			continue;
		if (http_loop_add_fd(s->loop, fd, EPOLLIN, forward_ready, f) < 0)
			continue;
		f->fd = TAKE_FD(fd);
		f->timer = http_loop_add_timer(s->loop, DNS_FORWARD_TIMEOUT_MS, forward_timeout, f);
		return;
	}
	/* The client's id again, for the SERVFAIL built from the query. */
	f->query[0] = (uint8_t)(f->q.id >> 8);
	f->query[1] = (uint8_t)f->q.id;
	forward_fail(f);
}

static void forward_start(struct net_dns *s, const uint8_t *msg, size_t len,
			  const struct net_dns_query *q, const struct sockaddr_in *addr,
			  struct dns_tcp *conn)
{
	if (s->n_forwards >= DNS_MAX_FORWARDS) {
		log_debug("DNS: %zu forwards pending, query for '%s' dropped", s->n_forwards,
			  q->name);
		if (conn)
			tcp_free(conn);
		return;
	}
	struct dns_forward *f = xzalloc(sizeof(*f));
	f->s = s;
	f->fd = -EBADF;
	f->q = *q;
	f->query = xmalloc(len);
	memcpy(f->query, msg, len);
	f->len = len;
	if (addr)
		f->client = *addr;
	f->conn = conn;
	if (conn)
		conn->fwd = f;
	f->next = s->forwards;
	if (s->forwards)
		s->forwards->prev = f;
	s->forwards = f;
	s->n_forwards++;
	forward_send(f);
}

/* ---- queries ---- */

static bool is_opcode_query(const struct net_dns_query *q)
{
	return (q->flags & DNS_OPCODE_MASK) == 0;
}

/* Answer msg (from addr over UDP, or on conn): ours from the lookup, the
 * rest forwarded. Malformed queries get no answer. */
static void handle_query(struct net_dns *s, const uint8_t *msg, size_t len,
			 const struct sockaddr_in *addr, struct dns_tcp *conn)
{
	struct in_addr addrs[DNS_MAX_ADDRS];
	uint8_t buf[DNS_ANSWER_MAX];
	struct net_dns_query q;
	size_t n = 0;
	int r;

	if (net_dns_parse_query(msg, len, &q) < 0) {
		log_debug("DNS: malformed query ignored");
		if (conn)
			tcp_free(conn);
		return;
	}
	if (!is_opcode_query(&q)) {
		reply_error(s, addr, conn, msg, &q, DNS_RCODE_NOTIMP);
		return;
	}
	if (q.qclass == DNS_CLASS_IN && q.name[0] &&
	    (q.qtype == NET_DNS_TYPE_A || q.qtype == NET_DNS_TYPE_AAAA))
		n = s->lookup(s->data, q.name, addrs, DNS_MAX_ADDRS);
	if (n == 0) {
		forward_start(s, msg, len, &q, addr, conn);
		return;
	}
	if (n > DNS_MAX_ADDRS)
		n = DNS_MAX_ADDRS;
	/* Ours over IPv4 only: AAAA is an empty NOERROR, as docker answers. */
	r = net_dns_build_answer(msg, &q, addrs, q.qtype == NET_DNS_TYPE_A ? n : 0,
				 DNS_RCODE_NOERROR, buf, conn ? sizeof(buf) : DNS_UDP_MAX);
	if (r > 0)
		reply(s, addr, conn, buf, (size_t)r);
	else if (conn)
		tcp_free(conn);
}

static void udp_ready(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct net_dns *s = data;
	uint8_t buf[DNS_UDP_MAX];

	for (int i = 0; i < DNS_UDP_BATCH; i++) {
		struct sockaddr_in addr;
		socklen_t alen = sizeof(addr);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&addr, &alen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* EAGAIN, or an error of a previous send */
		if ((size_t)n > sizeof(buf) || alen != sizeof(addr) || addr.sin_family != AF_INET)
			continue; /* bounded: larger queries are dropped */
		handle_query(s, buf, (size_t)n, &addr, NULL);
	}
}

/* ---- TCP ---- */

static void tcp_timeout(struct http_loop *l, void *data)
{
	struct dns_tcp *c = data;

	c->timer = 0;
	log_debug("DNS: TCP client timed out");
	tcp_free(c);
}

static void tcp_read(struct dns_tcp *c)
{
	for (;;) {
		uint8_t *dst = c->msg ? c->msg : c->len_buf;
		size_t want = c->msg ? c->want : sizeof(c->len_buf);
		ssize_t n = recv(c->fd, dst + c->got, want - c->got, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			tcp_free(c);
			return;
		}
		c->got += (size_t)n;
		if (c->got < want)
			continue;
		if (!c->msg) {
			c->want = (size_t)c->len_buf[0] << 8 | c->len_buf[1];
			if (c->want < DNS_HEADER_SIZE) {
				tcp_free(c);
				return;
			}
			c->msg = xmalloc(c->want);
			c->got = 0;
			continue;
		}
		/* The whole query: no more reading; its answer is bounded by
		 * the forwards' own timeouts and the write timeout. */
		if (http_loop_mod_fd(c->s->loop, c->fd, 0) < 0) {
			tcp_free(c);
			return;
		}
		http_loop_cancel_timer(c->s->loop, c->timer);
		c->timer = http_loop_add_timer(
			c->s->loop,
			DNS_FORWARD_TIMEOUT_MS * ARRAY_SIZE(c->s->up.servers) + DNS_TCP_TIMEOUT_MS,
			tcp_timeout, c);
		handle_query(c->s, c->msg, c->want, NULL, c);
		return;
	}
}

static void tcp_ready(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct dns_tcp *c = data;

	if (c->out) {
		tcp_flush(c);
		return;
	}
	if (events & EPOLLIN) {
		tcp_read(c);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR))
		tcp_free(c);
}

static void tcp_accept(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct net_dns *s = data;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && errno == EINTR)
			continue;
		if (cfd < 0)
			return;
		if (s->n_conns >= DNS_MAX_TCP) {
			log_debug("DNS: %zu TCP clients, one refused", s->n_conns);
			(void)close(cfd);
			continue;
		}
		struct dns_tcp *c = xzalloc(sizeof(*c));
		c->s = s;
		c->fd = cfd;
		if (http_loop_add_fd(l, cfd, EPOLLIN, tcp_ready, c) < 0) {
			(void)close(cfd);
			free(c);
			continue;
		}
		c->timer = http_loop_add_timer(l, DNS_TCP_TIMEOUT_MS, tcp_timeout, c);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->n_conns++;
	}
}

/* ---- start and stop ---- */

static void setns_back(int self)
{
	/* The daemon left in a container's namespace would be a disaster. */
	if (setns(self, CLONE_NEWNET) < 0) {
		log_error("Cannot return to the daemon's network namespace: %m");
		abort();
	}
}

/* A UDP and a TCP socket of the namespace at path (bound later: a socket
 * keeps the namespace it was created in). */
static int sockets_in_netns(const char *path, int *ret_udp, int *ret_tcp, struct berth_error **err)
{
	_cleanup_close_ int self = -EBADF, target = -EBADF, udp = -EBADF, tcp = -EBADF;
	int saved;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "open own network namespace");
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open namespace '%s'", path);
	if (setns(target, CLONE_NEWNET) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "enter namespace '%s'",
				       path);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	saved = errno;
	if (udp >= 0) {
		tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		saved = errno;
	}
	setns_back(self);
	if (udp < 0 || tcp < 0)
		return berth_error_set(err, saved, BERTH_ERR_INTERNAL, "DNS socket in '%s'", path);
	*ret_udp = TAKE_FD(udp);
	*ret_tcp = TAKE_FD(tcp);
	return 0;
}

static int sockets_bind(int udp, int tcp, struct berth_error **err)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT) };
	int one = 1;

	a.sin_addr.s_addr = htonl(0x7f00000b); /* 127.0.0.11 */
	if (bind(udp, (struct sockaddr *)&a, sizeof(a)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "bind 127.0.0.11:53/udp");
	(void)setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(tcp, (struct sockaddr *)&a, sizeof(a)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "bind 127.0.0.11:53/tcp");
	if (listen(tcp, 64) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "listen 127.0.0.11:53/tcp");
	return 0;
}

int net_dns_start(struct http_loop *loop, const char *netns_path,
		  const struct net_dns_upstreams *up, net_dns_lookup_fn lookup, void *data,
		  struct net_dns **ret, struct berth_error **err)
{
	_cleanup_close_ int udp = -EBADF, tcp = -EBADF;
	struct net_dns *s;
	int r;

	if (!loop || !netns_path || !lookup || !ret)
		return berth_error_set(err, EINVAL, BERTH_ERR_INTERNAL,
				       "DNS server: bad arguments");
	r = sockets_in_netns(netns_path, &udp, &tcp, err);
	if (r < 0)
		return r;
	r = sockets_bind(udp, tcp, err);
	if (r < 0)
		return r;
	s = xzalloc(sizeof(*s));
	s->loop = loop;
	s->udp_fd = -EBADF;
	s->tcp_fd = -EBADF;
	s->lookup = lookup;
	s->data = data;
	if (up) {
		s->up = *up;
		if (s->up.n > ARRAY_SIZE(s->up.servers))
			s->up.n = ARRAY_SIZE(s->up.servers);
	}
	r = http_loop_add_fd(loop, udp, EPOLLIN, udp_ready, s);
	if (r < 0) {
		free(s);
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "DNS server on the loop");
	}
	s->udp_fd = TAKE_FD(udp);
	r = http_loop_add_fd(loop, tcp, EPOLLIN, tcp_accept, s);
	if (r < 0) {
		(void)net_dns_stop(s);
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "DNS server on the loop");
	}
	s->tcp_fd = TAKE_FD(tcp);
	*ret = s;
	return 0;
}

struct net_dns *net_dns_stop(struct net_dns *s)
{
	if (!s)
		return NULL;
	while (s->conns)
		tcp_free(s->conns);
	while (s->forwards)
		forward_free(s->forwards);
	if (s->udp_fd >= 0) {
		http_loop_del_fd(s->loop, s->udp_fd);
		(void)close(s->udp_fd);
	}
	if (s->tcp_fd >= 0) {
		http_loop_del_fd(s->loop, s->tcp_fd);
		(void)close(s->tcp_fd);
	}
	free(s);
	return NULL;
}

int net_dns_upstreams_from_file(const char *path, struct net_dns_upstreams *ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	struct net_dns_upstreams up = { 0 };
	size_t size = 0;

	if (!f)
		return -errno;
	while (up.n < ARRAY_SIZE(up.servers) && getline(&line, &size, f) >= 0) {
		char word[16], addr[64];
		struct in_addr a;

		/* "nameserver 1.2.3.4": IPv6 and anything else are skipped. */
		if (sscanf(line, " %15s %63s", word, addr) != 2 || strcmp(word, "nameserver") != 0)
			continue;
		if (inet_pton(AF_INET, addr, &a) != 1)
			continue;
		up.servers[up.n].sin_family = AF_INET;
		up.servers[up.n].sin_port = htons(DNS_PORT);
		up.servers[up.n].sin_addr = a;
		up.n++;
	}
	*ret = up;
	return 0;
}
