/* Networks in berthd: the records behind /networks, and the contract between
 * the network model (networks.c, api-networks.c) and the containers that
 * join them (container-net.c).
 *
 * Three networks always exist, as in docker: "bridge" (the default bridge,
 * berth0 unless --bridge-name says otherwise), "host" and "none". User-defined
 * networks use the bridge driver, each on its own bridge "br-<12 hex of id>"
 * (or -o com.docker.network.bridge.name). Records are stored in state.db;
 * bridges and nftables rules are made to match them at every daemon start.
 * Addresses are handed out by each network's IPAM; leases live in the
 * containers' endpoint records, and are reserved again at start.
 */
#ifndef BERTH_DAEMON_NETWORKS_H
#define BERTH_DAEMON_NETWORKS_H

#include <stdbool.h>

#include "daemon.h"
#include "network.h"

struct container;

struct net_rec {
	char id[65];
	char *name;
	char *driver; /* "bridge", "host", "null" */
	int64_t created_ns;
	bool builtin;  /* bridge, host, none: cannot be removed */
	bool internal; /* --internal */
	bool attachable;
	bool user_subnet; /* IPAM config given by the user (shown in inspect) */
	char *bridge;	  /* bridge driver: the interface name */
	unsigned mtu;
	struct net_ipv4 subnet, range; /* range.prefix 0: the whole subnet */
	struct in_addr gateway;
	json_object *labels;   /* object */
	json_object *options;  /* object: -o key=value as given */
	struct net_ipam *ipam; /* bridge driver only */
};

/* Daemon options: struct net_options, in networks-options.h (daemon.h holds them). */

/* ---- the model (networks.c) ---- */

/* At daemon start: open the nftables table (emptied), load the records,
 * create the built-in networks when missing, make bridges and rules match
 * every bridge network, enable IPv4 forwarding. */
int networks_init(struct daemon *d, struct berth_error **err);
/* At daemon exit: nothing is torn down (containers keep running). */
void networks_fini(struct daemon *d);
/* By full id, name, or unique id prefix; docker's 404 "network X not found". */
int network_lookup(struct daemon *d, const char *ref, struct net_rec **ret,
		   struct berth_error **err);
struct net_rec *network_default_bridge(struct daemon *d);
/* True for bridge networks other than the default "bridge" (those get DNS
 * and aliases). */
bool network_is_user_defined(const struct net_rec *n);
/* An address on n: the requested one (reserved) or the next free one. */
int network_ip_take(struct daemon *d, struct net_rec *n, const struct in_addr *requested,
		    struct in_addr *ret, struct berth_error **err);
void network_ip_release(struct daemon *d, struct net_rec *n, struct in_addr a);
/* The daemon's nftables handle (published ports go through it). */
struct net_nat *network_nat(struct daemon *d);
/* The upstream resolvers for embedded DNS and the default bridge's resolv.conf. */
const struct net_dns_upstreams *network_upstreams(struct daemon *d);

/* ---- the containers' side (container-net.c) ---- */

/* Does a running container have an endpoint on n? */
bool network_has_active_endpoints(struct daemon *d, const struct net_rec *n);
/* network inspect's Containers: { id: { Name, EndpointID, MacAddress,
 * IPv4Address, IPv6Address } } for running containers on n. */
json_object *network_containers_json(struct daemon *d, const struct net_rec *n);
/* POST /networks/{id}/connect: add an endpoint (EndpointConfig may be NULL),
 * live when the container runs. docker's errors (409 when already on it). */
int container_net_connect(struct daemon *d, struct container *c, struct net_rec *n,
			  json_object *endpoint_config, struct berth_error **err);
int container_net_disconnect(struct daemon *d, struct container *c, struct net_rec *n, bool force,
			     struct berth_error **err);

#endif
