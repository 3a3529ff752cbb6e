/* Streaming ingest: a locked temporary file in <root>/blobs/tmp, hashed while
 * written, then verified, fsynced and renamed to its digest (and the
 * directory fsynced), or removed. */
#define LOG_CATEGORY "store"
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "store-internal.h"

struct blob_ingest {
	struct blob_store *store;
	int fd;
	char name[sizeof(INGEST_TMP_PREFIX) + 32];
	char expected[DIGEST_LEN + 1];
	uint64_t max_size;
	uint64_t written;
	struct digester *digester;
	bool failed;
	bool done;
};

static void random_name(char buf[static sizeof(INGEST_TMP_PREFIX) + 32])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		abort();
	char *p = stpcpy(buf, INGEST_TMP_PREFIX);
	for (size_t i = 0; i < sizeof(raw); i++) {
		*p++ = hex[raw[i] >> 4];
		*p++ = hex[raw[i] & 0xf];
	}
	*p = '\0';
}

/* Create and lock a fresh temporary file. Between the create and the lock
 * another opener of the store may take it for abandoned and remove it, so
 * check that the name still leads to our file. */
static int tmp_create(struct blob_store *s, char name[static sizeof(INGEST_TMP_PREFIX) + 32])
{
	for (int attempt = 0; attempt < 16; attempt++) {
		struct stat a, b;

		random_name(name);
		_cleanup_close_ int fd = openat(
			s->tmp_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return -errno;
		}
		if (flock(fd, LOCK_EX) < 0)
			return -errno;
		if (fstat(fd, &a) < 0)
			return -errno;
		if (fstatat(s->tmp_fd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return TAKE_FD(fd);
	}
	return -EEXIST;
}

int blob_ingest_begin(struct blob_store *s, const char *expected, uint64_t max_size,
		      struct blob_ingest **ret, struct berth_error **err)
{
	_cleanup_(blob_ingest_freep) struct blob_ingest *in = NULL;

	if (expected && !digest_is_valid(expected))
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "invalid digest '%s'",
				       expected);
	in = xzalloc(sizeof(*in));
	in->store = s;
	in->max_size = max_size;
	if (expected)
		memcpy(in->expected, expected, DIGEST_LEN + 1);
	in->fd = tmp_create(s, in->name);
	if (in->fd < 0) {
		int r = in->fd;
		in->name[0] = '\0';
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL,
				       "create a temporary file in '%s/blobs/tmp'", s->root);
	}
	in->digester = digester_new();
	*ret = TAKE_PTR(in);
	return 0;
}

static int ingest_check_usable(struct blob_ingest *in, struct berth_error **err)
{
	if (in->done)
		return berth_error_set(err, EALREADY, BERTH_ERR_INTERNAL,
				       "ingest already committed");
	if (in->failed)
		return berth_error_set(err, EIO, BERTH_ERR_INTERNAL, "ingest already failed");
	return 0;
}

int blob_ingest_write(struct blob_ingest *in, const void *data, size_t len,
		      struct berth_error **err)
{
	int r = ingest_check_usable(in, err);

	if (r < 0)
		return r;
	if (len > in->max_size || in->written > in->max_size - len) {
		in->failed = true;
		return berth_error_set(err, EFBIG, BERTH_ERR_INVALID,
				       "blob is larger than its limit of %" PRIu64 " bytes",
				       in->max_size);
	}
	r = fd_write_all(in->fd, data, len);
	if (r < 0) {
		in->failed = true;
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write blob");
	}
	digester_update(in->digester, data, len);
	in->written += len;
	return 0;
}

int blob_ingest_commit(struct blob_ingest *in, char ret[static DIGEST_LEN + 1],
		       struct berth_error **err)
{
	struct blob_store *s = in->store;
	char actual[DIGEST_LEN + 1];
	int r = ingest_check_usable(in, err);

	if (r < 0)
		return r;
	in->failed = true; /* until it has succeeded */
	digester_final(in->digester, actual);
	if (in->expected[0] && strcmp(in->expected, actual) != 0) {
		/* -EBADMSG, without strerror's "Bad message" in the text. */
		(void)berth_error_set(err, 0, BERTH_ERR_INVALID,
				      "digest mismatch: expected '%s', got '%s'", in->expected,
				      actual);
		if (err && *err)
			(*err)->errnum = EBADMSG;
		return -EBADMSG;
	}
	if (fsync(in->fd) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "fsync blob '%s'", actual);
	if (renameat(s->tmp_fd, in->name, s->blobs_fd, digest_hex(actual)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "rename blob '%s'", actual);
	in->done = true;
	in->failed = false;
	if (fsync(s->blobs_fd) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "fsync '%s'", s->blobs_dir);
	memcpy(ret, actual, sizeof(actual));
	return 0;
}

struct blob_ingest *blob_ingest_free(struct blob_ingest *in)
{
	if (!in)
		return NULL;
	if (!in->done && in->name[0])
		(void)unlinkat(in->store->tmp_fd, in->name, 0);
	closep(&in->fd);
	digester_free(in->digester);
	free(in);
	return NULL;
}
