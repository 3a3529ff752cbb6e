/* berth import: POST /images/create?fromSrc=- (a tarball from a file or
 * stdin) or fromSrc=URL, with --change and --message. */
#define LOG_CATEGORY "cli"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cli-run-internal.h"

int cmd_import(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *message = NULL, *platform = NULL;
	_cleanup_strv_ char **changes = NULL;
	const struct cli_opt opts[] = {
		{ "change", 'c', CLI_OPT_LIST, &changes, "list",
		  "Apply Dockerfile instruction to the created image" },
		{ "message", 'm', CLI_OPT_STRING, &message, "string",
		  "Set commit message for imported image" },
		{ "platform", 0, CLI_OPT_STRING, &platform, "string",
		  "Set platform if server is multi-platform capable" },
		{},
	};
	const struct cli_command cmd = {
		ctx->path,
		"[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
		"Import the contents from a tarball to create a filesystem image",
		"berth image import, berth import",
		CLI_ARGS_RANGE,
		1,
		2
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_(cli_ref_done) struct cli_ref ref = { 0 };
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *path = xstrdup("/images/create");
	struct cli_request req = CLI_REQUEST("POST", NULL);
	const char *src = NULL;
	bool url;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	src = args.v[0];
	url = str_has_prefix(src, "http://") || str_has_prefix(src, "https://");
	if (args.n == 2 && cli_ref_parse(args.v[1], &ref, &err) < 0)
		return cli_fail(err, 1);
	if (!url && strcmp(src, "-") != 0) {
		fd = open(src, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "open %s: %s\n", src, cli_strerror(errno));
			return 1;
		}
	}
	for (size_t i = 0; changes && changes[i]; i++)
		cli_url_add(&path, "changes", changes[i]);
	cli_url_add(&path, "fromSrc", url ? src : "-");
	if (message)
		cli_url_add(&path, "message", message);
	if (platform)
		cli_url_add(&path, "platform", platform);
	if (args.n == 2)
		cli_url_add(&path, "repo", args.v[1]);
	req.path = path;
	if (!url) {
		req.body_fd = fd >= 0 ? fd : STDIN_FILENO;
		req.content_type = "application/x-tar";
	}
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0 ||
	    cli_display_messages(resp, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
