/* The OCI runtime configuration (config.json) as C structures.
 *
 * spec_load() parses and validates a bundle's config.json into struct rt_spec;
 * every refusal names the offending field by its JSON path. The structures own
 * their strings; spec_free() releases everything. Optional scalars carry a
 * has_* flag so that "absent" and "zero" stay distinct, as the spec requires
 * (a memory limit of 0 is not the same as no limit).
 */
#ifndef BERTH_RUNTIME_SPEC_INTERNAL_H
#define BERTH_RUNTIME_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

struct json_object;

#define SPEC_MAX_BYTES (4u << 20) /* config.json larger than this is refused */
#define SPEC_MAX_DEPTH 32

struct rt_kv {
	char *key;
	char *value;
};

#include "spec-process-internal.h"

enum rt_mount_kind {
	RT_MOUNT_FS,   /* a file system: proc, tmpfs, sysfs, ... */
	RT_MOUNT_BIND, /* bind or rbind */
	RT_MOUNT_KIND_MAX,
};

struct rt_mount {
	char *destination;
	char *type;
	char *source;
	enum rt_mount_kind kind;
	bool recursive;		   /* rbind */
	unsigned long flags;	   /* MS_RDONLY, MS_NOSUID, ... to set */
	unsigned long clear_flags; /* flags named "rw", "suid", ... to clear on a bind remount */
	unsigned long propagation; /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE, | MS_REC */
	bool ro_recursive;	   /* "rro": mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY) */
	bool tmpcopyup;
	char *data; /* comma-joined options the kernel's fs parses */
	bool has_idmap;
};

struct rt_namespace {
	int type;   /* CLONE_NEW* */
	char *path; /* NULL: create a new one */
};

struct rt_idmap {
	uint32_t container_id, host_id, size;
};

#include "spec-linux-internal.h"

struct rt_spec {
	char *oci_version;
	char *bundle;	 /* absolute bundle directory */
	char *root_path; /* absolute root file system path */
	bool root_readonly;
	struct rt_process *process; /* NULL when absent */
	char *hostname;
	char *domainname;
	struct rt_mount *mounts;
	size_t n_mounts;
	struct rt_hook_list hooks[RT_HOOK_KIND_MAX];
	struct rt_kv *annotations;
	size_t n_annotations;

	/* linux */
	bool has_linux;
	struct rt_namespace *namespaces;
	size_t n_namespaces;
	struct rt_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct rt_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct rt_resources *resources; /* NULL when absent */
	struct rt_kv *sysctl;
	size_t n_sysctl;
	char **masked_paths;
	char **readonly_paths;
	unsigned long rootfs_propagation; /* 0: default (rslave after rprivate, as runc) */
	struct rt_seccomp *seccomp;	  /* NULL when absent */
	bool has_personality;
	unsigned long personality;
	char *mount_label;
	bool has_time_offsets;
	int64_t monotonic_secs, boottime_secs;
	uint32_t monotonic_nsecs, boottime_nsecs;
};

/* Parse and validate <bundle>/config.json (or an explicit file) into *ret. */
int spec_load(const char *bundle, const char *config_path, struct rt_spec **ret,
	      struct berth_error **err);
/* Parse a config from memory; bundle resolves a relative root.path. */
int spec_parse(const char *text, size_t len, const char *bundle, struct rt_spec **ret,
	       struct berth_error **err);
struct rt_spec *spec_free(struct rt_spec *spec);
DEFINE_CLEANUP(struct rt_spec, spec_free)
#define _cleanup_spec_ _cleanup_(spec_freep)

/* The process object alone, for `exec --process FILE`. */
int spec_parse_process(struct json_object *obj, const char *path, struct rt_process **ret,
		       struct berth_error **err);
struct rt_process *spec_process_free(struct rt_process *p);
DEFINE_CLEANUP(struct rt_process, spec_process_free)

/* Lookups shared by the parser, exec and the `spec` command. */
bool spec_has_namespace(const struct rt_spec *spec, int type, const char **ret_path);
int spec_namespace_type(const char *name);	/* "pid" -> CLONE_NEWPID, -1 unknown */
const char *spec_namespace_name(int type);	/* CLONE_NEWPID -> "pid" */
const char *spec_namespace_proc_name(int type); /* CLONE_NEWPID -> "pid" in /proc/PID/ns */
int spec_cap_from_name(const char *name);	/* "CAP_KILL" -> 5, -1 unknown */
const char *spec_cap_name(int cap);
int spec_cap_last(void);		     /* highest capability this kernel knows */
int spec_rlimit_from_name(const char *name); /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE */
/* Every known name, for `features`. */
extern const char *const spec_cap_names[];
extern const size_t spec_n_cap_names;

#endif
