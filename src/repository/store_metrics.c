/* SPDX-License-Identifier: MIT */
/* The store's latency histograms for /metrics (store_metrics.h). */
#include "repository/store_metrics.h"

#include "repository/store_internal.h"

/* The "op" label of each request (enum wsc__op). */
static const char *const op_names[WSC__OP_COUNT] = {
    [WSC__OP_OFFLINE_STORE] = "offline_store",
    [WSC__OP_OFFLINE_FETCH] = "offline_fetch",
    [WSC__OP_OFFLINE_REMOVE] = "offline_remove",
    [WSC__OP_OFFLINE_COUNT] = "offline_count",
    [WSC__OP_OFFLINE_CLEAR] = "offline_clear",
    [WSC__OP_RECORD_PUT] = "record_put",
    [WSC__OP_RECORD_UPDATE] = "record_update",
    [WSC__OP_RECORD_GET] = "record_get",
    [WSC__OP_RECORD_REMOVE] = "record_remove",
    [WSC__OP_ONLINE_SET] = "online_set",
    [WSC__OP_ONLINE_REFRESH] = "online_refresh",
    [WSC__OP_ONLINE_REMOVE] = "online_remove",
    [WSC__OP_ONLINE_GET] = "online_get",
    [WSC__OP_CONNREC_CONNECT] = "connrec_connect",
    [WSC__OP_CONNREC_ADD_COUNTERS] = "connrec_add_counters",
    [WSC__OP_CONNREC_DISCONNECT] = "connrec_disconnect",
    [WSC__OP_CONNREC_GET] = "connrec_get",
    [WSC__OP_HUBSTATS_PUT] = "hubstats_put",
    [WSC__OP_HUBSTATS_GET] = "hubstats_get",
    [WSC__OP_HUBSTATS_LIST] = "hubstats_list",
    [WSC__OP_HUBSTATS_REMOVE] = "hubstats_remove",
    [WSC__OP_QUEUE_PUSH] = "queue_push",
    [WSC__OP_QUEUE_POP] = "queue_pop",
    [WSC__OP_QUEUE_LENGTH] = "queue_length",
    [WSC__OP_WORKLOAD_SET] = "workload_set",
    [WSC__OP_WORKLOAD_ADD] = "workload_add",
    [WSC__OP_WORKLOAD_GET] = "workload_get",
    [WSC__OP_WORKLOAD_REMOVE] = "workload_remove",
    [WSC__OP_WORKLOAD_ACQUIRE] = "workload_acquire",
    [WSC__OP_PING] = "ping",
    [WSC__OP_PENDING] = "pending",
    [WSC__OP_BUS] = "bus",
    [WSC__OP_CLUSTER_SLOTS] = "cluster_slots",
    [WSC__OP_STEP] = "step",
};

const char *
wsc__store_backend(const wsc_store *store)
{
    return store->ops->name;
}

size_t
wsc__store_latency(const wsc_store *store, const char *const **names, const wsc__histo **hist)
{
    *names = op_names;
    *hist = store->op_us;
    return WSC__OP_COUNT;
}
