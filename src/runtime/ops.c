/* state, kill, delete, pause, resume, ps and list. */
#define LOG_CATEGORY "ops"
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "json-util.h"
#include "runtime-internal.h"

int rt_state(const struct rt_context *ctx, const char *id, FILE *out, struct berth_error **err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	int r;

	if ((r = state_load(ctx, id, &st, err)) < 0)
		return r;
	_cleanup_free_ char *json = state_oci_json(st, state_status(ctx, st));
	fprintf(out, "%s\n", json);
	return 0;
}

/* Signal the init through a pidfd checked against the recorded start time, so
 * that a recycled pid is never hit. */
static int signal_init(const struct rt_state *st, int sig, struct berth_error **err)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);

	if (pidfd < 0 || proc_start_time(st->pid) != st->start_time)
		return berth_error_set(err, ESRCH, BERTH_ERR_CONFLICT, "container not running");
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "send signal %d", sig);
	return 0;
}

int rt_kill(const struct rt_context *ctx, const char *id, int sig, bool all,
	    struct berth_error **err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	int r;

	if ((r = state_load(ctx, id, &st, err)) < 0)
		return r;
	if (state_status(ctx, st) == RT_STATUS_STOPPED)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT, "container not running");
	if (!all)
		return signal_init(st, sig, err);
	if ((r = cgroup_from_path(st->cgroup_path, &cg, err)) < 0)
		return r;
	return cgroup_kill_all(cg, sig, err);
}

/* Wait until the init is gone (a zombie counts) for up to timeout_ms. */
static bool wait_gone(const struct rt_state *st, int timeout_ms)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);

	if (pidfd < 0)
		return true;
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	return poll(&p, 1, timeout_ms) > 0 || proc_start_time(st->pid) != st->start_time;
}

static int destroy(const struct rt_context *ctx, const struct rt_state *st,
		   struct berth_error **err)
{
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_free_ char *dir = state_dir_path(ctx, st->id);
	_cleanup_free_ char *cfg = xasprintf("%s/%s", dir, RT_CONFIG_FILE);
	_cleanup_free_ char *text = NULL;
	int r;

	if (file_read_all(cfg, SPEC_MAX_BYTES, &text, NULL) == 0 && strstr(text, "\"poststop\"")) {
		_cleanup_spec_ struct rt_spec *spec = NULL;
		if (state_load_spec(ctx, st->id, &spec, NULL) == 0) {
			_cleanup_free_ char *json = state_oci_json(st, RT_STATUS_STOPPED);
			(void)hooks_run(spec, RT_HOOK_POSTSTOP, json, NULL);
		}
	}
	if (cgroup_from_path(st->cgroup_path, &cg, NULL) == 0 && (r = cgroup_destroy(cg, err)) < 0)
		return r;
	if ((r = rm_rf(dir)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "remove '%s'", dir);
	return 0;
}

int rt_delete(const struct rt_context *ctx, const char *id, bool force, struct berth_error **err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_error_ struct berth_error *lerr = NULL;
	int r;

	if ((r = state_load(ctx, id, &st, &lerr)) < 0) {
		if (force && r == -ENOENT)
			return 0;
		*err = TAKE_PTR(lerr);
		return r;
	}
	enum rt_status status = state_status(ctx, st);
	if ((status == RT_STATUS_RUNNING || status == RT_STATUS_PAUSED) && !force)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "cannot delete container %s that is not stopped: %s", id,
				       rt_status_name(status));
	if (cgroup_from_path(st->cgroup_path, &cg, NULL) == 0) {
		/* Every process goes: the init's pid namespace may not be its own. */
		if (status != RT_STATUS_STOPPED || !st->own_pidns)
			(void)cgroup_kill_all(cg, SIGKILL, NULL);
		if (status == RT_STATUS_PAUSED)
			(void)cgroup_freeze(cg, false, NULL);
	}
	if (status != RT_STATUS_STOPPED) {
		(void)signal_init(st, SIGKILL, NULL);
		if (!wait_gone(st, 10000))
			return berth_error_set(err, EBUSY, BERTH_ERR_INTERNAL,
					       "container init %d did not exit", (int)st->pid);
	}
	return destroy(ctx, st, err);
}

int rt_pause(const struct rt_context *ctx, const char *id, struct berth_error **err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	int r;

	if ((r = state_load(ctx, id, &st, err)) < 0)
		return r;
	enum rt_status status = state_status(ctx, st);
	if (status != RT_STATUS_RUNNING && status != RT_STATUS_CREATED)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT, "container not running");
	if ((r = cgroup_from_path(st->cgroup_path, &cg, err)) < 0)
		return r;
	return cgroup_freeze(cg, true, err);
}

int rt_resume(const struct rt_context *ctx, const char *id, struct berth_error **err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	int r;

	if ((r = state_load(ctx, id, &st, err)) < 0)
		return r;
	if (state_status(ctx, st) != RT_STATUS_PAUSED)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT, "container not paused");
	if ((r = cgroup_from_path(st->cgroup_path, &cg, err)) < 0)
		return r;
	return cgroup_freeze(cg, false, err);
}

static int ps_table(pid_t *pids, size_t n, char **ps_args, FILE *out, struct berth_error **err)
{
	_cleanup_strv_ char **argv = NULL;
	int fds[2];

	strv_push(&argv, "ps");
	if (ps_args && ps_args[0])
		for (size_t i = 0; ps_args[i]; i++)
			strv_push(&argv, ps_args[i]);
	else
		strv_push(&argv, "-ef");
	if (pipe2(fds, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pipe");
	pid_t child = fork();
	if (child == 0) {
		(void)dup2(fds[1], STDOUT_FILENO);
		execvp("ps", argv);
		_exit(127);
	}
	(void)close(fds[1]);
	_cleanup_fclose_ FILE *f = fdopen(fds[0], "r");
	char line[8192];
	int pid_col = -1;
	for (bool header = true; f && fgets(line, sizeof(line), f); header = false) {
		_cleanup_free_ char *copy = xstrdup(line);
		char *save = NULL;
		int col = 0;
		bool keep = header;
		for (char *tok = strtok_r(copy, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save), col++) {
			if (header && strcmp(tok, "PID") == 0)
				pid_col = col;
			if (!header && col == pid_col) {
				int p;
				for (size_t i = 0; str_to_int(tok, &p) == 0 && i < n; i++)
					if (pids[i] == p)
						keep = true;
			}
		}
		if (keep)
			fputs(line, out);
	}
	int status = 0;
	(void)waitpid(child, &status, 0);
	if (pid_col < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "ps output has no PID column; use options that show it");
	return 0;
}

int rt_ps(const struct rt_context *ctx, const char *id, bool json, char **ps_args, FILE *out,
	  struct berth_error **err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r;

	if ((r = state_load(ctx, id, &st, err)) < 0 ||
	    (r = cgroup_from_path(st->cgroup_path, &cg, err)) < 0)
		return r;
	if ((r = cgroup_pids(cg, &pids, &n, err)) < 0)
		return r;
	if (!json)
		return ps_table(pids, n, ps_args, out, err);
	fputc('[', out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%d", i ? "," : "", (int)pids[i]);
	fputs("]\n", out);
	return 0;
}

int rt_list(const struct rt_context *ctx, bool json, bool quiet, FILE *out,
	    struct berth_error **err)
{
	_cleanup_closedir_ DIR *d = opendir(ctx->root);
	_cleanup_json_ json_object *arr = json_object_new_array();

	if (!d && errno != ENOENT)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", ctx->root);
	if (!json && !quiet)
		fprintf(out, "%-12s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE",
			"CREATED", "OWNER");
	for (struct dirent *de; d && (de = readdir(d));) {
		_cleanup_state_ struct rt_state *st = NULL;
		if (de->d_name[0] == '.' || state_load(ctx, de->d_name, &st, NULL) < 0)
			continue;
		enum rt_status s = state_status(ctx, st);
		int pid = s == RT_STATUS_STOPPED ? 0 : st->pid;
		if (json) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
			json_object_object_add(o, "id", json_object_new_string(st->id));
			json_object_object_add(o, "pid", json_object_new_int(pid));
			json_object_object_add(o, "status",
					       json_object_new_string(rt_status_name(s)));
			json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
			json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
			json_object_object_add(o, "created", json_object_new_string(st->created));
			json_object_object_add(o, "owner", json_object_new_string("root"));
			json_object_array_add(arr, o);
		} else if (quiet) {
			fprintf(out, "%s\n", st->id);
		} else {
			fprintf(out, "%-12s %-8d %-10s %-40s %-31s %s\n", st->id, pid,
				rt_status_name(s), st->bundle, st->created, "root");
		}
	}
	if (json)
		fprintf(out, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	return 0;
}
