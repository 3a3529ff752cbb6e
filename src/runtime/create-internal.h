/* The state of one `create` (or the create half of `run`). */
#ifndef BERTH_RUNTIME_CREATE_INTERNAL_H
#define BERTH_RUNTIME_CREATE_INTERNAL_H

#include <limits.h>

#include "runtime-internal.h"

struct rt_cgroup;

struct create_job {
	const struct rt_context *ctx;
	const char *id;
	const struct rt_create_opts *opts;
	char cwd[PATH_MAX]; /* relative --pid-file names resolve here */
	struct rt_spec *spec;
	char *config_text;
	size_t config_len;
	char *dir;
	bool dir_made;
	struct rt_cgroup *cg;
	bool cg_made;
	struct rt_seccomp_filter *seccomp;
	int fifo_fd;
	int sync_fd;
	int console_fd; /* a connected console socket (or run's own socketpair end) */
	pid_t pid;
	int pidfd;
};

void create_job_init(struct create_job *j);
int create_job_run(struct create_job *j, struct berth_error **err);
/* failed: kill the init and remove everything made. */
void create_job_cleanup(struct create_job *j, bool failed);

/* start's half, shared with run: let the init exec and wait until it has. */
int start_let_go(const struct rt_context *ctx, const struct rt_state *st, struct berth_error **err);

#endif
