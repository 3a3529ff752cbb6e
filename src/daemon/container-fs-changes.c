/* GET /containers/{id}/changes: docker's diff from the overlay upper
 * directory. A whiteout (0/0 character device) is a deletion; an entry
 * that a lower layer has is a change, else an addition; a directory of the
 * lower layers is listed as changed only when something below it is (overlay
 * copies it up for that), as docker's init layer keeps its own mount points
 * out of the list, so do we. */
#define LOG_CATEGORY "fs"
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api.h"
#include "container-fs.h"
#include "image.h"

#define CHANGES_MAX_DEPTH 512

enum { KIND_MODIFIED, KIND_ADDED, KIND_DELETED };

/* What berth (docker's init layer) makes in every container. */
static const char *const init_paths[] = {
	"/.dockerenv", "/dev",	     "/dev/console",  "/dev/pts",
	"/dev/shm",    "/etc/hosts", "/etc/hostname", "/etc/resolv.conf",
	"/etc/mtab",   "/proc",	     "/sys",
};

struct changes_ctx {
	int *lowers; /* top first */
	size_t n_lowers;
	struct change {
		char *path;
		int kind;
	} * v;
	size_t n, cap;
};

static bool is_init_path(const char *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(init_paths); i++)
		if (strcmp(p, init_paths[i]) == 0)
			return true;
	return false;
}

static bool in_lowers(const struct changes_ctx *t, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS };

	for (size_t i = 0; i < t->n_lowers; i++) {
		long fd = syscall(SYS_openat2, t->lowers[i], path + 1, &how, sizeof(how));
		if (fd >= 0) {
			struct stat st;
			bool whiteout =
				fstat((int)fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0;
			(void)close((int)fd);
			return !whiteout;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return true;
	}
	return false;
}

static void insert(struct changes_ctx *t, size_t at, const char *path, int kind)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	memmove(&t->v[at + 1], &t->v[at], (t->n - at) * sizeof(*t->v));
	t->v[at] = (struct change){ xstrdup(path), kind };
	t->n++;
}

static void add(struct changes_ctx *t, const char *path, int kind)
{
	insert(t, t->n, path, kind);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk dir (path in the container): returns whether anything was listed. */
static bool walk(struct changes_ctx *t, int dfd, const char *path, unsigned depth)
{
	_cleanup_closedir_ DIR *dh = NULL;
	_cleanup_strv_ char **names = NULL;
	size_t n = 0;
	bool any = false;

	if (depth > CHANGES_MAX_DEPTH || dir_open_at(dfd, ".", &dh) < 0)
		return false;
	for (struct dirent *de; (de = readdir(dh));)
		if (!dirent_is_dot(de)) {
			strv_push(&names, de->d_name);
			n++;
		}
	if (n)
		qsort(names, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p =
			xasprintf("%s/%s", strcmp(path, "/") ? path : "", names[i]);
		struct stat st;
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
			add(t, p, KIND_DELETED);
			any = true;
			continue;
		}
		bool lower = in_lowers(t, p);
		if (!S_ISDIR(st.st_mode)) {
			if (!is_init_path(p)) {
				add(t, p, lower ? KIND_MODIFIED : KIND_ADDED);
				any = true;
			}
			continue;
		}
		size_t at = t->n;
		if (!lower && !is_init_path(p)) {
			add(t, p, KIND_ADDED);
			any = true;
		}
		_cleanup_close_ int sub =
			openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		bool below = sub >= 0 && walk(t, sub, p, depth + 1);
		if (lower && below)
			insert(t, at, p, KIND_MODIFIED);
		any |= below;
	}
	return any;
}

json_object *container_fs_changes(struct daemon *d, struct container *c)
{
	struct image_rec *img = NULL;
	_cleanup_free_ char *upper = xasprintf("%s/upper", c->dir);
	_cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct changes_ctx t = { 0 };

	if (ufd < 0)
		return NULL;
	if (c->image_id && image_lookup(d, c->image_id, &img, NULL) == 0 && img->n_layers) {
		t.lowers = xcalloc(img->n_layers, sizeof(int));
		for (size_t i = img->n_layers; i-- > 0;) {
			_cleanup_free_ char *p = layer_store_path(d->layers, img->chain_ids[i]);
			int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0)
				t.lowers[t.n_lowers++] = fd;
		}
	}
	(void)walk(&t, ufd, "/", 0);
	for (size_t i = 0; i < t.n_lowers; i++)
		(void)close(t.lowers[i]);
	free(t.lowers);
	json_object *list = t.n ? json_object_new_array() : NULL;
	for (size_t i = 0; i < t.n; i++) {
		json_object *o = json_object_new_object();
		jadd(o, "Path", jstr(t.v[i].path));
		jadd(o, "Kind", json_object_new_int(t.v[i].kind));
		json_object_array_add(list, o);
		free(t.v[i].path);
	}
	free(t.v);
	return list;
}
