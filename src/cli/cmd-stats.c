/* berth stats: docker's table of CPU %, memory, network and block IO and
 * pids, computed from GET /containers/{id}/stats as the docker CLI computes
 * them (CPU % from cpu_stats and precpu_stats, memory without the inactive
 * file cache).
 *
 * The daemon gives each stream=0 answer a previous sample of at least 100 ms
 * (container-stats in berthd): a first pass with one-shot=1 takes those
 * samples for every container, so that the second pass answers at once after
 * the first one's window. Streaming asks again every half second and redraws
 * the table framed as the docker CLI 28 frames it, terminal or not: "\e[H",
 * the table, the same text again with " \e[K" at the end of every line,
 * "\e[J". A named container that goes away while streamed stays as a row of
 * "--", as in the docker CLI. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

/* The row of a named container whose stats can no longer be read. */
static json_object *gone_row(json_object *last)
{
	static const char *const dashes[][2] = { { "BlockIO", "--" }, { "CPUPerc", "--" },
						 { "MemPerc", "--" }, { "MemUsage", "-- / --" },
						 { "NetIO", "--" },   { "PIDs", "--" } };
	json_object *row = NULL;

	if (json_object_deep_copy(last, &row, NULL) < 0)
		abort();
	for (size_t i = 0; i < ARRAY_SIZE(dashes); i++)
		json_object_object_add(row, dashes[i][0], json_object_new_string(dashes[i][1]));
	return row;
}

/* One frame of the stream: the formatted rows, caught in a memory file, with
 * the docker CLI's cursor and erase sequences. */
static int write_frame(const char *format, const struct cli_format_kind *kind, json_object *rows,
		       struct berth_error **err)
{
	_cleanup_close_ int mfd = memfd_create("stats-frame", MFD_CLOEXEC);
	_cleanup_close_ int saved = dup(STDOUT_FILENO);
	_cleanup_free_ char *text = NULL, *out = NULL;
	size_t len = 0, out_len = 0;

	if (mfd < 0 || saved < 0 || dup2(mfd, STDOUT_FILENO) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stats frame: %s",
				       strerror(errno));
	int r = cli_format_write(format, kind, rows, err);
	(void)dup2(saved, STDOUT_FILENO);
	if (r < 0)
		return r;
	off_t size = lseek(mfd, 0, SEEK_END);
	text = xzalloc((size_t)(size > 0 ? size : 0) + 4);
	memcpy(text, "\033[H", 3);
	if (size > 0 && pread(mfd, text + 3, (size_t)size, 0) != size)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stats frame: %s",
				       strerror(errno));
	len = 3 + (size_t)(size > 0 ? size : 0);
	FILE *f = open_memstream(&out, &out_len);
	if (!f)
		abort();
	(void)fwrite(text, 1, len, f);
	for (const char *line = text;;) {
		const char *nl = memchr(line, '\n', len - (size_t)(line - text));
		size_t n = nl ? (size_t)(nl - line) : len - (size_t)(line - text);
		(void)fwrite(line, 1, n, f);
		(void)fputs(" \033[K\n", f);
		if (!nl)
			break;
		line = nl + 1;
	}
	(void)fputs("\033[J", f);
	(void)fclose(f);
	return cli_write_stdout(out, out_len);
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

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	for (int i = 0; i < args.n; i++)
		strv_push(&refs, args.v[i]);
	const struct cli_format_kind kind = { .type_name = "*container.statsContext",
					      .default_table = STATS_TABLE,
					      .header = header };
	/* the last row of each named container, for the "--" row once it is gone */
	_cleanup_json_ json_object *last = json_object_new_object();
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
			json_object *prev = NULL;
			if (get_stats(ctx, cur[i], false, &s, &e) < 0) {
				/* named: an error at first (docker checks them before
				 * it starts), later a row of "--" */
				if (refs && !json_object_object_get_ex(last, cur[i], &prev))
					return cli_fail(e, 1);
				if (prev)
					json_object_array_add(rows, gone_row(prev));
				continue;
			}
			json_object *row = stats_row(s, cur[i], !no_trunc);
			json_object_array_add(rows, row);
			if (refs)
				json_object_object_add(last, cur[i], json_object_get(row));
		}
		int r = no_stream ? cli_format_write(format, &kind, rows, &err)
				  : write_frame(format, &kind, rows, &err);
		if (r < 0)
			return cli_fail(err, 1);
		if (no_stream)
			return 0;
		struct timespec ts = { 0, 500000000 };
		(void)nanosleep(&ts, NULL);
	}
}
