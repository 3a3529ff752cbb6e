/* Between the container-net*.c files and the rest of the container code:
 * a container's endpoints, namespace, published ports and DNS names. The
 * state's layout is described at the top of container-net.c. */
#ifndef BERTH_DAEMON_CONTAINER_NET_INTERNAL_H
#define BERTH_DAEMON_CONTAINER_NET_INTERNAL_H

#include <netinet/in.h>

#include "container.h"
#include "networks.h"

/* o's string member k, or NULL (the c->net records are read by key). */
static inline const char *net_str(json_object *o, const char *k)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* HostConfig.NetworkMode, "default" read as "bridge". */
const char *container_net_mode(const struct container *c);
/* mode: "host", "none", "bridge", a network name, or "container" for any
 * "container:X". */
bool container_net_mode_is(const struct container *c, const char *mode);
/* c->net's "Endpoints" object (network id -> endpoint), or NULL. */
json_object *container_net_endpoints(const struct container *c);

/* At create: the endpoints from NetworkMode and NetworkingConfig (docker's
 * errors for unknown networks, aliases or addresses where not allowed). */
int container_net_create(struct daemon *d, struct container *c, json_object *networking,
			 struct berth_error **err);
/* At start, before the bundle: namespace, endpoints, ports, DNS; saved. */
int container_net_setup(struct daemon *d, struct container *c, struct berth_error **err);
/* At exit (and on a failed start): everything setup made, undone. */
void container_net_teardown(struct daemon *d, struct container *c);
/* After containers_restore: leases, ports and DNS of running containers
 * taken again; namespaces of containers that are gone removed. */
void containers_net_restore(struct daemon *d);
/* <exec-root>/netns/<id> */
char *container_netns_path(struct daemon *d, const struct container *c);
/* The namespace the runtime must join (NULL: a new one, or none for host). */
char *container_netns_join(struct daemon *d, const struct container *c, struct berth_error **err);
bool container_net_needs_dns(struct daemon *d, const struct container *c);
/* Addresses of the containers that share a user-defined network with c and
 * answer to name (container name, short id, alias). */
size_t container_dns_lookup(struct daemon *d, struct container *c, const char *name,
			    struct in_addr *out, size_t max);
/* A network event (connect, disconnect) about c. */
void network_event(struct daemon *d, const struct net_rec *n, const char *action,
		   const struct container *c);

/* ---- published ports (container-net-ports.c) ---- */
int container_ports_publish(struct daemon *d, struct container *c, struct berth_error **err);
void container_ports_unpublish(struct daemon *d, struct container *c);
/* Only the ports that lead to c's endpoint on n. */
void container_ports_unpublish_on(struct daemon *d, struct container *c, const struct net_rec *n);
/* After a daemon restart: rules and reservations made again. */
int container_ports_restore(struct daemon *d, struct container *c, struct berth_error **err);
/* API shapes: inspect's NetworkSettings.Ports and the summary's Ports. */
json_object *container_ports_map_json(const struct container *c);
json_object *container_ports_list_json(const struct container *c);

/* ---- /etc files (container-bundle.c) ---- */
/* "IP\tname" lines for the container itself and its links. */
char *container_hosts_extra(struct daemon *d, const struct container *c);

#endif
