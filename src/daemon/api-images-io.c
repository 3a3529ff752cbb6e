/* Image load, save and import (see images-io.h). Load and import read the
 * request body into an unlinked temporary file first; save runs the tar
 * writer in a child process whose output is pumped to the client, so a slow
 * client never blocks the loop. */
#define LOG_CATEGORY "api"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "body-file.h"
#include "changes.h"
#include "images-io.h"

#define BODY_MAX_BYTES (64ULL << 30)

static void stream_message(struct http_request *req, const char *key, const char *text)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	jadd(o, key, jstr(text));
	http_stream_write_json(req, o);
}

static void stream_error(struct http_request *req, const char *msg)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *detail = json_object_new_object();
	jadd(detail, "message", jstr(msg));
	jadd(o, "errorDetail", detail);
	jadd(o, "error", jstr(msg));
	http_stream_write_json(req, o);
}

/* A scratch directory under <data-root>/tmp, removed by the caller. */
static char *scratch_dir(struct daemon *d)
{
	_cleanup_free_ char *tmpl = xasprintf("%s/tmp/load-XXXXXX", d->data_root);
	if (!mkdtemp(tmpl))
		return NULL;
	return TAKE_PTR(tmpl);
}

static char **normalized_tags(char *const *given)
{
	char **out = NULL;
	for (size_t i = 0; given && given[i]; i++) {
		_cleanup_(image_ref_freep) struct image_ref *r = NULL;
		if (image_ref_parse(given[i], &r, NULL) < 0 || r->digest)
			continue;
		strv_push_take(&out, image_ref_string(r));
	}
	return out;
}

static void load_progress(const char *id, const char *status, uint64_t current, uint64_t total,
			  void *data)
{
	(void)id;
	(void)status;
	(void)current;
	(void)total;
	(void)data;
}

static void load_body_done(struct http_request *req, int fd, struct berth_error *error, void *data)
{
	struct daemon *d = the_daemon;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;

	(void)data;
	if (fd < 0) {
		api_respond_error(req, error);
		return;
	}
	_cleanup_close_ int tar = fd;
	_cleanup_free_ char *tmp = scratch_dir(d);
	http_stream_begin(req, 200, "application/json");
	if (!tmp ||
	    image_load(d->blobs, d->layers, tar, tmp, load_progress, NULL, &res, &err) < 0) {
		stream_error(req, err ? err->msg : "cannot create a scratch directory");
		images_gc_blobs(d); /* what this load stored and nothing uses */
		goto out;
	}
	for (size_t i = 0; i < res->n_items; i++) {
		struct image_archive_item *it = &res->items[i];
		_cleanup_strv_ char **tags = normalized_tags(it->repo_tags);
		for (size_t t = 0; tags && tags[t]; t++) {
			struct image_rec *prev = NULL;
			if (image_lookup(d, tags[t], &prev, NULL) < 0 ||
			    strcmp(prev->id, it->config_digest) == 0 ||
			    !strv_contains(prev->tags, tags[t]))
				continue;
			_cleanup_free_ char *fam = image_familiar_tag(tags[t]);
			_cleanup_free_ char *line = xasprintf(
				"The image %s already exists, renaming the old one with ID %s to "
				"empty string\n",
				fam, prev->id);
			stream_message(req, "stream", line);
		}
		if (image_record(d, it, tags, &err) < 0) {
			stream_error(req, err->msg);
			goto out;
		}
		struct image_rec *loaded = NULL;
		if (image_lookup(d, it->config_digest, &loaded, NULL) == 0)
			image_event(d, loaded, "load", NULL);
		if (!tags || !tags[0]) {
			_cleanup_free_ char *line =
				xasprintf("Loaded image ID: %s\n", it->config_digest);
			stream_message(req, "stream", line);
		}
		for (size_t t = 0; tags && tags[t]; t++) {
			_cleanup_free_ char *fam = image_familiar_tag(tags[t]);
			_cleanup_free_ char *line = xasprintf("Loaded image: %s\n", fam);
			stream_message(req, "stream", line);
		}
	}
out:
	if (tmp)
		(void)rm_rf(tmp);
	http_stream_end(req);
}

void images_load(struct daemon *d, struct http_request *req)
{
	body_to_file(d, req, BODY_MAX_BYTES, load_body_done, NULL);
}

static void save_child_done(struct http_loop *l, pid_t pid, int status, void *data)
{
	(void)l;
	(void)data;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warn("Image save (pid %d) failed with status %d", (int)pid, status);
}

/* The tags of img that name selects: "repo" (no tag) takes every tag of the
 * repository, "repo:tag" that tag, an id or digest none. */
static void tags_for_name(const struct image_rec *img, const char *name, char ***tags)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;

	if (image_is_id_like(name) || image_ref_parse(name, &ref, NULL) < 0 || ref->digest)
		return;
	_cleanup_free_ char *full = image_ref_string(ref);
	_cleanup_free_ char *repo = image_ref_repo(ref);
	const char *last = strrchr(name, '/');
	bool by_repo = !strchr(last ? last : name, ':');
	for (size_t t = 0; img->tags && img->tags[t]; t++) {
		_cleanup_(image_ref_freep) struct image_ref *tr = NULL;
		bool take = strcmp(img->tags[t], full) == 0;
		if (!take && by_repo && image_ref_parse(img->tags[t], &tr, NULL) == 0) {
			_cleanup_free_ char *trepo = image_ref_repo(tr);
			take = strcmp(trepo, repo) == 0;
		}
		_cleanup_free_ char *fam = take ? image_familiar_tag(img->tags[t]) : NULL;
		if (fam && !strv_contains(*tags, fam))
			strv_push(tags, fam);
	}
}

/* The images a name selects for save: the one it names, else, for a bare
 * repository, every image with a tag in it. */
static int images_of_name(struct daemon *d, const char *name, struct image_rec ***ret, size_t *n,
			  struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	struct image_rec *img = NULL;
	const char *last = strrchr(name, '/');

	_cleanup_error_ struct berth_error *lookup_err = NULL;
	if (image_lookup(d, name, &img, &lookup_err) == 0) {
		*ret = xcalloc(1, sizeof(**ret));
		(*ret)[0] = img;
		*n = 1;
		return 0;
	}
	if (lookup_err->kind != BERTH_ERR_NOT_FOUND)
		return berth_error_set(err, 0, lookup_err->kind, "%s", lookup_err->msg);
	if (!image_is_id_like(name) && image_ref_parse(name, &ref, NULL) == 0 && !ref->digest &&
	    !strchr(last ? last : name, ':')) {
		_cleanup_free_ char *repo = image_ref_repo(ref);
		for (size_t i = 0; i < d->n_images; i++) {
			bool in_repo = false;
			if (d->images[i]->removed)
				continue;
			for (size_t t = 0; d->images[i]->tags && d->images[i]->tags[t]; t++) {
				_cleanup_(image_ref_freep) struct image_ref *tr = NULL;
				_cleanup_free_ char *trepo = NULL;
				if (image_ref_parse(d->images[i]->tags[t], &tr, NULL) == 0)
					trepo = image_ref_repo(tr);
				in_repo |= trepo && strcmp(trepo, repo) == 0;
			}
			if (!in_repo)
				continue;
			*ret = xrealloc(*ret, (*n + 1) * sizeof(**ret));
			(*ret)[(*n)++] = d->images[i];
		}
		if (*n > 0)
			return 0;
	}
	return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND, "No such image: %s", name);
}

void images_save(struct daemon *d, struct http_request *req, char **names)
{
	_cleanup_error_ struct berth_error *err = NULL;
	size_t n_items = 0;
	_cleanup_free_ struct image_save_item *items = xcalloc(1, sizeof(*items));
	char ***tag_lists = xcalloc(1, sizeof(char **));
	static char *no_tags[] = { NULL };
	int pipefd[2];

	/* One item per image, with the tags of every name that selects it; a
	 * repository without a tag selects each image it has a tag for. */
	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ struct image_rec **imgs = NULL;
		size_t n_imgs = 0;
		if (images_of_name(d, names[i], &imgs, &n_imgs, &err) < 0) {
			api_respond_error(req, err);
			goto out;
		}
		for (size_t m = 0; m < n_imgs; m++) {
			size_t k = 0;
			while (k < n_items && strcmp(items[k].config_digest, imgs[m]->id) != 0)
				k++;
			if (k == n_items) {
				items = xrealloc(items, (n_items + 2) * sizeof(*items));
				tag_lists = xrealloc(tag_lists, (n_items + 2) * sizeof(char **));
				memset(&items[k], 0, 2 * sizeof(*items));
				tag_lists[k] = tag_lists[k + 1] = NULL;
				items[k].config_digest = imgs[m]->id;
				items[k].layer_blobs = imgs[m]->layer_blobs;
				items[k].n_layers = imgs[m]->n_layers;
				n_items++;
			}
			tags_for_name(imgs[m], names[i], &tag_lists[k]);
		}
	}
	for (size_t k = 0; k < n_items; k++)
		items[k].repo_tags = tag_lists[k] ? tag_lists[k] : no_tags;
	if (image_save_check(d->blobs, items, n_items, &err) < 0) {
		api_respond_error(req, err);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		http_respond_error(req, 500, "pipe: %s", strerror(errno));
		goto out;
	}
	pid_t pid = fork();
	if (pid == 0) {
		(void)close(pipefd[0]);
		signal(SIGPIPE, SIG_DFL);
		_exit(image_save(d->blobs, items, n_items, pipefd[1], NULL) < 0 ? 1 : 0);
	}
	(void)close(pipefd[1]);
	if (pid < 0) {
		(void)close(pipefd[0]);
		http_respond_error(req, 500, "fork: %s", strerror(errno));
		goto out;
	}
	(void)http_loop_watch_pid(d->loop, pid, save_child_done, NULL);
	for (size_t k = 0; k < n_items; k++) {
		struct image_rec *saved = NULL;
		if (image_lookup(d, items[k].config_digest, &saved, NULL) == 0)
			image_event(d, saved, "save", NULL);
	}
	http_stream_begin(req, 200, "application/x-tar");
	http_stream_bulk(req);
	pump_fd_to_stream(d, req, pipefd[0], NULL, NULL);
out:
	for (size_t i = 0; i < n_items; i++)
		strv_free(tag_lists[i]);
	free(tag_lists);
}

struct import_job {
	char *repo_tag;
	char **changes;
	char *message;
};

static void import_body_done(struct http_request *req, int fd, struct berth_error *error,
			     void *data)
{
	struct daemon *d = the_daemon;
	struct import_job *job = data;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(image_config_freep) struct image_config *cfg = xzalloc(sizeof(*cfg));
	struct image_archive_item item = { 0 };
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int tar = fd;
	_cleanup_strv_ char **tags = NULL;
	char created[40];

	if (fd < 0) {
		api_respond_error(req, error);
		goto out;
	}
	cfg->architecture = xstrdup("amd64");
	cfg->os = xstrdup("linux");
	time_format_rfc3339(created);
	cfg->created = xstrdup(created);
	if (image_config_apply_changes(cfg, job->changes, &err) < 0) {
		api_respond_error(req, err);
		goto out;
	}
	/* docker: the message is the history entry's comment ("Imported from -"
	 * without one, which image_import writes). */
	if (!str_is_empty(job->message)) {
		cfg->history = xzalloc(sizeof(*cfg->history));
		cfg->history[0].created = xstrdup(created);
		cfg->history[0].comment = xstrdup(job->message);
		cfg->n_history = 1;
	}
	tmp = scratch_dir(d);
	if (job->repo_tag)
		strv_push(&tags, job->repo_tag);
	/* Nothing is streamed before the import is done: a bad tarball gets an
	 * error status (docker's, since it has flushed nothing either). */
	if (!tmp || image_import(d->blobs, d->layers, tar, tmp, cfg, &item, &err) < 0 ||
	    image_record(d, &item, tags, &err) < 0) {
		if (!err)
			(void)berth_error_set(&err, errno, BERTH_ERR_INTERNAL,
					      "create a scratch directory");
		api_respond_error(req, err);
		images_gc_blobs(d);
		images_gc_layers(d);
	} else {
		struct image_rec *imported = NULL;
		if (image_lookup(d, item.config_digest, &imported, NULL) == 0)
			image_event(d, imported, "import", NULL);
		http_stream_begin(req, 200, "application/json");
		stream_message(req, "status", item.config_digest);
		http_stream_end(req);
	}
	strv_free(item.repo_tags);
	strv_free(item.chain_ids);
	strv_free(item.layer_blobs);
	if (tmp)
		(void)rm_rf(tmp);
out:
	free(job->repo_tag);
	strv_free(job->changes);
	free(job->message);
	free(job);
}

void images_create(struct daemon *d, struct http_request *req)
{
	const char *from_src = http_request_query(req, "fromSrc");
	const char *from_image = http_request_query(req, "fromImage");
	const char *repo = http_request_query(req, "repo");
	const char *tag = http_request_query(req, "tag");

	if (from_image) {
		images_pull(d, req);
		return;
	}
	if (!from_src) {
		http_respond_error(req, 400, "fromSrc or fromImage is required");
		return;
	}
	if (strcmp(from_src, "-") != 0) {
		http_respond_error(req, 501, "berth: importing from a URL is not supported yet");
		return;
	}
	struct import_job *job = xzalloc(sizeof(*job));
	if (!str_is_empty(repo)) {
		_cleanup_free_ char *text =
			tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
		_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		if (image_ref_parse(text, &ref, &err) < 0 || ref->digest) {
			free(job);
			http_respond_error(req, 400, "%s",
					   err ? err->msg : "cannot import digest reference");
			return;
		}
		job->repo_tag = image_ref_string(ref);
	}
	job->changes = http_request_query_all(req, "changes");
	const char *msg = http_request_query(req, "message");
	job->message = msg ? xstrdup(msg) : NULL;
	body_to_file(d, req, BODY_MAX_BYTES, import_body_done, job);
}
