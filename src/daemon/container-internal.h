/* Between the daemon's container files: records, monitor connections,
 * waiters, execs, the OCI spec and the rootfs. */
#ifndef BERTH_DAEMON_CONTAINER_INTERNAL_H
#define BERTH_DAEMON_CONTAINER_INTERNAL_H

#include "container.h"
#include "monitor.h"

void container_add(struct daemon *d, struct container *c);
/* Drop from memory (after removal from the database). */
void container_forget(struct daemon *d, struct container *c);
void container_set_paths(struct daemon *d, struct container *c);
char *container_status_text(const struct container *c);
/* "sh -c 'echo hi'" as docker ps shows Entrypoint + Cmd. */
char *container_command_line(const struct container *c);
json_object *container_mounts_json(const struct container *c);
json_object *container_network_json(struct daemon *d, const struct container *c);
/* NetworkSettings.Networks: one entry per endpoint (container-net-json.c). */
json_object *container_networks_json(struct daemon *d, const struct container *c);
json_object *container_exec_ids_json(const struct container *c);
/* Resolve the runtime binary for the container's HostConfig.Runtime. */
const char *container_runtime_path(struct daemon *d, const struct container *c);
/* An event of c for GET /events (attrs taken; the image, name and labels added). */
void container_event(struct daemon *d, struct container *c, const char *action, json_object *attrs);
/* `runtime delete --force`: kill whatever is left of c and forget its state. */
int container_runtime_delete(struct daemon *d, struct container *c);

/* ---- monitor connections (mon-conn.c) ---- */

/* Start a berth-monitor for c (its bundle written); pending attach clients go
 * with it. Its reports arrive as container_on_* calls. */
int mon_spawn(struct daemon *d, struct container *c, struct berth_error **err);
/* After a daemon restart: connect to the running monitor; it answers with its
 * state (container_on_state). -ENOENT when there is no monitor. */
int mon_reconnect(struct daemon *d, struct container *c, struct berth_error **err);
/* Send a message, optionally passing fd (closed here in any case). */
int mon_send(struct mon_conn *m, enum mon_msg_type type, int a, int b, const char *text, int fd);
void mon_close(struct daemon *d, struct container *c);
void container_on_state(struct daemon *d, struct container *c, int state, pid_t pid, int code);

/* ---- waiters (container-run.c) ---- */

struct ct_waiter {
	struct ct_waiter *next;
	struct http_request *req;
	int condition; /* 0 not-running, 1 next-exit, 2 removed, 3 stop, 4 restart */
};
void container_wake_waiters(struct daemon *d, struct container *c, bool removed);

/* ---- execs (exec.c) ---- */

struct ct_exec {
	char id[65];
	struct container *c;
	json_object *config; /* Cmd, Env, User, WorkingDir, Tty, Attach*, Privileged, DetachKeys */
	bool running, started, tty;
	pid_t pid;
	int exit_code;
	bool has_exit_code;
	struct http_request *start_req; /* detached start waiting for the pid */
};
/* The OCI process of an exec of c (config: Cmd, User, WorkingDir, Env,
 * ConsoleSize) written to path: the container's process with those settings. */
int exec_process_write(struct daemon *d, struct container *c, json_object *config, bool tty,
		       const char *path, struct berth_error **err);
void exec_on_started(struct daemon *d, struct container *c, const char *exec_id, pid_t pid);
void exec_on_exited(struct daemon *d, struct container *c, const char *exec_id, int code);
void exec_on_failed(struct daemon *d, struct container *c, const char *exec_id, int code,
		    const char *msg);
/* The container stopped: every exec is over. */
void execs_container_stopped(struct daemon *d, struct container *c);

/* ---- spec and rootfs (spec.c, rootfs.c) ---- */

/* The OCI config.json for c on image img. */
/* process.consoleSize from docker's ConsoleSize [height, width], if valid. */
void spec_console_size(json_object *proc, json_object *size);
int container_oci_spec(struct daemon *d, struct container *c, struct image_rec *img,
		       char **ret_json, struct berth_error **err);
/* /etc/hosts, /etc/hostname and /etc/resolv.conf for the container's dir. */
int container_write_etc_files(struct daemon *d, struct container *c, struct berth_error **err);

#endif
