/* cgroup v2 backend: OCI resources to the unified hierarchy's files
 * (memory.max, cpu.weight, io.max, ...), controller delegation through
 * cgroup.subtree_control, cgroup.freeze, and linux.resources.unified. */
#define LOG_CATEGORY "cgroup"
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "cgroup-backend-internal.h"

#define FIELD(x)	  "linux.resources." x
#define FREEZE_POLL_STEPS 2000 /* of 1 ms */

static void fmt_max(char *buf, size_t size, int64_t v)
{
	if (v < 0)
		(void)snprintf(buf, size, "max");
	else
		(void)snprintf(buf, size, "%" PRId64, v);
}

/* v2 limits swap alone: memory.swap.max = swap - limit (runc's conversion). */
static int swap_value(const struct rt_resources *res, char *buf, size_t size,
		      struct berth_error **err)
{
	if (!res->has_memory_swap) {
		/* Unlimited memory means unlimited swap too, as v1 behaves. */
		if (res->has_memory_limit && res->memory_limit == -1) {
			fmt_max(buf, size, -1);
			return 1;
		}
		return 0;
	}
	if (res->memory_swap == -1) {
		fmt_max(buf, size, -1);
		return 1;
	}
	if (!res->has_memory_limit || res->memory_limit < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       FIELD("memory.swap") ": a swap limit needs a memory limit");
	if (res->memory_swap < res->memory_limit)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			FIELD("memory.swap") " (%" PRId64 ") must not be below " FIELD(
				"memory.limit") " (%" PRId64 ")",
			res->memory_swap, res->memory_limit);
	fmt_max(buf, size, res->memory_swap - res->memory_limit);
	return 1;
}

static void warn_unsupported(bool set, const char *field)
{
	if (set)
		log_warn("%s: not supported by cgroup v2, ignoring", field);
}

static int v2_memory(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		     struct berth_error **err)
{
	char buf[24];
	int r;

	if ((r = swap_value(res, buf, sizeof(buf), err)) < 0)
		return r;
	if (r > 0) {
		r = cg_write_raw(cg, h, "memory.swap.max", buf);
		/* No swap accounting: only "no swap limit" can be honoured. */
		if (r == -ENOENT && (strcmp(buf, "max") == 0 || strcmp(buf, "0") == 0))
			r = 0;
		if (r < 0)
			return cg_write_error(cg, h, FIELD("memory.swap"), "memory.swap.max", buf,
					      r, err);
	}
	fmt_max(buf, sizeof(buf), res->memory_limit);
	if (res->has_memory_limit &&
	    (r = cg_write(cg, h, FIELD("memory.limit"), "memory.max", buf, err)) < 0)
		return r;
	fmt_max(buf, sizeof(buf), res->memory_reservation);
	if (res->has_memory_reservation &&
	    (r = cg_write(cg, h, FIELD("memory.reservation"), "memory.low", buf, err)) < 0)
		return r;
	warn_unsupported(res->has_memory_swappiness, FIELD("memory.swappiness"));
	warn_unsupported(res->has_kernel_memory, FIELD("memory.kernel"));
	warn_unsupported(res->has_kernel_tcp, FIELD("memory.kernelTCP"));
	warn_unsupported(res->disable_oom_killer, FIELD("memory.disableOOMKiller"));
	return 0;
}

/* cpu.shares [2, 262144] to cpu.weight [1, 10000]. */
static uint64_t shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static int v2_cpu(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		  struct berth_error **err)
{
	char buf[48];
	int r;

	if ((res->has_cpu_rt_runtime && res->cpu_rt_runtime != 0) ||
	    (res->has_cpu_rt_period && res->cpu_rt_period != 0))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s: real-time CPU limits are not supported by cgroup v2",
				       res->has_cpu_rt_runtime ? FIELD("cpu.realtimeRuntime")
							       : FIELD("cpu.realtimePeriod"));
	(void)snprintf(buf, sizeof(buf), "%" PRIu64, shares_to_weight(res->cpu_shares));
	if (res->has_cpu_shares &&
	    (r = cg_write(cg, h, FIELD("cpu.shares"), "cpu.weight", buf, err)) < 0)
		return r;
	if (res->has_cpu_quota || res->has_cpu_period) {
		int n = 0;
		if (res->has_cpu_quota && res->cpu_quota > 0)
			n = snprintf(buf, sizeof(buf), "%" PRId64, res->cpu_quota);
		else
			n = snprintf(buf, sizeof(buf), "max");
		if (res->has_cpu_period)
			(void)snprintf(buf + n, sizeof(buf) - (size_t)n, " %" PRIu64,
				       res->cpu_period);
		if ((r = cg_write(cg, h, FIELD("cpu.quota"), "cpu.max", buf, err)) < 0)
			return r;
	}
	(void)snprintf(buf, sizeof(buf), "%" PRIu64, res->cpu_burst);
	if (res->has_cpu_burst &&
	    (r = cg_write(cg, h, FIELD("cpu.burst"), "cpu.max.burst", buf, err)) < 0)
		return r;
	(void)snprintf(buf, sizeof(buf), "%" PRId64, res->cpu_idle);
	if (res->has_cpu_idle && (r = cg_write(cg, h, FIELD("cpu.idle"), "cpu.idle", buf, err)) < 0)
		return r;
	return 0;
}

/* blkio weight [10, 1000] to io.weight [1, 10000]. */
static unsigned blkio_to_io_weight(unsigned w)
{
	if (w < 10)
		w = 10;
	if (w > 1000)
		w = 1000;
	return 1 + (w - 10) * 9999 / 990;
}

/* io.weight, or io.bfq.weight (the blkio scale) where only BFQ offers weights. */
static int write_io_weight(const struct rt_cgroup *cg, int h, const char *field, const char *device,
			   unsigned weight, struct berth_error **err)
{
	char buf[64];
	int r;

	(void)snprintf(buf, sizeof(buf), "%s%s%u", device ? device : "", device ? " " : "",
		       blkio_to_io_weight(weight));
	r = cg_write_raw(cg, h, "io.weight", buf);
	if (r != -ENOENT)
		return r < 0 ? cg_write_error(cg, h, field, "io.weight", buf, r, err) : 0;
	(void)snprintf(buf, sizeof(buf), "%s%s%u", device ? device : "", device ? " " : "", weight);
	return cg_write(cg, h, field, "io.bfq.weight", buf, err);
}

static void push_io_max(char ***v, const struct rt_throttle *t, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		strv_push_take(v, xasprintf("%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major,
					    t[i].minor, key, t[i].rate));
}

static int v2_io(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		 struct berth_error **err)
{
	_cleanup_strv_ char **lines = NULL;
	char dev[48];
	int r;

	if (res->has_blkio_weight &&
	    (r = write_io_weight(cg, h, FIELD("blockIO.weight"), NULL, res->blkio_weight, err)) < 0)
		return r;
	warn_unsupported(res->has_blkio_leaf_weight, FIELD("blockIO.leafWeight"));
	for (size_t i = 0; i < res->n_weight_devices; i++) {
		const struct rt_weight_device *w = &res->weight_devices[i];
		(void)snprintf(dev, sizeof(dev), "%" PRId64 ":%" PRId64, w->major, w->minor);
		if (w->has_weight && (r = write_io_weight(cg, h, FIELD("blockIO.weightDevice"), dev,
							  w->weight, err)) < 0)
			return r;
		warn_unsupported(w->has_leaf_weight, FIELD("blockIO.weightDevice.leafWeight"));
	}
	push_io_max(&lines, res->throttle_read_bps, res->n_throttle_read_bps, "rbps");
	push_io_max(&lines, res->throttle_write_bps, res->n_throttle_write_bps, "wbps");
	push_io_max(&lines, res->throttle_read_iops, res->n_throttle_read_iops, "riops");
	push_io_max(&lines, res->throttle_write_iops, res->n_throttle_write_iops, "wiops");
	if (lines && (r = cg_write_lines(cg, h, FIELD("blockIO"), "io.max", lines, err)) < 0)
		return r;
	return 0;
}

static int v2_hugetlb(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		      struct berth_error **err)
{
	return cg_hugetlb_write(cg, h, res, "max", err);
}

static int v2_devices(const struct rt_cgroup *cg, int h, const struct rt_resources *res, bool fresh,
		      struct berth_error **err)
{
	_cleanup_free_ char *dir = cg_dir_path(cg, h);
	int fd = cg_dir_fd(cg, h, err);

	if (fd < 0)
		return fd;
	return cg_v2_devices_apply(fd, dir, res->device_rules, res->n_device_rules, fresh, err);
}

int cg_v2_unified(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		  struct berth_error **err)
{
	int r;

	for (size_t i = 0; i < res->n_unified; i++) {
		const struct rt_kv *kv = &res->unified[i];
		if (strchr(kv->key, '/') || kv->key[0] == '.' || !kv->key[0])
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       FIELD("unified") ".%s: not a cgroup v2 file name",
					       kv->key);
		r = cg_write_raw(cg, h, kv->key, kv->value);
		if (r == -ENOENT) {
			_cleanup_free_ char *dir = cg_dir_path(cg, h);
			return berth_error_set(err, ENOENT, BERTH_ERR_INVALID,
					       FIELD("unified") ".%s: no such file in '%s' (is its "
								"controller enabled?)",
					       kv->key, dir);
		}
		if (r < 0)
			return cg_write_error(cg, h, NULL, kv->key, kv->value, r, err);
	}
	return 0;
}

/* The v2 names of the controllers delegated to a container. */
static const struct {
	enum cg_ctrl ctrl;
	const char *name;
} delegated[] = {
	{ CG_CPU, "cpu" },   { CG_CPUSET, "cpuset" }, { CG_MEMORY, "memory" },
	{ CG_BLKIO, "io" },  { CG_PIDS, "pids" },     { CG_HUGETLB, "hugetlb" },
	{ CG_RDMA, "rdma" }, { CG_MISC, "misc" },
};

/* Enable on one level what ok allows; returns what got enabled there. */
static uint32_t enable_at(const char *dir, uint32_t ok)
{
	char buf[128] = "";
	size_t len = 0;
	uint32_t done = 0;

	for (size_t i = 0; i < ARRAY_SIZE(delegated); i++)
		if (ok & (1u << delegated[i].ctrl))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s+%s",
						len ? " " : "", delegated[i].name);
	if (len == 0)
		return 0;
	_cleanup_free_ char *file = xasprintf("%s/cgroup.subtree_control", dir);
	if (file_write_str_at(AT_FDCWD, file, buf) == 0)
		return ok;
	/* One at a time: a level with processes refuses the domain controllers. */
	for (size_t i = 0; i < ARRAY_SIZE(delegated); i++) {
		if (!(ok & (1u << delegated[i].ctrl)))
			continue;
		(void)snprintf(buf, sizeof(buf), "+%s", delegated[i].name);
		if (file_write_str_at(AT_FDCWD, file, buf) == 0)
			done |= 1u << delegated[i].ctrl;
		else
			log_debug("Cannot enable '%s' in '%s'", delegated[i].name, file);
	}
	return done;
}

void cg_v2_enable_controllers(const char *mount_point, const char *path, uint32_t ctrls)
{
	_cleanup_free_ char *full = xasprintf("%s%s", mount_point, path);
	size_t end = strlen(mount_point);

	/* Every ancestor from the root down; the leaf itself keeps processes. */
	for (size_t i = end + 1; full[i] && ctrls; i++) {
		if (full[i] != '/')
			continue;
		_cleanup_free_ char *dir = xstrndup(full, end);
		ctrls = enable_at(dir, ctrls);
		end = i;
	}
	if (ctrls) {
		_cleanup_free_ char *dir = xstrndup(full, end);
		(void)enable_at(dir, ctrls);
	}
}

static int v2_is_frozen(const struct rt_cgroup *cg, int h, bool *ret, struct berth_error **err)
{
	_cleanup_free_ char *state = NULL;
	int r;

	if ((r = cg_read(cg, h, "cgroup.freeze", &state, err)) < 0)
		return r;
	*ret = state[0] == '1';
	return 0;
}

static int v2_freeze(const struct rt_cgroup *cg, int h, bool frozen, struct berth_error **err)
{
	const char *want = frozen ? "\nfrozen 1" : "\nfrozen 0";
	int r;

	if ((r = cg_write(cg, h, NULL, "cgroup.freeze", frozen ? "1" : "0", err)) < 0)
		return r;
	for (unsigned i = 0; i < FREEZE_POLL_STEPS; i++) {
		_cleanup_free_ char *events = NULL;
		_cleanup_free_ char *text = NULL;
		if ((r = cg_read(cg, h, "cgroup.events", &text, err)) < 0)
			return r;
		events = xasprintf("\n%s", text);
		if (strstr(events, want))
			return 0;
		cg_sleep_usec(1000);
	}
	if (frozen)
		(void)cg_write_raw(cg, h, "cgroup.freeze", "0");
	_cleanup_free_ char *dir = cg_dir_path(cg, h);
	return berth_error_set(err, ETIMEDOUT, BERTH_ERR_INTERNAL, "%s '%s'",
			       frozen ? "freeze" : "thaw", dir);
}

const struct cg_backend cg_backend_v2 = {
	.memory = v2_memory,
	.cpu = v2_cpu,
	.cpuset = cg_cpuset_write,
	.pids = cg_pids_write,
	.blkio = v2_io,
	.hugetlb = v2_hugetlb,
	.devices = v2_devices,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
};
