/* create and run: HostConfig and NetworkingConfig as the docker CLI builds
 * them for API 1.45, and the parsers of the structured flags. */
#define LOG_CATEGORY "cli-run"
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-run-internal.h"

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static json_object *array_or_null(char **v)
{
	json_object *a;

	if (!v)
		return NULL;
	a = json_object_new_array();
	for (size_t i = 0; v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* "k=v" strings to a sorted map; values without "=" map to "". */
static json_object *kv_map(char **v)
{
	_cleanup_json_ json_object *m = json_object_new_object();

	for (size_t i = 0; v && v[i]; i++) {
		char *eq = strchr(v[i], '=');
		_cleanup_free_ char *k = eq ? xstrndup(v[i], (size_t)(eq - v[i])) : xstrdup(v[i]);
		add_str(m, k, eq ? eq + 1 : "");
	}
	return json_sorted_copy(m);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* docker's NormalizeCapability: upper case with CAP_, "ALL" kept; sorted, unique. */
static json_object *caps_json(char **caps)
{
	_cleanup_strv_ char **n = NULL;
	json_object *a;

	if (!caps)
		return NULL;
	for (size_t i = 0; caps[i]; i++) {
		_cleanup_free_ char *c = xstrdup(caps[i]);
		for (char *p = c; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (strcmp(c, "ALL") != 0 && !str_has_prefix(c, "CAP_")) {
			char *t = xasprintf("CAP_%s", c);
			free(c);
			c = t;
		}
		if (!strv_contains(n, c))
			strv_push(&n, c);
	}
	if (strv_contains(n, "ALL")) {
		strv_free(n);
		n = NULL;
		strv_push(&n, "ALL");
	}
	qsort(n, strv_length(n), sizeof(char *), cmp_str);
	a = json_object_new_array();
	for (size_t i = 0; n && n[i]; i++)
		json_object_array_add(a, json_object_new_string(n[i]));
	return a;
}

/* -v: "src:dst[:opts]" are binds (relative sources made absolute), "dst" anonymous volumes. */
static json_object *binds_json(char **vols, json_object *volumes)
{
	json_object *binds = NULL;

	for (size_t i = 0; vols && vols[i]; i++) {
		const char *colon = strchr(vols[i], ':');
		if (!colon) {
			json_object_object_add(volumes, vols[i], json_object_new_object());
			continue;
		}
		if (!binds)
			binds = json_object_new_array();
		if (vols[i][0] == '.') {
			_cleanup_free_ char *host = xstrndup(vols[i], (size_t)(colon - vols[i]));
			_cleanup_free_ char *abs = realpath(host, NULL);
			_cleanup_free_ char *cwd = get_current_dir_name();
			_cleanup_free_ char *b =
				abs ? xasprintf("%s%s", abs, colon)
				    : xasprintf("%s/%s%s", cwd ? cwd : "", host, colon);
			json_object_array_add(binds, json_object_new_string(b));
		} else {
			json_object_array_add(binds, json_object_new_string(vols[i]));
		}
	}
	return binds;
}

/* --security-opt: seccomp=FILE becomes the file's compacted JSON. */
static int security_json(char **opts, json_object **ret, struct berth_error **err)
{
	_cleanup_json_ json_object *a = NULL;

	*ret = NULL;
	for (size_t i = 0; opts && opts[i]; i++) {
		const char *o = opts[i], *v = strchr(o, '=');
		if (!a)
			a = json_object_new_array();
		if (!v && strcmp(o, "no-new-privileges") != 0)
			v = strchr(o, ':');
		if ((!v || !v[1]) && strcmp(o, "no-new-privileges") != 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "Invalid --security-opt: \"%s\"", o);
		if (str_has_prefix(o, "seccomp") && v && strcmp(v + 1, "unconfined") != 0 &&
		    strcmp(v + 1, "builtin") != 0) {
			_cleanup_free_ char *data = NULL;
			_cleanup_json_ json_object *prof = NULL;
			_cleanup_buf_ struct cli_buf b = { 0 };
			if (file_read_all(v + 1, 16 * 1024 * 1024, &data, NULL) < 0)
				return berth_error_set(
					err, 0, BERTH_ERR_INVALID,
					"opening seccomp profile (%s) failed: open %s: "
					"no such file or directory",
					v + 1, v + 1);
			if (json_parse_text(data, strlen(data), 64, "seccomp profile", &prof,
					    NULL) < 0)
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "compacting json for seccomp profile (%s) "
						       "failed: invalid JSON",
						       v + 1);
			cli_buf_adds(&b, "seccomp=");
			cli_buf_add_json(&b, prof, NULL, true);
			json_object_array_add(a, json_object_new_string(b.s));
			continue;
		}
		json_object_array_add(a, json_object_new_string(o));
	}
	*ret = TAKE_PTR(a);
	return 0;
}

static int restart_json(const char *policy, json_object **ret, struct berth_error **err)
{
	const char *colon = policy ? strchr(policy, ':') : NULL;
	_cleanup_free_ char *name = NULL;
	int count = 0;

	if (!policy || !*policy)
		policy = "no";
	name = colon ? xstrndup(policy, (size_t)(colon - policy)) : xstrdup(policy);
	if (colon && str_to_int(colon + 1, &count) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid restart policy format: maximum retry count must be "
				       "an integer");
	*ret = json_object_new_object();
	add_str(*ret, "Name", name);
	add_int(*ret, "MaximumRetryCount", count);
	return 0;
}

static json_object *resources(struct cli_run_opts *o, json_object *h)
{
	static const char *const empty_lists[] = { "BlkioWeightDevice", "BlkioDeviceReadBps",
						   "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
						   "BlkioDeviceWriteIOps" };

	add_int(h, "CpuShares", o->cpu_shares);
	add_int(h, "Memory", o->memory);
	add_int(h, "NanoCpus", o->nano_cpus);
	add_str(h, "CgroupParent", o->cgroup_parent);
	add_int(h, "BlkioWeight", o->blkio_weight);
	for (size_t i = 0; i < ARRAY_SIZE(empty_lists); i++)
		json_object_object_add(h, empty_lists[i], json_object_new_array());
	add_int(h, "CpuPeriod", o->cpu_period);
	add_int(h, "CpuQuota", o->cpu_quota);
	add_int(h, "CpuRealtimePeriod", o->cpu_rt_period);
	add_int(h, "CpuRealtimeRuntime", o->cpu_rt_runtime);
	add_str(h, "CpusetCpus", o->cpuset_cpus);
	add_str(h, "CpusetMems", o->cpuset_mems);
	json_object_object_add(h, "Devices",
			       o->devices ? json_object_get(o->devices) : json_object_new_array());
	json_object_object_add(h, "DeviceCgroupRules", array_or_null(o->device_cgroup_rules));
	json_object_object_add(h, "DeviceRequests", NULL);
	add_int(h, "MemoryReservation", o->memory_reservation);
	add_int(h, "MemorySwap", o->memory_swap);
	add_int(h, "MemorySwappiness", o->memory_swappiness);
	add_bool(h, "OomKillDisable", o->oom_kill_disable);
	add_int(h, "PidsLimit", o->pids_limit);
	json_object_object_add(h, "Ulimits",
			       o->ulimits ? json_object_get(o->ulimits) : json_object_new_array());
	add_int(h, "CpuCount", 0);
	add_int(h, "CpuPercent", 0);
	add_int(h, "IOMaximumIOps", 0);
	add_int(h, "IOMaximumBandwidth", 0);
	return h;
}

/* The fields of HostConfig from Binds to Privileged (docker's struct order). */
static void host_first(struct cli_run_opts *o, json_object *h, json_object *binds,
		       json_object *restart, unsigned rows, unsigned cols)
{
	json_object *log = json_object_new_object(), *size = json_object_new_array();
	json_object *hosts = NULL;

	json_object_object_add(h, "Binds", binds);
	add_str(h, "ContainerIDFile", o->cidfile);
	add_str(log, "Type", o->log_driver);
	json_object_object_add(log, "Config", kv_map(o->log_opt));
	json_object_object_add(h, "LogConfig", log);
	add_str(h, "NetworkMode", o->network ? o->network : "default");
	json_object_object_add(h, "PortBindings",
			       o->port_bindings ? json_sorted_copy(o->port_bindings)
						: json_object_new_object());
	json_object_object_add(h, "RestartPolicy", restart);
	add_bool(h, "AutoRemove", o->rm);
	add_str(h, "VolumeDriver", o->volume_driver);
	json_object_object_add(h, "VolumesFrom", array_or_null(o->volumes_from));
	json_object_array_add(size, json_object_new_int64(rows));
	json_object_array_add(size, json_object_new_int64(cols));
	json_object_object_add(h, "ConsoleSize", size);
	json_object_object_add(h, "CapAdd", caps_json(o->cap_add));
	json_object_object_add(h, "CapDrop", caps_json(o->cap_drop));
	add_str(h, "CgroupnsMode", o->cgroupns);
	json_object_object_add(h, "Dns", o->dns ? array_or_null(o->dns) : json_object_new_array());
	json_object_object_add(h, "DnsOptions",
			       o->dns_option ? array_or_null(o->dns_option)
					     : json_object_new_array());
	json_object_object_add(h, "DnsSearch",
			       o->dns_search ? array_or_null(o->dns_search)
					     : json_object_new_array());
	for (size_t i = 0; o->add_host && o->add_host[i]; i++) {
		_cleanup_free_ char *e = xstrdup(o->add_host[i]);
		char *eq = strchr(e, '=');
		if (eq && !strchr(e, ':'))
			*eq = ':';
		if (!hosts)
			hosts = json_object_new_array();
		json_object_array_add(hosts, json_object_new_string(e));
	}
	json_object_object_add(h, "ExtraHosts", hosts);
	json_object_object_add(h, "GroupAdd", array_or_null(o->group_add));
	add_str(h, "IpcMode", o->ipc);
	add_str(h, "Cgroup", "");
	json_object_object_add(h, "Links", array_or_null(o->links));
	add_int(h, "OomScoreAdj", o->oom_score_adj);
	add_str(h, "PidMode", o->pid);
	add_bool(h, "Privileged", o->privileged);
}

json_object *cli_run_host_config(struct cli_run_opts *o, json_object *config, unsigned rows,
				 unsigned cols, struct berth_error **err)
{
	_cleanup_json_ json_object *h = json_object_new_object(), *sec = NULL, *restart = NULL;
	json_object *binds;

	if (restart_json(o->restart, &restart, err) < 0 ||
	    security_json(o->security_opt, &sec, err) < 0)
		return NULL;
	if (o->rm &&
	    strcmp(json_object_get_string(json_object_object_get(restart, "Name")), "no")) {
		berth_error_set(err, 0, BERTH_ERR_INVALID,
				"conflicting options: cannot specify both --restart and --rm");
		return NULL;
	}
	binds = binds_json(o->volumes, json_object_object_get(config, "Volumes"));
	host_first(o, h, binds, TAKE_PTR(restart), rows, cols);
	add_bool(h, "PublishAllPorts", o->publish_all);
	add_bool(h, "ReadonlyRootfs", o->read_only);
	json_object_object_add(h, "SecurityOpt", TAKE_PTR(sec));
	if (o->storage_opt)
		json_object_object_add(h, "StorageOpt", kv_map(o->storage_opt));
	if (o->tmpfs) {
		_cleanup_json_ json_object *t = json_object_new_object();
		for (size_t i = 0; o->tmpfs[i]; i++) {
			char *colon = strchr(o->tmpfs[i], ':');
			_cleanup_free_ char *k =
				colon ? xstrndup(o->tmpfs[i], (size_t)(colon - o->tmpfs[i]))
				      : xstrdup(o->tmpfs[i]);
			add_str(t, k, colon ? colon + 1 : "");
		}
		json_object_object_add(h, "Tmpfs", json_sorted_copy(t));
	}
	add_str(h, "UTSMode", o->uts);
	add_str(h, "UsernsMode", o->userns);
	add_int(h, "ShmSize", o->shm_size);
	if (o->sysctls)
		json_object_object_add(h, "Sysctls", kv_map(o->sysctls));
	if (o->runtime)
		add_str(h, "Runtime", o->runtime);
	add_str(h, "Isolation", o->isolation);
	resources(o, h);
	if (o->mounts)
		json_object_object_add(h, "Mounts", json_object_get(o->mounts));
	json_object_object_add(h, "MaskedPaths", NULL);
	json_object_object_add(h, "ReadonlyPaths", NULL);
	if (o->init_set)
		add_bool(h, "Init", o->init);
	return TAKE_PTR(h);
}

int cli_parse_cpus(const char *arg, void *target, char **ret_msg)
{
	char *end = NULL;
	long double v = strtold(arg, &end);

	if (!*arg || *end || v < 0 || v * 1e9L > (long double)INT64_MAX) {
		*ret_msg = xasprintf("failed to parse %s as a rational number", arg);
		return -EINVAL;
	}
	if (v * 1e9L != (long double)(int64_t)(v * 1e9L)) {
		*ret_msg = xstrdup("value is too precise");
		return -EINVAL;
	}
	*(int64_t *)target = (int64_t)(v * 1e9L);
	return 0;
}

int cli_parse_duration(const char *s, int64_t *ret)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 },  { "us", 1e3 }, { "µs", 1e3 },  { "ms", 1e6 },
		      { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
	double total = 0;
	bool neg = *s == '-';

	if (*s == '-' || *s == '+')
		s++;
	if (strcmp(s, "0") == 0) {
		*ret = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	while (*s) {
		char *end = NULL;
		double v = strtod(s, &end);
		size_t best = 0, k;
		if (end == s || (!isdigit((unsigned char)*s) && *s != '.'))
			return -EINVAL;
		for (k = 0; k < ARRAY_SIZE(units); k++)
			if (str_has_prefix(end, units[k].unit) &&
			    (!best || strlen(units[k].unit) > strlen(units[best - 1].unit)))
				best = k + 1;
		if (!best)
			return -EINVAL;
		total += v * units[best - 1].ns;
		s = end + strlen(units[best - 1].unit);
	}
	if (total > 9.2e18)
		return -ERANGE;
	*ret = (int64_t)(neg ? -total : total);
	return 0;
}
