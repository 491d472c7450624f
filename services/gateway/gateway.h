/*  gateway.h - the public HTTP gateway: routing, handlers, Redis cache client
 *
 *  Serves the organization records that the publication service keeps in Redis
 *  (DESIGN.md, "HTTP gateway"). Reads Redis only. Single-threaded: everything
 *  runs on the caller's event base.
 */
#ifndef NPO_GATEWAY_H
#define NPO_GATEWAY_H

#include <stdio.h>

struct event_base;

typedef struct gateway_t gateway_t;

//  Returns a gateway listening on host:port (port 0: a free port, see
//  gateway_port) that connects to Redis at redis_host:redis_port in the
//  background and reconnects when the connection is lost. Returns NULL when
//  it cannot listen (logged). With rate > 0, each client address may send
//  burst requests at once and rate a second (429 beyond). Owned by the
//  caller: gateway_destroy.
gateway_t *
    gateway_new (struct event_base *base, const char *host, int port,
                 const char *redis_host, int redis_port, int rate, int burst);

//  Answers every request still waiting for Redis with 503, closes Redis and
//  the listener, frees the gateway and NULLs *self_p. Safe twice.
void
    gateway_destroy (gateway_t **self_p);

//  Returns the port the gateway listens on.
int
    gateway_port (gateway_t *self);

//  Prints every route served, one a line: its path ({name}: a segment), a
//  tab, and the query parameters it takes, separated by commas.
void
    gateway_print_routes (FILE *out);

#endif
