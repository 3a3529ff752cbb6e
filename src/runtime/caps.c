/* Capabilities and credentials of the container's process, with the raw
 * capget/capset syscalls (version 3, two 32-bit halves) and prctl. The order
 * the runtime follows: caps_apply_bounding() while still privileged,
 * caps_set_user() with PR_SET_KEEPCAPS, then caps_apply_sets(). */
#define LOG_CATEGORY "caps"
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps-internal.h"

#define CAPS_PATH "process.capabilities"

struct cap_state {
	uint64_t effective, permitted, inheritable;
};

static const char *cap_name(int cap, char buf[static 16])
{
	const char *name = spec_cap_name(cap);

	if (name)
		return name;
	(void)snprintf(buf, 16, "CAP_%d", cap);
	return buf;
}

/* The capabilities this kernel knows; bits above cap_last_cap cannot be set. */
static uint64_t caps_known_mask(void)
{
	int last = spec_cap_last();

	return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

static int caps_get(struct cap_state *ret)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	ret->effective = data[0].effective | (uint64_t)data[1].effective << 32;
	ret->permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	ret->inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct cap_state *st)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
		{ (uint32_t)st->effective, (uint32_t)st->permitted, (uint32_t)st->inheritable },
		{ (uint32_t)(st->effective >> 32), (uint32_t)(st->permitted >> 32),
		  (uint32_t)(st->inheritable >> 32) },
	};

	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

int caps_apply_bounding(const struct rt_caps *caps, struct berth_error **err)
{
	int last = spec_cap_last();
	char buf[16];

	for (int cap = 0; cap <= last && cap < 64; cap++) {
		if (caps->bounding & (UINT64_C(1) << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL) {
			log_debug("Kernel does not know %s, ignoring", cap_name(cap, buf));
			continue;
		}
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       CAPS_PATH ".bounding: drop %s", cap_name(cap, buf));
	}
	return 0;
}

int caps_set_user(const struct rt_user *user, bool setgroups_allowed, struct berth_error **err)
{
	int r = 0;

	if (!setgroups_allowed && user->n_additional_gids > 0)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"process.user.additionalGids: setgroups is denied in this user "
			"namespace");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "prctl(PR_SET_KEEPCAPS)");
	if (setgroups_allowed && setgroups(user->n_additional_gids, user->additional_gids) < 0)
		r = berth_error_set(err, errno, BERTH_ERR_INVALID,
				    "process.user.additionalGids: setgroups(%zu groups)",
				    user->n_additional_gids);
	else if (setresgid(user->gid, user->gid, user->gid) < 0)
		r = berth_error_set(err, errno, BERTH_ERR_INVALID,
				    "process.user.gid: setresgid(%u)", user->gid);
	else if (setresuid(user->uid, user->uid, user->uid) < 0)
		r = berth_error_set(err, errno, BERTH_ERR_INVALID,
				    "process.user.uid: setresuid(%u)", user->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 && r == 0)
		r = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "prctl(PR_SET_KEEPCAPS, 0)");
	return r;
}

/* capset failed as a whole: find the set to name in the error. */
static int capset_error(const struct cap_state *want, int errnum, struct berth_error **err)
{
	struct cap_state cur = { 0 };
	uint64_t bad;
	char buf[16];

	if (caps_get(&cur) < 0)
		return berth_error_set(err, errnum, BERTH_ERR_INTERNAL, CAPS_PATH ": capset");
	if ((bad = want->permitted & ~cur.permitted))
		return berth_error_set(err, errnum, BERTH_ERR_INVALID,
				       CAPS_PATH ".permitted: cannot raise %s",
				       cap_name(__builtin_ctzll(bad), buf));
	if ((bad = want->effective & ~want->permitted))
		return berth_error_set(err, errnum, BERTH_ERR_INVALID,
				       CAPS_PATH ".effective: %s is not in the permitted set",
				       cap_name(__builtin_ctzll(bad), buf));
	for (int cap = 0; cap < 64; cap++) {
		uint64_t bit = UINT64_C(1) << cap;
		if (!(want->inheritable & bit) || (cur.inheritable & bit))
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			return berth_error_set(err, errnum, BERTH_ERR_INVALID,
					       CAPS_PATH
					       ".inheritable: %s is not in the bounding set",
					       cap_name(cap, buf));
	}
	if ((bad = want->inheritable & ~(cur.inheritable | cur.permitted)))
		return berth_error_set(err, errnum, BERTH_ERR_INVALID,
				       CAPS_PATH ".inheritable: cannot raise %s",
				       cap_name(__builtin_ctzll(bad), buf));
	return berth_error_set(err, errnum, BERTH_ERR_INTERNAL, CAPS_PATH ": capset");
}

static int apply_ambient(uint64_t ambient, uint64_t allowed, struct berth_error **err)
{
	char buf[16];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		if (errno == EINVAL && ambient == 0)
			return 0; /* a kernel without ambient capabilities */
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, CAPS_PATH ".ambient: clear");
	}
	for (int cap = 0; cap < 64; cap++) {
		uint64_t bit = UINT64_C(1) << cap;
		if (!(ambient & bit))
			continue;
		if (!(allowed & bit)) {
			log_debug("Ambient %s is not permitted and inheritable, ignoring",
				  cap_name(cap, buf));
			continue;
		}
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) == 0)
			continue;
		if (errno == EINVAL) {
			log_debug("Kernel refuses ambient %s, ignoring", cap_name(cap, buf));
			continue;
		}
		return berth_error_set(err, errno, BERTH_ERR_INVALID,
				       CAPS_PATH ".ambient: raise %s", cap_name(cap, buf));
	}
	return 0;
}

int caps_apply_sets(const struct rt_caps *caps, struct berth_error **err)
{
	uint64_t known = caps_known_mask();
	struct cap_state want = {
		.effective = caps->effective & known,
		.permitted = caps->permitted & known,
		.inheritable = caps->inheritable & known,
	};
	int r;

	if ((caps->effective | caps->permitted | caps->inheritable | caps->ambient) & ~known)
		log_debug("Capabilities above cap_last_cap %d, ignoring", spec_cap_last());
	r = caps_set(&want);
	if (r < 0)
		return capset_error(&want, -r, err);
	return apply_ambient(caps->ambient & known, want.permitted & want.inheritable, err);
}
