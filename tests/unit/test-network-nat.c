/* Unit tests of berth's nftables table against the real kernel: published
 * ports (127.0.0.1, the bridge's address, hairpin, from another network),
 * masquerade, isolation between networks, internal networks, removal and
 * the table's deletion. Root only (skipped otherwise).
 *
 * Everything is unique to the run: the table "berth_t<pid>", bridges
 * bt{a,b,c}<tag>, veths v*<tag>, namespaces n*<tag>, three free /24s of
 * 10.213.0.0/18 (no host route covers them). Topology:
 *   nsa (server, A.2) and nsc (client, A.3) on bridge bta (A.1)
 *   nsb (client, B.2) on bridge btb (B.1)
 *   nsi (I.2) on the internal bridge btc (I.1), I = R + 128 in the last byte
 *   nsr ("remote", R.2) on a plain veth vr<tag> (R.1) from the host
 * ip_forward is set for the run and restored, all of it removed at exit. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "network.h"
#include "tap.h"

__attribute__((constructor(200))) static void skip_unless_root(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		exit(77);
	}
}

static char tag[8], table[40], tmpdir[] = "/tmp/berth-nat-XXXXXX";
static unsigned sub_a, sub_b, sub_r; /* N of 10.213.N.0/24 */
static char *old_forward;
static pid_t servers[4];
static size_t n_servers;
static uint16_t port_a; /* the server's port in nsa (also in nsr) */
static struct net_nat *nat;

static const char *SERVER = "import socket,sys\n"
			    "s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)\n"
			    "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
			    "s.bind(('0.0.0.0',int(sys.argv[1])))\n"
			    "s.listen(64)\n"
			    "open(sys.argv[2],'w').close()\n"
			    "while True:\n"
			    " c,a=s.accept()\n"
			    " try:\n"
			    "  c.sendall(('%s peer=%s\\n'%(sys.argv[3],a[0])).encode())\n"
			    " except OSError:\n"
			    "  pass\n"
			    " c.close()\n";

static const char *CLIENT = "import socket,sys\n"
			    "s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)\n"
			    "s.settimeout(1.5)\n"
			    "try:\n"
			    " s.connect((sys.argv[1],int(sys.argv[2])))\n"
			    " print(s.recv(200).decode().strip())\n"
			    "except Exception as e:\n"
			    " print('ERR',type(e).__name__)\n";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	int r = system(cmd);
	r = r < 0 ? r : WIFEXITED(r) ? WEXITSTATUS(r) : 128;
	if (r != 0)
		printf("# command failed (%d): %s\n", r, cmd);
	return r;
}

static char *addr_of(unsigned n, unsigned host)
{
	return xasprintf("10.213.%u.%u", n, host);
}

static void cleanup(void)
{
	for (size_t i = 0; i < n_servers; i++) {
		(void)kill(servers[i], SIGKILL);
		(void)waitpid(servers[i], NULL, 0);
	}
	nat = net_nat_free(nat);
	(void)net_nat_destroy(table, NULL);
	(void)sh("for n in a b c i r; do ip netns del n${n}%1$s 2>/dev/null; done; "
		 "for l in bta%1$s btb%1$s btc%1$s vr%1$s; do ip link del $l 2>/dev/null; done; "
		 "rm -rf %2$s; true",
		 tag, tmpdir);
	if (old_forward) {
		(void)net_sysctl_set("net/ipv4/ip_forward", old_forward, NULL);
		free(old_forward);
		old_forward = NULL;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	exit(1); /* atexit cleanup */
}

/* Three /24s of 10.213.0.0/18 no host route covers. */
static void pick_subnets(void)
{
	struct net_ipv4 *routes = NULL;
	size_t n = 0;
	uint8_t rnd;
	unsigned found[3], n_found = 0;

	if (getrandom(&rnd, 1, 0) != 1 || net_routes_list(&routes, &n, NULL) < 0)
		abort();
	for (unsigned i = 0; i < 64 && n_found < 3; i++) {
		unsigned s = (rnd + i) % 64;
		_cleanup_free_ char *c = xasprintf("10.213.%u.0/24", s);
		struct net_ipv4 mine;
		bool taken = false;

		if (net_cidr_parse(c, true, &mine, NULL) < 0)
			abort();
		for (size_t j = 0; j < n; j++)
			taken = taken || net_cidr_overlaps(&mine, &routes[j]);
		if (!taken)
			found[n_found++] = s;
	}
	free(routes);
	if (n_found < 3)
		abort();
	sub_a = found[0];
	sub_b = found[1];
	sub_r = found[2];
}

/* A free TCP port on the host (and so in our fresh namespaces). */
static uint16_t free_port(void)
{
	for (;;) {
		uint16_t p;
		if (getrandom(&p, sizeof(p), 0) != sizeof(p))
			abort();
		p = (uint16_t)(20000 + p % 40000);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p) };
		int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
		if (r == 0 && p != port_a)
			return p;
	}
}

/* A namespace with eth0 (address N.host/24, default route via N.1) whose
 * peer veth is enslaved to bridge (or, when bridge is NULL, is the host's
 * own veth vr<tag> with N.1). */
static int add_ns(const char *ns, const char *bridge, const char *veth, unsigned n, unsigned host)
{
	if (sh("ip netns add %1$s && ip -n %1$s link set lo up && "
	       "ip link add %2$s type veth peer name eth0 netns %1$s && "
	       "ip -n %1$s addr add 10.213.%3$u.%4$u/24 dev eth0 && ip -n %1$s link set eth0 up && "
	       "ip -n %1$s route add default via 10.213.%3$u.1",
	       ns, veth, n, host) != 0)
		return -1;
	if (bridge) /* hairpin on, as net_veth_attach() sets it */
		return sh("ip link set %1$s master %2$s up && ip link set %1$s type bridge_slave "
			  "hairpin on",
			  veth, bridge);
	return sh("ip addr add 10.213.%1$u.1/24 dev %2$s && ip link set %2$s up", n, veth);
}

static int add_bridge(const char *name, unsigned n, unsigned host_prefix)
{
	return sh("ip link add %1$s type bridge && ip addr add 10.213.%2$u.1/%3$u dev %1$s && "
		  "ip link set %1$s up",
		  name, n, host_prefix);
}

/* Start the reply-with-peer server in ns on port; wait until it listens. */
static int start_server(const char *ns, uint16_t port, const char *name)
{
	_cleanup_free_ char *ready = xasprintf("%s/ready-%s", tmpdir, name);
	_cleanup_free_ char *portstr = xasprintf("%u", port);
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		(void)dup2(null, 0);
		execlp("ip", "ip", "netns", "exec", ns, "python3", "-c", SERVER, portstr, ready,
		       name, (char *)NULL);
		_exit(127);
	}
	servers[n_servers++] = pid;
	for (int i = 0; i < 200; i++) {
		if (access(ready, F_OK) == 0)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			servers[--n_servers] = 0;
			return -1;
		}
		(void)usleep(25000);
	}
	return -1;
}

/* Connect from namespace ns (NULL: the test process, in the host's) and
 * return the server's line, or "ERR <what>". */
static char *connect_from(const char *ns, const char *ip, uint16_t port)
{
	char line[256] = "";

	if (ns) {
		_cleanup_free_ char *portstr = xasprintf("%u", port);
		int pfd[2];
		pid_t pid;

		if (pipe2(pfd, O_CLOEXEC) < 0)
			return xstrdup("ERR pipe");
		pid = fork();
		if (pid == 0) {
			(void)dup2(pfd[1], 1);
			execlp("ip", "ip", "netns", "exec", ns, "python3", "-c", CLIENT, ip,
			       portstr, (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		size_t n = 0;
		for (ssize_t k = 1;
		     pid > 0 && k > 0 && n<sizeof(line) - 1; n += k> 0 ? (size_t)k : 0)
			k = read(pfd[0], line + n, sizeof(line) - 1 - n);
		line[n] = '\0';
		close(pfd[0]);
		if (pid > 0)
			(void)waitpid(pid, NULL, 0);
		if (n <= 0)
			snprintf(line, sizeof(line), "ERR no output");
	} else {
		_cleanup_close_ int fd =
			socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		(void)inet_pton(AF_INET, ip, &sa.sin_addr);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
			return xasprintf("ERR connect %s", strerror(errno));
		if (poll(&pfd, 1, 1500) != 1)
			return xstrdup("ERR timeout");
		(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr)
			return xasprintf("ERR %s", strerror(soerr));
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1500) != 1)
			return xstrdup("ERR no reply");
		ssize_t n = read(fd, line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
	}
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

__attribute__((constructor(300))) static void setup(void)
{
	uint8_t rnd[3];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd) || !mkdtemp(tmpdir))
		abort();
	snprintf(tag, sizeof(tag), "%02x%02x%x", rnd[0], rnd[1], rnd[2] & 0xf);
	snprintf(table, sizeof(table), "berth_t%d", (int)getpid());
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pick_subnets();
	printf("# table %s, tag %s, A 10.213.%u.0/24, B 10.213.%u.0/24, remote 10.213.%u.0/25,"
	       " internal 10.213.%u.128/25\n",
	       table, tag, sub_a, sub_b, sub_r, sub_r);
}

static char *name(const char *prefix)
{
	return xasprintf("%s%s", prefix, tag);
}

TEST(open_and_table_shape)
{
	_cleanup_error_ struct berth_error *e = NULL;
	struct net_nat *bad = NULL;

	ASSERT_EQ(net_nat_open("bad name", &bad, &e), -EINVAL);
	ASSERT_CONTAINS(e->msg, "invalid nftables table name");
	ASSERT_OK(net_nat_open(table, &nat, NULL));
	/* Re-opening starts from an empty table again. */
	nat = net_nat_free(nat);
	ASSERT_OK(net_nat_open(table, &nat, NULL));
	ASSERT_EQ(sh("nft list table ip %s | grep -q 'fib daddr type local jump ports'", table), 0);
}

TEST(topology)
{
	_cleanup_free_ char *bta = name("bta"), *btb = name("btb"), *btc = name("btc");

	ASSERT_TRUE(nat != NULL);
	ASSERT_OK(net_sysctl_get("net/ipv4/ip_forward", &old_forward, NULL));
	ASSERT_OK(net_sysctl_set("net/ipv4/ip_forward", "1", NULL));
	ASSERT_EQ(add_bridge(bta, sub_a, 24), 0);
	ASSERT_EQ(add_bridge(btb, sub_b, 24), 0);
	/* The internal network: the upper half of the remote's /24. */
	ASSERT_EQ(sh("ip link add %1$s type bridge && ip addr add 10.213.%2$u.129/25 dev %1$s && "
		     "ip link set %1$s up",
		     btc, sub_r),
		  0);
	_cleanup_free_ char *na = name("na"), *nb = name("nb"), *nc = name("nc"), *ni = name("ni"),
			    *nr = name("nr");
	_cleanup_free_ char *va = name("va"), *vb = name("vb"), *vc = name("vc"), *vi = name("vi"),
			    *vr = name("vr");
	ASSERT_EQ(add_ns(na, bta, va, sub_a, 2), 0);
	ASSERT_EQ(add_ns(nc, bta, vc, sub_a, 3), 0);
	ASSERT_EQ(add_ns(nb, btb, vb, sub_b, 2), 0);
	ASSERT_EQ(
		sh("ip netns add %1$s && ip -n %1$s link set lo up && "
		   "ip link add %2$s type veth peer name eth0 netns %1$s && "
		   "ip -n %1$s addr add 10.213.%3$u.130/25 dev eth0 && ip -n %1$s link set eth0 up "
		   "&& ip -n %1$s route add default via 10.213.%3$u.129 && "
		   "ip link set %2$s master %4$s up",
		   ni, vi, sub_r, btc),
		0);
	/* The remote: a plain veth (not a bridge), 10.213.R.0/25, no route back
	 * to the containers' subnets (it only knows its own link). */
	ASSERT_EQ(sh("ip netns add %1$s && ip -n %1$s link set lo up && "
		     "ip link add %2$s type veth peer name eth0 netns %1$s && "
		     "ip -n %1$s addr add 10.213.%3$u.2/25 dev eth0 && ip -n %1$s link set eth0 up "
		     "&& ip addr add 10.213.%3$u.1/25 dev %2$s && ip link set %2$s up",
		     nr, vr, sub_r),
		  0);
	port_a = free_port();
	ASSERT_OK(start_server(na, port_a, "server-a"));
	ASSERT_OK(start_server(nr, port_a, "remote"));
	ASSERT_OK(start_server(nc, port_a, "client-c"));
}

TEST(networks_isolation_and_masquerade)
{
	_cleanup_free_ char *bta = name("bta"), *btb = name("btb"), *btc = name("btc");
	_cleanup_free_ char *a2 = addr_of(sub_a, 2), *a3 = addr_of(sub_a, 3),
			    *r2 = addr_of(sub_r, 2);
	_cleanup_free_ char *r1 = addr_of(sub_r, 1), *i130 = addr_of(sub_r, 130);
	_cleanup_free_ char *sa = xasprintf("10.213.%u.0/24", sub_a);
	_cleanup_free_ char *sb = xasprintf("10.213.%u.0/24", sub_b);
	_cleanup_free_ char *si = xasprintf("10.213.%u.128/25", sub_r);
	_cleanup_free_ char *na = name("na"), *nb = name("nb"), *nc = name("nc"), *ni = name("ni");
	struct net_nat_network A = { bta, { { 0 }, 0 }, false, true };
	struct net_nat_network B = { btb, { { 0 }, 0 }, false, true };
	struct net_nat_network I = { btc, { { 0 }, 0 }, true, false };
	_cleanup_error_ struct berth_error *e = NULL;

	ASSERT_TRUE(nat != NULL && port_a != 0);
	ASSERT_OK(net_cidr_parse(sa, true, &A.subnet, NULL));
	ASSERT_OK(net_cidr_parse(sb, true, &B.subnet, NULL));
	ASSERT_OK(net_cidr_parse(si, true, &I.subnet, NULL));

	/* Before the networks are added: nothing masquerades, the remote has
	 * no route back, so the connection fails. */
	_cleanup_free_ char *before = connect_from(na, r2, port_a);
	ASSERT_CONTAINS(before, "ERR");

	ASSERT_OK(net_nat_network_add(nat, &A, NULL));
	ASSERT_OK(net_nat_network_add(nat, &A, NULL)); /* idempotent */
	ASSERT_OK(net_nat_network_add(nat, &B, NULL));
	ASSERT_OK(net_nat_network_add(nat, &I, NULL));
	struct net_nat_network bad = { "bad name!", A.subnet, false, true };
	ASSERT_EQ(net_nat_network_add(nat, &bad, &e), -EINVAL);
	ASSERT_CONTAINS(e->msg, "invalid interface name");

	/* Masquerade: the remote sees the host's address on its link. */
	_cleanup_free_ char *m = xasprintf("remote peer=%s", r1);
	_cleanup_free_ char *out = connect_from(na, r2, port_a);
	ASSERT_STREQ(out, m);
	_cleanup_free_ char *outb = connect_from(nb, r2, port_a);
	ASSERT_STREQ(outb, m);
	/* Same bridge: allowed, not masqueraded. */
	_cleanup_free_ char *same = xasprintf("server-a peer=%s", a3);
	_cleanup_free_ char *sc = connect_from(nc, a2, port_a);
	ASSERT_STREQ(sc, same);
	/* Isolation: B cannot reach A's members. */
	_cleanup_free_ char *iso = connect_from(nb, a2, port_a);
	ASSERT_CONTAINS(iso, "ERR");
	/* Internal: no way out, none in. */
	_cleanup_free_ char *iout = connect_from(ni, r2, port_a);
	ASSERT_CONTAINS(iout, "ERR");
	_cleanup_free_ char *iin = connect_from(na, i130, port_a);
	ASSERT_CONTAINS(iin, "ERR");
	/* route_localnet on the bridges that publish. */
	_cleanup_free_ char *key = xasprintf("net/ipv4/conf/%s/route_localnet", bta);
	_cleanup_free_ char *rl = NULL;
	ASSERT_OK(net_sysctl_get(key, &rl, NULL));
	ASSERT_STREQ(rl, "1");

	/* Without the network B, B's traffic is neither masqueraded nor isolated. */
	ASSERT_OK(net_nat_network_remove(nat, btb, NULL));
	ASSERT_OK(net_nat_network_remove(nat, btb, NULL)); /* missing: fine */
	_cleanup_free_ char *nob = connect_from(nb, r2, port_a);
	ASSERT_CONTAINS(nob, "ERR");
	ASSERT_EQ(sh("nft list table ip %s | grep -q fwdin_%s", table, btb), 1);
	ASSERT_OK(net_nat_network_add(nat, &B, NULL));
	/* A changed network is replaced: A internal, then back. */
	A.internal = true;
	ASSERT_OK(net_nat_network_add(nat, &A, NULL));
	_cleanup_free_ char *ai = connect_from(na, r2, port_a);
	ASSERT_CONTAINS(ai, "ERR");
	A.internal = false;
	ASSERT_OK(net_nat_network_add(nat, &A, NULL));
	_cleanup_free_ char *aback = connect_from(na, r2, port_a);
	ASSERT_STREQ(aback, m);
}

TEST(published_ports)
{
	_cleanup_free_ char *a1 = addr_of(sub_a, 1), *a2 = addr_of(sub_a, 2),
			    *b1 = addr_of(sub_b, 1);
	_cleanup_free_ char *r1 = addr_of(sub_r, 1);
	_cleanup_free_ char *bta = name("bta"), *na = name("na"), *nb = name("nb"),
			    *nr = name("nr");
	uint16_t hp = free_port(), hp2 = free_port();
	struct net_nat_port p = { IPPROTO_TCP, { htonl(INADDR_ANY) }, hp, { 0 }, port_a, bta };
	struct net_nat_port lo = {
		IPPROTO_TCP, { htonl(INADDR_LOOPBACK) }, hp2, { 0 }, port_a, bta
	};

	ASSERT_TRUE(nat != NULL && port_a != 0);
	ASSERT_EQ(inet_pton(AF_INET, a2, &p.target), 1);
	lo.target = p.target;
	ASSERT_OK(net_nat_port_add(nat, &p, NULL));
	ASSERT_OK(net_nat_port_add(nat, &p, NULL)); /* idempotent */
	ASSERT_OK(net_nat_port_add(nat, &lo, NULL));

	/* From the host: 127.0.0.1 (masqueraded to the bridge's address) and
	 * the bridge's address. */
	_cleanup_free_ char *via_a1 = xasprintf("server-a peer=%s", a1);
	_cleanup_free_ char *h1 = connect_from(NULL, "127.0.0.1", hp);
	ASSERT_STREQ(h1, via_a1);
	_cleanup_free_ char *h2 = connect_from(NULL, a1, hp);
	ASSERT_STREQ(h2, via_a1);
	_cleanup_free_ char *h3 = connect_from(NULL, "127.0.0.1", hp2);
	ASSERT_STREQ(h3, via_a1);
	/* Published on 127.0.0.1 only: not on the bridge's address. */
	_cleanup_free_ char *h4 = connect_from(NULL, a1, hp2);
	ASSERT_CONTAINS(h4, "ERR");
	/* From the remote namespace through the host's address on its link:
	 * the server sees the remote itself (DNAT only). */
	_cleanup_free_ char *rem = connect_from(nr, r1, hp);
	_cleanup_free_ char *r2 = addr_of(sub_r, 2);
	_cleanup_free_ char *remw = xasprintf("server-a peer=%s", r2);
	ASSERT_STREQ(rem, remw);
	/* Hairpin: the server reaches its own published port. */
	_cleanup_free_ char *hair = connect_from(na, a1, hp);
	ASSERT_STREQ(hair, via_a1);
	/* Another network reaches the published port through its gateway
	 * (masqueraded on its way out of its own bridge, as docker's). */
	_cleanup_free_ char *other = connect_from(nb, b1, hp);
	ASSERT_STREQ(other, via_a1);

	/* A changed target replaces the element; a remove of the old one is a no-op. */
	struct net_nat_port moved = p;
	moved.target_port = (uint16_t)(port_a == 65535 ? 1 : port_a + 1);
	ASSERT_OK(net_nat_port_add(nat, &moved, NULL));
	_cleanup_free_ char *mv = connect_from(NULL, "127.0.0.1", hp);
	ASSERT_CONTAINS(mv, "ERR");
	ASSERT_OK(net_nat_port_remove(nat, &p, NULL));
	ASSERT_OK(net_nat_port_add(nat, &p, NULL));
	_cleanup_free_ char *back = connect_from(NULL, "127.0.0.1", hp);
	ASSERT_STREQ(back, via_a1);

	/* UDP elements go in and out the same way. */
	struct net_nat_port u = { IPPROTO_UDP, { htonl(INADDR_ANY) }, hp, p.target, 53, bta };
	ASSERT_OK(net_nat_port_add(nat, &u, NULL));
	ASSERT_EQ(sh("nft list map ip %s ports_any | grep -q 'udp . %u : %s . 53'", table, hp, a2),
		  0);
	ASSERT_OK(net_nat_port_remove(nat, &u, NULL));
	ASSERT_EQ(sh("nft list map ip %s ports_any | grep -q 'udp . %u'", table, hp), 1);

	printf("# the table with two networks, an internal one and two ports:\n");
	(void)sh("nft list table ip %s | sed 's/^/# /'", table);

	/* Removal makes the ports unreachable. */
	ASSERT_OK(net_nat_port_remove(nat, &p, NULL));
	ASSERT_OK(net_nat_port_remove(nat, &p, NULL)); /* missing: fine */
	ASSERT_OK(net_nat_port_remove(nat, &lo, NULL));
	_cleanup_free_ char *g1 = connect_from(NULL, "127.0.0.1", hp);
	ASSERT_CONTAINS(g1, "ERR");
	_cleanup_free_ char *g2 = connect_from(NULL, "127.0.0.1", hp2);
	ASSERT_CONTAINS(g2, "ERR");
	_cleanup_free_ char *g3 = connect_from(nb, b1, hp);
	ASSERT_CONTAINS(g3, "ERR");

	struct net_nat_port badp = p;
	badp.proto = IPPROTO_ICMP;
	ASSERT_EQ(net_nat_port_add(nat, &badp, NULL), -EINVAL);
	badp = p;
	badp.bridge = "x;drop";
	ASSERT_EQ(net_nat_port_add(nat, &badp, NULL), -EINVAL);
}

TEST(remove_networks_and_destroy)
{
	_cleanup_free_ char *bta = name("bta"), *btb = name("btb"), *btc = name("btc");

	ASSERT_TRUE(nat != NULL);
	ASSERT_OK(net_nat_network_remove(nat, bta, NULL));
	ASSERT_OK(net_nat_network_remove(nat, btb, NULL));
	ASSERT_OK(net_nat_network_remove(nat, btc, NULL));
	/* Nothing per network is left: only the base chains. */
	ASSERT_EQ(sh("nft list table ip %s | grep -E 'chain (fwdin|fwdout|post)_|elements'", table),
		  1);
	nat = net_nat_free(nat);
	ASSERT_OK(net_nat_destroy(table, NULL));
	ASSERT_OK(net_nat_destroy(table, NULL)); /* missing: fine */
	ASSERT_EQ(sh("nft list tables | grep -qw %s", table), 1);
}
