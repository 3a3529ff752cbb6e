/* berth registry client: the session's insides, shared by client-session.c,
 * client-auth.c, client-tls.c, client-error.c, client-login.c and
 * client-push.c. The pull side uses only client-internal.h.
 */
#ifndef BERTH_REGISTRY_CLIENT_TRANSPORT_H
#define BERTH_REGISTRY_CLIENT_TRANSPORT_H

#include <curl/curl.h>

#include "client-internal.h"

DEFINE_CLEANUP(CURL, curl_easy_cleanup)
DEFINE_CLEANUP(struct curl_slist, curl_slist_free_all)

#define REG_DOCKER_HUB	    "docker.io"
#define REG_DOCKER_HUB_BASE "https://registry-1.docker.io"
#define REG_TOKEN_MAX	    (256u << 10) /* bytes of a token server's answer */

enum reg_auth_scheme { REG_SCHEME_NONE, REG_SCHEME_BASIC, REG_SCHEME_BEARER, REG_SCHEME_MAX };

/* One challenge of a WWW-Authenticate header: scheme and its parameters. */
struct reg_challenge {
	char *scheme; /* lower case: "basic", "bearer" */
	char **keys;  /* lower case */
	char **values;
	size_t n;
};
/* Parse every challenge of a header value (RFC 7235: several challenges,
 * auth-params with tokens or quoted strings). */
int reg_challenges_parse(const char *header, struct reg_challenge **ret, size_t *ret_n);
void reg_challenges_free(struct reg_challenge *c, size_t n);
const char *reg_challenge_param(const struct reg_challenge *c, const char *key);

/* Standard or URL-safe base64, padded or not; *ret is NUL-terminated. */
int reg_base64_decode(const char *in, char **ret, size_t *ret_len);
char *reg_base64_encode(const void *data, size_t len);

/* One candidate endpoint: base URL and whether TLS is verified. */
struct reg_endpoint {
	char *base;
	bool verify;
	bool mirror;
};

struct reg_session {
	const struct reg_options *opts;
	char *domain; /* "localhost:5000", "docker.io" */
	char *repo;   /* "library/busybox", NULL for login */
	struct reg_endpoint *endpoints;
	size_t n_endpoints;
	char *base;	 /* the chosen endpoint */
	size_t endpoint; /* its index */
	bool verify;
	char *user_agent;
	/* TLS from certs.d */
	char *ca_blob;
	size_t ca_blob_len;
	char *client_cert, *client_key;
	/* credentials */
	char *username, *password, *identity_token, *registry_token;
	bool login; /* ask the token server for a refresh token */
	char **scopes;
	/* what the registry asked for */
	enum reg_auth_scheme scheme;
	char *realm, *service;
	char *token;
	uint64_t token_expires; /* monotonic usec, 0: never */
	char *refresh_token;
	char *www_authenticate; /* of the last response */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	/* upload progress (push): called with bytes sent so far */
	void (*upload_progress)(uint64_t sent, void *data);
	void *upload_progress_data;
};

/* Whether domain ("host[:port]") is insecure: loopback, or listed in opts
 * (host[:port] or CIDR). */
bool reg_is_insecure(const struct reg_options *opts, const char *domain);
/* Fill s->endpoints for s->domain (mirrors, https, unverified https, http). */
void reg_endpoints_build(struct reg_session *s);
/* Pushes never go to mirrors. */
void reg_endpoints_drop_mirrors(struct reg_session *s);
/* Load certs.d/<domain>: extra CAs into s->ca_blob, client cert and key. */
int reg_tls_load(struct reg_session *s, struct berth_error **err);
/* Apply TLS options for the chosen endpoint (or for verify=false). */
void reg_tls_apply(const struct reg_session *s, CURL *c, bool verify, bool own_host);

/* Ping base/v2/ on each endpoint until one answers; sets s->base and the
 * scheme from its challenge. */
int reg_session_ping(struct reg_session *s, struct berth_error **err);
/* A session for a registry without a repository (login). */
int reg_session_open_domain(const struct reg_options *opts, const char *domain,
			    const struct reg_auth *auth, struct reg_session **ret,
			    struct berth_error **err);
/* Bearer: fetch a token from s->realm for s->scopes (refused credentials:
 * BERTH_ERR_UNAUTHORIZED). */
int reg_token_fetch(struct reg_session *s, struct berth_error **err);
/* Take the scheme (and realm, service) from a 401's challenges. */
void reg_session_take_challenge(struct reg_session *s, const char *www_authenticate);
/* The Authorization header line for the session, or NULL. */
char *reg_auth_header(const struct reg_session *s);

/* A transport failure as Go's net/http words it:
 * Get "http://127.0.0.1:5001/v2/": dial tcp 127.0.0.1:5001: connect: connection refused */
int reg_transport_error(const char *method, const char *url, CURLcode code, long os_errno,
			const char *errbuf, struct berth_error **err);
/* Status and distribution error code of a response body ("MANIFEST_UNKNOWN"). */
char *reg_error_code(const struct reg_response *r);

/* berth_error_set without the strerror suffix, with errnum kept. */
int reg_error_set(struct berth_error **err, int errnum, enum berth_err_kind kind, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));

/* Sleep 0.5, 1, 2, 4, 8 s for attempts 0, 1, 2, 3, 4+. */
void reg_sleep_backoff(unsigned attempt);

#endif
