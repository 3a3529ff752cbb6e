/* Container endpoints of the Engine API. */
#define LOG_CATEGORY "api"
#include <regex.h>
#include <signal.h>
#include <string.h>

#include "api.h"
#include "container-internal.h"
#include "container-logs.h"
#include "health.h"
#include "runtime.h"

static struct container *find(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct container *c = NULL;

	if (container_lookup(d, http_request_param(req, "id"), &c, &err) < 0) {
		api_respond_error(req, err);
		return NULL;
	}
	return c;
}

static void ct_create(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL, *warnings = NULL;
	struct container *c = NULL;

	if (http_request_body_json(req, &body, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	json_object *hc = body ? jget(body, "Healthcheck") : NULL;
	unsigned api = http_request_api_version(req); /* 0: none, the current one */
	if (hc && json_object_is_type(hc, json_type_object) && api && api < 144)
		json_object_object_del(hc, "StartInterval"); /* API 1.44's (dockerd) */
	if (container_create(d, body, http_request_query(req, "name"), &c, &warnings, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	_cleanup_json_ json_object *o = json_object_new_object();
	jadd(o, "Id", jstr(c->id));
	jadd(o, "Warnings", json_object_get(warnings));
	http_respond_json(req, 201, o);
}

static bool matches(struct daemon *d, struct container *c, const struct api_filters *f)
{
	char **v;
	json_object *labels = NULL;

	if ((v = api_filters_get(f, "status")) && !strv_contains(v, ct_status_name(c->status)))
		return false;
	if ((v = api_filters_get(f, "id"))) {
		bool ok = false;
		for (size_t i = 0; v[i]; i++)
			ok |= str_has_prefix(c->id, v[i]);
		if (!ok)
			return false;
	}
	if ((v = api_filters_get(f, "name"))) {
		bool ok = false;
		for (size_t i = 0; v[i]; i++) {
			regex_t re;
			const char *pat = v[i][0] == '/' ? v[i] + 1 : v[i];
			if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0) {
				ok |= regexec(&re, c->name, 0, NULL, 0) == 0;
				regfree(&re);
			}
		}
		if (!ok)
			return false;
	}
	json_object_object_get_ex(c->config, "Labels", &labels);
	if ((v = api_filters_get(f, "label")) && !api_labels_match(v, labels))
		return false;
	if ((v = api_filters_get(f, "health")) && !strv_contains(v, health_status_name(c)))
		return false;
	if ((v = api_filters_get(f, "ancestor"))) {
		bool ok = false;
		for (size_t i = 0; v[i]; i++) {
			struct image_rec *img = NULL;
			ok |= image_lookup(d, v[i], &img, NULL) == 0 && c->image_id &&
			      strcmp(img->id, c->image_id) == 0;
		}
		if (!ok)
			return false;
	}
	static const char *const order[] = { "before", "since" };
	for (size_t k = 0; k < 2; k++) {
		struct container *ref = NULL;
		if (!(v = api_filters_get(f, order[k])))
			continue;
		for (size_t i = 0; v[i]; i++) {
			if (container_lookup(d, v[i], &ref, NULL) < 0 || ref == c)
				return false;
			if (k == 0 ? c->created_ns >= ref->created_ns
				   : c->created_ns <= ref->created_ns)
				return false;
		}
	}
	if ((v = api_filters_get(f, "network"))) {
		json_object *mode = NULL;
		const char *m = "bridge";
		if (json_object_object_get_ex(c->host_config, "NetworkMode", &mode) && mode &&
		    strcmp(json_object_get_string(mode), "default") != 0)
			m = json_object_get_string(mode);
		if (!strv_contains(v, m))
			return false;
	}
	if ((v = api_filters_get(f, "volume"))) {
		_cleanup_json_ json_object *mounts = container_mounts_json(c);
		bool ok = false;
		for (size_t i = 0; i < json_object_array_length(mounts); i++) {
			json_object *m = json_object_array_get_idx(mounts, i), *src = NULL,
				    *dst = NULL, *name = NULL;
			json_object_object_get_ex(m, "Source", &src);
			json_object_object_get_ex(m, "Destination", &dst);
			json_object_object_get_ex(m, "Name", &name);
			ok |= (name && strv_contains(v, json_object_get_string(name))) ||
			      (src && strv_contains(v, json_object_get_string(src))) ||
			      (dst && strv_contains(v, json_object_get_string(dst)));
		}
		if (!ok)
			return false;
	}
	if ((v = api_filters_get(f, "exited"))) {
		bool ok = false;
		for (size_t i = 0; v[i]; i++) {
			int code;
			ok |= c->status == CT_EXITED && str_to_int(v[i], &code) == 0 &&
			      code == c->exit_code;
		}
		if (!ok)
			return false;
	}
	return true;
}

static void ct_list(struct daemon *d, struct http_request *req)
{
	static const char *const allowed[] = { "status", "id",	    "name",   "label",	 "ancestor",
					       "exited", "before",  "since",  "volume",	 "network",
					       "health", "publish", "expose", "is-task", NULL };
	_cleanup_error_ struct berth_error *err = NULL;
	struct api_filters f;
	bool all = http_request_query_bool(req, "all", false);
	bool size = http_request_query_bool(req, "size", false);
	int limit = -1;

	if (api_filters_parse(req, allowed, &f, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	char **st = api_filters_get(&f, "status");
	static const char *const states[] = { "created", "restarting", "running", "removing",
					      "paused",	 "exited",     "dead",	  NULL };
	for (size_t i = 0; st && st[i]; i++) {
		if (!strv_contains((char *const *)states, st[i])) {
			http_respond_error(req, 400, "Invalid filter 'status=%s'", st[i]);
			api_filters_free(&f);
			return;
		}
	}
	static const char *const healths[] = { "none", "starting", "healthy", "unhealthy", NULL };
	char **hv = api_filters_get(&f, "health");
	for (size_t i = 0; hv && hv[i]; i++) {
		if (!strv_contains((char *const *)healths, hv[i])) {
			http_respond_error(
				req, 400,
				"invalid filter 'health=%s': invalid value for health "
				"(%s): must be one of none, starting, healthy, unhealthy",
				hv[i], hv[i]);
			api_filters_free(&f);
			return;
		}
	}
	if (http_request_query(req, "limit"))
		(void)str_to_int(http_request_query(req, "limit"), &limit);
	if (limit > 0)
		all = true;
	_cleanup_json_ json_object *a = json_object_new_array();
	/* Newest first, as docker lists them. */
	for (size_t k = d->n_containers; k > 0; k--) {
		struct container *c = d->containers[k - 1];
		if (!all && !ct_is_running(c) && c->status != CT_RESTARTING)
			continue;
		if (!matches(d, c, &f))
			continue;
		if (limit > 0 && (int)json_object_array_length(a) >= limit)
			break;
		json_object_array_add(a, container_summary_json(d, c, size));
	}
	api_filters_free(&f);
	http_respond_json(req, 200, a);
}

static void ct_inspect(struct daemon *d, struct http_request *req)
{
	struct container *c = find(d, req);
	if (!c)
		return;
	_cleanup_json_ json_object *o = container_inspect_json(d, c, http_request_api_version(req));
	if (http_request_query_bool(req, "size", false))
		container_add_sizes(d, c, o);
	http_respond_json(req, 200, o);
}

static void ct_start(struct daemon *d, struct http_request *req)
{
	struct container *c = find(d, req);
	if (c)
		container_start(d, c, req);
}

static int query_timeout(struct http_request *req)
{
	int t = -1;
	const char *s = http_request_query(req, "t");
	if (s && str_to_int(s, &t) < 0)
		t = -1;
	return t;
}

static void ct_stop(struct daemon *d, struct http_request *req)
{
	struct container *c = find(d, req);
	if (c)
		container_stop(d, c, http_request_query(req, "signal"), query_timeout(req), req);
}

static void ct_restart(struct daemon *d, struct http_request *req)
{
	struct container *c = find(d, req);
	if (c)
		container_restart(d, c, http_request_query(req, "signal"), query_timeout(req), req);
}

static void ct_kill(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const char *s = http_request_query(req, "signal");
	struct container *c = find(d, req);
	int sig = SIGKILL;

	if (!c)
		return;
	if (s && *s && rt_signal_parse(s, &sig) < 0) {
		http_respond_error(req, 400, "Invalid signal: %s", s);
		return;
	}
	if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT)
		c->manual_stop = true;
	if (container_kill(d, c, sig, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond(req, 204, NULL, NULL, 0);
}

static void ct_pause_common(struct daemon *d, struct http_request *req, bool pause)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct container *c = find(d, req);

	if (!c)
		return;
	if (container_pause(d, c, pause, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond(req, 204, NULL, NULL, 0);
}

static void ct_pause(struct daemon *d, struct http_request *req)
{
	ct_pause_common(d, req, true);
}

static void ct_unpause(struct daemon *d, struct http_request *req)
{
	ct_pause_common(d, req, false);
}

static void ct_wait(struct daemon *d, struct http_request *req)
{
	struct container *c = find(d, req);
	if (c)
		container_wait(d, c, http_request_query(req, "condition"), req);
}

static void ct_delete(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct container *c = find(d, req);

	if (!c)
		return;
	if (container_remove(d, c, http_request_query_bool(req, "force", false),
			     http_request_query_bool(req, "v", false), &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond(req, 204, NULL, NULL, 0);
}

static void ct_rename(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct container *c = find(d, req);
	const char *name = http_request_query(req, "name");

	if (!c)
		return;
	if (container_rename(d, c, name ? name : "", &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond(req, 204, NULL, NULL, 0);
}

static void ct_resize(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct container *c = find(d, req);
	int h = 0, w = 0;

	if (!c)
		return;
	if (str_to_int(http_request_query(req, "h"), &h) < 0 ||
	    str_to_int(http_request_query(req, "w"), &w) < 0) {
		http_respond_error(req, 400, "invalid resize parameters: h and w must be integers");
		return;
	}
	if (container_resize(d, c, h, w, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond(req, 200, NULL, NULL, 0);
}

static void ct_attach(struct daemon *d, struct http_request *req)
{
	struct container *c = find(d, req);
	if (c)
		container_attach(d, c, req);
}

static void ct_logs(struct daemon *d, struct http_request *req)
{
	struct container *c = find(d, req);
	if (!c)
		return;
	json_object *lc = NULL, *t = NULL;
	if (json_object_object_get_ex(c->host_config, "LogConfig", &lc) &&
	    json_object_object_get_ex(lc, "Type", &t) &&
	    strcmp(json_object_get_string(t), "none") == 0) {
		http_respond_error(req, 501, "configured logging driver does not support reading");
		return;
	}
	if (!http_request_query_bool(req, "stdout", false) &&
	    !http_request_query_bool(req, "stderr", false)) {
		http_respond_error(req, 400, "Bad parameters: you must choose at least one stream");
		return;
	}
	container_logs(d, c, req);
}

/* POST /containers/prune: every stopped container the filters (until,
 * label, label!) select; the space is that of their writable layers. */
static void ct_prune(struct daemon *d, struct http_request *req)
{
	static const char *const allowed[] = { "until", "label", "label!", NULL };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *deleted = json_object_new_array();
	int64_t until = INT64_MAX, reclaimed = 0;
	struct api_filters f;
	char **v;

	if (api_filters_parse(req, allowed, &f, &err) < 0) {
		json_object_put(deleted);
		api_respond_error(req, err);
		return;
	}
	for (size_t i = 0; (v = api_filters_get(&f, "until")) && v[i]; i++) {
		if (api_time_filter_parse(v[i], &until) < 0) {
			json_object_put(deleted);
			api_filters_free(&f);
			http_respond_error(req, 400, "invalid filter 'until=%s'", v[i]);
			return;
		}
	}
	char **labels = api_filters_get(&f, "label"), **not_labels = api_filters_get(&f, "label!");
	for (size_t i = d->n_containers; i > 0; i--) {
		struct container *c = d->containers[i - 1];
		json_object *cl = jget(c->config, "Labels");
		/* label!: left out when all of its labels match, as docker's MatchKVList */
		if (ct_is_running(c) || c->starting || c->status == CT_RESTARTING ||
		    c->created_ns / 1000000000LL >= until || !api_labels_match(labels, cl) ||
		    (not_labels && api_labels_match(not_labels, cl)))
			continue;
		_cleanup_free_ char *id = xstrdup(c->id);
		_cleanup_json_ json_object *sizes = json_object_new_object();
		container_add_sizes(d, c, sizes);
		int64_t size = json_object_get_int64(jget(sizes, "SizeRw"));
		if (container_remove(d, c, false, false, NULL) == 0) {
			json_object_array_add(deleted, jstr(id));
			reclaimed += size;
		}
	}
	api_filters_free(&f);
	/* Go's nil slice: null when nothing was removed */
	if (json_object_array_length(deleted) == 0) {
		json_object_put(deleted);
		deleted = NULL;
	}
	jadd(o, "ContainersDeleted", deleted);
	jadd(o, "SpaceReclaimed", json_object_new_int64(reclaimed));
	api_prune_event(d, "container", reclaimed);
	http_respond_json(req, 200, o);
}

void api_containers_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "POST", "/containers/create", 0, ct_create);
	api_add(r, "GET", "/containers/json", 0, ct_list);
	api_add(r, "POST", "/containers/prune", 0, ct_prune);
	api_add(r, "GET", "/containers/{id}/json", 0, ct_inspect);
	api_add(r, "POST", "/containers/{id}/start", 0, ct_start);
	api_add(r, "POST", "/containers/{id}/stop", 0, ct_stop);
	api_add(r, "POST", "/containers/{id}/restart", 0, ct_restart);
	api_add(r, "POST", "/containers/{id}/kill", 0, ct_kill);
	api_add(r, "POST", "/containers/{id}/pause", 0, ct_pause);
	api_add(r, "POST", "/containers/{id}/unpause", 0, ct_unpause);
	api_add(r, "POST", "/containers/{id}/wait", 0, ct_wait);
	api_add(r, "DELETE", "/containers/{id}", 0, ct_delete);
	api_add(r, "POST", "/containers/{id}/rename", 0, ct_rename);
	api_add(r, "POST", "/containers/{id}/resize", 0, ct_resize);
	api_add(r, "POST", "/containers/{id}/attach", 0, ct_attach);
	api_add(r, "GET", "/containers/{id}/logs", 0, ct_logs);
}
