/*  main.c - npo-credit: wiring only
 */
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "config.h"
#include "credit.h"
#include "log.h"
#include "quality.h"

extern const npo_migration_t npo_migrations [];
extern const unsigned long npo_migrations_len;

int
main (int argc, char *argv [])
{
    int usage = npo_config_usage (argc, argv,
        "usage: npo-credit\n\n"
        "The credit service: administrative and fundraising penalties, case filings,\n"
        "and the abnormal and serious lists applied by rule (catalog sections 11-15).\n"
        "Learns organizations from the registry's events and annual-report facts\n"
        "from the inspection service's. Configured by environment\n"
        "(docs/operations.md): NPO_PG_DSN, NPO_CREDIT_ROUTER (default\n"
        "tcp://127.0.0.1:7131), NPO_CREDIT_PUB (:7132), NPO_REGISTRY_ROUTER,\n"
        "NPO_REGISTRY_PUB, NPO_INSPECTION_ROUTER, NPO_INSPECTION_PUB,\n"
        "NPO_CREDIT_DAILY_SWEEP (1: the time rules as of each new day, the default;\n"
        "0: only on command), NPO_LOG_LEVEL.\n");
    if (usage >= 0)
        return usage;
    npo_log_init ("credit");
    //  Findings of a returned record name it by a keyed hash (docs/import.md 6.4)
    if (npo_record_ref_load () < 0)
        return 1;
    int rc = 1;
    credit_t self = { 0 };
    npo_server_t *server = NULL;
    npo_consumer_t *registry = NULL, *inspection = NULL;
    self.daily_sweep = npo_config_int ("CREDIT_DAILY_SWEEP", 1, 0, 1) == 1;
    self.db = npo_db_open_service ("credit", npo_migrations, npo_migrations_len);
    if (!self.db)
        goto done;
    //  Due dates estimated for want of a year's holiday notice, recomputed
    //  now that this build's calendar may hold it (docs/import.md 6.5)
    npo_findings_redate_at_start (self.db);
    server = npo_server_new ("credit", npo_config_endpoint ("credit", "router"),
                             npo_config_endpoint ("credit", "pub"), credit_handle, &self);
    if (!server)
        goto done;
    self.outbox = npo_outbox_new (self.db, "credit", npo_server_pub (server));
    if (!self.outbox)
        goto done;
    npo_server_set_outbox (server, self.outbox);
    registry = npo_consumer_of (server, self.db, "registry", credit_apply_registry, NULL, &self);
    inspection = npo_consumer_of (server, self.db, "inspection", credit_apply_inspection,
                                  NULL, &self);
    if (!registry || !inspection)
        goto done;
    npo_server_add_timer (server, 5000, credit_tick, &self);
    rc = npo_server_run (server);
done:
    npo_consumer_destroy (&inspection);
    npo_consumer_destroy (&registry);
    npo_server_destroy (&server);
    npo_outbox_destroy (&self.outbox);
    npo_db_destroy (&self.db);
    return rc;
}
