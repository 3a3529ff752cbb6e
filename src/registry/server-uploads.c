/* Blob uploads: POST (a session, a monolithic upload with ?digest=, or a
 * cross-repository mount), PATCH chunks (in order, checked against
 * Content-Range), PUT ?digest= to close (with an optional last chunk),
 * GET for the status and DELETE to cancel.
 *
 * A session is <root>/uploads/<uuid>/ with "data" and "state" (the
 * repository). Bodies are streamed to the data file and hashed as they
 * arrive; a session found on disk (after a restart) or interrupted mid-write
 * is hashed again from its data when it is closed. The closing PUT checks
 * the digest and renames the data into the blob store. */
#define LOG_CATEGORY "registry"
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "server-internal.h"

struct reg_upload {
	struct reg_upload *next;
	char uuid[40];
	char *name;
	char *dir;
	int fd;
	uint64_t size;
	struct digester *dg; /* NULL: hash the data again when closing */
	bool busy;
};

static void upload_free(struct reg_upload *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		(void)close(u->fd);
	digester_free(u->dg);
	free(u->name);
	free(u->dir);
	free(u);
}

void reg_uploads_free(struct reg_server *s)
{
	while (s->uploads) {
		struct reg_upload *u = s->uploads;
		s->uploads = u->next;
		upload_free(u);
	}
}

/* Forget a session and remove its files. */
static void upload_drop(struct reg_server *s, struct reg_upload *u)
{
	for (struct reg_upload **p = &s->uploads; *p; p = &(*p)->next)
		if (*p == u) {
			*p = u->next;
			break;
		}
	(void)rm_rf(u->dir);
	upload_free(u);
}

static bool uuid_is_valid(const char *id)
{
	if (strlen(id) != 36)
		return false;
	for (size_t i = 0; i < 36; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f') ||
		      ((i == 8 || i == 13 || i == 18 || i == 23) && id[i] == '-')))
			return false;
	return true;
}

static struct reg_upload *upload_new(struct reg_server *s, const char *name)
{
	unsigned char rnd[16];
	struct reg_upload *u;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return NULL;
	rnd[6] = (rnd[6] & 0x0f) | 0x40;
	rnd[8] = (rnd[8] & 0x3f) | 0x80;
	u = xzalloc(sizeof(*u));
	(void)snprintf(u->uuid, sizeof(u->uuid),
		       "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		       rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8],
		       rnd[9], rnd[10], rnd[11], rnd[12], rnd[13], rnd[14], rnd[15]);
	u->name = xstrdup(name);
	u->dir = xasprintf("%s/uploads/%s", s->root, u->uuid);
	u->fd = -EBADF;
	_cleanup_free_ char *data = xasprintf("%s/data", u->dir);
	_cleanup_free_ char *state = xasprintf("%s/state", u->dir);
	if (mkdir_p(u->dir, 0700) < 0 || reg_write_atomic(state, name) < 0 ||
	    (u->fd = open(data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		(void)rm_rf(u->dir);
		upload_free(u);
		return NULL;
	}
	u->dg = digester_new();
	u->next = s->uploads;
	s->uploads = u;
	return u;
}

/* The session uuid of repository name, from memory or from disk. */
static struct reg_upload *upload_find(struct reg_server *s, const char *name, const char *uuid)
{
	_cleanup_free_ char *dir = NULL, *state = NULL, *data = NULL, *owner = NULL;
	struct reg_upload *u;
	struct stat st;
	size_t len;

	if (!uuid_is_valid(uuid))
		return NULL;
	for (u = s->uploads; u; u = u->next)
		if (strcmp(u->uuid, uuid) == 0)
			return strcmp(u->name, name) == 0 ? u : NULL;
	dir = xasprintf("%s/uploads/%s", s->root, uuid);
	state = xasprintf("%s/state", dir);
	data = xasprintf("%s/data", dir);
	if (file_read_all(state, REG_MAX_NAME + 1, &owner, &len) < 0 || strcmp(owner, name) != 0)
		return NULL;
	int fd = open(data, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		(void)close(fd);
		return NULL;
	}
	u = xzalloc(sizeof(*u));
	(void)snprintf(u->uuid, sizeof(u->uuid), "%s", uuid);
	u->name = xstrdup(name);
	u->dir = TAKE_PTR(dir);
	u->fd = fd;
	u->size = (uint64_t)st.st_size;
	u->next = s->uploads;
	s->uploads = u;
	return u;
}

/* Location, Range and Docker-Upload-UUID of a session. */
static void upload_headers(struct reg_req *rq, struct reg_upload *u)
{
	_cleanup_free_ char *loc = xasprintf("/v2/%s/blobs/uploads/%s", u->name, u->uuid);
	char range[48];

	(void)snprintf(range, sizeof(range), "0-%" PRIu64, u->size ? u->size - 1 : 0);
	http_response_add_header(rq->req, "Location", loc);
	http_response_add_header(rq->req, "Range", range);
	http_response_add_header(rq->req, "Docker-Upload-UUID", u->uuid);
}

static void upload_unknown(struct reg_req *rq)
{
	reg_error(rq, 404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", NULL);
}

static void blob_created(struct reg_req *rq, const char *digest)
{
	_cleanup_free_ char *loc = xasprintf("/v2/%s/blobs/%s", rq->name, digest);

	http_response_add_header(rq->req, "Location", loc);
	http_response_add_header(rq->req, "Docker-Content-Digest", digest);
	reg_respond(rq, 201, NULL, NULL, 0);
}

/* ---- the closing digest check ---- */

static int rehash(struct reg_upload *u)
{
	char buf[65536];
	off_t off = 0;
	ssize_t n;

	digester_free(u->dg);
	u->dg = digester_new();
	while ((n = pread(u->fd, buf, sizeof(buf), off)) > 0) {
		digester_update(u->dg, buf, (size_t)n);
		off += n;
	}
	if (n < 0)
		return -errno;
	u->size = (uint64_t)off;
	return 0;
}

/* Check the digest and move the data into the store; false when answered. */
static void upload_finish(struct reg_req *rq, struct reg_upload *u, const char *want)
{
	_cleanup_free_ char *data = xasprintf("%s/data", u->dir), *dst = NULL;
	char got[DIGEST_LEN + 1];

	if (!u->dg && rehash(u) < 0) {
		reg_error(rq, 500, "UNKNOWN", "reading the upload failed", NULL);
		return;
	}
	digester_final(u->dg, got);
	u->dg = digester_free(u->dg);
	if (strcmp(got, want) != 0) {
		upload_drop(rq->srv, u);
		reg_error(rq, 400, "DIGEST_INVALID",
			  "provided digest did not match uploaded content",
			  json_object_new_string(want));
		return;
	}
	dst = blob_path(rq->srv->store, want);
	if (!blob_exists(rq->srv->store, want) && (fsync(u->fd) < 0 || rename(data, dst) < 0)) {
		log_error_errno(-errno, "Moving upload '%s' into the store failed", u->uuid);
		upload_drop(rq->srv, u);
		reg_error(rq, 500, "UNKNOWN", "storing the blob failed", NULL);
		return;
	}
	upload_drop(rq->srv, u);
	if (reg_link_add(rq->srv, rq->name, REG_LINK_BLOB, want, NULL) < 0) {
		reg_error(rq, 500, "UNKNOWN", "linking the blob failed", NULL);
		return;
	}
	blob_created(rq, want);
}

/* ---- streaming a body into a session ---- */

struct ustream {
	struct reg_req rq;
	struct reg_upload *u;
	char *digest; /* PUT: close with this digest */
	bool failed;
};

static int ustream_data(struct http_request *req, const void *data, size_t len, void *user)
{
	struct ustream *st = user;
	struct reg_upload *u = st->u;

	if (u->size + len > st->rq.srv->cfg->max_blob) {
		st->failed = true;
		reg_error(&st->rq, 413, "SIZE_INVALID", "blob too large", NULL);
		return -EFBIG;
	}
	if (pwrite(u->fd, data, len, (off_t)u->size) != (ssize_t)len) {
		u->dg = digester_free(u->dg);
		(void)ftruncate(u->fd, (off_t)u->size);
		st->failed = true;
		reg_error(&st->rq, 500, "UNKNOWN", "writing the upload failed", NULL);
		return -EIO;
	}
	if (u->dg)
		digester_update(u->dg, data, len);
	u->size += len;
	return 0;
}

static void ustream_end(struct http_request *req, int error, void *user)
{
	struct ustream *st = user;
	struct reg_upload *u = st->u;

	u->busy = false;
	if (error == 0 && !st->failed) {
		if (st->digest) {
			upload_finish(&st->rq, u, st->digest);
		} else {
			upload_headers(&st->rq, u);
			reg_respond(&st->rq, 202, NULL, NULL, 0);
		}
	}
	http_request_unref(st->rq.req);
	free(st->digest);
	free(st);
}

/* Content-Range "a-b" must start where the data ends; false when answered. */
static bool check_range(struct reg_req *rq, struct reg_upload *u)
{
	const char *cr = http_request_header(rq->req, "Content-Range");
	const char *cl = http_request_header(rq->req, "Content-Length");
	unsigned long long a, b, len;
	int n = 0;

	if (u->busy) {
		upload_headers(rq, u);
		reg_error(rq, 416, "BLOB_UPLOAD_INVALID", "upload in use", NULL);
		return false;
	}
	if (!cr)
		return true;
	if (str_has_prefix(cr, "bytes "))
		cr += 6;
	if (sscanf(cr, "%llu-%llu%n", &a, &b, &n) != 2 || cr[n] || a > b || a != u->size ||
	    (cl && (sscanf(cl, "%llu", &len) != 1 || len != b - a + 1))) {
		upload_headers(rq, u);
		reg_error(rq, 416, "BLOB_UPLOAD_INVALID", "chunk out of order or wrong length",
			  NULL);
		return false;
	}
	return true;
}

static void stream_into(struct reg_req *rq, struct reg_upload *u, const char *digest)
{
	struct ustream *st = xzalloc(sizeof(*st));

	st->rq = *rq;
	http_request_ref(rq->req);
	st->u = u;
	st->digest = digest ? xstrdup(digest) : NULL;
	u->busy = true;
	http_request_read_body(rq->req, ustream_data, ustream_end, st);
}

/* ---- monolithic POST ?digest= ---- */

struct mono {
	struct reg_req rq;
	struct blob_ingest *in;
	char *digest;
	bool failed;
};

static int mono_data(struct http_request *req, const void *data, size_t len, void *user)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct mono *m = user;

	if (blob_ingest_write(m->in, data, len, &err) < 0) {
		m->failed = true;
		reg_error(&m->rq, 413, "SIZE_INVALID", "blob too large", NULL);
		return -EFBIG;
	}
	return 0;
}

static void mono_end(struct http_request *req, int error, void *user)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct mono *m = user;
	char got[DIGEST_LEN + 1];

	if (error == 0 && !m->failed) {
		if (blob_ingest_commit(m->in, got, &err) < 0)
			reg_error(&m->rq, 400, "DIGEST_INVALID",
				  "provided digest did not match uploaded content",
				  json_object_new_string(m->digest));
		else if (reg_link_add(m->rq.srv, m->rq.name, REG_LINK_BLOB, got, NULL) < 0)
			reg_error(&m->rq, 500, "UNKNOWN", "linking the blob failed", NULL);
		else
			blob_created(&m->rq, got);
	}
	blob_ingest_free(m->in);
	http_request_unref(m->rq.req);
	free(m->digest);
	free(m);
}

static void post_monolithic(struct reg_req *rq, const char *digest)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct blob_ingest *in = NULL;

	if (!reg_digest_ok(rq, digest, "DIGEST_INVALID"))
		return;
	if (blob_ingest_begin(rq->srv->store, digest, rq->srv->cfg->max_blob, &in, &err) < 0) {
		reg_error(rq, 500, "UNKNOWN", "starting the upload failed", NULL);
		return;
	}
	struct mono *m = xzalloc(sizeof(*m));
	m->rq = *rq;
	http_request_ref(rq->req);
	m->in = in;
	m->digest = xstrdup(digest);
	http_request_read_body(rq->req, mono_data, mono_end, m);
}

/* ?mount=&from=: link the blob when from holds it and the client may pull it. */
static bool try_mount(struct reg_req *rq, const char *digest, const char *from)
{
	struct reg_server *s = rq->srv;

	if (!digest_is_valid(digest) || !from || !reg_name_is_valid(from) ||
	    !reg_link_exists(s, from, REG_LINK_BLOB, digest) || !blob_exists(s->store, digest) ||
	    !reg_authorized(rq, from, "pull"))
		return false;
	if (reg_link_add(s, rq->name, REG_LINK_BLOB, digest, NULL) < 0)
		return false;
	blob_created(rq, digest);
	return true;
}

void reg_h_upload_post(struct http_request *req, void *data)
{
	const char *mount = http_request_query(req, "mount");
	const char *digest = http_request_query(req, "digest");
	struct reg_upload *u;
	struct reg_req rq;

	reg_req_init(&rq, data, req);
	if (!reg_begin(&rq, "push"))
		return;
	if (mount && try_mount(&rq, mount, http_request_query(req, "from")))
		return;
	if (!mount && digest) {
		post_monolithic(&rq, digest);
		return;
	}
	if (!(u = upload_new(rq.srv, rq.name))) {
		reg_error(&rq, 500, "UNKNOWN", "starting the upload failed", NULL);
		return;
	}
	upload_headers(&rq, u);
	reg_respond(&rq, 202, NULL, NULL, 0);
}

static struct reg_upload *begin_session(struct reg_req *rq, struct http_request *req, void *data)
{
	struct reg_upload *u;

	reg_req_init(rq, data, req);
	if (!reg_begin(rq, strcmp(http_request_method(req), "DELETE") == 0 ? "delete" : "push"))
		return NULL;
	u = upload_find(rq->srv, rq->name, http_request_param(req, "uuid"));
	if (!u)
		upload_unknown(rq);
	return u;
}

void reg_h_upload_patch(struct http_request *req, void *data)
{
	struct reg_req rq;
	struct reg_upload *u = begin_session(&rq, req, data);

	if (u && check_range(&rq, u))
		stream_into(&rq, u, NULL);
}

void reg_h_upload_put(struct http_request *req, void *data)
{
	const char *digest = http_request_query(req, "digest");
	struct reg_req rq;
	struct reg_upload *u = begin_session(&rq, req, data);

	if (!u || !check_range(&rq, u) || !reg_digest_ok(&rq, digest, "DIGEST_INVALID"))
		return;
	stream_into(&rq, u, digest);
}

void reg_h_upload_get(struct http_request *req, void *data)
{
	struct reg_req rq;
	struct reg_upload *u;

	reg_req_init(&rq, data, req);
	if (!reg_begin(&rq, "pull"))
		return;
	u = upload_find(rq.srv, rq.name, http_request_param(req, "uuid"));
	if (!u) {
		upload_unknown(&rq);
		return;
	}
	if (!u->dg && !u->busy)
		(void)rehash(u); /* the size after an interrupted write */
	upload_headers(&rq, u);
	reg_respond(&rq, 204, NULL, NULL, 0);
}

void reg_h_upload_delete(struct http_request *req, void *data)
{
	struct reg_req rq;
	struct reg_upload *u = begin_session(&rq, req, data);

	if (!u)
		return;
	if (u->busy) {
		reg_error(&rq, 409, "BLOB_UPLOAD_INVALID", "upload in use", NULL);
		return;
	}
	upload_drop(rq.srv, u);
	reg_respond(&rq, 204, NULL, NULL, 0);
}
