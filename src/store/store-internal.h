/* store internals shared by the blob store and ingest: the store's layout
 * under its root and the temporary file protocol. */
#ifndef BERTH_STORE_INTERNAL_H
#define BERTH_STORE_INTERNAL_H

#include "store.h"

#define DIGEST_PREFIX "sha256:"

/* <root>/blobs/sha256/<hex> holds blobs, <root>/blobs/tmp ingest files. A
 * temporary file is flock()ed while its ingest lives, so that opening the
 * store again (even in the same process) removes only abandoned ones. */
struct blob_store {
	char *root;
	char *blobs_dir;
	int blobs_fd;
	int tmp_fd;
};

#define INGEST_TMP_PREFIX "ingest-"

/* The hex part of a valid digest. */
static inline const char *digest_hex(const char *digest)
{
	return digest + sizeof(DIGEST_PREFIX) - 1;
}

#endif
