/* berth network ls, inspect, rm, prune: GET /networks, GET and DELETE
 * /networks/{id}, POST /networks/prune, with docker's output. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-network-internal.h"

static void set_str(json_object *o, const char *key, char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
	free(value);
}

/* Go's time.Time.String() of the daemon's RFC 3339 "Created" (in UTC, as
 * the docker CLI shows a "Z" time: fraction kept, trailing zeros dropped). */
static char *created_string(const char *s)
{
	size_t n = strlen(s);
	_cleanup_free_ char *frac = NULL;
	int64_t sec;
	int32_t nsec;

	if (n >= 20 && s[10] == 'T' && s[n - 1] == 'Z' && (s[19] == 'Z' || s[19] == '.')) {
		frac = xstrndup(s + 19, n - 20);
		for (size_t l = strlen(frac); l > 0 && (frac[l - 1] == '0' || frac[l - 1] == '.');
		     l--) {
			bool dot = frac[l - 1] == '.';
			frac[l - 1] = '\0';
			if (dot)
				break;
		}
		return xasprintf("%.10s %.8s%s +0000 UTC", s, s + 11, frac);
	}
	if (cli_parse_rfc3339(s, &sec, &nsec) < 0)
		return xstrdup(s);
	return cli_time_string(sec);
}

static char *bool_string(json_object *n, const char *key)
{
	return xstrdup(cli_json_bool(n, key) ? "true" : "false");
}

static int cmp_rows(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;

	return cli_natural_cmp(cli_json_str(x, "Name"), cli_json_str(y, "Name"));
}

json_object *cli_network_rows(json_object *list, bool trunc)
{
	size_t n = list && json_object_is_type(list, json_type_array)
			   ? json_object_array_length(list)
			   : 0;
	json_object *rows = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *net = json_object_array_get_idx(list, i),
			    *o = json_object_new_object();
		const char *id = cli_json_str(net, "Id");
		json_object *ipv4 = cli_json_get(net, "EnableIPv4");
		set_str(o, "CreatedAt", created_string(cli_json_str(net, "Created")));
		json_object_object_add(o, "Driver",
				       json_object_new_string(cli_json_str(net, "Driver")));
		set_str(o, "ID", trunc ? cli_short_id(id) : xstrdup(id));
		/* an older daemon does not say: IPv4 is on */
		set_str(o, "IPv4", ipv4 ? bool_string(net, "EnableIPv4") : xstrdup("true"));
		set_str(o, "IPv6", bool_string(net, "EnableIPv6"));
		set_str(o, "Internal", bool_string(net, "Internal"));
		set_str(o, "Labels", cli_labels_string(cli_json_get(net, "Labels")));
		json_object_object_add(o, "Name",
				       json_object_new_string(cli_json_str(net, "Name")));
		json_object_object_add(o, "Scope",
				       json_object_new_string(cli_json_str(net, "Scope")));
		json_object_set_userdata(o, json_object_get(cli_json_get(net, "Labels")),
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
		{ "CreatedAt", "CREATED AT" },
		{ "Driver", "DRIVER" },
		{ "ID", "NETWORK ID" },
		{ "IPv4", "IPV4" },
		{ "IPv6", "IPV6" },
		{ "Internal", "INTERNAL" },
		{ "Labels", "LABELS" },
		{ "Name", "NAME" },
		{ "Scope", "SCOPE" },
	};
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(h); i++)
		json_object_object_add(o, h[i][0], json_object_new_string(h[i][1]));
	return o;
}

int cmd_network_ls(struct cli_ctx *ctx, int argc, char **argv)
{
	bool no_trunc = false, quiet = false;
	const char *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
		{ "filter", 'f', CLI_OPT_FUNC, &filters, "filter",
		  "Provide filter values (e.g. \"driver=bridge\")", cli_parse_filter },
		{ "format", 0, CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{ "no-trunc", 0, CLI_OPT_BOOL, &no_trunc, NULL, "Do not truncate the output" },
		{ "quiet", 'q', CLI_OPT_BOOL, &quiet, NULL, "Only display network IDs" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]", "List networks",
					 "berth network ls, berth network list", CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *list = NULL, *rows = NULL, *header = NULL;
	_cleanup_free_ char *path = xstrdup("/networks");

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (filters) {
		_cleanup_free_ char *f = cli_filters_json(filters);
		cli_url_add(&path, "filters", f);
	}
	if (cli_api_call(&ctx->client, "GET", path, NULL, &list, &err) < 0)
		return cli_fail(err, 1);
	rows = cli_network_rows(list, !no_trunc);
	if (quiet && (!format || !*format || strcmp(format, "table") == 0))
		format = "{{.ID}}";
	header = ls_header();
	const struct cli_format_kind kind = {
		"*network.networkContext",
		"table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}",
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
		cli_buf_add_json(&b, found, NULL, true);
		cli_buf_addc(&b, '\n');
		return cli_write_stdout(b.s, b.len) < 0 ? 1 : 0;
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

int cmd_network_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *format = NULL;
	bool verbose = false;
	const struct cli_opt opts[] = {
		{ "format", 'f', CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{ "verbose", 'v', CLI_OPT_BOOL, &verbose, NULL, "Verbose output for diagnostics" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] NETWORK [NETWORK...]",
					 "Display detailed information on one or more networks",
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
		_cleanup_free_ char *path = xasprintf("/networks/%s", e);
		json_object *o = NULL;
		if (verbose)
			cli_url_add(&path, "verbose", "true");
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

int cmd_network_rm(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	const struct cli_opt opts[] = {
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL,
		  "Do not error if the network does not exist" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "NETWORK [NETWORK...]",
					 "Remove one or more networks",
					 "berth network rm, berth network remove",
					 CLI_ARGS_MIN,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	int status = 0;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	for (int i = 0; i < args.n; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_free_ char *e = cli_path_escape(args.v[i]);
		_cleanup_free_ char *path = xasprintf("/networks/%s", e);
		if (cli_api_call(&ctx->client, "DELETE", path, NULL, NULL, &err) < 0) {
			if (force && err->kind == BERTH_ERR_NOT_FOUND)
				continue;
			(void)fflush(stdout);
			status = cli_fail(err, 1);
			continue;
		}
		printf("%s\n", args.v[i]);
	}
	if (status) {
		/* docker ends with its StatusError's text */
		(void)fflush(stdout);
		fprintf(stderr, "exit status %d\n", status);
	}
	return status;
}

int cmd_network_prune(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
		{ "filter", 0, CLI_OPT_FUNC, &filters, "filter",
		  "Provide filter values (e.g. \"until=<timestamp>\")", cli_parse_filter },
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL, "Do not prompt for confirmation" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]", "Remove all unused networks", NULL,
					 CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *resp = NULL;
	_cleanup_free_ char *path = xstrdup("/networks/prune");
	json_object *list;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (!force && !cli_confirm("WARNING! This will remove all custom networks not used by at "
				   "least one container."))
		return 0;
	if (filters) {
		_cleanup_free_ char *f = cli_filters_json(filters);
		cli_url_add(&path, "filters", f);
	}
	if (cli_api_call(&ctx->client, "POST", path, NULL, &resp, &err) < 0)
		return cli_fail(err, 1);
	list = cli_json_get(resp, "NetworksDeleted");
	if (list && json_object_is_type(list, json_type_array) && json_object_array_length(list)) {
		printf("Deleted Networks:\n");
		for (size_t i = 0; i < json_object_array_length(list); i++)
			printf("%s\n", json_object_get_string(json_object_array_get_idx(list, i)));
		printf("\n");
	}
	return 0;
}
