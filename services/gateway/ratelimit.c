/*  ratelimit.c - requests per client address: a token bucket each
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "codes.h"
#include "ratelimit.h"

#define S_SLOTS     16384               //  addresses followed at once (a power of 2)
#define S_PROBES    8                   //  slots an address may take

typedef struct {
    unsigned char addr [16];            //  IPv4 as ::ffff:a.b.c.d
    bool used;
    double tokens;                      //  at `at`
    double at;
} slot_t;

struct ratelimit_t {
    double rate;
    int burst;
    slot_t *slots;
};

ratelimit_t *
ratelimit_new (double rate, int burst)
{
    assert (rate > 0 && burst > 0);
    ratelimit_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->rate = rate;
    self->burst = burst;
    self->slots = calloc (S_SLOTS, sizeof (slot_t));
    if (!self->slots) {
        free (self);
        return NULL;
    }
    return self;
}

void
ratelimit_destroy (ratelimit_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->slots);
        free (*self_p);
        *self_p = NULL;
    }
}

//  The address as 16 bytes: an IPv6 client by its /64 (one subscriber's
//  network, where it can pick any address); an unknown family is one
//  address of its own.
static void
s_key (const struct sockaddr *addr, unsigned char key [16])
{
    static const unsigned char v4_mapped [12] = { [10] = 0xff, [11] = 0xff };
    memset (key, 0, 16);
    if (addr && addr->sa_family == AF_INET6) {
        memcpy (key, &((const struct sockaddr_in6 *) addr)->sin6_addr, 16);
        if (memcmp (key, v4_mapped, 12) != 0)
            memset (key + 8, 0, 8);
    }
    else
    if (addr && addr->sa_family == AF_INET) {
        key [10] = key [11] = 0xff;
        memcpy (key + 12, &((const struct sockaddr_in *) addr)->sin_addr, 4);
    }
}

//  The bucket's tokens at now.
static double
s_tokens (const ratelimit_t *self, const slot_t *slot, double now)
{
    double tokens = slot->tokens + (now - slot->at) * self->rate;
    return tokens > self->burst? self->burst: tokens;
}

ratelimit_verdict_t
ratelimit_take (ratelimit_t *self, const struct sockaddr *addr, double now)
{
    unsigned char key [16];
    s_key (addr, key);
    uint32_t hash = (uint32_t) npo_fnv1a (key, 16);
    //  Its own slot, else a free or refilled one, else the first (shared)
    slot_t *slot = NULL, *spare = NULL;
    for (int i = 0; i < S_PROBES && !slot; i++) {
        slot_t *s = &self->slots [(hash + (uint32_t) i) & (S_SLOTS - 1)];
        if (s->used && memcmp (s->addr, key, 16) == 0)
            slot = s;
        else
        if (!spare && (!s->used || s_tokens (self, s, now) >= self->burst))
            spare = s;
    }
    if (!slot && spare) {
        slot = spare;
        memcpy (slot->addr, key, 16);
        slot->used = true;
        slot->tokens = self->burst;
        slot->at = now;
    }
    if (!slot)
        slot = &self->slots [hash & (S_SLOTS - 1)];
    double tokens = s_tokens (self, slot, now);
    ratelimit_verdict_t verdict = { .limit = self->burst };
    verdict.allowed = tokens >= 1;
    if (verdict.allowed)
        tokens -= 1;
    slot->tokens = tokens;
    slot->at = now;
    verdict.remaining = (int) floor (tokens);
    verdict.reset = (int) ceil ((self->burst - tokens) / self->rate);
    verdict.retry_after = verdict.allowed? 0: (int) ceil ((1 - tokens) / self->rate);
    if (!verdict.allowed && verdict.retry_after < 1)
        verdict.retry_after = 1;
    return verdict;
}
