/* berth rename: POST /containers/{id}/rename?name=NEW. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"

int cmd_rename(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command cmd = { ctx->path,
					 "CONTAINER NEW_NAME",
					 "Rename a container",
					 "berth container rename, berth rename",
					 CLI_ARGS_EXACT,
					 2 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *eid = NULL, *path = NULL;

	if (cli_opts_parse(&cmd, NULL, argc, argv, &args))
		return args.exit_status;
	if (!*args.v[1]) {
		fprintf(stderr, "berth: Error: neither old nor new names may be empty\n");
		return 1;
	}
	eid = cli_path_escape(args.v[0]);
	path = xasprintf("/containers/%s/rename", eid);
	cli_url_add(&path, "name", args.v[1]);
	if (cli_api_call(&ctx->client, "POST", path, NULL, NULL, &err) < 0) {
		(void)cli_fail(err, 1);
		fprintf(stderr, "Error: failed to rename container named %s\n", args.v[0]);
		return 1;
	}
	return 0;
}
