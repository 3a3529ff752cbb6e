/* Network namespaces bound on files, made without forking: the calling thread
 * unshares a new namespace, binds /proc/thread-self/ns/net on the file and
 * returns to the namespace it came from. Only that thread ever moves, and
 * always back before returning; failing to get back aborts, since a thread
 * left in a container's namespace would do the daemon's work in it. */
#define LOG_CATEGORY "network"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net-internal.h"

#define SELF_NETNS "/proc/thread-self/ns/net"

static void setns_back(int self)
{
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
}

/* Make the directory of the namespace files a shared mount (binding it on
 * itself the first time, as `ip netns add` does with /run/netns): copies of
 * the files in mount namespaces made later (containers, services) are then
 * unmounted with ours, and do not keep the network namespaces alive. */
static int ns_dir_share(const char *path, struct berth_error **err)
{
	_cleanup_free_ char *copy = xstrdup(path);
	const char *dir = dirname(copy);

	if (mount(NULL, dir, NULL, MS_SHARED, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "make '%s' a shared mount",
				       dir);
	if (mount(dir, dir, NULL, MS_BIND, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "bind mount '%s' on itself",
				       dir);
	if (mount(NULL, dir, NULL, MS_SHARED, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "make '%s' a shared mount",
				       dir);
	return 0;
}

/* Loopback up, in the calling thread's (new) namespace. */
static int loopback_up(struct berth_error **err)
{
	_cleanup_nl_ struct mnl_socket *nl = NULL;
	struct nl_batch b;

	int r = nl_open(NULL, &nl, err);
	if (r < 0)
		return r;
	nl_batch_init(&b);
	struct nlmsghdr *nlh = nl_batch_add(&b, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "lo");
	return nl_request(nl, &b, err, "set loopback up");
}

/* In the new namespace: loopback up and the namespace bound on path. */
static int ns_setup(const char *path, struct berth_error **err)
{
	int r = loopback_up(err);
	if (r < 0)
		return r;
	if (mount(SELF_NETNS, path, NULL, MS_BIND, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "bind mount on '%s'", path);
	return 0;
}

int net_ns_create(const char *path, struct berth_error **err)
{
	_cleanup_close_ int self = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	int r, fd;

	if (self < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", SELF_NETNS);
	r = ns_dir_share(path, err);
	if (r < 0)
		goto fail;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0) {
		r = berth_error_set(err, errno,
				    errno == EEXIST ? BERTH_ERR_CONFLICT : BERTH_ERR_INTERNAL,
				    "create '%s'", path);
		goto fail;
	}
	(void)close(fd);
	if (unshare(CLONE_NEWNET) < 0) {
		r = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "unshare");
		goto unlink;
	}
	r = ns_setup(path, err);
	setns_back(self);
	if (r >= 0)
		return 0;
unlink:
	(void)unlink(path);
fail:
	return berth_error_wrap(err, "create network namespace '%s'", path);
}

int net_ns_remove(const char *path, struct berth_error **err)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "unmount network namespace '%s'", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "remove network namespace '%s'", path);
	return 0;
}

int net_ns_socket(const char *path, int domain, int type, int protocol, struct berth_error **err)
{
	_cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int self = -EBADF;

	if (target < 0)
		return berth_error_set(err, errno,
				       errno == ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_INTERNAL,
				       "open network namespace '%s'", path);
	self = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", SELF_NETNS);
	if (setns(target, CLONE_NEWNET) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID,
				       "enter network namespace '%s'", path);
	int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	int saved = errno;
	setns_back(self);
	if (fd < 0)
		return berth_error_set(err, saved, BERTH_ERR_INTERNAL,
				       "socket in network namespace '%s'", path);
	return fd;
}
