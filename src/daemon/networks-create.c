/* User-defined networks: POST /networks/create's request checked as dockerd
 * checks it, the bridge and its rules made at once; and their removal. */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "networks-internal.h"

#define OPT_BRIDGE_NAME "com.docker.network.bridge.name"
#define OPT_MTU		"com.docker.network.driver.mtu"

static bool is_predefined(const char *name)
{
	return strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 ||
	       strcmp(name, "none") == 0 || strcmp(name, "default") == 0;
}

static int parse_ip(const char *s, const char *what, struct in_addr *ret, struct berth_error **err)
{
	if (inet_pton(AF_INET, s, ret) == 1)
		return 0;
	if (strchr(s, ':'))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: IPv6 addresses are not supported yet (%s %s)", what,
				       s);
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid %s address: %s", what, s);
}

/* A CIDR as docker reads it: the given address and prefix (host bits kept,
 * to be reported). */
static int parse_prefix(const char *s, const char *what, struct net_ipv4 *ret,
			struct berth_error **err)
{
	_cleanup_error_ struct berth_error *e = NULL;

	if (strchr(s, ':'))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: IPv6 networks are not supported yet (%s %s)", what,
				       s);
	if (network_cidr_parse_host(s, ret, &e) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid %s %s: %s", what, s,
				       e ? e->msg : "not a CIDR");
	return 0;
}

static void __attribute__((format(printf, 2, 3))) add_msg(char **msgs, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	char *joined = xasprintf("%s\n%s", *msgs, line);
	free(*msgs);
	*msgs = joined;
}

static struct net_ipv4 masked(struct net_ipv4 c)
{
	uint32_t m = c.prefix ? ~0u << (32 - c.prefix) : 0;
	c.addr.s_addr = htonl(ntohl(c.addr.s_addr) & m);
	return c;
}

static bool same(const struct net_ipv4 *a, const struct net_ipv4 *b)
{
	return a->addr.s_addr == b->addr.s_addr && a->prefix == b->prefix;
}

/* IPAM.Config[0]: Subnet, IPRange, Gateway; docker's validateIpamConfig
 * messages, all of them at once. */
static int ipam_config(json_object *cfg, struct net_rec *n, struct berth_error **err)
{
	const char *subnet = NULL, *range = NULL, *gw = NULL;
	struct net_ipv4 s = { 0 }, rg = { 0 };
	struct in_addr g = { 0 };
	_cleanup_free_ char *msgs = xstrdup("");
	int r;

	if ((r = json_get_str(cfg, "IPAM.Config[0]", "Subnet", false, &subnet, err)) < 0 ||
	    (r = json_get_str(cfg, "IPAM.Config[0]", "IPRange", false, &range, err)) < 0 ||
	    (r = json_get_str(cfg, "IPAM.Config[0]", "Gateway", false, &gw, err)) < 0)
		return r;
	if (jget(cfg, "AuxiliaryAddresses") &&
	    json_object_object_length(jget(cfg, "AuxiliaryAddresses")) > 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: auxiliary addresses are not supported yet");
	if (str_is_empty(subnet))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: an IPAM configuration without a subnet is not "
				       "supported yet");
	if ((r = parse_prefix(subnet, "subnet", &s, err)) < 0 ||
	    (!str_is_empty(range) && (r = parse_prefix(range, "ip-range", &rg, err)) < 0) ||
	    (!str_is_empty(gw) && (r = parse_ip(gw, "gateway", &g, err)) < 0))
		return r;
	struct net_ipv4 sm = masked(s), rm = masked(rg);
	_cleanup_free_ char *s_text = net_cidr_format(&s), *sm_text = net_cidr_format(&sm);
	if (!same(&s, &sm))
		add_msg(&msgs, "invalid subnet %s: it should be %s", s_text, sm_text);
	if (!str_is_empty(range)) {
		_cleanup_free_ char *r_text = net_cidr_format(&rg), *rm_text = net_cidr_format(&rm);
		if (rg.prefix < s.prefix)
			add_msg(&msgs,
				"invalid ip-range %s: CIDR block is bigger than its parent "
				"subnet %s",
				r_text, s_text);
		if (!same(&rg, &rm))
			add_msg(&msgs, "invalid ip-range %s: it should be %s", r_text, rm_text);
		if (!net_cidr_overlaps(&sm, &rm))
			add_msg(&msgs,
				"invalid ip-range %s: parent subnet %s doesn't contain "
				"ip-range",
				r_text, s_text);
	}
	if (!str_is_empty(gw) && !net_cidr_contains(&sm, g))
		add_msg(&msgs, "invalid gateway %s: parent subnet %s doesn't contain this address",
			gw, s_text);
	if (*msgs)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid network config:%s",
				       msgs);
	if (sm.prefix > 30)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: subnet %s is too small for a bridge network",
				       sm_text);
	n->subnet = sm;
	n->range = str_is_empty(range) ? (struct net_ipv4){ 0 } : rm;
	n->gateway = str_is_empty(gw) ? (struct in_addr){ htonl(ntohl(sm.addr.s_addr) + 1) } : g;
	n->user_subnet = true;
	return 0;
}

static int ipam(json_object *req, struct net_rec *n, struct berth_error **err)
{
	json_object *ipam = NULL, *configs = NULL;
	const char *driver = NULL;
	int r;

	if ((r = json_get_object(req, "", "IPAM", false, &ipam, err)) < 0)
		return r;
	if (ipam && ((r = json_get_str(ipam, "IPAM", "Driver", false, &driver, err)) < 0 ||
		     (r = json_get_array(ipam, "IPAM", "Config", false, &configs, err)) < 0))
		return r;
	if (!str_is_empty(driver) && strcmp(driver, "default") != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: the '%s' IPAM driver is not supported yet", driver);
	size_t n_cfg = configs ? json_object_array_length(configs) : 0;
	if (n_cfg > 1)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"berth: more than one subnet per network is not supported yet");
	if (n_cfg == 1)
		return ipam_config(json_object_array_get_idx(configs, 0), n, err);
	return 0;
}

static bool valid_ifname(const char *s)
{
	if (!*s || strlen(s) > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

/* Options (-o): the bridge's name and MTU are used; the others are kept as given. */
static int options(struct daemon *d, json_object *req, struct net_rec *n, struct berth_error **err)
{
	json_object *opts = NULL;
	int r;

	if ((r = json_get_object(req, "", "Options", false, &opts, err)) < 0)
		return r;
	n->options = json_object_new_object();
	n->mtu = 1500; /* as dockerd: --mtu is the default bridge's only */
	if (!opts)
		return 0;
	json_object_object_foreach (opts, k, v) {
		if (!json_object_is_type(v, json_type_string))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "option %s: a string is expected", k);
		jadd(n->options, k, json_object_get(v));
	}
	json_object *name = jget(n->options, OPT_BRIDGE_NAME), *mtu = jget(n->options, OPT_MTU);
	if (name) {
		const char *s = json_object_get_string(name);
		if (!valid_ifname(s))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid bridge name %s: use at most 15 characters, "
					       "no '/', ':' or spaces",
					       s);
		n->bridge = xstrdup(s);
	}
	if (mtu) {
		int m = 0;
		if (str_to_int(json_object_get_string(mtu), &m) < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "failed to parse %s value: %s (invalid syntax)",
					       OPT_MTU, json_object_get_string(mtu));
		if (m < 68 || m > 65535)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid MTU number: %d",
					       m);
		n->mtu = (unsigned)m;
	}
	return 0;
}

/* Everything of the request but the kernel side. */
static int from_request(struct daemon *d, json_object *req, struct net_rec *n,
			struct berth_error **err)
{
	const char *name = NULL, *driver = NULL;
	bool ipv6 = false, ingress = false, config_only = false;
	json_object *labels = NULL, *config_from = NULL;
	int r;

	if ((r = json_get_str(req, "", "Name", false, &name, err)) < 0 ||
	    (r = json_get_str(req, "", "Driver", false, &driver, err)) < 0 ||
	    (r = json_get_bool(req, "", "Internal", &n->internal, err)) < 0 ||
	    (r = json_get_bool(req, "", "Attachable", &n->attachable, err)) < 0 ||
	    (r = json_get_bool(req, "", "EnableIPv6", &ipv6, err)) < 0 ||
	    (r = json_get_bool(req, "", "Ingress", &ingress, err)) < 0 ||
	    (r = json_get_bool(req, "", "ConfigOnly", &config_only, err)) < 0 ||
	    (r = json_get_object(req, "", "ConfigFrom", false, &config_from, err)) < 0 ||
	    (r = json_get_object(req, "", "Labels", false, &labels, err)) < 0)
		return r;
	if (str_is_empty(name))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid name: name is empty");
	if (is_predefined(name))
		return berth_error_set(err, 0, BERTH_ERR_FORBIDDEN,
				       "operation is not permitted on predefined %s network ",
				       name);
	if (network_by_name(d, name))
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "network with name %s already exists", name);
	n->name = xstrdup(name);
	if (!str_is_empty(driver) && strcmp(driver, "bridge") != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: the '%s' network driver is not supported yet",
				       driver);
	n->driver = xstrdup("bridge");
	if (ipv6)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: IPv6 networks are not supported yet");
	if (ingress || config_only ||
	    (config_from && jget(config_from, "Network") &&
	     *json_object_get_string(jget(config_from, "Network"))))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: ingress, config-only and config-from networks are "
				       "not supported yet");
	if (labels) {
		json_object_object_foreach (labels, k, v) {
			if (!json_object_is_type(v, json_type_string))
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "label %s: a string is expected", k);
		}
	}
	n->labels = labels ? json_object_get(labels) : json_object_new_object();
	if ((r = options(d, req, n, err)) < 0 || (r = ipam(req, n, err)) < 0)
		return r;
	return 0;
}

/* docker's checks against the other networks: the pool and the bridge name. */
static int check_conflicts(struct daemon *d, struct net_rec *n, struct berth_error **err)
{
	struct networks *st = d->networks;

	for (size_t i = 0; i < st->n; i++) {
		struct net_rec *o = st->nets[i];
		if (o->subnet.prefix && n->subnet.prefix &&
		    net_cidr_overlaps(&o->subnet, &n->subnet))
			return berth_error_set(err, 0, BERTH_ERR_FORBIDDEN,
					       "Pool overlaps with other one "
					       "on this address space");
		if (o->bridge && strcmp(o->bridge, n->bridge) == 0)
			return berth_error_set(
				err, 0, BERTH_ERR_FORBIDDEN,
				"cannot create network %s (%s): conflicts with network "
				"%s (%s): networks have same bridge name",
				n->id, n->bridge, o->id, o->bridge);
	}
	return 0;
}

int network_create(struct daemon *d, json_object *req, struct net_rec **ret,
		   struct berth_error **err)
{
	struct networks *st = d->networks;
	struct net_rec *n = xzalloc(sizeof(*n));
	int r;

	random_id(n->id);
	n->created_ns = now_unix_ns();
	if ((r = from_request(d, req, n, err)) < 0)
		goto fail;
	if (!n->bridge)
		n->bridge = xasprintf("br-%.12s", n->id);
	if (!n->subnet.prefix) {
		if ((r = network_pick_subnet(d, &n->subnet, err)) < 0)
			goto fail;
		n->gateway.s_addr = htonl(ntohl(n->subnet.addr.s_addr) + 1);
	}
	if ((r = check_conflicts(d, n, err)) < 0)
		goto fail;
	/* An interface berth did not make is never taken over (nor deleted on failure). */
	if (net_link_exists(n->bridge)) {
		r = berth_error_set(err, 0, BERTH_ERR_FORBIDDEN,
				    "berth: bridge name %s is in use by an existing interface",
				    n->bridge);
		goto fail;
	}
	if ((r = network_save(d, n, err)) < 0)
		goto fail;
	if ((r = network_bridge_up(d, n, err)) < 0) {
		(void)net_nat_network_remove(st->nat, n->bridge, NULL);
		(void)net_link_delete(n->bridge, NULL);
		(void)db_network_delete(d->db, n->id, NULL);
		goto fail;
	}
	st->nets = xrealloc(st->nets, (st->n + 1) * sizeof(*st->nets));
	st->nets[st->n++] = n;
	*ret = n;
	return 0;
fail:
	net_rec_free(n);
	return r;
}

int network_remove(struct daemon *d, struct net_rec *n, struct berth_error **err)
{
	struct networks *st = d->networks;
	int r;

	if (n->builtin)
		return berth_error_set(err, 0, BERTH_ERR_FORBIDDEN,
				       "%s is a pre-defined network and cannot be removed",
				       n->name);
	if (network_has_active_endpoints(d, n))
		return berth_error_set(err, 0, BERTH_ERR_FORBIDDEN,
				       "error while removing network: network %s id %s has active "
				       "endpoints",
				       n->name, n->id);
	if (n->bridge) {
		if ((r = net_nat_network_remove(st->nat, n->bridge, err)) < 0 ||
		    (r = net_link_delete(n->bridge, err)) < 0)
			return berth_error_wrap(err, "error while removing network");
	}
	if ((r = db_network_delete(d->db, n->id, err)) < 0)
		return r;
	for (size_t i = 0; i < st->n; i++) {
		if (st->nets[i] != n)
			continue;
		memmove(&st->nets[i], &st->nets[i + 1], (st->n - i - 1) * sizeof(*st->nets));
		st->n--;
		break;
	}
	net_rec_free(n);
	return 0;
}
