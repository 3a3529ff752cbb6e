/* A container's statistics in the JSON of dockerd's stats API, read from its
 * cgroup (v1 controllers under /sys/fs/cgroup/<controller>, or the unified
 * hierarchy when /sys/fs/cgroup is cgroup2) and from /proc/<pid>/net/dev,
 * which shows the interfaces of the container's network namespace. */
#define LOG_CATEGORY "stats"
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "api.h"
#include "container-stats.h"
#include "container.h"
#include "fs.h"

#define STATS_FILE_MAX (1u << 20)

bool container_cgroup_is_v2(void)
{
	struct statfs s;
	return statfs("/sys/fs/cgroup", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

char *container_cgroup_dir(struct daemon *d, struct container *c, const char *ctrl)
{
	const char *parent = json_object_get_string(jget(c->host_config, "CgroupParent"));
	const char *p = parent && *parent ? parent : d->cgroup_parent;
	const char *sep = *p == '/' ? "" : "/";

	if (container_cgroup_is_v2())
		return xasprintf("/sys/fs/cgroup%s%s/%s", sep, p, c->id);
	return xasprintf("/sys/fs/cgroup/%s%s%s/%s", ctrl, sep, p, c->id);
}

/* The text of dir/file, NULL when it cannot be read. */
static char *read_cg(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	char *t = NULL;
	size_t len = 0;

	if (file_read_all(path, STATS_FILE_MAX, &t, &len) < 0)
		return NULL;
	return t;
}

bool container_blkio_weight_supported(void)
{
	if (container_cgroup_is_v2()) { /* the io controller offered */
		_cleanup_free_ char *t = read_cg("/sys/fs/cgroup", "cgroup.controllers");
		for (char *w = t ? strtok(t, " \n") : NULL; w; w = strtok(NULL, " \n"))
			if (strcmp(w, "io") == 0)
				return true;
		return false;
	}
	return access("/sys/fs/cgroup/blkio/blkio.weight", F_OK) == 0 ||
	       access("/sys/fs/cgroup/blkio/blkio.bfq.weight", F_OK) == 0;
}

static bool read_u64(const char *dir, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *t = read_cg(dir, file);
	return t && stats_limit_parse(t, ret) == 0;
}

static uint64_t host_memory(void)
{
	struct sysinfo si;
	return sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : 0;
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	jadd(o, k, json_object_new_uint64(v));
}

static json_object *zero_cpu(void)
{
	json_object *cpu = json_object_new_object(), *u = json_object_new_object(),
		    *t = json_object_new_object();
	add_u64(u, "total_usage", 0);
	add_u64(u, "usage_in_kernelmode", 0);
	add_u64(u, "usage_in_usermode", 0);
	add_u64(t, "periods", 0);
	add_u64(t, "throttled_periods", 0);
	add_u64(t, "throttled_time", 0);
	jadd(cpu, "cpu_usage", u);
	jadd(cpu, "throttling_data", t);
	return cpu;
}

/* The keys of blkio_stats after the first two, with their v1 files. */
static const char *const blkio_rest[][2] = {
	{ "io_queue_recursive", "blkio.io_queued_recursive" },
	{ "io_service_time_recursive", "blkio.io_service_time_recursive" },
	{ "io_wait_time_recursive", "blkio.io_wait_time_recursive" },
	{ "io_merged_recursive", "blkio.io_merged_recursive" },
	{ "io_time_recursive", "blkio.time_recursive" },
	{ "sectors_recursive", "blkio.sectors_recursive" },
};

static json_object *blkio_json(json_object *service_bytes, json_object *serviced)
{
	json_object *b = json_object_new_object();
	jadd(b, "io_service_bytes_recursive", service_bytes);
	jadd(b, "io_serviced_recursive", serviced);
	for (size_t i = 0; i < ARRAY_SIZE(blkio_rest); i++)
		jadd(b, blkio_rest[i][0], NULL);
	return b;
}

/* A v1 blkio list: the entries of the first of files that has some, else an
 * empty array (dockerd copies the v1 lists into non-nil slices: [] for a
 * running container, null only for one that does not run). */
static json_object *blkio_v1_list(const char *dir, const char *file, const char *alt)
{
	for (int i = 0; i < 2; i++) {
		const char *f = i ? alt : file;
		_cleanup_free_ char *t = f ? read_cg(dir, f) : NULL;
		json_object *l = t ? stats_blkio_v1_parse(t) : NULL;
		if (l)
			return l;
	}
	return json_object_new_array();
}

static void system_cpu(json_object *cpu)
{
	_cleanup_free_ char *t = NULL;
	size_t len = 0;
	uint64_t ns = 0;
	uint32_t n = 0;

	if (file_read_all("/proc/stat", STATS_FILE_MAX, &t, &len) < 0 ||
	    stats_proc_stat_parse(t, sysconf(_SC_CLK_TCK), &ns, &n) < 0)
		return;
	add_u64(cpu, "system_cpu_usage", ns);
	jadd(cpu, "online_cpus", json_object_new_uint64(n));
}

static void throttling(json_object *cpu, const char *text, const char *time_key, uint64_t mult)
{
	json_object *t = jget(cpu, "throttling_data");
	uint64_t v;

	if (!text)
		return;
	if (stats_kv_get(text, "nr_periods", &v) == 0)
		add_u64(t, "periods", v);
	if (stats_kv_get(text, "nr_throttled", &v) == 0)
		add_u64(t, "throttled_periods", v);
	if (stats_kv_get(text, time_key, &v) == 0)
		add_u64(t, "throttled_time", v * mult);
}

static void sample_v1(struct daemon *d, struct container *c, json_object *o)
{
	_cleanup_free_ char *acct = container_cgroup_dir(d, c, "cpuacct"),
			    *cpud = container_cgroup_dir(d, c, "cpu"),
			    *mem = container_cgroup_dir(d, c, "memory"),
			    *blk = container_cgroup_dir(d, c, "blkio"),
			    *pids = container_cgroup_dir(d, c, "pids");
	json_object *cpu = jget(o, "cpu_stats"), *u = jget(cpu, "cpu_usage");
	uint64_t v, tick_ns = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);

	if (read_u64(acct, "cpuacct.usage", &v))
		add_u64(u, "total_usage", v);
	_cleanup_free_ char *percpu = read_cg(acct, "cpuacct.usage_percpu");
	if (percpu)
		jadd(u, "percpu_usage", stats_percpu_parse(percpu));
	_cleanup_free_ char *cst = read_cg(acct, "cpuacct.stat");
	if (cst && stats_kv_get(cst, "system", &v) == 0)
		add_u64(u, "usage_in_kernelmode", v * tick_ns);
	if (cst && stats_kv_get(cst, "user", &v) == 0)
		add_u64(u, "usage_in_usermode", v * tick_ns);
	_cleanup_free_ char *thr = read_cg(cpud, "cpu.stat");
	throttling(cpu, thr, "throttled_time", 1);

	json_object *m = jget(o, "memory_stats"), *ms = json_object_new_object();
	if (read_u64(mem, "memory.usage_in_bytes", &v))
		add_u64(m, "usage", v);
	if (read_u64(mem, "memory.max_usage_in_bytes", &v))
		add_u64(m, "max_usage", v);
	_cleanup_free_ char *mst = read_cg(mem, "memory.stat");
	if (mst)
		stats_kv_to_json(mst, ms);
	jadd(m, "stats", ms);
	if (read_u64(mem, "memory.failcnt", &v) && v) /* omitempty in dockerd */
		add_u64(m, "failcnt", v);
	uint64_t host = host_memory();
	if (read_u64(mem, "memory.limit_in_bytes", &v))
		add_u64(m, "limit", host && v > host ? host : v);

	json_object *b = blkio_json(blkio_v1_list(blk, "blkio.io_service_bytes_recursive",
						  "blkio.throttle.io_service_bytes_recursive"),
				    blkio_v1_list(blk, "blkio.io_serviced_recursive",
						  "blkio.throttle.io_serviced_recursive"));
	for (size_t i = 0; i < ARRAY_SIZE(blkio_rest); i++)
		jadd(b, blkio_rest[i][0], blkio_v1_list(blk, blkio_rest[i][1], NULL));
	jadd(o, "blkio_stats", b);

	json_object *p = jget(o, "pids_stats");
	if (read_u64(pids, "pids.current", &v))
		add_u64(p, "current", v);
	if (read_u64(pids, "pids.max", &v) && v != UINT64_MAX)
		add_u64(p, "limit", v);
}

static void sample_v2(struct daemon *d, struct container *c, json_object *o)
{
	_cleanup_free_ char *dir = container_cgroup_dir(d, c, "");
	json_object *cpu = jget(o, "cpu_stats"), *u = jget(cpu, "cpu_usage");
	uint64_t v;

	_cleanup_free_ char *cst = read_cg(dir, "cpu.stat");
	if (cst && stats_kv_get(cst, "usage_usec", &v) == 0)
		add_u64(u, "total_usage", v * 1000);
	if (cst && stats_kv_get(cst, "system_usec", &v) == 0)
		add_u64(u, "usage_in_kernelmode", v * 1000);
	if (cst && stats_kv_get(cst, "user_usec", &v) == 0)
		add_u64(u, "usage_in_usermode", v * 1000);
	throttling(cpu, cst, "throttled_usec", 1000);

	json_object *m = jget(o, "memory_stats"), *ms = json_object_new_object();
	if (read_u64(dir, "memory.current", &v))
		add_u64(m, "usage", v);
	_cleanup_free_ char *mst = read_cg(dir, "memory.stat");
	if (mst)
		stats_kv_to_json(mst, ms);
	jadd(m, "stats", ms);
	uint64_t host = host_memory();
	if (read_u64(dir, "memory.max", &v))
		add_u64(m, "limit", host && v > host ? host : v);

	_cleanup_free_ char *io = read_cg(dir, "io.stat");
	jadd(o, "blkio_stats", blkio_json(io ? stats_io_v2_parse(io) : NULL, NULL));

	json_object *p = jget(o, "pids_stats");
	if (read_u64(dir, "pids.current", &v))
		add_u64(p, "current", v);
	if (read_u64(dir, "pids.max", &v) && v != UINT64_MAX)
		add_u64(p, "limit", v);
}

static void sample_net(struct container *c, json_object *o)
{
	const char *mode = json_object_get_string(jget(c->host_config, "NetworkMode"));
	_cleanup_free_ char *path = NULL, *t = NULL;
	size_t len = 0;

	if (mode && (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0))
		return;
	path = xasprintf("/proc/%d/net/dev", (int)c->pid);
	if (file_read_all(path, STATS_FILE_MAX, &t, &len) < 0)
		return;
	json_object *nets = stats_net_dev_parse(t);
	if (nets)
		jadd(o, "networks", nets);
}

json_object *container_stats_sample(struct daemon *d, struct container *c, json_object *pre,
				    int64_t pre_ns, int64_t now_ns)
{
	json_object *o = json_object_new_object();
	bool running = c->status == CT_RUNNING || c->status == CT_PAUSED;
	_cleanup_free_ char *name = xasprintf("/%s", c->name);

	jadd(o, "name", jstr(name));
	jadd(o, "id", jstr(c->id));
	_cleanup_free_ char *now = time_rfc3339(running ? now_ns : 0),
			    *pt = time_rfc3339(running && pre ? pre_ns : 0);
	jadd(o, "read", jstr(now));
	jadd(o, "preread", jstr(pt));
	jadd(o, "pids_stats", json_object_new_object());
	jadd(o, "num_procs", json_object_new_int(0));
	jadd(o, "storage_stats", json_object_new_object());
	jadd(o, "cpu_stats", zero_cpu());
	jadd(o, "precpu_stats", running && pre ? json_object_get(pre) : zero_cpu());
	jadd(o, "memory_stats", json_object_new_object());
	if (!running || c->pid <= 0) {
		jadd(o, "blkio_stats", blkio_json(NULL, NULL));
		return o;
	}
	system_cpu(jget(o, "cpu_stats"));
	if (container_cgroup_is_v2())
		sample_v2(d, c, o);
	else
		sample_v1(d, c, o);
	sample_net(c, o);
	return o;
}
