/*  credit.h - npo-credit: penalties, case filings, and the two credit lists
 *  applied by the rules of the 2018 credit measures (catalog sections 11-15)
 *
 *  It knows the organizations from the registry stream and annual-report
 *  facts from the inspection stream. Every listing stores the ground, the
 *  reason and the facts it rests on when it is made (DOMAIN.md, "Credit
 *  rules"; docs/credit.md).
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
    bool daily_sweep;           //  run the time rules as of each new day
    char swept_on [11];         //  the day of the last daily sweep
} credit_t;

//  A listing to make (credit_list).
typedef struct {
    const char *uscc, *name, *division;
    const char *list;           //  abnormal | serious
    int ground;
    const char *listed_on;
    const char *reason;
    const char *const *facts;
    size_t n_facts;
    const char *fact_key;       //  the fact it rests on: one listing per fact
    int year;                   //  abnormal ground 1: the year not filed; else 0
} credit_listing_t;

//  The command handler (npo_handler_fn); state is a credit_t.
void
    credit_handle (void *state, const Npo__Request *request, Npo__Reply *reply);

//  Consumers of the registry and inspection streams.
int
    credit_apply_registry (void *state, const Npo__Envelope *event);
int
    credit_apply_inspection (void *state, const Npo__Envelope *event);

//  Daily timer: the time rules as of today, once a day (daily_sweep).
void
    credit_tick (void *state);

//  lists.c: makes a listing unless its fact already made one, with its event,
//  in the caller's transaction. Returns 0 or -1.
int
    credit_list (credit_t *self, const credit_listing_t *listing, const char *actor);

//  lists.c: true for the grounds an authority lists by hand (abnormal 2, 3,
//  4, 6, 7; serious 2, 6, 8); the others follow from recorded facts.
bool
    credit_manual_ground (const char *list, uint32_t ground);

//  lists.c: removes listing id (if still open) as of on, with its event, in
//  the caller's transaction. Returns 0 or -1.
int
    credit_unlist (credit_t *self, const char *id, const char *on, const char *reason,
                   const char *removal, const char *actor);

//  lists.c: the listings a recorded penalty calls for (abnormal 5; serious 3,
//  4, 5, 7), in the caller's transaction. Returns 0 or -1.
//  event_id: the penalty's credit.penalty_recorded, the fact listings rest on.
int
    credit_rules_penalty (credit_t *self, const Npo__Penalty *p, const char *event_id,
                          const char *division, const char *actor);

//  lists.c: removes the serious-list ground 7 listings of an organization
//  whose deregistration completed. Returns 0 or -1.
int
    credit_rules_deregistered (credit_t *self, const char *uscc, const char *on,
                               const char *actor);

//  credit.c: the row of a penalty insert that answers a retry with the first
//  record (id, and whether it is new). Clears res. Returns 0; 1 when there
//  is none: the decision number names another penalty; -1 when the
//  database failed.
int
    credit_penalty_row (PGresult *res, uint64_t *id, bool *fresh);

//  credit.c: checks a penalty (complete: the fields a command requires, which
//  an import may lack). Returns 0, or -1 with the refusal in reply.
int
    credit_penalty_valid (const Npo__Penalty *p, bool complete, Npo__Reply *reply);

//  credit.c: records a checked penalty (name and kind set) in the caller's
//  transaction: credit.penalty_recorded and the listings the rules call for
//  when it is new. Returns 0 (*fresh: new), 1 when its decision number names
//  another organization's penalty or another result, -1 when the database
//  failed.
int
    credit_penalty_insert (credit_t *self, const Npo__Penalty *p, const char *division,
                           const char *actor, uint64_t *id, bool *fresh);

//  credit.c: the penalty (kind fundraising) of a fundraising penalty whose
//  party is an organization; its texts are f's.
void
    credit_fundraising_as_penalty (const Npo__FundraisingPenalty *f, Npo__Penalty *p);

//  Commands, by file. lists.c:
void
    credit_add_listing (credit_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    credit_remove_listing (credit_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    credit_sweep (credit_t *self, const Npo__Request *request, Npo__Reply *reply);

//  cases.c:
void
    credit_record_case (credit_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    credit_record_person_penalty (credit_t *self, const Npo__Request *request,
                                  const Npo__FundraisingPenalty *p, Npo__Reply *reply);

//  cases.c: writes a checked case (name: the organization's) in the caller's
//  transaction, with credit.case_filed (exists: credit.case_updated).
//  Returns 0 with the case in *out (optional; the caller frees it), or -1.
int
    credit_case_write (credit_t *self, const Npo__CaseFiling *c, const char *name,
                       const char *division, bool exists, const char *actor,
                       Npo__CaseReply **out);

//  cases.c: checks a fundraising penalty on a person (complete: as for
//  credit_penalty_valid). Returns 0, or -1 with the refusal in reply.
int
    credit_person_penalty_valid (const Npo__FundraisingPenalty *f, bool complete,
                                 Npo__Reply *reply);

//  cases.c: records a checked penalty on a person in the caller's
//  transaction, with credit.person_penalty_recorded (no person in it) when
//  new. Returns 0 (*fresh: new), 1 when its decision number names another
//  person's penalty, -1 when the database failed.
int
    credit_person_penalty_insert (credit_t *self, const Npo__FundraisingPenalty *f,
                                  const char *actor, uint64_t *id, bool *fresh);

//  import.c: ImportRecords, sections 11 to 15 (docs/import.md).
void
    credit_import_records (credit_t *self, const Npo__Request *request, Npo__Reply *reply);

//  credit.c: the organization's name and division (rolled back and reply
//  filled when unknown or on failure). Returns 0 or -1.
int
    credit_org (credit_t *self, const char *uscc, char *name, size_t name_size,
                char *division, Npo__Reply *reply);

#endif
