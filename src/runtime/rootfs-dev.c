/* /dev inside the container: the default devices every runtime provides, the
 * devices of config.json, and the standard symlinks. In a user namespace,
 * where mknod is refused, devices are bind mounts of the host's nodes. */
#define LOG_CATEGORY "rootfs"
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime-internal.h"

static const struct rt_device default_devices[] = {
	{ .type = 'c', .path = (char *)"/dev/null", .major = 1, .minor = 3 },
	{ .type = 'c', .path = (char *)"/dev/zero", .major = 1, .minor = 5 },
	{ .type = 'c', .path = (char *)"/dev/full", .major = 1, .minor = 7 },
	{ .type = 'c', .path = (char *)"/dev/random", .major = 1, .minor = 8 },
	{ .type = 'c', .path = (char *)"/dev/urandom", .major = 1, .minor = 9 },
	{ .type = 'c', .path = (char *)"/dev/tty", .major = 5, .minor = 0 },
};

/* devices cgroup rules: the spec's, then allow what the runtime itself creates
 * (default devices, /dev/pts, /dev/ptmx and linux.devices), as runc does. */
int rt_device_rules_with_defaults(const struct rt_spec *spec, struct rt_resources *out)
{
	size_t n_spec = spec->resources ? spec->resources->n_device_rules : 0;
	size_t n = n_spec + ARRAY_SIZE(default_devices) + 2 + spec->n_devices;
	struct rt_device_rule *rules = xcalloc(n, sizeof(*rules));
	size_t k = 0;

	for (size_t i = 0; i < n_spec; i++)
		rules[k++] = spec->resources->device_rules[i];
	if (n_spec == 0) {
		/* No rules at all: leave the device cgroup unrestricted, as runc does. */
		out->device_rules = rules;
		out->n_device_rules = 0;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++)
		rules[k++] = (struct rt_device_rule){ .allow = true,
						      .type = 'c',
						      .major = default_devices[i].major,
						      .minor = default_devices[i].minor,
						      .access = "rwm" };
	rules[k++] = (struct rt_device_rule){
		.allow = true, .type = 'c', .major = 136, .minor = -1, .access = "rwm"
	};
	rules[k++] = (struct rt_device_rule){
		.allow = true, .type = 'c', .major = 5, .minor = 2, .access = "rwm"
	};
	for (size_t i = 0; i < spec->n_devices; i++) {
		const struct rt_device *d = &spec->devices[i];
		if (d->type == 'p')
			continue;
		rules[k++] = (struct rt_device_rule){ .allow = true,
						      .type = d->type == 'b' ? 'b' : 'c',
						      .major = d->major,
						      .minor = d->minor,
						      .access = "rwm" };
	}
	out->device_rules = rules;
	out->n_device_rules = k;
	return 0;
}

static int make_node(int rootfd, const struct rt_device *d, bool bind, struct berth_error **err)
{
	_cleanup_free_ char *c1 = xstrdup(d->path), *c2 = xstrdup(d->path);
	const char *dir = dirname(c1), *base = basename(c2);
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	mode_t mode = d->has_mode ? (d->file_mode & 07777) : 0666;

	_cleanup_close_ int dpath = mkdirat_p_in_root(rootfd, dir, 0755);
	if (dpath < 0)
		return berth_error_set(err, -dpath, BERTH_ERR_INVALID, "linux.devices: create '%s'",
				       dir);
	_cleanup_close_ int dfd = openat(dpath, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "open '%s'", dir);
	if (bind) {
		int f = openat(dfd, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID, "create '%s'",
					       d->path);
		char target[32];
		fd_proc_path(f, target);
		int r = mount(d->path, target, NULL, MS_BIND, NULL);
		(void)close(f);
		if (r < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID, "bind device '%s'",
					       d->path);
		return 0;
	}
	(void)unlinkat(dfd, base, 0);
	if (mknodat(dfd, base, type | mode, makedev((unsigned)d->major, (unsigned)d->minor)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "linux.devices: mknod '%s'",
				       d->path);
	if (fchmodat(dfd, base, mode, 0) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "chmod '%s'", d->path);
	if ((d->has_uid || d->has_gid) &&
	    fchownat(dfd, base, d->has_uid ? d->uid : (uid_t)-1, d->has_gid ? d->gid : (gid_t)-1,
		     AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "chown '%s'", d->path);
	return 0;
}

static bool spec_lists_device(const struct rt_spec *spec, const char *path)
{
	for (size_t i = 0; i < spec->n_devices; i++)
		if (strcmp(spec->devices[i].path, path) == 0)
			return true;
	return false;
}

int rootfs_setup_devices(const struct rt_spec *spec, int rootfd, struct berth_error **err)
{
	bool bind = spec_has_namespace(spec, CLONE_NEWUSER, NULL);
	mode_t old = umask(0);
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(default_devices); i++)
		if (!spec_lists_device(spec, default_devices[i].path))
			r = make_node(rootfd, &default_devices[i], bind, err);
	for (size_t i = 0; r >= 0 && i < spec->n_devices; i++)
		r = make_node(rootfd, &spec->devices[i], bind && spec->devices[i].type != 'p', err);
	umask(old);
	if (r < 0)
		return r;

	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },	 { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	_cleanup_close_ int devp = openat_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
	if (devp < 0)
		return 0;
	_cleanup_close_ int dev = openat(devp, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; dev >= 0 && i < ARRAY_SIZE(links); i++) {
		if (strcmp(links[i][1], "ptmx") == 0 && spec_lists_device(spec, "/dev/ptmx"))
			continue;
		if (strcmp(links[i][1], "ptmx") == 0)
			(void)unlinkat(dev, "ptmx", 0);
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, BERTH_ERR_INVALID, "symlink /dev/%s",
					       links[i][1]);
	}
	if (dev >= 0 && access("/proc/kcore", F_OK) == 0)
		(void)symlinkat("/proc/kcore", dev, "core");
	return 0;
}
