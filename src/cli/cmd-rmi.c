/* berth rmi (image rm): DELETE /images/{name}; print what was untagged and deleted. */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-internal.h"

void cli_print_image_deletes(json_object *list, bool lower)
{
	for (size_t i = 0; list && json_object_is_type(list, json_type_array) &&
			   i < json_object_array_length(list);
	     i++) {
		json_object *e = json_object_array_get_idx(list, i);
		if (*cli_json_str(e, "Untagged"))
			printf("%s: %s\n", lower ? "untagged" : "Untagged",
			       cli_json_str(e, "Untagged"));
		if (*cli_json_str(e, "Deleted"))
			printf("%s: %s\n", lower ? "deleted" : "Deleted",
			       cli_json_str(e, "Deleted"));
	}
}

int cmd_rmi(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false, no_prune = false;
	_cleanup_strv_ char **platforms = NULL;
	const struct cli_opt opts[] = {
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL, "Force removal of the image" },
		{ "no-prune", 0, CLI_OPT_BOOL, &no_prune, NULL, "Do not delete untagged parents" },
		{ "platform", 0, CLI_OPT_LIST, &platforms, "strings",
		  "Remove only the given platform variant" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] IMAGE [IMAGE...]",
					 "Remove one or more images",
					 "berth image rm, berth image remove, berth rmi",
					 CLI_ARGS_MIN,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_free_ char *q = xstrdup("");
	int status = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (force)
		cli_url_add(&q, "force", "1");
	if (no_prune)
		cli_url_add(&q, "noprune", "1");
	for (int i = 0; i < args.n; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_json_ json_object *resp = NULL;
		_cleanup_free_ char *e = cli_path_escape(args.v[i]);
		_cleanup_free_ char *path = xasprintf("/images/%s%s", e, q);
		if (cli_api_call(&ctx->client, "DELETE", path, NULL, &resp, &err) < 0) {
			status = cli_fail(err, 1);
			continue;
		}
		cli_print_image_deletes(resp, false);
		(void)fflush(stdout);
	}
	return status;
}
