/* berth registry: the distribution client — pull, push, login — that
 * berthd uses (the server is in registry-server.h).
 *
 * Everything a registry sends is untrusted: manifests and indexes are size
 * bounded and parsed with depth limits, every blob is checked against its
 * digest while it streams, layers are unpacked through the layer store
 * (which resolves every path inside the layer and checks the diff id).
 * A pull that fails stores nothing the daemon would record: blobs land in
 * the content store only once their digest matched, layers only once their
 * diff id matched, and the caller records the image (and moves a tag) only
 * after reg_pull returned 0.
 *
 * Transport: libcurl, TLS with the system CAs plus /etc/docker/certs.d/<host>/
 * (*.crt: CAs; *.cert + *.key: client certificates). Registries in
 * reg_options.insecure, and loopback ones (localhost, 127.0.0.0/8, ::1)
 * as docker treats them, are tried over HTTPS without verification and then
 * over plain HTTP.
 */
#ifndef BERTH_REGISTRY_H
#define BERTH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "image.h"
#include "store.h"

/* Daemon-wide settings (berthd's options). */
struct reg_options {
	char **insecure; /* "host[:port]" or CIDR "10.0.0.0/8" (NULL-terminated, may be NULL) */
	char **mirrors;	 /* endpoints for docker.io, tried first: "https://mirror:5000" */
	const char *certs_dir;		   /* NULL: "/etc/docker/certs.d" */
	unsigned max_concurrent_downloads; /* 0: 3 */
	unsigned max_concurrent_uploads;   /* 0: 5 */
	const char *user_agent;		   /* NULL: "berth/<version>" */
};

/* Credentials for one registry, as the API's X-Registry-Auth carries them
 * (base64url of {"username","password","serveraddress","identitytoken",
 * "registrytoken"}). Every member may be NULL: anonymous. */
struct reg_auth {
	char *username;
	char *password;
	char *identity_token; /* an OAuth2 refresh token from an earlier login */
	char *registry_token; /* a bearer token used as it is */
	char *server_address;
};
/* Decode an X-Registry-Auth header value (standard or URL-safe base64, with
 * or without padding); an empty or "{}" header gives an empty reg_auth. */
int reg_auth_decode(const char *header, struct reg_auth **ret, struct berth_error **err);
struct reg_auth *reg_auth_free(struct reg_auth *a);
DEFINE_CLEANUP(struct reg_auth, reg_auth_free)

/* Progress, one call per event, with docker's statuses and ids:
 *   pull: "Pulling fs layer", "Waiting", "Downloading" (current/total),
 *         "Verifying Checksum", "Download complete", "Extracting"
 *         (current/total), "Pull complete", "Already exists",
 *         "Retrying in N seconds";
 *   push: "Preparing", "Waiting", "Pushing" (current/total), "Pushed",
 *         "Layer already exists", "Mounted from <repo path>".
 * id is the 12-hex short form of the blob digest; total 0 means no
 * progress figures. Called only in the process that called reg_pull or
 * reg_push, at most about ten times a second per layer for the running
 * figures. */
typedef void (*reg_progress_cb)(const char *id, const char *status, uint64_t current,
				uint64_t total, void *data);

struct reg_pull_request {
	const struct image_ref *ref; /* a tag or a digest */
	const char *platform;	     /* "os/arch[/variant]"; NULL: "linux/amd64" */
	const struct reg_auth *auth; /* NULL: anonymous */
};

struct reg_pull_result {
	struct image_archive_item item;	  /* config digest (image id), chain ids, layer blobs, size;
					   * item.manifest_digest: the platform's image manifest */
	char repo_digest[DIGEST_LEN + 1]; /* what the tag resolved to (index or manifest):
					   * docker's RepoDigests entry */
	bool fresh; /* something was downloaded (false: every blob was present) */
};
void reg_pull_result_clear(struct reg_pull_result *r);

/* Pull one image: resolve the reference (manifest negotiation: OCI index and
 * manifest, Docker list and schema 2; schema 1 refused), choose the platform,
 * fetch the config, then download at most max_concurrent_downloads layers at
 * once, each streamed through digest check, decompression and unpacking;
 * blobs and layers already present are skipped ("Already exists"); a
 * dropped connection is resumed with a Range request, with backoff. The
 * manifest, the index (if any) and the config are stored in the blob store.
 * May fork helper processes; none is left when it returns. */
int reg_pull(const struct reg_options *opts, struct blob_store *bs, struct layer_store *ls,
	     const struct reg_pull_request *rq, reg_progress_cb progress, void *progress_data,
	     struct reg_pull_result *ret, struct berth_error **err);

/* Every tag of ref's repository, following pagination (pull -a, push -a is
 * the daemon's: it knows the local tags). */
int reg_list_tags(const struct reg_options *opts, const struct image_ref *ref,
		  const struct reg_auth *auth, char ***ret, struct berth_error **err);

struct reg_push_request {
	const struct image_ref *ref; /* with a tag */
	const char *config_digest;
	/* A stored manifest to push byte for byte (so the digest stays the
	 * same), or NULL: one is built (OCI media types, each layer's media type
	 * from its compression). */
	const char *manifest_digest;
	char *const *layer_blobs; /* bottom first */
	size_t n_layers;
	/* Repository paths on the same registry that may hold the blobs already
	 * (cross-repository mount candidates), may be NULL. */
	char *const *mount_from;
	const struct reg_auth *auth;
};

/* Push an image: blob existence checks (HEAD), cross-repository mounts,
 * uploads (monolithic, chunked for large blobs), then the manifest with its
 * media type; 5xx answers and dropped connections are retried with backoff.
 * ret_digest/ret_size: the manifest's digest and length. */
int reg_push(const struct reg_options *opts, struct blob_store *bs,
	     const struct reg_push_request *rq, reg_progress_cb progress, void *progress_data,
	     char ret_digest[static DIGEST_LEN + 1], uint64_t *ret_size, struct berth_error **err);

/* Check credentials against server ("localhost:5000", "docker.io", or an
 * URL): the /v2/ ping, then Basic or the Bearer token flow. On success
 * *ret_identity_token gets the refresh token the token server gave (or
 * NULL), for docker's IdentityToken. Refused credentials are
 * BERTH_ERR_UNAUTHORIZED. */
int reg_login(const struct reg_options *opts, const char *server, const struct reg_auth *auth,
	      char **ret_identity_token, struct berth_error **err);

/* Error kinds: unknown manifest or repository -> BERTH_ERR_NOT_FOUND,
 * refused credentials or access -> BERTH_ERR_UNAUTHORIZED, unreachable or
 * failing registry -> BERTH_ERR_UNAVAILABLE, bad content (digest mismatch,
 * schema 1, malformed manifest) -> BERTH_ERR_INVALID. Messages follow
 * dockerd's. */

#endif
