/* berthd: options, start-up (directories, lock, database, stores, restore),
 * the API server, and the loop. */
#define LOG_CATEGORY "berthd"
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <arpa/inet.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "commit.h"
#include "container.h"
#include "container-net-internal.h"
#include "networks.h"
#include "registry-job.h"
#include "stats.h"
#include "volumes.h"

struct daemon *the_daemon;

static void usage(FILE *out)
{
	fprintf(out, "Usage: berthd [options]\n\n"
		     "The berth daemon: serves the Docker Engine API.\n\n"
		     "Options:\n"
		     "  -H, --host unix://PATH      socket to listen on (default "
		     "unix:///run/berth/berth.sock)\n"
		     "      --data-root DIR         persistent state (default /var/lib/berth)\n"
		     "      --exec-root DIR         runtime state (default /run/berth)\n"
		     "      --log-level LEVEL       debug, info, warn, error (default info)\n"
		     "      --runtime NAME=PATH     an OCI runtime (repeatable)\n"
		     "      --default-runtime NAME  runtime for containers that name none (default "
		     "berth)\n"
		     "      --group NAME            group owning the socket (default berth, if it "
		     "exists)\n"
		     "      --cgroup-parent PATH    parent of the containers' cgroups (default "
		     "/berth)\n"
		     "      --insecure-registry HOST  an insecure registry: host[:port] or CIDR "
		     "(repeatable)\n"
		     "      --registry-mirror URL   a mirror of docker.io (repeatable)\n"
		     "      --max-concurrent-downloads N  per pull (default 3)\n"
		     "      --max-concurrent-uploads N    per push (default 5)\n"
		     "      --bridge-name NAME      the default bridge (default berth0)\n"
		     "      --bip CIDR              its address and prefix, e.g. 10.1.0.1/24 "
		     "(default: a free pool subnet)\n"
		     "      --default-address-pool base=CIDR,size=N  subnets for networks "
		     "(repeatable)\n"
		     "      --mtu N                 MTU of the default bridge (default 1500)\n"
		     "      --nft-table NAME        berth's nftables table (default berth)\n"
		     "      --dns IP                upstream DNS server for containers "
		     "(repeatable)\n"
		     "      --ip-forward=BOOL       enable IPv4 forwarding (default true)\n"
		     "      --version, --help\n");
}

/* A binary next to ours, else from PATH (e.g. berth-monitor beside berthd). */
static char *find_helper(const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		_cleanup_free_ char *p = xasprintf("%s/%s", dirname(self), name);
		if (access(p, X_OK) == 0)
			return TAKE_PTR(p);
		/* Build tree: berthd in build/src/daemon, the others elsewhere in build/. */
		static const char *const rel[] = { "../monitor", "../init", "../..", NULL };
		for (size_t i = 0; rel[i]; i++) {
			_cleanup_free_ char *q = xasprintf("%s/%s/%s", self, rel[i], name);
			if (access(q, X_OK) == 0)
				return realpath(q, NULL);
		}
	}
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *dir = strtok(copy, ":"); dir; dir = strtok(NULL, ":")) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
		if (access(p, X_OK) == 0)
			return TAKE_PTR(p);
	}
	return NULL;
}

static int add_runtime(struct daemon *d, const char *spec, struct berth_error **err)
{
	const char *eq = strchr(spec, '=');

	if (!eq || eq == spec || !eq[1])
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "--runtime '%s': use NAME=PATH",
				       spec);
	d->runtimes = xrealloc(d->runtimes, (d->n_runtimes + 1) * sizeof(*d->runtimes));
	d->runtimes[d->n_runtimes].name = xstrndup(spec, (size_t)(eq - spec));
	d->runtimes[d->n_runtimes].path = xstrdup(eq + 1);
	d->n_runtimes++;
	return 0;
}

/* Network options (networks.h): values checked here, used by networks_init. */
enum {
	OPT_BRIDGE_NAME = 0x100,
	OPT_BIP,
	OPT_POOL,
	OPT_MTU,
	OPT_NFT_TABLE,
	OPT_DNS,
	OPT_IP_FORWARD,
};

static int parse_net_option(struct net_options *o, int c, const char *v, struct berth_error **err)
{
	struct net_pool pool;
	struct net_ipv4 bip;
	struct in_addr ip;
	int n = 0, r;

	switch (c) {
	case OPT_BRIDGE_NAME:
		if (!*v || strlen(v) > 15 || strpbrk(v, "/: \t"))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--bridge-name '%s': an interface name of at most "
					       "15 characters",
					       v);
		free(o->bridge_name);
		o->bridge_name = xstrdup(v);
		return 0;
	case OPT_BIP:
		if ((r = net_cidr_parse(v, false, &bip, err)) < 0)
			return berth_error_wrap(err, "--bip");
		free(o->bip);
		o->bip = xstrdup(v);
		return 0;
	case OPT_POOL:
		if ((r = net_pool_parse(v, &pool, err)) < 0)
			return berth_error_wrap(err, "--default-address-pool");
		o->pools = xrealloc(o->pools, (o->n_pools + 1) * sizeof(*o->pools));
		o->pools[o->n_pools++] = pool;
		return 0;
	case OPT_MTU:
		if (str_to_int(v, &n) < 0 || n < 68 || n > 65535)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--mtu '%s': use a number from 68 to 65535", v);
		o->mtu = (unsigned)n;
		return 0;
	case OPT_NFT_TABLE:
		if (!*v || strlen(v) > 64 ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyz"
			      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(v))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--nft-table '%s': use letters, digits and '_'", v);
		free(o->nft_table);
		o->nft_table = xstrdup(v);
		return 0;
	case OPT_DNS:
		if (inet_pton(AF_INET, v, &ip) != 1)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--dns '%s': an IPv4 address is expected", v);
		strv_push(&o->dns, v);
		return 0;
	case OPT_IP_FORWARD:
		if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			o->ip_forward = true;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			o->ip_forward = false;
		else
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--ip-forward '%s': use true or false", v);
		return 0;
	default:
		return -EINVAL;
	}
}

static int parse_args(struct daemon *d, int argc, char **argv, const char **group,
		      struct berth_error **err)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "data-root", required_argument, NULL, 'd' },
		{ "exec-root", required_argument, NULL, 'e' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "default-runtime", required_argument, NULL, 'R' },
		{ "group", required_argument, NULL, 'G' },
		{ "cgroup-parent", required_argument, NULL, 'C' },
		{ "insecure-registry", required_argument, NULL, 'I' },
		{ "registry-mirror", required_argument, NULL, 'M' },
		{ "max-concurrent-downloads", required_argument, NULL, 'D' },
		{ "max-concurrent-uploads", required_argument, NULL, 'U' },
		{ "bridge-name", required_argument, NULL, OPT_BRIDGE_NAME },
		{ "bip", required_argument, NULL, OPT_BIP },
		{ "default-address-pool", required_argument, NULL, OPT_POOL },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "nft-table", required_argument, NULL, OPT_NFT_TABLE },
		{ "dns", required_argument, NULL, OPT_DNS },
		{ "ip-forward", optional_argument, NULL, OPT_IP_FORWARD },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	enum log_level lvl;
	int c, r;

	while ((c = getopt_long(argc, argv, "H:hv", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (!str_has_prefix(optarg, "unix://"))
				return berth_error_set(
					err, 0, BERTH_ERR_INVALID,
					"--host '%s': only unix:// sockets are "
					"supported (a TCP listener needs TLS, not built yet)",
					optarg);
			free(d->host);
			d->host = xstrdup(optarg + strlen("unix://"));
			break;
		case 'd':
			free(d->data_root);
			d->data_root = xstrdup(optarg);
			break;
		case 'e':
			free(d->exec_root);
			d->exec_root = xstrdup(optarg);
			break;
		case 'l':
			if (log_parse_level(optarg, &lvl) < 0)
				return berth_error_set(
					err, 0, BERTH_ERR_INVALID,
					"--log-level '%s': use debug, info, warn or error", optarg);
			log_set_level(lvl);
			break;
		case 'r':
			if ((r = add_runtime(d, optarg, err)) < 0)
				return r;
			break;
		case 'R':
			free(d->default_runtime);
			d->default_runtime = xstrdup(optarg);
			break;
		case 'G':
			*group = optarg;
			break;
		case 'C':
			if (optarg[0] != '/' || strstr(optarg, "..") || strlen(optarg) > 200)
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "--cgroup-parent '%s': use an absolute "
						       "cgroup path such as /berth",
						       optarg);
			free(d->cgroup_parent);
			d->cgroup_parent = xstrdup(optarg);
			break;
		case 'I':
			strv_push(&d->insecure_registries, optarg);
			break;
		case 'M':
			if (!str_has_prefix(optarg, "http://") &&
			    !str_has_prefix(optarg, "https://"))
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "invalid mirror: unsupported scheme \"\" in "
						       "\"%s\": must use either 'https://' or "
						       "'http://'",
						       optarg);
			strv_push(&d->registry_mirrors, optarg);
			break;
		case 'D':
		case 'U': {
			int n = 0;
			if (str_to_int(optarg, &n) < 0 || n < 1 || n > 1000)
				return berth_error_set(
					err, 0, BERTH_ERR_INVALID,
					"--max-concurrent-%s '%s': use a number from "
					"1 to 1000",
					c == 'D' ? "downloads" : "uploads", optarg);
			*(c == 'D' ? &d->max_downloads : &d->max_uploads) = (unsigned)n;
			break;
		}
		case OPT_BRIDGE_NAME ... OPT_IP_FORWARD:
			if ((r = parse_net_option(&d->net_opts, c, optarg, err)) < 0)
				return r;
			break;
		case 'v':
			printf("berthd version %s\n", BERTH_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	return 0;
}

static int make_dirs(struct daemon *d, struct berth_error **err)
{
	const char *const dirs[] = { d->data_root, d->exec_root };
	for (size_t i = 0; i < 2; i++) {
		int r = mkdir_p(dirs[i], 0711);
		if (r < 0)
			return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "create '%s'", dirs[i]);
	}
	_cleanup_free_ char *c1 = xasprintf("%s/containers", d->data_root);
	_cleanup_free_ char *c2 = xasprintf("%s/containers", d->exec_root);
	_cleanup_free_ char *tmp = xasprintf("%s/tmp", d->data_root);
	(void)mkdir_p(c1, 0711);
	(void)mkdir_p(c2, 0711);
	(void)rm_rf(tmp);
	(void)mkdir_p(tmp, 0700);
	return 0;
}

/* One daemon per exec root: a second one would fight over the monitors. */
static int take_lock(struct daemon *d, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/berthd.lock", d->exec_root);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return berth_error_set(err, errno == EWOULDBLOCK ? 0 : errno, BERTH_ERR_CONFLICT,
				       "another berthd is running with exec root '%s'",
				       d->exec_root);
	char pid[16];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	(void)!ftruncate(fd, 0);
	(void)!write(fd, pid, (size_t)n);
	return 0; /* the descriptor stays open for the daemon's life */
}

static int daemon_id(struct daemon *d)
{
	_cleanup_free_ char *path = xasprintf("%s/engine-id", d->data_root);
	char *text = NULL;

	if (file_read_all(path, 128, &text, NULL) == 0 && strlen(text) >= 64) {
		text[64] = '\0';
		d->id = text;
		return 0;
	}
	free(text);
	char id[65];
	random_id(id);
	d->id = xstrdup(id);
	return file_write_atomic(path, id, 64, 0600);
}

static void on_stop_signal(struct http_loop *l, int sig, void *data)
{
	(void)data;
	log_info("Received signal %d, shutting down (containers keep running)", sig);
	http_loop_stop(l);
}

/* dockerd reloads its configuration file on SIGHUP; berthd has none, and the
 * signal must not end it (its default action would). */
static void on_reload_signal(struct http_loop *l, int sig, void *data)
{
	(void)l;
	(void)data;
	log_info("Received signal %d: no configuration file to reload", sig);
}

static int setup_server(struct daemon *d, const char *group, struct berth_error **err)
{
	gid_t gid = (gid_t)-1;
	struct group *g = getgrnam(group ? group : "berth");
	int r;

	if (g)
		gid = g->gr_gid;
	else if (group)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "--group '%s': no such group",
				       group);
	_cleanup_free_ char *dir = xstrdup(d->host);
	(void)mkdir_p(dirname(dir), 0755);
	if ((r = http_router_new(&d->router)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "router");
	http_router_set_version_prefix(d->router, true);
	api_system_register(d, d->router);
	api_events_register(d, d->router);
	api_images_register(d, d->router);
	api_containers_register(d, d->router);
	api_exec_register(d, d->router);
	api_top_register(d->router);
	api_stats_register(d, d->router);
	api_update_register(d, d->router);
	api_archive_register(d, d->router);
	api_networks_register(d, d->router);
	api_volumes_register(d, d->router);
	api_registry_register(d, d->router);
	api_commit_register(d, d->router);
	api_unsupported_register(d->router);
	struct http_limits limits = { .max_body = 16u << 20 };
	if ((r = http_server_new_unix(d->loop, d->host, 0660, gid, &limits, d->router, &d->server,
				      err)) < 0)
		return r;
	http_server_add_default_header(d->server, "Api-Version", BERTH_API_VERSION);
	http_server_add_default_header(d->server, "Ostype", "linux");
	http_server_add_default_header(d->server, "Docker-Experimental", "false");
	http_server_add_default_header(d->server, "Server",
				       "Docker/" BERTH_VERSION " (linux) berth/" BERTH_VERSION);
	return 0;
}

static int start(struct daemon *d, int argc, char **argv, struct berth_error **err)
{
	const char *group = NULL;
	int r;

	d->host = xstrdup("/run/berth/berth.sock");
	d->data_root = xstrdup("/var/lib/berth");
	d->exec_root = xstrdup("/run/berth");
	log_set_level(LOG_LEVEL_INFO);
	d->net_opts.ip_forward = true;
	if ((r = parse_args(d, argc, argv, &group, err)) < 0 || (r = make_dirs(d, err)) < 0 ||
	    (r = take_lock(d, err)) < 0)
		return r;
	(void)daemon_id(d);
	d->monitor_path = find_helper("berth-monitor");
	d->init_path = find_helper("berth-init");
	/* berth-runtime, and runc and crun when installed (dockerd has runc
	 * built in, so `--runtime runc` works there), unless --runtime named them. */
	static const char *const known[][2] = { { "berth", "berth-runtime" },
						{ "runc", "runc" },
						{ "crun", "crun" } };
	for (size_t k = 0; k < ARRAY_SIZE(known); k++) {
		bool have = false;
		for (size_t i = 0; i < d->n_runtimes; i++)
			have |= strcmp(d->runtimes[i].name, known[k][0]) == 0;
		_cleanup_free_ char *rt = have ? NULL : find_helper(known[k][1]);
		if (rt) {
			_cleanup_free_ char *spec = xasprintf("%s=%s", known[k][0], rt);
			(void)add_runtime(d, spec, NULL);
		}
	}
	if (!d->default_runtime)
		d->default_runtime = xstrdup("berth");
	bool have_default = false;
	for (size_t i = 0; i < d->n_runtimes; i++)
		have_default |= strcmp(d->runtimes[i].name, d->default_runtime) == 0;
	if (!have_default && strcmp(d->default_runtime, "berth") != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "specified default runtime '%s' does not exist",
				       d->default_runtime);
	if (!d->max_downloads)
		d->max_downloads = 3;
	if (!d->max_uploads)
		d->max_uploads = 5;
	if (!d->cgroup_parent)
		d->cgroup_parent = xstrdup("/berth");
	if (!d->monitor_path)
		log_warn("berth-monitor not found next to berthd or in PATH: containers cannot "
			 "start");
	/* before anything on the host changes (bridges, nftables) */
	if (group && !getgrnam(group))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "--group '%s': no such group",
				       group);
	_cleanup_free_ char *dbp = xasprintf("%s/state.db", d->data_root);
	if ((r = state_db_open(dbp, &d->db, err)) < 0 ||
	    (r = blob_store_open(d->data_root, &d->blobs, err)) < 0 ||
	    (r = layer_store_open(d->data_root, &d->layers, err)) < 0 ||
	    (r = http_loop_new(&d->loop, err)) < 0)
		return r;
	if ((r = networks_init(d, err)) < 0 || (r = images_load_all(d, err)) < 0 ||
	    (r = volumes_load_all(d, err)) < 0 || (r = containers_load_all(d, err)) < 0)
		return r;
	d->started_ns = now_unix_ns();
	containers_restore(d);
	containers_net_restore(d); /* leases, ports and DNS of what still runs */
	/* Layers and blobs of a load or removal cut short by a crash. */
	images_gc_layers(d);
	images_gc_blobs(d);
	if ((r = setup_server(d, group, err)) < 0)
		return r;
	(void)http_loop_on_signal(d->loop, SIGTERM, on_stop_signal, d);
	(void)http_loop_on_signal(d->loop, SIGINT, on_stop_signal, d);
	(void)http_loop_on_signal(d->loop, SIGHUP, on_reload_signal, d);
	signal(SIGPIPE, SIG_IGN);
	log_info("berthd %s listening on unix://%s (data root %s)", BERTH_VERSION, d->host,
		 d->data_root);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct daemon *d = xzalloc(sizeof(*d));

	log_set_program("berthd");
	the_daemon = d;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return 1;
	if (start(d, argc, argv, &err) < 0) {
		log_error("%s", err ? err->msg : "start-up failed");
		return 1;
	}
	int r = http_loop_run(d->loop);
	reg_jobs_kill_all();
	commit_jobs_thaw_all();
	networks_fini(d);
	(void)unlink(d->host);
	return r < 0 ? 1 : 0;
}
