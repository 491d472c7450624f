/*  pbjson.c - protobuf-c messages to and from JSON, by reflection
 */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "pbjson.h"
#include "selftest.h"

#define FIELD(msg, f)  ((char *) (msg) + (f)->offset)
#define PBJSON_MAX_ITEMS 1000

static json_t *
s_value (const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
        case PROTOBUF_C_TYPE_STRING:  return json_string (*(char *const *) p);
        case PROTOBUF_C_TYPE_BOOL:    return json_boolean (*(const protobuf_c_boolean *) p);
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:  return json_integer (*(const int32_t *) p);
        case PROTOBUF_C_TYPE_UINT32:  return json_integer (*(const uint32_t *) p);
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:  return json_integer (*(const int64_t *) p);
        case PROTOBUF_C_TYPE_UINT64:  return json_integer ((json_int_t) *(const uint64_t *) p);
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value
                (f->descriptor, *(const int *) p);
            return v? json_string (v->name): json_integer (*(const int *) p);
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *sub = *(ProtobufCMessage *const *) p;
            return sub? npo_pb_to_json (sub): json_null ();
        }
        default:
            return NULL;        //  bytes and floats: not in our JSON
    }
}

//  The size of one element of a repeated field's array
static size_t
s_elem_size (const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING?
           sizeof (void *): f->type == PROTOBUF_C_TYPE_INT64
           || f->type == PROTOBUF_C_TYPE_UINT64? 8: 4;
}

json_t *
npo_pb_to_json (const ProtobufCMessage *msg)
{
    json_t *obj = json_object ();
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        //  Of a oneof, only the member that is set
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        &&  *(const uint32_t *) ((const char *) msg + f->quantifier_offset) != f->id)
            continue;
        json_t *value;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *) ((const char *) msg + f->quantifier_offset);
            char *array = *(char **) FIELD (msg, f);
            size_t size = s_elem_size (f);
            value = json_array ();
            for (size_t k = 0; k < n; k++) {
                json_t *item = s_value (f, array + k * size);
                if (item)
                    json_array_append_new (value, item);
            }
        }
        else
            value = s_value (f, FIELD (msg, f));
        if (value)
            json_object_set_new (obj, f->name, value);
    }
    return obj;
}

//  Sets the field (or array element) at p from value
static int
s_set (const ProtobufCFieldDescriptor *f, void *p, const json_t *value, char *err, size_t errlen)
{
    switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: {
            char text [64];
            const char *s = NULL;
            if (json_is_string (value))
                s = json_string_value (value);
            else
            if (json_is_integer (value)) {
                snprintf (text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value (value));
                s = text;
            }
            else
            if (json_is_real (value)) {
                snprintf (text, sizeof text, "%.2f", json_real_value (value));
                s = text;
            }
            if (!s) {
                snprintf (err, errlen, "%s: expected a string", f->name);
                return -1;
            }
            if (*(char **) p != protobuf_c_empty_string)
                free (*(char **) p);
            *(char **) p = npo_strdup (s);
            return 0;
        }
        case PROTOBUF_C_TYPE_BOOL:
            if (!json_is_boolean (value)) {
                snprintf (err, errlen, "%s: expected true or false", f->name);
                return -1;
            }
            *(protobuf_c_boolean *) p = json_is_true (value);
            return 0;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_INT64: {
            json_int_t n = json_integer_value (value);
            bool is_unsigned = f->type == PROTOBUF_C_TYPE_UINT32
                               || f->type == PROTOBUF_C_TYPE_UINT64;
            bool is_32 = f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_INT32;
            if (!json_is_integer (value) || (is_unsigned && n < 0)
            ||  (is_32 && (n > (is_unsigned? (json_int_t) UINT32_MAX: INT32_MAX)
                           || n < INT32_MIN))) {
                snprintf (err, errlen, "%s: expected an integer in range", f->name);
                return -1;
            }
            if (f->type == PROTOBUF_C_TYPE_UINT32)      *(uint32_t *) p = (uint32_t) n;
            else if (f->type == PROTOBUF_C_TYPE_INT32)  *(int32_t *) p = (int32_t) n;
            else if (f->type == PROTOBUF_C_TYPE_UINT64) *(uint64_t *) p = (uint64_t) n;
            else                                         *(int64_t *) p = (int64_t) n;
            return 0;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            if (!json_is_object (value)) {
                snprintf (err, errlen, "%s: expected an object", f->name);
                return -1;
            }
            const ProtobufCMessageDescriptor *sd = f->descriptor;
            ProtobufCMessage *sub = *(ProtobufCMessage **) p;
            if (!sub) {
                sub = malloc (sd->sizeof_message);
                if (!sub)
                    abort ();
                sd->message_init (sub);
                *(ProtobufCMessage **) p = sub;
            }
            return npo_pb_from_json (value, sub, err, errlen);
        }
        default:
            snprintf (err, errlen, "%s: cannot be given in JSON", f->name);
            return -1;
    }
}

int
npo_pb_from_json (const json_t *obj, ProtobufCMessage *msg, char *err, size_t errlen)
{
    if (!json_is_object (obj)) {
        snprintf (err, errlen, "expected a JSON object");
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) obj, key, value) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name (msg->descriptor, key);
        if (!f || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            snprintf (err, errlen, "unknown field \"%.64s\"", key);
            return -1;
        }
        if (json_is_null (value))
            continue;
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            if (s_set (f, FIELD (msg, f), value, err, errlen))
                return -1;
            continue;
        }
        //  A repeated field: a JSON array, replacing what was there
        size_t n = json_array_size (value);
        if (!json_is_array (value) || n > PBJSON_MAX_ITEMS) {
            snprintf (err, errlen, "%s: expected an array of at most %d items", f->name,
                      PBJSON_MAX_ITEMS);
            return -1;
        }
        size_t *count = (size_t *) ((char *) msg + f->quantifier_offset);
        char **array = (char **) FIELD (msg, f);
        if (*count) {
            snprintf (err, errlen, "%s: given twice", f->name);
            return -1;
        }
        *array = n? calloc (n, s_elem_size (f)): NULL;
        if (n && !*array)
            abort ();
        for (size_t k = 0; k < n; k++) {
            *count = k + 1;     //  what is set so far is freed with the message
            if (s_set (f, *array + k * s_elem_size (f), json_array_get (value, k), err, errlen))
                return -1;
        }
    }
    return 0;
}

int
npo_reply_body_from_json (Npo__Reply *reply, uint32_t body_case, const char *text)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field
        (&npo__reply__descriptor, body_case);
    assert (f && f->type == PROTOBUF_C_TYPE_MESSAGE);
    const ProtobufCMessageDescriptor *desc = f->descriptor;
    ProtobufCMessage *msg = malloc (desc->sizeof_message);
    if (!msg)
        abort ();
    desc->message_init (msg);
    json_error_t jerr;
    json_t *json = json_loads (text, 0, &jerr);
    char err [200];
    snprintf (err, sizeof err, "%s", jerr.text);
    if (!json || npo_pb_from_json (json, msg, err, sizeof err)) {
        log_error ("a %s does not convert from its JSON: %s", desc->short_name, err);
        npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "internal",
                         "could not read the record");
        protobuf_c_message_free_unpacked (msg, NULL);
        json_decref (json);
        return -1;
    }
    json_decref (json);
    *(uint32_t *) ((char *) reply + f->quantifier_offset) = body_case;
    *(ProtobufCMessage **) FIELD (reply, f) = msg;
    return 0;
}

void
npo_pbjson_test (bool verbose)
{
    if (verbose)
        printf (" * pbjson: ");
    char err [128];
    json_error_t jerr;
    json_t *in = json_loads ("{\"kind\":\"establishment\",\"basic\":{\"name\":\"中国测试协会\","
                             "\"decoupled\":true,\"registered_capital\":30000}}", 0, &jerr);
    Npo__SubmitApplication *app = malloc (sizeof *app);
    npo__submit_application__init (app);
    SELFTEST_CHECK (npo_pb_from_json (in, &app->base, err, sizeof err) == 0);
    SELFTEST_CHECK (app->basic && strcmp (app->basic->name, "中国测试协会") == 0);
    SELFTEST_CHECK (app->basic && app->basic->decoupled);
    SELFTEST_CHECK (app->basic && strcmp (app->basic->registered_capital, "30000") == 0);
    json_t *out = npo_pb_to_json (&app->base);
    SELFTEST_CHECK (strcmp (json_string_value (json_object_get (out, "kind")),
                            "establishment") == 0);
    json_t *basic = json_object_get (out, "basic");
    SELFTEST_CHECK (json_is_true (json_object_get (basic, "decoupled")));
    SELFTEST_CHECK (json_is_string (json_object_get (basic, "address")));
    json_decref (out);
    json_decref (in);
    protobuf_c_message_free_unpacked (&app->base, NULL);

    //  Repeated strings (and messages, the same way), freed with the message
    in = json_loads ("{\"uscc\":\"x\",\"years\":[2024,2025]}", 0, &jerr);
    Npo__RevocationRecommended *rec = malloc (sizeof *rec);
    npo__revocation_recommended__init (rec);
    SELFTEST_CHECK (npo_pb_from_json (in, &rec->base, err, sizeof err) == 0);
    SELFTEST_CHECK (rec->n_years == 2 && rec->years [1] == 2025);
    json_decref (in);
    protobuf_c_message_free_unpacked (&rec->base, NULL);
    in = json_loads ("{\"rules\":[\"财务\",\"印章\"]}", 0, &jerr);
    Npo__ReportRules *rules = malloc (sizeof *rules);
    npo__report_rules__init (rules);
    SELFTEST_CHECK (npo_pb_from_json (in, &rules->base, err, sizeof err) == 0);
    SELFTEST_CHECK (rules->n_rules == 2 && strcmp (rules->rules [1], "印章") == 0);
    out = npo_pb_to_json (&rules->base);
    SELFTEST_CHECK (json_equal (json_object_get (out, "rules"), json_object_get (in, "rules")));
    json_decref (out);
    json_decref (in);
    protobuf_c_message_free_unpacked (&rules->base, NULL);

    //  A reply's body from JSON text (a record rendered by PostgreSQL)
    Npo__Reply *reply = malloc (sizeof *reply);
    npo__reply__init (reply);
    SELFTEST_CHECK (npo_reply_body_from_json (reply, NPO__REPLY__BODY_PENALTY,
                                              "{\"penalty_id\":7,\"decision_number\":\"x\"}") == 0);
    SELFTEST_CHECK (reply->body_case == NPO__REPLY__BODY_PENALTY
                    && reply->penalty->penalty_id == 7);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    reply = malloc (sizeof *reply);
    npo__reply__init (reply);
    SELFTEST_CHECK (npo_reply_body_from_json (reply, NPO__REPLY__BODY_PENALTY,
                                              "{\"nosuch\":1}") == -1);
    SELFTEST_CHECK (reply->status == NPO__STATUS__STATUS_INTERNAL && !reply->penalty);
    protobuf_c_message_free_unpacked (&reply->base, NULL);

    const char *bad [] = {
        "{\"kind\":[]}", "{\"changes\":{}}", "{\"changes\":[1]}",
        "{\"nosuch\":1}", "{\"basic\":{\"decoupled\":\"yes\"}}", "{\"basic\":[]}",
        "{\"kind\":{}}", "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        in = json_loads (bad [i], 0, &jerr);
        app = malloc (sizeof *app);
        npo__submit_application__init (app);
        SELFTEST_CHECK (npo_pb_from_json (in, &app->base, err, sizeof err) == -1 && *err);
        json_decref (in);
        protobuf_c_message_free_unpacked (&app->base, NULL);
    }
    if (verbose)
        printf ("OK\n");
}
