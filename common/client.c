/*  client.c - request/reply client over DEALER with a timeout (bus.h)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus.h"
#include "bus_internal.h"
#include "log.h"

//  =====================================================================
//  Client

struct npo_client_t {
    void *ctx;                  //  ZeroMQ context
    bool own_ctx;               //  we made ctx
    char *endpoint;             //  the server's ROUTER
    int timeout_ms;             //  per call
    void *socket;               //  DEALER, NULL after a reset
};

npo_client_t *
npo_client_new (void *ctx, const char *endpoint, int timeout_ms)
{
    npo_client_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->own_ctx = ctx == NULL;
    self->ctx = ctx? ctx: zmq_ctx_new ();
    self->endpoint = npo_strdup (endpoint);
    self->timeout_ms = timeout_ms;
    if (!self->ctx)
        npo_client_destroy (&self);
    return self;
}

void
npo_client_destroy (npo_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    npo_client_t *self = *self_p;
    if (self->socket)
        zmq_close (self->socket);
    if (self->own_ctx && self->ctx)
        zmq_ctx_term (self->ctx);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

static void
s_client_reset (npo_client_t *self)
{
    if (self->socket)
        zmq_close (self->socket);
    self->socket = NULL;
}

Npo__Reply *
npo_client_call (npo_client_t *self, Npo__Request *request)
{
    if (!self->socket) {
        self->socket = npo_bus_socket (self->ctx, ZMQ_DEALER);
        if (!self->socket || zmq_connect (self->socket, self->endpoint)) {
            log_error ("could not connect to %s: %s", self->endpoint, zmq_strerror (errno));
            s_client_reset (self);
            return NULL;
        }
    }
    char id [33];
    char *saved_id = request->request_id;
    if (!saved_id || !*saved_id) {
        npo_random_id (id);
        request->request_id = id;
    }
    char want [128];
    snprintf (want, sizeof want, "%s", request->request_id);
    uint8_t *data;
    size_t size;
    int rc = npo_pack (&request->base, &data, &size);
    request->request_id = saved_id;
    if (rc) {
        errno = EMSGSIZE;
        return NULL;
    }
    const void *parts [2] = { "", data };
    size_t sizes [2] = { 0, size };
    rc = npo_bus_send_frames (self->socket, parts, sizes, 2);
    free (data);
    if (rc) {
        s_client_reset (self);
        return NULL;
    }
    int64_t deadline = npo_bus_clock_ms () + self->timeout_ms;
    while (true) {
        int64_t wait = deadline - npo_bus_clock_ms ();
        zmq_pollitem_t item = { self->socket, 0, ZMQ_POLLIN, 0 };
        if (wait <= 0 || zmq_poll (&item, 1, (long) wait) <= 0) {
            if (wait <= 0 || errno != EINTR) {
                s_client_reset (self);
                errno = ETIMEDOUT;
                return NULL;
            }
            continue;
        }
        zmq_msg_t frames [2];
        int count;
        if (npo_bus_recv_frames (self->socket, frames, 2, &count))
            continue;
        Npo__Reply *reply = NULL;
        if (count == 2 && zmq_msg_size (&frames [0]) == 0)
            reply = npo__reply__unpack (NULL, zmq_msg_size (&frames [1]),
                                        zmq_msg_data (&frames [1]));
        npo_bus_close_frames (frames, count, 2);
        if (reply && strcmp (reply->request_id, want) == 0)
            return reply;
        //  A late reply to an earlier call, or garbage: not ours
        if (reply)
            npo__reply__free_unpacked (reply, NULL);
    }
}
