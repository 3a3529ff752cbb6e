/* Test helpers of the image tests (included by them, not a test itself):
 * tars built in memory (ustar, any names, so that bad archives can be made),
 * gzip, memfds and scratch directories. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "image.h"

struct tarb {
	char *buf;
	size_t len, cap;
};

static inline void tarb_put(struct tarb *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 4096;
		t->buf = xrealloc(t->buf, t->cap);
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* A NUL-terminated octal field of width bytes. */
static inline void tar_octal(char *field, size_t width, unsigned long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), v);
	memcpy(field, tmp + (size_t)n - (width - 1), width - 1);
	field[width - 1] = '\0';
}

static inline void tarb_entry(struct tarb *t, const char *name, char type, unsigned mode,
			      const void *data, size_t len, const char *link)
{
	char h[512] = { 0 };
	unsigned sum = 0;

	(void)snprintf(h, 100, "%s", name);
	tar_octal(h + 100, 8, mode);
	tar_octal(h + 108, 8, 0);
	tar_octal(h + 116, 8, 0);
	tar_octal(h + 124, 12, len);
	tar_octal(h + 136, 12, 1700000000);
	h[156] = type;
	if (link)
		(void)snprintf(h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	tar_octal(h + 148, 7, sum);
	tarb_put(t, h, 512);
	if (len) {
		static const char zero[512];
		tarb_put(t, data, len);
		tarb_put(t, zero, (512 - len % 512) % 512);
	}
}

static inline void tarb_file(struct tarb *t, const char *name, const char *content)
{
	tarb_entry(t, name, '0', 0644, content, strlen(content), NULL);
}

static inline void tarb_data(struct tarb *t, const char *name, const void *data, size_t len)
{
	tarb_entry(t, name, '0', 0644, data, len, NULL);
}

static inline void tarb_dir(struct tarb *t, const char *name)
{
	tarb_entry(t, name, '5', 0755, NULL, 0, NULL);
}

static inline void tarb_end(struct tarb *t)
{
	static const char zero[1024];
	tarb_put(t, zero, sizeof(zero));
}

static inline void tarb_free(struct tarb *t)
{
	free(t->buf);
	*t = (struct tarb){ 0 };
}

/* A readable fd with the data, at offset 0. */
static inline int mem_fd(const void *data, size_t len)
{
	int fd = memfd_create("test", MFD_CLOEXEC);
	if (fd < 0 || fd_write_all(fd, data, len) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return fd;
}

static inline char *gzip_data(const void *data, size_t len, size_t *ret_len)
{
	z_stream z = { 0 };
	size_t cap = len + 1024;
	char *out = xmalloc(cap);

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (unsigned char *)data;
	z.avail_in = (unsigned)len;
	z.next_out = (unsigned char *)out;
	z.avail_out = (unsigned)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*ret_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static inline char *scratch_dir(void)
{
	char *d = xstrdup("/tmp/berth-image-test-XXXXXX");
	if (!mkdtemp(d))
		abort();
	return d;
}

static inline bool path_exists(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
	struct stat st;
	return lstat(p, &st) == 0;
}

static inline size_t count_entries(const char *dir, const char *prefix)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	size_t n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		if (!dirent_is_dot(de) && str_has_prefix(de->d_name, prefix))
			n++;
	return n;
}
