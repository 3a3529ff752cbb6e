/* Requests: reference counting, accessors, the JSON body, streamed bodies
 * and the close notification. */
#define LOG_CATEGORY "http"
#include <assert.h>
#include <string.h>
#include <strings.h>

#include "http-conn-internal.h"
#include "json-util.h"

#define BODY_JSON_MAX_DEPTH 64

struct http_request *http_request_ref(struct http_request *req)
{
	if (req)
		req->refs++;
	return req;
}

struct http_request *http_request_unref(struct http_request *req)
{
	if (!req)
		return NULL;
	assert(req->refs > 0);
	if (--req->refs > 0)
		return NULL;
	if (req->close_timer)
		http_loop_cancel_timer(req->loop, req->close_timer);
	free(req->body);
	free(req->extra_headers);
	free(req);
	return NULL;
}

const char *http_request_method(const struct http_request *req)
{
	return req->method;
}

const char *http_request_peer(const struct http_request *req)
{
	return req->peer;
}

const char *http_request_path(const struct http_request *req)
{
	return req->path;
}

unsigned http_request_api_version(const struct http_request *req)
{
	return req->api_version;
}

const char *http_request_param(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_params; i++)
		if (strcmp(req->params[i].key, name) == 0)
			return req->params[i].value;
	return NULL;
}

const char *http_request_query(const struct http_request *req, const char *key)
{
	for (size_t i = 0; i < req->n_query; i++)
		if (strcmp(req->query[i].key, key) == 0)
			return req->query[i].value;
	return NULL;
}

char **http_request_query_all(const struct http_request *req, const char *key)
{
	char **v = NULL;

	for (size_t i = 0; i < req->n_query; i++)
		if (strcmp(req->query[i].key, key) == 0)
			strv_push(&v, req->query[i].value);
	return v;
}

bool http_request_query_bool(const struct http_request *req, const char *key, bool def)
{
	static const char *const falsy[] = { "", "0", "no", "false", "none" };
	const char *v = http_request_query(req, key);

	if (!v)
		return def;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	/* moby's BoolValue: anything but these (any case) is true. */
	for (size_t i = 0; i < ARRAY_SIZE(falsy); i++)
		if (strlen(falsy[i]) == n && strncasecmp(v, falsy[i], n) == 0)
			return false;
	return true;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

const char *http_request_body(const struct http_request *req, size_t *ret_len)
{
	if (ret_len)
		*ret_len = req->body_len;
	return req->body ? req->body : "";
}

int http_request_body_json(struct http_request *req, struct json_object **ret,
			   struct berth_error **err)
{
	_cleanup_json_ json_object *obj = NULL;
	int r;

	if (req->body_len == 0) {
		*ret = NULL;
		return 0;
	}
	r = json_parse_text(req->body, req->body_len, BODY_JSON_MAX_DEPTH, "request body", &obj,
			    err);
	if (r < 0)
		return r;
	if (obj && !json_object_is_type(obj, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "request body: expected a JSON object");
	*ret = TAKE_PTR(obj);
	return 0;
}

/* Notifications owed to a handler whose client already left. */
static void request_deferred(struct http_loop *l, void *data)
{
	struct http_request *req = http_request_ref(data);

	req->close_timer = 0;
	http_request_detach(req, -ECONNRESET);
	http_request_unref(req);
}

static void request_defer(struct http_request *req)
{
	if (!req->close_timer && req->loop)
		req->close_timer = http_loop_add_timer(req->loop, 0, request_deferred, req);
}

void http_request_on_close(struct http_request *req, void (*cb)(struct http_request *, void *),
			   void *data)
{
	req->close_cb = cb;
	req->close_data = data;
	if (req->gone && !req->close_fired)
		request_defer(req);
}

void http_request_read_body(struct http_request *req, http_body_data_cb on_data,
			    http_body_end_cb on_end, void *user)
{
	if (req->reading_body)
		return;
	req->on_data = on_data;
	req->on_end = on_end;
	req->body_user = user;
	req->reading_body = true;
	if (!req->conn) {
		if (req->gone)
			request_defer(req);
		return;
	}
	req->conn->last_read_ms = http_loop_now_ms(req->loop); /* the body is due from now */
	http_conn_send_continue(req->conn, req);
	http_conn_kick(req->conn);
}

int http_request_feed_body(struct http_request *req, const char *data, size_t len, int end)
{
	int r = 0;

	http_request_ref(req);
	if (len > 0 && req->on_data && !req->body_ended && end >= 0)
		r = req->on_data(req, data, len, req->body_user);
	if (r == 0 && end < 0)
		r = end;
	if ((r < 0 || end > 0) && !req->body_ended) {
		req->body_ended = true;
		if (req->on_end)
			req->on_end(req, r, req->body_user);
	}
	http_request_unref(req);
	return r;
}

void http_request_detach(struct http_request *req, int error)
{
	http_request_ref(req);
	req->conn = NULL;
	req->drain_cb = NULL;
	if (!req->complete)
		req->gone = true;
	if (req->reading_body && !req->body_ended) {
		req->body_ended = true;
		if (req->on_end)
			req->on_end(req, error ? error : -ECONNABORTED, req->body_user);
	}
	if (req->gone && req->close_cb && !req->close_fired) {
		req->close_fired = true;
		req->close_cb(req, req->close_data);
	}
	http_request_unref(req);
}

void http_response_add_header(struct http_request *req, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	if (req->responded || !req->conn)
		return;
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
		log_debug("Response header '%s' with a line break, ignoring", name);
		return;
	}
	req->extra_headers = xrealloc(req->extra_headers, req->extra_len + nl + vl + 5);
	char *p = req->extra_headers + req->extra_len;
	memcpy(p, name, nl);
	memcpy(p + nl, ": ", 2);
	memcpy(p + nl + 2, value, vl);
	memcpy(p + nl + 2 + vl, "\r\n", 3);
	req->extra_len += nl + vl + 4;
}
