/* The file jobs of the archive endpoints, diff and export (api-archive.c):
 * what the loop gives the forked child that works in a container's root,
 * and that child's side (fs-job-child.c). */
#ifndef BERTH_DAEMON_FS_JOB_H
#define BERTH_DAEMON_FS_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"

/* The limits of a PUT body read by the child. */
#define PUT_MAX_BYTES (64ULL << 30)
#define PUT_IDLE_MS   120000
/* what is read and dropped of a refused body, so that the client reads the
 * answer instead of a reset connection */
#define PUT_DRAIN_MAX (1u << 20)

struct http_handoff;
struct http_request;

enum fs_kind { FS_STAT, FS_GET, FS_PUT, FS_EXPORT, FS_CHANGES };

struct fs_job {
	enum fs_kind kind;
	char id[65];
	char *name; /* as the client named the container */
	char *path;
	struct http_request *req;
	int ctl;
	int data;
	char *buf;
	size_t len;
	/* PUT: the connection, read by the child, answered by the loop */
	struct http_handoff *handoff;
	/* a stopped container: its rootfs and its bind and volume mounts, made
	 * in the child's own mount namespace */
	char *rootfs;
	char *mounts;
};

/* The child's work: reports {"status": N, ...} on ctl, writes a tar to data
 * (GET, export); flag_a keeps the tar's owners (PUT copyUIDGID), flag_b
 * refuses to replace a directory by a non-directory or the reverse
 * (noOverwriteDirNonDir). Returns the child's exit status. */
int fs_job_child_main(struct daemon *d, struct fs_job *j, int root, int ctl, int data, bool flag_a,
		      bool flag_b);

#endif
