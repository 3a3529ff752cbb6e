/* Unit tests of the layer store: apply (chain ids, diff id checks,
 * idempotency, concurrent applies), leftovers, list, size, remove.
 * Unpacking whiteouts needs CAP_MKNOD: as another user this exits 77. */
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "tap.h"
#include "test-image-helpers.c"

static void lower_tar(struct tarb *t)
{
	tarb_file(t, "a", "aaaa");
	tarb_file(t, "b", "bb");
	tarb_dir(t, "d/");
	tarb_file(t, "d/x", "x");
	tarb_end(t);
}

static void upper_tar(struct tarb *t)
{
	tarb_file(t, ".wh.a", "");
	tarb_dir(t, "d/");
	tarb_file(t, "d/.wh..wh..opq", "");
	tarb_file(t, "d/y", "yy");
	tarb_end(t);
}

static int apply(struct layer_store *ls, const char *parent, const struct tarb *t,
		 const char *expected, char chain[static CHAIN_ID_LEN + 1],
		 struct berth_error **err)
{
	_cleanup_close_ int fd = mem_fd(t->buf, t->len);
	char diff[DIGEST_LEN + 1];
	uint64_t size = 0;
	return layer_store_apply(ls, parent, fd, expected, chain, diff, &size, err);
}

__attribute__((constructor)) static void require_root(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		exit(77);
	}
}

TEST(apply_bottom_layer)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct tarb t = { 0 };
	char chain[CHAIN_ID_LEN + 1], diff[DIGEST_LEN + 1], want[DIGEST_LEN + 1];
	uint64_t size = 0, du = 0;

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	lower_tar(&t);
	digest_of(t.buf, t.len, want);
	_cleanup_close_ int fd = mem_fd(t.buf, t.len);
	ASSERT_OK(layer_store_apply(ls, NULL, fd, NULL, chain, diff, &size, NULL));
	ASSERT_STREQ(diff, want);
	ASSERT_STREQ(chain, want); /* the bottom layer's chain id is its diff id */
	ASSERT_TRUE(layer_store_has(ls, chain));
	_cleanup_free_ char *p = layer_store_path(ls, chain);
	_cleanup_free_ char *expect_p = xasprintf("%s/layers/%s", root, want + 7);
	ASSERT_STREQ(p, expect_p);
	ASSERT_TRUE(path_exists(p, "a"));
	ASSERT_TRUE(path_exists(p, "d/x"));
	ASSERT_EQ(size, 7);
	ASSERT_OK(layer_store_size(ls, chain, &du));
	ASSERT_EQ(du, 7);
	_cleanup_free_ char *layers = xasprintf("%s/layers", root);
	ASSERT_EQ(count_entries(layers, "tmp-"), 0);
	tarb_free(&t);
	ASSERT_OK(rm_rf(root));
}

TEST(apply_is_idempotent)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_free_ char *layers = xasprintf("%s/layers", root);
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct tarb t = { 0 };
	char c1[CHAIN_ID_LEN + 1], c2[CHAIN_ID_LEN + 1], c3[CHAIN_ID_LEN + 1];

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	lower_tar(&t);
	ASSERT_OK(apply(ls, NULL, &t, NULL, c1, NULL));
	/* Known diff id: the existing layer is verified, not unpacked again. */
	ASSERT_OK(apply(ls, NULL, &t, c1, c2, NULL));
	/* Unknown diff id: unpacked aside, then discarded. */
	ASSERT_OK(apply(ls, NULL, &t, NULL, c3, NULL));
	ASSERT_STREQ(c1, c2);
	ASSERT_STREQ(c1, c3);
	ASSERT_EQ(count_entries(layers, ""), 1);
	tarb_free(&t);
	ASSERT_OK(rm_rf(root));
}

TEST(wrong_diff_id_keeps_nothing)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_free_ char *layers = xasprintf("%s/layers", root);
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct berth_error *err = NULL;
	struct tarb t = { 0 };
	char chain[CHAIN_ID_LEN + 1], got[DIGEST_LEN + 1];
	const char *wrong =
		"sha256:0000000000000000000000000000000000000000000000000000000000000000";

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	lower_tar(&t);
	digest_of(t.buf, t.len, got);
	ASSERT_EQ(apply(ls, NULL, &t, wrong, chain, &err), -EINVAL);
	_cleanup_free_ char *msg = xasprintf("invalid diffID: expected %s, got %s", wrong, got);
	ASSERT_STREQ(err->msg, msg);
	berth_error_free(err);
	ASSERT_EQ(count_entries(layers, ""), 0);
	/* A known chain whose stream differs: refused too. */
	ASSERT_OK(apply(ls, NULL, &t, NULL, chain, NULL));
	struct tarb other = { 0 };
	upper_tar(&other);
	err = NULL;
	ASSERT_EQ(apply(ls, NULL, &other, chain, chain, &err), -EINVAL);
	ASSERT_CONTAINS(err->msg, "invalid diffID: expected");
	berth_error_free(err);
	ASSERT_EQ(count_entries(layers, ""), 1);
	tarb_free(&t);
	tarb_free(&other);
	ASSERT_OK(rm_rf(root));
}

TEST(child_layer_and_whiteouts)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct tarb lo = { 0 }, up = { 0 };
	struct berth_error *err = NULL;
	char c1[CHAIN_ID_LEN + 1], c2[CHAIN_ID_LEN + 1], want[CHAIN_ID_LEN + 1];
	char diff[DIGEST_LEN + 1];
	struct stat st;

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	lower_tar(&lo);
	upper_tar(&up);
	/* The parent must exist. */
	ASSERT_EQ(apply(ls,
			"sha256:1111111111111111111111111111111111111111111111111111111111111111",
			&up, NULL, c2, &err),
		  -ENOENT);
	ASSERT_EQ(err->kind, BERTH_ERR_NOT_FOUND);
	berth_error_free(err);
	ASSERT_OK(apply(ls, NULL, &lo, NULL, c1, NULL));
	ASSERT_OK(apply(ls, c1, &up, NULL, c2, NULL));
	digest_of(up.buf, up.len, diff);
	layer_chain_id(c1, diff, want);
	ASSERT_STREQ(c2, want);
	_cleanup_free_ char *p = layer_store_path(ls, c2);
	_cleanup_free_ char *wh = xasprintf("%s/a", p);
	ASSERT_OK(lstat(wh, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(st.st_rdev, makedev(0, 0));
	_cleanup_strv_ char **all = NULL;
	ASSERT_OK(layer_store_list(ls, &all, NULL));
	ASSERT_EQ(strv_length(all), 2);
	ASSERT_TRUE(strv_contains(all, c1));
	ASSERT_TRUE(strv_contains(all, c2));
	ASSERT_OK(layer_store_remove(ls, c2, NULL));
	ASSERT_FALSE(layer_store_has(ls, c2));
	ASSERT_EQ(layer_store_remove(ls, c2, NULL), -ENOENT);
	tarb_free(&lo);
	tarb_free(&up);
	ASSERT_OK(rm_rf(root));
}

TEST(gzip_layer)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct tarb t = { 0 };
	char chain[CHAIN_ID_LEN + 1], diff[DIGEST_LEN + 1], want[DIGEST_LEN + 1];
	size_t zlen = 0;

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	lower_tar(&t);
	digest_of(t.buf, t.len, want);
	_cleanup_free_ char *z = gzip_data(t.buf, t.len, &zlen);
	_cleanup_close_ int fd = mem_fd(z, zlen);
	ASSERT_OK(layer_store_apply(ls, NULL, fd, want, chain, diff, NULL, NULL));
	ASSERT_STREQ(diff, want);
	/* Again, known: the compressed stream is verified without unpacking. */
	_cleanup_close_ int fd2 = mem_fd(z, zlen);
	ASSERT_OK(layer_store_apply(ls, NULL, fd2, want, chain, diff, NULL, NULL));
	tarb_free(&t);
	ASSERT_OK(rm_rf(root));
}

TEST(leftovers_removed_on_open)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_free_ char *layers = xasprintf("%s/layers", root);
	_cleanup_free_ char *tmp = xasprintf("%s/tmp-abc123/usr/bin", layers);
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;

	ASSERT_OK(mkdir_p(tmp, 0755));
	ASSERT_EQ(count_entries(layers, "tmp-"), 1);
	ASSERT_OK(layer_store_open(root, &ls, NULL));
	ASSERT_EQ(count_entries(layers, "tmp-"), 0);
	ASSERT_OK(rm_rf(root));
}

TEST(concurrent_identical_applies)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_free_ char *layers = xasprintf("%s/layers", root);
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct tarb t = { 0 };
	pid_t pids[4];

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	for (int i = 0; i < 200; i++) {
		char name[32];
		(void)snprintf(name, sizeof(name), "f%d", i);
		tarb_file(&t, name, "some content");
	}
	tarb_end(&t);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		ASSERT_TRUE(pids[i] >= 0);
		if (pids[i] == 0) {
			char chain[CHAIN_ID_LEN + 1];
			_exit(apply(ls, NULL, &t, NULL, chain, NULL) < 0 ? 1 : 0);
		}
	}
	for (int i = 0; i < 4; i++) {
		int status = 0;
		ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ASSERT_EQ(count_entries(layers, ""), 1);
	tarb_free(&t);
	ASSERT_OK(rm_rf(root));
}
