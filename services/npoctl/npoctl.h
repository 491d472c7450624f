/*  npoctl.h - what npoctl's verbs share: the client state, calls to the
 *  services, JSON in and out
 */
#ifndef NPOCTL_H
#define NPOCTL_H

#include <jansson.h>
#include "bus.h"

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

//  Prints "npoctl VERB: <fmt with arg> (npoctl VERB --help)"; returns EXIT_USAGE.
int
    ctl_usage_error (const char *verb, const char *fmt, const char *arg);

//  Sends request to service; on success returns the reply (caller frees).
//  On failure prints one line and sets *status to the exit status.
Npo__Reply *
    ctl_call (ctl_t *ctl, const char *service, Npo__Request *request, int *status);

//  Sends request to service and prints the reply's body as one JSON line.
//  Returns the exit status.
int
    ctl_run (ctl_t *ctl, const char *service, Npo__Request *request);

//  An option: "--name VALUE" into *value, or "--name" alone setting *flag.
typedef struct {
    const char *name;
    char **value;
    protobuf_c_boolean *flag;
} opt_t;

//  Reads argv (from index first) against opts. Returns 0, or the usage exit.
int
    ctl_options (const char *verb, int argc, char **argv, int first, const opt_t *opts,
                 size_t n);

//  Prints json as one line.
void
    ctl_print_json (json_t *json);

//  Reads one JSON object from file ("-": stdin) into a new message of desc.
//  Returns it (free with protobuf_c_message_free_unpacked), or NULL with the
//  reason printed.
ProtobufCMessage *
    ctl_load_message (const char *file, const ProtobufCMessageDescriptor *desc);

//  Loads FILE (JSON, "-": stdin) as a message of desc into *slot, a body
//  field of request, sends request to service and prints the reply; frees the
//  message. Returns the exit status.
int
    ctl_send_file (ctl_t *ctl, const char *service, const char *file,
                   const ProtobufCMessageDescriptor *desc, Npo__Request *request, void **slot);

//  Verbs of inspection.c
int
    ctl_inspection (ctl_t *ctl, int argc, char **argv);
int
    ctl_evaluation (ctl_t *ctl, int argc, char **argv);
int
    ctl_audit (ctl_t *ctl, int argc, char **argv);

//  Verb of import.c
int
    ctl_import (ctl_t *ctl, int argc, char **argv);
int
    ctl_quality (ctl_t *ctl, int argc, char **argv);
//  Verb of export.c
int
    ctl_export (ctl_t *ctl, int argc, char **argv);
//  Verb of gen.c
int
    ctl_gen (ctl_t *ctl, int argc, char **argv);

//  Verb of subscribe.c
int
    ctl_subscribe (ctl_t *ctl, int argc, char **argv);

//  Verb of party.c
int
    ctl_party (ctl_t *ctl, int argc, char **argv);

//  Verbs of credit.c
int
    ctl_penalty (ctl_t *ctl, int argc, char **argv);
int
    ctl_case (ctl_t *ctl, int argc, char **argv);
int
    ctl_list (ctl_t *ctl, int argc, char **argv);
int
    ctl_credit (ctl_t *ctl, int argc, char **argv);

#endif
