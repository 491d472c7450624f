/*  inspection.c - npoctl's verbs for npo-inspection: inspection, evaluation,
 *  audit
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "npoctl.h"
#include "pbjson.h"

//  Reads a year: 1950 to 2199. Returns 0, or -1.
static int
s_year (const char *text, uint32_t *year)
{
    char *end;
    unsigned long y = strtoul (text, &end, 10);
    if (!*text || *end || y < 1950 || y > 2199)
        return -1;
    *year = (uint32_t) y;
    return 0;
}

//  Asks for an organization's inspection record; prints field (or all).
static int
s_show (ctl_t *ctl, const char *verb, const char *uscc, const char *field)
{
    if (!uscc_valid (uscc)) {
        fprintf (stderr, "npoctl %s: invalid_uscc: \"%s\" is not a valid unified social credit"
                         " code (GB 32100)\n", verb, uscc);
        return EXIT_REFUSED;
    }
    Npo__GetInspectionRecord get = NPO__GET_INSPECTION_RECORD__INIT;
    get.uscc = (char *) uscc;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_GET_INSPECTION_RECORD;
    request.get_inspection_record = &get;
    if (!field)
        return ctl_run (ctl, "inspection", &request);
    int status;
    Npo__Reply *reply = ctl_call (ctl, "inspection", &request, &status);
    if (!reply)
        return status;
    json_t *record = npo_pb_to_json (&reply->inspection_record->base);
    ctl_print_json (json_object_get (record, field));
    json_decref (record);
    npo__reply__free_unpacked (reply, NULL);
    return 0;
}

int
ctl_inspection (ctl_t *ctl, int argc, char **argv)
{
    const char *what = argc > 0? argv [0]: "";
    Npo__Request request = NPO__REQUEST__INIT;
    if (strcmp (what, "submit") == 0) {
        char *file = NULL;
        opt_t opts [] = { { "--file", &file, NULL } };
        int rc = ctl_options ("inspection", argc, argv, 1, opts, 1);
        if (rc)
            return rc;
        if (!file)
            return ctl_usage_error ("inspection", "%s", "submit needs --file REPORT.json");
        Npo__Report *report = (Npo__Report *) ctl_load_message (file, &npo__report__descriptor);
        if (!report)
            return EXIT_REFUSED;
        //  Dates are filled here, so a retry on another day is the same command
        if (!*report->submitted_on) {
            report->submitted_on = malloc (11);
            if (!report->submitted_on)
                abort ();
            npo_today (report->submitted_on);
        }
        Npo__SubmitReport cmd = NPO__SUBMIT_REPORT__INIT;
        cmd.report = report;
        request.body_case = NPO__REQUEST__BODY_SUBMIT_REPORT;
        request.submit_report = &cmd;
        rc = ctl_run (ctl, "inspection", &request);
        npo__report__free_unpacked (report, NULL);
        return rc;
    }
    if (strcmp (what, "review") == 0) {
        Npo__ReviewReport cmd = NPO__REVIEW_REPORT__INIT;
        char *year = NULL;
        opt_t opts [] = {
            { "--uscc", &cmd.uscc, NULL }, { "--year", &year, NULL },
            { "--result", &cmd.result, NULL }, { "--rectification", &cmd.rectification, NULL },
            { "--deadline", &cmd.rectification_deadline, NULL },
            { "--on", &cmd.reviewed_on, NULL },
        };
        int rc = ctl_options ("inspection", argc, argv, 1, opts, sizeof opts / sizeof opts [0]);
        if (rc)
            return rc;
        if (!*cmd.uscc || !year || !*cmd.result)
            return ctl_usage_error ("inspection", "%s", "review needs --uscc, --year and --result");
        if (s_year (year, &cmd.year))
            return ctl_usage_error ("inspection", "invalid year \"%s\"", year);
        char today [11];
        cmd.reviewed_on = (char *) npo_date_or_today (cmd.reviewed_on, today);
        request.body_case = NPO__REQUEST__BODY_REVIEW_REPORT;
        request.review_report = &cmd;
        return ctl_run (ctl, "inspection", &request);
    }
    if (strcmp (what, "sweep") == 0) {
        Npo__Sweep cmd = NPO__SWEEP__INIT;
        char *year = NULL;
        opt_t opts [] = { { "--as-of", &cmd.as_of, NULL }, { "--year", &year, NULL } };
        int rc = ctl_options ("inspection", argc, argv, 1, opts, 2);
        if (rc)
            return rc;
        if (year && s_year (year, &cmd.year))
            return ctl_usage_error ("inspection", "invalid year \"%s\"", year);
        request.body_case = NPO__REQUEST__BODY_SWEEP;
        request.sweep = &cmd;
        return ctl_run (ctl, "inspection", &request);
    }
    if (strcmp (what, "show") == 0 && argc == 2)
        return s_show (ctl, "inspection", argv [1], NULL);
    return ctl_usage_error ("inspection", "%s", "expected submit, review, sweep or show USCC");
}

int
ctl_evaluation (ctl_t *ctl, int argc, char **argv)
{
    if (argc == 2 && strcmp (argv [0], "list") == 0)
        return s_show (ctl, "evaluation", argv [1], "evaluations");
    if (argc < 1 || strcmp (argv [0], "record") != 0)
        return ctl_usage_error ("evaluation", "%s", "expected record or list USCC");
    Npo__Evaluation e = NPO__EVALUATION__INIT;
    opt_t opts [] = {
        { "--uscc", &e.uscc, NULL }, { "--grade", &e.grade, NULL },
        { "--evaluator", &e.evaluator, NULL }, { "--category", &e.social_group_category, NULL },
        { "--charity", NULL, &e.is_charity }, { "--on", &e.valid_from, NULL },
    };
    int rc = ctl_options ("evaluation", argc, argv, 1, opts, sizeof opts / sizeof opts [0]);
    if (rc)
        return rc;
    if (!*e.uscc || !*e.grade || !*e.evaluator)
        return ctl_usage_error ("evaluation", "%s", "record needs --uscc, --grade and --evaluator");
    char today [11];
    e.valid_from = (char *) npo_date_or_today (e.valid_from, today);
    Npo__RecordEvaluation cmd = NPO__RECORD_EVALUATION__INIT;
    cmd.evaluation = &e;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_RECORD_EVALUATION;
    request.record_evaluation = &cmd;
    return ctl_run (ctl, "inspection", &request);
}

int
ctl_audit (ctl_t *ctl, int argc, char **argv)
{
    if (argc == 2 && strcmp (argv [0], "list") == 0)
        return s_show (ctl, "audit", argv [1], "audits");
    if (argc != 3 || strcmp (argv [0], "record") || strcmp (argv [1], "--file"))
        return ctl_usage_error ("audit", "%s", "expected record --file AUDIT.json or list USCC");
    Npo__RecordAudit cmd = NPO__RECORD_AUDIT__INIT;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_RECORD_AUDIT;
    request.record_audit = &cmd;
    return ctl_send_file (ctl, "inspection", argv [2], &npo__audit__descriptor, &request,
                          (void **) &cmd.audit);
}
