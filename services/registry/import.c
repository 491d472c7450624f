/*  import.c - npo-registry: organizations a province returns (docs/import.md)
 *
 *  ImportOrgs upserts catalog section 01 records by uscc, under the codes
 *  the province's system assigned, in one transaction a batch. A record
 *  equal to the stored one writes nothing and emits nothing, so a file
 *  imported twice changes nothing; a new one emits registry.org_registered,
 *  a changed one registry.org_changed, as the registry's own commands do.
 *  npoctl has checked each record already; here only what storing needs is
 *  checked again, and what the tables refuse (a code or an active name
 *  already another organization's) is refused for that record alone. The
 *  record's findings (npoctl's and the registry's own) are kept in the same
 *  transaction (common/quality.c): found again stays open, not found again
 *  is fixed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "log.h"
#include "actor.h"
#include "quality.h"
#include "registry.h"

//  What storing needs (docs/import.md 3.1: the key and the `store` fields),
//  and the services' own bounds on every text. Returns NULL, or why not.
static const char *
s_storable (const Npo__ImportedOrg *rec, const char *province)
{
    const Npo__BasicInfo *b = rec->basic;
    static const char *const statuses [] = { "active", "deregistered", "revoked" };
    bool status = false;
    for (int i = 0; i < 3; i++)
        status = status || strcmp (rec->status, statuses [i]) == 0;
    if (!uscc_valid (rec->uscc))
        return "invalid_uscc";
    if (!b || strlen (b->name) < 4 || !reg_type_code (b->type) || !status
    ||  !npo_date_valid (rec->approved_on))
        return "missing_required";
    //  A well-formed division missing from an old table is the province's
    //  code still (docs/import.md 3.1: kept)
    if (strlen (b->authority_division) != 6 || !npo_digits (b->authority_division, 6))
        return "invalid_format";
    if (strncmp (b->authority_division, province, 2))
        return "out_of_province";
    const ProtobufCMessageDescriptor *desc = &npo__basic_info__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        if (f->type != PROTOBUF_C_TYPE_STRING)
            continue;
        const char *text = *(char **) ((char *) b + f->offset);
        bool scope = strcmp (f->name, "business_scope") == 0;
        size_t chars;
        if (!npo_utf8_valid (text, scope, &chars) || chars > (scope? 2000u: 200u))
            return "invalid_format";
    }
    return NULL;
}

//  Returns true when the stored organization holds this basic information,
//  approval date and status.
static bool
s_same (const Npo__Organization *stored, const Npo__BasicInfo *basic, const char *approved_on,
        const char *status)
{
    size_t a = npo__basic_info__get_packed_size (stored->basic);
    size_t b = npo__basic_info__get_packed_size (basic);
    if (a != b || strcmp (stored->status, status) || strcmp (stored->approved_on, approved_on))
        return false;
    unsigned char *x = malloc (a + 1), *y = malloc (b + 1);
    if (!x || !y)
        abort ();
    npo__basic_info__pack (stored->basic, x);
    npo__basic_info__pack (basic, y);
    bool same = memcmp (x, y, a) == 0;
    free (x);
    free (y);
    return same;
}

//  Sets outcome's refusal from the constraint the database named.
static void
s_refusal (const char *constraint, Npo__ImportOutcome *outcome)
{
    if (strcmp (constraint, "organizations_active_name") == 0) {
        outcome->error_code = npo_strdup ("same_org_two_codes");
        outcome->error_message = npo_strdup ("an active organization of this authority "
                                             "already has this name");
    }
    else {
        outcome->error_code = npo_strdup ("duplicate_code");
        outcome->error_message = npo_strdup ("the organization code in this uscc is "
                                             "another organization's");
    }
}

//  Stores one record; fills outcome. Returns 0, or -1 when the database
//  failed (the batch is rolled back).
static int
s_import_one (reg_t *self, const Npo__Request *request, const Npo__ImportedOrg *rec,
              const char *province, Npo__ImportOutcome *outcome)
{
    const char *why = s_storable (rec, province);
    if (why) {
        outcome->outcome = npo_strdup ("refused");
        outcome->error_code = npo_strdup (why);
        outcome->error_message = npo_strdup ("the record cannot be stored (docs/import.md 3.1)");
        return 0;
    }
    bool found;
    Npo__Organization *stored = reg_db_load_org (self, rec->uscc, true, &found);
    if (!stored && (found || *npo_db_sqlstate (self->db)))
        return -1;
    Npo__BasicInfo basic = *rec->basic;
    Npo__Organization org = NPO__ORGANIZATION__INIT;
    org.uscc = rec->uscc;
    org.approved_on = rec->approved_on;
    org.updated_at_us = npo_now_us ();
    org.basic = &basic;
    char org_code [10];
    snprintf (org_code, sizeof org_code, "%s", rec->uscc + 8);
    org.org_code = org_code;
    const char *kind;
    if (stored && strncmp (stored->basic->authority_division, province, 2)) {
        //  Another province's organization: not this return's to change
        npo__organization__free_unpacked (stored, NULL);
        outcome->outcome = npo_strdup ("refused");
        outcome->error_code = npo_strdup ("out_of_province");
        outcome->error_message = npo_strdup ("the register holds this organization under "
                                             "another province's authority");
        return 0;
    }
    if (stored) {
        //  Section 04 owns the capital and the activity area: kept. A status
        //  changes by deregistration (07) or revocation (11), which revoke
        //  the certificate and end the posts too: section 01 never moves it
        basic.registered_capital = stored->basic->registered_capital;
        basic.activity_area = stored->basic->activity_area;
        org.status = stored->status;
        if (strcmp (org.status, rec->status))
            outcome->kept_status = npo_strdup (stored->status);
        if (s_same (stored, &basic, rec->approved_on, org.status)) {
            outcome->outcome = npo_strdup ("unchanged");
            npo__organization__free_unpacked (stored, NULL);
            return 0;
        }
        org.version = stored->version + 1;
        kind = "updated";
    }
    else {
        org.status = rec->status;
        org.version = 1;
        kind = "created";
    }
    //  A refusal by the tables undoes this record only
    int rc = npo_db_cmd (self->db, "SAVEPOINT import_one", 0, NULL);
    if (rc == 0 && stored) {
        const char *params [2] = { rec->uscc, rec->approved_on };
        rc = reg_db_update_org (self, &org)
          || npo_db_cmd (self->db, "UPDATE organizations SET approved_on = $2"
                         " WHERE uscc = $1", 2, params);
    }
    else
    if (rc == 0)
        rc = reg_db_insert_org (self, &org, 0);
    if (rc && *npo_db_constraint (self->db)) {
        //  (read before the rollback, which clears it)
        char constraint [64];
        snprintf (constraint, sizeof constraint, "%s", npo_db_constraint (self->db));
        npo__organization__free_unpacked (stored, NULL);
        if (npo_db_cmd (self->db, "ROLLBACK TO SAVEPOINT import_one", 0, NULL))
            return -1;
        outcome->outcome = npo_strdup ("refused");
        s_refusal (constraint, outcome);
        return 0;
    }
    if (rc == 0)
        rc = npo_db_cmd (self->db, "RELEASE SAVEPOINT import_one", 0, NULL);
    if (rc == 0) {
        //  The events the registry's own commands emit
        bool ok;
        if (stored) {
            Npo__OrgChanged event = NPO__ORG_CHANGED__INIT;
            event.organization = &org;
            ok = npo_outbox_append (self->outbox, "registry.org_changed", org.uscc,
                                    basic.authority_division, request->actor, &event.base);
        }
        else {
            Npo__OrgRegistered event = NPO__ORG_REGISTERED__INIT;
            event.organization = &org;
            ok = npo_outbox_append (self->outbox, "registry.org_registered", org.uscc,
                                    basic.authority_division, request->actor, &event.base);
        }
        rc = ok? 0: -1;
    }
    npo__organization__free_unpacked (stored, NULL);
    if (rc == 0)
        outcome->outcome = npo_strdup (kind);
    return rc;
}

void
reg_list_findings (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__ListFindings *cmd = request->list_findings;
    //  The ministry, auditors, and the province's registrar
    npo_actor_t writer = self->actor;
    if (strcmp (writer.role, "auditor") == 0)
        snprintf (writer.role, sizeof writer.role, "ministry");
    char scratch [64];
    snprintf (self->target, sizeof self->target, "findings:%.8s", cmd->province);
    if (npo_import_allowed (&writer, cmd->province, scratch, sizeof scratch, reply))
        npo_findings_list (self->db, cmd, reply);
}

static int
s_store_org (void *self, const Npo__Request *request, const void *body, const char *province,
             Npo__ImportOutcome *outcome)
{
    return s_import_one (self, request, body, province, outcome);
}

void
reg_import_orgs (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__ImportOrgs *cmd = request->import_orgs;
    if (!npo_import_allowed (&self->actor, cmd->province, self->target, sizeof self->target,
                             reply))
        return;
    npo_import_record_t *records = calloc (cmd->n_orgs + 1, sizeof *records);
    if (!records)
        abort ();
    for (size_t i = 0; i < cmd->n_orgs; i++) {
        const Npo__ImportedOrg *o = cmd->orgs [i];
        records [i] = (npo_import_record_t) { .ref = uscc_valid (o->uscc)? o->uscc: NULL,
                                              .uscc = o->uscc, .findings = o->findings,
                                              .n_findings = o->n_findings,
                                              .refused = o->refused, .path = o->path,
                                              .line = o->line };
    }
    npo_import_batch (self->db, self, request, reply, cmd->province, 1, cmd->found_on, records,
                      (void *const *) cmd->orgs, cmd->n_orgs, s_store_org);
    free (records);
}

//  ---------------------------------------------------------------------
//  Sections 02 and 03: officers and their posts (docs/import.md section 4)

static const char *const s_positions [] = {
    "legal_representative", "responsible_person", "director", "supervisor", "other", NULL
};

//  Returns true when the texts fit the registry's bounds (200 characters,
//  no control characters) and each date is empty or a date from 1900 to
//  today.
static bool
s_fits (const char *const *texts, size_t n_texts, const char *const *dates, size_t n_dates)
{
    for (size_t i = 0; i < n_texts; i++) {
        size_t chars;
        if (!npo_utf8_valid (texts [i], false, &chars) || chars > 200)
            return false;
    }
    char today [11];
    npo_today (today);
    for (size_t i = 0; i < n_dates; i++)
        if (*dates [i] && (!npo_calendar_date (dates [i]) || strcmp (dates [i], "1900-01-01") < 0
                           || strcmp (dates [i], today) > 0))
            return false;
    return true;
}

//  The key of a post: a valid code, a known position and a valid identity
//  document. Returns NULL, or the refusal's code.
static const char *
s_post_key (const char *uscc, const char *id_type, const char *id_number, const char *position)
{
    if (!uscc_valid (uscc))
        return "invalid_uscc";
    bool known = false;
    for (const char *const *p = s_positions; *p && !known; p++)
        known = strcmp (*p, position) == 0;
    Npo__Reply check = NPO__REPLY__INIT;
    if (!known || npo_identity_check (id_type, id_number, NULL, &check)) {
        free (check.error_code);
        free (check.error_message);
        return "invalid_format";
    }
    return NULL;
}

//  What a post needs of its organization.
typedef struct {
    char type [16], status [16], division [8];
} s_post_org_t;

//  Loads the organization a post belongs to into org. Returns 0, 1 with the
//  refusal in outcome, or -1 when the database failed.
static int
s_post_org (reg_t *self, const char *uscc, const char *province, s_post_org_t *org,
            Npo__ImportOutcome *outcome)
{
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db, "SELECT type, status, authority_division"
                                 " FROM organizations WHERE uscc = $1", 1, params);
    if (!res)
        return -1;
    int rc = 0;
    if (PQntuples (res) == 0)
        rc = 1 + npo_import_refuse (outcome, "unknown_org_reference",
                           "the organization is not in the register (docs/import.md 3.3)");
    else
    if (strncmp (PQgetvalue (res, 0, 2), province, 2))
        rc = 1 + npo_import_refuse (outcome, "out_of_province", "the register holds this organization"
                           " under another province's authority");
    else {
        snprintf (org->type, sizeof org->type, "%s", PQgetvalue (res, 0, 0));
        snprintf (org->status, sizeof org->status, "%s", PQgetvalue (res, 0, 1));
        snprintf (org->division, sizeof org->division, "%s", PQgetvalue (res, 0, 2));
    }
    PQclear (res);
    return rc;
}

//  Runs a write of a post under a savepoint: a uniqueness rule of the
//  table refuses the record alone (store_conflict, with the rule's code).
//  Returns the rows written (0 or 1), -2 refused, or -1 when the database
//  failed.
static int
s_post_write (reg_t *self, const char *sql, int n, const char *const *params,
              Npo__ImportOutcome *outcome)
{
    if (npo_db_cmd (self->db, "SAVEPOINT import_post", 0, NULL))
        return -1;
    PGresult *res = npo_db_exec (self->db, sql, n, params);
    if (!res) {
        char constraint [64];
        snprintf (constraint, sizeof constraint, "%s", npo_db_constraint (self->db));
        if (!*constraint || npo_db_cmd (self->db, "ROLLBACK TO SAVEPOINT import_post", 0, NULL))
            return -1;
        npo_import_refuse (outcome, "store_conflict",
                  strcmp (constraint, "officer_posts_one_social_group_lr") == 0?
                  "already_legal_representative": "already_holds_post");
        return -2;
    }
    int rows = atoi (PQcmdTuples (res));
    PQclear (res);
    return npo_db_cmd (self->db, "RELEASE SAVEPOINT import_post", 0, NULL)? -1: rows;
}

//  Emits registry.officer_changed for a post written (no personal field).
static int
s_post_event (reg_t *self, const Npo__Request *request, const char *uscc,
              const s_post_org_t *org, const char *position, const char *action)
{
    Npo__OfficerChanged event = NPO__OFFICER_CHANGED__INIT;
    event.org_uscc = (char *) uscc;
    event.position = (char *) position;
    event.action = (char *) action;
    return npo_outbox_append (self->outbox, "registry.officer_changed", uscc, org->division,
                              request->actor, &event.base)? 0: -1;
}

//  Section 03: one tenure, keyed by organization, person, position and
//  start. It takes the post of its key, else the post section 02 made
//  without a start, else it is a new post. The person's name is section
//  02's: a tenure gives it only to a post that has none, so that the two
//  sections never undo each other on every import.
static int
s_store_post (void *state, const Npo__Request *request, const void *body,
              const char *province, Npo__ImportOutcome *outcome)
{
    reg_t *self = state;
    const Npo__WorkPost *p = body;
    const char *why = s_post_key (p->org_uscc, p->id_type, p->id_number, p->position);
    const char *texts [2] = { p->name, p->employer };
    const char *dates [3] = { p->start_on, p->appointed_on, p->end_on };
    if (!why && (!*p->start_on || !s_fits (texts, 2, dates, 3)))
        why = *p->start_on? "invalid_format": "missing_required";
    if (why)
        return npo_import_refuse (outcome, why, "the record cannot be stored (docs/import.md 3.1)");
    s_post_org_t org;
    int rc = s_post_org (self, p->org_uscc, province, &org, outcome);
    if (rc)
        return rc < 0? -1: 0;
    const char *appointed = *p->appointed_on? p->appointed_on: p->start_on;
    const char *params [10] = {
        p->org_uscc, p->id_type, p->id_number, p->position, p->start_on, p->name,
        appointed, *p->end_on? p->end_on: NULL, p->employer, org.type
    };
    //  The post of the key, or one without a start: changed only if it differs
    int rows = s_post_write (self,
        "UPDATE officer_posts SET start_on = $5, name = coalesce (nullif (name, ''), $6),"
        " appointed_on = $7, end_on = $8, employer = $9"
        " WHERE id = (SELECT id FROM officer_posts WHERE org_uscc = $1"
        "   AND id_type = $2 AND id_number = $3 AND position = $4"
        "   AND (start_on = $5 OR start_on IS NULL) ORDER BY start_on NULLS LAST, id LIMIT 1)"
        " AND (start_on, name, appointed_on, end_on, employer)"
        "     IS DISTINCT FROM ($5::date, coalesce (nullif (name, ''), $6), $7::date, $8::date,"
        "                       $9)", 9, params, outcome);
    const char *kind = "updated";
    if (rows == 0) {
        //  Unchanged, or none yet
        PGresult *res = npo_db_exec (self->db, "SELECT 1 FROM officer_posts WHERE org_uscc = $1"
                                     " AND id_type = $2 AND id_number = $3 AND position = $4"
                                     " AND start_on = $5", 5, params);
        if (!res)
            return -1;
        bool stored = PQntuples (res) > 0;
        PQclear (res);
        if (stored)
            kind = "unchanged";
        else {
            kind = "created";
            rows = s_post_write (self,
                "INSERT INTO officer_posts (org_uscc, id_type, id_number, position, start_on,"
                " name, appointed_on, end_on, employer, org_type)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10, params, outcome);
        }
    }
    if (rows == -1)
        return -1;
    if (rows == -2)
        return 0;
    if (!*p->end_on && strcmp (org.status, "active"))
        npo_import_flag (outcome, "inconsistent_status", "end_on", "a post held in an organization"
                " that is not active");
    outcome->outcome = npo_strdup (kind);
    if (rows == 1)
        return s_post_event (self, request, p->org_uscc, &org, p->position,
                             *p->end_on? "ended": "appointed");
    return 0;
}

//  Section 02: the person in a post, keyed by organization, person and
//  position. It describes the person's latest post of that position there,
//  else makes one (from the record's start_on, if any). An absent name keeps
//  the stored one (section 03's).
static int
s_store_officer (void *state, const Npo__Request *request, const void *body,
                 const char *province, Npo__ImportOutcome *outcome)
{
    reg_t *self = state;
    const Npo__AppointOfficer *cmd = body;
    const Npo__Officer *o = cmd->officer;
    if (!o)
        return npo_import_refuse (outcome, "missing_required", "the record has no officer");
    const char *why = s_post_key (o->org_uscc, o->id_type, o->id_number, o->position);
    const char *texts [10] = {
        o->name, o->ethnicity, o->nationality, o->political_status, o->mail_address,
        o->postal_code, o->mobile, o->phone, o->gender, o->employer
    };
    const char *dates [3] = { o->birth_date, cmd->start_on, cmd->appointed_on };
    if (!why && (!s_fits (texts, 10, dates, 3)
                 || (*o->gender && strcmp (o->gender, "male") && strcmp (o->gender, "female"))))
        why = "invalid_format";
    if (why)
        return npo_import_refuse (outcome, why, "the record cannot be stored (docs/import.md 3.1)");
    s_post_org_t org;
    int rc = s_post_org (self, o->org_uscc, province, &org, outcome);
    if (rc)
        return rc < 0? -1: 0;
    //  A resident ID carries the birth date (docs/import.md 02)
    char birth [11] = "";
    if (*o->birth_date)
        snprintf (birth, sizeof birth, "%s", o->birth_date);
    else
    if (strcmp (o->id_type, "resident_id") == 0)
        snprintf (birth, sizeof birth, "%.4s-%.2s-%.2s", o->id_number + 6, o->id_number + 10,
                  o->id_number + 12);
    const char *appointed = *cmd->appointed_on? cmd->appointed_on: cmd->start_on;
    const char *params [18] = {
        o->org_uscc, o->id_type, o->id_number, o->position, o->name, *birth? birth: NULL,
        o->gender, o->ethnicity, o->nationality, o->political_status, o->mail_address,
        o->postal_code, o->mobile, o->phone, o->full_time? "true": "false",
        *cmd->start_on? cmd->start_on: NULL, *appointed? appointed: NULL, org.type
    };
    PGresult *res = npo_db_exec (self->db,
        "SELECT id, start_on IS NULL FROM officer_posts WHERE org_uscc = $1 AND id_type = $2"
        " AND id_number = $3 AND position = $4 ORDER BY start_on DESC NULLS FIRST, id DESC"
        " LIMIT 1", 4, params);
    if (!res)
        return -1;
    bool found = PQntuples (res) > 0;
    char id [24] = "";
    bool no_start = !found && !*cmd->start_on;
    if (found) {
        snprintf (id, sizeof id, "%s", PQgetvalue (res, 0, 0));
        no_start = *PQgetvalue (res, 0, 1) == 't';
    }
    PQclear (res);
    const char *kind;
    int rows;
    if (found) {
        const char *update [13] = {
            id, params [4], params [5], params [6], params [7], params [8], params [9],
            params [10], params [11], params [12], params [13], params [14]
        };
        rows = s_post_write (self,
            "UPDATE officer_posts SET name = coalesce (nullif ($2, ''), name),"
            " birth_date = $3, gender = $4, ethnicity = $5, nationality = $6,"
            " political_status = $7, mail_address = $8, postal_code = $9, mobile = $10,"
            " phone = $11, full_time = $12 WHERE id = $1"
            " AND (name, birth_date, gender, ethnicity, nationality, political_status,"
            "      mail_address, postal_code, mobile, phone, full_time)"
            "     IS DISTINCT FROM (coalesce (nullif ($2, ''), name), $3::date, $4, $5, $6, $7,"
            "                       $8, $9, $10, $11, $12::boolean)", 12, update, outcome);
        kind = rows == 0? "unchanged": "updated";
    }
    else {
        rows = s_post_write (self,
            "INSERT INTO officer_posts (org_uscc, id_type, id_number, position, name,"
            " birth_date, gender, ethnicity, nationality, political_status, mail_address,"
            " postal_code, mobile, phone, full_time, start_on, appointed_on, org_type)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
            " $17, $18)", 18, params, outcome);
        kind = "created";
    }
    if (rows == -1)
        return -1;
    if (rows == -2)
        return 0;
    if (no_start)
        npo_import_flag (outcome, "missing_related", "start_on", "a post with no start date: give its"
                " section 03 record");
    outcome->outcome = npo_strdup (kind);
    if (rows == 1)
        return s_post_event (self, request, o->org_uscc, &org, o->position,
                             found? "updated": "appointed");
    return 0;
}

static size_t
s_officer_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__Officer *o = ((const Npo__AppointOfficer *) body)->officer;
    if (!o)
        return 0;
    key [0] = *uscc = o->org_uscc, key [1] = o->id_type, key [2] = o->id_number;
    key [3] = o->position;
    return 4;
}

static size_t
s_post_key_of (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__WorkPost *p = (const Npo__WorkPost *) body;
    key [0] = *uscc = p->org_uscc, key [1] = p->id_type, key [2] = p->id_number;
    key [3] = p->position, key [4] = p->start_on;
    return 5;
}

//  The sections ImportRecords stores here (docs/import.md section 4)
static const npo_import_section_t s_sections [] = {
    { 2, &npo__appoint_officer__descriptor, s_store_officer, s_officer_key },
    { 3, &npo__work_post__descriptor, s_store_post, s_post_key_of },
};

void
reg_import_records (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    npo_import_records (self->db, &self->actor, self->target, sizeof self->target, self,
                        request, reply, s_sections, sizeof s_sections / sizeof s_sections [0]);
}
