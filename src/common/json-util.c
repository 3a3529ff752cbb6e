/* Typed JSON getters with JSON-path errors (see json-util.h). */
#include <inttypes.h>
#include <string.h>

#include "json-util.h"

int json_parse_text(const char *text, size_t len, int max_depth, const char *what,
		    json_object **ret, struct berth_error **err)
{
	json_tokener *tok = json_tokener_new_ex(max_depth);
	json_object *obj;

	if (!tok)
		abort();
	if (len > INT32_MAX) {
		json_tokener_free(tok);
		return berth_error_set(err, EFBIG, BERTH_ERR_INVALID, "%s: document too large",
				       what);
	}
	obj = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: unexpected end of JSON",
				       what);
	if (jerr != json_tokener_success)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s: invalid JSON at byte %zu: %s", what, off,
				       json_tokener_error_desc(jerr));
	for (; off < len; off++) {
		char c = text[off];
		if (c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != '\0') {
			json_object_put(obj);
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s: trailing data after JSON at byte %zu", what,
					       off);
		}
	}
	*ret = obj;
	return 0;
}

char *json_path_key(const char *path, const char *key)
{
	if (str_is_empty(path))
		return xstrdup(key);
	return xasprintf("%s.%s", path, key);
}

char *json_path_index(const char *path, size_t index)
{
	return xasprintf("%s[%zu]", path ? path : "", index);
}

static int lookup(json_object *obj, const char *path, const char *key, bool required,
		  json_object **ret, struct berth_error **err)
{
	json_object *v = NULL;

	if (!key) {
		*ret = obj;
		return obj ? 1 : 0;
	}
	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v) {
		if (required) {
			_cleanup_free_ char *p = json_path_key(path, key);
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s: required field missing", p);
		}
		return 0;
	}
	*ret = v;
	return 1;
}

static int type_error(const char *path, const char *key, const char *want, struct berth_error **err)
{
	_cleanup_free_ char *p = key ? json_path_key(path, key) : xstrdup(path ? path : "");
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected %s", p, want);
}

int json_get_str(json_object *obj, const char *path, const char *key, bool required,
		 const char **ret, struct berth_error **err)
{
	json_object *v;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_string))
		return type_error(path, key, "a string", err);
	*ret = json_object_get_string(v);
	return 1;
}

int json_get_bool(json_object *obj, const char *path, const char *key, bool *ret,
		  struct berth_error **err)
{
	json_object *v;
	int r = lookup(obj, path, key, false, &v, err);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_boolean))
		return type_error(path, key, "a boolean", err);
	*ret = json_object_get_boolean(v);
	return 1;
}

/* json-c stores integers as int64 or uint64; doubles with integral values are accepted. */
static int value_as_int64(json_object *v, int64_t *ret)
{
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) > INT64_MAX)
			return -ERANGE;
		*ret = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (d != (double)(int64_t)d)
			return -EINVAL;
		*ret = (int64_t)d;
		return 0;
	}
	return -EINVAL;
}

int json_value_int64(json_object *v, const char *path, int64_t *ret, struct berth_error **err)
{
	if (value_as_int64(v, ret) < 0)
		return type_error(path, NULL, "an integer", err);
	return 0;
}

int json_get_int64(json_object *obj, const char *path, const char *key, bool required, int64_t *ret,
		   struct berth_error **err)
{
	json_object *v;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (value_as_int64(v, ret) < 0)
		return type_error(path, key, "an integer", err);
	return 1;
}

int json_get_uint64(json_object *obj, const char *path, const char *key, bool required,
		    uint64_t *ret, struct berth_error **err)
{
	json_object *v;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return type_error(path, key, "an unsigned integer", err);
		*ret = json_object_get_uint64(v);
		return 1;
	}
	int64_t i;
	if (value_as_int64(v, &i) < 0 || i < 0)
		return type_error(path, key, "an unsigned integer", err);
	*ret = (uint64_t)i;
	return 1;
}

int json_get_uint32(json_object *obj, const char *path, const char *key, bool required,
		    uint32_t *ret, struct berth_error **err)
{
	uint64_t v = 0;
	int r = json_get_uint64(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (v > UINT32_MAX)
		return type_error(path, key, "an unsigned 32-bit integer", err);
	*ret = (uint32_t)v;
	return 1;
}

int json_get_int32(json_object *obj, const char *path, const char *key, bool required, int32_t *ret,
		   struct berth_error **err)
{
	int64_t v = 0;
	int r = json_get_int64(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (v < INT32_MIN || v > INT32_MAX)
		return type_error(path, key, "a 32-bit integer", err);
	*ret = (int32_t)v;
	return 1;
}

int json_get_object(json_object *obj, const char *path, const char *key, bool required,
		    json_object **ret, struct berth_error **err)
{
	json_object *v;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_object))
		return type_error(path, key, "an object", err);
	*ret = v;
	return 1;
}

int json_get_array(json_object *obj, const char *path, const char *key, bool required,
		   json_object **ret, struct berth_error **err)
{
	json_object *v;
	int r = lookup(obj, path, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_array))
		return type_error(path, key, "an array", err);
	*ret = v;
	return 1;
}

int json_get_strv(json_object *obj, const char *path, const char *key, bool required, char ***ret,
		  struct berth_error **err)
{
	json_object *arr = NULL;
	_cleanup_strv_ char **v = NULL;
	int r = json_get_array(obj, path, key, required, &arr, err);

	if (r <= 0)
		return r;
	_cleanup_free_ char *p = key ? json_path_key(path, key) : xstrdup(path);
	size_t n = json_object_array_length(arr);
	v = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (!e || !json_object_is_type(e, json_type_string)) {
			_cleanup_free_ char *ip = json_path_index(p, i);
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected a string",
					       ip);
		}
		v[i] = xstrdup(json_object_get_string(e));
	}
	strv_free(*ret);
	*ret = TAKE_PTR(v);
	return 1;
}

int json_check_keys(json_object *obj, const char *path, const char *const *allowed,
		    struct berth_error **err)
{
	json_object_object_foreach (obj, key, val) {
		(void)val;
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				ok = true;
		if (!ok) {
			_cleanup_free_ char *p = json_path_key(path, key);
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: unknown field", p);
		}
	}
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_object *json_sorted_copy(json_object *o)
{
	size_t n = (size_t)json_object_object_length(o), i = 0;
	_cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(char *));
	json_object *s = json_object_new_object();

	json_object_object_foreach (o, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(char *), cmp_keys);
	for (i = 0; i < n; i++)
		json_object_object_add(s, keys[i],
				       json_object_get(json_object_object_get(o, keys[i])));
	return s;
}
