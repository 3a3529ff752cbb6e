/* berth network: constants shared by the DNS codec and server (dns.h). */
#ifndef BERTH_NETWORK_DNS_INTERNAL_H
#define BERTH_NETWORK_DNS_INTERNAL_H

#include "dns.h"

#define DNS_HEADER_SIZE	  12
#define DNS_A_RECORD_SIZE 16 /* name pointer, type, class, ttl, rdlength, address */
#define DNS_MAX_POINTERS  32
#define DNS_TTL		  600u
#define DNS_CLASS_IN	  1
#define DNS_PORT	  53
#define DNS_UDP_MAX	  512	/* a query over UDP, and our own UDP answers */
#define DNS_TCP_MAX	  65535 /* a message over TCP (its 2-byte length) */

#define DNS_FLAG_QR	0x8000
#define DNS_OPCODE_MASK 0x7800
#define DNS_FLAG_AA	0x0400
#define DNS_FLAG_TC	0x0200
#define DNS_FLAG_RD	0x0100
#define DNS_FLAG_RA	0x0080
#define DNS_RCODE_MASK	0x000f

#define DNS_RCODE_NOERROR  0
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP   4

#endif
