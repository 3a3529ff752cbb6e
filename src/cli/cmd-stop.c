/* berth stop: POST /containers/{id}/stop[?signal=&t=] for each container. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-internal.h"

char *cli_stop_query(struct cli_ctx *ctx, const char *signal, bool timeout_set, int64_t timeout,
		     struct berth_error **err)
{
	_cleanup_free_ char *q = xstrdup("");

	if (signal && *signal)
		cli_url_add(&q, "signal", signal);
	if (timeout_set) {
		_cleanup_free_ char *t = xasprintf("%lld", (long long)timeout);
		cli_url_add(&q, "t", t);
	}
	return TAKE_PTR(q);
}

int cmd_stop(struct cli_ctx *ctx, int argc, char **argv)
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
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] CONTAINER [CONTAINER...]",
					 "Stop one or more running containers",
					 "berth container stop, berth stop",
					 CLI_ARGS_MIN,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *q = NULL;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	q = cli_stop_query(ctx, signal, timeout_set, timeout, &err);
	if (!q)
		return cli_fail(err, 1);
	return cli_each_container(ctx, args.v, args.n, "stop", q);
}
