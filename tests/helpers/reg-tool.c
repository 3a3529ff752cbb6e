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
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json-util.h"
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

/* ---- push, login, load (the push side's commands) ---- */

/* Options of push and login that the shared parser does not know, taken out
 * of argv before it runs: --manifest D, --config D, --layer D (repeated),
 * --mount-from REPO (repeated), --identity-token T, --certs-dir DIR (instead
 * of /etc/docker/certs.d). */
struct push_args {
	const char *manifest, *config, *identity_token, *certs_dir;
	char **layers, **mount_from;
};

static int push_args_take(int *argc, char **argv, struct push_args *p)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < *argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--manifest") && v)
			p->manifest = v;
		else if (!strcmp(o, "--config") && v)
			p->config = v;
		else if (!strcmp(o, "--identity-token") && v)
			p->identity_token = v;
		else if (!strcmp(o, "--certs-dir") && v)
			p->certs_dir = v;
		else if (!strcmp(o, "--layer") && v)
			strv_push(&p->layers, v);
		else if (!strcmp(o, "--mount-from") && v)
			strv_push(&p->mount_from, v);
		else {
			argv[out++] = argv[i];
			continue;
		}
		i++;
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

/* Config and layers of a stored manifest, for --manifest without --config. */
static int push_from_manifest(struct blob_store *bs, struct push_args *p, char **ret_config,
			      struct berth_error **e)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_object *o = NULL;
	json_object *cfg = NULL, *layers = NULL, *v = NULL;
	size_t len = 0;
	int r;

	if ((r = blob_read(bs, p->manifest, 4u << 20, &buf, &len, e)) < 0 ||
	    (r = json_parse_text(buf, len, 32, "manifest", &o, e)) < 0)
		return r;
	if (!json_object_object_get_ex(o, "config", &cfg) ||
	    !json_object_object_get_ex(cfg, "digest", &v) ||
	    !json_object_object_get_ex(o, "layers", &layers))
		return berth_error_set(e, EINVAL, BERTH_ERR_INVALID, "manifest without config");
	*ret_config = xstrdup(json_object_get_string(v));
	if (!p->layers)
		for (size_t i = 0; i < json_object_array_length(layers); i++) {
			json_object *l = json_object_array_get_idx(layers, i), *d = NULL;
			if (json_object_object_get_ex(l, "digest", &d))
				strv_push(&p->layers, json_object_get_string(d));
		}
	return 0;
}

/* reg-tool push --root DIR [--manifest D] [--config D --layer D...]
 *               [--mount-from REPO]... [--jobs N] [options] REF
 * pushes a stored manifest byte for byte, or builds one from --config and
 * --layer; prints progress, then "digest <d>" and "size <n>". */
static int cmd_push(int argc, char **argv)
{
	struct push_args p = { 0 };
	struct common_args a = { 0 };
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_(blob_store_freep) struct blob_store *bs = NULL;
	_cleanup_free_ char *config = NULL;
	char digest[DIGEST_LEN + 1];
	uint64_t size = 0;
	struct berth_error *e = NULL;
	int r, i;

	push_args_take(&argc, argv, &p);
	i = common_parse(argc, argv, &a);
	if (i < 0 || i + 1 != argc || !a.root || (!p.manifest && !p.config)) {
		fprintf(stderr, "usage: reg-tool push --root DIR (--manifest D | --config D "
				"--layer D...) [options] REF\n");
		common_clear(&a);
		return 2;
	}
	a.opts.max_concurrent_uploads = a.opts.max_concurrent_downloads;
	a.opts.certs_dir = p.certs_dir;
	a.auth.identity_token = p.identity_token ? xstrdup(p.identity_token) : NULL;
	if ((r = image_ref_parse(argv[i], &ref, &e)) < 0 ||
	    (r = blob_store_open(a.root, &bs, &e)) < 0 ||
	    (p.manifest && !p.config && (r = push_from_manifest(bs, &p, &config, &e)) < 0))
		goto out;
	struct reg_push_request rq = {
		.ref = ref,
		.config_digest = p.config ? p.config : config,
		.manifest_digest = p.manifest,
		.layer_blobs = p.layers,
		.n_layers = strv_length(p.layers),
		.mount_from = p.mount_from,
		.auth = &a.auth,
	};
	r = reg_push(&a.opts, bs, &rq, print_progress, &a, digest, &size, &e);
	if (r == 0)
		printf("digest %s\nsize %" PRIu64 "\n", digest, size);
out:
	free(a.auth.identity_token);
	common_clear(&a);
	strv_free(p.layers);
	strv_free(p.mount_from);
	return r < 0 ? fail(e, r) : 0;
}

/* reg-tool login [--insecure H] [--user U:P] [--identity-token T] SERVER
 * prints "Login Succeeded" and "identity-token <t>" when one was given. */
static int cmd_login(int argc, char **argv)
{
	struct push_args p = { 0 };
	struct common_args a = { 0 };
	_cleanup_free_ char *token = NULL;
	struct berth_error *e = NULL;
	int r, i;

	push_args_take(&argc, argv, &p);
	i = common_parse(argc, argv, &a);
	if (i < 0 || i + 1 != argc) {
		fprintf(stderr, "usage: reg-tool login [options] SERVER\n");
		common_clear(&a);
		return 2;
	}
	a.auth.identity_token = p.identity_token ? xstrdup(p.identity_token) : NULL;
	a.opts.certs_dir = p.certs_dir;
	r = reg_login(&a.opts, argv[i], &a.auth, &token, &e);
	free(a.auth.identity_token);
	common_clear(&a);
	strv_free(p.layers);
	strv_free(p.mount_from);
	if (r < 0)
		return fail(e, r);
	printf("Login Succeeded\n");
	if (token)
		printf("identity-token %s\n", token);
	return 0;
}

/* reg-tool load --root DIR ARCHIVE: image_load into DIR's stores; prints
 * "config <d>", "manifest <d>" (if the archive has one), "layer <d>" each. */
static int cmd_load(int argc, char **argv)
{
	struct common_args a = { 0 };
	_cleanup_(blob_store_freep) struct blob_store *bs = NULL;
	_cleanup_(layer_store_freep) struct layer_store *ls = NULL;
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *tmp = NULL;
	struct berth_error *e = NULL;
	int r = 0, i = common_parse(argc, argv, &a);

	if (i < 0 || i + 1 != argc || !a.root) {
		fprintf(stderr, "usage: reg-tool load --root DIR ARCHIVE\n");
		common_clear(&a);
		return 2;
	}
	tmp = xasprintf("%s/load-tmp.XXXXXX", a.root);
	fd = open(argv[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (r = blob_store_open(a.root, &bs, &e)) < 0 ||
	    (r = layer_store_open(a.root, &ls, &e)) < 0 || !mkdtemp(tmp)) {
		common_clear(&a);
		return fail(e, e ? r : -errno);
	}
	r = image_load(bs, ls, fd, tmp, NULL, NULL, &res, &e);
	(void)rm_rf(tmp);
	common_clear(&a);
	if (r < 0)
		return fail(e, r);
	for (size_t k = 0; k < res->n_items; k++) {
		const struct image_archive_item *it = &res->items[k];
		printf("config %s\n", it->config_digest);
		if (it->manifest_digest[0])
			printf("manifest %s\n", it->manifest_digest);
		for (size_t l = 0; l < it->n_layers; l++)
			printf("layer %s\n", it->layer_blobs[l]);
	}
	return 0;
}

/* The commands. Add a line and a cmd_* function per command. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "pull", cmd_pull },	{ "tags", cmd_tags }, { "push", cmd_push },
	{ "login", cmd_login }, { "load", cmd_load },
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
