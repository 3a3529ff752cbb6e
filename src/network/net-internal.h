/* berth network internals shared by the netlink files (nl-*.c): an rtnetlink
 * socket opened in the daemon's namespace or inside another one, requests
 * sent in one batch with their acknowledgements collected, and dumps.
 * Errors carry the kernel's extended ack message when it gives one. */
#ifndef BERTH_NET_INTERNAL_H
#define BERTH_NET_INTERNAL_H

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>

#include "network.h"

DEFINE_CLEANUP(struct mnl_socket, mnl_socket_close)
#define _cleanup_nl_ _cleanup_(mnl_socket_closep)

/* Room for one batch of requests (a few messages of a few hundred bytes). */
#define NL_BATCH_SIZE 4096

struct nl_batch {
	char buf[NL_BATCH_SIZE];
	size_t len;
	unsigned n;	    /* messages in buf */
	uint32_t seq_first; /* sequence number of the first */
};

/* A bound NETLINK_ROUTE socket in the daemon's namespace (netns NULL) or in
 * the namespace bound on the file netns. */
int nl_open(const char *netns, struct mnl_socket **ret, struct berth_error **err);

/* Start a batch; nl_batch_add() appends a request header (type, flags with
 * NLM_F_REQUEST | NLM_F_ACK added) whose payload the caller fills with
 * mnl_nlmsg_put_extra_header() / mnl_attr_put*(). */
void nl_batch_init(struct nl_batch *b);
struct nlmsghdr *nl_batch_add(struct nl_batch *b, uint16_t type, uint16_t flags);

/* Send the batch and read one acknowledgement per message. Returns 0, or the
 * first negative errno; *ret_failed (when not NULL) gets the index of that
 * message, and errmsg (size bytes) the kernel's extended ack text or "". */
int nl_batch_run(struct mnl_socket *nl, struct nl_batch *b, unsigned *ret_failed, char *errmsg,
		 size_t size);

/* One request, its ack; errors set *err as "<what>: <strerror>[ (<ext ack>)]". */
int nl_request(struct mnl_socket *nl, struct nl_batch *b, struct berth_error **err,
	       const char *what_fmt, ...) __attribute__((format(printf, 4, 5)));

/* Send a dump request (NLM_F_DUMP added) and call cb for each message.
 * -EINTR: the table changed meanwhile; dump again on a new socket, at most
 * NL_DUMP_TRIES times. */
#define NL_DUMP_TRIES 5
int nl_dump(struct mnl_socket *nl, struct nl_batch *b, mnl_cb_t cb, void *data);

/* A link's index and kind ("bridge", "veth"... or "" when none) by name, in
 * the socket's namespace: -ENODEV when missing. */
int nl_link_get(struct mnl_socket *nl, const char *name, int *ret_index, char kind[16],
		unsigned *ret_flags);

/* Append an IPv4 address (with broadcast, replace when present) to the batch. */
void nl_put_addr(struct nl_batch *b, int ifindex, const struct net_ipv4 *addr);

/* An error from a failed netlink request: "<what>: <strerror>" plus the
 * extended ack text in parentheses when the kernel gave one. */
int nl_error(struct berth_error **err, int r, const char *extack, const char *what);

#endif
