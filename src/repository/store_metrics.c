/* SPDX-License-Identifier: MIT */
/* The store's latency histograms for /metrics (store_metrics.h). */
#include "repository/store_metrics.h"

#include "repository/store_internal.h"

/* The "op" label of each request kind: the shape of the answer, which names the op family
 * (write: every op answered by success or an error alone, ping included). */
static const char *const kind_names[WSC__REQ_KIND_COUNT] = {
    [WSC__REQ_DONE] = "write",          [WSC__REQ_COUNT] = "count",
    [WSC__REQ_FETCH] = "offline_fetch", [WSC__REQ_RECORD] = "record_get",
    [WSC__REQ_ONLINE] = "online_get",   [WSC__REQ_CONNREC] = "connrec_get",
    [WSC__REQ_STATS] = "hubstats_get",  [WSC__REQ_IDS] = "hubstats_list",
    [WSC__REQ_MSGS] = "queue_pop",      [WSC__REQ_ACQUIRE] = "workload_acquire",
};

const char *
wsc__store_backend(const wsc_store *store)
{
    return store->ops->name;
}

size_t
wsc__store_latency(const wsc_store *store, const char *const **names, const wsc__histo **hist)
{
    *names = kind_names;
    *hist = store->op_us;
    return WSC__REQ_KIND_COUNT;
}
