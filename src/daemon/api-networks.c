/* Network endpoints of the Engine API: list, inspect, create, remove, prune,
 * connect and disconnect, in dockerd's shapes and words. */
#define LOG_CATEGORY "api"
#include <string.h>

#include "api.h"
#include "container.h"
#include "networks-internal.h"

static json_object *ipam_json(const struct net_rec *n)
{
	json_object *o = json_object_new_object(), *configs = json_object_new_array();

	jadd(o, "Driver", jstr("default"));
	jadd(o, "Options", n->builtin ? NULL : json_object_new_object());
	if (strcmp(n->driver, "bridge") == 0 && n->subnet.prefix) {
		json_object *c = json_object_new_object();
		_cleanup_free_ char *subnet = net_cidr_format(&n->subnet);
		_cleanup_free_ char *gw = net_ip_format(n->gateway);
		_cleanup_free_ char *range = n->range.prefix ? net_cidr_format(&n->range) : NULL;
		jadd(c, "Subnet", jstr(subnet));
		if (range)
			jadd(c, "IPRange", jstr(range));
		jadd(c, "Gateway", jstr(gw));
		json_object_array_add(configs, c);
	}
	jadd(o, "Config", configs);
	return o;
}

/* docker's network.Inspect; Containers only when detailed (inspect), {} in lists. */
static json_object *network_json(struct daemon *d, const struct net_rec *n, bool detailed)
{
	json_object *o = json_object_new_object(), *from = json_object_new_object();
	_cleanup_free_ char *created = time_rfc3339(n->created_ns);

	jadd(o, "Name", jstr(n->name));
	jadd(o, "Id", jstr(n->id));
	jadd(o, "Created", jstr(created));
	jadd(o, "Scope", jstr("local"));
	jadd(o, "Driver", jstr(n->driver));
	jadd(o, "EnableIPv4", json_object_new_boolean(1));
	jadd(o, "EnableIPv6", json_object_new_boolean(0));
	jadd(o, "IPAM", ipam_json(n));
	jadd(o, "Internal", json_object_new_boolean(n->internal));
	jadd(o, "Attachable", json_object_new_boolean(n->attachable));
	jadd(o, "Ingress", json_object_new_boolean(0));
	jadd(from, "Network", jstr(""));
	jadd(o, "ConfigFrom", from);
	jadd(o, "ConfigOnly", json_object_new_boolean(0));
	jadd(o, "Containers", detailed ? network_containers_json(d, n) : json_object_new_object());
	jadd(o, "Options", json_sorted_copy(n->options));
	jadd(o, "Labels", json_sorted_copy(n->labels));
	return o;
}

static void network_event_simple(struct daemon *d, const char *action, const char *id,
				 const char *name, const char *driver)
{
	json_object *attrs = json_object_new_object();

	jadd(attrs, "name", jstr(name));
	jadd(attrs, "type", jstr(driver));
	api_event(d, "network", action, id, attrs);
}

struct net_filter {
	char **driver, **id, **name, **label, **not_label, **scope;
	int type;     /* -1 any, 0 custom, 1 builtin */
	int dangling; /* -1 any, 0 in use or built-in, 1 neither */
	bool has_until;
	int64_t until; /* unix seconds */
};

static int filter_parse(struct api_filters *f, struct net_filter *ret, struct berth_error **err)
{
	struct net_filter flt = {
		.driver = api_filters_get(f, "driver"),
		.id = api_filters_get(f, "id"),
		.name = api_filters_get(f, "name"),
		.label = api_filters_get(f, "label"),
		.not_label = api_filters_get(f, "label!"),
		.scope = api_filters_get(f, "scope"),
		.type = -1,
		.dangling = -1,
	};
	char **v;

	if ((v = api_filters_get(f, "dangling"))) {
		if (v[1])
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"got more than one value for filter key \"dangling\"");
		if (strcmp(v[0], "true") == 0 || strcmp(v[0], "1") == 0)
			flt.dangling = 1;
		else if (strcmp(v[0], "false") == 0 || strcmp(v[0], "0") == 0)
			flt.dangling = 0;
		else
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"invalid value for filter 'dangling', must be \"true\" "
				"(or \"1\"), or \"false\" (or \"0\")");
	}
	for (size_t i = 0; (v = api_filters_get(f, "type")) && v[i]; i++) {
		if (strcmp(v[i], "builtin") != 0 && strcmp(v[i], "custom") != 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid filter: 'type'='%s'", v[i]);
		if (i == 0)
			flt.type = strcmp(v[i], "builtin") == 0;
	}
	if ((v = api_filters_get(f, "until"))) {
		if (v[1])
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "more than one until filter specified");
		if (api_time_filter_parse(v[0], &flt.until) < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid filter 'until=%s'", v[0]);
		flt.has_until = true;
	}
	*ret = flt;
	return 0;
}

static bool filter_match(struct daemon *d, const struct net_filter *f, const struct net_rec *n)
{
	if (f->driver && !strv_contains(f->driver, n->driver))
		return false;
	if (f->name && !api_filter_regex_any(f->name, n->name))
		return false;
	if (f->id && !api_filter_regex_any(f->id, n->id))
		return false;
	if (f->label && !api_labels_match(f->label, n->labels))
		return false;
	if (f->not_label && api_labels_match(f->not_label, n->labels))
		return false;
	if (f->scope && !strv_contains(f->scope, "local"))
		return false;
	if (f->type >= 0 && f->type != n->builtin)
		return false;
	if (f->dangling >= 0 && f->dangling != (!n->builtin && !network_has_active_endpoints(d, n)))
		return false;
	if (f->has_until && n->created_ns / 1000000000LL > f->until)
		return false;
	return true;
}

static void networks_list(struct daemon *d, struct http_request *req)
{
	static const char *const allowed[] = { "dangling", "driver", "id",   "label",
					       "name",	   "scope",  "type", NULL };
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_filter flt;
	struct api_filters f;

	if (api_filters_parse(req, allowed, &f, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (filter_parse(&f, &flt, &err) < 0) {
		api_filters_free(&f);
		api_respond_error(req, err);
		return;
	}
	_cleanup_json_ json_object *a = json_object_new_array();
	for (size_t i = 0; i < d->networks->n; i++)
		if (filter_match(d, &flt, d->networks->nets[i]))
			json_object_array_add(a, network_json(d, d->networks->nets[i], false));
	api_filters_free(&f);
	http_respond_json(req, 200, a);
}

static void network_inspect(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const char *id = http_request_param(req, "id");
	const char *verbose = http_request_query(req, "verbose");
	const char *scope = http_request_query(req, "scope");
	struct net_rec *n = NULL;

	if (!str_is_empty(verbose) &&
	    !strv_contains((char *[]){ "1", "t", "T", "TRUE", "true", "True", "0", "f", "F",
				       "FALSE", "false", "False", NULL },
			   verbose)) {
		http_respond_error(req, 400, "invalid value for verbose: %s", verbose);
		return;
	}
	if (!str_is_empty(scope) && strcmp(scope, "local") != 0) {
		http_respond_error(req, 404, "network %s not found", id);
		return;
	}
	if (network_lookup(d, id, &n, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	_cleanup_json_ json_object *o = network_json(d, n, true);
	http_respond_json(req, 200, o);
}

static void network_create_handler(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	struct net_rec *n = NULL;

	if (http_request_body_json(req, &body, &err) < 0 ||
	    (!json_object_is_type(body, json_type_object) &&
	     berth_error_set(&err, 0, BERTH_ERR_INVALID, "a JSON object is expected") < 0) ||
	    network_create(d, body, &n, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	log_info("Network '%s' created (%.12s, bridge '%s')", n->name, n->id, n->bridge);
	network_event_simple(d, "create", n->id, n->name, n->driver);
	_cleanup_json_ json_object *o = json_object_new_object();
	jadd(o, "Id", jstr(n->id));
	jadd(o, "Warning", jstr(""));
	http_respond_json(req, 201, o);
}

static int remove_one(struct daemon *d, struct net_rec *n, struct berth_error **err)
{
	_cleanup_free_ char *id = xstrdup(n->id), *name = xstrdup(n->name);
	_cleanup_free_ char *driver = xstrdup(n->driver);
	int r = network_remove(d, n, err);

	if (r < 0)
		return r;
	log_info("Network '%s' removed (%.12s)", name, id);
	network_event_simple(d, "destroy", id, name, driver);
	return 0;
}

static void network_delete(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_rec *n = NULL;

	if (network_lookup(d, http_request_param(req, "id"), &n, &err) < 0 ||
	    remove_one(d, n, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond(req, 204, NULL, NULL, 0);
}

static void networks_prune(struct daemon *d, struct http_request *req)
{
	static const char *const allowed[] = { "label", "label!", "until", NULL };
	_cleanup_error_ struct berth_error *err = NULL;
	struct net_filter flt;
	struct api_filters f;

	if (api_filters_parse(req, allowed, &f, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (filter_parse(&f, &flt, &err) < 0) {
		api_filters_free(&f);
		api_respond_error(req, err);
		return;
	}
	flt.dangling = 1;
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *deleted = json_object_new_array();
	for (size_t i = d->networks->n; i > 0; i--) {
		struct net_rec *n = d->networks->nets[i - 1];
		_cleanup_error_ struct berth_error *e = NULL;
		if (!filter_match(d, &flt, n))
			continue;
		_cleanup_free_ char *name = xstrdup(n->name);
		if (remove_one(d, n, &e) < 0) {
			log_warn("Prune: network '%s': %s, ignoring", name, e->msg);
			continue;
		}
		json_object_array_add(deleted, jstr(name));
	}
	api_filters_free(&f);
	if (json_object_array_length(deleted) == 0) {
		json_object_put(deleted);
		deleted = NULL;
	}
	jadd(o, "NetworksDeleted", deleted);
	api_prune_event(d, "network", 0);
	http_respond_json(req, 200, o);
}

/* POST /networks/{id}/connect and /disconnect: the container first, as dockerd. */
static void connect_common(struct daemon *d, struct http_request *req, bool connect)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	json_object *epc = NULL;
	const char *ref = NULL;
	bool force = false;
	struct container *c = NULL;
	struct net_rec *n = NULL;
	int r;

	if ((r = http_request_body_json(req, &body, &err)) < 0 ||
	    (r = json_get_str(body, "", "Container", false, &ref, &err)) < 0 ||
	    (connect && (r = json_get_object(body, "", "EndpointConfig", false, &epc, &err)) < 0) ||
	    (!connect && (r = json_get_bool(body, "", "Force", &force, &err)) < 0) ||
	    (r = container_lookup(d, ref ? ref : "", &c, &err)) < 0 ||
	    (r = network_lookup(d, http_request_param(req, "id"), &n, &err)) < 0) {
		api_respond_error(req, err);
		return;
	}
	r = connect ? container_net_connect(d, c, n, epc, &err)
		    : container_net_disconnect(d, c, n, force, &err);
	if (r < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond(req, 200, NULL, NULL, 0);
}

static void network_connect(struct daemon *d, struct http_request *req)
{
	connect_common(d, req, true);
}

static void network_disconnect(struct daemon *d, struct http_request *req)
{
	connect_common(d, req, false);
}

void api_networks_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "GET", "/networks", 0, networks_list);
	api_add(r, "POST", "/networks/create", 0, network_create_handler);
	api_add(r, "POST", "/networks/prune", 0, networks_prune);
	api_add(r, "GET", "/networks/{id}", 0, network_inspect);
	api_add(r, "DELETE", "/networks/{id}", 0, network_delete);
	api_add(r, "POST", "/networks/{id}/connect", 0, network_connect);
	api_add(r, "POST", "/networks/{id}/disconnect", 0, network_disconnect);
}
