/* Unit tests of the registry client's authentication and error pieces:
 * WWW-Authenticate parsing, base64, X-Registry-Auth, dockerd's error
 * wording, insecure registry matching (loopback, host:port, CIDR) and the
 * endpoints tried. No network. */
#include "tap.h"

#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client-transport.h"

static struct reg_response body_response(long status, const char *body)
{
	struct reg_response r = { .status = status, .content_length = UINT64_MAX };
	if (body) {
		r.body = xstrdup(body);
		r.body_len = strlen(body);
	}
	return r;
}

TEST(challenge_bearer_quoted_params)
{
	struct reg_challenge *c = NULL;
	size_t n = 0;

	reg_challenges_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry."
			     "docker.io\",scope=\"repository:library/busybox:pull,push\"",
			     &c, &n);
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(c[0].scheme, "bearer");
	ASSERT_STREQ(reg_challenge_param(&c[0], "realm"), "https://auth.docker.io/token");
	ASSERT_STREQ(reg_challenge_param(&c[0], "service"), "registry.docker.io");
	ASSERT_STREQ(reg_challenge_param(&c[0], "scope"), "repository:library/busybox:pull,push");
	reg_challenges_free(c, n);
}

TEST(challenge_several_and_escapes)
{
	struct reg_challenge *c = NULL;
	size_t n = 0;

	reg_challenges_parse("Basic realm=\"a \\\"quoted\\\" realm\", charset=UTF-8, "
			     "BEARER Realm=http://x/token , error=\"invalid_token\",Newauth",
			     &c, &n);
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(c[0].scheme, "basic");
	ASSERT_STREQ(reg_challenge_param(&c[0], "realm"), "a \"quoted\" realm");
	ASSERT_STREQ(reg_challenge_param(&c[0], "charset"), "UTF-8");
	ASSERT_STREQ(c[1].scheme, "bearer");
	ASSERT_STREQ(reg_challenge_param(&c[1], "realm"), "http://x/token");
	ASSERT_STREQ(reg_challenge_param(&c[1], "error"), "invalid_token");
	ASSERT_STREQ(c[2].scheme, "newauth");
	ASSERT_EQ(c[2].n, 0);
	reg_challenges_free(c, n);
}

TEST(challenge_empty_and_garbage)
{
	struct reg_challenge *c = NULL;
	size_t n = 7;

	reg_challenges_parse("", &c, &n);
	ASSERT_EQ(n, 0);
	reg_challenges_free(c, n);
	reg_challenges_parse(" , ,\"x\" Basic", &c, &n);
	ASSERT_TRUE(n >= 1);
	ASSERT_STREQ(c[n - 1].scheme, "basic");
	reg_challenges_free(c, n);
}

TEST(session_takes_bearer_over_basic)
{
	struct reg_session s = { 0 };

	reg_session_take_challenge(&s, "Basic realm=\"r\", Bearer realm=\"http://t/tok\","
				       "service=\"svc\"");
	ASSERT_EQ(s.scheme, REG_SCHEME_BEARER);
	ASSERT_STREQ(s.realm, "http://t/tok");
	ASSERT_STREQ(s.service, "svc");
	free(s.realm);
	free(s.service);
}

TEST(base64_variants)
{
	char *out = NULL;
	size_t len = 0;

	ASSERT_OK(reg_base64_decode("aGVsbG8/Pz4+", &out, &len));
	ASSERT_STREQ(out, "hello?\?>>");
	free(out);
	ASSERT_OK(reg_base64_decode("aGVsbG8_Pz4-", &out, &len)); /* URL-safe */
	ASSERT_STREQ(out, "hello?\?>>");
	free(out);
	ASSERT_OK(reg_base64_decode("YQ==", &out, &len));
	ASSERT_STREQ(out, "a");
	free(out);
	ASSERT_OK(reg_base64_decode("YQ", &out, &len)); /* unpadded */
	ASSERT_STREQ(out, "a");
	ASSERT_EQ(len, 1);
	free(out);
	ASSERT_TRUE(reg_base64_decode("Y", &out, &len) < 0);
	ASSERT_TRUE(reg_base64_decode("a b", &out, &len) < 0);
	ASSERT_TRUE(reg_base64_decode("YQ==YQ", &out, &len) < 0);
	out = reg_base64_encode("alice:s3cret", 12);
	ASSERT_STREQ(out, "YWxpY2U6czNjcmV0");
	free(out);
	out = reg_base64_encode("ab", 2);
	ASSERT_STREQ(out, "YWI=");
	free(out);
}

TEST(x_registry_auth)
{
	struct reg_auth *a = NULL;
	struct berth_error *e = NULL;
	const char *json = "{\"username\":\"alice\",\"Password\":\"pw\",\"serveraddress\":"
			   "\"localhost:5000\",\"identitytoken\":\"\",\"auth\":\"ignored\"}";
	char *b64 = reg_base64_encode(json, strlen(json));

	/* URL-safe, unpadded as the docker CLI sends it */
	for (char *p = b64; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p == '=' ? '\0' : *p;
	ASSERT_OK(reg_auth_decode(b64, &a, &e));
	free(b64);
	ASSERT_STREQ(a->username, "alice");
	ASSERT_STREQ(a->password, "pw");
	ASSERT_STREQ(a->server_address, "localhost:5000");
	ASSERT_TRUE(a->identity_token == NULL);
	reg_auth_free(a);

	ASSERT_OK(reg_auth_decode("", &a, &e));
	ASSERT_TRUE(a->username == NULL && a->password == NULL);
	reg_auth_free(a);
	ASSERT_OK(reg_auth_decode("e30=", &a, &e)); /* {} */
	ASSERT_TRUE(a->username == NULL);
	reg_auth_free(a);

	ASSERT_TRUE(reg_auth_decode("!!!", &a, &e) < 0);
	ASSERT_EQ(e->kind, BERTH_ERR_INVALID);
	ASSERT_CONTAINS(e->msg, "invalid X-Registry-Auth header");
	berth_error_free(e);
	e = NULL;
	b64 = reg_base64_encode("[1]", 3);
	ASSERT_TRUE(reg_auth_decode(b64, &a, &e) < 0);
	free(b64);
	berth_error_free(e);
}

TEST(errors_manifest_unknown)
{
	struct berth_error *e = NULL;
	struct reg_response r = body_response(
		404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
		     "\"detail\":{\"Tag\":\"b\"}}]}");

	ASSERT_EQ(reg_error_from_response(NULL, &r, "manifest for localhost:5000/a:b", &e),
		  -ENOENT);
	ASSERT_EQ(e->kind, BERTH_ERR_NOT_FOUND);
	ASSERT_STREQ(e->msg, "manifest for localhost:5000/a:b not found: manifest unknown: "
			     "manifest unknown");
	berth_error_free(e);
	reg_response_clear(&r);
}

TEST(errors_denied_and_pull_access)
{
	struct berth_error *e = NULL;
	struct reg_response r = body_response(
		401, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"requested access to the "
		     "resource is denied\"}]}");

	reg_error_from_response(NULL, &r, "manifest for x", &e);
	ASSERT_EQ(e->kind, BERTH_ERR_UNAUTHORIZED);
	ASSERT_STREQ(e->msg, "denied: requested access to the resource is denied");
	berth_error_free(e);
	e = NULL;
	reg_error_access_denied(NULL, &r, "pull", "localhost:5000/x", &e);
	/* dockerd's kind for it: not found (an unauthorized answer would make
	 * the docker CLI prompt for a login) */
	ASSERT_EQ(e->kind, BERTH_ERR_NOT_FOUND);
	ASSERT_STREQ(e->msg, "pull access denied for localhost:5000/x, repository does not exist "
			     "or may require 'docker login': denied: requested access to the "
			     "resource is denied");
	berth_error_free(e);
	reg_response_clear(&r);
}

TEST(errors_without_body)
{
	struct berth_error *e = NULL;
	struct reg_response r = body_response(503, NULL);
	struct reg_session s = { .scheme = REG_SCHEME_BASIC };

	reg_error_from_response(NULL, &r, NULL, &e);
	ASSERT_EQ(e->kind, BERTH_ERR_UNAVAILABLE);
	ASSERT_STREQ(e->msg, "received unexpected HTTP status: 503 Service Unavailable");
	berth_error_free(e);
	e = NULL;
	r.status = 401;
	reg_error_from_response(&s, &r, NULL, &e);
	ASSERT_STREQ(e->msg, "no basic auth credentials");
	berth_error_free(e);
	e = NULL;
	s.username = "alice";
	reg_error_from_response(&s, &r, NULL, &e);
	ASSERT_EQ(e->kind, BERTH_ERR_UNAUTHORIZED);
	ASSERT_STREQ(e->msg, "unauthorized: authentication required");
	berth_error_free(e);
}

TEST(errors_several_and_invalid)
{
	struct berth_error *e = NULL;
	struct reg_response r = body_response(
		400,
		"{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"provided digest did "
		"not match uploaded content\"},{\"code\":\"SIZE_INVALID\",\"message\":\"x\"}]}");

	reg_error_from_response(NULL, &r, NULL, &e);
	ASSERT_EQ(e->kind, BERTH_ERR_INVALID);
	ASSERT_STREQ(e->msg, "errors:\ndigest invalid: provided digest did not match uploaded "
			     "content\nsize invalid: x\n");
	berth_error_free(e);
	reg_response_clear(&r);
}

TEST(transport_errors_read_like_go)
{
	struct berth_error *e = NULL;

	ASSERT_EQ(reg_transport_error("GET", "http://127.0.0.1:5001/v2/", CURLE_COULDNT_CONNECT,
				      ECONNREFUSED, "", &e),
		  -ECONNREFUSED);
	ASSERT_EQ(e->kind, BERTH_ERR_UNAVAILABLE);
	ASSERT_STREQ(e->msg, "Get \"http://127.0.0.1:5001/v2/\": dial tcp 127.0.0.1:5001: "
			     "connect: connection refused");
	berth_error_free(e);
	e = NULL;
	reg_transport_error("HEAD", "https://reg.example/v2/a/blobs/x", CURLE_COULDNT_RESOLVE_HOST,
			    0, "", &e);
	ASSERT_STREQ(e->msg, "Head \"https://reg.example/v2/a/blobs/x\": dial tcp: lookup "
			     "reg.example: no such host");
	berth_error_free(e);
	e = NULL;
	reg_transport_error("GET", "https://localhost:5000/v2/", CURLE_SSL_CONNECT_ERROR, 0,
			    "error:0A00010B:SSL routines::wrong version number", &e);
	ASSERT_STREQ(e->msg, "Get \"https://localhost:5000/v2/\": http: server gave HTTP "
			     "response to HTTPS client");
	berth_error_free(e);
}

TEST(insecure_matching)
{
	char *list[] = { "10.1.0.0/16", "myreg:5000", "fd00::/8", NULL };
	struct reg_options o = { .insecure = list };

	ASSERT_TRUE(reg_is_insecure(NULL, "localhost:5000"));
	ASSERT_TRUE(reg_is_insecure(NULL, "LOCALHOST"));
	ASSERT_TRUE(reg_is_insecure(NULL, "127.0.0.1:5000"));
	ASSERT_TRUE(reg_is_insecure(NULL, "127.200.3.4"));
	ASSERT_TRUE(reg_is_insecure(NULL, "[::1]:5000"));
	ASSERT_FALSE(reg_is_insecure(NULL, "128.0.0.1:5000"));
	ASSERT_FALSE(reg_is_insecure(NULL, "docker.io"));
	ASSERT_TRUE(reg_is_insecure(&o, "10.1.200.3:443"));
	ASSERT_FALSE(reg_is_insecure(&o, "10.2.0.1"));
	ASSERT_TRUE(reg_is_insecure(&o, "myreg:5000"));
	ASSERT_FALSE(reg_is_insecure(&o, "myreg:5001"));
	ASSERT_FALSE(reg_is_insecure(&o, "myreg"));
	ASSERT_TRUE(reg_is_insecure(&o, "[fd12::5]:5000"));
	ASSERT_FALSE(reg_is_insecure(&o, "[fe80::1]:5000"));
}

TEST(endpoints_in_order)
{
	char *mirrors[] = { "https://mirror.example:5000/", "10.1.0.3:5000", NULL };
	char *insecure[] = { "10.1.0.0/16", NULL };
	struct reg_options o = { .mirrors = mirrors, .insecure = insecure };
	struct reg_session *s = xzalloc(sizeof(*s));

	s->opts = &o;
	s->domain = xstrdup("docker.io");
	reg_endpoints_build(s);
	ASSERT_EQ(s->n_endpoints, 3);
	ASSERT_STREQ(s->endpoints[0].base, "https://mirror.example:5000");
	ASSERT_TRUE(s->endpoints[0].verify);
	ASSERT_STREQ(s->endpoints[1].base, "https://10.1.0.3:5000");
	ASSERT_FALSE(s->endpoints[1].verify);
	ASSERT_STREQ(s->endpoints[2].base, "https://registry-1.docker.io");
	reg_endpoints_drop_mirrors(s); /* a push */
	ASSERT_EQ(s->n_endpoints, 1);
	ASSERT_STREQ(s->endpoints[0].base, "https://registry-1.docker.io");
	ASSERT_FALSE(s->endpoints[0].mirror);
	reg_session_free(s);

	s = xzalloc(sizeof(*s));
	s->opts = &o;
	s->domain = xstrdup("localhost:5000");
	reg_endpoints_build(s);
	ASSERT_EQ(s->n_endpoints, 2);
	ASSERT_STREQ(s->endpoints[0].base, "https://localhost:5000");
	ASSERT_FALSE(s->endpoints[0].verify);
	ASSERT_STREQ(s->endpoints[1].base, "http://localhost:5000");
	reg_session_free(s);

	s = xzalloc(sizeof(*s));
	s->opts = &o;
	s->domain = xstrdup("quay.io");
	reg_endpoints_build(s);
	ASSERT_EQ(s->n_endpoints, 1);
	ASSERT_STREQ(s->endpoints[0].base, "https://quay.io");
	ASSERT_TRUE(s->endpoints[0].verify);
	reg_session_free(s);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

TEST(certs_d_cas_and_client_certificate)
{
	char root[] = "/tmp/test-registry-certs.XXXXXX";
	struct reg_options o = { 0 };
	struct reg_session *s = NULL;
	struct berth_error *e = NULL;
	char *dir;

	ASSERT_TRUE(mkdtemp(root) != NULL);
	o.certs_dir = root;
	dir = xasprintf("%s/reg.example:5000", root);
	ASSERT_OK(mkdir(dir, 0700));
	write_file(dir, "ca.crt", "-----BEGIN CERTIFICATE-----\nEXTRA-CA\n");
	write_file(dir, "client.cert", "cert");
	write_file(dir, "client.key", "key");

	s = xzalloc(sizeof(*s));
	s->opts = &o;
	s->domain = xstrdup("reg.example:5000");
	ASSERT_OK(reg_tls_load(s, &e));
	ASSERT_TRUE(s->ca_blob != NULL);
	ASSERT_TRUE(memmem(s->ca_blob, s->ca_blob_len, "EXTRA-CA", 8) != NULL);
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) /* system CAs first */
		ASSERT_TRUE(s->ca_blob_len > 1000);
	ASSERT_CONTAINS(s->client_cert, "/reg.example:5000/client.cert");
	ASSERT_CONTAINS(s->client_key, "/reg.example:5000/client.key");
	reg_session_free(s);

	/* a certificate without its key is refused */
	char *key = xasprintf("%s/client.key", dir);
	ASSERT_OK(unlink(key));
	free(key);
	s = xzalloc(sizeof(*s));
	s->opts = &o;
	s->domain = xstrdup("reg.example:5000");
	ASSERT_TRUE(reg_tls_load(s, &e) < 0);
	ASSERT_EQ(e->kind, BERTH_ERR_INVALID);
	ASSERT_CONTAINS(e->msg, "missing key client.key");
	berth_error_free(e);
	reg_session_free(s);

	/* no directory for the registry: the system's CAs, no blob */
	s = xzalloc(sizeof(*s));
	s->opts = &o;
	s->domain = xstrdup("other:443");
	ASSERT_OK(reg_tls_load(s, NULL));
	ASSERT_TRUE(s->ca_blob == NULL && s->client_cert == NULL);
	reg_session_free(s);
	ASSERT_OK(rm_rf(root));
	free(dir);
}
