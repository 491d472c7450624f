/*  lists.c - the abnormal activity list (活动异常名录, section 14) and the
 *  serious violation list (严重违法失信名单, section 15), applied by the rules
 *  of the 2018 credit measures (DOMAIN.md, "Credit rules"; docs/credit.md)
 *
 *  A listing is one ground on one list, resting on one fact (fact_key): a
 *  year not filed, a penalty, two small penalties within 3 years, two years
 *  on the abnormal list, or an authority's decision (manual grounds). The
 *  reason and the facts (event ids) are stored when it is made.
 *
 *  Clocks: a ground-5 abnormal listing is removed 6 months after the latest
 *  abnormal listing of the organization (a new ground restarts the clock);
 *  2 years after the earliest open abnormal listing the organization moves to
 *  the serious list (ground 1); a serious listing may be removed on
 *  application 2 years after the latest serious listing. The sweep counts
 *  only listings made by its as-of date, so time can be replayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "codes.h"
#include "credit.h"
#include "log.h"

#define BAD         NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT    NPO__STATUS__STATUS_CONFLICT
#define SWEEP_BATCH 500

//  Listing columns, in Listing order after the id; then facts as JSON, division
#define LISTING_COLUMNS \
    "id, uscc, name, list, ground, registration_authority, listed_on::text, listed_reason," \
    " coalesce (removed_on::text, ''), coalesce (removed_reason, '')," \
    " array_to_json (facts)::text, division"

bool
credit_manual_ground (const char *list, uint32_t ground)
{
    if (strcmp (list, "abnormal") == 0)
        return ground == 2 || ground == 3 || ground == 4 || ground == 6 || ground == 7;
    return ground == 2 || ground == 6 || ground == 8;
}

//  The listing in row of res (LISTING_COLUMNS); the caller frees it.
static Npo__Listing *
s_listing_from (PGresult *res, int row)
{
    Npo__Listing *l = malloc (sizeof *l);
    if (!l)
        abort ();
    npo__listing__init (l);
    l->listing_id = strtoull (PQgetvalue (res, row, 0), NULL, 10);
    l->ground = (uint32_t) atoi (PQgetvalue (res, row, 4));
    char **texts [9] = { &l->uscc, &l->name, &l->list, NULL, &l->registration_authority,
                         &l->listed_on, &l->listed_reason, &l->removed_on, &l->removed_reason };
    for (int i = 0; i < 9; i++)
        if (texts [i])
            *texts [i] = npo_strdup (PQgetvalue (res, row, i + 1));
    json_t *facts = json_loads (PQgetvalue (res, row, 10), 0, NULL);
    size_t n = json_array_size (facts);
    l->facts = n? calloc (n, sizeof *l->facts): NULL;
    for (size_t i = 0; i < n; i++)
        l->facts [i] = npo_strdup (json_string_value (json_array_get (facts, i)));
    l->n_facts = n;
    json_decref (facts);
    return l;
}

//  Appends credit.<list>_listed or _removed for the listing in row.
static int
s_emit (credit_t *self, PGresult *res, int row, bool listed, const char *actor)
{
    Npo__ListingEvent event = NPO__LISTING_EVENT__INIT;
    event.listing = s_listing_from (res, row);
    char type [40];
    snprintf (type, sizeof type, "credit.%s_%s", event.listing->list, listed? "listed": "removed");
    uint64_t seq = npo_outbox_append (self->outbox, type, event.listing->uscc,
                                      PQgetvalue (res, row, 11), actor, &event.base);
    if (seq)
        log_info ("%s: %s ground %u %s", event.listing->uscc, event.listing->list,
                  event.listing->ground, listed? "listed": "removed");
    npo__listing__free_unpacked (event.listing, NULL);
    return seq? 0: -1;
}

int
credit_list (credit_t *self, const credit_listing_t *l, const char *actor)
{
    json_t *facts = json_array ();
    for (size_t i = 0; i < l->n_facts; i++)
        json_array_append_new (facts, json_string (l->facts [i]));
    char *facts_text = json_dumps (facts, JSON_COMPACT);
    json_decref (facts);
    char ground [12], year [12];
    snprintf (ground, sizeof ground, "%d", l->ground);
    snprintf (year, sizeof year, "%d", l->year);
    const char *params [11] = { l->uscc, l->name, l->division, l->list, ground, l->listed_on,
                                l->reason, facts_text, l->fact_key, l->year? year: NULL, actor };
    PGresult *res = npo_db_exec (self->db,
        "INSERT INTO listings (uscc, name, division, registration_authority, list, ground,"
        "  listed_on, listed_reason, facts, fact_key, year, recorded_by)"
        " VALUES ($1, $2, $3, coalesce ((SELECT registration_authority FROM orgs"
        "  WHERE uscc = $1), ''), $4, $5, $6, $7,"
        "  ARRAY (SELECT json_array_elements_text ($8::json)), $9, $10, $11)"
        " ON CONFLICT (uscc, list, ground, fact_key) DO NOTHING"
        " RETURNING " LISTING_COLUMNS, 11, params);
    free (facts_text);
    int rc = res? 0: -1;
    if (res && PQntuples (res) == 1)
        rc = s_emit (self, res, 0, true, actor);
    PQclear (res);
    return rc;
}

//  Removes listing id (if still open) as of on, with its event. Returns 0
//  or -1; *row (optional) receives the listing after the change.
static int
s_unlist (credit_t *self, const char *id, const char *on, const char *reason,
          const char *removal, const char *actor, Npo__Listing **row)
{
    const char *params [5] = { id, on, reason, removal, actor };
    PGresult *res = npo_db_exec (self->db,
        "UPDATE listings SET removed_on = $2, removed_reason = $3, removal = $4,"
        " removed_by = $5 WHERE id = $1 AND removed_on IS NULL"
        " RETURNING " LISTING_COLUMNS, 5, params);
    int rc = res? 0: -1;
    if (res && PQntuples (res) == 1) {
        rc = s_emit (self, res, 0, false, actor);
        if (row)
            *row = s_listing_from (res, 0);
    }
    PQclear (res);
    return rc;
}

int
credit_unlist (credit_t *self, const char *id, const char *on, const char *reason,
               const char *removal, const char *actor)
{
    return s_unlist (self, id, on, reason, removal, actor, NULL);
}

//  ---------------------------------------------------------------------
//  Rules from facts

int
credit_rules_penalty (credit_t *self, const Npo__Penalty *p, const char *event_id,
                      const char *division, const char *actor)
{
    long long cents = 0;
    bool fine = strcmp (p->result, "fine") == 0;
    if (fine && npo_amount_cents (p->fine_amount, false, &cents))
        return -1;
    bool small = strcmp (p->result, "warning") == 0 || (fine && cents < 5000000);
    char key [160], reason [400];
    snprintf (key, sizeof key, "penalty:%s:%s", p->kind, p->decision_number);
    const char *facts [1] = { event_id };
    credit_listing_t l = { p->uscc, p->name, division, "serious", 0, p->decided_on, reason,
                           facts, 1, key, 0 };
    if (small) {
        l.list = "abnormal";
        l.ground = 5;
        snprintf (reason, sizeof reason, "受到警告或者不满5万元罚款的行政处罚（%s）",
                  p->decision_number);
        if (credit_list (self, &l, actor))
            return -1;
        //  Two or more within 3 years: the serious list (ground 5)
        const char *params [2] = { p->uscc, p->decided_on };
        PGresult *res = npo_db_exec (self->db,
            "SELECT count (*), max (decided_on)::text,"
            " string_agg (decision_number, '、' ORDER BY decided_on, id),"
            " json_agg (coalesce (event_id, 'credit.penalties:' || id)"
            " ORDER BY decided_on, id)::text"
            " FROM penalties WHERE uscc = $1 AND (result = 'warning' OR (result = 'fine'"
            "  AND fine_amount < 50000))"
            " AND decided_on BETWEEN $2::date - interval '3 years'"
            "  AND $2::date + interval '3 years'", 2, params);
        if (!res)
            return -1;
        int rc = 0;
        if (atoi (PQgetvalue (res, 0, 0)) >= 2) {
            json_t *ids = json_loads (PQgetvalue (res, 0, 3), 0, NULL);
            size_t n = json_array_size (ids);
            const char **list = calloc (n + 1, sizeof *list);
            if (!list)
                abort ();
            for (size_t i = 0; i < n; i++)
                list [i] = json_string_value (json_array_get (ids, i));
            char key2 [160], reason2 [1200];
            snprintf (key2, sizeof key2, "small_penalties:%s:%s", p->kind, p->decision_number);
            snprintf (reason2, sizeof reason2,
                      "3年内2次以上受到警告或者不满5万元罚款的行政处罚（%s）",
                      PQgetvalue (res, 0, 2));
            credit_listing_t twice = { p->uscc, p->name, division, "serious", 5,
                                       PQgetvalue (res, 0, 1), reason2, list, n, key2, 0 };
            rc = credit_list (self, &twice, actor);
            free (list);
            json_decref (ids);
        }
        PQclear (res);
        return rc;
    }
    if (fine) {
        l.ground = 4;
        snprintf (reason, sizeof reason, "受到5万元以上罚款的行政处罚（%s，罚款%s元）",
                  p->decision_number, p->fine_amount);
    }
    else
    if (strcmp (p->result, "stop_activities") == 0) {
        l.ground = 3;
        snprintf (reason, sizeof reason, "被责令限期停止活动（%s，%u个月）",
                  p->decision_number, p->stop_months);
    }
    else
    if (strcmp (p->result, "revoke_registration") == 0) {
        l.ground = 7;
        snprintf (reason, sizeof reason, "被撤销登记（%s）", p->decision_number);
    }
    else
        return 0;           //  confiscation, other: no listing of their own
    return credit_list (self, &l, actor);
}

int
credit_rules_deregistered (credit_t *self, const char *uscc, const char *on, const char *actor)
{
    const char *params [1] = { uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT id FROM listings WHERE uscc = $1 AND list = 'serious' AND ground = 7"
        " AND removed_on IS NULL ORDER BY id", 1, params);
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples (res) && rc == 0; i++)
        rc = s_unlist (self, PQgetvalue (res, i, 0), on, "注销登记已完成", "deregistration",
                       actor, NULL);
    PQclear (res);
    return rc;
}

int
credit_apply_inspection (void *state, const Npo__Envelope *event)
{
    credit_t *self = state;
    const ProtobufCBinaryData *p = &event->payload;
    int rc = 0;
    if (strcmp (event->type, "inspection.not_filed") == 0) {
        Npo__NotFiled *m = npo__not_filed__unpack (NULL, p->len, p->data);
        if (!m) {
            log_error ("event %s is not a valid NotFiled; skipped", event->event_id);
            return 0;
        }
        char key [40], reason [300];
        snprintf (key, sizeof key, "not_filed:%u", m->year);
        snprintf (reason, sizeof reason, "未按规定报送%u年度%s（截止%s）", m->year,
                  strcmp (m->kind, "annual_report") == 0? "工作报告": "年检材料", m->deadline);
        const char *facts [1] = { event->event_id };
        credit_listing_t l = { m->uscc, m->name, event->division, "abnormal", 1, m->marked_on,
                               reason, facts, 1, key, (int) m->year };
        rc = credit_list (self, &l, event->actor);
        npo__not_filed__free_unpacked (m, NULL);
    }
    else
    if (strcmp (event->type, "inspection.report_submitted") == 0) {
        Npo__ReportSubmitted *m = npo__report_submitted__unpack (NULL, p->len, p->data);
        if (!m) {
            log_error ("event %s is not a valid ReportSubmitted; skipped", event->event_id);
            return 0;
        }
        char year [12];
        snprintf (year, sizeof year, "%u", m->year);
        const char *params [2] = { m->uscc, year };
        rc = npo_db_cmd (self->db, "INSERT INTO reports_filed (uscc, year) VALUES ($1, $2)"
                         " ON CONFLICT DO NOTHING", 2, params);
        npo__report_submitted__free_unpacked (m, NULL);
    }
    return rc;
}

//  ---------------------------------------------------------------------
//  Commands

static void
s_reply_listing (Npo__Reply *reply, Npo__Listing *listing)
{
    Npo__ListingReply *body = malloc (sizeof *body);
    if (!body)
        abort ();
    npo__listing_reply__init (body);
    body->listing = listing;
    reply->body_case = NPO__REPLY__BODY_LISTING;
    reply->listing = body;
}

void
credit_add_listing (credit_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__AddListing *cmd = request->add_listing;
    if (!npo_uscc_ok (cmd->uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s", cmd->uscc);
    if (strcmp (cmd->list, "abnormal") != 0 && strcmp (cmd->list, "serious") != 0) {
        npo_reply_error (reply, BAD, "invalid_list", "list: abnormal or serious");
        return;
    }
    if (cmd->ground < 1 || cmd->ground > (strcmp (cmd->list, "abnormal") == 0? 7u: 8u)) {
        npo_reply_error (reply, BAD, "invalid_ground",
                         "ground: 1 to 7 (abnormal), 1 to 8 (serious)");
        return;
    }
    if (!credit_manual_ground (cmd->list, cmd->ground)) {
        npo_reply_error (reply, CONFLICT, "ground_automatic",
                         "ground %u of the %s list follows from recorded facts (an annual"
                         " report not filed, a penalty, time on the abnormal list): record"
                         " the fact instead", cmd->ground, cmd->list);
        return;
    }
    const npo_text_t texts [] = { { "reason", cmd->reason, 2000, true } };
    if (npo_check_texts (texts, 1, reply))
        return;
    for (size_t i = 0; i < cmd->n_facts; i++)
        if (!npo_utf8_valid (cmd->facts [i], false, NULL) || strlen (cmd->facts [i]) > 200
        ||  cmd->n_facts > 20) {
            npo_reply_error (reply, BAD, "invalid_field", "facts: at most 20 references of text");
            return;
        }
    char today [11];
    const char *on = npo_date_or_today (cmd->listed_on, today);
    if (!npo_date_valid (on)) {
        npo_reply_error (reply, BAD, "invalid_date", "listed_on: a date YYYY-MM-DD up to today");
        return;
    }
    char name [800], division [8];
    if (credit_org (self, cmd->uscc, name, sizeof name, division, reply)
    ||  !npo_actor_may_write (&self->actor, division, reply))
        return;
    //  The same decision again (a retry) answers the same listing
    char key [300];
    snprintf (key, sizeof key, "manual:%s:%.200s", on, cmd->reason);
    credit_listing_t l = { cmd->uscc, name, division, cmd->list, (int) cmd->ground, on,
                           cmd->reason, (const char *const *) cmd->facts, cmd->n_facts, key, 0 };
    if (npo_db_begin (self->db) || credit_list (self, &l, request->actor)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    char ground [12];
    snprintf (ground, sizeof ground, "%u", cmd->ground);
    const char *params [4] = { cmd->uscc, cmd->list, ground, key };
    PGresult *res = npo_db_exec (self->db, "SELECT " LISTING_COLUMNS " FROM listings"
                                 " WHERE uscc = $1 AND list = $2 AND ground = $3"
                                 " AND fact_key = $4", 4, params);
    if (!res || PQntuples (res) != 1 || npo_db_commit (self->db)) {
        PQclear (res);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    s_reply_listing (reply, s_listing_from (res, 0));
    PQclear (res);
}

//  Why listing (a row of s_remove_sql) may not be removed on application on
//  date on, or NULL when it may. The message goes to buf.
static const char *
s_removal_refused (PGresult *res, const char *on, char *buf, size_t size)
{
    const char *list = PQgetvalue (res, 0, 0);
    int ground = atoi (PQgetvalue (res, 0, 1));
    const char *auto_on = PQgetvalue (res, 0, 2);       //  abnormal 5: removed automatically
    const char *serious_until = PQgetvalue (res, 0, 3); //  2 years after the latest serious
    const char *unfiled = PQgetvalue (res, 0, 4);       //  years whose report is still missing
    if (strcmp (list, "abnormal") == 0) {
        if (ground == 5) {
            snprintf (buf, size, "a ground-5 listing is removed automatically, 6 months after"
                      " the latest listing (on %s)", auto_on);
            return "removed_automatically";
        }
        if (ground == 1 && *unfiled) {
            snprintf (buf, size, "the obligation is not met: the annual report for %s has not"
                      " been filed", unfiled);
            return "obligation_not_met";
        }
        return NULL;
    }
    if (ground == 7) {
        snprintf (buf, size, "a revocation listing is removed when deregistration completes");
        return "removed_on_deregistration";
    }
    if (strcmp (on, serious_until) < 0) {
        snprintf (buf, size, "on the serious list until at least %s: 2 years without a new"
                  " ground", serious_until);
        return "too_early";
    }
    if (ground == 1 && *unfiled) {
        snprintf (buf, size, "the obligation is not met: the annual report for %s has not"
                  " been filed", unfiled);
        return "obligation_not_met";
    }
    return NULL;
}

//  The facts the removal rules need, for listing $1: list, ground, the
//  automatic removal date (abnormal 5), the earliest removal date (serious),
//  and the years not filed it (or the abnormal listings it moved from) rests on
static const char *s_remove_sql =
    "SELECT l.list, l.ground,"
    " ((SELECT max (listed_on) FROM listings a WHERE a.uscc = l.uscc AND a.list = 'abnormal'"
    "   AND a.listed_on >= l.listed_on) + interval '6 months')::date::text,"
    " ((SELECT max (listed_on) FROM listings s WHERE s.uscc = l.uscc AND s.list = 'serious'"
    "   AND s.removed_on IS NULL) + interval '2 years')::date::text,"
    " coalesce ((SELECT string_agg (y.year::text, ', ' ORDER BY y.year) FROM listings y"
    "   WHERE y.uscc = l.uscc AND y.ground = 1 AND y.list = 'abnormal'"
    "   AND (y.id = l.id OR y.id IN (SELECT substring (f FROM '^listing:([0-9]+)$')::bigint"
    "        FROM unnest (l.facts) f))"
    "   AND NOT EXISTS (SELECT 1 FROM reports_filed r WHERE r.uscc = y.uscc"
    "                   AND r.year = y.year)), ''),"
    " l.removed_on IS NOT NULL, l.division, l.uscc, l.listed_on::text"
    " FROM listings l WHERE l.id = $1 FOR UPDATE OF l";

void
credit_remove_listing (credit_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__RemoveListing *cmd = request->remove_listing;
    char id [24];
    snprintf (id, sizeof id, "%llu", (unsigned long long) cmd->listing_id);
    snprintf (self->target, sizeof self->target, "listing %s", id);
    const npo_text_t texts [] = { { "reason", cmd->reason, 2000, true } };
    if (npo_check_texts (texts, 1, reply))
        return;
    char today [11];
    const char *on = npo_date_or_today (cmd->removed_on, today);
    if (!npo_date_valid (on)) {
        npo_reply_error (reply, BAD, "invalid_date", "removed_on: a date YYYY-MM-DD up to today");
        return;
    }
    if (cmd->correction && strcmp (self->actor.role, "ministry") != 0) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "forbidden",
                         "a correction (a listing made in error) is the ministry's");
        return;
    }
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    const char *params [1] = { id };
    PGresult *res = npo_db_exec (self->db, s_remove_sql, 1, params);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    char message [300];
    const char *code = NULL;
    if (PQntuples (res) == 0) {
        PQclear (res);
        npo_db_rollback (self->db);
        npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "listing_not_found",
                         "no listing %s", id);
        return;
    }
    snprintf (self->target, sizeof self->target, "%s", PQgetvalue (res, 0, 7));
    if (!npo_actor_may_write (&self->actor, PQgetvalue (res, 0, 6), reply)) {
        PQclear (res);
        npo_db_rollback (self->db);
        return;
    }
    if (*PQgetvalue (res, 0, 5) == 't') {
        code = "already_removed";
        snprintf (message, sizeof message, "listing %s was already removed", id);
    }
    else
    if (strcmp (on, PQgetvalue (res, 0, 8)) < 0) {
        code = "invalid_date";
        snprintf (message, sizeof message, "removed_on: %s is before the listing (%s)", on,
                  PQgetvalue (res, 0, 8));
    }
    else
    if (!cmd->correction)
        code = s_removal_refused (res, on, message, sizeof message);
    PQclear (res);
    if (code) {
        npo_db_rollback (self->db);
        npo_reply_error (reply, strcmp (code, "invalid_date")? CONFLICT: BAD, code, "%s", message);
        return;
    }
    Npo__Listing *listing = NULL;
    if (s_unlist (self, id, on, cmd->reason, cmd->correction? "correction": "application",
                  request->actor, &listing)
    ||  !listing || npo_db_commit (self->db)) {
        if (listing)
            npo__listing__free_unpacked (listing, NULL);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    s_reply_listing (reply, listing);
}

//  ---------------------------------------------------------------------
//  The time rules

//  date + months, the day clamped to the month's end (as PostgreSQL does)
static void
s_add_months (const char *date, int months, char *out)
{
    int y = atoi (date), m = atoi (date + 5) + months, d = atoi (date + 8);
    y += (m - 1) / 12;
    m = (m - 1) % 12 + 1;
    static const int days [] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int last = days [m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    char buf [32];
    snprintf (buf, sizeof buf, "%04d-%02d-%02d", y, m, d < last? d: last);
    snprintf (out, 11, "%.10s", buf);
}

//  Ground 5: removed 6 months after listing, the clock restarted by each
//  abnormal listing made while it is open. For the next batch of
//  organizations after *after (keyset), in the caller's transaction. Returns
//  the number of organizations scanned, or -1; counts removals in *removed.
static long long
s_sweep_removals (credit_t *self, const char *as_of, const char *actor, char *after,
                  uint64_t *removed)
{
    char limit [12];
    snprintf (limit, sizeof limit, "%d", SWEEP_BATCH);
    const char *params [3] = { as_of, after, limit };
    PGresult *orgs = npo_db_exec (self->db,
        "SELECT uscc FROM listings WHERE list = 'abnormal' AND ground = 5"
        " AND removed_on IS NULL AND listed_on <= $1::date AND uscc > $2"
        " GROUP BY uscc ORDER BY uscc LIMIT $3::int", 3, params);
    if (!orgs)
        return -1;
    long long n = PQntuples (orgs);
    int rc = 0;
    for (int o = 0; o < n && rc == 0; o++) {
        const char *p2 [2] = { PQgetvalue (orgs, o, 0), as_of };
        //  Every abnormal listing counts for the clock, removed since or not
        PGresult *res = npo_db_exec (self->db,
            "SELECT id, ground, listed_on::text, removed_on IS NULL FROM listings"
            " WHERE uscc = $1 AND list = 'abnormal' AND listed_on <= $2::date"
            " ORDER BY listed_on, id FOR UPDATE", 2, p2);
        if (!res) {
            rc = -1;
            break;
        }
        int rows = PQntuples (res);
        for (int i = 0; i < rows && rc == 0; i++) {
            if (atoi (PQgetvalue (res, i, 1)) != 5 || *PQgetvalue (res, i, 3) != 't')
                continue;
            char due [11];
            s_add_months (PQgetvalue (res, i, 2), 6, due);
            for (int j = i + 1; j < rows && strcmp (PQgetvalue (res, j, 2), due) < 0; j++)
                s_add_months (PQgetvalue (res, j, 2), 6, due);
            if (strcmp (due, as_of) > 0)
                continue;
            rc = s_unlist (self, PQgetvalue (res, i, 0), due, "列入满6个月，自动移出",
                           "automatic", actor, NULL);
            (*removed)++;
        }
        PQclear (res);
    }
    if (n)
        snprintf (after, 19, "%s", PQgetvalue (orgs, n - 1, 0));
    PQclear (orgs);
    return rc? -1: n;
}

static long long
s_sweep_moves (credit_t *self, const char *as_of, const char *actor)
{
    //  2 years on the abnormal list: to the serious list (ground 1)
    char limit [12];
    snprintf (limit, sizeof limit, "%d", SWEEP_BATCH);
    const char *params [2] = { as_of, limit };
    //  (only the listings made by then move: a later one is a new fact)
    PGresult *res = npo_db_exec (self->db,
        "WITH f AS (SELECT uscc, min (listed_on) AS first FROM listings WHERE list = 'abnormal'"
        "  AND removed_on IS NULL AND listed_on <= $1::date GROUP BY uscc"
        "  HAVING min (listed_on) + interval '2 years' <= $1::date ORDER BY uscc LIMIT $2::int)"
        " SELECT f.uscc, (f.first + interval '2 years')::date::text, f.first::text,"
        " json_agg ('listing:' || l.id ORDER BY l.id)::text, json_agg (l.id ORDER BY l.id)::text,"
        " (array_agg (l.name ORDER BY l.id DESC)) [1],"
        " (array_agg (l.division ORDER BY l.id DESC)) [1]"
        " FROM f JOIN listings l ON l.uscc = f.uscc AND l.list = 'abnormal'"
        "  AND l.removed_on IS NULL AND l.listed_on <= f.first + interval '2 years'"
        " GROUP BY f.uscc, f.first ORDER BY f.uscc", 2, params);
    if (!res)
        return -1;
    long long n = PQntuples (res);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const char *uscc = PQgetvalue (res, i, 0), *on = PQgetvalue (res, i, 1);
        json_t *facts = json_loads (PQgetvalue (res, i, 3), 0, NULL);
        json_t *ids = json_loads (PQgetvalue (res, i, 4), 0, NULL);
        size_t k = json_array_size (facts);
        const char **list = calloc (k + 1, sizeof *list);
        if (!list)
            abort ();
        for (size_t j = 0; j < k; j++)
            list [j] = json_string_value (json_array_get (facts, j));
        char key [40], reason [200];
        snprintf (key, sizeof key, "abnormal_since:%s", PQgetvalue (res, i, 2));
        snprintf (reason, sizeof reason, "被列入活动异常名录满2年（自%s起）",
                  PQgetvalue (res, i, 2));
        credit_listing_t l = { uscc, PQgetvalue (res, i, 5), PQgetvalue (res, i, 6), "serious",
                               1, on, reason, list, k, key, 0 };
        rc = credit_list (self, &l, actor);
        for (size_t j = 0; j < json_array_size (ids) && rc == 0; j++) {
            char id [24];
            snprintf (id, sizeof id, "%lld",
                      (long long) json_integer_value (json_array_get (ids, j)));
            rc = s_unlist (self, id, on, "列入活动异常名录满2年，移入严重违法失信名单", "moved",
                           actor, NULL);
        }
        free (list);
        json_decref (facts);
        json_decref (ids);
    }
    PQclear (res);
    return rc? -1: n;
}

void
credit_sweep (credit_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    if (strcmp (self->actor.role, "ministry") != 0) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "forbidden",
                         "the credit sweep is national: ministry only");
        return;
    }
    char today [11];
    const char *as_of = npo_date_or_today (request->credit_sweep->as_of, today);
    if (!npo_date_valid (as_of)) {
        npo_reply_error (reply, BAD, "invalid_date", "as_of: a date YYYY-MM-DD up to today");
        return;
    }
    snprintf (self->target, sizeof self->target, "as of %s", as_of);
    //  Removals first: a ground-5 listing alone never reaches 2 years. Each
    //  batch is one transaction.
    uint64_t removed = 0, moved = 0;
    char after [19] = "";
    for (int rule = 0; rule < 2; rule++)
        while (true) {
            long long n = npo_db_begin (self->db)? -1:
                          rule == 0? s_sweep_removals (self, as_of, request->actor, after,
                                                       &removed):
                                     s_sweep_moves (self, as_of, request->actor);
            if (n < 0 || npo_db_commit (self->db)) {
                npo_reply_db_failed (self->db, reply);
                log_error ("credit sweep as of %s stopped: %s", as_of, npo_db_errmsg (self->db));
                return;
            }
            if (rule == 1)
                moved += (uint64_t) n;
            if (n < SWEEP_BATCH)
                break;
        }
    Npo__CreditSweepReply *body = malloc (sizeof *body);
    if (!body)
        abort ();
    npo__credit_sweep_reply__init (body);
    body->removed = removed;
    body->moved = moved;
    reply->body_case = NPO__REPLY__BODY_CREDIT_SWEEP;
    reply->credit_sweep = body;
    log_info ("credit sweep as of %s: %llu removed automatically, %llu moved to the serious"
              " list", as_of, (unsigned long long) removed, (unsigned long long) moved);
}
