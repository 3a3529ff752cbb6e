/* Unit tests of the cgroup module against the real kernel: they create
 * cgroups under /berth-test-<pid> in every hierarchy (and remove them again,
 * even on failure), move forked children into them, freeze, list, kill, and
 * check the files on disk. A pure cgroup v2 host is simulated in a child with
 * its own mount namespace and cgroup2 mounted on /sys/fs/cgroup. Root only. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "tap.h"

#define MB (1024 * 1024)

static char base[64], base_v2[64];
static volatile uint64_t *counter; /* shared with the spinning children */

static void cleanup(void)
{
	const char *paths[] = { base, base_v2 };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
		if (paths[i][0] && cgroup_from_path(paths[i], &cg, NULL) == 0) {
			(void)cgroup_kill_all(cg, SIGKILL, NULL);
			(void)cgroup_destroy(cg, NULL);
		}
	}
}

__attribute__((constructor(200))) static void setup(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		exit(77);
	}
	(void)snprintf(base, sizeof(base), "/berth-test-%d", (int)getpid());
	(void)snprintf(base_v2, sizeof(base_v2), "/berth-test-%d-v2", (int)getpid());
	counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counter == MAP_FAILED)
		abort();
	(void)atexit(cleanup);
	log_set_level(LOG_LEVEL_ERROR);
}

/* The mount point of the hierarchy whose super options hold opt ("memory",
 * "name=systemd"), or of cgroup2 for NULL. */
static char *mount_of(const char *opt)
{
	_cleanup_free_ char *text = NULL;
	char *found = NULL;

	if (file_read_all("/proc/self/mountinfo", 1 << 20, &text, NULL) < 0)
		return NULL;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char mp[512], type[32], opts[512];
		const char *sep = strstr(l, " - ");
		if (!sep || sscanf(l, "%*s %*s %*s %*s %511s", mp) != 1 ||
		    sscanf(sep + 3, "%31s %*s %511s", type, opts) != 2)
			continue;
		_cleanup_free_ char *o = xasprintf(",%s,", opts);
		_cleanup_free_ char *want = xasprintf(",%s,", opt ? opt : "");
		if ((!opt && strcmp(type, "cgroup2") == 0) ||
		    (opt && strcmp(type, "cgroup") == 0 && strstr(o, want))) {
			free(found);
			found = xstrdup(mp);
		}
	}
	return found;
}

static bool has_hier(const char *opt)
{
	_cleanup_free_ char *mp = mount_of(opt);

	return mp != NULL;
}

/* The content of <hierarchy of opt><path>/<file>, without its last newline. */
static char *cg_file(const char *opt, const char *path, const char *file)
{
	_cleanup_free_ char *mp = mount_of(opt);
	_cleanup_free_ char *full = NULL;
	char *text = NULL;

	if (!mp)
		return NULL;
	full = xasprintf("%s%s/%s", mp, path, file);
	if (file_read_all(full, 1 << 20, &text, NULL) < 0)
		return NULL;
	size_t n = strlen(text);
	if (n && text[n - 1] == '\n')
		text[n - 1] = '\0';
	return text;
}

static bool cg_dir_exists(const char *opt, const char *path)
{
	_cleanup_free_ char *mp = mount_of(opt);
	_cleanup_free_ char *full = mp ? xasprintf("%s%s", mp, path) : NULL;
	struct stat st;

	return full && stat(full, &st) == 0;
}

/* A child that spins (bumping *counter) after the parent lets it go. */
static pid_t spawn_spinner(int *ret_go)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		(void)close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		for (;;)
			__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
	}
	(void)close(p[0]);
	*ret_go = p[1];
	return pid;
}

/* Run fn in a child placed in cg first; its exit status (0 = passed). */
static int run_in_cgroup(struct rt_cgroup *cg, int (*fn)(void))
{
	int p[2], status = 0;
	char c = 'x';

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		(void)close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? fn() : 1);
	}
	(void)close(p[0]);
	if (cgroup_enter(cg, pid, NULL) < 0)
		(void)kill(pid, SIGKILL);
	else if (write(p[1], &c, 1) != 1)
		(void)kill(pid, SIGKILL);
	(void)close(p[1]);
	(void)waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run fn in a forked child (for tests that change the child's namespaces). */
static int run_child(int (*fn)(void))
{
	int status = 0;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	(void)waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool spinning(void)
{
	uint64_t a = __atomic_load_n(counter, __ATOMIC_RELAXED);

	usleep(30000);
	return __atomic_load_n(counter, __ATOMIC_RELAXED) != a;
}

static char *proc_field(pid_t pid, const char *file, const char *key)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
	_cleanup_free_ char *text = NULL;
	const char *p;

	if (file_read_all(path, 1 << 16, &text, NULL) < 0 || !(p = strstr(text, key)))
		return NULL;
	return xstrndup(p, strcspn(p, "\n"));
}

TEST(paths)
{
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	enum cgroup_mode mode = CGROUP_MODE_MAX;

	ASSERT_OK(cgroup_mode_detect(&mode, NULL));
	ASSERT_TRUE(mode < CGROUP_MODE_MAX);
	printf("# cgroup mode: %s\n", cgroup_mode_name(mode));
	ASSERT_OK(cgroup_new(NULL, "abc", &cg, NULL));
	ASSERT_STREQ(cgroup_path(cg), "/berth/abc");
	cg = cgroup_free(cg);
	ASSERT_OK(cgroup_new("foo/bar", "abc", &cg, NULL));
	ASSERT_STREQ(cgroup_path(cg), "/foo/bar");
	cg = cgroup_free(cg);
	ASSERT_OK(cgroup_new("/a//b/./c/", "abc", &cg, NULL));
	ASSERT_STREQ(cgroup_path(cg), "/a/b/c");
	cg = cgroup_free(cg);
	ASSERT_TRUE(cgroup_new("system.slice:berth:abc", "abc", &cg, &err) < 0);
	ASSERT_CONTAINS(err->msg, "the systemd cgroup driver is not supported; use a cgroupsPath "
				  "that is a path");
	berth_error_freep(&err);
	ASSERT_TRUE(cgroup_new("/a/../b", "abc", &cg, &err) < 0);
	ASSERT_CONTAINS(err->msg, "'..'");
	berth_error_freep(&err);
	ASSERT_TRUE(cgroup_new(NULL, "../x", &cg, &err) < 0);
	berth_error_freep(&err);
	ASSERT_TRUE(cgroup_new("/", "abc", &cg, &err) < 0);
	berth_error_freep(&err);
	ASSERT_TRUE(cgroup_from_path("relative", &cg, &err) < 0);
}

static int devices_check(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	(void)close(fd);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	(void)close(fd);
	CHILD_CHECK(open("/dev/zero", O_WRONLY | O_CLOEXEC) < 0 && errno == EPERM);
	CHILD_CHECK(open("/dev/full", O_RDONLY | O_CLOEXEC) < 0 && errno == EPERM);
	return 0;
}

static const struct rt_device_rule test_rules[] = {
	{ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
	{ .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm" },
	{ .allow = true, .type = 'c', .major = 1, .minor = 5, .access = "r" },
	{ .allow = true, .type = 'a', .major = 136, .minor = -1, .access = "rw" },
};

static void check_v1_files(int *tap_failed, const char *path)
{
	_cleanup_free_ char *v = NULL;

#define CHECK_FILE(opt, file, want)                                                                \
	do {                                                                                       \
		free(v);                                                                           \
		v = cg_file(opt, path, file);                                                      \
		ASSERT_STREQ(v, want);                                                             \
	} while (0)
	CHECK_FILE("memory", "memory.limit_in_bytes", "67108864");
	CHECK_FILE("memory", "memory.memsw.limit_in_bytes", "134217728");
	CHECK_FILE("memory", "memory.soft_limit_in_bytes", "33554432");
	CHECK_FILE("memory", "memory.swappiness", "10");
	CHECK_FILE("pids", "pids.max", "50");
	CHECK_FILE("cpu", "cpu.shares", "512");
	CHECK_FILE("cpu", "cpu.cfs_quota_us", "50000");
	CHECK_FILE("cpu", "cpu.cfs_period_us", "100000");
	CHECK_FILE("cpuset", "cpuset.cpus", "0");
	CHECK_FILE("cpuset", "cpuset.mems", "0");
	CHECK_FILE("devices", "devices.list", "c 1:3 rwm\nc 1:5 r\nc 136:* rw\nb 136:* rw");
#undef CHECK_FILE
}

static bool have_2mb_pages(void)
{
	return access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0;
}

TEST(v1_lifecycle)
{
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *path = xasprintf("%s/c1", base);
	_cleanup_free_ char *v = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	struct rt_hugepage_limit hp = { .page_size = (char *)"2MB", .limit = 4 * 2 * MB };
	struct rt_resources res = {
		.has_memory_limit = true,
		.memory_limit = 64 * MB,
		.has_memory_swap = true,
		.memory_swap = 128 * MB,
		.has_memory_reservation = true,
		.memory_reservation = 32 * MB,
		.has_memory_swappiness = true,
		.memory_swappiness = 10,
		.has_kernel_memory = true,
		.kernel_memory = 64 * MB,
		.has_pids_limit = true,
		.pids_limit = 50,
		.has_cpu_shares = true,
		.cpu_shares = 512,
		.has_cpu_quota = true,
		.cpu_quota = 50000,
		.has_cpu_period = true,
		.cpu_period = 100000,
		.cpus = (char *)"0",
		.mems = (char *)"0",
		.device_rules = (struct rt_device_rule *)test_rules,
		.n_device_rules = ARRAY_SIZE(test_rules),
	};
	const char *hiers[] = { "cpu",	   "cpuacct", "cpuset", "memory",      "devices",
				"freezer", "blkio",   "pids",	"name=systemd" };
	bool frozen = true;
	size_t n = 0;
	int go = -1, status = 0;

	if (cgroup_mode_detect(&(enum cgroup_mode){ 0 }, NULL) < 0 || !has_hier("memory")) {
		printf("# no v1 memory hierarchy, skipped\n");
		return;
	}
	if (have_2mb_pages() && has_hier(NULL)) {
		res.hugepage_limits = &hp;
		res.n_hugepage_limits = 1;
	}
	ASSERT_OK(cgroup_new(path, "x", &cg, NULL));
	if (cgroup_create(cg, &res, &err) < 0)
		TAP_FAIL("%s", err->msg);
	ASSERT_TRUE(cgroup_exists(cg));
	for (size_t i = 0; i < ARRAY_SIZE(hiers); i++)
		if (has_hier(hiers[i]))
			ASSERT_TRUE(cg_dir_exists(hiers[i], path));
	if (has_hier(NULL))
		ASSERT_TRUE(cg_dir_exists(NULL, path));
	check_v1_files(tap_failed, path);
	if (*tap_failed)
		return;
	if (res.n_hugepage_limits) {
		v = cg_file(NULL, path, "hugetlb.2MB.max");
		ASSERT_STREQ(v, "8388608");
	}
	ASSERT_EQ(run_in_cgroup(cg, devices_check), 0);

	/* enter, freeze, list, kill */
	pid_t pid = spawn_spinner(&go);
	ASSERT_TRUE(pid > 0);
	ASSERT_OK(cgroup_enter(cg, pid, NULL));
	ASSERT_EQ(write(go, "x", 1), 1);
	(void)close(go);
	free(v);
	v = proc_field(pid, "cgroup", ":memory:");
	_cleanup_free_ char *want = xasprintf(":memory:%s", path);
	ASSERT_STREQ(v, want);
	free(v);
	v = proc_field(pid, "cgroup", "0::");
	free(want);
	want = xasprintf("0::%s", path);
	ASSERT_STREQ(v, want);
	ASSERT_TRUE(spinning());
	ASSERT_OK(cgroup_is_frozen(cg, &frozen, NULL));
	ASSERT_FALSE(frozen);
	ASSERT_OK(cgroup_freeze(cg, true, NULL));
	ASSERT_OK(cgroup_is_frozen(cg, &frozen, NULL));
	ASSERT_TRUE(frozen);
	free(v);
	v = proc_field(pid, "status", "State:");
	printf("# frozen child: %s\n", v ? v : "?");
	ASSERT_FALSE(spinning());
	ASSERT_OK(cgroup_freeze(cg, false, NULL));
	ASSERT_TRUE(spinning());

	/* A nested cgroup the container made itself. */
	_cleanup_free_ char *mp = mount_of("pids");
	_cleanup_free_ char *sub = xasprintf("%s%s/sub", mp, path);
	pid_t pid2 = spawn_spinner(&go);
	ASSERT_TRUE(pid2 > 0);
	ASSERT_OK(cgroup_enter(cg, pid2, NULL));
	ASSERT_EQ(write(go, "x", 1), 1);
	(void)close(go);
	ASSERT_OK(mkdir(sub, 0755));
	_cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", sub);
	char text[16];
	(void)snprintf(text, sizeof(text), "%d", (int)pid2);
	ASSERT_OK(file_write_str_at(AT_FDCWD, procs, text));
	ASSERT_OK(cgroup_pids(cg, &pids, &n, NULL));
	ASSERT_EQ(n, 2);
	ASSERT_TRUE((pids[0] == pid && pids[1] == pid2) || (pids[0] == pid2 && pids[1] == pid));
	/* Not SIGKILL: freeze, signal each, thaw. */
	ASSERT_OK(cgroup_kill_all(cg, SIGTERM, NULL));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ASSERT_EQ(waitpid(pid2, &status, 0), pid2);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ASSERT_OK(cgroup_is_frozen(cg, &frozen, NULL));
	ASSERT_FALSE(frozen);
	ASSERT_OK(cgroup_kill_all(cg, SIGTERM, NULL)); /* nobody left */

	if (cgroup_destroy(cg, &err) < 0)
		TAP_FAIL("%s", err->msg);
	ASSERT_FALSE(cgroup_exists(cg));
	ASSERT_FALSE(cg_dir_exists("pids", path));
	for (size_t i = 0; i < ARRAY_SIZE(hiers); i++)
		ASSERT_FALSE(cg_dir_exists(hiers[i], path));
	ASSERT_FALSE(cg_dir_exists(NULL, path));
	ASSERT_OK(cgroup_destroy(cg, NULL)); /* already gone: fine */
}

TEST(v1_update_memory)
{
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *path = xasprintf("%s/update", base);
	_cleanup_free_ char *v = NULL;
	struct rt_resources res = { .has_memory_limit = true,
				    .memory_limit = 64 * MB,
				    .has_memory_swap = true,
				    .memory_swap = 128 * MB };

	if (!has_hier("memory"))
		return;
	ASSERT_OK(cgroup_new(path, "x", &cg, NULL));
	ASSERT_OK(cgroup_create(cg, &res, NULL));
	/* Raising past the memsw limit needs memsw first. */
	res.memory_limit = 256 * MB;
	res.memory_swap = 512 * MB;
	if (cgroup_apply(cg, &res, &err) < 0)
		TAP_FAIL("%s", err->msg);
	v = cg_file("memory", path, "memory.limit_in_bytes");
	ASSERT_STREQ(v, "268435456");
	free(v);
	v = cg_file("memory", path, "memory.memsw.limit_in_bytes");
	ASSERT_STREQ(v, "536870912");
	res.memory_limit = 16 * MB;
	res.memory_swap = 24 * MB;
	ASSERT_OK(cgroup_apply(cg, &res, NULL));
	free(v);
	v = cg_file("memory", path, "memory.memsw.limit_in_bytes");
	ASSERT_STREQ(v, "25165824");
	res.memory_swap = 8 * MB; /* below the limit */
	ASSERT_TRUE(cgroup_apply(cg, &res, &err) < 0);
	ASSERT_CONTAINS(err->msg, "write 'memory.memsw.limit_in_bytes' = '8388608' in '");
	ASSERT_OK(cgroup_destroy(cg, NULL));
}

/* Create must fail with msg and leave nothing behind. */
static void expect_create_error(int *tap_failed, const char *name, const struct rt_resources *res,
				const char *msg)
{
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *path = xasprintf("%s/%s", base, name);

	ASSERT_OK(cgroup_new(path, "x", &cg, NULL));
	ASSERT_TRUE(cgroup_create(cg, res, &err) < 0);
	ASSERT_CONTAINS(err->msg, msg);
	ASSERT_FALSE(cgroup_exists(cg));
}

TEST(errors)
{
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *msg = NULL;
	struct rt_kv kv = { .key = (char *)"memory.max", .value = (char *)"1000000" };
	bool frozen = true;

	if (!has_hier("net_cls")) {
		struct rt_resources r = { .has_net_class_id = true, .net_class_id = 0x100001 };
		expect_create_error(tap_failed, "netcls", &r,
				    "linux.resources.network.classID: the net_cls controller is "
				    "not mounted on this host");
	}
	if (has_hier("cpuset")) {
		struct rt_resources r = { .has_memory_limit = true,
					  .memory_limit = 64 * MB,
					  .cpus = (char *)"99" };
		_cleanup_free_ char *mp = mount_of("cpuset");
		msg = xasprintf("write 'cpuset.cpus' = '99' in '%s%s/cpus': ", mp, base);
		expect_create_error(tap_failed, "cpus", &r, msg);
	}
	if (has_hier("memory")) {
		struct rt_resources r = { .has_memory_limit = true,
					  .memory_limit = 64 * MB,
					  .has_memory_swap = true,
					  .memory_swap = 32 * MB };
		expect_create_error(tap_failed, "swap", &r, "'memory.memsw.limit_in_bytes'");
	}
	if (has_hier("memory") && has_hier(NULL)) {
		struct rt_resources r = { .unified = &kv, .n_unified = 1 };
		expect_create_error(tap_failed, "unified", &r,
				    "linux.resources.unified.memory.max");
	}
	if (*tap_failed)
		return;
	/* A cgroup that does not exist: nothing to kill, nothing to thaw. */
	_cleanup_free_ char *gone = xasprintf("%s/none", base);
	ASSERT_OK(cgroup_from_path(gone, &cg, NULL));
	ASSERT_OK(cgroup_kill_all(cg, SIGKILL, NULL));
	ASSERT_TRUE(cgroup_freeze(cg, true, &err) < 0);
	ASSERT_TRUE(cgroup_is_frozen(cg, &frozen, NULL) < 0);
	ASSERT_OK(cgroup_destroy(cg, NULL));
}

TEST(default_parent)
{
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_free_ char *id = xasprintf("berth-test-%d", (int)getpid());
	_cleanup_free_ char *path = xasprintf("/berth/%s", id);

	ASSERT_OK(cgroup_new(NULL, id, &cg, NULL));
	ASSERT_STREQ(cgroup_path(cg), path);
	bool had_parent = cg_dir_exists("memory", "/berth");
	ASSERT_OK(cgroup_create(cg, NULL, NULL));
	ASSERT_TRUE(cgroup_exists(cg));
	ASSERT_OK(cgroup_destroy(cg, NULL));
	ASSERT_FALSE(cgroup_exists(cg));
	if (!had_parent && has_hier("memory"))
		printf("# /berth removed: %s\n", cg_dir_exists("memory", "/berth") ? "no" : "yes");
}

static struct rt_cgroup *test_cg; /* for the children below */
static char tmpdir[64];

static bool read_is(const char *dir, const char *file, const char *want)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_free_ char *text = NULL;

	return file_read_all(path, 1 << 16, &text, NULL) == 0 && strcmp(text, want) == 0;
}

static bool exists_in(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

	return access(path, F_OK) == 0;
}

static int mount_here(bool cgroupns, unsigned long flags)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_close_ int fd = open(tmpdir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || cgroup_mount_in_container(test_cg, fd, flags, cgroupns, &err) < 0) {
		dprintf(1, "# mount: %s\n", err ? err->msg : "open");
		return -1;
	}
	return 0;
}

static int v1_cgroupns_mount(void)
{
	_cleanup_free_ char *mine = xasprintf("%d\n", (int)getpid());

	CHILD_CHECK(unshare(CLONE_NEWCGROUP) == 0);
	CHILD_CHECK(mount_here(true, MS_NOSUID) == 0);
	CHILD_CHECK(read_is(tmpdir, "memory/memory.limit_in_bytes", "67108864\n"));
	CHILD_CHECK(read_is(tmpdir, "memory/cgroup.procs", mine));
	CHILD_CHECK(read_is(tmpdir, "unified/cgroup.procs", mine));
	CHILD_CHECK(read_is(tmpdir, "systemd/cgroup.procs", mine));
	CHILD_CHECK(umount2(tmpdir, MNT_DETACH) == 0);
	return 0;
}

static int v1_mount_child(void)
{
	CHILD_CHECK(unshare(CLONE_NEWNS) == 0);
	CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHILD_CHECK(mount_here(false, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) == 0);
	CHILD_CHECK(read_is(tmpdir, "memory/memory.limit_in_bytes", "67108864\n"));
	CHILD_CHECK(read_is(tmpdir, "memory/cgroup.procs", ""));
	CHILD_CHECK(exists_in(tmpdir, "cpu/cpu.shares"));
	CHILD_CHECK(!has_hier(NULL) || exists_in(tmpdir, "unified/cgroup.freeze"));
	CHILD_CHECK(!has_hier("name=systemd") || exists_in(tmpdir, "systemd/cgroup.procs"));
	_cleanup_free_ char *x = xasprintf("%s/x", tmpdir);
	CHILD_CHECK(mkdir(x, 0755) < 0 && errno == EROFS);
	_cleanup_free_ char *lim = xasprintf("%s/memory/memory.limit_in_bytes", tmpdir);
	CHILD_CHECK(open(lim, O_WRONLY | O_CLOEXEC) < 0 && errno == EROFS);
	CHILD_CHECK(umount2(tmpdir, MNT_DETACH) == 0);
	return run_in_cgroup(test_cg, v1_cgroupns_mount);
}

TEST(v1_mount_in_container)
{
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_free_ char *path = xasprintf("%s/mnt", base);
	struct rt_resources res = { .has_memory_limit = true, .memory_limit = 64 * MB };
	enum cgroup_mode mode;

	ASSERT_OK(cgroup_mode_detect(&mode, NULL));
	if (mode == CGROUP_MODE_V2 || !has_hier("memory") || !has_hier("cpu"))
		return;
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-test-cg-XXXXXX");
	ASSERT_TRUE(mkdtemp(tmpdir));
	ASSERT_OK(cgroup_new(path, "x", &cg, NULL));
	ASSERT_OK(cgroup_create(cg, &res, NULL));
	test_cg = cg;
	int r = run_child(v1_mount_child);
	test_cg = NULL;
	(void)rmdir(tmpdir);
	ASSERT_EQ(r, 0);
	ASSERT_OK(cgroup_destroy(cg, NULL));
}

static int v2_devices_denied(void)
{
	CHILD_CHECK(open("/dev/null", O_RDONLY | O_CLOEXEC) < 0 && errno == EPERM);
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	(void)close(fd);
	return 0;
}

static int v2_devices_open(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	(void)close(fd);
	return 0;
}

static int v2_devices_list(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	(void)close(fd);
	CHILD_CHECK(open("/dev/null", O_WRONLY | O_CLOEXEC) < 0 && errno == EPERM);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	(void)close(fd);
	CHILD_CHECK(open("/dev/zero", O_RDWR | O_CLOEXEC) < 0 && errno == EPERM);
	CHILD_CHECK(open("/dev/full", O_RDONLY | O_CLOEXEC) < 0 && errno == EPERM);
	return 0;
}

static int v2_cgroupns_mount(void)
{
	CHILD_CHECK(unshare(CLONE_NEWCGROUP) == 0);
	CHILD_CHECK(mount_here(true, MS_RDONLY) == 0);
	CHILD_CHECK(exists_in(tmpdir, "cgroup.freeze")); /* not the root cgroup */
	CHILD_CHECK(umount2(tmpdir, MNT_DETACH) == 0);
	return 0;
}

static int v2_step(struct rt_cgroup *cg, const struct rt_device_rule *rules, size_t n,
		   int (*check)(void))
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_resources res = { .device_rules = (struct rt_device_rule *)rules,
				    .n_device_rules = n };

	if (cgroup_apply(cg, &res, &err) < 0) {
		dprintf(1, "# apply: %s\n", err->msg);
		return 1;
	}
	return run_in_cgroup(cg, check);
}

static int v2_freeze_kill(struct rt_cgroup *cg)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	bool frozen = false;
	int go = -1, status = 0;
	pid_t pid = spawn_spinner(&go);

	CHILD_CHECK(pid > 0 && cgroup_enter(cg, pid, NULL) == 0);
	CHILD_CHECK(write(go, "x", 1) == 1);
	(void)close(go);
	CHILD_CHECK(spinning());
	CHILD_CHECK(cgroup_freeze(cg, true, NULL) == 0);
	CHILD_CHECK(cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen);
	_cleanup_free_ char *ev = NULL;
	_cleanup_free_ char *evp = xasprintf("/sys/fs/cgroup%s/cgroup.events", cgroup_path(cg));
	CHILD_CHECK(file_read_all(evp, 4096, &ev, NULL) == 0 && strstr(ev, "frozen 1"));
	CHILD_CHECK(!spinning());
	CHILD_CHECK(cgroup_freeze(cg, false, NULL) == 0);
	CHILD_CHECK(spinning());
	CHILD_CHECK(cgroup_pids(cg, &pids, &n, NULL) == 0 && n == 1 && pids[0] == pid);
	CHILD_CHECK(cgroup_kill_all(cg, SIGKILL, NULL) == 0);
	CHILD_CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
	return 0;
}

static int v2_child(void)
{
	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *path = xasprintf("%s/c1", base_v2);
	_cleanup_free_ char *dir = xasprintf("/sys/fs/cgroup%s", path);
	_cleanup_free_ char *ctrls = NULL;
	struct rt_device_rule deny_null = { .type = 'c', .major = 1, .minor = 3, .access = "rwm" };
	struct rt_device_rule list[] = {
		{ .allow = true, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
		{ .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
		{ .allow = true, .type = 'c', .major = 1, .minor = 5, .access = "r" },
		{ .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm" },
		{ .type = 'c', .major = 1, .minor = 3, .access = "w" },
	};
	struct rt_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	enum cgroup_mode mode;

	CHILD_CHECK(unshare(CLONE_NEWNS) == 0);
	CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHILD_CHECK(umount2("/sys/fs/cgroup", MNT_DETACH) == 0);
	CHILD_CHECK(mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) == 0);
	cgroup_layout_invalidate();
	CHILD_CHECK(cgroup_mode_detect(&mode, NULL) == 0 && mode == CGROUP_MODE_V2);
	CHILD_CHECK(file_read_all("/sys/fs/cgroup/cgroup.controllers", 4096, &ctrls, NULL) == 0);
	CHILD_CHECK(cgroup_new(path, "x", &cg, NULL) == 0);
	if (!strstr(ctrls, "pids")) {
		CHILD_CHECK(cgroup_create(cg, &res, &err) < 0);
		CHILD_CHECK(strstr(err->msg, "linux.resources.pids.limit: the pids controller is "
					     "not available on this host"));
		CHILD_CHECK(!cgroup_exists(cg));
	}
	res = (struct rt_resources){ .device_rules = &deny_null, .n_device_rules = 1 };
	struct rt_hugepage_limit hp = { .page_size = (char *)"2MB", .limit = 2 * MB };
	if (strstr(ctrls, "hugetlb") && have_2mb_pages()) {
		res.hugepage_limits = &hp;
		res.n_hugepage_limits = 1;
	}
	if (cgroup_create(cg, &res, &err) < 0) {
		dprintf(1, "# create: %s\n", err->msg);
		return 1;
	}
	test_cg = cg;
	CHILD_CHECK(!res.n_hugepage_limits || read_is(dir, "hugetlb.2MB.max", "2097152\n"));
	CHILD_CHECK(run_in_cgroup(cg, v2_devices_denied) == 0);
	CHILD_CHECK(v2_step(cg, list, 1, v2_devices_open) == 0);
	CHILD_CHECK(v2_step(cg, list + 1, ARRAY_SIZE(list) - 1, v2_devices_list) == 0);
	CHILD_CHECK(v2_freeze_kill(cg) == 0);
	CHILD_CHECK(mount_here(false, MS_NOSUID) == 0);
	CHILD_CHECK(exists_in(tmpdir, "cgroup.freeze") && exists_in(tmpdir, "cgroup.procs"));
	CHILD_CHECK(umount2(tmpdir, MNT_DETACH) == 0);
	CHILD_CHECK(run_in_cgroup(cg, v2_cgroupns_mount) == 0);
	CHILD_CHECK(cgroup_destroy(cg, NULL) == 0);
	CHILD_CHECK(access(dir, F_OK) < 0 && errno == ENOENT);
	_cleanup_(cgroup_freep) struct rt_cgroup *top = NULL;
	CHILD_CHECK(cgroup_from_path(base_v2, &top, NULL) == 0 && cgroup_destroy(top, NULL) == 0);
	return 0;
}

TEST(v2_pure)
{
	enum cgroup_mode mode;

	ASSERT_OK(cgroup_mode_detect(&mode, NULL));
	if (mode == CGROUP_MODE_V1) {
		printf("# no cgroup2 on this host, skipped\n");
		return;
	}
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-test-cg-XXXXXX");
	ASSERT_TRUE(mkdtemp(tmpdir));
	int r = run_child(v2_child);
	(void)rmdir(tmpdir);
	ASSERT_EQ(r, 0);
}
