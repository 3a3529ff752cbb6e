/* docker commit: a container's changes become a new image (api-commit.c,
 * container-commit.c). */
#ifndef BERTH_DAEMON_COMMIT_H
#define BERTH_DAEMON_COMMIT_H

#include "daemon.h"

struct container;

/* POST /commit. */
void api_commit_register(struct daemon *d, struct http_router *r);
/* At shutdown (the commits' processes killed): thaw the containers that
 * running commits paused. */
void commit_jobs_thaw_all(void);

/* The new image's config, as dockerd builds it: the request's Config (may be
 * NULL) with changes applied, completed by the container's Config, on the
 * parent image's platform, rootfs and history, plus a history entry (the
 * container's Cmd, the comment) and the author. Bad changes get dockerd's
 * errors. */
int commit_build_config(struct container *c, const struct image_rec *parent,
			json_object *request_config, char *const *changes, const char *author,
			const char *comment, struct image_config **ret, struct berth_error **err);

/* In a child: the tar of a container's upper directory (data: its path) into
 * w (whiteouts as ".wh." entries), without the files berth bind-mounts over
 * or mounts on (docker's init layer). A missing upper directory adds nothing. */
struct tar_writer;
int commit_write_layer(struct tar_writer *w, void *data, struct berth_error **err);

#endif
