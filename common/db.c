/*  db.c - PostgreSQL connection with reconnect, and the migrations runner
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "selftest.h"

struct npo_db_t {
    char *conninfo;         //  libpq connection string
    char *schema;           //  the service's own schema
    PGconn *conn;           //  current connection, NULL while down
    char sqlstate [6];      //  of the last failed statement
    char errmsg [256];      //  of the last failed statement
    char constraint [64];   //  violated by the last failed statement
    bool lost;              //  the last failure was a broken connection
    bool in_tx;             //  BEGIN sent, no COMMIT or ROLLBACK yet
};

static int
s_connect (npo_db_t *self)
{
    if (self->conn)
        PQfinish (self->conn);
    self->conn = PQconnectdb (self->conninfo);
    if (PQstatus (self->conn) != CONNECTION_OK) {
        snprintf (self->errmsg, sizeof self->errmsg, "%s", PQerrorMessage (self->conn));
        PQfinish (self->conn);
        self->conn = NULL;
        return -1;
    }
    //  Bind to the schema; the identifier is quoted by libpq, not by us.
    char *ident = PQescapeIdentifier (self->conn, self->schema, strlen (self->schema));
    char sql [256];
    snprintf (sql, sizeof sql, "SET search_path TO %s, public", ident? ident: "\"\"");
    PQfreemem (ident);
    PGresult *res = PQexec (self->conn, sql);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK? 0: -1;
    PQclear (res);
    res = PQexec (self->conn, "SET TIME ZONE 'UTC'; SET client_min_messages TO warning");
    PQclear (res);
    return rc;
}

npo_db_t *
npo_db_new (const char *conninfo, const char *schema, int wait_ms)
{
    npo_db_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->conninfo = strdup (conninfo);
    self->schema = strdup (schema);
    if (!self->conninfo || !self->schema)
        goto err;
    for (int waited = 0; ; waited += 200) {
        if (s_connect (self) == 0)
            return self;
        if (waited >= wait_ms)
            break;
        usleep (200 * 1000);
    }
    log_error ("could not connect to postgresql: %s", self->errmsg);
err:
    npo_db_destroy (&self);
    return NULL;
}

void
npo_db_destroy (npo_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    npo_db_t *self = *self_p;
    if (self->conn)
        PQfinish (self->conn);
    free (self->conninfo);
    free (self->schema);
    free (self);
    *self_p = NULL;
}

PGconn *
npo_db_conn (npo_db_t *self)
{
    return self->conn;
}

npo_db_t *
npo_db_open_service (const char *schema, const npo_migration_t *list, size_t count)
{
    const char *dsn = npo_config_str ("PG_DSN",
        "host=127.0.0.1 port=7190 user=npo dbname=npo connect_timeout=5");
    npo_db_t *self = npo_db_new (dsn, schema, 30000);
    if (self && npo_db_migrate (self, list, count))
        npo_db_destroy (&self);
    return self;
}

const char *
npo_db_schema (npo_db_t *self)
{
    return self->schema;
}

int
npo_db_ensure (npo_db_t *self)
{
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        return 0;
    if (s_connect (self) == 0) {
        log_info ("reconnected to postgresql");
        return 0;
    }
    return -1;
}

PGresult *
npo_db_exec_bin (npo_db_t *self, const char *sql, int n, const char *const *params,
                 const int *lengths, const int *formats, int result_format)
{
    self->sqlstate [0] = 0;
    self->errmsg [0] = 0;
    self->constraint [0] = 0;
    self->lost = false;
    //  A connection lost inside a transaction took the transaction with it:
    //  reconnecting here would run the rest in autocommit. The caller must
    //  roll back first.
    bool broken = !self->conn || PQstatus (self->conn) != CONNECTION_OK;
    if ((broken && self->in_tx) || npo_db_ensure (self)) {
        self->lost = true;
        snprintf (self->sqlstate, sizeof self->sqlstate, "08006");
        return NULL;
    }
    PGresult *res = PQexecParams (self->conn, sql, n, NULL, params, lengths, formats,
                                  result_format);
    ExecStatusType st = PQresultStatus (res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return res;

    const char *state = res? PQresultErrorField (res, PG_DIAG_SQLSTATE): NULL;
    snprintf (self->sqlstate, sizeof self->sqlstate, "%s", state? state: "08006");
    const char *constraint = res? PQresultErrorField (res, PG_DIAG_CONSTRAINT_NAME): NULL;
    snprintf (self->constraint, sizeof self->constraint, "%s", constraint? constraint: "");
    const char *msg = res? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY): NULL;
    snprintf (self->errmsg, sizeof self->errmsg, "%s",
              msg? msg: PQerrorMessage (self->conn));
    self->lost = PQstatus (self->conn) != CONNECTION_OK || strncmp (self->sqlstate, "08", 2) == 0;
    //  Constraint violations are business refusals the caller reports;
    //  everything else is worth a log line.
    if (strncmp (self->sqlstate, "23", 2) != 0)
        log_error ("could not execute statement: %s (sqlstate %s)", self->errmsg, self->sqlstate);
    PQclear (res);
    return NULL;
}

PGresult *
npo_db_exec (npo_db_t *self, const char *sql, int n, const char *const *params)
{
    return npo_db_exec_bin (self, sql, n, params, NULL, NULL, 0);
}

int
npo_db_cmd (npo_db_t *self, const char *sql, int n, const char *const *params)
{
    PGresult *res = npo_db_exec (self, sql, n, params);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

int
npo_db_begin (npo_db_t *self)
{
    if (npo_db_cmd (self, "BEGIN", 0, NULL))
        return -1;
    self->in_tx = true;
    return 0;
}

int
npo_db_commit (npo_db_t *self)
{
    //  A failed COMMIT on a lost connection leaves the outcome unknown: the
    //  caller re-reads what it needs (the consumer reloads its offset).
    int rc = npo_db_cmd (self, "COMMIT", 0, NULL);
    self->in_tx = false;
    return rc;
}

void
npo_db_rollback (npo_db_t *self)
{
    self->in_tx = false;
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK
    &&  PQtransactionStatus (self->conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec (self->conn, "ROLLBACK");
        PQclear (res);
    }
}

bool
npo_db_in_tx (npo_db_t *self)
{
    return self->in_tx;
}

const char *
npo_db_constraint (npo_db_t *self)
{
    return self->constraint;
}

const char *
npo_db_sqlstate (npo_db_t *self)
{
    return self->sqlstate;
}

const char *
npo_db_errmsg (npo_db_t *self)
{
    return self->errmsg;
}

bool
npo_db_lost (npo_db_t *self)
{
    return self->lost;
}

//  Runs a multi-statement script (trusted migration text) inside the open
//  transaction. Returns 0 or -1.
static int
s_exec_script (npo_db_t *self, const char *sql)
{
    PGresult *res = PQexec (self->conn, sql);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK
          || PQresultStatus (res) == PGRES_TUPLES_OK? 0: -1;
    if (rc)
        snprintf (self->errmsg, sizeof self->errmsg, "%s", PQerrorMessage (self->conn));
    PQclear (res);
    return rc;
}

int
npo_db_migrate (npo_db_t *self, const npo_migration_t *list, size_t count)
{
    if (npo_db_ensure (self))
        return -1;
    char *ident = PQescapeIdentifier (self->conn, self->schema, strlen (self->schema));
    if (!ident)
        return -1;
    char sql [512];
    snprintf (sql, sizeof sql,
              "CREATE SCHEMA IF NOT EXISTS %s;"
              "CREATE TABLE IF NOT EXISTS %s.schema_migrations ("
              " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now ())",
              ident, ident);
    PQfreemem (ident);
    //  Two instances starting at once: the second waits for the first.
    const char *p [1] = { self->schema };
    PGresult *res = npo_db_exec (self, "SELECT pg_advisory_lock (hashtext ('npo.migrate.' || $1))",
                                 1, p);
    if (!res)
        return -1;
    PQclear (res);
    int rc = -1;
    if (s_exec_script (self, sql)) {
        log_error ("could not create schema %s: %s", self->schema, self->errmsg);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        const char *v [1] = { list [i].version };
        res = npo_db_exec (self, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, v);
        if (!res)
            goto done;
        bool applied = PQntuples (res) > 0;
        PQclear (res);
        if (applied)
            continue;
        if (npo_db_begin (self))
            goto done;
        if (s_exec_script (self, list [i].sql)
        ||  npo_db_cmd (self, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, v)
        ||  npo_db_commit (self)) {
            log_error ("could not apply migration %s.%s: %s",
                       self->schema, list [i].version, self->errmsg);
            npo_db_rollback (self);
            goto done;
        }
        log_info ("applied migration %s.%s", self->schema, list [i].version);
    }
    rc = 0;
done:
    npo_db_cmd (self, "SELECT pg_advisory_unlock (hashtext ('npo.migrate.' || $1))", 1, p);
    return rc;
}

void
npo_db_array_add (npo_db_array_t *a, const char *value)
{
    size_t need = a->len + 2 * (value? strlen (value): 4) + 8;
    if (need > a->cap) {
        a->cap = need * 2;
        a->text = realloc (a->text, a->cap);
        if (!a->text)
            abort ();
    }
    a->text [a->len++] = a->count++? ',': '{';
    if (!value) {
        memcpy (a->text + a->len, "NULL", 4);
        a->len += 4;
        a->text [a->len] = 0;
        return;
    }
    a->text [a->len++] = '"';
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            a->text [a->len++] = '\\';
        a->text [a->len++] = *p;
    }
    a->text [a->len++] = '"';
    a->text [a->len] = 0;
}

const char *
npo_db_array_end (npo_db_array_t *a)
{
    if (!a->count) {
        free (a->text);
        a->text = strdup ("{}");
        if (!a->text)
            abort ();
        return a->text;
    }
    a->text [a->len++] = '}';
    a->text [a->len] = 0;
    return a->text;
}

void
npo_db_test (bool verbose)
{
    //  Needs a server: runs only when NPO_PG_DSN is set (the test harness sets it).
    const char *dsn = npo_config_str ("PG_DSN", NULL);
    if (verbose)
        printf (" * db: ");
    if (!dsn) {
        if (verbose)
            printf ("no NPO_PG_DSN, connection checks not run\n");
        SELFTEST_CHECK (npo_db_new ("host=127.0.0.1 port=1 connect_timeout=1", "x", 0) == NULL);
        return;
    }
    npo_db_t *db = npo_db_new (dsn, "selftest", 5000);
    SELFTEST_CHECK (db != NULL);
    if (!db)
        return;
    static const npo_migration_t m [] = {
        { "0001_t", "DROP TABLE IF EXISTS t; CREATE TABLE t (k text PRIMARY KEY, v int);" },
        { "0002_t", "INSERT INTO t VALUES ('a', 1);" },
    };
    npo_db_cmd (db, "DROP SCHEMA IF EXISTS selftest CASCADE", 0, NULL);
    SELFTEST_CHECK (npo_db_migrate (db, m, 2) == 0);
    SELFTEST_CHECK (npo_db_migrate (db, m, 2) == 0);        //  twice: nothing reapplied
    PGresult *res = npo_db_exec (db, "SELECT count(*) FROM t", 0, NULL);
    SELFTEST_CHECK (res && strcmp (PQgetvalue (res, 0, 0), "1") == 0);
    PQclear (res);
    //  An array parameter carries quotes, backslashes, NULL and commas intact
    npo_db_array_t a = { 0 };
    const char *values [4] = { "a\"b", "c\\d", NULL, "e,f}" };
    for (int i = 0; i < 4; i++)
        npo_db_array_add (&a, values [i]);
    const char *param [1] = { npo_db_array_end (&a) };
    res = npo_db_exec (db, "SELECT v [1], v [2], v [3] IS NULL, v [4], cardinality (v)"
                       " FROM (SELECT $1::text [] AS v) x", 1, param);
    SELFTEST_CHECK (res && strcmp (PQgetvalue (res, 0, 0), "a\"b") == 0
                    && strcmp (PQgetvalue (res, 0, 1), "c\\d") == 0
                    && strcmp (PQgetvalue (res, 0, 2), "t") == 0
                    && strcmp (PQgetvalue (res, 0, 3), "e,f}") == 0
                    && strcmp (PQgetvalue (res, 0, 4), "4") == 0);
    PQclear (res);
    free (a.text);
    npo_db_array_t empty = { 0 };
    SELFTEST_CHECK (strcmp (npo_db_array_end (&empty), "{}") == 0);
    free (empty.text);
    //  A failing migration leaves nothing behind
    static const npo_migration_t bad [] = {
        { "0003_bad", "INSERT INTO t VALUES ('b', 2); SELECT no_such_function ();" },
    };
    SELFTEST_CHECK (npo_db_migrate (db, bad, 1) == -1);
    res = npo_db_exec (db, "SELECT count(*) FROM t", 0, NULL);
    SELFTEST_CHECK (res && strcmp (PQgetvalue (res, 0, 0), "1") == 0);
    PQclear (res);
    //  Parameters, constraint violations with their sqlstate
    const char *p [2] = { "a", "3" };
    SELFTEST_CHECK (npo_db_cmd (db, "INSERT INTO t VALUES ($1, $2)", 2, p) == -1);
    SELFTEST_CHECK (strcmp (npo_db_sqlstate (db), "23505") == 0);
    SELFTEST_CHECK (!npo_db_lost (db));
    //  Reconnect after the server closed our session
    res = npo_db_exec (db, "SELECT pg_terminate_backend (pg_backend_pid ())", 0, NULL);
    PQclear (res);
    SELFTEST_CHECK (npo_db_ensure (db) == 0);
    //  Inside a transaction, a lost connection is reported, not replaced
    SELFTEST_CHECK (npo_db_begin (db) == 0);
    res = npo_db_exec (db, "SELECT pg_terminate_backend (pg_backend_pid ())", 0, NULL);
    PQclear (res);
    SELFTEST_CHECK (npo_db_cmd (db, "INSERT INTO t VALUES ('z', 9)", 0, NULL) == -1);
    SELFTEST_CHECK (npo_db_lost (db));
    npo_db_rollback (db);
    res = npo_db_exec (db, "SELECT count(*) FROM t WHERE k = 'z'", 0, NULL);
    SELFTEST_CHECK (res && strcmp (PQgetvalue (res, 0, 0), "0") == 0);
    PQclear (res);
    SELFTEST_CHECK (npo_db_cmd (db, "INSERT INTO t VALUES ('a', 4)", 0, NULL) == -1);
    SELFTEST_CHECK (strcmp (npo_db_constraint (db), "t_pkey") == 0);
    res = npo_db_exec (db, "SELECT v FROM t WHERE k = 'a'", 0, NULL);
    SELFTEST_CHECK (res && strcmp (PQgetvalue (res, 0, 0), "1") == 0);
    PQclear (res);
    npo_db_cmd (db, "DROP SCHEMA selftest CASCADE", 0, NULL);
    npo_db_destroy (&db);
    npo_db_destroy (&db);
    SELFTEST_CHECK (db == NULL);
    if (verbose)
        printf ("OK\n");
}
