/* berth login and logout: credentials checked by the daemon (POST /auth) and
 * kept as the docker CLI keeps them (cli-auth-config.c). */
#define LOG_CATEGORY "cli"
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli-registry-internal.h"

static char *read_line(FILE *in, bool echo)
{
	struct termios old, quiet;
	bool tty = !echo && isatty(fileno(in)) && tcgetattr(fileno(in), &old) == 0;
	char *line = NULL;
	size_t cap = 0;

	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(fileno(in), TCSANOW, &quiet);
	}
	ssize_t n = getline(&line, &cap, in);
	if (tty) {
		(void)tcsetattr(fileno(in), TCSANOW, &old);
		fputc('\n', stdout);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* POST /auth; *ret_token: the identity token the daemon returned, if any. */
static int authenticate(struct cli_ctx *ctx, const struct cli_auth *a, const char *server,
			char **ret_token, struct berth_error **err)
{
	_cleanup_json_ json_object *body = json_object_new_object(), *resp = NULL;

	if (a->username)
		json_object_object_add(body, "username", json_object_new_string(a->username));
	if (a->password)
		json_object_object_add(body, "password", json_object_new_string(a->password));
	json_object_object_add(body, "serveraddress", json_object_new_string(server));
	if (a->identity_token)
		json_object_object_add(body, "identitytoken",
				       json_object_new_string(a->identity_token));
	int r = cli_api_call(&ctx->client, "POST", "/auth", body, &resp, err);
	if (r < 0)
		return r;
	const char *token = cli_json_str(resp, "IdentityToken");
	*ret_token = *token ? xstrdup(token) : NULL;
	return 0;
}

int cmd_login(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *user = NULL, *password = NULL;
	bool password_stdin = false;
	const struct cli_opt opts[] = {
		{ "password", 'p', CLI_OPT_STRING, &password, "string",
		  "Password or Personal Access Token (PAT)" },
		{ "password-stdin", 0, CLI_OPT_BOOL, &password_stdin, NULL,
		  "Take the Password or Personal Access Token (PAT) from stdin" },
		{ "username", 'u', CLI_OPT_STRING, &user, "string", "Username" },
		{},
	};
	const struct cli_command cmd = {
		ctx->path, "[OPTIONS] [SERVER]", "Authenticate to a registry",
		NULL,	   CLI_ARGS_RANGE,	 0,
		1
	};
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_auth_done) struct cli_auth a = { 0 };
	_cleanup_free_ char *token = NULL, *pw = NULL, *key = NULL;
	bool in_file = false;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (password) {
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
				"--password-stdin.\n");
		if (password_stdin) {
			fprintf(stderr, "--password and --password-stdin are mutually exclusive\n");
			return 1;
		}
	}
	if (password_stdin) {
		if (!user) {
			fprintf(stderr, "Must provide --username with --password-stdin\n");
			return 1;
		}
		_cleanup_free_ char *line = NULL;
		size_t cap = 0;
		ssize_t n = getdelim(&line, &cap, '\0', stdin);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		pw = xstrdup(n > 0 ? line : "");
		password = pw;
	}
	key = args.n ? cli_registry_key(args.v[0]) : xstrdup(CLI_INDEX_SERVER);
	/* no credentials given: the stored ones, if they still work */
	if (!user && !password && cli_auth_get(key, &a, NULL) == 0 &&
	    (a.username || a.identity_token)) {
		printf("Authenticating with existing credentials...\n");
		if (authenticate(ctx, &a, key, &token, &err) == 0) {
			printf("Login Succeeded\n");
			return 0;
		}
		berth_error_free(TAKE_PTR(err));
	}
	cli_auth_done(&a);
	if (!user || !password) {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr, "Error: Cannot perform an interactive login from a non TTY "
					"device\n");
			return 1;
		}
		if (!user) {
			printf("Username: ");
			(void)fflush(stdout);
			a.username = read_line(stdin, true);
		}
		if (!password) {
			printf("Password: ");
			(void)fflush(stdout);
			a.password = read_line(stdin, false);
		}
	}
	if (!a.username)
		a.username = xstrdup(user ? user : "");
	if (!a.password)
		a.password = xstrdup(password ? password : "");
	if (!*a.username) {
		fprintf(stderr, "Error: Non-null Username Required\n");
		return 1;
	}
	if (!*a.password) {
		fprintf(stderr, "Error: Password Required\n");
		return 1;
	}
	if (authenticate(ctx, &a, key, &token, &err) < 0)
		return cli_fail(err, 1);
	if (token) {
		a.identity_token = TAKE_PTR(token);
		free(a.password);
		a.password = NULL;
	}
	if (cli_auth_store(key, &a, &in_file, &err) < 0) {
		fprintf(stderr, "Error saving credentials: %s\n", err->msg);
		return 1;
	}
	if (in_file) {
		_cleanup_free_ char *dir = cli_config_dir();
		fprintf(stderr,
			"WARNING! Your credentials are stored unencrypted in '%s/config.json'.\n"
			"Configure a credential helper to remove this warning. See\n"
			"https://docs.docker.com/go/credential-store/\n\n",
			dir);
	}
	printf("Login Succeeded\n");
	return 0;
}

int cmd_logout(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_opt opts[] = { {} };
	const struct cli_command cmd = { ctx->path, "[SERVER]",	    "Log out from a registry",
					 NULL,	    CLI_ARGS_RANGE, 0,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	bool found = false;

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	_cleanup_free_ char *key = args.n ? cli_registry_key(args.v[0]) : xstrdup(CLI_INDEX_SERVER);
	if (cli_auth_erase(key, &found, &err) < 0)
		return cli_fail(err, 1);
	if (!found) {
		printf("Not logged in to %s\n", key);
		return 0;
	}
	printf("Removing login credentials for %s\n", key);
	return 0;
}
