/* SQLite behind the daemon's records (see state-db.h). */
#define LOG_CATEGORY "db"
#include <sqlite3.h>
#include <string.h>

#include "state-db.h"

enum {
	ST_IMAGE_PUT,
	ST_IMAGE_GET,
	ST_IMAGE_DEL,
	ST_IMAGE_ALL,
	ST_TAG_SET,
	ST_TAG_DEL,
	ST_TAG_GET,
	ST_TAG_ALL,
	ST_CT_PUT,
	ST_CT_DEL,
	ST_CT_ALL,
	ST_NET_PUT,
	ST_NET_DEL,
	ST_NET_ALL,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_MAX,
};

struct state_db {
	sqlite3 *db;
	sqlite3_stmt *stmts[ST_MAX];
};

static const char *const sql[ST_MAX] = {
	/* an upsert: REPLACE deletes the row first, whose ON DELETE CASCADE
	 * took the image's tags with it (a pull or push adding a RepoDigest) */
	[ST_IMAGE_PUT] = ("INSERT INTO images (id, doc) VALUES (?1, ?2) "
			  "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc"),
	[ST_IMAGE_GET] = "SELECT doc FROM images WHERE id = ?1",
	[ST_IMAGE_DEL] = "DELETE FROM images WHERE id = ?1",
	[ST_IMAGE_ALL] = "SELECT id, doc FROM images ORDER BY rowid",
	[ST_TAG_SET] = "INSERT OR REPLACE INTO tags (ref, image_id) VALUES (?1, ?2)",
	[ST_TAG_DEL] = "DELETE FROM tags WHERE ref = ?1",
	[ST_TAG_GET] = "SELECT image_id FROM tags WHERE ref = ?1",
	[ST_TAG_ALL] = "SELECT ref, image_id FROM tags ORDER BY rowid",
	[ST_CT_PUT] = ("INSERT INTO containers (id, name, doc) VALUES (?1, ?2, ?3) "
		       "ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc"),
	[ST_CT_DEL] = "DELETE FROM containers WHERE id = ?1",
	[ST_CT_ALL] = "SELECT id, doc FROM containers ORDER BY rowid",
	[ST_NET_PUT] = ("INSERT INTO networks (id, name, doc) VALUES (?1, ?2, ?3) "
			"ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc"),
	[ST_NET_DEL] = "DELETE FROM networks WHERE id = ?1",
	[ST_NET_ALL] = "SELECT id, doc FROM networks ORDER BY rowid",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"PRAGMA foreign_keys=ON;"
	"CREATE TABLE IF NOT EXISTS images (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tags (ref TEXT PRIMARY KEY, image_id TEXT NOT NULL "
	"  REFERENCES images(id) ON DELETE CASCADE);"
	"CREATE TABLE IF NOT EXISTS containers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
	"  doc TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
	"  doc TEXT NOT NULL);";

static int db_error(struct state_db *db, int rc, const char *what, struct berth_error **err)
{
	int e = rc == SQLITE_CONSTRAINT ? EEXIST : rc == SQLITE_FULL ? ENOSPC : EIO;

	(void)berth_error_set(err, 0, e == EEXIST ? BERTH_ERR_CONFLICT : BERTH_ERR_INTERNAL,
			      "state database: %s: %s", what, sqlite3_errmsg(db->db));
	return -e;
}

int state_db_open(const char *path, struct state_db **ret, struct berth_error **err)
{
	struct state_db *db = xzalloc(sizeof(*db));
	int rc = sqlite3_open_v2(path, &db->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	char *msg = NULL;

	if (rc != SQLITE_OK) {
		int r = berth_error_set(err, 0, BERTH_ERR_INTERNAL, "open '%s': %s", path,
					db->db ? sqlite3_errmsg(db->db) : "out of memory");
		state_db_free(db);
		return r;
	}
	sqlite3_busy_timeout(db->db, 5000);
	if (sqlite3_exec(db->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		int r = berth_error_set(err, 0, BERTH_ERR_INTERNAL, "initialize '%s': %s", path,
					msg ? msg : "?");
		sqlite3_free(msg);
		state_db_free(db);
		return r;
	}
	for (int i = 0; i < ST_MAX; i++) {
		rc = sqlite3_prepare_v3(db->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&db->stmts[i], NULL);
		if (rc != SQLITE_OK) {
			int r = db_error(db, rc, sql[i], err);
			state_db_free(db);
			return r;
		}
	}
	*ret = db;
	return 0;
}

struct state_db *state_db_free(struct state_db *db)
{
	if (!db)
		return NULL;
	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(db->stmts[i]);
	sqlite3_close(db->db);
	free(db);
	return NULL;
}

/* Run a prepared statement with text parameters; rows go to cb (key, value). */
static int run(struct state_db *db, int which, const char *a, const char *b, const char *c,
	       db_row_cb cb, void *data, struct berth_error **err)
{
	sqlite3_stmt *st = db->stmts[which];
	const char *params[] = { a, b, c };
	int rc, r = 0;

	for (int i = 0; i < 3; i++)
		if (params[i])
			sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!cb)
			continue;
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = sqlite3_column_count(st) > 1
					? (const char *)sqlite3_column_text(st, 1)
					: NULL;
		if ((r = cb(k ? k : "", v ? v : "", data)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = db_error(db, rc, sql[which], err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r < 0 ? r : 0;
}

int state_db_begin(struct state_db *db, struct berth_error **err)
{
	return run(db, ST_BEGIN, NULL, NULL, NULL, NULL, NULL, err);
}

int state_db_commit(struct state_db *db, struct berth_error **err)
{
	return run(db, ST_COMMIT, NULL, NULL, NULL, NULL, NULL, err);
}

void state_db_rollback(struct state_db *db)
{
	(void)run(db, ST_ROLLBACK, NULL, NULL, NULL, NULL, NULL, NULL);
}

int db_image_put(struct state_db *db, const char *id, const char *doc, struct berth_error **err)
{
	return run(db, ST_IMAGE_PUT, id, doc, NULL, NULL, NULL, err);
}

static int take_first(const char *key, const char *value, void *data)
{
	(void)value;
	*(char **)data = xstrdup(key);
	return 1;
}

int db_image_get(struct state_db *db, const char *id, char **ret_doc, struct berth_error **err)
{
	char *doc = NULL;
	int r = run(db, ST_IMAGE_GET, id, NULL, NULL, take_first, &doc, err);

	if (r < 0)
		return r;
	if (!doc)
		return -ENOENT;
	*ret_doc = doc;
	return 0;
}

int db_image_delete(struct state_db *db, const char *id, struct berth_error **err)
{
	return run(db, ST_IMAGE_DEL, id, NULL, NULL, NULL, NULL, err);
}

int db_image_foreach(struct state_db *db, db_row_cb cb, void *data, struct berth_error **err)
{
	return run(db, ST_IMAGE_ALL, NULL, NULL, NULL, cb, data, err);
}

int db_tag_set(struct state_db *db, const char *ref, const char *image_id, struct berth_error **err)
{
	return run(db, ST_TAG_SET, ref, image_id, NULL, NULL, NULL, err);
}

int db_tag_delete(struct state_db *db, const char *ref, struct berth_error **err)
{
	return run(db, ST_TAG_DEL, ref, NULL, NULL, NULL, NULL, err);
}

int db_tag_get(struct state_db *db, const char *ref, char **ret_id, struct berth_error **err)
{
	char *id = NULL;
	int r = run(db, ST_TAG_GET, ref, NULL, NULL, take_first, &id, err);

	if (r < 0)
		return r;
	if (!id)
		return -ENOENT;
	*ret_id = id;
	return 0;
}

int db_tag_foreach(struct state_db *db, db_row_cb cb, void *data, struct berth_error **err)
{
	return run(db, ST_TAG_ALL, NULL, NULL, NULL, cb, data, err);
}

int db_container_put(struct state_db *db, const char *id, const char *name, const char *doc,
		     struct berth_error **err)
{
	return run(db, ST_CT_PUT, id, name, doc, NULL, NULL, err);
}

int db_container_delete(struct state_db *db, const char *id, struct berth_error **err)
{
	return run(db, ST_CT_DEL, id, NULL, NULL, NULL, NULL, err);
}

int db_container_foreach(struct state_db *db, db_row_cb cb, void *data, struct berth_error **err)
{
	return run(db, ST_CT_ALL, NULL, NULL, NULL, cb, data, err);
}

int db_network_put(struct state_db *db, const char *id, const char *name, const char *doc,
		   struct berth_error **err)
{
	return run(db, ST_NET_PUT, id, name, doc, NULL, NULL, err);
}

int db_network_delete(struct state_db *db, const char *id, struct berth_error **err)
{
	return run(db, ST_NET_DEL, id, NULL, NULL, NULL, NULL, err);
}

int db_network_foreach(struct state_db *db, db_row_cb cb, void *data, struct berth_error **err)
{
	return run(db, ST_NET_ALL, NULL, NULL, NULL, cb, data, err);
}
