/* berth save: GET /images/get?names=... to a file (written aside, then renamed) or stdout. */
#define LOG_CATEGORY "cli"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"

static int copy_body(struct cli_http_response *r, int fd, struct berth_error **err)
{
	_cleanup_free_ char *buf = xmalloc(CLI_HTTP_BUF_SIZE);

	for (;;) {
		ssize_t n = cli_http_body_read(r, buf, CLI_HTTP_BUF_SIZE, err);
		if (n <= 0)
			return (int)n;
		if (fd_write_all(fd, buf, (size_t)n) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "write");
	}
}

/* docker's CopyToFile: a temporary file next to the target, renamed when complete. */
static int save_to_file(struct cli_http_response *r, const char *out, struct berth_error **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.berth-save-XXXXXX", out);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	int k;

	if (fd < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "failed to save image: unable to create temporary file: %s",
				       cli_strerror(errno));
	k = copy_body(r, fd, err);
	if (k >= 0 && fsync(fd) < 0)
		k = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "failed to save image");
	if (k >= 0 && rename(tmp, out) < 0)
		k = berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				    "failed to save image: rename '%s'", out);
	if (k < 0)
		(void)unlink(tmp);
	return k;
}

int cmd_save(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *output = NULL, *platform = NULL;
	const struct cli_opt opts[] = {
		{ "output", 'o', CLI_OPT_STRING, &output, "string",
		  "Write to a file, instead of STDOUT" },
		{ "platform", 0, CLI_OPT_STRING, &platform, "string",
		  "Save only the given platform variant" },
		{},
	};
	const struct cli_command cmd = {
		ctx->path,
		"[OPTIONS] IMAGE [IMAGE...]",
		"Save one or more images to a tar archive (streamed to STDOUT by default)",
		"berth image save, berth save",
		CLI_ARGS_MIN,
		1
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_free_ char *path = xstrdup("/images/get");
	struct cli_request req = CLI_REQUEST("GET", NULL);

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (!output && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "cowardly refusing to save to a terminal. Use the -o flag or "
				"redirect\n");
		return 1;
	}
	for (int i = 0; i < args.n; i++)
		cli_url_add(&path, "names", args.v[i]);
	if (platform)
		cli_url_add(&path, "platform", platform);
	req.path = path;
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0)
		return cli_fail(err, 1);
	if (output && strcmp(output, "-") != 0 ? save_to_file(resp, output, &err) < 0
					       : copy_body(resp, STDOUT_FILENO, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
