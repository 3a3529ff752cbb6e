/* The progress of pull and push as docker's jsonmessage shows it. */
#define LOG_CATEGORY "cli"
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli-registry-internal.h"

#define MAX_IDS 4096

struct progress_state {
	FILE *out;
	bool tty;
	int width;
	char **ids; /* ids on screen, in line order */
	size_t n_ids;
	void (*aux_cb)(json_object *aux, void *data);
	void *aux_data;
};

/* JSONProgress.String() for a terminal of this width. */
static char *progress_string(json_object *detail, int width)
{
	int64_t cur = cli_json_int(detail, "current"), total = cli_json_int(detail, "total");
	const char *units = cli_json_str(detail, "units");
	char bar[64] = "";

	if (cur <= 0 && total <= 0)
		return xstrdup("");
	if (total <= 0) {
		if (*units)
			return xasprintf("%lld %s", (long long)cur, units);
		_cleanup_free_ char *a = cli_human_size((double)cur, 4);
		return xasprintf("%8s", a);
	}
	int pct = (int)((double)cur / (double)total * 100.0) / 2;
	if (pct > 50)
		pct = 50;
	if (pct < 0)
		pct = 0;
	if (width > 110) {
		bar[0] = '[';
		memset(bar + 1, '=', (size_t)pct);
		bar[pct + 1] = '>';
		memset(bar + pct + 2, ' ', (size_t)(50 - pct));
		memcpy(bar + 52, "] ", 3);
	}
	if (cli_json_bool(detail, "hidecounts"))
		return xstrdup(bar);
	if (*units) {
		if (cur > total)
			return xasprintf("%s%lld %s", bar, (long long)cur, units);
		return xasprintf("%s%lld/%lld %s", bar, (long long)cur, (long long)total, units);
	}
	_cleanup_free_ char *a = cli_human_size((double)cur, 4);
	_cleanup_free_ char *b = cli_human_size((double)total, 4);
	if (cur > total)
		return xasprintf("%s%8s", bar, a);
	return xasprintf("%s%8s/%s", bar, a, b);
}

static void forget_ids(struct progress_state *s)
{
	for (size_t i = 0; i < s->n_ids; i++)
		free(s->ids[i]);
	s->n_ids = 0;
}

/* jm.Display */
static void display(struct progress_state *s, json_object *msg)
{
	json_object *detail = cli_json_get(msg, "progressDetail");
	const char *id = cli_json_str(msg, "id"), *status = cli_json_str(msg, "status");
	const char *stream = cli_json_str(msg, "stream"), *pmsg = cli_json_str(msg, "progress");
	_cleanup_free_ char *ps = detail ? progress_string(detail, s->tty ? s->width : 200) : NULL;
	const char *endl = "";

	if (s->tty && !*stream && detail) {
		fputs("\x1b[2K\r", s->out);
		endl = "\r";
	} else if (detail && *ps) {
		return; /* no progress bars when not on a terminal */
	}
	if (*id)
		fprintf(s->out, "%s: ", id);
	if (detail && s->tty)
		fprintf(s->out, "%s %s%s", status, ps, endl);
	else if (*pmsg)
		fprintf(s->out, "%s %s%s", status, pmsg, endl);
	else if (*stream)
		fprintf(s->out, "%s%s", stream, endl);
	else
		fprintf(s->out, "%s%s\n", status, endl);
}

static int on_message(json_object *msg, void *data, struct berth_error **err)
{
	struct progress_state *s = data;
	json_object *aux = cli_json_get(msg, "aux");
	const char *id = cli_json_str(msg, "id");
	size_t diff = 0;

	(void)err;
	if (aux) {
		if (s->aux_cb)
			s->aux_cb(aux, s->aux_data);
		return 0;
	}
	if (!s->out)
		return 0;
	if (*id && (cli_json_get(msg, "progressDetail") || *cli_json_str(msg, "progress"))) {
		size_t line = 0;
		while (line < s->n_ids && strcmp(s->ids[line], id) != 0)
			line++;
		if (line == s->n_ids) {
			if (s->n_ids == MAX_IDS)
				forget_ids(s);
			line = s->n_ids;
			s->ids = xrealloc(s->ids, (s->n_ids + 1) * sizeof(char *));
			s->ids[s->n_ids++] = xstrdup(id);
			if (s->tty)
				fputc('\n', s->out);
		}
		diff = s->n_ids - line;
		if (s->tty && diff)
			fprintf(s->out, "\x1b[%zuA", diff);
	} else {
		forget_ids(s);
	}
	display(s, msg);
	if (*id && s->tty && diff)
		fprintf(s->out, "\x1b[%zuB", diff);
	(void)fflush(s->out);
	return 0;
}

int cli_progress_display(struct cli_http_response *r, FILE *out,
			 void (*aux_cb)(json_object *aux, void *data), void *aux_data,
			 struct berth_error **err)
{
	struct progress_state s = {
		.out = out, .aux_cb = aux_cb, .aux_data = aux_data, .width = 200
	};
	struct winsize ws;

	if (out && isatty(fileno(out))) {
		s.tty = true;
		if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
			s.width = ws.ws_col;
	}
	int ret = cli_api_read_messages(r, on_message, &s, err);
	forget_ids(&s);
	free(s.ids);
	if (out)
		(void)fflush(out);
	return ret;
}
