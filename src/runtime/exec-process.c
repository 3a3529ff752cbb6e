/* Building the process of an exec, and rt_exec itself. */
#define LOG_CATEGORY "exec"
#include <string.h>
#include <sys/socket.h>

#include "cgroup-internal.h"
#include "exec-internal.h"
#include "json-util.h"
#include "seccomp-internal.h"

static struct rt_process *process_copy(const struct rt_process *p)
{
	struct rt_process *c = xzalloc(sizeof(*c));

	*c = *p;
	c->args = NULL;
	c->env = strv_copy(p->env);
	c->cwd = xstrdup(p->cwd);
	c->user.additional_gids = NULL;
	c->user.n_additional_gids = 0;
	c->rlimits = xcalloc(p->n_rlimits + 1, sizeof(struct rt_rlimit));
	for (size_t i = 0; i < p->n_rlimits; i++) {
		c->rlimits[i] = p->rlimits[i];
		c->rlimits[i].name = xstrdup(p->rlimits[i].name);
	}
	c->apparmor_profile = NULL;
	c->selinux_label = NULL;
	c->exec_cpu_affinity_initial =
		p->exec_cpu_affinity_initial ? xstrdup(p->exec_cpu_affinity_initial) : NULL;
	c->exec_cpu_affinity_final =
		p->exec_cpu_affinity_final ? xstrdup(p->exec_cpu_affinity_final) : NULL;
	return c;
}

static void env_set(char ***env, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
			free((*env)[i]);
			(*env)[i] = xstrdup(kv);
			return;
		}
	}
	strv_push(env, kv);
}

static int parse_user(const char *s, struct rt_user *u, struct berth_error **err)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *colon = strchr(copy, ':');
	uint64_t uid, gid = 0;

	if (colon)
		*colon = '\0';
	if (str_to_uint64(copy, &uid) < 0 || uid > UINT32_MAX ||
	    (colon && (str_to_uint64(colon + 1, &gid) < 0 || gid > UINT32_MAX)))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "--user '%s': use numeric uid[:gid]", s);
	u->uid = (uint32_t)uid;
	u->gid = (uint32_t)gid;
	return 0;
}

static int apply_options(struct rt_process *p, const struct rt_exec_opts *o,
			 struct berth_error **err)
{
	int r;

	if (!o->args || !o->args[0])
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "exec: give a command or --process");
	p->args = strv_copy(o->args);
	for (size_t i = 0; o->env && o->env[i]; i++) {
		if (!strchr(o->env[i], '='))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--env '%s': use KEY=VALUE", o->env[i]);
		env_set(&p->env, o->env[i]);
	}
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--cwd '%s': not an absolute path", o->cwd);
		free(p->cwd);
		p->cwd = xstrdup(o->cwd);
	}
	if (o->user && (r = parse_user(o->user, &p->user, err)) < 0)
		return r;
	size_t n = strv_length(o->additional_gids);
	if (n) {
		p->user.additional_gids = xcalloc(n, sizeof(gid_t));
		for (size_t i = 0; i < n; i++) {
			uint64_t g;
			if (str_to_uint64(o->additional_gids[i], &g) < 0 || g > UINT32_MAX)
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "--additional-gids '%s': not a group id",
						       o->additional_gids[i]);
			p->user.additional_gids[i] = (gid_t)g;
		}
		p->user.n_additional_gids = n;
	}
	for (size_t i = 0; o->caps && o->caps[i]; i++) {
		int c = spec_cap_from_name(o->caps[i]);
		if (c < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--cap: unknown capability '%s'", o->caps[i]);
		p->has_caps = true;
		p->caps.bounding |= 1ULL << c;
		p->caps.effective |= 1ULL << c;
		p->caps.permitted |= 1ULL << c;
	}
	p->terminal = o->tty;
	p->no_new_privileges |= o->no_new_privs;
	return 0;
}

int exec_build_process(const struct rt_spec *spec, const struct rt_exec_opts *o,
		       struct rt_process **ret, struct berth_error **err)
{
	_cleanup_(spec_process_freep) struct rt_process *p = NULL;
	int r;

	if (o->process_path) {
		_cleanup_free_ char *text = NULL;
		_cleanup_json_ json_object *obj = NULL;
		size_t len = 0;
		if ((r = file_read_all(o->process_path, SPEC_MAX_BYTES, &text, &len)) < 0)
			return berth_error_set(err, -r, BERTH_ERR_INVALID, "read '%s'",
					       o->process_path);
		if ((r = json_parse_text(text, len, SPEC_MAX_DEPTH, o->process_path, &obj, err)) <
			    0 ||
		    (r = spec_parse_process(obj, "process", &p, err)) < 0)
			return r;
		if (p->apparmor_profile || p->selinux_label)
			return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
					       "process: AppArmor and SELinux are not available on "
					       "this kernel");
		*ret = TAKE_PTR(p);
		return 0;
	}
	if (!spec->process)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "the container's config has no process to start from");
	p = process_copy(spec->process);
	if ((r = apply_options(p, o, err)) < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int rt_exec(const struct rt_context *ctx, const char *id, const struct rt_exec_opts *o,
	    int *ret_status, struct berth_error **err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_spec_ struct rt_spec *spec = NULL;
	_cleanup_(spec_process_freep) struct rt_process *proc = NULL;
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *sc = NULL;
	struct exec_job x = { .console_fd = -EBADF, .console_peer = -EBADF };
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(x.ns.fds); i++)
		x.ns.fds[i] = -EBADF;
	/* The exec child enters a container whose processes run already. */
	if ((r = rt_protect_exe(err)) < 0)
		return r;
	if ((r = state_load(ctx, id, &st, err)) < 0)
		return r;
	enum rt_status status = state_status(ctx, st);
	if (status == RT_STATUS_STOPPED)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "cannot exec in a stopped container");
	if (status == RT_STATUS_PAUSED)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "cannot exec in a paused container");
	if ((r = state_load_spec(ctx, id, &spec, err)) < 0 ||
	    (r = exec_build_process(spec, o, &proc, err)) < 0)
		return r;
	if (proc->terminal && !o->console_socket && o->detach)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "a detached process with a terminal needs --console-socket");
	if (spec->seccomp) {
		_cleanup_free_ char *cache = xasprintf("%s/.seccomp-cache", ctx->root);
		if ((r = seccomp_filter_build_cached(spec->seccomp, cache, &sc, err)) < 0)
			return r;
	}
	if ((r = cgroup_from_path(st->cgroup_path, &cg, err)) < 0)
		return r;
	if (proc->terminal && o->console_socket &&
	    (r = console_connect(o->console_socket, &x.console_fd, err)) < 0)
		return r;
	if (proc->terminal && !o->console_socket) {
		/* In the foreground without a console socket we relay the terminal. */
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socketpair");
		x.console_fd = sp[0];
		x.console_peer = sp[1];
	}
	if ((r = exec_ns_open(st->pid, &x.ns, err)) < 0) {
		exec_ns_close(&x.ns);
		closep(&x.console_fd);
		return r;
	}
	x.proc = proc;
	x.cg = cg;
	x.seccomp = sc;
	x.preserve_fds = o->preserve_fds;
	x.detach = o->detach;
	x.pid_file = o->pid_file;
	r = exec_job_spawn(&x, ret_status, err);
	exec_ns_close(&x.ns);
	closep(&x.console_fd);
	closep(&x.console_peer);
	return r;
}
