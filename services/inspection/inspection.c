/*  inspection.c - npo-inspection: dispatch, reading, shared helpers, and the
 *  consumers of the registry and credit streams
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "inspection.h"
#include "quality.h"
#include "log.h"
#include "orgevent.h"

#define BAD     NPO__STATUS__STATUS_BAD_REQUEST

//  ---------------------------------------------------------------------
//  Helpers

int
insp_org_load (insp_t *self, const char *uscc, insp_org_t *org, Npo__Reply *reply)
{
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT uscc, name, type, status, authority_division, approved_on::text"
        " FROM orgs WHERE uscc = $1", 1, params);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return -1;
    }
    if (PQntuples (res) == 0) {
        PQclear (res);
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "org_unknown",
                         "the inspection service knows no organization %s (yet)", uscc);
        return -1;
    }
    char *fields [6] = { org->uscc, org->name, org->type, org->status, org->division,
                         org->approved_on };
    size_t sizes [6] = { sizeof org->uscc, sizeof org->name, sizeof org->type,
                         sizeof org->status, sizeof org->division, sizeof org->approved_on };
    for (int i = 0; i < 6; i++)
        snprintf (fields [i], sizes [i], "%s", PQgetvalue (res, 0, i));
    PQclear (res);
    return 0;
}

//  Walks msg's string fields (and repeated strings), recursing into
//  sub-messages; path names the field in the refusal.
static int
s_check_texts (const ProtobufCMessage *msg, size_t max, const char *path, Npo__Reply *reply)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        const char *base = (const char *) msg + f->offset;
        char name [160];
        snprintf (name, sizeof name, "%s%s%s", path, *path? ".": "", f->name);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED) {
            const ProtobufCMessage *sub = *(ProtobufCMessage *const *) base;
            if (sub && s_check_texts (sub, max, name, reply))
                return -1;
            continue;
        }
        if (f->type != PROTOBUF_C_TYPE_STRING)
            continue;
        size_t n = 1;
        char *const *values = (char *const *) base;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *) ((const char *) msg + f->quantifier_offset);
            values = *(char **const *) base;
            if (n > 100) {
                npo_reply_error (reply, BAD, "invalid_field", "%s: at most 100 entries", name);
                return -1;
            }
        }
        for (size_t k = 0; k < n; k++) {
            size_t chars;
            if (!npo_utf8_valid (values [k], true, &chars) || chars > max) {
                npo_reply_error (reply, BAD, "invalid_field",
                                 "%s: text of at most %zu characters", name, max);
                return -1;
            }
        }
    }
    return 0;
}

int
insp_check_texts (const ProtobufCMessage *msg, size_t max, Npo__Reply *reply)
{
    return s_check_texts (msg, max, "", reply);
}

//  ---------------------------------------------------------------------
//  Reading

//  A registrar reads its own division's organizations; the ministry and
//  auditors read every one.
static bool
s_may_read (const npo_actor_t *actor, const char *division, Npo__Reply *reply)
{
    if (strcmp (actor->role, "auditor") == 0)
        return true;
    return npo_actor_may_write (actor, division, reply);
}

static void
s_get_record (insp_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const char *uscc = request->get_inspection_record->uscc;
    if (!npo_uscc_ok (uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", uscc);
    insp_org_t org;
    if (insp_org_load (self, uscc, &org, reply) || !s_may_read (&self->actor, org.division, reply))
        return;
    //  Every row as JSON in the message's field names, then one JSON to message
    const char *params [1] = { uscc };
    npo_reply_query_json (self->db, reply, NPO__REPLY__BODY_INSPECTION_RECORD,
        "SELECT json_build_object ('uscc', $1::text,"
        " 'name', (SELECT name FROM orgs WHERE uscc = $1),"
        " 'reports', coalesce ((SELECT json_agg (json_build_object ("
        "   'report_id', id, 'uscc', uscc, 'year', year, 'kind', kind, 'status', status,"
        "   'result', coalesce (result, ''), 'submitted_on', coalesce (submitted_on::text, ''),"
        "   'late', late, 'rectification', coalesce (rectification, ''),"
        "   'rectification_deadline', coalesce (rectification_deadline::text, ''),"
        "   'reviewed_on', coalesce (reviewed_on::text, ''),"
        " 'reviewed_by', coalesce (reviewed_by, ''),"
        "   'detail', coalesce (detail, '{}')) ORDER BY year DESC)"
        "   FROM reports WHERE uscc = $1), '[]'),"
        " 'evaluations', coalesce ((SELECT json_agg (json_build_object ("
        "   'uscc', uscc, 'name', name, 'type', type,"
        "   'social_group_category', coalesce (social_group_category, ''),"
        "   'is_charity', is_charity, 'registration_authority', registration_authority,"
        "   'business_unit', business_unit, 'evaluator', evaluator, 'grade', grade,"
        "   'valid_from', valid_from::text, 'valid_to', valid_to::text, 'state', state)"
        "   ORDER BY valid_from DESC, id DESC) FROM evaluations WHERE uscc = $1), '[]'),"
        " 'audits', coalesce ((SELECT json_agg (json_build_object ("
        "   'audit_id', id, 'uscc', uscc, 'name', name, 'reason_category', reason_category,"
        "   'status', status, 'due_since', coalesce (due_since::text, ''),"
        "   'firm', coalesce (firm, ''), 'accountant', coalesce (accountant, ''),"
        "   'occurred_on', coalesce (occurred_on::text, ''), 'content', coalesce (content, ''),"
        "   'result', coalesce (result, ''))"
        "   ORDER BY status = 'done', occurred_on DESC NULLS FIRST, id DESC)"
        "   FROM org_audits WHERE uscc = $1), '[]'))::text", 1, params);
}

//  ---------------------------------------------------------------------
//  Dispatch

void
insp_handle (void *state, const Npo__Request *request, Npo__Reply *reply)
{
    insp_t *self = state;
    self->target [0] = 0;
    if (npo_actor_accept (request->actor, &self->actor, reply))
    switch (request->body_case) {
        case NPO__REQUEST__BODY_SUBMIT_REPORT:
            insp_submit_report (self, request, reply);
            break;
        case NPO__REQUEST__BODY_REVIEW_REPORT:
            insp_review_report (self, request, reply);
            break;
        case NPO__REQUEST__BODY_SWEEP:
            insp_sweep (self, request, reply);
            break;
        case NPO__REQUEST__BODY_RECORD_EVALUATION:
            insp_record_evaluation (self, request, reply);
            break;
        case NPO__REQUEST__BODY_RECORD_AUDIT:
            insp_record_audit (self, request, reply);
            break;
        case NPO__REQUEST__BODY_GET_INSPECTION_RECORD:
            s_get_record (self, request, reply);
            break;
        case NPO__REQUEST__BODY_LIST_FINDINGS:
            npo_findings_answer (self->db, &self->actor, self->target, sizeof self->target,
                                 request, reply);
            break;
        case NPO__REQUEST__BODY_IMPORT_RECORDS:
            insp_import_records (self, request, reply);
            break;
        default:
            npo_reply_error (reply, BAD, "unknown_command",
                             "inspection does not handle this command");
    }
    npo_audit_write (self->db, request, reply, &self->actor, self->target);
}

void
insp_tick (void *state)
{
    insp_t *self = state;
    if (!self->daily_sweep)
        return;
    Npo__Sweep sweep = NPO__SWEEP__INIT;
    Npo__Request request = NPO__REQUEST__INIT;
    request.request_id = "deadline-sweep";
    request.actor = "ministry:inspection-daily-sweep";
    request.body_case = NPO__REQUEST__BODY_SWEEP;
    request.sweep = &sweep;
    npo_run_daily (insp_handle, self, &request, self->swept_on);
}

//  ---------------------------------------------------------------------
//  The registry stream: organizations; audits made due by their changes

//  Records an audit that an event made due (离任审计 on a change of legal
//  representative, the deregistration audit), once per event.
static int
s_audit_due (insp_t *self, const Npo__Envelope *event, const Npo__Organization *org,
             const char *category, const char *since)
{
    const char *params [5] = { org->uscc, org->basic->name, category, since, event->event_id };
    PGresult *res = npo_db_exec (self->db,
        "INSERT INTO org_audits (uscc, name, reason_category, status, due_since, source_event)"
        " VALUES ($1, $2, $3, 'due', $4, $5) ON CONFLICT (source_event) DO NOTHING"
        " RETURNING id", 5, params);
    if (!res)
        return -1;
    uint64_t id = PQntuples (res)? strtoull (PQgetvalue (res, 0, 0), NULL, 10): 0;
    PQclear (res);
    if (!id)
        return 0;
    Npo__Audit audit = NPO__AUDIT__INIT;
    audit.uscc = org->uscc;
    audit.name = org->basic->name;
    audit.reason_category = (char *) category;
    audit.status = "due";
    audit.due_since = (char *) since;
    audit.audit_id = id;
    Npo__AuditEvent body = NPO__AUDIT_EVENT__INIT;
    body.audit = &audit;
    return npo_outbox_append (self->outbox, "inspection.audit_due", org->uscc,
                              org->basic->authority_division, event->actor, &body.base)? 0: -1;
}

int
insp_apply_registry (void *state, const Npo__Envelope *event)
{
    insp_t *self = state;
    const Npo__Organization *org;
    ProtobufCMessage *msg = npo_org_event_unpack (event, &org);
    if (!msg)
        return 0;
    const Npo__BasicInfo *b = org->basic;
    char version [24];
    snprintf (version, sizeof version, "%llu", (unsigned long long) org->version);
    const char *params [9] = { org->uscc, b->name, b->type, org->status, b->authority_division,
                               b->registration_authority, b->business_unit, org->approved_on,
                               version };
    int rc = npo_db_cmd (self->db,
        "INSERT INTO orgs (uscc, name, type, status, authority_division, registration_authority,"
        "  business_unit, approved_on, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type,"
        "  status = EXCLUDED.status, authority_division = EXCLUDED.authority_division,"
        "  registration_authority = EXCLUDED.registration_authority,"
        "  business_unit = EXCLUDED.business_unit, approved_on = EXCLUDED.approved_on,"
        "  version = EXCLUDED.version WHERE orgs.version < EXCLUDED.version", 9, params);
    if (rc == 0 && strcmp (event->type, "registry.org_changed") == 0) {
        const Npo__OrgChanged *changed = (const Npo__OrgChanged *) msg;
        for (size_t i = 0; i < changed->n_changes && rc == 0; i++)
            if (strcmp (changed->changes [i]->item, "legal_representative") == 0)
                rc = s_audit_due (self, event, org, "leaving_office",
                                  changed->changes [i]->approved_on);
    }
    if (rc == 0 && strcmp (event->type, "registry.org_deregistered") == 0)
        rc = s_audit_due (self, event, org, "deregistration",
                          ((const Npo__OrgDeregistered *) msg)->deregistered_on);
    protobuf_c_message_free_unpacked (msg, NULL);
    return rc;
}

//  ---------------------------------------------------------------------
//  The credit stream: what evaluation eligibility depends on

int
insp_apply_credit (void *state, const Npo__Envelope *event)
{
    insp_t *self = state;
    const char *type = event->type;
    const ProtobufCBinaryData *p = &event->payload;
    int rc = 0;
    if (strcmp (type, "credit.penalty_recorded") == 0) {
        Npo__PenaltyRecorded *msg = npo__penalty_recorded__unpack (NULL, p->len, p->data);
        if (msg && msg->penalty) {
            char id [24];
            snprintf (id, sizeof id, "%llu", (unsigned long long) msg->penalty_id);
            const char *params [4] = { id, msg->penalty->uscc, msg->penalty->decision_number,
                                       msg->penalty->decided_on };
            rc = npo_db_cmd (self->db,
                "INSERT INTO penalties (penalty_id, uscc, decision_number, decided_on)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (penalty_id) DO NOTHING", 4, params);
        }
        else
            log_error ("event %s is not a valid PenaltyRecorded; skipped", event->event_id);
        if (msg)
            npo__penalty_recorded__free_unpacked (msg, NULL);
    }
    else
    if (strcmp (type, "credit.case_filed") == 0 || strcmp (type, "credit.case_updated") == 0) {
        Npo__CaseEvent *msg = npo__case_event__unpack (NULL, p->len, p->data);
        if (msg && msg->filing) {
            const char *params [3] = { msg->filing->case_number, msg->filing->uscc,
                                       msg->filing->stage };
            rc = npo_db_cmd (self->db,
                "INSERT INTO cases (case_number, uscc, stage) VALUES ($1, $2, $3)"
                " ON CONFLICT (case_number) DO UPDATE SET stage = EXCLUDED.stage", 3, params);
        }
        else
            log_error ("event %s is not a valid CaseEvent; skipped", event->event_id);
        if (msg)
            npo__case_event__free_unpacked (msg, NULL);
    }
    else
    if (strncmp (type, "credit.", 7) == 0
    &&  (strstr (type, "_listed") || strstr (type, "_removed"))) {
        Npo__ListingEvent *msg = npo__listing_event__unpack (NULL, p->len, p->data);
        if (msg && msg->listing) {
            char id [24];
            snprintf (id, sizeof id, "%llu", (unsigned long long) msg->listing->listing_id);
            const char *params [4] = { id, msg->listing->uscc, msg->listing->list,
                                       strstr (type, "_listed")? "t": "f" };
            rc = npo_db_cmd (self->db,
                "INSERT INTO listings (listing_id, uscc, list, open) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (listing_id) DO UPDATE SET open = EXCLUDED.open", 4, params);
        }
        else
            log_error ("event %s is not a valid ListingEvent; skipped", event->event_id);
        if (msg)
            npo__listing_event__free_unpacked (msg, NULL);
    }
    return rc;
}
