/* Registry work (pull, push, login) in child processes (registry-job.c).
 *
 * The registry client blocks on the network, so each request runs it in a
 * forked child, its own process group, which never touches the database or
 * the loop. The child writes lines to a pipe: 'M' + a JSON message (relayed
 * to the client as it is), 'R' + a JSON result record (handed to the job's
 * record callback in the daemon), 'E' + a JSON error {"kind","message"}.
 * The daemon relays and records from its loop; a client that goes away
 * kills the child's process group. While any job runs, image garbage
 * collection is put off (images.c asks reg_jobs_running) and runs once the
 * last job ends, so blobs and layers a pull has stored but not yet recorded
 * stay.
 */
#ifndef BERTH_DAEMON_REGISTRY_JOB_H
#define BERTH_DAEMON_REGISTRY_JOB_H

#include <stdint.h>

#include "daemon.h"

struct reg_job;

struct reg_job_ops {
	/* In the child: do the work, writing through reg_job_emit*; 0 or an error. */
	int (*child)(struct reg_job *job, void *data, struct berth_error **err);
	/* In the daemon: one 'R' record (borrowed). */
	void (*record)(struct reg_job *job, json_object *rec, void *data);
	/* In the daemon, at the end: err is NULL when the child succeeded. Writes
	 * the final messages (the job ends the stream or answers afterwards). */
	void (*done)(struct reg_job *job, struct berth_error *err, void *data);
	void (*free_data)(void *data);
};

/* Start a job for req. Messages begin a 200 application/json stream at the
 * first one; without any, an error is answered with its HTTP status. */
int reg_job_start(struct daemon *d, struct http_request *req, const struct reg_job_ops *ops,
		  void *data, struct berth_error **err);
struct http_request *reg_job_request(struct reg_job *job);
bool reg_job_client_gone(const struct reg_job *job);
/* Whether the response stream has begun. */
bool reg_job_streaming(const struct reg_job *job);
/* Daemon side: write a JSON message line to the client (begins the stream). */
void reg_job_write(struct reg_job *job, const char *json_line);

/* Child side. */
void reg_job_emit(struct reg_job *job, const char *json_line);
void reg_job_emit_record(struct reg_job *job, json_object *rec);

/* Docker's JSON messages, as Go's encoder writes them (<, >, & escaped). */
char *reg_msg_status(const char *id, const char *status);
char *reg_msg_progress(const char *id, const char *status, uint64_t current, uint64_t total);
char *reg_msg_error(const char *msg);
/* docker's units.HumanSize: "1.049MB", "512B". */
void reg_human_size(uint64_t n, char buf[static 32]);

/* Whether a registry job runs (garbage collection waits for the last one). */
bool reg_jobs_running(struct daemon *d);
/* Note that a collection was put off. */
void reg_jobs_gc_pending(struct daemon *d);
/* At shutdown: kill every job's process group (dockerd cancels its pulls). */
void reg_jobs_kill_all(void);

#endif
