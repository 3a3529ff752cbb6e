/* The container's root file system: propagation, the mounts of config.json
 * (every target resolved inside the new root, then mounted through its
 * descriptor so a symlink cannot redirect it), pivot_root and the final
 * read-only touches. Runs in the container init's mount namespace. */
#define LOG_CATEGORY "rootfs"
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "runtime-internal.h"

#define MS_ATTR_FLAGS                                                                              \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC | MS_NOATIME | \
	 MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME)

unsigned long rootfs_locked_flags(int fd)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	return f;
}

/* /proc is the kernel's interface to the host: only these files may be covered
 * (lxcfs and similar), as runc allows. */
static bool proc_dest_allowed(const char *dest)
{
	static const char *const ok[] = { "/proc/cpuinfo",
					  "/proc/diskstats",
					  "/proc/meminfo",
					  "/proc/stat",
					  "/proc/swaps",
					  "/proc/uptime",
					  "/proc/loadavg",
					  "/proc/slabinfo",
					  "/proc/sys/kernel/ns_last_pid",
					  NULL };
	if (!str_has_prefix(dest, "/proc/"))
		return true;
	return strv_contains((char *const *)ok, dest);
}

/* Make sure dest exists inside the root as a directory or a file and return an
 * O_PATH descriptor of it. */
static int make_target(int rootfd, const char *dest, bool is_dir, struct berth_error **err)
{
	_cleanup_free_ char *copy = xstrdup(dest);
	_cleanup_free_ char *base = xstrdup(basename(copy));
	_cleanup_free_ char *copy2 = xstrdup(dest);
	const char *dir = dirname(copy2);
	int fd;

	fd = openat_in_root(rootfd, dest, O_PATH, 0);
	if (fd >= 0)
		return fd;
	if (fd != -ENOENT)
		return berth_error_set(err, -fd, BERTH_ERR_INVALID, "resolve '%s' in the root",
				       dest);
	_cleanup_close_ int dirfd = mkdirat_p_in_root(rootfd, dir, 0755);
	if (dirfd < 0)
		return berth_error_set(err, -dirfd, BERTH_ERR_INVALID, "create '%s' in the root",
				       dir);
	_cleanup_close_ int real_dir = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (real_dir < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "open '%s'", dir);
	if (is_dir) {
		if (mkdirat(real_dir, base, 0755) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, BERTH_ERR_INVALID, "create '%s'", dest);
	} else {
		int f = openat(real_dir, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0 && errno != EEXIST)
			return berth_error_set(err, errno, BERTH_ERR_INVALID, "create '%s'", dest);
		if (f >= 0)
			(void)close(f);
	}
	fd = openat_in_root(rootfd, dest, O_PATH, 0);
	if (fd < 0)
		return berth_error_set(err, -fd, BERTH_ERR_INVALID, "resolve '%s' in the root",
				       dest);
	return fd;
}

static int remount_flags(const char *target, int fd, const struct rt_mount *m, bool bind,
			 struct berth_error **err)
{
	unsigned long want = m->flags & MS_ATTR_FLAGS;
	unsigned long locked = rootfs_locked_flags(fd) & ~MS_RDONLY & ~m->clear_flags;

	if (!(want & ~locked) && !m->clear_flags && !(want & MS_RDONLY))
		return 0;
	if (mount(NULL, target, NULL, MS_REMOUNT | (bind ? MS_BIND : 0) | want | locked, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID,
				       "remount '%s' with its options", m->destination);
	return 0;
}

static int bind_source_path(const struct rt_spec *spec, const struct rt_mount *m, char **ret)
{
	if (m->source[0] == '/')
		*ret = xstrdup(m->source);
	else
		*ret = xasprintf("%s/%s", spec->bundle, m->source);
	return 0;
}

static int mount_bind(const struct rt_spec *spec, int rootfd, const struct rt_mount *m,
		      struct berth_error **err)
{
	_cleanup_free_ char *src = NULL;
	struct stat st;
	char target[32];

	(void)bind_source_path(spec, m, &src);
	if (stat(src, &st) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "bind source '%s'", src);
	_cleanup_close_ int fd = make_target(rootfd, m->destination, S_ISDIR(st.st_mode), err);
	if (fd < 0)
		return fd;
	fd_proc_path(fd, target);
	if (mount(src, target, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "bind '%s' on '%s'", src,
				       m->destination);
	/* The descriptor still names the covered directory: reopen the new mount. */
	_cleanup_close_ int mfd = openat_in_root(rootfd, m->destination, O_PATH, 0);
	if (mfd < 0)
		return berth_error_set(err, -mfd, BERTH_ERR_INVALID, "reopen '%s'", m->destination);
	fd_proc_path(mfd, target);
	int r = remount_flags(target, mfd, m, true, err);
	if (r < 0)
		return r;
	if (m->ro_recursive) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		if (syscall(SYS_mount_setattr, mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
			    sizeof(attr)) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "make '%s' read-only recursively", m->destination);
	}
	if (m->propagation && mount(NULL, target, NULL, m->propagation, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "set propagation of '%s'",
				       m->destination);
	return 0;
}

static int mount_fs(const struct rt_spec *spec, int rootfd, const struct rt_mount *m,
		    const char *cgroup_path, struct berth_error **err)
{
	char target[32];
	int r;

	_cleanup_close_ int fd = make_target(rootfd, m->destination, true, err);
	if (fd < 0)
		return fd;
	fd_proc_path(fd, target);
	if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0) {
		_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
		bool cgroupns = spec_has_namespace(spec, CLONE_NEWCGROUP, NULL);
		if ((r = cgroup_from_path(cgroup_path, &cg, err)) < 0)
			return r;
		return cgroup_mount_in_container(cg, fd, m->flags & MS_ATTR_FLAGS, cgroupns, err);
	}
	_cleanup_close_ int olddir = -EBADF;
	if (m->tmpcopyup)
		olddir = openat_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0);
	const char *src = m->source && *m->source ? m->source : m->type;
	unsigned long flags = m->flags & ~MS_REMOUNT;
	if (mount(src, target, m->type, flags, m->data) < 0) {
		int e = errno;
		/* Without its own network (or ipc) namespace in a user namespace the kernel
		 * refuses sysfs (mqueue): show the host's, read-only, as runc does. */
		const char *fallback = strcmp(m->type, "sysfs") == 0	? "/sys"
				       : strcmp(m->type, "mqueue") == 0 ? "/dev/mqueue"
									: NULL;
		if (e != EPERM || !fallback ||
		    mount(fallback, target, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, target, NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | (flags & ~MS_RDONLY), NULL) < 0)
			return berth_error_set(err, e, BERTH_ERR_INVALID, "mount %s on '%s'",
					       m->type, m->destination);
	}
	if (olddir >= 0) {
		_cleanup_close_ int newdir =
			openat_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0);
		if (newdir < 0)
			return berth_error_set(err, -newdir, BERTH_ERR_INVALID, "reopen '%s'",
					       m->destination);
		if ((r = rootfs_copy_tree(olddir, newdir, err)) < 0)
			return berth_error_wrap(err, "tmpcopyup '%s'", m->destination);
	}
	if (m->propagation) {
		/* fd names the covered directory; the new mount is what the path shows now. */
		_cleanup_close_ int mfd = openat_in_root(rootfd, m->destination, O_PATH, 0);
		if (mfd < 0)
			return berth_error_set(err, -mfd, BERTH_ERR_INVALID, "reopen '%s'",
					       m->destination);
		fd_proc_path(mfd, target);
		if (mount(NULL, target, NULL, m->propagation, NULL) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "set propagation of '%s'", m->destination);
	}
	return 0;
}

/* Make the mount under which path lives private: mount(2) refuses to change
 * the propagation of a directory that is not a mount point (EINVAL), so walk
 * up from path until it accepts, as crun does. Reading /proc/self/mountinfo
 * instead cost time in proportion to the host's mounts, one overlay per running
 * container. */
static int make_mount_private(const char *path, struct berth_error **err)
{
	_cleanup_free_ char *dir = xstrdup(path);

	for (;;) {
		const char *p = dir[0] ? dir : "/";
		if (mount(NULL, p, NULL, MS_PRIVATE, NULL) == 0)
			return 0;
		if (errno != EINVAL || !dir[0])
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "make '%s' private",
					       p);
		char *slash = strrchr(dir, '/');
		*(slash ? slash : dir) = '\0';
	}
}

int rootfs_prepare(const struct rt_spec *spec, const char *cgroup_path, struct berth_error **err)
{
	unsigned long prop =
		spec->rootfs_propagation ? spec->rootfs_propagation : MS_SLAVE | MS_REC;
	int r;

	if (!spec_has_namespace(spec, CLONE_NEWNS, NULL))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "linux.namespaces: a mount namespace is required");
	if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "set / propagation");
	/* pivot_root refuses a new root whose parent mount is shared. */
	if ((r = make_mount_private(spec->root_path, err)) < 0)
		return r;
	if (mount(spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "root.path: bind '%s'",
				       spec->root_path);
	_cleanup_close_ int rootfd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "root.path: open '%s'",
				       spec->root_path);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct rt_mount *m = &spec->mounts[i];
		if (!proc_dest_allowed(m->destination))
			return berth_error_set(err, EPERM, BERTH_ERR_INVALID,
					       "mounts[%zu].destination: mounting over '%s' is not "
					       "allowed",
					       i, m->destination);
		r = m->kind == RT_MOUNT_BIND ? mount_bind(spec, rootfd, m, err)
					     : mount_fs(spec, rootfd, m, cgroup_path, err);
		if (r < 0)
			return berth_error_wrap(err, "mounts[%zu]", i);
	}
	return rootfs_setup_devices(spec, rootfd, err);
}

int rootfs_pivot(const struct rt_spec *spec, bool no_pivot, struct berth_error **err)
{
	if (chdir(spec->root_path) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "root.path: enter '%s'",
				       spec->root_path);
	if (no_pivot) {
		if (mount(spec->root_path, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "move the root");
		return chdir("/") < 0 ? berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chdir /")
				      : 0;
	}
	/* pivot_root(".", "."): the old root ends up on top of the new one, where it
	 * can be detached without a directory to hold it. Afterwards "." is made to
	 * name the old root for certain, so that making it a slave cannot touch the
	 * container's own mounts (an rshared mount must stay shared). */
	_cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open the old root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pivot_root");
	if (fchdir(oldroot) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "enter the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "detach the old root");
	if (chdir("/") < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chdir /");
	return 0;
}

int rootfs_finish(const struct rt_spec *spec, struct berth_error **err)
{
	int r;

	if ((r = rootfs_readonly_paths(spec, err)) < 0 || (r = rootfs_mask_paths(spec, err)) < 0)
		return r;
	if (spec->root_readonly) {
		_cleanup_close_ int fd = open("/", O_PATH | O_CLOEXEC);
		unsigned long locked = fd >= 0 ? rootfs_locked_flags(fd) : 0;
		if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked, NULL) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "root.readonly: remount / read-only");
	}
	if (spec->rootfs_propagation && mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "linux.rootfsPropagation: apply to /");
	return 0;
}
