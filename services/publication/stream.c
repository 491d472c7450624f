/*  stream.c - the public event stream regions subscribe to
 *
 *  Every row of public_events is published once, in seq order, on the PUB
 *  socket with the topic "<division6>.<type>" (e.g.
 *  "440106.credit.abnormal_listed"), so a province subscribes with "44", a
 *  city with "4401", the country with "". Heartbeats say each province's last
 *  province_seq ("<province>._hb") and the last global seq ("_hb"); a region
 *  that misses events (a restart, a slow link over the high-water mark) asks
 *  for them again with PublicReplay, and starts from PublicSnapshot pages
 *  (docs/region-streams.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "actor.h"
#include "bus_internal.h"
#include "log.h"
#include "publication.h"

#define RELAY_BATCH     1000
#define REPLAY_MAX      500
#define SNAPSHOT_MAX    1000

//  The columns of a PublicEvent, in order
#define EVENT_COLUMNS \
    "seq, province, province_seq, type, uscc, division," \
    " (extract (epoch FROM occurred_at) * 1000000)::bigint, doc, coalesce (record, '')"

//  Row of res as a PublicEvent whose strings are borrowed from res.
static void
s_event_from (Npo__PublicEvent *e, PGresult *res, int row)
{
    npo__public_event__init (e);
    e->seq = strtoull (PQgetvalue (res, row, 0), NULL, 10);
    e->province = PQgetvalue (res, row, 1);
    e->province_seq = strtoull (PQgetvalue (res, row, 2), NULL, 10);
    e->type = PQgetvalue (res, row, 3);
    e->uscc = PQgetvalue (res, row, 4);
    e->division = PQgetvalue (res, row, 5);
    e->occurred_at_us = strtoll (PQgetvalue (res, row, 6), NULL, 10);
    e->doc = PQgetvalue (res, row, 7);
    e->record = PQgetvalue (res, row, 8);
}

//  Sends [topic][message] on the PUB socket.
static void
s_send (pub_t *self, const char *topic, const ProtobufCMessage *msg)
{
    uint8_t *data;
    size_t size;
    if (npo_pack (msg, &data, &size)) {
        log_error ("a public message on %s is too large to publish", topic);
        return;
    }
    const void *parts [2] = { topic, data };
    size_t sizes [2] = { strlen (topic), size };
    npo_bus_send_frames (self->pub, parts, sizes, 2);
    free (data);
}

int
pub_stream_init (pub_t *self, void *pub)
{
    self->pub = pub;
    PGresult *res = npo_db_exec (self->db, "SELECT coalesce (max (seq), 0) FROM public_events",
                                 0, NULL);
    if (!res)
        return -1;
    //  What was logged before this start is replayed on request, not re-sent
    self->published = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return 0;
}

void
pub_relay (pub_t *self)
{
    while (self->pub) {
        char after [24], limit [12];
        snprintf (after, sizeof after, "%llu", (unsigned long long) self->published);
        snprintf (limit, sizeof limit, "%d", RELAY_BATCH);
        const char *params [2] = { after, limit };
        PGresult *res = npo_db_exec (self->db,
            "SELECT " EVENT_COLUMNS " FROM public_events WHERE seq > $1"
            " ORDER BY seq LIMIT $2", 2, params);
        if (!res)
            return;             //  the next commit or tick goes on
        int rows = PQntuples (res);
        for (int i = 0; i < rows; i++) {
            Npo__PublicEvent e;
            s_event_from (&e, res, i);
            char topic [96];
            snprintf (topic, sizeof topic, "%s.%s", e.division, e.type);
            s_send (self, topic, &e.base);
            self->published = e.seq;
        }
        PQclear (res);
        if (rows < RELAY_BATCH)
            return;
    }
}

void
pub_heartbeat (pub_t *self)
{
    if (!self->pub)
        return;
    PGresult *res = npo_db_exec (self->db, "SELECT province, last FROM public_seq", 0, NULL);
    if (!res)
        return;
    //  A heartbeat never runs ahead of the events: provinces' only once every
    //  logged event is out
    uint64_t global = 0;
    for (int i = 0; i < PQntuples (res); i++)
        if (!*PQgetvalue (res, i, 0))
            global = strtoull (PQgetvalue (res, i, 1), NULL, 10);
    bool caught_up = self->published >= global;
    for (int i = 0; i < PQntuples (res); i++) {
        Npo__PublicHeartbeat hb = NPO__PUBLIC_HEARTBEAT__INIT;
        hb.province = PQgetvalue (res, i, 0);
        hb.last_seq = self->published;
        hb.last_province_seq = *hb.province? strtoull (PQgetvalue (res, i, 1), NULL, 10):
                                             self->published;
        if (*hb.province && !caught_up)
            continue;
        char topic [16];
        snprintf (topic, sizeof topic, "%s%s_hb", hb.province, *hb.province? ".": "");
        s_send (self, topic, &hb.base);
    }
    PQclear (res);
}

//  The last published seq of a province (its province_seq), or of the
//  country (""): the position a replay or a snapshot page stands at; -1 when
//  the database failed.
static int64_t
s_last_seq (pub_t *self, const char *province)
{
    if (!*province)
        return (int64_t) self->published;
    char until [24];
    snprintf (until, sizeof until, "%llu", (unsigned long long) self->published);
    const char *params [2] = { province, until };
    PGresult *res = npo_db_exec (self->db,
        "SELECT coalesce (max (province_seq), 0) FROM public_events WHERE province = $1"
        " AND seq <= $2::bigint", 2, params);
    int64_t last = res? strtoll (PQgetvalue (res, 0, 0), NULL, 10): -1;
    PQclear (res);
    return last;
}

//  A province: "" (the country) or two digits.
static bool
s_province_ok (const char *province)
{
    return !*province || (strlen (province) == 2 && strspn (province, "0123456789") == 2);
}

void
pub_replay (pub_t *self, const Npo__PublicReplay *cmd, Npo__Reply *reply)
{
    if (!s_province_ok (cmd->province)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_province",
                         "province: two digits (\"10\": national), or empty for the country");
        return;
    }
    char from [24], limit [12];
    snprintf (from, sizeof from, "%llu", (unsigned long long) cmd->from_seq);
    snprintf (limit, sizeof limit, "%u",
              cmd->max && cmd->max < REPLAY_MAX? cmd->max: REPLAY_MAX);
    char until [24];
    snprintf (until, sizeof until, "%llu", (unsigned long long) self->published);
    const char *params [4] = { cmd->province, from, limit, until };
    //  Only what was published: a replay never shows what the stream has not
    PGresult *res = *cmd->province?
        npo_db_exec (self->db, "SELECT " EVENT_COLUMNS " FROM public_events"
                     " WHERE province = $1 AND province_seq >= $2::bigint AND seq <= $4::bigint"
                     " ORDER BY province_seq LIMIT $3::int", 4, params):
        npo_db_exec (self->db, "SELECT " EVENT_COLUMNS " FROM public_events"
                     " WHERE seq >= $1::bigint AND seq <= $3::bigint"
                     " ORDER BY seq LIMIT $2::int", 3, params + 1);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    Npo__PublicEvents *body = malloc (sizeof *body);
    int rows = PQntuples (res);
    Npo__PublicEvent **events = calloc ((size_t) rows + 1, sizeof *events);
    if (!body || !events)
        abort ();
    npo__public_events__init (body);
    for (int i = 0; i < rows; i++) {
        Npo__PublicEvent e;
        s_event_from (&e, res, i);
        //  The reply owns its strings
        events [i] = malloc (sizeof **events);
        if (!events [i])
            abort ();
        *events [i] = e;
        char **texts [6] = { &events [i]->province, &events [i]->type, &events [i]->uscc,
                             &events [i]->division, &events [i]->doc, &events [i]->record };
        for (int k = 0; k < 6; k++)
            *texts [k] = npo_strdup (*texts [k]);
    }
    body->events = events;
    body->n_events = (size_t) rows;
    //  The last seq (province_seq, or global), for the subscriber to know
    //  whether it caught up
    int64_t last = s_last_seq (self, cmd->province);
    body->last_seq = last > 0? (uint64_t) last: 0;
    PQclear (res);
    reply->body_case = NPO__REPLY__BODY_PUBLIC_EVENTS;
    reply->public_events = body;
}

void
pub_snapshot (pub_t *self, const Npo__PublicSnapshot *cmd, Npo__Reply *reply)
{
    if (!s_province_ok (cmd->province)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_province",
                         "province: two digits (\"10\": national), or empty for the country");
        return;
    }
    char limit [12];
    snprintf (limit, sizeof limit, "%u",
              cmd->max && cmd->max < SNAPSHOT_MAX? cmd->max: SNAPSHOT_MAX);
    //  The position first: the records read after it hold at least what it
    //  says, and a region applies the stream from it on and converges
    int64_t position = s_last_seq (self, cmd->province);
    if (position < 0) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    const char *params [3] = { cmd->province, cmd->after_uscc, limit };
    PGresult *res = npo_db_exec (self->db,
        "SELECT uscc, doc FROM orgs WHERE ($1 = '' OR division LIKE $1 || '%') AND uscc > $2"
        " ORDER BY uscc LIMIT $3::int", 3, params);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    int rows = PQntuples (res);
    Npo__PublicSnapshotPage *page = malloc (sizeof *page);
    char **records = calloc ((size_t) rows + 1, sizeof *records);
    if (!page || !records)
        abort ();
    npo__public_snapshot_page__init (page);
    for (int i = 0; i < rows; i++)
        records [i] = npo_strdup (PQgetvalue (res, i, 1));
    page->records = records;
    page->n_records = (size_t) rows;
    page->done = rows < atoi (limit);
    page->last_uscc = npo_strdup (rows? PQgetvalue (res, rows - 1, 0): cmd->after_uscc);
    PQclear (res);
    page->province_seq = (uint64_t) position;
    reply->body_case = NPO__REPLY__BODY_PUBLIC_SNAPSHOT;
    reply->public_snapshot = page;
}
