/* berth exec: POST /containers/{id}/exec, then /exec/{id}/start (hijacked
 * unless detached) and /exec/{id}/json for the exit code. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-run-internal.h"

struct exec_opts {
	bool detach, interactive, privileged, tty;
	const char *detach_keys, *user, *workdir;
	char **env, **env_file;
};

static json_object *exec_body(struct cli_ctx *ctx, struct exec_opts *o, char **env, char **cmd,
			      int ncmd, unsigned rows, unsigned cols)
{
	json_object *b = json_object_new_object(), *a = json_object_new_array(), *e = NULL;

	json_object_object_add(b, "User", json_object_new_string(o->user ? o->user : ""));
	json_object_object_add(b, "Privileged", json_object_new_boolean(o->privileged));
	json_object_object_add(b, "Tty", json_object_new_boolean(o->tty));
	if (cli_client_version_at_least(&ctx->client, "1.42") && o->tty && rows && cols) {
		json_object *size = json_object_new_array();
		json_object_array_add(size, json_object_new_int64(rows));
		json_object_array_add(size, json_object_new_int64(cols));
		json_object_object_add(b, "ConsoleSize", size);
	}
	json_object_object_add(b, "AttachStdin",
			       json_object_new_boolean(o->interactive && !o->detach));
	json_object_object_add(b, "AttachStderr", json_object_new_boolean(!o->detach));
	json_object_object_add(b, "AttachStdout", json_object_new_boolean(!o->detach));
	json_object_object_add(b, "Detach", json_object_new_boolean(o->detach));
	json_object_object_add(b, "DetachKeys",
			       json_object_new_string(o->detach_keys ? o->detach_keys : ""));
	for (size_t i = 0; env && env[i]; i++) {
		if (!e)
			e = json_object_new_array();
		json_object_array_add(e, json_object_new_string(env[i]));
	}
	json_object_object_add(b, "Env", e);
	json_object_object_add(b, "WorkingDir",
			       json_object_new_string(o->workdir ? o->workdir : ""));
	for (int i = 0; i < ncmd; i++)
		json_object_array_add(a, json_object_new_string(cmd[i]));
	json_object_object_add(b, "Cmd", a);
	return b;
}

/* -e values: "KEY" alone takes the local value when there is one. */
static char **exec_env(struct exec_opts *o, struct berth_error **err)
{
	char **env = NULL;

	for (size_t i = 0; o->env_file && o->env_file[i]; i++) {
		_cleanup_free_ char *data = NULL;
		char *save = NULL;
		if (file_read_all(o->env_file[i], 64 * 1024 * 1024, &data, NULL) < 0) {
			(void)berth_error_set(err, 0, BERTH_ERR_INVALID,
					      "open %s: no such file or directory", o->env_file[i]);
			strv_free(env);
			return NULL;
		}
		for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (*l && *l != '#' && strchr(l, '='))
				strv_push(&env, l);
	}
	for (size_t i = 0; o->env && o->env[i]; i++) {
		if (!strchr(o->env[i], '=') && getenv(o->env[i]))
			strv_push_take(&env, xasprintf("%s=%s", o->env[i], getenv(o->env[i])));
		else
			strv_push(&env, o->env[i]);
	}
	if (!env)
		env = xcalloc(1, sizeof(char *));
	return env;
}

static int exec_run(struct cli_ctx *ctx, struct exec_opts *o, const char *exec_id, unsigned rows,
		    unsigned cols)
{
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = json_object_new_object(), *info = NULL;
	_cleanup_free_ char *eid = cli_path_escape(exec_id), *path = NULL;
	struct cli_request req = CLI_REQUEST("POST", NULL);
	bool detached = false;
	struct cli_session s = { .ctx = ctx,
				 .id = exec_id,
				 .tty = o->tty,
				 .stdin = o->interactive,
				 .stdout = true,
				 .stderr = true,
				 .detach_keys = o->detach_keys,
				 .is_exec = true };

	json_object_object_add(body, "Detach", json_object_new_boolean(o->detach));
	json_object_object_add(body, "Tty", json_object_new_boolean(o->tty));
	if (cli_client_version_at_least(&ctx->client, "1.42") && o->tty && rows && cols) {
		json_object *size = json_object_new_array();
		json_object_array_add(size, json_object_new_int64(rows));
		json_object_array_add(size, json_object_new_int64(cols));
		json_object_object_add(body, "ConsoleSize", size);
	}
	path = xasprintf("/exec/%s/start", eid);
	if (o->detach) {
		if (cli_api_call(&ctx->client, "POST", path, body, NULL, &err) < 0)
			return cli_fail(err, 1);
		return 0;
	}
	req.path = path;
	req.body = body;
	req.hijack = true;
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0 ||
	    cli_session_stream(&s, resp, &detached, &err) < 0)
		return cli_fail(err, 1);
	if (detached) {
		fprintf(stderr, "read escape sequence\n");
		return 1;
	}
	free(path);
	path = xasprintf("/exec/%s/json", eid);
	if (cli_api_call(&ctx->client, "GET", path, NULL, &info, &err) < 0)
		return cli_fail(err, 1);
	return (int)cli_json_int(info, "ExitCode");
}

int cmd_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct exec_opts o = { 0 };
	const struct cli_opt opts[] = {
		{ "detach", 'd', CLI_OPT_BOOL, &o.detach, NULL,
		  "Detached mode: run command in the background" },
		{ "detach-keys", 0, CLI_OPT_STRING, &o.detach_keys, "string",
		  "Override the key sequence for detaching a container" },
		{ "env", 'e', CLI_OPT_LIST, &o.env, "list", "Set environment variables" },
		{ "env-file", 0, CLI_OPT_LIST, &o.env_file, "list",
		  "Read in a file of environment variables" },
		{ "interactive", 'i', CLI_OPT_BOOL, &o.interactive, NULL,
		  "Keep STDIN open even if not attached" },
		{ "privileged", 0, CLI_OPT_BOOL, &o.privileged, NULL,
		  "Give extended privileges to the command" },
		{ "tty", 't', CLI_OPT_BOOL, &o.tty, NULL, "Allocate a pseudo-TTY" },
		{ "user", 'u', CLI_OPT_STRING, &o.user, "string",
		  "Username or UID (format: \"<name|uid>[:<group|gid>]\")" },
		{ "workdir", 'w', CLI_OPT_STRING, &o.workdir, "string",
		  "Working directory inside the container" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] CONTAINER COMMAND [ARG...]",
					 "Execute a command in a running container",
					 "berth container exec, berth exec",
					 CLI_ARGS_MIN,
					 2,
					 0,
					 true };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *c = NULL, *body = NULL, *resp = NULL;
	_cleanup_free_ char *eid = NULL, *path = NULL;
	_cleanup_strv_ char **env = NULL;
	unsigned rows = 0, cols = 0;
	int status;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args)) {
		strv_free(o.env);
		strv_free(o.env_file);
		return args.exit_status;
	}
	env = exec_env(&o, &err);
	strv_free(o.env);
	strv_free(o.env_file);
	if (!env)
		return cli_fail(err, 1);
	if (!o.detach && o.interactive && o.tty && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "the input device is not a TTY\n");
		return 1;
	}
	if (cli_container_inspect(ctx, args.v[0], &c, &err) < 0)
		return cli_fail(err, 1);
	if (o.tty && isatty(STDOUT_FILENO))
		(void)cli_tty_size(STDOUT_FILENO, &rows, &cols);
	body = exec_body(ctx, &o, env[0] ? env : NULL, args.v + 1, args.n - 1, rows, cols);
	eid = cli_path_escape(args.v[0]);
	path = xasprintf("/containers/%s/exec", eid);
	if (cli_api_call(&ctx->client, "POST", path, body, &resp, &err) < 0)
		return cli_fail(err, 1);
	status = exec_run(ctx, &o, cli_json_str(resp, "Id"), rows, cols);
	return status;
}
