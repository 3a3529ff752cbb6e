/* Users and groups of a container, read from its own /etc/passwd and
 * /etc/group (resolved inside the root file system: the image is untrusted). */
#define LOG_CATEGORY "spec"
#include <fcntl.h>
#include <string.h>

#include "api.h"
#include "spec.h"

/* Find name (or numeric id) in an /etc/passwd or /etc/group text: fields[2]
 * is the id; fields[3] the primary gid (passwd) or members (group). */
static bool find_entry(const char *text, const char *name, bool numeric, char *fields[4],
		       char **storage)
{
	_cleanup_free_ char *copy = xstrdup(text ? text : "");
	char *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = { 0 };
		char *p = line;
		for (int i = 0; i < 7 && p; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (!f[0] || !f[2])
			continue;
		if ((numeric && strcmp(f[2], name) == 0) || (!numeric && strcmp(f[0], name) == 0)) {
			*storage = xasprintf("%s:%s:%s", f[0], f[2], f[3] ? f[3] : "");
			char *s = *storage;
			fields[0] = s;
			s = strchr(s, ':');
			*s++ = '\0';
			fields[2] = s;
			s = strchr(s, ':');
			*s++ = '\0';
			fields[3] = s;
			return true;
		}
	}
	return false;
}

static bool is_number(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static char *read_etc(int rootfd, const char *path)
{
	_cleanup_close_ int fd = openat_in_root(rootfd, path, O_RDONLY, 0);
	char *text = NULL;

	if (fd < 0 || fd_read_all(fd, 4u << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

int spec_resolve_user(int rootfd, const char *user, json_object *group_add, uint32_t *ret_uid,
		      uint32_t *ret_gid, json_object **ret_additional, struct berth_error **err)
{
	_cleanup_free_ char *passwd = read_etc(rootfd, "/etc/passwd");
	_cleanup_free_ char *group = read_etc(rootfd, "/etc/group");
	_cleanup_free_ char *u = xstrdup(str_is_empty(user) ? "0" : user);
	char *g = strchr(u, ':');
	char *pf[4] = { 0 }, *gf[4] = { 0 };
	_cleanup_free_ char *ps = NULL, *gs = NULL;
	uint64_t v;

	if (g)
		*g++ = '\0';
	bool have_user = find_entry(passwd, u, is_number(u), pf, &ps);
	if (!have_user && !is_number(u))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "unable to find user %s: no matching entries in passwd file",
				       u);
	*ret_uid = (uint32_t)(str_to_uint64(have_user ? pf[2] : u, &v) == 0 ? v : 0);
	*ret_gid = have_user && pf[3] && str_to_uint64(pf[3], &v) == 0 ? (uint32_t)v : 0;
	if (g && *g) {
		bool have_group = find_entry(group, g, is_number(g), gf, &gs);
		if (!have_group && !is_number(g))
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"unable to find group %s: no matching entries in group "
				"file",
				g);
		*ret_gid = (uint32_t)(str_to_uint64(have_group ? gf[2] : g, &v) == 0 ? v : 0);
	}
	json_object *extra = json_object_new_array();
	/* Supplementary groups, as docker sets them: the primary group, then
	 * every group that lists the user as a member. */
	json_object_array_add(extra, json_object_new_int64((int64_t)*ret_gid));
	if (have_user && !g && group) {
		_cleanup_free_ char *copy = xstrdup(group);
		char *save = NULL;
		for (char *line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			_cleanup_strv_ char **f = NULL;
			_cleanup_free_ char *l2 = xstrdup(line);
			char *s2 = NULL;
			for (char *t = strtok_r(l2, ":", &s2); t; t = strtok_r(NULL, ":", &s2))
				strv_push(&f, t);
			if (strv_length(f) < 4)
				continue;
			_cleanup_free_ char *members = xasprintf(",%s,", f[3]);
			_cleanup_free_ char *needle = xasprintf(",%s,", pf[0]);
			if (strstr(members, needle) && str_to_uint64(f[2], &v) == 0 &&
			    v != *ret_gid)
				json_object_array_add(extra, json_object_new_int64((int64_t)v));
		}
	}
	for (size_t i = 0; group_add && i < json_object_array_length(group_add); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(group_add, i));
		_cleanup_free_ char *st = NULL;
		char *f[4] = { 0 };
		if (find_entry(group, name, is_number(name), f, &st) &&
		    str_to_uint64(f[2], &v) == 0)
			json_object_array_add(extra, json_object_new_int64((int64_t)v));
		else if (str_to_uint64(name, &v) == 0)
			json_object_array_add(extra, json_object_new_int64((int64_t)v));
		else {
			json_object_put(extra);
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"unable to find group %s: no matching entries in group "
				"file",
				name);
		}
	}
	*ret_additional = extra;
	return 0;
}

char *spec_user_home(int rootfd, uint32_t uid)
{
	_cleanup_free_ char *passwd = read_etc(rootfd, "/etc/passwd");
	char *save = NULL;

	for (char *line = passwd ? strtok_r(passwd, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = { 0 };
		char *p = line;
		uint64_t v;
		for (int i = 0; i < 7 && p; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (f[2] && f[5] && *f[5] && str_to_uint64(f[2], &v) == 0 && v == uid)
			return xstrdup(f[5]);
	}
	return xstrdup("/");
}
