/*  main.c - npo-inspection: wiring only
 */
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "config.h"
#include "inspection.h"
#include "log.h"
#include "quality.h"

extern const npo_migration_t npo_migrations [];
extern const unsigned long npo_migrations_len;

int
main (int argc, char *argv [])
{
    int usage = npo_config_usage (argc, argv,
        "usage: npo-inspection\n\n"
        "The inspection service: annual inspections and annual work reports (catalog\n"
        "sections 16, 17), the deadline sweep, evaluation grades (10) and audits (8).\n"
        "Learns organizations from the registry's events, and penalties, case filings\n"
        "and credit listings from the credit service's.\n"
        "Configured by environment (docs/operations.md): NPO_PG_DSN,\n"
        "NPO_INSPECTION_ROUTER (default tcp://127.0.0.1:7111), NPO_INSPECTION_PUB (:7112),\n"
        "NPO_REGISTRY_ROUTER, NPO_REGISTRY_PUB, NPO_CREDIT_ROUTER, NPO_CREDIT_PUB,\n"
        "NPO_INSPECTION_DAILY_SWEEP (1: sweep as of each new day, the default; 0: only\n"
        "on command), NPO_LOG_LEVEL.\n");
    if (usage >= 0)
        return usage;
    npo_log_init ("inspection");
    //  Findings of a returned record name it by a keyed hash (docs/import.md 6.4)
    if (npo_record_ref_load () < 0)
        return 1;
    int rc = 1;
    insp_t self = { 0 };
    self.daily_sweep = npo_config_int ("INSPECTION_DAILY_SWEEP", 1, 0, 1) == 1;
    npo_server_t *server = NULL;
    npo_consumer_t *registry = NULL, *credit = NULL;
    self.db = npo_db_open_service ("inspection", npo_migrations, npo_migrations_len);
    if (!self.db)
        goto done;
    //  Due dates estimated for want of a year's holiday notice, recomputed
    //  now that this build's calendar may hold it (docs/import.md 6.5)
    npo_findings_redate_at_start (self.db);
    server = npo_server_new ("inspection", npo_config_endpoint ("inspection", "router"),
                             npo_config_endpoint ("inspection", "pub"), insp_handle, &self);
    if (!server)
        goto done;
    self.outbox = npo_outbox_new (self.db, "inspection", npo_server_pub (server));
    if (!self.outbox)
        goto done;
    npo_server_set_outbox (server, self.outbox);
    registry = npo_consumer_of (server, self.db, "registry", insp_apply_registry, NULL, &self);
    credit = npo_consumer_of (server, self.db, "credit", insp_apply_credit, NULL, &self);
    if (!registry || !credit)
        goto done;
    npo_server_add_timer (server, 5000, insp_tick, &self);
    rc = npo_server_run (server);
done:
    npo_consumer_destroy (&credit);
    npo_consumer_destroy (&registry);
    npo_server_destroy (&server);
    npo_outbox_destroy (&self.outbox);
    npo_db_destroy (&self.db);
    return rc;
}
