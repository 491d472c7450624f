/*  credit.c - npo-credit: penalties, and the organizations they concern
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "credit.h"
#include "log.h"
#include "orgevent.h"

#define BAD     NPO__STATUS__STATUS_BAD_REQUEST

static const char *s_results [] = {
    "warning", "fine", "confiscation", "stop_activities", "revoke_registration", "other",
};

int
credit_apply_registry (void *state, const Npo__Envelope *event)
{
    credit_t *self = state;
    const Npo__Organization *org;
    ProtobufCMessage *msg = npo_org_event_unpack (event, &org);
    if (!msg)
        return 0;
    char version [24];
    snprintf (version, sizeof version, "%llu", (unsigned long long) org->version);
    const char *params [6] = { org->uscc, org->basic->name, org->basic->type, org->status,
                               org->basic->authority_division, version };
    int rc = npo_db_cmd (self->db,
        "INSERT INTO orgs (uscc, name, type, status, authority_division, version)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (uscc) DO UPDATE SET"
        " name = EXCLUDED.name, type = EXCLUDED.type, status = EXCLUDED.status,"
        " authority_division = EXCLUDED.authority_division, version = EXCLUDED.version"
        " WHERE orgs.version < EXCLUDED.version", 6, params);
    protobuf_c_message_free_unpacked (msg, NULL);
    return rc;
}

//  Checks a penalty. Returns 0, or -1 with the refusal in reply.
static int
s_validate (const Npo__Penalty *p, Npo__Reply *reply)
{
    if (!uscc_valid (p->uscc)) {
        npo_reply_error (reply, BAD, "invalid_uscc",
                         "uscc: not a valid unified social credit code (GB 32100)");
        return -1;
    }
    const struct {
        const char *name, *value;
        size_t max;
        bool required;
    } texts [] = {
        { "penalty_name", p->penalty_name, 200, true },
        { "decision_number", p->decision_number, 100, true },
        { "facts", p->facts, 4000, true },
        { "legal_basis", p->legal_basis, 2000, true },
        { "authority", p->authority, 200, true },
        { "name", p->name, 200, false },
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts [0]; i++) {
        size_t chars;
        if (!npo_utf8_valid (texts [i].value, true, &chars) || chars > texts [i].max
        ||  (texts [i].required && chars == 0)) {
            npo_reply_error (reply, BAD, chars == 0? "missing_field": "invalid_field",
                             "%s: %stext of at most %zu characters", texts [i].name,
                             texts [i].required? "required, ": "", texts [i].max);
            return -1;
        }
    }
    if (!NPO_STR_IN (p->result, s_results)) {
        npo_reply_error (reply, BAD, "invalid_result",
                         "result: warning, fine, confiscation, stop_activities,"
                         " revoke_registration or other");
        return -1;
    }
    bool fine = strcmp (p->result, "fine") == 0;
    if ((fine && !npo_amount_valid (p->fine_amount)) || (!fine && *p->fine_amount)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "fine_amount: yuan as digits with up to 2 decimals, with result fine only");
        return -1;
    }
    bool stop = strcmp (p->result, "stop_activities") == 0;
    if ((stop && (p->stop_months < 1 || p->stop_months > 120)) || (!stop && p->stop_months)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "stop_months: 1 to 120, with result stop_activities only");
        return -1;
    }
    if (!npo_date_valid (p->decided_on)) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "decided_on: a date YYYY-MM-DD up to today");
        return -1;
    }
    return 0;
}

static void
s_reply_penalty (Npo__Reply *reply, uint64_t id, const char *decision_number)
{
    Npo__PenaltyReply *body = malloc (sizeof *body);
    if (!body)
        abort ();
    npo__penalty_reply__init (body);
    body->penalty_id = id;
    body->decision_number = npo_strdup (decision_number);
    reply->body_case = NPO__REPLY__BODY_PENALTY;
    reply->penalty = body;
}

static void
s_record_penalty (credit_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    Npo__Penalty *p = request->record_penalty->penalty;
    if (!p) {
        npo_reply_error (reply, BAD, "missing_field", "penalty: required");
        return;
    }
    if (s_validate (p, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", p->uscc);
    const char *key [1] = { p->uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT name, authority_division FROM orgs WHERE uscc = $1", 1, key);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    if (PQntuples (res) == 0) {
        PQclear (res);
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "org_unknown",
                         "the credit service knows no organization %s (yet)", p->uscc);
        return;
    }
    char name [800], division [8];
    snprintf (name, sizeof name, "%s", *p->name? p->name: PQgetvalue (res, 0, 0));
    snprintf (division, sizeof division, "%s", PQgetvalue (res, 0, 1));
    PQclear (res);
    if (!npo_actor_may_write (&self->actor, division, reply))
        return;
    char months [12];
    snprintf (months, sizeof months, "%u", p->stop_months);
    const char *params [12] = {
        p->uscc, name, p->penalty_name, p->decision_number, p->facts, p->legal_basis,
        p->result, *p->fine_amount? p->fine_amount: NULL, p->stop_months? months: NULL,
        p->authority, p->decided_on, request->actor
    };
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    //  A decision number names one penalty: a retry answers the first record
    res = npo_db_exec (self->db,
        "WITH ins AS (INSERT INTO penalties (uscc, name, penalty_name, decision_number, facts,"
        "  legal_basis, result, fine_amount, stop_months, authority, decided_on, recorded_by)"
        "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        "  ON CONFLICT (decision_number) DO NOTHING RETURNING id, true AS new)"
        " SELECT id, new FROM ins UNION ALL SELECT id, false FROM penalties"
        " WHERE decision_number = $4 AND uscc = $1 AND result = $7"
        " AND NOT EXISTS (SELECT 1 FROM ins)", 12, params);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    if (PQntuples (res) == 0) {
        PQclear (res);
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_CONFLICT, "decision_number_taken",
                         "decision_number: already names another penalty");
        return;
    }
    uint64_t id = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    bool fresh = strcmp (PQgetvalue (res, 0, 1), "t") == 0;
    PQclear (res);
    if (fresh) {
        Npo__Penalty recorded = *p;
        recorded.name = name;
        Npo__PenaltyRecorded event = NPO__PENALTY_RECORDED__INIT;
        event.penalty = &recorded;
        event.penalty_id = id;
        if (!npo_outbox_append (self->outbox, "credit.penalty_recorded", p->uscc, division,
                                request->actor, &event.base)) {
            npo_reply_db_failed (self->db, reply);
            return;
        }
    }
    if (npo_db_commit (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    s_reply_penalty (reply, id, p->decision_number);
    if (fresh)
        log_info ("recorded penalty %llu (%s) for %s", (unsigned long long) id, p->result,
                  p->uscc);
}

void
credit_handle (void *state, const Npo__Request *request, Npo__Reply *reply)
{
    credit_t *self = state;
    self->target [0] = 0;
    if (npo_actor_parse (request->actor, &self->actor))
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "unknown_actor",
                         "actor must be ministry, registrar:<2, 4 or 6-digit division prefix>,"
                         " region:<province> or auditor, then :name");
    else
    if (request->body_case == NPO__REQUEST__BODY_RECORD_PENALTY)
        s_record_penalty (self, request, reply);
    else
        npo_reply_error (reply, BAD, "unknown_command", "credit does not handle this command");
    npo_audit_write (self->db, request, reply, &self->actor, self->target);
}
