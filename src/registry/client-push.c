/* berth registry client: reg_push. The layers go up at most
 * max_concurrent_uploads at once, each in a child process with its own
 * session (reg_session_clone) that reports over a pipe; the parent calls the
 * progress callback. Then the config blob, then the manifest: a stored one
 * byte for byte, or one built here with OCI media types.
 */
#define LOG_CATEGORY "registry"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client-push.h"
#include "json-util.h"

#define MEDIA_OCI_MANIFEST   "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_CONFIG     "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER	     "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define PROGRESS_EVERY_USEC  100000u /* ~10 running figures a second */

enum { MSG_STATUS, MSG_PROGRESS, MSG_ERROR };

/* One record on a child's pipe: smaller than PIPE_BUF, so written whole. */
struct push_msg {
	int type;
	int kind;
	int errnum;
	uint64_t cur, total;
	char text[1024];
};

struct push_job {
	const char *digest;
	char id[13];
	uint64_t size;
	pid_t pid;
	int fd;
	bool running, finished;
};

/* ---- the child ---- */

struct child_ctx {
	int fd;
	uint64_t size, last_usec;
};

static void child_send(struct child_ctx *c, int type, const char *text, uint64_t cur)
{
	struct push_msg m = { .type = type, .cur = cur, .total = c->size };
	ssize_t n;

	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	do
		n = write(c->fd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
}

static void child_status(void *data, const char *status)
{
	child_send(data, MSG_STATUS, status, 0);
}

static void child_progress(uint64_t sent, void *data)
{
	struct child_ctx *c = data;
	uint64_t now = now_usec_monotonic();

	if (sent < c->size && now - c->last_usec < PROGRESS_EVERY_USEC)
		return;
	c->last_usec = now;
	child_send(c, MSG_PROGRESS, NULL, sent);
}

static __attribute__((noreturn)) void child_main(struct reg_session *parent, struct blob_store *bs,
						 const struct push_job *job,
						 char *const *mount_from, int fd, pid_t parent_pid)
{
	struct child_ctx c = { .fd = fd, .size = job->size };
	struct reg_blob_push_cb cb = { .status = child_status, .data = &c };
	struct berth_error *e = NULL;
	struct reg_session *s = NULL;
	int k;

	(void)signal(SIGPIPE, SIG_DFL);
	/* die with the pushing process (a cancelled job is killed) */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent_pid)
		_exit(1);
	k = reg_session_clone(parent, &s, &e);
	if (k == 0) {
		s->upload_progress = child_progress;
		s->upload_progress_data = &c;
		k = reg_blob_push(s, bs, job->digest, mount_from, &cb, &e);
	}
	if (k < 0) {
		struct push_msg m = { .type = MSG_ERROR,
				      .kind = e ? (int)e->kind : BERTH_ERR_INTERNAL,
				      .errnum = e ? e->errnum : -k };
		snprintf(m.text, sizeof(m.text), "%s", e && e->msg ? e->msg : strerror(-k));
		(void)!write(fd, &m, sizeof(m));
	}
	_exit(k < 0 ? 1 : 0);
}

/* ---- the parent ---- */

struct push_run {
	struct reg_session *s;
	struct blob_store *bs;
	char *const *mount_from;
	reg_progress_cb progress;
	void *progress_data;
	struct push_job *jobs;
	size_t n;
};

static void report(const struct push_run *p, const char *id, const char *status, uint64_t cur,
		   uint64_t total)
{
	if (p->progress)
		p->progress(id, status, cur, total, p->progress_data);
}

static int job_start(struct push_run *p, struct push_job *j, struct berth_error **err)
{
	int fds[2];
	pid_t pid, self = getpid();

	if (pipe2(fds, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pipe");
	pid = fork();
	if (pid < 0) {
		int e = errno;
		(void)close(fds[0]);
		(void)close(fds[1]);
		return berth_error_set(err, e, BERTH_ERR_INTERNAL, "fork");
	}
	if (pid == 0) {
		(void)close(fds[0]);
		child_main(p->s, p->bs, j, p->mount_from, fds[1], self);
	}
	(void)close(fds[1]);
	j->pid = pid;
	j->fd = fds[0];
	j->running = true;
	return 0;
}

static void job_reap(struct push_job *j, bool kill_it, int *ret_status)
{
	int status = 0;

	if (!j->running)
		return;
	if (kill_it)
		(void)kill(j->pid, SIGKILL);
	while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
		;
	(void)close(j->fd);
	j->running = false;
	j->finished = true;
	if (ret_status)
		*ret_status = status;
}

/* Read one record of j; 0 at the end of the child's output. */
static int job_read(struct push_run *p, struct push_job *j, struct berth_error **err)
{
	struct push_msg m;
	ssize_t n;

	do
		n = read(j->fd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		int status = 0;
		job_reap(j, false, &status);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return reg_error_set(err, EIO, BERTH_ERR_INTERNAL,
					     "push of layer %s: helper process failed", j->id);
		return 0;
	}
	if (n != (ssize_t)sizeof(m))
		return 1;
	m.text[sizeof(m.text) - 1] = '\0';
	if (m.type == MSG_STATUS)
		report(p, j->id, m.text, 0, 0);
	else if (m.type == MSG_PROGRESS)
		report(p, j->id, "Pushing", m.cur, m.total);
	else if (m.type == MSG_ERROR)
		return reg_error_set(err, m.errnum > 0 ? m.errnum : EIO,
				     m.kind >= 0 && m.kind < BERTH_ERR_KIND_MAX
					     ? (enum berth_err_kind)m.kind
					     : BERTH_ERR_INTERNAL,
				     "%s", m.text);
	return 1;
}

static void jobs_kill_all(struct push_run *p)
{
	for (size_t i = 0; i < p->n; i++)
		job_reap(&p->jobs[i], true, NULL);
}

static int push_layers(struct push_run *p, unsigned max, struct berth_error **err)
{
	size_t next = 0, running = 0, done = 0;
	int k;

	for (size_t i = 0; i < p->n; i++)
		report(p, p->jobs[i].id, "Preparing", 0, 0);
	for (size_t i = max; i < p->n; i++)
		report(p, p->jobs[i].id, "Waiting", 0, 0);
	while (done < p->n) {
		struct pollfd pfd[64];
		size_t map[64], np = 0;

		while (running < max && next < p->n) {
			k = job_start(p, &p->jobs[next++], err);
			if (k < 0)
				goto fail;
			running++;
		}
		for (size_t i = 0; i < p->n && np < ARRAY_SIZE(pfd); i++)
			if (p->jobs[i].running) {
				pfd[np] = (struct pollfd){ .fd = p->jobs[i].fd, .events = POLLIN };
				map[np++] = i;
			}
		if (poll(pfd, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			k = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "poll");
			goto fail;
		}
		for (size_t i = 0; i < np; i++) {
			struct push_job *j = &p->jobs[map[i]];
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = job_read(p, j, err);
			if (k < 0)
				goto fail;
			if (k == 0) {
				running--;
				done++;
			}
		}
	}
	return 0;
fail:
	jobs_kill_all(p);
	return k;
}

/* ---- the manifest ---- */

static const char *layer_media_type(struct blob_store *bs, const char *digest)
{
	_cleanup_free_ char *path = blob_path(bs, digest);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char b[4] = { 0 };

	if (fd >= 0 && pread(fd, b, sizeof(b), 0) == (ssize_t)sizeof(b)) {
		if (b[0] == 0x1f && b[1] == 0x8b)
			return MEDIA_OCI_LAYER_GZIP;
		if (b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
			return MEDIA_OCI_LAYER_ZSTD;
	}
	return MEDIA_OCI_LAYER;
}

static json_object *descriptor(const char *media_type, const char *digest, uint64_t size)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "mediaType", json_object_new_string(media_type));
	json_object_object_add(d, "digest", json_object_new_string(digest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)size));
	return d;
}

static int manifest_build(struct blob_store *bs, const struct reg_push_request *rq, char **ret,
			  size_t *ret_len, struct berth_error **err)
{
	_cleanup_json_ json_object *m = json_object_new_object();
	json_object *layers = json_object_new_array();
	uint64_t size = 0;

	if (blob_size(bs, rq->config_digest, &size) < 0)
		return berth_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND, "config blob %s",
				       rq->config_digest);
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(MEDIA_OCI_MANIFEST));
	json_object_object_add(m, "config", descriptor(MEDIA_OCI_CONFIG, rq->config_digest, size));
	json_object_object_add(m, "layers", layers);
	for (size_t i = 0; i < rq->n_layers; i++) {
		if (blob_size(bs, rq->layer_blobs[i], &size) < 0)
			return berth_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND, "layer blob %s",
					       rq->layer_blobs[i]);
		json_object_array_add(layers, descriptor(layer_media_type(bs, rq->layer_blobs[i]),
							 rq->layer_blobs[i], size));
	}
	const char *text = json_object_to_json_string_ext(
		m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	*ret_len = strlen(text);
	*ret = xstrdup(text);
	return 0;
}

/* The manifest to push and its media type (read from a stored one). */
static int manifest_get(struct blob_store *bs, const struct reg_push_request *rq, char **ret,
			size_t *ret_len, char **ret_type, struct berth_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	_cleanup_free_ char *buf = NULL;
	const char *mt = NULL;
	size_t len = 0;
	int k;

	if (!rq->manifest_digest || !*rq->manifest_digest) {
		k = manifest_build(bs, rq, ret, ret_len, err);
		if (k == 0)
			*ret_type = xstrdup(MEDIA_OCI_MANIFEST);
		return k;
	}
	k = blob_read(bs, rq->manifest_digest, REG_MANIFEST_MAX, &buf, &len, err);
	if (k < 0)
		return k;
	k = json_parse_text(buf, len, 32, "manifest", &o, err);
	if (k < 0)
		return k;
	(void)json_get_str(o, "", "mediaType", false, &mt, NULL);
	*ret_type = xstrdup(mt ? mt : MEDIA_OCI_MANIFEST);
	*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

static int manifest_put(struct reg_session *s, const struct reg_push_request *rq, const char *body,
			size_t len, const char *media_type, struct berth_error **err)
{
	const char *ref = rq->ref->tag ? rq->ref->tag : rq->ref->digest;
	_cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", reg_session_repo(s), ref);
	_cleanup_free_ char *ct = xasprintf("Content-Type: %s", media_type);
	const char *hdrs[] = { ct, NULL };
	struct reg_response r = { 0 };
	int k;

	k = reg_request(s, "PUT", path, hdrs, body, len, REG_ERROR_BODY_MAX, &r, err);
	if (k < 0)
		return k;
	if (r.status != 201)
		k = reg_error_from_response(s, &r, NULL, err);
	reg_response_clear(&r);
	return k;
}

static void status_ignore(void *data, const char *status)
{
}

int reg_push(const struct reg_options *opts, struct blob_store *bs,
	     const struct reg_push_request *rq, reg_progress_cb progress, void *progress_data,
	     char ret_digest[static DIGEST_LEN + 1], uint64_t *ret_size, struct berth_error **err)
{
	_cleanup_(reg_session_freep) struct reg_session *s = NULL;
	_cleanup_strv_ char **scopes = NULL;
	_cleanup_free_ struct push_job *jobs = NULL;
	_cleanup_free_ char *manifest = NULL, *media_type = NULL;
	struct reg_blob_push_cb quiet = { .status = status_ignore };
	struct push_run p = { .bs = bs,
			      .mount_from = rq->mount_from,
			      .progress = progress,
			      .progress_data = progress_data };
	unsigned max = opts && opts->max_concurrent_uploads ? opts->max_concurrent_uploads : 5;
	char digest[DIGEST_LEN + 1];
	size_t len = 0;
	int k;

	if (max > 32)
		max = 32;
	k = manifest_get(bs, rq, &manifest, &len, &media_type, err);
	if (k < 0)
		return k;
	for (size_t i = 0; rq->mount_from && rq->mount_from[i]; i++)
		strv_push_take(&scopes, xasprintf("repository:%s:pull", rq->mount_from[i]));
	k = reg_session_open(opts, rq->ref, rq->auth, "pull,push", scopes, &s, err);
	if (k < 0)
		return k;
	p.s = s;
	jobs = xcalloc(rq->n_layers ? rq->n_layers : 1, sizeof(*jobs));
	for (size_t i = 0; i < rq->n_layers; i++) {
		bool dup = false;
		for (size_t j = 0; j < p.n; j++)
			dup = dup || strcmp(jobs[j].digest, rq->layer_blobs[i]) == 0;
		if (dup)
			continue;
		jobs[p.n] = (struct push_job){ .digest = rq->layer_blobs[i], .fd = -1 };
		snprintf(jobs[p.n].id, sizeof(jobs[p.n].id), "%.12s", rq->layer_blobs[i] + 7);
		if (blob_size(bs, rq->layer_blobs[i], &jobs[p.n].size) < 0)
			return berth_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND,
					       "layer blob %s is missing", rq->layer_blobs[i]);
		p.n++;
	}
	p.jobs = jobs;
	k = push_layers(&p, max, err);
	if (k < 0)
		return k;
	k = reg_blob_push(s, bs, rq->config_digest, rq->mount_from, &quiet, err);
	if (k < 0)
		return k;
	k = manifest_put(s, rq, manifest, len, media_type, err);
	if (k < 0)
		return k;
	digest_of(manifest, len, digest);
	if (!rq->manifest_digest || !*rq->manifest_digest) {
		char stored[DIGEST_LEN + 1];
		(void)blob_write(bs, manifest, len, stored, NULL);
	}
	memcpy(ret_digest, digest, DIGEST_LEN + 1);
	*ret_size = len;
	return 0;
}
