/* A container's networking: its endpoints on networks, its network namespace,
 * published ports and embedded DNS, from create to exit and across daemon
 * restarts.
 *
 * The state is one JSON object, c->net, stored with the container record:
 *   { "Endpoints": { "<network id>": { "Name", "Config" (EndpointSettings as
 *       asked), and while running: "EndpointID", "IPAddress", "MacAddress",
 *       "IfName", "HostIf" } },
 *     "SandboxKey": "<exec-root>/netns/<id>" (while running),
 *     "Ports": [ { "Proto", "HostIp", "HostPort", "Port", "Target", "Bridge" } ] }
 * A running container's leases are the addresses of its endpoints; the
 * daemon reserves them again at start (containers_net_restore), so none is
 * handed out twice. The namespace is created by berthd and bind-mounted under
 * the exec root, so it outlives the daemon, and the runtime joins it by path.
 */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "container-net-internal.h"
#include "dns.h"
#include "networks.h"

const char *container_net_mode(const struct container *c)
{
	const char *m = net_str(c->host_config, "NetworkMode");
	return str_is_empty(m) || strcmp(m, "default") == 0 ? "bridge" : m;
}

bool container_net_mode_is(const struct container *c, const char *mode)
{
	const char *m = container_net_mode(c);
	if (strcmp(mode, "container") == 0)
		return str_has_prefix(m, "container:");
	return strcmp(m, mode) == 0;
}

json_object *container_net_endpoints(const struct container *c)
{
	return c->net ? jget(c->net, "Endpoints") : NULL;
}

/* ---- create: which networks, with what settings ---- */

static int check_endpoint_config(struct net_rec *n, json_object *cfg, struct berth_error **err)
{
	json_object *ipam = jget(cfg, "IPAMConfig"), *aliases = jget(cfg, "Aliases");
	const char *ip = ipam ? net_str(ipam, "IPv4Address") : NULL;
	const char *mac = net_str(cfg, "MacAddress");
	uint8_t m[6];

	if (!str_is_empty(ip)) {
		struct in_addr a;
		if (!n->user_subnet || !network_is_user_defined(n))
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"user specified IP address is supported only when "
				"connecting to networks with user configured subnets");
		if (inet_pton(AF_INET, ip, &a) != 1)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid IPv4 address: %s", ip);
		if (!net_cidr_contains(&n->subnet, a))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "no configured subnet contains IP address %s", ip);
	}
	if (aliases && json_object_is_type(aliases, json_type_array) &&
	    json_object_array_length(aliases) && !network_is_user_defined(n))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "network-scoped alias is supported only for containers in "
				       "user defined networks");
	if (!str_is_empty(mac) && net_mac_parse(mac, m) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid MAC address: %s", mac);
	return 0;
}

/* Add an endpoint record for n (no address yet). */
static int add_endpoint(struct container *c, struct net_rec *n, json_object *cfg,
			struct berth_error **err)
{
	json_object *eps = container_net_endpoints(c), *ep = json_object_new_object();
	json_object *copy = NULL;
	int r;

	if (cfg && json_object_is_type(cfg, json_type_object)) {
		if ((r = check_endpoint_config(n, cfg, err)) < 0) {
			json_object_put(ep);
			return r;
		}
		if (json_object_deep_copy(cfg, &copy, NULL) < 0)
			abort();
	} else {
		copy = json_object_new_object();
	}
	jadd(ep, "Name", jstr(n->name));
	jadd(ep, "Config", copy);
	jadd(eps, n->id, ep);
	return 0;
}

int container_net_create(struct daemon *d, struct container *c, json_object *networking,
			 struct berth_error **err)
{
	json_object *epcfg = networking ? jget(networking, "EndpointsConfig") : NULL;
	const char *mode = container_net_mode(c);
	struct net_rec *n = NULL;
	int r;

	c->net = json_object_new_object();
	jadd(c->net, "Endpoints", json_object_new_object());
	if (strcmp(mode, "none") == 0 || strcmp(mode, "host") == 0 ||
	    str_has_prefix(mode, "container:"))
		return 0;
	/* Not NOT_FOUND: the docker CLI takes a 404 for a missing image and pulls. */
	_cleanup_error_ struct berth_error *e = NULL;
	if (network_lookup(d, mode, &n, &e) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s", e->msg);
	if (strcmp(n->driver, "bridge") != 0)
		return 0; /* "--network <id of host>" */
	/* The mode's own endpoint first: it carries the default route. */
	json_object *own = NULL;
	if (epcfg && json_object_is_type(epcfg, json_type_object)) {
		own = jget(epcfg, net_str(c->host_config, "NetworkMode"));
		if (!own)
			own = jget(epcfg, mode);
		if (!own)
			own = jget(epcfg, n->name);
		if (!own && n == network_default_bridge(d))
			own = jget(epcfg, "default");
		if (!own)
			own = jget(epcfg, n->id);
	}
	if ((r = add_endpoint(c, n, own, err)) < 0)
		return r;
	if (!epcfg || !json_object_is_type(epcfg, json_type_object))
		return 0;
	json_object_object_foreach (epcfg, key, val) {
		struct net_rec *other = NULL;
		if (strcmp(key, "default") == 0 || val == own)
			continue; /* the mode's own, as the docker CLI names it */
		if (network_lookup(d, key, &other, &e) < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s", e->msg);
		if (other == n)
			continue;
		if (strcmp(other->driver, "bridge") != 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "container cannot be connected to network '%s' "
					       "and '%s' at once",
					       n->name, other->name);
		if ((r = add_endpoint(c, other, val, err)) < 0)
			return r;
	}
	return 0;
}

/* ---- start and exit ---- */

char *container_netns_path(struct daemon *d, const struct container *c)
{
	return xasprintf("%s/netns/%s", d->exec_root, c->id);
}

static void random_ifname(char buf[16])
{
	char id[65];
	random_id(id);
	(void)snprintf(buf, 16, "veth%.7s", id);
}

/* Attach one endpoint inside the namespace: address, veth, record. */
static int endpoint_up(struct daemon *d, struct container *c, struct net_rec *n, json_object *ep,
		       unsigned index, const char *nspath, struct berth_error **err)
{
	json_object *cfg = jget(ep, "Config"), *ipam = cfg ? jget(cfg, "IPAMConfig") : NULL;
	const char *want = ipam ? net_str(ipam, "IPv4Address") : NULL;
	const char *mac_s = cfg ? net_str(cfg, "MacAddress") : NULL;
	struct in_addr req, ip;
	uint8_t mac[6];
	char host_if[16], ifname[16], macbuf[18], epid[65];
	int r;

	if (!str_is_empty(want) && inet_pton(AF_INET, want, &req) != 1)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid IPv4 address: %s", want);
	if (index == 0 && str_is_empty(mac_s))
		mac_s = net_str(c->config, "MacAddress"); /* docker before API 1.44 */
	if ((r = network_ip_take(d, n, str_is_empty(want) ? NULL : &req, &ip, err)) < 0)
		return r;
	if (!str_is_empty(mac_s)) {
		if (net_mac_parse(mac_s, mac) < 0) {
			network_ip_release(d, n, ip);
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid MAC address: %s",
					       mac_s);
		}
	} else {
		net_mac_from_ip(ip, mac);
	}
	random_ifname(host_if);
	(void)snprintf(ifname, sizeof(ifname), "eth%u", index);
	struct net_veth_config vc = {
		.bridge = n->bridge,
		.host_if = host_if,
		.netns = nspath,
		.ifname = ifname,
		.mtu = n->mtu,
		.mac = mac,
		.addr = { .addr = ip, .prefix = n->subnet.prefix },
		.gateway = index == 0 && !n->internal ? &n->gateway : NULL,
	};
	if ((r = net_veth_attach(&vc, err)) < 0) {
		network_ip_release(d, n, ip);
		return berth_error_wrap(err, "attach to network %s", n->name);
	}
	_cleanup_free_ char *ips = net_ip_format(ip);
	net_mac_format(mac, macbuf);
	random_id(epid);
	jadd(ep, "EndpointID", jstr(epid));
	jadd(ep, "IPAddress", jstr(ips));
	jadd(ep, "MacAddress", jstr(macbuf));
	jadd(ep, "IfName", jstr(ifname));
	jadd(ep, "HostIf", jstr(host_if));
	return 0;
}

/* Forget an endpoint's live part and give its address back. */
static void endpoint_down(struct daemon *d, struct net_rec *n, json_object *ep)
{
	const char *ip = net_str(ep, "IPAddress");
	struct in_addr a;

	if (n && ip && inet_pton(AF_INET, ip, &a) == 1)
		network_ip_release(d, n, a);
	static const char *const live[] = { "EndpointID", "IPAddress", "MacAddress", "IfName",
					    "HostIf" };
	for (size_t i = 0; i < ARRAY_SIZE(live); i++)
		json_object_object_del(ep, live[i]);
}

static size_t dns_lookup(void *data, const char *name, struct in_addr *out, size_t max)
{
	return container_dns_lookup(the_daemon, data, name, out, max);
}

static int start_dns(struct daemon *d, struct container *c, struct berth_error **err)
{
	struct net_dns_upstreams up = *network_upstreams(d);
	json_object *dns = jget(c->host_config, "Dns");
	const char *path = net_str(c->net, "SandboxKey");

	/* --dns on a user-defined network: the resolver's upstreams, as docker. */
	if (dns && json_object_is_type(dns, json_type_array) && json_object_array_length(dns)) {
		up.n = 0;
		for (size_t i = 0; i < json_object_array_length(dns) && up.n < 3; i++) {
			struct sockaddr_in *s = &up.servers[up.n];
			const char *v = json_object_get_string(json_object_array_get_idx(dns, i));
			memset(s, 0, sizeof(*s));
			s->sin_family = AF_INET;
			s->sin_port = htons(53);
			if (v && inet_pton(AF_INET, v, &s->sin_addr) == 1)
				up.n++;
		}
	}
	return net_dns_start(d->loop, path, &up, dns_lookup, c, &c->dns, err);
}

bool container_net_needs_dns(struct daemon *d, const struct container *c)
{
	json_object *eps = container_net_endpoints(c);
	struct net_rec *n = NULL;

	if (!eps)
		return false;
	json_object_object_foreach (eps, id, ep) {
		(void)ep;
		if (network_lookup(d, id, &n, NULL) == 0 && network_is_user_defined(n))
			return true;
	}
	return false;
}

int container_net_setup(struct daemon *d, struct container *c, struct berth_error **err)
{
	json_object *eps = container_net_endpoints(c);
	unsigned index = 0;
	int r;

	if (!c->net) {
		c->net = json_object_new_object();
		jadd(c->net, "Endpoints", json_object_new_object());
		eps = container_net_endpoints(c);
	}
	/* A record from before networks existed: its mode's network. */
	if (json_object_object_length(eps) == 0 && !container_net_mode_is(c, "host") &&
	    !container_net_mode_is(c, "none") && !container_net_mode_is(c, "container")) {
		struct net_rec *n = NULL;
		if (network_lookup(d, container_net_mode(c), &n, err) < 0)
			return r = -ENOENT;
		if (strcmp(n->driver, "bridge") == 0 && (r = add_endpoint(c, n, NULL, err)) < 0)
			return r;
	}
	if (json_object_object_length(eps) == 0)
		return 0;
	_cleanup_free_ char *dir = xasprintf("%s/netns", d->exec_root);
	_cleanup_free_ char *path = container_netns_path(d, c);
	(void)mkdir(dir, 0700);
	if ((r = net_ns_create(path, err)) < 0)
		return r;
	jadd(c->net, "SandboxKey", jstr(path));
	json_object_object_foreach (eps, id, ep) {
		struct net_rec *n = NULL;
		if ((r = network_lookup(d, id, &n, err)) < 0) {
			const char *name = net_str(ep, "Name");
			berth_error_free(*err);
			*err = NULL;
			r = berth_error_set(err, 0, BERTH_ERR_NOT_FOUND, "network %s not found",
					    name ? name : id);
			goto fail;
		}
		if ((r = endpoint_up(d, c, n, ep, index++, path, err)) < 0)
			goto fail;
	}
	if ((r = container_ports_publish(d, c, err)) < 0)
		goto fail;
	if (container_net_needs_dns(d, c) && (r = start_dns(d, c, err)) < 0)
		goto fail;
	/* Recorded before the container runs: a daemon killed from here on finds
	 * the leases in the record. */
	if ((r = container_save(d, c, err)) < 0)
		goto fail;
	return 0;
fail:
	container_net_teardown(d, c);
	return r;
}

void container_net_teardown(struct daemon *d, struct container *c)
{
	json_object *eps = container_net_endpoints(c);
	const char *path = c->net ? net_str(c->net, "SandboxKey") : NULL;

	c->dns = net_dns_stop(c->dns);
	container_ports_unpublish(d, c);
	if (eps) {
		json_object_object_foreach (eps, id, ep) {
			struct net_rec *n = NULL;
			(void)network_lookup(d, id, &n, NULL);
			endpoint_down(d, n, ep);
		}
	}
	if (path) {
		_cleanup_error_ struct berth_error *e = NULL;
		if (net_ns_remove(path, &e) < 0)
			log_warn("Cannot remove network namespace of %.12s: %s", c->id, e->msg);
		json_object_object_del(c->net, "SandboxKey");
	}
}

/* ---- connect and disconnect (POST /networks/{id}/connect, disconnect) ---- */

int container_net_connect(struct daemon *d, struct container *c, struct net_rec *n,
			  json_object *endpoint_config, struct berth_error **err)
{
	json_object *eps = container_net_endpoints(c);
	int r;

	if (container_net_mode_is(c, "host") || container_net_mode_is(c, "container") ||
	    strcmp(n->driver, "bridge") != 0)
		return berth_error_set(err, 0, BERTH_ERR_FORBIDDEN,
				       "container cannot be disconnected from host network or "
				       "connected to host network");
	if (container_net_mode_is(c, "none"))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "container cannot be connected to multiple networks with "
				       "one of the networks in private (none) mode");
	if (jget(eps, n->id))
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "endpoint with name %s already exists in network %s",
				       c->name, n->name);
	if ((r = add_endpoint(c, n, endpoint_config, err)) < 0)
		return r;
	json_object *ep = jget(eps, n->id);
	if (ct_is_running(c) && net_str(c->net, "SandboxKey")) {
		unsigned index = 0;
		json_object_object_foreach (eps, id, e) {
			(void)id;
			if (e != ep && net_str(e, "IfName"))
				index++;
		}
		if ((r = endpoint_up(d, c, n, ep, index, net_str(c->net, "SandboxKey"), err)) < 0 ||
		    (network_is_user_defined(n) && !c->dns && (r = start_dns(d, c, err)) < 0)) {
			json_object_object_del(eps, n->id);
			return r;
		}
		(void)container_write_etc_files(d, c, NULL);
	} else if (ct_is_running(c)) {
		json_object_object_del(eps, n->id);
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "container %s has no network namespace of its own", c->name);
	}
	if ((r = container_save(d, c, err)) < 0)
		return r;
	network_event(d, n, "connect", c);
	return 0;
}

int container_net_disconnect(struct daemon *d, struct container *c, struct net_rec *n, bool force,
			     struct berth_error **err)
{
	json_object *eps = container_net_endpoints(c), *ep = eps ? jget(eps, n->id) : NULL;
	int r;

	if (!ep) {
		if (force)
			return 0;
		return berth_error_set(err, 0, BERTH_ERR_FORBIDDEN,
				       "container %s is not connected to network %s", c->id,
				       n->name);
	}
	const char *ifname = net_str(ep, "IfName");
	if (ifname && net_str(c->net, "SandboxKey")) {
		_cleanup_error_ struct berth_error *e = NULL;
		if (net_veth_detach(net_str(c->net, "SandboxKey"), ifname, &e) < 0 && !force)
			return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "disconnect: %s",
					       e->msg);
	}
	container_ports_unpublish_on(d, c, n);
	endpoint_down(d, n, ep);
	json_object_object_del(eps, n->id);
	if (c->dns && !container_net_needs_dns(d, c))
		c->dns = net_dns_stop(c->dns);
	if (ct_is_running(c))
		(void)container_write_etc_files(d, c, NULL);
	if ((r = container_save(d, c, err)) < 0)
		return r;
	network_event(d, n, "disconnect", c);
	return 0;
}

bool network_has_active_endpoints(struct daemon *d, const struct net_rec *n)
{
	for (size_t i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		json_object *eps = container_net_endpoints(c), *ep = eps ? jget(eps, n->id) : NULL;
		if (ep && (ct_is_running(c) || net_str(ep, "IPAddress")))
			return true;
	}
	return false;
}

/* ---- daemon restart ---- */

void containers_net_restore(struct daemon *d)
{
	_cleanup_free_ char *dir = xasprintf("%s/netns", d->exec_root);

	for (size_t i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		json_object *eps = container_net_endpoints(c);
		_cleanup_error_ struct berth_error *err = NULL;
		if (!eps || !c->net || !net_str(c->net, "SandboxKey"))
			continue;
		if (!ct_is_running(c) && !c->mon) {
			container_net_teardown(d, c);
			(void)container_save(d, c, NULL);
			continue;
		}
		json_object_object_foreach (eps, id, ep) {
			struct net_rec *n = NULL;
			const char *ip = net_str(ep, "IPAddress");
			struct in_addr a, got;
			if (!ip || inet_pton(AF_INET, ip, &a) != 1 ||
			    network_lookup(d, id, &n, NULL) < 0)
				continue;
			if (network_ip_take(d, n, &a, &got, &err) < 0) {
				log_warn("Container %.12s: address %s: %s", c->id, ip, err->msg);
				berth_error_free(err);
				err = NULL;
			}
		}
		if (container_ports_restore(d, c, &err) < 0) {
			log_warn("Container %.12s: published ports: %s", c->id, err->msg);
			berth_error_free(err);
			err = NULL;
		}
		if (container_net_needs_dns(d, c) && start_dns(d, c, &err) < 0)
			log_warn("Container %.12s: embedded DNS: %s", c->id, err->msg);
	}
	/* Namespaces left by containers that are gone. */
	DIR *dp = opendir(dir);
	struct dirent *de;
	while (dp && (de = readdir(dp))) {
		struct container *c = NULL;
		if (de->d_name[0] == '.')
			continue;
		if (container_lookup(d, de->d_name, &c, NULL) == 0 && c->net &&
		    net_str(c->net, "SandboxKey"))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
		(void)net_ns_remove(p, NULL);
	}
	if (dp)
		closedir(dp);
}

char *container_netns_join(struct daemon *d, const struct container *c, struct berth_error **err)
{
	const char *mode = container_net_mode(c);
	struct container *o = NULL;

	if (str_has_prefix(mode, "container:")) {
		if (container_lookup(d, mode + strlen("container:"), &o, err) < 0)
			return NULL;
		if (!ct_is_running(o) || o->pid <= 0) {
			(void)berth_error_set(err, 0, BERTH_ERR_CONFLICT,
					      "cannot join network namespace of a non running "
					      "container: container %s is not running",
					      o->name);
			return NULL;
		}
		if (o->net && net_str(o->net, "SandboxKey"))
			return xstrdup(net_str(o->net, "SandboxKey"));
		return xasprintf("/proc/%d/ns/net", o->pid);
	}
	if (c->net && net_str(c->net, "SandboxKey"))
		return xstrdup(net_str(c->net, "SandboxKey"));
	return NULL;
}
