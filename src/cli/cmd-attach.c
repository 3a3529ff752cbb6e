/* berth attach: attach to a running container's streams; the exit status is the container's. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-run-internal.h"

int cmd_attach(struct cli_ctx *ctx, int argc, char **argv)
{
	bool no_stdin = false, sig_proxy = true;
	const char *detach_keys = NULL;
	const struct cli_opt opts[] = {
		{ "detach-keys", 0, CLI_OPT_STRING, &detach_keys, "string",
		  "Override the key sequence for detaching a container" },
		{ "no-stdin", 0, CLI_OPT_BOOL, &no_stdin, NULL, "Do not attach STDIN" },
		{ "sig-proxy", 0, CLI_OPT_BOOL, &sig_proxy, NULL,
		  "Proxy all received signals to the process (default true)" },
		{},
	};
	const struct cli_command cmd = {
		ctx->path,
		"[OPTIONS] CONTAINER",
		"Attach local standard input, output, and error streams to a running container",
		"berth container attach, berth attach",
		CLI_ARGS_EXACT,
		1
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *c = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *attach = NULL, *wait = NULL;
	json_object *config, *state;
	bool detached = false;
	int status = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (cli_container_inspect(ctx, args.v[0], &c, &err) < 0)
		return cli_fail(err, 1);
	config = cli_json_get(c, "Config");
	state = cli_json_get(c, "State");
	if (!cli_json_bool(state, "Running")) {
		fprintf(stderr, "You cannot attach to a stopped container, start it first\n");
		return 1;
	}
	if (cli_json_bool(state, "Paused")) {
		fprintf(stderr, "You cannot attach to a paused container, unpause it first\n");
		return 1;
	}
	if (cli_json_bool(state, "Restarting")) {
		fprintf(stderr, "You cannot attach to a restarting container, wait until it is "
				"running\n");
		return 1;
	}
	struct cli_session s = {
		.ctx = ctx,
		.id = cli_json_str(c, "Id"),
		.tty = cli_json_bool(config, "Tty"),
		.stdin = !no_stdin && cli_json_bool(config, "OpenStdin"),
		.stdout = true,
		.stderr = true,
		.sig_proxy = sig_proxy && !cli_json_bool(config, "Tty"),
		.detach_keys = detach_keys,
		.redraw = true,
	};
	if (s.stdin && s.tty && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "the input device is not a TTY\n");
		return 1;
	}
	if (cli_wait_begin(ctx, s.id, NULL, &wait, &err) < 0 ||
	    cli_session_attach(&s, &attach, &err) < 0 ||
	    cli_session_stream(&s, attach, &detached, &err) < 0)
		return cli_fail(err, 1);
	if (detached) {
		fprintf(stderr, "read escape sequence\n");
		return 1;
	}
	if (cli_wait_end(wait, &status, &err) < 0)
		return cli_fail(err, 1);
	return status;
}
