/* Layer blobs read as their uncompressed tar stream (gzip, zstd or plain),
 * with libarchive's "raw" format: for diff ids of layers that need no
 * unpacking and for writing compressed layer blobs uncompressed (save). */
#define LOG_CATEGORY "image"
#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <unistd.h>

#include "image-internal.h"

DEFINE_CLEANUP(struct archive, archive_read_free)

struct layer_stream {
	struct archive *a;
	bool eof;
};

int layer_compression_of_fd(int fd, enum layer_compression *ret)
{
	unsigned char m[4] = { 0 };
	ssize_t n = pread(fd, m, sizeof(m), 0);

	if (n < 0)
		return -errno;
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		*ret = LAYER_COMPRESSION_GZIP;
	else if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		*ret = LAYER_COMPRESSION_ZSTD;
	else
		*ret = LAYER_COMPRESSION_NONE;
	return 0;
}

const char *layer_compression_media_type(enum layer_compression c)
{
	switch (c) {
	case LAYER_COMPRESSION_GZIP:
		return MEDIA_OCI_LAYER_GZIP;
	case LAYER_COMPRESSION_ZSTD:
		return MEDIA_OCI_LAYER_ZSTD;
	case LAYER_COMPRESSION_NONE:
	case LAYER_COMPRESSION_MAX:
		break;
	}
	return MEDIA_OCI_LAYER;
}

int layer_stream_open(int fd, struct layer_stream **ret, struct berth_error **err)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();
	struct archive_entry *entry = NULL;
	struct layer_stream *s;

	if (!a)
		abort();
	(void)archive_read_support_filter_all(a);
	(void)archive_read_support_format_raw(a);
	(void)archive_read_support_format_empty(a);
	if (archive_read_open_fd(a, fd, 128 * 1024) != ARCHIVE_OK)
		return berth_error_set(err, archive_errno(a) > 0 ? archive_errno(a) : 0,
				       BERTH_ERR_INVALID, "read layer: %s",
				       archive_error_string(a) ? archive_error_string(a) : "?");
	int r = archive_read_next_header(a, &entry);
	if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "read layer: %s",
				       archive_error_string(a) ? archive_error_string(a) : "?");
	s = xzalloc(sizeof(*s));
	s->a = TAKE_PTR(a);
	s->eof = r == ARCHIVE_EOF;
	*ret = s;
	return 0;
}

ssize_t layer_stream_read(struct layer_stream *s, void *buf, size_t len, struct berth_error **err)
{
	if (s->eof)
		return 0;
	la_ssize_t n = archive_read_data(s->a, buf, len);
	if (n < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "read layer: %s",
				       archive_error_string(s->a) ? archive_error_string(s->a)
								  : "?");
	if (n == 0)
		s->eof = true;
	return n;
}

struct layer_stream *layer_stream_free(struct layer_stream *s)
{
	if (!s)
		return NULL;
	archive_read_free(s->a);
	free(s);
	return NULL;
}

int layer_stream_digest(int fd, char ret_digest[static DIGEST_LEN + 1], uint64_t *ret_size,
			struct berth_error **err)
{
	_cleanup_(layer_stream_freep) struct layer_stream *s = NULL;
	_cleanup_(digester_freep) struct digester *d = digester_new();
	_cleanup_free_ char *buf = xmalloc(128 * 1024);
	uint64_t total = 0;
	int r;

	if ((r = layer_stream_open(fd, &s, err)) < 0)
		return r;
	for (;;) {
		ssize_t n = layer_stream_read(s, buf, 128 * 1024, err);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		digester_update(d, buf, (size_t)n);
		total += (uint64_t)n;
	}
	digester_final(d, ret_digest);
	if (ret_size)
		*ret_size = total;
	return 0;
}
