/* Blobs: GET and HEAD (whole or one byte range, sent with sendfile) and
 * DELETE, which unlinks the blob from the repository (the content goes at
 * the next garbage collection). */
#define LOG_CATEGORY "registry"
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server-internal.h"

static void blob_unknown(struct reg_req *rq, const char *digest)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "digest", json_object_new_string(digest));
	reg_error(rq, 404, "BLOB_UNKNOWN", "blob unknown to registry", d);
}

/* "bytes=a-b", "bytes=a-" or "bytes=-n" against size: 1 and the range, 0
 * when the header is to be ignored (a multi-range), -1 when unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *ret_start, uint64_t *ret_end)
{
	uint64_t a = 0, b = 0;
	const char *p = h + 6;
	char *end;

	if (!str_has_prefix(h, "bytes=") || strchr(p, ','))
		return 0;
	if (*p == '-') {
		b = strtoull(p + 1, &end, 10);
		if (end == p + 1 || *end || b == 0 || size == 0)
			return -1;
		*ret_start = b >= size ? 0 : size - b;
		*ret_end = size - 1;
		return 1;
	}
	if (*p < '0' || *p > '9')
		return -1;
	a = strtoull(p, &end, 10);
	if (*end != '-')
		return -1;
	p = end + 1;
	if (*p == '\0') {
		b = size ? size - 1 : 0;
	} else {
		b = strtoull(p, &end, 10);
		if (*end || (*p < '0' || *p > '9'))
			return -1;
		if (b >= size)
			b = size - 1;
	}
	if (a >= size || a > b)
		return -1;
	*ret_start = a;
	*ret_end = b;
	return 1;
}

void reg_h_blob_get(struct http_request *req, void *data)
{
	const char *digest = http_request_param(req, "digest");
	const char *range = http_request_header(req, "Range");
	_cleanup_free_ char *path = NULL;
	struct reg_req rq;
	struct stat st;
	uint64_t a = 0, b = 0;
	char buf[96];

	reg_req_init(&rq, data, req);
	if (!reg_begin(&rq, "pull") || !reg_digest_ok(&rq, digest, "DIGEST_INVALID"))
		return;
	if (!reg_link_exists(rq.srv, rq.name, REG_LINK_BLOB, digest) &&
	    !reg_link_exists(rq.srv, rq.name, REG_LINK_MANIFEST, digest)) {
		blob_unknown(&rq, digest);
		return;
	}
	path = blob_path(rq.srv->store, digest);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			(void)close(fd);
		blob_unknown(&rq, digest);
		return;
	}
	uint64_t size = (uint64_t)st.st_size;
	int r = range ? parse_range(range, size, &a, &b) : 0;
	(void)snprintf(buf, sizeof(buf), "\"%s\"", digest);
	http_response_add_header(req, "ETag", buf);
	http_response_add_header(req, "Docker-Content-Digest", digest);
	http_response_add_header(req, "Accept-Ranges", "bytes");
	http_response_add_header(req, "Cache-Control", "max-age=31536000");
	if (r < 0) {
		(void)close(fd);
		(void)snprintf(buf, sizeof(buf), "bytes */%" PRIu64, size);
		http_response_add_header(req, "Content-Range", buf);
		reg_respond(&rq, 416, NULL, NULL, 0);
		return;
	}
	if (r == 0) {
		reg_respond_file(&rq, 200, "application/octet-stream", fd, 0, size);
		return;
	}
	(void)snprintf(buf, sizeof(buf), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, a, b, size);
	http_response_add_header(req, "Content-Range", buf);
	reg_respond_file(&rq, 206, "application/octet-stream", fd, a, b - a + 1);
}

void reg_h_blob_delete(struct http_request *req, void *data)
{
	const char *digest = http_request_param(req, "digest");
	struct reg_req rq;

	reg_req_init(&rq, data, req);
	if (!reg_begin(&rq, "delete") || !reg_digest_ok(&rq, digest, "DIGEST_INVALID"))
		return;
	if (reg_link_remove(rq.srv, rq.name, REG_LINK_BLOB, digest) < 0) {
		blob_unknown(&rq, digest);
		return;
	}
	http_response_add_header(req, "Docker-Content-Digest", digest);
	reg_respond(&rq, 202, NULL, NULL, 0);
}
