/* Unit tests of the config.json parser: good configs parse, bad ones name the field. */
#include <sched.h>
#include <sys/mount.h>

#include "spec-internal.h"
#include "tap.h"

static const char *minimal =
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"PATH=/bin\"],"
	"\"user\":{\"uid\":1,\"gid\":2,\"additionalGids\":[3,4],\"umask\":18},"
	"\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":20}]},"
	"\"hostname\":\"h\","
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/b\",\"source\":\"/tmp\",\"options\":[\"rbind\",\"ro\",\"rprivate\"]}],"
	"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"}],"
	"\"resources\":{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":5}},"
	"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
	"\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}}}";

TEST(parse_minimal)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_spec_ struct rt_spec *s = NULL;
	ASSERT_OK(spec_parse(minimal, strlen(minimal), "/bundle", &s, &err));
	ASSERT_STREQ(s->root_path, "/bundle/rootfs");
	ASSERT_TRUE(s->root_readonly);
	ASSERT_EQ(s->process->user.uid, 1);
	ASSERT_EQ(s->process->user.n_additional_gids, 2);
	ASSERT_EQ(s->process->user.umask, 18);
	ASSERT_EQ(s->process->caps.bounding, (1ULL << 5) | (1ULL << 0));
	ASSERT_EQ(s->n_mounts, 2);
	ASSERT_EQ(s->mounts[1].kind, RT_MOUNT_BIND);
	ASSERT_TRUE(s->mounts[1].recursive);
	ASSERT_TRUE(s->mounts[1].flags & MS_RDONLY);
	ASSERT_EQ(s->mounts[1].propagation, MS_PRIVATE | MS_REC);
	ASSERT_TRUE(spec_has_namespace(s, CLONE_NEWPID, NULL));
	ASSERT_EQ(s->resources->memory_limit, 1048576);
	ASSERT_TRUE(s->resources->has_pids_limit);
	ASSERT_EQ(s->seccomp->n_rules, 1);
}

struct bad_case {
	const char *json;
	const char *message;
};

TEST(bad_configs_name_the_field)
{
	static const struct bad_case cases[] = {
		{ "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\","
		  "\"user\":{\"uid\":\"x\"}}}",
		  "process.user.uid: expected an unsigned integer" },
		{ "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"rel\"}}",
		  "process.cwd: 'rel' is not an absolute path" },
		{ "{\"ociVersion\":\"1.0.0\",\"mounts\":[{\"destination\":\"/"
		  "x\",\"type\":\"bind\"}]}",
		  "mounts[0].source: a bind mount needs a source" },
		{ "{\"ociVersion\":\"1.0.0\",\"linux\":{\"namespaces\":[{\"type\":\"foo\"}]}}",
		  "linux.namespaces[0].type: unknown namespace 'foo'" },
		{ "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\","
		  "\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}}}",
		  "process.capabilities.bounding[0]: unknown capability 'CAP_NOPE'" },
		{ "{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"memory\":{\"limit\":"
		  "\"1g\"}}}}",
		  "linux.resources.memory.limit: expected an integer" },
		{ "{\"ociVersion\":\"1.0.0\",\"linux\":{\"seccomp\":{\"defaultAction\":\"NOPE\"}}}",
		  "linux.seccomp.defaultAction: unknown action 'NOPE'" },
		{ "{\"ociVersion\":\"1.0.0\",\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}}"
		  "}",
		  "linux.sysctl.net.ipv4.ip_forward: not allowed in the host's network namespace" },
		{ "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\","
		  "\"apparmorProfile\":\"docker-default\"}}",
		  "process.apparmorProfile" },
		{ "{\"ociVersion\":\"1.0.0\",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}",
		  "hooks.prestart[0].path: 'rel' is not an absolute path" },
		{ "{\"ociVersion\":\"2.0.0\"}", "ociVersion: '2.0.0' is not supported" },
		{ "{\"ociVersion\":\"1.0.0\",\"linux\":{\"intelRdt\":{}}}", "linux.intelRdt" },
		{ "{\"ociVersion\":\"1.0.0\"", "unexpected end of JSON" },
		{ "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\","
		  "\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]}}",
		  "process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		struct rt_spec *s = NULL;
		int r = spec_parse(cases[i].json, strlen(cases[i].json), "/b", &s, &err);
		if (r >= 0)
			TAP_FAIL("case %zu parsed but should not", i);
		ASSERT_CONTAINS(err->msg, cases[i].message);
	}
}
