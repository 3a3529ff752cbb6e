/* berth CLI: the network commands (network create/ls/inspect/rm/prune/
 * connect/disconnect) and port, and the pieces of them the unit tests reach:
 * docker's IPAM flag consolidation, its network ls rows and the lines of
 * port, all computed from docker-shaped JSON without a daemon. */
#ifndef BERTH_CLI_NETWORK_INTERNAL_H
#define BERTH_CLI_NETWORK_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>

#include "cli-internal.h"

int cmd_network_connect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_network_create(struct cli_ctx *ctx, int argc, char **argv);
int cmd_network_disconnect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_network_inspect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_network_ls(struct cli_ctx *ctx, int argc, char **argv);
int cmd_network_prune(struct cli_ctx *ctx, int argc, char **argv);
int cmd_network_rm(struct cli_ctx *ctx, int argc, char **argv);
int cmd_port(struct cli_ctx *ctx, int argc, char **argv);

/* The members of an EndpointSettings the docker CLI sends empty (ids,
 * addresses, DNSNames), added to e: run/create and network connect. */
void cli_endpoint_add_unset(json_object *e);

/* sortorder.NaturalLess as a comparison: digit runs compare as numbers. */
int cli_natural_cmp(const char *a, const char *b);

/* docker's consolidateIpam: the IPAM "Config" array of network create from
 * the --subnet, --ip-range, --gateway and --aux-address (name=ip) flags, with
 * its messages ("no matching subnet for gateway 10.2.0.1"). */
int cli_network_ipam_config(char *const *subnets, char *const *ranges, char *const *gateways,
			    char *const *aux, json_object **ret, struct berth_error **err);

/* The rows of network ls (docker's networkContext fields), sorted by name
 * naturally, from GET /networks' array. */
json_object *cli_network_rows(json_object *list, bool trunc);

/* The lines of "port CONTAINER [PORT]" from a container's inspect JSON:
 * "80/tcp -> 0.0.0.0:8080" (all), "0.0.0.0:8080" (port given), naturally
 * sorted. An unknown port or a bad one: docker's message, NOT_FOUND/INVALID. */
int cli_port_lines(json_object *container, const char *name, const char *port, char ***ret,
		   struct berth_error **err);

#endif
