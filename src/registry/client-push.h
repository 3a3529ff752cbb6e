/* berth registry client: push internals shared by client-push.c (the image:
 * layers in child processes, config, manifest) and client-push-blob.c (one
 * blob: existence, mounts, uploads). */
#ifndef BERTH_REGISTRY_CLIENT_PUSH_H
#define BERTH_REGISTRY_CLIENT_PUSH_H

#include "client-transport.h"

/* How a blob push reports: docker's statuses ("Layer already exists",
 * "Mounted from <repo>", "Pushed"). Running figures go through the
 * session's upload_progress. */
struct reg_blob_push_cb {
	void (*status)(void *data, const char *status);
	void *data;
};

int reg_blob_exists(struct reg_session *s, const char *digest, bool *ret, struct berth_error **err);
/* Push one blob of bs to the session's repository unless it is there or can
 * be mounted from one of mount_from (repository paths on the same registry). */
int reg_blob_push(struct reg_session *s, struct blob_store *bs, const char *digest,
		  char *const *mount_from, const struct reg_blob_push_cb *cb,
		  struct berth_error **err);

#endif
