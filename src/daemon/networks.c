/* The daemon's network model (networks.h): records in state.db mirrored in
 * memory, the built-in networks, and the kernel made to match them at start.
 *
 * A record is a small JSON document: Id, Name, Driver, Created (unix ns),
 * Builtin, Internal, Attachable, UserSubnet, Bridge, MTU, Subnet, IPRange,
 * Gateway, Labels, Options. Addresses handed out live in the containers'
 * endpoint records (container-net.c), which take them again at start. */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <string.h>

#include "api.h"
#include "networks-internal.h"

#define DEFAULT_BRIDGE "berth0"
#define DEFAULT_TABLE  "berth"

struct net_rec *net_rec_free(struct net_rec *n)
{
	if (!n)
		return NULL;
	free(n->name);
	free(n->driver);
	free(n->bridge);
	json_object_put(n->labels);
	json_object_put(n->options);
	net_ipam_free(n->ipam);
	free(n);
	return NULL;
}

static struct networks *state(struct daemon *d)
{
	return d->networks;
}

static void add_ip(json_object *o, const char *key, struct in_addr a)
{
	_cleanup_free_ char *s = net_ip_format(a);
	jadd(o, key, jstr(s));
}

static void add_cidr(json_object *o, const char *key, const struct net_ipv4 *c)
{
	_cleanup_free_ char *s = c->prefix || c->addr.s_addr ? net_cidr_format(c) : NULL;
	jadd(o, key, jstr(s ? s : ""));
}

static char *rec_to_json(const struct net_rec *n)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	jadd(o, "Id", jstr(n->id));
	jadd(o, "Name", jstr(n->name));
	jadd(o, "Driver", jstr(n->driver));
	jadd(o, "Created", json_object_new_int64(n->created_ns));
	jadd(o, "Builtin", json_object_new_boolean(n->builtin));
	jadd(o, "Internal", json_object_new_boolean(n->internal));
	jadd(o, "Attachable", json_object_new_boolean(n->attachable));
	jadd(o, "UserSubnet", json_object_new_boolean(n->user_subnet));
	jadd(o, "Bridge", jstr(n->bridge ? n->bridge : ""));
	jadd(o, "MTU", json_object_new_int64(n->mtu));
	if (strcmp(n->driver, "bridge") == 0) {
		add_cidr(o, "Subnet", &n->subnet);
		add_cidr(o, "IPRange", &n->range);
		add_ip(o, "Gateway", n->gateway);
	}
	jadd(o, "Labels", json_object_get(n->labels));
	jadd(o, "Options", json_object_get(n->options));
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

static int get_cidr(json_object *o, const char *key, struct net_ipv4 *ret)
{
	const char *s = NULL;

	memset(ret, 0, sizeof(*ret));
	if (json_get_str(o, "network", key, false, &s, NULL) < 0)
		return -EINVAL;
	if (str_is_empty(s))
		return 0;
	return net_cidr_parse(s, true, ret, NULL);
}

static int rec_from_json(const char *id, const char *doc, struct net_rec **ret)
{
	_cleanup_json_ json_object *o = NULL;
	struct net_rec *n = xzalloc(sizeof(*n));
	const char *name = NULL, *driver = NULL, *bridge = NULL, *gw = NULL;
	json_object *labels = NULL, *options = NULL;
	int64_t created = 0, mtu = 0;

	if (json_parse_text(doc, strlen(doc), 16, "network", &o, NULL) < 0 || strlen(id) != 64 ||
	    json_get_str(o, "", "Name", true, &name, NULL) < 0 ||
	    json_get_str(o, "", "Driver", true, &driver, NULL) < 0 ||
	    json_get_str(o, "", "Bridge", false, &bridge, NULL) < 0 ||
	    json_get_str(o, "", "Gateway", false, &gw, NULL) < 0 ||
	    json_get_int64(o, "", "Created", false, &created, NULL) < 0 ||
	    json_get_int64(o, "", "MTU", false, &mtu, NULL) < 0 ||
	    json_get_bool(o, "", "Builtin", &n->builtin, NULL) < 0 ||
	    json_get_bool(o, "", "Internal", &n->internal, NULL) < 0 ||
	    json_get_bool(o, "", "Attachable", &n->attachable, NULL) < 0 ||
	    json_get_bool(o, "", "UserSubnet", &n->user_subnet, NULL) < 0 ||
	    json_get_object(o, "", "Labels", false, &labels, NULL) < 0 ||
	    json_get_object(o, "", "Options", false, &options, NULL) < 0 ||
	    get_cidr(o, "Subnet", &n->subnet) < 0 || get_cidr(o, "IPRange", &n->range) < 0 ||
	    (!str_is_empty(gw) && inet_pton(AF_INET, gw, &n->gateway) != 1)) {
		net_rec_free(n);
		return -EINVAL;
	}
	memcpy(n->id, id, 65);
	n->name = xstrdup(name);
	n->driver = xstrdup(driver);
	n->bridge = str_is_empty(bridge) ? NULL : xstrdup(bridge);
	n->created_ns = created;
	n->mtu = mtu > 0 && mtu < 65536 ? (unsigned)mtu : 1500;
	n->labels = labels ? json_object_get(labels) : json_object_new_object();
	n->options = options ? json_object_get(options) : json_object_new_object();
	*ret = n;
	return 0;
}

int network_save(struct daemon *d, const struct net_rec *n, struct berth_error **err)
{
	_cleanup_free_ char *doc = rec_to_json(n);

	return db_network_put(d->db, n->id, n->name, doc, err);
}

static void append(struct networks *st, struct net_rec *n)
{
	st->nets = xrealloc(st->nets, (st->n + 1) * sizeof(*st->nets));
	st->nets[st->n++] = n;
}

static int load_one(const char *key, const char *value, void *data)
{
	struct net_rec *n = NULL;

	if (rec_from_json(key, value, &n) < 0) {
		log_warn("Network record '%s' is malformed, ignoring", key);
		return 0;
	}
	append(data, n);
	return 0;
}

struct net_rec *network_by_name(struct daemon *d, const char *name)
{
	struct networks *st = state(d);

	for (size_t i = 0; st && i < st->n; i++)
		if (strcmp(st->nets[i]->name, name) == 0)
			return st->nets[i];
	return NULL;
}

struct net_rec *network_by_bridge(struct daemon *d, const char *bridge)
{
	struct networks *st = state(d);

	for (size_t i = 0; st && i < st->n; i++)
		if (st->nets[i]->bridge && strcmp(st->nets[i]->bridge, bridge) == 0)
			return st->nets[i];
	return NULL;
}

int network_cidr_parse_host(const char *s, struct net_ipv4 *ret, struct berth_error **err)
{
	struct net_ipv4 subnet;
	int r;

	if ((r = net_cidr_parse(s, false, &subnet, err)) < 0)
		return r;
	_cleanup_free_ char *addr = xstrndup(s, strcspn(s, "/"));
	if (inet_pton(AF_INET, addr, &ret->addr) != 1)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid CIDR address: %s", s);
	ret->prefix = subnet.prefix;
	return 0;
}

static void mask(struct net_ipv4 *c)
{
	uint32_t m = c->prefix ? ~0u << (32 - c->prefix) : 0;
	c->addr.s_addr = htonl(ntohl(c->addr.s_addr) & m);
}

/* docker's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
static void default_pools(struct net_pool pools[16])
{
	for (unsigned i = 0; i < 15; i++) {
		pools[i].base.addr.s_addr = htonl((172u << 24) | ((17u + i) << 16));
		pools[i].base.prefix = 16;
		pools[i].size = 16;
	}
	pools[15].base.addr.s_addr = htonl((192u << 24) | (168u << 16));
	pools[15].base.prefix = 16;
	pools[15].size = 20;
}

int network_pick_subnet(struct daemon *d, struct net_ipv4 *ret, struct berth_error **err)
{
	struct networks *st = state(d);
	_cleanup_free_ struct net_ipv4 *taken = NULL;
	size_t n_taken = 0;
	struct net_pool defaults[16];
	const struct net_pool *pools = d->net_opts.pools;
	size_t n_pools = d->net_opts.n_pools;
	int r;

	if ((r = net_routes_list(&taken, &n_taken, err)) < 0)
		return r;
	taken = xrealloc(taken, (n_taken + st->n + 1) * sizeof(*taken));
	for (size_t i = 0; i < st->n; i++)
		if (st->nets[i]->subnet.prefix)
			taken[n_taken++] = st->nets[i]->subnet;
	if (!n_pools) {
		default_pools(defaults);
		pools = defaults;
		n_pools = ARRAY_SIZE(defaults);
	}
	return net_pool_next(pools, n_pools, taken, n_taken, ret, err);
}

int network_bridge_up(struct daemon *d, struct net_rec *n, struct berth_error **err)
{
	struct networks *st = state(d);
	struct net_ipv4 gw = { .addr = n->gateway, .prefix = n->subnet.prefix };
	json_object *masq = jget(n->options, "com.docker.network.bridge.enable_ip_masquerade");
	struct net_nat_network nn = {
		.bridge = n->bridge,
		.subnet = n->subnet,
		.internal = n->internal,
		.masquerade = !n->internal &&
			      !(masq && strcmp(json_object_get_string(masq), "false") == 0),
	};
	int r;

	if (!n->ipam)
		n->ipam = net_ipam_new(&n->subnet, &n->range, n->gateway);
	if ((r = net_bridge_ensure(n->bridge, n->mtu, &gw, err)) < 0 ||
	    (r = net_nat_network_add(st->nat, &nn, err)) < 0)
		return berth_error_wrap(err, "network %s: bridge '%s'", n->name, n->bridge);
	return 0;
}

static json_object *default_bridge_options(struct daemon *d)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *mtu = xasprintf("%u", d->net_opts.mtu);

	jadd(o, "com.docker.network.bridge.default_bridge", jstr("true"));
	jadd(o, "com.docker.network.bridge.enable_icc", jstr("true"));
	jadd(o, "com.docker.network.bridge.enable_ip_masquerade", jstr("true"));
	jadd(o, "com.docker.network.bridge.host_binding_ipv4", jstr("0.0.0.0"));
	jadd(o, "com.docker.network.bridge.name", jstr(d->net_opts.bridge_name));
	jadd(o, "com.docker.network.driver.mtu", jstr(mtu));
	return o;
}

static struct net_rec *builtin_new(const char *name, const char *driver)
{
	struct net_rec *n = xzalloc(sizeof(*n));

	random_id(n->id);
	n->name = xstrdup(name);
	n->driver = xstrdup(driver);
	n->builtin = true;
	n->created_ns = now_unix_ns();
	n->mtu = 1500;
	n->labels = json_object_new_object();
	n->options = json_object_new_object();
	return n;
}

/* The default bridge: its record made or brought in line with --bip,
 * --bridge-name and --mtu. */
static int default_bridge_config(struct daemon *d, struct berth_error **err)
{
	struct net_options *o = &d->net_opts;
	struct net_rec *n = network_by_name(d, "bridge");
	struct net_ipv4 bip = { 0 };
	bool changed = false;
	int r;

	if (!n) {
		n = builtin_new("bridge", "bridge");
		append(state(d), n);
		changed = true;
	}
	if (o->bip) {
		if ((r = network_cidr_parse_host(o->bip, &bip, err)) < 0)
			return berth_error_wrap(err, "--bip");
		struct net_ipv4 subnet = bip;
		mask(&subnet);
		if (subnet.addr.s_addr == bip.addr.s_addr || bip.prefix > 30)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--bip '%s': give the bridge's address and prefix, "
					       "such as 10.1.0.1/24",
					       o->bip);
		if (subnet.addr.s_addr != n->subnet.addr.s_addr ||
		    subnet.prefix != n->subnet.prefix || bip.addr.s_addr != n->gateway.s_addr) {
			n->subnet = subnet;
			n->gateway = bip.addr;
			changed = true;
		}
	} else if (!n->subnet.prefix) {
		if ((r = network_pick_subnet(d, &n->subnet, err)) < 0)
			return berth_error_wrap(err, "default bridge");
		n->gateway.s_addr = htonl(ntohl(n->subnet.addr.s_addr) + 1);
		changed = true;
	}
	if (!n->bridge || strcmp(n->bridge, o->bridge_name) != 0 || n->mtu != o->mtu) {
		free(n->bridge);
		n->bridge = xstrdup(o->bridge_name);
		n->mtu = o->mtu;
		changed = true;
	}
	_cleanup_json_ json_object *opts = default_bridge_options(d);
	if (!json_object_equal(opts, n->options)) {
		json_object_put(n->options);
		n->options = TAKE_PTR(opts);
		changed = true;
	}
	return changed ? network_save(d, n, err) : 0;
}

static int builtins_ensure(struct daemon *d, struct berth_error **err)
{
	static const char *const builtins[][2] = { { "host", "host" }, { "none", "null" } };
	int r;

	if ((r = default_bridge_config(d, err)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++) {
		if (network_by_name(d, builtins[i][0]))
			continue;
		struct net_rec *n = builtin_new(builtins[i][0], builtins[i][1]);
		append(state(d), n);
		if ((r = network_save(d, n, err)) < 0)
			return r;
	}
	return 0;
}

static void upstreams_init(struct daemon *d)
{
	struct net_dns_upstreams *up = &state(d)->upstreams;

	memset(up, 0, sizeof(*up));
	for (size_t i = 0; d->net_opts.dns && d->net_opts.dns[i]; i++) {
		struct sockaddr_in *s = &up->servers[up->n];
		if (up->n >= ARRAY_SIZE(up->servers))
			break;
		if (inet_pton(AF_INET, d->net_opts.dns[i], &s->sin_addr) != 1) {
			log_warn("--dns '%s' is not an IPv4 address, ignoring", d->net_opts.dns[i]);
			continue;
		}
		s->sin_family = AF_INET;
		s->sin_port = htons(53);
		up->n++;
	}
	if (up->n == 0 && net_dns_upstreams_from_file("/etc/resolv.conf", up) < 0)
		log_warn("No resolvers in /etc/resolv.conf: names outside the networks will not "
			 "resolve in containers");
}

int networks_init(struct daemon *d, struct berth_error **err)
{
	struct net_options *o = &d->net_opts;
	struct networks *st = xzalloc(sizeof(*st));
	int r;

	d->networks = st;
	if (!o->bridge_name)
		o->bridge_name = xstrdup(DEFAULT_BRIDGE);
	if (!o->nft_table)
		o->nft_table = xstrdup(DEFAULT_TABLE);
	if (!o->mtu)
		o->mtu = 1500;
	if ((r = net_nat_open(o->nft_table, &st->nat, err)) < 0)
		return berth_error_wrap(err, "nftables table '%s'", o->nft_table);
	if ((r = db_network_foreach(d->db, load_one, st, err)) < 0 ||
	    (r = builtins_ensure(d, err)) < 0)
		return r;
	for (size_t i = 0; i < st->n; i++) {
		_cleanup_error_ struct berth_error *e = NULL;
		struct net_rec *n = st->nets[i];
		if (strcmp(n->driver, "bridge") != 0 || network_bridge_up(d, n, &e) >= 0)
			continue;
		if (strcmp(n->name, "bridge") == 0)
			return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "%s", e->msg);
		log_error("%s", e->msg);
	}
	if (o->ip_forward) {
		_cleanup_error_ struct berth_error *e = NULL;
		if (net_sysctl_set("net/ipv4/ip_forward", "1", &e) < 0)
			log_warn("Cannot enable IPv4 forwarding (%s): containers cannot reach "
				 "other hosts",
				 e->msg);
	}
	upstreams_init(d);
	return 0;
}

void networks_fini(struct daemon *d)
{
	struct networks *st = state(d);

	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		net_rec_free(st->nets[i]);
	free(st->nets);
	net_nat_free(st->nat);
	free(st);
	d->networks = NULL;
}

int network_lookup(struct daemon *d, const char *ref, struct net_rec **ret,
		   struct berth_error **err)
{
	struct networks *st = state(d);
	struct net_rec *by_name = NULL, *by_prefix = NULL;
	size_t n_prefix = 0;

	for (size_t i = 0; st && !str_is_empty(ref) && i < st->n; i++) {
		struct net_rec *n = st->nets[i];
		if (strcmp(n->id, ref) == 0) {
			*ret = n;
			return 0;
		}
		if (strcmp(n->name, ref) == 0)
			by_name = n;
		if (str_has_prefix(n->id, ref)) {
			by_prefix = n;
			n_prefix++;
		}
	}
	if (by_name || n_prefix == 1) {
		*ret = by_name ? by_name : by_prefix;
		return 0;
	}
	if (n_prefix > 1)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%zu matches found based on ID prefix: network %s is "
				       "ambiguous",
				       n_prefix, ref);
	(void)berth_error_set(err, 0, BERTH_ERR_NOT_FOUND, "network %s not found", ref ? ref : "");
	if (err && *err)
		(*err)->errnum = ENOENT;
	return -ENOENT;
}

struct net_rec *network_default_bridge(struct daemon *d)
{
	return network_by_name(d, "bridge");
}

bool network_is_user_defined(const struct net_rec *n)
{
	return n && !n->builtin && strcmp(n->driver, "bridge") == 0;
}

int network_ip_take(struct daemon *d, struct net_rec *n, const struct in_addr *requested,
		    struct in_addr *ret, struct berth_error **err)
{
	_cleanup_error_ struct berth_error *e = NULL;
	int r;

	(void)d;
	if (!n->ipam)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "network %s has no addresses to hand out", n->name);
	if (!requested) {
		if ((r = net_ipam_alloc(n->ipam, ret, &e)) >= 0)
			return 0;
		return berth_error_set(err, 0, BERTH_ERR_UNAVAILABLE,
				       "no available IPv4 addresses on this network's address "
				       "pools: %s (%s)",
				       n->name, n->id);
	}
	if ((r = net_ipam_reserve(n->ipam, *requested, &e)) >= 0) {
		*ret = *requested;
		return 0;
	}
	if (r == -EEXIST) {
		(void)berth_error_set(err, 0, BERTH_ERR_FORBIDDEN, "Address already in use");
		if (err && *err)
			(*err)->errnum = EEXIST;
		return -EEXIST;
	}
	_cleanup_free_ char *ip = net_ip_format(*requested);
	return berth_error_set(err, 0, BERTH_ERR_INVALID,
			       "invalid address %s: It does not belong to any of this network's "
			       "subnets",
			       ip);
}

void network_ip_release(struct daemon *d, struct net_rec *n, struct in_addr a)
{
	(void)d;
	if (n && n->ipam)
		net_ipam_release(n->ipam, a);
}

struct net_nat *network_nat(struct daemon *d)
{
	return state(d) ? state(d)->nat : NULL;
}

const struct net_dns_upstreams *network_upstreams(struct daemon *d)
{
	return state(d) ? &state(d)->upstreams : NULL;
}
