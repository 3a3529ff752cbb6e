/* Docker's default seccomp profile (compiled in) turned into OCI form for a
 * container: rules apply by architecture, capabilities and kernel version,
 * exactly as docker decides them. */
#define LOG_CATEGORY "seccomp"
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "api.h"
#include "container-internal.h"
#include "spec.h"

extern const char seccomp_default_json[];
extern const unsigned long seccomp_default_json_len;

static json_object *default_profile;

static bool str_in_array(json_object *a, const char *s)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (strcasecmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return true;
	return false;
}

static bool caps_all_in(json_object *a, char *const *caps)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (!strv_contains(caps, json_object_get_string(json_object_array_get_idx(a, i))))
			return false;
	return true;
}

static bool caps_any_in(json_object *a, char *const *caps)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (strv_contains(caps, json_object_get_string(json_object_array_get_idx(a, i))))
			return true;
	return false;
}

/* "5.8" <= running kernel? */
static bool kernel_at_least(const char *min)
{
	struct utsname u;
	int want_major = 0, want_minor = 0, major = 0, minor = 0;

	if (!min || sscanf(min, "%d.%d", &want_major, &want_minor) < 1)
		return true;
	(void)uname(&u);
	(void)sscanf(u.release, "%d.%d", &major, &minor);
	return major > want_major || (major == want_major && minor >= want_minor);
}

static bool rule_applies(json_object *rule, char *const *caps)
{
	json_object *inc = NULL, *exc = NULL, *v = NULL;

	if (json_object_object_get_ex(rule, "includes", &inc) && inc) {
		if (json_object_object_get_ex(inc, "arches", &v) && v &&
		    json_object_array_length(v) && !str_in_array(v, "amd64") &&
		    !str_in_array(v, "x86_64"))
			return false;
		if (json_object_object_get_ex(inc, "caps", &v) && v && !caps_all_in(v, caps))
			return false;
		if (json_object_object_get_ex(inc, "minKernel", &v) && v &&
		    !kernel_at_least(json_object_get_string(v)))
			return false;
	}
	if (json_object_object_get_ex(rule, "excludes", &exc) && exc) {
		if (json_object_object_get_ex(exc, "arches", &v) && v &&
		    (str_in_array(v, "amd64") || str_in_array(v, "x86_64")))
			return false;
		if (json_object_object_get_ex(exc, "caps", &v) && v && caps_any_in(v, caps))
			return false;
	}
	return true;
}

int spec_seccomp_default(char *const *caps, json_object **ret, struct berth_error **err)
{
	int r;

	if (!default_profile &&
	    (r = json_parse_text(seccomp_default_json, seccomp_default_json_len, 32,
				 "default seccomp profile", &default_profile, err)) < 0)
		return r;
	return spec_seccomp_convert(default_profile, caps, ret, err);
}

int spec_seccomp_convert(json_object *profile, char *const *caps, json_object **ret,
			 struct berth_error **err)
{
	(void)err;
	json_object *out = json_object_new_object(), *v = NULL, *arches = json_object_new_array();
	json_object *syscalls = json_object_new_array();

	if (json_object_object_get_ex(profile, "defaultAction", &v))
		jadd(out, "defaultAction", json_object_get(v));
	if (json_object_object_get_ex(profile, "defaultErrnoRet", &v) && v)
		jadd(out, "defaultErrnoRet", json_object_get(v));
	json_object *map = NULL;
	json_object_object_get_ex(profile, "archMap", &map);
	for (size_t i = 0; map && i < json_object_array_length(map); i++) {
		json_object *e = json_object_array_get_idx(map, i), *a = NULL, *subs = NULL;
		if (!json_object_object_get_ex(e, "architecture", &a) ||
		    strcmp(json_object_get_string(a), "SCMP_ARCH_X86_64") != 0)
			continue;
		json_object_array_add(arches, json_object_get(a));
		json_object_object_get_ex(e, "subArchitectures", &subs);
		for (size_t k = 0; subs && k < json_object_array_length(subs); k++)
			json_object_array_add(arches,
					      json_object_get(json_object_array_get_idx(subs, k)));
	}
	json_object *plain = NULL;
	if (json_object_object_get_ex(profile, "architectures", &plain) && plain)
		for (size_t i = 0; i < json_object_array_length(plain); i++)
			json_object_array_add(arches,
					      json_object_get(json_object_array_get_idx(plain, i)));
	jadd(out, "architectures", arches);
	json_object *rules = NULL;
	json_object_object_get_ex(profile, "syscalls", &rules);
	for (size_t i = 0; rules && i < json_object_array_length(rules); i++) {
		json_object *rule = json_object_array_get_idx(rules, i);
		if (!rule_applies(rule, caps))
			continue;
		json_object *o = json_object_new_object();
		static const char *const keep[] = { "names", "action", "errnoRet", "args", NULL };
		for (size_t k = 0; keep[k]; k++)
			if (json_object_object_get_ex(rule, keep[k], &v) && v)
				jadd(o, keep[k], json_object_get(v));
		json_object_array_add(syscalls, o);
	}
	jadd(out, "syscalls", syscalls);
	*ret = out;
	return 0;
}
