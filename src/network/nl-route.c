/* IPv4 routes of the daemon's namespace, so that new subnets keep off the
 * ranges the host already routes (docker's check against the route table). */
#define LOG_CATEGORY "network"
#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "net-internal.h"

struct route_list {
	struct net_ipv4 *v;
	size_t n;
};

static bool route_listed(const struct route_list *rl, const struct net_ipv4 *r)
{
	for (size_t i = 0; i < rl->n; i++)
		if (rl->v[i].addr.s_addr == r->addr.s_addr && rl->v[i].prefix == r->prefix)
			return true;
	return false;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_list *rl = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	struct net_ipv4 r = { .prefix = rtm->rtm_dst_len };
	uint32_t table = rtm->rtm_table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET)
		return MNL_CB_OK;
	/* Default routes cover everything: they say nothing about a range. */
	if (rtm->rtm_dst_len == 0 || rtm->rtm_dst_len > 32)
		return MNL_CB_OK;
	switch (rtm->rtm_type) {
	case RTN_UNICAST:
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
		break;
	default:
		return MNL_CB_OK;
	}
	mnl_attr_for_each(attr, nlh, sizeof(*rtm))
	{
		if (mnl_attr_get_type(attr) == RTA_TABLE &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			table = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == RTA_DST &&
			 mnl_attr_get_payload_len(attr) == sizeof(r.addr))
			memcpy(&r.addr, mnl_attr_get_payload(attr), sizeof(r.addr));
	}
	if (table == RT_TABLE_LOCAL || route_listed(rl, &r))
		return MNL_CB_OK;
	rl->v = xrealloc(rl->v, (rl->n + 1) * sizeof(*rl->v));
	rl->v[rl->n++] = r;
	return MNL_CB_OK;
}

/* One dump on a fresh socket (an interrupted one leaves parts unread). */
static int routes_list_once(struct route_list *rl, struct berth_error **err)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	struct nl_batch b;

	int r = nl_open(NULL, &nl, err);
	if (r < 0)
		return r;
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_GETROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	return nl_dump(nl, &b, route_cb, rl);
}

int net_routes_list(struct net_ipv4 **ret, size_t *ret_n, struct berth_error **err)
{
	int r = -EINTR;

	/* EINTR: the routes changed during the dump; take it again. */
	for (int tries = 0; tries < NL_DUMP_TRIES && r == -EINTR; tries++) {
		struct route_list rl = { .v = NULL, .n = 0 };
		r = routes_list_once(&rl, err);
		_cleanup_free_ struct net_ipv4 *v = rl.v;
		if (r >= 0) {
			*ret = TAKE_PTR(v);
			*ret_n = rl.n;
			return 0;
		}
		if (err && *err) /* not a dump failure: no retry */
			return r;
	}
	return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "list routes");
}
