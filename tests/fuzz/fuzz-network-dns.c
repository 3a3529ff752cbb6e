/* Fuzz the embedded DNS resolver's codec: what any container can send to
 * 127.0.0.11:53 is parsed, then answered into buffers of every size. */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct in_addr addrs[40] = { { 0x0540d50a } };
	struct net_dns_query q;
	uint8_t out[1024];

	if (net_dns_parse_query(data, size, &q) < 0)
		return 0;
	if (strlen(q.name) > NET_DNS_MAX_NAME || q.question_end > size)
		__builtin_trap();
	/* The answer's capacity and record count come from the input too. */
	size_t cap = size > 0 ? (size_t)data[size - 1] * 4 + 12 : sizeof(out);
	size_t n = size > 1 ? data[size - 2] % 41 : 1;
	if (cap > sizeof(out))
		cap = sizeof(out);
	int r = net_dns_build_answer(data, &q, addrs, n, 0, out, cap);
	if (r > (int)cap)
		__builtin_trap();
	if (r > 0) { /* our answer parses back as a response: QR set */
		struct net_dns_query back;
		if (net_dns_parse_query(out, (size_t)r, &back) != -EINVAL)
			__builtin_trap();
	}
	r = net_dns_build_answer(data, &q, addrs, n, 3, out, sizeof(out));
	if (r > (int)sizeof(out))
		__builtin_trap();
	r = net_dns_build_error(data, &q, 2, out, 512);
	if (r > 512)
		__builtin_trap();
	return 0;
}
