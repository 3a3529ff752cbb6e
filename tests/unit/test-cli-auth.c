/* Unit tests of the CLI's registry credentials (src/cli/cli-auth-config.c):
 * base64, registry keys, config.json read and written back with its other
 * keys, and the X-Registry-Auth header. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-registry-internal.h"
#include "tap.h"

static const struct cli_opt no_globals[] = { {} };
const struct cli_opt *cli_global_opts = no_globals;

TEST(base64_both_alphabets)
{
	_cleanup_free_ char *a = cli_base64_encode("alice:s3cret", 12, false);
	ASSERT_STREQ(a, "YWxpY2U6czNjcmV0");
	_cleanup_free_ char *b = cli_base64_encode("\xfb\xff", 2, true);
	ASSERT_STREQ(b, "-_8=");
	_cleanup_free_ char *c = cli_base64_encode("{}", 2, true);
	ASSERT_STREQ(c, "e30=");
	char *out = NULL;
	size_t n = 0;
	ASSERT_OK(cli_base64_decode("-_8", &out, &n));
	ASSERT_EQ(n, 2);
	ASSERT_TRUE((unsigned char)out[0] == 0xfb && (unsigned char)out[1] == 0xff);
	free(out);
	ASSERT_TRUE(cli_base64_decode("a b", &out, NULL) < 0);
}

TEST(registry_keys)
{
	_cleanup_free_ char *a = cli_registry_key("docker.io");
	_cleanup_free_ char *b = cli_registry_key("https://index.docker.io/v1/");
	_cleanup_free_ char *c = cli_registry_key("http://localhost:5000/v2/");
	_cleanup_free_ char *d = cli_registry_key("127.0.0.1:5000");
	ASSERT_STREQ(a, CLI_INDEX_SERVER);
	ASSERT_STREQ(b, CLI_INDEX_SERVER);
	ASSERT_STREQ(c, "localhost:5000");
	ASSERT_STREQ(d, "127.0.0.1:5000");
}

TEST(config_round_trip)
{
	char dir[] = "/tmp/test-cli-auth-XXXXXX";
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	setenv("DOCKER_CONFIG", dir, 1);
	_cleanup_free_ char *path = xasprintf("%s/config.json", dir);
	const char *text = "{\"psFormat\":\"x\",\"auths\":{\"http://old.example/v1/\":"
			   "{\"auth\":\"dTpw\"}}}";
	ASSERT_OK(file_write_atomic(path, text, strlen(text), 0644));

	struct cli_auth a = { 0 };
	ASSERT_OK(cli_auth_get("old.example", &a, NULL)); /* a legacy key */
	ASSERT_STREQ(a.username, "u");
	ASSERT_STREQ(a.password, "p");
	cli_auth_done(&a);

	struct cli_auth s = { .username = "bob", .identity_token = "tok" };
	bool in_file = false, found = false;
	ASSERT_OK(cli_auth_store("localhost:5000", &s, &in_file, NULL));
	ASSERT_TRUE(in_file);
	struct stat st;
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	_cleanup_free_ char *saved = NULL;
	ASSERT_OK(file_read_all(path, 1 << 20, &saved, NULL));
	ASSERT_CONTAINS(saved, "\"psFormat\"");
	ASSERT_CONTAINS(saved, "\"identitytoken\"");
	ASSERT_CONTAINS(saved, "Ym9iOg=="); /* "bob:" */

	_cleanup_free_ char *hdr = cli_registry_auth_header("localhost:5000");
	ASSERT_TRUE(str_has_prefix(hdr, "X-Registry-Auth: "));
	char *json = NULL;
	hdr[strlen(hdr) - 2] = '\0';
	ASSERT_OK(cli_base64_decode(hdr + strlen("X-Registry-Auth: "), &json, NULL));
	ASSERT_CONTAINS(json, "\"identitytoken\":\"tok\"");
	ASSERT_CONTAINS(json, "\"serveraddress\":\"localhost:5000\"");
	free(json);

	ASSERT_OK(cli_auth_erase("localhost:5000", &found, NULL));
	ASSERT_TRUE(found);
	ASSERT_OK(cli_auth_erase("localhost:5000", &found, NULL));
	ASSERT_FALSE(found);
	_cleanup_free_ char *none = cli_registry_auth_header("localhost:5000");
	ASSERT_STREQ(none, "X-Registry-Auth: e30=\r\n");
	(void)rm_rf(dir);
}
