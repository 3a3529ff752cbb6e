/* berth volume create, ls, inspect, rm, prune: POST /volumes/create, GET
 * /volumes, GET and DELETE /volumes/{name}, POST /volumes/prune, with the
 * docker CLI's requests and output. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-network-internal.h"

/* "k=v" (or "k") list -> {"k":"v"}. */
static json_object *kv_object(char **list)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; list && list[i]; i++) {
		const char *eq = strchr(list[i], '=');
		_cleanup_free_ char *k =
			eq ? xstrndup(list[i], (size_t)(eq - list[i])) : xstrdup(list[i]);
		json_object_object_add(o, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	return o;
}

int cmd_volume_create(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *driver = "local", *name = NULL;
	_cleanup_strv_ char **labels = NULL, **dopts = NULL;
	const struct cli_opt opts[] = {
		{ "driver", 'd', CLI_OPT_STRING, &driver, "string", "Specify volume driver name" },
		{ "label", 0, CLI_OPT_LIST, &labels, "list", "Set metadata for a volume" },
		{ "name", 0, CLI_OPT_STRING, &name, "string", "Specify volume name" },
		{ "opt", 'o', CLI_OPT_LIST, &dopts, "map", "Set driver specific options" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS] [VOLUME]", "Create a volume",
					 NULL,	    CLI_ARGS_RANGE,	  0,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = json_object_new_object(), *resp = NULL;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (args.n == 1) {
		if (name && *name) {
			fprintf(stderr, "conflicting options: cannot specify a volume-name through "
					"both --name and as a positional arg\n");
			return 1;
		}
		name = args.v[0];
	}
	json_object_object_add(body, "Driver", json_object_new_string(driver));
	json_object_object_add(body, "DriverOpts", kv_object(dopts));
	json_object_object_add(body, "Labels", kv_object(labels));
	json_object_object_add(body, "Name", json_object_new_string(name ? name : ""));
	if (cli_api_call(&ctx->client, "POST", "/volumes/create", body, &resp, &err) < 0)
		return cli_fail(err, 1);
	printf("%s\n", cli_json_str(resp, "Name"));
	return 0;
}

static void set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

static int cmp_rows(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;

	return cli_natural_cmp(cli_json_str(x, "Name"), cli_json_str(y, "Name"));
}

static json_object *volume_rows(json_object *list)
{
	size_t n = list && json_object_is_type(list, json_type_array)
			   ? json_object_array_length(list)
			   : 0;
	json_object *rows = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(list, i), *o = json_object_new_object();
		_cleanup_free_ char *labels = cli_labels_string(cli_json_get(v, "Labels"));
		set_str(o, "Name", cli_json_str(v, "Name"));
		set_str(o, "Driver", cli_json_str(v, "Driver"));
		set_str(o, "Scope", cli_json_str(v, "Scope"));
		set_str(o, "Mountpoint", cli_json_str(v, "Mountpoint"));
		set_str(o, "Labels", labels);
		set_str(o, "Links", "N/A");
		set_str(o, "Size", "N/A");
		set_str(o, "CreatedAt", cli_json_str(v, "CreatedAt"));
		set_str(o, "Group", "N/A");
		set_str(o, "Availability", "N/A");
		set_str(o, "Status", "N/A");
		json_object_set_userdata(o, json_object_get(cli_json_get(v, "Labels")),
					 cli_json_userdata_put);
		json_object_array_add(rows, o);
	}
	if (n > 1)
		json_object_array_sort(rows, cmp_rows);
	return rows;
}

static int label_method(void *data, json_object *dot, const char *name, json_object *const *args,
			size_t nargs, json_object **ret, struct berth_error **err)
{
	json_object *v;

	(void)data;
	if (strcmp(name, "Label") != 0)
		return 0;
	if (nargs != 1)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "wrong number of args for Label: want 1 got %zu", nargs);
	v = cli_json_get(json_object_get_userdata(dot), json_object_get_string(args[0]));
	*ret = json_object_new_string(v ? json_object_get_string(v) : "");
	return 1;
}

static json_object *ls_header(void)
{
	static const char *const h[][2] = {
		{ "Name", "VOLUME NAME" }, { "Driver", "DRIVER" },
		{ "Scope", "SCOPE" },	   { "Mountpoint", "MOUNTPOINT" },
		{ "Labels", "LABELS" },	   { "Links", "LINKS" },
		{ "Size", "SIZE" },	   { "CreatedAt", "CREATED" },
		{ "Group", "GROUP" },	   { "Availability", "AVAILABILITY" },
		{ "Status", "STATUS" },
	};
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(h); i++)
		json_object_object_add(o, h[i][0], json_object_new_string(h[i][1]));
	return o;
}

int cmd_volume_ls(struct cli_ctx *ctx, int argc, char **argv)
{
	bool quiet = false, cluster = false;
	const char *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
		{ "cluster", 0, CLI_OPT_BOOL, &cluster, NULL, "Display only cluster volumes" },
		{ "filter", 'f', CLI_OPT_FUNC, &filters, "filter",
		  "Provide filter values (e.g. \"dangling=true\")", cli_parse_filter },
		{ "format", 0, CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{ "quiet", 'q', CLI_OPT_BOOL, &quiet, NULL, "Only display volume names" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]", "List volumes",
					 "berth volume ls, berth volume list", CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *resp = NULL, *rows = NULL, *header = NULL;
	_cleanup_free_ char *path = xstrdup("/volumes");

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (filters) {
		_cleanup_free_ char *f = cli_filters_json(filters);
		cli_url_add(&path, "filters", f);
	}
	if (cli_api_call(&ctx->client, "GET", path, NULL, &resp, &err) < 0)
		return cli_fail(err, 1);
	rows = volume_rows(cli_json_get(resp, "Volumes"));
	if (quiet && (!format || !*format || strcmp(format, "table") == 0))
		format = "{{.Name}}";
	header = ls_header();
	const struct cli_format_kind kind = {
		"*volume.volumeContext",
		"table {{.Driver}}\\t{{.Name}}",
		header,
		label_method,
	};
	if (cli_format_write(format, &kind, rows, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}

static int print_template(json_object *found, const char *format)
{
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_buf_ struct cli_buf b = { 0 };

	if (strcmp(format, "json") == 0) {
		for (size_t i = 0; i < json_object_array_length(found); i++) {
			cli_buf_add_json(&b, json_object_array_get_idx(found, i), NULL, true);
			cli_buf_addc(&b, '\n');
		}
		return cli_write_stdout(b.s ? b.s : "", b.len) < 0 ? 1 : 0;
	}
	if (cli_template_parse(NULL, format, &t, &err) < 0) {
		fprintf(stderr, "template parsing error: %s\n", err->msg);
		return 64;
	}
	for (size_t i = 0; i < json_object_array_length(found); i++) {
		_cleanup_free_ char *out = NULL;
		size_t len = 0;
		int r = cli_template_execute(t, json_object_array_get_idx(found, i), NULL, &out,
					     &len, &err);
		cli_buf_add(&b, out ? out : "", len);
		cli_buf_addc(&b, '\n');
		if (r < 0) {
			(void)cli_write_stdout(b.s, b.len);
			fprintf(stderr, "template parsing error: %s\n", err->msg);
			return 1;
		}
	}
	(void)cli_write_stdout(b.s ? b.s : "", b.len);
	return 0;
}

int cmd_volume_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *format = NULL;
	const struct cli_opt opts[] = {
		{ "format", 'f', CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] VOLUME [VOLUME...]",
					 "Display detailed information on one or more volumes",
					 NULL,
					 CLI_ARGS_MIN,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_json_ json_object *found = json_object_new_array();
	_cleanup_buf_ struct cli_buf errors = { 0 };
	int status = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	for (int i = 0; i < args.n; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_free_ char *e = cli_path_escape(args.v[i]);
		_cleanup_free_ char *path = xasprintf("/volumes/%s", e);
		json_object *o = NULL;
		if (cli_api_call(&ctx->client, "GET", path, NULL, &o, &err) < 0) {
			cli_buf_printf(&errors, "%s\n", err->msg);
			status = 1;
			continue;
		}
		json_object_array_add(found, o);
	}
	if (format && *format) {
		int r = print_template(found, format);
		if (r)
			return r;
	} else {
		cli_print_json_indent(found);
	}
	(void)fflush(stdout);
	if (errors.len)
		fputs(errors.s, stderr);
	return status;
}

int cmd_volume_rm(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	const struct cli_opt opts[] = {
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL,
		  "Force the removal of one or more volumes" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] VOLUME [VOLUME...]",
					 "Remove one or more volumes",
					 "berth volume rm, berth volume remove",
					 CLI_ARGS_MIN,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_buf_ struct cli_buf errors = { 0 };

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	for (int i = 0; i < args.n; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_free_ char *e = cli_path_escape(args.v[i]);
		_cleanup_free_ char *path = xasprintf("/volumes/%s", e);
		if (force)
			cli_url_add(&path, "force", "1");
		if (cli_api_call(&ctx->client, "DELETE", path, NULL, NULL, &err) < 0) {
			cli_buf_printf(&errors, "%s%s", errors.len ? "\n" : "", err->msg);
			continue;
		}
		printf("%s\n", args.v[i]);
	}
	if (errors.len) {
		(void)fflush(stdout);
		fprintf(stderr, "%s\n", errors.s);
		return 1;
	}
	return 0;
}

int cmd_volume_prune(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false, all = false;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
		{ "all", 'a', CLI_OPT_BOOL, &all, NULL,
		  "Remove all unused volumes, not just anonymous ones" },
		{ "filter", 0, CLI_OPT_FUNC, &filters, "filter",
		  "Provide filter values (e.g. \"label=<label>\")", cli_parse_filter },
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL, "Do not prompt for confirmation" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]", "Remove unused local volumes",
					 NULL, CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *resp = NULL;
	_cleanup_free_ char *path = xstrdup("/volumes/prune");

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (!force && !cli_confirm(all ? "WARNING! This will remove all local volumes not used by "
					 "at least one container."
				       : "WARNING! This will remove anonymous local volumes not "
					 "used by at least one container."))
		return 0;
	if (all)
		strv_push(&filters, "all=true");
	if (filters) {
		_cleanup_free_ char *f = cli_filters_json(filters);
		cli_url_add(&path, "filters", f);
	}
	if (cli_api_call(&ctx->client, "POST", path, NULL, &resp, &err) < 0)
		return cli_fail(err, 1);
	json_object *list = cli_json_get(resp, "VolumesDeleted");
	if (list && json_object_is_type(list, json_type_array) && json_object_array_length(list)) {
		printf("Deleted Volumes:\n");
		for (size_t i = 0; i < json_object_array_length(list); i++)
			printf("%s\n", json_object_get_string(json_object_array_get_idx(list, i)));
		printf("\n");
	}
	_cleanup_free_ char *s = cli_human_size((double)cli_json_int(resp, "SpaceReclaimed"), 4);
	printf("Total reclaimed space: %s\n", s);
	return 0;
}
