/* tar_writer_add_tree: a directory tree into the tar in sorted name order
 * (the same tree gives the same bytes), with owners, modes, modification
 * times in whole seconds as docker writes them (no atime or ctime: reading a
 * tree changes them; sub-second times would need a pax header per file),
 * xattrs, symlinks,
 * devices, fifos and hard links (by inode, within the tree). Overlay
 * whiteouts (0/0 character devices) become ".wh.NAME" files and opaque
 * directories get a ".wh..wh..opq" file; overlay's own xattrs are dropped.
 * Sockets are skipped. */
#define LOG_CATEGORY "archive"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "archive-internal.h"

#define TREE_MAX_DEPTH 1024

struct tree_link {
	dev_t dev;
	ino_t ino;
	char *name;
};

struct tree_ctx {
	struct tar_writer *w;
	const char *prefix;
	char *const *skip; /* relative paths left out (with their trees) */
	struct archive_entry *e;
	struct tree_link *links; /* open addressing, power-of-two capacity */
	size_t n_links;
	size_t cap_links;
};

static size_t link_slot(const struct tree_ctx *t, dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)dev;
	size_t i = (size_t)(h ^ (h >> 29)) & (t->cap_links - 1);

	while (t->links[i].name && (t->links[i].ino != ino || t->links[i].dev != dev))
		i = (i + 1) & (t->cap_links - 1);
	return i;
}

/* The first name of an inode seen before, or NULL after remembering name. */
static const char *link_find_or_add(struct tree_ctx *t, const struct stat *st, const char *name)
{
	if (t->n_links * 2 >= t->cap_links) {
		struct tree_link *old = t->links;
		size_t old_cap = t->cap_links;
		t->cap_links = old_cap ? old_cap * 2 : 64;
		t->links = xcalloc(t->cap_links, sizeof(*t->links));
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].name)
				t->links[link_slot(t, old[i].dev, old[i].ino)] = old[i];
		free(old);
	}
	size_t i = link_slot(t, st->st_dev, st->st_ino);
	if (t->links[i].name)
		return t->links[i].name;
	t->links[i] = (struct tree_link){ st->st_dev, st->st_ino, xstrdup(name) };
	t->n_links++;
	return NULL;
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_names(int dfd, char ***ret, size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = NULL;
	size_t n = 0, cap = 16;
	_cleanup_strv_ char **v = xzalloc(cap * sizeof(char *));
	int r = dir_open_at(dfd, ".", &d);

	if (r < 0)
		return r;
	for (struct dirent *de; (errno = 0, de = readdir(d));) {
		if (dirent_is_dot(de))
			continue;
		if (n + 1 >= cap) {
			cap *= 2;
			v = xrealloc(v, cap * sizeof(char *));
		}
		v[n++] = xstrdup(de->d_name);
		v[n] = NULL;
	}
	if (errno != 0)
		return -errno;
	qsort(v, n, sizeof(char *), strcmp_ptr);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

static bool xattr_is_overlay(const char *name)
{
	return str_has_prefix(name, "trusted.overlay.") || str_has_prefix(name, "user.overlay.");
}

static ssize_t xattr_get(int fd, const char *proc, const char *name, char **ret)
{
	for (;;) {
		ssize_t n = fd >= 0 ? fgetxattr(fd, name, NULL, 0) : lgetxattr(proc, name, NULL, 0);
		if (n < 0)
			return -errno;
		_cleanup_free_ char *v = xmalloc((size_t)n + 1);
		ssize_t m = fd >= 0 ? fgetxattr(fd, name, v, (size_t)n)
				    : lgetxattr(proc, name, v, (size_t)n);
		if (m < 0 && errno == ERANGE)
			continue;
		if (m < 0)
			return -errno;
		*ret = TAKE_PTR(v);
		return m;
	}
}

/* Add the xattrs of fd (or of name below dfd) to e, sorted by name; report
 * an overlay opaque marker instead of copying it. */
static int tree_xattrs(struct archive_entry *e, int fd, int dfd, const char *name, bool *opaque)
{
	char proc[PATH_MAX];
	_cleanup_free_ char *list = NULL;
	ssize_t len;

	if (fd < 0 &&
	    snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dfd, name) >= (int)sizeof(proc))
		return -ENAMETOOLONG;
	for (;;) {
		len = fd >= 0 ? flistxattr(fd, NULL, 0) : llistxattr(proc, NULL, 0);
		if (len < 0)
			return errno == ENOTSUP ? 0 : -errno;
		if (len == 0)
			return 0;
		list = xrealloc(list, (size_t)len);
		len = fd >= 0 ? flistxattr(fd, list, (size_t)len)
			      : llistxattr(proc, list, (size_t)len);
		if (len >= 0)
			break;
		if (errno != ERANGE)
			return -errno;
	}
	size_t n = 0;
	_cleanup_free_ char **names = xcalloc((size_t)len, sizeof(char *));
	for (char *p = list; p < list + len; p += strlen(p) + 1)
		if (*p)
			names[n++] = p;
	qsort(names, n, sizeof(char *), strcmp_ptr);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *value = NULL;
		ssize_t vlen = xattr_get(fd, proc, names[i], &value);
		if (vlen == -ENODATA)
			continue;
		if (vlen < 0)
			return (int)vlen;
		if (xattr_is_overlay(names[i])) {
			if (str_has_prefix(strchr(names[i], '.') + 1, "overlay.opaque") &&
			    vlen == 1 && value[0] == 'y')
				*opaque = true;
			continue;
		}
		archive_entry_xattr_add_entry(e, names[i], value, (size_t)vlen);
	}
	return 0;
}

static char *tree_name(const struct tree_ctx *t, const char *rel)
{
	return *t->prefix ? xasprintf("%s/%s", t->prefix, rel) : xstrdup(rel);
}

/* An empty regular file standing for a whiteout or an opaque directory. */
static int tree_marker(struct tree_ctx *t, const char *name, const struct stat *st, mode_t perm,
		       struct berth_error **err)
{
	archive_entry_clear(t->e);
	archive_entry_set_pathname(t->e, name);
	archive_entry_set_filetype(t->e, AE_IFREG);
	archive_entry_set_perm(t->e, perm);
	archive_entry_set_uid(t->e, st->st_uid);
	archive_entry_set_gid(t->e, st->st_gid);
	archive_entry_set_mtime(t->e, st->st_mtim.tv_sec, 0);
	archive_entry_set_size(t->e, 0);
	return tar_writer_put(t->w, t->e, -EBADF, err);
}

static int tree_dir(struct tree_ctx *t, int dfd, const char *rel, unsigned depth,
		    struct berth_error **err);

static int tree_open(int dfd, const char *name, const struct stat *st)
{
	int fd;

	if (S_ISDIR(st->st_mode))
		return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* Fill t->e for a node that is not a whiteout or a repeated hard link. */
static int tree_fill(struct tree_ctx *t, int fd, int dfd, const char *base, const char *name,
		     const struct stat *st, bool *opaque, struct berth_error **err)
{
	struct archive_entry *e = t->e;
	int r;

	archive_entry_set_filetype(e, st->st_mode & S_IFMT);
	if (S_ISREG(st->st_mode))
		archive_entry_set_size(e, st->st_size);
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, base, target, sizeof(target) - 1);
		if (n < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "readlink '%s'",
					       name);
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	}
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		archive_entry_set_rdev(e, st->st_rdev);
	r = tree_xattrs(e, fd, dfd, base, opaque);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read xattrs of '%s'", name);
	return 0;
}

static int tree_node(struct tree_ctx *t, int dfd, const char *base, const char *rel, unsigned depth,
		     struct berth_error **err)
{
	_cleanup_free_ char *name = tree_name(t, rel);
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	bool opaque = false;
	int r;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat '%s'", name);
	if (S_ISSOCK(st.st_mode))
		return 0;
	if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
		size_t dir_len = strlen(name) - strlen(base);
		_cleanup_free_ char *wh =
			xasprintf("%.*s" WHITEOUT_PREFIX "%s", (int)dir_len, name, base);
		return tree_marker(t, wh, &st, 0600, err);
	}
	archive_entry_clear(t->e);
	archive_entry_set_pathname(t->e, name);
	archive_entry_set_perm(t->e, st.st_mode & 07777);
	archive_entry_set_uid(t->e, st.st_uid);
	archive_entry_set_gid(t->e, st.st_gid);
	archive_entry_set_mtime(t->e, st.st_mtim.tv_sec, 0);
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		const char *first = link_find_or_add(t, &st, name);
		if (first) {
			archive_entry_set_filetype(t->e, AE_IFREG);
			archive_entry_set_hardlink(t->e, first);
			archive_entry_set_size(t->e, 0);
			return tar_writer_put(t->w, t->e, -EBADF, err);
		}
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = tree_open(dfd, base, &st);
		if (fd < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", name);
	}
	r = tree_fill(t, fd, dfd, base, name, &st, &opaque, err);
	if (r < 0)
		return r;
	r = tar_writer_put(t->w, t->e, S_ISREG(st.st_mode) ? fd : -EBADF, err);
	if (r < 0 || !S_ISDIR(st.st_mode))
		return r;
	if (opaque) {
		_cleanup_free_ char *marker = xasprintf("%s/" WHITEOUT_OPAQUE, name);
		r = tree_marker(t, marker, &st, st.st_mode & 0777, err);
		if (r < 0)
			return r;
	}
	return tree_dir(t, fd, rel, depth + 1, err);
}

static int tree_dir(struct tree_ctx *t, int dfd, const char *rel, unsigned depth,
		    struct berth_error **err)
{
	_cleanup_strv_ char **names = NULL;
	size_t n = 0;
	int r;

	if (depth > TREE_MAX_DEPTH)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "'%s' is nested too deeply", rel);
	r = read_names(dfd, &names, &n);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read directory '%s'",
				       *rel ? rel : ".");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *child =
			*rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		if (t->skip && strv_contains(t->skip, child))
			continue;
		r = tree_node(t, dfd, names[i], child, depth, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static void tree_ctx_done(struct tree_ctx *t)
{
	for (size_t i = 0; i < t->cap_links; i++)
		free(t->links[i].name);
	free(t->links);
	if (t->e)
		archive_entry_free(t->e);
}

/* An opaque root: its marker at the top, as archive_apply_layer reads it. */
static int tree_root_marker(struct tree_ctx *t, int root, const char *dir, struct berth_error **err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *scratch = archive_entry_new();
	_cleanup_free_ char *marker = NULL;
	bool opaque = false;
	struct stat st;
	int r;

	if (!scratch)
		abort();
	r = tree_xattrs(scratch, root, -EBADF, NULL, &opaque);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read xattrs of '%s'", dir);
	if (!opaque)
		return 0;
	if (fstat(root, &st) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat '%s'", dir);
	marker = tree_name(t, WHITEOUT_OPAQUE);
	return tree_marker(t, marker, &st, st.st_mode & 0777, err);
}

int tar_writer_add_tree(struct tar_writer *w, const char *dir, const char *prefix,
			struct berth_error **err)
{
	return tar_writer_add_tree_except(w, dir, prefix, NULL, err);
}

int tar_writer_add_tree_except(struct tar_writer *w, const char *dir, const char *prefix,
			       char *const *skip, struct berth_error **err)
{
	_cleanup_free_ char *clean = NULL;
	_cleanup_close_ int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_(tree_ctx_done) struct tree_ctx t = { .w = w, .skip = skip };
	int r;

	if (root < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", dir);
	if (archive_path_clean(prefix ? prefix : "", ARCHIVE_DEFAULT_PATH, &clean) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid prefix '%s'", prefix);
	t.prefix = clean;
	t.e = archive_entry_new();
	if (!t.e)
		abort();
	r = tree_root_marker(&t, root, dir, err);
	if (r < 0)
		return r;
	return tree_dir(&t, root, "", 0, err);
}

int tar_writer_add_node(struct tar_writer *w, int dfd, const char *base, const char *name,
			struct berth_error **err)
{
	_cleanup_(tree_ctx_done) struct tree_ctx t = { .w = w, .prefix = "" };

	t.e = archive_entry_new();
	if (!t.e)
		abort();
	return tree_node(&t, dfd, base, name, 0, err);
}
