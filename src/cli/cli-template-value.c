/* Template values: Go's truth and %v printing rules for JSON data. */
#define LOG_CATEGORY "cli-template"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-template-impl-internal.h"

void tmpl_value_clear(struct tmpl_value *v)
{
	if (v->o)
		json_object_put(v->o);
	*v = (struct tmpl_value){ 0 };
}

struct tmpl_value tmpl_value_take(json_object *o)
{
	return (struct tmpl_value){ .valid = true, .o = o };
}

struct tmpl_value tmpl_value_ref(const struct tmpl_value *v)
{
	struct tmpl_value c = *v;

	if (c.o)
		json_object_get(c.o);
	return c;
}

/* Objects whose keys all start with a capital print and test like Go structs. */
static bool is_struct_like(json_object *o)
{
	if (json_object_object_length(o) == 0)
		return false;
	json_object_object_foreach (o, key, val) {
		(void)val;
		if (!isupper((unsigned char)key[0]))
			return false;
	}
	return true;
}

bool tmpl_value_truth(const struct tmpl_value *v)
{
	if (!v->valid || !v->o)
		return false;
	switch (json_object_get_type(v->o)) {
	case json_type_boolean:
		return json_object_get_boolean(v->o);
	case json_type_int:
		return json_object_get_int64(v->o) != 0;
	case json_type_double:
		return json_object_get_double(v->o) != 0;
	case json_type_string:
		return json_object_get_string_len(v->o) > 0;
	case json_type_array:
		return json_object_array_length(v->o) > 0;
	case json_type_object:
		return is_struct_like(v->o) || json_object_object_length(v->o) > 0;
	case json_type_null:
		break;
	}
	return false;
}

const char *tmpl_nil_hint(const char *field)
{
	static const char *const slices[] = {
		"Args",
		"Binds",
		"CapAdd",
		"CapDrop",
		"Capabilities",
		"Cmd",
		"DeviceCgroupRules",
		"DeviceRequests",
		"Devices",
		"Dns",
		"DnsOptions",
		"DnsSearch",
		"Entrypoint",
		"Env",
		"ExtraHosts",
		"GroupAdd",
		"Links",
		"MaskedPaths",
		"Mounts",
		"OnBuild",
		"ReadonlyPaths",
		"RepoDigests",
		"RepoTags",
		"SecurityOpt",
		"Shell",
		"Ulimits",
		"VolumesFrom",
		"Aliases",
		"Layers",
		"BlkioWeightDevice",
		"DNSNames",
		"Warnings",
	};
	static const char *const maps[] = {
		"Annotations",	"ExposedPorts", "Labels",     "Networks", "Options",
		"PortBindings", "Ports",	"StorageOpt", "Sysctls",  "Tmpfs",
		"Volumes",	"DriverOpts",	"Config",
	};

	if (!field)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(slices); i++)
		if (strcmp(field, slices[i]) == 0)
			return "[]";
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++)
		if (strcmp(field, maps[i]) == 0)
			return "map[]";
	return NULL;
}

bool tmpl_optional_field(const char *name, struct tmpl_value *ret)
{
	static const char *const pointers[] = {
		"Health",	   "Healthcheck", "Init",	    "StopTimeout",
		"SizeRw",	   "SizeRootFs",  "Node",	    "BlkioStats",
		"NetworkDisabled", "PidsLimit",	  "OomKillDisable", "MemorySwappiness"
	};
	static const char *const strings[] = { "StopSignal", "MacAddress", "Runtime",
					       "ContainerIDFile", "Domainname" };
	const char *hint = tmpl_nil_hint(name);

	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		if (strcmp(name, strings[i]) == 0) {
			*ret = tmpl_value_take(json_object_new_string(""));
			return true;
		}
	for (size_t i = 0; !hint && i < ARRAY_SIZE(pointers); i++)
		if (strcmp(name, pointers[i]) == 0)
			hint = "<nil>";
	if (!hint)
		return false;
	*ret = tmpl_value_take(NULL);
	ret->nil_hint = hint;
	return true;
}

/* Go's %v of a float64: shortest digits, exponent form below 1e-4 or from 1e21. */
static void print_double(struct cli_buf *b, double d)
{
	char buf[64];
	int prec, exp;

	if (isnan(d)) {
		cli_buf_adds(b, "NaN");
		return;
	}
	if (isinf(d)) {
		cli_buf_adds(b, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
	exp = atoi(strchr(buf, 'e') + 1);
	if (exp < -4 || exp >= 21) {
		char *e = strchr(buf, 'e');
		cli_buf_add(b, buf, (size_t)(e - buf));
		cli_buf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	snprintf(buf, sizeof(buf), "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, d);
	cli_buf_adds(b, buf);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_json(struct cli_buf *b, json_object *o, const char *hint, bool nested)
{
	size_t n, i = 0;

	switch (json_object_get_type(o)) {
	case json_type_null:
		cli_buf_adds(b, hint ? hint : "<nil>");
		break;
	case json_type_boolean:
		cli_buf_adds(b, json_object_get_boolean(o) ? "true" : "false");
		break;
	case json_type_int:
		cli_buf_printf(b, "%lld", (long long)json_object_get_int64(o));
		break;
	case json_type_double:
		print_double(b, json_object_get_double(o));
		break;
	case json_type_string:
		cli_buf_add(b, json_object_get_string(o), (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		n = json_object_array_length(o);
		cli_buf_addc(b, '[');
		for (i = 0; i < n; i++) {
			if (i > 0)
				cli_buf_addc(b, ' ');
			print_json(b, json_object_array_get_idx(o, i), NULL, true);
		}
		cli_buf_addc(b, ']');
		break;
	case json_type_object:
		if (is_struct_like(o)) {
			cli_buf_addc(b, '{');
			json_object_object_foreach (o, key, val) {
				if (i++ > 0)
					cli_buf_addc(b, ' ');
				print_json(b, val, tmpl_nil_hint(key), true);
			}
			cli_buf_addc(b, '}');
			break;
		}
		n = (size_t)json_object_object_length(o);
		_cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(char *));
		json_object_object_foreach (o, k, v) {
			(void)v;
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(char *), cmp_keys);
		cli_buf_adds(b, "map[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				cli_buf_addc(b, ' ');
			cli_buf_printf(b, "%s:", keys[i]);
			print_json(b, json_object_object_get(o, keys[i]), NULL, true);
		}
		cli_buf_addc(b, ']');
		break;
	}
	(void)nested;
}

void tmpl_value_print(struct cli_buf *b, const struct tmpl_value *v)
{
	if (!v->valid) {
		cli_buf_adds(b, "<no value>");
		return;
	}
	print_json(b, v->o, v->nil_hint, false);
}

char *cli_template_print_value(json_object *v)
{
	_cleanup_buf_ struct cli_buf b = { 0 };

	print_json(&b, v, NULL, false);
	return cli_buf_take(&b);
}

const char *tmpl_value_go_type(const struct tmpl_value *v, const char *nil_name)
{
	if (!v->valid || !v->o)
		return nil_name;
	switch (json_object_get_type(v->o)) {
	case json_type_boolean:
		return "bool";
	case json_type_int:
		return "int";
	case json_type_double:
		return "float64";
	case json_type_string:
		return "string";
	case json_type_array:
		return "[]interface {}";
	case json_type_object:
		return "map[string]interface {}";
	case json_type_null:
		break;
	}
	return nil_name;
}
