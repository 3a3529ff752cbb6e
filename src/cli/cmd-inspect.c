/* berth inspect, container inspect, image inspect: the daemon's JSON, as an
 * indented array or through a --format template. */
#define LOG_CATEGORY "cli"
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"

enum kind {
	KIND_ANY,
	KIND_CONTAINER,
	KIND_IMAGE,
	KIND_NETWORK,
	KIND_VOLUME,
	KIND_MAX,
};

struct inspect {
	struct cli_ctx *ctx;
	enum kind kind;
	bool size;
	json_object *found;    /* array */
	struct cli_buf errors; /* printed after the output, like docker */
	int status;
};

static int get(struct inspect *in, const char *fmt, const char *name, bool size, json_object **ret,
	       struct berth_error **err)
{
	_cleanup_free_ char *e = cli_path_escape(name);
	_cleanup_free_ char *path = xasprintf(fmt, e);

	if (size)
		cli_url_add(&path, "size", "1");
	return cli_api_call(&in->ctx->client, "GET", path, NULL, ret, err);
}

/* One name: the first object type that is not a 404, like docker. */
static void inspect_one(struct inspect *in, const char *name)
{
	static const struct {
		enum kind kind;
		const char *fmt;
	} kinds[] = {
		{ KIND_CONTAINER, "/containers/%s/json" },
		{ KIND_IMAGE, "/images/%s/json" },
		{ KIND_NETWORK, "/networks/%s" },
		{ KIND_VOLUME, "/volumes/%s" },
	};
	_cleanup_error_ struct berth_error *last = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		json_object *o = NULL;
		if (in->kind != KIND_ANY && in->kind != kinds[i].kind)
			continue;
		if (get(in, kinds[i].fmt, name, in->size && kinds[i].kind == KIND_CONTAINER, &o,
			&err) >= 0) {
			json_object_array_add(in->found, o);
			return;
		}
		/* docker's isErrSkippable: not found, a type the engine does not
		 * support, or a name that cannot be an image reference */
		bool skippable = err->kind == BERTH_ERR_NOT_FOUND ||
				 strstr(err->msg, "not supported") ||
				 strstr(err->msg, "invalid reference format");
		if (!skippable || in->kind != KIND_ANY) {
			in->status = 1;
			cli_buf_printf(&in->errors, "%s\n", err->msg);
			return;
		}
		berth_error_free(last);
		last = TAKE_PTR(err);
	}
	in->status = 1;
	cli_buf_printf(&in->errors, "Error: No such object: %s\n", name);
}

static int finish(struct inspect *in)
{
	(void)fflush(stdout);
	if (in->errors.len)
		fputs(in->errors.s, stderr);
	cli_buf_done(&in->errors);
	return in->status;
}

static int print_format(struct inspect *in, const char *format)
{
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *out = NULL;
	size_t len = 0;

	if (strcmp(format, "json") == 0) {
		_cleanup_buf_ struct cli_buf b = { 0 };
		cli_buf_add_json(&b, in->found, NULL, true);
		cli_buf_addc(&b, '\n');
		(void)cli_write_stdout(b.s, b.len);
		return finish(in);
	}
	if (cli_template_parse(NULL, format, &t, &err) < 0) {
		fprintf(stderr, "template parsing error: %s\n", err->msg);
		cli_buf_done(&in->errors);
		return 64;
	}
	for (size_t i = 0; i < json_object_array_length(in->found); i++) {
		if (cli_template_execute(t, json_object_array_get_idx(in->found, i), NULL, &out,
					 &len, &err) < 0) {
			/* docker prints what the failed execution wrote, and a newline */
			(void)cli_write_stdout(out ? out : "", len);
			(void)cli_write_stdout("\n", 1);
			fprintf(stderr, "template parsing error: %s\n", err->msg);
			cli_buf_done(&in->errors);
			return 1;
		}
		out = xrealloc(out, len + 2);
		out[len++] = '\n';
		out[len] = '\0';
	}
	(void)cli_write_stdout(out ? out : "", len);
	return finish(in);
}

static int inspect_run(struct cli_ctx *ctx, int argc, char **argv, enum kind fixed,
		       const char *summary, const char *aliases, const char *usage)
{
	const char *format = NULL, *type = NULL;
	bool size = false;
	const struct cli_opt all_opts[] = {
		{ "format", 'f', CLI_OPT_STRING, &format, "string",
		  "Format output using a custom template" },
		{ "size", 's', CLI_OPT_BOOL, &size, NULL,
		  "Display total file sizes if the type is container" },
		{ "type", 0, CLI_OPT_STRING, &type, "string",
		  "Only inspect objects of the given type" },
		{},
	};
	const struct cli_opt image_opts[] = { all_opts[0], {} };
	const struct cli_opt container_opts[] = { all_opts[0], all_opts[1], {} };
	const struct cli_command cmd = { ctx->path, usage, summary, aliases, CLI_ARGS_MIN, 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_json_ json_object *found = json_object_new_array();
	struct inspect in = { .ctx = ctx, .kind = fixed, .found = found };

	if (cli_opts_parse(&cmd,
			   fixed == KIND_ANY	 ? all_opts
			   : fixed == KIND_IMAGE ? image_opts
						 : container_opts,
			   argc, argv, &args))
		return args.exit_status;
	in.size = size;
	if (type && *type) {
		if (strcmp(type, "container") == 0)
			in.kind = KIND_CONTAINER;
		else if (strcmp(type, "image") == 0)
			in.kind = KIND_IMAGE;
		else if (strcmp(type, "network") == 0)
			in.kind = KIND_NETWORK;
		else if (strcmp(type, "volume") == 0)
			in.kind = KIND_VOLUME;
		else if (strstr(" config node plugin secret service task ", type)) {
			fprintf(stderr, "berth: '%s' objects are not supported yet\n", type);
			return 1;
		} else {
			fprintf(stderr,
				"unknown type: \"%s\": must be one of \"config\", \"container\", "
				"\"image\", \"network\", \"node\", \"plugin\", \"secret\", "
				"\"service\", \"task\", \"volume\"\n",
				type);
			return 1;
		}
	}
	for (int i = 0; i < args.n; i++)
		inspect_one(&in, args.v[i]);
	if (format && *format)
		return print_format(&in, format);
	cli_print_json_indent(found);
	return finish(&in);
}

int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
	return inspect_run(ctx, argc, argv, KIND_ANY,
			   "Return low-level information on berth objects", NULL,
			   "[OPTIONS] NAME|ID [NAME|ID...]");
}

int cmd_container_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
	return inspect_run(ctx, argc, argv, KIND_CONTAINER,
			   "Display detailed information on one or more containers", NULL,
			   "[OPTIONS] CONTAINER [CONTAINER...]");
}

int cmd_image_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
	return inspect_run(ctx, argc, argv, KIND_IMAGE,
			   "Display detailed information on one or more images", NULL,
			   "[OPTIONS] IMAGE [IMAGE...]");
}
