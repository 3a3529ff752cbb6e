/* Offline garbage collection: mark every manifest a repository links and
 * everything those manifests reference (configs, layers, index children),
 * then delete the other blobs of the store, the repositories' links to
 * deleted blobs and upload sessions abandoned for a day. Run it while no one
 * pushes (server stopped or read-only): a blob uploaded but not yet
 * referenced by a manifest is not marked. */
#define LOG_CATEGORY "registry"
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "server-internal.h"

#define UPLOAD_MAX_AGE (24 * 3600) /* sessions untouched this long are abandoned */

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

/* Remove upload sessions whose data was not written for a day. */
static void purge_uploads(const char *root, bool dry)
{
	_cleanup_free_ char *dir = xasprintf("%s/uploads", root);
	_cleanup_(closedirp) DIR *d = opendir(dir);
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *data = xasprintf("%s/%s/data", dir, de->d_name);
		_cleanup_free_ char *up = xasprintf("%s/%s", dir, de->d_name);
		if (stat(data, &st) == 0 && now - st.st_mtime < UPLOAD_MAX_AGE)
			continue;
		printf("%s upload %s\n", dry ? "would delete" : "delete", de->d_name);
		if (!dry)
			(void)rm_rf(up);
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
	purge_uploads(root, dry_run);
	printf("%zu blobs kept, %zu %s\n", kept, deleted, dry_run ? "to delete" : "deleted");
	r = 0;
out:
	strv_free(g.marked);
	blob_store_free(g.store);
	return r;
}
