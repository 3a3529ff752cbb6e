/* Unit tests of image references: docker's own cases (distribution/reference
 * reference_test.go and normalize_test.go), normalization, familiar names. */
#include <string.h>

#include "image.h"
#include "tap.h"

#define H64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

struct ref_case {
	const char *in;
	const char *full; /* image_ref_string, NULL when invalid */
	const char *err;  /* expected message when invalid */
};

static const struct ref_case cases[] = {
	{ "test_com", "docker.io/library/test_com:latest", NULL },
	{ "test.com:tag", "docker.io/library/test.com:tag", NULL },
	{ "test.com:5000", "docker.io/library/test.com:5000", NULL },
	{ "test.com/repo:tag", "test.com/repo:tag", NULL },
	{ "test:5000/repo", "test:5000/repo:latest", NULL },
	{ "test:5000/repo:tag", "test:5000/repo:tag", NULL },
	{ "test:5000/repo@sha256:" H64, "test:5000/repo@sha256:" H64, NULL },
	{ "test:5000/repo:tag@sha256:" H64, "test:5000/repo:tag@sha256:" H64, NULL },
	{ "", NULL, "invalid reference format" },
	{ ":justtag", NULL, "invalid reference format" },
	{ "@sha256:" H64, NULL, "invalid reference format" },
	{ "repo@sha256:ffffffffffffffffffffffffffffffffff", NULL,
	  "invalid checksum digest length" },
	{ "validname@invaliddigest:" H64, NULL, "unsupported digest algorithm" },
	{ "Uppercase:tag", NULL,
	  "invalid reference format: repository name (library/Uppercase) must be lowercase" },
	{ "test:5000/Uppercase/lowercase:tag", NULL,
	  "invalid reference format: repository name (Uppercase/lowercase) must be lowercase" },
	{ "lowercase:Uppercase", "docker.io/library/lowercase:Uppercase", NULL },
	{ "aa/asdf$$^/aa", NULL, "invalid reference format" },
	{ "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux:latest", NULL },
	{ "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
	  "sub-dom1.foo.com/bar/baz/quux:some-long-tag", NULL },
	{ "b.gcr.io/test.example.com/my-app:test.example.com",
	  "b.gcr.io/test.example.com/my-app:test.example.com", NULL },
	{ "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com", NULL },
	{ "foo_bar.com:8080", "docker.io/library/foo_bar.com:8080", NULL },
	{ "foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080", NULL },
	{ "192.168.1.1", "docker.io/library/192.168.1.1:latest", NULL },
	{ "192.168.1.1:tag", "docker.io/library/192.168.1.1:tag", NULL },
	{ "192.168.1.1:5000", "docker.io/library/192.168.1.1:5000", NULL },
	{ "192.168.1.1/repo", "192.168.1.1/repo:latest", NULL },
	{ "192.168.1.1:5000/repo", "192.168.1.1:5000/repo:latest", NULL },
	{ "192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050", NULL },
	{ "[2001:db8::1]", NULL, "invalid reference format" },
	{ "[2001:db8::1]:5000", NULL, "invalid reference format" },
	{ "[2001:db8::1]:tag", NULL, "invalid reference format" },
	{ "[2001:db8::1]/repo", "[2001:db8::1]/repo:latest", NULL },
	{ "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo:tag", NULL },
	{ "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo:latest", NULL },
	{ "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo:tag", NULL },
	{ "[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo:latest", NULL },
	{ "[::1]:5000/repo", "[::1]:5000/repo:latest", NULL },
	{ "[fe80::1%eth0]:5000/repo", NULL, "invalid reference format" },
	{ "[fe80::1%@invalidzone]:5000/repo", NULL, "invalid reference format" },
	/* normalize_test.go: TestValidateReferenceName */
	{ "docker/docker", "docker.io/docker/docker:latest", NULL },
	{ "library/debian", "docker.io/library/debian:latest", NULL },
	{ "debian", "docker.io/library/debian:latest", NULL },
	{ "docker.io/docker/docker", "docker.io/docker/docker:latest", NULL },
	{ "docker.io/library/debian", "docker.io/library/debian:latest", NULL },
	{ "docker.io/debian", "docker.io/library/debian:latest", NULL },
	{ "index.docker.io/docker/docker", "docker.io/docker/docker:latest", NULL },
	{ "index.docker.io/library/debian", "docker.io/library/debian:latest", NULL },
	{ "index.docker.io/debian", "docker.io/library/debian:latest", NULL },
	{ "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest", NULL },
	{ "127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian:latest", NULL },
	{ "127.0.0.1:5000/debian", "127.0.0.1:5000/debian:latest", NULL },
	{ "192.168.0.1", "docker.io/library/192.168.0.1:latest", NULL },
	{ "192.168.0.1:80", "docker.io/library/192.168.0.1:80", NULL },
	{ "192.168.0.1:8/debian", "192.168.0.1:8/debian:latest", NULL },
	{ "192.168.0.2:25000/debian", "192.168.0.2:25000/debian:latest", NULL },
	{ "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
	  "docker.io/library/"
	  "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest",
	  NULL },
	{ "[fc00::1]:5000/docker", "[fc00::1]:5000/docker:latest", NULL },
	{ "[fc00::1]:5000/docker/docker", "[fc00::1]:5000/docker/docker:latest", NULL },
	{ "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
	  "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest", NULL },
	{ "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
	  "docker.io/library/"
	  "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest",
	  NULL },
	{ "Docker/docker", "Docker/docker:latest", NULL },
	{ "DOCKER/docker", "DOCKER/docker:latest", NULL },
	{ "https://github.com/docker/docker", NULL, "invalid reference format" },
	{ "docker/Docker", NULL,
	  "invalid reference format: repository name (docker/Docker) must be lowercase" },
	{ "-docker", NULL, "invalid reference format" },
	{ "-docker/docker", NULL, "invalid reference format" },
	{ "-docker.io/docker/docker", NULL, "invalid reference format" },
	{ "docker///docker", NULL, "invalid reference format" },
	{ "docker.io/docker/Docker", NULL,
	  "invalid reference format: repository name (docker/Docker) must be lowercase" },
	{ "docker.io/docker///docker", NULL, "invalid reference format" },
	{ "[fc00::1]", NULL, "invalid reference format" },
	{ "[fc00::1]:5000", NULL, "invalid reference format" },
	{ "fc00::1:5000/debian", NULL, "invalid reference format" },
	{ "[fe80::1%eth0]:5000/debian", NULL, "invalid reference format" },
	{ "[2001:db8:3:4::192.0.2.33]:5000/debian", NULL, "invalid reference format" },
	{ "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", NULL,
	  "invalid repository name "
	  "(1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), "
	  "cannot specify 64-byte hexadecimal strings" },
	/* separators and tags */
	{ "a__b", "docker.io/library/a__b:latest", NULL },
	{ "a___b", NULL, "invalid reference format" },
	{ "a--b-c.d_e", "docker.io/library/a--b-c.d_e:latest", NULL },
	{ "a..b", NULL, "invalid reference format" },
	{ "a.", NULL, "invalid reference format" },
	{ "busybox:", NULL, "invalid reference format" },
	{ "busybox:.tag", NULL, "invalid reference format" },
	{ "busybox:_t.a-g", "docker.io/library/busybox:_t.a-g", NULL },
	{ "busybox@sha256:" H64, "docker.io/library/busybox@sha256:" H64, NULL },
	{ "busybox@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", NULL,
	  "invalid checksum digest format" },
	{ "localhost/foo", "localhost/foo:latest", NULL },
	{ "localhost:5000/a/b", "localhost:5000/a/b:latest", NULL },
	{ "localhost", "docker.io/library/localhost:latest", NULL },
};

TEST(docker_cases)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ref_case *c = &cases[i];
		struct image_ref *r = NULL;
		struct berth_error *err = NULL;
		int q = image_ref_parse(c->in, &r, &err);
		if (c->full) {
			if (q < 0)
				TAP_FAIL("'%s': %s", c->in, err ? err->msg : "?");
			char *s = image_ref_string(r);
			bool ok = strcmp(s, c->full) == 0;
			if (!ok)
				printf("# '%s' -> '%s', want '%s'\n", c->in, s, c->full);
			free(s);
			image_ref_free(r);
			ASSERT_TRUE(ok);
		} else {
			if (q >= 0)
				TAP_FAIL("'%s' parsed but should not", c->in);
			ASSERT_EQ(q, -EINVAL);
			ASSERT_EQ(err->kind, BERTH_ERR_INVALID);
			if (strcmp(err->msg, c->err) != 0)
				TAP_FAIL("'%s': '%s', want '%s'", c->in, err->msg, c->err);
			berth_error_free(err);
		}
	}
}

TEST(name_length)
{
	char name[600] = "";
	struct image_ref *r = NULL;
	struct berth_error *err = NULL;

	for (int i = 0; i < 127; i++)
		strcat(name, "a/");
	strcat(name, "a:tag-puts-this-over-max");
	ASSERT_OK(image_ref_parse(name, &r, NULL));
	ASSERT_EQ(strlen(r->path), 255);
	image_ref_free(r);
	name[0] = '\0';
	for (int i = 0; i < 128; i++)
		strcat(name, "a/");
	strcat(name, "a:tag");
	ASSERT_EQ(image_ref_parse(name, &r, &err), -EINVAL);
	ASSERT_STREQ(err->msg, "repository name must not be more than 255 characters");
	berth_error_free(err);
	/* tags: at most 128 characters */
	char tag[200] = "x:";
	memset(tag + 2, 't', 128);
	tag[130] = '\0';
	ASSERT_OK(image_ref_parse(tag, &r, NULL));
	image_ref_free(r);
	strcat(tag, "t");
	ASSERT_EQ(image_ref_parse(tag, &r, NULL), -EINVAL);
}

struct familiar_case {
	const char *in, *familiar, *repo, *domain, *path;
};

/* normalize_test.go: TestParseRepositoryInfo */
static const struct familiar_case familiar[] = {
	{ "fooo/bar", "fooo/bar:latest", "docker.io/fooo/bar", "docker.io", "fooo/bar" },
	{ "library/ubuntu", "ubuntu:latest", "docker.io/library/ubuntu", "docker.io",
	  "library/ubuntu" },
	{ "nonlibrary/ubuntu", "nonlibrary/ubuntu:latest", "docker.io/nonlibrary/ubuntu",
	  "docker.io", "nonlibrary/ubuntu" },
	{ "ubuntu", "ubuntu:latest", "docker.io/library/ubuntu", "docker.io", "library/ubuntu" },
	{ "other/library", "other/library:latest", "docker.io/other/library", "docker.io",
	  "other/library" },
	{ "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase:latest",
	  "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase" },
	{ "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase:latest",
	  "127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase" },
	{ "example.com/private/moonbase", "example.com/private/moonbase:latest",
	  "example.com/private/moonbase", "example.com", "private/moonbase" },
	{ "example.com:8000/privatebase", "example.com:8000/privatebase:latest",
	  "example.com:8000/privatebase", "example.com:8000", "privatebase" },
	{ "localhost:8000/library/moonbase", "localhost:8000/library/moonbase:latest",
	  "localhost:8000/library/moonbase", "localhost:8000", "library/moonbase" },
	{ "localhost/privatebase", "localhost/privatebase:latest", "localhost/privatebase",
	  "localhost", "privatebase" },
	{ "docker.io/ubuntu-12.04-base", "ubuntu-12.04-base:latest",
	  "docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base" },
	{ "index.docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base:latest",
	  "docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base" },
	{ "docker.io/library/foo/bar", "library/foo/bar:latest", "docker.io/library/foo/bar",
	  "docker.io", "library/foo/bar" },
	{ "store/foo/bar", "store/foo/bar:latest", "docker.io/store/foo/bar", "docker.io",
	  "store/foo/bar" },
	{ "Foo/bar", "Foo/bar:latest", "Foo/bar", "Foo", "bar" },
	{ "busybox@sha256:" H64, "busybox@sha256:" H64, "docker.io/library/busybox", "docker.io",
	  "library/busybox" },
	{ "busybox:1.36@sha256:" H64, "busybox:1.36@sha256:" H64, "docker.io/library/busybox",
	  "docker.io", "library/busybox" },
};

TEST(familiar_names)
{
	for (size_t i = 0; i < sizeof(familiar) / sizeof(familiar[0]); i++) {
		const struct familiar_case *c = &familiar[i];
		_cleanup_(image_ref_freep) struct image_ref *r = NULL;
		ASSERT_OK(image_ref_parse(c->in, &r, NULL));
		_cleanup_free_ char *f = image_ref_familiar(r);
		_cleanup_free_ char *repo = image_ref_repo(r);
		ASSERT_STREQ(f, c->familiar);
		ASSERT_STREQ(repo, c->repo);
		ASSERT_STREQ(r->domain, c->domain);
		ASSERT_STREQ(r->path, c->path);
	}
}

TEST(tag_and_digest_fields)
{
	_cleanup_(image_ref_freep) struct image_ref *r = NULL;
	ASSERT_OK(image_ref_parse("busybox@sha256:" H64, &r, NULL));
	ASSERT_TRUE(r->tag == NULL);
	ASSERT_STREQ(r->digest, "sha256:" H64);
	image_ref_free(r);
	ASSERT_OK(image_ref_parse("busybox", &r, NULL));
	ASSERT_STREQ(r->tag, "latest");
	ASSERT_TRUE(r->digest == NULL);
	/* A record built by hand, as the daemon does for RepoDigests. */
	struct image_ref d = { .domain = r->domain, .path = r->path, .digest = "sha256:" H64 };
	_cleanup_free_ char *f = image_ref_familiar(&d);
	ASSERT_STREQ(f, "busybox@sha256:" H64);
}

TEST(id_like)
{
	ASSERT_TRUE(image_is_id_like("abc123"));
	ASSERT_TRUE(image_is_id_like(H64));
	ASSERT_TRUE(image_is_id_like("sha256:" H64));
	ASSERT_TRUE(image_is_id_like("sha256:ab"));
	ASSERT_FALSE(image_is_id_like(H64 "f"));
	ASSERT_FALSE(image_is_id_like(""));
	ASSERT_FALSE(image_is_id_like("sha256:"));
	ASSERT_FALSE(image_is_id_like("busybox"));
	ASSERT_FALSE(image_is_id_like("ABC123"));
	ASSERT_FALSE(image_is_id_like("abc:1"));
}
