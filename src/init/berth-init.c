/* berth-init: the PID 1 of `run --init` (docker-init's role).
 *
 *   berth-init [--] COMMAND [ARGS...]
 *
 * Runs COMMAND as its child, forwards every catchable signal to it, reaps the
 * zombies the container leaves to PID 1, and exits with the command's status
 * (128 + signal when it was killed). libc only, tiny, static. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t all, old;
	int first = 1;

	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc) {
		fprintf(stderr, "berth-init: usage: berth-init [--] COMMAND [ARGS...]\n");
		return 2;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t child = fork();
	if (child < 0) {
		perror("berth-init: fork");
		return 1;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* Its own process group, so that terminal signals reach it as in a shell. */
		setpgid(0, 0);
		execvp(argv[first], argv + first);
		fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* Grandchildren orphaned by the command are ours to reap. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (;;) {
		siginfo_t si;
		if (sigwaitinfo(&all, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			(void)kill(child, si.si_signo);
			continue;
		}
		for (;;) {
			int status;
			pid_t p = waitpid(-1, &status, WNOHANG);
			if (p <= 0)
				break;
			if (p == child)
				return WIFEXITED(status) ? WEXITSTATUS(status)
							 : 128 + WTERMSIG(status);
		}
	}
}
