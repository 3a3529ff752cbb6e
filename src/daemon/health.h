/* Health checks: docker's HEALTHCHECK for running containers.
 *
 * The config is Config.Healthcheck (Test, Interval, Timeout, StartPeriod,
 * StartInterval, Retries; durations in ns), merged at create with the image's
 * field by field (health-state.c). While a container runs and is not paused,
 * a timer on berthd's loop starts a probe: an exec of the test command run by
 * the container's monitor (as `docker exec`), its output read from a socket
 * (at most 4096 bytes kept), killed after Timeout (health.c). Results go to
 * c->health: Status "starting", "healthy" or "unhealthy", FailingStreak and
 * the last 5 results, stored with the container's record, shown in inspect
 * (State.Health) and ps, with "health_status: X" events as dockerd sends.
 *
 * Semantics follow dockerd: the first probe comes one interval after the
 * start (StartInterval during StartPeriod while starting); failures during
 * StartPeriod do not count until a probe has succeeded; Retries failures in a
 * row make it unhealthy; stopping (or pausing) a probed container leaves it
 * "unhealthy"; a (re)start, and a daemon restart, reset it to "starting" with
 * its log kept. Nothing here blocks the loop. */
#ifndef BERTH_DAEMON_HEALTH_H
#define BERTH_DAEMON_HEALTH_H

#include "container.h"

struct ct_health;

/* ---- config (health-state.c) ---- */

/* dockerd's validateHealthCheck on Config.Healthcheck (400 errors). */
int health_config_check(json_object *cfg, struct berth_error **err);
/* The image's HEALTHCHECK under the container's: each field the container
 * leaves unset (zero, empty Test) comes from the image (also under "NONE", as
 * dockerd's merge); then in dockerd's field order, unset fields left out. */
void health_config_merge(json_object *cfg, const struct image_config *ic);
/* Whether c has a probe: Test is "CMD" or "CMD-SHELL" (not absent, "NONE" or
 * an unknown type, as dockerd's getProbe). */
bool health_has_probe(const struct container *c);
/* The probe's command: Test's arguments, after Config.Shell (or /bin/sh -c)
 * for "CMD-SHELL"; possibly empty. Only when health_has_probe. */
char **health_probe_argv(const struct container *c);

/* ---- state (health-state.c) ---- */

/* State.Health for inspect (docker's shape), NULL without health state. */
json_object *health_inspect_json(const struct container *c);
/* The same with ns times, for the container's record. */
json_object *health_record_json(const struct container *c);
/* Read back from a record (o may be NULL). */
void health_record_load(struct container *c, json_object *o);
/* "starting", "healthy", "unhealthy", or "none" without health state. */
const char *health_status_name(const struct container *c);
/* ps's suffix: "health: starting", "healthy", "unhealthy"; NULL without. */
const char *health_status_text(const struct container *c);

/* ---- the runner (health.c): hooks of the container's life ---- */

/* Started or restarted: "starting", failing streak 0, probes scheduled. */
void health_container_started(struct daemon *d, struct container *c);
/* Found running again after a daemon restart: as a start (dockerd's restore). */
void health_container_restored(struct daemon *d, struct container *c);
/* Exited: probes stopped, "unhealthy" if they were running (dockerd). */
void health_container_stopped(struct daemon *d, struct container *c);
/* Paused or unpaused (c->status already changed): probes stop or resume. */
void health_container_paused(struct daemon *d, struct container *c);
/* The container is forgotten: timers cancelled, state freed. */
void health_free(struct daemon *d, struct container *c);

/* The monitor's exec reports: true when exec_id is one of our probes. */
bool health_on_exec_started(struct daemon *d, struct container *c, const char *exec_id, pid_t pid);
bool health_on_exec_exited(struct daemon *d, struct container *c, const char *exec_id, int code);
bool health_on_exec_failed(struct daemon *d, struct container *c, const char *exec_id, int code,
			   const char *msg);

#endif
