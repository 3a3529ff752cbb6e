/* berth tag: POST /images/{source}/tag?repo=&tag= with the normalized target. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-run-internal.h"

int cmd_tag(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command cmd = { ctx->path,
					 "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
					 "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
					 "berth image tag, berth tag",
					 CLI_ARGS_EXACT,
					 2 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_ref_done) struct cli_ref ref = { 0 };
	_cleanup_free_ char *e = NULL, *path = NULL;

	if (cli_opts_parse(&cmd, NULL, argc, argv, &args))
		return args.exit_status;
	if (cli_ref_parse(args.v[1], &ref, &err) < 0 || ref.digest) {
		fprintf(stderr,
			"Error parsing reference: \"%s\" is not a valid repository/tag: %s\n",
			args.v[1], err ? err->msg : "invalid reference format");
		return 1;
	}
	e = cli_path_escape(args.v[0]);
	path = xasprintf("/images/%s/tag", e);
	cli_url_add(&path, "repo", ref.name);
	cli_url_add(&path, "tag", ref.tag);
	if (cli_api_call(&ctx->client, "POST", path, NULL, NULL, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
