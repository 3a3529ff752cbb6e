/* berth runtime: an OCI runtime with runc's lifecycle (create, start, state,
 * kill, delete, exec, ps, pause, resume).
 *
 * Each operation works on a container's state directory under ctx->root
 * (default /run/berth-runtime/<id>) and is a separate process invocation, as
 * with runc: create leaves the container's init blocked before the user
 * program; start lets it exec. Functions return 0 or a negative errno with
 * *err set; they print nothing except where a command's contract is to print
 * (state, ps, features, spec write to the given FILE).
 */
#ifndef BERTH_RUNTIME_H
#define BERTH_RUNTIME_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "common.h"

#define RT_DEFAULT_ROOT "/run/berth-runtime"

struct rt_context {
	const char *root;    /* state root directory */
	bool systemd_cgroup; /* --systemd-cgroup: refused with a clear error when used */
	int log_fd;	     /* --log target, -1 for stderr; handed to the init for late errors */
};

struct rt_create_opts {
	const char *bundle;	 /* default "." */
	const char *config_path; /* NULL: <bundle>/config.json */
	const char *pid_file;
	const char *console_socket; /* unix socket to receive the pty master */
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds; /* fds 3 .. 3+n-1 are passed to the container */
	bool detach;	  /* run: return once started */
	bool keep;	  /* run: do not delete after exit */
};

struct rt_exec_opts {
	const char *process_path; /* --process FILE: a whole OCI process object */
	char **args;		  /* inline args (used when process_path is NULL) */
	char **env;		  /* --env, appended to the container's env */
	const char *cwd;
	const char *user;	/* "uid[:gid]" */
	char **additional_gids; /* --additional-gids */
	char **caps;		/* --cap, added */
	bool tty;
	bool detach;
	bool no_new_privs;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
};

int rt_create(const struct rt_context *ctx, const char *id, const struct rt_create_opts *opts,
	      struct berth_error **err);
int rt_start(const struct rt_context *ctx, const char *id, struct berth_error **err);
/* create + start (+ wait + delete unless detached). *ret_status: the container's
 * exit code (128+signal when killed), as runc's exit code. */
int rt_run(const struct rt_context *ctx, const char *id, const struct rt_create_opts *opts,
	   int *ret_status, struct berth_error **err);
/* Print the OCI state JSON. */
int rt_state(const struct rt_context *ctx, const char *id, FILE *out, struct berth_error **err);
int rt_kill(const struct rt_context *ctx, const char *id, int sig, bool all,
	    struct berth_error **err);
int rt_delete(const struct rt_context *ctx, const char *id, bool force, struct berth_error **err);
int rt_exec(const struct rt_context *ctx, const char *id, const struct rt_exec_opts *opts,
	    int *ret_status, struct berth_error **err);
/* json: print a JSON array of pids; else run `ps` with ps_args and keep the container's lines. */
int rt_ps(const struct rt_context *ctx, const char *id, bool json, char **ps_args, FILE *out,
	  struct berth_error **err);
int rt_pause(const struct rt_context *ctx, const char *id, struct berth_error **err);
int rt_resume(const struct rt_context *ctx, const char *id, struct berth_error **err);
/* `list`: one line per container, or a JSON array. */
int rt_list(const struct rt_context *ctx, bool json, bool quiet, FILE *out,
	    struct berth_error **err);
/* `features`: the OCI features document. */
int rt_features(FILE *out, struct berth_error **err);
/* `spec`: write an example config.json into dir (refuses to overwrite). */
int rt_spec_write(const char *dir, bool rootless, struct berth_error **err);

/* Capability names ("CAP_KILL" <-> 5), for engines that build configs. */
int rt_cap_from_name(const char *name);
const char *rt_cap_name(int cap);
int rt_cap_last(void);

/* "KILL", "SIGKILL" or "9" -> 9. */
int rt_signal_parse(const char *s, int *ret);

/* CVE-2019-5736: the runtime must never be reachable, as its own file, from
 * a container. rt_protect_exe() re-executes from a sealed in-memory copy
 * (unless already running from one); it returns only on failure or when
 * already protected. create and run call it only when a process of the
 * container could see the init before it execs the user's program (a pid
 * namespace that is not new, or CAP_SYS_PTRACE in the bounding set); exec
 * always does. The CLI records argv for it first. */
void rt_protect_set_argv(char **argv);
int rt_protect_exe(struct berth_error **err);

#endif
