/* Unit tests of overlay mounts of layer chains: whiteouts and opaque
 * directories of an upper layer hide lower files, writes go to the upper
 * directory, no layers means an empty root, many layers mount. Mounting
 * needs root: as another user this exits 77. */
#include <sys/mount.h>

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

static void apply_tar(struct layer_store *ls, const char *parent, struct tarb *t,
		      char chain[static CHAIN_ID_LEN + 1])
{
	_cleanup_close_ int fd = mem_fd(t->buf, t->len);
	char diff[DIGEST_LEN + 1];
	if (layer_store_apply(ls, parent, fd, NULL, chain, diff, NULL, NULL) < 0)
		abort();
	tarb_free(t);
}

TEST(whiteouts_hide_lower_files)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_free_ char *cdir = xasprintf("%s/containers/c1", root);
	_cleanup_free_ char *target = xasprintf("%s/rootfs", cdir);
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct tarb lo = { 0 }, up = { 0 };
	char c1[CHAIN_ID_LEN + 1], c2[CHAIN_ID_LEN + 1];

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	tarb_file(&lo, "a", "lower a");
	tarb_file(&lo, "b", "lower b");
	tarb_dir(&lo, "d/");
	tarb_file(&lo, "d/x", "x");
	tarb_end(&lo);
	tarb_file(&up, ".wh.a", "");
	tarb_file(&up, "b", "upper b");
	tarb_dir(&up, "d/");
	tarb_file(&up, "d/.wh..wh..opq", "");
	tarb_file(&up, "d/y", "y");
	tarb_end(&up);
	apply_tar(ls, NULL, &lo, c1);
	apply_tar(ls, c1, &up, c2);
	ASSERT_OK(mkdir_p(target, 0755));
	char *chain[] = { c1, c2, NULL };
	ASSERT_OK(layer_mount_overlay(ls, chain, 2, cdir, target, NULL));
	ASSERT_FALSE(path_exists(target, "a"));
	ASSERT_FALSE(path_exists(target, "d/x"));
	ASSERT_TRUE(path_exists(target, "d/y"));
	_cleanup_free_ char *b = xasprintf("%s/b", target);
	_cleanup_free_ char *data = NULL;
	ASSERT_OK(file_read_all(b, 100, &data, NULL));
	ASSERT_STREQ(data, "upper b");
	/* Writes land in the container's upper directory, not in a layer. */
	_cleanup_free_ char *n = xasprintf("%s/new", target);
	ASSERT_OK(file_write_atomic(n, "n", 1, 0644));
	_cleanup_free_ char *upper = xasprintf("%s/upper", cdir);
	ASSERT_TRUE(path_exists(upper, "new"));
	_cleanup_free_ char *lp = layer_store_path(ls, c2);
	ASSERT_FALSE(path_exists(lp, "new"));
	ASSERT_OK(layer_unmount(target, NULL));
	ASSERT_FALSE(path_exists(target, "b"));
	/* Not mounted any more: tolerated. */
	ASSERT_OK(layer_unmount(target, NULL));
	/* A restart mounts the same upper and work directories again. */
	ASSERT_OK(layer_mount_overlay(ls, chain, 2, cdir, target, NULL));
	ASSERT_TRUE(path_exists(target, "new"));
	ASSERT_FALSE(path_exists(target, "a"));
	ASSERT_OK(layer_unmount(target, NULL));
	ASSERT_OK(rm_rf(root));
}

TEST(no_layers_is_an_empty_root)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_free_ char *cdir = xasprintf("%s/c", root);
	_cleanup_free_ char *target = xasprintf("%s/rootfs", cdir);
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	ASSERT_OK(mkdir_p(target, 0755));
	ASSERT_OK(layer_mount_overlay(ls, NULL, 0, cdir, target, NULL));
	ASSERT_EQ(count_entries(target, ""), 0);
	_cleanup_free_ char *f = xasprintf("%s/hello", target);
	ASSERT_OK(file_write_atomic(f, "x", 1, 0644));
	ASSERT_OK(layer_unmount(target, NULL));
	ASSERT_OK(rm_rf(root));
}

/* A volatile overlay (containers run with --rm) works like the others and can
 * be mounted again after its unmount, although overlayfs leaves a mark that
 * makes it refuse such an upper directory otherwise. */
TEST(volatile_overlay_mounts_again)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_free_ char *cdir = xasprintf("%s/c", root);
	_cleanup_free_ char *target = xasprintf("%s/rootfs", cdir);
	_cleanup_free_ char *f = xasprintf("%s/hello", target);
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct tarb lo = { 0 };
	char c1[CHAIN_ID_LEN + 1];

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	tarb_file(&lo, "a", "lower a");
	tarb_end(&lo);
	apply_tar(ls, NULL, &lo, c1);
	char *chain[] = { c1, NULL };
	ASSERT_OK(mkdir_p(target, 0755));
	ASSERT_OK(layer_mount_overlay_volatile(ls, chain, 1, cdir, target, NULL));
	ASSERT_TRUE(path_exists(target, "a"));
	ASSERT_OK(file_write_replace(f, "x", 1, 0644));
	ASSERT_OK(layer_unmount(target, NULL));
	ASSERT_OK(layer_mount_overlay_volatile(ls, chain, 1, cdir, target, NULL));
	ASSERT_TRUE(path_exists(target, "hello"));
	ASSERT_OK(layer_unmount(target, NULL));
	ASSERT_OK(rm_rf(root));
}

TEST(missing_layer_is_not_found)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct berth_error *err = NULL;
	char *chain[] = { "sha256:1111111111111111111111111111111111111111111111111111111111111111",
			  NULL };

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	ASSERT_EQ(layer_mount_overlay(ls, chain, 1, root, root, &err), -ENOENT);
	ASSERT_EQ(err->kind, BERTH_ERR_NOT_FOUND);
	berth_error_free(err);
	ASSERT_OK(rm_rf(root));
}

/* More layers than absolute paths of mount(2)'s one page could name. */
TEST(many_layers)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_free_ char *cdir = xasprintf("%s/c", root);
	_cleanup_free_ char *target = xasprintf("%s/rootfs", cdir);
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	enum { N = 120 };
	char chains[N][CHAIN_ID_LEN + 1];
	char *ids[N + 1] = { NULL };

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	for (int i = 0; i < N; i++) {
		struct tarb t = { 0 };
		char name[16], content[16];
		(void)snprintf(name, sizeof(name), "f%03d", i);
		(void)snprintf(content, sizeof(content), "%d", i);
		tarb_file(&t, name, content);
		tarb_file(&t, "top", content);
		tarb_end(&t);
		apply_tar(ls, i ? chains[i - 1] : NULL, &t, chains[i]);
		ids[i] = chains[i];
	}
	ASSERT_OK(mkdir_p(target, 0755));
	ASSERT_OK(layer_mount_overlay(ls, ids, N, cdir, target, NULL));
	ASSERT_TRUE(path_exists(target, "f000"));
	ASSERT_TRUE(path_exists(target, "f119"));
	_cleanup_free_ char *top = xasprintf("%s/top", target);
	_cleanup_free_ char *data = NULL;
	ASSERT_OK(file_read_all(top, 100, &data, NULL));
	ASSERT_STREQ(data, "119");
	ASSERT_OK(layer_unmount(target, NULL));
	ASSERT_OK(rm_rf(root));
}

/* The mount(2) path of kernels before 6.8: absolute lower paths while they fit
 * in a page, then names relative to the layer store, then E2BIG. */
TEST(legacy_mount_data_limits)
{
	_cleanup_free_ char *root = scratch_dir();
	_cleanup_free_ char *cdir = xasprintf("%s/c", root);
	_cleanup_free_ char *target = xasprintf("%s/rootfs", cdir);
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct berth_error *err = NULL;
	enum { N = 70 };
	char chains[N][CHAIN_ID_LEN + 1];
	char *ids[N + 1] = { NULL };

	ASSERT_OK(layer_store_open(root, &ls, NULL));
	for (int i = 0; i < N; i++) {
		struct tarb t = { 0 };
		char name[16];
		(void)snprintf(name, sizeof(name), "f%03d", i);
		tarb_file(&t, name, name);
		tarb_end(&t);
		apply_tar(ls, i ? chains[i - 1] : NULL, &t, chains[i]);
		ids[i] = chains[i];
	}
	ASSERT_OK(mkdir_p(target, 0755));
	/* 2 layers: absolute paths. */
	ASSERT_OK(layer_mount_overlay_with(ls, ids, 2, cdir, target, true, NULL));
	ASSERT_TRUE(path_exists(target, "f001"));
	ASSERT_OK(layer_unmount(target, NULL));
	/* 50 layers: too long as absolute paths, fine relative to the store. */
	ASSERT_OK(rm_rf(cdir));
	ASSERT_OK(mkdir_p(target, 0755));
	ASSERT_OK(layer_mount_overlay_with(ls, ids, 50, cdir, target, true, NULL));
	ASSERT_TRUE(path_exists(target, "f000"));
	ASSERT_TRUE(path_exists(target, "f049"));
	ASSERT_OK(layer_unmount(target, NULL));
	/* 70 layers: too many for one page even relative. */
	ASSERT_EQ(layer_mount_overlay_with(ls, ids, N, cdir, target, true, &err), -E2BIG);
	ASSERT_CONTAINS(err->msg, "too many layers");
	berth_error_free(err);
	ASSERT_OK(rm_rf(root));
}
