/* SPDX-License-Identifier: MIT */
/* The cluster bus object (repository/bus.h), shared by its pub/sub (redis_bus.c) and its
 * registry scripts (redis_registry.c). */
#ifndef WSC_REPOSITORY_REDIS_BUS_H
#define WSC_REPOSITORY_REDIS_BUS_H

#include "models/hmap.h"
#include "repository/bus.h"
#include "repository/redis/redis_internal.h"
#include "repository/redis/redis_live.h"

struct wsc__bus {
    struct redis_store *cmd; /* borrowed: PUBLISH and the registry scripts */
    struct redis_store *sub; /* owned: the subscription connection */
    struct rs_live *live;    /* owned: the live nodes for the presence scripts */
    redisAsyncContext *ac;   /* sub's connection while it is ready, else NULL */
    wsc__bus_cbs cbs;
    void *user;
    wsc__hmap chans;      /* struct chan (redis_bus.c) by name */
    size_t resubscribing; /* confirmations still due after a (re)connect */
    char prefix[16];      /* "<db>/": channels on the wire (redis_bus.c) */
    size_t prefix_len;
    bool up, closing;
};

#endif
