/*  inspection.h - npo-inspection: annual inspection and reports (catalog 16,
 *  17), evaluations (10) and audits (8), and the facts they depend on
 *
 *  The organizations come from the registry's stream; penalties, case filings
 *  and credit listings from the credit stream (for evaluation eligibility).
 */
#ifndef INSPECTION_H
#define INSPECTION_H

#include "actor.h"
#include "bus.h"
#include "db.h"

typedef struct {
    npo_db_t *db;               //  the inspection schema
    npo_outbox_t *outbox;       //  the inspection stream
    npo_actor_t actor;          //  the current command's
    char target [64];           //  the current command's, for the audit row
    bool daily_sweep;           //  sweep as of each new day (NPO_INSPECTION_DAILY_SWEEP)
    char swept_on [11];         //  the day of the last daily sweep
} insp_t;

//  An organization as the service knows it (from the registry stream).
typedef struct {
    char uscc [19];
    char name [800];
    char type [16];
    char status [16];
    char division [8];          //  the registration authority's
    char approved_on [11];
} insp_org_t;

//  The command handler.
void
    insp_handle (void *state, const Npo__Request *request, Npo__Reply *reply);

//  Daily timer: sweeps as of today once a day when daily_sweep is set.
void
    insp_tick (void *state);

//  Consumers of the registry and credit streams.
int
    insp_apply_registry (void *state, const Npo__Envelope *event);
int
    insp_apply_credit (void *state, const Npo__Envelope *event);

//  Commands, by file: reports.c
void
    insp_submit_report (insp_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    insp_review_report (insp_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    insp_sweep (insp_t *self, const Npo__Request *request, Npo__Reply *reply);

//  evaluations.c
//  Expires the grades whose valid_to is before as_of, with their events, in
//  one transaction. Returns 0 or -1; counts them in *expired.
int
    insp_expire_grades (insp_t *self, const char *as_of, const char *actor, uint64_t *expired);
void
    insp_record_evaluation (insp_t *self, const Npo__Request *request, Npo__Reply *reply);
void
    insp_record_audit (insp_t *self, const Npo__Request *request, Npo__Reply *reply);

//  The evaluation columns, in Evaluation order after the id
#define INSP_EVALUATION_COLUMNS \
    "id, uscc, name, type, coalesce (social_group_category, ''), is_charity," \
    " registration_authority, business_unit, evaluator, grade, valid_from::text," \
    " valid_to::text, state"

//  The audit columns insp_audit_from reads
#define INSP_AUDIT_COLUMNS \
    "id, uscc, name, reason_category, coalesce (firm, ''), coalesce (accountant, '')," \
    " coalesce (occurred_on::text, ''), coalesce (content, ''), coalesce (result, '')," \
    " status, coalesce (due_since::text, '')"

//  Emits an inspection.evaluation_* event of type for the grade in row of
//  res (INSP_EVALUATION_COLUMNS). Returns 0 or -1.
int
    insp_evaluation_event (insp_t *self, PGresult *res, int row, const char *type,
                           const char *division, const char *actor);

//  The values the service takes (evaluations.c); "" in categories: none.
extern const char *const insp_grades [5];
extern const char *const insp_categories [6];
extern const char *const insp_audit_reasons [5];

//  Finds the first ground (docs/inspection.md) on which uscc may not be
//  evaluated on date on; the grounds known only as they are now (a list, an
//  open case) count only when now is set. Returns 1 with the ground's code
//  in *code (static) and why it applies in why, 0 when none applies, -1 when
//  the database failed.
int
    insp_eligibility (insp_t *self, const char *uscc, const char *on, bool now,
                      const char **code, char *why, size_t size);

//  Records a done audit, in the caller's transaction (params: uscc,
//  reason_category, firm, accountant, occurred_on, content, result, actor;
//  "" or NULL for an absent text): it completes the oldest audit of its
//  category due by occurred_on, else it is a new one. Returns the row (the
//  audit's columns as insp_audit_from reads them), NULL when the database
//  failed; the caller PQclears it.
PGresult *
    insp_audit_write (insp_t *self, const char *const params [8]);

//  Returns a new Audit from the row of insp_audit_write (the caller frees).
Npo__Audit *
    insp_audit_from (PGresult *res);

//  Emits inspection.audit_recorded for audit, without its accountant.
//  Returns 0 or -1.
int
    insp_audit_event (insp_t *self, const Npo__Audit *audit, const char *division,
                      const char *actor);

//  import.c: ImportRecords, sections 08 and 10 (docs/import.md)
void
    insp_import_records (insp_t *self, const Npo__Request *request, Npo__Reply *reply);

//  inspection.c: shared helpers
//  Loads the organization (uscc already valid); fills org. Returns 0, or -1
//  with the refusal or failure in reply (rolled back when in a transaction).
int
    insp_org_load (insp_t *self, const char *uscc, insp_org_t *org, Npo__Reply *reply);

//  Checks text fields of a message and its sub-messages, recursively: valid
//  UTF-8 without control characters (newlines allowed), at most max characters.
//  Returns 0, or -1 with the refusal in reply naming the field.
int
    insp_check_texts (const ProtobufCMessage *msg, size_t max, Npo__Reply *reply);

#endif
