/* berth store: the content store. Blobs by sha256 digest under
 * <root>/blobs/sha256/<hex>: written to a temporary file, digest checked,
 * fsynced, renamed into place — so a blob's name always matches its content,
 * and a crash leaves only temporary files, which blob_store_open removes.
 * Nothing read back is trusted without its digest: small blobs (manifests,
 * configs) are verified on every read.
 *
 * Digests are "sha256:<64 lowercase hex>"; anything else is refused.
 */
#ifndef BERTH_STORE_H
#define BERTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_LEN     (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

/* ---- digests ---- */

bool digest_is_valid(const char *digest);
/* "sha256:<hex>" of data. buf receives DIGEST_LEN + 1 bytes. */
void digest_of(const void *data, size_t len, char buf[static DIGEST_LEN + 1]);

/* Incremental SHA-256 (for streams: layer diff ids while unpacking). */
struct digester;
struct digester *digester_new(void);
void digester_update(struct digester *d, const void *data, size_t len);
/* Finish into "sha256:<hex>"; the digester can't be used afterwards. */
void digester_final(struct digester *d, char buf[static DIGEST_LEN + 1]);
struct digester *digester_free(struct digester *d);
DEFINE_CLEANUP(struct digester, digester_free)

/* ---- the blob store ---- */

struct blob_store;

/* Open (creating) the store under root; removes leftover temporary files. */
int blob_store_open(const char *root, struct blob_store **ret, struct berth_error **err);
struct blob_store *blob_store_free(struct blob_store *s);
DEFINE_CLEANUP(struct blob_store, blob_store_free)
/* Remove the abandoned temporary files (those no live ingest holds locked):
 * at open, and after an ingesting process was killed. */
int blob_store_clean_tmp(struct blob_store *s, struct berth_error **err);

bool blob_exists(struct blob_store *s, const char *digest);
/* The blob's path (for streaming reads, e.g. layer tarballs). */
char *blob_path(struct blob_store *s, const char *digest);
int blob_size(struct blob_store *s, const char *digest, uint64_t *ret);
/* Read a whole blob of at most max bytes and verify its digest. */
int blob_read(struct blob_store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
	      struct berth_error **err);
/* Store data whose digest is computed here; *ret gets it. Existing: no-op. */
int blob_write(struct blob_store *s, const void *data, size_t len, char ret[static DIGEST_LEN + 1],
	       struct berth_error **err);
int blob_delete(struct blob_store *s, const char *digest, struct berth_error **err);
/* Every digest in the store (for garbage collection). */
int blob_list(struct blob_store *s, char ***ret, struct berth_error **err);

/* Streaming ingest: begin (expected digest or NULL, size limit), write, then
 * commit (verifies, fsyncs, renames) or abort (removes the temporary file).
 * A digest mismatch or an overlong stream fails commit/write and stores nothing. */
struct blob_ingest;
int blob_ingest_begin(struct blob_store *s, const char *expected, uint64_t max_size,
		      struct blob_ingest **ret, struct berth_error **err);
int blob_ingest_write(struct blob_ingest *in, const void *data, size_t len,
		      struct berth_error **err);
int blob_ingest_commit(struct blob_ingest *in, char ret[static DIGEST_LEN + 1],
		       struct berth_error **err);
/* Abort if not committed, and free. */
struct blob_ingest *blob_ingest_free(struct blob_ingest *in);
DEFINE_CLEANUP(struct blob_ingest, blob_ingest_free)

#endif
