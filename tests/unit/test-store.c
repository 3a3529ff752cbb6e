/* Unit tests of src/store: digests, the blob store, streaming ingest. */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

#define EMPTY_SHA     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA	      "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MILLION_A_SHA "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static char *make_root(void)
{
	char tmpl[] = "/tmp/berth-store-XXXXXX";

	if (!mkdtemp(tmpl))
		return NULL;
	return xstrdup(tmpl);
}

static size_t count_dir(const char *path)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	size_t n = 0;

	if (!d)
		return (size_t)-1;
	for (struct dirent *de; (de = readdir(d));)
		if (!dirent_is_dot(de))
			n++;
	return n;
}

TEST(digest_known_vectors)
{
	char buf[DIGEST_LEN + 1];

	digest_of("", 0, buf);
	ASSERT_STREQ(buf, EMPTY_SHA);
	digest_of("abc", 3, buf);
	ASSERT_STREQ(buf, ABC_SHA);

	_cleanup_(digester_freep) struct digester *d = digester_new();
	_cleanup_free_ char *a = xmalloc(1000);
	memset(a, 'a', 1000);
	for (int i = 0; i < 1000; i++)
		digester_update(d, a, 1000);
	digester_final(d, buf);
	ASSERT_STREQ(buf, MILLION_A_SHA);
}

TEST(digest_validation)
{
	ASSERT_TRUE(digest_is_valid(ABC_SHA));
	ASSERT_FALSE(digest_is_valid(NULL));
	ASSERT_FALSE(digest_is_valid(""));
	ASSERT_FALSE(digest_is_valid("sha256:"));
	ASSERT_FALSE(digest_is_valid(ABC_SHA "0"));
	ASSERT_FALSE(digest_is_valid(
		"sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
	ASSERT_FALSE(digest_is_valid(
		"sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	ASSERT_FALSE(digest_is_valid("sha256:../../../../etc/passwd"));
}

TEST(write_read_list_delete)
{
	_cleanup_free_ char *root = make_root();
	_cleanup_(blob_store_freep) struct blob_store *s = NULL;
	struct berth_error *err = NULL;
	char d[DIGEST_LEN + 1];

	ASSERT_TRUE(root);
	ASSERT_OK(blob_store_open(root, &s, &err));
	ASSERT_OK(blob_write(s, "abc", 3, d, &err));
	ASSERT_STREQ(d, ABC_SHA);
	ASSERT_TRUE(blob_exists(s, ABC_SHA));
	ASSERT_FALSE(blob_exists(s, EMPTY_SHA));
	ASSERT_OK(blob_write(s, "abc", 3, d, &err)); /* existing: no-op */

	uint64_t size = 0;
	ASSERT_OK(blob_size(s, ABC_SHA, &size));
	ASSERT_EQ(size, 3);
	_cleanup_free_ char *path = blob_path(s, ABC_SHA);
	_cleanup_free_ char *want = xasprintf("%s/blobs/sha256/%s", root, &ABC_SHA[7]);
	ASSERT_STREQ(path, want);
	ASSERT_TRUE(blob_path(s, "sha256:nope") == NULL);

	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	ASSERT_OK(blob_read(s, ABC_SHA, 100, &data, &len, &err));
	ASSERT_EQ(len, 3);
	ASSERT_STREQ(data, "abc");
	ASSERT_EQ(blob_read(s, ABC_SHA, 2, &data, &len, &err), -EFBIG);
	ASSERT_EQ(err->kind, BERTH_ERR_INVALID);
	berth_error_free(TAKE_PTR(err));
	ASSERT_EQ(blob_read(s, EMPTY_SHA, 100, &data, &len, &err), -ENOENT);
	ASSERT_EQ(err->kind, BERTH_ERR_NOT_FOUND);
	berth_error_free(TAKE_PTR(err));

	ASSERT_OK(blob_write(s, "", 0, d, &err));
	_cleanup_strv_ char **list = NULL;
	ASSERT_EQ(blob_list(s, &list, &err), 2);
	ASSERT_STREQ(list[0], ABC_SHA);
	ASSERT_STREQ(list[1], EMPTY_SHA);
	ASSERT_TRUE(list[2] == NULL);

	ASSERT_OK(blob_delete(s, ABC_SHA, &err));
	ASSERT_FALSE(blob_exists(s, ABC_SHA));
	ASSERT_EQ(blob_delete(s, ABC_SHA, &err), -ENOENT);
	ASSERT_EQ(err->kind, BERTH_ERR_NOT_FOUND);
	berth_error_free(TAKE_PTR(err));
	ASSERT_EQ(blob_delete(s, "sha256:x", &err), -EINVAL);
	berth_error_free(TAKE_PTR(err));
	(void)rm_rf(root);
}

TEST(ingest_commit_and_verify)
{
	_cleanup_free_ char *root = make_root();
	_cleanup_(blob_store_freep) struct blob_store *s = NULL;
	struct berth_error *err = NULL;
	char d[DIGEST_LEN + 1];

	ASSERT_OK(blob_store_open(root, &s, &err));
	_cleanup_(blob_ingest_freep) struct blob_ingest *in = NULL;
	ASSERT_OK(blob_ingest_begin(s, ABC_SHA, 3, &in, &err));
	ASSERT_OK(blob_ingest_write(in, "a", 1, &err));
	ASSERT_OK(blob_ingest_write(in, "bc", 2, &err));
	ASSERT_OK(blob_ingest_commit(in, d, &err));
	ASSERT_STREQ(d, ABC_SHA);
	ASSERT_TRUE(blob_exists(s, ABC_SHA));
	ASSERT_TRUE(blob_ingest_write(in, "x", 1, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	in = blob_ingest_free(in);

	/* Without an expected digest: whatever was written. */
	ASSERT_OK(blob_ingest_begin(s, NULL, 100, &in, &err));
	ASSERT_OK(blob_ingest_commit(in, d, &err));
	ASSERT_STREQ(d, EMPTY_SHA);
	in = blob_ingest_free(in);

	_cleanup_free_ char *tmp = xasprintf("%s/blobs/tmp", root);
	ASSERT_EQ(count_dir(tmp), 0);
	(void)rm_rf(root);
}

TEST(ingest_mismatch_overlong_abort_store_nothing)
{
	_cleanup_free_ char *root = make_root();
	_cleanup_(blob_store_freep) struct blob_store *s = NULL;
	struct berth_error *err = NULL;
	char d[DIGEST_LEN + 1];
	_cleanup_free_ char *tmp = xasprintf("%s/blobs/tmp", root);
	_cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", root);

	ASSERT_OK(blob_store_open(root, &s, &err));

	struct blob_ingest *in = NULL;
	ASSERT_OK(blob_ingest_begin(s, ABC_SHA, 10, &in, &err));
	ASSERT_OK(blob_ingest_write(in, "abd", 3, &err));
	ASSERT_EQ(count_dir(tmp), 1);
	ASSERT_EQ(blob_ingest_commit(in, d, &err), -EBADMSG);
	ASSERT_EQ(err->kind, BERTH_ERR_INVALID);
	ASSERT_CONTAINS(err->msg, "mismatch");
	berth_error_free(TAKE_PTR(err));
	blob_ingest_free(in);
	ASSERT_EQ(count_dir(tmp), 0);
	ASSERT_EQ(count_dir(blobs), 0);

	ASSERT_OK(blob_ingest_begin(s, NULL, 4, &in, &err));
	ASSERT_OK(blob_ingest_write(in, "abc", 3, &err));
	ASSERT_EQ(blob_ingest_write(in, "de", 2, &err), -EFBIG);
	berth_error_free(TAKE_PTR(err));
	ASSERT_TRUE(blob_ingest_commit(in, d, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	blob_ingest_free(in);
	ASSERT_EQ(count_dir(tmp), 0);
	ASSERT_EQ(count_dir(blobs), 0);

	ASSERT_OK(blob_ingest_begin(s, NULL, 100, &in, &err));
	ASSERT_OK(blob_ingest_write(in, "abc", 3, &err));
	blob_ingest_free(in); /* abort */
	ASSERT_EQ(count_dir(tmp), 0);
	ASSERT_EQ(count_dir(blobs), 0);

	ASSERT_EQ(blob_ingest_begin(s, "sha256:zz", 100, &in, &err), -EINVAL);
	berth_error_free(TAKE_PTR(err));
	(void)rm_rf(root);
}

TEST(reopen_removes_abandoned_temporary_files)
{
	_cleanup_free_ char *root = make_root();
	_cleanup_(blob_store_freep) struct blob_store *s = NULL;
	struct berth_error *err = NULL;
	_cleanup_free_ char *tmp = xasprintf("%s/blobs/tmp", root);

	ASSERT_OK(blob_store_open(root, &s, &err));
	_cleanup_free_ char *stale = xasprintf("%s/ingest-stale", tmp);
	ASSERT_OK(file_write_atomic(stale, "junk", 4, 0644));

	/* A live ingest of another handle keeps its file. */
	_cleanup_(blob_ingest_freep) struct blob_ingest *in = NULL;
	ASSERT_OK(blob_ingest_begin(s, NULL, 100, &in, &err));
	ASSERT_OK(blob_ingest_write(in, "abc", 3, &err));
	ASSERT_EQ(count_dir(tmp), 2);

	_cleanup_(blob_store_freep) struct blob_store *s2 = NULL;
	ASSERT_OK(blob_store_open(root, &s2, &err));
	ASSERT_EQ(count_dir(tmp), 1);
	char d[DIGEST_LEN + 1];
	ASSERT_OK(blob_ingest_commit(in, d, &err));
	ASSERT_STREQ(d, ABC_SHA);
	ASSERT_TRUE(blob_exists(s2, ABC_SHA));
	ASSERT_EQ(count_dir(tmp), 0);
	(void)rm_rf(root);
}

TEST(read_detects_corruption)
{
	_cleanup_free_ char *root = make_root();
	_cleanup_(blob_store_freep) struct blob_store *s = NULL;
	struct berth_error *err = NULL;
	char d[DIGEST_LEN + 1];

	ASSERT_OK(blob_store_open(root, &s, &err));
	ASSERT_OK(blob_write(s, "abc", 3, d, &err));
	_cleanup_free_ char *path = blob_path(s, d);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(pwrite(fd, "x", 1, 1), 1);

	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	ASSERT_EQ(blob_read(s, d, 100, &data, &len, &err), -EBADMSG);
	ASSERT_CONTAINS(err->msg, "corrupted");
	ASSERT_TRUE(data == NULL);
	berth_error_free(TAKE_PTR(err));
	(void)rm_rf(root);
}
