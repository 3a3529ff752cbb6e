/* Unit tests of seccomp filters: each filter is loaded in a forked child
 * (with no_new_privs, so no root is needed) and checked by its effect. */
#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "json-util.h"
#include "seccomp-internal.h"
#include "tap.h"

#define DOCKER_PROFILE TEST_DATA_DIR "/docker-default-seccomp.json"

typedef int (*child_fn)(struct rt_seccomp_filter *f, void *arg);

/* Parse a linux.seccomp object given as JSON text into a filter. */
static int build_cached(const char *seccomp_json, const char *cache_dir,
			struct rt_seccomp_filter **ret, struct berth_error **err)
{
	_cleanup_free_ char *text =
		xasprintf("{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":%s}}", seccomp_json);
	_cleanup_spec_ struct rt_spec *spec = NULL;
	int r;

	if ((r = spec_parse(text, strlen(text), "/bundle", &spec, err)) < 0)
		return r;
	return seccomp_filter_build_cached(spec->seccomp, cache_dir, ret, err);
}
#define build(json, ret, err) build_cached(json, NULL, ret, err)

static bool child_sets_nnp = true;

static int load_in_child(struct rt_seccomp_filter *f, int *ret_notify_fd)
{
	_cleanup_error_ struct berth_error *err = NULL;

	if (child_sets_nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (seccomp_filter_load(f, ret_notify_fd, &err) < 0) {
		dprintf(1, "# child: %s\n", err->msg);
		return -1;
	}
	return 0;
}

/* Fork, load f in the child, run fn there; return the wait status. */
static int run_filtered(struct rt_seccomp_filter *f, child_fn fn, void *arg)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		(void)setrlimit(RLIMIT_CORE, &no_core);
		_exit(load_in_child(f, NULL) < 0 ? 2 : fn(f, arg));
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static bool exited_ok(int status)
{
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(name_tables)
{
	ASSERT_STREQ(seccomp_action_names[0], "SCMP_ACT_KILL");
	ASSERT_TRUE(strv_contains((char **)seccomp_action_names, "SCMP_ACT_NOTIFY"));
	ASSERT_TRUE(strv_contains((char **)seccomp_op_names, "SCMP_CMP_MASKED_EQ"));
	ASSERT_TRUE(strv_contains((char **)seccomp_arch_names, "SCMP_ARCH_X86_64"));
	ASSERT_TRUE(strv_contains((char **)seccomp_arch_names, "SCMP_ARCH_RISCV64"));
	ASSERT_TRUE(strv_contains((char **)seccomp_flag_names, "SECCOMP_FILTER_FLAG_LOG"));
	ASSERT_EQ(strv_length((char **)seccomp_op_names), 7);
	for (size_t i = 0; seccomp_arch_names[i]; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;
		_cleanup_free_ char *j = xasprintf(
			"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"%s\"]}",
			seccomp_arch_names[i]);
		/* A big-endian architecture cannot join a little-endian filter. */
		if (build(j, &f, &err) < 0 && err->errnum != EDOM)
			TAP_FAIL("%s: %s", seccomp_arch_names[i], err->msg);
	}
}

static int check_mkdir_errno(struct rt_seccomp_filter *f, void *arg)
{
	int want = *(int *)arg;

	CHILD_CHECK(mkdir("/proc/berth-test-dir", 0700) < 0);
	CHILD_CHECK(errno == want);
	CHILD_CHECK(getpid() > 0);
	CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == child_sets_nnp);
	return 0;
}

TEST(default_errno_ret)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;
	int want = 42;

	ASSERT_OK(build(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":42,"
		"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
		"\"syscalls\":[{\"names\":[\"exit_group\",\"exit\",\"write\",\"getpid\","
		"\"rt_sigreturn\",\"prctl\",\"madvise\",\"mmap\",\"munmap\",\"sigaltstack\"],"
		"\"action\":\"SCMP_ACT_ALLOW\"}]}", /* the sanitizers need a few */
		&f, &err));
	ASSERT_TRUE(exited_ok(run_filtered(f, check_mkdir_errno, &want)));
}

static int check_args(struct rt_seccomp_filter *f, void *arg)
{
	/* Two conditions on arg 0 are two rules: either value gets E2BIG. */
	CHILD_CHECK(personality(0xffffffff) >= 0);
	CHILD_CHECK(personality(1) < 0 && errno == E2BIG);
	CHILD_CHECK(personality(2) < 0 && errno == E2BIG);
	/* Conditions on different arguments must all hold. */
	CHILD_CHECK(syscall(SYS_personality, PER_LINUX32, 0) < 0 && errno == EPERM);
	CHILD_CHECK(syscall(SYS_personality, PER_LINUX32, 1) >= 0);
	/* unshare: a mask on the flags refuses CLONE_NEWUTS, not CLONE_FILES. */
	CHILD_CHECK(unshare(CLONE_NEWUTS) < 0 && errno == EACCES);
	CHILD_CHECK(unshare(CLONE_NEWUTS | CLONE_FILES) < 0 && errno == EACCES);
	CHILD_CHECK(unshare(CLONE_FILES) == 0);
	return 0;
}

TEST(argument_conditions)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;

	ASSERT_OK(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":7,"
			"\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
			"{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]},"
			"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\","
			"\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
			"{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
			"{\"names\":[\"unshare\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,"
			"\"args\":[{\"index\":0,\"value\":67108864,\"valueTwo\":67108864,"
			"\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
			&f, &err));
	ASSERT_TRUE(exited_ok(run_filtered(f, check_args, NULL)));
}

/* Built from a struct: an unknown name is skipped, a rule = default too. */
TEST(errno_rule_from_struct)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;
	char *names[] = { "no_such_syscall_xyz", "mkdir", "mkdirat", NULL };
	char *allow_names[] = { "getpid", NULL };
	struct rt_seccomp_rule rules[] = {
		{ .names = names, .action = SCMP_ACT_ERRNO(42) },
		{ .names = allow_names, .action = SCMP_ACT_ALLOW },
	};
	struct rt_seccomp sc = { .default_action = SCMP_ACT_ALLOW, .rules = rules, .n_rules = 2 };
	int want = 42;

	ASSERT_OK(seccomp_filter_build(&sc, &f, &err));
	ASSERT_TRUE(exited_ok(run_filtered(f, check_mkdir_errno, &want)));
}

TEST(bad_names_are_refused)
{
	static const struct {
		const char *json, *message;
	} cases[] = {
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		  "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_VAX\"]}",
		  "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_VAX'" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}",
		  "linux.seccomp.architectures[0]: unknown architecture 'x86_64'" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		  "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_NOPE\"]}",
		  "linux.seccomp.flags[1]: unknown flag 'SECCOMP_FILTER_FLAG_NOPE'" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;
		if (build(cases[i].json, &f, &err) >= 0)
			TAP_FAIL("case %zu was accepted", i);
		ASSERT_TRUE(f == NULL);
		ASSERT_CONTAINS(err->msg, cases[i].message);
	}
}

static int call_mkdir(struct rt_seccomp_filter *f, void *arg)
{
	(void)mkdir("/proc/berth-test-dir", 0700);
	return 0;
}

TEST(kill_actions)
{
	static const char *const actions[] = { "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL",
					       "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP" };

	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;
		_cleanup_free_ char *j =
			xasprintf("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
				  "[\"mkdir\",\"mkdirat\"],\"action\":\"%s\"}]}",
				  actions[i]);
		ASSERT_OK(build(j, &f, &err));
		int status = run_filtered(f, call_mkdir, NULL);
		if (status < 0 || !WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
			TAP_FAIL("%s did not end the child with SIGSYS", actions[i]);
	}
}

static volatile sig_atomic_t trapped_syscall = -1;

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	trapped_syscall = si->si_syscall;
}

static int check_trap_and_log(struct rt_seccomp_filter *f, void *arg)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	CHILD_CHECK(sigaction(SIGSYS, &sa, NULL) == 0);
	(void)syscall(SYS_mkdir, "/proc/berth-test-dir", 0700);
	CHILD_CHECK(trapped_syscall == SYS_mkdir);
	/* SCMP_ACT_LOG lets the call through. */
	CHILD_CHECK(getppid() > 1);
	CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	return 0;
}

TEST(trap_log_and_flags)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;

	ASSERT_OK(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":["
			"\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_LOG\","
			"\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":["
			"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_TRAP\"},"
			"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_LOG\"}]}",
			&f, &err));
	ASSERT_TRUE(exited_ok(run_filtered(f, check_trap_and_log, NULL)));
}

/* Root may load without no_new_privs, and loading must not set it. */
TEST(no_new_privs_left_to_runtime)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;
	int want = 5, status;

	if (geteuid() != 0) {
		printf("# skipped: needs root\n");
		return;
	}
	ASSERT_OK(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			"[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5}]}",
			&f, &err));
	child_sets_nnp = false;
	status = run_filtered(f, check_mkdir_errno, &want);
	child_sets_nnp = true;
	ASSERT_TRUE(exited_ok(status));
}

static int count_entries(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	return n;
}

TEST(program_cache)
{
	static const int errnos[] = { 42, 42, 43, 43 };
	char dir[] = "/tmp/berth-seccomp-XXXXXX";

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;
		_cleanup_free_ char *j = xasprintf(
			"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			"[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":%d}]}",
			errnos[i]);
		int want = errnos[i];

		/* Miss, hit; another errno is another program, so both stay cached. */
		ASSERT_OK(build_cached(j, dir, &f, &err));
		ASSERT_EQ(count_entries(dir), i < 2 ? 1 : 2);
		ASSERT_TRUE(exited_ok(run_filtered(f, check_mkdir_errno, &want)));
	}
	(void)rm_rf(dir);
}

static int notify_child(struct rt_seccomp_filter *f, const char *path, const char *state)
{
	_cleanup_error_ struct berth_error *err = NULL;
	int fd = -1;

	CHILD_CHECK(load_in_child(f, &fd) == 0);
	CHILD_CHECK(fd >= 0);
	if (seccomp_notify_send(path, fd, state, &err) < 0) {
		dprintf(1, "# child: %s\n", err->msg);
		return 1;
	}
	(void)close(fd);
	/* Blocks until the agent (the parent) answers. */
	CHILD_CHECK(mkdir("/proc/berth-test-dir", 0700) < 0 && errno == EXDEV);
	return 0;
}

/* Accept the runtime's connection; return the fd it sent, check the payload. */
static int receive_listener(int lsk, const char *state)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	char data[512] = { 0 };
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct pollfd pfd = { .fd = lsk, .events = POLLIN };
	_cleanup_close_ int sk = -EBADF;
	struct cmsghdr *cmsg;
	int fd;

	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	if (poll(&pfd, 1, 10000) != 1 || (sk = accept4(lsk, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return -1;
	if (recvmsg(sk, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)strlen(state) ||
	    strcmp(data, state) != 0)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

static int answer_one(int notify_fd, int nr)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct pollfd pfd = { .fd = notify_fd, .events = POLLIN };
	int r = -1;

	if (seccomp_notify_alloc(&req, &resp) < 0)
		return -1;
	if (poll(&pfd, 1, 10000) == 1 && seccomp_notify_receive(notify_fd, req) == 0 &&
	    req->data.nr == nr) {
		*resp = (struct seccomp_notif_resp){ .id = req->id, .error = -EXDEV };
		r = seccomp_notify_respond(notify_fd, resp);
	}
	seccomp_notify_free(req, resp);
	return r;
}

TEST(notify_hands_the_listener_to_the_agent)
{
	static const char state[] = "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],"
				    "\"pid\":1,\"metadata\":\"m\",\"state\":{\"id\":\"c\"}}";
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;
	_cleanup_close_ int lsk = -EBADF, notify_fd = -EBADF;
	_cleanup_free_ char *json = NULL, *path = NULL;
	char dir[] = "/tmp/berth-seccomp-XXXXXX";
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int status = 0;
	pid_t pid;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	path = xasprintf("%s/agent.sock", dir);
	json = xasprintf(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\","
		"\"listenerMetadata\":\"m\",\"flags\":["
		"\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],\"syscalls\":[{\"names\":[\"mkdir\","
		"\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		path);
	ASSERT_OK(build(json, &f, &err));
	strcpy(addr.sun_path, path);
	lsk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(lsk >= 0);
	ASSERT_OK(bind(lsk, (struct sockaddr *)&addr, sizeof(addr)));
	ASSERT_OK(listen(lsk, 1));
	fflush(stdout);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		_exit(notify_child(f, path, state));
	notify_fd = receive_listener(lsk, state);
	if (notify_fd >= 0)
		ASSERT_OK(answer_one(notify_fd, seccomp_syscall_resolve_name("mkdir")));
	else
		(void)kill(pid, SIGKILL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	(void)rm_rf(dir);
	ASSERT_TRUE(notify_fd >= 0);
	ASSERT_TRUE(exited_ok(status));
}

TEST(notify_send_errors_name_the_path)
{
	_cleanup_error_ struct berth_error *err = NULL;

	ASSERT_TRUE(seccomp_notify_send("/nonexistent/agent.sock", 0, "{}", &err) < 0);
	ASSERT_CONTAINS(err->msg,
			"linux.seccomp.listenerPath: connect to '/nonexistent/agent.sock'");
}

/* What the engine does with Docker's profile: keep the native architectures
 * and the entries that apply to docker's default capabilities (minKernel is
 * 4.8 at most: always met here). */
#define DOCKER_CAPS                                                                                \
	" CAP_CHOWN CAP_DAC_OVERRIDE CAP_FSETID CAP_FOWNER CAP_MKNOD CAP_NET_RAW CAP_SETGID "      \
	"CAP_SETUID CAP_SETFCAP CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_SYS_CHROOT CAP_KILL "         \
	"CAP_AUDIT_WRITE "

/* Whether all (or any) strings of arr are words of the " a b " list. */
static bool strs_in(json_object *arr, const char *list, bool all)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *w = xasprintf(
			" %s ", json_object_get_string(json_object_array_get_idx(arr, i)));
		bool in = strstr(list, w) != NULL;
		if (in != all)
			return in;
	}
	return all;
}

static bool docker_entry_applies(json_object *entry, const char *arch)
{
	json_object *inc = NULL, *exc = NULL, *caps = NULL, *arches = NULL;

	json_object_object_get_ex(entry, "includes", &inc);
	json_object_object_get_ex(entry, "excludes", &exc);
	json_object_object_get_ex(inc, "caps", &caps);
	json_object_object_get_ex(inc, "arches", &arches);
	if (!strs_in(caps, DOCKER_CAPS, true) ||
	    (arches && json_object_array_length(arches) > 0 && !strs_in(arches, arch, false)))
		return false;
	caps = arches = NULL;
	json_object_object_get_ex(exc, "caps", &caps);
	json_object_object_get_ex(exc, "arches", &arches);
	return !strs_in(caps, DOCKER_CAPS, false) && !strs_in(arches, arch, false);
}

static void copy_key(json_object *to, json_object *from, const char *key)
{
	json_object *v = NULL;

	if (json_object_object_get_ex(from, key, &v) && v)
		json_object_object_add(to, key, json_object_get(v));
}

static uint32_t arch_of(json_object *name)
{
	_cleanup_free_ char *s = xstrdup(json_object_get_string(name) + strlen("SCMP_ARCH_"));

	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return seccomp_arch_resolve_name(s);
}

static char *docker_to_oci(json_object *docker, const char *go_arch)
{
	_cleanup_json_ json_object *oci = json_object_new_object();
	json_object *archs = json_object_new_array(), *calls = json_object_new_array();
	json_object *map = NULL, *syscalls = NULL;

	copy_key(oci, docker, "defaultAction");
	copy_key(oci, docker, "defaultErrnoRet");
	json_object_object_get_ex(docker, "archMap", &map);
	for (size_t i = 0; i < json_object_array_length(map); i++) {
		json_object *e = json_object_array_get_idx(map, i), *a = NULL, *subs = NULL;
		json_object_object_get_ex(e, "architecture", &a);
		if (arch_of(a) != seccomp_arch_native())
			continue;
		json_object_array_add(archs, json_object_get(a));
		json_object_object_get_ex(e, "subArchitectures", &subs);
		for (size_t k = 0; subs && k < json_object_array_length(subs); k++)
			json_object_array_add(archs,
					      json_object_get(json_object_array_get_idx(subs, k)));
	}
	json_object_object_add(oci, "architectures", archs);
	json_object_object_get_ex(docker, "syscalls", &syscalls);
	for (size_t i = 0; i < json_object_array_length(syscalls); i++) {
		json_object *e = json_object_array_get_idx(syscalls, i), *o;
		if (!docker_entry_applies(e, go_arch))
			continue;
		o = json_object_new_object();
		copy_key(o, e, "names");
		copy_key(o, e, "action");
		copy_key(o, e, "errnoRet");
		copy_key(o, e, "args");
		json_object_array_add(calls, o);
	}
	json_object_object_add(oci, "syscalls", calls);
	return xstrdup(json_object_to_json_string_ext(oci, JSON_C_TO_STRING_PLAIN));
}

static int check_docker_profile(struct rt_seccomp_filter *f, void *arg)
{
	char buf[64];
	int fd, status = 0;
	pid_t pid;

	CHILD_CHECK(unshare(CLONE_NEWUSER) < 0 && errno == EPERM);
	CHILD_CHECK(mount("none", "/proc", "tmpfs", 0, NULL) < 0 && errno == EPERM);
	CHILD_CHECK(syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS);
	CHILD_CHECK(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0) < 0 && errno == EPERM);
	CHILD_CHECK(personality(0xffffffff) >= 0);
	CHILD_CHECK((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) >= 0);
	CHILD_CHECK(read(fd, buf, sizeof(buf)) > 0);
	(void)close(fd);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0)
		_exit(7);
	CHILD_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHILD_CHECK(WEXITSTATUS(status) == 7);
	return 0;
}

TEST(docker_default_profile)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = NULL;
	_cleanup_json_ json_object *docker = NULL;
	_cleanup_free_ char *text = NULL, *oci = NULL, *config = NULL;
	_cleanup_spec_ struct rt_spec *spec = NULL;
	char dir[] = "/tmp/berth-seccomp-XXXXXX";
	uint64_t t0, t1;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
		printf("# skipped: the converter here maps x86_64 only\n");
		return;
	}
	ASSERT_OK(file_read_all(DOCKER_PROFILE, 1 << 20, &text, NULL));
	ASSERT_OK(json_parse_text(text, strlen(text), 32, "profile", &docker, &err));
	oci = docker_to_oci(docker, " amd64 ");
	config = xasprintf("{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":%s}}", oci);
	ASSERT_OK(spec_parse(config, strlen(config), "/bundle", &spec, &err));
	ASSERT_EQ(strv_length(spec->seccomp->architectures), 3);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	t0 = now_usec_monotonic();
	ASSERT_OK(seccomp_filter_build_cached(spec->seccomp, dir, &f, &err));
	t1 = now_usec_monotonic();
	for (int i = 0; i < 100; i++) {
		f = seccomp_filter_free(f);
		ASSERT_OK(seccomp_filter_build_cached(spec->seccomp, dir, &f, &err));
	}
	printf("# docker default profile: %zu rules, %zu BPF instructions, build %.0f us, "
	       "cached build %.1f us\n",
	       spec->seccomp->n_rules, seccomp_filter_size(f), (double)(t1 - t0),
	       (double)(now_usec_monotonic() - t1) / 100);
	(void)rm_rf(dir);
	ASSERT_TRUE(exited_ok(run_filtered(f, check_docker_profile, NULL)));
}
