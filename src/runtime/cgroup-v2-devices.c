/* The device controller of cgroup v2: an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, written here instruction by instruction, that
 * the kernel runs on every open and mknod of a device node.
 *
 * It keeps the v1 list semantics: a rule for all devices ("a", any major and
 * minor) resets the list and sets the default (allow or deny); every later
 * rule is an exception, and the last one that matches decides. An allow rule
 * matches when it grants every access asked for, a deny rule when it denies
 * any of them. The program tests the exceptions from the last to the first
 * and falls back on the default.
 */
#define LOG_CATEGORY "cgroup"
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-backend-internal.h"

#define MAX_OLD_PROGS 64
#define LOG_SIZE      (64u << 10)

struct prog {
	struct bpf_insn *v;
	size_t n, cap;
};

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static size_t emit(struct prog *p, struct bpf_insn insn)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n] = insn;
	return p->n++;
}

static int bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static uint32_t access_mask(const char *access)
{
	uint32_t m = 0;

	for (const char *a = access; *a; a++)
		m |= *a == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *a == 'w' ? BPF_DEVCG_ACC_WRITE
		     : *a == 'm' ? BPF_DEVCG_ACC_MKNOD
				 : 0;
	return m;
}

/* r2 = device type, r3 = access asked for, r4 = major, r5 = minor. */
static void emit_prelude(struct prog *p)
{
	emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0));
	emit(p, INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
	emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0));
	emit(p, INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
	emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0));
	emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0));
}

static void emit_return(struct prog *p, bool allow)
{
	emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, allow ? 1 : 0));
	emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

/* One block: each test jumps past the block when the rule does not match. */
static void emit_rule(struct prog *p, const struct rt_device_rule *d)
{
	uint32_t acc = access_mask(d->access), all = 7;
	size_t jumps[6], nj = 0;

	if (acc == 0 || d->major > INT32_MAX || d->minor > INT32_MAX)
		return; /* matches nothing */
	if (d->type != 'a')
		jumps[nj++] =
			emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
				     d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
	if (acc != all && d->allow) {
		jumps[nj++] = emit(p, INSN(BPF_JMP | BPF_JSET | BPF_K, BPF_REG_3, 0, 0,
					   (int32_t)(all & ~acc)));
	} else if (acc != all) {
		emit(p, INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
		emit(p, INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)acc));
		jumps[nj++] = emit(p, INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, 0, 0));
	}
	if (d->major >= 0)
		jumps[nj++] = emit(
			p, INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)d->major));
	if (d->minor >= 0)
		jumps[nj++] = emit(
			p, INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)d->minor));
	emit_return(p, d->allow);
	for (size_t i = 0; i < nj; i++)
		p->v[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
}

static bool is_reset(const struct rt_device_rule *d)
{
	return d->type == 'a' && d->major < 0 && d->minor < 0;
}

/* Build the program; false when it would allow everything (no program needed). */
static bool build(const struct rt_device_rule *rules, size_t n, struct prog *p)
{
	bool default_allow = true;
	size_t from = 0;

	for (size_t i = 0; i < n; i++)
		if (is_reset(&rules[i])) {
			default_allow = rules[i].allow;
			from = i + 1;
		}
	if (default_allow && from == n)
		return false;
	emit_prelude(p);
	for (size_t i = n; i > from; i--)
		emit_rule(p, &rules[i - 1]);
	emit_return(p, default_allow);
	return true;
}

static int load(const struct prog *p, const char *dir, struct berth_error **err)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uintptr_t)p->v;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uintptr_t) "Apache";
	fd = bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	int e = errno;
	if (e != EINVAL && e != EACCES)
		return berth_error_set(err, e, BERTH_ERR_INTERNAL,
				       "linux.resources.devices: load the device filter for '%s'",
				       dir);
	/* The verifier refused it: load again for its log. */
	_cleanup_free_ char *log = xzalloc(LOG_SIZE);
	attr.log_buf = (uintptr_t)log;
	attr.log_size = LOG_SIZE;
	attr.log_level = 1;
	fd = bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	log[LOG_SIZE - 1] = '\0';
	return berth_error_set(err, e, BERTH_ERR_INTERNAL,
			       "linux.resources.devices: the kernel refused the device filter for "
			       "'%s' (%.200s)",
			       dir, log);
}

/* The ids of the device programs attached to this cgroup itself. */
static uint32_t query(int dirfd, uint32_t ids[MAX_OLD_PROGS])
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dirfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uintptr_t)ids;
	attr.query.prog_cnt = MAX_OLD_PROGS;
	if (bpf(BPF_PROG_QUERY, &attr) < 0)
		return 0;
	return attr.query.prog_cnt < MAX_OLD_PROGS ? attr.query.prog_cnt : MAX_OLD_PROGS;
}

static int detach(int dirfd, uint32_t id, const char *dir, struct berth_error **err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	_cleanup_close_ int fd = bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return errno == ENOENT ? 0
				       : berth_error_set(err, errno, BERTH_ERR_INTERNAL,
							 "find device filter %u of '%s'", id, dir);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	if (bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "detach the old device filter %u of '%s'", id, dir);
	return 0;
}

int cg_v2_devices_apply(int dirfd, const char *dir, const struct rt_device_rule *rules, size_t n,
			bool fresh, struct berth_error **err)
{
	struct prog p = { 0 };
	uint32_t old[MAX_OLD_PROGS];
	uint32_t n_old = fresh ? 0 : query(dirfd, old);
	int r;

	if (build(rules, n, &p)) {
		_cleanup_free_ struct bpf_insn *insns = p.v; /* freed on every return */
		(void)insns;
		_cleanup_close_ int fd = load(&p, dir, err);
		if (fd < 0)
			return fd;
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)dirfd;
		attr.attach_bpf_fd = (uint32_t)fd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		attr.attach_flags = BPF_F_ALLOW_MULTI;
		if (bpf(BPF_PROG_ATTACH, &attr) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "linux.resources.devices: attach the device filter "
					       "to '%s'",
					       dir);
	}
	/* Replaced: the new program is in place before the old ones go. */
	for (uint32_t i = 0; i < n_old; i++)
		if ((r = detach(dirfd, old[i], dir, err)) < 0)
			return r;
	return 0;
}
