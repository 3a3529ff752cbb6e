/* berth top: GET /containers/{id}/top?ps_args=..., printed as docker does
 * (tabwriter, minimum width 20, padding 3). Everything after the container
 * goes to ps. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"

static void add_row(struct cli_buf *b, json_object *cells)
{
	size_t n = cells && json_object_is_type(cells, json_type_array)
			   ? json_object_array_length(cells)
			   : 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(cells, i));
		cli_buf_adds(b, i ? "\t" : "");
		cli_buf_adds(b, s ? s : "");
	}
	cli_buf_addc(b, '\n');
}

int cmd_top(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_command cmd = { ctx->path,
				   "CONTAINER [ps OPTIONS]",
				   "Display the running processes of a container",
				   "berth container top, berth top",
				   CLI_ARGS_MIN,
				   1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *resp = NULL;
	_cleanup_buf_ struct cli_buf ps_args = { 0 }, table = { 0 };
	_cleanup_free_ char *eid = NULL, *path = NULL, *out = NULL;

	cmd.stop_at_arg = true;
	if (cli_opts_parse(&cmd, NULL, argc, argv, &args))
		return args.exit_status;
	for (int i = 1; i < args.n; i++) {
		cli_buf_adds(&ps_args, i > 1 ? " " : "");
		cli_buf_adds(&ps_args, args.v[i]);
	}
	eid = cli_path_escape(args.v[0]);
	path = xasprintf("/containers/%s/top", eid);
	if (ps_args.len)
		cli_url_add(&path, "ps_args", ps_args.s);
	if (cli_api_call(&ctx->client, "GET", path, NULL, &resp, &err) < 0)
		return cli_fail(err, 1);
	add_row(&table, cli_json_get(resp, "Titles"));
	json_object *procs = cli_json_get(resp, "Processes");
	for (size_t i = 0; procs && json_object_is_type(procs, json_type_array) &&
			   i < json_object_array_length(procs);
	     i++)
		add_row(&table, json_object_array_get_idx(procs, i));
	out = cli_tabwrite(table.s ? table.s : "", 20, 3);
	return cli_write_stdout(out, strlen(out));
}
