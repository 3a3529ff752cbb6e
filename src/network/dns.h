/* berth network: the embedded DNS resolver of user-defined networks.
 *
 * One struct net_dns per container that is on a user-defined network: a UDP
 * and a TCP socket bound to 127.0.0.11:53 inside the container's network
 * namespace, served on berthd's event loop. Names the daemon knows (container
 * names, aliases, short ids of the containers sharing a network with the
 * asking one) are answered from the lookup callback; every other name is
 * forwarded to the upstream servers (from the daemon's own namespace) and the
 * answer relayed unchanged. Everything received is untrusted: messages are
 * bounded (512 bytes over UDP, 64 KiB over TCP), parsed with checked offsets,
 * and compression pointers are followed at most 32 times.
 */
#ifndef BERTH_NETWORK_DNS_H
#define BERTH_NETWORK_DNS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "http-loop.h"

/* ---- codec (dns-msg.c) ---- */

#define NET_DNS_TYPE_A	  1
#define NET_DNS_TYPE_AAAA 28
#define NET_DNS_TYPE_PTR  12
#define NET_DNS_MAX_NAME  255

struct net_dns_query {
	uint16_t id;
	uint16_t flags;			 /* as received (RD is echoed) */
	char name[NET_DNS_MAX_NAME + 1]; /* lower case, no trailing dot */
	uint16_t qtype, qclass;
	size_t question_end; /* offset just past the question section */
};
/* Parse a query with exactly one question. -EINVAL on anything malformed. */
int net_dns_parse_query(const uint8_t *msg, size_t len, struct net_dns_query *ret);
/* An answer to q with n A records (ttl 600), or NXDOMAIN when rcode says so
 * (rcode 3) or an empty NOERROR answer (n == 0, rcode 0). Returns the length
 * written to buf (at most cap; answers that do not fit are truncated with TC
 * set), or -EINVAL. */
int net_dns_build_answer(const uint8_t *query, const struct net_dns_query *q,
			 const struct in_addr *addrs, size_t n, int rcode, uint8_t *buf,
			 size_t cap);
/* SERVFAIL for q. */
int net_dns_build_error(const uint8_t *query, const struct net_dns_query *q, int rcode,
			uint8_t *buf, size_t cap);

/* ---- server (dns-server.c) ---- */

/* Fill out (at most max) with the addresses for name (lower case, no trailing
 * dot, search suffix not stripped) as seen by the asking container; return
 * how many, 0 if the name is not one of ours (then it is forwarded). */
typedef size_t (*net_dns_lookup_fn)(void *data, const char *name, struct in_addr *out, size_t max);

struct net_dns_upstreams {
	struct sockaddr_in servers[3]; /* port 53 unless given */
	size_t n;
};

struct net_dns;
/* Bind 127.0.0.11:53 (UDP and TCP) inside the namespace at netns_path and
 * serve on loop. The callback data is the caller's (the container). */
int net_dns_start(struct http_loop *loop, const char *netns_path,
		  const struct net_dns_upstreams *up, net_dns_lookup_fn lookup, void *data,
		  struct net_dns **ret, struct berth_error **err);
/* Close the sockets and drop pending forwards. */
struct net_dns *net_dns_stop(struct net_dns *s);
/* The host's resolvers, read from a resolv.conf file. */
int net_dns_upstreams_from_file(const char *path, struct net_dns_upstreams *ret);

#endif
