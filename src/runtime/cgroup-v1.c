/* cgroup v1 backend: OCI resources to the legacy controllers' files, the
 * device list (devices.allow / devices.deny) and freezer.state. Only fields
 * that are set are written. */
#define LOG_CATEGORY "cgroup"
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-backend-internal.h"

#define MEM_LIMIT	  "memory.limit_in_bytes"
#define MEM_SWAP	  "memory.memsw.limit_in_bytes"
#define FIELD(x)	  "linux.resources." x
#define FREEZE_POLL_STEPS 2000 /* of 1 ms */

static int write_i64(const struct rt_cgroup *cg, int h, const char *field, const char *file,
		     int64_t v, struct berth_error **err)
{
	char buf[24];

	(void)snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write(cg, h, field, file, buf, err);
}

static int write_u64(const struct rt_cgroup *cg, int h, const char *field, const char *file,
		     uint64_t v, struct berth_error **err)
{
	char buf[24];

	(void)snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write(cg, h, field, file, buf, err);
}

/* memsw without swap accounting: fine only when no swap limit is asked for. */
static int write_swap(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		      struct berth_error **err)
{
	char buf[24];
	int r;

	(void)snprintf(buf, sizeof(buf), "%" PRId64, res->memory_swap);
	r = cg_write_raw(cg, h, MEM_SWAP, buf);
	if (r == -ENOENT) {
		if (res->memory_swap == -1 ||
		    (res->has_memory_limit && res->memory_swap == res->memory_limit))
			return 0;
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       FIELD("memory.swap") ": swap accounting is not enabled on "
							    "this host (no '%s')",
				       MEM_SWAP);
	}
	return r < 0 ? cg_write_error(cg, h, FIELD("memory.swap"), MEM_SWAP, buf, r, err) : 0;
}

/* memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every step: lowering
 * sets the limit first, raising the memsw limit first. */
static int limit_and_swap(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
			  struct berth_error **err)
{
	bool swap_done = false;
	char buf[24];
	int r;

	if (res->has_memory_limit) {
		(void)snprintf(buf, sizeof(buf), "%" PRId64, res->memory_limit);
		r = cg_write_raw(cg, h, MEM_LIMIT, buf);
		if ((r == -EINVAL || r == -EBUSY) && res->has_memory_swap) {
			if ((r = write_swap(cg, h, res, err)) < 0)
				return r;
			swap_done = true;
			r = cg_write_raw(cg, h, MEM_LIMIT, buf);
		}
		if (r < 0)
			return cg_write_error(cg, h, FIELD("memory.limit"), MEM_LIMIT, buf, r, err);
	}
	if (res->has_memory_swap && !swap_done)
		return write_swap(cg, h, res, err);
	return 0;
}

/* kernel and kernelTCP are deprecated by the spec; newer kernels drop them. */
static int write_kmem(const struct rt_cgroup *cg, int h, const char *field, const char *file,
		      int64_t v, struct berth_error **err)
{
	char buf[24];
	int r;

	(void)snprintf(buf, sizeof(buf), "%" PRId64, v);
	r = cg_write_raw(cg, h, file, buf);
	if (r == -ENOENT || r == -EOPNOTSUPP) {
		log_warn("%s: '%s' is not supported by this kernel, ignoring", field, file);
		return 0;
	}
	return r < 0 ? cg_write_error(cg, h, field, file, buf, r, err) : 0;
}

static int v1_memory(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		     struct berth_error **err)
{
	int r;

	if ((r = limit_and_swap(cg, h, res, err)) < 0)
		return r;
	if (res->has_memory_reservation &&
	    (r = write_i64(cg, h, FIELD("memory.reservation"), "memory.soft_limit_in_bytes",
			   res->memory_reservation, err)) < 0)
		return r;
	if (res->has_memory_swappiness &&
	    (r = write_u64(cg, h, FIELD("memory.swappiness"), "memory.swappiness",
			   res->memory_swappiness, err)) < 0)
		return r;
	if (res->has_kernel_memory &&
	    (r = write_kmem(cg, h, FIELD("memory.kernel"), "memory.kmem.limit_in_bytes",
			    res->kernel_memory, err)) < 0)
		return r;
	if (res->has_kernel_tcp &&
	    (r = write_kmem(cg, h, FIELD("memory.kernelTCP"), "memory.kmem.tcp.limit_in_bytes",
			    res->kernel_tcp, err)) < 0)
		return r;
	if (res->disable_oom_killer && (r = cg_write(cg, h, FIELD("memory.disableOOMKiller"),
						     "memory.oom_control", "1", err)) < 0)
		return r;
	if (res->use_hierarchy && (r = cg_write(cg, h, FIELD("memory.useHierarchy"),
						"memory.use_hierarchy", "1", err)) < 0)
		return r;
	return 0;
}

/* Write a then b; when a is refused with EINVAL and b is set too, b first. */
static int write_pair(const struct rt_cgroup *cg, int h, const char *field_a, const char *file_a,
		      const char *a, const char *field_b, const char *file_b, const char *b,
		      struct berth_error **err)
{
	int r = a ? cg_write_raw(cg, h, file_a, a) : 0;

	if (r == -EINVAL && b) {
		if ((r = cg_write(cg, h, field_b, file_b, b, err)) < 0)
			return r;
		b = NULL;
		r = cg_write_raw(cg, h, file_a, a);
	}
	if (r < 0)
		return cg_write_error(cg, h, field_a, file_a, a, r, err);
	return b ? cg_write(cg, h, field_b, file_b, b, err) : 0;
}

static int v1_cpu(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		  struct berth_error **err)
{
	char period[24], quota[24], rt_period[24], rt_runtime[24];
	int r;

	(void)snprintf(period, sizeof(period), "%" PRIu64, res->cpu_period);
	(void)snprintf(quota, sizeof(quota), "%" PRId64, res->cpu_quota);
	(void)snprintf(rt_period, sizeof(rt_period), "%" PRIu64, res->cpu_rt_period);
	(void)snprintf(rt_runtime, sizeof(rt_runtime), "%" PRId64, res->cpu_rt_runtime);
	if (res->has_cpu_shares &&
	    (r = write_u64(cg, h, FIELD("cpu.shares"), "cpu.shares", res->cpu_shares, err)) < 0)
		return r;
	if ((res->has_cpu_period || res->has_cpu_quota) &&
	    (r = write_pair(cg, h, FIELD("cpu.period"), "cpu.cfs_period_us",
			    res->has_cpu_period ? period : NULL, FIELD("cpu.quota"),
			    "cpu.cfs_quota_us", res->has_cpu_quota ? quota : NULL, err)) < 0)
		return r;
	if (res->has_cpu_burst &&
	    (r = write_u64(cg, h, FIELD("cpu.burst"), "cpu.cfs_burst_us", res->cpu_burst, err)) < 0)
		return r;
	if ((res->has_cpu_rt_period || res->has_cpu_rt_runtime) &&
	    (r = write_pair(cg, h, FIELD("cpu.realtimePeriod"), "cpu.rt_period_us",
			    res->has_cpu_rt_period ? rt_period : NULL, FIELD("cpu.realtimeRuntime"),
			    "cpu.rt_runtime_us", res->has_cpu_rt_runtime ? rt_runtime : NULL,
			    err)) < 0)
		return r;
	if (res->has_cpu_idle &&
	    (r = write_i64(cg, h, FIELD("cpu.idle"), "cpu.idle", res->cpu_idle, err)) < 0)
		return r;
	return 0;
}

int cg_cpuset_write(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		    struct berth_error **err)
{
	int r;

	if (res->cpus &&
	    (r = cg_write(cg, h, FIELD("cpu.cpus"), "cpuset.cpus", res->cpus, err)) < 0)
		return r;
	if (res->mems &&
	    (r = cg_write(cg, h, FIELD("cpu.mems"), "cpuset.mems", res->mems, err)) < 0)
		return r;
	return 0;
}

int cg_pids_write(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		  struct berth_error **err)
{
	if (res->pids_limit <= 0)
		return cg_write(cg, h, FIELD("pids.limit"), "pids.max", "max", err);
	return write_i64(cg, h, FIELD("pids.limit"), "pids.max", res->pids_limit, err);
}

/* blkio.weight, or blkio.bfq.weight where only BFQ offers weights. */
static int write_weight(const struct rt_cgroup *cg, int h, const char *field, const char *file,
			const char *bfq_file, const char *value, struct berth_error **err)
{
	int r = cg_write_raw(cg, h, file, value);

	if (r == -ENOENT && bfq_file)
		return cg_write(cg, h, field, bfq_file, value, err);
	return r < 0 ? cg_write_error(cg, h, field, file, value, r, err) : 0;
}

int cg_write_lines(const struct rt_cgroup *cg, int h, const char *field, const char *file,
		   char **lines, struct berth_error **err)
{
	int dfd = cg_dir_fd(cg, h, err);

	if (dfd < 0)
		return dfd;
	_cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);
	for (size_t i = 0; lines && lines[i]; i++) {
		if (fd < 0 || write(fd, lines[i], strlen(lines[i])) < 0)
			return cg_write_error(cg, h, field, file, lines[i], -errno, err);
	}
	return 0;
}

static char **throttle_lines(const struct rt_throttle *t, size_t n)
{
	char **v = NULL;

	for (size_t i = 0; i < n; i++)
		strv_push_take(&v, xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major,
					     t[i].minor, t[i].rate));
	return v;
}

static int v1_throttle(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		       struct berth_error **err)
{
	const struct {
		const char *field, *file;
		const struct rt_throttle *t;
		size_t n;
	} th[] = {
		{ FIELD("blockIO.throttleReadBpsDevice"), "blkio.throttle.read_bps_device",
		  res->throttle_read_bps, res->n_throttle_read_bps },
		{ FIELD("blockIO.throttleWriteBpsDevice"), "blkio.throttle.write_bps_device",
		  res->throttle_write_bps, res->n_throttle_write_bps },
		{ FIELD("blockIO.throttleReadIOPSDevice"), "blkio.throttle.read_iops_device",
		  res->throttle_read_iops, res->n_throttle_read_iops },
		{ FIELD("blockIO.throttleWriteIOPSDevice"), "blkio.throttle.write_iops_device",
		  res->throttle_write_iops, res->n_throttle_write_iops },
	};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(th); i++) {
		_cleanup_strv_ char **lines = throttle_lines(th[i].t, th[i].n);
		if (lines && (r = cg_write_lines(cg, h, th[i].field, th[i].file, lines, err)) < 0)
			return r;
	}
	return 0;
}

static int v1_blkio(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		    struct berth_error **err)
{
	char buf[64];
	int r;

	(void)snprintf(buf, sizeof(buf), "%u", (unsigned)res->blkio_weight);
	if (res->has_blkio_weight &&
	    (r = write_weight(cg, h, FIELD("blockIO.weight"), "blkio.weight", "blkio.bfq.weight",
			      buf, err)) < 0)
		return r;
	(void)snprintf(buf, sizeof(buf), "%u", (unsigned)res->blkio_leaf_weight);
	if (res->has_blkio_leaf_weight &&
	    (r = cg_write(cg, h, FIELD("blockIO.leafWeight"), "blkio.leaf_weight", buf, err)) < 0)
		return r;
	for (size_t i = 0; i < res->n_weight_devices; i++) {
		const struct rt_weight_device *w = &res->weight_devices[i];
		(void)snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
			       (unsigned)w->weight);
		if (w->has_weight &&
		    (r = write_weight(cg, h, FIELD("blockIO.weightDevice"), "blkio.weight_device",
				      "blkio.bfq.weight_device", buf, err)) < 0)
			return r;
		(void)snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
			       (unsigned)w->leaf_weight);
		if (w->has_leaf_weight && (r = cg_write(cg, h, FIELD("blockIO.weightDevice"),
							"blkio.leaf_weight_device", buf, err)) < 0)
			return r;
	}
	return v1_throttle(cg, h, res, err);
}

int cg_hugetlb_write(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		     const char *suffix, struct berth_error **err)
{
	char value[24];
	int r;

	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		const struct rt_hugepage_limit *hp = &res->hugepage_limits[i];
		_cleanup_free_ char *file = xasprintf("hugetlb.%s.%s", hp->page_size, suffix);
		(void)snprintf(value, sizeof(value), "%" PRIu64, hp->limit);
		if ((r = cg_write(cg, h, FIELD("hugepageLimits"), file, value, err)) < 0)
			return r;
	}
	return 0;
}

static int v1_hugetlb(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		      struct berth_error **err)
{
	return cg_hugetlb_write(cg, h, res, "limit_in_bytes", err);
}

static void device_number(char *buf, size_t size, int64_t n)
{
	if (n < 0)
		(void)snprintf(buf, size, "*");
	else
		(void)snprintf(buf, size, "%" PRId64, n);
}

/* In order, each to devices.allow or devices.deny: "a" resets the list. */
static int v1_devices(const struct rt_cgroup *cg, int h, const struct rt_resources *res, bool fresh,
		      struct berth_error **err)
{
	char maj[24], min[24];
	int r;

	for (size_t i = 0; i < res->n_device_rules; i++) {
		const struct rt_device_rule *d = &res->device_rules[i];
		_cleanup_strv_ char **lines = NULL;
		device_number(maj, sizeof(maj), d->major);
		device_number(min, sizeof(min), d->minor);
		if (d->type == 'a' && d->major < 0 && d->minor < 0) {
			strv_push(&lines, "a");
		} else if (d->type == 'a') {
			/* The kernel reads any "a ..." as "a": spell out both types. */
			strv_push_take(&lines, xasprintf("c %s:%s %s", maj, min, d->access));
			strv_push_take(&lines, xasprintf("b %s:%s %s", maj, min, d->access));
		} else {
			strv_push_take(&lines,
				       xasprintf("%c %s:%s %s", d->type, maj, min, d->access));
		}
		const char *file = d->allow ? "devices.allow" : "devices.deny";
		if ((r = cg_write_lines(cg, h, FIELD("devices"), file, lines, err)) < 0)
			return r;
	}
	return 0;
}

static int v1_is_frozen(const struct rt_cgroup *cg, int h, bool *ret, struct berth_error **err)
{
	_cleanup_free_ char *state = NULL;
	int r;

	if ((r = cg_read(cg, h, "freezer.state", &state, err)) < 0)
		return r;
	*ret = str_has_prefix(state, "FROZEN");
	return 0;
}

static int v1_freeze(const struct rt_cgroup *cg, int h, bool frozen, struct berth_error **err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	int r;

	if ((r = cg_write(cg, h, NULL, "freezer.state", want, err)) < 0)
		return r;
	for (unsigned i = 0; i < FREEZE_POLL_STEPS; i++) {
		_cleanup_free_ char *state = NULL;
		if ((r = cg_read(cg, h, "freezer.state", &state, err)) < 0)
			return r;
		if (str_has_prefix(state, want))
			return 0;
		/* A task may be stuck in FREEZING: asking again kicks the freezer. */
		if (frozen && i % 10 == 9)
			(void)cg_write_raw(cg, h, "freezer.state", want);
		cg_sleep_usec(1000);
	}
	if (frozen)
		(void)cg_write_raw(cg, h, "freezer.state", "THAWED");
	_cleanup_free_ char *dir = cg_dir_path(cg, h);
	return berth_error_set(err, ETIMEDOUT, BERTH_ERR_INTERNAL, "%s '%s'",
			       frozen ? "freeze" : "thaw", dir);
}

int cg_v1_net(const struct rt_cgroup *cg, int h, bool prio, const struct rt_resources *res,
	      struct berth_error **err)
{
	_cleanup_strv_ char **lines = NULL;
	char buf[16];

	if (!prio) {
		(void)snprintf(buf, sizeof(buf), "%" PRIu32, res->net_class_id);
		return cg_write(cg, h, FIELD("network.classID"), "net_cls.classid", buf, err);
	}
	for (size_t i = 0; i < res->n_net_priorities; i++)
		strv_push_take(&lines, xasprintf("%s %s", res->net_priorities[i].key,
						 res->net_priorities[i].value));
	return cg_write_lines(cg, h, FIELD("network.priorities"), "net_prio.ifpriomap", lines, err);
}

static int copy_cpuset(const char *parent, const char *child, struct berth_error **err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	_cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int cfd = open(child, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (pfd < 0 || cfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open cgroup '%s'",
				       pfd < 0 ? parent : child);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *v = NULL;
		if ((r = file_read_all_at(pfd, files[i], 1 << 16, &v, NULL)) < 0)
			return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read '%s' in '%s'",
					       files[i], parent);
		v[strcspn(v, "\n")] = '\0';
		if (*v && (r = file_write_str_at(cfd, files[i], v)) < 0)
			return berth_error_set(err, -r, BERTH_ERR_INTERNAL,
					       "write '%s' = '%s' in '%s'", files[i], v, child);
	}
	return 0;
}

int cg_v1_cpuset_init(const char *mount_point, const char *path, size_t first_new,
		      struct berth_error **err)
{
	_cleanup_free_ char *full = xasprintf("%s%s", mount_point, path);
	size_t parent_len = strlen(mount_point), level = 0;
	int r;

	for (size_t i = parent_len + 1;; i++) {
		if (full[i] && full[i] != '/')
			continue;
		if (level >= first_new) {
			_cleanup_free_ char *parent = xstrndup(full, parent_len);
			_cleanup_free_ char *child = xstrndup(full, i);
			if ((r = copy_cpuset(parent, child, err)) < 0)
				return r;
		}
		parent_len = i;
		level++;
		if (!full[i])
			break;
	}
	return 0;
}

const struct cg_backend cg_backend_v1 = {
	.memory = v1_memory,
	.cpu = v1_cpu,
	.cpuset = cg_cpuset_write,
	.pids = cg_pids_write,
	.blkio = v1_blkio,
	.hugetlb = v1_hugetlb,
	.devices = v1_devices,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
};
