/* Shared pieces of the config.json parser (spec-json*.c). */
#ifndef BERTH_RUNTIME_SPEC_JSON_INTERNAL_H
#define BERTH_RUNTIME_SPEC_JSON_INTERNAL_H

#include <json-c/json.h>

#include "spec-internal.h"

int spec_parse_linux(json_object *obj, struct rt_spec *spec, struct berth_error **err);
int spec_parse_resources(json_object *obj, const char *path, struct rt_resources **ret,
			 struct berth_error **err);
int spec_parse_seccomp(json_object *obj, const char *path, struct rt_seccomp **ret,
		       struct berth_error **err);
int spec_parse_kv_object(json_object *obj, const char *path, struct rt_kv **ret, size_t *ret_n,
			 struct berth_error **err);
int spec_propagation_from_name(const char *name, unsigned long *ret);
const char *spec_hook_kind_name(enum rt_hook_kind kind);
/* Cross-field checks once everything is parsed. */
int spec_validate(const struct rt_spec *spec, struct berth_error **err);
void spec_resources_free(struct rt_resources *r);
void spec_seccomp_free(struct rt_seccomp *s);

#endif
