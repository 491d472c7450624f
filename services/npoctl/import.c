/*  import.c - npoctl import: a province's data return, checked (docs/import.md)
 *
 *  Reads the return's files in the order of docs/import.md 1.2 (JSON Lines or
 *  CSV, one file per catalog section), checks every record against its
 *  section's field table (2.4, 3.1), the rules across its fields, the 24-hour
 *  freshness rule and the keys already read in this run (3.4), and prints
 *  the report of 6.6: counts per file and section, findings by rule with
 *  examples, every record refused. No personal value reaches the report.
 *
 *  Without --dry-run, the records of the sections built so far (01-04, 07
 *  and 09 to the registry, 05 and 06 to the party service, 08 and 10 to
 *  inspection) are sent to their service, S_BATCH a call (one transaction
 *  each): section 01 to the registry's ImportOrgs, which upserts them by
 *  uscc, the others as their section's message in ImportRecords. The
 *  service's answer per record (created, updated, unchanged, refused, and
 *  findings of its own) goes in the report; the service keeps the findings.
 *  At the end each service checks the rules across records (CheckReturn).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actor.h"
#include "codes.h"
#include "log.h"
#include "npoctl.h"
#include "pbjson.h"

#define S_LINE_MAX      (1 << 20)       //  bytes in a line or a CSV record
#define S_EXAMPLES      5               //  examples per rule and section
#define S_STALE_S       (24 * 3600)     //  older than this at arrival: stale
#define S_SKEW_S        300             //  later than this after arrival: future
#define S_SYNC_S        120             //  seconds a service may take to catch up
#define S_BATCH         100             //  records a call to a service (the registry
                                        //  serves nothing else meanwhile)

//  ---------------------------------------------------------------------
//  Field tables (docs/import.md section 4)

typedef enum {
    T_TEXT, T_MTEXT, T_USCC, T_ORGCODE, T_DIVISION, T_DATE, T_PDATE, T_BOOL,
    T_ENUM, T_PHONE, T_POSTAL, T_IDNUM, T_TIME, T_INT, T_AMOUNT, T_DATE_PLUS
} s_type_t;

typedef enum { N_OPT, N_FULL, N_STORE, N_KEY } s_need_t;

typedef struct {
    const char *name;
    s_type_t type;
    s_need_t need;
    int max;                        //  text: characters at most; int: 0 to max
    const char *const *values;      //  enum: the values, NULL-terminated
    bool personal;                  //  never shown in a finding
} s_field_t;

static const char *const s_types [] = {
    "social_group", "social_service", "foundation", "other", NULL
};
static const char *const s_statuses [] = { "active", "deregistered", "revoked", NULL };
static const char *const s_id_types [] = {
    "resident_id", "passport", "hk_macao_permit", "taiwan_permit",
    "foreign_permanent_residence", "other", NULL
};
static const char *const s_positions [] = {
    "legal_representative", "responsible_person", "director", "supervisor", "other", NULL
};
static const char *const s_genders [] = { "male", "female", NULL };

#define F_END { NULL, 0, 0, 0, NULL, false }

static const s_field_t s_organizations [] = {
    { "uscc", T_USCC, N_KEY },
    { "name", T_TEXT, N_STORE, 200 },
    { "type", T_ENUM, N_STORE, 0, s_types },
    { "registration_authority_code", T_USCC, N_FULL },
    { "registration_authority", T_TEXT, N_FULL, 200 },
    { "business_unit_code", T_USCC, N_OPT },
    { "business_unit", T_TEXT, N_OPT, 200 },
    { "decoupled", T_BOOL, N_FULL },
    { "party_work_body", T_TEXT, N_FULL, 200 },
    { "industry", T_TEXT, N_FULL, 200 },
    { "legal_representative", T_TEXT, N_FULL, 200 },
    { "authority_division", T_DIVISION, N_STORE },
    { "address_division", T_DIVISION, N_FULL },
    { "address", T_TEXT, N_FULL, 200 },
    { "postal_code", T_POSTAL, N_FULL },
    { "contact_name", T_TEXT, N_FULL, 200, NULL, true },
    { "contact_phone", T_PHONE, N_FULL, 0, NULL, true },
    { "business_scope", T_MTEXT, N_FULL, 2000 },
    { "approved_on", T_DATE, N_STORE },
    { "status", T_ENUM, N_STORE, 0, s_statuses },
    { "old_org_code", T_ORGCODE, N_OPT },
    { "old_certificate_number", T_TEXT, N_OPT, 40 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

static const s_field_t s_officers [] = {
    { "org_uscc", T_USCC, N_KEY },
    { "id_type", T_ENUM, N_KEY, 0, s_id_types, true },
    { "id_number", T_IDNUM, N_KEY, 0, NULL, true },
    { "position", T_ENUM, N_KEY, 0, s_positions },
    { "name", T_TEXT, N_FULL, 200, NULL, true },
    { "birth_date", T_PDATE, N_FULL, 0, NULL, true },
    { "gender", T_ENUM, N_FULL, 0, s_genders, true },
    { "ethnicity", T_TEXT, N_FULL, 200, NULL, true },
    { "nationality", T_TEXT, N_FULL, 200, NULL, true },
    { "political_status", T_TEXT, N_OPT, 200, NULL, true },
    { "mail_address", T_TEXT, N_OPT, 200, NULL, true },
    { "postal_code", T_POSTAL, N_OPT, 0, NULL, true },
    { "mobile", T_PHONE, N_FULL, 0, NULL, true },
    { "phone", T_PHONE, N_OPT, 0, NULL, true },
    { "full_time", T_BOOL, N_FULL },
    { "start_on", T_DATE, N_OPT },
    { "appointed_on", T_DATE, N_OPT },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

static const s_field_t s_work_history [] = {
    { "org_uscc", T_USCC, N_KEY },
    { "id_type", T_ENUM, N_KEY, 0, s_id_types, true },
    { "id_number", T_IDNUM, N_KEY, 0, NULL, true },
    { "position", T_ENUM, N_KEY, 0, s_positions },
    { "start_on", T_DATE, N_KEY },
    { "name", T_TEXT, N_FULL, 200, NULL, true },
    { "appointed_on", T_DATE, N_OPT },
    { "end_on", T_DATE, N_OPT },
    { "employer", T_TEXT, N_OPT, 200, NULL, true },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

static const s_field_t s_certificates [] = {
    { "uscc", T_USCC, N_KEY },
    { "registered_capital", T_AMOUNT, N_FULL },
    { "activity_area", T_TEXT, N_FULL, 200 },
    { "valid_from", T_DATE, N_FULL },
    { "valid_to", T_DATE_PLUS, N_FULL },
    { "issued_on", T_DATE, N_FULL },
    { "name", T_TEXT, N_OPT, 200 },
    { "address", T_TEXT, N_OPT, 200 },
    { "legal_representative", T_TEXT, N_OPT, 200 },
    { "business_scope", T_MTEXT, N_OPT, 2000 },
    { "business_unit", T_TEXT, N_OPT, 200 },
    { "issuing_authority", T_TEXT, N_OPT, 200 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

static const s_field_t s_deregistrations [] = {
    { "uscc", T_USCC, N_KEY },
    { "deregistered_on", T_DATE, N_STORE },
    { "reason", T_MTEXT, N_FULL, 2000 },
    { "liquidation_leader", T_TEXT, N_FULL, 200, NULL, true },
    { "liquidation_phone", T_PHONE, N_OPT, 0, NULL, true },
    { "name", T_TEXT, N_OPT, 200 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

//  (a change of contact person or phone carries them in before and after)
static const s_field_t s_changes [] = {
    { "uscc", T_USCC, N_KEY },
    { "item", T_TEXT, N_KEY, 50 },
    { "approved_on", T_DATE, N_KEY },
    { "content", T_TEXT, N_OPT, 200 },
    { "before", T_MTEXT, N_OPT, 2000, NULL, true },
    { "after", T_MTEXT, N_FULL, 2000, NULL, true },
    { "name", T_TEXT, N_OPT, 200 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

static const char *const s_audit_reasons [] = {
    "annual", "leaving_office", "deregistration", "special", "other", NULL
};

static const s_field_t s_audits [] = {
    { "uscc", T_USCC, N_KEY },
    { "reason_category", T_ENUM, N_KEY, 0, s_audit_reasons },
    { "occurred_on", T_DATE, N_KEY },
    { "firm", T_TEXT, N_FULL, 200 },
    { "accountant", T_TEXT, N_OPT, 100, NULL, true },
    { "content", T_MTEXT, N_FULL, 4000 },
    { "result", T_MTEXT, N_FULL, 2000 },
    { "name", T_TEXT, N_OPT, 200 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

static const char *const s_grades [] = { "1A", "2A", "3A", "4A", "5A", NULL };
static const char *const s_group_categories [] = {
    "trade_association", "academic", "professional", "federation", "other", NULL
};
static const char *const s_grade_states [] = { "valid", "superseded", "expired", NULL };

static const s_field_t s_evaluations [] = {
    { "uscc", T_USCC, N_KEY },
    { "valid_from", T_DATE, N_KEY },
    { "grade", T_ENUM, N_STORE, 0, s_grades },
    { "evaluator", T_TEXT, N_FULL, 200 },
    { "social_group_category", T_ENUM, N_OPT, 0, s_group_categories },
    { "is_charity", T_BOOL, N_OPT },
    { "valid_to", T_DATE_PLUS, N_OPT },
    { "state", T_ENUM, N_OPT, 0, s_grade_states },
    { "name", T_TEXT, N_OPT, 200 },
    { "type", T_ENUM, N_OPT, 0, s_types },
    { "registration_authority", T_TEXT, N_OPT, 200 },
    { "business_unit", T_TEXT, N_OPT, 200 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

//  Sections 11-13: penalties and cases (the credit service)
static const char *const s_penalty_results [] = {
    "warning", "fine", "confiscation", "stop_activities", "revoke_registration", "other", NULL
};
static const char *const s_case_stages [] = { "filed", "investigating", "closed", NULL };
static const char *const s_party_types [] = { "organization", "person", NULL };

//  fine_amount and stop_months are needed with their result only (s_need_of)
static const s_field_t s_penalties [] = {
    { "decision_number", T_TEXT, N_KEY, 100 },
    { "uscc", T_USCC, N_STORE },
    { "result", T_ENUM, N_STORE, 0, s_penalty_results },
    { "fine_amount", T_AMOUNT, N_OPT },
    { "stop_months", T_INT, N_OPT, 120 },
    { "decided_on", T_DATE, N_STORE },
    { "penalty_name", T_TEXT, N_FULL, 200 },
    { "facts", T_MTEXT, N_FULL, 4000 },
    { "legal_basis", T_MTEXT, N_FULL, 2000 },
    { "authority", T_TEXT, N_FULL, 200 },
    { "name", T_TEXT, N_OPT, 200 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

//  closed_on is needed with stage closed only (s_need_of)
static const s_field_t s_case_filings [] = {
    { "uscc", T_USCC, N_KEY },
    { "authority_code", T_TEXT, N_KEY, 18 },
    { "filed_on", T_DATE, N_KEY },
    { "stage", T_ENUM, N_STORE, 0, s_case_stages },
    { "closed_on", T_DATE, N_OPT },
    { "authority_division", T_DIVISION, N_STORE },
    { "authority", T_TEXT, N_FULL, 200 },
    { "name", T_TEXT, N_OPT, 200 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

//  party_uscc is needed for an organization, id_type and id_number for a
//  person (s_need_of); a person's record is personal in whole
//  (s_personal_record)
static const s_field_t s_fundraising [] = {
    { "decision_number", T_TEXT, N_KEY, 100 },
    { "party_type", T_ENUM, N_KEY, 0, s_party_types },
    { "party_uscc", T_USCC, N_OPT },
    { "id_type", T_ENUM, N_OPT, 0, s_id_types, true },
    { "id_number", T_IDNUM, N_OPT, 0, NULL, true },
    { "party_name", T_TEXT, N_FULL, 100 },
    { "contact", T_TEXT, N_OPT, 200, NULL, true },
    { "result", T_ENUM, N_STORE, 0, s_penalty_results },
    { "fine_amount", T_AMOUNT, N_OPT },
    { "stop_months", T_INT, N_OPT, 120 },
    { "decided_on", T_DATE, N_STORE },
    { "penalty_name", T_TEXT, N_FULL, 200 },
    { "facts", T_MTEXT, N_FULL, 4000 },
    { "legal_basis", T_MTEXT, N_FULL, 2000 },
    { "authority", T_TEXT, N_FULL, 200 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

//  Sections 14 and 15: the lists (the same fields); an absent ground is
//  "other grounds" (s_check_record)
static const s_field_t s_listings [] = {
    { "uscc", T_USCC, N_KEY },
    { "listed_on", T_DATE, N_KEY },
    { "ground", T_INT, N_FULL, 8 },
    { "listed_reason", T_MTEXT, N_FULL, 2000 },
    { "removed_on", T_DATE, N_OPT },
    { "removed_reason", T_MTEXT, N_OPT, 2000 },
    { "name", T_TEXT, N_OPT, 200 },
    { "registration_authority", T_TEXT, N_OPT, 200 },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

//  The fields of section 02 outside its message's officer (AppointOfficer)
static const char *const s_post_dates [] = { "start_on", "appointed_on", NULL };

static const char *const s_party_org_types [] = {
    "committee", "general_branch", "branch", "joint_branch", "provisional", NULL
};
static const char *const s_membership [] = { "full", "probationary", NULL };

static const s_field_t s_party_orgs [] = {
    { "uscc", T_USCC, N_KEY },
    { "party_org_name", T_TEXT, N_FULL, 200 },
    { "party_org_type", T_ENUM, N_STORE, 0, s_party_org_types },
    { "founded_on", T_DATE, N_STORE },
    { "parent_party_org", T_TEXT, N_FULL, 200 },
    { "last_election_on", T_DATE, N_OPT },
    { "secretary_name", T_TEXT, N_FULL, 100, NULL, true },
    { "secretary_position_in_org", T_TEXT, N_OPT, 100 },
    { "member_count", T_INT, N_STORE, 100000 },
    { "contact_name", T_TEXT, N_OPT, 100, NULL, true },
    { "contact_phone", T_PHONE, N_OPT, 0, NULL, true },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

//  Section 06 is personal in whole. full_member_on is `full` for full
//  members only (s_record).
static const s_field_t s_party_members [] = {
    { "id_type", T_ENUM, N_KEY, 0, s_id_types, true },
    { "id_number", T_IDNUM, N_KEY, 0, NULL, true },
    { "uscc", T_USCC, N_STORE },
    { "name", T_TEXT, N_FULL, 100, NULL, true },
    { "gender", T_ENUM, N_FULL, 0, s_genders, true },
    { "birth_date", T_PDATE, N_FULL, 0, NULL, true },
    { "age", T_INT, N_OPT, 150, NULL, true },
    { "ethnicity", T_TEXT, N_FULL, 50, NULL, true },
    { "education", T_TEXT, N_FULL, 50, NULL, true },
    { "home_address", T_TEXT, N_OPT, 200, NULL, true },
    { "mobile", T_PHONE, N_FULL, 0, NULL, true },
    { "is_party_lead", T_BOOL, N_OPT },
    { "is_party_contact", T_BOOL, N_OPT },
    { "is_hk_mo_tw", T_BOOL, N_OPT },
    { "joined_branch_on", T_PDATE, N_FULL, 0, NULL, true },
    { "party_position", T_TEXT, N_OPT, 100, NULL, true },
    { "org_position", T_TEXT, N_OPT, 100, NULL, true },
    { "position_level", T_TEXT, N_OPT, 50, NULL, true },
    { "job_category", T_TEXT, N_OPT, 100, NULL, true },
    { "joined_party_on", T_PDATE, N_FULL, 0, NULL, true },
    { "full_member_on", T_PDATE, N_FULL, 0, NULL, true },
    { "membership_status", T_ENUM, N_FULL, 0, s_membership, true },
    { "lost_contact", T_BOOL, N_OPT },
    { "lost_contact_on", T_PDATE, N_OPT, 0, NULL, true },
    { "mobile_member", T_BOOL, N_OPT },
    { "outflow_destination", T_TEXT, N_OPT, 200, NULL, true },
    { "under_central_committee", T_BOOL, N_OPT },
    { "transferred_in_from", T_TEXT, N_OPT, 200, NULL, true },
    { "source_updated_at", T_TIME, N_OPT },
    F_END
};

typedef struct {
    int number;
    const char *stem;               //  "01-organizations"
    const s_field_t *fields;
    const char *org_field;          //  the field naming the organization
    bool personal;                  //  the key itself is personal: never shown
    //  Where it is stored (NULL: checked only, so far): the service, its
    //  message, and the member the fields go in, but for those outside it
    const char *service;
    const ProtobufCMessageDescriptor *message;
    const char *member;
    const char *const *outside;
} s_section_t;

//  In the order they are read (docs/import.md 1.2)
static const s_section_t s_sections [] = {
    { 1, "01-organizations", s_organizations, "uscc", false, "registry", NULL, NULL, NULL },
    { 4, "04-certificates", s_certificates, "uscc", false, "registry",
      &npo__certificate_record__descriptor, NULL, NULL },
    { 9, "09-changes", s_changes, "uscc", false, "registry",
      &npo__change_record__descriptor, NULL, NULL },
    { 7, "07-deregistrations", s_deregistrations, "uscc", false, "registry",
      &npo__deregistration_record__descriptor, NULL, NULL },
    { 3, "03-work-history", s_work_history, "org_uscc", true, "registry",
      &npo__work_post__descriptor, NULL, NULL },
    { 2, "02-officers", s_officers, "org_uscc", true, "registry",
      &npo__appoint_officer__descriptor, "officer", s_post_dates },
    { 5, "05-party-organizations", s_party_orgs, "uscc", false, "party",
      &npo__party_org__descriptor, NULL, NULL },
    { 6, "06-party-members", s_party_members, "uscc", true, "party",
      &npo__party_member__descriptor, NULL, NULL },
    { 8, "08-audits", s_audits, "uscc", false, "inspection", &npo__audit__descriptor, NULL,
      NULL },
    { 11, "11-penalties", s_penalties, "uscc", false, "credit", &npo__penalty__descriptor,
      NULL, NULL },
    { 12, "12-case-filings", s_case_filings, "uscc", false, "credit",
      &npo__case_filing__descriptor, NULL, NULL },
    { 13, "13-fundraising-penalties", s_fundraising, "party_uscc", false, "credit",
      &npo__fundraising_penalty__descriptor, NULL, NULL },
    { 14, "14-abnormal-list", s_listings, "uscc", false, "credit", &npo__listing__descriptor,
      NULL, NULL },
    { 15, "15-serious-list", s_listings, "uscc", false, "credit", &npo__listing__descriptor,
      NULL, NULL },
    { 10, "10-evaluations", s_evaluations, "uscc", false, "inspection",
      &npo__evaluation__descriptor, NULL, NULL },
};
#define S_SECTIONS (sizeof s_sections / sizeof s_sections [0])

//  ---------------------------------------------------------------------
//  The run

typedef struct {
    char *path;
    const s_section_t *section;
    bool csv;
    dev_t dev;                              //  the file, however reached
    ino_t ino;
    long long lines, records, stored, refused, flagged, not_stored, no_source_time;
    long long created, updated, unchanged;  //  what the service did (not --dry-run)
    long long derived;                      //  compared with what the service derived (3.6)
    long long unsent;                       //  checked, never stored: the service failed
} s_file_t;

//  A record sent to its service, waiting in the batch.
typedef struct {
    Npo__ImportedOrg *org;          //  section 01
    Npo__ImportedRecord *record;    //  the others
    char uscc [20];                 //  (a copy: the record it was read from is freed
                                    //  before the batch is sent)
    size_t file;
    long long line;
    bool flagged;
    bool refused;                   //  npoctl refused it: sent for its findings only
} s_sent_t;

//  One key read in this run: which record holds it now.
typedef struct s_key_t s_key_t;
struct s_key_t {
    s_key_t *next;
    size_t file;                    //  index in files
    long long line;
    long long source;               //  source_updated_at, seconds; -1 without
    bool flagged;                   //  stored with findings
    char key [];
};

typedef struct {
    const char *province;
    time_t arrival;                 //  one moment for the whole run
    char today [11];                //  its Beijing date
    s_file_t *files;
    size_t nfiles;
    json_t *ignored, *refused_files, *unknown_fields, *refused;
    json_t *findings;               //  "section/rule/outcome" -> {count, examples}
    s_key_t **keys;                 //  hash table of keys read
    size_t nbuckets;
    json_t *orgs;                   //  uscc -> authority_division, from section 01
    json_t *synced;                 //  services known to have caught up (s_sync)
    json_t *cross;                  //  the rules across records, checked at the end
    bool progress;                  //  standard error is a terminal
    long long read;                 //  records read, for the progress line
    ctl_t *ctl;                     //  NULL: --dry-run
    FILE *every;                    //  --findings: every finding, a JSON line each
    //  Before section 01 is sent, a first pass learns which record of each
    //  key is kept (3.4), so that a record that loses to a later one is not
    //  written first: importing a file twice then changes nothing
    bool scanning;
    s_key_t **winners;
    s_sent_t batch [S_BATCH];
    size_t nbatch;
    int failed;                     //  a service did not answer: the exit status
} s_run_t;

//  One record being checked.
typedef struct {
    s_run_t *run;
    size_t file;
    long long line;
    json_t *record;                 //  the fields, strings and booleans
    bool refused, flagged;
    const char *uscc;               //  the organization, when its code is valid
    json_t *found;                  //  its findings, to keep with it (NULL: none kept)
} s_rec_t;

static uint64_t
s_hash (const char *s)
{
    return npo_fnv1a (s, strlen (s));
}

//  Returns value cut to 64 characters (not bytes: a character is kept whole).
static json_t *
s_short (const char *value)
{
    size_t bytes = 0;
    for (int chars = 0; value [bytes] && chars < 64; chars++)
        do
            bytes++;
        while ((value [bytes] & 0xC0) == 0x80);
    return json_stringn (value, bytes);
}

static bool
    s_text (const char *s, int max, bool multiline);

//  Returns true when no value of the record may be shown: its section's key
//  is personal, or it is a person's fundraising penalty (section 13, personal
//  in whole: docs/import.md 3.5), or may be one.
static bool
s_personal_record (const s_rec_t *rec)
{
    const s_section_t *section = rec->run->files [rec->file].section;
    if (section->personal || section->number != 13)
        return section->personal;
    const char *party = json_string_value (json_object_get (rec->record, "party_type"));
    return !party || strcmp (party, "organization") != 0;
}

//  Counts one finding under its rule, with an example when there is room.
//  field names the field (NULL: the record); value is shown only when the
//  field and the record are not personal.
static void
s_finding (s_rec_t *rec, const char *rule, const s_field_t *field, const char *outcome,
           const char *detail)
{
    s_run_t *run = rec->run;
    const s_file_t *file = &run->files [rec->file];
    if (run->scanning) {
        //  (the first pass only learns which record of a key is kept)
        rec->refused = rec->refused || strcmp (outcome, "refused") == 0;
        rec->flagged = rec->flagged || strcmp (outcome, "flagged") == 0;
        return;
    }
    //  A person's fundraising penalty is named by its decision number (6.4)
    char named [1024];
    const char *number = rec->record && file->section->number == 13 && s_personal_record (rec)?
                         json_string_value (json_object_get (rec->record, "decision_number")):
                         NULL;
    if (number && s_text (number, 100, false)
    &&  !(detail && (strstr (detail, number) || strlen (detail) > 500))) {
        snprintf (named, sizeof named, "decision_number %s%s%s", number,
                  detail? "; ": "", detail? detail: "");
        detail = named;
    }
    char name [96];
    snprintf (name, sizeof name, "%d/%s/%s", file->section->number, rule, outcome);
    json_t *entry = json_object_get (run->findings, name);
    if (!entry) {
        entry = json_pack ("{s:s, s:i, s:s, s:I, s:[]}", "rule", rule,
                           "section", file->section->number, "outcome", outcome,
                           "count", (json_int_t) 0, "examples");
        json_object_set_new (run->findings, name, entry);
    }
    json_object_set_new (entry, "count",
                         json_integer (json_integer_value (json_object_get (entry, "count")) + 1));
    json_t *examples = json_object_get (entry, "examples");
    if (json_array_size (examples) < S_EXAMPLES) {
        json_t *example = json_pack ("{s:s, s:I}", "path", file->path, "line",
                                     (json_int_t) rec->line);
        if (rec->uscc)
            json_object_set_new (example, "uscc", json_string (rec->uscc));
        if (field)
            json_object_set_new (example, "field", json_string (field->name));
        const char *value = field? json_string_value (json_object_get (rec->record,
                                                                       field->name)): NULL;
        if (value && !field->personal && !s_personal_record (rec))
            json_object_set_new (example, "value", s_short (value));
        if (detail)
            json_object_set_new (example, "detail", json_string (detail));
        json_array_append_new (examples, example);
    }
    if (run->every) {
        json_t *line = json_pack ("{s:i, s:s, s:I, s:s, s:s, s:s}",
                                  "section", file->section->number, "path", file->path,
                                  "line", (json_int_t) rec->line, "rule", rule,
                                  "field", field? field->name: "", "outcome", outcome);
        if (rec->uscc)
            json_object_set_new (line, "uscc", json_string (rec->uscc));
        if (detail)
            json_object_set_new (line, "detail", json_string (detail));
        char *text = json_dumps (line, JSON_COMPACT);
        if (text)
            fprintf (run->every, "%s\n", text);
        free (text);
        json_decref (line);
    }
    if (rec->found) {
        json_t *kept = json_pack ("{s:s, s:s, s:s}", "rule", rule, "outcome", outcome,
                                  "field", field? field->name: "");
        const char *value = field? json_string_value (json_object_get (rec->record,
                                                                       field->name)): NULL;
        if (value && !field->personal && !s_personal_record (rec))
            json_object_set_new (kept, "value", s_short (value));
        if (detail)
            json_object_set_new (kept, "detail", json_string (detail));
        json_array_append_new (rec->found, kept);
    }
    if (strcmp (outcome, "refused") == 0 && !rec->refused) {
        rec->refused = true;
        json_t *entry = json_pack ("{s:s, s:I, s:i, s:s}", "path", file->path,
                                   "line", (json_int_t) rec->line,
                                   "section", file->section->number, "rule", rule);
        if (field)
            json_object_set_new (entry, "field", json_string (field->name));
        if (rec->uscc)
            json_object_set_new (entry, "uscc", json_string (rec->uscc));
        json_array_append_new (run->refused, entry);
    }
    if (strcmp (outcome, "flagged") == 0)
        rec->flagged = true;
}

//  ---------------------------------------------------------------------
//  Checks by type

//  Returns true when s is a calendar date from min to max (YYYY-MM-DD).
static bool
s_date_between (const char *s, const char *min, const char *max)
{
    if (strlen (s) != 10 || s [4] != '-' || s [7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit ((unsigned char) s [i]))
            return false;
    int y = atoi (s), m = atoi (s + 5), d = atoi (s + 8);
    static const int days [] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12 || d < 1 || d > days [m - 1] || (m == 2 && d == 29 && !leap))
        return false;
    return strcmp (s, min) >= 0 && strcmp (s, max) <= 0;
}

//  Reads an RFC 3339 time with an offset into *t. Returns true when valid.
static bool
s_time (const char *s, time_t *t)
{
    struct tm tm = { 0 };
    char date [11];
    snprintf (date, sizeof date, "%s", s);
    const char *rest = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest || strlen (s) < 20 || s [10] != 'T'
    ||  !s_date_between (date, "1900-01-01", "2199-12-31"))
        return false;
    if (*rest == '.') {
        rest++;
        if (!isdigit ((unsigned char) *rest))
            return false;
        while (isdigit ((unsigned char) *rest))
            rest++;
    }
    long offset = 0;
    if (strcmp (rest, "Z") == 0)
        offset = 0;
    else
    if ((rest [0] == '+' || rest [0] == '-') && strlen (rest) == 6 && rest [3] == ':'
    &&  isdigit ((unsigned char) rest [1]) && isdigit ((unsigned char) rest [2])
    &&  isdigit ((unsigned char) rest [4]) && isdigit ((unsigned char) rest [5])) {
        offset = (atoi (rest + 1) * 60 + atoi (rest + 4)) * 60L;
        if (rest [0] == '-')
            offset = -offset;
    }
    else
        return false;
    *t = timegm (&tm) - offset;
    return true;
}

//  Returns true when s is 1 to max characters of UTF-8 text (multiline: tab
//  and line breaks allowed).
static bool
s_text (const char *s, int max, bool multiline)
{
    size_t chars;
    return npo_utf8_valid (s, multiline, &chars) && chars >= 1 && chars <= (size_t) max;
}

//  Two rules the record loop treats apart (compared by address)
static const char s_unknown_division [] = "unknown_division";
static const char s_invalid_id_check [] = "invalid_id_check";

//  Checks one present value; returns NULL when it passes, or the rule it
//  fails (docs/import.md 2.4, 6.1).
static const char *
s_check_value (s_run_t *run, const s_field_t *f, const char *v, const json_t *record)
{
    size_t n = strlen (v);
    switch (f->type) {
        case T_TEXT:
            //  An organization's name: two Chinese characters' worth at least
            if (f == &s_organizations [1] && n < 4)
                return "invalid_format";
            //  The characters the gateway looks up, and never a number of ours
            if (strcmp (f->name, "old_certificate_number") == 0 && !oldcert_valid (v))
                return "invalid_format";
            return s_text (v, f->max, false)? NULL: "invalid_format";
        case T_MTEXT:
            return s_text (v, f->max, true)? NULL: "invalid_format";
        case T_USCC:
            if (n != 18 || strspn (v, "0123456789ABCDEFGHJKLMNPQRTUWXY") != 18)
                return "invalid_format";
            return uscc_valid (v)? NULL: "invalid_uscc_check";
        case T_ORGCODE: {
            char code [10];
            if (n == 10 && v [8] == '-')
                snprintf (code, sizeof code, "%.8s%c", v, v [9]);
            else
                snprintf (code, sizeof code, "%s", n == 9? v: "");
            if (strlen (code) != 9 || strspn (code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 9)
                return "invalid_format";
            return orgcode_valid (code)? NULL: "invalid_orgcode_check";
        }
        case T_DIVISION:
            if (n != 6 || strspn (v, "0123456789") != 6)
                return "invalid_format";
            return division_valid (v)? NULL: s_unknown_division;
        case T_DATE:
        case T_PDATE:
            if (!s_date_between (v, f->type == T_PDATE? "1900-01-01": "1949-10-01",
                                 "2199-12-31"))
                return "invalid_format";
            return strcmp (v, run->today) <= 0? NULL: "date_in_future";
        case T_ENUM:
            for (const char *const *e = f->values; *e; e++)
                if (strcmp (v, *e) == 0)
                    return NULL;
            return "unknown_enum";
        case T_PHONE:
            return n >= 1 && n <= 20 && strspn (v, "0123456789+- ") == n? NULL: "invalid_format";
        case T_POSTAL:
            return n == 6 && strspn (v, "0123456789") == 6? NULL: "invalid_format";
        case T_IDNUM: {
            const char *type = json_string_value (json_object_get (record, "id_type"));
            if (!type)
                return NULL;            //  (id_type's own finding says why)
            Npo__Reply reply = NPO__REPLY__INIT;
            if (npo_identity_check (type, v, NULL, &reply) == 0)
                return NULL;
            free (reply.error_code);        //  (set by the refusal only)
            free (reply.error_message);
            //  A resident ID of the right shape with a wrong check character
            //  or birth date is invalid_id_check; any other shape, the format
            bool shaped = n == 18 && strspn (v, "0123456789") >= 17
                       && (isdigit ((unsigned char) v [17]) || v [17] == 'X');
            return strcmp (type, "resident_id") == 0 && shaped? s_invalid_id_check:
                                                                 "invalid_format";
        }
        case T_TIME: {
            time_t t;
            if (!s_time (v, &t))
                return "invalid_format";
            return t > run->arrival + S_SKEW_S? "date_in_future": NULL;
        }
        case T_BOOL:
        case T_INT:
            return NULL;                //  (checked as it is read)
        case T_AMOUNT:
            return npo_amount_valid (v)? NULL: "invalid_format";
        case T_DATE_PLUS:
            return s_date_between (v, "1949-10-01", "2199-12-31")? NULL: "invalid_format";
    }
    return "invalid_format";
}

static const s_field_t *
    s_field (const s_section_t *section, const char *name);

//  Drops a field that contradicts another, flagged inconsistent_fields.
static void
s_inconsistent (s_rec_t *rec, const char *name)
{
    const s_section_t *section = rec->run->files [rec->file].section;
    s_finding (rec, "inconsistent_fields", s_field (section, name), "flagged", NULL);
    json_object_del (rec->record, name);
}

//  Section 06's rules across fields (docs/import.md section 4, 06). The
//  age is the service's to compute when it is read: a given one is compared
//  with the birth date (given, else the resident ID's) on the import's
//  date, and never sent.
static void
s_check_member (s_rec_t *rec)
{
    const s_section_t *section = rec->run->files [rec->file].section;
    json_t *r = rec->record;
    const char *type = json_string_value (json_object_get (r, "id_type"));
    const char *id = json_string_value (json_object_get (r, "id_number"));
    const char *birth = json_string_value (json_object_get (r, "birth_date"));
    json_t *age = json_object_get (r, "age");
    char from_id [11];
    if (!birth && type && id && strcmp (type, "resident_id") == 0) {
        snprintf (from_id, sizeof from_id, "%.4s-%.2s-%.2s", id + 6, id + 10, id + 12);
        birth = from_id;
    }
    if (age && birth) {
        const char *today = rec->run->today;
        long long years = atoi (today) - atoi (birth) - (strcmp (today + 4, birth + 4) < 0);
        if (json_integer_value (age) != years)
            s_finding (rec, "derived_value_mismatch", s_field (section, "age"), "flagged", NULL);
    }
    json_object_del (r, "age");
    const char *status = json_string_value (json_object_get (r, "membership_status"));
    if (json_object_get (r, "full_member_on") && status && !strcmp (status, "probationary"))
        s_inconsistent (rec, "full_member_on");
    const char *full = json_string_value (json_object_get (r, "full_member_on"));
    const char *joined = json_string_value (json_object_get (r, "joined_party_on"));
    if (full && joined && strcmp (full, joined) < 0)
        s_finding (rec, "date_order", s_field (section, "full_member_on"), "flagged", NULL);
    if (json_object_get (r, "lost_contact_on") && !json_is_true (json_object_get (r,
                                                                     "lost_contact")))
        s_inconsistent (rec, "lost_contact_on");
    if (json_object_get (r, "outflow_destination") && !json_is_true (json_object_get (r,
                                                                     "mobile_member")))
        s_inconsistent (rec, "outflow_destination");
}

//  Returns true when the record gives field name (not provided: 2.1).
static bool
s_given (const json_t *record, const char *name)
{
    const json_t *value = json_object_get (record, name);
    return value && !json_is_null (value)
        && !(json_is_string (value) && !*json_string_value (value));
}

//  Returns true when the record's field name is the text value.
static bool
s_is (const json_t *record, const char *name, const char *value)
{
    const char *text = json_string_value (json_object_get (record, name));
    return text && strcmp (text, value) == 0;
}

//  The need of field f of a record: a few are needed with another field's
//  value only (sections 11-13: the amount of a fine, the months of a stop,
//  the closing date of a closed case, the party's code or identity).
static s_need_t
s_need_of (const s_section_t *section, const s_field_t *f, const json_t *record)
{
    int number = section->number;
    if ((number != 11 && number != 12 && number != 13) || f->need != N_OPT)
        return f->need;
    bool person = number == 13 && s_is (record, "party_type", "person");
    bool organization = number == 13 && s_is (record, "party_type", "organization");
    bool store = false;
    if (strcmp (f->name, "fine_amount") == 0)
        store = s_is (record, "result", "fine");
    else
    if (strcmp (f->name, "stop_months") == 0)
        store = !person && s_is (record, "result", "stop_activities");
    else
    if (strcmp (f->name, "closed_on") == 0)
        store = number == 12 && s_is (record, "stage", "closed");
    else
    if (strcmp (f->name, "party_uscc") == 0)
        store = organization;
    else
    if (strcmp (f->name, "id_type") == 0 || strcmp (f->name, "id_number") == 0)
        store = person;
    return store? N_STORE: N_OPT;
}

//  Rules across the fields of one record (docs/import.md section 4).
static void
s_check_record (s_rec_t *rec)
{
    const s_section_t *section = rec->run->files [rec->file].section;
    json_t *r = rec->record;
    const char *uscc = json_string_value (json_object_get (r, "uscc"));
    if (section->number == 1 && uscc) {
        const char *type = json_string_value (json_object_get (r, "type"));
        const char *digit = !type? NULL: !strcmp (type, "social_group")? "1":
                            !strcmp (type, "social_service")? "2":
                            !strcmp (type, "foundation")? "3": "9";
        if (uscc [0] != '5' || (digit && uscc [1] != *digit))
            s_finding (rec, "code_type_mismatch", NULL, "flagged", NULL);
        const char *division = json_string_value (json_object_get (r, "authority_division"));
        const char *authority = json_string_value (json_object_get (r,
                                                   "registration_authority_code"));
        if (division && (strncmp (uscc + 2, division, 6)
                         || (authority && strncmp (authority + 2, division, 6))))
            s_finding (rec, "division_authority_mismatch", NULL, "flagged", NULL);
    }
    if (section->number == 2 || section->number == 6) {
        const char *type = json_string_value (json_object_get (r, "id_type"));
        const char *id = json_string_value (json_object_get (r, "id_number"));
        const char *birth = json_string_value (json_object_get (r, "birth_date"));
        const char *gender = json_string_value (json_object_get (r, "gender"));
        if (type && id && strcmp (type, "resident_id") == 0) {
            char from_id [11];
            snprintf (from_id, sizeof from_id, "%.4s-%.2s-%.2s", id + 6, id + 10, id + 12);
            if (birth && strcmp (birth, from_id)) {
                s_finding (rec, "birth_date_mismatch", s_field (section, "birth_date"),
                           "flagged", NULL);
                json_object_del (r, "birth_date");
            }
            bool male = (id [16] - '0') % 2 == 1;
            if (gender && strcmp (gender, male? "male": "female")) {
                s_finding (rec, "inconsistent_fields", s_field (section, "gender"), "flagged",
                           NULL);
                json_object_del (r, "gender");
            }
        }
    }
    if (section->number == 4) {
        const char *from = json_string_value (json_object_get (r, "valid_from"));
        const char *to = json_string_value (json_object_get (r, "valid_to"));
        if (from && to && strcmp (to, from) < 0)
            s_finding (rec, "date_order", &s_certificates [4], "flagged", NULL);
    }
    if (section->number == 3) {
        const char *start = json_string_value (json_object_get (r, "start_on"));
        const char *end = json_string_value (json_object_get (r, "end_on"));
        if (start && end && strcmp (end, start) < 0)
            s_finding (rec, "date_order", &s_work_history [7], "flagged", NULL);
    }
    if (section->number == 5) {
        const char *founded = json_string_value (json_object_get (r, "founded_on"));
        const char *election = json_string_value (json_object_get (r, "last_election_on"));
        if (founded && election && strcmp (election, founded) < 0)
            s_finding (rec, "date_order", s_field (section, "last_election_on"), "flagged",
                       NULL);
    }
    if (section->number == 6)
        s_check_member (rec);
    if (section->number == 10) {
        //  valid_to is the service's to compute and compare; one before the
        //  start is out of order, and not compared again (its only finding)
        const char *from = json_string_value (json_object_get (r, "valid_from"));
        const char *to = json_string_value (json_object_get (r, "valid_to"));
        if (from && to && strcmp (to, from) < 0) {
            s_finding (rec, "date_order", &s_evaluations [6], "flagged", NULL);
            json_object_del (r, "valid_to");
        }
    }
    if (section->number == 11 || section->number == 13) {
        //  An amount with a fine only, months (1 to 120) with a stop only
        const char *results [2] = { "fine", "stop_activities" };
        const char *names [2] = { "fine_amount", "stop_months" };
        for (int i = 0; i < 2; i++)
            if (json_object_get (r, names [i]) && !s_is (r, "result", results [i]))
                s_inconsistent (rec, names [i]);
        json_t *months = json_object_get (r, "stop_months");
        if (months && json_integer_value (months) < 1) {
            s_finding (rec, "invalid_format", s_field (section, "stop_months"), "refused", NULL);
            json_object_del (r, "stop_months");
        }
        //  A person is warned, fined or has property confiscated; the rest
        //  is an organization's
        if (section->number == 13 && s_is (r, "party_type", "person")
        &&  (s_is (r, "result", "stop_activities") || s_is (r, "result", "revoke_registration")))
            s_finding (rec, "unknown_enum", s_field (section, "result"), "refused", NULL);
    }
    if (section->number == 12) {
        //  The authority's code is a key: kept when its check fails
        const char *code = json_string_value (json_object_get (r, "authority_code"));
        const s_field_t *authority = s_field (section, "authority_code");
        if (code && (strlen (code) != 18
                     || strspn (code, "0123456789ABCDEFGHJKLMNPQRTUWXY") != 18))
            s_finding (rec, "invalid_format", authority, "flagged", NULL);
        else
        if (code && !uscc_valid (code))
            s_finding (rec, "invalid_uscc_check", authority, "flagged", NULL);
        const char *filed = json_string_value (json_object_get (r, "filed_on"));
        const char *closed = json_string_value (json_object_get (r, "closed_on"));
        if (closed && !s_is (r, "stage", "closed"))
            s_inconsistent (rec, "closed_on");
        else
        if (closed && filed && strcmp (closed, filed) < 0)
            s_finding (rec, "date_order", s_field (section, "closed_on"), "flagged", NULL);
    }
    if (section->number == 14 || section->number == 15) {
        //  Grounds 1-7 (abnormal) and 1-8 (serious); none given: "other
        //  grounds set by law" (its absence flagged as it was read)
        int other = section->number == 14? 7: 8;
        json_t *ground = json_object_get (r, "ground");
        if (ground && (json_integer_value (ground) < 1 || json_integer_value (ground) > other))
            s_finding (rec, "invalid_format", s_field (section, "ground"), "flagged", NULL);
        if (!ground || json_integer_value (ground) < 1 || json_integer_value (ground) > other)
            json_object_set_new (r, "ground", json_integer (other));
        if (json_object_get (r, "removed_reason") && !json_object_get (r, "removed_on"))
            s_inconsistent (rec, "removed_reason");
        const char *listed = json_string_value (json_object_get (r, "listed_on"));
        const char *removed = json_string_value (json_object_get (r, "removed_on"));
        if (listed && removed && strcmp (removed, listed) < 0)
            s_finding (rec, "date_order", s_field (section, "removed_on"), "flagged", NULL);
    }
}

//  ---------------------------------------------------------------------
//  Keys read in this run (docs/import.md 3.4)

//  Notes the record's key. When the key was read before, the one with the
//  later source_updated_at (else the one read last) is kept and the other
//  is not stored.
static void
s_note_key (s_rec_t *rec, const char *key, long long source)
{
    s_run_t *run = rec->run;
    if (!run->keys) {
        run->nbuckets = 1 << 16;
        run->keys = calloc (run->nbuckets, sizeof *run->keys);
        if (!run->keys)
            abort ();
    }
    s_key_t **bucket = &run->keys [s_hash (key) & (run->nbuckets - 1)];
    s_key_t *k = *bucket;
    while (k && strcmp (k->key, key))
        k = k->next;
    if (!k) {
        k = malloc (sizeof *k + strlen (key) + 1);
        if (!k)
            abort ();
        strcpy (k->key, key);
        k->next = *bucket;
        *bucket = k;
        k->file = rec->file;
        k->line = rec->line;
        k->source = source;
        k->flagged = rec->flagged;
        return;
    }
    //  The record read before loses unless it is strictly newer
    char where [4200];
    bool earlier_loses = source >= k->source;
    const s_file_t *winner = &run->files [earlier_loses? rec->file: k->file];
    snprintf (where, sizeof where, "%s:%lld", winner->path,
              earlier_loses? rec->line: k->line);
    if (earlier_loses) {
        //  Counted as stored when it was read: now it is not (the first pass
        //  counts nothing: it has reset that file's counts already)
        s_file_t *loser = &run->files [k->file];
        s_rec_t old = { .run = run, .file = k->file, .line = k->line, .record = NULL,
                        .uscc = rec->uscc };
        s_finding (&old, "duplicate_key_in_file", NULL, "not_stored", where);
        if (!run->scanning) {
            loser->stored--;
            loser->not_stored++;
            loser->flagged -= k->flagged;
        }
        k->file = rec->file;
        k->line = rec->line;
        k->source = source;
        k->flagged = rec->flagged;
    }
    else {
        s_finding (rec, "duplicate_key_in_file", NULL, "not_stored", where);
        rec->refused = true;        //  (not stored: counted apart below)
        run->files [rec->file].not_stored++;
    }
}

//  ---------------------------------------------------------------------
//  Storing: section 01 to the registry

//  Returns the field of the section named name, or NULL.
static const s_field_t *
s_field (const s_section_t *section, const char *name)
{
    for (const s_field_t *f = section->fields; f->name; f++)
        if (strcmp (f->name, name) == 0)
            return f;
    return NULL;
}

//  Returns how far service has applied the registry's events (its own
//  outbox's last seq, for the registry), or -1 when it did not answer.
static long long
s_applied (s_run_t *run, const char *service)
{
    Npo__Ping ping = NPO__PING__INIT;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_PING;
    request.ping = &ping;
    int status;
    Npo__Reply *reply = ctl_call (run->ctl, service, &request, &status);
    long long seq = -1;
    const Npo__Pong *pong = reply? reply->pong: NULL;
    if (pong && strcmp (service, "registry") == 0)
        seq = (long long) pong->last_seq;
    for (size_t i = 0; pong && i < pong->n_applied; i++)
        if (strcmp (pong->applied [i]->stream, "registry") == 0)
            seq = (long long) pong->applied [i]->seq;
    npo__reply__free_unpacked (reply, NULL);
    return seq;
}

//  Before a service other than the registry is sent records, waits until it
//  has applied the registry's events so far, so that it knows the
//  organizations this run stored (docs/import.md 1.2), for S_SYNC_S seconds
//  at most; then the records of an organization it does not know yet are
//  refused (unknown_org_reference) and the import can simply be run again.
static void
s_sync (s_run_t *run, const char *service)
{
    if (strcmp (service, "registry") == 0 || json_object_get (run->synced, service))
        return;
    json_object_set_new (run->synced, service, json_true ());
    long long want = s_applied (run, "registry");
    time_t deadline = time (NULL) + S_SYNC_S;
    long long seq;
    while ((seq = s_applied (run, service)) < want && time (NULL) < deadline)
        usleep (100 * 1000);
    if (seq < want)
        fprintf (stderr, "npoctl import: %s has not applied the registry's events yet"
                 " (%lld of %lld): records of organizations it does not know are refused\n",
                 service, seq, want);
}

//  Sends the batch to its service and counts what it did with each record.
static void
s_send (s_run_t *run)
{
    if (run->nbatch == 0 || run->failed)
        goto done;
    const s_section_t *section = run->files [run->batch [0].file].section;
    Npo__Request request = NPO__REQUEST__INIT;
    Npo__ImportOrgs orgs_cmd = NPO__IMPORT_ORGS__INIT;
    Npo__ImportRecords records_cmd = NPO__IMPORT_RECORDS__INIT;
    Npo__ImportedOrg *orgs [S_BATCH];
    Npo__ImportedRecord *records [S_BATCH];
    for (size_t i = 0; i < run->nbatch; i++) {
        orgs [i] = run->batch [i].org;
        records [i] = run->batch [i].record;
    }
    if (section->number == 1) {
        orgs_cmd.province = (char *) run->province;
        orgs_cmd.found_on = run->today;
        orgs_cmd.orgs = orgs;
        orgs_cmd.n_orgs = run->nbatch;
        request.body_case = NPO__REQUEST__BODY_IMPORT_ORGS;
        request.import_orgs = &orgs_cmd;
    }
    else {
        records_cmd.province = (char *) run->province;
        records_cmd.section = (uint32_t) section->number;
        records_cmd.found_on = run->today;
        records_cmd.records = records;
        records_cmd.n_records = run->nbatch;
        request.body_case = NPO__REQUEST__BODY_IMPORT_RECORDS;
        request.import_records = &records_cmd;
    }
    s_sync (run, section->service);
    int status;
    Npo__Reply *reply = ctl_call (run->ctl, section->service, &request, &status);
    if (!reply) {
        run->failed = status? status: EXIT_UNREACHABLE;
        goto done;
    }
    //  (both members of the reply's oneof are an ImportReply)
    const Npo__ImportReply *answer = section->number == 1? reply->import_orgs:
                                                            reply->import_records;
    for (size_t i = 0; i < run->nbatch; i++) {
        s_sent_t *sent = &run->batch [i];
        s_file_t *file = &run->files [sent->file];
        if (sent->refused)
            continue;               //  (counted when it was read)
        const Npo__ImportOutcome *o = answer && i < answer->n_outcomes? answer->outcomes [i]:
                                                                         NULL;
        const char *outcome = o? o->outcome: "refused";
        s_rec_t rec = { .run = run, .file = sent->file, .line = sent->line,
                        .uscc = *sent->uscc? sent->uscc: NULL };
        if (strcmp (outcome, "created") == 0)
            file->created++;
        else
        if (strcmp (outcome, "updated") == 0)
            file->updated++;
        else
        if (strcmp (outcome, "unchanged") == 0)
            file->unchanged++;
        else
        if (strcmp (outcome, "derived") == 0)
            file->derived++;
        else {
            //  Refused by the service: not stored after all
            s_finding (&rec, o && *o->error_code? o->error_code: "store_conflict", NULL,
                       "refused", o? o->error_message: NULL);
            file->stored--;
            file->flagged -= sent->flagged;
            file->refused++;
            continue;
        }
        //  The service's own findings on the record it stored
        bool flagged = sent->flagged;
        for (size_t k = 0; o && k < o->n_findings; k++) {
            //  (its value, for a field that is not personal, is shown as npoctl's are)
            const Npo__Finding *f = o->findings [k];
            const s_field_t *field = s_field (section, f->field);
            rec.record = field && *f->value? json_pack ("{s:s}", f->field, f->value): NULL;
            //  (not_updatable: the stored record stands, this one is not stored)
            bool stored = !*f->outcome || strcmp (f->outcome, "flagged") == 0;
            s_finding (&rec, f->rule, field, stored? "flagged": f->outcome,
                       *f->detail? f->detail: NULL);
            json_decref (rec.record);
            rec.record = NULL;
            flagged = flagged || stored;
        }
        file->flagged += flagged && !sent->flagged;
    }
    npo__reply__free_unpacked (reply, NULL);
done:
    for (size_t i = 0; i < run->nbatch && run->failed; i++) {
        //  Not stored after all: the service failed on this batch or one before
        s_sent_t *sent = &run->batch [i];
        s_file_t *file = &run->files [sent->file];
        if (sent->refused)
            continue;
        file->stored--;
        file->flagged -= sent->flagged;
        file->unsent++;
    }
    for (size_t i = 0; i < run->nbatch; i++) {
        npo__imported_org__free_unpacked (run->batch [i].org, NULL);
        npo__imported_record__free_unpacked (run->batch [i].record, NULL);
    }
    run->nbatch = 0;
}

//  Returns rec's findings as messages, their count in *n.
static Npo__Finding **
s_findings_of (const s_run_t *run, const s_rec_t *rec, size_t *n)
{
    const char *path = run->files [rec->file].path;
    *n = json_array_size (rec->found);
    Npo__Finding **findings = calloc (*n + 1, sizeof *findings);
    if (!findings)
        abort ();
    for (size_t i = 0; i < *n; i++) {
        json_t *kept = json_array_get (rec->found, i);
        Npo__Finding *f = malloc (sizeof *f);
        if (!f)
            abort ();
        npo__finding__init (f);
        char **texts [5] = { &f->rule, &f->field, &f->detail, &f->value, &f->outcome };
        const char *names [5] = { "rule", "field", "detail", "value", "outcome" };
        for (int k = 0; k < 5; k++)
            *texts [k] = npo_strdup (json_string_value (json_object_get (kept, names [k]))
                                     ?: "");
        f->path = npo_strdup (path);
        f->line = (uint64_t) rec->line;
        findings [i] = f;
    }
    return findings;
}

//  Adds a record to the batch, and sends the batch when it is full.
static void
s_batch_add (s_run_t *run, const s_rec_t *rec, Npo__ImportedOrg *org,
             Npo__ImportedRecord *record, bool refused)
{
    s_sent_t *sent = &run->batch [run->nbatch++];
    *sent = (s_sent_t) { .org = org, .record = record, .file = rec->file, .line = rec->line,
                         .flagged = rec->flagged, .refused = refused };
    snprintf (sent->uscc, sizeof sent->uscc, "%s", rec->uscc? rec->uscc: "");
    if (run->nbatch == S_BATCH)
        s_send (run);
}

//  Returns true when the record at file, line is the one kept of its key
//  (the first pass's verdict; true without one).
static bool
s_winner (const s_run_t *run, const char *key, size_t file, long long line)
{
    if (!run->winners)
        return true;
    const s_key_t *k = run->winners [s_hash (key) & (run->nbuckets - 1)];
    while (k && strcmp (k->key, key))
        k = k->next;
    return !k || (k->file == file && k->line == line);
}

//  Returns true when the first pass kept a record of this key (a refused
//  record never is one).
static bool
s_stored_elsewhere (const s_run_t *run, const char *key)
{
    if (!run->winners)
        return false;
    const s_key_t *k = run->winners [s_hash (key) & (run->nbuckets - 1)];
    while (k && strcmp (k->key, key))
        k = k->next;
    return k != NULL;
}

//  Returns a new message of the section from the checked record (its fields
//  in the section's member, but for those outside it), or NULL with the
//  reason in err.
static ProtobufCMessage *
s_message (const s_section_t *section, const json_t *record, char *err, size_t size)
{
    json_t *top = json_object (), *inner = section->member? json_object (): top;
    const char *name;
    json_t *value;
    json_object_foreach ((json_t *) record, name, value) {
        bool out = false;
        for (const char *const *o = section->outside; o && *o && !out; o++)
            out = strcmp (*o, name) == 0;
        //  (source_updated_at is the import's only: never stored, 3.4)
        if (s_field (section, name) && strcmp (name, "source_updated_at"))
            json_object_set (out? top: inner, name, value);
    }
    if (section->member)
        json_object_set_new (top, section->member, inner);
    ProtobufCMessage *msg = malloc (section->message->sizeof_message);
    if (!msg)
        abort ();
    protobuf_c_message_init (section->message, msg);
    if (npo_pb_from_json (top, msg, err, size)) {
        protobuf_c_message_free_unpacked (msg, NULL);
        msg = NULL;
    }
    json_decref (top);
    return msg;
}

//  Queues a checked record of a section other than 01 for its service (a
//  refused one for its findings to be kept). Returns 0, or -1 when it did
//  not convert (refused: a bug of ours, said).
static int
s_queue_record (s_run_t *run, const s_rec_t *rec, bool refused)
{
    const s_section_t *section = run->files [rec->file].section;
    char err [256];
    ProtobufCMessage *msg = s_message (section, rec->record, err, sizeof err);
    if (!msg) {
        log_warn ("import: a checked record did not convert: %s", err);
        return -1;
    }
    Npo__ImportedRecord *record = malloc (sizeof *record);
    if (!record)
        abort ();
    npo__imported_record__init (record);
    record->body.len = protobuf_c_message_get_packed_size (msg);
    record->body.data = malloc (record->body.len + 1);
    if (!record->body.data)
        abort ();
    protobuf_c_message_pack (msg, record->body.data);
    protobuf_c_message_free_unpacked (msg, NULL);
    record->refused = refused;
    record->path = npo_strdup (run->files [rec->file].path);
    record->line = (uint64_t) rec->line;
    record->findings = s_findings_of (run, rec, &record->n_findings);
    s_batch_add (run, rec, NULL, record, refused);
    return 0;
}

//  Queues a record npoctl refused, for its findings to be kept.
static void
s_queue_refused (s_run_t *run, const s_rec_t *rec)
{
    if (run->files [rec->file].section->number != 1) {
        s_queue_record (run, rec, true);
        return;
    }
    Npo__ImportedOrg *org = malloc (sizeof *org);
    if (!org)
        abort ();
    npo__imported_org__init (org);
    org->uscc = npo_strdup (rec->uscc);
    org->refused = 1;
    org->path = npo_strdup (run->files [rec->file].path);
    org->line = (uint64_t) rec->line;
    org->findings = s_findings_of (run, rec, &org->n_findings);
    s_batch_add (run, rec, org, NULL, true);
}

//  Queues a checked section 01 record for the registry.
static void
s_queue_org (s_run_t *run, const s_rec_t *rec)
{
    json_t *basic = json_deep_copy (rec->record);
    static const char *const outside [] = {
        "uscc", "approved_on", "status", "old_org_code", "old_certificate_number",
        "source_updated_at"
    };
    for (size_t i = 0; i < sizeof outside / sizeof outside [0]; i++)
        json_object_del (basic, outside [i]);
    //  (fields the section does not define were never sent: only known ones)
    const char *name;
    json_t *value;
    void *tmp;
    json_object_foreach_safe (basic, tmp, name, value) {
        const s_field_t *f = s_organizations;
        while (f->name && strcmp (f->name, name))
            f++;
        if (!f->name)
            json_object_del (basic, name);
    }
    Npo__ImportedOrg *org = malloc (sizeof *org);
    Npo__BasicInfo *info = malloc (sizeof *info);
    if (!org || !info)
        abort ();
    npo__imported_org__init (org);
    npo__basic_info__init (info);
    char err [256];
    int converted = npo_pb_from_json (basic, &info->base, err, sizeof err);
    json_decref (basic);
    org->basic = info;
    if (converted) {
        //  A bug of ours, not the province's: said, and never sent half
        log_warn ("import: a checked record did not convert: %s", err);
        npo__imported_org__free_unpacked (org, NULL);
        s_file_t *file = &run->files [rec->file];
        file->stored--;
        file->flagged -= rec->flagged;
        file->refused++;
        s_rec_t copy = *rec;
        s_finding (&copy, "invalid_format", NULL, "refused", err);
        return;
    }
    //  (old codes go to the registry's old-code map, not the basic information)
    const char *fields [5] = { "uscc", "approved_on", "status", "old_org_code",
                               "old_certificate_number" };
    char **slots [5] = { &org->uscc, &org->approved_on, &org->status, &org->old_org_code,
                         &org->old_certificate_number };
    for (int i = 0; i < 5; i++)
        *slots [i] = npo_strdup (json_string_value (json_object_get (rec->record, fields [i]))
                                 ?: "");
    org->path = npo_strdup (run->files [rec->file].path);
    org->line = (uint64_t) rec->line;
    org->findings = s_findings_of (run, rec, &org->n_findings);
    s_batch_add (run, rec, org, NULL, false);
}

//  ---------------------------------------------------------------------
//  Reading records

//  Section 01's type and authority division, when absent, are the code's
//  (docs/import.md section 4, 01): its second character and characters 3-8.
static void
s_fill_from_code (json_t *record, const char *uscc)
{
    json_t *type = json_object_get (record, "type");
    if (!type || json_is_null (type) || (json_is_string (type) && !*json_string_value (type))) {
        const char *name = uscc [1] == '1'? "social_group": uscc [1] == '2'? "social_service":
                           uscc [1] == '3'? "foundation": uscc [1] == '9'? "other": NULL;
        if (name)
            json_object_set_new (record, "type", json_string (name));
    }
    json_t *division = json_object_get (record, "authority_division");
    if (!division || json_is_null (division)
    ||  (json_is_string (division) && !*json_string_value (division)))
        json_object_set_new (record, "authority_division", json_stringn (uscc + 2, 6));
}

//  Sections 12 and 13: what the record implies before its fields are
//  checked. A case's authority division, when absent, is its authority's
//  (chars 3-8 of authority_code). Section 13's single id_number carries an
//  organization's code (docs/import.md 13): read as party_uscc; the fields
//  of the other party are dropped (inconsistent_fields).
static void
s_fill_credit (s_rec_t *rec)
{
    const s_section_t *section = rec->run->files [rec->file].section;
    json_t *r = rec->record;
    if (section->number == 12 && !s_given (r, "authority_division")) {
        const char *code = json_string_value (json_object_get (r, "authority_code"));
        if (code && strlen (code) >= 8 && strspn (code + 2, "0123456789") >= 6)
            json_object_set_new (r, "authority_division", json_stringn (code + 2, 6));
    }
    if (section->number != 13)
        return;
    bool organization = s_is (r, "party_type", "organization");
    if (organization && s_given (r, "id_number") && !s_given (r, "party_uscc"))
        json_object_set (r, "party_uscc", json_object_get (r, "id_number"));
    else
    if (organization && s_given (r, "id_number")
    &&  !json_equal (json_object_get (r, "id_number"), json_object_get (r, "party_uscc")))
        s_finding (rec, "inconsistent_fields", s_field (section, "id_number"), "flagged",
                   NULL);
    if (organization)
        json_object_del (r, "id_number");
    const char *other = organization? "id_type": s_is (r, "party_type", "person")?
                        "party_uscc": NULL;
    if (other && s_given (r, other)) {
        s_finding (rec, "inconsistent_fields", s_field (section, other), "flagged", NULL);
        json_object_del (r, other);
    }
}

//  Checks one record (a JSON object of strings and booleans) and counts it.
static void
s_record (s_run_t *run, size_t file_index, long long line, json_t *record)
{
    s_file_t *file = &run->files [file_index];
    const s_section_t *section = file->section;
    s_rec_t rec = { .run = run, .file = file_index, .line = line, .record = record };
    //  Findings are kept with the record by the service that stores it
    bool keep = run->ctl && section->service;
    rec.found = keep? json_array (): NULL;
    file->records++;
    run->read++;
    s_fill_credit (&rec);
    const char *org = json_string_value (json_object_get (record, section->org_field));
    if (org && strlen (org) == 18 && uscc_valid (org))
        rec.uscc = org;
    char key [4096] = "";
    bool whole = true;              //  every key field present
    if (section->number == 1 && rec.uscc)
        s_fill_from_code (record, rec.uscc);
    //  A change item given by its Chinese label is the same key as by its
    //  name, as the registry stores it (docs/import.md 09)
    const char *item = json_string_value (json_object_get (record, "item"));
    if (section->number == 9 && item && npo_change_item (item)
    &&  strcmp (npo_change_item (item), item))
        json_object_set_new (record, "item", json_string (npo_change_item (item)));
    for (const s_field_t *f = section->fields; f->name; f++) {
        s_need_t need = s_need_of (section, f, record);
        json_t *value = json_object_get (record, f->name);
        //  Not provided: absent, null, "" (docs/import.md 2.1)
        if (json_is_null (value) || (json_is_string (value) && !*json_string_value (value))) {
            json_object_del (record, f->name);
            value = NULL;
        }
        //  An amount may come as a JSON integer (docs/import.md 2.2)
        if (value && f->type == T_AMOUNT && json_is_integer (value)) {
            char digits [32];
            snprintf (digits, sizeof digits, "%" JSON_INTEGER_FORMAT, json_integer_value (value));
            json_object_set_new (record, f->name, json_string (digits));
            value = json_object_get (record, f->name);
        }
        const char *rule = NULL;
        //  A resident ID carries the birth date: not missing with one
        const char *id_type = json_string_value (json_object_get (record, "id_type"));
        bool implied = !strcmp (f->name, "birth_date") && id_type
                    && !strcmp (id_type, "resident_id");
        //  Only a full party member has a date of becoming one (section 06)
        const char *membership = json_string_value (json_object_get (record,
                                                                     "membership_status"));
        implied = implied || (!strcmp (f->name, "full_member_on")
                              && (!membership || strcmp (membership, "full")));
        if (!value)
            rule = need == N_OPT || implied? NULL: "missing_required";
        else
        if (f->type == T_BOOL)
            rule = json_is_boolean (value)? NULL: "invalid_format";
        else
        if (f->type == T_INT)
            rule = json_is_integer (value) && json_integer_value (value) >= 0
                && json_integer_value (value) <= f->max? NULL: "invalid_format";
        else
        if (!json_is_string (value))
            rule = "invalid_format";
        else
            rule = s_check_value (run, f, json_string_value (value), record);
        if (rule) {
            //  A key or a field needed to store: refused; a kept value stays
            bool kept = rule == s_unknown_division;
            bool vital = need >= N_STORE && !kept;
            s_finding (&rec, rule, f, vital || rule == s_invalid_id_check?
                       "refused": "flagged", NULL);
            if (!kept)
                json_object_del (record, f->name);
        }
        if (f->need == N_KEY && (value = json_object_get (record, f->name))) {
            size_t len = strlen (key);
            snprintf (key + len, sizeof key - len, "%s\x1f", json_is_string (value)?
                      json_string_value (value): json_is_true (value)? "true": "false");
        }
        else
        if (f->need == N_KEY)
            whole = false;
    }
    char full_key [4200];
    snprintf (full_key, sizeof full_key, "%d\x1f%s", section->number, key);
    if (rec.refused) {
        file->refused++;
        //  Its findings are kept when its key is whole (6.3), unless another
        //  record of its key is stored
        if (keep && !run->scanning && whole && !s_stored_elsewhere (run, full_key))
            s_queue_refused (run, &rec);
        json_decref (rec.found);
        return;
    }
    //  The organization must be the province's (3.3): its authority division
    //  from this run's section 01; else the register's, which the service
    //  checks (an organization may have moved province keeping its code);
    //  with --dry-run, which asks no service, the one its code was assigned by
    const char *division = NULL;
    if (rec.uscc)
        division = section->number == 1?
            json_string_value (json_object_get (record, "authority_division")):
            json_string_value (json_object_get (run->orgs, rec.uscc));
    if (!division && rec.uscc && !run->ctl)
        division = rec.uscc + 2;
    if (division && strncmp (division, run->province, 2)) {
        s_finding (&rec, "out_of_province", NULL, "refused", NULL);
        file->refused++;
        json_decref (rec.found);
        return;
    }
    s_check_record (&rec);
    if (rec.refused) {
        //  By a rule across its fields
        file->refused++;
        if (keep && !run->scanning && whole && !s_stored_elsewhere (run, full_key))
            s_queue_refused (run, &rec);
        json_decref (rec.found);
        return;
    }
    //  Freshness (3.4)
    const char *source = json_string_value (json_object_get (record, "source_updated_at"));
    time_t t = -1;
    if (!source || !s_time (source, &t))
        file->no_source_time++;
    else
    if (run->arrival - t > S_STALE_S) {
        char detail [96];
        snprintf (detail, sizeof detail, "source_updated_at %s", source);
        s_finding (&rec, "stale_source", NULL, "flagged", detail);
    }
    s_note_key (&rec, full_key, t);
    if (rec.refused) {
        json_decref (rec.found);
        return;                     //  a duplicate that loses: not stored
    }
    file->stored++;
    if (rec.flagged)
        file->flagged++;
    if (section->number == 1 && rec.uscc) {
        const char *d = json_string_value (json_object_get (record, "authority_division"));
        json_object_set_new (run->orgs, rec.uscc, json_string (d? d: ""));
    }
    if (keep && !run->scanning && s_winner (run, full_key, file_index, line)) {
        if (section->number == 1)
            s_queue_org (run, &rec);
        else
        if (s_queue_record (run, &rec, false)) {
            //  A bug of ours, not the province's: said, and never sent half
            file->stored--;
            file->flagged -= rec.flagged;
            file->refused++;
            s_finding (&rec, "invalid_format", NULL, "refused", "the record did not convert");
        }
    }
    json_decref (rec.found);
}

//  Counts a line refused before a record could be read.
static void
s_refuse_line (s_run_t *run, size_t file_index, long long line, const char *rule)
{
    s_rec_t rec = { .run = run, .file = file_index, .line = line };
    run->files [file_index].records++;
    run->files [file_index].refused++;
    s_finding (&rec, rule, NULL, "refused", NULL);
}

//  Reads one line (up to S_LINE_MAX bytes; *too_long when longer, the rest
//  skipped) into *buf. Returns its length, or -1 at the end of the file.
static long
s_getline (FILE *in, char **buf, size_t *cap, bool *too_long)
{
    ssize_t n = getline (buf, cap, in);
    if (n < 0)
        return -1;
    while (n > 0 && ((*buf) [n - 1] == '\n' || (*buf) [n - 1] == '\r'))
        (*buf) [--n] = 0;
    *too_long = n > S_LINE_MAX;         //  (the line's end does not count)
    return n;
}

//  Returns true when line holds only spaces and tabs.
static bool
s_blank (const char *line)
{
    return line [strspn (line, " \t")] == 0;
}

static void
s_progress (s_run_t *run, const s_file_t *file, bool done)
{
    if (run->progress && (done || run->read % 10000 == 0))
        fprintf (stderr, "\r%-40s %12lld records%s", file->path, file->records,
                 done? "\n": "");
}

//  Reads a JSON Lines file. *why: NULL, or why the whole file is refused (a
//  first line with content that is not UTF-8: a GBK or GB 18030 export,
//  docs/import.md 2.1).
static void
s_read_jsonl (s_run_t *run, size_t file_index, FILE *in, const char **why)
{
    *why = NULL;
    bool content = false;           //  a line not blank was read
    s_file_t *file = &run->files [file_index];
    char *buf = NULL;
    size_t cap = 0;
    bool too_long;
    long n;
    while ((n = s_getline (in, &buf, &cap, &too_long)) >= 0) {
        long long line = ++file->lines;
        char *text = buf;
        if (line == 1 && strncmp (text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;              //  a byte-order mark
        if (too_long) {
            s_refuse_line (run, file_index, line, "line_too_long");
            continue;
        }
        //  A NUL would end the text early, unseen
        if (memchr (text, 0, (size_t) n - (size_t) (text - buf))) {
            s_refuse_line (run, file_index, line, "invalid_encoding");
            continue;
        }
        if (s_blank (text))
            continue;
        if (!npo_utf8_valid (text, true, NULL) && !content) {
            *why = "invalid_encoding";
            break;
        }
        content = true;
        if (!npo_utf8_valid (text, true, NULL)) {
            s_refuse_line (run, file_index, line, "invalid_encoding");
            continue;
        }
        json_t *record = json_loads (text, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object (record)) {
            json_decref (record);
            s_refuse_line (run, file_index, line, "invalid_json");
            continue;
        }
        s_record (run, file_index, line, record);
        json_decref (record);
        s_progress (run, file, false);
    }
    free (buf);
}

//  Reads one CSV record (RFC 4180) into cells: strings, or null for a cell
//  that is not UTF-8 or holds a NUL. Returns the number of cells, 0 at the
//  end of the file, -1 when a quote is left open, -2 when the record is over
//  S_LINE_MAX bytes (the rest of it read past). *lines: the lines it took.
static int
s_csv_record (FILE *in, json_t *cells, long *lines)
{
    json_array_clear (cells);
    char *cell = NULL;
    size_t len = 0, cap = 0, total = 0, seen = 0;   //  seen: characters of this cell
    bool quoted = false, any = false, too_long = false;
    *lines = 0;
    while (true) {
        int c = getc (in);
        if (c == EOF && !any)
            break;
        any = true;
        total++;
        if (c == EOF && quoted) {
            free (cell);
            return -1;
        }
        if (quoted && c == '"') {
            int next = getc (in);
            if (next != '"') {
                quoted = false;
                ungetc (next, in);
                continue;
            }
            total++;
        }
        else
        if (!quoted && c == '"' && seen == 0) {
            quoted = true;
            seen++;
            continue;
        }
        else
        if (!quoted && (c == ',' || c == '\n' || c == EOF)) {
            if (len && cell [len - 1] == '\r' && c != ',')
                len--;
            if (!too_long) {
                const char *text = cell? cell: "";
                json_t *value = memchr (text, 0, len)? NULL: json_stringn (text, len);
                json_array_append_new (cells, value? value: json_null ());
            }
            len = seen = 0;
            if (c != ',') {
                (*lines)++;
                break;
            }
            continue;
        }
        if (c == '\n')
            (*lines)++;
        seen++;
        too_long = too_long || total > S_LINE_MAX;
        if (too_long)
            continue;               //  read to the end of the record, kept nowhere
        if (len + 1 >= cap) {
            cap = cap? cap * 2: 256;
            char *grown = realloc (cell, cap);
            if (!grown)
                abort ();
            cell = grown;
        }
        cell [len++] = (char) c;
    }
    free (cell);
    if (!any)
        return 0;
    return too_long? -2: (int) json_array_size (cells);
}

//  Reads a CSV file: the header names the columns (docs/import.md 2.3).
//  Returns false when the whole file is refused (its code in *why).
static bool
s_read_csv (s_run_t *run, size_t file_index, FILE *in, const char **why)
{
    s_file_t *file = &run->files [file_index];
    json_t *header = json_array (), *cells = json_array ();
    long lines;
    int n = s_csv_record (in, header, &lines);
    file->lines = lines;
    *why = NULL;
    const char *first = n > 0? json_string_value (json_array_get (header, 0)): NULL;
    if (first && strncmp (first, "\xEF\xBB\xBF", 3) == 0)
        json_array_set_new (header, 0, json_string (first + 3));
    //  Every column a field name once; every key field present
    for (int i = 0; i < n && !*why; i++) {
        const char *name = json_string_value (json_array_get (header, (size_t) i));
        if (!name || !npo_utf8_valid (name, false, NULL))
            *why = "invalid_encoding";
        for (int j = 0; j < i && !*why; j++)
            if (strcmp (name, json_string_value (json_array_get (header, (size_t) j))) == 0)
                *why = "invalid_header";
    }
    for (const s_field_t *f = file->section->fields; f->name && !*why; f++) {
        bool found = false;
        for (int i = 0; i < n && !found; i++)
            found = strcmp (f->name, json_string_value (json_array_get (header,
                                                                        (size_t) i))) == 0;
        if (f->need == N_KEY && !found)
            *why = "invalid_header";
    }
    if (n <= 0)
        *why = "invalid_header";
    while (!*why) {
        long long line = file->lines + 1;
        int got = s_csv_record (in, cells, &lines);
        file->lines += lines;
        if (got == 0)
            break;
        if (got < 0) {
            s_refuse_line (run, file_index, line, got == -2? "line_too_long": "invalid_csv");
            continue;
        }
        const char *only = json_string_value (json_array_get (cells, 0));
        if (got == 1 && only && s_blank (only))
            continue;
        if (got != n) {
            s_refuse_line (run, file_index, line, "invalid_csv");
            continue;
        }
        json_t *record = json_object ();
        bool utf8 = true;
        for (int i = 0; i < n; i++) {
            const char *name = json_string_value (json_array_get (header, (size_t) i));
            const char *value = json_string_value (json_array_get (cells, (size_t) i));
            utf8 = utf8 && value && npo_utf8_valid (value, true, NULL);
            if (!value)
                continue;
            const s_field_t *f = file->section->fields;
            while (f->name && strcmp (f->name, name))
                f++;
            if (f->name && f->type == T_BOOL && (!strcmp (value, "true")
                                                 || !strcmp (value, "false")))
                json_object_set_new (record, name, json_boolean (!strcmp (value, "true")));
            else
            if (f->name && f->type == T_INT && *value && strlen (value) <= 9
            &&  strspn (value, "0123456789") == strlen (value))
                json_object_set_new (record, name, json_integer (atoll (value)));
            else
                json_object_set_new (record, name, json_string (value));
        }
        if (utf8)
            s_record (run, file_index, line, record);
        else
            s_refuse_line (run, file_index, line, "invalid_encoding");
        json_decref (record);
        s_progress (run, file, false);
    }
    json_decref (header);
    json_decref (cells);
    return *why == NULL;
}

//  Lists the fields of a JSON Lines file the section does not define, once.
static void
s_unknown_fields (s_run_t *run, const s_file_t *file, json_t *seen)
{
    const char *name;
    json_t *value;
    json_object_foreach (seen, name, value) {
        (void) value;
        const s_field_t *f = file->section->fields;
        while (f->name && strcmp (f->name, name))
            f++;
        //  Only what looks like a field name: a value must never be echoed
        size_t n = strlen (name);
        bool named = n >= 1 && n <= 64
                  && strspn (name, "abcdefghijklmnopqrstuvwxyz_0123456789") == n;
        if (!f->name && named)
            json_array_append_new (run->unknown_fields,
                                   json_pack ("{s:s, s:s}", "path", file->path, "field", name));
    }
}

//  Field names used in a file: JSON Lines, the keys of every record; CSV,
//  the header.
static json_t *
s_field_names (const s_file_t *file)
{
    json_t *seen = json_object ();
    FILE *in = fopen (file->path, "r");
    if (!in)
        return seen;
    if (file->csv) {
        json_t *header = json_array ();
        long lines;
        if (s_csv_record (in, header, &lines) > 0) {
            size_t i;
            json_t *name;
            json_array_foreach (header, i, name) {
                const char *text = json_string_value (name);
                if (i == 0 && strncmp (text, "\xEF\xBB\xBF", 3) == 0)
                    text += 3;
                json_object_set_new (seen, text, json_true ());
            }
        }
        json_decref (header);
    }
    else {
        char *buf = NULL;
        size_t cap = 0;
        bool too_long;
        while (s_getline (in, &buf, &cap, &too_long) >= 0) {
            json_t *record = too_long? NULL: json_loads (buf, 0, NULL);
            const char *name;
            json_t *value;
            json_object_foreach (record, name, value)
                json_object_set_new (seen, name, json_true ());
            json_decref (record);
        }
        free (buf);
    }
    fclose (in);
    return seen;
}

//  ---------------------------------------------------------------------
//  Files

//  Returns the section a file name stands for, and whether it is CSV; NULL
//  when the name is not a return file's. *wrong is set when the number and
//  the stem disagree, or section 17 comes as CSV.
static const s_section_t *
s_section_of (const char *path, bool *csv, bool *known, bool *wrong)
{
    const char *name = strrchr (path, '/');
    name = name? name + 1: path;
    *wrong = false;
    *known = false;
    size_t n = strlen (name);
    *csv = n > 4 && strcmp (name + n - 4, ".csv") == 0;
    bool jsonl = n > 6 && strcmp (name + n - 6, ".jsonl") == 0;
    if ((!*csv && !jsonl) || !isdigit ((unsigned char) name [0])
    ||  !isdigit ((unsigned char) name [1]) || name [2] != '-')
        return NULL;
    //  NN-<stem>[.<part>].<ext>: the stem up to the first dot
    size_t stem = strcspn (name, ".");
    static const char *const all [] = {
        "01-organizations", "02-officers", "03-work-history", "04-certificates",
        "05-party-organizations", "06-party-members", "07-deregistrations", "08-audits",
        "09-changes", "10-evaluations", "11-penalties", "12-case-filings",
        "13-fundraising-penalties", "14-abnormal-list", "15-serious-list",
        "16-inspection-results", "17-inspection-details"
    };
    for (size_t i = 0; i < 17; i++)
        if (strlen (all [i]) == stem && strncmp (name, all [i], stem) == 0) {
            *known = true;
            for (size_t s = 0; s < S_SECTIONS; s++)
                if (s_sections [s].number == (int) i + 1)
                    return &s_sections [s];
            return NULL;
        }
    //  A number with another section's stem
    for (size_t i = 0; i < 17; i++)
        if (strncmp (name + 2, all [i] + 2, stem - 2) == 0 && strlen (all [i]) == stem)
            *wrong = true;
    return NULL;
}

static int
s_path_cmp (const void *a, const void *b)
{
    const s_file_t *x = a, *y = b;
    for (size_t s = 0; s < S_SECTIONS; s++) {
        if (x->section == &s_sections [s] && y->section != &s_sections [s])
            return -1;
        if (y->section == &s_sections [s] && x->section != &s_sections [s])
            return 1;
    }
    return strcmp (x->path, y->path);
}

//  Adds a file of the return, or notes why it is not one. named: given on
//  the command line (a name that is not a return file's is a usage error).
static int
s_add_file (s_run_t *run, const char *path, bool named)
{
    bool csv, known, wrong;
    const s_section_t *section = s_section_of (path, &csv, &known, &wrong);
    if (wrong) {
        json_array_append_new (run->refused_files, json_pack ("{s:s, s:s}", "path", path,
                                                              "code", "wrong_section"));
        return 0;
    }
    if (!section && known) {
        json_array_append_new (run->refused_files,
            json_pack ("{s:s, s:s, s:s}", "path", path, "code", "not_supported",
                       "reason", "this section is not imported yet (docs/import.md)"));
        return 0;
    }
    if (!section) {
        if (named) {
            fprintf (stderr, "npoctl import: %s: not a return file (NN-<section>.jsonl or "
                             ".csv, docs/import.md)\n", path);
            return EXIT_USAGE;
        }
        json_array_append_new (run->ignored, json_string (path));
        return 0;
    }
    //  The same file reached twice (named, and in a directory named) is
    //  read once: its records are not duplicates of themselves
    struct stat st = { 0 };
    if (stat (path, &st) == 0)
        for (size_t i = 0; i < run->nfiles; i++)
            if (run->files [i].dev == st.st_dev && run->files [i].ino == st.st_ino) {
                json_array_append_new (run->ignored, json_string (path));
                return 0;
            }
    s_file_t *files = realloc (run->files, (run->nfiles + 1) * sizeof *files);
    if (!files)
        abort ();
    run->files = files;
    run->files [run->nfiles++] = (s_file_t) { .path = strdup (path), .section = section,
                                              .csv = csv, .dev = st.st_dev,
                                              .ino = st.st_ino };
    return 0;
}

//  Adds a path: a file, or a directory's files one level deep.
static int
s_add_path (s_run_t *run, const char *path)
{
    struct stat st;
    if (stat (path, &st)) {
        fprintf (stderr, "npoctl import: %s: %s\n", path, strerror (errno));
        return EXIT_USAGE;
    }
    if (!S_ISDIR (st.st_mode))
        return s_add_file (run, path, true);
    DIR *dir = opendir (path);
    if (!dir) {
        fprintf (stderr, "npoctl import: %s: %s\n", path, strerror (errno));
        return EXIT_USAGE;
    }
    struct dirent *entry;
    int rc = 0;
    while ((entry = readdir (dir)) && rc == 0) {
        char full [4096];
        snprintf (full, sizeof full, "%s/%s", path, entry->d_name);
        if (entry->d_name [0] != '.' && stat (full, &st) == 0 && S_ISREG (st.st_mode))
            rc = s_add_file (run, full, false);
    }
    closedir (dir);
    return rc;
}

//  ---------------------------------------------------------------------
//  The report

static void
s_iso (char *buf, size_t size, time_t t)
{
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
s_report (s_run_t *run)
{
    char arrival [32], finished [32];
    s_iso (arrival, sizeof arrival, run->arrival);
    s_iso (finished, sizeof finished, time (NULL));
    json_t *files = json_array (), *sections = json_object ();
    bool refused = json_array_size (run->refused_files) > 0;
    for (size_t i = 0; i < run->nfiles; i++) {
        s_file_t *f = &run->files [i];
        json_array_append_new (files, json_pack (
            "{s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "path", f->path,
            "section", f->section->number, "format", f->csv? "csv": "jsonl",
            "lines", (json_int_t) f->lines, "records", (json_int_t) f->records,
            "stored", (json_int_t) f->stored, "refused", (json_int_t) f->refused,
            "not_stored", (json_int_t) f->not_stored, "flagged", (json_int_t) f->flagged,
            "no_source_time", (json_int_t) f->no_source_time));
        if (run->ctl) {
            json_t *entry = json_array_get (files, json_array_size (files) - 1);
            json_object_set_new (entry, "created", json_integer (f->created));
            json_object_set_new (entry, "updated", json_integer (f->updated));
            json_object_set_new (entry, "unchanged", json_integer (f->unchanged));
            json_object_set_new (entry, "derived", json_integer (f->derived));
            json_object_set_new (entry, "unsent", json_integer (f->unsent));
        }
        char number [4];
        snprintf (number, sizeof number, "%d", f->section->number);
        json_t *s = json_object_get (sections, number);
        if (!s) {
            s = json_pack ("{s:I, s:I, s:I, s:I, s:I}", "records", (json_int_t) 0,
                           "stored", (json_int_t) 0, "refused", (json_int_t) 0,
                           "not_stored", (json_int_t) 0, "flagged", (json_int_t) 0);
            json_object_set_new (sections, number, s);
        }
        const char *names [10] = { "records", "stored", "refused", "not_stored", "flagged",
                                   "created", "updated", "unchanged", "unsent", "derived" };
        long long add [10] = { f->records, f->stored, f->refused, f->not_stored, f->flagged,
                               f->created, f->updated, f->unchanged, f->unsent, f->derived };
        for (int k = 0; k < (run->ctl? 10: 5); k++)
            json_object_set_new (s, names [k], json_integer (
                json_integer_value (json_object_get (s, names [k])) + add [k]));
        refused = refused || f->refused;
    }
    json_t *findings = json_array ();
    const char *name;
    json_t *entry;
    json_object_foreach (run->findings, name, entry)
        json_array_append (findings, entry);
    json_t *report = json_pack ("{s:s, s:s, s:s, s:b, s:o, s:O, s:O, s:O, s:O, s:o, s:O,"
                                " s:O}",
        "province", run->province, "arrival_at", arrival, "finished_at", finished,
        "dry_run", run->ctl == NULL, "files", files, "ignored_files", run->ignored,
        "refused_files", run->refused_files, "unknown_fields", run->unknown_fields,
        "sections", sections, "findings", findings, "refused", run->refused,
        "cross_checks", run->cross);
    char *text = report? json_dumps (report, JSON_COMPACT): NULL;
    json_decref (report);
    if (!text || printf ("%s\n", text) < 0 || fflush (stdout)) {
        free (text);
        json_decref (sections);
        fprintf (stderr, "npoctl import: could not write the report\n");
        return EXIT_REFUSED;
    }
    free (text);
    //  The readable summary
    json_object_foreach (sections, name, entry)
        fprintf (stderr, "section %s: %lld records, %lld stored (%lld flagged), %lld refused, "
                 "%lld not stored\n", name,
                 (long long) json_integer_value (json_object_get (entry, "records")),
                 (long long) json_integer_value (json_object_get (entry, "stored")),
                 (long long) json_integer_value (json_object_get (entry, "flagged")),
                 (long long) json_integer_value (json_object_get (entry, "refused")),
                 (long long) json_integer_value (json_object_get (entry, "not_stored")));
    size_t k;
    json_array_foreach (run->cross, k, entry)
        fprintf (stderr, "across records: %s %lld open (%lld new), %lld closed\n",
                 json_string_value (json_object_get (entry, "rule")),
                 (long long) json_integer_value (json_object_get (entry, "open")),
                 (long long) json_integer_value (json_object_get (entry, "opened")),
                 (long long) json_integer_value (json_object_get (entry, "closed")));
    json_object_foreach (run->findings, name, entry)
        fprintf (stderr, "  %-32s section %2d  %-10s %8lld\n",
                 json_string_value (json_object_get (entry, "rule")),
                 (int) json_integer_value (json_object_get (entry, "section")),
                 json_string_value (json_object_get (entry, "outcome")),
                 (long long) json_integer_value (json_object_get (entry, "count")));
    json_decref (sections);
    return refused? EXIT_REFUSED: 0;
}

//  After the files: each service checks the rules across records over all
//  of the province's organizations it holds (docs/import.md 6.1). Returns
//  the counts by rule ([] with --dry-run or after a failure; a service that
//  does not answer sets run->failed).
static json_t *
s_cross_checks (s_run_t *run)
{
    json_t *checks = json_array ();
    if (!run->ctl || run->failed)
        return checks;
    static const char *const services [] = { "registry" };
    for (size_t i = 0; i < sizeof services / sizeof services [0]; i++) {
        Npo__CheckReturn cmd = NPO__CHECK_RETURN__INIT;
        cmd.province = (char *) run->province;
        cmd.found_on = run->today;
        Npo__Request request = NPO__REQUEST__INIT;
        request.body_case = NPO__REQUEST__BODY_CHECK_RETURN;
        request.check_return = &cmd;
        int status;
        Npo__Reply *reply = ctl_call (run->ctl, services [i], &request, &status);
        if (!reply) {
            run->failed = status? status: EXIT_UNREACHABLE;
            break;
        }
        for (size_t r = 0; reply->check_return && r < reply->check_return->n_rules; r++) {
            const Npo__RuleCount *c = reply->check_return->rules [r];
            json_array_append_new (checks, json_pack ("{s:s, s:s, s:I, s:I, s:I}",
                "service", services [i], "rule", c->rule, "open", (json_int_t) c->open,
                "opened", (json_int_t) c->opened, "closed", (json_int_t) c->closed));
        }
        npo__reply__free_unpacked (reply, NULL);
    }
    return checks;
}

//  ---------------------------------------------------------------------
//  The verb

static void
s_free_keys (s_key_t **keys, size_t nbuckets)
{
    for (size_t b = 0; keys && b < nbuckets; b++)
        for (s_key_t *k = keys [b], *next; k; k = next) {
            next = k->next;
            free (k);
        }
    free (keys);
}

//  The first pass over the files of the sections stored: which record of
//  each key is kept.
static void
s_scan (s_run_t *run)
{
    run->scanning = true;
    for (size_t i = 0; i < run->nfiles; i++) {
        s_file_t *file = &run->files [i];
        FILE *in = file->section->service? fopen (file->path, "r"): NULL;
        if (!in)
            continue;
        const char *why;
        if (file->csv)
            s_read_csv (run, i, in, &why);
        else
            s_read_jsonl (run, i, in, &why);
        fclose (in);
        //  Counted again by the pass that stores
        s_file_t fresh = { .path = file->path, .section = file->section, .csv = file->csv,
                           .dev = file->dev, .ino = file->ino };
        *file = fresh;
    }
    run->winners = run->keys;
    run->keys = NULL;
    run->read = 0;
    json_object_clear (run->orgs);
    run->scanning = false;
}

int
ctl_import (ctl_t *ctl, int argc, char **argv)
{
    (void) ctl;
    char *province = NULL, *as_of = NULL, *every = NULL;
    protobuf_c_boolean dry_run = 0;
    s_run_t run = { 0 };
    int first = 0;
    //  Options first, then the paths
    while (first < argc && strncmp (argv [first], "--", 2) == 0) {
        if (strcmp (argv [first], "--dry-run") == 0)
            dry_run = 1;
        else
        if (strcmp (argv [first], "--province") == 0 && first + 1 < argc)
            province = argv [++first];
        else
        if (strcmp (argv [first], "--as-of") == 0 && first + 1 < argc)
            as_of = argv [++first];
        else
        if (strcmp (argv [first], "--findings") == 0 && first + 1 < argc)
            every = argv [++first];
        else
            return ctl_usage_error ("import", "unknown option %s", argv [first]);
        first++;
    }
    char division [7];
    snprintf (division, sizeof division, "%.2s0000", province? province: "");
    if (!province || strlen (province) != 2 || !division_valid (division))
        return ctl_usage_error ("import", "%s", "--province NN: two digits of a province "
                                "(10: the ministry's own)");
    if (first == argc)
        return ctl_usage_error ("import", "%s", "expected the return's files or directories");
    run.province = province;
    run.arrival = time (NULL);
    if (as_of && !s_time (as_of, &run.arrival))
        return ctl_usage_error ("import", "--as-of: not an RFC 3339 time: %s", as_of);
    time_t beijing = run.arrival + 8 * 3600;
    struct tm tm;
    gmtime_r (&beijing, &tm);
    strftime (run.today, sizeof run.today, "%Y-%m-%d", &tm);
    if (every && !(run.every = fopen (every, "w"))) {
        fprintf (stderr, "npoctl import: --findings %s: %s\n", every, strerror (errno));
        return EXIT_USAGE;
    }
    run.ignored = json_array ();
    run.refused_files = json_array ();
    run.unknown_fields = json_array ();
    run.refused = json_array ();
    run.findings = json_object ();
    run.orgs = json_object ();
    run.synced = json_object ();
    run.progress = isatty (STDERR_FILENO);
    run.ctl = dry_run? NULL: ctl;
    int rc = 0;
    for (int i = first; i < argc && rc == 0; i++)
        rc = s_add_path (&run, argv [i]);
    if (rc == 0 && run.nfiles)
        qsort (run.files, run.nfiles, sizeof *run.files, s_path_cmp);
    if (rc == 0 && run.ctl)
        s_scan (&run);
    for (size_t i = 0; i < run.nfiles && rc == 0 && !run.failed; i++) {
        s_file_t *file = &run.files [i];
        if (run.ctl && !file->section->service) {
            json_array_append_new (run.refused_files,
                json_pack ("{s:s, s:s, s:s}", "path", file->path, "code", "not_supported",
                           "reason", "this section can only be checked (--dry-run) so far"));
            continue;
        }
        FILE *in = fopen (file->path, "r");
        if (!in) {
            json_array_append_new (run.refused_files, json_pack ("{s:s, s:s, s:s}",
                "path", file->path, "code", "unreadable", "reason", strerror (errno)));
            continue;
        }
        const char *why = NULL;
        if (file->csv)
            s_read_csv (&run, i, in, &why);
        else
            s_read_jsonl (&run, i, in, &why);
        if (ferror (in))
            why = "unreadable";
        fclose (in);
        s_send (&run);
        s_progress (&run, file, true);
        if (why)
            json_array_append_new (run.refused_files, json_pack ("{s:s, s:s}",
                                                                 "path", file->path,
                                                                 "code", why));
        //  (not for a refused file: its "header" may be a record)
        json_t *names = why? NULL: s_field_names (file);
        s_unknown_fields (&run, file, names);
        json_decref (names);
    }
    if (run.every && fclose (run.every)) {
        fprintf (stderr, "npoctl import: --findings %s: %s\n", every, strerror (errno));
        rc = rc? rc: EXIT_REFUSED;
    }
    run.cross = rc == 0? s_cross_checks (&run): json_array ();
    if (rc == 0)
        rc = s_report (&run);
    if (run.failed)
        rc = run.failed;
    run.nbatch = 0;
    for (size_t i = 0; i < run.nfiles; i++)
        free (run.files [i].path);
    free (run.files);
    s_free_keys (run.keys, run.nbuckets);
    s_free_keys (run.winners, run.nbuckets);
    json_decref (run.ignored);
    json_decref (run.refused_files);
    json_decref (run.unknown_fields);
    json_decref (run.refused);
    json_decref (run.findings);
    json_decref (run.orgs);
    json_decref (run.synced);
    json_decref (run.cross);
    return rc;
}

//  Appends the findings of a page to out, each as one compact JSON object
//  after the one before. Returns 0, or -1 when out could not be written.
static int
s_findings_page (FILE *out, const Npo__FindingList *list, bool *first)
{
    for (size_t i = 0; i < list->n_findings; i++) {
        json_t *json = npo_pb_to_json (&list->findings [i]->base);
        char *text = json_dumps (json, JSON_COMPACT);
        json_decref (json);
        if (!text)
            return -1;
        int rc = fprintf (out, "%s%s", *first? "": ",", text);
        free (text);
        if (rc < 0)
            return -1;
        *first = false;
    }
    return 0;
}

//  npoctl quality report --province NN [--overdue] [--all] [--as-of DATE]
//  [--page-size N]
int
ctl_quality (ctl_t *ctl, int argc, char **argv)
{
    if (argc < 1 || strcmp (argv [0], "report"))
        return ctl_usage_error ("quality", "%s", "expected: npoctl quality report --province NN");
    char *province = NULL, *as_of = NULL, *page = NULL;
    protobuf_c_boolean overdue = 0, all = 0;
    opt_t opts [] = { { "--province", &province, NULL }, { "--as-of", &as_of, NULL },
                      { "--overdue", NULL, &overdue }, { "--all", NULL, &all },
                      { "--page-size", &page, NULL } };
    int rc = ctl_options ("quality", argc, argv, 1, opts, sizeof opts / sizeof opts [0]);
    if (rc)
        return rc;
    if (!province || strlen (province) != 2)
        return ctl_usage_error ("quality", "%s", "--province NN: two digits of a province");
    char *end = NULL;
    unsigned long page_size = page? strtoul (page, &end, 10): 0;
    if (page && (!isdigit ((unsigned char) *page) || *end || page_size < 1
             ||  page_size > 10000))
        return ctl_usage_error ("quality", "--page-size %s: from 1 to 10000", page);
    Npo__ListFindings cmd = NPO__LIST_FINDINGS__INIT;
    cmd.province = province;
    cmd.overdue = overdue;
    cmd.include_fixed = all;
    cmd.as_of = as_of? as_of: "";
    cmd.max = (uint32_t) page_size;            //  0: the registry's most, 10,000
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_LIST_FINDINGS;
    request.list_findings = &cmd;
    //  Each service keeps the findings of its sections (docs/import.md 6).
    //  Page after page into a file, printed once all came: one JSON
    //  document, as a single reply would be, with the counts summed.
    FILE *out = tmpfile ();
    if (!out) {
        fprintf (stderr, "npoctl quality: could not make a temporary file: %s\n",
                 strerror (errno));
        return EXIT_REFUSED;
    }
    bool first = true;
    uint64_t open = 0, overdue_count = 0;
    static const char *const services [] = { "registry", "inspection", "party", "credit" };
    for (size_t s = 0; s < sizeof services / sizeof services [0] && rc == 0; s++) {
        cmd.after = 0;
        do {
            Npo__Reply *reply = ctl_call (ctl, services [s], &request, &rc);
            if (!reply)
                break;
            const Npo__FindingList *list = reply->findings;
            if (reply->body_case != NPO__REPLY__BODY_FINDINGS || !list
            ||  (list->next_cursor && list->next_cursor == cmd.after)) {
                fprintf (stderr, "npoctl quality: %s's answer is not a page of findings\n",
                         services [s]);
                rc = EXIT_REFUSED;
            }
            else
            if (s_findings_page (out, list, &first)) {
                fprintf (stderr, "npoctl quality: could not write the temporary file\n");
                rc = EXIT_REFUSED;
            }
            else {
                if (!list->next_cursor) {
                    open += list->open;
                    overdue_count += list->overdue;
                }
                cmd.after = list->next_cursor;
            }
            npo__reply__free_unpacked (reply, NULL);
        } while (rc == 0 && cmd.after);
    }
    if (rc == 0) {
        rewind (out);
        char buffer [65536];
        size_t got;
        printf ("{\"findings\":[");
        while ((got = fread (buffer, 1, sizeof buffer, out)) > 0)
            fwrite (buffer, 1, got, stdout);
        printf ("],\"open\":%llu,\"overdue\":%llu}\n", (unsigned long long) open,
                (unsigned long long) overdue_count);
        if (ferror (out) || fflush (stdout)) {
            fprintf (stderr, "npoctl quality: could not copy the report: %s\n",
                     strerror (errno));
            rc = EXIT_REFUSED;
        }
    }
    fclose (out);
    return rc;
}
