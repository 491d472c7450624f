/*  import.c - npo-inspection: audits and evaluation grades a province
 *  returns (docs/import.md sections 08 and 10)
 *
 *  ImportRecords (common/quality.c runs the batch, one transaction) stores
 *  each record as RecordAudit and RecordEvaluation would, and emits their
 *  events, so that publication shows a returned grade; unlike them it takes
 *  history. An audit completes the oldest audit of its category due by its
 *  date, else it is a new one. A grade is kept whatever its date: the one
 *  with the latest valid_from is in force unless past its valid_to, an
 *  older one never supersedes a newer one. What the commands refuse (an
 *  ineligible grade, a grade of an organization that is not active) is
 *  stored and flagged. A record equal to the stored one writes nothing and
 *  emits nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "inspection.h"
#include "log.h"
#include "quality.h"

//  What a returned record needs of its organization (the service's copy of
//  the register, from the registry's stream).
typedef struct {
    char name [800];
    char type [16];
    char status [16];
    char division [8];
    char authority [800];           //  registration authority
    char unit [800];                //  business unit
} s_org_t;

//  Loads the organization a record belongs to into org. Returns 0, 1 with
//  the refusal in outcome, or -1 when the database failed.
static int
s_org (insp_t *self, const char *uscc, const char *province, s_org_t *org,
       Npo__ImportOutcome *outcome)
{
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db, "SELECT name, type, status, authority_division,"
                                 " registration_authority, business_unit FROM orgs"
                                 " WHERE uscc = $1", 1, params);
    if (!res)
        return -1;
    int rc = 0;
    if (npo_import_org_refused (PQntuples (res)? PQgetvalue (res, 0, 3): NULL, province,
                                outcome))
        rc = 1;
    else {
        char *fields [6] = { org->name, org->type, org->status, org->division, org->authority,
                             org->unit };
        size_t sizes [6] = { sizeof org->name, sizeof org->type, sizeof org->status,
                             sizeof org->division, sizeof org->authority, sizeof org->unit };
        for (int i = 0; i < 6; i++)
            snprintf (fields [i], sizes [i], "%s", PQgetvalue (res, 0, i));
    }
    PQclear (res);
    return rc;
}

//  A text of a record and the service's bound on it.
typedef struct {
    const char *value;
    size_t max;                     //  characters
    bool multiline;
} s_text_t;

//  Returns true when every text is UTF-8 without control characters (line
//  breaks and tabs in a multiline one) within its bound; "" fits.
static bool
s_texts_fit (const s_text_t *texts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t chars;
        if (!npo_utf8_valid (texts [i].value, texts [i].multiline, &chars)
        ||  chars > texts [i].max)
            return false;
    }
    return true;
}

//  Flags each copy of a section 01 field the record gives that differs from
//  the register's, which is kept (docs/import.md 8, item 4).
static void
s_compare_copies (const char *const *names, const char *const *given,
                  const char *const *stored, size_t n, Npo__ImportOutcome *outcome)
{
    for (size_t i = 0; i < n; i++)
        if (*given [i] && strcmp (given [i], stored [i]))
            npo_import_flag (outcome, "org_field_mismatch", names [i],
                             "differs from the register's (section 01), which is kept");
}

//  ---------------------------------------------------------------------
//  Section 08: audits

//  Keyed by organization, category and date: the audit of that key (the
//  first recorded, if the service's command recorded two that day) takes
//  the record's texts; without one, the record completes the oldest audit
//  of its category due by its date (离任审计 after a change of legal
//  representative), else it is a new audit.
static int
s_store_audit (void *state, const Npo__Request *request, const void *body,
               const char *province, Npo__ImportOutcome *outcome)
{
    insp_t *self = state;
    const Npo__Audit *a = body;
    const s_text_t texts [] = {
        { a->firm, 200, false }, { a->accountant, 100, false }, { a->content, 4000, true },
        { a->result, 2000, true }, { a->name, 200, false }
    };
    const char *why = NULL;
    if (!*a->uscc || !*a->reason_category || !*a->occurred_on)
        why = "missing_required";
    else
    if (!uscc_valid (a->uscc) || !NPO_STR_IN (a->reason_category, insp_audit_reasons)
    ||  !npo_date_valid (a->occurred_on) || !s_texts_fit (texts, 5))
        why = "invalid_format";
    if (why)
        return npo_import_refuse (outcome, why, "the record cannot be stored (docs/import.md 3.1)");
    s_org_t org;
    int rc = s_org (self, a->uscc, province, &org, outcome);
    if (rc)
        return rc < 0? -1: 0;
    const char *names [1] = { "name" }, *given [1] = { a->name }, *stored [1] = { org.name };
    s_compare_copies (names, given, stored, 1, outcome);
    const char *params [8] = { a->uscc, a->reason_category, a->firm, a->accountant,
                               a->occurred_on, a->content, a->result, request->actor };
    PGresult *res = npo_db_exec (self->db,
        "SELECT id, (firm, accountant, content, result) IS NOT DISTINCT FROM"
        "   (nullif ($3::text, ''), nullif ($4::text, ''), nullif ($6::text, ''),"
        "    nullif ($7::text, ''))"
        " FROM org_audits WHERE uscc = $1 AND reason_category = $2 AND occurred_on = $5::date"
        " AND status = 'done' ORDER BY id LIMIT 1", 7, params);
    if (!res)
        return -1;
    bool found = PQntuples (res) == 1;
    bool same = found && *PQgetvalue (res, 0, 1) == 't';
    char id [24] = "";
    if (found)
        snprintf (id, sizeof id, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    if (same) {
        outcome->outcome = npo_strdup ("unchanged");
        return 0;
    }
    if (found) {
        const char *update [6] = { id, a->firm, a->accountant, a->content, a->result,
                                   request->actor };
        res = npo_db_exec (self->db,
            "UPDATE org_audits SET firm = nullif ($2::text, ''),"
            " accountant = nullif ($3::text, ''), content = nullif ($4::text, ''),"
            " result = nullif ($5::text, ''), recorded_by = $6, recorded_at = now ()"
            " WHERE id = $1 RETURNING " INSP_AUDIT_COLUMNS, 6, update);
    }
    else
        res = insp_audit_write (self, params);
    if (!res || PQntuples (res) != 1) {
        PQclear (res);
        return -1;
    }
    Npo__Audit *audit = insp_audit_from (res);
    PQclear (res);
    rc = insp_audit_event (self, audit, org.division, request->actor);
    npo__audit__free_unpacked (audit, NULL);
    outcome->outcome = npo_strdup (found? "updated": "created");
    return rc;
}

static size_t
s_audit_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__Audit *a = (const Npo__Audit *) body;
    key [0] = *uscc = a->uscc, key [1] = a->reason_category, key [2] = a->occurred_on;
    return 3;
}

//  ---------------------------------------------------------------------
//  Section 10: evaluation grades

static const char *const s_states [] = { "", "valid", "superseded", "expired" };

//  The state of a grade that is not the latest: expired when it ended
//  before the next one began, else superseded by it.
#define S_OLDER_STATE(valid_to, next) (strcmp ((valid_to), (next)) < 0? "expired": "superseded")

//  A grade returned between two others is the next one of the grade before
//  it: restates that one (with its event) when its state changes, so that
//  the states do not depend on the order the grades came in. Returns 0 or
//  -1.
static int
s_restate_previous (insp_t *self, const Npo__Request *request, const char *uscc,
                    const char *valid_from, const char *division)
{
    const char *params [2] = { uscc, valid_from };
    PGresult *res = npo_db_exec (self->db,
        "SELECT id::text, state, valid_to::text FROM evaluations WHERE uscc = $1"
        " AND valid_from < $2::date ORDER BY valid_from DESC, id DESC LIMIT 1", 2, params);
    if (!res)
        return -1;
    const char *state = PQntuples (res)? S_OLDER_STATE (PQgetvalue (res, 0, 2), valid_from): "";
    bool changed = PQntuples (res) && strcmp (PQgetvalue (res, 0, 1), state);
    const char *update [2] = { changed? PQgetvalue (res, 0, 0): "", state };
    PGresult *row = changed? npo_db_exec (self->db, "UPDATE evaluations SET state = $2"
                                          " WHERE id = $1::bigint RETURNING "
                                          INSP_EVALUATION_COLUMNS, 2, update): NULL;
    PQclear (res);
    int rc = changed && !row? -1: 0;
    if (row && PQntuples (row) == 1)
        rc = insp_evaluation_event (self, row, 0, "inspection.evaluation_recorded", division,
                                    request->actor);
    PQclear (row);
    return rc;
}

//  Keyed by organization and decision date. The grade of that key takes the
//  record's own fields (its state is the sweep's and the newer grades');
//  else the record is a new grade, whose state is computed as of the
//  import: the latest is valid, or expired past its valid_to, and
//  supersedes the grade in force; an older one is superseded, or expired
//  when it ended before the next one began, and supersedes nothing.
static int
s_store_evaluation (void *state, const Npo__Request *request, const void *body,
                    const char *province, Npo__ImportOutcome *outcome)
{
    insp_t *self = state;
    const Npo__Evaluation *e = body;
    const s_text_t texts [] = {
        { e->evaluator, 200, false }, { e->name, 200, false }, { e->type, 16, false },
        { e->registration_authority, 200, false }, { e->business_unit, 200, false }
    };
    const char *why = NULL;
    if (!*e->uscc || !*e->valid_from || !*e->grade)
        why = "missing_required";
    else
    if (!uscc_valid (e->uscc) || !npo_date_valid (e->valid_from)
    ||  !NPO_STR_IN (e->grade, insp_grades)
    ||  !NPO_STR_IN (e->social_group_category, insp_categories)
    ||  !NPO_STR_IN (e->state, s_states) || (*e->valid_to && !npo_calendar_date (e->valid_to))
    ||  !s_texts_fit (texts, 5))
        why = "invalid_format";
    if (why)
        return npo_import_refuse (outcome, why, "the record cannot be stored (docs/import.md 3.1)");
    s_org_t org;
    int rc = s_org (self, e->uscc, province, &org, outcome);
    if (rc)
        return rc < 0? -1: 0;
    const char *names [4] = { "name", "type", "registration_authority", "business_unit" };
    const char *given [4] = { e->name, e->type, e->registration_authority, e->business_unit };
    const char *stored [4] = { org.name, org.type, org.authority, org.unit };
    s_compare_copies (names, given, stored, 4, outcome);
    const char *category = e->social_group_category;
    if (*category && strcmp (org.type, "social_group")) {
        char detail [64];
        snprintf (detail, sizeof detail, "for social groups only: the register holds a %s",
                  org.type);
        npo_import_flag (outcome, "inconsistent_fields", "social_group_category", detail);
        category = "";
    }
    //  As of the import's day
    //  (the ministry's --as-of, else the service's date: npo_import_found_on)
    char today [11];
    npo_import_found_on (&self->actor, request->import_records->found_on, today);
    const char *params [2] = { e->uscc, e->valid_from };
    PGresult *res = npo_db_exec (self->db,
        "SELECT to_char ($2::date + interval '5 years' - interval '1 day', 'YYYY-MM-DD'),"
        " coalesce ((SELECT min (valid_from)::text FROM evaluations WHERE uscc = $1"
        "   AND valid_from > $2::date), ''),"
        " coalesce ((SELECT id::text FROM evaluations WHERE uscc = $1 AND valid_from = $2::date"
        "   ORDER BY id DESC LIMIT 1), '')", 2, params);
    if (!res)
        return -1;
    char valid_to [11], next [11], id [24];
    snprintf (valid_to, sizeof valid_to, "%s", PQgetvalue (res, 0, 0));
    snprintf (next, sizeof next, "%s", PQgetvalue (res, 0, 1));
    snprintf (id, sizeof id, "%s", PQgetvalue (res, 0, 2));
    PQclear (res);
    bool latest = !*next;
    const char *computed = !latest? S_OLDER_STATE (valid_to, next):
                           strcmp (valid_to, today) < 0? "expired": "valid";
    char detail [64];
    snprintf (detail, sizeof detail, "computed: %s", valid_to);
    if (*e->valid_to && strcmp (e->valid_to, valid_to))
        npo_import_flag (outcome, "derived_value_mismatch", "valid_to", detail);
    snprintf (detail, sizeof detail, "computed: %s", computed);
    if (*e->state && strcmp (e->state, computed))
        npo_import_flag (outcome, "derived_value_mismatch", "state", detail);
    if (strcmp (computed, "valid") == 0 && strcmp (org.status, "active")) {
        snprintf (detail, sizeof detail, "a valid grade of an organization that is %s",
                  org.status);
        npo_import_flag (outcome, "inconsistent_status", "", detail);
    }
    //  The service's grounds flag, not refuse (docs/inspection.md); what it
    //  knows only as it is now (a list, an open case) counts for a grade in
    //  force only
    const char *ground;
    char reason [512];
    rc = insp_eligibility (self, e->uscc, e->valid_from, strcmp (computed, "valid") == 0,
                           &ground, reason, sizeof reason);
    if (rc < 0)
        return -1;
    if (rc) {
        char flag [600];
        snprintf (flag, sizeof flag, "%s: %s", ground, reason);
        npo_import_flag (outcome, "evaluation_not_eligible", "", flag);
    }
    const char *row [8] = { e->uscc, e->valid_from, e->grade, e->evaluator,
                            *category? category: NULL, e->is_charity? "t": "f",
                            request->actor, computed };
    if (*id) {
        const char *update [6] = { id, row [2], row [3], row [4], row [5], row [6] };
        res = npo_db_exec (self->db,
            "UPDATE evaluations SET grade = $2, evaluator = $3, social_group_category = $4,"
            " is_charity = $5, recorded_by = $6, recorded_at = now () WHERE id = $1"
            " AND (grade, evaluator, social_group_category, is_charity)"
            "     IS DISTINCT FROM ($2::text, $3::text, $4::text, $5::boolean)"
            " RETURNING " INSP_EVALUATION_COLUMNS, 6, update);
    }
    else {
        //  The latest grade supersedes the one in force, as a new one does;
        //  the grade before this one ends where this one begins
        if ((latest && npo_db_cmd (self->db, "UPDATE evaluations SET state = 'superseded'"
                                   " WHERE uscc = $1 AND state = 'valid'", 1, row))
        ||  s_restate_previous (self, request, e->uscc, e->valid_from, org.division))
            return -1;
        res = npo_db_exec (self->db,
            "INSERT INTO evaluations (uscc, name, type, social_group_category, is_charity,"
            "   registration_authority, business_unit, evaluator, grade, valid_from, valid_to,"
            "   state, recorded_by)"
            " SELECT $1, o.name, o.type, $5, $6, o.registration_authority, o.business_unit,"
            "   $4, $3, $2, ($2::date + interval '5 years' - interval '1 day')::date, $8, $7"
            " FROM orgs o WHERE o.uscc = $1"
            " RETURNING " INSP_EVALUATION_COLUMNS, 8, row);
    }
    if (!res)
        return -1;
    int rows = PQntuples (res);
    rc = rows? insp_evaluation_event (self, res, 0, "inspection.evaluation_recorded",
                                      org.division, request->actor): 0;
    PQclear (res);
    outcome->outcome = npo_strdup (!*id? "created": rows? "updated": "unchanged");
    return rc;
}

static size_t
s_evaluation_key (const ProtobufCMessage *body, const char **key, const char **uscc)
{
    const Npo__Evaluation *e = (const Npo__Evaluation *) body;
    key [0] = *uscc = e->uscc, key [1] = e->valid_from;
    return 2;
}

//  ---------------------------------------------------------------------

//  The sections ImportRecords stores here (docs/import.md section 4)
static const npo_import_section_t s_sections [] = {
    { 8, &npo__audit__descriptor, s_store_audit, s_audit_key },
    { 10, &npo__evaluation__descriptor, s_store_evaluation, s_evaluation_key },
};

void
insp_import_records (insp_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    npo_import_records (self->db, &self->actor, self->target, sizeof self->target, self,
                        request, reply, s_sections, sizeof s_sections / sizeof s_sections [0]);
}
