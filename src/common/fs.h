/* berth common: file and descriptor helpers (part of common.h). Every
 * descriptor they open is O_CLOEXEC; paths inside a root are resolved with
 * openat2(RESOLVE_IN_ROOT). */
#ifndef BERTH_COMMON_FS_H
#define BERTH_COMMON_FS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read a whole file (at most max bytes, else -EFBIG); the result is NUL-terminated. */
int file_read_all(const char *path, size_t max, char **ret, size_t *ret_len);
int file_read_all_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);
int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len);
/* Write data to an existing file (no create, no truncate): sysfs, procfs, cgroupfs. */
int file_write_str_at(int dirfd, const char *path, const char *data);
/* Write a file atomically: temp file in the same directory, fsync, rename. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same without fsync: for state that does not outlive a reboot (/run). */
int file_write_replace(const char *path, const void *data, size_t len, mode_t mode);
int fd_write_all(int fd, const void *data, size_t len);
int mkdir_p(const char *path, mode_t mode);
/* Remove a directory tree (no mount point crossing). */
int rm_rf(const char *path);
/* Open the directory name below dirfd for reading (no symlink followed);
 * negative errno on failure. */
int dir_open_at(int dirfd, const char *name, DIR **ret);
/* Whether a readdir entry is "." or "..". */
bool dirent_is_dot(const struct dirent *de);
/* Close every descriptor >= from except those in keep (sorted or not, nkeep entries). */
int fd_close_from(int from);
/* Mark every descriptor >= from close-on-exec. */
int fd_cloexec_from(int from);
/* Open path inside the tree rooted at rootfd with openat2 RESOLVE_IN_ROOT, so that
 * neither "..", absolute symlinks nor magic links can leave the root. */
int openat_in_root(int rootfd, const char *path, int flags, mode_t mode);
/* Create the directories of path inside root (like mkdir -p), resolving each step
 * in the root; returns an O_PATH descriptor of the last one. */
int mkdirat_p_in_root(int rootfd, const char *path, mode_t mode);
/* Whether openat2 with RESOLVE_IN_ROOT works on this kernel. */
bool openat2_supported(void);
/* /proc/self/fd/N */
void fd_proc_path(int fd, char buf[static 32]);

#endif
