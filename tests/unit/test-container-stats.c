/* The parsers of the files container stats are read from
 * (src/daemon/container-stats-parse.c), on fixture text as the kernel writes
 * it: cgroup v1 (memory.stat, cpuacct, blkio, cpu.stat), cgroup v2 (cpu.stat,
 * memory.stat, io.stat, memory.max, pids.max), /proc/stat and
 * /proc/<pid>/net/dev. */
#include <string.h>

#include "container-stats.h"
#include "json-util.h"
#include "tap.h"

static uint64_t get_u64(json_object *o, const char *k)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_uint64(v) : UINT64_MAX;
}

static const char *get_str(json_object *o, const char *k)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static const char v1_memory_stat[] = "cache 2203648\n"
				     "rss 1052672\n"
				     "rss_huge 0\n"
				     "inactive_file 1617920\n"
				     "hierarchical_memory_limit 9223372036854771712\n"
				     "total_cache 2203648\n"
				     "total_rss 1052672\n"
				     "total_inactive_file 1617920\n"
				     "total_active_file 585728\n";

static const char v2_memory_stat[] = "anon 1048576\n"
				     "file 4206592\n"
				     "kernel_stack 16384\n"
				     "inactive_file 3915776\n"
				     "active_file 290816\n"
				     "pgfault 1234\n";

TEST(kv_get_finds_whole_keys_only)
{
	uint64_t v = 0;

	ASSERT_OK(stats_kv_get(v1_memory_stat, "inactive_file", &v));
	ASSERT_EQ(v, 1617920);
	/* "total_inactive_file" is not "inactive_file", and the reverse */
	ASSERT_OK(stats_kv_get(v1_memory_stat, "total_inactive_file", &v));
	ASSERT_EQ(v, 1617920);
	ASSERT_OK(stats_kv_get(v1_memory_stat, "rss", &v));
	ASSERT_EQ(v, 1052672);
	ASSERT_OK(stats_kv_get(v1_memory_stat, "hierarchical_memory_limit", &v));
	ASSERT_EQ(v, 9223372036854771712ull);
	ASSERT_EQ(stats_kv_get(v1_memory_stat, "swap", &v), -ENOENT);
	ASSERT_EQ(stats_kv_get(v1_memory_stat, "cach", &v), -ENOENT);
	ASSERT_EQ(stats_kv_get("", "cache", &v), -ENOENT);
	/* v2 cpu.stat, in microseconds */
	const char *cpu = "usage_usec 81234\nuser_usec 60000\nsystem_usec 21234\n"
			  "nr_periods 10\nnr_throttled 3\nthrottled_usec 4500\n";
	ASSERT_OK(stats_kv_get(cpu, "usage_usec", &v));
	ASSERT_EQ(v, 81234);
	ASSERT_OK(stats_kv_get(cpu, "throttled_usec", &v));
	ASSERT_EQ(v, 4500);
	/* v1 cpu.stat: throttled_time in nanoseconds */
	ASSERT_OK(stats_kv_get("nr_periods 7\nnr_throttled 2\nthrottled_time 123456789\n",
			       "throttled_time", &v));
	ASSERT_EQ(v, 123456789);
}

TEST(kv_to_json_keeps_every_numeric_line)
{
	_cleanup_json_ json_object *o1 = json_object_new_object(), *o2 = json_object_new_object();

	stats_kv_to_json(v1_memory_stat, o1);
	ASSERT_EQ(json_object_object_length(o1), 9);
	ASSERT_EQ(get_u64(o1, "cache"), 2203648);
	ASSERT_EQ(get_u64(o1, "total_inactive_file"), 1617920);
	ASSERT_EQ(get_u64(o1, "hierarchical_memory_limit"), 9223372036854771712ull);
	stats_kv_to_json(v2_memory_stat, o2);
	ASSERT_EQ(json_object_object_length(o2), 6);
	ASSERT_EQ(get_u64(o2, "anon"), 1048576);
	ASSERT_EQ(get_u64(o2, "inactive_file"), 3915776);
	/* lines that are not "key number" are left out */
	_cleanup_json_ json_object *o3 = json_object_new_object();
	stats_kv_to_json("a 1\nbroken\nb x\n c 3\nd -4\ne 5", o3);
	ASSERT_EQ(json_object_object_length(o3), 2);
	ASSERT_EQ(get_u64(o3, "a"), 1);
	ASSERT_EQ(get_u64(o3, "e"), 5);
}

TEST(limits_v1_numbers_and_v2_max)
{
	uint64_t v = 0;

	ASSERT_OK(stats_limit_parse("67108864\n", &v));
	ASSERT_EQ(v, 67108864);
	ASSERT_OK(stats_limit_parse("9223372036854771712\n", &v));
	ASSERT_EQ(v, 9223372036854771712ull);
	ASSERT_OK(stats_limit_parse("max\n", &v));
	ASSERT_EQ(v, UINT64_MAX);
	ASSERT_OK(stats_limit_parse("max", &v));
	ASSERT_EQ(v, UINT64_MAX);
	ASSERT_EQ(stats_limit_parse("maximum\n", &v), -EINVAL);
	ASSERT_EQ(stats_limit_parse("-1\n", &v), -EINVAL);
	ASSERT_EQ(stats_limit_parse("", &v), -EINVAL);
	ASSERT_EQ(stats_limit_parse("12abc", &v), -EINVAL);
}

TEST(blkio_v1_entries)
{
	const char *text = "8:0 Read 4096\n"
			   "8:0 Write 1048576\n"
			   "8:0 Sync 1052672\n"
			   "8:0 Async 0\n"
			   "8:0 Discard 0\n"
			   "8:0 Total 1052672\n"
			   "253:1 Read 512\n"
			   "Total 1053184\n";
	_cleanup_json_ json_object *a = stats_blkio_v1_parse(text);

	ASSERT_TRUE(a != NULL);
	ASSERT_EQ(json_object_array_length(a), 7); /* the device-less Total line is not one */
	json_object *e = json_object_array_get_idx(a, 1);
	ASSERT_EQ(get_u64(e, "major"), 8);
	ASSERT_EQ(get_u64(e, "minor"), 0);
	ASSERT_STREQ(get_str(e, "op"), "Write");
	ASSERT_EQ(get_u64(e, "value"), 1048576);
	e = json_object_array_get_idx(a, 6);
	ASSERT_EQ(get_u64(e, "major"), 253);
	ASSERT_EQ(get_u64(e, "minor"), 1);
	ASSERT_STREQ(get_str(e, "op"), "Read");
	/* a cgroup that did no IO: only "Total 0", JSON null as dockerd */
	ASSERT_TRUE(stats_blkio_v1_parse("Total 0\n") == NULL);
	ASSERT_TRUE(stats_blkio_v1_parse("") == NULL);
}

TEST(io_stat_v2_read_and_write_per_device)
{
	const char *text = "259:0 rbytes=1458176 wbytes=20480 rios=56 wios=5 dbytes=0 dios=0\n"
			   "8:16 rbytes=0 wbytes=4096 rios=0 wios=1 dbytes=0 dios=0\n";
	_cleanup_json_ json_object *a = stats_io_v2_parse(text);

	ASSERT_TRUE(a != NULL);
	ASSERT_EQ(json_object_array_length(a), 4);
	json_object *r = json_object_array_get_idx(a, 0), *w = json_object_array_get_idx(a, 1);
	ASSERT_EQ(get_u64(r, "major"), 259);
	ASSERT_STREQ(get_str(r, "op"), "read");
	ASSERT_EQ(get_u64(r, "value"), 1458176);
	ASSERT_STREQ(get_str(w, "op"), "write");
	ASSERT_EQ(get_u64(w, "value"), 20480);
	w = json_object_array_get_idx(a, 3);
	ASSERT_EQ(get_u64(w, "major"), 8);
	ASSERT_EQ(get_u64(w, "minor"), 16);
	ASSERT_EQ(get_u64(w, "value"), 4096);
	ASSERT_TRUE(stats_io_v2_parse("") == NULL);
}

TEST(percpu_usage)
{
	_cleanup_json_ json_object *a = stats_percpu_parse("145631438 2838585 \n");

	ASSERT_EQ(json_object_array_length(a), 2);
	ASSERT_EQ(json_object_get_uint64(json_object_array_get_idx(a, 0)), 145631438);
	ASSERT_EQ(json_object_get_uint64(json_object_array_get_idx(a, 1)), 2838585);
	_cleanup_json_ json_object *e = stats_percpu_parse("\n");
	ASSERT_EQ(json_object_array_length(e), 0);
}

TEST(proc_stat_system_usage_in_ns)
{
	const char *text = "cpu  9289 12 4310 930770 288 0 157 0 0 0\n"
			   "cpu0 4640 6 2150 465390 140 0 80 0 0 0\n"
			   "cpu1 4649 6 2160 465380 148 0 77 0 0 0\n"
			   "intr 1234 0 0\n"
			   "ctxt 5678\n";
	uint64_t ns = 0;
	uint32_t cpus = 0;

	ASSERT_OK(stats_proc_stat_parse(text, 100, &ns, &cpus));
	/* user nice system idle iowait irq softirq, not steal/guest: 944826 ticks */
	ASSERT_EQ(ns, 944826ull * 10000000ull);
	ASSERT_EQ(cpus, 2);
	ASSERT_EQ(stats_proc_stat_parse("intr 1\n", 100, &ns, &cpus), -EINVAL);
	ASSERT_EQ(stats_proc_stat_parse("cpu  1 2 3\n", 100, &ns, &cpus), -EINVAL);
	ASSERT_EQ(stats_proc_stat_parse(text, 0, &ns, &cpus), -EINVAL);
}

TEST(net_dev_without_lo)
{
	const char *text =
		"Inter-|   Receive                                                |  Transmit\n"
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
		"packets errs drop fifo colls carrier compressed\n"
		"    lo:     840      10    0    0    0     0          0         0      840      "
		"10    0    0    0     0       0          0\n"
		"  eth0: 1234567    890    1    2    0     0          0         0   654321     "
		"432    3    4    0     0       0          0\n"
		"  eth1:       0       0    0    0    0     0          0         0        0      "
		" 0    0    0    0     0       0          0\n";
	_cleanup_json_ json_object *n = stats_net_dev_parse(text);
	json_object *e = NULL;

	ASSERT_TRUE(n != NULL);
	ASSERT_EQ(json_object_object_length(n), 2);
	ASSERT_FALSE(json_object_object_get_ex(n, "lo", NULL));
	ASSERT_TRUE(json_object_object_get_ex(n, "eth0", &e));
	ASSERT_EQ(get_u64(e, "rx_bytes"), 1234567);
	ASSERT_EQ(get_u64(e, "rx_packets"), 890);
	ASSERT_EQ(get_u64(e, "rx_errors"), 1);
	ASSERT_EQ(get_u64(e, "rx_dropped"), 2);
	ASSERT_EQ(get_u64(e, "tx_bytes"), 654321);
	ASSERT_EQ(get_u64(e, "tx_packets"), 432);
	ASSERT_EQ(get_u64(e, "tx_errors"), 3);
	ASSERT_EQ(get_u64(e, "tx_dropped"), 4);
	ASSERT_TRUE(json_object_object_get_ex(n, "eth1", &e));
	ASSERT_EQ(get_u64(e, "rx_bytes"), 0);
	/* only lo (--network none): no networks at all */
	const char *lo_only = "Inter-|\n face |\n    lo:  0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
	ASSERT_TRUE(stats_net_dev_parse(lo_only) == NULL);
}
