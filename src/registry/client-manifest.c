/* Manifests on the pull side: fetch by tag or digest, check the digest of
 * what arrived, tell indexes from image manifests (and refuse schema 1),
 * choose the platform's entry of an index, then fetch the image's config. */
#define LOG_CATEGORY "registry"
#include <string.h>

#include "client-manifest-internal.h"
#include "json-util.h"

#define MANIFEST_JSON_DEPTH 32

/* ---- platforms ---- */

static const char *arch_normalize(const char *arch, const char **variant)
{
	if (!strcmp(arch, "x86_64") || !strcmp(arch, "x86-64"))
		return "amd64";
	if (!strcmp(arch, "aarch64"))
		return "arm64";
	if (!strcmp(arch, "armhf")) {
		*variant = "v7";
		return "arm";
	}
	if (!strcmp(arch, "armel")) {
		*variant = "v6";
		return "arm";
	}
	if (!strcmp(arch, "i386") || !strcmp(arch, "i686"))
		return "386";
	return arch;
}

/* Variants compared as docker does: arm64 without one is v8, arm without
 * one is v7, amd64 v1 is amd64 without one. */
static const char *variant_normalize(const char *arch, const char *variant)
{
	if (!variant)
		variant = "";
	if (!strcmp(arch, "arm64") && (!*variant || !strcmp(variant, "8")))
		return "v8";
	if (!strcmp(arch, "arm") && !*variant)
		return "v7";
	if (!strcmp(arch, "arm") && strlen(variant) == 1 && variant[0] >= '5' &&
	    variant[0] <= '8') {
		static const char *const v[] = { "v5", "v6", "v7", "v8" };
		return v[variant[0] - '5'];
	}
	if (!strcmp(arch, "amd64") && !strcmp(variant, "v1"))
		return "";
	return variant;
}

static void platform_set(struct reg_platform *p, const char *os, const char *arch,
			 const char *variant)
{
	const char *v = variant;
	const char *a = arch_normalize(arch, &v);

	p->os = xstrdup(!strcmp(os, "macos") ? "darwin" : os);
	p->arch = xstrdup(a);
	p->variant = xstrdup(variant_normalize(a, v));
}

int reg_platform_parse(const char *s, struct reg_platform *ret, struct berth_error **err)
{
	_cleanup_free_ char *copy = NULL;
	char *parts[4] = { NULL };
	size_t n = 0;

	if (!s || !*s)
		s = "linux/amd64";
	copy = xstrdup(s);
	for (char *save = NULL, *t = strtok_r(copy, "/", &save); t;
	     t = strtok_r(NULL, "/", &save)) {
		if (n == 3)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "\"%s\": unknown operating system or architecture: "
					       "invalid argument",
					       s);
		parts[n++] = t;
	}
	if (n < 2 || strchr(s, ' '))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "\"%s\": unknown operating system or architecture: "
				       "invalid argument",
				       s);
	for (size_t i = 0; i < n; i++)
		for (char *c = parts[i]; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	platform_set(ret, parts[0], parts[1], parts[2]);
	return 0;
}

void reg_platform_clear(struct reg_platform *p)
{
	free(p->os);
	free(p->arch);
	free(p->variant);
	*p = (struct reg_platform){ 0 };
}

char *reg_platform_string(const struct reg_platform *p)
{
	if (p->variant && *p->variant)
		return xasprintf("%s/%s/%s", p->os, p->arch, p->variant);
	return xasprintf("%s/%s", p->os, p->arch);
}

/* A variant's rank ("v3" -> 3), -1 when it is not of that form. */
static int variant_rank(const char *v)
{
	if (!v[0])
		return 1;
	if (v[0] != 'v' || v[1] < '0' || v[1] > '9' || v[2])
		return -1;
	return v[1] - '0';
}

/* How well entry e fits the wanted platform: 0 not at all, higher is better.
 * An exact variant wins; on amd64 and arm a lower variant runs too (an
 * amd64/v3 machine runs v2 and v1 images, arm v7 runs v6 and v5). */
static int platform_score(const struct reg_platform *want, const struct reg_platform *e)
{
	if (!e->os || strcmp(want->os, e->os) || strcmp(want->arch, e->arch))
		return 0;
	if (!strcmp(want->variant, e->variant))
		return 100;
	if (!strcmp(want->arch, "amd64") || !strcmp(want->arch, "arm")) {
		int w = variant_rank(want->variant), g = variant_rank(e->variant);
		if (w > 0 && g > 0 && g < w)
			return 10 + g;
	}
	return 0;
}

int reg_index_choose(const struct reg_manifest *index, const struct reg_platform *p, size_t *ret,
		     struct berth_error **err)
{
	int best = 0;
	size_t best_i = 0;

	for (size_t i = 0; i < index->n_entries; i++) {
		const struct reg_descriptor *e = &index->entries[i];
		if (e->attestation || !e->platform.os ||
		    (!strcmp(e->platform.os, "unknown") && !strcmp(e->platform.arch, "unknown")))
			continue;
		int sc = platform_score(p, &e->platform);
		if (sc > best) {
			best = sc;
			best_i = i;
		}
	}
	if (best == 0) {
		_cleanup_free_ char *ps = reg_platform_string(p);
		(void)berth_error_set(err, 0, BERTH_ERR_NOT_FOUND,
				      "no matching manifest for %s in the manifest list entries",
				      ps);
		if (err && *err)
			(*err)->errnum = ENOENT;
		return -ENOENT;
	}
	*ret = best_i;
	return 0;
}

/* ---- parsing ---- */

static void descriptor_clear(struct reg_descriptor *d)
{
	free(d->media_type);
	reg_platform_clear(&d->platform);
	*d = (struct reg_descriptor){ 0 };
}

void reg_manifest_clear(struct reg_manifest *m)
{
	free(m->media_type);
	descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_entries; i++)
		descriptor_clear(&m->entries[i]);
	free(m->entries);
	*m = (struct reg_manifest){ 0 };
}

static int descriptor_parse(json_object *o, const char *path, bool with_platform,
			    struct reg_descriptor *d, struct berth_error **err)
{
	const char *mt = NULL, *dg = NULL;
	int64_t size = 0;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected an object", path);
	if ((r = json_get_str(o, path, "mediaType", false, &mt, err)) < 0 ||
	    (r = json_get_str(o, path, "digest", true, &dg, err)) < 0 ||
	    (r = json_get_int64(o, path, "size", false, &size, err)) < 0)
		return r;
	if (!digest_is_valid(dg))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s.digest: unsupported digest '%s'", path, dg);
	if (size < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s.size: negative", path);
	d->media_type = mt ? xstrdup(mt) : NULL;
	memcpy(d->digest, dg, DIGEST_LEN + 1);
	d->size = (uint64_t)size;
	if (!with_platform)
		return 0;
	json_object *plat = NULL, *ann = NULL;
	if ((r = json_get_object(o, path, "platform", false, &plat, err)) < 0 ||
	    (r = json_get_object(o, path, "annotations", false, &ann, err)) < 0)
		return r;
	if (ann && json_object_is_type(ann, json_type_object)) {
		const char *t = NULL;
		if (json_get_str(ann, path, "vnd.docker.reference.type", false, &t, NULL) > 0 &&
		    !strcmp(t, "attestation-manifest"))
			d->attestation = true;
	}
	if (plat) {
		const char *os = NULL, *arch = NULL, *variant = NULL;
		if ((r = json_get_str(plat, path, "os", true, &os, err)) < 0 ||
		    (r = json_get_str(plat, path, "architecture", true, &arch, err)) < 0 ||
		    (r = json_get_str(plat, path, "variant", false, &variant, err)) < 0)
			return r;
		platform_set(&d->platform, os, arch, variant);
	}
	return 0;
}

static const char *media_of(const char *content_type, char buf[static 128])
{
	if (!content_type)
		return "";
	size_t n = strcspn(content_type, "; \t");
	if (n >= 128)
		n = 127;
	memcpy(buf, content_type, n);
	buf[n] = '\0';
	return buf;
}

static enum reg_manifest_kind kind_of_media(const char *mt, bool *known)
{
	*known = true;
	if (!strcmp(mt, REG_MEDIA_OCI_INDEX) || !strcmp(mt, REG_MEDIA_DOCKER_LIST))
		return REG_MANIFEST_INDEX;
	if (!strcmp(mt, REG_MEDIA_OCI_MANIFEST) || !strcmp(mt, REG_MEDIA_DOCKER_MANIFEST))
		return REG_MANIFEST_IMAGE;
	if (!strcmp(mt, REG_MEDIA_DOCKER_V1) || !strcmp(mt, REG_MEDIA_DOCKER_V1_SIGNED))
		return REG_MANIFEST_SCHEMA1;
	*known = false;
	return REG_MANIFEST_KIND_MAX;
}

/* The kind from the Content-Type, else the body's mediaType, else its shape. */
static enum reg_manifest_kind kind_of(json_object *doc, const char *content_type,
				      const char **ret_media)
{
	char buf[128];
	const char *ct = media_of(content_type, buf), *mt = NULL;
	json_object *v = NULL;
	bool known;
	enum reg_manifest_kind k = kind_of_media(ct, &known);

	*ret_media = NULL;
	if (known)
		return k;
	if (json_get_str(doc, "manifest", "mediaType", false, &mt, NULL) > 0) {
		*ret_media = mt;
		k = kind_of_media(mt, &known);
		if (known)
			return k;
	}
	int64_t sv = 0;
	if (json_get_int64(doc, "manifest", "schemaVersion", false, &sv, NULL) > 0 && sv == 1)
		return REG_MANIFEST_SCHEMA1;
	if (json_object_object_get_ex(doc, "fsLayers", &v))
		return REG_MANIFEST_SCHEMA1;
	if (json_object_object_get_ex(doc, "manifests", &v))
		return REG_MANIFEST_INDEX;
	if (json_object_object_get_ex(doc, "config", &v) &&
	    json_object_object_get_ex(doc, "layers", &v))
		return REG_MANIFEST_IMAGE;
	return REG_MANIFEST_KIND_MAX;
}

static int entries_parse(json_object *doc, const char *key, bool with_platform, size_t max,
			 struct reg_manifest *m, struct berth_error **err)
{
	json_object *arr = NULL;
	int r = json_get_array(doc, "manifest", key, true, &arr, err);

	if (r < 0)
		return r;
	if (!json_object_is_type(arr, json_type_array))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "manifest.%s: expected an array",
				       key);
	size_t n = json_object_array_length(arr);
	if (n > max)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "manifest.%s: more than %zu entries", key, max);
	m->entries = xcalloc(n ? n : 1, sizeof(*m->entries));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = xasprintf("manifest.%s[%zu]", key, i);
		if ((r = descriptor_parse(json_object_array_get_idx(arr, i), p, with_platform,
					  &m->entries[i], err)) < 0)
			return r;
		m->n_entries = i + 1;
	}
	return 0;
}

int reg_manifest_parse(const char *body, size_t len, const char *content_type,
		       struct reg_manifest *ret, struct berth_error **err)
{
	_cleanup_json_ json_object *doc = NULL;
	struct reg_manifest m = { 0 };
	const char *mt = NULL;
	char buf[128];
	int r;

	if ((r = json_parse_text(body, len, MANIFEST_JSON_DEPTH, "manifest", &doc, err)) < 0)
		return r;
	if (!json_object_is_type(doc, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "manifest: expected an object");
	m.kind = kind_of(doc, content_type, &mt);
	if (!mt) {
		bool known;
		mt = media_of(content_type, buf);
		(void)kind_of_media(mt, &known);
		if (!known)
			mt = "";
	}
	m.media_type = xstrdup(mt);
	switch (m.kind) {
	case REG_MANIFEST_INDEX:
		r = entries_parse(doc, "manifests", true, REG_MAX_MANIFESTS, &m, err);
		break;
	case REG_MANIFEST_IMAGE: {
		json_object *cfg = NULL;
		if ((r = json_get_object(doc, "manifest", "config", true, &cfg, err)) < 0 ||
		    (r = descriptor_parse(cfg, "manifest.config", false, &m.config, err)) < 0)
			break;
		r = entries_parse(doc, "layers", false, REG_MAX_LAYERS, &m, err);
		break;
	}
	case REG_MANIFEST_SCHEMA1:
		r = 0;
		break;
	case REG_MANIFEST_KIND_MAX:
	default:
		r = berth_error_set(err, 0, BERTH_ERR_INVALID,
				    "unsupported manifest media type '%s'",
				    content_type ? content_type : "");
		break;
	}
	if (r < 0) {
		reg_manifest_clear(&m);
		return r;
	}
	*ret = m;
	return 0;
}

/* ---- fetching ---- */

void reg_resolved_clear(struct reg_resolved *r)
{
	free(r->index_body);
	free(r->manifest_body);
	reg_manifest_clear(&r->manifest);
	free(r->config_body);
	image_config_free(r->config);
	*r = (struct reg_resolved){ 0 };
}

/* GET the manifest `reference` (tag or digest); check its digest against
 * the reference when it is one, else against Docker-Content-Digest. A
 * refusal reads as docker's "pull access denied for <name>". */
static int manifest_get(struct reg_session *s, const char *what, const char *name,
			const char *reference, char **ret_body, size_t *ret_len, char **ret_type,
			char ret_digest[static DIGEST_LEN + 1], struct berth_error **err)
{
	static const char *const headers[] = { "Accept: " REG_MANIFEST_ACCEPT, NULL };
	_cleanup_(reg_response_clear) struct reg_response resp = { 0 };
	_cleanup_free_ char *path =
		xasprintf("/v2/%s/manifests/%s", reg_session_repo(s), reference);
	char got[DIGEST_LEN + 1];
	int r;

	if ((r = reg_request(s, "GET", path, headers, NULL, 0, REG_MANIFEST_MAX, &resp, err)) < 0)
		return r;
	if (resp.status != 200 && reg_response_denied(s, &resp))
		return reg_error_access_denied(s, &resp, "pull", name, err);
	if (resp.status != 200)
		return reg_error_from_response(s, &resp, what, err);
	digest_of(resp.body ? resp.body : "", resp.body_len, got);
	const char *want = digest_is_valid(reference)			 ? reference
			   : resp.digest && digest_is_valid(resp.digest) ? resp.digest
									 : NULL;
	if (want && strcmp(want, got) != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "manifest verification failed for digest %s", want);
	*ret_body = resp.body ? TAKE_PTR(resp.body) : xstrdup("");
	*ret_len = resp.body_len;
	*ret_type = resp.content_type ? TAKE_PTR(resp.content_type) : NULL;
	memcpy(ret_digest, got, DIGEST_LEN + 1);
	return 0;
}

struct mem_sink {
	char *buf;
	size_t len, max;
};

static int mem_sink_write(const void *data, size_t len, void *user)
{
	struct mem_sink *m = user;

	if (len > m->max - m->len)
		return -EFBIG;
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	return 0;
}

static int config_get(struct reg_session *s, const struct reg_descriptor *d, char **ret,
		      size_t *ret_len, struct berth_error **err)
{
	_cleanup_(reg_response_clear) struct reg_response resp = { 0 };
	_cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", reg_session_repo(s), d->digest);
	_cleanup_free_ char *what = xasprintf("blob %s", d->digest);
	struct mem_sink m = { .max = REG_CONFIG_MAX };
	char got[DIGEST_LEN + 1];
	int r;

	if (d->size > REG_CONFIG_MAX)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "image config %s is too large",
				       d->digest);
	m.buf = xmalloc(REG_CONFIG_MAX + 1);
	r = reg_get_stream(s, path, 0, mem_sink_write, &m, &resp, err);
	if (r < 0) {
		free(m.buf);
		return r;
	}
	if (resp.status < 200 || resp.status > 299) {
		free(m.buf);
		return reg_error_from_response(s, &resp, what, err);
	}
	digest_of(m.buf, m.len, got);
	if (strcmp(got, d->digest) != 0) {
		free(m.buf);
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "image config verification failed for digest %s", d->digest);
	}
	m.buf[m.len] = '\0';
	*ret = m.buf;
	*ret_len = m.len;
	return 0;
}

static int schema1_refused(const struct image_ref *ref, struct berth_error **err)
{
	_cleanup_free_ char *name = image_ref_familiar(ref);
	return berth_error_set(
		err, 0, BERTH_ERR_INVALID,
		"[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, "
		"schema 1 support has been removed. Suggest the author of %s to upgrade the image "
		"to the OCI Format or Docker Image manifest v2, schema 2. More information at "
		"https://docs.docker.com/go/deprecated-image-specs/",
		name);
}

static int check_image(struct reg_resolved *res, struct berth_error **err)
{
	const struct reg_manifest *m = &res->manifest;

	if (res->config->n_diff_ids != m->n_entries)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "image config has %zu diff ids but the manifest %zu layers",
				       res->config->n_diff_ids, m->n_entries);
	for (size_t i = 0; i < m->n_entries; i++)
		if (!digest_is_valid(res->config->diff_ids[i]))
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid diff id '%s'",
					       res->config->diff_ids[i]);
	return 0;
}

int reg_resolve(struct reg_session *s, const struct image_ref *ref, const char *platform,
		struct reg_resolved *ret, struct berth_error **err)
{
	_cleanup_(reg_resolved_clear) struct reg_resolved res = { 0 };
	_cleanup_(reg_platform_clear) struct reg_platform want = { 0 };
	_cleanup_free_ char *name = image_ref_familiar(ref);
	_cleanup_free_ char *what = xasprintf("manifest for %s", name);
	/* docker's FamiliarName: no tag or digest */
	const struct image_ref repo = { .domain = ref->domain, .path = ref->path };
	_cleanup_free_ char *repo_name = image_ref_familiar(&repo);
	_cleanup_free_ char *body = NULL, *type = NULL;
	size_t len = 0;
	int r;

	if ((r = reg_platform_parse(platform, &want, err)) < 0)
		return r;
	if ((r = manifest_get(s, what, repo_name, ref->digest ? ref->digest : ref->tag, &body, &len,
			      &type, res.repo_digest, err)) < 0 ||
	    (r = reg_manifest_parse(body, len, type, &res.manifest, err)) < 0)
		return r;
	if (res.manifest.kind == REG_MANIFEST_INDEX) {
		size_t i;
		char dg[DIGEST_LEN + 1];
		if ((r = reg_index_choose(&res.manifest, &want, &i, err)) < 0)
			return r;
		memcpy(dg, res.manifest.entries[i].digest, sizeof(dg));
		res.index_body = TAKE_PTR(body);
		res.index_len = len;
		free(type);
		type = NULL;
		reg_manifest_clear(&res.manifest);
		if ((r = manifest_get(s, what, repo_name, dg, &body, &len, &type,
				      res.manifest_digest, err)) < 0 ||
		    (r = reg_manifest_parse(body, len, type, &res.manifest, err)) < 0)
			return r;
		if (res.manifest.kind == REG_MANIFEST_INDEX)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "manifest %s: nested index not supported", dg);
	} else {
		memcpy(res.manifest_digest, res.repo_digest, DIGEST_LEN + 1);
	}
	if (res.manifest.kind == REG_MANIFEST_SCHEMA1)
		return schema1_refused(ref, err);
	res.manifest_body = TAKE_PTR(body);
	res.manifest_len = len;
	if ((r = config_get(s, &res.manifest.config, &res.config_body, &res.config_len, err)) < 0 ||
	    (r = image_config_parse(res.config_body, res.config_len, &res.config, err)) < 0 ||
	    (r = check_image(&res, err)) < 0)
		return r;
	*ret = res;
	res = (struct reg_resolved){ 0 };
	return 0;
}
