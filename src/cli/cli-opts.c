/* Command-line flags with pflag's syntax and docker's messages. */
#define LOG_CATEGORY "cli-opts"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli-opts-internal.h"

struct parser {
	const struct cli_command *cmd;
	const struct cli_opt *opts;
	bool help;
};

/* "berth ps", or "berth" for the top level. */
static char *cmd_name(const struct cli_command *cmd)
{
	return xasprintf("berth%s%s", cmd->path && *cmd->path ? " " : "",
			 cmd->path ? cmd->path : "");
}

void cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	_cleanup_free_ char *name = cmd_name(cmd);
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\nUsage:  %s%s%s\n\nRun '%s --help' for more information\n", name,
		cmd->usage && *cmd->usage ? " " : "", cmd->usage ? cmd->usage : "", name);
}

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *name, size_t len)
{
	for (const struct cli_opt *o = opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char c)
{
	for (const struct cli_opt *o = opts; o && o->name; o++)
		if (o->shorthand == c)
			return o;
	return NULL;
}

static const struct cli_opt *lookup_long(struct parser *p, const char *name, size_t len)
{
	const struct cli_opt *o = find_long(p->opts, name, len);
	return o ? o : find_long(cli_global_opts, name, len);
}

static const struct cli_opt *lookup_short(struct parser *p, char c)
{
	const struct cli_opt *o = find_short(p->opts, c);
	return o ? o : find_short(cli_global_opts, c);
}

int cli_parse_bool(const char *arg, bool *ret, char **ret_msg)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(arg, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(arg, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	*ret_msg = xasprintf("strconv.ParseBool: parsing \"%s\": invalid syntax", arg);
	return -EINVAL;
}

int cli_parse_int(const char *arg, int64_t *ret, char **ret_msg)
{
	int r = str_to_int64(arg, ret);

	if (r == -ERANGE)
		*ret_msg = xasprintf("strconv.ParseInt: parsing \"%s\": value out of range", arg);
	else if (r < 0)
		*ret_msg = xasprintf("strconv.ParseInt: parsing \"%s\": invalid syntax", arg);
	return r;
}

int cli_bytes_from_string(const char *s, int64_t *ret)
{
	char *end = NULL;
	double v;
	double mult = 1;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	v = strtod(s, &end);
	if (*end == ' ')
		end++;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		mult = 1024.0;
		break;
	case 'm':
		mult = 1024.0 * 1024;
		break;
	case 'g':
		mult = 1024.0 * 1024 * 1024;
		break;
	case 't':
		mult = 1024.0 * 1024 * 1024 * 1024;
		break;
	case 'p':
		mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
		break;
	default:
		break;
	}
	if (mult > 1)
		end++;
	if (tolower((unsigned char)*end) == 'i' && mult > 1)
		end++;
	if (tolower((unsigned char)*end) == 'b')
		end++;
	if (*end)
		return -EINVAL;
	*ret = (int64_t)(v * mult);
	return 0;
}

int cli_parse_bytes(const char *arg, void *target, char **ret_msg)
{
	if (cli_bytes_from_string(arg, target) < 0) {
		*ret_msg = xasprintf("invalid size: '%s'", arg);
		return -EINVAL;
	}
	return 0;
}

int cli_parse_bytes_or_neg(const char *arg, void *target, char **ret_msg)
{
	if (strcmp(arg, "-1") == 0) {
		*(int64_t *)target = -1;
		return 0;
	}
	return cli_parse_bytes(arg, target, ret_msg);
}

int cli_parse_filter(const char *arg, void *target, char **ret_msg)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *name = NULL;
	const char *v;
	size_t nlen;

	if (!eq) {
		*ret_msg = xstrdup("bad format of filter (expected name=value)");
		return -EINVAL;
	}
	while (isspace((unsigned char)*arg))
		arg++;
	nlen = (size_t)(eq - arg);
	while (nlen > 0 && isspace((unsigned char)arg[nlen - 1]))
		nlen--;
	name = xstrndup(arg, nlen);
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	v = eq + 1;
	while (isspace((unsigned char)*v))
		v++;
	_cleanup_free_ char *value = xstrdup(v);
	for (size_t l = strlen(value); l > 0 && isspace((unsigned char)value[l - 1]); l--)
		value[l - 1] = '\0';
	strv_push_take(target, xasprintf("%s=%s", name, value));
	return 0;
}

static char *flag_label(const struct cli_opt *o)
{
	if (o->shorthand)
		return xasprintf("-%c, --%s", o->shorthand, o->name);
	return xasprintf("--%s", o->name);
}

/* Apply a value to a flag; 0, or 1 after printing the error. */
static int set_value(struct parser *p, const struct cli_opt *o, const char *value)
{
	_cleanup_free_ char *msg = NULL;
	int r = 0;

	switch (o->kind) {
	case CLI_OPT_BOOL:
		r = cli_parse_bool(value, o->target, &msg);
		break;
	case CLI_OPT_STRING:
		*(const char **)o->target = value;
		break;
	case CLI_OPT_LIST:
		strv_push(o->target, value);
		break;
	case CLI_OPT_INT:
		r = cli_parse_int(value, o->target, &msg);
		break;
	case CLI_OPT_FUNC:
		r = o->parse(value, o->target, &msg);
		break;
	case CLI_OPT_KIND_MAX:
		break;
	}
	if (r < 0) {
		_cleanup_free_ char *label = flag_label(o);
		cli_usage_error(p->cmd, "invalid argument \"%s\" for \"%s\" flag: %s", value, label,
				msg ? msg : "invalid value");
		return 1;
	}
	if (o->seen)
		*o->seen = true;
	return 0;
}

/* "--name[=value]": returns how many argv entries it used, or -1 after an error. */
static int parse_long(struct parser *p, char **argv, int i, int argc)
{
	const char *name = argv[i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_opt *o = lookup_long(p, name, len);

	if (!o && len == 4 && strncmp(name, "help", 4) == 0) {
		p->help = true;
		return 1;
	}
	if (!o) {
		cli_usage_error(p->cmd, "unknown flag: --%.*s", (int)len, name);
		return -1;
	}
	if (eq)
		return set_value(p, o, eq + 1) ? -1 : 1;
	if (o->kind == CLI_OPT_BOOL)
		return set_value(p, o, "true") ? -1 : 1;
	if (i + 1 >= argc) {
		cli_usage_error(p->cmd, "flag needs an argument: --%s", o->name);
		return -1;
	}
	return set_value(p, o, argv[i + 1]) ? -1 : 2;
}

/* "-abc", "-nvalue", "-n value", "-n=value". */
static int parse_short(struct parser *p, char **argv, int i, int argc)
{
	const char *s = argv[i] + 1;

	for (; *s; s++) {
		const struct cli_opt *o = lookup_short(p, *s);
		if (!o && *s == 'h') {
			p->help = true;
			continue;
		}
		if (!o) {
			cli_usage_error(p->cmd, "unknown shorthand flag: '%c' in -%s", *s,
					argv[i] + 1);
			return -1;
		}
		if (s[1] == '=')
			return set_value(p, o, s + 2) ? -1 : 1;
		if (o->kind == CLI_OPT_BOOL) {
			if (set_value(p, o, "true"))
				return -1;
			continue;
		}
		if (s[1])
			return set_value(p, o, s + 1) ? -1 : 1;
		if (i + 1 >= argc) {
			cli_usage_error(p->cmd, "flag needs an argument: '%c' in -%s", *s,
					argv[i] + 1);
			return -1;
		}
		return set_value(p, o, argv[i + 1]) ? -1 : 2;
	}
	return 1;
}

static int check_count(const struct cli_command *cmd, int n)
{
	const char *see = "Run";
	_cleanup_free_ char *msg = NULL;
	int want = cmd->nargs;

	switch (cmd->args) {
	case CLI_ARGS_NONE:
		if (n > 0)
			msg = xasprintf("accepts no arguments");
		break;
	case CLI_ARGS_EXACT:
		if (n != want)
			msg = xasprintf("requires %d argument%s", want, want == 1 ? "" : "s");
		break;
	case CLI_ARGS_MIN:
		if (n < want) {
			msg = xasprintf("requires at least %d argument%s", want,
					want == 1 ? "" : "s");
			see = "See";
		}
		break;
	case CLI_ARGS_RANGE:
		if (n < want || n > cmd->nargs_max)
			msg = xasprintf("requires at least %d and at most %d arguments", want,
					cmd->nargs_max);
		break;
	case CLI_ARGS_ANY:
	case CLI_ARGS_RULE_MAX:
		break;
	}
	if (!msg)
		return 0;
	_cleanup_free_ char *name = cmd_name(cmd);
	fprintf(stderr, "berth: '%s' %s\n\nUsage:  %s%s%s\n\n%s '%s --help' for more information\n",
		name, msg, name, cmd->usage && *cmd->usage ? " " : "", cmd->usage ? cmd->usage : "",
		see, name);
	return 1;
}

int cli_opts_parse(const struct cli_command *cmd, const struct cli_opt *opts, int argc, char **argv,
		   struct cli_args *args)
{
	struct parser p = { .cmd = cmd, .opts = opts };
	bool only_args = false;

	*args = (struct cli_args){ .v = xcalloc((size_t)argc + 1, sizeof(char *)) };
	for (int i = 1; i < argc;) {
		const char *a = argv[i];
		int used;

		if (only_args || a[0] != '-' || a[1] == '\0') {
			args->v[args->n++] = argv[i++];
			if (cmd->stop_at_arg)
				only_args = true;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = true;
			i++;
			continue;
		}
		used = a[1] == '-' ? parse_long(&p, argv, i, argc) : parse_short(&p, argv, i, argc);
		if (used < 0) {
			args->exit_status = 125;
			return 1;
		}
		i += used;
	}
	if (p.help) {
		if (cmd->help)
			cmd->help();
		else
			cli_opts_help(cmd, opts);
		args->exit_status = 0;
		return 1;
	}
	if (check_count(cmd, args->n)) {
		args->exit_status = 1;
		return 1;
	}
	return 0;
}

void cli_opts_help(const struct cli_command *cmd, const struct cli_opt *opts)
{
	size_t width = strlen("      --help");

	_cleanup_free_ char *name = cmd_name(cmd);

	printf("Usage:  %s%s%s\n\n%s\n", name, cmd->usage && *cmd->usage ? " " : "",
	       cmd->usage ? cmd->usage : "", cmd->summary ? cmd->summary : "");
	if (cmd->aliases)
		printf("\nAliases:\n  %s\n", cmd->aliases);
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		size_t w = 6 + 2 + strlen(o->name) + (o->type ? 1 + strlen(o->type) : 0);
		if (!o->help) /* hidden, like pflag's MarkHidden */
			continue;
		if (w > width)
			width = w;
	}
	printf("\nOptions:\n");
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		_cleanup_free_ char *label = NULL;
		if (!o->help)
			continue;
		if (o->shorthand)
			label = xasprintf("  -%c, --%s%s%s", o->shorthand, o->name,
					  o->type ? " " : "", o->type ? o->type : "");
		else
			label = xasprintf("      --%s%s%s", o->name, o->type ? " " : "",
					  o->type ? o->type : "");
		printf("%-*s   %s\n", (int)width, label, o->help ? o->help : "");
	}
	printf("\n");
}
