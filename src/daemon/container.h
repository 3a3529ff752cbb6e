/* Containers in the daemon: the record, the state machine and the operations
 * behind the API (create, start, stop, kill, wait, remove, attach, exec).
 *
 * States follow docker's: created -> running (<-> paused) -> exited, with
 * restarting between exits and restarts, and removing. A container's state
 * is persisted (one transaction) before a client hears about the change.
 * Running containers are driven through their berth-monitor (mon-conn.c). */
#ifndef BERTH_DAEMON_CONTAINER_H
#define BERTH_DAEMON_CONTAINER_H

#include "daemon.h"

enum ct_status {
	CT_CREATED,
	CT_RUNNING,
	CT_PAUSED,
	CT_RESTARTING,
	CT_REMOVING,
	CT_EXITED,
	CT_DEAD,
	CT_STATUS_MAX,
};

struct mon_conn;
struct ct_waiter;
struct ct_exec;
struct net_dns;
struct ct_health;

struct ct_attach {
	int fd;
	unsigned flags; /* MON_ATTACH_* */
	char *detach_keys;
};

struct container {
	char id[65];
	char *name; /* without the leading '/' */
	char *image_id;
	char *image; /* as the user named it */
	int64_t created_ns;
	json_object *config;	  /* docker's Config, with the image's defaults merged */
	json_object *host_config; /* docker's HostConfig */
	/* state */
	enum ct_status status;
	pid_t pid;
	int exit_code;
	bool oom_killed;
	char *error;
	int64_t started_ns, finished_ns;
	int restart_count;
	bool manual_stop; /* stopped by the user: no restart for unless-stopped */
	bool in_restart;  /* a restart is starting it (no auto-removal meanwhile) */
	bool has_started;
	bool starting; /* a monitor is being started */
	bool mounted;
	/* paths */
	char *dir; /* <data-root>/containers/<id> */
	char *log_path;
	char *run_dir; /* <exec-root>/containers/<id> (monitor's directory) */
	/* live state */
	struct mon_conn *mon;
	struct ct_waiter *waiters;
	struct ct_attach *pending; /* attach clients waiting for start */
	size_t n_pending;
	struct http_request *start_req;
	struct ct_exec **execs;
	size_t n_execs;
	uint64_t stop_timer, restart_timer;
	unsigned restart_delay_ms;
	/* networking (container-net*.c): endpoints, namespace and ports, stored
	 * with the record; the port reservations and the DNS server are live only */
	json_object *net;
	int *port_fds;
	size_t n_port_fds;
	struct net_dns *dns;
	/* health checks (health.c): state stored with the record, probes live */
	struct ct_health *health;
};

const char *ct_status_name(enum ct_status s);
bool ct_is_running(const struct container *c); /* running or paused */

/* Lookup by full id, unique id prefix or name (with or without '/'). Errors:
 * "No such container: X" (404); an ambiguous prefix is 404 too, as docker. */
int container_lookup(struct daemon *d, const char *ref, struct container **ret,
		     struct berth_error **err);
int containers_load_all(struct daemon *d, struct berth_error **err);
/* Persist the record (one transaction). */
int container_save(struct daemon *d, struct container *c, struct berth_error **err);
/* JSON of GET /containers/{id}/json and of one entry of GET /containers/json. */
json_object *container_inspect_json(struct daemon *d, struct container *c, unsigned api);
json_object *container_summary_json(struct daemon *d, struct container *c, bool size);
/* Add SizeRw and SizeRootFs (as `ps -s` and `inspect -s` ask) to o. */
void container_add_sizes(struct daemon *d, struct container *c, json_object *o);

/* Create from the API body (Config + HostConfig); name may be NULL. */
int container_create(struct daemon *d, json_object *body, const char *name, struct container **ret,
		     json_object **ret_warnings, struct berth_error **err);
/* Start: answers req (204, 304 or an error) when the monitor reports. */
void container_start(struct daemon *d, struct container *c, struct http_request *req);
/* Stop: signal (StopSignal or SIGTERM), SIGKILL after timeout seconds (-1: the
 * container's StopTimeout or 10); answers req (204/304) once it has exited. */
void container_stop(struct daemon *d, struct container *c, const char *signal, int timeout,
		    struct http_request *req);
/* Restart: stop as above, then start; answers req (204) after the start. */
void container_restart(struct daemon *d, struct container *c, const char *signal, int timeout,
		       struct http_request *req);
int container_kill(struct daemon *d, struct container *c, int sig, struct berth_error **err);
int container_pause(struct daemon *d, struct container *c, bool pause, struct berth_error **err);
int container_remove(struct daemon *d, struct container *c, bool force, bool volumes,
		     struct berth_error **err);
int container_rename(struct daemon *d, struct container *c, const char *name,
		     struct berth_error **err);
/* wait: condition "not-running", "next-exit" or "removed". */
void container_wait(struct daemon *d, struct container *c, const char *condition,
		    struct http_request *req);
/* attach: hijack the request and hand the socket to the monitor (or keep it
 * until start). */
void container_attach(struct daemon *d, struct container *c, struct http_request *req);
int container_resize(struct daemon *d, struct container *c, int h, int w, struct berth_error **err);

/* Called by mon-conn.c when the monitor reports. */
void container_on_started(struct daemon *d, struct container *c, pid_t pid, int64_t when);
void container_on_start_failed(struct daemon *d, struct container *c, int code, const char *msg);
void container_on_exited(struct daemon *d, struct container *c, int code, bool oom, int64_t when);

/* At daemon start: reattach to monitors, settle containers whose monitor is
 * gone, restart those whose policy says so. */
void containers_restore(struct daemon *d);

/* Mount the rootfs and write the bundle (config.json) for a start. */
int container_prepare_bundle(struct daemon *d, struct container *c, struct berth_error **err);
void container_release_rootfs(struct daemon *d, struct container *c);

#endif
