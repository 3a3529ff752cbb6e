/* Pull (POST /images/create?fromImage=), push (POST /images/{name}/push) and
 * login (POST /auth): the registry client runs in a child per request
 * (registry-job.c); the daemon records what a pull brought and writes
 * dockerd's messages around the client's progress. */
#define LOG_CATEGORY "api"
#include <string.h>

#include "api.h"
#include "registry-job.h"
#include "registry.h"

static void registry_options(struct daemon *d, struct reg_options *o)
{
	*o = (struct reg_options){
		.insecure = d->insecure_registries,
		.mirrors = d->registry_mirrors,
		.max_concurrent_downloads = d->max_downloads,
		.max_concurrent_uploads = d->max_uploads,
		.user_agent = "berth/" BERTH_VERSION,
	};
}

static int auth_of(struct http_request *req, struct reg_auth **ret, struct berth_error **err)
{
	const char *h = http_request_header(req, "X-Registry-Auth");
	int r = reg_auth_decode(h ? h : "", ret, err);

	if (r < 0)
		return berth_error_wrap(err, "invalid X-Registry-Auth header");
	return 0;
}

/* An image event as dockerd's ImageEventLogger writes it: the reference as
 * the id, the repository's familiar name, the image's labels. */
static void registry_event(struct daemon *d, const char *action, const char *id,
			   const struct image_ref *ref)
{
	struct image_ref repo = { .domain = ref->domain, .path = ref->path };
	_cleanup_free_ char *full = image_ref_familiar(&repo);
	json_object *attrs = json_object_new_object();
	struct image_rec *img = NULL;

	if (image_lookup(d, id, &img, NULL) == 0)
		for (size_t i = 0; i < img->config->n_labels; i++)
			jadd(attrs, img->config->labels[i].key, jstr(img->config->labels[i].value));
	jadd(attrs, "name", jstr(full));
	api_event(d, "image", action, id, attrs);
}

/* ---- pull ---- */

struct pull_job {
	struct daemon *d;
	struct reg_auth *auth;
	char *platform;
	struct image_ref *ref;
	bool all_tags;
	char *requested; /* familiar, for "Status: ... for X" and the event */
	bool updated, failed;
};

static void pull_job_free(void *data)
{
	struct pull_job *p = data;

	reg_auth_free(p->auth);
	free(p->platform);
	image_ref_free(p->ref);
	free(p->requested);
	free(p);
}

struct pull_progress {
	struct reg_job *job;
	const char *tag_or_digest;
	const char *path;
	bool announced;
};

static void announce(struct pull_progress *pp)
{
	if (pp->announced)
		return;
	_cleanup_free_ char *what = xasprintf("Pulling from %s", pp->path);
	_cleanup_free_ char *m = reg_msg_status(pp->tag_or_digest, what);
	reg_job_emit(pp->job, m);
	pp->announced = true;
}

static void pull_progress_cb(const char *id, const char *status, uint64_t current, uint64_t total,
			     void *data)
{
	struct pull_progress *pp = data;

	announce(pp);
	_cleanup_free_ char *m = reg_msg_progress(id, status, current, total);
	reg_job_emit(pp->job, m);
}

static int pull_one(struct reg_job *job, struct pull_job *p, const struct image_ref *ref,
		    struct berth_error **err)
{
	struct reg_pull_result res = { 0 };
	struct reg_options opts;
	struct pull_progress pp = { job, ref->digest ? ref->digest : ref->tag, ref->path, false };
	const struct reg_pull_request rq = { ref, p->platform, p->auth };
	int r;

	registry_options(p->d, &opts);
	r = reg_pull(&opts, p->d->blobs, p->d->layers, &rq, pull_progress_cb, &pp, &res, err);
	if (r < 0)
		return r;
	announce(&pp);
	_cleanup_json_ json_object *rec = json_object_new_object();
	_cleanup_free_ char *text = image_ref_string(ref);
	jadd(rec, "ref", jstr(text));
	jadd(rec, "config", jstr(res.item.config_digest));
	jadd(rec, "manifest", jstr(res.item.manifest_digest));
	jadd(rec, "repo_digest", jstr(res.repo_digest));
	jadd(rec, "size", json_object_new_int64((int64_t)res.item.size));
	json_object *chains = json_object_new_array(), *blobs = json_object_new_array();
	for (size_t i = 0; i < res.item.n_layers; i++) {
		json_object_array_add(chains, jstr(res.item.chain_ids[i]));
		json_object_array_add(blobs, jstr(res.item.layer_blobs[i]));
	}
	jadd(rec, "chains", chains);
	jadd(rec, "blobs", blobs);
	reg_job_emit_record(job, rec);
	reg_pull_result_clear(&res);
	return 0;
}

static int pull_child(struct reg_job *job, void *data, struct berth_error **err)
{
	struct pull_job *p = data;
	_cleanup_strv_ char **tags = NULL;
	struct reg_options opts;
	int r;

	if (!p->all_tags)
		return pull_one(job, p, p->ref, err);
	registry_options(p->d, &opts);
	if ((r = reg_list_tags(&opts, p->ref, p->auth, &tags, err)) < 0)
		return r;
	for (size_t i = 0; tags && tags[i]; i++) {
		struct image_ref t = { .domain = p->ref->domain,
				       .path = p->ref->path,
				       .tag = tags[i] };
		if ((r = pull_one(job, p, &t, err)) < 0)
			return r;
	}
	return 0;
}

/* Record what the child pulled, tag it; *ret_digest: the repo digest. */
static int pull_apply(struct pull_job *p, json_object *rec, const char **ret_digest,
		      struct berth_error **err)
{
	struct daemon *d = p->d;
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_strv_ char **chains = NULL, **blobs = NULL, **tags = NULL;
	struct image_archive_item item = { 0 };
	const char *text = NULL, *config = NULL, *manifest = NULL, *repo_digest = NULL;
	struct image_rec *img = NULL;
	int r;

	if ((r = json_get_str(rec, "pull", "ref", true, &text, err)) < 0 ||
	    (r = json_get_str(rec, "pull", "config", true, &config, err)) < 0 ||
	    (r = json_get_str(rec, "pull", "manifest", false, &manifest, err)) < 0 ||
	    (r = json_get_str(rec, "pull", "repo_digest", true, &repo_digest, err)) < 0 ||
	    (r = json_get_uint64(rec, "pull", "size", true, &item.size, err)) < 0 ||
	    (r = json_get_strv(rec, "pull", "chains", true, &chains, err)) < 0 ||
	    (r = json_get_strv(rec, "pull", "blobs", true, &blobs, err)) < 0 ||
	    (r = image_ref_parse(text, &ref, err)) < 0)
		return r;
	if (strlen(config) > DIGEST_LEN || (manifest && strlen(manifest) > DIGEST_LEN) ||
	    strv_length(chains) != strv_length(blobs))
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "bad pull record");
	snprintf(item.config_digest, sizeof(item.config_digest), "%s", config);
	snprintf(item.manifest_digest, sizeof(item.manifest_digest), "%s",
		 manifest ? manifest : "");
	item.chain_ids = chains;
	item.layer_blobs = blobs;
	item.n_layers = strv_length(chains);
	/* up to date: the tag (or digest) named this image already */
	bool same = image_lookup(d, text, &img, NULL) == 0 && strcmp(img->id, config) == 0;
	if (ref->tag)
		strv_push(&tags, text);
	_cleanup_free_ char *repo = image_ref_repo(ref);
	_cleanup_free_ char *rd = xasprintf("%s@%s", repo, repo_digest);
	if ((r = image_record(d, &item, tags, err)) < 0 ||
	    (r = image_lookup(d, config, &img, err)) < 0 ||
	    (r = image_add_repo_digest(d, img, rd, err)) < 0)
		return r;
	p->updated |= !same;
	*ret_digest = repo_digest;
	return 0;
}

static void pull_record(struct reg_job *job, json_object *rec, void *data)
{
	struct pull_job *p = data;
	_cleanup_error_ struct berth_error *err = NULL;
	const char *digest = NULL;

	if (p->failed)
		return;
	if (pull_apply(p, rec, &digest, &err) < 0) {
		p->failed = true;
		_cleanup_free_ char *e = reg_msg_error(err ? err->msg : "bad pull record");
		reg_job_write(job, e);
		return;
	}
	_cleanup_free_ char *what = xasprintf("Digest: %s", digest);
	_cleanup_free_ char *m = reg_msg_status(NULL, what);
	reg_job_write(job, m);
}

static void pull_done(struct reg_job *job, struct berth_error *err, void *data)
{
	struct pull_job *p = data;
	struct http_request *req = reg_job_request(job);

	if (err && !reg_job_streaming(job)) {
		/* dockerd answers a registry's refusal of a pull with 500, not
		 * 401: a 401 makes the docker CLI prompt for a login. */
		if (err->kind == BERTH_ERR_UNAUTHORIZED)
			err->kind = BERTH_ERR_INTERNAL;
		api_respond_error(req, err);
		return;
	}
	if (err && !p->failed) {
		_cleanup_free_ char *e = reg_msg_error(err->msg);
		reg_job_write(job, e);
	} else if (!err && !p->failed) {
		_cleanup_free_ char *what =
			xasprintf("Status: %s for %s",
				  p->updated ? "Downloaded newer image" : "Image is up to date",
				  p->requested);
		_cleanup_free_ char *m = reg_msg_status(NULL, what);
		reg_job_write(job, m);
		registry_event(p->d, "pull", p->requested, p->ref);
	}
	http_stream_end(req);
}

static const struct reg_job_ops pull_ops = {
	.child = pull_child,
	.record = pull_record,
	.done = pull_done,
	.free_data = pull_job_free,
};

/* Whether text names a repository only: no tag or digest after its last '/'. */
static bool name_only(const char *text)
{
	const char *last = strrchr(text, '/');

	return !strchr(text, '@') && !strchr(last ? last : text, ':');
}

void images_pull(struct daemon *d, struct http_request *req)
{
	const char *from = http_request_query(req, "fromImage");
	const char *tag = http_request_query(req, "tag");
	const char *platform = http_request_query(req, "platform");
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *image = xstrdup(from);
	_cleanup_free_ char *text = NULL;
	struct pull_job *p = xzalloc(sizeof(*p));

	p->d = d;
	/* docker pull -a may send the name with a trailing ':' */
	size_t n = strlen(image);
	if (n && image[n - 1] == ':')
		image[n - 1] = '\0';
	if (!str_is_empty(tag)) {
		char *at = strchr(image, '@');
		if (at)
			*at = '\0';
		else if (!name_only(image))
			*strrchr(image, ':') = '\0';
		text = xasprintf("%s%s%s", image, strchr(tag, ':') ? "@" : ":", tag);
	} else {
		text = xstrdup(image);
		p->all_tags = name_only(image);
	}
	if (image_ref_parse(text, &p->ref, &err) < 0 || auth_of(req, &p->auth, &err) < 0)
		goto fail;
	if (p->all_tags) {
		struct image_ref repo = { .domain = p->ref->domain, .path = p->ref->path };
		p->requested = image_ref_familiar(&repo);
	} else {
		p->requested = image_ref_familiar(p->ref);
	}
	p->platform = str_is_empty(platform) ? NULL : xstrdup(platform);
	if (reg_job_start(d, req, &pull_ops, p, &err) < 0)
		goto fail;
	return;
fail:
	pull_job_free(p);
	api_respond_error(req, err);
}

/* ---- push ---- */

struct push_item {
	char *ref; /* full "domain/path:tag" */
	char *config, *manifest;
	char **blobs;
	char **mounts;
};

struct push_job {
	struct daemon *d;
	struct reg_auth *auth;
	struct image_ref *ref; /* what was asked (a tag or the repository) */
	char *event_id;
	struct push_item *items;
	size_t n;
	bool failed;
};

static void push_job_free(void *data)
{
	struct push_job *p = data;

	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].ref);
		free(p->items[i].config);
		free(p->items[i].manifest);
		strv_free(p->items[i].blobs);
		strv_free(p->items[i].mounts);
	}
	free(p->items);
	reg_auth_free(p->auth);
	image_ref_free(p->ref);
	free(p->event_id);
	free(p);
}

static void push_progress_cb(const char *id, const char *status, uint64_t current, uint64_t total,
			     void *data)
{
	_cleanup_free_ char *m = reg_msg_progress(id, status, current, total);
	reg_job_emit(data, m);
}

static int push_child(struct reg_job *job, void *data, struct berth_error **err)
{
	struct push_job *p = data;
	struct reg_options opts;
	int r;

	registry_options(p->d, &opts);
	for (size_t i = 0; i < p->n; i++) {
		const struct push_item *it = &p->items[i];
		_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
		char digest[DIGEST_LEN + 1];
		uint64_t size = 0;
		if ((r = image_ref_parse(it->ref, &ref, err)) < 0)
			return r;
		const struct reg_push_request rq = {
			.ref = ref,
			.config_digest = it->config,
			.manifest_digest = it->manifest,
			.layer_blobs = it->blobs,
			.n_layers = strv_length(it->blobs),
			.mount_from = it->mounts,
			.auth = p->auth,
		};
		if ((r = reg_push(&opts, p->d->blobs, &rq, push_progress_cb, job, digest, &size,
				  err)) < 0)
			return r;
		_cleanup_free_ char *what = xasprintf("%s: digest: %s size: %llu", ref->tag, digest,
						      (unsigned long long)size);
		_cleanup_free_ char *m = reg_msg_status(NULL, what);
		reg_job_emit(job, m);
		char *aux = xstrdup("{\"progressDetail\":{},\"aux\":{\"Tag\":");
		_cleanup_json_ json_object *t = json_object_new_string(ref->tag);
		_cleanup_free_ char *rest = xasprintf(",\"Digest\":\"%s\",\"Size\":%llu}}", digest,
						      (unsigned long long)size);
		_cleanup_free_ char *line =
			xasprintf("%s%s%s", aux,
				  json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN), rest);
		free(aux);
		reg_job_emit(job, line);
		_cleanup_json_ json_object *rec = json_object_new_object();
		jadd(rec, "ref", jstr(it->ref));
		jadd(rec, "config", jstr(it->config));
		jadd(rec, "digest", jstr(digest));
		reg_job_emit_record(job, rec);
	}
	return 0;
}

static void push_record(struct reg_job *job, json_object *rec, void *data)
{
	struct push_job *p = data;
	const char *ref = NULL, *config = NULL, *digest = NULL;
	_cleanup_(image_ref_freep) struct image_ref *r = NULL;
	struct image_rec *img = NULL;

	(void)job;
	/* docker records the pushed manifest's digest as a repo digest */
	if (json_get_str(rec, "push", "ref", true, &ref, NULL) < 0 ||
	    json_get_str(rec, "push", "config", true, &config, NULL) < 0 ||
	    json_get_str(rec, "push", "digest", true, &digest, NULL) < 0 ||
	    image_ref_parse(ref, &r, NULL) < 0 || image_lookup(p->d, config, &img, NULL) < 0)
		return;
	_cleanup_free_ char *repo = image_ref_repo(r);
	_cleanup_free_ char *rd = xasprintf("%s@%s", repo, digest);
	(void)image_add_repo_digest(p->d, img, rd, NULL);
}

static void push_done(struct reg_job *job, struct berth_error *err, void *data)
{
	struct push_job *p = data;
	struct http_request *req = reg_job_request(job);

	if (err) {
		_cleanup_free_ char *e = reg_msg_error(err->msg);
		reg_job_write(job, e);
	} else {
		registry_event(p->d, "push", p->event_id, p->ref);
	}
	http_stream_end(req);
}

static const struct reg_job_ops push_ops = {
	.child = push_child,
	.record = push_record,
	.done = push_done,
	.free_data = push_job_free,
};

static void push_add(struct push_job *p, const struct image_rec *img, const char *tag_ref)
{
	struct push_item *it;
	_cleanup_(image_ref_freep) struct image_ref *target = NULL;

	if (image_ref_parse(tag_ref, &target, NULL) < 0)
		return;
	p->items = xrealloc(p->items, (p->n + 1) * sizeof(*p->items));
	it = &p->items[p->n++];
	*it = (struct push_item){ .ref = xstrdup(tag_ref), .config = xstrdup(img->id) };
	if (img->manifest_digest && blob_exists(p->d->blobs, img->manifest_digest))
		it->manifest = xstrdup(img->manifest_digest);
	it->blobs = strv_copy(img->layer_blobs);
	if (!it->blobs)
		it->blobs = xcalloc(1, sizeof(char *));
	/* other repositories of the same registry that have this image */
	for (size_t t = 0; img->tags && img->tags[t]; t++) {
		_cleanup_(image_ref_freep) struct image_ref *o = NULL;
		if (image_ref_parse(img->tags[t], &o, NULL) < 0 ||
		    strcmp(o->domain, target->domain) != 0 || strcmp(o->path, target->path) == 0 ||
		    strv_contains(it->mounts, o->path))
			continue;
		strv_push(&it->mounts, o->path);
	}
}

static void push_start(struct daemon *d, struct http_request *req, struct push_job *p, bool all)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_ref repo_only = { .domain = p->ref->domain, .path = p->ref->path };
	_cleanup_free_ char *repo = image_ref_repo(p->ref);
	_cleanup_free_ char *full = image_ref_string(p->ref);
	_cleanup_free_ char *fam_repo = image_ref_familiar(&repo_only);
	p->event_id = all ? xstrdup(fam_repo) : image_ref_familiar(p->ref);
	for (size_t i = 0; i < d->n_images; i++) {
		struct image_rec *img = d->images[i];
		for (size_t t = 0; !img->removed && img->tags && img->tags[t]; t++) {
			_cleanup_(image_ref_freep) struct image_ref *tr = NULL;
			if (image_ref_parse(img->tags[t], &tr, NULL) < 0)
				continue;
			_cleanup_free_ char *trepo = image_ref_repo(tr);
			if (all ? strcmp(trepo, repo) == 0 : strcmp(img->tags[t], full) == 0)
				push_add(p, img, img->tags[t]);
		}
	}
	/* dockerd names the repository first, then finds nothing to push */
	_cleanup_free_ char *what = xasprintf("The push refers to repository [%s]", repo);
	_cleanup_free_ char *m = reg_msg_status(NULL, what);
	http_stream_begin(req, 200, "application/json");
	(void)http_stream_write(req, m, strlen(m));
	(void)http_stream_write(req, "\n", 1);
	if (p->n == 0) {
		_cleanup_free_ char *msg =
			xasprintf("An image does not exist locally with the tag: %s", fam_repo);
		_cleanup_free_ char *e = reg_msg_error(msg);
		(void)http_stream_write(req, e, strlen(e));
		(void)http_stream_write(req, "\n", 1);
		http_stream_end(req);
		push_job_free(p);
		return;
	}
	if (reg_job_start(d, req, &push_ops, p, &err) < 0) {
		_cleanup_free_ char *e = reg_msg_error(err->msg);
		(void)http_stream_write(req, e, strlen(e));
		(void)http_stream_write(req, "\n", 1);
		http_stream_end(req);
		push_job_free(p);
	}
}

void images_push(struct daemon *d, struct http_request *req, const char *name)
{
	const char *tag = http_request_query(req, "tag");
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *text = NULL;
	struct push_job *p = xzalloc(sizeof(*p));

	p->d = d;
	if (!str_is_empty(tag))
		text = xasprintf("%s:%s", name, tag);
	else
		text = xstrdup(name);
	if (image_ref_parse(text, &p->ref, &err) < 0 || auth_of(req, &p->auth, &err) < 0) {
		push_job_free(p);
		api_respond_error(req, err);
		return;
	}
	if (p->ref->digest) {
		push_job_free(p);
		http_respond_error(req, 400, "cannot push a digest reference");
		return;
	}
	push_start(d, req, p, name_only(text));
}

/* ---- login ---- */

struct login_job {
	struct daemon *d;
	struct reg_auth *auth;
	char *server;
	char *token;
};

static void login_job_free(void *data)
{
	struct login_job *l = data;

	reg_auth_free(l->auth);
	free(l->server);
	free(l->token);
	free(l);
}

static int login_child(struct reg_job *job, void *data, struct berth_error **err)
{
	struct login_job *l = data;
	struct reg_options opts;
	_cleanup_free_ char *token = NULL;
	int r;

	registry_options(l->d, &opts);
	if ((r = reg_login(&opts, l->server, l->auth, &token, err)) < 0)
		return r;
	_cleanup_json_ json_object *rec = json_object_new_object();
	jadd(rec, "token", jstr(token ? token : ""));
	reg_job_emit_record(job, rec);
	return 0;
}

static void login_record(struct reg_job *job, json_object *rec, void *data)
{
	struct login_job *l = data;
	const char *token = NULL;

	(void)job;
	if (json_get_str(rec, "login", "token", false, &token, NULL) > 0 && *token) {
		free(l->token);
		l->token = xstrdup(token);
	}
}

static void login_done(struct reg_job *job, struct berth_error *err, void *data)
{
	struct login_job *l = data;
	struct http_request *req = reg_job_request(job);

	if (err) {
		api_respond_error(req, err);
		return;
	}
	_cleanup_json_ json_object *o = json_object_new_object();
	jadd(o, "Status", jstr("Login Succeeded"));
	jadd(o, "IdentityToken", jstr(l->token ? l->token : ""));
	http_respond_json(req, 200, o);
}

static const struct reg_job_ops login_ops = {
	.child = login_child,
	.record = login_record,
	.done = login_done,
	.free_data = login_job_free,
};

static char *body_str(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	const char *s =
		v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	return str_is_empty(s) ? NULL : xstrdup(s);
}

static void auth_handler(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	struct login_job *l = NULL;

	if (http_request_body_json(req, &body, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	l = xzalloc(sizeof(*l));
	l->d = d;
	l->auth = xzalloc(sizeof(*l->auth));
	l->auth->username = body_str(body, "username");
	l->auth->password = body_str(body, "password");
	l->auth->identity_token = body_str(body, "identitytoken");
	l->auth->registry_token = body_str(body, "registrytoken");
	l->auth->server_address = body_str(body, "serveraddress");
	l->server = xstrdup(l->auth->server_address ? l->auth->server_address
						    : "https://index.docker.io/v1/");
	if (reg_job_start(d, req, &login_ops, l, &err) < 0) {
		login_job_free(l);
		api_respond_error(req, err);
	}
}

void api_registry_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "POST", "/auth", 0, auth_handler);
}
