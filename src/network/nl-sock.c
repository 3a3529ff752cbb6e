/* rtnetlink plumbing for the nl-*.c files: sockets (in any namespace),
 * batches of requests with their acks, dumps and link look-ups. */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "net-internal.h"

/* Large enough for any one link message (bridges carry many attributes) and
 * for the kernel's dump pages. */
#define NL_RECV_SIZE 32768

int nl_open(const char *netns, struct mnl_socket **ret, struct berth_error **err)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	int one = 1;

	if (netns) {
		int fd = net_ns_socket(netns, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, err);
		if (fd < 0)
			return fd;
		nl = mnl_socket_fdopen(fd);
		if (!nl) {
			int r = errno;
			(void)close(fd);
			return berth_error_set(err, r, BERTH_ERR_INTERNAL, "netlink socket");
		}
	} else {
		nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
		if (!nl)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "netlink socket");
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "bind netlink socket");
	/* Extended ack texts, and acks without a copy of the request. */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	*ret = TAKE_PTR(nl);
	return 0;
}

/* The batch's length: each header's length covers the attributes put after it. */
static void batch_seal(struct nl_batch *b)
{
	size_t off = 0;

	for (unsigned i = 0; i < b->n; i++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + off);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	b->len = off;
}

void nl_batch_init(struct nl_batch *b)
{
	b->len = 0;
	b->n = 0;
	b->seq_first = 1;
}

struct nlmsghdr *nl_batch_add(struct nl_batch *b, uint16_t type, uint16_t flags)
{
	batch_seal(b);
	/* Requests are small and fixed in shape; running out is a programming error. */
	if (b->len + 1024 > sizeof(b->buf))
		abort();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = b->seq_first + b->n;
	b->n++;
	return nlh;
}

/* The NLMSGERR_ATTR_MSG text of an error message, or "". */
static void extack_text(const struct nlmsghdr *nlh, char *buf, size_t size)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *attr;

	if (size)
		buf[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !size)
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_for_each(attr, nlh, off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(buf, size, "%s", mnl_attr_get_str(attr));
			return;
		}
	}
}

int nl_batch_run(struct mnl_socket *nl, struct nl_batch *b, unsigned *ret_failed, char *errmsg,
		 size_t size)
{
	_cleanup_free_ char *buf = xmalloc(NL_RECV_SIZE);
	unsigned acked = 0;
	int first = 0;

	if (size)
		errmsg[0] = '\0';
	batch_seal(b);
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0)
		return -errno;
	while (acked < b->n) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, NL_RECV_SIZE);
		if (n < 0)
			return -errno;
		int len = (int)n;
		for (const struct nlmsghdr *nlh = (const void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			unsigned idx = nlh->nlmsg_seq - b->seq_first;
			if (idx >= b->n)
				continue;
			acked++;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (e->error < 0 && first == 0) {
				first = e->error;
				if (ret_failed)
					*ret_failed = idx;
				extack_text(nlh, errmsg, size);
			}
		}
	}
	return first;
}

static enum berth_err_kind errno_kind(int r)
{
	switch (-r) {
	case EEXIST:
	case EBUSY:
		return BERTH_ERR_CONFLICT;
	case ENODEV:
	case ENOENT:
		return BERTH_ERR_NOT_FOUND;
	case EINVAL:
	case ERANGE:
	case EOPNOTSUPP:
		return BERTH_ERR_INVALID;
	default:
		return BERTH_ERR_INTERNAL;
	}
}

int nl_error(struct berth_error **err, int r, const char *extack, const char *what)
{
	if (!extack || !*extack)
		return berth_error_set(err, -r, errno_kind(r), "%s", what);
	if (err && !*err) {
		(void)berth_error_set(err, 0, errno_kind(r), "%s: %s (%s)", what, strerror(-r),
				      extack);
		(*err)->errnum = -r;
	}
	return r;
}

int nl_request(struct mnl_socket *nl, struct nl_batch *b, struct berth_error **err,
	       const char *what_fmt, ...)
{
	char extack[256];
	va_list ap;

	int r = nl_batch_run(nl, b, NULL, extack, sizeof(extack));
	if (r >= 0)
		return 0;
	va_start(ap, what_fmt);
	_cleanup_free_ char *what = NULL;
	if (vasprintf(&what, what_fmt, ap) < 0)
		abort();
	va_end(ap);
	return nl_error(err, r, extack, what);
}

int nl_dump(struct mnl_socket *nl, struct nl_batch *b, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = xmalloc(NL_RECV_SIZE);
	struct nlmsghdr *nlh = (struct nlmsghdr *)b->buf;
	int r;

	batch_seal(b);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0)
		return -errno;
	do {
		ssize_t len = mnl_socket_recvfrom(nl, buf, NL_RECV_SIZE);
		if (len < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)len, nlh->nlmsg_seq, mnl_socket_get_portid(nl), cb,
			       data);
		if (r < 0)
			return errno > 0 ? -errno : -EIO;
	} while (r > MNL_CB_STOP);
	return 0;
}

struct link_info {
	int index;
	unsigned flags;
	char *kind; /* 16 bytes */
};

static int link_kind_cb(const struct nlattr *attr, void *data)
{
	struct link_info *li = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(li->kind, 16, "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == IFLA_LINKINFO &&
	    mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0)
		(void)mnl_attr_parse_nested(attr, link_kind_cb, data);
	return MNL_CB_OK;
}

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info *li = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	li->index = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	(void)mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, data);
	return MNL_CB_STOP;
}

int nl_link_get(struct mnl_socket *nl, const char *name, int *ret_index, char kind[16],
		unsigned *ret_flags)
{
	_cleanup_free_ char *buf = xmalloc(NL_RECV_SIZE);
	char kind_buf[16] = "";
	struct link_info li = { .index = 0, .kind = kind_buf };
	struct nl_batch b;

	if (strlen(name) >= 16)
		return -ENODEV;
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_GETLINK, 0);
	nlh->nlmsg_flags = NLM_F_REQUEST;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	batch_seal(&b);
	if (mnl_socket_sendto(nl, b.buf, b.len) < 0)
		return -errno;
	ssize_t len = mnl_socket_recvfrom(nl, buf, NL_RECV_SIZE);
	if (len < 0)
		return -errno;
	if (mnl_cb_run(buf, (size_t)len, nlh->nlmsg_seq, mnl_socket_get_portid(nl), link_get_cb,
		       &li) < 0)
		return errno > 0 ? -errno : -EIO;
	if (li.index <= 0)
		return -ENODEV;
	if (ret_index)
		*ret_index = li.index;
	if (kind)
		memcpy(kind, kind_buf, sizeof(kind_buf));
	if (ret_flags)
		*ret_flags = li.flags;
	return 0;
}

void nl_put_addr(struct nl_batch *b, int ifindex, const struct net_ipv4 *addr)
{
	struct nlmsghdr *nlh = nl_batch_add(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint32_t mask = addr->prefix ? htonl(~0u << (32 - addr->prefix)) : 0;

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)addr->prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr->addr), &addr->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr->addr), &addr->addr);
	if (addr->prefix < 31) {
		uint32_t brd = addr->addr.s_addr | ~mask;
		mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), &brd);
	}
}
