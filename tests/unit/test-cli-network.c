/* Unit tests of the CLI's network side without a daemon: network create's
 * IPAM flags, network ls rows, port's lines, the run/create network flags
 * and the NetworkingConfig they give, all against docker-shaped JSON. The
 * expected values are what the docker CLI (28.2) prints and sends. */
#include <string.h>

#include "cli-network-internal.h"
#include "cli-run-internal.h"
#include "tap.h"

static const struct cli_opt no_globals[] = { {} };
const struct cli_opt *cli_global_opts = no_globals;

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	if (!o)
		abort();
	return o;
}

TEST(natural_order)
{
	ASSERT_TRUE(cli_natural_cmp("n9", "n10") < 0);
	ASSERT_TRUE(cli_natural_cmp("n10", "n9") > 0);
	ASSERT_TRUE(cli_natural_cmp("bridge", "host") < 0);
	ASSERT_TRUE(cli_natural_cmp("9/tcp -> x", "53/udp -> x") < 0);
	ASSERT_TRUE(cli_natural_cmp("80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080") < 0);
	ASSERT_TRUE(cli_natural_cmp("a01", "a1") > 0); /* fewer zeros first */
	ASSERT_TRUE(cli_natural_cmp("1a", "a") < 0);   /* digits first */
	ASSERT_EQ(cli_natural_cmp("same", "same"), 0);
	ASSERT_TRUE(cli_natural_cmp("ab", "abc") < 0);
}

static char *ipam(const char *const *s, const char *const *r, const char *const *g,
		  const char *const *a)
{
	_cleanup_json_ json_object *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;

	if (cli_network_ipam_config((char *const *)s, (char *const *)r, (char *const *)g,
				    (char *const *)a, &c, &err) < 0)
		return xstrdup(err->msg);
	return xstrdup(cli_json_text(c));
}

TEST(ipam_flags)
{
	const char *s1[] = { "10.213.5.0/24", NULL },
		   *s2[] = { "10.1.0.0/24", "10.2.0.0/24", NULL };
	const char *over[] = { "10.1.0.0/16", "10.1.2.0/24", NULL }, *bad[] = { "bad", NULL };
	const char *r1[] = { "10.213.5.128/25", NULL }, *g1[] = { "10.213.5.1", NULL };
	const char *g2[] = { "10.2.0.1", NULL }, *gg[] = { "10.1.0.1", "10.1.0.2", NULL };
	const char *aux[] = { "h=10.1.0.9", NULL }, *v6[] = { "fd00:1::/64", NULL };
	const char *g6[] = { "fd00:1::1", NULL }, *gbad[] = { "bad/33", NULL };
	const char *rout[] = { "10.9.0.0/25", NULL },
		   *s56[] = { "10.213.5.0/24", "10.213.6.0/24", NULL };
	const char *rr[] = { "10.213.5.0/25", "10.213.5.128/25", NULL };
	const struct {
		const char *const *s, *const *r, *const *g, *const *a;
		const char *want;
	} cases[] = {
		{ NULL, NULL, NULL, NULL, "[]" },
		{ s1, r1, g1, NULL,
		  "[{\"Subnet\":\"10.213.5.0/24\",\"IPRange\":\"10.213.5.128/25\",\"Gateway\":"
		  "\"10.213.5.1\"}]" },
		{ s2, NULL, g2, aux,
		  "[{\"Subnet\":\"10.1.0.0/24\",\"AuxiliaryAddresses\":{\"h\":\"10.1.0.9\"}},"
		  "{\"Subnet\":\"10.2.0.0/24\",\"Gateway\":\"10.2.0.1\"}]" },
		{ v6, NULL, g6, NULL, "[{\"Subnet\":\"fd00:1::/64\",\"Gateway\":\"fd00:1::1\"}]" },
		{ bad, NULL, NULL, NULL, "[{\"Subnet\":\"bad\"}]" }, /* not checked alone */
		{ over, NULL, NULL, NULL,
		  "multiple overlapping subnet configuration is not supported" },
		{ NULL, NULL, g2, NULL,
		  "every ip-range or gateway must have a corresponding subnet" },
		{ s1, NULL, r1, NULL,
		  "[{\"Subnet\":\"10.213.5.0/24\",\"Gateway\":\"10.213.5.128/25\"}]" },
		{ s1, rout, NULL, NULL, "no matching subnet for range 10.9.0.0/25" },
		{ s56, rr, NULL, NULL,
		  "cannot configure multiple ranges (10.213.5.128/25, 10.213.5.0/25) on the same "
		  "subnet (10.213.5.0/24)" },
		{ s1, NULL, g2, NULL, "no matching subnet for gateway 10.2.0.1" },
		{ s1, NULL, NULL, aux, "no matching subnet for aux-address 10.1.0.9" },
		{ bad, NULL, g2, NULL, "invalid subnet: invalid CIDR address: bad" },
		{ s1, NULL, gbad, NULL, "invalid CIDR address: bad/33" },
		{ s2, NULL, gg, NULL,
		  "cannot configure multiple gateways (10.1.0.2, 10.1.0.1) for the same subnet "
		  "(10.1.0.0/24)" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = ipam(cases[i].s, cases[i].r, cases[i].g, cases[i].a);
		ASSERT_STREQ(got, cases[i].want);
	}
}

TEST(ls_rows)
{
	_cleanup_json_ json_object *list = parse(
		"[{\"Name\":\"n10\",\"Id\":\"aa3bd5e2b1a8cd2e9bd2\",\"Created\":"
		"\"2026-11-28T03:00:00.123456700Z\",\"Scope\":\"local\",\"Driver\":\"bridge\","
		"\"EnableIPv6\":false,\"Internal\":false,\"Labels\":{\"b\":\"2\",\"a\":\"1\"}},"
		"{\"Name\":\"bridge\",\"Id\":\"bb3bd5e2b1a8cd2e9bd2\",\"Created\":"
		"\"2026-11-28T02:00:00Z\",\"Scope\":\"local\",\"Driver\":\"bridge\","
		"\"EnableIPv4\":false,\"EnableIPv6\":true,\"Internal\":true,\"Labels\":{}},"
		"{\"Name\":\"n9\",\"Id\":\"cc3bd5e2b1a8cd2e9bd2\",\"Created\":"
		"\"2026-11-28T03:00:01.5Z\",\"Scope\":\"local\",\"Driver\":\"bridge\"}]");
	_cleanup_json_ json_object *rows = cli_network_rows(list, true);
	_cleanup_json_ json_object *full = cli_network_rows(list, false);

	ASSERT_EQ(json_object_array_length(rows), 3u);
	ASSERT_STREQ(
		cli_json_text(json_object_array_get_idx(rows, 0)),
		"{\"CreatedAt\":\"2026-11-28 02:00:00 +0000 UTC\",\"Driver\":\"bridge\",\"ID\":"
		"\"bb3bd5e2b1a8\",\"IPv4\":\"false\",\"IPv6\":\"true\",\"Internal\":\"true\","
		"\"Labels\":\"\",\"Name\":\"bridge\",\"Scope\":\"local\"}");
	ASSERT_STREQ(cli_json_str(json_object_array_get_idx(rows, 1), "Name"), "n9");
	ASSERT_STREQ(cli_json_str(json_object_array_get_idx(rows, 1), "CreatedAt"),
		     "2026-11-28 03:00:01.5 +0000 UTC");
	ASSERT_STREQ(cli_json_str(json_object_array_get_idx(rows, 1), "IPv4"), "true");
	ASSERT_STREQ(cli_json_str(json_object_array_get_idx(rows, 2), "Name"), "n10");
	ASSERT_STREQ(cli_json_str(json_object_array_get_idx(rows, 2), "CreatedAt"),
		     "2026-11-28 03:00:00.1234567 +0000 UTC");
	ASSERT_STREQ(cli_json_str(json_object_array_get_idx(rows, 2), "Labels"), "a=1,b=2");
	ASSERT_STREQ(cli_json_str(json_object_array_get_idx(full, 2), "ID"),
		     "aa3bd5e2b1a8cd2e9bd2");
}

static char *port_text(json_object *c, const char *port)
{
	_cleanup_strv_ char **lines = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_buf_ struct cli_buf b = { 0 };

	if (cli_port_lines(c, "web", port, &lines, &err) < 0)
		return xasprintf("%s (%d)", err->msg, err->kind);
	for (size_t i = 0; lines && lines[i]; i++)
		cli_buf_printf(&b, "%s\n", lines[i]);
	return b.s ? cli_buf_take(&b) : xstrdup("");
}

TEST(port_lines)
{
	_cleanup_json_ json_object *c = parse(
		"{\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":"
		"\"8080\"},{\"HostIp\":\"::\",\"HostPort\":\"8080\"}],\"443/tcp\":null,\"53/udp\":"
		"[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"5353\"}],\"9/tcp\":[{\"HostIp\":"
		"\"0.0.0.0\",\"HostPort\":\"32768\"}],\"8000/tcp\":[{\"HostIp\":\"\",\"HostPort\":"
		"\"8000\"}]}}}");
	_cleanup_json_ json_object *none = parse("{\"NetworkSettings\":{\"Ports\":{}}}");
	const struct {
		const char *port, *want;
	} cases[] = {
		{ NULL, "9/tcp -> 0.0.0.0:32768\n53/udp -> 127.0.0.1:5353\n80/tcp -> 0.0.0.0:8080\n"
			"80/tcp -> [::]:8080\n8000/tcp -> :8000\n" },
		{ "80", "0.0.0.0:8080\n[::]:8080\n" },
		{ "80/tcp", "0.0.0.0:8080\n[::]:8080\n" },
		{ "53/udp", "127.0.0.1:5353\n" },
		{ "8000", ":8000\n" },
		{ "53", "Error: No public port '53' published for web (0)" },
		{ "443", "Error: No public port '443' published for web (0)" },
		{ "80/sctp", "Error: No public port '80/sctp' published for web (0)" },
		{ "abc/tcp", "Error: invalid port (abc): strconv.ParseUint: parsing \"abc\": "
			     "invalid syntax (2)" },
		{ "70000", "Error: invalid port (70000): strconv.ParseUint: parsing \"70000\": "
			   "value out of range (2)" },
	};

	ASSERT_EQ(BERTH_ERR_NOT_FOUND, 0);
	ASSERT_EQ(BERTH_ERR_INVALID, 2);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = port_text(c, cases[i].port);
		ASSERT_STREQ(got, cases[i].want);
	}
	_cleanup_free_ char *empty = port_text(none, NULL);
	ASSERT_STREQ(empty, "");
}

/* The NetworkingConfig and the first error of cli_run_build for flags. */
static char *run_net(const char *const *flags)
{
	_cleanup_(cli_run_opts_done) struct cli_run_opts o;
	struct cli_opt table[CLI_RUN_MAX_OPTS];
	_cleanup_args_ struct cli_args args = { 0 };
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	char *argv[64] = { (char *)"create" };
	int argc = 1;
	const struct cli_command cmd = { "create", "IMAGE", "", NULL, CLI_ARGS_MIN, 1, 0, true };

	cli_run_opts_init(&o);
	cli_run_opts_table(&o, false, table);
	for (size_t i = 0; flags[i]; i++)
		argv[argc++] = (char *)flags[i];
	argv[argc++] = (char *)"busybox";
	if (cli_opts_parse(&cmd, table, argc, argv, &args))
		return xasprintf("flag error %d", args.exit_status);
	if (cli_run_build(&o, args.v, args.n, false, 0, 0, &body, &err) < 0)
		return xstrdup(err->msg);
	json_object *h = cli_json_get(body, "HostConfig");
	return xasprintf("%s %s %s %s %s %s", cli_json_str(h, "NetworkMode"),
			 cli_json_text(cli_json_get(body, "NetworkingConfig")),
			 cli_json_text(cli_json_get(h, "PortBindings")),
			 cli_json_text(cli_json_get(body, "ExposedPorts")),
			 cli_json_text(cli_json_get(h, "ExtraHosts")),
			 cli_json_get(body, "MacAddress") ? "top-level-mac" : "-");
}

#define EP_TAIL                                                                                    \
	"\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\","              \
	"\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\","                       \
	"\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}"
#define EMPTY_EP                                                                                   \
	"{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\","                \
	"\"DriverOpts\":null,\"GwPriority\":0," EP_TAIL

TEST(run_network_flags)
{
	const struct {
		const char *flags[16];
		const char *want;
	} cases[] = {
		{ { NULL },
		  "default {\"EndpointsConfig\":{\"default\":" EMPTY_EP "}} {} null null -" },
		{ { "--network", "netA", "--network-alias", "al", "--ip", "10.213.5.9",
		    "--mac-address", "02:42:ac:11:00:02", "--link", "c1:a1", NULL },
		  "netA {\"EndpointsConfig\":{\"netA\":{\"IPAMConfig\":{\"IPv4Address\":"
		  "\"10.213.5.9\"},\"Links\":[\"c1:a1\"],\"Aliases\":[\"al\"],\"MacAddress\":"
		  "\"02:42:ac:11:00:02\",\"DriverOpts\":null,\"GwPriority\":0," EP_TAIL
		  "}} {} null null -" },
		{ { "--network", "netA", NULL }, "netA {\"EndpointsConfig\":{}} {} null null -" },
		{ { "--network", "bridge", "--link", "a:b", NULL },
		  "bridge {\"EndpointsConfig\":{}} {} null null -" },
		{ { "--network", "netA", "--network", "netB", NULL },
		  "netA {\"EndpointsConfig\":{\"netA\":" EMPTY_EP ",\"netB\":" EMPTY_EP
		  "}} {} null null -" },
		{ { "--network", "name=netA,alias=x,driver-opt=K=V,gw-priority=5", NULL },
		  "neta {\"EndpointsConfig\":{\"neta\":{\"IPAMConfig\":null,\"Links\":null,"
		  "\"Aliases\":[\"x\"],\"MacAddress\":\"\",\"DriverOpts\":{\"k\":\"v\"},"
		  "\"GwPriority\":5," EP_TAIL "}} {} null null -" },
		{ { "-p", "127.0.0.1:8000-8001:80-81/UDP", "-p", "[::1]::90", "--expose",
		    "7000/UDP", "--add-host", "h=1.2.3.4", "--add-host", "g:host-gateway",
		    "--add-host", "s:[::1]", NULL },
		  "default {\"EndpointsConfig\":{\"default\":" EMPTY_EP "}} "
		  "{\"80/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8000\"}],\"81/udp\":[{"
		  "\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8001\"}],\"90/"
		  "tcp\":[{\"HostIp\":\"::1\","
		  "\"HostPort\":\"\"}]} "
		  "{\"7000/UDP\":{},\"80/udp\":{},\"81/udp\":{},\"90/tcp\":{}} "
		  "[\"h:1.2.3.4\",\"g:host-gateway\",\"s:::1\"] -" },
		{ { "-p", "80:80/xyz", NULL }, "invalid proto: xyz" },
		{ { "-p", "8080:", NULL }, "no port specified: 8080:<empty>" },
		{ { "-p", "1.2.3:80:80", NULL }, "invalid IP address: 1.2.3" },
		{ { "-p", "8000-8001:80-82", NULL },
		  "invalid ranges specified for container and host Ports: 80-82 and 8000-8001" },
		{ { "--expose", "80:90", NULL }, "invalid port format for --expose: 80:90" },
		{ { "--expose", "abc", "-p", "1.2.3:80:80", NULL }, "invalid IP address: 1.2.3" },
		{ { "-p", "target=80,published=8080-8081,protocol=UDP,mode=host", NULL },
		  "default {\"EndpointsConfig\":{\"default\":" EMPTY_EP "}} "
		  "{\"80/udp\":[{\"HostIp\":\"\",\"HostPort\":\"8080-8081\"}]} "
		  "{\"80/udp\":{}} null -" },
		{ { "-p", "published=8080", NULL }, "no port specified: 8080:/tcp<empty>" },
		{ { "-p", "target=80,=x", NULL },
		  "invalid publish opts format (should be name=value but got '=x')" },
		{ { "--expose", "abc", NULL },
		  "invalid range format for --expose: abc, error: strconv.ParseUint: parsing "
		  "\"abc\": invalid syntax" },
		{ { "--network", "host", "--network", "netA", NULL },
		  "conflicting options: cannot attach both user-defined and non-user-defined "
		  "network-modes" },
		{ { "--network", "netA", "--network", "netA", NULL },
		  "network \"netA\" is specified multiple times" },
		{ { "--network-alias", "x", NULL },
		  "network-scoped aliases are only supported for user-defined networks" },
		{ { "--network", "name=netA,ip=1.2.3.4", "--ip", "1.1.1.1", NULL },
		  "conflicting options: cannot specify both --ip and per-network IPv4 address" },
		{ { "--mac-address", "zz", NULL }, "zz is not a valid mac address" },
		{ { "--network", "netA,alias=x", NULL }, "flag error 125" },
		{ { "--add-host", "h:bad", NULL }, "flag error 125" },
		{ { "--dns", "bad", NULL }, "flag error 125" },
		{ { "--dns-search", "1234", NULL }, "flag error 125" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = run_net(cases[i].flags);
		ASSERT_STREQ(got, cases[i].want);
	}
}

TEST(dns_flags)
{
	_cleanup_strv_ char **dns = NULL, **search = NULL;
	char *msg = NULL;

	ASSERT_OK(cli_parse_dns("::0001", &dns, &msg));
	ASSERT_OK(cli_parse_dns(" 1.1.1.1", &dns, &msg));
	ASSERT_STREQ(dns[0], "::1");
	ASSERT_STREQ(dns[1], "1.1.1.1");
	ASSERT_TRUE(cli_parse_dns("bad", &dns, &msg) < 0);
	ASSERT_STREQ(msg, "IP address is not correctly formatted: bad");
	free(msg);
	ASSERT_OK(cli_parse_dns_search("a.b.", &search, &msg));
	ASSERT_OK(cli_parse_dns_search(".", &search, &msg));
	ASSERT_STREQ(search[0], "a.b");
	ASSERT_STREQ(search[1], ".");
	ASSERT_TRUE(cli_parse_dns_search("bad..x", &search, &msg) < 0);
	ASSERT_STREQ(msg, "bad..x is not a valid domain");
	free(msg);
}
