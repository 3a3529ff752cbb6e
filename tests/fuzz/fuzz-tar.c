/* libFuzzer target: bytes as a layer stream (tar, gzip or zstd) unpacked by
 * archive_apply_layer into a fresh temporary directory, which is removed
 * afterwards. Every input must unpack or be refused with an error, without
 * crashing, leaking or writing outside the directory. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct archive_limits lim = {
		.max_entries = 512,
		.max_total_bytes = 16 << 20,
		.max_path = 1024,
	};
	char dir[] = "/tmp/berth-fuzz-tar-XXXXXX";
	_cleanup_error_ struct berth_error *err = NULL;
	struct layer_apply_result res;

	log_set_level(LOG_LEVEL_ERROR);
	_cleanup_close_ int fd = memfd_create("layer", MFD_CLOEXEC);
	if (fd < 0 || fd_write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	if (!mkdtemp(dir))
		abort();
	(void)archive_apply_layer(fd, dir, &lim, &res, &err);
	(void)rm_rf(dir);
	return 0;
}
