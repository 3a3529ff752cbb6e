/* berthd's network options, apart from networks.h so that daemon.h can hold
 * them without pulling in the network component's header. */
#ifndef BERTH_DAEMON_NETWORKS_OPTIONS_H
#define BERTH_DAEMON_NETWORKS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

struct net_pool;

struct net_options {
	char *bridge_name;	/* --bridge-name: the default bridge (berth0) */
	char *bip;		/* --bip: gateway address/prefix of the default bridge */
	struct net_pool *pools; /* --default-address-pool (repeatable); none: docker's */
	size_t n_pools;
	unsigned mtu;	 /* --mtu (0: 1500) */
	char *nft_table; /* --nft-table: berth's nftables table ("berth") */
	char **dns;	 /* --dns: upstream resolvers instead of the host's */
	bool ip_forward; /* --ip-forward (default true) */
};

#endif
