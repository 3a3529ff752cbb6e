/* The repository layout under <root>/repositories/<name>/: link files that
 * say which blobs, manifests and tags a repository holds (see
 * registry-server.h). Names are validated before they get here, so they
 * hold no "..", no empty component and no leading '_'. Small files are
 * written to a temporary name and renamed, so readers never see half a
 * link. */
#define LOG_CATEGORY "registry"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "server-internal.h"

static const char *const link_dirs[REG_LINK_MAX] = {
	[REG_LINK_BLOB] = "_blobs",
	[REG_LINK_MANIFEST] = "_manifests",
};

char *reg_repo_path(struct reg_server *s, const char *name, const char *sub)
{
	return xasprintf("%s/repositories/%s%s%s", s->root, name, sub ? "/" : "", sub ? sub : "");
}

bool reg_repo_exists(struct reg_server *s, const char *name)
{
	struct stat st;

	for (int k = 0; k < REG_LINK_MAX; k++) {
		_cleanup_free_ char *p = reg_repo_path(s, name, link_dirs[k]);
		if (stat(p, &st) == 0)
			return true;
	}
	return false;
}

static char *link_path(struct reg_server *s, const char *name, enum reg_link k, const char *digest)
{
	return xasprintf("%s/repositories/%s/%s/%s", s->root, name, link_dirs[k],
			 digest + 7 /* "sha256:" */);
}

bool reg_link_exists(struct reg_server *s, const char *name, enum reg_link k, const char *digest)
{
	_cleanup_free_ char *p = link_path(s, name, k, digest);

	return access(p, F_OK) == 0;
}

int reg_write_atomic(const char *path, const char *data)
{
	_cleanup_free_ char *dir = xstrdup(path), *tmp = NULL;
	int r;

	/* A dot name: never a tag or a digest, and left out of listings. */
	*strrchr(dir, '/') = '\0';
	tmp = xasprintf("%s/.tmp-%s", dir, strrchr(path, '/') + 1);
	if ((r = mkdir_p(dir, 0755)) < 0)
		return r;
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if ((r = fd_write_all(fd, data, strlen(data))) < 0) {
		(void)unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return r;
	}
	return 0;
}

int reg_link_add(struct reg_server *s, const char *name, enum reg_link k, const char *digest,
		 const char *content)
{
	_cleanup_free_ char *p = link_path(s, name, k, digest);

	return reg_write_atomic(p, content ? content : "");
}

int reg_link_remove(struct reg_server *s, const char *name, enum reg_link k, const char *digest)
{
	_cleanup_free_ char *p = link_path(s, name, k, digest);

	return unlink(p) < 0 ? -errno : 0;
}

char *reg_link_read(struct reg_server *s, const char *name, enum reg_link k, const char *digest)
{
	_cleanup_free_ char *p = link_path(s, name, k, digest);
	char *data = NULL;
	size_t len;

	if (file_read_all(p, 4096, &data, &len) < 0)
		return NULL;
	return data;
}

int reg_tag_read(struct reg_server *s, const char *name, const char *tag,
		 char ret[static DIGEST_LEN + 1])
{
	_cleanup_free_ char *sub = xasprintf("_tags/%s", tag);
	_cleanup_free_ char *p = reg_repo_path(s, name, sub);
	char buf[DIGEST_LEN + 2];
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!digest_is_valid(buf))
		return -EBADMSG;
	memcpy(ret, buf, DIGEST_LEN + 1);
	return 0;
}

int reg_tag_write(struct reg_server *s, const char *name, const char *tag, const char *digest)
{
	_cleanup_free_ char *sub = xasprintf("_tags/%s", tag);
	_cleanup_free_ char *p = reg_repo_path(s, name, sub);

	return reg_write_atomic(p, digest);
}

int reg_tag_remove(struct reg_server *s, const char *name, const char *tag)
{
	_cleanup_free_ char *sub = xasprintf("_tags/%s", tag);
	_cleanup_free_ char *p = reg_repo_path(s, name, sub);

	return unlink(p) < 0 ? -errno : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files in dir, sorted; temporary (dot) files left out. */
static char **dir_files(const char *dir)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	char **v = NULL;
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return NULL;
	while ((de = readdir(d)) && n < REG_MAX_LIST) {
		if (de->d_name[0] == '.')
			continue;
		strv_push(&v, de->d_name);
		n++;
	}
	if (v)
		qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

char **reg_tags_list(struct reg_server *s, const char *name)
{
	_cleanup_free_ char *p = reg_repo_path(s, name, "_tags");

	return dir_files(p);
}

static char *referrer_path(struct reg_server *s, const char *name, const char *subject,
			   const char *digest)
{
	return xasprintf("%s/repositories/%s/_referrers/%s%s%s", s->root, name, subject + 7,
			 digest ? "/" : "", digest ? digest + 7 : "");
}

int reg_referrer_add(struct reg_server *s, const char *name, const char *subject,
		     const char *digest)
{
	_cleanup_free_ char *p = referrer_path(s, name, subject, digest);

	return reg_write_atomic(p, "");
}

int reg_referrer_remove(struct reg_server *s, const char *name, const char *subject,
			const char *digest)
{
	_cleanup_free_ char *p = referrer_path(s, name, subject, digest);

	return unlink(p) < 0 ? -errno : 0;
}

char **reg_referrers_list(struct reg_server *s, const char *name, const char *subject)
{
	_cleanup_free_ char *p = referrer_path(s, name, subject, NULL);
	char **v = dir_files(p);

	for (size_t i = 0; v && v[i]; i++) {
		char *d = xasprintf("sha256:%s", v[i]);
		free(v[i]);
		v[i] = d;
	}
	return v;
}

/* A directory is a repository when it has one of the link directories;
 * other entries not starting with '_' are nested repository names. */
static void repos_walk(const char *dir, const char *prefix, char ***v, size_t *n)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *de;
	bool is_repo = false;

	if (!d)
		return;
	while ((de = readdir(d)) && *n < REG_MAX_LIST) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_name[0] == '_') {
			is_repo = is_repo || strcmp(de->d_name, "_manifests") == 0 ||
				  strcmp(de->d_name, "_blobs") == 0;
			continue;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		_cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
		_cleanup_free_ char *name =
			*prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
		repos_walk(sub, name, v, n);
	}
	if (is_repo && *prefix) {
		strv_push(v, prefix);
		(*n)++;
	}
}

char **reg_repos_list(const char *root)
{
	_cleanup_free_ char *dir = xasprintf("%s/repositories", root);
	char **v = NULL;
	size_t n = 0;

	repos_walk(dir, "", &v, &n);
	if (v)
		qsort(v, n, sizeof(*v), cmp_str);
	return v;
}
