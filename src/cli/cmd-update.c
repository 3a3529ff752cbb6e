/* berth update: POST /containers/{id}/update with docker's UpdateConfig
 * (the resources given, the restart policy), for each container; prints
 * each container as named once it is updated, as docker does. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"
#include "cli-run-internal.h"

static void add_i(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_s(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static int restart_policy(const char *policy, json_object **ret)
{
	const char *colon = policy ? strchr(policy, ':') : NULL;
	_cleanup_free_ char *name = NULL;
	int count = 0;

	name = colon ? xstrndup(policy, (size_t)(colon - policy)) : xstrdup(policy ? policy : "");
	if (colon && str_to_int(colon + 1, &count) < 0)
		return -EINVAL;
	*ret = json_object_new_object();
	add_s(*ret, "Name", name);
	add_i(*ret, "MaximumRetryCount", count);
	return 0;
}

int cmd_update(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_command cmd = { ctx->path,
				   "[OPTIONS] CONTAINER [CONTAINER...]",
				   "Update configuration of one or more containers",
				   "berth container update, berth update",
				   CLI_ARGS_MIN,
				   1 };
	int64_t blkio = 0, cpu_period = 0, cpu_quota = 0, rt_period = 0, rt_runtime = 0;
	int64_t shares = 0, nano = 0, memory = 0, reservation = 0, swap = 0, pids = 0;
	const char *cpuset_cpus = NULL, *cpuset_mems = NULL, *restart = NULL;
	bool seen_pids = false, seen[16] = { false };
	const struct cli_opt opts[] = {
		{ "blkio-weight", 0, CLI_OPT_INT, &blkio, "uint16",
		  "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
		  NULL, &seen[0] },
		{ "cpu-period", 0, CLI_OPT_INT, &cpu_period, "int",
		  "Limit CPU CFS (Completely Fair Scheduler) period", NULL, &seen[1] },
		{ "cpu-quota", 0, CLI_OPT_INT, &cpu_quota, "int",
		  "Limit CPU CFS (Completely Fair Scheduler) quota", NULL, &seen[2] },
		{ "cpu-rt-period", 0, CLI_OPT_INT, &rt_period, "int",
		  "Limit the CPU real-time period in microseconds", NULL, &seen[3] },
		{ "cpu-rt-runtime", 0, CLI_OPT_INT, &rt_runtime, "int",
		  "Limit the CPU real-time runtime in microseconds", NULL, &seen[4] },
		{ "cpu-shares", 'c', CLI_OPT_INT, &shares, "int", "CPU shares (relative weight)",
		  NULL, &seen[5] },
		{ "cpus", 0, CLI_OPT_FUNC, &nano, "decimal", "Number of CPUs", cli_parse_cpus,
		  &seen[6] },
		{ "cpuset-cpus", 0, CLI_OPT_STRING, &cpuset_cpus, "string",
		  "CPUs in which to allow execution (0-3, 0,1)", NULL, &seen[7] },
		{ "cpuset-mems", 0, CLI_OPT_STRING, &cpuset_mems, "string",
		  "MEMs in which to allow execution (0-3, 0,1)", NULL, &seen[8] },
		{ "memory", 'm', CLI_OPT_FUNC, &memory, "bytes", "Memory limit", cli_parse_bytes,
		  &seen[9] },
		{ "memory-reservation", 0, CLI_OPT_FUNC, &reservation, "bytes", "Memory soft limit",
		  cli_parse_bytes, &seen[10] },
		{ "memory-swap", 0, CLI_OPT_FUNC, &swap, "bytes",
		  "Swap limit equal to memory plus swap: -1 to enable unlimited swap",
		  cli_parse_bytes_or_neg, &seen[11] },
		{ "pids-limit", 0, CLI_OPT_INT, &pids, "int",
		  "Tune container pids limit (set -1 for unlimited)", NULL, &seen_pids },
		{ "restart", 0, CLI_OPT_STRING, &restart, "string",
		  "Restart policy to apply when a container exits", NULL, &seen[12] },
		{},
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_json_ json_object *body = json_object_new_object();
	json_object *rp = NULL;
	bool any = seen_pids;
	int status = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	for (size_t i = 0; i < ARRAY_SIZE(seen); i++)
		any = any || seen[i];
	if (!any && !seen_pids) {
		fprintf(stderr, "you must provide one or more flags when using this command\n");
		return 1;
	}
	if (restart && restart_policy(restart, &rp) < 0) {
		fprintf(stderr, "invalid restart policy format: maximum retry count must be an "
				"integer\n");
		return 1;
	}
	add_i(body, "BlkioWeight", blkio);
	add_i(body, "CpuShares", shares);
	add_i(body, "CpuPeriod", cpu_period);
	add_i(body, "CpuQuota", cpu_quota);
	add_i(body, "CpuRealtimePeriod", rt_period);
	add_i(body, "CpuRealtimeRuntime", rt_runtime);
	add_s(body, "CpusetCpus", cpuset_cpus);
	add_s(body, "CpusetMems", cpuset_mems);
	add_i(body, "Memory", memory);
	add_i(body, "MemoryReservation", reservation);
	add_i(body, "MemorySwap", swap);
	add_i(body, "NanoCpus", nano);
	if (seen_pids)
		add_i(body, "PidsLimit", pids);
	if (!rp)
		(void)restart_policy("", &rp);
	json_object_object_add(body, "RestartPolicy", rp);
	_cleanup_strv_ char **warnings = NULL;
	for (int i = 0; i < args.n; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_json_ json_object *resp = NULL;
		_cleanup_free_ char *eid = cli_path_escape(args.v[i]);
		_cleanup_free_ char *path = xasprintf("/containers/%s/update", eid);
		if (cli_api_call(&ctx->client, "POST", path, body, &resp, &err) < 0) {
			status = cli_fail(err, 1);
			continue;
		}
		printf("%s\n", args.v[i]);
		fflush(stdout);
		json_object *w = cli_json_get(resp, "Warnings");
		for (size_t j = 0; w && json_object_is_type(w, json_type_array) &&
				   j < json_object_array_length(w);
		     j++)
			strv_push(&warnings,
				  json_object_get_string(json_object_array_get_idx(w, j)));
	}
	/* the docker CLI prints the daemon's warnings after every name */
	for (size_t j = 0; warnings && warnings[j]; j++)
		printf("%s\n", warnings[j]);
	return status;
}
