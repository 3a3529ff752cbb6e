/* berth archive: tar streams in and out, with libarchive.
 *
 * Every tar is untrusted. Entries are created relative to the destination's
 * directory fd with each path component resolved inside it (no "..", no
 * absolute names, no symlink or hard link followed out of the tree); entry
 * counts, name lengths and sizes are bounded. Compression (gzip, zstd, none)
 * is detected from the stream.
 */
#ifndef BERTH_ARCHIVE_H
#define BERTH_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct archive_limits {
	uint64_t max_entries;	  /* default 1,000,000 */
	uint64_t max_total_bytes; /* uncompressed; default 64 GiB */
	size_t max_path;	  /* default 4096 */
};

struct layer_apply_result {
	char diff_id[72];  /* "sha256:<hex>" of the uncompressed tar stream */
	uint64_t tar_size; /* bytes of the uncompressed tar */
	uint64_t size;	   /* bytes of regular files and symlinks written (docker's size) */
};

/* Unpack one image layer from in_fd (a tar, gzip or zstd stream, read to the
 * end) into dest_dir, an existing empty directory that becomes an overlay
 * lower directory: whiteouts ".wh.NAME" become 0/0 character devices named
 * NAME, ".wh..wh..opq" sets the trusted.overlay.opaque xattr on its
 * directory. Ownership, modes (set-id bits too), times, xattrs, hard links
 * (inside the layer), symlinks, device nodes and fifos are kept. limits may be
 * NULL for the defaults. On failure dest_dir may hold a partial tree: the
 * caller unpacks into a temporary directory and renames on success. */
int archive_apply_layer(int in_fd, const char *dest_dir, const struct archive_limits *limits,
			struct layer_apply_result *ret, struct berth_error **err);

/* Extract an outer archive (docker save or OCI layout tarball) into dest_dir:
 * regular files and directories only, anything else refused; same path rules. */
int archive_extract_plain(int in_fd, const char *dest_dir, const struct archive_limits *limits,
			  struct berth_error **err);

/* Writing tars (save, export, commit): an uncompressed tar to out_fd. */
struct tar_writer;
int tar_writer_new(int out_fd, struct tar_writer **ret, struct berth_error **err);
/* The same, the tar's bytes handed to sink (0, or a negative errno). */
typedef int (*tar_writer_sink)(void *data, const void *buf, size_t len);
int tar_writer_new_sink(tar_writer_sink sink, void *data, struct tar_writer **ret,
			struct berth_error **err);
/* Add a regular file from memory, with mode 0644, owner 0:0 and a fixed time. */
int tar_writer_add_data(struct tar_writer *w, const char *name, const void *data, size_t len,
			struct berth_error **err);
/* Add a file from the file system (copied by streaming from its fd). */
int tar_writer_add_file(struct tar_writer *w, const char *name, const char *path,
			struct berth_error **err);
int tar_writer_add_dir(struct tar_writer *w, const char *name, struct berth_error **err);
/* Add the whole tree under dir (names relative to it, prefixed by prefix or
 * none), keeping ownership, modes, times, xattrs, links and devices; overlay
 * whiteouts (0/0 char devices, opaque xattr) become ".wh." entries. */
int tar_writer_add_tree(struct tar_writer *w, const char *dir, const char *prefix,
			struct berth_error **err);
/* The same, leaving out the entries at the relative paths in skip ("etc/hosts"). */
int tar_writer_add_tree_except(struct tar_writer *w, const char *dir, const char *prefix,
			       char *const *skip, struct berth_error **err);
/* Add the node base below dfd as name (a directory with its tree under
 * name/), with the metadata add_tree keeps; nothing is followed. */
int tar_writer_add_node(struct tar_writer *w, int dfd, const char *base, const char *name,
			struct berth_error **err);
/* Finish the archive (end blocks) and free. */
int tar_writer_close(struct tar_writer *w, struct berth_error **err);
struct tar_writer *tar_writer_free(struct tar_writer *w);
DEFINE_CLEANUP(struct tar_writer, tar_writer_free)

#include "archive-copy.h"

#endif
