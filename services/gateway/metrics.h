/*  metrics.h - the gateway's counters and histograms, in Prometheus text
 *
 *  The label sets are fixed here (routes, error codes) so that no request can
 *  create a new time series. Single-threaded: no locking.
 */
#ifndef NPO_GATEWAY_METRICS_H
#define NPO_GATEWAY_METRICS_H

#include <stdbool.h>

struct evbuffer;

//  The route label: every request is counted under exactly one.
typedef enum {
    METRICS_ROUTE_ORG,              //  /v1/orgs/{uscc}
    METRICS_ROUTE_ORG_CHANGES,      //  /v1/orgs/{uscc}/changes
    METRICS_ROUTE_ORG_INSPECTIONS,  //  /v1/orgs/{uscc}/inspections
    METRICS_ROUTE_ORG_EVALUATIONS,  //  /v1/orgs/{uscc}/evaluations
    METRICS_ROUTE_ORG_PENALTIES,    //  /v1/orgs/{uscc}/penalties
    METRICS_ROUTE_CERT_VERIFY,      //  /v1/certificates/verify
    METRICS_ROUTE_LISTS,            //  /v1/lists/abnormal, /v1/lists/serious
    METRICS_ROUTE_VERIFY,           //  /v1/verify
    METRICS_ROUTE_ORG_BY_ALIAS,     //  /v1/orgs/by-old-code/{code}, /by-certificate/{number}
    METRICS_ROUTE_STATS,            //  /v1/stats
    METRICS_ROUTE_HEALTHZ,          //  /healthz
    METRICS_ROUTE_METRICS,          //  /metrics
    METRICS_ROUTE_SEARCH,           //  /v1/orgs
    METRICS_ROUTE_OTHER,            //  anything else
    METRICS_ROUTES
} metrics_route_t;

//  The error codes the gateway answers with, as in {"error":{"code":...}}.
typedef enum {
    METRICS_ERROR_NONE,
    METRICS_ERROR_INVALID_USCC,
    METRICS_ERROR_INVALID_QUERY,
    METRICS_ERROR_INVALID_ORG_CODE,
    METRICS_ERROR_INVALID_CERTIFICATE_NUMBER,
    METRICS_ERROR_INVALID_DIVISION,
    METRICS_ERROR_NOT_FOUND,
    METRICS_ERROR_METHOD_NOT_ALLOWED,
    METRICS_ERROR_URI_TOO_LONG,
    METRICS_ERROR_INVALID_REQUEST,
    METRICS_ERROR_RATE_LIMITED,
    METRICS_ERROR_CACHE_UNAVAILABLE,
    METRICS_ERROR_INTERNAL,
    METRICS_ERRORS
} metrics_error_t;

typedef struct metrics_t metrics_t;

//  Returns a new set of zeroed metrics, or NULL when out of memory.
//  Owned by the caller: metrics_destroy.
metrics_t *
    metrics_new (void);

//  Frees the metrics and NULLs *self_p. Safe twice.
void
    metrics_destroy (metrics_t **self_p);

//  Counts one answered request and its duration in seconds.
void
    metrics_request (metrics_t *self, metrics_route_t route, int status, double seconds);

//  Counts one error answer.
void
    metrics_error (metrics_t *self, metrics_error_t error);

//  Counts one organization lookup that Redis answered: found (hit) or not.
void
    metrics_cache (metrics_t *self, bool hit);

//  Sets the npo_redis_up gauge.
void
    metrics_redis_up (metrics_t *self, bool up);

//  Appends every metric in Prometheus text format 0.0.4 to out.
//  Returns 0, or -1 when out could not grow.
int
    metrics_render (metrics_t *self, struct evbuffer *out);

//  Returns the code of an error ("invalid_uscc"), or "" for METRICS_ERROR_NONE.
//  Static, not owned.
const char *
    metrics_error_name (metrics_error_t error);

#endif
