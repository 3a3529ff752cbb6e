/* berth info: system-wide information (GET /info), printed like docker's. */
#define LOG_CATEGORY "cli"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"

static void line(struct cli_buf *b, const char *label, const char *value)
{
	if (value && *value)
		cli_buf_printf(b, " %s: %s\n", label, value);
}

static void line_int(struct cli_buf *b, const char *indent, const char *label, int64_t v)
{
	cli_buf_printf(b, "%s%s: %lld\n", indent, label, (long long)v);
}

static char *join_array(json_object *a, const char *sep)
{
	_cleanup_buf_ struct cli_buf b = { 0 };

	for (size_t i = 0;
	     a && json_object_is_type(a, json_type_array) && i < json_object_array_length(a); i++)
		cli_buf_printf(&b, "%s%s", i ? sep : "",
			       json_object_get_string(json_object_array_get_idx(a, i)));
	return cli_buf_take(&b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *sorted_keys(json_object *o)
{
	_cleanup_buf_ struct cli_buf b = { 0 };
	size_t n = o ? (size_t)json_object_object_length(o) : 0, i = 0;
	_cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(char *));

	json_object_object_foreach (o, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(char *), cmp_str);
	for (i = 0; i < n; i++)
		cli_buf_printf(&b, "%s%s", i ? " " : "", keys[i]);
	return cli_buf_take(&b);
}

static void add_plugins(struct cli_buf *b, json_object *plugins)
{
	static const char *const kinds[] = { "Volume", "Network", "Authorization", "Log" };

	cli_buf_adds(b, " Plugins:\n");
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		_cleanup_free_ char *s = join_array(cli_json_get(plugins, kinds[i]), " ");
		if (*s || strcmp(kinds[i], "Authorization") != 0)
			cli_buf_printf(b, "  %s: %s\n", kinds[i], s);
	}
}

/* "name=seccomp,profile=default" -> "  seccomp\n   Profile: default". */
static void add_security(struct cli_buf *b, json_object *opts)
{
	size_t n = opts && json_object_is_type(opts, json_type_array)
			   ? json_object_array_length(opts)
			   : 0;

	if (n == 0)
		return;
	cli_buf_adds(b, " Security Options:\n");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *s =
			xstrdup(json_object_get_string(json_object_array_get_idx(opts, i)));
		char *save = NULL;
		for (char *kv = strtok_r(s, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			if (!eq)
				continue;
			*eq = '\0';
			if (strcmp(kv, "name") == 0) {
				cli_buf_printf(b, "  %s\n", eq + 1);
			} else {
				kv[0] = (char)toupper((unsigned char)kv[0]);
				cli_buf_printf(b, "   %s: %s\n", kv, eq + 1);
			}
		}
	}
}

static void add_driver_status(struct cli_buf *b, json_object *status)
{
	for (size_t i = 0; status && json_object_is_type(status, json_type_array) &&
			   i < json_object_array_length(status);
	     i++) {
		json_object *pair = json_object_array_get_idx(status, i);
		if (json_object_is_type(pair, json_type_array) &&
		    json_object_array_length(pair) == 2)
			cli_buf_printf(b, "  %s: %s\n",
				       json_object_get_string(json_object_array_get_idx(pair, 0)),
				       json_object_get_string(json_object_array_get_idx(pair, 1)));
	}
}

static void add_registries(struct cli_buf *b, json_object *reg)
{
	json_object *cidrs = cli_json_get(reg, "InsecureRegistryCIDRs");
	json_object *mirrors = cli_json_get(reg, "Mirrors");

	if (cidrs && json_object_array_length(cidrs) > 0) {
		cli_buf_adds(b, " Insecure Registries:\n");
		for (size_t i = 0; i < json_object_array_length(cidrs); i++)
			cli_buf_printf(b, "  %s\n",
				       json_object_get_string(json_object_array_get_idx(cidrs, i)));
	}
	if (mirrors && json_object_array_length(mirrors) > 0) {
		cli_buf_adds(b, " Registry Mirrors:\n");
		for (size_t i = 0; i < json_object_array_length(mirrors); i++)
			cli_buf_printf(
				b, "  %s\n",
				json_object_get_string(json_object_array_get_idx(mirrors, i)));
	}
}

static void add_server(struct cli_buf *b, json_object *i)
{
	_cleanup_free_ char *runtimes = sorted_keys(cli_json_get(i, "Runtimes"));
	_cleanup_free_ char *mem = cli_bytes_size((double)cli_json_int(i, "MemTotal"));
	_cleanup_free_ char *labels = join_array(cli_json_get(i, "Labels"), "\n  ");
	const char *swarm = cli_json_str(cli_json_get(i, "Swarm"), "LocalNodeState");

	cli_buf_adds(b, "Server:\n");
	line_int(b, " ", "Containers", cli_json_int(i, "Containers"));
	line_int(b, "  ", "Running", cli_json_int(i, "ContainersRunning"));
	line_int(b, "  ", "Paused", cli_json_int(i, "ContainersPaused"));
	line_int(b, "  ", "Stopped", cli_json_int(i, "ContainersStopped"));
	line_int(b, " ", "Images", cli_json_int(i, "Images"));
	line(b, "Server Version", cli_json_str(i, "ServerVersion"));
	line(b, "Storage Driver", cli_json_str(i, "Driver"));
	add_driver_status(b, cli_json_get(i, "DriverStatus"));
	line(b, "Logging Driver", cli_json_str(i, "LoggingDriver"));
	line(b, "Cgroup Driver", cli_json_str(i, "CgroupDriver"));
	line(b, "Cgroup Version", cli_json_str(i, "CgroupVersion"));
	add_plugins(b, cli_json_get(i, "Plugins"));
	cli_buf_printf(b, " Swarm: %s\n", *swarm ? swarm : "inactive");
	line(b, "Runtimes", runtimes);
	line(b, "Default Runtime", cli_json_str(i, "DefaultRuntime"));
	line(b, "Init Binary", cli_json_str(i, "InitBinary"));
	cli_buf_printf(b, " containerd version: %s\n",
		       cli_json_str(cli_json_get(i, "ContainerdCommit"), "ID"));
	cli_buf_printf(b, " runc version: %s\n", cli_json_str(cli_json_get(i, "RuncCommit"), "ID"));
	cli_buf_printf(b, " init version: %s\n", cli_json_str(cli_json_get(i, "InitCommit"), "ID"));
	add_security(b, cli_json_get(i, "SecurityOptions"));
	line(b, "Kernel Version", cli_json_str(i, "KernelVersion"));
	line(b, "Operating System", cli_json_str(i, "OperatingSystem"));
	line(b, "OSType", cli_json_str(i, "OSType"));
	line(b, "Architecture", cli_json_str(i, "Architecture"));
	line_int(b, " ", "CPUs", cli_json_int(i, "NCPU"));
	line(b, "Total Memory", mem);
	line(b, "Name", cli_json_str(i, "Name"));
	line(b, "ID", cli_json_str(i, "ID"));
	line(b, "Docker Root Dir", cli_json_str(i, "DockerRootDir"));
	cli_buf_printf(b, " Debug Mode: %s\n", cli_json_bool(i, "Debug") ? "true" : "false");
	line(b, "HTTP Proxy", cli_json_str(i, "HttpProxy"));
	line(b, "HTTPS Proxy", cli_json_str(i, "HttpsProxy"));
	line(b, "No Proxy", cli_json_str(i, "NoProxy"));
	if (*labels)
		cli_buf_printf(b, " Labels:\n  %s\n", labels);
	cli_buf_printf(b, " Experimental: %s\n",
		       cli_json_bool(i, "ExperimentalBuild") ? "true" : "false");
	add_registries(b, cli_json_get(i, "RegistryConfig"));
	cli_buf_printf(b, " Live Restore Enabled: %s\n",
		       cli_json_bool(i, "LiveRestoreEnabled") ? "true" : "false");
	cli_buf_addc(b, '\n');
}

static json_object *client_info(bool debug)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "Debug", json_object_new_boolean(debug));
	json_object_object_add(c, "Version", json_object_new_string(BERTH_VERSION));
	json_object_object_add(c, "DefaultAPIVersion", json_object_new_string(CLI_API_VERSION));
	json_object_object_add(c, "Os", json_object_new_string("linux"));
	json_object_object_add(c, "Arch", json_object_new_string("amd64"));
	json_object_object_add(c, "Context", json_object_new_string("default"));
	json_object_object_add(c, "Plugins", json_object_new_array());
	json_object_object_add(c, "Warnings", NULL);
	return c;
}

static int format_info(const char *format, json_object *info, bool debug)
{
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	const struct cli_template_env env = { .type_name = "system.dockerInfo" };
	_cleanup_free_ char *out = NULL;
	size_t len = 0;

	if (strcmp(format, "json") == 0)
		format = "{{json .}}";
	json_object_object_add(info, "ClientInfo", client_info(debug));
	if (cli_template_parse(NULL, format, &t, &err) < 0) {
		fprintf(stderr, "template parsing error: %s\n", err->msg);
		return 64;
	}
	if (cli_template_execute(t, info, &env, &out, &len, &err) < 0) {
		(void)cli_write_stdout(out ? out : "", len);
		(void)cli_write_stdout("\n", 1);
		return cli_fail(err, 1);
	}
	printf("%s\n", out ? out : "");
	return 0;
}

int cmd_info(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *format = NULL;
	const struct cli_opt opts[] = {
		{ "format", 'f', CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS]", "Display system-wide information",
					 "berth system info, berth info", CLI_ARGS_NONE };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *info = NULL;
	_cleanup_buf_ struct cli_buf b = { 0 };
	json_object *warnings;
	int r;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	r = cli_api_call(&ctx->client, "GET", "/info", NULL, &info, &err);
	if (format && *format) {
		if (r < 0)
			return cli_fail(err, 1);
		return format_info(format, info, ctx->debug);
	}
	cli_buf_printf(&b, "Client:\n Version:    %s\n Context:    default\n Debug Mode: %s\n\n",
		       BERTH_VERSION, ctx->debug ? "true" : "false");
	if (r < 0) {
		cli_buf_adds(&b, "Server:\n");
		(void)cli_write_stdout(b.s, b.len);
		fprintf(stderr, "ERROR: %s\nerrors pretty printing info\n", err->msg);
		return 1;
	}
	add_server(&b, info);
	(void)cli_write_stdout(b.s, b.len);
	warnings = cli_json_get(info, "Warnings");
	for (size_t i = 0; warnings && json_object_is_type(warnings, json_type_array) &&
			   i < json_object_array_length(warnings);
	     i++)
		fprintf(stderr, "%s\n",
			json_object_get_string(json_object_array_get_idx(warnings, i)));
	return 0;
}
