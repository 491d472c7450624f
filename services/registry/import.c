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

//  Returns true when s is 1 to 64 of a-z, 0-9 and _ ("" too, when empty_ok).
static bool
s_name (const char *s, bool empty_ok)
{
    size_t n = strlen (s);
    return (n || empty_ok) && n <= 64 && strspn (s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

//  A record's findings as the batch keeps them: npoctl's, and the registry's
//  own refusal or kept status.
typedef struct {
    Npo__Finding refusal, status;
    char detail [64];
    Npo__Finding **all;
} s_kept_t;

//  Gathers the record's findings into kept and entry. Returns false when the
//  record has no key (its findings are the report's only: docs/import.md 6.3).
static bool
s_gather (const Npo__ImportedOrg *rec, const Npo__ImportOutcome *outcome, s_kept_t *kept,
          npo_record_findings_t *entry)
{
    if (!uscc_valid (rec->uscc))
        return false;
    npo__finding__init (&kept->refusal);
    npo__finding__init (&kept->status);
    kept->all = calloc (rec->n_findings + 2, sizeof *kept->all);
    if (!kept->all)
        abort ();
    size_t n = 0;
    static const char *const outcomes [] = { "refused", "flagged", "not_stored" };
    for (size_t i = 0; i < rec->n_findings; i++) {
        //  Rule and field are names; a value is short (docs/import.md 6.2)
        const Npo__Finding *f = rec->findings [i];
        bool known = false;
        for (int o = 0; o < 3; o++)
            known = known || strcmp (f->outcome, outcomes [o]) == 0;
        size_t chars;
        if (known && s_name (f->rule, false) && s_name (f->field, true)
        &&  npo_utf8_valid (f->value, false, &chars) && chars <= 64
        &&  npo_utf8_valid (f->detail, false, &chars) && chars <= 200)
            kept->all [n++] = rec->findings [i];
    }
    if (strcmp (outcome->outcome, "refused") == 0 && !rec->refused) {
        kept->refusal.rule = outcome->error_code;
        kept->refusal.outcome = "refused";
        kept->refusal.detail = outcome->error_message;
        kept->refusal.path = rec->path;
        kept->refusal.line = rec->line;
        kept->all [n++] = &kept->refusal;
    }
    if (*outcome->kept_status) {
        snprintf (kept->detail, sizeof kept->detail, "the register holds it as %s",
                  outcome->kept_status);
        kept->status.rule = "inconsistent_status";
        kept->status.outcome = "flagged";
        kept->status.detail = kept->detail;
        kept->status.path = rec->path;
        kept->status.line = rec->line;
        kept->all [n++] = &kept->status;
    }
    *entry = (npo_record_findings_t) { .ref = rec->uscc, .uscc = rec->uscc,
                                       .found = kept->all, .n = n };
    return true;
}

//  Writes the province's division ("NN0000") into division (7 bytes).
//  Returns true, or false with the refusal in reply when province is not two
//  digits of a province.
static bool
s_province (const char *province, char *division, Npo__Reply *reply)
{
    snprintf (division, 7, "%.2s0000", province);
    if (strlen (province) == 2 && division_valid (division))
        return true;
    npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_division",
                     "province: two digits of a province");
    return false;
}

void
reg_list_findings (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__ListFindings *cmd = request->list_findings;
    char division [7];
    if (!s_province (cmd->province, division, reply))
        return;
    snprintf (self->target, sizeof self->target, "findings:%s", cmd->province);
    //  The ministry, auditors, and the province's registrar
    if (strcmp (self->actor.role, "auditor") && !reg_may_write (self, division, reply))
        return;
    npo_findings_list (self->db, cmd, reply);
}

void
reg_import_orgs (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__ImportOrgs *cmd = request->import_orgs;
    char division [7];
    if (!s_province (cmd->province, division, reply))
        return;
    snprintf (self->target, sizeof self->target, "import:%s", cmd->province);
    //  A return is the province's: the ministry, or the province's registrar
    if (!reg_may_write (self, division, reply))
        return;
    if (strcmp (self->actor.role, "registrar") == 0 && strcmp (self->actor.prefix,
                                                                cmd->province)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "out_of_division",
                         "a province's return is for its provincial registrar (registrar:%s)",
                         cmd->province);
        return;
    }
    Npo__ImportReply *body = calloc (1, sizeof *body);
    Npo__ImportOutcome **outcomes = calloc (cmd->n_orgs + 1, sizeof *outcomes);
    if (!body || !outcomes)
        abort ();
    npo__import_reply__init (body);
    body->outcomes = outcomes;
    char today [11];
    if (npo_calendar_date (cmd->found_on))
        snprintf (today, sizeof today, "%s", cmd->found_on);
    else
        npo_today (today);
    s_kept_t *kept = calloc (cmd->n_orgs + 1, sizeof *kept);
    npo_record_findings_t *entries = calloc (cmd->n_orgs + 1, sizeof *entries);
    if (!kept || !entries)
        abort ();
    size_t n_entries = 0;
    int rc = npo_db_begin (self->db);
    for (size_t i = 0; i < cmd->n_orgs && rc == 0; i++) {
        outcomes [i] = malloc (sizeof **outcomes);
        if (!outcomes [i])
            abort ();
        npo__import_outcome__init (outcomes [i]);
        body->n_outcomes = i + 1;
        if (cmd->orgs [i]->refused)
            outcomes [i]->outcome = npo_strdup ("refused");
        else
            rc = s_import_one (self, request, cmd->orgs [i], cmd->province, outcomes [i]);
        if (rc == 0 && s_gather (cmd->orgs [i], outcomes [i], &kept [i], &entries [n_entries]))
            n_entries++;
    }
    //  The batch's findings in three statements (common/quality.c)
    if (rc == 0)
        rc = npo_findings_reconcile (self->db, cmd->province, 1, entries, n_entries, today);
    for (size_t i = 0; i < cmd->n_orgs; i++)
        free (kept [i].all);
    free (kept);
    free (entries);
    if (rc || npo_db_commit (self->db)) {
        npo_db_rollback (self->db);
        npo__import_reply__free_unpacked (body, NULL);
        reg_db_failed (self, reply);
        return;
    }
    reply->body_case = NPO__REPLY__BODY_IMPORT_ORGS;
    reply->import_orgs = body;
    log_info ("imported %zu organizations of province %s", cmd->n_orgs, cmd->province);
}
