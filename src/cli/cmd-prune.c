/* berth container prune, image prune, system prune: POST /<kind>/prune
 * after docker's confirmation prompt, then what was deleted and reclaimed. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"

/* POST /<what>/prune; prints the deleted objects and adds the reclaimed space. */
static int prune(struct cli_ctx *ctx, const char *what, char **filters, bool ignore_missing,
		 int64_t *reclaimed, struct berth_error **err)
{
	_cleanup_json_ json_object *resp = NULL;
	_cleanup_free_ char *path = xasprintf("/%s/prune", what);
	json_object *list;
	int r;

	if (filters) {
		_cleanup_free_ char *f = cli_filters_json(filters);
		cli_url_add(&path, "filters", f);
	}
	r = cli_api_call(&ctx->client, "POST", path, NULL, &resp, err);
	if (r < 0 && ignore_missing && *err && (*err)->kind == BERTH_ERR_NOT_FOUND) {
		berth_error_free(*err);
		*err = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	*reclaimed += cli_json_int(resp, "SpaceReclaimed");
	if (strcmp(what, "containers") == 0 || strcmp(what, "volumes") == 0 ||
	    strcmp(what, "networks") == 0) {
		const char *key = what[0] == 'c'   ? "ContainersDeleted"
				  : what[0] == 'v' ? "VolumesDeleted"
						   : "NetworksDeleted";
		const char *title = what[0] == 'c'   ? "Deleted Containers:"
				    : what[0] == 'v' ? "Deleted Volumes:"
						     : "Deleted Networks:";
		list = cli_json_get(resp, key);
		if (list && json_object_array_length(list) > 0) {
			printf("%s\n", title);
			for (size_t i = 0; i < json_object_array_length(list); i++)
				printf("%s\n",
				       json_object_get_string(json_object_array_get_idx(list, i)));
			printf("\n");
		}
	} else if (strcmp(what, "images") == 0) {
		list = cli_json_get(resp, "ImagesDeleted");
		if (list && json_object_array_length(list) > 0) {
			printf("Deleted Images:\n");
			cli_print_image_deletes(list, true);
			printf("\n");
		}
	}
	return 0;
}

static int finish(int64_t reclaimed)
{
	_cleanup_free_ char *s = cli_human_size((double)reclaimed, 4);

	printf("Total reclaimed space: %s\n", s);
	return 0;
}

int cmd_container_prune(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
		{ "filter", 0, CLI_OPT_FUNC, &filters, "filter",
		  "Provide filter values (e.g. \"until=<timestamp>\")", cli_parse_filter },
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL, "Do not prompt for confirmation" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]", "Remove all stopped containers",
					 NULL, CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	int64_t reclaimed = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (!force && !cli_confirm("WARNING! This will remove all stopped containers."))
		return 0;
	if (prune(ctx, "containers", filters, false, &reclaimed, &err) < 0)
		return cli_fail(err, 1);
	return finish(reclaimed);
}

int cmd_image_prune(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false, all = false;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
		{ "all", 'a', CLI_OPT_BOOL, &all, NULL,
		  "Remove all unused images, not just dangling ones" },
		{ "filter", 0, CLI_OPT_FUNC, &filters, "filter",
		  "Provide filter values (e.g. \"until=<timestamp>\")", cli_parse_filter },
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL, "Do not prompt for confirmation" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]", "Remove unused images", NULL,
					 CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	int64_t reclaimed = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (!force && !cli_confirm(all ? "WARNING! This will remove all images without at least "
					 "one container associated to them."
				       : "WARNING! This will remove all dangling images."))
		return 0;
	strv_push(&filters, all ? "dangling=false" : "dangling=true");
	if (prune(ctx, "images", filters, false, &reclaimed, &err) < 0)
		return cli_fail(err, 1);
	return finish(reclaimed);
}

int cmd_system_prune(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false, all = false, volumes = false;
	_cleanup_strv_ char **filters = NULL, **img_filters = NULL;
	const struct cli_opt opts[] = {
		{ "all", 'a', CLI_OPT_BOOL, &all, NULL,
		  "Remove all unused images not just dangling ones" },
		{ "filter", 0, CLI_OPT_FUNC, &filters, "filter",
		  "Provide filter values (e.g. \"label=<key>=<value>\")", cli_parse_filter },
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL, "Do not prompt for confirmation" },
		{ "volumes", 0, CLI_OPT_BOOL, &volumes, NULL, "Prune anonymous volumes" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]", "Remove unused data", NULL,
					 CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *warning = NULL;
	int64_t reclaimed = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	warning = xasprintf(
		"WARNING! This will remove:\n  - all stopped containers\n  - all "
		"networks not used by at least one container\n%s  - %s\n  - unused "
		"build cache\n",
		volumes ? "  - all anonymous volumes not used by at least one container\n" : "",
		all ? "all images without at least one container associated to them"
		    : "all dangling images");
	if (!force && !cli_confirm(warning))
		return 0;
	img_filters = strv_copy(filters);
	strv_push(&img_filters, all ? "dangling=false" : "dangling=true");
	if (prune(ctx, "containers", filters, false, &reclaimed, &err) < 0 ||
	    prune(ctx, "networks", filters, true, &reclaimed, &err) < 0 ||
	    (volumes && prune(ctx, "volumes", filters, true, &reclaimed, &err) < 0) ||
	    prune(ctx, "images", img_filters, false, &reclaimed, &err) < 0 ||
	    prune(ctx, "build", filters, true, &reclaimed, &err) < 0)
		return cli_fail(err, 1);
	return finish(reclaimed);
}
