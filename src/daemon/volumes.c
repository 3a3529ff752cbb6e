/* The volume store of the local driver: records, create, remove, the host
 * mounts of tmpfs and bind volumes (volumes.h). */
#define LOG_CATEGORY "volume"
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "container.h"
#include "container-mounts.h"
#include "volumes.h"

#define VOLUME_RECORD "berth-volume.json"

static struct volume **vols;
static size_t n_vols;
static char *vol_root;

static struct volume *volume_free(struct volume *v)
{
	if (!v)
		return NULL;
	free(v->name);
	json_object_put(v->labels);
	json_object_put(v->options);
	free(v->dir);
	free(v->data);
	free(v);
	return NULL;
}

static int vol_cmp(const void *a, const void *b)
{
	return strcmp((*(struct volume *const *)a)->name, (*(struct volume *const *)b)->name);
}

static void vol_add(struct volume *v)
{
	vols = xrealloc(vols, (n_vols + 1) * sizeof(*vols));
	vols[n_vols++] = v;
	qsort(vols, n_vols, sizeof(*vols), vol_cmp);
}

struct volume **volumes_all(size_t *ret_n)
{
	*ret_n = n_vols;
	return vols;
}

bool volume_name_is_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
			return false;
	}
	return true;
}

int volume_get(const char *name, struct volume **ret, struct berth_error **err)
{
	for (size_t i = 0; i < n_vols; i++)
		if (strcmp(vols[i]->name, name) == 0) {
			*ret = vols[i];
			return 0;
		}
	return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND, "get %s: no such volume", name);
}

static struct volume *volume_new(const char *name)
{
	struct volume *v = xzalloc(sizeof(*v));

	v->name = xstrdup(name);
	v->dir = xasprintf("%s/%s", vol_root, name);
	v->data = xasprintf("%s/_data", v->dir);
	return v;
}

static int volume_save(const struct volume *v, struct berth_error **err)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_free_ char *path = xasprintf("%s/%s", v->dir, VOLUME_RECORD);

	jadd(o, "Name", jstr(v->name));
	jadd(o, "Driver", jstr("local"));
	jadd(o, "Labels", json_object_get(v->labels));
	jadd(o, "Options", json_object_get(v->options));
	jadd(o, "CreatedNs", json_object_new_int64(v->created_ns));
	jadd(o, "Anonymous", json_object_new_boolean(v->anonymous));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int r = file_write_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write '%s'", path);
	return 0;
}

static int volume_load_one(const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/%s", vol_root, name, VOLUME_RECORD);
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_object *o = NULL;

	if (file_read_all(path, 1 << 20, &text, NULL) < 0 || !(o = json_tokener_parse(text)) ||
	    !json_object_is_type(o, json_type_object))
		return -EINVAL;
	struct volume *v = volume_new(name);
	json_object *x;
	if ((x = jget(o, "Labels")) && json_object_is_type(x, json_type_object))
		v->labels = json_object_get(x);
	if ((x = jget(o, "Options")) && json_object_is_type(x, json_type_object))
		v->options = json_object_get(x);
	if ((x = jget(o, "CreatedNs")))
		v->created_ns = json_object_get_int64(x);
	if ((x = jget(o, "Anonymous")))
		v->anonymous = json_object_get_boolean(x);
	vol_add(v);
	return 0;
}

int volumes_load_all(struct daemon *d, struct berth_error **err)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;

	free(vol_root);
	vol_root = xasprintf("%s/volumes", d->data_root);
	if (mkdir_p(vol_root, 0701) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create '%s'", vol_root);
	if (!(dir = opendir(vol_root)))
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", vol_root);
	while ((de = readdir(dir))) {
		if (dirent_is_dot(de))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", vol_root, de->d_name);
		if (str_has_prefix(de->d_name, ".removing-") ||
		    (str_has_prefix(de->d_name, ".") == false && volume_load_one(de->d_name) < 0)) {
			/* An interrupted removal or create: finish it. */
			log_warn("Dropping the incomplete volume directory '%s'", p);
			(void)umount2(p, MNT_DETACH);
			(void)rm_rf(p);
		}
	}
	return 0;
}

static int check_options(const char *name, json_object *opts, struct berth_error **err)
{
	static const char *const known[] = { "type", "device", "o", "size", NULL };
	const char *type = NULL, *device = NULL, *o = NULL;

	json_object_object_foreach (opts, k, val) {
		if (!strv_contains((char *const *)known, k))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "create %s: invalid option: \"%s\"", name, k);
		if (strcmp(k, "type") == 0)
			type = json_object_get_string(val);
		else if (strcmp(k, "device") == 0)
			device = json_object_get_string(val);
		else if (strcmp(k, "o") == 0)
			o = json_object_get_string(val);
		else
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"create %s: quota size requested but no quota support", name);
	}
	bool bind = o && (strcmp(o, "bind") == 0 || str_has_prefix(o, "bind,") ||
			  strstr(o, ",bind") != NULL);
	if (str_is_empty(type) && str_is_empty(device) && str_is_empty(o))
		return 0;
	if (str_is_empty(type) && !bind)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "create %s: missing required option: \"type\"", name);
	if (type && strcmp(type, "tmpfs") == 0)
		return 0;
	if (bind || (type && strcmp(type, "none") == 0 && bind)) {
		struct stat st;
		if (str_is_empty(device))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "create %s: missing required option: \"device\"",
					       name);
		if (device[0] != '/' || stat(device, &st) < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "create %s: invalid mount config for type \"bind\": "
					       "bind source path does not exist: %s",
					       name, device);
		return 0;
	}
	return berth_error_set(err, 0, BERTH_ERR_INVALID,
			       "create %s: berth: volume type %s is not supported yet", name,
			       type ? type : "");
}

int volume_create(struct daemon *d, const char *name, const char *driver, json_object *opts,
		  json_object *labels, bool anonymous, struct volume **ret, bool *ret_created,
		  struct berth_error **err)
{
	char id[65];
	struct volume *v = NULL;
	int r;

	if (str_is_empty(name)) {
		random_id(id);
		name = id;
	}
	if (volume_get(name, &v, NULL) == 0) {
		*ret = v;
		if (ret_created)
			*ret_created = false;
		return 0;
	}
	if (!volume_name_is_valid(name))
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"create %s: \"%s\" includes invalid characters for a local volume name, "
			"only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass "
			"a host directory, use absolute path",
			name, name);
	if (!str_is_empty(driver) && strcmp(driver, "local") != 0)
		return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND,
				       "create %s: error looking up volume plugin %s: plugin "
				       "\"%s\" not found",
				       name, driver, driver);
	if (opts && (r = check_options(name, opts, err)) < 0)
		return r;
	v = volume_new(name);
	v->created_ns = now_unix_ns();
	v->anonymous = anonymous;
	if (labels)
		v->labels = json_sorted_copy(labels);
	if (opts)
		v->options = json_sorted_copy(opts);
	if (mkdir(v->dir, 0701) < 0 || mkdir(v->data, 0755) < 0) {
		r = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create %s: mkdir '%s'", name,
				    v->data);
		(void)rm_rf(v->dir);
		volume_free(v);
		return r;
	}
	if ((r = volume_save(v, err)) < 0) {
		(void)rm_rf(v->dir);
		volume_free(v);
		return r;
	}
	vol_add(v);
	json_object *attrs = json_object_new_object();
	jadd(attrs, "driver", jstr("local"));
	api_event(d, "volume", "create", v->name, attrs);
	*ret = v;
	if (ret_created)
		*ret_created = true;
	return 0;
}

char **volume_users(struct daemon *d, const char *name)
{
	char **ids = NULL;

	for (size_t i = 0; i < d->n_containers; i++)
		if (container_uses_volume(d->containers[i], name))
			strv_push(&ids, d->containers[i]->id);
	return ids;
}

static bool is_mountpoint(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	while (f && fgets(line, sizeof(line), f)) {
		char mp[4096];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp(mp, path) == 0)
			return true;
	}
	return false;
}

bool volume_needs_mount(const struct volume *v)
{
	json_object *t = jget(v->options, "type"), *o = jget(v->options, "o");

	return (t && *json_object_get_string(t)) || (o && *json_object_get_string(o));
}

int volume_mount(struct volume *v, struct berth_error **err)
{
	const char *type = json_object_get_string(jget(v->options, "type"));
	const char *dev = json_object_get_string(jget(v->options, "device"));
	const char *o = json_object_get_string(jget(v->options, "o"));

	if (!volume_needs_mount(v) || is_mountpoint(v->data))
		return 0;
	bool bind =
		o && (strcmp(o, "bind") == 0 || str_has_prefix(o, "bind,") || strstr(o, ",bind"));
	int r;
	if (bind) {
		r = mount(dev, v->data, NULL, MS_BIND | MS_REC, NULL);
		if (r == 0 && o && strstr(o, "ro"))
			(void)mount(NULL, v->data, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
	} else {
		r = mount(str_is_empty(dev) ? "tmpfs" : dev, v->data, type, 0, o ? o : "");
	}
	if (r < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "error while mounting volume '%s': failed to mount local "
				       "volume: mount %s:%s, flags: 0x%x, data: %s: %s",
				       v->data, dev ? dev : "", v->data, bind ? MS_BIND : 0,
				       o ? o : "", strerror(errno));
	return 0;
}

void volume_unmount(struct volume *v)
{
	if (volume_needs_mount(v) && is_mountpoint(v->data))
		(void)umount2(v->data, MNT_DETACH);
}

int volume_remove(struct daemon *d, struct volume *v, struct berth_error **err)
{
	_cleanup_strv_ char **users = volume_users(d, v->name);

	if (users) {
		_cleanup_free_ char *list = xstrdup("");
		for (size_t i = 0; users[i]; i++) {
			char *n = xasprintf("%s%s%s", list, i ? " " : "", users[i]);
			free(list);
			list = n;
		}
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "remove %s: volume is in use - [%s]", v->name, list);
	}
	volume_unmount(v);
	_cleanup_free_ char *gone = xasprintf("%s/.removing-%s", vol_root, v->name);
	if (rename(v->dir, gone) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "remove %s: %s", v->name,
				       strerror(errno));
	(void)rm_rf(gone);
	for (size_t i = 0; i < n_vols; i++)
		if (vols[i] == v) {
			memmove(vols + i, vols + i + 1, (n_vols - i - 1) * sizeof(*vols));
			n_vols--;
			break;
		}
	json_object *attrs = json_object_new_object();
	jadd(attrs, "driver", jstr("local"));
	api_event(d, "volume", "destroy", v->name, attrs);
	volume_free(v);
	return 0;
}

static int64_t du_bytes;

static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F || flag == FTW_SL)
		du_bytes += st->st_size;
	return 0;
}

int64_t volume_size(const struct volume *v)
{
	du_bytes = 0;
	(void)nftw(v->data, du_one, 16, FTW_PHYS | FTW_MOUNT);
	return du_bytes;
}

json_object *volume_json(struct daemon *d, const struct volume *v, bool usage)
{
	json_object *o = json_object_new_object();
	time_t secs = (time_t)(v->created_ns / 1000000000);
	struct tm tm;
	char buf[64];

	/* docker shows the creation time in seconds, with the zone: UTC here */
	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jadd(o, "CreatedAt", jstr(buf));
	jadd(o, "Driver", jstr("local"));
	jadd(o, "Labels", json_object_get(v->labels));
	jadd(o, "Mountpoint", jstr(v->data));
	jadd(o, "Name", jstr(v->name));
	jadd(o, "Options", json_object_get(v->options));
	jadd(o, "Scope", jstr("local"));
	if (usage) {
		_cleanup_strv_ char **users = volume_users(d, v->name);
		json_object *u = json_object_new_object();
		jadd(u, "Size", json_object_new_int64(volume_size(v)));
		jadd(u, "RefCount", json_object_new_int64((int64_t)strv_length(users)));
		jadd(o, "UsageData", u);
	}
	return o;
}

json_object *volumes_df_json(struct daemon *d)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n_vols; i++)
		json_object_array_add(a, volume_json(d, vols[i], true));
	return a;
}
