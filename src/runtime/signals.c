/* Signal names as runc and kill(1) accept them. */
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "runtime.h"

int rt_signal_parse(const char *s, int *ret)
{
	int n;

	if (str_to_int(s, &n) == 0) {
		if (n <= 0 || n >= NSIG)
			return -EINVAL;
		*ret = n;
		return 0;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev && strcasecmp(abbrev, s) == 0) {
			*ret = i;
			return 0;
		}
	}
	if (strncasecmp(s, "RTMIN+", 6) == 0 && str_to_int(s + 6, &n) == 0 &&
	    SIGRTMIN + n <= SIGRTMAX) {
		*ret = SIGRTMIN + n;
		return 0;
	}
	return -EINVAL;
}
