/* Helpers the commands share: error printing, daemon JSON access, filters,
 * signal names. */
#define LOG_CATEGORY "cli"
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli-internal.h"
#include "cli-run-internal.h"

const char *cli_strerror(int errnum)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s", strerror(errnum));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

int cli_fail(struct berth_error *err, int status)
{
	fprintf(stderr, "%s\n", err && err->msg ? err->msg : "unknown error");
	return status;
}

int cli_fail_run(struct cli_ctx *ctx, struct berth_error *err, int status)
{
	(void)fflush(stdout);
	fprintf(stderr, "berth: %s\n\nRun 'berth %s --help' for more information\n",
		err && err->msg ? err->msg : "unknown error", ctx->path);
	return status;
}

int cli_container_inspect(struct cli_ctx *ctx, const char *id, json_object **ret,
			  struct berth_error **err)
{
	_cleanup_free_ char *eid = cli_path_escape(id);
	_cleanup_free_ char *path = xasprintf("/containers/%s/json", eid);

	return cli_api_call(&ctx->client, "GET", path, NULL, ret, err);
}

char *cli_filters_json(char *const *filters)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	for (size_t i = 0; filters && filters[i]; i++) {
		const char *eq = strchr(filters[i], '=');
		_cleanup_free_ char *key = xstrndup(filters[i], (size_t)(eq - filters[i]));
		json_object *m = json_object_object_get(o, key);
		if (!m) {
			m = json_object_new_object();
			json_object_object_add(o, key, m);
		}
		json_object_object_add(m, eq + 1, json_object_new_boolean(true));
	}
	return xstrdup(cli_json_text(o));
}

json_object *cli_json_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *cli_json_str(json_object *o, const char *key)
{
	json_object *v = cli_json_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

int64_t cli_json_int(json_object *o, const char *key)
{
	json_object *v = cli_json_get(o, key);
	return v && (json_object_is_type(v, json_type_int) ||
		     json_object_is_type(v, json_type_double))
		       ? json_object_get_int64(v)
		       : 0;
}

bool cli_json_bool(json_object *o, const char *key)
{
	json_object *v = cli_json_get(o, key);
	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

void cli_json_userdata_put(json_object *o, void *userdata)
{
	json_object_put(userdata);
}

void cli_print_json_indent(json_object *o)
{
	_cleanup_buf_ struct cli_buf b = { 0 };

	cli_buf_add_json(&b, o, "    ", true);
	cli_buf_addc(&b, '\n');
	(void)cli_write_stdout(b.s, b.len);
}

static int display_message(json_object *msg, void *data, struct berth_error **err)
{
	const char *stream = cli_json_str(msg, "stream");
	const char *status = cli_json_str(msg, "status");
	const char *id = cli_json_str(msg, "id");

	if (*stream) {
		fputs(stream, stdout);
	} else if (*status) {
		if (*id)
			printf("%s: ", id);
		printf("%s\n", status);
	}
	(void)fflush(stdout);
	return 0;
}

int cli_display_messages(struct cli_http_response *r, struct berth_error **err)
{
	const char *ctype = cli_http_header(r, "Content-Type");

	if (ctype && str_has_prefix(ctype, "application/json"))
		return cli_api_read_messages(r, display_message, NULL, err);
	(void)fflush(stdout);
	for (;;) {
		char buf[8192];
		ssize_t n = cli_http_body_read(r, buf, sizeof(buf), err);
		if (n <= 0)
			return (int)n;
		if (fd_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "write output");
	}
}

bool cli_confirm(const char *warning)
{
	char line[64] = "";

	fprintf(stdout, "%s\nAre you sure you want to continue? [y/N] ", warning);
	(void)fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return (line[0] == 'y' || line[0] == 'Y') && (line[1] == '\n' || line[1] == '\0');
}

int cli_each_container(struct cli_ctx *ctx, char **args, int n, const char *action,
		       const char *query)
{
	int status = 0;

	for (int i = 0; i < n; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_free_ char *eid = cli_path_escape(args[i]);
		_cleanup_free_ char *path =
			xasprintf("/containers/%s/%s%s", eid, action, query ? query : "");
		if (cli_api_call(&ctx->client, "POST", path, NULL, NULL, &err) < 0) {
			status = cli_fail(err, 1);
			continue;
		}
		printf("%s\n", args[i]);
		(void)fflush(stdout);
	}
	return status;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS },	   { "CHLD", SIGCHLD },
	{ "CLD", SIGCHLD },  { "CONT", SIGCONT }, { "FPE", SIGFPE },	   { "HUP", SIGHUP },
	{ "ILL", SIGILL },   { "INT", SIGINT },	  { "IO", SIGIO },	   { "IOT", SIGIOT },
	{ "KILL", SIGKILL }, { "PIPE", SIGPIPE }, { "POLL", SIGPOLL },	   { "PROF", SIGPROF },
	{ "PWR", SIGPWR },   { "QUIT", SIGQUIT }, { "SEGV", SIGSEGV },	   { "STKFLT", SIGSTKFLT },
	{ "STOP", SIGSTOP }, { "SYS", SIGSYS },	  { "TERM", SIGTERM },	   { "TRAP", SIGTRAP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },	   { "URG", SIGURG },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
};

int cli_signal_parse(const char *s)
{
	int n;

	if (str_to_int(s, &n) >= 0)
		return n > 0 && n < 65 ? n : -EINVAL;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(signals[i].name, s) == 0)
			return signals[i].sig;
	return -EINVAL;
}

const char *cli_signal_name(int sig)
{
	static char buf[16];

	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	snprintf(buf, sizeof(buf), "%d", sig);
	return buf;
}

/* A date and time without a zone (docker reads it as local time): returns
 * false when s is not one of "2006-01-02T15:04:05[.999999999]", "2006-01-02T15:04". */
static bool local_time_arg(const char *s, char **ret)
{
	static const char *const layouts[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", NULL };

	for (size_t i = 0; layouts[i]; i++) {
		struct tm tm = { 0 };
		const char *end = strptime(s, layouts[i], &tm);
		long nsec = 0;
		if (!end)
			continue;
		if (i == 0 && *end == '.') {
			size_t n = strspn(end + 1, "0123456789");
			if (n == 0 || n > 9)
				continue;
			for (size_t k = 0; k < 9; k++)
				nsec = nsec * 10 + (k < n ? end[1 + k] - '0' : 0);
			end += 1 + n;
		}
		if (*end)
			continue;
		tm.tm_isdst = -1;
		*ret = xasprintf("%lld.%09ld", (long long)mktime(&tm), nsec);
		return true;
	}
	return false;
}

/* docker's GetTimestamp: a duration before now, RFC 3339, a local date and
 * time, or unix seconds as given. */
int cli_timestamp_arg(const char *what, const char *s, char **ret, struct berth_error **err)
{
	int64_t d, sec;
	int32_t nsec;
	struct tm tm = { 0 };

	if (cli_parse_duration(s, &d) >= 0) {
		*ret = xasprintf("%lld", (long long)(time(NULL) - d / 1000000000LL));
		return 0;
	}
	if (cli_parse_rfc3339(s, &sec, &nsec) >= 0) {
		*ret = xasprintf("%lld.%09d", (long long)sec, nsec);
		return 0;
	}
	if (local_time_arg(s, ret))
		return 0;
	if (strptime(s, "%Y-%m-%d", &tm) && strlen(s) == 10) {
		*ret = xasprintf("%lld.000000000", (long long)timegm(&tm));
		return 0;
	}
	if (strspn(s, "0123456789.") == strlen(s) && *s) {
		*ret = xstrdup(s);
		return 0;
	}
	if (!what)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "failed to parse value as time or duration: \"%s\"", s);
	return berth_error_set(err, 0, BERTH_ERR_INVALID,
			       "invalid value for \"%s\": failed to parse value as time or "
			       "duration: \"%s\"",
			       what, s);
}
