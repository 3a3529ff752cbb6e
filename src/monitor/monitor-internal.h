/* berth-monitor internals: one process, one epoll loop, no threads.
 *
 * The container's lifecycle (monitor-container.c), execs (monitor-exec.c) and
 * control connections (monitor-ctl.c) run on the loop of monitor-loop.c,
 * which also reaps every child (the monitor is a subreaper). Objects that a
 * callback removes are unlinked at once and freed after the loop iteration. */
#ifndef BERTH_MONITOR_INTERNAL_H
#define BERTH_MONITOR_INTERNAL_H

#include <sys/types.h>

#include "common.h"
#include "monitor.h"
#include "monitor-io-internal.h"

#define MON_CLIENTS_MAX	  64
#define MON_CTLS_MAX	  16
#define MON_EXECS_MAX	  64
#define MON_DRAIN_MS	  2000	/* output read after the init died */
#define MON_EXEC_DRAIN_MS 500	/* output read after an exec died */
#define MON_LINGER_MS	  10000 /* wait for execs and clients after the exit */

struct mon_args {
	const char *id, *runtime, *runtime_root, *bundle, *dir, *log_path;
	bool tty, open_stdin, stdin_once, debug;
	uint64_t log_max_size;
	int log_max_file;
	int control_fd;
	int *attach_fds;
	unsigned *attach_flags;
	char **attach_keys; /* detach keys of each, or NULL: the default */
	size_t n_attach;
};

struct mon_ctl {
	struct mon_watch w;
	struct mon_ctl *next;
	bool subscribed; /* gets events: the control fd, or after MON_HELLO */
};

typedef void (*mon_child_fn)(struct monitor *m, void *data, int status);
struct mon_child {
	pid_t pid;
	mon_child_fn fn;
	void *data;
	struct mon_child *next;
};

struct monitor {
	struct mon_args a;
	int epfd;
	struct mon_watch sig_w, listen_w;
	enum mon_state state;
	pid_t init_pid;
	int exit_code;
	bool oom, reaped, deleting, deleted, done;
	int64_t finished_ns;
	uint64_t drain_until, linger_until; /* monotonic ms, 0 = unset */
	char *error, *oom_file;
	struct mon_fanout fan;
	struct mon_source out[2];
	struct mon_sink in;
	struct mon_ctl *ctls, *dead_ctls;
	struct mon_exec *execs, *dead_execs;
	struct mon_client *clients, *dead_clients;
	struct mon_child *children;
	unsigned n_ctls, n_execs, n_clients;
	struct {
		pid_t pid;
		int status;
	} orphans[16];
	unsigned n_orphans;
};

/* monitor-loop.c */
int mon_loop_init(struct monitor *m);
int mon_watch_add(struct monitor *m, struct mon_watch *w, int fd, uint32_t events, mon_watch_fn fn);
void mon_watch_set(struct monitor *m, struct mon_watch *w, uint32_t events);
/* Remove from the loop and close the descriptor. */
void mon_watch_close(struct monitor *m, struct mon_watch *w);
int mon_loop_run(struct monitor *m);
uint64_t mon_now_ms(void);
int64_t mon_now_ns(void);
/* A status the reaper saw for a pid nobody was waiting for yet. */
bool mon_orphan_take(struct monitor *m, pid_t pid, int *ret_status);
int mon_status_code(int status);

/* monitor-proc.c: the runtime's commands. */
char **mon_runtime_argv(const struct monitor *m, const char *log_file, const char *cmd);
int mon_spawn(struct monitor *m, char **argv, const int fds[3], pid_t *ret_pid);
void mon_child_watch(struct monitor *m, pid_t pid, mon_child_fn fn, void *data);
int mon_run_sync(struct monitor *m, char **argv, const int fds[3], int *ret_status);
/* The runtime's last error from its JSON log, and docker's exit code for it. */
char *mon_runtime_error(const char *log_file, int status, int *ret_code);
int mon_pid_file_read(const char *path, pid_t *ret);
int mon_console_listen(const char *path, int *ret_fd);
int mon_console_recv(int listen_fd, int *ret_master);
int mon_write_file(const char *name, const char *text);

/* monitor-container.c */
int mon_container_start(struct monitor *m);
void mon_container_reaped(struct monitor *m, int status);
int64_t mon_container_tick(struct monitor *m);
void mon_container_resize(struct monitor *m, int h, int w);
__attribute__((noreturn)) void mon_exit_now(struct monitor *m, int code);

/* monitor-exec.c */
void mon_exec_request(struct monitor *m, unsigned flags, const char *text, int fd);
void mon_exec_resize(struct monitor *m, const char *id, int h, int w);
bool mon_exec_reaped(struct monitor *m, pid_t pid, int status);
int64_t mon_exec_tick(struct monitor *m);
void mon_exec_sweep(struct monitor *m);

/* monitor-ctl.c */
int mon_ctl_add(struct monitor *m, int fd, bool subscribed);
int mon_ctl_listen(struct monitor *m);
void mon_ctl_event(struct monitor *m, enum mon_msg_type type, int a, int b, int c, int64_t ns,
		   const char *text);
void mon_ctl_sweep(struct monitor *m);
void mon_client_sweep(struct monitor *m);

#endif
