/* Requests for parts of the Docker API that berth has not built yet get a
 * message that names the missing feature, instead of "page not found", so a
 * docker CLI user learns what is absent rather than guessing at a bug. */
#include <string.h>

#include "api.h"

struct unsupported {
	const char *prefix; /* path start; "*" matches one segment */
	const char *suffix; /* path end, or NULL */
	const char *what;
};

static const struct unsupported table[] = {
	{ "/build", NULL, "build" },
	{ "/swarm", NULL, "swarm" },
	{ "/nodes", NULL, "swarm" },
	{ "/services", NULL, "swarm" },
	{ "/tasks", NULL, "swarm" },
	{ "/secrets", NULL, "swarm" },
	{ "/configs", NULL, "swarm" },
	{ "/plugins", NULL, "plugin" },
	{ "/session", NULL, "buildkit sessions" },
	{ "/grpc", NULL, "buildkit" },
	{ "/distribution", NULL, "distribution" },
	{ "/containers/", "/checkpoints", "checkpoint" },
};

static bool matches(const struct unsupported *u, const char *path)
{
	size_t lp = strlen(u->prefix), ln = strlen(path);

	if (strncmp(path, u->prefix, lp) != 0)
		return false;
	if (!u->suffix)
		return path[lp] == '\0' || path[lp] == '/' || u->prefix[lp - 1] == '/';
	size_t ls = strlen(u->suffix);
	return ln > lp + ls && strcmp(path + ln - ls, u->suffix) == 0;
}

static void fallback(struct http_request *req, void *data)
{
	const char *path = http_request_path(req);

	(void)data;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		if (matches(&table[i], path)) {
			http_respond_error(req, 501, "berth: '%s' is not supported yet",
					   table[i].what);
			return;
		}
	}
	http_respond_error(req, 404, "page not found");
}

void api_unsupported_register(struct http_router *r)
{
	http_router_set_fallback(r, fallback, NULL);
}
