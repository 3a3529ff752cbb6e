/* A container's OCI config.json, from its Config and HostConfig, the way
 * docker builds it: default mounts, capabilities, masked paths, devices,
 * resources, seccomp, and the user resolved inside the image. */
#define LOG_CATEGORY "spec"
#include <ctype.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "container-net-internal.h"
#include "container-stats.h"
#include "container-mounts.h"
#include "runtime.h"
#include "spec.h"

const char *const spec_default_caps[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
	NULL,
};

static const char *const masked_paths[] = {
	"/proc/asound",
	"/proc/acpi",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
	NULL,
};
static const char *const readonly_paths[] = { "/proc/bus",	     "/proc/fs",
					      "/proc/irq",	     "/proc/sys",
					      "/proc/sysrq-trigger", NULL };

static int64_t jint(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v ? json_object_get_int64(v) : 0;
}

static bool jbool(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v && json_object_get_boolean(v);
}

static const char *jstring(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

void spec_console_size(json_object *proc, json_object *size)
{
	if (!size || !json_object_is_type(size, json_type_array) ||
	    json_object_array_length(size) != 2)
		return;
	int64_t h = json_object_get_int64(json_object_array_get_idx(size, 0));
	int64_t w = json_object_get_int64(json_object_array_get_idx(size, 1));
	if (h <= 0 || w <= 0 || h > 65535 || w > 65535)
		return;
	json_object *cs = json_object_new_object();
	jadd(cs, "height", json_object_new_int64(h));
	jadd(cs, "width", json_object_new_int64(w));
	jadd(proc, "consoleSize", cs);
}

static void add_mount(json_object *a, const char *dst, const char *type, const char *src,
		      const char *const *opts)
{
	json_object *m = json_object_new_object();
	jadd(m, "destination", jstr(dst));
	jadd(m, "type", jstr(type));
	jadd(m, "source", jstr(src));
	jadd(m, "options", jstrv((char *const *)opts));
	json_object_array_add(a, m);
}

static bool has_mount_at(json_object *user, const char *dst)
{
	for (size_t i = 0; i < json_object_array_length(user); i++)
		if (strcmp(jstring(json_object_array_get_idx(user, i), "destination"), dst) == 0)
			return true;
	return false;
}

static json_object *mounts_json(struct container *c, bool privileged)
{
	json_object *a = json_object_new_array(), *user = json_object_new_array();
	_cleanup_free_ char *shm =
		xasprintf("size=%lldk", (long long)(jint(c->host_config, "ShmSize")
							    ? jint(c->host_config, "ShmSize") / 1024
							    : 65536));
	const char *sys_ro = privileged ? "rw" : "ro";

	container_user_mounts(c, user);
	add_mount(a, "/proc", "proc", "proc",
		  (const char *[]){ "nosuid", "noexec", "nodev", NULL });
	add_mount(a, "/dev", "tmpfs", "tmpfs",
		  (const char *[]){ "nosuid", "strictatime", "mode=755", "size=65536k", NULL });
	add_mount(a, "/dev/pts", "devpts", "devpts",
		  (const char *[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
				    "gid=5", NULL });
	add_mount(a, "/sys", "sysfs", "sysfs",
		  (const char *[]){ "nosuid", "noexec", "nodev", sys_ro, NULL });
	add_mount(a, "/sys/fs/cgroup", "cgroup", "cgroup",
		  (const char *[]){ "nosuid", "noexec", "nodev", "relatime", sys_ro, NULL });
	add_mount(a, "/dev/mqueue", "mqueue", "mqueue",
		  (const char *[]){ "nosuid", "noexec", "nodev", NULL });
	if (!has_mount_at(user, "/dev/shm"))
		add_mount(a, "/dev/shm", "tmpfs", "shm",
			  (const char *[]){ "nosuid", "noexec", "nodev", "mode=1777", shm, NULL });
	static const char *const etc[] = { "resolv.conf", "hostname", "hosts" };
	for (size_t i = 0; i < ARRAY_SIZE(etc); i++) {
		_cleanup_free_ char *dst = xasprintf("/etc/%s", etc[i]);
		_cleanup_free_ char *src = xasprintf("%s/%s", c->dir, etc[i]);
		if (!has_mount_at(user, dst))
			add_mount(a, dst, "bind", src,
				  (const char *[]){ "rbind", "rprivate", NULL });
	}
	for (size_t i = 0; i < json_object_array_length(user); i++)
		json_object_array_add(a, json_object_get(json_object_array_get_idx(user, i)));
	json_object_put(user);
	return a;
}

/* Docker's capability computation: defaults (or all when privileged), then
 * drops and adds, "ALL" in either list meaning every capability. "All" is
 * every capability in berthd's own bounding set (as podman does): one the
 * daemon lacks could not be raised and would fail every privileged start. */
static char **container_caps(json_object *hc, bool privileged)
{
	char **caps = NULL;
	json_object *add = jget(hc, "CapAdd"), *drop = jget(hc, "CapDrop");
	bool add_all = false, drop_all = false;

	for (size_t i = 0; add && i < json_object_array_length(add); i++)
		add_all |= strcasecmp(json_object_get_string(json_object_array_get_idx(add, i)),
				      "ALL") == 0;
	for (size_t i = 0; drop && i < json_object_array_length(drop); i++)
		drop_all |= strcasecmp(json_object_get_string(json_object_array_get_idx(drop, i)),
				       "ALL") == 0;
	if (privileged || add_all) {
		for (int c = 0; c <= rt_cap_last(); c++)
			if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 0)
				strv_push(&caps, rt_cap_name(c));
		if (privileged)
			return caps;
	} else if (!drop_all) {
		caps = strv_copy((char *const *)spec_default_caps);
	}
	for (size_t i = 0; !add_all && add && i < json_object_array_length(add); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(add, i));
		_cleanup_free_ char *full =
			strncasecmp(n, "CAP_", 4) ? xasprintf("CAP_%s", n) : xstrdup(n);
		for (char *p = full; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (!strv_contains(caps, full))
			strv_push(&caps, full);
	}
	for (size_t i = 0; !drop_all && drop && i < json_object_array_length(drop); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(drop, i));
		_cleanup_free_ char *full =
			strncasecmp(n, "CAP_", 4) ? xasprintf("CAP_%s", n) : xstrdup(n);
		for (size_t k = 0; caps && caps[k]; k++) {
			if (strcasecmp(caps[k], full) == 0) {
				free(caps[k]);
				memmove(&caps[k], &caps[k + 1],
					strv_length(&caps[k + 1]) * sizeof(char *) +
						sizeof(char *));
				break;
			}
		}
	}
	if (!caps)
		caps = xcalloc(1, sizeof(char *));
	return caps;
}

static void env_set(char ***vars, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	if (!kv[klen])
		return;
	for (size_t k = 0; *vars && (*vars)[k]; k++) {
		if (strncmp((*vars)[k], kv, klen + 1) == 0) {
			free((*vars)[k]);
			(*vars)[k] = xstrdup(kv);
			return;
		}
	}
	strv_push(vars, kv);
}

json_object *spec_env_json(json_object *cfg, bool tty, json_object *extra, int rootfd, uint32_t uid)
{
	json_object *lists[] = { jget(cfg, "Env"), extra }, *env = json_object_new_array();
	_cleanup_strv_ char **vars = NULL;
	bool have_home = false;

	strv_push_take(&vars, xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
				      "/sbin:/bin"));
	strv_push_take(&vars, xasprintf("HOSTNAME=%s", jstring(cfg, "Hostname")));
	if (tty)
		strv_push_take(&vars, xstrdup("TERM=xterm"));
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		for (size_t i = 0; lists[l] && json_object_is_type(lists[l], json_type_array) &&
				   i < json_object_array_length(lists[l]);
		     i++) {
			const char *kv =
				json_object_get_string(json_object_array_get_idx(lists[l], i));
			have_home |= str_has_prefix(kv, "HOME=");
			env_set(&vars, kv);
		}
	}
	if (!have_home) {
		_cleanup_free_ char *home = spec_user_home(rootfd, uid);
		_cleanup_free_ char *kv = xasprintf("HOME=%s", home);
		env_set(&vars, kv);
	}
	for (size_t k = 0; vars[k]; k++)
		json_object_array_add(env, jstr(vars[k]));
	return env;
}

static json_object *process_json(struct daemon *d, struct container *c, int rootfd,
				 char *const *caps, struct berth_error **err)
{
	json_object *p = json_object_new_object(), *args = json_object_new_array();
	json_object *env = json_object_new_array(), *user = json_object_new_object();
	json_object *cfg = c->config, *hc = c->host_config, *extra = NULL;
	uint32_t uid = 0, gid = 0;
	bool tty = jbool(cfg, "Tty");

	if (spec_resolve_user(rootfd, jstring(cfg, "User"), jget(hc, "GroupAdd"), &uid, &gid,
			      &extra, err) < 0) {
		json_object_put(p);
		json_object_put(args);
		json_object_put(env);
		json_object_put(user);
		return NULL;
	}
	if (jbool(hc, "Init") && !d->init_path) {
		berth_error_set(err, ENOENT, BERTH_ERR_INTERNAL,
				"exec: \"docker-init\": executable file not found in $PATH");
		json_object_put(p);
		json_object_put(args);
		json_object_put(env);
		json_object_put(user);
		json_object_put(extra);
		return NULL;
	}
	if (jbool(hc, "Init")) {
		json_object_array_add(args, jstr("/sbin/docker-init"));
		json_object_array_add(args, jstr("--"));
	}
	static const char *const argkeys[] = { "Entrypoint", "Cmd" };
	for (size_t k = 0; k < 2; k++) {
		json_object *a = jget(cfg, argkeys[k]);
		for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
				   i < json_object_array_length(a);
		     i++)
			json_object_array_add(args,
					      json_object_get(json_object_array_get_idx(a, i)));
	}
	json_object_put(env);
	env = spec_env_json(cfg, tty, NULL, rootfd, uid);
	jadd(p, "terminal", json_object_new_boolean(tty));
	if (tty)
		spec_console_size(p, jget(hc, "ConsoleSize"));
	jadd(user, "uid", json_object_new_int64(uid));
	jadd(user, "gid", json_object_new_int64(gid));
	if (json_object_array_length(extra))
		jadd(user, "additionalGids", extra);
	else
		json_object_put(extra);
	jadd(p, "user", user);
	jadd(p, "args", args);
	jadd(p, "env", env);
	const char *wd = jstring(cfg, "WorkingDir");
	jadd(p, "cwd", jstr(wd && *wd ? wd : "/"));
	json_object *capo = json_object_new_object();
	static const char *const sets[] = { "bounding", "effective", "permitted" };
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
		jadd(capo, sets[i], jstrv(caps));
	jadd(p, "capabilities", capo);
	json_object *ul = jget(hc, "Ulimits"), *rl = json_object_new_array();
	for (size_t i = 0; ul && i < json_object_array_length(ul); i++) {
		json_object *u = json_object_array_get_idx(ul, i), *r = json_object_new_object();
		_cleanup_free_ char *name = xasprintf("RLIMIT_%s", jstring(u, "Name"));
		for (char *q = name; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		jadd(r, "type", jstr(name));
		jadd(r, "hard", json_object_new_int64(jint(u, "Hard")));
		jadd(r, "soft", json_object_new_int64(jint(u, "Soft")));
		json_object_array_add(rl, r);
	}
	jadd(p, "rlimits", rl);
	json_object *sec = jget(hc, "SecurityOpt");
	bool nnp = false;
	for (size_t i = 0; sec && i < json_object_array_length(sec); i++) {
		const char *o = json_object_get_string(json_object_array_get_idx(sec, i));
		nnp |= strcmp(o, "no-new-privileges") == 0 ||
		       strcmp(o, "no-new-privileges:true") == 0 ||
		       strcmp(o, "no-new-privileges=true") == 0;
	}
	jadd(p, "noNewPrivileges", json_object_new_boolean(nnp));
	jadd(p, "oomScoreAdj", json_object_new_int((int)jint(hc, "OomScoreAdj")));
	return p;
}

static json_object *resources_json(struct container *c, bool privileged)
{
	json_object *r = json_object_new_object(), *hc = c->host_config;
	json_object *devices = json_object_new_array();

	if (!privileged) {
		static const struct {
			const char *type;
			int major, minor;
			const char *access;
			bool allow;
		} rules[] = {
			{ "a", -1, -1, "rwm", false }, { "c", -1, -1, "m", true },
			{ "b", -1, -1, "m", true },    { "c", 1, 3, "rwm", true },
			{ "c", 1, 8, "rwm", true },    { "c", 1, 7, "rwm", true },
			{ "c", 5, 0, "rwm", true },    { "c", 1, 5, "rwm", true },
			{ "c", 1, 9, "rwm", true },    { "c", 136, -1, "rwm", true },
			{ "c", 5, 2, "rwm", true },    { "c", 10, 200, "rwm", true },
		};
		for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
			json_object *d = json_object_new_object();
			jadd(d, "allow", json_object_new_boolean(rules[i].allow));
			jadd(d, "type", jstr(rules[i].type));
			if (rules[i].major >= 0)
				jadd(d, "major", json_object_new_int(rules[i].major));
			if (rules[i].minor >= 0)
				jadd(d, "minor", json_object_new_int(rules[i].minor));
			jadd(d, "access", jstr(rules[i].access));
			json_object_array_add(devices, d);
		}
	} else {
		json_object *d = json_object_new_object();
		jadd(d, "allow", json_object_new_boolean(1));
		jadd(d, "access", jstr("rwm"));
		json_object_array_add(devices, d);
	}
	jadd(r, "devices", devices);
	json_object *mem = json_object_new_object();
	if (jint(hc, "Memory") > 0)
		jadd(mem, "limit", json_object_new_int64(jint(hc, "Memory")));
	if (jint(hc, "MemoryReservation") > 0)
		jadd(mem, "reservation", json_object_new_int64(jint(hc, "MemoryReservation")));
	if (jint(hc, "MemorySwap") != 0 && jint(hc, "Memory") > 0)
		jadd(mem, "swap", json_object_new_int64(jint(hc, "MemorySwap")));
	jadd(r, "memory", mem);
	json_object *cpu = json_object_new_object();
	if (jint(hc, "CpuShares"))
		jadd(cpu, "shares", json_object_new_int64(jint(hc, "CpuShares")));
	if (jint(hc, "NanoCpus")) {
		jadd(cpu, "period", json_object_new_int64(100000));
		jadd(cpu, "quota",
		     json_object_new_int64(jint(hc, "NanoCpus") * 100000 / 1000000000));
	}
	if (jint(hc, "CpuQuota"))
		jadd(cpu, "quota", json_object_new_int64(jint(hc, "CpuQuota")));
	if (jint(hc, "CpuPeriod"))
		jadd(cpu, "period", json_object_new_int64(jint(hc, "CpuPeriod")));
	if (jstring(hc, "CpusetCpus") && *jstring(hc, "CpusetCpus"))
		jadd(cpu, "cpus", jstr(jstring(hc, "CpusetCpus")));
	if (jstring(hc, "CpusetMems") && *jstring(hc, "CpusetMems"))
		jadd(cpu, "mems", jstr(jstring(hc, "CpusetMems")));
	jadd(r, "cpu", cpu);
	/* as update writes it; dropped where the host has no weights (dockerd
	 * discards it there) */
	if (jint(hc, "BlkioWeight") > 0 && container_blkio_weight_supported()) {
		json_object *bio = json_object_new_object();
		jadd(bio, "weight", json_object_new_int64(jint(hc, "BlkioWeight")));
		jadd(r, "blockIO", bio);
	}
	if (jint(hc, "PidsLimit") > 0) {
		json_object *pids = json_object_new_object();
		jadd(pids, "limit", json_object_new_int64(jint(hc, "PidsLimit")));
		jadd(r, "pids", pids);
	}
	return r;
}

/* The network namespace: none with host networking, the one berthd made
 * (or the one of the container named by container:X) by path, else new. */
static int namespaces_json(struct container *c, json_object **ret, struct berth_error **err)
{
	json_object *a = json_object_new_array();
	static const char *const types[] = { "pid", "ipc", "uts", "mount", "network" };
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_free_ char *netns = container_netns_join(the_daemon, c, &e);

	if (e) {
		json_object_put(a);
		*err = TAKE_PTR(e);
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (strcmp(types[i], "network") == 0 && container_net_mode_is(c, "host"))
			continue;
		json_object *n = json_object_new_object();
		jadd(n, "type", jstr(types[i]));
		if (strcmp(types[i], "network") == 0 && netns)
			jadd(n, "path", jstr(netns));
		json_object_array_add(a, n);
	}
	*ret = a;
	return 0;
}

static json_object *host_devices;

static int add_host_device(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	static const char *const skip[] = { "/dev/pts", "/dev/shm", "/dev/mqueue", NULL };

	(void)ftw;
	if (flag == FTW_D && strv_contains((char *const *)skip, path))
		return FTW_SKIP_SUBTREE;
	if (flag != FTW_F || (!S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode)) ||
	    strcmp(path, "/dev/console") == 0)
		return FTW_CONTINUE;
	json_object *d = json_object_new_object();
	jadd(d, "path", jstr(path));
	jadd(d, "type", jstr(S_ISBLK(st->st_mode) ? "b" : "c"));
	jadd(d, "major", json_object_new_int64(major(st->st_rdev)));
	jadd(d, "minor", json_object_new_int64(minor(st->st_rdev)));
	jadd(d, "fileMode", json_object_new_int64(st->st_mode & 07777));
	jadd(d, "uid", json_object_new_int64(st->st_uid));
	jadd(d, "gid", json_object_new_int64(st->st_gid));
	json_object_array_add(host_devices, d);
	return FTW_CONTINUE;
}

/* --privileged: the host's devices, as docker gives them (not its terminals'
 * pts, shm or mqueue, which the container has its own of). */
static json_object *privileged_devices_json(void)
{
	host_devices = json_object_new_array();
	(void)nftw("/dev", add_host_device, 16, FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL);
	json_object *a = host_devices;
	host_devices = NULL;
	return a;
}

static int linux_json(struct container *c, char *const *caps, bool privileged, json_object **ret,
		      struct berth_error **err)
{
	json_object *l = json_object_new_object(), *hc = c->host_config;
	const char *parent = jstring(hc, "CgroupParent");
	_cleanup_free_ char *cg =
		xasprintf("%s/%s", parent && *parent ? parent : the_daemon->cgroup_parent, c->id);

	json_object *ns = NULL;
	if (namespaces_json(c, &ns, err) < 0) {
		json_object_put(l);
		return -EINVAL;
	}
	jadd(l, "cgroupsPath", jstr(cg));
	jadd(l, "namespaces", ns);
	jadd(l, "resources", resources_json(c, privileged));
	if (!privileged) {
		jadd(l, "maskedPaths", jstrv((char *const *)masked_paths));
		jadd(l, "readonlyPaths", jstrv((char *const *)readonly_paths));
	} else {
		jadd(l, "devices", privileged_devices_json());
	}
	json_object *sysctl = jget(hc, "Sysctls");
	if (sysctl)
		jadd(l, "sysctl", json_object_get(sysctl));
	json_object *sec = jget(hc, "SecurityOpt");
	const char *profile = NULL;
	for (size_t i = 0; sec && i < json_object_array_length(sec); i++) {
		const char *o = json_object_get_string(json_object_array_get_idx(sec, i));
		if (str_has_prefix(o, "seccomp=") || str_has_prefix(o, "seccomp:"))
			profile = o + strlen("seccomp=");
	}
	json_object *sc = NULL;
	int r;
	if (privileged || (profile && strcmp(profile, "unconfined") == 0)) {
		/* no filter */
	} else if (profile) {
		/* The docker CLI sends the profile file's JSON, in Docker's format. */
		_cleanup_json_ json_object *doc = NULL;
		if ((r = json_parse_text(profile, strlen(profile), 32, "seccomp profile", &doc,
					 err)) < 0 ||
		    (r = spec_seccomp_convert(doc, caps, &sc, err)) < 0) {
			json_object_put(l);
			return r;
		}
	} else if ((r = spec_seccomp_default(caps, &sc, err)) < 0) {
		json_object_put(l);
		return r;
	}
	if (sc)
		jadd(l, "seccomp", sc);
	*ret = l;
	return 0;
}

int container_oci_spec(struct daemon *d, struct container *c, struct image_rec *img,
		       char **ret_json, struct berth_error **err)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", c->dir);
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool privileged = jbool(c->host_config, "Privileged");
	_cleanup_strv_ char **caps = container_caps(c->host_config, privileged);
	json_object *lx = NULL;
	int r;

	(void)img;
	if (rootfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", rootfs);
	json_object *proc = process_json(d, c, rootfd, caps, err);
	if (!proc)
		return -EINVAL;
	jadd(o, "ociVersion", jstr("1.0.2"));
	jadd(o, "process", proc);
	json_object *root = json_object_new_object();
	jadd(root, "path", jstr(rootfs));
	jadd(root, "readonly", json_object_new_boolean(jbool(c->host_config, "ReadonlyRootfs")));
	jadd(o, "root", root);
	jadd(o, "hostname", jstr(jstring(c->config, "Hostname")));
	if (jstring(c->config, "Domainname") && *jstring(c->config, "Domainname"))
		jadd(o, "domainname", jstr(jstring(c->config, "Domainname")));
	json_object *mounts = mounts_json(c, privileged);
	if (jbool(c->host_config, "Init") && d->init_path)
		add_mount(mounts, "/sbin/docker-init", "bind", d->init_path,
			  (const char *[]){ "bind", "ro", NULL });
	jadd(o, "mounts", mounts);
	if ((r = linux_json(c, caps, privileged, &lx, err)) < 0)
		return r;
	jadd(o, "linux", lx);
	*ret_json = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	return 0;
}
