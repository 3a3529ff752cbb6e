/* sysctls under /proc/sys, by slash-separated key ("net/ipv4/ip_forward");
 * a dotted key without a slash ("net.ipv4.ip_forward") is accepted too. */
#define LOG_CATEGORY "network"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "network.h"

/* "/proc/sys/<key>", or NULL when the key could leave /proc/sys. */
static char *sysctl_path(const char *key)
{
	if (!key || key[0] == '\0' || key[0] == '/' || strstr(key, ".."))
		return NULL;
	char *path = xasprintf("/proc/sys/%s", key);
	if (!strchr(key, '/'))
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
	return path;
}

int net_sysctl_set(const char *key, const char *value, struct berth_error **err)
{
	_cleanup_free_ char *path = sysctl_path(key);
	_cleanup_close_ int fd = -EBADF;

	if (!path)
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "invalid sysctl '%s'", key);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return berth_error_set(err, errno,
				       errno == ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_INTERNAL,
				       "set sysctl '%s'", key);
	int r = fd_write_all(fd, value, strlen(value));
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "set sysctl '%s' to '%s'", key,
				       value);
	return 0;
}

int net_sysctl_get(const char *key, char **ret, struct berth_error **err)
{
	_cleanup_free_ char *path = sysctl_path(key);
	_cleanup_free_ char *value = NULL;
	size_t len = 0;

	if (!path)
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "invalid sysctl '%s'", key);
	int r = file_read_all(path, 1 << 16, &value, &len);
	if (r < 0)
		return berth_error_set(err, -r,
				       r == -ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_INTERNAL,
				       "read sysctl '%s'", key);
	while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == ' '))
		value[--len] = '\0';
	*ret = TAKE_PTR(value);
	return 0;
}
