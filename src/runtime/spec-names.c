/* Name tables of the OCI config: capabilities, namespaces, rlimits. */
#define LOG_CATEGORY "spec"
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime.h"
#include "spec-internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Indexed by capability number, as in linux/capability.h. */
const char *const spec_cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
const size_t spec_n_cap_names = ARRAY_SIZE(spec_cap_names);

int spec_cap_from_name(const char *name)
{
	for (size_t i = 0; i < spec_n_cap_names; i++)
		if (strcasecmp(spec_cap_names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *spec_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= spec_n_cap_names)
		return "CAP_UNKNOWN";
	return spec_cap_names[cap];
}

int spec_cap_last(void)
{
	static int last = -1;

	if (last < 0) {
		_cleanup_free_ char *s = NULL;
		int v;
		if (file_read_all("/proc/sys/kernel/cap_last_cap", 64, &s, NULL) == 0) {
			s[strcspn(s, "\n")] = '\0';
			if (str_to_int(s, &v) == 0)
				last = v;
		}
		if (last < 0)
			last = CAP_LAST_CAP;
	}
	return last;
}

static const struct {
	const char *name;
	const char *proc_name;
	int type;
} namespaces[] = {
	{ "pid", "pid", CLONE_NEWPID },		 { "network", "net", CLONE_NEWNET },
	{ "mount", "mnt", CLONE_NEWNS },	 { "ipc", "ipc", CLONE_NEWIPC },
	{ "uts", "uts", CLONE_NEWUTS },		 { "user", "user", CLONE_NEWUSER },
	{ "cgroup", "cgroup", CLONE_NEWCGROUP }, { "time", "time", CLONE_NEWTIME },
};

int spec_namespace_type(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		if (strcmp(namespaces[i].name, name) == 0)
			return namespaces[i].type;
	return -1;
}

const char *spec_namespace_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		if (namespaces[i].type == type)
			return namespaces[i].name;
	return NULL;
}

const char *spec_namespace_proc_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		if (namespaces[i].type == type)
			return namespaces[i].proc_name;
	return NULL;
}

bool spec_has_namespace(const struct rt_spec *spec, int type, const char **ret_path)
{
	for (size_t i = 0; i < spec->n_namespaces; i++) {
		if (spec->namespaces[i].type == type) {
			if (ret_path)
				*ret_path = spec->namespaces[i].path;
			return true;
		}
	}
	return false;
}

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

int spec_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++)
		if (strcmp(rlimits[i].name, name) == 0)
			return rlimits[i].resource;
	return -1;
}

int rt_cap_from_name(const char *name)
{
	return spec_cap_from_name(name);
}

const char *rt_cap_name(int cap)
{
	return spec_cap_name(cap);
}

int rt_cap_last(void)
{
	return spec_cap_last();
}
