/* Image records: loaded from the database at start, kept in memory, changed
 * in one transaction each. Files (blobs, layers) belong to src/image. */
#define LOG_CATEGORY "images"
#include <string.h>
#include <time.h>

#include "api.h"
#include "container.h"
#include "registry-job.h"

static struct image_rec *image_rec_free(struct image_rec *img)
{
	if (!img)
		return NULL;
	free(img->id);
	free(img->manifest_digest);
	free(img->config_json);
	image_config_free(img->config);
	strv_free(img->chain_ids);
	strv_free(img->layer_blobs);
	strv_free(img->tags);
	strv_free(img->repo_digests);
	free(img);
	return NULL;
}

static char *image_doc(const struct image_rec *img)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *layers = json_object_new_array();

	jadd(o, "Id", jstr(img->id));
	jadd(o, "Manifest", jstr(img->manifest_digest ? img->manifest_digest : ""));
	jadd(o, "Size", json_object_new_int64((int64_t)img->size));
	for (size_t i = 0; i < img->n_layers; i++) {
		json_object *l = json_object_new_object();
		jadd(l, "Chain", jstr(img->chain_ids[i]));
		jadd(l, "Blob", jstr(img->layer_blobs[i]));
		json_object_array_add(layers, l);
	}
	jadd(o, "Layers", layers);
	if (img->repo_digests)
		jadd(o, "RepoDigests", jstrv(img->repo_digests));
	if (img->removed)
		jadd(o, "Removed", json_object_new_boolean(1));
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

static int64_t created_seconds(const char *rfc3339)
{
	struct tm tm = { 0 };

	if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* Build a record from its stored doc and its config blob. */
static int image_from_doc(struct daemon *d, const char *id, const char *doc, struct image_rec **ret,
			  struct berth_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	struct image_rec *img = xzalloc(sizeof(*img));
	json_object *layers = NULL;
	const char *s = NULL;
	size_t len = 0;
	int r;

	img->id = xstrdup(id);
	if ((r = json_parse_text(doc, strlen(doc), 16, "image record", &o, err)) < 0 ||
	    (r = json_get_array(o, "image", "Layers", true, &layers, err)) < 0 ||
	    (r = json_get_str(o, "image", "Manifest", false, &s, err)) < 0 ||
	    (r = json_get_uint64(o, "image", "Size", false, &img->size, err)) < 0)
		goto fail;
	img->manifest_digest = s && *s ? xstrdup(s) : NULL;
	if ((r = json_get_strv(o, "image", "RepoDigests", false, &img->repo_digests, err)) < 0)
		goto fail;
	json_object *removed = NULL;
	img->removed = json_object_object_get_ex(o, "Removed", &removed) &&
		       json_object_get_boolean(removed);
	img->n_layers = json_object_array_length(layers);
	img->chain_ids = xcalloc(img->n_layers + 1, sizeof(char *));
	img->layer_blobs = xcalloc(img->n_layers + 1, sizeof(char *));
	for (size_t i = 0; i < img->n_layers; i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		const char *chain = NULL, *blob = NULL;
		if ((r = json_get_str(l, "layer", "Chain", true, &chain, err)) < 0 ||
		    (r = json_get_str(l, "layer", "Blob", true, &blob, err)) < 0)
			goto fail;
		img->chain_ids[i] = xstrdup(chain);
		img->layer_blobs[i] = xstrdup(blob);
	}
	if ((r = blob_read(d->blobs, id, 8u << 20, &img->config_json, &len, err)) < 0 ||
	    (r = image_config_parse(img->config_json, len, &img->config, err)) < 0)
		goto fail;
	img->created = created_seconds(img->config->created);
	*ret = img;
	return 0;
fail:
	image_rec_free(img);
	return r;
}

static int load_image_row(const char *id, const char *doc, void *data)
{
	struct daemon *d = data;
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_rec *img = NULL;

	if (image_from_doc(d, id, doc, &img, &err) < 0) {
		log_warn("Image '%s' is unusable (%s), ignoring", id, err ? err->msg : "?");
		return 0;
	}
	d->images = xrealloc(d->images, (d->n_images + 1) * sizeof(*d->images));
	d->images[d->n_images++] = img;
	return 0;
}

static struct image_rec *image_by_id(struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->n_images; i++)
		if (strcmp(d->images[i]->id, id) == 0)
			return d->images[i];
	return NULL;
}

static int load_tag_row(const char *ref, const char *id, void *data)
{
	struct daemon *d = data;
	struct image_rec *img = image_by_id(d, id);

	if (img)
		strv_push(&img->tags, ref);
	return 0;
}

int images_load_all(struct daemon *d, struct berth_error **err)
{
	int r;

	if ((r = db_image_foreach(d->db, load_image_row, d, err)) < 0)
		return r;
	return db_tag_foreach(d->db, load_tag_row, d, err);
}

char *image_familiar_tag(const char *ref)
{
	_cleanup_(image_ref_freep) struct image_ref *r = NULL;

	if (image_ref_parse(ref, &r, NULL) < 0)
		return xstrdup(ref);
	return image_ref_familiar(r);
}

static bool id_matches(const char *id, const char *q)
{
	const char *hex = id + strlen("sha256:");
	if (str_has_prefix(q, "sha256:"))
		return str_has_prefix(id, q) && strlen(q) > strlen("sha256:");
	return str_has_prefix(hex, q);
}

int image_lookup(struct daemon *d, const char *name, struct image_rec **ret,
		 struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_error_ struct berth_error *parse_err = NULL;

	if (str_is_empty(name))
		return berth_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND, "No such image: %s", name);
	if (image_ref_parse(name, &ref, &parse_err) == 0) {
		_cleanup_free_ char *full = image_ref_string(ref);
		for (size_t i = 0; i < d->n_images; i++) {
			struct image_rec *img = d->images[i];
			if (img->removed)
				continue;
			if (strv_contains(img->tags, full) ||
			    strv_contains(img->repo_digests, full) ||
			    (ref->digest && img->manifest_digest &&
			     strcmp(ref->digest, img->manifest_digest) == 0)) {
				*ret = img;
				return 0;
			}
		}
	}
	if (image_is_id_like(name)) {
		struct image_rec *found = NULL;
		size_t hits = 0;
		bool full_id = strlen(name) == DIGEST_LEN && str_has_prefix(name, "sha256:");
		for (size_t i = 0; i < d->n_images; i++) {
			if ((!d->images[i]->removed || full_id) &&
			    id_matches(d->images[i]->id, name)) {
				found = d->images[i];
				hits++;
			}
		}
		if (hits == 1) {
			*ret = found;
			return 0;
		}
	}
	/* Like docker: a name that is neither a reference nor an id is a bad
	 * request; a missing one is named as docker normalizes it ("x:latest"). */
	if (!ref && !image_is_id_like(name))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s", parse_err->msg);
	if (ref && !str_has_prefix(name, "sha256:")) {
		_cleanup_free_ char *fam = image_ref_familiar(ref);
		return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND, "No such image: %s", fam);
	}
	return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND, "No such image: %s", name);
}

static void untag_everywhere(struct daemon *d, const char *ref)
{
	for (size_t i = 0; i < d->n_images; i++) {
		char **t = d->images[i]->tags;
		for (size_t k = 0; t && t[k]; k++) {
			if (strcmp(t[k], ref) != 0)
				continue;
			free(t[k]);
			memmove(&t[k], &t[k + 1], (strv_length(t) - k) * sizeof(char *));
			break;
		}
	}
}

int image_record(struct daemon *d, const struct image_archive_item *item, char **tags,
		 struct berth_error **err)
{
	struct image_rec *img = image_by_id(d, item->config_digest);
	bool fresh = !img;
	int r;

	if (fresh) {
		img = xzalloc(sizeof(*img));
		img->id = xstrdup(item->config_digest);
		img->manifest_digest =
			item->manifest_digest[0] ? xstrdup(item->manifest_digest) : NULL;
		img->size = item->size;
		img->n_layers = item->n_layers;
		img->chain_ids = strv_copy(item->chain_ids);
		img->layer_blobs = strv_copy(item->layer_blobs);
		size_t len = 0;
		if ((r = blob_read(d->blobs, img->id, 8u << 20, &img->config_json, &len, err)) <
			    0 ||
		    (r = image_config_parse(img->config_json, len, &img->config, err)) < 0) {
			image_rec_free(img);
			return r;
		}
		img->created = created_seconds(img->config->created);
	}
	bool was_removed = img->removed;
	img->removed = false; /* loaded again: visible again */
	_cleanup_free_ char *doc = image_doc(img);
	if ((r = state_db_begin(d->db, err)) < 0)
		goto fail;
	if ((r = db_image_put(d->db, img->id, doc, err)) < 0)
		goto rollback;
	for (size_t i = 0; tags && tags[i]; i++)
		if ((r = db_tag_set(d->db, tags[i], img->id, err)) < 0)
			goto rollback;
	if ((r = state_db_commit(d->db, err)) < 0)
		goto rollback;
	for (size_t i = 0; tags && tags[i]; i++) {
		untag_everywhere(d, tags[i]);
		strv_push(&img->tags, tags[i]);
	}
	if (fresh) {
		d->images = xrealloc(d->images, (d->n_images + 1) * sizeof(*d->images));
		d->images[d->n_images++] = img;
	}
	return 0;
rollback:
	state_db_rollback(d->db);
fail:
	if (fresh)
		image_rec_free(img);
	else
		img->removed = was_removed;
	return r;
}

int image_tag(struct daemon *d, struct image_rec *img, const char *ref, struct berth_error **err)
{
	int r = db_tag_set(d->db, ref, img->id, err);

	if (r < 0)
		return r;
	untag_everywhere(d, ref);
	strv_push(&img->tags, ref);
	_cleanup_free_ char *fam = image_familiar_tag(ref);
	image_event(d, img, "tag", fam);
	return 0;
}

void image_event(struct daemon *d, const struct image_rec *img, const char *action,
		 const char *name)
{
	json_object *attrs = json_object_new_object();

	for (size_t i = 0; img->config && i < img->config->n_labels; i++)
		jadd(attrs, img->config->labels[i].key, jstr(img->config->labels[i].value));
	jadd(attrs, "name", jstr(name ? name : img->id));
	api_event(d, "image", action, img->id, attrs);
}

int image_add_repo_digest(struct daemon *d, struct image_rec *img, const char *ref,
			  struct berth_error **err)
{
	const char *at = strchr(ref, '@');
	char **old = strv_copy(img->repo_digests);
	char **keep = NULL;
	int r;

	if (!at)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "not a digest reference: '%s'",
				       ref);
	if (strv_contains(img->repo_digests, ref)) {
		strv_free(old);
		return 0;
	}
	/* docker keeps one digest per repository: the newest */
	for (size_t i = 0; old && old[i]; i++)
		if (strncmp(old[i], ref, (size_t)(at - ref + 1)) != 0)
			strv_push(&keep, old[i]);
	strv_push(&keep, ref);
	img->repo_digests = keep;
	_cleanup_free_ char *doc = image_doc(img);
	if ((r = db_image_put(d->db, img->id, doc, err)) < 0) {
		strv_free(keep);
		img->repo_digests = old;
		return r;
	}
	strv_free(old);
	return 0;
}

bool image_in_use(struct daemon *d, const struct image_rec *img)
{
	for (size_t i = 0; i < d->n_containers; i++)
		if (d->containers[i]->image_id && strcmp(d->containers[i]->image_id, img->id) == 0)
			return true;
	return false;
}

/* Hidden images no container uses any more go for good. */
static void gc_removed(struct daemon *d)
{
	for (size_t i = d->n_images; i > 0; i--) {
		struct image_rec *img = d->images[i - 1];
		if (!img->removed || image_in_use(d, img) ||
		    db_image_delete(d->db, img->id, NULL) < 0)
			continue;
		memmove(&d->images[i - 1], &d->images[i], (d->n_images - i) * sizeof(img));
		d->n_images--;
		image_rec_free(img);
	}
}

/* Layers no image uses any more go; *ret (if given) gets their chain ids. */
static void gc_layers(struct daemon *d, char ***ret)
{
	_cleanup_strv_ char **all = NULL;

	if (reg_jobs_running(d)) {
		/* a pull's layers are not recorded yet: once it ends */
		reg_jobs_gc_pending(d);
		return;
	}
	if (layer_store_list(d->layers, &all, NULL) < 0)
		return;
	for (size_t i = 0; all && all[i]; i++) {
		bool used = false;
		for (size_t k = 0; k < d->n_images && !used; k++)
			used = strv_contains(d->images[k]->chain_ids, all[i]);
		if (!used && layer_store_remove(d->layers, all[i], NULL) == 0 && ret)
			strv_push(ret, all[i]);
	}
}

void images_gc_blobs(struct daemon *d)
{
	_cleanup_strv_ char **all = NULL;

	if (reg_jobs_running(d)) {
		reg_jobs_gc_pending(d);
		return;
	}
	/* no job child ingests or unpacks now: what a killed one left goes */
	(void)blob_store_clean_tmp(d->blobs, NULL);
	layer_store_clean_tmp(d->layers);
	if (blob_list(d->blobs, &all, NULL) < 0)
		return;
	for (size_t i = 0; all && all[i]; i++) {
		bool used = false;
		for (size_t k = 0; k < d->n_images && !used; k++) {
			struct image_rec *img = d->images[k];
			used = strcmp(img->id, all[i]) == 0 ||
			       (img->manifest_digest &&
				strcmp(img->manifest_digest, all[i]) == 0) ||
			       strv_contains(img->layer_blobs, all[i]);
			/* the index or manifest a pull resolved (repo digests) */
			for (size_t r = 0; !used && img->repo_digests && img->repo_digests[r];
			     r++) {
				const char *at = strchr(img->repo_digests[r], '@');
				used = at && strcmp(at + 1, all[i]) == 0;
			}
		}
		if (!used)
			(void)blob_delete(d->blobs, all[i], NULL);
	}
}

int image_remove(struct daemon *d, struct image_rec *img, char ***ret_layers,
		 struct berth_error **err)
{
	int r;

	if (image_in_use(d, img)) {
		/* Containers keep using its layers, as docker's do: hide it. */
		img->removed = true;
		_cleanup_free_ char *doc = image_doc(img);
		if ((r = db_image_put(d->db, img->id, doc, err)) < 0) {
			img->removed = false;
			return r;
		}
		image_event(d, img, "delete", NULL);
		return 0;
	}
	if ((r = state_db_begin(d->db, err)) < 0)
		return r;
	if ((r = db_image_delete(d->db, img->id, err)) < 0 ||
	    (r = state_db_commit(d->db, err)) < 0) {
		state_db_rollback(d->db);
		return r;
	}
	for (size_t i = 0; i < d->n_images; i++) {
		if (d->images[i] != img)
			continue;
		memmove(&d->images[i], &d->images[i + 1], (d->n_images - i - 1) * sizeof(img));
		d->n_images--;
		break;
	}
	image_event(d, img, "delete", NULL);
	image_rec_free(img);
	gc_removed(d);
	gc_layers(d, ret_layers);
	images_gc_blobs(d);
	return 0;
}

void images_gc_layers(struct daemon *d)
{
	gc_removed(d);
	gc_layers(d, NULL);
}

size_t images_visible(struct daemon *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_images; i++)
		n += !d->images[i]->removed;
	return n;
}
