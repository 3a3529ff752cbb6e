/* berth pause and unpause: POST /containers/{id}/pause|unpause. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-internal.h"

static int pause_or_unpause(struct cli_ctx *ctx, int argc, char **argv, const char *action,
			    const char *summary, const char *aliases)
{
	const struct cli_command cmd = { ctx->path,    "CONTAINER [CONTAINER...]",
					 summary,      aliases,
					 CLI_ARGS_MIN, 1 };
	_cleanup_args_ struct cli_args args = { 0 };

	if (cli_opts_parse(&cmd, NULL, argc, argv, &args))
		return args.exit_status;
	return cli_each_container(ctx, args.v, args.n, action, NULL);
}

int cmd_pause(struct cli_ctx *ctx, int argc, char **argv)
{
	return pause_or_unpause(ctx, argc, argv, "pause",
				"Pause all processes within one or more containers",
				"berth container pause, berth pause");
}

int cmd_unpause(struct cli_ctx *ctx, int argc, char **argv)
{
	return pause_or_unpause(ctx, argc, argv, "unpause",
				"Unpause all processes within one or more containers",
				"berth container unpause, berth unpause");
}
