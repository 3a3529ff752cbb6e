/* Writing uncompressed tars with libarchive: restricted pax (ustar headers,
 * pax records only where needed: long names, big ids, nanosecond times,
 * SCHILY.xattr), no padding after the end blocks, 1 MiB writes to the fd. */
#define LOG_CATEGORY "archive"
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "archive-internal.h"

static la_ssize_t writer_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	struct tar_writer *w = data;
	int r = w->sink ? w->sink(w->sink_data, buf, len) : fd_write_all(w->fd, buf, len);

	if (r < 0) {
		w->write_errno = -r;
		archive_set_error(a, -r, "write: %s", strerror(-r));
		return -1;
	}
	return (la_ssize_t)len;
}

static int writer_fail(struct tar_writer *w, const char *what, const char *name,
		       struct berth_error **err)
{
	if (w->write_errno)
		return berth_error_set(err, w->write_errno, BERTH_ERR_INTERNAL, "%s '%s'", what,
				       name);
	return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "%s '%s': %s", what, name,
			       archive_error_string(w->a));
}

int tar_writer_new(int out_fd, struct tar_writer **ret, struct berth_error **err)
{
	_cleanup_(tar_writer_freep) struct tar_writer *w = xzalloc(sizeof(*w));

	w->fd = out_fd;
	w->a = archive_write_new();
	if (!w->a)
		abort();
	w->buf = xmalloc(ARCHIVE_BUF_SIZE);
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_format_option(w->a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, ARCHIVE_BUF_SIZE) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, writer_cb, NULL, NULL) != ARCHIVE_OK)
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "tar writer: %s",
				       archive_error_string(w->a));
	*ret = TAKE_PTR(w);
	return 0;
}

int tar_writer_new_sink(tar_writer_sink sink, void *data, struct tar_writer **ret,
			struct berth_error **err)
{
	int r = tar_writer_new(-EBADF, ret, err);

	if (r < 0)
		return r;
	(*ret)->sink = sink;
	(*ret)->sink_data = data;
	return 0;
}

int tar_writer_put(struct tar_writer *w, struct archive_entry *e, int fd, struct berth_error **err)
{
	const char *name = archive_entry_pathname(e);
	la_int64_t left = archive_entry_size(e);

	/* ARCHIVE_WARN: a name that is not UTF-8 went out as hdrcharset=BINARY. */
	if (archive_write_header(w->a, e) < ARCHIVE_WARN)
		return writer_fail(w, "write header of", name, err);
	while (fd >= 0 && left > 0) {
		size_t want = left < ARCHIVE_BUF_SIZE ? (size_t)left : ARCHIVE_BUF_SIZE;
		ssize_t n = read(fd, w->buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "read '%s'", name);
		if (n == 0)
			return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
					       "'%s' shrank while being archived", name);
		if (archive_write_data(w->a, w->buf, (size_t)n) != n)
			return writer_fail(w, "write data of", name, err);
		left -= n;
	}
	if (archive_write_finish_entry(w->a) < ARCHIVE_WARN)
		return writer_fail(w, "finish", name, err);
	return 0;
}

static int writer_entry(const char *name, mode_t type, mode_t perm, struct archive_entry **ret,
			struct berth_error **err)
{
	_cleanup_free_ char *clean = NULL;

	if (archive_path_clean(name, ARCHIVE_DEFAULT_PATH, &clean) < 0 || !*clean)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid tar entry name '%s'",
				       name);
	struct archive_entry *e = archive_entry_new();
	if (!e)
		abort();
	archive_entry_set_pathname(e, clean);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0);
	*ret = e;
	return 0;
}

int tar_writer_add_data(struct tar_writer *w, const char *name, const void *data, size_t len,
			struct berth_error **err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e = NULL;
	int r = writer_entry(name, AE_IFREG, 0644, &e, err);

	if (r < 0)
		return r;
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(w->a, e) < ARCHIVE_WARN)
		return writer_fail(w, "write header of", name, err);
	if (len > 0 && archive_write_data(w->a, data, len) != (la_ssize_t)len)
		return writer_fail(w, "write data of", name, err);
	if (archive_write_finish_entry(w->a) < ARCHIVE_WARN)
		return writer_fail(w, "finish", name, err);
	return 0;
}

/* Owner 0:0 and time 0 like add_data; the mode is 0755 when the file is
 * executable by anyone, else 0644. */
int tar_writer_add_file(struct tar_writer *w, const char *name, const char *path,
			struct berth_error **err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", path);
	if (!S_ISREG(st.st_mode))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "'%s' is not a regular file",
				       path);
	r = writer_entry(name, AE_IFREG, (st.st_mode & 0111) ? 0755 : 0644, &e, err);
	if (r < 0)
		return r;
	archive_entry_set_size(e, st.st_size);
	return tar_writer_put(w, e, fd, err);
}

int tar_writer_add_dir(struct tar_writer *w, const char *name, struct berth_error **err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e = NULL;
	int r = writer_entry(name, AE_IFDIR, 0755, &e, err);

	if (r < 0)
		return r;
	return tar_writer_put(w, e, -EBADF, err);
}

int tar_writer_close(struct tar_writer *w, struct berth_error **err)
{
	int r = 0;

	if (archive_write_close(w->a) != ARCHIVE_OK)
		r = writer_fail(w, "finish", "archive", err);
	tar_writer_free(w);
	return r;
}

/* Without close, no end blocks are written: a half-written tar must not look
 * complete. */
struct tar_writer *tar_writer_free(struct tar_writer *w)
{
	if (!w)
		return NULL;
	if (w->a) {
		(void)archive_write_fail(w->a);
		(void)archive_write_free(w->a);
	}
	free(w->buf);
	free(w);
	return NULL;
}
