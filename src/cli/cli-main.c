/* berth: global flags, then the command (or command group) table. */
#define LOG_CATEGORY "cli"
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"
#include "cli-network-internal.h"
#include "cli-registry-internal.h"

struct cmd_entry {
	const char *name;
	cli_cmd_fn fn; /* NULL: a group (sub) or not supported yet */
	const struct cmd_entry *sub;
	const char *summary;
};

static const struct cmd_entry container_cmds[] = {
	{ "attach", cmd_attach, NULL,
	  "Attach local standard input, output, and error streams to a running container" },
	{ "commit", cmd_commit, NULL, "Create a new image from a container's changes" },
	{ "cp", cmd_cp, NULL, "Copy files/folders between a container and the local filesystem" },
	{ "create", cmd_create, NULL, "Create a new container" },
	{ "diff", cmd_diff, NULL,
	  "Inspect changes to files or directories on a container's filesystem" },
	{ "exec", cmd_exec, NULL, "Execute a command in a running container" },
	{ "export", cmd_export, NULL, "Export a container's filesystem as a tar archive" },
	{ "inspect", cmd_container_inspect, NULL,
	  "Display detailed information on one or more containers" },
	{ "kill", cmd_kill, NULL, "Kill one or more running containers" },
	{ "logs", cmd_logs, NULL, "Fetch the logs of a container" },
	{ "ls", cmd_ps, NULL, "List containers" },
	{ "list", cmd_ps, NULL, NULL },
	{ "ps", cmd_ps, NULL, NULL },
	{ "pause", cmd_pause, NULL, "Pause all processes within one or more containers" },
	{ "port", cmd_port, NULL, "List port mappings or a specific mapping for the container" },
	{ "prune", cmd_container_prune, NULL, "Remove all stopped containers" },
	{ "rename", cmd_rename, NULL, "Rename a container" },
	{ "restart", cmd_restart, NULL, "Restart one or more containers" },
	{ "rm", cmd_rm, NULL, "Remove one or more containers" },
	{ "remove", cmd_rm, NULL, NULL },
	{ "run", cmd_run, NULL, "Create and run a new container from an image" },
	{ "start", cmd_start, NULL, "Start one or more stopped containers" },
	{ "stats", cmd_stats, NULL,
	  "Display a live stream of container(s) resource usage statistics" },
	{ "stop", cmd_stop, NULL, "Stop one or more running containers" },
	{ "top", cmd_top, NULL, "Display the running processes of a container" },
	{ "unpause", cmd_unpause, NULL, "Unpause all processes within one or more containers" },
	{ "update", cmd_update, NULL, "Update configuration of one or more containers" },
	{ "wait", cmd_wait, NULL,
	  "Block until one or more containers stop, then print their exit codes" },
	{},
};

static const struct cmd_entry image_cmds[] = {
	{ "build", NULL, NULL, "Build an image from a Dockerfile" },
	{ "history", cmd_history, NULL, "Show the history of an image" },
	{ "import", cmd_import, NULL,
	  "Import the contents from a tarball to create a filesystem image" },
	{ "inspect", cmd_image_inspect, NULL,
	  "Display detailed information on one or more images" },
	{ "load", cmd_load, NULL, "Load an image from a tar archive or STDIN" },
	{ "ls", cmd_images, NULL, "List images" },
	{ "list", cmd_images, NULL, NULL },
	{ "prune", cmd_image_prune, NULL, "Remove unused images" },
	{ "pull", cmd_pull, NULL, "Download an image from a registry" },
	{ "push", cmd_push, NULL, "Upload an image to a registry" },
	{ "rm", cmd_rmi, NULL, "Remove one or more images" },
	{ "remove", cmd_rmi, NULL, NULL },
	{ "save", cmd_save, NULL,
	  "Save one or more images to a tar archive (streamed to STDOUT by default)" },
	{ "tag", cmd_tag, NULL, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
	{},
};

static const struct cmd_entry network_cmds[] = {
	{ "connect", cmd_network_connect, NULL, "Connect a container to a network" },
	{ "create", cmd_network_create, NULL, "Create a network" },
	{ "disconnect", cmd_network_disconnect, NULL, "Disconnect a container from a network" },
	{ "inspect", cmd_network_inspect, NULL,
	  "Display detailed information on one or more networks" },
	{ "ls", cmd_network_ls, NULL, "List networks" },
	{ "list", cmd_network_ls, NULL, NULL },
	{ "prune", cmd_network_prune, NULL, "Remove all unused networks" },
	{ "rm", cmd_network_rm, NULL, "Remove one or more networks" },
	{ "remove", cmd_network_rm, NULL, NULL },
	{},
};

static const struct cmd_entry volume_cmds[] = {
	{ "create", cmd_volume_create, NULL, "Create a volume" },
	{ "inspect", cmd_volume_inspect, NULL,
	  "Display detailed information on one or more volumes" },
	{ "ls", cmd_volume_ls, NULL, "List volumes" },
	{ "list", cmd_volume_ls, NULL, NULL },
	{ "prune", cmd_volume_prune, NULL, "Remove unused local volumes" },
	{ "rm", cmd_volume_rm, NULL, "Remove one or more volumes" },
	{ "remove", cmd_volume_rm, NULL, NULL },
	{},
};

static const struct cmd_entry system_cmds[] = {
	{ "df", cmd_system_df, NULL, "Show berth disk usage" },
	{ "events", cmd_events, NULL, "Get real time events from the server" },
	{ "info", cmd_info, NULL, "Display system-wide information" },
	{ "prune", cmd_system_prune, NULL, "Remove unused data" },
	{},
};

static const struct cmd_entry top_cmds[] = {
	{ "run", cmd_run, NULL, "Create and run a new container from an image" },
	{ "exec", cmd_exec, NULL, "Execute a command in a running container" },
	{ "ps", cmd_ps, NULL, "List containers" },
	{ "images", cmd_images, NULL, "List images" },
	{ "version", cmd_version, NULL, "Show the berth version information" },
	{ "info", cmd_info, NULL, "Display system-wide information" },
	{ "container", NULL, container_cmds, "Manage containers" },
	{ "image", NULL, image_cmds, "Manage images" },
	{ "network", NULL, network_cmds, "Manage networks" },
	{ "volume", NULL, volume_cmds, "Manage volumes" },
	{ "system", NULL, system_cmds, "Manage berth" },
	{ "attach", cmd_attach, NULL,
	  "Attach local standard input, output, and error streams to a running container" },
	{ "commit", cmd_commit, NULL, "Create a new image from a container's changes" },
	{ "cp", cmd_cp, NULL, "Copy files/folders between a container and the local filesystem" },
	{ "create", cmd_create, NULL, "Create a new container" },
	{ "diff", cmd_diff, NULL,
	  "Inspect changes to files or directories on a container's filesystem" },
	{ "events", cmd_events, NULL, "Get real time events from the server" },
	{ "export", cmd_export, NULL, "Export a container's filesystem as a tar archive" },
	{ "history", cmd_history, NULL, "Show the history of an image" },
	{ "import", cmd_import, NULL,
	  "Import the contents from a tarball to create a filesystem image" },
	{ "inspect", cmd_inspect, NULL, "Return low-level information on berth objects" },
	{ "kill", cmd_kill, NULL, "Kill one or more running containers" },
	{ "load", cmd_load, NULL, "Load an image from a tar archive or STDIN" },
	{ "login", cmd_login, NULL, "Authenticate to a registry" },
	{ "logout", cmd_logout, NULL, "Log out from a registry" },
	{ "logs", cmd_logs, NULL, "Fetch the logs of a container" },
	{ "pause", cmd_pause, NULL, "Pause all processes within one or more containers" },
	{ "port", cmd_port, NULL, "List port mappings or a specific mapping for the container" },
	{ "pull", cmd_pull, NULL, "Download an image from a registry" },
	{ "push", cmd_push, NULL, "Upload an image to a registry" },
	{ "registry", cmd_registry, NULL, "Run berth's registry server (serve, gc)" },
	{ "rename", cmd_rename, NULL, "Rename a container" },
	{ "restart", cmd_restart, NULL, "Restart one or more containers" },
	{ "rm", cmd_rm, NULL, "Remove one or more containers" },
	{ "rmi", cmd_rmi, NULL, "Remove one or more images" },
	{ "save", cmd_save, NULL,
	  "Save one or more images to a tar archive (streamed to STDOUT by default)" },
	{ "start", cmd_start, NULL, "Start one or more stopped containers" },
	{ "stats", cmd_stats, NULL,
	  "Display a live stream of container(s) resource usage statistics" },
	{ "stop", cmd_stop, NULL, "Stop one or more running containers" },
	{ "tag", cmd_tag, NULL, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
	{ "top", cmd_top, NULL, "Display the running processes of a container" },
	{ "unpause", cmd_unpause, NULL, "Unpause all processes within one or more containers" },
	{ "update", cmd_update, NULL, "Update configuration of one or more containers" },
	{ "wait", cmd_wait, NULL,
	  "Block until one or more containers stop, then print their exit codes" },
	{},
};

/* Commands of docker that the daemon does not serve yet. */
static const char *const unsupported[] = {
	"build",   "builder",  "buildx", "checkpoint", "compose", "config",
	"context", "manifest", "node",	 "plugin",     "search",  "secret",
	"service", "stack",    "swarm",	 "trust",      NULL,
};

static const char *arg_context, *arg_log_level;
static bool arg_debug, arg_version, arg_tls, arg_tlsverify;
static const char *arg_tlscacert, *arg_tlscert, *arg_tlskey;

static const struct cli_opt global_opts[] = {
	{ "config", 0, CLI_OPT_STRING, &cli_arg_config, "string",
	  "Location of client config files" },
	{ "context", 'c', CLI_OPT_STRING, &arg_context, "string",
	  "Name of the context to use to connect to the daemon" },
	{ "debug", 'D', CLI_OPT_BOOL, &arg_debug, NULL, "Enable debug mode" },
	{ "host", 'H', CLI_OPT_STRING, &cli_arg_host, "list", "Daemon socket to connect to" },
	{ "log-level", 'l', CLI_OPT_STRING, &arg_log_level, "string",
	  "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\") (default "
	  "\"info\")" },
	{ "tls", 0, CLI_OPT_BOOL, &arg_tls, NULL, "Use TLS; implied by --tlsverify" },
	{ "tlscacert", 0, CLI_OPT_STRING, &arg_tlscacert, "string",
	  "Trust certs signed only by this CA" },
	{ "tlscert", 0, CLI_OPT_STRING, &arg_tlscert, "string", "Path to TLS certificate file" },
	{ "tlskey", 0, CLI_OPT_STRING, &arg_tlskey, "string", "Path to TLS key file" },
	{ "tlsverify", 0, CLI_OPT_BOOL, &arg_tlsverify, NULL, "Use TLS and verify the remote" },
	{ "version", 'v', CLI_OPT_BOOL, &arg_version, NULL, "Print version information and quit" },
	{},
};
const struct cli_opt *cli_global_opts = global_opts;

static void print_cmds(const struct cmd_entry *cmds, bool groups)
{
	for (const struct cmd_entry *c = cmds; c->name; c++)
		if (c->summary && (c->sub != NULL) == groups)
			printf("  %-11s %s\n", c->name, c->summary);
}

static void main_help(void)
{
	printf("Usage:  berth [OPTIONS] COMMAND\n\nA container engine with docker's command "
	       "line\n\nCommon Commands:\n");
	print_cmds(top_cmds, false);
	printf("\nManagement Commands:\n");
	print_cmds(top_cmds, true);
	printf("\nGlobal Options:\n");
	for (const struct cli_opt *o = global_opts; o->name; o++) {
		_cleanup_free_ char *label =
			o->shorthand ? xasprintf("  -%c, --%s%s%s", o->shorthand, o->name,
						 o->type ? " " : "", o->type ? o->type : "")
				     : xasprintf("      --%s%s%s", o->name, o->type ? " " : "",
						 o->type ? o->type : "");
		printf("%-25s %s\n", label, o->help);
	}
	printf("\nRun 'berth COMMAND --help' for more information on a command.\n");
}

static void group_help(const char *name, const struct cmd_entry *group)
{
	printf("Usage:  berth %s COMMAND\n\n%s\n\nCommands:\n", name, group->summary);
	print_cmds(group->sub, false);
	printf("\nRun 'berth %s COMMAND --help' for more information on a command.\n", name);
}

static bool is_unsupported(const char *name)
{
	for (size_t i = 0; unsupported[i]; i++)
		if (strcmp(unsupported[i], name) == 0)
			return true;
	return false;
}

static int not_supported(const char *name)
{
	fprintf(stderr, "berth: '%s' is not supported yet\n", name);
	return 1;
}

static const struct cmd_entry *find_cmd(const struct cmd_entry *cmds, const char *name)
{
	for (const struct cmd_entry *c = cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int run_group(struct cli_ctx *ctx, const struct cmd_entry *group, int argc, char **argv)
{
	const struct cmd_entry *c;
	_cleanup_free_ char *path = NULL;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		group_help(group->name, group);
		return 0;
	}
	c = find_cmd(group->sub, argv[1]);
	if (!c) {
		fprintf(stderr,
			"berth: unknown command: berth %s %s\n\nUsage:  berth %s\n\nRun 'berth %s "
			"--help' for more information\n",
			group->name, argv[1], group->name, group->name);
		return 1;
	}
	if (!c->fn)
		return not_supported(c->name);
	path = xasprintf("%s %s", group->name, c->name);
	ctx->path = path;
	return c->fn(ctx, argc - 1, argv + 1);
}

static int dispatch(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *c = find_cmd(top_cmds, argv[0]);

	if (!c && is_unsupported(argv[0]))
		return not_supported(argv[0]);
	if (!c) {
		fprintf(stderr,
			"berth: unknown command: berth %s\n\nRun 'berth --help' for more "
			"information\n",
			argv[0]);
		return 1;
	}
	if (c->sub)
		return run_group(ctx, c, argc, argv);
	ctx->path = c->name;
	return c->fn(ctx, argc, argv);
}

int main(int argc, char **argv)
{
	static const struct cli_command main_cmd = {
		.path = "",
		.usage = "[OPTIONS] COMMAND [ARG...]",
		.stop_at_arg = true,
		.help = main_help,
	};
	_cleanup_args_ struct cli_args args = { 0 };
	struct cli_ctx ctx = { 0 };
	int status;

	/* A closed stdio descriptor would be reused by the first socket we open. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return 1;
	(void)setlocale(LC_CTYPE, "");
	log_set_program("berth");
	if (cli_opts_parse(&main_cmd, NULL, argc, argv, &args) > 0)
		return args.exit_status;
	if (arg_version) {
		printf("Berth version %s\n", BERTH_VERSION);
		return 0;
	}
	if (args.n == 0) {
		main_help();
		return 0;
	}
	if (arg_context && strcmp(arg_context, "default") != 0) {
		fprintf(stderr, "berth: contexts are not supported yet\n");
		return 1;
	}
	if (arg_tls || arg_tlsverify) {
		fprintf(stderr, "berth: TLS is not supported yet\n");
		return 1;
	}
	ctx.debug = arg_debug;
	log_set_level(arg_debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	status = dispatch(&ctx, args.n, args.v);
	cli_client_done(&ctx.client);
	(void)fflush(stdout);
	return status;
}
