/* Unpacking tar streams: image layers into overlay lower directories
 * (archive_apply_layer) and outer image archives (archive_extract_plain).
 *
 * One pass: the input decompresses and hashes while libarchive parses, and
 * each entry is created relative to the parent directory's descriptor. The
 * parent of the previous entry stays open, so a directory of many files
 * costs one lookup. Directory times are set at the end, once their contents
 * stopped changing. Nothing is fsynced: durability is the caller's (syncfs
 * on the destination before it renames the tree into place). */
#define LOG_CATEGORY "archive"
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "archive-internal.h"

void apply_cache_drop(struct apply_ctx *c)
{
	closep(&c->cache_fd);
	c->cache_fd = -EBADF;
	free(c->cache_rel);
	c->cache_rel = NULL;
}

int apply_parent_fd(struct apply_ctx *c, const char *rel, int *ret, struct berth_error **err)
{
	if (!*rel) {
		*ret = c->root_fd;
		return 0;
	}
	if (c->cache_rel && strcmp(c->cache_rel, rel) == 0) {
		*ret = c->cache_fd;
		return 0;
	}
	int fd = archive_dir_open(c->root_fd, rel, true);
	if (fd < 0) {
		const char *why = fd == -ELOOP	   ? "goes through a symlink"
				  : fd == -ENOTDIR ? "goes through a non-directory"
				  : fd == -EXDEV   ? "leaves the destination"
						   : NULL;
		if (why)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "'%s' %s", rel, why);
		return berth_error_set(err, -fd, BERTH_ERR_INTERNAL, "open directory '%s'", rel);
	}
	apply_cache_drop(c);
	c->cache_rel = xstrdup(rel);
	c->cache_fd = fd;
	*ret = fd;
	return 0;
}

static void apply_ctx_done(struct apply_ctx *c)
{
	apply_cache_drop(c);
	for (size_t i = 0; i < c->n_dirs; i++)
		free(c->dirs[i].path);
	free(c->dirs);
	closep(&c->root_fd);
}

/* Directory times last: creating entries inside changed them. A directory
 * that was replaced meanwhile is skipped. */
static int apply_dir_times(struct apply_ctx *c, struct berth_error **err)
{
	apply_cache_drop(c);
	for (size_t i = 0; i < c->n_dirs; i++) {
		_cleanup_close_ int fd = archive_dir_open(c->root_fd, c->dirs[i].path, false);
		if (fd < 0)
			continue;
		if (futimens(fd, c->dirs[i].ts) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "set times of '%s'",
					       c->dirs[i].path);
	}
	return 0;
}

static int apply_one(struct apply_ctx *c, struct archive_entry *e, struct berth_error **err)
{
	_cleanup_free_ char *path = NULL;
	const char *name = archive_entry_pathname(e);
	const char *parent, *base;
	int pfd, r;

	if (!name)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "entry without a name");
	r = archive_path_clean(name, c->max_path, &path);
	if (r == -ENAMETOOLONG)
		return berth_error_set(err, ENAMETOOLONG, BERTH_ERR_INVALID,
				       "entry name longer than %zu bytes", c->max_path);
	if (r < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "entry '%s' is absolute or contains '..'", name);
	if (!*path) {
		if (archive_entry_filetype(e) == AE_IFDIR && !archive_entry_hardlink(e))
			return 0; /* the root itself: the destination keeps its own */
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "entry '%s' replaces the root",
				       name);
	}
	/* aufs metadata (".wh..wh.plnk" and the like) has no meaning here. */
	if (!c->plain && str_has_prefix(path, WHITEOUT_META_PREFIX) &&
	    strcmp(path, WHITEOUT_OPAQUE) != 0)
		return 0;
	_cleanup_free_ char *full = xstrdup(path);
	archive_path_split(path, &parent, &base);
	if (!c->plain && str_has_prefix(base, WHITEOUT_PREFIX)) {
		r = apply_parent_fd(c, parent, &pfd, err);
		if (r < 0)
			return r;
		return apply_whiteout(c, e, full, pfd, base, err);
	}
	if (archive_entry_hardlink(e)) {
		if (c->plain)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "hard link '%s' in an image archive", full);
		return apply_hardlink(c, e, full, parent, base, err);
	}
	r = apply_parent_fd(c, parent, &pfd, err);
	if (r < 0)
		return r;
	return apply_entry(c, e, full, pfd, base, err);
}

static int apply_stream(struct apply_ctx *c, struct archive_input *in, struct berth_error **err)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();
	struct archive_entry *e;
	uint64_t n = 0;
	int r;

	if (!a)
		abort();
	c->a = a;
	r = archive_input_open(in, a, err);
	if (r < 0)
		return r;
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			int q = archive_input_error(in, err);
			if (q < 0)
				return q;
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "tar: %s",
					       archive_error_string(a));
		}
		if (++n > c->max_entries)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "more than %" PRIu64 " entries", c->max_entries);
		r = apply_one(c, e, err);
		if (r < 0)
			return r;
	}
	c->a = NULL;
	r = archive_input_drain(in, err);
	if (r < 0)
		return r;
	return apply_dir_times(c, err);
}

static int apply_run(int in_fd, const char *dest_dir, const struct archive_limits *limits,
		     bool plain, struct layer_apply_result *ret, struct berth_error **err)
{
	_cleanup_(archive_input_freep) struct archive_input *in = NULL;
	_cleanup_(apply_ctx_done) struct apply_ctx c = {
		.root_fd = -EBADF,
		.cache_fd = -EBADF,
		.plain = plain,
		.max_entries = limits && limits->max_entries ? limits->max_entries
							     : ARCHIVE_DEFAULT_ENTRIES,
		.max_path = limits && limits->max_path ? limits->max_path : ARCHIVE_DEFAULT_PATH,
	};
	uint64_t max_total =
		limits && limits->max_total_bytes ? limits->max_total_bytes : ARCHIVE_DEFAULT_TOTAL;
	int r;

	c.root_fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.root_fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", dest_dir);
	r = archive_input_new(in_fd, !plain, max_total, &in, err);
	if (r == 0)
		r = apply_stream(&c, in, err);
	if (r < 0)
		return r;
	if (ret) {
		archive_input_digest(in, ret->diff_id);
		ret->tar_size = archive_input_total(in);
		ret->size = c.size;
	}
	return 0;
}

int archive_apply_layer(int in_fd, const char *dest_dir, const struct archive_limits *limits,
			struct layer_apply_result *ret, struct berth_error **err)
{
	struct layer_apply_result res = { 0 };
	int r = apply_run(in_fd, dest_dir, limits, false, &res, err);

	if (r < 0)
		return berth_error_wrap(err, "apply layer");
	if (ret)
		*ret = res;
	return 0;
}

int archive_extract_plain(int in_fd, const char *dest_dir, const struct archive_limits *limits,
			  struct berth_error **err)
{
	int r = apply_run(in_fd, dest_dir, limits, true, NULL, err);

	if (r < 0)
		return berth_error_wrap(err, "extract archive");
	return 0;
}
