/* berth registry client: errors in dockerd's words. A distribution error
 * body {"errors":[{"code","message","detail"}]} reads "<code in lower case
 * with spaces>: <message>" as docker's errcode package prints it; transport
 * failures read as Go's net/http prints them.
 */
#define LOG_CATEGORY "registry"

#include <errno.h>
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include "client-transport.h"
#include "json-util.h"

int reg_error_set(struct berth_error **err, int errnum, enum berth_err_kind kind, const char *fmt,
		  ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (!err || *err)
		return -errnum;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	(void)berth_error_set(err, 0, kind, "%s", msg);
	(*err)->errnum = errnum;
	return -errnum;
}

static const char *status_text(long status)
{
	static const struct {
		long code;
		const char *text;
	} table[] = {
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 409, "Conflict" },
		{ 413, "Request Entity Too Large" },
		{ 416, "Requested Range Not Satisfiable" },
		{ 429, "Too Many Requests" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].code == status)
			return table[i].text;
	return "";
}

/* "MANIFEST_UNKNOWN" -> "manifest unknown" */
static char *code_words(const char *code)
{
	char *w = xstrdup(code);

	for (char *p = w; *p; p++)
		*p = *p == '_' ? ' ' : (char)tolower((unsigned char)*p);
	return w;
}

/* The errors of a body as docker prints them, and the first code. */
static char *errors_text(const struct reg_response *r, char **ret_code)
{
	_cleanup_json_ json_object *o = NULL;
	json_object *arr = NULL;
	char *text = NULL;
	size_t n;

	if (!r->body || r->body_len == 0 || !(o = json_tokener_parse(r->body)))
		return NULL;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "errors", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return NULL;
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n && i < 16; i++) {
		json_object *e = json_object_array_get_idx(arr, i), *v;
		const char *code = "UNKNOWN", *msg = "";
		_cleanup_free_ char *words = NULL;
		char *line, *next;

		if (!json_object_is_type(e, json_type_object))
			continue;
		if (json_object_object_get_ex(e, "code", &v) && json_object_get_string(v))
			code = json_object_get_string(v);
		if (json_object_object_get_ex(e, "message", &v) && json_object_get_string(v))
			msg = json_object_get_string(v);
		if (ret_code && !*ret_code)
			*ret_code = xstrdup(code);
		words = code_words(code);
		line = *msg ? xasprintf("%s: %s", words, msg) : xstrdup(words);
		if (!text) {
			text = line;
			continue;
		}
		next = xasprintf("%s\n%s", text, line);
		free(text);
		free(line);
		text = next;
	}
	if (text && n > 1) {
		char *all = xasprintf("errors:\n%s\n", text);
		free(text);
		text = all;
	}
	return text;
}

char *reg_error_code(const struct reg_response *r)
{
	char *code = NULL;
	free(errors_text(r, &code));
	return code;
}

static bool code_in(const char *code, const char *const *list)
{
	for (size_t i = 0; code && list[i]; i++)
		if (strcmp(code, list[i]) == 0)
			return true;
	return false;
}

int reg_error_from_response(const struct reg_session *s, const struct reg_response *r,
			    const char *what, struct berth_error **err)
{
	static const char *const not_found[] = { "MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UNKNOWN",
						 "BLOB_UPLOAD_UNKNOWN", NULL };
	static const char *const denied[] = { "UNAUTHORIZED", "DENIED", NULL };
	static const char *const invalid[] = { "MANIFEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
					       "DIGEST_INVALID",   "BLOB_UPLOAD_INVALID",
					       "SIZE_INVALID",	   "NAME_INVALID",
					       "TAG_INVALID",	   "MANIFEST_UNVERIFIED",
					       "UNSUPPORTED",	   NULL };
	_cleanup_free_ char *code = NULL;
	_cleanup_free_ char *text = errors_text(r, &code);

	if (r->status == 401 && s && s->scheme == REG_SCHEME_BASIC && !s->username) {
		free(text);
		text = xstrdup("no basic auth credentials");
	}
	if (!text) {
		if (r->status == 401)
			text = xstrdup("unauthorized: authentication required");
		else if (r->status == 404 && what)
			text = xstrdup("not found");
		else
			text = xasprintf("received unexpected HTTP status: %ld %s", r->status,
					 status_text(r->status));
	}
	if (code_in(code, not_found) || (!code && r->status == 404)) {
		if (what)
			return reg_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND, "%s not found: %s",
					     what, text);
		return reg_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND, "%s", text);
	}
	if (code_in(code, denied) || r->status == 401 || r->status == 403)
		return reg_error_set(err, EACCES, BERTH_ERR_UNAUTHORIZED, "%s", text);
	if (code_in(code, invalid) || r->status == 400)
		return reg_error_set(err, EINVAL, BERTH_ERR_INVALID, "%s", text);
	return reg_error_set(err, EIO, BERTH_ERR_UNAVAILABLE, "%s", text);
}

/* The last answer's Bearer challenge with error="insufficient_scope", as
 * docker's client reads it: "denied: <error_description>", the description
 * defaulting to the DENIED code's own words. NULL without one. */
static char *insufficient_scope(const struct reg_session *s)
{
	struct reg_challenge *c = NULL;
	size_t n = 0;
	char *text = NULL;

	if (!s || !s->www_authenticate)
		return NULL;
	(void)reg_challenges_parse(s->www_authenticate, &c, &n);
	for (size_t i = 0; i < n && !text; i++) {
		const char *e = reg_challenge_param(&c[i], "error");
		const char *d = reg_challenge_param(&c[i], "error_description");

		if (strcmp(c[i].scheme, "bearer") == 0 && e && strcmp(e, "insufficient_scope") == 0)
			text = xasprintf("denied: %s", d && *d ? d
							       : "requested access to the resource "
								 "is denied");
	}
	reg_challenges_free(c, n);
	return text;
}

bool reg_response_denied(const struct reg_session *s, const struct reg_response *r)
{
	_cleanup_free_ char *scope = NULL, *code = NULL;

	if (r->status != 401 && r->status != 403)
		return false;
	if ((scope = insufficient_scope(s)))
		return true;
	code = reg_error_code(r);
	return code && strcmp(code, "DENIED") == 0;
}

int reg_error_access_denied(const struct reg_session *s, const struct reg_response *r,
			    const char *action, const char *name, struct berth_error **err)
{
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_free_ char *scope = NULL;

	if ((r->status == 401 || r->status == 403) && (scope = insufficient_scope(s)))
		(void)reg_error_set(&e, EACCES, BERTH_ERR_UNAUTHORIZED, "%s", scope);
	else
		(void)reg_error_from_response(s, r, NULL, &e);
	if (e->kind != BERTH_ERR_UNAUTHORIZED && e->kind != BERTH_ERR_NOT_FOUND)
		return reg_error_set(err, e->errnum, e->kind, "%s", e->msg);
	/* dockerd's notFoundError: a 404 to the API's client, so that the
	 * docker CLI does not ask for a login (it does on a 401) */
	if (strcmp(action, "pull") == 0)
		return reg_error_set(err, EACCES, BERTH_ERR_NOT_FOUND,
				     "pull access denied for %s, repository does not exist or "
				     "may require 'docker login': %s",
				     name, e->msg);
	return reg_error_set(err, EACCES, BERTH_ERR_UNAUTHORIZED, "%s", e->msg);
}

/* "GET" -> "Get", as Go prints a request's method in url.Error. */
static char *go_method(const char *method)
{
	char *m = xstrdup(method);

	for (char *p = m + 1; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return m;
}

static char *host_port(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *res;

	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return xstrdup(url);
	}
	(void)curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	res = xasprintf("%s:%s", host, port ? port : "443");
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return res;
}

static char *lower_strerror(int e)
{
	char *s = xstrdup(strerror(e));
	s[0] = (char)tolower((unsigned char)s[0]);
	return s;
}

int reg_transport_error(const char *method, const char *url, CURLcode code, long os_errno,
			const char *errbuf, struct berth_error **err)
{
	_cleanup_free_ char *m = go_method(method);
	_cleanup_free_ char *hp = host_port(url);
	_cleanup_free_ char *why = NULL;
	int e = EIO;

	if (code == CURLE_COULDNT_CONNECT) {
		_cleanup_free_ char *s = lower_strerror(os_errno ? (int)os_errno : ECONNREFUSED);
		e = os_errno ? (int)os_errno : ECONNREFUSED;
		why = xasprintf("dial tcp %s: connect: %s", hp, s);
	} else if (code == CURLE_COULDNT_RESOLVE_HOST) {
		_cleanup_free_ char *h = xstrndup(hp, strcspn(hp, ":"));
		e = EHOSTUNREACH;
		why = xasprintf("dial tcp: lookup %s: no such host", h);
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		e = ETIMEDOUT;
		why = xasprintf("dial tcp %s: i/o timeout", hp);
	} else if (code == CURLE_SSL_CONNECT_ERROR) {
		e = EPROTO;
		why = errbuf && strstr(errbuf, "wrong version number")
			      ? xstrdup("http: server gave HTTP response to HTTPS client")
			      : xasprintf("tls: %s",
					  errbuf && *errbuf ? errbuf : "handshake failure");
	} else if (code == CURLE_PEER_FAILED_VERIFICATION) {
		e = EPROTO;
		why = xstrdup("tls: failed to verify certificate: x509: certificate signed by "
			      "unknown authority");
	} else if (code == CURLE_GOT_NOTHING) {
		e = ECONNRESET;
		why = xstrdup("EOF");
	} else if ((code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR) && errbuf &&
		   strstr(errbuf, "alert ")) {
		/* "...SSL routines::tlsv13 alert certificate required" */
		e = EPROTO;
		why = xasprintf("remote error: tls: %s", strstr(errbuf, "alert ") + 6);
	} else if (code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR) {
		e = ECONNRESET;
		why = xstrdup("read: connection reset by peer");
	} else {
		why = xstrdup(errbuf && *errbuf ? errbuf : curl_easy_strerror(code));
	}
	return reg_error_set(err, e, BERTH_ERR_UNAVAILABLE, "%s \"%s\": %s", m, url, why);
}
