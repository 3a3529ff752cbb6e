/* berth version: the client's and the daemon's versions (GET /version). */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli-internal.h"

/* docker's reformatDate: RFC 3339 to ANSIC ("Thu May  7 21:09:36 2026"). */
static char *ansic_date(const char *s)
{
	int64_t sec;
	time_t t;
	struct tm tm;
	char buf[64];

	if (cli_parse_rfc3339(s, &sec, NULL) < 0)
		return xstrdup(s);
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		return xstrdup(s);
	return xstrdup(buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_component(struct cli_buf *b, json_object *c)
{
	json_object *details = cli_json_get(c, "Details");
	size_t n = details ? (size_t)json_object_object_length(details) : 0, i = 0;
	_cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(char *));

	cli_buf_printf(b, " %s:\n", cli_json_str(c, "Name"));
	if (strcmp(cli_json_str(c, "Name"), "Engine") == 0) {
		_cleanup_free_ char *built = ansic_date(cli_json_str(details, "BuildTime"));
		cli_buf_printf(b, "  Version:\t%s\n", cli_json_str(c, "Version"));
		cli_buf_printf(b, "  API version:\t%s (minimum version %s)\n",
			       cli_json_str(details, "ApiVersion"),
			       cli_json_str(details, "MinAPIVersion"));
		cli_buf_printf(b, "  Go version:\t%s\n", cli_json_str(details, "GoVersion"));
		cli_buf_printf(b, "  Git commit:\t%s\n", cli_json_str(details, "GitCommit"));
		cli_buf_printf(b, "  Built:\t%s\n", built);
		cli_buf_printf(b, "  OS/Arch:\t%s/%s\n", cli_json_str(details, "Os"),
			       cli_json_str(details, "Arch"));
		cli_buf_printf(b, "  Experimental:\t%s\n", cli_json_str(details, "Experimental"));
		return;
	}
	cli_buf_printf(b, "  Version:\t%s\n", cli_json_str(c, "Version"));
	json_object_object_foreach (details, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(char *), cmp_str);
	for (i = 0; i < n; i++)
		cli_buf_printf(b, "  %s:\t%s\n", keys[i], cli_json_str(details, keys[i]));
}

/* The server part; a daemon without Components gets an "Engine" made of the top level. */
static void add_server(struct cli_buf *b, json_object *v)
{
	json_object *comps = cli_json_get(v, "Components");
	const char *platform = cli_json_str(cli_json_get(v, "Platform"), "Name");

	cli_buf_printf(b, "\nServer:%s%s\n", *platform ? " " : "", platform);
	if (comps && json_object_is_type(comps, json_type_array) &&
	    json_object_array_length(comps) > 0) {
		for (size_t i = 0; i < json_object_array_length(comps); i++)
			add_component(b, json_object_array_get_idx(comps, i));
		return;
	}
	_cleanup_json_ json_object *engine = json_object_new_object();
	json_object *details = json_object_new_object();
	static const char *const keys[] = { "ApiVersion", "MinAPIVersion", "GoVersion",
					    "GitCommit",  "BuildTime",	   "Os",
					    "Arch" };
	json_object_object_add(engine, "Name", json_object_new_string("Engine"));
	json_object_object_add(engine, "Version",
			       json_object_new_string(cli_json_str(v, "Version")));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		json_object_object_add(details, keys[i],
				       json_object_new_string(cli_json_str(v, keys[i])));
	json_object_object_add(
		details, "Experimental",
		json_object_new_string(cli_json_bool(v, "Experimental") ? "true" : "false"));
	json_object_object_add(engine, "Details", details);
	add_component(b, engine);
}

static json_object *client_json(struct cli_ctx *ctx)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "Version", json_object_new_string(BERTH_VERSION));
	json_object_object_add(c, "ApiVersion",
			       json_object_new_string(ctx->client.version[0] ? ctx->client.version
									     : CLI_API_VERSION));
	json_object_object_add(c, "DefaultAPIVersion", json_object_new_string(CLI_API_VERSION));
	json_object_object_add(c, "Os", json_object_new_string("linux"));
	json_object_object_add(c, "Arch", json_object_new_string("amd64"));
	json_object_object_add(c, "Context", json_object_new_string("default"));
	return c;
}

int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *format = NULL;
	const struct cli_opt opts[] = {
		{ "format", 'f', CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]",
					 "Show the berth version information", NULL,
					 CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *server = NULL, *all = NULL;
	_cleanup_buf_ struct cli_buf b = { 0 };
	_cleanup_free_ char *out = NULL;
	int r;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	r = cli_api_call(&ctx->client, "GET", "/version", NULL, &server, &err);
	all = json_object_new_object();
	json_object_object_add(all, "Client", client_json(ctx));
	if (r >= 0)
		json_object_object_add(all, "Server", json_object_get(server));
	if (format && *format) {
		_cleanup_(cli_template_freep) struct cli_template *t = NULL;
		_cleanup_error_ struct berth_error *terr = NULL;
		const struct cli_template_env env = { .type_name = "system.versionInfo" };
		size_t len = 0;
		if (strcmp(format, "json") == 0)
			format = "{{json .}}";
		if (cli_template_parse("version", format, &t, &terr) < 0) {
			fprintf(stderr, "template parsing error: %s\n", terr->msg);
			return 64;
		}
		if (cli_template_execute(t, all, &env, &out, &len, &terr) < 0) {
			(void)cli_write_stdout(out ? out : "", len);
			(void)cli_write_stdout("\n", 1);
			return cli_fail(terr, 1);
		}
		printf("%s\n", out ? out : "");
		return r < 0 ? cli_fail(err, 1) : 0;
	}
	json_object *client = cli_json_get(all, "Client");
	cli_buf_printf(
		&b, "Client:\n Version:\t%s\n API version:\t%s%s%s%s\n", BERTH_VERSION,
		cli_json_str(client, "ApiVersion"),
		strcmp(cli_json_str(client, "ApiVersion"), CLI_API_VERSION) ? " (downgraded from "
									    : "",
		strcmp(cli_json_str(client, "ApiVersion"), CLI_API_VERSION) ? CLI_API_VERSION : "",
		strcmp(cli_json_str(client, "ApiVersion"), CLI_API_VERSION) ? ")" : "");
	cli_buf_adds(&b, " OS/Arch:\tlinux/amd64\n Context:\tdefault\n");
	if (r >= 0)
		add_server(&b, server);
	out = cli_tabwrite(b.s, 20, 1);
	printf("%s", out);
	if (r < 0) {
		(void)fflush(stdout);
		return cli_fail(err, 1);
	}
	return 0;
}
