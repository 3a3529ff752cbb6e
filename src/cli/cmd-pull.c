/* berth pull: POST /images/create?fromImage=&tag= with the registry's
 * credentials, the progress shown as docker shows it. */
#define LOG_CATEGORY "cli"
#include <string.h>

#include "cli-registry-internal.h"
#include "cli-run-internal.h"

/* The domain of a normalized name ("docker.io/library/busybox" -> docker.io). */
static char *domain_of(const char *name)
{
	const char *slash = strchr(name, '/');
	return slash ? xstrndup(name, (size_t)(slash - name)) : xstrdup("docker.io");
}

int cli_image_pull_all(struct cli_ctx *ctx, const char *image, const char *platform, bool all,
		       FILE *out, struct berth_error **err)
{
	_cleanup_(cli_http_response_freep) struct cli_http_response *resp = NULL;
	_cleanup_(cli_ref_done) struct cli_ref ref = { 0 };
	_cleanup_free_ char *path = xstrdup("/images/create");
	struct cli_request req = CLI_REQUEST("POST", NULL);
	int r;

	if ((r = cli_ref_parse(image, &ref, err)) < 0)
		return r;
	_cleanup_free_ char *domain = domain_of(ref.name);
	_cleanup_free_ char *auth = cli_registry_auth_header(domain);
	cli_url_add(&path, "fromImage", ref.name);
	if (!all)
		cli_url_add(&path, "tag", ref.digest ? ref.digest : ref.tag);
	if (platform)
		cli_url_add(&path, "platform", platform);
	req.path = path;
	req.headers = auth;
	if ((r = cli_api_request(&ctx->client, &req, &resp, err)) < 0)
		return r;
	return cli_progress_display(resp, out, NULL, NULL, err);
}

int cli_image_pull(struct cli_ctx *ctx, const char *image, const char *platform, FILE *out,
		   struct berth_error **err)
{
	return cli_image_pull_all(ctx, image, platform, false, out, err);
}

/* Whether s names a repository only (no tag or digest after its last '/'). */
static bool is_name_only(const char *s)
{
	const char *last = strrchr(s, '/');
	return !strchr(s, '@') && !strchr(last ? last : s, ':');
}

int cmd_pull(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *platform = NULL;
	bool all = false, quiet = false, untrusted = false;
	const struct cli_opt opts[] = {
		{ "all-tags", 'a', CLI_OPT_BOOL, &all, NULL,
		  "Download all tagged images in the repository" },
		{ "disable-content-trust", 0, CLI_OPT_BOOL, &untrusted, NULL,
		  "Skip image verification (default true)" },
		{ "platform", 0, CLI_OPT_STRING, &platform, "string",
		  "Set platform if server is multi-platform capable" },
		{ "quiet", 'q', CLI_OPT_BOOL, &quiet, NULL, "Suppress verbose output" },
		{},
	};
	const struct cli_command cmd = { ctx->path,
					 "[OPTIONS] NAME[:TAG|@DIGEST]",
					 "Download an image from a registry",
					 "berth image pull, berth pull",
					 CLI_ARGS_EXACT,
					 1 };
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cli_ref_done) struct cli_ref ref = { 0 };

	if (cli_opts_parse(&cmd, opts, argc, argv, &args))
		return args.exit_status;
	const char *name = args.v[0];
	if (all && !is_name_only(name)) {
		fprintf(stderr, "tag can't be used with --all-tags/-a\n");
		return 1;
	}
	if (cli_ref_parse(name, &ref, &err) < 0)
		return cli_fail(err, 1);
	if (!all && is_name_only(name) && !quiet)
		printf("Using default tag: %s\n", ref.tag);
	(void)fflush(stdout);
	if (cli_image_pull_all(ctx, name, platform, all, quiet ? NULL : stdout, &err) < 0)
		return cli_fail(err, 1);
	/* the full reference, as docker prints it */
	if (all)
		printf("%s\n", ref.name);
	else if (ref.digest)
		printf("%s@%s\n", ref.name, ref.digest);
	else
		printf("%s:%s\n", ref.name, ref.tag);
	return 0;
}
