/* Parsers of create's structured flags (--mount, -p, --ulimit, --device),
 * building the API's JSON as they go, with docker's messages. */
#define LOG_CATEGORY "cli-run"
#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli-run-internal.h"

static json_object *sub(json_object *o, const char *key)
{
	json_object *s = json_object_object_get(o, key);

	if (!s) {
		s = json_object_new_object();
		json_object_object_add(o, key, s);
	}
	return s;
}

static int mount_bool(const char *key, const char *v, bool *ret, char **ret_msg)
{
	if (!v || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*ret = true;
		return 0;
	}
	if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*ret = false;
		return 0;
	}
	*ret_msg = xasprintf("invalid value for %s: %s", key, v);
	return -EINVAL;
}

/* One key of a --mount spec into m (and its option objects). */
static int mount_field(json_object *m, const char *key, const char *v, char **ret_msg)
{
	bool b = false;
	int64_t n;

	if (!strcmp(key, "type"))
		json_object_object_add(m, "Type", json_object_new_string(v ? v : ""));
	else if (!strcmp(key, "source") || !strcmp(key, "src"))
		json_object_object_add(m, "Source", json_object_new_string(v ? v : ""));
	else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination"))
		json_object_object_add(m, "Target", json_object_new_string(v ? v : ""));
	else if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		if (mount_bool(key, v, &b, ret_msg) < 0)
			return -EINVAL;
		json_object_object_add(m, "ReadOnly", json_object_new_boolean(b));
	} else if (!strcmp(key, "consistency"))
		json_object_object_add(m, "Consistency", json_object_new_string(v ? v : ""));
	else if (!strcmp(key, "bind-propagation"))
		json_object_object_add(sub(m, "BindOptions"), "Propagation",
				       json_object_new_string(v ? v : ""));
	else if (!strcmp(key, "bind-nonrecursive")) {
		if (mount_bool(key, v, &b, ret_msg) < 0)
			return -EINVAL;
		json_object_object_add(sub(m, "BindOptions"), "NonRecursive",
				       json_object_new_boolean(b));
	} else if (!strcmp(key, "bind-create-src")) {
		if (mount_bool(key, v, &b, ret_msg) < 0)
			return -EINVAL;
		json_object_object_add(sub(m, "BindOptions"), "CreateMountpoint",
				       json_object_new_boolean(b));
	} else if (!strcmp(key, "volume-nocopy")) {
		if (mount_bool(key, v, &b, ret_msg) < 0)
			return -EINVAL;
		json_object_object_add(sub(m, "VolumeOptions"), "NoCopy",
				       json_object_new_boolean(b));
	} else if (!strcmp(key, "volume-subpath"))
		json_object_object_add(sub(m, "VolumeOptions"), "Subpath",
				       json_object_new_string(v ? v : ""));
	else if (!strcmp(key, "volume-driver"))
		json_object_object_add(sub(sub(m, "VolumeOptions"), "DriverConfig"), "Name",
				       json_object_new_string(v ? v : ""));
	else if (!strcmp(key, "volume-label") || !strcmp(key, "volume-opt")) {
		const char *eq = v ? strchr(v, '=') : NULL;
		_cleanup_free_ char *k = eq ? xstrndup(v, (size_t)(eq - v)) : xstrdup(v ? v : "");
		json_object *target =
			!strcmp(key, "volume-label")
				? sub(sub(m, "VolumeOptions"), "Labels")
				: sub(sub(sub(m, "VolumeOptions"), "DriverConfig"), "Options");
		json_object_object_add(target, k, json_object_new_string(eq ? eq + 1 : ""));
	} else if (!strcmp(key, "tmpfs-size")) {
		if (!v || cli_bytes_from_string(v, &n) < 0) {
			*ret_msg = xasprintf("invalid value for %s: %s", key, v ? v : "");
			return -EINVAL;
		}
		json_object_object_add(sub(m, "TmpfsOptions"), "SizeBytes",
				       json_object_new_int64(n));
	} else if (!strcmp(key, "tmpfs-mode")) {
		char *end = NULL;
		long mode = v ? strtol(v, &end, 8) : -1;
		if (!v || !*v || *end || mode < 0) {
			*ret_msg = xasprintf("invalid value for %s: %s", key, v ? v : "");
			return -EINVAL;
		}
		json_object_object_add(sub(m, "TmpfsOptions"), "Mode", json_object_new_int64(mode));
	} else {
		*ret_msg = xasprintf("unexpected key '%s' in '%s%s%s'", key, key, v ? "=" : "",
				     v ? v : "");
		return -EINVAL;
	}
	return 0;
}

/* docker's field order: Type, Source, Target, ReadOnly, Consistency, options. */
static json_object *mount_ordered(json_object *m)
{
	static const char *const order[] = { "Type",	      "Source",	     "Target",
					     "ReadOnly",      "Consistency", "BindOptions",
					     "VolumeOptions", "TmpfsOptions" };
	json_object *o = json_object_new_object(), *v;

	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (json_object_object_get_ex(m, order[i], &v))
			json_object_object_add(o, order[i], json_object_get(v));
	v = json_object_object_get(o, "VolumeOptions");
	if (v && !json_object_object_get(v, "DriverConfig"))
		json_object_object_add(v, "DriverConfig", json_object_new_object());
	return o;
}

int cli_parse_mount(const char *arg, void *target, char **ret_msg)
{
	_cleanup_json_ json_object *m = json_object_new_object();
	_cleanup_free_ char *s = xstrdup(arg);
	json_object **list = target;
	const char *type;
	char *save = NULL;

	for (char *f = strtok_r(s, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		if (eq)
			*eq = '\0';
		for (char *p = f; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (mount_field(m, f, eq ? eq + 1 : NULL, ret_msg) < 0)
			return -EINVAL;
	}
	if (!json_object_object_get(m, "Type"))
		json_object_object_add(m, "Type", json_object_new_string("volume"));
	type = json_object_get_string(json_object_object_get(m, "Type"));
	if (strcmp(type, "bind") && strcmp(type, "volume") && strcmp(type, "tmpfs") &&
	    strcmp(type, "npipe") && strcmp(type, "cluster") && strcmp(type, "image")) {
		*ret_msg = xasprintf("invalid mount type: %s", type);
		return -EINVAL;
	}
	if (!json_object_object_get(m, "Target")) {
		*ret_msg = xstrdup("target is required");
		return -EINVAL;
	}
	if ((json_object_object_get(m, "BindOptions") && strcmp(type, "bind")) ||
	    (json_object_object_get(m, "VolumeOptions") && strcmp(type, "volume")) ||
	    (json_object_object_get(m, "TmpfsOptions") && strcmp(type, "tmpfs"))) {
		*ret_msg = xasprintf(
			"cannot mix options of another mount type with mount type '%s'", type);
		return -EINVAL;
	}
	if (!*list)
		*list = json_object_new_array();
	json_object_array_add(*list, mount_ordered(m));
	return 0;
}

/* strconv.ParseUint(s, 10, 16); the error in Go's words. */
static char *parse_port_number(const char *s, size_t n, long *ret)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return xasprintf("strconv.ParseUint: parsing \"%.*s\": invalid syntax",
					 (int)n, s);
		if (v <= 65535)
			v = v * 10 + (s[i] - '0');
	}
	if (n == 0)
		return xstrdup("strconv.ParseUint: parsing \"\": invalid syntax");
	if (v > 65535)
		return xasprintf("strconv.ParseUint: parsing \"%.*s\": value out of range", (int)n,
				 s);
	*ret = v;
	return NULL;
}

/* nat.ParsePortRange: "80" or "80-90" (what follows a second '-' is ignored). */
static char *port_range(const char *s, long *ret_lo, long *ret_hi)
{
	const char *dash = strchr(s, '-');
	char *msg;

	if (!*s)
		return xstrdup("empty string specified for ports");
	if (!dash) {
		msg = parse_port_number(s, strlen(s), ret_lo);
		*ret_hi = *ret_lo;
		return msg;
	}
	const char *end = strchr(dash + 1, '-');
	if ((msg = parse_port_number(s, (size_t)(dash - s), ret_lo)) ||
	    (msg = parse_port_number(dash + 1, end ? (size_t)(end - dash - 1) : strlen(dash + 1),
				     ret_hi)))
		return msg;
	if (*ret_hi < *ret_lo)
		return xasprintf("invalid range specified for port: %s", s);
	return NULL;
}

struct port_spec {
	char *ip, *host, *cont, *proto;
};

static void port_spec_done(struct port_spec *p)
{
	free(p->ip);
	free(p->host);
	free(p->cont);
	free(p->proto);
}

/* nat.splitParts and SplitProtoPort: [ip:][host:]container[/proto] */
static void split_port(const char *raw, struct port_spec *p, bool lower)
{
	const char *last = strrchr(raw, ':'), *prev = NULL, *cont = last ? last + 1 : raw;
	const char *slash = strchr(cont, '/');

	for (const char *c = raw; last && c < last; c++)
		if (*c == ':')
			prev = c;
	p->ip = prev ? xstrndup(raw, (size_t)(prev - raw)) : xstrdup("");
	p->host = !last	 ? xstrdup("")
		  : prev ? xstrndup(prev + 1, (size_t)(last - prev - 1))
			 : xstrndup(raw, (size_t)(last - raw));
	p->cont = slash ? xstrndup(cont, (size_t)(slash - cont)) : xstrdup(cont);
	if (!*p->cont) {
		p->proto = xstrdup("");
		return;
	}
	const char *end = slash ? strchr(slash + 1, '/') : NULL;
	p->proto =
		!slash || slash[1] == '\0' || slash[1] == '/'
			? xstrdup("tcp")
			: xstrndup(slash + 1, end ? (size_t)(end - slash - 1) : strlen(slash + 1));
	for (char *c = p->proto; lower && *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

/* nat.ParsePortSpec's checks; a message for the first problem. */
static char *check_port_spec(const char *raw, struct port_spec *p, long r[4])
{
	unsigned char addr[16];
	char *msg;

	if (p->ip[0] == '[') {
		size_t l = strlen(p->ip);
		if (l < 2 || p->ip[l - 1] != ']')
			return xasprintf("invalid IP address: %s", p->ip);
		memmove(p->ip, p->ip + 1, l - 2);
		p->ip[l - 2] = '\0';
	}
	if (*p->ip && inet_pton(AF_INET, p->ip, addr) != 1 && inet_pton(AF_INET6, p->ip, addr) != 1)
		return xasprintf("invalid IP address: %s", p->ip);
	if (!*p->cont)
		return xasprintf("no port specified: %s<empty>", raw);
	if ((msg = port_range(p->cont, &r[0], &r[1]))) {
		free(msg);
		return xasprintf("invalid containerPort: %s", p->cont);
	}
	if (*p->host && (msg = port_range(p->host, &r[2], &r[3]))) {
		free(msg);
		return xasprintf("invalid hostPort: %s", p->host);
	}
	if (*p->host && r[1] - r[0] != r[3] - r[2] && r[1] != r[0])
		return xasprintf("invalid ranges specified for container and host Ports: %s and %s",
				 p->cont, p->host);
	if (strcmp(p->proto, "tcp") && strcmp(p->proto, "udp") && strcmp(p->proto, "sctp"))
		return xasprintf("invalid proto: %s", p->proto);
	return NULL;
}

/* Keep the first -p/--expose problem for cli_run_build (docker checks every
 * -p, then every --expose, when it builds the body). */
static void defer_error(struct cli_run_opts *o, char *msg, bool expose)
{
	if (!o->deferred_error || (o->deferred_expose && !expose)) {
		free(o->deferred_error);
		o->deferred_error = msg;
		o->deferred_expose = expose;
		return;
	}
	free(msg);
}

/* docker's convertToStandardNotation: "target=80,published=8080,protocol=udp"
 * to "8080:80/udp" (other keys ignored). */
static char *publish_long_form(const char *arg, char **ret_msg)
{
	_cleanup_free_ char *target = xstrdup(""), *published = xstrdup("");
	_cleanup_free_ char *proto = xstrdup("tcp");
	const char *p = arg;

	for (;;) {
		const char *end = strchr(p, ','), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p);
		_cleanup_free_ char *param = xstrndup(p, n);
		eq = strchr(param, '=');
		if (!eq || eq == param) {
			*ret_msg =
				xasprintf("invalid publish opts format (should be name=value but "
					  "got '%s')",
					  param);
			return NULL;
		}
		char **slot = str_has_prefix(param, "target=")	    ? &target
			      : str_has_prefix(param, "published=") ? &published
			      : str_has_prefix(param, "protocol=")  ? &proto
								    : NULL;
		if (slot) {
			free(*slot);
			*slot = xstrdup(eq + 1);
		}
		if (!end)
			break;
		p = end + 1;
	}
	return xasprintf("%s:%s/%s", published, target, proto);
}

/* -p is checked when the body is built, as docker does: a bad one is kept
 * for cli_run_build to report. */
int cli_parse_publish(const char *arg, void *target, char **ret_msg)
{
	struct cli_run_opts *o =
		(struct cli_run_opts *)((char *)target -
					offsetof(struct cli_run_opts, port_bindings));
	_cleanup_(port_spec_done) struct port_spec p = { 0 };
	long r[4] = { 0 }; /* container lo, hi, host lo, hi */
	_cleanup_free_ char *std = NULL;
	char *msg = NULL;

	(void)ret_msg;
	if (strchr(arg, '=')) {
		if (!(std = publish_long_form(arg, &msg))) {
			defer_error(o, msg, false);
			return 0;
		}
		arg = std;
	}
	split_port(arg, &p, true);
	if ((msg = check_port_spec(arg, &p, r))) {
		defer_error(o, msg, false);
		return 0;
	}
	if (!o->port_bindings)
		o->port_bindings = json_object_new_object();
	if (!o->exposed_ports)
		o->exposed_ports = json_object_new_object();
	for (long i = 0; i <= r[1] - r[0]; i++) {
		_cleanup_free_ char *key = xasprintf("%ld/%s", r[0] + i, p.proto);
		_cleanup_free_ char *hp = !*p.host ? xstrdup("")
					  : r[1] == r[0] && r[3] != r[2]
						  ? xasprintf("%ld-%ld", r[2], r[3])
						  : xasprintf("%ld", r[2] + i);
		json_object *list = json_object_object_get(o->port_bindings, key);
		json_object *b = json_object_new_object();
		if (!list) {
			list = json_object_new_array();
			json_object_object_add(o->port_bindings, key, list);
		}
		json_object_object_add(b, "HostIp", json_object_new_string(p.ip));
		json_object_object_add(b, "HostPort", json_object_new_string(hp));
		json_object_array_add(list, b);
		json_object_object_add(o->exposed_ports, key, json_object_new_object());
	}
	return 0;
}

/* --expose PORT[-PORT][/PROTO], checked when the body is built like -p. */
int cli_parse_expose(const char *arg, void *target, char **ret_msg)
{
	struct cli_run_opts *o =
		(struct cli_run_opts *)((char *)target -
					offsetof(struct cli_run_opts, exposed_ports));
	_cleanup_(port_spec_done) struct port_spec p = { 0 };
	char *msg = NULL;
	long lo = 0, hi = 0;

	(void)ret_msg;
	if (strchr(arg, ':')) {
		msg = xasprintf("invalid port format for --expose: %s", arg);
	} else {
		split_port(arg, &p, false);
		char *why = port_range(p.cont, &lo, &hi);
		if (why)
			msg = xasprintf("invalid range format for --expose: %s, error: %s", arg,
					why);
		free(why);
	}
	if (msg) {
		defer_error(o, msg, true);
		return 0;
	}
	if (!o->exposed_ports)
		o->exposed_ports = json_object_new_object();
	for (long i = lo; i <= hi; i++) {
		_cleanup_free_ char *key = xasprintf("%ld/%s", i, *p.proto ? p.proto : "tcp");
		json_object_object_add(o->exposed_ports, key, json_object_new_object());
	}
	return 0;
}

/* docker's opts.ValidateSysctl: the namespaced sysctls a container may set. */
int cli_parse_sysctl(const char *arg, void *target, char **ret_msg)
{
	static const char *const names[] = { "kernel.msgmax", "kernel.msgmnb",
					     "kernel.msgmni", "kernel.sem",
					     "kernel.shmall", "kernel.shmmax",
					     "kernel.shmmni", "kernel.shm_rmid_forced" };
	static const char *const prefixes[] = { "fs.mqueue.", "net." };
	char ***list = target;
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *name = eq ? xstrndup(arg, (size_t)(eq - arg)) : NULL;
	bool ok = false;

	for (size_t i = 0; name && i < ARRAY_SIZE(names); i++)
		ok = ok || strcmp(names[i], name) == 0;
	for (size_t i = 0; name && i < ARRAY_SIZE(prefixes); i++)
		ok = ok || str_has_prefix(name, prefixes[i]);
	if (!ok) {
		*ret_msg = xasprintf("sysctl '%s' is not allowed", arg);
		return -EINVAL;
	}
	strv_push(list, arg);
	return 0;
}

int cli_parse_ulimit(const char *arg, void *target, char **ret_msg)
{
	static const char *const names[] = {
		"core",	  "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
		"nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"
	};
	json_object **list = target;
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *name = eq ? xstrndup(arg, (size_t)(eq - arg)) : NULL;
	_cleanup_free_ char *soft = NULL;
	const char *colon;
	int64_t s, h;
	bool known = false;

	if (!eq || strchr(eq + 1, '=')) {
		*ret_msg = xasprintf("invalid ulimit argument: %s", arg);
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		known = known || strcmp(names[i], name) == 0;
	if (!known) {
		*ret_msg = xasprintf("invalid ulimit type: %s", name);
		return -EINVAL;
	}
	colon = strchr(eq + 1, ':');
	soft = colon ? xstrndup(eq + 1, (size_t)(colon - eq - 1)) : xstrdup(eq + 1);
	if (str_to_int64(soft, &s) < 0 || (colon && str_to_int64(colon + 1, &h) < 0)) {
		*ret_msg = xasprintf("strconv.ParseInt: parsing \"%s\": invalid syntax",
				     str_to_int64(soft, &s) < 0 ? soft : colon + 1);
		return -EINVAL;
	}
	if (!colon)
		h = s;
	if (s > h) {
		*ret_msg = xasprintf("ulimit soft limit must be less than or equal to hard limit: "
				     "%lld > %lld",
				     (long long)s, (long long)h);
		return -EINVAL;
	}
	if (!*list)
		*list = json_object_new_array();
	json_object *u = json_object_new_object();
	json_object_object_add(u, "Name", json_object_new_string(name));
	json_object_object_add(u, "Hard", json_object_new_int64(h));
	json_object_object_add(u, "Soft", json_object_new_int64(s));
	json_object_array_add(*list, u);
	return 0;
}

int cli_parse_device(const char *arg, void *target, char **ret_msg)
{
	_cleanup_free_ char *s = xstrdup(arg);
	json_object **list = target, *d;
	char *parts[3] = { NULL, NULL, NULL }, *save = NULL;
	int n = 0;

	for (char *p = strtok_r(s, ":", &save); p && n < 3; p = strtok_r(NULL, ":", &save))
		parts[n++] = p;
	if (n == 0 || parts[0][0] != '/') {
		*ret_msg = xasprintf("invalid device path: %s", arg);
		return -EINVAL;
	}
	if (n == 2 && parts[1][0] != '/') {
		parts[2] = parts[1];
		parts[1] = NULL;
	}
	if (!*list)
		*list = json_object_new_array();
	d = json_object_new_object();
	json_object_object_add(d, "PathOnHost", json_object_new_string(parts[0]));
	json_object_object_add(d, "PathInContainer",
			       json_object_new_string(parts[1] ? parts[1] : parts[0]));
	json_object_object_add(d, "CgroupPermissions",
			       json_object_new_string(parts[2] ? parts[2] : "rwm"));
	json_object_array_add(*list, d);
	return 0;
}
