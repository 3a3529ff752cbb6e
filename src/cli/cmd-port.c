/* berth port (container port): the published ports of a container, from
 * its inspect JSON's NetworkSettings.Ports, as docker prints them. */
#define LOG_CATEGORY "cli"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-network-internal.h"

int cli_natural_cmp(const char *a, const char *b)
{
	size_t i = 0, j = 0, la = strlen(a), lb = strlen(b);

	while (i < la && j < lb) {
		bool da = isdigit((unsigned char)a[i]), db = isdigit((unsigned char)b[j]);
		if (da != db)
			return da ? -1 : 1; /* digits sort before other characters */
		if (!da) {
			if (a[i] != b[j])
				return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
			i++, j++;
			continue;
		}
		while (i < la && a[i] == '0')
			i++;
		while (j < lb && b[j] == '0')
			j++;
		size_t sa = i, sb = j;
		while (i < la && isdigit((unsigned char)a[i]))
			i++;
		while (j < lb && isdigit((unsigned char)b[j]))
			j++;
		if (i - sa != j - sb) /* the shorter number is the smaller */
			return i - sa < j - sb ? -1 : 1;
		int c = strncmp(a + sa, b + sb, i - sa);
		if (c)
			return c;
		if (sa != sb) /* fewer leading zeros first */
			return sa < sb ? -1 : 1;
	}
	return la - i == lb - j ? 0 : (la - i < lb - j ? -1 : 1);
}

static int natural_qsort(const void *a, const void *b)
{
	return cli_natural_cmp(*(char *const *)a, *(char *const *)b);
}

/* Go's net.JoinHostPort. */
static char *join_host_port(const char *host, const char *port)
{
	return strchr(host, ':') ? xasprintf("[%s]:%s", host, port)
				 : xasprintf("%s:%s", host, port);
}

static void add_frontends(char ***lines, const char *prefix, json_object *frontends)
{
	size_t n = json_object_is_type(frontends, json_type_array)
			   ? json_object_array_length(frontends)
			   : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(frontends, i);
		_cleanup_free_ char *hp =
			join_host_port(cli_json_str(f, "HostIp"), cli_json_str(f, "HostPort"));
		strv_push_take(lines, prefix ? xasprintf("%s -> %s", prefix, hp) : xstrdup(hp));
	}
}

/* strconv.ParseUint(s, 10, 16)'s verdict, in its words. */
static const char *port_number_error(const char *s)
{
	unsigned long v = 0;

	if (!*s)
		return "invalid syntax";
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return "invalid syntax";
		if (v <= 65535)
			v = v * 10 + (unsigned long)(*p - '0');
	}
	return v > 65535 ? "value out of range" : NULL;
}

int cli_port_lines(json_object *container, const char *name, const char *port, char ***ret,
		   struct berth_error **err)
{
	json_object *ports = cli_json_get(cli_json_get(container, "NetworkSettings"), "Ports");
	_cleanup_strv_ char **lines = NULL;

	if (port) {
		const char *slash = strchr(port, '/');
		_cleanup_free_ char *num =
			slash ? xstrndup(port, (size_t)(slash - port)) : xstrdup(port);
		_cleanup_free_ char *key = xasprintf("%s/%s", num, slash ? slash + 1 : "tcp");
		const char *why = port_number_error(num);
		json_object *frontends = NULL;

		if (why)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "Error: invalid port (%s): strconv.ParseUint: "
					       "parsing \"%s\": %s",
					       num, num, why);
		if (!ports || !json_object_object_get_ex(ports, key, &frontends) || !frontends)
			return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND,
					       "Error: No public port '%s' published for %s", port,
					       name);
		add_frontends(&lines, NULL, frontends);
	} else if (ports && json_object_is_type(ports, json_type_object)) {
		json_object_object_foreach (ports, key, frontends)
			add_frontends(&lines, key, frontends);
	}
	if (lines)
		qsort(lines, strv_length(lines), sizeof(*lines), natural_qsort);
	*ret = TAKE_PTR(lines);
	return 0;
}

int cmd_port(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command cmd = {
		ctx->path,
		"CONTAINER [PRIVATE_PORT[/PROTO]]",
		"List port mappings or a specific mapping for the container",
		"berth container port, berth port",
		CLI_ARGS_RANGE,
		1,
		2,
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *c = NULL;
	_cleanup_strv_ char **lines = NULL;

	if (cli_opts_parse(&cmd, NULL, argc, argv, &args))
		return args.exit_status;
	if (cli_container_inspect(ctx, args.v[0], &c, &err) < 0)
		return cli_fail(err, 1);
	if (cli_port_lines(c, args.v[0], args.n > 1 ? args.v[1] : NULL, &lines, &err) < 0)
		return cli_fail(err, 1);
	for (size_t i = 0; lines && lines[i]; i++)
		printf("%s\n", lines[i]);
	return 0;
}
