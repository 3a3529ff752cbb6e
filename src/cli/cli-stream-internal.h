/* berth CLI: container output streams and the hijacked connection.
 *
 * Non-tty output comes in docker's stdcopy frames (8-byte header: stream
 * 1 stdout, 2 stderr, 0 stdin, 3 system error; big-endian length), tty
 * output raw. The pump copies stdin to the connection (half-closing it at
 * EOF) and the connection to stdout/stderr until the daemon closes it,
 * delivering chosen signals to a callback in between (signal proxy, resize).
 */
#ifndef BERTH_CLI_STREAM_INTERNAL_H
#define BERTH_CLI_STREAM_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli-http-internal.h"

struct cli_stdcopy {
	uint8_t head[8];
	size_t head_len;
	uint32_t left; /* payload bytes left in the current frame */
	int stream;
	int out_fd, err_fd;
	char *syserr; /* a system error frame's text */
	size_t syserr_len;
};

void cli_stdcopy_init(struct cli_stdcopy *s, int out_fd, int err_fd);
void cli_stdcopy_done(struct cli_stdcopy *s);
/* Demultiplex len bytes; frames may span calls. A system-error frame or an
 * unknown stream type ends with an error. */
int cli_stdcopy_feed(struct cli_stdcopy *s, const void *data, size_t len, struct berth_error **err);
/* Copy a whole response body to stdout (tty) or through the demultiplexer. */
int cli_stream_copy_body(struct cli_http_response *r, bool tty, struct berth_error **err);

typedef void (*cli_signal_cb)(int sig, void *data);

struct cli_pump {
	struct cli_http_conn *conn; /* the hijacked connection (not owned) */
	bool tty;		    /* raw output, else stdcopy frames */
	int in_fd;		    /* copied to the connection; -1: half-close at once */
	const char *detach_keys;    /* noticed in the input ("ctrl-p,ctrl-q") */
	const int *signals;	    /* 0-terminated; delivered to on_signal */
	cli_signal_cb on_signal;
	void *data;
	bool detached; /* out: the detach keys were typed */
};

int cli_pump_run(struct cli_pump *p, struct berth_error **err);

/* Terminal handling for -t: raw mode on fd, restored by cli_tty_restore. */
int cli_tty_raw(int fd);
void cli_tty_restore(void);
/* Rows and columns of the terminal on fd, 0 when not a terminal. */
int cli_tty_size(int fd, unsigned *ret_rows, unsigned *ret_cols);
/* Parse "ctrl-p,ctrl-q" (docker's detach keys) into bytes; -EINVAL when invalid. */
int cli_detach_keys_parse(const char *s, char *buf, size_t size, size_t *ret_len);

#endif
