/* SPDX-License-Identifier: MIT */
/* Rate limits: upgrades per peer address, and client frames and bytes per connection and per
 * user.  Addresses and users are kept in fixed tables of token buckets indexed by a hash, so
 * memory stays bounded whatever the number of peers (allocated on first use): a newcomer that
 * lands on a slot held by another address or user takes it over with a full bucket.  The
 * connection's own buckets live in its side block.  Every refusal raises an alert
 * (hub_alert.c). */
#include "hub/hub_internal.h"
#include "models/alloc.h"

#define IP_SLOTS   4096u
#define USER_SLOTS 16384u

struct ip_bucket {
    uint64_t hash; /* the address whose bucket this slot holds now */
    wsc__bucket b;
};

struct user_bucket {
    uint64_t hash; /* the user key whose buckets this slot holds now */
    wsc__bucket msgs, bytes;
};

/* One rate and its burst, for the configuration check. */
struct rate_field {
    size_t rate, burst; /* offsets in wsc_hub_config */
    const char *rate_err, *burst_err;
};

#define RATE(r, b)                                                                                \
    {                                                                                             \
        offsetof(wsc_hub_config, r), offsetof(wsc_hub_config, b), #r ": must be 0 (off) or more", \
            #b ": must be at least 1"                                                             \
    }
static const struct rate_field rate_fields[] = {
    RATE(connect_rate_per_ip, connect_burst_per_ip), RATE(msg_rate_per_conn, msg_burst_per_conn),
    RATE(bytes_rate_per_conn, bytes_burst_per_conn), RATE(msg_rate_per_user, msg_burst_per_user),
    RATE(bytes_rate_per_user, bytes_burst_per_user),
};

static double
field(const wsc_hub_config *cfg, size_t off)
{
    double v;
    memcpy(&v, (const char *)cfg + off, sizeof(v));
    return v;
}

const char *
wsc__hub_limits_check(const wsc_hub_config *cfg)
{
    for (size_t i = 0; i < sizeof(rate_fields) / sizeof(rate_fields[0]); i++) {
        double rate = field(cfg, rate_fields[i].rate), burst = field(cfg, rate_fields[i].burst);
        /* "!(x >= 0)" also refuses NaN. */
        if (!(rate >= 0))
            return rate_fields[i].rate_err;
        if (rate > 0 && !(burst >= 1))
            return rate_fields[i].burst_err;
    }
    return NULL;
}

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
    wsc__hub_alert(hub, WSC_LIMIT_CONNECT_RATE_IP, NULL, peer, rate, 1);
    hub->metrics.limited[WSC__LIMIT_CONNECT]++;
    uint32_t ms = wsc__bucket_retry_after_ms(&slot->b, rate, burst, now);
    return ms == UINT32_MAX ? 60 : (int)((ms + 999) / 1000);
}

/* The limits on the client frames of one scope, a connection or a user: a message rate and a
 * byte rate (0: off), each with its burst and the kind of alert it trips. */
struct frame_limits {
    double msgs, msgs_burst, bytes, bytes_burst;
    wsc_limit_kind msgs_kind, bytes_kind;
};

static struct frame_limits
conn_limits(const wsc_hub_config *c)
{
    return (struct frame_limits){c->msg_rate_per_conn,    c->msg_burst_per_conn,
                                 c->bytes_rate_per_conn,  c->bytes_burst_per_conn,
                                 WSC_LIMIT_MSG_RATE_CONN, WSC_LIMIT_BYTE_RATE_CONN};
}

static struct frame_limits
user_limits(const wsc_hub_config *c)
{
    return (struct frame_limits){c->msg_rate_per_user,    c->msg_burst_per_user,
                                 c->bytes_rate_per_user,  c->bytes_burst_per_user,
                                 WSC_LIMIT_MSG_RATE_USER, WSC_LIMIT_BYTE_RATE_USER};
}

/* Fills a scope's two buckets (messages, bytes) to their bursts. */
static void
fill(const struct frame_limits *l, wsc__bucket *msgs, wsc__bucket *bytes, uint64_t now)
{
    wsc__bucket_init(msgs, l->msgs_burst, now);
    wsc__bucket_init(bytes, l->bytes_burst, now);
}

/* One frame of len bytes through a scope's two buckets: the kind of limit it trips, or
 * WSC_LIMIT_KIND_COUNT when it may pass. */
static wsc_limit_kind
take(const struct frame_limits *l, wsc__bucket *msgs, wsc__bucket *bytes, size_t len, uint64_t now)
{
    if (l->msgs > 0 && !wsc__bucket_take(msgs, l->msgs, l->msgs_burst, now))
        return l->msgs_kind;
    if (l->bytes > 0 && !wsc__bucket_take_n(bytes, l->bytes, l->bytes_burst, now, (double)len))
        return l->bytes_kind;
    return WSC_LIMIT_KIND_COUNT;
}

/* The slot of conn's user, taken over when another user held it; NULL when out of memory. */
static struct user_bucket *
user_slot(wsc_hub *hub, wsc_conn *conn, const struct frame_limits *l, uint64_t now)
{
    if (hub->user_buckets == NULL) {
        hub->user_buckets = wsc__calloc(USER_SLOTS, sizeof(*hub->user_buckets));
        if (hub->user_buckets == NULL)
            return NULL;
    }
    uint64_t h = wsc__hash_str(conn->user->id);
    struct user_bucket *slot = &hub->user_buckets[h & (USER_SLOTS - 1)];
    if (slot->hash != h || slot->msgs.last_ms == 0) {
        slot->hash = h;
        fill(l, &slot->msgs, &slot->bytes, now);
    }
    return slot;
}

/* The user's limits l on one frame of len bytes, as take. */
static wsc_limit_kind
user_check(wsc_hub *hub, wsc_conn *conn, const struct frame_limits *l, size_t len, uint64_t now)
{
    if (l->msgs <= 0 && l->bytes <= 0)
        return WSC_LIMIT_KIND_COUNT;
    struct user_bucket *u = user_slot(hub, conn, l, now);
    if (u == NULL)
        return WSC_LIMIT_KIND_COUNT; /* out of memory: not a reason to refuse the frame */
    return take(l, &u->msgs, &u->bytes, len, now);
}

/* The connection's limits l on one frame of len bytes, as take. */
static wsc_limit_kind
conn_check(wsc_conn *conn, const struct frame_limits *l, size_t len, uint64_t now)
{
    if (l->msgs <= 0 && l->bytes <= 0)
        return WSC_LIMIT_KIND_COUNT;
    struct conn_extra *x = wsc__conn_extra(conn);
    if (x == NULL)
        return WSC_LIMIT_KIND_COUNT; /* out of memory: not a reason to refuse the frame */
    if (x->rate.last_ms == 0)
        fill(l, &x->rate, &x->bytes, now);
    return take(l, &x->rate, &x->bytes, len, now);
}

const char *
wsc__hub_frame_limited(wsc_hub *hub, wsc_conn *conn, size_t len)
{
    uint64_t now = wsc__now_ms();
    now = now ? now : 1; /* last_ms 0 marks an unused bucket */
    struct frame_limits per_conn = conn_limits(&hub->cfg), per_user = user_limits(&hub->cfg);
    const struct frame_limits *l = &per_conn;
    wsc_limit_kind k = conn_check(conn, l, len, now);
    if (k == WSC_LIMIT_KIND_COUNT) {
        l = &per_user;
        k = user_check(hub, conn, l, len, now);
    }
    if (k == WSC_LIMIT_KIND_COUNT)
        return NULL;
    bool bytes = k == l->bytes_kind;
    hub->metrics.limited[WSC__LIMIT_FRAME]++;
    wsc__hub_alert(hub, k, conn, NULL, bytes ? l->bytes : l->msgs, bytes ? (double)len : 1);
    return bytes ? "too many bytes" : "too many messages";
}
