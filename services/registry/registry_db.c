/*  registry_db.c - npo-registry's SQL
 *
 *  The organizations columns of section 1 carry the BasicInfo field names, so
 *  rows and messages are mapped by walking the protobuf descriptor: a field
 *  added to BasicInfo and to the table needs no code here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry.h"

#define MAX_FIELDS  32

//  Returns the address of field f's value in msg.
static void *
s_field (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    return (char *) msg + f->offset;
}

//  Appends b's field values to params from n on, in descriptor order (bools
//  as "true"/"false", an empty amount as NULL: unknown, not zero); returns
//  the new count.
static int
s_basic_values (const Npo__BasicInfo *b, const char **params, int n)
{
    const ProtobufCMessageDescriptor *desc = &npo__basic_info__descriptor;
    for (unsigned i = 0; i < desc->n_fields && i < MAX_FIELDS; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        const void *value = s_field (&b->base, f);
        if (f->type == PROTOBUF_C_TYPE_BOOL)
            params [n] = *(const protobuf_c_boolean *) value? "true": "false";
        else {
            params [n] = *(char *const *) value;
            if (strcmp (f->name, "registered_capital") == 0 && !*params [n])
                params [n] = NULL;
        }
        n++;
    }
    return n;
}

int
reg_db_insert_org (reg_t *self, const Npo__Organization *org, uint64_t application_id)
{
    const ProtobufCMessageDescriptor *desc = &npo__basic_info__descriptor;
    char sql [2048], values [512], app [24];
    const char *params [MAX_FIELDS + 5];
    snprintf (app, sizeof app, "%llu", (unsigned long long) application_id);
    params [0] = org->uscc;
    params [1] = org->org_code;
    params [2] = org->approved_on;
    params [3] = application_id? app: NULL;         //  0: imported, no application
    params [4] = org->status && *org->status? org->status: "active";
    int n = s_basic_values (org->basic, params, 5);
    size_t sl = (size_t) snprintf (sql, sizeof sql,
        "INSERT INTO organizations (uscc, org_code, approved_on, application_id, status");
    size_t vl = (size_t) snprintf (values, sizeof values, "$1, $2, $3, $4, $5");
    for (int i = 5; i < n; i++) {
        sl += (size_t) snprintf (sql + sl, sizeof sql - sl, ", %s", desc->fields [i - 5].name);
        vl += (size_t) snprintf (values + vl, sizeof values - vl, ", $%d", i + 1);
    }
    if (sl + strlen (values) + 16 >= sizeof sql || vl >= sizeof values) {
        log_error ("organization insert does not fit its buffer: grow it");
        return -1;
    }
    snprintf (sql + sl, sizeof sql - sl, ") VALUES (%s)", values);
    return npo_db_cmd (self->db, sql, n, params);
}

int
reg_db_update_org (reg_t *self, const Npo__Organization *org)
{
    const ProtobufCMessageDescriptor *desc = &npo__basic_info__descriptor;
    char sql [2048], version [24];
    const char *params [MAX_FIELDS + 3];
    snprintf (version, sizeof version, "%llu", (unsigned long long) org->version);
    params [0] = org->uscc;
    params [1] = org->status;
    params [2] = version;
    int n = s_basic_values (org->basic, params, 3);
    size_t sl = (size_t) snprintf (sql, sizeof sql,
        "UPDATE organizations SET status = $2, version = $3, updated_at = now ()");
    for (int i = 3; i < n; i++)
        sl += (size_t) snprintf (sql + sl, sizeof sql - sl, ", %s = $%d",
                                 desc->fields [i - 3].name, i + 1);
    if (sl + 32 >= sizeof sql) {
        log_error ("organization update does not fit its buffer: grow it");
        return -1;
    }
    snprintf (sql + sl, sizeof sql - sl, " WHERE uscc = $1");
    return npo_db_cmd (self->db, sql, n, params);
}

Npo__Organization *
reg_db_load_org (reg_t *self, const char *uscc, bool lock, bool *found)
{
    const ProtobufCMessageDescriptor *desc = &npo__basic_info__descriptor;
    char sql [2048];
    size_t sl = (size_t) snprintf (sql, sizeof sql,
        "SELECT uscc, org_code, status, approved_on::text, version,"
        " (extract (epoch FROM updated_at) * 1000000)::bigint");
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const char *name = desc->fields [i].name;
        //  numeric to text without exponent; NULL stays empty
        if (strcmp (name, "registered_capital") == 0)
            sl += (size_t) snprintf (sql + sl, sizeof sql - sl,
                                     ", coalesce (registered_capital::text, '')");
        else
            sl += (size_t) snprintf (sql + sl, sizeof sql - sl, ", %s", name);
    }
    if (sl + 48 >= sizeof sql) {
        log_error ("organization select does not fit its buffer: grow it");
        return NULL;
    }
    snprintf (sql + sl, sizeof sql - sl, " FROM organizations WHERE uscc = $1%s",
              lock? " FOR UPDATE": "");
    const char *params [1] = { uscc };
    *found = false;
    PGresult *res = npo_db_exec (self->db, sql, 1, params);
    if (!res)
        return NULL;
    if (PQntuples (res) != 1) {
        PQclear (res);
        return NULL;
    }
    *found = true;
    Npo__Organization *org = malloc (sizeof *org);
    Npo__BasicInfo *basic = malloc (sizeof *basic);
    if (!org || !basic)
        abort ();
    npo__organization__init (org);
    npo__basic_info__init (basic);
    org->uscc = npo_strdup (PQgetvalue (res, 0, 0));
    org->org_code = npo_strdup (PQgetvalue (res, 0, 1));
    org->status = npo_strdup (PQgetvalue (res, 0, 2));
    org->approved_on = npo_strdup (PQgetvalue (res, 0, 3));
    org->version = strtoull (PQgetvalue (res, 0, 4), NULL, 10);
    org->updated_at_us = strtoll (PQgetvalue (res, 0, 5), NULL, 10);
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        const char *text = PQgetvalue (res, 0, 6 + (int) i);
        void *value = s_field (&basic->base, f);
        if (f->type == PROTOBUF_C_TYPE_BOOL)
            *(protobuf_c_boolean *) value = strcmp (text, "t") == 0;
        else
            *(char **) value = npo_strdup (text);
    }
    org->basic = basic;
    PQclear (res);
    return org;
}

uint32_t
reg_db_next_seq (reg_t *self, const char *division)
{
    const char *params [1] = { division };
    PGresult *res = npo_db_exec (self->db,
        "INSERT INTO code_sequences (authority_division, last) VALUES ($1, 1)"
        " ON CONFLICT (authority_division)"
        " DO UPDATE SET last = code_sequences.last + 1 RETURNING last", 1, params);
    if (!res)
        return 0;
    uint32_t seq = (uint32_t) strtoul (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return seq;
}
