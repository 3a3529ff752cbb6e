/* Unit tests of the CLI's flag parsing (src/cli/cli-opts.c), the create body
 * parsers (cli-run-*.c) and the formatting helpers (cli-format.c). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli-run-internal.h"
#include "tap.h"

static const struct cli_opt no_globals[] = { {} };
const struct cli_opt *cli_global_opts = no_globals;

static bool b_all, b_quiet, b_tty, b_inter, b_rm;
static const char *s_name, *s_format;
static char **l_env;
static int64_t i_last = -1, i_mem;

static const struct cli_opt opts[] = {
	{ "all", 'a', CLI_OPT_BOOL, &b_all, NULL, "all" },
	{ "quiet", 'q', CLI_OPT_BOOL, &b_quiet, NULL, "quiet" },
	{ "tty", 't', CLI_OPT_BOOL, &b_tty, NULL, "tty" },
	{ "interactive", 'i', CLI_OPT_BOOL, &b_inter, NULL, "interactive" },
	{ "rm", 0, CLI_OPT_BOOL, &b_rm, NULL, "rm" },
	{ "name", 0, CLI_OPT_STRING, &s_name, "string", "name" },
	{ "format", 'f', CLI_OPT_STRING, &s_format, "string", "format" },
	{ "env", 'e', CLI_OPT_LIST, &l_env, "list", "env" },
	{ "last", 'n', CLI_OPT_INT, &i_last, "int", "last" },
	{ "memory", 'm', CLI_OPT_FUNC, &i_mem, "bytes", "memory", cli_parse_bytes },
	{},
};

static void reset(void)
{
	b_all = b_quiet = b_tty = b_inter = b_rm = false;
	s_name = s_format = NULL;
	strv_free(l_env);
	l_env = NULL;
	i_last = -1;
	i_mem = 0;
}

/* Parse a space-separated command line; stderr goes to *ret_err. */
static int parse(const struct cli_command *cmd, const char *line, struct cli_args *args,
		 char **ret_err)
{
	static char *argv[64];
	static char buf[1024];
	int argc = 0, saved = dup(STDERR_FILENO), saved_out = dup(STDOUT_FILENO), r;
	FILE *tmp = tmpfile(), *out = tmpfile();

	reset();
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 63;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = strcmp(t, "''") == 0 ? (char *)"" : t;
	argv[argc] = NULL;
	(void)fflush(stderr);
	(void)fflush(stdout);
	dup2(fileno(tmp), STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	r = cli_opts_parse(cmd, opts, argc, argv, args);
	(void)fflush(stderr);
	(void)fflush(stdout);
	dup2(saved, STDERR_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved);
	close(saved_out);
	fclose(out);
	rewind(tmp);
	if (ret_err) {
		*ret_err = NULL;
		(void)fd_read_all(fileno(tmp), 65536, ret_err, NULL);
	}
	fclose(tmp);
	return r;
}

static const struct cli_command ps = { "ps", "[OPTIONS]", "List containers", NULL, CLI_ARGS_ANY };
static const struct cli_command run = {
	"run", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Run", NULL, CLI_ARGS_MIN, 1, 0, true
};

TEST(long_short_and_grouped)
{
	_cleanup_args_ struct cli_args a = { 0 };

	ASSERT_EQ(parse(&ps, "ps -aq --name=x -f '{{.ID}}' -n5 -e A=1 --env B -e=C x y", &a, NULL),
		  0);
	ASSERT_TRUE(b_all && b_quiet);
	ASSERT_STREQ(s_name, "x");
	ASSERT_STREQ(s_format, "'{{.ID}}'");
	ASSERT_EQ(i_last, 5);
	ASSERT_EQ(strv_length(l_env), 3);
	ASSERT_STREQ(l_env[2], "C");
	ASSERT_EQ(a.n, 2);
	ASSERT_STREQ(a.v[1], "y");
}

TEST(bools_values_and_double_dash)
{
	_cleanup_args_ struct cli_args a = { 0 }, b = { 0 };

	ASSERT_EQ(parse(&ps, "ps --rm=false -a=true x -- -q --all", &a, NULL), 0);
	ASSERT_FALSE(b_rm);
	ASSERT_TRUE(b_all);
	ASSERT_FALSE(b_quiet);
	ASSERT_EQ(a.n, 3);
	ASSERT_STREQ(a.v[1], "-q");
	/* a string flag takes the next argument even when it starts with '-' */
	ASSERT_EQ(parse(&ps, "ps --name -x -m 64m", &b, NULL), 0);
	ASSERT_STREQ(s_name, "-x");
	ASSERT_EQ(i_mem, 64 * 1024 * 1024);
}

TEST(run_stops_at_the_image)
{
	_cleanup_args_ struct cli_args a = { 0 };

	ASSERT_EQ(parse(&run, "run -it --rm busybox sh -c -x --rm", &a, NULL), 0);
	ASSERT_TRUE(b_tty && b_inter && b_rm);
	ASSERT_EQ(a.n, 5);
	ASSERT_STREQ(a.v[0], "busybox");
	ASSERT_STREQ(a.v[4], "--rm");
}

TEST(usage_errors)
{
	struct {
		const char *line;
		int status;
		const char *msg;
	} cases[] = {
		{ "ps --foo", 125,
		  "unknown flag: --foo\n\nUsage:  berth ps [OPTIONS]\n\nRun 'berth ps "
		  "--help' for more information\n" },
		{ "ps -ax", 125, "unknown shorthand flag: 'x' in -ax\n" },
		{ "ps -n", 125, "flag needs an argument: 'n' in -n\n" },
		{ "ps --name", 125, "flag needs an argument: --name\n" },
		{ "ps -n x", 125,
		  "invalid argument \"x\" for \"-n, --last\" flag: strconv.ParseInt: "
		  "parsing \"x\": invalid syntax\n" },
		{ "ps --all=maybe", 125,
		  "invalid argument \"maybe\" for \"-a, --all\" flag: "
		  "strconv.ParseBool: parsing \"maybe\": invalid syntax\n" },
		{ "ps -m xx", 125,
		  "invalid argument \"xx\" for \"-m, --memory\" flag: invalid size: "
		  "'xx'\n" },
		{ "run", 1,
		  "berth: 'berth run' requires at least 1 argument\n\nUsage:  berth run "
		  "[OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'berth run --help' for more "
		  "information\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_args_ struct cli_args a = { 0 };
		_cleanup_free_ char *err = NULL;
		const struct cli_command *cmd = cases[i].line[0] == 'r' ? &run : &ps;
		ASSERT_EQ(parse(cmd, cases[i].line, &a, &err), 1);
		ASSERT_EQ(a.exit_status, cases[i].status);
		ASSERT_CONTAINS(err, cases[i].msg);
	}
}

TEST(argument_counts)
{
	const struct cli_command none = { "version", "[OPTIONS]", NULL, NULL, CLI_ARGS_NONE };
	const struct cli_command exact = { "rename", "CONTAINER NEW_NAME", NULL,
					   NULL,     CLI_ARGS_EXACT,	   2 };
	_cleanup_args_ struct cli_args a = { 0 }, b = { 0 }, c = { 0 };
	_cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;

	ASSERT_EQ(parse(&none, "version x", &a, &e1), 1);
	ASSERT_CONTAINS(e1, "berth: 'berth version' accepts no arguments\n");
	ASSERT_CONTAINS(e1, "Run 'berth version --help'");
	ASSERT_EQ(parse(&exact, "rename a", &b, &e2), 1);
	ASSERT_CONTAINS(e2, "berth: 'berth rename' requires 2 arguments\n");
	ASSERT_EQ(b.exit_status, 1);
	ASSERT_EQ(parse(&exact, "rename a b --help", &c, &e3), 1);
	ASSERT_EQ(c.exit_status, 0);
}

TEST(byte_sizes_and_filters)
{
	int64_t v = 0;
	_cleanup_strv_ char **f = NULL;
	_cleanup_free_ char *msg = NULL, *json = NULL;

	ASSERT_OK(cli_bytes_from_string("100", &v));
	ASSERT_EQ(v, 100);
	ASSERT_OK(cli_bytes_from_string("1.5k", &v));
	ASSERT_EQ(v, 1536);
	ASSERT_OK(cli_bytes_from_string("2GiB", &v));
	ASSERT_EQ(v, 2LL * 1024 * 1024 * 1024);
	ASSERT_TRUE(cli_bytes_from_string("-1", &v) < 0);
	ASSERT_TRUE(cli_bytes_from_string("12q", &v) < 0);
	ASSERT_OK(cli_parse_filter(" Status = running ", &f, &msg));
	ASSERT_OK(cli_parse_filter("label=a=b", &f, &msg));
	ASSERT_OK(cli_parse_filter("status=exited", &f, &msg));
	ASSERT_TRUE(cli_parse_filter("nofilter", &f, &msg) < 0);
	ASSERT_STREQ(msg, "bad format of filter (expected name=value)");
	json = cli_filters_json(f);
	ASSERT_STREQ(json,
		     "{\"status\":{\"running\":true,\"exited\":true},\"label\":{\"a=b\":true}}");
}

TEST(run_flag_parsers)
{
	_cleanup_json_ json_object *mounts = NULL, *ulimits = NULL, *devices = NULL;
	_cleanup_(cli_run_opts_done) struct cli_run_opts o;
	int64_t n = 0, d = 0;
	char *msg = NULL;

	cli_run_opts_init(&o);
	ASSERT_OK(cli_parse_cpus("1.5", &n, &msg));
	ASSERT_EQ(n, 1500000000);
	ASSERT_TRUE(cli_parse_cpus("x", &n, &msg) < 0);
	ASSERT_STREQ(msg, "failed to parse x as a rational number");
	free(msg);
	ASSERT_OK(cli_parse_duration("1m30s", &d));
	ASSERT_EQ(d, 90000000000LL);
	ASSERT_OK(cli_parse_duration("250ms", &d));
	ASSERT_EQ(d, 250000000LL);
	ASSERT_TRUE(cli_parse_duration("5", &d) < 0);
	ASSERT_OK(cli_parse_mount("type=bind,src=/a,dst=/b,readonly,bind-propagation=rslave",
				  &mounts, &msg));
	ASSERT_OK(cli_parse_mount("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770", &mounts,
				  &msg));
	ASSERT_OK(cli_parse_mount("dst=/v,volume-nocopy", &mounts, &msg));
	ASSERT_STREQ(cli_json_text(mounts),
		     "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\",\"ReadOnly\":true,"
		     "\"BindOptions\":{\"Propagation\":\"rslave\"}},{\"Type\":\"tmpfs\",\"Target\":"
		     "\"/t\",\"TmpfsOptions\":{\"SizeBytes\":1048576,\"Mode\":1016}},{\"Type\":"
		     "\"volume\",\"Target\":\"/v\",\"VolumeOptions\":{\"NoCopy\":true,"
		     "\"DriverConfig\":{}}}]");
	ASSERT_TRUE(cli_parse_mount("type=bind,src=/a", &mounts, &msg) < 0);
	ASSERT_STREQ(msg, "target is required");
	free(msg);
	ASSERT_OK(cli_parse_publish("127.0.0.1:8000-8001:80-81/udp", &o.port_bindings, &msg));
	ASSERT_OK(cli_parse_publish("9000", &o.port_bindings, &msg));
	ASSERT_STREQ(
		cli_json_text(o.port_bindings),
		"{\"80/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8000\"}],\"81/udp\":[{"
		"\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8001\"}],\"9000/tcp\":[{\"HostIp\":\"\","
		"\"HostPort\":\"\"}]}");
	ASSERT_OK(cli_parse_ulimit("nofile=1024:2048", &ulimits, &msg));
	ASSERT_TRUE(cli_parse_ulimit("nofile=10:5", &ulimits, &msg) < 0);
	free(msg);
	ASSERT_TRUE(cli_parse_ulimit("bogus=1", &ulimits, &msg) < 0);
	ASSERT_STREQ(msg, "invalid ulimit type: bogus");
	free(msg);
	ASSERT_STREQ(cli_json_text(ulimits), "[{\"Name\":\"nofile\",\"Hard\":2048,\"Soft\":1024}]");
	ASSERT_OK(cli_parse_device("/dev/fuse", &devices, &msg));
	ASSERT_STREQ(cli_json_text(devices), "[{\"PathOnHost\":\"/dev/fuse\",\"PathInContainer\":"
					     "\"/dev/fuse\",\"CgroupPermissions\":\"rwm\"}]");
}

TEST(create_body)
{
	_cleanup_(cli_run_opts_done) struct cli_run_opts o;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	char *args[] = { (char *)"busybox", (char *)"echo", (char *)"hi", NULL };
	json_object *host;

	cli_run_opts_init(&o);
	o.rm = true;
	o.network = "none";
	strv_push(&o.cap_add, "net_admin");
	strv_push(&o.volumes, "/anon");
	strv_push(&o.volumes, "/h:/c:ro");
	ASSERT_OK(cli_run_build(&o, args, 3, true, 24, 80, &body, &err));
	host = cli_json_get(body, "HostConfig");
	ASSERT_STREQ(cli_json_text(cli_json_get(body, "Cmd")), "[\"echo\",\"hi\"]");
	ASSERT_STREQ(cli_json_text(cli_json_get(body, "Volumes")), "{\"/anon\":{}}");
	ASSERT_STREQ(cli_json_text(cli_json_get(host, "Binds")), "[\"/h:/c:ro\"]");
	ASSERT_STREQ(cli_json_text(cli_json_get(host, "CapAdd")), "[\"CAP_NET_ADMIN\"]");
	ASSERT_STREQ(cli_json_text(cli_json_get(host, "ConsoleSize")), "[24,80]");
	ASSERT_TRUE(cli_json_bool(host, "AutoRemove"));
	ASSERT_STREQ(cli_json_text(cli_json_get(body, "NetworkingConfig")),
		     "{\"EndpointsConfig\":{}}");
	o.restart = "always";
	json_object_put(body);
	body = NULL;
	ASSERT_TRUE(cli_run_build(&o, args, 3, true, 0, 0, &body, &err) < 0);
	ASSERT_STREQ(err->msg, "conflicting options: cannot specify both --restart and --rm");
}

TEST(references)
{
	struct {
		const char *in, *name, *familiar;
	} cases[] = {
		{ "busybox", "docker.io/library/busybox", "busybox:latest" },
		{ "nosuch/img", "docker.io/nosuch/img", "nosuch/img:latest" },
		{ "berth.test/busybox:v1", "berth.test/busybox", "berth.test/busybox:v1" },
		{ "localhost:5000/a/b", "localhost:5000/a/b", "localhost:5000/a/b:latest" },
		{ "docker.io/library/x:1", "docker.io/library/x", "x:1" },
	};
	_cleanup_error_ struct berth_error *err = NULL;
	struct cli_ref bad = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(cli_ref_done) struct cli_ref r = { 0 };
		_cleanup_free_ char *fam = NULL;
		ASSERT_OK(cli_ref_parse(cases[i].in, &r, NULL));
		ASSERT_STREQ(r.name, cases[i].name);
		fam = cli_ref_familiar(&r);
		ASSERT_STREQ(fam, cases[i].familiar);
	}
	ASSERT_TRUE(cli_ref_parse("Busy", &bad, &err) < 0);
	ASSERT_STREQ(err->msg, "invalid reference format: repository name (library/Busy) must be "
			       "lowercase");
}

TEST(tabwriter_like_go)
{
	_cleanup_free_ char *a =
		cli_tabwrite("CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox\tweb\n", 10, 3);
	_cleanup_free_ char *b = cli_tabwrite("A\tB\nno tabs\nC\tD\n", 0, 1);
	_cleanup_free_ char *c = cli_tabwrite("x\t\ty\n", 5, 1);

	ASSERT_STREQ(a, "CONTAINER ID   IMAGE     NAMES\nabc            busybox   web\n");
	ASSERT_STREQ(b, "A B\nno tabs\nC D\n");
	ASSERT_STREQ(c, "x         y\n");
}

TEST(units_and_strings)
{
	struct {
		int64_t in;
		const char *out;
	} d[] = { { 0, "Less than a second" },
		  { 1, "1 second" },
		  { 59, "59 seconds" },
		  { 60, "About a minute" },
		  { 150, "2 minutes" },
		  { 3600, "About an hour" },
		  { 7200, "2 hours" },
		  { 3 * 86400, "3 days" },
		  { 20 * 86400, "2 weeks" },
		  { 90 * 86400, "3 months" },
		  { 3 * 365 * 86400LL, "3 years" } };
	char keys[8];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(d); i++) {
		_cleanup_free_ char *s = cli_human_duration(d[i].in);
		ASSERT_STREQ(s, d[i].out);
	}
	_cleanup_free_ char *s1 = cli_human_size(1984315, 3), *s2 = cli_human_size(0, 3);
	_cleanup_free_ char *s3 = cli_bytes_size(25276510208.0), *s4 = cli_human_size(1984355, 4);
	_cleanup_free_ char *e1 = cli_ellipsis("/bin/sh -c 'echo hello world'", 20);
	_cleanup_free_ char *id = cli_short_id("sha256:c84e5fbad83692ff26421aa2a92df642ac698c");
	ASSERT_STREQ(s1, "1.98MB");
	ASSERT_STREQ(s2, "0B");
	ASSERT_STREQ(s3, "23.54GiB");
	ASSERT_STREQ(s4, "1.984MB");
	ASSERT_STREQ(e1, "/bin/sh -c 'echo he…");
	ASSERT_STREQ(id, "c84e5fbad836");
	ASSERT_OK(cli_detach_keys_parse("ctrl-p,ctrl-q", keys, sizeof(keys), &n));
	ASSERT_EQ(n, 2);
	ASSERT_EQ(keys[0], 16);
	ASSERT_EQ(keys[1], 17);
	ASSERT_OK(cli_detach_keys_parse("a,ctrl-[,ctrl-@", keys, sizeof(keys), &n));
	ASSERT_EQ(keys[1], 27);
	ASSERT_EQ(keys[2], 0);
	ASSERT_TRUE(cli_detach_keys_parse("ctrl-1", keys, sizeof(keys), &n) < 0);
	ASSERT_EQ(cli_start_error_status("exec: \"x\": executable file not found in $PATH"), 127);
	ASSERT_EQ(cli_start_error_status("exec: \"/etc\": permission denied"), 126);
	ASSERT_EQ(cli_start_error_status("something else"), 125);
	ASSERT_EQ(cli_signal_parse("SIGTERM"), 15);
	ASSERT_EQ(cli_signal_parse("kill"), 9);
	ASSERT_EQ(cli_signal_parse("10"), 10);
	ASSERT_TRUE(cli_signal_parse("FOO") < 0);
	ASSERT_STREQ(cli_signal_name(2), "INT");
}
