/*  officers.c - npo-registry officers (catalog section 2) and their posts
 *  (section 3). Personal data: never in events, logs or the audit target.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "log.h"
#include "registry.h"

#define BAD         NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT    NPO__STATUS__STATUS_CONFLICT

static const char *s_positions [] = {
    "legal_representative", "responsible_person", "director", "supervisor", "other",
};

static bool
s_phone_valid (const char *s)
{
    if (strlen (s) > 20)
        return false;
    for (; *s; s++)
        if (!isdigit ((unsigned char) *s) && !strchr ("+- ", *s))
            return false;
    return true;
}

//  Checks an officer record. Returns 0, or -1 (reply).
static int
s_validate_officer (const Npo__Officer *o, Npo__Reply *reply)
{
    const ProtobufCMessageDescriptor *desc = &npo__officer__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        if (f->type != PROTOBUF_C_TYPE_STRING)
            continue;
        const char *value = *(char *const *) ((const char *) o + f->offset);
        size_t chars;
        if (!npo_utf8_valid (value, false, &chars) || chars > 200) {
            npo_reply_error (reply, BAD, "invalid_field", "%s: at most 200 characters of text",
                             f->name);
            return -1;
        }
    }
    if (!*o->name) {
        npo_reply_error (reply, BAD, "missing_field", "name: required");
        return -1;
    }
    if (!NPO_STR_IN (o->position, s_positions)) {
        npo_reply_error (reply, BAD, "invalid_position",
                         "position: \"%.40s\" is not legal_representative, responsible_person,"
                         " director, supervisor or other", o->position);
        return -1;
    }
    if (npo_identity_check (o->id_type, o->id_number, o->birth_date, reply))
        return -1;
    if (*o->gender && strcmp (o->gender, "male") && strcmp (o->gender, "female")) {
        npo_reply_error (reply, BAD, "invalid_field", "gender: male or female");
        return -1;
    }
    if (!s_phone_valid (o->mobile) || !s_phone_valid (o->phone)) {
        npo_reply_error (reply, BAD, "invalid_field", "mobile, phone: digits, +, - only");
        return -1;
    }
    if (*o->postal_code && !npo_digits (o->postal_code, 6)) {
        npo_reply_error (reply, BAD, "invalid_field", "postal_code: expected 6 digits");
        return -1;
    }
    return 0;
}

//  Loads the organization and checks the actor may write it. Returns it, or
//  NULL with reply filled.
static Npo__Organization *
s_org_for_write (reg_t *self, const char *uscc, Npo__Reply *reply)
{
    if (!uscc_valid (uscc)) {
        npo_reply_error (reply, BAD, "invalid_uscc",
                         "org_uscc: not a valid unified social credit code (GB 32100)");
        return NULL;
    }
    snprintf (self->target, sizeof self->target, "%s", uscc);
    bool found;
    Npo__Organization *org = reg_db_load_org (self, uscc, false, &found);
    if (!org) {
        if (found || *npo_db_sqlstate (self->db))
            reg_db_failed (self, reply);
        else
            npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "not_found",
                             "no organization %s", uscc);
        return NULL;
    }
    if (!reg_may_write (self, org->basic->authority_division, reply)) {
        npo__organization__free_unpacked (org, NULL);
        return NULL;
    }
    return org;
}

static int
s_event (reg_t *self, const Npo__Request *request, const Npo__Organization *org,
         const char *position, const char *action)
{
    Npo__OfficerChanged event = NPO__OFFICER_CHANGED__INIT;
    event.org_uscc = org->uscc;
    event.position = (char *) position;
    event.action = (char *) action;
    return npo_outbox_append (self->outbox, "registry.officer_changed", org->uscc,
                              org->basic->authority_division, request->actor, &event.base)?
           0: -1;
}

void
reg_appoint (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__AppointOfficer *cmd = request->appoint_officer;
    const Npo__Officer *o = cmd->officer;
    if (!o) {
        npo_reply_error (reply, BAD, "missing_field", "officer: required");
        return;
    }
    char today [11];
    const char *start_on = npo_date_or_today (cmd->start_on, today);
    const char *appointed_on = *cmd->appointed_on? cmd->appointed_on: start_on;
    if (!npo_date_valid (start_on) || !npo_date_valid (appointed_on)) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "start_on, appointed_on: dates YYYY-MM-DD up to today");
        return;
    }
    if (s_validate_officer (o, reply))
        return;
    Npo__Organization *org = s_org_for_write (self, o->org_uscc, reply);
    if (!org)
        return;
    if (strcmp (org->status, "active") != 0) {
        npo_reply_error (reply, CONFLICT, "org_not_active", "organization %s is %s",
                         org->uscc, org->status);
        goto done;
    }
    const char *params [19] = {
        org->uscc, org->basic->type, o->name, *o->birth_date? o->birth_date: NULL, o->gender,
        o->ethnicity, o->nationality, o->id_type, o->id_number, o->political_status,
        o->mail_address, o->postal_code, o->mobile, o->phone, o->position,
        o->full_time? "true": "false", appointed_on, start_on, o->employer
    };
    if (npo_db_begin (self->db)
    ||  npo_db_cmd (self->db,
            "INSERT INTO officer_posts (org_uscc, org_type, name, birth_date, gender, ethnicity,"
            " nationality, id_type, id_number, political_status, mail_address, postal_code,"
            " mobile, phone, position, full_time, appointed_on, start_on, employer)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
            " $17, $18, $19)", 19, params)) {
        const char *constraint = npo_db_constraint (self->db);
        if (strcmp (constraint, "officer_posts_one_social_group_lr") == 0) {
            npo_db_rollback (self->db);
            npo_reply_error (reply, CONFLICT, "already_legal_representative",
                             "this person is already the legal representative of another"
                             " social group");
        }
        else
        if (strcmp (constraint, "officer_posts_held") == 0) {
            npo_db_rollback (self->db);
            npo_reply_error (reply, CONFLICT, "already_holds_post",
                             "this person already holds this position in %s", org->uscc);
        }
        else
            reg_db_failed (self, reply);
        goto done;
    }
    if (s_event (self, request, org, o->position, "appointed") || npo_db_commit (self->db))
        reg_db_failed (self, reply);
done:
    npo__organization__free_unpacked (org, NULL);
}

void
reg_end_post (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__EndOfficerPost *cmd = request->end_officer_post;
    char today [11];
    const char *end_on = npo_date_or_today (cmd->end_on, today);
    if (!npo_date_valid (end_on)) {
        npo_reply_error (reply, BAD, "invalid_date", "end_on: a date YYYY-MM-DD up to today");
        return;
    }
    if (!NPO_STR_IN (cmd->position, s_positions)) {
        npo_reply_error (reply, BAD, "invalid_position", "position: not a known position");
        return;
    }
    if (npo_identity_check (cmd->id_type, cmd->id_number, NULL, reply))
        return;
    Npo__Organization *org = s_org_for_write (self, cmd->org_uscc, reply);
    if (!org)
        return;
    const char *params [5] = { org->uscc, cmd->id_type, cmd->id_number, cmd->position, end_on };
    PGresult *res = NULL;
    if (npo_db_begin (self->db)
    ||  !(res = npo_db_exec (self->db,
            "UPDATE officer_posts SET end_on = $5 WHERE org_uscc = $1 AND id_type = $2"
            " AND id_number = $3 AND position = $4 AND end_on IS NULL AND start_on <= $5",
            5, params))) {
        reg_db_failed (self, reply);
        goto done;
    }
    bool ended = strcmp (PQcmdTuples (res), "1") == 0;
    PQclear (res);
    if (!ended) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "post_not_found",
                         "no such post held in %s (or it started after %s)", org->uscc, end_on);
        goto done;
    }
    if (s_event (self, request, org, cmd->position, "ended") || npo_db_commit (self->db))
        reg_db_failed (self, reply);
done:
    npo__organization__free_unpacked (org, NULL);
}

void
reg_positions (reg_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__OfficerPositions *cmd = request->officer_positions;
    //  The audit records that a person was looked up, never who
    snprintf (self->target, sizeof self->target, "person");
    if (strcmp (self->actor.role, "region") == 0) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "forbidden",
                         "role region may not read officers");
        return;
    }
    if (npo_identity_check (cmd->id_type, cmd->id_number, NULL, reply))
        return;
    const char *params [2] = { cmd->id_type, cmd->id_number };
    PGresult *res = npo_db_exec (self->db,
        "SELECT p.org_uscc, o.name, p.position, p.start_on::text, coalesce (p.end_on::text, ''),"
        " p.appointed_on::text, p.employer FROM officer_posts p"
        " JOIN organizations o ON o.uscc = p.org_uscc"
        " WHERE p.id_type = $1 AND p.id_number = $2 ORDER BY p.start_on, p.id", 2, params);
    if (!res) {
        reg_db_failed (self, reply);
        return;
    }
    int rows = PQntuples (res);
    Npo__PostList *list = malloc (sizeof *list);
    Npo__Post **posts = calloc ((size_t) rows + 1, sizeof *posts);
    if (!list || !posts)
        abort ();
    npo__post_list__init (list);
    list->posts = posts;
    for (int i = 0; i < rows; i++) {
        Npo__Post *post = malloc (sizeof *post);
        if (!post)
            abort ();
        npo__post__init (post);
        char **fields [7] = { &post->org_uscc, &post->org_name, &post->position,
                              &post->start_on, &post->end_on, &post->appointed_on,
                              &post->employer };
        for (int k = 0; k < 7; k++)
            *fields [k] = npo_strdup (PQgetvalue (res, i, k));
        list->posts [list->n_posts++] = post;
    }
    PQclear (res);
    reply->body_case = NPO__REPLY__BODY_POSTS;
    reply->posts = list;
}
