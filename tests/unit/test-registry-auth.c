/* Unit tests of the registry server's authentication: htpasswd entries
 * (bcrypt only, wrong passwords and users refused) and Bearer JWTs signed
 * here with real RSA and EC keys (signature, algorithm, issuer, audience,
 * validity, the access claims). */
#include <crypt.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "registry-server.h"
#include "tap.h"

static char dir[64];

static char *tmpfile_path(const char *name)
{
	if (!dir[0]) {
		strcpy(dir, "/tmp/berth-regauth-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	return xasprintf("%s/%s", dir, name);
}

TEST(htpasswd_bcrypt)
{
	struct crypt_data cd = { 0 };
	char salt[64];
	_cleanup_free_ char *path = tmpfile_path("htpasswd");
	struct reg_htpasswd *h = NULL;

	ASSERT_TRUE(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)) != NULL);
	const char *hash = crypt_r("s3cret", salt, &cd);
	ASSERT_TRUE(hash && hash[0] == '$');
	_cleanup_free_ char *text = xasprintf("# comment\nalice:%s\nsha:%s\n", hash,
					      "$6$salt$abcdefghijklmnopqrstuvwxyz");
	ASSERT_OK(file_write_atomic(path, text, strlen(text), 0600));
	ASSERT_OK(reg_htpasswd_load(path, &h, NULL));
	ASSERT_TRUE(reg_htpasswd_check(h, "alice", "s3cret"));
	ASSERT_FALSE(reg_htpasswd_check(h, "alice", "s3cret "));
	ASSERT_FALSE(reg_htpasswd_check(h, "alice", ""));
	ASSERT_FALSE(reg_htpasswd_check(h, "bob", "s3cret"));
	ASSERT_FALSE(reg_htpasswd_check(h, "sha", "anything")); /* bcrypt only */
	reg_htpasswd_free(h);
	(void)unlink(path);
}

static char *b64url(const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = xmalloc(n * 4 / 3 + 4), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = t[v >> 18];
		*o++ = t[(v >> 12) & 63];
		*o++ = t[(v >> 6) & 63];
		*o++ = t[v & 63];
	}
	if (n - i == 1) {
		*o++ = t[p[i] >> 2];
		*o++ = t[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];
		*o++ = t[v >> 10];
		*o++ = t[(v >> 4) & 63];
		*o++ = t[(v & 15) << 2];
	}
	*o = '\0';
	return out;
}

/* header.claims.signature with key (RS256, or ES256 for an EC key). */
static char *make_jwt(EVP_PKEY *key, const char *alg, const char *claims)
{
	_cleanup_free_ char *hj = xasprintf("{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
	_cleanup_free_ char *h = b64url((const unsigned char *)hj, strlen(hj));
	_cleanup_free_ char *c = b64url((const unsigned char *)claims, strlen(claims));
	_cleanup_free_ char *input = xasprintf("%s.%s", h, c);
	unsigned char sig[1024], raw[64];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *ctx;

	if (!key)
		return xasprintf("%s.", input);
	ctx = EVP_MD_CTX_new();
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)input, strlen(input)) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
		ECDSA_SIG_free(es);
		memcpy(sig, raw, 64);
		sig_len = 64;
	}
	_cleanup_free_ char *s = b64url(sig, sig_len);
	return xasprintf("%s.%s", input, s);
}

static char *claims(const char *iss, const char *aud, long exp_off, long nbf_off)
{
	long now = (long)time(NULL);

	return xasprintf("{\"iss\":\"%s\",\"sub\":\"alice\",\"aud\":%s,\"exp\":%ld,\"nbf\":%ld,"
			 "\"access\":[{\"type\":\"repository\",\"name\":\"a/b\","
			 "\"actions\":[\"pull\"]},{\"type\":\"repository\",\"name\":\"c\","
			 "\"actions\":[\"*\"]}]}",
			 iss, aud, now + exp_off, now + nbf_off);
}

static int verify(struct reg_token_keys *k, const char *jwt, struct reg_token *t)
{
	_cleanup_error_ struct berth_error *err = NULL;

	return reg_token_verify(k, jwt, "issuer", "registry", time(NULL), t, &err);
}

TEST(jwt_rs256_es256)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256"), *other = EVP_RSA_gen(2048);
	_cleanup_free_ char *path = tmpfile_path("keys.pem");
	struct reg_token_keys *keys = NULL;
	struct reg_token t = { 0 };
	BIO *b = BIO_new_file(path, "w");

	ASSERT_TRUE(rsa && ec && other && b);
	PEM_write_bio_PUBKEY(b, rsa);
	PEM_write_bio_PUBKEY(b, ec);
	BIO_free(b);
	ASSERT_OK(reg_token_keys_load(path, &keys, NULL));

	_cleanup_free_ char *good = claims("issuer", "\"registry\"", 300, -10);
	_cleanup_free_ char *j1 = make_jwt(rsa, "RS256", good);
	ASSERT_OK(verify(keys, j1, &t));
	ASSERT_STREQ(t.subject, "alice");
	ASSERT_TRUE(reg_token_allows(&t, "repository", "a/b", "pull"));
	ASSERT_FALSE(reg_token_allows(&t, "repository", "a/b", "push"));
	ASSERT_FALSE(reg_token_allows(&t, "repository", "a", "pull"));
	ASSERT_TRUE(reg_token_allows(&t, "repository", "c", "delete"));
	reg_token_free(&t);
	_cleanup_free_ char *j2 = make_jwt(ec, "ES256", good);
	ASSERT_OK(verify(keys, j2, &t));
	reg_token_free(&t);
	_cleanup_free_ char *arr = claims("issuer", "[\"x\",\"registry\"]", 300, 0);
	_cleanup_free_ char *j3 = make_jwt(rsa, "RS256", arr);
	ASSERT_OK(verify(keys, j3, &t));
	reg_token_free(&t);
	/* leeway: expired 30 s ago is still good, 120 s is not */
	_cleanup_free_ char *late = claims("issuer", "\"registry\"", -30, -100);
	_cleanup_free_ char *j4 = make_jwt(rsa, "RS256", late);
	ASSERT_OK(verify(keys, j4, &t));
	reg_token_free(&t);

	_cleanup_free_ char *expired = claims("issuer", "\"registry\"", -120, -300);
	_cleanup_free_ char *early = claims("issuer", "\"registry\"", 600, 300);
	_cleanup_free_ char *bad_iss = claims("evil", "\"registry\"", 300, 0);
	_cleanup_free_ char *bad_aud = claims("issuer", "\"other\"", 300, 0);
	const struct {
		EVP_PKEY *key;
		const char *alg, *claims;
	} bad[] = {
		{ rsa, "RS256", expired }, { rsa, "RS256", early },  { rsa, "RS256", bad_iss },
		{ rsa, "RS256", bad_aud }, { other, "RS256", good }, { NULL, "none", good },
		{ ec, "RS256", good },	   { rsa, "ES256", good },   { rsa, "HS256", good },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *j = make_jwt(bad[i].key, bad[i].alg, bad[i].claims);
		ASSERT_TRUE(verify(keys, j, &t) < 0);
	}
	/* a changed payload breaks the signature */
	_cleanup_free_ char *j5 = xstrdup(j1);
	char *dot = strchr(j5, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';
	ASSERT_TRUE(verify(keys, j5, &t) < 0);
	ASSERT_TRUE(verify(keys, "not-a-token", &t) < 0);
	ASSERT_TRUE(verify(keys, "a.b.c", &t) < 0);

	reg_token_keys_free(keys);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(other);
	(void)unlink(path);
	(void)rmdir(dir);
}
