/*  pbjson.h - protobuf-c messages to and from JSON (jansson), by reflection
 *
 *  Field names are the JSON names (DOMAIN.md keeps the two the same). Covers
 *  what our messages use: strings, bools, integers, enums (by name), bytes
 *  (skipped), nested messages, and repeated fields of these (JSON arrays, of
 *  at most 1000 items).
 */
#ifndef NPO_PBJSON_H
#define NPO_PBJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include "envelope.pb-c.h"

//  Returns a new JSON object with every field of msg (the caller json_decref's).
json_t *
    npo_pb_to_json (const ProtobufCMessage *msg);

//  Fills msg (already __init'ed, fields owned by msg: free it with
//  protobuf_c_message_free_unpacked) from a JSON object. Unknown keys, wrong
//  types and invalid text are refused: returns -1 with a one-line reason in
//  err ("unknown field \"x\""). Numbers are accepted for string fields whose
//  value is a decimal amount (e.g. registered_capital: 100000).
int
    npo_pb_from_json (const json_t *obj, ProtobufCMessage *msg, char *err, size_t errlen);

//  Sets reply's body to member body_case of its oneof, read from JSON text (a
//  record PostgreSQL rendered with the message's field names). Returns 0, or
//  -1 with an internal error in reply (and the reason logged).
int
    npo_reply_body_from_json (Npo__Reply *reply, uint32_t body_case, const char *text);

void
    npo_pbjson_test (bool verbose);

#endif
