/* Included by the test-archive*.c tests: tar streams built by hand (so that
 * hostile ones can be), compression, temporary directories and small file
 * helpers. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "archive.h"

struct tarbuf {
	char *data;
	size_t len;
	size_t cap;
};

static inline void tb_append(struct tarbuf *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2;
		t->data = xrealloc(t->data, t->cap);
	}
	memcpy(t->data + t->len, p, n);
	t->len += n;
}

static inline void tb_pad(struct tarbuf *t)
{
	static const char zero[512];

	if (t->len % 512)
		tb_append(t, zero, 512 - t->len % 512);
}

struct tb_entry {
	const char *name;
	char type; /* '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo
		    */
	unsigned mode;
	unsigned uid;
	unsigned gid;
	long long mtime;
	const char *link;
	unsigned major;
	unsigned minor;
	const void *data;
	size_t size;
	const struct tarbuf *pax; /* extra pax records (tb_rec) */
};

/* width - 1 octal digits and a NUL (values too big are cut, on purpose). */
static inline void tb_octal(char *field, size_t width, unsigned long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), v);

	memcpy(field, tmp + n - (int)(width - 1), width - 1);
	field[width - 1] = '\0';
}

static inline void tb_header(struct tarbuf *t, const char *name, char type, unsigned mode,
			     unsigned uid, unsigned gid, size_t size, long long mtime,
			     const char *link, unsigned major, unsigned minor)
{
	char h[512] = { 0 };
	unsigned sum = 0;

	(void)snprintf(h, 100, "%s", strlen(name) < 100 ? name : "longname");
	tb_octal(h + 100, 8, mode);
	tb_octal(h + 108, 8, uid);
	tb_octal(h + 116, 8, gid);
	tb_octal(h + 124, 12, size);
	tb_octal(h + 136, 12, (unsigned long long)mtime);
	memset(h + 148, ' ', 8);
	h[156] = type;
	if (link)
		(void)snprintf(h + 157, 100, "%s", strlen(link) < 100 ? link : "longlink");
	memcpy(h + 257,
	       "ustar\0"
	       "00",
	       8);
	tb_octal(h + 329, 8, major);
	tb_octal(h + 337, 8, minor);
	for (size_t i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	tb_octal(h + 148, 7, sum);
	h[155] = ' ';
	tb_append(t, h, 512);
}

/* Append one pax record "LEN key=value\n" (value may hold NULs) to recs. */
static inline void tb_rec(struct tarbuf *recs, const char *key, const void *value, size_t vlen)
{
	size_t body = strlen(key) + vlen + 3, len = body;
	char num[32];

	for (;;) {
		int d = snprintf(num, sizeof(num), "%zu", len);
		if (body + (size_t)d == len)
			break;
		len = body + (size_t)d;
	}
	tb_append(recs, num, strlen(num));
	tb_append(recs, " ", 1);
	tb_append(recs, key, strlen(key));
	tb_append(recs, "=", 1);
	tb_append(recs, value, vlen);
	tb_append(recs, "\n", 1);
}

static inline void tb_add(struct tarbuf *t, const struct tb_entry *e)
{
	struct tarbuf recs = { 0 };

	if (strlen(e->name) >= 100)
		tb_rec(&recs, "path", e->name, strlen(e->name));
	if (e->link && strlen(e->link) >= 100)
		tb_rec(&recs, "linkpath", e->link, strlen(e->link));
	if (e->pax)
		tb_append(&recs, e->pax->data, e->pax->len);
	if (recs.len) {
		tb_header(t, "PaxHeader", 'x', 0644, 0, 0, recs.len, 0, NULL, 0, 0);
		tb_append(t, recs.data, recs.len);
		tb_pad(t);
		free(recs.data);
	}
	/* Owner 0 means ours, so that the unprivileged tests can apply it. */
	tb_header(t, e->name, e->type ? e->type : '0', e->mode ? e->mode : 0644,
		  e->uid ? e->uid : geteuid(), e->gid ? e->gid : getegid(), e->size, e->mtime,
		  e->link, e->major, e->minor);
	if (e->size) {
		tb_append(t, e->data, e->size);
		tb_pad(t);
	}
}

static inline void tb_file(struct tarbuf *t, const char *name, const char *content)
{
	struct tb_entry e = { .name = name,
			      .type = '0',
			      .mode = 0644,
			      .data = content,
			      .size = strlen(content),
			      .mtime = 1000 };
	tb_add(t, &e);
}

static inline void tb_simple(struct tarbuf *t, const char *name, char type, const char *link)
{
	struct tb_entry e = { .name = name,
			      .type = type,
			      .mode = type == '5' ? 0755 : 0644,
			      .link = link,
			      .mtime = 1000 };
	tb_add(t, &e);
}

static inline void tb_end(struct tarbuf *t)
{
	static const char zero[1024];

	tb_append(t, zero, sizeof(zero));
}

static inline void tb_free(struct tarbuf *t)
{
	free(t->data);
}

static inline char *gzip_bytes(const void *data, size_t len, int level, size_t *ret_len)
{
	z_stream z = { 0 };
	size_t cap = len + len / 100 + 1024;
	char *out = xmalloc(cap);

	if (deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*ret_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static inline char *zstd_bytes(const void *data, size_t len, int level, size_t *ret_len)
{
	size_t cap = ZSTD_compressBound(len);
	char *out = xmalloc(cap);
	size_t n = ZSTD_compress(out, cap, data, len, level);

	if (ZSTD_isError(n))
		abort();
	*ret_len = n;
	return out;
}

/* A readable descriptor holding data. */
static inline int memfd_of(const void *data, size_t len)
{
	int fd = memfd_create("tar", MFD_CLOEXEC);

	if (fd < 0 || fd_write_all(fd, data, len) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return fd;
}

static inline char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/berth-archive-XXXXXX";

	if (!mkdtemp(tmpl))
		abort();
	return xstrdup(tmpl);
}

/* Apply a tar (in memory) to a fresh directory dir/<sub>. */
static inline int apply_bytes(const void *data, size_t len, const char *dest,
			      const struct archive_limits *lim, struct layer_apply_result *res,
			      struct berth_error **err)
{
	_cleanup_close_ int fd = memfd_of(data, len);

	if (mkdir(dest, 0755) < 0 && errno != EEXIST)
		abort();
	return archive_apply_layer(fd, dest, lim, res, err);
}

static inline char *read_file_at(const char *dir, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	char *data = NULL;

	if (file_read_all(p, 1 << 20, &data, NULL) < 0)
		return NULL;
	return data;
}

static inline int lstat_at(const char *dir, const char *name, struct stat *st)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);

	return lstat(p, st);
}

static inline size_t count_entries(const char *path)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	size_t n = 0;

	if (!d)
		return (size_t)-1;
	for (struct dirent *de; (de = readdir(d));)
		if (!dirent_is_dot(de))
			n++;
	return n;
}
