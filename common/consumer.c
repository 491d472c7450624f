/*  consumer.c - applies a stream's events exactly once, in order (bus.h)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus.h"
#include "bus_internal.h"
#include "config.h"
#include "log.h"

//  =====================================================================
//  Consumer

#define BATCH_MAX  1000

struct npo_consumer_t {
    npo_db_t *db;               //  the consumer's database, not owned
    char *stream;               //  the producer's stream
    char *prefix;               //  "<stream>." topic prefix
    void *sub;                  //  SUB to the producer's PUB, owned
    npo_client_t *client;       //  to the producer's ROUTER, for Replay
    npo_apply_fn *apply;
    npo_committed_fn *committed;
    void *state;
    uint64_t last;              //  last seq applied (and committed)
    uint64_t producer_last;     //  highest seq the producer has shown us
    bool caught_up;             //  the start-up replay finished
    bool reload;                //  the stored offset must be re-read
    int64_t retry_at;           //  no replay before this (monotonic ms)
    int backoff;                //  ms until the next replay after a failure
};

//  Applies events (contiguous, starting at last + 1) in one transaction.
//  Returns 0, or -1 (rolled back; retried on the next tick).
static int s_consumer_load (npo_consumer_t *self);

static int
s_consumer_apply (npo_consumer_t *self, Npo__Envelope **events, size_t n)
{
    if (n == 0)
        return 0;
    if (self->reload) {
        //  Events were read against an offset that may be stale
        s_consumer_load (self);
        return -1;
    }
    if (npo_db_begin (self->db))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (self->apply (self->state, events [i])) {
            log_warn ("could not apply %s; the batch is rolled back and retried",
                      events [i]->event_id);
            goto err;
        }
    char stream_last [24], new_last [24];
    snprintf (stream_last, sizeof stream_last, "%llu", (unsigned long long) self->last);
    snprintf (new_last, sizeof new_last, "%llu", (unsigned long long) events [n - 1]->seq);
    const char *params [3] = { self->stream, new_last, stream_last };
    //  The guard on last_seq makes a second consumer of the same schema fail
    //  here instead of applying the events twice.
    PGresult *res = npo_db_exec (self->db,
        "UPDATE consumed SET last_seq = $2 WHERE stream = $1 AND last_seq = $3", 3, params);
    if (!res)
        goto err;
    bool moved = strcmp (PQcmdTuples (res), "1") == 0;
    PQclear (res);
    if (!moved) {
        log_error ("offset of stream %s moved under us; reloading", self->stream);
        goto err;
    }
    if (npo_db_commit (self->db))
        goto err;
    self->last = events [n - 1]->seq;
    if (self->last > self->producer_last)
        self->producer_last = self->last;
    if (self->committed)
        self->committed (self->state, true);
    return 0;
err:
    //  A COMMIT that failed on a lost connection may have succeeded, and a
    //  moved offset means someone else applied: either way, re-read it.
    self->reload = true;
    npo_db_rollback (self->db);
    if (self->committed)
        self->committed (self->state, false);
    return -1;
}

static int
s_consumer_load (npo_consumer_t *self)
{
    const char *params [1] = { self->stream };
    if (npo_db_cmd (self->db, "INSERT INTO consumed (stream, last_seq) VALUES ($1, 0)"
                              " ON CONFLICT (stream) DO NOTHING", 1, params))
        return -1;
    PGresult *res = npo_db_exec (self->db,
        "SELECT last_seq FROM consumed WHERE stream = $1", 1, params);
    if (!res)
        return -1;
    self->last = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    self->reload = false;
    return 0;
}

//  After a failed replay, waits 0.5 s, doubling to 8 s, before the next one:
//  the loop stays free for commands while the producer is down.
static void
s_consumer_failed (npo_consumer_t *self)
{
    self->backoff = self->backoff? (self->backoff < 8000? self->backoff * 2: 8000): 500;
    self->retry_at = npo_bus_clock_ms () + self->backoff;
}

//  Replays from last + 1 until the producer has nothing more. Returns 0 when
//  caught up, -1 when the producer or our database is unreachable.
static int
s_consumer_catch_up (npo_consumer_t *self)
{
    if (npo_bus_clock_ms () < self->retry_at)
        return -1;
    if (self->reload && s_consumer_load (self)) {
        s_consumer_failed (self);
        return -1;
    }
    while (true) {
        Npo__Replay replay = NPO__REPLAY__INIT;
        replay.stream = self->stream;
        replay.from_seq = self->last + 1;
        replay.max = NPO_REPLAY_MAX;
        Npo__Request request = NPO__REQUEST__INIT;
        request.body_case = NPO__REQUEST__BODY_REPLAY;
        request.replay = &replay;
        Npo__Reply *reply = npo_client_call (self->client, &request);
        if (!reply) {
            log_warn ("could not replay %s from %llu: no answer", self->stream,
                      (unsigned long long) replay.from_seq);
            s_consumer_failed (self);
            return -1;
        }
        if (reply->status != NPO__STATUS__STATUS_OK || !reply->replay) {
            log_warn ("could not replay %s: %s", self->stream, reply->error_message);
            npo__reply__free_unpacked (reply, NULL);
            s_consumer_failed (self);
            return -1;
        }
        Npo__ReplayReply *body = reply->replay;
        if (body->last_seq > self->producer_last)
            self->producer_last = body->last_seq;
        size_t n = body->n_events;
        int rc = 0;
        for (size_t i = 0; i < n; i++)
            if (body->events [i]->seq != self->last + 1 + i) {
                log_error ("replay of %s is not contiguous at %llu (pruned outbox?)",
                           self->stream, (unsigned long long) (self->last + 1 + i));
                rc = -1;
                n = i;
            }
        if (s_consumer_apply (self, body->events, n))
            rc = -1;
        npo__reply__free_unpacked (reply, NULL);
        if (rc) {
            s_consumer_failed (self);
            return -1;
        }
        if (n == 0 || self->last >= self->producer_last)
            break;
    }
    self->backoff = 0;
    if (!self->caught_up)
        log_info ("caught up with %s at seq %llu", self->stream,
                  (unsigned long long) self->last);
    self->caught_up = true;
    return 0;
}

//  Live events: applies the contiguous ones in batches, replays on a gap.
static void
s_consumer_read (void *state, void *socket)
{
    npo_consumer_t *self = state;
    Npo__Envelope *batch [BATCH_MAX];
    size_t n = 0;
    bool gap = false;
    for (int i = 0; i < BATCH_MAX * 4; i++) {
        zmq_msg_t frames [2];
        int count;
        if (npo_bus_recv_frames (socket, frames, 2, &count))
            break;
        Npo__Envelope *env = count == 2?
            npo__envelope__unpack (NULL, zmq_msg_size (&frames [1]), zmq_msg_data (&frames [1])):
            NULL;
        npo_bus_close_frames (frames, count, 2);
        if (!env || strcmp (env->stream, self->stream) != 0) {
            if (env)
                npo__envelope__free_unpacked (env, NULL);
            continue;
        }
        if (env->seq > self->producer_last)
            self->producer_last = env->seq;
        uint64_t next = self->last + 1 + n;
        if (strcmp (env->type, "_hb") != 0 && env->seq == next && self->caught_up
        &&  n < BATCH_MAX) {
            batch [n++] = env;
            continue;
        }
        if (strcmp (env->type, "_hb") != 0 && env->seq > next)
            gap = true;
        npo__envelope__free_unpacked (env, NULL);
    }
    s_consumer_apply (self, batch, n);
    for (size_t i = 0; i < n; i++)
        npo__envelope__free_unpacked (batch [i], NULL);
    if (gap || self->producer_last > self->last)
        s_consumer_catch_up (self);
}

static void
s_consumer_tick (void *state)
{
    npo_consumer_t *self = state;
    if (!self->caught_up || self->producer_last > self->last)
        s_consumer_catch_up (self);
}

npo_consumer_t *
npo_consumer_new (npo_server_t *server, npo_db_t *db, const char *stream,
                  const char *pub_endpoint, const char *router_endpoint,
                  npo_apply_fn *apply, npo_committed_fn *committed, void *state)
{
    npo_consumer_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->db = db;
    self->stream = npo_strdup (stream);
    self->prefix = malloc (strlen (stream) + 2);
    if (!self->prefix)
        abort ();
    sprintf (self->prefix, "%s.", stream);
    self->apply = apply;
    self->committed = committed;
    self->state = state;
    self->client = npo_client_new (npo_server_ctx (server), router_endpoint, 2000);
    self->sub = npo_bus_socket (npo_server_ctx (server), ZMQ_SUB);
    int hwm = 100000;
    if (!self->client || !self->sub)
        goto err;
    zmq_setsockopt (self->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (self->sub, ZMQ_SUBSCRIBE, self->prefix, strlen (self->prefix));
    zmq_setsockopt (self->sub, ZMQ_SUBSCRIBE, "_hb", 3);
    if (zmq_connect (self->sub, pub_endpoint)) {
        log_error ("could not connect to %s: %s", pub_endpoint, zmq_strerror (errno));
        goto err;
    }
    if (s_consumer_load (self)) {
        log_error ("could not read the offset of stream %s", stream);
        goto err;
    }
    if (npo_server_add_reader (server, self->sub, s_consumer_read, self)
    ||  npo_server_add_timer (server, 1000, s_consumer_tick, self)
    ||  npo_server_add_consumer (server, self))
        goto err;
    //  Subscribe first, then replay: live events that arrive meanwhile wait in
    //  the SUB queue and are skipped or applied after (zguide Clone pattern).
    //  The first replay runs on the first tick, inside the server's loop, so a
    //  service whose producer is not up yet still answers at once (two
    //  services may consume each other's streams).
    log_info ("consuming %s from seq %llu", stream, (unsigned long long) self->last + 1);
    return self;
err:
    npo_consumer_destroy (&self);
    return NULL;
}

void
npo_consumer_destroy (npo_consumer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    npo_consumer_t *self = *self_p;
    if (self->sub)
        zmq_close (self->sub);
    npo_client_destroy (&self->client);
    free (self->stream);
    free (self->prefix);
    free (self);
    *self_p = NULL;
}

uint64_t
npo_consumer_last_seq (npo_consumer_t *self)
{
    return self->last;
}

const char *
npo_consumer_stream (npo_consumer_t *self)
{
    return self->stream;
}

npo_consumer_t *
npo_consumer_of (npo_server_t *server, npo_db_t *db, const char *stream,
                 npo_apply_fn *apply, npo_committed_fn *committed, void *state)
{
    return npo_consumer_new (server, db, stream, npo_config_endpoint (stream, "pub"),
                             npo_config_endpoint (stream, "router"), apply, committed, state);
}
