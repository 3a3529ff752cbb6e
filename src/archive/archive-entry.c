/* Creating one tar entry below its parent directory's descriptor: files,
 * directories, symlinks, hard links, device nodes, fifos and whiteouts, with
 * owner, mode (after the owner, which clears set-id bits), xattrs and times.
 * New names are created exclusively and never through an existing symlink;
 * whatever is in the way is removed first. */
#define LOG_CATEGORY "archive"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "archive-internal.h"

static int entry_ids(struct archive_entry *e, const char *path, uid_t *uid, gid_t *gid,
		     struct berth_error **err)
{
	la_int64_t u = archive_entry_uid(e), g = archive_entry_gid(e);

	if (u < 0 || u >= (la_int64_t)UINT32_MAX || g < 0 || g >= (la_int64_t)UINT32_MAX)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "'%s': invalid owner %lld:%lld",
				       path, (long long)u, (long long)g);
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
	ts[1].tv_nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
	if (ts[1].tv_nsec < 0 || ts[1].tv_nsec >= 1000000000L)
		ts[1].tv_nsec = 0;
	ts[0] = ts[1];
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
		if (ts[0].tv_nsec < 0 || ts[0].tv_nsec >= 1000000000L)
			ts[0].tv_nsec = 0;
	}
}

/* Overlay's own xattrs from a tar could redirect or hide lower layers: only
 * whiteout entries may produce them. */
static bool xattr_is_reserved(const char *name)
{
	return str_has_prefix(name, "trusted.overlay.") || str_has_prefix(name, "user.overlay.");
}

/* xattrs on fd, or on base below pfd when fd < 0 (symlinks, nodes). Like
 * docker, a file system that refuses them (ENOTSUP, EPERM) is not an error,
 * and neither is any failing security.* one. */
static int entry_xattrs(struct archive_entry *e, int fd, int pfd, const char *base,
			const char *path, struct berth_error **err)
{
	const char *name;
	const void *value;
	size_t size;
	char proc[PATH_MAX];

	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	if (fd < 0 &&
	    snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", pfd, base) >= (int)sizeof(proc))
		return berth_error_set(err, ENAMETOOLONG, BERTH_ERR_INVALID, "'%s'", path);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (!name || !*name || xattr_is_reserved(name))
			continue;
		int r = fd >= 0 ? fsetxattr(fd, name, value, size, 0)
				: lsetxattr(proc, name, value, size, 0);
		if (r == 0)
			continue;
		if (str_has_prefix(name, "security.") || errno == ENOTSUP || errno == EPERM) {
			log_debug("Cannot set xattr '%s' on '%s': %m, ignoring", name, path);
			continue;
		}
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "set xattr '%s' on '%s'",
				       name, path);
	}
	return 0;
}

static int entry_meta_fd(struct apply_ctx *c, struct archive_entry *e, int fd, const char *path,
			 bool dir, struct berth_error **err)
{
	uid_t uid;
	gid_t gid;
	int r;

	if (c->plain) {
		if (fchmod(fd, dir ? 0755 : 0644) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chmod '%s'", path);
		return 0;
	}
	r = entry_ids(e, path, &uid, &gid, err);
	if (r < 0)
		return r;
	if (fchown(fd, uid, gid) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chown '%s'", path);
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chmod '%s'", path);
	return entry_xattrs(e, fd, -EBADF, NULL, path, err);
}

static int entry_meta_at(struct archive_entry *e, int pfd, const char *base, const char *path,
			 bool chmod, struct berth_error **err)
{
	struct timespec ts[2];
	uid_t uid;
	gid_t gid;
	int r = entry_ids(e, path, &uid, &gid, err);

	if (r < 0)
		return r;
	if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chown '%s'", path);
	/* base is what we just created, not a symlink: the tree is ours alone. */
	if (chmod && fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chmod '%s'", path);
	r = entry_xattrs(e, -EBADF, pfd, base, path, err);
	if (r < 0)
		return r;
	entry_times(e, ts);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "set times of '%s'", path);
	return 0;
}

/* Remove what is at base (path in the tree) to make room for a new entry. */
static int make_room(struct apply_ctx *c, int pfd, const char *base, const char *path,
		     struct berth_error **err)
{
	struct stat st;
	int r;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT
			       ? 0
			       : berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat '%s'", path);
	if (S_ISDIR(st.st_mode)) {
		size_t n = strlen(path);
		if (c->cache_rel && str_has_prefix(c->cache_rel, path) &&
		    (c->cache_rel[n] == '\0' || c->cache_rel[n] == '/'))
			apply_cache_drop(c);
		r = archive_remove_at(pfd, base);
	} else {
		r = unlinkat(pfd, base, 0) < 0 && errno != ENOENT ? -errno : 0;
	}
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "remove '%s'", path);
	return 0;
}

static int pwrite_all(int fd, const char *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int entry_copy_data(struct apply_ctx *c, struct archive_entry *e, int fd, const char *path,
			   struct berth_error **err)
{
	la_int64_t end = 0, size = archive_entry_size(e);

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(c->a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "read '%s': %s", path,
					       archive_error_string(c->a));
		if (len == 0)
			continue;
		r = pwrite_all(fd, buf, len, (off_t)off);
		if (r < 0)
			return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write '%s'", path);
		if (off + (la_int64_t)len > end)
			end = off + (la_int64_t)len;
	}
	if (size > end && ftruncate(fd, (off_t)size) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "truncate '%s'", path);
	c->size += (uint64_t)(size > end ? size : end);
	return 0;
}

static int entry_file(struct apply_ctx *c, struct archive_entry *e, const char *path, int pfd,
		      const char *base, struct berth_error **err)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	_cleanup_close_ int fd = openat(pfd, base, flags, 0600);
	struct timespec ts[2];
	int r;

	if (fd < 0 && errno == EEXIST) {
		r = make_room(c, pfd, base, path, err);
		if (r < 0)
			return r;
		fd = openat(pfd, base, flags, 0600);
	}
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create '%s'", path);
	r = entry_copy_data(c, e, fd, path, err);
	if (r < 0)
		return r;
	r = entry_meta_fd(c, e, fd, path, false, err);
	if (r < 0 || c->plain)
		return r;
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "set times of '%s'", path);
	return 0;
}

static void dir_times_push(struct apply_ctx *c, struct archive_entry *e, const char *path)
{
	if (c->n_dirs == c->cap_dirs) {
		c->cap_dirs = c->cap_dirs ? c->cap_dirs * 2 : 64;
		c->dirs = xrealloc(c->dirs, c->cap_dirs * sizeof(*c->dirs));
	}
	c->dirs[c->n_dirs].path = xstrdup(path);
	entry_times(e, c->dirs[c->n_dirs].ts);
	c->n_dirs++;
}

/* An existing directory is kept (its contents too) and gets the metadata. */
static int entry_dir(struct apply_ctx *c, struct archive_entry *e, const char *path, int pfd,
		     const char *base, struct berth_error **err)
{
	struct stat st;
	int r;

	if (mkdirat(pfd, base, 0700) < 0) {
		if (errno != EEXIST)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "mkdir '%s'", path);
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat '%s'", path);
		if (!S_ISDIR(st.st_mode)) {
			r = make_room(c, pfd, base, path, err);
			if (r < 0)
				return r;
			if (mkdirat(pfd, base, 0700) < 0)
				return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "mkdir '%s'",
						       path);
		}
	}
	_cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", path);
	r = entry_meta_fd(c, e, fd, path, true, err);
	if (r < 0)
		return r;
	if (!c->plain)
		dir_times_push(c, e, path);
	return 0;
}

static int entry_symlink(struct apply_ctx *c, struct archive_entry *e, const char *path, int pfd,
			 const char *base, struct berth_error **err)
{
	const char *target = archive_entry_symlink(e);
	int r;

	if (!target || !*target)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "symlink '%s' without a target",
				       path);
	if (strlen(target) > c->max_path)
		return berth_error_set(err, ENAMETOOLONG, BERTH_ERR_INVALID,
				       "symlink '%s': target too long", path);
	if (symlinkat(target, pfd, base) < 0) {
		if (errno != EEXIST)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "symlink '%s'",
					       path);
		r = make_room(c, pfd, base, path, err);
		if (r < 0)
			return r;
		if (symlinkat(target, pfd, base) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "symlink '%s'",
					       path);
	}
	c->size += strlen(target); /* docker counts a symlink's size too */
	return entry_meta_at(e, pfd, base, path, false, err);
}

static int entry_node(struct apply_ctx *c, struct archive_entry *e, const char *path, int pfd,
		      const char *base, struct berth_error **err)
{
	mode_t mode = archive_entry_filetype(e) | 0600;
	dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	int r;

	if (S_ISFIFO(mode))
		dev = 0;
	if (mknodat(pfd, base, mode, dev) < 0) {
		if (errno != EEXIST)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "mknod '%s'", path);
		r = make_room(c, pfd, base, path, err);
		if (r < 0)
			return r;
		if (mknodat(pfd, base, mode, dev) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "mknod '%s'", path);
	}
	return entry_meta_at(e, pfd, base, path, true, err);
}

int apply_entry(struct apply_ctx *c, struct archive_entry *e, const char *path, int pfd,
		const char *base, struct berth_error **err)
{
	mode_t type = archive_entry_filetype(e);

	if (type == AE_IFREG)
		return entry_file(c, e, path, pfd, base, err);
	if (type == AE_IFDIR)
		return entry_dir(c, e, path, pfd, base, err);
	if (c->plain)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "'%s' in an image archive is not a file or directory", path);
	if (type == AE_IFLNK)
		return entry_symlink(c, e, path, pfd, base, err);
	if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO)
		return entry_node(c, e, path, pfd, base, err);
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "'%s' has an unsupported type 0%o", path,
			       (unsigned)type);
}

/* ".wh..wh..opq" makes its directory opaque, ".wh.NAME" becomes the overlay
 * whiteout of NAME (a 0/0 character device), other ".wh..wh." names (aufs
 * hard link directories) are ignored. */
int apply_whiteout(struct apply_ctx *c, struct archive_entry *e, const char *path, int pfd,
		   const char *base, struct berth_error **err)
{
	const char *name = base + strlen(WHITEOUT_PREFIX);
	int r;

	if (strcmp(base, WHITEOUT_OPAQUE) == 0) {
		if (fsetxattr(pfd, XATTR_OVERLAY_OPAQUE, "y", 1, 0) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "mark '%s' opaque",
					       path);
		return 0;
	}
	if (str_has_prefix(base, WHITEOUT_META_PREFIX))
		return 0;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid whiteout '%s'", path);
	size_t dir_len = strlen(path) - strlen(base);
	_cleanup_free_ char *target = xasprintf("%.*s%s", (int)dir_len, path, name);
	r = make_room(c, pfd, name, target, err);
	if (r < 0)
		return r;
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create whiteout '%s'",
				       target);
	return entry_meta_at(e, pfd, name, target, false, err);
}

int apply_hardlink(struct apply_ctx *c, struct archive_entry *e, const char *path,
		   const char *parent, const char *base, struct berth_error **err)
{
	_cleanup_free_ char *target = NULL;
	const char *tparent, *tbase;
	struct stat st;
	int pfd, r;

	r = archive_path_clean(archive_entry_hardlink(e), c->max_path, &target);
	if (r < 0 || !*target)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "hard link '%s' to '%s' leaves the layer", path,
				       archive_entry_hardlink(e));
	if (strcmp(target, path) == 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "hard link '%s' to itself", path);
	_cleanup_free_ char *tpath = xstrdup(target);
	archive_path_split(target, &tparent, &tbase);
	_cleanup_close_ int tfd = archive_dir_open(c->root_fd, tparent, false);
	if (tfd < 0 || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "hard link '%s': no earlier entry '%s' to link to", path,
				       tpath);
	if (S_ISDIR(st.st_mode))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "hard link '%s' to the directory '%s'", path, tpath);
	r = apply_parent_fd(c, parent, &pfd, err);
	if (r < 0)
		return r;
	if (linkat(tfd, tbase, pfd, base, 0) == 0)
		return 0;
	if (errno != EEXIST)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "link '%s'", path);
	r = make_room(c, pfd, base, path, err);
	if (r < 0)
		return r;
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "link '%s'", path);
	return 0;
}
