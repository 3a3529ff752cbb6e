/* POST /commit: a container's changes become a new image, as dockerd's
 * commit. The request is checked and the config built in the loop (a bad
 * --change or name changes nothing); the container is paused if asked (and
 * thawed at the end, whatever happens); the upper directory's tar, its blob,
 * the unpacked layer and the config blob are made in a child (registry-job.h:
 * image collection waits for it, and collects what a failed child stored);
 * the image is recorded and tagged when the child reports. */
#define LOG_CATEGORY "commit"
#include <string.h>

#include "api.h"
#include "commit.h"
#include "container-internal.h"
#include "container.h"
#include "registry-job.h"

struct commit_job {
	char *ct_id;
	char *upper;
	char *repo_tag; /* normalized "domain/path:tag", NULL: untagged */
	char *comment;
	bool unpause; /* paused by this commit */
	struct image_config *config;
	char **parent_chains, **parent_blobs;
	size_t n_parent;
	uint64_t parent_size;
	char id[DIGEST_LEN + 1]; /* the recorded image */
	struct berth_error *err; /* recording failed */
	struct commit_job *next; /* running commits */
};

static struct commit_job *running;

static void thaw(struct commit_job *cj)
{
	struct daemon *d = the_daemon;
	struct container *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;

	if (cj->unpause && container_lookup(d, cj->ct_id, &c, NULL) == 0 &&
	    c->status == CT_PAUSED && container_pause(d, c, false, &err) < 0)
		log_warn("Cannot unpause %s after a commit: %s", cj->ct_id, err->msg);
	cj->unpause = false;
}

void commit_jobs_thaw_all(void)
{
	for (struct commit_job *cj = running; cj; cj = cj->next)
		thaw(cj);
}

static void commit_job_free(void *data)
{
	struct commit_job *cj = data;

	for (struct commit_job **p = &running; *p; p = &(*p)->next) {
		if (*p == cj) {
			*p = cj->next;
			break;
		}
	}
	thaw(cj);
	free(cj->ct_id);
	free(cj->upper);
	free(cj->repo_tag);
	free(cj->comment);
	image_config_free(cj->config);
	strv_free(cj->parent_chains);
	strv_free(cj->parent_blobs);
	berth_error_free(cj->err);
	free(cj);
}

static int commit_child(struct reg_job *job, void *data, struct berth_error **err)
{
	struct commit_job *cj = data;
	struct daemon *d = the_daemon;
	struct image_archive_item item = { 0 };
	int r;

	if ((r = image_commit(d->blobs, d->layers, cj->parent_chains, cj->parent_blobs,
			      cj->n_parent, commit_write_layer, cj->upper, cj->config, &item,
			      err)) < 0)
		return r;
	_cleanup_json_ json_object *rec = json_object_new_object();
	jadd(rec, "config", jstr(item.config_digest));
	jadd(rec, "chains", jstrv(item.chain_ids));
	jadd(rec, "blobs", jstrv(item.layer_blobs));
	jadd(rec, "size", json_object_new_int64((int64_t)item.size));
	reg_job_emit_record(job, rec);
	return 0;
}

static char **rec_strv(json_object *a)
{
	char **v = xcalloc(1, sizeof(char *));

	for (size_t i = 0;
	     a && json_object_is_type(a, json_type_array) && i < json_object_array_length(a); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));
		if (s)
			strv_push(&v, s);
	}
	return v;
}

static void commit_record(struct reg_job *job, json_object *rec, void *data)
{
	struct commit_job *cj = data;
	struct daemon *d = the_daemon;
	struct image_archive_item item = { 0 };
	struct image_rec *img = NULL;
	const char *id = json_object_get_string(jget(rec, "config"));

	(void)job;
	if (!id || !digest_is_valid(id)) {
		(void)berth_error_set(&cj->err, 0, BERTH_ERR_INTERNAL, "commit: bad record");
		return;
	}
	snprintf(item.config_digest, sizeof(item.config_digest), "%s", id);
	item.chain_ids = rec_strv(jget(rec, "chains"));
	item.layer_blobs = rec_strv(jget(rec, "blobs"));
	item.n_layers = strv_length(item.chain_ids);
	item.size = cj->parent_size + (uint64_t)json_object_get_int64(jget(rec, "size"));
	if (item.n_layers != cj->n_parent + 1 || strv_length(item.layer_blobs) != item.n_layers)
		(void)berth_error_set(&cj->err, 0, BERTH_ERR_INTERNAL, "commit: bad record");
	else if (image_record(d, &item, NULL, &cj->err) == 0 &&
		 image_lookup(d, id, &img, &cj->err) == 0) {
		if (cj->repo_tag && image_tag(d, img, cj->repo_tag, &cj->err) < 0)
			(void)image_remove(d, img, NULL, NULL);
		else
			snprintf(cj->id, sizeof(cj->id), "%s", id);
	}
	strv_free(item.chain_ids);
	strv_free(item.layer_blobs);
}

static void commit_done(struct reg_job *job, struct berth_error *err, void *data)
{
	struct commit_job *cj = data;
	struct daemon *d = the_daemon;
	struct http_request *req = reg_job_request(job);
	struct container *c = NULL;

	if (!err && !cj->err && !cj->id[0])
		(void)berth_error_set(&cj->err, 0, BERTH_ERR_INTERNAL, "commit: no image recorded");
	if (err && !cj->err && str_has_prefix(err->msg, "registry operation ended abnormally"))
		(void)berth_error_set(&cj->err, 0, BERTH_ERR_INTERNAL,
				      "commit: the process writing the layer ended abnormally");
	if (err || cj->err) {
		api_respond_error(req, cj->err ? cj->err : err);
		/* what the child stored goes once no job runs */
		reg_jobs_gc_pending(d);
		return;
	}
	if (container_lookup(d, cj->ct_id, &c, NULL) == 0) {
		json_object *attrs = json_object_new_object();
		_cleanup_free_ char *ref = cj->repo_tag ? image_familiar_tag(cj->repo_tag) : NULL;
		jadd(attrs, "comment", jstr(cj->comment ? cj->comment : ""));
		jadd(attrs, "imageID", jstr(cj->id));
		jadd(attrs, "imageRef", jstr(ref ? ref : ""));
		container_event(d, c, "commit", attrs);
	}
	_cleanup_json_ json_object *o = json_object_new_object();
	jadd(o, "Id", jstr(cj->id));
	http_respond_json(req, 201, o);
}

static const struct reg_job_ops commit_ops = {
	.child = commit_child,
	.record = commit_record,
	.done = commit_done,
	.free_data = commit_job_free,
};

/* dockerd's RepoTagReference: repo's name (any tag in it dropped) with tag. */
static int repo_tag(const char *repo, const char *tag, char **ret, struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL, *full = NULL;
	int r;

	*ret = NULL;
	if (str_is_empty(repo))
		return 0;
	if ((r = image_ref_parse(repo, &ref, err)) < 0)
		return r;
	if (ref->digest)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "cannot commit to digest reference");
	_cleanup_free_ char *name = image_ref_repo(ref);
	_cleanup_free_ char *text = xasprintf("%s:%s", name, str_is_empty(tag) ? "latest" : tag);
	if ((r = image_ref_parse(text, &full, err)) < 0)
		return r;
	*ret = image_ref_string(full);
	return 0;
}

static void commit_post(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	_cleanup_strv_ char **changes = http_request_query_all(req, "changes");
	const char *name = http_request_query(req, "container");
	struct container *c = NULL;
	struct image_rec *parent = NULL;
	struct commit_job *cj = xzalloc(sizeof(*cj));

	if (container_lookup(d, name ? name : "", &c, &err) < 0)
		goto fail;
	if (c->status == CT_DEAD) {
		(void)berth_error_set(&err, 0, BERTH_ERR_CONFLICT,
				      "You cannot commit container %s which is Dead", c->id);
		goto fail;
	}
	if (c->status == CT_REMOVING) {
		(void)berth_error_set(&err, 0, BERTH_ERR_CONFLICT,
				      "You cannot commit container %s which is being removed",
				      c->id);
		goto fail;
	}
	if (repo_tag(http_request_query(req, "repo"), http_request_query(req, "tag"), &cj->repo_tag,
		     &err) < 0 ||
	    http_request_body_json(req, &body, &err) < 0 ||
	    image_lookup(d, c->image_id, &parent, &err) < 0 ||
	    commit_build_config(c, parent, body, changes, http_request_query(req, "author"),
				http_request_query(req, "comment"), &cj->config, &err) < 0)
		goto fail;
	cj->ct_id = xstrdup(c->id);
	cj->upper = xasprintf("%s/upper", c->dir);
	const char *comment = http_request_query(req, "comment");
	cj->comment = comment ? xstrdup(comment) : NULL;
	cj->parent_chains = strv_copy(parent->chain_ids);
	cj->parent_blobs = strv_copy(parent->layer_blobs);
	cj->n_parent = parent->n_layers;
	cj->parent_size = parent->size;
	if (http_request_query_bool(req, "pause", true) && c->status == CT_RUNNING) {
		if (container_pause(d, c, true, &err) < 0)
			goto fail;
		cj->unpause = true;
	}
	/* listed first: the job may end (and be freed) before reg_job_start returns */
	cj->next = running;
	running = cj;
	if (reg_job_start(d, req, &commit_ops, cj, &err) < 0)
		goto fail;
	return;
fail:
	commit_job_free(cj);
	api_respond_error(req, err);
}

void api_commit_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "POST", "/commit", 0, commit_post);
}
