/* The registry's JSON config file (keys in docs/registry.md): the address,
 * the storage root, read-only mode, the access log, htpasswd or token
 * authentication, TLS files and size limits. */
#define LOG_CATEGORY "registry"
#include <string.h>

#include "fs.h"
#include "server-internal.h"

#define CONFIG_MAX (1u << 20)

void reg_config_done(struct reg_config *cfg)
{
	free(cfg->addr);
	free(cfg->root);
	free(cfg->access_log);
	free(cfg->htpasswd);
	free(cfg->realm);
	free(cfg->token_service);
	free(cfg->token_issuer);
	free(cfg->token_certs);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	memset(cfg, 0, sizeof(*cfg));
}

/* Set *dst from a string key of obj (when present). */
static int take_str(json_object *obj, const char *path, const char *key, char **dst,
		    struct berth_error **err)
{
	const char *v = NULL;
	int r = json_get_str(obj, path, key, false, &v, err);

	if (r < 0 || !v)
		return r;
	free(*dst);
	*dst = xstrdup(v);
	return 0;
}

static int load_auth(struct reg_config *cfg, json_object *auth, struct berth_error **err)
{
	json_object *h = NULL, *t = NULL;
	int r;

	if ((r = json_get_object(auth, "auth", "htpasswd", false, &h, err)) < 0 ||
	    (r = json_get_object(auth, "auth", "token", false, &t, err)) < 0)
		return r;
	if (h && t)
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
				       "auth: htpasswd and token are exclusive");
	if (h && ((r = take_str(h, "auth.htpasswd", "realm", &cfg->realm, err)) < 0 ||
		  (r = take_str(h, "auth.htpasswd", "path", &cfg->htpasswd, err)) < 0))
		return r;
	if (h && !cfg->htpasswd)
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "auth.htpasswd: no path");
	if (!t)
		return 0;
	if ((r = take_str(t, "auth.token", "realm", &cfg->realm, err)) < 0 ||
	    (r = take_str(t, "auth.token", "service", &cfg->token_service, err)) < 0 ||
	    (r = take_str(t, "auth.token", "issuer", &cfg->token_issuer, err)) < 0 ||
	    (r = take_str(t, "auth.token", "rootcertbundle", &cfg->token_certs, err)) < 0)
		return r;
	if (!cfg->realm || !cfg->token_service || !cfg->token_issuer || !cfg->token_certs)
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
				       "auth.token: realm, service, issuer and rootcertbundle "
				       "are required");
	return 0;
}

int reg_config_load(struct reg_config *cfg, const char *path, struct berth_error **err)
{
	static const char *const keys[] = { "addr", "root", "readonly", "log",
					    "auth", "tls",  "limits",	NULL };
	_cleanup_json_ json_object *o = NULL;
	_cleanup_free_ char *text = NULL;
	json_object *sub = NULL;
	size_t len;
	int r;

	if ((r = file_read_all(path, CONFIG_MAX, &text, &len)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INVALID, "read config '%s'", path);
	if ((r = json_parse_text(text, len, REG_JSON_DEPTH, path, &o, err)) < 0)
		return r;
	if (!o || !json_object_is_type(o, json_type_object))
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "%s: not a JSON object",
				       path);
	if ((r = json_check_keys(o, "", keys, err)) < 0 ||
	    (r = take_str(o, "", "addr", &cfg->addr, err)) < 0 ||
	    (r = take_str(o, "", "root", &cfg->root, err)) < 0)
		return r;
	if (json_object_object_get_ex(o, "readonly", NULL) &&
	    (r = json_get_bool(o, "", "readonly", &cfg->read_only, err)) < 0)
		return r;
	if ((r = json_get_object(o, "", "log", false, &sub, err)) < 0 ||
	    (sub && (r = take_str(sub, "log", "accesslog", &cfg->access_log, err)) < 0))
		return r;
	if ((r = json_get_object(o, "", "auth", false, &sub, err)) < 0 ||
	    (sub && (r = load_auth(cfg, sub, err)) < 0))
		return r;
	if ((r = json_get_object(o, "", "tls", false, &sub, err)) < 0 ||
	    (sub && ((r = take_str(sub, "tls", "certificate", &cfg->tls_cert, err)) < 0 ||
		     (r = take_str(sub, "tls", "key", &cfg->tls_key, err)) < 0)))
		return r;
	if ((r = json_get_object(o, "", "limits", false, &sub, err)) < 0)
		return r;
	if (sub &&
	    ((r = json_get_uint64(sub, "limits", "blob", false, &cfg->max_blob, err)) < 0 ||
	     (r = json_get_uint64(sub, "limits", "manifest", false, &cfg->max_manifest, err)) < 0))
		return r;
	return 0;
}
