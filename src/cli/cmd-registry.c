/* berth registry serve|gc ...: run the registry server, a separate binary
 * (berth-registry) so that the CLI stays small. It is looked for next to
 * this binary, then in the build tree's layout, then in PATH. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli-internal.h"

static void try_exec_near(const char *rel, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	_cleanup_free_ char *path = xasprintf("%s/%s", self, rel);
	if (access(path, X_OK) == 0)
		(void)execv(path, argv);
}

int cmd_registry(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char **args = xcalloc((size_t)argc + 1, sizeof(char *));

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("Usage:  berth registry COMMAND\n\nRun berth's registry server\n\n"
		       "Commands:\n"
		       "  serve       Serve an OCI distribution registry\n"
		       "  gc          Delete blobs no manifest references\n\n"
		       "Run 'berth registry COMMAND --help' for more information on a command.\n");
		return argc < 2 ? 1 : 0;
	}
	args[0] = "berth-registry";
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	(void)fflush(stdout);
	try_exec_near("berth-registry", args);
	try_exec_near("../registry/berth-registry", args);
	(void)execvp("berth-registry", args);
	fprintf(stderr, "berth: cannot run berth-registry: %s\n", cli_strerror(errno));
	return 127;
}
