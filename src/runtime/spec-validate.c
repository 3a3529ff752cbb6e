/* Checks that need the whole config: namespaces against sysctls, id maps
 * against the user namespace, and features this kernel or build lacks. */
#define LOG_CATEGORY "spec"
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "spec-json-internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static bool ns_is_new(const struct rt_spec *spec, int type)
{
	const char *path = NULL;
	return spec_has_namespace(spec, type, &path) && !path;
}

static bool ns_is_private(const struct rt_spec *spec, int type)
{
	return spec_has_namespace(spec, type, NULL);
}

/* A sysctl may only be set in a namespace the container does not share with the host. */
static int validate_sysctl(const struct rt_spec *spec, struct berth_error **err)
{
	static const char *const ipc_keys[] = {
		"kernel.msgmax", "kernel.msgmnb",	   "kernel.msgmni",
		"kernel.sem",	 "kernel.shmall",	   "kernel.shmmax",
		"kernel.shmmni", "kernel.shm_rmid_forced", NULL
	};

	for (size_t i = 0; i < spec->n_sysctl; i++) {
		const char *k = spec->sysctl[i].key;
		if (strstr(k, "..") || strchr(k, '\n') || k[0] == '/' || k[0] == '.')
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "linux.sysctl.%s: not a sysctl name", k);
		bool ipc = strv_contains((char *const *)ipc_keys, k) ||
			   str_has_prefix(k, "fs.mqueue.");
		if (ipc) {
			if (!ns_is_private(spec, CLONE_NEWIPC))
				return berth_error_set(
					err, 0, BERTH_ERR_INVALID,
					"linux.sysctl.%s: requires a private ipc namespace", k);
			continue;
		}
		if (str_has_prefix(k, "net.")) {
			if (!ns_is_private(spec, CLONE_NEWNET))
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "linux.sysctl.%s: not allowed in the host's "
						       "network namespace",
						       k);
			continue;
		}
		if (strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0) {
			if (!ns_is_private(spec, CLONE_NEWUTS))
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "linux.sysctl.%s: requires a uts namespace",
						       k);
			continue;
		}
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"linux.sysctl.%s: not a namespaced sysctl; it would change the "
			"host",
			k);
	}
	return 0;
}

static int validate_namespaces(const struct rt_spec *spec, struct berth_error **err)
{
	bool userns = ns_is_private(spec, CLONE_NEWUSER);

	if (!userns && (spec->n_uid_mappings || spec->n_gid_mappings))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "linux.uidMappings: id mappings need a user namespace");
	if (ns_is_new(spec, CLONE_NEWUSER) && (!spec->n_uid_mappings || !spec->n_gid_mappings))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "linux.uidMappings: a new user namespace needs uid and gid "
				       "mappings");
	if (spec->has_time_offsets && !ns_is_new(spec, CLONE_NEWTIME))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "linux.timeOffsets: time offsets need a new time namespace");
	if (ns_is_private(spec, CLONE_NEWTIME) && access("/proc/self/ns/time", F_OK) < 0)
		return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
				       "linux.namespaces: this kernel has no time namespace");
	if (ns_is_private(spec, CLONE_NEWCGROUP) && access("/proc/self/ns/cgroup", F_OK) < 0)
		return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
				       "linux.namespaces: this kernel has no cgroup namespace");
	if (spec->hostname && *spec->hostname && !ns_is_private(spec, CLONE_NEWUTS))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "hostname: setting a hostname needs a uts namespace");
	if (spec->domainname && *spec->domainname && !ns_is_private(spec, CLONE_NEWUTS))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "domainname: setting a domain name needs a uts namespace");
	return 0;
}

static int validate_process(const struct rt_process *p, struct berth_error **err)
{
	if (!p)
		return 0;
	if (p->apparmor_profile)
		return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
				       "process.apparmorProfile: AppArmor is not available on this "
				       "kernel ('%s' cannot be applied)",
				       p->apparmor_profile);
	if (p->selinux_label)
		return berth_error_set(
			err, EOPNOTSUPP, BERTH_ERR_INVALID,
			"process.selinuxLabel: SELinux is not available on this kernel "
			"('%s' cannot be applied)",
			p->selinux_label);
	if (p->has_caps && (p->caps.ambient & ~(p->caps.permitted & p->caps.inheritable)))
		log_warn("process.capabilities.ambient: capabilities not both permitted and "
			 "inheritable cannot be ambient, ignoring them");
	return 0;
}

int spec_validate(const struct rt_spec *spec, struct berth_error **err)
{
	int r;

	if ((r = validate_namespaces(spec, err)) < 0 || (r = validate_sysctl(spec, err)) < 0 ||
	    (r = validate_process(spec->process, err)) < 0)
		return r;
	if (spec->mount_label)
		return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
				       "linux.mountLabel: SELinux is not available on this kernel");
	return 0;
}
