/* berth CLI: what the commands share.
 *
 * Each command is one function cmd_<name>(ctx, argc, argv) in cmd-<name>.c:
 * argv[0] is the command's name, ctx->path how it was invoked ("ps",
 * "container ls") for messages. It returns the process exit status and is
 * the edge that prints errors (docker's texts: "Error response from daemon:
 * ..." and the like); the helpers below it return errors instead.
 */
#ifndef BERTH_CLI_INTERNAL_H
#define BERTH_CLI_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>

#include "cli-api-internal.h"
#include "cli-buf-internal.h"
#include "cli-format-internal.h"
#include "cli-opts-internal.h"
#include "json-util.h"

struct cli_ctx {
	struct cli_client client;
	const char *path; /* the command as invoked, for messages */
	bool debug;
};

typedef int (*cli_cmd_fn)(struct cli_ctx *ctx, int argc, char **argv);

/* strerror in Go's words (lower case: "no such file or directory"). */
const char *cli_strerror(int errnum);
/* Print err's message on stderr; returns status. */
int cli_fail(struct berth_error *err, int status);
/* Print "berth: <msg>\n\nRun 'berth <path> --help' for more information" (run/create style). */
int cli_fail_run(struct cli_ctx *ctx, struct berth_error *err, int status);

/* The daemon's JSON for a container or an image (GET /containers/{id}/json ...). */
int cli_container_inspect(struct cli_ctx *ctx, const char *id, json_object **ret,
			  struct berth_error **err);
/* docker's GetTimestamp for --since and --until: a duration before now, RFC
 * 3339, a local date and time, or unix seconds; *ret is the query value. what
 * names the flag in the error (NULL: the bare message, as for events). */
int cli_timestamp_arg(const char *what, const char *s, char **ret, struct berth_error **err);
/* filters=... query JSON from "key=value" strings: {"key":{"value":true}}. */
char *cli_filters_json(char *const *filters);
/* Typed reads of daemon JSON (absent or wrong type: the default). */
const char *cli_json_str(json_object *o, const char *key);
int64_t cli_json_int(json_object *o, const char *key);
bool cli_json_bool(json_object *o, const char *key);
json_object *cli_json_get(json_object *o, const char *key);
/* A json_object_set_userdata() destructor for a json_object userdata. */
void cli_json_userdata_put(json_object *o, void *userdata);
/* Print a daemon JSON value like docker inspect (4-space indent). */
void cli_print_json_indent(json_object *o);

/* POST /containers/{arg}/<action><query> for each argument, printing the
 * argument when it worked and the daemon's error when not; 0 or 1. */
int cli_each_container(struct cli_ctx *ctx, char **args, int n, const char *action,
		       const char *query);

/* Print a JSON message stream (load, import) like docker's jsonmessage:
 * "stream" text as is, "status" lines; an errorDetail ends it as an error. */
int cli_display_messages(struct cli_http_response *r, struct berth_error **err);
/* The "Untagged:"/"Deleted:" lines of DELETE /images (lower case for prune). */
void cli_print_image_deletes(json_object *list, bool lower);
/* Ask "Are you sure you want to continue? [y/N] " after warning; true on y. */
bool cli_confirm(const char *warning);

/* Signals by name or number ("KILL", "SIGKILL", "9") to a number; -EINVAL if unknown. */
int cli_signal_parse(const char *s);
const char *cli_signal_name(int sig); /* "TERM" */

/* Commands. */
int cmd_attach(struct cli_ctx *ctx, int argc, char **argv);
int cmd_container_prune(struct cli_ctx *ctx, int argc, char **argv);
int cmd_commit(struct cli_ctx *ctx, int argc, char **argv);
int cmd_create(struct cli_ctx *ctx, int argc, char **argv);
int cmd_cp(struct cli_ctx *ctx, int argc, char **argv);
int cmd_diff(struct cli_ctx *ctx, int argc, char **argv);
int cmd_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_exec(struct cli_ctx *ctx, int argc, char **argv);
int cmd_history(struct cli_ctx *ctx, int argc, char **argv);
int cmd_image_prune(struct cli_ctx *ctx, int argc, char **argv);
int cmd_images(struct cli_ctx *ctx, int argc, char **argv);
int cmd_import(struct cli_ctx *ctx, int argc, char **argv);
int cmd_info(struct cli_ctx *ctx, int argc, char **argv);
int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_container_inspect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_image_inspect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_kill(struct cli_ctx *ctx, int argc, char **argv);
int cmd_load(struct cli_ctx *ctx, int argc, char **argv);
int cmd_logs(struct cli_ctx *ctx, int argc, char **argv);
int cmd_pause(struct cli_ctx *ctx, int argc, char **argv);
int cmd_unpause(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ps(struct cli_ctx *ctx, int argc, char **argv);
int cmd_registry(struct cli_ctx *ctx, int argc, char **argv);
int cmd_rename(struct cli_ctx *ctx, int argc, char **argv);
int cmd_top(struct cli_ctx *ctx, int argc, char **argv);
int cmd_events(struct cli_ctx *ctx, int argc, char **argv);
int cmd_restart(struct cli_ctx *ctx, int argc, char **argv);
int cmd_rm(struct cli_ctx *ctx, int argc, char **argv);
int cmd_rmi(struct cli_ctx *ctx, int argc, char **argv);
int cmd_run(struct cli_ctx *ctx, int argc, char **argv);
int cmd_save(struct cli_ctx *ctx, int argc, char **argv);
int cmd_start(struct cli_ctx *ctx, int argc, char **argv);
int cmd_stats(struct cli_ctx *ctx, int argc, char **argv);
int cmd_stop(struct cli_ctx *ctx, int argc, char **argv);
int cmd_system_df(struct cli_ctx *ctx, int argc, char **argv);
int cmd_volume_create(struct cli_ctx *ctx, int argc, char **argv);
int cmd_volume_inspect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_volume_ls(struct cli_ctx *ctx, int argc, char **argv);
int cmd_volume_prune(struct cli_ctx *ctx, int argc, char **argv);
int cmd_volume_rm(struct cli_ctx *ctx, int argc, char **argv);
int cmd_system_prune(struct cli_ctx *ctx, int argc, char **argv);
int cmd_tag(struct cli_ctx *ctx, int argc, char **argv);
int cmd_update(struct cli_ctx *ctx, int argc, char **argv);
int cmd_version(struct cli_ctx *ctx, int argc, char **argv);
int cmd_wait(struct cli_ctx *ctx, int argc, char **argv);

#endif
