/* Offline garbage collection: mark every manifest a repository links and
 * everything those manifests reference (configs, layers, index children),
 * then delete the other blobs of the store and the repositories' links to
 * deleted blobs. Run it while no one pushes (server stopped or read-only):
 * a blob uploaded but not yet referenced by a manifest is not marked. */
#define LOG_CATEGORY "registry"
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server-internal.h"

struct gc {
	struct blob_store *store;
	char *root;
	char **marked;
	size_t n, cap;
	uint64_t max_manifest;
};

static void mark(struct gc *g, const char *digest)
{
	if (g->n + 1 >= g->cap) {
		g->cap = g->cap ? g->cap * 2 : 256;
		g->marked = xrealloc(g->marked, g->cap * sizeof(char *));
	}
	g->marked[g->n++] = xstrdup(digest);
	g->marked[g->n] = NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_marked(struct gc *g, const char *digest)
{
	return g->n && bsearch(&digest, g->marked, g->n, sizeof(char *), cmp_str) != NULL;
}

static void mark_manifest(struct gc *g, const char *digest)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *body = NULL;
	struct reg_manifest m = { 0 };
	size_t len;

	mark(g, digest);
	if (blob_read(g->store, digest, g->max_manifest, &body, &len, &err) < 0 ||
	    reg_manifest_parse(body, len, NULL, &m, &err) < 0)
		return;
	for (size_t i = 0; m.refs && m.refs[i]; i++)
		mark(g, m.refs[i]);
	for (size_t i = 0; m.foreign && m.foreign[i]; i++)
		mark(g, m.foreign[i]);
	reg_manifest_done(&m);
}

static void mark_repo(struct gc *g, const char *name)
{
	_cleanup_free_ char *dir = xasprintf("%s/repositories/%s/_manifests", g->root, name);
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (strlen(de->d_name) != DIGEST_HEX_LEN)
			continue;
		_cleanup_free_ char *digest = xasprintf("sha256:%s", de->d_name);
		if (digest_is_valid(digest))
			mark_manifest(g, digest);
	}
}

/* Remove a repository's links to blobs that are gone. */
static void sweep_links(struct gc *g, const char *name, bool dry)
{
	_cleanup_free_ char *dir = xasprintf("%s/repositories/%s/_blobs", g->root, name);
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *de;

	while (!dry && d && (de = readdir(d))) {
		_cleanup_free_ char *digest = xasprintf("sha256:%s", de->d_name);
		if (digest_is_valid(digest) && !blob_exists(g->store, digest))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
}

int reg_gc_run(const char *root, bool dry_run, struct berth_error **err)
{
	_cleanup_strv_ char **repos = reg_repos_list(root);
	_cleanup_strv_ char **blobs = NULL;
	struct gc g = { .root = (char *)root, .max_manifest = 4u << 20 };
	size_t kept = 0, deleted = 0;
	int r;

	if ((r = blob_store_open(root, &g.store, err)) < 0)
		return r;
	for (size_t i = 0; repos && repos[i]; i++)
		mark_repo(&g, repos[i]);
	if (g.n)
		qsort(g.marked, g.n, sizeof(char *), cmp_str);
	if ((r = blob_list(g.store, &blobs, err)) < 0)
		goto out;
	for (size_t i = 0; blobs && blobs[i]; i++) {
		if (is_marked(&g, blobs[i])) {
			kept++;
			continue;
		}
		printf("%s %s\n", dry_run ? "would delete" : "delete", blobs[i]);
		deleted++;
		if (!dry_run && (r = blob_delete(g.store, blobs[i], err)) < 0)
			goto out;
	}
	for (size_t i = 0; repos && repos[i]; i++)
		sweep_links(&g, repos[i], dry_run);
	printf("%zu blobs kept, %zu %s\n", kept, deleted, dry_run ? "to delete" : "deleted");
	r = 0;
out:
	strv_free(g.marked);
	blob_store_free(g.store);
	return r;
}
