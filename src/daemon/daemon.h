/* berthd: the daemon's shared state and the contracts between its files.
 *
 * One process, one epoll loop (src/http), no threads. Handlers (api-*.c)
 * answer Docker Engine API requests; containers are driven through their
 * monitors (monitor-conn.c); records live in SQLite (state-db.c) and are
 * mirrored in memory for fast listing. Every state change is written to the
 * database before it is acknowledged to a client.
 */
#ifndef BERTH_DAEMON_H
#define BERTH_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "http.h"
#include "image.h"
#include "json-util.h"
#include "state-db.h"
#include "networks-options.h"
#include "store.h"

#define BERTH_API_VERSION     "1.45"
#define BERTH_API_VERSION_NUM 145
#define BERTH_API_MIN_VERSION "1.24"

struct container;
struct image_rec;

struct runtime_entry {
	char *name;
	char *path;
};

struct daemon {
	struct http_loop *loop;
	struct http_server *server;
	struct http_router *router;
	struct state_db *db;
	struct blob_store *blobs;
	struct layer_store *layers;
	char *data_root;
	char *exec_root;
	char *host;	    /* unix socket path */
	char *monitor_path; /* berth-monitor */
	char *init_path;    /* berth-init, for --init */
	struct runtime_entry *runtimes;
	size_t n_runtimes;
	char *default_runtime;
	char *cgroup_parent;   /* containers' cgroups go under it: "/berth" */
	char *id;	       /* daemon id for /info */
	char *seccomp_profile; /* Docker's default profile (JSON text) */
	/* registry options (api-registry.c) */
	char **insecure_registries; /* --insecure-registry */
	char **registry_mirrors;    /* --registry-mirror */
	unsigned max_downloads, max_uploads;
	struct networks *networks;   /* networks.c's state */
	struct net_options net_opts; /* networks-options.h; parsed in daemon-main.c */
	/* in memory */
	struct container **containers;
	size_t n_containers;
	struct image_rec **images;
	size_t n_images;
	uint64_t started_ns;
};

extern struct daemon *the_daemon;

/* ---- images (images.c) ---- */

struct image_rec {
	char *id; /* config digest */
	char *manifest_digest;
	int64_t created; /* unix seconds, from the config */
	uint64_t size;
	char *config_json; /* the config blob's text */
	struct image_config *config;
	char **chain_ids; /* bottom first */
	char **layer_blobs;
	size_t n_layers;
	char **tags; /* normalized refs pointing here */
	/* "domain/path@digest" refs of the pulled manifest or index (what the
	 * tag resolved to in a registry), docker's RepoDigests */
	char **repo_digests;
	/* Deleted while containers still use it (docker keeps their layers):
	 * invisible but to its full id, dropped once no container uses it. */
	bool removed;
};

int images_load_all(struct daemon *d, struct berth_error **err);
/* Resolve a name, tag, id, id prefix or digest to an image; NULL + -ENOENT
 * with docker's message "No such image: X". */
int image_lookup(struct daemon *d, const char *name, struct image_rec **ret,
		 struct berth_error **err);
int image_record(struct daemon *d, const struct image_archive_item *item, char **tags,
		 struct berth_error **err);
int image_tag(struct daemon *d, struct image_rec *img, const char *ref, struct berth_error **err);
/* Add a "domain/path@digest" repo digest (after a pull or push); one per
 * repository, as docker keeps. */
int image_add_repo_digest(struct daemon *d, struct image_rec *img, const char *ref,
			  struct berth_error **err);
bool image_in_use(struct daemon *d, const struct image_rec *img);
/* Delete an image record, then the layers and blobs no image uses any more;
 * *ret_layers (if given) gets the chain ids of the layers removed. */
int image_remove(struct daemon *d, struct image_rec *img, char ***ret_layers,
		 struct berth_error **err);
/* Layers no image uses any more: remove them (at start). */
void images_gc_layers(struct daemon *d);
/* Blobs no image uses any more (after a failed load or import). */
void images_gc_blobs(struct daemon *d);
/* How many images exist for the API (not the ones kept only for containers). */
size_t images_visible(struct daemon *d);
char *image_familiar_tag(const char *ref);

/* ---- helpers ---- */

/* 64 random hex digits. */
void random_id(char buf[static 65]);
int64_t now_unix_ns(void);
/* RFC 3339 with nanoseconds from unix ns; "0001-01-01T00:00:00Z" for 0. */
char *time_rfc3339(int64_t ns);
/* Map a berth_error to the HTTP status of docker (404, 409, 400, 500...). */
int api_status_of(const struct berth_error *err);
void api_respond_error(struct http_request *req, struct berth_error *err);

/* ---- API registration (api-*.c) ---- */

void api_system_register(struct daemon *d, struct http_router *r);
void api_images_register(struct daemon *d, struct http_router *r);
void api_containers_register(struct daemon *d, struct http_router *r);
void api_exec_register(struct daemon *d, struct http_router *r);
void api_events_register(struct daemon *d, struct http_router *r);
/* An event for GET /events (api-events.c): type "container", "image"...,
 * action "start", "die"..., the actor's id and attributes (taken; NULL: none). */
void api_event(struct daemon *d, const char *type, const char *action, const char *id,
	       json_object *attrs);
void api_top_register(struct http_router *r);
/* Pull, push, login (api-registry.c). */
void api_registry_register(struct daemon *d, struct http_router *r);
void images_pull(struct daemon *d, struct http_request *req);
void images_push(struct daemon *d, struct http_request *req, const char *name);
/* /info's RegistryConfig (registry-job.c). */
json_object *registry_config_json(struct daemon *d);
/* A log max-size ("10m", "512k", "1g", "100", "2kb"): bytes, or -1 if invalid. */
int64_t log_size_parse(const char *s);
/* Last: known Docker API paths berth has not built answer "not supported yet". */
void api_unsupported_register(struct http_router *r);

#endif
