/* POST /containers/{id}/update: new resource limits and restart policy.
 * They are checked as dockerd checks them, written to the live cgroup of a
 * running container (v1 controller files or the unified ones), then kept in
 * HostConfig so that the next start applies them again. A write the kernel
 * refuses (a memory limit below the current usage) changes nothing kept. */
#define LOG_CATEGORY "update"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "container-stats.h"
#include "fs.h"
#include "stats.h"

#define MIN_MEMORY (6 * 1024 * 1024)

static int64_t jint(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v ? json_object_get_int64(v) : 0;
}

static const char *jstrv0(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static int write_file(const char *dir, const char *file, const char *value,
		      struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID,
				       "failed to write %s to %s: %s", value, file,
				       strerror(errno));
	return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, struct berth_error **err)
{
	char buf[32];
	(void)snprintf(buf, sizeof(buf), "%" PRId64, v);
	return write_file(dir, file, buf, err);
}

static bool has_file(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* The cpu quota and period to write: from NanoCpus or CpuQuota/CpuPeriod. */
static void cpu_quota(json_object *hc, int64_t *quota, int64_t *period)
{
	*period = jint(hc, "CpuPeriod") ? jint(hc, "CpuPeriod") : 100000;
	*quota = jint(hc, "CpuQuota") ? jint(hc, "CpuQuota") : -1;
	if (jint(hc, "NanoCpus")) {
		*period = 100000;
		*quota = jint(hc, "NanoCpus") * 100000 / 1000000000;
	}
}

static int apply_v1(struct daemon *d, struct container *c, json_object *u, json_object *hc,
		    struct berth_error **err)
{
	_cleanup_free_ char *mem = container_cgroup_dir(d, c, "memory"),
			    *cpu = container_cgroup_dir(d, c, "cpu"),
			    *cpuset = container_cgroup_dir(d, c, "cpuset"),
			    *pids = container_cgroup_dir(d, c, "pids"),
			    *blkio = container_cgroup_dir(d, c, "blkio");
	int64_t m = jint(u, "Memory"), sw = jint(u, "MemorySwap");
	bool memsw = has_file(mem, "memory.memsw.limit_in_bytes");

	if (sw && memsw && write_i64(mem, "memory.memsw.limit_in_bytes", sw, NULL) == 0)
		sw = 0; /* raised first (it must stay above the memory limit) */
	if (m && write_i64(mem, "memory.limit_in_bytes", m, err) < 0)
		return -EINVAL;
	if (sw && memsw && write_i64(mem, "memory.memsw.limit_in_bytes", sw, err) < 0)
		return -EINVAL;
	if (jint(u, "MemoryReservation") &&
	    write_i64(mem, "memory.soft_limit_in_bytes", jint(u, "MemoryReservation"), err) < 0)
		return -EINVAL;
	if (jint(u, "CpuShares") && write_i64(cpu, "cpu.shares", jint(u, "CpuShares"), err) < 0)
		return -EINVAL;
	if (jint(u, "NanoCpus") || jint(u, "CpuQuota") || jint(u, "CpuPeriod")) {
		int64_t q, p;
		cpu_quota(hc, &q, &p);
		/* the period first, from a quota the kernel takes with any period */
		if (write_i64(cpu, "cpu.cfs_quota_us", -1, err) < 0 ||
		    write_i64(cpu, "cpu.cfs_period_us", p, err) < 0 ||
		    write_i64(cpu, "cpu.cfs_quota_us", q, err) < 0)
			return -EINVAL;
	}
	if (*jstrv0(u, "CpusetCpus") &&
	    write_file(cpuset, "cpuset.cpus", jstrv0(u, "CpusetCpus"), err) < 0)
		return -EINVAL;
	if (*jstrv0(u, "CpusetMems") &&
	    write_file(cpuset, "cpuset.mems", jstrv0(u, "CpusetMems"), err) < 0)
		return -EINVAL;
	if (jget(u, "PidsLimit") && json_object_get_type(jget(u, "PidsLimit")) != json_type_null) {
		int64_t l = jint(u, "PidsLimit");
		if ((l > 0 ? write_i64(pids, "pids.max", l, err)
			   : write_file(pids, "pids.max", "max", err)) < 0)
			return -EINVAL;
	}
	if (jint(u, "BlkioWeight")) {
		const char *f =
			has_file(blkio, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
		if (write_i64(blkio, f, jint(u, "BlkioWeight"), err) < 0)
			return -EINVAL;
	}
	return 0;
}

static int apply_v2(struct daemon *d, struct container *c, json_object *u, json_object *hc,
		    struct berth_error **err)
{
	_cleanup_free_ char *dir = container_cgroup_dir(d, c, "");
	int64_t m = jint(hc, "Memory"), sw = jint(hc, "MemorySwap");
	char buf[64];

	if (jint(u, "Memory") && write_i64(dir, "memory.max", jint(u, "Memory"), err) < 0)
		return -EINVAL;
	if ((jint(u, "Memory") || jint(u, "MemorySwap")) && m > 0 && sw &&
	    has_file(dir, "memory.swap.max")) {
		int r = sw < 0 ? write_file(dir, "memory.swap.max", "max", err)
			       : write_i64(dir, "memory.swap.max", sw > m ? sw - m : 0, err);
		if (r < 0)
			return -EINVAL;
	}
	if (jint(u, "MemoryReservation") &&
	    write_i64(dir, "memory.low", jint(u, "MemoryReservation"), err) < 0)
		return -EINVAL;
	if (jint(u, "CpuShares")) {
		uint64_t s = (uint64_t)jint(u, "CpuShares");
		uint64_t w = s < 2 ? 1 : 1 + ((s - 2) * 9999) / 262142;
		if (write_i64(dir, "cpu.weight", (int64_t)(w > 10000 ? 10000 : w), err) < 0)
			return -EINVAL;
	}
	if (jint(u, "NanoCpus") || jint(u, "CpuQuota") || jint(u, "CpuPeriod")) {
		int64_t q, p;
		cpu_quota(hc, &q, &p);
		if (q > 0)
			(void)snprintf(buf, sizeof(buf), "%" PRId64 " %" PRId64, q, p);
		else
			(void)snprintf(buf, sizeof(buf), "max %" PRId64, p);
		if (write_file(dir, "cpu.max", buf, err) < 0)
			return -EINVAL;
	}
	if (*jstrv0(u, "CpusetCpus") &&
	    write_file(dir, "cpuset.cpus", jstrv0(u, "CpusetCpus"), err) < 0)
		return -EINVAL;
	if (*jstrv0(u, "CpusetMems") &&
	    write_file(dir, "cpuset.mems", jstrv0(u, "CpusetMems"), err) < 0)
		return -EINVAL;
	if (jget(u, "PidsLimit") && json_object_get_type(jget(u, "PidsLimit")) != json_type_null) {
		int64_t l = jint(u, "PidsLimit");
		if ((l > 0 ? write_i64(dir, "pids.max", l, err)
			   : write_file(dir, "pids.max", "max", err)) < 0)
			return -EINVAL;
	}
	if (jint(u, "BlkioWeight")) {
		uint64_t w = 1 + ((uint64_t)jint(u, "BlkioWeight") - 10) * 9999 / 990;
		(void)snprintf(buf, sizeof(buf), "default %" PRIu64, w);
		const char *f = has_file(dir, "io.bfq.weight") ? "io.bfq.weight" : "io.weight";
		if (write_file(dir, f, buf, err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* The set of numbers of a cpuset list ("0-3,6"): false when malformed or
 * above CPUSET_MAX. */
#define CPUSET_MAX 1024
static bool cpuset_parse(const char *s, bool set[CPUSET_MAX])
{
	memset(set, 0, CPUSET_MAX * sizeof(bool));
	while (*s && *s != '\n') {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s || *s == '-' || *s == '+')
			return false;
		s = end;
		if (*s == '-') {
			const char *t = s + 1;
			b = strtoul(t, &end, 10);
			if (end == t || *t == '-' || *t == '+')
				return false;
			s = end;
		}
		if (a > b || b >= CPUSET_MAX)
			return false;
		for (unsigned long i = a; i <= b; i++)
			set[i] = true;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return false;
	}
	return true;
}

/* dockerd's check of CpusetCpus/CpusetMems against what the host has
 * (its root cpuset, else the online cpus or memory nodes). */
static int check_cpuset(const char *want, bool cpus, struct berth_error **err)
{
	static const char *const cpu_files[] = { "/sys/fs/cgroup/cpuset/cpuset.cpus",
						 "/sys/fs/cgroup/cpuset.cpus.effective",
						 "/sys/devices/system/cpu/online" };
	static const char *const mem_files[] = { "/sys/fs/cgroup/cpuset/cpuset.mems",
						 "/sys/fs/cgroup/cpuset.mems.effective",
						 "/sys/devices/system/node/online" };
	_cleanup_free_ char *have = NULL;
	bool w[CPUSET_MAX], h[CPUSET_MAX];

	if (!*want)
		return 0;
	if (!cpuset_parse(want, w))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "Invalid value %s for cpuset %s",
				       want, cpus ? "cpus" : "mems");
	for (size_t i = 0; i < ARRAY_SIZE(cpu_files) && !have; i++)
		if (file_read_all(cpus ? cpu_files[i] : mem_files[i], 4096, &have, NULL) < 0)
			have = NULL;
	if (!have || !cpuset_parse(have, h))
		return 0; /* nothing to check against: the kernel decides */
	have[strcspn(have, "\n")] = '\0';
	for (size_t i = 0; i < CPUSET_MAX; i++)
		if (w[i] && !h[i])
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				cpus ? "Requested CPUs are not available - requested "
				       "%s, available: %s"
				     : "Requested memory nodes are not available - "
				       "requested %s, available: %s",
				want, have);
	return 0;
}

/* dockerd's checks of the values (verifyContainerResources): 400, the bare
 * message. */
static int check_values(json_object *u, json_object *hc, struct berth_error **err)
{
	int64_t m = jint(u, "Memory"), sw = jint(u, "MemorySwap");
	int64_t nano = jint(u, "NanoCpus"), q = jint(u, "CpuQuota"), p = jint(u, "CpuPeriod");
	int64_t ncpu = sysconf(_SC_NPROCESSORS_ONLN), bw = jint(u, "BlkioWeight");

	if (jint(u, "KernelMemory"))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Kernel memory limits are not supported");
	if (m && m < MIN_MEMORY)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Minimum memory limit allowed is 6MB");
	if (m > 0 && sw > 0 && sw < m)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"Minimum memoryswap limit should be larger than memory limit, "
			"see usage");
	if (sw > 0 && !m && jint(hc, "Memory") > 0 && sw < jint(hc, "Memory"))
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"Minimum memoryswap limit should be larger than memory limit, "
			"see usage");
	if (nano && p)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"Conflicting options: Nano CPUs and CPU Period cannot both be "
			"set");
	if (nano && q)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"Conflicting options: Nano CPUs and CPU Quota cannot both be "
			"set");
	if (nano < 0 || nano > ncpu * 1000000000)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Range of CPUs is from 0.01 to %" PRId64
				       ".00, as there are only %" PRId64 " CPUs available",
				       ncpu, ncpu);
	if (p && (p < 1000 || p > 1000000))
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"CPU cfs period can not be less than 1ms (i.e. 1000) or larger "
			"than 1s (i.e. 1000000)");
	if (q > 0 && q < 1000)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "CPU cfs quota can not be less than 1ms (i.e. 1000)");
	if (check_cpuset(jstrv0(u, "CpusetCpus"), true, err) < 0 ||
	    check_cpuset(jstrv0(u, "CpusetMems"), false, err) < 0)
		return -EINVAL;
	if (bw && (bw < 10 || bw > 1000))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Range of blkio weight is from 10 to 1000");
	if (jint(u, "CpuShares") < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid CPU shares (%" PRId64 "): value must be a positive "
				       "integer",
				       jint(u, "CpuShares"));
	return 0;
}

/* moby's ValidateRestartPolicy (verifyContainerSettings): 400, the bare
 * message. An empty name leaves the policy as it is. */
static int check_restart(json_object *rp, struct berth_error **err)
{
	const char *name = jstrv0(rp, "Name");
	int64_t max = jint(rp, "MaximumRetryCount");

	if (!*name)
		return 0;
	if (strcmp(name, "on-failure") == 0) {
		if (max < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid restart policy: maximum retry count "
					       "cannot be negative");
		return 0;
	}
	if (strcmp(name, "no") != 0 && strcmp(name, "always") != 0 &&
	    strcmp(name, "unless-stopped") != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid restart policy: unknown policy '%s'; use one of "
				       "'no', 'always', 'on-failure', or 'unless-stopped'",
				       name);
	if (max)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid restart policy: maximum retry count can only be "
				       "used with 'on-failure'%s",
				       max < 0 ? " and cannot be negative" : "");
	return 0;
}

/* dockerd's checks of the update against the container's current HostConfig
 * (UpdateContainer): 409, reported as "Cannot update container ID: ...". */
static int check_conflicts(json_object *u, json_object *hc, struct berth_error **err)
{
	int64_t m = jint(u, "Memory"), sw = jint(u, "MemorySwap");
	int64_t nano = jint(u, "NanoCpus"), q = jint(u, "CpuQuota"), p = jint(u, "CpuPeriod");

	if (nano > 0 && jint(hc, "CpuPeriod") > 0)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "Conflicting options: Nano CPUs cannot be updated as CPU "
				       "Period has already been set");
	if (nano > 0 && jint(hc, "CpuQuota") > 0)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "Conflicting options: Nano CPUs cannot be updated as CPU "
				       "Quota has already been set");
	if (p > 0 && jint(hc, "NanoCpus") > 0)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "Conflicting options: CPU Period cannot be updated as "
				       "NanoCPUs has already been set");
	if (q > 0 && jint(hc, "NanoCpus") > 0)
		return berth_error_set(
			err, 0, BERTH_ERR_CONFLICT,
			"Conflicting options: CPU Quota cannot be updated as NanoCPUs "
			"has already been set");
	/* dockerd keeps twice the memory as MemorySwap when a container is
	 * created with a memory limit alone; with none (0) or unlimited swap
	 * (-1), a memory limit needs a memory-swap in the same update */
	int64_t cur_swap = jint(hc, "MemorySwap");
	if (!cur_swap && jint(hc, "Memory") > 0)
		cur_swap = 2 * jint(hc, "Memory");
	if (m && !sw && m > cur_swap)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "Memory limit should be smaller than already set memoryswap "
				       "limit, update the memoryswap at the same time");
	return 0;
}

static void merge_int(json_object *hc, json_object *u, const char *k)
{
	if (jint(u, k))
		jadd(hc, k, json_object_new_int64(jint(u, k)));
}

static void merge_str(json_object *hc, json_object *u, const char *k)
{
	if (*jstrv0(u, k))
		jadd(hc, k, jstr(jstrv0(u, k)));
}

static void ct_update(struct daemon *d, struct http_request *req)
{
	static const char *const ints[] = { "Memory",	 "MemorySwap", "MemoryReservation",
					    "NanoCpus",	 "CpuShares",  "CpuQuota",
					    "CpuPeriod", "BlkioWeight" };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *u = NULL, *hc = NULL, *warnings = NULL;
	struct container *c = NULL;

	if (container_lookup(d, http_request_param(req, "id"), &c, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (http_request_body_json(req, &u, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (!u)
		u = json_object_new_object();
	json_object *rp = jget(u, "RestartPolicy");
	const char *rp_name = jstrv0(rp, "Name");
	if (check_values(u, c->host_config, &err) < 0 || check_restart(rp, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (check_conflicts(u, c->host_config, &err) < 0)
		goto fail;
	/* dockerd's verifyPlatformContainerResources: a weight the host cannot
	 * apply is dropped, with its warning */
	if (jint(u, "BlkioWeight") && !container_blkio_weight_supported()) {
		json_object_object_del(u, "BlkioWeight");
		warnings = json_object_new_array();
		json_object_array_add(warnings, jstr(BLKIO_WEIGHT_DISCARDED));
	}
	if (*rp_name && strcmp(rp_name, "no") != 0 &&
	    json_object_get_boolean(jget(c->host_config, "AutoRemove"))) {
		(void)berth_error_set(&err, 0, BERTH_ERR_CONFLICT,
				      "Restart policy cannot be updated because AutoRemove is "
				      "enabled for the container");
		goto fail;
	}
	if (json_object_deep_copy(c->host_config, &hc, NULL) < 0)
		abort();
	/* dockerd stores twice the memory as MemorySwap for a memory limit given
	 * alone (check_conflicts assumes it): kept when the memory changes */
	if (!jint(hc, "MemorySwap") && jint(hc, "Memory") > 0 && jint(u, "Memory") &&
	    !jint(u, "MemorySwap"))
		jadd(hc, "MemorySwap", json_object_new_int64(2 * jint(hc, "Memory")));
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++)
		merge_int(hc, u, ints[i]);
	merge_str(hc, u, "CpusetCpus");
	merge_str(hc, u, "CpusetMems");
	if (jget(u, "PidsLimit") && json_object_get_type(jget(u, "PidsLimit")) != json_type_null)
		jadd(hc, "PidsLimit", json_object_new_int64(jint(u, "PidsLimit")));
	if (*rp_name)
		jadd(hc, "RestartPolicy", json_object_get(rp));
	if (ct_is_running(c) && c->pid > 0) {
		int r = container_cgroup_is_v2() ? apply_v2(d, c, u, hc, &err)
						 : apply_v1(d, c, u, hc, &err);
		if (r < 0)
			goto fail;
	}
	json_object_put(c->host_config);
	c->host_config = TAKE_PTR(hc);
	if (container_save(d, c, &err) < 0)
		goto fail;
	container_event(d, c, "update", NULL);
	json_object *o = json_object_new_object();
	jadd(o, "Warnings", TAKE_PTR(warnings)); /* dockerd's null when there are none */
	http_respond_json(req, 200, o);
	json_object_put(o);
	return;
fail:
	http_respond_error(req, api_status_of(err), "Cannot update container %s: %s", c->id,
			   err->msg);
}

void api_update_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "POST", "/containers/{id}/update", 0, ct_update);
}
