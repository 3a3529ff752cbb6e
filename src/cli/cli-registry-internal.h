/* berth CLI: registry commands (pull, push, login, logout), their progress
 * display and the client's credentials (~/.docker/config.json).
 */
#ifndef BERTH_CLI_REGISTRY_INTERNAL_H
#define BERTH_CLI_REGISTRY_INTERNAL_H

#include <stdio.h>

#include "cli-internal.h"

/* ---- progress (cli-progress.c) ---- */

/* Show dockerd's JSON message stream as docker's jsonmessage does: on a
 * terminal one line per id, updated in place with its progress bar; else
 * plain lines without the bars. out NULL: read and discard (quiet). aux
 * messages go to aux_cb when given. An errorDetail ends it as an error. */
int cli_progress_display(struct cli_http_response *r, FILE *out,
			 void (*aux_cb)(json_object *aux, void *data), void *aux_data,
			 struct berth_error **err);

/* ---- credentials (cli-auth-config.c) ---- */

#define CLI_INDEX_SERVER "https://index.docker.io/v1/"

struct cli_auth {
	char *username;
	char *password;
	char *identity_token;
	char *server;
};
void cli_auth_done(struct cli_auth *a);

/* The config directory: --config, $DOCKER_CONFIG, ~/.docker. */
char *cli_config_dir(void);
/* The credentials key of a registry: docker.io -> CLI_INDEX_SERVER, else
 * the host[:port] (scheme and path dropped). */
char *cli_registry_key(const char *server);
/* Stored credentials for key (credHelpers, credsStore or "auths"); none
 * found: 0 with an empty *ret. */
int cli_auth_get(const char *key, struct cli_auth *ret, struct berth_error **err);
int cli_auth_store(const char *key, const struct cli_auth *a, bool *ret_in_file,
		   struct berth_error **err);
/* Remove key's credentials; *ret_found tells whether there were any. */
int cli_auth_erase(const char *key, bool *ret_found, struct berth_error **err);
/* "X-Registry-Auth: <base64url JSON>\r\n" for a registry domain. */
char *cli_registry_auth_header(const char *domain);
/* Base64 (standard alphabet, or URL-safe), padded. */
char *cli_base64_encode(const void *data, size_t len, bool url);
int cli_base64_decode(const char *s, char **ret, size_t *ret_len);

/* --config of the command line (cli-main.c). */
extern const char *cli_arg_config;

/* Pull image (all: every tag of its repository), progress to out (NULL: none). */
int cli_image_pull_all(struct cli_ctx *ctx, const char *image, const char *platform, bool all,
		       FILE *out, struct berth_error **err);

int cmd_pull(struct cli_ctx *ctx, int argc, char **argv);
int cmd_push(struct cli_ctx *ctx, int argc, char **argv);
int cmd_login(struct cli_ctx *ctx, int argc, char **argv);
int cmd_logout(struct cli_ctx *ctx, int argc, char **argv);

#endif
