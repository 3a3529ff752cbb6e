/* berth images (image ls): GET /images/json, one row per repository and tag
 * like docker's image formatter. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-run-internal.h"

struct row_src {
	json_object *img;
	bool trunc;
};

static void set_str(json_object *o, const char *key, char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
	free(value);
}

static char *size_or_na(int64_t v, int precision)
{
	return v < 0 ? xstrdup("N/A") : cli_human_size((double)v, precision);
}

static json_object *image_row(struct row_src *s, const char *repo, const char *tag,
			      const char *digest)
{
	json_object *o = json_object_new_object(), *img = s->img;
	const char *id = cli_json_str(img, "Id");
	int64_t size = cli_json_int(img, "Size"), shared = -1, containers = -1;
	json_object *v;

	if ((v = cli_json_get(img, "SharedSize")))
		shared = json_object_get_int64(v);
	if ((v = cli_json_get(img, "Containers")))
		containers = json_object_get_int64(v);
	set_str(o, "Containers",
		containers < 0 ? xstrdup("N/A") : xasprintf("%lld", (long long)containers));
	set_str(o, "CreatedAt", cli_time_string(cli_json_int(img, "Created")));
	set_str(o, "CreatedSince", cli_time_ago(cli_json_int(img, "Created")));
	json_object_object_add(o, "Digest", json_object_new_string(digest));
	set_str(o, "ID", s->trunc ? cli_short_id(id) : xstrdup(id));
	json_object_object_add(o, "Repository", json_object_new_string(repo));
	set_str(o, "SharedSize", size_or_na(shared, 4));
	set_str(o, "Size", cli_human_size((double)size, 3));
	json_object_object_add(o, "Tag", json_object_new_string(tag));
	set_str(o, "UniqueSize",
		shared < 0 ? xstrdup("N/A") : cli_human_size((double)(size - shared), 4));
	set_str(o, "VirtualSize",
		cli_human_size((double)(cli_json_get(img, "VirtualSize")
						? cli_json_int(img, "VirtualSize")
						: size),
			       4));
	return o;
}

/* "x.io/a/b:tag" -> familiar repository and tag (or digest). */
static void split_ref(const char *ref, char sep, char **ret_repo, char **ret_rest)
{
	struct cli_ref r = { 0 };
	const char *p = sep == '@' ? strchr(ref, '@') : strrchr(ref, ':');

	if (!p || (sep == ':' && strchr(p, '/'))) {
		*ret_repo = xstrdup(ref);
		*ret_rest = xstrdup("<none>");
		return;
	}
	*ret_rest = xstrdup(p + 1);
	_cleanup_free_ char *name = xstrndup(ref, (size_t)(p - ref));
	if (cli_ref_parse(name, &r, NULL) < 0) {
		*ret_repo = TAKE_PTR(name);
		return;
	}
	_cleanup_free_ char *fam = cli_ref_familiar(&r);
	*strrchr(fam, ':') = '\0';
	*ret_repo = xstrdup(fam);
	cli_ref_done(&r);
}

static bool is_none(json_object *a, const char *none)
{
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

	return n == 0 || (n == 1 && strcmp(json_object_get_string(json_object_array_get_idx(a, 0)),
					   none) == 0);
}

static void image_rows(json_object *rows, struct row_src *s, bool digests)
{
	json_object *tags = cli_json_get(s->img, "RepoTags");
	json_object *dgs = cli_json_get(s->img, "RepoDigests");
	_cleanup_strv_ char **used = NULL;

	if (is_none(tags, "<none>:<none>") && is_none(dgs, "<none>@<none>")) {
		json_object_array_add(rows, image_row(s, "<none>", "<none>", "<none>"));
		return;
	}
	for (size_t i = 0; !is_none(tags, "<none>:<none>") && i < json_object_array_length(tags);
	     i++) {
		_cleanup_free_ char *repo = NULL, *tag = NULL;
		bool any = false;
		split_ref(json_object_get_string(json_object_array_get_idx(tags, i)), ':', &repo,
			  &tag);
		strv_push(&used, repo);
		for (size_t k = 0; digests && dgs && k < json_object_array_length(dgs); k++) {
			_cleanup_free_ char *drepo = NULL, *dg = NULL;
			split_ref(json_object_get_string(json_object_array_get_idx(dgs, k)), '@',
				  &drepo, &dg);
			if (strcmp(drepo, repo) != 0)
				continue;
			json_object_array_add(rows, image_row(s, repo, tag, dg));
			any = true;
		}
		if (!any)
			json_object_array_add(rows, image_row(s, repo, tag, "<none>"));
	}
	for (size_t k = 0; !is_none(dgs, "<none>@<none>") && k < json_object_array_length(dgs);
	     k++) {
		_cleanup_free_ char *drepo = NULL, *dg = NULL;
		split_ref(json_object_get_string(json_object_array_get_idx(dgs, k)), '@', &drepo,
			  &dg);
		if (strv_contains(used, drepo))
			continue;
		json_object_array_add(rows, image_row(s, drepo, "<none>", digests ? dg : "<none>"));
		if (!digests)
			strv_push(&used, drepo);
	}
}

static json_object *images_header(void)
{
	static const char *const h[][2] = {
		{ "Containers", "CONTAINERS" },
		{ "CreatedAt", "CREATED AT" },
		{ "CreatedSince", "CREATED" },
		{ "Digest", "DIGEST" },
		{ "ID", "IMAGE ID" },
		{ "Repository", "REPOSITORY" },
		{ "SharedSize", "SHARED SIZE" },
		{ "Size", "SIZE" },
		{ "Tag", "TAG" },
		{ "UniqueSize", "UNIQUE SIZE" },
		{ "VirtualSize", "SIZE" },
	};
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(h); i++)
		json_object_object_add(o, h[i][0], json_object_new_string(h[i][1]));
	return o;
}

int cmd_images(struct cli_ctx *ctx, int argc, char **argv)
{
	bool all = false, digests = false, no_trunc = false, quiet = false, tree = false;
	const char *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
		{ "all", 'a', CLI_OPT_BOOL, &all, NULL,
		  "Show all images (default hides intermediate images)" },
		{ "digests", 0, CLI_OPT_BOOL, &digests, NULL, "Show digests" },
		{ "filter", 'f', CLI_OPT_FUNC, &filters, "filter",
		  "Filter output based on conditions provided", cli_parse_filter },
		{ "format", 0, CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{ "no-trunc", 0, CLI_OPT_BOOL, &no_trunc, NULL, "Don't truncate output" },
		{ "quiet", 'q', CLI_OPT_BOOL, &quiet, NULL, "Only show image IDs" },
		{ "tree", 0, CLI_OPT_BOOL, &tree, NULL,
		  "List multi-platform images as a tree (EXPERIMENTAL)" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] [REPOSITORY[:TAG]]",
					 "List images",
					 "berth image ls, berth image list, berth images",
					 CLI_ARGS_RANGE,
					 0,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *list = NULL, *rows = NULL, *header = NULL;
	_cleanup_free_ char *path = xstrdup("/images/json");
	bool custom;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (tree) {
		fprintf(stderr, "berth: 'images --tree' is not supported yet\n");
		return 1;
	}
	if (args.n == 1)
		strv_push_take(&filters, xasprintf("reference=%s", args.v[0]));
	if (all)
		cli_url_add(&path, "all", "1");
	if (filters) {
		_cleanup_free_ char *f = cli_filters_json(filters);
		cli_url_add(&path, "filters", f);
	}
	if (cli_api_call(&ctx->client, "GET", path, NULL, &list, &err) < 0)
		return cli_fail(err, 1);
	rows = json_object_new_array();
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct row_src s = { json_object_array_get_idx(list, i), !no_trunc };
		image_rows(rows, &s, digests);
	}
	custom = format && *format && strcmp(format, "table") != 0;
	if (!custom && quiet)
		format = "{{.ID}}";
	header = images_header();
	const struct cli_format_kind kind = {
		"*formatter.imageContext",
		digests ? "table "
			  "{{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}"
			  "\\t{{.Size}}"
			: "table "
			  "{{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}",
		header, NULL
	};
	if (cli_format_write(format, &kind, rows, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
