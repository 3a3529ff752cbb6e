/* Between health.c (the runner) and health-state.c (config, state, JSON). */
#ifndef BERTH_DAEMON_HEALTH_INTERNAL_H
#define BERTH_DAEMON_HEALTH_INTERNAL_H

#include "health.h"

#define HEALTH_LOG_MAX	  5    /* results kept (dockerd's maxLogEntries) */
#define HEALTH_OUTPUT_MAX 4096 /* output bytes kept per result (maxOutputLen) */

/* dockerd's defaults */
#define HEALTH_DEFAULT_INTERVAL	      (30LL * 1000000000LL)
#define HEALTH_DEFAULT_TIMEOUT	      (30LL * 1000000000LL)
#define HEALTH_DEFAULT_START_INTERVAL (5LL * 1000000000LL)
#define HEALTH_DEFAULT_RETRIES	      3
#define HEALTH_START_TIMEOUT_MS	      30000 /* for the exec to start */

enum health_status {
	HEALTH_STARTING,
	HEALTH_HEALTHY,
	HEALTH_UNHEALTHY,
	HEALTH_STATUS_MAX,
};

struct health_result {
	int64_t start_ns, end_ns;
	int exit_code;
	char *output; /* output_len bytes (NULs kept, as dockerd), then a NUL */
	size_t output_len;
};

struct health_probe;

struct ct_health {
	enum health_status status;
	int failing_streak;
	struct health_result log[HEALTH_LOG_MAX]; /* oldest first */
	size_t n_log;
	bool open;		     /* probes scheduled: running and not paused */
	uint64_t timer;		     /* the next probe */
	char *proc_path;	     /* the probe's OCI process file, written once per run */
	struct health_probe *probes; /* the current one, and timed-out ones until they exit */
	struct health_probe *cur;
};

/* c->health, made on first use ("starting", no results). */
struct ct_health *health_get(struct container *c);
/* Append a result (its output taken), dropping the oldest beyond HEALTH_LOG_MAX. */
void health_log_add(struct ct_health *h, struct health_result *r);
void health_state_free(struct ct_health *h);
/* A duration of Config.Healthcheck in ns, def when unset or zero. */
int64_t health_config_duration(const struct container *c, const char *key, int64_t def);
int health_config_retries(const struct container *c);
/* Go's time.Duration String(): "30s", "1.5s", "500ms", "1m30s". */
char *health_go_duration(int64_t ns);

#endif
