/* Image references, parsed and normalized as docker does (the grammar of
 * github.com/distribution/reference and its ParseNormalizedNamed):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ("/" path-component)*
 *   domain    := host [":" port]; host := domain-name | "[" ipv6 "]"
 *   path-component := [a-z0-9]+ (([._]|__|-+) [a-z0-9]+)*
 *   tag       := [\w][\w.-]{0,127}
 *
 * The first component is a domain when it contains '.' or ':', is
 * "localhost" or has an uppercase letter; otherwise the domain is docker.io,
 * where single-component names live under "library/". Digests are sha256 only
 * (the content store's algorithm).
 */
#define LOG_CATEGORY "image"
#include <ctype.h>
#include <string.h>

#include "image-internal.h"

#define DEFAULT_DOMAIN	"docker.io"
#define LEGACY_DOMAIN	"index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define NAME_MAX_LEN	255
#define TAG_MAX_LEN	128

static int invalid(struct berth_error **err, const char *detail)
{
	if (detail)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid reference format: %s",
				       detail);
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid reference format");
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
	return isascii((unsigned char)c) && (isalnum((unsigned char)c) || c == '_');
}

static bool is_hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])? */
static bool match_domain_component(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isascii((unsigned char)s[i]) || !(isalnum((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

static bool match_host(const char *s, size_t n)
{
	if (n >= 2 && s[0] == '[') {
		if (s[n - 1] != ']' || n == 2)
			return false;
		for (size_t i = 1; i < n - 1; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':')
				return false;
		return true;
	}
	for (;;) {
		const char *dot = memchr(s, '.', n);
		size_t len = dot ? (size_t)(dot - s) : n;
		if (!match_domain_component(s, len))
			return false;
		if (!dot)
			return true;
		s += len + 1;
		n -= len + 1;
	}
}

static bool match_domain(const char *s)
{
	size_t n = strlen(s);
	const char *close = s[0] == '[' ? memchr(s, ']', n) : s;
	const char *colon = close ? memchr(close, ':', n - (size_t)(close - s)) : NULL;

	if (!colon)
		return match_host(s, n);
	if (!match_host(s, (size_t)(colon - s)) || colon[1] == '\0')
		return false;
	for (const char *p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* path-component ("/" path-component)* on [s, s+n). */
static bool match_path(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		if (s[i] == '/') {
			i++;
			continue;
		}
		if (s[i] == '.' || (s[i] == '_' && (i + 1 >= n || s[i + 1] != '_')))
			i++;
		else if (s[i] == '_')
			i += 2;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
	}
}

static bool match_tag(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TAG_MAX_LEN || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}, then
 * the algorithm's own rules, with go-digest's messages. */
static int check_digest(const char *d, struct berth_error **err)
{
	const char *colon = strchr(d, ':');
	size_t i = 0, alg_len;

	if (!colon)
		return invalid(err, NULL);
	alg_len = (size_t)(colon - d);
	for (;;) {
		if (i >= alg_len || !isalpha((unsigned char)d[i]))
			return invalid(err, NULL);
		while (i < alg_len && isascii((unsigned char)d[i]) && isalnum((unsigned char)d[i]))
			i++;
		if (i == alg_len)
			break;
		if (!strchr("-_+.", d[i]))
			return invalid(err, NULL);
		i++;
	}
	size_t hex_len = strlen(colon + 1);
	for (const char *p = colon + 1; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return invalid(err, NULL);
	if (hex_len < 32)
		return invalid(err, NULL);
	if (alg_len != 6 || memcmp(d, "sha256", 6) != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "unsupported digest algorithm");
	if (hex_len != DIGEST_HEX_LEN)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid checksum digest length");
	if (!is_hex_lower(colon + 1, hex_len))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid checksum digest format");
	return 0;
}

/* splitDockerDomain: *ret_domain and *ret_rest are new strings. */
static void split_domain(const char *s, char **ret_domain, char **ret_rest)
{
	const char *slash = strchr(s, '/');
	_cleanup_free_ char *domain = NULL;
	_cleanup_free_ char *rest = NULL;

	if (!slash) {
		*ret_domain = xstrdup(DEFAULT_DOMAIN);
		*ret_rest = xasprintf(OFFICIAL_PREFIX "%s", s);
		return;
	}
	domain = xstrndup(s, (size_t)(slash - s));
	bool upper = false;
	for (const char *p = domain; *p; p++)
		upper |= isupper((unsigned char)*p) != 0;
	if (strcmp(domain, "localhost") == 0 || strpbrk(domain, ".:") || upper) {
		rest = xstrdup(slash + 1);
	} else {
		free(domain);
		domain = xstrdup(DEFAULT_DOMAIN);
		rest = xstrdup(s);
	}
	if (strcmp(domain, LEGACY_DOMAIN) == 0) {
		free(domain);
		domain = xstrdup(DEFAULT_DOMAIN);
	}
	if (strcmp(domain, DEFAULT_DOMAIN) == 0 && !strchr(rest, '/')) {
		char *full = xasprintf(OFFICIAL_PREFIX "%s", rest);
		free(rest);
		rest = full;
	}
	*ret_domain = TAKE_PTR(domain);
	*ret_rest = TAKE_PTR(rest);
}

int image_ref_parse(const char *s, struct image_ref **ret, struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *r = NULL;
	_cleanup_free_ char *rest = NULL;
	int q;

	if (!s || !*s)
		return invalid(err, NULL);
	if (strlen(s) == DIGEST_HEX_LEN && is_hex_lower(s, DIGEST_HEX_LEN))
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"invalid repository name (%s), cannot specify 64-byte hexadecimal strings",
			s);
	r = xzalloc(sizeof(*r));
	split_domain(s, &r->domain, &rest);

	char *at = strchr(rest, '@');
	if (at) {
		*at = '\0';
		if ((q = check_digest(at + 1, err)) < 0)
			return q;
		r->digest = xstrdup(at + 1);
	}
	char *colon = strchr(rest, ':');
	for (const char *p = rest; *p && p != colon; p++)
		if (isupper((unsigned char)*p))
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"invalid reference format: repository name (%.*s) "
				"must be lowercase",
				(int)(colon ? colon - rest : (ptrdiff_t)strlen(rest)), rest);
	if (colon) {
		*colon = '\0';
		if (!match_tag(colon + 1))
			return invalid(err, NULL);
		r->tag = xstrdup(colon + 1);
	}
	if (!match_domain(r->domain) || !match_path(rest, strlen(rest)))
		return invalid(err, NULL);
	if (strlen(rest) > NAME_MAX_LEN)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "repository name must not be more than %d characters",
				       NAME_MAX_LEN);
	r->path = TAKE_PTR(rest);
	if (!r->tag && !r->digest)
		r->tag = xstrdup("latest");
	*ret = TAKE_PTR(r);
	return 0;
}

struct image_ref *image_ref_free(struct image_ref *r)
{
	if (!r)
		return NULL;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	free(r);
	return NULL;
}

static char *with_suffix(char *name, const struct image_ref *r)
{
	char *s = xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
			    r->digest ? "@" : "", r->digest ? r->digest : "");
	free(name);
	return s;
}

char *image_ref_repo(const struct image_ref *r)
{
	return xasprintf("%s/%s", r->domain, r->path);
}

char *image_ref_string(const struct image_ref *r)
{
	return with_suffix(image_ref_repo(r), r);
}

char *image_ref_familiar(const struct image_ref *r)
{
	if (strcmp(r->domain, DEFAULT_DOMAIN) != 0)
		return image_ref_string(r);
	const char *path = r->path;
	if (str_has_prefix(path, OFFICIAL_PREFIX) && !strchr(path + strlen(OFFICIAL_PREFIX), '/'))
		path += strlen(OFFICIAL_PREFIX);
	return with_suffix(xstrdup(path), r);
}

bool image_is_id_like(const char *s)
{
	if (str_has_prefix(s, "sha256:"))
		s += strlen("sha256:");
	size_t n = strlen(s);
	return n > 0 && n <= DIGEST_HEX_LEN && is_hex_lower(s, n);
}
