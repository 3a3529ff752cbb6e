/* A container's network as the API shows it (NetworkSettings, network
 * inspect's Containers), the names the embedded DNS answers for it, and the
 * /etc/hosts lines of its addresses and links. */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "container-internal.h"
#include "container-net-internal.h"

static json_object *dup_or_null(json_object *o)
{
	json_object *copy = NULL;
	if (!o || json_object_is_type(o, json_type_null))
		return NULL;
	if (json_object_deep_copy(o, &copy, NULL) < 0)
		abort();
	return copy;
}

static json_object *dns_names(const struct container *c, json_object *cfg)
{
	json_object *a = json_object_new_array(), *aliases = cfg ? jget(cfg, "Aliases") : NULL;
	char short_id[13];

	(void)snprintf(short_id, sizeof(short_id), "%.12s", c->id);
	json_object_array_add(a, jstr(c->name));
	json_object_array_add(a, jstr(short_id));
	for (size_t i = 0; aliases && json_object_is_type(aliases, json_type_array) &&
			   i < json_object_array_length(aliases);
	     i++)
		json_object_array_add(a, json_object_get(json_object_array_get_idx(aliases, i)));
	return a;
}

/* One EndpointSettings in docker's shape. */
static json_object *endpoint_json(struct daemon *d, const struct container *c, struct net_rec *n,
				  json_object *ep)
{
	json_object *o = json_object_new_object(), *cfg = ep ? jget(ep, "Config") : NULL;
	const char *ip = ep ? net_str(ep, "IPAddress") : NULL;
	bool live = ip && ct_is_running(c);

	(void)d;
	jadd(o, "IPAMConfig", dup_or_null(cfg ? jget(cfg, "IPAMConfig") : NULL));
	jadd(o, "Links", dup_or_null(cfg ? jget(cfg, "Links") : NULL));
	jadd(o, "Aliases", dup_or_null(cfg ? jget(cfg, "Aliases") : NULL));
	jadd(o, "MacAddress", jstr(live ? net_str(ep, "MacAddress") : ""));
	jadd(o, "DriverOpts", dup_or_null(cfg ? jget(cfg, "DriverOpts") : NULL));
	jadd(o, "GwPriority", json_object_new_int(0));
	jadd(o, "NetworkID", jstr(n ? n->id : ""));
	jadd(o, "EndpointID", jstr(live ? net_str(ep, "EndpointID") : ""));
	_cleanup_free_ char *gw = n && live && !n->internal ? net_ip_format(n->gateway) : NULL;
	jadd(o, "Gateway", jstr(gw ? gw : ""));
	jadd(o, "IPAddress", jstr(live ? ip : ""));
	jadd(o, "IPPrefixLen", json_object_new_int(live ? (int)n->subnet.prefix : 0));
	jadd(o, "IPv6Gateway", jstr(""));
	jadd(o, "GlobalIPv6Address", jstr(""));
	jadd(o, "GlobalIPv6PrefixLen", json_object_new_int(0));
	jadd(o, "DNSNames", n && network_is_user_defined(n) ? dns_names(c, cfg) : NULL);
	return o;
}

json_object *container_networks_json(struct daemon *d, const struct container *c)
{
	json_object *nets = json_object_new_object(), *eps = container_net_endpoints(c);
	const char *mode = container_net_mode(c);
	struct net_rec *n = NULL;

	if (str_has_prefix(mode, "container:"))
		return nets;
	if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0) {
		(void)network_lookup(d, mode, &n, NULL);
		jadd(nets, mode, endpoint_json(d, c, n, NULL));
		return nets;
	}
	if (!eps)
		return nets;
	json_object_object_foreach (eps, id, ep) {
		n = NULL;
		(void)network_lookup(d, id, &n, NULL);
		const char *name = n ? n->name : net_str(ep, "Name");
		jadd(nets, name ? name : id, endpoint_json(d, c, n, ep));
	}
	return nets;
}

json_object *container_network_json(struct daemon *d, const struct container *c)
{
	json_object *o = json_object_new_object(), *eps = container_net_endpoints(c);
	struct net_rec *def = network_default_bridge(d);
	json_object *ep = eps && def ? jget(eps, def->id) : NULL;
	const char *ip = ep && ct_is_running(c) ? net_str(ep, "IPAddress") : NULL;
	const char *key = c->net && ct_is_running(c) ? net_str(c->net, "SandboxKey") : NULL;

	jadd(o, "Bridge", jstr(""));
	jadd(o, "SandboxID", jstr(key ? c->id : ""));
	jadd(o, "HairpinMode", json_object_new_boolean(0));
	jadd(o, "LinkLocalIPv6Address", jstr(""));
	jadd(o, "LinkLocalIPv6PrefixLen", json_object_new_int(0));
	jadd(o, "Ports", container_ports_map_json(c));
	jadd(o, "SandboxKey", jstr(key ? key : ""));
	jadd(o, "SecondaryIPAddresses", NULL);
	jadd(o, "SecondaryIPv6Addresses", NULL);
	jadd(o, "EndpointID", jstr(ip ? net_str(ep, "EndpointID") : ""));
	_cleanup_free_ char *gw = ip ? net_ip_format(def->gateway) : NULL;
	jadd(o, "Gateway", jstr(gw ? gw : ""));
	jadd(o, "GlobalIPv6Address", jstr(""));
	jadd(o, "GlobalIPv6PrefixLen", json_object_new_int(0));
	jadd(o, "IPAddress", jstr(ip ? ip : ""));
	jadd(o, "IPPrefixLen", json_object_new_int(ip ? (int)def->subnet.prefix : 0));
	jadd(o, "IPv6Gateway", jstr(""));
	jadd(o, "MacAddress", jstr(ip ? net_str(ep, "MacAddress") : ""));
	jadd(o, "Networks", container_networks_json(d, c));
	return o;
}

json_object *network_containers_json(struct daemon *d, const struct net_rec *n)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		json_object *eps = container_net_endpoints(c), *ep = eps ? jget(eps, n->id) : NULL;
		if (!ep || !ct_is_running(c) || !net_str(ep, "IPAddress"))
			continue;
		json_object *e = json_object_new_object();
		_cleanup_free_ char *cidr =
			xasprintf("%s/%u", net_str(ep, "IPAddress"), n->subnet.prefix);
		jadd(e, "Name", jstr(c->name));
		jadd(e, "EndpointID", jstr(net_str(ep, "EndpointID")));
		jadd(e, "MacAddress", jstr(net_str(ep, "MacAddress")));
		jadd(e, "IPv4Address", jstr(cidr));
		jadd(e, "IPv6Address", jstr(""));
		jadd(o, c->id, e);
	}
	return o;
}

void network_event(struct daemon *d, const struct net_rec *n, const char *action,
		   const struct container *c)
{
	json_object *attrs = json_object_new_object();

	jadd(attrs, "container", jstr(c->id));
	jadd(attrs, "name", jstr(n->name));
	jadd(attrs, "type", jstr(n->driver));
	api_event(d, "network", action, n->id, attrs);
}

/* ---- embedded DNS ---- */

static bool answers_to(const struct container *o, json_object *ep, const char *name)
{
	json_object *cfg = jget(ep, "Config"), *aliases = cfg ? jget(cfg, "Aliases") : NULL;

	if (strcasecmp(o->name, name) == 0 || (strlen(name) == 12 && str_has_prefix(o->id, name)))
		return true;
	for (size_t i = 0; aliases && json_object_is_type(aliases, json_type_array) &&
			   i < json_object_array_length(aliases);
	     i++)
		if (strcasecmp(json_object_get_string(json_object_array_get_idx(aliases, i)),
			       name) == 0)
			return true;
	return false;
}

size_t container_dns_lookup(struct daemon *d, struct container *c, const char *name,
			    struct in_addr *out, size_t max)
{
	json_object *eps = container_net_endpoints(c);
	size_t n_out = 0;

	if (!eps)
		return 0;
	json_object_object_foreach (eps, id, mine) {
		struct net_rec *n = NULL;
		if (!net_str(mine, "IPAddress") || network_lookup(d, id, &n, NULL) < 0 ||
		    !network_is_user_defined(n))
			continue;
		for (size_t i = 0; i < d->n_containers && n_out < max; i++) {
			struct container *o = d->containers[i];
			json_object *oeps = container_net_endpoints(o);
			json_object *ep = oeps ? jget(oeps, id) : NULL;
			struct in_addr a;
			if (!ep || !ct_is_running(o) || !net_str(ep, "IPAddress") ||
			    !answers_to(o, ep, name) ||
			    inet_pton(AF_INET, net_str(ep, "IPAddress"), &a) != 1)
				continue;
			bool dup = false;
			for (size_t k = 0; k < n_out; k++)
				dup |= out[k].s_addr == a.s_addr;
			if (!dup)
				out[n_out++] = a;
		}
	}
	return n_out;
}

/* ---- /etc/hosts ---- */

static void append(char **t, const char *line)
{
	char *n = xasprintf("%s%s", *t, line);
	free(*t);
	*t = n;
}

/* An address of o on a network c is also on (the first one), else any. */
static const char *shared_ip(const struct container *c, const struct container *o)
{
	json_object *mine = container_net_endpoints(c), *theirs = container_net_endpoints(o);
	const char *any = NULL;

	if (!theirs)
		return NULL;
	json_object_object_foreach (theirs, id, ep) {
		const char *ip = net_str(ep, "IPAddress");
		if (!ip)
			continue;
		if (mine && jget(mine, id))
			return ip;
		if (!any)
			any = ip;
	}
	return any;
}

char *container_hosts_extra(struct daemon *d, const struct container *c)
{
	json_object *eps = container_net_endpoints(c), *links = jget(c->host_config, "Links");
	json_object *hn = jget(c->config, "Hostname");
	const char *hostname = hn ? json_object_get_string(hn) : c->id;
	char *t = xstrdup("");

	/* Links first: "name:alias" or dockerd's "/name:/me/alias". */
	for (size_t i = 0; links && json_object_is_type(links, json_type_array) &&
			   i < json_object_array_length(links);
	     i++) {
		_cleanup_free_ char *l =
			xstrdup(json_object_get_string(json_object_array_get_idx(links, i)));
		char *colon = strchr(l, ':');
		const char *target = l[0] == '/' ? l + 1 : l, *alias;
		struct container *o = NULL;
		if (colon) {
			*colon = '\0';
			alias = strrchr(colon + 1, '/') ? strrchr(colon + 1, '/') + 1 : colon + 1;
		} else {
			alias = target;
		}
		if (container_lookup(d, target, &o, NULL) < 0 || !ct_is_running(o))
			continue;
		const char *ip = shared_ip(c, o);
		if (!ip)
			continue;
		_cleanup_free_ char *line =
			strcmp(alias, o->name) == 0
				? xasprintf("%s\t%s %.12s\n", ip, alias, o->id)
				: xasprintf("%s\t%s %.12s %s\n", ip, alias, o->id, o->name);
		append(&t, line);
	}
	if (eps) {
		json_object_object_foreach (eps, id, ep) {
			(void)id;
			const char *ip = net_str(ep, "IPAddress");
			if (!ip)
				continue;
			_cleanup_free_ char *line = xasprintf("%s\t%s\n", ip, hostname);
			append(&t, line);
		}
	}
	return t;
}
