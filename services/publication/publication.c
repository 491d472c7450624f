/*  publication.c - npo-publication: turns events into public records
 *
 *  The public record is rendered here from an allow-list of fields: no
 *  officer identity, phone, birth date, personal address or party data can
 *  reach Redis or the gateway through it (DESIGN.md, "Public data").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "log.h"
#include "publication.h"

#define REBUILD_BATCH  2000

//  ---------------------------------------------------------------------
//  Rendering

static void
s_iso_time (char *buf, size_t size, int64_t us)
{
    time_t secs = (time_t) (us / 1000000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    strftime (buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
s_text_or_null (const char *s)
{
    return s && *s? json_string (s): json_null ();
}

char *
pub_render (const Npo__Organization *org)
{
    const Npo__BasicInfo *b = org->basic;
    char updated [32];
    s_iso_time (updated, sizeof updated, org->updated_at_us);
    json_t *capital = *b->registered_capital?
        json_real (strtod (b->registered_capital, NULL)): json_null ();
    const char *division = *b->address_division? b->address_division: b->authority_division;
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o,"
                             " s:o, s:o, s:s, s:o, s:s,"
                             " s:n, s:n, s:n, s:{s:b, s:b, s:i}, s:s, s:I}",
        "uscc", org->uscc,
        "org_code", org->org_code,
        "name", b->name,
        "type", b->type,
        "status", org->status,
        "legal_representative", b->legal_representative,
        "registered_capital", capital,
        "address", b->address,
        "division", division,
        "authority_division", b->authority_division,
        "registration_authority", b->registration_authority,
        "business_unit", s_text_or_null (b->business_unit),
        "industry", s_text_or_null (b->industry),
        "activity_area", s_text_or_null (b->activity_area),
        "business_scope", b->business_scope,
        "decoupled", json_boolean (b->decoupled),
        "established_on", org->approved_on,
        "certificate", "latest_inspection", "evaluation",
        "credit", "abnormal", 0, "serious", 0, "penalties", 0,
        "updated_at", updated,
        "version", (json_int_t) org->version);
    char *text = doc? json_dumps (doc, JSON_COMPACT): NULL;
    json_decref (doc);
    if (!text)
        abort ();
    return text;
}

//  ---------------------------------------------------------------------
//  Applying events

void
pub_destroy_pending (pub_t *self)
{
    for (size_t i = 0; i < self->npending; i++)
        free (self->pending [i].doc);
    self->npending = 0;
}

static int
s_push_pending (pub_t *self, const char *uscc, char *doc)
{
    if (self->npending == self->cpending) {
        size_t c = self->cpending? self->cpending * 2: 64;
        pub_pending_t *p = realloc (self->pending, c * sizeof *p);
        if (!p)
            abort ();
        self->pending = p;
        self->cpending = c;
    }
    snprintf (self->pending [self->npending].uscc, 19, "%s", uscc);
    self->pending [self->npending].doc = doc;
    self->npending++;
    return 0;
}

//  Appends to the public event log; in the caller's transaction.
static int
s_public_event (pub_t *self, const Npo__Envelope *event, const char *type, const char *doc)
{
    char province [3] = { event->division [0], event->division [1], 0 };
    if (strlen (event->division) != 6)
        snprintf (province, sizeof province, "10");
    char occurred [32];
    snprintf (occurred, sizeof occurred, "%lld", (long long) event->occurred_at_us);
    const char *params [7] = { province, type, event->org_uscc, event->division, doc,
                               event->event_id, occurred };
    return npo_db_cmd (self->db,
        "WITH g AS (INSERT INTO public_seq VALUES ('', 1) ON CONFLICT (province)"
        "           DO UPDATE SET last = public_seq.last + 1 RETURNING last),"
        "     p AS (INSERT INTO public_seq VALUES ($1, 1) ON CONFLICT (province)"
        "           DO UPDATE SET last = public_seq.last + 1 RETURNING last)"
        " INSERT INTO public_events (seq, province, province_seq, type, uscc, division, doc,"
        "   source_event, occurred_at)"
        " SELECT g.last, $1, p.last, $2, $3, $4, $5, $6, to_timestamp ($7::bigint / 1e6)"
        " FROM g, p", 7, params);
}

static int
s_org_registered (pub_t *self, const Npo__Envelope *event)
{
    Npo__OrgRegistered *msg = npo__org_registered__unpack (NULL, event->payload.len,
                                                           event->payload.data);
    if (!msg || !msg->organization || !msg->organization->basic) {
        //  A producer bug, not a transient failure: retrying cannot help.
        log_error ("event %s is not a valid OrgRegistered; skipped", event->event_id);
        if (msg)
            npo__org_registered__free_unpacked (msg, NULL);
        return 0;
    }
    const Npo__Organization *org = msg->organization;
    char *doc = pub_render (org);
    char version [24];
    snprintf (version, sizeof version, "%llu", (unsigned long long) org->version);
    const char *params [8] = { org->uscc, org->basic->authority_division, org->basic->name,
                               org->basic->type, org->status, version, doc, event->event_id };
    //  A newer version already stored wins (events can only be older on replay
    //  after a reset, never on the normal path).
    int rc = npo_db_cmd (self->db,
        "INSERT INTO orgs (uscc, division, name, type, status, version, doc, source_event)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (uscc) DO UPDATE SET division = EXCLUDED.division, name = EXCLUDED.name,"
        "   type = EXCLUDED.type, status = EXCLUDED.status, version = EXCLUDED.version,"
        "   doc = EXCLUDED.doc, source_event = EXCLUDED.source_event, updated_at = now ()"
        " WHERE orgs.version < EXCLUDED.version", 8, params);
    if (rc == 0)
        rc = s_public_event (self, event, "registry.org_registered", doc);
    if (rc == 0)
        s_push_pending (self, org->uscc, doc);
    else
        free (doc);
    npo__org_registered__free_unpacked (msg, NULL);
    return rc;
}

int
pub_apply (void *state, const Npo__Envelope *event)
{
    pub_t *self = state;
    if (strcmp (event->type, "registry.org_registered") == 0)
        return s_org_registered (self, event);
    return 0;       //  not public (yet): the offset still moves past it
}

//  ---------------------------------------------------------------------
//  Redis

static int
s_redis_connect (pub_t *self)
{
    if (self->redis)
        return 0;
    struct timeval tv = { 1, 0 };
    redisContext *c = redisConnectWithTimeout (self->redis_host, self->redis_port, tv);
    if (!c || c->err) {
        log_warn ("could not connect to redis at %s:%d: %s", self->redis_host,
                  self->redis_port, c? c->errstr: "out of memory");
        redisFree (c);
        return -1;
    }
    redisSetTimeout (c, (struct timeval) { 5, 0 });
    self->redis = c;
    log_info ("connected to redis at %s:%d", self->redis_host, self->redis_port);
    return 0;
}

static void
s_redis_lost (pub_t *self)
{
    log_warn ("lost redis: %s", self->redis? self->redis->errstr: "not connected");
    redisFree (self->redis);
    self->redis = NULL;
    self->cache_stale = true;
}

//  Sets every pending record in one pipeline. Returns 0 or -1.
static int
s_redis_write (pub_t *self, const pub_pending_t *records, size_t n)
{
    if (n == 0)
        return 0;
    if (s_redis_connect (self))
        return -1;
    for (size_t i = 0; i < n; i++)
        redisAppendCommand (self->redis, "SET org:%s %s", records [i].uscc, records [i].doc);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        redisReply *reply = NULL;
        if (redisGetReply (self->redis, (void **) &reply) != REDIS_OK) {
            s_redis_lost (self);
            return -1;
        }
        if (reply->type == REDIS_REPLY_ERROR)
            rc = -1;
        freeReplyObject (reply);
    }
    return rc;
}

void
pub_committed (void *state, bool ok)
{
    pub_t *self = state;
    if (ok && s_redis_write (self, self->pending, self->npending))
        self->cache_stale = true;       //  PostgreSQL has it; the tick repairs Redis
    pub_destroy_pending (self);
}

long long
pub_rebuild (pub_t *self)
{
    if (s_redis_connect (self))
        return -1;
    char after [19] = "";
    long long total = 0;
    while (true) {
        const char *params [1] = { after };
        char limit [16];
        snprintf (limit, sizeof limit, "%d", REBUILD_BATCH);
        const char *p2 [2] = { params [0], limit };
        PGresult *res = npo_db_exec (self->db,
            "SELECT uscc, doc FROM orgs WHERE uscc > $1 ORDER BY uscc LIMIT $2", 2, p2);
        if (!res)
            return -1;
        int rows = PQntuples (res);
        pub_pending_t *batch = calloc ((size_t) rows + 1, sizeof *batch);
        if (!batch)
            abort ();
        for (int i = 0; i < rows; i++) {
            snprintf (batch [i].uscc, 19, "%s", PQgetvalue (res, i, 0));
            batch [i].doc = PQgetvalue (res, i, 1);     //  borrowed from res
        }
        int rc = s_redis_write (self, batch, (size_t) rows);
        if (rows)
            snprintf (after, sizeof after, "%s", batch [rows - 1].uscc);
        free (batch);
        PQclear (res);
        if (rc)
            return -1;
        total += rows;
        if (rows < REBUILD_BATCH)
            break;
    }
    redisReply *reply = redisCommand (self->redis, "SET npo:ready 1");
    if (!reply) {
        s_redis_lost (self);
        return -1;
    }
    freeReplyObject (reply);
    self->cache_stale = false;
    log_info ("rebuilt the cache: %lld public records", total);
    return total;
}

void
pub_tick (void *state)
{
    pub_t *self = state;
    if (s_redis_connect (self))
        return;
    redisReply *reply = redisCommand (self->redis, "EXISTS npo:ready");
    if (!reply) {
        s_redis_lost (self);
        return;
    }
    bool ready = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    freeReplyObject (reply);
    if (!ready || self->cache_stale) {
        log_info ("cache %s: rebuilding", ready? "missed writes": "is empty or new");
        pub_rebuild (self);
    }
}

void
pub_handle (void *state, const Npo__Request *request, Npo__Reply *reply)
{
    pub_t *self = state;
    if (request->body_case != NPO__REQUEST__BODY_CACHE_REBUILD) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "unknown_command",
                         "publication does not handle this command");
        return;
    }
    long long records = pub_rebuild (self);
    if (records < 0) {
        npo_reply_error (reply, NPO__STATUS__STATUS_UNAVAILABLE, "cache_unavailable",
                         "could not rebuild the cache (redis or database unreachable)");
        return;
    }
    Npo__CacheRebuildReply *body = malloc (sizeof *body);
    if (!body)
        abort ();
    npo__cache_rebuild_reply__init (body);
    body->records = (uint64_t) records;
    reply->body_case = NPO__REPLY__BODY_CACHE_REBUILD;
    reply->cache_rebuild = body;
}
