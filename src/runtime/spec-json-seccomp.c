/* config.json "linux.seccomp" -> struct rt_seccomp. Syscall names are checked
 * when the filter is built (runtime-seccomp.c), since that needs libseccomp. */
#define LOG_CATEGORY "spec"
#include <errno.h>
#include <seccomp.h>
#include <string.h>

#include "json-util.h"
#include "spec-json-internal.h"

static int parse_action(const char *name, bool has_errno, uint32_t errno_ret, uint32_t *ret)
{
	static const struct {
		const char *name;
		uint32_t action;
	} actions[] = {
		{ "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD },
		{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
		{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
		{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
		{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
		{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
		{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
	};

	/* Without errnoRet, ERRNO means EPERM and TRACE means 1... as runc does (EPERM). */
	if (strcmp(name, "SCMP_ACT_ERRNO") == 0) {
		*ret = SCMP_ACT_ERRNO(has_errno ? errno_ret : EPERM);
		return 0;
	}
	if (strcmp(name, "SCMP_ACT_TRACE") == 0) {
		*ret = SCMP_ACT_TRACE(has_errno ? errno_ret : EPERM);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(actions[i].name, name) == 0) {
			*ret = actions[i].action;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_op(const char *name, int *ret)
{
	static const char *const ops[] = { [SCMP_CMP_NE] = "SCMP_CMP_NE",
					   [SCMP_CMP_LT] = "SCMP_CMP_LT",
					   [SCMP_CMP_LE] = "SCMP_CMP_LE",
					   [SCMP_CMP_EQ] = "SCMP_CMP_EQ",
					   [SCMP_CMP_GE] = "SCMP_CMP_GE",
					   [SCMP_CMP_GT] = "SCMP_CMP_GT",
					   [SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ" };
	for (int i = SCMP_CMP_NE; i <= SCMP_CMP_MASKED_EQ; i++) {
		if (strcmp(ops[i], name) == 0) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_args(json_object *rule, const char *path, struct rt_seccomp_rule *sr,
		      struct berth_error **err)
{
	json_object *arr = NULL;
	_cleanup_free_ char *ap = json_path_key(path, "args");
	int r;

	if ((r = json_get_array(rule, path, "args", false, &arr, err)) <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	if (n > 6)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: at most 6 arguments", ap);
	sr->args = xcalloc(n + 1, sizeof(struct rt_seccomp_arg));
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *ip = json_path_index(ap, i);
		struct rt_seccomp_arg *a = &sr->args[i];
		uint32_t index = 0;
		const char *op = NULL;

		if (!o || !json_object_is_type(o, json_type_object))
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected an object",
					       ip);
		if ((r = json_get_uint32(o, ip, "index", true, &index, err)) < 0 ||
		    (r = json_get_uint64(o, ip, "value", true, &a->value, err)) < 0 ||
		    (r = json_get_uint64(o, ip, "valueTwo", false, &a->value_two, err)) < 0 ||
		    (r = json_get_str(o, ip, "op", true, &op, err)) < 0)
			return r;
		if (index > 5)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.index: %u is not between 0 and 5", ip, index);
		a->index = index;
		if (parse_op(op, &a->op) < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.op: unknown operator '%s'", ip, op);
		sr->n_args = i + 1;
	}
	return 0;
}

static int parse_rule(json_object *o, const char *path, struct rt_seccomp *sc,
		      struct rt_seccomp_rule *sr, struct berth_error **err)
{
	const char *action = NULL;
	uint32_t errno_ret = 0;
	int r, has_errno;

	if (!o || !json_object_is_type(o, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected an object", path);
	if ((r = json_get_strv(o, path, "names", true, &sr->names, err)) < 0 ||
	    (r = json_get_str(o, path, "action", true, &action, err)) < 0 ||
	    (has_errno = json_get_uint32(o, path, "errnoRet", false, &errno_ret, err)) < 0)
		return r < 0 ? r : has_errno;
	if (!sr->names[0])
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s.names: must not be empty",
				       path);
	if (has_errno && strcmp(action, "SCMP_ACT_ERRNO") != 0 &&
	    strcmp(action, "SCMP_ACT_TRACE") != 0)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"%s.errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE", path);
	if (parse_action(action, has_errno, errno_ret, &sr->action) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s.action: unknown action '%s'",
				       path, action);
	if (sr->action == SCMP_ACT_NOTIFY)
		sc->needs_notify = true;
	return parse_args(o, path, sr, err);
}

int spec_parse_seccomp(json_object *obj, const char *path, struct rt_seccomp **ret,
		       struct berth_error **err)
{
	struct rt_seccomp *sc = xzalloc(sizeof(*sc));
	json_object *arr = NULL;
	const char *def = NULL, *s = NULL;
	uint32_t def_errno = 0;
	int r, has_errno;

	*ret = sc; /* owned by the spec from here on */
	if ((r = json_get_str(obj, path, "defaultAction", true, &def, err)) < 0 ||
	    (has_errno = json_get_uint32(obj, path, "defaultErrnoRet", false, &def_errno, err)) < 0)
		return r < 0 ? r : has_errno;
	if (parse_action(def, has_errno, def_errno, &sc->default_action) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s.defaultAction: unknown action '%s'", path, def);
	if (sc->default_action == SCMP_ACT_NOTIFY)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s.defaultAction: SCMP_ACT_NOTIFY cannot be the default",
				       path);
	if ((r = json_get_strv(obj, path, "architectures", false, &sc->architectures, err)) < 0 ||
	    (r = json_get_strv(obj, path, "flags", false, &sc->flags, err)) < 0)
		return r;
	if ((r = json_get_str(obj, path, "listenerPath", false, &s, err)) < 0)
		return r;
	if (s && *s)
		sc->listener_path = xstrdup(s);
	s = NULL;
	if ((r = json_get_str(obj, path, "listenerMetadata", false, &s, err)) < 0)
		return r;
	if (s && *s)
		sc->listener_metadata = xstrdup(s);
	if ((r = json_get_array(obj, path, "syscalls", false, &arr, err)) < 0)
		return r;
	size_t n = arr ? json_object_array_length(arr) : 0;
	sc->rules = xcalloc(n + 1, sizeof(struct rt_seccomp_rule));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *sp = json_path_key(path, "syscalls");
		_cleanup_free_ char *ip = json_path_index(sp, i);
		sc->n_rules = i + 1;
		if ((r = parse_rule(json_object_array_get_idx(arr, i), ip, sc, &sc->rules[i],
				    err)) < 0)
			return r;
	}
	if (sc->needs_notify && !sc->listener_path)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"%s.listenerPath: required when an action is SCMP_ACT_NOTIFY", path);
	return 0;
}
