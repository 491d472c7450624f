/*  bus_internal.h - helpers shared by bus.c, client.c, outbox.c, consumer.c
 *
 *  Not for services: they use bus.h.
 */
#ifndef NPO_BUS_INTERNAL_H
#define NPO_BUS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

//  Monotonic clock in milliseconds.
int64_t
    npo_bus_clock_ms (void);

//  A new socket with ZMQ_MAXMSGSIZE and linger 0, or NULL.
void *
    npo_bus_socket (void *ctx, int type);

//  Sends n frames; returns 0 or -1.
int
    npo_bus_send_frames (void *socket, const void *const *data, const size_t *size, int n);

//  Receives one multipart message without waiting, keeping at most max frames
//  in frames (the rest are dropped; *count says how many arrived). Returns 0,
//  or -1 when nothing was there. Close with npo_bus_close_frames.
int
    npo_bus_recv_frames (void *socket, zmq_msg_t *frames, int max, int *count);

void
    npo_bus_close_frames (zmq_msg_t *frames, int count, int max);

#endif
