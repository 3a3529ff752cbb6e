/* Binds (-v), Mounts (--mount) and Tmpfs (--tmpfs): checked at create, turned
 * into OCI mounts at start, shown by inspect. Those naming volumes are
 * resolved by container-volumes.c. */
#define LOG_CATEGORY "container"
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "container-internal.h"
#include "container-mounts.h"

static const char *const bind_opts[] = { "ro",	    "rw",	  "z",	    "Z",	 "shared",
					 "rshared", "slave",	  "rslave", "private",	 "rprivate",
					 "nocopy",  "consistent", "cached", "delegated", NULL };

/* "src:dst[:opts]" -> parts; false when malformed. */
static bool split_bind(const char *spec, char **src, char **dst, char **opts)
{
	_cleanup_strv_ char **parts = NULL;
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL;

	for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
		strv_push(&parts, p);
	size_t n = strv_length(parts);
	if (n < 2 || n > 3)
		return false;
	*src = xstrdup(parts[0]);
	*dst = xstrdup(parts[1]);
	*opts = n == 3 ? xstrdup(parts[2]) : NULL;
	return true;
}

int container_check_mounts(json_object *hc, struct berth_error **err)
{
	json_object *binds = NULL, *mounts = NULL, *tmpfs = NULL;

	json_object_object_get_ex(hc, "Binds", &binds);
	for (size_t i = 0; binds && i < json_object_array_length(binds); i++) {
		const char *b = json_object_get_string(json_object_array_get_idx(binds, i));
		_cleanup_free_ char *src = NULL, *dst = NULL, *opts = NULL;
		if (!split_bind(b, &src, &dst, &opts))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid volume specification: '%s'", b);
		if (dst[0] != '/')
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"invalid volume specification: '%s': invalid mount "
				"config for type \"bind\": invalid mount path: '%s' mount "
				"path must be absolute",
				b, dst);
		_cleanup_free_ char *ocopy = opts ? xstrdup(opts) : NULL;
		char *save = NULL;
		for (char *o = ocopy ? strtok_r(ocopy, ",", &save) : NULL; o;
		     o = strtok_r(NULL, ",", &save))
			if (!strv_contains((char *const *)bind_opts, o))
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "invalid mode: %s", opts);
	}
	json_object_object_get_ex(hc, "Mounts", &mounts);
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *v = NULL;
		const char *type = NULL, *src = NULL, *dst = NULL;
		if (json_object_object_get_ex(m, "Type", &v))
			type = json_object_get_string(v);
		if (json_object_object_get_ex(m, "Source", &v))
			src = json_object_get_string(v);
		if (json_object_object_get_ex(m, "Target", &v))
			dst = json_object_get_string(v);
		if (!type || (strcmp(type, "bind") != 0 && strcmp(type, "tmpfs") != 0 &&
			      strcmp(type, "volume") != 0)) {
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "mount type unknown: %s",
					       type ? type : "");
		}
		json_object *vo = jget(m, "VolumeOptions");
		const char *sub = vo ? json_object_get_string(jget(vo, "Subpath")) : NULL;
		if (!str_is_empty(sub) && volume_subpath_check(sub, err) < 0)
			return -EINVAL;
		if (str_is_empty(dst) || dst[0] != '/')
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"invalid mount config for type \"%s\": invalid mount "
				"path: '%s' mount path must be absolute",
				type, dst ? dst : "");
		if (strcmp(type, "bind") == 0) {
			struct stat st;
			if (str_is_empty(src))
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "invalid mount config for type \"bind\": "
						       "field Source must not be empty");
			if (stat(src, &st) < 0)
				return berth_error_set(
					err, 0, BERTH_ERR_INVALID,
					"invalid mount config for type \"bind\": bind "
					"source path does not exist: %s",
					src);
		} else if (strcmp(type, "tmpfs") == 0 && !str_is_empty(src)) {
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"invalid mount config for type \"tmpfs\": field Source "
				"must not be specified");
		}
	}
	json_object_object_get_ex(hc, "Tmpfs", &tmpfs);
	if (tmpfs) {
		json_object_object_foreach (tmpfs, path, opts) {
			(void)opts;
			if (path[0] != '/')
				return berth_error_set(
					err, 0, BERTH_ERR_INVALID,
					"invalid mount path: '%s' mount path must be "
					"absolute",
					path);
		}
	}
	return 0;
}

static void add_mount(json_object *arr, const char *type, const char *src, const char *dst,
		      const char *opts_csv)
{
	json_object *m = json_object_new_object(), *opts = json_object_new_array();
	_cleanup_free_ char *copy = opts_csv ? xstrdup(opts_csv) : NULL;
	char *save = NULL;

	jadd(m, "destination", jstr(dst));
	jadd(m, "type", jstr(type));
	jadd(m, "source", jstr(src));
	for (char *o = copy ? strtok_r(copy, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save))
		json_object_array_add(opts, jstr(o));
	jadd(m, "options", opts);
	json_object_array_add(arr, m);
}

/* -v: a missing host directory is created, as docker does for Binds. */
void container_user_mounts(const struct container *c, json_object *oci_mounts)
{
	json_object *binds = NULL, *mounts = NULL, *tmpfs = NULL, *v = NULL;

	json_object_object_get_ex(c->host_config, "Binds", &binds);
	for (size_t i = 0; binds && i < json_object_array_length(binds); i++) {
		_cleanup_free_ char *src = NULL, *dst = NULL, *opts = NULL;
		if (!split_bind(json_object_get_string(json_object_array_get_idx(binds, i)), &src,
				&dst, &opts) ||
		    src[0] != '/')
			continue;
		(void)mkdir_p(src, 0755);
		bool ro = opts && strstr(opts, "ro") && !strstr(opts, "rprivate");
		const char *prop = "rprivate";
		for (size_t k = 0; opts && bind_opts[k]; k++)
			if (strstr(bind_opts[k], "shared") || strstr(bind_opts[k], "slave") ||
			    strstr(bind_opts[k], "private"))
				if (strstr(opts, bind_opts[k]))
					prop = bind_opts[k];
		_cleanup_free_ char *o = xasprintf("rbind,%s,%s", prop, ro ? "ro" : "rw");
		add_mount(oci_mounts, "bind", src, dst, o);
	}
	json_object_object_get_ex(c->host_config, "Mounts", &mounts);
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i);
		const char *type = NULL, *src = NULL, *dst = NULL;
		bool ro = false;
		if (json_object_object_get_ex(m, "Type", &v))
			type = json_object_get_string(v);
		if (json_object_object_get_ex(m, "Source", &v))
			src = json_object_get_string(v);
		if (json_object_object_get_ex(m, "Target", &v))
			dst = json_object_get_string(v);
		if (json_object_object_get_ex(m, "ReadOnly", &v))
			ro = json_object_get_boolean(v);
		if (type && strcmp(type, "bind") == 0) {
			const char *prop = "rprivate";
			json_object *bo = NULL, *p = NULL;
			if (json_object_object_get_ex(m, "BindOptions", &bo) && bo &&
			    json_object_object_get_ex(bo, "Propagation", &p) && p)
				prop = json_object_get_string(p);
			_cleanup_free_ char *o = xasprintf("rbind,%s,%s", prop, ro ? "ro" : "rw");
			add_mount(oci_mounts, "bind", src, dst, o);
		} else if (type && strcmp(type, "tmpfs") == 0) {
			json_object *to = NULL, *sz = NULL, *mode = NULL;
			_cleanup_free_ char *o = xstrdup("nosuid,nodev,noexec");
			if (json_object_object_get_ex(m, "TmpfsOptions", &to) && to) {
				if (json_object_object_get_ex(to, "SizeBytes", &sz) && sz) {
					char *n = xasprintf("%s,size=%lld", o,
							    (long long)json_object_get_int64(sz));
					free(o);
					o = n;
				}
				if (json_object_object_get_ex(to, "Mode", &mode) && mode) {
					char *n = xasprintf("%s,mode=%o", o,
							    (unsigned)json_object_get_int(mode));
					free(o);
					o = n;
				}
			}
			if (ro) {
				char *n = xasprintf("%s,ro", o);
				free(o);
				o = n;
			}
			add_mount(oci_mounts, "tmpfs", "tmpfs", dst, o);
		}
	}
	container_volumes_oci(c, oci_mounts);
	json_object_object_get_ex(c->host_config, "Tmpfs", &tmpfs);
	if (tmpfs) {
		json_object_object_foreach (tmpfs, path, opts) {
			const char *user = json_object_get_string(opts);
			_cleanup_free_ char *o = user && *user
							 ? xasprintf("nosuid,nodev,noexec,%s", user)
							 : xstrdup("nosuid,nodev,noexec");
			add_mount(oci_mounts, "tmpfs", "tmpfs", path, o);
		}
	}
}

json_object *container_mounts_json_binds(const struct container *c)
{
	json_object *a = json_object_new_array(), *binds = NULL, *mounts = NULL, *v = NULL;

	json_object_object_get_ex(c->host_config, "Binds", &binds);
	for (size_t i = 0; binds && i < json_object_array_length(binds); i++) {
		_cleanup_free_ char *src = NULL, *dst = NULL, *opts = NULL;
		if (!split_bind(json_object_get_string(json_object_array_get_idx(binds, i)), &src,
				&dst, &opts) ||
		    src[0] != '/')
			continue;
		json_object *m = json_object_new_object();
		jadd(m, "Type", jstr("bind"));
		jadd(m, "Source", jstr(src));
		jadd(m, "Destination", jstr(dst));
		jadd(m, "Mode", jstr(opts ? opts : ""));
		jadd(m, "RW", json_object_new_boolean(!(opts && strstr(opts, "ro"))));
		jadd(m, "Propagation", jstr("rprivate"));
		json_object_array_add(a, m);
	}
	json_object_object_get_ex(c->host_config, "Mounts", &mounts);
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *out = NULL;
		const char *ty = json_object_get_string(jget(m, "Type"));
		if (ty && strcmp(ty, "volume") == 0)
			continue;
		out = json_object_new_object();
		bool ro =
			json_object_object_get_ex(m, "ReadOnly", &v) && json_object_get_boolean(v);
		json_object *t = NULL, *s = NULL, *d = NULL;
		json_object_object_get_ex(m, "Type", &t);
		json_object_object_get_ex(m, "Source", &s);
		json_object_object_get_ex(m, "Target", &d);
		jadd(out, "Type", json_object_get(t));
		jadd(out, "Source", s ? json_object_get(s) : jstr(""));
		jadd(out, "Destination", json_object_get(d));
		jadd(out, "Mode", jstr(""));
		jadd(out, "RW", json_object_new_boolean(!ro));
		jadd(out, "Propagation",
		     jstr(t && strcmp(json_object_get_string(t), "bind") == 0 ? "rprivate" : ""));
		json_object_array_add(a, out);
	}
	return a;
}

json_object *container_mounts_json(const struct container *c)
{
	json_object *a = json_object_new_array();

	container_volumes_inspect(c, a);
	_cleanup_json_ json_object *binds = container_mounts_json_binds(c);
	for (size_t i = 0; i < json_object_array_length(binds); i++)
		json_object_array_add(a, json_object_get(json_object_array_get_idx(binds, i)));
	return a;
}
