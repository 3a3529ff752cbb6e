/* berth diff: GET /containers/{id}/changes as docker prints it ("C /etc"). */
#define LOG_CATEGORY "cli"
#include <stdio.h>

#include "cli-internal.h"

int cmd_diff(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_opt opts[] = { {} };
	const struct cli_command cmd = {
		ctx->path,
		"CONTAINER",
		"Inspect changes to files or directories on a container's filesystem",
		"berth container diff, berth diff",
		CLI_ARGS_EXACT,
		1
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *list = NULL;
	static const char kinds[] = "CAD";

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	_cleanup_free_ char *id = cli_path_escape(args.v[0]);
	_cleanup_free_ char *path = xasprintf("/containers/%s/changes", id);
	if (cli_api_call(&ctx->client, "GET", path, NULL, &list, &err) < 0)
		return cli_fail(err, 1);
	for (size_t i = 0; list && json_object_is_type(list, json_type_array) &&
			   i < json_object_array_length(list);
	     i++) {
		json_object *c = json_object_array_get_idx(list, i);
		int64_t k = cli_json_int(c, "Kind");
		printf("%c %s\n", k >= 0 && k <= 2 ? kinds[k] : '?', cli_json_str(c, "Path"));
	}
	return 0;
}
