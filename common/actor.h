/*  actor.h - who sent a command: role and division scope, and the audit trail
 *
 *  Until CURVE keys carry it (issue 9), Request.actor names the role:
 *  "ministry[:name]", "registrar:<2, 4 or 6-digit division prefix>[:name]",
 *  "auditor[:name]", "region:<province>[:name]".
 */
#ifndef NPO_ACTOR_H
#define NPO_ACTOR_H

#include <stdbool.h>
#include "bus.h"
#include "db.h"

typedef struct {
    char role [16];             //  ministry | registrar | auditor | region
    char prefix [8];            //  a registrar's or region's division prefix
} npo_actor_t;

//  Reads actor into out. Returns 0, or -1 (out cleared) when it names no role.
int
    npo_actor_parse (const char *actor, npo_actor_t *out);

//  Reads the actor of a request into out. Returns true, or false with the
//  refusal (forbidden, unknown_actor) in reply when it is not text of at most
//  128 characters naming a role.
bool
    npo_actor_accept (const char *actor, npo_actor_t *out, Npo__Reply *reply);

//  True when the actor may write for this authority division: the ministry
//  anywhere, a registrar under its prefix. Otherwise fills reply with a
//  forbidden refusal (out_of_division, forbidden).
bool
    npo_actor_may_write (const npo_actor_t *actor, const char *division, Npo__Reply *reply);

//  Writes the command and its outcome to <schema>.audit (time, request id,
//  actor, role, command, target, status, error code). Logs when it cannot.
void
    npo_audit_write (npo_db_t *db, const Npo__Request *request, const Npo__Reply *reply,
                     const npo_actor_t *actor, const char *target);

//  A text field of a command, checked by npo_check_texts.
typedef struct {
    const char *name, *value;
    size_t max;                 //  characters
    bool required;
} npo_text_t;

//  Checks text fields: valid UTF-8 (newlines allowed), at most max
//  characters, present when required. Returns 0, or -1 with the refusal
//  (invalid_field, missing_field) in reply.
int
    npo_check_texts (const npo_text_t *texts, size_t n, Npo__Reply *reply);

//  True when uscc is a valid unified social credit code; otherwise false
//  with the refusal (invalid_uscc) in reply.
bool
    npo_uscc_ok (const char *uscc, Npo__Reply *reply);

//  True when s is exactly n ASCII digits.
bool
    npo_digits (const char *s, size_t n);

//  Checks an identity document by its type (resident_id with its GB 11643
//  check character, passport, hk_macao_permit, taiwan_permit,
//  foreign_permanent_residence, other), and birth_date (optional, may be
//  NULL) against a resident ID. Returns 0, or -1 with the refusal in reply
//  (invalid_id_type, invalid_id_number, invalid_date); the number itself is
//  personal data and never echoed.
int
    npo_identity_check (const char *type, const char *number, const char *birth_date,
                        Npo__Reply *reply);

//  Runs a query whose one row holds the reply's body as JSON text (the
//  message of body_case, field names as in the proto) and sets it in reply:
//  a database failure (npo_reply_db_failed), no row or a body that does not
//  convert are refusals in reply. Returns 0 or -1.
int
    npo_reply_query_json (npo_db_t *db, Npo__Reply *reply, uint32_t body_case,
                          const char *sql, int n, const char *const *params);

//  Rolls back and fills reply for a failed database call: unavailable (retry)
//  when the connection was lost, internal (with the SQLSTATE) otherwise.
void
    npo_reply_db_failed (npo_db_t *db, Npo__Reply *reply);

//  A daily job: runs request through handle (the service's command handler)
//  once per Beijing day; last_day (11 bytes) holds the day it last succeeded.
//  A failure is logged and tried again on the next call.
void
    npo_run_daily (npo_handler_fn *handle, void *state, const Npo__Request *request,
                   char *last_day);

void
    npo_actor_test (bool verbose);

#endif
