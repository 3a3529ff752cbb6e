/* Terminal handling for -t: raw mode, window size, detach keys. */
#define LOG_CATEGORY "cli-tty"
#include <ctype.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "cli-stream-internal.h"

static struct termios saved;
static int saved_fd = -1;

int cli_tty_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return -errno;
	if (saved_fd < 0) {
		saved = t;
		saved_fd = fd;
	}
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -errno;
	return 0;
}

void cli_tty_restore(void)
{
	if (saved_fd < 0)
		return;
	(void)tcsetattr(saved_fd, TCSANOW, &saved);
	saved_fd = -1;
}

int cli_tty_size(int fd, unsigned *ret_rows, unsigned *ret_cols)
{
	struct winsize ws = { 0 };

	*ret_rows = *ret_cols = 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return -errno;
	*ret_rows = ws.ws_row;
	*ret_cols = ws.ws_col;
	return 0;
}

int cli_detach_keys_parse(const char *s, char *buf, size_t size, size_t *ret_len)
{
	static const char ctrl_specials[] = "@[\\]^_";
	size_t n = 0;

	for (const char *p = s; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (n >= size)
			return -EINVAL;
		if (len == 1) {
			buf[n++] = *p;
		} else if (len == 6 && strncmp(p, "ctrl-", 5) == 0) {
			char c = (char)tolower((unsigned char)p[5]);
			const char *sp = strchr(ctrl_specials, c);
			if (c >= 'a' && c <= 'z')
				buf[n++] = (char)(c - 'a' + 1);
			else if (sp && c)
				buf[n++] =
					(char)(sp == ctrl_specials ? 0
								   : 27 + (sp - ctrl_specials) - 1);
			else
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*ret_len = n;
	return n > 0 ? 0 : -EINVAL;
}
