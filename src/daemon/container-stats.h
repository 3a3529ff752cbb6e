/* Container statistics as docker's stats API reports them (GET
 * /containers/{id}/stats): parsers of the cgroup and /proc files
 * (container-stats-parse.c, no daemon state: unit-tested on fixture text) and
 * the sampling of a container (container-stats.c). */
#ifndef BERTH_DAEMON_CONTAINER_STATS_H
#define BERTH_DAEMON_CONTAINER_STATS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* The value of the "key value" line for key (memory.stat, cpu.stat,
 * cpuacct.stat); -ENOENT when absent. */
int stats_kv_get(const char *text, const char *key, uint64_t *ret);
/* Every "key value" line of text into o (as memory_stats.stats). */
void stats_kv_to_json(const char *text, json_object *o);
/* A limit file: a number, or "max" (v2) for none: *ret = UINT64_MAX. */
int stats_limit_parse(const char *text, uint64_t *ret);
/* v1 blkio "MAJ:MIN Op value" lines: [{major,minor,op,value}], NULL (JSON
 * null, as dockerd) when there are none. */
json_object *stats_blkio_v1_parse(const char *text);
/* v2 io.stat: "MAJ:MIN rbytes=.. wbytes=.. ..." as "read" and "write"
 * entries of io_service_bytes_recursive (dockerd's conversion). */
json_object *stats_io_v2_parse(const char *text);
/* cpuacct.usage_percpu: "n n n" as an array. */
json_object *stats_percpu_parse(const char *text);
/* /proc/stat: the host's cpu time in ns as dockerd counts it (user, nice,
 * system, idle, iowait, irq and softirq of the "cpu" line, ticks of
 * ticks_per_s) and the number of cpuN lines. */
int stats_proc_stat_parse(const char *text, long ticks_per_s, uint64_t *ret_ns, uint32_t *ret_cpus);
/* /proc/<pid>/net/dev: {"eth0": {rx_bytes, rx_packets, rx_errors, rx_dropped,
 * tx_...}} without lo; NULL when there is no other interface. */
json_object *stats_net_dev_parse(const char *text);

struct daemon;
struct container;
/* The stats JSON of c now (zeroed as dockerd for a container that does not
 * run); pre is the previous cpu_stats to report as precpu_stats (NULL: none),
 * pre_ns its time; now_ns is the time of this reading. */
json_object *container_stats_sample(struct daemon *d, struct container *c, json_object *pre,
				    int64_t pre_ns, int64_t now_ns);
/* /sys/fs/cgroup is a cgroup2 mount (the container's cgroup is in the
 * unified hierarchy). */
bool container_cgroup_is_v2(void);
/* The host takes block IO weights (blkio.weight or BFQ's on v1): dockerd
 * discards BlkioWeight with a warning where it does not. */
bool container_blkio_weight_supported(void);
/* dockerd's warning when a weight is asked for there. */
#define BLKIO_WEIGHT_DISCARDED                                                                     \
	"Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight "      \
	"discarded."
/* The container's cgroup directory for the v1 controller ctrl ("memory"), or
 * its unified directory on a v2 host. */
char *container_cgroup_dir(struct daemon *d, struct container *c, const char *ctrl);

#endif
