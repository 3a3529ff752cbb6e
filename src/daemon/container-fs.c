/* The root of a container for cp and export, and the stat of a path in it
 * (see container-fs.h). */
#define LOG_CATEGORY "fs"
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api.h"
#include "archive.h"
#include "container-fs.h"
#include "image.h"

/* The overlay mounts made for jobs on stopped containers. */
struct fs_mount {
	char id[65];
	unsigned users;
};
static struct fs_mount *fs_mounts;
static size_t n_fs_mounts;

static struct fs_mount *mount_find(const char *id)
{
	for (size_t i = 0; i < n_fs_mounts; i++)
		if (strcmp(fs_mounts[i].id, id) == 0)
			return &fs_mounts[i];
	return NULL;
}

int container_fs_acquire(struct daemon *d, struct container *c, bool merged_only, int *ret_fd,
			 struct berth_error **err)
{
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", c->dir);
	struct fs_mount *m = mount_find(c->id);
	struct image_rec *img = NULL;
	int fd;

	if (c->status == CT_REMOVING || c->status == CT_DEAD)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "container %s is marked for removal", c->name);
	if (!merged_only && ct_is_running(c) && c->pid > 0) {
		char p[64];
		(void)snprintf(p, sizeof(p), "/proc/%d/root", (int)c->pid);
		fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", p);
	} else {
		if (!c->mounted) {
			int r = image_lookup(d, c->image_id, &img, err);
			if (r < 0)
				return r;
			r = layer_mount_overlay(d->layers, img->chain_ids, img->n_layers, c->dir,
						rootfs, err);
			if (r < 0)
				return r;
			c->mounted = true;
			if (!m) {
				fs_mounts =
					xrealloc(fs_mounts, (n_fs_mounts + 1) * sizeof(*fs_mounts));
				m = &fs_mounts[n_fs_mounts++];
				memset(m, 0, sizeof(*m));
				memcpy(m->id, c->id, sizeof(m->id));
			}
		}
		fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			container_fs_release(d, c->id);
			return berth_error_set(err, e, BERTH_ERR_INTERNAL, "open '%s'", rootfs);
		}
	}
	if (m)
		m->users++;
	*ret_fd = fd;
	return 0;
}

void container_fs_release(struct daemon *d, const char *id)
{
	struct fs_mount *m = mount_find(id);
	struct container *c = NULL;

	if (!m || (m->users > 0 && --m->users > 0))
		return;
	*m = fs_mounts[--n_fs_mounts];
	if (container_lookup(d, id, &c, NULL) < 0 || ct_is_running(c) || c->starting || !c->mounted)
		return;
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", c->dir);
	(void)layer_unmount(rootfs, NULL);
	c->mounted = false;
}

int container_fs_open(int root, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	do
		fd = syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	return fd < 0 ? -errno : (int)fd;
}

int container_fs_resolve(int root, const char *path, int *ret_dfd, char **ret_base,
			 struct berth_error **err)
{
	bool dir_only = false;
	_cleanup_free_ char *abs = archive_copy_path_clean(path, &dir_only);
	char *slash = strrchr(abs, '/');
	int fd;

	if (dir_only || strcmp(abs, "/") == 0) {
		fd = container_fs_open(root, abs + 1, O_PATH | O_DIRECTORY);
		if (fd < 0)
			return berth_error_set(
				err, -fd, fd == -ENOTDIR ? BERTH_ERR_INVALID : BERTH_ERR_NOT_FOUND,
				"%s", strerror(-fd));
		*ret_dfd = fd;
		*ret_base = xstrdup(".");
		return 0;
	}
	*slash = '\0';
	fd = container_fs_open(root, slash == abs ? "" : abs + 1, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return berth_error_set(err, -fd,
				       fd == -ENOTDIR ? BERTH_ERR_INVALID : BERTH_ERR_NOT_FOUND,
				       "%s", strerror(-fd));
	*ret_dfd = fd;
	*ret_base = xstrdup(slash + 1);
	return 0;
}

/* Go's os.FileMode of a stat mode. */
static uint32_t go_file_mode(mode_t m)
{
	uint32_t v = m & 0777;

	if (S_ISDIR(m))
		v |= 1u << 31;
	if (S_ISLNK(m))
		v |= 1u << 27;
	if (S_ISBLK(m))
		v |= 1u << 26;
	if (S_ISCHR(m))
		v |= 1u << 26 | 1u << 21;
	if (S_ISFIFO(m))
		v |= 1u << 25;
	if (S_ISSOCK(m))
		v |= 1u << 24;
	if (m & S_ISUID)
		v |= 1u << 23;
	if (m & S_ISGID)
		v |= 1u << 22;
	if (m & S_ISVTX)
		v |= 1u << 20;
	return v;
}

/* Where a symlink finally points, as an absolute path in the container
 * (docker's EvalSymlinks of the path, kept inside the root). */
static char *link_target(int root, const char *path)
{
	_cleanup_free_ char *cur = archive_copy_path_clean(path, NULL);

	for (int hops = 0; hops < 40; hops++) {
		_cleanup_free_ char *base = NULL;
		_cleanup_close_ int dfd = -EBADF;
		char target[4096];
		struct stat st;
		if (container_fs_resolve(root, cur, &dfd, &base, NULL) < 0 ||
		    fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
			break;
		ssize_t n = readlinkat(dfd, base, target, sizeof(target) - 1);
		if (n < 0)
			break;
		target[n] = '\0';
		_cleanup_free_ char *next = NULL;
		if (target[0] == '/') {
			next = xstrdup(target);
		} else {
			char *slash = strrchr(cur, '/');
			next = xasprintf("%.*s/%s", (int)(slash - cur), cur, target);
		}
		free(cur);
		cur = archive_copy_path_clean(next, NULL);
	}
	return TAKE_PTR(cur);
}

json_object *container_fs_stat_json(int root, const char *path, const struct stat *st)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *abs = archive_copy_path_clean(path, NULL);
	const char *name = strrchr(abs, '/');
	_cleanup_free_ char *mtime =
		time_rfc3339((int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec);
	_cleanup_free_ char *target = S_ISLNK(st->st_mode) ? link_target(root, path) : NULL;

	jadd(o, "name", jstr(strcmp(abs, "/") == 0 ? "/" : name + 1));
	jadd(o, "size", json_object_new_int64(st->st_size));
	jadd(o, "mode", json_object_new_int64(go_file_mode(st->st_mode)));
	jadd(o, "mtime", jstr(mtime));
	jadd(o, "linkTarget", jstr(target ? target : ""));
	return o;
}
