/* berth-monitor's byte paths: the output of the container (or of an exec)
 * fans out to the json-file log and to attach clients; client input goes to a
 * stdin sink. Nothing here blocks: clients have bounded output buffers and are
 * dropped when they fall too far behind; the container is never throttled.
 * Objects live in the loop of struct monitor (monitor-internal.h). */
#ifndef BERTH_MONITOR_IO_INTERNAL_H
#define BERTH_MONITOR_IO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct monitor;
struct mon_watch;
typedef void (*mon_watch_fn)(struct monitor *m, struct mon_watch *w, uint32_t events);

/* A descriptor registered in the loop; fd is -1 once it was removed. */
struct mon_watch {
	int fd;
	uint32_t events;
	mon_watch_fn fn;
};

#define MON_CLIENT_BUF_MAX (1024 * 1024) /* a client further behind is dropped */
#define MON_SINK_BUF_MAX   (64 * 1024)	 /* stdin buffered before clients are paused */
#define MON_LOG_LINE_MAX   (16 * 1024)	 /* docker's partial-line size */
#define MON_STREAM_STDOUT  1
#define MON_STREAM_STDERR  2

struct mon_buf {
	char *data;
	size_t off, len, cap;
};
void mon_buf_append(struct mon_buf *b, const void *p, size_t n);
/* Write without blocking: 0 when the buffer is empty afterwards, 1 when bytes
 * remain, negative errno on a write error. */
int mon_buf_flush(struct mon_buf *b, int fd);
void mon_buf_free(struct mon_buf *b);

/* Where stdin goes: a pipe's write end or a dup of the pty master. */
struct mon_sink {
	struct mon_watch w;
	struct mon_buf buf;
	struct mon_fanout *fan;
	bool tty;
	bool close_when_empty;
};

/* One producer's consumers: the log (container only) and the attach clients
 * whose fan points here. */
struct mon_fanout {
	struct mon_log *log;
	struct mon_sink *sink; /* NULL: no stdin */
	bool stdin_once;       /* a client's stdin EOF closes the sink */
};

/* A read end of the container's (or an exec's) stdout, stderr or pty. */
struct mon_source {
	struct mon_watch w;
	int stream;
	struct mon_fanout *fan;
};

struct mon_client {
	struct mon_watch w;
	struct mon_client *next; /* every client of the monitor */
	struct mon_fanout *fan;	 /* NULL once its producer is gone */
	struct mon_replay *replay;
	struct mon_buf out;
	unsigned flags; /* MON_ATTACH_* */
	unsigned char keys[16];
	size_t nkeys, matched;
	bool input_done, closing;
};

int mon_sink_open(struct monitor *m, struct mon_sink *s, int fd, bool tty, struct mon_fanout *fan);
void mon_sink_write(struct monitor *m, struct mon_sink *s, const void *p, size_t n);
/* stdin-once: close a pipe (after its buffer drained), or type VEOF on a pty. */
void mon_sink_eof(struct monitor *m, struct mon_sink *s);
void mon_sink_close(struct monitor *m, struct mon_sink *s);

int mon_source_open(struct monitor *m, struct mon_source *s, int fd, int stream,
		    struct mon_fanout *fan);
void mon_source_close(struct monitor *m, struct mon_source *s);
bool mon_source_is_open(const struct mon_source *s);

/* Take a client socket (fd is owned from here on); fan NULL: the producer is
 * gone (only a log replay). keys: docker's detach key spec, NULL for
 * ctrl-p,ctrl-q. */
void mon_client_add(struct monitor *m, struct mon_fanout *fan, int fd, unsigned flags,
		    const char *keys);
/* Queue output for one client, framed for it (stdcopy or raw). */
void mon_client_send(struct monitor *m, struct mon_client *c, int stream, const void *p, size_t n);
/* Close after the queued output (and a log replay) went out. */
void mon_client_finish(struct monitor *m, struct mon_client *c);
void mon_client_drop(struct monitor *m, struct mon_client *c);
void mon_client_update(struct monitor *m, struct mon_client *c);
bool mon_client_wants(const struct mon_client *c, int stream);

void mon_fanout_output(struct monitor *m, struct mon_fanout *f, int stream, const char *p,
		       size_t n);
/* The producer is done: every client is finished and detached from f. */
void mon_fanout_finish(struct monitor *m, struct mon_fanout *f);
void mon_fanout_resume(struct monitor *m, struct mon_fanout *f);

/* json-file log (monitor-log.c); max_size 0 = no rotation. */
int mon_log_open(const char *path, uint64_t max_size, int max_file, struct mon_log **ret);
void mon_log_write(struct monitor *m, struct mon_log *l, int stream, const char *p, size_t n);
/* The stream ended: its partial line becomes an entry of its own. */
void mon_log_flush(struct monitor *m, struct mon_log *l, int stream);
const char *mon_log_path(const struct mon_log *l);
int mon_log_max_file(const struct mon_log *l);
/* Bytes of a stream not yet in the file (a partial line). */
void mon_log_pending(const struct mon_log *l, int stream, const char **p, size_t *n);
void mon_log_free(struct mon_log *l);

/* Log replay for MON_ATTACH_LOGS (monitor-replay.c). */
void mon_replay_start(struct monitor *m, struct mon_client *c);
/* Send more of the replay; at its end, switch the client to live output. */
void mon_replay_pump(struct monitor *m, struct mon_client *c);
/* The log rotated: replays continue into the new file. */
void mon_replay_rotated(struct monitor *m, struct mon_fanout *f);
void mon_replay_free(struct mon_replay *r);

/* JSON strings (monitor-json.c), escaped the way docker's json-file does. */
void mon_json_escape(struct mon_buf *b, const char *p, size_t n);
/* Decode the string body at p (after the opening quote) into out; returns the
 * bytes consumed including the closing quote, or -EINVAL. */
int mon_json_unescape(const char *p, size_t n, struct mon_buf *out);
void mon_time_format(char buf[static 40], int64_t ns);

#endif
