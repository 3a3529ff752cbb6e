/* berth http: the event loop — one epoll loop per process, single-threaded
 * (no threads anywhere in the daemon). Everything that waits — sockets,
 * timers, child processes (pidfd), signals (signalfd) — is a callback on the
 * loop. Callbacks must not block; long work runs in child processes watched
 * with http_loop_watch_pid.
 */
#ifndef BERTH_HTTP_LOOP_H
#define BERTH_HTTP_LOOP_H

#include <stdint.h>
#include <sys/types.h>

#include "common.h"

struct http_loop;

typedef void (*http_fd_cb)(struct http_loop *l, int fd, uint32_t events, void *data);
typedef void (*http_timer_cb)(struct http_loop *l, void *data);
/* status: as from waitpid (WIFEXITED etc.). */
typedef void (*http_pid_cb)(struct http_loop *l, pid_t pid, int status, void *data);
typedef void (*http_signal_cb)(struct http_loop *l, int sig, void *data);

int http_loop_new(struct http_loop **ret, struct berth_error **err);
struct http_loop *http_loop_free(struct http_loop *l);
/* events: EPOLLIN, EPOLLOUT, EPOLLRDHUP... The fd is not owned. */
int http_loop_add_fd(struct http_loop *l, int fd, uint32_t events, http_fd_cb cb, void *data);
int http_loop_mod_fd(struct http_loop *l, int fd, uint32_t events);
void http_loop_del_fd(struct http_loop *l, int fd);
/* One-shot timer after ms milliseconds; returns an id (> 0) for cancel. */
uint64_t http_loop_add_timer(struct http_loop *l, uint64_t ms, http_timer_cb cb, void *data);
void http_loop_cancel_timer(struct http_loop *l, uint64_t id);
/* Call cb once when the child pid exits (pidfd; the loop reaps it). */
int http_loop_watch_pid(struct http_loop *l, pid_t pid, http_pid_cb cb, void *data);
/* Deliver sig through the loop (signalfd); the signal is blocked for the process. */
int http_loop_on_signal(struct http_loop *l, int sig, http_signal_cb cb, void *data);
/* Run until http_loop_stop(); returns 0, or a negative errno if epoll fails. */
int http_loop_run(struct http_loop *l);
void http_loop_stop(struct http_loop *l);
uint64_t http_loop_now_ms(struct http_loop *l); /* monotonic, cached per iteration */

#endif
