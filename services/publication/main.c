/*  main.c - npo-publication: wiring only
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "publication.h"

extern const npo_migration_t npo_migrations [];
extern const unsigned long npo_migrations_len;

int
main (int argc, char *argv [])
{
    int usage = npo_config_usage (argc, argv, "usage: npo-publication\n\n"
                "Consumes the registry's events, keeps the public records in PostgreSQL\n"
                "(schema publication) and their JSON in Redis; rebuilds Redis when it was\n"
                "emptied. Configured by environment (docs/operations.md): NPO_PG_DSN,\n"
                "NPO_REDIS_HOST, NPO_REDIS_PORT, NPO_PUBLICATION_ROUTER, NPO_PUBLICATION_PUB,\n"
                "NPO_REGISTRY_ROUTER, NPO_REGISTRY_PUB, NPO_INSPECTION_ROUTER,\n"
                "NPO_INSPECTION_PUB, NPO_CREDIT_ROUTER, NPO_CREDIT_PUB, NPO_PARTY_ROUTER,\n"
                "NPO_PARTY_PUB, NPO_STATS_INTERVAL_MS (how often /v1/stats may be rewritten,\n"
                "default 5000), NPO_LOG_LEVEL.\n");
    if (usage >= 0)
        return usage;
    npo_log_init ("publication");
    int rc = 1;
    pub_t self = { 0 };
    npo_server_t *server = NULL;
    npo_consumer_t *registry = NULL, *inspection = NULL, *credit = NULL, *party = NULL;
    self.redis_host = npo_config_str ("REDIS_HOST", "127.0.0.1");
    self.redis_port = (int) npo_config_int ("REDIS_PORT", 7191, 1, 65535);
    self.stats_interval_ms = (int) npo_config_int ("STATS_INTERVAL_MS", 5000, 100, 3600000);
    self.stats_dirty = true;            //  written once at start, then on changes
    self.db = npo_db_open_service ("publication", npo_migrations, npo_migrations_len);
    if (!self.db)
        goto done;
    server = npo_server_new ("publication", npo_config_endpoint ("publication", "router"),
                             npo_config_endpoint ("publication", "pub"), pub_handle, &self);
    if (!server)
        goto done;
    if (pub_stream_init (&self, npo_server_pub (server)))
        goto done;
    //  The cache first: records applied from now on find Redis ready.
    pub_tick (&self);
    npo_server_add_timer (server, 1000, pub_tick, &self);
    registry = npo_consumer_of (server, self.db, "registry", pub_apply, pub_committed, &self);
    inspection = npo_consumer_of (server, self.db, "inspection", pub_apply_inspection,
                                  pub_committed, &self);
    credit = npo_consumer_of (server, self.db, "credit", pub_apply_credit, pub_committed, &self);
    party = npo_consumer_of (server, self.db, "party", pub_apply_party, pub_committed, &self);
    if (!registry || !inspection || !credit || !party)
        goto done;
    rc = npo_server_run (server);
done:
    npo_consumer_destroy (&party);
    npo_consumer_destroy (&credit);
    npo_consumer_destroy (&inspection);
    npo_consumer_destroy (&registry);
    npo_server_destroy (&server);
    pub_destroy_pending (&self);
    free (self.pending);
    redisFree (self.redis);
    npo_db_destroy (&self.db);
    return rc;
}
