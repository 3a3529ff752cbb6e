/* TCP throughput for bench/network.sh, one static binary (libc only) that
 * runs on the host and inside a busybox container:
 *
 *   tcpbench sink PORT                 accept connections forever; read each
 *                                      one to its end and discard the bytes,
 *                                      then close it
 *   tcpbench send HOST PORT MIB [N]    connect (retrying up to N seconds,
 *                                      default 10), write MIB MiB, shut down
 *                                      the writing side and wait for the
 *                                      sink's close; print "BYTES SECONDS
 *                                      MB/s" (MB = 10^6 bytes), timed from
 *                                      the connection to the sink's close
 *
 * HOST is an IPv4 address or a name (getaddrinfo: /etc/hosts, then DNS, so a
 * container name on a user-defined network works). The sink reads with 256
 * KiB reads, the sender writes 256 KiB buffers, so neither is the bottleneck:
 * on loopback in one namespace the pair moves several GB/s. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)

static char buf[BUF_SIZE];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sink(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, fd, c;
	ssize_t n;

	sa.sin_port = htons((unsigned short)atoi(port));
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		perror("tcpbench: listen");
		return 1;
	}
	/* One connection at a time: the benchmark sends one stream. */
	for (;;) {
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("tcpbench: accept");
			return 1;
		}
		do
			n = read(c, buf, sizeof(buf));
		while (n > 0 || (n < 0 && errno == EINTR));
		close(c);
	}
}

static int connect_to(const char *host, const char *port, int wait_s)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	double end = now() + wait_s;
	int fd, r;

	for (;;) {
		r = getaddrinfo(host, port, &hints, &ai);
		if (r == 0) {
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
				freeaddrinfo(ai);
				return fd;
			}
			if (fd >= 0)
				close(fd);
			freeaddrinfo(ai);
		}
		if (now() > end) {
			if (r != 0)
				fprintf(stderr, "tcpbench: %s: %s\n", host, gai_strerror(r));
			else
				fprintf(stderr, "tcpbench: connect %s:%s: %s\n", host, port,
					strerror(errno));
			return -1;
		}
		usleep(50000);
	}
}

static int send_stream(const char *host, const char *port, const char *mib, const char *wait_s)
{
	long long total = atoll(mib) * 1024 * 1024, left = total;
	double t0, t1;
	ssize_t n;
	int fd;

	memset(buf, 'x', sizeof(buf));
	fd = connect_to(host, port, wait_s ? atoi(wait_s) : 10);
	if (fd < 0)
		return 1;
	t0 = now();
	while (left > 0) {
		n = write(fd, buf, left < BUF_SIZE ? (size_t)left : BUF_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("tcpbench: write");
			return 1;
		}
		left -= n;
	}
	if (shutdown(fd, SHUT_WR) < 0) {
		perror("tcpbench: shutdown");
		return 1;
	}
	/* The sink closes once it has read everything: the end of the
	 * transfer, not of the writes into the socket buffers. */
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
	t1 = now();
	close(fd);
	printf("%lld %.6f %.1f\n", total, t1 - t0, (double)total / (t1 - t0) / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "sink") == 0)
		return sink(argv[2]);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "send") == 0)
		return send_stream(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	fprintf(stderr, "usage: tcpbench sink PORT | tcpbench send HOST PORT MIB [WAIT_S]\n");
	return 2;
}
