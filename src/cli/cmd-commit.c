/* berth commit: POST /commit?container=&repo=&tag=... ; prints the new
 * image's id ("sha256:..."), as the docker CLI does. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-run-internal.h"

int cmd_commit(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *author = NULL, *message = NULL;
	_cleanup_strv_ char **changes = NULL;
	bool pause = true;
	const struct cli_opt opts[] = {
		{ "author", 'a', CLI_OPT_STRING, &author, "string",
		  "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")" },
		{ "change", 'c', CLI_OPT_LIST, &changes, "list",
		  "Apply Dockerfile instruction to the created image" },
		{ "message", 'm', CLI_OPT_STRING, &message, "string", "Commit message" },
		{ "pause", 'p', CLI_OPT_BOOL, &pause, NULL,
		  "Pause container during commit (default true)" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
					 "Create a new image from a container's changes",
					 "berth container commit, berth commit",
					 CLI_ARGS_RANGE,
					 1,
					 2 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_ref_done) struct cli_ref ref = { 0 };
	_cleanup_json_ json_object *resp = NULL;
	_cleanup_free_ char *path = xstrdup("/commit");

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	/* an empty reference is none, as the docker CLI takes it */
	if (args.n == 2 && !*args.v[1])
		args.n = 1;
	if (args.n == 2) {
		if (cli_ref_parse(args.v[1], &ref, &err) < 0)
			return cli_fail(err, 1);
		/* "a:b:c": a colon left in the path */
		if (strchr(strchr(ref.name, '/') + 1, ':')) {
			fprintf(stderr, "invalid reference format\n");
			return 1;
		}
		if (ref.digest) {
			fprintf(stderr, "refusing to create a tag with a digest reference\n");
			return 1;
		}
	}
	cli_url_add(&path, "container", args.v[0]);
	cli_url_add(&path, "repo", args.n == 2 ? ref.name : "");
	cli_url_add(&path, "tag", args.n == 2 && ref.tag ? ref.tag : "");
	cli_url_add(&path, "comment", message ? message : "");
	cli_url_add(&path, "author", author ? author : "");
	for (size_t i = 0; changes && changes[i]; i++)
		cli_url_add(&path, "changes", changes[i]);
	if (!pause)
		cli_url_add(&path, "pause", "0");
	if (cli_api_call(&ctx->client, "POST", path, NULL, &resp, &err) < 0)
		return cli_fail(err, 1);
	json_object *id = NULL;
	(void)json_object_object_get_ex(resp, "Id", &id);
	printf("%s\n", id ? json_object_get_string(id) : "");
	return 0;
}
