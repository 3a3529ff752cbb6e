/* Unit tests of src/archive that need no privileges: unpacking files,
 * directories, links and fifos; compression and diff ids; hostile entries;
 * limits; truncated streams; plain extraction; the tar writer; throughput. */
#include <time.h>

#include "store.h"
#include "tap.h"
#include "test-archive-tar.c"

static void build_basic(struct tarbuf *t)
{
	struct tb_entry f = { .name = "./etc/conf",
			      .mode = 04750,
			      .uid = geteuid(),
			      .gid = getegid(),
			      .mtime = 1234567890,
			      .data = "hello\n",
			      .size = 6 };
	tb_simple(t, "etc/", '5', NULL);
	tb_add(t, &f);
	tb_simple(t, "etc/link", '2', "conf");
	tb_simple(t, "etc/abs", '2', "/does/not/matter");
	tb_simple(t, "etc/hard", '1', "etc/conf");
	tb_simple(t, "deep/er/file", '0', NULL);
	tb_simple(t, "fifo", '6', NULL);
	tb_end(t);
}

TEST(unpack_files_dirs_links_fifos)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	struct tarbuf t = { 0 };
	struct layer_apply_result res;
	struct berth_error *err = NULL;
	struct stat st, st2;

	build_basic(&t);
	ASSERT_OK(apply_bytes(t.data, t.len, dest, NULL, &res, &err));
	_cleanup_free_ char *c = read_file_at(dest, "etc/conf");
	ASSERT_STREQ(c, "hello\n");
	ASSERT_OK(lstat_at(dest, "etc/conf", &st));
	ASSERT_EQ(st.st_mode & 07777, 04750);
	ASSERT_EQ(st.st_mtime, 1234567890);
	ASSERT_EQ(st.st_nlink, 2);
	ASSERT_OK(lstat_at(dest, "etc/hard", &st2));
	ASSERT_EQ(st.st_ino, st2.st_ino);
	ASSERT_OK(lstat_at(dest, "etc", &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0755);
	ASSERT_EQ(st.st_mtime, 1000); /* set after its contents */
	ASSERT_OK(lstat_at(dest, "etc/link", &st));
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	_cleanup_free_ char *lp = xasprintf("%s/etc/abs", dest);
	char target[64] = { 0 };
	ASSERT_TRUE(readlink(lp, target, sizeof(target) - 1) > 0);
	ASSERT_STREQ(target, "/does/not/matter");
	ASSERT_OK(lstat_at(dest, "deep/er", &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_OK(lstat_at(dest, "fifo", &st));
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_EQ(res.size,
		  6 + strlen("conf") + strlen("/does/not/matter")); /* files and symlinks */
	ASSERT_EQ(res.tar_size, t.len);
	tb_free(&t);
	(void)rm_rf(tmp);
}

TEST(diff_id_same_for_plain_gzip_zstd)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	struct tarbuf t = { 0 };
	struct berth_error *err = NULL;
	char want[DIGEST_LEN + 1];

	build_basic(&t);
	digest_of(t.data, t.len, want);
	size_t gz_len, zs_len, h1, h2;
	_cleanup_free_ char *gz = gzip_bytes(t.data, t.len, 6, &gz_len);
	_cleanup_free_ char *zs = zstd_bytes(t.data, t.len, 3, &zs_len);
	/* Two gzip members, then zero padding. */
	_cleanup_free_ char *m1 = gzip_bytes(t.data, 700, 1, &h1);
	_cleanup_free_ char *m2 = gzip_bytes(t.data + 700, t.len - 700, 9, &h2);
	struct tarbuf multi = { 0 };
	tb_append(&multi, m1, h1);
	tb_append(&multi, m2, h2);
	tb_append(&multi, "\0\0\0\0", 4);

	const struct {
		const char *name;
		const char *data;
		size_t len;
	} cases[] = {
		{ "plain", t.data, t.len },
		{ "gzip", gz, gz_len },
		{ "zstd", zs, zs_len },
		{ "multi", multi.data, multi.len },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct layer_apply_result res;
		_cleanup_free_ char *dest = xasprintf("%s/%s", tmp, cases[i].name);
		ASSERT_OK(apply_bytes(cases[i].data, cases[i].len, dest, NULL, &res, &err));
		ASSERT_STREQ(res.diff_id, want);
		ASSERT_EQ(res.tar_size, t.len);
		_cleanup_free_ char *c = read_file_at(dest, "etc/conf");
		ASSERT_STREQ(c, "hello\n");
	}
	tb_free(&multi);
	tb_free(&t);
	(void)rm_rf(tmp);
}

/* Apply a hostile tar into tmp/dest next to tmp/outside: it must fail as
 * invalid and leave outside as it was. */
static int expect_refused(const char *tmp, struct tarbuf *t, const struct archive_limits *lim,
			  const char *why)
{
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	_cleanup_free_ char *outside = xasprintf("%s/outside", tmp);
	struct berth_error *err = NULL;
	struct layer_apply_result res;
	int ok;

	(void)rm_rf(dest);
	tb_end(t);
	int r = apply_bytes(t->data, t->len, dest, lim, &res, &err);
	ok = r < 0 && err && err->kind == BERTH_ERR_INVALID && count_entries(outside) == 1 &&
	     count_entries(tmp) == 2;
	printf("# %s: %s\n", why, err ? err->msg : "(accepted)");
	berth_error_free(err);
	tb_free(t);
	memset(t, 0, sizeof(*t));
	return ok ? 0 : -1;
}

TEST(hostile_entries_refused)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *outside = xasprintf("%s/outside", tmp);
	_cleanup_free_ char *victim = xasprintf("%s/victim", outside);
	struct tarbuf t = { 0 };
	struct archive_limits lim = { .max_path = 64 };
	_cleanup_free_ char *longname = xmalloc(5001);

	ASSERT_OK(mkdir(outside, 0755));
	ASSERT_OK(file_write_atomic(victim, "victim", 6, 0644));
	tb_file(&t, "../escape", "x");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "dotdot"));
	tb_file(&t, "/abs", "x");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "absolute"));
	tb_file(&t, "a/../../x", "x");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "inner dotdot"));
	tb_simple(&t, "a", '2', outside);
	tb_file(&t, "a/x", "x");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "file through symlink"));
	tb_simple(&t, "a", '2', "../outside");
	tb_simple(&t, "a/sub/", '5', NULL);
	ASSERT_OK(expect_refused(tmp, &t, NULL, "dir through symlink"));
	tb_file(&t, "f", "x");
	tb_simple(&t, "a", '2', outside);
	tb_simple(&t, "a/h", '1', "f");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "hard link through symlink"));
	tb_simple(&t, "s", '2', outside);
	tb_simple(&t, "h", '1', "s/victim");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "hard link target through symlink"));
	tb_simple(&t, "h", '1', "../../etc/passwd");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "hard link dotdot"));
	tb_simple(&t, "h", '1', "/etc/passwd");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "hard link absolute"));
	tb_simple(&t, "h", '1', "missing");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "hard link to nothing"));
	tb_simple(&t, "d/", '5', NULL);
	tb_simple(&t, "h", '1', "d");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "hard link to a directory"));
	tb_file(&t, "f", "x");
	tb_file(&t, "f/x", "x");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "through a file"));
	tb_file(&t, ".wh...", "");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "whiteout of dotdot"));
	tb_file(&t, "0123456789/0123456789/0123456789/0123456789/0123456789/0123456789/x", "x");
	ASSERT_OK(expect_refused(tmp, &t, &lim, "overlong path"));
	memset(longname, 'a', 5000);
	longname[5000] = '\0';
	for (size_t i = 200; i < 5000; i += 200)
		longname[i] = '/';
	tb_file(&t, longname, "x");
	ASSERT_OK(expect_refused(tmp, &t, NULL, "overlong path, default limit"));
	lim = (struct archive_limits){ .max_entries = 3 };
	for (int i = 0; i < 5; i++) {
		char name[8];
		(void)snprintf(name, sizeof(name), "f%d", i);
		tb_file(&t, name, "x");
	}
	ASSERT_OK(expect_refused(tmp, &t, &lim, "too many entries"));
	lim = (struct archive_limits){ .max_total_bytes = 4096 };
	_cleanup_free_ char *big = xzalloc(10001);
	memset(big, 'b', 10000);
	tb_file(&t, "big", big);
	ASSERT_OK(expect_refused(tmp, &t, &lim, "too large"));
	_cleanup_free_ char *v = NULL;
	ASSERT_OK(file_read_all(victim, 100, &v, NULL));
	ASSERT_STREQ(v, "victim");
	(void)rm_rf(tmp);
}

TEST(replacing_a_symlink_does_not_write_through_it)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	_cleanup_free_ char *victim = xasprintf("%s/victim", tmp);
	struct berth_error *err = NULL;
	struct tarbuf t = { 0 };
	struct stat st;

	ASSERT_OK(file_write_atomic(victim, "victim", 6, 0644));
	tb_simple(&t, "a", '2', victim);
	tb_file(&t, "a", "new");
	tb_simple(&t, "d", '2', victim);
	tb_simple(&t, "d", '5', NULL);
	tb_simple(&t, "d/x", '0', NULL);
	tb_end(&t);
	ASSERT_OK(apply_bytes(t.data, t.len, dest, NULL, NULL, &err));
	ASSERT_OK(lstat_at(dest, "a", &st));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	_cleanup_free_ char *a = read_file_at(dest, "a");
	ASSERT_STREQ(a, "new");
	ASSERT_OK(lstat_at(dest, "d/x", &st));
	_cleanup_free_ char *v = read_file_at(tmp, "victim");
	ASSERT_STREQ(v, "victim");
	tb_free(&t);
	(void)rm_rf(tmp);
}

TEST(truncated_and_garbage_streams_fail)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	struct tarbuf t = { 0 };
	struct berth_error *err = NULL;
	_cleanup_free_ char *data = xmalloc(100000);
	size_t gz_len, zs_len;

	for (size_t i = 0; i < 100000; i++)
		data[i] = (char)(i * 7 + i / 13);
	struct tb_entry f = { .name = "big", .data = data, .size = 100000 };
	tb_add(&t, &f);
	tb_end(&t);
	_cleanup_free_ char *gz = gzip_bytes(t.data, t.len, 6, &gz_len);
	_cleanup_free_ char *zs = zstd_bytes(t.data, t.len, 3, &zs_len);
	_cleanup_free_ char *d1 = xasprintf("%s/1", tmp), *d2 = xasprintf("%s/2", tmp);
	_cleanup_free_ char *d3 = xasprintf("%s/3", tmp), *d4 = xasprintf("%s/4", tmp);
	_cleanup_free_ char *d5 = xasprintf("%s/5", tmp);

	ASSERT_TRUE(apply_bytes(t.data, 50000, d1, NULL, NULL, &err) < 0);
	printf("# plain: %s\n", err->msg);
	berth_error_free(TAKE_PTR(err));
	ASSERT_TRUE(apply_bytes(gz, gz_len / 2, d2, NULL, NULL, &err) < 0);
	printf("# gzip: %s\n", err->msg);
	berth_error_free(TAKE_PTR(err));
	ASSERT_TRUE(apply_bytes(zs, zs_len - 10, d3, NULL, NULL, &err) < 0);
	printf("# zstd: %s\n", err->msg);
	berth_error_free(TAKE_PTR(err));
	ASSERT_TRUE(apply_bytes("this is not a tar archive at all, really", 40, d4, NULL, NULL,
				&err) < 0);
	printf("# garbage: %s\n", err->msg);
	ASSERT_EQ(err->kind, BERTH_ERR_INVALID);
	berth_error_free(TAKE_PTR(err));
	/* An empty stream is an empty layer. */
	struct layer_apply_result res;
	char want[DIGEST_LEN + 1];
	digest_of("", 0, want);
	ASSERT_OK(apply_bytes("", 0, d5, NULL, &res, &err));
	ASSERT_STREQ(res.diff_id, want);
	tb_free(&t);
	(void)rm_rf(tmp);
}

TEST(extract_plain_files_and_dirs_only)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	struct berth_error *err = NULL;
	struct tarbuf t = { 0 };
	struct stat st;

	struct tb_entry d = { .name = "blobs/", .type = '5', .mode = 0700, .uid = 1234 };
	struct tb_entry f = {
		.name = "blobs/x", .mode = 04600, .uid = 1234, .data = "x", .size = 1
	};
	tb_add(&t, &d);
	tb_add(&t, &f);
	tb_file(&t, "manifest.json", "[]");
	tb_end(&t);
	ASSERT_OK(mkdir(dest, 0755));
	_cleanup_close_ int fd = memfd_of(t.data, t.len);
	ASSERT_OK(archive_extract_plain(fd, dest, NULL, &err));
	ASSERT_OK(lstat_at(dest, "blobs", &st));
	ASSERT_EQ(st.st_mode & 07777, 0755);
	ASSERT_EQ(st.st_uid, geteuid());
	ASSERT_OK(lstat_at(dest, "blobs/x", &st));
	ASSERT_EQ(st.st_mode & 07777, 0644);
	ASSERT_EQ(st.st_uid, geteuid());
	tb_free(&t);

	const char types[] = { '2', '1', '3', '6' };
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		memset(&t, 0, sizeof(t));
		tb_file(&t, "manifest.json", "[]");
		tb_simple(&t, "other", types[i], "manifest.json");
		tb_end(&t);
		_cleanup_close_ int in = memfd_of(t.data, t.len);
		ASSERT_TRUE(archive_extract_plain(in, dest, NULL, &err) < 0);
		printf("# plain type %c: %s\n", types[i], err->msg);
		ASSERT_EQ(err->kind, BERTH_ERR_INVALID);
		berth_error_free(TAKE_PTR(err));
		ASSERT_TRUE(lstat_at(dest, "other", &st) < 0);
		tb_free(&t);
	}
	(void)rm_rf(tmp);
}

static int tar_to_memfd(const char *dir, int *ret, struct berth_error **err)
{
	_cleanup_(tar_writer_freep) struct tar_writer *w = NULL;
	int fd = memfd_create("out", MFD_CLOEXEC);
	int r = tar_writer_new(fd, &w, err);

	if (r == 0)
		r = tar_writer_add_tree(w, dir, NULL, err);
	if (r == 0)
		r = tar_writer_close(TAKE_PTR(w), err);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret = fd;
	return 0;
}

static char *fd_contents(int fd, size_t *len)
{
	char *data = NULL;

	if (lseek(fd, 0, SEEK_SET) < 0 || fd_read_all(fd, 1 << 30, &data, len) < 0)
		abort();
	return data;
}

TEST(tar_writer_data_file_dir)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *src = xasprintf("%s/src", tmp);
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	_cleanup_(tar_writer_freep) struct tar_writer *w = NULL;
	struct berth_error *err = NULL;
	_cleanup_close_ int fd = memfd_create("out", MFD_CLOEXEC);
	size_t len;

	ASSERT_OK(file_write_atomic(src, "from a file", 11, 0755));
	ASSERT_OK(tar_writer_new(fd, &w, &err));
	ASSERT_OK(tar_writer_add_dir(w, "blobs/sha256", &err));
	ASSERT_OK(tar_writer_add_data(w, "blobs/sha256/x", "hello", 5, &err));
	ASSERT_OK(tar_writer_add_file(w, "f", src, &err));
	ASSERT_TRUE(tar_writer_add_data(w, "../x", "", 0, &err) < 0);
	berth_error_free(TAKE_PTR(err));
	ASSERT_OK(tar_writer_close(TAKE_PTR(w), &err));
	_cleanup_free_ char *bytes = fd_contents(fd, &len);
	ASSERT_EQ(len % 512, 0);
	ASSERT_EQ(len, 512 * 5 + 1024);
	for (size_t i = len - 1024; i < len; i++)
		ASSERT_EQ(bytes[i], 0);
	ASSERT_OK(lseek(fd, 0, SEEK_SET));
	ASSERT_OK(mkdir(dest, 0755));
	ASSERT_OK(archive_extract_plain(fd, dest, NULL, &err));
	_cleanup_free_ char *x = read_file_at(dest, "blobs/sha256/x");
	ASSERT_STREQ(x, "hello");
	_cleanup_free_ char *f = read_file_at(dest, "f");
	ASSERT_STREQ(f, "from a file");
	(void)rm_rf(tmp);
}

TEST(tar_writer_tree_is_deterministic_and_round_trips)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	struct berth_error *err = NULL;
	struct tarbuf t = { 0 };
	int fd1 = -1, fd2 = -1, fd3 = -1;
	size_t l1, l2, l3;

	build_basic(&t);
	ASSERT_OK(apply_bytes(t.data, t.len, dest, NULL, NULL, &err));
	ASSERT_OK(tar_to_memfd(dest, &fd1, &err));
	ASSERT_OK(tar_to_memfd(dest, &fd2, &err));
	_cleanup_free_ char *b1 = fd_contents(fd1, &l1);
	_cleanup_free_ char *b2 = fd_contents(fd2, &l2);
	ASSERT_EQ(l1, l2);
	ASSERT_TRUE(memcmp(b1, b2, l1) == 0);
	_cleanup_free_ char *dest2 = xasprintf("%s/dest2", tmp);
	ASSERT_OK(apply_bytes(b1, l1, dest2, NULL, NULL, &err));
	ASSERT_OK(tar_to_memfd(dest2, &fd3, &err));
	_cleanup_free_ char *b3 = fd_contents(fd3, &l3);
	ASSERT_EQ(l1, l3);
	ASSERT_TRUE(memcmp(b1, b3, l1) == 0);
	close(fd1);
	close(fd2);
	close(fd3);
	tb_free(&t);
	(void)rm_rf(tmp);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* About 100 MB of text-like files (compresses about 3:1) in 5000 files. */
static void build_big_layer(struct tarbuf *t, size_t *ret_files)
{
	static const char *words[] = { "lib",  "usr", "share",	"the ",	   "data", "\n",
				       "0x7f", "ELF", "config", "static ", "int ", "return",
				       "{",    "}",   "(void)", "struct " };
	uint64_t s = 88172645463325252ULL;
	size_t files = 0;
	_cleanup_free_ char *buf = xmalloc(200000);

	for (int d = 0; d < 100; d++) {
		char name[64];
		(void)snprintf(name, sizeof(name), "usr/lib/pkg%03d/", d);
		tb_simple(t, name, '5', NULL);
		for (int f = 0; f < 50; f++, files++) {
			size_t size = 1000 + rng_next(&s) % 39000, n = 0;
			while (n < size) {
				uint64_t r = rng_next(&s);
				if (r % 4 == 0) {
					buf[n++] = (char)(r >> 8);
					continue;
				}
				const char *w = words[(r >> 16) % ARRAY_SIZE(words)];
				size_t wl = strlen(w);
				if (n + wl > size)
					wl = size - n;
				memcpy(buf + n, w, wl);
				n += wl;
			}
			(void)snprintf(name, sizeof(name), "usr/lib/pkg%03d/file%02d.so", d, f);
			struct tb_entry e = { .name = name,
					      .mode = 0755,
					      .mtime = 1700000000,
					      .data = buf,
					      .size = size };
			tb_add(t, &e);
		}
	}
	tb_end(t);
	*ret_files = files;
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Unpack one layer into a fresh directory below base; prints the rate. */
static int bench_apply(const char *base, const char *fs, const char *codec, const char *data,
		       size_t len, size_t tar_len, size_t files)
{
	_cleanup_free_ char *dest = xasprintf("%s/bench-%s", base, codec);
	_cleanup_close_ int fd = memfd_of(data, len);
	struct berth_error *err = NULL;
	struct layer_apply_result res;

	if (mkdir(dest, 0755) < 0)
		return -errno;
	double t0 = now_sec();
	int r = archive_apply_layer(fd, dest, NULL, &res, &err);
	double dt = now_sec() - t0;
	if (r == 0 && res.tar_size != tar_len)
		r = -EIO;
	if (r == 0)
		printf("# %s layer on %s: %.1f MB tar (%.1f MB compressed), %zu files in %.3f s: "
		       "%.0f MB/s uncompressed, %.0f files/s\n",
		       codec, fs, (double)tar_len / 1e6, (double)len / 1e6, files, dt,
		       (double)tar_len / 1e6 / dt, (double)files / dt);
	berth_error_free(err);
	(void)rm_rf(dest);
	return r;
}

/* tmpfs shows what the code costs; /tmp adds the file system's own cost
 * (on ext4, inode allocation dominates when inodes were just freed). */
TEST(throughput_100mb_layer)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *shm = xstrdup("/dev/shm/berth-bench-XXXXXX");
	struct tarbuf t = { 0 };
	size_t files, gz_len, zs_len;

	build_big_layer(&t, &files);
	_cleanup_free_ char *gz = gzip_bytes(t.data, t.len, 6, &gz_len);
	_cleanup_free_ char *zs = zstd_bytes(t.data, t.len, 3, &zs_len);
	if (mkdtemp(shm)) {
		ASSERT_OK(bench_apply(shm, "tmpfs", "gzip", gz, gz_len, t.len, files));
		ASSERT_OK(bench_apply(shm, "tmpfs", "zstd", zs, zs_len, t.len, files));
		ASSERT_OK(bench_apply(shm, "tmpfs", "plain", t.data, t.len, t.len, files));
		(void)rm_rf(shm);
	}
	ASSERT_OK(bench_apply(tmp, "/tmp", "gzip", gz, gz_len, t.len, files));
	tb_free(&t);
	(void)rm_rf(tmp);
}
