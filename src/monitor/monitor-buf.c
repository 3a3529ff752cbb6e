/* Growable byte buffers that never block their writer: what a socket does not
 * take now stays queued. Storage is released once a buffer drains, so an
 * idle monitor holds none. */
#include <string.h>
#include <unistd.h>

#include "monitor-internal.h"

void mon_buf_append(struct mon_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->off + b->len + n > b->cap) {
		if (b->off > 0) {
			memmove(b->data, b->data + b->off, b->len);
			b->off = 0;
		}
		if (b->len + n > b->cap) {
			size_t cap = b->cap ? b->cap : 256;
			while (cap < b->len + n)
				cap *= 2;
			b->data = xrealloc(b->data, cap);
			b->cap = cap;
		}
	}
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
}

void mon_buf_free(struct mon_buf *b)
{
	free(b->data);
	*b = (struct mon_buf){ 0 };
}

int mon_buf_flush(struct mon_buf *b, int fd)
{
	while (b->len > 0) {
		ssize_t n = write(fd, b->data + b->off, b->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 1;
			return -errno;
		}
		b->off += (size_t)n;
		b->len -= (size_t)n;
	}
	mon_buf_free(b);
	return 0;
}
