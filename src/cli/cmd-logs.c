/* berth logs: GET /containers/{id}/logs, demultiplexed unless the container has a tty. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli-run-internal.h"

int cmd_logs(struct cli_ctx *ctx, int argc, char **argv)
{
	bool details = false, follow = false, timestamps = false;
	const char *since = NULL, *until = NULL, *tail = "all";
	const struct cli_opt opts[] = {
		{ "details", 0, CLI_OPT_BOOL, &details, NULL,
		  "Show extra details provided to logs" },
		{ "follow", 'f', CLI_OPT_BOOL, &follow, NULL, "Follow log output" },
		{ "since", 0, CLI_OPT_STRING, &since, "string",
		  "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
		  "\"42m\" for 42 minutes)" },
		{ "tail", 'n', CLI_OPT_STRING, &tail, "string",
		  "Number of lines to show from the end of the logs (default \"all\")" },
		{ "timestamps", 't', CLI_OPT_BOOL, &timestamps, NULL, "Show timestamps" },
		{ "until", 0, CLI_OPT_STRING, &until, "string",
		  "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
		  "\"42m\" for 42 minutes)" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] CONTAINER",
					 "Fetch the logs of a container",
					 "berth container logs, berth logs",
					 CLI_ARGS_EXACT,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *c = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_free_ char *path = NULL, *eid = NULL, *s = NULL, *u = NULL;
	struct cli_request req = CLI_REQUEST("GET", NULL);

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (cli_container_inspect(ctx, args.v[0], &c, &err) < 0)
		return cli_fail(err, 1);
	if ((since && cli_timestamp_arg("since", since, &s, &err) < 0) ||
	    (until && cli_timestamp_arg("until", until, &u, &err) < 0))
		return cli_fail(err, 1);
	eid = cli_path_escape(cli_json_str(c, "Id"));
	path = xasprintf("/containers/%s/logs", eid);
	if (details)
		cli_url_add(&path, "details", "1");
	if (follow)
		cli_url_add(&path, "follow", "1");
	if (s)
		cli_url_add(&path, "since", s);
	cli_url_add(&path, "stderr", "1");
	cli_url_add(&path, "stdout", "1");
	if (tail && *tail)
		cli_url_add(&path, "tail", tail);
	if (timestamps)
		cli_url_add(&path, "timestamps", "1");
	if (u)
		cli_url_add(&path, "until", u);
	req.path = path;
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0 ||
	    cli_stream_copy_body(resp, cli_json_bool(cli_json_get(c, "Config"), "Tty"), &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
