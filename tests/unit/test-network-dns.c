/* Unit tests of the embedded DNS resolver: the codec (no privileges) and the
 * server (root, skipped otherwise) in a network namespace of its own
 * ("bdns<hex>", made with ip netns), served on an http_loop of this process,
 * with fake upstream servers on random 127.77.x.y addresses of the host's
 * loopback answering from this same loop: no traffic leaves loopback. The
 * namespace is removed at exit. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dns-internal.h"
#include "tap.h"

/* ---- messages ---- */

static size_t make_query(uint8_t *buf, uint16_t id, const char *name, uint16_t qtype)
{
	size_t n = 12;

	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;
	while (*name) {
		size_t l = strcspn(name, ".");
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, name, l);
		n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	buf[n++] = 0;
	buf[n++] = (uint8_t)(qtype >> 8);
	buf[n++] = (uint8_t)qtype;
	buf[n++] = 0;
	buf[n++] = 1;
	return n;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- codec ---- */

TEST(parse_good)
{
	uint8_t m[512];
	struct net_dns_query q;
	size_t n = make_query(m, 0xbeef, "Web.EXAMPLE.", NET_DNS_TYPE_A);

	ASSERT_OK(net_dns_parse_query(m, n, &q));
	ASSERT_EQ(q.id, 0xbeef);
	ASSERT_EQ(q.flags, 0x0100);
	ASSERT_STREQ(q.name, "web.example");
	ASSERT_EQ(q.qtype, NET_DNS_TYPE_A);
	ASSERT_EQ(q.qclass, 1);
	ASSERT_EQ(q.question_end, n);
	/* Trailing bytes (an EDNS record) are fine; the root name too. */
	m[n] = 0;
	ASSERT_OK(net_dns_parse_query(m, n + 1, &q));
	n = make_query(m, 1, "", NET_DNS_TYPE_AAAA);
	ASSERT_OK(net_dns_parse_query(m, n, &q));
	ASSERT_STREQ(q.name, "");
	ASSERT_EQ(q.qtype, NET_DNS_TYPE_AAAA);
}

TEST(parse_bad)
{
	uint8_t m[600];
	struct net_dns_query q;
	size_t n = make_query(m, 1, "web", NET_DNS_TYPE_A);

	ASSERT_EQ(net_dns_parse_query(m, 11, &q), -EINVAL);
	for (size_t i = 12; i < n; i++) /* every truncation of the question */
		ASSERT_EQ(net_dns_parse_query(m, i, &q), -EINVAL);
	m[5] = 0; /* no question */
	ASSERT_EQ(net_dns_parse_query(m, n, &q), -EINVAL);
	m[5] = 2; /* two */
	ASSERT_EQ(net_dns_parse_query(m, n, &q), -EINVAL);
	m[5] = 1;
	m[2] |= 0x80; /* a response */
	ASSERT_EQ(net_dns_parse_query(m, n, &q), -EINVAL);
	m[2] &= 0x7f;
	m[12] = 0x40; /* extended label type */
	ASSERT_EQ(net_dns_parse_query(m, n, &q), -EINVAL);
	m[12] = 4; /* a label running into the type */
	ASSERT_EQ(net_dns_parse_query(m, n, &q), -EINVAL);
	n = make_query(m, 1, "a.b", NET_DNS_TYPE_A);
	m[13] = '.'; /* a dot inside a label */
	m[14] = 1;
	m[15] = 'b';
	ASSERT_EQ(net_dns_parse_query(m, n, &q), -EINVAL);
	/* A name of 4 x 63-byte labels is 257 bytes on the wire: too long. */
	char name[300] = "";
	for (int i = 0; i < 4; i++) {
		if (i)
			strcat(name, ".");
		memset(name + strlen(name), 'x', 63);
		name[i * 64 + 63] = '\0';
	}
	n = make_query(m, 1, name, NET_DNS_TYPE_A);
	ASSERT_EQ(net_dns_parse_query(m, n, &q), -EINVAL);
	name[strlen(name) - 2] = '\0'; /* 255: fits */
	n = make_query(m, 1, name, NET_DNS_TYPE_A);
	ASSERT_OK(net_dns_parse_query(m, n, &q));
	ASSERT_EQ(strlen(q.name), 253);
}

TEST(parse_pointers)
{
	uint8_t m[64];
	struct net_dns_query q;
	size_t n = make_query(m, 1, "", NET_DNS_TYPE_A);

	/* A pointer to itself, and one forwards: refused (no loops). */
	uint8_t self[] = { 0xc0, 12, 0, 1, 0, 1 };
	memcpy(m + 12, self, sizeof(self));
	ASSERT_EQ(net_dns_parse_query(m, 18, &q), -EINVAL);
	uint8_t fwd[] = { 0xc0, 14, 0, 0, 1, 0, 1 };
	memcpy(m + 12, fwd, sizeof(fwd));
	ASSERT_EQ(net_dns_parse_query(m, 19, &q), -EINVAL);
	/* "abc" then a pointer to offset 6 (ancount: 0, the root): valid,
	 * and the answer's question is written out flat. */
	uint8_t back[] = { 3, 'A', 'b', 'c', 0xc0, 6, 0, 1, 0, 1 };
	memcpy(m + 12, back, sizeof(back));
	n = 12 + sizeof(back);
	ASSERT_OK(net_dns_parse_query(m, n, &q));
	ASSERT_STREQ(q.name, "abc");
	ASSERT_EQ(q.question_end, n);
	uint8_t out[64];
	struct in_addr a = { htonl(0x0ad54005) };
	int r = net_dns_build_answer(m, &q, &a, 1, 0, out, sizeof(out));
	uint8_t want_q[] = { 3, 'a', 'b', 'c', 0, 0, 1, 0, 1 };
	ASSERT_EQ(r, 12 + sizeof(want_q) + 16);
	ASSERT_TRUE(memcmp(out + 12, want_q, sizeof(want_q)) == 0);
	/* A chain through the header: 10 -> 8 -> 6 (the root). */
	m[8] = 0xc0;
	m[9] = 6;
	m[10] = 0xc0;
	m[11] = 8;
	uint8_t chain[] = { 0xc0, 10, 0, 1, 0, 1 };
	memcpy(m + 12, chain, sizeof(chain));
	ASSERT_OK(net_dns_parse_query(m, 18, &q));
	ASSERT_STREQ(q.name, "");
	/* A pointer cut in half. */
	ASSERT_EQ(net_dns_parse_query(m, 13, &q), -EINVAL);
}

TEST(build_answer_bytes)
{
	uint8_t m[64], out[512];
	struct net_dns_query q;
	size_t n = make_query(m, 0x1234, "WeB", NET_DNS_TYPE_A);
	struct in_addr a[2] = { { htonl(0x0ad54005) }, { htonl(0x0ad54006) } };
	static const uint8_t want[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0,    0, 0, /* header */
		3,    'W',  'e',  'B',	0, 0, 1, 0, 1,		   /* question, case kept */
		0xc0, 0x0c, 0,	  1,	0, 1, 0, 0, 2, 0x58, 0, 4, 10, 213, 64, 5, /* A */
		0xc0, 0x0c, 0,	  1,	0, 1, 0, 0, 2, 0x58, 0, 4, 10, 213, 64, 6,
	};

	ASSERT_OK(net_dns_parse_query(m, n, &q));
	int r = net_dns_build_answer(m, &q, a, 2, 0, out, sizeof(out));
	ASSERT_EQ(r, sizeof(want));
	for (size_t i = 0; i < sizeof(want); i++)
		if (out[i] != want[i])
			TAP_FAIL("byte %zu: %#x != %#x", i, out[i], want[i]);

	/* RD not set by the client: not in the answer. NOERROR, empty. */
	m[2] = 0;
	ASSERT_OK(net_dns_parse_query(m, n, &q));
	r = net_dns_build_answer(m, &q, NULL, 0, 0, out, sizeof(out));
	ASSERT_EQ(r, 21);
	ASSERT_EQ(get16(out + 2), 0x8080);
	ASSERT_EQ(get16(out + 6), 0);
	/* NXDOMAIN carries no records even when given some. */
	r = net_dns_build_answer(m, &q, a, 2, 3, out, sizeof(out));
	ASSERT_EQ(r, 21);
	ASSERT_EQ(get16(out + 2), 0x8083);
	ASSERT_EQ(get16(out + 6), 0);
	r = net_dns_build_error(m, &q, 2, out, sizeof(out));
	ASSERT_EQ(r, 21);
	ASSERT_EQ(get16(out), 0x1234);
	ASSERT_EQ(get16(out + 2), 0x8082);
	ASSERT_EQ(get16(out + 4), 1);
	ASSERT_TRUE(memcmp(out + 12, m + 12, 9) == 0);
	ASSERT_EQ(net_dns_build_error(m, &q, 16, out, sizeof(out)), -EINVAL);
}

TEST(build_truncated)
{
	uint8_t m[64], out[512];
	struct in_addr a[40];
	struct net_dns_query q;
	size_t n = make_query(m, 7, "web", NET_DNS_TYPE_A);

	for (size_t i = 0; i < 40; i++)
		a[i].s_addr = htonl(0x0ad54000 + (uint32_t)i);
	ASSERT_OK(net_dns_parse_query(m, n, &q));
	int r = net_dns_build_answer(m, &q, a, 40, 0, out, 512);
	ASSERT_EQ(r, 21 + 30 * 16); /* 30 records fit in 512 bytes */
	ASSERT_TRUE(out[2] & 0x02); /* TC */
	ASSERT_EQ(get16(out + 6), 30);
	ASSERT_EQ(out[r - 1], 29);
	r = net_dns_build_answer(m, &q, a, 2, 0, out, 512);
	ASSERT_FALSE(out[2] & 0x02);
	/* No room for the question itself. */
	ASSERT_EQ(net_dns_build_answer(m, &q, a, 1, 0, out, 20), -EINVAL);
	ASSERT_EQ(net_dns_build_answer(m, &q, a, 1, 0, out, 8), -EINVAL);
}

TEST(upstreams_file)
{
	char path[] = "/tmp/berth-dns-resolv-XXXXXX";
	int fd = mkstemp(path);
	struct net_dns_upstreams up;

	ASSERT_TRUE(fd >= 0);
	dprintf(fd, "# generated\nsearch example.org\nnameserver ::1\n"
		    "nameserver 127.0.0.53\n  nameserver\t10.0.0.1 # x\nnameserverx 1.1.1.1\n"
		    "options ndots:0\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n");
	close(fd);
	int r = net_dns_upstreams_from_file(path, &up);
	unlink(path);
	ASSERT_OK(r);
	ASSERT_EQ(up.n, 3);
	ASSERT_EQ(up.servers[0].sin_addr.s_addr, htonl(0x7f000035));
	ASSERT_EQ(up.servers[0].sin_port, htons(53));
	ASSERT_EQ(up.servers[1].sin_addr.s_addr, htonl(0x0a000001));
	ASSERT_EQ(up.servers[2].sin_addr.s_addr, htonl(0x0a000002));
	ASSERT_EQ(net_dns_upstreams_from_file("/nonexistent/resolv.conf", &up), -ENOENT);
}

/* ---- server (root) ---- */

static char ns_name[32]; /* bdns<hex> */
static char ns_path[64];
static bool ns_made, server_ready;
static struct http_loop *loop;
static struct net_dns *server;
static int good_fd = -EBADF, silent_fd = -EBADF;
static struct sockaddr_in good_addr, silent_addr, refused_addr;
static unsigned good_queries;

static int run(const char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			(void)dup2(null, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void server_cleanup(void)
{
	server = net_dns_stop(server);
	if (good_fd >= 0)
		close(good_fd);
	if (silent_fd >= 0)
		close(silent_fd);
	loop = http_loop_free(loop);
	if (ns_made) {
		const char *const del[] = { "ip", "netns", "del", ns_name, NULL };
		(void)run(del);
	}
}

/* Killed (a meson timeout): the namespace goes all the same. What ip netns
 * del does, with async-signal-safe calls only. */
static void on_signal(int sig)
{
	if (ns_made) {
		(void)umount2(ns_path, MNT_DETACH);
		(void)unlink(ns_path);
	}
	_exit(128 + sig);
}

static size_t lookup(void *data, const char *name, struct in_addr *out, size_t max)
{
	if (strcmp(name, "web") == 0 && max >= 1) {
		out[0].s_addr = htonl(0x0ad54005); /* 10.213.64.5 */
		return 1;
	}
	if (strcmp(name, "db") == 0 && max >= 2) {
		out[0].s_addr = htonl(0x0ad54006);
		out[1].s_addr = htonl(0x0ad54007);
		return 2;
	}
	return 0;
}

/* The fake upstream: example.test is 192.0.2.1, anything else NXDOMAIN. */
static void good_ready(struct http_loop *l, int fd, uint32_t events, void *data)
{
	uint8_t m[1024];
	struct sockaddr_in from;
	socklen_t alen = sizeof(from);
	char name[256];
	size_t off = 12, k = 0;
	ssize_t n = recvfrom(fd, m, sizeof(m) - 16, MSG_DONTWAIT, (struct sockaddr *)&from, &alen);

	if (n < 12)
		return;
	good_queries++;
	while ((size_t)off < (size_t)n && m[off] != 0 && m[off] < 64) {
		if (k + m[off] + 2 > sizeof(name) || off + 1 + m[off] > (size_t)n)
			return;
		if (k)
			name[k++] = '.';
		memcpy(name + k, m + off + 1, m[off]);
		k += m[off];
		off += 1 + (size_t)m[off];
	}
	name[k] = '\0';
	off += 5;
	if (off > (size_t)n)
		return;
	m[2] = 0x80 | (m[2] & 0x01);
	m[3] = 0x80;
	memset(m + 6, 0, 6);
	if (strcmp(name, "example.test") == 0) {
		static const uint8_t rr[] = {
			0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1
		};
		m[7] = 1;
		memcpy(m + off, rr, sizeof(rr));
		off += sizeof(rr);
	} else {
		m[3] |= 3;
	}
	(void)sendto(fd, m, off, 0, (struct sockaddr *)&from, sizeof(from));
}

/* A UDP socket on a random 127.77.x.y, port 53 (or a random one if taken);
 * bind == false: only the address, nothing listening there. */
static int loopback_udp(struct sockaddr_in *ret, bool bind_it)
{
	uint32_t rnd;

	for (int tries = 0; tries < 50; tries++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -1;
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
		a.sin_addr.s_addr = htonl(0x7f4d0000 | (1 + (rnd & 0xff) % 254) << 8 |
					  (1 + (rnd >> 8 & 0xff) % 254));
		if (tries >= 25)
			a.sin_port = htons((uint16_t)(20000 + (rnd >> 16) % 40000));
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			*ret = a;
			if (bind_it)
				return fd;
			close(fd); /* free again: queries there are refused */
			return 0;
		}
		close(fd);
	}
	return -1;
}

/* A socket of the test's namespace (created there, used from here). */
static int netns_socket(int type)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(ns_path, O_RDONLY | O_CLOEXEC);
	int fd = -1;

	if (self >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0) {
		fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
		if (setns(self, CLONE_NEWNET) < 0)
			abort();
	}
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return fd;
}

struct exchange {
	bool tcp, done, timed_out;
	int frames; /* TCP: answers to wait for (0: one) */
	int error;
	uint8_t buf[2048];
	size_t len;
};

/* Complete length-prefixed messages at the start of buf. */
static int tcp_frames(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	int n = 0;

	while (off + 2 <= len && off + 2 + get16(buf + off) <= len) {
		off += 2 + get16(buf + off);
		n++;
	}
	return n;
}

static void client_ready(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct exchange *x = data;
	ssize_t n = recv(fd, x->buf + x->len, sizeof(x->buf) - x->len, MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		x->error = n < 0 ? errno : ECONNRESET;
		http_loop_stop(l);
		return;
	}
	x->len += (size_t)n;
	if (!x->tcp || tcp_frames(x->buf, x->len) >= (x->frames ? x->frames : 1)) {
		x->done = true;
		http_loop_stop(l);
	}
}

static void guard(struct http_loop *l, void *data)
{
	struct exchange *x = data;

	x->timed_out = true;
	http_loop_stop(l);
}

/* Send msg to 127.0.0.11:53 from inside the namespace and run the loop
 * until the answer (into resp, TCP length stripped); returns its length,
 * -ETIMEDOUT, or the socket's -errno. ret_ms: how long it took. */
static int ask_raw(bool tcp, const uint8_t *msg, size_t len, uint8_t *resp, size_t cap,
		   unsigned timeout_ms, uint64_t *ret_ms)
{
	static struct exchange x;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct timespec t0, t1;
	uint8_t out[2048];
	int fd = netns_socket(tcp ? SOCK_STREAM : SOCK_DGRAM), r;

	if (fd < 0)
		return -errno;
	memset(&x, 0, sizeof(x));
	x.tcp = tcp;
	to.sin_addr.s_addr = htonl(0x7f00000b);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	size_t n = 0;
	if (tcp) {
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	}
	memcpy(out + n, msg, len);
	n += len;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n) {
		r = -errno;
		close(fd);
		return r;
	}
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	(void)http_loop_add_fd(loop, fd, EPOLLIN, client_ready, &x);
	uint64_t t = http_loop_add_timer(loop, timeout_ms, guard, &x);
	(void)http_loop_run(loop);
	http_loop_cancel_timer(loop, t);
	http_loop_del_fd(loop, fd);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret_ms)
		*ret_ms = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
			  (uint64_t)(t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (!x.done)
		return x.error ? -x.error : -ETIMEDOUT;
	size_t skip = tcp ? 2 : 0;
	if (x.len - skip > cap)
		return -E2BIG;
	memcpy(resp, x.buf + skip, x.len - skip);
	return (int)(x.len - skip);
}

static void idle_done(struct http_loop *l, void *data)
{
	http_loop_stop(l);
}

/* Run the loop for ms with nothing of the test's on it. */
static void idle(unsigned ms)
{
	(void)http_loop_add_timer(loop, ms, idle_done, NULL);
	(void)http_loop_run(loop);
}

static int ask(bool tcp, uint16_t id, const char *name, uint16_t qtype, uint8_t *resp,
	       uint64_t *ret_ms)
{
	uint8_t q[512];
	size_t n = make_query(q, id, name, qtype);

	return ask_raw(tcp, q, n, resp, 2048, 5000, ret_ms);
}

static int server_restart(const struct net_dns_upstreams *up)
{
	_cleanup_error_ struct berth_error *err = NULL;

	server = net_dns_stop(server);
	int r = net_dns_start(loop, ns_path, up, lookup, NULL, &server, &err);
	if (r < 0)
		printf("# net_dns_start: %s\n", err ? err->msg : "?");
	return r;
}

static struct net_dns_upstreams upstreams_of(const struct sockaddr_in *a, size_t n)
{
	struct net_dns_upstreams up = { .n = n };

	for (size_t i = 0; i < n; i++)
		up.servers[i] = a[i];
	return up;
}

#define NEED_SERVER()                                                                              \
	do {                                                                                       \
		if (geteuid() != 0) {                                                              \
			printf("# skip: needs root\n");                                            \
			return;                                                                    \
		}                                                                                  \
		ASSERT_TRUE(server_ready);                                                         \
	} while (0)

TEST(server_start)
{
	_cleanup_error_ struct berth_error *err = NULL;
	uint32_t rnd;

	if (geteuid() != 0) {
		printf("# skip: needs root\n");
		return;
	}
	ASSERT_EQ(getrandom(&rnd, sizeof(rnd), 0), sizeof(rnd));
	snprintf(ns_name, sizeof(ns_name), "bdns%05x", rnd & 0xfffff);
	snprintf(ns_path, sizeof(ns_path), "/run/netns/%s", ns_name);
	atexit(server_cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	const char *const add[] = { "ip", "netns", "add", ns_name, NULL };
	ASSERT_EQ(run(add), 0);
	ns_made = true;
	const char *const lo[] = { "ip", "-n", ns_name, "link", "set", "lo", "up", NULL };
	ASSERT_EQ(run(lo), 0);
	ASSERT_OK(http_loop_new(&loop, &err));
	good_fd = loopback_udp(&good_addr, true);
	ASSERT_TRUE(good_fd >= 0);
	silent_fd = loopback_udp(&silent_addr, true);
	ASSERT_TRUE(silent_fd >= 0);
	ASSERT_OK(loopback_udp(&refused_addr, false));
	ASSERT_OK(http_loop_add_fd(loop, good_fd, EPOLLIN, good_ready, NULL));
	struct net_dns_upstreams up = upstreams_of(&good_addr, 1);
	ASSERT_OK(net_dns_start(loop, ns_path, &up, lookup, NULL, &server, &err));
	/* The host's namespace has no 127.0.0.11:53 of ours. */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
	a.sin_addr.s_addr = htonl(0x7f00000b);
	int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	ASSERT_EQ(r, 0);
	server_ready = true;
}

static int check_a(const uint8_t *r, int len, uint16_t id, size_t n, const uint32_t *addrs)
{
	if (len < 12 || get16(r) != id || !(r[2] & 0x80) || (r[3] & 0xf) != 0 || get16(r + 6) != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *rr = r + len - (n - i) * 16;
		if (get16(rr + 2) != 1 || get16(rr + 10) != 4 || memcmp(rr + 12, &addrs[i], 4))
			return -1;
	}
	return 0;
}

static void test_ours(bool tcp, int *tap_failed)
{
	uint8_t r[2048];
	uint32_t web = htonl(0x0ad54005), db[2] = { htonl(0x0ad54006), htonl(0x0ad54007) };
	int n;

	n = ask(tcp, 0x1111, "web", NET_DNS_TYPE_A, r, NULL);
	ASSERT_EQ(n, 12 + 9 + 16);
	ASSERT_OK(check_a(r, n, 0x1111, 1, &web));
	ASSERT_EQ(r[2], 0x81); /* QR, RD echoed; AA not set */
	ASSERT_EQ(r[3], 0x80); /* RA */
	n = ask(tcp, 0x2222, "DB.", NET_DNS_TYPE_A, r, NULL);
	ASSERT_EQ(n, 12 + 8 + 32);
	ASSERT_OK(check_a(r, n, 0x2222, 2, db));
	ASSERT_EQ(r[13], 'D'); /* the client's letter case */
	n = ask(tcp, 0x3333, "web", NET_DNS_TYPE_AAAA, r, NULL);
	ASSERT_EQ(n, 21);
	ASSERT_OK(check_a(r, n, 0x3333, 0, NULL));
}

static void test_forwarded(bool tcp, int *tap_failed)
{
	uint8_t r[2048];
	uint32_t ex = htonl(0xc0000201);
	unsigned before = good_queries;
	int n;

	n = ask(tcp, 0x4444, "example.test", NET_DNS_TYPE_A, r, NULL);
	ASSERT_TRUE(n > 0);
	ASSERT_OK(check_a(r, n, 0x4444, 1, &ex));
	ASSERT_EQ(good_queries, before + 1);
	/* Not ours, not the upstream's: its NXDOMAIN relayed. */
	n = ask(tcp, 0x5555, "nothing.test", NET_DNS_TYPE_A, r, NULL);
	ASSERT_EQ(n, 12 + 14 + 4);
	ASSERT_EQ(get16(r), 0x5555);
	ASSERT_EQ(r[3] & 0xf, 3);
	/* Other types of our names go upstream as well (PTR, MX...). */
	n = ask(tcp, 0x6666, "web", 15, r, NULL);
	ASSERT_EQ(n, 12 + 9);
	ASSERT_EQ(r[3] & 0xf, 3);
	ASSERT_EQ(good_queries, before + 3);
}

TEST(server_udp_ours)
{
	NEED_SERVER();
	test_ours(false, tap_failed);
}

TEST(server_tcp_ours)
{
	NEED_SERVER();
	test_ours(true, tap_failed);
}

TEST(server_udp_forwarded)
{
	NEED_SERVER();
	test_forwarded(false, tap_failed);
}

TEST(server_tcp_forwarded)
{
	NEED_SERVER();
	test_forwarded(true, tap_failed);
}

TEST(server_garbage)
{
	uint8_t junk[600], r[2048];
	uint32_t web = htonl(0x0ad54005);
	size_t n;

	NEED_SERVER();
	ASSERT_EQ(getrandom(junk, sizeof(junk), 0), sizeof(junk));
	junk[2] &= 0x7f; /* looks like a query */
	ASSERT_EQ(ask_raw(false, junk, 100, r, sizeof(r), 300, NULL), -ETIMEDOUT);
	ASSERT_EQ(ask_raw(false, junk, 3, r, sizeof(r), 300, NULL), -ETIMEDOUT);
	ASSERT_EQ(ask_raw(false, junk, sizeof(junk), r, sizeof(r), 300, NULL), -ETIMEDOUT);
	n = make_query(junk, 9, "web", NET_DNS_TYPE_A);
	junk[2] |= 0x80; /* a response: never answered */
	ASSERT_EQ(ask_raw(false, junk, n, r, sizeof(r), 300, NULL), -ETIMEDOUT);
	/* Over TCP, the connection is closed. */
	ASSERT_EQ(ask_raw(true, junk + 4, 5, r, sizeof(r), 2000, NULL), -ECONNRESET);
	ASSERT_EQ(ask_raw(true, junk, 1, r, sizeof(r), 2000, NULL), -ECONNRESET);
	int len = ask(false, 0x7777, "web", NET_DNS_TYPE_A, r, NULL);
	ASSERT_OK(check_a(r, len, 0x7777, 1, &web));
	len = ask(true, 0x7778, "web", NET_DNS_TYPE_A, r, NULL);
	ASSERT_OK(check_a(r, len, 0x7778, 1, &web));
}

TEST(server_upstream_timeout)
{
	uint8_t r[2048], drain[512];
	uint32_t ex = htonl(0xc0000201);
	uint64_t ms;
	int n;

	NEED_SERVER();
	struct net_dns_upstreams up = upstreams_of(&silent_addr, 1);
	ASSERT_OK(server_restart(&up));
	n = ask(false, 0x8888, "example.test", NET_DNS_TYPE_A, r, &ms);
	ASSERT_EQ(n, 12 + 14 + 4);
	ASSERT_EQ(get16(r), 0x8888);
	ASSERT_EQ(r[3] & 0xf, 2); /* SERVFAIL */
	ASSERT_TRUE(ms >= 1900 && ms < 3000);
	/* The silent one was asked, with an id of the server's. */
	ASSERT_TRUE(recv(silent_fd, drain, sizeof(drain), MSG_DONTWAIT) > 12);

	/* Refused at once, silent for 2 s, then the good one answers. */
	struct sockaddr_in three[] = { refused_addr, silent_addr, good_addr };
	up = upstreams_of(three, 3);
	ASSERT_OK(server_restart(&up));
	n = ask(true, 0x9999, "example.test", NET_DNS_TYPE_A, r, &ms);
	ASSERT_OK(check_a(r, n, 0x9999, 1, &ex));
	ASSERT_TRUE(ms >= 1900 && ms < 3000);
	while (recv(silent_fd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
		;

	/* No upstream at all: SERVFAIL at once, ours still answered. */
	up.n = 0;
	ASSERT_OK(server_restart(&up));
	n = ask(false, 0xaaaa, "example.test", NET_DNS_TYPE_A, r, &ms);
	ASSERT_EQ(n, 12 + 14 + 4);
	ASSERT_EQ(r[3] & 0xf, 2);
	ASSERT_TRUE(ms < 1000);
}

TEST(server_tcp_two_queries)
{
	struct exchange x = { .tcp = true, .frames = 2 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	uint8_t out[1024];
	uint32_t web = htonl(0x0ad54005), ex = htonl(0xc0000201);
	size_t n = 0;

	NEED_SERVER();
	struct net_dns_upstreams up = upstreams_of(&good_addr, 1);
	ASSERT_OK(server_restart(&up));
	/* As glibc does: both queries at once on one connection, one of
	 * ours and one forwarded. */
	size_t l = make_query(out + 2, 0x0101, "web", NET_DNS_TYPE_A);
	out[0] = 0;
	out[1] = (uint8_t)l;
	n = 2 + l;
	l = make_query(out + n + 2, 0x0202, "example.test", NET_DNS_TYPE_A);
	out[n] = 0;
	out[n + 1] = (uint8_t)l;
	n += 2 + l;
	int fd = netns_socket(SOCK_STREAM);
	ASSERT_TRUE(fd >= 0);
	to.sin_addr.s_addr = htonl(0x7f00000b);
	ASSERT_OK(connect(fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(send(fd, out, n, MSG_NOSIGNAL), (ssize_t)n);
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	(void)http_loop_add_fd(loop, fd, EPOLLIN, client_ready, &x);
	uint64_t t = http_loop_add_timer(loop, 3000, guard, &x);
	(void)http_loop_run(loop);
	http_loop_cancel_timer(loop, t);
	http_loop_del_fd(loop, fd);
	close(fd);
	ASSERT_TRUE(x.done);
	size_t first = get16(x.buf);
	ASSERT_OK(check_a(x.buf + 2, (int)first, 0x0101, 1, &web));
	ASSERT_OK(check_a(x.buf + 4 + first, (int)get16(x.buf + 2 + first), 0x0202, 1, &ex));
}

TEST(server_tcp_idle_client)
{
	struct exchange x = { .tcp = true };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct timespec t0, t1;

	NEED_SERVER();
	int fd = netns_socket(SOCK_STREAM);
	ASSERT_TRUE(fd >= 0);
	to.sin_addr.s_addr = htonl(0x7f00000b);
	ASSERT_OK(connect(fd, (struct sockaddr *)&to, sizeof(to)));
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)http_loop_add_fd(loop, fd, EPOLLIN, client_ready, &x);
	uint64_t t = http_loop_add_timer(loop, 8000, guard, &x);
	(void)http_loop_run(loop);
	http_loop_cancel_timer(loop, t);
	http_loop_del_fd(loop, fd);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	/* Closed by the server after its 5 s. */
	ASSERT_FALSE(x.timed_out);
	ASSERT_EQ(x.error, ECONNRESET);
	ASSERT_TRUE(ms >= 4900 && ms < 6500);
}

TEST(server_forward_limit)
{
	uint8_t q[512], r[2048], drain[512];
	int big = 4 << 20, got = 0;
	uint32_t web = htonl(0x0ad54005);

	NEED_SERVER();
	ASSERT_OK(setsockopt(silent_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)));
	struct net_dns_upstreams up = upstreams_of(&silent_addr, 1);
	ASSERT_OK(server_restart(&up));
	int fd = netns_socket(SOCK_DGRAM);
	ASSERT_TRUE(fd >= 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	to.sin_addr.s_addr = htonl(0x7f00000b);
	ASSERT_OK(connect(fd, (struct sockaddr *)&to, sizeof(to)));
	/* 300 queries to a silent upstream, in bursts the server's socket
	 * buffer takes: 256 forwarded, the rest dropped. */
	for (int i = 0; i < 300; i++) {
		size_t n = make_query(q, (uint16_t)i, "example.test", NET_DNS_TYPE_A);
		ASSERT_EQ(send(fd, q, n, 0), (ssize_t)n);
		if (i % 25 == 24)
			idle(20);
	}
	idle(100);
	close(fd);
	while (recv(silent_fd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
		got++;
	ASSERT_EQ(got, 256);
	/* Once they time out, the server takes queries again. */
	idle(2200);
	int len = ask(false, 0xbbbb, "web", NET_DNS_TYPE_A, r, NULL);
	ASSERT_OK(check_a(r, len, 0xbbbb, 1, &web));
	size_t n = make_query(q, 1, "example.test", NET_DNS_TYPE_A);
	ASSERT_EQ(ask_raw(false, q, n, r, sizeof(r), 100, NULL), -ETIMEDOUT);
	ASSERT_TRUE(recv(silent_fd, drain, sizeof(drain), MSG_DONTWAIT) > 0);
}

TEST(server_stop)
{
	uint8_t q[512], r[2048];
	size_t n;

	NEED_SERVER();
	/* Stopped with forwards and a TCP client pending: nothing of it may
	 * fire afterwards (the sanitizer build checks). */
	struct net_dns_upstreams up = upstreams_of(&silent_addr, 1);
	ASSERT_OK(server_restart(&up));
	n = make_query(q, 1, "example.test", NET_DNS_TYPE_A);
	ASSERT_EQ(ask_raw(false, q, n, r, sizeof(r), 100, NULL), -ETIMEDOUT);
	ASSERT_EQ(ask_raw(true, q, n, r, sizeof(r), 100, NULL), -ETIMEDOUT);
	server = net_dns_stop(server);
	idle(2500);
	ASSERT_EQ(ask_raw(false, q, n, r, sizeof(r), 2500, NULL), -ECONNREFUSED);
	ASSERT_EQ(ask_raw(true, q, n, r, sizeof(r), 100, NULL), -ECONNREFUSED);
	server_ready = false;
}
