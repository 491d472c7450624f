/*  gateway.c - the public HTTP gateway: routing, handlers, Redis cache client
 *
 *  One evhttp server and one hiredis async connection share the event base.
 *  GET /v1/orgs/{uscc} pipelines GET org:<uscc> and EXISTS npo:ready (one round
 *  trip); the reply to the second one answers the request. While Redis is down
 *  lookups get 503 at once, and a timer reconnects (100 ms doubling to 2 s).
 *  Every Redis route is such a lookup: a history (changes:, inspections:,
 *  evaluations:, penalties:<uscc>), a page of a public list (one Lua script
 *  reads the sorted set and the listings), or a verification, whose answer is
 *  a verdict built from the document or its absence.
 *
 *  Who answers a lookup: exactly one send per request, always. hiredis calls
 *  every pending callback, with a NULL reply when the context is freed, so the
 *  callback is where the answer goes out. If the HTTP client went away first,
 *  evhttp (2.1.12, evhttp_connection_incoming_fail) detaches the unfinished
 *  request from its connection instead of freeing it, and evhttp_send_reply
 *  then frees it rather than writing: answering is also how it is freed.
 *  evhttp_free frees the requests still attached, so gateway_destroy frees the
 *  Redis context (answering every lookup) before the server.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sodium.h>

#include "cert.h"
#include "codes.h"
#include "log.h"
#include "gateway.h"
#include "metrics.h"
#include "ratelimit.h"
#include "search.h"

#define S_URI_MAX           4096        //  longer request targets get 414
#define S_RETRY_MIN_MS      100
#define S_RETRY_MAX_MS      2000
#define S_REDIS_SILENCE_MS  1000        //  owed a reply that long: drop the connection
#define S_JSON              "application/json; charset=utf-8"
#define S_LIST_LIMIT        20          //  items in a page of a list by default
#define S_LIST_LIMIT_MAX    100
#define S_CURSOR_MAX        20          //  digits in a list cursor
#define S_NAME_MAX          200         //  bytes in a name to verify
#define S_PARAMS_MAX        6           //  query parameters a path takes at most
#define S_VALUE_MAX         1700        //  bytes in a parameter's value (a search
                                        //  cursor is the longest)

//  Status and message of each error answer; the code is metrics_error_name.
static const struct {
    int status;
    const char *message;
} s_errors [METRICS_ERRORS] = {
    [METRICS_ERROR_NONE]               = { HTTP_OK, "" },
    [METRICS_ERROR_INVALID_USCC]       = { HTTP_BADREQUEST,
        "not a valid unified social credit code (18 characters, GB 32100)" },
    [METRICS_ERROR_INVALID_QUERY]      = { HTTP_BADREQUEST,
        "unknown, repeated or malformed query parameter" },
    [METRICS_ERROR_INVALID_ORG_CODE]   = { HTTP_BADREQUEST,
        "not a valid organization code (9 characters, GB 11714)" },
    [METRICS_ERROR_INVALID_CERTIFICATE_NUMBER] = { HTTP_BADREQUEST,
        "not a certificate number (1 to 40 letters, digits, '-', '_' or '.')" },
    [METRICS_ERROR_INVALID_DIVISION]   = { HTTP_BADREQUEST,
        "not a division code prefix (2, 4 or 6 digits)" },
    [METRICS_ERROR_NOT_FOUND]          = { HTTP_NOTFOUND, "no such resource" },
    [METRICS_ERROR_METHOD_NOT_ALLOWED] = { 405, "only GET and HEAD are allowed" },
    [METRICS_ERROR_URI_TOO_LONG]       = { 414, "the request URI is too long" },
    [METRICS_ERROR_INVALID_REQUEST]    = { HTTP_BADREQUEST,
        "the request target is not a path with an optional query" },
    [METRICS_ERROR_RATE_LIMITED]       = { 429,
        "too many requests from this address: retry after Retry-After seconds" },
    [METRICS_ERROR_CACHE_UNAVAILABLE]  = { HTTP_SERVUNAVAIL,
        "the register cache is unavailable, retry shortly" },
    [METRICS_ERROR_INTERNAL]           = { HTTP_INTERNAL, "internal error" },
};

//  The message of invalid_query on the routes that take a query.
static const char *s_query_help [METRICS_ROUTES] = {
    [METRICS_ROUTE_CERT_VERIFY] =
        "this path takes exactly the parameter token (at most 256 characters)",
    [METRICS_ROUTE_LISTS] =
        "this path takes division, limit (1 to 100) and cursor (a next_cursor), each at most once",
    [METRICS_ROUTE_VERIFY] =
        "this path takes uscc and name (UTF-8, at most 200 bytes), each at most once",
    [METRICS_ROUTE_STATS] =
        "this path takes division (empty, or 2, 4 or 6 digits), at most once",
    [METRICS_ROUTE_SEARCH] =
        "this path takes q (2 to 30 characters of a name, required), division, type "
        "(social_group, social_service, foundation, other), status (active, deregistered, "
        "revoked), limit (1 to 100) and cursor (a next_cursor), each at most once",
};

struct gateway_t {
    struct event_base *base;            //  not owned
    struct evhttp *http;                //  the server
    int port;                           //  the port it listens on
    metrics_t *metrics;
    char *redis_host;
    int redis_port;
    redisAsyncContext *redis;           //  NULL while there is no connection attempt
    bool redis_up;                      //  connected: lookups can be sent
    bool redis_warned;                  //  this outage has been logged
    int redis_owed;                     //  replies the context still owes us
    struct event *retry;                //  reconnect timer
    int retry_ms;                       //  its next delay
    struct event *silence;              //  fires when Redis is silent too long
    ratelimit_t *limiter;               //  requests per client address; NULL: none
};

//  What GET org:<uscc> said.
enum { S_DOC_FAILED, S_DOC_MISSING, S_DOC_FOUND };

//  One request waiting for Redis.
typedef struct lookup_t lookup_t;
struct lookup_t {
    gateway_t *self;
    struct evhttp_request *req;         //  NULL once answered
    metrics_route_t route;              //  which document
    char id [64];                       //  a uscc, an alias, a certificate number,
                                        //  or "<list>:<division>"
    //  Writes the answer from the document (in the body when found) or its
    //  absence; NULL: the document is the answer, its absence a 404
    metrics_error_t (*verdict) (lookup_t *lookup);
    char number [NPO_CERT_NUMBER_MAX + 1];  //  certificate verification: the token's
    uint32_t version;
    unsigned char sig [64];
    char name [S_NAME_MAX + 1];         //  organization verification: "" or the name
                                        //  given; search: the fragment
    char type [16], status [16];        //  search: the filters ("" for any)
    char cursor [NPO_SEARCH_CURSOR_MAX + 2];    //  list page: "+inf" or "(<cursor>";
                                        //  search: "" or the cursor given
    int limit;                          //  list page, search: items at most
    double started;                     //  when the request was read
    int owed;                           //  callbacks hiredis still owes us
    int doc;                            //  S_DOC_*
};

static void s_redis_connect (gateway_t *self);
static int s_lookup_start (gateway_t *self, struct evhttp_request *req,
                           const lookup_t *template, const char *id, double started);

//  Returns a monotonic time in seconds.
static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
s_timer_add (struct event *timer, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    evtimer_add (timer, &tv);
}

//  ---------------------------------------------------------------------------
//  Answers

//  Tags a cacheable answer with an ETag, the FNV-1a hash of its body: it
//  changes exactly when the representation does, whichever stream changed
//  the record. Returns 304 (the body dropped) when the client's
//  If-None-Match already names it, else 200.
static int
s_etag (struct evhttp_request *req)
{
    struct evbuffer *body = evhttp_request_get_output_buffer (req);
    size_t len = evbuffer_get_length (body);
    const unsigned char *bytes = evbuffer_pullup (body, -1);
    uint64_t hash = npo_fnv1a (bytes, len);
    char etag [24];
    snprintf (etag, sizeof etag, "\"%016llx\"", (unsigned long long) hash);
    evhttp_add_header (evhttp_request_get_output_headers (req), "ETag", etag);
    //  A list of tags, weak ones (W/"...") included, or *
    const char *match = evhttp_find_header (evhttp_request_get_input_headers (req),
                                            "If-None-Match");
    if (!match || !(strstr (match, etag) || strcmp (match, "*") == 0))
        return HTTP_OK;
    evbuffer_drain (body, len);
    return HTTP_NOTMODIFIED;
}

//  Sends the one answer to req: 200 with what the handler put in the output
//  buffer and headers, or the JSON error. Counts it. req is gone afterwards.
static void
s_finish (gateway_t *self, struct evhttp_request *req, metrics_route_t route,
          double started, metrics_error_t error)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers (req);
    struct evbuffer *body = evhttp_request_get_output_buffer (req);
    int status = s_errors [error].status;
    if (error != METRICS_ERROR_NONE) {
        const char *message = error == METRICS_ERROR_INVALID_QUERY && s_query_help [route]?
                              s_query_help [route]: s_errors [error].message;
        //  (the X-RateLimit-* headers stay)
        evhttp_remove_header (headers, "Content-Type");
        evhttp_remove_header (headers, "Cache-Control");
        evbuffer_drain (body, evbuffer_get_length (body));
        evbuffer_add_printf (body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                             metrics_error_name (error), message);
        evhttp_add_header (headers, "Content-Type", S_JSON);
        evhttp_add_header (headers, "Cache-Control", "no-store");
        if (error == METRICS_ERROR_CACHE_UNAVAILABLE)
            evhttp_add_header (headers, "Retry-After", "1");
        if (error == METRICS_ERROR_METHOD_NOT_ALLOWED)
            evhttp_add_header (headers, "Allow", "GET, HEAD");
        metrics_error (self->metrics, error);
    }
    const char *cache = evhttp_find_header (headers, "Cache-Control");
    if (status == HTTP_OK && cache && strncmp (cache, "public", 6) == 0)
        status = s_etag (req);
    if (evhttp_request_get_command (req) == EVHTTP_REQ_HEAD && status != HTTP_NOTMODIFIED) {
        //  evhttp 2.1.12 writes the body even for HEAD, without a length:
        //  the next answer on a kept-alive connection would be garbled.
        char length [24];
        snprintf (length, sizeof length, "%zu", evbuffer_get_length (body));
        evhttp_add_header (headers, "Content-Length", length);
        evbuffer_drain (body, evbuffer_get_length (body));
    }
    double seconds = s_now () - started;
    metrics_request (self->metrics, route, status, seconds);
    log_debug ("%s -> %d in %.1f ms", evhttp_request_get_uri (req), status, seconds * 1e3);
    //  (libevent 2.1 knows no reason phrase for 429)
    evhttp_send_reply (req, status, status == 429? "Too Many Requests": NULL, NULL);
}

static void
s_json_headers (struct evhttp_request *req, const char *cache_control)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers (req);
    evhttp_add_header (headers, "Content-Type", S_JSON);
    evhttp_add_header (headers, "Cache-Control", cache_control);
}

//  Returns the JSON document in req's body, or NULL when it is not JSON, and
//  empties the body. Owned by the caller: json_decref.
static json_t *
s_body_json (struct evhttp_request *req)
{
    struct evbuffer *body = evhttp_request_get_output_buffer (req);
    size_t len = evbuffer_get_length (body);
    json_t *doc = json_loadb ((const char *) evbuffer_pullup (body, -1), len, 0, NULL);
    evbuffer_drain (body, len);
    return doc;
}

//  Puts a verdict in req's body, not to be cached. Takes answer (NULL when it
//  could not be built: an internal error).
static metrics_error_t
s_answer_json (struct evhttp_request *req, json_t *answer)
{
    char *text = answer? json_dumps (answer, JSON_COMPACT): NULL;
    json_decref (answer);
    struct evbuffer *body = evhttp_request_get_output_buffer (req);
    int rc = text? evbuffer_add (body, text, strlen (text)): -1;
    free (text);
    if (rc)
        return METRICS_ERROR_INTERNAL;
    s_json_headers (req, "no-store");
    return METRICS_ERROR_NONE;
}

//  ---------------------------------------------------------------------------
//  Redis connection

static void
s_redis_set_up (gateway_t *self, bool up)
{
    self->redis_up = up;
    metrics_redis_up (self->metrics, up);
}

//  Logs the first failure of an outage only: retries every 2 s are not news.
static void
s_redis_warn (gateway_t *self, const char *what, const char *why)
{
    if (!self->redis_warned)
        log_warn ("%s redis at %s:%d: %s", what, self->redis_host, self->redis_port, why);
    self->redis_warned = true;
}

static void
s_retry_later (gateway_t *self)
{
    s_timer_add (self->retry, self->retry_ms);
    self->retry_ms = self->retry_ms * 2 > S_RETRY_MAX_MS? S_RETRY_MAX_MS: self->retry_ms * 2;
}

//  The current context is being freed by hiredis, after this callback returns.
static void
s_redis_lost (gateway_t *self, const char *what, const char *why)
{
    s_redis_warn (self, what, why);
    self->redis = NULL;
    s_redis_set_up (self, false);
    evtimer_del (self->silence);
    s_retry_later (self);
}

//  Frees the current context ourselves; hiredis answers its pending callbacks
//  with NULL first. The context's own callbacks see it is no longer current.
static void
s_redis_drop (gateway_t *self)
{
    redisAsyncContext *redis = self->redis;
    self->redis = NULL;
    s_redis_set_up (self, false);
    evtimer_del (self->silence);
    if (redis)
        redisAsyncFree (redis);
}

static void
s_on_redis_connect (const redisAsyncContext *redis, int status)
{
    gateway_t *self = redis->data;
    if (redis != self->redis)
        return;
    if (status != REDIS_OK) {
        s_redis_lost (self, "could not connect to", redis->errstr);
        return;
    }
    evtimer_del (self->silence);
    s_redis_set_up (self, true);
    log_info ("connected to redis at %s:%d", self->redis_host, self->redis_port);
}

static void
s_on_redis_disconnect (const redisAsyncContext *redis, int status)
{
    gateway_t *self = redis->data;
    if (redis != self->redis)
        return;
    s_redis_lost (self, "lost connection to",
                  status == REDIS_OK? "closed": redis->errstr);
}

static void
s_on_retry (evutil_socket_t fd, short events, void *arg)
{
    (void) fd;
    (void) events;
    s_redis_connect (arg);
}

//  Redis owed a reply (or a connect) for too long: hiredis has no timeouts.
static void
s_on_silence (evutil_socket_t fd, short events, void *arg)
{
    (void) fd;
    (void) events;
    gateway_t *self = arg;
    if (self->redis_up)
        s_redis_warn (self, "lost connection to", "no reply in time");
    else
        s_redis_warn (self, "could not connect to", "timed out");
    s_redis_drop (self);
    s_retry_later (self);
}

static void
s_redis_connect (gateway_t *self)
{
    redisAsyncContext *redis = redisAsyncConnect (self->redis_host, self->redis_port);
    if (!redis || redis->err) {
        s_redis_warn (self, "could not connect to", redis? redis->errstr: "out of memory");
        if (redis)
            redisAsyncFree (redis);
        s_retry_later (self);
        return;
    }
    redis->data = self;
    redisLibeventAttach (redis, self->base);
    redisAsyncSetConnectCallback (redis, s_on_redis_connect);
    redisAsyncSetDisconnectCallback (redis, s_on_redis_disconnect);
    self->redis = redis;
    s_timer_add (self->silence, S_REDIS_SILENCE_MS);
}

//  Counts one reply received (reply may be NULL: the context is going away).
//  Only a reply proves Redis healthy: a stopped server still accepts connects.
static void
s_redis_replied (gateway_t *self, void *reply)
{
    self->redis_owed--;
    if (!reply)
        return;
    self->retry_ms = S_RETRY_MIN_MS;
    self->redis_warned = false;
    if (self->redis_owed > 0)
        s_timer_add (self->silence, S_REDIS_SILENCE_MS);
    else
        evtimer_del (self->silence);
}

//  ---------------------------------------------------------------------------
//  Lookups: the replies

static void
s_lookup_release (lookup_t *lookup)
{
    if (--lookup->owed == 0)
        free (lookup);
}

//  Reply to GET org:<uscc>: keeps the document in the answer's body.
static void
s_on_doc (redisAsyncContext *redis, void *reply, void *privdata)
{
    (void) redis;
    lookup_t *lookup = privdata;
    redisReply *r = reply;
    s_redis_replied (lookup->self, reply);
    if (lookup->req && r) {
        if (r->type == REDIS_REPLY_STRING) {
            struct evbuffer *body = evhttp_request_get_output_buffer (lookup->req);
            if (evbuffer_add (body, r->str, r->len) == 0)
                lookup->doc = S_DOC_FOUND;
        }
        else
        if (r->type == REDIS_REPLY_NIL)
            lookup->doc = S_DOC_MISSING;
        else
        if (r->type == REDIS_REPLY_ERROR)
            log_warn ("could not read an organization from redis: %s", r->str);
    }
    s_lookup_release (lookup);
}

//  Writes the verdict on a certificate token into the answer: the document
//  fetched as cert:<number> (in the body, when found) holds the signed
//  canonical text, the authority's key and the status.
static metrics_error_t
s_verify_answer (lookup_t *lookup)
{
    static const char unreadable [] = "the register's record of this certificate is unreadable";
    const char *result = "forged", *reason = "no certificate with this number";
    json_t *doc = NULL;
    if (lookup->doc == S_DOC_FOUND) {
        doc = s_body_json (lookup->req);
        const char *canonical = json_string_value (json_object_get (doc, "canonical"));
        const char *key_hex = json_string_value (json_object_get (doc, "public_key"));
        const char *status = json_string_value (json_object_get (doc, "status"));
        unsigned char pk [32];
        size_t pk_len = 0;
        char version_line [32];
        snprintf (version_line, sizeof version_line, "\nversion=%u\n", lookup->version);
        reason = "the signature does not match the register";
        if (!canonical || !key_hex || !status
        ||  sodium_hex2bin (pk, sizeof pk, key_hex, strlen (key_hex), NULL, &pk_len, NULL)
        ||  pk_len != sizeof pk)
            reason = unreadable;
        else
        if (strcmp (status, "valid") && strcmp (status, "superseded") && strcmp (status, "revoked"))
            reason = unreadable;
        else
        if (strstr (canonical, version_line)
        &&  npo_cert_verify (canonical, strlen (canonical), lookup->sig, pk)) {
            result = status;
            reason = NULL;
        }
    }
    //  (keys keep their first place: result, genuine, number, ...)
    json_t *answer = json_pack ("{s:s, s:b, s:s}", "result", result, "genuine", 0,
                                "number", lookup->number);
    npo_cert_t signed_cert;
    char *copy = reason? NULL: strdup (json_string_value (json_object_get (doc, "canonical")));
    if (copy && npo_cert_parse_canonical (copy, &signed_cert) == 0) {
        //  What the certificate says, as signed: the reader compares it with
        //  the paper in hand (a genuine token on a forged paper shows here)
        char today [11];
        time_t now = time (NULL) + 8 * 3600;             //  Beijing date
        strftime (today, sizeof today, "%Y-%m-%d", gmtime (&now));
        if (strcmp (result, "valid") == 0 && strcmp (signed_cert.valid_to, today) < 0)
            result = "expired";
        json_object_set_new (answer, "result", json_string (result));
        json_t *certificate = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
            "uscc", signed_cert.uscc, "name", signed_cert.name,
            "legal_representative", signed_cert.legal_representative,
            "address", signed_cert.address, "activity_area", signed_cert.activity_area,
            "issuing_authority", signed_cert.issuing_authority,
            "valid_from", signed_cert.valid_from, "valid_to", signed_cert.valid_to,
            "issued_on", signed_cert.issued_on);
        json_object_set_new (answer, "uscc", json_string (signed_cert.uscc));
        json_object_set_new (answer, "version", json_integer (signed_cert.version));
        json_object_set_new (answer, "certificate", certificate? certificate: json_null ());
    }
    else
    if (!reason)
        reason = unreadable;
    free (copy);
    if (reason == unreadable) {
        //  Our cache is damaged, not the certificate: no verdict on it
        log_warn ("the cached document of certificate %s is unreadable", lookup->number);
        json_decref (answer);
        json_decref (doc);
        return METRICS_ERROR_INTERNAL;
    }
    json_object_set_new (answer, "genuine", json_boolean (strcmp (result, "forged") != 0));
    if (reason)
        json_object_set_new (answer, "reason", json_string (reason));
    metrics_error_t error = s_answer_json (lookup->req, answer);
    json_decref (doc);
    return error;
}

//  Writes whether the organization lookup->id is registered, under the name
//  given if any, and in good standing: the record org:<uscc> is in the body
//  when found.
static metrics_error_t
s_standing_answer (lookup_t *lookup)
{
    if (lookup->doc == S_DOC_MISSING)
        return s_answer_json (lookup->req, json_pack ("{s:b, s:s, s:s}", "genuine", 0,
                                                      "uscc", lookup->id,
                                                      "reason", "not_registered"));
    json_t *doc = s_body_json (lookup->req);
    const char *name = json_string_value (json_object_get (doc, "name"));
    const char *status = json_string_value (json_object_get (doc, "status"));
    //  Older records have no credit, or a null one: not listed
    json_t *credit = json_object_get (doc, "credit");
    bool abnormal = json_is_true (json_object_get (credit, "abnormal"));
    bool serious = json_is_true (json_object_get (credit, "serious"));
    json_t *answer = NULL;
    if (name && status) {
        bool genuine = !*lookup->name || strcmp (lookup->name, name) == 0;
        bool good = genuine && strcmp (status, "active") == 0 && !abnormal && !serious;
        answer = json_pack ("{s:b, s:s, s:s, s:s, s:b, s:b, s:b}", "genuine", genuine,
                            "uscc", lookup->id, "name", name, "status", status,
                            "abnormal", abnormal, "serious", serious, "good_standing", good);
        if (answer && !genuine)
            json_object_set_new (answer, "reason", json_string ("name_mismatch"));
    }
    else
        log_warn ("could not read the record of %s in redis", lookup->id);
    metrics_error_t error = s_answer_json (lookup->req, answer);
    json_decref (doc);
    return error;
}

//  Reply to EXISTS npo:ready: answers the request. Without the document and
//  without npo:ready the cache is being rebuilt: 503, never a false 404.
static void
s_on_ready (redisAsyncContext *redis, void *reply, void *privdata)
{
    (void) redis;
    lookup_t *lookup = privdata;
    gateway_t *self = lookup->self;
    redisReply *r = reply;
    s_redis_replied (self, reply);
    assert (lookup->req);

    bool ready = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    bool found = lookup->doc == S_DOC_FOUND, missing = lookup->doc == S_DOC_MISSING;
    //  A page of a list or of search results is always found: it counts as
    //  no lookup, and while the cache is rebuilt it may be incomplete, so it
    //  needs npo:ready too
    bool list = lookup->route == METRICS_ROUTE_LISTS || lookup->route == METRICS_ROUTE_SEARCH;
    if (!list && (found || missing))
        metrics_cache (self->metrics, found);

    metrics_error_t error = METRICS_ERROR_CACHE_UNAVAILABLE;
    if (lookup->verdict && (found || (missing && ready)))
        error = lookup->verdict (lookup);
    else
    if (found && (ready || !list)) {
        s_json_headers (lookup->req, "public, max-age=60");
        error = METRICS_ERROR_NONE;
    }
    else
    if (missing && ready)
        error = METRICS_ERROR_NOT_FOUND;
    s_finish (self, lookup->req, lookup->route, lookup->started, error);
    lookup->req = NULL;
    s_lookup_release (lookup);
}

//  ---------------------------------------------------------------------------
//  Queries

//  Parses the query of uri (percent-decoded) into query, which the caller
//  clears (evhttp_clear_headers) whatever this returns. values [i] points to
//  the value of the parameter names [i] in query, or is NULL when absent.
//  Returns 0, or -1 when a parameter is not in names or is repeated, when a
//  value is longer than S_VALUE_MAX bytes or not UTF-8 without control
//  characters, or when the query is malformed.
static int
s_query_parse (const struct evhttp_uri *uri, struct evkeyvalq *query,
               const char *const *names, const char **values)
{
    TAILQ_INIT (query);
    size_t n = 0;
    while (n < S_PARAMS_MAX && names [n])
        values [n++] = NULL;
    const char *text = uri? evhttp_uri_get_query (uri): NULL;
    //  %00 would decode to a NUL that ends the value early, unseen
    if (text && (strstr (text, "%00") || evhttp_parse_query_str (text, query)))
        return -1;
    struct evkeyval *param;
    TAILQ_FOREACH (param, query, next) {
        size_t i = 0;
        while (i < n && strcmp (param->key, names [i]))
            i++;
        if (i == n || values [i] || strlen (param->value) > S_VALUE_MAX
        ||  !npo_utf8_valid (param->value, false, NULL))
            return -1;
        values [i] = param->value;
    }
    return 0;
}

//  Returns true when s is min to max ASCII digits.
static bool
s_digits (const char *s, size_t min, size_t max)
{
    size_t len = strspn (s, "0123456789");
    return s [len] == 0 && len >= min && len <= max;
}

//  Reads a page size (NULL: the default) into *limit. Returns true when valid.
static bool
s_limit (const char *text, int *limit)
{
    *limit = S_LIST_LIMIT;
    if (!text)
        return true;
    if (!s_digits (text, 1, 3))
        return false;
    *limit = atoi (text);
    return *limit >= 1 && *limit <= S_LIST_LIMIT_MAX;
}

//  Returns true when division is "" or a 2, 4 or 6-digit prefix.
static bool
s_division (const char *division)
{
    return strlen (division) % 2 == 0 && s_digits (division, 0, 6);
}

//  Starts the verification of a certificate token (?token=). Returns 0 when
//  a callback will answer, -1 when the caller must answer with *error.
static int
s_verify_start (gateway_t *self, struct evhttp_request *req, const char **values,
                double started, metrics_error_t *error)
{
    const char *token = values [0];
    *error = METRICS_ERROR_INVALID_QUERY;
    if (!token || !*token || strlen (token) > NPO_CERT_TOKEN_MAX)
        return -1;
    lookup_t probe = { .route = METRICS_ROUTE_CERT_VERIFY, .verdict = s_verify_answer };
    if (npo_cert_token_parse (token, probe.number, sizeof probe.number, &probe.version,
                              probe.sig)) {
        //  Not a token we could have issued: forged, said plainly
        struct evbuffer *body = evhttp_request_get_output_buffer (req);
        evbuffer_add_printf (body, "{\"result\":\"forged\",\"genuine\":false,"
                                   "\"reason\":\"the token is malformed\"}");
        s_json_headers (req, "no-store");
        *error = METRICS_ERROR_NONE;
        return -1;
    }
    *error = METRICS_ERROR_CACHE_UNAVAILABLE;
    return s_lookup_start (self, req, &probe, probe.number, started);
}

//  Reads a page of a list, ?division=&limit=&cursor=, into probe and id, which
//  holds the kind of list and gets ":<division prefix>" added (size bytes).
//  Returns METRICS_ERROR_NONE, or the error to answer.
static metrics_error_t
s_list_query (const char **values, lookup_t *probe, char *id, size_t size)
{
    const char *division = values [0]? values [0]: "", *cursor = values [2];
    if (!s_limit (values [1], &probe->limit) || (cursor && !s_digits (cursor, 1, S_CURSOR_MAX)))
        return METRICS_ERROR_INVALID_QUERY;
    if (!s_division (division))
        return METRICS_ERROR_INVALID_DIVISION;
    //  The cursor is the score of the last item seen: the page starts below it
    if (cursor)
        snprintf (probe->cursor, sizeof probe->cursor, "(%s", cursor);
    else
        strcpy (probe->cursor, "+inf");
    size_t kind = strlen (id);
    snprintf (id + kind, size - kind, ":%s", division);
    return METRICS_ERROR_NONE;
}

//  Reads the statistics' ?division= into id (the prefix, size bytes).
static metrics_error_t
s_stats_query (const char **values, char *id, size_t size)
{
    const char *division = values [0]? values [0]: "";
    if (!s_division (division))
        return METRICS_ERROR_INVALID_DIVISION;
    snprintf (id, size, "%s", division);
    return METRICS_ERROR_NONE;
}

//  Reads an organization verification, ?uscc=&name=, into probe and id (the
//  uscc, size bytes).
static metrics_error_t
s_standing_query (const char **values, lookup_t *probe, char *id, size_t size)
{
    const char *uscc = values [0], *name = values [1]? values [1]: "";
    if (strlen (name) > S_NAME_MAX)
        return METRICS_ERROR_INVALID_QUERY;
    if (!uscc || !uscc_valid (uscc))
        return METRICS_ERROR_INVALID_USCC;
    snprintf (id, size, "%s", uscc);
    snprintf (probe->name, sizeof probe->name, "%s", name);
    probe->verdict = s_standing_answer;
    return METRICS_ERROR_NONE;
}

//  Returns true when text is one of the words in list (NULL-terminated).
static bool
s_one_of (const char *text, const char *const *list)
{
    for (; *list; list++)
        if (strcmp (text, *list) == 0)
            return true;
    return false;
}

//  Reads a search, ?q=&division=&type=&status=&limit=&cursor=, into probe
//  and id (the division prefix, size bytes). q loses its outer spaces.
static metrics_error_t
s_search_query (const char **values, lookup_t *probe, char *id, size_t size)
{
    static const char *const types [] = {
        "", "social_group", "social_service", "foundation", "other", NULL
    };
    static const char *const statuses [] = { "", "active", "deregistered", "revoked", NULL };
    const char *q = values [0]? values [0]: "", *division = values [1]? values [1]: "";
    const char *type = values [2]? values [2]: "", *status = values [3]? values [3]: "";
    const char *cursor = values [5]? values [5]: "";
    q += strspn (q, " ");
    size_t len = strlen (q), chars = 0;
    while (len && q [len - 1] == ' ')
        len--;
    if (len < sizeof probe->name) {
        memcpy (probe->name, q, len);
        probe->name [len] = 0;
        npo_utf8_valid (probe->name, false, &chars);
    }
    size_t hex = *cursor? strspn (cursor + 1, "0123456789abcdef"): 0;
    bool cursor_ok = !*cursor
        || (cursor [0] == 'p' && cursor [1 + hex] == 0 && hex >= 2 && hex % 2 == 0)
        || (cursor [0] == 'c' && s_digits (cursor + 1, 1, 19));
    if (chars < 2 || chars > NPO_SEARCH_Q_MAX || !s_one_of (type, types)
    ||  !s_one_of (status, statuses) || !s_limit (values [4], &probe->limit)
    ||  !cursor_ok || strlen (cursor) >= sizeof probe->cursor)
        return METRICS_ERROR_INVALID_QUERY;
    if (!s_division (division))
        return METRICS_ERROR_INVALID_DIVISION;
    snprintf (id, size, "%s", division);
    snprintf (probe->type, sizeof probe->type, "%s", type);
    snprintf (probe->status, sizeof probe->status, "%s", status);
    snprintf (probe->cursor, sizeof probe->cursor, "%s", cursor);
    return METRICS_ERROR_NONE;
}

//  ---------------------------------------------------------------------------
//  Lookups: the requests

//  Sends the lookup to Redis. Returns 0 when a callback will answer req,
//  or -1 when the caller must (Redis down, out of memory).
//  template: the route, the verdict, and what the route's query gave (a
//  certificate's number, version and signature, a name, a page of a list);
//  id: see lookup_t.
static int
s_lookup_start (gateway_t *self, struct evhttp_request *req, const lookup_t *template,
                const char *id, double started)
{
    if (!self->redis_up)
        return -1;
    lookup_t *lookup = malloc (sizeof *lookup);
    if (!lookup)
        return -1;
    *lookup = *template;
    lookup->self = self;
    lookup->req = req;
    lookup->started = started;
    lookup->doc = S_DOC_FAILED;
    snprintf (lookup->id, sizeof lookup->id, "%s", id);
    //  org:<uscc> the record, cert:<number> a certificate to verify, and the
    //  public histories: changes:, inspections:, evaluations:, penalties:<uscc>
    const char *history = lookup->route == METRICS_ROUTE_ORG_CHANGES? "changes":
                          lookup->route == METRICS_ROUTE_ORG_INSPECTIONS? "inspections":
                          lookup->route == METRICS_ROUTE_ORG_EVALUATIONS? "evaluations":
                          lookup->route == METRICS_ROUTE_ORG_PENALTIES? "penalties": NULL;
    //  An alias names the record: resolved and fetched in one round trip
    static const char *by_alias =
        "local u = redis.call ('GET', KEYS [1]) "
        "if u then return redis.call ('GET', 'org:' .. u) end return false";
    //  A history is empty, not missing, while the organization exists
    static const char *history_of =
        "local h = redis.call ('GET', KEYS [1]) if h then return h end "
        "if redis.call ('EXISTS', KEYS [2]) == 1 then return '[]' end return false";
    //  A page of a list, list:<kind>:<division prefix> (scores: yyyymmdd * 1e8
    //  + id): the listings below the cursor, newest first, as the answer. The
    //  next cursor is the last score when the page is full; a listing whose
    //  document is gone is left out, but still moves the cursor.
    static const char *list_page =
        "local m = redis.call ('ZREVRANGEBYSCORE', KEYS [1], ARGV [1], '-inf',"
        "                      'WITHSCORES', 'LIMIT', 0, ARGV [2]) "
        "local items, cursor = {}, 'null' "
        "for i = 1, #m, 2 do "
        "    local doc = redis.call ('GET', 'listing:' .. m [i]) "
        "    if doc then items [#items + 1] = doc end "
        "end "
        "if #m == 2 * tonumber (ARGV [2]) then "
        "    cursor = string.format ('\"%.0f\"', tonumber (m [#m])) end "
        "return '{\"items\":[' .. table.concat (items, ',') "
        "    .. '],\"next_cursor\":' .. cursor .. '}'";
    int rc;
    if (lookup->route == METRICS_ROUTE_ORG_BY_ALIAS)
        rc = redisAsyncCommand (self->redis, s_on_doc, lookup, "EVAL %s 1 alias:%s",
                                by_alias, id);
    else
    if (lookup->route == METRICS_ROUTE_SEARCH) {
        char limit [8], budget [12];
        snprintf (limit, sizeof limit, "%d", lookup->limit);
        snprintf (budget, sizeof budget, "%d", NPO_SEARCH_BUDGET);
        const char *argv [10] = { "EVAL", NPO_SEARCH_QUERY_LUA, "0", lookup->name, id,
                                  lookup->type, lookup->status, limit, lookup->cursor, budget };
        rc = redisAsyncCommandArgv (self->redis, s_on_doc, lookup, 10, argv, NULL);
    }
    else
    if (history)
        rc = redisAsyncCommand (self->redis, s_on_doc, lookup, "EVAL %s 2 %s:%s org:%s",
                                history_of, history, id, id);
    else
    if (lookup->route == METRICS_ROUTE_LISTS)
        rc = redisAsyncCommand (self->redis, s_on_doc, lookup, "EVAL %s 1 list:%s %s %d",
                                list_page, id, lookup->cursor, lookup->limit);
    else
        rc = redisAsyncCommand (self->redis, s_on_doc, lookup, "GET %s:%s",
                                lookup->route == METRICS_ROUTE_CERT_VERIFY? "cert":
                                lookup->route == METRICS_ROUTE_STATS? "stats": "org", id);
    if (rc != REDIS_OK) {
        free (lookup);
        return -1;
    }
    lookup->owed = 1;
    if (self->redis_owed++ == 0)
        s_timer_add (self->silence, S_REDIS_SILENCE_MS);
    if (redisAsyncCommand (self->redis, s_on_ready, lookup, "EXISTS npo:ready") != REDIS_OK) {
        lookup->req = NULL;         //  s_on_doc still calls back, and frees it
        return -1;
    }
    lookup->owed = 2;
    self->redis_owed++;
    return 0;
}

//  ---------------------------------------------------------------------------
//  Routing

//  What each path serves: its route, the query parameters it takes and, for
//  some, an argument (the kind of list; the alias an organization is found
//  by). Paths are templates, {name} standing for one segment; the first
//  match wins. npo-gateway --routes prints them, and docs/openapi.yaml must
//  describe each one (tests/e2e/19_openapi.sh).
typedef struct {
    const char *path;
    metrics_route_t route;
    const char *arg;
    const char *params [S_PARAMS_MAX + 1];
} route_t;

static const route_t s_routes [] = {
    { "/v1/orgs", METRICS_ROUTE_SEARCH, NULL,
      { "q", "division", "type", "status", "limit", "cursor" } },
    { "/v1/orgs/by-old-code/{code}", METRICS_ROUTE_ORG_BY_ALIAS, "oldcode:" },
    { "/v1/orgs/by-certificate/{number}", METRICS_ROUTE_ORG_BY_ALIAS, "cert:" },
    { "/v1/orgs/{uscc}", METRICS_ROUTE_ORG },
    { "/v1/orgs/{uscc}/changes", METRICS_ROUTE_ORG_CHANGES },
    { "/v1/orgs/{uscc}/inspections", METRICS_ROUTE_ORG_INSPECTIONS },
    { "/v1/orgs/{uscc}/evaluations", METRICS_ROUTE_ORG_EVALUATIONS },
    { "/v1/orgs/{uscc}/penalties", METRICS_ROUTE_ORG_PENALTIES },
    { "/v1/lists/abnormal", METRICS_ROUTE_LISTS, "abnormal", { "division", "limit", "cursor" } },
    { "/v1/lists/serious", METRICS_ROUTE_LISTS, "serious", { "division", "limit", "cursor" } },
    { "/v1/verify", METRICS_ROUTE_VERIFY, NULL, { "uscc", "name" } },
    { "/v1/certificates/verify", METRICS_ROUTE_CERT_VERIFY, NULL, { "token" } },
    { "/v1/stats", METRICS_ROUTE_STATS, NULL, { "division" } },
    { "/healthz", METRICS_ROUTE_HEALTHZ },
    { "/metrics", METRICS_ROUTE_METRICS },
};
#define S_ROUTES (sizeof s_routes / sizeof s_routes [0])

//  Returns the route serving a raw (not percent-decoded) path, or NULL.
//  Copies the segment a {name} stands for into segment (size bytes), or ""
//  when it is longer than 40 bytes: no code or number is, and "" fails
//  every check.
static const route_t *
s_route (const char *path, char *segment, size_t size)
{
    for (size_t r = 0; r < S_ROUTES && path; r++) {
        const char *t = s_routes [r].path, *p = path;
        bool match = true;
        segment [0] = 0;
        while (*t && match) {
            if (*t == '{') {
                size_t len = strcspn (p, "/");
                if (len <= 40 && len < size)
                    snprintf (segment, size, "%.*s", (int) len, p);
                match = len > 0;
                p += len;
                t = strchr (t, '}') + 1;
            }
            else
                match = *t++ == *p++;
        }
        if (match && *p == 0)
            return &s_routes [r];
    }
    return NULL;
}

//  Checks and normalizes an alias "oldcode:<code>" (the dash of a printed
//  code removed) or "cert:<number>". Returns true, or false with *error.
static bool
s_alias_check (char *alias, metrics_error_t *error)
{
    *error = METRICS_ERROR_NONE;
    if (strncmp (alias, "oldcode:", 8) == 0) {
        char *code = alias + 8;
        if (!orgcode_valid (code)) {
            *error = METRICS_ERROR_INVALID_ORG_CODE;
            return false;
        }
        char *dash = strchr (code, '-');
        if (dash)
            memmove (dash, dash + 1, strlen (dash));
        return true;
    }
    char *number = alias + 5;               //  after "cert:"
    size_t n = strlen (number);
    bool ok = n >= 1 && n <= 40;
    for (size_t i = 0; i < n && ok; i++)
        ok = isalnum ((unsigned char) number [i]) || strchr ("-_.", number [i]);
    if (!ok) {
        *error = METRICS_ERROR_INVALID_CERTIFICATE_NUMBER;
        return false;
    }
    //  Numbers this register issued are "<uscc>-<n>" (alias cert:); any other
    //  is a pre-2016 number (alias oldcert:)
    char head [USCC_LEN + 1] = "";
    if (n > USCC_LEN)
        memcpy (head, number, USCC_LEN);
    if (n > USCC_LEN + 1 && number [USCC_LEN] == '-' && uscc_valid (head))
        return true;
    memmove (alias + 8, number, n + 1);
    memcpy (alias, "oldcert:", 8);
    return true;
}

//  Takes one request of the client's from its address's allowance and puts
//  the X-RateLimit-* headers on the answer. Returns false when over it.
static bool
s_rate_take (gateway_t *self, struct evhttp_request *req, double now)
{
    if (!self->limiter)
        return true;
    struct evhttp_connection *conn = evhttp_request_get_connection (req);
    const struct sockaddr *addr = conn? evhttp_connection_get_addr (conn): NULL;
    ratelimit_verdict_t v = ratelimit_take (self->limiter, addr, now);
    struct evkeyvalq *headers = evhttp_request_get_output_headers (req);
    char text [16];
    snprintf (text, sizeof text, "%d", v.limit);
    evhttp_add_header (headers, "X-RateLimit-Limit", text);
    snprintf (text, sizeof text, "%d", v.remaining);
    evhttp_add_header (headers, "X-RateLimit-Remaining", text);
    snprintf (text, sizeof text, "%d", v.reset);
    evhttp_add_header (headers, "X-RateLimit-Reset", text);
    if (!v.allowed) {
        snprintf (text, sizeof text, "%d", v.retry_after);
        evhttp_add_header (headers, "Retry-After", text);
    }
    return v.allowed;
}

static void
s_on_request (struct evhttp_request *req, void *arg)
{
    gateway_t *self = arg;
    double started = s_now ();
    metrics_route_t route = METRICS_ROUTE_OTHER;
    metrics_error_t error = METRICS_ERROR_NONE;
    struct evkeyvalq *headers = evhttp_request_get_output_headers (req);
    struct evbuffer *body = evhttp_request_get_output_buffer (req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri (req);
    enum evhttp_cmd_type method = evhttp_request_get_command (req);
    char id [64] = "";              //  what a lookup asks for, see lookup_t
    const char *values [S_PARAMS_MAX];
    struct evkeyvalq query;
    TAILQ_INIT (&query);

    const route_t *served = NULL;
    const char *path = uri? evhttp_uri_get_path (uri): NULL;
    if (strlen (evhttp_request_get_uri (req)) > S_URI_MAX) {
        error = METRICS_ERROR_URI_TOO_LONG;
        goto done;
    }
    if (!path || *path != '/') {
        error = METRICS_ERROR_INVALID_REQUEST;
        goto done;
    }
    served = s_route (path, id, sizeof id);
    route = served? served->route: METRICS_ROUTE_OTHER;
    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        error = METRICS_ERROR_METHOD_NOT_ALLOWED;
        goto done;
    }
    //  Health and metrics are for the operators' probes: never limited
    if (route != METRICS_ROUTE_HEALTHZ && route != METRICS_ROUTE_METRICS
    &&  !s_rate_take (self, req, started)) {
        error = METRICS_ERROR_RATE_LIMITED;
        goto done;
    }
    if (!served) {
        error = METRICS_ERROR_NOT_FOUND;
        goto done;
    }
    if (s_query_parse (uri, &query, served->params, values)) {
        error = METRICS_ERROR_INVALID_QUERY;
        goto done;
    }
    //  The lookup routes check their request, then share the lookup below
    lookup_t probe = { .route = route };
    switch (route) {
        case METRICS_ROUTE_ORG:
        case METRICS_ROUTE_ORG_CHANGES:
        case METRICS_ROUTE_ORG_INSPECTIONS:
        case METRICS_ROUTE_ORG_EVALUATIONS:
        case METRICS_ROUTE_ORG_PENALTIES:
            if (strlen (id) != USCC_LEN || !uscc_valid (id))
                error = METRICS_ERROR_INVALID_USCC;
            break;
        case METRICS_ROUTE_ORG_BY_ALIAS: {
            char segment [sizeof id];
            snprintf (segment, sizeof segment, "%s", id);
            snprintf (id, sizeof id, "%s%s", served->arg, segment);
            s_alias_check (id, &error);
            break;
        }
        case METRICS_ROUTE_LISTS:
            snprintf (id, sizeof id, "%s", served->arg);
            error = s_list_query (values, &probe, id, sizeof id);
            break;
        case METRICS_ROUTE_SEARCH:
            error = s_search_query (values, &probe, id, sizeof id);
            break;
        case METRICS_ROUTE_VERIFY:
            error = s_standing_query (values, &probe, id, sizeof id);
            break;
        case METRICS_ROUTE_STATS:
            error = s_stats_query (values, id, sizeof id);
            break;
        case METRICS_ROUTE_CERT_VERIFY:
            if (s_verify_start (self, req, values, started, &error) == 0) {
                evhttp_clear_headers (&query);
                return;             //  s_on_ready answers
            }
            goto done;
        case METRICS_ROUTE_HEALTHZ:
            s_json_headers (req, "no-store");
            if (evbuffer_add_printf (body, "{\"status\":\"ok\",\"redis\":\"%s\"}",
                                     self->redis_up? "up": "down") < 0)
                error = METRICS_ERROR_INTERNAL;
            goto done;
        case METRICS_ROUTE_METRICS:
            evhttp_add_header (headers, "Content-Type", "text/plain; version=0.0.4");
            evhttp_add_header (headers, "Cache-Control", "no-store");
            if (metrics_render (self->metrics, body))
                error = METRICS_ERROR_INTERNAL;
            goto done;
        default:
            error = METRICS_ERROR_NOT_FOUND;
            goto done;
    }
    if (error == METRICS_ERROR_NONE) {
        evhttp_clear_headers (&query);
        if (s_lookup_start (self, req, &probe, id, started) == 0)
            return;                 //  s_on_ready answers
        error = METRICS_ERROR_CACHE_UNAVAILABLE;
    }
done:
    evhttp_clear_headers (&query);
    s_finish (self, req, route, started, error);
}

void
gateway_print_routes (FILE *out)
{
    for (size_t r = 0; r < S_ROUTES; r++) {
        fprintf (out, "%s\t", s_routes [r].path);
        for (size_t i = 0; i < S_PARAMS_MAX && s_routes [r].params [i]; i++)
            fprintf (out, "%s%s", i? ",": "", s_routes [r].params [i]);
        fprintf (out, "\n");
    }
}

//  ---------------------------------------------------------------------------
//  Lifecycle

//  Returns the local port of a bound socket, or -1.
static int
s_bound_port (struct evhttp_bound_socket *bound)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname (evhttp_bound_socket_get_fd (bound), (struct sockaddr *) &addr, &len))
        return -1;
    if (addr.ss_family == AF_INET6)
        return ntohs (((struct sockaddr_in6 *) &addr)->sin6_port);
    return ntohs (((struct sockaddr_in *) &addr)->sin_port);
}

gateway_t *
gateway_new (struct event_base *base, const char *host, int port,
             const char *redis_host, int redis_port, int rate, int burst)
{
    gateway_t *self = calloc (1, sizeof (gateway_t));
    if (!self)
        return NULL;
    self->base = base;
    self->redis_port = redis_port;
    self->retry_ms = S_RETRY_MIN_MS;
    self->redis_host = strdup (redis_host);
    self->metrics = metrics_new ();
    self->retry = evtimer_new (base, s_on_retry, self);
    self->silence = evtimer_new (base, s_on_silence, self);
    self->http = evhttp_new (base);
    self->limiter = rate > 0? ratelimit_new (rate, burst): NULL;
    if (!self->redis_host || !self->metrics || !self->retry || !self->silence || !self->http
    ||  (rate > 0 && !self->limiter)) {
        log_error ("could not create the gateway: out of memory");
        goto err;
    }
    evhttp_set_max_headers_size (self->http, 8192);
    evhttp_set_max_body_size (self->http, 4096);
    evhttp_set_timeout (self->http, 30);
    //  Only GET and HEAD are served, but every method evhttp knows must reach
    //  s_on_request for its JSON 405: evhttp itself answers 501 in HTML.
    evhttp_set_allowed_methods (self->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD
        | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS
        | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_gencb (self->http, s_on_request, self);

    struct evhttp_bound_socket *bound =
        evhttp_bind_socket_with_handle (self->http, host, (ev_uint16_t) port);
    if (!bound) {
        log_error ("could not listen on %s:%d: %s", host, port, strerror (errno));
        goto err;
    }
    self->port = s_bound_port (bound);
    if (self->port < 0) {
        log_error ("could not read the listening port: %s", strerror (errno));
        goto err;
    }
    s_redis_connect (self);
    return self;
err:
    gateway_destroy (&self);
    return NULL;
}

void
gateway_destroy (gateway_t **self_p)
{
    assert (self_p);
    gateway_t *self = *self_p;
    if (!self)
        return;
    if (self->redis)
        s_redis_drop (self);        //  first: answers the lookups evhttp_free would free
    if (self->http)
        evhttp_free (self->http);
    if (self->retry)
        event_free (self->retry);
    if (self->silence)
        event_free (self->silence);
    metrics_destroy (&self->metrics);
    ratelimit_destroy (&self->limiter);
    free (self->redis_host);
    free (self);
    *self_p = NULL;
}

int
gateway_port (gateway_t *self)
{
    return self->port;
}
