/* Messages between the runtime parent and the container init. */
#ifndef BERTH_RUNTIME_SYNC_INTERNAL_H
#define BERTH_RUNTIME_SYNC_INTERNAL_H

#include <stdint.h>

/* Parent <-> container init messages over a SOCK_SEQPACKET socketpair. */
enum sync_type {
	SYNC_PID,	 /* first stage -> parent: the init's pid (joined user namespace) */
	SYNC_GO,	 /* parent -> init: maps written, cgroup joined */
	SYNC_HOOKS_REQ,	 /* init -> parent: run prestart and createRuntime hooks now */
	SYNC_HOOKS_DONE, /* parent -> init */
	SYNC_READY,	 /* init -> parent: waiting for start */
	SYNC_ERROR,	 /* either way: text follows */
	SYNC_TYPE_MAX,
};

struct sync_msg {
	uint32_t type;
	int32_t errnum;
	char text[4000];
};

int sync_send(int fd, enum sync_type type, int errnum, const char *text);
/* Receive one message; -EPIPE when the peer is gone. */
int sync_recv(int fd, struct sync_msg *m);

#endif
