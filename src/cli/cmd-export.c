/* berth export: GET /containers/{id}/export to a file or stdout. */
#define LOG_CATEGORY "cli"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli-internal.h"

int cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *output = NULL;
	const struct cli_opt opts[] = {
		{ "output", 'o', CLI_OPT_STRING, &output, "string",
		  "Write to a file, instead of STDOUT" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] CONTAINER",
					 "Export a container's filesystem as a tar archive",
					 "berth container export, berth export",
					 CLI_ARGS_EXACT,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_close_ int fd = -EBADF;
	char buf[65536];

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (!output && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "cowardly refusing to save to a terminal. Use the -o flag or "
				"redirect\n");
		return 1;
	}
	_cleanup_free_ char *id = cli_path_escape(args.v[0]);
	_cleanup_free_ char *path = xasprintf("/containers/%s/export", id);
	struct cli_request req = CLI_REQUEST("GET", path);
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0)
		return cli_fail(err, 1);
	if (output) {
		fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "failed to export container: %s\n", cli_strerror(errno));
			return 1;
		}
	}
	for (;;) {
		ssize_t n = cli_http_body_read(resp, buf, sizeof(buf), &err);
		if (n < 0)
			return cli_fail(err, 1);
		if (n == 0)
			return 0;
		if (fd_write_all(fd >= 0 ? fd : STDOUT_FILENO, buf, (size_t)n) < 0) {
			fprintf(stderr, "failed to export container: %s\n", cli_strerror(errno));
			return 1;
		}
	}
}
