/* berth push: POST /images/{name}/push?tag= with the registry's credentials. */
#define LOG_CATEGORY "cli"
#include <string.h>

#include "cli-registry-internal.h"
#include "cli-run-internal.h"

int cmd_push(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *platform = NULL;
	bool all = false, quiet = false, untrusted = false;
	const struct cli_opt opts[] = {
		{ "all-tags", 'a', CLI_OPT_BOOL, &all, NULL,
		  "Push all tags of an image to the repository" },
		{ "disable-content-trust", 0, CLI_OPT_BOOL, &untrusted, NULL,
		  "Skip image signing (default true)" },
		{ "platform", 0, CLI_OPT_STRING, &platform, "string",
		  "Push a platform-specific manifest as a single-platform image to the registry" },
		{ "quiet", 'q', CLI_OPT_BOOL, &quiet, NULL, "Suppress verbose output" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] NAME[:TAG]",
					 "Upload an image to a registry",
					 "berth image push, berth push",
					 CLI_ARGS_EXACT,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_ref_done) struct cli_ref ref = { 0 };
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	struct cli_request req = CLI_REQUEST("POST", NULL);

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	const char *name = args.v[0], *last = strrchr(name, '/');
	bool name_only = !strchr(name, '@') && !strchr(last ? last : name, ':');
	if (all && !name_only) {
		fprintf(stderr, "tag can't be used with --all-tags/-a\n");
		return 1;
	}
	if (cli_ref_parse(name, &ref, &err) < 0)
		return cli_fail(err, 1);
	if (ref.digest) {
		fprintf(stderr, "invalid reference format: a digest cannot be pushed\n");
		return 1;
	}
	if (!all && name_only && !quiet)
		printf("Using default tag: %s\n", ref.tag);
	(void)fflush(stdout);
	_cleanup_free_ char *familiar = cli_ref_familiar(&(struct cli_ref){ ref.name, "x", NULL });
	familiar[strlen(familiar) - 2] = '\0'; /* without the ":x" */
	const char *slash = strchr(ref.name, '/');
	_cleanup_free_ char *domain = xstrndup(ref.name, (size_t)(slash - ref.name));
	_cleanup_free_ char *auth = cli_registry_auth_header(domain);
	_cleanup_free_ char *ename = cli_path_escape(familiar);
	_cleanup_free_ char *path = xasprintf("/images/%s/push", ename);
	if (!all)
		cli_url_add(&path, "tag", ref.tag);
	if (platform)
		cli_url_add(&path, "platform", platform);
	req.path = path;
	req.headers = auth;
	if (cli_api_request(&ctx->client, &req, &resp, &err) < 0 ||
	    cli_progress_display(resp, quiet ? NULL : stdout, NULL, NULL, &err) < 0)
		return cli_fail(err, 1);
	if (quiet)
		printf("%s%s%s\n", ref.name, all ? "" : ":", all ? "" : ref.tag);
	return 0;
}
