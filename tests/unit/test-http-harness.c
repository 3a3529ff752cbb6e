/* Shared by the server tests (included, not built alone): a server on a unix
 * socket in a temporary directory, driven by the loop in this process, and
 * a blocking HTTP client in a forked child. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http-internal.h"
#include "json-util.h"
#include "tap.h"

#define CLIENT_TIMEOUT_MS 20000

struct fx;
typedef int (*client_fn)(struct fx *f);

struct fx {
	char dir[64];
	char sock[128];
	struct http_loop *l;
	struct http_router *r;
	struct http_server *s;
	pid_t child;
	int child_status;
	uint64_t guard;
	void *user; /* per-test state */
};

static void fx_child_stop(struct http_loop *l, void *data)
{
	http_loop_stop(l);
}

static void fx_child_exited(struct http_loop *l, pid_t pid, int status, void *data)
{
	struct fx *f = data;

	f->child_status = status;
	f->child = 0;
	/* Let the loop see what the child did last (a close, a hang-up). */
	http_loop_add_timer(l, 50, fx_child_stop, f);
}

static void fx_guard(struct http_loop *l, void *data)
{
	struct fx *f = data;

	f->guard = 0;
	printf("# client timed out\n");
	if (f->child > 0)
		(void)kill(f->child, SIGKILL);
}

static int fx_init(struct fx *f, const struct http_limits *lim)
{
	int r;

	memset(f, 0, sizeof(*f));
	log_set_level(LOG_LEVEL_ERROR);
	strcpy(f->dir, "/tmp/berth-http-XXXXXX");
	if (!mkdtemp(f->dir))
		return -errno;
	(void)snprintf(f->sock, sizeof(f->sock), "%s/api.sock", f->dir);
	if ((r = http_loop_new(&f->l, NULL)) < 0 || (r = http_router_new(&f->r)) < 0)
		return r;
	http_router_set_version_prefix(f->r, true);
	r = http_server_new_unix(f->l, f->sock, 0660, (gid_t)-1, lim, f->r, &f->s, NULL);
	if (r < 0)
		return r;
	http_server_add_default_header(f->s, "Api-Version", "1.45");
	http_server_add_default_header(f->s, "Server", "berth-test");
	return 0;
}

static void fx_fini(struct fx *f)
{
	http_server_free(f->s);
	http_router_free(f->r);
	http_loop_free(f->l);
	(void)rm_rf(f->dir);
}

/* Run client in a child while the loop serves; its exit status (0: passed). */
static int fx_run(struct fx *f, client_fn client)
{
	fflush(stdout);
	f->child = fork();
	if (f->child < 0)
		return -errno;
	if (f->child == 0)
		_exit(client(f));
	if (http_loop_watch_pid(f->l, f->child, fx_child_exited, f) < 0)
		return -1;
	f->guard = http_loop_add_timer(f->l, CLIENT_TIMEOUT_MS, fx_guard, f);
	if (http_loop_run(f->l) < 0)
		return -1;
	http_loop_cancel_timer(f->l, f->guard);
	return WIFEXITED(f->child_status) ? WEXITSTATUS(f->child_status) : 128;
}

/* ---- the client (in the child) ---- */

struct rd {
	int fd;
	size_t off, len;
	char buf[65536];
};

struct resp {
	int status;
	char head[16384];
	char *body;
	size_t len;
	int chunks;
};

static int cl_connect(const struct fx *f, struct rd *rd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(rd, 0, sizeof(*rd));
	strcpy(sa.sun_path, f->sock);
	rd->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rd->fd < 0 || connect(rd->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return rd->fd;
}

static int cl_send(struct rd *rd, const char *s)
{
	return fd_write_all(rd->fd, s, strlen(s));
}

static int rd_fill(struct rd *rd)
{
	ssize_t n;

	if (rd->off == rd->len)
		rd->off = rd->len = 0;
	if (rd->len == sizeof(rd->buf))
		return -ENOBUFS;
	do
		n = read(rd->fd, rd->buf + rd->len, sizeof(rd->buf) - rd->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	rd->len += (size_t)n;
	return (int)n;
}

/* A line without its CRLF; -EPIPE at end of file. */
static int rd_line(struct rd *rd, char *out, size_t max)
{
	for (;;) {
		char *nl = memchr(rd->buf + rd->off, '\n', rd->len - rd->off);
		if (nl) {
			size_t n = (size_t)(nl - (rd->buf + rd->off));
			size_t k = n > 0 && nl[-1] == '\r' ? n - 1 : n;
			if (k >= max)
				return -ENOBUFS;
			memcpy(out, rd->buf + rd->off, k);
			out[k] = '\0';
			rd->off += n + 1;
			return 0;
		}
		if (rd->off > 0) {
			memmove(rd->buf, rd->buf + rd->off, rd->len - rd->off);
			rd->len -= rd->off;
			rd->off = 0;
		}
		int r = rd_fill(rd);
		if (r <= 0)
			return r < 0 ? r : -EPIPE;
	}
}

static void body_add(struct resp *r, const char *p, size_t n)
{
	r->body = xrealloc(r->body, r->len + n + 1);
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
}

/* n body bytes, or everything to end of file with n == SIZE_MAX. */
static int rd_body(struct rd *rd, struct resp *r, size_t n)
{
	while (n > 0) {
		if (rd->off == rd->len) {
			int k = rd_fill(rd);
			if (k < 0)
				return k;
			if (k == 0)
				return n == SIZE_MAX ? 0 : -EPIPE;
		}
		size_t take = rd->len - rd->off < n ? rd->len - rd->off : n;
		body_add(r, rd->buf + rd->off, take);
		rd->off += take;
		if (n != SIZE_MAX)
			n -= take;
	}
	return 0;
}

static const char *resp_header(const struct resp *r, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = r->head; *p;) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return p + n + 2;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return NULL;
}

static bool resp_header_is(const struct resp *r, const char *name, const char *value)
{
	const char *v = resp_header(r, name);
	return v && strncmp(v, value, strlen(value)) == 0 && v[strlen(value)] == '\n';
}

static int read_head(struct rd *rd, struct resp *r)
{
	char line[8192];
	size_t used = 0;
	int k;

	memset(r, 0, sizeof(*r));
	if ((k = rd_line(rd, line, sizeof(line))) < 0)
		return k;
	if (sscanf(line, "HTTP/1.%*d %d", &r->status) != 1)
		return -EBADMSG;
	for (;;) {
		if ((k = rd_line(rd, line, sizeof(line))) < 0)
			return k;
		if (!line[0])
			return 0;
		used += (size_t)snprintf(r->head + used, sizeof(r->head) - used, "%s\n", line);
	}
}

static int read_chunked(struct rd *rd, struct resp *r)
{
	char line[256];
	unsigned long size;
	int k;

	for (;;) {
		if ((k = rd_line(rd, line, sizeof(line))) < 0)
			return k;
		size = strtoul(line, NULL, 16);
		if (size == 0)
			break;
		r->chunks++;
		if ((k = rd_body(rd, r, size)) < 0 || (k = rd_line(rd, line, sizeof(line))) < 0)
			return k;
	}
	do
		k = rd_line(rd, line, sizeof(line));
	while (k == 0 && line[0]);
	return k;
}

static int read_response(struct rd *rd, struct resp *r, bool is_head)
{
	int k = read_head(rd, r);

	if (k < 0)
		return k;
	if (is_head || r->status < 200 || r->status == 204 || r->status == 304)
		return 0;
	if (resp_header_is(r, "Transfer-Encoding", "chunked"))
		return read_chunked(rd, r);
	if (resp_header(r, "Content-Length"))
		return rd_body(rd, r, strtoul(resp_header(r, "Content-Length"), NULL, 10));
	return rd_body(rd, r, SIZE_MAX);
}

/* Send a request and read its response; the status, or a negative errno. */
static int roundtrip(struct rd *rd, const char *request, struct resp *r)
{
	free(r->body);
	if (cl_send(rd, request) < 0)
		return -EPIPE;
	int k = read_response(rd, r, strncmp(request, "HEAD ", 5) == 0);
	return k < 0 ? k : r->status;
}

/* Whether the server closed the connection (reads end of file in time). */
static bool cl_sees_eof(struct rd *rd, int timeout_ms)
{
	struct pollfd p = { .fd = rd->fd, .events = POLLIN };
	char c;

	if (rd->off < rd->len)
		return false;
	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	ssize_t n = read(rd->fd, &c, 1);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static bool body_is(const struct resp *r, const char *s)
{
	if (r->body && strcmp(r->body, s) == 0)
		return true;
	dprintf(1, "# body '%s', want '%s'\n", r->body ? r->body : "(null)", s);
	return false;
}

#define BODY_IS(r, s) body_is(&(r), (s))
