/* Image load, save and import over the API (api-images-io.c). */
#ifndef BERTH_DAEMON_IMAGES_IO_H
#define BERTH_DAEMON_IMAGES_IO_H

#include "daemon.h"

/* POST /images/load: a docker-save or OCI tarball body. */
void images_load(struct daemon *d, struct http_request *req);
/* GET /images/get and /images/{name}/get: a docker-save tarball of names. */
void images_save(struct daemon *d, struct http_request *req, char **names);
/* POST /images/create: import (fromSrc) or pull (fromImage, api-registry.c). */
void images_create(struct daemon *d, struct http_request *req);

#endif
