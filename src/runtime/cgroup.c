/* cgroup: the host's layout (read once from /proc/self/mountinfo), the
 * container's path, and the public operations, each dispatched to the v1 or
 * v2 backend of the hierarchy that serves the controller concerned. */
#define LOG_CATEGORY "cgroup"
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-backend-internal.h"

#define CG_ROOT	      "/sys/fs/cgroup"
#define MOUNTINFO_MAX (16u << 20)

static const char *const ctrl_names[CG_CTRL_MAX] = {
	[CG_CPU] = "cpu",	  [CG_CPUACCT] = "cpuacct",   [CG_CPUSET] = "cpuset",
	[CG_MEMORY] = "memory",	  [CG_DEVICES] = "devices",   [CG_FREEZER] = "freezer",
	[CG_BLKIO] = "blkio",	  [CG_PIDS] = "pids",	      [CG_HUGETLB] = "hugetlb",
	[CG_NET_CLS] = "net_cls", [CG_NET_PRIO] = "net_prio", [CG_PERF_EVENT] = "perf_event",
	[CG_RDMA] = "rdma",	  [CG_MISC] = "misc",
};

static struct cg_layout *layout_cache;

const char *cg_ctrl_name(enum cg_ctrl c)
{
	return c < CG_CTRL_MAX ? ctrl_names[c] : "?";
}

static int ctrl_from_name(const char *name, bool v2)
{
	if (v2 && strcmp(name, "io") == 0)
		return CG_BLKIO;
	for (int c = 0; c < CG_CTRL_MAX; c++)
		if (strcmp(name, ctrl_names[c]) == 0)
			return c;
	return -1;
}

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	switch (mode) {
	case CGROUP_MODE_V1:
		return "v1";
	case CGROUP_MODE_HYBRID:
		return "hybrid";
	case CGROUP_MODE_V2:
		return "v2";
	case CGROUP_MODE_MAX:
		break;
	}
	return "unknown";
}

static void layout_free(struct cg_layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_hiers; i++) {
		free(l->hiers[i].mount_point);
		free(l->hiers[i].dir_name);
		free(l->hiers[i].options);
	}
	free(l->hiers);
	free(l);
}

void cgroup_layout_invalidate(void)
{
	layout_free(layout_cache);
	layout_cache = NULL;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*w++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

static void layout_add(struct cg_layout *l, const char *mp, bool v2, char *superopts)
{
	struct cg_hier h = { .unified = v2 };
	_cleanup_free_ char *opts = NULL;
	size_t i;

	if (!v2) {
		for (char *save = NULL, *t = strtok_r(superopts, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			int c = ctrl_from_name(t, false);
			if (strcmp(t, "rw") == 0 || strcmp(t, "ro") == 0 ||
			    str_has_prefix(t, "release_agent="))
				continue;
			if (c >= 0)
				h.ctrls |= 1u << c;
			char *o = opts ? xasprintf("%s,%s", opts, t) : xstrdup(t);
			free(opts);
			opts = o;
		}
		if (!opts)
			return;
	}
	for (i = 0; i < l->n_hiers; i++) {
		struct cg_hier *o = &l->hiers[i];
		if (strcmp(o->mount_point, mp) == 0)
			break; /* mounted over: the later mount wins */
		if (o->unified == v2 && (v2 || strcmp(o->options, opts) == 0))
			return; /* the same hierarchy mounted twice */
	}
	if (i == l->n_hiers) {
		l->hiers = xrealloc(l->hiers, (l->n_hiers + 1) * sizeof(*l->hiers));
		l->n_hiers++;
	} else {
		free(l->hiers[i].mount_point);
		free(l->hiers[i].dir_name);
		free(l->hiers[i].options);
	}
	h.mount_point = xstrdup(mp);
	h.dir_name = xstrdup(strrchr(mp, '/') + 1);
	h.options = TAKE_PTR(opts);
	l->hiers[i] = h;
}

/* One mountinfo line: "id parent maj:min root mountpoint opts [tags] - type source superopts". */
static void parse_mountinfo_line(struct cg_layout *l, char *line)
{
	char *f[5], *sep = strstr(line, " - ");
	char *save = NULL;

	if (!sep)
		return;
	*sep = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (!(f[i] = strtok_r(i ? NULL : line, " ", &save)))
			return;
	char *type = strtok_r(sep + 3, " ", &save);
	(void)strtok_r(NULL, " ", &save);
	char *superopts = strtok_r(NULL, " ", &save);
	if (!type || !superopts)
		return;
	bool v2 = strcmp(type, "cgroup2") == 0;
	if (!v2 && strcmp(type, "cgroup") != 0)
		return;
	unescape_octal(f[4]);
	if (strcmp(f[4], CG_ROOT) != 0 && !str_has_prefix(f[4], CG_ROOT "/"))
		return;
	if (!v2 && strcmp(f[4], CG_ROOT) == 0)
		return;
	layout_add(l, f[4], v2, superopts);
}

static void layout_finish(struct cg_layout *l)
{
	l->unified = -1;
	for (size_t i = 0; i < l->n_hiers; i++)
		if (l->hiers[i].unified &&
		    (l->unified < 0 || strcmp(l->hiers[i].mount_point, CG_ROOT) == 0))
			l->unified = (int)i;
	if (l->unified >= 0) {
		_cleanup_free_ char *path =
			xasprintf("%s/cgroup.controllers", l->hiers[l->unified].mount_point);
		_cleanup_free_ char *text = NULL;
		if (file_read_all(path, 4096, &text, NULL) == 0)
			for (char *save = NULL, *t = strtok_r(text, " \n", &save); t;
			     t = strtok_r(NULL, " \n", &save)) {
				int c = ctrl_from_name(t, true);
				if (c >= 0)
					l->unified_ctrls |= 1u << c;
			}
		l->unified_ctrls |= (1u << CG_DEVICES) | (1u << CG_FREEZER);
	}
	for (int c = 0; c < CG_CTRL_MAX; c++) {
		l->ctrl_hier[c] = -1;
		for (size_t i = 0; i < l->n_hiers; i++)
			if (l->hiers[i].ctrls & (1u << c))
				l->ctrl_hier[c] = (int)i;
		if (l->ctrl_hier[c] < 0 && (l->unified_ctrls & (1u << c)))
			l->ctrl_hier[c] = l->unified;
	}
	if (l->unified >= 0 &&
	    (l->n_hiers == 1 || strcmp(l->hiers[l->unified].mount_point, CG_ROOT) == 0))
		l->mode = CGROUP_MODE_V2;
	else
		l->mode = l->unified >= 0 ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
}

static int layout_get(const struct cg_layout **ret, struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	struct cg_layout *l;
	int r;

	if (layout_cache) {
		*ret = layout_cache;
		return 0;
	}
	if ((r = file_read_all("/proc/self/mountinfo", MOUNTINFO_MAX, &text, NULL)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read '/proc/self/mountinfo'");
	l = xzalloc(sizeof(*l));
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		parse_mountinfo_line(l, line);
	if (l->n_hiers == 0) {
		layout_free(l);
		return berth_error_set(err, ENOENT, BERTH_ERR_UNAVAILABLE,
				       "no cgroup file system is mounted under '%s'", CG_ROOT);
	}
	layout_finish(l);
	/* A v2 host has nothing else: drop v1 mounts found below the cgroup2 root. */
	if (l->mode == CGROUP_MODE_V2 && l->n_hiers > 1) {
		struct cg_hier u = l->hiers[l->unified];
		for (size_t i = 0; i < l->n_hiers; i++)
			if ((int)i != l->unified) {
				free(l->hiers[i].mount_point);
				free(l->hiers[i].dir_name);
				free(l->hiers[i].options);
			}
		l->hiers[0] = u;
		l->n_hiers = 1;
		l->unified_ctrls = 0;
		layout_finish(l);
	}
	*ret = layout_cache = l;
	return 0;
}

int cgroup_mode_detect(enum cgroup_mode *ret, struct berth_error **err)
{
	const struct cg_layout *l = NULL;
	int r = layout_get(&l, err);

	if (r < 0)
		return r;
	*ret = l->mode;
	return 0;
}

/* "/a//b/./c" -> "/a/b/c"; ".." is refused so that no path leaves its hierarchy. */
static int normalize_path(const char *in, char **ret, struct berth_error **err)
{
	_cleanup_free_ char *copy = xstrdup(in);
	_cleanup_free_ char *out = xzalloc(strlen(in) + 2);
	size_t len = 0;

	for (char *save = NULL, *t = strtok_r(copy, "/", &save); t;
	     t = strtok_r(NULL, "/", &save)) {
		if (strcmp(t, ".") == 0)
			continue;
		if (strcmp(t, "..") == 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "linux.cgroupsPath: '%s' has a '..' component", in);
		out[len++] = '/';
		memcpy(out + len, t, strlen(t));
		len += strlen(t);
	}
	if (len == 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "linux.cgroupsPath: '%s' names the root cgroup", in);
	if (len >= PATH_MAX / 2)
		return berth_error_set(err, ENAMETOOLONG, BERTH_ERR_INVALID,
				       "linux.cgroupsPath: '%s'", in);
	*ret = TAKE_PTR(out);
	return 0;
}

static int cgroup_alloc(const char *path, struct rt_cgroup **ret, struct berth_error **err)
{
	const struct cg_layout *l = NULL;
	struct rt_cgroup *cg;
	int r;

	if ((r = layout_get(&l, err)) < 0)
		return r;
	cg = xzalloc(sizeof(*cg));
	if ((r = normalize_path(path, &cg->path, err)) < 0) {
		free(cg);
		return r;
	}
	cg->layout = l;
	cg->fds = xcalloc(l->n_hiers, sizeof(int));
	for (size_t i = 0; i < l->n_hiers; i++)
		cg->fds[i] = -EBADF;
	*ret = cg;
	return 0;
}

int cgroup_new(const char *cgroups_path, const char *id, struct rt_cgroup **ret,
	       struct berth_error **err)
{
	_cleanup_free_ char *path = NULL;

	if (str_is_empty(cgroups_path)) {
		if (str_is_empty(id) || strchr(id, '/') || strcmp(id, ".") == 0 ||
		    strcmp(id, "..") == 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "container id '%s' cannot name a cgroup",
					       id ? id : "");
		path = xasprintf("%s/%s", CG_DEFAULT_PARENT, id);
	} else if (cgroups_path[0] != '/' && strchr(cgroups_path, ':')) {
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "linux.cgroupsPath: '%s': the systemd cgroup driver is not "
				       "supported; use a cgroupsPath that is a path",
				       cgroups_path);
	} else {
		path = xasprintf("/%s", cgroups_path);
	}
	return cgroup_alloc(path, ret, err);
}

int cgroup_from_path(const char *rel_path, struct rt_cgroup **ret, struct berth_error **err)
{
	if (str_is_empty(rel_path) || rel_path[0] != '/')
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "cgroup path '%s' is not absolute",
				       rel_path ? rel_path : "");
	return cgroup_alloc(rel_path, ret, err);
}

struct rt_cgroup *cgroup_free(struct rt_cgroup *cg)
{
	if (!cg)
		return NULL;
	for (size_t i = 0; cg->fds && i < cg->layout->n_hiers; i++)
		closep(&cg->fds[i]);
	free(cg->fds);
	free(cg->path);
	free(cg);
	return NULL;
}

const char *cgroup_path(const struct rt_cgroup *cg)
{
	return cg->path;
}

enum cgroup_mode cgroup_get_mode(const struct rt_cgroup *cg)
{
	return cg->layout->mode;
}

char *cg_dir_path(const struct rt_cgroup *cg, int h)
{
	return xasprintf("%s%s", cg->layout->hiers[h].mount_point, cg->path);
}

int cg_dir_fd(const struct rt_cgroup *cg, int h, struct berth_error **err)
{
	if (cg->fds[h] >= 0)
		return cg->fds[h];
	_cleanup_free_ char *dir = cg_dir_path(cg, h);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno,
				       errno == ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_INTERNAL,
				       "open cgroup '%s'", dir);
	cg->fds[h] = fd;
	return fd;
}

void cg_dir_close(const struct rt_cgroup *cg, int h)
{
	closep(&cg->fds[h]);
	cg->fds[h] = -EBADF;
}

int cg_write_raw(const struct rt_cgroup *cg, int h, const char *file, const char *value)
{
	int fd = cg_dir_fd(cg, h, NULL);

	return fd < 0 ? fd : file_write_str_at(fd, file, value);
}

int cg_write_error(const struct rt_cgroup *cg, int h, const char *field, const char *file,
		   const char *value, int r, struct berth_error **err)
{
	_cleanup_free_ char *dir = cg_dir_path(cg, h);

	return berth_error_set(err, -r, BERTH_ERR_INVALID, "%s%swrite '%s' = '%s' in '%s'",
			       field && r == -ENOENT ? field : "",
			       field && r == -ENOENT ? ": " : "", file, value, dir);
}

int cg_write(const struct rt_cgroup *cg, int h, const char *field, const char *file,
	     const char *value, struct berth_error **err)
{
	int r = cg_write_raw(cg, h, file, value);

	return r < 0 ? cg_write_error(cg, h, field, file, value, r, err) : 0;
}

int cg_read(const struct rt_cgroup *cg, int h, const char *file, char **ret,
	    struct berth_error **err)
{
	int fd = cg_dir_fd(cg, h, err);
	int r;

	if (fd < 0)
		return fd;
	if ((r = file_read_all_at(fd, file, 1 << 20, ret, NULL)) < 0) {
		_cleanup_free_ char *dir = cg_dir_path(cg, h);
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read '%s' in '%s'", file, dir);
	}
	return 0;
}

void cg_sleep_usec(unsigned usec)
{
	struct timespec ts = { .tv_sec = usec / 1000000, .tv_nsec = (long)(usec % 1000000) * 1000 };

	(void)nanosleep(&ts, NULL);
}

const struct cg_backend *cg_backend_of(const struct rt_cgroup *cg, int h)
{
	return cg->layout->hiers[h].unified ? &cg_backend_v2 : &cg_backend_v1;
}

/* The first field set in the group a controller serves, NULL when none is. */
static const char *group_field(const struct rt_resources *r, enum cg_ctrl c)
{
#define F(cond, name)                                                                              \
	if (cond)                                                                                  \
		return "linux.resources." name;
	switch (c) {
	case CG_MEMORY:
		F(r->has_memory_limit, "memory.limit");
		F(r->has_memory_reservation, "memory.reservation");
		F(r->has_memory_swap, "memory.swap");
		F(r->has_memory_swappiness, "memory.swappiness");
		F(r->has_kernel_memory, "memory.kernel");
		F(r->has_kernel_tcp, "memory.kernelTCP");
		F(r->disable_oom_killer, "memory.disableOOMKiller");
		F(r->use_hierarchy, "memory.useHierarchy");
		break;
	case CG_CPU:
		F(r->has_cpu_shares, "cpu.shares");
		F(r->has_cpu_quota, "cpu.quota");
		F(r->has_cpu_period, "cpu.period");
		F(r->has_cpu_burst, "cpu.burst");
		F(r->has_cpu_rt_runtime, "cpu.realtimeRuntime");
		F(r->has_cpu_rt_period, "cpu.realtimePeriod");
		F(r->has_cpu_idle, "cpu.idle");
		break;
	case CG_CPUSET:
		F(r->cpus, "cpu.cpus");
		F(r->mems, "cpu.mems");
		break;
	case CG_PIDS:
		F(r->has_pids_limit, "pids.limit");
		break;
	case CG_BLKIO:
		F(r->has_blkio_weight, "blockIO.weight");
		F(r->has_blkio_leaf_weight, "blockIO.leafWeight");
		F(r->n_weight_devices, "blockIO.weightDevice");
		F(r->n_throttle_read_bps, "blockIO.throttleReadBpsDevice");
		F(r->n_throttle_write_bps, "blockIO.throttleWriteBpsDevice");
		F(r->n_throttle_read_iops, "blockIO.throttleReadIOPSDevice");
		F(r->n_throttle_write_iops, "blockIO.throttleWriteIOPSDevice");
		break;
	case CG_HUGETLB:
		F(r->n_hugepage_limits, "hugepageLimits");
		break;
	case CG_NET_CLS:
		F(r->has_net_class_id, "network.classID");
		break;
	case CG_NET_PRIO:
		F(r->n_net_priorities, "network.priorities");
		break;
	case CG_DEVICES:
		F(r->n_device_rules, "devices");
		break;
	case CG_CPUACCT:
	case CG_FREEZER:
	case CG_PERF_EVENT:
	case CG_RDMA:
	case CG_MISC:
	case CG_CTRL_MAX:
		break;
	}
#undef F
	return NULL;
}

static int apply_group(const struct rt_cgroup *cg, enum cg_ctrl c, const struct rt_resources *res,
		       bool fresh, struct berth_error **err)
{
	const char *field = group_field(res, c);
	int h = cg->layout->ctrl_hier[c];

	if (!field)
		return 0;
	if (h < 0)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID, "%s: the %s controller is not %s on this host",
			field,
			c == CG_BLKIO && cg->layout->mode == CGROUP_MODE_V2 ? "io"
									    : cg_ctrl_name(c),
			cg->layout->mode == CGROUP_MODE_V2 ? "available" : "mounted");
	const struct cg_backend *b = cg_backend_of(cg, h);
	switch (c) {
	case CG_MEMORY:
		return b->memory(cg, h, res, err);
	case CG_CPU:
		return b->cpu(cg, h, res, err);
	case CG_CPUSET:
		return b->cpuset(cg, h, res, err);
	case CG_PIDS:
		return b->pids(cg, h, res, err);
	case CG_BLKIO:
		return b->blkio(cg, h, res, err);
	case CG_HUGETLB:
		return b->hugetlb(cg, h, res, err);
	case CG_DEVICES:
		return b->devices(cg, h, res, fresh, err);
	case CG_NET_CLS:
	case CG_NET_PRIO:
		return cg_v1_net(cg, h, c == CG_NET_PRIO, res, err);
	case CG_CPUACCT:
	case CG_FREEZER:
	case CG_PERF_EVENT:
	case CG_RDMA:
	case CG_MISC:
	case CG_CTRL_MAX:
		break;
	}
	return 0;
}

int cg_apply(const struct rt_cgroup *cg, const struct rt_resources *res, bool fresh,
	     struct berth_error **err)
{
	static const enum cg_ctrl order[] = { CG_CPUSET,  CG_MEMORY,   CG_CPU,
					      CG_PIDS,	  CG_BLKIO,    CG_HUGETLB,
					      CG_NET_CLS, CG_NET_PRIO, CG_DEVICES };
	int r;

	if (!res)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if ((r = apply_group(cg, order[i], res, fresh, err)) < 0)
			return r;
	if (res->n_unified == 0)
		return 0;
	if (cg->layout->unified < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "linux.resources.unified: requires cgroup v2");
	return cg_v2_unified(cg, cg->layout->unified, res, err);
}

uint32_t cg_unified_wanted(const struct rt_cgroup *cg, const struct rt_resources *res)
{
	const struct cg_layout *l = cg->layout;
	uint32_t want = 0;

	if (l->mode == CGROUP_MODE_V2)
		return l->unified_ctrls; /* delegate everything, as runc and crun do */
	for (int c = 0; res && c < CG_CTRL_MAX; c++)
		if (l->ctrl_hier[c] == l->unified && group_field(res, (enum cg_ctrl)c))
			want |= 1u << c;
	for (size_t i = 0; res && i < res->n_unified; i++) {
		_cleanup_free_ char *name =
			xstrndup(res->unified[i].key, strcspn(res->unified[i].key, "."));
		int c = ctrl_from_name(name, true);
		if (c >= 0)
			want |= 1u << c;
	}
	return want & l->unified_ctrls;
}

int cgroup_apply(const struct rt_cgroup *cg, const struct rt_resources *res,
		 struct berth_error **err)
{
	return cg_apply(cg, res, false, err);
}
