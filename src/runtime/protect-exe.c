/* CVE-2019-5736: a container process could open /proc/<pid>/exe of a runtime
 * process that joined the container, and write through it into the host's
 * runtime binary once that process exits. We re-execute from a private,
 * sealed in-memory copy first, so that the only file a container could ever
 * reach is a copy nobody else runs and that cannot be written at all. */
#define LOG_CATEGORY "protect"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;
static char **saved_argv;

void rt_protect_set_argv(char **argv)
{
	saved_argv = argv;
}

static bool is_protected(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

int rt_protect_exe(struct berth_error **err)
{
	_cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int mfd = -EBADF;
	struct stat st;

	if (self < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open /proc/self/exe");
	if (is_protected(self))
		return 0;
	if (fstat(self, &st) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat /proc/self/exe");
	mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "memfd_create");
	for (off_t done = 0; done < st.st_size;) {
		ssize_t n = sendfile(mfd, self, NULL, (size_t)(st.st_size - done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error_set(err, n < 0 ? errno : EIO, BERTH_ERR_INTERNAL,
					       "copy the runtime binary");
		done += n;
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "seal the runtime copy");
	if (!saved_argv)
		return berth_error_set(err, EINVAL, BERTH_ERR_INTERNAL, "no argv to re-execute");
	syscall(SYS_execveat, mfd, "", saved_argv, environ, AT_EMPTY_PATH);
	return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
			       "re-execute from the sealed runtime copy");
}
