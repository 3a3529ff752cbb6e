/* Capabilities and process credentials for the container's process. */
#ifndef BERTH_RUNTIME_CAPS_INTERNAL_H
#define BERTH_RUNTIME_CAPS_INTERNAL_H

#include "spec-internal.h"

/* Drop everything outside caps->bounding from the bounding set. Needs CAP_SETPCAP. */
int caps_apply_bounding(const struct rt_caps *caps, struct berth_error **err);
/* Set effective, permitted and inheritable sets, then raise ambient ones. Called
 * after the uid change (PR_SET_KEEPCAPS keeps permitted across it). */
int caps_apply_sets(const struct rt_caps *caps, struct berth_error **err);
/* Switch to the process user: groups, gid, uid (keeping capabilities). */
int caps_set_user(const struct rt_user *user, bool setgroups_allowed, struct berth_error **err);

#endif
