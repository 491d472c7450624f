/*  registry.c - npo-registry command dispatch: the actor's role and division
 *  scope, the audit trail, and reads
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "codes.h"
#include "log.h"
#include "quality.h"
#include "registry.h"

static const struct {
    const char *name;
    char code;
} s_types [] = {
    { "social_group", '1' }, { "social_service", '2' }, { "foundation", '3' }, { "other", '9' },
};

char
reg_type_code (const char *type)
{
    for (size_t i = 0; i < sizeof s_types / sizeof s_types [0]; i++)
        if (strcmp (type, s_types [i].name) == 0)
            return s_types [i].code;
    return 0;
}

void
reg_db_failed (reg_t *self, Npo__Reply *reply)
{
    npo_reply_db_failed (self->db, reply);
}

bool
reg_may_write (reg_t *self, const char *division, Npo__Reply *reply)
{
    return npo_actor_may_write (&self->actor, division, reply);
}

static void
s_get (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const char *uscc = request->get_organization->uscc;
    if (!uscc_valid (uscc)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_uscc",
                         "not a valid unified social credit code (GB 32100)");
        return;
    }
    snprintf (self->target, sizeof self->target, "%s", uscc);
    bool found;
    Npo__Organization *org = reg_db_load_org (self, uscc, false, &found);
    if (org && reg_cert_load (self, org)) {
        npo__organization__free_unpacked (org, NULL);
        org = NULL;
        found = true;
    }
    if (org) {
        reply->body_case = NPO__REPLY__BODY_ORGANIZATION;
        reply->organization = org;
    }
    else
    if (!found && !*npo_db_sqlstate (self->db))
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "not_found",
                         "no organization %s", uscc);
    else
        reg_db_failed (self, reply);
}

bool
reg_old_org_code (const char *given, char *code)
{
    if (!orgcode_valid (given))
        return false;
    //  Printed codes carry a dash before the check character: kept without
    size_t n = 0;
    for (const char *p = given; *p; p++)
        if (*p != '-')
            code [n++] = *p;
    code [n] = 0;
    return true;
}

int
reg_old_codes_record (reg_t *self, const char *uscc, const char *division, const char *code,
                      const char *cert, bool all_or_none, const char *actor,
                      reg_old_code_t old [2])
{
    const char *given [2] = { code, cert };
    const char *params [3] = { uscc, *code? code: NULL, *cert? cert: NULL };
    //  The organization's row locked: one recording of its old codes at a
    //  time. Its codes, who holds the given ones, and whether it has a row
    PGresult *res = npo_db_exec (self->db,
        "SELECT c.old_org_code, c.old_certificate_number,"
        " (SELECT t.uscc FROM old_codes t WHERE t.old_org_code = $2 AND t.uscc <> $1),"
        " (SELECT t.uscc FROM old_codes t WHERE t.old_certificate_number = $3"
        "  AND t.uscc <> $1), c.uscc IS NOT NULL"
        " FROM organizations o LEFT JOIN old_codes c USING (uscc)"
        " WHERE o.uscc = $1 FOR NO KEY UPDATE OF o", 3, params);
    if (!res)
        return -1;
    if (PQntuples (res) != 1) {
        PQclear (res);
        log_error ("old codes for %s, which the registry does not hold", uscc);
        return -1;
    }
    bool refused = false, any = false, row = strcmp (PQgetvalue (res, 0, 4), "t") == 0;
    for (int i = 0; i < 2; i++) {
        old [i].held [0] = 0;
        if (!*given [i])
            old [i].state = REG_OLD_NONE;
        else
        if (!PQgetisnull (res, 0, i)) {
            bool same = strcmp (PQgetvalue (res, 0, i), given [i]) == 0;
            old [i].state = same? REG_OLD_SAME: REG_OLD_DIFFERS;
            snprintf (old [i].held, sizeof old [i].held, "%s", PQgetvalue (res, 0, i));
        }
        else
        if (!PQgetisnull (res, 0, 2 + i)) {
            old [i].state = REG_OLD_TAKEN;
            snprintf (old [i].held, sizeof old [i].held, "%s", PQgetvalue (res, 0, 2 + i));
        }
        else
            old [i].state = REG_OLD_NEW;
        refused = refused || old [i].state == REG_OLD_DIFFERS || old [i].state == REG_OLD_TAKEN;
        any = any || old [i].state == REG_OLD_NEW;
    }
    PQclear (res);
    if (!any || (refused && all_or_none))
        return 0;
    params [1] = old [0].state == REG_OLD_NEW? code: NULL;
    params [2] = old [1].state == REG_OLD_NEW? cert: NULL;
    bool stored = false;
    if (!row) {
        //  The usual case in one statement: a code another transaction took
        //  since leaves the row out, without an error
        res = npo_db_exec (self->db,
            "INSERT INTO old_codes (uscc, old_org_code, old_certificate_number)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", 3, params);
        if (!res)
            return -1;
        stored = strcmp (PQcmdTuples (res), "1") == 0;
        PQclear (res);
    }
    //  Else code by code: a code taken since is named by its constraint,
    //  and the other recorded without it
    if (!stored && npo_db_cmd (self->db, "SAVEPOINT old_codes", 0, NULL))
        return -1;
    while (!stored && any) {
        params [1] = old [0].state == REG_OLD_NEW? code: NULL;
        params [2] = old [1].state == REG_OLD_NEW? cert: NULL;
        if (npo_db_cmd (self->db,
                "INSERT INTO old_codes (uscc, old_org_code, old_certificate_number)"
                " VALUES ($1, $2, $3) ON CONFLICT (uscc) DO UPDATE SET"
                " old_org_code = coalesce (old_codes.old_org_code, EXCLUDED.old_org_code),"
                " old_certificate_number = coalesce (old_codes.old_certificate_number,"
                "                                    EXCLUDED.old_certificate_number)",
                3, params) == 0) {
            if (npo_db_cmd (self->db, "RELEASE SAVEPOINT old_codes", 0, NULL))
                return -1;
            stored = true;
            break;
        }
        const char *constraint = npo_db_constraint (self->db);
        int i = strcmp (constraint, "old_codes_old_org_code_key") == 0? 0:
                strcmp (constraint, "old_codes_old_certificate_number_key") == 0? 1: -1;
        if (i < 0 || old [i].state != REG_OLD_NEW
        ||  npo_db_cmd (self->db, "ROLLBACK TO SAVEPOINT old_codes", 0, NULL))
            return -1;
        old [i].state = REG_OLD_TAKEN;
        any = old [1 - i].state == REG_OLD_NEW && !all_or_none;
        if (!any && npo_db_cmd (self->db, "RELEASE SAVEPOINT old_codes", 0, NULL))
            return -1;
    }
    if (!stored)
        return 0;
    //  What was recorded now
    Npo__OldCodes event = NPO__OLD_CODES__INIT;
    event.uscc = (char *) uscc;
    event.old_org_code = (char *) (old [0].state == REG_OLD_NEW? code: "");
    event.old_certificate_number = (char *) (old [1].state == REG_OLD_NEW? cert: "");
    return npo_outbox_append (self->outbox, "registry.old_codes_recorded", uscc, division,
                              actor, &event.base)? 0: -1;
}

//  Maps an organization's pre-2016 organization code and certificate number
//  to its code. Both are unique for life: a code already mapped elsewhere is
//  refused, and so is one that differs from the one recorded.
static void
s_old_codes (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__OldCodes *cmd = request->record_old_codes;
    char code [10] = "";
    if (*cmd->old_org_code && !reg_old_org_code (cmd->old_org_code, code)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_org_code",
                         "old_org_code: not a valid organization code (GB 11714)");
        return;
    }
    const char *cert = cmd->old_certificate_number;
    if ((*cert && !oldcert_valid (cert)) || (!*code && !*cert)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_field",
                         "old_org_code or old_certificate_number required; a certificate number"
                         " is 1 to 40 letters, digits, '-', '_' or '.', and not one this"
                         " register issued");
        return;
    }
    bool found;
    Npo__Organization *org = uscc_valid (cmd->uscc)?
                             reg_db_load_org (self, cmd->uscc, false, &found): NULL;
    if (!org) {
        if (uscc_valid (cmd->uscc) && (found || *npo_db_sqlstate (self->db)))
            reg_db_failed (self, reply);
        else
            npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "not_found",
                             "uscc: no such organization");
        return;
    }
    snprintf (self->target, sizeof self->target, "%s", org->uscc);
    if (!reg_may_write (self, org->basic->authority_division, reply))
        goto done;
    reg_old_code_t old [2];
    if (npo_db_begin (self->db)
    ||  reg_old_codes_record (self, org->uscc, org->basic->authority_division, code, cert, true,
                              request->actor, old)) {
        reg_db_failed (self, reply);
        goto done;
    }
    if (old [0].state == REG_OLD_DIFFERS || old [1].state == REG_OLD_DIFFERS) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_CONFLICT, "old_codes_differ",
                         "%s already has other old codes recorded; they are kept for life",
                         org->uscc);
    }
    else
    if (old [0].state == REG_OLD_TAKEN || old [1].state == REG_OLD_TAKEN) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_CONFLICT, "old_code_taken",
                         "this old code is already mapped to another organization");
    }
    else
    if (npo_db_commit (self->db))
        reg_db_failed (self, reply);
done:
    npo__organization__free_unpacked (org, NULL);
}

int
reg_apply_credit (void *state, const Npo__Envelope *event)
{
    reg_t *self = state;
    if (strcmp (event->type, "credit.penalty_recorded") != 0)
        return 0;
    Npo__PenaltyRecorded *msg = npo__penalty_recorded__unpack (NULL, event->payload.len,
                                                               event->payload.data);
    if (!msg || !msg->penalty) {
        log_error ("event %s does not decode; skipped", event->event_id);
        if (msg)
            npo__penalty_recorded__free_unpacked (msg, NULL);
        return 0;
    }
    const Npo__Penalty *p = msg->penalty;
    int rc = 0;
    bool found;
    Npo__Organization *org = NULL;
    if (strcmp (p->result, "revoke_registration") != 0)
        goto done;
    //  (inside the consumer's transaction: the revocation and the offset
    //  commit together)
    org = reg_db_load_org (self, p->uscc, true, &found);
    if (!org) {
        if (found || *npo_db_sqlstate (self->db))
            rc = -1;            //  the database: retried
        else
            log_warn ("penalty %s revokes %s, which the registry does not know",
                      p->decision_number, p->uscc);
        goto done;
    }
    if (strcmp (org->status, "active") != 0) {
        log_info ("%s is already %s; penalty %s changes nothing", org->uscc, org->status,
                  p->decision_number);
        goto done;
    }
    free (org->status);
    org->status = npo_strdup ("revoked");
    org->version++;
    org->updated_at_us = npo_now_us ();
    Npo__OrgRevoked revoked = NPO__ORG_REVOKED__INIT;
    revoked.organization = org;
    revoked.decision_number = p->decision_number;
    revoked.revoked_on = p->decided_on;
    revoked.credit_event_id = event->event_id;
    if (reg_db_update_org (self, org)
    ||  npo_db_cmd (self->db, "UPDATE officer_posts SET end_on = greatest ($2::date, start_on)"
                              " WHERE org_uscc = $1 AND end_on IS NULL", 2,
                    (const char *const []) { org->uscc, p->decided_on })
    ||  reg_cert_revoke (self, org)
    ||  !npo_outbox_append (self->outbox, "registry.org_revoked", org->uscc,
                            org->basic->authority_division, event->actor, &revoked.base))
        rc = -1;
    else
        log_info ("revoked %s by penalty %s", org->uscc, p->decision_number);
done:
    if (org)
        npo__organization__free_unpacked (org, NULL);
    npo__penalty_recorded__free_unpacked (msg, NULL);
    return rc;
}

void
reg_handle (void *state, const Npo__Request *request, Npo__Reply *reply)
{
    reg_t *self = state;
    self->target [0] = 0;
    if (!npo_actor_accept (request->actor, &self->actor, reply)) {
        npo_audit_write (self->db, request, reply, &self->actor, self->target);
        return;
    }
    switch (request->body_case) {
        case NPO__REQUEST__BODY_SUBMIT_APPLICATION:
            reg_submit (self, request, reply);
            break;
        case NPO__REQUEST__BODY_ACCEPT_APPLICATION:
            reg_accept (self, request, reply);
            break;
        case NPO__REQUEST__BODY_DECIDE_APPLICATION:
            reg_decide (self, request, reply);
            break;
        case NPO__REQUEST__BODY_GET_ORGANIZATION:
            s_get (self, request, reply);
            break;
        case NPO__REQUEST__BODY_APPOINT_OFFICER:
            reg_appoint (self, request, reply);
            break;
        case NPO__REQUEST__BODY_END_OFFICER_POST:
            reg_end_post (self, request, reply);
            break;
        case NPO__REQUEST__BODY_OFFICER_POSITIONS:
            reg_positions (self, request, reply);
            break;
        case NPO__REQUEST__BODY_RECORD_OLD_CODES:
            s_old_codes (self, request, reply);
            break;
        case NPO__REQUEST__BODY_IMPORT_ORGS:
            reg_import_orgs (self, request, reply);
            break;
        case NPO__REQUEST__BODY_IMPORT_RECORDS:
            reg_import_records (self, request, reply);
            break;
        case NPO__REQUEST__BODY_CHECK_RETURN:
            reg_check_return (self, request, reply);
            break;
        case NPO__REQUEST__BODY_LIST_FINDINGS:
            npo_findings_answer (self->db, &self->actor, self->target, sizeof self->target,
                                 request, reply);
            break;
        default:
            npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "unknown_command",
                             "the registry does not handle this command");
            break;
    }
    npo_audit_write (self->db, request, reply, &self->actor, self->target);
}
