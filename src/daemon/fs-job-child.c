/* The child of a file job (see fs-job.h): it works in the container's root
 * (container-fs.h), resolving every path there, and reports on the control
 * pipe. For a PUT it reads the body from the handed-off connection as it
 * extracts it. */
#define LOG_CATEGORY "api"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <unistd.h>

#include "api.h"
#include "archive.h"
#include "container-fs.h"
#include "container-internal.h"
#include "container-mounts.h"
#include "fs-job.h"
#include "http-handoff.h"

static void child_report(int ctl, int status, const char *msg, json_object *extra_key_val,
			 const char *key)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	jadd(o, "status", json_object_new_int(status));
	if (msg)
		jadd(o, "message", jstr(msg));
	if (key)
		jadd(o, key, extra_key_val);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	(void)fd_write_all(ctl, text, strlen(text));
	(void)close(ctl);
}

static int child_error(int ctl, struct fs_job *j, struct berth_error *err)
{
	if (err && err->kind == BERTH_ERR_NOT_FOUND) {
		_cleanup_free_ char *m =
			xasprintf("Could not find the file %s in container %s", j->path, j->name);
		child_report(ctl, 404, m, NULL, NULL);
	} else {
		child_report(ctl, err ? api_status_of(err) : 500, err ? err->msg : "internal error",
			     NULL, NULL);
	}
	return 1;
}

static ssize_t body_read(void *data, void *buf, size_t n)
{
	return http_handoff_read(data, buf, n);
}

static int child_put(struct fs_job *j, int root, int ctl, bool copy_ids, bool no_overwrite)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *abs = archive_copy_path_clean(j->path, NULL);
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	struct archive_copy_opts o = {
		.owner = copy_ids ? ARCHIVE_OWNER_KEEP : ARCHIVE_OWNER_ROOT,
		.no_overwrite_dir_nondir = no_overwrite,
	};
	struct statvfs vfs;
	struct stat st;
	long fd;

	do
		fd = syscall(SYS_openat2, root, abs[1] ? abs + 1 : ".", &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	http_handoff_set_limits(j->handoff, PUT_MAX_BYTES, PUT_IDLE_MS);
	if (fd < 0 && errno == ENOENT)
		(void)berth_error_set(&err, ENOENT, BERTH_ERR_NOT_FOUND, "not found");
	else if (fd < 0 || fstat((int)fd, &st) < 0 || !S_ISDIR(st.st_mode))
		(void)berth_error_set(&err, 0, BERTH_ERR_INVALID,
				      "extraction point is not a directory");
	else if (fstatvfs((int)fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		(void)berth_error_set(&err, 0, BERTH_ERR_INVALID,
				      "mounted volume is marked read-only");
	else
		(void)archive_copy_extract(body_read, j->handoff, (int)fd, &o, &err);
	/* the rest of the body (the tar's padding, or a refused one) */
	(void)http_handoff_drain(j->handoff, PUT_DRAIN_MAX);
	if (err)
		return child_error(ctl, j, err);
	child_report(ctl, 200, NULL, NULL, NULL);
	return 0;
}

static int child_export(struct fs_job *j, int root, int ctl, int data)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct tar_writer *w = NULL;
	char proc[64];

	(void)j;
	child_report(ctl, 200, NULL, NULL, NULL);
	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", root);
	if (tar_writer_new(data, &w, &err) < 0)
		return 1;
	if (tar_writer_add_tree(w, proc, NULL, &err) < 0) {
		log_warn("Export of %.12s failed: %s", j->id, err->msg);
		tar_writer_free(w);
		return 1;
	}
	return tar_writer_close(w, &err) < 0 ? 1 : 0;
}

static bool has_option(json_object *m, const char *opt)
{
	json_object *opts = jget(m, "options");

	for (size_t i = 0; opts && i < json_object_array_length(opts); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(opts, i)), opt) == 0)
			return true;
	return false;
}

/* Make the mount point abs (a directory, or a file for a file source)
 * inside root as a start would, each parent resolved inside root. */
static int make_mount_point(int root, const char *abs, bool dir)
{
	_cleanup_free_ char *walk = xstrdup(abs);

	for (char *slash = strchr(walk + 1, '/');; slash = strchr(slash + 1, '/')) {
		bool last = !slash;
		if (slash)
			*slash = '\0';
		char *cut = strrchr(walk, '/');
		*cut = '\0';
		_cleanup_close_ int pfd =
			container_fs_open(root, cut == walk ? "" : walk + 1, O_PATH | O_DIRECTORY);
		*cut = '/';
		if (pfd < 0)
			return pfd;
		if (last && !dir) {
			int fd = openat(pfd, cut + 1, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
					0644);
			if (fd < 0 && errno != EEXIST && errno != EISDIR)
				return -errno;
			if (fd >= 0)
				(void)close(fd);
		} else if (mkdirat(pfd, cut + 1, 0755) < 0 && errno != EEXIST) {
			return -errno;
		}
		if (last)
			return 0;
		*slash = '/';
	}
}

/* A stopped container's binds and volumes, as a start mounts them, in a
 * mount namespace of the child's own (gone with it); each destination is
 * resolved inside the rootfs. *root becomes the rootfs seen from there. */
static int child_mounts(struct fs_job *j, int *root)
{
	_cleanup_json_ json_object *list = j->mounts ? json_tokener_parse(j->mounts) : NULL;
	size_t n = list ? json_object_array_length(list) : 0;
	int fd;

	if (n == 0)
		return 0;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	_cleanup_close_ int newroot = open(j->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (newroot < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(list, i);
		const char *type = json_object_get_string(jget(m, "type"));
		const char *src = json_object_get_string(jget(m, "source"));
		const char *dst = json_object_get_string(jget(m, "destination"));
		char p[64];
		if (!type || strcmp(type, "bind") != 0 || !src || !dst)
			continue;
		_cleanup_free_ char *abs = archive_copy_path_clean(dst, NULL);
		const char *sub = json_object_get_string(jget(m, "subpath"));
		_cleanup_close_ int subfd = -EBADF;
		char sp[64];
		struct stat sst;
		if (sub) {
			/* a volume's subpath, resolved beneath the volume */
			if ((subfd = volume_subpath_open(src, sub, NULL)) < 0)
				continue;
			(void)snprintf(sp, sizeof(sp), "/proc/self/fd/%d", subfd);
			src = sp;
		}
		if (strcmp(abs, "/") == 0 || stat(src, &sst) < 0)
			continue;
		(void)make_mount_point(newroot, abs, S_ISDIR(sst.st_mode));
		_cleanup_close_ int at = container_fs_open(newroot, abs + 1, O_PATH);
		if (at < 0)
			continue;
		(void)snprintf(p, sizeof(p), "/proc/self/fd/%d", at);
		if (mount(src, p, NULL, MS_BIND | MS_REC, NULL) < 0 || !has_option(m, "ro"))
			continue;
		_cleanup_close_ int top = container_fs_open(newroot, abs + 1, O_PATH);
		(void)snprintf(p, sizeof(p), "/proc/self/fd/%d", top);
		if (top >= 0)
			(void)mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
	}
	fd = open(j->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	(void)close(*root);
	*root = fd;
	return 0;
}

int fs_job_child_main(struct daemon *d, struct fs_job *j, int root, int ctl, int data, bool flag_a,
		      bool flag_b)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int dfd = -EBADF;
	struct stat st;

	signal(SIGPIPE, SIG_DFL);
	if (j->kind == FS_CHANGES) {
		struct container *c = NULL;
		json_object *list = container_lookup(d, j->id, &c, NULL) == 0
					    ? container_fs_changes(d, c)
					    : NULL;
		child_report(ctl, 200, NULL, list ? list : json_object_new_array(), "changes");
		return 0;
	}
	if (j->kind == FS_EXPORT)
		return child_export(j, root, ctl, data);
	if (child_mounts(j, &root) < 0) {
		(void)berth_error_set(&err, errno, BERTH_ERR_INTERNAL,
				      "mount the container's volumes");
		return child_error(ctl, j, err);
	}
	if (j->kind == FS_PUT)
		return child_put(j, root, ctl, flag_a, flag_b);
	if (container_fs_resolve(root, j->path, &dfd, &base, &err) < 0)
		return child_error(ctl, j, err);
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		(void)berth_error_set(&err, errno,
				      errno == ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_INTERNAL,
				      "stat: %s", strerror(errno));
		return child_error(ctl, j, err);
	}
	child_report(ctl, 200, NULL, container_fs_stat_json(root, j->path, &st), "stat");
	if (j->kind == FS_STAT)
		return 0;
	bool dir_only = false;
	_cleanup_free_ char *abs = archive_copy_path_clean(j->path, &dir_only);
	size_t n = strlen(j->path);
	const char *name = strrchr(abs, '/') + 1;
	if (n >= 2 && strcmp(j->path + n - 2, "/.") == 0)
		name = ".";
	else if (!*name)
		name = ".";
	if (archive_copy_node(data, dfd, base, name, NULL, &err) < 0) {
		log_warn("Copy from %.12s failed: %s", j->id, err->msg);
		return 1;
	}
	return 0;
}
