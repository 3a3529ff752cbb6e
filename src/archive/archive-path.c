/* Member names and where they lead: names are cleaned into relative paths
 * without "..", and directories are opened component by component below the
 * destination without following any symlink (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS, or O_NOFOLLOW steps on kernels without it). */
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "archive-internal.h"

int archive_path_clean(const char *name, size_t max, char **ret)
{
	size_t len = strlen(name);

	if (len > max)
		return -ENAMETOOLONG;
	if (name[0] == '/')
		return -EINVAL;
	_cleanup_free_ char *out = xmalloc(len + 1);
	char *o = out;
	const char *p = name;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o != out)
				*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	*o = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

void archive_path_split(char *path, const char **ret_parent, const char **ret_base)
{
	char *slash = strrchr(path, '/');

	if (!slash) {
		*ret_parent = "";
		*ret_base = path;
		return;
	}
	*slash = '\0';
	*ret_parent = path;
	*ret_base = slash + 1;
}

static int open_component(int dfd, const char *comp)
{
	int fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int dir_walk(int root_fd, const char *rel, bool create)
{
	_cleanup_free_ char *copy = xstrdup(rel);
	_cleanup_close_ int cur = -EBADF;
	char *save = NULL;

	for (char *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int dfd = cur >= 0 ? cur : root_fd;
		int fd = open_component(dfd, comp);
		if (fd == -ENOENT && create) {
			if (mkdirat(dfd, comp, 0755) < 0 && errno != EEXIST)
				return -errno;
			fd = open_component(dfd, comp);
		}
		if (fd < 0)
			return fd;
		closep(&cur);
		cur = fd;
	}
	if (cur < 0) {
		cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
		if (cur < 0)
			return -errno;
	}
	return TAKE_FD(cur);
}

int archive_dir_open(int root_fd, const char *rel, bool create)
{
	static bool no_openat2;
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};

	while (*rel && !no_openat2) {
		long fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno == EAGAIN || errno == EINTR)
			continue;
		if (errno == ENOSYS || errno == E2BIG || errno == EPERM) {
			no_openat2 = errno != EPERM;
			break;
		}
		if (errno != ENOENT || !create)
			return -errno;
		break;
	}
	return dir_walk(root_fd, rel, create);
}

int archive_remove_at(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		_cleanup_closedir_ DIR *d = NULL;
		int r = dir_open_at(dfd, name, &d);
		if (r < 0)
			return r;
		for (struct dirent *de; (de = readdir(d));) {
			if (dirent_is_dot(de))
				continue;
			r = archive_remove_at(dirfd(d), de->d_name);
			if (r < 0)
				return r;
		}
		if (unlinkat(dfd, name, AT_REMOVEDIR) < 0)
			return -errno;
		return 0;
	}
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
