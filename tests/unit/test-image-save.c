/* Unit tests of image_save and image_import: save output is a docker-save
 * archive and an OCI layout (checked with tar(1) and by loading it back:
 * same image ids, diff ids and tags); import makes a one-layer image.
 * Unpacking layers needs root: exits 77 otherwise. */
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
	char *root, *tmp;
	struct blob_store *bs;
	struct layer_store *ls;
};

static void env_open(struct env *e)
{
	e->root = scratch_dir();
	e->tmp = xasprintf("%s/tmp", e->root);
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
}

static int env_load_fd(struct env *e, int fd, struct image_archive_result **ret,
		       struct berth_error **err)
{
	(void)rm_rf(e->tmp);
	if (mkdir(e->tmp, 0700) < 0)
		abort();
	return image_load(e->bs, e->ls, fd, e->tmp, NULL, NULL, ret, err);
}

static char *layer_tar(const char *file, const char *content, size_t *len,
		       char diff[static DIGEST_LEN + 1])
{
	struct tarb t = { 0 };
	tarb_file(&t, file, content);
	tarb_end(&t);
	digest_of(t.buf, t.len, diff);
	*len = t.len;
	return t.buf;
}

/* Two images sharing their bottom layer, in one docker 25 archive. */
static void two_images(struct tarb *out, char cfg_digest[2][DIGEST_LEN + 1])
{
	char d[3][DIGEST_LEN + 1];
	size_t len[3];
	char *l[3] = { layer_tar("base", "base", &len[0], d[0]),
		       layer_tar("one", "1", &len[1], d[1]), layer_tar("two", "2", &len[2], d[2]) };
	char *m = xstrdup("[");

	for (int i = 0; i < 3; i++) {
		_cleanup_free_ char *name = xasprintf("blobs/sha256/%s", d[i] + 7);
		tarb_data(out, name, l[i], len[i]);
		free(l[i]);
	}
	for (int i = 0; i < 2; i++) {
		struct image_config c = { .architecture = "amd64", .os = "linux" };
		char *ids[] = { d[0], d[1 + i], NULL };
		c.diff_ids = ids;
		c.n_diff_ids = 2;
		_cleanup_free_ char *j = image_config_to_json(&c);
		digest_of(j, strlen(j), cfg_digest[i]);
		_cleanup_free_ char *name = xasprintf("blobs/sha256/%s", cfg_digest[i] + 7);
		tarb_file(out, name, j);
		char *n = xasprintf(
			"%s%s{\"Config\":\"%s\",\"RepoTags\":[\"img%d:latest\",\"img%d:v1\"],"
			"\"Layers\":[\"blobs/sha256/%s\",\"blobs/sha256/%s\"]}",
			m, i ? "," : "", name, i, i, d[0] + 7, d[1 + i] + 7);
		free(m);
		m = n;
	}
	char *n = xasprintf("%s]", m);
	tarb_file(out, "manifest.json", n);
	free(n);
	free(m);
	tarb_end(out);
}

static int run(const char *cmd, char **out)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		return -errno;
	int r = fd_read_all(fileno(f), 1 << 20, out, NULL);
	int status = pclose(f);
	return r < 0 ? r : (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO);
}

static struct image_save_item save_item_of(const struct image_archive_item *it)
{
	return (struct image_save_item){ .config_digest = it->config_digest,
					 .layer_blobs = it->layer_blobs,
					 .n_layers = it->n_layers,
					 .repo_tags = it->repo_tags };
}

TEST(save_load_round_trip)
{
	struct env e = { 0 }, e2 = { 0 };
	struct tarb ar = { 0 };
	char cfg[2][DIGEST_LEN + 1];
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;
	_cleanup_(image_archive_result_freep) struct image_archive_result *res2 = NULL;

	env_open(&e);
	env_open(&e2);
	two_images(&ar, cfg);
	_cleanup_close_ int in = mem_fd(ar.buf, ar.len);
	ASSERT_OK(env_load_fd(&e, in, &res, NULL));
	ASSERT_EQ(res->n_items, 2);
	struct image_save_item items[2] = { save_item_of(&res->items[0]),
					    save_item_of(&res->items[1]) };
	_cleanup_free_ char *out = xasprintf("%s/saved.tar", e.root);
	_cleanup_close_ int fd = open(out, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(image_save(e.bs, items, 2, fd, NULL));

	/* What tar(1) sees: docker 25's file set, each shared blob once. */
	_cleanup_free_ char *cmd = xasprintf("tar -tf %s | sort | tr '\\n' ' '", out);
	_cleanup_free_ char *list = NULL;
	ASSERT_OK(run(cmd, &list));
	printf("# %s\n", list);
	ASSERT_CONTAINS(list, "index.json manifest.json oci-layout repositories");
	ASSERT_CONTAINS(list, "blobs/ ");
	size_t blobs = 0;
	for (const char *p = list; (p = strstr(p, "blobs/sha256/")); p++)
		blobs += p[13] != ' ';
	ASSERT_EQ(blobs, 2 + 3 + 2); /* configs, layers, manifests */
	_cleanup_free_ char *jq = xasprintf("tar -xOf %s manifest.json | jq -r '.[1].RepoTags[1], "
					    ".[0].Config, (.[0].Layers|length)'"
					    " | tr '\\n' ' '",
					    out);
	_cleanup_free_ char *fields = NULL;
	ASSERT_OK(run(jq, &fields));
	_cleanup_free_ char *want = xasprintf("img1:v1 blobs/sha256/%s 2 ", cfg[0] + 7);
	ASSERT_STREQ(fields, want);
	_cleanup_free_ char *jq2 =
		xasprintf("tar -xOf %s index.json | jq -r "
			  "'.manifests[0].annotations[\"io.containerd.image.name\"],"
			  " (.manifests|length)' | tr '\\n' ' '",
			  out);
	_cleanup_free_ char *idx = NULL;
	ASSERT_OK(run(jq2, &idx));
	ASSERT_STREQ(idx, "docker.io/library/img0:latest 4 ");
	_cleanup_free_ char *jq3 = xasprintf("tar -xOf %s repositories | jq -c 'keys'", out);
	_cleanup_free_ char *repos = NULL;
	ASSERT_OK(run(jq3, &repos));
	ASSERT_STREQ(repos, "[\"img0\",\"img1\"]\n");

	/* Loaded back elsewhere: same ids, chains and tags, and a manifest. */
	ASSERT_TRUE(lseek(fd, 0, SEEK_SET) == 0);
	struct berth_error *err = NULL;
	if (env_load_fd(&e2, fd, &res2, &err) < 0)
		TAP_FAIL("load saved: %s", err->msg);
	ASSERT_EQ(res2->n_items, 2);
	for (size_t i = 0; i < 2; i++) {
		ASSERT_STREQ(res2->items[i].config_digest, cfg[i]);
		ASSERT_STREQ(res2->items[i].chain_ids[1], res->items[i].chain_ids[1]);
		ASSERT_EQ(strv_length(res2->items[i].repo_tags), 2);
		ASSERT_STREQ(res2->items[i].repo_tags[1], res->items[i].repo_tags[1]);
		ASSERT_TRUE(res2->items[i].manifest_digest[0] != '\0');
	}
	tarb_free(&ar);
	env_close(&e);
	env_close(&e2);
}

TEST(save_untagged_and_empty)
{
	struct env e = { 0 };
	env_open(&e);
	struct image_config c = { .architecture = "amd64", .os = "linux" };
	_cleanup_free_ char *j = image_config_to_json(&c);
	char cfg[DIGEST_LEN + 1];
	ASSERT_OK(blob_write(e.bs, j, strlen(j), cfg, NULL));
	struct image_save_item it = { .config_digest = cfg };
	_cleanup_free_ char *out = xasprintf("%s/saved.tar", e.root);
	_cleanup_close_ int fd = open(out, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_OK(image_save(e.bs, &it, 1, fd, NULL));
	_cleanup_free_ char *cmd = xasprintf("tar -xOf %s manifest.json", out);
	_cleanup_free_ char *m = NULL;
	ASSERT_OK(run(cmd, &m));
	_cleanup_free_ char *want = xasprintf(
		"[{\"Config\":\"blobs/sha256/%s\",\"RepoTags\":null,\"Layers\":[]}]", cfg + 7);
	ASSERT_STREQ(m, want);
	/* A config whose diff ids disagree with the layers given. */
	struct image_save_item bad = { .config_digest = cfg,
				       .layer_blobs = (char *[]){ cfg, NULL },
				       .n_layers = 1 };
	struct berth_error *err = NULL;
	ASSERT_TRUE(image_save(e.bs, &bad, 1, fd, &err) < 0);
	ASSERT_CONTAINS(err->msg, "1 layers, but 0 diff ids");
	berth_error_free(err);
	env_close(&e);
}

TEST(import_rootfs)
{
	struct env e = { 0 }, e2 = { 0 };
	char diff[DIGEST_LEN + 1];
	size_t len = 0, zlen = 0;
	env_open(&e);
	env_open(&e2);
	_cleanup_free_ char *tar = layer_tar("etc/hostname", "imported", &len, diff);
	_cleanup_free_ char *z = gzip_data(tar, len, &zlen);
	_cleanup_close_ int fd = mem_fd(z, zlen);
	_cleanup_(image_config_freep) struct image_config *c = xzalloc(sizeof(*c));
	c->cmd = xcalloc(2, sizeof(char *));
	c->cmd[0] = xstrdup("/bin/sh");
	struct image_archive_item it = { 0 };
	ASSERT_OK(image_import(e.bs, e.ls, fd, e.tmp, c, &it, NULL));
	ASSERT_EQ(it.n_layers, 1);
	ASSERT_STREQ(it.chain_ids[0], diff);
	ASSERT_TRUE(layer_store_has(e.ls, diff));
	ASSERT_STREQ(it.layer_blobs[0], diff); /* stored uncompressed */
	ASSERT_STREQ(c->diff_ids[0], diff);
	ASSERT_STREQ(c->history[0].comment, "Imported from -");
	ASSERT_STREQ(c->architecture, "amd64");
	_cleanup_free_ char *j = NULL;
	size_t jlen = 0;
	ASSERT_OK(blob_read(e.bs, it.config_digest, 1 << 20, &j, &jlen, NULL));
	ASSERT_CONTAINS(j, "\"comment\":\"Imported from -\"");
	ASSERT_CONTAINS(j, "\"Cmd\":[\"/bin/sh\"]");
	ASSERT_TRUE(blob_exists(e.bs, it.manifest_digest));
	ASSERT_EQ(it.size, 8);
	image_archive_item_clear(&it);

	/* An uncompressed import saves and loads back. */
	_cleanup_close_ int fd2 = mem_fd(tar, len);
	_cleanup_(image_config_freep) struct image_config *c2 = xzalloc(sizeof(*c2));
	ASSERT_OK(image_import(e.bs, e.ls, fd2, e.tmp, c2, &it, NULL));
	ASSERT_STREQ(it.layer_blobs[0], diff);
	struct image_save_item si = save_item_of(&it);
	si.repo_tags = (char *[]){ "imported:1", NULL };
	_cleanup_free_ char *out = xasprintf("%s/saved.tar", e.root);
	_cleanup_close_ int sfd = open(out, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_OK(image_save(e.bs, &si, 1, sfd, NULL));
	ASSERT_TRUE(lseek(sfd, 0, SEEK_SET) == 0);
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;
	ASSERT_OK(env_load_fd(&e2, sfd, &res, NULL));
	ASSERT_STREQ(res->items[0].config_digest, it.config_digest);
	ASSERT_STREQ(res->items[0].repo_tags[0], "imported:1");
	image_archive_item_clear(&it);
	env_close(&e);
	env_close(&e2);
}
