/*  quality.c - data-quality findings kept by the service owning a record
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "actor.h"
#include "codes.h"
#include "config.h"
#include "log.h"
#include "quality.h"
#include "selftest.h"

#define S_LIST_MAX      10000
#define S_DUE_DAYS      10          //  a finding is due 10 working days after found_on
#define S_WORKDAYS_MAX  10000

static int
s_holiday_cmp (const void *date, const void *holiday)
{
    return strcmp (date, ((const npo_holiday_t *) holiday)->date);
}

static bool
s_year_held (int year)
{
    for (size_t i = 0; i < npo_holiday_years_len; i++)
        if (npo_holiday_years [i] == year)
            return true;
    return false;
}

int
npo_workdays_add (const char *date, int n, char *out, bool *estimated)
{
    struct tm tm = { 0 };
    if (!npo_calendar_date (date) || !strptime (date, "%Y-%m-%d", &tm)
    ||  n < 0 || n > S_WORKDAYS_MAX)
        return -1;
    tm.tm_hour = 12;
    time_t t = timegm (&tm);
    char day [11];
    snprintf (day, sizeof day, "%s", date);
    bool guessed = false;
    while (n > 0) {
        t += 86400;
        struct tm tm_day;
        gmtime_r (&t, &tm_day);
        strftime (day, sizeof day, "%Y-%m-%d", &tm_day);
        //  A date a notice names is as it says, even in a year before the
        //  notice's (a make-up day before 1 January)
        const npo_holiday_t *named = bsearch (day, npo_holidays, npo_holidays_len,
                                              sizeof *named, s_holiday_cmp);
        bool working = named? named->work: tm_day.tm_wday != 0 && tm_day.tm_wday != 6;
        if (!named && !s_year_held (tm_day.tm_year + 1900))
            guessed = true;
        if (working)
            n--;
    }
    memcpy (out, day, sizeof day);
    if (estimated)
        *estimated = guessed;
    return 0;
}

static unsigned char s_ref_key [crypto_generichash_KEYBYTES];
static bool s_ref_keyed;

int
npo_record_ref_load (void)
{
    const char *path = npo_config_str ("QUALITY_KEY_FILE", NULL);
    if (!path || !*path)
        return 1;
    if (sodium_init () < 0)
        return -1;
    FILE *file = fopen (path, "r");
    char hex [80] = "";
    if (file) {
        if (!fgets (hex, sizeof hex, file))
            hex [0] = 0;
        fclose (file);
    }
    size_t len = 0;
    if (sodium_hex2bin (s_ref_key, sizeof s_ref_key, hex, strlen (hex), " \n", &len, NULL)
    ||  len != sizeof s_ref_key) {
        log_error ("could not read the findings' key: NPO_QUALITY_KEY_FILE must name a file"
                   " holding 64 hex digits (deploy/cluster.sh makes one)");
        return -1;
    }
    sodium_memzero (hex, sizeof hex);
    s_ref_keyed = true;
    return 0;
}

int
npo_record_ref (int section, const char *const *fields, size_t n, char *out)
{
    if (!s_ref_keyed)
        return -1;
    crypto_generichash_state state;
    crypto_generichash_init (&state, s_ref_key, sizeof s_ref_key, 16);
    char number [12];
    snprintf (number, sizeof number, "%d", section);
    crypto_generichash_update (&state, (const unsigned char *) number, strlen (number));
    for (size_t i = 0; i < n; i++) {
        if (!fields [i] || !*fields [i])
            return -1;
        crypto_generichash_update (&state, (const unsigned char *) "\x1f", 1);
        crypto_generichash_update (&state, (const unsigned char *) fields [i],
                                   strlen (fields [i]));
    }
    unsigned char hash [16];
    crypto_generichash_final (&state, hash, sizeof hash);
    memcpy (out, "r1:", 3);
    sodium_bin2hex (out + 3, 33, hash, sizeof hash);
    return 0;
}

enum { C_REF, C_USCC, C_RULE, C_FIELD, C_DETAIL, C_VALUE, C_OUTCOME, C_PATH, C_LINE, C_COLS };

int
npo_findings_reconcile (npo_db_t *db, const char *province, int section,
                        const npo_record_findings_t *records, size_t n, const char *today)
{
    char section_text [12], due [11];
    bool estimated;
    snprintf (section_text, sizeof section_text, "%d", section);
    if (npo_workdays_add (today, S_DUE_DAYS, due, &estimated))
        return -1;
    //  The refs (a ref given twice: its last), the keys found, and the rows
    //  to write, open ones and stale ones apart
    npo_db_array_t refs = { 0 }, keys = { 0 };
    npo_db_array_t open [C_COLS] = { { 0 } }, stale [C_COLS] = { { 0 } };
    for (size_t i = n; i-- > 0;) {
        const npo_record_findings_t *r = &records [i];
        bool seen = false;
        for (size_t j = i + 1; j < n && !seen; j++)
            seen = strcmp (records [j].ref, r->ref) == 0;
        if (seen)
            continue;
        npo_db_array_add (&refs, r->ref);
        for (size_t k = 0; k < r->n; k++) {
            const Npo__Finding *f = r->found [k];
            //  One row per rule and field of a record
            bool again = false;
            for (size_t m = k + 1; m < r->n && !again; m++)
                again = !strcmp (r->found [m]->rule, f->rule)
                     && !strcmp (r->found [m]->field, f->field);
            if (again)
                continue;
            bool is_stale = strcmp (f->rule, "stale_source") == 0;
            char key [512], line [24];
            snprintf (key, sizeof key, "%s\x1f%s/%s", r->ref, f->rule, f->field);
            snprintf (line, sizeof line, "%llu", (unsigned long long) f->line);
            if (!is_stale)
                npo_db_array_add (&keys, key);
            npo_db_array_t *rows = is_stale? stale: open;
            const char *values [C_COLS] = { r->ref, r->uscc, f->rule, f->field, f->detail,
                                            f->value, f->outcome, f->path, line };
            for (int c = 0; c < C_COLS; c++)
                npo_db_array_add (&rows [c], values [c]);
        }
    }
    const char *close [5] = { province, section_text, today, npo_db_array_end (&refs),
                              npo_db_array_end (&keys) };
    int rc = npo_db_cmd (db,
        //  (never before it was found: a ministry replay dated earlier)
        "UPDATE findings SET fixed_on = greatest ($3::date, found_on)"
        " WHERE province = $1 AND section = $2"
        " AND fixed_on IS NULL AND NOT cross_source AND record_ref = ANY ($4::text[])"
        " AND NOT (record_ref || chr (31) || rule || '/' || field = ANY ($5::text[]))",
        5, close);
    for (int pass = 0; pass < 2; pass++) {
        npo_db_array_t *rows = pass? stale: open;
        const char *params [5 + C_COLS] = { province, section_text, today, due };
        for (int c = 0; c < C_COLS; c++)
            params [4 + c] = npo_db_array_end (&rows [c]);
        params [4 + C_COLS] = estimated? "t": "f";
        if (rc == 0 && rows [0].count)
            rc = npo_db_cmd (db, pass?
                "INSERT INTO findings (province, section, record_ref, uscc, rule, field, detail,"
                " value, outcome, path, line, found_on, fixed_on)"
                " SELECT $1, $2::int, r, u, ru, fi, de, va, ou, pa, li, $3::date, $3::date"
                " FROM unnest ($5::text[], $6::text[], $7::text[], $8::text[], $9::text[],"
                "   $10::text[], $11::text[], $12::text[], $13::bigint[])"
                "   AS t (r, u, ru, fi, de, va, ou, pa, li) WHERE $4::date IS NOT NULL"
                " ON CONFLICT (province, section, record_ref, detail)"
                " WHERE rule = 'stale_source' DO NOTHING":
                "INSERT INTO findings (province, section, record_ref, uscc, rule, field, detail,"
                " value, outcome, path, line, found_on, due_by, due_by_estimated)"
                " SELECT $1, $2::int, r, u, ru, fi, de, va, ou, pa, li, $3::date, $4::date,"
                "   $14::boolean"
                " FROM unnest ($5::text[], $6::text[], $7::text[], $8::text[], $9::text[],"
                "   $10::text[], $11::text[], $12::text[], $13::bigint[])"
                "   AS t (r, u, ru, fi, de, va, ou, pa, li)"
                " ON CONFLICT (province, section, record_ref, rule, field) WHERE fixed_on IS NULL"
                " DO UPDATE SET detail = EXCLUDED.detail, value = EXCLUDED.value,"
                " outcome = EXCLUDED.outcome, path = EXCLUDED.path, line = EXCLUDED.line,"
                " uscc = EXCLUDED.uscc"
                //  (found again the same: not rewritten)
                " WHERE (findings.detail, findings.value, findings.outcome, findings.path,"
                "        findings.line, findings.uscc) IS DISTINCT FROM (EXCLUDED.detail,"
                "        EXCLUDED.value, EXCLUDED.outcome, EXCLUDED.path, EXCLUDED.line,"
                "        EXCLUDED.uscc)", pass? 4 + C_COLS: 5 + C_COLS, params);
    }
    free (refs.text);
    free (keys.text);
    for (int c = 0; c < C_COLS; c++) {
        free (open [c].text);
        free (stale [c].text);
    }
    return rc;
}

//  The page's order: a finding's place in it never changes (found_on and the
//  key columns are not updated), so a cursor naming the last row's id is
//  stable while findings are added and closed
#define S_LIST_ORDER  "found_on, section, record_ref, rule, field, id"

void
npo_findings_list (npo_db_t *db, const Npo__ListFindings *cmd, Npo__Reply *reply)
{
    char today [11], limit [12], after [24];
    if (*cmd->as_of && !npo_calendar_date (cmd->as_of)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_date",
                         "as_of: not a date YYYY-MM-DD");
        return;
    }
    if (cmd->after > INT64_MAX) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_cursor",
                         "after: not a cursor of this list");
        return;
    }
    if (*cmd->as_of)
        snprintf (today, sizeof today, "%s", cmd->as_of);
    else
        npo_today (today);
    unsigned max = cmd->max && cmd->max < S_LIST_MAX? cmd->max: S_LIST_MAX;
    //  One row more than the page tells whether another page follows
    snprintf (limit, sizeof limit, "%u", max + 1);
    snprintf (after, sizeof after, "%llu", (unsigned long long) cmd->after);
    const char *params [6] = { cmd->province, today, cmd->overdue? "t": "f",
                               cmd->include_fixed? "t": "f", limit, after };
    PGresult *res;
    //  A cursor is a finding of this province (findings are never deleted)
    if (cmd->after) {
        const char *cursor [2] = { cmd->province, after };
        res = npo_db_exec (db, "SELECT 1 FROM findings WHERE id = $2::bigint AND province = $1",
                           2, cursor);
        if (!res) {
            npo_reply_db_failed (db, reply);
            return;
        }
        int found = PQntuples (res);
        PQclear (res);
        if (!found) {
            npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_cursor",
                             "after: not a cursor of this list");
            return;
        }
    }
    res = npo_db_exec (db,
        "SELECT rule, field, detail, value, outcome, path, line, province, section,"
        " record_ref, uscc, found_on::text, coalesce (due_by::text, ''),"
        " coalesce (fixed_on::text, ''), due_by_estimated, id"
        " FROM findings WHERE province = $1"
        " AND (fixed_on IS NULL OR $4::boolean)"
        " AND (NOT $3::boolean OR (fixed_on IS NULL AND due_by < $2::date))"
        " AND ($6::bigint = 0 OR (" S_LIST_ORDER ") >"
        "      (SELECT " S_LIST_ORDER " FROM findings WHERE id = $6::bigint))"
        " ORDER BY " S_LIST_ORDER " LIMIT $5", 6, params);
    if (!res) {
        npo_reply_db_failed (db, reply);
        return;
    }
    int rows = PQntuples (res);
    Npo__FindingList *list = malloc (sizeof *list);
    Npo__StoredFinding **items = calloc ((size_t) rows + 1, sizeof *items);
    if (!list || !items)
        abort ();
    npo__finding_list__init (list);
    if ((unsigned) rows > max) {
        rows = (int) max;
        list->next_cursor = strtoull (PQgetvalue (res, rows - 1, 15), NULL, 10);
    }
    list->findings = items;
    list->n_findings = (size_t) rows;
    for (int r = 0; r < rows; r++) {
        Npo__StoredFinding *s = malloc (sizeof *s);
        Npo__Finding *f = malloc (sizeof *f);
        if (!s || !f)
            abort ();
        npo__stored_finding__init (s);
        npo__finding__init (f);
        char **texts [6] = { &f->rule, &f->field, &f->detail, &f->value, &f->outcome, &f->path };
        for (int c = 0; c < 6; c++)
            *texts [c] = npo_strdup (PQgetvalue (res, r, c));
        f->line = strtoull (PQgetvalue (res, r, 6), NULL, 10);
        s->finding = f;
        s->province = npo_strdup (PQgetvalue (res, r, 7));
        s->section = (uint32_t) atoi (PQgetvalue (res, r, 8));
        char **more [5] = { &s->record_ref, &s->uscc, &s->found_on, &s->due_by, &s->fixed_on };
        for (int c = 0; c < 5; c++)
            *more [c] = npo_strdup (PQgetvalue (res, r, 9 + c));
        s->due_by_estimated = *PQgetvalue (res, r, 14) == 't';
        items [r] = s;
    }
    PQclear (res);
    //  The province's counts, whatever was listed
    {
        res = npo_db_exec (db,
            "SELECT count (*), count (*) FILTER (WHERE due_by < $2::date)"
            " FROM findings WHERE province = $1 AND fixed_on IS NULL", 2, params);
        if (!res) {
            npo__finding_list__free_unpacked (list, NULL);
            npo_reply_db_failed (db, reply);
            return;
        }
        list->open = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
        list->overdue = strtoull (PQgetvalue (res, 0, 1), NULL, 10);
        PQclear (res);
    }
    reply->body_case = NPO__REPLY__BODY_FINDINGS;
    reply->findings = list;
}

//  ---------------------------------------------------------------------
//  Import commands

//  Returns true when s is 1 to 64 of a-z, 0-9 and _ ("" too, when empty_ok).
static bool
s_name (const char *s, bool empty_ok)
{
    size_t n = strlen (s);
    return (n || empty_ok) && n <= 64 && strspn (s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

//  A record's findings as the batch keeps them: npoctl's, the service's
//  refusal, and the service's own findings on it.
typedef struct {
    Npo__Finding refusal;
    Npo__Finding **all;
} s_kept_t;

//  Gathers the record's findings into kept and entry. Returns false when the
//  record has no key (its findings are the report's only: docs/import.md 6.3).
static bool
s_gather (const npo_import_record_t *rec, const Npo__ImportOutcome *outcome, s_kept_t *kept,
          npo_record_findings_t *entry)
{
    if (!rec->ref)
        return false;
    npo__finding__init (&kept->refusal);
    kept->all = calloc (rec->n_findings + outcome->n_findings + 1, sizeof *kept->all);
    if (!kept->all)
        abort ();
    size_t n = 0;
    static const char *const outcomes [] = { "refused", "flagged", "not_stored" };
    for (size_t i = 0; i < rec->n_findings; i++) {
        //  Rule and field are names; a value is short text (docs/import.md
        //  6.2): one that is not (the offending value may hold a tab) is
        //  kept without it, as a detail that is not
        Npo__Finding *f = rec->findings [i];
        bool known = false;
        for (int o = 0; o < 3; o++)
            known = known || strcmp (f->outcome, outcomes [o]) == 0;
        size_t chars;
        if (*f->value && (!npo_utf8_valid (f->value, false, &chars) || chars > 64))
            *f->value = 0;
        if (*f->detail && (!npo_utf8_valid (f->detail, false, &chars) || chars > 200))
            *f->detail = 0;
        if (known && s_name (f->rule, false) && s_name (f->field, true))
            kept->all [n++] = f;
    }
    if (strcmp (outcome->outcome, "refused") == 0 && !rec->refused) {
        kept->refusal.rule = outcome->error_code;
        kept->refusal.outcome = "refused";
        kept->refusal.detail = outcome->error_message;
        kept->refusal.path = (char *) rec->path;
        kept->refusal.line = rec->line;
        kept->all [n++] = &kept->refusal;
    }
    for (size_t i = 0; i < outcome->n_findings; i++) {
        outcome->findings [i]->path = npo_strdup (rec->path);
        outcome->findings [i]->line = rec->line;
        kept->all [n++] = outcome->findings [i];
    }
    *entry = (npo_record_findings_t) { .ref = rec->ref, .uscc = rec->uscc,
                                       .found = kept->all, .n = n };
    return true;
}

int
npo_findings_cross (npo_db_t *db, const char *province, int section, const char *rule,
                    const char *field, const char *query, const char *today,
                    Npo__RuleCount *count)
{
    char section_text [12], due [11];
    bool estimated;
    snprintf (section_text, sizeof section_text, "%d", section);
    if (npo_workdays_add (today, S_DUE_DAYS, due, &estimated))
        return -1;
    const char *params [7] = { province, section_text, rule, today, due, field,
                               estimated? "t": "f" };
    char sql [4096];
    snprintf (sql, sizeof sql,
        "WITH found AS (%s),"
        " closed AS (UPDATE findings f SET fixed_on = greatest ($4::date, found_on)"
        "   WHERE province = $1"
        "   AND section = $2::int AND rule = $3 AND field = $6 AND fixed_on IS NULL"
        "   AND cross_source AND NOT EXISTS (SELECT 1 FROM found WHERE found.ref = f.record_ref)"
        "   RETURNING 1),"
        " opened AS (INSERT INTO findings (province, section, record_ref, uscc, rule, field,"
        "   detail, outcome, found_on, due_by, due_by_estimated, cross_source)"
        "   SELECT $1, $2::int, ref, uscc, $3, $6, detail, 'flagged', $4::date, $5::date,"
        "   $7::boolean, true FROM found"
        "   ON CONFLICT (province, section, record_ref, rule, field) WHERE fixed_on IS NULL"
        "   DO UPDATE SET detail = EXCLUDED.detail"
        "   WHERE findings.detail IS DISTINCT FROM EXCLUDED.detail"
        "   RETURNING xmax = 0 AS inserted)"
        " SELECT (SELECT count(*) FROM found), (SELECT count(*) FROM opened WHERE inserted),"
        " (SELECT count(*) FROM closed)", query);
    PGresult *res = npo_db_exec (db, sql, 7, params);
    if (!res)
        return -1;
    count->rule = npo_strdup (rule);
    count->open = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    count->opened = strtoull (PQgetvalue (res, 0, 1), NULL, 10);
    count->closed = strtoull (PQgetvalue (res, 0, 2), NULL, 10);
    PQclear (res);
    return 0;
}

const char *
npo_import_found_on (const npo_actor_t *actor, const char *given, char *buf)
{
    if (strcmp (actor->role, "ministry") == 0 && npo_calendar_date (given))
        snprintf (buf, 11, "%s", given);
    else
        npo_today (buf);
    return buf;
}

void
npo_findings_answer (npo_db_t *db, const npo_actor_t *actor, char *target, size_t size,
                     const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__ListFindings *cmd = request->list_findings;
    //  The ministry, auditors, and the province's registrar
    npo_actor_t reader = *actor;
    if (strcmp (reader.role, "auditor") == 0)
        snprintf (reader.role, sizeof reader.role, "ministry");
    char scratch [64];
    snprintf (target, size, "findings:%.8s", cmd->province);
    if (npo_import_allowed (&reader, cmd->province, scratch, sizeof scratch, reply))
        npo_findings_list (db, cmd, reply);
}

bool
npo_import_allowed (const npo_actor_t *actor, const char *province, char *target, size_t size,
                    Npo__Reply *reply)
{
    char division [7];
    snprintf (division, sizeof division, "%.2s0000", province);
    if (strlen (province) != 2 || !division_valid (division)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_division",
                         "province: two digits of a province");
        return false;
    }
    snprintf (target, size, "import:%s", province);
    //  A return is the province's: the ministry, or the province's registrar
    if (!npo_actor_may_write (actor, division, reply))
        return false;
    if (strcmp (actor->role, "registrar") == 0 && strcmp (actor->prefix, province)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "out_of_division",
                         "a province's return is for its provincial registrar (registrar:%s)",
                         province);
        return false;
    }
    return true;
}

bool
npo_import_org_refused (const char *division, const char *province,
                        Npo__ImportOutcome *outcome)
{
    if (!division)
        npo_import_refuse (outcome, "unknown_org_reference",
                           "the organization is not in the register (docs/import.md 3.3)");
    else
    if (strncmp (division, province, 2))
        npo_import_refuse (outcome, "out_of_province", "the register holds this organization"
                           " under another province's authority");
    return !division || strncmp (division, province, 2);
}

int
npo_import_refuse (Npo__ImportOutcome *outcome, const char *code, const char *why)
{
    outcome->outcome = npo_strdup ("refused");
    outcome->error_code = npo_strdup (code);
    outcome->error_message = npo_strdup (why);
    return 0;
}

void
npo_import_flag (Npo__ImportOutcome *outcome, const char *rule, const char *field,
                 const char *detail)
{
    Npo__Finding *f = malloc (sizeof *f);
    Npo__Finding **all = realloc (outcome->findings,
                                  (outcome->n_findings + 1) * sizeof *outcome->findings);
    if (!f || !all)
        abort ();
    npo__finding__init (f);
    f->rule = npo_strdup (rule);
    f->field = npo_strdup (field);
    f->detail = npo_strdup (detail);
    f->outcome = npo_strdup ("flagged");
    outcome->findings = all;
    outcome->findings [outcome->n_findings++] = f;
}

void
npo_import_batch (npo_db_t *db, void *self, const Npo__Request *request, Npo__Reply *reply,
                  const char *province, int section, const char *found_on,
                  const npo_import_record_t *records, void *const *bodies, size_t n,
                  npo_import_store_fn *store, npo_import_batch_fn *store_batch)
{
    Npo__ImportReply *body = calloc (1, sizeof *body);
    Npo__ImportOutcome **outcomes = calloc (n + 1, sizeof *outcomes);
    if (!body || !outcomes)
        abort ();
    npo__import_reply__init (body);
    body->outcomes = outcomes;
    char today [11];
    if (npo_calendar_date (found_on))
        snprintf (today, sizeof today, "%s", found_on);
    else
        npo_today (today);
    s_kept_t *kept = calloc (n + 1, sizeof *kept);
    npo_record_findings_t *entries = calloc (n + 1, sizeof *entries);
    if (!kept || !entries)
        abort ();
    size_t n_entries = 0;
    void **pending = calloc (n + 1, sizeof *pending);   //  the bodies to store
    if (!pending)
        abort ();
    for (size_t i = 0; i < n; i++) {
        outcomes [i] = malloc (sizeof **outcomes);
        if (!outcomes [i])
            abort ();
        npo__import_outcome__init (outcomes [i]);
        if (records [i].refused)
            outcomes [i]->outcome = npo_strdup ("refused");
        else
        if (!bodies [i])
            npo_import_refuse (outcomes [i], "invalid_format",
                               "the record is not a message of its section");
        else
            pending [i] = bodies [i];
    }
    body->n_outcomes = n;
    int rc = npo_db_begin (db);
    if (rc == 0 && store_batch)
        rc = store_batch (self, request, pending, n, province, outcomes);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (pending [i] && !store_batch)
            rc = store (self, request, pending [i], province, outcomes [i]);
        if (rc == 0 && !*outcomes [i]->outcome)
            outcomes [i]->outcome = npo_strdup ("refused");     //  (a bug: said as refused)
        if (rc == 0 && s_gather (&records [i], outcomes [i], &kept [i], &entries [n_entries]))
            n_entries++;
    }
    //  The batch's findings in three statements
    if (rc == 0)
        rc = npo_findings_reconcile (db, province, section, entries, n_entries, today);
    for (size_t i = 0; i < n; i++)
        free (kept [i].all);
    free (kept);
    free (entries);
    free (pending);
    if (rc || npo_db_commit (db)) {
        npo_db_rollback (db);
        npo__import_reply__free_unpacked (body, NULL);
        npo_reply_db_failed (db, reply);
        return;
    }
    if (request->body_case == NPO__REQUEST__BODY_IMPORT_ORGS) {
        reply->body_case = NPO__REPLY__BODY_IMPORT_ORGS;
        reply->import_orgs = body;
    }
    else {
        reply->body_case = NPO__REPLY__BODY_IMPORT_RECORDS;
        reply->import_records = body;
    }
    log_info ("imported %zu records of section %02d of province %s", n, section, province);
}

void
npo_import_records (npo_db_t *db, const npo_actor_t *actor, char *target, size_t size,
                    void *self, const Npo__Request *request, Npo__Reply *reply,
                    const npo_import_section_t *sections, size_t n_sections)
{
    const Npo__ImportRecords *cmd = request->import_records;
    size_t which = 0;
    while (which < n_sections && sections [which].section != (int) cmd->section)
        which++;
    if (which == n_sections) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "unsupported_section",
                         "section %u is not this service's to import", cmd->section);
        return;
    }
    if (!npo_import_allowed (actor, cmd->province, target, size, reply))
        return;
    if (!s_ref_keyed) {
        npo_reply_error (reply, NPO__STATUS__STATUS_UNAVAILABLE, "no_quality_key",
                         "NPO_QUALITY_KEY_FILE is not set: findings could not name records");
        return;
    }
    const npo_import_section_t *section = &sections [which];
    size_t n = cmd->n_records;
    npo_import_record_t *records = calloc (n + 1, sizeof *records);
    ProtobufCMessage **bodies = calloc (n + 1, sizeof *bodies);
    char (*refs) [40] = calloc (n + 1, sizeof *refs);
    if (!records || !bodies || !refs)
        abort ();
    for (size_t i = 0; i < n; i++) {
        const Npo__ImportedRecord *r = cmd->records [i];
        bodies [i] = protobuf_c_message_unpack (section->message, NULL, r->body.len,
                                                r->body.data);
        const char *key [8] = { NULL }, *uscc = "";
        size_t n_key = bodies [i]? section->key (bodies [i], key, &uscc): 0;
        records [i] = (npo_import_record_t) {
            .ref = n_key && npo_record_ref (section->section, key, n_key, refs [i]) == 0?
                   refs [i]: NULL,
            .uscc = uscc && uscc_valid (uscc)? uscc: "", .findings = r->findings,
            .n_findings = r->n_findings, .refused = r->refused, .path = r->path,
            .line = r->line
        };
    }
    char today [11];
    npo_import_batch (db, self, request, reply, cmd->province, section->section,
                      npo_import_found_on (actor, cmd->found_on, today), records, (void *const *) bodies, n, section->store,
                      section->store_batch);
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked (bodies [i], NULL);
    free (bodies);
    free (records);
    free (refs);
}

void
npo_findings_redate_at_start (npo_db_t *db)
{
    size_t redated;
    if (npo_findings_redate (db, &redated))
        log_warn ("could not recompute the estimated due dates of findings: they stay"
                  " estimated until the next start");
    else
    if (redated)
        log_info ("recomputed the due dates of %zu findings with the holiday calendar", redated);
}

int
npo_findings_redate (npo_db_t *db, size_t *redated)
{
    *redated = 0;
    //  Every due_by of a day is the same: one calculation per found_on
    PGresult *res = npo_db_exec (db,
        "SELECT DISTINCT found_on::text FROM findings WHERE due_by_estimated", 0, NULL);
    if (!res)
        return -1;
    int rc = 0;
    for (int r = 0; r < PQntuples (res) && rc == 0; r++) {
        const char *found_on = PQgetvalue (res, r, 0);
        char due [11];
        bool estimated;
        if (npo_workdays_add (found_on, S_DUE_DAYS, due, &estimated) || estimated)
            continue;
        const char *params [2] = { found_on, due };
        PGresult *done = npo_db_exec (db,
            "UPDATE findings SET due_by = $2::date, due_by_estimated = false"
            " WHERE found_on = $1::date AND due_by_estimated", 2, params);
        if (done)
            *redated += strtoull (PQcmdTuples (done), NULL, 10);
        else
            rc = -1;
        PQclear (done);
    }
    PQclear (res);
    return rc;
}

//  ---------------------------------------------------------------------
//  Self-test

//  Writes text to a new temporary file; returns its path (static).
static const char *
s_key_file (const char *text)
{
    static char path [64];
    snprintf (path, sizeof path, "/tmp/npo-quality-key.XXXXXX");
    int fd = mkstemp (path);
    if (fd < 0)
        return "/nonexistent";
    FILE *file = fdopen (fd, "w");
    fputs (text, file);
    fclose (file);
    return path;
}

//  The record refs: stable, keyed, fields kept apart, none without a whole key.
static void
s_ref_test (void)
{
    const char *key [4] = { "51440106MJL060123X", "resident_id", "440106196803150313",
                            "director" };
    char a [40], b [40];
    SELFTEST_CHECK (npo_record_ref (2, key, 4, a) == -1);          //  no secret yet
    unsetenv ("NPO_QUALITY_KEY_FILE");
    SELFTEST_CHECK (npo_record_ref_load () == 1);
    const char *bad = s_key_file ("not hex");
    setenv ("NPO_QUALITY_KEY_FILE", bad, 1);
    SELFTEST_CHECK (npo_record_ref_load () == -1);
    unlink (bad);
    const char *good = s_key_file ("000102030405060708090a0b0c0d0e0f"
                                   "101112131415161718191a1b1c1d1e1f\n");
    setenv ("NPO_QUALITY_KEY_FILE", good, 1);
    SELFTEST_CHECK (npo_record_ref_load () == 0);
    unlink (good);
    SELFTEST_CHECK (npo_record_ref (2, key, 4, a) == 0);
    SELFTEST_CHECK (strlen (a) == 35 && strncmp (a, "r1:", 3) == 0
                    && strspn (a + 3, "0123456789abcdef") == 32);
    SELFTEST_CHECK (strstr (a, "440106196803150313") == NULL);
    SELFTEST_CHECK (npo_record_ref (2, key, 4, b) == 0 && strcmp (a, b) == 0);   //  stable
    SELFTEST_CHECK (npo_record_ref (3, key, 4, b) == 0 && strcmp (a, b) != 0);   //  section
    const char *other [4] = { key [0], key [1], "440106196803150321", key [3] };
    SELFTEST_CHECK (npo_record_ref (2, other, 4, b) == 0 && strcmp (a, b) != 0);
    //  Fields are separated: "ab" + "c" is not "a" + "bc"
    const char *x [2] = { "ab", "c" }, *y [2] = { "a", "bc" };
    SELFTEST_CHECK (npo_record_ref (2, x, 2, a) == 0 && npo_record_ref (2, y, 2, b) == 0
                    && strcmp (a, b) != 0);
    const char *empty [2] = { "ab", "" };
    SELFTEST_CHECK (npo_record_ref (2, empty, 2, a) == -1);        //  no whole key, no ref
    //  Another secret, another ref
    SELFTEST_CHECK (npo_record_ref (2, key, 4, a) == 0);
    const char *next = s_key_file ("ff0102030405060708090a0b0c0d0e0f"
                                   "101112131415161718191a1b1c1d1e1f");
    setenv ("NPO_QUALITY_KEY_FILE", next, 1);
    SELFTEST_CHECK (npo_record_ref_load () == 0);
    unlink (next);
    SELFTEST_CHECK (npo_record_ref (2, key, 4, b) == 0 && strcmp (a, b) != 0);
    unsetenv ("NPO_QUALITY_KEY_FILE");
}

//  True when npo_workdays_add (date, n) gives due, estimated or not as said
static bool
s_due (const char *date, int n, const char *due, bool estimated)
{
    char out [11] = "";
    bool guessed = !estimated;
    return npo_workdays_add (date, n, out, &guessed) == 0 && strcmp (out, due) == 0
        && guessed == estimated;
}

//  The working days of a year, counted a day at a time
static int
s_workdays_in (int year)
{
    char day [11], next [11];
    snprintf (day, sizeof day, "%d-12-31", year - 1);
    int count = 0;
    while (npo_workdays_add (day, 1, next, NULL) == 0 && atoi (next) == year) {
        memcpy (day, next, sizeof day);
        count++;
    }
    return count;
}

//  ListFindings of a province, fixed ones too (caller frees the reply)
static Npo__Reply *
s_list (npo_db_t *db, const char *province, unsigned max, uint64_t after)
{
    Npo__ListFindings cmd = NPO__LIST_FINDINGS__INIT;
    cmd.province = (char *) province;
    cmd.include_fixed = true;
    cmd.as_of = "2027-06-01";
    cmd.max = max;
    cmd.after = after;
    Npo__Reply *reply = malloc (sizeof *reply);
    if (!reply)
        abort ();
    npo__reply__init (reply);
    npo_findings_list (db, &cmd, reply);
    return reply;
}

//  One "ref rule due_by estimated" line per finding of the reply, appended
static void
s_lines (const Npo__Reply *reply, char *text, size_t size)
{
    if (reply->body_case != NPO__REPLY__BODY_FINDINGS)
        return;
    for (size_t i = 0; i < reply->findings->n_findings; i++) {
        const Npo__StoredFinding *s = reply->findings->findings [i];
        size_t len = strlen (text);
        snprintf (text + len, size - len, "%s %s %s%s\n", s->record_ref, s->finding->rule,
                  s->due_by, s->due_by_estimated? " estimated": "");
    }
}

//  Reconciles, lists page by page, redates: the findings table of common/sql
static void
s_findings_test (bool verbose, const npo_migration_t *migrations, size_t n)
{
    const char *dsn = npo_config_str ("PG_DSN", NULL);
    if (!dsn) {
        if (verbose)
            printf ("no NPO_PG_DSN, findings not checked\n");
        return;
    }
    npo_db_t *db = npo_db_new (dsn, "selftest_quality", 5000);
    SELFTEST_CHECK (db != NULL);
    if (!db)
        return;
    npo_db_cmd (db, "DROP SCHEMA IF EXISTS selftest_quality CASCADE", 0, NULL);
    SELFTEST_CHECK (npo_db_migrate (db, migrations, n) == 0);
    Npo__Finding f [3];
    const char *rules [3] = { "missing_required", "invalid_format", "unknown_code" };
    for (int i = 0; i < 3; i++) {
        npo__finding__init (&f [i]);
        f [i].rule = (char *) rules [i];
        f [i].field = (char *) "address";
        f [i].outcome = (char *) "flagged";
        f [i].path = (char *) "01-organizations.jsonl";
        f [i].line = (uint64_t) i + 1;
    }
    Npo__Finding *two [2] = { &f [0], &f [1] }, *one [1] = { &f [2] };
    npo_record_findings_t friday [3] = { { "R2", "U2", two, 2 }, { "R1", "U1", one, 1 },
                                         { "R3", "U3", two, 2 } };
    npo_record_findings_t december [1] = { { "R4", "U4", one, 1 } };
    SELFTEST_CHECK (npo_findings_reconcile (db, "45", 1, friday, 3, "2025-09-26") == 0);
    SELFTEST_CHECK (npo_findings_reconcile (db, "45", 1, december, 1, "2026-12-28") == 0);
    SELFTEST_CHECK (npo_findings_reconcile (db, "46", 1, december, 1, "2025-03-03") == 0);
    //  Found again the next year: due_by is kept, and so is its being exact
    SELFTEST_CHECK (npo_findings_reconcile (db, "45", 1, friday, 1, "2027-01-05") == 0);
    //  The whole list, then a page at a time: the same rows in the same order
    static const char *expected =
        "R1 unknown_code 2025-10-16\n"
        "R2 invalid_format 2025-10-16\n"
        "R2 missing_required 2025-10-16\n"
        "R3 invalid_format 2025-10-16\n"
        "R3 missing_required 2025-10-16\n"
        "R4 unknown_code 2027-01-11 estimated\n";
    char all [1024] = "", paged [1024] = "";
    Npo__Reply *reply = s_list (db, "45", 0, 0);
    s_lines (reply, all, sizeof all);
    SELFTEST_CHECK (strcmp (all, expected) == 0);
    SELFTEST_CHECK (reply->findings && reply->findings->next_cursor == 0
                 && reply->findings->open == 6);
    npo__reply__free_unpacked (reply, NULL);
    uint64_t after = 0, first = 0;
    int pages = 0;
    do {
        reply = s_list (db, "45", 4 - pages, after);       //  pages of 4, 3 (of 2)
        s_lines (reply, paged, sizeof paged);
        after = reply->findings? reply->findings->next_cursor: 0;
        first = first? first: after;
        pages++;
        npo__reply__free_unpacked (reply, NULL);
    } while (after && pages < 10);
    SELFTEST_CHECK (pages == 2);
    SELFTEST_CHECK (strcmp (paged, expected) == 0);
    if (verbose && strcmp (paged, expected))
        printf ("paged:\n%s", paged);
    //  A cursor of another province, or of nothing, is refused
    uint64_t bad [3] = { first + 100000, (uint64_t) INT64_MAX + 1, 0 };
    PGresult *res = npo_db_exec (db, "SELECT id FROM findings WHERE province = '46'", 0, NULL);
    SELFTEST_CHECK (res && PQntuples (res) == 1);
    if (res && PQntuples (res) == 1)
        bad [2] = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    for (int i = 0; i < 3; i++) {
        reply = s_list (db, "45", 0, bad [i]);
        SELFTEST_CHECK (reply->status == NPO__STATUS__STATUS_BAD_REQUEST
                     && strcmp (reply->error_code, "invalid_cursor") == 0);
        npo__reply__free_unpacked (reply, NULL);
    }
    //  Redated once the calendar holds the year: as if Friday's had been
    //  estimated Monday to Friday before 2025's notice was added
    SELFTEST_CHECK (npo_db_cmd (db, "UPDATE findings SET due_by = '2025-10-10',"
                                " due_by_estimated = true WHERE found_on = '2025-09-26'",
                                0, NULL) == 0);
    size_t redated = 0;
    SELFTEST_CHECK (npo_findings_redate (db, &redated) == 0 && redated == 5);
    SELFTEST_CHECK (npo_findings_redate (db, &redated) == 0 && redated == 0);
    all [0] = 0;
    reply = s_list (db, "45", 0, 0);
    s_lines (reply, all, sizeof all);
    npo__reply__free_unpacked (reply, NULL);
    SELFTEST_CHECK (strcmp (all, expected) == 0);
    npo_db_cmd (db, "DROP SCHEMA selftest_quality CASCADE", 0, NULL);
    npo_db_destroy (&db);
}

void
npo_quality_test (bool verbose, const npo_migration_t *migrations, size_t n)
{
    if (verbose)
        printf (" * quality: ");
    //  docs/import.md 6.5: a Monday; a Friday before 2025's National Day
    //  (1-8 October off, Sunday 28 September and Saturday 11 October worked)
    SELFTEST_CHECK (s_due ("2025-03-03", 10, "2025-03-17", false));
    SELFTEST_CHECK (s_due ("2025-09-26", 10, "2025-10-16", false));
    //  Make-up Saturdays and Sundays are working days; a holiday's are not
    SELFTEST_CHECK (s_due ("2025-02-07", 1, "2025-02-08", false));
    SELFTEST_CHECK (s_due ("2026-02-13", 1, "2026-02-14", false));
    SELFTEST_CHECK (s_due ("2026-02-14", 1, "2026-02-24", false));
    SELFTEST_CHECK (s_due ("2024-09-13", 1, "2024-09-14", false));
    SELFTEST_CHECK (s_due ("2024-09-14", 1, "2024-09-18", false));
    SELFTEST_CHECK (s_due ("2025-09-27", 1, "2025-09-28", false));
    //  Across New Year: 2026's 1-3 January off, Sunday 4 January worked
    SELFTEST_CHECK (s_due ("2025-12-31", 1, "2026-01-04", false));
    SELFTEST_CHECK (s_due ("2025-12-31", 3, "2026-01-06", false));
    SELFTEST_CHECK (s_due ("2024-12-31", 1, "2025-01-02", false));
    //  A year without a notice: Monday to Friday, said to be estimated
    SELFTEST_CHECK (s_due ("2027-03-01", 10, "2027-03-15", true));
    SELFTEST_CHECK (s_due ("2023-09-29", 1, "2023-10-02", true));
    SELFTEST_CHECK (s_due ("2026-12-28", 10, "2027-01-11", true));
    SELFTEST_CHECK (s_due ("2026-12-28", 3, "2026-12-31", false));
    //  found_on itself never counts, and 0 days is that day
    SELFTEST_CHECK (s_due ("2025-10-01", 0, "2025-10-01", false));
    SELFTEST_CHECK (s_due ("2027-10-01", 0, "2027-10-01", false));
    //  Invalid input: out and *estimated untouched
    char out [11] = "unchanged";
    bool estimated = true;
    const char *bad_dates [] = { "2025-02-30", "2025-3-3", "", "2025-03-03x", "1949-09-30" };
    for (size_t i = 0; i < sizeof bad_dates / sizeof bad_dates [0]; i++)
        SELFTEST_CHECK (npo_workdays_add (bad_dates [i], 10, out, &estimated) == -1);
    SELFTEST_CHECK (npo_workdays_add ("2025-03-03", -1, out, &estimated) == -1);
    SELFTEST_CHECK (npo_workdays_add ("2025-03-03", 10001, out, &estimated) == -1);
    SELFTEST_CHECK (strcmp (out, "unchanged") == 0 && estimated);
    //  The most days in the most distant year: still a date of four digits
    SELFTEST_CHECK (npo_workdays_add ("2199-12-31", 10000, out, &estimated) == 0
                 && strlen (out) == 10 && estimated);
    //  The table: sorted, once each; worked days are weekend days; each date
    //  in a year whose notice is held or the year before it
    bool sorted = true, weekend = true, held = true;
    for (size_t i = 0; i < npo_holidays_len; i++) {
        const npo_holiday_t *h = &npo_holidays [i];
        if (i && strcmp (npo_holidays [i - 1].date, h->date) >= 0)
            sorted = false;
        struct tm tm = { 0 };
        if (!npo_calendar_date (h->date) || !strptime (h->date, "%Y-%m-%d", &tm)) {
            weekend = false;
            continue;
        }
        tm.tm_hour = 12;
        time_t t = timegm (&tm);
        gmtime_r (&t, &tm);
        if (h->work && tm.tm_wday != 0 && tm.tm_wday != 6)
            weekend = false;
        if (!s_year_held (tm.tm_year + 1900) && !s_year_held (tm.tm_year + 1901))
            held = false;
    }
    SELFTEST_CHECK (sorted && weekend && held);
    SELFTEST_CHECK (s_year_held (2024) && s_year_held (2025) && s_year_held (2026));
    //  Working days a year as the notices make them (261 weekdays, less the
    //  holidays on weekdays, plus the worked weekend days)
    SELFTEST_CHECK (s_workdays_in (2024) == 251);
    SELFTEST_CHECK (s_workdays_in (2025) == 248);
    SELFTEST_CHECK (s_workdays_in (2026) == 248);
    s_ref_test ();
    s_findings_test (verbose, migrations, n);
    if (verbose)
        printf ("OK\n");
}
