/* config.json "linux" -> namespaces, id maps, devices, sysctl, paths, personality. */
#define LOG_CATEGORY "spec"
#include <sched.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/mount.h>

#include "json-util.h"
#include "spec-json-internal.h"

static int invalid(struct berth_error **err, const char *path, const char *what)
{
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: %s", path, what);
}

static int parse_namespaces(json_object *lx, struct rt_spec *spec, struct berth_error **err)
{
	json_object *arr = NULL;
	int r;

	if ((r = json_get_array(lx, "linux", "namespaces", false, &arr, err)) <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	spec->namespaces = xcalloc(n + 1, sizeof(struct rt_namespace));
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *p = json_path_index("linux.namespaces", i);
		const char *type = NULL, *path = NULL;

		if (!o || !json_object_is_type(o, json_type_object))
			return invalid(err, p, "expected an object");
		if ((r = json_get_str(o, p, "type", true, &type, err)) < 0 ||
		    (r = json_get_str(o, p, "path", false, &path, err)) < 0)
			return r;
		int t = spec_namespace_type(type);
		if (t < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.type: unknown namespace '%s'", p, type);
		if (spec_has_namespace(spec, t, NULL))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.type: namespace '%s' given twice", p, type);
		if (path && *path && path[0] != '/')
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.path: '%s' is not an absolute path", p, path);
		spec->namespaces[i].type = t;
		spec->namespaces[i].path = path && *path ? xstrdup(path) : NULL;
		spec->n_namespaces = i + 1;
	}
	return 0;
}

static int parse_idmaps(json_object *lx, const char *key, struct rt_idmap **ret, size_t *ret_n,
			struct berth_error **err)
{
	json_object *arr = NULL;
	_cleanup_free_ char *kp = json_path_key("linux", key);
	int r;

	if ((r = json_get_array(lx, "linux", key, false, &arr, err)) <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	if (n > 340) /* the kernel's limit on lines in uid_map */
		return invalid(err, kp, "more than 340 mappings");
	*ret = xcalloc(n + 1, sizeof(struct rt_idmap));
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *p = json_path_index(kp, i);
		struct rt_idmap *m = &(*ret)[i];

		if (!o || !json_object_is_type(o, json_type_object))
			return invalid(err, p, "expected an object");
		if ((r = json_get_uint32(o, p, "containerID", true, &m->container_id, err)) < 0 ||
		    (r = json_get_uint32(o, p, "hostID", true, &m->host_id, err)) < 0 ||
		    (r = json_get_uint32(o, p, "size", true, &m->size, err)) < 0)
			return r;
		*ret_n = i + 1;
		if (m->size == 0)
			return invalid(err, p, "size must be positive");
	}
	return 0;
}

static int parse_devices(json_object *lx, struct rt_spec *spec, struct berth_error **err)
{
	json_object *arr = NULL;
	int r;

	if ((r = json_get_array(lx, "linux", "devices", false, &arr, err)) <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	spec->devices = xcalloc(n + 1, sizeof(struct rt_device));
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *p = json_path_index("linux.devices", i);
		struct rt_device *d = &spec->devices[i];
		const char *type = NULL, *path = NULL;

		if (!o || !json_object_is_type(o, json_type_object))
			return invalid(err, p, "expected an object");
		if ((r = json_get_str(o, p, "type", true, &type, err)) < 0 ||
		    (r = json_get_str(o, p, "path", true, &path, err)) < 0)
			return r;
		spec->n_devices = i + 1;
		d->path = xstrdup(path);
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.type: '%s' is not one of c, b, u, p", p, type);
		d->type = type[0];
		if (path[0] != '/')
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.path: '%s' is not an absolute path", p, path);
		if ((r = json_get_int64(o, p, "major", d->type != 'p', &d->major, err)) < 0 ||
		    (r = json_get_int64(o, p, "minor", d->type != 'p', &d->minor, err)) < 0)
			return r;
		if ((r = json_get_uint32(o, p, "fileMode", false, &d->file_mode, err)) < 0)
			return r;
		d->has_mode = r == 1;
		if ((r = json_get_uint32(o, p, "uid", false, &d->uid, err)) < 0)
			return r;
		d->has_uid = r == 1;
		if ((r = json_get_uint32(o, p, "gid", false, &d->gid, err)) < 0)
			return r;
		d->has_gid = r == 1;
		if (d->major < 0 || d->minor < 0 || d->major > 0xfff || d->minor > 0xfffff)
			return invalid(err, p, "major and minor out of range");
	}
	return 0;
}

static int parse_personality(json_object *lx, struct rt_spec *spec, struct berth_error **err)
{
	json_object *o = NULL;
	const char *domain = NULL;
	_cleanup_strv_ char **flags = NULL;
	int r;

	if ((r = json_get_object(lx, "linux", "personality", false, &o, err)) <= 0)
		return r;
	if ((r = json_get_str(o, "linux.personality", "domain", true, &domain, err)) < 0 ||
	    (r = json_get_strv(o, "linux.personality", "flags", false, &flags, err)) < 0)
		return r;
	if (strcmp(domain, "LINUX") == 0)
		spec->personality = PER_LINUX;
	else if (strcmp(domain, "LINUX32") == 0)
		spec->personality = PER_LINUX32;
	else
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "linux.personality.domain: unknown domain '%s'", domain);
	if (flags && flags[0])
		return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
				       "linux.personality.flags: '%s' is not supported", flags[0]);
	spec->has_personality = true;
	return 0;
}

static int parse_time_offsets(json_object *lx, struct rt_spec *spec, struct berth_error **err)
{
	json_object *o = NULL, *c = NULL;
	int r;

	if ((r = json_get_object(lx, "linux", "timeOffsets", false, &o, err)) <= 0)
		return r;
	static const char *const allowed[] = { "monotonic", "boottime", NULL };
	if ((r = json_check_keys(o, "linux.timeOffsets", allowed, err)) < 0)
		return r;
	spec->has_time_offsets = true;
	if ((r = json_get_object(o, "linux.timeOffsets", "monotonic", false, &c, err)) < 0)
		return r;
	if (c && ((r = json_get_int64(c, "linux.timeOffsets.monotonic", "secs", false,
				      &spec->monotonic_secs, err)) < 0 ||
		  (r = json_get_uint32(c, "linux.timeOffsets.monotonic", "nanosecs", false,
				       &spec->monotonic_nsecs, err)) < 0))
		return r;
	c = NULL;
	if ((r = json_get_object(o, "linux.timeOffsets", "boottime", false, &c, err)) < 0)
		return r;
	if (c && ((r = json_get_int64(c, "linux.timeOffsets.boottime", "secs", false,
				      &spec->boottime_secs, err)) < 0 ||
		  (r = json_get_uint32(c, "linux.timeOffsets.boottime", "nanosecs", false,
				       &spec->boottime_nsecs, err)) < 0))
		return r;
	if (spec->monotonic_nsecs >= 1000000000u || spec->boottime_nsecs >= 1000000000u)
		return invalid(err, "linux.timeOffsets", "nanosecs must be below 1000000000");
	return 0;
}

/* Fields that would change isolation or resource control if ignored are refused by name. */
static int refuse_unsupported(json_object *lx, struct berth_error **err)
{
	static const char *const unsupported[] = { "intelRdt", "memoryPolicy", "netDevices", NULL };
	json_object *v = NULL;

	for (size_t i = 0; unsupported[i]; i++) {
		if (json_object_object_get_ex(lx, unsupported[i], &v) && v)
			return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
					       "linux.%s: not supported by berth-runtime",
					       unsupported[i]);
	}
	return 0;
}

static int parse_strings(json_object *lx, struct rt_spec *spec, struct berth_error **err)
{
	const char *s = NULL;
	int r;

	if ((r = json_get_str(lx, "linux", "cgroupsPath", false, &s, err)) < 0)
		return r;
	if (s && *s)
		spec->cgroups_path = xstrdup(s);
	s = NULL;
	if ((r = json_get_str(lx, "linux", "rootfsPropagation", false, &s, err)) < 0)
		return r;
	if (s && *s && spec_propagation_from_name(s, &spec->rootfs_propagation) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "linux.rootfsPropagation: unknown propagation '%s'", s);
	s = NULL;
	if ((r = json_get_str(lx, "linux", "mountLabel", false, &s, err)) < 0)
		return r;
	if (s && *s)
		spec->mount_label = xstrdup(s);
	if ((r = json_get_strv(lx, "linux", "maskedPaths", false, &spec->masked_paths, err)) < 0 ||
	    (r = json_get_strv(lx, "linux", "readonlyPaths", false, &spec->readonly_paths, err)) <
		    0)
		return r;
	return 0;
}

int spec_parse_linux(json_object *lx, struct rt_spec *spec, struct berth_error **err)
{
	json_object *o = NULL;
	int r;

	spec->has_linux = true;
	if ((r = refuse_unsupported(lx, err)) < 0 || (r = parse_namespaces(lx, spec, err)) < 0 ||
	    (r = parse_idmaps(lx, "uidMappings", &spec->uid_mappings, &spec->n_uid_mappings, err)) <
		    0 ||
	    (r = parse_idmaps(lx, "gidMappings", &spec->gid_mappings, &spec->n_gid_mappings, err)) <
		    0 ||
	    (r = parse_devices(lx, spec, err)) < 0 || (r = parse_strings(lx, spec, err)) < 0 ||
	    (r = parse_personality(lx, spec, err)) < 0 ||
	    (r = parse_time_offsets(lx, spec, err)) < 0)
		return r;
	if ((r = json_get_object(lx, "linux", "sysctl", false, &o, err)) < 0)
		return r;
	if (o &&
	    (r = spec_parse_kv_object(o, "linux.sysctl", &spec->sysctl, &spec->n_sysctl, err)) < 0)
		return r;
	o = NULL;
	if ((r = json_get_object(lx, "linux", "resources", false, &o, err)) < 0)
		return r;
	if (o && (r = spec_parse_resources(o, "linux.resources", &spec->resources, err)) < 0)
		return r;
	o = NULL;
	if ((r = json_get_object(lx, "linux", "seccomp", false, &o, err)) < 0)
		return r;
	if (o && (r = spec_parse_seccomp(o, "linux.seccomp", &spec->seccomp, err)) < 0)
		return r;
	return 0;
}
