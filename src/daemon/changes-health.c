/* HEALTHCHECK of --change (import, commit): "NONE", or flags
 * (--interval=D --timeout=D --start-period=D --start-interval=D --retries=N)
 * then "CMD" in shell or JSON form, parsed and checked as docker's
 * Dockerfile parser does, with its messages. */
#define LOG_CATEGORY "changes"
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "changes.h"
#include "json-util.h"

#define MIN_DURATION_NS 1000000LL /* docker's container.MinimumDuration, 1ms */

/* Go's time.ParseDuration ("1h2m3.5s", "300ms", "0"), in ns. */
static int go_duration(const char *s, int64_t *ret)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 },   { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "\xce\xbcs", 1e3 },
		      { "ms", 1e6 }, { "s", 1e9 },  { "m", 60e9 },	  { "h", 3600e9 } };
	const char *p = s;
	double total = 0;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*ret = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		double v = strtod(p, &end);
		if (end == p)
			return -EINVAL;
		p = end;
		size_t best = 0, best_len = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(p, units[i].unit, l) == 0 && l > best_len &&
			    !(l == 1 && p[0] == 'm' && p[1] == 's')) {
				best = i;
				best_len = l;
			}
		}
		if (!best_len)
			return -EINVAL;
		total += v * units[best].ns;
		p += best_len;
	}
	if (total > 9.2e18)
		return -ERANGE;
	*ret = (int64_t)(neg ? -total : total);
	return 0;
}

static int interval(const char *name, const char *value, int64_t *ret, struct berth_error **err)
{
	int64_t d = 0;

	*ret = 0;
	if (!value)
		return 0;
	if (go_duration(value, &d) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "time: invalid duration \"%s\"",
				       value);
	if (d != 0 && d < MIN_DURATION_NS)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Interval \"%s\" cannot be less than 1ms", name);
	*ret = d;
	return 0;
}

/* The CMD's arguments: the JSON form's strings, else the rest as one string. */
static char **cmd_args(const char *arg, bool *json)
{
	_cleanup_json_ json_object *o = NULL;
	char **v = NULL;

	*json = false;
	if (*arg == '[' && json_parse_text(arg, strlen(arg), 4, "change", &o, NULL) == 0 &&
	    json_object_is_type(o, json_type_array)) {
		v = xcalloc(1, sizeof(char *));
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			json_object *e = json_object_array_get_idx(o, i);
			if (!json_object_is_type(e, json_type_string)) {
				strv_free(v);
				v = NULL;
				break;
			}
			strv_push(&v, json_object_get_string(e));
		}
		if (v) {
			*json = true;
			return v;
		}
	}
	if (*arg)
		strv_push(&v, arg);
	return v;
}

int changes_healthcheck(struct image_config *c, const char *arg, struct berth_error **err)
{
	static const char *const names[] = { "interval", "timeout", "start-period",
					     "start-interval", "retries" };
	_cleanup_free_ char *vals[ARRAY_SIZE(names)] = { 0 };
	const char *p = arg;
	int r;

	if (!*p)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "HEALTHCHECK requires at least one argument");
	/* flags first, "--name=value" */
	while (p[0] == '-' && p[1] == '-') {
		size_t n = strcspn(p, " \t");
		_cleanup_free_ char *flag = xstrndup(p + 2, n - 2);
		char *eq = strchr(flag, '=');
		if (eq)
			*eq++ = '\0';
		size_t k = 0;
		while (k < ARRAY_SIZE(names) && strcmp(flag, names[k]) != 0)
			k++;
		if (k == ARRAY_SIZE(names))
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "Unknown flag: %s", flag);
		if (!eq)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "Missing a value on flag: %s", flag);
		free(vals[k]);
		vals[k] = xstrdup(eq);
		p += n;
		while (isspace((unsigned char)*p))
			p++;
	}
	size_t tl = strcspn(p, " \t");
	_cleanup_free_ char *type = xstrndup(p, tl);
	for (char *t = type; *t; t++)
		*t = (char)toupper((unsigned char)*t);
	const char *rest = p + tl;
	while (isspace((unsigned char)*rest))
		rest++;
	if (strcmp(type, "NONE") == 0) {
		if (*rest || p != arg)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "HEALTHCHECK NONE takes no arguments");
		strv_free(c->healthcheck_test);
		c->healthcheck_test = NULL;
		strv_push(&c->healthcheck_test, "NONE");
		c->healthcheck_interval = c->healthcheck_timeout = 0;
		c->healthcheck_start_period = c->healthcheck_start_interval = 0;
		c->healthcheck_retries = 0;
		return 0;
	}
	if (strcmp(type, "CMD") != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Unknown type \"%s\" in HEALTHCHECK (try CMD)", type);
	bool json = false;
	_cleanup_strv_ char **args = cmd_args(rest, &json);
	if (strv_length(args) == 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Missing command after HEALTHCHECK CMD");
	int64_t d[4];
	for (size_t i = 0; i < 4; i++)
		if ((r = interval(names[i], vals[i], &d[i], err)) < 0)
			return r;
	long long retries = 0;
	if (vals[4]) {
		char *end;
		errno = 0;
		retries = strtoll(vals[4], &end, 10);
		if (!*vals[4] || *end || errno || retries > INT32_MAX || retries < INT32_MIN)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "strconv.ParseInt: parsing \"%s\": invalid syntax",
					       vals[4]);
		if (retries < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--retries cannot be negative (%lld)", retries);
	}
	strv_free(c->healthcheck_test);
	c->healthcheck_test = NULL;
	strv_push(&c->healthcheck_test, json ? "CMD" : "CMD-SHELL");
	for (size_t i = 0; args[i]; i++)
		strv_push(&c->healthcheck_test, args[i]);
	c->healthcheck_interval = d[0];
	c->healthcheck_timeout = d[1];
	c->healthcheck_start_period = d[2];
	c->healthcheck_start_interval = d[3];
	c->healthcheck_retries = (int)retries;
	return 0;
}
