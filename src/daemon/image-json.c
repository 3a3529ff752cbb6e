/* Images in the API's JSON shapes: summaries, inspect, history, and the
 * image config as docker's ContainerConfig. */
#define LOG_CATEGORY "api"
#include <string.h>
#include <time.h>

#include "api.h"
#include "image-json.h"

json_object *image_config_api_json(const struct image_config *c)
{
	json_object *o = json_object_new_object();

	jadd(o, "Hostname", jstr(""));
	jadd(o, "Domainname", jstr(""));
	jadd(o, "User", jstr(c->user ? c->user : ""));
	jadd(o, "AttachStdin", json_object_new_boolean(0));
	jadd(o, "AttachStdout", json_object_new_boolean(0));
	jadd(o, "AttachStderr", json_object_new_boolean(0));
	if (c->exposed_ports) {
		json_object *p = json_object_new_object();
		for (size_t i = 0; c->exposed_ports[i]; i++)
			jadd(p, c->exposed_ports[i], json_object_new_object());
		jadd(o, "ExposedPorts", p);
	}
	jadd(o, "Tty", json_object_new_boolean(0));
	jadd(o, "OpenStdin", json_object_new_boolean(0));
	jadd(o, "StdinOnce", json_object_new_boolean(0));
	jadd(o, "Env", jstrv(c->env));
	jadd(o, "Cmd", jstrv(c->cmd));
	if (c->healthcheck_test) {
		json_object *h = json_object_new_object();
		jadd(h, "Test", jstrv(c->healthcheck_test));
		if (c->healthcheck_interval)
			jadd(h, "Interval", json_object_new_int64(c->healthcheck_interval));
		if (c->healthcheck_timeout)
			jadd(h, "Timeout", json_object_new_int64(c->healthcheck_timeout));
		if (c->healthcheck_start_period)
			jadd(h, "StartPeriod", json_object_new_int64(c->healthcheck_start_period));
		if (c->healthcheck_start_interval)
			jadd(h, "StartInterval",
			     json_object_new_int64(c->healthcheck_start_interval));
		if (c->healthcheck_retries)
			jadd(h, "Retries", json_object_new_int(c->healthcheck_retries));
		jadd(o, "Healthcheck", h);
	}
	jadd(o, "Image", jstr(""));
	if (c->volumes) {
		json_object *v = json_object_new_object();
		for (size_t i = 0; c->volumes[i]; i++)
			jadd(v, c->volumes[i], json_object_new_object());
		jadd(o, "Volumes", v);
	} else {
		jadd(o, "Volumes", NULL);
	}
	jadd(o, "WorkingDir", jstr(c->working_dir ? c->working_dir : ""));
	jadd(o, "Entrypoint", jstrv(c->entrypoint));
	jadd(o, "OnBuild", jstrv(c->onbuild));
	json_object *labels = NULL;
	if (c->n_labels) {
		labels = json_object_new_object();
		for (size_t i = 0; i < c->n_labels; i++)
			jadd(labels, c->labels[i].key, jstr(c->labels[i].value));
	}
	jadd(o, "Labels", labels);
	if (c->stop_signal)
		jadd(o, "StopSignal", jstr(c->stop_signal));
	if (c->shell)
		jadd(o, "Shell", jstrv(c->shell));
	return o;
}

static json_object *familiar_tags(const struct image_rec *img)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; img->tags && img->tags[i]; i++) {
		_cleanup_free_ char *f = image_familiar_tag(img->tags[i]);
		json_object_array_add(a, jstr(f));
	}
	return a;
}

static json_object *repo_digests(const struct image_rec *img)
{
	json_object *a = json_object_new_array();
	/* pulled (or pushed): what the registry resolved; else the stored manifest's */
	for (size_t i = 0; img->repo_digests && img->repo_digests[i]; i++) {
		_cleanup_free_ char *f = image_familiar_tag(img->repo_digests[i]);
		json_object_array_add(a, jstr(f));
	}
	if (!img->manifest_digest || img->repo_digests)
		return a;
	for (size_t i = 0; img->tags && img->tags[i]; i++) {
		_cleanup_(image_ref_freep) struct image_ref *r = NULL;
		if (image_ref_parse(img->tags[i], &r, NULL) < 0)
			continue;
		struct image_ref d = { .domain = r->domain,
				       .path = r->path,
				       .digest = img->manifest_digest };
		_cleanup_free_ char *f = image_ref_familiar(&d);
		bool dup = false;
		for (size_t k = 0; k < json_object_array_length(a); k++)
			dup |= strcmp(json_object_get_string(json_object_array_get_idx(a, k)), f) ==
			       0;
		if (!dup)
			json_object_array_add(a, jstr(f));
	}
	return a;
}

json_object *image_summary_json(const struct image_rec *img, int containers)
{
	json_object *o = json_object_new_object();
	json_object *labels = json_object_new_object();

	jadd(o, "Id", jstr(img->id));
	jadd(o, "ParentId", jstr(""));
	jadd(o, "RepoTags", familiar_tags(img));
	jadd(o, "RepoDigests", repo_digests(img));
	jadd(o, "Created", json_object_new_int64(img->created));
	jadd(o, "Size", json_object_new_int64((int64_t)img->size));
	jadd(o, "SharedSize", json_object_new_int(-1));
	jadd(o, "VirtualSize", json_object_new_int64((int64_t)img->size));
	for (size_t i = 0; i < img->config->n_labels; i++)
		jadd(labels, img->config->labels[i].key, jstr(img->config->labels[i].value));
	jadd(o, "Labels", labels);
	jadd(o, "Containers", json_object_new_int(containers));
	return o;
}

json_object *image_inspect_json(struct daemon *d, const struct image_rec *img)
{
	json_object *o = json_object_new_object();
	const struct image_config *c = img->config;

	jadd(o, "Id", jstr(img->id));
	jadd(o, "RepoTags", familiar_tags(img));
	jadd(o, "RepoDigests", repo_digests(img));
	jadd(o, "Parent", jstr(""));
	jadd(o, "Comment",
	     jstr(c->n_history && c->history[c->n_history - 1].comment
			  ? c->history[c->n_history - 1].comment
			  : ""));
	jadd(o, "Created", jstr(c->created ? c->created : ""));
	jadd(o, "Container", jstr(""));
	jadd(o, "DockerVersion", jstr(""));
	jadd(o, "Author", jstr(c->author ? c->author : ""));
	jadd(o, "Config", image_config_api_json(c));
	jadd(o, "Architecture", jstr(c->architecture ? c->architecture : "amd64"));
	if (c->variant)
		jadd(o, "Variant", jstr(c->variant));
	jadd(o, "Os", jstr(c->os ? c->os : "linux"));
	jadd(o, "Size", json_object_new_int64((int64_t)img->size));
	jadd(o, "VirtualSize", json_object_new_int64((int64_t)img->size));
	json_object *gd = json_object_new_object(), *gdd = json_object_new_object();
	_cleanup_free_ char *lower = xstrdup("");
	for (size_t i = img->n_layers; i > 0; i--) {
		_cleanup_free_ char *p = layer_store_path(d->layers, img->chain_ids[i - 1]);
		char *n = xasprintf("%s%s%s", lower, *lower ? ":" : "", p);
		free(lower);
		lower = n;
	}
	jadd(gdd, "LowerDir", jstr(lower));
	jadd(gd, "Data", gdd);
	jadd(gd, "Name", jstr("overlay2"));
	jadd(o, "GraphDriver", gd);
	json_object *rootfs = json_object_new_object();
	jadd(rootfs, "Type", jstr("layers"));
	jadd(rootfs, "Layers", jstrv(c->diff_ids));
	jadd(o, "RootFS", rootfs);
	json_object *meta = json_object_new_object();
	jadd(meta, "LastTagTime", jstr("0001-01-01T00:00:00Z"));
	jadd(o, "Metadata", meta);
	return o;
}

json_object *image_history_json(struct daemon *d, const struct image_rec *img)
{
	json_object *a = json_object_new_array();
	const struct image_config *c = img->config;
	size_t layer = c->n_diff_ids;

	/* Newest first; the newest entry carries the image id and tags. */
	for (size_t i = c->n_history; i > 0; i--) {
		const struct image_history *h = &c->history[i - 1];
		json_object *e = json_object_new_object();
		bool top = i == c->n_history;
		jadd(e, "Id", jstr(top ? img->id : "<missing>"));
		struct tm tm = { 0 };
		int64_t t = h->created && strptime(h->created, "%Y-%m-%dT%H:%M:%S", &tm)
				    ? (int64_t)timegm(&tm)
				    : 0;
		jadd(e, "Created", json_object_new_int64(t));
		jadd(e, "CreatedBy", jstr(h->created_by ? h->created_by : ""));
		jadd(e, "Tags", top ? familiar_tags(img) : NULL);
		uint64_t size = 0;
		if (!h->empty_layer && layer > 0) {
			layer--;
			if (layer < img->n_layers &&
			    layer_store_size(d->layers, img->chain_ids[layer], &size) < 0)
				size = 0;
		}
		jadd(e, "Size", json_object_new_int64((int64_t)size));
		jadd(e, "Comment", jstr(h->comment ? h->comment : ""));
		json_object_array_add(a, e);
	}
	if (c->n_history == 0) {
		json_object *e = json_object_new_object();
		jadd(e, "Id", jstr(img->id));
		jadd(e, "Created", json_object_new_int64(img->created));
		jadd(e, "CreatedBy", jstr(""));
		jadd(e, "Tags", familiar_tags(img));
		jadd(e, "Size", json_object_new_int64((int64_t)img->size));
		jadd(e, "Comment", jstr(""));
		json_object_array_add(a, e);
	}
	return a;
}
