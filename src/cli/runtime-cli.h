/* berth-runtime's command line (runc-compatible): one function per command. */
#ifndef BERTH_RUNTIME_CLI_H
#define BERTH_RUNTIME_CLI_H

#include "runtime.h"

struct rt_cli_cmd {
	const char *name;
	int (*fn)(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err);
	const char *usage;
};

extern const struct rt_cli_cmd rt_cli_cmds[];

int rt_cli_create(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err);
int rt_cli_run(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err);
int rt_cli_exec(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err);
int rt_cli_simple(const struct rt_context *ctx, int argc, char **argv, struct berth_error **err);

/* Exit status for `run` and `exec`, set by those commands. */
extern int rt_cli_exit_status;

#endif
