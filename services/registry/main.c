/*  main.c - npo-registry: wiring only
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "quality.h"
#include "registry.h"

extern const npo_migration_t npo_migrations [];
extern const unsigned long npo_migrations_len;

int
main (int argc, char *argv [])
{
    int usage = npo_config_usage (argc, argv, "usage: npo-registry\n\n"
                "The registry service: applications, review, code assignment.\n"
                "Configured by environment (docs/operations.md): NPO_PG_DSN,\n"
                "NPO_REGISTRY_ROUTER (default tcp://127.0.0.1:7101),\n"
                "NPO_REGISTRY_PUB (default tcp://127.0.0.1:7102), NPO_CERT_MASTER_KEY_FILE\n"
                "(64 hex digits; the certificate signing keys derive from it),\n"
                "NPO_QUALITY_KEY_FILE (64 hex digits; findings name personal records by\n"
                "it), NPO_LOG_LEVEL.\n");
    if (usage >= 0)
        return usage;
    npo_log_init ("registry");
    if (sodium_init () < 0) {
        log_error ("could not initialize libsodium");
        return 1;
    }
    int rc = 1;
    reg_t self = { 0 };
    npo_server_t *server = NULL;
    npo_consumer_t *credit = NULL;
    //  The secret the authorities' certificate keys derive from (cert.h)
    const char *key_file = npo_config_str ("CERT_MASTER_KEY_FILE", NULL);
    FILE *kf = key_file? fopen (key_file, "r"): NULL;
    char hex [80] = "";
    size_t key_len = 0;
    if (kf) {
        if (!fgets (hex, sizeof hex, kf))
            hex [0] = 0;
        fclose (kf);
    }
    if (sodium_hex2bin (self.cert_master, sizeof self.cert_master, hex, strlen (hex), " \n",
                        &key_len, NULL) || key_len != sizeof self.cert_master) {
        log_error ("could not read the certificate master key: NPO_CERT_MASTER_KEY_FILE must"
                   " name a file holding 64 hex digits (deploy/cluster.sh makes one)");
        return 1;
    }
    //  Findings name a record with personal data by a keyed hash of its key
    if (npo_record_ref_load () < 0)
        return 1;
    self.db = npo_db_open_service ("registry", npo_migrations, npo_migrations_len);
    if (!self.db)
        goto done;
    //  Due dates counted Monday to Friday for want of a year's holiday notice,
    //  recomputed now that this build's calendar may hold it (docs/import.md 6.5)
    npo_findings_redate_at_start (self.db);
    server = npo_server_new ("registry", npo_config_endpoint ("registry", "router"),
                             npo_config_endpoint ("registry", "pub"), reg_handle, &self);
    if (!server)
        goto done;
    self.outbox = npo_outbox_new (self.db, "registry", npo_server_pub (server));
    if (!self.outbox)
        goto done;
    npo_server_set_outbox (server, self.outbox);
    //  Revocations arrive as credit events
    credit = npo_consumer_of (server, self.db, "credit", reg_apply_credit, NULL, &self);
    if (!credit)
        goto done;
    rc = npo_server_run (server);
done:
    npo_consumer_destroy (&credit);
    npo_server_destroy (&server);
    npo_outbox_destroy (&self.outbox);
    npo_db_destroy (&self.db);
    return rc;
}
