/* The input of tar readers: the raw stream from a descriptor, gzip (zlib) or
 * zstd (libzstd) decompressed here by magic bytes, then counted, bounded and
 * hashed (SHA-256 of the uncompressed tar: the layer's diff id) before
 * libarchive parses it from our 1 MiB buffers in one pass. */
#define LOG_CATEGORY "archive"
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "archive-internal.h"

enum input_codec { INPUT_PLAIN, INPUT_GZIP, INPUT_ZSTD, INPUT_CODEC_MAX };

struct archive_input {
	int fd;
	enum input_codec codec;
	uint8_t *in_buf;
	size_t in_len;
	size_t in_pos;
	bool in_eof;
	uint8_t *out_buf;
	bool out_full; /* the decoder may hold more output without more input */
	z_stream z;
	bool z_ready;
	bool z_member_end;
	ZSTD_DStream *zs;
	size_t zs_hint;
	EVP_MD_CTX *md;
	uint64_t total;
	uint64_t max_total;
	bool eof;
	int error;
	char *error_msg;
};

static ssize_t input_fail(struct archive_input *in, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static ssize_t input_fail(struct archive_input *in, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!in->error) {
		in->error = errnum;
		va_start(ap, fmt);
		if (vasprintf(&in->error_msg, fmt, ap) < 0)
			abort();
		va_end(ap);
	}
	return -in->error;
}

/* Read more raw bytes after the unconsumed ones; 0 at the end. */
static ssize_t input_fill(struct archive_input *in)
{
	if (in->in_pos > 0) {
		memmove(in->in_buf, in->in_buf + in->in_pos, in->in_len - in->in_pos);
		in->in_len -= in->in_pos;
		in->in_pos = 0;
	}
	for (;;) {
		ssize_t n = read(in->fd, in->in_buf + in->in_len, ARCHIVE_BUF_SIZE - in->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return input_fail(in, errno, "read layer stream: %s", strerror(errno));
		if (n == 0)
			in->in_eof = true;
		in->in_len += (size_t)n;
		return n;
	}
}

static int input_detect(struct archive_input *in)
{
	const uint8_t *b = in->in_buf;

	while (in->in_len < 4 && !in->in_eof)
		if (input_fill(in) < 0)
			return -in->error;
	if (in->in_len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		in->codec = INPUT_GZIP;
		if (inflateInit2(&in->z, 16 + MAX_WBITS) != Z_OK)
			abort();
		in->z_ready = true;
	} else if (in->in_len >= 4 &&
		   ((b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) ||
		    ((b[0] & 0xf0) == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18))) {
		in->codec = INPUT_ZSTD;
		in->zs = ZSTD_createDStream();
		if (!in->zs)
			abort();
		in->zs_hint = 1;
	}
	if (in->codec != INPUT_PLAIN)
		in->out_buf = xmalloc(ARCHIVE_BUF_SIZE);
	return 0;
}

static ssize_t read_plain(struct archive_input *in, const void **ret)
{
	if (in->in_pos == in->in_len) {
		in->in_pos = in->in_len = 0;
		ssize_t n = input_fill(in);
		if (n <= 0)
			return n;
	}
	size_t n = in->in_len - in->in_pos;
	*ret = in->in_buf + in->in_pos;
	in->in_pos = in->in_len;
	return (ssize_t)n;
}

/* After a gzip member: another member, zero padding, or the end. */
static int gzip_next_member(struct archive_input *in)
{
	for (;;) {
		if (in->in_pos == in->in_len) {
			ssize_t n = input_fill(in);
			if (n < 0)
				return (int)n;
			if (n == 0)
				return 1;
		}
		uint8_t c = in->in_buf[in->in_pos];
		if (c == 0x1f) {
			if (inflateReset(&in->z) != Z_OK)
				abort();
			in->z_member_end = false;
			return 0;
		}
		if (c != 0)
			return (int)input_fail(in, EBADMSG, "trailing garbage after gzip stream");
		in->in_pos++;
	}
}

static ssize_t read_gzip(struct archive_input *in, const void **ret)
{
	for (;;) {
		if (in->z_member_end) {
			int r = gzip_next_member(in);
			if (r != 0)
				return r > 0 ? 0 : r;
		}
		if (in->in_pos == in->in_len && !in->out_full) {
			ssize_t n = input_fill(in);
			if (n < 0)
				return n;
			if (n == 0)
				return input_fail(in, EBADMSG, "truncated gzip stream");
		}
		in->z.next_in = in->in_buf + in->in_pos;
		in->z.avail_in = (uInt)(in->in_len - in->in_pos);
		in->z.next_out = in->out_buf;
		in->z.avail_out = ARCHIVE_BUF_SIZE;
		int r = inflate(&in->z, Z_NO_FLUSH);
		in->in_pos = in->in_len - in->z.avail_in;
		size_t produced = ARCHIVE_BUF_SIZE - in->z.avail_out;
		in->out_full = in->z.avail_out == 0;
		if (r == Z_STREAM_END)
			in->z_member_end = true;
		else if (r != Z_OK && r != Z_BUF_ERROR)
			return input_fail(in, EBADMSG, "gzip: %s",
					  in->z.msg ? in->z.msg : "invalid data");
		if (produced > 0) {
			*ret = in->out_buf;
			return (ssize_t)produced;
		}
	}
}

static ssize_t read_zstd(struct archive_input *in, const void **ret)
{
	for (;;) {
		if (in->in_pos == in->in_len && !in->out_full) {
			ssize_t n = input_fill(in);
			if (n < 0)
				return n;
			if (n == 0) {
				if (in->zs_hint != 0)
					return input_fail(in, EBADMSG, "truncated zstd stream");
				return 0;
			}
		}
		ZSTD_inBuffer ib = { in->in_buf, in->in_len, in->in_pos };
		ZSTD_outBuffer ob = { in->out_buf, ARCHIVE_BUF_SIZE, 0 };
		size_t r = ZSTD_decompressStream(in->zs, &ob, &ib);
		if (ZSTD_isError(r))
			return input_fail(in, EBADMSG, "zstd: %s", ZSTD_getErrorName(r));
		in->in_pos = ib.pos;
		in->zs_hint = r;
		in->out_full = ob.pos == ob.size;
		if (ob.pos > 0) {
			*ret = in->out_buf;
			return (ssize_t)ob.pos;
		}
	}
}

/* The next chunk of the uncompressed stream: its length, 0 at the end. */
static ssize_t input_read(struct archive_input *in, const void **ret)
{
	ssize_t n;

	if (in->error)
		return -in->error;
	if (in->eof)
		return 0;
	switch (in->codec) {
	case INPUT_GZIP:
		n = read_gzip(in, ret);
		break;
	case INPUT_ZSTD:
		n = read_zstd(in, ret);
		break;
	case INPUT_PLAIN:
	case INPUT_CODEC_MAX:
	default:
		n = read_plain(in, ret);
		break;
	}
	if (n <= 0) {
		in->eof = n == 0;
		return n;
	}
	if ((uint64_t)n > in->max_total - in->total)
		return input_fail(in, EFBIG, "layer is larger than %" PRIu64 " bytes uncompressed",
				  in->max_total);
	in->total += (uint64_t)n;
	if (in->md && EVP_DigestUpdate(in->md, *ret, (size_t)n) != 1)
		abort();
	return n;
}

int archive_input_new(int fd, bool digest, uint64_t max_total, struct archive_input **ret,
		      struct berth_error **err)
{
	_cleanup_(archive_input_freep) struct archive_input *in = xzalloc(sizeof(*in));

	in->fd = fd;
	in->max_total = max_total;
	in->in_buf = xmalloc(ARCHIVE_BUF_SIZE);
	if (digest) {
		in->md = EVP_MD_CTX_new();
		if (!in->md || EVP_DigestInit_ex(in->md, EVP_sha256(), NULL) != 1)
			abort();
	}
	if (input_detect(in) < 0)
		return archive_input_error(in, err);
	*ret = TAKE_PTR(in);
	return 0;
}

struct archive_input *archive_input_free(struct archive_input *in)
{
	if (!in)
		return NULL;
	if (in->z_ready)
		(void)inflateEnd(&in->z);
	ZSTD_freeDStream(in->zs);
	EVP_MD_CTX_free(in->md);
	free(in->in_buf);
	free(in->out_buf);
	free(in->error_msg);
	free(in);
	return NULL;
}

static la_ssize_t input_read_cb(struct archive *a, void *data, const void **buf)
{
	struct archive_input *in = data;
	ssize_t n = input_read(in, buf);

	if (n < 0) {
		archive_set_error(a, in->error, "%s", in->error_msg);
		return -1;
	}
	return n;
}

int archive_input_open(struct archive_input *in, struct archive *a, struct berth_error **err)
{
	if (archive_read_support_filter_none(a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(a) != ARCHIVE_OK)
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "libarchive: %s",
				       archive_error_string(a));
	if (archive_read_open(a, in, NULL, input_read_cb, NULL) != ARCHIVE_OK) {
		if (in->error)
			return archive_input_error(in, err);
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "not a tar stream: %s",
				       archive_error_string(a));
	}
	return 0;
}

int archive_input_drain(struct archive_input *in, struct berth_error **err)
{
	const void *buf;

	for (;;) {
		ssize_t n = input_read(in, &buf);
		if (n == 0)
			return 0;
		if (n < 0)
			return archive_input_error(in, err);
	}
}

int archive_input_error(struct archive_input *in, struct berth_error **err)
{
	bool data = in->error == EBADMSG || in->error == EFBIG;

	if (!in->error)
		return 0;
	(void)berth_error_set(err, 0, data ? BERTH_ERR_INVALID : BERTH_ERR_INTERNAL, "%s",
			      in->error_msg);
	return -in->error;
}

uint64_t archive_input_total(const struct archive_input *in)
{
	return in->total;
}

void archive_input_digest(struct archive_input *in, char buf[static 72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!in->md || EVP_DigestFinal_ex(in->md, raw, &n) != 1 || n != 32)
		abort();
	char *p = stpcpy(buf, "sha256:");
	for (unsigned int i = 0; i < n; i++) {
		*p++ = hex[raw[i] >> 4];
		*p++ = hex[raw[i] & 0xf];
	}
	*p = '\0';
}
