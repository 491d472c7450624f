/*  publication.h - npo-publication: public records, the Redis cache, the
 *  public event log
 */
#ifndef PUBLICATION_H
#define PUBLICATION_H

#include <hiredis/hiredis.h>
#include "bus.h"
#include "db.h"

//  A public record written in PostgreSQL, waiting for its Redis write.
typedef struct {
    char uscc [19];
    char *doc;
} pub_pending_t;

typedef struct {
    npo_db_t *db;               //  the publication schema
    redisContext *redis;        //  NULL while disconnected
    const char *redis_host;
    int redis_port;
    pub_pending_t *pending;     //  records of the batch being applied
    size_t npending, cpending;
    bool cache_stale;           //  a Redis write failed: rebuild when back
} pub_t;

//  Consumer callbacks for the registry stream.
int
    pub_apply (void *state, const Npo__Envelope *event);
void
    pub_committed (void *state, bool ok);

//  Command handler (CacheRebuild).
void
    pub_handle (void *state, const Npo__Request *request, Npo__Reply *reply);

//  Timer: reconnects Redis, and rebuilds it when it was emptied or replaced
//  (npo:ready missing) or a write failed.
void
    pub_tick (void *state);

//  Writes every public record to Redis, then sets npo:ready. Returns the
//  number of records, or -1.
long long
    pub_rebuild (pub_t *self);

//  Renders the public JSON of an organization (allow-listed fields only).
//  Returns a malloc'd string.
char *
    pub_render (const Npo__Organization *org);

void
    pub_destroy_pending (pub_t *self);

#endif
