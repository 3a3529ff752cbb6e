/* berth run: create, attach, wait, start and stream, like docker run:
 * the attach and the wait are in place before the start, and the exit
 * status is the container's. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-run-internal.h"

static int start_container(struct cli_ctx *ctx, const char *id, struct berth_error **err)
{
	_cleanup_free_ char *eid = cli_path_escape(id);
	_cleanup_free_ char *path = xasprintf("/containers/%s/start", eid);

	return cli_api_call(&ctx->client, "POST", path, NULL, NULL, err);
}

/* Attach (unless detached), wait, start and stream; the container's status. */
static int run_attached(struct cli_ctx *ctx, struct cli_run_opts *o, json_object *body,
			const char *id)
{
	_cleanup_(cli_http_response_freep) struct cli_http_response *attach = NULL, *wait = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct cli_session s = {
		.ctx = ctx,
		.id = id,
		.tty = o->tty,
		.stdin = cli_json_bool(body, "AttachStdin"),
		.stdout = cli_json_bool(body, "AttachStdout"),
		.stderr = cli_json_bool(body, "AttachStderr"),
		.sig_proxy = o->sig_proxy && !o->tty,
		.detach_keys = o->detach_keys,
	};
	bool detached = false;
	int status = 0;

	if ((s.stdin || s.stdout || s.stderr) && cli_session_attach(&s, &attach, &err) < 0)
		return cli_fail_run(ctx, err, 125);
	if (cli_wait_begin(ctx, id, o->rm ? "removed" : "next-exit", &wait, &err) < 0)
		return cli_fail_run(ctx, err, 125);
	if (start_container(ctx, id, &err) < 0)
		return cli_fail_run(ctx, err, cli_start_error_status(err->msg));
	if (attach && cli_session_stream(&s, attach, &detached, &err) < 0)
		return cli_fail_run(ctx, err, 125);
	if (detached)
		return 0;
	if (cli_wait_end(wait, &status, &err) < 0)
		return cli_fail_run(ctx, err, 125);
	return status;
}

int cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] IMAGE [COMMAND] [ARG...]",
					 "Create and run a new container from an image",
					 "berth container run, berth run",
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
	unsigned rows = 0, cols = 0;

	cli_run_opts_init(&o);
	cli_run_opts_table(&o, true, table);
	if (cli_opts_parse(&cmd, table, argc, argv, &args))
		return args.exit_status;
	if (o.detach && o.attach) {
		fprintf(stderr, "conflicting options: cannot specify both --attach and --detach\n");
		return 1;
	}
	if (!o.detach && o.interactive && o.tty && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "the input device is not a TTY\n");
		return 1;
	}
	if (o.tty && isatty(STDOUT_FILENO))
		(void)cli_tty_size(STDOUT_FILENO, &rows, &cols);
	if (cli_run_build(&o, args.v, args.n, true, rows, cols, &body, &err) < 0 ||
	    cli_container_create(ctx, &o, body, args.v[0], &id, &err) < 0)
		return cli_fail_run(ctx, err, 125);
	if (!o.detach)
		return run_attached(ctx, &o, body, id);
	if (start_container(ctx, id, &err) < 0)
		return cli_fail_run(ctx, err, cli_start_error_status(err->msg));
	printf("%s\n", id);
	return 0;
}
