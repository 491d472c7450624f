/*  quality.c - data-quality findings kept by the service owning a record
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "actor.h"
#include "codes.h"
#include "quality.h"

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

void
npo_record_ref_key (const unsigned char *key)
{
    memcpy (s_ref_key, key, sizeof s_ref_key);
    s_ref_keyed = true;
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

//  A PostgreSQL array literal, grown as elements are added.
typedef struct {
    char *text;
    size_t len, cap;
    size_t count;
} s_array_t;

static void
s_array_add (s_array_t *a, const char *value)
{
    size_t need = a->len + 2 * strlen (value) + 8;
    if (need > a->cap) {
        a->cap = need * 2;
        a->text = realloc (a->text, a->cap);
        if (!a->text)
            abort ();
    }
    a->text [a->len++] = a->count++? ',': '{';
    a->text [a->len++] = '"';
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            a->text [a->len++] = '\\';
        a->text [a->len++] = *p;
    }
    a->text [a->len++] = '"';
    a->text [a->len] = 0;
}

//  Returns the literal ("{}" when empty); the array is done with.
static const char *
s_array_end (s_array_t *a)
{
    if (!a->count) {
        free (a->text);
        a->text = strdup ("{}");
        if (!a->text)
            abort ();
        return a->text;
    }
    a->text [a->len++] = '}';
    a->text [a->len] = 0;
    return a->text;
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
    s_array_t refs = { 0 }, keys = { 0 }, open [C_COLS] = { { 0 } }, stale [C_COLS] = { { 0 } };
    for (size_t i = n; i-- > 0;) {
        const npo_record_findings_t *r = &records [i];
        bool seen = false;
        for (size_t j = i + 1; j < n && !seen; j++)
            seen = strcmp (records [j].ref, r->ref) == 0;
        if (seen)
            continue;
        s_array_add (&refs, r->ref);
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
                s_array_add (&keys, key);
            s_array_t *rows = is_stale? stale: open;
            const char *values [C_COLS] = { r->ref, r->uscc, f->rule, f->field, f->detail,
                                            f->value, f->outcome, f->path, line };
            for (int c = 0; c < C_COLS; c++)
                s_array_add (&rows [c], values [c]);
        }
    }
    const char *close [5] = { province, section_text, today, s_array_end (&refs),
                              s_array_end (&keys) };
    int rc = npo_db_cmd (db,
        "UPDATE findings SET fixed_on = $3 WHERE province = $1 AND section = $2"
        " AND fixed_on IS NULL AND record_ref = ANY ($4::text[])"
        " AND NOT (record_ref || chr (31) || rule || '/' || field = ANY ($5::text[]))",
        5, close);
    for (int pass = 0; pass < 2; pass++) {
        s_array_t *rows = pass? stale: open;
        const char *params [4 + C_COLS] = { province, section_text, today, due };
        for (int c = 0; c < C_COLS; c++)
            params [4 + c] = s_array_end (&rows [c]);
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
