/* berth CLI: command-line flags with docker's (pflag's) rules and messages.
 *
 * Each command describes itself (struct cli_command) and its flags (a table
 * of struct cli_opt ending with an empty entry). The parser accepts
 * "--name value", "--name=value", "-n value", "-nvalue", "-n=value", grouped
 * shorthands ("-it"), "--bool=false", "--" and, unless the command stops at
 * its first argument (run, create, exec), flags after arguments. It prints
 * docker's messages itself: usage errors exit 125, argument count errors 1,
 * --help prints the help and exits 0.
 */
#ifndef BERTH_CLI_OPTS_INTERNAL_H
#define BERTH_CLI_OPTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"

enum cli_opt_kind {
	CLI_OPT_BOOL,	/* bool * */
	CLI_OPT_STRING, /* const char ** (borrowed from argv) */
	CLI_OPT_LIST,	/* char *** (a strv; repeated flags append) */
	CLI_OPT_INT,	/* int64_t * */
	CLI_OPT_FUNC,	/* parse(arg, target, &msg) */
	CLI_OPT_KIND_MAX,
};

/* A custom flag parser: 0, or a negative errno with *ret_msg set (pflag's
 * text after "invalid argument "x" for "-m, --memory" flag: "). */
typedef int (*cli_opt_parse_fn)(const char *arg, void *target, char **ret_msg);

struct cli_opt {
	const char *name; /* long name, without "--" */
	char shorthand;	  /* 0 when none */
	enum cli_opt_kind kind;
	void *target;
	const char *type; /* shown in help: "string", "list", "int", "bytes"... */
	const char *help;
	cli_opt_parse_fn parse; /* CLI_OPT_FUNC */
	bool *seen;		/* set to true when the flag is given, if not NULL */
};

enum cli_args_rule {
	CLI_ARGS_ANY,
	CLI_ARGS_NONE,
	CLI_ARGS_EXACT,
	CLI_ARGS_MIN,
	CLI_ARGS_RANGE,
	CLI_ARGS_RULE_MAX,
};

struct cli_command {
	const char *path;    /* "ps", "image ls": shown as "berth <path>" */
	const char *usage;   /* after the path: "[OPTIONS] CONTAINER [CONTAINER...]" */
	const char *summary; /* one line */
	const char *aliases; /* "berth container ls, berth ps" or NULL */
	enum cli_args_rule args;
	int nargs, nargs_max;
	bool stop_at_arg;   /* flags end at the first argument (run, create, exec) */
	void (*help)(void); /* prints --help instead of the generated help, if set */
};

struct cli_args {
	char **v; /* the arguments, borrowed from argv; the array is owned */
	int n;
	int exit_status; /* when the parser returns 1 */
};

static inline void cli_args_done(struct cli_args *a)
{
	free(a->v);
}
#define _cleanup_args_ _cleanup_(cli_args_done)

/* The flags every command accepts after the global ones (-H, -D, ...). */
extern const struct cli_opt *cli_global_opts;

/* Parse argv[1..argc) (argv[0] is the command name). 0: go on with args;
 * 1: stop and exit with args->exit_status (help shown or error printed). */
int cli_opts_parse(const struct cli_command *cmd, const struct cli_opt *opts, int argc, char **argv,
		   struct cli_args *args);
/* Print the command's help to stdout. */
void cli_opts_help(const struct cli_command *cmd, const struct cli_opt *opts);
/* Print "<msg>\n\nUsage: ...\n\nRun 'berth <path> --help' for more information" (exit 125 style).
 */
void cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parsers for CLI_OPT_FUNC flags, with pflag's messages. */
int cli_parse_bytes(const char *arg, void *target, char **ret_msg);	   /* int64_t *, "64m" */
int cli_parse_bytes_or_neg(const char *arg, void *target, char **ret_msg); /* "-1" allowed */
int cli_parse_filter(const char *arg, void *target, char **ret_msg);	   /* char ***, k=v */
int cli_parse_bool(const char *arg, bool *ret, char **ret_msg);
int cli_parse_int(const char *arg, int64_t *ret, char **ret_msg);
/* "64m", "1g", "100" (bytes, binary units as docker's RAMInBytes). */
int cli_bytes_from_string(const char *s, int64_t *ret);

#endif
