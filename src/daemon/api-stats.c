/* GET /containers/{id}/stats: one sample (stream=0) or one a second
 * (stream=1, timer driven, until the client goes away).
 *
 * A CPU percentage needs two samples. dockerd waits for its collector's next
 * tick (about a second); berthd remembers the last cpu_stats it read for each
 * container and reports it as precpu_stats when it is at least
 * STATS_MIN_WINDOW_MS old (and not stale). Without such a sample, a stream=0
 * answer is sent STATS_MIN_WINDOW_MS after a first reading (a loop timer, the
 * loop never waits). one-shot=1 answers at once with no precpu, as dockerd. */
#define LOG_CATEGORY "stats"
#include <string.h>

#include "api.h"
#include "container-stats.h"
#include "container.h"
#include "stats.h"

#define STATS_MIN_WINDOW_MS 100
#define STATS_MAX_AGE_NS    (10ll * 1000000000)
#define STATS_INTERVAL_MS   1000

struct last_sample {
	struct last_sample *next;
	char id[65];
	int64_t ns;
	json_object *cpu; /* cpu_stats */
};

static struct last_sample *last_samples;

struct stats_req {
	struct stats_req *next; /* in active_reqs */
	struct http_request *req;
	char id[65];
	bool stream;
	uint64_t timer;
	json_object *pre;
	int64_t pre_ns;
};

/* The requests with a timer pending, so that a container's removal ends
 * their streams at once (api_stats_container_removed). */
static struct stats_req *active_reqs;

static struct last_sample *last_find(const char *id, bool create)
{
	int64_t now = now_unix_ns();

	for (struct last_sample **pp = &last_samples; *pp;) {
		struct last_sample *s = *pp;
		if (strcmp(s->id, id) == 0)
			return s;
		if (now - s->ns > 6 * STATS_MAX_AGE_NS) { /* forgotten containers */
			*pp = s->next;
			json_object_put(s->cpu);
			free(s);
			continue;
		}
		pp = &s->next;
	}
	if (!create)
		return NULL;
	struct last_sample *s = xzalloc(sizeof(*s));
	(void)snprintf(s->id, sizeof(s->id), "%s", id);
	s->next = last_samples;
	last_samples = s;
	return s;
}

/* Read c now with pre as precpu; remember the reading. */
static json_object *take(struct daemon *d, struct container *c, json_object *pre, int64_t pre_ns,
			 int64_t *ret_ns)
{
	int64_t now = now_unix_ns();
	json_object *o = container_stats_sample(d, c, pre, pre_ns, now);
	json_object *cpu = jget(o, "cpu_stats");

	if (ct_is_running(c) && jget(cpu, "system_cpu_usage")) {
		struct last_sample *s = last_find(c->id, true);
		json_object_put(s->cpu);
		s->cpu = json_object_get(cpu);
		s->ns = now;
	}
	if (ret_ns)
		*ret_ns = now;
	return o;
}

static void sr_free(struct daemon *d, struct stats_req *s)
{
	for (struct stats_req **pp = &active_reqs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->timer)
		http_loop_cancel_timer(d->loop, s->timer);
	json_object_put(s->pre);
	http_request_unref(s->req);
	free(s);
}

static void sr_closed(struct http_request *req, void *data)
{
	(void)req;
	sr_free(the_daemon, data);
}

static void sr_tick(struct http_loop *l, void *data)
{
	struct stats_req *s = data;
	struct daemon *d = the_daemon;
	struct container *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;

	(void)l;
	s->timer = 0;
	if (container_lookup(d, s->id, &c, &err) < 0) {
		/* removed: dockerd ends the stream; a stream=0 request that was
		 * waiting for its window gets the lookup's 404 (it has no stream
		 * to end, and its client would wait for ever) */
		http_request_on_close(s->req, NULL, NULL);
		if (s->stream)
			http_stream_end(s->req);
		else
			api_respond_error(s->req, err);
		sr_free(d, s);
		return;
	}
	int64_t now = 0;
	_cleanup_json_ json_object *o = take(d, c, s->pre, s->pre_ns, &now);
	json_object_put(s->pre);
	s->pre = json_object_get(jget(o, "cpu_stats"));
	s->pre_ns = now;
	if (!s->stream) {
		http_request_on_close(s->req, NULL, NULL);
		http_respond_json(s->req, 200, o);
		sr_free(d, s);
		return;
	}
	(void)http_stream_write_json(s->req, o);
	s->timer = http_loop_add_timer(d->loop, STATS_INTERVAL_MS, sr_tick, s);
}

static void ct_stats(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct container *c = NULL;
	bool stream = http_request_query_bool(req, "stream", true);
	bool one_shot = http_request_query_bool(req, "one-shot", false);

	if (container_lookup(d, http_request_param(req, "id"), &c, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	struct last_sample *last = last_find(c->id, false);
	int64_t now = now_unix_ns(), age = last && last->cpu ? now - last->ns : -1;
	bool usable = age >= 0 && age < STATS_MAX_AGE_NS;

	if (!stream &&
	    (!ct_is_running(c) || one_shot || (usable && age >= STATS_MIN_WINDOW_MS * 1000000ll))) {
		bool pre = !one_shot && usable;
		_cleanup_json_ json_object *o =
			take(d, c, pre ? last->cpu : NULL, pre ? last->ns : 0, NULL);
		http_respond_json(req, 200, o);
		return;
	}
	struct stats_req *s = xzalloc(sizeof(*s));
	s->req = http_request_ref(req);
	s->stream = stream;
	(void)snprintf(s->id, sizeof(s->id), "%s", c->id);
	uint64_t delay = 0;
	if (!stream) {
		/* a usable sample younger than the window: wait for the rest of it */
		if (usable) {
			s->pre = json_object_get(last->cpu);
			s->pre_ns = last->ns;
			delay = (uint64_t)(STATS_MIN_WINDOW_MS - age / 1000000);
		} else {
			_cleanup_json_ json_object *first = take(d, c, NULL, 0, &s->pre_ns);
			s->pre = json_object_get(jget(first, "cpu_stats"));
			delay = STATS_MIN_WINDOW_MS;
		}
	} else {
		http_stream_begin(req, 200, "application/json");
		if (usable && ct_is_running(c)) {
			s->pre = json_object_get(last->cpu);
			s->pre_ns = last->ns;
		}
	}
	http_request_on_close(req, sr_closed, s);
	s->next = active_reqs;
	active_reqs = s;
	s->timer = http_loop_add_timer(d->loop, delay, sr_tick, s);
}

void api_stats_container_removed(struct daemon *d, const char *id)
{
	/* the next tick, now, finds the container gone and ends the request */
	for (struct stats_req *s = active_reqs; s; s = s->next) {
		if (strcmp(s->id, id) != 0)
			continue;
		if (s->timer)
			http_loop_cancel_timer(d->loop, s->timer);
		s->timer = http_loop_add_timer(d->loop, 0, sr_tick, s);
	}
}

void api_stats_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "GET", "/containers/{id}/stats", 0, ct_stats);
}
