/* After pivot_root: masked and read-only paths, and tmpcopyup's tree copy. */
#define LOG_CATEGORY "rootfs"
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-internal.h"

int rootfs_mask_paths(const struct rt_spec *spec, struct berth_error **err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	char target[32];

	for (size_t i = 0; spec->masked_paths && spec->masked_paths[i]; i++) {
		const char *p = spec->masked_paths[i];
		_cleanup_close_ int fd = openat_in_root(root, p, O_PATH | O_NOFOLLOW, 0);
		if (fd == -ENOENT)
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			return berth_error_set(err, fd < 0 ? -fd : errno, BERTH_ERR_INVALID,
					       "linux.maskedPaths[%zu]: open '%s'", i, p);
		fd_proc_path(fd, target);
		int r = S_ISDIR(st.st_mode) ? mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL)
					    : mount("/dev/null", target, NULL, MS_BIND, NULL);
		if (r < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "linux.maskedPaths[%zu]: mask '%s'", i, p);
	}
	return 0;
}

int rootfs_readonly_paths(const struct rt_spec *spec, struct berth_error **err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char target[32];

	for (size_t i = 0; spec->readonly_paths && spec->readonly_paths[i]; i++) {
		const char *p = spec->readonly_paths[i];
		_cleanup_close_ int fd = openat_in_root(root, p, O_PATH | O_NOFOLLOW, 0);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return berth_error_set(err, -fd, BERTH_ERR_INVALID,
					       "linux.readonlyPaths[%zu]: open '%s'", i, p);
		fd_proc_path(fd, target);
		if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "linux.readonlyPaths[%zu]: bind '%s'", i, p);
		_cleanup_close_ int mfd = openat_in_root(root, p, O_PATH | O_NOFOLLOW, 0);
		if (mfd < 0)
			return berth_error_set(err, -mfd, BERTH_ERR_INVALID, "reopen '%s'", p);
		unsigned long locked = rootfs_locked_flags(mfd);
		fd_proc_path(mfd, target);
		if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked, NULL) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "linux.readonlyPaths[%zu]: remount '%s' read-only",
					       i, p);
	}
	return 0;
}

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st)
{
	_cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = -EBADF;
	char buf[65536];

	if (in < 0)
		return -errno;
	out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     st->st_mode & 07777);
	if (out < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		int r = fd_write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
	}
	return 0;
}

int rootfs_copy_tree(int src_dirfd, int dst_dirfd, struct berth_error **err)
{
	_cleanup_closedir_ DIR *d = NULL;
	int q = dir_open_at(src_dirfd, ".", &d);
	if (q < 0)
		return berth_error_set(err, -q, BERTH_ERR_INTERNAL, "read directory");
	for (struct dirent *de; (de = readdir(d));) {
		struct stat st;
		int r = 0;
		if (dirent_is_dot(de))
			continue;
		if (fstatat(src_dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat '%s'",
					       de->d_name);
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dst_dirfd, de->d_name, st.st_mode & 07777) < 0)
				return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "mkdir '%s'",
						       de->d_name);
			_cleanup_close_ int s =
				openat(src_dirfd, de->d_name,
				       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int t =
				openat(dst_dirfd, de->d_name,
				       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s < 0 || t < 0)
				return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'",
						       de->d_name);
			if ((r = rootfs_copy_tree(s, t, err)) < 0)
				return r;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(src_dirfd, de->d_name, target, sizeof(target) - 1);
			if (n < 0)
				return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
						       "readlink '%s'", de->d_name);
			target[n] = '\0';
			if (symlinkat(target, dst_dirfd, de->d_name) < 0)
				return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
						       "symlink '%s'", de->d_name);
		} else if (S_ISREG(st.st_mode)) {
			if ((r = copy_file(src_dirfd, dst_dirfd, de->d_name, &st)) < 0)
				return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "copy '%s'",
						       de->d_name);
		} else {
			continue; /* devices, fifos and sockets are not copied up */
		}
		(void)fchownat(dst_dirfd, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
	}
	return 0;
}
