/* berth rm: DELETE /containers/{id}[?force=1&link=1&v=1] for each container. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-internal.h"

int cmd_rm(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false, link = false, volumes = false;
	const struct cli_opt opts[] = {
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL,
		  "Force the removal of a running container (uses SIGKILL)" },
		{ "link", 'l', CLI_OPT_BOOL, &link, NULL, "Remove the specified link" },
		{ "volumes", 'v', CLI_OPT_BOOL, &volumes, NULL,
		  "Remove anonymous volumes associated with the container" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] CONTAINER [CONTAINER...]",
					 "Remove one or more containers",
					 "berth container rm, berth container remove, berth rm",
					 CLI_ARGS_MIN,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_free_ char *q = xstrdup("");
	int status = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (force)
		cli_url_add(&q, "force", "1");
	if (link)
		cli_url_add(&q, "link", "1");
	if (volumes)
		cli_url_add(&q, "v", "1");
	for (int i = 0; i < args.n; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_free_ char *eid = cli_path_escape(args.v[i]);
		_cleanup_free_ char *path = xasprintf("/containers/%s%s", eid, q);
		if (cli_api_call(&ctx->client, "DELETE", path, NULL, NULL, &err) < 0) {
			/* docker rm -f reports a missing container but does not fail */
			status = cli_fail(err,
					  force && err->kind == BERTH_ERR_NOT_FOUND ? status : 1);
			continue;
		}
		printf("%s\n", args.v[i]);
		(void)fflush(stdout);
	}
	return status;
}
