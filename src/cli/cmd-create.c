/* berth create: create a container (POST /containers/create) and print its id. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-run-internal.h"

int cmd_create(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] IMAGE [COMMAND] [ARG...]",
					 "Create a new container",
					 "berth container create, berth create",
					 CLI_ARGS_MIN,
					 1,
					 0,
					 true };
	_cleanup_(cli_run_opts_done) struct cli_run_opts o;
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	_cleanup_free_ char *id = NULL;
	struct cli_opt table[CLI_RUN_MAX_OPTS];

	cli_run_opts_init(&o);
	cli_run_opts_table(&o, false, table);
	if (cli_opts_parse(&cmd, table, argc, argv, &args))
		return args.exit_status;
	if (cli_run_build(&o, args.v, args.n, false, 0, 0, &body, &err) < 0)
		return cli_fail_run(ctx, err, 125);
	/* docker create reports the daemon's errors plainly, with status 1 */
	if (cli_container_create(ctx, &o, body, args.v[0], &id, &err) < 0)
		return err->kind == BERTH_ERR_INVALID && !str_has_prefix(err->msg, "Error response")
			       ? cli_fail_run(ctx, err, 125)
			       : cli_fail(err, 1);
	printf("%s\n", id);
	return 0;
}
