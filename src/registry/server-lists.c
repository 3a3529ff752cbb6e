/* Listings: a repository's tags and the registry's repositories (sorted,
 * paginated with n and last, a Link header to the next page), and the
 * referrers of a manifest (an OCI index, filtered by artifactType). */
#define LOG_CATEGORY "registry"
#include <string.h>

#include "server-internal.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"

/* n and last of a paginated listing; false when answered (bad n). */
static bool page_args(struct reg_req *rq, int64_t *ret_n, const char **ret_last)
{
	const char *n = http_request_query(rq->req, "n");
	int64_t v = -1;

	if (n && (str_to_int64(n, &v) < 0 || v < 0)) {
		reg_error(rq, 400, "PAGINATION_NUMBER_INVALID",
			  "invalid number of results requested", json_object_new_string(n));
		return false;
	}
	*ret_n = v;
	*ret_last = http_request_query(rq->req, "last");
	return true;
}

/* Add the page of names after last (at most n; -1: all) to arr; a Link
 * header to the next page when more are left. */
static void page_fill(struct reg_req *rq, char **names, int64_t n, const char *last,
		      const char *base, json_object *arr)
{
	const char *prev = NULL;
	int64_t taken = 0;

	for (size_t i = 0; names && names[i]; i++) {
		if (last && strcmp(names[i], last) <= 0)
			continue;
		if (n >= 0 && taken == n) {
			if (prev) {
				_cleanup_free_ char *link =
					xasprintf("<%s?last=%s&n=%lld>; rel=\"next\"", base, prev,
						  (long long)n);
				http_response_add_header(rq->req, "Link", link);
			}
			return;
		}
		json_object_array_add(arr, json_object_new_string(names[i]));
		prev = names[i];
		taken++;
	}
}

void reg_h_tags_list(struct http_request *req, void *data)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_strv_ char **tags = NULL;
	_cleanup_free_ char *base = NULL;
	const char *last;
	struct reg_req rq;
	int64_t n;

	reg_req_init(&rq, data, req);
	if (!reg_begin(&rq, "pull") || !page_args(&rq, &n, &last))
		return;
	if (!reg_repo_exists(rq.srv, rq.name)) {
		json_object *d = json_object_new_object();
		json_object_object_add(d, "name", json_object_new_string(rq.name));
		reg_error(&rq, 404, "NAME_UNKNOWN", "repository name not known to registry", d);
		return;
	}
	tags = reg_tags_list(rq.srv, rq.name);
	json_object *arr = json_object_new_array();
	base = xasprintf("/v2/%s/tags/list", rq.name);
	page_fill(&rq, tags, n, last, base, arr);
	json_object_object_add(o, "name", json_object_new_string(rq.name));
	json_object_object_add(o, "tags", arr);
	reg_respond_json(&rq, 200, "application/json; charset=utf-8", o);
}

void reg_h_catalog(struct http_request *req, void *data)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_strv_ char **repos = NULL;
	const char *last;
	struct reg_req rq;
	int64_t n;

	reg_req_init(&rq, data, req);
	if (!reg_authorize(&rq, "catalog", "*") || !page_args(&rq, &n, &last))
		return;
	repos = reg_repos_list(rq.srv->root);
	json_object *arr = json_object_new_array();
	page_fill(&rq, repos, n, last, "/v2/_catalog", arr);
	json_object_object_add(o, "repositories", arr);
	reg_respond_json(&rq, 200, "application/json; charset=utf-8", o);
}

/* The descriptor of referrer digest, or NULL when it is gone or filtered out. */
static json_object *referrer_descriptor(struct reg_server *s, const char *name, const char *digest,
					const char *filter)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *body = NULL, *mt = NULL;
	struct reg_manifest m = { 0 };
	const char *at;
	size_t len;

	mt = reg_link_read(s, name, REG_LINK_MANIFEST, digest);
	if (!mt || blob_read(s->store, digest, s->cfg->max_manifest, &body, &len, &err) < 0 ||
	    reg_manifest_parse(body, len, mt, &m, &err) < 0)
		return NULL;
	at = m.artifact_type ? m.artifact_type : m.is_index ? NULL : m.config_media_type;
	if (filter && (!at || strcmp(at, filter) != 0)) {
		reg_manifest_done(&m);
		return NULL;
	}
	json_object *d = json_object_new_object();
	json_object_object_add(d, "mediaType", json_object_new_string(m.media_type));
	json_object_object_add(d, "digest", json_object_new_string(digest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)len));
	if (at)
		json_object_object_add(d, "artifactType", json_object_new_string(at));
	if (m.annotations)
		json_object_object_add(d, "annotations", json_object_get(m.annotations));
	reg_manifest_done(&m);
	return d;
}

void reg_h_referrers(struct http_request *req, void *data)
{
	const char *digest = http_request_param(req, "digest");
	const char *filter = http_request_query(req, "artifactType");
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_strv_ char **refs = NULL;
	struct reg_req rq;

	reg_req_init(&rq, data, req);
	if (!reg_begin(&rq, "pull") || !reg_digest_ok(&rq, digest, "DIGEST_INVALID"))
		return;
	if (filter && !*filter)
		filter = NULL;
	refs = reg_referrers_list(rq.srv, rq.name, digest);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; refs && refs[i]; i++) {
		json_object *d = referrer_descriptor(rq.srv, rq.name, refs[i], filter);
		if (d)
			json_object_array_add(arr, d);
	}
	json_object_object_add(o, "schemaVersion", json_object_new_int(2));
	json_object_object_add(o, "mediaType", json_object_new_string(MT_OCI_INDEX));
	json_object_object_add(o, "manifests", arr);
	if (filter)
		http_response_add_header(req, "OCI-Filters-Applied", "artifactType");
	reg_respond_json(&rq, 200, MT_OCI_INDEX, o);
}
