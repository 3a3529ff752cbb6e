/* Images in the Engine API's JSON shapes. */
#ifndef BERTH_DAEMON_IMAGE_JSON_H
#define BERTH_DAEMON_IMAGE_JSON_H

#include "daemon.h"

json_object *image_config_api_json(const struct image_config *c);
json_object *image_summary_json(const struct image_rec *img, int containers);
json_object *image_inspect_json(struct daemon *d, const struct image_rec *img);
json_object *image_history_json(struct daemon *d, const struct image_rec *img);

#endif
