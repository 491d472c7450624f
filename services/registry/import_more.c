/*  import_more.c - npo-registry: certificates, deregistrations and changes a
 *  province returns (docs/import.md sections 04, 07 and 09)
 *
 *  Stored through ImportRecords (import.c lists them) as the registry's own
 *  commands store them, without an application: a certificate is issued and
 *  signed by certificates.c, a deregistration revokes it, a change is a row
 *  of the change history. A record equal to what is stored writes nothing
 *  and emits nothing; otherwise the event the registry's own command emits
 *  goes out, so publication, inspection and credit follow. Personal values
 *  (a liquidation leader, a contact item's before and after) are stored
 *  here and never put in an event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "log.h"
#include "quality.h"
#include "registry.h"

//  Why a record cannot be stored (docs/import.md 3.1)
#define S_WHY  "the record cannot be stored (docs/import.md 3.1)"

//  Returns true when text is empty or at most max characters of text
//  (multiline: tab and line breaks allowed).
static bool
s_fits (const char *text, bool multiline, size_t max)
{
    size_t chars;
    return npo_utf8_valid (text, multiline, &chars) && chars <= max;
}

bool
reg_lines_fit (const char *const *texts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s_fits (texts [i], false, 200))
            return false;
    return true;
}

//  Loads the organization a record names, locked, into *org. Returns 0; 1
//  with the refusal in outcome (not in the register, another province's);
//  -1 when the database failed.
static int
s_load_org (reg_t *self, const char *uscc, const char *province, Npo__Organization **org,
            Npo__ImportOutcome *outcome)
{
    bool found;
    *org = reg_db_load_org (self, uscc, true, &found);
    if (!*org && (found || *npo_db_sqlstate (self->db)))
        return -1;
    if (!npo_import_org_refused (*org? (*org)->basic->authority_division: NULL, province,
                                 outcome))
        return 0;
    npo__organization__free_unpacked (*org, NULL);
    *org = NULL;
    return 1;
}

//  Flags a copy of a section 01 field that differs from the register's
//  (docs/import.md 8.4: copies are compared, not stored).
static void
s_compare (Npo__ImportOutcome *outcome, const char *field, const char *copy,
           const char *registered, const char *rule)
{
    if (*copy && strcmp (copy, registered))
        npo_import_flag (outcome, rule, field, "differs from the register's section 01 value");
}

//  Stamps org as a new version of itself.
static void
s_next_version (Npo__Organization *org)
{
    org->version++;
    org->updated_at_us = npo_now_us ();
}

//  ---------------------------------------------------------------------
//  Section 04: the organization's current certificate

int
reg_store_certificate (void *state, const Npo__Request *request, const void *body,
                       const char *province, Npo__ImportOutcome *outcome)
{
    reg_t *self = state;
    const Npo__CertificateRecord *r = body;
    const char *texts [6] = {
        r->activity_area, r->name, r->address, r->legal_representative, r->business_unit,
        r->issuing_authority
    };
    //  The capital as the register keeps it: numeric(16, 2), "30000.00"
    char capital [32] = "";
    long long cents;
    if (*r->registered_capital && npo_amount_cents (r->registered_capital, false, &cents) == 0)
        snprintf (capital, sizeof capital, "%lld.%02lld", cents / 100, cents % 100);
    bool dates = (!*r->valid_from || npo_date_valid (r->valid_from))
              && (!*r->issued_on || npo_date_valid (r->issued_on))
              && (!*r->valid_to || npo_calendar_date (r->valid_to));
    if (!uscc_valid (r->uscc) || (*r->registered_capital && !*capital) || !dates
    ||  !reg_lines_fit (texts, 6) || !s_fits (r->business_scope, true, 2000))
        return npo_import_refuse (outcome, "invalid_format", S_WHY);
    Npo__Organization *org;
    int rc = s_load_org (self, r->uscc, province, &org, outcome);
    if (rc)
        return rc < 0? -1: 0;
    Npo__BasicInfo *b = org->basic;
    s_compare (outcome, "name", r->name, b->name, "org_field_mismatch");
    s_compare (outcome, "address", r->address, b->address, "org_field_mismatch");
    s_compare (outcome, "legal_representative", r->legal_representative,
               b->legal_representative, "legal_rep_mismatch");
    s_compare (outcome, "business_scope", r->business_scope, b->business_scope,
               "org_field_mismatch");
    s_compare (outcome, "business_unit", r->business_unit, b->business_unit,
               "org_field_mismatch");
    s_compare (outcome, "issuing_authority", r->issuing_authority, b->registration_authority,
               "org_field_mismatch");
    //  Absent dates as the table of section 04 says
    char from [11], to [11], issued [11];
    snprintf (from, sizeof from, "%s", *r->valid_from? r->valid_from: org->approved_on);
    snprintf (to, sizeof to, "%s", r->valid_to);
    snprintf (issued, sizeof issued, "%s", *r->issued_on? r->issued_on: from);
    if (!*to && reg_cert_default_to (self, from, to))
        goto failed;
    //  (given both, npoctl compared them already)
    if (*r->valid_to && !*r->valid_from && strcmp (to, from) < 0)
        npo_import_flag (outcome, "date_order", "valid_to", "before valid_from, which is the"
                         " approval date");
    bool same_row = strcmp (b->registered_capital, capital) == 0
                 && strcmp (b->activity_area, r->activity_area) == 0;
    //  The organization as it will print: the section 04 fields are this record's
    free (b->registered_capital);
    free (b->activity_area);
    b->registered_capital = npo_strdup (capital);
    b->activity_area = npo_strdup (r->activity_area);
    bool active = strcmp (org->status, "active") == 0;
    if (reg_cert_load (self, org))
        goto failed;
    const Npo__Certificate *latest = org->certificate;
    if (same_row && latest && reg_cert_same (org, from, to, issued)
    &&  strcmp (latest->status, active? "valid": "revoked") == 0) {
        outcome->outcome = npo_strdup ("unchanged");
        npo__organization__free_unpacked (org, NULL);
        return 0;
    }
    const char *kind = latest? "updated": "created";
    s_next_version (org);
    //  An organization that is not active has its latest certificate revoked:
    //  the earlier ones are superseded, the new one revoked from the start
    const char *params [1] = { org->uscc };
    if (reg_db_update_org (self, org)
    ||  (!active && npo_db_cmd (self->db, "UPDATE certificates SET status = 'superseded'"
                                " WHERE uscc = $1 AND status = 'revoked'", 1, params))
    ||  reg_cert_issue (self, org, from, to, issued))
        goto failed;
    if (!active) {
        char *superseded = org->certificate->superseded_number;
        org->certificate->superseded_number = NULL;
        rc = reg_cert_revoke (self, org);
        if (rc == 0 && org->certificate) {
            if (org->certificate->superseded_number != protobuf_c_empty_string)
                free (org->certificate->superseded_number);
            org->certificate->superseded_number = superseded;
        }
        else
            free (superseded);
        if (rc || !org->certificate)
            goto failed;
    }
    Npo__OrgChanged event = NPO__ORG_CHANGED__INIT;
    event.organization = org;
    if (!npo_outbox_append (self->outbox, "registry.org_changed", org->uscc,
                            b->authority_division, request->actor, &event.base))
        goto failed;
    outcome->outcome = npo_strdup (kind);
    npo__organization__free_unpacked (org, NULL);
    return 0;
failed:
    npo__organization__free_unpacked (org, NULL);
    return -1;
}

size_t
reg_certificate_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    key [0] = *uscc = ((const Npo__CertificateRecord *) body)->uscc;
    return 1;
}

//  ---------------------------------------------------------------------
//  Section 07: deregistrations

int
reg_store_deregistration (void *state, const Npo__Request *request, const void *body,
                          const char *province, Npo__ImportOutcome *outcome)
{
    reg_t *self = state;
    const Npo__DeregistrationRecord *r = body;
    const char *texts [2] = { r->liquidation_leader, r->name };
    size_t phone = strlen (r->liquidation_phone);
    if (!*r->deregistered_on)
        return npo_import_refuse (outcome, "missing_required", S_WHY);
    if (!uscc_valid (r->uscc) || !npo_date_valid (r->deregistered_on)
    ||  !reg_lines_fit (texts, 2) || !s_fits (r->reason, true, 2000)
    ||  phone > 20 || strspn (r->liquidation_phone, "0123456789+- ") != phone)
        return npo_import_refuse (outcome, "invalid_format", S_WHY);
    Npo__Organization *org;
    int rc = s_load_org (self, r->uscc, province, &org, outcome);
    if (rc)
        return rc < 0? -1: 0;
    s_compare (outcome, "name", r->name, org->basic->name, "org_field_mismatch");
    if (strcmp (r->deregistered_on, org->approved_on) < 0)
        npo_import_flag (outcome, "date_order", "deregistered_on", "before the organization's"
                         " approval date (section 01 approved_on)");
    const char *params [5] = {
        r->uscc, r->reason, r->deregistered_on, r->liquidation_leader, r->liquidation_phone
    };
    PGresult *res = npo_db_exec (self->db, "SELECT (reason, deregistered_on,"
                                 " liquidation_leader, liquidation_phone)"
                                 " IS NOT DISTINCT FROM ($2, $3::date, $4, $5)"
                                 " FROM deregistrations WHERE uscc = $1", 5, params);
    if (!res)
        goto failed;
    bool stored = PQntuples (res) == 1, same = stored && *PQgetvalue (res, 0, 0) == 't';
    PQclear (res);
    if (same) {
        outcome->outcome = npo_strdup ("unchanged");
        npo__organization__free_unpacked (org, NULL);
        return 0;
    }
    if (stored) {
        //  A corrected record of a deregistration: the row only. The event
        //  went out once; again, it would make a second deregistration audit
        //  due (inspection)
        if (npo_db_cmd (self->db, "UPDATE deregistrations SET reason = $2,"
                        " deregistered_on = $3, liquidation_leader = $4,"
                        " liquidation_phone = $5 WHERE uscc = $1", 5, params))
            goto failed;
        outcome->outcome = npo_strdup ("updated");
        npo__organization__free_unpacked (org, NULL);
        return 0;
    }
    //  As the registry's deregistration does, but for the officers' posts:
    //  sections 02 and 03 say what they are
    free (org->status);
    org->status = npo_strdup ("deregistered");
    s_next_version (org);
    if (reg_db_update_org (self, org)
    ||  npo_db_cmd (self->db, "INSERT INTO deregistrations (uscc, reason, deregistered_on,"
                    " liquidation_leader, liquidation_phone) VALUES ($1, $2, $3, $4, $5)",
                    5, params)
    ||  reg_cert_revoke (self, org))
        goto failed;
    //  (the liquidation leader is a person: not in the event)
    Npo__OrgDeregistered event = NPO__ORG_DEREGISTERED__INIT;
    event.organization = org;
    event.reason = r->reason;
    event.deregistered_on = r->deregistered_on;
    if (!npo_outbox_append (self->outbox, "registry.org_deregistered", org->uscc,
                            org->basic->authority_division, request->actor, &event.base))
        goto failed;
    outcome->outcome = npo_strdup ("created");
    npo__organization__free_unpacked (org, NULL);
    return 0;
failed:
    npo__organization__free_unpacked (org, NULL);
    return -1;
}

size_t
reg_deregistration_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    key [0] = *uscc = ((const Npo__DeregistrationRecord *) body)->uscc;
    return 1;
}

//  ---------------------------------------------------------------------
//  Section 09: changes, the history

//  Items whose before and after are a person's (docs/import.md 3.5)
static const char *s_personal_items [] = { "contact_name", "contact_phone" };

//  The item a record names, by name (an item given by its Chinese label is
//  stored by name; one the registry does not know, as given).
static const char *
s_item_of (const Npo__ChangeRecord *r)
{
    const char *item = npo_change_item (r->item);
    return item? item: r->item;
}

int
reg_store_change (void *state, const Npo__Request *request, const void *body,
                  const char *province, Npo__ImportOutcome *outcome)
{
    reg_t *self = state;
    const Npo__ChangeRecord *r = body;
    const char *item = s_item_of (r);
    if (!*r->item || !*r->approved_on)
        return npo_import_refuse (outcome, "missing_required", S_WHY);
    if (!uscc_valid (r->uscc) || !npo_date_valid (r->approved_on) || !s_fits (r->item, false, 50)
    ||  !s_fits (r->content, false, 200) || !s_fits (r->name, false, 200)
    ||  !s_fits (r->before, true, 2000) || !s_fits (r->after, true, 2000))
        return npo_import_refuse (outcome, "invalid_format", S_WHY);
    Npo__Organization *org;
    int rc = s_load_org (self, r->uscc, province, &org, outcome);
    if (rc)
        return rc < 0? -1: 0;
    bool known = npo_change_item (r->item) != NULL;
    if (!known)
        npo_import_flag (outcome, "unknown_enum", "item", "not an item of docs/import.md 09:"
                         " stored as given, never public");
    const char *content = *r->content? r->content: npo_change_label (item);
    const char *params [6] = { r->uscc, item, r->approved_on, r->before, r->after, content };
    //  The same change already held (imported, or approved here), else the
    //  imported row of its key
    PGresult *res = npo_db_exec (self->db,
        "SELECT bool_or ((before, after, content) = ($4, $5, $6)),"
        " min (id) FILTER (WHERE application_id IS NULL)"
        " FROM changes WHERE uscc = $1 AND item = $2 AND approved_on = $3", 6, params);
    if (!res)
        goto failed;
    bool same = *PQgetvalue (res, 0, 0) == 't', stored = !PQgetisnull (res, 0, 1);
    PQclear (res);
    const char *kind = same? "unchanged": stored? "updated": "created";
    if (!same && npo_db_cmd (self->db, stored?
            "UPDATE changes SET before = $4, after = $5, content = $6 WHERE uscc = $1"
            " AND item = $2 AND approved_on = $3 AND application_id IS NULL":
            "INSERT INTO changes (uscc, item, approved_on, before, after, content)"
            " VALUES ($1, $2, $3, $4, $5, $6)", 6, params))
        goto failed;
    //  The event of an approved change, for publication's change list and
    //  inspection's audits; none for an item that is a person's or unknown
    //  (never public: publication's allow-list would drop it anyway)
    if (!same && known && !NPO_STR_IN (item, s_personal_items)) {
        Npo__Change change = NPO__CHANGE__INIT;
        Npo__Change *changes [1] = { &change };
        change.item = (char *) item;
        change.before = r->before;
        change.after = r->after;
        change.approved_on = r->approved_on;
        change.content = (char *) content;
        change.imported = true;
        Npo__OrgChanged event = NPO__ORG_CHANGED__INIT;
        event.organization = org;
        event.changes = changes;
        event.n_changes = 1;
        s_next_version (org);
        if (reg_db_update_org (self, org) || reg_cert_load (self, org)
        ||  !npo_outbox_append (self->outbox, "registry.org_changed", org->uscc,
                                org->basic->authority_division, request->actor, &event.base))
            goto failed;
    }
    outcome->outcome = npo_strdup (kind);
    npo__organization__free_unpacked (org, NULL);
    return 0;
failed:
    npo__organization__free_unpacked (org, NULL);
    return -1;
}

size_t
reg_change_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__ChangeRecord *r = (const Npo__ChangeRecord *) body;
    key [0] = *uscc = r->uscc, key [1] = s_item_of (r), key [2] = r->approved_on;
    return 3;
}
