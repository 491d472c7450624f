/*  registry.h - npo-registry: applications, review and code assignment
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include "bus.h"
#include "db.h"

typedef struct {
    npo_db_t *db;               //  the registry schema
    npo_outbox_t *outbox;       //  the registry event stream
} reg_t;

//  The command handler (npo_handler_fn); state is a reg_t.
void
    reg_handle (void *state, const Npo__Request *request, Npo__Reply *reply);

//  Checks a submitted BasicInfo. Returns 0, or -1 with the refusal in reply.
int
    reg_validate_basic (const Npo__BasicInfo *basic, Npo__Reply *reply);

//  The one-character USCC type code of a JSON type name, or 0.
char
    reg_type_code (const char *type);

//  ---------------------------------------------------------------------
//  registry_db.c: SQL. Each returns 0, or -1 (reply says why, or the database
//  failed: npo_db_sqlstate tells).

//  Inserts the organization row from org (uscc, org_code, approved_on, basic).
int
    reg_db_insert_org (reg_t *self, const Npo__Organization *org, uint64_t application_id);

//  Loads an organization; returns NULL when not found or on error (*found
//  false when not found). Caller frees with npo__organization__free_unpacked.
Npo__Organization *
    reg_db_load_org (reg_t *self, const char *uscc, bool *found);

//  Takes the next code sequence number of an authority (in the open
//  transaction). Returns it, or 0.
uint32_t
    reg_db_next_seq (reg_t *self, const char *division);

#endif
