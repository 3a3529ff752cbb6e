/* berth network create, connect, disconnect: POST /networks/create and
 * /networks/{id}/(dis)connect with the bodies the docker CLI sends. */
#define LOG_CATEGORY "cli"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli-network-internal.h"

struct cidr {
	int family;
	unsigned char addr[16];
	int bits;
};

void cli_endpoint_add_unset(json_object *e)
{
	static const char *const empty[] = { "NetworkID", "EndpointID", "Gateway", "IPAddress" };
	for (size_t i = 0; i < ARRAY_SIZE(empty); i++)
		json_object_object_add(e, empty[i], json_object_new_string(""));
	json_object_object_add(e, "IPPrefixLen", json_object_new_int(0));
	json_object_object_add(e, "IPv6Gateway", json_object_new_string(""));
	json_object_object_add(e, "GlobalIPv6Address", json_object_new_string(""));
	json_object_object_add(e, "GlobalIPv6PrefixLen", json_object_new_int(0));
	json_object_object_add(e, "DNSNames", NULL);
}

/* Go's net.ParseIP (an IPv4-mapped IPv6 address counts as IPv4). */
static bool parse_ip(const char *s, struct cidr *ret)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (inet_pton(AF_INET, s, ret->addr) == 1) {
		ret->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, ret->addr) != 1)
		return false;
	ret->family = AF_INET6;
	if (memcmp(ret->addr, mapped, sizeof(mapped)) == 0) {
		memmove(ret->addr, ret->addr + 12, 4);
		ret->family = AF_INET;
	}
	return true;
}

/* Go's net.ParseCIDR: the address as written and the prefix length. */
static int parse_cidr(const char *s, struct cidr *ret, struct berth_error **err)
{
	const char *slash = strchr(s, '/');
	_cleanup_free_ char *addr = slash ? xstrndup(s, (size_t)(slash - s)) : NULL;
	int bits = 0;

	if (!slash || !parse_ip(addr, ret) || !slash[1] || strlen(slash + 1) > 3)
		goto bad;
	for (const char *p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		bits = bits * 10 + (*p - '0');
	}
	if (bits > (ret->family == AF_INET ? 32 : 128) ||
	    (ret->family == AF_INET && strchr(addr, ':') && bits > 32))
		goto bad;
	ret->bits = bits;
	return 0;
bad:
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid CIDR address: %s", s);
}

static bool cidr_contains(const struct cidr *net, const struct cidr *ip)
{
	int full = net->bits / 8, rest = net->bits % 8;

	if (net->family != ip->family)
		return false;
	if (memcmp(net->addr, ip->addr, (size_t)full) != 0)
		return false;
	if (!rest)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (ip->addr[full] & mask);
}

/* docker's subnetMatches: whether subnet contains data (an address or the
 * address part of a CIDR). */
static int subnet_matches(const char *subnet, const char *data, struct berth_error **err)
{
	struct cidr net = { 0 }, ip = { 0 };

	if (parse_cidr(subnet, &net, err) < 0)
		return berth_error_wrap(err, "invalid subnet");
	if (strchr(data, '/')) {
		if (parse_cidr(data, &ip, err) < 0)
			return -EINVAL;
	} else if (!parse_ip(data, &ip)) {
		return 0;
	}
	return cidr_contains(&net, &ip);
}

/* Put value under key in the config of the subnet containing it. */
static int assign(json_object *config, char *const *subnets, const char *key, const char *aux_name,
		  const char *value, const char *what, struct berth_error **err)
{
	bool match = false;

	for (size_t i = 0; subnets[i]; i++) {
		json_object *d = json_object_array_get_idx(config, i);
		const char *old = cli_json_str(d, key);
		int r = subnet_matches(subnets[i], value, err);
		if (r < 0)
			return r;
		if (!r)
			continue;
		if (aux_name) {
			json_object *a = cli_json_get(d, key);
			if (!a) {
				a = json_object_new_object();
				json_object_object_add(d, key, a);
			}
			json_object_object_add(a, aux_name, json_object_new_string(value));
		} else if (*old) {
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				strcmp(key, "IPRange") == 0
					? "cannot configure multiple ranges (%s, %s) "
					  "on the same subnet (%s)"
					: "cannot configure multiple gateways (%s, %s) "
					  "for the same subnet (%s)",
				value, old, subnets[i]);
		} else {
			json_object_object_add(d, key, json_object_new_string(value));
		}
		match = true;
	}
	if (!match)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "no matching subnet for %s %s",
				       what, value);
	return 0;
}

int cli_network_ipam_config(char *const *subnets, char *const *ranges, char *const *gateways,
			    char *const *aux, json_object **ret, struct berth_error **err)
{
	_cleanup_json_ json_object *config = json_object_new_array();
	size_t ns = strv_length(subnets);
	int r;

	if (ns < strv_length(ranges) || ns < strv_length(gateways))
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"every ip-range or gateway must have a corresponding subnet");
	for (size_t i = 0; i < ns; i++) {
		json_object *d = json_object_new_object();
		for (size_t k = 0; k < i; k++) {
			int a = subnet_matches(subnets[i], subnets[k], err);
			int b = a < 0 ? a : subnet_matches(subnets[k], subnets[i], err);
			if (a < 0 || b < 0) {
				json_object_put(d);
				return a < 0 ? a : b;
			}
			if (a || b) {
				json_object_put(d);
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "multiple overlapping subnet configuration "
						       "is not supported");
			}
		}
		json_object_object_add(d, "Subnet", json_object_new_string(subnets[i]));
		json_object_array_add(config, d);
	}
	for (size_t i = 0; ranges && ranges[i]; i++)
		if ((r = assign(config, subnets, "IPRange", NULL, ranges[i], "range", err)) < 0)
			return r;
	for (size_t i = 0; gateways && gateways[i]; i++)
		if ((r = assign(config, subnets, "Gateway", NULL, gateways[i], "gateway", err)) < 0)
			return r;
	for (size_t i = 0; aux && aux[i]; i++) {
		const char *eq = strchr(aux[i], '=');
		_cleanup_free_ char *name =
			eq ? xstrndup(aux[i], (size_t)(eq - aux[i])) : xstrdup(aux[i]);
		r = assign(config, subnets, "AuxiliaryAddresses", name, eq ? eq + 1 : "",
			   "aux-address", err);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(config);
	return 0;
}

/* "k=v" strings to an object ("k" alone: ""), like ConvertKVStringsToMap. */
static json_object *kv_object(char *const *kv)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; kv && kv[i]; i++) {
		const char *eq = strchr(kv[i], '=');
		_cleanup_free_ char *k =
			eq ? xstrndup(kv[i], (size_t)(eq - kv[i])) : xstrdup(kv[i]);
		json_object_object_add(o, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	return o;
}

/* pflag's "strings" flags: each value split at commas. */
static char **split_commas(char *const *v)
{
	char **out = NULL;

	for (size_t i = 0; v && v[i]; i++) {
		const char *p = v[i];
		for (const char *c; (c = strchr(p, ',')); p = c + 1)
			strv_push_take(&out, xstrndup(p, (size_t)(c - p)));
		strv_push(&out, p);
	}
	return out;
}

struct create_opts {
	const char *driver, *ipam_driver, *scope, *config_from;
	bool attachable, config_only, ingress, internal, ipv4, ipv6, ipv4_set, ipv6_set;
	char **subnets, **ranges, **gateways, **aux, **ipam_opts, **labels, **opts;
};

static int create_body(struct create_opts *o, const char *name, json_object **ret,
		       struct berth_error **err)
{
	_cleanup_strv_ char **subnets = split_commas(o->subnets),
			    **ranges = split_commas(o->ranges);
	_cleanup_strv_ char **gateways = split_commas(o->gateways);
	_cleanup_json_ json_object *b = json_object_new_object();
	json_object *config = NULL, *ipam, *from = NULL;

	if (cli_network_ipam_config(subnets, ranges, gateways, o->aux, &config, err) < 0)
		return -EINVAL;
	json_object_object_add(b, "Driver", json_object_new_string(o->driver));
	json_object_object_add(b, "Scope", json_object_new_string(o->scope ? o->scope : ""));
	if (o->ipv4_set)
		json_object_object_add(b, "EnableIPv4", json_object_new_boolean(o->ipv4));
	if (o->ipv6_set)
		json_object_object_add(b, "EnableIPv6", json_object_new_boolean(o->ipv6));
	ipam = json_object_new_object();
	json_object_object_add(ipam, "Driver", json_object_new_string(o->ipam_driver));
	json_object_object_add(ipam, "Options", kv_object(o->ipam_opts));
	json_object_object_add(ipam, "Config", config);
	json_object_object_add(b, "IPAM", ipam);
	json_object_object_add(b, "Internal", json_object_new_boolean(o->internal));
	json_object_object_add(b, "Attachable", json_object_new_boolean(o->attachable));
	json_object_object_add(b, "Ingress", json_object_new_boolean(o->ingress));
	json_object_object_add(b, "ConfigOnly", json_object_new_boolean(o->config_only));
	if (o->config_from && *o->config_from) {
		from = json_object_new_object();
		json_object_object_add(from, "Network", json_object_new_string(o->config_from));
	}
	json_object_object_add(b, "ConfigFrom", from);
	json_object_object_add(b, "Options", kv_object(o->opts));
	json_object_object_add(b, "Labels", kv_object(o->labels));
	json_object_object_add(b, "Name", json_object_new_string(name));
	*ret = TAKE_PTR(b);
	return 0;
}

static void create_opts_done(struct create_opts *o)
{
	strv_free(o->subnets), strv_free(o->ranges), strv_free(o->gateways), strv_free(o->aux);
	strv_free(o->ipam_opts), strv_free(o->labels), strv_free(o->opts);
}

int cmd_network_create(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_(create_opts_done) struct create_opts o = { .driver = "bridge",
							     .ipam_driver = "default",
							     .ipv4 = true };
	const struct cli_opt opts[] = {
		{ "attachable", 0, CLI_OPT_BOOL, &o.attachable, NULL,
		  "Enable manual container attachment" },
		{ "aux-address", 0, CLI_OPT_LIST, &o.aux, "map",
		  "Auxiliary IPv4 or IPv6 addresses used by Network driver (default map[])" },
		{ "config-from", 0, CLI_OPT_STRING, &o.config_from, "string",
		  "The network from which to copy the configuration" },
		{ "config-only", 0, CLI_OPT_BOOL, &o.config_only, NULL,
		  "Create a configuration only network" },
		{ "driver", 'd', CLI_OPT_STRING, &o.driver, "string",
		  "Driver to manage the Network (default \"bridge\")" },
		{ "gateway", 0, CLI_OPT_LIST, &o.gateways, "strings",
		  "IPv4 or IPv6 Gateway for the master subnet" },
		{ "ingress", 0, CLI_OPT_BOOL, &o.ingress, NULL,
		  "Create swarm routing-mesh network" },
		{ "internal", 0, CLI_OPT_BOOL, &o.internal, NULL,
		  "Restrict external access to the network" },
		{ "ip-range", 0, CLI_OPT_LIST, &o.ranges, "strings",
		  "Allocate container ip from a sub-range" },
		{ "ipam-driver", 0, CLI_OPT_STRING, &o.ipam_driver, "string",
		  "IP Address Management Driver (default \"default\")" },
		{ "ipam-opt", 0, CLI_OPT_LIST, &o.ipam_opts, "map",
		  "Set IPAM driver specific options (default map[])" },
		{ "ipv4", 0, CLI_OPT_BOOL, &o.ipv4, NULL,
		  "Enable or disable IPv4 address assignment (default true)", NULL, &o.ipv4_set },
		{ "ipv6", 0, CLI_OPT_BOOL, &o.ipv6, NULL,
		  "Enable or disable IPv6 address assignment", NULL, &o.ipv6_set },
		{ "label", 0, CLI_OPT_LIST, &o.labels, "list", "Set metadata on a network" },
		{ "opt", 'o', CLI_OPT_LIST, &o.opts, "map",
		  "Set driver specific options (default map[])" },
		{ "scope", 0, CLI_OPT_STRING, &o.scope, "string", "Control the network's scope" },
		{ "subnet", 0, CLI_OPT_LIST, &o.subnets, "strings",
		  "Subnet in CIDR format that represents a network segment" },
		{},
	};
	const struct cli_command cmd = { ctx->path, "[OPTIONS] NETWORK", "Create a network",
					 NULL,	    CLI_ARGS_EXACT,	 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL, *resp = NULL;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (create_body(&o, args.v[0], &body, &err) < 0 ||
	    cli_api_call(&ctx->client, "POST", "/networks/create", body, &resp, &err) < 0)
		return cli_fail(err, 1);
	printf("%s\n", cli_json_str(resp, "Id"));
	return 0;
}

static json_object *endpoint_config(const char *ip, const char *ip6, char **aliases, char **links,
				    char **link_local, char **driver_opts, int64_t gw_priority)
{
	json_object *e = json_object_new_object(), *ipam = json_object_new_object();
	json_object *al = json_object_new_array();

	if (ip && *ip)
		json_object_object_add(ipam, "IPv4Address", json_object_new_string(ip));
	if (ip6 && *ip6)
		json_object_object_add(ipam, "IPv6Address", json_object_new_string(ip6));
	if (link_local) {
		json_object *ll = json_object_new_array();
		for (size_t i = 0; link_local[i]; i++)
			json_object_array_add(ll, json_object_new_string(link_local[i]));
		json_object_object_add(ipam, "LinkLocalIPs", ll);
	}
	json_object_object_add(e, "IPAMConfig", ipam);
	if (links) {
		json_object *l = json_object_new_array();
		for (size_t i = 0; links[i]; i++)
			json_object_array_add(l, json_object_new_string(links[i]));
		json_object_object_add(e, "Links", l);
	} else {
		json_object_object_add(e, "Links", NULL);
	}
	for (size_t i = 0; aliases && aliases[i]; i++)
		json_object_array_add(al, json_object_new_string(aliases[i]));
	json_object_object_add(e, "Aliases", al);
	json_object_object_add(e, "MacAddress", json_object_new_string(""));
	json_object_object_add(e, "DriverOpts", kv_object(driver_opts));
	json_object_object_add(e, "GwPriority", json_object_new_int64(gw_priority));
	cli_endpoint_add_unset(e);
	return e;
}

static int post_network(struct cli_ctx *ctx, const char *network, const char *action,
			json_object *body)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *e = cli_path_escape(network);
	_cleanup_free_ char *path = xasprintf("/networks/%s/%s", e, action);

	if (cli_api_call(&ctx->client, "POST", path, body, NULL, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}

int cmd_network_connect(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *ip = NULL, *ip6 = NULL;
	_cleanup_strv_ char **aliases = NULL, **links = NULL, **link_local = NULL, **dopts = NULL;
	int64_t gw_priority = 0;
	const struct cli_opt opts[] = {
		{ "alias", 0, CLI_OPT_LIST, &aliases, "strings",
		  "Add network-scoped alias for the container" },
		{ "driver-opt", 0, CLI_OPT_LIST, &dopts, "strings",
		  "driver options for the network" },
		{ "gw-priority", 0, CLI_OPT_INT, &gw_priority, "int",
		  "Highest gw-priority provides the default gateway. Accepts positive and "
		  "negative values." },
		{ "ip", 0, CLI_OPT_STRING, &ip, "string",
		  "IPv4 address (e.g., \"172.30.100.104\")" },
		{ "ip6", 0, CLI_OPT_STRING, &ip6, "string",
		  "IPv6 address (e.g., \"2001:db8::33\")" },
		{ "link", 0, CLI_OPT_LIST, &links, "list", "Add link to another container" },
		{ "link-local-ip", 0, CLI_OPT_LIST, &link_local, "strings",
		  "Add a link-local address for the container" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] NETWORK CONTAINER",
					 "Connect a container to a network",
					 NULL,
					 CLI_ARGS_EXACT,
					 2 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_json_ json_object *body = json_object_new_object();
	_cleanup_strv_ char **al = NULL, **ll = NULL, **dopt = NULL;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	al = split_commas(aliases), ll = split_commas(link_local), dopt = split_commas(dopts);
	json_object_object_add(body, "Container", json_object_new_string(args.v[1]));
	json_object_object_add(body, "EndpointConfig",
			       endpoint_config(ip, ip6, al, links, ll, dopt, gw_priority));
	return post_network(ctx, args.v[0], "connect", body);
}

int cmd_network_disconnect(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	const struct cli_opt opts[] = {
		{ "force", 'f', CLI_OPT_BOOL, &force, NULL,
		  "Force the container to disconnect from a network" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] NETWORK CONTAINER",
					 "Disconnect a container from a network",
					 NULL,
					 CLI_ARGS_EXACT,
					 2 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_json_ json_object *body = json_object_new_object();

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	json_object_object_add(body, "Container", json_object_new_string(args.v[1]));
	json_object_object_add(body, "Force", json_object_new_boolean(force));
	return post_network(ctx, args.v[0], "disconnect", body);
}
