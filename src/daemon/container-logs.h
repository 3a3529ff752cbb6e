/* GET /containers/{id}/logs (container-logs.c). */
#ifndef BERTH_DAEMON_CONTAINER_LOGS_H
#define BERTH_DAEMON_CONTAINER_LOGS_H

#include "container.h"

void container_logs(struct daemon *d, struct container *c, struct http_request *req);

#endif
