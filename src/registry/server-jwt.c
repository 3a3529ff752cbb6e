/* Bearer tokens: JSON Web Tokens signed with RS256 or ES256 by a token
 * server whose certificates (or public keys) the config names. A token is
 * good when one of those keys verifies its signature, its issuer and
 * audience are the configured ones, and it is within its validity (60 s of
 * leeway for clocks apart). Its "access" claim lists what it grants. */
#define LOG_CATEGORY "registry"
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "server-internal.h"

#define JWT_MAX	   16384
#define JWT_LEEWAY 60

struct reg_token_keys {
	EVP_PKEY **keys;
	size_t n;
};

struct reg_token_keys *reg_token_keys_free(struct reg_token_keys *k)
{
	if (!k)
		return NULL;
	for (size_t i = 0; i < k->n; i++)
		EVP_PKEY_free(k->keys[i]);
	free(k->keys);
	free(k);
	return NULL;
}

static void keys_add(struct reg_token_keys *k, EVP_PKEY *key)
{
	k->keys = xrealloc(k->keys, (k->n + 1) * sizeof(*k->keys));
	k->keys[k->n++] = key;
}

int reg_token_keys_load(const char *pem_path, struct reg_token_keys **ret, struct berth_error **err)
{
	BIO *bio = BIO_new_file(pem_path, "r");
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len;

	if (!bio)
		return berth_error_set(err, ENOENT, BERTH_ERR_INVALID, "open '%s'", pem_path);
	struct reg_token_keys *k = xzalloc(sizeof(*k));
	while (PEM_read_bio(bio, &name, &header, &data, &len) == 1) {
		const unsigned char *p = data;
		EVP_PKEY *key = NULL;
		if (strcmp(name, "CERTIFICATE") == 0) {
			X509 *x = d2i_X509(NULL, &p, len);
			if (x)
				key = X509_get_pubkey(x);
			X509_free(x);
		} else if (strcmp(name, "PUBLIC KEY") == 0) {
			key = d2i_PUBKEY(NULL, &p, len);
		}
		if (key)
			keys_add(k, key);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
	}
	BIO_free(bio);
	if (k->n == 0) {
		reg_token_keys_free(k);
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
				       "no certificate or public key in '%s'", pem_path);
	}
	*ret = k;
	return 0;
}

void reg_token_free(struct reg_token *t)
{
	for (size_t i = 0; i < t->n_access; i++) {
		free(t->access[i].type);
		free(t->access[i].name);
		strv_free(t->access[i].actions);
	}
	free(t->access);
	free(t->subject);
	memset(t, 0, sizeof(*t));
}

/* base64url without padding; NULL on a bad character. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *ret_len)
{
	unsigned char *out = xmalloc(n * 3 / 4 + 3);
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int v = c >= 'A' && c <= 'Z'   ? c - 'A'
			: c >= 'a' && c <= 'z' ? c - 'a' + 26
			: c >= '0' && c <= '9' ? c - '0' + 52
			: c == '-'	       ? 62
			: c == '_'	       ? 63
					       : -1;
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	out[o] = '\0';
	*ret_len = o;
	return out;
}

static json_object *b64_json(const char *s, size_t n)
{
	_cleanup_free_ unsigned char *dec = NULL;
	json_object *o = NULL;
	size_t len;

	dec = b64url_decode(s, n, &len);
	if (!dec || json_parse_text((char *)dec, len, REG_JSON_DEPTH, "token", &o, NULL) < 0)
		return NULL;
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ES256 signatures are r || s; libcrypto wants DER. */
static unsigned char *es256_der(const unsigned char *sig, size_t len, size_t *ret_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int n;

	if (len != 64 || !es)
		goto out;
	if (ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) != 1)
		goto out;
	n = i2d_ECDSA_SIG(es, &der);
	*ret_len = n > 0 ? (size_t)n : 0;
out:
	ECDSA_SIG_free(es);
	return der;
}

static bool verify_with(EVP_PKEY *key, bool ec, const char *input, size_t in_len,
			const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx;
	unsigned char *der = NULL;
	size_t der_len = 0;
	bool ok = false;

	if ((EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) != ec)
		return false;
	if (!ec && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		return false;
	if (ec && !(der = es256_der(sig, sig_len, &der_len)))
		return false;
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1)
		ok = EVP_DigestVerify(ctx, ec ? der : sig, ec ? der_len : sig_len,
				      (const unsigned char *)input, in_len) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok;
}

static int64_t claim_int(json_object *o, const char *key, int64_t def)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_int64(v);
}

static bool aud_matches(json_object *claims, const char *service)
{
	json_object *aud;

	if (!json_object_object_get_ex(claims, "aud", &aud))
		return false;
	if (json_object_is_type(aud, json_type_string))
		return strcmp(json_object_get_string(aud), service) == 0;
	if (!json_object_is_type(aud, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(aud); i++) {
		json_object *v = json_object_array_get_idx(aud, i);
		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), service) == 0)
			return true;
	}
	return false;
}

static void read_access(json_object *claims, struct reg_token *t)
{
	json_object *list, *v;

	if (!json_object_object_get_ex(claims, "access", &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	size_t n = json_object_array_length(list);
	if (n > 256)
		n = 256;
	t->access = xcalloc(n ? n : 1, sizeof(*t->access));
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(list, i), *acts;
		const char *type = NULL, *name = NULL;
		if (json_object_object_get_ex(a, "type", &v))
			type = json_object_get_string(v);
		if (json_object_object_get_ex(a, "name", &v))
			name = json_object_get_string(v);
		if (!type || !name)
			continue;
		struct reg_token_access *ac = &t->access[t->n_access++];
		ac->type = xstrdup(type);
		ac->name = xstrdup(name);
		if (json_object_object_get_ex(a, "actions", &acts) &&
		    json_object_is_type(acts, json_type_array))
			for (size_t j = 0; j < json_object_array_length(acts); j++)
				strv_push(
					&ac->actions,
					json_object_get_string(json_object_array_get_idx(acts, j)));
	}
}

static int check_claims(json_object *claims, const char *issuer, const char *service, time_t now,
			struct berth_error **err)
{
	json_object *v;
	int64_t exp = claim_int(claims, "exp", -1), nbf = claim_int(claims, "nbf", 0);

	if (!json_object_object_get_ex(claims, "iss", &v) || !issuer ||
	    strcmp(json_object_get_string(v), issuer) != 0)
		return berth_error_set(err, EACCES, BERTH_ERR_UNAUTHORIZED, "token issuer");
	if (!service || !aud_matches(claims, service))
		return berth_error_set(err, EACCES, BERTH_ERR_UNAUTHORIZED, "token audience");
	if (exp < 0 || (int64_t)now > exp + JWT_LEEWAY)
		return berth_error_set(err, EACCES, BERTH_ERR_UNAUTHORIZED, "token expired");
	if (nbf > (int64_t)now + JWT_LEEWAY)
		return berth_error_set(err, EACCES, BERTH_ERR_UNAUTHORIZED, "token not yet valid");
	return 0;
}

int reg_token_verify(struct reg_token_keys *keys, const char *jwt, const char *issuer,
		     const char *service, time_t now, struct reg_token *ret,
		     struct berth_error **err)
{
	_cleanup_json_ json_object *header = NULL, *claims = NULL;
	_cleanup_free_ unsigned char *sig = NULL;
	const char *d1, *d2, *alg;
	json_object *v;
	size_t sig_len;
	bool ec, ok = false;
	int r;

	if (!keys || strlen(jwt) > JWT_MAX || !(d1 = strchr(jwt, '.')) ||
	    !(d2 = strchr(d1 + 1, '.')))
		return berth_error_set(err, EINVAL, BERTH_ERR_UNAUTHORIZED, "malformed token");
	header = b64_json(jwt, (size_t)(d1 - jwt));
	claims = b64_json(d1 + 1, (size_t)(d2 - d1 - 1));
	sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sig_len);
	if (!header || !claims || !sig)
		return berth_error_set(err, EINVAL, BERTH_ERR_UNAUTHORIZED, "malformed token");
	if (!json_object_object_get_ex(header, "alg", &v))
		return berth_error_set(err, EINVAL, BERTH_ERR_UNAUTHORIZED, "token without alg");
	alg = json_object_get_string(v);
	if (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0)
		return berth_error_set(err, EINVAL, BERTH_ERR_UNAUTHORIZED,
				       "token algorithm '%s' not supported", alg);
	ec = strcmp(alg, "ES256") == 0;
	for (size_t i = 0; i < keys->n && !ok; i++)
		ok = verify_with(keys->keys[i], ec, jwt, (size_t)(d2 - jwt), sig, sig_len);
	if (!ok)
		return berth_error_set(err, EACCES, BERTH_ERR_UNAUTHORIZED, "token signature");
	if ((r = check_claims(claims, issuer, service, now, err)) < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	if (json_object_object_get_ex(claims, "sub", &v))
		ret->subject = xstrdup(json_object_get_string(v));
	read_access(claims, ret);
	return 0;
}

bool reg_token_allows(const struct reg_token *t, const char *type, const char *name,
		      const char *action)
{
	for (size_t i = 0; i < t->n_access; i++) {
		const struct reg_token_access *a = &t->access[i];
		if (strcmp(a->type, type) != 0 || strcmp(a->name, name) != 0)
			continue;
		if (strv_contains(a->actions, action) || strv_contains(a->actions, "*"))
			return true;
	}
	return false;
}
