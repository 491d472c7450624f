/*  applications.c - npo-registry applications: establishment, change and
 *  deregistration, each submitted -> accepted -> approved | rejected
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "log.h"
#include "registry.h"

#define BAD         NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT    NPO__STATUS__STATUS_CONFLICT
#define NOT_FOUND   NPO__STATUS__STATUS_NOT_FOUND

#define CHARTER_MAX_CHARS  50000

//  Items a change application may change; everything else in BasicInfo (type,
//  the registering authority) is not a change but a new registration.
static const char *s_changeable [] = {
    "name", "business_unit", "business_unit_code", "decoupled", "party_work_body",
    "industry", "legal_representative", "address_division", "address", "postal_code",
    "contact_name", "contact_phone", "business_scope", "registered_capital",
    "activity_area", "charter",
};

static void
s_reply_application (Npo__Reply *reply, uint64_t id, const char *kind, const char *status,
                     const char *uscc)
{
    Npo__ApplicationReply *app = malloc (sizeof *app);
    if (!app)
        abort ();
    npo__application_reply__init (app);
    app->application_id = id;
    app->kind = npo_strdup (kind);
    app->status = npo_strdup (status);
    app->uscc = npo_strdup (uscc);
    reply->body_case = NPO__REPLY__BODY_APPLICATION;
    reply->application = app;
}

//  The text of a BasicInfo field (bools as "true"/"false"); not owned.
static const char *
s_basic_get (const Npo__BasicInfo *b, const ProtobufCFieldDescriptor *f)
{
    const void *p = (const char *) b + f->offset;
    if (f->type == PROTOBUF_C_TYPE_BOOL)
        return *(const protobuf_c_boolean *) p? "true": "false";
    return *(char *const *) p;
}

//  Sets a BasicInfo field from text. Returns 0, or -1 (reply) for a bad bool.
static int
s_basic_set (Npo__BasicInfo *b, const ProtobufCFieldDescriptor *f, const char *text,
             Npo__Reply *reply)
{
    void *p = (char *) b + f->offset;
    if (f->type == PROTOBUF_C_TYPE_BOOL) {
        if (strcmp (text, "true") && strcmp (text, "false")) {
            npo_reply_error (reply, BAD, "invalid_field", "%s: expected true or false", f->name);
            return -1;
        }
        *(protobuf_c_boolean *) p = strcmp (text, "true") == 0;
        return 0;
    }
    char **value = p;
    if (*value != protobuf_c_empty_string)
        free (*value);
    *value = npo_strdup (text);
    return 0;
}

//  ---------------------------------------------------------------------
//  Submit

//  Checks a change application's items against the organization.
static int
s_check_change (const Npo__SubmitApplication *cmd, const Npo__Organization *org,
                Npo__Reply *reply)
{
    if (cmd->n_changes == 0 || cmd->n_changes > 32) {
        npo_reply_error (reply, BAD, "missing_field", "changes: 1 to 32 items required");
        return -1;
    }
    for (size_t i = 0; i < cmd->n_changes; i++) {
        const Npo__ChangeItem *c = cmd->changes [i];
        if (!NPO_STR_IN (c->item, s_changeable)) {
            //  (the item is not echoed: it is unchecked client text)
            npo_reply_error (reply, BAD, "invalid_change_item",
                             "changes: item %zu cannot be changed by a change application;"
                             " type and registering authority never can", i + 1);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp (cmd->changes [k]->item, c->item) == 0) {
                npo_reply_error (reply, BAD, "invalid_change_item",
                                 "changes: \"%s\" appears twice", c->item);
                return -1;
            }
        size_t chars;
        if (strcmp (c->item, "charter") == 0
        &&  (!npo_utf8_valid (c->after, true, &chars) || chars == 0 || chars > CHARTER_MAX_CHARS)) {
            npo_reply_error (reply, BAD, "invalid_field",
                             "charter: 1 to %d characters of text", CHARTER_MAX_CHARS);
            return -1;
        }
    }
    //  The organization as it would be after the change must be valid
    uint8_t *packed;
    size_t size;
    Npo__BasicInfo *after = NULL;
    if (npo_pack (&org->basic->base, &packed, &size) == 0) {
        after = npo__basic_info__unpack (NULL, size, packed);
        free (packed);
    }
    if (!after) {
        npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "internal",
                         "could not copy the organization's record");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cmd->n_changes; i++) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name
            (&npo__basic_info__descriptor, cmd->changes [i]->item);
        if (f)
            rc = s_basic_set (after, f, cmd->changes [i]->after, reply);
    }
    if (rc == 0)
        rc = reg_validate_basic (after, reply);
    if (after)
        npo__basic_info__free_unpacked (after, NULL);
    return rc;
}

void
reg_submit (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__SubmitApplication *cmd = request->submit_application;
    const char *kind = *cmd->kind? cmd->kind: "establishment";
    bool establishment = strcmp (kind, "establishment") == 0;
    if (!establishment && strcmp (kind, "change") && strcmp (kind, "deregistration")) {
        npo_reply_error (reply, BAD, "invalid_kind",
                         "kind: not establishment, change or deregistration");
        return;
    }
    size_t chars;
    if (!npo_utf8_valid (cmd->idempotency_key, false, &chars) || chars > 128) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "idempotency_key: at most 128 characters of text");
        return;
    }
    if (*cmd->received_on && !npo_date_valid (cmd->received_on)) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "received_on: \"%.20s\" is not a date YYYY-MM-DD up to today",
                         cmd->received_on);
        return;
    }
    Npo__Organization *org = NULL;
    const char *division, *name, *target = NULL;
    if (establishment) {
        if (!cmd->basic) {
            npo_reply_error (reply, BAD, "missing_field", "basic: required");
            return;
        }
        if (reg_validate_basic (cmd->basic, reply))
            return;
        if (!npo_utf8_valid (cmd->charter, true, &chars) || chars > CHARTER_MAX_CHARS) {
            npo_reply_error (reply, BAD, "invalid_field",
                             "charter: at most %d characters of text", CHARTER_MAX_CHARS);
            return;
        }
        division = cmd->basic->authority_division;
        name = cmd->basic->name;
    }
    else {
        if (!npo_uscc_ok (cmd->uscc, reply))
            return;
        bool found;
        org = reg_db_load_org (self, cmd->uscc, false, &found);
        if (!org) {
            if (found || *npo_db_sqlstate (self->db))
                reg_db_failed (self, reply);
            else
                npo_reply_error (reply, NOT_FOUND, "not_found", "no organization %s", cmd->uscc);
            return;
        }
        snprintf (self->target, sizeof self->target, "%s", org->uscc);
        division = org->basic->authority_division;
        name = org->basic->name;
        target = org->uscc;
        //  A revoked organization is still deregistered (注销) in the end
        if (strcmp (org->status, "active") != 0
        &&  !(!strcmp (kind, "deregistration") && !strcmp (org->status, "revoked"))) {
            npo_reply_error (reply, CONFLICT, "org_not_active",
                             "organization %s is %s", org->uscc, org->status);
            goto done;
        }
        if (strcmp (kind, "change") == 0 && s_check_change (cmd, org, reply))
            goto done;
        if (strcmp (kind, "deregistration") == 0) {
            const Npo__Deregistration *d = cmd->deregistration;
            size_t rc_chars;
            if (!d || !npo_utf8_valid (d->reason, true, &rc_chars) || rc_chars == 0
            ||  rc_chars > 2000 || !npo_utf8_valid (d->liquidation_leader, false, NULL)
            ||  strlen (d->liquidation_leader) > 200 || strlen (d->liquidation_phone) > 20) {
                npo_reply_error (reply, BAD, "invalid_field",
                                 "deregistration: a reason (up to 2000 characters) is required;"
                                 " liquidation_leader and liquidation_phone are bounded");
                goto done;
            }
        }
    }
    if (!reg_may_write (self, division, reply))
        goto done;

    uint8_t *basic = NULL, *body = NULL;
    size_t basic_size = 0, body_size = 0;
    if ((establishment && npo_pack (&cmd->basic->base, &basic, &basic_size))
    ||  (!establishment && npo_pack (&cmd->base, &body, &body_size))) {
        npo_reply_error (reply, BAD, "too_large", "the application is too large");
        goto done;
    }
    const char *params [10] = {
        kind, *cmd->idempotency_key? cmd->idempotency_key: NULL, name, division,
        (const char *) basic, (const char *) body, target, request->actor,
        establishment && *cmd->charter? cmd->charter: NULL,
        *cmd->received_on? cmd->received_on: NULL
    };
    int lengths [10] = { 0, 0, 0, 0, (int) basic_size, (int) body_size, 0, 0, 0, 0 };
    int formats [10] = { 0, 0, 0, 0, 1, 1, 0, 0, 0, 0 };
    //  A retry with the same key returns the first submission (no new row).
    PGresult *res = npo_db_exec_bin (self->db,
        "WITH ins AS ("
        " INSERT INTO applications (kind, idempotency_key, name, authority_division, basic,"
        " body, target_uscc, submitted_by, charter, received_on)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (idempotency_key) DO NOTHING"
        " RETURNING id, kind, status, coalesce (target_uscc, '') AS uscc, authority_division)"
        " SELECT * FROM ins"
        " UNION ALL SELECT id, kind, status, coalesce (uscc, target_uscc, ''), authority_division"
        " FROM applications WHERE idempotency_key = $2 AND NOT EXISTS (SELECT 1 FROM ins)",
        10, params, lengths, formats, 0);
    free (basic);
    free (body);
    if (!res)
        reg_db_failed (self, reply);
    else
    if (PQntuples (res) == 1
    &&  (strcmp (PQgetvalue (res, 0, 1), kind) || strcmp (PQgetvalue (res, 0, 4), division)))
        //  A key names one application: never someone else's, never another kind
        npo_reply_error (reply, CONFLICT, "idempotency_key_reused",
                         "idempotency_key: already used for another application");
    else
    if (PQntuples (res) == 1) {
        s_reply_application (reply, strtoull (PQgetvalue (res, 0, 0), NULL, 10),
                             PQgetvalue (res, 0, 1), PQgetvalue (res, 0, 2),
                             PQgetvalue (res, 0, 3));
        snprintf (self->target, sizeof self->target, "application %s", PQgetvalue (res, 0, 0));
    }
    else
        npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "database_error",
                         "submission returned no row");
    PQclear (res);
done:
    if (org)
        npo__organization__free_unpacked (org, NULL);
}

//  ---------------------------------------------------------------------
//  Accept and decide

//  An application row, locked in the open transaction.
typedef struct {
    uint64_t id;
    char id_text [24];
    char kind [16];
    char status [16];
    char uscc [19];             //  assigned (establishment) or target
    char division [8];
    char submitted_on [16];
    Npo__BasicInfo *basic;      //  establishment
    Npo__SubmitApplication *body;   //  change, deregistration
    char *charter;              //  establishment, "" when none
} s_app_t;

static void
s_app_free (s_app_t *app)
{
    if (app->basic)
        npo__basic_info__free_unpacked (app->basic, NULL);
    if (app->body)
        npo__submit_application__free_unpacked (app->body, NULL);
    free (app->charter);
}

//  Opens a transaction and loads application id FOR UPDATE, scope checked.
//  Returns 0, or -1 with reply filled and the transaction rolled back.
static int
s_app_load (reg_t *self, uint64_t id, s_app_t *app, Npo__Reply *reply)
{
    memset (app, 0, sizeof *app);
    app->id = id;
    snprintf (app->id_text, sizeof app->id_text, "%llu", (unsigned long long) id);
    snprintf (self->target, sizeof self->target, "application %s", app->id_text);
    const char *params [1] = { app->id_text };
    if (npo_db_begin (self->db)) {
        reg_db_failed (self, reply);
        return -1;
    }
    PGresult *res = npo_db_exec_bin (self->db,
        "SELECT kind, status, coalesce (uscc, target_uscc, ''), authority_division,"
        " coalesce (received_on, (submitted_at AT TIME ZONE 'Asia/Shanghai')::date)::text,"
        " basic, body,"
        " coalesce (charter, '') FROM applications WHERE id = $1 FOR UPDATE",
        1, params, NULL, NULL, 1);
    if (!res) {
        reg_db_failed (self, reply);
        return -1;
    }
    if (PQntuples (res) == 0) {
        PQclear (res);
        npo_db_rollback (self->db);
        npo_reply_error (reply, NOT_FOUND, "application_not_found", "no application %s",
                         app->id_text);
        return -1;
    }
    char *fields [5] = { app->kind, app->status, app->uscc, app->division, app->submitted_on };
    size_t sizes [5] = { sizeof app->kind, sizeof app->status, sizeof app->uscc,
                         sizeof app->division, sizeof app->submitted_on };
    for (int i = 0; i < 5; i++)
        snprintf (fields [i], sizes [i], "%.*s", PQgetlength (res, 0, i), PQgetvalue (res, 0, i));
    if (!PQgetisnull (res, 0, 5))
        app->basic = npo__basic_info__unpack (NULL, (size_t) PQgetlength (res, 0, 5),
                                              (const uint8_t *) PQgetvalue (res, 0, 5));
    if (!PQgetisnull (res, 0, 6))
        app->body = npo__submit_application__unpack (NULL, (size_t) PQgetlength (res, 0, 6),
                                                     (const uint8_t *) PQgetvalue (res, 0, 6));
    app->charter = malloc ((size_t) PQgetlength (res, 0, 7) + 1);
    if (!app->charter)
        abort ();
    memcpy (app->charter, PQgetvalue (res, 0, 7), (size_t) PQgetlength (res, 0, 7));
    app->charter [PQgetlength (res, 0, 7)] = 0;
    PQclear (res);
    if (!reg_may_write (self, app->division, reply)) {
        npo_db_rollback (self->db);
        s_app_free (app);
        return -1;
    }
    if ((strcmp (app->kind, "establishment") == 0 && !app->basic)
    ||  (strcmp (app->kind, "establishment") != 0 && !app->body)) {
        npo_db_rollback (self->db);
        s_app_free (app);
        npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "corrupt_application",
                         "application %s cannot be read back", app->id_text);
        return -1;
    }
    return 0;
}

void
reg_accept (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    s_app_t app;
    if (s_app_load (self, request->accept_application->application_id, &app, reply))
        return;
    if (strcmp (app.status, "submitted") == 0) {
        const char *params [2] = { app.id_text, request->actor };
        if (npo_db_cmd (self->db, "UPDATE applications SET status = 'accepted',"
                                  " accepted_at = now (), accepted_by = $2 WHERE id = $1",
                        2, params)
        ||  npo_db_commit (self->db))
            reg_db_failed (self, reply);
        else
            s_reply_application (reply, app.id, app.kind, "accepted", app.uscc);
    }
    else {
        npo_db_rollback (self->db);
        if (strcmp (app.status, "accepted") == 0)      //  a retry
            s_reply_application (reply, app.id, app.kind, app.status, app.uscc);
        else
            npo_reply_error (reply, CONFLICT, "already_decided",
                             "application %s was already %s", app.id_text, app.status);
    }
    s_app_free (&app);
}

//  Marks the application decided, in the open transaction.
static int
s_mark_decided (reg_t *self, const Npo__Request *request, const s_app_t *app,
                const char *status, const char *decided_on, const char *uscc)
{
    const char *params [6] = { app->id_text, request->actor, decided_on,
                               request->decide_application->reason, uscc, status };
    return npo_db_cmd (self->db,
        "UPDATE applications SET status = $6, decided_at = now (), decided_by = $2,"
        " decided_on = $3, reason = nullif ($4, ''), uscc = nullif ($5, '') WHERE id = $1",
        6, params);
}

//  Answers a refused insert or update: the name index means name_taken.
//  Returns 0 when it answered, -1 for any other failure.
static int
s_name_taken (reg_t *self, const Npo__BasicInfo *basic, Npo__Reply *reply)
{
    if (strcmp (npo_db_constraint (self->db), "organizations_active_name") != 0)
        return -1;
    npo_db_rollback (self->db);
    npo_reply_error (reply, CONFLICT, "name_taken",
                     "an active organization of authority %s is already named %s",
                     basic->authority_division, basic->name);
    return 0;
}

static int
s_insert_charter (reg_t *self, const char *uscc, int version, const char *text,
                  const char *approved_on)
{
    char v [12];
    snprintf (v, sizeof v, "%d", version);
    const char *params [4] = { uscc, v, text, approved_on };
    return npo_db_cmd (self->db,
               "UPDATE charters SET current = false WHERE uscc = $1 AND current", 1, params)
        || npo_db_cmd (self->db,
               "INSERT INTO charters (uscc, version, text, approved_on, current)"
               " VALUES ($1, $2, $3, $4, true)", 4, params);
}

//  Establishment: assigns the code, writes the organization, its charter and
//  the event. Returns 0 (answered) or -1 (database failure).
static int
s_approve_establishment (reg_t *self, const Npo__Request *request, s_app_t *app,
                         const char *decided_on, Npo__Reply *reply)
{
    Npo__BasicInfo *basic = app->basic;
    char org_code [10], uscc [19];
    //  A province's return may hold codes of its own (docs/import.md): the
    //  sequence goes past any of them
    uint32_t seq;
    int taken;
    do {
        seq = reg_db_next_seq (self, basic->authority_division);
        if (seq == 0 || orgcode_assign (org_code, basic->authority_division, seq))
            break;
        const char *params [1] = { org_code };
        PGresult *res = npo_db_exec (self->db,
            "SELECT 1 FROM organizations WHERE org_code = $1", 1, params);
        if (!res)
            return -1;
        taken = PQntuples (res);
        PQclear (res);
    } while (taken);
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
    if (reg_db_insert_org (self, &org, app->id))
        return s_name_taken (self, basic, reply);
    Npo__OrgRegistered event = NPO__ORG_REGISTERED__INIT;
    event.organization = &org;
    event.application_id = app->id;
    int rc = (*app->charter && s_insert_charter (self, uscc, 1, app->charter, decided_on))
          || s_mark_decided (self, request, app, "approved", decided_on, uscc)
          || reg_cert_issue (self, &org, decided_on, NULL, decided_on)
          || !npo_outbox_append (self->outbox, "registry.org_registered", uscc,
                                 basic->authority_division, request->actor, &event.base)
          || npo_db_commit (self->db)? -1: 0;
    if (org.certificate)
        npo__certificate__free_unpacked (org.certificate, NULL);
    if (rc)
        return -1;
    snprintf (self->target, sizeof self->target, "%s", uscc);
    s_reply_application (reply, app->id, app->kind, "approved", uscc);
    log_info ("registered %s (application %llu, authority %s)", uscc,
              (unsigned long long) app->id, basic->authority_division);
    return 0;
}

//  Loads the application's organization FOR UPDATE; it must be active (or
//  revoked, for a deregistration).
//  Returns it, or NULL with reply filled (or *failed on a database error).
static Npo__Organization *
s_target_org (reg_t *self, const s_app_t *app, Npo__Reply *reply, bool *failed)
{
    bool found;
    *failed = false;
    Npo__Organization *org = reg_db_load_org (self, app->uscc, true, &found);
    if (!org) {
        *failed = found || *npo_db_sqlstate (self->db);
        if (!*failed) {
            npo_db_rollback (self->db);
            npo_reply_error (reply, NOT_FOUND, "not_found", "no organization %s", app->uscc);
        }
        return NULL;
    }
    if (strcmp (org->status, "active") != 0
    &&  !(!strcmp (app->kind, "deregistration") && !strcmp (org->status, "revoked"))) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, CONFLICT, "org_not_active", "organization %s is %s",
                         org->uscc, org->status);
        npo__organization__free_unpacked (org, NULL);
        return NULL;
    }
    return org;
}

static int
s_approve_change (reg_t *self, const Npo__Request *request, s_app_t *app,
                  const char *decided_on, Npo__Reply *reply)
{
    bool failed;
    Npo__Organization *org = s_target_org (self, app, reply, &failed);
    if (!org)
        return failed? -1: 0;
    const Npo__SubmitApplication *cmd = app->body;
    Npo__Change **changes = calloc (cmd->n_changes + 1, sizeof *changes);
    Npo__Change *storage = calloc (cmd->n_changes + 1, sizeof *storage);
    char before_charter [16] = "", after_charter [16] = "";
    int rc = -1;
    if (!changes || !storage)
        abort ();
    //  Apply each item, keeping its before and after
    for (size_t i = 0; i < cmd->n_changes; i++) {
        const Npo__ChangeItem *c = cmd->changes [i];
        npo__change__init (&storage [i]);
        changes [i] = &storage [i];
        storage [i].item = c->item;
        storage [i].content = (char *) npo_change_label (c->item);
        storage [i].approved_on = (char *) decided_on;
        if (strcmp (c->item, "charter") == 0) {
            PGresult *res = npo_db_exec (self->db, "SELECT coalesce (max (version), 0)"
                                         " FROM charters WHERE uscc = $1", 1,
                                         (const char *const []) { org->uscc });
            if (!res)
                goto done;
            int version = atoi (PQgetvalue (res, 0, 0));
            PQclear (res);
            snprintf (before_charter, sizeof before_charter, "v%d", version);
            snprintf (after_charter, sizeof after_charter, "v%d", version + 1);
            storage [i].before = before_charter;
            storage [i].after = after_charter;
            if (s_insert_charter (self, org->uscc, version + 1, c->after, decided_on))
                goto done;
            continue;
        }
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name
            (&npo__basic_info__descriptor, c->item);
        storage [i].before = npo_strdup (s_basic_get (org->basic, f));
        if (s_basic_set (org->basic, f, c->after, reply)) {
            npo_db_rollback (self->db);
            rc = 0;
            goto done;
        }
        storage [i].after = (char *) s_basic_get (org->basic, f);
    }
    //  Checked at submission; checked again, the organization may have moved
    if (reg_validate_basic (org->basic, reply)) {
        npo_db_rollback (self->db);
        rc = 0;
        goto done;
    }
    org->version++;
    org->updated_at_us = npo_now_us ();
    if (reg_db_update_org (self, org)) {
        rc = s_name_taken (self, org->basic, reply);
        goto done;
    }
    for (size_t i = 0; i < cmd->n_changes; i++) {
        char app_id [24];
        snprintf (app_id, sizeof app_id, "%llu", (unsigned long long) app->id);
        const char *params [7] = { org->uscc, app_id, changes [i]->item, changes [i]->before,
                                   changes [i]->after, decided_on, changes [i]->content };
        if (npo_db_cmd (self->db, "INSERT INTO changes (uscc, application_id, item, before,"
                                  " after, approved_on, content)"
                                  " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, params))
            goto done;
    }
    //  A change to what is printed re-issues the certificate
    bool reissue = false;
    for (size_t i = 0; i < cmd->n_changes; i++)
        reissue = reissue || reg_cert_item (cmd->changes [i]->item);
    if (s_mark_decided (self, request, app, "approved", decided_on, "")
    ||  (reissue? reg_cert_issue (self, org, NULL, NULL, decided_on): reg_cert_load (self, org)))
        goto done;
    Npo__OrgChanged event = NPO__ORG_CHANGED__INIT;
    event.organization = org;
    event.application_id = app->id;
    event.n_changes = cmd->n_changes;
    event.changes = changes;
    if (!npo_outbox_append (self->outbox, "registry.org_changed", org->uscc,
                            org->basic->authority_division, request->actor, &event.base)
    ||  npo_db_commit (self->db))
        goto done;
    s_reply_application (reply, app->id, app->kind, "approved", org->uscc);
    rc = 0;
done:
    for (size_t i = 0; i < cmd->n_changes; i++)
        if (storage [i].before && storage [i].before != before_charter)
            free (storage [i].before);
    free (storage);
    free (changes);
    npo__organization__free_unpacked (org, NULL);
    return rc;
}

static int
s_approve_deregistration (reg_t *self, const Npo__Request *request, s_app_t *app,
                          const char *decided_on, Npo__Reply *reply)
{
    bool failed;
    Npo__Organization *org = s_target_org (self, app, reply, &failed);
    if (!org)
        return failed? -1: 0;
    const Npo__Deregistration *d = app->body->deregistration;
    int rc = -1;
    free (org->status);
    org->status = npo_strdup ("deregistered");
    org->version++;
    org->updated_at_us = npo_now_us ();
    char app_id [24];
    snprintf (app_id, sizeof app_id, "%llu", (unsigned long long) app->id);
    const char *params [6] = { org->uscc, app_id, d->reason, decided_on,
                               d->liquidation_leader, d->liquidation_phone };
    if (reg_db_update_org (self, org)
    ||  npo_db_cmd (self->db, "INSERT INTO deregistrations (uscc, application_id, reason,"
                              " deregistered_on, liquidation_leader, liquidation_phone)"
                              " VALUES ($1, $2, $3, $4, $5, $6)", 6, params)
    //  Its officers' posts end with it
    ||  npo_db_cmd (self->db, "UPDATE officer_posts SET end_on = greatest ($2::date, start_on)"
                              " WHERE org_uscc = $1 AND end_on IS NULL", 2,
                    (const char *const []) { org->uscc, decided_on })
    ||  s_mark_decided (self, request, app, "approved", decided_on, "")
    ||  reg_cert_revoke (self, org))
        goto done;
    Npo__OrgDeregistered event = NPO__ORG_DEREGISTERED__INIT;
    event.organization = org;
    event.application_id = app->id;
    event.reason = d->reason;
    event.deregistered_on = (char *) decided_on;
    event.liquidation_leader = d->liquidation_leader;
    if (!npo_outbox_append (self->outbox, "registry.org_deregistered", org->uscc,
                            org->basic->authority_division, request->actor, &event.base)
    ||  npo_db_commit (self->db))
        goto done;
    s_reply_application (reply, app->id, app->kind, "approved", org->uscc);
    rc = 0;
done:
    npo__organization__free_unpacked (org, NULL);
    return rc;
}

void
reg_decide (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__DecideApplication *cmd = request->decide_application;
    char today [11];
    const char *decided_on = npo_date_or_today (cmd->decided_on, today);
    if (!npo_date_valid (decided_on)) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "decided_on: \"%.20s\" is not a date YYYY-MM-DD up to today",
                         decided_on);
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
    s_app_t app;
    if (s_app_load (self, cmd->application_id, &app, reply))
        return;
    int rc = 0;
    bool decided = strcmp (app.status, "approved") == 0 || strcmp (app.status, "rejected") == 0;
    if (decided) {
        npo_db_rollback (self->db);
        //  The same decision again (a retry) answers what was decided
        if (cmd->approve == (strcmp (app.status, "approved") == 0))
            s_reply_application (reply, app.id, app.kind, app.status, app.uscc);
        else
            npo_reply_error (reply, CONFLICT, "already_decided",
                             "application %s was already %s", app.id_text, app.status);
    }
    else
    if (strcmp (decided_on, app.submitted_on) < 0) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, BAD, "invalid_date",
                         "decided_on: %s is before the application was submitted (%s)",
                         decided_on, app.submitted_on);
    }
    else
    if (!cmd->approve) {
        //  不予受理 or 不予登记: from submitted or accepted
        rc = s_mark_decided (self, request, &app, "rejected", decided_on, "");
        Npo__ApplicationRejected event = NPO__APPLICATION_REJECTED__INIT;
        event.application_id = app.id;
        event.authority_division = app.division;
        event.reason = cmd->reason;
        if (rc == 0 && (!npo_outbox_append (self->outbox, "registry.application_rejected",
                                            "", app.division, request->actor, &event.base)
                        || npo_db_commit (self->db)))
            rc = -1;
        if (rc == 0)
            s_reply_application (reply, app.id, app.kind, "rejected", app.uscc);
    }
    else
    if (strcmp (app.status, "accepted") != 0) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, CONFLICT, "not_accepted",
                         "application %s must be accepted (受理) before it is approved",
                         app.id_text);
    }
    else
    if (strcmp (app.kind, "establishment") == 0)
        rc = s_approve_establishment (self, request, &app, decided_on, reply);
    else
    if (strcmp (app.kind, "change") == 0)
        rc = s_approve_change (self, request, &app, decided_on, reply);
    else
        rc = s_approve_deregistration (self, request, &app, decided_on, reply);
    if (rc)
        reg_db_failed (self, reply);
    s_app_free (&app);
}
