/* berth CLI: a small blocking HTTP/1.1 client for the daemon's unix socket.
 *
 * One connection carries one request at a time. Responses are read
 * incrementally: the head first (status line and headers, at most
 * CLI_HTTP_MAX_HEAD bytes), then the body through cli_http_body_read(),
 * which hides Content-Length, chunked and read-until-close framing. After a
 * 101 the connection is raw: cli_http_conn_read() returns what was buffered
 * past the head first, then reads the socket. A response owns its connection.
 */
#ifndef BERTH_CLI_HTTP_INTERNAL_H
#define BERTH_CLI_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

#define CLI_HTTP_MAX_HEAD    (64 * 1024)
#define CLI_HTTP_MAX_HEADERS 128
#define CLI_HTTP_BUF_SIZE    (64 * 1024)

struct cli_http_conn {
	int fd;
	char *buf; /* read buffer, CLI_HTTP_BUF_SIZE bytes */
	size_t start, end;
};

enum cli_http_framing {
	CLI_HTTP_FRAMING_NONE, /* no body (HEAD, 1xx, 204, 304) */
	CLI_HTTP_FRAMING_LENGTH,
	CLI_HTTP_FRAMING_CHUNKED,
	CLI_HTTP_FRAMING_CLOSE, /* until the server closes */
	CLI_HTTP_FRAMING_MAX,
};

struct cli_http_header {
	char *name;
	char *value;
};

struct cli_http_response {
	struct cli_http_conn *conn; /* owned */
	int status;
	char *reason;
	struct cli_http_header *headers;
	size_t n_headers;
	enum cli_http_framing framing;
	uint64_t left; /* bytes left in the body (LENGTH) or in the current chunk */
	bool done;     /* body fully read */
};

/* Connect to a unix socket. */
int cli_http_connect(const char *path, struct cli_http_conn **ret, struct berth_error **err);
/* Wrap an already connected descriptor (taken over). */
struct cli_http_conn *cli_http_conn_new(int fd);
struct cli_http_conn *cli_http_conn_free(struct cli_http_conn *c);
DEFINE_CLEANUP(struct cli_http_conn, cli_http_conn_free)

/* Send the request line and headers. headers: "Name: value\r\n" lines or NULL.
 * content_length >= 0 adds Content-Length, -1 adds Transfer-Encoding: chunked. */
int cli_http_send_head(struct cli_http_conn *c, const char *method, const char *target,
		       const char *headers, int64_t content_length, struct berth_error **err);
int cli_http_send(struct cli_http_conn *c, const void *data, size_t len, struct berth_error **err);
/* One chunk of a chunked body; len 0 sends the last chunk. */
int cli_http_send_chunk(struct cli_http_conn *c, const void *data, size_t len,
			struct berth_error **err);
/* Send everything readable from fd as a chunked body, ending with the last chunk. */
int cli_http_send_fd_chunked(struct cli_http_conn *c, int fd, struct berth_error **err);

/* Read the response head; the connection moves into the response (also on failure). */
int cli_http_read_response(struct cli_http_conn *c, bool head_request,
			   struct cli_http_response **ret, struct berth_error **err);
struct cli_http_response *cli_http_response_free(struct cli_http_response *r);
DEFINE_CLEANUP(struct cli_http_response, cli_http_response_free)
/* Header value (case-insensitive name), NULL when absent. */
const char *cli_http_header(const struct cli_http_response *r, const char *name);

/* Read body bytes: a count, 0 at the end of the body, or a negative errno. */
ssize_t cli_http_body_read(struct cli_http_response *r, void *buf, size_t n,
			   struct berth_error **err);
/* Read the whole body (at most max bytes, else -EFBIG); NUL-terminated. */
int cli_http_body_read_all(struct cli_http_response *r, size_t max, char **ret, size_t *ret_len,
			   struct berth_error **err);
/* Read one line of the body (up to and without '\n'), for JSON message
 * streams; 0 at the end of the body, else 1. */
int cli_http_body_read_line(struct cli_http_response *r, size_t max, char **ret,
			    struct berth_error **err);

/* Raw reads on a connection: buffered bytes first, then the socket. */
ssize_t cli_http_conn_read(struct cli_http_conn *c, void *buf, size_t n);

#endif
