/* Registry credentials as the docker CLI keeps them: config.json's "auths"
 * (base64 "user:pass" and identity tokens), or a credential helper
 * (docker-credential-<name> get/store/erase, JSON over stdin and stdout)
 * chosen by "credHelpers" for one registry or "credsStore" for all. The file
 * is written back with every key it had, mode 0600. */
#define LOG_CATEGORY "cli"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli-registry-internal.h"

#define CONFIG_MAX (8u << 20)

const char *cli_arg_config;

void cli_auth_done(struct cli_auth *a)
{
	free(a->username);
	free(a->password);
	free(a->identity_token);
	free(a->server);
	*a = (struct cli_auth){ 0 };
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *cli_base64_encode(const void *data, size_t len, bool url)
{
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	for (o = out; url && *o; o++)
		*o = *o == '+' ? '-' : *o == '/' ? '_' : *o;
	return out;
}

int cli_base64_decode(const char *s, char **ret, size_t *ret_len)
{
	size_t n = strlen(s), k = 0;
	char *out = xmalloc(n / 4 * 3 + 4);
	unsigned v = 0;
	int bits = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		char c = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
		const char *at = c ? strchr(b64, c) : NULL;
		if (!at) {
			free(out);
			return -EINVAL;
		}
		v = v << 6 | (unsigned)(at - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (char)(v >> bits & 0xff);
		}
	}
	out[k] = '\0';
	*ret = out;
	if (ret_len)
		*ret_len = k;
	return 0;
}

char *cli_config_dir(void)
{
	const char *env = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	if (!str_is_empty(cli_arg_config))
		return xstrdup(cli_arg_config);
	if (!str_is_empty(env))
		return xstrdup(env);
	return xasprintf("%s/.docker", str_is_empty(home) ? "/root" : home);
}

/* registry.ConvertToHostname: drop the scheme and the path. */
static char *hostname_of(const char *s)
{
	if (str_has_prefix(s, "http://"))
		s += strlen("http://");
	else if (str_has_prefix(s, "https://"))
		s += strlen("https://");
	const char *slash = strchr(s, '/');
	return slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
}

char *cli_registry_key(const char *server)
{
	_cleanup_free_ char *host = hostname_of(server);

	if (!strcmp(host, "docker.io") || !strcmp(host, "index.docker.io") ||
	    !strcmp(host, "registry-1.docker.io"))
		return xstrdup(CLI_INDEX_SERVER);
	return TAKE_PTR(host);
}

static int config_load(json_object **ret, char **ret_path, struct berth_error **err)
{
	_cleanup_free_ char *dir = cli_config_dir();
	_cleanup_free_ char *path = xasprintf("%s/config.json", dir);
	_cleanup_free_ char *text = NULL;
	int r = file_read_all(path, CONFIG_MAX, &text, NULL);

	if (r < 0 && r != -ENOENT)
		return berth_error_set(err, -r, BERTH_ERR_INVALID, "open %s: %s", path,
				       cli_strerror(-r));
	if (r < 0 || str_is_empty(text)) {
		*ret = json_object_new_object();
	} else if (json_parse_text(text, strlen(text), 64, path, ret, NULL) < 0 ||
		   !json_object_is_type(*ret, json_type_object)) {
		json_object_put(*ret);
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "loading config file: %s: invalid JSON", path);
	}
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

static int config_save(json_object *cfg, const char *path, struct berth_error **err)
{
	_cleanup_free_ char *dir = cli_config_dir();
	const char *text = json_object_to_json_string_ext(
		cfg, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB |
			     JSON_C_TO_STRING_NOSLASHESCAPE);
	int r;

	(void)mkdir_p(dir, 0700);
	if ((r = file_write_atomic(path, text, strlen(text), 0600)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write %s: %s", path,
				       cli_strerror(-r));
	return 0;
}

/* The credential helper for key, or NULL for the file. */
static char *helper_for(json_object *cfg, const char *key)
{
	json_object *helpers = cli_json_get(cfg, "credHelpers");
	_cleanup_free_ char *host = hostname_of(key);
	const char *h = helpers ? cli_json_str(helpers, key) : "";

	if (!*h && helpers)
		h = cli_json_str(helpers, host);
	if (!*h)
		h = cli_json_str(cfg, "credsStore");
	return *h ? xstrdup(h) : NULL;
}

/* Run docker-credential-<helper> <action> with input; *ret_out its stdout. */
static int helper_run(const char *helper, const char *action, const char *input, char **ret_out,
		      struct berth_error **err)
{
	_cleanup_free_ char *prog = xasprintf("docker-credential-%s", helper);
	int in[2], out[2], status = 0;
	char *buf = NULL;
	size_t len = 0;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		(void)dup2(in[0], 0);
		(void)dup2(out[1], 1);
		(void)dup2(out[1], 2);
		signal(SIGPIPE, SIG_DFL);
		execlp(prog, prog, action, (char *)NULL);
		fprintf(stdout, "exec: \"%s\": executable file not found in $PATH", prog);
		_exit(127);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	if (pid < 0) {
		(void)close(in[1]);
		(void)close(out[0]);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "fork");
	}
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	(void)fd_write_all(in[1], input, strlen(input));
	(void)close(in[1]);
	for (;;) {
		char chunk[4096];
		ssize_t n = read(out[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || len + (size_t)n > CONFIG_MAX)
			break;
		buf = xrealloc(buf, len + (size_t)n + 1);
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
		buf[len] = '\0';
	}
	(void)close(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	signal(SIGPIPE, old);
	if (!buf)
		buf = xstrdup("");
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	*ret_out = buf;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int cli_auth_get(const char *key, struct cli_auth *ret, struct berth_error **err)
{
	_cleanup_json_ json_object *cfg = NULL;
	_cleanup_free_ char *helper = NULL, *out = NULL;
	int r;

	*ret = (struct cli_auth){ .server = xstrdup(key) };
	if ((r = config_load(&cfg, NULL, err)) < 0)
		return r;
	helper = helper_for(cfg, key);
	if (helper) {
		_cleanup_json_ json_object *o = NULL;
		if (helper_run(helper, "get", key, &out, err) < 0) {
			if (strstr(out, "credentials not found"))
				return 0;
			return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
					       "error getting credentials - err: exit status 1, "
					       "out: `%s`",
					       out);
		}
		if (json_parse_text(out, strlen(out), 8, "credentials", &o, err) < 0)
			return -EINVAL;
		const char *user = cli_json_str(o, "Username"), *secret = cli_json_str(o, "Secret");
		if (!strcmp(user, "<token>")) {
			ret->identity_token = xstrdup(secret);
		} else {
			ret->username = *user ? xstrdup(user) : NULL;
			ret->password = *secret ? xstrdup(secret) : NULL;
		}
		return 0;
	}
	json_object *auths = cli_json_get(cfg, "auths"), *entry = NULL;
	if (!auths || !json_object_is_type(auths, json_type_object))
		return 0;
	entry = cli_json_get(auths, key);
	if (!entry) { /* legacy keys: "http://host/v1/" and the like */
		json_object_object_foreach (auths, k, v) {
			_cleanup_free_ char *h = hostname_of(k);
			_cleanup_free_ char *kk = cli_registry_key(h);
			if (!entry && !strcmp(kk, key))
				entry = v;
		}
	}
	if (!entry)
		return 0;
	const char *auth = cli_json_str(entry, "auth"),
		   *token = cli_json_str(entry, "identitytoken");
	_cleanup_free_ char *plain = NULL;
	if (*auth && cli_base64_decode(auth, &plain, NULL) == 0 && strchr(plain, ':')) {
		char *colon = strchr(plain, ':');
		ret->username = xstrndup(plain, (size_t)(colon - plain));
		ret->password = xstrdup(colon + 1);
	}
	if (*token)
		ret->identity_token = xstrdup(token);
	return 0;
}

int cli_auth_store(const char *key, const struct cli_auth *a, bool *ret_in_file,
		   struct berth_error **err)
{
	_cleanup_json_ json_object *cfg = NULL;
	_cleanup_free_ char *path = NULL, *helper = NULL, *out = NULL;
	int r;

	if ((r = config_load(&cfg, &path, err)) < 0)
		return r;
	json_object *auths = cli_json_get(cfg, "auths");
	if (!auths || !json_object_is_type(auths, json_type_object)) {
		auths = json_object_new_object();
		json_object_object_add(cfg, "auths", auths);
	}
	json_object *entry = json_object_new_object();
	helper = helper_for(cfg, key);
	*ret_in_file = !helper;
	if (helper) {
		_cleanup_json_ json_object *in = json_object_new_object();
		bool token = !str_is_empty(a->identity_token);
		json_object_object_add(in, "ServerURL", json_object_new_string(key));
		json_object_object_add(in, "Username",
				       json_object_new_string(token ? "<token>" : a->username));
		json_object_object_add(
			in, "Secret",
			json_object_new_string(token ? a->identity_token : a->password));
		if (helper_run(helper, "store", cli_json_text(in), &out, err) < 0) {
			json_object_put(entry);
			return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
					       "error storing credentials - err: exit status 1, "
					       "out: `%s`",
					       out);
		}
	} else {
		_cleanup_free_ char *plain = xasprintf(
			"%s:%s", a->username ? a->username : "",
			str_is_empty(a->identity_token) && a->password ? a->password : "");
		_cleanup_free_ char *enc = cli_base64_encode(plain, strlen(plain), false);
		json_object_object_add(entry, "auth", json_object_new_string(enc));
		if (!str_is_empty(a->identity_token))
			json_object_object_add(entry, "identitytoken",
					       json_object_new_string(a->identity_token));
	}
	json_object_object_add(auths, key, entry);
	return config_save(cfg, path, err);
}

int cli_auth_erase(const char *key, bool *ret_found, struct berth_error **err)
{
	_cleanup_json_ json_object *cfg = NULL;
	_cleanup_free_ char *path = NULL, *helper = NULL, *out = NULL;
	int r;

	*ret_found = false;
	if ((r = config_load(&cfg, &path, err)) < 0)
		return r;
	json_object *auths = cli_json_get(cfg, "auths");
	helper = helper_for(cfg, key);
	if (helper) {
		if (helper_run(helper, "erase", key, &out, NULL) == 0)
			*ret_found = true;
	}
	if (auths && json_object_is_type(auths, json_type_object) && cli_json_get(auths, key)) {
		json_object_object_del(auths, key);
		*ret_found = true;
	}
	if (!*ret_found)
		return 0;
	return config_save(cfg, path, err);
}

char *cli_registry_auth_header(const char *domain)
{
	_cleanup_free_ char *key = cli_registry_key(domain);
	_cleanup_(cli_auth_done) struct cli_auth a = { 0 };
	_cleanup_json_ json_object *o = json_object_new_object();

	if (cli_auth_get(key, &a, NULL) == 0) {
		if (!str_is_empty(a.username))
			json_object_object_add(o, "username", json_object_new_string(a.username));
		if (!str_is_empty(a.password))
			json_object_object_add(o, "password", json_object_new_string(a.password));
		if (a.username || a.identity_token)
			json_object_object_add(o, "serveraddress", json_object_new_string(key));
		if (!str_is_empty(a.identity_token))
			json_object_object_add(o, "identitytoken",
					       json_object_new_string(a.identity_token));
	}
	const char *text = cli_json_text(o);
	_cleanup_free_ char *enc = cli_base64_encode(text, strlen(text), true);
	return xasprintf("X-Registry-Auth: %s\r\n", enc);
}
