/* Layer downloads: one child process per layer (at most max_parallel at
 * once). A child downloads its blob over its own connection
 * (reg_session_clone) and sends every piece both into a blob_ingest (the
 * compressed blob is kept for push and save) and into a pipe that its own
 * child, the unpacker, reads with layer_store_apply (decompression, tar,
 * diff id check). Layers unpack in parallel and in any order: each knows its
 * parent chain id from the config's diff ids.
 *
 * A dropped or stalled connection is resumed with a Range request from the
 * offset reached, after 1, 2, 4, 8 and 16 seconds; the pipe to the unpacker
 * just goes on. The digest is checked before the unpacker may finish: the
 * downloader closes the pipe only once blob_ingest_commit accepted the
 * blob. To stop an unpacker, the downloader writes bytes that end any
 * stream in an error (garbage after a gzip or zstd stream, or a diff id that
 * can't match) and closes the pipe: the unpacker then removes its temporary
 * tree itself.
 *
 * Children report to the coordinator (the caller's process) over one pipe
 * each, in fixed-size messages (atomic pipe writes); only the coordinator
 * calls the progress callback. */
#define LOG_CATEGORY "registry"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client-manifest-internal.h"

#define PROGRESS_INTERVAL_USEC 100000
#define RETRIES		       5
#define UNPACK_PIPE_SIZE       (1 << 20)
#define STOP_GRACE_USEC	       (5 * 1000000)
#define SINK_BUF_SIZE	       (1 << 20)

enum msg_type {
	MSG_STATUS,   /* text: a status, a and b: current and total */
	MSG_UNPACKER, /* a: the unpacker's pid */
	MSG_RESULT,   /* text: chain id, a: unpacked bytes, b: downloaded */
	MSG_ERROR,    /* text: message, a: errno, b: kind */
	MSG_TYPE_MAX,
};

struct msg {
	uint32_t type;
	uint32_t pad;
	uint64_t a, b;
	char text[480];
};
_Static_assert(sizeof(struct msg) <= PIPE_BUF, "messages must be atomic pipe writes");

void reg_short_id(const char *digest, char ret[static 13])
{
	const char *hex = strchr(digest, ':');
	(void)snprintf(ret, 13, "%s", hex ? hex + 1 : digest);
}

/* An error carried over from another process: its text as it was (no
 * second strerror) and its errno. */
static int error_restore(struct berth_error **err, int errnum, enum berth_err_kind kind,
			 const char *msg)
{
	(void)berth_error_set(err, 0, kind, "%s", msg);
	if (err && *err)
		(*err)->errnum = errnum;
	return errnum > 0 ? -errnum : -EINVAL;
}

/* ---- the child side ---- */

static volatile sig_atomic_t child_cancelled;
static struct blob_ingest *child_ingest; /* removed by child_fail (no cleanup on _exit) */
static volatile int child_pipe_w = -1;

/* Poison and close the unpacker's stream: it fails and removes its tree. */
static void unpacker_poison(void)
{
	static const char junk[512] = { [0 ... 511] = 0x5a };
	int fd = child_pipe_w;

	if (fd < 0)
		return;
	child_pipe_w = -1;
	(void)!write(fd, junk, sizeof(junk));
	(void)close(fd);
}

static void child_on_term(int sig)
{
	(void)sig;
	child_cancelled = 1;
	unpacker_poison();
}

static void msg_send(int fd, enum msg_type type, uint64_t a, uint64_t b, const char *text)
{
	struct msg m = { .type = type, .a = a, .b = b };

	if (text)
		(void)snprintf(m.text, sizeof(m.text), "%s", text);
	(void)fd_write_all(fd, &m, sizeof(m));
}

static void msg_status(int fd, const char *status, uint64_t cur, uint64_t total)
{
	msg_send(fd, MSG_STATUS, cur, total, status);
}

static _Noreturn void child_fail(int fd, struct berth_error *e, int r)
{
	child_ingest = blob_ingest_free(child_ingest);
	msg_send(fd, MSG_ERROR, (uint64_t)(e ? e->errnum : -r),
		 (uint64_t)(e ? e->kind : BERTH_ERR_INTERNAL),
		 e && e->msg ? e->msg : "layer download failed");
	_exit(1);
}

struct sink_ctx {
	struct blob_ingest *in;
	int report_fd;
	uint64_t offset, total, last_report;
	uint64_t skip; /* bytes of the answer we have already (Range ignored) */
	char *buf;     /* received, not yet written out */
	size_t buf_len;
	bool unpacker_gone;
	struct berth_error *err;
};

/* Bytes to the unpacker's pipe and the blob ingest. */
static int sink_out(struct sink_ctx *c, const void *data, size_t len)
{
	int fd = child_pipe_w;

	if (!c->unpacker_gone && fd >= 0 && fd_write_all(fd, data, len) < 0)
		c->unpacker_gone = true; /* its error comes with its result */
	return blob_ingest_write(c->in, data, len, &c->err);
}

static int sink_flush(struct sink_ctx *c)
{
	int r = c->buf_len > 0 ? sink_out(c, c->buf, c->buf_len) : 0;

	c->buf_len = 0;
	return r;
}

static int sink_write(const void *data, size_t len, void *user)
{
	struct sink_ctx *c = user;
	int r;

	if (child_cancelled)
		return -ECANCELED;
	if (c->skip > 0) {
		size_t k = len < c->skip ? len : (size_t)c->skip;
		c->skip -= k;
		data = (const char *)data + k;
		len -= k;
		if (len == 0)
			return 0;
	}
	/* Batch curl's small pieces: two writes a megabyte, not a 16 kB piece. */
	if (c->buf_len + len > SINK_BUF_SIZE && (r = sink_flush(c)) < 0)
		return r;
	if (len >= SINK_BUF_SIZE) {
		if ((r = sink_out(c, data, len)) < 0)
			return r;
	} else {
		memcpy(c->buf + c->buf_len, data, len);
		c->buf_len += len;
	}
	c->offset += len;
	uint64_t now = now_usec_monotonic();
	if (now - c->last_report >= PROGRESS_INTERVAL_USEC) {
		c->last_report = now;
		msg_status(c->report_fd, "Downloading", c->offset, c->total);
	}
	return 0;
}

static bool status_retryable(long status)
{
	return status == 408 || status == 429 || status >= 500;
}

/* Wait `secs` seconds, saying so as docker does; false when cancelled. */
static bool backoff(int report_fd, unsigned secs)
{
	for (unsigned left = secs; left > 0; left--) {
		_cleanup_free_ char *s =
			xasprintf("Retrying in %u second%s", left, left == 1 ? "" : "s");
		msg_status(report_fd, s, 0, 0);
		struct timespec ts = { 1, 0 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !child_cancelled)
			;
		if (child_cancelled)
			return false;
	}
	return true;
}

/* Whether the registry answers a Range request for the blob with 206 (a
 * 200 would send the blob from its first byte). */
static bool range_honoured(struct reg_session *cs, const char *path, uint64_t offset)
{
	_cleanup_(reg_response_clear) struct reg_response resp = { 0 };
	_cleanup_free_ char *h = xasprintf("Range: bytes=%llu-%llu", (unsigned long long)offset,
					   (unsigned long long)offset);
	const char *const headers[] = { h, NULL };

	if (reg_request(cs, "GET", path, headers, NULL, 0, 64, &resp, NULL) < 0)
		return false;
	return resp.status == 206;
}

/* Download the blob into c->in (and the unpacker's pipe), resuming. */
static int child_download(struct reg_session *cs, const struct reg_layer_job *job,
			  struct sink_ctx *c, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", reg_session_repo(cs), job->blob);
	_cleanup_free_ char *what = xasprintf("blob %s", job->blob);
	unsigned attempt = 0;

	for (;;) {
		_cleanup_(reg_response_clear) struct reg_response resp = { 0 };
		_cleanup_error_ struct berth_error *e = NULL;
		uint64_t start = c->offset, from = c->offset;
		if (from > 0 && !range_honoured(cs, path, from)) {
			log_debug("Registry ignores Range: blob '%s' from its start", job->blob);
			c->skip = from;
			from = 0;
		}
		int r = reg_get_stream(cs, path, from, sink_write, c, &resp, &e);
		int fr = sink_flush(c);
		if (fr < 0 && !c->err)
			return berth_error_set(err, -fr, BERTH_ERR_INTERNAL, "write blob %s",
					       job->blob);
		c->skip = 0;
		if (r >= 0 && from > 0 && resp.status == 200)
			return berth_error_set(err, 0, BERTH_ERR_UNAVAILABLE,
					       "blob %s: the registry ignored a Range request",
					       job->blob);

		if (child_cancelled)
			return berth_error_set(err, ECANCELED, BERTH_ERR_INTERNAL, "cancelled");
		if (c->err) /* the blob store refused (size limit, disk) */
			return error_restore(err, c->err->errnum, c->err->kind, c->err->msg);
		if (r >= 0 && resp.status >= 200 && resp.status <= 299) {
			if (c->total == 0 || c->offset >= c->total)
				return 0;
		} else if (r >= 0 && !status_retryable(resp.status)) {
			return reg_error_from_response(cs, &resp, what, err);
		}
		if (c->offset > start)
			attempt = 0;
		if (attempt >= RETRIES) {
			if (e) {
				*err = TAKE_PTR(e);
				return -((*err)->errnum ? (*err)->errnum : EIO);
			}
			if (r >= 0 && !(resp.status >= 200 && resp.status <= 299))
				return reg_error_from_response(cs, &resp, what, err);
			return berth_error_set(err, EIO, BERTH_ERR_UNAVAILABLE,
					       "download of %s ended early", job->blob);
		}
		log_debug("Blob '%s' stopped at %llu bytes, retrying", job->blob,
			  (unsigned long long)c->offset);
		if (!backoff(c->report_fd, 1u << attempt))
			return berth_error_set(err, ECANCELED, BERTH_ERR_INTERNAL, "cancelled");
		attempt++;
	}
}

struct unpack_result {
	int32_t r;
	uint32_t kind;
	uint64_t size;
	char chain[CHAIN_ID_LEN + 1];
	char text[400];
};
_Static_assert(sizeof(struct unpack_result) <= PIPE_BUF, "atomic");

static _Noreturn void unpacker_run(struct layer_store *ls, const struct reg_layer_job *job,
				   int in_fd, int res_fd)
{
	struct unpack_result res = { 0 };
	struct berth_error *e = NULL;
	char diff[DIGEST_LEN + 1];

	(void)signal(SIGTERM, SIG_DFL);
	res.r = layer_store_apply(ls, job->parent[0] ? job->parent : NULL, in_fd, job->diff_id,
				  res.chain, diff, &res.size, &e);
	if (e) {
		res.kind = e->kind;
		(void)snprintf(res.text, sizeof(res.text), "%s", e->msg ? e->msg : "");
	}
	(void)fd_write_all(res_fd, &res, sizeof(res));
	_exit(res.r < 0 ? 1 : 0);
}

static int unpacker_wait(pid_t pid, int res_fd, struct unpack_result *res)
{
	int st;

	*res = (struct unpack_result){ .r = -EIO };
	ssize_t n = read(res_fd, res, sizeof(*res));
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*res)) {
		*res = (struct unpack_result){ .r = -EIO, .kind = BERTH_ERR_INTERNAL };
		(void)snprintf(res->text, sizeof(res->text), "layer unpacker died");
	}
	return res->r;
}

/* Unpack a blob already in the store. */
static _Noreturn void child_unpack_local(struct blob_store *bs, struct layer_store *ls,
					 const struct reg_layer_job *job, int report_fd)
{
	struct berth_error *e = NULL;
	_cleanup_free_ char *p = blob_path(bs, job->blob);
	char chain[CHAIN_ID_LEN + 1], diff[DIGEST_LEN + 1];
	uint64_t size = 0;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		child_fail(report_fd, NULL,
			   berth_error_set(&e, errno, BERTH_ERR_INTERNAL, "open '%s'", p));
	msg_status(report_fd, "Extracting", 0, job->size);
	int r = layer_store_apply(ls, job->parent[0] ? job->parent : NULL, fd, job->diff_id, chain,
				  diff, &size, &e);
	if (r < 0)
		child_fail(report_fd, e, r);
	msg_status(report_fd, "Extracting", job->size, job->size);
	msg_send(report_fd, MSG_RESULT, size, 0, chain);
	_exit(0);
}

static _Noreturn void child_run(struct reg_session *s, struct blob_store *bs,
				struct layer_store *ls, const struct reg_layer_job *job,
				pid_t coordinator, int report_fd)
{
	_cleanup_(reg_session_freep) struct reg_session *cs = NULL;
	struct sink_ctx c = { .report_fd = report_fd, .total = job->size };
	struct berth_error *e = NULL;
	struct unpack_result res;
	char got[DIGEST_LEN + 1];
	int data[2], resp[2], r;
	sigset_t none;

	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGTERM, child_on_term);
	/* The caller may block signals (a signalfd loop): SIGTERM must arrive. */
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* A coordinator that dies ends its workers, as if it had stopped them. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != coordinator)
		child_on_term(SIGTERM);
	if (blob_exists(bs, job->blob))
		child_unpack_local(bs, ls, job, report_fd);
	if ((r = reg_session_clone(s, &cs, &e)) < 0 ||
	    (r = blob_ingest_begin(bs, job->blob, job->size ? job->size : REG_LAYER_MAX,
				   &child_ingest, &e)) < 0)
		child_fail(report_fd, e, r);
	if (pipe2(data, O_CLOEXEC) < 0 || pipe2(resp, O_CLOEXEC) < 0)
		child_fail(report_fd, NULL, -errno);
	(void)fcntl(data[1], F_SETPIPE_SZ, UNPACK_PIPE_SIZE);
	pid_t pid = fork();
	if (pid < 0)
		child_fail(report_fd, NULL, -errno);
	if (pid == 0) {
		(void)close(data[1]);
		(void)close(resp[0]);
		(void)close(report_fd);
		unpacker_run(ls, job, data[0], resp[1]);
	}
	(void)close(data[0]);
	(void)close(resp[1]);
	child_pipe_w = data[1];
	msg_send(report_fd, MSG_UNPACKER, (uint64_t)pid, 0, NULL);
	c.in = child_ingest;
	c.buf = xmalloc(SINK_BUF_SIZE);
	c.last_report = now_usec_monotonic();
	msg_status(report_fd, "Downloading", 0, job->size);
	r = child_download(cs, job, &c, &e);
	if (r >= 0) {
		msg_status(report_fd, "Downloading", c.offset, job->size);
		msg_status(report_fd, "Verifying Checksum", 0, 0);
		r = blob_ingest_commit(child_ingest, got, &e);
		if (r == -EBADMSG) {
			berth_error_free(e);
			e = NULL;
			r = berth_error_set(&e, 0, BERTH_ERR_INVALID,
					    "filesystem layer verification failed for digest %s",
					    job->blob);
		}
	}
	if (r < 0) {
		unpacker_poison();
		(void)unpacker_wait(pid, resp[0], &res);
		child_fail(report_fd, e, r);
	}
	msg_status(report_fd, "Download complete", 0, 0);
	msg_status(report_fd, "Extracting", job->size, job->size);
	int fd = child_pipe_w;
	child_pipe_w = -1;
	(void)close(fd);
	if (unpacker_wait(pid, resp[0], &res) < 0) {
		/* The blob is fine but its contents are not what the config says. */
		(void)error_restore(&e, -res.r, (enum berth_err_kind)res.kind, res.text);
		(void)blob_delete(bs, job->blob, NULL);
		child_fail(report_fd, e, res.r);
	}
	msg_send(report_fd, MSG_RESULT, res.size, 1, res.chain);
	_exit(0);
}

/* ---- the coordinator ---- */

struct worker {
	pid_t pid, unpacker;
	int fd;
	size_t job;
	bool got_result;
};

struct coord {
	struct reg_session *s;
	struct blob_store *bs;
	struct layer_store *ls;
	struct reg_layer_job *jobs;
	size_t n;
	reg_progress_cb progress;
	void *data;
	struct worker *w;
	size_t n_w;
};

static void report(struct coord *c, size_t job, const char *status, uint64_t cur, uint64_t total)
{
	char id[13];

	if (!c->progress)
		return;
	reg_short_id(c->jobs[job].blob, id);
	c->progress(id, status, cur, total, c->data);
}

static int worker_start(struct coord *c, size_t job, struct berth_error **err)
{
	pid_t self = getpid();
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		(void)close(p[0]);
		(void)close(p[1]);
		return berth_error_set(err, e, BERTH_ERR_INTERNAL, "fork");
	}
	if (pid == 0) {
		(void)close(p[0]);
		for (size_t i = 0; i < c->n_w; i++)
			(void)close(c->w[i].fd);
		child_run(c->s, c->bs, c->ls, &c->jobs[job], self, p[1]);
	}
	(void)close(p[1]);
	c->w[c->n_w++] = (struct worker){ .pid = pid, .unpacker = -1, .fd = p[0], .job = job };
	return 0;
}

static void worker_reap(struct worker *w)
{
	int st;

	if (w->fd >= 0)
		(void)close(w->fd);
	w->fd = -1;
	while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* Stop every running child: SIGTERM (it poisons its unpacker's stream and
 * waits for it), SIGKILL for the ones that take too long; reap them all. */
static void workers_stop(struct coord *c)
{
	uint64_t deadline = now_usec_monotonic() + STOP_GRACE_USEC;

	for (size_t i = 0; i < c->n_w; i++)
		(void)kill(c->w[i].pid, SIGTERM);
	for (size_t i = 0; i < c->n_w; i++) {
		int st;
		for (;;) {
			pid_t r = waitpid(c->w[i].pid, &st, WNOHANG);
			if (r != 0 && !(r < 0 && errno == EINTR))
				break;
			if (now_usec_monotonic() > deadline) {
				/* Its unpacker's stream is poisoned already (the
				 * SIGTERM handler): it ends and cleans up by itself. */
				(void)kill(c->w[i].pid, SIGKILL);
				(void)waitpid(c->w[i].pid, &st, 0);
				break;
			}
			(void)usleep(10000);
		}
		if (c->w[i].fd >= 0)
			(void)close(c->w[i].fd);
	}
	c->n_w = 0;
}

/* One message from worker w; a negative errno when it reports failure. */
static int worker_message(struct coord *c, struct worker *w, const struct msg *m,
			  struct berth_error **err)
{
	struct reg_layer_job *job = &c->jobs[w->job];

	switch ((enum msg_type)m->type) {
	case MSG_STATUS:
		report(c, w->job, m->text, m->a, m->b);
		return 0;
	case MSG_UNPACKER:
		w->unpacker = (pid_t)m->a;
		return 0;
	case MSG_RESULT:
		if (strcmp(m->text, job->chain) != 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "layer %s unpacked as chain %s, expected %s",
					       job->blob, m->text, job->chain);
		job->unpacked = m->a;
		job->downloaded = m->b != 0;
		w->got_result = true;
		report(c, w->job, "Pull complete", 0, 0);
		return 0;
	case MSG_ERROR:
		return error_restore(err, (int)m->a,
				     (enum berth_err_kind)(m->b % BERTH_ERR_KIND_MAX), m->text);
	case MSG_TYPE_MAX:
	default:
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
				       "bad message from a layer worker");
	}
}

/* Read from w until it would block; 1 when it has ended (and was reaped). */
static int worker_read(struct coord *c, struct worker *w, struct berth_error **err)
{
	struct msg m;
	ssize_t n = read(w->fd, &m, sizeof(m));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN
			       ? 0
			       : berth_error_set(err, errno, BERTH_ERR_INTERNAL, "read");
	if (n == 0) {
		worker_reap(w);
		if (!w->got_result)
			return berth_error_set(err, EIO, BERTH_ERR_INTERNAL,
					       "layer %s: download process died",
					       c->jobs[w->job].blob);
		return 1;
	}
	if (n != (ssize_t)sizeof(m))
		return berth_error_set(err, EIO, BERTH_ERR_INTERNAL, "short message from a worker");
	return worker_message(c, w, &m, err);
}

static int coord_loop(struct coord *c, size_t *todo, size_t n_todo, unsigned max_parallel,
		      struct berth_error **err)
{
	_cleanup_free_ struct pollfd *pfd = xcalloc(max_parallel, sizeof(*pfd));
	size_t next = 0;
	int r;

	while (next < n_todo || c->n_w > 0) {
		while (next < n_todo && c->n_w < max_parallel)
			if ((r = worker_start(c, todo[next++], err)) < 0)
				return r;
		for (size_t i = 0; i < c->n_w; i++)
			pfd[i] = (struct pollfd){ .fd = c->w[i].fd, .events = POLLIN };
		if (poll(pfd, c->n_w, -1) < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "poll");
		}
		for (size_t i = c->n_w; i-- > 0;) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if ((r = worker_read(c, &c->w[i], err)) < 0)
				return r;
			if (r == 1)
				c->w[i] = c->w[--c->n_w];
		}
	}
	return 0;
}

/* Remove what this pull added before it failed. */
static void rollback(struct coord *c)
{
	for (size_t i = c->n; i-- > 0;) {
		struct reg_layer_job *j = &c->jobs[i];
		if (j->created_layer && layer_store_has(c->ls, j->chain))
			(void)layer_store_remove(c->ls, j->chain, NULL);
		if (j->created_blob && blob_exists(c->bs, j->blob))
			(void)blob_delete(c->bs, j->blob, NULL);
	}
}

int reg_layers_pull(struct reg_session *s, struct blob_store *bs, struct layer_store *ls,
		    struct reg_layer_job *jobs, size_t n, unsigned max_parallel,
		    reg_progress_cb progress, void *data, struct berth_error **err)
{
	struct coord c = {
		.s = s, .bs = bs, .ls = ls, .jobs = jobs, .n = n, .progress = progress, .data = data
	};
	_cleanup_free_ size_t *todo = xcalloc(n ? n : 1, sizeof(*todo));
	size_t n_todo = 0;
	int r;

	if (max_parallel == 0)
		max_parallel = 3;
	c.w = xcalloc(max_parallel, sizeof(*c.w));
	for (size_t i = 0; i < n; i++) {
		bool has_layer = layer_store_has(ls, jobs[i].chain);
		bool has_blob = blob_exists(bs, jobs[i].blob);
		jobs[i].created_layer = !has_layer;
		jobs[i].created_blob = !has_blob;
		if (has_layer && has_blob) {
			if (layer_store_size(ls, jobs[i].chain, &jobs[i].unpacked) < 0)
				jobs[i].unpacked = 0;
			report(&c, i, "Already exists", 0, 0);
			continue;
		}
		todo[n_todo++] = i;
		report(&c, i, "Pulling fs layer", 0, 0);
	}
	for (size_t k = max_parallel; k < n_todo; k++)
		report(&c, todo[k], "Waiting", 0, 0);
	r = coord_loop(&c, todo, n_todo, max_parallel, err);
	if (r < 0) {
		workers_stop(&c);
		rollback(&c);
	}
	free(c.w);
	return r;
}
