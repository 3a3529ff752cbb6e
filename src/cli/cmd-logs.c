/* berth logs: GET /containers/{id}/logs, demultiplexed unless the container has a tty. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli-run-internal.h"

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
static int timestamp_arg(const char *what, const char *s, char **ret, struct berth_error **err)
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
	return berth_error_set(err, 0, BERTH_ERR_INVALID,
			       "invalid value for \"%s\": failed to parse value as time or "
			       "duration: \"%s\"",
			       what, s);
}

int cmd_logs(struct cli_ctx *ctx, int argc, char **argv)
{
	bool details = false, follow = false, timestamps = false;
	const char *since = NULL, *until = NULL, *tail = "all";
	const struct cli_opt opts[] = {
		{ "details", 0, CLI_OPT_BOOL, &details, NULL,
		  "Show extra details provided to logs" },
		{ "follow", 'f', CLI_OPT_BOOL, &follow, NULL, "Follow log output" },
		{ "since", 0, CLI_OPT_STRING, &since, "string",
		  "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
		  "\"42m\" for 42 minutes)" },
		{ "tail", 'n', CLI_OPT_STRING, &tail, "string",
		  "Number of lines to show from the end of the logs (default \"all\")" },
		{ "timestamps", 't', CLI_OPT_BOOL, &timestamps, NULL, "Show timestamps" },
		{ "until", 0, CLI_OPT_STRING, &until, "string",
		  "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
		  "\"42m\" for 42 minutes)" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] CONTAINER",
					 "Fetch the logs of a container",
					 "berth container logs, berth logs",
					 CLI_ARGS_EXACT,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *c = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_free_ char *path = NULL, *eid = NULL, *s = NULL, *u = NULL;
	struct cli_request req = CLI_REQUEST("GET", NULL);

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if (cli_container_inspect(ctx, args.v[0], &c, &err) < 0)
		return cli_fail(err, 1);
	if ((since && timestamp_arg("since", since, &s, &err) < 0) ||
	    (until && timestamp_arg("until", until, &u, &err) < 0))
		return cli_fail(err, 1);
	eid = cli_path_escape(cli_json_str(c, "Id"));
	path = xasprintf("/containers/%s/logs", eid);
	if (details)
		cli_url_add(&path, "details", "1");
	if (follow)
		cli_url_add(&path, "follow", "1");
	if (s)
		cli_url_add(&path, "since", s);
	cli_url_add(&path, "stderr", "1");
	cli_url_add(&path, "stdout", "1");
	if (tail && *tail)
		cli_url_add(&path, "tail", tail);
	if (timestamps)
		cli_url_add(&path, "timestamps", "1");
	if (u)
		cli_url_add(&path, "until", u);
	req.path = path;
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0 ||
	    cli_stream_copy_body(resp, cli_json_bool(cli_json_get(c, "Config"), "Tty"), &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
