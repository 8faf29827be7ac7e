/* SPDX-License-Identifier: MIT */
/* The live nodes for the presence scripts, read from the hub stats index at most once a
 * second (redis_live.c). */
#ifndef WSC_REPOSITORY_REDIS_LIVE_H
#define WSC_REPOSITORY_REDIS_LIVE_H

#include "repository/redis/redis_internal.h"

/** One presence op waiting for the live nodes. */
struct wsc__rs_live_op {
    struct wsc__req *req; /* the caller's request, finished by send */
    bool set;
    char user[256], node[256];
    uint64_t count;
    uint32_t ttl_ms;
};

/** Sends op with live (escaped ids, space-separated), or, live NULL, finishes op->req with
 *  status (the live nodes could not be read). */
typedef void (*rs_live_send_fn)(struct redis_store *rs, const struct wsc__rs_live_op *op,
                                const char *live, wsc_err status);

struct rs_live;
/** A cache reading through rs.  NULL when out of memory. */
struct rs_live *wsc__rs_live_new(struct redis_store *rs);
/** Frees it; ops still waiting are finished with WSC_ERR_CANCELED.  NULL is ignored. */
void wsc__rs_live_free(struct rs_live *lv);
/** Runs send for op: at once with the cached list when it is fresh, else once it is read. */
void wsc__rs_live_run(struct rs_live *lv, const struct wsc__rs_live_op *op, rs_live_send_fn send);

#endif
