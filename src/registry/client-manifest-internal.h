/* berth registry client: manifests, platforms and layer downloads shared by
 * client-pull.c, client-manifest.c and client-layer.c (not part of
 * registry.h). */
#ifndef BERTH_REGISTRY_CLIENT_MANIFEST_INTERNAL_H
#define BERTH_REGISTRY_CLIENT_MANIFEST_INTERNAL_H

#include "client-internal.h"

#define REG_MEDIA_OCI_INDEX	   "application/vnd.oci.image.index.v1+json"
#define REG_MEDIA_OCI_MANIFEST	   "application/vnd.oci.image.manifest.v1+json"
#define REG_MEDIA_DOCKER_LIST	   "application/vnd.docker.distribution.manifest.list.v2+json"
#define REG_MEDIA_DOCKER_MANIFEST  "application/vnd.docker.distribution.manifest.v2+json"
#define REG_MEDIA_DOCKER_V1	   "application/vnd.docker.distribution.manifest.v1+json"
#define REG_MEDIA_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define REG_CONFIG_MAX		   (8u << 20)
#define REG_LAYER_MAX		   (64ull << 30)
#define REG_MAX_LAYERS		   500
#define REG_MAX_MANIFESTS	   4096

/* "os/arch[/variant]", normalized as docker does (x86_64 -> amd64,
 * aarch64 -> arm64; arm64 defaults to v8, arm to v7, amd64's v1 is none). */
struct reg_platform {
	char *os, *arch, *variant; /* variant "" when none */
};
int reg_platform_parse(const char *s, struct reg_platform *ret, struct berth_error **err);
void reg_platform_clear(struct reg_platform *p);
/* "linux/arm64/v8", "linux/amd64" */
char *reg_platform_string(const struct reg_platform *p);

enum reg_manifest_kind {
	REG_MANIFEST_IMAGE, /* OCI manifest, Docker schema 2 */
	REG_MANIFEST_INDEX, /* OCI index, Docker manifest list */
	REG_MANIFEST_SCHEMA1,
	REG_MANIFEST_KIND_MAX,
};

struct reg_descriptor {
	char *media_type;
	char digest[DIGEST_LEN + 1];
	uint64_t size;
	struct reg_platform platform; /* index entries; os NULL when absent */
	bool attestation;	      /* an index entry that is an attestation */
};

struct reg_manifest {
	enum reg_manifest_kind kind;
	char *media_type;
	struct reg_descriptor config;	/* REG_MANIFEST_IMAGE */
	struct reg_descriptor *entries; /* layers (image) or manifests (index) */
	size_t n_entries;
};
/* Parse a manifest or index (content_type: the answer's Content-Type, may
 * be NULL or generic; the body's mediaType and shape decide then). */
int reg_manifest_parse(const char *body, size_t len, const char *content_type,
		       struct reg_manifest *ret, struct berth_error **err);
void reg_manifest_clear(struct reg_manifest *m);
/* The index entry for platform p; -ENOENT (BERTH_ERR_NOT_FOUND, docker's
 * "no matching manifest for ..." text) when none fits. */
int reg_index_choose(const struct reg_manifest *index, const struct reg_platform *p, size_t *ret,
		     struct berth_error **err);

/* What a reference resolved to: the bodies, ready to be stored. */
struct reg_resolved {
	char repo_digest[DIGEST_LEN + 1];
	char *index_body; /* NULL when the reference named an image manifest */
	size_t index_len;
	char manifest_digest[DIGEST_LEN + 1];
	char *manifest_body;
	size_t manifest_len;
	struct reg_manifest manifest;
	char *config_body;
	size_t config_len;
	struct image_config *config;
};
/* Fetch the manifest (by tag or digest), choose the platform, fetch the
 * image manifest and its config; every digest checked. Stores nothing. */
int reg_resolve(struct reg_session *s, const struct image_ref *ref, const char *platform,
		struct reg_resolved *ret, struct berth_error **err);
void reg_resolved_clear(struct reg_resolved *r);

/* ---- layers (client-layer.c) ---- */

struct reg_layer_job {
	const char *blob;	     /* compressed blob digest */
	uint64_t size;		     /* from the manifest */
	const char *diff_id;	     /* from the config */
	char parent[DIGEST_LEN + 1]; /* parent chain id, "" for the bottom layer */
	char chain[DIGEST_LEN + 1];
	uint64_t unpacked;  /* out: unpacked bytes */
	bool downloaded;    /* out */
	bool created_layer; /* out: the chain was not there before */
	bool created_blob;  /* out: the blob was not there before */
};
/* Download and unpack the layers (at most max_parallel at once, in child
 * processes); on failure every child is ended and reaped. */
int reg_layers_pull(struct reg_session *s, struct blob_store *bs, struct layer_store *ls,
		    struct reg_layer_job *jobs, size_t n, unsigned max_parallel,
		    reg_progress_cb progress, void *data, struct berth_error **err);
/* "sha256:0123456789abcdef..." -> "0123456789ab" */
void reg_short_id(const char *digest, char ret[static 13]);

#endif
