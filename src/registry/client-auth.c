/* berth registry client: authentication. WWW-Authenticate challenges
 * (RFC 7235: several challenges, token or quoted-string parameters), Basic
 * credentials, the Bearer token flow (GET on the realm with Basic
 * credentials, or POST grant_type=refresh_token with an identity token, as
 * docker does), and the X-Registry-Auth header.
 */
#define LOG_CATEGORY "registry"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "client-transport.h"
#include "json-util.h"

/* ---- base64 ---- */

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int reg_base64_decode(const char *in, char **ret, size_t *ret_len)
{
	size_t n = strlen(in), len = 0;
	_cleanup_free_ char *out = xmalloc(n / 4 * 3 + 4);
	uint32_t acc = 0;
	unsigned bits = 0;
	bool padding = false;

	for (size_t i = 0; i < n; i++) {
		int v;

		if (in[i] == '=') {
			padding = true;
			continue;
		}
		if (in[i] == '\n' || in[i] == '\r')
			continue;
		v = b64_value(in[i]);
		if (v < 0 || padding)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits >= 6) /* a single leftover character carries no byte */
		return -EINVAL;
	out[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(out);
	return 0;
}

char *reg_base64_encode(const void *data, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = tbl[(v >> 18) & 63];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* ---- X-Registry-Auth ---- */

struct reg_auth *reg_auth_free(struct reg_auth *a)
{
	if (!a)
		return NULL;
	free(a->username);
	free(a->password);
	free(a->identity_token);
	free(a->registry_token);
	free(a->server_address);
	free(a);
	return NULL;
}

int reg_auth_decode(const char *header, struct reg_auth **ret, struct berth_error **err)
{
	_cleanup_(reg_auth_freep) struct reg_auth *a = xzalloc(sizeof(*a));
	_cleanup_free_ char *json = NULL;
	_cleanup_json_ json_object *o = NULL;
	size_t len = 0;
	int r;

	if (str_is_empty(header)) {
		*ret = TAKE_PTR(a);
		return 0;
	}
	if (reg_base64_decode(header, &json, &len) < 0 || strlen(json) != len)
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
				       "invalid X-Registry-Auth header: not base64");
	r = json_parse_text(json, len, 4, "X-Registry-Auth", &o, err);
	if (r < 0)
		return berth_error_wrap(err, "invalid X-Registry-Auth header");
	if (!json_object_is_type(o, json_type_object))
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
				       "invalid X-Registry-Auth header: not an object");
	json_object_object_foreach (o, key, val) {
		char **dst = NULL;

		if (strcasecmp(key, "username") == 0)
			dst = &a->username;
		else if (strcasecmp(key, "password") == 0)
			dst = &a->password;
		else if (strcasecmp(key, "identitytoken") == 0)
			dst = &a->identity_token;
		else if (strcasecmp(key, "registrytoken") == 0)
			dst = &a->registry_token;
		else if (strcasecmp(key, "serveraddress") == 0)
			dst = &a->server_address;
		if (!dst || !val || json_object_is_type(val, json_type_null))
			continue;
		if (!json_object_is_type(val, json_type_string))
			return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
					       "invalid X-Registry-Auth header: '%s' is not a "
					       "string",
					       key);
		free(*dst);
		*dst = str_is_empty(json_object_get_string(val))
			       ? NULL
			       : xstrdup(json_object_get_string(val));
	}
	*ret = TAKE_PTR(a);
	return 0;
}

/* ---- challenges ---- */

static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static char *read_token(const char **pp)
{
	const char *p = *pp, *start = p;

	while (is_tchar(*p))
		p++;
	*pp = p;
	return p > start ? xstrndup(start, (size_t)(p - start)) : NULL;
}

static char *read_value(const char **pp)
{
	const char *p = *pp;
	size_t len = 0;
	char *out;

	if (*p != '"') { /* a token; leniently anything up to a comma or a blank */
		size_t n = strcspn(p, ", \t");
		*pp = p + n;
		return xstrndup(p, n);
	}
	out = xmalloc(strlen(p) + 1);
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[len++] = *p;
	}
	if (*p == '"')
		p++;
	out[len] = '\0';
	*pp = p;
	return out;
}

static void lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

void reg_challenges_free(struct reg_challenge *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].scheme);
		for (size_t j = 0; j < c[i].n; j++) {
			free(c[i].keys[j]);
			free(c[i].values[j]);
		}
		free(c[i].keys);
		free(c[i].values);
	}
	free(c);
}

/* Parse the parameters of one challenge; stops before the next challenge. */
static void parse_params(const char **pp, struct reg_challenge *c)
{
	const char *p = *pp;

	for (;;) {
		const char *mark;
		char *key;

		p = skip_ws(p);
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		mark = p;
		key = read_token(&p);
		if (!key)
			break;
		p = skip_ws(p);
		if (*p != '=') { /* the next challenge's scheme */
			free(key);
			p = mark;
			break;
		}
		p = skip_ws(p + 1);
		lower(key);
		c->keys = xrealloc(c->keys, (c->n + 1) * sizeof(char *));
		c->values = xrealloc(c->values, (c->n + 1) * sizeof(char *));
		c->keys[c->n] = key;
		c->values[c->n] = read_value(&p);
		c->n++;
	}
	*pp = p;
}

int reg_challenges_parse(const char *header, struct reg_challenge **ret, size_t *ret_n)
{
	struct reg_challenge *list = NULL;
	const char *p = header ? header : "";
	size_t n = 0;

	for (;;) {
		char *scheme;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		scheme = read_token(&p);
		if (!scheme) {
			p++; /* garbage: skip a character */
			continue;
		}
		lower(scheme);
		list = xrealloc(list, (n + 1) * sizeof(*list));
		list[n] = (struct reg_challenge){ .scheme = scheme };
		parse_params(&p, &list[n]);
		n++;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

const char *reg_challenge_param(const struct reg_challenge *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->keys[i], key) == 0)
			return c->values[i];
	return NULL;
}

void reg_session_take_challenge(struct reg_session *s, const char *www_authenticate)
{
	struct reg_challenge *c = NULL;
	size_t n = 0;

	(void)reg_challenges_parse(www_authenticate, &c, &n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(c[i].scheme, "bearer") == 0 && reg_challenge_param(&c[i], "realm")) {
			const char *service = reg_challenge_param(&c[i], "service");
			const char *scope = reg_challenge_param(&c[i], "scope");

			s->scheme = REG_SCHEME_BEARER;
			free(s->realm);
			s->realm = xstrdup(reg_challenge_param(&c[i], "realm"));
			free(s->service);
			s->service = service ? xstrdup(service) : NULL;
			/* insufficient_scope names what the registry wants */
			if (scope && s->repo && !strv_contains(s->scopes, scope))
				strv_push(&s->scopes, scope);
			break;
		}
		if (strcmp(c[i].scheme, "basic") == 0)
			s->scheme = REG_SCHEME_BASIC;
	}
	reg_challenges_free(c, n);
}

char *reg_auth_header(const struct reg_session *s)
{
	if (s->registry_token)
		return xasprintf("Authorization: Bearer %s", s->registry_token);
	if (s->scheme == REG_SCHEME_BEARER && s->token)
		return xasprintf("Authorization: Bearer %s", s->token);
	if (s->scheme == REG_SCHEME_BASIC && s->username) {
		_cleanup_free_ char *pair =
			xasprintf("%s:%s", s->username, s->password ? s->password : "");
		_cleanup_free_ char *b64 = reg_base64_encode(pair, strlen(pair));
		return xasprintf("Authorization: Basic %s", b64);
	}
	return NULL;
}

/* ---- the token server ---- */

static size_t token_write(char *buf, size_t size, size_t n, void *data)
{
	char **body = data;
	size_t len = size * n, have = *body ? strlen(*body) : 0;

	if (have + len > REG_TOKEN_MAX)
		return 0;
	*body = xrealloc(*body, have + len + 1);
	memcpy(*body + have, buf, len);
	(*body)[have + len] = '\0';
	return len;
}

static void append_param(char **q, CURL *c, const char *key, const char *value)
{
	char *esc = curl_easy_escape(c, value, 0);
	char *n = xasprintf("%s%s%s=%s", *q ? *q : "", *q ? "&" : "", key, esc);

	curl_free(esc);
	free(*q);
	*q = n;
}

/* The token server's refusal as docker words it: unauthorized: <details>. */
static int token_refused(struct reg_session *s, long status, const char *body,
			 struct berth_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	const char *detail = NULL;
	struct reg_response fake = { .status = status,
				     .body = (char *)body,
				     .body_len = body ? strlen(body) : 0 };
	_cleanup_free_ char *code = NULL;

	if (body && (o = json_tokener_parse(body))) {
		json_object *v = NULL;
		if (json_object_object_get_ex(o, "details", &v) ||
		    json_object_object_get_ex(o, "detail", &v))
			detail = json_object_get_string(v);
	}
	code = reg_error_code(&fake);
	if (!detail && code)
		return reg_error_from_response(s, &fake, NULL, err);
	return reg_error_set(err, EACCES,
			     status == 401 || status == 403 ? BERTH_ERR_UNAUTHORIZED
							    : BERTH_ERR_UNAVAILABLE,
			     "Get \"%s/v2/\": %s: %s", s->base ? s->base : s->domain,
			     status == 401 || status == 403 ? "unauthorized" : "token server",
			     detail	     ? detail
			     : status == 401 ? "incorrect username or password"
					     : "unexpected status");
}

static int token_parse(struct reg_session *s, const char *body, struct berth_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	const char *tok = NULL, *access = NULL, *refresh = NULL;
	int64_t expires = 0;
	int r;

	r = json_parse_text(body, strlen(body), 8, "token", &o, err);
	if (r < 0)
		return berth_error_wrap(err, "token server");
	(void)json_get_str(o, "", "token", false, &tok, NULL);
	(void)json_get_str(o, "", "access_token", false, &access, NULL);
	(void)json_get_str(o, "", "refresh_token", false, &refresh, NULL);
	(void)json_get_int64(o, "", "expires_in", false, &expires, NULL);
	if (!str_is_empty(access))
		tok = access;
	if (str_is_empty(tok))
		return berth_error_set(err, EINVAL, BERTH_ERR_UNAVAILABLE,
				       "token server at '%s' returned no token", s->realm);
	if (expires < 60)
		expires = 60; /* docker's minimum */
	free(s->token);
	s->token = xstrdup(tok);
	s->token_expires = now_usec_monotonic() + (uint64_t)expires * 1000000u;
	if (!str_is_empty(refresh)) {
		free(s->refresh_token);
		s->refresh_token = xstrdup(refresh);
	}
	return 0;
}

static int token_request(struct reg_session *s, bool oauth, long *ret_status, char **ret_body,
			 struct berth_error **err)
{
	_cleanup_(curl_easy_cleanupp) CURL *c = curl_easy_init();
	_cleanup_(curl_slist_free_allp) struct curl_slist *hdrs = NULL;
	_cleanup_free_ char *q = NULL, *url = NULL, *scope = NULL, *body = NULL;
	_cleanup_free_ char *host = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLU *u = curl_url();
	CURLcode cc;

	if (!c)
		abort();
	if (s->service)
		append_param(&q, c, "service", s->service);
	if (oauth) {
		for (size_t i = 0; s->scopes && s->scopes[i]; i++) {
			char *n = xasprintf("%s%s%s", scope ? scope : "", scope ? " " : "",
					    s->scopes[i]);
			free(scope);
			scope = n;
		}
		if (scope)
			append_param(&q, c, "scope", scope);
		append_param(&q, c, "client_id", "berth");
		append_param(&q, c, "grant_type", "refresh_token");
		append_param(&q, c, "refresh_token", s->identity_token);
		if (s->login)
			append_param(&q, c, "access_type", "offline");
		url = xstrdup(s->realm);
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, q ? q : "");
	} else {
		for (size_t i = 0; s->scopes && s->scopes[i]; i++)
			append_param(&q, c, "scope", s->scopes[i]);
		if (s->login && s->username) {
			append_param(&q, c, "offline_token", "true");
			append_param(&q, c, "client_id", "berth");
		}
		url = q ? xasprintf("%s%s%s", s->realm, strchr(s->realm, '?') ? "&" : "?", q)
			: xstrdup(s->realm);
		if (s->username) {
			(void)curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			(void)curl_easy_setopt(c, CURLOPT_USERNAME, s->username);
			(void)curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ? s->password : "");
		}
	}
	if (curl_url_set(u, CURLUPART_URL, s->realm, 0) == CURLUE_OK) {
		char *h = NULL;
		if (curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
			host = xstrdup(h);
			curl_free(h);
		}
	}
	curl_url_cleanup(u);
	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	(void)curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	(void)curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	(void)curl_easy_setopt(c, CURLOPT_USERAGENT, s->user_agent);
	(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	(void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, token_write);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	hdrs = curl_slist_append(hdrs, "Expect:");
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	reg_tls_apply(s, c, !(host && reg_is_insecure(s->opts, host)), false);
	if (host && reg_is_insecure(NULL, host))
		(void)curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	for (unsigned attempt = 0;; attempt++) {
		cc = curl_easy_perform(c);
		if (attempt >= 2 || (cc != CURLE_SEND_ERROR && cc != CURLE_RECV_ERROR &&
				     cc != CURLE_GOT_NOTHING && cc != CURLE_PARTIAL_FILE))
			break;
		free(body); /* a dropped connection: again, after a pause */
		body = NULL;
		reg_sleep_backoff(attempt);
	}
	if (cc != CURLE_OK) {
		long os_errno = 0;
		(void)curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
		return reg_transport_error(oauth ? "POST" : "GET", url, cc, os_errno, errbuf, err);
	}
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
	*ret_body = body ? TAKE_PTR(body) : xstrdup("");
	return 0;
}

int reg_token_fetch(struct reg_session *s, struct berth_error **err)
{
	_cleanup_free_ char *body = NULL;
	long status = 0;
	int r;

	if (!s->realm)
		return berth_error_set(err, EINVAL, BERTH_ERR_UNAVAILABLE,
				       "registry '%s' asked for a token without a realm",
				       s->domain);
	if (s->identity_token) {
		r = token_request(s, true, &status, &body, err);
		if (r < 0)
			return r;
		if (status == 404 || status == 405) { /* no OAuth: Basic GET */
			free(body);
			body = NULL;
			r = token_request(s, false, &status, &body, err);
			if (r < 0)
				return r;
		}
	} else {
		r = token_request(s, false, &status, &body, err);
		if (r < 0)
			return r;
	}
	if (status != 200)
		return token_refused(s, status, body, err);
	return token_parse(s, body, err);
}
