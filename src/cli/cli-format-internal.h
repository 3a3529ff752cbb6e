/* berth CLI: output formatting shared by the commands: docker's --format
 * handling ("table", "table TEMPLATE", "json", TEMPLATE), aligned columns
 * like Go's text/tabwriter, and go-units' human sizes and durations. */
#ifndef BERTH_CLI_FORMAT_INTERNAL_H
#define BERTH_CLI_FORMAT_INTERNAL_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cli-buf-internal.h"
#include "cli-template-internal.h"

/* Align tab-separated cells like tabwriter.NewWriter(w, minwidth, 1, padding, ' ', 0). */
char *cli_tabwrite(const char *text, int minwidth, int padding);

/* What a list command formats: rows are context objects (string fields). */
struct cli_format_kind {
	const char *type_name;	       /* Go type for unknown-field errors */
	const char *default_table;     /* "table {{.ID}}\t..." */
	json_object *header;	       /* field -> column title */
	cli_template_method_fn method; /* methods with arguments (.Label "k"), or NULL */
	/* ps: "failed to parse/execute template: " instead of "template parsing error: " */
	bool ps_errors;
	/* Executed once before the rows, output dropped, so that a bad field fails
	 * with no rows too (docker's ps runs the template to see if it uses .Size). */
	json_object *probe;
};

/* Print rows with format (NULL or "" = the default table) to stdout. Errors
 * carry docker's prefix ("template parsing error: ..."). */
int cli_format_write(const char *format, const struct cli_format_kind *kind, json_object *rows,
		     struct berth_error **err);
/* The header method of docker's tables for .Label "a.b-c" ("b c"). */
int cli_format_label_header(const char *name, json_object **ret);

/* go-units: HumanSizeWithPrecision (1000 units: "1.98MB"), BytesSize (1024: "1.5MiB"). */
char *cli_human_size(double size, int precision);
char *cli_bytes_size(double size);
/* go-units HumanDuration: "Less than a second", "About a minute", "3 days". */
char *cli_human_duration(int64_t seconds);
/* "N units ago" since a unix time. */
char *cli_time_ago(int64_t unix_time);
/* Go's time.Time.String() in local time, seconds precision: "2024-01-02 15:04:05 +0000 UTC". */
char *cli_time_string(int64_t unix_time);
/* Parse RFC 3339 ("2024-01-02T15:04:05.123Z"); 0 on success. */
int cli_parse_rfc3339(const char *s, int64_t *ret_sec, int32_t *ret_nsec);

/* TruncateID: drop "sha256:", keep 12 characters. */
char *cli_short_id(const char *id);
/* Shorten to width runes with "…" (docker's Ellipsis). */
char *cli_ellipsis(const char *s, size_t width);
/* Sorted "k=v,k2=v2" of a labels object (NULL: ""). */
char *cli_labels_string(json_object *labels);

/* Write all of buf to stdout (after flushing stdio); negative errno on failure. */
int cli_write_stdout(const void *buf, size_t len);

#endif
