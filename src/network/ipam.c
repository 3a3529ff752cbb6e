/* IPv4 address management: CIDR parsing and arithmetic, address pools (the
 * subnets new networks get) and the addresses of one subnet.
 *
 * The addresses of a subnet are a two-level bitmap: one chunk of 65536 bits
 * (8 KiB) per /16 of the subnet, allocated on first use, with a count of the
 * addresses in use per chunk. A /8 costs 256 chunk pointers until addresses
 * are taken; a full chunk is skipped without scanning it. Allocation is
 * sequential from the address after the last one handed out, wrapping at the
 * end of the range, as docker's serial allocator; reserve() accepts any
 * address of the subnet, inside the range or not, as docker does for --ip. */
#define LOG_CATEGORY "network"
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "network.h"

/* An error whose message is exactly docker's (no ": strerror" suffix), with
 * errnum e kept for the caller. */
#define ipam_error(err, e, kind, ...)                                                              \
	({                                                                                         \
		bool _fresh = (err) && !*(err);                                                    \
		(void)berth_error_set((err), 0, (kind), __VA_ARGS__);                              \
		if (_fresh)                                                                        \
			(*(err))->errnum = (e);                                                    \
		-(e);                                                                              \
	})

#define CHUNK_SHIFT 16
#define CHUNK_BITS  (1u << CHUNK_SHIFT)

static uint32_t prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : ~0u << (32 - prefix);
}

/* ---- CIDR ---- */

int net_cidr_parse(const char *s, bool strict, struct net_ipv4 *ret, struct berth_error **err)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	struct in_addr a;
	int prefix;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) || slash == s)
		goto invalid;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		goto invalid;
	/* Digits only: no sign, no spaces, no leading zeros beyond "0". */
	if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2]) ||
	    str_to_int(slash + 1, &prefix) < 0 || prefix > 32)
		goto invalid;
	if ((ntohl(a.s_addr) & ~prefix_mask(prefix)) != 0) {
		if (strict)
			goto invalid;
		a.s_addr = htonl(ntohl(a.s_addr) & prefix_mask(prefix));
	}
	*ret = (struct net_ipv4){ a, (unsigned)prefix };
	return 0;
invalid:
	return ipam_error(err, EINVAL, BERTH_ERR_INVALID, "invalid CIDR address: %s", s ? s : "");
}

char *net_ip_format(struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &a, buf, sizeof(buf)))
		abort();
	return xstrdup(buf);
}

char *net_cidr_format(const struct net_ipv4 *n)
{
	_cleanup_free_ char *ip = net_ip_format(n->addr);
	return xasprintf("%s/%u", ip, n->prefix);
}

bool net_cidr_contains(const struct net_ipv4 *n, struct in_addr a)
{
	uint32_t m = prefix_mask(n->prefix);
	return (ntohl(a.s_addr) & m) == (ntohl(n->addr.s_addr) & m);
}

bool net_cidr_overlaps(const struct net_ipv4 *a, const struct net_ipv4 *b)
{
	/* Two prefixes overlap when the shorter one contains the other's base. */
	uint32_t m = prefix_mask(a->prefix < b->prefix ? a->prefix : b->prefix);
	return (ntohl(a->addr.s_addr) & m) == (ntohl(b->addr.s_addr) & m);
}

/* ---- pools ---- */

/* docker's local-scope defaults: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
static const struct net_pool *default_pools(size_t *ret_n)
{
	static struct net_pool pools[16];
	static size_t n;

	if (n == 0) {
		for (unsigned i = 0; i < 15; i++)
			pools[i] =
				(struct net_pool){ { { htonl(0xac110000u + (i << 16)) }, 16 }, 16 };
		pools[15] = (struct net_pool){ { { htonl(0xc0a80000u) }, 16 }, 20 };
		n = 16;
	}
	*ret_n = n;
	return pools;
}

int net_pool_parse(const char *s, struct net_pool *ret, struct berth_error **err)
{
	_cleanup_free_ char *copy = xstrdup(s ? s : "");
	struct net_pool p = { 0 };
	bool have_base = false, have_size = false;
	char *save = NULL;

	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		int size;

		if (!eq)
			return ipam_error(err, EINVAL, BERTH_ERR_INVALID,
					  "invalid field '%s' must be a key=value pair", f);
		*eq = '\0';
		if (strcmp(f, "base") == 0) {
			if (net_cidr_parse(eq + 1, false, &p.base, err) < 0)
				return -EINVAL;
			have_base = true;
		} else if (strcmp(f, "size") == 0) {
			if (str_to_int(eq + 1, &size) < 0 || size < 0 || size > 32)
				return ipam_error(err, EINVAL, BERTH_ERR_INVALID,
						  "invalid size '%s' in '%s'", eq + 1, s);
			p.size = (unsigned)size;
			have_size = true;
		} else {
			return ipam_error(err, EINVAL, BERTH_ERR_INVALID,
					  "unexpected key '%s' in '%s'", f, s);
		}
	}
	if (!have_base || !have_size)
		return ipam_error(err, EINVAL, BERTH_ERR_INVALID,
				  "invalid default address pool '%s': base and size are required",
				  s ? s : "");
	if (p.size < p.base.prefix)
		return ipam_error(err, EINVAL, BERTH_ERR_INVALID,
				  "invalid default address pool '%s': size %u is shorter than "
				  "the base's prefix %u",
				  s, p.size, p.base.prefix);
	*ret = p;
	return 0;
}

static bool overlaps_any(const struct net_ipv4 *n, const struct net_ipv4 *taken, size_t n_taken,
			 size_t *ret_index)
{
	for (size_t i = 0; i < n_taken; i++)
		if (net_cidr_overlaps(n, &taken[i])) {
			*ret_index = i;
			return true;
		}
	return false;
}

int net_pool_next(const struct net_pool *pools, size_t n_pools, const struct net_ipv4 *taken,
		  size_t n_taken, struct net_ipv4 *ret, struct berth_error **err)
{
	if (n_pools == 0)
		pools = default_pools(&n_pools);
	for (size_t i = 0; i < n_pools; i++) {
		uint64_t base =
			ntohl(pools[i].base.addr.s_addr) & prefix_mask(pools[i].base.prefix);
		uint64_t end = base + (1ull << (32 - pools[i].base.prefix));
		uint64_t step = 1ull << (32 - pools[i].size);

		for (uint64_t a = base; a < end;) {
			struct net_ipv4 n = { { htonl((uint32_t)a) }, pools[i].size };
			size_t t;

			if (!overlaps_any(&n, taken, n_taken, &t)) {
				*ret = n;
				return 0;
			}
			/* Skip past the taken range (or one step when it is smaller). */
			uint64_t t_end =
				(ntohl(taken[t].addr.s_addr) & prefix_mask(taken[t].prefix)) +
				(1ull << (32 - taken[t].prefix));
			uint64_t next = a + step;
			if (t_end > next)
				next = base + ((t_end - base + step - 1) / step) * step;
			a = next;
		}
	}
	return ipam_error(err, ENOSPC, BERTH_ERR_INVALID,
			  "all predefined address pools have been fully subnetted");
}

/* ---- addresses of one subnet ---- */

struct ipam_chunk {
	uint32_t used; /* bits set */
	uint64_t bits[CHUNK_BITS / 64];
};

struct net_ipam {
	uint32_t base;	     /* subnet address, host order */
	uint64_t size;	     /* addresses in the subnet */
	uint64_t first, end; /* allocation range, offsets [first, end) */
	uint64_t next;	     /* offset where the next search starts */
	uint64_t gateway;    /* offset, or UINT64_MAX when outside the subnet */
	size_t n_chunks;
	struct ipam_chunk **chunks;
};

static bool bit_get(const struct net_ipam *p, uint64_t off)
{
	const struct ipam_chunk *c = p->chunks[off >> CHUNK_SHIFT];
	uint32_t i = (uint32_t)(off & (CHUNK_BITS - 1));
	return c && (c->bits[i / 64] >> (i % 64)) & 1;
}

static void bit_set(struct net_ipam *p, uint64_t off, bool on)
{
	struct ipam_chunk **c = &p->chunks[off >> CHUNK_SHIFT];
	uint32_t i = (uint32_t)(off & (CHUNK_BITS - 1));
	uint64_t m = 1ull << (i % 64);

	if (!*c) {
		if (!on)
			return;
		*c = xzalloc(sizeof(**c));
	}
	if (on && !((*c)->bits[i / 64] & m)) {
		(*c)->bits[i / 64] |= m;
		(*c)->used++;
	} else if (!on && ((*c)->bits[i / 64] & m)) {
		(*c)->bits[i / 64] &= ~m;
		(*c)->used--;
	}
}

/* Network, broadcast (not on /31 and /32, RFC 3021) and gateway offsets. */
static bool is_special(const struct net_ipam *p, uint64_t off)
{
	if (p->size > 2 && (off == 0 || off == p->size - 1))
		return true;
	return off == p->gateway;
}

struct net_ipam *net_ipam_new(const struct net_ipv4 *subnet, const struct net_ipv4 *range,
			      struct in_addr gateway)
{
	struct net_ipam *p = xzalloc(sizeof(*p));
	struct net_ipv4 sub = { { htonl(ntohl(subnet->addr.s_addr) & prefix_mask(subnet->prefix)) },
				subnet->prefix };

	p->base = ntohl(sub.addr.s_addr);
	p->size = 1ull << (32 - sub.prefix);
	p->n_chunks = (size_t)((p->size + CHUNK_BITS - 1) >> CHUNK_SHIFT);
	p->chunks = xcalloc(p->n_chunks, sizeof(*p->chunks));
	p->gateway =
		net_cidr_contains(&sub, gateway) ? ntohl(gateway.s_addr) - p->base : UINT64_MAX;
	p->first = 0;
	p->end = p->size;
	if (range && range->prefix > 0) {
		/* The range's part inside the subnet: empty when they are disjoint. */
		if (!net_cidr_overlaps(&sub, range))
			p->end = 0;
		else if (range->prefix > sub.prefix) {
			p->first =
				(ntohl(range->addr.s_addr) & prefix_mask(range->prefix)) - p->base;
			p->end = p->first + (1ull << (32 - range->prefix));
		}
	}
	p->next = p->first;
	return p;
}

struct net_ipam *net_ipam_free(struct net_ipam *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n_chunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	free(p);
	return NULL;
}

/* The first free offset in [from, to), or UINT64_MAX. */
static uint64_t find_free(const struct net_ipam *p, uint64_t from, uint64_t to)
{
	uint64_t off = from;

	while (off < to) {
		const struct ipam_chunk *c = p->chunks[off >> CHUNK_SHIFT];
		uint64_t chunk_end = ((off >> CHUNK_SHIFT) + 1) << CHUNK_SHIFT;

		if (c && c->used == CHUNK_BITS) {
			off = chunk_end;
			continue;
		}
		if (!is_special(p, off) && !bit_get(p, off))
			return off;
		off++;
		/* Whole free words are found by the test above at their first bit;
		 * skip full words at once. */
		while (c && off < to && off % 64 == 0 && off + 64 <= chunk_end &&
		       c->bits[(off & (CHUNK_BITS - 1)) / 64] == UINT64_MAX)
			off += 64;
	}
	return UINT64_MAX;
}

int net_ipam_alloc(struct net_ipam *p, struct in_addr *ret, struct berth_error **err)
{
	uint64_t off = UINT64_MAX;

	if (p->next >= p->first && p->next < p->end)
		off = find_free(p, p->next, p->end);
	if (off == UINT64_MAX)
		off = find_free(p, p->first, p->end);
	if (off == UINT64_MAX)
		return ipam_error(err, ENOSPC, BERTH_ERR_UNAVAILABLE,
				  "no available IPv4 addresses");
	bit_set(p, off, true);
	p->next = off + 1 < p->end ? off + 1 : p->first;
	ret->s_addr = htonl((uint32_t)(p->base + off));
	return 0;
}

int net_ipam_reserve(struct net_ipam *p, struct in_addr a, struct berth_error **err)
{
	uint64_t off = (uint64_t)ntohl(a.s_addr) - p->base;

	if (ntohl(a.s_addr) < p->base || off >= p->size) {
		_cleanup_free_ char *s = net_ip_format(a);
		return ipam_error(err, EINVAL, BERTH_ERR_INVALID,
				  "no matching subnet for address %s", s);
	}
	if (is_special(p, off) || bit_get(p, off))
		return ipam_error(err, EEXIST, BERTH_ERR_FORBIDDEN, "Address already in use");
	bit_set(p, off, true);
	return 0;
}

void net_ipam_release(struct net_ipam *p, struct in_addr a)
{
	uint64_t off = (uint64_t)ntohl(a.s_addr) - p->base;

	if (ntohl(a.s_addr) < p->base || off >= p->size)
		return;
	bit_set(p, off, false);
}

bool net_ipam_in_use(const struct net_ipam *p, struct in_addr a)
{
	uint64_t off = (uint64_t)ntohl(a.s_addr) - p->base;

	if (ntohl(a.s_addr) < p->base || off >= p->size)
		return false;
	return is_special(p, off) || bit_get(p, off);
}
