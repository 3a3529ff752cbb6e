/* seccomp filters from config.json, built with libseccomp.
 *
 * seccomp_filter_build() turns struct rt_seccomp into a loaded-ready filter
 * and checks every name (syscall, architecture, flag) so that create fails
 * early, before the container exists. A syscall name unknown to this
 * libseccomp is skipped with a debug line, as runc does (profiles list
 * syscalls of newer kernels). The build generates the BPF program (the costly
 * part, milliseconds for the docker profile); seccomp_filter_load() is one
 * seccomp(2) call in the calling process, which must have no_new_privs set or
 * CAP_SYS_ADMIN; with SCMP_ACT_NOTIFY rules it returns the listener fd.
 */
#ifndef BERTH_RUNTIME_SECCOMP_INTERNAL_H
#define BERTH_RUNTIME_SECCOMP_INTERNAL_H

#include "spec-internal.h"

struct rt_seccomp_filter;

int seccomp_filter_build(const struct rt_seccomp *sc, struct rt_seccomp_filter **ret,
			 struct berth_error **err);
/* The same, reusing the BPF program of an identical config from cache_dir (a
 * directory only root can write, e.g. <runtime root>/seccomp-cache; created
 * 0700 when missing). A miss or an unusable cache only costs the generation. */
int seccomp_filter_build_cached(const struct rt_seccomp *sc, const char *cache_dir,
				struct rt_seccomp_filter **ret, struct berth_error **err);
/* Number of BPF instructions, for debug output and tests. */
size_t seccomp_filter_size(const struct rt_seccomp_filter *f);
/* Load into the current process. *ret_notify_fd is the listener fd or -1. */
int seccomp_filter_load(struct rt_seccomp_filter *f, int *ret_notify_fd, struct berth_error **err);
struct rt_seccomp_filter *seccomp_filter_free(struct rt_seccomp_filter *f);
DEFINE_CLEANUP(struct rt_seccomp_filter, seccomp_filter_free)

/* For `features`: every action, operator, architecture and flag we accept. */
extern const char *const seccomp_action_names[];
extern const char *const seccomp_op_names[];
extern const char *const seccomp_arch_names[];
extern const char *const seccomp_flag_names[];

/* Send the listener fd and the container state to the agent at listener_path
 * (SCM_RIGHTS over a unix socket, the seccomp notify protocol of the spec). */
int seccomp_notify_send(const char *listener_path, int notify_fd, const char *state_json,
			struct berth_error **err);

/* The same in two steps, for the container init, which connects while the
 * listener's path is still reachable (before pivot_root) and sends once the
 * filter is loaded. */
int seccomp_notify_connect(const char *listener_path, struct berth_error **err);
int seccomp_notify_send_on(int sk, int notify_fd, const char *state_json, struct berth_error **err);

#endif
