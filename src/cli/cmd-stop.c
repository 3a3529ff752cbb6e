/* berth stop and berth restart: POST /containers/{id}/stop (or /restart)
 * [?signal=&t=] for each container; the two take the same flags. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-internal.h"

static int stop_or_restart(struct cli_ctx *ctx, int argc, char **argv, const char *verb,
			   const char *summary, const char *aliases)
{
	const char *signal = NULL;
	int64_t timeout = 0;
	bool timeout_set = false;
	const struct cli_opt opts[] = {
		{ "signal", 's', CLI_OPT_STRING, &signal, "string",
		  "Signal to send to the container" },
		{ "timeout", 't', CLI_OPT_INT, &timeout, "int",
		  "Seconds to wait before killing the container", NULL, &timeout_set },
		{ "time", 0, CLI_OPT_INT, &timeout, "int", "Deprecated: use --timeout", NULL,
		  &timeout_set },
		{},
	};
	const struct cli_command cmd = { ctx->path,    "[OPTIONS] CONTAINER [CONTAINER...]",
					 summary,      aliases,
					 CLI_ARGS_MIN, 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_free_ char *q = xstrdup("");

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (signal && *signal)
		cli_url_add(&q, "signal", signal);
	if (timeout_set) {
		_cleanup_free_ char *t = xasprintf("%lld", (long long)timeout);
		cli_url_add(&q, "t", t);
	}
	return cli_each_container(ctx, args.v, args.n, verb, q);
}

int cmd_stop(struct cli_ctx *ctx, int argc, char **argv)
{
	return stop_or_restart(ctx, argc, argv, "stop", "Stop one or more running containers",
			       "berth container stop, berth stop");
}

int cmd_restart(struct cli_ctx *ctx, int argc, char **argv)
{
	return stop_or_restart(ctx, argc, argv, "restart", "Restart one or more containers",
			       "berth container restart, berth restart");
}
