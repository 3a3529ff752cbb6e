/* berth events: GET /events, one line per event as docker prints them, or
 * through --format. Streams until interrupted, or until --until has passed. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli-internal.h"

/* docker's RFC3339NanoFixed in local time: 2006-01-02T15:04:05.000000000Z07:00 */
static void add_time(struct cli_buf *b, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	struct tm tm;
	char date[40];

	localtime_r(&sec, &tm);
	(void)strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	cli_buf_printf(b, "%s.%09lld", date, (long long)(ns % 1000000000LL));
	if (tm.tm_gmtoff == 0) {
		cli_buf_addc(b, 'Z');
	} else {
		long off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
		cli_buf_printf(b, "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+', off / 3600,
			       off / 60 % 60);
	}
	cli_buf_addc(b, ' ');
}

/* "<time> <Type> <Action> <Actor.ID> (k=v, ...)" with the attributes sorted. */
static void print_event(json_object *m)
{
	_cleanup_buf_ struct cli_buf b = { 0 };
	json_object *actor = cli_json_get(m, "Actor"), *attrs = cli_json_get(actor, "Attributes");
	int64_t ns = cli_json_int(m, "timeNano");

	if (ns)
		add_time(&b, ns);
	else if (cli_json_int(m, "time"))
		add_time(&b, cli_json_int(m, "time") * 1000000000LL);
	cli_buf_printf(&b, "%s %s %s", cli_json_str(m, "Type"), cli_json_str(m, "Action"),
		       cli_json_str(actor, "ID"));
	if (attrs && json_object_is_type(attrs, json_type_object) &&
	    json_object_object_length(attrs) > 0) {
		_cleanup_json_ json_object *sorted = json_sorted_copy(attrs);
		const char *sep = " (";
		json_object_object_foreach (sorted, k, v) {
			cli_buf_printf(&b, "%s%s=%s", sep, k, json_object_get_string(v));
			sep = ", ";
		}
		cli_buf_addc(&b, ')');
	}
	cli_buf_addc(&b, '\n');
	(void)cli_write_stdout(b.s, b.len);
}

struct events_out {
	const char *format;
};

/* events.Message's fields whose JSON names differ from the Go names the
 * templates use ({{.ID}} is "id", {{.Status}} "status"...). */
static int message_field(void *data, json_object *dot, const char *name, json_object *const *args,
			 size_t nargs, json_object **ret, struct berth_error **err)
{
	static const char *const names[][2] = { { "ID", "id" },	    { "Status", "status" },
						{ "From", "from" }, { "Scope", "scope" },
						{ "Time", "time" }, { "TimeNano", "timeNano" } };
	(void)data;
	(void)args;
	(void)err;
	for (size_t i = 0; i < ARRAY_SIZE(names) && nargs == 0; i++) {
		if (strcmp(name, names[i][0]) != 0)
			continue;
		json_object *v = cli_json_get(dot, names[i][1]);
		/* Go's zero values for the legacy fields a message leaves out */
		*ret = v       ? json_object_get(v)
		       : i < 4 ? json_object_new_string("")
			       : json_object_new_int64(0);
		return 1;
	}
	return 0;
}

static int on_event(json_object *m, void *data, struct berth_error **err)
{
	const struct events_out *o = data;
	static const struct cli_format_kind kind = { .type_name = "events.Message",
						     .method = message_field };

	if (!o->format || !*o->format) {
		print_event(m);
		return 0;
	}
	_cleanup_json_ json_object *rows = json_object_new_array();
	json_object_array_add(rows, json_object_get(m));
	return cli_format_write(o->format, &kind, rows, err);
}

int cmd_events(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_strv_ char **filters = NULL;
	const char *format = NULL, *since = NULL, *until = NULL;
	const struct cli_opt opts[] = {
		{ "filter", 'f', CLI_OPT_FUNC, &filters, "filter",
		  "Filter output based on conditions provided", cli_parse_filter },
		{ "format", 0, CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template:\n'json':             Print in JSON "
		  "format\n'TEMPLATE':         Print output using the given Go template." },
		{ "since", 0, CLI_OPT_STRING, &since, "string",
		  "Show all events created since timestamp" },
		{ "until", 0, CLI_OPT_STRING, &until, "string",
		  "Stream events until this timestamp" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS]",
					 "Get real time events from the server",
					 "berth system events, berth events",
					 CLI_ARGS_NONE,
					 0 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_free_ char *path = xstrdup("/events"), *s = NULL, *u = NULL;
	struct cli_request req = CLI_REQUEST("GET", NULL);
	struct events_out out = { 0 };

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	if ((since && cli_timestamp_arg(NULL, since, &s, &err) < 0) ||
	    (until && cli_timestamp_arg(NULL, until, &u, &err) < 0))
		return cli_fail(err, 1);
	if (s)
		cli_url_add(&path, "since", s);
	if (u)
		cli_url_add(&path, "until", u);
	if (filters) {
		_cleanup_free_ char *f = cli_filters_json(filters);
		cli_url_add(&path, "filters", f);
	}
	out.format = format;
	req.path = path;
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0 ||
	    cli_api_read_messages(resp, on_event, &out, &err) < 0)
		return cli_fail(err, 1);
	return 0;
}
