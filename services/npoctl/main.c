/*  npoctl - the operators' and provinces' command-line client
 *
 *  npoctl [--timeout MS] VERB [ARGS]; --help on every verb. Records go in and
 *  out as JSON. Exit status: 0 done, 1 refused or failed, 2 usage, 3 a
 *  service did not answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "bus.h"
#include "codes.h"
#include "config.h"
#include "log.h"
#include "pbjson.h"
#include "certpdf.h"
#include "npoctl.h"

int
ctl_usage_error (const char *verb, const char *fmt, const char *arg)
{
    fprintf (stderr, "npoctl %s: ", verb);
    fprintf (stderr, fmt, arg);
    fprintf (stderr, " (npoctl %s --help)\n", verb);
    return EXIT_USAGE;
}

//  Sends request to service; on success returns the reply (caller frees).
//  On failure prints one line and sets *status to the exit status.
Npo__Reply *
ctl_call (ctl_t *ctl, const char *service, Npo__Request *request, int *status)
{
    const char *endpoint = npo_config_endpoint (service, "router");
    if (!ctl->client || strcmp (ctl->service, service) != 0) {
        npo_client_destroy (&ctl->client);
        ctl->client = npo_client_new (NULL, endpoint, ctl->timeout_ms);
        ctl->service = service;
    }
    request->actor = (char *) ctl->actor;
    Npo__Reply *reply = ctl->client? npo_client_call (ctl->client, request): NULL;
    if (!reply) {
        fprintf (stderr, "npoctl: %s did not answer at %s within %d ms\n",
                 service, endpoint, ctl->timeout_ms);
        *status = EXIT_UNREACHABLE;
        return NULL;
    }
    if (reply->status != NPO__STATUS__STATUS_OK) {
        fprintf (stderr, "npoctl: %s: %s (%s)\n", npo_status_name (reply->status),
                 reply->error_message, reply->error_code);
        *status = reply->status == NPO__STATUS__STATUS_UNAVAILABLE? EXIT_UNREACHABLE:
                                                                   EXIT_REFUSED;
        npo__reply__free_unpacked (reply, NULL);
        return NULL;
    }
    *status = 0;
    return reply;
}

int
ctl_options (const char *verb, int argc, char **argv, int first, const opt_t *opts, size_t n)
{
    for (int i = first; i < argc; i++) {
        size_t k = 0;
        while (k < n && strcmp (argv [i], opts [k].name) != 0)
            k++;
        if (k == n)
            return ctl_usage_error (verb, "unexpected argument \"%s\"", argv [i]);
        if (opts [k].flag)
            *opts [k].flag = 1;
        else
        if (i + 1 < argc)
            *opts [k].value = argv [++i];
        else
            return ctl_usage_error (verb, "%s needs a value", argv [i]);
    }
    return 0;
}

int
ctl_send_file (ctl_t *ctl, const char *service, const char *file,
               const ProtobufCMessageDescriptor *desc, Npo__Request *request, void **slot)
{
    ProtobufCMessage *msg = ctl_load_message (file, desc);
    if (!msg)
        return EXIT_REFUSED;
    *slot = msg;
    int rc = ctl_run (ctl, service, request);
    protobuf_c_message_free_unpacked (msg, NULL);
    *slot = NULL;
    return rc;
}

void
ctl_print_json (json_t *json)
{
    char *text = json_dumps (json, JSON_COMPACT);
    if (text)
        puts (text);
    free (text);
}

//  Sends request to service and prints the reply's body as one JSON line.
//  Returns the exit status.
int
ctl_run (ctl_t *ctl, const char *service, Npo__Request *request)
{
    int status;
    Npo__Reply *reply = ctl_call (ctl, service, request, &status);
    if (!reply)
        return status;
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field
        (&npo__reply__descriptor, (unsigned) reply->body_case);
    json_t *out = npo_pb_to_json (&reply->base);
    json_t *body = field? json_object_get (out, field->name): NULL;
    ctl_print_json (body? body: out);
    json_decref (out);
    npo__reply__free_unpacked (reply, NULL);
    return 0;
}

//  Accepts (受理) and approves application id. Returns the approval's reply,
//  or NULL with *status set (the failure printed).
static Npo__Reply *
s_accept_and_approve (ctl_t *ctl, uint64_t id, const char *decided_on, int *status)
{
    Npo__AcceptApplication accept = NPO__ACCEPT_APPLICATION__INIT;
    accept.application_id = id;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_ACCEPT_APPLICATION;
    request.accept_application = &accept;
    Npo__Reply *reply = ctl_call (ctl, "registry", &request, status);
    if (!reply)
        return NULL;
    npo__reply__free_unpacked (reply, NULL);
    Npo__DecideApplication decide = NPO__DECIDE_APPLICATION__INIT;
    decide.application_id = id;
    decide.approve = true;
    decide.decided_on = (char *) decided_on;
    request.body_case = NPO__REQUEST__BODY_DECIDE_APPLICATION;
    request.decide_application = &decide;
    return ctl_call (ctl, "registry", &request, status);
}

//  Submits an application, approving it when asked; prints the outcome as
//  one JSON line. Returns the exit status.
static int
s_submit (ctl_t *ctl, Npo__SubmitApplication *submit, bool approve, const char *decided_on,
          const char *where)
{
    int status;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_SUBMIT_APPLICATION;
    request.submit_application = submit;
    Npo__Reply *reply = ctl_call (ctl, "registry", &request, &status);
    if (!reply) {
        fprintf (stderr, "npoctl: %s: not submitted\n", where);
        return status;
    }
    uint64_t id = reply->application->application_id;
    bool decided = strcmp (reply->application->status, "approved") == 0;
    if (approve && !decided) {
        npo__reply__free_unpacked (reply, NULL);
        reply = s_accept_and_approve (ctl, id, decided_on, &status);
        if (!reply) {
            fprintf (stderr, "npoctl: %s: application %llu submitted but not approved\n",
                     where, (unsigned long long) id);
            return status;
        }
    }
    json_t *out = npo_pb_to_json (&reply->application->base);
    if (!*reply->application->uscc)
        json_object_del (out, "uscc");
    ctl_print_json (out);
    json_decref (out);
    npo__reply__free_unpacked (reply, NULL);
    return 0;
}

//  ---------------------------------------------------------------------
//  register

//  Submits one application (a JSON object: BasicInfo fields and the extras
//  below), and approves it when asked. Prints the outcome.
static int
s_register_one (ctl_t *ctl, json_t *record, bool approve, const char *where)
{
    char err [256];
    int status = EXIT_REFUSED;
    Npo__SubmitApplication *submit = malloc (sizeof *submit);
    Npo__BasicInfo *basic = malloc (sizeof *basic);
    if (!submit || !basic)
        abort ();
    npo__submit_application__init (submit);
    npo__basic_info__init (basic);
    submit->basic = basic;
    //  Besides the basic-information fields: idempotency_key, charter,
    //  received_on (a backdated receipt) and approved_on (the decision's date)
    static const char *extra [] = { "idempotency_key", "charter", "received_on", "approved_on" };
    char *approved_on = NULL;
    char **slots [4] = { &submit->idempotency_key, &submit->charter, &submit->received_on,
                         &approved_on };
    json_t *fields = json_deep_copy (record);
    for (int i = 0; i < 4; i++) {
        json_t *value = json_object_get (record, extra [i]);
        if (value && !json_is_string (value)) {
            fprintf (stderr, "npoctl: %s: %s: expected a string\n", where, extra [i]);
            goto done;
        }
        if (value)
            *slots [i] = npo_strdup (json_string_value (value));
        json_object_del (fields, extra [i]);
    }
    if (npo_pb_from_json (fields, &basic->base, err, sizeof err)) {
        fprintf (stderr, "npoctl: %s: %s\n", where, err);
        goto done;
    }
    status = s_submit (ctl, submit, approve, approved_on, where);
done:
    free (approved_on);
    json_decref (fields);
    npo__submit_application__free_unpacked (submit, NULL);
    return status;
}

static int
s_register (ctl_t *ctl, int argc, char **argv)
{
    const char *file = NULL;
    bool approve = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp (argv [i], "--file") == 0 && i + 1 < argc)
            file = argv [++i];
        else
        if (strcmp (argv [i], "--approve") == 0)
            approve = true;
        else
            return ctl_usage_error ("register", "unexpected argument \"%s\"", argv [i]);
    }
    if (!file)
        return ctl_usage_error ("register", "%s", "--file is required");
    FILE *in = strcmp (file, "-") == 0? stdin: fopen (file, "r");
    if (!in) {
        fprintf (stderr, "npoctl: could not open %s: %s\n", file, strerror (errno));
        return EXIT_REFUSED;
    }
    //  One JSON object, or several one after another (JSON Lines)
    int worst = 0, count = 0, failed = 0;
    while (true) {
        int c;
        while ((c = fgetc (in)) == ' ' || c == '\n' || c == '\r' || c == '\t')
            ;
        if (c == EOF)
            break;
        ungetc (c, in);
        json_error_t jerr;
        json_t *record = json_loadf (in, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        char where [512];
        snprintf (where, sizeof where, "%s:%d", file, jerr.line > 0? jerr.line: count + 1);
        if (!record) {
            fprintf (stderr, "npoctl: %s: invalid JSON: %s\n", where, jerr.text);
            worst = EXIT_REFUSED;
            failed++;
            break;          //  the rest of the stream cannot be trusted
        }
        snprintf (where, sizeof where, "%s: record %d", file, count + 1);
        int rc = json_is_object (record)? s_register_one (ctl, record, approve, where):
                 (fprintf (stderr, "npoctl: %s: expected a JSON object\n", where), EXIT_REFUSED);
        json_decref (record);
        count++;
        if (rc) {
            failed++;
            if (rc > worst)
                worst = rc;
            if (rc == EXIT_UNREACHABLE)
                break;
        }
    }
    if (in != stdin)
        fclose (in);
    if (count == 0 && !failed) {
        fprintf (stderr, "npoctl: %s holds no application\n", file);
        return EXIT_REFUSED;
    }
    if (failed && count > 1)
        fprintf (stderr, "npoctl: %d of %d applications failed\n", failed, count);
    return worst;
}

//  ---------------------------------------------------------------------
//  review

static int
s_review (ctl_t *ctl, int argc, char **argv)
{
    Npo__DecideApplication decide = NPO__DECIDE_APPLICATION__INIT;
    int decision = -1;
    for (int i = 0; i < argc; i++) {
        if (strcmp (argv [i], "--application") == 0 && i + 1 < argc) {
            char *end;
            decide.application_id = strtoull (argv [++i], &end, 10);
            if (*end || decide.application_id == 0)
                return ctl_usage_error ("review", "invalid application id \"%s\"", argv [i]);
        }
        else if (strcmp (argv [i], "--approve") == 0)
            decision = 1;
        else if (strcmp (argv [i], "--reject") == 0)
            decision = 0;
        else if (strcmp (argv [i], "--accept") == 0)
            decision = 2;
        else if (strcmp (argv [i], "--reason") == 0 && i + 1 < argc)
            decide.reason = argv [++i];
        else if (strcmp (argv [i], "--on") == 0 && i + 1 < argc)
            decide.decided_on = argv [++i];
        else
            return ctl_usage_error ("review", "unexpected argument \"%s\"", argv [i]);
    }
    if (!decide.application_id || decision < 0)
        return ctl_usage_error ("review", "%s",
                              "--application and --accept, --approve or --reject are required");
    decide.approve = decision == 1;
    Npo__Request request = NPO__REQUEST__INIT;
    if (decision == 2) {
        Npo__AcceptApplication accept = NPO__ACCEPT_APPLICATION__INIT;
        accept.application_id = decide.application_id;
        request.body_case = NPO__REQUEST__BODY_ACCEPT_APPLICATION;
        request.accept_application = &accept;
        return ctl_run (ctl, "registry", &request);
    }
    request.body_case = NPO__REQUEST__BODY_DECIDE_APPLICATION;
    request.decide_application = &decide;
    return ctl_run (ctl, "registry", &request);
}

//  ---------------------------------------------------------------------
//  change, deregister

//  Reads a whole file into a malloc'd string (at most max bytes). NULL on error.
static char *
s_read_file (const char *path, size_t max)
{
    FILE *in = fopen (path, "r");
    if (!in) {
        fprintf (stderr, "npoctl: could not open %s: %s\n", path, strerror (errno));
        return NULL;
    }
    char *text = malloc (max + 1);
    size_t n = text? fread (text, 1, max + 1, in): 0;
    fclose (in);
    if (!text || n > max) {
        fprintf (stderr, "npoctl: %s is larger than %zu bytes\n", path, max);
        free (text);
        return NULL;
    }
    text [n] = 0;
    return text;
}

static int
s_change (ctl_t *ctl, int argc, char **argv)
{
    Npo__SubmitApplication submit = NPO__SUBMIT_APPLICATION__INIT;
    Npo__ChangeItem items [32], *pointers [32];
    char *charter = NULL;
    bool approve = false;
    submit.kind = "change";
    submit.changes = pointers;
    int rc = EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        if (strcmp (argv [i], "--uscc") == 0 && i + 1 < argc)
            submit.uscc = argv [++i];
        else if (strcmp (argv [i], "--key") == 0 && i + 1 < argc)
            submit.idempotency_key = argv [++i];
        else if (strcmp (argv [i], "--approve") == 0)
            approve = true;
        else if ((strcmp (argv [i], "--set") == 0 || strcmp (argv [i], "--charter-file") == 0)
                 && i + 1 < argc && submit.n_changes < 32) {
            Npo__ChangeItem *item = &items [submit.n_changes];
            npo__change_item__init (item);
            if (strcmp (argv [i], "--charter-file") == 0) {
                if (charter || !(charter = s_read_file (argv [++i], 1 << 20))) {
                    rc = EXIT_REFUSED;
                    goto done;
                }
                item->item = "charter";
                item->after = charter;
            }
            else {
                char *eq = strchr (argv [++i], '=');
                if (!eq) {
                    rc = ctl_usage_error ("change", "--set expects ITEM=VALUE, not \"%s\"",
                                          argv [i]);
                    goto done;
                }
                *eq = 0;
                item->item = argv [i];
                item->after = eq + 1;
            }
            pointers [submit.n_changes++] = item;
        }
        else {
            rc = ctl_usage_error ("change", "unexpected argument \"%s\"", argv [i]);
            goto done;
        }
    }
    if (!*submit.uscc || submit.n_changes == 0) {
        rc = ctl_usage_error ("change", "%s", "--uscc and at least one --set or --charter-file");
        goto done;
    }
    rc = s_submit (ctl, &submit, approve, NULL, "change");
done:
    free (charter);
    return rc;
}

static int
s_deregister (ctl_t *ctl, int argc, char **argv)
{
    Npo__SubmitApplication submit = NPO__SUBMIT_APPLICATION__INIT;
    Npo__Deregistration dereg = NPO__DEREGISTRATION__INIT;
    bool approve = false;
    submit.kind = "deregistration";
    submit.deregistration = &dereg;
    for (int i = 0; i < argc; i++) {
        if (strcmp (argv [i], "--uscc") == 0 && i + 1 < argc)
            submit.uscc = argv [++i];
        else if (strcmp (argv [i], "--reason") == 0 && i + 1 < argc)
            dereg.reason = argv [++i];
        else if (strcmp (argv [i], "--liquidation-leader") == 0 && i + 1 < argc)
            dereg.liquidation_leader = argv [++i];
        else if (strcmp (argv [i], "--liquidation-phone") == 0 && i + 1 < argc)
            dereg.liquidation_phone = argv [++i];
        else if (strcmp (argv [i], "--key") == 0 && i + 1 < argc)
            submit.idempotency_key = argv [++i];
        else if (strcmp (argv [i], "--approve") == 0)
            approve = true;
        else
            return ctl_usage_error ("deregister", "unexpected argument \"%s\"", argv [i]);
    }
    if (!*submit.uscc || !*dereg.reason)
        return ctl_usage_error ("deregister", "%s", "--uscc and --reason are required");
    return s_submit (ctl, &submit, approve, NULL, "deregistration");
}

//  Reads one JSON object from file ("-": stdin) into a new message of desc.
//  Returns it (free with protobuf_c_message_free_unpacked), or NULL with the
//  reason printed.
ProtobufCMessage *
ctl_load_message (const char *file, const ProtobufCMessageDescriptor *desc)
{
    json_error_t jerr;
    json_t *record = strcmp (file, "-") == 0? json_loadf (stdin, JSON_REJECT_DUPLICATES, &jerr):
                     json_load_file (file, JSON_REJECT_DUPLICATES, &jerr);
    if (!record) {
        fprintf (stderr, "npoctl: %s:%d: invalid JSON: %s\n", file, jerr.line, jerr.text);
        return NULL;
    }
    ProtobufCMessage *msg = malloc (desc->sizeof_message);
    if (!msg)
        abort ();
    desc->message_init (msg);
    char err [256];
    int rc = npo_pb_from_json (record, msg, err, sizeof err);
    json_decref (record);
    if (rc) {
        fprintf (stderr, "npoctl: %s: %s\n", file, err);
        protobuf_c_message_free_unpacked (msg, NULL);
        return NULL;
    }
    return msg;
}

//  ---------------------------------------------------------------------
//  officer

static int
s_officer (ctl_t *ctl, int argc, char **argv)
{
    const char *what = argc > 0? argv [0]: "";
    Npo__Request request = NPO__REQUEST__INIT;
    if (strcmp (what, "appoint") == 0) {
        const char *file = NULL;
        Npo__AppointOfficer appoint = NPO__APPOINT_OFFICER__INIT;
        for (int i = 1; i < argc; i++) {
            if (strcmp (argv [i], "--file") == 0 && i + 1 < argc)
                file = argv [++i];
            else if (strcmp (argv [i], "--start") == 0 && i + 1 < argc)
                appoint.start_on = argv [++i];
            else
                return ctl_usage_error ("officer", "unexpected argument \"%s\"", argv [i]);
        }
        if (!file)
            return ctl_usage_error ("officer", "%s", "appoint needs --file");
        Npo__Officer *officer = (Npo__Officer *) ctl_load_message (file, &npo__officer__descriptor);
        if (!officer)
            return EXIT_REFUSED;
        appoint.officer = officer;
        request.body_case = NPO__REQUEST__BODY_APPOINT_OFFICER;
        request.appoint_officer = &appoint;
        int rc = ctl_run (ctl, "registry", &request);
        npo__officer__free_unpacked (officer, NULL);
        return rc;
    }
    Npo__EndOfficerPost end = NPO__END_OFFICER_POST__INIT;
    Npo__OfficerPositions positions = NPO__OFFICER_POSITIONS__INIT;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--id-type") == 0 && i + 1 < argc)
            end.id_type = positions.id_type = argv [++i];
        else if (strcmp (argv [i], "--id") == 0 && i + 1 < argc)
            end.id_number = positions.id_number = argv [++i];
        else if (strcmp (argv [i], "--uscc") == 0 && i + 1 < argc)
            end.org_uscc = argv [++i];
        else if (strcmp (argv [i], "--position") == 0 && i + 1 < argc)
            end.position = argv [++i];
        else if (strcmp (argv [i], "--on") == 0 && i + 1 < argc)
            end.end_on = argv [++i];
        else
            return ctl_usage_error ("officer", "unexpected argument \"%s\"", argv [i]);
    }
    if (!*end.id_type || !*end.id_number)
        return ctl_usage_error ("officer", "%s", "--id-type and --id are required");
    if (strcmp (what, "positions") == 0) {
        request.body_case = NPO__REQUEST__BODY_OFFICER_POSITIONS;
        request.officer_positions = &positions;
    }
    else
    if (strcmp (what, "end") == 0) {
        if (!*end.org_uscc || !*end.position)
            return ctl_usage_error ("officer", "%s", "end needs --uscc and --position");
        request.body_case = NPO__REQUEST__BODY_END_OFFICER_POST;
        request.end_officer_post = &end;
    }
    else
        return ctl_usage_error ("officer", "unknown action \"%s\"", what);
    return ctl_run (ctl, "registry", &request);
}

//  ---------------------------------------------------------------------
//  certificate

static int
s_certificate (ctl_t *ctl, int argc, char **argv)
{
    const char *what = argc > 0? argv [0]: "", *uscc = argc > 1? argv [1]: "";
    const char *out_path = NULL;
    const char *base = npo_config_str ("GATEWAY_URL", "http://127.0.0.1:8080");
    for (int i = 2; i < argc; i++) {
        if (strcmp (argv [i], "--out") == 0 && i + 1 < argc)
            out_path = argv [++i];
        else if (strcmp (argv [i], "--url-base") == 0 && i + 1 < argc)
            base = argv [++i];
        else
            return ctl_usage_error ("certificate", "unexpected argument \"%s\"", argv [i]);
    }
    bool print = strcmp (what, "print") == 0;
    if ((!print && strcmp (what, "show")) || !uscc_valid (uscc) || (print && !out_path))
        return ctl_usage_error ("certificate", "%s",
                              "expected: certificate show USCC"
                              " | certificate print USCC --out FILE");
    Npo__GetOrganization get = NPO__GET_ORGANIZATION__INIT;
    get.uscc = (char *) uscc;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_GET_ORGANIZATION;
    request.get_organization = &get;
    int status;
    Npo__Reply *reply = ctl_call (ctl, "registry", &request, &status);
    if (!reply)
        return status;
    const Npo__Certificate *cert = reply->organization->certificate;
    int rc = EXIT_REFUSED;
    char *url = NULL;
    if (!cert) {
        fprintf (stderr, "npoctl: %s has no certificate\n", uscc);
        goto done;
    }
    if (asprintf (&url, "%s/v1/certificates/verify?token=%s", base, cert->token) < 0)
        abort ();
    if (!print) {
        json_t *out = npo_pb_to_json (&cert->base);
        json_object_del (out, "canonical");
        json_object_set_new (out, "verify_url", json_string (url));
        ctl_print_json (out);
        json_decref (out);
        rc = 0;
        goto done;
    }
    if (strcmp (cert->status, "valid") != 0) {
        fprintf (stderr, "npoctl: certificate %s is %s: not printed\n", cert->number, cert->status);
        goto done;
    }
    npo_cert_t c = { 0 };
    char *canonical = npo_strdup (cert->canonical);
    FILE *out = NULL;
    if (npo_cert_parse_canonical (canonical, &c))
        fprintf (stderr, "npoctl: the certificate record of %s is unreadable\n", uscc);
    else
    if (!(out = fopen (out_path, "wb")))
        fprintf (stderr, "npoctl: could not open %s: %s\n", out_path, strerror (errno));
    else
    if (certpdf_write (out, &c, url))
        fprintf (stderr, "npoctl: could not write %s\n", out_path);
    else
        rc = 0;
    if (out && fclose (out) && rc == 0) {
        fprintf (stderr, "npoctl: could not write %s: %s\n", out_path, strerror (errno));
        rc = EXIT_REFUSED;
    }
    if (rc && out)
        remove (out_path);          //  nothing half-written stays behind
    free (canonical);
    if (rc == 0) {
        json_t *done_json = json_pack ("{s:s, s:s, s:s}", "file", out_path,
                                       "number", cert->number, "verify_url", url);
        ctl_print_json (done_json);
        json_decref (done_json);
    }
done:
    free (url);
    npo__reply__free_unpacked (reply, NULL);
    return rc;
}

static int
s_old_codes (ctl_t *ctl, int argc, char **argv)
{
    Npo__OldCodes codes = NPO__OLD_CODES__INIT;
    for (int i = 0; i < argc; i++) {
        if (strcmp (argv [i], "--uscc") == 0 && i + 1 < argc)
            codes.uscc = argv [++i];
        else if (strcmp (argv [i], "--org-code") == 0 && i + 1 < argc)
            codes.old_org_code = argv [++i];
        else if (strcmp (argv [i], "--certificate") == 0 && i + 1 < argc)
            codes.old_certificate_number = argv [++i];
        else
            return ctl_usage_error ("old-codes", "unexpected argument \"%s\"", argv [i]);
    }
    if (!*codes.uscc || (!*codes.old_org_code && !*codes.old_certificate_number))
        return ctl_usage_error ("old-codes", "%s", "--uscc and --org-code or --certificate");
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_RECORD_OLD_CODES;
    request.record_old_codes = &codes;
    int status;
    Npo__Reply *reply = ctl_call (ctl, "registry", &request, &status);
    if (!reply)
        return status;
    npo__reply__free_unpacked (reply, NULL);
    printf ("{\"uscc\":\"%s\",\"status\":\"recorded\"}\n", codes.uscc);
    return 0;
}

//  ---------------------------------------------------------------------
//  show, cache, ping

static int
s_show (ctl_t *ctl, int argc, char **argv)
{
    if (argc != 1)
        return ctl_usage_error ("show", "%s", "expected one USCC");
    if (!uscc_valid (argv [0])) {
        fprintf (stderr, "npoctl: invalid_uscc: \"%s\" is not a valid unified social credit "
                         "code (GB 32100)\n", argv [0]);
        return EXIT_REFUSED;
    }
    Npo__GetOrganization get = NPO__GET_ORGANIZATION__INIT;
    get.uscc = argv [0];
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_GET_ORGANIZATION;
    request.get_organization = &get;
    return ctl_run (ctl, "registry", &request);
}

static int
s_cache (ctl_t *ctl, int argc, char **argv)
{
    if (argc != 1 || strcmp (argv [0], "rebuild") != 0)
        return ctl_usage_error ("cache", "%s", "expected: npoctl cache rebuild");
    Npo__CacheRebuild rebuild = NPO__CACHE_REBUILD__INIT;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_CACHE_REBUILD;
    request.cache_rebuild = &rebuild;
    return ctl_run (ctl, "publication", &request);
}

static int
s_ping (ctl_t *ctl, int argc, char **argv)
{
    if (argc != 1 || !npo_config_endpoint (argv [0], "router"))
        return ctl_usage_error ("ping", "%s", "expected one service: registry, inspection, "
                              "party, credit or publication");
    Npo__Ping ping = NPO__PING__INIT;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_PING;
    request.ping = &ping;
    return ctl_run (ctl, argv [0], &request);
}

static const verb_t s_verbs [] = {
    { "register", s_register,
      "npoctl register --file FILE [--approve]\n"
      "  Submits establishment applications. FILE (or - for stdin) holds one JSON\n"
      "  object or JSON Lines, each with the basic-information fields of DOMAIN.md\n"
      "  section 1 (name, type, authority_division, registration_authority,\n"
      "  legal_representative, ...) and optionally \"idempotency_key\" (a retry with the\n"
      "  same key registers nothing new), \"charter\" (its text), \"received_on\" (the\n"
      "  date the authority received it, when entered later) and \"approved_on\" (the\n"
      "  approval's date with --approve). --approve also approves each one, which\n"
      "  assigns its unified social credit code. Prints one JSON line per application." },
    { "review", s_review,
      "npoctl review --application ID (--accept | --approve | --reject --reason TEXT)"
      " [--on YYYY-MM-DD]\n"
      "  Accepts (受理) an application for review, or decides it. Only an accepted\n"
      "  application can be approved; approval of an establishment assigns the code." },
    { "change", s_change,
      "npoctl change --uscc USCC (--set ITEM=VALUE)... [--charter-file FILE] [--key K]"
      " [--approve]\n"
      "  Submits a change application: ITEM is a basic-information field (name, address,\n"
      "  legal_representative, business_scope, registered_capital, activity_area, ...);\n"
      "  --charter-file submits a new charter version. --approve also accepts and approves." },
    { "deregister", s_deregister,
      "npoctl deregister --uscc USCC --reason TEXT [--liquidation-leader NAME]"
      " [--liquidation-phone P] [--key K] [--approve]\n"
      "  Submits a deregistration application (注销). --approve also accepts and approves." },
    { "officer", s_officer,
      "npoctl officer (appoint --file OFFICER.json [--start DATE] |"
      " end --uscc USCC --id-type T --id N --position P [--on DATE] |"
      " positions --id-type T --id N)\n"
      "  Officers (section 2) and their posts (section 3). OFFICER.json holds name, id_type,\n"
      "  id_number, position, org_uscc and the other section 2 fields. positions lists\n"
      "  every post the person holds or held, in every organization (兼任职 check).\n"
      "  id_type: resident_id, passport, hk_macao_permit, taiwan_permit,\n"
      "  foreign_permanent_residence, other." },
    { "certificate", s_certificate,
      "npoctl certificate (show USCC | print USCC --out FILE.pdf) [--url-base URL]\n"
      "  show prints the current registration certificate: number, status, validity and\n"
      "  the verification URL with its signed token. print writes the printable\n"
      "  certificate (PDF, A4) with a QR code of that URL. URL defaults to\n"
      "  $NPO_GATEWAY_URL." },
    { "old-codes", s_old_codes,
      "npoctl old-codes --uscc USCC [--org-code CODE] [--certificate NUMBER]\n"
      "  Maps the old organization code (GB 11714) and old certificate number of an\n"
      "  organization registered before 2016 to its code, for life; the gateway then\n"
      "  finds it at /v1/orgs/by-old-code/CODE and /v1/orgs/by-certificate/NUMBER." },
    { "inspection", ctl_inspection,
      "npoctl inspection (submit --file REPORT.json | review --uscc USCC --year Y --result R"
      " [--rectification TEXT --deadline DATE] [--on DATE] | sweep [--as-of DATE] [--year Y] |"
      " show USCC)\n"
      "  Annual inspection / annual work report (catalog sections 16, 17). REPORT.json\n"
      "  holds uscc, year, kind (annual_inspection or annual_report), submitted_on and\n"
      "  detail: basic, meetings, rules, office, party, finance (total_assets,\n"
      "  total_liabilities, income, expenses required), activities, supervision,\n"
      "  penalties (docs/inspection.md). review records the result: qualified,\n"
      "  basically_qualified or unqualified (the last two with a rectification and its\n"
      "  deadline). sweep marks not_filed every active organization owing the report\n"
      "  for Y (default: the last year whose deadline, 31 May, passed by --as-of)\n"
      "  and recommends revocation after two years running; ministry only. show\n"
      "  prints the organization's reports, evaluations and audits." },
    { "evaluation", ctl_evaluation,
      "npoctl evaluation (record --uscc USCC --grade 1A..5A --evaluator NAME [--category C]"
      " [--charity] [--on DATE] | list USCC)\n"
      "  Records an evaluation grade (等级评估, section 10), valid 5 years from --on\n"
      "  (default today). Refused, with the ground, when the organization was\n"
      "  registered less than 2 years before, was unqualified last year, basically\n"
      "  qualified two years running, penalized last year or since, is on a credit\n"
      "  list or under investigation. --category (social groups): trade_association,\n"
      "  academic, professional, federation, other." },
    { "audit", ctl_audit,
      "npoctl audit (record --file AUDIT.json | list USCC)\n"
      "  Audits (审计, section 8). AUDIT.json holds uscc, reason_category (annual,\n"
      "  leaving_office, deregistration, special, other), firm, accountant,\n"
      "  occurred_on, content, result. A change of legal representative makes a\n"
      "  leaving_office audit due (离任审计), a deregistration a deregistration audit;\n"
      "  recording one of that category completes it. list shows due ones first." },
    { "party", ctl_party,
      "npoctl party (save --file PARTY_ORG.json | dissolve --uscc USCC --reason TEXT [--on DATE]"
      " | show USCC | admit --file MEMBER.json | transfer-out --uscc USCC --id-type T --id N"
      " --to PARTY_ORG [--on DATE] | members USCC | findings [--division PREFIX])\n"
      "  Party organizations (section 5) and members (section 6): personal data, for\n"
      "  the ministry and the organization's own registrar only; every command is\n"
      "  audited. PARTY_ORG.json: uscc, party_org_name, party_org_type (committee,\n"
      "  general_branch, branch, joint_branch, provisional), founded_on,\n"
      "  parent_party_org, last_election_on, secretary_name, secretary_position_in_org,\n"
      "  member_count, contact_name, contact_phone (saving again updates it).\n"
      "  MEMBER.json: uscc and the section 6 fields (name, gender, id_type, id_number,\n"
      "  birth_date, ..., membership_status full|probationary, joined_party_on);\n"
      "  admitting a member on the register already updates them; a person on\n"
      "  another register must be transferred out there first (--id - reads the\n"
      "  number from standard input, off the command line). findings lists\n"
      "  party organizations whose member_count differs from the register." },
    { "penalty", ctl_penalty,
      "npoctl penalty (record | fundraising) --file PENALTY.json\n"
      "  record: an administrative penalty (catalog section 11): uscc, penalty_name,\n"
      "  decision_number (unique), facts, legal_basis, result (warning, fine +\n"
      "  fine_amount, confiscation, stop_activities + stop_months, revoke_registration,\n"
      "  other), authority, decided_on. revoke_registration revokes the registration\n"
      "  in the registry. The credit lists follow by rule (docs/credit.md).\n"
      "  fundraising: a charity public-fundraising penalty (section 13) with\n"
      "  party_type organization (party_uscc) or person (party_name, id_type,\n"
      "  id_number, contact: never public), and the fields above." },
    { "case", ctl_case,
      "npoctl case record --file CASE.json\n"
      "  Records a case filing (立案调查, section 12) or moves it to another stage:\n"
      "  uscc, case_number, filed_on, stage (filed, investigating, closed + closed_on),\n"
      "  authority_code, authority, authority_division. An open case makes the\n"
      "  organization ineligible for evaluation." },
    { "list", ctl_list,
      "npoctl list (add --uscc USCC --list abnormal|serious --ground N --reason TEXT"
      " [--on DATE] [--fact REF]... | remove --listing ID --reason TEXT [--on DATE]"
      " [--correction])\n"
      "  The credit lists (sections 14, 15). add lists by hand on the grounds no\n"
      "  recorded fact covers (abnormal 2, 3, 4, 6, 7; serious 2, 6, 8). remove\n"
      "  on application, checked against the rules (refused with the rule's\n"
      "  reason); --correction (ministry) removes a listing made in error." },
    { "credit", ctl_credit,
      "npoctl credit (sweep [--as-of DATE] | show USCC)\n"
      "  sweep applies the time rules as of DATE (default today; ministry only):\n"
      "  ground-5 abnormal listings removed 6 months on, 2 years on the abnormal\n"
      "  list moved to the serious list. show prints the organization's\n"
      "  penalties, cases and listings with their grounds, reasons and facts." },
    { "subscribe", ctl_subscribe,
      "npoctl subscribe --province NN|all [--division PREFIX] [--from N] [--snapshot]"
      " [--out FILE | --state FILE] [--until N] [--idle SECONDS]\n"
      "  Follows the public event stream of a province (all: the country) and prints\n"
      "  each event once, in order, as a JSON line (seq, province, province_seq, type,\n"
      "  uscc, division, occurred_at, doc, record), only those under --division.\n"
      "  --out FILE appends to FILE, and FILE is the position: run it again and it\n"
      "  goes on after its last line, with no gap and no duplicate. --state FILE\n"
      "  keeps the position beside standard output. --from N starts at N (a fresh\n"
      "  start); --snapshot starts from every public record ({\"snapshot\": ...}\n"
      "  lines, then {\"snapshot_done\": true, \"province_seq\": N}). Missed events\n"
      "  are asked for again (at start, on a gap, when a heartbeat is ahead, when the\n"
      "  publisher is silent). Stops at province_seq N (--until), after SECONDS\n"
      "  without events (--idle), or on SIGINT/SIGTERM." },
    { "import", ctl_import,
      "npoctl import --province NN [--dry-run] [--as-of TIME] [--findings FILE] PATH...\n"
      "  Checks a province's data return: files NN-<section>.jsonl or .csv\n"
      "  (docs/import.md), given one by one or as directories. Every record is\n"
      "  checked against its section's fields, the rules across them, the 24-hour\n"
      "  freshness rule (against --as-of, an RFC 3339 time; default now) and the keys\n"
      "  already read. Prints the report as one JSON document (counts per file and\n"
      "  section, findings by rule with examples, every record refused; never a\n"
      "  personal value) and a summary on standard error; --findings FILE writes\n"
      "  every finding, a JSON line each. The records of sections 01-10 are\n"
      "  stored by their services (01-04, 07, 09 the registry; 05, 06 party;\n"
      "  08, 10 inspection), upserted by their keys: a file imported twice\n"
      "  changes nothing; then each service checks the rules across records\n"
      "  over the province's organizations (cross_checks). The other sections\n"
      "  can only be checked, with --dry-run, which stores nothing. Exit 1 when a\n"
      "  record or file was refused, 3 when a service did not answer." },
    { "quality", ctl_quality,
      "npoctl quality report --province NN [--overdue] [--all] [--as-of YYYY-MM-DD]\n"
      "    [--page-size N]\n"
      "  The data-quality findings kept on a province's returned records\n"
      "  (docs/import.md section 6): the open ones, each with its rule, record\n"
      "  (path, line, uscc), found_on and due_by (10 working days later by the\n"
      "  holiday calendar; due_by_estimated when it lacked a year), and the\n"
      "  counts of open and overdue findings. --overdue: only those past due_by\n"
      "  (as of --as-of, default today); --all: fixed ones too, with fixed_on.\n"
      "  Each service keeps those of its sections (registry, inspection, party,\n"
      "  credit) and is asked for a page at a time (--page-size N findings, 1\n"
      "  to 10000, default 10000) until all came; printed as one JSON document,\n"
      "  the counts summed, when they have." },
    { "export", ctl_export,
      "npoctl export (snapshot | delta --since SEQ) --out DIR [--format jsonl|csv]\n"
      "  The open data set: snapshot writes every public record to\n"
      "  DIR/snapshot-<SEQ>.<format>, the set as of the public event SEQ; delta\n"
      "  writes the records changed after --since SEQ up to now to\n"
      "  DIR/delta-<SINCE>-<SEQ>.<format>. Each file has a manifest (kind, seqs,\n"
      "  records, SHA-256), and DIR/latest.json is the newest. A snapshot and the\n"
      "  deltas after it, applied in order (each record replaces the one with its\n"
      "  uscc), give the public data set as of the last delta's SEQ (docs/open-data.md)." },
    { "gen", ctl_gen,
      "npoctl gen --orgs N --seed S --out DIR [--province NN|all] [--error-rate R]"
      " [--as-of TIME]\n"
      "  Writes a synthetic data return into DIR, which must be new or empty:\n"
      "  01-organizations.jsonl, 02-officers.jsonl, 03-work-history.jsonl,\n"
      "  04-certificates.jsonl, 07-deregistrations.jsonl and 09-changes.jsonl\n"
      "  (docs/import.md) for N organizations (1 to 1000000) with 3 to 9 officers,\n"
      "  a certificate and 0 to 3 changes each, expected-findings.jsonl and\n"
      "  manifest.json (also printed). The same\n"
      "  N, S (0 to 2^64-1), province, R and TIME give the same bytes.\n"
      "  --province NN: a province's two digits (10: the ministry's own\n"
      "  organizations), or all, weighted by population; default 44.\n"
      "  --error-rate R: 0 to 0.5, default 0: the chance of each record carrying one\n"
      "  error of a rule of its section (docs/import.md 6.1), each listed in\n"
      "  expected-findings.jsonl with file, line, rule, field, uscc and outcome.\n"
      "  --as-of TIME: YYYY-MM-DDTHH:MM:SSZ, default 2026-01-01T00:00:00Z, the\n"
      "  import's arrival: every date is before it, every source_updated_at within\n"
      "  the 24 hours before it (import with --as-of TIME to find nothing else)." },
    { "show", s_show,
      "npoctl show USCC\n"
      "  Prints an organization's full registry record as JSON." },
    { "cache", s_cache,
      "npoctl cache rebuild\n"
      "  Rewrites every public record from publication's tables into Redis." },
    { "ping", s_ping,
      "npoctl ping SERVICE\n"
      "  Checks that a service answers; prints its name and last event seq." },
};

static void
s_help (FILE *out)
{
    fprintf (out, "usage: npoctl [--timeout MS] VERB [ARGS]\n\n"
                  "The npo operators' client. Verbs:\n");
    for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs [0]; i++) {
        const char *nl = strchr (s_verbs [i].usage, '\n');
        fprintf (out, "  %.*s\n", (int) (nl? nl - s_verbs [i].usage: 80), s_verbs [i].usage);
    }
    fprintf (out, "\nnpoctl VERB --help tells more."
                  " Services are found through NPO_<SERVICE>_ROUTER\n"
                  "(`. var/env` after `make run`). Exit status: 0 done, 1 refused or failed,\n"
                  "2 usage error, 3 a service did not answer.\n");
}

int
main (int argc, char **argv)
{
    npo_log_init ("npoctl");
    ctl_t ctl = { 5000, npo_config_str ("ACTOR", "ministry:npoctl"), NULL, NULL };
    int i = 1;
    for (; i < argc && argv [i][0] == '-'; i++) {
        if (strcmp (argv [i], "--help") == 0 || strcmp (argv [i], "-h") == 0) {
            s_help (stdout);
            return 0;
        }
        if (strcmp (argv [i], "--timeout") == 0 && i + 1 < argc) {
            ctl.timeout_ms = atoi (argv [++i]);
            if (ctl.timeout_ms <= 0 || ctl.timeout_ms > 3600000) {
                fprintf (stderr, "npoctl: --timeout: expected milliseconds, 1 to 3600000\n");
                return EXIT_USAGE;
            }
            continue;
        }
        fprintf (stderr, "npoctl: unknown option %s (npoctl --help)\n", argv [i]);
        return EXIT_USAGE;
    }
    if (i == argc) {
        s_help (stderr);
        return EXIT_USAGE;
    }
    for (size_t v = 0; v < sizeof s_verbs / sizeof s_verbs [0]; v++) {
        if (strcmp (argv [i], s_verbs [v].name) != 0)
            continue;
        for (int k = i + 1; k < argc; k++)
            if (strcmp (argv [k], "--help") == 0 || strcmp (argv [k], "-h") == 0) {
                printf ("usage: %s\n", s_verbs [v].usage);
                return 0;
            }
        int rc = s_verbs [v].fn (&ctl, argc - i - 1, argv + i + 1);
        npo_client_destroy (&ctl.client);
        return rc;
    }
    fprintf (stderr, "npoctl: unknown verb \"%s\" (npoctl --help)\n", argv [i]);
    return EXIT_USAGE;
}
