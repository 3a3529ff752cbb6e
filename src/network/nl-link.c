/* Links of the daemon's namespace over rtnetlink: bridges (made to exist and
 * match), deletion, existence and listing by name prefix. */
#define LOG_CATEGORY "network"
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "net-internal.h"

static int check_name(const char *name, struct berth_error **err)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ || strpbrk(name, "/: \t\n"))
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "invalid link name '%s'",
				       name);
	return 0;
}

/* A random unicast, locally administered address: a bridge given one keeps
 * it, rather than taking the lowest of its ports' as they come and go. */
static void random_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6) {
		uint64_t t = now_usec_monotonic();
		memcpy(mac, &t, 6);
	}
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}

static int bridge_create(struct mnl_socket *nl, const char *name, unsigned mtu,
			 struct berth_error **err)
{
	struct nl_batch b;
	uint8_t mac[6];

	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	random_mac(mac);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return nl_request(nl, &b, err, "create bridge '%s'", name);
}

/* An existing bridge up, with the mtu asked for. */
static int bridge_update(struct mnl_socket *nl, const char *name, int index, unsigned mtu,
			 struct berth_error **err)
{
	struct nl_batch b;

	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_request(nl, &b, err, "set up bridge '%s'", name);
}

int net_bridge_ensure(const char *name, unsigned mtu, const struct net_ipv4 *addr,
		      struct berth_error **err)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	char kind[16] = "";
	bool created = false;
	int r, index = 0;

	r = check_name(name, err);
	if (r < 0)
		return r;
	r = nl_open(NULL, &nl, err);
	if (r < 0)
		return r;
	r = nl_link_get(nl, name, &index, kind, NULL);
	if (r == -ENODEV) {
		_cleanup_error_ struct berth_error *cerr = NULL;
		r = bridge_create(nl, name, mtu, &cerr);
		if (r < 0 && r != -EEXIST) { /* EEXIST: made meanwhile, matched below */
			if (err && !*err)
				*err = TAKE_PTR(cerr);
			return r;
		}
		created = r == 0;
		r = nl_link_get(nl, name, &index, kind, NULL);
	}
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "find bridge '%s'", name);
	if (strcmp(kind, "bridge") != 0)
		return berth_error_set(err, EEXIST, BERTH_ERR_CONFLICT,
				       "create bridge '%s': a link of type '%s' has that name",
				       name, kind[0] ? kind : "device");
	if (!created) {
		r = bridge_update(nl, name, index, mtu, err);
		if (r < 0)
			return r;
	}
	if (!addr)
		return 0;
	struct nl_batch b;
	nl_batch_init(&b);
	nl_put_addr(&b, index, addr);
	return nl_request(nl, &b, err, "add address to bridge '%s'", name);
}

int net_link_delete(const char *name, struct berth_error **err)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	struct nl_batch b;

	int r = check_name(name, err);
	if (r < 0)
		return r;
	r = nl_open(NULL, &nl, err);
	if (r < 0)
		return r;
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	char extack[256];
	r = nl_batch_run(nl, &b, NULL, extack, sizeof(extack));
	if (r == -ENODEV)
		return 0;
	if (r < 0) {
		_cleanup_free_ char *what = xasprintf("delete link '%s'", name);
		return nl_error(err, r, extack, what);
	}
	return 0;
}

bool net_link_exists(const char *name)
{
	return strlen(name) < IFNAMSIZ && if_nametoindex(name) > 0;
}

struct link_list {
	const char *prefix;
	char **names;
};

static int link_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_list *ll = data;
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg))
	{
		if (mnl_attr_get_type(attr) != IFLA_IFNAME ||
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			continue;
		const char *name = mnl_attr_get_str(attr);
		if (str_has_prefix(name, ll->prefix))
			strv_push(&ll->names, name);
	}
	return MNL_CB_OK;
}

/* One dump on a fresh socket (an interrupted one leaves parts unread). */
static int link_list_once(struct link_list *ll, struct berth_error **err)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	struct nl_batch b;

	int r = nl_open(NULL, &nl, err);
	if (r < 0)
		return r;
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nl_dump(nl, &b, link_list_cb, ll);
}

int net_link_list(const char *prefix, char ***ret, struct berth_error **err)
{
	int r = -EINTR;

	/* EINTR: the links changed during the dump; take it again. */
	for (int tries = 0; tries < NL_DUMP_TRIES && r == -EINTR; tries++) {
		struct link_list ll = { .prefix = prefix ? prefix : "", .names = NULL };
		r = link_list_once(&ll, err);
		_cleanup_strv_ char **names = ll.names;
		if (r >= 0) {
			*ret = names ? TAKE_PTR(names) : xzalloc(sizeof(char *));
			return 0;
		}
		if (err && *err) /* not a dump failure: no retry */
			return r;
	}
	return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "list links");
}
