/* The registry's answers: the distribution spec's error bodies, the access
 * log (one line per answered request), name and tag validation, the common
 * start of every handler, and the routes. */
#define LOG_CATEGORY "registry"
#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "server-internal.h"

void reg_req_init(struct reg_req *rq, struct reg_server *srv, struct http_request *req)
{
	rq->srv = srv;
	rq->req = req;
	rq->start_us = now_usec_monotonic();
	rq->name = NULL;
}

static void access_log(struct reg_req *rq, int status, uint64_t bytes)
{
	FILE *f = rq->srv->log;
	char ts[40];

	if (!f)
		return;
	time_format_rfc3339(ts);
	uint64_t us = now_usec_monotonic() - rq->start_us;
	fprintf(f, "%s %s \"%s %s\" %d %" PRIu64 " %" PRIu64 ".%03" PRIu64 "ms\n", ts,
		http_request_peer(rq->req), http_request_method(rq->req),
		http_request_path(rq->req), status, bytes, us / 1000, us % 1000);
	fflush(f);
}

static bool is_head(struct reg_req *rq)
{
	return strcmp(http_request_method(rq->req), "HEAD") == 0;
}

void reg_respond(struct reg_req *rq, int status, const char *ct, const void *body, size_t len)
{
	access_log(rq, status, is_head(rq) ? 0 : len);
	http_respond(rq->req, status, ct, body, len);
}

void reg_respond_json(struct reg_req *rq, int status, const char *ct, json_object *o)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	reg_respond(rq, status, ct ? ct : "application/json", s, len);
}

void reg_respond_file(struct reg_req *rq, int status, const char *ct, int fd, uint64_t off,
		      uint64_t len)
{
	access_log(rq, status, is_head(rq) ? 0 : len);
	http_respond_file(rq->req, status, ct, fd, off, len);
}

void reg_error(struct reg_req *rq, int status, const char *code, const char *message,
	       json_object *detail)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *errs = json_object_new_array(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(e, "detail", detail ? detail : json_object_new_object());
	json_object_array_add(errs, e);
	json_object_object_add(o, "errors", errs);
	reg_respond_json(rq, status, "application/json; charset=utf-8", o);
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static const char *component_end(const char *p)
{
	for (;;) {
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p))
			return NULL;
		while (islower((unsigned char)*p) || isdigit((unsigned char)*p))
			p++;
		if (*p == '.' && p[1] != '.' && p[1] != '_' && p[1] != '-')
			p++;
		else if (*p == '_' && p[1] == '_')
			p += 2;
		else if (*p == '_')
			p++;
		else if (*p == '-')
			while (*p == '-')
				p++;
		else
			return p;
	}
}

bool reg_name_is_valid(const char *name)
{
	const char *p = name;

	if (!name || strlen(name) > REG_MAX_NAME)
		return false;
	for (;;) {
		p = component_end(p);
		if (!p)
			return false;
		if (*p == '\0')
			return true;
		if (*p != '/')
			return false;
		p++;
	}
}

bool reg_tag_is_valid(const char *tag)
{
	size_t n = strlen(tag);

	if (n == 0 || n > 128 || tag[0] == '.' || tag[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)tag[i]) && !strchr("._-", tag[i]))
			return false;
	return true;
}

bool reg_digest_ok(struct reg_req *rq, const char *digest, const char *code)
{
	if (digest && digest_is_valid(digest))
		return true;
	if (digest && (str_has_prefix(digest, "sha512:") || str_has_prefix(digest, "sha384:")))
		reg_error(rq, 400, "UNSUPPORTED", "digest algorithm not supported",
			  json_object_new_string(digest));
	else
		reg_error(rq, 400, code, "provided digest did not match uploaded content",
			  digest ? json_object_new_string(digest) : NULL);
	return false;
}

static bool is_write(const char *action)
{
	return strcmp(action, "pull") != 0;
}

bool reg_begin(struct reg_req *rq, const char *action)
{
	const char *name = http_request_param(rq->req, "name");

	if (rq->srv->cfg->read_only && is_write(action)) {
		http_response_add_header(rq->req, "Allow", "GET, HEAD");
		reg_error(rq, 405, "UNSUPPORTED", "the registry is in read-only mode", NULL);
		return false;
	}
	if (name && !reg_name_is_valid(name)) {
		json_object *d = json_object_new_object();
		json_object_object_add(d, "name", json_object_new_string(name));
		reg_error(rq, 400, "NAME_INVALID", "invalid repository name", d);
		return false;
	}
	rq->name = name;
	return reg_authorize(rq, name, action);
}

static void h_ping(struct http_request *req, void *data)
{
	struct reg_req rq;

	reg_req_init(&rq, data, req);
	if (!reg_authorize(&rq, NULL, "pull"))
		return;
	reg_respond(&rq, 200, "application/json; charset=utf-8", "{}", 2);
}

static void h_unknown(struct http_request *req, void *data)
{
	struct reg_req rq;

	reg_req_init(&rq, data, req);
	reg_error(&rq, 404, "NOT_FOUND", "page not found", NULL);
}

void reg_routes_add(struct http_router *r, struct reg_server *s)
{
	const unsigned st = HTTP_ROUTE_STREAM_BODY;

	http_router_add(r, "GET", "/v2", 0, h_ping, s);
	http_router_add(r, "GET", "/v2/", 0, h_ping, s);
	http_router_add(r, "GET", "/v2/_catalog", 0, reg_h_catalog, s);
	http_router_add(r, "GET", "/v2/{name*}/tags/list", 0, reg_h_tags_list, s);
	http_router_add(r, "GET", "/v2/{name*}/manifests/{ref}", 0, reg_h_manifest_get, s);
	http_router_add(r, "PUT", "/v2/{name*}/manifests/{ref}", st, reg_h_manifest_put, s);
	http_router_add(r, "DELETE", "/v2/{name*}/manifests/{ref}", 0, reg_h_manifest_delete, s);
	http_router_add(r, "GET", "/v2/{name*}/referrers/{digest}", 0, reg_h_referrers, s);
	http_router_add(r, "POST", "/v2/{name*}/blobs/uploads/", st, reg_h_upload_post, s);
	http_router_add(r, "POST", "/v2/{name*}/blobs/uploads", st, reg_h_upload_post, s);
	http_router_add(r, "GET", "/v2/{name*}/blobs/uploads/{uuid}", 0, reg_h_upload_get, s);
	http_router_add(r, "PATCH", "/v2/{name*}/blobs/uploads/{uuid}", st, reg_h_upload_patch, s);
	http_router_add(r, "PUT", "/v2/{name*}/blobs/uploads/{uuid}", st, reg_h_upload_put, s);
	http_router_add(r, "DELETE", "/v2/{name*}/blobs/uploads/{uuid}", 0, reg_h_upload_delete, s);
	http_router_add(r, "GET", "/v2/{name*}/blobs/{digest}", 0, reg_h_blob_get, s);
	http_router_add(r, "DELETE", "/v2/{name*}/blobs/{digest}", 0, reg_h_blob_delete, s);
	http_router_set_fallback(r, h_unknown, s);
}
