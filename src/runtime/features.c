/* `features` (the OCI features document) and `spec` (an example config.json). */
#define LOG_CATEGORY "features"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "json-util.h"
#include "runtime-internal.h"
#include "seccomp-internal.h"

static json_object *strv_json(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

int rt_features(FILE *out, struct berth_error **err)
{
	static const char *const hooks[] = { "prestart",
					     "createRuntime",
					     "createContainer",
					     "startContainer",
					     "poststart",
					     "poststop",
					     NULL };
	static const char *const mount_opts[] = {
		"async",      "atime",	       "bind",	   "dev",	  "diratime",
		"dirsync",    "exec",	       "lazytime", "mand",	  "noatime",
		"nodev",      "nodiratime",    "noexec",   "nolazytime",  "nomand",
		"norelatime", "nostrictatime", "nosuid",   "nosymfollow", "private",
		"rbind",      "relatime",      "remount",  "ro",	  "rprivate",
		"rro",	      "rshared",       "rslave",   "runbindable", "rw",
		"shared",     "silent",	       "loud",	   "slave",	  "strictatime",
		"suid",	      "symfollow",     "sync",	   "tmpcopyup",	  "unbindable",
		NULL
	};
	static const char *const namespaces[] = { "cgroup", "ipc",  "mount", "network", "pid",
						  "time",   "user", "uts",   NULL };
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *lx = json_object_new_object(), *cg = json_object_new_object(),
		    *sc = json_object_new_object(), *caps = json_object_new_array();

	(void)err;
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string("1.2.0"));
	json_object_object_add(o, "hooks", strv_json(hooks));
	json_object_object_add(o, "mountOptions", strv_json(mount_opts));
	json_object_object_add(lx, "namespaces", strv_json(namespaces));
	for (int c = 0; c <= spec_cap_last() && (size_t)c < spec_n_cap_names; c++)
		json_object_array_add(caps, json_object_new_string(spec_cap_names[c]));
	json_object_object_add(lx, "capabilities", caps);
	json_object_object_add(cg, "v1", json_object_new_boolean(1));
	json_object_object_add(cg, "v2", json_object_new_boolean(1));
	json_object_object_add(cg, "systemd", json_object_new_boolean(0));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
	json_object_object_add(cg, "rdma", json_object_new_boolean(0));
	json_object_object_add(lx, "cgroup", cg);
	json_object_object_add(sc, "enabled", json_object_new_boolean(1));
	json_object_object_add(sc, "actions", strv_json(seccomp_action_names));
	json_object_object_add(sc, "operators", strv_json(seccomp_op_names));
	json_object_object_add(sc, "archs", strv_json(seccomp_arch_names));
	json_object_object_add(sc, "knownFlags", strv_json(seccomp_flag_names));
	json_object_object_add(sc, "supportedFlags", strv_json(seccomp_flag_names));
	json_object_object_add(lx, "seccomp", sc);
	json_object *off = json_object_new_object();
	json_object_object_add(off, "enabled", json_object_new_boolean(0));
	json_object_object_add(lx, "apparmor", json_object_get(off));
	json_object_object_add(lx, "selinux", json_object_get(off));
	json_object_object_add(lx, "intelRdt", off);
	json_object *ann = json_object_new_object();
	json_object_object_add(ann, "org.berth.runtime.version",
			       json_object_new_string(BERTH_VERSION));
	json_object_object_add(o, "linux", lx);
	json_object_object_add(o, "annotations", ann);
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}

static const char example_spec[] =
	"{\"ociVersion\":\"1.0.2\","
	"\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
	"\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"TERM=xterm\"],\"cwd\":\"/\","
	"\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]"
	","
	"\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
	"\"noNewPrivileges\":true},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"hostname\":\"berth\","
	"\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	"\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
	"\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
	"\"gid=5\"]},"
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
	"\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
	"{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
	"\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
	"\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\","
	"\"/sys/firmware\",\"/proc/scsi\",\"/sys/devices/virtual/powercap\"],"
	"\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
	"\"/proc/sysrq-trigger\"]}}";

/* Rootless: a user namespace mapping the caller, no network namespace, no
 * device cgroup, and sysfs and cgroups bound rather than mounted. */
static void make_rootless(json_object *o)
{
	json_object *lx = NULL, *ns = NULL, *mounts = NULL;
	char buf[128];

	json_object_object_get_ex(o, "linux", &lx);
	json_object_object_del(lx, "resources");
	ns = json_object_new_array();
	for (const char *const *t =
		     (const char *const[]){ "pid", "ipc", "uts", "mount", "user", NULL };
	     *t; t++) {
		json_object *n = json_object_new_object();
		json_object_object_add(n, "type", json_object_new_string(*t));
		json_object_array_add(ns, n);
	}
	json_object_object_add(lx, "namespaces", ns);
	for (const char *const *k = (const char *const[]){ "uidMappings", "gidMappings", NULL }; *k;
	     k++) {
		json_object *arr = json_object_new_array(), *m = json_object_new_object();
		json_object_object_add(m, "containerID", json_object_new_int(0));
		json_object_object_add(m, "hostID",
				       json_object_new_int64(strcmp(*k, "uidMappings") == 0
								     ? getuid()
								     : getgid()));
		json_object_object_add(m, "size", json_object_new_int(1));
		json_object_array_add(arr, m);
		json_object_object_add(lx, *k, arr);
	}
	json_object_object_get_ex(o, "mounts", &mounts);
	json_object *keep = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *d = NULL;
		json_object_object_get_ex(m, "destination", &d);
		const char *dest = json_object_get_string(d);
		if (strcmp(dest, "/sys/fs/cgroup") == 0)
			continue;
		if (strcmp(dest, "/sys") == 0) {
			(void)snprintf(
				buf, sizeof(buf),
				"{\"destination\":\"/sys\",\"type\":\"none\",\"source\":\"/sys\","
				"\"options\":[\"rbind\",\"nosuid\",\"noexec\",\"nodev\",\"ro\"]}");
			json_object_array_add(keep, json_tokener_parse(buf));
			continue;
		}
		if (strcmp(dest, "/dev/pts") == 0) {
			json_object *opts = json_object_new_array();
			for (const char *const *op =
				     (const char *const[]){ "nosuid", "noexec", "newinstance",
							    "ptmxmode=0666", "mode=0620", NULL };
			     *op; op++)
				json_object_array_add(opts, json_object_new_string(*op));
			json_object_object_add(m, "options", opts);
		}
		json_object_array_add(keep, json_object_get(m));
	}
	json_object_object_add(o, "mounts", keep);
}

int rt_spec_write(const char *dir, bool rootless, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/config.json", dir ? dir : ".");
	_cleanup_json_ json_object *o = json_tokener_parse(example_spec);

	if (!o)
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "example config does not parse");
	if (access(path, F_OK) == 0)
		return berth_error_set(err, EEXIST, BERTH_ERR_CONFLICT,
				       "File %s exists. Remove it first", path);
	if (rootless)
		make_rootless(o);
	const char *text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	_cleanup_free_ char *with_nl = xasprintf("%s\n", text);
	int r = file_write_atomic(path, with_nl, strlen(with_nl), 0666 & ~0022);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write '%s'", path);
	return 0;
}
