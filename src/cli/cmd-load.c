/* berth load: POST /images/load with a tar archive from a file or stdin (chunked). */
#define LOG_CATEGORY "cli"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"

int cmd_load(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *input = NULL, *platform = NULL;
	bool quiet = false;
	const struct cli_opt opts[] = {
		{ "input", 'i', CLI_OPT_STRING, &input, "string",
		  "Read from tar archive file, instead of STDIN" },
		{ "platform", 0, CLI_OPT_STRING, &platform, "string",
		  "Load only the given platform variant" },
		{ "quiet", 'q', CLI_OPT_BOOL, &quiet, NULL, "Suppress the load output" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]",
					 "Load an image from a tar archive or STDIN",
					 "berth image load, berth load", CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *path = xstrdup("/images/load");
	struct cli_request req = CLI_REQUEST("POST", NULL);

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (input) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "open %s: %s\n", input, cli_strerror(errno));
			return 1;
		}
	} else if (isatty(STDIN_FILENO)) {
		fprintf(stderr, "requested load from stdin, but stdin is empty\n");
		return 1;
	}
	if (quiet || !isatty(STDOUT_FILENO))
		cli_url_add(&path, "quiet", "1");
	else
		cli_url_add(&path, "quiet", "0");
	if (platform)
		cli_url_add(&path, "platform", platform);
	req.path = path;
	req.body_fd = fd >= 0 ? fd : STDIN_FILENO;
	req.content_type = "application/x-tar";
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0 ||
	    cli_display_messages(resp, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
