/* POST /containers/create: check the request, merge the image's defaults as
 * docker does, write the container's directory, then record it (one
 * transaction). A directory without a record is removed at the next start. */
#define LOG_CATEGORY "container"
#include <ctype.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "container-internal.h"
#include "container-net-internal.h"
#include "container-mounts.h"
#include "container-stats.h"
#include "health.h"

static const char *const adjectives[] = {
	"agile",  "bold",  "brisk",  "calm",   "clever", "crisp",  "daring", "eager",
	"fair",	  "fond",  "gentle", "glad",   "happy",	 "hardy",  "keen",   "kind",
	"lively", "lucky", "merry",  "modest", "noble",	 "plucky", "proud",  "quick",
	"quiet",  "rapid", "ready",  "sharp",  "sleek",	 "snug",   "steady", "stoic",
	"sturdy", "sunny", "swift",  "tidy",   "trusty", "vivid",  "warm",   "wise",
};
static const char *const nouns[] = {
	"anchor", "beacon", "bollard", "bosun",	 "buoy",    "capstan",	  "cleat",   "compass",
	"cutter", "dinghy", "dock",    "ferry",	 "galley",  "harbor",	  "hawser",  "helm",
	"hull",	  "jetty",  "keel",    "ketch",	 "lantern", "lighthouse", "mast",    "mooring",
	"oar",	  "pier",   "pilot",   "quay",	 "rudder",  "schooner",	  "sextant", "skiff",
	"sloop",  "spar",   "tender",  "tiller", "wharf",   "winch",	  "yawl",    "harbormaster",
};

static bool name_in_use(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_containers; i++)
		if (strcmp(d->containers[i]->name, name) == 0)
			return true;
	return false;
}

static char *generate_name(struct daemon *d, const char *id)
{
	for (int attempt = 0; attempt < 64; attempt++) {
		unsigned a =
			(unsigned)((id[attempt % 60] * 31 + id[attempt % 60 + 1] + attempt * 7) %
				   (int)ARRAY_SIZE(adjectives));
		unsigned n = (unsigned)((id[(attempt + 3) % 60] * 17 + id[(attempt + 5) % 60] +
					 attempt * 13) %
					(int)ARRAY_SIZE(nouns));
		char *name = attempt < 10 ? xasprintf("%s_%s", adjectives[a], nouns[n])
					  : xasprintf("%s_%s%d", adjectives[a], nouns[n], attempt);
		if (!name_in_use(d, name))
			return name;
		free(name);
	}
	return xstrndup(id, 12);
}

static bool name_is_valid(const char *name)
{
	if (!isalnum((unsigned char)name[0]) || strlen(name) < 2)
		return false;
	for (const char *p = name + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

static json_object *str_array(char *const *v)
{
	return v ? jstrv(v) : NULL;
}

static bool array_empty(json_object *a)
{
	return !a || !json_object_is_type(a, json_type_array) || json_object_array_length(a) == 0;
}

/* The container's env, then the image's for keys it does not set (dockerd's order). */
static void merge_env(json_object *cfg, char *const *image_env)
{
	json_object *env = NULL, *out = json_object_new_array();
	size_t n = 0;

	json_object_object_get_ex(cfg, "Env", &env);
	if (env && json_object_is_type(env, json_type_array))
		n = json_object_array_length(env);
	for (size_t k = 0; k < n; k++)
		json_object_array_add(out, json_object_get(json_object_array_get_idx(env, k)));
	for (size_t i = 0; image_env && image_env[i]; i++) {
		size_t klen = strcspn(image_env[i], "=");
		bool overridden = false;
		for (size_t k = 0; k < n; k++) {
			const char *e = json_object_get_string(json_object_array_get_idx(env, k));
			overridden |= strncmp(e, image_env[i], klen) == 0 &&
				      (e[klen] == '=' || e[klen] == '\0');
		}
		if (!overridden)
			json_object_array_add(out, jstr(image_env[i]));
	}
	jadd(cfg, "Env", out);
}

static void merge_image(json_object *cfg, const struct image_config *ic, const char *image,
			const char *id)
{
	json_object *v = NULL, *ep = NULL, *cmd = NULL;

	if (!json_object_object_get_ex(cfg, "User", &v) || !v || !*json_object_get_string(v))
		jadd(cfg, "User", jstr(ic->user ? ic->user : ""));
	merge_env(cfg, ic->env);
	json_object_object_get_ex(cfg, "Entrypoint", &ep);
	json_object_object_get_ex(cfg, "Cmd", &cmd);
	if (array_empty(ep)) {
		if (array_empty(cmd))
			jadd(cfg, "Cmd", str_array(ic->cmd));
		jadd(cfg, "Entrypoint", str_array(ic->entrypoint));
	}
	v = NULL;
	if (!json_object_object_get_ex(cfg, "WorkingDir", &v) || !v || !*json_object_get_string(v))
		jadd(cfg, "WorkingDir", jstr(ic->working_dir ? ic->working_dir : ""));
	v = NULL;
	if ((!json_object_object_get_ex(cfg, "StopSignal", &v) || !v) && ic->stop_signal)
		jadd(cfg, "StopSignal", jstr(ic->stop_signal));
	json_object *labels = NULL;
	if (!json_object_object_get_ex(cfg, "Labels", &labels) || !labels ||
	    !json_object_is_type(labels, json_type_object)) {
		labels = json_object_new_object();
		jadd(cfg, "Labels", labels);
	}
	for (size_t i = 0; i < ic->n_labels; i++)
		if (!json_object_object_get_ex(labels, ic->labels[i].key, NULL))
			jadd(labels, ic->labels[i].key, jstr(ic->labels[i].value));
	json_object *ports = NULL;
	json_object_object_get_ex(cfg, "ExposedPorts", &ports);
	for (size_t i = 0; ic->exposed_ports && ic->exposed_ports[i]; i++) {
		if (!ports || !json_object_is_type(ports, json_type_object)) {
			ports = json_object_new_object();
			jadd(cfg, "ExposedPorts", ports);
		}
		if (!json_object_object_get_ex(ports, ic->exposed_ports[i], NULL))
			jadd(ports, ic->exposed_ports[i], json_object_new_object());
	}
	json_object *vols = NULL;
	json_object_object_get_ex(cfg, "Volumes", &vols);
	for (size_t i = 0; ic->volumes && ic->volumes[i]; i++) {
		if (!vols || !json_object_is_type(vols, json_type_object)) {
			vols = json_object_new_object();
			jadd(cfg, "Volumes", vols);
		}
		if (!json_object_object_get_ex(vols, ic->volumes[i], NULL))
			jadd(vols, ic->volumes[i], json_object_new_object());
	}
	if (vols && json_object_is_type(vols, json_type_object) &&
	    json_object_object_length(vols) == 0)
		jadd(cfg, "Volumes", NULL); /* dockerd shows none as null, not {} */
	v = NULL;
	if (!json_object_object_get_ex(cfg, "Hostname", &v) || !v || !*json_object_get_string(v))
		jadd(cfg, "Hostname", json_object_new_string_len(id, 12));
	health_config_merge(cfg, ic);
	jadd(cfg, "Image", jstr(image));
}

int container_create(struct daemon *d, json_object *body, const char *name, struct container **ret,
		     json_object **ret_warnings, struct berth_error **err)
{
	_cleanup_strv_ char **anon = NULL;
	_cleanup_json_ json_object *cfg = NULL, *hc = NULL;
	struct image_rec *img = NULL;
	const char *image = NULL;
	char id[65];
	int r;

	if (!body)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "config cannot be empty in order to create a container");
	if ((r = json_get_str(body, "", "Image", false, &image, err)) < 0)
		return r;
	if (str_is_empty(image))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "No image specified in the request");
	if (name && *name == '/')
		name++;
	if (name && *name && !name_is_valid(name))
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
			"are allowed",
			name);
	if (name && *name && name_in_use(d, name)) {
		struct container *other = NULL;
		(void)container_lookup(d, name, &other, NULL);
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "Conflict. The container name \"/%s\" is already in use by "
				       "container \"%s\". You have to remove (or rename) that "
				       "container to be able to reuse that name.",
				       name, other ? other->id : "");
	}
	if ((r = image_lookup(d, image, &img, err)) < 0)
		return r;
	_cleanup_json_ json_object *warnings = json_object_new_array();
	if ((r = container_check_config(d, body, &cfg, &hc, err)) < 0)
		return r;
	/* dockerd's verifyPlatformContainerResources: a weight the host cannot
	 * apply is dropped, with its warning (as update does) */
	json_object *bw = jget(hc, "BlkioWeight");
	if (bw && json_object_get_int(bw) > 0 && !container_blkio_weight_supported()) {
		jadd(hc, "BlkioWeight", json_object_new_int(0));
		json_object_array_add(warnings, jstr(BLKIO_WEIGHT_DISCARDED));
	}
	random_id(id);
	json_object *hn = NULL, *nm = NULL;
	char host[256];
	if (json_object_object_get_ex(hc, "NetworkMode", &nm) &&
	    strcmp(json_object_get_string(nm), "host") == 0 &&
	    (!json_object_object_get_ex(cfg, "Hostname", &hn) || !hn ||
	     !*json_object_get_string(hn)) &&
	    gethostname(host, sizeof(host) - 1) == 0) {
		host[sizeof(host) - 1] = '\0';
		jadd(cfg, "Hostname", jstr(host)); /* as dockerd: the host's name */
	}
	merge_image(cfg, img->config, image, id);
	json_object *ep = NULL, *cmd = NULL;
	json_object_object_get_ex(cfg, "Entrypoint", &ep);
	/* `--entrypoint ""` sends [""]: no entrypoint, not even the image's (dockerd). */
	if (!array_empty(ep) && json_object_array_length(ep) == 1 &&
	    !*json_object_get_string(json_object_array_get_idx(ep, 0))) {
		jadd(cfg, "Entrypoint", NULL);
		ep = NULL;
	}
	json_object_object_get_ex(cfg, "Cmd", &cmd);
	if (array_empty(ep) && array_empty(cmd))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "No command specified");

	struct container *c = xzalloc(sizeof(*c));
	memcpy(c->id, id, sizeof(id));
	c->name = name && *name ? xstrdup(name) : generate_name(d, id);
	c->image_id = xstrdup(img->id);
	c->image = xstrdup(image);
	c->created_ns = now_unix_ns();
	c->config = TAKE_PTR(cfg);
	c->host_config = TAKE_PTR(hc);
	c->status = CT_CREATED;
	container_set_paths(d, c);
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", c->dir);
	if (mkdir(c->dir, 0710) < 0 || mkdir(rootfs, 0755) < 0) {
		r = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create '%s'", c->dir);
		goto fail;
	}
	/* /etc/hosts, hostname and resolv.conf are written at start, with the
	 * addresses (container_prepare_bundle). */
	if ((r = container_volumes_setup(d, c, err)) < 0 ||
	    (r = container_net_create(d, c, jget(body, "NetworkingConfig"), err)) < 0 ||
	    (r = container_save(d, c, err)) < 0)
		goto fail;
	container_add(d, c);
	container_event(d, c, "create", NULL);
	*ret_warnings = TAKE_PTR(warnings);
	*ret = c;
	return 0;
fail:
	/* the anonymous volumes made for it (those of --volumes-from stay in use) */
	anon = container_anonymous_volumes(c);
	container_volumes_forget(c);
	(void)rm_rf(c->dir);
	container_volumes_remove(d, anon);
	json_object_put(c->config);
	json_object_put(c->host_config);
	free(c->name);
	free(c->image_id);
	free(c->image);
	free(c->dir);
	free(c->log_path);
	free(c->run_dir);
	free(c);
	return r;
}
