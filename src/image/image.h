/* berth image: references, image configs, the layer store, overlay mounts,
 * and image archives (docker save / OCI layout: load and save; rootfs
 * tarballs: import).
 *
 * This module keeps files (blobs in the content store, unpacked layers under
 * <data-root>/layers/<chain-id hex>/); the daemon keeps the records (which
 * images exist, their tags) in its database. Every function that creates
 * files either completes or leaves nothing a restart would see: layers are
 * unpacked into "layers/tmp-*" and renamed into place, and layer_store_open
 * removes leftovers. Inputs (archives, configs, references) are untrusted.
 */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "store.h"

/* ---- references ---- */

/* "busybox" -> docker.io/library/busybox:latest; "localhost:5000/a/b@sha256:..". */
struct image_ref {
	char *domain; /* "docker.io", "localhost:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* NULL when only a digest is given */
	char *digest; /* NULL when absent */
};

/* Parse and normalize as docker does; a missing tag becomes "latest" unless a
 * digest is given. Errors read like docker's: "invalid reference format". */
int image_ref_parse(const char *s, struct image_ref **ret, struct berth_error **err);
struct image_ref *image_ref_free(struct image_ref *r);
DEFINE_CLEANUP(struct image_ref, image_ref_free)
/* "docker.io/library/busybox:latest" (digest form when no tag). */
char *image_ref_string(const struct image_ref *r);
/* "busybox:latest", "localhost:5000/a/b:v1": how docker shows a name. */
char *image_ref_familiar(const struct image_ref *r);
/* "docker.io/library/busybox" */
char *image_ref_repo(const struct image_ref *r);
/* Whether s looks like an image id or id prefix (hex, 64 or fewer chars) or "sha256:<hex>". */
bool image_is_id_like(const char *s);

/* ---- image config (OCI image config / Docker image JSON) ---- */

struct image_history {
	char *created;
	char *created_by;
	char *author;
	char *comment;
	bool empty_layer;
};

struct image_config {
	char *architecture, *os, *variant;
	char *created; /* RFC 3339 */
	char *author;
	/* config */
	char *user;
	char **env;
	char **entrypoint; /* NULL: unset; empty vector: set to [] */
	char **cmd;
	char *working_dir;
	struct {
		char *key, *value;
	} * labels;
	size_t n_labels;
	char **exposed_ports; /* "80/tcp" */
	char **volumes;	      /* "/data" */
	char *stop_signal;
	char **healthcheck_test; /* NULL when none */
	int64_t healthcheck_interval, healthcheck_timeout, healthcheck_start_period; /* ns */
	int64_t healthcheck_start_interval;					     /* ns */
	int healthcheck_retries;
	char **onbuild;
	char **shell;
	/* rootfs */
	char **diff_ids;
	size_t n_diff_ids;
	struct image_history *history;
	size_t n_history;
};

int image_config_parse(const char *json, size_t len, struct image_config **ret,
		       struct berth_error **err);
struct image_config *image_config_free(struct image_config *c);
DEFINE_CLEANUP(struct image_config, image_config_free)
/* Serialize (canonical key order) for a new image (import, later commit/build). */
char *image_config_to_json(const struct image_config *c);

/* ---- layers ---- */

#define CHAIN_ID_LEN DIGEST_LEN

/* OCI ChainID: diff_id for the bottom layer, else sha256("<parent> <diff_id>"). */
void layer_chain_id(const char *parent_chain, const char *diff_id,
		    char ret[static CHAIN_ID_LEN + 1]);

struct layer_store;

/* <data_root>/layers; removes "tmp-*" leftovers of interrupted unpacks. */
int layer_store_open(const char *data_root, struct layer_store **ret, struct berth_error **err);
struct layer_store *layer_store_free(struct layer_store *ls);
DEFINE_CLEANUP(struct layer_store, layer_store_free)
bool layer_store_has(struct layer_store *ls, const char *chain_id);
char *layer_store_path(struct layer_store *ls, const char *chain_id);
/* Unpack a layer tar stream (any compression) as the child of parent_chain
 * (NULL: bottom layer; it must exist unless expected_diff_id is given, so
 * that a pull can unpack layers in any order). If expected_diff_id is
 * given, a different diff id is an error and nothing is kept. A chain that
 * exists already is not unpacked again (the stream is still read to verify
 * it). */
int layer_store_apply(struct layer_store *ls, const char *parent_chain, int tar_fd,
		      const char *expected_diff_id, char ret_chain[static CHAIN_ID_LEN + 1],
		      char ret_diff_id[static DIGEST_LEN + 1], uint64_t *ret_size,
		      struct berth_error **err);
int layer_store_remove(struct layer_store *ls, const char *chain_id, struct berth_error **err);
int layer_store_list(struct layer_store *ls, char ***ret, struct berth_error **err);
/* Remove "tmp-*" leftovers (as layer_store_open does): only when no other
 * process unpacks into the store. */
void layer_store_clean_tmp(struct layer_store *ls);
/* Disk usage of a layer's tree in bytes. */
int layer_store_size(struct layer_store *ls, const char *chain_id, uint64_t *ret);

/* Mount an overlay of the chain (bottom first) with upper and work
 * directories under container_dir ("upper", "work", created if missing) on
 * target. An image with no layers gets an empty lower directory. */
int layer_mount_overlay(struct layer_store *ls, char *const *chain_ids, size_t n,
			const char *container_dir, const char *target, struct berth_error **err);
/* The same for a container that is removed when it stops: a volatile overlay
 * (kernel 6.8 or later, else a durable one) never syncs the upper directory,
 * so that its unmount does not flush the whole file system underneath (1 to
 * 10 ms); after a crash the upper directory may be incomplete. */
int layer_mount_overlay_volatile(struct layer_store *ls, char *const *chain_ids, size_t n,
				 const char *container_dir, const char *target,
				 struct berth_error **err);
int layer_unmount(const char *target, struct berth_error **err);

#include "image-archive.h"

#endif
