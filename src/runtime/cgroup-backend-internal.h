/* Private to the cgroup module: the host's layout, the per-hierarchy helpers
 * and the two backends (v1 files, v2 files) that cgroup.c dispatches to.
 *
 * Each controller is used in exactly one hierarchy (cg_layout.ctrl_hier): its
 * v1 mount when there is one, else the unified hierarchy when the kernel
 * offers it there. Writers set the error once, naming the file, the value and
 * the directory; a field name (OCI JSON path) is added when the file is
 * missing, so a user learns which setting this host cannot honour.
 */
#ifndef BERTH_RUNTIME_CGROUP_BACKEND_INTERNAL_H
#define BERTH_RUNTIME_CGROUP_BACKEND_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup-internal.h"

#define CG_DEFAULT_PARENT "/berth"
#define CG_MAX_DEPTH	  64	    /* nested cgroups walked by pids and destroy */
#define CG_MAX_PIDS	  (1 << 22) /* pid_max upper bound */

enum cg_ctrl {
	CG_CPU,
	CG_CPUACCT,
	CG_CPUSET,
	CG_MEMORY,
	CG_DEVICES,
	CG_FREEZER,
	CG_BLKIO,
	CG_PIDS,
	CG_HUGETLB,
	CG_NET_CLS,
	CG_NET_PRIO,
	CG_PERF_EVENT,
	CG_RDMA,
	CG_MISC,
	CG_CTRL_MAX,
};

struct cg_hier {
	char *mount_point; /* "/sys/fs/cgroup/memory" */
	char *dir_name;	   /* its last component: "memory", "cpu,cpuacct", "unified" */
	char *options;	   /* super options without rw/ro: "cpu,cpuacct", "name=systemd" */
	uint32_t ctrls;	   /* bits of enum cg_ctrl (v1 only) */
	bool unified;
};

struct cg_layout {
	enum cgroup_mode mode;
	struct cg_hier *hiers;
	size_t n_hiers;
	int unified;		    /* index in hiers, -1 when absent */
	uint32_t unified_ctrls;	    /* cgroup.controllers of its root, plus devices and freezer */
	int ctrl_hier[CG_CTRL_MAX]; /* hierarchy serving each controller, -1 when none */
};

struct rt_cgroup {
	char *path; /* "/berth/<id>" */
	const struct cg_layout *layout;
	int *fds; /* per hierarchy: the cgroup's directory, opened on first use */
};

/* cgroup.c */
const char *cg_ctrl_name(enum cg_ctrl c);
/* The cgroup's directory in hierarchy h ("/sys/fs/cgroup/memory/berth/x"), for messages. */
char *cg_dir_path(const struct rt_cgroup *cg, int h);
/* The cgroup's directory in hierarchy h, opened O_DIRECTORY on first use (borrowed). */
int cg_dir_fd(const struct rt_cgroup *cg, int h, struct berth_error **err);
/* Write value to file in hierarchy h; -errno without setting an error. */
int cg_write_raw(const struct rt_cgroup *cg, int h, const char *file, const char *value);
/* The same, setting "write 'file' = 'value' in 'dir'"; field prefixes ENOENT errors. */
int cg_write(const struct rt_cgroup *cg, int h, const char *field, const char *file,
	     const char *value, struct berth_error **err);
int cg_write_error(const struct rt_cgroup *cg, int h, const char *field, const char *file,
		   const char *value, int r, struct berth_error **err);
int cg_read(const struct rt_cgroup *cg, int h, const char *file, char **ret,
	    struct berth_error **err);
void cg_dir_close(const struct rt_cgroup *cg, int h);
/* Apply every resource set in res; fresh: the cgroup was just created. */
int cg_apply(const struct rt_cgroup *cg, const struct rt_resources *res, bool fresh,
	     struct berth_error **err);
/* The controllers to delegate in the unified hierarchy: every one on a v2
 * host, only those res needs on a hybrid one (the root's subtree_control is
 * shared with the whole machine). */
uint32_t cg_unified_wanted(const struct rt_cgroup *cg, const struct rt_resources *res);
/* Sleep for the given microseconds (the freeze and destroy polls). */
void cg_sleep_usec(unsigned usec);
/* The backend of hierarchy h. */
const struct cg_backend *cg_backend_of(const struct rt_cgroup *cg, int h);

/* One backend: how a group of resources maps to files. h is the hierarchy
 * chosen for the group's controller; fresh is true right after creation. */
struct cg_backend {
	int (*memory)(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		      struct berth_error **err);
	int (*cpu)(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		   struct berth_error **err);
	int (*cpuset)(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		      struct berth_error **err);
	int (*pids)(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		    struct berth_error **err);
	int (*blkio)(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		     struct berth_error **err);
	int (*hugetlb)(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		       struct berth_error **err);
	int (*devices)(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		       bool fresh, struct berth_error **err);
	int (*freeze)(const struct rt_cgroup *cg, int h, bool frozen, struct berth_error **err);
	int (*is_frozen)(const struct rt_cgroup *cg, int h, bool *ret, struct berth_error **err);
};

extern const struct cg_backend cg_backend_v1;
extern const struct cg_backend cg_backend_v2;

/* cgroup-v1.c: files with the same names in v1 and v2. */
int cg_cpuset_write(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		    struct berth_error **err);
int cg_pids_write(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		  struct berth_error **err);
/* hugetlb.<size>.<suffix> for each limit. */
int cg_hugetlb_write(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		     const char *suffix, struct berth_error **err);
/* Write each line with its own write(2) through one descriptor ("maj:min value"). */
int cg_write_lines(const struct rt_cgroup *cg, int h, const char *field, const char *file,
		   char **lines, struct berth_error **err);
/* Controllers that only exist in v1. */
int cg_v1_net(const struct rt_cgroup *cg, int h, bool prio, const struct rt_resources *res,
	      struct berth_error **err);
/* Copy cpuset.cpus and cpuset.mems from the parent into each new level. */
int cg_v1_cpuset_init(const char *mount_point, const char *path, size_t first_new,
		      struct berth_error **err);

/* cgroup-v2.c */
int cg_v2_unified(const struct rt_cgroup *cg, int h, const struct rt_resources *res,
		  struct berth_error **err);
/* Enable controllers (bits of enum cg_ctrl) in every ancestor's cgroup.subtree_control. */
void cg_v2_enable_controllers(const char *mount_point, const char *path, uint32_t ctrls);

/* cgroup-v2-devices.c: an eBPF device filter attached to the cgroup dirfd. */
int cg_v2_devices_apply(int dirfd, const char *dir, const struct rt_device_rule *rules, size_t n,
			bool fresh, struct berth_error **err);

#endif
