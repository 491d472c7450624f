/*  cases.c - case filings (立案调查, section 12) and fundraising penalties on
 *  persons (section 13)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "credit.h"
#include "log.h"

#define BAD         NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT    NPO__STATUS__STATUS_CONFLICT

static const char *s_stages [] = { "filed", "investigating", "closed" };

//  Case columns in CaseFiling order, after the id
#define CASE_COLUMNS \
    "id, uscc, name, case_number, filed_on::text, stage, authority_code, authority," \
    " authority_division, coalesce (closed_on::text, '')"

static Npo__CaseFiling *
s_case_from (PGresult *res)
{
    Npo__CaseFiling *c = malloc (sizeof *c);
    if (!c)
        abort ();
    npo__case_filing__init (c);
    char **texts [9] = { &c->uscc, &c->name, &c->case_number, &c->filed_on, &c->stage,
                         &c->authority_code, &c->authority, &c->authority_division,
                         &c->closed_on };
    for (int i = 0; i < 9; i++)
        *texts [i] = npo_strdup (PQgetvalue (res, 0, i + 1));
    return c;
}

//  A reply with the case in res (CASE_COLUMNS, one row); the caller frees it.
static Npo__CaseReply *
s_case_reply (PGresult *res)
{
    Npo__CaseReply *body = malloc (sizeof *body);
    if (!body)
        abort ();
    npo__case_reply__init (body);
    body->case_id = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    body->filing = s_case_from (res);
    return body;
}

void
credit_record_case (credit_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__CaseFiling *c = request->record_case->filing;
    if (!c) {
        npo_reply_error (reply, BAD, "missing_field", "filing: required");
        return;
    }
    if (!npo_uscc_ok (c->uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", c->uscc);
    const npo_text_t texts [] = {
        { "case_number", c->case_number, 100, true },
        { "authority", c->authority, 200, true },
        { "authority_code", c->authority_code, 18, true },
    };
    if (npo_check_texts (texts, sizeof texts / sizeof texts [0], reply))
        return;
    if (!NPO_STR_IN (c->stage, s_stages)) {
        npo_reply_error (reply, BAD, "invalid_field", "stage: filed, investigating or closed");
        return;
    }
    if (!division_valid (c->authority_division)) {
        npo_reply_error (reply, BAD, "invalid_division",
                         "authority_division: not a division code (GB/T 2260)");
        return;
    }
    if (!npo_date_valid (c->filed_on)) {
        npo_reply_error (reply, BAD, *c->filed_on? "invalid_date": "missing_field",
                         "filed_on: required, a date YYYY-MM-DD up to today");
        return;
    }
    bool closed = strcmp (c->stage, "closed") == 0;
    if (closed != (*c->closed_on != 0)
    ||  (closed && (!npo_date_valid (c->closed_on) || strcmp (c->closed_on, c->filed_on) < 0))) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "closed_on: with stage closed only, a date from filed_on up to today");
        return;
    }
    char name [800], division [8];
    if (credit_org (self, c->uscc, name, sizeof name, division, reply)
    ||  !npo_actor_may_write (&self->actor, division, reply))
        return;
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    //  One row per case number, for one organization; a closed case stays closed
    const char *key [7] = { c->case_number, c->filed_on, c->stage, c->authority_code,
                            c->authority, c->authority_division,
                            closed? c->closed_on: NULL };
    PGresult *res = npo_db_exec (self->db,
        "SELECT uscc, stage, (filed_on, stage, authority_code, authority, authority_division,"
        "  closed_on) IS NOT DISTINCT FROM ($2::date, $3::text, $4::text, $5::text, $6::text,"
        "  $7::date)"
        " FROM cases WHERE case_number = $1 FOR UPDATE", 7, key);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    bool exists = PQntuples (res) == 1;
    const char *refusal = NULL;
    if (exists && strcmp (PQgetvalue (res, 0, 0), c->uscc) != 0)
        refusal = "case_number: already names a case of another organization";
    else
    if (exists && strcmp (PQgetvalue (res, 0, 1), "closed") == 0
    &&  *PQgetvalue (res, 0, 2) != 't')
        refusal = "the case is closed";
    bool same = exists && *PQgetvalue (res, 0, 2) == 't';
    PQclear (res);
    if (refusal) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, CONFLICT, "case_conflict", "%s", refusal);
        return;
    }
    Npo__CaseReply *body = NULL;
    if (same) {
        //  A retry: the case as it is, no event
        res = npo_db_exec (self->db, "SELECT " CASE_COLUMNS " FROM cases"
                           " WHERE case_number = $1", 1, key);
        if (res && PQntuples (res) == 1)
            body = s_case_reply (res);
        PQclear (res);
    }
    else
        credit_case_write (self, c, name, division, exists, request->actor, &body);
    if (!body || npo_db_commit (self->db)) {
        if (body)
            npo__case_reply__free_unpacked (body, NULL);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    reply->body_case = NPO__REPLY__BODY_CASE_FILING;
    reply->case_filing = body;
}

int
credit_case_write (credit_t *self, const Npo__CaseFiling *c, const char *name,
                   const char *division, bool exists, const char *actor, Npo__CaseReply **out)
{
    bool closed = strcmp (c->stage, "closed") == 0;
    const char *params [10] = { c->uscc, name, c->case_number, c->filed_on, c->stage,
                                c->authority_code, c->authority, c->authority_division,
                                closed? c->closed_on: NULL, actor };
    PGresult *res = npo_db_exec (self->db,
        "INSERT INTO cases (uscc, name, case_number, filed_on, stage, authority_code, authority,"
        "  authority_division, closed_on, recorded_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (case_number) DO UPDATE SET filed_on = EXCLUDED.filed_on,"
        "  stage = EXCLUDED.stage, authority_code = EXCLUDED.authority_code,"
        "  authority = EXCLUDED.authority, authority_division = EXCLUDED.authority_division,"
        "  closed_on = EXCLUDED.closed_on, recorded_by = EXCLUDED.recorded_by,"
        "  updated_at = now ()"
        " RETURNING " CASE_COLUMNS, 10, params);
    if (!res || PQntuples (res) != 1) {
        PQclear (res);
        return -1;
    }
    Npo__CaseReply *body = s_case_reply (res);
    PQclear (res);
    Npo__CaseEvent event = NPO__CASE_EVENT__INIT;
    event.filing = body->filing;
    event.case_id = body->case_id;
    int rc = npo_outbox_append (self->outbox, exists? "credit.case_updated": "credit.case_filed",
                                c->uscc, division, actor, &event.base)? 0: -1;
    if (rc == 0)
        log_info ("case %llu of %s: %s", (unsigned long long) body->case_id, c->uscc, c->stage);
    if (rc == 0 && out)
        *out = body;
    else
        npo__case_reply__free_unpacked (body, NULL);
    return rc;
}

//  ---------------------------------------------------------------------
//  Fundraising penalties on persons: stored, never published


int
credit_person_penalty_valid (const Npo__FundraisingPenalty *f, bool complete, Npo__Reply *reply)
{
    const npo_text_t texts [] = {
        { "party_name", f->party_name, 100, complete },
        { "contact", f->contact, 200, false },
        { "penalty_name", f->penalty_name, 200, complete },
        { "decision_number", f->decision_number, 100, true },
        { "facts", f->facts, 4000, complete },
        { "legal_basis", f->legal_basis, 2000, complete },
        { "authority", f->authority, 200, complete },
    };
    if (npo_check_texts (texts, sizeof texts / sizeof texts [0], reply))
        return -1;
    if (*f->party_uscc) {
        npo_reply_error (reply, BAD, "invalid_field", "party_uscc: for an organization only");
        return -1;
    }
    if (npo_identity_check (f->id_type, f->id_number, NULL, reply))
        return -1;
    if (!NPO_STR_IN (f->result, ((const char *[]) { "warning", "fine", "confiscation", "other" }))
    ||  (strcmp (f->result, "fine") == 0) != (*f->fine_amount != 0)
    ||  (*f->fine_amount && !npo_amount_valid (f->fine_amount)) || f->stop_months) {
        npo_reply_error (reply, BAD, "invalid_result",
                         "result: warning, fine (with fine_amount), confiscation or other");
        return -1;
    }
    if (!npo_date_valid (f->decided_on)) {
        npo_reply_error (reply, BAD, "invalid_date", "decided_on: a date YYYY-MM-DD up to today");
        return -1;
    }
    return 0;
}

int
credit_person_penalty_insert (credit_t *self, const Npo__FundraisingPenalty *f,
                              const char *actor, uint64_t *id, bool *fresh)
{
    const char *params [13] = { f->party_name, f->id_type, f->id_number,
                                *f->contact? f->contact: NULL, f->penalty_name,
                                f->decision_number, f->facts, f->legal_basis, f->result,
                                *f->fine_amount? f->fine_amount: NULL, f->authority,
                                f->decided_on, actor };
    PGresult *res = npo_db_exec (self->db,
        "WITH ins AS (INSERT INTO person_penalties (party_name, id_type, id_number, contact,"
        "  penalty_name, decision_number, facts, legal_basis, result, fine_amount, authority,"
        "  decided_on, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
        "  $13) ON CONFLICT (decision_number) DO NOTHING RETURNING id, true AS new)"
        " SELECT id, new FROM ins UNION ALL SELECT id, false FROM person_penalties"
        " WHERE decision_number = $6 AND id_number = $3 AND NOT EXISTS (SELECT 1 FROM ins)",
        13, params);
    int rc = credit_penalty_row (res, id, fresh);
    if (rc || !*fresh)
        return rc;
    Npo__PersonPenaltyRecorded event = NPO__PERSON_PENALTY_RECORDED__INIT;
    event.penalty_id = *id;
    event.decision_number = f->decision_number;
    event.result = f->result;
    event.authority = f->authority;
    event.decided_on = f->decided_on;
    if (!npo_outbox_append (self->outbox, "credit.person_penalty_recorded", "", "", actor,
                            &event.base))
        return -1;
    log_info ("recorded fundraising penalty %llu on a person", (unsigned long long) *id);
    return 0;
}

void
credit_record_person_penalty (credit_t *self, const Npo__Request *request,
                              const Npo__FundraisingPenalty *f, Npo__Reply *reply)
{
    snprintf (self->target, sizeof self->target, "person");   //  never the identity
    if (strcmp (self->actor.role, "ministry") != 0 && strcmp (self->actor.role, "registrar") != 0) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "forbidden",
                         "only the ministry and registrars record penalties");
        return;
    }
    if (credit_person_penalty_valid (f, true, reply))
        return;
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    uint64_t id;
    bool fresh;
    int rc = credit_person_penalty_insert (self, f, request->actor, &id, &fresh);
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
    Npo__PenaltyReply *body = malloc (sizeof *body);
    if (!body)
        abort ();
    npo__penalty_reply__init (body);
    body->penalty_id = id;
    body->decision_number = npo_strdup (f->decision_number);
    reply->body_case = NPO__REPLY__BODY_PENALTY;
    reply->penalty = body;
}
