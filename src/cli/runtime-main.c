/* berth-runtime: global options, then dispatch to the command table. */
#define LOG_CATEGORY "cli"
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime-cli.h"

int rt_cli_exit_status;

static void usage(FILE *out)
{
	fprintf(out, "Usage: berth-runtime [global options] COMMAND [options] ID\n\n"
		     "An OCI runtime with runc's command line.\n\nCommands:\n");
	for (const struct rt_cli_cmd *c = rt_cli_cmds; c->name; c++)
		fprintf(out, "  %-9s %s\n", c->name, c->usage);
	fprintf(out, "\nGlobal options:\n"
		     "  --root DIR          state directory (default " RT_DEFAULT_ROOT ")\n"
		     "  --log FILE          write log lines to FILE\n"
		     "  --log-format FMT    text or json\n"
		     "  --debug             debug logging\n"
		     "  --systemd-cgroup    use the systemd cgroup driver (not supported)\n"
		     "  --version, --help\n");
}

static int open_log(const char *path, const char *format)
{
	enum log_format f = LOG_FORMAT_TEXT;

	if (format && strcmp(format, "json") == 0)
		f = LOG_FORMAT_JSON;
	else if (format && strcmp(format, "text") != 0) {
		fprintf(stderr, "berth-runtime: --log-format '%s': use text or json\n", format);
		return -EINVAL;
	}
	if (!path) {
		log_set_target(STDERR_FILENO, f);
		return STDERR_FILENO;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "berth-runtime: open log '%s': %s\n", path, strerror(errno));
		return -errno;
	}
	log_set_target(fd, f);
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "criu", required_argument, NULL, 'c' },
		{ "rootless", required_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct rt_context ctx = { .root = RT_DEFAULT_ROOT, .log_fd = -1 };
	const char *log_path = NULL, *log_format = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	bool debug = false;
	int c;

	/* A closed stdio descriptor would be reused by the first file we open, and
	 * then handed to the container as its stdio or written to as our stderr. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return 1;
	log_set_program("berth-runtime");
	rt_protect_set_argv(argv);
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			ctx.root = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'f':
			log_format = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 's':
			ctx.systemd_cgroup = true;
			break;
		case 'c':
		case 'R':
			break; /* runc compatibility: checkpointing and rootless are not used */
		case 'v':
			printf("berth-runtime version %s\nspec: 1.2.0\n", BERTH_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	int lfd = open_log(log_path, log_format);
	if (lfd < 0)
		return 1;
	ctx.log_fd = log_path ? lfd : -1;
	log_set_level(debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	const char *name = argv[optind];
	const struct rt_cli_cmd *cmd = NULL;
	for (const struct rt_cli_cmd *k = rt_cli_cmds; k->name; k++)
		if (strcmp(k->name, name) == 0)
			cmd = k;
	if (!cmd) {
		fprintf(stderr, "berth-runtime: unknown command '%s'; see 'berth-runtime --help'\n",
			name);
		return 1;
	}
	if (ctx.systemd_cgroup) {
		(void)berth_error_set(
			&err, EOPNOTSUPP, BERTH_ERR_INVALID,
			"--systemd-cgroup: the systemd cgroup driver is not supported; "
			"use cgroupfs paths");
	} else if (cmd->fn(&ctx, argc - optind, argv + optind, &err) >= 0) {
		return rt_cli_exit_status;
	}
	log_error("%s", err ? err->msg : "failed");
	if (log_path)
		fprintf(stderr, "berth-runtime: %s\n", err ? err->msg : "failed");
	return 1;
}
