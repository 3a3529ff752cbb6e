/* The DNS message codec of the embedded resolver: a query's header and single
 * question in, an answer out. Every offset is checked against the message
 * length before it is read; compression pointers must point backwards and are
 * followed at most DNS_MAX_POINTERS times, so no input can make the parser
 * loop or read out of bounds.
 */
#define LOG_CATEGORY "network"
#include <errno.h>
#include <string.h>

#include "dns-internal.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Read the name at *off into out (lower case, dots between labels, no
 * trailing dot); *off moves past the name as it is in the message (past the
 * first pointer when there is one). *ret_flat says whether no pointer was met. */
static int parse_name(const uint8_t *msg, size_t len, size_t *off, char *out, bool *ret_flat)
{
	size_t pos = *off, end = 0, wire = 0, n = 0;
	unsigned jumps = 0;

	for (;;) {
		if (pos >= len)
			return -EINVAL;
		uint8_t l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > DNS_MAX_POINTERS)
				return -EINVAL;
			size_t target = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
			if (target >= pos) /* only backwards: no loops */
				return -EINVAL;
			if (end == 0)
				end = pos + 2;
			pos = target;
			continue;
		}
		if (l & 0xc0) /* 0x40 and 0x80: extended and reserved label types */
			return -EINVAL;
		wire += 1 + (size_t)l;
		if (wire > NET_DNS_MAX_NAME)
			return -EINVAL;
		if (l == 0)
			break;
		if (pos + 1 + l > len)
			return -EINVAL;
		if (n > 0)
			out[n++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = msg[pos + 1 + i];
			/* A dot or NUL inside a label would read as another name. */
			if (c == '.' || c == '\0')
				return -EINVAL;
			out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
		}
		pos += 1 + l;
	}
	out[n] = '\0';
	*off = end ? end : pos + 1;
	*ret_flat = end == 0;
	return 0;
}

int net_dns_parse_query(const uint8_t *msg, size_t len, struct net_dns_query *ret)
{
	struct net_dns_query q = { 0 };
	size_t off = DNS_HEADER_SIZE;
	bool flat;

	if (!msg || len < DNS_HEADER_SIZE)
		return -EINVAL;
	q.id = get16(msg);
	q.flags = get16(msg + 2);
	if (q.flags & DNS_FLAG_QR) /* a response: never answer one */
		return -EINVAL;
	if (get16(msg + 4) != 1)
		return -EINVAL;
	if (parse_name(msg, len, &off, q.name, &flat) < 0)
		return -EINVAL;
	if (off + 4 > len)
		return -EINVAL;
	q.qtype = get16(msg + off);
	q.qclass = get16(msg + off + 2);
	q.question_end = off + 4;
	*ret = q;
	return 0;
}

/* The question as it will be written: the query's own bytes (the client's
 * letter case, which some resolvers check) unless its name has a pointer,
 * which would mean something else in our answer; then from q->name. */
static int question_write(const uint8_t *query, const struct net_dns_query *q, uint8_t *buf,
			  size_t cap, size_t *ret_len)
{
	size_t off = DNS_HEADER_SIZE, n = 0;
	char name[NET_DNS_MAX_NAME + 1];
	bool flat = false;

	if (query && q->question_end <= DNS_HEADER_SIZE + NET_DNS_MAX_NAME + 4 &&
	    parse_name(query, q->question_end, &off, name, &flat) == 0 && flat &&
	    off + 4 == q->question_end) {
		n = q->question_end - DNS_HEADER_SIZE;
		if (n > cap)
			return -EINVAL;
		memcpy(buf, query + DNS_HEADER_SIZE, n);
		*ret_len = n;
		return 0;
	}
	/* Labels from the name: each dot-free run is one label. */
	const char *p = q->name;
	while (*p) {
		size_t l = strcspn(p, ".");
		if (l == 0 || l > 63 || n + 1 + l + 1 + 4 > cap || n + 1 + l + 1 > NET_DNS_MAX_NAME)
			return -EINVAL;
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	if (n + 1 + 4 > cap)
		return -EINVAL;
	buf[n++] = 0;
	put16(buf + n, q->qtype);
	put16(buf + n + 2, q->qclass);
	*ret_len = n + 4;
	return 0;
}

static int build(const uint8_t *query, const struct net_dns_query *q, const struct in_addr *addrs,
		 size_t n, int rcode, uint8_t *buf, size_t cap)
{
	size_t qlen = 0, off, count = 0;
	uint16_t flags;

	if (!q || !buf || rcode < 0 || rcode > 15 || (n > 0 && !addrs))
		return -EINVAL;
	if (cap < DNS_HEADER_SIZE)
		return -EINVAL;
	if (question_write(query, q, buf + DNS_HEADER_SIZE, cap - DNS_HEADER_SIZE, &qlen) < 0)
		return -EINVAL;
	off = DNS_HEADER_SIZE + qlen;
	flags = DNS_FLAG_QR | (q->flags & (DNS_OPCODE_MASK | DNS_FLAG_RD)) | DNS_FLAG_RA |
		(uint16_t)rcode;
	for (size_t i = 0; i < n; i++) {
		if (off + DNS_A_RECORD_SIZE > cap) {
			flags |= DNS_FLAG_TC;
			break;
		}
		uint8_t *r = buf + off;
		put16(r, 0xc000 | DNS_HEADER_SIZE); /* the question's name */
		put16(r + 2, NET_DNS_TYPE_A);
		put16(r + 4, DNS_CLASS_IN);
		put16(r + 6, (uint16_t)(DNS_TTL >> 16));
		put16(r + 8, (uint16_t)DNS_TTL);
		put16(r + 10, 4);
		memcpy(r + 12, &addrs[i].s_addr, 4);
		off += DNS_A_RECORD_SIZE;
		count++;
	}
	put16(buf, q->id);
	put16(buf + 2, flags);
	put16(buf + 4, 1);
	put16(buf + 6, (uint16_t)count);
	put16(buf + 8, 0);
	put16(buf + 10, 0);
	return (int)off;
}

int net_dns_build_answer(const uint8_t *query, const struct net_dns_query *q,
			 const struct in_addr *addrs, size_t n, int rcode, uint8_t *buf, size_t cap)
{
	/* NXDOMAIN and the other errors carry no records. */
	return build(query, q, addrs, rcode == 0 ? n : 0, rcode, buf, cap);
}

int net_dns_build_error(const uint8_t *query, const struct net_dns_query *q, int rcode,
			uint8_t *buf, size_t cap)
{
	return build(query, q, NULL, 0, rcode, buf, cap);
}
