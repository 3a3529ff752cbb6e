/* berth cp: docker's path rules around the archive endpoints. From a
 * container: GET /containers/{id}/archive, the tar extracted locally under
 * the destination's name (or written to stdout for "-"). To a container: the
 * local source packed by a child into a pipe that is the body of PUT
 * /containers/{id}/archive (or stdin for "-"). */
#define LOG_CATEGORY "cli"
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive.h"
#include "cli-format-internal.h"
#include "cli-internal.h"
#include "cli-registry-internal.h"

#define CP_MAX_SYMLINKS 10

struct cp_opts {
	bool follow, archive, quiet;
};

/* docker's splitCpArg: "CONTAINER:PATH", or a local path (absolute, or
 * starting with "." before the colon). */
static char *split_arg(const char *arg, const char **ret_path)
{
	const char *colon = strchr(arg, ':');

	*ret_path = arg;
	if (arg[0] == '/' || !colon || arg[0] == '.')
		return NULL;
	*ret_path = colon + 1;
	return xstrndup(arg, (size_t)(colon - arg));
}

static bool ends_dir(const char *p)
{
	size_t n = strlen(p);
	return n > 0 &&
	       (p[n - 1] == '/' || (n >= 2 && strcmp(p + n - 2, "/.") == 0) || strcmp(p, ".") == 0);
}

/* docker's SplitPathDirEntry: the directory and the last element ("." for
 * a path ending in "/."). */
static void split_dir_entry(const char *p, char **ret_dir, char **ret_base)
{
	size_t n = strlen(p);
	bool dot = (n >= 2 && strcmp(p + n - 2, "/.") == 0) || strcmp(p, ".") == 0;
	_cleanup_free_ char *copy = xstrdup(p);

	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	if (dot) {
		_cleanup_free_ char *c2 = xstrdup(copy);
		*ret_dir = xstrdup(strcmp(c2, ".") == 0 ? "." : dirname(c2));
		if (strcmp(copy, ".") != 0) {
			copy[strlen(copy) - 2] = '\0';
			free(*ret_dir);
			*ret_dir = xstrdup(*copy ? copy : "/");
		}
		*ret_base = xstrdup(".");
		return;
	}
	_cleanup_free_ char *a = xstrdup(copy), *b = xstrdup(copy);
	*ret_dir = xstrdup(dirname(a));
	*ret_base = xstrdup(basename(b));
}

static char *container_path(const char *ctr, const char *path)
{
	_cleanup_free_ char *e = cli_path_escape(ctr);
	_cleanup_free_ char *url = xasprintf("/containers/%s/archive", e);
	cli_url_add(&url, "path", path);
	return TAKE_PTR(url);
}

/* HEAD .../archive: the stat header decoded; 0 and *ret NULL if absent. */
static int stat_path(struct cli_ctx *ctx, const char *ctr, const char *path, json_object **ret,
		     struct berth_error **err)
{
	_cleanup_free_ char *url = container_path(ctr, path);
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	struct cli_request req = CLI_REQUEST("HEAD", url);
	_cleanup_free_ char *raw = NULL;
	size_t len = 0;

	*ret = NULL;
	if (cli_api_request(&ctx->client, &req, &resp, err) < 0)
		return -1;
	const char *h = cli_http_header(resp, "X-Docker-Container-Path-Stat");
	if (!h || cli_base64_decode(h, &raw, &len) < 0)
		return 0;
	*ret = json_tokener_parse(raw);
	return 0;
}

static int64_t stat_mode(json_object *st)
{
	return st ? cli_json_int(st, "mode") : 0;
}

#define GO_MODE_DIR	(1LL << 31)
#define GO_MODE_SYMLINK (1LL << 27)

struct body_src {
	struct cli_http_response *resp;
	uint64_t n;
	struct berth_error **err;
};

/* Fill the extractor's whole buffer (large writes are much cheaper than
 * many small ones of a chunk each). */
static ssize_t body_read(void *data, void *buf, size_t n)
{
	struct body_src *s = data;
	size_t got = 0;

	while (got < n) {
		ssize_t k = cli_http_body_read(s->resp, (char *)buf + got, n - got, s->err);
		if (k < 0)
			return -EIO;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	s->n += got;
	return (ssize_t)got;
}

static void print_copied(const struct cp_opts *o, uint64_t n, const char *dst)
{
	if (o->quiet || !isatty(STDERR_FILENO))
		return;
	_cleanup_free_ char *size = cli_human_size((double)n, 3);
	fprintf(stderr, "Successfully copied %s to %s\n", size, dst);
}

/* docker's GetRebaseName: the name the copy keeps when a link was followed. */
static char *rebase_name(const char *path, const char *resolved)
{
	_cleanup_free_ char *a = xstrdup(path), *b = xstrdup(resolved);
	const char *pb = basename(a), *rb = basename(b);
	return strcmp(pb, rb) != 0 && !ends_dir(path) ? xstrdup(pb) : NULL;
}

/* docker's CopyInfoDestinationPath on the local side. */
static int local_dest(const char *path, char **ret_path, bool *exists, bool *is_dir)
{
	_cleanup_free_ char *p = xstrdup(path);
	struct stat st;
	int r = lstat(p, &st);

	for (int n = 0; r == 0 && S_ISLNK(st.st_mode); n++) {
		char target[PATH_MAX];
		if (n > CP_MAX_SYMLINKS) {
			fprintf(stderr, "too many symlinks in %s\n", path);
			return -1;
		}
		ssize_t k = readlink(p, target, sizeof(target) - 1);
		if (k < 0)
			break;
		target[k] = '\0';
		char *next;
		if (target[0] == '/') {
			next = xstrdup(target);
		} else {
			_cleanup_free_ char *d = NULL, *b = NULL;
			split_dir_entry(p, &d, &b);
			next = xasprintf("%s/%s", d, target);
		}
		free(p);
		p = next;
		r = lstat(p, &st);
	}
	if (r < 0) {
		_cleanup_free_ char *d = NULL, *b = NULL;
		struct stat pst;
		if (errno != ENOENT) {
			fprintf(stderr, "stat %s: %s\n", p, cli_strerror(errno));
			return -1;
		}
		split_dir_entry(p, &d, &b);
		if (stat(d, &pst) < 0) {
			fprintf(stderr, "stat %s: %s\n", d, cli_strerror(errno));
			return -1;
		}
		if (!S_ISDIR(pst.st_mode)) {
			fprintf(stderr, "not a directory\n");
			return -1;
		}
		*exists = *is_dir = false;
	} else {
		*exists = true;
		*is_dir = S_ISDIR(st.st_mode);
	}
	*ret_path = TAKE_PTR(p);
	return 0;
}

/* docker's ValidateOutputPath: the parent must exist, the path be a
 * directory, a regular file or nothing. */
static int validate_output(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	const char *dir;
	struct stat st;

	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	dir = dirname(copy);
	if (strcmp(dir, ".") != 0 && stat(dir, &st) < 0 && errno == ENOENT) {
		fprintf(stderr, "invalid output path: directory \"%s\" does not exist\n", dir);
		return -1;
	}
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "stat %s: %s\n", path, cli_strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		fprintf(stderr,
			"invalid output path: \"%s\" must be a directory or a regular file\n",
			path);
		return -1;
	}
	return 0;
}

static int copy_from(struct cli_ctx *ctx, const struct cp_opts *o, const char *ctr, const char *src,
		     const char *dst)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_free_ char *src_path = xstrdup(src), *rebase = NULL, *url = NULL;
	_cleanup_free_ char *dpath = NULL, *ddir = NULL, *dbase = NULL, *sdir = NULL, *sbase = NULL,
			    *raw = NULL;
	_cleanup_json_ json_object *st = NULL;
	bool exists = false, is_dir = false;
	size_t len = 0;

	if (strcmp(dst, "-") != 0 && validate_output(dst) < 0)
		return 1;
	if (o->follow && stat_path(ctx, ctr, src, &st, &err) == 0 && st &&
	    (stat_mode(st) & GO_MODE_SYMLINK)) {
		const char *lt = cli_json_str(st, "linkTarget");
		_cleanup_free_ char *target = NULL;
		if (lt && lt[0] != '/') {
			_cleanup_free_ char *pd = NULL, *pb = NULL;
			split_dir_entry(src, &pd, &pb);
			target = xasprintf("%s/%s", pd, lt);
		} else {
			target = xstrdup(lt ? lt : src);
		}
		rebase = rebase_name(src, target);
		free(src_path);
		src_path = TAKE_PTR(target);
	}
	berth_error_free(err);
	err = NULL;
	url = container_path(ctr, src_path);
	struct cli_request req = CLI_REQUEST("GET", url);
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0)
		return cli_fail(err, 1);
	if (strcmp(dst, "-") != 0 && local_dest(dst, &dpath, &exists, &is_dir) < 0)
		return 1;
	if (strcmp(dst, "-") == 0) {
		char buf[65536];
		for (;;) {
			ssize_t n = cli_http_body_read(resp, buf, sizeof(buf), &err);
			if (n < 0)
				return cli_fail(err, 1);
			if (n == 0)
				return 0;
			if (fd_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				return 1;
		}
	}
	json_object *sst = NULL;
	const char *h = cli_http_header(resp, "X-Docker-Container-Path-Stat");
	if (h && cli_base64_decode(h, &raw, &len) == 0)
		sst = json_tokener_parse(raw);
	bool src_dir = (stat_mode(sst) & GO_MODE_DIR) != 0;
	json_object_put(sst);
	split_dir_entry(src_path, &sdir, &sbase);
	split_dir_entry(dpath, &ddir, &dbase);
	struct archive_copy_opts ao = { .owner = ARCHIVE_OWNER_NONE,
					.no_overwrite_dir_nondir = true };
	const char *into = dpath;
	if (exists && is_dir) {
		if (rebase) {
			ao.rebase_from = sbase;
			ao.rebase_to = rebase;
		}
	} else if (exists && src_dir) {
		fprintf(stderr, "cannot copy directory\n");
		return 1;
	} else if (!exists && !src_dir && ends_dir(dpath)) {
		fprintf(stderr, "no such directory\n");
		return 1;
	} else {
		into = ddir;
		ao.rebase_from = sbase;
		ao.rebase_to = dbase;
	}
	_cleanup_close_ int dfd = open(into, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "open %s: %s\n", into, cli_strerror(errno));
		return 1;
	}
	struct body_src bs = { resp, 0, &err };
	if (archive_copy_extract(body_read, &bs, dfd, &ao, &err) < 0)
		return cli_fail(err, 1);
	print_copied(o, bs.n, dst);
	return 0;
}

/* The local source, packed as a tar named name, is the chunked body of the
 * PUT: written by the tar writer straight to the socket in 1 MiB chunks. */
struct pack_source {
	const char *dir, *base, *name;
	struct cli_http_conn *conn;
	struct berth_error **err;
	uint64_t sent;
};

static int pack_chunk(void *data, const void *buf, size_t len)
{
	struct pack_source *p = data;

	return cli_http_send_chunk(p->conn, buf, len, p->err) < 0 ? -EPIPE : 0;
}

static int pack_source(struct cli_http_conn *conn, void *data, struct berth_error **err)
{
	struct pack_source *p = data;
	_cleanup_close_ int dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	p->conn = conn;
	p->err = err;
	if (dfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "open %s", p->dir);
	return archive_copy_node_sink(pack_chunk, p, dfd, p->base, p->name, &p->sent, err);
}

static int copy_to(struct cli_ctx *ctx, const struct cp_opts *o, const char *src, const char *ctr,
		   const char *dst)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *st = NULL;
	_cleanup_free_ char *dst_path = xstrdup(dst), *resolved = NULL, *url = NULL;
	_cleanup_free_ char *sdir = NULL, *sbase = NULL, *ddir = NULL, *dbase = NULL;
	_cleanup_free_ char *rebase = NULL, *src_real = NULL;
	_cleanup_close_ int body = -EBADF;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	bool exists = false, is_dir = false;
	struct pack_source pack = { 0 };
	int sr = stat_path(ctx, ctr, dst, &st, &err);

	/* a missing path is fine (the extraction tells), a missing container not
	 * (HEAD answers carry no message: ask for the container itself) */
	if (sr < 0) {
		_cleanup_json_ json_object *info = NULL;
		_cleanup_error_ struct berth_error *ierr = NULL;
		if (cli_container_inspect(ctx, ctr, &info, &ierr) < 0)
			return cli_fail(ierr, 1);
	}
	if (sr == 0 && (stat_mode(st) & GO_MODE_SYMLINK)) {
		const char *lt = cli_json_str(st, "linkTarget");
		if (lt && lt[0] != '/') {
			_cleanup_free_ char *pd = NULL, *pb = NULL;
			split_dir_entry(dst, &pd, &pb);
			free(dst_path);
			dst_path = xasprintf("%s/%s", pd, lt);
		} else if (lt) {
			free(dst_path);
			dst_path = xstrdup(lt);
		}
		json_object_put(st);
		st = NULL;
		berth_error_free(err);
		err = NULL;
		sr = stat_path(ctx, ctr, dst_path, &st, &err);
	}
	if (sr == 0 && st) {
		exists = true;
		is_dir = (stat_mode(st) & GO_MODE_DIR) != 0;
	}
	berth_error_free(err);
	err = NULL;
	if (strcmp(src, "-") == 0) {
		if (!is_dir) {
			fprintf(stderr, "destination \"%s:%s\" must be a directory\n", ctr, dst);
			return 1;
		}
		resolved = xstrdup(dst_path);
		body = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	} else {
		struct stat lst;
		if (o->follow) {
			char real[PATH_MAX];
			if (!realpath(src, real)) {
				fprintf(stderr, "lstat %s: %s\n", src, cli_strerror(errno));
				return 1;
			}
			rebase = rebase_name(src, real);
			src_real = ends_dir(src) ? xasprintf("%s/.", real) : xstrdup(real);
		} else {
			src_real = xstrdup(src);
		}
		if (lstat(src_real, &lst) < 0) {
			fprintf(stderr, "lstat %s: %s\n", src_real, cli_strerror(errno));
			return 1;
		}
		split_dir_entry(src_real, &sdir, &sbase);
		split_dir_entry(dst_path, &ddir, &dbase);
		const char *name = rebase ? rebase : sbase;
		if (exists && is_dir) {
			resolved = xstrdup(dst_path);
		} else if (exists && S_ISDIR(lst.st_mode)) {
			fprintf(stderr, "cannot copy directory\n");
			return 1;
		} else if (!exists && !S_ISDIR(lst.st_mode) && ends_dir(dst_path)) {
			fprintf(stderr, "no such directory\n");
			return 1;
		} else {
			resolved = xstrdup(ddir);
			name = dbase;
		}
		pack = (struct pack_source){ .dir = sdir, .base = sbase, .name = name };
	}
	url = container_path(ctr, resolved);
	cli_url_add(&url, "noOverwriteDirNonDir", "true");
	if (o->archive)
		cli_url_add(&url, "copyUIDGID", "true");
	struct cli_request req = CLI_REQUEST("PUT", url);
	req.body_fd = body;
	if (pack.dir) {
		req.body_writer = pack_source;
		req.body_writer_data = &pack;
	}
	req.content_type = "application/x-tar";
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0)
		return cli_fail(err, 1);
	if (pack.dir) {
		_cleanup_free_ char *where = xasprintf("%s:%s", ctr, dst);
		print_copied(o, pack.sent, where);
	}
	return 0;
}

int cmd_cp(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cp_opts o = { 0 };
	const struct cli_opt opts[] = {
		{ "archive", 'a', CLI_OPT_BOOL, &o.archive, NULL,
		  "Archive mode (copy all uid/gid information)" },
		{ "follow-link", 'L', CLI_OPT_BOOL, &o.follow, NULL,
		  "Always follow symbol link in SRC_PATH" },
		{ "quiet", 'q', CLI_OPT_BOOL, &o.quiet, NULL,
		  "Suppress progress output during copy. Progress output is automatically "
		  "suppressed if no terminal is attached" },
		{},
	};
	const struct cli_command cmd = {
		ctx->path,
		"[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- "
		"CONTAINER:DEST_PATH",
		"Copy files/folders between a container and the local filesystem\n\nUse '-' as "
		"the source to read a tar archive from stdin\nand extract it to a directory "
		"destination in a container.\nUse '-' as the destination to stream a tar "
		"archive of a\ncontainer source to stdout.",
		"berth container cp, berth cp",
		CLI_ARGS_EXACT,
		2
	};
	_cleanup_args_ struct cli_args args = { 0 };
	const char *spath, *dpath;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	_cleanup_free_ char *sctr = split_arg(args.v[0], &spath);
	_cleanup_free_ char *dctr = split_arg(args.v[1], &dpath);
	if (sctr && dctr) {
		fprintf(stderr, "copying between containers is not supported\n");
		return 1;
	}
	if (!sctr && !dctr) {
		fprintf(stderr, "must specify at least one container source\n");
		return 1;
	}
	if (sctr)
		return copy_from(ctx, &o, sctr, spath, dpath);
	return copy_to(ctx, &o, spath, dctr, dpath);
}
