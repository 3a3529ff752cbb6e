/* The router: method + pattern routes tried in order, "{name}" for one path
 * segment and "{name*}" for one or more, and the "/vX.Y" API version prefix.
 * Matching splits the decoded path once and allocates nothing; parameter
 * values are copied into room the request reserved for them. Parameter
 * names point into the router, which must outlive the requests it routed. */
#define LOG_CATEGORY "http"
#include <assert.h>
#include <string.h>

#include "http-internal.h"

#define MAX_SEGMENTS 128

enum seg_kind {
	SEG_LITERAL,
	SEG_PARAM,
	SEG_REST,
	SEG_KIND_MAX,
};

struct seg {
	const char *s;
	size_t len;
};

int http_router_new(struct http_router **ret)
{
	*ret = xzalloc(sizeof(**ret));
	return 0;
}

struct http_router *http_router_free(struct http_router *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_routes; i++) {
		free(r->routes[i].method);
		strv_free(r->routes[i].segs);
	}
	free(r->routes);
	free(r);
	return NULL;
}

static enum seg_kind seg_kind_of(const char *s, size_t *ret_name_len)
{
	size_t n = strlen(s);

	if (n < 3 || s[0] != '{' || s[n - 1] != '}')
		return SEG_LITERAL;
	if (s[n - 2] == '*') {
		*ret_name_len = n - 3;
		return SEG_REST;
	}
	*ret_name_len = n - 2;
	return SEG_PARAM;
}

void http_router_add(struct http_router *r, const char *method, const char *pattern, unsigned flags,
		     http_handler h, void *data)
{
	struct http_route rt = { .method = xstrdup(method), .flags = flags, .h = h, .data = data };
	size_t n_params = 0, name_len;

	assert(pattern[0] == '/');
	for (const char *p = pattern + 1; *pattern && pattern[1];) {
		const char *slash = strchr(p, '/');
		char *seg = xstrndup(p, slash ? (size_t)(slash - p) : strlen(p));
		/* "{name}" becomes ":name", "{name*}" "*name", a literal "=..." when
		 * it starts with one of these marks. */
		enum seg_kind k = seg_kind_of(seg, &name_len);
		if (k != SEG_LITERAL) {
			seg[name_len + 1] = '\0';
			seg[0] = k == SEG_REST ? '*' : ':';
			n_params++;
		} else if (seg[0] == ':' || seg[0] == '*' || seg[0] == '=') {
			char *lit = xasprintf("=%s", seg);
			free(seg);
			seg = lit;
		}
		strv_push_take(&rt.segs, seg);
		if (!slash)
			break;
		p = slash + 1;
	}
	assert(n_params <= HTTP_MAX_PARAMS);
	rt.n_segs = strv_length(rt.segs);
	r->routes = xrealloc(r->routes, (r->n_routes + 1) * sizeof(*r->routes));
	r->routes[r->n_routes++] = rt;
}

void http_router_set_fallback(struct http_router *r, http_handler h, void *data)
{
	r->fallback = h;
	r->fallback_data = data;
}

void http_router_set_version_prefix(struct http_router *r, bool enable)
{
	r->version_prefix = enable;
}

/* "/v1.41/x" -> 141 and "/x"; anything else leaves the path alone. */
static void strip_version(struct http_request *req)
{
	const char *p = req->full_path + 2;
	unsigned major = 0, minor = 0, nd = 0;

	if (strncmp(req->full_path, "/v", 2) != 0)
		return;
	for (; *p >= '0' && *p <= '9' && nd < 3; p++, nd++)
		major = major * 10 + (unsigned)(*p - '0');
	if (nd == 0 || *p++ != '.')
		return;
	for (nd = 0; *p >= '0' && *p <= '9' && nd < 2; p++, nd++)
		minor = minor * 10 + (unsigned)(*p - '0');
	if (nd == 0 || (*p != '/' && *p != '\0'))
		return;
	req->api_version = major * 100 + minor;
	req->path = *p ? p : "/";
}

static void add_param(struct http_request *req, const char *name, const char *v, size_t len)
{
	char *dst = req->param_buf + req->param_used;

	memcpy(dst, v, len);
	dst[len] = '\0';
	req->param_used += len + 1;
	req->params[req->n_params++] = (struct http_kv){ name, dst };
}

static bool seg_eq(const struct seg *s, const char *lit)
{
	return strncmp(s->s, lit, s->len) == 0 && lit[s->len] == '\0';
}

static bool route_match(const struct http_route *rt, const struct seg *segs, size_t n,
			struct http_request *req)
{
	size_t j = 0;

	req->n_params = 0;
	req->param_used = 0;
	for (size_t i = 0; i < rt->n_segs; i++) {
		const char *ps = rt->segs[i];
		if (ps[0] == '*') {
			size_t after = rt->n_segs - i - 1;
			if (n < j + 1 + after)
				return false;
			const struct seg *last = &segs[n - after - 1];
			size_t len = (size_t)(last->s + last->len - segs[j].s);
			if (len == 0)
				return false;
			add_param(req, ps + 1, segs[j].s, len);
			j = n - after;
		} else if (ps[0] == ':') {
			if (j >= n || segs[j].len == 0)
				return false;
			add_param(req, ps + 1, segs[j].s, segs[j].len);
			j++;
		} else {
			if (j >= n || !seg_eq(&segs[j], ps[0] == '=' ? ps + 1 : ps))
				return false;
			j++;
		}
	}
	return j == n;
}

static size_t split_path(const char *path, struct seg *segs)
{
	size_t n = 0;

	if (strcmp(path, "/") == 0)
		return 0;
	for (const char *p = path + 1;; n++) {
		const char *slash = strchr(p, '/');
		if (n == MAX_SEGMENTS)
			return SIZE_MAX;
		segs[n].s = p;
		segs[n].len = slash ? (size_t)(slash - p) : strlen(p);
		if (!slash)
			return n + 1;
		p = slash + 1;
	}
}

const struct http_route *http_router_match(const struct http_router *r, struct http_request *req)
{
	struct seg segs[MAX_SEGMENTS];
	size_t n;

	req->path = req->full_path;
	req->api_version = 0;
	if (r->version_prefix)
		strip_version(req);
	n = split_path(req->path, segs);
	if (n == SIZE_MAX)
		return NULL;
	for (int pass = 0; pass < 2; pass++) {
		/* HEAD falls back to the GET routes. */
		const char *m = pass == 0 ? req->method : "GET";
		if (pass == 1 && !req->is_head)
			break;
		for (size_t i = 0; i < r->n_routes; i++)
			if (strcmp(r->routes[i].method, m) == 0 &&
			    route_match(&r->routes[i], segs, n, req))
				return &r->routes[i];
	}
	req->n_params = 0;
	return NULL;
}
