/* Published port reservations: a socket bound (never listening) on the host
 * address and port, so no other program takes the port while the DNAT rule
 * sends its traffic to a container. */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "network.h"

int net_port_reserve(int proto, struct in_addr host_ip, uint16_t *port, struct berth_error **err)
{
	_cleanup_close_ int fd = -EBADF;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = host_ip };
	socklen_t len = sizeof(sa);
	char ip[INET_ADDRSTRLEN];
	int type;

	if (proto == IPPROTO_TCP)
		type = SOCK_STREAM;
	else if (proto == IPPROTO_UDP)
		type = SOCK_DGRAM;
	else
		return berth_error_set(err, EPROTONOSUPPORT, BERTH_ERR_INVALID,
				       "reserve port: protocol %d", proto);
	/* No SO_REUSEADDR: a port some other socket holds is refused. */
	fd = socket(AF_INET, type | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "reserve port: socket");
	sa.sin_port = htons(*port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EADDRINUSE)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "bind %s:%u",
					       inet_ntop(AF_INET, &host_ip, ip, sizeof(ip)), *port);
		/* docker's words, which its callers wrap with the address */
		if (err && !*err) {
			(void)berth_error_set(err, 0, BERTH_ERR_CONFLICT, "address already in use");
			(*err)->errnum = EADDRINUSE;
		}
		return -EADDRINUSE;
	}
	if (*port == 0) {
		if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "reserve port: getsockname");
		*port = ntohs(sa.sin_port);
	}
	return TAKE_FD(fd);
}
