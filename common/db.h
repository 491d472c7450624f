/*  db.h - PostgreSQL connection with reconnect, and the migrations runner
 *
 *  One npo_db_t per service, bound to the service's own schema (search_path).
 *  SQL only through parameters (PQexecParams).
 */
#ifndef NPO_DB_H
#define NPO_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

typedef struct npo_db_t npo_db_t;

typedef struct {
    const char *version;    //  file name without .sql, e.g. "0001_init"
    const char *sql;
} npo_migration_t;

//  Connects to conninfo (NPO_PG_DSN) with search_path = schema, retrying for up
//  to wait_ms. Returns NULL when it could not connect (logged).
npo_db_t *
    npo_db_new (const char *conninfo, const char *schema, int wait_ms);

//  Closes the connection. Safe twice; NULLs *self_p.
void
    npo_db_destroy (npo_db_t **self_p);

//  The connection; not owned. May change after npo_db_ensure.
PGconn *
    npo_db_conn (npo_db_t *self);

//  Reconnects when the connection is broken. Returns 0 when usable, else -1.
int
    npo_db_ensure (npo_db_t *self);

//  Runs sql with n text parameters (NULL = SQL NULL). Returns the result when
//  its status is PGRES_TUPLES_OK or PGRES_COMMAND_OK (caller PQclears), else
//  NULL, with the error logged and kept in npo_db_sqlstate / npo_db_errmsg.
PGresult *
    npo_db_exec (npo_db_t *self, const char *sql, int n, const char *const *params);

//  The same for statements whose rows do not matter. Returns 0 or -1.
int
    npo_db_cmd (npo_db_t *self, const char *sql, int n, const char *const *params);

//  Like npo_db_exec with binary-format parameters (lengths, formats as libpq).
PGresult *
    npo_db_exec_bin (npo_db_t *self, const char *sql, int n, const char *const *params,
                     const int *lengths, const int *formats, int result_format);

//  BEGIN / COMMIT / ROLLBACK. Return 0 or -1. Rollback is safe when no
//  transaction is open.
int
    npo_db_begin (npo_db_t *self);
int
    npo_db_commit (npo_db_t *self);
void
    npo_db_rollback (npo_db_t *self);

//  SQLSTATE and message of the last failed statement ("" when none).
const char *
    npo_db_sqlstate (npo_db_t *self);
const char *
    npo_db_errmsg (npo_db_t *self);

//  The constraint the last failed statement violated ("" when none).
const char *
    npo_db_constraint (npo_db_t *self);

//  True between a successful BEGIN and COMMIT or ROLLBACK.
bool
    npo_db_in_tx (npo_db_t *self);

//  True when the last failure was a lost connection (retry later) rather than
//  a refused statement.
bool
    npo_db_lost (npo_db_t *self);

//  Creates the schema if needed and applies every migration not yet recorded
//  in <schema>.schema_migrations, each in its own transaction, in list order,
//  under an advisory lock (two instances starting at once are safe).
//  Returns 0, or -1 (the failing migration rolled back, logged).
int
    npo_db_migrate (npo_db_t *self, const npo_migration_t *list, size_t count);

//  For a service's main: connects to NPO_PG_DSN (default: `make run`'s
//  PostgreSQL), waiting up to 30 s for the server, bound to schema, and
//  applies the migrations. Returns NULL when either failed (logged).
npo_db_t *
    npo_db_open_service (const char *schema, const npo_migration_t *list, size_t count);

//  A PostgreSQL array literal for one parameter of a statement that works
//  on a whole batch ($1::text[], unnest): zero it, add the elements, end it
//  once, and free text after the statement.
typedef struct {
    char *text;
    size_t len, cap;
    size_t count;
} npo_db_array_t;

//  Adds value (NULL: an SQL NULL).
void
    npo_db_array_add (npo_db_array_t *a, const char *value);

//  Returns the literal ("{}" when empty); add nothing after.
const char *
    npo_db_array_end (npo_db_array_t *a);

//  The schema this connection is bound to. Not owned.
const char *
    npo_db_schema (npo_db_t *self);

void
    npo_db_test (bool verbose);

#endif
