/* Between the network model (networks.c, networks-create.c) and the /networks
 * handlers (api-networks.c): the records in memory, creation and removal. */
#ifndef BERTH_DAEMON_NETWORKS_INTERNAL_H
#define BERTH_DAEMON_NETWORKS_INTERNAL_H

#include "dns.h"
#include "networks.h"

/* networks.c's state, d->networks. Records are kept in creation order. */
struct networks {
	struct net_rec **nets;
	size_t n;
	struct net_nat *nat;
	struct net_dns_upstreams upstreams;
};

struct net_rec *net_rec_free(struct net_rec *n);
/* Write n's record to state.db (insert or update). */
int network_save(struct daemon *d, const struct net_rec *n, struct berth_error **err);
/* Make the kernel match a bridge network: its bridge (address, mtu, up),
 * its nftables rules; its IPAM made when missing. */
int network_bridge_up(struct daemon *d, struct net_rec *n, struct berth_error **err);
/* The first free subnet of the address pools: off the host's routes and
 * every other network's subnet. */
int network_pick_subnet(struct daemon *d, struct net_ipv4 *ret, struct berth_error **err);
/* "10.1.2.3/24" as given: the address with its host bits, and the prefix. */
int network_cidr_parse_host(const char *s, struct net_ipv4 *ret, struct berth_error **err);
/* The record named exactly name, or NULL. */
struct net_rec *network_by_name(struct daemon *d, const char *name);
/* The network whose bridge is called bridge, or NULL. */
struct net_rec *network_by_bridge(struct daemon *d, const char *bridge);

/* POST /networks/create's body -> a new network, its bridge and rules made
 * (docker's errors: 409 for a name in use, 403 for an overlapping pool or a
 * bridge name in use, 400 for bad input). */
int network_create(struct daemon *d, json_object *req, struct net_rec **ret,
		   struct berth_error **err);
/* DELETE /networks/{id}: docker's 403 for built-in networks and networks
 * with active endpoints; else rules, bridge and record removed. */
int network_remove(struct daemon *d, struct net_rec *n, struct berth_error **err);

#endif
