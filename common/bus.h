/*  bus.h - the ZeroMQ bus: ROUTER service loop, request client, outbox relay,
 *  heartbeats, replay and idempotent consumers (DESIGN.md, "Delivery")
 *
 *  Wire format. Commands: the client (DEALER) sends [""][Request]; the ROUTER
 *  answers [id][""][Reply] (a peer that sends no empty delimiter gets its reply
 *  without one). Events: PUB sends [topic][Envelope]; topic is the event type
 *  ("registry.org_registered") or "_hb" for heartbeats, whose Envelope carries
 *  the stream and its last seq.
 *
 *  Ownership. A handler fills the Reply with memory it allocated (npo_strdup,
 *  malloc, protobuf-c __init'ed structs on the heap); the server frees the
 *  whole reply with protobuf_c_message_free_unpacked after sending it. Never
 *  point reply fields at the request.
 */
#ifndef NPO_BUS_H
#define NPO_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include "envelope.pb-c.h"
#include "db.h"

//  Bound on every ZeroMQ message (ZMQ_MAXMSGSIZE) and on packed protobufs.
#define NPO_MAX_MSG  (4 * 1024 * 1024)

//  Events per Replay reply, at most.
#define NPO_REPLAY_MAX  1000

typedef struct npo_server_t npo_server_t;
typedef struct npo_client_t npo_client_t;
typedef struct npo_outbox_t npo_outbox_t;
typedef struct npo_consumer_t npo_consumer_t;

//  ---------------------------------------------------------------------
//  Helpers

//  Returns a malloc'd copy of s ("" for NULL). Aborts on out-of-memory: a
//  service that cannot allocate 100 bytes cannot answer anyway.
char *
    npo_strdup (const char *s);

//  Sets status, error_code and a formatted error_message on reply.
void
    npo_reply_error (Npo__Reply *reply, Npo__Status status, const char *code,
                     const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));

//  Returns a malloc'd packed copy of msg in *data, its size in *size; 0, or
//  -1 when larger than NPO_MAX_MSG (nothing allocated).
int
    npo_pack (const ProtobufCMessage *msg, uint8_t **data, size_t *size);

//  Current time in microseconds since the epoch.
int64_t
    npo_now_us (void);

//  Fills buf (33 bytes) with a random 128-bit id in hex.
void
    npo_random_id (char *buf);

//  The status as a lower-case word ("ok", "bad_request", ...).
const char *
    npo_status_name (Npo__Status status);

//  ---------------------------------------------------------------------
//  Server: a ROUTER socket, an optional PUB socket, timers and extra readers,
//  one zmq_poll loop. SIGTERM and SIGINT end npo_server_run.

typedef void (npo_handler_fn) (void *state, const Npo__Request *request, Npo__Reply *reply);
typedef void (npo_timer_fn) (void *state);
typedef void (npo_reader_fn) (void *state, void *socket);

//  Creates the server and binds router (and pub, when not NULL). Returns NULL
//  when a bind failed (logged).
npo_server_t *
    npo_server_new (const char *service, const char *router, const char *pub,
                    npo_handler_fn *handler, void *state);

void
    npo_server_destroy (npo_server_t **self_p);

//  The ZeroMQ context (for more sockets); not owned.
void *
    npo_server_ctx (npo_server_t *self);

//  Writes the endpoint the router (or, with pub, the PUB socket) is bound to
//  into buf: a wildcard port ("tcp://127.0.0.1:*") comes back resolved.
//  Returns 0, or -1.
int
    npo_server_endpoint (npo_server_t *self, bool pub, char *buf, size_t size);

//  The PUB socket, or NULL; not owned.
void *
    npo_server_pub (npo_server_t *self);

//  Calls fn every interval_ms. Returns 0, or -1 when the table is full.
int
    npo_server_add_timer (npo_server_t *self, int interval_ms, npo_timer_fn *fn, void *state);

//  Lists a consumer of the server's: Pong then says how far it has applied
//  its stream. Returns 0, or -1 when the table is full.
int
    npo_server_add_consumer (npo_server_t *self, npo_consumer_t *consumer);

//  Calls fn whenever socket is readable. Returns 0 or -1.
int
    npo_server_add_reader (npo_server_t *self, void *socket, npo_reader_fn *fn, void *state);

//  Attaches the service's outbox: the server then answers Ping and Replay
//  itself, relays new outbox rows after every command, and heartbeats.
void
    npo_server_set_outbox (npo_server_t *self, npo_outbox_t *outbox);

//  Waits up to max_wait_ms (less when a timer is due) and handles what came.
//  Returns 0, or -1 once SIGTERM or SIGINT arrived.
int
    npo_server_poll (npo_server_t *self, int max_wait_ms);

//  Runs until SIGTERM or SIGINT. Returns 0.
int
    npo_server_run (npo_server_t *self);

//  ---------------------------------------------------------------------
//  Client: request/reply over DEALER with a timeout.

//  Creates a client of endpoint. ctx may be NULL (the client makes its own).
npo_client_t *
    npo_client_new (void *ctx, const char *endpoint, int timeout_ms);

void
    npo_client_destroy (npo_client_t **self_p);

//  Sends request (a request_id is set when empty) and waits for the reply with
//  the same id. Returns the reply (caller frees with npo__reply__free_unpacked)
//  or NULL on timeout or transport error; then the socket is reset, so a late
//  reply cannot be taken for the next one.
Npo__Reply *
    npo_client_call (npo_client_t *self, Npo__Request *request);

//  ---------------------------------------------------------------------
//  Outbox: the service's event log in <schema>.outbox (common/sql).

//  Creates the outbox of stream on db, publishing on pub (may be NULL).
npo_outbox_t *
    npo_outbox_new (npo_db_t *db, const char *stream, void *pub);

void
    npo_outbox_destroy (npo_outbox_t **self_p);

//  Appends an event inside the caller's open transaction. The seq is taken
//  from <schema>.outbox_seq under its row lock: gapless, in commit order.
//  Returns the seq, or 0 on failure (the caller rolls back).
uint64_t
    npo_outbox_append (npo_outbox_t *self, const char *type, const char *org_uscc,
                       const char *division, const char *actor,
                       const ProtobufCMessage *payload);

//  An event of a batch.
typedef struct {
    const char *type, *org_uscc, *division;
    const ProtobufCMessage *payload;
} npo_outbox_event_t;

//  Appends n events in the caller's transaction in two statements (a batch
//  import's: one per event would be two round trips each). Returns 0, or -1
//  (the transaction is to be rolled back).
int
    npo_outbox_append_many (npo_outbox_t *self, size_t n, const npo_outbox_event_t *events,
                            const char *actor);

//  Publishes every committed row after the last one published. Returns the
//  number published, or -1.
int
    npo_outbox_relay (npo_outbox_t *self);

//  True when events were appended since the last relay (they may have been
//  rolled back since: relaying then finds nothing).
bool
    npo_outbox_pending (npo_outbox_t *self);

//  Publishes "_hb" with the last seq.
void
    npo_outbox_heartbeat (npo_outbox_t *self);

//  Fills reply with events from_seq .. (at most max, capped at NPO_REPLAY_MAX).
void
    npo_outbox_replay (npo_outbox_t *self, const Npo__Replay *replay, Npo__Reply *reply);

//  Last committed seq (0 when empty), or the last known one if the database is
//  unreachable.
uint64_t
    npo_outbox_last_seq (npo_outbox_t *self);

//  ---------------------------------------------------------------------
//  Consumer: applies a stream's events exactly once, in order.
//
//  Subscribes to the producer's PUB (all of the stream's topics and "_hb"),
//  replays what it missed from the producer's ROUTER on its first tick, on a gap, and
//  when a heartbeat shows a tail it has not seen (the zguide Clone pattern).
//  Each batch of events is applied in one transaction that also advances
//  <schema>.consumed(stream, last_seq): an event is applied once or not at all.

//  Called inside the transaction for each event, in seq order. Returns 0, or
//  -1 to roll the batch back (it is retried later).
typedef int (npo_apply_fn) (void *state, const Npo__Envelope *event);
//  Called after each batch: ok when it was committed (write caches now), not
//  ok when it was rolled back (forget what apply prepared).
typedef void (npo_committed_fn) (void *state, bool ok);

npo_consumer_t *
    npo_consumer_new (npo_server_t *server, npo_db_t *db, const char *stream,
                      const char *pub_endpoint, const char *router_endpoint,
                      npo_apply_fn *apply, npo_committed_fn *committed, void *state);

//  The same, for the stream of the service named stream, at its configured
//  endpoints (NPO_<STREAM>_PUB, NPO_<STREAM>_ROUTER).
npo_consumer_t *
    npo_consumer_of (npo_server_t *server, npo_db_t *db, const char *stream,
                     npo_apply_fn *apply, npo_committed_fn *committed, void *state);

void
    npo_consumer_destroy (npo_consumer_t **self_p);

//  Last applied seq.
uint64_t
    npo_consumer_last_seq (npo_consumer_t *self);

//  The stream it consumes.
const char *
    npo_consumer_stream (npo_consumer_t *self);

void
    npo_bus_test (bool verbose);

#endif
