/*  import.c - npo-party: party organizations (section 05) and party members
 *  (section 06) a province returns (docs/import.md)
 *
 *  ImportRecords, through common/quality.c: one transaction a batch, every
 *  record's findings kept in the same transaction under the keyed ref of
 *  its key. npoctl has checked each record; here only what storing needs is
 *  checked again.
 *
 *  Section 05 is upserted by uscc, one active party organization per
 *  organization, exactly as `npoctl party save` does it (same comparison,
 *  same event). Section 06 by identity document: a person is on one
 *  register at a time. A record naming another organization of the same
 *  province moves the person (transferred out of the old register, whose
 *  row stays as history); one on another province's register is refused
 *  (member_elsewhere), as is one whose organization has no party
 *  organization (no_party_org). Imports are history: a party organization
 *  returned for an organization that is no longer active is stored and
 *  flagged inconsistent_status.
 *
 *  No person leaves this service: events carry the organization's code and
 *  counts, findings a keyed hash, the audit trail "import:NN".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "log.h"
#include "party.h"
#include "quality.h"

#define S_WHY       "the record cannot be stored (docs/import.md 3.1)"

//  Returns true when date is a real date YYYY-MM-DD from 1900-01-01 to
//  today: a date in a person's life (docs/import.md 2.4 `pdate`, 8.1).
static bool
s_person_date (const char *date)
{
    if (strlen (date) != 10 || date [4] != '-' || date [7] != '-'
    ||  strspn (date, "0123456789") != 4 || strspn (date + 5, "0123456789") != 2
    ||  strspn (date + 8, "0123456789") != 2)
        return false;
    int y = atoi (date), m = atoi (date + 5), d = atoi (date + 8);
    static const int days [] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    char today [11];
    npo_today (today);
    return m >= 1 && m <= 12 && d >= 1 && d <= days [m - 1] && (m != 2 || d < 29 || leap)
        && strcmp (date, "1900-01-01") >= 0 && strcmp (date, today) <= 0;
}

//  A text field and the characters it may have at most.
typedef struct {
    const char *value;
    size_t max;
} s_text_t;

//  Returns true when every text is UTF-8 without control characters and at
//  most its max characters long, and phone (may be empty) a phone number.
static bool
s_fits (const s_text_t *texts, size_t n, const char *phone)
{
    for (size_t i = 0; i < n; i++) {
        size_t chars;
        if (!npo_utf8_valid (texts [i].value, false, &chars) || chars > texts [i].max)
            return false;
    }
    size_t digits = strlen (phone);
    return digits <= 20 && strspn (phone, "0123456789+- ") == digits;
}

//  What a record needs of its organization.
typedef struct {
    char division [8];
    bool active;
    char party_org [24];            //  its active party organization's id, "0": none
} s_org_t;

//  Loads the organization a record belongs to, its active party
//  organization locked. Returns 0, 1 with the refusal in outcome, or -1
//  when the database failed.
static int
s_org_of (party_t *self, const char *uscc, const char *province, s_org_t *org,
          Npo__ImportOutcome *outcome)
{
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT o.authority_division, o.status, coalesce ((SELECT p.id FROM party_orgs p"
        "  WHERE p.uscc = o.uscc AND p.status = 'active' FOR UPDATE), 0)"
        " FROM orgs o WHERE o.uscc = $1", 1, params);
    if (!res)
        return -1;
    int rc = 0;
    if (npo_import_org_refused (PQntuples (res)? PQgetvalue (res, 0, 0): NULL, province,
                                outcome))
        rc = 1;
    else {
        snprintf (org->division, sizeof org->division, "%s", PQgetvalue (res, 0, 0));
        org->active = strcmp (PQgetvalue (res, 0, 1), "active") == 0;
        snprintf (org->party_org, sizeof org->party_org, "%s", PQgetvalue (res, 0, 2));
    }
    PQclear (res);
    return rc;
}

//  Reads the constraint a failed write broke and rolls back to savepoint.
//  Returns 0 when it was constraint (the record alone is refused), or -1
//  when the database failed otherwise (the batch is rolled back).
static int
s_conflict (party_t *self, const char *savepoint, const char *constraint)
{
    bool broke = strcmp (npo_db_constraint (self->db), constraint) == 0;
    char sql [64];
    snprintf (sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s", savepoint);
    return broke && npo_db_cmd (self->db, sql, 0, NULL) == 0? 0: -1;
}

//  ---------------------------------------------------------------------
//  Section 05: party organizations, keyed by the organization

static int
s_store_party_org (void *state, const Npo__Request *request, const void *body,
                   const char *province, Npo__ImportOutcome *outcome)
{
    party_t *self = state;
    const Npo__PartyOrg *p = body;
    static const char *types [] = {
        "committee", "general_branch", "branch", "joint_branch", "provisional",
    };
    const s_text_t texts [] = {
        { p->party_org_name, 200 }, { p->parent_party_org, 200 }, { p->secretary_name, 100 },
        { p->secretary_position_in_org, 100 }, { p->contact_name, 100 },
    };
    if (!*p->party_org_type || !*p->founded_on)
        return npo_import_refuse (outcome, "missing_required", S_WHY);
    if (!uscc_valid (p->uscc) || !NPO_STR_IN (p->party_org_type, types)
    ||  !npo_date_valid (p->founded_on)
    ||  (*p->last_election_on && !npo_date_valid (p->last_election_on))
    ||  p->member_count > 100000 || !s_fits (texts, sizeof texts / sizeof texts [0],
                                             p->contact_phone))
        return npo_import_refuse (outcome, "invalid_format", S_WHY);
    s_org_t org;
    int rc = s_org_of (self, p->uscc, province, &org, outcome);
    if (rc)
        return rc < 0? -1: 0;
    //  A uniqueness rule of the table refuses this record alone
    if (npo_db_cmd (self->db, "SAVEPOINT import_party_org", 0, NULL))
        return -1;
    const char *topic;
    char id [24];
    if (party_org_write (self, p, org.division, request->actor, &topic, id)) {
        //  Set up by another command at the same moment
        if (s_conflict (self, "import_party_org", "party_orgs_one_active"))
            return -1;
        return npo_import_refuse (outcome, "store_conflict", "party_org_exists");
    }
    if (npo_db_cmd (self->db, "RELEASE SAVEPOINT import_party_org", 0, NULL))
        return -1;
    if (!org.active)
        npo_import_flag (outcome, "inconsistent_status", "", "an active party organization of"
                         " an organization that is not active");
    outcome->outcome = npo_strdup (!topic? "unchanged":
                                   strcmp (topic, "party.org_updated") == 0? "updated":
                                   "created");
    return 0;
}

static size_t
s_party_org_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__PartyOrg *p = (const Npo__PartyOrg *) body;
    key [0] = *uscc = p->uscc;
    return 1;
}

//  ---------------------------------------------------------------------
//  Section 06: party members, keyed by the person

//  Returns NULL when the member can be stored as given, or the refusal's
//  code (npoctl sends only what passes: a refusal here is a bug of ours or
//  another client's).
static const char *
s_member_storable (const Npo__PartyMember *m)
{
    Npo__Reply check = NPO__REPLY__INIT;
    if (npo_identity_check (m->id_type, m->id_number, NULL, &check)) {
        free (check.error_code);
        free (check.error_message);
        return "invalid_format";
    }
    if (!*m->uscc)
        return "missing_required";
    const s_text_t texts [] = {
        { m->name, 100 }, { m->ethnicity, 50 }, { m->education, 50 }, { m->home_address, 200 },
        { m->party_position, 100 }, { m->org_position, 100 }, { m->position_level, 50 },
        { m->job_category, 100 }, { m->outflow_destination, 200 },
        { m->transferred_in_from, 200 },
    };
    static const char *genders [] = { "male", "female" };
    static const char *statuses [] = { "full", "probationary" };
    const char *dates [] = {
        m->birth_date, m->joined_branch_on, m->joined_party_on, m->full_member_on,
        m->lost_contact_on,
    };
    bool dated = true;
    for (size_t i = 0; i < sizeof dates / sizeof dates [0]; i++)
        dated = dated && (!*dates [i] || s_person_date (dates [i]));
    if (!uscc_valid (m->uscc) || !dated
    ||  !s_fits (texts, sizeof texts / sizeof texts [0], m->mobile)
    ||  (*m->gender && !NPO_STR_IN (m->gender, genders))
    ||  (*m->membership_status && !NPO_STR_IN (m->membership_status, statuses)))
        return "invalid_format";
    return NULL;
}

//  Moves the person on register row `from` to party organization `to` of
//  org: the old row transferred out (to the new party organization's name,
//  on the record's joined_branch_on, else the import's date) and kept as
//  history, a new row on the register. Returns 0, or -1 when the database
//  failed (a uniqueness rule's failure is for the caller to read).
static int
s_move (party_t *self, const Npo__Request *request, const char *from, const char *to,
        const Npo__PartyMember *m, const char *doc)
{
    //  (the ministry's --as-of, else the service's date: npo_import_found_on)
    char today [11];
    const char *on = *m->joined_branch_on? m->joined_branch_on:
                     npo_import_found_on (&self->actor, request->import_records->found_on,
                                          today);
    const char *params [4] = { from, to, on, request->actor };
    if (npo_db_cmd (self->db,
            "UPDATE members SET status = 'transferred_out', transferred_out_on = $3,"
            " transferred_out_to = (SELECT coalesce (nullif (p.doc ->> 'party_org_name', ''),"
            "   o.name) FROM party_orgs p JOIN orgs o USING (uscc) WHERE p.id = $2::bigint),"
            " updated_by = $4, updated_at = now () WHERE id = $1::bigint", 4, params))
        return -1;
    const char *insert [6] = { to, m->uscc, m->id_type, m->id_number, doc, request->actor };
    return npo_db_cmd (self->db,
        "INSERT INTO members (party_org_id, uscc, id_type, id_number, status, doc, updated_by)"
        " VALUES ($1, $2, $3, $4, 'in', $5, $6)", 6, insert);
}

static int
s_store_member (void *state, const Npo__Request *request, const void *body,
                const char *province, Npo__ImportOutcome *outcome)
{
    party_t *self = state;
    const Npo__PartyMember *m = body;
    const char *why = s_member_storable (m);
    if (why)
        return npo_import_refuse (outcome, why, S_WHY);
    s_org_t org;
    int rc = s_org_of (self, m->uscc, province, &org, outcome);
    if (rc)
        return rc < 0? -1: 0;
    if (strcmp (org.party_org, "0") == 0)
        return npo_import_refuse (outcome, "store_conflict", "no_party_org");
    //  The register the person is on now, anywhere in the country
    char *doc = party_member_doc (m);
    const char *params [3] = { m->id_type, m->id_number, doc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT m.id, m.party_org_id, m.uscc, o.authority_division, m.doc = $3::jsonb"
        " FROM members m JOIN orgs o USING (uscc)"
        " WHERE m.id_type = $1 AND m.id_number = $2 AND m.status = 'in' FOR UPDATE OF m",
        3, params);
    if (!res) {
        free (doc);
        return -1;
    }
    bool on_register = PQntuples (res) > 0;
    char id [24] = "", old_uscc [24] = "", old_division [8] = "";
    bool here = false, same = false;
    if (on_register) {
        snprintf (id, sizeof id, "%s", PQgetvalue (res, 0, 0));
        here = strcmp (PQgetvalue (res, 0, 1), org.party_org) == 0;
        snprintf (old_uscc, sizeof old_uscc, "%s", PQgetvalue (res, 0, 2));
        snprintf (old_division, sizeof old_division, "%s", PQgetvalue (res, 0, 3));
        same = *PQgetvalue (res, 0, 4) == 't';
    }
    PQclear (res);
    if (on_register && !here && strncmp (old_division, province, 2)) {
        //  Another province's member: that province transfers them out first
        free (doc);
        return npo_import_refuse (outcome, "store_conflict", "member_elsewhere");
    }
    if (on_register && here && same) {
        free (doc);
        outcome->outcome = npo_strdup ("unchanged");
        return 0;
    }
    //  The register's index refuses this record alone (admitted elsewhere
    //  by another command at the same moment)
    if (npo_db_cmd (self->db, "SAVEPOINT import_member", 0, NULL)) {
        free (doc);
        return -1;
    }
    const char *kind;
    if (on_register && here) {
        const char *update [3] = { id, doc, request->actor };
        rc = npo_db_cmd (self->db, "UPDATE members SET doc = $2::jsonb, updated_by = $3,"
                         " updated_at = now () WHERE id = $1::bigint", 3, update);
        kind = "updated";
    }
    else
    if (on_register) {
        rc = s_move (self, request, id, org.party_org, m, doc);
        kind = "updated";
    }
    else {
        const char *insert [6] = { org.party_org, m->uscc, m->id_type, m->id_number, doc,
                                   request->actor };
        rc = npo_db_cmd (self->db,
            "INSERT INTO members (party_org_id, uscc, id_type, id_number, status, doc,"
            " updated_by) VALUES ($1, $2, $3, $4, 'in', $5, $6)", 6, insert);
        kind = "created";
    }
    free (doc);
    if (rc) {
        if (s_conflict (self, "import_member", "members_one_register"))
            return -1;
        return npo_import_refuse (outcome, "store_conflict", "member_elsewhere");
    }
    if (npo_db_cmd (self->db, "RELEASE SAVEPOINT import_member", 0, NULL))
        return -1;
    //  The counts on the registers that changed (an update changes none)
    if ((!here && party_members_changed (self, m->uscc, org.division, request->actor))
    ||  (on_register && !here && party_members_changed (self, old_uscc, old_division,
                                                         request->actor)))
        return -1;
    outcome->outcome = npo_strdup (kind);
    return 0;
}

static size_t
s_member_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__PartyMember *m = (const Npo__PartyMember *) body;
    key [0] = m->id_type, key [1] = m->id_number;
    *uscc = m->uscc;
    return 2;
}

//  The sections ImportRecords stores here (docs/import.md section 4)
static const npo_import_section_t s_sections [] = {
    { 5, &npo__party_org__descriptor, s_store_party_org, s_party_org_key },
    { 6, &npo__party_member__descriptor, s_store_member, s_member_key },
};

void
party_import_records (party_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    npo_import_records (self->db, &self->actor, self->target, sizeof self->target, self,
                        request, reply, s_sections, sizeof s_sections / sizeof s_sections [0]);
}
