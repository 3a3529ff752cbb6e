/* Overlay mounts of layer chains.
 *
 * Kernels since 6.8 take each lower directory on its own with the new mount
 * API (fsconfig "lowerdir+"), so the number of layers is bounded only by
 * overlayfs (500), not by the one page that mount(2) copies its options into.
 * Older kernels get mount(2) with "lowerdir=top:...:bottom"; when absolute
 * paths don't fit in a page, a child process changes into the layer store and
 * passes the layers' 64-character names relative to it (up to about 60
 * layers). index=off lets the same lower directories serve many overlays. */
#define LOG_CATEGORY "image"
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image-internal.h"

#define MOUNT_DATA_MAX 4095 /* mount(2) copies one page, NUL included */

struct overlay_dirs {
	char **lower; /* top first */
	char *upper, *work;
};

static void overlay_dirs_clear(struct overlay_dirs *d)
{
	strv_free(d->lower);
	free(d->upper);
	free(d->work);
}

/* The kernel's log of a failed fsconfig, for the error message. */
static void fs_context_log(int fd, char *buf, size_t size)
{
	buf[0] = '\0';
	ssize_t n = read(fd, buf, size - 1);
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
}

/* -EOPNOTSUPP when this kernel lacks the new API or "lowerdir+". */
static int mount_fsconfig(const struct overlay_dirs *d, const char *target, bool is_volatile,
			  struct berth_error **err)
{
	_cleanup_close_ int fd = fsopen("overlay", FSOPEN_CLOEXEC);
	_cleanup_close_ int mfd = -EBADF;
	char log[512];

	if (fd < 0)
		return errno == ENOSYS ? -EOPNOTSUPP
				       : berth_error_set(err, errno, BERTH_ERR_INTERNAL,
							 "open overlay file system");
	if (fsconfig(fd, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
		return -EOPNOTSUPP;
	for (size_t i = 0; d->lower[i]; i++)
		if (fsconfig(fd, FSCONFIG_SET_STRING, "lowerdir+", d->lower[i], 0) < 0) {
			if (i == 0 && errno == EINVAL)
				return -EOPNOTSUPP;
			fs_context_log(fd, log, sizeof(log));
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "overlay lower directory '%s' (%s)", d->lower[i],
					       log);
		}
	if (fsconfig(fd, FSCONFIG_SET_STRING, "upperdir", d->upper, 0) < 0 ||
	    fsconfig(fd, FSCONFIG_SET_STRING, "workdir", d->work, 0) < 0 ||
	    fsconfig(fd, FSCONFIG_SET_STRING, "index", "off", 0) < 0 ||
	    (is_volatile && fsconfig(fd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0) ||
	    fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;
		fs_context_log(fd, log, sizeof(log));
		return berth_error_set(err, e, BERTH_ERR_INTERNAL, "configure overlay (%s)", log);
	}
	mfd = fsmount(fd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create overlay mount");
	if (move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "mount overlay on '%s'",
				       target);
	return 0;
}

/* Append s to *buf, escaping the option separators of overlayfs if asked. */
static void append(char **buf, const char *s, bool escape)
{
	size_t n = strlen(*buf);
	char *out = xrealloc(*buf, n + 2 * strlen(s) + 1);
	char *p = out + n;

	for (; *s; s++) {
		if (escape && (*s == ':' || *s == ',' || *s == '\\'))
			*p++ = '\\';
		*p++ = *s;
	}
	*p = '\0';
	*buf = out;
}

static char *mount_data(char *const *lower, const struct overlay_dirs *d)
{
	char *data = xstrdup("lowerdir=");

	for (size_t i = 0; lower[i]; i++) {
		if (i > 0)
			append(&data, ":", false);
		append(&data, lower[i], true);
	}
	append(&data, ",upperdir=", false);
	append(&data, d->upper, true);
	append(&data, ",workdir=", false);
	append(&data, d->work, true);
	append(&data, ",index=off", false);
	return data;
}

/* mount(2) in a child that changed into dir, so that relative lower names work. */
static int mount_in_child(const char *dir, const char *target, const char *data)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (chdir(dir) < 0 || mount("overlay", target, "overlay", 0, data) < 0)
			_exit(errno);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}

static int mount_legacy(struct layer_store *ls, char *const *chain_ids, size_t n,
			const struct overlay_dirs *d, const char *target, struct berth_error **err)
{
	_cleanup_free_ char *data = mount_data(d->lower, d);

	if (strlen(data) <= MOUNT_DATA_MAX || n == 0) {
		if (mount("overlay", target, "overlay", 0, data) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "mount overlay on '%s'", target);
		return 0;
	}
	_cleanup_strv_ char **rel = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		rel[i] = xstrdup(chain_ids[n - 1 - i] + strlen("sha256:"));
	_cleanup_free_ char *short_data = mount_data(rel, d);
	if (strlen(short_data) > MOUNT_DATA_MAX)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID,
				       "too many layers (%zu) for this kernel's overlay mount", n);
	_cleanup_free_ char *root = layer_store_path(ls, chain_ids[0]);
	*strrchr(root, '/') = '\0';
	int r = mount_in_child(root, target, short_data);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "mount overlay on '%s'",
				       target);
	return 0;
}

static int make_dir(const char *path, mode_t mode, struct berth_error **err)
{
	int r = mkdir_p(path, mode);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "create '%s'", path);
	return 0;
}

/* A volatile overlay leaves work/work/incompat/volatile/dirty behind, and
 * overlayfs refuses to mount an upper directory with that mark again: after a
 * crash its contents may be incomplete. Only volatile mounts are asked for on
 * such directories (containers removed when they stop, whose upper directory
 * is thrown away), so a remount, after a restart, clears the mark. */
static void clear_volatile_mark(const char *work)
{
	static const char *const mark[] = { "work/incompat/volatile/dirty",
					    "work/incompat/volatile", "work/incompat" };

	for (size_t i = 0; i < sizeof(mark) / sizeof(mark[0]); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", work, mark[i]);
		if (rmdir(p) < 0 && errno == ENOTDIR)
			(void)unlink(p);
	}
}

static int mount_overlay(struct layer_store *ls, char *const *chain_ids, size_t n,
			 const char *container_dir, const char *target, bool legacy,
			 bool is_volatile, struct berth_error **err)
{
	struct overlay_dirs d = { 0 };
	int r;

	if (n > IMAGE_MAX_LAYERS)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID, "more than %d layers",
				       IMAGE_MAX_LAYERS);
	for (size_t i = 0; i < n; i++)
		if (!layer_store_has(ls, chain_ids[i]))
			return berth_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND, "layer '%s'",
					       chain_ids[i]);
	d.lower = xcalloc(n + 2, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		d.lower[i] = layer_store_path(ls, chain_ids[n - 1 - i]);
	if (n == 0)
		d.lower[0] = xasprintf("%s/empty", container_dir);
	d.upper = xasprintf("%s/upper", container_dir);
	d.work = xasprintf("%s/work", container_dir);
	if ((n == 0 && (r = make_dir(d.lower[0], 0755, err)) < 0) ||
	    (r = make_dir(d.upper, 0755, err)) < 0 || (r = make_dir(d.work, 0700, err)) < 0)
		goto out;
	if (is_volatile)
		clear_volatile_mark(d.work);
	/* Kernels without "lowerdir+" (before 6.8) get a durable overlay. */
	r = legacy ? -EOPNOTSUPP : mount_fsconfig(&d, target, is_volatile, err);
	if (r == -EOPNOTSUPP)
		r = mount_legacy(ls, chain_ids, n, &d, target, err);
out:
	overlay_dirs_clear(&d);
	return r;
}

int layer_mount_overlay_with(struct layer_store *ls, char *const *chain_ids, size_t n,
			     const char *container_dir, const char *target, bool legacy,
			     struct berth_error **err)
{
	return mount_overlay(ls, chain_ids, n, container_dir, target, legacy, false, err);
}

int layer_mount_overlay(struct layer_store *ls, char *const *chain_ids, size_t n,
			const char *container_dir, const char *target, struct berth_error **err)
{
	return mount_overlay(ls, chain_ids, n, container_dir, target, false, false, err);
}

int layer_mount_overlay_volatile(struct layer_store *ls, char *const *chain_ids, size_t n,
				 const char *container_dir, const char *target,
				 struct berth_error **err)
{
	return mount_overlay(ls, chain_ids, n, container_dir, target, false, true, err);
}

int layer_unmount(const char *target, struct berth_error **err)
{
	if (umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "unmount '%s'", target);
	return 0;
}
