/*  selftest.c - runs every common/ module's self-test from one table
 *
 *  npo-selftest [-v] [module]; prints "N passed, N failed" and exits 1 on a
 *  failure. Modules that need PostgreSQL read NPO_PG_DSN (the harness sets it).
 */
#include <stdio.h>
#include <string.h>

#include "actor.h"
#include "bus.h"
#include "cert.h"
#include "codes.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "pbjson.h"
#include "quality.h"
#include "selftest.h"
#include "../services/npoctl/certpdf.h"

//  The quality self-test keeps findings in a schema of its own, made by the
//  migrations of common/sql: embedded into this program as into a service
extern const npo_migration_t npo_migrations [];
extern const unsigned long npo_migrations_len;

static void
s_quality_test (bool verbose)
{
    npo_quality_test (verbose, npo_migrations, npo_migrations_len);
}

static const struct {
    const char *name;
    void (*test) (bool verbose);
} s_tests [] = {
    { "config", npo_config_test },
    { "log",    npo_log_test },
    { "codes",  npo_codes_test },
    { "db",     npo_db_test },
    { "pbjson", npo_pbjson_test },
    { "quality", s_quality_test },
    { "cert",   npo_cert_test },
    { "certpdf", certpdf_test },
    { "actor",  npo_actor_test },
    { "bus",    npo_bus_test },
};

int
main (int argc, char *argv [])
{
    bool verbose = false;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "-v") == 0)
            verbose = true;
        else
        if (strcmp (argv [i], "--help") == 0 || strcmp (argv [i], "-h") == 0) {
            printf ("usage: npo-selftest [-v] [module]\n");
            return 0;
        }
        else
            only = argv [i];
    }
    npo_log_init ("selftest");
    int ran = 0;
    for (size_t i = 0; i < sizeof s_tests / sizeof s_tests [0]; i++)
        if (!only || strcmp (only, s_tests [i].name) == 0) {
            s_tests [i].test (verbose);
            ran++;
        }
    if (ran == 0) {
        fprintf (stderr, "npo-selftest: no module named %s\n", only);
        return 2;
    }
    printf ("selftest: %d passed, %d failed\n", npo_selftest_passed, npo_selftest_failed);
    return npo_selftest_failed? 1: 0;
}
