/* Seccomp filters: struct rt_seccomp -> libseccomp -> BPF program -> kernel.
 *
 * Everything that can fail on a bad config (names, architectures, flags, rule
 * shapes) fails in seccomp_filter_build(), so that create refuses the config
 * before the container exists. The build also generates the BPF program
 * (seccomp_export_bpf), which is the expensive part: about 20 ms for the
 * docker profile on three architectures. seccomp_filter_load() is then one
 * seccomp(2) call, as in crun. With a cache directory the program of a config
 * seen before is read back instead of generated (crun keeps such a cache too);
 * a cache file holds its whole key, so a hash collision is only a miss.
 */
#define LOG_CATEGORY "seccomp"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp-internal.h"

#define SECCOMP_PATH  "linux.seccomp"
#define ARCH_PREFIX   "SCMP_ARCH_"
#define MAX_RULE_ARGS 6
#define CACHE_MAGIC   "BERTHBPF"
#define CACHE_FORMAT  1 /* bump when the program generation changes */

DEFINE_CLEANUP(void, seccomp_release)

struct rt_seccomp_filter {
	struct sock_filter *insns;
	size_t n_insns;
	unsigned long load_flags; /* SECCOMP_FILTER_FLAG_* */
	bool needs_notify;
};

const char *const seccomp_action_names[] = { "SCMP_ACT_KILL",	      "SCMP_ACT_KILL_THREAD",
					     "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
					     "SCMP_ACT_ERRNO",	      "SCMP_ACT_TRACE",
					     "SCMP_ACT_ALLOW",	      "SCMP_ACT_LOG",
					     "SCMP_ACT_NOTIFY",	      NULL };

const char *const seccomp_op_names[] = { "SCMP_CMP_NE",	       "SCMP_CMP_LT", "SCMP_CMP_LE",
					 "SCMP_CMP_EQ",	       "SCMP_CMP_GE", "SCMP_CMP_GT",
					 "SCMP_CMP_MASKED_EQ", NULL };

/* The architectures this libseccomp knows; the token comes from
 * seccomp_arch_resolve_name() on the lowercased suffix. */
const char *const seccomp_arch_names[] = {
	"SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",	    "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",	   "SCMP_ARCH_MIPS64",	    "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",	    "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",	    NULL
};

const char *const seccomp_flag_names[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
					   "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
					   "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };

static bool names_contain(const char *const *names, const char *s)
{
	for (; *names; names++)
		if (strcmp(*names, s) == 0)
			return true;
	return false;
}

/* "SCMP_ARCH_X86_64" -> SCMP_ARCH_X86_64 token, 0 when unknown. */
static uint32_t arch_token(const char *name)
{
	char lower[32];
	size_t i;

	if (!names_contain(seccomp_arch_names, name))
		return 0;
	name += strlen(ARCH_PREFIX);
	for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[i] = '\0';
	return seccomp_arch_resolve_name(lower);
}

static int add_architectures(scmp_filter_ctx ctx, char *const *archs, struct berth_error **err)
{
	for (size_t i = 0; archs && archs[i]; i++) {
		uint32_t token = arch_token(archs[i]);
		int r;

		if (token == 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       SECCOMP_PATH
					       ".architectures[%zu]: unknown architecture '%s'",
					       i, archs[i]);
		r = seccomp_arch_add(ctx, token);
		if (r < 0 && r != -EEXIST)
			return berth_error_set(err, -r, BERTH_ERR_INVALID,
					       SECCOMP_PATH ".architectures[%zu]: add '%s'", i,
					       archs[i]);
	}
	return 0;
}

/* Map the flag names to seccomp(2) flags. TSYNC is dropped: the runtime is
 * single threaded (and TSYNC excludes NEW_LISTENER). WAIT_KILLABLE_RECV only
 * means something with a listener. */
static int parse_flags(char *const *flags, bool notify, unsigned long *ret,
		       struct berth_error **err)
{
	unsigned long v = notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;

	for (size_t i = 0; flags && flags[i]; i++) {
		const char *flag = flags[i];

		if (strcmp(flag, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
			continue;
		else if (strcmp(flag, "SECCOMP_FILTER_FLAG_LOG") == 0)
			v |= SECCOMP_FILTER_FLAG_LOG;
		else if (strcmp(flag, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			v |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (strcmp(flag, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
			v |= notify ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
		else
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       SECCOMP_PATH ".flags[%zu]: unknown flag '%s'", i,
					       flag);
	}
	*ret = v;
	return 0;
}

/* Ask libseccomp whether the kernel supports the flags, to name the flag in
 * the error at create time rather than fail the load later. */
static int check_flags(scmp_filter_ctx ctx, char *const *flags, struct berth_error **err)
{
	for (size_t i = 0; flags && flags[i]; i++) {
		int r = 0;

		if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
			r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
		else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
		if (r < 0)
			return berth_error_set(err, -r, BERTH_ERR_INVALID,
					       SECCOMP_PATH ".flags[%zu]: '%s' is not supported", i,
					       flags[i]);
	}
	return 0;
}

/* One syscall of one rule, resolved; sorted before libseccomp sees it. */
struct syscall_entry {
	int nr;
	uint32_t rule, name;
};

static int rule_check(const struct rt_seccomp_rule *rule, size_t i, struct berth_error **err)
{
	if (rule->n_args > MAX_RULE_ARGS)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       SECCOMP_PATH ".syscalls[%zu].args: at most %d arguments", i,
				       MAX_RULE_ARGS);
	for (size_t k = 0; k < rule->n_args; k++) {
		const struct rt_seccomp_arg *a = &rule->args[k];
		if (a->index >= MAX_RULE_ARGS || a->op < SCMP_CMP_NE || a->op > SCMP_CMP_MASKED_EQ)
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				SECCOMP_PATH ".syscalls[%zu].args[%zu]: bad comparison", i, k);
	}
	return 0;
}

/* Resolve every name of every rule that differs from the default action (a
 * rule repeating it is a no-op, and libseccomp refuses it). Names this
 * libseccomp does not know are skipped, as runc does. */
static int collect_syscalls(const struct rt_seccomp *sc, struct syscall_entry **ret, size_t *ret_n,
			    struct berth_error **err)
{
	_cleanup_free_ struct syscall_entry *v = NULL;
	size_t n = 0, cap = 0;
	int r;

	for (size_t i = 0; i < sc->n_rules; i++) {
		const struct rt_seccomp_rule *rule = &sc->rules[i];
		if (rule->action == sc->default_action)
			continue;
		if ((r = rule_check(rule, i, err)) < 0)
			return r;
		for (size_t k = 0; rule->names && rule->names[k]; k++) {
			int nr = seccomp_syscall_resolve_name(rule->names[k]);
			if (nr == __NR_SCMP_ERROR) {
				log_debug("Unknown syscall '%s' in " SECCOMP_PATH
					  ".syscalls[%zu], ignoring",
					  rule->names[k], i);
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = (struct syscall_entry){ nr, (uint32_t)i, (uint32_t)k };
		}
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

/* Descending syscall numbers, then config order: libseccomp keeps each
 * architecture's syscalls in an ascending list, so every insert lands at the
 * head instead of walking the list (quadratic for the docker profile). */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct syscall_entry *a = pa, *b = pb;

	if (a->nr != b->nr)
		return a->nr > b->nr ? -1 : 1;
	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	return a->name < b->name ? -1 : a->name > b->name;
}

static bool args_repeat_index(const struct rt_seccomp_rule *rule)
{
	unsigned seen = 0;

	for (size_t i = 0; i < rule->n_args; i++) {
		unsigned bit = 1u << rule->args[i].index;
		if (seen & bit)
			return true;
		seen |= bit;
	}
	return false;
}

/* libseccomp refuses several comparisons on one argument in a rule; like runc
 * and crun, such a rule becomes one rule per comparison. seccomp_rule_add_array
 * (not _exact) lets libseccomp rewrite the rule for each architecture
 * (socketcall, ipc, pseudo syscalls). */
static int add_syscall(scmp_filter_ctx ctx, const struct rt_seccomp *sc,
		       const struct syscall_entry *e, struct berth_error **err)
{
	const struct rt_seccomp_rule *rule = &sc->rules[e->rule];
	struct scmp_arg_cmp cmp[MAX_RULE_ARGS];
	int r = 0;

	for (size_t k = 0; k < rule->n_args; k++)
		cmp[k] = (struct scmp_arg_cmp){
			.arg = rule->args[k].index,
			.op = (enum scmp_compare)rule->args[k].op,
			.datum_a = rule->args[k].value,
			.datum_b = rule->args[k].value_two,
		};
	if (!args_repeat_index(rule))
		r = seccomp_rule_add_array(ctx, rule->action, e->nr, (unsigned)rule->n_args, cmp);
	else
		for (size_t k = 0; k < rule->n_args && r >= 0; k++)
			r = seccomp_rule_add_array(ctx, rule->action, e->nr, 1, &cmp[k]);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INVALID,
				       SECCOMP_PATH ".syscalls[%u]: add rule for '%s'", e->rule,
				       rule->names[e->name]);
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct rt_seccomp *sc, struct berth_error **err)
{
	_cleanup_free_ struct syscall_entry *v = NULL;
	size_t n = 0;
	int r;

	if ((r = collect_syscalls(sc, &v, &n, err)) < 0)
		return r;
	if (n > 1)
		qsort(v, n, sizeof(*v), entry_cmp);
	for (size_t i = 0; i < n; i++)
		if ((r = add_syscall(ctx, sc, &v[i], err)) < 0)
			return r;
	return 0;
}

static int init_attrs(scmp_filter_ctx ctx, struct berth_error **err)
{
	int r;

	/* Real errnos from libseccomp, and no_new_privs left to the runtime. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "set seccomp attributes");
	/* A binary tree of syscalls: the docker profile has ~370 of them. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		log_debug("Binary tree seccomp filters unavailable (%d), ignoring", r);
	return 0;
}

static int export_program(scmp_filter_ctx ctx, struct rt_seccomp_filter *f,
			  struct berth_error **err)
{
	const size_t max = BPF_MAXINSNS * sizeof(struct sock_filter);
	_cleanup_close_ int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "memfd_create");
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "generate seccomp filter");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "generate seccomp filter");
	r = fd_read_all(fd, max, &buf, &len);
	if (r == -EFBIG)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       SECCOMP_PATH ": the filter is longer than %d instructions",
				       BPF_MAXINSNS);
	if (r < 0 || len == 0 || len % sizeof(struct sock_filter) != 0)
		return berth_error_set(err, r < 0 ? -r : EIO, BERTH_ERR_INTERNAL,
				       "read generated seccomp filter");
	f->insns = (struct sock_filter *)TAKE_PTR(buf);
	f->n_insns = len / sizeof(struct sock_filter);
	return 0;
}

static int compile(const struct rt_seccomp *sc, struct rt_seccomp_filter *f,
		   struct berth_error **err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(sc->default_action);
	int r;

	if (!ctx)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       SECCOMP_PATH ".defaultAction: refused by libseccomp");
	if ((r = init_attrs(ctx, err)) < 0 ||
	    (r = add_architectures(ctx, sc->architectures, err)) < 0 ||
	    (r = check_flags(ctx, sc->flags, err)) < 0 || (r = add_rules(ctx, sc, err)) < 0)
		return r;
	return export_program(ctx, f, err);
}

/* ---- the program cache ---- */

struct cache_header {
	char magic[8];
	uint32_t format, key_len, n_insns, reserved;
};

struct key_buf {
	char *data;
	size_t len, cap;
};

static void key_put(struct key_buf *k, const void *p, size_t n)
{
	if (k->len + n > k->cap) {
		k->cap = k->len + n > 2 * k->cap ? k->len + n + 4096 : 2 * k->cap;
		k->data = xrealloc(k->data, k->cap);
	}
	memcpy(k->data + k->len, p, n);
	k->len += n;
}

static void key_put_u64(struct key_buf *k, uint64_t v)
{
	key_put(k, &v, sizeof(v));
}

static void key_put_strv(struct key_buf *k, char *const *v)
{
	key_put_u64(k, strv_length(v));
	for (size_t i = 0; v && v[i]; i++) {
		size_t n = strlen(v[i]);
		key_put_u64(k, n);
		key_put(k, v[i], n);
	}
}

/* Everything the program depends on, unambiguously (lengths before data). */
static char *cache_key(const struct rt_seccomp *sc, size_t *ret_len)
{
	const struct scmp_version *v = seccomp_version();
	struct key_buf kb = { NULL, 0, 0 };

	key_put_u64(&kb, CACHE_FORMAT);
	key_put_u64(&kb, (uint64_t)v->major << 32 | v->minor << 16 | v->micro);
	key_put_u64(&kb, seccomp_arch_native());
	key_put_u64(&kb, sc->default_action);
	key_put_strv(&kb, sc->architectures);
	key_put_strv(&kb, sc->flags);
	key_put_u64(&kb, sc->n_rules);
	for (size_t i = 0; i < sc->n_rules; i++) {
		const struct rt_seccomp_rule *rule = &sc->rules[i];
		key_put_u64(&kb, rule->action);
		key_put_strv(&kb, rule->names);
		key_put_u64(&kb, rule->n_args);
		for (size_t k = 0; k < rule->n_args; k++) {
			key_put_u64(&kb, (uint64_t)rule->args[k].index << 32 |
						 (uint32_t)rule->args[k].op);
			key_put_u64(&kb, rule->args[k].value);
			key_put_u64(&kb, rule->args[k].value_two);
		}
	}
	*ret_len = kb.len;
	return kb.data;
}

static char *cache_path(const char *dir, const char *key, size_t key_len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a: a file name, not a proof */

	for (size_t i = 0; i < key_len; i++)
		h = (h ^ (unsigned char)key[i]) * UINT64_C(0x100000001b3);
	return xasprintf("%s/%016" PRIx64 ".bpf", dir, h);
}

/* 1 and the program in f on a hit, 0 on a miss. */
static int cache_lookup(const char *path, const char *key, size_t key_len,
			struct rt_seccomp_filter *f)
{
	_cleanup_free_ char *buf = NULL;
	struct cache_header h;
	size_t len = 0, insns_len;

	if (file_read_all(path, SPEC_MAX_BYTES, &buf, &len) < 0 || len < sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	insns_len = (size_t)h.n_insns * sizeof(struct sock_filter);
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) != 0 || h.format != CACHE_FORMAT ||
	    h.key_len != key_len || h.n_insns == 0 || h.n_insns > BPF_MAXINSNS ||
	    len != sizeof(h) + key_len + insns_len || memcmp(buf + sizeof(h), key, key_len) != 0)
		return 0;
	f->insns = xmalloc(insns_len);
	memcpy(f->insns, buf + sizeof(h) + key_len, insns_len);
	f->n_insns = h.n_insns;
	return 1;
}

static void cache_store(const char *dir, const char *path, const char *key, size_t key_len,
			const struct rt_seccomp_filter *f)
{
	struct cache_header h = { .format = CACHE_FORMAT,
				  .key_len = (uint32_t)key_len,
				  .n_insns = (uint32_t)f->n_insns };
	struct key_buf k = { NULL, 0, 0 };
	_cleanup_free_ char *buf = NULL;
	int r;

	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	key_put(&k, &h, sizeof(h));
	key_put(&k, key, key_len);
	key_put(&k, f->insns, f->n_insns * sizeof(struct sock_filter));
	buf = k.data;
	if ((r = mkdir_p(dir, 0700)) < 0 || (r = file_write_atomic(path, buf, k.len, 0600)) < 0)
		log_debug("Cannot cache the seccomp filter in '%s' (%s), ignoring", dir,
			  strerror(-r));
}

int seccomp_filter_build_cached(const struct rt_seccomp *sc, const char *cache_dir,
				struct rt_seccomp_filter **ret, struct berth_error **err)
{
	_cleanup_(seccomp_filter_freep) struct rt_seccomp_filter *f = xzalloc(sizeof(*f));
	_cleanup_free_ char *key = NULL, *path = NULL;
	size_t key_len = 0;
	int r;

	f->needs_notify = sc->needs_notify;
	for (size_t i = 0; i < sc->n_rules; i++)
		if (sc->rules[i].action == SCMP_ACT_NOTIFY)
			f->needs_notify = true;
	if ((r = parse_flags(sc->flags, f->needs_notify, &f->load_flags, err)) < 0)
		return r;
	if (cache_dir) {
		key = cache_key(sc, &key_len);
		path = cache_path(cache_dir, key, key_len);
		if (cache_lookup(path, key, key_len, f) > 0) {
			*ret = TAKE_PTR(f);
			return 0;
		}
	}
	if ((r = compile(sc, f, err)) < 0)
		return r;
	if (cache_dir)
		cache_store(cache_dir, path, key, key_len, f);
	*ret = TAKE_PTR(f);
	return 0;
}

int seccomp_filter_build(const struct rt_seccomp *sc, struct rt_seccomp_filter **ret,
			 struct berth_error **err)
{
	return seccomp_filter_build_cached(sc, NULL, ret, err);
}

int seccomp_filter_load(struct rt_seccomp_filter *f, int *ret_notify_fd, struct berth_error **err)
{
	struct sock_fprog prog = { .len = (unsigned short)f->n_insns, .filter = f->insns };
	long r;

	/* With NEW_LISTENER the kernel returns the listener, O_CLOEXEC. */
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->load_flags, &prog);
	if (r < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "load seccomp filter");
	if (!f->needs_notify)
		r = -1;
	if (ret_notify_fd)
		*ret_notify_fd = (int)r;
	else if (r >= 0)
		(void)close((int)r);
	return 0;
}

size_t seccomp_filter_size(const struct rt_seccomp_filter *f)
{
	return f->n_insns;
}

struct rt_seccomp_filter *seccomp_filter_free(struct rt_seccomp_filter *f)
{
	if (!f)
		return NULL;
	free(f->insns);
	free(f);
	return NULL;
}
