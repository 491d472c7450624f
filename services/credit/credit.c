/*  credit.c - npo-credit: dispatch, penalties (sections 11 and 13), reading,
 *  and the organizations they concern
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "credit.h"
#include "quality.h"
#include "log.h"
#include "orgevent.h"

#define BAD         NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT    NPO__STATUS__STATUS_CONFLICT

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
    const char *params [7] = { org->uscc, org->basic->name, org->basic->type, org->status,
                               org->basic->authority_division, version,
                               org->basic->registration_authority };
    int rc = npo_db_cmd (self->db,
        "INSERT INTO orgs (uscc, name, type, status, authority_division, version,"
        "  registration_authority) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type,"
        " status = EXCLUDED.status, authority_division = EXCLUDED.authority_division,"
        " version = EXCLUDED.version, registration_authority = EXCLUDED.registration_authority"
        " WHERE orgs.version < EXCLUDED.version", 7, params);
    //  Serious-list ground 7 ends once deregistration completes
    if (rc == 0 && strcmp (event->type, "registry.org_deregistered") == 0)
        rc = credit_rules_deregistered (self, org->uscc,
                                        ((const Npo__OrgDeregistered *) msg)->deregistered_on,
                                        event->actor);
    protobuf_c_message_free_unpacked (msg, NULL);
    return rc;
}

int
credit_org (credit_t *self, const char *uscc, char *name, size_t name_size, char *division,
            Npo__Reply *reply)
{
    const char *key [1] = { uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT name, authority_division FROM orgs WHERE uscc = $1", 1, key);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return -1;
    }
    if (PQntuples (res) == 0) {
        PQclear (res);
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "org_unknown",
                         "the credit service knows no organization %s (yet)", uscc);
        return -1;
    }
    snprintf (name, name_size, "%s", PQgetvalue (res, 0, 0));
    snprintf (division, 8, "%s", PQgetvalue (res, 0, 1));
    PQclear (res);
    return 0;
}

int
credit_penalty_row (PGresult *res, uint64_t *id, bool *fresh)
{
    if (!res)
        return -1;
    int rc = 1;
    if (PQntuples (res) == 1) {
        *id = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
        *fresh = *PQgetvalue (res, 0, 1) == 't';
        rc = 0;
    }
    PQclear (res);
    return rc;
}

//  The result and its amount or period. Returns 0, or -1 with the refusal.
static int
s_check_result (const char *result, const char *fine_amount, uint32_t stop_months,
                Npo__Reply *reply)
{
    if (!NPO_STR_IN (result, s_results)) {
        npo_reply_error (reply, BAD, "invalid_result",
                         "result: warning, fine, confiscation, stop_activities,"
                         " revoke_registration or other");
        return -1;
    }
    bool fine = strcmp (result, "fine") == 0;
    if ((fine && !npo_amount_valid (fine_amount)) || (!fine && *fine_amount)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "fine_amount: yuan as digits with up to 2 decimals,"
                         " with result fine only");
        return -1;
    }
    bool stop = strcmp (result, "stop_activities") == 0;
    if ((stop && (stop_months < 1 || stop_months > 120)) || (!stop && stop_months)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "stop_months: 1 to 120, with result stop_activities only");
        return -1;
    }
    return 0;
}

int
credit_penalty_valid (const Npo__Penalty *p, bool complete, Npo__Reply *reply)
{
    if (!npo_uscc_ok (p->uscc, reply))
        return -1;
    const npo_text_t texts [] = {
        { "penalty_name", p->penalty_name, 200, complete },
        { "decision_number", p->decision_number, 100, true },
        { "facts", p->facts, 4000, complete },
        { "legal_basis", p->legal_basis, 2000, complete },
        { "authority", p->authority, 200, complete },
        { "name", p->name, 200, false },
    };
    if (npo_check_texts (texts, sizeof texts / sizeof texts [0], reply)
    ||  s_check_result (p->result, p->fine_amount, p->stop_months, reply))
        return -1;
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

int
credit_penalty_insert (credit_t *self, const Npo__Penalty *p, const char *division,
                       const char *actor, uint64_t *id, bool *fresh)
{
    char months [12];
    snprintf (months, sizeof months, "%u", p->stop_months);
    const char *params [13] = {
        p->uscc, p->name, p->penalty_name, p->decision_number, p->facts, p->legal_basis,
        p->result, *p->fine_amount? p->fine_amount: NULL, p->stop_months? months: NULL,
        p->authority, p->decided_on, actor, p->kind
    };
    //  A decision number names one penalty: a retry answers the first record
    PGresult *res = npo_db_exec (self->db,
        "WITH ins AS (INSERT INTO penalties (uscc, name, penalty_name, decision_number, facts,"
        "  legal_basis, result, fine_amount, stop_months, authority, decided_on, recorded_by,"
        "  kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        "  ON CONFLICT (kind, decision_number) DO NOTHING RETURNING id, true AS new)"
        " SELECT id, new FROM ins UNION ALL SELECT id, false FROM penalties"
        " WHERE kind = $13 AND decision_number = $4 AND uscc = $1 AND result = $7"
        " AND NOT EXISTS (SELECT 1 FROM ins)", 13, params);
    int rc = credit_penalty_row (res, id, fresh);
    if (rc || !*fresh)
        return rc;
    Npo__PenaltyRecorded event = NPO__PENALTY_RECORDED__INIT;
    event.penalty = (Npo__Penalty *) p;
    event.penalty_id = *id;
    uint64_t seq = npo_outbox_append (self->outbox, "credit.penalty_recorded", p->uscc,
                                      division, actor, &event.base);
    char event_id [40], id_text [24];
    snprintf (event_id, sizeof event_id, "credit:%llu", (unsigned long long) seq);
    snprintf (id_text, sizeof id_text, "%llu", (unsigned long long) *id);
    const char *p2 [2] = { id_text, event_id };
    if (!seq
    ||  npo_db_cmd (self->db, "UPDATE penalties SET event_id = $2 WHERE id = $1", 2, p2)
    ||  credit_rules_penalty (self, p, event_id, division, actor))
        return -1;
    log_info ("recorded %s penalty %llu (%s) for %s", p->kind, (unsigned long long) *id,
              p->result, p->uscc);
    return 0;
}

//  Records a penalty on an organization (administrative, or a fundraising
//  penalty whose party is one) with its event and the listings it calls for.
static void
s_record_penalty (credit_t *self, const Npo__Request *request, const Npo__Penalty *p,
                  Npo__Reply *reply)
{
    if (credit_penalty_valid (p, true, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", p->uscc);
    char name [800], division [8];
    if (credit_org (self, p->uscc, name, sizeof name, division, reply)
    ||  !npo_actor_may_write (&self->actor, division, reply))
        return;
    Npo__Penalty recorded = *p;
    if (*p->name)
        snprintf (name, sizeof name, "%s", p->name);
    recorded.name = name;
    recorded.kind = *p->kind? p->kind: "administrative";
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    uint64_t id;
    bool fresh;
    int rc = credit_penalty_insert (self, &recorded, division, request->actor, &id, &fresh);
    if (rc == 1) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, CONFLICT, "decision_number_taken",
                         "decision_number: already names another penalty");
        return;
    }
    if (rc || npo_db_commit (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    s_reply_penalty (reply, id, p->decision_number);
}

void
credit_fundraising_as_penalty (const Npo__FundraisingPenalty *f, Npo__Penalty *p)
{
    npo__penalty__init (p);
    p->uscc = f->party_uscc;
    p->name = f->party_name;
    p->penalty_name = f->penalty_name;
    p->decision_number = f->decision_number;
    p->facts = f->facts;
    p->legal_basis = f->legal_basis;
    p->result = f->result;
    p->fine_amount = f->fine_amount;
    p->stop_months = f->stop_months;
    p->authority = f->authority;
    p->decided_on = f->decided_on;
    p->kind = "fundraising";
}

//  A fundraising penalty: on an organization, a penalty of kind fundraising;
//  on a person, kept apart (cases.c).
static void
s_record_fundraising (credit_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__FundraisingPenalty *f = request->record_fundraising_penalty->penalty;
    if (!f) {
        npo_reply_error (reply, BAD, "missing_field", "penalty: required");
        return;
    }
    if (strcmp (f->party_type, "person") == 0) {
        credit_record_person_penalty (self, request, f, reply);
        return;
    }
    if (strcmp (f->party_type, "organization") != 0) {
        npo_reply_error (reply, BAD, "invalid_field", "party_type: organization or person");
        return;
    }
    if (*f->id_type || *f->id_number) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "id_type, id_number: for a person only; an organization is named"
                         " by party_uscc");
        return;
    }
    Npo__Penalty p;
    credit_fundraising_as_penalty (f, &p);
    s_record_penalty (self, request, &p, reply);
}

//  ---------------------------------------------------------------------
//  Reading

static void
s_get_record (credit_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const char *uscc = request->get_credit_record->uscc;
    if (!npo_uscc_ok (uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", uscc);
    char name [800], division [8];
    if (credit_org (self, uscc, name, sizeof name, division, reply))
        return;
    if (strcmp (self->actor.role, "auditor") != 0
    &&  !npo_actor_may_write (&self->actor, division, reply))
        return;
    const char *params [1] = { uscc };
    npo_reply_query_json (self->db, reply, NPO__REPLY__BODY_CREDIT_RECORD,
        "SELECT json_build_object ('uscc', $1::text,"
        " 'name', (SELECT name FROM orgs WHERE uscc = $1),"
        " 'penalties', coalesce ((SELECT json_agg (json_build_object ("
        "   'uscc', uscc, 'name', name, 'penalty_name', penalty_name,"
        "   'decision_number', decision_number, 'facts', facts, 'legal_basis', legal_basis,"
        "   'result', result, 'fine_amount', coalesce (fine_amount::text, ''),"
        "   'stop_months', coalesce (stop_months, 0), 'authority', authority,"
        "   'decided_on', decided_on::text, 'kind', kind) ORDER BY decided_on DESC, id DESC)"
        "   FROM penalties WHERE uscc = $1), '[]'),"
        " 'cases', coalesce ((SELECT json_agg (json_build_object ("
        "   'uscc', uscc, 'name', name, 'case_number', case_number, 'filed_on', filed_on::text,"
        "   'stage', stage, 'authority_code', authority_code, 'authority', authority,"
        "   'authority_division', authority_division,"
        "   'closed_on', coalesce (closed_on::text, '')) ORDER BY filed_on DESC, id DESC)"
        "   FROM cases WHERE uscc = $1), '[]'),"
        " 'listings', coalesce ((SELECT json_agg (json_build_object ("
        "   'listing_id', id, 'uscc', uscc, 'name', name, 'list', list, 'ground', ground,"
        "   'registration_authority', registration_authority, 'listed_on', listed_on::text,"
        "   'listed_reason', listed_reason, 'removed_on', coalesce (removed_on::text, ''),"
        "   'removed_reason', coalesce (removed_reason, ''), 'facts', facts)"
        "   ORDER BY removed_on IS NOT NULL, listed_on DESC, id DESC)"
        "   FROM listings WHERE uscc = $1), '[]'))::text", 1, params);
}

//  ---------------------------------------------------------------------
//  Dispatch

void
credit_handle (void *state, const Npo__Request *request, Npo__Reply *reply)
{
    credit_t *self = state;
    self->target [0] = 0;
    if (npo_actor_accept (request->actor, &self->actor, reply))
    switch (request->body_case) {
        case NPO__REQUEST__BODY_RECORD_PENALTY:
            if (request->record_penalty->penalty && *request->record_penalty->penalty->kind)
                npo_reply_error (reply, BAD, "invalid_field",
                                 "kind: fundraising penalties are recorded as such");
            else
            if (request->record_penalty->penalty)
                s_record_penalty (self, request, request->record_penalty->penalty, reply);
            else
                npo_reply_error (reply, BAD, "missing_field", "penalty: required");
            break;
        case NPO__REQUEST__BODY_RECORD_FUNDRAISING_PENALTY:
            s_record_fundraising (self, request, reply);
            break;
        case NPO__REQUEST__BODY_RECORD_CASE:
            credit_record_case (self, request, reply);
            break;
        case NPO__REQUEST__BODY_ADD_LISTING:
            credit_add_listing (self, request, reply);
            break;
        case NPO__REQUEST__BODY_REMOVE_LISTING:
            credit_remove_listing (self, request, reply);
            break;
        case NPO__REQUEST__BODY_CREDIT_SWEEP:
            credit_sweep (self, request, reply);
            break;
        case NPO__REQUEST__BODY_GET_CREDIT_RECORD:
            s_get_record (self, request, reply);
            break;
        case NPO__REQUEST__BODY_LIST_FINDINGS:
            npo_findings_answer (self->db, &self->actor, self->target, sizeof self->target,
                                 request, reply);
            break;
        case NPO__REQUEST__BODY_IMPORT_RECORDS:
            credit_import_records (self, request, reply);
            break;
        default:
            npo_reply_error (reply, BAD, "unknown_command", "credit does not handle this command");
    }
    npo_audit_write (self->db, request, reply, &self->actor, self->target);
}

void
credit_tick (void *state)
{
    credit_t *self = state;
    if (!self->daily_sweep)
        return;
    Npo__CreditSweep sweep = NPO__CREDIT_SWEEP__INIT;
    Npo__Request request = NPO__REQUEST__INIT;
    request.request_id = "credit-sweep";
    request.actor = "ministry:credit-daily-sweep";
    request.body_case = NPO__REQUEST__BODY_CREDIT_SWEEP;
    request.credit_sweep = &sweep;
    npo_run_daily (credit_handle, self, &request, self->swept_on);
}
