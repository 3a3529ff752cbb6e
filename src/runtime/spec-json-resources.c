/* config.json "linux.resources" -> struct rt_resources. */
#define LOG_CATEGORY "spec"
#include <string.h>

#include "json-util.h"
#include "spec-json-internal.h"

static int invalid(struct berth_error **err, const char *path, const char *what)
{
	return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: %s", path, what);
}

static int parse_memory(json_object *res, const char *path, struct rt_resources *r_,
			struct berth_error **err)
{
	json_object *o = NULL;
	_cleanup_free_ char *p = json_path_key(path, "memory");
	int r;

	if ((r = json_get_object(res, path, "memory", false, &o, err)) <= 0)
		return r;
	if ((r = json_get_int64(o, p, "limit", false, &r_->memory_limit, err)) < 0)
		return r;
	r_->has_memory_limit = r == 1;
	if ((r = json_get_int64(o, p, "reservation", false, &r_->memory_reservation, err)) < 0)
		return r;
	r_->has_memory_reservation = r == 1;
	if ((r = json_get_int64(o, p, "swap", false, &r_->memory_swap, err)) < 0)
		return r;
	r_->has_memory_swap = r == 1;
	if ((r = json_get_int64(o, p, "kernel", false, &r_->kernel_memory, err)) < 0)
		return r;
	r_->has_kernel_memory = r == 1;
	if ((r = json_get_int64(o, p, "kernelTCP", false, &r_->kernel_tcp, err)) < 0)
		return r;
	r_->has_kernel_tcp = r == 1;
	if ((r = json_get_uint64(o, p, "swappiness", false, &r_->memory_swappiness, err)) < 0)
		return r;
	r_->has_memory_swappiness = r == 1;
	if ((r = json_get_bool(o, p, "disableOOMKiller", &r_->disable_oom_killer, err)) < 0 ||
	    (r = json_get_bool(o, p, "useHierarchy", &r_->use_hierarchy, err)) < 0)
		return r;
	if (r_->has_memory_swappiness && r_->memory_swappiness > 100)
		return invalid(err, p, "swappiness must be between 0 and 100");
	if (r_->has_memory_limit && r_->memory_limit < -1)
		return invalid(err, p, "limit must be -1 (unlimited) or a number of bytes");
	if (r_->has_memory_swap && r_->has_memory_limit && r_->memory_swap > 0 &&
	    r_->memory_limit > 0 && r_->memory_swap < r_->memory_limit)
		return invalid(err, p, "swap (memory plus swap) must not be below limit");
	bool checkbefore = false;
	if ((r = json_get_bool(o, p, "checkBeforeUpdate", &checkbefore, err)) < 0)
		return r;
	return 0;
}

static int parse_cpu(json_object *res, const char *path, struct rt_resources *r_,
		     struct berth_error **err)
{
	json_object *o = NULL;
	_cleanup_free_ char *p = json_path_key(path, "cpu");
	const char *s = NULL;
	int r;

	if ((r = json_get_object(res, path, "cpu", false, &o, err)) <= 0)
		return r;
	if ((r = json_get_uint64(o, p, "shares", false, &r_->cpu_shares, err)) < 0)
		return r;
	r_->has_cpu_shares = r == 1;
	if ((r = json_get_int64(o, p, "quota", false, &r_->cpu_quota, err)) < 0)
		return r;
	r_->has_cpu_quota = r == 1;
	if ((r = json_get_uint64(o, p, "period", false, &r_->cpu_period, err)) < 0)
		return r;
	r_->has_cpu_period = r == 1;
	if ((r = json_get_uint64(o, p, "burst", false, &r_->cpu_burst, err)) < 0)
		return r;
	r_->has_cpu_burst = r == 1;
	if ((r = json_get_int64(o, p, "realtimeRuntime", false, &r_->cpu_rt_runtime, err)) < 0)
		return r;
	r_->has_cpu_rt_runtime = r == 1;
	if ((r = json_get_uint64(o, p, "realtimePeriod", false, &r_->cpu_rt_period, err)) < 0)
		return r;
	r_->has_cpu_rt_period = r == 1;
	if ((r = json_get_int64(o, p, "idle", false, &r_->cpu_idle, err)) < 0)
		return r;
	r_->has_cpu_idle = r == 1;
	if ((r = json_get_str(o, p, "cpus", false, &s, err)) < 0)
		return r;
	if (s && *s)
		r_->cpus = xstrdup(s);
	s = NULL;
	if ((r = json_get_str(o, p, "mems", false, &s, err)) < 0)
		return r;
	if (s && *s)
		r_->mems = xstrdup(s);
	if (r_->has_cpu_period && r_->cpu_period != 0 &&
	    (r_->cpu_period < 1000 || r_->cpu_period > 1000000))
		return invalid(err, p, "period must be between 1000 and 1000000 microseconds");
	if (r_->has_cpu_quota && r_->cpu_quota > 0 && r_->cpu_quota < 1000)
		return invalid(err, p, "quota must be -1 or at least 1000 microseconds");
	return 0;
}

static int parse_major_minor(json_object *o, const char *p, int64_t *major, int64_t *minor,
			     struct berth_error **err)
{
	int r;

	if ((r = json_get_int64(o, p, "major", true, major, err)) < 0 ||
	    (r = json_get_int64(o, p, "minor", true, minor, err)) < 0)
		return r;
	if (*major < 0 || *minor < 0)
		return invalid(err, p, "major and minor must not be negative");
	return 0;
}

static int parse_throttle(json_object *blk, const char *path, const char *key,
			  struct rt_throttle **ret, size_t *ret_n, struct berth_error **err)
{
	json_object *arr = NULL;
	_cleanup_free_ char *kp = json_path_key(path, key);
	int r;

	if ((r = json_get_array(blk, path, key, false, &arr, err)) <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	*ret = xcalloc(n + 1, sizeof(struct rt_throttle));
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *ip = json_path_index(kp, i);
		if (!o || !json_object_is_type(o, json_type_object))
			return invalid(err, ip, "expected an object");
		if ((r = parse_major_minor(o, ip, &(*ret)[i].major, &(*ret)[i].minor, err)) < 0 ||
		    (r = json_get_uint64(o, ip, "rate", true, &(*ret)[i].rate, err)) < 0)
			return r;
		*ret_n = i + 1;
	}
	return 0;
}

static int parse_u16(json_object *o, const char *p, const char *key, bool *has, uint16_t *v,
		     struct berth_error **err)
{
	uint32_t x = 0;
	int r = json_get_uint32(o, p, key, false, &x, err);

	if (r < 0)
		return r;
	if (r == 1) {
		if (x > 1000) {
			_cleanup_free_ char *kp = json_path_key(p, key);
			return invalid(err, kp, "must be between 10 and 1000 (0 for unset)");
		}
		*has = x != 0;
		*v = (uint16_t)x;
	}
	return 0;
}

static int parse_blkio(json_object *res, const char *path, struct rt_resources *r_,
		       struct berth_error **err)
{
	json_object *o = NULL, *arr = NULL;
	_cleanup_free_ char *p = json_path_key(path, "blockIO");
	int r;

	if ((r = json_get_object(res, path, "blockIO", false, &o, err)) <= 0)
		return r;
	if ((r = parse_u16(o, p, "weight", &r_->has_blkio_weight, &r_->blkio_weight, err)) < 0 ||
	    (r = parse_u16(o, p, "leafWeight", &r_->has_blkio_leaf_weight, &r_->blkio_leaf_weight,
			   err)) < 0)
		return r;
	if ((r = parse_throttle(o, p, "throttleReadBpsDevice", &r_->throttle_read_bps,
				&r_->n_throttle_read_bps, err)) < 0 ||
	    (r = parse_throttle(o, p, "throttleWriteBpsDevice", &r_->throttle_write_bps,
				&r_->n_throttle_write_bps, err)) < 0 ||
	    (r = parse_throttle(o, p, "throttleReadIOPSDevice", &r_->throttle_read_iops,
				&r_->n_throttle_read_iops, err)) < 0 ||
	    (r = parse_throttle(o, p, "throttleWriteIOPSDevice", &r_->throttle_write_iops,
				&r_->n_throttle_write_iops, err)) < 0)
		return r;
	if ((r = json_get_array(o, p, "weightDevice", false, &arr, err)) < 0)
		return r;
	if (!arr)
		return 0;
	_cleanup_free_ char *wp = json_path_key(p, "weightDevice");
	size_t n = json_object_array_length(arr);
	r_->weight_devices = xcalloc(n + 1, sizeof(struct rt_weight_device));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct rt_weight_device *w = &r_->weight_devices[i];
		_cleanup_free_ char *ip = json_path_index(wp, i);
		if (!e || !json_object_is_type(e, json_type_object))
			return invalid(err, ip, "expected an object");
		if ((r = parse_major_minor(e, ip, &w->major, &w->minor, err)) < 0 ||
		    (r = parse_u16(e, ip, "weight", &w->has_weight, &w->weight, err)) < 0 ||
		    (r = parse_u16(e, ip, "leafWeight", &w->has_leaf_weight, &w->leaf_weight,
				   err)) < 0)
			return r;
		r_->n_weight_devices = i + 1;
	}
	return 0;
}

static int parse_device_rules(json_object *res, const char *path, struct rt_resources *r_,
			      struct berth_error **err)
{
	json_object *arr = NULL;
	_cleanup_free_ char *p = json_path_key(path, "devices");
	int r;

	if ((r = json_get_array(res, path, "devices", false, &arr, err)) <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	r_->device_rules = xcalloc(n + 1, sizeof(struct rt_device_rule));
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct rt_device_rule *d = &r_->device_rules[i];
		_cleanup_free_ char *ip = json_path_index(p, i);
		const char *type = NULL, *access = NULL;

		if (!o || !json_object_is_type(o, json_type_object))
			return invalid(err, ip, "expected an object");
		d->major = d->minor = -1;
		if ((r = json_get_bool(o, ip, "allow", &d->allow, err)) < 0 ||
		    (r = json_get_str(o, ip, "type", false, &type, err)) < 0 ||
		    (r = json_get_str(o, ip, "access", false, &access, err)) < 0 ||
		    (r = json_get_int64(o, ip, "major", false, &d->major, err)) < 0 ||
		    (r = json_get_int64(o, ip, "minor", false, &d->minor, err)) < 0)
			return r;
		if (!json_object_object_get_ex(o, "allow", NULL)) {
			_cleanup_free_ char *ap = json_path_key(ip, "allow");
			return invalid(err, ap, "required field missing");
		}
		d->type = type && *type ? type[0] : 'a';
		if ((type && strlen(type) > 1) || !strchr("acb", d->type))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.type: '%s' is not one of a, c, b", ip, type);
		if (!access || !*access)
			access = "rwm";
		if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.access: '%s' is not a subset of rwm", ip,
					       access);
		(void)snprintf(d->access, sizeof(d->access), "%s", access);
		r_->n_device_rules = i + 1;
	}
	return 0;
}

static int parse_hugepages(json_object *res, const char *path, struct rt_resources *r_,
			   struct berth_error **err)
{
	json_object *arr = NULL;
	_cleanup_free_ char *p = json_path_key(path, "hugepageLimits");
	int r;

	if ((r = json_get_array(res, path, "hugepageLimits", false, &arr, err)) <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	r_->hugepage_limits = xcalloc(n + 1, sizeof(struct rt_hugepage_limit));
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *ip = json_path_index(p, i);
		const char *ps = NULL;
		if (!o || !json_object_is_type(o, json_type_object))
			return invalid(err, ip, "expected an object");
		if ((r = json_get_str(o, ip, "pageSize", true, &ps, err)) < 0 ||
		    (r = json_get_uint64(o, ip, "limit", true, &r_->hugepage_limits[i].limit,
					 err)) < 0)
			return r;
		if (strspn(ps, "0123456789") == 0 || strspn(ps, "0123456789KMGB") != strlen(ps))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.pageSize: '%s' is not a size like 2MB", ip, ps);
		r_->hugepage_limits[i].page_size = xstrdup(ps);
		r_->n_hugepage_limits = i + 1;
	}
	return 0;
}

static int parse_network(json_object *res, const char *path, struct rt_resources *r_,
			 struct berth_error **err)
{
	json_object *o = NULL, *arr = NULL;
	_cleanup_free_ char *p = json_path_key(path, "network");
	int r;

	if ((r = json_get_object(res, path, "network", false, &o, err)) <= 0)
		return r;
	if ((r = json_get_uint32(o, p, "classID", false, &r_->net_class_id, err)) < 0)
		return r;
	r_->has_net_class_id = r == 1;
	if ((r = json_get_array(o, p, "priorities", false, &arr, err)) < 0 || !arr)
		return r < 0 ? r : 0;
	size_t n = json_object_array_length(arr);
	r_->net_priorities = xcalloc(n + 1, sizeof(struct rt_kv));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *ip = json_path_index(p, i);
		const char *name = NULL;
		uint32_t prio = 0;
		if (!e || !json_object_is_type(e, json_type_object))
			return invalid(err, ip, "expected an object");
		if ((r = json_get_str(e, ip, "name", true, &name, err)) < 0 ||
		    (r = json_get_uint32(e, ip, "priority", true, &prio, err)) < 0)
			return r;
		r_->net_priorities[i].key = xstrdup(name);
		r_->net_priorities[i].value = xasprintf("%u", prio);
		r_->n_net_priorities = i + 1;
	}
	return 0;
}

int spec_parse_resources(json_object *res, const char *path, struct rt_resources **ret,
			 struct berth_error **err)
{
	struct rt_resources *r_ = xzalloc(sizeof(*r_));
	json_object *o = NULL;
	int r;

	*ret = r_; /* owned by the spec from here on, so a failure frees it with the spec */
	if ((r = parse_memory(res, path, r_, err)) < 0 || (r = parse_cpu(res, path, r_, err)) < 0 ||
	    (r = parse_blkio(res, path, r_, err)) < 0 ||
	    (r = parse_device_rules(res, path, r_, err)) < 0 ||
	    (r = parse_hugepages(res, path, r_, err)) < 0 ||
	    (r = parse_network(res, path, r_, err)) < 0)
		return r;
	if ((r = json_get_object(res, path, "pids", false, &o, err)) < 0)
		return r;
	if (o) {
		_cleanup_free_ char *pp = json_path_key(path, "pids");
		if ((r = json_get_int64(o, pp, "limit", false, &r_->pids_limit, err)) < 0)
			return r;
		r_->has_pids_limit = r == 1;
	}
	o = NULL;
	if ((r = json_get_object(res, path, "unified", false, &o, err)) < 0)
		return r;
	if (o) {
		_cleanup_free_ char *up = json_path_key(path, "unified");
		if ((r = spec_parse_kv_object(o, up, &r_->unified, &r_->n_unified, err)) < 0)
			return r;
		for (size_t i = 0; i < r_->n_unified; i++) {
			const char *k = r_->unified[i].key;
			if (strchr(k, '/') || k[0] == '.' || !strchr(k, '.'))
				return berth_error_set(err, 0, BERTH_ERR_INVALID,
						       "%s.%s: not a cgroup v2 interface file name",
						       up, k);
		}
	}
	o = NULL;
	if ((r = json_get_object(res, path, "rdma", false, &o, err)) < 0)
		return r;
	if (o && json_object_object_length(o) > 0)
		return berth_error_set(err, EOPNOTSUPP, BERTH_ERR_INVALID,
				       "%s.rdma: the rdma controller is not supported", path);
	return 0;
}
