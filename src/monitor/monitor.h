/* berth-monitor: one small process per running container (libc only).
 *
 * berthd starts it for `start`; it outlives berthd. It runs the OCI runtime's
 * `create` and `start`, becomes the container init's parent (subreaper),
 * holds the container's stdio (pipes, or the pty master received on a
 * console socket), writes the json-file log, serves attach and exec clients
 * (the daemon hands it their hijacked HTTP sockets with SCM_RIGHTS), and
 * records the exit status in a file before it exits. After the container
 * exits and its execs are done, it runs the runtime's `delete` and exits.
 *
 * Command line (all paths absolute):
 *   berth-monitor --id ID --runtime PATH --runtime-root DIR --bundle DIR
 *                 --dir DIR [--tty] [--stdin] [--stdin-once]
 *                 [--log FILE --log-max-size BYTES --log-max-file N]
 *                 [--control-fd N] [--attach FD:FLAGS]...
 * DIR (exec root/containers/<id>) receives: monitor.sock (SOCK_SEQPACKET,
 * mode 0600), monitor.pid, init.pid, runtime.log, exit, exec-<execid>.exit.
 * --control-fd is the daemon's end of a socketpair it keeps; after a daemon
 * restart the daemon connects to monitor.sock instead and sends MON_HELLO.
 * --attach passes attach clients that were waiting before start (flags:
 * MON_ATTACH_* bits), so that no output is lost.
 *
 * Files: "exit" is "<exit code> <finished unix ns> <oom 0|1>\n" (code is
 * 128+signal for a signal; 127/126 with an error line "error: TEXT" when the
 * runtime failed), written temp+rename before the monitor exits;
 * "exec-<id>.exit" is "<exit code>\n", written before the exec's client
 * stream is closed (docker reads the code right after the stream ends).
 */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include <stdint.h>

#define MON_SOCKET	     "monitor.sock"
#define MON_EXIT_FILE	     "exit"
#define MON_PID_FILE	     "monitor.pid"
#define MON_INIT_PID_FILE    "init.pid"
#define MON_RUNTIME_LOG	     "runtime.log"
#define MON_EXEC_EXIT_PREFIX "exec-"

/* Flags of an attach or exec client. */
enum {
	MON_ATTACH_STDIN = 1 << 0,
	MON_ATTACH_STDOUT = 1 << 1,
	MON_ATTACH_STDERR = 1 << 2,
	MON_ATTACH_LOGS = 1 << 3,   /* replay the log first (attach ?logs=1) */
	MON_ATTACH_STREAM = 1 << 4, /* then follow live output */
	MON_ATTACH_TTY = 1 << 5,    /* raw stream; otherwise 8-byte stdcopy frames */
	MON_ATTACH_DETACH = 1 << 6, /* exec: detached, no client */
};

enum mon_msg_type {
	/* daemon -> monitor */
	MON_HELLO = 1, /* a (re)connecting daemon; the monitor answers MON_STATE */
	MON_ATTACH,    /* a = flags; SCM_RIGHTS: the client socket; text: detach keys */
	MON_RESIZE,    /* a = height, b = width (the container's tty) */
	MON_EXEC, /* a = flags; text: "<execid> <process.json path>"; SCM_RIGHTS: client, unless
		     detached */
	MON_EXEC_RESIZE, /* a = height, b = width; text: execid */
	/* monitor -> daemon */
	MON_STATE,	  /* a = state (enum mon_state), b = pid, c = exit code; text: error */
	MON_STARTED,	  /* b = init pid */
	MON_START_FAILED, /* c = exit code (127 not found, 126 cannot run, 128 other); text: error
			   */
	MON_EXITED,	  /* c = exit code; a = 1 if OOM-killed */
	MON_EXEC_STARTED, /* b = pid; text: execid */
	MON_EXEC_EXITED,  /* c = exit code; text: execid */
	MON_EXEC_FAILED,  /* c = exit code; text: "<execid> <error>" */
	MON_MSG_TYPE_MAX,
};

enum mon_state {
	MON_STATE_STARTING = 1,
	MON_STATE_RUNNING,
	MON_STATE_EXITED,
};

/* Every message is one SOCK_SEQPACKET datagram: this header, then text
 * (NUL-terminated, at most MON_TEXT_MAX bytes including the NUL). */
#define MON_TEXT_MAX 4096
struct mon_msg {
	uint32_t type;
	int32_t a, b, c;
	int64_t time_ns; /* CLOCK_REALTIME of the event, for StartedAt/FinishedAt */
	char text[MON_TEXT_MAX];
};

#endif
