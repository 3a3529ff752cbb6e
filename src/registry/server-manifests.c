/* Manifests: GET and HEAD by tag or digest, PUT (validated, its blobs and
 * child manifests required, the subject recorded for the referrers API),
 * DELETE of a tag or of a manifest. */
#define LOG_CATEGORY "registry"
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server-internal.h"

static json_object *detail_kv(const char *key, const char *value)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, key, json_object_new_string(value));
	return d;
}

static void manifest_unknown(struct reg_req *rq, const char *ref)
{
	bool is_digest = strchr(ref, ':') != NULL;

	reg_error(rq, 404, "MANIFEST_UNKNOWN", "manifest unknown",
		  detail_kv(is_digest ? "Digest" : "Tag", ref));
}

static void name_unknown(struct reg_req *rq)
{
	reg_error(rq, 404, "NAME_UNKNOWN", "repository name not known to registry",
		  detail_kv("name", rq->name));
}

/* ref (a tag or a digest) to the digest; false when answered. */
static bool resolve_ref(struct reg_req *rq, const char *ref, char digest[static DIGEST_LEN + 1])
{
	if (!reg_repo_exists(rq->srv, rq->name)) {
		name_unknown(rq);
		return false;
	}
	if (strchr(ref, ':')) {
		if (!reg_digest_ok(rq, ref, "DIGEST_INVALID"))
			return false;
		memcpy(digest, ref, DIGEST_LEN + 1);
		return true;
	}
	if (!reg_tag_is_valid(ref) || reg_tag_read(rq->srv, rq->name, ref, digest) < 0) {
		manifest_unknown(rq, ref);
		return false;
	}
	return true;
}

void reg_h_manifest_get(struct http_request *req, void *data)
{
	const char *ref = http_request_param(req, "ref");
	char digest[DIGEST_LEN + 1];
	_cleanup_free_ char *mt = NULL, *path = NULL, *etag = NULL;
	struct reg_req rq;
	struct stat st;

	reg_req_init(&rq, data, req);
	if (!reg_begin(&rq, "pull") || !resolve_ref(&rq, ref, digest))
		return;
	mt = reg_link_read(rq.srv, rq.name, REG_LINK_MANIFEST, digest);
	path = blob_path(rq.srv->store, digest);
	int fd = mt ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			(void)close(fd);
		manifest_unknown(&rq, ref);
		return;
	}
	etag = xasprintf("\"%s\"", digest);
	http_response_add_header(req, "Docker-Content-Digest", digest);
	http_response_add_header(req, "ETag", etag);
	reg_respond_file(&rq, 200, *mt ? mt : "application/vnd.oci.image.manifest.v1+json", fd, 0,
			 (uint64_t)st.st_size);
}

struct mput {
	struct reg_req rq;
	char *ref;
	char *ct;
	char *buf;
	size_t len;
	bool done;
};

static void mput_free(struct mput *m)
{
	http_request_unref(m->rq.req);
	free(m->ref);
	free(m->ct);
	free(m->buf);
	free(m);
}

static int mput_data(struct http_request *req, const void *data, size_t len, void *user)
{
	struct mput *m = user;

	if (m->len + len > m->rq.srv->cfg->max_manifest) {
		m->done = true;
		reg_error(&m->rq, 413, "SIZE_INVALID", "manifest too large", NULL);
		return -EFBIG;
	}
	m->buf = xrealloc(m->buf, m->len + len + 1);
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	m->buf[m->len] = '\0';
	return 0;
}

/* Everything the manifest references must be in the repository. */
static const char *missing_ref(struct reg_server *s, const char *name, const struct reg_manifest *m)
{
	for (size_t i = 0; m->refs && m->refs[i]; i++) {
		const char *d = m->refs[i];
		bool child = m->is_index;
		if (!reg_link_exists(s, name, child ? REG_LINK_MANIFEST : REG_LINK_BLOB, d) ||
		    !blob_exists(s->store, d))
			return d;
	}
	return NULL;
}

static void mput_store(struct mput *m)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct reg_req *rq = &m->rq;
	struct reg_manifest man = { 0 };
	char digest[DIGEST_LEN + 1];
	const char *miss;
	int r;

	digest_of(m->buf ? m->buf : "", m->len, digest);
	if (strchr(m->ref, ':') && strcmp(m->ref, digest) != 0) {
		reg_error(rq, 400, "DIGEST_INVALID",
			  "provided digest did not match uploaded content",
			  detail_kv("digest", m->ref));
		return;
	}
	if (reg_manifest_parse(m->buf ? m->buf : "", m->len, m->ct, &man, &err) < 0) {
		reg_error(rq, 400, "MANIFEST_INVALID", "manifest invalid",
			  json_object_new_string(err->msg));
		return;
	}
	if ((miss = missing_ref(rq->srv, rq->name, &man))) {
		reg_error(rq, 400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry",
			  detail_kv("digest", miss));
		reg_manifest_done(&man);
		return;
	}
	char stored[DIGEST_LEN + 1];
	r = blob_write(rq->srv->store, m->buf ? m->buf : "", m->len, stored, &err);
	if (r >= 0)
		r = reg_link_add(rq->srv, rq->name, REG_LINK_MANIFEST, digest, man.media_type);
	if (r >= 0 && !strchr(m->ref, ':'))
		r = reg_tag_write(rq->srv, rq->name, m->ref, digest);
	if (r >= 0 && man.subject) {
		r = reg_referrer_add(rq->srv, rq->name, man.subject, digest);
		http_response_add_header(rq->req, "OCI-Subject", man.subject);
	}
	reg_manifest_done(&man);
	if (r < 0) {
		log_error_errno(r, "Storing manifest '%s' of '%s' failed", digest, rq->name);
		reg_error(rq, 500, "UNKNOWN", "storing the manifest failed", NULL);
		return;
	}
	_cleanup_free_ char *loc = xasprintf("/v2/%s/manifests/%s", rq->name, digest);
	http_response_add_header(rq->req, "Location", loc);
	http_response_add_header(rq->req, "Docker-Content-Digest", digest);
	reg_respond(rq, 201, NULL, NULL, 0);
}

static void mput_end(struct http_request *req, int error, void *user)
{
	struct mput *m = user;

	if (error == 0 && !m->done)
		mput_store(m);
	mput_free(m);
}

void reg_h_manifest_put(struct http_request *req, void *data)
{
	const char *ref = http_request_param(req, "ref");
	const char *cl = http_request_header(req, "Content-Length");
	const char *ct = http_request_header(req, "Content-Type");
	struct reg_req rq;
	uint64_t len = 0;

	reg_req_init(&rq, data, req);
	if (!reg_begin(&rq, "push"))
		return;
	if (strchr(ref, ':')) {
		if (!reg_digest_ok(&rq, ref, "DIGEST_INVALID"))
			return;
	} else if (!reg_tag_is_valid(ref)) {
		reg_error(&rq, 400, "TAG_INVALID", "manifest tag did not match URI",
			  detail_kv("tag", ref));
		return;
	}
	if (cl && (str_to_uint64(cl, &len) < 0 || len > rq.srv->cfg->max_manifest)) {
		reg_error(&rq, 413, "SIZE_INVALID", "manifest too large", NULL);
		return;
	}
	struct mput *m = xzalloc(sizeof(*m));
	m->rq = rq;
	http_request_ref(req);
	m->ref = xstrdup(ref);
	m->ct = ct ? xstrdup(ct) : NULL;
	http_request_read_body(req, mput_data, mput_end, m);
}

/* Remove every tag that points at digest. */
static void untag_all(struct reg_server *s, const char *name, const char *digest)
{
	_cleanup_strv_ char **tags = reg_tags_list(s, name);
	char d[DIGEST_LEN + 1];

	for (size_t i = 0; tags && tags[i]; i++)
		if (reg_tag_read(s, name, tags[i], d) == 0 && strcmp(d, digest) == 0)
			(void)reg_tag_remove(s, name, tags[i]);
}

static void delete_manifest(struct reg_req *rq, const char *digest)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *body = NULL;
	struct reg_manifest man = { 0 };
	size_t len;

	if (!reg_link_exists(rq->srv, rq->name, REG_LINK_MANIFEST, digest)) {
		manifest_unknown(rq, digest);
		return;
	}
	if (blob_read(rq->srv->store, digest, rq->srv->cfg->max_manifest, &body, &len, &err) >= 0 &&
	    reg_manifest_parse(body, len, NULL, &man, &err) >= 0 && man.subject)
		(void)reg_referrer_remove(rq->srv, rq->name, man.subject, digest);
	reg_manifest_done(&man);
	untag_all(rq->srv, rq->name, digest);
	(void)reg_link_remove(rq->srv, rq->name, REG_LINK_MANIFEST, digest);
	reg_respond(rq, 202, NULL, NULL, 0);
}

void reg_h_manifest_delete(struct http_request *req, void *data)
{
	const char *ref = http_request_param(req, "ref");
	struct reg_req rq;

	reg_req_init(&rq, data, req);
	if (!reg_begin(&rq, "delete"))
		return;
	if (!reg_repo_exists(rq.srv, rq.name)) {
		name_unknown(&rq);
		return;
	}
	if (strchr(ref, ':')) {
		if (reg_digest_ok(&rq, ref, "DIGEST_INVALID"))
			delete_manifest(&rq, ref);
		return;
	}
	if (!reg_tag_is_valid(ref) || reg_tag_remove(rq.srv, rq.name, ref) < 0) {
		manifest_unknown(&rq, ref);
		return;
	}
	reg_respond(&rq, 202, NULL, NULL, 0);
}
