/* System endpoints: /_ping, /version, /info, /system/df, and the prune
 * endpoints of the kinds of objects berth has none of (networks, build
 * cache), which `docker system prune` calls. */
#define LOG_CATEGORY "api"
#include <dirent.h>
#include <ftw.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "api.h"
#include "volumes.h"
#include "container.h"
#include "image-json.h"

static void api_ping(struct daemon *d, struct http_request *req)
{
	(void)d;
	http_response_add_header(req, "Cache-Control", "no-cache, no-store, must-revalidate");
	http_response_add_header(req, "Pragma", "no-cache");
	http_response_add_header(req, "Builder-Version", "1");
	http_response_add_header(req, "Swarm", "inactive");
	http_respond(req, 200, "text/plain; charset=utf-8", "OK", 2);
}

static json_object *engine_details(void)
{
	struct utsname u;
	json_object *o = json_object_new_object();

	(void)uname(&u);
	jadd(o, "Version", jstr(BERTH_VERSION));
	jadd(o, "ApiVersion", jstr(BERTH_API_VERSION));
	jadd(o, "MinAPIVersion", jstr(BERTH_API_MIN_VERSION));
	jadd(o, "GitCommit", jstr("berth"));
	jadd(o, "GoVersion", jstr("n/a (C)"));
	jadd(o, "Os", jstr("linux"));
	jadd(o, "Arch", jstr("amd64"));
	jadd(o, "KernelVersion", jstr(u.release));
	jadd(o, "BuildTime", jstr(__DATE__ " " __TIME__));
	return o;
}

static void api_version(struct daemon *d, struct http_request *req)
{
	_cleanup_json_ json_object *o = engine_details();
	json_object *platform = json_object_new_object(), *comps = json_object_new_array();
	json_object *engine = json_object_new_object(), *details = engine_details();

	(void)d;
	jadd(platform, "Name", jstr("berth Engine"));
	jadd(o, "Platform", platform);
	jadd(details, "Experimental", json_object_new_string("false"));
	jadd(engine, "Name", jstr("Engine"));
	jadd(engine, "Version", jstr(BERTH_VERSION));
	jadd(engine, "Details", details);
	json_object_array_add(comps, engine);
	json_object *rt = json_object_new_object(), *rtd = json_object_new_object();
	jadd(rt, "Name", jstr("berth-runtime"));
	jadd(rt, "Version", jstr(BERTH_VERSION));
	jadd(rtd, "GitCommit", jstr("berth"));
	jadd(rt, "Details", rtd);
	json_object_array_add(comps, rt);
	jadd(o, "Components", comps);
	http_respond_json(req, 200, o);
}

static char *os_name(void)
{
	_cleanup_free_ char *text = NULL;

	if (file_read_all("/etc/os-release", 65536, &text, NULL) < 0)
		return xstrdup("Linux");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (!str_has_prefix(line, "PRETTY_NAME="))
			continue;
		char *v = line + strlen("PRETTY_NAME=");
		if (*v == '"')
			v++;
		v[strcspn(v, "\"")] = '\0';
		return xstrdup(v);
	}
	return xstrdup("Linux");
}

/* The daemon's open descriptors, as dockerd reports its own. */
static int open_fds(void)
{
	_cleanup_closedir_ DIR *dh = opendir("/proc/self/fd");
	int n = 0;

	for (struct dirent *de; dh && (de = readdir(dh));)
		n += de->d_name[0] != '.';
	return n > 0 ? n - 1 : 0; /* not the one reading the directory */
}

static void api_info(struct daemon *d, struct http_request *req)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	struct utsname u;
	struct sysinfo si;
	char host[256] = "";
	int running = 0, paused = 0, stopped = 0;

	(void)uname(&u);
	(void)sysinfo(&si);
	(void)gethostname(host, sizeof(host) - 1);
	for (size_t i = 0; i < d->n_containers; i++) {
		enum ct_status s = d->containers[i]->status;
		if (s == CT_RUNNING || s == CT_RESTARTING)
			running++;
		else if (s == CT_PAUSED)
			paused++;
		else
			stopped++;
	}
	jadd(o, "ID", jstr(d->id));
	jadd(o, "Containers", json_object_new_int((int)d->n_containers));
	jadd(o, "ContainersRunning", json_object_new_int(running));
	jadd(o, "ContainersPaused", json_object_new_int(paused));
	jadd(o, "ContainersStopped", json_object_new_int(stopped));
	jadd(o, "Images", json_object_new_int((int)images_visible(d)));
	jadd(o, "Driver", jstr("overlay2"));
	json_object *ds = json_object_new_array(), *pair = json_object_new_array();
	json_object_array_add(pair, jstr("Backing Filesystem"));
	json_object_array_add(pair, jstr("extfs"));
	json_object_array_add(ds, pair);
	jadd(o, "DriverStatus", ds);
	json_object *plugins = json_object_new_object();
	jadd(plugins, "Volume", json_object_new_array());
	json_object *net = json_object_new_array();
	json_object_array_add(net, jstr("bridge"));
	json_object_array_add(net, jstr("host"));
	json_object_array_add(net, jstr("null"));
	jadd(plugins, "Network", net);
	jadd(plugins, "Authorization", NULL); /* dockerd sends null: no authz plugins */
	json_object *logp = json_object_new_array();
	json_object_array_add(logp, jstr("json-file"));
	json_object_array_add(logp, jstr("none"));
	jadd(plugins, "Log", logp);
	jadd(o, "Plugins", plugins);
	jadd(o, "MemoryLimit", json_object_new_boolean(1));
	jadd(o, "SwapLimit", json_object_new_boolean(0));
	jadd(o, "CpuCfsPeriod", json_object_new_boolean(1));
	jadd(o, "CpuCfsQuota", json_object_new_boolean(1));
	jadd(o, "CPUShares", json_object_new_boolean(1));
	jadd(o, "CPUSet", json_object_new_boolean(1));
	jadd(o, "PidsLimit", json_object_new_boolean(1));
	/* as the kernel has it now: berthd turns it on unless --ip-forward=false */
	_cleanup_free_ char *fwd = NULL;
	(void)file_read_all("/proc/sys/net/ipv4/ip_forward", 64, &fwd, NULL);
	jadd(o, "IPv4Forwarding", json_object_new_boolean(fwd && fwd[0] == '1'));
	jadd(o, "Debug", json_object_new_boolean(log_get_level() >= LOG_LEVEL_DEBUG));
	jadd(o, "NFd", json_object_new_int(open_fds()));
	jadd(o, "NGoroutines", json_object_new_int(0));
	_cleanup_free_ char *now = time_rfc3339(now_unix_ns());
	jadd(o, "SystemTime", jstr(now));
	jadd(o, "LoggingDriver", jstr("json-file"));
	jadd(o, "CgroupDriver", jstr("cgroupfs"));
	jadd(o, "CgroupVersion",
	     jstr(access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "2" : "1"));
	jadd(o, "KernelVersion", jstr(u.release));
	_cleanup_free_ char *osn = os_name();
	jadd(o, "OperatingSystem", jstr(osn));
	jadd(o, "OSVersion", jstr(""));
	jadd(o, "OSType", jstr("linux"));
	jadd(o, "Architecture", jstr(u.machine));
	jadd(o, "NCPU", json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	jadd(o, "MemTotal", json_object_new_int64((int64_t)si.totalram * si.mem_unit));
	jadd(o, "IndexServerAddress", jstr("https://index.docker.io/v1/"));
	jadd(o, "RegistryConfig", registry_config_json(d));
	jadd(o, "DockerRootDir", jstr(d->data_root));
	jadd(o, "Name", jstr(host));
	jadd(o, "Labels", json_object_new_array());
	jadd(o, "ExperimentalBuild", json_object_new_boolean(0));
	jadd(o, "ServerVersion", jstr(BERTH_VERSION));
	json_object *rts = json_object_new_object();
	for (size_t i = 0; i < d->n_runtimes; i++) {
		json_object *r = json_object_new_object();
		jadd(r, "path", jstr(d->runtimes[i].path));
		jadd(rts, d->runtimes[i].name, r);
	}
	jadd(o, "Runtimes", rts);
	jadd(o, "DefaultRuntime", jstr(d->default_runtime));
	json_object *swarm = json_object_new_object();
	jadd(swarm, "NodeID", jstr(""));
	jadd(swarm, "NodeAddr", jstr(""));
	jadd(swarm, "LocalNodeState", jstr("inactive"));
	jadd(swarm, "ControlAvailable", json_object_new_boolean(0));
	jadd(swarm, "Error", jstr(""));
	jadd(swarm, "RemoteManagers", NULL);
	jadd(o, "Swarm", swarm);
	jadd(o, "LiveRestoreEnabled", json_object_new_boolean(1));
	jadd(o, "Isolation", jstr(""));
	jadd(o, "InitBinary", jstr("berth-init"));
	json_object *commit = json_object_new_object();
	jadd(commit, "ID", jstr("berth"));
	jadd(commit, "Expected", jstr("berth"));
	jadd(o, "ContainerdCommit", json_object_get(commit));
	jadd(o, "RuncCommit", json_object_get(commit));
	jadd(o, "InitCommit", commit);
	json_object *sec = json_object_new_array();
	json_object_array_add(sec, jstr("name=seccomp,profile=builtin"));
	jadd(o, "SecurityOptions", sec);
	jadd(o, "Warnings", json_object_new_array());
	http_respond_json(req, 200, o);
}

/* Bytes of the regular files under a layer directory (du, as docker reports). */
static int64_t dir_bytes_total;

static int dir_bytes_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		dir_bytes_total += st->st_size;
	return 0;
}

static int64_t layer_bytes(struct daemon *d, const char *chain_id)
{
	_cleanup_free_ char *path = layer_store_path(d->layers, chain_id);

	dir_bytes_total = 0;
	if (path)
		(void)nftw(path, dir_bytes_add, 16, FTW_PHYS | FTW_MOUNT);
	return dir_bytes_total;
}

/* How many images use the layer chain_id. */
static int layer_users(struct daemon *d, const char *chain_id)
{
	int n = 0;

	for (size_t i = 0; i < d->n_images; i++)
		n += strv_contains(d->images[i]->chain_ids, chain_id);
	return n;
}

static json_object *df_images(struct daemon *d, int64_t *ret_layers_size)
{
	json_object *a = json_object_new_array();
	_cleanup_strv_ char **seen = NULL;
	int64_t total = 0;

	for (size_t i = 0; i < d->n_images; i++) {
		struct image_rec *img = d->images[i];
		int users = 0;
		int64_t shared = 0;
		if (img->removed)
			continue; /* deleted, kept for the containers using it */
		for (size_t k = 0; k < d->n_containers; k++)
			users += d->containers[k]->image_id &&
				 strcmp(d->containers[k]->image_id, img->id) == 0;
		for (size_t l = 0; l < img->n_layers; l++) {
			int64_t bytes = layer_bytes(d, img->chain_ids[l]);
			if (layer_users(d, img->chain_ids[l]) > 1)
				shared += bytes;
			if (!strv_contains(seen, img->chain_ids[l])) {
				strv_push(&seen, img->chain_ids[l]);
				total += bytes;
			}
		}
		json_object *o = image_summary_json(img, users);
		jadd(o, "SharedSize", json_object_new_int64(shared));
		json_object_array_add(a, o);
	}
	*ret_layers_size = total;
	return a;
}

/* GET /system/df: what `docker system df` sums up; ?type= (API 1.42) picks
 * container, image, volume or build-cache. */
static void api_system_df(struct daemon *d, struct http_request *req)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_strv_ char **types = http_request_query_all(req, "type");
	static const char *const known[] = { "container", "image", "volume", "build-cache", NULL };
	int64_t layers = 0;

	for (size_t i = 0; types && types[i]; i++)
		if (!strv_contains((char *const *)known, types[i])) {
			http_respond_error(req, 400, "unknown object type: %s", types[i]);
			return;
		}
#define WANT(t) (!types || !types[0] || strv_contains(types, t))
	if (WANT("image")) {
		jadd(o, "Images", df_images(d, &layers));
		jadd(o, "LayersSize", json_object_new_int64(layers));
	}
	if (WANT("container")) {
		json_object *cs = json_object_new_array();
		for (size_t i = 0; i < d->n_containers; i++)
			json_object_array_add(cs,
					      container_summary_json(d, d->containers[i], true));
		jadd(o, "Containers", cs);
	}
	if (WANT("volume"))
		jadd(o, "Volumes", volumes_df_json(d));
	if (WANT("build-cache"))
		jadd(o, "BuildCache", json_object_new_array());
#undef WANT
	http_respond_json(req, 200, o);
}

/* berth has no build cache yet: there is never anything to prune, and
 * `docker system prune` asks for it (networks: api-networks.c). */
static void api_build_prune(struct daemon *d, struct http_request *req)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	(void)d;
	jadd(o, "CachesDeleted", NULL);
	jadd(o, "SpaceReclaimed", json_object_new_int64(0));
	http_respond_json(req, 200, o);
}

void api_system_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "GET", "/_ping", 0, api_ping);
	api_add(r, "HEAD", "/_ping", 0, api_ping);
	api_add(r, "GET", "/version", 0, api_version);
	api_add(r, "GET", "/info", 0, api_info);
	api_add(r, "GET", "/system/df", 0, api_system_df);
	api_add(r, "POST", "/build/prune", 0, api_build_prune);
}
