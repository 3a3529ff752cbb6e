/* Who may do what: htpasswd Basic authentication (bcrypt through
 * libcrypt's crypt_rn, compared in constant time, successes remembered for
 * a minute so that bcrypt's cost is not paid per request) or Bearer tokens
 * (server-jwt.c), checked against the request's repository and action, and
 * the 401 challenge docker-registry sends. */
#define LOG_CATEGORY "registry"
#include <crypt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "server-internal.h"

#define AUTH_CACHE_US (60ull * 1000 * 1000)

struct reg_htpasswd {
	char **users;
	char **hashes;
	size_t n;
};

struct reg_htpasswd *reg_htpasswd_free(struct reg_htpasswd *h)
{
	if (!h)
		return NULL;
	strv_free(h->users);
	strv_free(h->hashes);
	free(h);
	return NULL;
}

int reg_htpasswd_load(const char *path, struct reg_htpasswd **ret, struct berth_error **err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "open htpasswd '%s'", path);
	struct reg_htpasswd *h = xzalloc(sizeof(*h));
	while ((n = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		char *colon = strchr(line, ':');
		if (line[0] == '#' || !colon)
			continue;
		*colon = '\0';
		strv_push(&h->users, line);
		strv_push(&h->hashes, colon + 1);
		h->n++;
	}
	*ret = h;
	return 0;
}

static bool ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

bool reg_htpasswd_check(struct reg_htpasswd *h, const char *user, const char *password)
{
	struct crypt_data *cd;
	bool ok = false;

	for (size_t i = 0; h && i < h->n; i++) {
		if (strcmp(h->users[i], user) != 0)
			continue;
		const char *hash = h->hashes[i];
		if (!str_has_prefix(hash, "$2y$") && !str_has_prefix(hash, "$2b$") &&
		    !str_has_prefix(hash, "$2a$"))
			return false; /* bcrypt only, as docker-registry */
		cd = xzalloc(sizeof(*cd));
		/* crypt_rn: crypt_r itself, but sanitizers don't intercept it. */
		const char *out = crypt_rn(password, hash, cd, (int)sizeof(*cd));
		ok = out && out[0] != '*' && ct_equal(out, hash);
		free(cd);
		return ok;
	}
	return false;
}

/* "Basic <base64(user:pass)>" checked against the htpasswd file. */
static bool basic_ok(struct reg_server *s, const char *auth)
{
	char key[DIGEST_LEN + 1];
	uint64_t now = now_usec_monotonic();
	size_t len;
	int n;

	if (!auth || strncasecmp(auth, "Basic ", 6) != 0)
		return false;
	auth += 6;
	len = strlen(auth);
	if (len == 0 || len > 1024 || len % 4)
		return false;
	digest_of(auth, len, key);
	for (size_t i = 0; i < ARRAY_SIZE(s->auth_cache); i++)
		if (s->auth_cache_until[i] > now && strcmp(s->auth_cache[i], key) == 0)
			return s->auth_cache_ok[i];
	_cleanup_free_ unsigned char *dec = xmalloc(len);
	n = EVP_DecodeBlock(dec, (const unsigned char *)auth, (int)len);
	if (n < 0)
		return false;
	if (auth[len - 1] == '=')
		n--;
	if (auth[len - 2] == '=')
		n--;
	dec[n] = '\0';
	char *colon = strchr((char *)dec, ':');
	if (!colon || strlen((char *)dec) != (size_t)n)
		return false;
	*colon = '\0';
	/* bcrypt blocks the loop: remember the answer, failures too, so that
	 * a client repeating bad credentials costs one check a minute. */
	bool ok = reg_htpasswd_check(s->htpasswd, (char *)dec, colon + 1);
	size_t slot = 0;
	for (size_t i = 1; i < ARRAY_SIZE(s->auth_cache); i++)
		if (s->auth_cache_until[i] < s->auth_cache_until[slot])
			slot = i;
	memcpy(s->auth_cache[slot], key, sizeof(key));
	s->auth_cache_until[slot] = now + AUTH_CACHE_US;
	s->auth_cache_ok[slot] = ok;
	return ok;
}

/* -1: no token, 0: a bad token, 1: a token that grants action. */
static int bearer_ok(struct reg_server *s, const char *auth, const char *name, const char *action)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct reg_token t = { 0 };
	bool ok;

	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return -1;
	if (reg_token_verify(s->keys, auth + 7, s->cfg->token_issuer, s->cfg->token_service,
			     time(NULL), &t, &err) < 0) {
		log_debug("Token refused: %s", err->msg);
		return 0;
	}
	if (!name)
		ok = true;
	else if (strcmp(name, "catalog") == 0 && strcmp(action, "*") == 0)
		ok = reg_token_allows(&t, "registry", "catalog", "*");
	else
		ok = reg_token_allows(&t, "repository", name, action);
	reg_token_free(&t);
	return ok ? 1 : 2;
}

bool reg_authorized(struct reg_req *rq, const char *name, const char *action)
{
	struct reg_server *s = rq->srv;
	const char *auth = http_request_header(rq->req, "Authorization");

	if (s->htpasswd)
		return basic_ok(s, auth);
	if (s->keys)
		return bearer_ok(s, auth, name, action) == 1;
	return true;
}

bool reg_authorize(struct reg_req *rq, const char *name, const char *action)
{
	struct reg_server *s = rq->srv;
	const char *auth = http_request_header(rq->req, "Authorization");
	_cleanup_free_ char *challenge = NULL;
	json_object *detail;
	const char *scope_act = strcmp(action, "push") == 0 ? "pull,push" : action;
	int r;

	if (!s->htpasswd && !s->keys)
		return true;
	if (s->htpasswd) {
		if (basic_ok(s, auth))
			return true;
		challenge = xasprintf("Basic realm=\"%s\"", s->cfg->realm ? s->cfg->realm : "");
	} else {
		r = bearer_ok(s, auth, name, action);
		if (r == 1)
			return true;
		const char *error = r == 0   ? ",error=\"invalid_token\""
				    : r == 2 ? ",error=\"insufficient_scope\""
					     : "";
		if (name && strcmp(name, "catalog") == 0 && strcmp(action, "*") == 0)
			challenge = xasprintf("Bearer realm=\"%s\",service=\"%s\","
					      "scope=\"registry:catalog:*\"%s",
					      s->cfg->realm, s->cfg->token_service, error);
		else if (name)
			challenge = xasprintf("Bearer realm=\"%s\",service=\"%s\","
					      "scope=\"repository:%s:%s\"%s",
					      s->cfg->realm, s->cfg->token_service, name, scope_act,
					      error);
		else
			challenge = xasprintf("Bearer realm=\"%s\",service=\"%s\"%s", s->cfg->realm,
					      s->cfg->token_service, error);
	}
	detail = json_object_new_array();
	if (name) {
		json_object *d = json_object_new_object();
		json_object_object_add(d, "Type", json_object_new_string("repository"));
		json_object_object_add(d, "Name", json_object_new_string(name));
		json_object_object_add(d, "Action", json_object_new_string(action));
		json_object_array_add(detail, d);
	}
	http_response_add_header(rq->req, "WWW-Authenticate", challenge);
	reg_error(rq, 401, "UNAUTHORIZED", "authentication required", detail);
	return false;
}
