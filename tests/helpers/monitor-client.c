/* monitor-client: plays the daemon against berth-monitor in the e2e tests.
 *
 *   monitor-client [OPTIONS] spawn MONITOR [ARGS...]   start it with --control-fd
 *   monitor-client [OPTIONS] connect SOCKET            a restarted daemon
 *
 * Every message from the monitor is printed on stdout as one line,
 * "TYPE a=A b=B c=C text=TEXT". The attach (or exec) client is one end of a
 * socketpair whose other end goes to the monitor.
 *
 *   -a FLAGS   attach client (letters: i stdin, o stdout, e stderr, l logs,
 *              s stream, t tty); spawn: passed as --attach, unless -L
 *   -L         spawn: send the attach as MON_ATTACH after MON_STARTED
 *   -k KEYS    detach keys for MON_ATTACH
 *   -H         send MON_HELLO first
 *   -r HxW     MON_RESIZE (after MON_STARTED when spawning)
 *   -x ID:FILE:FLAGS  MON_EXEC (flags as -a, plus d for detached)
 *   -R HxW     MON_EXEC_RESIZE after MON_EXEC_STARTED
 *   -i         send our stdin to the client socket, then shut down its write side
 *   -I MS      wait before reading our stdin
 *   -o FILE    raw bytes received on the client socket
 *   -O PREFIX  stdcopy-decoded: PREFIX.out and PREFIX.err; bad frames are reported
 *   -d MS      wait before reading the client socket at all
 *   -E FILE    at the client's EOF print "CLIENT_EOF exitfile=<FILE's first line>"
 *   -q TYPE    exit after this message (or CLIENT_EOF)
 *   -t SEC     give up after SEC seconds (exit 124)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

static const char *const type_names[] = {
	[MON_HELLO] = "HELLO",
	[MON_ATTACH] = "ATTACH",
	[MON_RESIZE] = "RESIZE",
	[MON_EXEC] = "EXEC",
	[MON_EXEC_RESIZE] = "EXEC_RESIZE",
	[MON_STATE] = "STATE",
	[MON_STARTED] = "STARTED",
	[MON_START_FAILED] = "START_FAILED",
	[MON_EXITED] = "EXITED",
	[MON_EXEC_STARTED] = "EXEC_STARTED",
	[MON_EXEC_EXITED] = "EXEC_EXITED",
	[MON_EXEC_FAILED] = "EXEC_FAILED",
};

struct opts {
	const char *attach, *keys, *exec, *raw, *decoded, *exit_file, *quit;
	bool late, hello, input;
	int rows, cols, xrows, xcols, input_delay, read_delay, timeout;
};

static struct opts o = { .timeout = 30 };
static int ctl = -1, client = -1, peer = -1;
static FILE *raw_f, *out_f, *err_f;
static unsigned char frame[1 << 20];
static size_t frame_len;

static void die(const char *what)
{
	fprintf(stderr, "monitor-client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned parse_flags(const char *s)
{
	unsigned f = 0;

	for (; *s; s++) {
		const char *p = strchr("ioelstd", *s);
		if (!p) {
			fprintf(stderr, "monitor-client: bad flag '%c'\n", *s);
			exit(2);
		}
		f |= 1U << (p - "ioelstd");
	}
	return f;
}

static void send_msg(int type, int a, int b, const char *text, int fd)
{
	struct mon_msg m = { .type = (uint32_t)type, .a = a, .b = b };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	size_t len = offsetof(struct mon_msg, text);
	struct iovec iov = { .iov_base = &m };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (text) {
		snprintf(m.text, sizeof(m.text), "%s", text);
		len += strlen(m.text) + 1;
	}
	iov.iov_len = len;
	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(ctl, &mh, MSG_NOSIGNAL) < 0)
		die("sendmsg");
}

/* A socketpair: our end is the client, the other goes to the monitor. */
static int make_client(void)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		die("socketpair");
	client = sp[0];
	peer = sp[1];
	return peer;
}

static void send_attach(void)
{
	send_msg(MON_ATTACH, (int)parse_flags(o.attach), 0, o.keys, make_client());
	close(peer);
	peer = -1;
}

static void send_exec(void)
{
	char id[80], file[1024], flags[16] = "";
	char text[1200];

	if (sscanf(o.exec, "%79[^:]:%1023[^:]:%15s", id, file, flags) < 2) {
		fprintf(stderr, "monitor-client: bad -x '%s'\n", o.exec);
		exit(2);
	}
	unsigned f = parse_flags(flags);
	snprintf(text, sizeof(text), "%s %s", id, file);
	if (f & MON_ATTACH_DETACH) {
		send_msg(MON_EXEC, (int)f, 0, text, -1);
		return;
	}
	send_msg(MON_EXEC, (int)f, 0, text, make_client());
	close(peer);
	peer = -1;
}

/* After the container started (spawn) or at once (connect). */
static void requests(void)
{
	if (o.attach && (o.late || peer < 0) && client < 0)
		send_attach();
	if (o.rows)
		send_msg(MON_RESIZE, o.rows, o.cols, NULL, -1);
	if (o.exec)
		send_exec();
}

/* Returns true when the program should quit. */
static bool print_msg(const struct mon_msg *m, size_t n)
{
	const char *name =
		m->type < sizeof(type_names) / sizeof(type_names[0]) && type_names[m->type]
			? type_names[m->type]
			: "UNKNOWN";

	printf("%s a=%d b=%d c=%d text=%s\n", name, m->a, m->b, m->c,
	       n > offsetof(struct mon_msg, text) ? m->text : "");
	fflush(stdout);
	if (m->type == MON_STARTED)
		requests();
	if (m->type == MON_EXEC_STARTED && o.xrows) {
		char id[80];
		snprintf(id, sizeof(id), "%.*s", (int)strcspn(o.exec, ":"), o.exec);
		send_msg(MON_EXEC_RESIZE, o.xrows, o.xcols, id, -1);
	}
	return o.quit && strcmp(o.quit, name) == 0;
}

static void decode(const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t take = sizeof(frame) - frame_len < n ? sizeof(frame) - frame_len : n;
		memcpy(frame + frame_len, p, take);
		frame_len += take;
		p += take;
		n -= take;
		while (frame_len >= 8) {
			size_t len = (size_t)frame[4] << 24 | (size_t)frame[5] << 16 |
				     (size_t)frame[6] << 8 | frame[7];
			if ((frame[0] != 1 && frame[0] != 2) || frame[1] || frame[2] || frame[3] ||
			    len == 0 || len > sizeof(frame) - 8) {
				printf("BAD_FRAME %02x %02x %02x %02x\n", frame[0], frame[1],
				       frame[2], frame[3]);
				frame_len = 0;
				break;
			}
			if (frame_len < 8 + len)
				break;
			FILE *f = frame[0] == 1 ? out_f : err_f;
			fwrite(frame + 8, 1, len, f);
			fflush(f);
			memmove(frame, frame + 8 + len, frame_len - 8 - len);
			frame_len -= 8 + len;
		}
	}
}

static void client_eof(void)
{
	char line[64] = "-";

	if (o.exit_file) {
		FILE *f = fopen(o.exit_file, "r");
		if (f) {
			if (!fgets(line, sizeof(line), f))
				strcpy(line, "-");
			fclose(f);
		}
		line[strcspn(line, "\n")] = '\0';
		printf("CLIENT_EOF exitfile=%s\n", line);
	} else {
		printf("CLIENT_EOF\n");
	}
	fflush(stdout);
	close(client);
	client = -1;
	if (o.quit && strcmp(o.quit, "CLIENT_EOF") == 0)
		exit(0);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int loop(void)
{
	long long start = now_ms();
	bool stdin_open = o.input;

	for (;;) {
		long long t = now_ms() - start;
		struct pollfd p[3] = { { ctl, POLLIN, 0 }, { -1, POLLIN, 0 }, { -1, POLLIN, 0 } };
		if (ctl < 0 && client < 0)
			return 0;
		if (t > o.timeout * 1000LL) {
			printf("TIMEOUT\n");
			return 124;
		}
		if (client >= 0 && t >= o.read_delay)
			p[1].fd = client;
		if (client >= 0 && stdin_open && t >= o.input_delay)
			p[2].fd = 0;
		if (poll(p, 3, 20) < 0 && errno != EINTR)
			die("poll");
		if (p[0].revents) {
			struct mon_msg m;
			ssize_t n = recv(ctl, &m, sizeof(m), 0);
			if (n <= 0) {
				printf("CONTROL_EOF\n");
				fflush(stdout);
				close(ctl);
				ctl = -1;
			} else if (print_msg(&m, (size_t)n)) {
				return 0;
			}
		}
		if (p[1].revents) {
			unsigned char buf[65536];
			ssize_t n = read(client, buf, sizeof(buf));
			if (n <= 0) {
				client_eof();
			} else {
				if (raw_f) {
					fwrite(buf, 1, (size_t)n, raw_f);
					fflush(raw_f);
				}
				if (out_f)
					decode(buf, (size_t)n);
			}
		}
		if (p[2].revents) {
			char buf[4096];
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				stdin_open = false;
				shutdown(client, SHUT_WR);
			} else if (write(client, buf, (size_t)n) < 0) {
				stdin_open = false;
			}
		}
	}
}

static void spawn(char **argv, int argc)
{
	int sp[2];
	char **args = calloc((size_t)argc + 8, sizeof(char *));
	char ctl_arg[16], attach_arg[32];
	int n = 0;

	if (!args || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		die("socketpair");
	ctl = sp[0];
	for (int i = 0; i < argc; i++)
		args[n++] = argv[i];
	snprintf(ctl_arg, sizeof(ctl_arg), "%d", sp[1]);
	args[n++] = "--control-fd";
	args[n++] = ctl_arg;
	if (o.attach && !o.late) {
		make_client();
		snprintf(attach_arg, sizeof(attach_arg), "%d:%u", peer, parse_flags(o.attach));
		args[n++] = "--attach";
		args[n++] = attach_arg;
	}
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		fcntl(sp[1], F_SETFD, 0);
		if (peer >= 0)
			fcntl(peer, F_SETFD, 0);
		execv(args[0], args);
		_exit(127);
	}
	close(sp[1]);
	if (peer >= 0)
		close(peer);
	printf("SPAWNED pid=%d\n", (int)pid);
	fflush(stdout);
	free(args);
}

static void connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	ctl = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (ctl < 0 || connect(ctl, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	if (o.hello)
		send_msg(MON_HELLO, 0, 0, NULL, -1);
	requests();
}

static void open_outputs(void)
{
	char path[4096];

	if (o.raw && !(raw_f = fopen(o.raw, "w")))
		die(o.raw);
	if (o.decoded) {
		snprintf(path, sizeof(path), "%s.out", o.decoded);
		out_f = fopen(path, "w");
		snprintf(path, sizeof(path), "%s.err", o.decoded);
		err_f = fopen(path, "w");
		if (!out_f || !err_f)
			die(o.decoded);
	}
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "+a:Lk:Hr:x:R:iI:o:O:d:E:q:t:")) != -1) {
		switch (c) {
		case 'a':
			o.attach = optarg;
			break;
		case 'L':
			o.late = true;
			break;
		case 'k':
			o.keys = optarg;
			break;
		case 'H':
			o.hello = true;
			break;
		case 'r':
			sscanf(optarg, "%dx%d", &o.rows, &o.cols);
			break;
		case 'x':
			o.exec = optarg;
			break;
		case 'R':
			sscanf(optarg, "%dx%d", &o.xrows, &o.xcols);
			break;
		case 'i':
			o.input = true;
			break;
		case 'I':
			o.input_delay = atoi(optarg);
			break;
		case 'o':
			o.raw = optarg;
			break;
		case 'O':
			o.decoded = optarg;
			break;
		case 'd':
			o.read_delay = atoi(optarg);
			break;
		case 'E':
			o.exit_file = optarg;
			break;
		case 'q':
			o.quit = optarg;
			break;
		case 't':
			o.timeout = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 >= argc) {
		fprintf(stderr, "usage: monitor-client [OPTIONS] spawn MONITOR [ARGS...] | "
				"connect SOCKET\n");
		return 2;
	}
	open_outputs();
	if (strcmp(argv[optind], "spawn") == 0)
		spawn(argv + optind + 1, argc - optind - 1);
	else if (strcmp(argv[optind], "connect") == 0)
		connect_to(argv[optind + 1]);
	else
		return 2;
	return loop();
}
