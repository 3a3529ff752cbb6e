/* berth ps: list containers (GET /containers/json) through docker's
 * ContainerContext fields and table. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli-internal.h"

#define PS_TABLE                                                                                   \
	"table "                                                                                   \
	"{{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{."   \
	"Names}}"

struct port {
	const char *ip, *type;
	int64_t priv, pub;
};

static int cmp_port(const void *a, const void *b)
{
	const struct port *x = a, *y = b;
	int c;

	if (x->priv != y->priv)
		return x->priv < y->priv ? -1 : 1;
	c = strcmp(x->ip, y->ip);
	if (c)
		return c;
	if (x->pub != y->pub)
		return x->pub < y->pub ? -1 : 1;
	return strcmp(x->type, y->type);
}

static void form_group(struct cli_buf *b, const char *ip, const char *type, int64_t first,
		       int64_t last)
{
	_cleanup_free_ char *g =
		first == last ? xasprintf("%lld", (long long)first)
			      : xasprintf("%lld-%lld", (long long)first, (long long)last);

	if (b->len)
		cli_buf_adds(b, ", ");
	if (*ip) /* net.JoinHostPort: an IPv6 address in brackets */
		cli_buf_printf(b, strchr(ip, ':') ? "[%s]:%s->%s/%s" : "%s:%s->%s/%s", ip, g, g,
			       type);
	else
		cli_buf_printf(b, "%s/%s", g, type);
}

/* docker's DisplayablePorts: ranges grouped per address and type, mappings last. */
static char *ports_string(json_object *ports)
{
	size_t n = ports && json_object_is_type(ports, json_type_array)
			   ? json_object_array_length(ports)
			   : 0;
	_cleanup_free_ struct port *p = xcalloc(n + 1, sizeof(*p));
	_cleanup_buf_ struct cli_buf out = { 0 }, maps = { 0 };
	struct port *groups = NULL;
	size_t ng = 0;

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(ports, i);
		p[i] = (struct port){ cli_json_str(o, "IP"), cli_json_str(o, "Type"),
				      cli_json_int(o, "PrivatePort"),
				      cli_json_int(o, "PublicPort") };
	}
	qsort(p, n, sizeof(*p), cmp_port);
	groups = xcalloc(n + 1, sizeof(*groups));
	for (size_t i = 0; i < n; i++) {
		bool v6 = strchr(p[i].ip, ':') != NULL;
		if (*p[i].ip && p[i].pub != p[i].priv) {
			if (maps.len)
				cli_buf_adds(&maps, ", ");
			cli_buf_printf(&maps, "%s%s%s:%lld->%lld/%s", v6 ? "[" : "", p[i].ip,
				       v6 ? "]" : "", (long long)p[i].pub, (long long)p[i].priv,
				       p[i].type);
			continue;
		}
		size_t g;
		for (g = 0; g < ng; g++)
			if (strcmp(groups[g].ip, p[i].ip) == 0 &&
			    strcmp(groups[g].type, p[i].type) == 0)
				break;
		if (g == ng) {
			groups[ng++] = (struct port){ p[i].ip, p[i].type, p[i].priv, p[i].priv };
		} else if (p[i].priv == groups[g].pub + 1) {
			groups[g].pub = p[i].priv;
		} else {
			form_group(&out, groups[g].ip, groups[g].type, groups[g].priv,
				   groups[g].pub);
			groups[g].priv = groups[g].pub = p[i].priv;
		}
	}
	for (size_t g = 0; g < ng; g++)
		form_group(&out, groups[g].ip, groups[g].type, groups[g].priv, groups[g].pub);
	free(groups);
	if (maps.len) {
		if (out.len)
			cli_buf_adds(&out, ", ");
		cli_buf_adds(&out, maps.s);
	}
	return cli_buf_take(&out);
}

static char *names_string(json_object *names, bool trunc)
{
	_cleanup_buf_ struct cli_buf b = { 0 };
	size_t n = names && json_object_is_type(names, json_type_array)
			   ? json_object_array_length(names)
			   : 0;

	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(names, i));
		if (s[0] == '/')
			s++;
		if (trunc && !strchr(s, '/'))
			return xstrdup(s);
		cli_buf_printf(&b, "%s%s", b.len ? "," : "", s);
	}
	return cli_buf_take(&b);
}

static char *image_string(json_object *c, bool trunc)
{
	const char *image = cli_json_str(c, "Image");
	const char *at;

	if (!*image)
		return xstrdup("<no image>");
	if (!trunc)
		return xstrdup(image);
	if (str_has_prefix(image, "sha256:"))
		return cli_short_id(image);
	at = strchr(image, '@');
	if (at)
		return xstrndup(image, (size_t)(at - image));
	return xstrdup(image);
}

static char *mounts_string(json_object *mounts, bool trunc, int *ret_local)
{
	_cleanup_buf_ struct cli_buf b = { 0 };
	size_t n = mounts && json_object_is_type(mounts, json_type_array)
			   ? json_object_array_length(mounts)
			   : 0;

	*ret_local = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(mounts, i);
		const char *name = cli_json_str(m, "Name");
		_cleanup_free_ char *s = NULL;
		if (!*name)
			name = cli_json_str(m, "Source");
		s = trunc ? cli_ellipsis(name, 15) : xstrdup(name);
		cli_buf_printf(&b, "%s%s", i ? "," : "", s);
		if (strcmp(cli_json_str(m, "Driver"), "local") == 0)
			(*ret_local)++;
	}
	return cli_buf_take(&b);
}

static char *networks_string(json_object *c)
{
	json_object *nets = cli_json_get(cli_json_get(c, "NetworkSettings"), "Networks");
	_cleanup_json_ json_object *keys = json_object_new_object();
	_cleanup_free_ char *s = NULL;

	if (!nets)
		return xstrdup("");
	json_object_object_foreach (nets, k, v) {
		(void)v;
		json_object_object_add(keys, k, json_object_new_string(""));
	}
	s = cli_labels_string(keys);
	/* "a=,b=" -> "a,b" */
	_cleanup_buf_ struct cli_buf b = { 0 };
	for (const char *p = s; *p; p++)
		if (*p != '=')
			cli_buf_addc(&b, *p);
	return cli_buf_take(&b);
}

static void set_str(json_object *o, const char *key, char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
	free(value);
}

/* The ContainerContext of one container: its fields in docker's (sorted) order. */
static json_object *container_context(json_object *c, bool trunc)
{
	json_object *o = json_object_new_object();
	const char *id = cli_json_str(c, "Id");
	const char *command = cli_json_str(c, "Command");
	int64_t srw = cli_json_int(c, "SizeRw"), sroot = cli_json_int(c, "SizeRootFs");
	_cleanup_free_ char *cmd = trunc ? cli_ellipsis(command, 20) : xstrdup(command);
	_cleanup_buf_ struct cli_buf q = { 0 };
	_cleanup_free_ char *rw = cli_human_size((double)srw, 3);
	_cleanup_free_ char *root = cli_human_size((double)sroot, 3);
	int local = 0;
	char *mounts = mounts_string(cli_json_get(c, "Mounts"), trunc, &local);

	cli_buf_add_quoted(&q, cmd);
	json_object_object_add(o, "Command", json_object_new_string(q.s));
	set_str(o, "CreatedAt", cli_time_string(cli_json_int(c, "Created")));
	set_str(o, "ID", trunc ? cli_short_id(id) : xstrdup(id));
	set_str(o, "Image", image_string(c, trunc));
	set_str(o, "Labels", cli_labels_string(cli_json_get(c, "Labels")));
	set_str(o, "LocalVolumes", xasprintf("%d", local));
	set_str(o, "Mounts", mounts);
	set_str(o, "Names", names_string(cli_json_get(c, "Names"), trunc));
	set_str(o, "Networks", networks_string(c));
	json_object_object_add(o, "Platform", NULL);
	set_str(o, "Ports", ports_string(cli_json_get(c, "Ports")));
	set_str(o, "RunningFor", cli_time_ago(cli_json_int(c, "Created")));
	set_str(o, "Size", sroot > 0 ? xasprintf("%s (virtual %s)", rw, root) : xstrdup(rw));
	json_object_object_add(o, "State", json_object_new_string(cli_json_str(c, "State")));
	json_object_object_add(o, "Status", json_object_new_string(cli_json_str(c, "Status")));
	/* for .Label: the raw labels, hidden from {{json .}} by the method below */
	json_object_set_userdata(o, json_object_get(cli_json_get(c, "Labels")),
				 cli_json_userdata_put);
	return o;
}

static int ps_method(void *data, json_object *dot, const char *name, json_object *const *args,
		     size_t nargs, json_object **ret, struct berth_error **err)
{
	json_object *labels = json_object_get_userdata(dot), *v;

	if (strcmp(name, "Label") != 0)
		return 0;
	if (nargs != 1)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "wrong number of args for Label: want 1 got %zu", nargs);
	v = cli_json_get(labels, json_object_get_string(args[0]));
	*ret = json_object_new_string(v ? json_object_get_string(v) : "");
	return 1;
}

static json_object *ps_header(void)
{
	static const char *const h[][2] = {
		{ "Command", "COMMAND" },   { "CreatedAt", "CREATED AT" },
		{ "ID", "CONTAINER ID" },   { "Image", "IMAGE" },
		{ "Labels", "LABELS" },	    { "LocalVolumes", "LOCAL VOLUMES" },
		{ "Mounts", "MOUNTS" },	    { "Names", "NAMES" },
		{ "Networks", "NETWORKS" }, { "Platform", "PLATFORM" },
		{ "Ports", "PORTS" },	    { "RunningFor", "CREATED" },
		{ "Size", "SIZE" },	    { "State", "STATE" },
		{ "Status", "STATUS" },
	};
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(h); i++)
		json_object_object_add(o, h[i][0], json_object_new_string(h[i][1]));
	return o;
}

int cmd_ps(struct cli_ctx *ctx, int argc, char **argv)
{
	bool all = false, latest = false, no_trunc = false, quiet = false, size = false;
	bool size_set = false;
	const char *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	int64_t last = -1;
	const struct cli_opt opts[] = {
		{ "all", 'a', CLI_OPT_BOOL, &all, NULL,
		  "Show all containers (default shows just running)" },
		{ "filter", 'f', CLI_OPT_FUNC, &filters, "filter",
		  "Filter output based on conditions provided", cli_parse_filter },
		{ "format", 0, CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{ "last", 'n', CLI_OPT_INT, &last, "int",
		  "Show n last created containers (includes all states) (default -1)" },
		{ "latest", 'l', CLI_OPT_BOOL, &latest, NULL,
		  "Show the latest created container (includes all states)" },
		{ "no-trunc", 0, CLI_OPT_BOOL, &no_trunc, NULL, "Don't truncate output" },
		{ "quiet", 'q', CLI_OPT_BOOL, &quiet, NULL, "Only display container IDs" },
		{ "size", 's', CLI_OPT_BOOL, &size, NULL, "Display total file sizes", NULL,
		  &size_set },
		{},
	};
	const struct cli_command cmd = {
		ctx->path, "[OPTIONS]", "List containers",
		"berth container ls, berth container list, berth container "
		"ps, berth ps",
		CLI_ARGS_NONE
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *list = NULL, *rows = NULL, *header = NULL, *probe = NULL;
	_cleanup_free_ char *path = xstrdup("/containers/json"), *table = NULL;
	bool custom;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	custom = format && *format && strcmp(format, "table") != 0;
	if (custom && !quiet && !size_set && strcmp(format, "json") != 0 &&
	    (strstr(format, "Size") || strstr(format, "json .")))
		size = true;
	if (latest && last == -1)
		last = 1;
	if (all)
		cli_url_add(&path, "all", "1");
	if (last > 0) {
		_cleanup_free_ char *n = xasprintf("%lld", (long long)last);
		cli_url_add(&path, "limit", n);
	}
	if (size)
		cli_url_add(&path, "size", "1");
	if (filters) {
		_cleanup_free_ char *f = cli_filters_json(filters);
		cli_url_add(&path, "filters", f);
	}
	if (cli_api_call(&ctx->client, "GET", path, NULL, &list, &err) < 0)
		return cli_fail(err, 1);
	rows = json_object_new_array();
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		json_object_array_add(
			rows, container_context(json_object_array_get_idx(list, i), !no_trunc));
	if (!custom && quiet)
		format = "{{.ID}}";
	table = xasprintf("%s%s", PS_TABLE, size ? "\\t{{.Size}}" : "");
	header = ps_header();
	probe = container_context(NULL, true);
	const struct cli_format_kind kind = {
		"*formatter.ContainerContext", table, header, ps_method, true, probe
	};
	if (cli_format_write(format, &kind, rows, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
