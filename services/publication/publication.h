/*  publication.h - npo-publication: public records, the Redis cache, the
 *  public event log
 */
#ifndef PUBLICATION_H
#define PUBLICATION_H

#include <stdint.h>
#include <hiredis/hiredis.h>
#include "bus.h"
#include "db.h"

//  A public record written in PostgreSQL, waiting for its Redis write.
typedef struct {
    char uscc [19];
    char *doc;                  //  org:<uscc>
    char *changes;              //  changes:<uscc>, the public change list (NULL: unchanged)
    char *key [4];              //  more keys to set with the record: cert:<number>
    char *val [4];              //  verification documents, alias:<...> names
    uint64_t pub_seq;           //  public event seq of this change
    int64_t sid;                //  > 0: (re)index doc's name, division, type and
                                //  status for search under this number (orgs.sid)
    //  A credit listing: listing:<id> and its membership of the sorted sets
    //  list:<list>:<prefix> (national, province, city, county)
    char *listing_id;
    char *listing_doc;          //  NULL: removed from the lists
    char list [12];             //  abnormal | serious
    char division [8];
    char score [24];            //  yyyymmdd * 1e8 + id: newest first
} pub_pending_t;

typedef struct {
    npo_db_t *db;               //  the publication schema
    redisContext *redis;        //  NULL while disconnected
    const char *redis_host;
    int redis_port;
    pub_pending_t *pending;     //  records of the batch being applied
    size_t npending, cpending;
    bool behind;                //  a write failed: npo:pub_seq stays put until repaired
    bool stats_dirty;           //  organizations changed since stats:<prefix> were written
    int64_t stats_at_ms;        //  when they were last written
    int stats_interval_ms;      //  at most this often (NPO_STATS_INTERVAL_MS)
    void *pub;                  //  the public stream (PUB), not owned
    uint64_t published;         //  public events sent up to this seq
} pub_t;

//  Consumer callbacks for the registry, inspection and credit streams
//  (pub_committed serves them all).
int
    pub_apply (void *state, const Npo__Envelope *event);
int
    pub_apply_inspection (void *state, const Npo__Envelope *event);
int
    pub_apply_party (void *state, const Npo__Envelope *event);
int
    pub_apply_credit (void *state, const Npo__Envelope *event);
void
    pub_committed (void *state, bool ok);

//  Command handler (CacheRebuild).
void
    pub_handle (void *state, const Npo__Request *request, Npo__Reply *reply);

//  Timer: reconnects Redis; rebuilds it when it was emptied or replaced
//  (npo:ready missing); rewrites the records it missed (npo:pub_seq behind);
//  rewrites the statistics when organizations changed.
void
    pub_tick (void *state);

//  Writes every public record to Redis, then sets npo:ready and npo:pub_seq,
//  unless Redis was emptied meanwhile (then the next tick starts again).
//  Returns the number of records, or -1.
long long
    pub_rebuild (pub_t *self);

//  stream.c: the public stream. Init takes the PUB socket and starts after
//  the events already logged; relay sends what was logged since (after each
//  commit); heartbeat says where each province stands (each tick).
int
    pub_stream_init (pub_t *self, void *pub);
void
    pub_relay (pub_t *self);
void
    pub_heartbeat (pub_t *self);
void
    pub_replay (pub_t *self, const Npo__PublicReplay *cmd, Npo__Reply *reply);
void
    pub_snapshot (pub_t *self, const Npo__PublicSnapshot *cmd, Npo__Reply *reply);

//  Renders the public JSON of an organization (allow-listed fields only).
//  Returns a malloc'd string, or NULL when the record cannot be rendered.
char *
    pub_render (const Npo__Organization *org);

void
    pub_destroy_pending (pub_t *self);

#endif
