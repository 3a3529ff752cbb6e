/* berth registry client: pushing one blob. HEAD for existence, then
 * cross-repository mounts from the candidates, then an upload: POST to
 * start, a monolithic PUT ?digest= for blobs up to REG_PUSH_MONOLITHIC_MAX,
 * else PATCH chunks with Content-Range (following the Location each answer
 * gives) and a closing PUT. 5xx answers, lost uploads and dropped
 * connections start the upload again after a backoff.
 */
#define LOG_CATEGORY "registry"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "client-push.h"

#define REG_PUSH_MONOLITHIC_MAX (32ull << 20)
#define REG_PUSH_CHUNK		(16ull << 20)
#define REG_PUSH_ATTEMPTS	5

/* Chunk size: REG_PUSH_CHUNK, or BERTH_REGISTRY_PUSH_CHUNK (bytes) so that
 * the tests exercise chunked uploads with small blobs. */
static uint64_t chunk_size(bool *ret_chunked, uint64_t size)
{
	const char *env = getenv("BERTH_REGISTRY_PUSH_CHUNK");
	uint64_t v = 0;

	if (env && str_to_uint64(env, &v) == 0 && v >= 1024) {
		*ret_chunked = size > v;
		return v;
	}
	*ret_chunked = size > REG_PUSH_MONOLITHIC_MAX;
	return REG_PUSH_CHUNK;
}

static char *with_digest(const char *location, const char *digest)
{
	return xasprintf("%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?", digest);
}

int reg_blob_exists(struct reg_session *s, const char *digest, bool *ret, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", reg_session_repo(s), digest);
	struct reg_response r = { 0 };
	int k;

	k = reg_request(s, "HEAD", path, NULL, NULL, 0, REG_ERROR_BODY_MAX, &r, err);
	if (k < 0)
		return k;
	if (r.status == 200) {
		*ret = true;
	} else if (r.status == 404) {
		*ret = false;
	} else {
		k = reg_error_from_response(s, &r, NULL, err);
		reg_response_clear(&r);
		return k;
	}
	reg_response_clear(&r);
	return 0;
}

/* Try the mount candidates. 1: mounted (*ret_from names the source), 0: not
 * mounted (*ret_location may hold an upload the registry started instead). */
static int try_mounts(struct reg_session *s, const char *digest, char *const *from,
		      const char **ret_from, char **ret_location, struct berth_error **err)
{
	for (size_t i = 0; from && from[i]; i++) {
		_cleanup_free_ char *path = NULL;
		struct reg_response r = { 0 };
		int k;

		if (strcmp(from[i], reg_session_repo(s)) == 0)
			continue;
		path = xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", reg_session_repo(s),
				 digest, from[i]);
		k = reg_request(s, "POST", path, NULL, "", 0, REG_ERROR_BODY_MAX, &r, err);
		if (k < 0)
			return k;
		if (r.status == 201) {
			reg_response_clear(&r);
			*ret_from = from[i];
			return 1;
		}
		if (r.status == 202 && r.location && !*ret_location)
			*ret_location = xstrdup(r.location);
		reg_response_clear(&r);
	}
	return 0;
}

static int start_upload(struct reg_session *s, char **ret_location, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/blobs/uploads/", reg_session_repo(s));
	struct reg_response r = { 0 };
	int k;

	k = reg_request(s, "POST", path, NULL, "", 0, REG_ERROR_BODY_MAX, &r, err);
	if (k < 0)
		return k;
	if (r.status != 202 || !r.location) {
		k = reg_error_from_response(s, &r, NULL, err);
		reg_response_clear(&r);
		return k;
	}
	*ret_location = TAKE_PTR(r.location);
	reg_response_clear(&r);
	return 0;
}

/* Whether an answer is worth starting the upload again. */
static bool upload_retryable(long status)
{
	return status >= 500 || status == 404 || status == 416 || status == 408;
}

/* One upload attempt. 1: retry from the start, 0: done. */
static int upload_once(struct reg_session *s, int fd, const char *digest, uint64_t size,
		       char *location, struct berth_error **err)
{
	_cleanup_free_ char *loc = location;
	static const char *const octet[] = { "Content-Type: application/octet-stream", NULL };
	struct reg_response r = { 0 };
	bool chunked;
	uint64_t chunk = chunk_size(&chunked, size), off = 0;
	_cleanup_free_ char *url = NULL;
	int k;

	if (!loc) {
		k = start_upload(s, &loc, err);
		if (k < 0)
			return k;
	}
	while (chunked && off < size) {
		uint64_t n = size - off < chunk ? size - off : chunk;
		_cleanup_free_ char *cr =
			xasprintf("Content-Range: %" PRIu64 "-%" PRIu64, off, off + n - 1);
		const char *hdrs[] = { octet[0], cr, NULL };

		k = reg_upload_stream(s, "PATCH", loc, hdrs, fd, off, n, &r, err);
		if (k < 0)
			return k;
		if (r.status != 202 || !r.location) {
			if (upload_retryable(r.status)) {
				reg_response_clear(&r);
				return 1;
			}
			k = reg_error_from_response(s, &r, NULL, err);
			reg_response_clear(&r);
			return k;
		}
		free(loc);
		loc = TAKE_PTR(r.location);
		reg_response_clear(&r);
		off += n;
	}
	url = with_digest(loc, digest);
	if (chunked)
		k = reg_request(s, "PUT", url, octet, "", 0, REG_ERROR_BODY_MAX, &r, err);
	else
		k = reg_upload_stream(s, "PUT", url, octet, fd, 0, size, &r, err);
	if (k < 0)
		return k;
	if (r.status != 201) {
		if (upload_retryable(r.status)) {
			reg_response_clear(&r);
			return 1;
		}
		k = reg_error_from_response(s, &r, NULL, err);
		reg_response_clear(&r);
		return k;
	}
	reg_response_clear(&r);
	return 0;
}

int reg_blob_push(struct reg_session *s, struct blob_store *bs, const char *digest,
		  char *const *mount_from, const struct reg_blob_push_cb *cb,
		  struct berth_error **err)
{
	_cleanup_free_ char *path = blob_path(bs, digest);
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *location = NULL;
	const char *from = NULL;
	uint64_t size = 0;
	bool exists = false;
	int k;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || blob_size(bs, digest, &size) < 0)
		return berth_error_set(err, errno ? errno : ENOENT, BERTH_ERR_NOT_FOUND, "blob %s",
				       digest);
	k = reg_blob_exists(s, digest, &exists, err);
	if (k < 0)
		return k;
	if (exists) {
		cb->status(cb->data, "Layer already exists");
		return 0;
	}
	k = try_mounts(s, digest, mount_from, &from, &location, err);
	if (k < 0)
		return k;
	if (k > 0) {
		_cleanup_free_ char *msg = xasprintf("Mounted from %s", from);
		cb->status(cb->data, msg);
		return 0;
	}
	for (unsigned attempt = 0;; attempt++) {
		_cleanup_error_ struct berth_error *e = NULL;

		k = upload_once(s, fd, digest, size, TAKE_PTR(location), &e);
		if (k == 0)
			break;
		if (attempt + 1 >= REG_PUSH_ATTEMPTS ||
		    (k < 0 && e->kind != BERTH_ERR_UNAVAILABLE)) {
			if (k > 0)
				return reg_error_set(err, EIO, BERTH_ERR_UNAVAILABLE,
						     "blob upload of %s failed %u times", digest,
						     REG_PUSH_ATTEMPTS);
			if (err && !*err)
				*err = TAKE_PTR(e);
			return k;
		}
		log_debug("Upload of %s: %s, retrying", digest, e ? e->msg : "lost");
		reg_sleep_backoff(attempt);
	}
	cb->status(cb->data, "Pushed");
	return 0;
}
