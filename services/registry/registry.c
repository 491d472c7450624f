/*  registry.c - npo-registry command handlers: establishment applications,
 *  review, and Unified Social Credit Code assignment at approval
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "log.h"
#include "registry.h"

#define BAD     NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT NPO__STATUS__STATUS_CONFLICT

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

//  Answers a failed database call: unavailable when the connection is gone
//  (the client retries), internal otherwise.
static void
s_db_failed (reg_t *self, Npo__Reply *reply)
{
    npo_db_rollback (self->db);
    if (npo_db_lost (self->db))
        npo_reply_error (reply, NPO__STATUS__STATUS_UNAVAILABLE, "database_unavailable",
                         "the registry database is unreachable; retry");
    else
        npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "database_error",
                         "could not complete the command (sqlstate %s)",
                         npo_db_sqlstate (self->db));
}

//  True for a string of exactly n digits.
static bool
s_digits (const char *s, size_t n)
{
    size_t i = 0;
    for (; s [i]; i++)
        if (!isdigit ((unsigned char) s [i]))
            return false;
    return i == n;
}

//  True for "d{1,14}(.d{1,2})?"
static bool
s_amount (const char *s)
{
    size_t i = 0, frac = 0;
    while (isdigit ((unsigned char) s [i]))
        i++;
    if (i == 0 || i > 14)
        return false;
    if (s [i] == '.') {
        while (isdigit ((unsigned char) s [i + 1 + frac]))
            frac++;
        if (frac == 0 || frac > 2)
            return false;
        i += 1 + frac;
    }
    return s [i] == 0;
}

//  True for a real calendar date YYYY-MM-DD between 1949-10-01 and today.
static bool
s_date (const char *s)
{
    if (strlen (s) != 10 || s [4] != '-' || s [7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit ((unsigned char) s [i]))
            return false;
    struct tm tm = { 0 };
    char *end = strptime (s, "%Y-%m-%d", &tm);
    if (!end || *end)
        return false;
    int y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
    static const int days [] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > days [m - 1] || (m == 2 && d == 29 && !leap))
        return false;
    char today [11];
    time_t now = time (NULL) + 8 * 3600;            //  dates are Beijing dates
    strftime (today, sizeof today, "%Y-%m-%d", gmtime (&now));
    return strcmp (s, "1949-10-01") >= 0 && strcmp (s, today) <= 0;
}

static void
s_today (char *buf)
{
    time_t now = time (NULL) + 8 * 3600;
    strftime (buf, 11, "%Y-%m-%d", gmtime (&now));
}

int
reg_validate_basic (const Npo__BasicInfo *b, Npo__Reply *reply)
{
    //  Every text field: valid UTF-8, no control characters, bounded.
    const ProtobufCMessageDescriptor *desc = &npo__basic_info__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        if (f->type != PROTOBUF_C_TYPE_STRING)
            continue;
        const char *value = *(char *const *) ((const char *) b + f->offset);
        bool scope = strcmp (f->name, "business_scope") == 0;
        size_t chars;
        if (!npo_utf8_valid (value, scope, &chars)) {
            npo_reply_error (reply, BAD, "invalid_field",
                             "%s: not valid UTF-8 text or holds control characters", f->name);
            return -1;
        }
        if (chars > (scope? 2000u: 200u)) {
            npo_reply_error (reply, BAD, "invalid_field", "%s: longer than %u characters",
                             f->name, scope? 2000u: 200u);
            return -1;
        }
    }
    const char *missing = !*b->name? "name":
                          !*b->type? "type":
                          !*b->authority_division? "authority_division":
                          !*b->registration_authority? "registration_authority":
                          !*b->legal_representative? "legal_representative": NULL;
    if (missing) {
        npo_reply_error (reply, BAD, "missing_field", "%s: required", missing);
        return -1;
    }
    if (strlen (b->name) < 4) {          //  at least two Chinese characters' worth
        npo_reply_error (reply, BAD, "invalid_field", "name: too short");
        return -1;
    }
    if (!reg_type_code (b->type)) {
        npo_reply_error (reply, BAD, "invalid_type",
                         "type: \"%s\" is not social_group, social_service, foundation or other",
                         b->type);
        return -1;
    }
    if (!division_valid (b->authority_division)) {
        npo_reply_error (reply, BAD, "invalid_division",
                         "authority_division: \"%s\" is not a division code (GB/T 2260)",
                         b->authority_division);
        return -1;
    }
    if (*b->address_division && !division_valid (b->address_division)) {
        npo_reply_error (reply, BAD, "invalid_division",
                         "address_division: \"%s\" is not a division code (GB/T 2260)",
                         b->address_division);
        return -1;
    }
    const char *bad_code = *b->registration_authority_code
                           && !uscc_valid (b->registration_authority_code)?
                               "registration_authority_code":
                           *b->business_unit_code && !uscc_valid (b->business_unit_code)?
                               "business_unit_code": NULL;
    if (bad_code) {
        npo_reply_error (reply, BAD, "invalid_uscc",
                         "%s: not a valid unified social credit code", bad_code);
        return -1;
    }
    if (*b->postal_code && !s_digits (b->postal_code, 6)) {
        npo_reply_error (reply, BAD, "invalid_field", "postal_code: expected 6 digits");
        return -1;
    }
    if (*b->registered_capital && !s_amount (b->registered_capital)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "registered_capital: expected yuan as digits with up to 2 decimals");
        return -1;
    }
    for (const char *p = b->contact_phone; *p; p++)
        if (!isdigit ((unsigned char) *p) && !strchr ("+- ", *p)) {
            npo_reply_error (reply, BAD, "invalid_field", "contact_phone: digits, +, - only");
            return -1;
        }
    return 0;
}

//  Fills reply with an ApplicationReply.
static void
s_reply_application (Npo__Reply *reply, uint64_t id, const char *status, const char *uscc)
{
    Npo__ApplicationReply *app = malloc (sizeof *app);
    if (!app)
        abort ();
    npo__application_reply__init (app);
    app->application_id = id;
    app->status = npo_strdup (status);
    app->uscc = npo_strdup (uscc);
    reply->body_case = NPO__REPLY__BODY_APPLICATION;
    reply->application = app;
}

static void
s_submit (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__SubmitApplication *cmd = request->submit_application;
    const char *kind = *cmd->kind? cmd->kind: "establishment";
    if (strcmp (kind, "establishment") != 0) {
        npo_reply_error (reply, BAD, "invalid_kind",
                         "kind: \"%s\" is not supported (establishment)", kind);
        return;
    }
    if (!cmd->basic) {
        npo_reply_error (reply, BAD, "missing_field", "basic: required");
        return;
    }
    size_t key_chars;
    if (!npo_utf8_valid (cmd->idempotency_key, false, &key_chars) || key_chars > 128) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "idempotency_key: at most 128 characters of text");
        return;
    }
    if (reg_validate_basic (cmd->basic, reply))
        return;

    uint8_t *basic;
    size_t size;
    if (npo_pack (&cmd->basic->base, &basic, &size)) {
        npo_reply_error (reply, BAD, "too_large", "the application is too large");
        return;
    }
    const char *params [6] = { kind, *cmd->idempotency_key? cmd->idempotency_key: NULL,
                               cmd->basic->name, cmd->basic->authority_division,
                               (const char *) basic, request->actor };
    int lengths [6] = { 0, 0, 0, 0, (int) size, 0 };
    int formats [6] = { 0, 0, 0, 0, 1, 0 };
    //  A retry with the same key returns the first submission (no new row).
    PGresult *res = npo_db_exec_bin (self->db,
        "WITH ins AS ("
        " INSERT INTO applications (kind, idempotency_key, name, authority_division, basic,"
        " submitted_by) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, status, '' AS uscc)"
        " SELECT id, status, uscc FROM ins"
        " UNION ALL SELECT id, status, coalesce (uscc, '') FROM applications"
        " WHERE idempotency_key = $2 AND NOT EXISTS (SELECT 1 FROM ins)",
        6, params, lengths, formats, 0);
    free (basic);
    if (!res) {
        s_db_failed (self, reply);
        return;
    }
    if (PQntuples (res) == 1)
        s_reply_application (reply, strtoull (PQgetvalue (res, 0, 0), NULL, 10),
                             PQgetvalue (res, 0, 1), PQgetvalue (res, 0, 2));
    else
        npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "database_error",
                         "submission returned no row");
    PQclear (res);
}

//  Approves application id (locked, status submitted or accepted) with basic:
//  assigns the code, writes the organization and its event.
static int
s_approve (reg_t *self, const Npo__Request *request, uint64_t id, Npo__BasicInfo *basic,
           const char *decided_on, Npo__Reply *reply)
{
    uint32_t seq = reg_db_next_seq (self, basic->authority_division);
    char org_code [10], uscc [19];
    if (seq == 0)
        return -1;
    if (orgcode_assign (org_code, basic->authority_division, seq)
    ||  uscc_build (uscc, '5', reg_type_code (basic->type), basic->authority_division, org_code)) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, CONFLICT, "codes_exhausted",
                         "authority %s has used every organization code sequence number",
                         basic->authority_division);
        return 0;
    }
    Npo__Organization org = NPO__ORGANIZATION__INIT;
    org.uscc = uscc;
    org.org_code = org_code;
    org.status = "active";
    org.approved_on = (char *) decided_on;
    org.version = 1;
    org.updated_at_us = npo_now_us ();
    org.basic = basic;
    if (reg_db_insert_org (self, &org, id)) {
        if (strcmp (npo_db_constraint (self->db), "organizations_active_name") == 0) {
            npo_db_rollback (self->db);
            npo_reply_error (reply, CONFLICT, "name_taken",
                             "an active organization of authority %s is already named %s",
                             basic->authority_division, basic->name);
            return 0;
        }
        return -1;
    }
    char app_id [24];
    snprintf (app_id, sizeof app_id, "%llu", (unsigned long long) id);
    const char *params [4] = { app_id, request->actor, decided_on, uscc };
    if (npo_db_cmd (self->db,
            "UPDATE applications SET status = 'approved', decided_at = now (), decided_by = $2,"
            " decided_on = $3, uscc = $4 WHERE id = $1", 4, params))
        return -1;
    Npo__OrgRegistered event = NPO__ORG_REGISTERED__INIT;
    event.organization = &org;
    event.application_id = id;
    if (!npo_outbox_append (self->outbox, "registry.org_registered", uscc,
                            basic->authority_division, request->actor, &event.base))
        return -1;
    if (npo_db_commit (self->db))
        return -1;
    s_reply_application (reply, id, "approved", uscc);
    log_info ("registered %s (application %llu, authority %s)", uscc,
              (unsigned long long) id, basic->authority_division);
    return 0;
}

static int
s_reject (reg_t *self, const Npo__Request *request, uint64_t id, const char *division,
          const char *decided_on, Npo__Reply *reply)
{
    const Npo__DecideApplication *cmd = request->decide_application;
    char app_id [24];
    snprintf (app_id, sizeof app_id, "%llu", (unsigned long long) id);
    const char *params [4] = { app_id, request->actor, decided_on, cmd->reason };
    if (npo_db_cmd (self->db,
            "UPDATE applications SET status = 'rejected', decided_at = now (), decided_by = $2,"
            " decided_on = $3, reason = $4 WHERE id = $1", 4, params))
        return -1;
    Npo__ApplicationRejected event = NPO__APPLICATION_REJECTED__INIT;
    event.application_id = id;
    event.authority_division = (char *) division;
    event.reason = cmd->reason;
    if (!npo_outbox_append (self->outbox, "registry.application_rejected", "", division,
                            request->actor, &event.base)
    ||  npo_db_commit (self->db))
        return -1;
    s_reply_application (reply, id, "rejected", "");
    return 0;
}

static void
s_decide (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__DecideApplication *cmd = request->decide_application;
    char today [11];
    s_today (today);
    const char *decided_on = *cmd->decided_on? cmd->decided_on: today;
    if (!s_date (decided_on)) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "decided_on: \"%s\" is not a date YYYY-MM-DD up to today", decided_on);
        return;
    }
    size_t reason_chars;
    if (!npo_utf8_valid (cmd->reason, true, &reason_chars) || reason_chars > 2000) {
        npo_reply_error (reply, BAD, "invalid_field", "reason: at most 2000 characters of text");
        return;
    }
    if (!cmd->approve && reason_chars == 0) {
        npo_reply_error (reply, BAD, "missing_field", "reason: required to reject");
        return;
    }
    char app_id [24];
    snprintf (app_id, sizeof app_id, "%llu", (unsigned long long) cmd->application_id);
    const char *params [1] = { app_id };
    if (npo_db_begin (self->db)) {
        s_db_failed (self, reply);
        return;
    }
    PGresult *res = npo_db_exec_bin (self->db,
        "SELECT status, coalesce (uscc, ''), authority_division, basic,"
        " (submitted_at AT TIME ZONE 'Asia/Shanghai')::date::text"
        " FROM applications WHERE id = $1 FOR UPDATE", 1, params, NULL, NULL, 1);
    if (!res) {
        s_db_failed (self, reply);
        return;
    }
    if (PQntuples (res) == 0) {
        PQclear (res);
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "application_not_found",
                         "no application %s", app_id);
        return;
    }
    char status [16], uscc [19], division [8], submitted_on [16];
    snprintf (status, sizeof status, "%.*s", PQgetlength (res, 0, 0), PQgetvalue (res, 0, 0));
    snprintf (uscc, sizeof uscc, "%.*s", PQgetlength (res, 0, 1), PQgetvalue (res, 0, 1));
    snprintf (division, sizeof division, "%.*s", PQgetlength (res, 0, 2), PQgetvalue (res, 0, 2));
    snprintf (submitted_on, sizeof submitted_on, "%.*s", PQgetlength (res, 0, 4),
              PQgetvalue (res, 0, 4));
    Npo__BasicInfo *basic = npo__basic_info__unpack (NULL, (size_t) PQgetlength (res, 0, 3),
                                                     (const uint8_t *) PQgetvalue (res, 0, 3));
    PQclear (res);
    int rc = 0;
    if (strcmp (status, "approved") == 0 || strcmp (status, "rejected") == 0) {
        npo_db_rollback (self->db);
        //  The same decision again (a retry) answers what was decided
        if (cmd->approve == (strcmp (status, "approved") == 0))
            s_reply_application (reply, cmd->application_id, status, uscc);
        else
            npo_reply_error (reply, CONFLICT, "already_decided",
                             "application %s was already %s", app_id, status);
    }
    else
    if (strcmp (decided_on, submitted_on) < 0) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, BAD, "invalid_date",
                         "decided_on: %s is before the application was submitted (%s)",
                         decided_on, submitted_on);
    }
    else
    if (!basic) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "corrupt_application",
                         "application %s cannot be read back", app_id);
    }
    else
    if (cmd->approve)
        rc = s_approve (self, request, cmd->application_id, basic, decided_on, reply);
    else
        rc = s_reject (self, request, cmd->application_id, division, decided_on, reply);
    if (rc)
        s_db_failed (self, reply);
    if (basic)
        npo__basic_info__free_unpacked (basic, NULL);
}

static void
s_get (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const char *uscc = request->get_organization->uscc;
    if (!uscc_valid (uscc)) {
        npo_reply_error (reply, BAD, "invalid_uscc",
                         "not a valid unified social credit code (GB 32100)");
        return;
    }
    bool found;
    Npo__Organization *org = reg_db_load_org (self, uscc, &found);
    if (org) {
        reply->body_case = NPO__REPLY__BODY_ORGANIZATION;
        reply->organization = org;
    }
    else
    if (!found && !*npo_db_sqlstate (self->db))
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "not_found",
                         "no organization %s", uscc);
    else
        s_db_failed (self, reply);
}

void
reg_handle (void *state, const Npo__Request *request, Npo__Reply *reply)
{
    reg_t *self = state;
    switch (request->body_case) {
        case NPO__REQUEST__BODY_SUBMIT_APPLICATION:
            s_submit (self, request, reply);
            break;
        case NPO__REQUEST__BODY_DECIDE_APPLICATION:
            s_decide (self, request, reply);
            break;
        case NPO__REQUEST__BODY_GET_ORGANIZATION:
            s_get (self, request, reply);
            break;
        default:
            npo_reply_error (reply, BAD, "unknown_command",
                             "the registry does not handle this command");
            break;
    }
}
