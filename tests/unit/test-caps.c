/* Unit tests of capabilities and credentials. They change the process's
 * credentials, so each runs in a forked child; they need root (exit 77). */
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "caps-internal.h"
#include "tap.h"

#define BIT(cap) (UINT64_C(1) << (cap))

__attribute__((constructor(200))) static void skip_unless_root(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		exit(77);
	}
}

/* The value of a "Key:\t..." line of /proc/self/status, copied to buf. */
static bool status_field(const char *key, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *k = xasprintf("\n%s:\t", key);
	const char *p;
	size_t n;

	if (file_read_all("/proc/self/status", 1 << 16, &text, NULL) < 0 || !(p = strstr(text, k)))
		return false;
	p += strlen(k);
	n = strcspn(p, "\n");
	if (n >= size)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static bool status_caps(const char *key, uint64_t *ret)
{
	char buf[64];

	return status_field(key, buf, sizeof(buf)) && sscanf(buf, "%" SCNx64, ret) == 1;
}

static bool status_is(const char *key, const char *want)
{
	char buf[256];

	if (!status_field(key, buf, sizeof(buf)))
		return false;
	for (size_t n = strlen(buf); n > 0 && buf[n - 1] == ' '; n--)
		buf[n - 1] = '\0';
	if (strcmp(buf, want) != 0) {
		dprintf(1, "# child: %s is '%s', want '%s'\n", key, buf, want);
		return false;
	}
	return true;
}

static int run_child(int (*fn)(void))
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static uint64_t all_caps(void)
{
	int last = spec_cap_last();

	return last >= 63 ? UINT64_MAX : BIT(last + 1) - 1;
}

static int child_bounding(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_caps caps = { .bounding = BIT(CAP_KILL) | BIT(CAP_CHOWN) };
	uint64_t bnd = 0;

	CHILD_CHECK(caps_apply_bounding(&caps, &err) == 0);
	CHILD_CHECK(status_caps("CapBnd", &bnd));
	CHILD_CHECK(bnd == (BIT(CAP_KILL) | BIT(CAP_CHOWN)));
	CHILD_CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 0);
	return 0;
}

TEST(bounding_set)
{
	ASSERT_EQ(run_child(child_bounding), 0);
}

static int child_bounding_keeps_all(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_caps caps = { .bounding = UINT64_MAX };
	uint64_t before = 0, after = 0;

	CHILD_CHECK(status_caps("CapBnd", &before));
	CHILD_CHECK(caps_apply_bounding(&caps, &err) == 0);
	CHILD_CHECK(status_caps("CapBnd", &after));
	CHILD_CHECK(before == after);
	return 0;
}

TEST(bounding_set_with_everything_drops_nothing)
{
	ASSERT_EQ(run_child(child_bounding_keeps_all), 0);
}

static int child_user_and_sets(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	gid_t gids[] = { 1001, 1002 };
	struct rt_user user = {
		.uid = 1000, .gid = 1000, .additional_gids = gids, .n_additional_gids = 2
	};
	const uint64_t set = BIT(CAP_KILL) | BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE);
	struct rt_caps caps = { .bounding = set | BIT(CAP_SETPCAP),
				.effective = set,
				.permitted = set,
				.inheritable = set,
				.ambient = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_ADMIN) };
	uint64_t prm_before = 0, v = 0;

	CHILD_CHECK(caps_apply_bounding(&caps, &err) == 0);
	CHILD_CHECK(status_caps("CapPrm", &prm_before));
	CHILD_CHECK(caps_set_user(&user, true, &err) == 0);
	CHILD_CHECK(status_is("Uid", "1000\t1000\t1000\t1000"));
	CHILD_CHECK(status_is("Gid", "1000\t1000\t1000\t1000"));
	CHILD_CHECK(status_is("Groups", "1001 1002"));
	/* KEEPCAPS kept the permitted set; the uid change cleared effective. */
	CHILD_CHECK(status_caps("CapPrm", &v) && v == prm_before);
	CHILD_CHECK(status_caps("CapEff", &v) && v == 0);
	CHILD_CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
	CHILD_CHECK(caps_apply_sets(&caps, &err) == 0);
	CHILD_CHECK(status_caps("CapEff", &v) && v == set);
	CHILD_CHECK(status_caps("CapPrm", &v) && v == set);
	CHILD_CHECK(status_caps("CapInh", &v) && v == set);
	/* CAP_SYS_ADMIN is neither permitted nor inheritable: not raised. */
	CHILD_CHECK(status_caps("CapAmb", &v) && v == BIT(CAP_NET_BIND_SERVICE));
	return 0;
}

TEST(user_then_capability_sets)
{
	ASSERT_EQ(run_child(child_user_and_sets), 0);
}

static int child_root_sets(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_caps caps = { .effective = BIT(CAP_KILL),
				.permitted = BIT(CAP_KILL) | BIT(CAP_CHOWN) };
	uint64_t v = 0;

	CHILD_CHECK(caps_apply_sets(&caps, &err) == 0);
	CHILD_CHECK(status_caps("CapEff", &v) && v == BIT(CAP_KILL));
	CHILD_CHECK(status_caps("CapPrm", &v) && v == (BIT(CAP_KILL) | BIT(CAP_CHOWN)));
	CHILD_CHECK(status_caps("CapInh", &v) && v == 0);
	CHILD_CHECK(status_caps("CapAmb", &v) && v == 0);
	/* Bits the kernel does not know are masked, not refused. */
	caps.permitted |= ~all_caps();
	caps.effective |= ~all_caps();
	CHILD_CHECK(caps_apply_sets(&caps, &err) == 0);
	return 0;
}

TEST(sets_as_root)
{
	ASSERT_EQ(run_child(child_root_sets), 0);
}

static int child_effective_not_permitted(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_caps caps = { .effective = BIT(CAP_KILL) | BIT(CAP_CHOWN),
				.permitted = BIT(CAP_KILL) };

	CHILD_CHECK(caps_apply_sets(&caps, &err) == -EPERM);
	CHILD_CHECK(strcmp(err->msg, "process.capabilities.effective: CAP_CHOWN is not in the "
				     "permitted set: Operation not permitted") == 0);
	return 0;
}

TEST(effective_outside_permitted_names_the_set)
{
	ASSERT_EQ(run_child(child_effective_not_permitted), 0);
}

static int child_raise_permitted(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_caps small = { .permitted = BIT(CAP_KILL) };
	struct rt_caps more = { .permitted = BIT(CAP_KILL) | BIT(CAP_CHOWN) };

	CHILD_CHECK(caps_apply_sets(&small, &err) == 0);
	CHILD_CHECK(caps_apply_sets(&more, &err) == -EPERM);
	CHILD_CHECK(strstr(err->msg, "process.capabilities.permitted: cannot raise CAP_CHOWN"));
	return 0;
}

TEST(raising_permitted_names_the_set)
{
	ASSERT_EQ(run_child(child_raise_permitted), 0);
}

static int child_setresuid_error(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_user user = { .uid = 1000, .gid = 1000 };
	struct rt_caps none = { 0 };

	CHILD_CHECK(caps_set_user(&user, true, &err) == 0);
	CHILD_CHECK(caps_apply_sets(&none, &err) == 0);
	user.uid = 2000;
	CHILD_CHECK(caps_set_user(&user, false, &err) == -EPERM);
	CHILD_CHECK(strcmp(err->msg, "process.user.uid: setresuid(2000): Operation not "
				     "permitted") == 0);
	CHILD_CHECK(status_is("Uid", "1000\t1000\t1000\t1000"));
	CHILD_CHECK(status_is("Groups", ""));
	return 0;
}

TEST(setresuid_error_names_the_field)
{
	ASSERT_EQ(run_child(child_setresuid_error), 0);
}

TEST(setgroups_denied_with_additional_gids)
{
	_cleanup_error_ struct berth_error *err = NULL;
	gid_t gids[] = { 5 };
	struct rt_user user = {
		.uid = 0, .gid = 0, .additional_gids = gids, .n_additional_gids = 1
	};

	/* Refused before any credential changes, so it is safe in this process. */
	ASSERT_EQ(caps_set_user(&user, false, &err), -EINVAL);
	ASSERT_STREQ(err->msg,
		     "process.user.additionalGids: setgroups is denied in this user namespace");
}

static int child_user_without_setgroups(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_user user = { .uid = 1000, .gid = 1000 };

	CHILD_CHECK(caps_set_user(&user, false, &err) == 0);
	CHILD_CHECK(status_is("Uid", "1000\t1000\t1000\t1000"));
	CHILD_CHECK(status_is("Gid", "1000\t1000\t1000\t1000"));
	return 0;
}

TEST(user_without_setgroups)
{
	ASSERT_EQ(run_child(child_user_without_setgroups), 0);
}

static int child_inheritable_outside_bounding(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct rt_caps caps = { .bounding = BIT(CAP_KILL),
				.permitted = BIT(CAP_KILL) | BIT(CAP_CHOWN),
				.inheritable = BIT(CAP_CHOWN) };

	CHILD_CHECK(caps_apply_bounding(&caps, &err) == 0);
	CHILD_CHECK(caps_apply_sets(&caps, &err) == -EPERM);
	CHILD_CHECK(strstr(err->msg, "process.capabilities.inheritable: CAP_CHOWN is not in the "
				     "bounding set"));
	return 0;
}

TEST(inheritable_outside_bounding_names_the_set)
{
	ASSERT_EQ(run_child(child_inheritable_outside_bounding), 0);
}
