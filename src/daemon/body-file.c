/* Bodies to files and files to responses (see body-file.h). */
#define LOG_CATEGORY "api"
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "body-file.h"

struct body_job {
	int fd;
	uint64_t written, max;
	body_file_done done;
	void *data;
	int error;
};

static int body_data(struct http_request *req, const void *data, size_t len, void *user)
{
	struct body_job *j = user;

	(void)req;
	if (j->written + len > j->max) {
		j->error = EFBIG;
		return -EFBIG;
	}
	int r = fd_write_all(j->fd, data, len);
	if (r < 0) {
		j->error = -r;
		return r;
	}
	j->written += len;
	return 0;
}

static void body_end(struct http_request *req, int error, void *user)
{
	struct body_job *j = user;
	_cleanup_error_ struct berth_error *err = NULL;

	if (error < 0 || j->error) {
		int e = j->error ? j->error : -error;
		(void)berth_error_set(&err, e, e == EFBIG ? BERTH_ERR_INVALID : BERTH_ERR_INTERNAL,
				      "receive the request body");
		(void)close(j->fd);
		j->done(req, -1, err, j->data);
	} else if (lseek(j->fd, 0, SEEK_SET) < 0) {
		(void)berth_error_set(&err, errno, BERTH_ERR_INTERNAL, "rewind the request body");
		(void)close(j->fd);
		j->done(req, -1, err, j->data);
	} else {
		j->done(req, j->fd, NULL, j->data);
	}
	http_request_unref(req);
	free(j);
}

void body_to_file(struct daemon *d, struct http_request *req, uint64_t max_bytes,
		  body_file_done done, void *data)
{
	_cleanup_free_ char *dir = xasprintf("%s/tmp", d->data_root);
	_cleanup_error_ struct berth_error *err = NULL;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		(void)berth_error_set(&err, errno, BERTH_ERR_INTERNAL, "temporary file in '%s'",
				      dir);
		done(req, -1, err, data);
		return;
	}
	struct body_job *j = xzalloc(sizeof(*j));
	j->fd = fd;
	j->max = max_bytes;
	j->done = done;
	j->data = data;
	http_request_ref(req);
	http_request_read_body(req, body_data, body_end, j);
}

struct pump {
	struct daemon *d;
	struct http_request *req;
	int fd;
	bool is_pipe, waiting_drain, closed;
	void (*done)(struct http_request *, int, void *);
	void *data;
};

static void pump_finish(struct pump *p, int error)
{
	if (p->is_pipe)
		http_loop_del_fd(p->d->loop, p->fd);
	(void)close(p->fd);
	if (!p->closed)
		http_stream_end(p->req);
	if (p->done)
		p->done(p->req, error, p->data);
	http_request_unref(p->req);
	free(p);
}

static void pump_step(struct pump *p);

static void pump_drained(struct http_request *req, void *data)
{
	struct pump *p = data;
	(void)req;
	p->waiting_drain = false;
	if (p->is_pipe)
		(void)http_loop_mod_fd(p->d->loop, p->fd, EPOLLIN);
	pump_step(p);
}

static void pump_closed(struct http_request *req, void *data)
{
	struct pump *p = data;
	(void)req;
	p->closed = true;
	if (p->waiting_drain)
		pump_finish(p, -EPIPE); /* nobody else will wake the pump */
}

/* Move data until the client's buffer is full, the source would block, or EOF. */
static void pump_step(struct pump *p)
{
	char buf[65536];

	for (;;) {
		if (p->closed) {
			pump_finish(p, -EPIPE);
			return;
		}
		ssize_t n = read(p->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return; /* the loop calls again when the pipe is readable */
		if (n <= 0) {
			pump_finish(p, n < 0 ? -errno : 0);
			return;
		}
		if (http_stream_write(p->req, buf, (size_t)n) > (1u << 20)) {
			p->waiting_drain = true;
			if (p->is_pipe)
				(void)http_loop_mod_fd(p->d->loop, p->fd, 0);
			http_stream_on_drain(p->req, pump_drained, p);
			return;
		}
	}
}

static void pump_readable(struct http_loop *l, int fd, uint32_t events, void *data)
{
	(void)l;
	(void)fd;
	(void)events;
	pump_step(data);
}

void pump_fd_to_stream(struct daemon *d, struct http_request *req, int fd,
		       void (*done)(struct http_request *req, int error, void *data), void *data)
{
	struct pump *p = xzalloc(sizeof(*p));
	struct stat st;

	p->d = d;
	p->req = http_request_ref(req);
	p->fd = fd;
	p->done = done;
	p->data = data;
	p->is_pipe = fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	http_request_on_close(req, pump_closed, p);
	if (p->is_pipe) {
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		(void)http_loop_add_fd(d->loop, fd, EPOLLIN, pump_readable, p);
		return;
	}
	pump_step(p);
}
