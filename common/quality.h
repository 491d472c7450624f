/*  quality.h - data-quality findings kept by the service owning a record
 *
 *  docs/import.md section 6. npoctl import finds them; the owning service
 *  keeps them in its `findings` table (common/sql/0002_findings.sql) in the
 *  transaction that stores the record, and answers ListFindings.
 */
#ifndef NPO_QUALITY_H
#define NPO_QUALITY_H

#include <stddef.h>
#include "db.h"
#include "envelope.pb-c.h"

//  Writes into out (11 bytes) the date n working days after date (both
//  YYYY-MM-DD; date itself does not count). Working days are Monday to
//  Friday: the State Council's holidays and make-up days are not counted yet
//  (docs/import.md 6.5). Returns 0, or -1 when date is not a date.
int
    npo_workdays_add (const char *date, int n, char *out);

//  Sets the 32-byte secret record refs are keyed with (docs/import.md 6.4).
void
    npo_record_ref_key (const unsigned char *key);

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
//  today). stale_source is kept closed from the start. A ref given twice
//  counts as its last. today: YYYY-MM-DD. Returns 0, or -1 (the
//  transaction is to be rolled back).
int
    npo_findings_reconcile (npo_db_t *db, const char *province, int section,
                            const npo_record_findings_t *records, size_t n, const char *today);

//  Answers ListFindings from this service's findings table.
void
    npo_findings_list (npo_db_t *db, const Npo__ListFindings *cmd, Npo__Reply *reply);

#endif
