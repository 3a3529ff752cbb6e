/* berth kill: POST /containers/{id}/kill[?signal=] for each container. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-internal.h"

int cmd_kill(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *signal = NULL;
	const struct cli_opt opts[] = {
		{ "signal", 's', CLI_OPT_STRING, &signal, "string",
		  "Signal to send to the container" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] CONTAINER [CONTAINER...]",
					 "Kill one or more running containers",
					 "berth container kill, berth kill",
					 CLI_ARGS_MIN,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_free_ char *q = xstrdup("");

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (signal && *signal)
		cli_url_add(&q, "signal", signal);
	return cli_each_container(ctx, args.v, args.n, "kill", q);
}
