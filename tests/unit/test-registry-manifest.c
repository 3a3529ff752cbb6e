/* The pull side's manifest parsing and platform choice (client-manifest.c). */
#include <string.h>

#include "client-manifest-internal.h"
#include "tap.h"

/* clang-format off */
#define D(c) \
	"sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define ENTRY(dg, plat) \
	"{\"mediaType\":\"" REG_MEDIA_OCI_MANIFEST "\",\"digest\":\"" dg "\",\"size\":10" plat "}"
#define PLAT(os, arch) ",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\"}"
#define PLATV(os, arch, v) \
	",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\",\"variant\":\"" v "\"}"

static const char multi[] = "{\"schemaVersion\":2,\"manifests\":["
	ENTRY(D("1"), PLAT("unknown", "unknown")) ","
	ENTRY(D("2"), PLATV("linux", "arm64", "v8")) ","
	ENTRY(D("3"), PLAT("linux", "amd64")) ","
	ENTRY(D("4"), PLATV("linux", "arm", "v6")) ","
	ENTRY(D("5"), PLATV("linux", "arm", "v7")) ","
	ENTRY(D("6"), PLATV("linux", "amd64", "v3")) "]}";
/* clang-format on */

static int parse(const char *body, const char *ct, struct reg_manifest *m, struct berth_error **e)
{
	return reg_manifest_parse(body, strlen(body), ct, m, e);
}

static int choose(const char *index, const char *platform, size_t *ret, struct berth_error **e)
{
	struct reg_manifest m = { 0 };
	struct reg_platform p = { 0 };
	int r = parse(index, REG_MEDIA_OCI_INDEX, &m, e);

	if (r >= 0)
		r = reg_platform_parse(platform, &p, e);
	if (r >= 0)
		r = reg_index_choose(&m, &p, ret, e);
	reg_manifest_clear(&m);
	reg_platform_clear(&p);
	return r;
}

TEST(platform_parse)
{
	struct reg_platform p = { 0 };
	struct berth_error *e = NULL;

	ASSERT_OK(reg_platform_parse(NULL, &p, NULL));
	ASSERT_STREQ(p.os, "linux");
	ASSERT_STREQ(p.arch, "amd64");
	ASSERT_STREQ(p.variant, "");
	reg_platform_clear(&p);
	ASSERT_OK(reg_platform_parse("linux/aarch64", &p, NULL));
	ASSERT_STREQ(p.arch, "arm64");
	ASSERT_STREQ(p.variant, "v8");
	_cleanup_free_ char *s = reg_platform_string(&p);
	ASSERT_STREQ(s, "linux/arm64/v8");
	reg_platform_clear(&p);
	ASSERT_OK(reg_platform_parse("Linux/x86_64/v1", &p, NULL));
	ASSERT_STREQ(p.arch, "amd64");
	ASSERT_STREQ(p.variant, "");
	reg_platform_clear(&p);
	ASSERT_OK(reg_platform_parse("linux/arm", &p, NULL));
	ASSERT_STREQ(p.variant, "v7");
	reg_platform_clear(&p);
	ASSERT_TRUE(reg_platform_parse("linux", &p, &e) < 0);
	ASSERT_CONTAINS(e->msg, "unknown operating system or architecture");
	berth_error_free(e);
	e = NULL;
	ASSERT_TRUE(reg_platform_parse("a/b/c/d", &p, &e) < 0);
	berth_error_free(e);
}

TEST(choose_platforms)
{
	struct berth_error *e = NULL;
	size_t i = 99;

	ASSERT_OK(choose(multi, NULL, &i, NULL));
	ASSERT_EQ(i, 2); /* linux/amd64: not the unknown/unknown attestation entry */
	ASSERT_OK(choose(multi, "linux/arm64", &i, NULL));
	ASSERT_EQ(i, 1); /* arm64 means arm64/v8 */
	ASSERT_OK(choose(multi, "linux/arm64/v8", &i, NULL));
	ASSERT_EQ(i, 1);
	ASSERT_OK(choose(multi, "linux/arm/v7", &i, NULL));
	ASSERT_EQ(i, 4);
	ASSERT_OK(choose(multi, "linux/arm/v6", &i, NULL));
	ASSERT_EQ(i, 3);
	ASSERT_OK(choose(multi, "linux/amd64/v3", &i, NULL));
	ASSERT_EQ(i, 5); /* exact variant first */
	ASSERT_OK(choose(multi, "linux/amd64/v2", &i, NULL));
	ASSERT_EQ(i, 2); /* v2 runs v1 */
	ASSERT_EQ(choose(multi, "linux/s390x", &i, &e), -ENOENT);
	ASSERT_EQ(e->kind, BERTH_ERR_NOT_FOUND);
	ASSERT_STREQ(e->msg, "no matching manifest for linux/s390x in the manifest list entries");
	berth_error_free(e);
	e = NULL;
	ASSERT_EQ(choose(multi, "windows/amd64", &i, &e), -ENOENT);
	berth_error_free(e);
}

TEST(choose_skips_attestations)
{
	static const char idx[] =
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" REG_MEDIA_OCI_MANIFEST
		"\",\"digest\":\"" D("a") "\",\"size\":1" PLAT(
			"linux",
			"amd64") ",\"annotations\":{\"vnd.docker.reference.type\":\"attestation-"
				 "manifest\"}}," ENTRY(D("b"), PLAT("linux", "amd64")) "]}";
	size_t i = 99;
	struct berth_error *e = NULL;

	ASSERT_OK(choose(idx, "linux/amd64", &i, NULL));
	ASSERT_EQ(i, 1);
	ASSERT_EQ(choose("{\"schemaVersion\":2,\"manifests\":[" ENTRY(
				 D("1"), PLAT("unknown", "unknown")) "]}",
			 NULL, &i, &e),
		  -ENOENT);
	ASSERT_STREQ(e->msg, "no matching manifest for linux/amd64 in the manifest list entries");
	berth_error_free(e);
}

TEST(parse_image_manifest)
{
	static const char body[] =
		"{\"schemaVersion\":2,\"mediaType\":\"" REG_MEDIA_DOCKER_MANIFEST "\","
		"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
		"\"digest\":\"" D("c") "\",\"size\":7},"
				       "\"layers\":[{\"mediaType\":\"application/"
				       "vnd.docker.image.rootfs.diff.tar.gzip\","
				       "\"digest\":\"" D("d") "\",\"size\":123},{\"mediaType\":"
							      "\"" REG_MEDIA_OCI_MANIFEST
							      "\",\"digest\":\"" D(
								      "e") "\",\"size\":4}]}";
	struct reg_manifest m = { 0 };

	/* No Content-Type: the body's mediaType decides. */
	ASSERT_OK(parse(body, NULL, &m, NULL));
	ASSERT_EQ(m.kind, REG_MANIFEST_IMAGE);
	ASSERT_STREQ(m.media_type, REG_MEDIA_DOCKER_MANIFEST);
	ASSERT_STREQ(m.config.digest, D("c"));
	ASSERT_EQ(m.config.size, 7);
	ASSERT_EQ(m.n_entries, 2);
	ASSERT_STREQ(m.entries[0].digest, D("d"));
	ASSERT_EQ(m.entries[0].size, 123);
	reg_manifest_clear(&m);
	/* A generic Content-Type, no mediaType: the shape decides. */
	ASSERT_OK(parse("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D("c") "\",\"size\":1},"
										"\"layers\":[]}",
			"application/json; charset=utf-8", &m, NULL));
	ASSERT_EQ(m.kind, REG_MANIFEST_IMAGE);
	ASSERT_EQ(m.n_entries, 0);
	reg_manifest_clear(&m);
	ASSERT_OK(parse(multi, "application/vnd.docker.distribution.manifest.list.v2+json", &m,
			NULL));
	ASSERT_EQ(m.kind, REG_MANIFEST_INDEX);
	ASSERT_EQ(m.n_entries, 6);
	ASSERT_STREQ(m.entries[1].platform.variant, "v8");
	reg_manifest_clear(&m);
}

TEST(parse_schema1_and_bad)
{
	struct reg_manifest m = { 0 };
	struct berth_error *e = NULL;

	ASSERT_OK(parse("{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}",
			"application/vnd.docker.distribution.manifest.v1+prettyjws", &m, NULL));
	ASSERT_EQ(m.kind, REG_MANIFEST_SCHEMA1);
	reg_manifest_clear(&m);
	ASSERT_OK(parse("{\"schemaVersion\":1,\"fsLayers\":[]}", "application/json", &m, NULL));
	ASSERT_EQ(m.kind, REG_MANIFEST_SCHEMA1);
	reg_manifest_clear(&m);
	/* Bad digests, sizes, shapes. */
	ASSERT_TRUE(parse("{\"config\":{\"digest\":\"md5:x\"},\"layers\":[]}",
			  REG_MEDIA_OCI_MANIFEST, &m, &e) < 0);
	ASSERT_EQ(e->kind, BERTH_ERR_INVALID);
	berth_error_free(e);
	e = NULL;
	ASSERT_TRUE(parse("{\"config\":{\"digest\":\"" D("c") "\",\"size\":-1},\"layers\":[]}",
			  REG_MEDIA_OCI_MANIFEST, &m, &e) < 0);
	berth_error_free(e);
	e = NULL;
	ASSERT_TRUE(parse("{\"manifests\":{}}", REG_MEDIA_OCI_INDEX, &m, &e) < 0);
	berth_error_free(e);
	e = NULL;
	ASSERT_TRUE(parse("{\"hello\":1}", "text/plain", &m, &e) < 0);
	ASSERT_CONTAINS(e->msg, "unsupported manifest media type");
	berth_error_free(e);
	e = NULL;
	ASSERT_TRUE(parse("[1,2]", REG_MEDIA_OCI_INDEX, &m, &e) < 0);
	berth_error_free(e);
	e = NULL;
	ASSERT_TRUE(parse("{\"manifests\":[", REG_MEDIA_OCI_INDEX, &m, &e) < 0);
	berth_error_free(e);
}

TEST(short_id)
{
	char id[13];

	reg_short_id(D("f"), id);
	ASSERT_STREQ(id, "ffffffffffff");
}
