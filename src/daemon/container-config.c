/* Checking and normalizing Config and HostConfig of a create request, with
 * docker's error messages, and defaults filled in as docker inspect shows. */
#define LOG_CATEGORY "container"
#include <string.h>
#include <strings.h>

#include "api.h"
#include "container-internal.h"
#include "container-mounts.h"
#include "health.h"
#include "runtime.h"

static int type_error(const char *path, const char *want, struct berth_error **err)
{
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected %s", path, want);
}

/* Arrays of strings (a single string is accepted as one element, as docker's strslice). */
static int check_strv(json_object *o, const char *parent, const char *key, struct berth_error **err)
{
	json_object *v = NULL;
	_cleanup_free_ char *path = json_path_key(parent, key);

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	/* Env and OnBuild are []string in docker; only strslice fields take a string. */
	if (json_object_is_type(v, json_type_string) && strcmp(key, "Env") != 0 &&
	    strcmp(key, "OnBuild") != 0) {
		json_object *a = json_object_new_array();
		json_object_array_add(a, json_object_get(v));
		jadd(o, key, a);
		return 0;
	}
	if (!json_object_is_type(v, json_type_array))
		return type_error(path, "an array of strings", err);
	for (size_t i = 0; i < json_object_array_length(v); i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
			return type_error(path, "an array of strings", err);
	return 0;
}

static int check_type(json_object *o, const char *parent, const char *key, json_type t,
		      const char *want, struct berth_error **err)
{
	json_object *v = NULL;
	_cleanup_free_ char *path = json_path_key(parent, key);

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (t == json_type_int && json_object_is_type(v, json_type_double))
		return 0;
	if (!json_object_is_type(v, t))
		return type_error(path, want, err);
	return 0;
}

static int64_t get_i64(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : 0;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) && v &&
			       json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static int check_caps(json_object *hc, const char *key, struct berth_error **err)
{
	json_object *a = NULL;

	if (!json_object_object_get_ex(hc, key, &a) || !a)
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(a, i));
		if (strcasecmp(name, "ALL") == 0)
			continue;
		_cleanup_free_ char *full = strncasecmp(name, "CAP_", 4) == 0
						    ? xstrdup(name)
						    : xasprintf("CAP_%s", name);
		if (rt_cap_from_name(full) < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "unknown capability: \"%s\"", name);
	}
	return 0;
}

static int check_restart(json_object *hc, struct berth_error **err)
{
	json_object *rp = NULL;
	const char *name = NULL;

	if (json_object_object_get_ex(hc, "RestartPolicy", &rp) && rp)
		name = get_str(rp, "Name");
	if (!rp || !json_object_is_type(rp, json_type_object)) {
		rp = json_object_new_object();
		jadd(hc, "RestartPolicy", rp);
	}
	if (str_is_empty(name))
		name = "no";
	if (strcmp(name, "no") != 0 && strcmp(name, "always") != 0 &&
	    strcmp(name, "unless-stopped") != 0 && strcmp(name, "on-failure") != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid restart policy '%s'",
				       name);
	int64_t max = get_i64(rp, "MaximumRetryCount");
	if (max < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "maximum retry count cannot be negative");
	if (max && strcmp(name, "on-failure") != 0)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"maximum retry count cannot be used with restart policy '%s'", name);
	json_object *auto_rm = NULL;
	if (strcmp(name, "no") != 0 && json_object_object_get_ex(hc, "AutoRemove", &auto_rm) &&
	    json_object_get_boolean(auto_rm))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "can't create 'AutoRemove' container with restart policy");
	jadd(rp, "Name", jstr(name));
	jadd(rp, "MaximumRetryCount", json_object_new_int64(max));
	return 0;
}

static int check_network(struct daemon *d, json_object *hc, struct berth_error **err)
{
	const char *mode = get_str(hc, "NetworkMode");

	struct container *other = NULL;

	if (str_is_empty(mode) || strcmp(mode, "default") == 0)
		mode = "bridge";
	if (str_has_prefix(mode, "container:")) {
		if (container_lookup(d, mode + strlen("container:"), &other, err) < 0)
			return -ENOENT;
		json_object *pb = jget(hc, "PortBindings");
		if ((pb && json_object_is_type(pb, json_type_object) &&
		     json_object_object_length(pb)) ||
		    (jget(hc, "PublishAllPorts") &&
		     json_object_get_boolean(jget(hc, "PublishAllPorts"))))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "conflicting options: port publishing and the "
					       "container type network mode");
		jadd(hc, "NetworkMode", jstr(mode));
		return 0;
	}
	/* a network name: looked up by container_net_create */
	jadd(hc, "NetworkMode", jstr(mode));
	return 0;
}

static int check_log_config(json_object *hc, struct berth_error **err)
{
	json_object *lc = NULL, *opts = NULL;
	const char *type = NULL;

	if (json_object_object_get_ex(hc, "LogConfig", &lc) && lc)
		type = get_str(lc, "Type");
	if (!lc || !json_object_is_type(lc, json_type_object)) {
		lc = json_object_new_object();
		jadd(hc, "LogConfig", lc);
	}
	if (str_is_empty(type))
		type = "json-file";
	if (strcmp(type, "json-file") != 0 && strcmp(type, "none") != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: the '%s' logging driver is not supported yet", type);
	jadd(lc, "Type", jstr(type));
	if (!json_object_object_get_ex(lc, "Config", &opts) || !opts) {
		opts = json_object_new_object();
		jadd(lc, "Config", opts);
	}
	/* json-file's options as dockerd knows them; labels, env and tag are
	 * accepted and not written into the entries yet */
	static const char *const known[] = { "max-size",  "max-file",	  "compress",
					     "labels",	  "labels-regex", "env",
					     "env-regex", "tag",	  NULL };
	json_object_object_foreach (opts, key, val) {
		if (!strv_contains((char *const *)known, key))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "unknown log opt '%s' for json-file log driver",
					       key);
		if (!json_object_is_type(val, json_type_string))
			return type_error("LogConfig.Config", "an object of strings", err);
	}
	const char *ms = get_str(opts, "max-size"), *mf = get_str(opts, "max-file");
	if (ms && log_size_parse(ms) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid max-size '%s': use a size such as 10m, 512k or 1g",
				       ms);
	if (mf) {
		char *end = NULL;
		long n = strtol(mf, &end, 10);
		if (!*mf || *end || n < 1 || n > 1000)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "max-file cannot be less than 1");
		if (n > 1 && !ms)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "max-file cannot be set when max-size is not set");
	}
	return 0;
}

static int check_host_config(struct daemon *d, json_object *hc, struct berth_error **err)
{
	static const char *const strvs[] = { "Binds",	   "CapAdd",	"CapDrop",    "Dns",
					     "DnsOptions", "DnsSearch", "ExtraHosts", "SecurityOpt",
					     "GroupAdd",   "Links",	NULL };
	static const char *const ints[] = { "Memory",	   "MemorySwap", "MemoryReservation",
					    "NanoCpus",	   "CpuShares",	 "CpuQuota",
					    "CpuPeriod",   "PidsLimit",	 "ShmSize",
					    "OomScoreAdj", NULL };
	int r;

	for (size_t i = 0; strvs[i]; i++)
		if ((r = check_strv(hc, "HostConfig", strvs[i], err)) < 0)
			return r;
	for (size_t i = 0; ints[i]; i++)
		if ((r = check_type(hc, "HostConfig", ints[i], json_type_int, "an integer", err)) <
		    0)
			return r;
	if ((r = check_type(hc, "HostConfig", "Privileged", json_type_boolean, "a boolean", err)) <
		    0 ||
	    (r = check_type(hc, "HostConfig", "ReadonlyRootfs", json_type_boolean, "a boolean",
			    err)) < 0 ||
	    (r = check_type(hc, "HostConfig", "AutoRemove", json_type_boolean, "a boolean", err)) <
		    0 ||
	    (r = check_type(hc, "HostConfig", "Sysctls", json_type_object, "an object", err)) < 0 ||
	    (r = check_type(hc, "HostConfig", "Tmpfs", json_type_object, "an object", err)) < 0 ||
	    (r = check_type(hc, "HostConfig", "Ulimits", json_type_array, "an array", err)) < 0 ||
	    (r = check_type(hc, "HostConfig", "Mounts", json_type_array, "an array", err)) < 0 ||
	    (r = check_type(hc, "HostConfig", "CgroupParent", json_type_string, "a string", err)) <
		    0)
		return r;
	int64_t mem = get_i64(hc, "Memory");
	if (mem > 0 && mem < 6 * 1024 * 1024)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Minimum memory limit allowed is 6MB");
	if (get_i64(hc, "NanoCpus") && (get_i64(hc, "CpuQuota") || get_i64(hc, "CpuPeriod")))
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"Conflicting options: Nano CPUs and CPU Period cannot both be "
			"set");
	if (get_i64(hc, "NanoCpus") < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Range of CPUs is from 0.01 to ...");
	if ((r = check_caps(hc, "CapAdd", err)) < 0 || (r = check_caps(hc, "CapDrop", err)) < 0 ||
	    (r = check_restart(hc, err)) < 0 || (r = check_network(d, hc, err)) < 0 ||
	    (r = check_log_config(hc, err)) < 0)
		return r;
	const char *cgp = get_str(hc, "CgroupParent");
	if (!str_is_empty(cgp) && (cgp[0] != '/' || strstr(cgp, "..") || strlen(cgp) > 200))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid CgroupParent '%s': use an absolute cgroup path "
				       "without '..'",
				       cgp);
	const char *runtime = get_str(hc, "Runtime");
	if (!str_is_empty(runtime)) {
		bool known = false;
		for (size_t i = 0; i < d->n_runtimes; i++)
			known |= strcmp(d->runtimes[i].name, runtime) == 0;
		if (!known)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "Unknown runtime specified %s", runtime);
	} else {
		jadd(hc, "Runtime", jstr(d->default_runtime));
	}
	return container_check_mounts(hc, err);
}

int container_check_config(struct daemon *d, json_object *body, json_object **ret_cfg,
			   json_object **ret_hc, struct berth_error **err)
{
	_cleanup_json_ json_object *cfg = NULL, *hc = NULL;
	json_object *h = NULL;
	int r;

	if (json_object_deep_copy(body, &cfg, NULL) < 0)
		abort();
	if (json_object_object_get_ex(cfg, "HostConfig", &h) && h) {
		if (!json_object_is_type(h, json_type_object))
			return type_error("HostConfig", "an object", err);
		hc = json_object_get(h);
	} else {
		hc = json_object_new_object();
	}
	json_object_object_del(cfg, "HostConfig");
	json_object_object_del(cfg, "NetworkingConfig");
	static const char *const cfg_strvs[] = { "Env",	  "Cmd",     "Entrypoint",
						 "Shell", "OnBuild", NULL };
	for (size_t i = 0; cfg_strvs[i]; i++)
		if ((r = check_strv(cfg, "Config", cfg_strvs[i], err)) < 0)
			return r;
	if ((r = check_type(cfg, "Config", "Labels", json_type_object, "an object", err)) < 0 ||
	    (r = check_type(cfg, "Config", "Tty", json_type_boolean, "a boolean", err)) < 0 ||
	    (r = check_type(cfg, "Config", "OpenStdin", json_type_boolean, "a boolean", err)) < 0 ||
	    (r = check_type(cfg, "Config", "User", json_type_string, "a string", err)) < 0 ||
	    (r = check_type(cfg, "Config", "WorkingDir", json_type_string, "a string", err)) < 0 ||
	    (r = check_type(cfg, "Config", "StopTimeout", json_type_int, "an integer", err)) < 0 ||
	    (r = health_config_check(cfg, err)) < 0 || (r = check_host_config(d, hc, err)) < 0)
		return r;
	json_object *vols = NULL;
	if (json_object_object_get_ex(cfg, "Volumes", &vols) && vols &&
	    json_object_is_type(vols, json_type_object)) {
		json_object_object_foreach (vols, path, val) {
			(void)val;
			if (path[0] != '/')
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "invalid volume specification: '%s'", path);
		}
	}
	const char *stop = get_str(cfg, "StopSignal");
	int sig;
	if (!str_is_empty(stop) && rt_signal_parse(stop, &sig) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "Invalid signal: %s", stop);
	const char *wd = get_str(cfg, "WorkingDir");
	if (wd && *wd && wd[0] != '/')
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "the working directory '%s' is invalid, it needs to be an "
				       "absolute path",
				       wd);
	for (const char *const *k = (const char *const[]){ "Labels", NULL }; *k; k++) {
		json_object *lab = NULL;
		if (json_object_object_get_ex(cfg, *k, &lab) && lab) {
			json_object_object_foreach (lab, key, val) {
				if (!json_object_is_type(val, json_type_string))
					return berth_error_set(
						err, 0, BERTH_ERR_INVALID,
						"Config.Labels.%s: expected a string", key);
			}
		}
	}
	*ret_cfg = TAKE_PTR(cfg);
	*ret_hc = TAKE_PTR(hc);
	return 0;
}
