/*  rawsend.c - test tool: sends raw bytes to a ROUTER and prints the answer
 *
 *  npo-rawsend ENDPOINT [--bare] [--frames N] < bytes
 *  Sends stdin as one frame after an empty delimiter (--bare: without it;
 *  --frames N: N copies as N frames). Prints "status error_code" of the reply,
 *  or "no-reply" after 3 s. Exit 0 when a reply came.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "envelope.pb-c.h"

int
main (int argc, char *argv [])
{
    if (argc < 2) {
        fprintf (stderr, "usage: npo-rawsend ENDPOINT [--bare] [--frames N] < bytes\n");
        return 2;
    }
    int bare = 0, frames = 1;
    for (int i = 2; i < argc; i++) {
        if (strcmp (argv [i], "--bare") == 0)
            bare = 1;
        else if (strcmp (argv [i], "--frames") == 0 && i + 1 < argc)
            frames = atoi (argv [++i]);
    }
    static char data [8 << 20];
    size_t size = fread (data, 1, sizeof data, stdin);
    void *ctx = zmq_ctx_new ();
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect (dealer, argv [1]);
    if (!bare)
        zmq_send (dealer, "", 0, ZMQ_SNDMORE);
    for (int i = 0; i < frames; i++)
        zmq_send (dealer, data, size, i < frames - 1? ZMQ_SNDMORE: 0);
    zmq_pollitem_t item = { dealer, 0, ZMQ_POLLIN, 0 };
    int rc = 1;
    if (zmq_poll (&item, 1, 3000) == 1) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        //  The reply is the last frame
        while (zmq_msg_recv (&msg, dealer, 0) >= 0 && zmq_msg_more (&msg))
            ;
        Npo__Reply *reply = npo__reply__unpack (NULL, zmq_msg_size (&msg), zmq_msg_data (&msg));
        if (reply) {
            printf ("%d %s\n", reply->status, reply->error_code);
            npo__reply__free_unpacked (reply, NULL);
            rc = 0;
        }
        else
            printf ("unreadable-reply\n");
        zmq_msg_close (&msg);
    }
    else
        printf ("no-reply\n");
    zmq_close (dealer);
    zmq_ctx_term (ctx);
    return rc;
}
