/* The container's view of cgroups at /sys/fs/cgroup, as runc gives it.
 *
 * Every mount is made with the new mount API (fsopen/fsmount, open_tree) and
 * attached with move_mount to a descriptor inside the new root, so no path
 * string into the root file system is ever resolved. On a v2 host it is one
 * cgroup2 mount; on v1 and hybrid hosts a tmpfs holding one mount per
 * hierarchy, plus symlinks for co-mounted controllers ("cpu" -> "cpu,cpuacct").
 * With a cgroup namespace the kernel roots fresh mounts at the container's
 * cgroup; without one, the container's own directories are bind-mounted.
 */
#define LOG_CATEGORY "cgroup"
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-backend-internal.h"

#define DEST "/sys/fs/cgroup"

static uint64_t mount_attrs(unsigned long flags)
{
	uint64_t a = 0;

	a |= flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0;
	a |= flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0;
	a |= flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0;
	a |= flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0;
	a |= flags & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0;
	if (flags & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else if (flags & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	return a;
}

static int set_attrs(int mfd, uint64_t attrs)
{
	struct mount_attr ma = { .attr_set = attrs };

	if (attrs & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME))
		ma.attr_clr = MOUNT_ATTR__ATIME;
	if (attrs && mount_setattr(mfd, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
		return -errno;
	return 0;
}

/* A new, detached mount of fstype with comma-separated options ("name=x" or flags). */
static int fresh_mount(const char *fstype, const char *options, uint64_t attrs)
{
	_cleanup_close_ int fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
	_cleanup_free_ char *copy = xstrdup(options ? options : "");

	if (fsfd < 0)
		return -errno;
	for (char *save = NULL, *o = strtok_r(copy, ",", &save); o;
	     o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		int r;
		if (eq) {
			*eq = '\0';
			r = fsconfig(fsfd, FSCONFIG_SET_STRING, o, eq + 1, 0);
		} else {
			r = fsconfig(fsfd, FSCONFIG_SET_FLAG, o, NULL, 0);
		}
		if (r < 0)
			return -errno;
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned)attrs);
	return mfd < 0 ? -errno : mfd;
}

/* A detached copy of a host directory's mount, non-recursive. */
static int bind_clone(const char *src, uint64_t attrs)
{
	_cleanup_close_ int mfd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	int r;

	if (mfd < 0)
		return -errno;
	if ((r = set_attrs(mfd, attrs)) < 0)
		return r;
	return TAKE_FD(mfd);
}

static int attach(int mfd, int target_fd)
{
	if (move_mount(mfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
	    0)
		return -errno;
	return 0;
}

/* Whether v1 super options name a controller; without one the kernel wants "none". */
static bool names_a_controller(const char *options)
{
	static const char *const flags[] = { "xattr",	       "noprefix",
					     "clone_children", "cpuset_v2_mode",
					     "favordynmods",   "nofavordynmods",
					     "none",	       NULL };
	_cleanup_free_ char *copy = xstrdup(options);

	for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strchr(t, '=') && !strv_contains((char *const *)flags, t))
			return true;
	return false;
}

/* One hierarchy: fresh under a cgroup namespace, else the container's own dir. */
static int mount_hier(const struct rt_cgroup *cg, int h, int target_fd, uint64_t attrs,
		      bool cgroupns, struct berth_error **err)
{
	const struct cg_hier *hier = &cg->layout->hiers[h];
	_cleanup_free_ char *src = cg_dir_path(cg, h);
	_cleanup_free_ char *opts = NULL;
	_cleanup_close_ int mfd = -EBADF;

	if (cgroupns) {
		if (!hier->unified)
			opts = names_a_controller(hier->options)
				       ? xstrdup(hier->options)
				       : xasprintf("none,%s", hier->options);
		mfd = fresh_mount(hier->unified ? "cgroup2" : "cgroup", opts, attrs);
		/* Not allowed here (a user namespace may forbid it): bind instead. */
		if (mfd == -EPERM || mfd == -EACCES)
			mfd = -EBADF;
		else if (mfd < 0)
			return berth_error_set(err, -mfd, BERTH_ERR_INTERNAL,
					       "mount %s '%s' on '" DEST "' in the container",
					       hier->unified ? "cgroup2" : "cgroup",
					       opts ? opts : "");
	}
	if (mfd < 0 && (mfd = bind_clone(src, attrs)) < 0)
		return berth_error_set(err, -mfd, BERTH_ERR_INTERNAL,
				       "bind '%s' on '" DEST "' in the container", src);
	int r = attach(mfd, target_fd);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL,
				       "attach the cgroup mount of '%s' in the container", src);
	return 0;
}

/* "cpu" and "cpuacct" -> "cpu,cpuacct", as on the host. */
static int link_comounts(const struct cg_hier *hier, int tmpfs_fd, struct berth_error **err)
{
	for (int c = 0; c < CG_CTRL_MAX; c++) {
		const char *name = cg_ctrl_name((enum cg_ctrl)c);
		if (!(hier->ctrls & (1u << c)) || strcmp(name, hier->dir_name) == 0)
			continue;
		if (symlinkat(hier->dir_name, tmpfs_fd, name) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "link '" DEST "/%s' in the container", name);
	}
	return 0;
}

static int mount_v1_tree(const struct rt_cgroup *cg, int dest_fd, unsigned long flags,
			 bool cgroupns, struct berth_error **err)
{
	uint64_t attrs = mount_attrs(flags);
	uint64_t tmpfs_attrs = (attrs & ~(uint64_t)MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID |
			       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	_cleanup_close_ int tmpfs_fd = fresh_mount("tmpfs", "mode=755", tmpfs_attrs);
	int r;

	if (tmpfs_fd < 0)
		return berth_error_set(err, -tmpfs_fd, BERTH_ERR_INTERNAL,
				       "mount a tmpfs on '" DEST "' in the container");
	if ((r = attach(tmpfs_fd, dest_fd)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL,
				       "attach the tmpfs on '" DEST "' in the container");
	for (size_t i = 0; i < cg->layout->n_hiers; i++) {
		const struct cg_hier *hier = &cg->layout->hiers[i];
		if (mkdirat(tmpfs_fd, hier->dir_name, 0755) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "create '" DEST "/%s' in the container",
					       hier->dir_name);
		_cleanup_close_ int sub = openat(tmpfs_fd, hier->dir_name,
						 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "open '" DEST "/%s' in the container",
					       hier->dir_name);
		if ((r = mount_hier(cg, (int)i, sub, attrs, cgroupns, err)) < 0 ||
		    (r = link_comounts(hier, tmpfs_fd, err)) < 0)
			return r;
	}
	/* The tmpfs last, once everything in it exists. */
	if ((attrs & MOUNT_ATTR_RDONLY) && (r = set_attrs(tmpfs_fd, MOUNT_ATTR_RDONLY)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL,
				       "make '" DEST "' read-only in the container");
	return 0;
}

int cgroup_mount_in_container(const struct rt_cgroup *cg, int dest_fd, unsigned long flags,
			      bool cgroupns, struct berth_error **err)
{
	if (cg->layout->mode == CGROUP_MODE_V2)
		return mount_hier(cg, cg->layout->unified, dest_fd, mount_attrs(flags), cgroupns,
				  err);
	return mount_v1_tree(cg, dest_fd, flags, cgroupns, err);
}
