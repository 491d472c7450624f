/*  bus.c - the ZeroMQ bus: helpers, the server loop, and the bus self-test
 *
 *  The client, outbox and consumer have their own files (client.c, outbox.c,
 *  consumer.c); the delivery rules are in docs/architecture.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <zmq.h>

#include "bus.h"
#include "bus_internal.h"
#include "log.h"
#include "selftest.h"

#define MAX_TIMERS   8
#define MAX_READERS  8

//  =====================================================================
//  Helpers

char *
npo_strdup (const char *s)
{
    char *copy = strdup (s? s: "");
    if (!copy) {
        log_error ("out of memory");
        abort ();
    }
    return copy;
}

void
npo_reply_error (Npo__Reply *reply, Npo__Status status, const char *code, const char *fmt, ...)
{
    char msg [512];
    va_list args;
    va_start (args, fmt);
    vsnprintf (msg, sizeof msg, fmt, args);
    va_end (args);
    if (reply->error_code != protobuf_c_empty_string)
        free (reply->error_code);
    if (reply->error_message != protobuf_c_empty_string)
        free (reply->error_message);
    reply->status = status;
    reply->error_code = npo_strdup (code);
    reply->error_message = npo_strdup (msg);
}

int
npo_pack (const ProtobufCMessage *msg, uint8_t **data, size_t *size)
{
    size_t n = protobuf_c_message_get_packed_size (msg);
    if (n > NPO_MAX_MSG)
        return -1;
    *data = malloc (n? n: 1);
    if (!*data)
        return -1;
    *size = protobuf_c_message_pack (msg, *data);
    return 0;
}

int64_t
npo_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
npo_bus_clock_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
npo_random_id (char *buf)
{
    unsigned char raw [16];
    if (getrandom (raw, sizeof raw, 0) != (ssize_t) sizeof raw) {
        //  getrandom on 16 bytes does not fail once the pool is ready
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        memcpy (raw, &ts, sizeof raw < sizeof ts? sizeof raw: sizeof ts);
    }
    for (int i = 0; i < 16; i++)
        sprintf (buf + 2 * i, "%02x", raw [i]);
}

const char *
npo_status_name (Npo__Status status)
{
    //  Npo__Status values, as people read them
    static const char *names [] = {
        "ok", "bad_request", "not_found", "conflict", "forbidden", "unavailable", "internal"
    };
    if ((int) status < 0 || (size_t) status >= sizeof names / sizeof names [0])
        return "unknown";
    return names [status];
}

//  Sets ZMQ_MAXMSGSIZE and linger on a new socket.
void *
npo_bus_socket (void *ctx, int type)
{
    void *socket = zmq_socket (ctx, type);
    if (!socket)
        return NULL;
    int64_t max = NPO_MAX_MSG + 4096;
    int linger = 0;
    zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof linger);
    return socket;
}

//  Sends frames; returns 0 or -1. A full pipe drops the message (PUB semantics;
//  consumers repair gaps by replay).
int
npo_bus_send_frames (void *socket, const void *const *data, const size_t *size, int n)
{
    for (int i = 0; i < n; i++)
        if (zmq_send (socket, data [i], size [i], i < n - 1? ZMQ_SNDMORE: 0) == -1)
            return -1;
    return 0;
}

//  Receives one whole multipart message without waiting. Keeps at most max
//  frames (the rest are read and dropped; *count says how many arrived).
//  Returns 0, or -1 when nothing was there.
int
npo_bus_recv_frames (void *socket, zmq_msg_t *frames, int max, int *count)
{
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, socket, n == 0? ZMQ_DONTWAIT: 0) == -1) {
            zmq_msg_close (&msg);
            if (n == 0)
                return -1;
            break;
        }
        more = zmq_msg_more (&msg);
        if (n < max)
            frames [n] = msg;
        else
            zmq_msg_close (&msg);
        n++;
    }
    *count = n;
    return 0;
}

void
npo_bus_close_frames (zmq_msg_t *frames, int count, int max)
{
    for (int i = 0; i < count && i < max; i++)
        zmq_msg_close (&frames [i]);
}

//  =====================================================================
//  Server

struct npo_server_t {
    char *service;              //  name for logs and Pong
    void *ctx;                  //  ZeroMQ context, owned
    void *router;               //  commands
    void *pub;                  //  events, may be NULL
    npo_handler_fn *handler;    //  the service's command handler
    void *state;                //  handed to the handler
    npo_outbox_t *outbox;       //  not owned; answers Ping and Replay
    struct {
        int interval;
        int64_t due;
        npo_timer_fn *fn;
        void *state;
    } timers [MAX_TIMERS];
    int ntimers;
    struct {
        void *socket;
        npo_reader_fn *fn;
        void *state;
    } readers [MAX_READERS];
    int nreaders;
    npo_consumer_t *consumers [MAX_READERS];
    int nconsumers;
};

//  The signal pipe: the handler writes a byte, the poll loop sees it.
static int s_signal_pipe [2] = { -1, -1 };

static void
s_signal_handler (int sig)
{
    (void) sig;
    int saved = errno;
    if (s_signal_pipe [1] >= 0 && write (s_signal_pipe [1], "x", 1) < 0)
        {}
    errno = saved;
}

static int
s_install_signals (void)
{
    if (s_signal_pipe [0] >= 0)
        return 0;
    if (pipe2 (s_signal_pipe, O_NONBLOCK | O_CLOEXEC))
        return -1;
    struct sigaction sa = { 0 };
    sa.sa_handler = s_signal_handler;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    return 0;
}

npo_server_t *
npo_server_new (const char *service, const char *router, const char *pub,
                npo_handler_fn *handler, void *state)
{
    npo_server_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->service = npo_strdup (service);
    self->handler = handler;
    self->state = state;
    self->ctx = zmq_ctx_new ();
    if (!self->ctx || s_install_signals ())
        goto err;
    self->router = npo_bus_socket (self->ctx, ZMQ_ROUTER);
    if (!self->router || zmq_bind (self->router, router)) {
        log_error ("could not bind %s: %s", router, zmq_strerror (errno));
        goto err;
    }
    if (pub) {
        self->pub = npo_bus_socket (self->ctx, ZMQ_PUB);
        int hwm = 100000;
        if (self->pub)
            zmq_setsockopt (self->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
        if (!self->pub || zmq_bind (self->pub, pub)) {
            log_error ("could not bind %s: %s", pub, zmq_strerror (errno));
            goto err;
        }
    }
    log_info ("serving commands on %s%s%s", router, pub? ", events on ": "", pub? pub: "");
    return self;
err:
    npo_server_destroy (&self);
    return NULL;
}

void
npo_server_destroy (npo_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    npo_server_t *self = *self_p;
    if (self->router)
        zmq_close (self->router);
    if (self->pub)
        zmq_close (self->pub);
    for (int i = 0; i < self->nreaders; i++)
        self->readers [i].socket = NULL;       //  owned by whoever added them
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    free (self->service);
    free (self);
    *self_p = NULL;
}

void *
npo_server_ctx (npo_server_t *self)
{
    return self->ctx;
}

void *
npo_server_pub (npo_server_t *self)
{
    return self->pub;
}

int
npo_server_endpoint (npo_server_t *self, bool pub, char *buf, size_t size)
{
    void *socket = pub? self->pub: self->router;
    if (!socket || zmq_getsockopt (socket, ZMQ_LAST_ENDPOINT, buf, &size))
        return -1;
    return 0;
}

int
npo_server_add_timer (npo_server_t *self, int interval_ms, npo_timer_fn *fn, void *state)
{
    if (self->ntimers == MAX_TIMERS || interval_ms <= 0)
        return -1;
    self->timers [self->ntimers].interval = interval_ms;
    self->timers [self->ntimers].due = npo_bus_clock_ms () + interval_ms;
    self->timers [self->ntimers].fn = fn;
    self->timers [self->ntimers].state = state;
    self->ntimers++;
    return 0;
}

int
npo_server_add_reader (npo_server_t *self, void *socket, npo_reader_fn *fn, void *state)
{
    if (self->nreaders == MAX_READERS)
        return -1;
    self->readers [self->nreaders].socket = socket;
    self->readers [self->nreaders].fn = fn;
    self->readers [self->nreaders].state = state;
    self->nreaders++;
    return 0;
}

int
npo_server_add_consumer (npo_server_t *self, npo_consumer_t *consumer)
{
    if (self->nconsumers == MAX_READERS)
        return -1;
    self->consumers [self->nconsumers++] = consumer;
    return 0;
}

static void
s_server_heartbeat (void *state)
{
    npo_outbox_t *outbox = state;
    npo_outbox_relay (outbox);
    npo_outbox_heartbeat (outbox);
}

void
npo_server_set_outbox (npo_server_t *self, npo_outbox_t *outbox)
{
    self->outbox = outbox;
    npo_server_add_timer (self, 1000, s_server_heartbeat, outbox);
}

//  Returns the name of the request's command, for logs.
static const char *
s_command_name (const Npo__Request *request)
{
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field
        (&npo__request__descriptor, (unsigned) request->body_case);
    return field? field->name: "none";
}

//  Decodes one request and fills reply.
static void
s_server_dispatch (npo_server_t *self, const uint8_t *data, size_t size, Npo__Reply *reply)
{
    Npo__Request *request = npo__request__unpack (NULL, size, data);
    if (!request) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "malformed_request",
                         "request is not a valid npo.Request message (%zu bytes)", size);
        log_warn ("refused a malformed request of %zu bytes", size);
        return;
    }
    //  Both are logged and stored: bounded UTF-8 text, or the request is refused
    size_t chars;
    if (!npo_utf8_valid (request->request_id, false, &chars) || chars > 64
    ||  !npo_utf8_valid (request->actor, false, &chars) || chars > 128) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "malformed_request",
                         "request_id (64) and actor (128) must be short UTF-8 text");
        npo__request__free_unpacked (request, NULL);
        return;
    }
    reply->request_id = npo_strdup (request->request_id);
    int64_t started = npo_now_us ();
    switch (request->body_case) {
        case NPO__REQUEST__BODY__NOT_SET:
            npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "unknown_command",
                             "request carries no command this service knows");
            break;
        case NPO__REQUEST__BODY_PING: {
            Npo__Pong *pong = malloc (sizeof *pong);
            if (!pong)
                abort ();
            npo__pong__init (pong);
            pong->service = npo_strdup (self->service);
            if (self->outbox) {
                pong->stream = npo_strdup (self->service);
                pong->last_seq = npo_outbox_last_seq (self->outbox);
            }
            pong->applied = calloc ((size_t) self->nconsumers + 1, sizeof *pong->applied);
            if (!pong->applied)
                abort ();
            for (int i = 0; i < self->nconsumers; i++) {
                Npo__Position *position = malloc (sizeof *position);
                if (!position)
                    abort ();
                npo__position__init (position);
                position->stream = npo_strdup (npo_consumer_stream (self->consumers [i]));
                position->seq = npo_consumer_last_seq (self->consumers [i]);
                pong->applied [pong->n_applied++] = position;
            }
            reply->body_case = NPO__REPLY__BODY_PONG;
            reply->pong = pong;
            break;
        }
        case NPO__REQUEST__BODY_REPLAY:
            if (self->outbox)
                npo_outbox_replay (self->outbox, request->replay, reply);
            else
                npo_reply_error (reply, NPO__STATUS__STATUS_NOT_FOUND, "no_stream",
                                 "%s publishes no events", self->service);
            break;
        default:
            self->handler (self->state, request, reply);
            break;
    }
    if (self->outbox && npo_outbox_pending (self->outbox))
        npo_outbox_relay (self->outbox);
    npo_log (reply->status == NPO__STATUS__STATUS_OK? NPO_LOG_DEBUG: NPO_LOG_INFO,
             request->request_id, "%s by %s: %s%s%s (%.1f ms)",
             s_command_name (request), *request->actor? request->actor: "-",
             npo_status_name (reply->status), *reply->error_code? " ": "", reply->error_code,
             (double) (npo_now_us () - started) / 1000.0);
    npo__request__free_unpacked (request, NULL);
}

//  Returns a new, empty reply on the heap (freed with free_unpacked).
static Npo__Reply *
s_reply_new (void)
{
    Npo__Reply *reply = malloc (sizeof *reply);
    if (!reply)
        abort ();
    npo__reply__init (reply);
    return reply;
}

//  Handles every command waiting on the router (at most a batch, to stay fair
//  to timers and readers).
static void
s_server_commands (npo_server_t *self)
{
    for (int batch = 0; batch < 256; batch++) {
        zmq_msg_t frames [3];
        int count;
        if (npo_bus_recv_frames (self->router, frames, 3, &count))
            return;
        Npo__Reply *reply = s_reply_new ();
        //  [id][""][request] from DEALER or REQ, [id][request] from a bare peer
        bool delimited = count >= 2 && zmq_msg_size (&frames [1]) == 0;
        int body = count == 3 && delimited? 2: count == 2 && !delimited? 1: 0;
        if (body)
            s_server_dispatch (self, zmq_msg_data (&frames [body]),
                               zmq_msg_size (&frames [body]), reply);
        else {
            npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "malformed_request",
                             "expected one request frame, got %d frames", count - 1);
            log_warn ("refused a request of %d frames", count - 1);
        }
        uint8_t *data = NULL;
        size_t size = 0;
        if (npo_pack (&reply->base, &data, &size)) {
            char *request_id = npo_strdup (reply->request_id);
            protobuf_c_message_free_unpacked (&reply->base, NULL);
            reply = s_reply_new ();
            reply->request_id = request_id;
            npo_reply_error (reply, NPO__STATUS__STATUS_INTERNAL, "reply_too_large",
                             "the reply exceeds %d bytes", NPO_MAX_MSG);
            if (npo_pack (&reply->base, &data, &size))
                abort ();
        }
        const void *parts [3] = { zmq_msg_data (&frames [0]), "", data };
        size_t sizes [3] = { zmq_msg_size (&frames [0]), 0, size };
        if (!delimited) {
            parts [1] = data;
            sizes [1] = size;
        }
        npo_bus_send_frames (self->router, parts, sizes, delimited? 3: 2);
        free (data);
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        npo_bus_close_frames (frames, count, 3);
    }
}

int
npo_server_poll (npo_server_t *self, int max_wait_ms)
{
    zmq_pollitem_t items [2 + MAX_READERS];
    int n = 0;
    items [n++] = (zmq_pollitem_t) { self->router, 0, ZMQ_POLLIN, 0 };
    items [n++] = (zmq_pollitem_t) { NULL, s_signal_pipe [0], ZMQ_POLLIN, 0 };
    for (int i = 0; i < self->nreaders; i++)
        items [n++] = (zmq_pollitem_t) { self->readers [i].socket, 0, ZMQ_POLLIN, 0 };

    int64_t now = npo_bus_clock_ms ();
    int64_t wait = max_wait_ms;
    for (int i = 0; i < self->ntimers; i++)
        if (self->timers [i].due - now < wait)
            wait = self->timers [i].due - now;
    if (zmq_poll (items, n, wait < 1? 1: (long) wait) == -1 && errno != EINTR) {
        log_error ("could not poll: %s", zmq_strerror (errno));
        return -1;
    }
    if (items [1].revents & ZMQ_POLLIN) {
        log_info ("stopping on signal");
        return -1;
    }
    if (items [0].revents & ZMQ_POLLIN)
        s_server_commands (self);
    for (int i = 0; i < self->nreaders; i++)
        if (items [2 + i].revents & ZMQ_POLLIN)
            self->readers [i].fn (self->readers [i].state, self->readers [i].socket);
    now = npo_bus_clock_ms ();
    for (int i = 0; i < self->ntimers; i++)
        if (self->timers [i].due <= now) {
            self->timers [i].due = now + self->timers [i].interval;
            self->timers [i].fn (self->timers [i].state);
        }
    return 0;
}

int
npo_server_run (npo_server_t *self)
{
    while (npo_server_poll (self, 1000) == 0)
        ;
    return 0;
}

//  =====================================================================
//  Self-test

#include <pthread.h>
#include <stdatomic.h>

typedef struct {
    npo_server_t *server;
    atomic_bool stop;
} s_test_loop_t;

static void *
s_test_loop (void *arg)
{
    s_test_loop_t *loop = arg;
    while (!atomic_load (&loop->stop))
        if (npo_server_poll (loop->server, 20))
            break;
    return NULL;
}

static void
s_test_handler (void *state, const Npo__Request *request, Npo__Reply *reply)
{
    (void) state;
    if (request->body_case != NPO__REQUEST__BODY_GET_ORGANIZATION) {
        npo_reply_error (reply, NPO__STATUS__STATUS_BAD_REQUEST, "unknown_command", "no");
        return;
    }
    Npo__Organization *org = malloc (sizeof *org);
    npo__organization__init (org);
    org->uscc = npo_strdup (request->get_organization->uscc);
    reply->body_case = NPO__REPLY__BODY_ORGANIZATION;
    reply->organization = org;
}

typedef struct {
    int applied;
    uint64_t seqs [16];
    bool fail;
} s_test_sink_t;

static int
s_test_apply (void *state, const Npo__Envelope *event)
{
    s_test_sink_t *sink = state;
    if (sink->fail)
        return -1;
    if (sink->applied < 16)
        sink->seqs [sink->applied] = event->seq;
    sink->applied++;
    return 0;
}

//  Sends raw frames from a DEALER and returns the reply's error code ("" when
//  none came back), copied into code.
static void
s_test_raw (void *ctx, const char *endpoint, const char **frames, int n, char *code)
{
    void *dealer = npo_bus_socket (ctx, ZMQ_DEALER);
    zmq_connect (dealer, endpoint);
    for (int i = 0; i < n; i++)
        zmq_send (dealer, frames [i], strlen (frames [i]), i < n - 1? ZMQ_SNDMORE: 0);
    code [0] = 0;
    zmq_pollitem_t item = { dealer, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, 2000) == 1) {
        zmq_msg_t parts [2];
        int count;
        if (npo_bus_recv_frames (dealer, parts, 2, &count) == 0) {
            zmq_msg_t *last = &parts [count >= 2? 1: 0];
            Npo__Reply *reply = npo__reply__unpack (NULL, zmq_msg_size (last),
                                                    zmq_msg_data (last));
            if (reply) {
                snprintf (code, 64, "%s", reply->error_code);
                npo__reply__free_unpacked (reply, NULL);
            }
            npo_bus_close_frames (parts, count, 2);
        }
    }
    zmq_close (dealer);
}

void
npo_bus_test (bool verbose)
{
    if (verbose)
        printf (" * bus: ");
    //  Server with an echo handler on an ephemeral port, looping in a thread
    npo_server_t *server = npo_server_new ("selftest", "tcp://127.0.0.1:*", NULL,
                                           s_test_handler, NULL);
    SELFTEST_CHECK (server != NULL);
    if (!server)
        return;
    char endpoint [256];
    npo_server_endpoint (server, false, endpoint, sizeof endpoint);
    s_test_loop_t loop = { server, false };
    pthread_t thread;
    pthread_create (&thread, NULL, s_test_loop, &loop);

    void *ctx = zmq_ctx_new ();
    npo_client_t *client = npo_client_new (ctx, endpoint, 2000);
    Npo__GetOrganization get = NPO__GET_ORGANIZATION__INIT;
    get.uscc = "53100000500019795A";
    Npo__Request request = NPO__REQUEST__INIT;
    request.body_case = NPO__REQUEST__BODY_GET_ORGANIZATION;
    request.get_organization = &get;
    Npo__Reply *reply = npo_client_call (client, &request);
    SELFTEST_CHECK (reply && reply->status == NPO__STATUS__STATUS_OK);
    SELFTEST_CHECK (reply && reply->organization
                    && strcmp (reply->organization->uscc, get.uscc) == 0);
    SELFTEST_CHECK (reply && strlen (reply->request_id) == 32);
    SELFTEST_CHECK (*request.request_id == 0);       //  the caller's request is untouched
    npo__reply__free_unpacked (reply, NULL);

    //  Ping is answered by the server itself
    Npo__Ping ping = NPO__PING__INIT;
    request.body_case = NPO__REQUEST__BODY_PING;
    request.ping = &ping;
    reply = npo_client_call (client, &request);
    SELFTEST_CHECK (reply && reply->pong && strcmp (reply->pong->service, "selftest") == 0);
    npo__reply__free_unpacked (reply, NULL);

    //  Garbage gets an error reply, however it is framed, and the server goes on
    char code [64];
    const char *garbage [] = { "", "\xff\x01garbage\x00" };
    s_test_raw (ctx, endpoint, garbage, 2, code);
    SELFTEST_CHECK (strcmp (code, "malformed_request") == 0);
    s_test_raw (ctx, endpoint, garbage + 1, 1, code);
    SELFTEST_CHECK (strcmp (code, "malformed_request") == 0);
    const char *three [] = { "", "a", "b" };
    s_test_raw (ctx, endpoint, three, 3, code);
    SELFTEST_CHECK (strcmp (code, "malformed_request") == 0);
    const char *empty [] = { "", "" };          //  an empty Request: no command
    s_test_raw (ctx, endpoint, empty, 2, code);
    SELFTEST_CHECK (strcmp (code, "unknown_command") == 0);
    request.body_case = NPO__REQUEST__BODY_GET_ORGANIZATION;
    reply = npo_client_call (client, &request);
    SELFTEST_CHECK (reply && reply->status == NPO__STATUS__STATUS_OK);
    npo__reply__free_unpacked (reply, NULL);

    //  A call to nobody times out and says so
    npo_client_t *lost = npo_client_new (ctx, "tcp://127.0.0.1:1", 100);
    SELFTEST_CHECK (npo_client_call (lost, &request) == NULL);
    npo_client_destroy (&lost);
    npo_client_destroy (&client);
    npo_client_destroy (&client);
    SELFTEST_CHECK (client == NULL);

    atomic_store (&loop.stop, true);
    pthread_join (thread, NULL);
    npo_server_destroy (&server);

    //  Outbox and consumer need PostgreSQL
    const char *dsn = getenv ("NPO_PG_DSN");
    if (!dsn) {
        zmq_ctx_term (ctx);
        if (verbose)
            printf ("OK (no NPO_PG_DSN: outbox not tested)\n");
        return;
    }
    npo_db_t *db = npo_db_new (dsn, "bus_selftest", 5000);
    SELFTEST_CHECK (db != NULL);
    npo_db_cmd (db, "DROP SCHEMA IF EXISTS bus_selftest CASCADE", 0, NULL);
    static const npo_migration_t bus_sql [] = {
        { "bus", "CREATE TABLE outbox (seq bigint PRIMARY KEY, topic text NOT NULL,"
                 " org_uscc text NOT NULL DEFAULT '', division text NOT NULL DEFAULT '',"
                 " envelope bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now ());"
                 "CREATE TABLE outbox_seq (id int PRIMARY KEY, last bigint NOT NULL);"
                 "INSERT INTO outbox_seq VALUES (1, 0);"
                 "CREATE TABLE consumed (stream text PRIMARY KEY, last_seq bigint NOT NULL);" },
    };
    SELFTEST_CHECK (npo_db_migrate (db, bus_sql, 1) == 0);
    server = npo_server_new ("registry", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                             s_test_handler, NULL);
    char router_ep [256], pub_ep [256];
    npo_server_endpoint (server, false, router_ep, sizeof router_ep);
    npo_server_endpoint (server, true, pub_ep, sizeof pub_ep);
    npo_outbox_t *outbox = npo_outbox_new (db, "registry", npo_server_pub (server));
    npo_server_set_outbox (server, outbox);

    //  A rolled-back append leaves no gap: the next one gets the same seq
    Npo__Ping payload = NPO__PING__INIT;
    npo_db_begin (db);
    SELFTEST_CHECK (npo_outbox_append (outbox, "registry.t", "X", "110000", "me",
                                       &payload.base) == 1);
    npo_db_rollback (db);
    for (int i = 0; i < 3; i++) {
        npo_db_begin (db);
        SELFTEST_CHECK (npo_outbox_append (outbox, "registry.t", "X", "110000", "me",
                                           &payload.base) == (uint64_t) i + 1);
        npo_db_commit (db);
    }
    SELFTEST_CHECK (npo_outbox_last_seq (outbox) == 3);

    //  A consumer (in its own schema) catches up by replay at start, then live
    npo_db_t *cdb = npo_db_new (dsn, "bus_selftest_c", 5000);
    npo_db_cmd (cdb, "DROP SCHEMA IF EXISTS bus_selftest_c CASCADE", 0, NULL);
    npo_db_migrate (cdb, bus_sql, 1);
    npo_server_t *cserver = npo_server_new ("consumer", "tcp://127.0.0.1:*", NULL,
                                            s_test_handler, NULL);
    loop.server = server;
    atomic_store (&loop.stop, false);
    pthread_create (&thread, NULL, s_test_loop, &loop);
    s_test_sink_t sink = { 0 };
    npo_consumer_t *consumer = npo_consumer_new (cserver, cdb, "registry", pub_ep, router_ep,
                                                 s_test_apply, NULL, &sink);
    SELFTEST_CHECK (consumer != NULL);
    for (int i = 0; i < 30 && consumer && npo_consumer_last_seq (consumer) < 3; i++)
        npo_server_poll (cserver, 100);
    SELFTEST_CHECK (consumer && npo_consumer_last_seq (consumer) == 3);
    SELFTEST_CHECK (sink.applied == 3 && sink.seqs [0] == 1 && sink.seqs [2] == 3);

    //  A failing apply rolls back: nothing advances; the next tick retries
    atomic_store (&loop.stop, true);
    pthread_join (thread, NULL);
    npo_db_begin (db);
    npo_outbox_append (outbox, "registry.t", "X", "110000", "me", &payload.base);
    npo_db_commit (db);
    sink.fail = true;
    atomic_store (&loop.stop, false);
    pthread_create (&thread, NULL, s_test_loop, &loop);
    for (int i = 0; i < 30; i++)
        npo_server_poll (cserver, 100);
    SELFTEST_CHECK (npo_consumer_last_seq (consumer) == 3 && sink.applied == 3);
    sink.fail = false;
    //  Failed replays back off (up to 8 s): allow for one full wait
    for (int i = 0; i < 120 && npo_consumer_last_seq (consumer) < 4; i++)
        npo_server_poll (cserver, 100);
    SELFTEST_CHECK (npo_consumer_last_seq (consumer) == 4 && sink.applied == 4);
    atomic_store (&loop.stop, true);
    pthread_join (thread, NULL);

    //  The offset survives a restart: a new consumer applies nothing twice
    npo_consumer_destroy (&consumer);
    PGresult *res = npo_db_exec (cdb, "SELECT last_seq FROM consumed", 0, NULL);
    SELFTEST_CHECK (res && strcmp (PQgetvalue (res, 0, 0), "4") == 0);
    PQclear (res);

    npo_server_destroy (&cserver);
    npo_server_destroy (&server);
    npo_outbox_destroy (&outbox);
    npo_db_cmd (db, "DROP SCHEMA bus_selftest CASCADE", 0, NULL);
    npo_db_cmd (cdb, "DROP SCHEMA bus_selftest_c CASCADE", 0, NULL);
    npo_db_destroy (&db);
    npo_db_destroy (&cdb);
    zmq_ctx_term (ctx);
    if (verbose)
        printf ("OK\n");
}
