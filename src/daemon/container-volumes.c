/* A container's volumes: resolved at create from VolumesFrom, Binds naming
 * a volume, Mounts of type volume and Config.Volumes (the image's VOLUME and
 * `-v /path`, anonymous), and kept in <c->dir>/volumes.json, written
 * atomically before the container's record. At start the volumes are mounted
 * (tmpfs and bind options), a new empty one gets the image's content at its
 * path, and they are bound into the container; at stop they are released. */
#define LOG_CATEGORY "container"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "container-mounts.h"
#include "volumes.h"

#define ANON_LABEL "com.docker.volume.anonymous"

/* Parsed volumes.json of the containers, by id (a small cache). */
struct ct_vols {
	char id[65];
	json_object *mounts;
};
static struct ct_vols *cache;
static size_t n_cache;

json_object *container_volume_mounts(const struct container *c)
{
	for (size_t i = 0; i < n_cache; i++)
		if (strcmp(cache[i].id, c->id) == 0)
			return cache[i].mounts;
	_cleanup_free_ char *p = xasprintf("%s/volumes.json", c->dir), *text = NULL;
	json_object *m = NULL;
	if (file_read_all(p, 1 << 22, &text, NULL) == 0)
		m = json_tokener_parse(text);
	if (!m || !json_object_is_type(m, json_type_array)) {
		json_object_put(m);
		m = json_object_new_array();
	}
	cache = xrealloc(cache, (n_cache + 1) * sizeof(*cache));
	snprintf(cache[n_cache].id, sizeof(cache[n_cache].id), "%s", c->id);
	cache[n_cache++].mounts = m;
	return m;
}

void container_volumes_forget(const struct container *c)
{
	for (size_t i = 0; i < n_cache; i++)
		if (strcmp(cache[i].id, c->id) == 0) {
			json_object_put(cache[i].mounts);
			cache[i] = cache[--n_cache];
			return;
		}
}

static const char *mstr(json_object *m, const char *k)
{
	json_object *v = jget(m, k);
	return v ? json_object_get_string(v) : "";
}

static bool mbool(json_object *m, const char *k)
{
	json_object *v = jget(m, k);
	return v && json_object_get_boolean(v);
}

bool container_uses_volume(const struct container *c, const char *name)
{
	json_object *a = container_volume_mounts(c);

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		if (strcmp(mstr(m, "Type"), "volume") == 0 && strcmp(mstr(m, "Name"), name) == 0)
			return true;
	}
	return false;
}

char **container_anonymous_volumes(const struct container *c)
{
	json_object *a = container_volume_mounts(c);
	char **out = NULL;

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		struct volume *v = NULL;
		if (strcmp(mstr(m, "Type"), "volume") == 0 &&
		    volume_get(mstr(m, "Name"), &v, NULL) == 0 && v->anonymous)
			strv_push(&out, v->name);
	}
	return out;
}

void container_volumes_remove(struct daemon *d, char *const *names)
{
	for (size_t i = 0; names && names[i]; i++) {
		struct volume *v = NULL;
		_cleanup_error_ struct berth_error *e = NULL;
		if (volume_get(names[i], &v, NULL) == 0 && volume_remove(d, v, &e) < 0)
			log_debug("Volume '%s' kept: %s", names[i], e->msg);
	}
}

/* ---- create ---- */

struct resolve {
	struct daemon *d;
	json_object *out; /* the mounts so far */
	char **created;	  /* anonymous volumes made by this create */
};

static char *clean_dest(const char *p)
{
	char *s = xstrdup(p);
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

static json_object *find_dest(json_object *out, const char *dst)
{
	for (size_t i = 0; i < json_object_array_length(out); i++) {
		json_object *m = json_object_array_get_idx(out, i);
		if (strcmp(mstr(m, "Destination"), dst) == 0)
			return m;
	}
	return NULL;
}

/* Add (or, with replace, put in place of one at the same destination). */
static void put_mount(json_object *out, json_object *m, bool replace)
{
	for (size_t i = 0; i < json_object_array_length(out); i++) {
		json_object *o = json_object_array_get_idx(out, i);
		if (strcmp(mstr(o, "Destination"), mstr(m, "Destination")) == 0) {
			if (replace)
				json_object_array_put_idx(out, i, m);
			else
				json_object_put(m);
			return;
		}
	}
	json_object_array_add(out, m);
}

static int add_volume(struct resolve *rs, const char *name, const char *dst, bool rw,
		      const char *mode, bool copy, json_object *labels, json_object *opts,
		      const char *driver, bool replace, struct berth_error **err)
{
	struct volume *v = NULL;
	bool created = false, anon = str_is_empty(name);
	_cleanup_json_ json_object *lab = NULL;
	int r;

	if (anon) {
		lab = labels ? json_sorted_copy(labels) : json_object_new_object();
		jadd(lab, ANON_LABEL, jstr(""));
	}
	if ((r = volume_create(rs->d, name, driver, opts, anon ? lab : labels, anon, &v, &created,
			       err)) < 0)
		return r;
	if (created && anon)
		strv_push(&rs->created, v->name);
	json_object *m = json_object_new_object();
	_cleanup_free_ char *d = clean_dest(dst);
	jadd(m, "Type", jstr("volume"));
	jadd(m, "Name", jstr(v->name));
	jadd(m, "Destination", jstr(d));
	jadd(m, "RW", json_object_new_boolean(rw));
	jadd(m, "Mode", jstr(mode));
	jadd(m, "Copy", json_object_new_boolean(copy));
	put_mount(rs->out, m, replace);
	return 0;
}

static bool opt_has(const char *opts, const char *o)
{
	_cleanup_free_ char *copy = opts ? xstrdup(opts) : NULL;
	char *save = NULL;

	for (char *p = copy ? strtok_r(copy, ",", &save) : NULL; p; p = strtok_r(NULL, ",", &save))
		if (strcmp(p, o) == 0)
			return true;
	return false;
}

/* --volumes-from "ctr[:ro|:rw]": the other container's volumes and binds. */
static int from_container(struct resolve *rs, const char *spec, struct berth_error **err)
{
	_cleanup_free_ char *ref = xstrdup(spec);
	char *colon = strrchr(ref, ':');
	const char *mode = NULL;
	struct container *o = NULL;

	if (colon) {
		*colon = '\0';
		mode = colon + 1;
		if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid mode: %s", mode);
	}
	/* 400, not 404: a 404 to create makes the docker CLI pull the image */
	if (container_lookup(rs->d, ref, &o, NULL) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "No such container: %s", ref);
	json_object *a = container_volume_mounts(o);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = NULL;
		if (json_object_deep_copy(json_object_array_get_idx(a, i), &m, NULL) < 0)
			abort();
		if (mode)
			jadd(m, "RW", json_object_new_boolean(strcmp(mode, "rw") == 0));
		jadd(m, "Copy", json_object_new_boolean(false));
		put_mount(rs->out, m, true);
	}
	_cleanup_json_ json_object *binds = container_mounts_json_binds(o);
	for (size_t i = 0; i < json_object_array_length(binds); i++) {
		json_object *b = json_object_array_get_idx(binds, i), *m = json_object_new_object();
		jadd(m, "Type", jstr("bind"));
		jadd(m, "Source", jstr(mstr(b, "Source")));
		jadd(m, "Destination", jstr(mstr(b, "Destination")));
		jadd(m, "RW",
		     json_object_new_boolean(mode ? strcmp(mode, "rw") == 0 : mbool(b, "RW")));
		jadd(m, "Mode", jstr(mstr(b, "Mode")));
		put_mount(rs->out, m, true);
	}
	return 0;
}

static int from_binds(struct resolve *rs, json_object *hc, struct berth_error **err)
{
	json_object *binds = jget(hc, "Binds");
	int r;

	for (size_t i = 0; binds && i < json_object_array_length(binds); i++) {
		const char *b = json_object_get_string(json_object_array_get_idx(binds, i));
		_cleanup_strv_ char **parts = NULL;
		_cleanup_free_ char *copy = xstrdup(b);
		char *save = NULL;
		for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
			strv_push(&parts, p);
		if (strv_length(parts) < 2 || parts[0][0] == '/')
			continue;
		const char *opts = parts[2];
		bool rw = !opt_has(opts, "ro");
		if ((r = add_volume(rs, parts[0], parts[1], rw, opts ? opts : "z",
				    !opt_has(opts, "nocopy"), NULL, NULL,
				    json_object_get_string(jget(hc, "VolumeDriver")), true, err)) <
		    0)
			return r;
	}
	return 0;
}

/* The record of destination dst binds only sub of its volume. */
static void set_subpath(json_object *out, const char *dst, const char *sub)
{
	_cleanup_free_ char *d = clean_dest(dst);

	for (size_t i = 0; i < json_object_array_length(out); i++) {
		json_object *o = json_object_array_get_idx(out, i);
		if (strcmp(mstr(o, "Destination"), d) == 0)
			jadd(o, "Subpath", jstr(sub));
	}
}

static int from_mounts(struct resolve *rs, json_object *hc, struct berth_error **err)
{
	json_object *mounts = jget(hc, "Mounts");
	int r;

	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i);
		if (strcmp(mstr(m, "Type"), "volume") != 0)
			continue;
		json_object *vo = jget(m, "VolumeOptions"),
			    *dc = vo ? jget(vo, "DriverConfig") : NULL;
		const char *driver = dc ? mstr(dc, "Name") : NULL;
		if ((r = add_volume(rs, mstr(m, "Source"), mstr(m, "Target"), !mbool(m, "ReadOnly"),
				    "z", !(vo && mbool(vo, "NoCopy")),
				    vo ? jget(vo, "Labels") : NULL, dc ? jget(dc, "Options") : NULL,
				    driver, true, err)) < 0)
			return r;
		if (vo && !str_is_empty(mstr(vo, "Subpath")))
			set_subpath(rs->out, mstr(m, "Target"), mstr(vo, "Subpath"));
	}
	return 0;
}

/* The destinations of plain binds and tmpfs mounts: no anonymous volume there. */
static bool covered_by_user_mount(json_object *hc, const char *dst)
{
	_cleanup_free_ char *want = clean_dest(dst);
	json_object *binds = jget(hc, "Binds"), *mounts = jget(hc, "Mounts"),
		    *tmpfs = jget(hc, "Tmpfs");

	for (size_t i = 0; binds && i < json_object_array_length(binds); i++) {
		const char *b = json_object_get_string(json_object_array_get_idx(binds, i));
		const char *c1 = strchr(b, ':');
		if (!c1)
			continue;
		const char *c2 = strchr(c1 + 1, ':');
		_cleanup_free_ char *d0 =
			c2 ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : xstrdup(c1 + 1);
		_cleanup_free_ char *d = clean_dest(d0);
		if (strcmp(d, want) == 0)
			return true;
	}
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		_cleanup_free_ char *d =
			clean_dest(mstr(json_object_array_get_idx(mounts, i), "Target"));
		if (strcmp(d, want) == 0)
			return true;
	}
	if (tmpfs) {
		json_object_object_foreach (tmpfs, path, o) {
			(void)o;
			_cleanup_free_ char *d = clean_dest(path);
			if (strcmp(d, want) == 0)
				return true;
		}
	}
	return false;
}

int container_volumes_setup(struct daemon *d, struct container *c, struct berth_error **err)
{
	struct resolve rs = { .d = d, .out = json_object_new_array() };
	json_object *vf = jget(c->host_config, "VolumesFrom");
	json_object *vols = jget(c->config, "Volumes");
	int r = 0;

	for (size_t i = 0; vf && r == 0 && i < json_object_array_length(vf); i++)
		r = from_container(&rs, json_object_get_string(json_object_array_get_idx(vf, i)),
				   err);
	if (r == 0)
		r = from_binds(&rs, c->host_config, err);
	if (r == 0)
		r = from_mounts(&rs, c->host_config, err);
	if (r == 0 && vols && json_object_is_type(vols, json_type_object)) {
		json_object_object_foreach (vols, path, val) {
			(void)val;
			_cleanup_free_ char *dst = clean_dest(path);
			if (r < 0 || find_dest(rs.out, dst) ||
			    covered_by_user_mount(c->host_config, dst))
				continue;
			r = add_volume(&rs, NULL, dst, true, "", true, NULL, NULL,
				       json_object_get_string(jget(c->host_config, "VolumeDriver")),
				       false, err);
		}
	}
	_cleanup_free_ char *p = xasprintf("%s/volumes.json", c->dir);
	/* No volumes: no file (a missing one reads as none), so that a plain
	 * `run` does not pay a write and an fsync for nothing. */
	if (r == 0 && json_object_array_length(rs.out) == 0) {
		(void)unlink(p);
	} else if (r == 0) {
		const char *text = json_object_to_json_string_ext(rs.out, JSON_C_TO_STRING_PLAIN);
		if ((r = file_write_atomic(p, text, strlen(text), 0600)) < 0)
			(void)berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write '%s'", p);
	}
	container_volumes_forget(c);
	if (r < 0) {
		container_volumes_remove(d, rs.created);
		(void)unlink(p);
	}
	strv_free(rs.created);
	json_object_put(rs.out);
	return r;
}
