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

#endif
