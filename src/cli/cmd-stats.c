/* berth stats: docker's table of CPU %, memory, network and block IO and
 * pids, computed from GET /containers/{id}/stats as the docker CLI computes
 * them (CPU % from cpu_stats and precpu_stats, memory without the inactive
 * file cache).
 *
 * The daemon gives each stream=0 answer a previous sample of at least 100 ms
 * (container-stats in berthd): a first pass with one-shot=1 takes those
 * samples for every container, so that the second pass answers at once after
 * the first one's window. Streaming asks again every second and redraws the
 * table (on a terminal: the screen cleared first, as docker does). */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-internal.h"

#define STATS_TABLE                                                                                \
	"table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{."     \
	"BlockIO}}\t{{.PIDs}}"

static double u64(json_object *o, const char *k)
{
	json_object *v = cli_json_get(o, k);
	return v ? (double)json_object_get_uint64(v) : 0;
}

static void set(json_object *o, const char *k, char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
	free(v);
}

static char *pair(double a, double b, bool human)
{
	_cleanup_free_ char *x = human ? cli_human_size(a, 3) : cli_bytes_size(a),
			    *y = human ? cli_human_size(b, 3) : cli_bytes_size(b);
	return xasprintf("%s / %s", x, y);
}

/* One row of the table from a stats answer; container is the name the
 * user gave (or the id). */
static json_object *stats_row(json_object *s, const char *container, bool trunc)
{
	json_object *row = json_object_new_object();
	json_object *cpu = cli_json_get(s, "cpu_stats"), *pre = cli_json_get(s, "precpu_stats");
	json_object *mem = cli_json_get(s, "memory_stats"), *ms = cli_json_get(mem, "stats");
	double cpu_delta = u64(cli_json_get(cpu, "cpu_usage"), "total_usage") -
			   u64(cli_json_get(pre, "cpu_usage"), "total_usage");
	double sys_delta = u64(cpu, "system_cpu_usage") - u64(pre, "system_cpu_usage");
	double online = u64(cpu, "online_cpus"), pct = 0;

	if (online == 0) {
		json_object *per = cli_json_get(cli_json_get(cpu, "cpu_usage"), "percpu_usage");
		online = per ? (double)json_object_array_length(per) : 0;
	}
	if (sys_delta > 0 && cpu_delta > 0)
		pct = cpu_delta / sys_delta * online * 100.0;

	double usage = u64(mem, "usage"), limit = u64(mem, "limit");
	if (cli_json_get(ms, "total_inactive_file") && u64(ms, "total_inactive_file") < usage)
		usage -= u64(ms, "total_inactive_file");
	else if (u64(ms, "inactive_file") < usage)
		usage -= u64(ms, "inactive_file");

	double rx = 0, tx = 0, rd = 0, wr = 0;
	json_object *nets = cli_json_get(s, "networks");
	if (nets && json_object_is_type(nets, json_type_object)) {
		json_object_object_foreach (nets, k, v) {
			(void)k;
			rx += u64(v, "rx_bytes");
			tx += u64(v, "tx_bytes");
		}
	}
	json_object *io =
		cli_json_get(cli_json_get(s, "blkio_stats"), "io_service_bytes_recursive");
	for (size_t i = 0;
	     io && json_object_is_type(io, json_type_array) && i < json_object_array_length(io);
	     i++) {
		json_object *e = json_object_array_get_idx(io, i);
		const char *op = cli_json_str(e, "op");
		if (op && (*op == 'r' || *op == 'R'))
			rd += u64(e, "value");
		else if (op && (*op == 'w' || *op == 'W'))
			wr += u64(e, "value");
	}
	const char *id = cli_json_str(s, "id"), *name = cli_json_str(s, "name");
	/* in the docker CLI's (alphabetical) order, for --format json */
	set(row, "BlockIO", pair(rd, wr, true));
	set(row, "CPUPerc", xasprintf("%.2f%%", pct));
	json_object_object_add(row, "Container", json_object_new_string(container));
	set(row, "ID", trunc ? cli_short_id(id ? id : "") : xstrdup(id ? id : ""));
	set(row, "MemPerc", xasprintf("%.2f%%", limit ? usage / limit * 100.0 : 0));
	set(row, "MemUsage", pair(usage, limit, false));
	json_object_object_add(row, "Name",
			       json_object_new_string(name && *name == '/' ? name + 1
						      : name		   ? name
									   : ""));
	set(row, "NetIO", pair(rx, tx, true));
	set(row, "PIDs", xasprintf("%.0f", u64(cli_json_get(s, "pids_stats"), "current")));
	return row;
}

static json_object *stats_header(void)
{
	static const char *const h[][2] = {
		{ "Container", "CONTAINER" },
		{ "ID", "CONTAINER ID" },
		{ "Name", "NAME" },
		{ "CPUPerc", "CPU %" },
		{ "MemUsage", "MEM USAGE / LIMIT" },
		{ "MemPerc", "MEM %" },
		{ "NetIO", "NET I/O" },
		{ "BlockIO", "BLOCK I/O" },
		{ "PIDs", "PIDS" },
	};
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(h); i++)
		json_object_object_add(o, h[i][0], json_object_new_string(h[i][1]));
	return o;
}

static int get_stats(struct cli_ctx *ctx, const char *ref, bool one_shot, json_object **ret,
		     struct berth_error **err)
{
	_cleanup_free_ char *eid = cli_path_escape(ref);
	_cleanup_free_ char *path =
		xasprintf("/containers/%s/stats?stream=0%s", eid, one_shot ? "&one-shot=1" : "");
	return cli_api_call(&ctx->client, "GET", path, NULL, ret, err);
}

/* The containers to show: those named, or the running ones (all with -a). */
static int list_containers(struct cli_ctx *ctx, bool all, char ***ret, struct berth_error **err)
{
	_cleanup_json_ json_object *list = NULL;

	if (cli_api_call(&ctx->client, "GET", all ? "/containers/json?all=1" : "/containers/json",
			 NULL, &list, err) < 0)
		return -1;
	for (size_t i = 0; list && json_object_is_type(list, json_type_array) &&
			   i < json_object_array_length(list);
	     i++) {
		/* as the docker CLI names them: the short id */
		_cleanup_free_ char *id =
			cli_short_id(cli_json_str(json_object_array_get_idx(list, i), "Id"));
		strv_push(ret, id);
	}
	return 0;
}

int cmd_stats(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_command cmd = {
		ctx->path,
		"[OPTIONS] [CONTAINER...]",
		"Display a live stream of container(s) resource usage statistics",
		"berth container stats, berth stats",
		CLI_ARGS_ANY,
		0
	};
	bool all = false, no_stream = false, no_trunc = false;
	const char *format = NULL;
	const struct cli_opt opts[] = {
		{ "all", 'a', CLI_OPT_BOOL, &all, NULL,
		  "Show all containers (default shows just running)" },
		{ "format", 0, CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template:\n'table':            Print output in "
		  "table format with column headers (default)\n'table TEMPLATE':   Print output "
		  "in table format using the given Go template\n'json':             Print in JSON "
		  "format\n'TEMPLATE':         Print output using the given Go template.\nRefer "
		  "to https://docs.docker.com/go/formatting/ for more information about "
		  "formatting output with templates" },
		{ "no-stream", 0, CLI_OPT_BOOL, &no_stream, NULL,
		  "Disable streaming stats and only pull the first result" },
		{ "no-trunc", 0, CLI_OPT_BOOL, &no_trunc, NULL, "Do not truncate output" },
		{},
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_strv_ char **refs = NULL;
	_cleanup_json_ json_object *header = stats_header();
	bool tty = isatty(STDOUT_FILENO);
	int status = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	for (int i = 0; i < args.n; i++)
		strv_push(&refs, args.v[i]);
	const struct cli_format_kind kind = { .type_name = "*container.statsContext",
					      .default_table = STATS_TABLE,
					      .header = header };
	for (bool first = true;; first = false) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_strv_ char **list = NULL;
		char **cur = refs;
		if (!refs) {
			if (list_containers(ctx, all, &list, &err) < 0)
				return cli_fail(err, 1);
			cur = list;
		}
		if (first) /* the first samples of the CPU % window */
			for (size_t i = 0; cur && cur[i]; i++) {
				_cleanup_json_ json_object *s = NULL;
				_cleanup_error_ struct berth_error *e = NULL;
				(void)get_stats(ctx, cur[i], true, &s, &e);
			}
		_cleanup_json_ json_object *rows = json_object_new_array();
		for (size_t i = 0; cur && cur[i]; i++) {
			_cleanup_json_ json_object *s = NULL;
			_cleanup_error_ struct berth_error *e = NULL;
			if (get_stats(ctx, cur[i], false, &s, &e) < 0) {
				if (refs) {
					status = cli_fail(e, 1);
					if (no_stream)
						return status;
				}
				continue;
			}
			json_object_array_add(rows, stats_row(s, cur[i], !no_trunc));
		}
		if (!no_stream && tty)
			(void)cli_write_stdout("\033[2J\033[H", 7);
		if (cli_format_write(format, &kind, rows, &err) < 0)
			return cli_fail(err, 1);
		if (no_stream)
			return status;
		struct timespec ts = { 1, 0 };
		(void)nanosleep(&ts, NULL);
	}
}
