/* berth-registry: `serve` (the registry on the event loop until SIGTERM or
 * SIGINT) and `gc` (offline garbage collection). */
#define LOG_CATEGORY "registry"
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fs.h"
#include "server-internal.h"

#define DEFAULT_ADDR	     "0.0.0.0:5000"
#define DEFAULT_ROOT	     "/var/lib/berth-registry"
#define DEFAULT_MAX_BLOB     (64ull << 30)
#define DEFAULT_MAX_MANIFEST (4ull << 20)

static void on_stop(struct http_loop *l, int sig, void *data)
{
	log_info("Signal %d, stopping", sig);
	http_loop_stop(l);
}

static int server_open(struct reg_server *s, const struct reg_config *cfg, struct berth_error **err)
{
	_cleanup_free_ char *repos = xasprintf("%s/repositories", cfg->root);
	_cleanup_free_ char *uploads = xasprintf("%s/uploads", cfg->root);
	int r;

	s->cfg = cfg;
	s->root = xstrdup(cfg->root);
	if ((r = mkdir_p(repos, 0755)) < 0 || (r = mkdir_p(uploads, 0700)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "create '%s'", cfg->root);
	if ((r = blob_store_open(cfg->root, &s->store, err)) < 0)
		return r;
	if (cfg->htpasswd && (r = reg_htpasswd_load(cfg->htpasswd, &s->htpasswd, err)) < 0)
		return r;
	if (cfg->token_certs && (r = reg_token_keys_load(cfg->token_certs, &s->keys, err)) < 0)
		return r;
	if (!cfg->access_log) {
		s->log = stderr;
	} else if (strcmp(cfg->access_log, "-") != 0) {
		s->log = fopen(cfg->access_log, "ae");
		if (!s->log)
			return berth_error_set(err, errno, BERTH_ERR_INVALID, "open '%s'",
					       cfg->access_log);
	}
	return 0;
}

static void server_close(struct reg_server *s)
{
	reg_uploads_free(s);
	if (s->log && s->log != stderr)
		fclose(s->log);
	reg_htpasswd_free(s->htpasswd);
	reg_token_keys_free(s->keys);
	blob_store_free(s->store);
	free(s->root);
}

int reg_server_run(const struct reg_config *cfg, struct berth_error **err)
{
	struct reg_server s = { 0 };
	struct http_loop *loop = NULL;
	struct http_router *router = NULL;
	struct http_server *srv = NULL;
	struct http_limits lim = { .max_body = 1u << 20, .idle_timeout_ms = 300000 };
	int r;

	if (!cfg->tls_cert != !cfg->tls_key)
		return berth_error_set(err, EINVAL, BERTH_ERR_INVALID,
				       "TLS needs both a certificate and a key");
	if ((r = server_open(&s, cfg, err)) < 0)
		goto out;
	if ((r = http_loop_new(&loop, err)) < 0)
		goto out;
	s.loop = loop;
	(void)http_router_new(&router);
	reg_routes_add(router, &s);
	if ((r = http_server_new_tcp(loop, cfg->addr, &lim, router, &srv, err)) < 0)
		goto out;
	if (cfg->tls_cert && (r = http_server_set_tls(srv, cfg->tls_cert, cfg->tls_key, err)) < 0)
		goto out;
	http_server_add_default_header(srv, "Docker-Distribution-Api-Version", "registry/2.0");
	(void)signal(SIGPIPE, SIG_IGN);
	(void)http_loop_on_signal(loop, SIGTERM, on_stop, &s);
	(void)http_loop_on_signal(loop, SIGINT, on_stop, &s);
	log_info("Listening on %s, storage in '%s'%s", cfg->addr, cfg->root,
		 cfg->read_only ? ", read-only" : "");
	r = http_loop_run(loop);
	if (r < 0)
		berth_error_set(err, -r, BERTH_ERR_INTERNAL, "event loop");
out:
	http_server_free(srv);
	http_router_free(router);
	http_loop_free(loop);
	server_close(&s);
	return r;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage:  berth-registry serve [--addr HOST:PORT] [--root DIR] [--config FILE]\n"
		   "                             [--read-only] [--access-log FILE|-]\n"
		   "                             [--tls-cert FILE --tls-key FILE]\n"
		   "        berth-registry gc --root DIR [--dry-run]\n\n"
		   "An OCI distribution registry (docs/registry.md).\n");
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "root", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "read-only", no_argument, NULL, 'o' },
		{ "access-log", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_error_ struct berth_error *err = NULL;
	const char *addr = NULL, *root = NULL, *config = NULL, *alog = NULL, *cert = NULL,
		   *key = NULL;
	struct reg_config cfg = { 0 };
	bool ro = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'o':
			ro = true;
			break;
		case 'l':
			alog = optarg;
			break;
		case 'C':
			cert = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (config && reg_config_load(&cfg, config, &err) < 0) {
		fprintf(stderr, "berth-registry: %s\n", err->msg);
		reg_config_done(&cfg);
		return 1;
	}
	if (addr || !cfg.addr) {
		free(cfg.addr);
		cfg.addr = xstrdup(addr ? addr : DEFAULT_ADDR);
	}
	if (root || !cfg.root) {
		free(cfg.root);
		cfg.root = xstrdup(root ? root : DEFAULT_ROOT);
	}
	if (alog) {
		free(cfg.access_log);
		cfg.access_log = xstrdup(alog);
	}
	if (cert) {
		free(cfg.tls_cert);
		cfg.tls_cert = xstrdup(cert);
	}
	if (key) {
		free(cfg.tls_key);
		cfg.tls_key = xstrdup(key);
	}
	cfg.read_only = cfg.read_only || ro;
	if (!cfg.max_blob)
		cfg.max_blob = DEFAULT_MAX_BLOB;
	if (!cfg.max_manifest)
		cfg.max_manifest = DEFAULT_MAX_MANIFEST;
	r = reg_server_run(&cfg, &err);
	if (r < 0)
		fprintf(stderr, "berth-registry: %s\n", err ? err->msg : strerror(-r));
	reg_config_done(&cfg);
	return r < 0 ? 1 : 0;
}

static int cmd_gc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_error_ struct berth_error *err = NULL;
	const char *root = NULL;
	bool dry = false;
	int c;

	while ((c = getopt_long(argc, argv, "hn", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'n':
			dry = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!root) {
		fprintf(stderr, "berth-registry gc: --root is required\n");
		return 2;
	}
	if (reg_gc_run(root, dry, &err) < 0) {
		fprintf(stderr, "berth-registry gc: %s\n", err->msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	log_set_program("berth-registry");
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(argv[1], "gc") == 0 || strcmp(argv[1], "garbage-collect") == 0)
		return cmd_gc(argc - 1, argv + 1);
	fprintf(stderr, "berth-registry: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
