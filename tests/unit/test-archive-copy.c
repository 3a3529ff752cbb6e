/* archive_copy_*: the extraction behind cp (paths cleaned, nothing followed
 * out of the destination, rebasing, existing entries) and tars of one node. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "test-archive-tar.c"

/* A path in one of four rotating buffers (no allocations to free). */
static const char *pth(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *pth(const char *fmt, ...)
{
	static char bufs[4][4096];
	static unsigned next;
	char *b = bufs[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

static bool file_is(const char *dir, const char *name, const char *want)
{
	_cleanup_free_ char *got = read_file_at(dir, name);
	return got && strcmp(got, want) == 0;
}

static ssize_t fd_read(void *data, void *buf, size_t n)
{
	ssize_t k = read(*(int *)data, buf, n);
	return k < 0 ? -errno : k;
}

static int extract(struct tarbuf *t, const char *dest, const struct archive_copy_opts *o,
		   struct berth_error **err)
{
	_cleanup_close_ int fd = memfd_of(t->data, t->len);
	_cleanup_close_ int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		abort();
	return archive_copy_extract(fd_read, &fd, dfd, o, err);
}

TEST(path_clean)
{
	bool d = false;
	const char *const cases[][2] = {
		{ "/", "/" },	       { "", "/" },	     { "a/b", "/a/b" },
		{ "/a/./b/", "/a/b" }, { "/../..", "/" },    { "a/../../b", "/b" },
		{ "/a/b/..", "/a" },   { "//x//y", "/x/y" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *c = archive_copy_path_clean(cases[i][0], NULL);
		ASSERT_STREQ(c, cases[i][1]);
	}
	free(archive_copy_path_clean("/etc/.", &d));
	ASSERT_TRUE(d);
	free(archive_copy_path_clean("/etc/", &d));
	ASSERT_TRUE(d);
	free(archive_copy_path_clean("/etc", &d));
	ASSERT_FALSE(d);
}

TEST(extract_rebased_and_merged)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	struct archive_copy_opts o = { .rebase_from = "src", .rebase_to = "dst" };
	struct berth_error *err = NULL;
	struct tarbuf t = { 0 };
	struct stat st;

	ASSERT_OK(mkdir(dest, 0755));
	ASSERT_OK(mkdir(pth("%s/dst", dest), 0755));
	ASSERT_OK(file_write_atomic(pth("%s/dst/old", dest), "old", 3, 0644));
	ASSERT_OK(file_write_atomic(pth("%s/dst/f", dest), "before", 6, 0644));
	tb_simple(&t, "src/", '5', NULL);
	tb_file(&t, "src/f", "after");
	tb_simple(&t, "src/link", '2', "/etc/passwd");
	tb_simple(&t, "src/hl", '1', "src/f");
	tb_file(&t, "other", "kept name");
	tb_end(&t);
	ASSERT_OK(extract(&t, dest, &o, &err));
	ASSERT_TRUE(file_is(dest, "dst/f", "after"));
	ASSERT_TRUE(file_is(dest, "dst/old", "old"));
	ASSERT_TRUE(file_is(dest, "other", "kept name"));
	ASSERT_OK(lstat_at(dest, "dst/link", &st));
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_OK(lstat_at(dest, "dst/hl", &st));
	ASSERT_EQ(st.st_nlink, 2);
	tb_free(&t);
	(void)rm_rf(tmp);
}

TEST(no_overwrite_dir_with_file)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	struct archive_copy_opts o = { .no_overwrite_dir_nondir = true };
	struct berth_error *err = NULL;
	struct tarbuf t = { 0 };

	ASSERT_OK(mkdir(pth("%s/d", tmp), 0755));
	tb_file(&t, "d", "x");
	tb_end(&t);
	ASSERT_TRUE(extract(&t, tmp, &o, &err) < 0);
	bool said = strstr(err->msg, "cannot overwrite directory") != NULL;
	berth_error_free(err);
	ASSERT_TRUE(said);
	tb_free(&t);
	(void)rm_rf(tmp);
}

/* Each tar must fail or stay inside dest; outside/victim is untouched. */
static int hostile(const char *tmp, struct tarbuf *t, const char *why)
{
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	_cleanup_free_ char *outside = xasprintf("%s/outside", tmp);
	struct archive_copy_opts o = { 0 };
	struct berth_error *err = NULL;

	(void)rm_rf(dest);
	if (mkdir(dest, 0755) < 0)
		abort();
	tb_end(t);
	int r = extract(t, dest, &o, &err);
	printf("# %s: %s\n", why, err ? err->msg : "(accepted)");
	berth_error_free(err);
	tb_free(t);
	memset(t, 0, sizeof(*t));
	return r < 0 && count_entries(outside) == 1 && file_is(outside, "victim", "victim") ? 0
											    : -1;
}

TEST(hostile_entries_stay_inside)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *outside = xasprintf("%s/outside", tmp);
	struct tarbuf t = { 0 };

	ASSERT_OK(mkdir(outside, 0755));
	ASSERT_OK(file_write_atomic(pth("%s/victim", outside), "victim", 6, 0644));
	tb_file(&t, "../outside/victim", "x");
	ASSERT_OK(hostile(tmp, &t, "dotdot"));
	tb_simple(&t, "a", '2', outside);
	tb_file(&t, "a/victim", "x");
	ASSERT_OK(hostile(tmp, &t, "file through an absolute link"));
	tb_simple(&t, "a", '2', "../outside");
	tb_file(&t, "a/new", "x");
	ASSERT_OK(hostile(tmp, &t, "file through a relative link"));
	tb_simple(&t, "h", '1', "../outside/victim");
	ASSERT_OK(hostile(tmp, &t, "hard link out"));
	tb_simple(&t, "s", '2', outside);
	tb_simple(&t, "h", '1', "s/victim");
	ASSERT_OK(hostile(tmp, &t, "hard link through a link"));
	(void)rm_rf(tmp);
}

/* As docker's untar: an absolute name lands below the destination, and ".."
 * inside a name is resolved while it stays below it. */
TEST(absolute_and_dotdot_names_land_below)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	_cleanup_free_ char *outside = xasprintf("%s/outside", tmp);
	_cleanup_free_ char *below = xasprintf("%s/dest%s", tmp, outside);
	struct archive_copy_opts o = { 0 };
	struct berth_error *err = NULL;
	struct tarbuf t = { 0 };

	ASSERT_OK(mkdir(outside, 0755));
	ASSERT_OK(file_write_atomic(pth("%s/victim", outside), "victim", 6, 0644));
	ASSERT_OK(mkdir(dest, 0755));
	tb_file(&t, pth("%s/victim", outside), "x");
	tb_file(&t, "a/../b", "y");
	tb_file(&t, "/c/./d/../e", "z");
	tb_end(&t);
	ASSERT_OK(extract(&t, dest, &o, &err));
	ASSERT_TRUE(file_is(below, "victim", "x"));
	ASSERT_TRUE(file_is(dest, "b", "y"));
	ASSERT_TRUE(file_is(pth("%s/c", dest), "e", "z"));
	ASSERT_TRUE(file_is(outside, "victim", "victim"));
	tb_free(&t);
	(void)rm_rf(tmp);
}

TEST(node_round_trip)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *src = xasprintf("%s/src", tmp), *out = xasprintf("%s/out", tmp);
	_cleanup_close_ int sfd = -EBADF, mfd = memfd_create("t", MFD_CLOEXEC), ofd = -EBADF;
	struct archive_copy_opts o = { .rebase_from = "top", .rebase_to = "copy" };
	struct berth_error *err = NULL;
	uint64_t bytes = 0;
	struct stat st;

	ASSERT_OK(mkdir(src, 0755));
	ASSERT_OK(mkdir(out, 0755));
	ASSERT_OK(mkdir(pth("%s/d", src), 0700));
	ASSERT_OK(file_write_atomic(pth("%s/d/f", src), "data", 4, 0640));
	ASSERT_OK(symlink("f", pth("%s/d/l", src)));
	sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_OK(archive_copy_node(mfd, sfd, "d", "top", &bytes, &err));
	ASSERT_TRUE(bytes >= 3 * 512 && bytes % 512 == 0);
	ASSERT_EQ((uint64_t)lseek(mfd, 0, SEEK_CUR), bytes);
	ASSERT_OK(lseek(mfd, 0, SEEK_SET) == 0 ? 0 : -1);
	ofd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_OK(archive_copy_extract(fd_read, &mfd, ofd, &o, &err));
	ASSERT_TRUE(file_is(out, "copy/f", "data"));
	ASSERT_OK(lstat_at(out, "copy/f", &st));
	ASSERT_EQ(st.st_mode & 07777, 0640);
	ASSERT_OK(lstat_at(out, "copy", &st));
	ASSERT_EQ(st.st_mode & 07777, 0700);
	ASSERT_OK(lstat_at(out, "copy/l", &st));
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	(void)rm_rf(tmp);
}
