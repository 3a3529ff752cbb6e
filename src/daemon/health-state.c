/* Health checks: the config (dockerd's checks, the merge with the image's
 * HEALTHCHECK, the probe's command) and the state (status, failing streak,
 * the last results) with its JSON for inspect and for the record. */
#define LOG_CATEGORY "health"
#include <string.h>

#include "api.h"
#include "health-internal.h"

static const char *const status_names[HEALTH_STATUS_MAX] = {
	[HEALTH_STARTING] = "starting",
	[HEALTH_HEALTHY] = "healthy",
	[HEALTH_UNHEALTHY] = "unhealthy",
};

static const char *const duration_keys[] = { "Interval", "Timeout", "StartPeriod",
					     "StartInterval" };

static json_object *healthcheck(const struct container *c)
{
	json_object *h = jget(c->config, "Healthcheck");
	return h && json_object_is_type(h, json_type_object) ? h : NULL;
}

int health_config_check(json_object *cfg, struct berth_error **err)
{
	json_object *h = jget(cfg, "Healthcheck"), *test = NULL;

	if (!h)
		return 0;
	if (!json_object_is_type(h, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Config.Healthcheck: expected an object");
	if ((test = jget(h, "Test"))) {
		bool ok = json_object_is_type(test, json_type_array);
		for (size_t i = 0; ok && i < json_object_array_length(test); i++)
			ok = json_object_is_type(json_object_array_get_idx(test, i),
						 json_type_string);
		if (!ok)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "Config.Healthcheck.Test: expected an array of "
					       "strings");
	}
	for (size_t i = 0; i < ARRAY_SIZE(duration_keys) + 1; i++) {
		const char *k = i < ARRAY_SIZE(duration_keys) ? duration_keys[i] : "Retries";
		json_object *v = jget(h, k);
		if (v && !json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "Config.Healthcheck.%s: expected an integer", k);
	}
	/* dockerd's order and words (MinimumDuration is 1ms) */
	static const char *const order[] = { "Interval", "Timeout", "Retries", "StartPeriod",
					     "StartInterval" };
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		json_object *v = jget(h, order[i]);
		int64_t n = v ? json_object_get_int64(v) : 0;
		if (strcmp(order[i], "Retries") == 0) {
			if (n < 0)
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "Retries in Healthcheck cannot be negative");
		} else if (n != 0 && n < 1000000) {
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s in Healthcheck cannot be less than 1ms",
					       order[i]);
		}
	}
	return 0;
}

static bool image_has_healthcheck(const struct image_config *ic)
{
	return ic->healthcheck_test || ic->healthcheck_interval || ic->healthcheck_timeout ||
	       ic->healthcheck_start_period || ic->healthcheck_start_interval ||
	       ic->healthcheck_retries;
}

static bool field_unset(json_object *h, const char *k)
{
	json_object *v = jget(h, k);
	if (!v)
		return true;
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) == 0;
	return json_object_get_int64(v) == 0;
}

/* As dockerd shows it: its fields in order, the unset ones left out. */
static json_object *normalized(json_object *h)
{
	static const char *const keys[] = { "Test",	   "Interval",	    "Timeout",
					    "StartPeriod", "StartInterval", "Retries" };
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!field_unset(h, keys[i]))
			jadd(o, keys[i], json_object_get(jget(h, keys[i])));
	return o;
}

void health_config_merge(json_object *cfg, const struct image_config *ic)
{
	json_object *h = jget(cfg, "Healthcheck");
	const int64_t durations[] = { ic->healthcheck_interval, ic->healthcheck_timeout,
				      ic->healthcheck_start_period,
				      ic->healthcheck_start_interval };

	if (image_has_healthcheck(ic) && (!h || !json_object_is_type(h, json_type_object))) {
		h = json_object_new_object();
		jadd(cfg, "Healthcheck", h);
	}
	if (!h || !json_object_is_type(h, json_type_object))
		return;
	if (ic->healthcheck_test && field_unset(h, "Test"))
		jadd(h, "Test", jstrv(ic->healthcheck_test));
	for (size_t i = 0; i < ARRAY_SIZE(duration_keys); i++)
		if (durations[i] && field_unset(h, duration_keys[i]))
			jadd(h, duration_keys[i], json_object_new_int64(durations[i]));
	if (ic->healthcheck_retries && field_unset(h, "Retries"))
		jadd(h, "Retries", json_object_new_int(ic->healthcheck_retries));
	jadd(cfg, "Healthcheck", normalized(h));
}

bool health_has_probe(const struct container *c)
{
	json_object *h = healthcheck(c), *test = h ? jget(h, "Test") : NULL;

	if (!test || !json_object_is_type(test, json_type_array) ||
	    json_object_array_length(test) == 0)
		return false;
	const char *kind = json_object_get_string(json_object_array_get_idx(test, 0));
	return strcmp(kind, "CMD") == 0 || strcmp(kind, "CMD-SHELL") == 0;
}

char **health_probe_argv(const struct container *c)
{
	json_object *test = jget(healthcheck(c), "Test"), *shell = jget(c->config, "Shell");
	char **argv = xzalloc(sizeof(char *)); /* may stay empty: dockerd's "no command" */

	if (strcmp(json_object_get_string(json_object_array_get_idx(test, 0)), "CMD-SHELL") == 0) {
		if (shell && json_object_is_type(shell, json_type_array) &&
		    json_object_array_length(shell) > 0) {
			for (size_t i = 0; i < json_object_array_length(shell); i++)
				strv_push(&argv, json_object_get_string(
							 json_object_array_get_idx(shell, i)));
		} else {
			strv_push(&argv, "/bin/sh");
			strv_push(&argv, "-c");
		}
	}
	for (size_t i = 1; i < json_object_array_length(test); i++)
		strv_push(&argv, json_object_get_string(json_object_array_get_idx(test, i)));
	return argv;
}

int64_t health_config_duration(const struct container *c, const char *key, int64_t def)
{
	json_object *v = jget(healthcheck(c), key);
	int64_t n = v ? json_object_get_int64(v) : 0;
	return n ? n : def;
}

int health_config_retries(const struct container *c)
{
	json_object *v = jget(healthcheck(c), "Retries");
	int64_t n = v ? json_object_get_int64(v) : 0;
	return n > 0 ? (int)(n > 1000000 ? 1000000 : n) : HEALTH_DEFAULT_RETRIES;
}

/* v in units of 10^-digits of unit: "1.5ms", trailing zeros dropped. */
static char *frac(const char *prefix, uint64_t v, int digits, const char *unit)
{
	uint64_t scale = 1;
	char f[24] = "";

	for (int i = 0; i < digits; i++)
		scale *= 10;
	if (v % scale) {
		(void)snprintf(f, sizeof(f), ".%0*llu", digits, (unsigned long long)(v % scale));
		for (size_t n = strlen(f); n > 1 && f[n - 1] == '0'; n--)
			f[n - 1] = '\0';
	}
	return xasprintf("%s%llu%s%s", prefix, (unsigned long long)(v / scale), f, unit);
}

char *health_go_duration(int64_t ns)
{
	const char *sign = ns < 0 ? "-" : "";
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

	if (u == 0)
		return xstrdup("0s");
	if (u < 1000)
		return xasprintf("%s%lluns", sign, (unsigned long long)u);
	if (u < 1000000)
		return frac(sign, u, 3, "\xc2\xb5s");
	if (u < 1000000000)
		return frac(sign, u, 6, "ms");
	uint64_t secs = u / 1000000000ULL, h = secs / 3600, m = secs / 60 % 60;
	_cleanup_free_ char *prefix =
		h   ? xasprintf("%s%lluh%llum", sign, (unsigned long long)h, (unsigned long long)m)
		: m ? xasprintf("%s%llum", sign, (unsigned long long)m)
		    : xstrdup(sign);
	return frac(prefix, u % 60000000000ULL, 9, "s");
}

struct ct_health *health_get(struct container *c)
{
	if (!c->health)
		c->health = xzalloc(sizeof(*c->health));
	return c->health;
}

void health_log_add(struct ct_health *h, struct health_result *r)
{
	if (h->n_log == HEALTH_LOG_MAX) {
		free(h->log[0].output);
		memmove(&h->log[0], &h->log[1], (HEALTH_LOG_MAX - 1) * sizeof(h->log[0]));
		h->n_log--;
	}
	h->log[h->n_log++] = *r;
	r->output = NULL;
}

void health_state_free(struct ct_health *h)
{
	for (size_t i = 0; h && i < h->n_log; i++)
		free(h->log[i].output);
	if (h)
		free(h->proc_path);
	free(h);
}

static json_object *state_json(const struct container *c, bool record)
{
	const struct ct_health *h = c->health;
	json_object *o, *log;

	if (!h)
		return NULL;
	o = json_object_new_object();
	log = json_object_new_array();
	jadd(o, "Status", jstr(status_names[h->status]));
	jadd(o, "FailingStreak", json_object_new_int(h->failing_streak));
	for (size_t i = 0; i < h->n_log; i++) {
		json_object *e = json_object_new_object();
		if (record) {
			jadd(e, "Start", json_object_new_int64(h->log[i].start_ns));
			jadd(e, "End", json_object_new_int64(h->log[i].end_ns));
		} else {
			_cleanup_free_ char *start = time_rfc3339(h->log[i].start_ns);
			_cleanup_free_ char *end = time_rfc3339(h->log[i].end_ns);
			jadd(e, "Start", jstr(start));
			jadd(e, "End", jstr(end));
		}
		jadd(e, "ExitCode", json_object_new_int(h->log[i].exit_code));
		jadd(e, "Output",
		     json_object_new_string_len(h->log[i].output ? h->log[i].output : "",
						h->log[i].output ? (int)h->log[i].output_len : 0));
		json_object_array_add(log, e);
	}
	jadd(o, "Log", log);
	return o;
}

json_object *health_inspect_json(const struct container *c)
{
	return state_json(c, false);
}

json_object *health_record_json(const struct container *c)
{
	return state_json(c, true);
}

void health_record_load(struct container *c, json_object *o)
{
	json_object *log = jget(o, "Log");
	const char *s = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return;
	struct ct_health *h = health_get(c);
	(void)json_get_str(o, "", "Status", false, &s, NULL);
	h->status = HEALTH_UNHEALTHY; /* dockerd: an unknown status reads as unhealthy */
	for (int i = 0; s && i < HEALTH_STATUS_MAX; i++)
		if (strcmp(s, status_names[i]) == 0)
			h->status = (enum health_status)i;
	(void)json_get_int32(o, "", "FailingStreak", false, &h->failing_streak, NULL);
	for (size_t i = 0;
	     log && json_object_is_type(log, json_type_array) && i < json_object_array_length(log);
	     i++) {
		json_object *e = json_object_array_get_idx(log, i);
		struct health_result r = { 0 };
		json_object *out = jget(e, "Output");
		(void)json_get_int64(e, "", "Start", false, &r.start_ns, NULL);
		(void)json_get_int64(e, "", "End", false, &r.end_ns, NULL);
		(void)json_get_int32(e, "", "ExitCode", false, &r.exit_code, NULL);
		if (out && json_object_is_type(out, json_type_string)) {
			r.output_len = (size_t)json_object_get_string_len(out);
			r.output = xmalloc(r.output_len + 1);
			memcpy(r.output, json_object_get_string(out), r.output_len + 1);
		} else {
			r.output = xstrdup("");
		}
		health_log_add(h, &r);
	}
}

const char *health_status_name(const struct container *c)
{
	return c->health ? status_names[c->health->status] : "none";
}

const char *health_status_text(const struct container *c)
{
	if (!c->health)
		return NULL;
	return c->health->status == HEALTH_STARTING ? "health: starting"
						    : status_names[c->health->status];
}
