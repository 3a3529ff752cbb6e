/* Small helpers of the daemon: ids, time, error mapping, JSON, filters. */
#define LOG_CATEGORY "daemon"
#include <ctype.h>
#include <fcntl.h>
#include <regex.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "api.h"

void random_id(char buf[static 65])
{
	uint8_t raw[32];
	static const char hex[] = "0123456789abcdef";

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		abort();
	for (size_t i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[64] = '\0';
}

int64_t now_unix_ns(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

char *time_rfc3339(int64_t ns)
{
	if (ns <= 0)
		return xstrdup("0001-01-01T00:00:00Z");
	time_t s = (time_t)(ns / 1000000000LL);
	struct tm tm;
	char buf[64];
	(void)gmtime_r(&s, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	(void)snprintf(buf + n, sizeof(buf) - n, ".%09lldZ", (long long)(ns % 1000000000LL));
	return xstrdup(buf);
}

int api_status_of(const struct berth_error *err)
{
	if (!err)
		return 500;
	switch (err->kind) {
	case BERTH_ERR_NOT_FOUND:
		return 404;
	case BERTH_ERR_CONFLICT:
		return 409;
	case BERTH_ERR_INVALID:
		return 400;
	case BERTH_ERR_UNAUTHORIZED:
		return 401;
	case BERTH_ERR_UNAVAILABLE:
		return 503;
	case BERTH_ERR_FORBIDDEN:
		return 403;
	case BERTH_ERR_INTERNAL:
	case BERTH_ERR_KIND_MAX:
	default:
		return 500;
	}
}

void api_respond_error(struct http_request *req, struct berth_error *err)
{
	http_respond_error(req, api_status_of(err), "%s", err ? err->msg : "internal error");
}

json_object *jstrv(char *const *v)
{
	if (!v)
		return NULL;
	json_object *a = json_object_new_array();
	for (size_t i = 0; v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

struct api_route {
	api_handler h;
};

static void api_trampoline(struct http_request *req, void *data)
{
	struct api_route *rt = data;
	unsigned v = http_request_api_version(req);

	if (v && v > BERTH_API_VERSION_NUM) {
		http_respond_error(req, 400,
				   "client version %u.%u is too new. Maximum supported API version "
				   "is " BERTH_API_VERSION,
				   v / 100, v % 100);
		return;
	}
	if (v && v < 124) {
		http_respond_error(req, 400,
				   "client version %u.%u is too old. Minimum supported API version "
				   "is " BERTH_API_MIN_VERSION ", please upgrade your client to a "
				   "newer version",
				   v / 100, v % 100);
		return;
	}
	rt->h(the_daemon, req);
}

void api_add(struct http_router *r, const char *method, const char *pattern, unsigned flags,
	     api_handler h)
{
	struct api_route *rt = xzalloc(sizeof(*rt)); /* lives as long as the router */
	rt->h = h;
	http_router_add(r, method, pattern, flags, api_trampoline, rt);
}

static void push_value(struct api_filters *f, const char *key, const char *value)
{
	size_t i;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->keys[i], key) == 0)
			break;
	if (i == f->n) {
		f->keys = xrealloc(f->keys, (f->n + 1) * sizeof(char *));
		f->values = xrealloc(f->values, (f->n + 1) * sizeof(char **));
		f->keys[f->n] = xstrdup(key);
		f->values[f->n] = NULL;
		f->n++;
	}
	strv_push(&f->values[i], value);
}

int api_filters_parse(struct http_request *req, const char *const *allowed, struct api_filters *ret,
		      struct berth_error **err)
{
	const char *text = http_request_query(req, "filters");
	_cleanup_json_ json_object *o = NULL;
	struct api_filters f = { 0 };
	int r;

	*ret = f;
	if (str_is_empty(text))
		return 0;
	if ((r = json_parse_text(text, strlen(text), 8, "filters", &o, err)) < 0)
		return berth_error_wrap(err, "invalid filter");
	if (!json_object_is_type(o, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid filter: not an object");
	json_object_object_foreach (o, key, val) {
		if (allowed && !strv_contains((char *const *)allowed, key)) {
			api_filters_free(&f);
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid filter '%s'",
					       key);
		}
		if (json_object_is_type(val, json_type_object)) {
			json_object_object_foreach (val, v, b) {
				if (json_object_get_boolean(b))
					push_value(&f, key, v);
			}
		} else if (json_object_is_type(val, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(val); i++)
				push_value(
					&f, key,
					json_object_get_string(json_object_array_get_idx(val, i)));
		} else {
			api_filters_free(&f);
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid filter '%s'",
					       key);
		}
	}
	*ret = f;
	return 0;
}

void api_filters_free(struct api_filters *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->keys[i]);
		strv_free(f->values[i]);
	}
	free(f->keys);
	free(f->values);
	memset(f, 0, sizeof(*f));
}

char **api_filters_get(const struct api_filters *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->keys[i], key) == 0)
			return f->values[i];
	return NULL;
}

bool api_labels_match(char *const *wanted, json_object *labels)
{
	for (size_t i = 0; wanted && wanted[i]; i++) {
		const char *eq = strchr(wanted[i], '=');
		_cleanup_free_ char *key =
			eq ? xstrndup(wanted[i], (size_t)(eq - wanted[i])) : xstrdup(wanted[i]);
		json_object *v = NULL;
		if (!labels || !json_object_object_get_ex(labels, key, &v))
			return false;
		if (eq && strcmp(json_object_get_string(v), eq + 1) != 0)
			return false;
	}
	return true;
}

bool api_filter_regex_any(char *const *patterns, const char *s)
{
	for (size_t i = 0; patterns && patterns[i]; i++) {
		regex_t re;
		if (regcomp(&re, patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		bool ok = regexec(&re, s, 0, NULL, 0) == 0;
		regfree(&re);
		if (ok)
			return true;
	}
	return false;
}

/* "10m" -> 10485760: docker's units k, m, g (powers of 1024), "b" optional. */
int64_t log_size_parse(const char *s)
{
	char *end = NULL;
	double v = strtod(s, &end);
	const char *units = "kmg", *u;
	double mult = 1;

	if (!end || end == s || !(v > 0))
		return -1;
	if (*end && (u = strchr(units, tolower((unsigned char)*end)))) {
		for (const char *p = units; p <= u; p++)
			mult *= 1024;
		end++;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v * mult > 9e18)
		return -1;
	return (int64_t)(v * mult);
}
