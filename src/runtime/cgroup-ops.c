/* cgroup operations on one container: create (mkdir in every hierarchy, then
 * resources; undone on failure), destroy, and the process side: enter,
 * freeze, list and signal the processes. */
#define LOG_CATEGORY "cgroup"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-backend-internal.h"

#define DESTROY_TIMEOUT_US 1000000

/* Level i of "/a/b/c" below mp: 0 -> "mp/a", 2 -> "mp/a/b/c". */
static char *level_path(const char *mp, const char *path, size_t level)
{
	const char *end = path;

	for (size_t i = 0; i <= level && end; i++)
		end = strchr(end + 1, '/');
	return end ? xasprintf("%s%.*s", mp, (int)(end - path), path) : xasprintf("%s%s", mp, path);
}

static size_t path_levels(const char *path)
{
	size_t n = 0;

	for (const char *p = path; *p; p++)
		n += *p == '/';
	return n;
}

static void remove_levels(const char *mp, const char *path, size_t from, size_t to)
{
	for (size_t i = to; i > from; i--) {
		_cleanup_free_ char *dir = level_path(mp, path, i - 1);
		(void)rmdir(dir);
	}
}

/* mkdir -p path below mp; *ret_first is the first level made (the level count: none). */
static int make_levels(const char *mp, const char *path, size_t *ret_first,
		       struct berth_error **err)
{
	_cleanup_free_ char *full = xasprintf("%s%s", mp, path);
	size_t n = path_levels(path), first = n;

	/* The common case: only the leaf is missing. errno is stale after a success. */
	int made = mkdir(full, 0755) == 0;
	if (made || errno == EEXIST) {
		*ret_first = made ? n - 1 : n;
		return 0;
	}
	if (errno != ENOENT)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create cgroup '%s'", full);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dir = level_path(mp, path, i);
		if (mkdir(dir, 0755) == 0) {
			if (first == n)
				first = i;
		} else if (errno != EEXIST) {
			int e = errno;
			remove_levels(mp, path, first, i);
			return berth_error_set(err, e, BERTH_ERR_INTERNAL, "create cgroup '%s'",
					       dir);
		}
	}
	*ret_first = first;
	return 0;
}

int cgroup_create(struct rt_cgroup *cg, const struct rt_resources *res, struct berth_error **err)
{
	const struct cg_layout *l = cg->layout;
	size_t n_levels = path_levels(cg->path), made;
	_cleanup_free_ size_t *first = xcalloc(l->n_hiers, sizeof(size_t));
	uint32_t delegate = cg_unified_wanted(cg, res);
	bool fresh = true;
	int r = 0;

	for (made = 0; made < l->n_hiers && r == 0; made++) {
		const struct cg_hier *hier = &l->hiers[made];
		if ((r = make_levels(hier->mount_point, cg->path, &first[made], err)) < 0)
			break;
		fresh = fresh && first[made] < n_levels;
		if (first[made] < n_levels && (hier->ctrls & (1u << CG_CPUSET)))
			r = cg_v1_cpuset_init(hier->mount_point, cg->path, first[made], err);
		else if (hier->unified && delegate)
			cg_v2_enable_controllers(hier->mount_point, cg->path, delegate);
	}
	if (r == 0 && (r = cg_apply(cg, res, fresh, err)) == 0)
		return 0;
	for (size_t i = 0; i < made; i++) {
		cg_dir_close(cg, (int)i);
		remove_levels(l->hiers[i].mount_point, cg->path, first[i], n_levels);
	}
	return r;
}

static int rmdir_retry(int parent, const char *name, uint64_t deadline)
{
	unsigned delay = 1000;

	for (;;) {
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_usec_monotonic() >= deadline)
			return -errno;
		cg_sleep_usec(delay);
		delay = delay < 16000 ? delay * 2 : delay;
	}
}

/* Remove a cgroup and its descendants, deepest first. The common case, a
 * leaf without children, costs one rmdir; children make it EBUSY. */
static int remove_tree(int parent, const char *name, unsigned depth, uint64_t deadline)
{
	int r = 0;

	if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (errno != EBUSY)
		return -errno;
	_cleanup_closedir_ DIR *d = NULL;
	int q0 = dir_open_at(parent, name, &d);
	if (q0 < 0)
		return q0 == -ENOENT ? 0 : q0;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_DIR || dirent_is_dot(de))
			continue;
		int q = depth < CG_MAX_DEPTH
				? remove_tree(dirfd(d), de->d_name, depth + 1, deadline)
				: -ELOOP;
		if (q < 0 && r == 0)
			r = q;
	}
	int q = rmdir_retry(parent, name, deadline);
	return r < 0 ? r : q;
}

int cgroup_destroy(const struct rt_cgroup *cg, struct berth_error **err)
{
	const struct cg_layout *l = cg->layout;
	uint64_t deadline = now_usec_monotonic() + DESTROY_TIMEOUT_US;
	bool default_parent = str_has_prefix(cg->path, CG_DEFAULT_PARENT "/") &&
			      !strchr(cg->path + strlen(CG_DEFAULT_PARENT "/"), '/');
	int ret = 0;

	for (size_t i = 0; i < l->n_hiers; i++) {
		_cleanup_free_ char *dir = cg_dir_path(cg, (int)i);
		cg_dir_close(cg, (int)i);
		int r = remove_tree(AT_FDCWD, dir, 0, deadline);
		if (r < 0 && ret == 0)
			ret = berth_error_set(err, -r,
					      r == -EBUSY ? BERTH_ERR_CONFLICT : BERTH_ERR_INTERNAL,
					      "remove cgroup '%s'", dir);
		if (default_parent) {
			_cleanup_free_ char *parent =
				xasprintf("%s%s", l->hiers[i].mount_point, CG_DEFAULT_PARENT);
			(void)rmdir(parent); /* busy or not empty: other containers use it */
		}
	}
	return ret;
}

bool cgroup_exists(const struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->layout->n_hiers; i++) {
		_cleanup_free_ char *dir = cg_dir_path(cg, (int)i);
		if (access(dir, F_OK) == 0)
			return true;
	}
	return false;
}

int cgroup_enter(const struct rt_cgroup *cg, pid_t pid, struct berth_error **err)
{
	char text[16];
	int r;

	(void)snprintf(text, sizeof(text), "%d", (int)pid);
	for (size_t i = 0; i < cg->layout->n_hiers; i++)
		if ((r = cg_write(cg, (int)i, NULL, "cgroup.procs", text, err)) < 0)
			return r;
	return 0;
}

int cgroup_attach_prepare(const struct rt_cgroup *cg, struct cgroup_attach *ret,
			  struct berth_error **err)
{
	const struct cg_layout *l = cg->layout;
	struct cgroup_attach a = { .task_fds = xcalloc(l->n_hiers + 1, sizeof(int)),
				   .unified_fd = -EBADF };

	for (size_t i = 0; i < l->n_hiers; i++) {
		int dfd = cg_dir_fd(cg, (int)i, err);
		if (dfd < 0) {
			cgroup_attach_close(&a);
			return dfd;
		}
		if (l->hiers[i].unified) {
			a.unified_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
			if (a.unified_fd < 0) {
				cgroup_attach_close(&a);
				return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "dup");
			}
			continue;
		}
		int fd = openat(dfd, "tasks", O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			_cleanup_free_ char *dir = cg_dir_path(cg, (int)i);
			int e = errno;
			cgroup_attach_close(&a);
			return berth_error_set(err, e, BERTH_ERR_INTERNAL, "open 'tasks' in '%s'",
					       dir);
		}
		a.task_fds[a.n_task_fds++] = fd;
	}
	*ret = a;
	return 0;
}

int cgroup_attach_self(const struct cgroup_attach *a, struct berth_error **err)
{
	for (size_t i = 0; i < a->n_task_fds; i++) {
		if (write(a->task_fds[i], "0", 1) != 1)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "join the container's cgroup");
	}
	return 0;
}

void cgroup_attach_close(struct cgroup_attach *a)
{
	for (size_t i = 0; i < a->n_task_fds; i++)
		(void)close(a->task_fds[i]);
	free(a->task_fds);
	a->task_fds = NULL;
	a->n_task_fds = 0;
	if (a->unified_fd >= 0)
		(void)close(a->unified_fd);
	a->unified_fd = -EBADF;
}

int cgroup_enter_unified(const struct rt_cgroup *cg, pid_t pid, struct berth_error **err)
{
	char text[16];
	int h = cg->layout->unified;

	if (h < 0)
		return 0;
	(void)snprintf(text, sizeof(text), "%d", (int)pid);
	return cg_write(cg, h, NULL, "cgroup.procs", text, err);
}

int cgroup_freeze(const struct rt_cgroup *cg, bool frozen, struct berth_error **err)
{
	int h = cg->layout->ctrl_hier[CG_FREEZER];

	if (h < 0)
		return berth_error_set(err, 0, BERTH_ERR_UNAVAILABLE,
				       "pause needs the freezer cgroup controller");
	return cg_backend_of(cg, h)->freeze(cg, h, frozen, err);
}

int cgroup_is_frozen(const struct rt_cgroup *cg, bool *ret, struct berth_error **err)
{
	int h = cg->layout->ctrl_hier[CG_FREEZER];

	if (h < 0) {
		*ret = false;
		return 0;
	}
	return cg_backend_of(cg, h)->is_frozen(cg, h, ret, err);
}

struct pid_list {
	pid_t *v;
	size_t n, cap;
};

static int collect_pids(int dfd, unsigned depth, struct pid_list *l)
{
	_cleanup_free_ char *text = NULL;
	int r;

	if ((r = file_read_all_at(dfd, "cgroup.procs", 64u << 20, &text, NULL)) < 0)
		return r;
	for (char *save = NULL, *t = strtok_r(text, "\n", &save); t;
	     t = strtok_r(NULL, "\n", &save)) {
		int pid;
		if (str_to_int(t, &pid) < 0 || pid <= 0)
			continue;
		if (l->n == l->cap) {
			if (l->cap >= CG_MAX_PIDS)
				return -E2BIG;
			l->cap = l->cap ? l->cap * 2 : 16;
			l->v = xrealloc(l->v, l->cap * sizeof(pid_t));
		}
		l->v[l->n++] = pid;
	}
	_cleanup_closedir_ DIR *d = NULL;
	int q0 = dir_open_at(dfd, ".", &d);
	if (q0 < 0)
		return q0;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_DIR || dirent_is_dot(de))
			continue;
		if (depth >= CG_MAX_DEPTH)
			return -ELOOP;
		_cleanup_close_ int sub = openat(dirfd(d), de->d_name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			if (errno == ENOENT)
				continue; /* removed meanwhile */
			return -errno;
		}
		if ((r = collect_pids(sub, depth + 1, l)) < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

/* Any hierarchy holds every process; a small one is quickest to read. */
static int pids_hier(const struct cg_layout *l)
{
	static const enum cg_ctrl prefer[] = { CG_PIDS, CG_FREEZER, CG_MEMORY };

	for (size_t i = 0; i < ARRAY_SIZE(prefer); i++)
		if (l->ctrl_hier[prefer[i]] >= 0)
			return l->ctrl_hier[prefer[i]];
	return l->unified >= 0 ? l->unified : 0;
}

int cgroup_pids(const struct rt_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error **err)
{
	struct pid_list l = { 0 };
	int h = pids_hier(cg->layout);
	int fd = cg_dir_fd(cg, h, err);
	int r;

	if (fd < 0)
		return fd;
	if ((r = collect_pids(fd, 0, &l)) < 0) {
		_cleanup_free_ char *dir = cg_dir_path(cg, h);
		free(l.v);
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "list the processes of '%s'",
				       dir);
	}
	*ret = l.v ? l.v : xzalloc(sizeof(pid_t));
	*ret_n = l.n;
	return 0;
}

int cgroup_kill_all(const struct rt_cgroup *cg, int sig, struct berth_error **err)
{
	const struct cg_layout *l = cg->layout;
	_cleanup_free_ pid_t *pids = NULL;
	bool was_frozen = false, froze = false;
	size_t n = 0;
	int r;

	if (!cgroup_exists(cg))
		return 0;
	if (sig == SIGKILL && l->unified >= 0) {
		/* cgroup.kill (5.14) kills the whole subtree without a fork race. */
		r = cg_write_raw(cg, l->unified, "cgroup.kill", "1");
		if (r == 0)
			return 0;
		if (r != -ENOENT && r != -EINVAL)
			return cg_write_error(cg, l->unified, NULL, "cgroup.kill", "1", r, err);
	}
	if (l->ctrl_hier[CG_FREEZER] >= 0) {
		/* Frozen, the processes cannot fork new ones while we signal them. */
		(void)cgroup_is_frozen(cg, &was_frozen, NULL);
		if ((r = cgroup_freeze(cg, true, err)) < 0)
			return r;
		froze = true;
	}
	r = cgroup_pids(cg, &pids, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			r = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "signal process %d",
					    (int)pids[i]);
	/* A paused container stays paused, unless it must die. */
	if (froze && (!was_frozen || sig == SIGKILL)) {
		int q = cgroup_freeze(cg, false, r < 0 ? NULL : err);
		r = r < 0 ? r : q;
	}
	return r;
}
