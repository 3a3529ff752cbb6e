/* archive internals: the decompressing, hashing input of tar readers; path
 * cleaning and confined directory lookups; the state of one unpack. */
#ifndef BERTH_ARCHIVE_INTERNAL_H
#define BERTH_ARCHIVE_INTERNAL_H

#include <archive.h>
#include <archive_entry.h>
#include <time.h>

#include "archive.h"

DEFINE_CLEANUP(struct archive, archive_read_free)
DEFINE_CLEANUP(struct archive, archive_write_free)
DEFINE_CLEANUP(struct archive_entry, archive_entry_free)

#define ARCHIVE_BUF_SIZE	(1024 * 1024)
#define ARCHIVE_DEFAULT_ENTRIES 1000000ULL
#define ARCHIVE_DEFAULT_TOTAL	(64ULL << 30)
#define ARCHIVE_DEFAULT_PATH	4096
#define WHITEOUT_PREFIX		".wh."
#define WHITEOUT_META_PREFIX	".wh..wh."
#define WHITEOUT_OPAQUE		".wh..wh..opq"
#define XATTR_OVERLAY_OPAQUE	"trusted.overlay.opaque"

/* ---- input (archive-input.c) ---- */

/* A tar stream read from a descriptor: gzip and zstd are recognised by their
 * magic bytes and decompressed here, so that the digest and the size limit
 * cover the uncompressed tar, which libarchive then parses from our buffers. */
struct archive_input;
int archive_input_new(int fd, bool digest, uint64_t max_total, struct archive_input **ret,
		      struct berth_error **err);
struct archive_input *archive_input_free(struct archive_input *in);
DEFINE_CLEANUP(struct archive_input, archive_input_free)
/* Hand the input to a libarchive reader (format tar only). */
int archive_input_open(struct archive_input *in, struct archive *a, struct berth_error **err);
/* Read the rest of the stream (after the end of the archive) and hash it. */
int archive_input_drain(struct archive_input *in, struct berth_error **err);
/* If the input failed, copy its own error (more precise than libarchive's). */
int archive_input_error(struct archive_input *in, struct berth_error **err);
uint64_t archive_input_total(const struct archive_input *in);
/* "sha256:<hex>" of the whole uncompressed stream (after the drain). */
void archive_input_digest(struct archive_input *in, char buf[static 72]);

/* ---- paths (archive-path.c) ---- */

/* Clean a member name: leading "./" and "/" runs, "." components and a
 * trailing '/' go; absolute names, ".." and names longer than max are
 * refused (-EINVAL, -ENAMETOOLONG). "" is the root. */
int archive_path_clean(const char *name, size_t max, char **ret);
/* Split a clean path into its parent ("" for the root) and last component,
 * in place. */
void archive_path_split(char *path, const char **ret_parent, const char **ret_base);
/* Open the directory rel ("" = root itself, duplicated) below root without
 * following any symlink, creating missing components (0755) if create. */
int archive_dir_open(int root_fd, const char *rel, bool create);
/* Remove name below dirfd, a whole tree if it is a directory. */
int archive_remove_at(int dfd, const char *name);

/* ---- unpacking (archive-apply.c, archive-entry.c) ---- */

struct dir_times {
	char *path;
	struct timespec ts[2];
};

struct apply_ctx {
	struct archive *a;
	int root_fd;
	bool plain; /* archive_extract_plain: files and directories only */
	uint64_t max_entries;
	size_t max_path;
	uint64_t size;
	/* The parent directory of the previous entry, as most entries share it. */
	char *cache_rel;
	int cache_fd;
	struct dir_times *dirs; /* times set once all entries are written */
	size_t n_dirs;
	size_t cap_dirs;
};

/* The directory rel inside the tree, a borrowed descriptor valid until the
 * next call or apply_cache_drop(). */
int apply_parent_fd(struct apply_ctx *c, const char *rel, int *ret, struct berth_error **err);
void apply_cache_drop(struct apply_ctx *c);
/* Create one entry (already cleaned into parent/base) with its metadata. */
int apply_entry(struct apply_ctx *c, struct archive_entry *e, const char *path, int pfd,
		const char *base, struct berth_error **err);
int apply_whiteout(struct apply_ctx *c, struct archive_entry *e, const char *path, int pfd,
		   const char *base, struct berth_error **err);
int apply_hardlink(struct apply_ctx *c, struct archive_entry *e, const char *path,
		   const char *parent, const char *base, struct berth_error **err);

/* ---- writing (tar-writer.c, tar-tree.c) ---- */

struct tar_writer {
	struct archive *a;
	int fd;
	int write_errno;
	char *buf;
	tar_writer_sink sink; /* instead of fd, if set */
	void *sink_data;
};

/* Write an entry's header, and its data from fd (size bytes) for a file. */
int tar_writer_put(struct tar_writer *w, struct archive_entry *e, int fd, struct berth_error **err);

#endif
