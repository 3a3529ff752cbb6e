/* Copying files in and out of a tree as tar streams (docker cp, the
 * archive endpoints): extraction of an untrusted tar below a directory
 * descriptor, never following a symlink or ".." out of it, with docker's
 * rules for existing entries and owners. Included by archive.h. */
#ifndef BERTH_ARCHIVE_COPY_H
#define BERTH_ARCHIVE_COPY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

enum archive_owner {
	ARCHIVE_OWNER_NONE, /* the extracting process's (the CLI: docker's NoLchown) */
	ARCHIVE_OWNER_ROOT, /* 0:0 (cp without -a) */
	ARCHIVE_OWNER_KEEP, /* the tar's (cp -a, copyUIDGID) */
};

struct archive_copy_opts {
	/* The first path component rebase_from (a name or ".") becomes rebase_to. */
	const char *rebase_from;
	const char *rebase_to;
	enum archive_owner owner;
	bool no_overwrite_dir_nondir;
};

/* The source of the tar: reads up to n bytes, returns 0 at the end, a
 * negative errno on failure. */
typedef ssize_t (*archive_read_fn)(void *data, void *buf, size_t n);

/* Extract the tar (plain, gzip, bzip2, xz or zstd) read by fn below dest_fd.
 * Entry paths are cleaned as docker's untar does (absolute names land below
 * dest_fd, ".." climbing above it is refused), every directory on the way is
 * opened without following symlinks, existing entries are replaced
 * (directories merged). An entry naming the root itself is skipped. */
int archive_copy_extract(archive_read_fn fn, void *data, int dest_fd,
			 const struct archive_copy_opts *o, struct berth_error **err);

/* Write a tar of the node base below dfd, named name (a directory with its
 * tree), to out_fd; *ret_bytes (if not NULL) gets the tar's size. */
int archive_copy_node(int out_fd, int dfd, const char *base, const char *name, uint64_t *ret_bytes,
		      struct berth_error **err);
/* The same tar given to sink in blocks of up to 1 MiB (tar_writer_sink in
 * archive.h). */
typedef int (*archive_copy_sink)(void *data, const void *buf, size_t len);
int archive_copy_node_sink(archive_copy_sink sink, void *data, int dfd, const char *base,
			   const char *name, uint64_t *ret_bytes, struct berth_error **err);

/* A path lexically cleaned as an absolute one ("/a/b"; ".." stops at "/").
 * *ret_dir_only tells whether p ended with "/" or "/." (docker: the last
 * element is then followed and must be a directory). */
char *archive_copy_path_clean(const char *p, bool *ret_dir_only);

#endif
