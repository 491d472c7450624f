/*  main.c - npo-party: wiring only
 */
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "quality.h"
#include "party.h"

extern const npo_migration_t npo_migrations [];
extern const unsigned long npo_migrations_len;

int
main (int argc, char *argv [])
{
    int usage = npo_config_usage (argc, argv,
        "usage: npo-party\n\n"
        "The party-building service: party organizations (catalog section 5) and\n"
        "party members (section 6) of social organizations. Personal data: read by\n"
        "the ministry and the organization's own registrar only; every command is\n"
        "audited; events carry no person. Learns organizations from the registry.\n"
        "Configured by environment (docs/operations.md): NPO_PG_DSN,\n"
        "NPO_PARTY_ROUTER (default tcp://127.0.0.1:7121), NPO_PARTY_PUB (:7122),\n"
        "NPO_REGISTRY_ROUTER, NPO_REGISTRY_PUB, NPO_LOG_LEVEL.\n");
    if (usage >= 0)
        return usage;
    npo_log_init ("party");
    //  Findings of a returned record name it by a keyed hash (docs/import.md 6.4)
    if (npo_record_ref_load () < 0)
        return 1;
    int rc = 1;
    party_t self = { 0 };
    npo_server_t *server = NULL;
    npo_consumer_t *registry = NULL;
    self.db = npo_db_open_service ("party", npo_migrations, npo_migrations_len);
    if (!self.db)
        goto done;
    //  Due dates estimated for want of a year's holiday notice, recomputed
    //  now that this build's calendar may hold it (docs/import.md 6.5)
    npo_findings_redate_at_start (self.db);
    server = npo_server_new ("party", npo_config_endpoint ("party", "router"),
                             npo_config_endpoint ("party", "pub"), party_handle, &self);
    if (!server)
        goto done;
    self.outbox = npo_outbox_new (self.db, "party", npo_server_pub (server));
    if (!self.outbox)
        goto done;
    npo_server_set_outbox (server, self.outbox);
    registry = npo_consumer_of (server, self.db, "registry", party_apply_registry, NULL, &self);
    if (!registry)
        goto done;
    rc = npo_server_run (server);
done:
    npo_consumer_destroy (&registry);
    npo_server_destroy (&server);
    npo_outbox_destroy (&self.outbox);
    npo_db_destroy (&self.db);
    return rc;
}
