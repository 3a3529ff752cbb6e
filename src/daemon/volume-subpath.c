/* --mount type=volume,volume-subpath=P: a directory or file inside a volume
 * bound into the container instead of the whole volume. The subpath comes
 * from the user and the volume's content from containers, so it is resolved
 * with openat2(RESOLVE_BENEATH): a symlink in the volume may lead elsewhere
 * inside it, never out. What was resolved is bound, by its descriptor, on a
 * anchor under <c->dir>/volume-subpaths/ that the spec names, so that nothing
 * swapped in the volume between the check and the runtime's mount counts. */
#define LOG_CATEGORY "container"
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <unistd.h>

#include "container-internal.h"
#include "container-mounts.h"

int volume_subpath_check(const char *sub, struct berth_error **err)
{
	/* Go's filepath.IsLocal, which dockerd applies: relative, and not
	 * leaving the volume lexically ("a/../b" is fine, "a/../../b" not). */
	int depth = 0;
	_cleanup_free_ char *copy = xstrdup(sub);
	char *save = NULL;
	bool local = sub[0] != '/';
	for (char *p = strtok_r(copy, "/", &save); local && p; p = strtok_r(NULL, "/", &save)) {
		if (strcmp(p, "..") == 0)
			local = --depth >= 0;
		else if (strcmp(p, ".") != 0)
			depth++;
	}
	if (!local)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"invalid mount config for type \"volume\": subpath must be a "
			"relative path within the volume");
	return 0;
}

int volume_subpath_open(const char *data, const char *sub, struct berth_error **err)
{
	_cleanup_close_ int base = open(data, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	long fd;

	if (base < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open volume '%s'", data);
	do
		fd = syscall(SYS_openat2, base, sub, &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	if (fd < 0 && errno == EXDEV)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "path concatenation escapes the base directory, base: %s, "
				       "subpath: %s",
				       data, sub);
	if (fd < 0) {
		int e = errno;
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "cannot access path %s/%s: %s",
				       data, sub, strerror(e));
	}
	return (int)fd;
}

char *volume_subpath_anchor(const struct container *c, size_t index)
{
	return xasprintf("%s/volume-subpaths/%zu", c->dir, index);
}

int volume_subpath_mount(const struct container *c, size_t index, const char *data, const char *sub,
			 struct berth_error **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/volume-subpaths", c->dir);
	_cleanup_free_ char *anchor = volume_subpath_anchor(c, index);
	_cleanup_close_ int fd = volume_subpath_open(data, sub, err);
	char proc[64];
	struct stat st;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat subpath '%s'", sub);
	(void)mkdir(dir, 0700);
	(void)umount2(anchor, MNT_DETACH); /* left by a daemon that was killed */
	(void)unlink(anchor);
	(void)rmdir(anchor);
	int made = S_ISDIR(st.st_mode) ? mkdir(anchor, 0700)
				       : open(anchor, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (made >= 0 && !S_ISDIR(st.st_mode))
		made = close(made);
	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (made < 0 || mount(proc, anchor, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "bind subpath '%s' of '%s'",
				       sub, data);
	return 0;
}

void volume_subpaths_release(const struct container *c)
{
	_cleanup_free_ char *dir = xasprintf("%s/volume-subpaths", c->dir);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (dirent_is_dot(de))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
		(void)umount2(p, MNT_DETACH);
		if (unlink(p) < 0)
			(void)rmdir(p);
	}
	(void)rmdir(dir);
}
