/* berth CLI: create and run: their flags, the create body exactly as the
 * docker CLI builds it (Config + HostConfig + NetworkingConfig), and the
 * steps they share (create with the image pull fallback, attach, wait,
 * start, stream). */
#ifndef BERTH_CLI_RUN_INTERNAL_H
#define BERTH_CLI_RUN_INTERNAL_H

#include "cli-internal.h"
#include "cli-stream-internal.h"

#define CLI_RUN_MAX_OPTS 128

struct cli_run_opts {
	const char *name, *workdir, *user, *entrypoint, *hostname, *domainname, *restart;
	const char *runtime, *network, *stop_signal, *detach_keys, *cidfile, *platform, *pid;
	const char *ipc, *uts, *userns, *cgroupns, *cgroup_parent, *log_driver, *cpuset_cpus;
	const char *cpuset_mems, *pull, *isolation, *volume_driver, *mac_address, *health_cmd;
	const char *health_interval, *health_timeout, *health_start_period, *ip, *ip6;
	const char *health_start_interval;
	char **env, **env_file, **labels, **label_file, **volumes, **tmpfs, **cap_add, **cap_drop;
	char **security_opt, **sysctls, **add_host, **dns, **dns_option, **dns_search, **log_opt;
	char **group_add, **links, **volumes_from, **attach, **storage_opt;
	char **device_cgroup_rules, **network_alias, **link_local_ip;
	json_object *mounts, *ulimits, *devices, *port_bindings, *exposed_ports;
	json_object *networks; /* --network attachments: {"Target", "Aliases", ...} */
	char *deferred_error;  /* the first -p/--expose error, reported by cli_run_build */
	bool deferred_expose;  /* ... and it came from --expose (a -p error goes first) */
	bool tty, interactive, detach, rm, read_only, privileged, init, publish_all;
	bool oom_kill_disable, no_healthcheck, sig_proxy, quiet, entrypoint_set, init_set;
	bool stop_timeout_set, pids_limit_set, trust;
	int64_t memory, memory_swap, memory_reservation, shm_size, pids_limit, cpu_shares;
	int64_t cpu_period, cpu_quota, stop_timeout, memory_swappiness, oom_score_adj;
	int64_t blkio_weight, cpu_rt_period, cpu_rt_runtime, kernel_memory, nano_cpus;
	int64_t health_retries;
};

void cli_run_opts_init(struct cli_run_opts *o);
void cli_run_opts_done(struct cli_run_opts *o);
/* Fill table (CLI_RUN_MAX_OPTS entries) with create's flags, or run's. */
void cli_run_opts_table(struct cli_run_opts *o, bool run, struct cli_opt *table);

/* The create body for IMAGE [COMMAND [ARG...]] (args), as docker sends it.
 * console_size: [rows, cols] for HostConfig.ConsoleSize. */
int cli_run_build(struct cli_run_opts *o, char **args, int nargs, bool run, unsigned rows,
		  unsigned cols, json_object **ret, struct berth_error **err);
/* Pieces of HostConfig (cli-run-host.c). */
json_object *cli_run_host_config(struct cli_run_opts *o, json_object *config, unsigned rows,
				 unsigned cols, struct berth_error **err);
int cli_run_networking_config(struct cli_run_opts *o, json_object **ret, struct berth_error **err);
/* docker's network flag parsers (cli-run-net.c): --network, --add-host, --dns, --dns-search. */
int cli_parse_network(const char *arg, void *target, char **ret_msg);
int cli_parse_add_host(const char *arg, void *target, char **ret_msg);
int cli_parse_dns(const char *arg, void *target, char **ret_msg);
int cli_parse_dns_search(const char *arg, void *target, char **ret_msg);
/* docker's flag parsers for --mount, -p, --ulimit, --device, --cpus. */
int cli_parse_mount(const char *arg, void *target, char **ret_msg);
int cli_parse_publish(const char *arg, void *target, char **ret_msg);
int cli_parse_expose(const char *arg, void *target, char **ret_msg);
int cli_parse_ulimit(const char *arg, void *target, char **ret_msg);
int cli_parse_sysctl(const char *arg, void *target, char **ret_msg);
int cli_parse_device(const char *arg, void *target, char **ret_msg);
int cli_parse_cpus(const char *arg, void *target, char **ret_msg);
/* Go durations ("1m30s") in nanoseconds. */
int cli_parse_duration(const char *s, int64_t *ret);

/* POST /containers/create (pulling the image on "No such image" like
 * docker run); prints the daemon's warnings. */
int cli_container_create(struct cli_ctx *ctx, const struct cli_run_opts *o, json_object *body,
			 const char *image, char **ret_id, struct berth_error **err);

/* Image references: "busybox" -> name "docker.io/library/busybox", tag
 * "latest", familiar "busybox:latest". */
struct cli_ref {
	char *name;   /* fully qualified repository */
	char *tag;    /* NULL with a digest */
	char *digest; /* "sha256:..." or NULL */
};
int cli_ref_parse(const char *s, struct cli_ref *ret, struct berth_error **err);
void cli_ref_done(struct cli_ref *r);
/* Familiar form with the tag (or digest): "busybox:latest", "x.io/a/b:1". */
char *cli_ref_familiar(const struct cli_ref *r);
/* POST /images/create?fromImage=...&tag=..., messages to out (stderr for run). */
int cli_image_pull(struct cli_ctx *ctx, const char *image, const char *platform, FILE *out,
		   struct berth_error **err);

/* The exit status docker gives a failed start: 127 not found, 126 cannot run, else 125. */
int cli_start_error_status(const char *msg);

/* Attach to a created or running container and stream until it closes:
 * what run, start -a and attach share. */
struct cli_session {
	struct cli_ctx *ctx;
	const char *id;
	bool tty, stdin, stdout, stderr, sig_proxy;
	const char *detach_keys;
	bool is_exec; /* resize through /exec/{id}/resize */
	bool redraw;  /* resize one larger first, so the program redraws (attach) */
};
/* Open the attach connection (POST .../attach, 101). */
int cli_session_attach(struct cli_session *s, struct cli_http_response **ret,
		       struct berth_error **err);
/* Pump the attached connection: raw terminal, resize, signal proxy. */
int cli_session_stream(struct cli_session *s, struct cli_http_response *attach, bool *ret_detached,
		       struct berth_error **err);
/* POST .../wait?condition=...; returns once the headers arrived. */
int cli_wait_begin(struct cli_ctx *ctx, const char *id, const char *condition,
		   struct cli_http_response **ret, struct berth_error **err);
/* The StatusCode of a wait response (its Error message becomes *err). */
int cli_wait_end(struct cli_http_response *r, int *ret_status, struct berth_error **err);
/* POST .../resize with the terminal's size (containers or execs). */
void cli_session_resize(struct cli_session *s);

#endif
