/* config.json -> struct rt_spec: the top level, root, mounts, hooks and process.
 * The linux section lives in spec-json-linux.c. */
#define LOG_CATEGORY "spec"
#include <fcntl.h>
#include <limits.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>

#include "json-util.h"
#include "spec-json-internal.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static int invalid(struct berth_error **err, const char *path, const char *what)
{
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: %s", path, what);
}

int spec_parse_kv_object(json_object *obj, const char *path, struct rt_kv **ret, size_t *ret_n,
			 struct berth_error **err)
{
	size_t n = 0, cap = (size_t)json_object_object_length(obj);
	struct rt_kv *kv = xcalloc(cap + 1, sizeof(*kv));

	json_object_object_foreach (obj, key, val) {
		if (!json_object_is_type(val, json_type_string)) {
			for (size_t i = 0; i < n; i++) {
				free(kv[i].key);
				free(kv[i].value);
			}
			free(kv);
			_cleanup_free_ char *p = json_path_key(path, key);
			return invalid(err, p, "expected a string");
		}
		kv[n].key = xstrdup(key);
		kv[n].value = xstrdup(json_object_get_string(val));
		n++;
	}
	*ret = kv;
	*ret_n = n;
	return 0;
}

/* ---- mounts ---- */

struct mount_opt {
	const char *name;
	bool clear;
	unsigned long flag;
};

static const struct mount_opt mount_opts[] = {
	{ "ro", false, MS_RDONLY },
	{ "rw", true, MS_RDONLY },
	{ "nosuid", false, MS_NOSUID },
	{ "suid", true, MS_NOSUID },
	{ "nodev", false, MS_NODEV },
	{ "dev", true, MS_NODEV },
	{ "noexec", false, MS_NOEXEC },
	{ "exec", true, MS_NOEXEC },
	{ "sync", false, MS_SYNCHRONOUS },
	{ "async", true, MS_SYNCHRONOUS },
	{ "dirsync", false, MS_DIRSYNC },
	{ "remount", false, MS_REMOUNT },
	{ "mand", false, MS_MANDLOCK },
	{ "nomand", true, MS_MANDLOCK },
	{ "noatime", false, MS_NOATIME },
	{ "atime", true, MS_NOATIME },
	{ "nodiratime", false, MS_NODIRATIME },
	{ "diratime", true, MS_NODIRATIME },
	{ "relatime", false, MS_RELATIME },
	{ "norelatime", true, MS_RELATIME },
	{ "strictatime", false, MS_STRICTATIME },
	{ "nostrictatime", true, MS_STRICTATIME },
	{ "lazytime", false, MS_LAZYTIME },
	{ "nolazytime", true, MS_LAZYTIME },
	{ "silent", false, MS_SILENT },
	{ "loud", true, MS_SILENT },
	{ "nosymfollow", false, MS_NOSYMFOLLOW },
	{ "symfollow", true, MS_NOSYMFOLLOW },
};

static const struct {
	const char *name;
	unsigned long flags;
} propagation_opts[] = {
	{ "private", MS_PRIVATE },	 { "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED },	 { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },		 { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

int spec_propagation_from_name(const char *name, unsigned long *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(propagation_opts); i++) {
		if (strcmp(propagation_opts[i].name, name) == 0) {
			*ret = propagation_opts[i].flags;
			return 0;
		}
	}
	return -EINVAL;
}

static void data_append(char **data, const char *opt)
{
	char *n = *data ? xasprintf("%s,%s", *data, opt) : xstrdup(opt);
	free(*data);
	*data = n;
}

static int parse_mount_option(struct rt_mount *m, const char *opt, const char *path,
			      struct berth_error **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++) {
		if (strcmp(mount_opts[i].name, opt) != 0)
			continue;
		if (mount_opts[i].clear) {
			m->flags &= ~mount_opts[i].flag;
			m->clear_flags |= mount_opts[i].flag;
		} else {
			m->flags |= mount_opts[i].flag;
			m->clear_flags &= ~mount_opts[i].flag;
		}
		return 0;
	}
	unsigned long prop;
	if (spec_propagation_from_name(opt, &prop) == 0) {
		m->propagation = prop;
		return 0;
	}
	if (strcmp(opt, "bind") == 0 || strcmp(opt, "rbind") == 0) {
		m->kind = RT_MOUNT_BIND;
		m->recursive = opt[0] == 'r';
		return 0;
	}
	if (strcmp(opt, "rro") == 0) {
		m->ro_recursive = true;
		m->flags |= MS_RDONLY;
		return 0;
	}
	if (strcmp(opt, "rrw") == 0)
		return 0;
	if (strcmp(opt, "tmpcopyup") == 0) {
		m->tmpcopyup = true;
		return 0;
	}
	if (strcmp(opt, "idmap") == 0 || strcmp(opt, "ridmap") == 0) {
		m->has_idmap = true;
		return 0;
	}
	if (str_has_prefix(opt, "r") &&
	    (strcmp(opt, "rnosuid") == 0 || strcmp(opt, "rnodev") == 0 ||
	     strcmp(opt, "rnoexec") == 0 || strcmp(opt, "rnoatime") == 0)) {
		/* Recursive attributes: applied with mount_setattr on the whole tree. */
		return parse_mount_option(m, opt + 1, path, err);
	}
	if (str_has_prefix(opt, "x-") || str_has_prefix(opt, "X-"))
		return 0; /* userspace-only options, as mount(8) treats them */
	data_append(&m->data, opt);
	return 0;
}

static int parse_mount(json_object *obj, const char *path, struct rt_mount *m,
		       struct berth_error **err)
{
	const char *dest = NULL, *type = NULL, *source = NULL;
	_cleanup_strv_ char **options = NULL;
	json_object *uidm = NULL, *gidm = NULL;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return invalid(err, path, "expected an object");
	if ((r = json_get_str(obj, path, "destination", true, &dest, err)) < 0 ||
	    (r = json_get_str(obj, path, "type", false, &type, err)) < 0 ||
	    (r = json_get_str(obj, path, "source", false, &source, err)) < 0 ||
	    (r = json_get_strv(obj, path, "options", false, &options, err)) < 0 ||
	    (r = json_get_array(obj, path, "uidMappings", false, &uidm, err)) < 0 ||
	    (r = json_get_array(obj, path, "gidMappings", false, &gidm, err)) < 0)
		return r;
	if (dest[0] != '/') {
		_cleanup_free_ char *p = json_path_key(path, "destination");
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s: '%s' is not an absolute path", p, dest);
	}
	m->destination = xstrdup(dest);
	m->type = xstrdup(type ? type : "");
	m->source = source ? xstrdup(source) : NULL;
	m->kind = (type && strcmp(type, "bind") == 0) ? RT_MOUNT_BIND : RT_MOUNT_FS;
	for (size_t i = 0; options && options[i]; i++) {
		_cleanup_free_ char *op = json_path_key(path, "options");
		if ((r = parse_mount_option(m, options[i], op, err)) < 0)
			return r;
	}
	if (m->kind == RT_MOUNT_BIND && !m->source) {
		_cleanup_free_ char *p = json_path_key(path, "source");
		return invalid(err, p, "a bind mount needs a source");
	}
	if ((uidm && json_object_array_length(uidm) > 0) ||
	    (gidm && json_object_array_length(gidm) > 0))
		m->has_idmap = true;
	if (m->has_idmap) {
		_cleanup_free_ char *p = json_path_key(path, "options");
		return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
				       "%s: idmapped mounts are not supported by berth-runtime yet",
				       p);
	}
	if (m->kind == RT_MOUNT_FS && str_is_empty(m->type)) {
		_cleanup_free_ char *p = json_path_key(path, "type");
		return invalid(err, p, "a mount that is not a bind mount needs a type");
	}
	return 0;
}

static int parse_mounts(json_object *root, struct rt_spec *spec, struct berth_error **err)
{
	json_object *arr = NULL;
	int r = json_get_array(root, "", "mounts", false, &arr, err);

	if (r <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	spec->mounts = xcalloc(n + 1, sizeof(struct rt_mount));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = json_path_index("mounts", i);
		spec->n_mounts = i + 1;
		if ((r = parse_mount(json_object_array_get_idx(arr, i), p, &spec->mounts[i], err)) <
		    0)
			return r;
	}
	return 0;
}

/* ---- hooks ---- */

static const char *const hook_keys[RT_HOOK_KIND_MAX] = {
	[RT_HOOK_PRESTART] = "prestart",
	[RT_HOOK_CREATE_RUNTIME] = "createRuntime",
	[RT_HOOK_CREATE_CONTAINER] = "createContainer",
	[RT_HOOK_START_CONTAINER] = "startContainer",
	[RT_HOOK_POSTSTART] = "poststart",
	[RT_HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_kind_name(enum rt_hook_kind kind)
{
	return kind < RT_HOOK_KIND_MAX ? hook_keys[kind] : "unknown";
}

static int parse_hook(json_object *obj, const char *path, struct rt_hook *h,
		      struct berth_error **err)
{
	const char *hpath = NULL;
	int64_t timeout = 0;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return invalid(err, path, "expected an object");
	if ((r = json_get_str(obj, path, "path", true, &hpath, err)) < 0 ||
	    (r = json_get_strv(obj, path, "args", false, &h->args, err)) < 0 ||
	    (r = json_get_strv(obj, path, "env", false, &h->env, err)) < 0 ||
	    (r = json_get_int64(obj, path, "timeout", false, &timeout, err)) < 0)
		return r;
	if (r == 1) {
		if (timeout <= 0 || timeout > INT_MAX) {
			_cleanup_free_ char *p = json_path_key(path, "timeout");
			return invalid(err, p, "must be a positive number of seconds");
		}
		h->has_timeout = true;
		h->timeout = (int)timeout;
	}
	if (hpath[0] != '/') {
		_cleanup_free_ char *p = json_path_key(path, "path");
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s: '%s' is not an absolute path", p, hpath);
	}
	h->path = xstrdup(hpath);
	return 0;
}

static int parse_hooks(json_object *root, struct rt_spec *spec, struct berth_error **err)
{
	json_object *hooks = NULL;
	static const char *const allowed[] = { "prestart",
					       "createRuntime",
					       "createContainer",
					       "startContainer",
					       "poststart",
					       "poststop",
					       NULL };
	int r = json_get_object(root, "", "hooks", false, &hooks, err);

	if (r <= 0)
		return r;
	if ((r = json_check_keys(hooks, "hooks", allowed, err)) < 0)
		return r;
	for (int k = 0; k < RT_HOOK_KIND_MAX; k++) {
		json_object *arr = NULL;
		if ((r = json_get_array(hooks, "hooks", hook_keys[k], false, &arr, err)) < 0)
			return r;
		if (!arr)
			continue;
		size_t n = json_object_array_length(arr);
		struct rt_hook_list *l = &spec->hooks[k];
		l->hooks = xcalloc(n + 1, sizeof(struct rt_hook));
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *kp = json_path_key("hooks", hook_keys[k]);
			_cleanup_free_ char *p = json_path_index(kp, i);
			l->n = i + 1;
			if ((r = parse_hook(json_object_array_get_idx(arr, i), p, &l->hooks[i],
					    err)) < 0)
				return r;
		}
	}
	return 0;
}

/* ---- top level ---- */

static int parse_root(json_object *root, struct rt_spec *spec, struct berth_error **err)
{
	json_object *obj = NULL;
	const char *path = NULL;
	int r;

	if ((r = json_get_object(root, "", "root", false, &obj, err)) < 0)
		return r;
	if (!obj)
		return 0;
	if ((r = json_get_str(obj, "root", "path", true, &path, err)) < 0 ||
	    (r = json_get_bool(obj, "root", "readonly", &spec->root_readonly, err)) < 0)
		return r;
	if (str_is_empty(path))
		return invalid(err, "root.path", "must not be empty");
	spec->root_path = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", spec->bundle, path);
	return 0;
}

int spec_parse(const char *text, size_t len, const char *bundle, struct rt_spec **ret,
	       struct berth_error **err)
{
	_cleanup_json_ json_object *root = NULL;
	_cleanup_spec_ struct rt_spec *spec = xzalloc(sizeof(*spec));
	json_object *obj = NULL, *ann = NULL;
	const char *s = NULL;
	int r;

	if ((r = json_parse_text(text, len, SPEC_MAX_DEPTH, "config.json", &root, err)) < 0)
		return r;
	if (!json_object_is_type(root, json_type_object))
		return invalid(err, "config.json", "the document must be a JSON object");
	spec->bundle = xstrdup(bundle ? bundle : ".");

	if ((r = json_get_str(root, "", "ociVersion", true, &s, err)) < 0)
		return r;
	if (!str_has_prefix(s, "1."))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "ociVersion: '%s' is not supported (1.x expected)", s);
	spec->oci_version = xstrdup(s);
	if ((r = parse_root(root, spec, err)) < 0)
		return r;
	if ((r = json_get_object(root, "", "process", false, &obj, err)) < 0)
		return r;
	if (obj && (r = spec_parse_process(obj, "process", &spec->process, err)) < 0)
		return r;
	s = NULL;
	if ((r = json_get_str(root, "", "hostname", false, &s, err)) < 0)
		return r;
	if (s)
		spec->hostname = xstrdup(s);
	s = NULL;
	if ((r = json_get_str(root, "", "domainname", false, &s, err)) < 0)
		return r;
	if (s)
		spec->domainname = xstrdup(s);
	if ((r = parse_mounts(root, spec, err)) < 0 || (r = parse_hooks(root, spec, err)) < 0)
		return r;
	if ((r = json_get_object(root, "", "annotations", false, &ann, err)) < 0)
		return r;
	if (ann && (r = spec_parse_kv_object(ann, "annotations", &spec->annotations,
					     &spec->n_annotations, err)) < 0)
		return r;
	obj = NULL;
	if ((r = json_get_object(root, "", "linux", false, &obj, err)) < 0)
		return r;
	if (obj && (r = spec_parse_linux(obj, spec, err)) < 0)
		return r;
	for (const char *const *k =
		     (const char *const[]){ "solaris", "windows", "vm", "zos", NULL };
	     *k; k++) {
		if (json_object_object_get_ex(root, *k, NULL))
			return berth_error_set(
				err, EOPNOTSUPP, BERTH_ERR_INVALID,
				"%s: this platform's section is not supported on Linux", *k);
	}
	if ((r = spec_validate(spec, err)) < 0)
		return r;
	*ret = TAKE_PTR(spec);
	return 0;
}

int spec_load(const char *bundle, const char *config_path, struct rt_spec **ret,
	      struct berth_error **err)
{
	_cleanup_free_ char *text = NULL, *abs_bundle = NULL, *path = NULL;
	size_t len = 0;
	int r;

	abs_bundle = realpath(bundle ? bundle : ".", NULL);
	if (!abs_bundle)
		return berth_error_set(err, errno, BERTH_ERR_NOT_FOUND, "bundle '%s'",
				       bundle ? bundle : ".");
	path = config_path ? xstrdup(config_path) : xasprintf("%s/config.json", abs_bundle);
	r = file_read_all(path, SPEC_MAX_BYTES, &text, &len);
	if (r == -EFBIG)
		return berth_error_set(err, EFBIG, BERTH_ERR_INVALID,
				       "'%s' is larger than the %u bytes allowed", path,
				       SPEC_MAX_BYTES);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_NOT_FOUND, "read '%s'", path);
	return spec_parse(text, len, abs_bundle, ret, err);
}
