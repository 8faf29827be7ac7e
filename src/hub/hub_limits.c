/* SPDX-License-Identifier: MIT */
/* Rate limits: upgrades per peer address (a fixed table of token buckets indexed by the
 * address's hash, so memory stays bounded whatever the number of peers: addresses that share a
 * slot share a bucket) and client frames per connection. */
#include "hub/hub_internal.h"
#include "models/alloc.h"

#define IP_SLOTS 4096u

struct ip_bucket {
    uint64_t hash; /* the address whose bucket this slot holds now */
    wsc__bucket b;
};

int
wsc__hub_connect_limited(wsc_hub *hub, const char *peer)
{
    double rate = hub->cfg.connect_rate_per_ip, burst = hub->cfg.connect_burst_per_ip;
    if (rate <= 0)
        return 0;
    if (hub->ip_buckets == NULL) {
        hub->ip_buckets = wsc__calloc(IP_SLOTS, sizeof(*hub->ip_buckets));
        if (hub->ip_buckets == NULL)
            return 0; /* a limiter that cannot allocate does not refuse anyone */
    }
    uint64_t now = wsc__now_ms(), h = wsc__hash_str(peer);
    struct ip_bucket *slot = &hub->ip_buckets[h & (IP_SLOTS - 1)];
    if (slot->hash != h) {
        /* A new address takes the slot over with a full bucket. */
        slot->hash = h;
        wsc__bucket_init(&slot->b, burst, now);
    }
    if (wsc__bucket_take(&slot->b, rate, burst, now))
        return 0;
    hub->metrics.limited[WSC__LIMIT_CONNECT]++;
    uint32_t ms = wsc__bucket_retry_after_ms(&slot->b, rate, burst, now);
    return ms == UINT32_MAX ? 60 : (int)((ms + 999) / 1000);
}

bool
wsc__hub_frame_allowed(wsc_hub *hub, wsc_conn *conn)
{
    double rate = hub->cfg.msg_rate_per_conn, burst = hub->cfg.msg_burst_per_conn;
    if (rate <= 0)
        return true;
    struct conn_extra *x = wsc__conn_extra(conn);
    if (x == NULL)
        return true; /* out of memory: not a reason to refuse the client's frame */
    uint64_t now = wsc__now_ms();
    if (x->rate.last_ms == 0)
        wsc__bucket_init(&x->rate, burst, now ? now : 1);
    if (wsc__bucket_take(&x->rate, rate, burst, now))
        return true;
    hub->metrics.limited[WSC__LIMIT_FRAME]++;
    return false;
}
