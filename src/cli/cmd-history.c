/* berth history: GET /images/{name}/history through docker's history formatter. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli-internal.h"

static char *rfc3339_local(int64_t unix_time)
{
	time_t t = (time_t)unix_time;
	struct tm tm;
	char buf[64], zone[32];

	if (!localtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return xstrdup("");
	if (tm.tm_gmtoff == 0)
		return xasprintf("%sZ", buf);
	snprintf(zone, sizeof(zone), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
		 labs(tm.tm_gmtoff) / 3600, labs(tm.tm_gmtoff) % 3600 / 60);
	return xasprintf("%s%s", buf, zone);
}

static json_object *history_row(json_object *h, bool human, bool trunc)
{
	json_object *o = json_object_new_object();
	const char *id = cli_json_str(h, "Id");
	int64_t created = cli_json_int(h, "Created"), size = cli_json_int(h, "Size");
	_cleanup_free_ char *by = xstrdup(cli_json_str(h, "CreatedBy"));
	_cleanup_free_ char *at = rfc3339_local(created);
	_cleanup_free_ char *since = NULL, *sz = NULL, *sid = NULL, *shown = NULL;

	for (char *p = by; *p; p++)
		if (*p == '\t')
			*p = ' ';
	if (!human)
		since = xstrdup(at);
	else if (created <= 0)
		since = xstrdup("N/A");
	else
		since = cli_time_ago(created);
	sz = human ? cli_human_size((double)size, 3) : xasprintf("%lld", (long long)size);
	sid = trunc && strcmp(id, "<missing>") != 0 ? cli_short_id(id) : xstrdup(id);
	shown = trunc ? cli_ellipsis(by, 45) : xstrdup(by);
	json_object_object_add(o, "Comment", json_object_new_string(cli_json_str(h, "Comment")));
	json_object_object_add(o, "CreatedAt", json_object_new_string(at));
	json_object_object_add(o, "CreatedBy", json_object_new_string(shown));
	json_object_object_add(o, "CreatedSince", json_object_new_string(since));
	json_object_object_add(o, "ID", json_object_new_string(sid));
	json_object_object_add(o, "Size", json_object_new_string(sz));
	return o;
}

int cmd_history(struct cli_ctx *ctx, int argc, char **argv)
{
	bool human = true, no_trunc = false, quiet = false;
	const char *format = NULL, *platform = NULL;
	const struct cli_opt opts[] = {
		{ "format", 0, CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{ "human", 'H', CLI_OPT_BOOL, &human, NULL,
		  "Print sizes and dates in human readable format (default true)" },
		{ "no-trunc", 0, CLI_OPT_BOOL, &no_trunc, NULL, "Don't truncate output" },
		{ "platform", 0, CLI_OPT_STRING, &platform, "string",
		  "Show history for the given platform" },
		{ "quiet", 'q', CLI_OPT_BOOL, &quiet, NULL, "Only show image IDs" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] IMAGE",
					 "Show the history of an image",
					 "berth image history, berth history",
					 CLI_ARGS_EXACT,
					 1 };
	static const char *const hdr[][2] = {
		{ "Comment", "COMMENT" },
		{ "CreatedAt", "CREATED AT" },
		{ "CreatedBy", "CREATED BY" },
		{ "CreatedSince", "CREATED" },
		{ "ID", "IMAGE" },
		{ "Size", "SIZE" },
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *list = NULL, *rows = NULL, *header = NULL;
	_cleanup_free_ char *e = NULL, *path = NULL;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	e = cli_path_escape(args.v[0]);
	path = xasprintf("/images/%s/history", e);
	if (platform)
		cli_url_add(&path, "platform", platform);
	if (cli_api_call(&ctx->client, "GET", path, NULL, &list, &err) < 0)
		return cli_fail(err, 1);
	rows = json_object_new_array();
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		json_object_array_add(
			rows, history_row(json_object_array_get_idx(list, i), human, !no_trunc));
	header = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(hdr); i++)
		json_object_object_add(header, hdr[i][0], json_object_new_string(hdr[i][1]));
	if ((!format || !*format || strcmp(format, "table") == 0) && quiet)
		format = "{{.ID}}";
	const struct cli_format_kind kind = {
		"*image.historyContext",
		human ? "table "
			"{{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}"
		      : "table "
			"{{.ID}}\\t{{.CreatedAt}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}",
		header, NULL
	};
	if (cli_format_write(format, &kind, rows, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
