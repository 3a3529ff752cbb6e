/* Helpers shared by the API handler files (api-*.c). */
#ifndef BERTH_DAEMON_API_H
#define BERTH_DAEMON_API_H

#include "daemon.h"

typedef void (*api_handler)(struct daemon *d, struct http_request *req);

/* Register a handler behind the API's version check (too new / too old -> 400). */
void api_add(struct http_router *r, const char *method, const char *pattern, unsigned flags,
	     api_handler h);

/* Docker's filters query parameter: {"key":{"value":true}} or {"key":["value"]}.
 * Parsed into key -> values; unknown keys are refused with docker's message
 * "invalid filter 'key'". */
struct api_filters {
	char **keys;
	char ***values;
	size_t n;
};
int api_filters_parse(struct http_request *req, const char *const *allowed, struct api_filters *ret,
		      struct berth_error **err);
void api_filters_free(struct api_filters *f);
/* The values of key (NULL when absent). */
char **api_filters_get(const struct api_filters *f, const char *key);
/* Label filters: "key" or "key=value" against a label list; true when every
 * wanted label matches (docker's MatchKVList, also for "label!"). */
bool api_labels_match(char *const *wanted, json_object *labels);
/* docker's filters.Args.Match: any pattern, as an unanchored extended regular
 * expression, matches s (bad patterns match nothing). */
bool api_filter_regex_any(char *const *patterns, const char *s);

/* An image event as dockerd logs it: the image id as the actor, attributes
 * name (NULL: the id, as for load, save, import, untag and delete) and the
 * image's labels (images.c). */
void image_event(struct daemon *d, const struct image_rec *img, const char *action,
		 const char *name);

/* The "prune" event dockerd sends after a prune of containers, images,
 * networks or volumes: no actor id, the bytes reclaimed (api-events.c). */
void api_prune_event(struct daemon *d, const char *type, int64_t reclaimed);

/* /networks (api-networks.c). */
void api_networks_register(struct daemon *d, struct http_router *r);
/* /containers/{id}/archive, changes and export (api-archive.c). */
void api_archive_register(struct daemon *d, struct http_router *r);

/* docker's timetypes.GetTimestamp, for "until" filters: unix seconds, an
 * RFC 3339 time or date, or a duration ("90m", "1h30m") before now; in unix
 * seconds (api-images.c). */
int api_time_filter_parse(const char *v, int64_t *ret);

/* A small JSON builder shortcut. */
static inline void jadd(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}
static inline json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}
json_object *jstrv(char *const *v);
/* o's member k (borrowed), or NULL. */
static inline json_object *jget(json_object *o, const char *k)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, k, &v) ? v : NULL;
} /* array of strings, null for NULL */

#endif
