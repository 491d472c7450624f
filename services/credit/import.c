/*  import.c - npo-credit: penalties, cases and listings a province returns
 *  (docs/import.md sections 11 to 15)
 *
 *  ImportRecords stores a batch of one section in one transaction
 *  (common/quality.c keeps each record's findings with it). A record is
 *  stored through the same code as the service's own commands, so a new
 *  penalty emits credit.penalty_recorded and makes the listings the credit
 *  rules call for (and the registry revokes on revoke_registration), and a
 *  case emits credit.case_filed or credit.case_updated. A record equal to
 *  the stored one writes nothing and emits nothing.
 *
 *  A penalty is a decision with consequences: the import never changes a
 *  stored one. Its decision number with another organization (or person) or
 *  result is refused (store_conflict, decision_number_taken); other fields
 *  that differ are not applied (not_updatable). A case moves forward only,
 *  and a closed case stays closed.
 *
 *  A listing on a ground listed by hand is stored as the authority's
 *  decision (fact import:<listed_on>), removed by its removed_on; one on a
 *  ground the rules derive is compared with the service's own listings, not
 *  stored (outcome derived; listing_not_derived when there is none).
 *
 *  A person's fundraising penalty is personal in whole (docs/import.md 3.5,
 *  6.4): its findings name it by the decision number, never by a value of
 *  the record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "credit.h"
#include "log.h"
#include "quality.h"

//  A finding on what the record says but the service does not store
static void
s_not_stored (Npo__ImportOutcome *outcome, const char *rule, const char *field,
              const char *detail)
{
    npo_import_flag (outcome, rule, field, detail);
    Npo__Finding *f = outcome->findings [outcome->n_findings - 1];
    free (f->outcome);
    f->outcome = npo_strdup ("not_stored");
}

//  A field the import does not change: not applied
static void
s_not_updatable (Npo__ImportOutcome *outcome, const char *field, const char *detail)
{
    s_not_stored (outcome, "not_updatable", field, detail);
}

//  Refuses a record whose check in reply failed, with why (the check's own
//  message when why is NULL). Returns 0.
static int
s_refuse_check (Npo__ImportOutcome *outcome, Npo__Reply *check, const char *why)
{
    npo_import_refuse (outcome, "invalid_format", why? why: check->error_message);
    free (check->error_code);
    free (check->error_message);
    check->error_code = check->error_message = NULL;
    return 0;
}

//  Loads the organization's name and division (name_size bytes, 8 bytes)
//  from the service's copy of the register. Returns 0, 1 with the refusal
//  in outcome (not known, another province's), or -1 when the database
//  failed.
static int
s_org (credit_t *self, const char *uscc, const char *province, char *name, size_t name_size,
       char *division, Npo__ImportOutcome *outcome)
{
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT name, authority_division FROM orgs WHERE uscc = $1", 1, params);
    if (!res)
        return -1;
    int rc = 0;
    if (npo_import_org_refused (PQntuples (res)? PQgetvalue (res, 0, 1): NULL, province,
                                outcome))
        rc = 1;
    else {
        snprintf (name, name_size, "%s", PQgetvalue (res, 0, 0));
        snprintf (division, 8, "%s", PQgetvalue (res, 0, 1));
    }
    PQclear (res);
    return rc;
}

//  Flags not_updatable each field whose column (named in fields, one a
//  column of res's row from column first on) is false: it differs from what
//  is stored. Returns how many differ.
static int
s_differing (PGresult *res, int first, const char *const *fields, int n, const char *detail,
             Npo__ImportOutcome *outcome)
{
    int differ = 0;
    for (int i = 0; i < n; i++)
        if (*PQgetvalue (res, 0, first + i) == 'f') {
            s_not_updatable (outcome, fields [i], detail);
            differ++;
        }
    return differ;
}

//  ---------------------------------------------------------------------
//  Sections 11 and 13 (an organization): penalties

//  Stores a penalty on an organization (kind administrative or
//  fundraising) as RecordPenalty does, or compares it with the stored one.
static int
s_store_penalty (credit_t *self, const Npo__Request *request, const Npo__Penalty *p,
                 const char *kind, const char *province, Npo__ImportOutcome *outcome)
{
    Npo__Reply check = NPO__REPLY__INIT;
    if (credit_penalty_valid (p, false, &check))
        return s_refuse_check (outcome, &check, NULL);
    char name [800], division [8];
    int rc = s_org (self, p->uscc, province, name, sizeof name, division, outcome);
    if (rc)
        return rc < 0? -1: 0;
    char months [12];
    snprintf (months, sizeof months, "%u", p->stop_months);
    const char *params [12] = {
        kind, p->decision_number, *p->name? p->name: NULL, p->penalty_name, p->facts,
        p->legal_basis, *p->fine_amount? p->fine_amount: NULL, p->stop_months? months: NULL,
        p->authority, p->decided_on, p->uscc, p->result
    };
    //  (a name not given is the register's when it was recorded: not compared)
    PGresult *res = npo_db_exec (self->db,
        "SELECT uscc = $11 AND result = $12, name = coalesce ($3, name),"
        " penalty_name = $4, facts = $5, legal_basis = $6,"
        " fine_amount IS NOT DISTINCT FROM $7::numeric,"
        " stop_months IS NOT DISTINCT FROM $8::int, authority = $9, decided_on = $10::date"
        " FROM penalties WHERE kind = $1 AND decision_number = $2 FOR UPDATE", 12, params);
    if (!res)
        return -1;
    if (PQntuples (res) == 1) {
        bool same_party = *PQgetvalue (res, 0, 0) == 't';
        if (same_party) {
            static const char *const fields [] = {
                "name", "penalty_name", "facts", "legal_basis", "fine_amount", "stop_months",
                "authority", "decided_on"
            };
            s_differing (res, 1, fields, 8, "a recorded penalty is not changed by an import",
                         outcome);
            outcome->outcome = npo_strdup ("unchanged");
        }
        PQclear (res);
        if (!same_party)
            npo_import_refuse (outcome, "store_conflict", "decision_number_taken");
        return 0;
    }
    PQclear (res);
    Npo__Penalty recorded = *p;
    recorded.name = *p->name? p->name: name;
    recorded.kind = (char *) kind;
    uint64_t id;
    bool fresh;
    rc = credit_penalty_insert (self, &recorded, division, request->actor, &id, &fresh);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return npo_import_refuse (outcome, "store_conflict", "decision_number_taken");
    outcome->outcome = npo_strdup (fresh? "created": "unchanged");
    return 0;
}

static int
s_store_administrative (void *state, const Npo__Request *request, const void *body,
                        const char *province, Npo__ImportOutcome *outcome)
{
    const Npo__Penalty *p = body;
    if (*p->kind)
        return npo_import_refuse (outcome, "invalid_format", "kind: section 11 is"
                                  " administrative penalties");
    return s_store_penalty (state, request, p, "administrative", province, outcome);
}

static size_t
s_penalty_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__Penalty *p = (const Npo__Penalty *) body;
    key [0] = p->decision_number;
    *uscc = p->uscc;
    return 1;
}

//  ---------------------------------------------------------------------
//  Section 13: fundraising penalties, on an organization or a person

//  Stores a person's penalty, or compares it with the stored one. Every
//  text of a finding names the record by its decision number only.
static int
s_store_person (credit_t *self, const Npo__Request *request,
                const Npo__FundraisingPenalty *f, Npo__ImportOutcome *outcome)
{
    char named [420];
    int n = 400;                //  (100 characters of up to 4 bytes; never half of one)
    while (n > 0 && (size_t) n < strlen (f->decision_number)
           && (f->decision_number [n] & 0xC0) == 0x80)
        n--;
    snprintf (named, sizeof named, "decision_number %.*s", n, f->decision_number);
    char why [500];
    Npo__Reply check = NPO__REPLY__INIT;
    if (credit_person_penalty_valid (f, false, &check)) {
        //  (the check's message may quote the identity document's type)
        snprintf (why, sizeof why, "%s; %s", named, check.error_code);
        return s_refuse_check (outcome, &check, why);
    }
    const char *params [12] = {
        f->decision_number, f->id_type, f->id_number, f->result, f->party_name,
        *f->contact? f->contact: NULL, f->penalty_name, f->facts, f->legal_basis,
        *f->fine_amount? f->fine_amount: NULL, f->authority, f->decided_on
    };
    PGresult *res = npo_db_exec (self->db,
        "SELECT id_type = $2 AND id_number = $3 AND result = $4, party_name = $5,"
        " contact IS NOT DISTINCT FROM $6, penalty_name = $7, facts = $8, legal_basis = $9,"
        " fine_amount IS NOT DISTINCT FROM $10::numeric, authority = $11,"
        " decided_on = $12::date"
        " FROM person_penalties WHERE decision_number = $1 FOR UPDATE", 12, params);
    if (!res)
        return -1;
    snprintf (why, sizeof why, "%s; decision_number_taken", named);
    if (PQntuples (res) == 1) {
        bool same_party = *PQgetvalue (res, 0, 0) == 't';
        if (same_party) {
            static const char *const fields [] = {
                "party_name", "contact", "penalty_name", "facts", "legal_basis",
                "fine_amount", "authority", "decided_on"
            };
            char detail [500];
            snprintf (detail, sizeof detail, "%s; a recorded penalty is not changed by an"
                      " import", named);
            s_differing (res, 1, fields, 8, detail, outcome);
            outcome->outcome = npo_strdup ("unchanged");
        }
        PQclear (res);
        if (!same_party)
            npo_import_refuse (outcome, "store_conflict", why);
        return 0;
    }
    PQclear (res);
    uint64_t id;
    bool fresh;
    int rc = credit_person_penalty_insert (self, f, request->actor, &id, &fresh);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return npo_import_refuse (outcome, "store_conflict", why);
    outcome->outcome = npo_strdup (fresh? "created": "unchanged");
    return 0;
}

static int
s_store_fundraising (void *state, const Npo__Request *request, const void *body,
                     const char *province, Npo__ImportOutcome *outcome)
{
    const Npo__FundraisingPenalty *f = body;
    if (strcmp (f->party_type, "person") == 0)
        return s_store_person (state, request, f, outcome);
    if (strcmp (f->party_type, "organization") != 0)
        return npo_import_refuse (outcome, "invalid_format", "party_type: organization or"
                                  " person");
    if (*f->id_type || *f->id_number)
        return npo_import_refuse (outcome, "invalid_format", "id_type, id_number: for a person"
                                  " only; an organization is named by party_uscc");
    Npo__Penalty p;
    credit_fundraising_as_penalty (f, &p);
    return s_store_penalty (state, request, &p, "fundraising", province, outcome);
}

static size_t
s_fundraising_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__FundraisingPenalty *f = (const Npo__FundraisingPenalty *) body;
    key [0] = f->decision_number;
    key [1] = f->party_type;
    //  (a person's record belongs to no organization)
    *uscc = strcmp (f->party_type, "organization") == 0? f->party_uscc: "";
    return 2;
}

//  ---------------------------------------------------------------------
//  Section 12: case filings

static int
s_stage_rank (const char *stage)
{
    return strcmp (stage, "filed") == 0? 0: strcmp (stage, "investigating") == 0? 1:
           strcmp (stage, "closed") == 0? 2: -1;
}

//  The case number the import gives a case: the catalog has none, and an
//  authority files one case against one organization on one day
//  (docs/import.md 12). Returns 0, or -1 when the key is not whole.
static int
s_case_number (const Npo__CaseFiling *c, char *out, size_t size)
{
    if (!*c->authority_code || strlen (c->filed_on) != 10 || !*c->uscc)
        return -1;
    snprintf (out, size, "%s-%.4s%.2s%.2s-%s", c->authority_code, c->filed_on,
              c->filed_on + 5, c->filed_on + 8, c->uscc);
    return 0;
}

static int
s_store_case (void *state, const Npo__Request *request, const void *body,
              const char *province, Npo__ImportOutcome *outcome)
{
    credit_t *self = state;
    const Npo__CaseFiling *in = body;
    Npo__CaseFiling c = *in;
    char number [160];
    bool closed = strcmp (c.stage, "closed") == 0;
    size_t chars;
    const char *why = NULL;
    if (!uscc_valid (c.uscc) || !npo_date_valid (c.filed_on)
    ||  s_case_number (&c, number, sizeof number))
        why = "uscc, authority_code, filed_on: the case's key";
    else
    if (s_stage_rank (c.stage) < 0)
        why = "stage: filed, investigating or closed";
    else
    if (closed? !npo_date_valid (c.closed_on): *c.closed_on != 0)
        why = "closed_on: a date, with stage closed only";
    else
    //  A well-formed division missing from the table is kept (docs/import.md 3.1)
    if (strlen (c.authority_division) != 6 || !npo_digits (c.authority_division, 6))
        why = "authority_division: 6 digits";
    else
    if (!npo_utf8_valid (c.authority_code, false, &chars) || chars > 18
    ||  !npo_utf8_valid (c.authority, false, &chars) || chars > 200
    ||  !npo_utf8_valid (c.name, false, &chars) || chars > 200)
        why = "authority_code, authority, name: text of at most 18, 200, 200 characters";
    if (why)
        return npo_import_refuse (outcome, "invalid_format", why);
    c.case_number = number;
    char name [800], division [8];
    int rc = s_org (self, c.uscc, province, name, sizeof name, division, outcome);
    if (rc)
        return rc < 0? -1: 0;
    //  A copy of section 01's name: compared, the register's kept
    if (*c.name && strcmp (c.name, name))
        npo_import_flag (outcome, "org_field_mismatch", "name", "the register's name differs");
    const char *params [6] = { number, c.stage, c.authority, c.authority_division,
                               closed? c.closed_on: NULL, c.uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT uscc = $6, stage, stage = $2, closed_on IS NOT DISTINCT FROM $5::date,"
        " authority = $3, authority_division = $4"
        " FROM cases WHERE case_number = $1 FOR UPDATE", 6, params);
    if (!res)
        return -1;
    bool exists = PQntuples (res) == 1;
    const char *kind = "created";
    if (exists && *PQgetvalue (res, 0, 0) != 't') {
        PQclear (res);
        return npo_import_refuse (outcome, "store_conflict", "case_number_taken");
    }
    if (exists) {
        static const char *const fields [] = { "stage", "closed_on", "authority",
                                               "authority_division" };
        int differ = 0;
        for (int i = 0; i < 4; i++)
            differ += *PQgetvalue (res, 0, 2 + i) == 'f';
        int stored = s_stage_rank (PQgetvalue (res, 0, 1));
        kind = differ? "updated": "unchanged";
        //  A stage moves forward only; a closed case stays closed
        if (differ && stored == 2) {
            s_differing (res, 2, fields, 4, "a closed case stays closed", outcome);
            kind = "unchanged";
        }
        else
        if (differ && s_stage_rank (c.stage) < stored) {
            s_not_updatable (outcome, "stage", "a case's stage moves forward only");
            kind = "unchanged";
        }
    }
    PQclear (res);
    if (strcmp (kind, "unchanged") && credit_case_write (self, &c, name, division, exists,
                                                         request->actor, NULL))
        return -1;
    outcome->outcome = npo_strdup (kind);
    return 0;
}

static size_t
s_case_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__CaseFiling *c = (const Npo__CaseFiling *) body;
    key [0] = *uscc = c->uscc, key [1] = c->authority_code, key [2] = c->filed_on;
    return 3;
}

//  ---------------------------------------------------------------------
//  Sections 14 and 15: the abnormal and serious lists

//  Flags copies of section 01's fields that differ from the register's.
static int
s_compare_org (credit_t *self, const Npo__Listing *l, Npo__ImportOutcome *outcome)
{
    const char *params [3] = { l->uscc, *l->name? l->name: NULL,
                               *l->registration_authority? l->registration_authority: NULL };
    PGresult *res = npo_db_exec (self->db,
        "SELECT name = coalesce ($2, name), registration_authority"
        " = coalesce ($3, registration_authority) FROM orgs WHERE uscc = $1", 3, params);
    if (!res)
        return -1;
    static const char *const fields [2] = { "name", "registration_authority" };
    for (int i = 0; i < 2 && PQntuples (res) == 1; i++)
        if (*PQgetvalue (res, 0, i) == 'f')
            npo_import_flag (outcome, "org_field_mismatch", fields [i], "the register's differs");
    PQclear (res);
    return 0;
}

//  A ground the rules derive from facts (a year not filed, a penalty, time on
//  the abnormal list) is compared, not stored (docs/import.md 3.6): the
//  service must hold a listing of the ground open on listed_on.
static int
s_compare_derived (credit_t *self, const Npo__Listing *l, const char *list,
                   Npo__ImportOutcome *outcome)
{
    char ground [12];
    snprintf (ground, sizeof ground, "%u", l->ground);
    const char *params [4] = { l->uscc, list, ground, l->listed_on };
    PGresult *res = npo_db_exec (self->db,
        "SELECT 1 FROM listings WHERE uscc = $1 AND list = $2 AND ground = $3"
        " AND listed_on <= $4::date AND (removed_on IS NULL OR removed_on > $4::date)"
        " LIMIT 1", 4, params);
    if (!res)
        return -1;
    if (PQntuples (res) == 0)
        s_not_stored (outcome, "listing_not_derived", "ground", "the credit service holds no"
                      " listing of this ground open on listed_on: the fact it rests on was"
                      " not returned, or differs");
    PQclear (res);
    outcome->outcome = npo_strdup ("derived");
    return 0;
}

//  A listing on a ground listed by hand, keyed by organization and date
//  (fact import:<listed_on>), removed by its removed_on on application: the
//  province's authority decided both.
static int
s_store_listing (void *state, const Npo__Request *request, const void *body,
                 const char *province, Npo__ImportOutcome *outcome)
{
    credit_t *self = state;
    const Npo__Listing *l = body;
    bool abnormal = request->import_records->section == 14;
    const char *list = abnormal? "abnormal": "serious";
    size_t a, b, c, d;
    const char *why = NULL;
    if (!uscc_valid (l->uscc) || !npo_date_valid (l->listed_on))
        why = "uscc, listed_on: the listing's key";
    else
    if (l->ground < 1 || l->ground > (abnormal? 7u: 8u))
        why = "ground: 1 to 7 (section 14), 1 to 8 (section 15)";
    else
    if (*l->removed_on? !npo_date_valid (l->removed_on): *l->removed_reason != 0)
        why = "removed_on: a date; removed_reason with it only";
    else
    if (!npo_utf8_valid (l->listed_reason, true, &a) || !npo_utf8_valid (l->removed_reason,
                                                                         true, &b)
    ||  !npo_utf8_valid (l->name, false, &c) || !npo_utf8_valid (l->registration_authority,
                                                                 false, &d)
    ||  a > 2000 || b > 2000 || c > 200 || d > 200)
        why = "listed_reason, removed_reason, name, registration_authority: text of at most"
              " 2000, 2000, 200, 200 characters";
    if (why)
        return npo_import_refuse (outcome, "invalid_format", why);
    char name [800], division [8];
    int rc = s_org (self, l->uscc, province, name, sizeof name, division, outcome);
    if (rc)
        return rc < 0? -1: 0;
    if (s_compare_org (self, l, outcome))
        return -1;
    if (!credit_manual_ground (list, l->ground))
        return s_compare_derived (self, l, list, outcome);
    char key [40], ground [12];
    snprintf (key, sizeof key, "import:%s", l->listed_on);
    snprintf (ground, sizeof ground, "%u", l->ground);
    const char *params [6] = { l->uscc, list, key, ground, l->listed_reason,
                               l->removed_reason };
    const char *select =
        "SELECT id, ground = $4::int, listed_reason = $5, coalesce (removed_on::text, ''),"
        " coalesce (removed_reason, '') = $6"
        " FROM listings WHERE uscc = $1 AND list = $2 AND fact_key = $3 FOR UPDATE";
    PGresult *res = npo_db_exec (self->db, select, 6, params);
    if (!res)
        return -1;
    const char *kind = "unchanged";
    if (PQntuples (res) == 0) {
        PQclear (res);
        const char *facts [1] = { key };
        credit_listing_t listing = { l->uscc, name, division, list, (int) l->ground,
                                     l->listed_on, l->listed_reason, facts, 1, key, 0 };
        if (credit_list (self, &listing, request->actor))
            return -1;
        res = npo_db_exec (self->db, select, 6, params);
        if (!res || PQntuples (res) != 1) {
            PQclear (res);
            return -1;
        }
        kind = "created";
    }
    else {
        static const char *const fields [] = { "ground", "listed_reason" };
        if (s_differing (res, 1, fields, 2, "a listing's ground and reason are not changed"
                         " by an import", outcome)) {
            PQclear (res);
            outcome->outcome = npo_strdup ("unchanged");
            return 0;
        }
    }
    const char *stored = PQgetvalue (res, 0, 3);
    bool same_reason = *PQgetvalue (res, 0, 4) == 't';
    if (*l->removed_on && !*stored) {
        rc = credit_unlist (self, PQgetvalue (res, 0, 0), l->removed_on, l->removed_reason,
                            "application", request->actor);
        if (strcmp (kind, "unchanged") == 0)
            kind = "updated";
    }
    else
    if (strcmp (stored, l->removed_on) || (*stored && !same_reason))
        s_not_updatable (outcome, strcmp (stored, l->removed_on)? "removed_on":
                         "removed_reason", "a removal is not changed by an import");
    PQclear (res);
    if (rc)
        return -1;
    outcome->outcome = npo_strdup (kind);
    return 0;
}

static size_t
s_listing_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__Listing *l = (const Npo__Listing *) body;
    key [0] = *uscc = l->uscc, key [1] = l->listed_on;
    return 2;
}

//  The sections ImportRecords stores here (docs/import.md section 4)
static const npo_import_section_t s_sections [] = {
    { 11, &npo__penalty__descriptor, s_store_administrative, s_penalty_key },
    { 12, &npo__case_filing__descriptor, s_store_case, s_case_key },
    { 13, &npo__fundraising_penalty__descriptor, s_store_fundraising, s_fundraising_key },
    { 14, &npo__listing__descriptor, s_store_listing, s_listing_key },
    { 15, &npo__listing__descriptor, s_store_listing, s_listing_key },
};

void
credit_import_records (credit_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    npo_import_records (self->db, &self->actor, self->target, sizeof self->target, self,
                        request, reply, s_sections, sizeof s_sections / sizeof s_sections [0]);
}
