/* A container's volumes at start and stop: host mounts of tmpfs and bind
 * volumes, the copy of the image's content into a new empty volume (modes,
 * owners, times, xattrs, symlinks and hard links kept, as docker's copy
 * does), the OCI mounts, inspect's Mounts entries and the mount/unmount
 * events. */
#define LOG_CATEGORY "container"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "container-mounts.h"
#include "volumes.h"

static const char *mstr(json_object *m, const char *k)
{
	json_object *v = jget(m, k);
	return v ? json_object_get_string(v) : "";
}

static bool mbool(json_object *m, const char *k)
{
	json_object *v = jget(m, k);
	return v && json_object_get_boolean(v);
}

#define XATTR_LIST_MAX_BYTES 65536

/* The extended attributes of in on out (those the kernel lets us read and
 * write: user.*, security.capability...; overlay's own are not visible). */
static void copy_xattrs(int in, int out)
{
	ssize_t n = flistxattr(in, NULL, 0);

	if (n <= 0)
		return; /* most files: none */
	_cleanup_free_ char *names = xmalloc(XATTR_LIST_MAX_BYTES);
	_cleanup_free_ char *value = xmalloc(XATTR_SIZE_MAX);
	n = flistxattr(in, names, XATTR_LIST_MAX_BYTES);
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		ssize_t len = fgetxattr(in, names + i, value, XATTR_SIZE_MAX);
		if (len >= 0)
			(void)fsetxattr(out, names + i, value, (size_t)len, 0);
	}
}

static void copy_attrs(int fd, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	(void)fchown(fd, st->st_uid, st->st_gid);
	(void)fchmod(fd, st->st_mode & 07777);
	(void)futimens(fd, ts);
}

/* Files with more than one link, by inode, with the path (below the
 * volume) of their first copy, so that later names become links to it. */
struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct copy_walk {
	int droot; /* the volume's top */
	struct link_seen *links;
	size_t n_links;
};

static const char *link_lookup(const struct copy_walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->n_links; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].path;
	return NULL;
}

static int copy_file(int sdir, int ddir, const char *name, const struct stat *st)
{
	_cleanup_close_ int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = -EBADF;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -errno;
	out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (fd_write_all(out, buf, (size_t)n) < 0)
			return -EIO;
	if (n < 0)
		return -errno;
	copy_xattrs(in, out);
	copy_attrs(out, st);
	return 0;
}

/* Copy the tree below sdir into ddir (rel: its path below the volume):
 * symlinks copied, never followed. */
static int copy_tree(struct copy_walk *w, int sdir, int ddir, const char *rel, int depth)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;
	int r, fd = openat(sdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (depth > 256 || !(dir = fdopendir(fd))) {
		(void)close(fd);
		return -ELOOP;
	}
	while ((de = readdir(dir))) {
		struct stat st;
		if (dirent_is_dot(de))
			continue;
		if (fstatat(sdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(ddir, de->d_name, 0700) < 0 && errno != EEXIST)
				return -errno;
			_cleanup_close_ int s = openat(
				sdir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int t = openat(
				ddir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s < 0 || t < 0)
				return -errno;
			_cleanup_free_ char *sub = xasprintf("%s%s/", rel, de->d_name);
			if ((r = copy_tree(w, s, t, sub, depth + 1)) < 0)
				return r;
			copy_xattrs(s, t);
			copy_attrs(t, &st);
		} else if (S_ISREG(st.st_mode) && st.st_nlink > 1 && link_lookup(w, &st)) {
			if (linkat(w->droot, link_lookup(w, &st), ddir, de->d_name, 0) < 0)
				return -errno;
		} else if (S_ISREG(st.st_mode)) {
			if ((r = copy_file(sdir, ddir, de->d_name, &st)) < 0)
				return r;
			if (st.st_nlink > 1) {
				w->links = xrealloc(w->links, (w->n_links + 1) * sizeof(*w->links));
				w->links[w->n_links++] =
					(struct link_seen){ st.st_dev, st.st_ino,
							    xasprintf("%s%s", rel, de->d_name) };
			}
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(sdir, de->d_name, target, sizeof(target) - 1);
			if (n < 0)
				return -errno;
			target[n] = '\0';
			if (symlinkat(target, ddir, de->d_name) < 0)
				return -errno;
			(void)fchownat(ddir, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		} else {
			if (mknodat(ddir, de->d_name, st.st_mode, st.st_rdev) < 0)
				return -errno;
			(void)fchownat(ddir, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		}
	}
	return 0;
}

static bool dir_is_empty(const char *path)
{
	_cleanup_closedir_ DIR *dir = opendir(path);
	struct dirent *de;

	while (dir && (de = readdir(dir)))
		if (!dirent_is_dot(de))
			return false;
	return true;
}

/* docker's copy-up: the image's directory at the destination, into a volume
 * (or the volume's subpath, into) still empty, with the directory's own owner
 * and mode. */
static int copy_up(struct container *c, struct volume *v, const char *into, const char *dst,
		   struct berth_error **err)
{
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", c->dir);
	_cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int src = -EBADF, out = -EBADF;
	struct stat st;
	int r;

	if (root < 0 || stat(into, &st) < 0 || !S_ISDIR(st.st_mode) || !dir_is_empty(into))
		return 0; /* a file subpath, or content already */
	src = openat_in_root(root, dst, O_RDONLY | O_DIRECTORY, 0);
	if (src < 0)
		return 0; /* nothing there in the image */
	if ((out = open(into, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(src, &st) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", into);
	struct copy_walk w = { .droot = out };
	r = copy_tree(&w, src, out, "", 0);
	for (size_t i = 0; i < w.n_links; i++)
		free(w.links[i].path);
	free(w.links);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL,
				       "copy the image's '%s' into volume %s", dst, v->name);
	copy_xattrs(src, out);
	copy_attrs(out, &st);
	return 0;
}

static void volume_event(struct daemon *d, struct container *c, json_object *m, const char *action)
{
	json_object *attrs = json_object_new_object();

	jadd(attrs, "container", jstr(c->id));
	if (strcmp(action, "mount") == 0) {
		jadd(attrs, "destination", jstr(mstr(m, "Destination")));
		jadd(attrs, "propagation", jstr(""));
		jadd(attrs, "read/write", jstr(mbool(m, "RW") ? "true" : "false"));
	}
	jadd(attrs, "driver", jstr("local"));
	api_event(d, "volume", action, mstr(m, "Name"), attrs);
}

int container_volumes_attach(struct daemon *d, struct container *c, struct berth_error **err)
{
	json_object *a = container_volume_mounts(c);
	int r;

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		struct volume *v = NULL;
		if (strcmp(mstr(m, "Type"), "volume") != 0)
			continue;
		if ((r = volume_get(mstr(m, "Name"), &v, err)) < 0 ||
		    (r = volume_mount(v, err)) < 0)
			return r;
		const char *sub = mstr(m, "Subpath");
		_cleanup_free_ char *into = *sub ? volume_subpath_anchor(c, i) : xstrdup(v->data);
		if (*sub && (r = volume_subpath_mount(c, i, v->data, sub, err)) < 0)
			return r;
		if (mbool(m, "Copy") && (r = copy_up(c, v, into, mstr(m, "Destination"), err)) < 0)
			return r;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		if (strcmp(mstr(m, "Type"), "volume") == 0)
			volume_event(d, c, m, "mount");
	}
	return 0;
}

static bool used_by_other_running(struct daemon *d, struct container *c, const char *name)
{
	for (size_t i = 0; i < d->n_containers; i++) {
		struct container *o = d->containers[i];
		if (o != c && o->mounted && container_uses_volume(o, name))
			return true;
	}
	return false;
}

void container_volumes_detach(struct daemon *d, struct container *c)
{
	json_object *a = container_volume_mounts(c);

	if (!c->mounted)
		return;
	volume_subpaths_release(c); /* before the volumes they are in */
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		struct volume *v = NULL;
		if (strcmp(mstr(m, "Type"), "volume") != 0 ||
		    volume_get(mstr(m, "Name"), &v, NULL) < 0)
			continue;
		volume_event(d, c, m, "unmount");
		if (!used_by_other_running(d, c, v->name))
			volume_unmount(v);
	}
}

static void add_bind(json_object *arr, const char *src, const char *dst, bool rw)
{
	json_object *m = json_object_new_object(), *opts = json_object_new_array();

	jadd(m, "destination", jstr(dst));
	jadd(m, "type", jstr("bind"));
	jadd(m, "source", jstr(src));
	json_object_array_add(opts, jstr("rbind"));
	json_object_array_add(opts, jstr("rprivate"));
	json_object_array_add(opts, jstr(rw ? "rw" : "ro"));
	jadd(m, "options", opts);
	json_object_array_add(arr, m);
}

void container_volumes_oci(const struct container *c, json_object *oci_mounts)
{
	json_object *a = container_volume_mounts(c);

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		struct volume *v = NULL;
		const char *sub = mstr(m, "Subpath");
		if (strcmp(mstr(m, "Type"), "bind") == 0) {
			add_bind(oci_mounts, mstr(m, "Source"), mstr(m, "Destination"),
				 mbool(m, "RW"));
		} else if (*sub) {
			/* the anchor that attach bound, never the whole volume */
			_cleanup_free_ char *anchor = volume_subpath_anchor(c, i);
			add_bind(oci_mounts, anchor, mstr(m, "Destination"), mbool(m, "RW"));
		} else if (volume_get(mstr(m, "Name"), &v, NULL) == 0) {
			add_bind(oci_mounts, v->data, mstr(m, "Destination"), mbool(m, "RW"));
		}
	}
}

void container_volumes_for_job(const struct container *c, json_object *oci_mounts)
{
	json_object *a = container_volume_mounts(c);

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		struct volume *v = NULL;
		if (!*mstr(m, "Subpath") || volume_get(mstr(m, "Name"), &v, NULL) < 0)
			continue;
		_cleanup_free_ char *anchor = volume_subpath_anchor(c, i);
		for (size_t k = 0; k < json_object_array_length(oci_mounts); k++) {
			json_object *o = json_object_array_get_idx(oci_mounts, k);
			if (strcmp(mstr(o, "source"), anchor) != 0)
				continue;
			jadd(o, "source", jstr(v->data));
			jadd(o, "subpath", jstr(mstr(m, "Subpath")));
		}
	}
}

void container_volumes_inspect(const struct container *c, json_object *arr)
{
	json_object *a = container_volume_mounts(c);

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i), *o = json_object_new_object();
		bool vol = strcmp(mstr(m, "Type"), "volume") == 0;
		struct volume *v = NULL;
		jadd(o, "Type", jstr(vol ? "volume" : "bind"));
		if (vol) {
			jadd(o, "Name", jstr(mstr(m, "Name")));
			_cleanup_free_ char *src = volume_get(mstr(m, "Name"), &v, NULL) == 0
							   ? xstrdup(v->data)
							   : xstrdup("");
			jadd(o, "Source", jstr(src));
		} else {
			jadd(o, "Source", jstr(mstr(m, "Source")));
		}
		jadd(o, "Destination", jstr(mstr(m, "Destination")));
		if (vol)
			jadd(o, "Driver", jstr("local"));
		jadd(o, "Mode", jstr(mstr(m, "Mode")));
		jadd(o, "RW", json_object_new_boolean(mbool(m, "RW")));
		jadd(o, "Propagation", jstr(vol ? "" : "rprivate"));
		json_object_array_add(arr, o);
	}
}
