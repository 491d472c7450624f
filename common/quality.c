/*  quality.c - data-quality findings kept by the service owning a record
 */
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

#define S_LIST_MAX  10000

int
npo_workdays_add (const char *date, int n, char *out)
{
    struct tm tm = { 0 };
    if (!npo_calendar_date (date) || !strptime (date, "%Y-%m-%d", &tm))
        return -1;
    tm.tm_hour = 12;
    time_t t = timegm (&tm);
    while (n > 0) {
        t += 86400;
        struct tm day;
        gmtime_r (&t, &day);
        if (day.tm_wday != 0 && day.tm_wday != 6)
            n--;
    }
    struct tm day;
    gmtime_r (&t, &day);
    strftime (out, 11, "%Y-%m-%d", &day);
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
    snprintf (section_text, sizeof section_text, "%d", section);
    if (npo_workdays_add (today, 10, due))
        return -1;
    //  The refs (a ref given twice: its last), the keys found, and the rows
    //  to write, open ones and stale ones apart
    npo_db_array_t refs = { 0 }, keys = { 0 }, open [C_COLS] = { { 0 } }, stale [C_COLS] = { { 0 } };
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
        "UPDATE findings SET fixed_on = $3 WHERE province = $1 AND section = $2"
        " AND fixed_on IS NULL AND record_ref = ANY ($4::text[])"
        " AND NOT (record_ref || chr (31) || rule || '/' || field = ANY ($5::text[]))",
        5, close);
    for (int pass = 0; pass < 2; pass++) {
        npo_db_array_t *rows = pass? stale: open;
        const char *params [4 + C_COLS] = { province, section_text, today, due };
        for (int c = 0; c < C_COLS; c++)
            params [4 + c] = npo_db_array_end (&rows [c]);
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
                " value, outcome, path, line, found_on, due_by)"
                " SELECT $1, $2::int, r, u, ru, fi, de, va, ou, pa, li, $3::date, $4::date"
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
                "        EXCLUDED.uscc)", 4 + C_COLS, params);
    }
    free (refs.text);
    free (keys.text);
    for (int c = 0; c < C_COLS; c++) {
        free (open [c].text);
        free (stale [c].text);
    }
    return rc;
}

void
npo_findings_list (npo_db_t *db, const Npo__ListFindings *cmd, Npo__Reply *reply)
{
    char today [11], max [12];
    if (*cmd->as_of && !npo_calendar_date (cmd->as_of)) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "invalid_date",
                         "as_of: not a date YYYY-MM-DD");
        return;
    }
    if (*cmd->as_of)
        snprintf (today, sizeof today, "%s", cmd->as_of);
    else
        npo_today (today);
    snprintf (max, sizeof max, "%u", cmd->max && cmd->max < S_LIST_MAX? cmd->max: S_LIST_MAX);
    const char *params [5] = { cmd->province, today, cmd->overdue? "t": "f",
                               cmd->include_fixed? "t": "f", max };
    PGresult *res = npo_db_exec (db,
        "SELECT rule, field, detail, value, outcome, path, line, province, section,"
        " record_ref, uscc, found_on::text, coalesce (due_by::text, ''),"
        " coalesce (fixed_on::text, '')"
        " FROM findings WHERE province = $1"
        " AND (fixed_on IS NULL OR $4::boolean)"
        " AND (NOT $3::boolean OR (fixed_on IS NULL AND due_by < $2::date))"
        " ORDER BY found_on, section, record_ref, rule, field, id LIMIT $5", 5, params);
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

//  A record's findings as the batch keeps them: npoctl's, and the service's
//  own refusal, kept status and other findings.
typedef struct {
    Npo__Finding refusal, status;
    char detail [64];
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
    npo__finding__init (&kept->status);
    kept->all = calloc (rec->n_findings + outcome->n_findings + 2, sizeof *kept->all);
    if (!kept->all)
        abort ();
    size_t n = 0;
    static const char *const outcomes [] = { "refused", "flagged", "not_stored" };
    for (size_t i = 0; i < rec->n_findings; i++) {
        //  Rule and field are names; a value is short (docs/import.md 6.2)
        const Npo__Finding *f = rec->findings [i];
        bool known = false;
        for (int o = 0; o < 3; o++)
            known = known || strcmp (f->outcome, outcomes [o]) == 0;
        size_t chars;
        if (known && s_name (f->rule, false) && s_name (f->field, true)
        &&  npo_utf8_valid (f->value, false, &chars) && chars <= 64
        &&  npo_utf8_valid (f->detail, false, &chars) && chars <= 200)
            kept->all [n++] = rec->findings [i];
    }
    if (strcmp (outcome->outcome, "refused") == 0 && !rec->refused) {
        kept->refusal.rule = outcome->error_code;
        kept->refusal.outcome = "refused";
        kept->refusal.detail = outcome->error_message;
        kept->refusal.path = (char *) rec->path;
        kept->refusal.line = rec->line;
        kept->all [n++] = &kept->refusal;
    }
    if (*outcome->kept_status) {
        snprintf (kept->detail, sizeof kept->detail, "the register holds it as %s",
                  outcome->kept_status);
        kept->status.rule = "inconsistent_status";
        kept->status.outcome = "flagged";
        kept->status.detail = kept->detail;
        kept->status.path = (char *) rec->path;
        kept->status.line = rec->line;
        kept->all [n++] = &kept->status;
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
    npo_import_batch (db, self, request, reply, cmd->province, section->section,
                      cmd->found_on, records, (void *const *) bodies, n, section->store,
                      section->store_batch);
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked (bodies [i], NULL);
    free (bodies);
    free (records);
    free (refs);
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

void
npo_quality_test (bool verbose)
{
    (void) verbose;
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
