/* berth network: the kernel side of container networking, for berthd.
 *
 * - network namespaces bind-mounted on a file (they outlive the daemon);
 * - links over rtnetlink (libmnl): bridges, veth pairs whose container end is
 *   created straight inside the container's namespace, addresses, routes;
 * - IPv4 address management (pure logic, no kernel);
 * - NAT and filtering in one nftables table of berth's own (libnftables):
 *   masquerade, isolation between networks, published ports (DNAT);
 * - the DNS message codec of the embedded resolver (dns.h has the server).
 *
 * Addresses are IPv4 only, in network byte order (struct in_addr). No
 * function here logs above debug level or keeps global state, except the
 * nftables context inside struct net_nat.
 */
#ifndef BERTH_NETWORK_H
#define BERTH_NETWORK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
/* ---- namespaces (netns.c) ---- */

/* A new network namespace (loopback up) bind-mounted on path (created, 0444).
 * The calling thread's namespace is unchanged on return. */
int net_ns_create(const char *path, struct berth_error **err);
/* Unmount and unlink path; missing is not an error. */
int net_ns_remove(const char *path, struct berth_error **err);
/* A socket(domain, type) created inside the namespace at path (O_CLOEXEC). */
int net_ns_socket(const char *path, int domain, int type, int protocol, struct berth_error **err);
/* ---- links (nl-*.c): one rtnetlink socket per call, in the daemon's namespace ---- */

struct net_ipv4 {
	struct in_addr addr;
	unsigned prefix; /* 0..32 */
};

/* Create the bridge if missing (with mtu, addr as its address, up), or make
 * an existing one match (address added if missing, up). hairpin: nothing. */
int net_bridge_ensure(const char *name, unsigned mtu, const struct net_ipv4 *addr,
		      struct berth_error **err);
/* Delete a link by name; missing is not an error. */
int net_link_delete(const char *name, struct berth_error **err);
bool net_link_exists(const char *name);
/* Names of the links of the daemon's namespace starting with prefix (strv). */
int net_link_list(const char *prefix, char ***ret, struct berth_error **err);

struct net_veth_config {
	const char *bridge;  /* host end enslaved to it, hairpin on, up */
	const char *host_if; /* host end name, e.g. "veth1a2b3c4" (<= 15 chars) */
	const char *netns;   /* path of the container's namespace */
	const char *ifname;  /* container end name inside it: "eth0", "eth1"... */
	unsigned mtu;
	const uint8_t *mac;   /* 6 bytes, or NULL: derived from the address as docker does */
	struct net_ipv4 addr; /* container end address */
	const struct in_addr *gateway; /* default route via it, or NULL: none */
};
/* The pair, its container end configured (address, mtu, mac, up, route). */
int net_veth_attach(const struct net_veth_config *cfg, struct berth_error **err);
/* Remove the container end ifname (its pair goes too); missing, or its namespace: fine. */
int net_veth_detach(const char *netns, const char *ifname, struct berth_error **err);
/* docker's MAC for an address: 02:42 followed by the 4 address bytes. */
void net_mac_from_ip(struct in_addr ip, uint8_t mac[6]);
/* "02:42:ac:11:00:02" <-> bytes (-EINVAL). */
int net_mac_parse(const char *s, uint8_t mac[6]);
void net_mac_format(const uint8_t mac[6], char buf[18]);

/* IPv4 routes of the daemon's namespace (all tables but local, default routes
 * left out), to keep new subnets off ranges the host already routes. */
int net_routes_list(struct net_ipv4 **ret, size_t *ret_n, struct berth_error **err);
/* A sysctl under /proc/sys ("net/ipv4/ip_forward", "1"). */
int net_sysctl_set(const char *key, const char *value, struct berth_error **err);
int net_sysctl_get(const char *key, char **ret, struct berth_error **err);
/* ---- IPv4 address management (ipam.c) ---- */

/* "10.1.0.0/16" -> addr + prefix; host bits must be zero when strict. */
int net_cidr_parse(const char *s, bool strict, struct net_ipv4 *ret, struct berth_error **err);
char *net_cidr_format(const struct net_ipv4 *n); /* "10.1.0.0/16" */
char *net_ip_format(struct in_addr a);		 /* "10.1.0.2" */
bool net_cidr_contains(const struct net_ipv4 *n, struct in_addr a);
bool net_cidr_overlaps(const struct net_ipv4 *a, const struct net_ipv4 *b);
/* docker's default pools: 172.17.0.0/16..172.31.0.0/16 then 192.168.0.0/20
 * steps of 192.168.0.0/16; or "base=10.10.0.0/16,size=24" pools. */
struct net_pool {
	struct net_ipv4 base;
	unsigned size; /* prefix of each subnet carved from base */
};
/* Parse a --default-address-pool value. */
int net_pool_parse(const char *s, struct net_pool *ret, struct berth_error **err);
/* The first subnet from pools (docker's when n_pools is 0) overlapping none of taken. */
int net_pool_next(const struct net_pool *pools, size_t n_pools, const struct net_ipv4 *taken,
		  size_t n_taken, struct net_ipv4 *ret, struct berth_error **err);

/* Addresses of one subnet: network and broadcast addresses and the gateway are
 * never handed out; allocation is sequential from the last one handed out
 * (wrapping), as docker's, within range (the subnet when range.prefix == 0). */
struct net_ipam;
struct net_ipam *net_ipam_new(const struct net_ipv4 *subnet, const struct net_ipv4 *range,
			      struct in_addr gateway);
struct net_ipam *net_ipam_free(struct net_ipam *p);
/* Next free address: -ENOSPC "no available IPv4 addresses" (+ pools: NAME by the caller). */
int net_ipam_alloc(struct net_ipam *p, struct in_addr *ret, struct berth_error **err);
/* Any address of the subnet: -EEXIST "Address already in use", -EINVAL outside. */
int net_ipam_reserve(struct net_ipam *p, struct in_addr a, struct berth_error **err);
void net_ipam_release(struct net_ipam *p, struct in_addr a);
bool net_ipam_in_use(const struct net_ipam *p, struct in_addr a);
/* ---- NAT and filtering (nat.c): one table "ip <table>" ---- */

struct net_nat;
/* Open libnftables and (re)create the table empty with its base chains and
 * maps: a fresh start after a crash loses nothing the caller cannot re-add. */
int net_nat_open(const char *table, struct net_nat **ret, struct berth_error **err);
struct net_nat *net_nat_free(struct net_nat *n);
/* Delete the whole table (tests). */
int net_nat_destroy(const char *table, struct berth_error **err);

struct net_nat_network {
	const char *bridge;
	struct net_ipv4 subnet;
	bool internal;	 /* no traffic in or out of the bridge but between its members */
	bool masquerade; /* outbound traffic masqueraded (not for internal networks) */
};
/* Masquerade, route_localnet (so 127.0.0.1 published ports work), isolation
 * from every other network added. Idempotent per bridge. */
int net_nat_network_add(struct net_nat *n, const struct net_nat_network *net,
			struct berth_error **err);
int net_nat_network_remove(struct net_nat *n, const char *bridge, struct berth_error **err);

struct net_nat_port {
	int proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	struct in_addr host_ip; /* INADDR_ANY: every local address */
	uint16_t host_port;	/* host byte order */
	struct in_addr target;	/* container address */
	uint16_t target_port;	/* host byte order */
	const char *bridge;	/* the container's bridge (hairpin masquerade) */
};
/* DNAT from the host (prerouting and locally generated traffic, loopback
 * included) to the container. Idempotent. */
int net_nat_port_add(struct net_nat *n, const struct net_nat_port *p, struct berth_error **err);
int net_nat_port_remove(struct net_nat *n, const struct net_nat_port *p, struct berth_error **err);
/* ---- published port reservations (ports.c) ---- */

/* Bind (without listening) host_ip:port so no other program takes it while
 * the DNAT rule points elsewhere; port 0 picks a free one (*port set). Errors
 * in docker's words: "address already in use". Returns the fd. */
int net_port_reserve(int proto, struct in_addr host_ip, uint16_t *port, struct berth_error **err);

#endif
