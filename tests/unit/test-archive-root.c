/* Unit tests of src/archive that need root (owners, device nodes, trusted.*
 * xattrs, overlay whiteouts): skipped (77) otherwise. */
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "tap.h"
#include "test-archive-tar.c"

__attribute__((constructor)) static void require_root(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		exit(77);
	}
}

static ssize_t xattr_of(const char *dir, const char *name, const char *key, char *buf, size_t n)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);

	return lgetxattr(p, key, buf, n);
}

TEST(owners_modes_times_devices_xattrs)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	struct berth_error *err = NULL;
	struct tarbuf t = { 0 }, px = { 0 }, pd = { 0 }, ps = { 0 };
	struct stat st;
	char buf[64];
	/* VFS_CAP_REVISION_2 | effective, permitted CAP_NET_BIND_SERVICE */
	const unsigned char cap[20] = { 1, 0, 0, 2, 0, 4 };

	tb_rec(&px, "mtime", "1234567890.123456789", 20);
	tb_rec(&px, "atime", "1111111111.5", 12);
	tb_rec(&px, "SCHILY.xattr.user.foo", "bar", 3);
	tb_rec(&px, "SCHILY.xattr.trusted.t", "a\0b", 3);
	tb_rec(&px, "SCHILY.xattr.trusted.overlay.redirect", "/etc", 4);
	tb_rec(&px, "SCHILY.xattr.security.capability", cap, sizeof(cap));
	tb_rec(&px, "LIBARCHIVE.xattr.user.b64", "aGVsbG8", 7);
	tb_rec(&pd, "SCHILY.xattr.trusted.dir", "d", 1);
	tb_rec(&ps, "SCHILY.xattr.trusted.sym", "s", 1);
	struct tb_entry entries[] = {
		{ .name = "dir/",
		  .type = '5',
		  .mode = 01777,
		  .uid = 1000,
		  .gid = 1001,
		  .mtime = 2000,
		  .pax = &pd },
		{ .name = "dir/suid",
		  .mode = 06755,
		  .uid = 1234,
		  .gid = 5678,
		  .data = "#!",
		  .size = 2,
		  .pax = &px },
		{ .name = "dir/sym",
		  .type = '2',
		  .uid = 42,
		  .gid = 43,
		  .mtime = 3000,
		  .link = "suid",
		  .pax = &ps },
		{ .name = "dev/null", .type = '3', .mode = 0666, .major = 1, .minor = 3 },
		{ .name = "dev/loop0", .type = '4', .mode = 0660, .gid = 6, .major = 7 },
		{ .name = "dev/fifo", .type = '6', .mode = 0620, .uid = 99, .mtime = 4000 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(entries); i++)
		tb_add(&t, &entries[i]);
	tb_end(&t);
	ASSERT_OK(apply_bytes(t.data, t.len, dest, NULL, NULL, &err));

	ASSERT_OK(lstat_at(dest, "dir", &st));
	ASSERT_EQ(st.st_mode, S_IFDIR | 01777);
	ASSERT_EQ(st.st_uid, 1000);
	ASSERT_EQ(st.st_gid, 1001);
	ASSERT_EQ(st.st_mtime, 2000);
	ASSERT_EQ(xattr_of(dest, "dir", "trusted.dir", buf, sizeof(buf)), 1);
	ASSERT_OK(lstat_at(dest, "dir/suid", &st));
	ASSERT_EQ(st.st_mode, S_IFREG | 06755);
	ASSERT_EQ(st.st_uid, 1234);
	ASSERT_EQ(st.st_gid, 5678);
	ASSERT_EQ(st.st_mtim.tv_sec, 1234567890);
	ASSERT_EQ(st.st_mtim.tv_nsec, 123456789);
	ASSERT_EQ(st.st_atim.tv_sec, 1111111111);
	ASSERT_EQ(st.st_atim.tv_nsec, 500000000);
	ASSERT_EQ(xattr_of(dest, "dir/suid", "user.foo", buf, sizeof(buf)), 3);
	ASSERT_TRUE(memcmp(buf, "bar", 3) == 0);
	ASSERT_EQ(xattr_of(dest, "dir/suid", "trusted.t", buf, sizeof(buf)), 3);
	ASSERT_TRUE(memcmp(buf, "a\0b", 3) == 0);
	ASSERT_EQ(xattr_of(dest, "dir/suid", "user.b64", buf, sizeof(buf)), 5);
	ASSERT_TRUE(memcmp(buf, "hello", 5) == 0);
	ASSERT_EQ(xattr_of(dest, "dir/suid", "security.capability", buf, sizeof(buf)), 20);
	ASSERT_TRUE(memcmp(buf, cap, 20) == 0);
	ASSERT_TRUE(xattr_of(dest, "dir/suid", "trusted.overlay.redirect", buf, sizeof(buf)) < 0);
	ASSERT_OK(lstat_at(dest, "dir/sym", &st));
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_EQ(st.st_uid, 42);
	ASSERT_EQ(st.st_gid, 43);
	ASSERT_EQ(st.st_mtime, 3000);
	ASSERT_EQ(xattr_of(dest, "dir/sym", "trusted.sym", buf, sizeof(buf)), 1);
	ASSERT_OK(lstat_at(dest, "dev/null", &st));
	ASSERT_EQ(st.st_mode, S_IFCHR | 0666);
	ASSERT_EQ(st.st_rdev, makedev(1, 3));
	ASSERT_OK(lstat_at(dest, "dev/loop0", &st));
	ASSERT_EQ(st.st_mode, S_IFBLK | 0660);
	ASSERT_EQ(st.st_rdev, makedev(7, 0));
	ASSERT_EQ(st.st_gid, 6);
	ASSERT_OK(lstat_at(dest, "dev/fifo", &st));
	ASSERT_EQ(st.st_mode, S_IFIFO | 0620);
	ASSERT_EQ(st.st_uid, 99);
	ASSERT_EQ(st.st_mtime, 4000);
	tb_free(&t);
	tb_free(&px);
	tb_free(&pd);
	tb_free(&ps);
	(void)rm_rf(tmp);
}

static bool is_whiteout(const char *dir, const char *name)
{
	struct stat st;

	return lstat_at(dir, name, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0;
}

TEST(whiteouts_and_opaque_directories)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *dest = xasprintf("%s/dest", tmp);
	struct berth_error *err = NULL;
	struct tarbuf t = { 0 };
	char buf[8];

	tb_simple(&t, "d/", '5', NULL);
	tb_file(&t, "d/old", "old");
	tb_simple(&t, "d2/", '5', NULL);
	tb_file(&t, "d2/f", "f");
	tb_file(&t, ".wh.gone", "");
	tb_file(&t, "d/.wh.old", "");
	tb_file(&t, "d/.wh..wh..opq", "");
	tb_file(&t, ".wh.d2", "");
	tb_simple(&t, ".wh..wh.plnk/", '5', NULL);
	tb_file(&t, ".wh..wh.plnk/123.4", "aufs");
	tb_file(&t, "d/.wh..wh.aufs", "");
	tb_end(&t);
	ASSERT_OK(apply_bytes(t.data, t.len, dest, NULL, NULL, &err));
	ASSERT_TRUE(is_whiteout(dest, "gone"));
	ASSERT_TRUE(is_whiteout(dest, "d/old"));
	ASSERT_TRUE(is_whiteout(dest, "d2"));
	ASSERT_EQ(xattr_of(dest, "d", "trusted.overlay.opaque", buf, sizeof(buf)), 1);
	ASSERT_EQ(buf[0], 'y');
	ASSERT_EQ(count_entries(dest), 3);
	_cleanup_free_ char *d = xasprintf("%s/d", dest);
	ASSERT_EQ(count_entries(d), 1);
	tb_free(&t);
	(void)rm_rf(tmp);
}

/* Compare two trees: types, modes, owners, sizes, devices, mtimes (whole
 * seconds: the writer drops the rest, like docker), link counts, contents,
 * symlink targets and xattrs. */
static int compare_at(int a, int b, const char *rel);

static int compare_xattrs(const char *pa, const char *pb)
{
	char la[4096], lb[4096];
	ssize_t na = llistxattr(pa, la, sizeof(la)), nb = llistxattr(pb, lb, sizeof(lb));

	if (na < 0 || na != nb)
		return -1;
	for (char *k = la; k < la + na; k += strlen(k) + 1) {
		char va[256], vb[256];
		ssize_t x = lgetxattr(pa, k, va, sizeof(va)), y = lgetxattr(pb, k, vb, sizeof(vb));
		if (x < 0 || x != y || memcmp(va, vb, (size_t)x) != 0)
			return -1;
	}
	return 0;
}

static int compare_node(int a, int b, const char *name, const char *rel)
{
	struct stat sa, sb;
	char pa[PATH_MAX], pb[PATH_MAX];

	if (fstatat(a, name, &sa, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fstatat(b, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (sa.st_mode != sb.st_mode || sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid ||
	    sa.st_rdev != sb.st_rdev || sa.st_nlink != sb.st_nlink ||
	    sa.st_mtim.tv_sec != sb.st_mtim.tv_sec ||
	    (!S_ISDIR(sa.st_mode) && sa.st_size != sb.st_size)) {
		printf("# '%s' differs: mode %o/%o owner %u/%u links %lu/%lu mtime %ld/%ld\n", rel,
		       sa.st_mode, sb.st_mode, sa.st_uid, sb.st_uid, (unsigned long)sa.st_nlink,
		       (unsigned long)sb.st_nlink, (long)sa.st_mtim.tv_sec,
		       (long)sb.st_mtim.tv_sec);
		return -1;
	}
	(void)snprintf(pa, sizeof(pa), "/proc/self/fd/%d/%s", a, name);
	(void)snprintf(pb, sizeof(pb), "/proc/self/fd/%d/%s", b, name);
	if (compare_xattrs(pa, pb) < 0) {
		printf("# '%s': xattrs differ\n", rel);
		return -1;
	}
	if (S_ISREG(sa.st_mode)) {
		_cleanup_free_ char *ca = NULL, *cb = NULL;
		size_t la, lb;
		if (file_read_all_at(a, name, 1 << 20, &ca, &la) < 0 ||
		    file_read_all_at(b, name, 1 << 20, &cb, &lb) < 0 || la != lb ||
		    memcmp(ca, cb, la) != 0)
			return -1;
	}
	if (S_ISLNK(sa.st_mode)) {
		char ta[256] = { 0 }, tb[256] = { 0 };
		if (readlinkat(a, name, ta, sizeof(ta) - 1) < 0 ||
		    readlinkat(b, name, tb, sizeof(tb) - 1) < 0 || strcmp(ta, tb) != 0)
			return -1;
	}
	if (S_ISDIR(sa.st_mode)) {
		_cleanup_close_ int da = openat(a, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int db = openat(b, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return compare_at(da, db, rel);
	}
	return 0;
}

static int compare_at(int a, int b, const char *rel)
{
	_cleanup_closedir_ DIR *d = NULL;
	size_t n = 0;

	if (dir_open_at(a, ".", &d) < 0)
		return -1;
	for (struct dirent *de; (de = readdir(d));) {
		if (dirent_is_dot(de))
			continue;
		_cleanup_free_ char *child = xasprintf("%s/%s", rel, de->d_name);
		if (compare_node(a, b, de->d_name, child) < 0)
			return -1;
		n++;
	}
	_cleanup_closedir_ DIR *db = NULL;
	size_t m = 0;
	if (dir_open_at(b, ".", &db) < 0)
		return -1;
	for (struct dirent *de; (de = readdir(db));)
		m += !dirent_is_dot(de);
	return n == m ? 0 : -1;
}

static void touch_at(const char *root, const char *name, long sec, long nsec)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", root, name);
	struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };

	if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) < 0)
		abort();
}

static void build_tree(const char *root)
{
	_cleanup_free_ char *p = NULL;
#define P(name) (free(p), p = xasprintf("%s/%s", root, name))
	const unsigned char cap[20] = { 1, 0, 0, 2, 0, 4 };

	if (mkdir(P("etc"), 0755) < 0 || mkdir(P("op"), 0700) < 0 || mkdir(P("tmp"), 01777) < 0 ||
	    mkdir(P("empty"), 0555) < 0)
		abort();
	if (file_write_atomic(P("etc/passwd"), "root:x:0:0\n", 11, 0644) < 0 ||
	    file_write_atomic(P("etc/suid"), "#!/bin/sh\n", 10, 0755) < 0 ||
	    file_write_atomic(P("op/kept"), "kept", 4, 0600) < 0 ||
	    file_write_atomic(P("etc/empty"), "", 0, 0400) < 0)
		abort();
	if (chown(P("etc/suid"), 1234, 5678) < 0 || chmod(p, 06755) < 0 ||
	    setxattr(p, "security.capability", cap, sizeof(cap), 0) < 0 ||
	    setxattr(p, "user.note", "n", 1, 0) < 0)
		abort();
	_cleanup_free_ char *hard = xasprintf("%s/tmp/hard", root);
	if (link(P("etc/passwd"), hard) < 0)
		abort();
	if (symlink("../etc/passwd", P("tmp/sym")) < 0 || lchown(p, 7, 8) < 0 ||
	    lsetxattr(p, "trusted.sym", "s", 1, 0) < 0)
		abort();
	if (mknod(P("null"), S_IFCHR | 0666, makedev(1, 3)) < 0 ||
	    mknod(P("loop"), S_IFBLK | 0660, makedev(7, 1)) < 0 ||
	    mknod(P("fifo"), S_IFIFO | 0644, 0) < 0 || mknod(P("op/gone"), S_IFCHR, 0) < 0 ||
	    mknod(P("wh"), S_IFCHR, 0) < 0)
		abort();
	if (setxattr(P("op"), "trusted.overlay.opaque", "y", 1, 0) < 0 ||
	    setxattr(p, "trusted.overlay.origin", "zz", 2, 0) < 0 ||
	    setxattr(p, "trusted.keep", "k", 1, 0) < 0 || chown(p, 1000, 1000) < 0)
		abort();
	const char *all[] = { "etc/passwd", "etc/suid", "op/kept", "etc/empty", "tmp/sym",
			      "null",	    "loop",	"fifo",	   "op/gone",	"wh",
			      "etc",	    "op",	"tmp",	   "empty" };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		touch_at(root, all[i], 1600000000 + (long)i, (long)i * 1000 + 7);
#undef P
}

static char *tree_tar(const char *dir, size_t *len)
{
	_cleanup_(tar_writer_freep) struct tar_writer *w = NULL;
	_cleanup_close_ int fd = memfd_create("out", MFD_CLOEXEC);
	struct berth_error *err = NULL;
	char *data = NULL;

	if (tar_writer_new(fd, &w, &err) < 0 || tar_writer_add_tree(w, dir, NULL, &err) < 0 ||
	    tar_writer_close(TAKE_PTR(w), &err) < 0) {
		printf("# %s\n", err->msg);
		return NULL;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || fd_read_all(fd, 1 << 26, &data, len) < 0)
		abort();
	return data;
}

TEST(tree_round_trip_with_whiteouts_and_opaque)
{
	_cleanup_free_ char *tmp = make_tmpdir();
	_cleanup_free_ char *src = xasprintf("%s/src", tmp);
	_cleanup_free_ char *dst = xasprintf("%s/dst", tmp);
	struct berth_error *err = NULL;
	size_t l1, l2, l3;
	struct stat a, b;
	char buf[8];

	ASSERT_OK(mkdir(src, 0755));
	build_tree(src);
	_cleanup_free_ char *t1 = tree_tar(src, &l1);
	_cleanup_free_ char *t2 = tree_tar(src, &l2);
	ASSERT_TRUE(t1 && t2);
	ASSERT_EQ(l1, l2);
	ASSERT_TRUE(memcmp(t1, t2, l1) == 0);
	ASSERT_TRUE(memmem(t1, l1, ".wh.wh", 6) != NULL);
	ASSERT_TRUE(memmem(t1, l1, "op/.wh..wh..opq", 15) != NULL);
	ASSERT_TRUE(memmem(t1, l1, "trusted.overlay", 15) == NULL);

	ASSERT_OK(apply_bytes(t1, l1, dst, NULL, NULL, &err));
	ASSERT_EQ(xattr_of(dst, "op", "trusted.overlay.opaque", buf, sizeof(buf)), 1);
	ASSERT_TRUE(is_whiteout(dst, "wh"));
	ASSERT_OK(lstat_at(dst, "etc/passwd", &a));
	ASSERT_OK(lstat_at(dst, "tmp/hard", &b));
	ASSERT_EQ(a.st_ino, b.st_ino);
	/* The source's overlay bookkeeping (origin) is not carried over. */
	_cleanup_free_ char *op = xasprintf("%s/op", src);
	ASSERT_OK(removexattr(op, "trusted.overlay.origin"));
	_cleanup_close_ int fa = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fb = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_OK(compare_at(fa, fb, ""));

	_cleanup_free_ char *t3 = tree_tar(dst, &l3);
	ASSERT_TRUE(t3);
	ASSERT_EQ(l1, l3);
	ASSERT_TRUE(memcmp(t1, t3, l1) == 0);
	(void)rm_rf(tmp);
}
