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

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

typedef struct {
    int timeout_ms;         //  per request
    const char *actor;      //  who we say we are (until keys carry it)
    const char *service;    //  the service client talks to
    npo_client_t *client;   //  kept across calls to one service
} ctl_t;

typedef int (verb_fn) (ctl_t *ctl, int argc, char **argv);

typedef struct {
    const char *name;
    verb_fn *fn;
    const char *usage;      //  first line: synopsis; then details
} verb_t;

static int
s_usage_error (const char *verb, const char *fmt, const char *arg)
{
    fprintf (stderr, "npoctl %s: ", verb);
    fprintf (stderr, fmt, arg);
    fprintf (stderr, " (npoctl %s --help)\n", verb);
    return EXIT_USAGE;
}

//  Sends request to service; on success returns the reply (caller frees).
//  On failure prints one line and sets *status to the exit status.
static Npo__Reply *
s_call (ctl_t *ctl, const char *service, Npo__Request *request, int *status)
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

static void
s_print_json (json_t *json)
{
    char *text = json_dumps (json, JSON_COMPACT);
    if (text)
        puts (text);
    free (text);
}

//  Sends request to service and prints the reply's body as one JSON line.
//  Returns the exit status.
static int
s_run (ctl_t *ctl, const char *service, Npo__Request *request)
{
    int status;
    Npo__Reply *reply = s_call (ctl, service, request, &status);
    if (!reply)
        return status;
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field
        (&npo__reply__descriptor, (unsigned) reply->body_case);
    json_t *out = npo_pb_to_json (&reply->base);
    json_t *body = field? json_object_get (out, field->name): NULL;
    s_print_json (body? body: out);
    json_decref (out);
    npo__reply__free_unpacked (reply, NULL);
    return 0;
}

//  ---------------------------------------------------------------------
//  register

//  Submits one application (a JSON object: BasicInfo fields, optionally
//  "idempotency_key"), and approves it when asked. Prints the outcome.
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
    json_t *key = json_object_get (record, "idempotency_key");
    json_t *fields = json_deep_copy (record);
    json_object_del (fields, "idempotency_key");
    if (key && !json_is_string (key)) {
        fprintf (stderr, "npoctl: %s: idempotency_key: expected a string\n", where);
        goto done;
    }
    if (key)
        submit->idempotency_key = npo_strdup (json_string_value (key));
    if (npo_pb_from_json (fields, &basic->base, err, sizeof err)) {
        fprintf (stderr, "npoctl: %s: %s\n", where, err);
        goto done;
    }
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_SUBMIT_APPLICATION;
    request.submit_application = submit;
    Npo__Reply *reply = s_call (ctl, "registry", &request, &status);
    if (!reply) {
        fprintf (stderr, "npoctl: %s: not registered\n", where);
        goto done;
    }
    uint64_t id = reply->application->application_id;
    bool decided = strcmp (reply->application->status, "approved") == 0;
    if (approve && !decided) {
        npo__reply__free_unpacked (reply, NULL);
        Npo__DecideApplication decide = NPO__DECIDE_APPLICATION__INIT;
        decide.application_id = id;
        decide.approve = true;
        Npo__Request req2 = NPO__REQUEST__INIT;
        req2.body_case = NPO__REQUEST__BODY_DECIDE_APPLICATION;
        req2.decide_application = &decide;
        reply = s_call (ctl, "registry", &req2, &status);
        if (!reply) {
            fprintf (stderr, "npoctl: %s: application %llu submitted but not approved\n",
                     where, (unsigned long long) id);
            goto done;
        }
    }
    json_t *out = npo_pb_to_json (&reply->application->base);
    if (!*reply->application->uscc)
        json_object_del (out, "uscc");
    s_print_json (out);
    json_decref (out);
    npo__reply__free_unpacked (reply, NULL);
done:
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
            return s_usage_error ("register", "unexpected argument \"%s\"", argv [i]);
    }
    if (!file)
        return s_usage_error ("register", "%s", "--file is required");
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
                return s_usage_error ("review", "invalid application id \"%s\"", argv [i]);
        }
        else if (strcmp (argv [i], "--approve") == 0)
            decision = 1;
        else if (strcmp (argv [i], "--reject") == 0)
            decision = 0;
        else if (strcmp (argv [i], "--reason") == 0 && i + 1 < argc)
            decide.reason = argv [++i];
        else if (strcmp (argv [i], "--on") == 0 && i + 1 < argc)
            decide.decided_on = argv [++i];
        else
            return s_usage_error ("review", "unexpected argument \"%s\"", argv [i]);
    }
    if (!decide.application_id || decision < 0)
        return s_usage_error ("review", "%s", "--application and --approve or --reject are required");
    decide.approve = decision == 1;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_DECIDE_APPLICATION;
    request.decide_application = &decide;
    return s_run (ctl, "registry", &request);
}

//  ---------------------------------------------------------------------
//  show, cache, ping

static int
s_show (ctl_t *ctl, int argc, char **argv)
{
    if (argc != 1)
        return s_usage_error ("show", "%s", "expected one USCC");
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
    return s_run (ctl, "registry", &request);
}

static int
s_cache (ctl_t *ctl, int argc, char **argv)
{
    if (argc != 1 || strcmp (argv [0], "rebuild") != 0)
        return s_usage_error ("cache", "%s", "expected: npoctl cache rebuild");
    Npo__CacheRebuild rebuild = NPO__CACHE_REBUILD__INIT;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_CACHE_REBUILD;
    request.cache_rebuild = &rebuild;
    return s_run (ctl, "publication", &request);
}

static int
s_ping (ctl_t *ctl, int argc, char **argv)
{
    if (argc != 1 || !npo_config_endpoint (argv [0], "router"))
        return s_usage_error ("ping", "%s", "expected one service: registry, inspection, "
                              "party, credit or publication");
    Npo__Ping ping = NPO__PING__INIT;
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_PING;
    request.ping = &ping;
    return s_run (ctl, argv [0], &request);
}

static const verb_t s_verbs [] = {
    { "register", s_register,
      "npoctl register --file FILE [--approve]\n"
      "  Submits establishment applications. FILE (or - for stdin) holds one JSON\n"
      "  object or JSON Lines, each with the basic-information fields of DOMAIN.md\n"
      "  section 1 (name, type, authority_division, registration_authority,\n"
      "  legal_representative, ...) and optionally \"idempotency_key\": a retry with the\n"
      "  same key registers nothing new. --approve also approves each one, which\n"
      "  assigns its unified social credit code. Prints one JSON line per application." },
    { "review", s_review,
      "npoctl review --application ID (--approve | --reject --reason TEXT) [--on YYYY-MM-DD]\n"
      "  Decides an application. Approval assigns the code and registers the organization." },
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
    fprintf (out, "\nnpoctl VERB --help tells more. Services are found through NPO_<SERVICE>_ROUTER\n"
                  "(`. var/env` after `make run`). Exit status: 0 done, 1 refused or failed,\n"
                  "2 usage error, 3 a service did not answer.\n");
}

int
main (int argc, char **argv)
{
    npo_log_init ("npoctl");
    ctl_t ctl = { 5000, npo_config_str ("ACTOR", "npoctl"), NULL, NULL };
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
