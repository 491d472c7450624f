/*  registry.h - npo-registry: applications, review, code assignment, changes,
 *  deregistration, charters, officers
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include "actor.h"
#include "bus.h"
#include "db.h"

typedef struct {
    npo_db_t *db;               //  the registry schema
    npo_outbox_t *outbox;       //  the registry event stream
    npo_actor_t actor;          //  of the command being handled
    char target [64];           //  what it is about, for the audit trail
    unsigned char cert_master [32]; //  derives the authorities' signing keys
} reg_t;

//  registry.c -------------------------------------------------------------

//  The command handler (npo_handler_fn); state is a reg_t.
void
    reg_handle (void *state, const Npo__Request *request, Npo__Reply *reply);

//  Consumer of the credit stream (npo_apply_fn): a revoke_registration
//  penalty revokes the registration (status revoked, certificate revoked,
//  posts ended, registry.org_revoked).
int
    reg_apply_credit (void *state, const Npo__Envelope *event);

//  True when the actor may write organizations of this authority division;
//  otherwise fills reply with a forbidden refusal.
bool
    reg_may_write (reg_t *self, const char *division, Npo__Reply *reply);

//  Rolls back and answers a failed database call (unavailable or internal).
void
    reg_db_failed (reg_t *self, Npo__Reply *reply);

//  The one-character USCC type code of a JSON type name, or 0.
char
    reg_type_code (const char *type);

//  What became of one old code given to reg_old_codes_record.
typedef enum {
    REG_OLD_NONE,               //  none given
    REG_OLD_NEW,                //  recorded now
    REG_OLD_SAME,               //  recorded before: nothing to do
    REG_OLD_DIFFERS,            //  another is recorded (held): kept, this one dropped
    REG_OLD_TAKEN               //  another organization's (held; "" when unknown): dropped
} reg_old_state_t;

typedef struct {
    reg_old_state_t state;
    char held [48];             //  the code recorded, or the organization holding it
} reg_old_code_t;

//  True when given is an organization code (GB 11714, with or without the
//  dash of its printed form); writes it without the dash into code (10 bytes).
bool
    reg_old_org_code (const char *given, char *code);

//  Records an organization's old codes in the open transaction (old_codes:
//  each once for life, never another organization's). code is reg_old_org_code's,
//  cert is oldcert_valid (codes.h); "" for none. Sets what became of each in
//  old [0] (code) and old [1] (cert); with all_or_none, one differing or taken
//  records neither. Emits registry.old_codes_recorded with the codes recorded
//  now, when there are some. Returns 0, or -1 when the database failed.
int
    reg_old_codes_record (reg_t *self, const char *uscc, const char *division,
                          const char *code, const char *cert, bool all_or_none,
                          const char *actor, reg_old_code_t old [2]);

//  validate.c -------------------------------------------------------------

//  Checks a BasicInfo. Returns 0, or -1 with the refusal in reply.
int
    reg_validate_basic (const Npo__BasicInfo *basic, Npo__Reply *reply);

//  applications.c ---------------------------------------------------------

void
    reg_submit (reg_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    reg_accept (reg_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    reg_decide (reg_t *self, const Npo__Request *request, Npo__Reply *reply);

//  officers.c -------------------------------------------------------------

void
    reg_appoint (reg_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    reg_end_post (reg_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    reg_positions (reg_t *self, const Npo__Request *request, Npo__Reply *reply);

//  certificates.c ---------------------------------------------------------

//  True when changing item re-issues the certificate (it is printed on it).
bool
    reg_cert_item (const char *item);
//  Issues the next certificate of org in the open transaction: signed, stored,
//  the previous one superseded; org->certificate is set to it. valid_from
//  NULL keeps the previous validity. Returns 0 or -1.
int
    reg_cert_issue (reg_t *self, Npo__Organization *org, const char *valid_from,
                    const char *valid_to, const char *issued_on);
//  Writes into to (11 bytes) the default end of a certificate valid from
//  from: 5 years, to the day before the fifth anniversary. 0 or -1.
int
    reg_cert_default_to (reg_t *self, const char *from, char *to);
//  True when org's loaded certificate prints org's register fields now, with
//  these dates (but for its own number and version): a re-issue would print
//  nothing new.
bool
    reg_cert_same (const Npo__Organization *org, const char *from, const char *to,
                   const char *issued_on);
//  Sets org->certificate to its latest certificate (none: left NULL). 0 or -1.
int
    reg_cert_load (reg_t *self, Npo__Organization *org);
//  Revokes org's valid certificate (in the open transaction) and loads it.
int
    reg_cert_revoke (reg_t *self, Npo__Organization *org);

//  import.c: a province's returned organizations (docs/import.md, section 01),
//  upserted by uscc under their own codes.
void
    reg_import_orgs (reg_t *self, const Npo__Request *request, Npo__Reply *reply);
//  CheckReturn: the rules across records over the province's organizations
//  (legal_rep_mismatch), after an import
void
    reg_check_return (reg_t *self, const Npo__Request *request, Npo__Reply *reply);
//  ImportRecords: sections 02 and 03 (officers, posts), 04, 07 and 09 of a
//  return
void
    reg_import_records (reg_t *self, const Npo__Request *request, Npo__Reply *reply);

//  import_more.c: sections 04, 07 and 09 of a return (certificates,
//  deregistrations, changes), for import.c's ImportRecords table: each
//  store function is an npo_import_store_fn, each key function gives the
//  record's key fields and organization (npo_import_section_t).
//  True when each of n texts fits one line of 200 characters (the
//  registry's bound on a text of a returned record).
bool
    reg_lines_fit (const char *const *texts, size_t n);
int
    reg_store_certificate (void *state, const Npo__Request *request, const void *body,
                           const char *province, Npo__ImportOutcome *outcome);
size_t
    reg_certificate_key (const ProtobufCMessage *body, const char **key, const char **uscc);
int
    reg_store_deregistration (void *state, const Npo__Request *request, const void *body,
                              const char *province, Npo__ImportOutcome *outcome);
size_t
    reg_deregistration_key (const ProtobufCMessage *body, const char **key,
                            const char **uscc);
int
    reg_store_change (void *state, const Npo__Request *request, const void *body,
                      const char *province, Npo__ImportOutcome *outcome);
size_t
    reg_change_key (const ProtobufCMessage *body, const char **key, const char **uscc);


//  registry_db.c: SQL ------------------------------------------------------

//  Inserts the organization row from org (uscc, org_code, approved_on, basic).
int
    reg_db_insert_org (reg_t *self, const Npo__Organization *org, uint64_t application_id);

//  Writes org's basic information, status and version over its row.
int
    reg_db_update_org (reg_t *self, const Npo__Organization *org);

//  Loads an organization (with lock: FOR UPDATE, in the open transaction).
//  Returns NULL when not found (*found false) or on error. Caller frees with
//  npo__organization__free_unpacked.
Npo__Organization *
    reg_db_load_org (reg_t *self, const char *uscc, bool lock, bool *found);

//  Takes the next code sequence number of an authority (in the open
//  transaction). Returns it, or 0.
uint32_t
    reg_db_next_seq (reg_t *self, const char *division);

#endif
