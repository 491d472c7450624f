/*  party.c - npoctl's verb for npo-party: party organizations and members
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "npoctl.h"

int
ctl_party (ctl_t *ctl, int argc, char **argv)
{
    const char *what = argc > 0? argv [0]: "";
    Npo__Request request = NPO__REQUEST__INIT;
    char *file = NULL;
    opt_t file_opt [] = { { "--file", &file, NULL } };
    if (strcmp (what, "save") == 0 || strcmp (what, "admit") == 0) {
        int rc = ctl_options ("party", argc, argv, 1, file_opt, 1);
        if (rc || !file)
            return rc? rc: ctl_usage_error ("party", "%s needs --file FILE.json", what);
        if (*what == 's') {
            Npo__SavePartyOrg cmd = NPO__SAVE_PARTY_ORG__INIT;
            request.body_case = NPO__REQUEST__BODY_SAVE_PARTY_ORG;
            request.save_party_org = &cmd;
            return ctl_send_file (ctl, "party", file, &npo__party_org__descriptor, &request,
                                (void **) &cmd.party_org);
        }
        Npo__SaveMember cmd = NPO__SAVE_MEMBER__INIT;
        request.body_case = NPO__REQUEST__BODY_SAVE_MEMBER;
        request.save_member = &cmd;
        return ctl_send_file (ctl, "party", file, &npo__party_member__descriptor, &request,
                            (void **) &cmd.member);
    }
    char today [11];
    if (strcmp (what, "dissolve") == 0) {
        Npo__DissolvePartyOrg cmd = NPO__DISSOLVE_PARTY_ORG__INIT;
        opt_t opts [] = { { "--uscc", &cmd.uscc, NULL }, { "--reason", &cmd.reason, NULL },
                          { "--on", &cmd.dissolved_on, NULL } };
        int rc = ctl_options ("party", argc, argv, 1, opts, 3);
        if (rc || !*cmd.uscc || !*cmd.reason)
            return rc? rc: ctl_usage_error ("party", "%s", "dissolve needs --uscc and --reason");
        cmd.dissolved_on = (char *) npo_date_or_today (cmd.dissolved_on, today);
        request.body_case = NPO__REQUEST__BODY_DISSOLVE_PARTY_ORG;
        request.dissolve_party_org = &cmd;
        return ctl_run (ctl, "party", &request);
    }
    if (strcmp (what, "transfer-out") == 0) {
        Npo__TransferMemberOut cmd = NPO__TRANSFER_MEMBER_OUT__INIT;
        opt_t opts [] = { { "--uscc", &cmd.uscc, NULL }, { "--id-type", &cmd.id_type, NULL },
                          { "--id", &cmd.id_number, NULL }, { "--to", &cmd.to, NULL },
                          { "--on", &cmd.on, NULL } };
        int rc = ctl_options ("party", argc, argv, 1, opts, 5);
        if (rc || !*cmd.uscc || !*cmd.id_type || !*cmd.id_number || !*cmd.to)
            return rc? rc: ctl_usage_error ("party", "%s",
                                            "transfer-out needs --uscc, --id-type, --id and --to");
        cmd.on = (char *) npo_date_or_today (cmd.on, today);
        //  --id -: the number from standard input, kept off the command line
        char number [64];
        if (strcmp (cmd.id_number, "-") == 0) {
            if (!fgets (number, sizeof number, stdin))
                return ctl_usage_error ("party", "%s", "--id -: no number on standard input");
            number [strcspn (number, "\r\n")] = 0;
            cmd.id_number = number;
        }
        request.body_case = NPO__REQUEST__BODY_TRANSFER_MEMBER_OUT;
        request.transfer_member_out = &cmd;
        return ctl_run (ctl, "party", &request);
    }
    if (strcmp (what, "findings") == 0) {
        Npo__PartyFindings cmd = NPO__PARTY_FINDINGS__INIT;
        opt_t opts [] = { { "--division", &cmd.division_prefix, NULL } };
        int rc = ctl_options ("party", argc, argv, 1, opts, 1);
        if (rc)
            return rc;
        request.body_case = NPO__REQUEST__BODY_PARTY_FINDINGS;
        request.party_findings = &cmd;
        return ctl_run (ctl, "party", &request);
    }
    if ((strcmp (what, "show") == 0 || strcmp (what, "members") == 0) && argc == 2) {
        if (!uscc_valid (argv [1])) {
            fprintf (stderr, "npoctl party: invalid_uscc: \"%s\" is not a valid unified social"
                             " credit code (GB 32100)\n", argv [1]);
            return EXIT_REFUSED;
        }
        Npo__GetPartyOrg get = NPO__GET_PARTY_ORG__INIT;
        Npo__ListMembers list = NPO__LIST_MEMBERS__INIT;
        get.uscc = list.uscc = argv [1];
        if (*what == 's') {
            request.body_case = NPO__REQUEST__BODY_GET_PARTY_ORG;
            request.get_party_org = &get;
        }
        else {
            request.body_case = NPO__REQUEST__BODY_LIST_MEMBERS;
            request.list_members = &list;
        }
        return ctl_run (ctl, "party", &request);
    }
    return ctl_usage_error ("party", "%s", "expected save, dissolve, show, admit, transfer-out,"
                            " members or findings");
}
