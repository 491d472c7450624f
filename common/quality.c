/*  quality.c - data-quality findings kept by the service owning a record
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int
npo_findings_reconcile (npo_db_t *db, const char *province, int section, const char *ref,
                        const char *uscc, Npo__Finding **found, size_t n, const char *today)
{
    char section_text [12], due [11];
    snprintf (section_text, sizeof section_text, "%d", section);
    if (npo_workdays_add (today, 10, due))
        return -1;
    //  The open ones found again stay open; every other open one is fixed
    size_t cap = 3;                 //  "{", "}" and the NUL
    for (size_t i = 0; i < n; i++)
        cap += strlen (found [i]->rule) + strlen (found [i]->field) + 8;
    char *keys = malloc (cap);
    if (!keys)
        abort ();
    size_t len = (size_t) snprintf (keys, cap, "{");
    for (size_t i = 0; i < n; i++)
        len += (size_t) snprintf (keys + len, cap - len, "%s\"%s/%s\"", i? ",": "",
                                  found [i]->rule, found [i]->field);
    snprintf (keys + len, cap - len, "}");
    const char *close [6] = { province, section_text, ref, keys, today };
    int rc = npo_db_cmd (db,
        "UPDATE findings SET fixed_on = $5 WHERE province = $1 AND section = $2"
        " AND record_ref = $3 AND fixed_on IS NULL AND rule || '/' || field <> ALL ($4::text[])",
        5, close);
    free (keys);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const Npo__Finding *f = found [i];
        char line [24];
        snprintf (line, sizeof line, "%llu", (unsigned long long) f->line);
        bool stale = strcmp (f->rule, "stale_source") == 0;
        const char *params [13] = { province, section_text, ref, uscc, f->rule, f->field,
                                    f->detail, f->value, f->outcome, f->path, line, today,
                                    stale? NULL: due };
        rc = npo_db_cmd (db, stale?
            "INSERT INTO findings (province, section, record_ref, uscc, rule, field, detail,"
            " value, outcome, path, line, found_on, due_by, fixed_on)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12)"
            " ON CONFLICT (province, section, record_ref, detail)"
            " WHERE rule = 'stale_source' DO NOTHING":
            "INSERT INTO findings (province, section, record_ref, uscc, rule, field, detail,"
            " value, outcome, path, line, found_on, due_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            " ON CONFLICT (province, section, record_ref, rule, field) WHERE fixed_on IS NULL"
            " DO UPDATE SET detail = EXCLUDED.detail, value = EXCLUDED.value,"
            " outcome = EXCLUDED.outcome, path = EXCLUDED.path, line = EXCLUDED.line,"
            " uscc = EXCLUDED.uscc", 13, params);
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
        " coalesce (fixed_on::text, ''),"
        " count (*) FILTER (WHERE fixed_on IS NULL) OVER (),"
        " count (*) FILTER (WHERE fixed_on IS NULL AND due_by < $2::date) OVER ()"
        " FROM findings WHERE province = $1"
        " AND (fixed_on IS NULL OR $4::boolean)"
        " AND (NOT $3::boolean OR (fixed_on IS NULL AND due_by < $2::date))"
        " ORDER BY found_on, section, record_ref, rule, field LIMIT $5", 5, params);
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
    //  The counts come with the rows; with none listed, ask for them alone
    if (rows) {
        list->open = strtoull (PQgetvalue (res, 0, 14), NULL, 10);
        list->overdue = strtoull (PQgetvalue (res, 0, 15), NULL, 10);
    }
    PQclear (res);
    if (!rows) {
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
