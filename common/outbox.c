/*  outbox.c - the service's event log: append in the command's transaction,
 *  relay after commit, heartbeats, replay (bus.h)
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
//  Outbox

struct npo_outbox_t {
    npo_db_t *db;               //  the service's database, not owned
    char *stream;               //  the service name
    void *pub;                  //  PUB socket, not owned, may be NULL
    uint64_t published;         //  last seq sent on pub
    uint64_t last_known;        //  last committed seq we saw
    bool pending;               //  appended since the last relay
};

static uint64_t
s_outbox_query_last (npo_outbox_t *self)
{
    PGresult *res = npo_db_exec (self->db, "SELECT last FROM outbox_seq", 0, NULL);
    if (!res)
        return self->last_known;
    if (PQntuples (res) == 1)
        self->last_known = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return self->last_known;
}

npo_outbox_t *
npo_outbox_new (npo_db_t *db, const char *stream, void *pub)
{
    npo_outbox_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->db = db;
    self->stream = npo_strdup (stream);
    self->pub = pub;
    //  Rows committed before a crash and never sent are not sent again here:
    //  the heartbeat shows their seq and subscribers replay them.
    self->published = s_outbox_query_last (self);
    return self;
}

void
npo_outbox_destroy (npo_outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->stream);
    free (*self_p);
    *self_p = NULL;
}

//  Packs the envelope of event seq into *data, *size (the caller frees).
//  Returns 0, or -1.
static int
s_envelope (npo_outbox_t *self, uint64_t seq, const char *type, const char *org_uscc,
            const char *division, const char *actor, const ProtobufCMessage *payload,
            uint8_t **data, size_t *size)
{
    Npo__Envelope env = NPO__ENVELOPE__INIT;
    char event_id [128];
    snprintf (event_id, sizeof event_id, "%s:%llu", self->stream, (unsigned long long) seq);
    env.event_id = event_id;
    env.stream = self->stream;
    env.seq = seq;
    env.occurred_at_us = npo_now_us ();
    env.type = (char *) type;
    env.org_uscc = (char *) (org_uscc? org_uscc: "");
    env.division = (char *) (division? division: "");
    env.actor = (char *) (actor? actor: "");
    uint8_t *body = NULL;
    size_t body_size = 0;
    if (payload && npo_pack (payload, &body, &body_size))
        return -1;
    env.payload.data = body;
    env.payload.len = body_size;
    int rc = npo_pack (&env.base, data, size);
    free (body);
    return rc;
}

//  Reserves n seqs; returns the first, or 0 when the database failed.
static uint64_t
s_reserve (npo_outbox_t *self, size_t n)
{
    char count [24];
    snprintf (count, sizeof count, "%zu", n);
    const char *params [1] = { count };
    PGresult *res = npo_db_exec (self->db,
        "UPDATE outbox_seq SET last = last + $1::bigint RETURNING last", 1, params);
    if (!res)
        return 0;
    uint64_t last = PQntuples (res) == 1? strtoull (PQgetvalue (res, 0, 0), NULL, 10): 0;
    PQclear (res);
    return last >= n? last - n + 1: 0;
}

uint64_t
npo_outbox_append (npo_outbox_t *self, const char *type, const char *org_uscc,
                   const char *division, const char *actor, const ProtobufCMessage *payload)
{
    uint64_t seq = s_reserve (self, 1);
    uint8_t *data = NULL;
    size_t size = 0;
    if (seq == 0 || s_envelope (self, seq, type, org_uscc, division, actor, payload, &data,
                                &size))
        return 0;
    char seq_text [24];
    snprintf (seq_text, sizeof seq_text, "%llu", (unsigned long long) seq);
    const char *params [5] = { seq_text, type, org_uscc? org_uscc: "", division? division: "",
                               (char *) data };
    int lengths [5] = { 0, 0, 0, 0, (int) size };
    int formats [5] = { 0, 0, 0, 0, 1 };
    PGresult *res = npo_db_exec_bin (self->db,
        "INSERT INTO outbox (seq, topic, org_uscc, division, envelope)"
        " VALUES ($1, $2, $3, $4, $5)", 5, params, lengths, formats, 0);
    free (data);
    if (!res)
        return 0;
    PQclear (res);
    self->pending = true;
    return seq;
}

int
npo_outbox_append_many (npo_outbox_t *self, size_t n, const npo_outbox_event_t *events,
                        const char *actor)
{
    if (n == 0)
        return 0;
    uint64_t first = s_reserve (self, n);
    if (first == 0)
        return -1;
    npo_db_array_t cols [5] = { { 0 } };
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const npo_outbox_event_t *e = &events [i];
        uint8_t *data = NULL;
        size_t size = 0;
        rc = s_envelope (self, first + i, e->type, e->org_uscc, e->division, actor, e->payload,
                         &data, &size);
        if (rc)
            break;
        char seq [24], *hex = malloc (2 * size + 1);
        if (!hex)
            abort ();
        for (size_t k = 0; k < size; k++)
            snprintf (hex + 2 * k, 3, "%02x", data [k]);
        hex [2 * size] = 0;
        free (data);
        snprintf (seq, sizeof seq, "%llu", (unsigned long long) (first + i));
        const char *values [5] = { seq, e->type, e->org_uscc? e->org_uscc: "",
                                   e->division? e->division: "", hex };
        for (int c = 0; c < 5; c++)
            npo_db_array_add (&cols [c], values [c]);
        free (hex);
    }
    const char *params [5];
    for (int c = 0; c < 5; c++)
        params [c] = npo_db_array_end (&cols [c]);
    if (rc == 0)
        rc = npo_db_cmd (self->db,
            "INSERT INTO outbox (seq, topic, org_uscc, division, envelope)"
            " SELECT s, t, u, d, decode (e, 'hex') FROM unnest ($1::bigint[], $2::text[],"
            " $3::text[], $4::text[], $5::text[]) AS x (s, t, u, d, e)", 5, params);
    for (int c = 0; c < 5; c++)
        free (cols [c].text);
    if (rc == 0)
        self->pending = true;
    return rc;
}

static uint64_t
s_be64 (const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (unsigned char) p [i];
    return v;
}

int
npo_outbox_relay (npo_outbox_t *self)
{
    //  Inside a transaction we would see (and send) our own uncommitted rows.
    if (!self->pub || npo_db_in_tx (self->db))
        return 0;
    int sent = 0;
    while (true) {
        char from [24];
        snprintf (from, sizeof from, "%llu", (unsigned long long) self->published);
        const char *params [1] = { from };
        PGresult *res = npo_db_exec_bin (self->db,
            "SELECT seq, topic, envelope FROM outbox WHERE seq > $1 ORDER BY seq LIMIT 1000",
            1, params, NULL, NULL, 1);
        if (!res)
            return -1;
        int rows = PQntuples (res);
        for (int i = 0; i < rows; i++) {
            const void *parts [2] = { PQgetvalue (res, i, 1), PQgetvalue (res, i, 2) };
            size_t sizes [2] = { (size_t) PQgetlength (res, i, 1),
                                 (size_t) PQgetlength (res, i, 2) };
            npo_bus_send_frames (self->pub, parts, sizes, 2);
            self->published = s_be64 (PQgetvalue (res, i, 0));
            sent++;
        }
        PQclear (res);
        if (rows < 1000)
            break;
    }
    if (self->published > self->last_known)
        self->last_known = self->published;
    self->pending = false;
    return sent;
}

void
npo_outbox_heartbeat (npo_outbox_t *self)
{
    if (!self->pub)
        return;
    Npo__Envelope env = NPO__ENVELOPE__INIT;
    env.stream = self->stream;
    env.seq = self->published;
    env.type = "_hb";
    env.occurred_at_us = npo_now_us ();
    uint8_t *data;
    size_t size;
    if (npo_pack (&env.base, &data, &size))
        return;
    const void *parts [2] = { "_hb", data };
    size_t sizes [2] = { 3, size };
    npo_bus_send_frames (self->pub, parts, sizes, 2);
    free (data);
}

bool
npo_outbox_pending (npo_outbox_t *self)
{
    return self->pending;
}

uint64_t
npo_outbox_last_seq (npo_outbox_t *self)
{
    return s_outbox_query_last (self);
}

void
npo_outbox_replay (npo_outbox_t *self, const Npo__Replay *replay, Npo__Reply *reply)
{
    if (strcmp (replay->stream, self->stream) != 0) {
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "unknown_stream",
                         "this service publishes stream \"%s\", not \"%s\"",
                         self->stream, replay->stream);
        return;
    }
    uint32_t max = replay->max && replay->max < NPO_REPLAY_MAX? replay->max: NPO_REPLAY_MAX;
    char from [24], limit [16];
    snprintf (from, sizeof from, "%llu", (unsigned long long) replay->from_seq);
    snprintf (limit, sizeof limit, "%u", max);
    const char *params [2] = { from, limit };
    PGresult *res = npo_db_exec_bin (self->db,
        "SELECT envelope FROM outbox WHERE seq >= $1 ORDER BY seq LIMIT $2",
        2, params, NULL, NULL, 1);
    if (!res) {
        npo_reply_error (reply, NPO__STATUS__STATUS_UNAVAILABLE, "database_unavailable",
                         "could not read the outbox");
        return;
    }
    Npo__ReplayReply *body = malloc (sizeof *body);
    int rows = PQntuples (res);
    if (!body || !(body->events = calloc ((size_t) rows + 1, sizeof *body->events)))
        abort ();
    Npo__Envelope **events = body->events;
    npo__replay_reply__init (body);
    body->events = events;
    //  Stay well under the message bound whatever the events weigh.
    size_t total = 0;
    for (int i = 0; i < rows; i++) {
        size_t len = (size_t) PQgetlength (res, i, 0);
        //  At least one event, and never past half the message bound
        if (i > 0 && total + len > NPO_MAX_MSG / 2)
            break;
        Npo__Envelope *env = npo__envelope__unpack (NULL, len,
                                                    (const uint8_t *) PQgetvalue (res, i, 0));
        if (!env) {
            log_error ("outbox row is not an envelope; replay stops before it");
            break;
        }
        body->events [body->n_events++] = env;
        total += len;
    }
    PQclear (res);
    body->last_seq = s_outbox_query_last (self);
    reply->body_case = NPO__REPLY__BODY_REPLAY;
    reply->replay = body;
}
