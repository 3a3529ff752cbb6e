/* A container's files for a start: /etc/hosts, /etc/hostname,
 * /etc/resolv.conf, the overlay root file system and the OCI bundle. */
#define LOG_CATEGORY "container"
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "container-internal.h"

static char *hosts_text(struct container *c)
{
	json_object *extra = jget(c->host_config, "ExtraHosts");
	char *t = xstrdup("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			  "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
			  "ff02::2\tip6-allrouters\n");

	for (size_t i = 0; extra && i < json_object_array_length(extra); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(extra, i));
		const char *sep = strchr(e, ':');
		if (!sep)
			continue;
		/* "host:ip"; an IPv6 address keeps its colons. */
		char *n = xasprintf("%s%s\t%.*s\n", t, sep + 1, (int)(sep - e), e);
		free(t);
		t = n;
	}
	return t;
}

/* Append "key v1 v2 ...\n" to *t when values has any. */
static void append_line(char **t, const char *key, json_object *values)
{
	size_t n = values ? json_object_array_length(values) : 0;

	if (!n)
		return;
	char *line = xasprintf("%s%s", *t, key);
	for (size_t i = 0; i < n; i++) {
		char *next =
			xasprintf("%s %s", line,
				  json_object_get_string(json_object_array_get_idx(values, i)));
		free(line);
		line = next;
	}
	free(*t);
	*t = xasprintf("%s\n", line);
	free(line);
}

static char *resolv_text(struct container *c)
{
	json_object *dns = jget(c->host_config, "Dns"), *search = jget(c->host_config, "DnsSearch");
	json_object *opts = jget(c->host_config, "DnsOptions");
	_cleanup_free_ char *host = NULL;
	char *t = xstrdup("");

	if (dns && json_object_array_length(dns)) {
		for (size_t i = 0; i < json_object_array_length(dns); i++) {
			char *n = xasprintf(
				"%snameserver %s\n", t,
				json_object_get_string(json_object_array_get_idx(dns, i)));
			free(t);
			t = n;
		}
	} else if (file_read_all("/etc/resolv.conf", 1 << 16, &host, NULL) == 0) {
		/* Nameservers on the host's loopback cannot answer inside the container. */
		_cleanup_free_ char *copy = xstrdup(host);
		bool any = false;
		for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n")) {
			if (str_has_prefix(l, "nameserver") &&
			    (strstr(l, " 127.") || strstr(l, " ::1")))
				continue;
			if (str_has_prefix(l, "search") && search &&
			    json_object_array_length(search))
				continue;
			any |= str_has_prefix(l, "nameserver");
			char *n = xasprintf("%s%s\n", t, l);
			free(t);
			t = n;
		}
		if (!any) {
			char *n = xasprintf("%snameserver 8.8.8.8\nnameserver 8.8.4.4\n", t);
			free(t);
			t = n;
		}
	}
	append_line(&t, "search", search);
	append_line(&t, "options", opts);
	return t;
}

int container_write_etc_files(struct daemon *d, struct container *c, struct berth_error **err)
{
	json_object *hn = jget(c->config, "Hostname");
	const char *hostname = hn ? json_object_get_string(hn) : c->id;
	_cleanup_free_ char *hosts = hosts_text(c);
	_cleanup_free_ char *resolv = resolv_text(c);
	_cleanup_free_ char *hostline = xasprintf("%s\n", hostname);
	const char *const names[] = { "hosts", "resolv.conf", "hostname" };
	const char *const texts[] = { hosts, resolv, hostline };

	(void)d;
	/* Replaced whole but not fsynced, as dockerd does: three fsyncs cost 1 to
	 * 3 ms on every create, more than the state database's own commit. */
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", c->dir, names[i]);
		int r = file_write_replace(p, texts[i], strlen(texts[i]), 0644);
		if (r < 0)
			return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write '%s'", p);
	}
	return 0;
}

int container_prepare_bundle(struct daemon *d, struct container *c, struct berth_error **err)
{
	struct image_rec *img = NULL;
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", c->dir);
	_cleanup_free_ char *bundle = xasprintf("%s/bundle", c->dir);
	_cleanup_free_ char *config = xasprintf("%s/config.json", bundle);
	_cleanup_free_ char *spec = NULL;
	int r;

	if ((r = image_lookup(d, c->image_id, &img, err)) < 0)
		return berth_error_wrap(err, "image of container %.12s", c->id);
	if (!c->mounted) {
		/* --rm: the upper directory is thrown away, never worth a sync. */
		json_object *ar = jget(c->host_config, "AutoRemove");
		r = ar && json_object_get_boolean(ar)
			    ? layer_mount_overlay_volatile(d->layers, img->chain_ids, img->n_layers,
							   c->dir, rootfs, err)
			    : layer_mount_overlay(d->layers, img->chain_ids, img->n_layers, c->dir,
						  rootfs, err);
		if (r < 0)
			return r;
		c->mounted = true;
	}
	(void)mkdir(bundle, 0700);
	if ((r = container_oci_spec(d, c, img, &spec, err)) < 0 ||
	    (r = file_write_replace(config, spec, strlen(spec), 0600)) < 0) {
		if (r < 0 && err && !*err)
			(void)berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write '%s'", config);
		container_release_rootfs(d, c);
		return r;
	}
	return 0;
}

void container_release_rootfs(struct daemon *d, struct container *c)
{
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", c->dir);

	(void)d;
	(void)layer_unmount(rootfs, NULL);
	c->mounted = false;
}
