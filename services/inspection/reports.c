/*  reports.c - annual inspection / annual work reports: submission, review,
 *  and the deadline sweep (DOMAIN.md, "Annual inspection and evaluation")
 *
 *  One record per organization and year (reports, unique (uscc, year)):
 *  submitted -> reviewed with a result, or not_filed when nothing came in by
 *  31 May of the next year. A report filed after being marked not_filed is
 *  taken (late), but the year stays "not filed on time" (marked_on is kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "codes.h"
#include "inspection.h"
#include "log.h"
#include "pbjson.h"

#define BAD         NPO__STATUS__STATUS_BAD_REQUEST
#define CONFLICT    NPO__STATUS__STATUS_CONFLICT

#define SWEEP_BATCH 2000

static const char *s_kinds [] = { "annual_inspection", "annual_report" };
static const char *s_results [] = { "qualified", "basically_qualified", "unqualified" };
static const char *s_tenures [] = { "", "owned", "rented", "provided", "other" };
static const char *s_opinions [] = { "", "standard", "qualified", "adverse", "disclaimer", "none" };

//  The report columns a reply carries, in ReportState order
#define REPORT_COLUMNS \
    "id, uscc, year, kind, status, coalesce (result, ''), coalesce (submitted_on::text, '')," \
    " late, coalesce (rectification, ''), coalesce (rectification_deadline::text, '')," \
    " coalesce (reviewed_on::text, ''), coalesce (reviewed_by, '')"

//  Fills reply with the report in row 0 of res (REPORT_COLUMNS).
static void
s_reply_report (Npo__Reply *reply, PGresult *res)
{
    Npo__ReportState *r = malloc (sizeof *r);
    if (!r)
        abort ();
    npo__report_state__init (r);
    r->report_id = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    r->year = (uint32_t) atoi (PQgetvalue (res, 0, 2));
    r->late = *PQgetvalue (res, 0, 7) == 't';
    char **texts [9] = { NULL, &r->uscc, NULL, &r->kind, &r->status, &r->result,
                         &r->submitted_on, NULL, &r->rectification };
    for (int i = 0; i < 9; i++)
        if (texts [i])
            *texts [i] = npo_strdup (PQgetvalue (res, 0, i));
    r->rectification_deadline = npo_strdup (PQgetvalue (res, 0, 9));
    r->reviewed_on = npo_strdup (PQgetvalue (res, 0, 10));
    r->reviewed_by = npo_strdup (PQgetvalue (res, 0, 11));
    reply->body_case = NPO__REPLY__BODY_REPORT;
    reply->report = r;
}

//  Year Y: the first year an organization can report is the one it was
//  registered in; the last, the year before today's.
static int
s_check_year (uint32_t year, const char *approved_on, Npo__Reply *reply)
{
    char today [11];
    npo_today (today);
    int this_year = atoi (today);
    if (year < 1950 || (int) year >= this_year) {
        npo_reply_error (reply, BAD, "invalid_year",
                         "year: a past year (1950 to %d); %u is not over", this_year - 1, year);
        return -1;
    }
    if ((int) year < atoi (approved_on)) {
        npo_reply_error (reply, BAD, "invalid_year",
                         "year: the organization was registered on %s, after %u",
                         approved_on, year);
        return -1;
    }
    return 0;
}

//  Section 17: enumerations, dates, amounts, and the balance sheet's sums.
static int
s_check_detail (const Npo__ReportDetail *d, Npo__Reply *reply)
{
    if (insp_check_texts (&d->base, 2000, reply))
        return -1;
    const Npo__ReportFinance *f = d->finance;
    if (!f) {
        npo_reply_error (reply, BAD, "missing_field", "detail.finance: required");
        return -1;
    }
    const struct {
        const char *name, *value;
        bool required, negative;
    } amounts [] = {
        { "total_assets", f->total_assets, true, false },
        { "total_liabilities", f->total_liabilities, true, false },
        { "net_assets", f->net_assets, false, true },
        { "income", f->income, true, false },
        { "expenses", f->expenses, true, false },
        { "donation_income", f->donation_income, false, false },
        { "government_grants", f->government_grants, false, false },
        { "service_income", f->service_income, false, false },
        { "membership_fees", f->membership_fees, false, false },
    };
    long long cents [9];
    for (size_t i = 0; i < sizeof amounts / sizeof amounts [0]; i++) {
        cents [i] = 0;
        if (!*amounts [i].value && !amounts [i].required)
            continue;
        if (npo_amount_cents (amounts [i].value, amounts [i].negative, &cents [i])) {
            npo_reply_error (reply, BAD, *amounts [i].value? "invalid_amount": "missing_field",
                             "detail.finance.%s: %syuan as digits with up to 2 decimals",
                             amounts [i].name, amounts [i].required? "required, ": "");
            return -1;
        }
    }
    if (*f->net_assets && cents [2] != cents [0] - cents [1]) {
        npo_reply_error (reply, BAD, "inconsistent_finance",
                         "detail.finance: net_assets %s is not total_assets %s less"
                         " total_liabilities %s", f->net_assets, f->total_assets,
                         f->total_liabilities);
        return -1;
    }
    if (d->office && !NPO_STR_IN (d->office->office_tenure, s_tenures)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "detail.office.office_tenure: owned, rented, provided or other");
        return -1;
    }
    if (d->office && *d->office->office_area_sqm) {
        long long area;
        if (npo_amount_cents (d->office->office_area_sqm, false, &area)) {
            npo_reply_error (reply, BAD, "invalid_field",
                             "detail.office.office_area_sqm: square metres, up to 2 decimals");
            return -1;
        }
    }
    if (d->supervision && !NPO_STR_IN (d->supervision->audit_opinion, s_opinions)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "detail.supervision.audit_opinion: standard, qualified, adverse,"
                         " disclaimer or none");
        return -1;
    }
    if (d->activities && *d->activities->public_welfare_spending) {
        long long spent;
        if (npo_amount_cents (d->activities->public_welfare_spending, false, &spent)) {
            npo_reply_error (reply, BAD, "invalid_amount",
                             "detail.activities.public_welfare_spending: yuan as digits with"
                             " up to 2 decimals");
            return -1;
        }
    }
    if (d->meetings && *d->meetings->last_election_on
    &&  !npo_date_valid (d->meetings->last_election_on)) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "detail.meetings.last_election_on: a date YYYY-MM-DD up to today");
        return -1;
    }
    return 0;
}

//  Appends inspection.report_submitted.
static int
s_emit_submitted (insp_t *self, const Npo__Request *request, const insp_org_t *org,
                  uint32_t year, const char *kind, const char *submitted_on, bool late)
{
    Npo__ReportSubmitted event = NPO__REPORT_SUBMITTED__INIT;
    event.uscc = (char *) org->uscc;
    event.year = year;
    event.kind = (char *) kind;
    event.submitted_on = (char *) submitted_on;
    event.late = late;
    return npo_outbox_append (self->outbox, "inspection.report_submitted", org->uscc,
                              org->division, request->actor, &event.base)? 0: -1;
}

void
insp_submit_report (insp_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    Npo__Report *r = request->submit_report->report;
    if (!r || !r->detail) {
        npo_reply_error (reply, BAD, "missing_field", "report and report.detail: required");
        return;
    }
    if (!npo_uscc_ok (r->uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s %u", r->uscc, r->year);
    const char *kind = *r->kind? r->kind: "annual_inspection";
    if (!NPO_STR_IN (kind, s_kinds)) {
        npo_reply_error (reply, BAD, "invalid_kind", "kind: annual_inspection or annual_report");
        return;
    }
    size_t chars;
    if (!npo_utf8_valid (r->business_unit_opinion, true, &chars) || chars > 2000) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "business_unit_opinion: text of at most 2000 characters");
        return;
    }
    if (s_check_detail (r->detail, reply))
        return;
    insp_org_t org;
    if (insp_org_load (self, r->uscc, &org, reply))
        return;
    if (!npo_actor_may_write (&self->actor, org.division, reply))
        return;
    if (strcmp (org.status, "active") != 0) {
        npo_reply_error (reply, CONFLICT, "org_not_active", "the organization is %s",
                         org.status);
        return;
    }
    if (s_check_year (r->year, org.approved_on, reply))
        return;
    char today [11];
    const char *submitted_on = npo_date_or_today (r->submitted_on, today);
    if (!npo_date_valid (submitted_on) || atoi (submitted_on) <= (int) r->year) {
        npo_reply_error (reply, BAD, "invalid_date",
                         "submitted_on: a date YYYY-MM-DD up to today, after year %u", r->year);
        return;
    }
    json_t *detail_json = npo_pb_to_json (&r->detail->base);
    char *detail = json_dumps (detail_json, JSON_COMPACT);
    json_decref (detail_json);
    const Npo__ReportFinance *f = r->detail->finance;
    char year [12];
    snprintf (year, sizeof year, "%u", r->year);
    const char *params [11] = { r->uscc, year, kind, submitted_on, request->actor,
                                *r->business_unit_opinion? r->business_unit_opinion: NULL,
                                detail, f->total_assets, f->total_liabilities, f->income,
                                f->expenses };
    if (npo_db_begin (self->db)) {
        free (detail);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    //  New, or replacing a submission not yet reviewed, or late over not_filed;
    //  the same submission again (a retry) changes nothing
    PGresult *res = npo_db_exec (self->db,
        "INSERT INTO reports (uscc, year, kind, status, submitted_on, submitted_by,"
        "   business_unit_opinion, detail, total_assets, total_liabilities, income, expenses)"
        " VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (uscc, year) DO UPDATE SET kind = EXCLUDED.kind, status = 'submitted',"
        "   result = NULL, submitted_on = EXCLUDED.submitted_on,"
        "   submitted_by = EXCLUDED.submitted_by,"
        "   business_unit_opinion = EXCLUDED.business_unit_opinion, detail = EXCLUDED.detail,"
        "   total_assets = EXCLUDED.total_assets,"
        "   total_liabilities = EXCLUDED.total_liabilities, income = EXCLUDED.income,"
        "   expenses = EXCLUDED.expenses, late = reports.marked_on IS NOT NULL,"
        "   updated_at = now ()"
        " WHERE reports.status = 'not_filed' OR (reports.status = 'submitted'"
        "   AND (reports.kind, reports.submitted_on, reports.business_unit_opinion,"
        "        reports.detail) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.submitted_on,"
        "        EXCLUDED.business_unit_opinion, EXCLUDED.detail))"
        " RETURNING " REPORT_COLUMNS, 11, params);
    free (detail);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    if (PQntuples (res) == 0) {
        //  Reviewed already, or this very submission again
        PQclear (res);
        res = npo_db_exec (self->db, "SELECT " REPORT_COLUMNS " FROM reports"
                           " WHERE uscc = $1 AND year = $2", 2, params);
        npo_db_rollback (self->db);
        if (!res || PQntuples (res) != 1)
            npo_reply_db_failed (self->db, reply);
        else
        if (strcmp (PQgetvalue (res, 0, 4), "reviewed") == 0)
            npo_reply_error (reply, CONFLICT, "already_reviewed",
                             "the report for %u was already reviewed", r->year);
        else
            s_reply_report (reply, res);
        PQclear (res);
        return;
    }
    bool late = *PQgetvalue (res, 0, 7) == 't';
    if (s_emit_submitted (self, request, &org, r->year, kind, submitted_on, late)
    ||  npo_db_commit (self->db)) {
        PQclear (res);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    s_reply_report (reply, res);
    PQclear (res);
    log_info ("report %u of %s submitted%s", r->year, r->uscc, late? " (late)": "");
}

void
insp_review_report (insp_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__ReviewReport *cmd = request->review_report;
    if (!npo_uscc_ok (cmd->uscc, reply))
        return;
    snprintf (self->target, sizeof self->target, "%s %u", cmd->uscc, cmd->year);
    if (!NPO_STR_IN (cmd->result, s_results)) {
        npo_reply_error (reply, BAD, "invalid_result",
                         "result: qualified, basically_qualified or unqualified");
        return;
    }
    char today [11];
    const char *reviewed_on = npo_date_or_today (cmd->reviewed_on, today);
    if (!npo_date_valid (reviewed_on)) {
        npo_reply_error (reply, BAD, "invalid_date", "reviewed_on: a date YYYY-MM-DD up to today");
        return;
    }
    bool qualified = strcmp (cmd->result, "qualified") == 0;
    size_t chars;
    if (!npo_utf8_valid (cmd->rectification, true, &chars) || chars > 2000
    ||  (!qualified && chars == 0)) {
        npo_reply_error (reply, BAD, chars == 0? "missing_field": "invalid_field",
                         "rectification: %stext of at most 2000 characters",
                         qualified? "": "required unless qualified, ");
        return;
    }
    const char *deadline = cmd->rectification_deadline;
    if ((!qualified || *deadline)
    &&  (!npo_calendar_date (deadline) || strcmp (deadline, reviewed_on) <= 0)) {
        npo_reply_error (reply, BAD, *deadline? "invalid_date": "missing_field",
                         "rectification_deadline: %sa date YYYY-MM-DD after reviewed_on",
                         qualified? "": "required unless qualified, ");
        return;
    }
    insp_org_t org;
    if (insp_org_load (self, cmd->uscc, &org, reply)
    ||  !npo_actor_may_write (&self->actor, org.division, reply))
        return;
    char year [12];
    snprintf (year, sizeof year, "%u", cmd->year);
    const char *key [2] = { cmd->uscc, year };
    if (npo_db_begin (self->db)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    PGresult *res = npo_db_exec (self->db,
        "SELECT status, coalesce (result, ''), coalesce (submitted_on::text, ''),"
        " coalesce (rectification, ''), coalesce (rectification_deadline::text, ''),"
        " coalesce (reviewed_on::text, '')"
        " FROM reports WHERE uscc = $1 AND year = $2 FOR UPDATE", 2, key);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    const char *status = PQntuples (res)? PQgetvalue (res, 0, 0): "";
    int refused = 0;
    if (!*status || strcmp (status, "not_filed") == 0)
        refused = 1;
    else
    if (strcmp (status, "reviewed") == 0) {
        //  The same review again (a retry) answers the record; another is refused
        bool same = strcmp (PQgetvalue (res, 0, 1), cmd->result) == 0
                 && strcmp (PQgetvalue (res, 0, 3), cmd->rectification) == 0
                 && strcmp (PQgetvalue (res, 0, 4), deadline) == 0
                 && strcmp (PQgetvalue (res, 0, 5), reviewed_on) == 0;
        refused = same? 3: 2;
    }
    else
    if (strcmp (reviewed_on, PQgetvalue (res, 0, 2)) < 0)
        refused = 4;
    char submitted_on [11];
    snprintf (submitted_on, sizeof submitted_on, "%s",
              PQntuples (res)? PQgetvalue (res, 0, 2): "");
    PQclear (res);
    if (refused) {
        npo_db_rollback (self->db);
        if (refused == 1)
            npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "report_not_found",
                             "no report of %s for %u was submitted", cmd->uscc, cmd->year);
        else
        if (refused == 2)
            npo_reply_error (reply, CONFLICT, "already_reviewed",
                             "the report for %u was already reviewed with another result",
                             cmd->year);
        else
        if (refused == 4)
            npo_reply_error (reply, BAD, "invalid_date",
                             "reviewed_on: %s is before the report was submitted (%s)",
                             reviewed_on, submitted_on);
        else {
            res = npo_db_exec (self->db, "SELECT " REPORT_COLUMNS " FROM reports"
                               " WHERE uscc = $1 AND year = $2", 2, key);
            if (!res)
                npo_reply_db_failed (self->db, reply);
            else
                s_reply_report (reply, res);
            PQclear (res);
        }
        return;
    }
    const char *params [7] = { cmd->uscc, year, cmd->result,
                               *cmd->rectification? cmd->rectification: NULL,
                               *deadline? deadline: NULL, reviewed_on, request->actor };
    res = npo_db_exec (self->db,
        "UPDATE reports SET status = 'reviewed', result = $3, rectification = $4,"
        " rectification_deadline = $5, reviewed_on = $6, reviewed_by = $7, updated_at = now ()"
        " WHERE uscc = $1 AND year = $2"
        " RETURNING " REPORT_COLUMNS ", total_assets::text, total_liabilities::text,"
        " (total_assets - total_liabilities)::text, income::text, expenses::text", 7, params);
    if (!res || PQntuples (res) != 1) {
        PQclear (res);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    Npo__PublicFinance finance = NPO__PUBLIC_FINANCE__INIT;
    char **money [5] = { &finance.total_assets, &finance.total_liabilities, &finance.net_assets,
                         &finance.income, &finance.expenses };
    for (int i = 0; i < 5; i++)
        *money [i] = PQgetvalue (res, 0, 12 + i);
    Npo__ResultRecorded event = NPO__RESULT_RECORDED__INIT;
    event.uscc = org.uscc;
    event.name = org.name;
    event.year = cmd->year;
    event.kind = PQgetvalue (res, 0, 3);
    event.result = cmd->result;
    event.rectification = cmd->rectification;
    event.rectification_deadline = (char *) deadline;
    event.reviewed_on = (char *) reviewed_on;
    event.finance = &finance;
    if (!npo_outbox_append (self->outbox, "inspection.result_recorded", org.uscc, org.division,
                            request->actor, &event.base)
    ||  npo_db_commit (self->db)) {
        PQclear (res);
        npo_reply_db_failed (self->db, reply);
        return;
    }
    s_reply_report (reply, res);
    PQclear (res);
    log_info ("report %u of %s reviewed: %s", cmd->year, cmd->uscc, cmd->result);
}

//  ---------------------------------------------------------------------
//  The deadline sweep

//  Marks one batch of owing organizations not_filed and appends their events
//  in one transaction. Returns the number marked (0: done), or -1.
static long long
s_sweep_batch (insp_t *self, const char *actor, const char *year, const char *as_of,
               uint64_t *recommended)
{
    char limit [12];
    snprintf (limit, sizeof limit, "%d", SWEEP_BATCH);
    const char *params [3] = { year, as_of, limit };
    if (npo_db_begin (self->db))
        return -1;
    //  Owing: active, registered 6 months or more at 31 December of the year
    //  (registered on or before 30 June), and no report for the year
    PGresult *res = npo_db_exec (self->db,
        "WITH owing AS ("
        "  SELECT o.uscc, coalesce ((SELECT kind FROM reports p WHERE p.uscc = o.uscc"
        "    ORDER BY year DESC LIMIT 1), 'annual_inspection') AS kind FROM orgs o"
        "  WHERE o.status = 'active'"
        "  AND o.approved_on <= make_date ($1::int, 12, 31) - interval '6 months'"
        "  AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.uscc = o.uscc AND r.year = $1::int)"
        "  ORDER BY o.uscc LIMIT $3::int),"
        " ins AS (INSERT INTO reports (uscc, year, kind, status, result, marked_on)"
        "  SELECT uscc, $1::int, kind, 'not_filed', 'not_filed', $2::date FROM owing"
        "  ON CONFLICT (uscc, year) DO NOTHING RETURNING uscc)"
        " SELECT o.uscc, o.name, o.authority_division,"
        "   (SELECT min (p.year) FROM reports p WHERE p.uscc = o.uscc"
        "    AND p.year IN ($1::int - 1, $1::int + 1) AND p.marked_on IS NOT NULL),"
        "   owing.kind"
        " FROM ins JOIN orgs o USING (uscc) JOIN owing USING (uscc) ORDER BY o.uscc", 3, params);
    if (!res)
        return -1;
    int rows = PQntuples (res);
    uint32_t y = (uint32_t) atoi (year);
    char deadline [11];
    snprintf (deadline, sizeof deadline, "%u-05-31", y + 1);
    for (int i = 0; i < rows; i++) {
        char *uscc = PQgetvalue (res, i, 0), *name = PQgetvalue (res, i, 1),
             *division = PQgetvalue (res, i, 2);
        Npo__NotFiled event = NPO__NOT_FILED__INIT;
        event.uscc = uscc;
        event.name = name;
        event.year = y;
        event.kind = PQgetvalue (res, i, 4);
        event.deadline = deadline;
        event.marked_on = (char *) as_of;
        if (!npo_outbox_append (self->outbox, "inspection.not_filed", uscc, division, actor,
                                &event.base)) {
            PQclear (res);
            return -1;
        }
        //  Not filed the year before or after (a sweep of an earlier year run
        //  late) as well: two consecutive years
        if (PQgetisnull (res, i, 3))
            continue;
        uint32_t other = (uint32_t) atoi (PQgetvalue (res, i, 3));
        uint32_t years [2] = { other < y? other: y, other < y? y: other };
        Npo__RevocationRecommended recommend = NPO__REVOCATION_RECOMMENDED__INIT;
        recommend.uscc = uscc;
        recommend.name = name;
        recommend.n_years = 2;
        recommend.years = years;
        recommend.marked_on = (char *) as_of;
        if (!npo_outbox_append (self->outbox, "inspection.revocation_recommended", uscc,
                                division, actor, &recommend.base)) {
            PQclear (res);
            return -1;
        }
        (*recommended)++;
        log_warn ("%s: annual report not filed for %u and %u: revocation recommended", uscc,
                  years [0], years [1]);
    }
    PQclear (res);
    if (npo_db_commit (self->db))
        return -1;
    return rows;
}

void
insp_sweep (insp_t *self, const Npo__Request *request, Npo__Reply *reply)
{
    const Npo__Sweep *cmd = request->sweep;
    if (strcmp (self->actor.role, "ministry") != 0) {
        npo_reply_error (reply, NPO__STATUS__STATUS_FORBIDDEN, "forbidden",
                         "the deadline sweep is national: ministry only");
        return;
    }
    char today [11];
    const char *as_of = npo_date_or_today (cmd->as_of, today);
    if (!npo_date_valid (as_of)) {
        npo_reply_error (reply, BAD, "invalid_date", "as_of: a date YYYY-MM-DD up to today");
        return;
    }
    //  The report for Y is due by 31 May of Y+1: late from 1 June
    int as_of_year = atoi (as_of);
    int due_year = strcmp (as_of + 5, "05-31") > 0? as_of_year - 1: as_of_year - 2;
    uint32_t y = cmd->year? cmd->year: (uint32_t) due_year;
    if (y < 1950 || (int) y > due_year) {
        npo_reply_error (reply, CONFLICT, "deadline_not_passed",
                         "year %u: its deadline (31 May %u) has not passed on %s", y, y + 1,
                         as_of);
        return;
    }
    snprintf (self->target, sizeof self->target, "year %u as of %s", y, as_of);
    char year [12];
    snprintf (year, sizeof year, "%u", y);
    uint64_t marked = 0, recommended = 0;
    while (true) {
        long long n = s_sweep_batch (self, request->actor, year, as_of, &recommended);
        if (n < 0) {
            npo_reply_db_failed (self->db, reply);
            log_error ("sweep of %u stopped after %llu marked: %s", y,
                       (unsigned long long) marked, npo_db_errmsg (self->db));
            return;
        }
        marked += (uint64_t) n;
        if (n < SWEEP_BATCH)
            break;
    }
    uint64_t expired = 0;
    if (insp_expire_grades (self, as_of, request->actor, &expired)) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    const char *params [1] = { year };
    PGresult *res = npo_db_exec (self->db,
        "SELECT count (*) FROM orgs WHERE status = 'active'"
        " AND approved_on <= make_date ($1::int, 12, 31) - interval '6 months'", 1, params);
    if (!res) {
        npo_reply_db_failed (self->db, reply);
        return;
    }
    Npo__SweepReply *body = malloc (sizeof *body);
    if (!body)
        abort ();
    npo__sweep_reply__init (body);
    body->year = y;
    body->marked = marked;
    body->recommended = recommended;
    body->owing = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    body->expired = expired;
    PQclear (res);
    reply->body_case = NPO__REPLY__BODY_SWEEP;
    reply->sweep = body;
    log_info ("sweep of %u as of %s: %llu marked not_filed, %llu revocations recommended,"
              " %llu grades expired", y, as_of, (unsigned long long) marked,
              (unsigned long long) recommended, (unsigned long long) expired);
}
