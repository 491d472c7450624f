/*  credit.c - npoctl's verbs for npo-credit: penalty, case, list, credit
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "npoctl.h"

int
ctl_penalty (ctl_t *ctl, int argc, char **argv)
{
    bool fundraising = argc == 3 && strcmp (argv [0], "fundraising") == 0;
    if (argc != 3 || (strcmp (argv [0], "record") && !fundraising) || strcmp (argv [1], "--file"))
        return ctl_usage_error ("penalty", "%s",
                                "expected: penalty (record | fundraising) --file PENALTY.json");
    Npo__Request request = NPO__REQUEST__INIT;
    if (fundraising) {
        Npo__RecordFundraisingPenalty cmd = NPO__RECORD_FUNDRAISING_PENALTY__INIT;
        request.body_case = NPO__REQUEST__BODY_RECORD_FUNDRAISING_PENALTY;
        request.record_fundraising_penalty = &cmd;
        return ctl_send_file (ctl, "credit", argv [2],
                            &npo__fundraising_penalty__descriptor, &request,
                            (void **) &cmd.penalty);
    }
    Npo__RecordPenalty cmd = NPO__RECORD_PENALTY__INIT;
    request.body_case = NPO__REQUEST__BODY_RECORD_PENALTY;
    request.record_penalty = &cmd;
    return ctl_send_file (ctl, "credit", argv [2], &npo__penalty__descriptor, &request,
                        (void **) &cmd.penalty);
}

int
ctl_case (ctl_t *ctl, int argc, char **argv)
{
    if (argc != 3 || strcmp (argv [0], "record") || strcmp (argv [1], "--file"))
        return ctl_usage_error ("case", "%s", "expected: case record --file CASE.json");
    Npo__RecordCase cmd = NPO__RECORD_CASE__INIT;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_RECORD_CASE;
    request.record_case = &cmd;
    return ctl_send_file (ctl, "credit", argv [2], &npo__case_filing__descriptor, &request,
                        (void **) &cmd.filing);
}

int
ctl_list (ctl_t *ctl, int argc, char **argv)
{
    const char *what = argc > 0? argv [0]: "";
    Npo__Request request = NPO__REQUEST__INIT;
    if (strcmp (what, "add") == 0) {
        Npo__AddListing cmd = NPO__ADD_LISTING__INIT;
        char *ground = NULL;
        //  --fact may be given several times
        char *facts [20];
        cmd.facts = facts;
        int rest = 1;
        char **args = calloc ((size_t) argc + 1, sizeof *args);
        if (!args)
            abort ();
        for (int i = 1; i < argc; i++) {
            if (strcmp (argv [i], "--fact") == 0 && i + 1 < argc && cmd.n_facts < 20)
                facts [cmd.n_facts++] = argv [++i];
            else
                args [rest++] = argv [i];
        }
        opt_t opts [] = {
            { "--uscc", &cmd.uscc, NULL }, { "--list", &cmd.list, NULL },
            { "--ground", &ground, NULL }, { "--reason", &cmd.reason, NULL },
            { "--on", &cmd.listed_on, NULL },
        };
        int rc = ctl_options ("list", rest, args, 1, opts, sizeof opts / sizeof opts [0]);
        free (args);
        if (rc)
            return rc;
        char *end = "";
        cmd.ground = ground? (uint32_t) strtoul (ground, &end, 10): 0;
        if (!*cmd.uscc || !*cmd.list || !ground || *end || !*cmd.reason)
            return ctl_usage_error ("list", "%s",
                                    "add needs --uscc, --list, --ground N and --reason");
        //  Dates are filled here, so a retry on another day is the same command
        char today [11];
        cmd.listed_on = (char *) npo_date_or_today (cmd.listed_on, today);
        request.body_case = NPO__REQUEST__BODY_ADD_LISTING;
        request.add_listing = &cmd;
        return ctl_run (ctl, "credit", &request);
    }
    if (strcmp (what, "remove") == 0) {
        Npo__RemoveListing cmd = NPO__REMOVE_LISTING__INIT;
        char *id = NULL;
        opt_t opts [] = {
            { "--listing", &id, NULL }, { "--reason", &cmd.reason, NULL },
            { "--on", &cmd.removed_on, NULL }, { "--correction", NULL, &cmd.correction },
        };
        int rc = ctl_options ("list", argc, argv, 1, opts, sizeof opts / sizeof opts [0]);
        if (rc)
            return rc;
        char *end = "";
        cmd.listing_id = id? strtoull (id, &end, 10): 0;
        if (!cmd.listing_id || *end || !*cmd.reason)
            return ctl_usage_error ("list", "%s", "remove needs --listing ID and --reason");
        char today [11];
        cmd.removed_on = (char *) npo_date_or_today (cmd.removed_on, today);
        request.body_case = NPO__REQUEST__BODY_REMOVE_LISTING;
        request.remove_listing = &cmd;
        return ctl_run (ctl, "credit", &request);
    }
    return ctl_usage_error ("list", "%s", "expected add or remove");
}

int
ctl_credit (ctl_t *ctl, int argc, char **argv)
{
    Npo__Request request = NPO__REQUEST__INIT;
    if (argc >= 1 && strcmp (argv [0], "sweep") == 0) {
        Npo__CreditSweep cmd = NPO__CREDIT_SWEEP__INIT;
        opt_t opts [] = { { "--as-of", &cmd.as_of, NULL } };
        int rc = ctl_options ("credit", argc, argv, 1, opts, 1);
        if (rc)
            return rc;
        request.body_case = NPO__REQUEST__BODY_CREDIT_SWEEP;
        request.credit_sweep = &cmd;
        return ctl_run (ctl, "credit", &request);
    }
    if (argc == 2 && strcmp (argv [0], "show") == 0) {
        if (!uscc_valid (argv [1])) {
            fprintf (stderr, "npoctl credit: invalid_uscc: \"%s\" is not a valid unified social"
                             " credit code (GB 32100)\n", argv [1]);
            return EXIT_REFUSED;
        }
        Npo__GetCreditRecord cmd = NPO__GET_CREDIT_RECORD__INIT;
        cmd.uscc = argv [1];
        request.body_case = NPO__REQUEST__BODY_GET_CREDIT_RECORD;
        request.get_credit_record = &cmd;
        return ctl_run (ctl, "credit", &request);
    }
    return ctl_usage_error ("credit", "%s", "expected sweep [--as-of DATE] or show USCC");
}
