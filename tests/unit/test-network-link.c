/* Unit tests of the kernel side of berth's networking: namespaces bound on
 * files, bridges, veth pairs into a namespace, routes, sysctls and port
 * reservations. They need root (skipped otherwise). Every name is unique to
 * the run (bt<hex> bridge, vt<hex>.. veths, a temp dir of namespace files),
 * the subnet is a free 10.213.N.0/24 (N < 64), and all is removed at exit. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "net-internal.h"
#include "tap.h"

__attribute__((constructor(200))) static void skip_unless_root(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		exit(77);
	}
}

static char tmpdir[] = "/tmp/berth-nl-XXXXXX";
static char tag[8];	/* 5 random hex digits */
static char bridge[16]; /* bt<tag> */
static unsigned subnet; /* N of 10.213.N.0/24 */

static char *ns_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static char *veth_name(const char *what)
{
	return xasprintf("vt%s%s", tag, what);
}

static struct in_addr ip_of(unsigned host)
{
	struct in_addr a = { htonl((10u << 24) | (213u << 16) | (subnet << 8) | host) };
	return a;
}

static void cleanup(void)
{
	_cleanup_closedir_ DIR *d = opendir(tmpdir);
	struct dirent *de;

	(void)net_link_delete(bridge, NULL);
	while (d && (de = readdir(d))) {
		if (dirent_is_dot(de))
			continue;
		_cleanup_free_ char *p = ns_path(de->d_name);
		(void)net_ns_remove(p, NULL);
	}
	(void)umount2(tmpdir, MNT_DETACH);
	(void)rmdir(tmpdir);
}

/* A 10.213.N.0/24 no route of the host covers. */
__attribute__((constructor(300))) static void setup(void)
{
	struct net_ipv4 *routes = NULL;
	size_t n = 0;
	uint8_t rnd[4];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd) || !mkdtemp(tmpdir))
		abort();
	snprintf(tag, sizeof(tag), "%02x%02x%x", rnd[0], rnd[1], rnd[2] & 0xf);
	snprintf(bridge, sizeof(bridge), "bt%s", tag);
	atexit(cleanup);
	if (net_routes_list(&routes, &n, NULL) < 0)
		abort();
	for (unsigned i = 0; i < 64; i++) {
		bool taken = false;
		subnet = (rnd[3] + i) % 64;
		struct net_ipv4 mine = { ip_of(0), 24 };
		for (size_t j = 0; j < n; j++) {
			uint32_t m = routes[j].prefix < 24 ? routes[j].prefix : 24;
			uint32_t mask = m ? htonl(~0u << (32 - m)) : 0;
			if ((routes[j].addr.s_addr & mask) == (mine.addr.s_addr & mask))
				taken = true;
		}
		if (!taken)
			break;
	}
	free(routes);
	printf("# bridge %s, subnet 10.213.%u.0/24, namespaces in %s\n", bridge, subnet, tmpdir);
}

/* ---- reading links, addresses and routes back over netlink ---- */

struct link_attrs {
	const char *name;
	int index, master;
	unsigned flags, mtu;
	uint8_t mac[6];
	char **names; /* every link seen */
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_attrs *la = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	struct link_attrs cur = { .index = ifi->ifi_index, .flags = ifi->ifi_flags };
	const char *name = NULL;

	mnl_attr_for_each(attr, nlh, sizeof(*ifi))
	{
		switch (mnl_attr_get_type(attr)) {
		case IFLA_IFNAME:
			name = mnl_attr_get_str(attr);
			break;
		case IFLA_MTU:
			cur.mtu = mnl_attr_get_u32(attr);
			break;
		case IFLA_MASTER:
			cur.master = (int)mnl_attr_get_u32(attr);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(attr) == 6)
				memcpy(cur.mac, mnl_attr_get_payload(attr), 6);
			break;
		default:
			break;
		}
	}
	if (!name)
		return MNL_CB_OK;
	strv_push(&la->names, name);
	if (la->name && strcmp(name, la->name) == 0) {
		cur.name = la->name;
		cur.names = la->names;
		*la = cur;
	}
	return MNL_CB_OK;
}

/* The link name of the namespace netns (NULL: ours); false when missing. */
static bool link_read(const char *netns, const char *name, struct link_attrs *ret)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	struct nl_batch b;

	*ret = (struct link_attrs){ .name = name };
	if (nl_open(netns, &nl, NULL) < 0)
		return false;
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (nl_dump(nl, &b, link_cb, ret) < 0)
		return false;
	return ret->index > 0;
}

struct addr_find {
	int index;
	struct net_ipv4 want;
	struct in_addr brd;
	bool found;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_find *af = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	struct in_addr local = { 0 }, brd = { 0 };

	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != af->index)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa))
	{
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			memcpy(&local, mnl_attr_get_payload(attr), 4);
		else if (mnl_attr_get_type(attr) == IFA_BROADCAST)
			memcpy(&brd, mnl_attr_get_payload(attr), 4);
	}
	if (local.s_addr == af->want.addr.s_addr && ifa->ifa_prefixlen == af->want.prefix) {
		af->found = true;
		af->brd = brd;
	}
	return MNL_CB_OK;
}

/* Whether link index of netns has the address; its broadcast address. */
static bool addr_has(const char *netns, int index, struct net_ipv4 want, struct in_addr *brd)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	struct addr_find af = { .index = index, .want = want };
	struct nl_batch b;

	if (nl_open(netns, &nl, NULL) < 0)
		return false;
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_GETADDR, 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	if (nl_dump(nl, &b, addr_cb, &af) < 0)
		return false;
	if (brd)
		*brd = af.brd;
	return af.found;
}

struct gw_find {
	struct in_addr gw;
	int oif;
};

static int gw_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gw_find *g = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;

	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 0 || rtm->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm))
	{
		if (mnl_attr_get_type(attr) == RTA_GATEWAY)
			memcpy(&g->gw, mnl_attr_get_payload(attr), 4);
		else if (mnl_attr_get_type(attr) == RTA_OIF)
			g->oif = (int)mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

/* The default route of netns (gateway 0 when none). */
static struct gw_find default_route(const char *netns)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	struct gw_find g = { { 0 }, 0 };
	struct nl_batch b;

	if (nl_open(netns, &nl, NULL) < 0)
		return g;
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_GETROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	(void)nl_dump(nl, &b, gw_cb, &g);
	return g;
}

/* ---- tests ---- */

TEST(mac)
{
	uint8_t mac[6];
	char buf[18];

	net_mac_from_ip(ip_of(2), mac);
	net_mac_format(mac, buf);
	char want[18];
	snprintf(want, sizeof(want), "02:42:0a:d5:%02x:02", subnet);
	ASSERT_STREQ(buf, want);
	ASSERT_OK(net_mac_parse("02:AA:bb:cc:dd:0e", mac));
	net_mac_format(mac, buf);
	ASSERT_STREQ(buf, "02:aa:bb:cc:dd:0e");
	ASSERT_OK(net_mac_parse("02-aa-bb-cc-dd-0f", mac));
	ASSERT_EQ(mac[5], 0x0f);
	ASSERT_EQ(net_mac_parse("02:aa:bb:cc:dd", mac), -EINVAL);
	ASSERT_EQ(net_mac_parse("02:aa:bb:cc:dd:0g", mac), -EINVAL);
	ASSERT_EQ(net_mac_parse("02:aa-bb:cc:dd:0e", mac), -EINVAL);
	ASSERT_EQ(net_mac_parse("02:aa:bb:cc:dd:0e:", mac), -EINVAL);
}

TEST(netns_create_remove)
{
	_cleanup_free_ char *path = ns_path("ns1");
	_cleanup_error_ struct berth_error *err = NULL;
	struct link_attrs la;
	struct stat st, self;

	ASSERT_OK(net_ns_create(path, &err));
	ASSERT_OK(stat(path, &st));
	ASSERT_OK(stat("/proc/self/ns/net", &self));
	ASSERT_TRUE(st.st_ino != self.st_ino); /* a namespace, not ours */
	ASSERT_OK(stat("/proc/thread-self/ns/net", &st));
	ASSERT_EQ(st.st_ino, self.st_ino); /* and we are back in ours */
	ASSERT_TRUE(link_read(path, "lo", &la));
	_cleanup_strv_ char **names = la.names;
	ASSERT_TRUE(la.flags & IFF_UP);
	ASSERT_EQ(strv_length(names), 1); /* lo only */
	/* a socket inside it binds an address only that namespace has */
	_cleanup_close_ int fd = net_ns_socket(path, AF_INET, SOCK_DGRAM, 0, &err);
	ASSERT_OK(fd);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = { htonl(INADDR_LOOPBACK) } };
	ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	_cleanup_error_ struct berth_error *err2 = NULL;
	ASSERT_EQ(net_ns_create(path, &err2), -EEXIST);
	ASSERT_CONTAINS(err2->msg, "create network namespace");
	ASSERT_OK(net_ns_remove(path, &err));
	ASSERT_TRUE(access(path, F_OK) < 0 && errno == ENOENT);
	ASSERT_OK(net_ns_remove(path, &err)); /* missing: fine */
	_cleanup_error_ struct berth_error *err3 = NULL;
	ASSERT_EQ(net_ns_socket(path, AF_INET, SOCK_DGRAM, 0, &err3), -ENOENT);
	ASSERT_EQ(err3->kind, BERTH_ERR_NOT_FOUND);
}

TEST(bridge_ensure)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_ipv4 gw = { ip_of(1), 24 };
	struct link_attrs la;
	struct in_addr brd;

	ASSERT_OK(net_bridge_ensure(bridge, 1500, &gw, &err));
	ASSERT_OK(net_bridge_ensure(bridge, 1500, &gw, &err)); /* again: no change */
	ASSERT_TRUE(net_link_exists(bridge));
	ASSERT_TRUE(link_read(NULL, bridge, &la));
	strv_free(la.names);
	ASSERT_TRUE(la.flags & IFF_UP);
	ASSERT_EQ(la.mtu, 1500);
	ASSERT_EQ(la.mac[0] & 0x03, 0x02); /* a locally administered unicast address */
	ASSERT_TRUE(addr_has(NULL, la.index, gw, &brd));
	ASSERT_EQ(brd.s_addr, ip_of(255).s_addr);

	/* down, address gone: ensure brings both back */
	_cleanup_free_ char *cmd =
		xasprintf("ip link set %s down && ip addr flush dev %s", bridge, bridge);
	ASSERT_EQ(system(cmd), 0);
	ASSERT_OK(net_bridge_ensure(bridge, 0, &gw, &err));
	ASSERT_TRUE(link_read(NULL, bridge, &la));
	strv_free(la.names);
	ASSERT_TRUE(la.flags & IFF_UP);
	ASSERT_TRUE(addr_has(NULL, la.index, gw, NULL));

	/* a link of that name that is no bridge */
	_cleanup_error_ struct berth_error *err2 = NULL;
	ASSERT_EQ(net_bridge_ensure("lo", 0, NULL, &err2), -EEXIST);
	ASSERT_CONTAINS(err2->msg, "create bridge 'lo'");
	_cleanup_error_ struct berth_error *err3 = NULL;
	ASSERT_EQ(net_bridge_ensure("bad/name", 0, NULL, &err3), -EINVAL);

	_cleanup_strv_ char **names = NULL;
	ASSERT_OK(net_link_list("bt", &names, &err));
	ASSERT_TRUE(strv_contains(names, bridge));
	for (size_t i = 0; names[i]; i++)
		ASSERT_TRUE(str_has_prefix(names[i], "bt"));
}

TEST(routes_list)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ struct net_ipv4 *routes = NULL;
	size_t n = 0;
	bool found = false;

	ASSERT_OK(net_bridge_ensure(bridge, 1500, &(struct net_ipv4){ ip_of(1), 24 }, &err));
	ASSERT_OK(net_routes_list(&routes, &n, &err));
	for (size_t i = 0; i < n; i++) {
		ASSERT_TRUE(routes[i].prefix > 0); /* no default route */
		if (routes[i].addr.s_addr == ip_of(0).s_addr && routes[i].prefix == 24)
			found = true;
	}
	ASSERT_TRUE(found);
}

/* Bytes both ways between a TCP socket made inside path and one listening on
 * the bridge address in our namespace. */
static bool tcp_exchange(const char *path, int *failed_errno)
{
	_cleanup_close_ int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int cfd = -EBADF, afd = -EBADF;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = ip_of(1) };
	socklen_t len = sizeof(sa);
	struct timeval tv = { 5, 0 };
	char buf[8] = "";

	*failed_errno = 0;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0)
		goto fail;
	cfd = net_ns_socket(path, AF_INET, SOCK_STREAM, 0, NULL);
	if (cfd < 0 || setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	struct sockaddr_in peer;
	len = sizeof(peer);
	afd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	if (afd < 0 || peer.sin_addr.s_addr != ip_of(2).s_addr)
		goto fail;
	if (write(cfd, "ping", 4) != 4 || read(afd, buf, 4) != 4 || memcmp(buf, "ping", 4) != 0 ||
	    write(afd, "pong", 4) != 4 || read(cfd, buf, 4) != 4 || memcmp(buf, "pong", 4) != 0)
		goto fail;
	return true;
fail:
	*failed_errno = errno;
	return false;
}

TEST(veth_attach_detach)
{
	_cleanup_free_ char *path = ns_path("ns2");
	_cleanup_free_ char *host0 = veth_name("a"), *host1 = veth_name("b");
	_cleanup_error_ struct berth_error *err = NULL;
	struct in_addr gw = ip_of(1);
	struct link_attrs la, host;
	uint8_t mac[6], want[6];
	int e;

	ASSERT_OK(net_bridge_ensure(bridge, 1500, &(struct net_ipv4){ gw, 24 }, &err));
	ASSERT_OK(net_ns_create(path, &err));
	struct net_veth_config cfg = { .bridge = bridge,
				       .host_if = host0,
				       .netns = path,
				       .ifname = "eth0",
				       .mtu = 1400,
				       .addr = { ip_of(2), 24 },
				       .gateway = &gw };
	if (net_veth_attach(&cfg, &err) < 0)
		TAP_FAIL("net_veth_attach: %s", err->msg);

	/* inside: eth0 with its mac, mtu, address, up, default route */
	ASSERT_TRUE(link_read(path, "eth0", &la));
	strv_free(la.names);
	ASSERT_TRUE(la.flags & IFF_UP);
	ASSERT_EQ(la.mtu, 1400);
	net_mac_from_ip(ip_of(2), want);
	ASSERT_TRUE(memcmp(la.mac, want, 6) == 0);
	struct in_addr brd;
	ASSERT_TRUE(addr_has(path, la.index, cfg.addr, &brd));
	ASSERT_EQ(brd.s_addr, ip_of(255).s_addr);
	struct gw_find route = default_route(path);
	ASSERT_EQ(route.gw.s_addr, gw.s_addr);
	ASSERT_EQ(route.oif, la.index);

	/* host end: on the bridge, up, hairpin */
	struct link_attrs br;
	ASSERT_TRUE(link_read(NULL, bridge, &br));
	strv_free(br.names);
	ASSERT_TRUE(link_read(NULL, host0, &host));
	strv_free(host.names);
	ASSERT_EQ(host.master, br.index);
	ASSERT_TRUE(host.flags & IFF_UP);
	ASSERT_EQ(host.mtu, 1400);
	_cleanup_free_ char *hp = xasprintf("/sys/class/net/%s/brport/hairpin_mode", host0);
	_cleanup_free_ char *hairpin = NULL;
	ASSERT_OK(file_read_all(hp, 64, &hairpin, NULL));
	ASSERT_EQ(atoi(hairpin), 1);

	ASSERT_TRUE(tcp_exchange(path, &e));

	/* a second network end, chosen mac, no gateway */
	ASSERT_OK(net_mac_parse("02:aa:bb:cc:dd:ee", mac));
	struct net_veth_config cfg1 = { .bridge = bridge,
					.host_if = host1,
					.netns = path,
					.ifname = "eth1",
					.mtu = 0,
					.mac = mac,
					.addr = { ip_of(3), 24 } };
	ASSERT_OK(net_veth_attach(&cfg1, &err));
	ASSERT_TRUE(link_read(path, "eth1", &la));
	strv_free(la.names);
	ASSERT_TRUE(memcmp(la.mac, mac, 6) == 0);
	ASSERT_EQ(la.mtu, 1500);
	ASSERT_EQ(default_route(path).oif, route.oif); /* still via eth0 */

	/* a bad mtu: the kernel's words, nothing left behind */
	_cleanup_free_ char *host2 = veth_name("c");
	_cleanup_error_ struct berth_error *err5 = NULL;
	struct net_veth_config cfg2 = { .bridge = bridge,
					.host_if = host2,
					.netns = path,
					.ifname = "eth2",
					.mtu = 10,
					.addr = { ip_of(4), 24 } };
	ASSERT_EQ(net_veth_attach(&cfg2, &err5), -EINVAL);
	printf("# %s\n", err5->msg);
	ASSERT_CONTAINS(err5->msg, "create veth");
	ASSERT_FALSE(net_link_exists(host2));
	ASSERT_FALSE(link_read(path, "eth2", &la));
	strv_free(la.names);

	/* a gateway off the subnet: the kernel's extended ack text, nothing left */
	struct in_addr off_gw = { htonl(0x0ad5ff01) }; /* 10.213.255.1 */
	_cleanup_error_ struct berth_error *err6 = NULL;
	cfg2.mtu = 1500;
	cfg2.gateway = &off_gw;
	ASSERT_TRUE(net_veth_attach(&cfg2, &err6) < 0);
	printf("# %s\n", err6->msg);
	ASSERT_CONTAINS(err6->msg, "add default route via 10.213.255.1: ");
	ASSERT_FALSE(net_link_exists(host2));
	ASSERT_FALSE(link_read(path, "eth2", &la));
	strv_free(la.names);

	/* the same names again: refused, nothing left behind */
	_cleanup_error_ struct berth_error *err2 = NULL;
	ASSERT_EQ(net_veth_attach(&cfg1, &err2), -EEXIST);
	ASSERT_CONTAINS(err2->msg, "create veth");

	ASSERT_OK(net_veth_detach(path, "eth0", &err));
	ASSERT_FALSE(link_read(path, "eth0", &la));
	strv_free(la.names);
	ASSERT_FALSE(net_link_exists(host0));
	ASSERT_TRUE(net_link_exists(host1));
	ASSERT_OK(net_veth_detach(path, "eth0", &err)); /* missing: fine */
	ASSERT_OK(net_veth_detach(path, "eth1", &err));
	ASSERT_FALSE(net_link_exists(host1));
	ASSERT_OK(net_ns_remove(path, &err));
	ASSERT_OK(net_veth_detach(path, "eth0", &err)); /* namespace gone: fine */

	/* into a namespace that is not there, or a bridge that is not */
	_cleanup_error_ struct berth_error *err3 = NULL, *err4 = NULL;
	ASSERT_EQ(net_veth_attach(&cfg, &err3), -ENOENT);
	ASSERT_FALSE(net_link_exists(host0));
	ASSERT_OK(net_ns_create(path, &err));
	cfg.bridge = "btnonexistent";
	ASSERT_EQ(net_veth_attach(&cfg, &err4), -ENODEV);
	ASSERT_CONTAINS(err4->msg, "find bridge 'btnonexistent'");
	ASSERT_OK(net_ns_remove(path, &err));
}

TEST(port_reserve)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	int protos[] = { IPPROTO_TCP, IPPROTO_UDP };

	for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
		uint16_t port = 0, same;
		_cleanup_close_ int fd = net_port_reserve(protos[i], lo, &port, &err);
		ASSERT_OK(fd);
		ASSERT_TRUE(port > 0);
		same = port;
		_cleanup_error_ struct berth_error *err2 = NULL;
		ASSERT_EQ(net_port_reserve(protos[i], lo, &same, &err2), -EADDRINUSE);
		ASSERT_STREQ(err2->msg, "address already in use");
		ASSERT_EQ(err2->kind, BERTH_ERR_CONFLICT);
		/* reserved on every address: 127.0.0.1 is taken too */
		_cleanup_error_ struct berth_error *err3 = NULL;
		struct in_addr any = { htonl(INADDR_ANY) };
		ASSERT_EQ(net_port_reserve(protos[i], any, &same, &err3), -EADDRINUSE);
		/* freed: the same port again */
		(void)close(TAKE_FD(fd));
		fd = net_port_reserve(protos[i], lo, &same, &err);
		ASSERT_OK(fd);
		ASSERT_EQ(same, port);
		if (protos[i] == IPPROTO_TCP) {
			/* bound, not listening: a connection is refused */
			_cleanup_close_ int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			struct sockaddr_in sa = { .sin_family = AF_INET,
						  .sin_addr = lo,
						  .sin_port = htons(port) };
			ASSERT_TRUE(connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
				    errno == ECONNREFUSED);
		}
	}
	uint16_t p = 1;
	_cleanup_error_ struct berth_error *err4 = NULL;
	ASSERT_EQ(net_port_reserve(IPPROTO_SCTP, lo, &p, &err4), -EPROTONOSUPPORT);
}

TEST(sysctl)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *v = NULL, *v2 = NULL;

	ASSERT_OK(net_sysctl_get("net/ipv4/ip_forward", &v, &err));
	ASSERT_TRUE(strcmp(v, "0") == 0 || strcmp(v, "1") == 0);
	ASSERT_OK(net_sysctl_set("net/ipv4/ip_forward", v, &err)); /* the same value: no change */
	ASSERT_OK(net_sysctl_get("net.ipv4.ip_forward", &v2, &err));
	ASSERT_STREQ(v2, v);
	_cleanup_error_ struct berth_error *err2 = NULL, *err3 = NULL;
	char *x = NULL;
	ASSERT_EQ(net_sysctl_get("net/../../etc/passwd", &x, &err2), -EINVAL);
	ASSERT_EQ(net_sysctl_get("net/ipv4/no_such_thing", &x, &err3), -ENOENT);
	ASSERT_EQ(err3->kind, BERTH_ERR_NOT_FOUND);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The container start path: namespace, one veth, namespace gone. Timed, not
 * asserted: a loaded machine is slower. */
TEST(timing)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct in_addr gw = ip_of(1);
	enum { N = 50 };
	uint64_t t[3][N], sum[3] = { 0, 0, 0 };

	ASSERT_OK(net_bridge_ensure(bridge, 1500, &(struct net_ipv4){ gw, 24 }, &err));
	for (int i = 0; i < N; i++) {
		_cleanup_free_ char *path = ns_path("nst");
		_cleanup_free_ char *suffix = xasprintf("t%d", i);
		_cleanup_free_ char *host = veth_name(suffix);
		struct net_veth_config cfg = { .bridge = bridge,
					       .host_if = host,
					       .netns = path,
					       .ifname = "eth0",
					       .mtu = 1500,
					       .addr = { ip_of(10 + (unsigned)i), 24 },
					       .gateway = &gw };
		uint64_t t0 = now_usec_monotonic();
		ASSERT_OK(net_ns_create(path, &err));
		uint64_t t1 = now_usec_monotonic();
		ASSERT_OK(net_veth_attach(&cfg, &err));
		uint64_t t2 = now_usec_monotonic();
		ASSERT_OK(net_ns_remove(path, &err));
		uint64_t t3 = now_usec_monotonic();
		t[0][i] = t1 - t0;
		t[1][i] = t2 - t1;
		t[2][i] = t3 - t2;
	}
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < N; i++)
			sum[k] += t[k][i];
		qsort(t[k], N, sizeof(t[k][0]), cmp_u64);
	}
	printf("# %d x net_ns_create + net_veth_attach + net_ns_remove: mean %.0f us "
	       "(create %.0f, attach %.0f, remove %.0f); median create %" PRIu64 ", attach %" PRIu64
	       ", remove %" PRIu64 " us\n",
	       N, (double)(sum[0] + sum[1] + sum[2]) / N, (double)sum[0] / N, (double)sum[1] / N,
	       (double)sum[2] / N, t[0][N / 2], t[1][N / 2], t[2][N / 2]);
	/* The namespaces go away in the background, their veths with them. */
	for (int i = 0; i < N; i++) {
		_cleanup_free_ char *suffix = xasprintf("t%d", i);
		_cleanup_free_ char *host = veth_name(suffix);
		for (int tries = 0; tries < 500 && net_link_exists(host); tries++)
			(void)usleep(10000);
		ASSERT_OK(net_link_delete(host, &err));
	}
}
