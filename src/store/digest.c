/* SHA-256 digests in their "sha256:<hex>" form, one-shot and incremental,
 * with OpenSSL's libcrypto. */
#include <assert.h>
#include <openssl/evp.h>
#include <string.h>

#include "store-internal.h"

struct digester {
	EVP_MD_CTX *ctx;
	bool finished;
};

/* Fetch the implementation once: an implicit fetch on every init is slow in
 * OpenSSL 3. */
static const EVP_MD *sha256_md(void)
{
	static EVP_MD *md;

	if (!md) {
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (!md)
			abort();
	}
	return md;
}

static void digest_format(const unsigned char raw[static 32], char buf[static DIGEST_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	memcpy(buf, DIGEST_PREFIX, sizeof(DIGEST_PREFIX) - 1);
	char *p = buf + sizeof(DIGEST_PREFIX) - 1;
	for (size_t i = 0; i < 32; i++) {
		*p++ = hex[raw[i] >> 4];
		*p++ = hex[raw[i] & 0xf];
	}
	*p = '\0';
}

bool digest_is_valid(const char *digest)
{
	if (!digest || !str_has_prefix(digest, DIGEST_PREFIX))
		return false;
	const char *h = digest_hex(digest);
	for (size_t i = 0; i < DIGEST_HEX_LEN; i++) {
		bool ok = (h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f');
		if (!ok)
			return false;
	}
	return h[DIGEST_HEX_LEN] == '\0';
}

void digest_of(const void *data, size_t len, char buf[static DIGEST_LEN + 1])
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, len, raw, &n, sha256_md(), NULL) != 1 || n != 32)
		abort();
	digest_format(raw, buf);
}

struct digester *digester_new(void)
{
	struct digester *d = xzalloc(sizeof(*d));

	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, sha256_md(), NULL) != 1)
		abort();
	return d;
}

void digester_update(struct digester *d, const void *data, size_t len)
{
	assert(!d->finished);
	if (len > 0 && EVP_DigestUpdate(d->ctx, data, len) != 1)
		abort();
}

void digester_final(struct digester *d, char buf[static DIGEST_LEN + 1])
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert(!d->finished);
	if (EVP_DigestFinal_ex(d->ctx, raw, &n) != 1 || n != 32)
		abort();
	d->finished = true;
	digest_format(raw, buf);
}

struct digester *digester_free(struct digester *d)
{
	if (!d)
		return NULL;
	EVP_MD_CTX_free(d->ctx);
	free(d);
	return NULL;
}
