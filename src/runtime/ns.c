/* Namespaces: which to create, joining those given by path, id maps, time offsets. */
#define LOG_CATEGORY "ns"
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int ns_clone_flags(const struct rt_spec *spec)
{
	int flags = 0;

	for (size_t i = 0; i < spec->n_namespaces; i++)
		if (!spec->namespaces[i].path)
			flags |= spec->namespaces[i].type;
	return flags;
}

/* Join every namespace given by path, the user namespace first (it decides what
 * the others may do), except the types in except_types. */
int ns_join_paths(const struct rt_spec *spec, int except_types, struct berth_error **err)
{
	static const int order[] = { CLONE_NEWUSER, CLONE_NEWIPC,    CLONE_NEWUTS,  CLONE_NEWNET,
				     CLONE_NEWPID,  CLONE_NEWCGROUP, CLONE_NEWTIME, CLONE_NEWNS };

	for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
		const char *path = NULL;
		if ((order[k] & except_types) || !spec_has_namespace(spec, order[k], &path) ||
		    !path)
			continue;
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "linux.namespaces: open %s namespace '%s'",
					       spec_namespace_name(order[k]), path);
		if (setns(fd, order[k]) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "linux.namespaces: join %s namespace '%s'",
					       spec_namespace_name(order[k]), path);
	}
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct rt_idmap *m, size_t n,
		     struct berth_error **err)
{
	char path[64];
	_cleanup_free_ char *text = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *t =
			xasprintf("%s%u %u %u\n", text, m[i].container_id, m[i].host_id, m[i].size);
		free(text);
		text = t;
	}
	(void)snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int r = file_write_str_at(AT_FDCWD, path, text);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INVALID, "linux.%s: write '%s'",
				       strcmp(file, "uid_map") == 0 ? "uidMappings" : "gidMappings",
				       path);
	return 0;
}

int ns_write_id_maps(pid_t pid, const struct rt_spec *spec, struct berth_error **err)
{
	int r;

	if ((r = write_map(pid, "uid_map", spec->uid_mappings, spec->n_uid_mappings, err)) < 0)
		return r;
	return write_map(pid, "gid_map", spec->gid_mappings, spec->n_gid_mappings, err);
}

/* After unshare(CLONE_NEWTIME), before any process enters the namespace. */
int ns_set_time_offsets(const struct rt_spec *spec, struct berth_error **err)
{
	char text[128];

	if (!spec->has_time_offsets)
		return 0;
	(void)snprintf(text, sizeof(text), "monotonic %lld %u\nboottime %lld %u\n",
		       (long long)spec->monotonic_secs, spec->monotonic_nsecs,
		       (long long)spec->boottime_secs, spec->boottime_nsecs);
	int r = file_write_str_at(AT_FDCWD, "/proc/self/timens_offsets", text);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INVALID,
				       "linux.timeOffsets: write /proc/self/timens_offsets");
	return 0;
}
