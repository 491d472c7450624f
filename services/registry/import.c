/*  import.c - npo-registry: organizations a province returns (docs/import.md)
 *
 *  ImportOrgs upserts catalog section 01 records by uscc, under the codes
 *  the province's system assigned, in one transaction a batch. A record
 *  equal to the stored one writes nothing and emits nothing, so a file
 *  imported twice changes nothing; a new one emits registry.org_registered,
 *  a changed one registry.org_changed, as the registry's own commands do;
 *  its old codes go to the old-code map as the old-codes command's do
 *  (reg_old_codes_record), one code at a time, after the record itself (a
 *  record refused records none).
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

//  Adds a finding of the registry's own to outcome, flagged: the record is
//  stored (value: a non-personal field's value, or "").
static void
s_flag (Npo__ImportOutcome *outcome, const Npo__ImportedOrg *rec, const char *rule,
        const char *field, const char *value, const char *detail)
{
    (void) rec;                     //  (the runner gives it the record's path and line)
    npo_import_flag (outcome, rule, field, detail);
    outcome->findings [outcome->n_findings - 1]->value = npo_strdup (value);
}

//  Records the record's old codes in the open transaction, as the old-codes
//  command does (docs/registry.md, "Old codes"), each once for life: one that
//  differs from the one recorded, or is another organization's, is dropped
//  and said in outcome. Sets *recorded when one is recorded now. Returns 0,
//  or -1 when the database failed.
static int
s_old_codes (reg_t *self, const Npo__Request *request, const Npo__ImportedOrg *rec,
             Npo__ImportOutcome *outcome, bool *recorded)
{
    static const char *const fields [2] = { "old_org_code", "old_certificate_number" };
    const char *given [2] = { rec->old_org_code, rec->old_certificate_number };
    char code [10] = "";
    const char *cert = given [1];
    *recorded = false;
    //  (npoctl has checked both: only what storing needs, again)
    if (*given [0] && !reg_old_org_code (given [0], code))
        s_flag (outcome, rec, "invalid_format", fields [0], "",
                "not an organization code (GB 11714)");
    if (*cert && !oldcert_valid (cert)) {
        s_flag (outcome, rec, "invalid_format", fields [1], "",
                "not a certificate number the register keeps");
        cert = "";
    }
    if (!*code && !*cert)
        return 0;
    reg_old_code_t old [2];
    if (reg_old_codes_record (self, rec->uscc, rec->basic->authority_division, code, cert,
                              false, request->actor, old))
        return -1;
    for (int i = 0; i < 2; i++) {
        char detail [96];
        if (old [i].state == REG_OLD_DIFFERS) {
            snprintf (detail, sizeof detail, "the register holds %s, for life", old [i].held);
            s_flag (outcome, rec, "not_updatable", fields [i], given [i], detail);
        }
        else
        if (old [i].state == REG_OLD_TAKEN) {
            snprintf (detail, sizeof detail, "another organization's%s%s",
                      *old [i].held? ", ": "", old [i].held);
            s_flag (outcome, rec, "duplicate_code", fields [i], given [i], detail);
        }
        *recorded = *recorded || old [i].state == REG_OLD_NEW;
    }
    return 0;
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
    if (stored && npo_import_org_refused (stored->basic->authority_division, province,
                                          outcome)) {
        //  Another province's organization: not this return's to change
        npo__organization__free_unpacked (stored, NULL);
        return 0;
    }
    if (stored) {
        //  Section 04 owns the capital and the activity area: kept. A status
        //  changes by deregistration (07) or revocation (11), which revoke
        //  the certificate and end the posts too: section 01 never moves it
        basic.registered_capital = stored->basic->registered_capital;
        basic.activity_area = stored->basic->activity_area;
        org.status = stored->status;
        if (strcmp (org.status, rec->status)) {
            char detail [64];
            snprintf (detail, sizeof detail, "the register holds it as %s", stored->status);
            npo_import_flag (outcome, "inconsistent_status", "", detail);
        }
        if (s_same (stored, &basic, rec->approved_on, org.status)) {
            //  Its old codes may be new still
            npo__organization__free_unpacked (stored, NULL);
            bool recorded;
            if (s_old_codes (self, request, rec, outcome, &recorded))
                return -1;
            outcome->outcome = npo_strdup (recorded? "updated": "unchanged");
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
    if (rc == 0) {
        //  The events the registry's own commands emit (the organization's
        //  first: its old codes name it)
        bool ok, recorded;
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
        rc = ok? s_old_codes (self, request, rec, outcome, &recorded): -1;
    }
    if (rc == 0)
        rc = npo_db_cmd (self->db, "RELEASE SAVEPOINT import_one", 0, NULL);
    npo__organization__free_unpacked (stored, NULL);
    if (rc == 0)
        outcome->outcome = npo_strdup (kind);
    return rc;
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
    char today [11];
    npo_import_batch (self->db, self, request, reply, cmd->province, 1,
                      npo_import_found_on (&self->actor, cmd->found_on, today), records,
                      (void *const *) cmd->orgs, cmd->n_orgs, s_store_org, NULL);
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
    if (!reg_lines_fit (texts, n_texts))
        return false;
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

//  A record of a batch of posts: what it is to do, and what it is.
enum { P_NONE, P_SAME, P_UPDATE, P_INSERT };

typedef struct {
    int todo;                       //  P_*
    int org;                        //  its organization's row
    char id [24];                   //  the post it takes (P_SAME, P_UPDATE)
    bool no_start;                  //  that post has no start date
    bool ended;                     //  that post has an end (section 02's match)
    const char *uscc;               //  its organization, once its key is valid
    const char *key [5];            //  organization, person, position (, start)
    const char *action;             //  officer_changed's, when written
    char birth [11];                //  section 02: the birth date stored
} s_post_t;

//  The organizations of a batch's posts, from one query: row r of res is
//  uscc, type, status, authority_division.
typedef struct {
    PGresult *res;
} s_orgs_t;

//  Loads the organizations the batch's records name. Returns 0, or -1.
static int
s_orgs_load (reg_t *self, const s_post_t *posts, size_t n, s_orgs_t *orgs)
{
    npo_db_array_t list = { 0 };
    for (size_t i = 0; i < n; i++)
        if (posts [i].uscc)
            npo_db_array_add (&list, posts [i].uscc);
    const char *params [1] = { npo_db_array_end (&list) };
    orgs->res = npo_db_exec (self->db, "SELECT uscc, type, status, authority_division"
                             " FROM organizations WHERE uscc = ANY ($1::text[])", 1, params);
    free (list.text);
    return orgs->res? 0: -1;
}

//  Returns the row of uscc in orgs, or -1 (refused in outcome: not in the
//  register, or under another province).
static int
s_orgs_find (const s_orgs_t *orgs, const char *uscc, const char *province,
             Npo__ImportOutcome *outcome)
{
    int r = 0;
    while (r < PQntuples (orgs->res) && strcmp (PQgetvalue (orgs->res, r, 0), uscc))
        r++;
    bool found = r < PQntuples (orgs->res);
    return npo_import_org_refused (found? PQgetvalue (orgs->res, r, 3): NULL, province,
                                   outcome)? -1: r;
}

//  Reads the match query's rows (record index, post id, no start, same)
//  into posts: a record with a match is P_SAME or P_UPDATE, the others
//  P_INSERT. A post without a start taken by one record is not another's.
static void
s_posts_match (PGresult *res, s_post_t *posts, size_t n)
{
    for (int r = 0; r < PQntuples (res); r++) {
        size_t i = strtoul (PQgetvalue (res, r, 0), NULL, 10);
        const char *id = PQgetvalue (res, r, 1);
        bool taken = false;
        for (size_t j = 0; j < n && !taken; j++)
            taken = posts [j].todo != P_INSERT && strcmp (posts [j].id, id) == 0;
        if (i >= n || posts [i].todo != P_INSERT || taken)
            continue;
        snprintf (posts [i].id, sizeof posts [i].id, "%s", id);
        posts [i].no_start = *PQgetvalue (res, r, 2) == 't';
        posts [i].todo = *PQgetvalue (res, r, 3) == 't'? P_SAME: P_UPDATE;
        posts [i].ended = PQnfields (res) > 4 && *PQgetvalue (res, r, 4) == 't';
    }
}

//  Adds values [0..n) to columns [0..n).
static void
s_row (npo_db_array_t *columns, const char *const *values, int n)
{
    for (int c = 0; c < n; c++)
        npo_db_array_add (&columns [c], values [c]);
}

//  Runs sql with columns [0..n) as its parameters, then frees them.
static PGresult *
s_exec_columns (reg_t *self, const char *sql, npo_db_array_t *columns, int n)
{
    const char *params [20];
    for (int c = 0; c < n; c++)
        params [c] = npo_db_array_end (&columns [c]);
    PGresult *res = npo_db_exec (self->db, sql, n, params);
    for (int c = 0; c < n; c++) {
        free (columns [c].text);
        columns [c] = (npo_db_array_t) { 0 };
    }
    return res;
}

//  Marks the inserts the INSERT ... RETURNING left out as refused: a
//  uniqueness rule of the table (store_conflict, detail the rule's code).
//  The RETURNING columns are the first n_key of each insert's key. Returns 0, or
//  -1 when the database failed.
static int
s_posts_inserted (reg_t *self, PGresult *res, s_post_t *posts, int n_key, size_t n,
                  Npo__ImportOutcome **outcomes)
{
    for (size_t i = 0; i < n; i++) {
        if (posts [i].todo != P_INSERT)
            continue;
        bool in = false;
        for (int r = 0; r < PQntuples (res) && !in; r++) {
            in = true;
            for (int c = 0; c < n_key && in; c++)
                in = strcmp (PQgetvalue (res, r, c), posts [i].key [c]? posts [i].key [c]: "") == 0;
        }
        if (in)
            continue;
        //  The person holds this post already, or leads another social group
        PGresult *held = npo_db_exec (self->db, "SELECT 1 FROM officer_posts"
                                      " WHERE org_uscc = $1 AND id_type = $2"
                                      " AND id_number = $3 AND position = $4"
                                      " AND end_on IS NULL", 4, posts [i].key);
        if (!held)
            return -1;
        npo_import_refuse (outcomes [i], "store_conflict", PQntuples (held)?
                           "already_holds_post": "already_legal_representative");
        PQclear (held);
        posts [i].todo = P_NONE;
    }
    return 0;
}

//  Ends a batch of posts: each record's outcome, and one
//  registry.officer_changed (no personal field) a post created or changed.
static int
s_posts_end (reg_t *self, const Npo__Request *request, const s_orgs_t *orgs, s_post_t *posts,
             size_t n, Npo__ImportOutcome **outcomes)
{
    npo_outbox_event_t *events = calloc (n + 1, sizeof *events);
    Npo__OfficerChanged *changed = calloc (n + 1, sizeof *changed);
    if (!events || !changed)
        abort ();
    size_t n_events = 0;
    for (size_t i = 0; i < n; i++) {
        const char *kind = posts [i].todo == P_SAME? "unchanged":
                           posts [i].todo == P_UPDATE? "updated":
                           posts [i].todo == P_INSERT? "created": NULL;
        if (!kind)
            continue;
        outcomes [i]->outcome = npo_strdup (kind);
        if (posts [i].todo == P_SAME)
            continue;
        Npo__OfficerChanged *event = &changed [n_events];
        npo__officer_changed__init (event);
        event->org_uscc = (char *) posts [i].key [0];
        event->position = (char *) posts [i].key [3];
        event->action = (char *) posts [i].action;
        events [n_events++] = (npo_outbox_event_t) {
            .type = "registry.officer_changed", .org_uscc = posts [i].key [0],
            .division = PQgetvalue (orgs->res, posts [i].org, 3), .payload = &event->base
        };
    }
    int rc = npo_outbox_append_many (self->outbox, n_events, events, request->actor);
    free (events);
    free (changed);
    return rc;
}

//  Section 03: tenures, keyed by organization, person, position and start.
//  Each takes the post of its key, else a post section 02 made without a
//  start, else it is a new post. The person's name is section 02's: a
//  tenure gives it only to a post that has none, so that the two sections
//  never undo each other on every import. A batch is five statements
//  whatever its size; an update the table's rules refuse (a second held
//  post) is retried alone, to refuse that record only.
static int
s_store_posts (void *state, const Npo__Request *request, void *const *bodies, size_t n,
               const char *province, Npo__ImportOutcome **outcomes)
{
    reg_t *self = state;
    s_post_t *posts = calloc (n + 1, sizeof *posts);
    if (!posts)
        abort ();
    for (size_t i = 0; i < n; i++) {
        const Npo__WorkPost *p = bodies [i];
        if (!p)
            continue;
        const char *why = s_post_key (p->org_uscc, p->id_type, p->id_number, p->position);
        const char *texts [2] = { p->name, p->employer };
        const char *dates [3] = { p->start_on, p->appointed_on, p->end_on };
        if (!why && (!*p->start_on || !s_fits (texts, 2, dates, 3)))
            why = *p->start_on? "invalid_format": "missing_required";
        if (why)
            npo_import_refuse (outcomes [i], why, "the record cannot be stored"
                               " (docs/import.md 3.1)");
        else
            posts [i].uscc = p->org_uscc;
    }
    s_orgs_t orgs = { NULL };
    int rc = s_orgs_load (self, posts, n, &orgs);
    npo_db_array_t cols [10] = { { 0 } };
    char index [24];
    for (size_t i = 0; i < n && rc == 0; i++) {
        const Npo__WorkPost *p = bodies [i];
        if (!posts [i].uscc || (posts [i].org = s_orgs_find (&orgs, p->org_uscc, province,
                                                        outcomes [i])) < 0)
            continue;
        posts [i].todo = P_INSERT;
        const char *key [5] = { p->org_uscc, p->id_type, p->id_number, p->position,
                                p->start_on };
        memcpy (posts [i].key, key, sizeof key);
        posts [i].action = *p->end_on? "ended": "appointed";
        snprintf (index, sizeof index, "%zu", i);
        const char *row [10] = { p->org_uscc, p->id_type, p->id_number, p->position,
                                 p->start_on, p->name,
                                 *p->appointed_on? p->appointed_on: p->start_on,
                                 *p->end_on? p->end_on: NULL, p->employer, index };
        s_row (cols, row, 10);
    }
    PGresult *res = rc? NULL: s_exec_columns (self,
        "SELECT DISTINCT ON (k.i) k.i, p.id, p.start_on IS NULL,"
        " (p.start_on, p.name, p.appointed_on, p.end_on, p.employer) IS NOT DISTINCT FROM"
        " (k.s::date, coalesce (nullif (p.name, ''), k.nm), k.ap::date, k.e::date, k.emp)"
        " FROM unnest ($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
        "   $7::text[], $8::text[], $9::text[], $10::int[]) AS k (o, t, n, p, s, nm, ap, e,"
        "   emp, i)"
        " JOIN officer_posts p ON p.org_uscc = k.o AND p.id_type = k.t AND p.id_number = k.n"
        "   AND p.position = k.p AND (p.start_on = k.s::date OR p.start_on IS NULL)"
        " ORDER BY k.i, p.start_on NULLS LAST, p.id", cols, 10);
    rc = rc || !res? -1: 0;
    if (res)
        s_posts_match (res, posts, n);
    PQclear (res);
    //  The changed posts, in one statement if the table takes them all
    npo_db_array_t upd [6] = { { 0 } };
    size_t n_upd = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (posts [i].todo == P_UPDATE) {
            const Npo__WorkPost *p = bodies [i];
            const char *row [6] = { posts [i].id, p->start_on, p->name,
                                    *p->appointed_on? p->appointed_on: p->start_on,
                                    *p->end_on? p->end_on: NULL, p->employer };
            s_row (upd, row, 6);
            n_upd++;
        }
    static const char update [] =
        "UPDATE officer_posts p SET start_on = u.s::date,"
        " name = coalesce (nullif (p.name, ''), u.nm), appointed_on = u.ap::date,"
        " end_on = u.e::date, employer = u.emp"
        " FROM unnest ($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],"
        "   $6::text[]) AS u (id, s, nm, ap, e, emp) WHERE p.id = u.id";
    if (rc == 0 && n_upd) {
        rc = npo_db_cmd (self->db, "SAVEPOINT import_posts", 0, NULL);
        res = rc? NULL: s_exec_columns (self, update, upd, 6);
        if (res)
            rc = npo_db_cmd (self->db, "RELEASE SAVEPOINT import_posts", 0, NULL);
        else
        if (rc == 0 && *npo_db_constraint (self->db)
        &&  npo_db_cmd (self->db, "ROLLBACK TO SAVEPOINT import_posts", 0, NULL) == 0) {
            //  One at a time: the one the rules refuse is refused alone
            for (size_t i = 0; i < n && rc == 0; i++) {
                if (posts [i].todo != P_UPDATE)
                    continue;
                const Npo__WorkPost *p = bodies [i];
                const char *row [6] = { posts [i].id, p->start_on, p->name,
                                        *p->appointed_on? p->appointed_on: p->start_on,
                                        *p->end_on? p->end_on: NULL, p->employer };
                s_row (upd, row, 6);
                rc = npo_db_cmd (self->db, "SAVEPOINT import_post", 0, NULL);
                PGresult *one = rc? NULL: s_exec_columns (self, update, upd, 6);
                if (one)
                    rc = npo_db_cmd (self->db, "RELEASE SAVEPOINT import_post", 0, NULL);
                else
                if (rc == 0 && *npo_db_constraint (self->db)) {
                    //  (the rule read before the rollback, which clears it)
                    bool lr = strcmp (npo_db_constraint (self->db),
                                      "officer_posts_one_social_group_lr") == 0;
                    rc = npo_db_cmd (self->db, "ROLLBACK TO SAVEPOINT import_post", 0, NULL);
                    npo_import_refuse (outcomes [i], "store_conflict", lr?
                                       "already_legal_representative": "already_holds_post");
                    posts [i].todo = P_NONE;
                }
                else
                    rc = -1;
                PQclear (one);
            }
        }
        else
            rc = -1;
        PQclear (res);
    }
    for (int c = 0; c < 6; c++)
        free (upd [c].text);
    //  The new posts, in one statement: one the table's rules refuse is left out
    for (size_t i = 0; i < n && rc == 0; i++)
        if (posts [i].todo == P_INSERT) {
            const Npo__WorkPost *p = bodies [i];
            const char *row [10] = { p->org_uscc, p->id_type, p->id_number, p->position,
                                     p->start_on, p->name,
                                     *p->appointed_on? p->appointed_on: p->start_on,
                                     *p->end_on? p->end_on: NULL, p->employer,
                                     PQgetvalue (orgs.res, posts [i].org, 1) };
            s_row (cols, row, 10);
        }
    res = rc? NULL: s_exec_columns (self,
        "INSERT INTO officer_posts (org_uscc, id_type, id_number, position, start_on, name,"
        " appointed_on, end_on, employer, org_type)"
        " SELECT o, t, n, p, s::date, nm, ap::date, e::date, emp, ot FROM unnest ($1::text[],"
        "   $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],"
        "   $9::text[], $10::text[]) AS k (o, t, n, p, s, nm, ap, e, emp, ot)"
        " ON CONFLICT DO NOTHING"
        " RETURNING org_uscc, id_type, id_number, position, start_on::text", cols, 10);
    rc = rc || !res? -1: 0;
    if (res)
        rc = s_posts_inserted (self, res, posts, 5, n, outcomes);
    PQclear (res);
    //  A post held in an organization that is not active
    for (size_t i = 0; i < n && rc == 0; i++)
        if (posts [i].todo != P_NONE && !*((const Npo__WorkPost *) bodies [i])->end_on
        &&  strcmp (PQgetvalue (orgs.res, posts [i].org, 2), "active"))
            npo_import_flag (outcomes [i], "inconsistent_status", "end_on",
                             "a post held in an organization that is not active");
    if (rc == 0)
        rc = s_posts_end (self, request, &orgs, posts, n, outcomes);
    for (int c = 0; c < 10; c++)
        free (cols [c].text);
    PQclear (orgs.res);
    free (posts);
    return rc;
}

//  Section 02: the person in a post, keyed by organization, person and
//  position. It describes the person's latest post of that position there
//  (by start date), else makes one (from the record's start_on, if any). An
//  absent name keeps the stored one (section 03's). Four statements a
//  batch.
static int
s_store_officers (void *state, const Npo__Request *request, void *const *bodies, size_t n,
                  const char *province, Npo__ImportOutcome **outcomes)
{
    reg_t *self = state;
    s_post_t *posts = calloc (n + 1, sizeof *posts);
    if (!posts)
        abort ();
    for (size_t i = 0; i < n; i++) {
        const Npo__AppointOfficer *cmd = bodies [i];
        const Npo__Officer *o = cmd? cmd->officer: NULL;
        if (!cmd)
            continue;
        if (!o) {
            npo_import_refuse (outcomes [i], "missing_required", "the record has no officer");
            continue;
        }
        const char *why = s_post_key (o->org_uscc, o->id_type, o->id_number, o->position);
        const char *texts [10] = {
            o->name, o->ethnicity, o->nationality, o->political_status, o->mail_address,
            o->postal_code, o->mobile, o->phone, o->gender, o->employer
        };
        const char *dates [3] = { o->birth_date, cmd->start_on, cmd->appointed_on };
        if (!why && (!s_fits (texts, 10, dates, 3)
                     || (*o->gender && strcmp (o->gender, "male")
                         && strcmp (o->gender, "female"))))
            why = "invalid_format";
        if (why) {
            npo_import_refuse (outcomes [i], why, "the record cannot be stored"
                               " (docs/import.md 3.1)");
            continue;
        }
        posts [i].uscc = o->org_uscc;
        //  A resident ID carries the birth date (docs/import.md 02)
        if (*o->birth_date)
            snprintf (posts [i].birth, sizeof posts [i].birth, "%s", o->birth_date);
        else
        if (strcmp (o->id_type, "resident_id") == 0)
            snprintf (posts [i].birth, sizeof posts [i].birth, "%.4s-%.2s-%.2s", o->id_number + 6,
                      o->id_number + 10, o->id_number + 12);
    }
    s_orgs_t orgs = { NULL };
    int rc = s_orgs_load (self, posts, n, &orgs);
    npo_db_array_t cols [18] = { { 0 } };
    char index [24];
    for (size_t i = 0; i < n && rc == 0; i++) {
        const Npo__Officer *o = posts [i].uscc? ((const Npo__AppointOfficer *) bodies [i])->officer:
                                           NULL;
        if (!o || (posts [i].org = s_orgs_find (&orgs, o->org_uscc, province,
                                                outcomes [i])) < 0)
            continue;
        posts [i].todo = P_INSERT;
        const char *key [5] = { o->org_uscc, o->id_type, o->id_number, o->position, NULL };
        memcpy (posts [i].key, key, sizeof key);
        snprintf (index, sizeof index, "%zu", i);
        const char *row [16] = {
            o->org_uscc, o->id_type, o->id_number, o->position, o->name,
            *posts [i].birth? posts [i].birth: NULL, o->gender, o->ethnicity, o->nationality,
            o->political_status, o->mail_address, o->postal_code, o->mobile, o->phone,
            o->full_time? "true": "false", index
        };
        s_row (cols, row, 16);
    }
    static const char columns [] =
        " FROM unnest ($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
        "   $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
        "   $13::text[], $14::text[], $15::text[], $16::text[])"
        "   AS k (o, t, n, p, nm, bd, g, eth, nat, pol, mail, post, mob, ph, ft, x)";
    char sql [2048];
    snprintf (sql, sizeof sql,
        "SELECT DISTINCT ON (k.x::int) k.x, p.id, p.start_on IS NULL,"
        " (p.name, p.birth_date, p.gender, p.ethnicity, p.nationality, p.political_status,"
        "  p.mail_address, p.postal_code, p.mobile, p.phone, p.full_time) IS NOT DISTINCT FROM"
        " (coalesce (nullif (k.nm, ''), p.name), k.bd::date, k.g, k.eth, k.nat, k.pol, k.mail,"
        "  k.post, k.mob, k.ph, k.ft::boolean), p.end_on IS NOT NULL%s"
        " JOIN officer_posts p ON p.org_uscc = k.o AND p.id_type = k.t AND p.id_number = k.n"
        "   AND p.position = k.p"
        " ORDER BY k.x::int, p.start_on DESC NULLS FIRST, p.id DESC", columns);
    PGresult *res = rc? NULL: s_exec_columns (self, sql, cols, 16);
    rc = rc || !res? -1: 0;
    if (res)
        s_posts_match (res, posts, n);
    PQclear (res);
    //  The changed posts (the person's fields only, which no rule of the
    //  table reads), then the new ones, one statement each
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        int todo = pass? P_INSERT: P_UPDATE;
        size_t count = 0;
        for (size_t i = 0; i < n; i++) {
            if (posts [i].todo != todo)
                continue;
            const Npo__AppointOfficer *cmd = bodies [i];
            const Npo__Officer *o = cmd->officer;
            const char *start = *cmd->start_on? cmd->start_on: NULL;
            const char *appointed = *cmd->appointed_on? cmd->appointed_on: start;
            if (pass)
                posts [i].no_start = !start;
            posts [i].action = pass? "appointed": "updated";
            const char *row [18] = {
                pass? o->org_uscc: posts [i].id, o->id_type, o->id_number, o->position,
                o->name, *posts [i].birth? posts [i].birth: NULL, o->gender, o->ethnicity,
                o->nationality, o->political_status, o->mail_address, o->postal_code,
                o->mobile, o->phone, o->full_time? "true": "false", start, appointed,
                PQgetvalue (orgs.res, posts [i].org, 1)
            };
            s_row (cols, row, 18);
            count++;
        }
        if (!count)
            continue;
        static const char values [] =
            " FROM unnest ($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
            "   $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],"
            "   $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],"
            "   $18::text[]) AS k (o, t, n, p, nm, bd, g, eth, nat, pol, mail, post, mob, ph,"
            "   ft, s, ap, ot)";
        snprintf (sql, sizeof sql, pass?
            "INSERT INTO officer_posts (org_uscc, id_type, id_number, position, name,"
            " birth_date, gender, ethnicity, nationality, political_status, mail_address,"
            " postal_code, mobile, phone, full_time, start_on, appointed_on, org_type)"
            " SELECT o, t, n, p, nm, bd::date, g, eth, nat, pol, mail, post, mob, ph,"
            " ft::boolean, s::date, ap::date, ot%s ON CONFLICT DO NOTHING"
            " RETURNING org_uscc, id_type, id_number, position":
            "UPDATE officer_posts x SET name = coalesce (nullif (k.nm, ''), x.name),"
            " birth_date = k.bd::date, gender = k.g, ethnicity = k.eth, nationality = k.nat,"
            " political_status = k.pol, mail_address = k.mail, postal_code = k.post,"
            " mobile = k.mob, phone = k.ph, full_time = k.ft::boolean%s"
            " WHERE x.id = k.o::bigint", values);
        res = s_exec_columns (self, sql, cols, 18);
        rc = res? 0: -1;
        if (res && pass)
            rc = s_posts_inserted (self, res, posts, 4, n, outcomes);
        PQclear (res);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (posts [i].todo != P_NONE && posts [i].no_start)
            npo_import_flag (outcomes [i], "missing_related", "start_on",
                             "a post with no start date: give its section 03 record");
        //  A held post in an organization that is not active (note 9)
        if (posts [i].todo != P_NONE && !posts [i].ended
        &&  strcmp (PQgetvalue (orgs.res, posts [i].org, 2), "active"))
            npo_import_flag (outcomes [i], "inconsistent_status", "",
                             "a post held in an organization that is not active");
    }
    if (rc == 0)
        rc = s_posts_end (self, request, &orgs, posts, n, outcomes);
    for (int c = 0; c < 18; c++)
        free (cols [c].text);
    PQclear (orgs.res);
    free (posts);
    return rc;
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
    { 2, &npo__appoint_officer__descriptor, NULL, s_officer_key, s_store_officers },
    { 3, &npo__work_post__descriptor, NULL, s_post_key_of, s_store_posts },
    //  (import_more.c)
    { 4, &npo__certificate_record__descriptor, reg_store_certificate, reg_certificate_key },
    { 7, &npo__deregistration_record__descriptor, reg_store_deregistration,
      reg_deregistration_key },
    { 9, &npo__change_record__descriptor, reg_store_change, reg_change_key },
};

void
reg_import_records (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    npo_import_records (self->db, &self->actor, self->target, sizeof self->target, self,
                        request, reply, s_sections, sizeof s_sections / sizeof s_sections [0]);
}

//  ---------------------------------------------------------------------
//  The rules across records, over all of a province's organizations

//  legal_rep_mismatch (docs/import.md 6.1, note 7): an active organization
//  with at least one held post whose held legal_representative posts are
//  not exactly one, or whose one holder is not section 01's legal
//  representative. The detail never names a person.
static const char s_legal_rep [] =
    "SELECT o.uscc AS ref, o.uscc AS uscc,"
    " CASE count (*) FILTER (WHERE p.position = 'legal_representative')"
    "   WHEN 0 THEN 'no held legal_representative post'"
    "   WHEN 1 THEN 'the legal_representative post''s holder is not section 01''s"
    " legal_representative'"
    "   ELSE count (*) FILTER (WHERE p.position = 'legal_representative')::text"
    "        || ' held legal_representative posts' END AS detail"
    " FROM organizations o JOIN officer_posts p ON p.org_uscc = o.uscc AND p.end_on IS NULL"
    " WHERE o.status = 'active' AND o.authority_division LIKE $1 || '%'"
    " GROUP BY o.uscc, o.legal_representative"
    " HAVING count (*) FILTER (WHERE p.position = 'legal_representative') <> 1"
    "   OR NOT coalesce (bool_or (p.position = 'legal_representative'"
    "                             AND p.name = o.legal_representative), false)";

void
reg_check_return (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__CheckReturn *cmd = request->check_return;
    if (!npo_import_allowed (&self->actor, cmd->province, self->target, sizeof self->target,
                             reply))
        return;
    char today [11];
    npo_import_found_on (&self->actor, cmd->found_on, today);
    Npo__CheckReply *body = malloc (sizeof *body);
    Npo__RuleCount *count = malloc (sizeof *count);
    if (!body || !count)
        abort ();
    npo__check_reply__init (body);
    npo__rule_count__init (count);
    body->rules = malloc (sizeof *body->rules);
    if (!body->rules)
        abort ();
    body->rules [body->n_rules++] = count;
    if (npo_db_begin (self->db)
    ||  npo_findings_cross (self->db, cmd->province, 1, "legal_rep_mismatch", "officers",
                            s_legal_rep, today, count)
    ||  npo_db_commit (self->db)) {
        npo__check_reply__free_unpacked (body, NULL);
        reg_db_failed (self, reply);
        return;
    }
    reply->body_case = NPO__REPLY__BODY_CHECK_RETURN;
    reply->check_return = body;
}
