/*  party.c - npo-party: dispatch, party organizations (section 5), findings,
 *  and the organizations from the registry stream
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "codes.h"
#include "log.h"
#include "orgevent.h"
#include "quality.h"
#include "party.h"
#include "pbjson.h"

#define BAD         NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT    NPO__STATUS__STATUS_CONFLICT

static const char *s_types [] = {
    "committee", "general_branch", "branch", "joint_branch", "provisional",
};

int
party_apply_registry (void *state, const Npo__Envelope *event)
{
    party_t *self = state;
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

bool
party_may_access (party_t *self, const char *division, Npo__Reply *reply)
{
    if (strcmp (self->actor.role, "ministry") && strcmp (self->actor.role, "registrar")) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "forbidden",
                         "party records are the ministry's and the organization's own"
                         " registrar's only");
        return false;
    }
    return npo_actor_may_write (&self->actor, division, reply);
}

int
party_org_of (party_t *self, const char *uscc, uint64_t *id, char *division, bool *active,
              Npo__Reply *reply)
{
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT o.authority_division, o.status, coalesce ((SELECT p.id FROM party_orgs p"
        "  WHERE p.uscc = o.uscc AND p.status = 'active' FOR UPDATE), 0)"
        " FROM orgs o WHERE o.uscc = $1", 1, params);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return -1;
    }
    if (PQntuples (res) == 0) {
        PQclear (res);
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "org_unknown",
                         "the party service knows no organization %s (yet)", uscc);
        return -1;
    }
    snprintf (division, 8, "%s", PQgetvalue (res, 0, 0));
    *active = strcmp (PQgetvalue (res, 0, 1), "active") == 0;
    *id = strtoull (PQgetvalue (res, 0, 2), NULL, 10);
    PQclear (res);
    if (!party_may_access (self, division, reply)) {
        npo_db_rollback (self->db);
        return -1;
    }
    return 0;
}

int
party_members_changed (party_t *self, const char *uscc, const char *division,
                       const char *actor)
{
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT count (*) FROM members WHERE uscc = $1 AND status = 'in'", 1, params);
    if (!res)
        return -1;
    Npo__MembersChanged event = NPO__MEMBERS_CHANGED__INIT;
    event.uscc = (char *) uscc;
    event.members_recorded = (uint32_t) atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return npo_outbox_append (self->outbox, "party.members_changed", uscc, division, actor,
                              &event.base)? 0: -1;
}

//  ---------------------------------------------------------------------
//  Party organizations

//  Section 5 as stored, with the members on the register, as a PartyOrgReply
static const char *s_org_sql =
    "SELECT jsonb_build_object ('party_org', p.doc || jsonb_build_object ('uscc', p.uscc,"
    "  'status', p.status, 'dissolved_on', coalesce (p.dissolved_on::text, ''),"
    "  'members_recorded', (SELECT count (*) FROM members m WHERE m.party_org_id = p.id"
    "   AND m.status = 'in')))::text"
    " FROM party_orgs p WHERE p.id = $1";

static void
s_reply_org (party_t *self, const char *id, Npo__Reply *reply)
{
    const char *params [1] = { id };
    npo_reply_query_json (self->db, reply, NPO__REPLY__BODY_PARTY_ORG, s_org_sql, 1, params);
}

static int
s_check_org (const Npo__PartyOrg *p, Npo__Reply *reply)
{
    if (!npo_uscc_ok (p->uscc, reply))
        return -1;
    const npo_text_t texts [] = {
        { "party_org_name", p->party_org_name, 200, true },
        { "parent_party_org", p->parent_party_org, 200, false },
        { "secretary_name", p->secretary_name, 100, false },
        { "secretary_position_in_org", p->secretary_position_in_org, 100, false },
        { "contact_name", p->contact_name, 100, false },
    };
    if (npo_check_texts (texts, sizeof texts / sizeof texts [0], reply))
        return -1;
    if (!NPO_STR_IN (p->party_org_type, s_types)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "party_org_type: committee, general_branch, branch, joint_branch or"
                         " provisional");
        return -1;
    }
    if (!npo_date_valid (p->founded_on)
    ||  (*p->last_election_on && (!npo_date_valid (p->last_election_on)
                                  || strcmp (p->last_election_on, p->founded_on) < 0))) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "founded_on (required), last_election_on: dates YYYY-MM-DD up to today,"
                         " the election not before the founding");
        return -1;
    }
    size_t n = strlen (p->contact_phone);
    if (n > 20 || strspn (p->contact_phone, "0123456789-+ ") != n) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "contact_phone: at most 20 digits, '-', '+' or spaces");
        return -1;
    }
    if (p->member_count > 100000) {
        npo_reply_error (reply, BAD, "invalid_field", "member_count: at most 100000");
        return -1;
    }
    return 0;
}

char *
party_org_doc (const Npo__PartyOrg *p)
{
    //  What the caller gives of section 5; status and counts are ours
    Npo__PartyOrg given = *p;
    given.uscc = given.status = given.dissolved_on = "";
    given.members_recorded = 0;
    json_t *json = npo_pb_to_json (&given.base);
    json_object_del (json, "uscc");
    json_object_del (json, "status");
    json_object_del (json, "dissolved_on");
    json_object_del (json, "members_recorded");
    char *doc = json_dumps (json, JSON_COMPACT);
    json_decref (json);
    if (!doc)
        abort ();
    return doc;
}

int
party_org_write (party_t *self, const Npo__PartyOrg *p, const char *division, const char *actor,
                 const char **topic, char *id_text)
{
    *topic = NULL;
    char *doc = party_org_doc (p);
    char count [12];
    snprintf (count, sizeof count, "%u", p->member_count);
    const char *params [6] = { p->uscc, p->party_org_type, p->founded_on, count, doc, actor };
    //  New, or an update that changes something (a retry changes nothing)
    PGresult *res = npo_db_exec (self->db,
        "WITH upd AS (UPDATE party_orgs SET party_org_type = $2, founded_on = $3,"
        "   member_count = $4, doc = $5::jsonb, updated_by = $6, updated_at = now ()"
        "   WHERE uscc = $1 AND status = 'active' AND (party_org_type, founded_on,"
        "   member_count, doc) IS DISTINCT FROM ($2, $3::date, $4::int, $5::jsonb)"
        "   RETURNING id, 'party.org_updated' AS topic),"
        " ins AS (INSERT INTO party_orgs (uscc, party_org_type, founded_on, member_count,"
        "   status, doc, updated_by) SELECT $1, $2, $3, $4, 'active', $5, $6"
        "   WHERE NOT EXISTS (SELECT 1 FROM party_orgs WHERE uscc = $1 AND status = 'active')"
        "   RETURNING id, 'party.org_established' AS topic)"
        " SELECT * FROM upd UNION ALL SELECT * FROM ins", 6, params);
    free (doc);
    if (!res)
        return -1;
    if (PQntuples (res) == 1) {
        snprintf (id_text, 24, "%s", PQgetvalue (res, 0, 0));
        *topic = strcmp (PQgetvalue (res, 0, 1), "party.org_updated") == 0?
                 "party.org_updated": "party.org_established";
        Npo__PartyOrgEvent event = NPO__PARTY_ORG_EVENT__INIT;
        event.uscc = p->uscc;
        event.party_org_type = p->party_org_type;
        event.founded_on = p->founded_on;
        event.member_count = p->member_count;
        if (!npo_outbox_append (self->outbox, *topic, p->uscc, division, actor, &event.base)) {
            PQclear (res);
            return -1;
        }
        log_info ("%s: %s", p->uscc, *topic);
    }
    PQclear (res);
    return 0;
}

static void
s_save_org (party_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    Npo__PartyOrg *p = request->save_party_org->party_org;
    if (!p) {
        npo_reply_error (reply, BAD, "missing_field", "party_org: required");
        return;
    }
    if (s_check_org (p, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", p->uscc);
    uint64_t id;
    char division [8];
    bool active;
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    if (party_org_of (self, p->uscc, &id, division, &active, reply))
        return;
    if (!active) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, CONFLICT, "org_not_active",
                         "%s is no longer active: no party organization to set up", p->uscc);
        return;
    }
    char id_text [24];
    snprintf (id_text, sizeof id_text, "%llu", (unsigned long long) id);
    const char *topic;
    if (party_org_write (self, p, division, request->actor, &topic, id_text)) {
        //  Set up by someone else at the same moment
        bool raced = strcmp (npo_db_constraint (self->db), "party_orgs_one_active") == 0;
        npo_reply_db_failed (self->db, reply);
        if (raced)
            npo_reply_error (reply, CONFLICT, "party_org_exists",
                             "a party organization of %s was just set up; try again", p->uscc);
        return;
    }
    if (npo_db_commit (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    s_reply_org (self, id_text, reply);
}

static void
s_dissolve_org (party_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__DissolvePartyOrg *cmd = request->dissolve_party_org;
    if (!npo_uscc_ok (cmd->uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", cmd->uscc);
    char today [11];
    const char *on = npo_date_or_today (cmd->dissolved_on, today);
    const npo_text_t texts [] = { { "reason", cmd->reason, 2000, true } };
    if (npo_check_texts (texts, 1, reply))
        return;
    if (!npo_date_valid (on)) {
        npo_reply_error (reply, BAD, "invalid_date", "dissolved_on: a date YYYY-MM-DD up to today");
        return;
    }
    uint64_t id;
    char division [8];
    bool active;
    if (npo_db_begin (self->db)
    ||  party_org_of (self, cmd->uscc, &id, division, &active, reply)) {
        if (!reply->status)
            npo_reply_db_failed (self->db, reply);
        return;
    }
    char id_text [24];
    snprintf (id_text, sizeof id_text, "%llu", (unsigned long long) id);
    const char *params [4] = { id_text, on, cmd->reason, request->actor };
    PGresult *res = id? npo_db_exec (self->db,
        "SELECT (SELECT count (*) FROM members WHERE party_org_id = $1 AND status = 'in'),"
        " founded_on::text, party_org_type FROM party_orgs WHERE id = $1", 1, params): NULL;
    if (id && !res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    const char *refusal = !id? "no_party_org":
                          atoi (PQgetvalue (res, 0, 0)) > 0? "members_on_register":
                          strcmp (on, PQgetvalue (res, 0, 1)) < 0? "invalid_date": NULL;
    if (refusal) {
        npo_db_rollback (self->db);
        if (!id)
            npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, refusal,
                             "%s has no party organization", cmd->uscc);
        else
        if (strcmp (refusal, "invalid_date") == 0)
            npo_reply_error (reply, BAD, refusal, "dissolved_on: before the founding (%s)",
                             PQgetvalue (res, 0, 1));
        else
            npo_reply_error (reply, CONFLICT, refusal,
                             "%s members are on the register: transfer them out first",
                             PQgetvalue (res, 0, 0));
        PQclear (res);
        return;
    }
    Npo__PartyOrgEvent event = NPO__PARTY_ORG_EVENT__INIT;
    event.uscc = cmd->uscc;
    event.party_org_type = PQgetvalue (res, 0, 2);
    event.founded_on = PQgetvalue (res, 0, 1);
    event.dissolved_on = (char *) on;
    bool ok = npo_db_cmd (self->db,
                  "UPDATE party_orgs SET status = 'dissolved', dissolved_on = $2,"
                  " dissolved_reason = $3, updated_by = $4, updated_at = now () WHERE id = $1",
                  4, params) == 0
           && npo_outbox_append (self->outbox, "party.org_dissolved", cmd->uscc, division,
                                 request->actor, &event.base)
           && npo_db_commit (self->db) == 0;
    PQclear (res);
    if (!ok) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    log_info ("%s: party.org_dissolved", cmd->uscc);
    s_reply_org (self, id_text, reply);
}

static void
s_get_org (party_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const char *uscc = request->get_party_org->uscc;
    if (!npo_uscc_ok (uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", uscc);
    uint64_t id;
    char division [8];
    bool active;
    if (party_org_of (self, uscc, &id, division, &active, reply))
        return;
    if (!id) {
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "no_party_org",
                         "%s has no party organization", uscc);
        return;
    }
    char id_text [24];
    snprintf (id_text, sizeof id_text, "%llu", (unsigned long long) id);
    s_reply_org (self, id_text, reply);
}

static void
s_findings (party_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const char *prefix = request->party_findings->division_prefix;
    size_t n = strlen (prefix);
    if (n > 6 || n % 2 || strspn (prefix, "0123456789") != n) {
        npo_reply_error (reply, BAD, "invalid_division",
                         "division_prefix: empty, or 2, 4 or 6 digits");
        return;
    }
    snprintf (self->target, sizeof self->target, "findings %s", prefix);
    //  A registrar sees its own division's only
    bool registrar = strcmp (self->actor.role, "registrar") == 0;
    if (!registrar && strcmp (self->actor.role, "ministry") != 0) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "forbidden",
                         "party records are the ministry's and the organization's own"
                         " registrar's only");
        return;
    }
    const char *scope = registrar? self->actor.prefix: "";
    size_t common = n < strlen (scope)? n: strlen (scope);
    if (strncmp (prefix, scope, common) != 0) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "out_of_division",
                         "division %s is outside the registrar's division %s", prefix, scope);
        return;
    }
    const char *params [2] = { prefix, scope };
    npo_reply_query_json (self->db, reply, NPO__REPLY__BODY_PARTY_FINDINGS,
        "SELECT json_build_object ('findings', coalesce (json_agg (json_build_object ("
        "  'uscc', p.uscc, 'party_org_name', p.doc ->> 'party_org_name',"
        "  'member_count', p.member_count, 'members_recorded', r.n) ORDER BY p.uscc), '[]'))::text"
        " FROM party_orgs p JOIN orgs o USING (uscc)"
        " CROSS JOIN LATERAL (SELECT count (*) AS n FROM members m WHERE m.party_org_id = p.id"
        "   AND m.status = 'in') r"
        " WHERE p.status = 'active' AND p.member_count <> r.n"
        " AND o.authority_division LIKE $1 || '%' AND o.authority_division LIKE $2 || '%'",
        2, params);
}

//  ---------------------------------------------------------------------
//  Dispatch

void
party_handle (void *state, const Npo__Request *request, Npo__Reply *reply)
{
    party_t *self = state;
    self->target [0] = 0;
    if (npo_actor_accept (request->actor, &self->actor, reply))
    switch (request->body_case) {
        case NPO__REQUEST__BODY_SAVE_PARTY_ORG:
            s_save_org (self, request, reply);
            break;
        case NPO__REQUEST__BODY_DISSOLVE_PARTY_ORG:
            s_dissolve_org (self, request, reply);
            break;
        case NPO__REQUEST__BODY_GET_PARTY_ORG:
            s_get_org (self, request, reply);
            break;
        case NPO__REQUEST__BODY_SAVE_MEMBER:
            party_save_member (self, request, reply);
            break;
        case NPO__REQUEST__BODY_TRANSFER_MEMBER_OUT:
            party_transfer_out (self, request, reply);
            break;
        case NPO__REQUEST__BODY_LIST_MEMBERS:
            party_list_members (self, request, reply);
            break;
        case NPO__REQUEST__BODY_PARTY_FINDINGS:
            s_findings (self, request, reply);
            break;
        case NPO__REQUEST__BODY_IMPORT_RECORDS:
            party_import_records (self, request, reply);
            break;
        case NPO__REQUEST__BODY_LIST_FINDINGS:
            npo_findings_answer (self->db, &self->actor, self->target, sizeof self->target,
                                 request, reply);
            break;
        default:
            npo_reply_error (reply, BAD, "unknown_command", "party does not handle this command");
    }
    npo_audit_write (self->db, request, reply, &self->actor, self->target);
}
