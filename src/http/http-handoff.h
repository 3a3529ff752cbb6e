/* berth http: a request body read by another process. A handler of a
 * HTTP_ROUTE_STREAM_BODY route takes the connection out of the server before
 * reading the body; a forked child then reads the body straight from the
 * socket (the framing removed, no relay through the loop, no copy on the
 * way), and whoever holds the handoff at the end writes one complete
 * response and closes the connection. docker cp's PUT archive uses it: a
 * 200 MB body crosses the kernel twice instead of four times.
 */
#ifndef BERTH_HTTP_HANDOFF_H
#define BERTH_HTTP_HANDOFF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

struct http_request;
struct http_handoff;

/* Take req's connection: "100 Continue" is sent first when the client asked
 * for it; the bytes of the body already read come along. The request is
 * finished for the server (no keep-alive: the response closes the
 * connection). Fails on TLS connections and when the body is being read or
 * a response was sent. */
int http_handoff_take(struct http_request *req, struct http_handoff **ret,
		      struct berth_error **err);

/* Limits of the reads: at most max_bytes of body (-EFBIG beyond), and
 * -ETIMEDOUT after idle_ms without a byte. Defaults: unlimited, 120 s. */
void http_handoff_set_limits(struct http_handoff *h, uint64_t max_bytes, int idle_ms);

/* The next body bytes (blocking, the framing removed): > 0, 0 at the end of
 * the body, or -EPIPE (the client left early), -EBADMSG (bad framing),
 * -EFBIG, -ETIMEDOUT. */
ssize_t http_handoff_read(struct http_handoff *h, void *buf, size_t n);

/* Read and drop the rest of the body, at most limit bytes: 0 when the end
 * was reached, -EFBIG when more is left, or a read's error. */
int http_handoff_drain(struct http_handoff *h, uint64_t limit);

/* The response (the server's default headers, those added to the request
 * before the handoff, Content-Length and "Connection: close"), written
 * within 2 s; the connection is closed after it. */
int http_handoff_respond(struct http_handoff *h, int status, const char *content_type,
			 const void *body, size_t len);
/* Docker's {"message": "..."} error body. */
int http_handoff_respond_error(struct http_handoff *h, int status, const char *msg);

/* Close the connection (if still open) and free h; NULL is fine. */
void http_handoff_free(struct http_handoff *h);
DEFINE_CLEANUP(struct http_handoff, http_handoff_free)

#endif
