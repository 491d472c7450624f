/*  metrics.c - the gateway's counters and histograms, in Prometheus text
 */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "metrics.h"

//  Upper bounds of the latency buckets, in seconds; +Inf is implicit.
static const double s_bounds [] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1
};
#define S_BOUNDS    (sizeof s_bounds / sizeof s_bounds [0])

//  Room for distinct status codes: the gateway answers with 9 of them.
#define S_STATUSES  16

static const char *s_route_names [METRICS_ROUTES] = {
    "org", "org_changes", "org_inspections", "org_evaluations", "org_penalties",
    "cert_verify", "lists", "verify", "org_by_alias", "stats", "healthz", "metrics", "search",
    "other"
};

static const char *s_error_names [METRICS_ERRORS] = {
    "", "invalid_uscc", "invalid_query", "invalid_org_code", "invalid_certificate_number",
    "invalid_division", "not_found", "method_not_allowed", "uri_too_long",
    "invalid_request", "rate_limited", "cache_unavailable", "internal"
};

typedef struct {
    uint64_t buckets [S_BOUNDS + 1];    //  per bucket, not cumulative; last is +Inf
    double sum;                         //  seconds
    uint64_t count;
} histogram_t;

struct metrics_t {
    int statuses [S_STATUSES];          //  status codes seen, in order of first use
    size_t nstatuses;
    uint64_t requests [METRICS_ROUTES][S_STATUSES];     //  by route and status index
    histogram_t durations [METRICS_ROUTES];
    uint64_t errors [METRICS_ERRORS];   //  by error code
    uint64_t hits;                      //  lookups that found the organization
    uint64_t misses;                    //  lookups that did not
    bool redis_up;
};

metrics_t *
metrics_new (void)
{
    return calloc (1, sizeof (metrics_t));
}

void
metrics_destroy (metrics_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

void
metrics_request (metrics_t *self, metrics_route_t route, int status, double seconds)
{
    assert (route < METRICS_ROUTES);
    size_t i = 0;
    while (i < self->nstatuses && self->statuses [i] != status)
        i++;
    if (i == self->nstatuses && i < S_STATUSES)
        self->statuses [self->nstatuses++] = status;
    if (i < S_STATUSES)
        self->requests [route][i]++;

    histogram_t *histogram = &self->durations [route];
    size_t bucket = 0;
    while (bucket < S_BOUNDS && seconds > s_bounds [bucket])
        bucket++;
    histogram->buckets [bucket]++;
    histogram->sum += seconds;
    histogram->count++;
}

void
metrics_error (metrics_t *self, metrics_error_t error)
{
    assert (error < METRICS_ERRORS);
    self->errors [error]++;
}

void
metrics_cache (metrics_t *self, bool hit)
{
    if (hit)
        self->hits++;
    else
        self->misses++;
}

void
metrics_redis_up (metrics_t *self, bool up)
{
    self->redis_up = up;
}

const char *
metrics_error_name (metrics_error_t error)
{
    assert (error < METRICS_ERRORS);
    return s_error_names [error];
}

//  Appends to out; remembers a failure in *rc.
static void
s_add (struct evbuffer *out, int *rc, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    if (evbuffer_add_vprintf (out, fmt, args) < 0)
        *rc = -1;
    va_end (args);
}

//  Appends the HELP and TYPE lines of one metric.
static void
s_header (struct evbuffer *out, int *rc, const char *name, const char *type,
          const char *help)
{
    s_add (out, rc, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int
metrics_render (metrics_t *self, struct evbuffer *out)
{
    int rc = 0;
    s_header (out, &rc, "npo_http_requests_total", "counter",
              "HTTP requests answered, by route and status code.");
    for (size_t route = 0; route < METRICS_ROUTES; route++)
        for (size_t i = 0; i < self->nstatuses; i++)
            if (self->requests [route][i])
                s_add (out, &rc, "npo_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                       s_route_names [route], self->statuses [i],
                       (unsigned long long) self->requests [route][i]);

    s_header (out, &rc, "npo_http_request_duration_seconds", "histogram",
              "Time from reading a request to answering it, by route.");
    for (size_t route = 0; route < METRICS_ROUTES; route++) {
        const histogram_t *histogram = &self->durations [route];
        const char *name = s_route_names [route];
        uint64_t cumulative = 0;
        for (size_t bucket = 0; bucket <= S_BOUNDS; bucket++) {
            cumulative += histogram->buckets [bucket];
            if (bucket < S_BOUNDS)
                s_add (out, &rc, "npo_http_request_duration_seconds_bucket"
                       "{route=\"%s\",le=\"%g\"} %llu\n",
                       name, s_bounds [bucket], (unsigned long long) cumulative);
            else
                s_add (out, &rc, "npo_http_request_duration_seconds_bucket"
                       "{route=\"%s\",le=\"+Inf\"} %llu\n",
                       name, (unsigned long long) cumulative);
        }
        s_add (out, &rc, "npo_http_request_duration_seconds_sum{route=\"%s\"} %.9g\n",
               name, histogram->sum);
        s_add (out, &rc, "npo_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
               name, (unsigned long long) histogram->count);
    }

    s_header (out, &rc, "npo_cache_hits_total", "counter",
              "Organization lookups that found the record in Redis.");
    s_add (out, &rc, "npo_cache_hits_total %llu\n", (unsigned long long) self->hits);
    s_header (out, &rc, "npo_cache_misses_total", "counter",
              "Organization lookups that did not find the record in Redis.");
    s_add (out, &rc, "npo_cache_misses_total %llu\n", (unsigned long long) self->misses);
    s_header (out, &rc, "npo_redis_up", "gauge",
              "1 when the gateway is connected to Redis, else 0.");
    s_add (out, &rc, "npo_redis_up %d\n", self->redis_up? 1: 0);

    s_header (out, &rc, "npo_http_errors_total", "counter",
              "Error answers, by error code.");
    for (size_t error = METRICS_ERROR_NONE + 1; error < METRICS_ERRORS; error++)
        s_add (out, &rc, "npo_http_errors_total{code=\"%s\"} %llu\n",
               s_error_names [error], (unsigned long long) self->errors [error]);
    return rc;
}
