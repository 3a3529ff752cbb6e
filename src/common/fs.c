/* File helpers: whole-file reads with limits, atomic writes, and path
 * resolution confined to a root with openat2(RESOLVE_IN_ROOT). */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

int fd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = xmalloc(cap);

	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max + 1)
				return -EFBIG;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int file_read_all_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fd_read_all(fd, max, ret, ret_len);
}

int file_read_all(const char *path, size_t max, char **ret, size_t *ret_len)
{
	return file_read_all_at(AT_FDCWD, path, max, ret, ret_len);
}

int file_write_str_at(int dirfd, const char *path, const char *data)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	size_t len = strlen(data);
	ssize_t n = write(fd, data, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

static int write_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int r;

	if (fd < 0)
		return -errno;
	r = fd_write_all(fd, data, len);
	if (r == 0 && sync && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_replace(path, data, len, mode, true);
}

int file_write_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_replace(path, data, len, mode, false);
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int dir_open_at(int dirfd, const char *name, DIR **ret)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		(void)close(fd);
		return -e;
	}
	*ret = d;
	return 0;
}

bool dirent_is_dot(const struct dirent *de)
{
	return strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
}

static int rm_rf_at(int parent, const char *name, dev_t dev)
{
	struct stat st;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parent, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (st.st_dev != dev)
		return -EXDEV; /* a mount point: never descend into another file system */

	_cleanup_closedir_ DIR *d = NULL;
	int r = dir_open_at(parent, name, &d);
	if (r < 0)
		return r;
	for (struct dirent *de; (de = readdir(d));) {
		if (dirent_is_dot(de))
			continue;
		int q = rm_rf_at(dirfd(d), de->d_name, dev);
		if (q < 0 && r == 0)
			r = q;
	}
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return rm_rf_at(AT_FDCWD, path, st.st_dev);
}

int fd_close_from(int from)
{
	if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0)
		return 0;
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	for (struct dirent *de; (de = readdir(d));) {
		int fd;
		if (str_to_int(de->d_name, &fd) < 0 || fd < from || fd == dirfd(d))
			continue;
		(void)close(fd);
	}
	return 0;
}

int fd_cloexec_from(int from)
{
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
	if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	for (struct dirent *de; (de = readdir(d));) {
		int fd;
		if (str_to_int(de->d_name, &fd) < 0 || fd < from || fd == dirfd(d))
			continue;
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0)
			(void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
	return 0;
}

static int openat2_raw(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = resolve,
	};
	long r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	return r < 0 ? -errno : (int)r;
}

bool openat2_supported(void)
{
	static int cached = -1;

	if (cached < 0) {
		int fd = openat2_raw(AT_FDCWD, "/", O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT);
		cached = fd >= 0;
		if (fd >= 0)
			(void)close(fd);
	}
	return cached;
}

/* One component below dirfd, refusing symlinks and ".." escapes. */
static int openat2_beneath(int dirfd, const char *name)
{
	for (;;) {
		int fd = openat2_raw(dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
				     RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
		if (fd != -EAGAIN)
			return fd;
	}
}

int openat_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	for (;;) {
		int fd = openat2_raw(rootfd, path, flags | O_CLOEXEC, mode,
				     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		if (fd != -EAGAIN)
			return fd;
		/* EAGAIN: a concurrent rename raced the lookup; the kernel asks us to retry. */
	}
}

/* Resolve path inside the root without leaving it: symlinks are followed as if
 * the root were "/" (a dangling one names where to create), ".." stops at the
 * root. The result is an absolute path whose existing components are real
 * directories, as securejoin computes it. */
static int resolve_in_root(int rootfd, const char *path, char **ret)
{
	_cleanup_free_ char *todo = xstrdup(path);
	_cleanup_free_ char *done = xstrdup("");
	int links = 0;

	for (;;) {
		char *p = todo;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		_cleanup_free_ char *comp = xstrndup(p, len);
		_cleanup_free_ char *rest = xstrdup(p + len);
		if (strcmp(comp, ".") == 0) {
			free(todo);
			todo = TAKE_PTR(rest);
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(done, '/');
			if (slash)
				*slash = '\0';
			free(todo);
			todo = TAKE_PTR(rest);
			continue;
		}
		_cleanup_free_ char *next = xasprintf("%s/%s", done, comp);
		char target[PATH_MAX];
		ssize_t n = readlinkat(rootfd, next + 1, target, sizeof(target) - 1);
		if (n >= 0) {
			if (++links > 40)
				return -ELOOP;
			target[n] = '\0';
			char *t = xasprintf("%s%s", target, rest);
			if (target[0] == '/') {
				free(done);
				done = xstrdup("");
			}
			free(todo);
			todo = t;
			continue;
		}
		free(done);
		done = TAKE_PTR(next);
		free(todo);
		todo = TAKE_PTR(rest);
	}
	*ret = *done ? TAKE_PTR(done) : xstrdup("/");
	return 0;
}

int mkdirat_p_in_root(int rootfd, const char *path, mode_t mode)
{
	_cleanup_free_ char *resolved = NULL;
	char *save = NULL;
	int r = resolve_in_root(rootfd, path, &resolved);

	if (r < 0)
		return r;
	_cleanup_close_ int cur = openat_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
	if (cur < 0)
		return cur;
	for (char *comp = strtok_r(resolved, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
			return -errno;
		/* openat2 from the directory so far, confined to the root: a component
		 * swapped for a symlink meanwhile still cannot lead outside. */
		int fd = openat2_beneath(cur, comp);
		if (fd < 0)
			return fd;
		(void)close(cur);
		cur = fd;
	}
	return TAKE_FD(cur);
}

void fd_proc_path(int fd, char buf[static 32])
{
	(void)snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

uint64_t now_usec_monotonic(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

void time_format_rfc3339(char buf[static 40])
{
	struct timespec ts;
	struct tm tm;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	(void)gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	(void)snprintf(buf + n, 40 - n, ".%09ldZ", ts.tv_nsec);
}
