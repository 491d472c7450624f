/*  credit.h - npo-credit: administrative penalties (catalog section 11)
 *
 *  The start of the credit service (issue 5): it knows the organizations from
 *  the registry stream and records penalties, whose events the registry acts
 *  on (a revoke_registration penalty revokes the registration). Case filings,
 *  fundraising penalties and the credit lists follow in issue 5.
 */
#ifndef CREDIT_H
#define CREDIT_H

#include "actor.h"
#include "bus.h"
#include "db.h"

typedef struct {
    npo_db_t *db;               //  the credit schema
    npo_outbox_t *outbox;       //  the credit event stream
    npo_actor_t actor;          //  of the command being handled
    char target [64];           //  for the audit trail
} credit_t;

//  The command handler (npo_handler_fn); state is a credit_t.
void
    credit_handle (void *state, const Npo__Request *request, Npo__Reply *reply);

//  Consumer of the registry stream: keeps credit.orgs current.
int
    credit_apply_registry (void *state, const Npo__Envelope *event);

#endif
