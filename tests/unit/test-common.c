/* Unit tests of src/common: errors, strings, files, JSON getters. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-util.h"
#include "tap.h"

TEST(error_set_and_wrap)
{
	struct berth_error *err = NULL;
	int r = berth_error_set(&err, ENOENT, BERTH_ERR_NOT_FOUND, "open '%s'", "x");
	ASSERT_EQ(r, -ENOENT);
	ASSERT_STREQ(err->msg, "open 'x': No such file or directory");
	r = berth_error_wrap(&err, "load");
	ASSERT_EQ(r, -ENOENT);
	ASSERT_STREQ(err->msg, "load: open 'x': No such file or directory");
	/* The first error wins: a later set does not overwrite it. */
	berth_error_set(&err, EPERM, BERTH_ERR_INTERNAL, "other");
	ASSERT_EQ(err->kind, BERTH_ERR_NOT_FOUND);
	berth_error_free(err);
}

TEST(str_to_int)
{
	int64_t v;
	uint64_t u;
	ASSERT_OK(str_to_int64("-42", &v));
	ASSERT_EQ(v, -42);
	ASSERT_EQ(str_to_int64("12x", &v), -EINVAL);
	ASSERT_EQ(str_to_int64("", &v), -EINVAL);
	ASSERT_EQ(str_to_uint64("-1", &u), -EINVAL);
	ASSERT_EQ(str_to_int64("99999999999999999999", &v), -ERANGE);
}

TEST(strv)
{
	_cleanup_strv_ char **v = NULL;
	strv_push(&v, "a");
	strv_push(&v, "b");
	ASSERT_EQ(strv_length(v), 2);
	ASSERT_TRUE(strv_contains(v, "b"));
	ASSERT_FALSE(strv_contains(v, "c"));
}

TEST(open_in_root_stays_inside)
{
	char tmpl[] = "/tmp/berth-test-XXXXXX";
	ASSERT_TRUE(mkdtemp(tmpl) != NULL);
	_cleanup_free_ char *sub = xasprintf("%s/etc", tmpl);
	ASSERT_OK(mkdir_p(sub, 0755));
	_cleanup_free_ char *f = xasprintf("%s/etc/passwd", tmpl);
	ASSERT_OK(file_write_atomic(f, "inside", 6, 0644));
	_cleanup_free_ char *link = xasprintf("%s/escape", tmpl);
	ASSERT_OK(symlink("/etc/passwd", link));
	_cleanup_free_ char *dotdot = xasprintf("%s/up", tmpl);
	ASSERT_OK(symlink("../../../../etc/passwd", dotdot));

	_cleanup_close_ int root = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(root >= 0);
	if (!openat2_supported()) {
		rm_rf(tmpl);
		return;
	}
	for (const char *const *p =
		     (const char *const[]){ "escape", "up", "/escape", "../../etc/passwd", NULL };
	     *p; p++) {
		_cleanup_close_ int fd = openat_in_root(root, *p, O_RDONLY, 0);
		ASSERT_TRUE(fd >= 0);
		_cleanup_free_ char *data = NULL;
		ASSERT_OK(fd_read_all(fd, 100, &data, NULL));
		ASSERT_STREQ(data, "inside");
	}
	_cleanup_close_ int d = mkdirat_p_in_root(root, "/a/b/../c", 0755);
	ASSERT_TRUE(d >= 0);
	_cleanup_free_ char *c = xasprintf("%s/a/c", tmpl);
	struct stat st;
	ASSERT_OK(stat(c, &st));
	ASSERT_OK(rm_rf(tmpl));
	ASSERT_EQ(access(tmpl, F_OK), -1);
}

TEST(file_read_limit)
{
	char *data = NULL;
	ASSERT_EQ(file_read_all("/proc/self/status", 10, &data, NULL), -EFBIG);
	ASSERT_TRUE(data == NULL);
}

TEST(json_paths_in_errors)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *o = NULL;
	const char *text = "{\"a\": {\"b\": \"str\", \"n\": -1, \"big\": 5000000000}}";
	ASSERT_OK(json_parse_text(text, strlen(text), 8, "doc", &o, &err));
	json_object *a = NULL;
	ASSERT_EQ(json_get_object(o, "", "a", true, &a, &err), 1);
	uint32_t u = 7;
	ASSERT_EQ(json_get_uint32(a, "a", "b", false, &u, &err), -EINVAL);
	ASSERT_STREQ(err->msg, "a.b: expected an unsigned integer");
	berth_error_freep(&err);
	ASSERT_EQ(json_get_uint32(a, "a", "n", false, &u, &err), -EINVAL);
	berth_error_freep(&err);
	ASSERT_EQ(json_get_uint32(a, "a", "big", false, &u, &err), -EINVAL);
	berth_error_freep(&err);
	ASSERT_EQ(json_get_uint32(a, "a", "missing", false, &u, &err), 0);
	ASSERT_EQ(u, 7);
	ASSERT_EQ(json_get_uint32(a, "a", "missing", true, &u, &err), -EINVAL);
	ASSERT_STREQ(err->msg, "a.missing: required field missing");
}

TEST(json_depth_and_trailing)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_object *o = NULL;
	const char *deep = "[[[[[[[[[[1]]]]]]]]]]";
	ASSERT_TRUE(json_parse_text(deep, strlen(deep), 4, "doc", &o, &err) < 0);
	berth_error_freep(&err);
	const char *trail = "{} x";
	ASSERT_TRUE(json_parse_text(trail, strlen(trail), 4, "doc", &o, &err) < 0);
	ASSERT_CONTAINS(err->msg, "trailing data");
}
