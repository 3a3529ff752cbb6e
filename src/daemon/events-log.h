/* The event history on disk, so that `events --since` still answers after
 * berthd restarts (docker forgets its events; the issue asks for history).
 *
 * Events are appended as JSON lines to <data-root>/events.log. When it holds
 * `keep` lines it becomes events.log.1 (the previous .1 is dropped) and a new
 * file starts, so the two files hold between keep and 2*keep events and the
 * history costs one write() per event. A line torn by a crash is skipped when
 * the files are read back. No fsync: losing the last events in a power cut
 * is acceptable, a slower start path is not. */
#ifndef BERTH_DAEMON_EVENTS_LOG_H
#define BERTH_DAEMON_EVENTS_LOG_H

#include <stddef.h>

#include "json-util.h"

struct events_log;

/* Open (creating) the log in dir; *ret_msgs gets the last `keep` events
 * read back, oldest first (each a new reference; the array is the caller's). */
int events_log_open(const char *dir, size_t keep, struct events_log **ret, json_object ***ret_msgs,
		    size_t *ret_n);
void events_log_append(struct events_log *l, json_object *msg);
struct events_log *events_log_free(struct events_log *l);

#endif
