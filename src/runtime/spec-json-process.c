/* config.json "process" -> struct rt_process. Also used by `exec --process`. */
#define LOG_CATEGORY "spec"
#include <limits.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "json-util.h"
#include "spec-json-internal.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

static int invalid(struct berth_error **err, const char *path, const char *key, const char *what)
{
	_cleanup_free_ char *p = key ? json_path_key(path, key) : xstrdup(path);
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: %s", p, what);
}

static int parse_user(json_object *proc, const char *path, struct rt_user *u,
		      struct berth_error **err)
{
	json_object *obj = NULL, *gids = NULL;
	_cleanup_free_ char *up = json_path_key(path, "user");
	const char *username = NULL;
	int r;

	if ((r = json_get_object(proc, path, "user", false, &obj, err)) <= 0)
		return r;
	if ((r = json_get_uint32(obj, up, "uid", false, &u->uid, err)) < 0 ||
	    (r = json_get_uint32(obj, up, "gid", false, &u->gid, err)) < 0 ||
	    (r = json_get_str(obj, up, "username", false, &username, err)) < 0)
		return r;
	if ((r = json_get_uint32(obj, up, "umask", false, &u->umask, err)) < 0)
		return r;
	u->has_umask = r == 1;
	if (u->has_umask && u->umask > 0777)
		return invalid(err, up, "umask", "must be at most 0777");
	if ((r = json_get_array(obj, up, "additionalGids", false, &gids, err)) < 0)
		return r;
	if (gids) {
		size_t n = json_object_array_length(gids);
		_cleanup_free_ char *gp = json_path_key(up, "additionalGids");
		if (n > 65536)
			return invalid(err, gp, NULL, "too many groups");
		u->additional_gids = xcalloc(n + 1, sizeof(gid_t));
		for (size_t i = 0; i < n; i++) {
			int64_t v;
			_cleanup_free_ char *ip = json_path_index(gp, i);
			if ((r = json_value_int64(json_object_array_get_idx(gids, i), ip, &v,
						  err)) < 0)
				return r;
			if (v < 0 || v > UINT32_MAX)
				return invalid(err, ip, NULL, "expected a group id");
			u->additional_gids[i] = (gid_t)v;
		}
		u->n_additional_gids = n;
	}
	return 0;
}

static int parse_cap_set(json_object *caps, const char *path, const char *key, uint64_t *ret,
			 struct berth_error **err)
{
	_cleanup_strv_ char **names = NULL;
	_cleanup_free_ char *kp = json_path_key(path, key);
	int r;

	*ret = 0;
	if ((r = json_get_strv(caps, path, key, false, &names, err)) <= 0)
		return r;
	for (size_t i = 0; names[i]; i++) {
		int c = spec_cap_from_name(names[i]);
		if (c < 0) {
			_cleanup_free_ char *ip = json_path_index(kp, i);
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s: unknown capability '%s'", ip, names[i]);
		}
		if (c > spec_cap_last()) {
			/* Like runc: a capability this kernel lacks cannot be granted; say so. */
			log_warn("%s: capability '%s' is not known to this kernel, ignoring", kp,
				 names[i]);
			continue;
		}
		*ret |= 1ULL << c;
	}
	return 0;
}

static int parse_caps(json_object *proc, const char *path, struct rt_process *p,
		      struct berth_error **err)
{
	json_object *caps = NULL;
	_cleanup_free_ char *cp = json_path_key(path, "capabilities");
	static const char *const allowed[] = { "bounding",  "effective", "inheritable",
					       "permitted", "ambient",	 NULL };
	int r;

	if ((r = json_get_object(proc, path, "capabilities", false, &caps, err)) <= 0)
		return r;
	if ((r = json_check_keys(caps, cp, allowed, err)) < 0)
		return r;
	p->has_caps = true;
	if ((r = parse_cap_set(caps, cp, "bounding", &p->caps.bounding, err)) < 0 ||
	    (r = parse_cap_set(caps, cp, "effective", &p->caps.effective, err)) < 0 ||
	    (r = parse_cap_set(caps, cp, "inheritable", &p->caps.inheritable, err)) < 0 ||
	    (r = parse_cap_set(caps, cp, "permitted", &p->caps.permitted, err)) < 0 ||
	    (r = parse_cap_set(caps, cp, "ambient", &p->caps.ambient, err)) < 0)
		return r;
	return 0;
}

static int parse_rlimits(json_object *proc, const char *path, struct rt_process *p,
			 struct berth_error **err)
{
	json_object *arr = NULL;
	_cleanup_free_ char *rp = json_path_key(path, "rlimits");
	int r;

	if ((r = json_get_array(proc, path, "rlimits", false, &arr, err)) <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	p->rlimits = xcalloc(n + 1, sizeof(struct rt_rlimit));
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *ip = json_path_index(rp, i);
		struct rt_rlimit *rl = &p->rlimits[i];
		const char *type = NULL;

		if (!o || !json_object_is_type(o, json_type_object))
			return invalid(err, ip, NULL, "expected an object");
		if ((r = json_get_str(o, ip, "type", true, &type, err)) < 0 ||
		    (r = json_get_uint64(o, ip, "soft", true, &rl->soft, err)) < 0 ||
		    (r = json_get_uint64(o, ip, "hard", true, &rl->hard, err)) < 0)
			return r;
		p->n_rlimits = i + 1;
		rl->name = xstrdup(type);
		rl->resource = spec_rlimit_from_name(type);
		if (rl->resource < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.type: unknown rlimit '%s'", ip, type);
		if (rl->soft > rl->hard)
			return invalid(err, ip, NULL, "soft limit is above the hard limit");
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == rl->resource)
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "%s.type: rlimit '%s' given twice", ip,
						       type);
	}
	return 0;
}

static int parse_io_priority(json_object *proc, const char *path, struct rt_process *p,
			     struct berth_error **err)
{
	json_object *o = NULL;
	const char *cls = NULL;
	_cleanup_free_ char *ip = json_path_key(path, "ioPriority");
	int r;

	if ((r = json_get_object(proc, path, "ioPriority", false, &o, err)) <= 0)
		return r;
	if ((r = json_get_str(o, ip, "class", true, &cls, err)) < 0 ||
	    (r = json_get_int32(o, ip, "priority", false, &p->io_priority, err)) < 0)
		return r;
	if (strcmp(cls, "IOPRIO_CLASS_RT") == 0)
		p->io_priority_class = IOPRIO_CLASS_RT;
	else if (strcmp(cls, "IOPRIO_CLASS_BE") == 0)
		p->io_priority_class = IOPRIO_CLASS_BE;
	else if (strcmp(cls, "IOPRIO_CLASS_IDLE") == 0)
		p->io_priority_class = IOPRIO_CLASS_IDLE;
	else
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s.class: unknown class '%s'",
				       ip, cls);
	if (p->io_priority < 0 || p->io_priority > 7)
		return invalid(err, ip, "priority", "must be between 0 and 7");
	p->has_io_priority = true;
	return 0;
}

static int parse_scheduler(json_object *proc, const char *path, struct rt_process *p,
			   struct berth_error **err)
{
	static const struct {
		const char *name;
		int policy;
	} policies[] = {
		{ "SCHED_OTHER", SCHED_OTHER },
		{ "SCHED_FIFO", SCHED_FIFO },
		{ "SCHED_RR", SCHED_RR },
		{ "SCHED_BATCH", SCHED_BATCH },
		{ "SCHED_ISO", 4 },
		{ "SCHED_IDLE", SCHED_IDLE },
		{ "SCHED_DEADLINE", SCHED_DEADLINE },
	};
	json_object *o = NULL;
	const char *pol = NULL;
	_cleanup_free_ char *sp = json_path_key(path, "scheduler");
	_cleanup_strv_ char **flags = NULL;
	int r;

	if ((r = json_get_object(proc, path, "scheduler", false, &o, err)) <= 0)
		return r;
	if ((r = json_get_str(o, sp, "policy", true, &pol, err)) < 0 ||
	    (r = json_get_int32(o, sp, "nice", false, &p->sched_nice, err)) < 0 ||
	    (r = json_get_int32(o, sp, "priority", false, &p->sched_priority, err)) < 0 ||
	    (r = json_get_uint64(o, sp, "runtime", false, &p->sched_runtime, err)) < 0 ||
	    (r = json_get_uint64(o, sp, "deadline", false, &p->sched_deadline, err)) < 0 ||
	    (r = json_get_uint64(o, sp, "period", false, &p->sched_period, err)) < 0 ||
	    (r = json_get_strv(o, sp, "flags", false, &flags, err)) < 0)
		return r;
	p->sched_policy = -1;
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		if (strcmp(policies[i].name, pol) == 0)
			p->sched_policy = policies[i].policy;
	if (p->sched_policy < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s.policy: unknown policy '%s'",
				       sp, pol);
	static const char *const flag_names[] = {
		"SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
		"SCHED_FLAG_KEEP_POLICY",    "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
		"SCHED_FLAG_UTIL_CLAMP_MAX",
	};
	for (size_t i = 0; flags && flags[i]; i++) {
		bool found = false;
		for (size_t b = 0; b < ARRAY_SIZE(flag_names); b++) {
			if (strcmp(flags[i], flag_names[b]) == 0) {
				p->sched_flags |= 1ULL << b;
				found = true;
			}
		}
		if (!found)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.flags[%zu]: unknown flag '%s'", sp, i, flags[i]);
	}
	p->has_scheduler = true;
	return 0;
}

static int parse_console_and_misc(json_object *obj, const char *path, struct rt_process *p,
				  struct berth_error **err)
{
	json_object *cs = NULL, *aff = NULL;
	const char *s = NULL;
	int r;

	if ((r = json_get_bool(obj, path, "terminal", &p->terminal, err)) < 0 ||
	    (r = json_get_bool(obj, path, "noNewPrivileges", &p->no_new_privileges, err)) < 0)
		return r;
	if ((r = json_get_object(obj, path, "consoleSize", false, &cs, err)) < 0)
		return r;
	if (cs) {
		_cleanup_free_ char *cp = json_path_key(path, "consoleSize");
		uint32_t h = 0, w = 0;
		if ((r = json_get_uint32(cs, cp, "height", true, &h, err)) < 0 ||
		    (r = json_get_uint32(cs, cp, "width", true, &w, err)) < 0)
			return r;
		if (h > 65535 || w > 65535)
			return invalid(err, cp, NULL, "height and width must be below 65536");
		p->has_console_size = true;
		p->console_height = h;
		p->console_width = w;
	}
	if ((r = json_get_int32(obj, path, "oomScoreAdj", false, &p->oom_score_adj, err)) < 0)
		return r;
	p->has_oom_score_adj = r == 1;
	if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
		return invalid(err, path, "oomScoreAdj", "must be between -1000 and 1000");
	if ((r = json_get_str(obj, path, "apparmorProfile", false, &s, err)) < 0)
		return r;
	if (s && *s)
		p->apparmor_profile = xstrdup(s);
	s = NULL;
	if ((r = json_get_str(obj, path, "selinuxLabel", false, &s, err)) < 0)
		return r;
	if (s && *s)
		p->selinux_label = xstrdup(s);
	if ((r = json_get_object(obj, path, "execCPUAffinity", false, &aff, err)) < 0)
		return r;
	if (aff) {
		_cleanup_free_ char *ap = json_path_key(path, "execCPUAffinity");
		s = NULL;
		if ((r = json_get_str(aff, ap, "initial", false, &s, err)) < 0)
			return r;
		if (s)
			p->exec_cpu_affinity_initial = xstrdup(s);
		s = NULL;
		if ((r = json_get_str(aff, ap, "final", false, &s, err)) < 0)
			return r;
		if (s)
			p->exec_cpu_affinity_final = xstrdup(s);
	}
	return 0;
}

int spec_parse_process(json_object *obj, const char *path, struct rt_process **ret,
		       struct berth_error **err)
{
	_cleanup_(spec_process_freep) struct rt_process *p = xzalloc(sizeof(*p));
	const char *cwd = NULL, *cmdline = NULL;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return invalid(err, path, NULL, "expected an object");
	if ((r = json_get_strv(obj, path, "args", false, &p->args, err)) < 0 ||
	    (r = json_get_str(obj, path, "commandLine", false, &cmdline, err)) < 0 ||
	    (r = json_get_strv(obj, path, "env", false, &p->env, err)) < 0 ||
	    (r = json_get_str(obj, path, "cwd", true, &cwd, err)) < 0)
		return r;
	if (cmdline)
		return invalid(err, path, "commandLine",
			       "is a Windows field, not supported on Linux");
	if (!p->args || !p->args[0])
		return invalid(err, path, "args", "must name a program to run");
	if (cwd[0] != '/')
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s.cwd: '%s' is not an absolute path", path, cwd);
	p->cwd = xstrdup(cwd);
	for (size_t i = 0; p->env && p->env[i]; i++) {
		if (!strchr(p->env[i], '=')) {
			_cleanup_free_ char *ep = json_path_key(path, "env");
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s[%zu]: '%s' is not of the form KEY=VALUE", ep, i,
					       p->env[i]);
		}
	}
	if ((r = parse_user(obj, path, &p->user, err)) < 0 ||
	    (r = parse_caps(obj, path, p, err)) < 0 || (r = parse_rlimits(obj, path, p, err)) < 0 ||
	    (r = parse_io_priority(obj, path, p, err)) < 0 ||
	    (r = parse_scheduler(obj, path, p, err)) < 0 ||
	    (r = parse_console_and_misc(obj, path, p, err)) < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}
