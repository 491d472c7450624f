/*  ratelimit.h - requests per client address: a token bucket each
 *
 *  Each address may send `burst` requests at once and `rate` a second after
 *  that. The table has a fixed size: an address takes the slot of one whose
 *  bucket has filled up again (it has not been seen lately, and forgetting it
 *  loses nothing); when every slot it may use is busy it shares one, which can
 *  only make the limit stricter, never looser. Single-threaded.
 */
#ifndef NPO_GATEWAY_RATELIMIT_H
#define NPO_GATEWAY_RATELIMIT_H

#include <stdbool.h>

struct sockaddr;

typedef struct ratelimit_t ratelimit_t;

//  What a request was allowed, for the X-RateLimit-* and Retry-After headers.
typedef struct {
    bool allowed;
    int limit;                  //  the burst
    int remaining;              //  requests left right now
    int reset;                  //  seconds until the bucket is full again
    int retry_after;            //  refused: seconds until one request is allowed
} ratelimit_verdict_t;

//  Returns a limiter of rate requests a second and bursts of burst (> 0),
//  or NULL when out of memory. Owned by the caller: ratelimit_destroy.
ratelimit_t *
    ratelimit_new (double rate, int burst);

void
    ratelimit_destroy (ratelimit_t **self_p);

//  Takes one request of addr at time now (seconds, monotonic).
ratelimit_verdict_t
    ratelimit_take (ratelimit_t *self, const struct sockaddr *addr, double now);

#endif
