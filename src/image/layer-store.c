/* The layer store: <data_root>/layers/<chain id hex>/ holds a layer's
 * unpacked tree (whiteouts as overlay whiteouts), ready to be an overlay lower
 * directory. Trees are unpacked into "tmp-XXXXXX", synced and renamed into
 * place, so a name under layers/ is always a complete layer; removal renames
 * to "tmp-..." first. layer_store_open removes "tmp-*" leftovers. No metadata
 * is kept: the chain id names the tree, and sizes are computed. */
#define LOG_CATEGORY "image"
#include <fcntl.h>
#include <fts.h>
#include <search.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "image-internal.h"

struct layer_store {
	char *root;
	int dirfd;
};

void layer_chain_id(const char *parent_chain, const char *diff_id,
		    char ret[static CHAIN_ID_LEN + 1])
{
	if (!parent_chain || !*parent_chain) {
		(void)snprintf(ret, CHAIN_ID_LEN + 1, "%s", diff_id);
		return;
	}
	_cleanup_free_ char *s = xasprintf("%s %s", parent_chain, diff_id);
	digest_of(s, strlen(s), ret);
}

bool chain_id_is_valid(const char *chain_id)
{
	return digest_is_valid(chain_id);
}

static const char *hex_of(const char *chain_id)
{
	return chain_id + strlen("sha256:");
}

void layer_store_clean_tmp(struct layer_store *ls)
{
	_cleanup_closedir_ DIR *d = NULL;

	if (dir_open_at(ls->dirfd, ".", &d) < 0)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		if (!str_has_prefix(de->d_name, "tmp-"))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", ls->root, de->d_name);
		int r = rm_rf(p);
		if (r < 0)
			log_debug("Removing '%s' failed: %s, ignoring", p, strerror(-r));
	}
}

int layer_store_open(const char *data_root, struct layer_store **ret, struct berth_error **err)
{
	_cleanup_(layer_store_freep) struct layer_store *ls = xzalloc(sizeof(*ls));
	int r;

	ls->dirfd = -EBADF;
	ls->root = xasprintf("%s/layers", data_root);
	if ((r = mkdir_p(ls->root, 0700)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "create '%s'", ls->root);
	ls->dirfd = open(ls->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ls->dirfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", ls->root);
	layer_store_clean_tmp(ls);
	*ret = TAKE_PTR(ls);
	return 0;
}

struct layer_store *layer_store_free(struct layer_store *ls)
{
	if (!ls)
		return NULL;
	if (ls->dirfd >= 0)
		(void)close(ls->dirfd);
	free(ls->root);
	free(ls);
	return NULL;
}

bool layer_store_has(struct layer_store *ls, const char *chain_id)
{
	struct stat st;

	if (!chain_id_is_valid(chain_id))
		return false;
	return fstatat(ls->dirfd, hex_of(chain_id), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

char *layer_store_path(struct layer_store *ls, const char *chain_id)
{
	const char *hex = chain_id_is_valid(chain_id) ? hex_of(chain_id) : "invalid";
	return xasprintf("%s/%s", ls->root, hex);
}

static int diff_id_mismatch(long layer_no, const char *expected, const char *got,
			    struct berth_error **err)
{
	if (layer_no >= 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid diffID for layer %ld: expected %s, got %s",
				       layer_no, expected, got);
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid diffID: expected %s, got %s",
			       expected, got);
}

/* The chain exists: read the stream only to check its diff id. */
static int verify_existing(struct layer_store *ls, const char *chain, int tar_fd,
			   const char *expected, long layer_no, uint64_t *ret_size,
			   struct berth_error **err)
{
	char got[DIGEST_LEN + 1];
	int r = layer_stream_digest(tar_fd, got, NULL, err);

	if (r < 0)
		return r;
	if (strcmp(got, expected) != 0)
		return diff_id_mismatch(layer_no, expected, got, err);
	if (ret_size && layer_store_size(ls, chain, ret_size) < 0)
		*ret_size = 0;
	return 0;
}

/* Unpack into tmp-XXXXXX, check, sync, rename into place. A concurrent apply
 * of the same chain may win the rename: then ours is discarded. */
static int unpack_new(struct layer_store *ls, const char *parent, int tar_fd, const char *expected,
		      long layer_no, char chain[static CHAIN_ID_LEN + 1],
		      struct layer_apply_result *res, struct berth_error **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s/tmp-XXXXXX", ls->root);
	int r;

	if (!mkdtemp(tmp))
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create '%s'", tmp);
	if (chmod(tmp, 0755) < 0) {
		r = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "chmod '%s'", tmp);
		goto remove_tmp;
	}
	if ((r = archive_apply_layer(tar_fd, tmp, NULL, res, err)) < 0)
		goto remove_tmp;
	if (expected && strcmp(res->diff_id, expected) != 0) {
		r = diff_id_mismatch(layer_no, expected, res->diff_id, err);
		goto remove_tmp;
	}
	layer_chain_id(parent, res->diff_id, chain);
	if (syncfs(ls->dirfd) < 0) {
		r = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "sync layer");
		goto remove_tmp;
	}
	/* NOREPLACE: renaming onto an existing empty directory (an empty layer)
	 * would otherwise replace it under a running overlay. */
	r = renameat2(AT_FDCWD, tmp, ls->dirfd, hex_of(chain), RENAME_NOREPLACE);
	if (r < 0 && errno == EINVAL)
		r = renameat(AT_FDCWD, tmp, ls->dirfd, hex_of(chain));
	if (r < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			r = berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					    "rename layer into place");
			goto remove_tmp;
		}
		log_debug("Layer '%s' appeared meanwhile, discarding our copy", chain);
		(void)rm_rf(tmp);
	}
	return 0;
remove_tmp:
	(void)rm_rf(tmp);
	return r;
}

int layer_store_apply_internal(struct layer_store *ls, const char *parent_chain, int tar_fd,
			       const char *expected_diff_id, long layer_no,
			       char ret_chain[static CHAIN_ID_LEN + 1],
			       char ret_diff_id[static DIGEST_LEN + 1], uint64_t *ret_size,
			       struct berth_error **err)
{
	char chain[CHAIN_ID_LEN + 1];
	struct layer_apply_result res = { 0 };
	int r;

	/* With an expected diff id the chain is known without the parent: a
	 * pull unpacks its layers in parallel, in any order. */
	if (parent_chain && !expected_diff_id && !layer_store_has(ls, parent_chain))
		return berth_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND, "parent layer '%s'",
				       parent_chain);
	if (expected_diff_id) {
		if (!digest_is_valid(expected_diff_id))
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid diff id '%s'",
					       expected_diff_id);
		layer_chain_id(parent_chain, expected_diff_id, chain);
		if (layer_store_has(ls, chain)) {
			if ((r = verify_existing(ls, chain, tar_fd, expected_diff_id, layer_no,
						 ret_size, err)) < 0)
				return r;
			memcpy(ret_chain, chain, sizeof(chain));
			(void)snprintf(ret_diff_id, DIGEST_LEN + 1, "%s", expected_diff_id);
			return 0;
		}
	}
	if ((r = unpack_new(ls, parent_chain, tar_fd, expected_diff_id, layer_no, chain, &res,
			    err)) < 0)
		return r;
	memcpy(ret_chain, chain, sizeof(chain));
	(void)snprintf(ret_diff_id, DIGEST_LEN + 1, "%s", res.diff_id);
	if (ret_size)
		*ret_size = res.size;
	return 0;
}

int layer_store_apply(struct layer_store *ls, const char *parent_chain, int tar_fd,
		      const char *expected_diff_id, char ret_chain[static CHAIN_ID_LEN + 1],
		      char ret_diff_id[static DIGEST_LEN + 1], uint64_t *ret_size,
		      struct berth_error **err)
{
	return layer_store_apply_internal(ls, parent_chain, tar_fd, expected_diff_id, -1, ret_chain,
					  ret_diff_id, ret_size, err);
}

int layer_store_remove(struct layer_store *ls, const char *chain_id, struct berth_error **err)
{
	if (!layer_store_has(ls, chain_id))
		return berth_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND, "layer '%s'",
				       chain_id ? chain_id : "");
	/* Out of sight first: a crash while deleting leaves a tmp-* leftover,
	 * never a half-deleted layer under its name. */
	_cleanup_free_ char *tmp = xasprintf("tmp-rm-%.32s-%d", hex_of(chain_id), (int)getpid());
	if (renameat(ls->dirfd, hex_of(chain_id), ls->dirfd, tmp) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "remove layer '%s'",
				       chain_id);
	_cleanup_free_ char *p = xasprintf("%s/%s", ls->root, tmp);
	int r = rm_rf(p);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "remove layer '%s'", chain_id);
	return 0;
}

int layer_store_list(struct layer_store *ls, char ***ret, struct berth_error **err)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	int r = dir_open_at(ls->dirfd, ".", &d);

	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "list '%s'", ls->root);
	for (struct dirent *de; (de = readdir(d));) {
		_cleanup_free_ char *id = xasprintf("sha256:%s", de->d_name);
		if (layer_store_has(ls, id))
			strv_push(&v, id);
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static int cmp_ino(const void *a, const void *b)
{
	const struct stat *x = a, *y = b;
	if (x->st_dev != y->st_dev)
		return x->st_dev < y->st_dev ? -1 : 1;
	return x->st_ino < y->st_ino ? -1 : x->st_ino > y->st_ino;
}

static void free_node(void *p)
{
	free(p);
}

/* Apparent size of everything but directories (regular files and symlinks),
 * hard links counted once: docker's directory.Size for overlay2 layers. */
int layer_store_size(struct layer_store *ls, const char *chain_id, uint64_t *ret)
{
	_cleanup_free_ char *path = NULL;
	char *argv[2] = { NULL, NULL };
	void *seen = NULL;
	uint64_t total = 0;
	FTS *fts;

	if (!layer_store_has(ls, chain_id))
		return -ENOENT;
	path = layer_store_path(ls, chain_id);
	argv[0] = path;
	fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	if (!fts)
		return -errno;
	errno = 0;
	for (FTSENT *e; (e = fts_read(fts)); errno = 0) {
		if (e->fts_info != FTS_F && e->fts_info != FTS_SL && e->fts_info != FTS_SLNONE)
			continue;
		if (e->fts_statp->st_nlink > 1) {
			struct stat *key = xmalloc(sizeof(*key));
			*key = *e->fts_statp;
			void **found = tsearch(key, &seen, cmp_ino);
			if (!found)
				abort();
			if (*found != key) {
				free(key);
				continue;
			}
		}
		total += (uint64_t)e->fts_statp->st_size;
	}
	int r = errno > 0 ? -errno : 0;
	(void)fts_close(fts);
	tdestroy(seen, free_node);
	*ret = total;
	return r;
}
