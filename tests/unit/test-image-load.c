/* Unit tests of image archives: load of docker-save (docker 25+ and legacy)
 * and OCI layouts built here, failures that leave no layer behind, save ->
 * load round trips, import. Unpacking layers needs root: exits 77 otherwise. */
#include <sys/wait.h>

#include "image-internal.h"
#include "tap.h"
#include "test-image-helpers.c"

__attribute__((constructor)) static void require_root(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		exit(77);
	}
}

struct env {
	char *root, *tmp, *layers;
	struct blob_store *bs;
	struct layer_store *ls;
};

static void env_open(struct env *e)
{
	e->root = scratch_dir();
	e->tmp = xasprintf("%s/tmp", e->root);
	e->layers = xasprintf("%s/layers", e->root);
	if (blob_store_open(e->root, &e->bs, NULL) < 0 ||
	    layer_store_open(e->root, &e->ls, NULL) < 0)
		abort();
}

static void env_close(struct env *e)
{
	blob_store_free(e->bs);
	layer_store_free(e->ls);
	(void)rm_rf(e->root);
	free(e->root);
	free(e->tmp);
	free(e->layers);
}

static int env_load(struct env *e, const struct tarb *archive, struct image_archive_result **ret,
		    struct berth_error **err)
{
	_cleanup_close_ int fd = mem_fd(archive->buf, archive->len);
	(void)rm_rf(e->tmp);
	if (mkdir(e->tmp, 0700) < 0)
		abort();
	return image_load(e->bs, e->ls, fd, e->tmp, NULL, NULL, ret, err);
}

/* An image in the making: layer tars, their diff ids, a config. */
struct img {
	struct tarb layers[4];
	char diff[4][DIGEST_LEN + 1];
	size_t n;
	char *config;
	char config_digest[DIGEST_LEN + 1];
};

static void img_layer(struct img *im, const char *file, const char *content)
{
	struct tarb *t = &im->layers[im->n];
	tarb_file(t, file, content);
	tarb_end(t);
	digest_of(t->buf, t->len, im->diff[im->n]);
	im->n++;
}

static void img_config(struct img *im, const char *bad_diff)
{
	struct image_config c = { .architecture = "amd64", .os = "linux" };
	char *ids[5] = { NULL };
	for (size_t i = 0; i < im->n; i++)
		ids[i] = im->diff[i];
	if (bad_diff)
		ids[im->n - 1] = (char *)bad_diff;
	c.diff_ids = ids;
	c.n_diff_ids = im->n;
	c.cmd = (char *[]){ "sh", NULL };
	im->config = image_config_to_json(&c);
	digest_of(im->config, strlen(im->config), im->config_digest);
}

static void img_free(struct img *im)
{
	for (size_t i = 0; i < im->n; i++)
		tarb_free(&im->layers[i]);
	free(im->config);
}

static char *blob_entry(const char *digest)
{
	return xasprintf("blobs/sha256/%s", digest + 7);
}

/* docker save, as docker 25+ writes it (blobs/sha256) or older (legacy). */
static void docker_archive(struct tarb *out, struct img *im, const char *tag, bool legacy)
{
	_cleanup_free_ char *cfg = legacy ? xasprintf("%s.json", im->config_digest + 7)
					  : blob_entry(im->config_digest);
	_cleanup_free_ char *layers = xstrdup("");
	tarb_file(out, cfg, im->config);
	for (size_t i = 0; i < im->n; i++) {
		_cleanup_free_ char *name =
			legacy ? xasprintf("id%zu/layer.tar", i) : blob_entry(im->diff[i]);
		tarb_data(out, name, im->layers[i].buf, im->layers[i].len);
		char *l = xasprintf("%s%s\"%s\"", layers, i ? "," : "", name);
		free(layers);
		layers = l;
	}
	_cleanup_free_ char *m =
		xasprintf("[{\"Config\":\"%s\",\"RepoTags\":%s%s%s,\"Layers\":[%s]}]", cfg,
			  tag ? "[\"" : "null", tag ? tag : "", tag ? "\"]" : "", layers);
	tarb_file(out, "manifest.json", m);
	tarb_end(out);
}

static void progress_cb(const char *id, const char *status, uint64_t cur, uint64_t total,
			void *data)
{
	int *calls = data;
	if (strcmp(status, "Loading layer") == 0 && strlen(id) == 12 && cur <= total)
		(*calls)++;
}

TEST(load_docker_save)
{
	struct env e = { 0 };
	struct img im = { 0 };
	struct tarb ar = { 0 };
	int calls = 0;

	env_open(&e);
	img_layer(&im, "a", "hello");
	img_layer(&im, "b", "world");
	img_config(&im, NULL);
	docker_archive(&ar, &im, "busybox:latest", false);
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;
	_cleanup_close_ int fd = mem_fd(ar.buf, ar.len);
	ASSERT_OK(mkdir(e.tmp, 0700));
	ASSERT_OK(image_load(e.bs, e.ls, fd, e.tmp, progress_cb, &calls, &res, NULL));
	ASSERT_EQ(res->n_items, 1);
	struct image_archive_item *it = &res->items[0];
	ASSERT_STREQ(it->config_digest, im.config_digest);
	ASSERT_STREQ(it->repo_tags[0], "busybox:latest");
	ASSERT_EQ(it->n_layers, 2);
	ASSERT_STREQ(it->chain_ids[0], im.diff[0]);
	char c2[CHAIN_ID_LEN + 1];
	layer_chain_id(im.diff[0], im.diff[1], c2);
	ASSERT_STREQ(it->chain_ids[1], c2);
	ASSERT_STREQ(it->layer_blobs[1], im.diff[1]);
	ASSERT_TRUE(layer_store_has(e.ls, c2));
	ASSERT_TRUE(blob_exists(e.bs, im.config_digest));
	ASSERT_TRUE(blob_exists(e.bs, it->manifest_digest));
	ASSERT_EQ(it->size, 10);
	ASSERT_TRUE(calls >= 2);
	tarb_free(&ar);
	img_free(&im);
	env_close(&e);
}

TEST(load_legacy_docker_save)
{
	struct env e = { 0 };
	struct img im = { 0 };
	struct tarb ar = { 0 };

	env_open(&e);
	img_layer(&im, "a", "1");
	img_layer(&im, ".wh.a", "");
	img_config(&im, NULL);
	docker_archive(&ar, &im, "docker.io/library/foo:1", true);
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;
	ASSERT_OK(env_load(&e, &ar, &res, NULL));
	ASSERT_EQ(res->n_items, 1);
	ASSERT_STREQ(res->items[0].repo_tags[0], "foo:1");
	ASSERT_STREQ(res->items[0].config_digest, im.config_digest);
	ASSERT_EQ(count_entries(e.layers, ""), 2);
	tarb_free(&ar);
	img_free(&im);
	env_close(&e);
}

/* An OCI layout with gzip layers, a multi-platform index and two tags. */
static void oci_archive(struct tarb *out, struct img *im, bool gzip, const char *bad_blob)
{
	struct image_descriptor cfg = { .media_type = MEDIA_OCI_CONFIG };
	struct image_descriptor ld[4] = { 0 };
	memcpy(cfg.digest, im->config_digest, DIGEST_LEN + 1);
	cfg.size = strlen(im->config);
	tarb_file(out, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
	_cleanup_free_ char *cname = blob_entry(im->config_digest);
	tarb_file(out, cname, im->config);
	for (size_t i = 0; i < im->n; i++) {
		size_t len = im->layers[i].len;
		_cleanup_free_ char *z = gzip ? gzip_data(im->layers[i].buf, len, &len) : NULL;
		const char *data = gzip ? z : im->layers[i].buf;
		ld[i].media_type = gzip ? MEDIA_OCI_LAYER_GZIP : MEDIA_OCI_LAYER;
		digest_of(data, len, ld[i].digest);
		ld[i].size = len;
		_cleanup_free_ char *name = blob_entry(ld[i].digest);
		tarb_data(out, name, bad_blob && i == 0 ? bad_blob : data,
			  bad_blob && i == 0 ? strlen(bad_blob) : len);
	}
	_cleanup_free_ char *m = image_manifest_build(&cfg, ld, im->n);
	char md[DIGEST_LEN + 1];
	digest_of(m, strlen(m), md);
	_cleanup_free_ char *mname = blob_entry(md);
	tarb_file(out, mname, m);
	/* An index: arm64 (absent blobs) and amd64. */
	_cleanup_free_ char *idx = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
		"{\"mediaType\":\"%s\",\"digest\":\"sha256:%064d\",\"size\":10,"
		"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
		"{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,"
		"\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}",
		MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, 0, MEDIA_OCI_MANIFEST, md, strlen(m));
	char xd[DIGEST_LEN + 1];
	digest_of(idx, strlen(idx), xd);
	_cleanup_free_ char *xname = blob_entry(xd);
	tarb_file(out, xname, idx);
	_cleanup_free_ char *top =
		xasprintf("{\"schemaVersion\":2,\"manifests\":["
			  "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":"
			  "{\"io.containerd.image.name\":\"docker.io/library/multi:1\","
			  "\"org.opencontainers.image.ref.name\":\"1\"}},"
			  "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":"
			  "{\"org.opencontainers.image.ref.name\":\"example.com/multi:2\"}}]}",
			  MEDIA_OCI_INDEX, xd, strlen(idx), MEDIA_OCI_INDEX, xd, strlen(idx));
	tarb_file(out, "index.json", top);
	tarb_end(out);
}

TEST(load_oci_layout_gzip_multiplatform)
{
	struct env e = { 0 };
	struct img im = { 0 };
	struct tarb ar = { 0 };

	env_open(&e);
	img_layer(&im, "etc/os", "oci");
	img_layer(&im, "bin/sh", "#!");
	img_config(&im, NULL);
	oci_archive(&ar, &im, true, NULL);
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;
	struct berth_error *err = NULL;
	int r = env_load(&e, &ar, &res, &err);
	if (r < 0)
		TAP_FAIL("load: %s", err->msg);
	ASSERT_EQ(res->n_items, 1);
	struct image_archive_item *it = &res->items[0];
	ASSERT_STREQ(it->config_digest, im.config_digest);
	ASSERT_EQ(strv_length(it->repo_tags), 2);
	ASSERT_STREQ(it->repo_tags[0], "multi:1");
	ASSERT_STREQ(it->repo_tags[1], "example.com/multi:2");
	/* Layer blobs are the gzip files; chains come from the diff ids. */
	ASSERT_FALSE(strcmp(it->layer_blobs[0], im.diff[0]) == 0);
	ASSERT_STREQ(it->chain_ids[0], im.diff[0]);
	ASSERT_TRUE(layer_store_has(e.ls, it->chain_ids[1]));
	ASSERT_TRUE(blob_exists(e.bs, it->manifest_digest));
	/* Saving gzip layer blobs writes them uncompressed, named by diff id. */
	struct image_save_item si = { .config_digest = it->config_digest,
				      .layer_blobs = it->layer_blobs,
				      .n_layers = it->n_layers };
	_cleanup_free_ char *out = xasprintf("%s/saved.tar", e.root);
	_cleanup_close_ int sfd = open(out, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_OK(image_save(e.bs, &si, 1, sfd, NULL));
	ASSERT_TRUE(lseek(sfd, 0, SEEK_END) > 0);
	tarb_free(&ar);
	img_free(&im);
	env_close(&e);
}

/* The load fails with msg, and leaves no layer (nor a half-unpacked one). */
static bool load_fails(struct env *e, const struct tarb *ar, const char *msg)
{
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;
	struct berth_error *err = NULL;
	int r = env_load(e, ar, &res, &err);
	bool ok = r < 0 && err && strstr(err->msg, msg) && count_entries(e->layers, "") == 0;
	if (!ok)
		printf("# load: r=%d '%s', want '%s', %zu layers\n", r, err ? err->msg : "", msg,
		       count_entries(e->layers, ""));
	else
		printf("# refused: %s\n", err->msg);
	berth_error_free(err);
	return ok;
}

TEST(load_failures_leave_no_layers)
{
	struct env e = { 0 };
	env_open(&e);

	/* The config does not match the digest its name gives. */
	struct img im = { 0 };
	img_layer(&im, "a", "x");
	img_config(&im, NULL);
	struct tarb ar = { 0 };
	docker_archive(&ar, &im, "a:b", false);
	char *p = memmem(ar.buf, ar.len, "\"amd64\"", 7);
	memcpy(p, "\"arm64\"", 7);
	ASSERT_TRUE(load_fails(&e, &ar, "invalid config 'blobs/sha256/"));
	tarb_free(&ar);
	img_free(&im);

	/* Wrong diff id for the second layer: the first, new, is removed too. */
	struct img im2 = { 0 };
	img_layer(&im2, "a", "x");
	img_layer(&im2, "b", "y");
	img_config(&im2, "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	docker_archive(&ar, &im2, NULL, true);
	_cleanup_free_ char *want = xasprintf(
		"invalid diffID for layer 1: expected "
		"sha256:1111111111111111111111111111111111111111111111111111111111111111, got %s",
		im2.diff[1]);
	ASSERT_TRUE(load_fails(&e, &ar, want));
	/* Truncated: cut in the middle of a layer. */
	ar.len = 1024 + 300;
	ASSERT_TRUE(load_fails(&e, &ar, ""));
	tarb_free(&ar);

	/* The config or a layer file named in manifest.json is missing. */
	struct tarb ar2 = { 0 };
	_cleanup_free_ char *cfg = xasprintf("%s.json", im2.config_digest + 7);
	tarb_file(&ar2, cfg, im2.config);
	tarb_data(&ar2, "id0/layer.tar", im2.layers[0].buf, im2.layers[0].len);
	tarb_file(&ar2, "manifest.json", "[{\"Config\":\"x\",\"Layers\":[]}]");
	tarb_end(&ar2);
	ASSERT_TRUE(load_fails(&e, &ar2, "open 'x' in the archive"));
	tarb_free(&ar2);
	_cleanup_free_ char *m = xasprintf(
		"[{\"Config\":\"%s\",\"Layers\":[\"id0/layer.tar\",\"nope/layer.tar\"]}]", cfg);
	tarb_file(&ar2, cfg, im2.config);
	tarb_data(&ar2, "id0/layer.tar", im2.layers[0].buf, im2.layers[0].len);
	tarb_file(&ar2, "manifest.json", m);
	tarb_end(&ar2);
	ASSERT_TRUE(load_fails(&e, &ar2, "layer 'nope/layer.tar'"));
	tarb_free(&ar2);
	img_free(&im2);

	/* Layer count and diff ids disagree. */
	struct img im3 = { 0 };
	img_layer(&im3, "a", "x");
	img_config(&im3, NULL);
	im3.n = 0;
	docker_archive(&ar, &im3, NULL, false);
	im3.n = 1;
	ASSERT_TRUE(
		load_fails(&e, &ar, "invalid manifest, layers length mismatch: expected 1, got 0"));
	tarb_free(&ar);

	/* An OCI layer blob whose content is not its digest. */
	oci_archive(&ar, &im3, true, "garbage");
	ASSERT_TRUE(load_fails(&e, &ar, ""));
	tarb_free(&ar);
	img_free(&im3);
	env_close(&e);
}

TEST(load_path_traversal_refused)
{
	struct env e = { 0 };
	struct tarb ar = { 0 };
	env_open(&e);
	tarb_file(&ar, "../evil", "pwned");
	tarb_file(&ar, "manifest.json", "[]");
	tarb_end(&ar);
	ASSERT_TRUE(load_fails(&e, &ar, ""));
	ASSERT_FALSE(path_exists(e.root, "evil"));
	tarb_free(&ar);
	env_close(&e);
}

TEST(load_empty_and_unknown_archives)
{
	struct env e = { 0 };
	struct tarb ar = { 0 };
	env_open(&e);
	tarb_file(&ar, "hello.txt", "hi");
	tarb_end(&ar);
	ASSERT_TRUE(load_fails(&e, &ar, "neither manifest.json nor index.json"));
	tarb_free(&ar);
	tarb_file(&ar, "manifest.json", "[]");
	tarb_end(&ar);
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;
	ASSERT_OK(env_load(&e, &ar, &res, NULL));
	ASSERT_EQ(res->n_items, 0);
	tarb_free(&ar);
	env_close(&e);
}
