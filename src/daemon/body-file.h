/* Request bodies to temporary files, and files or pipes to streamed
 * responses, without blocking the loop on the network. */
#ifndef BERTH_DAEMON_BODY_FILE_H
#define BERTH_DAEMON_BODY_FILE_H

#include "daemon.h"

/* Save the (streamed) body of req into a new file under <data-root>/tmp, then
 * call done(req, fd, error, data): fd is open for reading at offset 0 (and
 * already unlinked), or -1 with error set. At most max_bytes are accepted. */
typedef void (*body_file_done)(struct http_request *req, int fd, struct berth_error *error,
			       void *data);
void body_to_file(struct daemon *d, struct http_request *req, uint64_t max_bytes,
		  body_file_done done, void *data);

/* Copy everything readable from fd (a pipe or a file; owned, closed at the
 * end) into req's already begun stream, pausing while the client is slow,
 * then end the stream and call done (may be NULL). */
void pump_fd_to_stream(struct daemon *d, struct http_request *req, int fd,
		       void (*done)(struct http_request *req, int error, void *data), void *data);

#endif
