/* Attached sessions: the attach hijack, the wait call, the stream with raw
 * terminal, resizes and the signal proxy. */
#define LOG_CATEGORY "cli-run"
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli-run-internal.h"

int cli_session_attach(struct cli_session *s, struct cli_http_response **ret,
		       struct berth_error **err)
{
	_cleanup_free_ char *eid = cli_path_escape(s->id);
	_cleanup_free_ char *path = xasprintf("/containers/%s/attach", eid);
	struct cli_request req = CLI_REQUEST("POST", NULL);

	/* Go's url.Values.Encode: sorted keys */
	if (s->detach_keys)
		cli_url_add(&path, "detachKeys", s->detach_keys);
	if (s->stderr)
		cli_url_add(&path, "stderr", "1");
	if (s->stdin)
		cli_url_add(&path, "stdin", "1");
	if (s->stdout)
		cli_url_add(&path, "stdout", "1");
	cli_url_add(&path, "stream", "1");
	req.path = path;
	req.hijack = true;
	return cli_api_request(&s->ctx->client, &req, ret, err);
}

int cli_wait_begin(struct cli_ctx *ctx, const char *id, const char *condition,
		   struct cli_http_response **ret, struct berth_error **err)
{
	_cleanup_free_ char *eid = cli_path_escape(id);
	_cleanup_free_ char *path = xasprintf("/containers/%s/wait", eid);
	struct cli_request req = CLI_REQUEST("POST", NULL);

	if (condition)
		cli_url_add(&path, "condition", condition);
	req.path = path;
	return cli_api_request(&ctx->client, &req, ret, err);
}

int cli_wait_end(struct cli_http_response *r, int *ret_status, struct berth_error **err)
{
	_cleanup_free_ char *body = NULL;
	_cleanup_json_ json_object *o = NULL;
	json_object *e;
	size_t len = 0;
	int k;

	k = cli_http_body_read_all(r, CLI_MAX_BODY, &body, &len, err);
	if (k < 0)
		return k;
	k = json_parse_text(body, len, CLI_MAX_JSON_DEPTH, "wait response", &o, err);
	if (k < 0)
		return k;
	e = cli_json_get(o, "Error");
	if (e && *cli_json_str(e, "Message"))
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "%s",
				       cli_json_str(e, "Message"));
	*ret_status = (int)cli_json_int(o, "StatusCode");
	return 0;
}

void cli_session_resize(struct cli_session *s)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *eid = cli_path_escape(s->id), *path = NULL;
	unsigned rows, cols;

	if (cli_tty_size(STDOUT_FILENO, &rows, &cols) < 0)
		return;
	if (s->redraw) {
		/* As docker attach: a size that differs makes the kernel send SIGWINCH,
		 * and a shell that was left at its prompt prints it again. */
		s->redraw = false;
		path = xasprintf("/%s/%s/resize?h=%u&w=%u", s->is_exec ? "exec" : "containers", eid,
				 rows + 1, cols + 1);
		(void)cli_api_call(&s->ctx->client, "POST", path, NULL, NULL, &err);
		free(path);
		berth_error_free(err);
		err = NULL;
	}
	if (rows == 0 || cols == 0)
		return;
	path = xasprintf("/%s/%s/resize?h=%u&w=%u", s->is_exec ? "exec" : "containers", eid, rows,
			 cols);
	(void)cli_api_call(&s->ctx->client, "POST", path, NULL, NULL, &err);
}

static void on_signal(int sig, void *data)
{
	struct cli_session *s = data;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *eid = NULL, *path = NULL;

	if (sig == SIGWINCH) {
		cli_session_resize(s);
		return;
	}
	eid = cli_path_escape(s->id);
	path = xasprintf("/containers/%s/kill?signal=%s", eid, cli_signal_name(sig));
	(void)cli_api_call(&s->ctx->client, "POST", path, NULL, NULL, &err);
}

int cli_session_stream(struct cli_session *s, struct cli_http_response *attach, bool *ret_detached,
		       struct berth_error **err)
{
	static const int proxied[] = { SIGHUP,	SIGINT,	 SIGQUIT,  SIGUSR1, SIGUSR2,
				       SIGTERM, SIGALRM, SIGWINCH, 0 };
	static const int winch[] = { SIGWINCH, 0 };
	struct cli_pump p = {
		.conn = attach->conn,
		.tty = s->tty,
		.in_fd = s->stdin ? STDIN_FILENO : -1,
		.detach_keys = s->tty && s->stdin
				       ? (s->detach_keys ? s->detach_keys : "ctrl-p,ctrl-q")
				       : NULL,
		.on_signal = on_signal,
		.data = s,
	};
	bool raw = false;
	int r;

	if (s->tty && isatty(STDOUT_FILENO))
		cli_session_resize(s);
	if (s->sig_proxy && !s->tty && !s->is_exec)
		p.signals = proxied;
	else if (s->tty)
		p.signals = winch;
	if (s->tty && s->stdin && isatty(STDIN_FILENO))
		raw = cli_tty_raw(STDIN_FILENO) >= 0;
	r = cli_pump_run(&p, err);
	if (raw)
		cli_tty_restore();
	if (ret_detached)
		*ret_detached = p.detached;
	return r;
}
