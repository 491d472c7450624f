/*  members.c - party members (section 6): admission and transfer in,
 *  updates, transfer out, and the register (read by entitled roles only)
 *
 *  A person is on the register of one party organization at a time
 *  (members_one_register). No member field leaves this service: events carry
 *  the organization's count, the audit trail the organization's code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "codes.h"
#include "log.h"
#include "party.h"
#include "pbjson.h"

#define BAD         NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT    NPO__STATUS__STATUS_CONFLICT

static int
s_check_member (const Npo__PartyMember *m, Npo__Reply *reply)
{
    const npo_text_t texts [] = {
        { "name", m->name, 100, true },
        { "ethnicity", m->ethnicity, 50, false },
        { "education", m->education, 50, false },
        { "home_address", m->home_address, 200, false },
        { "party_position", m->party_position, 100, false },
        { "org_position", m->org_position, 100, false },
        { "position_level", m->position_level, 50, false },
        { "job_category", m->job_category, 100, false },
        { "outflow_destination", m->outflow_destination, 200, false },
        { "transferred_in_from", m->transferred_in_from, 200, false },
    };
    if (npo_check_texts (texts, sizeof texts / sizeof texts [0], reply)
    ||  npo_identity_check (m->id_type, m->id_number, m->birth_date, reply))
        return -1;
    if (*m->gender && strcmp (m->gender, "male") && strcmp (m->gender, "female")) {
        npo_reply_error (reply, BAD, "invalid_field", "gender: male or female");
        return -1;
    }
    size_t n = strlen (m->mobile);
    if (n > 20 || strspn (m->mobile, "0123456789-+ ") != n) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "mobile: at most 20 digits, '-', '+' or spaces");
        return -1;
    }
    if (strcmp (m->membership_status, "full") && strcmp (m->membership_status, "probationary")) {
        npo_reply_error (reply, BAD, "invalid_field", "membership_status: full or probationary");
        return -1;
    }
    const struct {
        const char *name, *value;
    } dates [] = {
        { "joined_branch_on", m->joined_branch_on }, { "joined_party_on", m->joined_party_on },
        { "full_member_on", m->full_member_on }, { "lost_contact_on", m->lost_contact_on },
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates [0]; i++)
        if (*dates [i].value && !npo_date_valid (dates [i].value)) {
            npo_reply_error (reply, BAD, "invalid_date", "%s: a date YYYY-MM-DD up to today",
                             dates [i].name);
            return -1;
        }
    if (!*m->joined_party_on) {
        npo_reply_error (reply, BAD, "missing_field", "joined_party_on: required");
        return -1;
    }
    //  Full members have a date of becoming one, not before joining
    bool full = strcmp (m->membership_status, "full") == 0;
    if (full != (*m->full_member_on != 0)
    ||  (full && strcmp (m->full_member_on, m->joined_party_on) < 0)) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "full_member_on: for full members only, not before joined_party_on");
        return -1;
    }
    if (*m->lost_contact_on && !m->lost_contact) {
        npo_reply_error (reply, BAD, "invalid_field", "lost_contact_on: with lost_contact only");
        return -1;
    }
    if (*m->outflow_destination && !m->mobile_member) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "outflow_destination: with mobile_member only");
        return -1;
    }
    if (*m->transferred_out_to || *m->transferred_out_on || *m->status || m->member_id || m->age) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "status, transferred_out_*, member_id, age: set by the service");
        return -1;
    }
    return 0;
}

//  The members of one organization as JSON (MemberList), with what the
//  service fills: status, transfer out, id, age from the birth date (or the
//  resident ID)
static const char *s_list_sql =
    "SELECT json_build_object ('members', coalesce (json_agg (m.doc"
    "  || jsonb_build_object ('uscc', m.uscc, 'member_id', m.id, 'status', m.status,"
    "   'transferred_out_to', coalesce (m.transferred_out_to, ''),"
    "   'transferred_out_on', coalesce (m.transferred_out_on::text, ''),"
    "   'age', coalesce (date_part ('year', age (CASE WHEN m.doc ->> 'birth_date' <> ''"
    "     THEN (m.doc ->> 'birth_date')::date WHEN m.id_type = 'resident_id'"
    "     THEN to_date (substr (m.id_number, 7, 8), 'YYYYMMDD') END))::int, 0))"
    "  ORDER BY m.status, m.id), '[]'))::text"
    " FROM members m WHERE m.uscc = $1"
    " AND (nullif ($2, '') IS NULL OR m.id = nullif ($2, '')::bigint)";

//  Fills reply with the member whose id is id (a MemberReply).
static void
s_reply_member (party_t *self, const char *uscc, const char *id, Npo__Reply *reply)
{
    const char *params [2] = { uscc, id };
    PGresult *res = npo_db_exec (self->db, s_list_sql, 2, params);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    json_t *list = json_loads (PQgetvalue (res, 0, 0), 0, NULL);
    PQclear (res);
    json_t *member = json_array_get (json_object_get (list, "members"), 0);
    json_t *body = json_pack ("{s:O}", "member", member? member: json_null ());
    char *text = body? json_dumps (body, JSON_COMPACT): NULL;
    json_decref (body);
    json_decref (list);
    if (!text || !member)
        npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "internal",
                         "could not read the member");
    else
        npo_reply_body_from_json (reply, NPO__REPLY__BODY_MEMBER, text);
    free (text);
}

char *
party_member_doc (const Npo__PartyMember *m)
{
    json_t *json = npo_pb_to_json (&m->base);
    static const char *filled [] = { "uscc", "status", "transferred_out_to", "transferred_out_on",
                                     "member_id", "age" };
    for (size_t i = 0; i < sizeof filled / sizeof filled [0]; i++)
        json_object_del (json, filled [i]);
    char *doc = json_dumps (json, JSON_COMPACT);
    json_decref (json);
    if (!doc)
        abort ();
    return doc;
}

void
party_save_member (party_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__PartyMember *m = request->save_member->member;
    if (!m) {
        npo_reply_error (reply, BAD, "missing_field", "member: required");
        return;
    }
    if (!npo_uscc_ok (m->uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", m->uscc);   //  never the person
    if (s_check_member (m, reply))
        return;
    char *doc = party_member_doc (m);
    uint64_t party_org;
    char division [8];
    bool active;
    if (npo_db_begin (self->db)) {
        free (doc);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    if (party_org_of (self, m->uscc, &party_org, division, &active, reply)) {
        free (doc);
        return;
    }
    if (!party_org || !active) {
        free (doc);
        npo_db_rollback (self->db);
        if (!active)
            npo_reply_error (reply, CONFLICT, "org_not_active",
                             "%s is no longer active: it admits no members", m->uscc);
        else
            npo_reply_error (reply, CONFLICT, "no_party_org",
                             "%s has no party organization to admit members to", m->uscc);
        return;
    }
    char org_id [24];
    snprintf (org_id, sizeof org_id, "%llu", (unsigned long long) party_org);
    const char *params [6] = { org_id, m->uscc, m->id_type, m->id_number, doc, request->actor };
    //  On this register: updated (when anything changed); on another: refused
    PGresult *res = npo_db_exec (self->db,
        "WITH cur AS (SELECT id, party_org_id, doc = $5::jsonb AS same FROM members"
        "   WHERE id_type = $3 AND id_number = $4 AND status = 'in' FOR UPDATE),"
        " upd AS (UPDATE members SET doc = $5::jsonb, updated_by = $6, updated_at = now ()"
        "   WHERE id IN (SELECT id FROM cur WHERE party_org_id = $1::bigint AND NOT same)"
        "   RETURNING id),"
        " ins AS (INSERT INTO members (party_org_id, uscc, id_type, id_number, status, doc,"
        "   updated_by) SELECT $1, $2, $3, $4, 'in', $5, $6 WHERE NOT EXISTS (SELECT 1 FROM cur)"
        "   RETURNING id)"
        " SELECT (SELECT id FROM cur), (SELECT party_org_id FROM cur) = $1::bigint,"
        "  EXISTS (SELECT 1 FROM upd) OR EXISTS (SELECT 1 FROM ins), (SELECT id FROM ins)",
        6, params);
    free (doc);
    if (!res) {
        //  Admitted elsewhere at the same moment: the register's index says so
        bool raced = strcmp (npo_db_constraint (self->db), "members_one_register") == 0;
        npo_reply_db_failed (self->db, reply);
        if (raced)
            npo_reply_error (reply, CONFLICT, "member_elsewhere",
                             "the person was just admitted to another register; try again");
        return;
    }
    bool elsewhere = !PQgetisnull (res, 0, 0) && *PQgetvalue (res, 0, 1) != 't';
    bool changed = *PQgetvalue (res, 0, 2) == 't';
    char id [24];
    snprintf (id, sizeof id, "%s", PQgetisnull (res, 0, 3)? PQgetvalue (res, 0, 0):
                                                             PQgetvalue (res, 0, 3));
    bool admitted = !PQgetisnull (res, 0, 3);
    PQclear (res);
    if (elsewhere) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, CONFLICT, "member_elsewhere",
                         "the person is on the register of another party organization:"
                         " transferred out there first");
        return;
    }
    if ((admitted && party_members_changed (self, m->uscc, division, request->actor))
    ||  npo_db_commit (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    if (changed)
        log_info ("%s: member %s %s", m->uscc, id, admitted? "admitted": "updated");
    s_reply_member (self, m->uscc, id, reply);
}

void
party_transfer_out (party_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__TransferMemberOut *cmd = request->transfer_member_out;
    if (!npo_uscc_ok (cmd->uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", cmd->uscc);
    char today [11];
    const char *on = npo_date_or_today (cmd->on, today);
    const npo_text_t texts [] = { { "to", cmd->to, 200, true } };
    if (npo_check_texts (texts, 1, reply)
    ||  npo_identity_check (cmd->id_type, cmd->id_number, NULL, reply))
        return;
    if (!npo_date_valid (on)) {
        npo_reply_error (reply, BAD, "invalid_date", "on: a date YYYY-MM-DD up to today");
        return;
    }
    uint64_t party_org;
    char division [8];
    bool active;
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    if (party_org_of (self, cmd->uscc, &party_org, division, &active, reply))
        return;
    const char *params [6] = { cmd->uscc, cmd->id_type, cmd->id_number, cmd->to, on,
                               request->actor };
    PGresult *res = npo_db_exec (self->db,
        "UPDATE members SET status = 'transferred_out', transferred_out_to = $4,"
        " transferred_out_on = $5, updated_by = $6, updated_at = now ()"
        " WHERE uscc = $1 AND id_type = $2 AND id_number = $3 AND status = 'in' RETURNING id",
        6, params);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    char id [24] = "";
    if (PQntuples (res) == 1)
        snprintf (id, sizeof id, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    if (!*id) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "member_not_found",
                         "no such member on the register of %s", cmd->uscc);
        return;
    }
    if (party_members_changed (self, cmd->uscc, division, request->actor)
    ||  npo_db_commit (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    log_info ("%s: member %s transferred out", cmd->uscc, id);
    s_reply_member (self, cmd->uscc, id, reply);
}

void
party_list_members (party_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const char *uscc = request->list_members->uscc;
    if (!npo_uscc_ok (uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", uscc);
    uint64_t party_org;
    char division [8];
    bool active;
    if (party_org_of (self, uscc, &party_org, division, &active, reply))
        return;
    const char *params [2] = { uscc, "" };
    npo_reply_query_json (self->db, reply, NPO__REPLY__BODY_MEMBERS, s_list_sql, 2, params);
}
