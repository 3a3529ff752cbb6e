/* Creating containers: POST /containers/create with docker run's image pull
 * fallback, image references, pulls, and the exit status of a failed start. */
#define LOG_CATEGORY "cli-run"
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cli-registry-internal.h"
#include "cli-run-internal.h"

void cli_ref_done(struct cli_ref *r)
{
	free(r->name);
	free(r->tag);
	free(r->digest);
	*r = (struct cli_ref){ 0 };
}

int cli_ref_parse(const char *s, struct cli_ref *ret, struct berth_error **err)
{
	_cleanup_free_ char *name = NULL, *tag = NULL, *digest = NULL;
	const char *at = strchr(s, '@'), *slash, *colon;
	size_t len = at ? (size_t)(at - s) : strlen(s);

	if (len == 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid reference format");
	name = xstrndup(s, len);
	if (at)
		digest = xstrdup(at + 1);
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		tag = xstrdup(colon + 1);
		name[colon - name] = '\0';
	}
	if (!*name || (tag && !*tag) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-/:"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(name))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid reference format");
	slash = strchr(name, '/');
	if (!slash) {
		char *full = xasprintf("docker.io/library/%s", name);
		free(name);
		name = full;
	} else {
		_cleanup_free_ char *first = xstrndup(name, (size_t)(slash - name));
		/* As docker's reference package: an uppercase first component is a domain. */
		if (!strchr(first, '.') && !strchr(first, ':') && strcmp(first, "localhost") != 0 &&
		    !strpbrk(first, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
			char *full = xasprintf("docker.io/%s", name);
			free(name);
			name = full;
		}
	}
	for (const char *p = strchr(name, '/') + 1; *p; p++)
		if (isupper((unsigned char)*p))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid reference format: repository name (%s) "
					       "must be lowercase",
					       strchr(name, '/') + 1);
	if (!tag && !digest)
		tag = xstrdup("latest");
	*ret = (struct cli_ref){ TAKE_PTR(name), TAKE_PTR(tag), TAKE_PTR(digest) };
	return 0;
}

char *cli_ref_familiar(const struct cli_ref *r)
{
	const char *n = r->name;

	if (str_has_prefix(n, "docker.io/")) {
		n += strlen("docker.io/");
		if (str_has_prefix(n, "library/") && !strchr(n + strlen("library/"), '/'))
			n += strlen("library/");
	}
	if (r->digest)
		return xasprintf("%s%s%s@%s", n, r->tag ? ":" : "", r->tag ? r->tag : "",
				 r->digest);
	return xasprintf("%s:%s", n, r->tag);
}

int cli_start_error_status(const char *msg)
{
	if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory") ||
	    strstr(msg, "system cannot find the file specified"))
		return 127;
	if (strstr(msg, "permission denied") || strstr(msg, "is a directory"))
		return 126;
	return 125;
}

static int create_once(struct cli_ctx *ctx, const char *path, json_object *body, json_object **ret,
		       struct berth_error **err)
{
	return cli_api_call(&ctx->client, "POST", path, body, ret, err);
}

static void print_warnings(json_object *resp)
{
	json_object *w = cli_json_get(resp, "Warnings");

	for (size_t i = 0;
	     w && json_object_is_type(w, json_type_array) && i < json_object_array_length(w); i++)
		fprintf(stderr, "WARNING: %s\n",
			json_object_get_string(json_object_array_get_idx(w, i)));
}

/* --cidfile: refuse an existing file, like docker. */
static int cidfile_open(const char *path, int *ret_fd, struct berth_error **err)
{
	int fd;

	*ret_fd = -EBADF;
	if (!path || !*path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "container ID file found, make sure the other container "
				       "isn't running or delete %s",
				       path);
	if (fd < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "failed to create the container ID file: open %s: %s", path,
				       cli_strerror(errno));
	*ret_fd = fd;
	return 0;
}

int cli_container_create(struct cli_ctx *ctx, const struct cli_run_opts *o, json_object *body,
			 const char *image, char **ret_id, struct berth_error **err)
{
	_cleanup_json_ json_object *resp = NULL;
	_cleanup_free_ char *path = xstrdup("/containers/create");
	_cleanup_close_ int cidfd = -EBADF;
	_cleanup_(cli_ref_done) struct cli_ref ref = { 0 };
	const char *pull = o->pull ? o->pull : "missing";
	int r;

	if (strcmp(pull, "always") && strcmp(pull, "missing") && strcmp(pull, "never"))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid pull option: '%s': must be one of \"always\", "
				       "\"missing\" or \"never\"",
				       pull);
	r = cli_ref_parse(image, &ref, err);
	if (r >= 0)
		r = cidfile_open(o->cidfile, &cidfd, err);
	if (r < 0)
		return r;
	if (o->name)
		cli_url_add(&path, "name", o->name);
	if (o->platform)
		cli_url_add(&path, "platform", o->platform);
	if (strcmp(pull, "always") == 0) {
		r = cli_image_pull(ctx, image, o->platform, o->quiet ? NULL : stderr, err);
		if (r < 0)
			return r;
	}
	r = create_once(ctx, path, body, &resp, err);
	if (r < 0 && *err && (*err)->kind == BERTH_ERR_NOT_FOUND && strcmp(pull, "missing") == 0 &&
	    strstr((*err)->msg, "No such image")) {
		_cleanup_free_ char *familiar = cli_ref_familiar(&ref);
		berth_error_free(*err);
		*err = NULL;
		fprintf(stderr, "Unable to find image '%s' locally\n", familiar);
		r = cli_image_pull(ctx, image, o->platform, o->quiet ? NULL : stderr, err);
		if (r >= 0)
			r = create_once(ctx, path, body, &resp, err);
	}
	if (r < 0) {
		if (cidfd >= 0)
			(void)unlink(o->cidfile);
		return r;
	}
	print_warnings(resp);
	*ret_id = xstrdup(cli_json_str(resp, "Id"));
	if (cidfd >= 0)
		(void)fd_write_all(cidfd, *ret_id, strlen(*ret_id));
	return 0;
}
