/* Typed JSON getters on json-c with JSON-path error messages.
 *
 * Every getter takes the path of the object it reads from ("process.user") and
 * names the field in its error ("process.user.uid: expected an unsigned
 * integer"), so a bad document is refused with a message a user can act on.
 * Getters return 1 when the key was present, 0 when an optional key is absent
 * (or null; *ret is then untouched) and a negative errno for a key of the
 * wrong type. Returned strings and objects are borrowed from the
 * parsed document.
 */
#ifndef BERTH_JSON_UTIL_H
#define BERTH_JSON_UTIL_H

#include <json-c/json.h>

#include "common.h"

DEFINE_CLEANUP(json_object, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

/* Parse a whole document, refusing trailing garbage and nesting deeper than max_depth. */
int json_parse_text(const char *text, size_t len, int max_depth, const char *what,
		    json_object **ret, struct berth_error **err);

/* A new object with o's members (referenced, not copied) in key order: Go
 * encodes maps so, and docker's clients print them so. */
json_object *json_sorted_copy(json_object *o);

/* "a.b" + "c" -> "a.b.c"; "a.b" + index 3 -> "a.b[3]". */
char *json_path_key(const char *path, const char *key);
char *json_path_index(const char *path, size_t index);

int json_get_str(json_object *obj, const char *path, const char *key, bool required,
		 const char **ret, struct berth_error **err);
int json_get_bool(json_object *obj, const char *path, const char *key, bool *ret,
		  struct berth_error **err);
int json_get_int64(json_object *obj, const char *path, const char *key, bool required, int64_t *ret,
		   struct berth_error **err);
int json_get_uint64(json_object *obj, const char *path, const char *key, bool required,
		    uint64_t *ret, struct berth_error **err);
int json_get_uint32(json_object *obj, const char *path, const char *key, bool required,
		    uint32_t *ret, struct berth_error **err);
int json_get_int32(json_object *obj, const char *path, const char *key, bool required, int32_t *ret,
		   struct berth_error **err);
/* Object or array; *ret NULL when absent or null. */
int json_get_object(json_object *obj, const char *path, const char *key, bool required,
		    json_object **ret, struct berth_error **err);
int json_get_array(json_object *obj, const char *path, const char *key, bool required,
		   json_object **ret, struct berth_error **err);
/* An array of strings, copied into a new strv (NULL when absent). */
int json_get_strv(json_object *obj, const char *path, const char *key, bool required, char ***ret,
		  struct berth_error **err);
/* The value as an integer of the given range, for array elements. */
int json_value_int64(json_object *v, const char *path, int64_t *ret, struct berth_error **err);

/* Fail when obj has a key not in allowed (NULL-terminated), naming it. */
int json_check_keys(json_object *obj, const char *path, const char *const *allowed,
		    struct berth_error **err);

#endif
