/* Output formatting: docker's --format modes, tabwriter columns, human sizes,
 * durations and times. */
#define LOG_CATEGORY "cli-format"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli-format-internal.h"

/* ---- tabwriter ---- */

struct tw_line {
	char **cells;
	size_t *widths;
	size_t n;
};

struct tabwriter {
	struct tw_line *lines;
	size_t n_lines;
	size_t *col_widths; /* stack of widths of the enclosing column blocks */
	size_t depth;
	int minwidth, padding;
	struct cli_buf out;
};

static size_t rune_count(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void tw_write_lines(struct tabwriter *tw, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		struct tw_line *l = &tw->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			cli_buf_adds(&tw->out, l->cells[j]);
			if (j < tw->depth)
				for (size_t k = l->widths[j]; k < tw->col_widths[j]; k++)
					cli_buf_addc(&tw->out, ' ');
		}
		if (i + 1 < tw->n_lines)
			cli_buf_addc(&tw->out, '\n');
	}
}

/* Go's tabwriter.format: column blocks of consecutive lines with a cell in this column. */
static void tw_format(struct tabwriter *tw, size_t line0, size_t line1)
{
	size_t column = tw->depth;

	for (size_t this = line0; this < line1; this ++) {
		if (column + 1 >= tw->lines[this].n)
			continue;
		tw_write_lines(tw, line0, this);
		line0 = this;
		size_t width = (size_t)tw->minwidth;
		for (; this < line1; this ++) {
			struct tw_line *l = &tw->lines[this];
			if (column + 1 >= l->n)
				break;
			if (l->widths[column] + (size_t)tw->padding > width)
				width = l->widths[column] + (size_t)tw->padding;
		}
		tw->col_widths[tw->depth++] = width;
		tw_format(tw, line0, this);
		tw->depth--;
		line0 = this;
	}
	tw_write_lines(tw, line0, line1);
}

char *cli_tabwrite(const char *text, int minwidth, int padding)
{
	struct tabwriter tw = { .minwidth = minwidth, .padding = padding };
	_cleanup_free_ char *copy = xstrdup(text);
	size_t max_cells = 1;
	char *save = NULL;

	/* Lines are separated by '\n'; a trailing newline ends the last line. */
	for (char *p = copy;;) {
		char *nl = strchr(p, '\n');
		if (!nl && !*p)
			break;
		if (nl)
			*nl = '\0';
		tw.lines = xrealloc(tw.lines, (tw.n_lines + 1) * sizeof(*tw.lines));
		struct tw_line *l = &tw.lines[tw.n_lines++];
		*l = (struct tw_line){ 0 };
		for (char *c = p;; c = save + 1) {
			save = strchr(c, '\t');
			if (save)
				*save = '\0';
			l->cells = xrealloc(l->cells, (l->n + 1) * sizeof(char *));
			l->widths = xrealloc(l->widths, (l->n + 1) * sizeof(size_t));
			l->cells[l->n] = c;
			l->widths[l->n++] = rune_count(c);
			if (!save)
				break;
		}
		if (l->n > max_cells)
			max_cells = l->n;
		if (!nl)
			break;
		p = nl + 1;
	}
	tw.col_widths = xcalloc(max_cells + 1, sizeof(size_t));
	tw_format(&tw, 0, tw.n_lines);
	if (tw.n_lines > 0 && text[strlen(text) - 1] == '\n')
		cli_buf_addc(&tw.out, '\n');
	for (size_t i = 0; i < tw.n_lines; i++) {
		free(tw.lines[i].cells);
		free(tw.lines[i].widths);
	}
	free(tw.lines);
	free(tw.col_widths);
	return cli_buf_take(&tw.out);
}

/* ---- --format ---- */

struct method_data {
	const struct cli_format_kind *kind;
	bool header;
};

static int format_method(void *data, json_object *dot, const char *name, json_object *const *args,
			 size_t nargs, json_object **ret, struct berth_error **err)
{
	struct method_data *md = data;

	if (md->header && strcmp(name, "Label") == 0 && nargs == 1)
		return cli_format_label_header(json_object_get_string(args[0]), ret);
	if (!md->kind->method)
		return 0;
	return md->kind->method(NULL, dot, name, args, nargs, ret, err);
}

int cli_format_label_header(const char *name, json_object **ret)
{
	const char *dot = strrchr(name, '.');
	_cleanup_free_ char *h = xstrdup(dot ? dot + 1 : name);

	for (char *p = h; *p; p++)
		if (*p == '-' || *p == '_')
			*p = ' ';
	*ret = json_object_new_string(h);
	return 1;
}

/* docker's preFormat: the mode, then "\t" and "\n" escapes become real ones. */
static char *final_format(const char *format, bool *ret_table, size_t *ret_skipped)
{
	const char *start = format && *format ? format : "table";
	const char *f = format && *format ? format : "table";
	_cleanup_buf_ struct cli_buf b = { 0 };
	size_t len;

	*ret_table = str_has_prefix(f, "table");
	if (*ret_table)
		f += strlen("table");
	else if (strcmp(f, "json") == 0)
		f = "{{json .}}";
	while (*f == ' ')
		f++;
	if (ret_skipped)
		*ret_skipped = f >= start && f <= start + strlen(start) ? (size_t)(f - start) : 0;
	len = strlen(f);
	while (len > 0 && f[len - 1] == ' ')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (f[i] == '\\' && i + 1 < len && (f[i + 1] == 't' || f[i + 1] == 'n')) {
			cli_buf_addc(&b, f[i + 1] == 't' ? '\t' : '\n');
			i++;
		} else {
			cli_buf_addc(&b, f[i]);
		}
	}
	return cli_buf_take(&b);
}

int cli_format_write(const char *format, const struct cli_format_kind *kind, json_object *rows,
		     struct berth_error **err)
{
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	_cleanup_free_ char *text = NULL, *out = NULL;
	struct method_data md = { .kind = kind };
	struct cli_template_env env = { .type_name = kind->type_name,
					.method = format_method,
					.method_data = &md };
	const char *exec_prefix =
		kind->ps_errors ? "failed to execute template" : "template parsing error";
	size_t out_len = 0, skipped = 0;
	bool table;
	int r;

	text = final_format(format, &table, &skipped);
	if (table && !*text) {
		free(text);
		text = final_format(kind->default_table, &table, NULL);
		skipped = 0;
	}
	r = cli_template_parse_at(NULL, text, skipped, &t, err);
	if (r < 0)
		return berth_error_wrap(err, "%s",
					kind->ps_errors ? "failed to parse template"
							: "template parsing error");
	if (kind->probe) {
		_cleanup_free_ char *probe = NULL;
		size_t probe_len = 0;
		r = cli_template_execute(t, kind->probe, &env, &probe, &probe_len, err);
		if (r < 0)
			return berth_error_wrap(err, "%s", exec_prefix);
	}
	if (table && kind->header) {
		md.header = env.header = true;
		r = cli_template_execute(t, kind->header, &env, &out, &out_len, err);
		if (r < 0)
			return berth_error_wrap(err, "%s", exec_prefix);
		md.header = env.header = false;
		out = xrealloc(out, out_len + 2);
		out[out_len++] = '\n';
		out[out_len] = '\0';
	}
	for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
		r = cli_template_execute(t, json_object_array_get_idx(rows, i), &env, &out,
					 &out_len, err);
		if (r < 0)
			return berth_error_wrap(err, "%s", exec_prefix);
		out = xrealloc(out, out_len + 2);
		out[out_len++] = '\n';
		out[out_len] = '\0';
	}
	if (!out)
		return 0;
	if (table) {
		_cleanup_free_ char *aligned = cli_tabwrite(out, 10, 3);
		return cli_write_stdout(aligned, strlen(aligned));
	}
	return cli_write_stdout(out, out_len);
}

int cli_write_stdout(const void *buf, size_t len)
{
	(void)fflush(stdout);
	return fd_write_all(STDOUT_FILENO, buf, len);
}

/* ---- units ---- */

char *cli_human_size(double size, int precision)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
	size_t i = 0;

	while (size >= 1000.0 && i + 1 < ARRAY_SIZE(units)) {
		size /= 1000.0;
		i++;
	}
	return xasprintf("%.*g%s", precision, size, units[i]);
}

char *cli_bytes_size(double size)
{
	static const char *const units[] = { "B",   "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB", "ZiB", "YiB" };
	size_t i = 0;

	while (size >= 1024.0 && i + 1 < ARRAY_SIZE(units)) {
		size /= 1024.0;
		i++;
	}
	return xasprintf("%.4g%s", size, units[i]);
}

char *cli_human_duration(int64_t seconds)
{
	int64_t minutes = seconds / 60;
	int64_t hours = (int64_t)llround((double)seconds / 3600.0);

	if (seconds < 1)
		return xstrdup("Less than a second");
	if (seconds == 1)
		return xstrdup("1 second");
	if (seconds < 60)
		return xasprintf("%lld seconds", (long long)seconds);
	if (minutes == 1)
		return xstrdup("About a minute");
	if (minutes < 60)
		return xasprintf("%lld minutes", (long long)minutes);
	if (hours == 1)
		return xstrdup("About an hour");
	if (hours < 48)
		return xasprintf("%lld hours", (long long)hours);
	if (hours < 24 * 7 * 2)
		return xasprintf("%lld days", (long long)(hours / 24));
	if (hours < 24 * 30 * 2)
		return xasprintf("%lld weeks", (long long)(hours / 24 / 7));
	if (hours < 24 * 365 * 2)
		return xasprintf("%lld months", (long long)(hours / 24 / 30));
	return xasprintf("%lld years", (long long)(seconds / 3600 / 24 / 365));
}

char *cli_time_ago(int64_t unix_time)
{
	_cleanup_free_ char *d = cli_human_duration((int64_t)time(NULL) - unix_time);
	return xasprintf("%s ago", d);
}

char *cli_time_string(int64_t unix_time)
{
	time_t t = (time_t)unix_time;
	struct tm tm;
	char buf[128];

	if (!localtime_r(&t, &tm) ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm) == 0)
		return xstrdup("");
	return xstrdup(buf);
}

int cli_parse_rfc3339(const char *s, int64_t *ret_sec, int32_t *ret_nsec)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	int32_t nsec = 0;
	long off = 0;

	if (!p)
		return -EINVAL;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 9)
				nsec = nsec * 10 + (*p - '0');
		for (; digits < 9; digits++)
			nsec *= 10;
	}
	if (*p == '+' || *p == '-') {
		int h = 0, m = 0;
		if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2)
			return -EINVAL;
		off = (h * 3600L + m * 60L) * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z') {
		return -EINVAL;
	}
	*ret_sec = (int64_t)timegm(&tm) - off;
	if (ret_nsec)
		*ret_nsec = nsec;
	return 0;
}

char *cli_short_id(const char *id)
{
	const char *c = strchr(id, ':');

	if (c)
		id = c + 1;
	return xstrndup(id, 12);
}

char *cli_ellipsis(const char *s, size_t width)
{
	size_t n = 0;
	const char *p = s;

	if (rune_count(s) <= width)
		return xstrdup(s);
	for (; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && n++ == width - 1)
			break;
	}
	return xasprintf("%.*s…", (int)(p - s), s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *cli_labels_string(json_object *labels)
{
	_cleanup_buf_ struct cli_buf b = { 0 };
	size_t n = labels ? (size_t)json_object_object_length(labels) : 0, i = 0;
	_cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(char *));

	if (n == 0)
		return xstrdup("");
	json_object_object_foreach (labels, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(char *), cmp_str);
	for (i = 0; i < n; i++)
		cli_buf_printf(&b, "%s%s=%s", i ? "," : "", keys[i],
			       json_object_get_string(json_object_object_get(labels, keys[i])));
	return cli_buf_take(&b);
}
