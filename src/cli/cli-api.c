/* The Engine API client: daemon address, ping and version negotiation,
 * requests with docker's error messages, JSON message streams, URL escaping. */
#define LOG_CATEGORY "cli-api"
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli-api-internal.h"

const char *cli_arg_host;

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int cli_client_init(struct cli_client *c, const char *host, struct berth_error **err)
{
	const char *v;

	*c = (struct cli_client){ 0 };
	if (!host)
		host = env_nonempty("BERTH_HOST");
	if (!host)
		host = env_nonempty("DOCKER_HOST");
	if (!host)
		host = CLI_DEFAULT_HOST;
	if (str_has_prefix(host, "unix://")) {
		c->sock_path = xstrdup(host + strlen("unix://"));
	} else if (host[0] == '/') {
		c->sock_path = xstrdup(host);
	} else {
		const char *sep = strstr(host, "://");
		_cleanup_free_ char *scheme =
			sep ? xstrndup(host, (size_t)(sep - host)) : xstrdup("tcp");
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "berth: '%s://' hosts are not supported yet", scheme);
	}
	if (!*c->sock_path) {
		free(c->sock_path);
		c->sock_path = xstrdup(&CLI_DEFAULT_HOST[strlen("unix://")]);
	}
	c->host = xasprintf("unix://%s", c->sock_path);
	v = env_nonempty("BERTH_API_VERSION");
	if (!v)
		v = env_nonempty("DOCKER_API_VERSION");
	if (v) {
		snprintf(c->version, sizeof(c->version), "%s", v);
		c->version_fixed = true;
	}
	return 0;
}

void cli_client_done(struct cli_client *c)
{
	free(c->host);
	free(c->sock_path);
	*c = (struct cli_client){ 0 };
}

int cli_version_cmp(const char *a, const char *b)
{
	unsigned long amaj = strtoul(a, NULL, 10), bmaj = strtoul(b, NULL, 10);
	const char *ad = strchr(a, '.'), *bd = strchr(b, '.');
	unsigned long amin = ad ? strtoul(ad + 1, NULL, 10) : 0;
	unsigned long bmin = bd ? strtoul(bd + 1, NULL, 10) : 0;

	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

bool cli_client_version_at_least(struct cli_client *c, const char *v)
{
	if (!c->version[0])
		(void)cli_client_ping(c, NULL);
	return c->version[0] && cli_version_cmp(c->version, v) >= 0;
}

static int connect_error(struct cli_client *c, struct berth_error *cause, struct berth_error **err)
{
	int e = cause ? cause->errnum : ECONNREFUSED;

	if (e == EACCES)
		return berth_error_set(err, 0, BERTH_ERR_UNAVAILABLE,
				       "permission denied while trying to connect to the berth "
				       "daemon socket at %s: connect: permission denied",
				       c->host);
	return berth_error_set(err, 0, BERTH_ERR_UNAVAILABLE,
			       "Cannot connect to the berth daemon at %s. Is the daemon running?",
			       c->host);
}

static int open_conn(struct cli_client *c, struct cli_http_conn **ret, struct berth_error **err)
{
	_cleanup_error_ struct berth_error *cause = NULL;

	if (cli_http_connect(c->sock_path, ret, &cause) < 0)
		return connect_error(c, cause, err);
	return 0;
}

static int ping_once(struct cli_client *c, const char *method, int *ret_status,
		     struct berth_error **err)
{
	_cleanup_(cli_http_conn_freep) struct cli_http_conn *conn = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	const char *v;
	int r;

	r = open_conn(c, &conn, err);
	if (r < 0)
		return r;
	r = cli_http_send_head(conn, method, "/_ping", NULL, 0, err);
	if (r < 0)
		return r;
	r = cli_http_read_response(TAKE_PTR(conn), strcmp(method, "HEAD") == 0, &resp, err);
	if (r < 0)
		return r;
	*ret_status = resp->status;
	v = cli_http_header(resp, "Api-Version");
	if (resp->status == 200 || resp->status == 500) {
		v = v && *v ? v : "1.24";
		if (cli_version_cmp(v, CLI_API_VERSION) > 0)
			v = CLI_API_VERSION;
		snprintf(c->version, sizeof(c->version), "%s", v);
	}
	return 0;
}

int cli_client_ping(struct cli_client *c, struct berth_error **err)
{
	int status = 0, r;

	if (!c->sock_path) {
		r = cli_client_init(c, cli_arg_host, err);
		if (r < 0)
			return r;
	}
	if (c->pinged || c->version_fixed)
		return 0;
	r = ping_once(c, "HEAD", &status, err);
	if (r >= 0 && status != 200 && status != 500)
		r = ping_once(c, "GET", &status, err);
	if (r < 0)
		return r;
	if (!c->version[0])
		return berth_error_set(err, 0, BERTH_ERR_UNAVAILABLE,
				       "Error response from daemon: ping failed with status %d",
				       status);
	c->pinged = true;
	return 0;
}

static enum berth_err_kind status_kind(int status)
{
	switch (status) {
	case 400:
		return BERTH_ERR_INVALID;
	case 401:
	case 403:
		return BERTH_ERR_UNAUTHORIZED;
	case 404:
		return BERTH_ERR_NOT_FOUND;
	case 409:
		return BERTH_ERR_CONFLICT;
	case 503:
		return BERTH_ERR_UNAVAILABLE;
	default:
		return BERTH_ERR_INTERNAL;
	}
}

static int kind_errno(enum berth_err_kind kind)
{
	switch (kind) {
	case BERTH_ERR_NOT_FOUND:
		return ENOENT;
	case BERTH_ERR_CONFLICT:
		return EEXIST;
	case BERTH_ERR_INVALID:
		return EINVAL;
	case BERTH_ERR_UNAUTHORIZED:
	case BERTH_ERR_FORBIDDEN:
		return EACCES;
	case BERTH_ERR_UNAVAILABLE:
		return EAGAIN;
	case BERTH_ERR_INTERNAL:
	case BERTH_ERR_KIND_MAX:
		break;
	}
	return EIO;
}

/* The daemon's error: {"message": "..."} or the body text. */
static int daemon_error(struct cli_http_response *resp, struct berth_error **err)
{
	_cleanup_free_ char *body = NULL;
	_cleanup_json_ json_object *o = NULL;
	enum berth_err_kind kind = status_kind(resp->status);
	const char *msg = NULL;
	json_object *m;
	size_t len = 0;
	int r;

	if (cli_http_body_read_all(resp, 1024 * 1024, &body, &len, NULL) < 0)
		body = xstrdup("");
	o = json_tokener_parse(body);
	if (o && json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		msg = json_object_get_string(m);
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		body[--len] = '\0';
	if (!msg && len > 0)
		msg = body;
	if (msg)
		r = berth_error_set(err, 0, kind, "Error response from daemon: %s", msg);
	else
		r = berth_error_set(err, 0, kind, "Error response from daemon: %d %s", resp->status,
				    resp->reason);
	if (err && *err)
		(*err)->errnum = kind_errno(kind);
	return r < 0 ? -kind_errno(kind) : r;
}

static char *request_headers(const struct cli_request *req, const char *ctype)
{
	return xasprintf("%s%s%s%s%s", req->hijack ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "",
			 ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
			 req->headers ? req->headers : "");
}

/* The daemon closed the connection while the body was being sent: it may
 * have answered first (a refused upload), and that answer is the error. */
static int early_answer(struct cli_http_conn *conn, int r, struct berth_error **err)
{
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_error_ struct berth_error *ignored = NULL;

	if (cli_http_read_response(conn, false, &resp, &ignored) < 0 || resp->status < 400)
		return r;
	berth_error_free(*err);
	*err = NULL;
	return daemon_error(resp, err);
}

int cli_api_request(struct cli_client *c, const struct cli_request *req,
		    struct cli_http_response **ret, struct berth_error **err)
{
	_cleanup_(cli_http_conn_freep) struct cli_http_conn *conn = NULL;
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_free_ char *target = NULL, *headers = NULL;
	const char *body = req->body ? cli_json_text(req->body) : NULL;
	const char *ctype = req->body ? "application/json" : req->content_type;
	int64_t length = body ? (int64_t)strlen(body) : 0;
	int r;

	r = cli_client_ping(c, err);
	if (r < 0)
		return r;
	if (req->hijack && !ctype)
		ctype = "text/plain";
	if (req->body_fd >= 0 || req->body_writer)
		length = -1;
	target = xasprintf("/v%s%s", c->version, req->path);
	headers = request_headers(req, ctype);
	r = open_conn(c, &conn, err);
	if (r < 0)
		return r;
	if (length < 0) {
		/* a streamed body (cp, load, import): room for a few chunks in
		 * flight, so that producing it here and consuming it in the
		 * daemon overlap instead of taking turns */
		int sndbuf = CLI_UPLOAD_SOCKET_BUFFER;
		(void)setsockopt(conn->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	r = cli_http_send_head(conn, req->method, target, headers, length, err);
	if (r >= 0 && body)
		r = cli_http_send(conn, body, (size_t)length, err);
	if (r >= 0 && req->body_fd >= 0)
		r = cli_http_send_fd_chunked(conn, req->body_fd, err);
	if (r >= 0 && req->body_writer) {
		r = req->body_writer(conn, req->body_writer_data, err);
		if (r >= 0)
			r = cli_http_send_chunk(conn, NULL, 0, err);
	}
	if (r < 0 && err && *err && ((*err)->errnum == EPIPE || (*err)->errnum == ECONNRESET))
		return early_answer(TAKE_PTR(conn), r, err);
	if (r < 0)
		return r;
	r = cli_http_read_response(TAKE_PTR(conn), strcmp(req->method, "HEAD") == 0, &resp, err);
	if (r < 0)
		return r;
	if (resp->status >= 400)
		return daemon_error(resp, err);
	if (req->hijack && resp->status != 101)
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
				       "unable to upgrade to tcp, received %d", resp->status);
	*ret = TAKE_PTR(resp);
	return 0;
}

int cli_api_call_status(struct cli_client *c, const char *method, const char *path,
			json_object *body, int *ret_status, json_object **ret_json,
			struct berth_error **err)
{
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_free_ char *data = NULL;
	struct cli_request req = CLI_REQUEST(method, path);
	json_object *o = NULL;
	size_t len = 0;
	int r;

	req.body = body;
	r = cli_api_request(c, &req, &resp, err);
	if (r < 0)
		return r;
	r = cli_http_body_read_all(resp, CLI_MAX_BODY, &data, &len, err);
	if (r < 0)
		return r;
	if (ret_json && len > 0) {
		r = json_parse_text(data, len, CLI_MAX_JSON_DEPTH, "daemon response", &o, err);
		if (r < 0)
			return r;
	}
	if (ret_status)
		*ret_status = resp->status;
	if (ret_json)
		*ret_json = o;
	return 0;
}

int cli_api_call(struct cli_client *c, const char *method, const char *path, json_object *body,
		 json_object **ret_json, struct berth_error **err)
{
	return cli_api_call_status(c, method, path, body, NULL, ret_json, err);
}

int cli_api_read_messages(struct cli_http_response *r, cli_json_message_cb cb, void *data,
			  struct berth_error **err)
{
	for (;;) {
		_cleanup_free_ char *line = NULL;
		_cleanup_json_ json_object *msg = NULL;
		json_object *detail, *m;
		int k;

		k = cli_http_body_read_line(r, CLI_MAX_STREAM_LINE, &line, err);
		if (k <= 0)
			return k;
		if (str_is_empty(line) || strspn(line, " \t\r") == strlen(line))
			continue;
		k = json_parse_text(line, strlen(line), CLI_MAX_JSON_DEPTH, "daemon message", &msg,
				    err);
		if (k < 0)
			return k;
		if (json_object_object_get_ex(msg, "errorDetail", &detail) && detail) {
			const char *text = NULL;
			if (json_object_object_get_ex(detail, "message", &m))
				text = json_object_get_string(m);
			if ((!text || !*text) && json_object_object_get_ex(msg, "error", &m))
				text = json_object_get_string(m);
			return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "%s", text ? text : "");
		}
		k = cb(msg, data, err);
		if (k < 0)
			return k;
	}
}

static char *escape(const char *s, const char *keep, bool plus_for_space)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p) || (*p && strchr(keep, *p))) {
			*o++ = (char)*p;
		} else if (*p == ' ' && plus_for_space) {
			*o++ = '+';
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

char *cli_query_escape(const char *s)
{
	return escape(s, "", true);
}

char *cli_path_escape(const char *s)
{
	return escape(s, "$&+,/:;=@", false);
}

void cli_url_add(char **url, const char *key, const char *value)
{
	_cleanup_free_ char *v = cli_query_escape(value);
	char *n = xasprintf("%s%s%s=%s", *url, strchr(*url, '?') ? "&" : "?", key, v);

	free(*url);
	*url = n;
}

const char *cli_json_text(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
}
