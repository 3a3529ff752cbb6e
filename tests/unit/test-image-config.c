/* Unit tests of image configs: parsing docker and OCI configs, the canonical
 * serialization and its round trip, refusals naming the field, chain ids. */
#include <string.h>

#include "image.h"
#include "tap.h"

#define D1 "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define D2 "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A config as docker 24 writes it (classic builder), trimmed. */
static const char docker_config[] =
	"{\"architecture\":\"amd64\",\"author\":\"me\",\"config\":{\"Hostname\":\"\","
	"\"Domainname\":\"\",\"User\":\"app\",\"AttachStdin\":false,\"ExposedPorts\":{\"80/"
	"tcp\":{},"
	"\"443/tcp\":{}},\"Tty\":false,\"Env\":[\"PATH=/usr/bin:/bin\",\"A=b\"],\"Cmd\":[\"sh\"],"
	"\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"true\"],\"Interval\":30000000000,"
	"\"Timeout\":5000000000,\"StartPeriod\":1000000000,\"StartInterval\":2000000000,"
	"\"Retries\":3},\"ArgsEscaped\":true,"
	"\"Image\":\"sha256:x\",\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/app\","
	"\"Entrypoint\":[],\"OnBuild\":null,\"Labels\":{\"z\":\"1\",\"a\":\"2\"},"
	"\"StopSignal\":\"SIGTERM\",\"Shell\":[\"/bin/sh\",\"-c\"]},\"container\":\"abc\","
	"\"container_config\":{\"Cmd\":[\"x\"]},\"created\":\"2024-01-02T03:04:05.123456789Z\","
	"\"docker_version\":\"24.0.7\",\"history\":[{\"created\":\"2024-01-01T00:00:00Z\","
	"\"created_by\":\"/bin/sh -c #(nop) ADD file:x in / "
	"\"},{\"created\":\"2024-01-02T00:00:00Z\","
	"\"created_by\":\"/bin/sh -c #(nop)  CMD [\\\"sh\\\"]\",\"empty_layer\":true,"
	"\"author\":\"Jane\",\"comment\":\"c\"}],\"os\":\"linux\",\"variant\":\"v2\",\"rootfs\":{"
	"\"type\":\"layers\","
	"\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";

TEST(parse_docker_config)
{
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	ASSERT_OK(image_config_parse(docker_config, strlen(docker_config), &c, NULL));
	ASSERT_STREQ(c->architecture, "amd64");
	ASSERT_STREQ(c->os, "linux");
	ASSERT_STREQ(c->variant, "v2");
	ASSERT_STREQ(c->author, "me");
	ASSERT_STREQ(c->created, "2024-01-02T03:04:05.123456789Z");
	ASSERT_STREQ(c->user, "app");
	ASSERT_EQ(strv_length(c->env), 2);
	ASSERT_STREQ(c->env[1], "A=b");
	ASSERT_TRUE(c->entrypoint != NULL);
	ASSERT_EQ(strv_length(c->entrypoint), 0);
	ASSERT_STREQ(c->cmd[0], "sh");
	ASSERT_STREQ(c->working_dir, "/app");
	ASSERT_EQ(c->n_labels, 2);
	ASSERT_EQ(strv_length(c->exposed_ports), 2);
	ASSERT_TRUE(strv_contains(c->exposed_ports, "443/tcp"));
	ASSERT_STREQ(c->volumes[0], "/data");
	ASSERT_STREQ(c->stop_signal, "SIGTERM");
	ASSERT_STREQ(c->healthcheck_test[1], "true");
	ASSERT_EQ(c->healthcheck_interval, 30000000000LL);
	ASSERT_EQ(c->healthcheck_timeout, 5000000000LL);
	ASSERT_EQ(c->healthcheck_start_period, 1000000000LL);
	ASSERT_EQ(c->healthcheck_start_interval, 2000000000LL);
	ASSERT_EQ(c->healthcheck_retries, 3);
	ASSERT_TRUE(c->onbuild == NULL);
	ASSERT_STREQ(c->shell[1], "-c");
	ASSERT_EQ(c->n_diff_ids, 2);
	ASSERT_STREQ(c->diff_ids[1], D2);
	ASSERT_EQ(c->n_history, 2);
	ASSERT_TRUE(c->history[1].empty_layer);
	ASSERT_STREQ(c->history[1].comment, "c");
	ASSERT_STREQ(c->history[1].author, "Jane");
	ASSERT_FALSE(c->history[0].empty_layer);
}

TEST(parse_minimal_oci_config)
{
	const char *j = "{\"architecture\":\"arm64\",\"os\":\"linux\","
			"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	ASSERT_OK(image_config_parse(j, strlen(j), &c, NULL));
	ASSERT_EQ(c->n_diff_ids, 0);
	ASSERT_TRUE(c->entrypoint == NULL);
	ASSERT_TRUE(c->cmd == NULL);
	ASSERT_EQ(c->n_history, 0);
}

TEST(serialize_canonical)
{
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	ASSERT_OK(image_config_parse(docker_config, strlen(docker_config), &c, NULL));
	_cleanup_free_ char *j = image_config_to_json(c);
	const char *want =
		"{\"architecture\":\"amd64\",\"author\":\"me\",\"config\":{\"User\":\"app\","
		"\"ExposedPorts\":{\"443/tcp\":{},\"80/tcp\":{}},\"Env\":[\"PATH=/usr/bin:/bin\","
		"\"A=b\"],\"Cmd\":[\"sh\"],\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"true\"],"
		"\"Interval\":30000000000,\"Timeout\":5000000000,\"StartPeriod\":1000000000,"
		"\"StartInterval\":2000000000,\"Retries\":3},\"Volumes\":{\"/"
		"data\":{}},\"WorkingDir\":\"/app\","
		"\"Entrypoint\":[],\"Labels\":{\"a\":\"2\",\"z\":\"1\"},\"StopSignal\":\"SIGTERM\","
		"\"Shell\":[\"/bin/sh\",\"-c\"]},\"created\":\"2024-01-02T03:04:05.123456789Z\","
		"\"history\":[{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"/bin/sh -c "
		"#(nop) ADD file:x in / \"},{\"created\":\"2024-01-02T00:00:00Z\",\"created_by\":"
		"\"/bin/sh -c #(nop)  CMD [\\\"sh\\\"]\",\"author\":\"Jane\",\"comment\":\"c\","
		"\"empty_layer\":true}],"
		"\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2
		"\"]},\"variant\":\"v2\"}";
	ASSERT_STREQ(j, want);
}

TEST(round_trip)
{
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	_cleanup_(image_config_freep) struct image_config *c2 = NULL;
	ASSERT_OK(image_config_parse(docker_config, strlen(docker_config), &c, NULL));
	_cleanup_free_ char *j = image_config_to_json(c);
	ASSERT_OK(image_config_parse(j, strlen(j), &c2, NULL));
	_cleanup_free_ char *j2 = image_config_to_json(c2);
	ASSERT_STREQ(j, j2);
	ASSERT_EQ(c2->n_labels, 2);
	ASSERT_EQ(c2->healthcheck_retries, 3);
	ASSERT_EQ(strv_length(c2->entrypoint), 0);
}

TEST(serialize_empty)
{
	struct image_config c = { 0 };
	_cleanup_free_ char *j = image_config_to_json(&c);
	ASSERT_STREQ(j, "{\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
}

struct bad_case {
	const char *json, *msg;
};

static const struct bad_case bad[] = {
	{ "[]", "image config: expected an object" },
	{ "{", "image config: unexpected end of JSON" },
	{ "{\"os\":1}", "os: expected a string" },
	{ "{\"config\":[]}", "config: expected an object" },
	{ "{\"config\":{\"Env\":[\"a\",2]}}", "config.Env[1]: expected a string" },
	{ "{\"config\":{\"Cmd\":\"sh\"}}", "config.Cmd: expected an array" },
	{ "{\"config\":{\"Labels\":{\"a\":1}}}", "config.Labels.a: expected a string" },
	{ "{\"config\":{\"ExposedPorts\":[\"80\"]}}", "config.ExposedPorts: expected an object" },
	{ "{\"config\":{\"Healthcheck\":{\"Interval\":\"1s\"}}}",
	  "config.Healthcheck.Interval: expected an integer" },
	{ "{\"config\":{\"Healthcheck\":{\"Retries\":1e12}}}",
	  "config.Healthcheck.Retries: expected a 32-bit integer" },
	{ "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:1\"]}}",
	  "rootfs.diff_ids[0]: invalid digest 'sha256:1'" },
	{ "{\"rootfs\":{\"type\":\"tar\"}}", "rootfs.type: expected \"layers\", got 'tar'" },
	{ "{\"rootfs\":{\"diff_ids\":[]}}", "rootfs.type: required field missing" },
	{ "{\"history\":[{\"created\":1}]}", "history[0].created: expected a string" },
	{ "{\"history\":[1]}", "history[0]: expected an object" },
	{ "{\"history\":[{\"empty_layer\":\"yes\"}]}",
	  "history[0].empty_layer: expected a boolean" },
	{ "{} x", "image config: trailing data after JSON at byte 3" },
};

TEST(bad_configs_name_the_field)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct image_config *c = NULL;
		struct berth_error *err = NULL;
		int r = image_config_parse(bad[i].json, strlen(bad[i].json), &c, &err);
		if (r >= 0)
			TAP_FAIL("'%s' parsed", bad[i].json);
		ASSERT_EQ(err->kind, BERTH_ERR_INVALID);
		if (strcmp(err->msg, bad[i].msg) != 0)
			TAP_FAIL("'%s': '%s', want '%s'", bad[i].json, err->msg, bad[i].msg);
		berth_error_free(err);
	}
}

TEST(limits)
{
	/* Deep nesting is refused by the parser. */
	char deep[400] = "{\"config\":{\"Labels\":";
	for (int i = 0; i < 100; i++)
		strcat(deep, "[");
	struct berth_error *err = NULL;
	struct image_config *c = NULL;
	ASSERT_TRUE(image_config_parse(deep, strlen(deep), &c, &err) < 0);
	berth_error_free(err);
	err = NULL;
	/* More diff ids than overlayfs can stack. */
	size_t n = 501, len = 0;
	char *big = malloc(n * (DIGEST_LEN + 3) + 100);
	len += (size_t)sprintf(big, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(big + len, "%s\"%s\"", i ? "," : "", D1);
	len += (size_t)sprintf(big + len, "]}}");
	ASSERT_TRUE(image_config_parse(big, len, &c, &err) < 0);
	ASSERT_CONTAINS(err->msg, "rootfs.diff_ids: more than 500 layers");
	berth_error_free(err);
	free(big);
}

TEST(chain_ids)
{
	/* The OCI spec's example: ChainID(L0|L1) = sha256("<ChainID(L0)> <DiffID(L1)>"). */
	char chain[CHAIN_ID_LEN + 1], chain2[CHAIN_ID_LEN + 1];
	layer_chain_id(NULL, D1, chain);
	ASSERT_STREQ(chain, D1);
	layer_chain_id(chain, D2, chain2);
	char want[DIGEST_LEN + 1];
	const char *s = D1 " " D2;
	digest_of(s, strlen(s), want);
	ASSERT_STREQ(chain2, want);
	/* Computed independently: printf "$D1 $D2" | sha256sum */
	ASSERT_STREQ(chain2,
		     "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
}
