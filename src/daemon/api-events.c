/* GET /events: docker's event stream. Events are kept in a ring of the last
 * EVENTS_KEPT (for ?since=), on disk too so that they outlive a restart
 * (events-log.h), and written to every subscribed client whose filters
 * match; ?until= ends the stream (at once when it is past). */
#define LOG_CATEGORY "api"
#include <math.h>
#include <string.h>

#include "api.h"
#include "events-log.h"

#define EVENTS_KEPT 1024

struct event {
	int64_t ns;
	json_object *msg;
};

struct subscriber {
	struct subscriber *next;
	struct http_request *req;
	struct api_filters filters;
	int64_t until_ns;
	uint64_t timer;
};

static struct event ring[EVENTS_KEPT];
static size_t ring_next, ring_count;
static struct subscriber *subscribers;
static struct events_log *history;

static bool any_matches(char *const *wanted, const char *value)
{
	for (size_t i = 0; wanted && wanted[i]; i++)
		if (value && strcmp(wanted[i], value) == 0)
			return true;
	return !wanted;
}

static const char *jstr_at(json_object *o, const char *k)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* docker's FuzzyMatch on an actor: a filter value equal to, or a prefix of,
 * the actor's id, or equal to its name; true when the key is not filtered. */
static bool actor_matches(const struct api_filters *f, const char *key, const char *id,
			  const char *name)
{
	char **want = api_filters_get(f, key);
	bool ok = !want;

	for (size_t i = 0; want && want[i]; i++)
		ok |= (id && str_has_prefix(id, want[i])) || (name && !strcmp(name, want[i]));
	return ok;
}

static bool event_matches(const struct api_filters *f, json_object *msg)
{
	json_object *actor = NULL, *attrs = NULL;
	const char *type = jstr_at(msg, "Type"), *action = jstr_at(msg, "Action");

	(void)json_object_object_get_ex(msg, "Actor", &actor);
	(void)json_object_object_get_ex(actor, "Attributes", &attrs);
	const char *id = jstr_at(actor, "ID"), *name = jstr_at(attrs, "name");
	bool container_ok = actor_matches(f, "container", id, name);
	char **ev = api_filters_get(f, "event");
	bool event_ok = !ev;
	/* "exec_start" matches "exec_start: sh -c ..." as in docker */
	for (size_t i = 0; ev && ev[i] && action; i++)
		event_ok |= strcmp(ev[i], action) == 0 ||
			    (str_has_prefix(action, ev[i]) && action[strlen(ev[i])] == ':');
	char **im = api_filters_get(f, "image");
	bool image_ok = !im || any_matches(im, jstr_at(attrs, "image")) ||
			(type && !strcmp(type, "image") && any_matches(im, id));
	return container_ok && event_ok && image_ok &&
	       any_matches(api_filters_get(f, "type"), type) &&
	       any_matches(api_filters_get(f, "scope"), jstr_at(msg, "scope")) &&
	       actor_matches(f, "network", id, name) && actor_matches(f, "volume", id, name) &&
	       actor_matches(f, "plugin", id, name) && actor_matches(f, "node", id, name) &&
	       actor_matches(f, "service", id, name) && actor_matches(f, "secret", id, name) &&
	       actor_matches(f, "config", id, name) &&
	       !api_filters_get(f, "daemon") /* berthd sends no daemon events */ &&
	       api_labels_match(api_filters_get(f, "label"), attrs);
}

static void subscriber_drop(struct daemon *d, struct subscriber *s)
{
	for (struct subscriber **pp = &subscribers; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (s->timer)
		http_loop_cancel_timer(d->loop, s->timer);
	api_filters_free(&s->filters);
	http_request_unref(s->req);
	free(s);
}

static void subscriber_closed(struct http_request *req, void *data)
{
	(void)req;
	subscriber_drop(the_daemon, data);
}

static void subscriber_until(struct http_loop *l, void *data)
{
	struct subscriber *s = data;

	(void)l;
	s->timer = 0;
	http_request_on_close(s->req, NULL, NULL);
	http_stream_end(s->req);
	subscriber_drop(the_daemon, s);
}

static void ring_add(int64_t ns, json_object *msg)
{
	json_object_put(ring[ring_next].msg);
	ring[ring_next] = (struct event){ .ns = ns, .msg = msg };
	ring_next = (ring_next + 1) % EVENTS_KEPT;
	if (ring_count < EVENTS_KEPT)
		ring_count++;
}

void api_event(struct daemon *d, const char *type, const char *action, const char *id,
	       json_object *attrs)
{
	int64_t ns = now_unix_ns();
	json_object *msg = json_object_new_object(), *actor = json_object_new_object();

	(void)d;
	/* keys in order, as Go encodes a map, so that {{json .}} prints as dockerd's */
	json_object *given = attrs;
	attrs = given ? json_sorted_copy(given) : json_object_new_object();
	json_object_put(given);
	if (!strcmp(type, "container") || !strcmp(type, "image")) {
		jadd(msg, "status", jstr(action));
		if (!str_is_empty(id)) /* Go's omitempty */
			jadd(msg, "id", jstr(id));
		const char *image = jstr_at(attrs, "image");
		if (image)
			jadd(msg, "from", jstr(image));
	}
	jadd(msg, "Type", jstr(type));
	jadd(msg, "Action", jstr(action));
	jadd(actor, "ID", jstr(id));
	jadd(actor, "Attributes", attrs);
	jadd(msg, "Actor", actor);
	jadd(msg, "scope", jstr("local"));
	jadd(msg, "time", json_object_new_int64(ns / 1000000000LL));
	jadd(msg, "timeNano", json_object_new_int64(ns));
	events_log_append(history, msg);
	ring_add(ns, msg);
	for (struct subscriber *s = subscribers; s; s = s->next)
		if (event_matches(&s->filters, msg))
			(void)http_stream_write_json(s->req, msg);
}

void api_prune_event(struct daemon *d, const char *type, int64_t reclaimed)
{
	json_object *attrs = json_object_new_object();
	_cleanup_free_ char *n = xasprintf("%lld", (long long)reclaimed);

	jadd(attrs, "reclaimed", jstr(n));
	api_event(d, type, "prune", "", attrs);
}

/* docker's timestamps: seconds[.nanoseconds] (the CLI converts durations and dates). */
static int parse_time(const char *s, int64_t *ret)
{
	char *end = NULL;
	long long sec = strtoll(s, &end, 10);
	int64_t ns = 0;

	if (end == s)
		return -EINVAL;
	if (*end == '.') {
		const char *p = end + 1;
		int digits = 0;
		for (; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
			ns = ns * 10 + (*p - '0');
		for (; digits < 9; digits++)
			ns *= 10;
		end = (char *)p + strspn(p, "0123456789");
	}
	if (*end)
		return -EINVAL;
	*ret = (int64_t)sec * 1000000000LL + ns;
	return 0;
}

static void api_events(struct daemon *d, struct http_request *req)
{
	static const char *const allowed[] = { "container", "event",  "type",	"image",
					       "label",	    "scope",  "daemon", "network",
					       "volume",    "plugin", "node",	"service",
					       "secret",    "config", NULL };
	_cleanup_error_ struct berth_error *err = NULL;
	const char *since = http_request_query(req, "since");
	const char *until = http_request_query(req, "until");
	int64_t since_ns = 0, until_ns = 0, now = now_unix_ns();
	struct api_filters f;

	if ((!str_is_empty(since) && parse_time(since, &since_ns) < 0) ||
	    (!str_is_empty(until) && parse_time(until, &until_ns) < 0)) {
		http_respond_error(req, 400, "invalid timestamp in since or until");
		return;
	}
	if (api_filters_parse(req, allowed, &f, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_stream_begin(req, 200, "application/json");
	if (!str_is_empty(since)) {
		size_t first = (ring_next + EVENTS_KEPT - ring_count) % EVENTS_KEPT;
		for (size_t k = 0; k < ring_count; k++) {
			struct event *e = &ring[(first + k) % EVENTS_KEPT];
			if (e->ns >= since_ns && (!until_ns || e->ns <= until_ns) &&
			    event_matches(&f, e->msg))
				(void)http_stream_write_json(req, e->msg);
		}
	}
	if (until_ns && until_ns <= now) {
		api_filters_free(&f);
		http_stream_end(req);
		return;
	}
	struct subscriber *s = xzalloc(sizeof(*s));
	s->req = http_request_ref(req);
	s->filters = f;
	s->until_ns = until_ns;
	if (until_ns)
		s->timer = http_loop_add_timer(d->loop, (uint64_t)((until_ns - now) / 1000000) + 1,
					       subscriber_until, s);
	s->next = subscribers;
	subscribers = s;
	http_request_on_close(req, subscriber_closed, s);
}

void api_events_register(struct daemon *d, struct http_router *r)
{
	json_object **old = NULL;
	size_t n = 0;
	int r2;

	if ((r2 = events_log_open(d->data_root, EVENTS_KEPT, &history, &old, &n)) < 0)
		log_warn("event history in %s: %s; events are kept in memory only", d->data_root,
			 strerror(-r2));
	for (size_t i = 0; i < n; i++) {
		json_object *t = jget(old[i], "timeNano");
		ring_add(t ? json_object_get_int64(t) : 0, old[i]);
	}
	free(old);
	api_add(r, "GET", "/events", 0, api_events);
}
