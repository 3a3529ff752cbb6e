/* archive_copy_*: tars of one node out, and untrusted tars into a directory
 * (see archive-copy.h). Every directory on an entry's way is opened with
 * O_NOFOLLOW from the destination's descriptor, so a symlink in the tree
 * (placed there by a container, or by an earlier entry) is never followed;
 * names are cleaned first as docker's untar cleans them (an absolute name
 * lands below the destination, a ".." climbing above it is refused). */
#define LOG_CATEGORY "archive"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "archive-internal.h"

struct copy_src {
	archive_read_fn fn;
	void *data;
	char *buf;
};

struct copy_ctx {
	struct archive *a;
	int dest_fd;
	const struct archive_copy_opts *o;
	struct dir_times *dirs;
	size_t n_dirs;
};

static la_ssize_t copy_read(struct archive *a, void *data, const void **ret)
{
	struct copy_src *s = data;
	ssize_t n;

	do
		n = s->fn(s->data, s->buf, ARCHIVE_BUF_SIZE);
	while (n == -EINTR);
	if (n < 0) {
		archive_set_error(a, (int)-n, "read the tar stream: %s", strerror((int)-n));
		return -1;
	}
	*ret = s->buf;
	return n;
}

/* Open rel below root, each component without following symlinks; missing
 * directories are made (0755) when create. */
static int walk_dirs(int root, const char *rel, bool create)
{
	_cleanup_free_ char *copy = xstrdup(rel);
	_cleanup_close_ int cur = fcntl(root, F_DUPFD_CLOEXEC, 3);
	char *save = NULL;

	if (cur < 0)
		return -errno;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int fd = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
				return -errno;
			fd = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0)
			return errno == ELOOP ? -ENOTDIR : -errno;
		closep(&cur);
		cur = fd;
	}
	return TAKE_FD(cur);
}

/* A name of an entry made relative to the destination as docker's untar
 * does: a leading "/" is dropped (an absolute name lands below the
 * destination), "." and ".." are resolved lexically, and a ".." that would
 * climb above the destination is an error. */
static int copy_path_clean(const char *name, char **ret)
{
	size_t len = strlen(name), o = 0;

	if (len > ARCHIVE_DEFAULT_PATH)
		return -ENAMETOOLONG;
	_cleanup_free_ char *out = xmalloc(len + 1);
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0)
				return -EINVAL;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* The cleaned, rebased name of an entry ("" for the root). */
static int entry_path(struct copy_ctx *c, const char *name, char **ret)
{
	_cleanup_free_ char *p = NULL;
	const char *from = c->o->rebase_from;

	if (copy_path_clean(name, &p) < 0)
		return -EINVAL;
	if (from && c->o->rebase_to) {
		size_t n = strcmp(from, ".") == 0 ? 0 : strlen(from);
		if (n == 0 || (strncmp(p, from, n) == 0 && (p[n] == '\0' || p[n] == '/'))) {
			const char *rest = p + n;
			while (*rest == '/')
				rest++;
			char *q = *rest ? xasprintf("%s/%s", c->o->rebase_to, rest)
					: xstrdup(c->o->rebase_to);
			free(p);
			p = NULL;
			if (copy_path_clean(q, &p) < 0) {
				free(q);
				return -EINVAL;
			}
			free(q);
		}
	}
	*ret = TAKE_PTR(p);
	return 0;
}

/* The entry's data, written from libarchive's own buffer (no copy), at
 * the offsets it gives (holes of sparse entries stay holes). */
static int write_data(struct copy_ctx *c, int fd, const char *path, struct berth_error **err)
{
	int64_t end = 0;

	for (;;) {
		const void *block = NULL;
		size_t size = 0;
		la_int64_t off = 0;
		int k = archive_read_data_block(c->a, &block, &size, &off);
		if (k == ARCHIVE_EOF)
			break;
		if (k < ARCHIVE_WARN)
			return berth_error_set(err, EIO, BERTH_ERR_INVALID,
					       "read '%s' from the tar: %s", path,
					       archive_error_string(c->a));
		for (size_t done = 0; done < size;) {
			ssize_t n = pwrite(fd, (const char *)block + done, size - done,
					   (off_t)(off + (la_int64_t)done));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return berth_error_set(err, n < 0 ? errno : EIO, BERTH_ERR_INTERNAL,
						       "write '%s'", path);
			done += (size_t)n;
		}
		if (off + (la_int64_t)size > end)
			end = off + (la_int64_t)size;
	}
	if (ftruncate(fd, (off_t)end) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "size '%s'", path);
	return 0;
}

/* Make room for the entry: an existing directory stays for a directory,
 * anything else goes (docker's NoOverwriteDirNonDir refuses a change of kind). */
static int make_room(struct copy_ctx *c, int pfd, const char *base, const char *path, bool is_dir,
		     bool *ret_keep, struct berth_error **err)
{
	struct stat st;
	int r;

	*ret_keep = false;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (S_ISDIR(st.st_mode) && is_dir) {
		*ret_keep = true;
		return 0;
	}
	if (c->o->no_overwrite_dir_nondir && S_ISDIR(st.st_mode) != is_dir)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			S_ISDIR(st.st_mode)
				? "cannot overwrite directory \"/%s\" with non-directory \"/%s\""
				: "cannot overwrite non-directory \"/%s\" with directory \"/%s\"",
			path, path);
	r = archive_remove_at(pfd, base);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "remove '%s'", path);
	return 0;
}

static int set_meta(struct copy_ctx *c, struct archive_entry *e, int pfd, const char *base,
		    const char *path, struct berth_error **err)
{
	mode_t type = archive_entry_filetype(e);
	struct timespec ts[2] = { { archive_entry_atime(e), archive_entry_atime_nsec(e) },
				  { archive_entry_mtime(e), archive_entry_mtime_nsec(e) } };
	uid_t uid = c->o->owner == ARCHIVE_OWNER_KEEP ? (uid_t)archive_entry_uid(e) : 0;
	gid_t gid = c->o->owner == ARCHIVE_OWNER_KEEP ? (gid_t)archive_entry_gid(e) : 0;

	if (!archive_entry_atime_is_set(e))
		ts[0] = ts[1];
	if (c->o->owner != ARCHIVE_OWNER_NONE &&
	    fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chown '%s'", path);
	/* never followed: a running container may have swapped the entry for a
	 * link meanwhile */
	if (type != AE_IFLNK &&
	    fchmodat(pfd, base, archive_entry_perm(e) & 07777, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chmod '%s'", path);
	if (type == AE_IFDIR) {
		c->dirs = xrealloc(c->dirs, (c->n_dirs + 1) * sizeof(*c->dirs));
		c->dirs[c->n_dirs].path = xstrdup(path);
		memcpy(c->dirs[c->n_dirs].ts, ts, sizeof(ts));
		c->n_dirs++;
		return 0;
	}
	(void)utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int extract_hardlink(struct copy_ctx *c, const char *target, int pfd, const char *base,
			    const char *path, struct berth_error **err)
{
	_cleanup_free_ char *t = NULL;
	_cleanup_close_ int tfd = -EBADF;
	const char *tparent, *tbase;

	if (entry_path(c, target, &t) < 0 || !*t)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid hard link target '%s'",
				       target);
	archive_path_split(t, &tparent, &tbase);
	tfd = walk_dirs(c->dest_fd, tparent, false);
	if (tfd < 0)
		return berth_error_set(err, -tfd, BERTH_ERR_INVALID, "hard link target '%s'",
				       target);
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "hard link '%s' to '%s'",
				       path, target);
	return 0;
}

static int extract_entry(struct copy_ctx *c, struct archive_entry *e, struct berth_error **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int pfd = -EBADF, fd = -EBADF;
	const char *parent, *base, *name = archive_entry_pathname(e);
	const char *hl = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	bool keep;
	int r;

	if (!name || entry_path(c, name, &path) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid tar entry name '%s'",
				       name ? name : "");
	if (!*path)
		return 0; /* the root itself: the destination stays as it is */
	_cleanup_free_ char *split = xstrdup(path);
	archive_path_split(split, &parent, &base);
	pfd = walk_dirs(c->dest_fd, parent, true);
	if (pfd < 0)
		return berth_error_set(err, -pfd, BERTH_ERR_INVALID, "parent of '%s'", path);
	r = make_room(c, pfd, base, path, !hl && type == AE_IFDIR, &keep, err);
	if (r < 0)
		return r;
	if (hl)
		return extract_hardlink(c, hl, pfd, base, path, err);
	switch (type) {
	case AE_IFDIR:
		if (!keep && mkdirat(pfd, base, 0700) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "mkdir '%s'", path);
		break;
	case AE_IFREG:
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create '%s'", path);
		r = write_data(c, fd, path, err);
		if (r < 0)
			return r;
		break;
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);
		if (!target || symlinkat(target, pfd, base) < 0)
			return berth_error_set(err, target ? errno : EINVAL, BERTH_ERR_INTERNAL,
					       "symlink '%s'", path);
		break;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		if (mknodat(pfd, base, type | 0600, archive_entry_rdev(e)) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "mknod '%s'", path);
		break;
	default:
		return 0; /* sockets and unknown kinds are skipped */
	}
	return set_meta(c, e, pfd, base, path, err);
}

/* Directory times last: the entries written inside changed them. */
static void restore_dir_times(struct copy_ctx *c)
{
	for (size_t i = c->n_dirs; i-- > 0;) {
		const char *parent, *base;
		archive_path_split(c->dirs[i].path, &parent, &base);
		_cleanup_close_ int pfd = walk_dirs(c->dest_fd, parent, false);
		if (pfd >= 0)
			(void)utimensat(pfd, base, c->dirs[i].ts, AT_SYMLINK_NOFOLLOW);
		free(c->dirs[i].path);
	}
	free(c->dirs);
}

int archive_copy_extract(archive_read_fn fn, void *data, int dest_fd,
			 const struct archive_copy_opts *o, struct berth_error **err)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();
	_cleanup_free_ char *inbuf = xmalloc(ARCHIVE_BUF_SIZE);
	struct copy_src src = { fn, data, inbuf };
	struct copy_ctx c = { .a = a, .dest_fd = dest_fd, .o = o };
	struct archive_entry *e;
	uint64_t n = 0;
	int r = 0;

	if (!a)
		abort();
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open(a, &src, NULL, copy_read, NULL) != ARCHIVE_OK)
		return berth_error_set(err, EIO, BERTH_ERR_INVALID, "read the tar stream: %s",
				       archive_error_string(a));
	for (;;) {
		int k = archive_read_next_header(a, &e);
		if (k == ARCHIVE_EOF)
			break;
		if (k < ARCHIVE_WARN) {
			r = berth_error_set(err, EIO, BERTH_ERR_INVALID, "read the tar stream: %s",
					    archive_error_string(a));
			break;
		}
		if (++n > ARCHIVE_DEFAULT_ENTRIES) {
			r = berth_error_set(err, 0, BERTH_ERR_INVALID,
					    "too many entries in the tar");
			break;
		}
		r = extract_entry(&c, e, err);
		if (r < 0)
			break;
	}
	restore_dir_times(&c);
	return r;
}

/* Write the tree of the node and the end of the tar to w. */
static int copy_node(struct tar_writer *w, int dfd, const char *base, const char *name,
		     uint64_t *ret_bytes, struct berth_error **err)
{
	int r = tar_writer_add_node(w, dfd, base, name, err);

	if (r < 0)
		return r;
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return berth_error_set(err, w->write_errno ? w->write_errno : EIO,
				       BERTH_ERR_INTERNAL, "finish the tar: %s",
				       archive_error_string(w->a));
	if (ret_bytes)
		*ret_bytes = (uint64_t)archive_filter_bytes(w->a, -1);
	return 0;
}

int archive_copy_node(int out_fd, int dfd, const char *base, const char *name, uint64_t *ret_bytes,
		      struct berth_error **err)
{
	_cleanup_(tar_writer_freep) struct tar_writer *w = NULL;
	int r = tar_writer_new(out_fd, &w, err);

	return r < 0 ? r : copy_node(w, dfd, base, name, ret_bytes, err);
}

int archive_copy_node_sink(archive_copy_sink sink, void *data, int dfd, const char *base,
			   const char *name, uint64_t *ret_bytes, struct berth_error **err)
{
	_cleanup_(tar_writer_freep) struct tar_writer *w = NULL;
	int r = tar_writer_new_sink(sink, data, &w, err);

	return r < 0 ? r : copy_node(w, dfd, base, name, ret_bytes, err);
}

char *archive_copy_path_clean(const char *p, bool *ret_dir_only)
{
	size_t len = strlen(p);
	_cleanup_free_ char *copy = xstrdup(p);
	char *out = xmalloc(len + 2), *save = NULL;
	size_t o = 0;

	if (ret_dir_only)
		*ret_dir_only = len > 0 && (p[len - 1] == '/' ||
					    (p[len - 1] == '.' && (len == 1 || p[len - 2] == '/')));
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, c, strlen(c));
		o += strlen(c);
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}
