/* berth registry client: sessions and requests over libcurl (one easy handle
 * per session, so connections are kept alive between requests), the /v2/
 * ping that picks the endpoint, 401 answers (token fetch or refresh, then
 * one retry) and retries with backoff on dropped connections and 502-504.
 */
#define LOG_CATEGORY "registry"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "client-transport.h"

#define REG_RETRIES 3

static bool curl_ready;

static void curl_init_once(void)
{
	if (!curl_ready) {
		(void)curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = true;
	}
}

void reg_sleep_backoff(unsigned attempt)
{
	/* 0.5, 1, 2, 4, 8 s */
	unsigned ms = 500u << (attempt < 4 ? attempt : 4);
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void reg_response_clear(struct reg_response *r)
{
	if (!r)
		return;
	free(r->content_type);
	free(r->digest);
	free(r->location);
	free(r->range);
	free(r->body);
	*r = (struct reg_response){ .content_length = UINT64_MAX };
}

struct reg_session *reg_session_free(struct reg_session *s)
{
	if (!s)
		return NULL;
	free(s->domain);
	free(s->repo);
	for (size_t i = 0; i < s->n_endpoints; i++)
		free(s->endpoints[i].base);
	free(s->endpoints);
	free(s->base);
	free(s->user_agent);
	free(s->ca_blob);
	free(s->client_cert);
	free(s->client_key);
	free(s->username);
	free(s->password);
	free(s->identity_token);
	free(s->registry_token);
	strv_free(s->scopes);
	free(s->realm);
	free(s->service);
	free(s->token);
	free(s->refresh_token);
	free(s->www_authenticate);
	if (s->curl)
		curl_easy_cleanup(s->curl);
	free(s);
	return NULL;
}

const char *reg_session_repo(const struct reg_session *s)
{
	return s->repo;
}

const char *reg_session_base(const struct reg_session *s)
{
	return s->base;
}

const char *reg_session_refresh_token(const struct reg_session *s)
{
	return s->refresh_token;
}

static char *dup_nonempty(const char *s)
{
	return str_is_empty(s) ? NULL : xstrdup(s);
}

static struct reg_session *session_new(const struct reg_options *opts, const char *domain,
				       const struct reg_auth *auth)
{
	struct reg_session *s = xzalloc(sizeof(*s));

	curl_init_once();
	s->opts = opts;
	s->domain = xstrdup(domain);
	s->user_agent = opts && opts->user_agent ? xstrdup(opts->user_agent)
						 : xstrdup("berth/" BERTH_VERSION);
	if (auth) {
		s->username = dup_nonempty(auth->username);
		s->password = dup_nonempty(auth->password);
		s->identity_token = dup_nonempty(auth->identity_token);
		s->registry_token = dup_nonempty(auth->registry_token);
	}
	s->curl = curl_easy_init();
	if (!s->curl)
		abort();
	return s;
}

int reg_session_open_domain(const struct reg_options *opts, const char *domain,
			    const struct reg_auth *auth, struct reg_session **ret,
			    struct berth_error **err)
{
	_cleanup_(reg_session_freep) struct reg_session *s = session_new(opts, domain, auth);
	int r;

	reg_endpoints_build(s);
	r = reg_tls_load(s, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int reg_session_open(const struct reg_options *opts, const struct image_ref *ref,
		     const struct reg_auth *auth, const char *actions, char *const *extra_scopes,
		     struct reg_session **ret, struct berth_error **err)
{
	_cleanup_(reg_session_freep) struct reg_session *s = NULL;
	int r;

	r = reg_session_open_domain(opts, ref->domain, auth, &s, err);
	if (r < 0)
		return r;
	s->repo = xstrdup(ref->path);
	if (actions && strstr(actions, "push"))
		reg_endpoints_drop_mirrors(s); /* mirrors are read-only, as for docker */
	strv_push_take(&s->scopes,
		       xasprintf("repository:%s:%s", ref->path, actions ? actions : "pull"));
	for (size_t i = 0; extra_scopes && extra_scopes[i]; i++)
		if (!strv_contains(s->scopes, extra_scopes[i]))
			strv_push(&s->scopes, extra_scopes[i]);
	r = reg_session_ping(s, err);
	if (r < 0)
		return r;
	if (s->scheme == REG_SCHEME_BEARER && !s->registry_token) {
		r = reg_token_fetch(s, err);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

int reg_session_clone(struct reg_session *s, struct reg_session **ret, struct berth_error **err)
{
	struct reg_session *c = session_new(s->opts, s->domain, NULL);

	c->repo = s->repo ? xstrdup(s->repo) : NULL;
	c->base = s->base ? xstrdup(s->base) : NULL;
	c->verify = s->verify;
	if (s->ca_blob) {
		c->ca_blob = xmalloc(s->ca_blob_len);
		memcpy(c->ca_blob, s->ca_blob, s->ca_blob_len);
		c->ca_blob_len = s->ca_blob_len;
	}
	c->client_cert = s->client_cert ? xstrdup(s->client_cert) : NULL;
	c->client_key = s->client_key ? xstrdup(s->client_key) : NULL;
	c->username = s->username ? xstrdup(s->username) : NULL;
	c->password = s->password ? xstrdup(s->password) : NULL;
	c->identity_token = s->identity_token ? xstrdup(s->identity_token) : NULL;
	c->registry_token = s->registry_token ? xstrdup(s->registry_token) : NULL;
	c->scopes = strv_copy(s->scopes);
	c->scheme = s->scheme;
	c->realm = s->realm ? xstrdup(s->realm) : NULL;
	c->service = s->service ? xstrdup(s->service) : NULL;
	c->token = s->token ? xstrdup(s->token) : NULL;
	c->token_expires = s->token_expires;
	c->refresh_token = s->refresh_token ? xstrdup(s->refresh_token) : NULL;
	*ret = c;
	return 0;
}

/* ---- one transfer ---- */

struct xfer {
	struct reg_session *s;
	struct reg_response *resp;
	size_t max;
	reg_sink_fn sink;
	void *user;
	int sink_err;
	bool overflow;
	bool streamed; /* the sink got data */
	/* upload */
	int fd;
	uint64_t offset, sent, len;
};

static char *trim(char *v)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		v[--n] = '\0';
	return v;
}

static char *absolute_location(struct reg_session *s, const char *loc)
{
	CURLU *u = curl_url();
	char *eff = NULL, *out = NULL, *res;

	(void)curl_easy_getinfo(s->curl, CURLINFO_EFFECTIVE_URL, &eff);
	if (eff)
		(void)curl_url_set(u, CURLUPART_URL, eff, 0);
	if (curl_url_set(u, CURLUPART_URL, loc, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
		res = xstrdup(out);
		curl_free(out);
	} else {
		res = xstrdup(loc);
	}
	curl_url_cleanup(u);
	return res;
}

static void set_field(char **f, const char *v)
{
	free(*f);
	*f = xstrdup(v);
}

static size_t header_cb(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	struct reg_response *resp = x->resp;
	size_t len = size * n;
	_cleanup_free_ char *line = xstrndup(buf, len);
	char *colon, *v;

	if (str_has_prefix(line, "HTTP/")) {
		/* a new response (redirect, 100 Continue): forget the last one's headers */
		reg_response_clear(resp);
		free(x->s->www_authenticate);
		x->s->www_authenticate = NULL;
		return len;
	}
	colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = '\0';
	v = trim(colon + 1);
	if (strcasecmp(line, "Content-Type") == 0)
		set_field(&resp->content_type, v);
	else if (strcasecmp(line, "Docker-Content-Digest") == 0)
		set_field(&resp->digest, v);
	else if (strcasecmp(line, "Location") == 0) {
		free(resp->location);
		resp->location = absolute_location(x->s, v);
	} else if (strcasecmp(line, "Range") == 0)
		set_field(&resp->range, v);
	else if (strcasecmp(line, "Content-Length") == 0) {
		uint64_t cl;
		if (str_to_uint64(v, &cl) == 0)
			resp->content_length = cl;
	} else if (strcasecmp(line, "WWW-Authenticate") == 0) {
		char *w = x->s->www_authenticate;
		x->s->www_authenticate = w ? xasprintf("%s, %s", w, v) : xstrdup(v);
		free(w);
	}
	return len;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	struct reg_response *resp = x->resp;
	size_t len = size * n;
	long status = 0;

	(void)curl_easy_getinfo(x->s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x->sink && status >= 200 && status < 300) {
		int r = x->sink(buf, len, x->user);
		if (r < 0) {
			x->sink_err = r;
			return 0;
		}
		x->streamed = true;
		return len;
	}
	if (resp->body_len + len > x->max) {
		x->overflow = true;
		return 0;
	}
	resp->body = xrealloc(resp->body, resp->body_len + len + 1);
	memcpy(resp->body + resp->body_len, buf, len);
	resp->body_len += len;
	resp->body[resp->body_len] = '\0';
	return len;
}

static size_t read_cb(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t want = size * n;
	ssize_t got;

	if (x->sent >= x->len)
		return 0;
	if (want > x->len - x->sent)
		want = (size_t)(x->len - x->sent);
	do
		got = pread(x->fd, buf, want, (off_t)(x->offset + x->sent));
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return CURL_READFUNC_ABORT;
	x->sent += (uint64_t)got;
	if (x->s->upload_progress)
		x->s->upload_progress(x->sent, x->s->upload_progress_data);
	return (size_t)got;
}

static char *full_url(const struct reg_session *s, const char *path)
{
	if (str_has_prefix(path, "http://") || str_has_prefix(path, "https://"))
		return xstrdup(path);
	return xasprintf("%s%s", s->base, path);
}

struct req {
	const char *method;
	const char *url;
	const char *const *headers;
	const void *body;
	size_t body_len;
	bool upload; /* body from x->fd */
	uint64_t range_from;
};

/* Run one request on the session's handle; returns the curl code. */
static CURLcode perform(struct reg_session *s, const struct req *q, struct xfer *x)
{
	_cleanup_(curl_slist_free_allp) struct curl_slist *hdrs = NULL;
	_cleanup_free_ char *auth = NULL;
	_cleanup_free_ char *range = NULL;
	CURL *c = s->curl;
	bool own = str_has_prefix(q->url, s->base);

	curl_easy_reset(c);
	reg_response_clear(x->resp);
	x->sent = 0;
	x->overflow = false;
	x->sink_err = 0;
	s->errbuf[0] = '\0';
	(void)curl_easy_setopt(c, CURLOPT_URL, q->url);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	(void)curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	(void)curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	(void)curl_easy_setopt(c, CURLOPT_USERAGENT, s->user_agent);
	(void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	(void)curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	(void)curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	(void)curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	reg_tls_apply(s, c, s->verify, true);
	if (reg_is_insecure(NULL, s->domain)) /* loopback: never through a proxy, as Go */
		(void)curl_easy_setopt(c, CURLOPT_NOPROXY, "*");

	/* credentials only to the registry itself, not to redirect targets */
	auth = own ? reg_auth_header(s) : NULL;
	if (auth)
		hdrs = curl_slist_append(hdrs, auth);
	for (size_t i = 0; q->headers && q->headers[i]; i++)
		hdrs = curl_slist_append(hdrs, q->headers[i]);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (q->range_from > 0) {
		range = xasprintf("Range: bytes=%" PRIu64 "-", q->range_from);
		hdrs = curl_slist_append(hdrs, range);
	}
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	if (strcmp(q->method, "GET") == 0) {
		(void)curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		(void)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		(void)curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	} else if (strcmp(q->method, "HEAD") == 0) {
		(void)curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		(void)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		(void)curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	} else if (q->upload) {
		(void)curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
		(void)curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		(void)curl_easy_setopt(c, CURLOPT_READDATA, x);
		(void)curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->len);
	} else {
		(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body ? q->body : "");
	}
	CURLcode cc = curl_easy_perform(c);
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->resp->status);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	(void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	return cc;
}

static bool retryable(CURLcode cc)
{
	return cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
	       cc == CURLE_PARTIAL_FILE || cc == CURLE_OPERATION_TIMEDOUT ||
	       cc == CURLE_COULDNT_CONNECT;
}

static int transfer_error(struct reg_session *s, const struct req *q, const struct xfer *x,
			  CURLcode cc, struct berth_error **err)
{
	long os_errno = 0;

	if (x->sink_err < 0)
		return x->sink_err; /* the sink set err already */
	if (x->overflow)
		return berth_error_set(err, EFBIG, BERTH_ERR_INVALID,
				       "%s %s: answer larger than %zu bytes", q->method, q->url,
				       x->max);
	(void)curl_easy_getinfo(s->curl, CURLINFO_OS_ERRNO, &os_errno);
	return reg_transport_error(q->method, q->url, cc, os_errno, s->errbuf, err);
}

/* Whether a 401 is worth one more try: new credentials for the challenge. */
static int answer_unauthorized(struct reg_session *s, struct berth_error **err)
{
	enum reg_auth_scheme before = s->scheme;

	if (s->registry_token)
		return 0;
	if (s->www_authenticate)
		reg_session_take_challenge(s, s->www_authenticate);
	if (s->scheme == REG_SCHEME_BEARER) {
		int r = reg_token_fetch(s, err);
		return r < 0 ? r : 1;
	}
	if (s->scheme == REG_SCHEME_BASIC && before != REG_SCHEME_BASIC && s->username)
		return 1;
	return 0;
}

static int run(struct reg_session *s, const struct req *q, struct xfer *x, struct berth_error **err)
{
	bool auth_retried = false;
	unsigned attempt = 0;

	for (;;) {
		if (s->scheme == REG_SCHEME_BEARER && !s->registry_token && s->token &&
		    s->token_expires && now_usec_monotonic() + 5000000 > s->token_expires) {
			int r = reg_token_fetch(s, err);
			if (r < 0)
				return r;
		}
		CURLcode cc = perform(s, q, x);
		if (cc != CURLE_OK) {
			if (retryable(cc) && !x->streamed && x->sink_err == 0 &&
			    attempt < REG_RETRIES) {
				log_debug("%s %s: %s, retrying", q->method, q->url,
					  curl_easy_strerror(cc));
				reg_sleep_backoff(attempt++);
				continue;
			}
			return transfer_error(s, q, x, cc, err);
		}
		if (x->resp->status == 401 && !auth_retried) {
			int r = answer_unauthorized(s, err);
			if (r < 0)
				return r;
			auth_retried = true;
			if (r > 0)
				continue;
		}
		if (x->resp->status >= 502 && x->resp->status <= 504 && !x->streamed &&
		    attempt < REG_RETRIES) {
			reg_sleep_backoff(attempt++);
			continue;
		}
		return 0;
	}
}

int reg_request(struct reg_session *s, const char *method, const char *path,
		const char *const *headers, const void *body, size_t body_len, size_t max,
		struct reg_response *ret, struct berth_error **err)
{
	_cleanup_free_ char *url = full_url(s, path);
	struct reg_response resp = { .content_length = UINT64_MAX };
	struct xfer x = { .s = s, .resp = &resp, .max = max, .fd = -1 };
	struct req q = {
		.method = method, .url = url, .headers = headers, .body = body, .body_len = body_len
	};
	int r = run(s, &q, &x, err);

	if (r < 0) {
		reg_response_clear(&resp);
		return r;
	}
	*ret = resp;
	return 0;
}

int reg_get_stream(struct reg_session *s, const char *path, uint64_t offset, reg_sink_fn sink,
		   void *user, struct reg_response *ret, struct berth_error **err)
{
	_cleanup_free_ char *url = full_url(s, path);
	struct reg_response resp = { .content_length = UINT64_MAX };
	struct xfer x = { .s = s,
			  .resp = &resp,
			  .max = REG_ERROR_BODY_MAX,
			  .sink = sink,
			  .user = user,
			  .fd = -1 };
	struct req q = { .method = "GET", .url = url, .range_from = offset };
	int r = run(s, &q, &x, err);

	if (r < 0) {
		reg_response_clear(&resp);
		return r;
	}
	*ret = resp;
	return 0;
}

int reg_upload_stream(struct reg_session *s, const char *method, const char *path,
		      const char *const *headers, int fd, uint64_t offset, uint64_t len,
		      struct reg_response *ret, struct berth_error **err)
{
	_cleanup_free_ char *url = full_url(s, path);
	struct reg_response resp = { .content_length = UINT64_MAX };
	struct xfer x = { .s = s,
			  .resp = &resp,
			  .max = REG_ERROR_BODY_MAX,
			  .fd = fd,
			  .offset = offset,
			  .len = len };
	struct req q = { .method = method, .url = url, .headers = headers, .upload = true };
	int r = run(s, &q, &x, err);

	if (r < 0) {
		reg_response_clear(&resp);
		return r;
	}
	*ret = resp;
	return 0;
}

/* ---- the ping ---- */

static int ping_one(struct reg_session *s, const struct reg_endpoint *e, long *ret_status,
		    struct berth_error **err)
{
	_cleanup_free_ char *url = xasprintf("%s/v2/", e->base);
	struct reg_response resp = { .content_length = UINT64_MAX };
	struct xfer x = { .s = s, .resp = &resp, .max = REG_ERROR_BODY_MAX, .fd = -1 };
	struct req q = { .method = "GET", .url = url };
	CURLcode cc;
	int r = 0;

	free(s->base);
	s->base = xstrdup(e->base);
	s->verify = e->verify;
	cc = perform(s, &q, &x);
	if (cc != CURLE_OK)
		r = transfer_error(s, &q, &x, cc, err);
	else
		*ret_status = resp.status;
	reg_response_clear(&resp);
	return r;
}

/* Ping the endpoints from first on. When none answers, the last one's
 * error is reported (as dockerd does: "connect: connection refused" of the
 * plain http try), unless that endpoint answered but is no registry (an
 * https server that got plain http): then an earlier transport error (the
 * TLS failure) tells more. */
static int ping_from(struct reg_session *s, size_t first, struct berth_error **err)
{
	_cleanup_error_ struct berth_error *transport = NULL;
	int r = -EHOSTUNREACH, transport_r = 0;

	for (size_t i = first; i < s->n_endpoints; i++) {
		_cleanup_error_ struct berth_error *e = NULL;
		long status = 0;

		r = ping_one(s, &s->endpoints[i], &status, &e);
		if (r == 0 && (status == 200 || status == 401 || status == 403)) {
			log_debug("Registry '%s': endpoint %s", s->domain, s->base);
			s->endpoint = i;
			if (status == 401 && s->www_authenticate)
				reg_session_take_challenge(s, s->www_authenticate);
			return 0;
		}
		if (r < 0 && !transport) {
			transport = TAKE_PTR(e);
			transport_r = r;
			continue;
		}
		if (r == 0 && i + 1 == s->n_endpoints && transport) {
			if (err && !*err)
				*err = TAKE_PTR(transport);
			return transport_r;
		}
		if (r == 0)
			r = reg_error_set(
				&e, EPROTO, BERTH_ERR_UNAVAILABLE,
				"Get \"%s/v2/\": unexpected status %ld (no registry there)",
				s->base, status);
		if (i + 1 == s->n_endpoints) {
			if (err && !*err)
				*err = TAKE_PTR(e);
			return r;
		}
	}
	if (transport) {
		if (err && !*err)
			*err = TAKE_PTR(transport);
		return transport_r;
	}
	return berth_error_set(err, EHOSTUNREACH, BERTH_ERR_UNAVAILABLE,
			       "no endpoint for registry '%s'", s->domain);
}

int reg_session_ping(struct reg_session *s, struct berth_error **err)
{
	return ping_from(s, 0, err);
}

bool reg_session_on_mirror(const struct reg_session *s)
{
	return s->endpoint < s->n_endpoints && s->endpoints[s->endpoint].mirror;
}

int reg_session_fallback(struct reg_session *s, struct berth_error **err)
{
	int r;

	if (s->endpoint + 1 >= s->n_endpoints)
		return reg_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND,
				     "no further endpoint for registry '%s'", s->domain);
	s->scheme = REG_SCHEME_NONE;
	free(s->token);
	s->token = NULL;
	s->token_expires = 0;
	r = ping_from(s, s->endpoint + 1, err);
	if (r < 0)
		return r;
	if (s->scheme == REG_SCHEME_BEARER && !s->registry_token)
		return reg_token_fetch(s, err);
	return 0;
}
