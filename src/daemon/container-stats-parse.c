/* Parsers of the files stats are read from (container-stats.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "container-stats.h"

/* The next line of *p into buf (without its newline); false at the end. */
static bool next_line(const char **p, char *buf, size_t size)
{
	if (!*p || !**p)
		return false;
	size_t n = strcspn(*p, "\n");
	size_t k = n < size - 1 ? n : size - 1;
	memcpy(buf, *p, k);
	buf[k] = '\0';
	*p += n + ((*p)[n] == '\n');
	return true;
}

static bool parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || (*end && *end != '\n' && *end != ' '))
		return false;
	*ret = v;
	return true;
}

int stats_kv_get(const char *text, const char *key, uint64_t *ret)
{
	char line[512];
	size_t kl = strlen(key);

	while (next_line(&text, line, sizeof(line)))
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ' && parse_u64(line + kl + 1, ret))
			return 0;
	return -ENOENT;
}

void stats_kv_to_json(const char *text, json_object *o)
{
	char line[512];
	uint64_t v;

	while (next_line(&text, line, sizeof(line))) {
		char *sp = strchr(line, ' ');
		if (!sp || sp == line || !parse_u64(sp + 1, &v))
			continue;
		*sp = '\0';
		json_object_object_add(o, line, json_object_new_uint64(v));
	}
}

int stats_limit_parse(const char *text, uint64_t *ret)
{
	if (strncmp(text, "max", 3) == 0 && (!text[3] || text[3] == '\n')) {
		*ret = UINT64_MAX;
		return 0;
	}
	return parse_u64(text, ret) ? 0 : -EINVAL;
}

static json_object *blkio_entry(unsigned maj, unsigned min, const char *op, uint64_t v)
{
	json_object *e = json_object_new_object();
	json_object_object_add(e, "major", json_object_new_uint64(maj));
	json_object_object_add(e, "minor", json_object_new_uint64(min));
	json_object_object_add(e, "op", json_object_new_string(op));
	json_object_object_add(e, "value", json_object_new_uint64(v));
	return e;
}

json_object *stats_blkio_v1_parse(const char *text)
{
	char line[512], op[32];
	unsigned maj, min;
	uint64_t v;
	json_object *a = NULL;

	while (next_line(&text, line, sizeof(line))) {
		if (sscanf(line, "%u:%u %31s %" SCNu64, &maj, &min, op, &v) != 4)
			continue;
		if (!a)
			a = json_object_new_array();
		json_object_array_add(a, blkio_entry(maj, min, op, v));
	}
	return a;
}

json_object *stats_io_v2_parse(const char *text)
{
	char line[1024];
	unsigned maj, min;
	json_object *a = NULL;

	while (next_line(&text, line, sizeof(line))) {
		int off = 0;
		if (sscanf(line, "%u:%u%n", &maj, &min, &off) != 2)
			continue;
		uint64_t rb = 0, wb = 0;
		char *save = NULL;
		for (char *t = strtok_r(line + off, " ", &save); t;
		     t = strtok_r(NULL, " ", &save)) {
			if (strncmp(t, "rbytes=", 7) == 0)
				(void)parse_u64(t + 7, &rb);
			else if (strncmp(t, "wbytes=", 7) == 0)
				(void)parse_u64(t + 7, &wb);
		}
		if (!a)
			a = json_object_new_array();
		json_object_array_add(a, blkio_entry(maj, min, "read", rb));
		json_object_array_add(a, blkio_entry(maj, min, "write", wb));
	}
	return a;
}

json_object *stats_percpu_parse(const char *text)
{
	json_object *a = json_object_new_array();
	const char *p = text;
	char *end;

	for (;;) {
		p += strspn(p, " \n");
		if (!*p)
			break;
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if (errno || end == p)
			break;
		json_object_array_add(a, json_object_new_uint64(v));
		p = end;
	}
	return a;
}

int stats_proc_stat_parse(const char *text, long ticks_per_s, uint64_t *ret_ns, uint32_t *ret_cpus)
{
	char line[1024];
	uint64_t f[7] = { 0 }, total = 0;
	uint32_t cpus = 0;
	bool found = false;

	if (ticks_per_s <= 0)
		return -EINVAL;
	while (next_line(&text, line, sizeof(line))) {
		if (strncmp(line, "cpu ", 4) == 0) {
			if (sscanf(line + 4,
				   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
				   " %" SCNu64 " %" SCNu64,
				   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]) != 7)
				return -EINVAL;
			found = true;
		} else if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9') {
			cpus++;
		}
	}
	if (!found)
		return -EINVAL;
	for (size_t i = 0; i < 7; i++)
		total += f[i];
	*ret_ns = total * (1000000000ull / (uint64_t)ticks_per_s);
	*ret_cpus = cpus;
	return 0;
}

json_object *stats_net_dev_parse(const char *text)
{
	static const char *const names[] = { "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
					     "tx_bytes", "tx_packets", "tx_errors", "tx_dropped" };
	/* columns of /proc/net/dev: rx bytes packets errs drop fifo frame
	 * compressed multicast, tx bytes packets errs drop ... */
	static const int cols[] = { 0, 1, 2, 3, 8, 9, 10, 11 };
	char line[1024];
	json_object *nets = NULL;

	while (next_line(&text, line, sizeof(line))) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *name = line + strspn(line, " ");
		if (!*name || strcmp(name, "lo") == 0)
			continue;
		uint64_t v[16] = { 0 };
		int n = 0;
		char *p = colon + 1, *end;
		while (n < 16) {
			p += strspn(p, " ");
			if (!*p)
				break;
			v[n++] = strtoull(p, &end, 10);
			if (end == p)
				break;
			p = end;
		}
		if (n < 12)
			continue;
		json_object *o = json_object_new_object();
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			json_object_object_add(o, names[i], json_object_new_uint64(v[cols[i]]));
		if (!nets)
			nets = json_object_new_object();
		json_object_object_add(nets, name, o);
	}
	return nets;
}
