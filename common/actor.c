/*  actor.c - who sent a command: role and division scope, and the audit trail
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "codes.h"
#include "log.h"
#include "pbjson.h"
#include "selftest.h"

//  Reads role and prefix from "role[:prefix][:name]". Returns 0, or -1 when
//  the role is unknown or a registrar's prefix is not 1-6 digits.
int
npo_actor_parse (const char *actor, npo_actor_t *out)
{
    memset (out, 0, sizeof *out);
    const char *colon = strchr (actor, ':');
    size_t len = colon? (size_t) (colon - actor): strlen (actor);
    if (len == 0 || len >= sizeof out->role)
        goto err;
    memcpy (out->role, actor, len);
    if (strcmp (out->role, "ministry") && strcmp (out->role, "auditor")
    &&  strcmp (out->role, "registrar") && strcmp (out->role, "region"))
        goto err;
    if (strcmp (out->role, "registrar") == 0 || strcmp (out->role, "region") == 0) {
        const char *p = colon? colon + 1: "";
        size_t n = strcspn (p, ":");
        //  A province (2), city (4) or county (6) division prefix
        if (n != 2 && n != 4 && n != 6)
            goto err;
        for (size_t i = 0; i < n; i++)
            if (!isdigit ((unsigned char) p [i]))
                goto err;
        memcpy (out->prefix, p, n);
    }
    return 0;
err:
    memset (out, 0, sizeof *out);
    return -1;
}

bool
npo_actor_may_write (const npo_actor_t *a, const char *division, Npo__Reply *reply)
{
    if (strcmp (a->role, "ministry") == 0)
        return true;
    if (strcmp (a->role, "registrar") == 0) {
        if (strncmp (division, a->prefix, strlen (a->prefix)) == 0)
            return true;
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "out_of_division",
                         "registrar %s may not act for authority division %s",
                         a->prefix, division);
        return false;
    }
    npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "forbidden",
                     "role %s may not change the register", a->role);
    return false;
}

void
npo_audit_write (npo_db_t *db, const Npo__Request *request, const Npo__Reply *reply,
                 const npo_actor_t *actor, const char *target)
{
    //  Its own statement, after the command's transaction (docs/registry.md)
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field
        (&npo__request__descriptor, (unsigned) request->body_case);
    //  An actor that is not text of at most 128 characters is not stored as given
    size_t chars;
    bool text = npo_utf8_valid (request->actor, false, &chars) && chars <= 128;
    const char *params [7] = {
        request->request_id, text? request->actor: "(not text)",
        *actor->role? actor->role: "unknown",
        field? field->name: "none", target, npo_status_name (reply->status),
        reply->error_code
    };
    if (npo_db_cmd (db, "INSERT INTO audit (request_id, actor, role, command, target,"
                              " status, error_code) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    7, params))
        log_error ("could not write the audit record of request %s", request->request_id);
}

bool
npo_actor_accept (const char *actor, npo_actor_t *out, Npo__Reply *reply)
{
    size_t chars;
    if (npo_utf8_valid (actor, false, &chars) && chars <= 128 && npo_actor_parse (actor, out) == 0)
        return true;
    memset (out, 0, sizeof *out);
    npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "unknown_actor",
                     "actor must be ministry, registrar:<2, 4 or 6-digit division prefix>,"
                     " region:<province> or auditor, then :name");
    return false;
}

int
npo_check_texts (const npo_text_t *texts, size_t n, Npo__Reply *reply)
{
    for (size_t i = 0; i < n; i++) {
        size_t chars;
        if (!npo_utf8_valid (texts [i].value, true, &chars) || chars > texts [i].max
        ||  (texts [i].required && chars == 0)) {
            npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST,
                             chars == 0? "missing_field": "invalid_field",
                             "%s: %stext of at most %zu characters", texts [i].name,
                             texts [i].required? "required, ": "", texts [i].max);
            return -1;
        }
    }
    return 0;
}

bool
npo_uscc_ok (const char *uscc, Npo__Reply *reply)
{
    if (uscc_valid (uscc))
        return true;
    npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_uscc",
                     "uscc: not a valid unified social credit code (GB 32100)");
    return false;
}

bool
npo_digits (const char *s, size_t n)
{
    size_t i = 0;
    for (; s [i]; i++)
        if (!isdigit ((unsigned char) s [i]))
            return false;
    return i == n;
}

static const char *s_id_types [] = {
    "resident_id", "passport", "hk_macao_permit", "taiwan_permit",
    "foreign_permanent_residence", "other",
};

static bool
s_upper_alnum (const char *s, size_t min, size_t max)
{
    size_t n = strlen (s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit ((unsigned char) s [i]) && !isupper ((unsigned char) s [i]))
            return false;
    return true;
}

//  Identity documents: each type by its own rule; a non-resident is never
//  refused for not holding a resident ID.
int
npo_identity_check (const char *type, const char *number, const char *birth_date,
                    Npo__Reply *reply)
{
    size_t n = strlen (number);
    if (!NPO_STR_IN (type, s_id_types)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_id_type",
                         "id_type: \"%s\" is not resident_id, passport, hk_macao_permit, "
                         "taiwan_permit, foreign_permanent_residence or other", type);
        return -1;
    }
    bool ok;
    const char *rule;
    if (strcmp (type, "resident_id") == 0) {
        ok = resid_valid (number);
        rule = "18 characters with a valid GB 11643 check character and birth date";
    }
    else
    if (strcmp (type, "passport") == 0) {
        ok = s_upper_alnum (number, 5, 20);
        rule = "5 to 20 upper-case letters and digits";
    }
    else
    if (strcmp (type, "hk_macao_permit") == 0) {
        //  往来内地通行证: H or M, then 8 or 10 digits
        ok = (number [0] == 'H' || number [0] == 'M') && (n == 9 || n == 11)
             && npo_digits (number + 1, n - 1);
        rule = "H or M followed by 8 or 10 digits";
    }
    else
    if (strcmp (type, "taiwan_permit") == 0) {
        ok = npo_digits (number, 8) || npo_digits (number, 10);
        rule = "8 or 10 digits";
    }
    else
    if (strcmp (type, "foreign_permanent_residence") == 0) {
        //  2004 card: 3 letters + 12 digits; 2023 card: 18 characters starting
        //  with 9, checked like a resident ID
        ok = (n == 15 && isupper ((unsigned char) number [0])
              && isupper ((unsigned char) number [1])
              && isupper ((unsigned char) number [2]) && npo_digits (number + 3, 12))
          || (n == 18 && number [0] == '9' && resid_valid (number));
        rule = "3 letters and 12 digits, or the 18-character card starting with 9";
    }
    else {
        size_t chars;
        ok = npo_utf8_valid (number, false, &chars) && chars >= 1 && chars <= 40;
        rule = "1 to 40 characters";
    }
    if (!ok) {
        //  The number itself is personal data: not echoed
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_id_number",
                         "id_number: not a valid %s number (%s)", type, rule);
        return -1;
    }
    if (birth_date && *birth_date && !npo_date_valid (birth_date)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_date",
                         "birth_date: not a date YYYY-MM-DD");
        return -1;
    }
    //  A resident ID carries the birth date: the two must agree
    if (birth_date && *birth_date && strcmp (type, "resident_id") == 0
    &&  (strncmp (birth_date, number + 6, 4) || strncmp (birth_date + 5, number + 10, 2)
         || strncmp (birth_date + 8, number + 12, 2))) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_date",
                         "birth_date: does not match the resident ID number");
        return -1;
    }
    return 0;
}

int
npo_reply_query_json (npo_db_t *db, Npo__Reply *reply, uint32_t body_case,
                      const char *sql, int n, const char *const *params)
{
    PGresult *res = npo_db_exec (db, sql, n, params);
    if (!res || PQntuples (res) != 1) {
        PQclear (res);
        npo_reply_db_failed (db, reply);
        return -1;
    }
    int rc = npo_reply_body_from_json (reply, body_case, PQgetvalue (res, 0, 0));
    PQclear (res);
    return rc;
}

void
npo_reply_db_failed (npo_db_t *db, Npo__Reply *reply)
{
    npo_db_rollback (db);
    if (npo_db_lost (db))
        npo_reply_error (reply, NPO__STATUS__STATUS_UNAVAILABLE, "database_unavailable",
                         "the %s database is unreachable; retry", npo_db_schema (db));
    else
        npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "database_error",
                         "could not complete the command (sqlstate %s)", npo_db_sqlstate (db));
}

void
npo_run_daily (npo_handler_fn *handle, void *state, const Npo__Request *request,
               char *last_day)
{
    char today [11];
    npo_today (today);
    if (strcmp (today, last_day) == 0)
        return;
    Npo__Reply *reply = malloc (sizeof *reply);
    if (!reply)
        abort ();
    npo__reply__init (reply);
    handle (state, request, reply);
    if (reply->status == NPO__STATUS__STATUS_OK)
        snprintf (last_day, 11, "%s", today);
    else
        log_warn ("daily %s failed: %s; tried again on the next tick", request->request_id,
                  reply->error_message);
    npo__reply__free_unpacked (reply, NULL);
}

void
npo_actor_test (bool verbose)
{
    if (verbose)
        printf (" * actor: ");
    npo_actor_t a;
    Npo__Reply reply = NPO__REPLY__INIT;
    SELFTEST_CHECK (npo_actor_parse ("ministry:ops", &a) == 0 && strcmp (a.role, "ministry") == 0);
    SELFTEST_CHECK (npo_actor_may_write (&a, "440106", &reply));
    SELFTEST_CHECK (npo_actor_parse ("registrar:4401:gz", &a) == 0
                    && strcmp (a.prefix, "4401") == 0);
    SELFTEST_CHECK (npo_actor_may_write (&a, "440106", &reply));
    SELFTEST_CHECK (!npo_actor_may_write (&a, "440305", &reply));
    SELFTEST_CHECK (strcmp (reply.error_code, "out_of_division") == 0);
    SELFTEST_CHECK (npo_actor_parse ("auditor", &a) == 0 && !npo_actor_may_write (&a, "1", &reply));
    SELFTEST_CHECK (strcmp (reply.error_code, "forbidden") == 0);
    SELFTEST_CHECK (npo_actor_parse ("registrar:1", &a) == -1 && a.role [0] == 0);
    SELFTEST_CHECK (npo_actor_parse ("registrar:44x", &a) == -1);
    SELFTEST_CHECK (npo_actor_parse ("nobody", &a) == -1);
    SELFTEST_CHECK (npo_actor_parse ("", &a) == -1);
    free (reply.error_code);
    free (reply.error_message);
    //  Identity documents by type
    Npo__Reply *id_reply = malloc (sizeof *id_reply);
    npo__reply__init (id_reply);
    const char *id = "11010519491231002X";
    SELFTEST_CHECK (npo_identity_check ("resident_id", id, "1949-12-31", id_reply) == 0);
    SELFTEST_CHECK (npo_identity_check ("resident_id", "110105194912310021", NULL, id_reply) == -1
                    && strcmp (id_reply->error_code, "invalid_id_number") == 0);
    SELFTEST_CHECK (npo_identity_check ("resident_id", id, "1950-01-01", id_reply) == -1
                    && strcmp (id_reply->error_code, "invalid_date") == 0);
    SELFTEST_CHECK (npo_identity_check ("passport", "E12345678", NULL, id_reply) == 0);
    SELFTEST_CHECK (npo_identity_check ("passport", "e1234", NULL, id_reply) == -1);
    SELFTEST_CHECK (npo_identity_check ("hk_macao_permit", "H12345678", NULL, id_reply) == 0);
    SELFTEST_CHECK (npo_identity_check ("id_card", "123", NULL, id_reply) == -1
                    && strcmp (id_reply->error_code, "invalid_id_type") == 0);
    //  The number is never echoed in the refusal
    npo_identity_check ("resident_id", "110105194912310021", NULL, id_reply);
    SELFTEST_CHECK (!strstr (id_reply->error_message, "110105194912310021"));
    protobuf_c_message_free_unpacked (&id_reply->base, NULL);
    if (verbose)
        printf ("OK\n");
}
