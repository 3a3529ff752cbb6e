/* create and run: their flags and the Config part of the create body. */
#define LOG_CATEGORY "cli-run"
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli-run-internal.h"

void cli_run_opts_init(struct cli_run_opts *o)
{
	*o = (struct cli_run_opts){ .sig_proxy = true, .memory_swappiness = -1, .trust = true };
}

void cli_run_opts_done(struct cli_run_opts *o)
{
	char **lists[] = { o->env,	     o->env_file,     o->labels,
			   o->label_file,    o->volumes,      o->tmpfs,
			   o->cap_add,	     o->cap_drop,     o->security_opt,
			   o->sysctls,	     o->add_host,     o->dns,
			   o->dns_option,    o->dns_search,   o->log_opt,
			   o->group_add,     o->links,	      o->volumes_from,
			   o->attach,	     o->storage_opt,  o->device_cgroup_rules,
			   o->network_alias, o->link_local_ip };
	json_object *objs[] = { o->mounts,	  o->ulimits,	    o->devices,
				o->port_bindings, o->exposed_ports, o->networks };

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		strv_free(lists[i]);
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++)
		json_object_put(objs[i]);
	free(o->deferred_error);
}

static int parse_nonneg_duration(const char *arg, void *target, char **ret_msg)
{
	int64_t d;

	if (cli_parse_duration(arg, &d) < 0) {
		*ret_msg = xasprintf("time: invalid duration \"%s\"", arg);
		return -EINVAL;
	}
	*(const char **)target = arg;
	return 0;
}

/* docker's ValidateDeviceCgroupRule: "a|b|c MAJOR|*:MINOR|* [rwm]{1,3}". */
static int parse_cgroup_rule(const char *arg, void *target, char **ret_msg)
{
	const char *p = arg;
	size_t n;

	if (!strchr("acb", *p) || !*p || p[1] != ' ')
		goto bad;
	p += 2;
	for (int part = 0; part < 2; part++) {
		n = *p == '*' ? 1 : strspn(p, "0123456789");
		if (n == 0 || p[n] != (part == 0 ? ':' : ' '))
			goto bad;
		p += n + 1;
	}
	n = strspn(p, "rwm");
	if (n == 0 || n > 3 || p[n])
		goto bad;
	strv_push(target, arg);
	return 0;
bad:
	*ret_msg = xasprintf("invalid device cgroup format '%s'", arg);
	return -EINVAL;
}

#define OPT_S(n, c, f, h)                                                                          \
	{                                                                                          \
		n, c, CLI_OPT_STRING, &o->f, "string", h                                           \
	}
#define OPT_L(n, c, f, h)                                                                          \
	{                                                                                          \
		n, c, CLI_OPT_LIST, &o->f, "list", h                                               \
	}
#define OPT_B(n, c, f, h)                                                                          \
	{                                                                                          \
		n, c, CLI_OPT_BOOL, &o->f, NULL, h                                                 \
	}
#define OPT_I(n, c, f, h)                                                                          \
	{                                                                                          \
		n, c, CLI_OPT_INT, &o->f, "int", h                                                 \
	}
#define OPT_F(n, c, f, t, fn, h)                                                                   \
	{                                                                                          \
		n, c, CLI_OPT_FUNC, &o->f, t, h, fn                                                \
	}

void cli_run_opts_table(struct cli_run_opts *o, bool run, struct cli_opt *table)
{
	const struct cli_opt common[] = {
		OPT_F("add-host", 0, add_host, "list", cli_parse_add_host,
		      "Add a custom host-to-IP mapping (host:ip)"),
		OPT_L("attach", 'a', attach, "Attach to STDIN, STDOUT or STDERR"),
		OPT_I("blkio-weight", 0, blkio_weight,
		      "Block IO (relative weight), between 10 and 1000, or 0 to disable"),
		OPT_L("cap-add", 0, cap_add, "Add Linux capabilities"),
		OPT_L("cap-drop", 0, cap_drop, "Drop Linux capabilities"),
		OPT_S("cgroup-parent", 0, cgroup_parent,
		      "Optional parent cgroup for the container"),
		OPT_S("cgroupns", 0, cgroupns, "Cgroup namespace to use (host|private)"),
		OPT_S("cidfile", 0, cidfile, "Write the container ID to the file"),
		OPT_I("cpu-period", 0, cpu_period,
		      "Limit CPU CFS (Completely Fair Scheduler) period"),
		OPT_I("cpu-quota", 0, cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota"),
		OPT_I("cpu-rt-period", 0, cpu_rt_period,
		      "Limit CPU real-time period in microseconds"),
		OPT_I("cpu-rt-runtime", 0, cpu_rt_runtime,
		      "Limit CPU real-time runtime in microseconds"),
		OPT_I("cpu-shares", 'c', cpu_shares, "CPU shares (relative weight)"),
		OPT_F("cpus", 0, nano_cpus, "decimal", cli_parse_cpus, "Number of CPUs"),
		OPT_S("cpuset-cpus", 0, cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)"),
		OPT_S("cpuset-mems", 0, cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)"),
		OPT_F("device", 0, devices, "list", cli_parse_device,
		      "Add a host device to the container"),
		OPT_F("device-cgroup-rule", 0, device_cgroup_rules, "list", parse_cgroup_rule,
		      "Add a rule to the cgroup allowed devices list"),
		OPT_B("disable-content-trust", 0, trust, "Skip image verification (default true)"),
		OPT_F("dns", 0, dns, "list", cli_parse_dns, "Set custom DNS servers"),
		OPT_L("dns-option", 0, dns_option, "Set DNS options"),
		OPT_F("dns-search", 0, dns_search, "list", cli_parse_dns_search,
		      "Set custom DNS search domains"),
		OPT_S("domainname", 0, domainname, "Container NIS domain name"),
		{ "entrypoint", 0, CLI_OPT_STRING, &o->entrypoint, "string",
		  "Overwrite the default ENTRYPOINT of the image", NULL, &o->entrypoint_set },
		OPT_L("env", 'e', env, "Set environment variables"),
		OPT_L("env-file", 0, env_file, "Read in a file of environment variables"),
		OPT_F("expose", 0, exposed_ports, "list", cli_parse_expose,
		      "Expose a port or a range of ports"),
		OPT_L("group-add", 0, group_add, "Add additional groups to join"),
		OPT_S("health-cmd", 0, health_cmd, "Command to run to check health"),
		OPT_F("health-interval", 0, health_interval, "duration", parse_nonneg_duration,
		      "Time between running the check (ms|s|m|h) (default 0s)"),
		OPT_I("health-retries", 0, health_retries,
		      "Consecutive failures needed to report unhealthy"),
		OPT_F("health-start-interval", 0, health_start_interval, "duration",
		      parse_nonneg_duration,
		      "Time between running the check during the start period (ms|s|m|h) "
		      "(default 0s)"),
		OPT_F("health-start-period", 0, health_start_period, "duration",
		      parse_nonneg_duration,
		      "Start period for the container to initialize before starting health-retries "
		      "countdown (ms|s|m|h) (default 0s)"),
		OPT_F("health-timeout", 0, health_timeout, "duration", parse_nonneg_duration,
		      "Maximum time to allow one check to run (ms|s|m|h) (default 0s)"),
		OPT_S("hostname", 'h', hostname, "Container host name"),
		{ "init", 0, CLI_OPT_BOOL, &o->init, NULL,
		  "Run an init inside the container that forwards signals and reaps processes",
		  NULL, &o->init_set },
		OPT_B("interactive", 'i', interactive, "Keep STDIN open even if not attached"),
		OPT_S("ip", 0, ip, "IPv4 address (e.g., 172.30.100.104)"),
		OPT_S("ip6", 0, ip6, "IPv6 address (e.g., 2001:db8::33)"),
		OPT_S("ipc", 0, ipc, "IPC mode to use"),
		OPT_S("isolation", 0, isolation, "Container isolation technology"),
		OPT_F("kernel-memory", 0, kernel_memory, "bytes", cli_parse_bytes,
		      "Kernel memory limit"),
		OPT_L("label", 'l', labels, "Set meta data on a container"),
		OPT_L("label-file", 0, label_file, "Read in a line delimited file of labels"),
		OPT_L("link", 0, links, "Add link to another container"),
		OPT_L("link-local-ip", 0, link_local_ip,
		      "Container IPv4/IPv6 link-local addresses"),
		OPT_S("log-driver", 0, log_driver, "Logging driver for the container"),
		OPT_L("log-opt", 0, log_opt, "Log driver options"),
		OPT_S("mac-address", 0, mac_address,
		      "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
		OPT_F("memory", 'm', memory, "bytes", cli_parse_bytes, "Memory limit"),
		OPT_F("memory-reservation", 0, memory_reservation, "bytes", cli_parse_bytes,
		      "Memory soft limit"),
		OPT_F("memory-swap", 0, memory_swap, "bytes", cli_parse_bytes_or_neg,
		      "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
		OPT_I("memory-swappiness", 0, memory_swappiness,
		      "Tune container memory swappiness (0 to 100) (default -1)"),
		OPT_F("mount", 0, mounts, "mount", cli_parse_mount,
		      "Attach a filesystem mount to the container"),
		OPT_S("name", 0, name, "Assign a name to the container"),
		OPT_F("network", 0, networks, "network", cli_parse_network,
		      "Connect a container to a network"),
		OPT_F("net", 0, networks, "network", cli_parse_network, NULL), /* hidden alias */
		OPT_L("network-alias", 0, network_alias,
		      "Add network-scoped alias for the container"),
		OPT_L("net-alias", 0, network_alias, NULL), /* hidden alias */
		OPT_B("no-healthcheck", 0, no_healthcheck,
		      "Disable any container-specified HEALTHCHECK"),
		OPT_B("oom-kill-disable", 0, oom_kill_disable, "Disable OOM Killer"),
		OPT_I("oom-score-adj", 0, oom_score_adj,
		      "Tune host's OOM preferences (-1000 to 1000)"),
		OPT_S("pid", 0, pid, "PID namespace to use"),
		{ "pids-limit", 0, CLI_OPT_INT, &o->pids_limit, "int",
		  "Tune container pids limit (set -1 for unlimited)", NULL, &o->pids_limit_set },
		OPT_S("platform", 0, platform, "Set platform if server is multi-platform capable"),
		OPT_B("privileged", 0, privileged, "Give extended privileges to this container"),
		OPT_F("publish", 'p', port_bindings, "list", cli_parse_publish,
		      "Publish a container's port(s) to the host"),
		OPT_B("publish-all", 'P', publish_all, "Publish all exposed ports to random ports"),
		OPT_S("pull", 0, pull,
		      "Pull image before running (\"always\", \"missing\", \"never\") (default "
		      "\"missing\")"),
		OPT_B("quiet", 'q', quiet, "Suppress the pull output"),
		OPT_B("read-only", 0, read_only,
		      "Mount the container's root filesystem as read only"),
		OPT_S("restart", 0, restart,
		      "Restart policy to apply when a container exits (default \"no\")"),
		OPT_B("rm", 0, rm,
		      "Automatically remove the container and its associated anonymous volumes "
		      "when it exits"),
		OPT_S("runtime", 0, runtime, "Runtime to use for this container"),
		OPT_L("security-opt", 0, security_opt, "Security Options"),
		OPT_F("shm-size", 0, shm_size, "bytes", cli_parse_bytes, "Size of /dev/shm"),
		OPT_S("stop-signal", 0, stop_signal, "Signal to stop the container"),
		{ "stop-timeout", 0, CLI_OPT_INT, &o->stop_timeout, "int",
		  "Timeout (in seconds) to stop a container", NULL, &o->stop_timeout_set },
		OPT_L("storage-opt", 0, storage_opt, "Storage driver options for the container"),
		OPT_F("sysctl", 0, sysctls, "map", cli_parse_sysctl,
		      "Sysctl options (default map[])"),
		OPT_L("tmpfs", 0, tmpfs, "Mount a tmpfs directory"),
		OPT_B("tty", 't', tty, "Allocate a pseudo-TTY"),
		OPT_F("ulimit", 0, ulimits, "ulimit", cli_parse_ulimit,
		      "Ulimit options (default [])"),
		OPT_S("user", 'u', user, "Username or UID (format: <name|uid>[:<group|gid>])"),
		OPT_S("userns", 0, userns, "User namespace to use"),
		OPT_S("uts", 0, uts, "UTS namespace to use"),
		OPT_L("volume", 'v', volumes, "Bind mount a volume"),
		OPT_S("volume-driver", 0, volume_driver,
		      "Optional volume driver for the container"),
		OPT_L("volumes-from", 0, volumes_from,
		      "Mount volumes from the specified container(s)"),
		OPT_S("workdir", 'w', workdir, "Working directory inside the container"),
	};
	const struct cli_opt run_only[] = {
		OPT_B("detach", 'd', detach, "Run container in background and print container ID"),
		OPT_S("detach-keys", 0, detach_keys,
		      "Override the key sequence for detaching a container"),
		OPT_B("sig-proxy", 0, sig_proxy,
		      "Proxy received signals to the process (default true)"),
	};
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(common) && n + 1 < CLI_RUN_MAX_OPTS; i++)
		table[n++] = common[i];
	for (size_t i = 0; run && i < ARRAY_SIZE(run_only) && n + 1 < CLI_RUN_MAX_OPTS; i++)
		table[n++] = run_only[i];
	table[n] = (struct cli_opt){ 0 };
}

/* A NULL-or-array of strings, like Go's nil or non-nil slice. */
static json_object *strv_array(char **v, bool null_if_empty)
{
	json_object *a;

	if (!v && null_if_empty)
		return NULL;
	a = json_object_new_array();
	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* KEY=VALUE lines of files, then the flags' values; "KEY" alone takes the
 * local environment's value (files: dropped when unset). */
static int read_kv_files(char **files, char **values, char ***ret, struct berth_error **err)
{
	_cleanup_strv_ char **out = NULL;

	for (size_t i = 0; files && files[i]; i++) {
		_cleanup_free_ char *data = NULL;
		char *save = NULL;
		if (file_read_all(files[i], 64 * 1024 * 1024, &data, NULL) < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "open %s: no such file or directory", files[i]);
		for (char *line = strtok_r(data, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			size_t len = strlen(line);
			while (*line == ' ' || *line == '\t')
				line++;
			if (len > 0 && line[strlen(line) - 1] == '\r')
				line[strlen(line) - 1] = '\0';
			if (!*line || *line == '#')
				continue;
			if (strchr(line, '=')) {
				strv_push(&out, line);
			} else if (getenv(line)) {
				strv_push_take(&out, xasprintf("%s=%s", line, getenv(line)));
			}
		}
	}
	for (size_t i = 0; values && values[i]; i++) {
		if (!strchr(values[i], '=') && getenv(values[i]))
			strv_push_take(&out, xasprintf("%s=%s", values[i], getenv(values[i])));
		else
			strv_push(&out, values[i]);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int labels_json(struct cli_run_opts *o, json_object **ret, struct berth_error **err)
{
	_cleanup_strv_ char **kv = NULL;
	_cleanup_json_ json_object *m = json_object_new_object();
	int r;

	/* label files keep "k" lines; they become "k" = "" like -l k */
	r = read_kv_files(o->label_file, NULL, &kv, err);
	if (r < 0)
		return r;
	for (size_t i = 0; o->labels && o->labels[i]; i++)
		strv_push(&kv, o->labels[i]);
	for (size_t i = 0; kv && kv[i]; i++) {
		char *eq = strchr(kv[i], '=');
		_cleanup_free_ char *k =
			eq ? xstrndup(kv[i], (size_t)(eq - kv[i])) : xstrdup(kv[i]);
		json_object_object_add(m, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	*ret = json_sorted_copy(m);
	return 0;
}

static int64_t health_duration(const char *s)
{
	int64_t d = 0;

	if (s && cli_parse_duration(s, &d) < 0)
		d = 0;
	return d;
}

/* docker's test: a command, a non-zero duration or retries */
static bool have_health(struct cli_run_opts *o)
{
	return (o->health_cmd && *o->health_cmd) || health_duration(o->health_interval) ||
	       health_duration(o->health_timeout) || health_duration(o->health_start_period) ||
	       health_duration(o->health_start_interval) || o->health_retries;
}

/* docker's HealthConfig: Test only with --health-cmd (or NONE), the non-zero
 * fields; negative values refused in docker's order. */
static int healthcheck_json(struct cli_run_opts *o, json_object **ret, struct berth_error **err)
{
	_cleanup_json_ json_object *h = json_object_new_object();
	const char *durations[][3] = {
		{ "Interval", o->health_interval, "interval" },
		{ "Timeout", o->health_timeout, "timeout" },
		{ "Retries", NULL, "retries" },
		{ "StartPeriod", o->health_start_period, "start-period" },
		{ "StartInterval", o->health_start_interval, "start-interval" },
	};
	json_object *test;

	if (o->no_healthcheck && have_health(o))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "--no-healthcheck conflicts with --health-* options");
	if (o->no_healthcheck || (o->health_cmd && *o->health_cmd)) {
		test = json_object_new_array();
		json_object_array_add(
			test, json_object_new_string(o->no_healthcheck ? "NONE" : "CMD-SHELL"));
		if (!o->no_healthcheck)
			json_object_array_add(test, json_object_new_string(o->health_cmd));
		json_object_object_add(h, "Test", test);
	}
	for (size_t i = 0; !o->no_healthcheck && i < ARRAY_SIZE(durations); i++) {
		bool retries = strcmp(durations[i][0], "Retries") == 0;
		int64_t d = retries ? o->health_retries : health_duration(durations[i][1]);
		if (d < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--health-%s cannot be negative", durations[i][2]);
	}
	for (size_t i = 0; !o->no_healthcheck && i < ARRAY_SIZE(durations); i++) {
		bool retries = strcmp(durations[i][0], "Retries") == 0;
		int64_t d = retries ? o->health_retries : health_duration(durations[i][1]);
		if (d)
			json_object_object_add(h, durations[i][0], json_object_new_int64(d));
	}
	*ret = TAKE_PTR(h);
	return 0;
}

static bool attach_has(struct cli_run_opts *o, const char *s)
{
	for (size_t i = 0; o->attach && o->attach[i]; i++)
		if (strcasecmp(o->attach[i], s) == 0)
			return true;
	return false;
}

static int check_attach(struct cli_run_opts *o, struct berth_error **err)
{
	for (size_t i = 0; o->attach && o->attach[i]; i++)
		if (strcasecmp(o->attach[i], "stdin") != 0 &&
		    strcasecmp(o->attach[i], "stdout") != 0 &&
		    strcasecmp(o->attach[i], "stderr") != 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid argument \"%s\" for \"-a, --attach\" flag: "
					       "valid streams are STDIN, STDOUT and STDERR",
					       o->attach[i]);
	return 0;
}

int cli_run_build(struct cli_run_opts *o, char **args, int nargs, bool run, unsigned rows,
		  unsigned cols, json_object **ret, struct berth_error **err)
{
	_cleanup_json_ json_object *c = json_object_new_object(), *labels = NULL, *health = NULL;
	_cleanup_strv_ char **env = NULL;
	bool in = attach_has(o, "stdin") || o->interactive;
	bool out = !o->attach || attach_has(o, "stdout");
	bool errs = !o->attach || attach_has(o, "stderr");
	json_object *host, *net = NULL, *volumes = json_object_new_object(), *entry = NULL;
	int r;

	if (o->deferred_error) {
		json_object_put(volumes);
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s", o->deferred_error);
	}
	r = check_attach(o, err);
	if (r >= 0)
		r = read_kv_files(o->env_file, o->env, &env, err);
	if (r >= 0)
		r = labels_json(o, &labels, err);
	if (r >= 0 && (o->no_healthcheck || have_health(o)))
		r = healthcheck_json(o, &health, err);
	if (r < 0) {
		json_object_put(volumes);
		return r;
	}
	if (run && o->detach)
		in = out = errs = false;
	json_object_object_add(c, "Hostname",
			       json_object_new_string(o->hostname ? o->hostname : ""));
	json_object_object_add(c, "Domainname",
			       json_object_new_string(o->domainname ? o->domainname : ""));
	json_object_object_add(c, "User", json_object_new_string(o->user ? o->user : ""));
	json_object_object_add(c, "AttachStdin", json_object_new_boolean(in));
	json_object_object_add(c, "AttachStdout", json_object_new_boolean(out));
	json_object_object_add(c, "AttachStderr", json_object_new_boolean(errs));
	if (o->exposed_ports)
		json_object_object_add(c, "ExposedPorts", json_sorted_copy(o->exposed_ports));
	json_object_object_add(c, "Tty", json_object_new_boolean(o->tty));
	json_object_object_add(c, "OpenStdin", json_object_new_boolean(o->interactive));
	json_object_object_add(c, "StdinOnce", json_object_new_boolean(o->interactive && in));
	json_object_object_add(c, "Env", strv_array(env, true));
	json_object_object_add(c, "Cmd", nargs > 1 ? strv_array(args + 1, false) : NULL);
	if (health)
		json_object_object_add(c, "Healthcheck", TAKE_PTR(health));
	json_object_object_add(c, "Image", json_object_new_string(args[0]));
	json_object_object_add(c, "Volumes", volumes);
	json_object_object_add(c, "WorkingDir",
			       json_object_new_string(o->workdir ? o->workdir : ""));
	if (o->entrypoint_set) {
		entry = json_object_new_array();
		json_object_array_add(entry, json_object_new_string(o->entrypoint));
	}
	json_object_object_add(c, "Entrypoint", entry);
	/* API 1.44 moved MacAddress to the endpoint (cli-run-net.c), as docker sends it */
	json_object_object_add(c, "OnBuild", NULL);
	json_object_object_add(c, "Labels", TAKE_PTR(labels));
	if (o->stop_signal)
		json_object_object_add(c, "StopSignal", json_object_new_string(o->stop_signal));
	if (o->stop_timeout_set)
		json_object_object_add(c, "StopTimeout", json_object_new_int64(o->stop_timeout));
	host = cli_run_host_config(o, c, rows, cols, err);
	if (!host)
		return -EINVAL;
	json_object_object_add(c, "HostConfig", host);
	if (cli_run_networking_config(o, &net, err) < 0)
		return -EINVAL;
	json_object_object_add(c, "NetworkingConfig", net);
	*ret = TAKE_PTR(c);
	return 0;
}
