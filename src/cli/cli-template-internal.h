/* berth CLI: the subset of Go's text/template that docker's --format uses.
 *
 * Data is JSON (json-c): inspect output as the daemon sent it, and for ps,
 * images and the like an object of precomputed strings (the "context"), whose
 * methods with arguments ({{.Label "k"}}) go to env->method. Supported: text,
 * {{- -}} trimming, comments, fields and chains (.A.B, $x.A, (pipe).A),
 * variables ($, $x :=, $x =), pipelines, parentheses, string/raw/char/number/
 * bool/nil literals, if/else if/else, range (arrays, objects in key order,
 * $i, $v :=; break, continue), with/else, and the functions and, or, not,
 * len, index, slice, eq, ne, lt, le, gt, ge, print, printf, println, html,
 * js, urlquery, json, join, split, lower, upper, title, pad, truncate.
 *
 * Errors read like Go's ("template: :1:2: executing \"\" at <.Nope>: ...");
 * callers add docker's prefix. A template is immutable once parsed.
 */
#ifndef BERTH_CLI_TEMPLATE_INTERNAL_H
#define BERTH_CLI_TEMPLATE_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>

#include "common.h"

#define CLI_TEMPLATE_MAX_DEPTH	64
#define CLI_TEMPLATE_MAX_RANGE	1000000
#define CLI_TEMPLATE_MAX_OUTPUT (256u * 1024 * 1024)

struct cli_template;

/* A method call on a context object: return 1 with *ret set (a new
 * reference, NULL for JSON null) when name is a method, 0 when it is not,
 * negative with *err set on failure. */
typedef int (*cli_template_method_fn)(void *data, json_object *dot, const char *name,
				      json_object *const *args, size_t nargs, json_object **ret,
				      struct berth_error **err);

struct cli_template_env {
	/* Go type of the root context for unknown fields ("*formatter.ContainerContext");
	 * NULL: the data is a map, missing keys follow text/template's map rules. */
	const char *type_name;
	cli_template_method_fn method;
	void *method_data;
	/* Header mode of docker's tables: json, join, lower... return their argument. */
	bool header;
};

/* Parse text; error positions count from 0 at text[0]. name appears in
 * errors ("template: NAME:1:2: executing \"NAME\" ..."), NULL for "". */
int cli_template_parse(const char *name, const char *text, struct cli_template **ret,
		       struct berth_error **err);
/* The same for text that followed col_base bytes of the user's string on
 * its first line ("table " of docker's formats): columns in errors count them. */
int cli_template_parse_at(const char *name, const char *text, size_t col_base,
			  struct cli_template **ret, struct berth_error **err);
struct cli_template *cli_template_free(struct cli_template *t);
DEFINE_CLEANUP(struct cli_template, cli_template_free)

/* Execute with dot as data; the output is appended to *out (a malloc'd
 * string, *out may be NULL) and *out_len. */
int cli_template_execute(const struct cli_template *t, json_object *dot,
			 const struct cli_template_env *env, char **out, size_t *out_len,
			 struct berth_error **err);

/* Go's fmt %v of a JSON value (strings bare, [a b], map[k:v], {v1 v2}). */
char *cli_template_print_value(json_object *v);

#endif
