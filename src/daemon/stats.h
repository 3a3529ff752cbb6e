/* Registration of the stats and update endpoints (api-stats.c,
 * api-update.c), kept out of daemon.h (at its size cap). */
#ifndef BERTH_DAEMON_STATS_H
#define BERTH_DAEMON_STATS_H

struct daemon;
struct http_router;

/* GET /containers/{id}/stats */
void api_stats_register(struct daemon *d, struct http_router *r);
/* POST /containers/{id}/update */
void api_update_register(struct daemon *d, struct http_router *r);
/* A container was removed: its stats streams end now, not at their next
 * tick, as dockerd ends them. */
void api_stats_container_removed(struct daemon *d, const char *id);

#endif
