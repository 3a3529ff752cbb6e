/* berth registry server: an OCI distribution (v2) registry, the
 * berth-registry binary that `berth registry serve` runs.
 *
 * Content lives in the store's blob store under <root>/blobs; each
 * repository keeps link files naming what it holds, under
 * <root>/repositories/<name>/: _tags/<tag> (the digest), _manifests/<hex>
 * (the manifest's media type), _blobs/<hex> and _referrers/<subject>/<hex>.
 * The '_' prefix keeps them apart from nested repository names, whose
 * components never start with '_'. Uploads in progress live in
 * <root>/uploads/<uuid>/ (data and state).
 *
 * Errors follow the store's convention: negative errno and a berth_error.
 */
#ifndef BERTH_REGISTRY_SERVER_H
#define BERTH_REGISTRY_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common.h"

struct reg_config {
	char *addr;	     /* "HOST:PORT" (default "0.0.0.0:5000") */
	char *root;	     /* storage root */
	bool read_only;	     /* writes answer 405 UNSUPPORTED */
	char *access_log;    /* file for the access log; NULL: stderr; "-": none */
	char *htpasswd;	     /* htpasswd file (bcrypt entries): Basic auth */
	char *realm;	     /* Basic realm / Bearer realm (the token server's URL) */
	char *token_service; /* Bearer: the expected audience */
	char *token_issuer;  /* Bearer: the expected issuer */
	char *token_certs;   /* Bearer: PEM file of certificates or public keys */
	char *tls_cert;	     /* TLS: PEM certificate chain (with tls_key) */
	char *tls_key;
	uint64_t max_blob;     /* bytes per blob (default 64 GiB) */
	uint64_t max_manifest; /* bytes per manifest (default 4 MiB) */
};

/* Read a JSON config file into cfg (keys in docs/registry.md). */
int reg_config_load(struct reg_config *cfg, const char *path, struct berth_error **err);
void reg_config_done(struct reg_config *cfg);

/* Serve until SIGTERM or SIGINT; 0 on a clean stop. */
int reg_server_run(const struct reg_config *cfg, struct berth_error **err);

/* Mark every blob a manifest of any repository references, delete the rest
 * (dry_run: only print them). Prints what it does on stdout. */
int reg_gc_run(const char *root, bool dry_run, struct berth_error **err);

/* ---- authentication (also for the unit tests) ---- */

struct reg_htpasswd;
int reg_htpasswd_load(const char *path, struct reg_htpasswd **ret, struct berth_error **err);
struct reg_htpasswd *reg_htpasswd_free(struct reg_htpasswd *h);
/* true when user and password match an entry (bcrypt, constant-time compare). */
bool reg_htpasswd_check(struct reg_htpasswd *h, const char *user, const char *password);

struct reg_token_keys;
int reg_token_keys_load(const char *pem_path, struct reg_token_keys **ret,
			struct berth_error **err);
struct reg_token_keys *reg_token_keys_free(struct reg_token_keys *k);

/* A verified token's grants: "repository:<name>" -> actions. */
struct reg_token_access {
	char *type, *name;
	char **actions;
};
struct reg_token {
	struct reg_token_access *access;
	size_t n_access;
	char *subject;
};
void reg_token_free(struct reg_token *t);

/* Verify a JWT (RS256 or ES256) against keys: signature, exp and nbf (with
 * 60 s leeway) at now, iss == issuer, aud contains service. */
int reg_token_verify(struct reg_token_keys *keys, const char *jwt, const char *issuer,
		     const char *service, time_t now, struct reg_token *ret,
		     struct berth_error **err);
/* Does the token grant action on repository name ("*" grants all)? */
bool reg_token_allows(const struct reg_token *t, const char *type, const char *name,
		      const char *action);

#endif
