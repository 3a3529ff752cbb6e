/* berth registry client: reg_login. The /v2/ ping tells how the registry
 * authenticates: nothing (login succeeds), Basic (a GET /v2/ with the
 * credentials must answer 200), or Bearer (the token server must give a
 * token for the credentials, asked for a refresh token as docker login does;
 * the token must then open /v2/).
 */
#define LOG_CATEGORY "registry"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "client-transport.h"

/* "https://index.docker.io/v1/", "docker.io", "http://localhost:5000/" ->
 * the registry's domain ("docker.io", "localhost:5000"). */
static char *server_domain(const char *server)
{
	const char *p = strstr(server, "://");
	_cleanup_free_ char *host = NULL;

	p = p ? p + 3 : server;
	host = xstrndup(p, strcspn(p, "/"));
	if (strcasecmp(host, "index.docker.io") == 0 || strcasecmp(host, "docker.io") == 0 ||
	    strcasecmp(host, "registry-1.docker.io") == 0 || !*host)
		return xstrdup(REG_DOCKER_HUB);
	return TAKE_PTR(host);
}

static int login_get_v2(struct reg_session *s, struct berth_error **err)
{
	struct reg_response r = { 0 };
	int k;

	k = reg_request(s, "GET", "/v2/", NULL, NULL, 0, REG_ERROR_BODY_MAX, &r, err);
	if (k < 0)
		return k;
	if (r.status == 401 || r.status == 403)
		k = reg_error_set(err, EACCES, BERTH_ERR_UNAUTHORIZED,
				  "login attempt to %s/v2/ failed with status: %ld %s", s->base,
				  r.status, r.status == 401 ? "Unauthorized" : "Forbidden");
	else if (r.status != 200)
		k = reg_error_from_response(s, &r, NULL, err);
	reg_response_clear(&r);
	return k;
}

int reg_login(const struct reg_options *opts, const char *server, const struct reg_auth *auth,
	      char **ret_identity_token, struct berth_error **err)
{
	_cleanup_(reg_session_freep) struct reg_session *s = NULL;
	_cleanup_free_ char *domain = server_domain(server ? server : REG_DOCKER_HUB);
	int k;

	k = reg_session_open_domain(opts, domain, auth, &s, err);
	if (k < 0)
		return k;
	s->login = true;
	reg_endpoints_drop_mirrors(s); /* docker logs in to the registry itself */
	k = reg_session_ping(s, err);
	if (k < 0)
		return k;
	switch (s->scheme) {
	case REG_SCHEME_NONE:
		break;
	case REG_SCHEME_BASIC:
		if (!s->username)
			return reg_error_set(err, EACCES, BERTH_ERR_UNAUTHORIZED,
					     "no basic auth credentials");
		k = login_get_v2(s, err);
		if (k < 0)
			return k;
		break;
	case REG_SCHEME_BEARER:
		if (!s->registry_token) {
			k = reg_token_fetch(s, err);
			if (k < 0)
				return k;
		}
		k = login_get_v2(s, err);
		if (k < 0)
			return k;
		break;
	case REG_SCHEME_MAX:
	default:
		return reg_error_set(err, EINVAL, BERTH_ERR_INTERNAL, "unknown auth scheme");
	}
	*ret_identity_token = s->refresh_token ? xstrdup(s->refresh_token) : NULL;
	return 0;
}
