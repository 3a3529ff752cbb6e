/* berth registry server: what its files share. One server per process, on
 * one event loop; every handler runs on the loop and must not block for
 * long (disk writes of request bodies are the exception: they are local).
 */
#ifndef BERTH_REGISTRY_SERVER_INTERNAL_H
#define BERTH_REGISTRY_SERVER_INTERNAL_H

#include <stdio.h>

#include "http.h"
#include "json-util.h"
#include "registry-server.h"
#include "store.h"

#define REG_JSON_DEPTH 32
#define REG_MAX_NAME   255
#define REG_MAX_LIST   10000 /* tags, referrers or repositories in one answer */

struct reg_upload;

struct reg_server {
	const struct reg_config *cfg;
	struct http_loop *loop;
	struct blob_store *store;
	char *root;
	FILE *log;
	struct reg_htpasswd *htpasswd;
	struct reg_token_keys *keys;
	struct reg_upload *uploads;
	uint64_t auth_cache_until[16]; /* Basic credentials checked lately */
	bool auth_cache_ok[16];
	char auth_cache[16][DIGEST_LEN + 1];
};

/* One request being answered: the access log needs its start. */
struct reg_req {
	struct reg_server *srv;
	struct http_request *req;
	uint64_t start_us;
	const char *name; /* repository, validated */
};

/* ---- server-http.c: answers, errors, the access log ---- */
void reg_req_init(struct reg_req *rq, struct reg_server *srv, struct http_request *req);
void reg_respond(struct reg_req *rq, int status, const char *ct, const void *body, size_t len);
void reg_respond_json(struct reg_req *rq, int status, const char *ct, json_object *o);
void reg_respond_file(struct reg_req *rq, int status, const char *ct, int fd, uint64_t off,
		      uint64_t len);
/* {"errors":[{"code","message","detail"}]}; detail may be NULL (taken). */
void reg_error(struct reg_req *rq, int status, const char *code, const char *message,
	       json_object *detail);
/* The common start of a handler: the repository name (validated, NAME_INVALID
 * otherwise), read-only mode for writes and authorization. false: answered. */
bool reg_begin(struct reg_req *rq, const char *action);
bool reg_name_is_valid(const char *name);
bool reg_tag_is_valid(const char *tag);
/* "sha256:<hex>" digests the store accepts; other algorithms are refused. */
bool reg_digest_ok(struct reg_req *rq, const char *digest, const char *code);

/* ---- server-auth.c ---- */
/* Check the request's credentials for action ("pull", "push", "delete") on
 * the repository (NULL: the base endpoint; "catalog": the catalog); answer
 * 401 with the challenge and return false when they don't suffice. */
bool reg_authorize(struct reg_req *rq, const char *name, const char *action);
/* Authorized for action without answering (cross-repository mounts). */
bool reg_authorized(struct reg_req *rq, const char *name, const char *action);

/* ---- server-storage.c: the repository layout ---- */
enum reg_link {
	REG_LINK_BLOB,
	REG_LINK_MANIFEST,
	REG_LINK_MAX,
};
char *reg_repo_path(struct reg_server *s, const char *name, const char *sub);
bool reg_repo_exists(struct reg_server *s, const char *name);
bool reg_link_exists(struct reg_server *s, const char *name, enum reg_link k, const char *digest);
/* Write the link (content: the manifest's media type, or empty). */
int reg_link_add(struct reg_server *s, const char *name, enum reg_link k, const char *digest,
		 const char *content);
int reg_link_remove(struct reg_server *s, const char *name, enum reg_link k, const char *digest);
/* The media type stored with a manifest link (caller frees); NULL: none. */
char *reg_link_read(struct reg_server *s, const char *name, enum reg_link k, const char *digest);
int reg_tag_read(struct reg_server *s, const char *name, const char *tag,
		 char ret[static DIGEST_LEN + 1]);
int reg_tag_write(struct reg_server *s, const char *name, const char *tag, const char *digest);
int reg_tag_remove(struct reg_server *s, const char *name, const char *tag);
/* Sorted tag names (NULL when none). */
char **reg_tags_list(struct reg_server *s, const char *name);
int reg_referrer_add(struct reg_server *s, const char *name, const char *subject,
		     const char *digest);
int reg_referrer_remove(struct reg_server *s, const char *name, const char *subject,
			const char *digest);
char **reg_referrers_list(struct reg_server *s, const char *name, const char *subject);
/* Every repository name under root (sorted). */
char **reg_repos_list(const char *root);
/* Write data to path atomically (temporary file and rename). */
int reg_write_atomic(const char *path, const char *data);

/* ---- handlers ---- */
void reg_routes_add(struct http_router *r, struct reg_server *s);
void reg_h_blob_get(struct http_request *req, void *data);
void reg_h_blob_delete(struct http_request *req, void *data);
void reg_h_upload_post(struct http_request *req, void *data);
void reg_h_upload_patch(struct http_request *req, void *data);
void reg_h_upload_put(struct http_request *req, void *data);
void reg_h_upload_get(struct http_request *req, void *data);
void reg_h_upload_delete(struct http_request *req, void *data);
void reg_uploads_free(struct reg_server *s);
void reg_h_manifest_get(struct http_request *req, void *data);
void reg_h_manifest_put(struct http_request *req, void *data);
void reg_h_manifest_delete(struct http_request *req, void *data);
void reg_h_tags_list(struct http_request *req, void *data);
void reg_h_referrers(struct http_request *req, void *data);
void reg_h_catalog(struct http_request *req, void *data);

/* ---- server-manifest-parse.c (manifests and gc) ---- */
struct reg_manifest {
	bool is_index;
	char *media_type, *artifact_type, *config_media_type;
	char **refs;	 /* config and layers, or the index's manifests */
	char **children; /* index children (also in refs) */
	char **foreign;	 /* layers with urls: not required to exist */
	char *subject;
	json_object *annotations; /* borrowed from root */
	json_object *root;
};
/* Parse and validate a manifest body; ct is the request's Content-Type. */
int reg_manifest_parse(const char *body, size_t len, const char *ct, struct reg_manifest *ret,
		       struct berth_error **err);
void reg_manifest_done(struct reg_manifest *m);

#endif
