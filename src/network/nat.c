/* NAT and filtering in berth's own nftables table (libnftables, one
 * transaction per call; every command text is built here from validated
 * names and numbers).
 *
 * The table, as net_nat_open() creates it:
 *
 *   table ip <table> {
 *     set bridges { type ifname }            every bridge added
 *     map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service }
 *     map ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service }
 *     map post_src { type ipv4_addr : verdict; flags interval }   subnet -> jump post_<br>
 *     map fwd_in { type ifname : verdict }   bridge -> jump fwdin_<br>
 *     map fwd_out { type ifname : verdict }  internal bridge -> jump fwdout_<br>
 *     chain ports { dnat ip to ip daddr . meta l4proto . th dport map @ports_ip
 *                   dnat ip to meta l4proto . th dport map @ports_any }
 *     chain prerouting { nat prerouting dstnat; fib daddr type local jump ports }
 *     chain output { nat output -100; fib daddr type local jump ports }
 *     chain postrouting { nat postrouting srcnat;
 *                         ip saddr 127.0.0.0/8 oifname @bridges masquerade
 *                         ip saddr vmap @post_src }
 *     chain forward { filter forward filter, policy accept;
 *                     iifname vmap @fwd_in; oifname vmap @fwd_out }
 *   }
 *
 * Published ports are map elements: the key is the host side (an address
 * only when the port is published on one), the value the container's
 * address and port. "fib daddr type local" makes every local address work,
 * 127.0.0.1 and the bridge's address included; loopback sources are
 * masqueraded to the bridge's address (route_localnet is set on the bridge).
 *
 * Each network has chains of its own, reached through the verdict maps, so
 * adding and removing a network is exact and never touches another's rules:
 *   post_<br>   ip saddr <subnet> oifname != "<br>" masquerade   (masquerade)
 *               ct status dnat oifname "<br>" masquerade  (hairpin: a member
 *               reaching a published port of its own bridge, itself included)
 *   fwdin_<br>  oifname "<br>" return; ct status dnat return;
 *               oifname @bridges drop          (isolation between networks,
 *               published ports stay reachable from other networks)
 *   internal:   fwdin_<br> oifname != "<br>" drop; fwdout_<br> iifname != "<br>" drop
 * Only berth's own traffic is ever dropped; the forward policy is accept.
 *
 * struct net_nat remembers what it added (networks and ports), so repeated
 * adds are no-ops, a changed network or port is replaced in one transaction
 * and a removal deletes exactly what was added. net_nat_open() starts from an
 * empty table, so that memory always matches the kernel. */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

#include "network.h"

struct nat_net {
	char bridge[16];
	struct net_ipv4 subnet;
	bool internal;
	bool masquerade;
};

struct nat_port {
	int proto;
	struct in_addr host_ip;
	uint16_t host_port;
	struct in_addr target;
	uint16_t target_port;
};

struct net_nat {
	struct nft_ctx *ctx;
	char table[33];
	struct nat_net *nets;
	size_t n_nets;
	struct nat_port *ports;
	size_t n_ports;
};

/* An error with errnum e and no ": strerror" suffix. */
#define nat_error(err, e, kind, ...)                                                               \
	({                                                                                         \
		bool _fresh = (err) && !*(err);                                                    \
		(void)berth_error_set((err), 0, (kind), __VA_ARGS__);                              \
		if (_fresh)                                                                        \
			(*(err))->errnum = (e);                                                    \
		-(e);                                                                              \
	})

static bool name_valid(const char *s, size_t max, bool dots)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || (dots && (*p == '.' || *p == '-'))))
			return false;
	return true;
}

static int check_table(const char *table, struct berth_error **err)
{
	if (!name_valid(table, 32, false))
		return nat_error(err, EINVAL, BERTH_ERR_INVALID, "invalid nftables table name '%s'",
				 table ? table : "");
	return 0;
}

static int check_ifname(const char *name, struct berth_error **err)
{
	if (!name_valid(name, 15, true))
		return nat_error(err, EINVAL, BERTH_ERR_INVALID, "invalid interface name '%s'",
				 name ? name : "");
	return 0;
}

/* The first "Error: ..." line of libnftables' report, or its first line. */
static char *nft_error_text(const char *buf)
{
	const char *s = buf ? strstr(buf, "Error: ") : NULL;

	if (s)
		s += strlen("Error: ");
	else
		s = buf && *buf ? buf : "unknown error";
	return xstrndup(s, strcspn(s, "\n"));
}

/* Run cmds as one transaction. */
static int nft_run(struct nft_ctx *ctx, const char *cmds, struct berth_error **err)
{
	int r = nft_run_cmd_from_buffer(ctx, cmds);
	const char *errbuf = nft_ctx_get_error_buffer(ctx);

	(void)nft_ctx_get_output_buffer(ctx); /* discarded, and the buffer reset */
	if (r != 0) {
		_cleanup_free_ char *msg = nft_error_text(errbuf);
		log_debug("nftables transaction failed: %s\n%s", msg, cmds);
		return nat_error(err, EIO, BERTH_ERR_INTERNAL, "nftables: %s", msg);
	}
	return 0;
}

static int nft_ctx_open(struct nft_ctx **ret, struct berth_error **err)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx)
		return nat_error(err, ENOMEM, BERTH_ERR_INTERNAL, "cannot create nftables context");
	if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
		nft_ctx_free(ctx);
		return nat_error(err, EIO, BERTH_ERR_INTERNAL, "cannot buffer nftables output");
	}
	*ret = ctx;
	return 0;
}

/* ---- the table ---- */

static char *table_text(const char *t)
{
	return xasprintf(
		"add table ip %1$s\n"
		"delete table ip %1$s\n"
		"table ip %1$s {\n"
		" set bridges { type ifname; }\n"
		" map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
		" map ports_ip { type ipv4_addr . inet_proto . inet_service :"
		" ipv4_addr . inet_service; }\n"
		" map post_src { type ipv4_addr : verdict; flags interval; }\n"
		" map fwd_in { type ifname : verdict; }\n"
		" map fwd_out { type ifname : verdict; }\n"
		" chain ports {\n"
		"  dnat ip to ip daddr . meta l4proto . th dport map @ports_ip\n"
		"  dnat ip to meta l4proto . th dport map @ports_any\n"
		" }\n"
		" chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
		"  fib daddr type local jump ports\n"
		" }\n"
		" chain output { type nat hook output priority -100; policy accept;\n"
		"  fib daddr type local jump ports\n"
		" }\n"
		" chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
		"  ip saddr 127.0.0.0/8 oifname @bridges masquerade\n"
		"  ip saddr vmap @post_src\n"
		" }\n"
		" chain forward { type filter hook forward priority filter; policy accept;\n"
		"  iifname vmap @fwd_in\n"
		"  oifname vmap @fwd_out\n"
		" }\n"
		"}\n",
		t);
}

int net_nat_open(const char *table, struct net_nat **ret, struct berth_error **err)
{
	_cleanup_free_ char *cmds = NULL;
	struct net_nat *n;
	int r;

	r = check_table(table, err);
	if (r < 0)
		return r;
	n = xzalloc(sizeof(*n));
	snprintf(n->table, sizeof(n->table), "%s", table);
	r = nft_ctx_open(&n->ctx, err);
	if (r < 0) {
		net_nat_free(n);
		return r;
	}
	cmds = table_text(table);
	r = nft_run(n->ctx, cmds, err);
	if (r < 0) {
		net_nat_free(n);
		return berth_error_wrap(err, "create table '%s'", table);
	}
	*ret = n;
	return 0;
}

struct net_nat *net_nat_free(struct net_nat *n)
{
	if (!n)
		return NULL;
	if (n->ctx)
		nft_ctx_free(n->ctx);
	free(n->nets);
	free(n->ports);
	free(n);
	return NULL;
}

int net_nat_destroy(const char *table, struct berth_error **err)
{
	_cleanup_free_ char *cmds = NULL;
	struct nft_ctx *ctx = NULL;
	int r;

	r = check_table(table, err);
	if (r < 0)
		return r;
	r = nft_ctx_open(&ctx, err);
	if (r < 0)
		return r;
	/* Adding first makes a missing table no error. */
	cmds = xasprintf("add table ip %1$s\ndelete table ip %1$s\n", table);
	r = nft_run(ctx, cmds, err);
	nft_ctx_free(ctx);
	if (r < 0)
		return berth_error_wrap(err, "delete table '%s'", table);
	return 0;
}

/* ---- networks ---- */

static struct nat_net *net_find(struct net_nat *n, const char *bridge)
{
	for (size_t i = 0; i < n->n_nets; i++)
		if (strcmp(n->nets[i].bridge, bridge) == 0)
			return &n->nets[i];
	return NULL;
}

static bool net_same(const struct nat_net *a, const struct nat_net *b)
{
	return strcmp(a->bridge, b->bridge) == 0 &&
	       a->subnet.addr.s_addr == b->subnet.addr.s_addr &&
	       a->subnet.prefix == b->subnet.prefix && a->internal == b->internal &&
	       a->masquerade == b->masquerade;
}

static void net_remove_cmds(FILE *f, const char *t, const struct nat_net *x)
{
	const char *b = x->bridge;
	_cleanup_free_ char *sub = net_cidr_format(&x->subnet);

	if (!x->internal)
		fprintf(f, "delete element ip %s post_src { %s }\n", t, sub);
	else
		fprintf(f, "delete element ip %s fwd_out { \"%s\" }\n", t, b);
	fprintf(f, "delete element ip %1$s fwd_in { \"%2$s\" }\n", t, b);
	fprintf(f, "delete element ip %1$s bridges { \"%2$s\" }\n", t, b);
	if (!x->internal)
		fprintf(f, "flush chain ip %1$s post_%2$s\ndelete chain ip %1$s post_%2$s\n", t, b);
	else
		fprintf(f, "flush chain ip %1$s fwdout_%2$s\ndelete chain ip %1$s fwdout_%2$s\n", t,
			b);
	fprintf(f, "flush chain ip %1$s fwdin_%2$s\ndelete chain ip %1$s fwdin_%2$s\n", t, b);
}

static void net_add_cmds(FILE *f, const char *t, const struct nat_net *x)
{
	const char *b = x->bridge;
	_cleanup_free_ char *sub = net_cidr_format(&x->subnet);

	fprintf(f, "add chain ip %1$s fwdin_%2$s\nflush chain ip %1$s fwdin_%2$s\n", t, b);
	if (x->internal) {
		fprintf(f, "add rule ip %1$s fwdin_%2$s oifname != \"%2$s\" drop\n", t, b);
		fprintf(f, "add chain ip %1$s fwdout_%2$s\nflush chain ip %1$s fwdout_%2$s\n", t,
			b);
		fprintf(f, "add rule ip %1$s fwdout_%2$s iifname != \"%2$s\" drop\n", t, b);
		fprintf(f, "add element ip %1$s fwd_out { \"%2$s\" : jump fwdout_%2$s }\n", t, b);
	} else {
		fprintf(f, "add rule ip %1$s fwdin_%2$s oifname \"%2$s\" return\n", t, b);
		fprintf(f, "add rule ip %1$s fwdin_%2$s ct status dnat return\n", t, b);
		fprintf(f, "add rule ip %1$s fwdin_%2$s oifname @bridges drop\n", t, b);
		fprintf(f, "add chain ip %1$s post_%2$s\nflush chain ip %1$s post_%2$s\n", t, b);
		if (x->masquerade)
			fprintf(f,
				"add rule ip %1$s post_%2$s ip saddr %3$s oifname != \"%2$s\""
				" masquerade\n",
				t, b, sub);
		fprintf(f,
			"add rule ip %1$s post_%2$s ct status dnat oifname \"%2$s\" masquerade\n",
			t, b);
		fprintf(f, "add element ip %1$s post_src { %3$s : jump post_%2$s }\n", t, b, sub);
	}
	fprintf(f, "add element ip %1$s bridges { \"%2$s\" }\n", t, b);
	fprintf(f, "add element ip %1$s fwd_in { \"%2$s\" : jump fwdin_%2$s }\n", t, b);
}

/* Run the commands printed on f (an open_memstream on *buf) as one transaction. */
static int run_cmds(struct net_nat *n, char **buf, FILE *f, struct berth_error **err)
{
	if (fflush(f) != 0 || ferror(f))
		return nat_error(err, ENOMEM, BERTH_ERR_INTERNAL, "cannot build nftables commands");
	return nft_run(n->ctx, *buf, err);
}

int net_nat_network_add(struct net_nat *n, const struct net_nat_network *net,
			struct berth_error **err)
{
	struct nat_net x = { .subnet = net->subnet, .internal = net->internal };
	_cleanup_free_ char *buf = NULL, *key = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct nat_net *old;
	size_t size = 0;
	int r;

	r = check_ifname(net->bridge, err);
	if (r < 0)
		return r;
	snprintf(x.bridge, sizeof(x.bridge), "%s", net->bridge);
	x.masquerade = net->masquerade && !net->internal;
	x.subnet.addr.s_addr &= x.subnet.prefix ? htonl(~0u << (32 - x.subnet.prefix)) : 0;
	old = net_find(n, x.bridge);
	if (old && net_same(old, &x))
		return 0;
	if (!x.internal) {
		/* 127.0.0.1 published ports: loopback sources routed out of the bridge. */
		key = xasprintf("net/ipv4/conf/%s/route_localnet", x.bridge);
		r = net_sysctl_set(key, "1", err);
		if (r < 0)
			return berth_error_wrap(err, "network '%s'", x.bridge);
	}
	f = open_memstream(&buf, &size);
	if (!f)
		return nat_error(err, ENOMEM, BERTH_ERR_INTERNAL, "open_memstream");
	if (old)
		net_remove_cmds(f, n->table, old);
	net_add_cmds(f, n->table, &x);
	r = run_cmds(n, &buf, f, err);
	if (r < 0)
		return berth_error_wrap(err, "add network '%s'", x.bridge);
	if (old) {
		*old = x;
	} else {
		n->nets = xrealloc(n->nets, (n->n_nets + 1) * sizeof(*n->nets));
		n->nets[n->n_nets++] = x;
	}
	return 0;
}

int net_nat_network_remove(struct net_nat *n, const char *bridge, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct nat_net *old;
	size_t size = 0;
	int r;

	r = check_ifname(bridge, err);
	if (r < 0)
		return r;
	old = net_find(n, bridge);
	if (!old)
		return 0;
	f = open_memstream(&buf, &size);
	if (!f)
		return nat_error(err, ENOMEM, BERTH_ERR_INTERNAL, "open_memstream");
	net_remove_cmds(f, n->table, old);
	r = run_cmds(n, &buf, f, err);
	if (r < 0)
		return berth_error_wrap(err, "remove network '%s'", bridge);
	*old = n->nets[--n->n_nets];
	return 0;
}

/* ---- published ports ---- */

static int port_check(const struct net_nat_port *p, struct nat_port *ret, struct berth_error **err)
{
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return nat_error(err, EINVAL, BERTH_ERR_INVALID, "invalid protocol %d", p->proto);
	if (p->host_port == 0 || p->target_port == 0)
		return nat_error(err, EINVAL, BERTH_ERR_INVALID, "invalid port 0");
	if (p->bridge) {
		int r = check_ifname(p->bridge, err);
		if (r < 0)
			return r;
	}
	*ret = (struct nat_port){ p->proto, p->host_ip, p->host_port, p->target, p->target_port };
	return 0;
}

static struct nat_port *port_find(struct net_nat *n, const struct nat_port *k)
{
	for (size_t i = 0; i < n->n_ports; i++) {
		struct nat_port *q = &n->ports[i];
		if (q->proto == k->proto && q->host_ip.s_addr == k->host_ip.s_addr &&
		    q->host_port == k->host_port)
			return q;
	}
	return NULL;
}

static bool port_same(const struct nat_port *a, const struct nat_port *b)
{
	return a->target.s_addr == b->target.s_addr && a->target_port == b->target_port;
}

/* The map and the element's key: "ports_any { tcp . 8080" or
 * "ports_ip { 127.0.0.1 . tcp . 8080" (the caller closes the brace). */
static void port_key(FILE *f, const char *verb, const char *t, const struct nat_port *p)
{
	const char *proto = p->proto == IPPROTO_TCP ? "tcp" : "udp";

	if (p->host_ip.s_addr == htonl(INADDR_ANY)) {
		fprintf(f, "%s element ip %s ports_any { %s . %u", verb, t, proto, p->host_port);
	} else {
		_cleanup_free_ char *ip = net_ip_format(p->host_ip);
		fprintf(f, "%s element ip %s ports_ip { %s . %s . %u", verb, t, ip, proto,
			p->host_port);
	}
}

int net_nat_port_add(struct net_nat *n, const struct net_nat_port *p, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL, *target = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct nat_port x, *old;
	size_t size = 0;
	int r;

	r = port_check(p, &x, err);
	if (r < 0)
		return r;
	old = port_find(n, &x);
	if (old && port_same(old, &x))
		return 0;
	f = open_memstream(&buf, &size);
	if (!f)
		return nat_error(err, ENOMEM, BERTH_ERR_INTERNAL, "open_memstream");
	if (old) {
		port_key(f, "delete", n->table, old);
		fputs(" }\n", f);
	}
	target = net_ip_format(x.target);
	port_key(f, "add", n->table, &x);
	fprintf(f, " : %s . %u }\n", target, x.target_port);
	r = run_cmds(n, &buf, f, err);
	if (r < 0)
		return berth_error_wrap(err, "publish port %u", x.host_port);
	if (old) {
		*old = x;
	} else {
		n->ports = xrealloc(n->ports, (n->n_ports + 1) * sizeof(*n->ports));
		n->ports[n->n_ports++] = x;
	}
	return 0;
}

int net_nat_port_remove(struct net_nat *n, const struct net_nat_port *p, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct nat_port x, *old;
	size_t size = 0;
	int r;

	r = port_check(p, &x, err);
	if (r < 0)
		return r;
	old = port_find(n, &x);
	/* Missing, or mapped to another container since: not ours to remove. */
	if (!old || !port_same(old, &x))
		return 0;
	f = open_memstream(&buf, &size);
	if (!f)
		return nat_error(err, ENOMEM, BERTH_ERR_INTERNAL, "open_memstream");
	port_key(f, "delete", n->table, old);
	fputs(" }\n", f);
	r = run_cmds(n, &buf, f, err);
	if (r < 0)
		return berth_error_wrap(err, "unpublish port %u", x.host_port);
	*old = n->ports[--n->n_ports];
	return 0;
}
