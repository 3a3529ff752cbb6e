/* reg-tool: a test driver for the registry client (src/registry), without
 * the daemon. One function per command, found through a table:
 *
 *   reg-tool pull --root DIR [--platform P] [--insecure H] [--user U:P]
 *                 [--jobs N] [--quiet] REF
 *       opens DIR's blob and layer stores as berthd opens its data root,
 *       pulls, prints progress lines ("<id>: <status> [cur/total]") and then
 *       "config <digest>", "manifest <digest>", "repo-digest <digest>",
 *       "chain <id>" per layer, "size <bytes>", "fresh yes|no".
 *   reg-tool tags [--insecure H] [--user U:P] REF
 *       one tag a line.
 *
 * Errors: "error: <message>" and "kind: <KIND>" on stderr, exit 1. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

static const char *const kind_names[] = {
	[BERTH_ERR_NOT_FOUND] = "NOT_FOUND",	 [BERTH_ERR_CONFLICT] = "CONFLICT",
	[BERTH_ERR_INVALID] = "INVALID",	 [BERTH_ERR_UNAUTHORIZED] = "UNAUTHORIZED",
	[BERTH_ERR_UNAVAILABLE] = "UNAVAILABLE", [BERTH_ERR_INTERNAL] = "INTERNAL",
};

static int fail(struct berth_error *e, int r)
{
	fprintf(stderr, "error: %s\n", e && e->msg ? e->msg : strerror(-r));
	if (e && e->kind < BERTH_ERR_KIND_MAX)
		fprintf(stderr, "kind: %s\n", kind_names[e->kind]);
	berth_error_free(e);
	return 1;
}

/* Options every command that talks to a registry shares. */
struct common_args {
	struct reg_options opts;
	struct reg_auth auth;
	char **insecure;
	const char *root;
	const char *platform;
	bool quiet;
};

enum { OPT_ROOT = 1000, OPT_PLATFORM, OPT_INSECURE, OPT_USER, OPT_JOBS, OPT_QUIET };

static const struct option common_long[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "insecure", required_argument, NULL, OPT_INSECURE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ NULL, 0, NULL, 0 },
};

/* Parse the shared options; returns optind or -1. */
static int common_parse(int argc, char **argv, struct common_args *a)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", common_long, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			a->root = optarg;
			break;
		case OPT_PLATFORM:
			a->platform = optarg;
			break;
		case OPT_INSECURE:
			strv_push(&a->insecure, optarg);
			break;
		case OPT_USER: {
			const char *colon = strchr(optarg, ':');
			if (!colon)
				return -1;
			a->auth.username = xstrndup(optarg, (size_t)(colon - optarg));
			a->auth.password = xstrdup(colon + 1);
			break;
		}
		case OPT_JOBS:
			a->opts.max_concurrent_downloads = (unsigned)atoi(optarg);
			break;
		case OPT_QUIET:
			a->quiet = true;
			break;
		default:
			return -1;
		}
	}
	a->opts.insecure = a->insecure;
	return optind;
}

static void common_clear(struct common_args *a)
{
	strv_free(a->insecure);
	free(a->auth.username);
	free(a->auth.password);
}

static void print_progress(const char *id, const char *status, uint64_t cur, uint64_t total,
			   void *data)
{
	const struct common_args *a = data;

	if (a->quiet)
		return;
	if (total > 0)
		printf("%s: %s %" PRIu64 "/%" PRIu64 "\n", id, status, cur, total);
	else
		printf("%s: %s\n", id, status);
	fflush(stdout);
}

static int cmd_pull(int argc, char **argv)
{
	struct common_args a = { 0 };
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_(blob_store_freep) struct blob_store *bs = NULL;
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	struct reg_pull_result res = { 0 };
	struct berth_error *e = NULL;
	int r, i = common_parse(argc, argv, &a);

	if (i < 0 || i + 1 != argc || !a.root) {
		fprintf(stderr, "usage: reg-tool pull --root DIR [options] REF\n");
		common_clear(&a);
		return 2;
	}
	if ((r = image_ref_parse(argv[i], &ref, &e)) < 0 ||
	    (r = blob_store_open(a.root, &bs, &e)) < 0 ||
	    (r = layer_store_open(a.root, &ls, &e)) < 0) {
		common_clear(&a);
		return fail(e, r);
	}
	struct reg_pull_request rq = { .ref = ref, .platform = a.platform, .auth = &a.auth };
	r = reg_pull(&a.opts, bs, ls, &rq, print_progress, &a, &res, &e);
	common_clear(&a);
	if (r < 0)
		return fail(e, r);
	printf("config %s\nmanifest %s\nrepo-digest %s\n", res.item.config_digest,
	       res.item.manifest_digest, res.repo_digest);
	for (size_t k = 0; k < res.item.n_layers; k++)
		printf("chain %s\n", res.item.chain_ids[k]);
	printf("size %" PRIu64 "\nfresh %s\n", res.item.size, res.fresh ? "yes" : "no");
	reg_pull_result_clear(&res);
	return 0;
}

static int cmd_tags(int argc, char **argv)
{
	struct common_args a = { 0 };
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_strv_ char **tags = NULL;
	struct berth_error *e = NULL;
	int r, i = common_parse(argc, argv, &a);

	if (i < 0 || i + 1 != argc) {
		fprintf(stderr, "usage: reg-tool tags [options] REF\n");
		common_clear(&a);
		return 2;
	}
	if ((r = image_ref_parse(argv[i], &ref, &e)) < 0 ||
	    (r = reg_list_tags(&a.opts, ref, &a.auth, &tags, &e)) < 0) {
		common_clear(&a);
		return fail(e, r);
	}
	common_clear(&a);
	for (size_t k = 0; tags[k]; k++)
		printf("%s\n", tags[k]);
	return 0;
}

/* The commands. Add a line and a cmd_* function per command. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "pull", cmd_pull },
	{ "tags", cmd_tags },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: reg-tool COMMAND [options] ...\n");
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "reg-tool: unknown command '%s'\n", argv[1]);
	return 2;
}
