/* create and run: the network flags as the docker CLI reads them: --network
 * (repeatable, "name=N,alias=A,ip=..." long form), --add-host, --dns,
 * --dns-search, and the NetworkingConfig endpoints built from them with
 * --network-alias, --ip, --ip6, --mac-address, --link and --link-local-ip. */
#define LOG_CATEGORY "cli-run"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-network-internal.h"
#include "cli-run-internal.h"

/* Not default, bridge, host, none or container:X (NetworkMode.IsUserDefined). */
static bool user_network(const char *n)
{
	return n && strcmp(n, "default") && strcmp(n, "bridge") && strcmp(n, "host") &&
	       strcmp(n, "none") && !str_has_prefix(n, "container:");
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Go's regexp \w+=\w+ anywhere in s: the long syntax. */
static bool long_syntax(const char *s)
{
	for (const char *p = strchr(s, '='); p; p = strchr(p + 1, '='))
		if (p > s && is_word(p[-1]) && is_word(p[1]))
			return true;
	return false;
}

/* One record of Go's encoding/csv (quoted fields, "" inside quotes). */
static char **csv_fields(const char *s)
{
	char **out = NULL;

	for (;;) {
		_cleanup_buf_ struct cli_buf f = { 0 };
		if (*s == '"') {
			for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
				if (*s == '"')
					s++;
				cli_buf_addc(&f, *s);
			}
			if (*s == '"')
				s++;
		}
		while (*s && *s != ',')
			cli_buf_addc(&f, *s++);
		strv_push(&out, f.s ? f.s : "");
		if (!*s)
			return out;
		s++;
	}
}

static char *trim_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static void append_str(json_object *o, const char *key, const char *v)
{
	json_object *a = json_object_object_get(o, key);

	if (!a) {
		a = json_object_new_array();
		json_object_object_add(o, key, a);
	}
	json_object_array_add(a, json_object_new_string(v));
}

/* One field of the long syntax into the attachment n; a pflag message on error. */
static int network_field(json_object *n, const char *field, char **ret_msg)
{
	_cleanup_free_ char *low = xstrdup(field);
	char *eq;

	for (char *c = low; *c; c++) /* docker lower-cases the whole field */
		*c = (char)tolower((unsigned char)*c);
	eq = strchr(low, '=');
	if (!eq || eq == low) {
		*ret_msg = xasprintf("invalid field %s", field);
		return -EINVAL;
	}
	_cleanup_free_ char *key = trim_dup(low, (size_t)(eq - low));
	_cleanup_free_ char *val = trim_dup(eq + 1, strlen(eq + 1));
	static const char *const plain[][2] = { { "name", "Target" },
						{ "ip", "IPv4Address" },
						{ "ip6", "IPv6Address" },
						{ "mac-address", "MacAddress" } };
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
		if (strcmp(key, plain[i][0]) == 0) {
			json_object_object_add(n, plain[i][1], json_object_new_string(val));
			return 0;
		}
	if (strcmp(key, "alias") == 0) {
		append_str(n, "Aliases", val);
	} else if (strcmp(key, "link-local-ip") == 0) {
		append_str(n, "LinkLocalIPs", val);
	} else if (strcmp(key, "driver-opt") == 0) {
		char *deq = strchr(val, '=');
		if (!deq || deq == val) {
			*ret_msg = xstrdup("invalid key value pair format in driver options");
			return -EINVAL;
		}
		_cleanup_free_ char *dk = trim_dup(val, (size_t)(deq - val));
		_cleanup_free_ char *dv = trim_dup(deq + 1, strlen(deq + 1));
		json_object *d = json_object_object_get(n, "DriverOpts");
		if (!d) {
			d = json_object_new_object();
			json_object_object_add(n, "DriverOpts", d);
		}
		json_object_object_add(d, dk, json_object_new_string(dv));
	} else if (strcmp(key, "gw-priority") == 0) {
		int64_t p;
		_cleanup_free_ char *m = NULL;
		if (cli_parse_int(val, &p, &m) < 0 || p < INT32_MIN || p > INT32_MAX) {
			*ret_msg = xasprintf("invalid gw-priority (%s): %s", val,
					     m && strstr(m, "range") ? "value out of range"
								     : "invalid syntax");
			return -EINVAL;
		}
		json_object_object_add(n, "GwPriority", json_object_new_int64(p));
	} else {
		*ret_msg = xasprintf("invalid field key %s", key);
		return -EINVAL;
	}
	return 0;
}

int cli_parse_network(const char *arg, void *target, char **ret_msg)
{
	struct cli_run_opts *o =
		(struct cli_run_opts *)((char *)target - offsetof(struct cli_run_opts, networks));
	_cleanup_json_ json_object *n = json_object_new_object();

	if (!long_syntax(arg)) {
		json_object_object_add(n, "Target", json_object_new_string(arg));
	} else {
		_cleanup_strv_ char **fields = csv_fields(arg);
		for (size_t i = 0; fields[i]; i++) {
			if (network_field(n, fields[i], ret_msg) < 0)
				return -EINVAL;
			if (!*cli_json_str(n, "Target")) {
				*ret_msg = xstrdup("network name not specified");
				return -EINVAL;
			}
		}
	}
	if (!o->networks)
		o->networks = json_object_new_array();
	json_object_array_add(o->networks, json_object_get(n));
	o->network = cli_json_str(json_object_array_get_idx(o->networks, 0), "Target");
	return 0;
}

/* Go's net.ParseIP, and its String() (the canonical text). */
static char *ip_canonical(const char *s)
{
	unsigned char a[16];
	char buf[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, s, a) == 1)
		return xstrdup(inet_ntop(AF_INET, a, buf, sizeof(buf)));
	if (inet_pton(AF_INET6, s, a) != 1)
		return NULL;
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		return xstrdup(inet_ntop(AF_INET, a + 12, buf, sizeof(buf)));
	return xstrdup(inet_ntop(AF_INET6, a, buf, sizeof(buf)));
}

int cli_parse_dns(const char *arg, void *target, char **ret_msg)
{
	_cleanup_free_ char *t = trim_dup(arg, strlen(arg));
	char *ip = ip_canonical(t);

	if (!ip) {
		*ret_msg = xasprintf("IP address is not correctly formatted: %s", arg);
		return -EINVAL;
	}
	strv_push_take(target, ip);
	return 0;
}

/* docker's ValidateExtraHost: "name:ip", "name=ip", "name:[v6]", host-gateway. */
int cli_parse_add_host(const char *arg, void *target, char **ret_msg)
{
	const char *sep = strchr(arg, '=');
	_cleanup_free_ char *name = NULL, *v = NULL;

	if (!sep)
		sep = strchr(arg, ':');
	if (sep)
		name = xstrndup(arg, (size_t)(sep - arg));
	if (!sep || !*name || strchr(name, ':')) {
		*ret_msg = xasprintf("bad format for add-host: \"%s\"", arg);
		return -EINVAL;
	}
	v = xstrdup(sep + 1);
	if (strcmp(v, "host-gateway") != 0) {
		size_t l = strlen(v);
		if (l >= 2 && v[0] == '[' && v[l - 1] == ']') {
			memmove(v, v + 1, l - 2);
			v[l - 2] = '\0';
		}
		_cleanup_free_ char *t = trim_dup(v, strlen(v));
		_cleanup_free_ char *ip = ip_canonical(t);
		if (!ip) {
			*ret_msg = xasprintf("invalid IP address in add-host: \"%s\"", v);
			return -EINVAL;
		}
	}
	strv_push_take(target, xasprintf("%s:%s", name, v));
	return 0;
}

static bool domain_label_ok(const char *s, size_t n)
{
	if (!n || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* docker's ValidateDNSSearch: "." or a domain name with a letter, < 255 chars. */
int cli_parse_dns_search(const char *arg, void *target, char **ret_msg)
{
	_cleanup_free_ char *v = trim_dup(arg, strlen(arg));
	size_t n = strlen(v);
	bool ok = strpbrk(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != NULL;

	if (strcmp(v, ".") == 0) {
		strv_push(target, v);
		return 0;
	}
	if (n && v[n - 1] == '.')
		n--;
	for (size_t i = 0, start = 0; ok && i <= n; i++)
		if (i == n || v[i] == '.') {
			ok = domain_label_ok(v + start, i - start);
			start = i + 1;
		}
	if (!ok || n >= 255) {
		*ret_msg = xasprintf("%s is not a valid domain", v);
		return -EINVAL;
	}
	strv_push_take(target, xstrndup(v, n)); /* without the final dot */
	return 0;
}

/* Go's net.ParseMAC for the 6, 8 and 20 byte forms. */
static bool mac_ok(const char *raw)
{
	_cleanup_free_ char *s = trim_dup(raw, strlen(raw));
	size_t n = strlen(s), groups;

	if (n < 14)
		return false;
	if (s[2] == ':' || s[2] == '-') {
		if ((n + 1) % 3 != 0)
			return false;
		groups = (n + 1) / 3;
		for (size_t i = 0; i < n; i++)
			if (i % 3 == 2 ? s[i] != s[2] : !isxdigit((unsigned char)s[i]))
				return false;
	} else if (s[4] == '.') {
		if ((n + 1) % 5 != 0)
			return false;
		groups = (n + 1) / 5 * 2;
		for (size_t i = 0; i < n; i++)
			if (i % 5 == 4 ? s[i] != '.' : !isxdigit((unsigned char)s[i]))
				return false;
	} else {
		return false;
	}
	return groups == 6 || groups == 8 || groups == 20;
}

static json_object *strv_json(char **v)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static int conflict(struct berth_error **err, const char *flag, const char *what)
{
	return berth_error_set(err, 0, BERTH_ERR_INVALID,
			       "conflicting options: cannot specify both %s and per-network %s",
			       flag, what);
}

/* docker's applyContainerOptions: the plain flags onto the first network. */
static int apply_plain_flags(struct cli_run_opts *o, json_object *n, struct berth_error **err)
{
	static const struct {
		size_t off;
		const char *key, *flag, *what;
	} strs[] = {
		{ offsetof(struct cli_run_opts, ip), "IPv4Address", "--ip", "IPv4 address" },
		{ offsetof(struct cli_run_opts, ip6), "IPv6Address", "--ip6", "IPv6 address" },
		{ offsetof(struct cli_run_opts, mac_address), "MacAddress", "--mac-address",
		  "MAC address" },
	};

	if (cli_json_get(n, "Aliases") && o->network_alias)
		return conflict(err, "--network-alias", "alias");
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (*cli_json_str(n, strs[i].key) &&
		    *(const char *const *)((const char *)o + strs[i].off))
			return conflict(err, strs[i].flag, strs[i].what);
	if (cli_json_get(n, "LinkLocalIPs") && o->link_local_ip)
		return conflict(err, "--link-local-ip", "link-local IP addresses");
	if (o->network_alias)
		json_object_object_add(n, "Aliases", strv_json(o->network_alias));
	if (user_network(cli_json_str(n, "Target")) && o->links)
		json_object_object_add(n, "Links", strv_json(o->links));
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		const char *v = *(const char *const *)((const char *)o + strs[i].off);
		if (v && *v)
			json_object_object_add(n, strs[i].key, json_object_new_string(v));
	}
	if (o->link_local_ip)
		json_object_object_add(n, "LinkLocalIPs", strv_json(o->link_local_ip));
	return 0;
}

static bool nonempty(json_object *n, const char *key)
{
	json_object *v = cli_json_get(n, key);

	return v && json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0;
}

static json_object *array_or_null(json_object *n, const char *key)
{
	return nonempty(n, key) ? json_object_get(cli_json_get(n, key)) : NULL;
}

/* docker's parseNetworkAttachmentOpt: an EndpointSettings, *ret_empty when
 * it says nothing. */
static int endpoint_settings(json_object *n, json_object **ret, bool *ret_empty,
			     struct berth_error **err)
{
	const char *target = cli_json_str(n, "Target"), *mac = cli_json_str(n, "MacAddress");
	const char *v4 = cli_json_str(n, "IPv4Address"), *v6 = cli_json_str(n, "IPv6Address");
	json_object *dopts = cli_json_get(n, "DriverOpts"), *ipam = NULL, *e;
	int64_t gw = cli_json_int(n, "GwPriority");

	if (!user_network(target) && nonempty(n, "Aliases"))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "network-scoped aliases are only supported for user-defined "
				       "networks");
	if (!user_network(target) && nonempty(n, "Links"))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "links are only supported for user-defined networks");
	if (*mac && !mac_ok(mac))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s is not a valid mac address",
				       mac);
	if (*v4 || *v6 || nonempty(n, "LinkLocalIPs")) {
		ipam = json_object_new_object();
		if (*v4)
			json_object_object_add(ipam, "IPv4Address", json_object_new_string(v4));
		if (*v6)
			json_object_object_add(ipam, "IPv6Address", json_object_new_string(v6));
		if (nonempty(n, "LinkLocalIPs"))
			json_object_object_add(ipam, "LinkLocalIPs",
					       array_or_null(n, "LinkLocalIPs"));
	}
	*ret_empty =
		!ipam && !nonempty(n, "Aliases") && !nonempty(n, "Links") && !dopts && !gw && !*mac;
	e = json_object_new_object();
	json_object_object_add(e, "IPAMConfig", ipam);
	json_object_object_add(e, "Links", array_or_null(n, "Links"));
	json_object_object_add(e, "Aliases", array_or_null(n, "Aliases"));
	json_object_object_add(e, "MacAddress", json_object_new_string(mac));
	json_object_object_add(e, "DriverOpts", dopts ? json_object_get(dopts) : NULL);
	json_object_object_add(e, "GwPriority", json_object_new_int64(gw));
	cli_endpoint_add_unset(e);
	*ret = e;
	return 0;
}

/* One attachment (plain flags applied when first) into eps. */
static int add_endpoint(struct cli_run_opts *o, json_object *eps, json_object *n, bool first,
			bool only, struct berth_error **err)
{
	_cleanup_json_ json_object *copy = NULL;
	json_object *e = NULL;
	bool empty = false;
	const char *target;

	if (json_object_deep_copy(n, &copy, NULL) < 0)
		abort();
	if (first && apply_plain_flags(o, copy, err) < 0)
		return -EINVAL;
	target = cli_json_str(copy, "Target");
	if (!*target || strspn(target, " \t\n") == strlen(target))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "no name set for network");
	if (endpoint_settings(copy, &e, &empty, err) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(eps, target, NULL)) {
		json_object_put(e);
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "network \"%s\" is specified multiple times", target);
	}
	if (only && empty) {
		json_object_put(e);
		return 0;
	}
	json_object_object_add(eps, target, e);
	return 0;
}

int cli_run_networking_config(struct cli_run_opts *o, json_object **ret, struct berth_error **err)
{
	_cleanup_json_ json_object *nets =
		o->networks ? json_object_get(o->networks) : json_object_new_array();
	_cleanup_json_ json_object *n = json_object_new_object(), *eps = json_object_new_object();
	bool user = false, other = false;
	size_t count;

	if (o->mac_address && !mac_ok(o->mac_address))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s is not a valid mac address",
				       o->mac_address);
	if (!o->networks && o->network) {
		json_object *one = json_object_new_object();
		json_object_object_add(one, "Target", json_object_new_string(o->network));
		json_object_array_add(nets, one);
	}
	count = json_object_array_length(nets);
	if (count == 0) {
		_cleanup_json_ json_object *def = json_object_new_object();
		json_object_object_add(def, "Target", json_object_new_string("default"));
		if (add_endpoint(o, eps, def, true, false, err) < 0)
			return -EINVAL;
	}
	for (size_t i = 0; i < count; i++) {
		json_object *a = json_object_array_get_idx(nets, i);
		if (user_network(cli_json_str(a, "Target")))
			user = true;
		else
			other = true;
		if (add_endpoint(o, eps, a, i == 0, count == 1, err) < 0)
			return -EINVAL;
	}
	if (user && other)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "conflicting options: cannot attach both user-defined and "
				       "non-user-defined network-modes");
	json_object_object_add(n, "EndpointsConfig", TAKE_PTR(eps));
	*ret = TAKE_PTR(n);
	return 0;
}
