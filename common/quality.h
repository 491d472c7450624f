/*  quality.h - data-quality findings kept by the service owning a record
 *
 *  docs/import.md section 6. npoctl import finds them; the owning service
 *  keeps them in its `findings` table (common/sql/0002_findings.sql) in the
 *  transaction that stores the record, and answers ListFindings.
 */
#ifndef NPO_QUALITY_H
#define NPO_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include "actor.h"
#include "db.h"
#include "envelope.pb-c.h"

//  The working-day calendar (docs/import.md 6.5): every date the State
//  Council's holiday notices name, sorted by date, and the years whose notice
//  is held. Generated from common/holidays.txt by tools/gen_holidays.sh.
typedef struct {
    const char *date;           //  YYYY-MM-DD
    bool work;                  //  a weekend day made a working day (调休); else a day off
} npo_holiday_t;

extern const npo_holiday_t npo_holidays [];
extern const size_t npo_holidays_len;
extern const int npo_holiday_years [];
extern const size_t npo_holiday_years_len;

//  Writes into out (11 bytes) the date n (0 to 10,000) working days after
//  date (both YYYY-MM-DD; date itself does not count). A working day is
//  Monday to Friday except the days off of the State Council's notices, plus
//  the weekend days they make working days. A day of a year whose notice the
//  table does not hold counts Monday to Friday, and *estimated (when not
//  NULL) is set true; else false. Returns 0, or -1 when date is not a date or
//  n is out of range.
int
    npo_workdays_add (const char *date, int n, char *out, bool *estimated);

//  Reads the secret record refs are keyed with (docs/import.md 6.4) from
//  the file NPO_QUALITY_KEY_FILE names: 64 hex digits. Returns 0; 1 when the
//  variable is not set (ImportRecords is then refused); -1 when the file
//  cannot be read or holds something else (logged: the service should stop).
int
    npo_record_ref_load (void);

//  Writes into out (36 bytes) the ref of a record with personal data in its
//  key: "r1:" and 32 hex digits of keyed BLAKE2b-128 over the section number
//  and the key's fields, joined by U+001F. Stable for a key; not reversible
//  without the secret, however few values an identity number can take.
//  Returns 0, or -1 when a field is empty (no key: no ref) or no secret is
//  set.
int
    npo_record_ref (int section, const char *const *fields, size_t n, char *out);

//  The findings of one record, found now.
typedef struct {
    const char *ref;            //  the record's key (docs/import.md 6.4)
    const char *uscc;
    Npo__Finding **found;
    size_t n;
} npo_record_findings_t;

//  Reconciles the open findings of each record (province, section, ref) with
//  those found now, in the caller's transaction and three statements for
//  the whole batch: one found again keeps its found_on and due_by (path,
//  line, detail and outcome updated), an open one not found again is closed
//  (fixed_on = today), a new one is opened (due 10 working days after
//  today; due_by_estimated when the calendar lacks a year it spans).
//  stale_source is kept closed from the start. A ref given twice counts as
//  its last. today: YYYY-MM-DD. Returns 0, or -1 (the
//  transaction is to be rolled back).
int
    npo_findings_reconcile (npo_db_t *db, const char *province, int section,
                            const npo_record_findings_t *records, size_t n, const char *today);

//  Answers ListFindings from this service's findings table: a page of at
//  most max findings after the cursor, with the next page's cursor.
void
    npo_findings_list (npo_db_t *db, const Npo__ListFindings *cmd, Npo__Reply *reply);

//  Reconciles the findings of a rule across records (docs/import.md 6.1)
//  with what query finds now over all of the province's organizations:
//  query is a SELECT of (ref, uscc, detail) rows, $1 the province ("NN").
//  One found is opened (due 10 working days after today) or kept open with
//  its found_on; an open one not found is closed (fixed_on = today). These
//  findings are apart from the records' own (cross_source): reading a
//  record again does not close them. Fills count. Returns 0, or -1.
int
    npo_findings_cross (npo_db_t *db, const char *province, int section, const char *rule,
                        const char *field, const char *query, const char *today,
                        Npo__RuleCount *count);

//  Answers ListFindings for the ministry, auditors and the province's
//  registrar (target: the audit target, set); refuses anyone else.
void
    npo_findings_answer (npo_db_t *db, const npo_actor_t *actor, char *target, size_t size,
                         const Npo__Request *request, Npo__Reply *reply);

//  ---------------------------------------------------------------------
//  Import commands (docs/import.md): a batch of one section of a province's
//  return, stored by the service owning the section, one transaction a
//  batch, with every record's findings.

//  Stores one record (body: the section's message); fills outcome (its
//  `outcome`, and a refusal or findings of the service's own). Returns 0,
//  or -1 when the database failed (the batch is rolled back).
typedef int (npo_import_store_fn) (void *self, const Npo__Request *request, const void *body,
                                   const char *province, Npo__ImportOutcome *outcome);

//  Stores a whole batch at once instead (fewer statements: the bodies of
//  records refused already are NULL); fills outcomes [i] for each other one
//  as store would. Returns 0, or -1 when the database failed.
typedef int (npo_import_batch_fn) (void *self, const Npo__Request *request,
                                   void *const *bodies, size_t n, const char *province,
                                   Npo__ImportOutcome **outcomes);

//  A section a service stores through ImportRecords.
typedef struct {
    int section;
    const ProtobufCMessageDescriptor *message;
    npo_import_store_fn *store;
    //  Sets key to the key's fields of body (at most 8) and *uscc to the
    //  organization it belongs to. Returns how many fields the key has.
    size_t (*key) (const ProtobufCMessage *body, const char **key, const char **uscc);
    npo_import_batch_fn *store_batch;   //  instead of store (NULL: store)
} npo_import_section_t;

//  Answers ImportRecords for the sections a service stores (refused:
//  another section, a province that is not one, a writer who is neither the
//  ministry nor the province's registrar, no secret for the refs). Records
//  are named in findings by the keyed ref of their key.
void
    npo_import_records (npo_db_t *db, const npo_actor_t *actor, char *target, size_t size,
                        void *self, const Npo__Request *request, Npo__Reply *reply,
                        const npo_import_section_t *sections, size_t n_sections);

//  One record of a batch the service unpacked itself (section 01's
//  ImportOrgs, whose records are named by their uscc).
typedef struct {
    const char *ref;                //  its key (docs/import.md 6.4); NULL: none
    const char *uscc;
    Npo__Finding **findings;        //  npoctl's
    size_t n_findings;
    bool refused;                   //  by npoctl: its findings are kept only
    const char *path;
    uint64_t line;
} npo_import_record_t;

//  The date an import's findings are found on: given (the import's Beijing
//  date, from npoctl --as-of) when the ministry imports, else the service's
//  today into buf (11 bytes): a province cannot move the due dates of its
//  own findings. Returns the date.
const char *
    npo_import_found_on (const npo_actor_t *actor, const char *given, char *buf);

//  Checks the province and the writer of an import (target: the audit
//  target, set). Returns true, or false with the refusal in reply.
bool
    npo_import_allowed (const npo_actor_t *actor, const char *province, char *target,
                        size_t size, Npo__Reply *reply);

//  Stores bodies [0..n) with store (or store_batch, when not NULL) in one
//  transaction and keeps the findings of each record; answers with an
//  ImportReply in reply's member of the request's body case (ImportOrgs or
//  ImportRecords).
void
    npo_import_batch (npo_db_t *db, void *self, const Npo__Request *request,
                      Npo__Reply *reply, const char *province, int section,
                      const char *found_on, const npo_import_record_t *records,
                      void *const *bodies, size_t n, npo_import_store_fn *store,
                      npo_import_batch_fn *store_batch);

//  Refuses a record whose organization the service does not hold (division
//  NULL: unknown_org_reference, docs/import.md 3.3) or holds under another
//  province's authority (out_of_province). Returns true when it refused.
bool
    npo_import_org_refused (const char *division, const char *province,
                            Npo__ImportOutcome *outcome);

//  Refuses the record in outcome with the rule code and why. Returns 0.
int
    npo_import_refuse (Npo__ImportOutcome *outcome, const char *code, const char *why);

//  Adds a finding of the service's own to a stored record's outcome.
void
    npo_import_flag (Npo__ImportOutcome *outcome, const char *rule, const char *field,
                     const char *detail);

//  Recomputes the due_by of every finding whose due date was estimated, now
//  that the calendar may hold its year (a service's start, after a build
//  with a new notice). Sets *redated to how many changed. Returns 0 or -1.
int
    npo_findings_redate (npo_db_t *db, size_t *redated);

//  The same at a service's start, said in its log.
void
    npo_findings_redate_at_start (npo_db_t *db);

//  The calendar's self-test; the findings part runs with NPO_PG_DSN set, in
//  a schema of its own made by migrations (those of common/sql).
void
    npo_quality_test (bool verbose, const npo_migration_t *migrations, size_t n);

#endif
