/* The daemon's state database: SQLite in WAL mode at <data-root>/state.db.
 * Images, tags, containers and networks; every state change is one transaction, so a
 * daemon killed at any point leaves the database consistent. Records are
 * small JSON documents the daemon owns; this layer only stores them. */
#ifndef BERTH_DAEMON_STATE_DB_H
#define BERTH_DAEMON_STATE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"

struct state_db;

int state_db_open(const char *path, struct state_db **ret, struct berth_error **err);
struct state_db *state_db_free(struct state_db *db);
int state_db_begin(struct state_db *db, struct berth_error **err);
int state_db_commit(struct state_db *db, struct berth_error **err);
void state_db_rollback(struct state_db *db);

/* Images: id = config digest; doc = the daemon's image record (JSON). */
int db_image_put(struct state_db *db, const char *id, const char *doc, struct berth_error **err);
int db_image_get(struct state_db *db, const char *id, char **ret_doc, struct berth_error **err);
int db_image_delete(struct state_db *db, const char *id, struct berth_error **err);
typedef int (*db_row_cb)(const char *key, const char *value, void *data);
int db_image_foreach(struct state_db *db, db_row_cb cb, void *data, struct berth_error **err);

/* Tags: a normalized reference ("docker.io/library/busybox:latest") -> image id. */
int db_tag_set(struct state_db *db, const char *ref, const char *image_id,
	       struct berth_error **err);
int db_tag_delete(struct state_db *db, const char *ref, struct berth_error **err);
int db_tag_get(struct state_db *db, const char *ref, char **ret_id, struct berth_error **err);
int db_tag_foreach(struct state_db *db, db_row_cb cb, void *data, struct berth_error **err);

/* Containers: id -> doc (JSON). Names are unique (a second one is -EEXIST). */
int db_container_put(struct state_db *db, const char *id, const char *name, const char *doc,
		     struct berth_error **err);
int db_container_delete(struct state_db *db, const char *id, struct berth_error **err);
int db_container_foreach(struct state_db *db, db_row_cb cb, void *data, struct berth_error **err);

/* Networks: id -> doc (JSON). Names are unique (a second one is -EEXIST). */
int db_network_put(struct state_db *db, const char *id, const char *name, const char *doc,
		   struct berth_error **err);
int db_network_delete(struct state_db *db, const char *id, struct berth_error **err);
int db_network_foreach(struct state_db *db, db_row_cb cb, void *data, struct berth_error **err);

#endif
