/* Published ports: HostConfig.PortBindings and PublishAllPorts turned into
 * DNAT entries in berth's nftables table, each host port held by a bound (not
 * listening) socket so no other program takes it meanwhile. Records live in
 * c->net.Ports; the sockets in c->port_fds. */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "container-net-internal.h"

/* "80/tcp" -> 80, IPPROTO_TCP; sctp and bad text refused. */
static int port_key_parse(const char *key, uint16_t *port, int *proto)
{
	char *end = NULL;
	unsigned long p = strtoul(key, &end, 10);

	if (end == key || p == 0 || p > 65535)
		return -EINVAL;
	if (*end == '\0' || strcmp(end, "/tcp") == 0)
		*proto = IPPROTO_TCP;
	else if (strcmp(end, "/udp") == 0)
		*proto = IPPROTO_UDP;
	else
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static const char *proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void add_fd(struct container *c, int fd)
{
	c->port_fds = xrealloc(c->port_fds, (c->n_port_fds + 1) * sizeof(int));
	c->port_fds[c->n_port_fds++] = fd;
}

/* Another container of ours holds host_ip:port/proto? */
static bool port_taken_by_us(struct daemon *d, int proto, struct in_addr ip, uint16_t port)
{
	for (size_t i = 0; i < d->n_containers; i++) {
		json_object *ports =
			d->containers[i]->net ? jget(d->containers[i]->net, "Ports") : NULL;
		for (size_t k = 0; ports && k < json_object_array_length(ports); k++) {
			json_object *p = json_object_array_get_idx(ports, k);
			struct in_addr other;
			if (strcmp(net_str(p, "Proto"), proto_name(proto)) != 0 ||
			    json_object_get_int(jget(p, "HostPort")) != port ||
			    inet_pton(AF_INET, net_str(p, "HostIp"), &other) != 1)
				continue;
			if (other.s_addr == ip.s_addr || other.s_addr == INADDR_ANY ||
			    ip.s_addr == INADDR_ANY)
				return true;
		}
	}
	return false;
}

/* The endpoint published ports lead to: the one with the default route. */
static json_object *primary_endpoint(struct daemon *d, struct container *c, struct net_rec **ret)
{
	json_object *eps = container_net_endpoints(c);

	if (!eps)
		return NULL;
	json_object_object_foreach (eps, id, ep) {
		if (net_str(ep, "IfName") && strcmp(net_str(ep, "IfName"), "eth0") == 0 &&
		    network_lookup(d, id, ret, NULL) == 0)
			return ep;
	}
	return NULL;
}

static int publish_one(struct daemon *d, struct container *c, struct net_rec *n, json_object *ep,
		       int proto, uint16_t ct_port, const char *host_ip, const char *host_port,
		       struct berth_error **err)
{
	struct in_addr hip = { .s_addr = INADDR_ANY }, target;
	unsigned long lo = 0, hi = 0;
	char *end = NULL;
	int fd = -1;

	if (!str_is_empty(host_ip) && inet_pton(AF_INET, host_ip, &hip) != 1)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: publishing on '%s' is not supported yet (IPv4 "
				       "addresses only)",
				       host_ip);
	if (!str_is_empty(host_port)) {
		lo = hi = strtoul(host_port, &end, 10);
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (*end || lo == 0 || hi > 65535 || hi < lo)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid port specification: \"%s\"", host_port);
	}
	(void)inet_pton(AF_INET, net_str(ep, "IPAddress"), &target);
	_cleanup_free_ char *hips = net_ip_format(hip);
	uint16_t port = 0;
	for (unsigned long p = lo; p <= hi; p++) {
		_cleanup_error_ struct berth_error *e = NULL;
		port = (uint16_t)p;
		if (p && port_taken_by_us(d, proto, hip, port)) {
			if (p < hi)
				continue;
			return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
					       "driver failed programming external connectivity on "
					       "endpoint %s (%s): Bind for %s:%u failed: port is "
					       "already allocated",
					       c->name, net_str(ep, "EndpointID"), hips, port);
		}
		fd = net_port_reserve(proto, hip, &port, &e);
		if (fd >= 0)
			break;
		if (p < hi)
			continue;
		return berth_error_set(
			err, 0, BERTH_ERR_INTERNAL,
			"driver failed programming external connectivity on endpoint "
			"%s (%s): failed to bind host port for %s:%u:%s:%u/%s: %s",
			c->name, net_str(ep, "EndpointID"), hips, port, net_str(ep, "IPAddress"),
			ct_port, proto_name(proto), e->msg);
	}
	struct net_nat_port np = { .proto = proto,
				   .host_ip = hip,
				   .host_port = port,
				   .target = target,
				   .target_port = ct_port,
				   .bridge = n->bridge };
	int r = net_nat_port_add(network_nat(d), &np, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	add_fd(c, fd);
	json_object *rec = json_object_new_object();
	jadd(rec, "Proto", jstr(proto_name(proto)));
	jadd(rec, "HostIp", jstr(hips));
	jadd(rec, "HostPort", json_object_new_int(port));
	jadd(rec, "Port", json_object_new_int(ct_port));
	jadd(rec, "Target", jstr(net_str(ep, "IPAddress")));
	jadd(rec, "Bridge", jstr(n->bridge));
	json_object_array_add(jget(c->net, "Ports"), rec);
	return 0;
}

int container_ports_publish(struct daemon *d, struct container *c, struct berth_error **err)
{
	json_object *pb = jget(c->host_config, "PortBindings");
	json_object *pa = jget(c->host_config, "PublishAllPorts");
	json_object *exposed = jget(c->config, "ExposedPorts");
	struct net_rec *n = NULL;
	json_object *ep = primary_endpoint(d, c, &n);
	int r;

	jadd(c->net, "Ports", json_object_new_array());
	if (!ep || n->internal)
		return 0;
	if (pb && json_object_is_type(pb, json_type_object)) {
		json_object_object_foreach (pb, key, list) {
			uint16_t port;
			int proto;
			if (port_key_parse(key, &port, &proto) < 0)
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "invalid port specification: \"%s\"", key);
			size_t nb = list && json_object_is_type(list, json_type_array)
					    ? json_object_array_length(list)
					    : 0;
			for (size_t i = 0; i < nb; i++) {
				json_object *b = json_object_array_get_idx(list, i);
				if ((r = publish_one(d, c, n, ep, proto, port, net_str(b, "HostIp"),
						     net_str(b, "HostPort"), err)) < 0)
					return r;
			}
		}
	}
	if (pa && json_object_get_boolean(pa) && exposed &&
	    json_object_is_type(exposed, json_type_object)) {
		json_object_object_foreach (exposed, key, v) {
			uint16_t port;
			int proto;
			(void)v;
			if (pb && jget(pb, key))
				continue;
			if (port_key_parse(key, &port, &proto) < 0)
				continue;
			if ((r = publish_one(d, c, n, ep, proto, port, NULL, NULL, err)) < 0)
				return r;
		}
	}
	return 0;
}

static void unpublish_rec(struct daemon *d, json_object *p)
{
	struct net_nat_port np = {
		.proto = strcmp(net_str(p, "Proto"), "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP,
		.host_port = (uint16_t)json_object_get_int(jget(p, "HostPort")),
		.target_port = (uint16_t)json_object_get_int(jget(p, "Port")),
		.bridge = net_str(p, "Bridge"),
	};
	(void)inet_pton(AF_INET, net_str(p, "HostIp"), &np.host_ip);
	(void)inet_pton(AF_INET, net_str(p, "Target"), &np.target);
	(void)net_nat_port_remove(network_nat(d), &np, NULL);
}

void container_ports_unpublish(struct daemon *d, struct container *c)
{
	json_object *ports = c->net ? jget(c->net, "Ports") : NULL;

	for (size_t i = 0; ports && i < json_object_array_length(ports); i++)
		unpublish_rec(d, json_object_array_get_idx(ports, i));
	for (size_t i = 0; i < c->n_port_fds; i++)
		close(c->port_fds[i]);
	free(c->port_fds);
	c->port_fds = NULL;
	c->n_port_fds = 0;
	if (c->net)
		json_object_object_del(c->net, "Ports");
}

void container_ports_unpublish_on(struct daemon *d, struct container *c, const struct net_rec *n)
{
	json_object *ports = c->net ? jget(c->net, "Ports") : NULL;
	bool any = false;

	for (size_t i = 0; ports && i < json_object_array_length(ports); i++)
		any |= strcmp(net_str(json_object_array_get_idx(ports, i), "Bridge"), n->bridge) ==
		       0;
	/* All of a container's ports lead to its primary endpoint. */
	if (any)
		container_ports_unpublish(d, c);
}

int container_ports_restore(struct daemon *d, struct container *c, struct berth_error **err)
{
	json_object *ports = c->net ? jget(c->net, "Ports") : NULL;
	int r = 0;

	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		int proto = strcmp(net_str(p, "Proto"), "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
		struct net_nat_port np = {
			.proto = proto,
			.host_port = (uint16_t)json_object_get_int(jget(p, "HostPort")),
			.target_port = (uint16_t)json_object_get_int(jget(p, "Port")),
			.bridge = net_str(p, "Bridge"),
		};
		(void)inet_pton(AF_INET, net_str(p, "HostIp"), &np.host_ip);
		(void)inet_pton(AF_INET, net_str(p, "Target"), &np.target);
		uint16_t port = np.host_port;
		int fd = net_port_reserve(proto, np.host_ip, &port, NULL);
		if (fd >= 0)
			add_fd(c, fd);
		if (net_nat_port_add(network_nat(d), &np, r < 0 ? NULL : err) < 0)
			r = -EIO;
	}
	return r;
}

json_object *container_ports_map_json(const struct container *c)
{
	json_object *m = json_object_new_object();
	json_object *ports = c->net ? jget(c->net, "Ports") : NULL;
	json_object *exposed = jget(c->config, "ExposedPorts");

	if (!ct_is_running(c))
		return m;
	if (exposed && json_object_is_type(exposed, json_type_object)) {
		json_object_object_foreach (exposed, key, v) {
			(void)v;
			jadd(m, key, NULL);
		}
	}
	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i), *b = json_object_new_object();
		_cleanup_free_ char *key = xasprintf("%d/%s", json_object_get_int(jget(p, "Port")),
						     net_str(p, "Proto"));
		_cleanup_free_ char *hp = xasprintf("%d", json_object_get_int(jget(p, "HostPort")));
		json_object *list = jget(m, key);
		if (!list) {
			list = json_object_new_array();
			jadd(m, key, list);
		}
		jadd(b, "HostIp", jstr(net_str(p, "HostIp")));
		jadd(b, "HostPort", jstr(hp));
		json_object_array_add(list, b);
	}
	return m;
}

json_object *container_ports_list_json(const struct container *c)
{
	json_object *a = json_object_new_array();
	json_object *ports = c->net ? jget(c->net, "Ports") : NULL;
	json_object *exposed = jget(c->config, "ExposedPorts");

	for (size_t i = 0; ct_is_running(c) && ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i), *o = json_object_new_object();
		jadd(o, "IP", jstr(net_str(p, "HostIp")));
		jadd(o, "PrivatePort", json_object_new_int(json_object_get_int(jget(p, "Port"))));
		jadd(o, "PublicPort",
		     json_object_new_int(json_object_get_int(jget(p, "HostPort"))));
		jadd(o, "Type", jstr(net_str(p, "Proto")));
		json_object_array_add(a, o);
	}
	if (exposed && json_object_is_type(exposed, json_type_object)) {
		json_object_object_foreach (exposed, key, v) {
			uint16_t port;
			int proto;
			bool published = false;
			(void)v;
			if (port_key_parse(key, &port, &proto) < 0)
				continue;
			for (size_t i = 0;
			     ct_is_running(c) && ports && i < json_object_array_length(ports);
			     i++) {
				json_object *p = json_object_array_get_idx(ports, i);
				published |= json_object_get_int(jget(p, "Port")) == port &&
					     strcmp(net_str(p, "Proto"), proto_name(proto)) == 0;
			}
			if (published)
				continue;
			json_object *o = json_object_new_object();
			jadd(o, "PrivatePort", json_object_new_int(port));
			jadd(o, "Type", jstr(proto_name(proto)));
			json_object_array_add(a, o);
		}
	}
	return a;
}
