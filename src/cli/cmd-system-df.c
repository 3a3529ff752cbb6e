/* berth system df: GET /system/df, summarized per type like docker (or -v). */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"

static size_t len_of(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static char *reclaim(int64_t reclaimable, int64_t total)
{
	_cleanup_free_ char *s = cli_human_size((double)reclaimable, 4);

	if (total > 0)
		return xasprintf("%s (%lld%%)", s, (long long)(reclaimable * 100 / total));
	return TAKE_PTR(s);
}

static void add_owned(json_object *o, const char *key, char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
	free(value);
}

static json_object *summary_row(const char *type, size_t total, size_t active, int64_t size,
				char *reclaimable)
{
	json_object *o = json_object_new_object();

	add_owned(o, "Active", xasprintf("%zu", active));
	add_owned(o, "Reclaimable", reclaimable);
	add_owned(o, "Size", cli_human_size((double)size, 4));
	add_owned(o, "TotalCount", xasprintf("%zu", total));
	json_object_object_add(o, "Type", json_object_new_string(type));
	return o;
}

static bool container_active(json_object *c)
{
	const char *s = cli_json_str(c, "State");
	return !strcmp(s, "running") || !strcmp(s, "paused") || !strcmp(s, "restarting");
}

static void summarize(json_object *df, json_object *rows)
{
	json_object *images = cli_json_get(df, "Images"), *cs = cli_json_get(df, "Containers");
	json_object *vols = cli_json_get(df, "Volumes"), *bc = cli_json_get(df, "BuildCache");
	int64_t total = cli_json_int(df, "LayersSize"), used = 0, size = 0, rec = 0;
	size_t active = 0;

	for (size_t i = 0; i < len_of(images); i++) {
		json_object *im = json_object_array_get_idx(images, i);
		if (cli_json_int(im, "Containers") == 0)
			continue;
		active++;
		if (cli_json_int(im, "SharedSize") != -1)
			used += cli_json_int(im, "Size") - cli_json_int(im, "SharedSize");
	}
	json_object_array_add(rows, summary_row("Images", len_of(images), active, total,
						reclaim(total - used, total)));
	active = 0;
	for (size_t i = 0; i < len_of(cs); i++) {
		json_object *c = json_object_array_get_idx(cs, i);
		size += cli_json_int(c, "SizeRw");
		if (container_active(c))
			active++;
		else
			rec += cli_json_int(c, "SizeRw");
	}
	json_object_array_add(
		rows, summary_row("Containers", len_of(cs), active, size, reclaim(rec, size)));
	active = 0;
	size = rec = 0;
	for (size_t i = 0; i < len_of(vols); i++) {
		json_object *u = cli_json_get(json_object_array_get_idx(vols, i), "UsageData");
		int64_t s = cli_json_int(u, "Size");
		if (s > 0)
			size += s;
		if (cli_json_int(u, "RefCount") > 0)
			active++;
		else if (s > 0)
			rec += s;
	}
	json_object_array_add(
		rows, summary_row("Local Volumes", len_of(vols), active, size, reclaim(rec, size)));
	active = 0;
	size = rec = 0;
	for (size_t i = 0; i < len_of(bc); i++) {
		json_object *b = json_object_array_get_idx(bc, i);
		if (!cli_json_bool(b, "Shared"))
			size += cli_json_int(b, "Size");
		if (cli_json_bool(b, "InUse"))
			active++;
		else if (!cli_json_bool(b, "Shared"))
			rec += cli_json_int(b, "Size");
	}
	json_object_array_add(rows, summary_row("Build Cache", len_of(bc), active, size,
						cli_human_size((double)rec, 4)));
}

static int print_table(const char *text)
{
	_cleanup_free_ char *t = cli_tabwrite(text, 10, 3);
	return cli_write_stdout(t, strlen(t));
}

/* -v: the images, containers and volumes one by one. */
static int verbose(json_object *df)
{
	json_object *images = cli_json_get(df, "Images"), *cs = cli_json_get(df, "Containers");
	json_object *vols = cli_json_get(df, "Volumes");
	_cleanup_buf_ struct cli_buf b = { 0 };

	printf("Images space usage:\n\n");
	cli_buf_adds(&b, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\t"
			 "CONTAINERS\n");
	for (size_t i = 0; i < len_of(images); i++) {
		json_object *im = json_object_array_get_idx(images, i), *tags;
		int64_t sz = cli_json_int(im, "Size"), sh = cli_json_int(im, "SharedSize");
		_cleanup_free_ char *id = cli_short_id(cli_json_str(im, "Id"));
		_cleanup_free_ char *ago = cli_time_ago(cli_json_int(im, "Created"));
		_cleanup_free_ char *s1 = cli_human_size((double)sz, 3);
		_cleanup_free_ char *s2 = cli_human_size((double)sh, 4);
		_cleanup_free_ char *s3 = cli_human_size((double)(sz - sh), 4);
		_cleanup_free_ char *repo = NULL;
		const char *tag = "<none>";
		tags = cli_json_get(im, "RepoTags");
		if (len_of(tags) > 0) {
			repo = xstrdup(json_object_get_string(json_object_array_get_idx(tags, 0)));
			char *c = strrchr(repo, ':');
			if (c && !strchr(c, '/')) {
				*c = '\0';
				tag = c + 1;
			}
		}
		cli_buf_printf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%lld\n", repo ? repo : "<none>",
			       tag, id, ago, s1, s2, s3, (long long)cli_json_int(im, "Containers"));
	}
	(void)print_table(b.s);
	cli_buf_done(&b);
	printf("\nContainers space usage:\n\n");
	cli_buf_adds(&b,
		     "CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES\n");
	for (size_t i = 0; i < len_of(cs); i++) {
		json_object *c = json_object_array_get_idx(cs, i),
			    *names = cli_json_get(c, "Names");
		_cleanup_free_ char *id = cli_short_id(cli_json_str(c, "Id"));
		_cleanup_free_ char *cmd = cli_ellipsis(cli_json_str(c, "Command"), 20);
		_cleanup_free_ char *ago = cli_time_ago(cli_json_int(c, "Created"));
		_cleanup_free_ char *sz = cli_human_size((double)cli_json_int(c, "SizeRw"), 3);
		_cleanup_buf_ struct cli_buf q = { 0 };
		const char *name =
			len_of(names) ? json_object_get_string(json_object_array_get_idx(names, 0))
				      : "";
		cli_buf_add_quoted(&q, cmd);
		cli_buf_printf(&b, "%s\t%s\t%s\t%zu\t%s\t%s\t%s\t%s\n", id,
			       cli_json_str(c, "Image"), q.s, len_of(cli_json_get(c, "Mounts")), sz,
			       ago, cli_json_str(c, "Status"), name[0] == '/' ? name + 1 : name);
	}
	(void)print_table(b.s);
	cli_buf_done(&b);
	printf("\nLocal Volumes space usage:\n\n");
	cli_buf_adds(&b, "VOLUME NAME\tLINKS\tSIZE\n");
	for (size_t i = 0; i < len_of(vols); i++) {
		json_object *v = json_object_array_get_idx(vols, i);
		json_object *u = cli_json_get(v, "UsageData");
		_cleanup_free_ char *sz = cli_human_size((double)cli_json_int(u, "Size"), 4);
		cli_buf_printf(&b, "%s\t%lld\t%s\n", cli_json_str(v, "Name"),
			       (long long)cli_json_int(u, "RefCount"), sz);
	}
	(void)print_table(b.s);
	printf("\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   "
	       "USAGE     SHARED\n");
	return 0;
}

int cmd_system_df(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *format = NULL;
	bool verb = false;
	const struct cli_opt opts[] = {
		{ "format", 0, CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{ "verbose", 'v', CLI_OPT_BOOL, &verb, NULL,
		  "Show detailed information on space usage" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]", "Show berth disk usage", NULL,
					 CLI_ARGS_NONE };
	static const char *const hdr[][2] = { { "Active", "ACTIVE" },
					      { "Reclaimable", "RECLAIMABLE" },
					      { "Size", "SIZE" },
					      { "TotalCount", "TOTAL" },
					      { "Type", "TYPE" } };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *df = NULL, *rows = NULL, *header = NULL;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (cli_api_call(&ctx->client, "GET", "/system/df", NULL, &df, &err) < 0)
		return cli_fail(err, 1);
	if (verb && (!format || !*format))
		return verbose(df);
	rows = json_object_new_array();
	summarize(df, rows);
	header = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(hdr); i++)
		json_object_object_add(header, hdr[i][0], json_object_new_string(hdr[i][1]));
	const struct cli_format_kind kind = {
		"*formatter.diskUsageImagesContext",
		"table {{.Type}}\\t{{.TotalCount}}\\t{{.Active}}\\t{{.Size}}\\t{{.Reclaimable}}",
		header, NULL
	};
	if (cli_format_write(format, &kind, rows, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
