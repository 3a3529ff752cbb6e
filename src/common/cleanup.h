/* Cleanup attributes and ownership transfer.
 *
 * Every owning local variable carries a cleanup attribute and an initial value
 * (NULL, or -EBADF for descriptors). Ownership leaves a scope only through
 * TAKE_PTR() or TAKE_FD(), so a forgotten hand-over is a double free that the
 * sanitizer build catches rather than a silent leak.
 */
#ifndef BERTH_CLEANUP_H
#define BERTH_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(const int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

#define _cleanup_free_	   _cleanup_(freep)
#define _cleanup_close_	   _cleanup_(closep)
#define _cleanup_fclose_   _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* One line per third-party type: DEFINE_CLEANUP(json_object, json_object_put)
 * gives json_object_putp() for _cleanup_(json_object_putp). */
#define DEFINE_CLEANUP(type, fn)                                                                   \
	static inline void fn##p(type **p)                                                         \
	{                                                                                          \
		if (*p)                                                                            \
			(void)fn(*p);                                                              \
	}

#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _took = (p);                                                         \
		(p) = NULL;                                                                        \
		_took;                                                                             \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _took = (fd);                                                                  \
		(fd) = -EBADF;                                                                     \
		_took;                                                                             \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
