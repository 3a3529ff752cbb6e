/* Unit tests of IPv4 address management: CIDR parsing and arithmetic, pools
 * and the addresses of one subnet. Pure logic, no root. */
#include <arpa/inet.h>

#include "network.h"
#include "tap.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a = { 0 };
	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a;
}

static struct net_ipv4 cidr(const char *s)
{
	struct net_ipv4 n;
	if (net_cidr_parse(s, true, &n, NULL) < 0)
		abort();
	return n;
}

/* The address alloc() hands out, formatted (static buffer). */
static const char *alloc_str(struct net_ipam *p)
{
	static char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (net_ipam_alloc(p, &a, NULL) < 0)
		return "ENOSPC";
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	return buf;
}

TEST(cidr_parse_and_format)
{
	struct net_ipv4 n;
	_cleanup_error_ struct berth_error *e = NULL;

	ASSERT_OK(net_cidr_parse("10.1.0.0/16", true, &n, NULL));
	ASSERT_EQ(n.prefix, 16);
	_cleanup_free_ char *s = net_cidr_format(&n);
	ASSERT_STREQ(s, "10.1.0.0/16");
	ASSERT_OK(net_cidr_parse("0.0.0.0/0", true, &n, NULL));
	ASSERT_EQ(n.prefix, 0);
	ASSERT_OK(net_cidr_parse("10.1.2.3/32", true, &n, NULL));
	_cleanup_free_ char *h = net_ip_format(n.addr);
	ASSERT_STREQ(h, "10.1.2.3");

	ASSERT_EQ(net_cidr_parse("10.1.0.1/16", true, &n, &e), -EINVAL);
	ASSERT_STREQ(e->msg, "invalid CIDR address: 10.1.0.1/16");
	ASSERT_EQ(e->kind, BERTH_ERR_INVALID);
	/* Not strict: the host bits are cleared. */
	ASSERT_OK(net_cidr_parse("10.1.0.1/16", false, &n, NULL));
	_cleanup_free_ char *m = net_cidr_format(&n);
	ASSERT_STREQ(m, "10.1.0.0/16");

	const char *bad[] = {
		"",	     "10.1.0.0",    "10.1.0.0/",    "10.1.0.0/33", "10.1.0/16",
		"/16",	     "10.1.0.0/-1", "10.1.0.0/+8",  "10.1.0.0/ 8", "10.1.0.0/08",
		"x.1.0.0/8", "10.1.0.0/8x", "10.256.0.0/16"
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (net_cidr_parse(bad[i], false, &n, NULL) != -EINVAL)
			TAP_FAIL("'%s' accepted", bad[i]);
}

TEST(cidr_contains_and_overlaps)
{
	struct net_ipv4 a = cidr("10.1.0.0/16"), b = cidr("10.1.5.0/24"), c = cidr("10.2.0.0/16");
	struct net_ipv4 all = cidr("0.0.0.0/0"), host = cidr("10.1.255.255/32");

	ASSERT_TRUE(net_cidr_contains(&a, ip("10.1.0.0")));
	ASSERT_TRUE(net_cidr_contains(&a, ip("10.1.255.255")));
	ASSERT_FALSE(net_cidr_contains(&a, ip("10.2.0.0")));
	ASSERT_FALSE(net_cidr_contains(&a, ip("10.0.255.255")));
	ASSERT_TRUE(net_cidr_contains(&all, ip("1.2.3.4")));
	ASSERT_TRUE(net_cidr_overlaps(&a, &b));
	ASSERT_TRUE(net_cidr_overlaps(&b, &a));
	ASSERT_FALSE(net_cidr_overlaps(&a, &c));
	ASSERT_FALSE(net_cidr_overlaps(&b, &c));
	ASSERT_TRUE(net_cidr_overlaps(&all, &c));
	ASSERT_TRUE(net_cidr_overlaps(&host, &a));
	ASSERT_FALSE(net_cidr_overlaps(&host, &b));
}

TEST(pool_parse)
{
	struct net_pool p;
	_cleanup_error_ struct berth_error *e = NULL;

	ASSERT_OK(net_pool_parse("base=10.10.0.0/16,size=24", &p, NULL));
	_cleanup_free_ char *s = net_cidr_format(&p.base);
	ASSERT_STREQ(s, "10.10.0.0/16");
	ASSERT_EQ(p.size, 24);
	ASSERT_OK(net_pool_parse("size=20,base=192.168.0.0/16", &p, NULL));
	ASSERT_EQ(p.size, 20);
	ASSERT_EQ(net_pool_parse("base=10.10.0.0/16", &p, NULL), -EINVAL);
	ASSERT_EQ(net_pool_parse("base=10.10.0.0/16,size=8", &p, NULL), -EINVAL);
	ASSERT_EQ(net_pool_parse("base=10.10.0.0/16,size=33", &p, NULL), -EINVAL);
	ASSERT_EQ(net_pool_parse("base=10.10.0.0/16,size=x", &p, NULL), -EINVAL);
	ASSERT_EQ(net_pool_parse("base=nope,size=24", &p, NULL), -EINVAL);
	ASSERT_EQ(net_pool_parse("base=10.10.0.0/16,size=24,color=red", &p, &e), -EINVAL);
	ASSERT_CONTAINS(e->msg, "unexpected key 'color'");
}

TEST(pool_next_defaults)
{
	struct net_ipv4 n, taken[20];
	char buf[32];

	ASSERT_OK(net_pool_next(NULL, 0, NULL, 0, &n, NULL));
	_cleanup_free_ char *first = net_cidr_format(&n);
	ASSERT_STREQ(first, "172.17.0.0/16");

	/* A host route inside 172.17 and the existing 172.18 network. */
	taken[0] = cidr("172.17.3.0/24");
	taken[1] = cidr("172.18.0.0/16");
	ASSERT_OK(net_pool_next(NULL, 0, taken, 2, &n, NULL));
	_cleanup_free_ char *third = net_cidr_format(&n);
	ASSERT_STREQ(third, "172.19.0.0/16");

	/* A wide route covering all of 172.16.0.0/12: on to 192.168.0.0/20. */
	taken[0] = cidr("172.16.0.0/12");
	ASSERT_OK(net_pool_next(NULL, 0, taken, 1, &n, NULL));
	_cleanup_free_ char *c = net_cidr_format(&n);
	ASSERT_STREQ(c, "192.168.0.0/20");
	taken[1] = cidr("192.168.0.0/24");
	taken[2] = cidr("192.168.17.0/24");
	ASSERT_OK(net_pool_next(NULL, 0, taken, 3, &n, NULL));
	_cleanup_free_ char *d = net_cidr_format(&n);
	ASSERT_STREQ(d, "192.168.32.0/20");

	/* Everything taken. */
	for (unsigned i = 0; i < 16; i++) {
		snprintf(buf, sizeof(buf), "192.168.%u.0/20", i * 16);
		taken[1 + i] = cidr(buf);
	}
	_cleanup_error_ struct berth_error *e = NULL;
	ASSERT_EQ(net_pool_next(NULL, 0, taken, 17, &n, &e), -ENOSPC);
	ASSERT_STREQ(e->msg, "all predefined address pools have been fully subnetted");
}

TEST(pool_next_custom)
{
	struct net_pool pools[2];
	struct net_ipv4 n, taken[3];

	ASSERT_OK(net_pool_parse("base=10.10.0.0/16,size=24", &pools[0], NULL));
	ASSERT_OK(net_pool_parse("base=10.20.0.0/24,size=26", &pools[1], NULL));
	taken[0] = cidr("10.10.0.0/23");
	taken[1] = cidr("10.10.2.128/25");
	ASSERT_OK(net_pool_next(pools, 2, taken, 2, &n, NULL));
	_cleanup_free_ char *a = net_cidr_format(&n);
	ASSERT_STREQ(a, "10.10.3.0/24");
	/* A route larger than the whole first pool: the second one. */
	taken[0] = cidr("10.10.0.0/15");
	taken[1] = cidr("10.20.0.0/26");
	ASSERT_OK(net_pool_next(pools, 2, taken, 2, &n, NULL));
	_cleanup_free_ char *b = net_cidr_format(&n);
	ASSERT_STREQ(b, "10.20.0.64/26");
	taken[0] = cidr("10.10.0.0/16");
	taken[1] = cidr("10.20.0.0/24");
	ASSERT_EQ(net_pool_next(pools, 2, taken, 2, &n, NULL), -ENOSPC);
}

TEST(ipam_sequential_and_wrap)
{
	struct net_ipv4 sub = cidr("10.1.0.0/29"), none = { { 0 }, 0 };
	struct net_ipam *p = net_ipam_new(&sub, &none, ip("10.1.0.1"));

	/* .0 network, .1 gateway, .7 broadcast: .2 .. .6 */
	ASSERT_STREQ(alloc_str(p), "10.1.0.2");
	ASSERT_STREQ(alloc_str(p), "10.1.0.3");
	ASSERT_TRUE(net_ipam_in_use(p, ip("10.1.0.3")));
	ASSERT_TRUE(net_ipam_in_use(p, ip("10.1.0.1")));
	ASSERT_TRUE(net_ipam_in_use(p, ip("10.1.0.0")));
	ASSERT_TRUE(net_ipam_in_use(p, ip("10.1.0.7")));
	ASSERT_FALSE(net_ipam_in_use(p, ip("10.1.0.4")));
	/* A released address is not handed out again before the wrap. */
	net_ipam_release(p, ip("10.1.0.2"));
	ASSERT_STREQ(alloc_str(p), "10.1.0.4");
	ASSERT_STREQ(alloc_str(p), "10.1.0.5");
	ASSERT_STREQ(alloc_str(p), "10.1.0.6");
	ASSERT_STREQ(alloc_str(p), "10.1.0.2");
	ASSERT_STREQ(alloc_str(p), "ENOSPC");
	/* The gateway and the special addresses are not released. */
	net_ipam_release(p, ip("10.1.0.1"));
	net_ipam_release(p, ip("10.1.0.7"));
	ASSERT_STREQ(alloc_str(p), "ENOSPC");
	net_ipam_release(p, ip("10.1.0.5"));
	ASSERT_STREQ(alloc_str(p), "10.1.0.5");
	p = net_ipam_free(p);
	ASSERT_TRUE(p == NULL);
}

TEST(ipam_exhaust_slash30)
{
	struct net_ipv4 sub = cidr("192.168.5.4/30");
	_cleanup_error_ struct berth_error *e = NULL;
	struct net_ipam *p = net_ipam_new(&sub, NULL, ip("192.168.5.5"));
	struct in_addr a;

	ASSERT_STREQ(alloc_str(p), "192.168.5.6");
	ASSERT_EQ(net_ipam_alloc(p, &a, &e), -ENOSPC);
	ASSERT_STREQ(e->msg, "no available IPv4 addresses");
	ASSERT_EQ(e->kind, BERTH_ERR_UNAVAILABLE);
	net_ipam_free(p);
}

TEST(ipam_reserve)
{
	struct net_ipv4 sub = cidr("10.5.0.0/16");
	struct net_ipam *p = net_ipam_new(&sub, NULL, ip("10.5.0.1"));
	_cleanup_error_ struct berth_error *e1 = NULL, *e2 = NULL, *e3 = NULL;

	ASSERT_OK(net_ipam_reserve(p, ip("10.5.0.2"), NULL));
	ASSERT_EQ(net_ipam_reserve(p, ip("10.5.0.2"), &e1), -EEXIST);
	ASSERT_STREQ(e1->msg, "Address already in use");
	ASSERT_EQ(e1->errnum, EEXIST);
	ASSERT_EQ(net_ipam_reserve(p, ip("10.5.0.1"), &e2), -EEXIST);
	ASSERT_EQ(net_ipam_reserve(p, ip("10.5.0.0"), NULL), -EEXIST);
	ASSERT_EQ(net_ipam_reserve(p, ip("10.5.255.255"), NULL), -EEXIST);
	ASSERT_EQ(net_ipam_reserve(p, ip("10.6.0.2"), &e3), -EINVAL);
	ASSERT_STREQ(e3->msg, "no matching subnet for address 10.6.0.2");
	/* Allocation skips the reserved address. */
	ASSERT_STREQ(alloc_str(p), "10.5.0.3");
	ASSERT_OK(net_ipam_reserve(p, ip("10.5.0.4"), NULL));
	ASSERT_STREQ(alloc_str(p), "10.5.0.5");
	net_ipam_free(p);
}

TEST(ipam_range)
{
	struct net_ipv4 sub = cidr("10.7.0.0/16"), range = cidr("10.7.3.0/30");
	struct net_ipam *p = net_ipam_new(&sub, &range, ip("10.7.0.1"));

	/* The whole /30 range is usable: only the subnet's ends are special. */
	ASSERT_STREQ(alloc_str(p), "10.7.3.0");
	ASSERT_STREQ(alloc_str(p), "10.7.3.1");
	/* Reserving outside the range but inside the subnet is allowed (--ip). */
	ASSERT_OK(net_ipam_reserve(p, ip("10.7.9.9"), NULL));
	ASSERT_OK(net_ipam_reserve(p, ip("10.7.3.2"), NULL));
	ASSERT_STREQ(alloc_str(p), "10.7.3.3");
	ASSERT_STREQ(alloc_str(p), "ENOSPC");
	net_ipam_release(p, ip("10.7.3.1"));
	ASSERT_STREQ(alloc_str(p), "10.7.3.1");
	net_ipam_free(p);

	/* A range at the subnet's start keeps the network address and gateway out. */
	range = cidr("10.7.0.0/30");
	p = net_ipam_new(&sub, &range, ip("10.7.0.1"));
	ASSERT_STREQ(alloc_str(p), "10.7.0.2");
	ASSERT_STREQ(alloc_str(p), "10.7.0.3");
	ASSERT_STREQ(alloc_str(p), "ENOSPC");
	net_ipam_free(p);
}

TEST(ipam_large_subnet)
{
	struct net_ipv4 sub = cidr("10.0.0.0/8");
	struct net_ipam *p = net_ipam_new(&sub, NULL, ip("10.0.0.1"));

	ASSERT_STREQ(alloc_str(p), "10.0.0.2");
	/* Fill a whole /16 worth by reserving, then allocation crosses it. */
	for (uint32_t i = 3; i < 65536 + 10; i++) {
		struct in_addr a = { htonl(0x0a000000u + i) };
		ASSERT_OK(net_ipam_reserve(p, a, NULL));
	}
	ASSERT_STREQ(alloc_str(p), "10.1.0.10");
	ASSERT_OK(net_ipam_reserve(p, ip("10.255.255.254"), NULL));
	ASSERT_FALSE(net_ipam_in_use(p, ip("10.128.0.0")));
	ASSERT_TRUE(net_ipam_in_use(p, ip("10.255.255.255")));
	net_ipam_free(p);

	/* /31 and /32: no network or broadcast address (RFC 3021). */
	sub = cidr("10.9.9.8/31");
	p = net_ipam_new(&sub, NULL, ip("10.9.9.8"));
	ASSERT_STREQ(alloc_str(p), "10.9.9.9");
	ASSERT_STREQ(alloc_str(p), "ENOSPC");
	net_ipam_free(p);
}
