/* The blob store: layout under the root, lookups, verified reads, deletion,
 * listing, and the removal of abandoned temporary files. */
#define LOG_CATEGORY "store"
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "store-internal.h"

static int open_dir(const char *path, int *ret, struct berth_error **err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", path);
	*ret = fd;
	return 0;
}

int blob_store_open(const char *root, struct blob_store **ret, struct berth_error **err)
{
	_cleanup_(blob_store_freep) struct blob_store *s = xzalloc(sizeof(*s));
	_cleanup_free_ char *tmp = xasprintf("%s/blobs/tmp", root);
	int r;

	s->blobs_fd = -EBADF;
	s->tmp_fd = -EBADF;
	s->root = xstrdup(root);
	s->blobs_dir = xasprintf("%s/blobs/sha256", root);
	r = mkdir_p(s->blobs_dir, 0755);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "create '%s'", s->blobs_dir);
	r = mkdir_p(tmp, 0700);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "create '%s'", tmp);
	r = open_dir(s->blobs_dir, &s->blobs_fd, err);
	if (r < 0)
		return r;
	r = open_dir(tmp, &s->tmp_fd, err);
	if (r < 0)
		return r;
	r = blob_store_clean_tmp(s, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

struct blob_store *blob_store_free(struct blob_store *s)
{
	if (!s)
		return NULL;
	closep(&s->blobs_fd);
	closep(&s->tmp_fd);
	free(s->root);
	free(s->blobs_dir);
	free(s);
	return NULL;
}

/* A temporary file nobody holds a lock on is abandoned: its ingest crashed
 * or was never freed. Live ingests keep theirs locked. */
int blob_store_clean_tmp(struct blob_store *s, struct berth_error **err)
{
	_cleanup_closedir_ DIR *d = NULL;
	int r = dir_open_at(s->tmp_fd, ".", &d);

	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "open '%s/blobs/tmp'", s->root);
	for (struct dirent *de; (de = readdir(d));) {
		if (dirent_is_dot(de))
			continue;
		_cleanup_close_ int fd = openat(s->tmp_fd, de->d_name,
						O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			if (errno == ELOOP)
				(void)unlinkat(s->tmp_fd, de->d_name, 0);
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		if (unlinkat(s->tmp_fd, de->d_name, 0) < 0 && errno != ENOENT)
			log_debug("Cannot remove '%s': %m, ignoring", de->d_name);
		else
			log_debug("Removed abandoned temporary file '%s'", de->d_name);
	}
	return 0;
}

static int check_digest(const char *digest, struct berth_error **err)
{
	if (!digest_is_valid(digest))
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "invalid digest '%s'",
				       digest ? digest : "(null)");
	return 0;
}

bool blob_exists(struct blob_store *s, const char *digest)
{
	struct stat st;

	if (!digest_is_valid(digest))
		return false;
	if (fstatat(s->blobs_fd, digest_hex(digest), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return S_ISREG(st.st_mode);
}

char *blob_path(struct blob_store *s, const char *digest)
{
	if (!digest_is_valid(digest))
		return NULL;
	return xasprintf("%s/%s", s->blobs_dir, digest_hex(digest));
}

int blob_size(struct blob_store *s, const char *digest, uint64_t *ret)
{
	struct stat st;

	if (!digest_is_valid(digest))
		return -EINVAL;
	if (fstatat(s->blobs_fd, digest_hex(digest), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	*ret = (uint64_t)st.st_size;
	return 0;
}

int blob_read(struct blob_store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
	      struct berth_error **err)
{
	_cleanup_free_ char *data = NULL;
	char actual[DIGEST_LEN + 1];
	size_t len = 0;
	int r = check_digest(digest, err);

	if (r < 0)
		return r;
	_cleanup_close_ int fd =
		openat(s->blobs_fd, digest_hex(digest), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno,
				       errno == ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_INTERNAL,
				       "blob '%s'", digest);
	r = fd_read_all(fd, max, &data, &len);
	if (r == -EFBIG)
		return berth_error_set(err, EFBIG, BERTH_ERR_INVALID,
				       "blob '%s' is larger than %zu bytes", digest, max);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read blob '%s'", digest);
	digest_of(data, len, actual);
	if (strcmp(actual, digest) != 0)
		return berth_error_set(err, EBADMSG, BERTH_ERR_INTERNAL,
				       "blob '%s' is corrupted (its content has digest '%s')",
				       digest, actual);
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(data);
	return 0;
}

int blob_write(struct blob_store *s, const void *data, size_t len, char ret[static DIGEST_LEN + 1],
	       struct berth_error **err)
{
	_cleanup_(blob_ingest_freep) struct blob_ingest *in = NULL;
	char digest[DIGEST_LEN + 1];
	int r;

	digest_of(data, len, digest);
	if (blob_exists(s, digest)) {
		memcpy(ret, digest, sizeof(digest));
		return 0;
	}
	r = blob_ingest_begin(s, digest, len, &in, err);
	if (r < 0)
		return r;
	r = blob_ingest_write(in, data, len, err);
	if (r < 0)
		return r;
	return blob_ingest_commit(in, ret, err);
}

int blob_delete(struct blob_store *s, const char *digest, struct berth_error **err)
{
	int r = check_digest(digest, err);

	if (r < 0)
		return r;
	if (unlinkat(s->blobs_fd, digest_hex(digest), 0) < 0)
		return berth_error_set(err, errno,
				       errno == ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_INTERNAL,
				       "delete blob '%s'", digest);
	return 0;
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int blob_list(struct blob_store *s, char ***ret, struct berth_error **err)
{
	_cleanup_closedir_ DIR *d = NULL;
	size_t n = 0, cap = 64;
	_cleanup_strv_ char **v = xzalloc(cap * sizeof(char *));
	int r = dir_open_at(s->blobs_fd, ".", &d);

	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "open '%s'", s->blobs_dir);
	for (struct dirent *de; (errno = 0, de = readdir(d));) {
		_cleanup_free_ char *digest = xasprintf(DIGEST_PREFIX "%s", de->d_name);
		if (!digest_is_valid(digest))
			continue;
		if (n + 1 >= cap) {
			cap *= 2;
			v = xrealloc(v, cap * sizeof(char *));
		}
		v[n++] = TAKE_PTR(digest);
		v[n] = NULL;
	}
	if (errno != 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "read '%s'", s->blobs_dir);
	qsort(v, n, sizeof(char *), strcmp_ptr);
	*ret = TAKE_PTR(v);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}
