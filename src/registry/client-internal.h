/* berth registry client: the transport shared by pull, push and login
 * (client-*.c). Not part of registry.h.
 *
 * A session talks to one registry about one repository: it picks the
 * endpoint (mirrors first for docker.io; https, then for insecure and
 * loopback registries https without verification and plain http), pings
 * /v2/, answers 401 challenges (Basic, or Bearer: fetch a token from the
 * realm for the session's scope, refresh it when it expires or is refused)
 * and keeps the connection alive between requests.
 *
 * A session is not fork-safe: a child process that talks to the registry
 * uses reg_session_clone (same endpoint and token, its own connection).
 */
#ifndef BERTH_REGISTRY_CLIENT_INTERNAL_H
#define BERTH_REGISTRY_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

#define REG_MANIFEST_MAX   (4u << 20) /* bytes of a manifest or index */
#define REG_ERROR_BODY_MAX (64u << 10)

/* Accept header for manifests: OCI index and manifest, Docker list and
 * schema 2 (schema 1 is recognised to be refused). */
#define REG_MANIFEST_ACCEPT                                                                        \
	"application/vnd.oci.image.index.v1+json, "                                                \
	"application/vnd.oci.image.manifest.v1+json, "                                             \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                              \
	"application/vnd.docker.distribution.manifest.v2+json, "                                   \
	"application/vnd.docker.distribution.manifest.v1+prettyjws, "                              \
	"application/vnd.docker.distribution.manifest.v1+json"

struct reg_session;

/* actions: "pull" or "pull,push" (the token scope for ref's repository);
 * extra_scopes: more "repository:<path>:pull" scopes (cross-repository
 * mounts), may be NULL. */
int reg_session_open(const struct reg_options *opts, const struct image_ref *ref,
		     const struct reg_auth *auth, const char *actions, char *const *extra_scopes,
		     struct reg_session **ret, struct berth_error **err);
struct reg_session *reg_session_free(struct reg_session *s);
DEFINE_CLEANUP(struct reg_session, reg_session_free)
/* A session for a child process: same endpoint, credentials and token. */
int reg_session_clone(struct reg_session *s, struct reg_session **ret, struct berth_error **err);
/* "library/busybox" */
const char *reg_session_repo(const struct reg_session *s);
/* "https://registry-1.docker.io", "http://localhost:5000" */
const char *reg_session_base(const struct reg_session *s);
/* Whether the session talks to a docker.io mirror; a pull that fails
 * there (not found, unavailable) calls reg_session_fallback, which moves
 * to the next endpoint (the next mirror or registry-1.docker.io). */
bool reg_session_on_mirror(const struct reg_session *s);
int reg_session_fallback(struct reg_session *s, struct berth_error **err);
/* The refresh token the token server returned (login), or NULL. */
const char *reg_session_refresh_token(const struct reg_session *s);

struct reg_response {
	long status;
	char *content_type;
	char *digest;		 /* Docker-Content-Digest */
	char *location;		 /* Location, made absolute */
	char *range;		 /* Range (upload status) */
	uint64_t content_length; /* UINT64_MAX: absent */
	char *body;		 /* buffered body (NUL-terminated), bounded by the caller's max */
	size_t body_len;
};
void reg_response_clear(struct reg_response *r);

/* One request; path is "/v2/..." (relative to the endpoint) or an absolute
 * URL on the same registry (upload Locations). headers: "Name: value"
 * lines, NULL-terminated, may be NULL. The response body is buffered up to
 * max bytes (more is an error). Answers of any status return 0; transport
 * failures (after the retries) return an error. */
int reg_request(struct reg_session *s, const char *method, const char *path,
		const char *const *headers, const void *body, size_t body_len, size_t max,
		struct reg_response *ret, struct berth_error **err);

/* A streamed GET (blobs): from offset (a Range request when > 0), each piece
 * of a 2xx body goes to sink, which returns 0 or a negative errno to stop.
 * Redirects are followed. Non-2xx answers return 0 with the buffered error
 * body in ret. */
typedef int (*reg_sink_fn)(const void *data, size_t len, void *user);
int reg_get_stream(struct reg_session *s, const char *path, uint64_t offset, reg_sink_fn sink,
		   void *user, struct reg_response *ret, struct berth_error **err);

/* A streamed upload (PUT or PATCH) of len bytes of fd from offset. */
int reg_upload_stream(struct reg_session *s, const char *method, const char *path,
		      const char *const *headers, int fd, uint64_t offset, uint64_t len,
		      struct reg_response *ret, struct berth_error **err);

/* Turn an unexpected answer into a berth_error with dockerd's wording and
 * kind (the distribution error body's code and message; what: "manifest
 * for localhost:5000/a:b", "blob sha256:..."). Returns the negative errno. */
int reg_error_from_response(const struct reg_session *s, const struct reg_response *r,
			    const char *what, struct berth_error **err);

/* Whether an answer is docker's "denied" (errcode DENIED): a 401 or 403
 * whose Bearer challenge says error="insufficient_scope" (what Docker Hub
 * and docker-registry answer a token without access) or whose body's first
 * error code is DENIED. */
bool reg_response_denied(const struct reg_session *s, const struct reg_response *r);
/* An access refusal (401, 403, or a repository the registry hides behind
 * 404) as docker words it: for action "pull", "pull access denied for
 * <name>, repository does not exist or may require 'docker login':
 * denied: ..." (kind NOT_FOUND, as dockerd's notFoundError; errnum
 * EACCES); other actions: the registry's own words. */
int reg_error_access_denied(const struct reg_session *s, const struct reg_response *r,
			    const char *action, const char *name, struct berth_error **err);

#endif
