/* veth pairs between a bridge and a container's namespace. The container end
 * is created straight inside the namespace, already named, with its mtu and
 * mac; the host end enslaved to the bridge and up, then hairpin on. Inside
 * the namespace one batch of requests sets it up and adds the address and the
 * default route. MAC addresses: docker's 02:42:<IPv4 bytes>. */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net-internal.h"

void net_mac_from_ip(struct in_addr ip, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, &ip.s_addr, 4);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int net_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t out[6];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;
		int hi = hex_digit(p[0]), lo = hex_digit(p[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		/* one separator throughout, ':' or '-' */
		if (i < 5 && (p[2] != s[2] || (p[2] != ':' && p[2] != '-')))
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, out, 6);
	return 0;
}

void net_mac_format(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

static bool name_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	return len > 0 && len < IFNAMSIZ && !strpbrk(name, "/: \t\n");
}

/* One queue each way, which is what a veth uses unless told otherwise; said
 * at creation, it spares the kernel resizing the queues of a live device
 * (an RCU grace period each end). */
static void put_one_queue(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 1);
	mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 1);
}

/* The pair: host end enslaved and up, container end inside nsfd. */
static void put_veth_create(struct nl_batch *b, const struct net_veth_config *cfg, int bridge,
			    int nsfd, const uint8_t mac[6])
{
	struct nlmsghdr *nlh = nl_batch_add(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, cfg->host_if);
	if (cfg->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, cfg->mtu);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)bridge);
	put_one_queue(nlh);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow its own ifinfomsg. */
	struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	memset(pifi, 0, sizeof(*pifi));
	/* Not up yet: the kernel configures the peer before the pair is complete. */
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, cfg->ifname);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	if (cfg->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, cfg->mtu);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	put_one_queue(nlh);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
}

/* ip link set <host_if> type bridge_slave hairpin on: asked for only once the
 * pair is made, so a link that already had the name is left alone. */
static void put_hairpin(struct nl_batch *b, const char *host_if)
{
	struct nlmsghdr *nlh = nl_batch_add(b, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info, *data;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_if);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
}

static void put_default_route(struct nl_batch *b, int ifindex, struct in_addr gw)
{
	struct nlmsghdr *nlh = nl_batch_add(b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gw), &gw);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
}

/* Inside the namespace: the container end's address and default route. */
static int veth_configure_inside(const struct net_veth_config *cfg, struct berth_error **err)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	char extack[256], ip[INET_ADDRSTRLEN];
	struct nl_batch b;
	unsigned failed = 0;
	int index = 0;

	int r = nl_open(cfg->netns, &nl, err);
	if (r < 0)
		return r;
	r = nl_link_get(nl, cfg->ifname, &index, NULL, NULL);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "find '%s' in '%s'",
				       cfg->ifname, cfg->netns);
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	nl_put_addr(&b, index, &cfg->addr);
	if (cfg->gateway)
		put_default_route(&b, index, *cfg->gateway);
	r = nl_batch_run(nl, &b, &failed, extack, sizeof(extack));
	if (r >= 0)
		return 0;
	_cleanup_free_ char *what = NULL;
	if (failed == 0)
		what = xasprintf("set '%s' up", cfg->ifname);
	else if (failed == 1)
		what = xasprintf("add address %s/%u to '%s'",
				 inet_ntop(AF_INET, &cfg->addr.addr, ip, sizeof(ip)),
				 cfg->addr.prefix, cfg->ifname);
	else
		what = xasprintf("add default route via %s",
				 inet_ntop(AF_INET, cfg->gateway, ip, sizeof(ip)));
	return nl_error(err, r, extack, what);
}

static void host_end_delete(struct mnl_socket *nl, const char *host_if)
{
	struct nl_batch b;

	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_if);
	(void)nl_batch_run(nl, &b, NULL, NULL, 0);
}

int net_veth_attach(const struct net_veth_config *cfg, struct berth_error **err)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	_cleanup_close_ int nsfd = -EBADF;
	struct nl_batch b;
	uint8_t mac[6];
	int r, bridge = 0;

	if (!name_ok(cfg->host_if) || !name_ok(cfg->ifname) || !name_ok(cfg->bridge))
		return berth_error_set(
			err, EINVAL, BERTH_ERR_INVALID, "attach '%s' to '%s': invalid link name",
			cfg->host_if ? cfg->host_if : "", cfg->bridge ? cfg->bridge : "");
	nsfd = open(cfg->netns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berth_error_set(err, errno,
				       errno == ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_INTERNAL,
				       "open network namespace '%s'", cfg->netns);
	r = nl_open(NULL, &nl, err);
	if (r < 0)
		return r;
	r = nl_link_get(nl, cfg->bridge, &bridge, NULL, NULL);
	if (r < 0)
		return berth_error_set(err, -r,
				       r == -ENODEV ? BERTH_ERR_NOT_FOUND : BERTH_ERR_INTERNAL,
				       "find bridge '%s'", cfg->bridge);
	if (cfg->mac)
		memcpy(mac, cfg->mac, 6);
	else
		net_mac_from_ip(cfg->addr.addr, mac);
	nl_batch_init(&b);
	put_veth_create(&b, cfg, bridge, nsfd, mac);
	r = nl_request(nl, &b, err, "create veth '%s'", cfg->host_if);
	if (r < 0)
		return r;
	nl_batch_init(&b);
	put_hairpin(&b, cfg->host_if);
	r = nl_request(nl, &b, err, "set hairpin mode on '%s'", cfg->host_if);
	if (r < 0) {
		host_end_delete(nl, cfg->host_if);
		return r;
	}
	r = veth_configure_inside(cfg, err);
	if (r < 0) {
		host_end_delete(nl, cfg->host_if);
		return r;
	}
	return 0;
}

int net_veth_detach(const char *netns, const char *ifname, struct berth_error **err)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	_cleanup_error_ struct berth_error *oerr = NULL;
	char extack[256];
	struct nl_batch b;

	if (!name_ok(ifname))
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "invalid link name '%s'",
				       ifname ? ifname : "");
	int r = nl_open(netns, &nl, &oerr);
	if (r == -ENOENT) /* the namespace is gone, and its links with it */
		return 0;
	if (r < 0) {
		if (err && !*err)
			*err = TAKE_PTR(oerr);
		return r;
	}
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	r = nl_batch_run(nl, &b, NULL, extack, sizeof(extack));
	if (r == -ENODEV)
		return 0;
	if (r < 0) {
		_cleanup_free_ char *what = xasprintf("delete '%s' in '%s'", ifname, netns);
		return nl_error(err, r, extack, what);
	}
	return 0;
}
