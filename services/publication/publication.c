/*  publication.c - npo-publication: turns events into public records
 *
 *  The public record is rendered here from an allow-list of fields: no
 *  officer identity, phone, birth date, personal address or party data can
 *  reach Redis or the gateway through it (DESIGN.md, "Public data").
 *
 *  Redis keys: org:<uscc> (the document), changes:, inspections:,
 *  evaluations:<uscc> (its public histories), npo:ready (the cache is complete),
 *  npo:pub_seq (every public change up to this public event seq is in Redis),
 *  npo:rebuild (the token of a rebuild in progress), and the name search
 *  index (sx:, sxn, sxd:, written with each record: common/search.h).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "log.h"
#include "orgevent.h"
#include "pbjson.h"
#include "publication.h"
#include "search.h"

#define REDIS_BATCH  2000

static int
    s_redis_write (pub_t *self, const pub_pending_t *records, size_t n, bool set_seq);

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

//  Money as exact decimal text with two decimals ("30000" -> "30000.00"),
//  or null when unknown: a binary float would turn 100.10 into 100.0999...
static json_t *
s_amount (const char *text)
{
    if (!*text)
        return json_null ();
    char buf [32];
    const char *dot = strchr (text, '.');
    size_t whole = dot? (size_t) (dot - text): strlen (text);
    const char *frac = dot? dot + 1: "";
    if (whole == 0 || whole > 16 || strlen (frac) > 2)
        return json_null ();
    snprintf (buf, sizeof buf, "%.*s.%c%c", (int) whole, text,
              frac [0]? frac [0]: '0', frac [0] && frac [1]? frac [1]: '0');
    return json_string (buf);
}

//  The certificate as the public record shows it, or null.
static json_t *
s_certificate (const Npo__Certificate *c)
{
    if (!c)
        return json_null ();
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "number", c->number,
                      "status", c->status, "valid_from", c->valid_from, "valid_to", c->valid_to,
                      "issued_on", c->issued_on, "issuing_authority", c->issuing_authority);
}

char *
pub_render (const Npo__Organization *org)
{
    const Npo__BasicInfo *b = org->basic;
    char updated [32];
    s_iso_time (updated, sizeof updated, org->updated_at_us);
    const char *division = *b->address_division? b->address_division: b->authority_division;
    //  json_pack fails (NULL) on text that is not UTF-8: the caller reports it
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o,"
                             " s:o, s:o, s:s, s:b, s:s,"
                             " s:o, s:n, s:n, s:{s:b, s:b, s:i}, s:s, s:I}",
        "uscc", org->uscc,
        "org_code", org->org_code,
        "name", b->name,
        "type", b->type,
        "status", org->status,
        "legal_representative", b->legal_representative,
        "registered_capital", s_amount (b->registered_capital),
        "address", b->address,
        "division", division,
        "authority_division", b->authority_division,
        "registration_authority", b->registration_authority,
        "business_unit", s_text_or_null (b->business_unit),
        "industry", s_text_or_null (b->industry),
        "activity_area", s_text_or_null (b->activity_area),
        "business_scope", b->business_scope,
        "decoupled", (int) b->decoupled,
        "established_on", org->approved_on,
        "certificate", s_certificate (org->certificate),
        "latest_inspection", "evaluation",
        "credit", "abnormal", 0, "serious", 0, "penalties", 0,
        "updated_at", updated,
        "version", (json_int_t) org->version);
    char *text = doc? json_dumps (doc, JSON_COMPACT): NULL;
    json_decref (doc);
    return text;
}

//  ---------------------------------------------------------------------
//  Applying events

void
pub_destroy_pending (pub_t *self)
{
    for (size_t i = 0; i < self->npending; i++) {
        pub_pending_t *p = &self->pending [i];
        free (p->doc);
        free (p->changes);
        for (int k = 0; k < 4; k++) {
            free (p->key [k]);
            free (p->val [k]);
        }
        free (p->listing_id);
        free (p->listing_doc);
    }
    self->npending = 0;
}

static void
s_push_pending (pub_t *self, const char *uscc, char *doc, char *changes, uint64_t pub_seq)
{
    if (self->npending == self->cpending) {
        size_t c = self->cpending? self->cpending * 2: 64;
        pub_pending_t *p = realloc (self->pending, c * sizeof *p);
        if (!p)
            abort ();
        self->pending = p;
        self->cpending = c;
    }
    pub_pending_t *rec = &self->pending [self->npending++];
    memset (rec, 0, sizeof *rec);
    snprintf (rec->uscc, sizeof rec->uscc, "%s", uscc);
    rec->doc = doc;
    rec->changes = changes;
    rec->pub_seq = pub_seq;
}

//  Appends to the public event log (in the caller's transaction) and returns
//  its global seq, or 0.
static uint64_t
s_public_event (pub_t *self, const Npo__Envelope *event, const char *type, const char *doc,
                const char *record)
{
    //  Province: the division's first two digits; "10" for national
    char province [3] = "10";
    const char *d = event->division;
    if (strlen (d) == 6 && isdigit ((unsigned char) d [0]) && isdigit ((unsigned char) d [1]))
        snprintf (province, sizeof province, "%.2s", d);
    char occurred [32];
    snprintf (occurred, sizeof occurred, "%lld", (long long) event->occurred_at_us);
    const char *params [8] = { province, type, event->org_uscc, event->division, doc,
                               event->event_id, occurred, record };
    PGresult *res = npo_db_exec (self->db,
        "WITH g AS (INSERT INTO public_seq VALUES ('', 1) ON CONFLICT (province)"
        "           DO UPDATE SET last = public_seq.last + 1 RETURNING last),"
        "     p AS (INSERT INTO public_seq VALUES ($1, 1) ON CONFLICT (province)"
        "           DO UPDATE SET last = public_seq.last + 1 RETURNING last)"
        " INSERT INTO public_events (seq, province, province_seq, type, uscc, division, doc,"
        "   source_event, occurred_at, record)"
        " SELECT g.last, $1, p.last, $2, $3, $4, $5, $6, to_timestamp ($7::bigint / 1e6), $8"
        " FROM g, p RETURNING seq", 8, params);
    if (!res)
        return 0;
    uint64_t seq = PQntuples (res) == 1? strtoull (PQgetvalue (res, 0, 0), NULL, 10): 0;
    PQclear (res);
    return seq;
}

//  Change items the public may see; contact persons and phones never.
static const char *s_public_items [] = {
    "name", "business_unit", "business_unit_code", "decoupled", "party_work_body", "industry",
    "legal_representative", "address_division", "address", "business_scope",
    "registered_capital", "activity_area", "charter",
};

//  Records the public items of a change and re-renders the change list;
//  returns the new list (malloc'd) or NULL on failure.
static char *
s_record_changes (pub_t *self, const Npo__Envelope *event, const char *uscc,
                  Npo__Change **changes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!NPO_STR_IN (changes [i]->item, s_public_items))
            continue;
        const char *params [8] = { uscc, changes [i]->item, changes [i]->before,
                                   changes [i]->after, changes [i]->approved_on, event->event_id,
                                   changes [i]->content, changes [i]->imported? "t": "f" };
        //  Returned history (docs/import.md 09) replaces what an import said before
        if ((changes [i]->imported
             && npo_db_cmd (self->db, "DELETE FROM changes WHERE uscc = $1 AND item = $2"
                            " AND approved_on = $3 AND imported", 3,
                            (const char *const []) { uscc, changes [i]->item,
                                                     changes [i]->approved_on }))
        ||  npo_db_cmd (self->db, "INSERT INTO changes (uscc, item, before, after, approved_on,"
                        " source_event, content, imported)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8, params))
            return NULL;
    }
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT item, before, after, approved_on, content FROM changes WHERE uscc = $1"
        " ORDER BY id",
        1, params);
    if (!res)
        return NULL;
    json_t *list = json_array ();
    for (int i = 0; i < PQntuples (res); i++)
        json_array_append_new (list, json_pack ("{s:s, s:s, s:s, s:s, s:s}",
            "item", PQgetvalue (res, i, 0), "content", PQgetvalue (res, i, 4),
            "before", PQgetvalue (res, i, 1), "after", PQgetvalue (res, i, 2),
            "approved_on", PQgetvalue (res, i, 3)));
    PQclear (res);
    char *doc = json_dumps (list, JSON_COMPACT);
    json_decref (list);
    const char *p2 [2] = { uscc, doc };
    if (!doc || npo_db_cmd (self->db, "UPDATE orgs SET changes_doc = $2 WHERE uscc = $1", 2, p2)) {
        free (doc);
        return NULL;
    }
    return doc;
}

//  Maps alias to uscc (in the transaction) and adds alias:<alias> to the
//  record's Redis writes in slot k. Returns 0 or -1.
static int
s_alias (pub_t *self, const char *alias, const char *uscc, const char *pub_seq,
         pub_pending_t *rec, int k)
{
    const char *params [3] = { alias, uscc, pub_seq };
    //  An alias names one organization for life: never moved to another
    PGresult *res = npo_db_exec (self->db,
        "INSERT INTO aliases (alias, uscc, pub_seq) VALUES ($1, $2, $3)"
        " ON CONFLICT (alias) DO UPDATE SET pub_seq = EXCLUDED.pub_seq"
        " WHERE aliases.uscc = EXCLUDED.uscc RETURNING alias", 3, params);
    if (!res)
        return -1;
    bool kept = PQntuples (res) == 1;
    PQclear (res);
    if (!kept) {
        log_error ("alias %s already names another organization; not moved to %s", alias, uscc);
        return 0;
    }
    char key [80];
    snprintf (key, sizeof key, "alias:%s", alias);
    rec->key [k] = npo_strdup (key);
    rec->val [k] = npo_strdup (uscc);
    return 0;
}

//  Stores the certificate's verification document (and marks the one it
//  replaced superseded) with pub_seq; adds both to the pending Redis writes.
static int
s_record_certificate (pub_t *self, const Npo__Organization *org, const char *pub_seq,
                      pub_pending_t *rec)
{
    const Npo__Certificate *c = org->certificate;
    char version [12];
    snprintf (version, sizeof version, "%u", c->version);
    const char *params [8] = { c->number, org->uscc, c->status, version, c->canonical,
                               c->public_key, pub_seq, c->superseded_number };
    //  Documents for the gateway, rendered by PostgreSQL (never served raw)
    PGresult *res = npo_db_exec (self->db,
        "WITH cur AS ("
        "  INSERT INTO certificates (number, uscc, status, doc, pub_seq)"
        "  VALUES ($1, $2, $3, json_build_object ('number', $1::text, 'uscc', $2::text,"
        "    'version', $4::int, 'status', $3::text, 'canonical', $5::text,"
        "    'public_key', $6::text)::text, $7)"
        "  ON CONFLICT (number) DO UPDATE SET status = EXCLUDED.status, doc = EXCLUDED.doc,"
        "    pub_seq = EXCLUDED.pub_seq RETURNING number, doc),"
        " old AS ("
        "  UPDATE certificates SET status = 'superseded', pub_seq = $7,"
        "    doc = jsonb_set (doc::jsonb, '{status}', '\"superseded\"')::text"
        "  WHERE number = $8 AND number <> $1 RETURNING number, doc)"
        " SELECT * FROM cur UNION ALL SELECT * FROM old", 8, params);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples (res) && i < 2; i++) {
        char key [64];
        snprintf (key, sizeof key, "cert:%s", PQgetvalue (res, i, 0));
        rec->key [i] = npo_strdup (key);
        rec->val [i] = npo_strdup (PQgetvalue (res, i, 1));
    }
    PQclear (res);
    //  The organization can be found by its certificate number
    char alias [64];
    snprintf (alias, sizeof alias, "cert:%s", c->number);
    return s_alias (self, alias, org->uscc, pub_seq, rec, 2);
}

//  Sets the parts of the public record other streams own (latest_inspection,
//  evaluation, credit, party_organization) from the tables into *doc, which is
//  replaced. Returns 0 or -1.
static int
s_compose (pub_t *self, const char *uscc, char **doc)
{
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT (SELECT json_build_object ('year', year, 'kind', kind, 'result', result)::text"
        "   FROM inspections WHERE uscc = $1 ORDER BY year DESC LIMIT 1),"
        " (SELECT json_build_object ('grade', grade, 'valid_from', valid_from,"
        "   'valid_to', valid_to)::text FROM evaluations WHERE uscc = $1 AND state = 'valid'"
        "   ORDER BY valid_from DESC, evaluation_id DESC LIMIT 1),"
        " json_build_object ("
        "   'abnormal', EXISTS (SELECT 1 FROM listings WHERE uscc = $1 AND list = 'abnormal'"
        "     AND removed_on IS NULL),"
        "   'serious', EXISTS (SELECT 1 FROM listings WHERE uscc = $1 AND list = 'serious'"
        "     AND removed_on IS NULL),"
        "   'penalties', (SELECT count (*) FROM penalties WHERE uscc = $1),"
        "   'open_cases', (SELECT count (*) FROM cases WHERE uscc = $1 AND open),"
        "   'listings', coalesce ((SELECT json_agg (json_build_object ('listing_id', listing_id,"
        "     'list', list, 'ground', ground, 'reason', reason, 'listed_on', listed_on)"
        "     ORDER BY listed_on DESC, listing_id DESC) FROM listings WHERE uscc = $1"
        "     AND removed_on IS NULL), '[]'))::text,"
        " (EXISTS (SELECT 1 FROM party_orgs WHERE uscc = $1 AND active))::text", 1, params);
    if (!res)
        return -1;
    json_t *json = json_loads (*doc, 0, NULL);
    static const char *parts [4] = {
        "latest_inspection", "evaluation", "credit", "party_organization"
    };
    for (int i = 0; i < 4 && json; i++) {
        json_t *part = PQgetisnull (res, 0, i)? json_null ():
                       json_loads (PQgetvalue (res, 0, i), JSON_DECODE_ANY, NULL);
        json_object_set_new (json, parts [i], part? part: json_null ());
    }
    PQclear (res);
    char *text = json? json_dumps (json, JSON_COMPACT): NULL;
    json_decref (json);
    if (!text)
        return -1;
    free (*doc);
    *doc = text;
    return 0;
}

//  Makes an organization event public: the record (unless a newer version is
//  stored), its changes, a public event, and the Redis writes after commit.
static int
s_project (pub_t *self, const Npo__Envelope *event, const Npo__Organization *org,
           Npo__Change **changes, size_t n_changes)
{
    char *doc = org && org->basic? pub_render (org): NULL;
    if (doc && s_compose (self, org->uscc, &doc)) {
        free (doc);
        return -1;
    }
    if (!doc) {
        //  A producer bug, not a transient failure: retrying cannot help, and
        //  stopping here would stop every later record.
        log_error ("event %s cannot be made public (undecodable or not UTF-8); skipped",
                   event->event_id);
        return 0;
    }
    char version [24], seq_text [24];
    snprintf (version, sizeof version, "%llu", (unsigned long long) org->version);
    const char *params [8] = { org->uscc, org->basic->authority_division, org->basic->name,
                               org->basic->type, org->status, version, doc, event->event_id };
    //  A newer version already stored wins: then nothing is published.
    PGresult *res = npo_db_exec (self->db,
        "INSERT INTO orgs (uscc, division, name, type, status, version, doc, source_event)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (uscc) DO UPDATE SET division = EXCLUDED.division, name = EXCLUDED.name,"
        "   type = EXCLUDED.type, status = EXCLUDED.status, version = EXCLUDED.version,"
        "   doc = EXCLUDED.doc, source_event = EXCLUDED.source_event, updated_at = now ()"
        " WHERE orgs.version < EXCLUDED.version RETURNING sid", 8, params);
    int rc = res? 0: -1;
    bool written = res && PQntuples (res) == 1;
    int64_t sid = written? strtoll (PQgetvalue (res, 0, 0), NULL, 10): 0;
    PQclear (res);
    char *changes_doc = NULL;
    uint64_t pub_seq = 0;
    if (written) {
        changes_doc = s_record_changes (self, event, org->uscc, changes, n_changes);
        pub_seq = changes_doc? s_public_event (self, event, event->type, doc, doc): 0;
        snprintf (seq_text, sizeof seq_text, "%llu", (unsigned long long) pub_seq);
        const char *p2 [2] = { org->uscc, seq_text };
        if (pub_seq == 0
        ||  npo_db_cmd (self->db, "UPDATE orgs SET pub_seq = $2 WHERE uscc = $1", 2, p2))
            rc = -1;
    }
    if (rc == 0 && written) {
        self->stats_dirty = true;
        s_push_pending (self, org->uscc, doc, changes_doc, pub_seq);
        self->pending [self->npending - 1].sid = sid;
        if (org->certificate
        &&  s_record_certificate (self, org, seq_text, &self->pending [self->npending - 1]))
            rc = -1;
    }
    else {
        free (doc);
        free (changes_doc);
    }
    return rc;
}

//  Pre-2016 codes: the organization can be found by them.
static int
s_old_codes (pub_t *self, const Npo__Envelope *event)
{
    Npo__OldCodes *msg = npo__old_codes__unpack (NULL, event->payload.len, event->payload.data);
    if (!msg) {
        log_error ("event %s is not a valid OldCodes; skipped", event->event_id);
        return 0;
    }
    json_t *doc_json = json_pack ("{s:s, s:s, s:s}", "uscc", msg->uscc,
                                  "old_org_code", msg->old_org_code,
                                  "old_certificate_number", msg->old_certificate_number);
    char *doc = doc_json? json_dumps (doc_json, JSON_COMPACT): NULL;
    json_decref (doc_json);
    uint64_t seq = doc? s_public_event (self, event, event->type, doc, NULL): 0;
    char seq_text [24], alias [80];
    snprintf (seq_text, sizeof seq_text, "%llu", (unsigned long long) seq);
    int rc = seq? 0: -1;
    if (rc == 0) {
        s_push_pending (self, msg->uscc, NULL, NULL, seq);
        pub_pending_t *rec = &self->pending [self->npending - 1];
        if (*msg->old_org_code) {
            snprintf (alias, sizeof alias, "oldcode:%s", msg->old_org_code);
            rc = s_alias (self, alias, msg->uscc, seq_text, rec, 0);
        }
        if (rc == 0 && *msg->old_certificate_number) {
            snprintf (alias, sizeof alias, "oldcert:%s", msg->old_certificate_number);
            rc = s_alias (self, alias, msg->uscc, seq_text, rec, 1);
        }
    }
    free (doc);
    npo__old_codes__free_unpacked (msg, NULL);
    return rc;
}

int
pub_apply (void *state, const Npo__Envelope *event)
{
    pub_t *self = state;
    if (strcmp (event->type, "registry.old_codes_recorded") == 0)
        return s_old_codes (self, event);
    const Npo__Organization *org;
    ProtobufCMessage *msg = npo_org_event_unpack (event, &org);
    if (!msg)
        return 0;       //  not public: the offset still moves past it
    int rc = strcmp (event->type, "registry.org_changed") == 0?
        s_project (self, event, org, ((Npo__OrgChanged *) msg)->changes,
                   ((Npo__OrgChanged *) msg)->n_changes):
        s_project (self, event, org, NULL, 0);
    protobuf_c_message_free_unpacked (msg, NULL);
    return rc;
}

//  ---------------------------------------------------------------------
//  The inspection stream: results and grades in the record and its histories

//  Each public history, rendered from its table by PostgreSQL, newest first
static const struct {
    const char *kind;
    const char *sql;
} s_histories [] = {
    { "inspections",
      "SELECT coalesce (json_agg (json_build_object ('year', year, 'kind', kind,"
      " 'result', result, 'reviewed_on', reviewed_on, 'rectification', rectification,"
      " 'rectification_deadline', rectification_deadline, 'deadline', deadline,"
      " 'finance', finance) ORDER BY year DESC), '[]')::text"
      " FROM inspections WHERE uscc = $1" },
    { "evaluations",
      "SELECT coalesce (json_agg (json_build_object ('grade', grade, 'valid_from', valid_from,"
      " 'valid_to', valid_to, 'evaluator', evaluator, 'state', state)"
      " ORDER BY valid_from DESC, evaluation_id DESC), '[]')::text"
      " FROM evaluations WHERE uscc = $1" },
    { "penalties",
      "SELECT coalesce (json_agg (json_build_object ('decision_number', decision_number,"
      " 'penalty_name', penalty_name, 'kind', kind, 'result', result,"
      " 'fine_amount', fine_amount, 'stop_months', stop_months, 'facts', facts,"
      " 'legal_basis', legal_basis, 'authority', authority, 'decided_on', decided_on)"
      " ORDER BY decided_on DESC, penalty_id DESC), '[]')::text"
      " FROM penalties WHERE uscc = $1" },
};
enum { H_INSPECTIONS, H_EVALUATIONS, H_PENALTIES };

//  After another stream changed a part of an organization's public data:
//  logs the public event (the event's own public message as JSON), stores
//  history h when h >= 0 (re-rendered), and re-composes the record when the
//  organization is known; queues the Redis writes and returns them (NULL on
//  failure).
static pub_pending_t *
s_public_change (pub_t *self, const Npo__Envelope *event, const char *uscc, int h,
                 const ProtobufCMessage *public_msg)
{
    char *list = NULL;
    const char *key [1] = { uscc };
    if (h >= 0) {
        PGresult *res = npo_db_exec (self->db, s_histories [h].sql, 1, key);
        if (!res)
            return NULL;
        //  PostgreSQL's json text is spaced: served compact, like the records
        json_t *rendered = json_loads (PQgetvalue (res, 0, 0), 0, NULL);
        PQclear (res);
        list = rendered? json_dumps (rendered, JSON_COMPACT): NULL;
        json_decref (rendered);
        if (!list)
            return NULL;
    }
    //  The history, and the record (when known) re-composed, then the public
    //  event with both, then the record's pub_seq
    const char *params [3] = { uscc, h >= 0? s_histories [h].kind: NULL, list };
    PGresult *res = npo_db_exec (self->db,
        "WITH h AS (INSERT INTO histories (uscc, kind, doc, pub_seq)"
        "  SELECT $1, $2, $3, 0 WHERE $2::text IS NOT NULL"
        "  ON CONFLICT (uscc, kind) DO UPDATE SET doc = EXCLUDED.doc)"
        " SELECT doc FROM orgs WHERE uscc = $1 FOR UPDATE", 3, params);
    if (!res) {
        free (list);
        return NULL;
    }
    char *doc = PQntuples (res)? npo_strdup (PQgetvalue (res, 0, 0)): NULL;
    PQclear (res);
    int rc = doc? s_compose (self, uscc, &doc): 0;
    json_t *json = npo_pb_to_json (public_msg);
    char *entry = json? json_dumps (json, JSON_COMPACT): NULL;
    json_decref (json);
    uint64_t pub_seq = rc == 0 && entry? s_public_event (self, event, event->type, entry, doc): 0;
    free (entry);
    char seq_text [24];
    snprintf (seq_text, sizeof seq_text, "%llu", (unsigned long long) pub_seq);
    const char *p2 [3] = { uscc, doc, seq_text };
    rc = pub_seq == 0? -1:
         npo_db_cmd (self->db, "UPDATE histories SET pub_seq = $2 WHERE uscc = $1"
                     " AND kind = $3", 3, (const char *[]) { uscc, seq_text, params [1] })
      || (doc && npo_db_cmd (self->db, "UPDATE orgs SET doc = $2, pub_seq = $3,"
                             " updated_at = now () WHERE uscc = $1", 3, p2));
    if (rc) {
        free (doc);
        free (list);
        return NULL;
    }
    s_push_pending (self, uscc, doc, NULL, pub_seq);
    pub_pending_t *rec = &self->pending [self->npending - 1];
    if (list) {
        char name [48];
        snprintf (name, sizeof name, "%s:%s", s_histories [h].kind, uscc);
        rec->key [0] = npo_strdup (name);
        rec->val [0] = list;
    }
    return rec;
}

int
pub_apply_inspection (void *state, const Npo__Envelope *event)
{
    pub_t *self = state;
    const ProtobufCBinaryData *p = &event->payload;
    char year [12];
    int rc = 0;
    if (strcmp (event->type, "inspection.result_recorded") == 0) {
        Npo__ResultRecorded *m = npo__result_recorded__unpack (NULL, p->len, p->data);
        if (!m || !m->finance) {
            log_error ("event %s is not a valid ResultRecorded; skipped", event->event_id);
            goto unpack_failed;
        }
        snprintf (year, sizeof year, "%u", m->year);
        const Npo__PublicFinance *f = m->finance;
        const char *params [13] = { m->uscc, year, m->kind, m->result, m->rectification,
                                    m->rectification_deadline, m->reviewed_on, f->total_assets,
                                    f->total_liabilities, f->net_assets, f->income, f->expenses,
                                    event->event_id };
        rc = npo_db_cmd (self->db,
            "INSERT INTO inspections (uscc, year, kind, result, rectification,"
            "  rectification_deadline, reviewed_on, finance, source_event)"
            " VALUES ($1, $2, $3, $4, nullif ($5, ''), nullif ($6, ''), $7,"
            "  json_build_object ('total_assets', $8::text, 'total_liabilities', $9::text,"
            "  'net_assets', $10::text, 'income', $11::text, 'expenses', $12::text), $13)"
            " ON CONFLICT (uscc, year) DO UPDATE SET kind = EXCLUDED.kind,"
            "  result = EXCLUDED.result, rectification = EXCLUDED.rectification,"
            "  rectification_deadline = EXCLUDED.rectification_deadline,"
            "  reviewed_on = EXCLUDED.reviewed_on, finance = EXCLUDED.finance, deadline = NULL,"
            "  source_event = EXCLUDED.source_event", 13, params)
          || !s_public_change (self, event, m->uscc, H_INSPECTIONS, &m->base);
        npo__result_recorded__free_unpacked (m, NULL);
    }
    else
    if (strcmp (event->type, "inspection.not_filed") == 0) {
        Npo__NotFiled *m = npo__not_filed__unpack (NULL, p->len, p->data);
        if (!m) {
            log_error ("event %s is not a valid NotFiled; skipped", event->event_id);
            goto unpack_failed;
        }
        snprintf (year, sizeof year, "%u", m->year);
        const char *params [5] = { m->uscc, year, m->deadline, event->event_id, m->kind };
        //  A result already published (a late report reviewed) stays
        rc = npo_db_cmd (self->db,
            "INSERT INTO inspections (uscc, year, kind, result, deadline, source_event)"
            " VALUES ($1, $2, nullif ($5, ''), 'not_filed', $3, $4)"
            " ON CONFLICT (uscc, year) DO NOTHING", 5, params)
          || !s_public_change (self, event, m->uscc, H_INSPECTIONS, &m->base);
        npo__not_filed__free_unpacked (m, NULL);
    }
    else
    if (strcmp (event->type, "inspection.evaluation_recorded") == 0) {
        Npo__EvaluationRecorded *m = npo__evaluation_recorded__unpack (NULL, p->len, p->data);
        if (!m || !m->evaluation) {
            log_error ("event %s is not a valid EvaluationRecorded; skipped", event->event_id);
            goto unpack_failed;
        }
        const Npo__Evaluation *e = m->evaluation;
        char id [24];
        snprintf (id, sizeof id, "%llu", (unsigned long long) m->evaluation_id);
        const char *params [8] = { id, e->uscc, e->grade, e->evaluator, e->valid_from,
                                   e->valid_to, event->event_id, e->state };
        //  The grade as the service holds it: a new one in force supersedes
        //  the one before, as does a returned latest grade already expired;
        //  a returned older grade supersedes nothing, and a returned record
        //  changes its grade (docs/import.md 10)
        rc = npo_db_cmd (self->db,
            "WITH old AS (UPDATE evaluations SET state = 'superseded' WHERE uscc = $2"
            "  AND state = 'valid' AND evaluation_id < $1::bigint"
            "  AND (coalesce (nullif ($8, ''), 'valid') = 'valid'"
            "       OR ($8 = 'expired' AND valid_from < $5)))"
            " INSERT INTO evaluations (evaluation_id, uscc, grade, evaluator, valid_from,"
            "  valid_to, state, source_event)"
            " VALUES ($1, $2, $3, $4, $5, $6, coalesce (nullif ($8, ''), 'valid'), $7)"
            " ON CONFLICT (evaluation_id) DO UPDATE SET grade = EXCLUDED.grade,"
            "  evaluator = EXCLUDED.evaluator, state = EXCLUDED.state,"
            "  source_event = EXCLUDED.source_event", 8, params)
          || !s_public_change (self, event, e->uscc, H_EVALUATIONS, &e->base);
        npo__evaluation_recorded__free_unpacked (m, NULL);
    }
    else
    if (strcmp (event->type, "inspection.evaluation_expired") == 0) {
        Npo__EvaluationRecorded *m = npo__evaluation_recorded__unpack (NULL, p->len, p->data);
        if (!m || !m->evaluation) {
            log_error ("event %s is not a valid EvaluationRecorded; skipped", event->event_id);
            goto unpack_failed;
        }
        char id [24];
        snprintf (id, sizeof id, "%llu", (unsigned long long) m->evaluation_id);
        const char *params [1] = { id };
        rc = npo_db_cmd (self->db, "UPDATE evaluations SET state = 'expired'"
                         " WHERE evaluation_id = $1", 1, params)
          || !s_public_change (self, event, m->evaluation->uscc, H_EVALUATIONS,
                               &m->evaluation->base);
        npo__evaluation_recorded__free_unpacked (m, NULL);
    }
    return rc? -1: 0;
unpack_failed:
    return 0;               //  a producer bug: retrying cannot help
}

//  ---------------------------------------------------------------------
//  The credit stream: penalties, open cases and listings

//  Stores a listing event's listing with its public document; queues the
//  document and the list memberships. Returns 0 or -1.
static int
s_listing (pub_t *self, const Npo__Envelope *event, const Npo__Listing *l)
{
    char id [24], ground [12];
    snprintf (id, sizeof id, "%llu", (unsigned long long) l->listing_id);
    snprintf (ground, sizeof ground, "%u", l->ground);
    json_t *facts = json_array ();
    for (size_t i = 0; i < l->n_facts; i++)
        json_array_append_new (facts, json_string (l->facts [i]));
    json_t *json = json_pack ("{s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o}",
        "listing_id", (json_int_t) l->listing_id, "uscc", l->uscc, "name", l->name,
        "list", l->list, "ground", (int) l->ground, "reason", l->listed_reason,
        "listed_on", l->listed_on, "registration_authority", l->registration_authority,
        "division", event->division, "facts", facts);
    char *doc = json? json_dumps (json, JSON_COMPACT): NULL;
    json_decref (json);
    if (!doc) {
        log_error ("event %s: listing %s cannot be rendered; skipped", event->event_id, id);
        return 0;
    }
    const char *params [8] = { id, l->uscc, l->list, ground, l->listed_reason, l->listed_on,
                               *l->removed_on? l->removed_on: NULL, event->division };
    //  A listing's removal never goes back to listed (events of one stream
    //  arrive in order; a replay finds the row already removed)
    PGresult *res = npo_db_exec (self->db,
        "INSERT INTO listings (listing_id, uscc, list, ground, reason, listed_on, removed_on,"
        "  division, doc, pub_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', 0)"
        " ON CONFLICT (listing_id) DO UPDATE SET removed_on = EXCLUDED.removed_on"
        "  WHERE listings.removed_on IS NULL AND EXCLUDED.removed_on IS NOT NULL"
        " RETURNING (to_char (listed_on::date, 'YYYYMMDD')::bigint * 100000000"
        "  + listing_id % 100000000)::text", 8, params);
    int rc = res? 0: -1;
    bool changed = res && PQntuples (res) == 1;
    char score [24] = "";
    if (changed)
        snprintf (score, sizeof score, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    pub_pending_t *rec = rc == 0 && changed?
        s_public_change (self, event, l->uscc, -1, &l->base): NULL;
    if (rec) {
        char seq [24];
        snprintf (seq, sizeof seq, "%llu", (unsigned long long) rec->pub_seq);
        const char *p2 [3] = { id, doc, seq };
        rc = npo_db_cmd (self->db, "UPDATE listings SET doc = $2, pub_seq = $3"
                         " WHERE listing_id = $1", 3, p2);
        rec->listing_id = npo_strdup (id);
        rec->listing_doc = *l->removed_on? NULL: npo_strdup (doc);
        snprintf (rec->list, sizeof rec->list, "%s", l->list);
        snprintf (rec->division, sizeof rec->division, "%s", event->division);
        snprintf (rec->score, sizeof rec->score, "%s", score);
    }
    else
    if (changed)
        rc = -1;
    free (doc);
    return rc;
}

int
pub_apply_credit (void *state, const Npo__Envelope *event)
{
    pub_t *self = state;
    const ProtobufCBinaryData *p = &event->payload;
    const char *type = event->type;
    int rc = 0;
    if (strcmp (type, "credit.penalty_recorded") == 0) {
        Npo__PenaltyRecorded *m = npo__penalty_recorded__unpack (NULL, p->len, p->data);
        if (!m || !m->penalty) {
            log_error ("event %s is not a valid PenaltyRecorded; skipped", event->event_id);
            goto skipped;
        }
        const Npo__Penalty *e = m->penalty;
        char id [24], months [12];
        snprintf (id, sizeof id, "%llu", (unsigned long long) m->penalty_id);
        snprintf (months, sizeof months, "%u", e->stop_months);
        const char *params [13] = { id, e->uscc, *e->kind? e->kind: "administrative",
                                    e->penalty_name, e->decision_number, e->facts,
                                    e->legal_basis, e->result,
                                    *e->fine_amount? e->fine_amount: NULL,
                                    e->stop_months? months: NULL, e->authority, e->decided_on,
                                    event->event_id };
        rc = npo_db_cmd (self->db,
            "INSERT INTO penalties (penalty_id, uscc, kind, penalty_name, decision_number, facts,"
            "  legal_basis, result, fine_amount, stop_months, authority, decided_on, source_event)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            " ON CONFLICT (penalty_id) DO NOTHING", 13, params)
          || !s_public_change (self, event, e->uscc, H_PENALTIES, &e->base);
        npo__penalty_recorded__free_unpacked (m, NULL);
    }
    else
    if (strcmp (type, "credit.case_filed") == 0 || strcmp (type, "credit.case_updated") == 0) {
        Npo__CaseEvent *m = npo__case_event__unpack (NULL, p->len, p->data);
        if (!m || !m->filing) {
            log_error ("event %s is not a valid CaseEvent; skipped", event->event_id);
            goto skipped;
        }
        const char *params [3] = { m->filing->case_number, m->filing->uscc,
                                   strcmp (m->filing->stage, "closed")? "t": "f" };
        rc = npo_db_cmd (self->db,
            "INSERT INTO cases (case_number, uscc, open) VALUES ($1, $2, $3)"
            " ON CONFLICT (case_number) DO UPDATE SET open = EXCLUDED.open", 3, params)
          || !s_public_change (self, event, m->filing->uscc, -1, &m->filing->base);
        npo__case_event__free_unpacked (m, NULL);
    }
    else
    if (strncmp (type, "credit.", 7) == 0
    &&  (strstr (type, "_listed") || strstr (type, "_removed"))) {
        Npo__ListingEvent *m = npo__listing_event__unpack (NULL, p->len, p->data);
        if (!m || !m->listing) {
            log_error ("event %s is not a valid ListingEvent; skipped", event->event_id);
            goto skipped;
        }
        rc = s_listing (self, event, m->listing);
        npo__listing_event__free_unpacked (m, NULL);
    }
    //  credit.person_penalty_recorded: a person's penalty is never public
    return rc? -1: 0;
skipped:
    return 0;               //  a producer bug: retrying cannot help
}

//  ---------------------------------------------------------------------
//  The party stream: whether there is a party organization, nothing else

int
pub_apply_party (void *state, const Npo__Envelope *event)
{
    pub_t *self = state;
    if (strncmp (event->type, "party.org_", 10) != 0)
        return 0;           //  party.members_changed: internal
    Npo__PartyOrgEvent *m = npo__party_org_event__unpack (NULL, event->payload.len,
                                                          event->payload.data);
    if (!m) {
        log_error ("event %s is not a valid PartyOrgEvent; skipped", event->event_id);
        return 0;
    }
    bool active = strcmp (event->type, "party.org_dissolved") != 0;
    const char *params [3] = { m->uscc, active? "t": "f", event->event_id };
    //  Public only when it flips: an update (a new secretary, say) says nothing
    PGresult *res = npo_db_exec (self->db,
        "INSERT INTO party_orgs (uscc, active, source_event) VALUES ($1, $2, $3)"
        " ON CONFLICT (uscc) DO UPDATE SET active = EXCLUDED.active,"
        " source_event = EXCLUDED.source_event WHERE party_orgs.active <> EXCLUDED.active"
        " RETURNING uscc", 3, params);
    bool flipped = res && PQntuples (res) == 1;
    int rc = res? 0: -1;
    PQclear (res);
    Npo__PartyOrgPublic shown = NPO__PARTY_ORG_PUBLIC__INIT;
    shown.uscc = m->uscc;
    shown.party_organization = active;
    if (rc == 0 && flipped) {
        rc = s_public_change (self, event, m->uscc, -1, &shown.base)? 0: -1;
        self->stats_dirty = true;
    }
    npo__party_org_event__free_unpacked (m, NULL);
    return rc;
}

//  ---------------------------------------------------------------------
//  Statistics: stats:<prefix> for the country ("") and every province, city
//  and county prefix with organizations

//  Renders and writes every statistics document. Returns 0 or -1.
static int
s_write_stats (pub_t *self)
{
    PGresult *res = npo_db_exec (self->db,
        "SELECT left (o.division, k.len), o.type, o.status, count (*),"
        " count (*) FILTER (WHERE po.active AND o.status = 'active')"
        " FROM orgs o LEFT JOIN party_orgs po ON po.uscc = o.uscc"
        " CROSS JOIN (VALUES (0), (2), (4), (6)) AS k (len)"
        " GROUP BY 1, 2, 3 ORDER BY 1", 0, NULL);
    if (!res)
        return -1;
    json_t *docs = json_object ();
    for (int i = 0; i < PQntuples (res); i++) {
        const char *prefix = PQgetvalue (res, i, 0);
        json_t *doc = json_object_get (docs, prefix);
        if (!doc) {
            doc = json_pack ("{s:s, s:I, s:{}, s:{}, s:I, s:I}", "division", prefix,
                             "organizations", (json_int_t) 0, "by_type", "by_status",
                             "active", (json_int_t) 0, "party_organizations", (json_int_t) 0);
            json_object_set_new (docs, prefix, doc);
        }
        json_int_t n = strtoll (PQgetvalue (res, i, 3), NULL, 10);
        json_int_t party = strtoll (PQgetvalue (res, i, 4), NULL, 10);
        const char *type = PQgetvalue (res, i, 1), *status = PQgetvalue (res, i, 2);
        const char *counters [2] = { "organizations", "party_organizations" };
        json_int_t add [2] = { n, party };
        for (int c = 0; c < 2; c++)
            json_object_set_new (doc, counters [c], json_integer (
                json_integer_value (json_object_get (doc, counters [c])) + add [c]));
        if (strcmp (status, "active") == 0)
            json_object_set_new (doc, "active", json_integer (
                json_integer_value (json_object_get (doc, "active")) + n));
        json_t *by [2] = { json_object_get (doc, "by_type"), json_object_get (doc, "by_status") };
        const char *key [2] = { type, status };
        for (int b = 0; b < 2; b++)
            json_object_set_new (by [b], key [b], json_integer (
                json_integer_value (json_object_get (by [b], key [b])) + n));
    }
    PQclear (res);
    //  Coverage: party organizations among active organizations
    const char *prefix;
    json_t *doc;
    size_t n = json_object_size (docs), k = 0;
    pub_pending_t *batch = calloc (n + 1, sizeof *batch);
    char **texts = calloc (n + 1, sizeof *texts);
    char (*keys) [16] = calloc (n + 1, sizeof *keys);
    if (!batch || !texts || !keys)
        abort ();
    json_object_foreach (docs, prefix, doc) {
        json_int_t active = json_integer_value (json_object_get (doc, "active"));
        json_int_t party = json_integer_value (json_object_get (doc, "party_organizations"));
        json_object_set_new (doc, "party_coverage", active?
                             json_real ((double) (party * 10000 / active) / 10000.0): json_null ());
        snprintf (keys [k], sizeof keys [k], "stats:%s", prefix);
        texts [k] = json_dumps (doc, JSON_COMPACT);
        batch [k].key [0] = keys [k];
        batch [k].val [0] = texts [k];
        k++;
    }
    json_decref (docs);
    int rc = 0;
    for (size_t from = 0; from < k && rc == 0; from += REDIS_BATCH)
        rc = s_redis_write (self, batch + from, k - from < REDIS_BATCH? k - from: REDIS_BATCH,
                            false);
    for (size_t i = 0; i < k; i++)
        free (texts [i]);
    free (texts);
    free (keys);
    free (batch);
    return rc;
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
    //  A Redis we were not connected to may hold less than npo:pub_seq says
    //  (restarted from an older snapshot): the next tick compares and repairs
    self->behind = true;
    log_info ("connected to redis at %s:%d", self->redis_host, self->redis_port);
    return 0;
}

static void
s_redis_lost (pub_t *self)
{
    log_warn ("lost redis: %s", self->redis? self->redis->errstr: "not connected");
    redisFree (self->redis);
    self->redis = NULL;
}

//  Runs a command; returns its reply (caller frees) or NULL (connection dropped).
static redisReply *
s_redis_command (pub_t *self, const char *fmt, ...)
{
    if (s_redis_connect (self))
        return NULL;
    va_list args;
    va_start (args, fmt);
    redisReply *reply = redisvCommand (self->redis, fmt, args);
    va_end (args);
    if (!reply)
        s_redis_lost (self);
    return reply;
}

//  Queues a listing's document and list memberships (or their removal):
//  list:<list>: (national) and list:<list>:<2, 4, 6-digit prefix>. Returns
//  the number of commands queued.
static int
s_redis_listing (pub_t *self, const pub_pending_t *r)
{
    char doc_key [40];
    snprintf (doc_key, sizeof doc_key, "listing:%s", r->listing_id);
    if (r->listing_doc)
        redisAppendCommand (self->redis, "SET %s %s", doc_key, r->listing_doc);
    else
        redisAppendCommand (self->redis, "DEL %s", doc_key);
    static const int prefixes [4] = { 0, 2, 4, 6 };
    for (int i = 0; i < 4; i++) {
        char set [40];
        snprintf (set, sizeof set, "list:%s:%.*s", r->list, prefixes [i], r->division);
        if (r->listing_doc)
            redisAppendCommand (self->redis, "ZADD %s %s %s", set, r->score, r->listing_id);
        else
            redisAppendCommand (self->redis, "ZREM %s %s", set, r->listing_id);
    }
    return 5;
}

//  Writes records in one MULTI/EXEC; with set_seq, raises npo:pub_seq to the
//  batch's highest pub_seq in the same transaction. Returns 0 or -1.
static int
s_redis_write (pub_t *self, const pub_pending_t *records, size_t n, bool set_seq)
{
    if (n == 0)
        return 0;
    if (s_redis_connect (self))
        return -1;
    uint64_t top = 0;
    size_t replies = 0;
    redisAppendCommand (self->redis, "MULTI");
    replies++;
    for (size_t i = 0; i < n; i++) {
        //  org:<uscc>, changes:<uscc> and other keys in one MSET
        const pub_pending_t *r = &records [i];
        char org_key [32], changes_key [32];
        snprintf (org_key, sizeof org_key, "org:%s", r->uscc);
        snprintf (changes_key, sizeof changes_key, "changes:%s", r->uscc);
        const char *argv [13] = { "MSET" };
        int argc = 1;
        if (r->doc) {           //  (an alias-only record has none)
            argv [argc++] = org_key;
            argv [argc++] = r->doc;
        }
        //  An empty list is not stored: the gateway answers [] for a known
        //  organization without one (88 bytes an organization saved)
        if (r->doc && r->changes && strcmp (r->changes, "[]") != 0) {
            argv [argc++] = changes_key;
            argv [argc++] = r->changes;
        }
        for (int k = 0; k < 4; k++)
            if (r->key [k]) {
                argv [argc++] = r->key [k];
                argv [argc++] = r->val [k];
            }
        if (argc > 1) {
            redisAppendCommandArgv (self->redis, argc, argv, NULL);
            replies++;
        }
        if (r->doc && r->sid > 0) {
            redisAppendCommand (self->redis, "EVAL %s 0 %lld %s", NPO_SEARCH_INDEX_LUA,
                                (long long) r->sid, r->doc);
            replies++;
        }
        if (r->listing_id)
            replies += (size_t) s_redis_listing (self, r);
        if (records [i].pub_seq > top)
            top = records [i].pub_seq;
    }
    if (set_seq) {
        redisAppendCommand (self->redis, "SET npo:pub_seq %llu", (unsigned long long) top);
        replies++;
    }
    redisAppendCommand (self->redis, "EXEC");
    replies++;
    int rc = 0;
    for (size_t i = 0; i < replies; i++) {
        redisReply *reply = NULL;
        if (redisGetReply (self->redis, (void **) &reply) != REDIS_OK) {
            s_redis_lost (self);
            return -1;
        }
        //  The last reply is EXEC's: an array, or nil when it was aborted
        if (reply->type == REDIS_REPLY_ERROR
        ||  (i == replies - 1 && reply->type != REDIS_REPLY_ARRAY))
            rc = -1;
        freeReplyObject (reply);
    }
    return rc;
}

void
pub_committed (void *state, bool ok)
{
    pub_t *self = state;
    if (ok)
        pub_relay (self);
    //  On failure PostgreSQL still has it; the tick sees npo:pub_seq behind.
    //  While behind, the watermark must not jump past the missed records. A
    //  batch that was not committed may have been (COMMIT lost with its
    //  connection): behind too.
    if (!ok || s_redis_write (self, self->pending, self->npending, !self->behind))
        self->behind = true;
    pub_destroy_pending (self);
}

//  A row of a paged query as a record to write (strings borrowed from res).
typedef void (s_fill_fn) (pub_pending_t *rec, PGresult *res, int row);

static void
s_fill_org (pub_pending_t *rec, PGresult *res, int row)
{
    snprintf (rec->uscc, sizeof rec->uscc, "%s", PQgetvalue (res, row, 0));
    rec->doc = PQgetvalue (res, row, 1);
    rec->changes = PQgetvalue (res, row, 3);
    rec->sid = strtoll (PQgetvalue (res, row, 4), NULL, 10);
}

static void
s_fill_pair (pub_pending_t *rec, PGresult *res, int row)
{
    rec->key [0] = PQgetvalue (res, row, 0);
    rec->val [0] = PQgetvalue (res, row, 1);
}

static void
s_fill_listing (pub_pending_t *rec, PGresult *res, int row)
{
    rec->listing_id = PQgetvalue (res, row, 0);
    rec->listing_doc = *PQgetvalue (res, row, 6) == 't'? NULL: PQgetvalue (res, row, 1);
    snprintf (rec->list, sizeof rec->list, "%s", PQgetvalue (res, row, 3));
    snprintf (rec->division, sizeof rec->division, "%s", PQgetvalue (res, row, 4));
    snprintf (rec->score, sizeof rec->score, "%s", PQgetvalue (res, row, 5));
}

//  What Redis holds, table by table: the records (org:, changes:), the
//  certificates' verification documents (cert:), the aliases (alias:), the
//  histories and the listings. Each query pages by (pub_seq, key): pub_seq is
//  column 2, the key column `key` ($1, $3: where the last page ended). The
//  first page has $3 NULL: (pub_seq, key) > ($1, NULL) holds exactly when
//  pub_seq > $1.
static const struct {
    const char *sql;
    s_fill_fn *fill;
    int key;
} s_tables [] = {
    { "SELECT uscc, doc, pub_seq, changes_doc, sid FROM orgs"
      " WHERE (pub_seq, uscc) > ($1, $3) ORDER BY pub_seq, uscc LIMIT $2", s_fill_org, 0 },
    { "SELECT 'cert:' || number, doc, pub_seq, number FROM certificates"
      " WHERE (pub_seq, number) > ($1, $3) ORDER BY pub_seq, number LIMIT $2", s_fill_pair, 3 },
    { "SELECT 'alias:' || alias, uscc, pub_seq, alias FROM aliases"
      " WHERE (pub_seq, alias) > ($1, $3) ORDER BY pub_seq, alias LIMIT $2", s_fill_pair, 3 },
    { "SELECT kind || ':' || uscc, doc, pub_seq FROM histories"
      " WHERE (pub_seq, kind || ':' || uscc) > ($1, $3)"
      " ORDER BY pub_seq, kind || ':' || uscc LIMIT $2", s_fill_pair, 0 },
    { "SELECT listing_id::text, doc, pub_seq, list, division,"
      " (to_char (listed_on::date, 'YYYYMMDD')::bigint * 100000000"
      "  + listing_id % 100000000)::text, removed_on IS NOT NULL"
      " FROM listings WHERE (pub_seq, listing_id) > ($1, $3::bigint)"
      " ORDER BY pub_seq, listing_id LIMIT $2", s_fill_listing, 0 },
};

//  Writes everything with pub_seq > after (all when after is 0), in batches.
//  Returns how many organization records it wrote, or -1. The caller moves
//  the watermark.
static long long
s_write_since (pub_t *self, uint64_t after)
{
    long long total = 0;
    for (size_t t = 0; t < sizeof s_tables / sizeof s_tables [0]; t++) {
        char from [24], limit [16], *key = NULL;
        snprintf (from, sizeof from, "%llu", (unsigned long long) after);
        snprintf (limit, sizeof limit, "%d", REDIS_BATCH);
        while (true) {
            const char *params [3] = { from, limit, key };
            PGresult *res = npo_db_exec (self->db, s_tables [t].sql, 3, params);
            if (!res) {
                free (key);
                return -1;
            }
            int rows = PQntuples (res);
            pub_pending_t *batch = calloc ((size_t) rows + 1, sizeof *batch);
            if (!batch)
                abort ();
            for (int i = 0; i < rows; i++)
                s_tables [t].fill (&batch [i], res, i);
            int rc = s_redis_write (self, batch, (size_t) rows, false);
            if (rows) {
                snprintf (from, sizeof from, "%s", PQgetvalue (res, rows - 1, 2));
                free (key);
                key = npo_strdup (PQgetvalue (res, rows - 1, s_tables [t].key));
            }
            free (batch);
            PQclear (res);
            if (rc) {
                free (key);
                return -1;
            }
            if (s_tables [t].fill == s_fill_org)
                total += rows;
            if (rows < REDIS_BATCH)
                break;
        }
        free (key);
    }
    return total;
}

//  The newest pub_seq in the tables, or -1 on a database error.
static long long
s_latest_pub_seq (pub_t *self)
{
    PGresult *res = npo_db_exec (self->db,
        "SELECT greatest ((SELECT coalesce (max (pub_seq), 0) FROM orgs),"
        " (SELECT coalesce (max (pub_seq), 0) FROM certificates),"
        " (SELECT coalesce (max (pub_seq), 0) FROM aliases),"
        " (SELECT coalesce (max (pub_seq), 0) FROM histories),"
        " (SELECT coalesce (max (pub_seq), 0) FROM listings))", 0, NULL);
    if (!res)
        return -1;
    long long latest = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return latest;
}

//  Sets npo:ready and npo:pub_seq only if our rebuild token is still there: a
//  FLUSHALL during the rebuild removed it, and the cache is not complete.
static const char *s_finish_script =
    "if redis.call ('GET', KEYS [1]) == ARGV [1] then"
    "  redis.call ('SET', KEYS [2], '1'); redis.call ('SET', KEYS [3], ARGV [2]);"
    "  redis.call ('DEL', KEYS [1]); return 1 end return 0";

long long
pub_rebuild (pub_t *self)
{
    long long latest = s_latest_pub_seq (self);
    if (latest < 0)
        return -1;
    char top [24];
    snprintf (top, sizeof top, "%lld", latest);
    char token [33];
    npo_random_id (token);
    redisReply *reply = s_redis_command (self, "SET npo:rebuild %s", token);
    if (!reply)
        return -1;
    freeReplyObject (reply);
    long long total = s_write_since (self, 0);
    if (total < 0 || s_write_stats (self))
        return -1;
    reply = s_redis_command (self, "EVAL %s 3 npo:rebuild npo:ready npo:pub_seq %s %s",
                             s_finish_script, token, top);
    if (!reply)
        return -1;
    bool finished = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    freeReplyObject (reply);
    if (!finished) {
        log_warn ("redis was emptied during the rebuild; starting again");
        return -1;
    }
    self->behind = false;
    self->stats_dirty = false;
    self->stats_at_ms = npo_now_us () / 1000;
    log_info ("rebuilt the cache: %lld public records", total);
    return total;
}

void
pub_tick (void *state)
{
    pub_t *self = state;
    pub_relay (self);           //  (what a failed relay left)
    pub_heartbeat (self);
    //  Statistics, at most every stats_interval_ms while something changed
    int64_t now_ms = npo_now_us () / 1000;
    if (self->stats_dirty && now_ms - self->stats_at_ms >= self->stats_interval_ms) {
        self->stats_at_ms = now_ms;
        if (s_write_stats (self) == 0)
            self->stats_dirty = false;
    }
    redisReply *reply = s_redis_command (self, "MGET npo:ready npo:pub_seq");
    if (!reply)
        return;
    bool ready = reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
              && reply->element [0]->type == REDIS_REPLY_STRING;
    uint64_t cached = ready && reply->element [1]->type == REDIS_REPLY_STRING?
                      strtoull (reply->element [1]->str, NULL, 10): 0;
    freeReplyObject (reply);
    if (!ready) {
        log_info ("cache is empty or new: rebuilding");
        pub_rebuild (self);
        return;
    }
    //  Records committed but not written (a crash or a lost connection between
    //  the two, or a Redis restored from an older snapshot)
    long long latest = s_latest_pub_seq (self);
    if (latest < 0)
        return;
    if (cached < (uint64_t) latest) {
        long long n = s_write_since (self, cached);
        if (n < 0)
            return;                 //  still behind; the next tick goes on
        reply = s_redis_command (self, "SET npo:pub_seq %lld", latest);
        if (!reply)
            return;
        freeReplyObject (reply);
        log_info ("cache missed writes since public event %llu (%lld records); rewritten",
                  (unsigned long long) cached, n);
    }
    self->behind = false;
}

void
pub_handle (void *state, const Npo__Request *request, Npo__Reply *reply)
{
    pub_t *self = state;
    if (request->body_case == NPO__REQUEST__BODY_PUBLIC_REPLAY) {
        pub_replay (self, request->public_replay, reply);
        return;
    }
    if (request->body_case == NPO__REQUEST__BODY_PUBLIC_SNAPSHOT) {
        pub_snapshot (self, request->public_snapshot, reply);
        return;
    }
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
