/*  party.h - npo-party: party organizations (catalog section 5) and party
 *  members (section 6) of social organizations
 *
 *  Section 6, and the persons of section 5, are personal data: members are
 *  read and written by the ministry and the organization's own registrar only,
 *  every command (reads too) is audited, and events carry no person
 *  (docs/party.md).
 */
#ifndef PARTY_H
#define PARTY_H

#include "actor.h"
#include "bus.h"
#include "db.h"

typedef struct {
    npo_db_t *db;               //  the party schema
    npo_outbox_t *outbox;       //  the party stream
    npo_actor_t actor;          //  the current command's
    char target [64];           //  the current command's, for the audit row
} party_t;

//  The command handler.
void
    party_handle (void *state, const Npo__Request *request, Npo__Reply *reply);

//  Consumer of the registry stream: the organizations.
int
    party_apply_registry (void *state, const Npo__Envelope *event);

//  May the actor read or write the persons of an organization of this
//  authority division? Only the ministry and a registrar of the division: an
//  auditor or a region is refused (forbidden) like a registrar of another
//  division (out_of_division).
bool
    party_may_access (party_t *self, const char *division, Npo__Reply *reply);

//  The organization's active party organization, locked: its id (0 when
//  none), the organization's authority division (8 bytes) and whether the
//  organization is active. Checks the actor may access it. Returns 0, or -1
//  with reply filled (unknown organization, forbidden, database).
int
    party_org_of (party_t *self, const char *uscc, uint64_t *id, char *division,
                  bool *active, Npo__Reply *reply);

//  Appends party.members_changed with the count on the register. Returns 0 or -1.
int
    party_members_changed (party_t *self, const char *uscc, const char *division,
                           const char *actor);

//  Section 5's own fields of p as the JSON text kept in party_orgs.doc (not
//  its uscc, status or counts). The caller frees it.
char *
    party_org_doc (const Npo__PartyOrg *p);

//  Sets up the organization's party organization (uscc, in division), or
//  updates its active one when p changes anything, and emits
//  party.org_established or party.org_updated (no person). *topic: the
//  event emitted, NULL when nothing changed; id_text (24 bytes) is set to
//  the party organization's id when one was written. Returns 0, or -1 when
//  the database failed (npo_db_constraint may say which rule).
int
    party_org_write (party_t *self, const Npo__PartyOrg *p, const char *division,
                     const char *actor, const char **topic, char *id_text);

//  members.c

//  The member's own fields as the JSON text kept in members.doc (not what
//  the service fills: uscc, status, transfer out, id, age). The caller frees it.
char *
    party_member_doc (const Npo__PartyMember *m);

void
    party_save_member (party_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    party_transfer_out (party_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    party_list_members (party_t *self, const Npo__Request *request, Npo__Reply *reply);

//  import.c: sections 05 and 06 of a province's return (docs/import.md)
void
    party_import_records (party_t *self, const Npo__Request *request, Npo__Reply *reply);

#endif
