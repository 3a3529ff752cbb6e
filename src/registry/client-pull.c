/* Pull: resolve the reference to the platform's image (client-manifest.c),
 * download and unpack the layers (client-layer.c), then store the index,
 * manifest and config. The small blobs are stored last, so that a pull that
 * fails leaves no trace; the layers' own rollback is client-layer.c's.
 * Tags: the repository's list, page by page with `n` and `last` (the
 * transport does not show Link headers; `last` is what they would say). */
#define LOG_CATEGORY "registry"
#include <string.h>

#include "client-manifest-internal.h"
#include "json-util.h"

#define TAGS_PAGE 100
#define TAGS_MAX  100000

void reg_pull_result_clear(struct reg_pull_result *r)
{
	if (!r)
		return;
	strv_free(r->item.repo_tags);
	strv_free(r->item.chain_ids);
	strv_free(r->item.layer_blobs);
	*r = (struct reg_pull_result){ 0 };
}

static int store_small(struct blob_store *bs, const char *body, size_t len, const char *want,
		       struct berth_error **err)
{
	char got[DIGEST_LEN + 1];
	int r = blob_write(bs, body, len, got, err);

	if (r < 0)
		return r;
	if (strcmp(got, want) != 0)
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "stored %s as %s", want, got);
	return 0;
}

static void jobs_build(const struct reg_resolved *res, struct reg_layer_job *jobs)
{
	const char *parent = "";

	for (size_t i = 0; i < res->manifest.n_entries; i++) {
		struct reg_layer_job *j = &jobs[i];
		j->blob = res->manifest.entries[i].digest;
		j->size = res->manifest.entries[i].size;
		j->diff_id = res->config->diff_ids[i];
		(void)snprintf(j->parent, sizeof(j->parent), "%s", parent);
		layer_chain_id(parent, j->diff_id, j->chain);
		parent = j->chain;
	}
}

static void result_fill(const struct reg_resolved *res, const struct reg_layer_job *jobs,
			struct reg_pull_result *ret)
{
	size_t n = res->manifest.n_entries;

	*ret = (struct reg_pull_result){ 0 };
	memcpy(ret->item.config_digest, res->manifest.config.digest, DIGEST_LEN + 1);
	memcpy(ret->item.manifest_digest, res->manifest_digest, DIGEST_LEN + 1);
	memcpy(ret->repo_digest, res->repo_digest, DIGEST_LEN + 1);
	ret->item.repo_tags = xcalloc(1, sizeof(char *));
	ret->item.chain_ids = xcalloc(n + 1, sizeof(char *));
	ret->item.layer_blobs = xcalloc(n + 1, sizeof(char *));
	ret->item.n_layers = n;
	for (size_t i = 0; i < n; i++) {
		ret->item.chain_ids[i] = xstrdup(jobs[i].chain);
		ret->item.layer_blobs[i] = xstrdup(jobs[i].blob);
		ret->item.size += jobs[i].unpacked;
		ret->fresh = ret->fresh || jobs[i].downloaded;
	}
}

/* Resolve the reference; a docker.io mirror that fails at it (the image
 * is not there, a 5xx, unreachable) hands over to the next endpoint, the
 * next mirror or registry-1.docker.io, as dockerd does. */
static int resolve(struct reg_session *s, const struct reg_pull_request *rq,
		   struct reg_resolved *res, struct berth_error **err)
{
	for (;;) {
		_cleanup_error_ struct berth_error *e = NULL;
		int r = reg_resolve(s, rq->ref, rq->platform, res, &e);

		if (r >= 0)
			return r;
		if (!reg_session_on_mirror(s)) {
			if (err && !*err)
				*err = TAKE_PTR(e);
			return r;
		}
		log_info("Attempting next endpoint for pull after error: %s (mirror %s)",
			 e ? e->msg : strerror(-r), reg_session_base(s));
		if ((r = reg_session_fallback(s, err)) < 0)
			return r;
	}
}

int reg_pull(const struct reg_options *opts, struct blob_store *bs, struct layer_store *ls,
	     const struct reg_pull_request *rq, reg_progress_cb progress, void *progress_data,
	     struct reg_pull_result *ret, struct berth_error **err)
{
	_cleanup_(reg_session_freep) struct reg_session *s = NULL;
	_cleanup_(reg_resolved_clear) struct reg_resolved res = { 0 };
	_cleanup_free_ struct reg_layer_job *jobs = NULL;
	int r;

	if ((r = reg_session_open(opts, rq->ref, rq->auth, "pull", NULL, &s, err)) < 0 ||
	    (r = resolve(s, rq, &res, err)) < 0)
		return r;
	bool config_new = !blob_exists(bs, res.manifest.config.digest);
	jobs = xcalloc(res.manifest.n_entries + 1, sizeof(*jobs));
	jobs_build(&res, jobs);
	if ((r = reg_layers_pull(s, bs, ls, jobs, res.manifest.n_entries,
				 opts->max_concurrent_downloads, progress, progress_data, err)) < 0)
		return r;
	if ((res.index_body &&
	     (r = store_small(bs, res.index_body, res.index_len, res.repo_digest, err)) < 0) ||
	    (r = store_small(bs, res.manifest_body, res.manifest_len, res.manifest_digest, err)) <
		    0 ||
	    (r = store_small(bs, res.config_body, res.config_len, res.manifest.config.digest,
			     err)) < 0)
		return r;
	result_fill(&res, jobs, ret);
	ret->fresh = ret->fresh || config_new;
	return 0;
}

/* One page: the tags after `last` (NULL: from the start), appended to *v. */
static int tags_page(struct reg_session *s, const char *last, char ***v, size_t *ret_n,
		     struct berth_error **err)
{
	_cleanup_(reg_response_clear) struct reg_response resp = { 0 };
	_cleanup_json_ json_object *doc = NULL;
	_cleanup_free_ char *path = NULL;
	json_object *tags = NULL;
	int r;

	path = last ? xasprintf("/v2/%s/tags/list?n=%d&last=%s", reg_session_repo(s), TAGS_PAGE,
				last)
		    : xasprintf("/v2/%s/tags/list?n=%d", reg_session_repo(s), TAGS_PAGE);
	if ((r = reg_request(s, "GET", path, NULL, NULL, 0, REG_MANIFEST_MAX, &resp, err)) < 0)
		return r;
	if (resp.status != 200) {
		_cleanup_free_ char *what = xasprintf("repository %s", reg_session_repo(s));
		return reg_error_from_response(s, &resp, what, err);
	}
	if ((r = json_parse_text(resp.body ? resp.body : "", resp.body_len, 8, "tags", &doc, err)) <
		    0 ||
	    (r = json_get_array(doc, "tags", "tags", false, &tags, err)) < 0)
		return r;
	size_t n = tags ? json_object_array_length(tags) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(tags, i);
		if (!json_object_is_type(t, json_type_string))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "tags[%zu]: expected a string", i);
		strv_push(v, json_object_get_string(t));
	}
	*ret_n = n;
	return 0;
}

int reg_list_tags(const struct reg_options *opts, const struct image_ref *ref,
		  const struct reg_auth *auth, char ***ret, struct berth_error **err)
{
	_cleanup_(reg_session_freep) struct reg_session *s = NULL;
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	int r;

	if ((r = reg_session_open(opts, ref, auth, "pull", NULL, &s, err)) < 0)
		return r;
	for (;;) {
		size_t before = strv_length(v), n = 0;
		_cleanup_free_ char *last = before ? xstrdup(v[before - 1]) : NULL;
		if ((r = tags_page(s, last, &v, &n, err)) < 0)
			return r;
		/* A registry that ignores `last` answers the first page again. */
		if (last && n > 0 && strcmp(v[before], v[0]) == 0) {
			for (size_t i = before; v[i]; i++) {
				free(v[i]);
				v[i] = NULL;
			}
			break;
		}
		/* Registries may cap `n` below ours: only an empty page ends it. */
		if (n == 0 || strv_length(v) >= TAGS_MAX)
			break;
	}
	*ret = TAKE_PTR(v);
	return 0;
}
