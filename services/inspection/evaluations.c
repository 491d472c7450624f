/*  evaluations.c - evaluation grades (等级评估, section 10) with their
 *  eligibility rules, and audits (审计, section 8)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "inspection.h"
#include "log.h"

#define BAD         NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT    NPO__STATUS__STATUS_CONFLICT

const char *const insp_grades [5] = { "1A", "2A", "3A", "4A", "5A" };
const char *const insp_categories [6] = {
    "", "trade_association", "academic", "professional", "federation", "other"
};
const char *const insp_audit_reasons [5] = {
    "annual", "leaving_office", "deregistration", "special", "other"
};

//  The grounds on which an organization may not be evaluated (DOMAIN.md),
//  checked in one query as of the evaluation's date: each column is the fact
//  that refuses, or NULL.
static const char *s_eligibility_sql =
    "SELECT"
    " CASE WHEN o.approved_on > $2::date - interval '2 years' THEN o.approved_on::text END,"
    " (SELECT year::text FROM reports WHERE uscc = $1 AND year = $3::int - 1"
    "   AND result = 'unqualified'),"
    " (SELECT string_agg (year::text, ' and ' ORDER BY year) FROM reports WHERE uscc = $1"
    "   AND year IN ($3::int - 1, $3::int - 2) AND result = 'basically_qualified'"
    "   HAVING count (*) = 2),"
    " (SELECT string_agg (decision_number || ' of ' || decided_on, ', ' ORDER BY decided_on)"
    "   FROM penalties WHERE uscc = $1 AND decided_on >= make_date ($3::int - 1, 1, 1)"
    "   AND decided_on <= $2::date),"
    " (SELECT string_agg (DISTINCT list, ' and ' ORDER BY list) FROM listings WHERE uscc = $1"
    "   AND open),"
    " (SELECT string_agg (case_number, ', ' ORDER BY case_number) FROM cases WHERE uscc = $1"
    "   AND stage <> 'closed')"
    " FROM orgs o WHERE o.uscc = $1";

static const struct {
    const char *code;
    const char *message;        //  %s: the fact
} s_grounds [] = {
    { "registered_under_two_years",
      "not eligible: registered on %s, less than 2 years before the evaluation" },
    { "unqualified_last_year",
      "not eligible: last year's (%s) annual inspection was unqualified" },
    { "basically_qualified_twice",
      "not eligible: basically qualified two years running (%s)" },
    { "penalized_last_year",
      "not eligible: administrative penalty last year or since (%s)" },
    { "on_credit_list",
      "not eligible: on the %s credit list" },
    { "under_investigation",
      "not eligible: under investigation (case %s)" },
};

//  The grounds the service knows only as they are now, not as of a date
#define S_NOW_GROUNDS   2

int
insp_eligibility (insp_t *self, const char *uscc, const char *on, bool now, const char **code,
                  char *why, size_t size)
{
    char year [8];
    snprintf (year, sizeof year, "%.4s", on);
    const char *params [3] = { uscc, on, year };
    PGresult *res = npo_db_exec (self->db, s_eligibility_sql, 3, params);
    if (!res)
        return -1;
    int n = (int) (sizeof s_grounds / sizeof s_grounds [0]) - (now? 0: S_NOW_GROUNDS);
    int found = 0;
    for (int i = 0; i < n && !found; i++)
        if (PQntuples (res) && !PQgetisnull (res, 0, i)) {
            *code = s_grounds [i].code;
            int len = snprintf (why, size, s_grounds [i].message, PQgetvalue (res, 0, i));
            //  A long list of facts is cut before its last character, which
            //  may be cut in two
            size_t end = size - 1;
            while (len >= (int) size && end > 0 && (why [--end] & 0xC0) == 0x80)
                ;
            if (len >= (int) size)
                why [end] = 0;
            found = 1;
        }
    PQclear (res);
    return found;
}

//  Refuses (conflict) when a ground applies. Returns 0, or -1 with reply set.
static int
s_check_eligible (insp_t *self, const char *uscc, const char *on, Npo__Reply *reply)
{
    const char *code;
    char why [1024];
    int rc = insp_eligibility (self, uscc, on, true, &code, why, sizeof why);
    if (rc < 0)
        npo_reply_db_failed (self->db, reply);
    else
    if (rc > 0)
        npo_reply_error (reply, CONFLICT, code, "%s", why);
    return rc? -1: 0;
}

static Npo__Evaluation *
s_evaluation_from (PGresult *res, int row)
{
    Npo__Evaluation *e = malloc (sizeof *e);
    if (!e)
        abort ();
    npo__evaluation__init (e);
    char **texts [12] = { &e->uscc, &e->name, &e->type, &e->social_group_category, NULL,
                          &e->registration_authority, &e->business_unit, &e->evaluator,
                          &e->grade, &e->valid_from, &e->valid_to, &e->state };
    for (int i = 0; i < 12; i++)
        if (texts [i])
            *texts [i] = npo_strdup (PQgetvalue (res, row, i + 1));
    e->is_charity = *PQgetvalue (res, row, 5) == 't';
    return e;
}

int
insp_evaluation_event (insp_t *self, PGresult *res, int row, const char *type,
                       const char *division, const char *actor)
{
    Npo__EvaluationRecorded event = NPO__EVALUATION_RECORDED__INIT;
    event.evaluation = s_evaluation_from (res, row);
    event.evaluation_id = strtoull (PQgetvalue (res, row, 0), NULL, 10);
    bool ok = npo_outbox_append (self->outbox, type, event.evaluation->uscc, division, actor,
                                 &event.base) != 0;
    npo__evaluation__free_unpacked (event.evaluation, NULL);
    return ok? 0: -1;
}

static void
s_reply_evaluation (Npo__Reply *reply, PGresult *res)
{
    Npo__EvaluationReply *body = malloc (sizeof *body);
    if (!body)
        abort ();
    npo__evaluation_reply__init (body);
    body->evaluation_id = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    body->evaluation = s_evaluation_from (res, 0);
    reply->body_case = NPO__REPLY__BODY_EVALUATION;
    reply->evaluation = body;
}

void
insp_record_evaluation (insp_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__Evaluation *e = request->record_evaluation->evaluation;
    if (!e) {
        npo_reply_error (reply, BAD, "missing_field", "evaluation: required");
        return;
    }
    if (!npo_uscc_ok (e->uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", e->uscc);
    if (!NPO_STR_IN (e->grade, insp_grades)) {
        npo_reply_error (reply, BAD, "invalid_grade", "grade: 1A, 2A, 3A, 4A or 5A");
        return;
    }
    size_t chars;
    if (!npo_utf8_valid (e->evaluator, false, &chars) || chars == 0 || chars > 200) {
        npo_reply_error (reply, BAD, chars == 0? "missing_field": "invalid_field",
                         "evaluator: required, text of at most 200 characters");
        return;
    }
    if (!NPO_STR_IN (e->social_group_category, insp_categories)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "social_group_category: trade_association, academic, professional,"
                         " federation or other");
        return;
    }
    char today [11];
    const char *valid_from = npo_date_or_today (e->valid_from, today);
    if (!npo_date_valid (valid_from)) {
        npo_reply_error (reply, BAD, "invalid_date", "valid_from: a date YYYY-MM-DD up to today");
        return;
    }
    insp_org_t org;
    if (insp_org_load (self, e->uscc, &org, reply)
    ||  !npo_actor_may_write (&self->actor, org.division, reply))
        return;
    if (strcmp (org.status, "active") != 0) {
        npo_reply_error (reply, CONFLICT, "org_not_active", "the organization is %s", org.status);
        return;
    }
    if (*e->social_group_category && strcmp (org.type, "social_group") != 0) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "social_group_category: for social groups only (this is %s)", org.type);
        return;
    }
    const char *params [7] = { e->uscc, e->grade, e->evaluator, valid_from,
                               *e->social_group_category? e->social_group_category: NULL,
                               e->is_charity? "t": "f", request->actor };
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    //  The same evaluation again (a retry) answers the record
    PGresult *res = npo_db_exec (self->db,
        "SELECT " INSP_EVALUATION_COLUMNS " FROM evaluations WHERE uscc = $1 AND grade = $2"
        " AND evaluator = $3 AND valid_from = $4 AND state = 'valid' FOR UPDATE", 4, params);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    if (PQntuples (res) == 1) {
        npo_db_rollback (self->db);
        s_reply_evaluation (reply, res);
        PQclear (res);
        return;
    }
    PQclear (res);
    if (s_check_eligible (self, e->uscc, valid_from, reply)) {
        npo_db_rollback (self->db);
        return;
    }
    //  The new grade replaces the one in force
    bool superseded = npo_db_cmd (self->db, "UPDATE evaluations SET state = 'superseded'"
                                  " WHERE uscc = $1 AND state = 'valid'", 1, params) == 0;
    res = superseded? npo_db_exec (self->db,
        "INSERT INTO evaluations (uscc, name, type, social_group_category, is_charity,"
        "   registration_authority, business_unit, evaluator, grade, valid_from, valid_to,"
        "   state, recorded_by)"
        " SELECT $1, o.name, o.type, $5, $6, o.registration_authority, o.business_unit, $3, $2,"
        "   $4, ($4::date + interval '5 years' - interval '1 day')::date, 'valid', $7"
        " FROM orgs o WHERE o.uscc = $1"
        " RETURNING " INSP_EVALUATION_COLUMNS, 7, params): NULL;
    if (!res || PQntuples (res) != 1) {
        PQclear (res);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    if (insp_evaluation_event (self, res, 0, "inspection.evaluation_recorded", org.division,
                               request->actor)
    ||  npo_db_commit (self->db)) {
        PQclear (res);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    s_reply_evaluation (reply, res);
    PQclear (res);
    log_info ("evaluation %s of %s recorded, valid from %s", e->grade, e->uscc, valid_from);
}

int
insp_expire_grades (insp_t *self, const char *as_of, const char *actor, uint64_t *expired)
{
    const char *params [1] = { as_of };
    if (npo_db_begin (self->db))
        return -1;
    PGresult *res = npo_db_exec (self->db,
        "UPDATE evaluations e SET state = 'expired' FROM orgs o WHERE o.uscc = e.uscc"
        " AND e.state = 'valid' AND e.valid_to < $1::date"
        " RETURNING e.id, e.uscc, e.name, e.type, coalesce (e.social_group_category, ''),"
        " e.is_charity, e.registration_authority, e.business_unit, e.evaluator, e.grade,"
        " e.valid_from::text, e.valid_to::text, e.state, o.authority_division", 1, params);
    int rc = res? 0: -1;
    for (int i = 0; res && i < PQntuples (res) && rc == 0; i++)
        rc = insp_evaluation_event (self, res, i, "inspection.evaluation_expired",
                                    PQgetvalue (res, i, 13), actor);
    if (rc == 0)
        *expired = (uint64_t) PQntuples (res);
    PQclear (res);
    if (rc || npo_db_commit (self->db))
        return -1;
    return 0;
}

//  ---------------------------------------------------------------------
//  Audits

Npo__Audit *
insp_audit_from (PGresult *res)
{
    Npo__Audit *a = malloc (sizeof *a);
    if (!a)
        abort ();
    npo__audit__init (a);
    a->audit_id = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    char **texts [10] = { &a->uscc, &a->name, &a->reason_category, &a->firm, &a->accountant,
                          &a->occurred_on, &a->content, &a->result, &a->status, &a->due_since };
    for (int i = 0; i < 10; i++)
        *texts [i] = npo_strdup (PQgetvalue (res, 0, i + 1));
    return a;
}

PGresult *
insp_audit_write (insp_t *self, const char *const params [8])
{
    //  An audit that is due is done by this one (the oldest first), unless
    //  it was made due after the audit took place: a report dated before a
    //  change of legal representative is not that change's audit
    return npo_db_exec (self->db,
        "WITH due AS (SELECT id FROM org_audits WHERE uscc = $1 AND reason_category = $2"
        "   AND status = 'due' AND (due_since IS NULL OR due_since <= $5::date)"
        "   ORDER BY due_since, id LIMIT 1 FOR UPDATE),"
        " done AS (UPDATE org_audits SET status = 'done', firm = nullif ($3::text, ''),"
        "   accountant = nullif ($4::text, ''), occurred_on = $5::date,"
        "   content = nullif ($6::text, ''), result = nullif ($7::text, ''),"
        "   recorded_by = $8::text, recorded_at = now ()"
        "   WHERE id IN (SELECT id FROM due) RETURNING *),"
        " ins AS (INSERT INTO org_audits"
        " (uscc, name, reason_category, status, firm, accountant,"
        "   occurred_on, content, result, recorded_by, recorded_at)"
        "   SELECT $1, o.name, $2, 'done', nullif ($3::text, ''), nullif ($4::text, ''), $5,"
        "   nullif ($6::text, ''), nullif ($7::text, ''), $8, now () FROM orgs o"
        "   WHERE o.uscc = $1 AND NOT EXISTS (SELECT 1 FROM due) RETURNING *)"
        " SELECT " INSP_AUDIT_COLUMNS ", true FROM done"
        " UNION ALL SELECT " INSP_AUDIT_COLUMNS ", true FROM ins", 8, params);
}

int
insp_audit_event (insp_t *self, const Npo__Audit *audit, const char *division,
                  const char *actor)
{
    //  The event leaves the accountant (a person) out
    Npo__Audit shown = *audit;
    shown.accountant = "";
    Npo__AuditEvent event = NPO__AUDIT_EVENT__INIT;
    event.audit = &shown;
    return npo_outbox_append (self->outbox, "inspection.audit_recorded", audit->uscc, division,
                              actor, &event.base)? 0: -1;
}

void
insp_record_audit (insp_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__Audit *a = request->record_audit->audit;
    if (!a) {
        npo_reply_error (reply, BAD, "missing_field", "audit: required");
        return;
    }
    if (!npo_uscc_ok (a->uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", a->uscc);
    if (!NPO_STR_IN (a->reason_category, insp_audit_reasons)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "reason_category: annual, leaving_office, deregistration, special"
                         " or other");
        return;
    }
    const npo_text_t texts [] = {
        { "firm", a->firm, 200, true },
        { "accountant", a->accountant, 100, false },
        { "content", a->content, 4000, true },
        { "result", a->result, 2000, true },
    };
    if (npo_check_texts (texts, sizeof texts / sizeof texts [0], reply))
        return;
    if (!npo_date_valid (a->occurred_on)) {
        npo_reply_error (reply, BAD, *a->occurred_on? "invalid_date": "missing_field",
                         "occurred_on: required, a date YYYY-MM-DD up to today");
        return;
    }
    insp_org_t org;
    if (insp_org_load (self, a->uscc, &org, reply)
    ||  !npo_actor_may_write (&self->actor, org.division, reply))
        return;
    const char *params [8] = { a->uscc, a->reason_category, a->firm,
                               *a->accountant? a->accountant: NULL, a->occurred_on, a->content,
                               a->result, request->actor };
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    //  A retry answers the first record; otherwise it is recorded
    PGresult *res = npo_db_exec (self->db,
        "SELECT " INSP_AUDIT_COLUMNS ", false FROM org_audits WHERE uscc = $1"
        " AND reason_category = $2 AND status = 'done' AND firm = $3"
        " AND accountant IS NOT DISTINCT FROM $4::text AND occurred_on = $5 AND content = $6"
        " AND result = $7", 7, params);
    if (res && PQntuples (res) == 0) {
        PQclear (res);
        res = insp_audit_write (self, params);
    }
    if (!res || PQntuples (res) != 1) {
        PQclear (res);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    Npo__AuditReply *body = malloc (sizeof *body);
    if (!body)
        abort ();
    npo__audit_reply__init (body);
    body->audit = insp_audit_from (res);
    bool fresh = *PQgetvalue (res, 0, 11) == 't';
    PQclear (res);
    if ((fresh && insp_audit_event (self, body->audit, org.division, request->actor))
    ||  npo_db_commit (self->db)) {
        npo__audit_reply__free_unpacked (body, NULL);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    reply->body_case = NPO__REPLY__BODY_AUDIT;
    reply->audit = body;
    if (fresh)
        log_info ("audit (%s) of %s recorded", a->reason_category, a->uscc);
}
