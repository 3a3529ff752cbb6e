/* The Dockerfile subset of --change (see changes.h). */
#define LOG_CATEGORY "changes"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "changes.h"
#include "json-util.h"

/* JSON array form ["a","b"], else NULL. */
static char **json_form(const char *arg)
{
	_cleanup_json_ json_object *o = NULL;
	char **v = NULL;

	while (isspace((unsigned char)*arg))
		arg++;
	if (*arg != '[' || json_parse_text(arg, strlen(arg), 4, "change", &o, NULL) < 0 ||
	    !json_object_is_type(o, json_type_array))
		return NULL;
	v = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < json_object_array_length(o); i++) {
		json_object *e = json_object_array_get_idx(o, i);
		if (!json_object_is_type(e, json_type_string)) {
			strv_free(v);
			return NULL;
		}
		strv_push(&v, json_object_get_string(e));
	}
	return v;
}

static char **shell_form(const char *arg)
{
	char **v = NULL;
	strv_push(&v, "/bin/sh");
	strv_push(&v, "-c");
	strv_push(&v, arg);
	return v;
}

static char **words(const char *arg)
{
	char **v = NULL;
	_cleanup_free_ char *copy = xstrdup(arg);
	for (char *w = strtok(copy, " \t"); w; w = strtok(NULL, " \t"))
		strv_push(&v, w);
	return v;
}

static void set_env(struct image_config *c, const char *key, const char *value)
{
	size_t klen = strlen(key);
	_cleanup_free_ char *kv = xasprintf("%s=%s", key, value);

	for (size_t i = 0; c->env && c->env[i]; i++) {
		if (strncmp(c->env[i], key, klen) == 0 && c->env[i][klen] == '=') {
			free(c->env[i]);
			c->env[i] = TAKE_PTR(kv);
			return;
		}
	}
	strv_push(&c->env, kv);
}

static void set_label(struct image_config *c, const char *key, const char *value)
{
	for (size_t i = 0; i < c->n_labels; i++) {
		if (strcmp(c->labels[i].key, key) == 0) {
			free(c->labels[i].value);
			c->labels[i].value = xstrdup(value);
			return;
		}
	}
	c->labels = xrealloc(c->labels, (c->n_labels + 1) * sizeof(*c->labels));
	c->labels[c->n_labels].key = xstrdup(key);
	c->labels[c->n_labels].value = xstrdup(value);
	c->n_labels++;
}

/* "K=V K2=\"v 2\"" pairs, or the legacy "K V" form. */
static int key_values(const char *ins, const char *arg, bool legacy_ok, char ***ret,
		      struct berth_error **err)
{
	char **out = NULL;
	const char *p = arg;

	size_t first = strcspn(arg, " \t");
	if (legacy_ok && !memchr(arg, '=', first)) {
		size_t k = first;
		if (!arg[k])
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s must have two arguments", ins);
		strv_push_take(&out, xstrndup(arg, k));
		const char *v = arg + k;
		while (isspace((unsigned char)*v))
			v++;
		strv_push(&out, v);
		*ret = out;
		return 0;
	}
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *eq = strchr(p, '=');
		const char *close = *p == '"' ? strchr(p + 1, '"') : NULL;
		if (!eq) {
			strv_free(out);
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "Syntax error - can't find = in \"%s\". Must be of "
					       "the form: name=value",
					       p);
		}
		/* a quoted key ("a b"=c) loses its quotes, as docker's parser */
		if (close && close + 1 == eq)
			strv_push_take(&out, xstrndup(p + 1, (size_t)(close - p - 1)));
		else
			strv_push_take(&out, xstrndup(p, (size_t)(eq - p)));
		p = eq + 1;
		_cleanup_free_ char *val = xstrdup("");
		if (*p == '"') {
			const char *end = strchr(p + 1, '"');
			if (!end)
				end = p + strlen(p);
			free(val);
			val = xstrndup(p + 1, (size_t)(end - p - 1));
			p = *end ? end + 1 : end;
		} else {
			size_t n = strcspn(p, " \t");
			free(val);
			val = xstrndup(p, n);
			p += n;
		}
		strv_push_take(&out, TAKE_PTR(val));
	}
	*ret = out;
	return 0;
}

/* docker's nat.ParsePortSpec for EXPOSE: PORT[-PORT][/tcp|udp|sctp]. */
static int check_port(char *spec, struct berth_error **err)
{
	char *slash = strchr(spec, '/');
	_cleanup_free_ char *port = xstrndup(spec, slash ? (size_t)(slash - spec) : strlen(spec));
	char *dash = strchr(port, '-');
	bool ok = *port != '\0';

	for (char *p = port; *p && ok; p++)
		ok = isdigit((unsigned char)*p) || (p == dash && p != port && p[1]);
	if (ok) {
		unsigned long lo = strtoul(port, NULL, 10),
			      hi = dash ? strtoul(dash + 1, NULL, 10) : lo;
		ok = lo <= 65535 && hi <= 65535 && hi >= lo;
	}
	if (!ok)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid containerPort: %s",
				       port);
	if (slash) {
		for (char *p = slash + 1; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(slash + 1, "tcp") != 0 && strcmp(slash + 1, "udp") != 0 &&
		    strcmp(slash + 1, "sctp") != 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid proto: %s",
					       slash + 1);
	}
	return 0;
}

static int apply_one(struct image_config *c, const char *line, struct berth_error **err)
{
	while (isspace((unsigned char)*line))
		line++;
	size_t n = strcspn(line, " \t");
	_cleanup_free_ char *ins = xstrndup(line, n);
	const char *arg = line + n;
	while (isspace((unsigned char)*arg))
		arg++;

	/* The parser's own check: these take at least one argument. */
	static const char *const need_args[] = {
		"ENV", "LABEL", "EXPOSE", "VOLUME", "ONBUILD", NULL
	};
	for (size_t i = 0; need_args[i] && !*arg; i++)
		if (strcasecmp(ins, need_args[i]) == 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s requires at least one argument", need_args[i]);
	if (strcasecmp(ins, "CMD") == 0 || strcasecmp(ins, "ENTRYPOINT") == 0) {
		char **v = json_form(arg);
		if (!v)
			v = shell_form(arg);
		char ***dst = strcasecmp(ins, "CMD") == 0 ? &c->cmd : &c->entrypoint;
		strv_free(*dst);
		*dst = v;
		return 0;
	}
	if (strcasecmp(ins, "ENV") == 0 || strcasecmp(ins, "LABEL") == 0) {
		_cleanup_strv_ char **kv = NULL;
		int r = key_values(strcasecmp(ins, "ENV") == 0 ? "ENV" : "LABEL", arg, true, &kv,
				   err);
		if (r < 0)
			return r;
		for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
			if (strcasecmp(ins, "ENV") == 0)
				set_env(c, kv[i], kv[i + 1]);
			else
				set_label(c, kv[i], kv[i + 1]);
		}
		return 0;
	}
	if (strcasecmp(ins, "EXPOSE") == 0 || strcasecmp(ins, "VOLUME") == 0) {
		_cleanup_strv_ char **v = json_form(arg);
		if (!v)
			v = words(arg);
		for (size_t i = 0; v && v[i]; i++) {
			bool expose = strcasecmp(ins, "EXPOSE") == 0;
			int r = expose ? check_port(v[i], err) : 0;
			if (r < 0)
				return r;
			_cleanup_free_ char *item = expose && !strchr(v[i], '/')
							    ? xasprintf("%s/tcp", v[i])
							    : xstrdup(v[i]);
			char ***dst = expose ? &c->exposed_ports : &c->volumes;
			if (!strv_contains(*dst, item))
				strv_push(dst, item);
		}
		return 0;
	}
	char **scalar = strcasecmp(ins, "USER") == 0	     ? &c->user
			: strcasecmp(ins, "WORKDIR") == 0    ? &c->working_dir
			: strcasecmp(ins, "STOPSIGNAL") == 0 ? &c->stop_signal
							     : NULL;
	if (scalar) {
		if (!*arg)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s requires exactly one argument", ins);
		free(*scalar);
		*scalar = xstrdup(arg);
		return 0;
	}
	if (strcasecmp(ins, "HEALTHCHECK") == 0)
		return changes_healthcheck(c, arg, err);
	if (strcasecmp(ins, "ONBUILD") == 0) {
		strv_push(&c->onbuild, arg);
		return 0;
	}
	/* docker names the instruction as its parser keeps it: lowercased. */
	for (char *p = ins; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s is not a valid change command", ins);
}

int image_config_apply_changes(struct image_config *c, char *const *changes,
			       struct berth_error **err)
{
	for (size_t i = 0; changes && changes[i]; i++) {
		/* One --change may hold several lines. */
		_cleanup_free_ char *copy = xstrdup(changes[i]);
		char *save = NULL;
		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			int r = apply_one(c, l, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}
