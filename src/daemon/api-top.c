/* GET /containers/{id}/top: the host's ps, filtered to the container's
 * processes, as dockerd does it. The processes are those of the container's
 * cgroup, so that exec'd processes (children of the monitor, not of the
 * container's init) are listed too. */
#define LOG_CATEGORY "top"
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "container.h"

#define PS_MAX_OUTPUT (4u << 20)
#define TOP_MAX_ARGS  64

/* The cgroup.procs file of pid's cgroup: a v1 "pids" hierarchy, else the
 * unified one (mounted at /sys/fs/cgroup, or /sys/fs/cgroup/unified on
 * hybrid hosts). */
static FILE *open_procs(pid_t pid)
{
	char path[64], line[4096];
	_cleanup_fclose_ FILE *f = NULL;
	FILE *p = NULL;

	(void)snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (!(f = fopen(path, "re")))
		return NULL;
	_cleanup_free_ char *v1 = NULL, *v2 = NULL;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *ctl = strchr(line, ':'), *cg = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!cg || strstr(cg, ".."))
			continue;
		*cg++ = '\0';
		ctl++;
		if (!*ctl && !v2)
			v2 = xstrdup(cg);
		for (char *t = strtok(ctl, ","); t && !v1; t = strtok(NULL, ","))
			if (strcmp(t, "pids") == 0)
				v1 = xstrdup(cg);
	}
	const char *const fmts[][2] = { { "/sys/fs/cgroup/pids%s/cgroup.procs", v1 },
					{ "/sys/fs/cgroup%s/cgroup.procs", v2 },
					{ "/sys/fs/cgroup/unified%s/cgroup.procs", v2 } };
	for (size_t i = 0; i < ARRAY_SIZE(fmts) && !p; i++) {
		if (!fmts[i][1])
			continue;
		_cleanup_free_ char *procs = xasprintf(fmts[i][0], fmts[i][1]);
		p = fopen(procs, "re");
	}
	return p;
}

static bool pid_in(const pid_t *pids, size_t n, const char *field)
{
	char *end;
	long v = strtol(field, &end, 10);

	if (*end || end == field)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pids[i] == v)
			return true;
	return false;
}

/* Run ps with args; its stdout in *ret. */
static int run_ps(char **args, char **ret, struct berth_error **err)
{
	int out[2];
	_cleanup_strv_ char **argv = NULL;

	strv_push(&argv, "ps");
	for (size_t i = 0; args && args[i]; i++)
		strv_push(&argv, args[i]);
	if (pipe2(out, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)dup2(out[1], STDOUT_FILENO);
		int null = open("/dev/null", O_RDWR);
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDERR_FILENO);
		execvp("ps", argv);
		_exit(127);
	}
	(void)close(out[1]);
	size_t len = 0;
	int r = pid < 0 ? -errno : fd_read_all(out[0], PS_MAX_OUTPUT, ret, &len);
	(void)close(out[0]);
	int status = 0;
	if (pid > 0)
		(void)waitpid(pid, &status, 0);
	if (pid < 0 || r < 0)
		return berth_error_set(err, pid < 0 ? -r : 0, BERTH_ERR_INTERNAL, "run ps");
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
				       "ps is not installed on the host (Debian package procps)");
	if (WEXITSTATUS(status) != 0)
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
				       "Error running ps: exit status %d", WEXITSTATUS(status));
	return 0;
}

static char **split_fields(char *line)
{
	char **v = NULL;
	for (char *t = strtok(line, " \t"); t; t = strtok(NULL, " \t"))
		strv_push(&v, t);
	return v;
}

/* The rest of line from its field number k (0-based) on. */
static const char *field_start(const char *line, size_t k)
{
	const char *p = line + strspn(line, " \t");
	for (size_t i = 0; i < k && *p; i++) {
		p += strcspn(p, " \t");
		p += strspn(p, " \t");
	}
	return p;
}

/* Titles from the header; rows whose PID column is one of pids. The last
 * column (the command) keeps its spaces. */
static int parse_ps(char *text, const pid_t *pids, size_t n, json_object *o,
		    struct berth_error **err)
{
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	_cleanup_strv_ char **titles = line ? split_fields(line) : NULL;
	size_t nt = strv_length(titles), pid_col = SIZE_MAX;
	json_object *rows = json_object_new_array();

	for (size_t i = 0; i < nt; i++)
		if (strcmp(titles[i], "PID") == 0)
			pid_col = i;
	if (pid_col == SIZE_MAX) {
		json_object_put(rows);
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
				       "Couldn't find PID field in ps output");
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		_cleanup_free_ char *copy = xstrdup(line);
		_cleanup_strv_ char **f = split_fields(copy);
		size_t nf = strv_length(f);
		if (nf < nt || !pid_in(pids, n, f[pid_col]))
			continue;
		json_object *row = json_object_new_array();
		for (size_t i = 0; i + 1 < nt; i++)
			json_object_array_add(row, jstr(f[i]));
		json_object_array_add(row, jstr(field_start(line, nt - 1)));
		json_object_array_add(rows, row);
	}
	jadd(o, "Titles", jstrv(titles));
	jadd(o, "Processes", rows);
	return 0;
}

static void ct_top(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_free_ char *out = NULL, *argtext = NULL;
	_cleanup_strv_ char **args = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	struct container *c = NULL;
	size_t n = 0;
	char line[32];

	if (container_lookup(d, http_request_param(req, "id"), &c, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (!ct_is_running(c) || c->pid <= 0) {
		http_respond_error(req, 409, "Container %s is not running", c->id);
		return;
	}
	const char *ps_args = http_request_query(req, "ps_args");
	argtext = xstrdup(ps_args && *ps_args ? ps_args : "-ef");
	args = split_fields(argtext);
	if (strv_length(args) > TOP_MAX_ARGS) {
		http_respond_error(req, 400, "too many ps arguments");
		return;
	}
	_cleanup_fclose_ FILE *procs = open_procs(c->pid);
	if (!procs) {
		http_respond_error(req, 500, "cannot find the processes of container %s", c->id);
		return;
	}
	while (fgets(line, sizeof(line), procs)) {
		pids = xrealloc(pids, (n + 1) * sizeof(*pids));
		pids[n++] = (pid_t)strtol(line, NULL, 10);
	}
	if (run_ps(args, &out, &err) < 0 || parse_ps(out, pids, n, o, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond_json(req, 200, o);
}

void api_top_register(struct http_router *r)
{
	api_add(r, "GET", "/containers/{id}/top", 0, ct_top);
}
