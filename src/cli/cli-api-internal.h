/* berth CLI: the Docker Engine API client on top of cli-http.
 *
 * The client pings the daemon once, lazily, before its first request
 * (HEAD /_ping, then GET), and prefixes every later path with
 * /v<min(daemon, CLI_API_VERSION)>. A daemon error status becomes a
 * berth_error whose message is docker's ("Error response from daemon: ...")
 * and whose kind follows the status (404 NOT_FOUND, 409 CONFLICT, 400
 * INVALID, 401/403 UNAUTHORIZED, else INTERNAL); a connection failure is
 * UNAVAILABLE with docker's "Cannot connect ..." text.
 */
#ifndef BERTH_CLI_API_INTERNAL_H
#define BERTH_CLI_API_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>

#include "cli-http-internal.h"
#include "json-util.h"

#define CLI_API_VERSION		 "1.45"
#define CLI_DEFAULT_HOST	 "unix:///run/berth/berth.sock"
#define CLI_MAX_BODY		 (256u * 1024 * 1024)
#define CLI_MAX_JSON_DEPTH	 64
#define CLI_MAX_STREAM_LINE	 (16u * 1024 * 1024)
#define CLI_UPLOAD_SOCKET_BUFFER (4 << 20)

struct cli_client {
	char *host;	    /* as the user gave it, for messages */
	char *sock_path;    /* unix socket path */
	char version[16];   /* API version in use; "" until negotiated */
	bool version_fixed; /* BERTH_API_VERSION / DOCKER_API_VERSION: no negotiation */
	bool pinged;
};

/* -H/--host, read when the client resolves its address on first use. */
extern const char *cli_arg_host;

/* Resolve the daemon address: host (from -H) or $BERTH_HOST, $DOCKER_HOST, the
 * default. A zeroed client resolves itself (with cli_arg_host) on first use. */
int cli_client_init(struct cli_client *c, const char *host, struct berth_error **err);
void cli_client_done(struct cli_client *c);
/* Ping and negotiate the API version (done once; later calls return 0). */
int cli_client_ping(struct cli_client *c, struct berth_error **err);
/* Whether the negotiated API version is at least v ("1.42"). */
bool cli_client_version_at_least(struct cli_client *c, const char *v);
/* Compare two "X.Y" versions like strcmp. */
int cli_version_cmp(const char *a, const char *b);

struct cli_request {
	const char *method;
	const char *path;  /* without the version prefix, with the query */
	json_object *body; /* JSON body or NULL */
	int body_fd;	   /* chunked body read from this descriptor, or -1 */
	/* or a chunked body written by this callback (cli_http_send_chunk) */
	int (*body_writer)(struct cli_http_conn *conn, void *data, struct berth_error **err);
	void *body_writer_data;
	const char *content_type; /* of body_fd's data */
	const char *headers;	  /* extra "Name: value\r\n" lines */
	bool hijack;		  /* ask for the raw stream (101 UPGRADED) */
};
#define CLI_REQUEST(m, p) ((struct cli_request){ .method = (m), .path = (p), .body_fd = -1 })

/* Send req on a new connection and read the response head. Statuses >= 400
 * (and anything but 101 when hijacking) are errors; the body is then read for
 * the daemon's message. */
int cli_api_request(struct cli_client *c, const struct cli_request *req,
		    struct cli_http_response **ret, struct berth_error **err);
/* A request whose whole response is read; *ret_json gets the parsed JSON body
 * (NULL when empty) when ret_json is not NULL; ret_status gets the status. */
int cli_api_call(struct cli_client *c, const char *method, const char *path, json_object *body,
		 json_object **ret_json, struct berth_error **err);
int cli_api_call_status(struct cli_client *c, const char *method, const char *path,
			json_object *body, int *ret_status, json_object **ret_json,
			struct berth_error **err);
/* Read a JSON message stream (pull, load, import): one object per line,
 * each passed to cb; an "errorDetail" message ends it with that error. */
typedef int (*cli_json_message_cb)(json_object *msg, void *data, struct berth_error **err);
int cli_api_read_messages(struct cli_http_response *r, cli_json_message_cb cb, void *data,
			  struct berth_error **err);

/* URL building: query values (Go's url.QueryEscape) and path segments. */
char *cli_query_escape(const char *s);
char *cli_path_escape(const char *s);
/* Append "&key=escaped(value)" (or "?key=..." for the first) to *url. */
void cli_url_add(char **url, const char *key, const char *value);
/* Compact JSON text with no escaped slashes. */
const char *cli_json_text(json_object *o);

#endif
