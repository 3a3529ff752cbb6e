/* berth-runtime's commands: option parsing for each, then the runtime call. */
#define LOG_CATEGORY "cli"
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "runtime-cli.h"

static int need_id(int argc, char **argv, int optind_, const char *cmd, struct berth_error **err)
{
	if (optind_ >= argc)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s: container id cannot be empty", cmd);
	return 0;
}

static int parse_count(const char *s, const char *flag, int *ret, struct berth_error **err)
{
	if (str_to_int(s, ret) < 0 || *ret < 0 || *ret > 65536)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s '%s': not a count", flag, s);
	return 0;
}

static int parse_create_opts(int argc, char **argv, bool is_run, struct rt_create_opts *o,
			     struct berth_error **err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "config", required_argument, NULL, 'C' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'k' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'K' },
		{ "no-subreaper", no_argument, NULL, 'S' },
		{},
	};
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case 'C':
			o->config_path = optarg;
			break;
		case 'c':
			o->console_socket = optarg;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'P':
			o->no_pivot = true;
			break;
		case 'k':
			o->no_new_keyring = true;
			break;
		case 'S':
			break;
		case 'F':
			if ((r = parse_count(optarg, "--preserve-fds", &o->preserve_fds, err)) < 0)
				return r;
			break;
		case 'd':
		case 'K':
			if (!is_run)
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "%s: unknown option", argv[optind - 1]);
			if (c == 'd')
				o->detach = true;
			else
				o->keep = true;
			break;
		default:
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s: bad option; see --help", argv[0]);
		}
	}
	return need_id(argc, argv, optind, argv[0], err);
}

int rt_cli_create(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err)
{
	struct rt_create_opts o = { 0 };
	int r;

	if ((r = parse_create_opts(argc, argv, false, &o, err)) < 0)
		return r;
	return rt_create(ctx, argv[optind], &o, err);
}

int rt_cli_run(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err)
{
	struct rt_create_opts o = { 0 };
	int r;

	if ((r = parse_create_opts(argc, argv, true, &o, err)) < 0)
		return r;
	return rt_run(ctx, argv[optind], &o, &rt_cli_exit_status, err);
}

int rt_cli_exec(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err)
{
	static const struct option opts[] = {
		{ "console-socket", required_argument, NULL, 'c' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "tty", no_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "process", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "process-label", required_argument, NULL, 'L' },
		{ "apparmor", required_argument, NULL, 'A' },
		{ "no-new-privs", no_argument, NULL, 'n' },
		{ "cap", required_argument, NULL, 'C' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "ignore-paused", no_argument, NULL, 'I' },
		{},
	};
	struct rt_exec_opts o = { 0 };
	_cleanup_strv_ char **env = NULL, **gids = NULL, **caps = NULL;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+e:tu:g:p:dc:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.console_socket = optarg;
			break;
		case 'w':
			o.cwd = optarg;
			break;
		case 'e':
			strv_push(&env, optarg);
			break;
		case 't':
			o.tty = true;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'g':
			strv_push(&gids, optarg);
			break;
		case 'p':
			o.process_path = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'P':
			o.pid_file = optarg;
			break;
		case 'n':
			o.no_new_privs = true;
			break;
		case 'C':
			strv_push(&caps, optarg);
			break;
		case 'I':
			break;
		case 'F':
			if ((r = parse_count(optarg, "--preserve-fds", &o.preserve_fds, err)) < 0)
				return r;
			break;
		case 'L':
		case 'A':
			return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
					       "%s: this kernel has no SELinux or AppArmor",
					       argv[optind - 1]);
		case 'G':
			return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
					       "--cgroup: berth-runtime is not supported yet");
		default:
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "exec: bad option; see --help");
		}
	}
	if ((r = need_id(argc, argv, optind, "exec", err)) < 0)
		return r;
	o.env = env;
	o.additional_gids = gids;
	o.caps = caps;
	o.args = argv + optind + 1;
	return rt_exec(ctx, argv[optind], &o, &rt_cli_exit_status, err);
}

static int cmd_kill(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, {} };
	bool all = false;
	int c, sig = SIGTERM, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		if (c != 'a')
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "kill: bad option");
		all = true;
	}
	if ((r = need_id(argc, argv, optind, "kill", err)) < 0)
		return r;
	if (optind + 1 < argc && rt_signal_parse(argv[optind + 1], &sig) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "unknown signal \"%s\"",
				       argv[optind + 1]);
	return rt_kill(ctx, argv[optind], sig, all, err);
}

static int cmd_delete(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, {} };
	bool force = false;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "delete: bad option");
		force = true;
	}
	if ((r = need_id(argc, argv, optind, "delete", err)) < 0)
		return r;
	for (int i = optind; i < argc; i++)
		if ((r = rt_delete(ctx, argv[i], force, err)) < 0)
			return r;
	return 0;
}

static int cmd_ps_list(const struct rt_context *ctx, int argc, char **argv,
		       struct berth_error **err)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "quiet", no_argument, NULL, 'q' },
					      {} };
	bool json = false, quiet = false, is_ps = strcmp(argv[0], "ps") == 0;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
		if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
			json = strcmp(optarg, "json") == 0;
		else if (c == 'q' && !is_ps)
			quiet = true;
		else
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s: use --format table|json", argv[0]);
	}
	if (!is_ps)
		return rt_list(ctx, json, quiet, stdout, err);
	if ((r = need_id(argc, argv, optind, "ps", err)) < 0)
		return r;
	if (json && optind + 1 < argc)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "ps: options cannot be used with --format json");
	return rt_ps(ctx, argv[optind], json, argv + optind + 1, stdout, err);
}

static int cmd_spec(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err)
{
	static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
					      { "rootless", no_argument, NULL, 'r' },
					      {} };
	const char *bundle = ".";
	bool rootless = false;
	int c;

	(void)ctx;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r')
			rootless = true;
		else
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "spec: bad option");
	}
	return rt_spec_write(bundle, rootless, err);
}

int rt_cli_simple(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err)
{
	const char *cmd = argv[0];
	int r;

	if (strcmp(cmd, "features") == 0)
		return rt_features(stdout, err);
	optind = 1;
	if (argc > 1 && strcmp(argv[1], "--") == 0)
		optind = 2;
	if ((r = need_id(argc, argv, optind, cmd, err)) < 0)
		return r;
	const char *id = argv[optind];
	if (strcmp(cmd, "start") == 0)
		return rt_start(ctx, id, err);
	if (strcmp(cmd, "state") == 0)
		return rt_state(ctx, id, stdout, err);
	if (strcmp(cmd, "pause") == 0)
		return rt_pause(ctx, id, err);
	if (strcmp(cmd, "resume") == 0)
		return rt_resume(ctx, id, err);
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "unknown command '%s'", cmd);
}

const struct rt_cli_cmd rt_cli_cmds[] = {
	{ "create", rt_cli_create, "create a container" },
	{ "start", rt_cli_simple, "start a created container" },
	{ "run", rt_cli_run, "create and start a container" },
	{ "state", rt_cli_simple, "print the state of a container" },
	{ "kill", cmd_kill, "send a signal (default SIGTERM) to a container" },
	{ "delete", cmd_delete, "delete a container ([--force])" },
	{ "exec", rt_cli_exec, "run a process in a container" },
	{ "ps", cmd_ps_list, "list the processes of a container" },
	{ "list", cmd_ps_list, "list containers" },
	{ "pause", rt_cli_simple, "freeze every process of a container" },
	{ "resume", rt_cli_simple, "thaw a paused container" },
	{ "features", rt_cli_simple, "print the features document" },
	{ "spec", cmd_spec, "write an example config.json" },
	{},
};
