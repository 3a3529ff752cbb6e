/* berth wait: POST /containers/{id}/wait for each container; print the exit
 * codes, and then, as docker does, the errors of those that failed. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-run-internal.h"

int cmd_wait(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command cmd = {
		ctx->path,
		"CONTAINER [CONTAINER...]",
		"Block until one or more containers stop, then print their exit codes",
		"berth container wait, berth wait",
		CLI_ARGS_MIN,
		1
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_free_ char *errors = NULL;

	if (cli_opts_parse(&cmd, NULL, argc, argv, &args))
		return args.exit_status;
	for (int i = 0; i < args.n; i++) {
		_cleanup_(cli_http_response_freep) struct cli_http_response *r = NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		int code = 0;
		if (cli_wait_begin(ctx, args.v[i], NULL, &r, &err) < 0 ||
		    cli_wait_end(r, &code, &err) < 0) {
			char *more = xasprintf("%s%s%s", errors ? errors : "", errors ? "\n" : "",
					       err ? err->msg : "wait failed");
			free(errors);
			errors = more;
			continue;
		}
		printf("%d\n", code);
		(void)fflush(stdout);
	}
	if (!errors)
		return 0;
	fprintf(stderr, "%s\n", errors);
	return 1;
}
