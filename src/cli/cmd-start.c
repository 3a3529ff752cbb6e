/* berth start: start containers, or one with its streams attached (-a, -i)
 * like docker: attach and wait in place before the start. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-run-internal.h"

static int start_one(struct cli_ctx *ctx, const char *id, struct berth_error **err)
{
	_cleanup_free_ char *eid = cli_path_escape(id);
	_cleanup_free_ char *path = xasprintf("/containers/%s/start", eid);

	return cli_api_call(&ctx->client, "POST", path, NULL, NULL, err);
}

static int start_attached(struct cli_ctx *ctx, const char *id, bool interactive,
			  const char *detach_keys)
{
	_cleanup_(cli_http_response_freep) struct cli_http_response *attach = NULL, *wait = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *c = NULL;
	json_object *config, *host;
	bool detached = false;
	int status = 0;

	if (cli_container_inspect(ctx, id, &c, &err) < 0)
		return cli_fail(err, 1);
	config = cli_json_get(c, "Config");
	host = cli_json_get(c, "HostConfig");
	struct cli_session s = {
		.ctx = ctx,
		.id = cli_json_str(c, "Id"),
		.tty = cli_json_bool(config, "Tty"),
		.stdin = interactive && cli_json_bool(config, "OpenStdin"),
		.stdout = true,
		.stderr = true,
		.sig_proxy = !cli_json_bool(config, "Tty"),
		.detach_keys = detach_keys,
	};
	if (cli_session_attach(&s, &attach, &err) < 0)
		return cli_fail(err, 1);
	if (cli_wait_begin(ctx, s.id, cli_json_bool(host, "AutoRemove") ? "removed" : "next-exit",
			   &wait, &err) < 0)
		return cli_fail(err, 1);
	if (start_one(ctx, s.id, &err) < 0)
		return cli_fail(err, 1); /* docker start -a: 1, whatever the cause */
	if (cli_session_stream(&s, attach, &detached, &err) < 0)
		return cli_fail(err, 1);
	if (detached)
		return 0;
	if (cli_wait_end(wait, &status, &err) < 0)
		return cli_fail(err, 1);
	return status;
}

int cmd_start(struct cli_ctx *ctx, int argc, char **argv)
{
	bool attach = false, interactive = false;
	const char *detach_keys = NULL, *checkpoint = NULL, *checkpoint_dir = NULL;
	const struct cli_opt opts[] = {
		{ "attach", 'a', CLI_OPT_BOOL, &attach, NULL,
		  "Attach STDOUT/STDERR and forward signals" },
		{ "checkpoint", 0, CLI_OPT_STRING, &checkpoint, "string",
		  "Restore from this checkpoint" },
		{ "checkpoint-dir", 0, CLI_OPT_STRING, &checkpoint_dir, "string",
		  "Use a custom checkpoint storage directory" },
		{ "detach-keys", 0, CLI_OPT_STRING, &detach_keys, "string",
		  "Override the key sequence for detaching a container" },
		{ "interactive", 'i', CLI_OPT_BOOL, &interactive, NULL,
		  "Attach container's STDIN" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] CONTAINER [CONTAINER...]",
					 "Start one or more stopped containers",
					 "berth container start, berth start",
					 CLI_ARGS_MIN,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_buf_ struct cli_buf failed = { 0 };

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (checkpoint) {
		fprintf(stderr, "berth: 'checkpoint' is not supported yet\n");
		return 1;
	}
	if (attach || interactive) {
		if (args.n > 1) {
			fprintf(stderr,
				"you cannot start and attach multiple containers at once\n");
			return 1;
		}
		return start_attached(ctx, args.v[0], interactive, detach_keys);
	}
	for (int i = 0; i < args.n; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		if (start_one(ctx, args.v[i], &err) < 0) {
			(void)cli_fail(err, 1);
			cli_buf_printf(&failed, "%s%s", failed.len ? ", " : "", args.v[i]);
			continue;
		}
		printf("%s\n", args.v[i]);
		(void)fflush(stdout);
	}
	if (failed.len) {
		fprintf(stderr, "Error: failed to start containers: %s\n", failed.s);
		return 1;
	}
	return 0;
}
